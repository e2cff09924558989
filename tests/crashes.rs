//! Crash tests: a real `wharf serve` process is killed with SIGKILL while enqueues stream in,
//! while it imports a large message, between a redelivery and its ack, and between an export's
//! message and its watermark; after a restart over the same data, every answer it gave before
//! the kill must still hold.
//!
//! The server runs in a child process: this test binary again, running
//! [`crash_child_serves_until_killed`], which calls `wharf::run::execute(["wharf", "serve", …])`.
//! Every random choice comes from one seed, printed; `WHARF_CRASH_SEED` repeats a run, and
//! `WHARF_SOAK=N` turns the enqueue test's three kill rounds into N.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wharf::auth::{Auth, AuthSettings, Companies, NewClient, Role};

use crate::imports::{deployment, rows};
use crate::server::{CUSTOMERS_EXPORT_JOB, FABRIKAM, GROUPS_JOB, OPS, SETUP_JOB, copy_jobs};

/// Set in a child process: the arguments of `wharf serve`, one a line.
const SERVE_CHILD: &str = "WHARF_TEST_SERVE_CHILD";

/// The server's test seam (`host/src/jobs/scheduler.rs`): a process started with
/// `WHARF_FAULT=<point>` stops at that point, says so on stderr and waits to be killed.
pub(crate) const FAULT: &str = "WHARF_FAULT";

/// A file-mode import job of customer groups that processes once an hour, so the enqueue test
/// measures the queue and not imports (the scheduler still processes once, at each start).
const SLOW_JOB: &str = "0c5b1f5e-7d0e-4c84-9b8e-3f1f0a6d2c11";

/// The child's half of every test here: serves until killed. Does nothing in a normal run.
#[test]
fn crash_child_serves_until_killed() {
    let Some(args) = std::env::var_os(SERVE_CHILD) else { return };
    let args = args.into_string().expect("arguments are UTF-8");
    // A parent that dies without killing its server closes this pipe; the server goes with it.
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(3);
    });
    // The server's log goes to the child's stderr, the file its parent keeps (`ServeProcess::log`).
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
        .try_init();
    let argv = ["wharf", "serve"].into_iter().map(str::to_owned).chain(args.lines().map(str::to_owned));
    let mut stdout = std::io::stdout();
    if let Err(failure) = wharf::run::execute(argv, &mut stdout) {
        panic!("wharf serve failed: {:#}", failure.error);
    }
}

/// Registers [`FABRIKAM`] (data management in `usmf`) and [`OPS`] (admin of every company)
/// with `auth`; their secrets by id.
pub(crate) fn register_clients(auth: &Auth) -> HashMap<String, String> {
    [(FABRIKAM, Role::DataManagement, Companies::Only(["usmf".to_owned()].into())), (OPS, Role::Admin, Companies::All)]
        .into_iter()
        .map(|(id, role, companies)| {
            let registration = NewClient {
                id: Some(id.to_owned()),
                name: id.to_owned(),
                roles: [role].into(),
                companies,
                enabled: true,
            };
            let (_, secret) = auth.add_client(registration).expect("the client registers");
            (id.to_owned(), secret)
        })
        .collect()
}

/// A `wharf serve` process over a deployment of its own, on a port chosen once so that its
/// URL (the tokens' issuer and audience) stays the same across restarts.
pub(crate) struct ServeProcess {
    pub(crate) dir: tempfile::TempDir,
    url: String,
    port: u16,
    pub(crate) config: Option<PathBuf>,
    /// The PostgreSQL database it shares with other replicas (`--database`), if any.
    pub(crate) database: Option<String>,
    /// The [`FAULT`] point of the next start, if any.
    pub(crate) fault: Option<&'static str>,
    pub(crate) secrets: HashMap<String, String>,
    pub(crate) http: reqwest::blocking::Client,
    child: Option<Child>,
    starts: usize,
}

impl ServeProcess {
    /// Enqueues the example setup package (groups and customers) to its job with `token`.
    pub(crate) fn enqueue_setup_package(&self, token: &str) -> reqwest::blocking::Response {
        let package = std::fs::read(self.dir.path().join("samples/contoso-setup.zip")).expect("the sample package");
        self.http
            .post(self.at(&format!("/api/connector/enqueue/{SETUP_JOB}")))
            .bearer_auth(token)
            .body(package)
            .send()
            .expect("enqueue answers")
    }

    /// Prepares a copy of the example deployment (jobs on 100 ms recurrences), lets `edit`
    /// change it, and registers [`FABRIKAM`] and [`OPS`] with the server's URL as issuer and
    /// audience. Does not start the server.
    pub(crate) fn prepare(edit: impl FnOnce(&Path)) -> ServeProcess {
        let (dir, deployment) = deployment();
        drop(deployment);
        copy_jobs(dir.path());
        edit(dir.path());
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let data = dir.path().join("data");
        let settings = AuthSettings { issuer: url.clone(), audience: url.clone(), ..AuthSettings::default() };
        let backend = wharf::backend::Backend::Sqlite;
        let auth = Auth::open(&backend, &data.join("server.db"), &data.join("keys").join("signing.pem"), settings)
            .expect("the auth state opens");
        let secrets = register_clients(&auth);
        drop(auth);
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().expect("a client");
        ServeProcess {
            dir,
            url,
            port,
            config: None,
            database: None,
            fault: None,
            secrets,
            http,
            child: None,
            starts: 0,
        }
    }

    /// Starts `wharf serve` and waits for its `listening on` line.
    pub(crate) fn start(&mut self) {
        assert!(self.child.is_none(), "the server is already running");
        self.starts += 1;
        let mut args = vec![
            "--deployment".to_owned(),
            self.dir.path().display().to_string(),
            "--listen".to_owned(),
            format!("127.0.0.1:{}", self.port),
            "--public-url".to_owned(),
            self.url.clone(),
        ];
        if let Some(config) = &self.config {
            args.extend(["--config".to_owned(), config.display().to_string()]);
        }
        if let Some(database) = &self.database {
            args.extend(["--database".to_owned(), database.clone()]);
        }
        let log = self.log();
        let mut command = Command::new(std::env::current_exe().expect("the test binary"));
        match self.fault {
            Some(point) => command.env(FAULT, point),
            None => command.env_remove(FAULT),
        };
        let mut child = command
            .args(["--exact", "crashes::crash_child_serves_until_killed", "--nocapture", "--test-threads=1"])
            .env(SERVE_CHILD, args.join("\n"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("the server process starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines, listening) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Reads to the end, so the child never blocks on a full pipe.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest may have written the test's name on the same line first.
                if let Some(start) = line.find("listening on ") {
                    let _ = lines.send(line[start..].to_owned());
                }
            }
        });
        self.child = Some(child);
        match listening.recv_timeout(Duration::from_secs(120)) {
            Ok(line) => assert!(
                line.starts_with(&format!("listening on {} ", self.url)),
                "the server listens elsewhere: {line}"
            ),
            Err(_) => {
                self.kill();
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("the server did not start; its log:\n{log}");
            }
        }
    }

    /// SIGKILL, then waits for the process to be gone.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill -9");
            child.wait().expect("the killed server is reaped");
        }
    }

    /// Freezes the process (SIGSTOP) without closing its connections, as a long pause of the
    /// whole machine or the garbage collector of another runtime would.
    pub(crate) fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused process run again (SIGCONT).
    pub(crate) fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("the server is running");
        let status = Command::new("kill").arg(signal).arg(child.id().to_string()).status().expect("kill runs");
        assert!(status.success(), "kill {signal} {} failed", child.id());
    }

    pub(crate) fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The stderr of the latest start.
    pub(crate) fn log(&self) -> PathBuf {
        self.dir.path().join(format!("serve-{}.log", self.starts))
    }

    pub(crate) fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// A token for client `id` from the server's v2 token endpoint.
    pub(crate) fn token(&self, id: &str) -> String {
        let response = self
            .http
            .post(self.at("/tenant/oauth2/v2.0/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", &self.secrets[id]),
                ("scope", &format!("{}/.default", self.url)),
            ])
            .send()
            .expect("the token endpoint answers");
        assert_eq!(response.status(), 200, "token for {id}");
        let body: Value = response.json().expect("a token response");
        body["access_token"].as_str().expect("an access token").to_owned()
    }

    /// The status of message `id` through the package API's `GetMessageStatus`.
    pub(crate) fn message_status(&self, token: &str, id: &str) -> String {
        let response = self
            .http
            .post(self.at("/data/DataManagementDefinitionGroups/Microsoft.Dynamics.DataEntities.GetMessageStatus"))
            .bearer_auth(token)
            .json(&json!({ "messageId": id }))
            .send()
            .expect("GetMessageStatus answers");
        assert_eq!(response.status(), 200, "GetMessageStatus of {id}");
        let body: Value = response.json().expect("JSON");
        body["value"].as_str().expect("a status").to_owned()
    }

    /// Message `id` as the management API shows it.
    pub(crate) fn message(&self, admin: &str, id: &str) -> Value {
        let response =
            self.http.get(self.at(&format!("/manage/messages/{id}"))).bearer_auth(admin).send().expect("answers");
        assert_eq!(response.status(), 200, "message {id}");
        response.json().expect("JSON")
    }

    /// Waits until `check` holds, for at most `seconds`.
    pub(crate) fn wait_for(&self, what: &str, seconds: u64, mut check: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while !check() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

/// SplitMix64: small, seedable, good enough to pick kill times.
pub(crate) struct Random(u64);

impl Random {
    /// Seeded from `WHARF_CRASH_SEED`, else from the clock; prints the seed either way.
    fn from_env(test: &str) -> Random {
        Random::from_var("WHARF_CRASH_SEED", test)
    }

    /// Seeded from the variable `var`, else from the clock; prints the seed either way.
    pub(crate) fn from_var(var: &str, test: &str) -> Random {
        let seed = std::env::var(var).ok().and_then(|seed| seed.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_nanos() as u64
        });
        eprintln!("{test}: seed {seed} ({var}={seed} repeats it)");
        Random(seed)
    }

    /// A generator of its own for a thread, derived from this one's next number.
    pub(crate) fn split(&mut self) -> Random {
        Random(self.next())
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut value = self.0;
        value = (value ^ (value >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        value = (value ^ (value >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        value ^ (value >> 31)
    }

    /// Uniform in `0..bound`.
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    /// Uniform in `low..high` milliseconds.
    pub(crate) fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low))
    }
}

/// One row of `queue_messages`, as read from the database file after a kill.
#[derive(Debug)]
pub(crate) struct StoredMessage {
    pub(crate) external_id: Option<String>,
    in_file: bool,
    size: u64,
    inline_size: Option<u64>,
}

/// Every message of `activity` in the server database at `path`, after checking the file's
/// integrity. The server must not be running.
pub(crate) fn stored_messages(path: &Path, activity: &str) -> HashMap<String, StoredMessage> {
    let database = wharf::jobs::Database::open(path).expect("the server database opens after a kill");
    let integrity = database
        .read(|connection| {
            let mut statement = connection.prepare("PRAGMA integrity_check")?;
            let problems = statement.query_map([], |row| row.get::<_, String>(0))?;
            Ok(problems.collect::<Result<Vec<_>, _>>()?)
        })
        .expect("integrity_check runs");
    assert_eq!(integrity, ["ok"], "PRAGMA integrity_check of the server database");
    let messages = database
        .read(|connection| {
            let mut statement = connection.prepare(
                "SELECT id, external_id, body IS NULL, body_size, length(body) FROM queue_messages WHERE activity = ?1",
            )?;
            let rows = statement.query_map([activity], |row| {
                let message = StoredMessage {
                    external_id: row.get(1)?,
                    in_file: row.get(2)?,
                    size: row.get::<_, i64>(3)? as u64,
                    inline_size: row.get::<_, Option<i64>>(4)?.map(|size| size as u64),
                };
                Ok((row.get::<_, String>(0)?, message))
            })?;
            Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
        })
        .expect("the messages read");
    database.close();
    messages
}

/// The names of the entries of `dir`.
pub(crate) fn names(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

/// An enqueue the server answered with 200.
#[derive(Debug, Clone)]
struct Answered {
    external_id: String,
    message: String,
    size: u64,
}

/// What one client thread saw before the server died.
#[derive(Debug, Default)]
struct Stream {
    answered: Vec<Answered>,
    /// Answers other than 200, which no healthy server gives here.
    refused: Vec<String>,
}

/// Enqueues to [`SLOW_JOB`] until a request fails (the server was killed) or `stop` is set.
/// Every eighth body is about 400 kB, over the inline limit, so it goes to a file.
fn enqueue_until_killed(server_url: &str, token: &str, round: usize, thread: usize, stop: &AtomicBool) -> Stream {
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().expect("a client");
    let url = format!("{server_url}/api/connector/enqueue/{SLOW_JOB}?entity=Customer%20groups");
    let mut stream = Stream::default();
    for request in 0usize.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let external_id = format!("crash-{round}-{thread}-{request}");
        let mut body = String::from("CustomerGroupId,Description\r\n");
        if request % 8 == 7 {
            let mut line = 0;
            while body.len() < 400_000 {
                body.push_str(&format!("L{thread}{line:06},{external_id} padding padding padding padding\r\n"));
                line += 1;
            }
        } else {
            body.push_str(&format!("T{thread}{:06},{external_id}\r\n", request % 1_000_000));
        }
        let size = body.len() as u64;
        let response = http
            .post(&url)
            .bearer_auth(token)
            .header("x-ms-dyn-externalidentifier", &external_id)
            .header("content-type", "text/csv")
            .body(body)
            .send();
        let Ok(response) = response else { break };
        let status = response.status();
        let Ok(text) = response.text() else { break };
        if status == 200 {
            let message = text.trim_matches('"').to_owned();
            stream.answered.push(Answered { external_id, message, size });
        } else {
            stream.refused.push(format!("{external_id}: {status} {text}"));
        }
    }
    stream
}

#[test]
fn every_enqueue_answered_before_a_kill_survives_it_whole_and_a_restart_sweeps_the_rest() {
    let mut random = Random::from_env("enqueue kills");
    let rounds: usize = std::env::var("WHARF_SOAK").ok().and_then(|rounds| rounds.parse().ok()).unwrap_or(3);
    let mut server = ServeProcess::prepare(|dir| {
        let job = format!(
            "activity = \"{SLOW_JOB}\"\nname = \"Crash groups\"\nproject = \"Customer groups\"\ndirection = \"import\"\n\
             mode = \"file\"\nentity = \"Customer groups\"\nprocessing = \"1h\"\nmonitoring = \"1h\"\nin_order = true\n\n\
             [[authorized]]\nclient = \"{FABRIKAM}\"\n"
        );
        std::fs::write(dir.join("jobs/crash-groups.toml"), job).expect("write the job");
    });
    let (database, bodies, incoming) =
        (server.data().join("server.db"), server.data().join("queue/bodies"), server.data().join("queue/incoming"));
    server.start();
    // Tokens outlive restarts: the signing key is kept in the data directory.
    let token = server.token(FABRIKAM);
    let mut every: Vec<Answered> = Vec::new();
    let mut large = 0;
    let mut leftovers: Vec<PathBuf> = Vec::new();
    for round in 0..rounds {
        if round > 0 {
            server.start();
            for leftover in &leftovers {
                assert!(!leftover.exists(), "round {round}: start-up did not sweep {}", leftover.display());
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let streams: Vec<_> = (0..4)
            .map(|thread| {
                let (url, token, stop) = (server.url.clone(), token.clone(), stop.clone());
                std::thread::spawn(move || enqueue_until_killed(&url, &token, round, thread, &stop))
            })
            .collect();
        let delay = random.millis(150, 1500);
        std::thread::sleep(delay);
        server.kill();
        stop.store(true, Ordering::Relaxed);
        let streams: Vec<Stream> = streams.into_iter().map(|thread| thread.join().expect("a client thread")).collect();
        let refused: Vec<&String> = streams.iter().flat_map(|stream| &stream.refused).collect();
        assert!(refused.is_empty(), "round {round}: enqueues refused before the kill: {refused:?}");
        let answered: Vec<Answered> = streams.into_iter().flat_map(|stream| stream.answered).collect();
        assert!(!answered.is_empty(), "round {round}: nothing was answered in {delay:?}");
        large += answered.iter().filter(|answer| answer.size > 256 * 1024).count();
        every.extend(answered.iter().cloned());

        let stored = stored_messages(&database, SLOW_JOB);
        for answer in &every {
            let message = stored.get(&answer.message).unwrap_or_else(|| {
                panic!(
                    "round {round}: message {} of enqueue {} answered 200 but is gone",
                    answer.message, answer.external_id
                )
            });
            assert_eq!(message.external_id.as_deref(), Some(answer.external_id.as_str()), "{}", answer.message);
            assert_eq!(message.size, answer.size, "size of {}", answer.message);
        }
        let mut seen = HashSet::new();
        for (id, message) in &stored {
            let external_id = message.external_id.as_deref().expect("every enqueue here has an external id");
            assert!(seen.insert(external_id), "round {round}: enqueue {external_id} is stored twice");
            if message.in_file {
                let file = std::fs::metadata(bodies.join(id))
                    .unwrap_or_else(|_| panic!("round {round}: message {id} has neither an inline body nor a file"));
                assert_eq!(file.len(), message.size, "round {round}: the body file of {id} is incomplete");
            } else {
                assert_eq!(message.inline_size, Some(message.size), "round {round}: the inline body of {id}");
            }
        }
        let named: HashSet<&String> = stored.iter().filter(|(_, message)| message.in_file).map(|(id, _)| id).collect();
        let unnamed: Vec<PathBuf> =
            names(&bodies).into_iter().filter(|name| !named.contains(name)).map(|name| bodies.join(name)).collect();
        let partial: Vec<PathBuf> = names(&incoming).into_iter().map(|name| incoming.join(name)).collect();
        eprintln!(
            "round {round}: killed after {delay:?}; {} enqueues answered, {} messages stored in all; \
             left for the sweep: {} body files no row names, {} partial uploads",
            answered.len(),
            stored.len(),
            unnamed.len(),
            partial.len()
        );
        leftovers = unnamed.into_iter().chain(partial).collect();
    }
    assert!(large > 0, "no large body was answered in {rounds} rounds: the file path went untested");

    server.start();
    for leftover in &leftovers {
        assert!(!leftover.exists(), "start-up did not sweep {}", leftover.display());
    }
    let response = server
        .http
        .post(server.at(&format!("/api/connector/enqueue/{SLOW_JOB}")))
        .bearer_auth(&token)
        .body("CustomerGroupId,Description\r\nAFTER,after the kills\r\n")
        .send()
        .expect("enqueue answers");
    assert_eq!(response.status(), 200, "the restarted server takes enqueues");
}

/// Rows in the large message of the processing test; keys are unique.
const LARGE_ROWS: usize = 200_000;

#[test]
fn a_message_killed_mid_import_is_processed_again_and_each_row_lands_once() {
    let mut random = Random::from_env("processing kill");
    let mut server = ServeProcess::prepare(|_| {});
    server.start();
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let mut text = String::from("CustomerGroupId,Description\r\n");
    for index in 0..LARGE_ROWS {
        text.push_str(&format!("K{index:07},Crash group {index}\r\n"));
    }
    let response = server
        .http
        .post(server.at(&format!("/api/connector/enqueue/{GROUPS_JOB}")))
        .bearer_auth(&token)
        .body(text)
        .send()
        .expect("enqueue answers");
    assert_eq!(response.status(), 200);
    let id = response.text().expect("a message id").trim_matches('"').to_owned();
    server.wait_for("processing to start", 30, || server.message_status(&token, &id) == "Processing");
    std::thread::sleep(random.millis(50, 400));
    server.kill();

    let store = wharf::store::Store::open(&server.data().join("wharf.db")).expect("the store opens after a kill");
    store.check_integrity().expect("the store is intact");
    let deployment = wharf::deployment::Deployment::open(server.dir.path(), None).expect("the deployment opens");
    let entity = deployment.pipeline.catalog.require("CustomerGroup").expect("entity").clone();
    let at_kill = deployment.pipeline.store.count(&entity, None).expect("count");
    drop((store, deployment));
    eprintln!("{at_kill} of {LARGE_ROWS} rows were written when the server was killed");
    assert!(at_kill < LARGE_ROWS as u64, "the import finished before the kill; the test needs a shorter delay");

    server.start();
    server.wait_for("the message to be processed again", 120, || {
        let status = server.message_status(&token, &id);
        assert!(["Enqueued", "Processing", "Processed"].contains(&status.as_str()), "message {id} is {status}");
        status == "Processed"
    });
    let message = server.message(&admin, &id);
    assert_eq!(message["RetryCount"], 2, "one interrupted attempt and one whole one: {message}");
    assert_eq!(message["TotalRecords"], LARGE_ROWS, "{message}");
    server.kill();

    let deployment = wharf::deployment::Deployment::open(server.dir.path(), None).expect("the deployment opens");
    let groups = rows(&deployment, "CustomerGroup");
    assert_eq!(groups.len(), LARGE_ROWS, "every row once, none twice");
    let keys: HashSet<&str> = groups
        .iter()
        .filter_map(|row| row.split(' ').find_map(|field| field.strip_prefix("CustomerGroupId=")))
        .collect();
    assert_eq!(keys.len(), LARGE_ROWS, "no key is repeated");
    assert!(keys.contains("K0000000") && keys.contains(format!("K{:07}", LARGE_ROWS - 1).as_str()));
}

#[test]
fn an_ack_with_a_receipt_from_before_a_redelivery_is_refused_after_a_restart_and_the_newest_one_works() {
    let mut server = ServeProcess::prepare(|dir| {
        std::fs::write(dir.join("server.toml"), "[jobs]\nvisibility_timeout = \"500ms\"\n").expect("write the config");
    });
    server.config = Some(server.dir.path().join("server.toml"));
    server.start();
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let response = server.enqueue_setup_package(&token);
    assert_eq!(response.status(), 200, "the customers arrive, so the export job queues a file");
    let dequeue = |server: &ServeProcess| {
        let response = server
            .http
            .get(server.at(&format!("/api/connector/dequeue/{CUSTOMERS_EXPORT_JOB}")))
            .bearer_auth(&token)
            .send()
            .expect("dequeue answers");
        match response.status().as_u16() {
            200 => Some(response.json::<Value>().expect("a dequeue answer")),
            204 => None,
            status => panic!("dequeue answered {status}"),
        }
    };
    let mut first = None;
    server.wait_for("an export to dequeue", 60, || {
        first = dequeue(&server);
        first.is_some()
    });
    let first = first.expect("a first delivery");
    // D365's empty date on a first delivery: its clients read the member as a non-nullable date.
    assert_eq!(first["LastDequeueDateTime"], "1900-01-01T00:00:00Z", "{first}");
    assert!(dequeue(&server).is_none(), "a leased message is hidden");
    std::thread::sleep(Duration::from_millis(700));
    let second = dequeue(&server).expect("the lease ran out: the message is delivered again");
    assert_eq!(second["CorrelationId"], first["CorrelationId"], "the same message");
    assert_ne!(second["PopReceipt"], first["PopReceipt"], "with a new receipt");
    assert_ne!(second["LastDequeueDateTime"], first["LastDequeueDateTime"], "{second}");
    assert!(second["LastDequeueDateTime"].is_string(), "{second}");
    let id = first["CorrelationId"].as_str().expect("a message id").to_owned();

    server.kill();
    server.start();
    let ack = |server: &ServeProcess, delivery: &Value| {
        server
            .http
            .post(server.at(&format!("/api/connector/ack/{CUSTOMERS_EXPORT_JOB}")))
            .bearer_auth(&token)
            .json(delivery)
            .send()
            .expect("ack answers")
            .status()
            .as_u16()
    };
    assert_eq!(ack(&server, &first), 400, "the first receipt went stale with the redelivery, and stays stale");
    let message = server.message(&admin, &id);
    assert_eq!(
        (message["Status"].as_str(), message["DequeueCount"].as_u64()),
        (Some("Dequeued"), Some(2)),
        "{message}"
    );
    assert_eq!(ack(&server, &second), 200, "the newest receipt survived the kill");
    assert_eq!(ack(&server, &second), 200, "acking again with the current receipt changes nothing");
    let message = server.message(&admin, &id);
    assert_eq!(message["Status"], "Acked", "{message}");
    assert_eq!(message["AckUser"], FABRIKAM, "{message}");
    if let Some(next) = dequeue(&server) {
        assert_ne!(next["CorrelationId"], first["CorrelationId"], "an acknowledged message is not delivered again");
    }
}

/// Every message of `activity` a client can dequeue now, each downloaded and acknowledged:
/// the bodies, in order.
fn dequeue_all(server: &ServeProcess, token: &str, activity: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let response = server
            .http
            .get(server.at(&format!("/api/connector/dequeue/{activity}")))
            .bearer_auth(token)
            .send()
            .expect("dequeue answers");
        match response.status().as_u16() {
            204 => return bodies,
            200 => {}
            status => panic!("dequeue answered {status}"),
        }
        let message: Value = response.json().expect("a dequeue answer");
        let location = message["DownloadLocation"].as_str().expect("a download location");
        let download = server.http.get(location).bearer_auth(token).send().expect("the download answers");
        assert_eq!(download.status(), 200, "download of {message}");
        bodies.push(download.text().expect("a body"));
        let ack = server
            .http
            .post(server.at(&format!("/api/connector/ack/{activity}")))
            .bearer_auth(token)
            .json(&message)
            .send()
            .expect("ack answers");
        assert_eq!(ack.status(), 200, "ack of {message}");
    }
}

/// The completed executions of project `project` the management API lists.
fn completed_executions(server: &ServeProcess, admin: &str, project: &str) -> usize {
    let response =
        server.http.get(server.at("/manage/executions?limit=1000")).bearer_auth(admin).send().expect("answers");
    assert_eq!(response.status(), 200, "the executions");
    let body: Value = response.json().expect("JSON");
    let executions = body["value"].as_array().expect("a list of executions");
    executions.iter().filter(|execution| execution["project"] == project && !execution["completed"].is_null()).count()
}

/// The `CustomerAccount`s of the usmf customers in the store; the server must not be running.
fn usmf_customers(server: &ServeProcess) -> Vec<String> {
    let deployment = wharf::deployment::Deployment::open(server.dir.path(), None).expect("the deployment opens");
    let mut accounts: Vec<String> = rows(&deployment, "Customer")
        .iter()
        .filter(|row| row.split(' ').any(|field| field.eq_ignore_ascii_case("dataAreaId=usmf")))
        .filter_map(|row| row.split(' ').find_map(|field| field.strip_prefix("CustomerAccount=")).map(str::to_owned))
        .collect();
    accounts.sort();
    accounts
}

#[test]
fn an_export_killed_between_its_watermark_and_its_message_delivers_every_row_exactly_once() {
    // Killed between the two commits of an export, in either order they could run: the
    // watermark before the message, and the message before the watermark.
    for point in ["export-before-queue", "export-after-queue"] {
        let mut server = ServeProcess::prepare(|_| {});
        server.fault = Some(point);
        server.start();
        let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
        let response = server.enqueue_setup_package(&token);
        assert_eq!(response.status(), 200, "the customers arrive, so the export job finds rows");
        let import = response.text().expect("a message id").trim_matches('"').to_owned();
        let stopped = format!("{FAULT}: stopped at {point}");
        server.wait_for(&format!("the export to reach {point}"), 120, || {
            std::fs::read_to_string(server.log()).is_ok_and(|log| log.contains(&stopped))
        });
        server.kill();

        server.fault = None;
        server.start();
        server.wait_for("the import to be processed", 120, || server.message_status(&token, &import) == "Processed");
        // Three whole exports after the import: every row it wrote is in a message by then.
        let before = completed_executions(&server, &admin, "Customers export");
        server.wait_for("three more exports", 120, || {
            completed_executions(&server, &admin, "Customers export") >= before + 3
        });
        let bodies = dequeue_all(&server, &token, CUSTOMERS_EXPORT_JOB);
        server.kill();

        let mut exported = Vec::new();
        for body in &bodies {
            let mut lines = body.lines();
            let header = lines.next().unwrap_or_default();
            // The columns before the key hold no commas (the company, if any), so a split finds it.
            let key = header.split(',').position(|column| column == "CustomerAccount");
            let key = key.unwrap_or_else(|| panic!("{point}: no CustomerAccount column in {header}"));
            let accounts =
                lines.filter(|line| !line.is_empty()).map(|line| line.split(',').nth(key).unwrap_or_default());
            exported.extend(accounts.map(str::to_owned));
        }
        exported.sort();
        let expected = usmf_customers(&server);
        assert!(!expected.is_empty(), "{point}: the sample has usmf customers");
        assert_eq!(exported, expected, "{point}: each usmf customer exported once, in {} messages", bodies.len());
    }
}
