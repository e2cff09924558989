//! Scale-out under faults: three `wharf serve` replicas share one PostgreSQL database while
//! client threads enqueue, poll job status, dequeue and ack through all of them at random;
//! replicas are killed and restarted, frozen past their leases, and the database is crashed
//! and restarted. Every call is recorded; once the replicas settle, [`checker`] holds the
//! history and the database's rows (the queue's and the entity store's) to their promises.
//!
//! Every random choice comes from one seed, printed; `WHARF_SCALEOUT_SEED` repeats a run, and
//! `WHARF_SCALEOUT_ROUNDS=N` makes N faults instead of three (one of each kind).

mod checker;

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use wharf::auth::{Auth, AuthSettings};
use wharf::backend::testing::Cluster;
use wharf::backend::{Backend, Postgres};

use self::checker::{Call, Request, Rule, Stored, StoredMessage};
use crate::crashes::{Random, ServeProcess, names};
use crate::server::{CUSTOMERS_EXPORT_JOB, FABRIKAM, GROUPS_JOB, OPS};

/// Replicas sharing the database.
const REPLICAS: usize = 3;
/// Client threads making the load.
const CLIENTS: usize = 4;
/// How long a dequeued export stays hidden, and how long a replica holds a message it
/// processes without renewing its lease: short, so redeliveries happen within the run.
const LEASE: Duration = Duration::from_secs(1);
/// How long a client waits for an answer: a frozen replica's calls end up unanswered.
const CALL_TIMEOUT: Duration = Duration::from_secs(4);
/// The load runs at least this long, however few the faults, so that leases lapse and
/// messages are delivered again within it.
const LOAD: Duration = Duration::from_secs(8);
/// Rows of the large documents, which take long enough to import that a fault can land in
/// the middle of one.
const LARGE_ROWS: usize = 1000;

/// A fault the run makes at a random point.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// `kill -9` of a replica, then a restart over its data directory.
    Kill,
    /// SIGSTOP of a replica for longer than a lease, then SIGCONT.
    Freeze,
    /// `pg_ctl stop -m immediate` of the database, then a start that recovers from its log.
    RestartDatabase,
}

/// The server configuration of every replica: two workers, short leases, quick ticks.
fn server_toml() -> String {
    let lease = format!("{}ms", LEASE.as_millis());
    format!("[jobs]\nworkers = 2\ntick = \"50ms\"\nvisibility_timeout = \"{lease}\"\nlease = \"{lease}\"\n")
}

/// A replica of the example deployment whose customers export produces a file twice a second
/// (between all replicas), changed customers or not, so that there is always something to
/// dequeue; its jobs look for interrupted messages every second rather than every minute.
fn replica(database: &str) -> ServeProcess {
    let mut server = ServeProcess::prepare(|dir| {
        for entry in std::fs::read_dir(dir.join("jobs")).expect("the jobs") {
            let job = entry.expect("a job").path();
            let text = std::fs::read_to_string(&job).expect("a job");
            std::fs::write(&job, text.replace("monitoring = \"1m\"", "monitoring = \"1s\"")).expect("write a job");
        }
        let job = dir.join("jobs/customers-export.toml");
        let text = std::fs::read_to_string(&job).expect("the export job");
        let text = text
            .replace("skip_when_empty = true", "skip_when_empty = false")
            .replace("processing = \"100ms\"", "processing = \"500ms\"");
        std::fs::write(&job, text).expect("write the export job");
        let project = dir.join("projects/customers-export.toml");
        let text = std::fs::read_to_string(&project).expect("the export project");
        let text = text.replace("skip_when_empty = true", "skip_when_empty = false");
        std::fs::write(&project, text).expect("write the export project");
        std::fs::write(dir.join("server.toml"), server_toml()).expect("write the server configuration");
    });
    server.config = Some(server.dir.path().join("server.toml"));
    server.database = Some(database.to_owned());
    server
}

/// Registers the test's clients once, in the database the replicas share, and returns their
/// secrets.
fn register_clients(database: &str) -> HashMap<String, String> {
    let postgres = Postgres::connect_blocking(database, 2).expect("the test connects to its database");
    let dir = tempfile::tempdir().expect("a directory");
    let auth = Auth::open(
        &Backend::Postgres(postgres),
        &dir.path().join("server.db"),
        &dir.path().join("signing.pem"),
        // Registering issues no token: any issuer will do.
        AuthSettings { issuer: "wharf".into(), audience: "wharf".into(), ..AuthSettings::default() },
    )
    .expect("the shared clients open");
    crate::crashes::register_clients(&auth)
}

/// A replica as a client sees it: where it is, and a token it issued.
#[derive(Debug, Clone)]
struct Endpoint {
    url: String,
    token: String,
}

/// One client thread's calls, made until `stop` is set.
struct Client {
    index: usize,
    random: Random,
    endpoints: Vec<Endpoint>,
    http: reqwest::blocking::Client,
    began: Instant,
    history: Vec<Call>,
    /// Documents this client enqueued (external id and body), for repeats.
    documents: Vec<(String, String)>,
    /// Message ids its enqueues were answered with, for status polls.
    messages: Vec<String>,
    /// Deliveries it holds without acking: acked once their lease has lapsed, so that most
    /// were delivered again in between and their receipts are stale.
    held: Vec<(String, String, Instant)>,
}

impl Client {
    fn run(mut self, stop: &AtomicBool) -> Vec<Call> {
        while !stop.load(Ordering::Relaxed) {
            match self.random.below(10) {
                0..4 => self.enqueue(),
                4..6 => self.poll(),
                _ => self.dequeue(),
            }
            std::thread::sleep(self.random.millis(5, 30));
        }
        self.history
    }

    /// Sends `request` to a replica picked at random and records the call.
    fn call(&mut self, request: Request) -> Call {
        let replica = self.random.below(self.endpoints.len());
        let call = make_call(&self.http, self.index, replica, &self.endpoints[replica], request, self.began);
        self.history.push(call.clone());
        call
    }

    /// A new document (one in sixteen large), or now and then one sent before (a client
    /// repeating an enqueue whose answer it lost).
    fn enqueue(&mut self) {
        let (external_id, body) = if !self.documents.is_empty() && self.random.below(4) == 0 {
            self.documents[self.random.below(self.documents.len())].clone()
        } else {
            let number = self.documents.len();
            let external_id = format!("scaleout-{}-{number}", self.index);
            let rows = if self.random.below(16) == 0 { LARGE_ROWS } else { 1 + self.random.below(3) };
            let mut body = String::from("CustomerGroupId,Description\r\n");
            for row in 0..rows {
                // Keys unique across documents, in the entity's 10 characters.
                body.push_str(&format!("S{}{number:04}{row:04},{external_id} row {row}\r\n", self.index));
            }
            self.documents.push((external_id.clone(), body.clone()));
            (external_id, body)
        };
        let request = Request::Enqueue { activity: GROUPS_JOB.to_owned(), external_id, body };
        let call = self.call(request);
        if call.status == Some(200) {
            self.messages.push(call.body.trim().trim_matches('"').to_owned());
        }
    }

    fn poll(&mut self) {
        if self.messages.is_empty() {
            return self.enqueue();
        }
        let message = self.messages[self.random.below(self.messages.len())].clone();
        self.call(Request::Status { activity: GROUPS_JOB.to_owned(), message });
    }

    /// A dequeue, acked at once most of the time, else held; or a late ack of a held one.
    fn dequeue(&mut self) {
        let lapsed = self.held.iter().position(|(_, _, since)| since.elapsed() > LEASE + LEASE / 2);
        if let Some(index) = lapsed {
            let (message, receipt, _) = self.held.swap_remove(index);
            self.call(Request::Ack { activity: CUSTOMERS_EXPORT_JOB.to_owned(), message, receipt });
            return;
        }
        let call = self.call(Request::Dequeue { activity: CUSTOMERS_EXPORT_JOB.to_owned() });
        if call.status != Some(200) {
            return;
        }
        let Ok(answer) = serde_json::from_str::<Value>(&call.body) else { return };
        let (Some(message), Some(receipt)) = (answer["CorrelationId"].as_str(), answer["PopReceipt"].as_str()) else {
            return;
        };
        let (message, receipt) = (message.to_owned(), receipt.to_owned());
        if self.random.below(4) == 0 {
            self.held.push((message, receipt, Instant::now()));
        } else {
            self.call(Request::Ack { activity: CUSTOMERS_EXPORT_JOB.to_owned(), message, receipt });
        }
    }
}

/// Sends `request` to `endpoint` (replica `replica`) for client `client`, and what came of it.
fn make_call(
    http: &reqwest::blocking::Client,
    client: usize,
    replica: usize,
    endpoint: &Endpoint,
    request: Request,
    began: Instant,
) -> Call {
    let url = &endpoint.url;
    let builder = match &request {
        Request::Enqueue { activity, external_id, body } => http
            .post(format!("{url}/api/connector/enqueue/{activity}?entity=Customer%20groups"))
            .header("x-ms-dyn-externalidentifier", external_id)
            .header("content-type", "text/csv")
            .body(body.clone()),
        Request::Status { activity, message } => {
            http.get(format!("{url}/api/connector/jobstatus/{activity}?jobId={message}"))
        }
        Request::Dequeue { activity } => http.get(format!("{url}/api/connector/dequeue/{activity}")),
        Request::Ack { activity, message, receipt } => http
            .post(format!("{url}/api/connector/ack/{activity}"))
            .json(&serde_json::json!({ "CorrelationId": message, "PopReceipt": receipt })),
        Request::Executions { limit, offset } => {
            http.get(format!("{url}/manage/executions?limit={limit}&offset={offset}"))
        }
    };
    let sent = began.elapsed().as_millis() as u64;
    let answer = builder.bearer_auth(&endpoint.token).send().and_then(|response| {
        let status = response.status().as_u16();
        Ok((status, response.text()?))
    });
    let answered = began.elapsed().as_millis() as u64;
    let (status, body) = match answer {
        Ok((status, body)) => (Some(status), body),
        Err(error) => (None, error.to_string()),
    };
    Call { client, replica, request, sent, answered, status, body }
}

/// Writes `history` to `path`, a call a line.
fn write_history(path: &std::path::Path, history: &[Call]) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("the history file"));
    for call in history {
        serde_json::to_writer(&mut file, call).expect("a call as JSON");
        file.write_all(b"\n").expect("the history file");
    }
    file.flush().expect("the history file");
}

/// Every execution replica `replica` lists, page by page, as calls for the history (made by
/// the test itself, client number [`CLIENTS`], after the clients' threads have ended).
fn list_executions(replica: usize, endpoint: &Endpoint, began: Instant) -> Vec<Call> {
    const PAGE: usize = 1000;
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().expect("an HTTP client");
    let mut calls = Vec::new();
    for offset in (0..).step_by(PAGE) {
        let call = make_call(&http, CLIENTS, replica, endpoint, Request::Executions { limit: PAGE, offset }, began);
        assert_eq!(call.status, Some(200), "the executions of replica {replica}: {}", call.body);
        let listed: Value = serde_json::from_str(&call.body).expect("JSON");
        let count = listed["value"].as_array().map_or(0, Vec::len);
        calls.push(call);
        if count < PAGE {
            break;
        }
    }
    calls
}

/// Every row of `queue_messages`, with its body's chunks joined, and the database's clock.
fn stored(postgres: &Postgres) -> Stored {
    postgres.block_on(async {
        let client = postgres.client().await.expect("a connection to the test's database");
        let rows = client
            .query(
                "SELECT m.id::text, m.activity::text, m.operation, m.external_id, m.status, m.visible_at, m.execution,
                        m.records,
                        (SELECT string_agg(b.data, ''::bytea ORDER BY b.chunk) FROM queue_bodies b
                          WHERE b.name = m.id::text)
                   FROM queue_messages m ORDER BY m.seq",
                &[],
            )
            .await
            .expect("the messages read");
        let messages = rows
            .iter()
            .map(|row| StoredMessage {
                id: row.get(0),
                activity: row.get(1),
                operation: row.get(2),
                external_id: row.get(3),
                status: row.get(4),
                visible_at: row.get(5),
                execution: row.get(6),
                records: row.get(7),
                body: row.get(8),
            })
            .collect();
        let rows = client
            .query(r#"SELECT "CustomerGroupId", "Description" FROM "entity_CustomerGroup""#, &[])
            .await
            .expect("the target table read")
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        let now = client.query_one("SELECT wharf_now_ms()", &[]).await.expect("the database's clock").get(0);
        Stored { messages, rows, now }
    })
}

/// Import messages not yet finished: enqueued, or taken by a replica.
fn unfinished_imports(postgres: &Postgres) -> Option<i64> {
    postgres.block_on(async {
        let client = postgres.client().await.ok()?;
        let sql = "SELECT count(*) FROM queue_messages
                    WHERE operation = 'Import' AND status IN ('Enqueued', 'Preprocessing', 'Processing')";
        client.query_one(sql, &[]).await.ok().map(|row| row.get(0))
    })
}

/// Every promise of the queue and the store, which the replicas share. An import's batches
/// and its execution's outcome commit only under its message's lease, so a replica frozen past
/// its lease writes nothing more when it wakes. One window is left: a replica that saved its
/// execution and froze before the queue recorded it as the message's outcome has the import
/// run again by another; its rows are the same rows (the target table is checked row by row).
/// Such a run is counted here, not failed (the strict test below).
#[test]
fn replicas_sharing_one_database_keep_every_queue_promise_through_kills_freezes_and_database_crashes() {
    scale_out(&[Rule::ImportRanTwice]);
}

/// The same, with no import run twice: what saving the execution and the message's outcome in
/// one transaction would keep.
#[test]
#[ignore = "a replica frozen between saving its execution and recording it as the message's \
            outcome has the import run again by another replica; rare, as the freeze must land in \
            that window (run with --ignored)"]
fn replicas_sharing_one_database_run_no_import_twice_through_kills_freezes_and_database_crashes() {
    scale_out(&[]);
}

/// Runs the load and the faults, and checks the history; violations of the `tolerated` rules
/// are counted and printed, not failed.
fn scale_out(tolerated: &[Rule]) {
    let mut random = Random::from_var("WHARF_SCALEOUT_SEED", "scaleout");
    let rounds: usize = std::env::var("WHARF_SCALEOUT_ROUNDS").ok().and_then(|rounds| rounds.parse().ok()).unwrap_or(3);
    let starting = Instant::now();
    let cluster = Cluster::start().expect("a PostgreSQL cluster for the test");
    let database = cluster.url();
    let mut replicas: Vec<ServeProcess> = (0..REPLICAS).map(|_| replica(&database)).collect();
    let secrets = register_clients(&database);
    for replica in &mut replicas {
        replica.secrets.clone_from(&secrets);
        replica.start();
    }
    let endpoints: Vec<Endpoint> =
        replicas.iter().map(|replica| Endpoint { url: replica.at(""), token: replica.token(FABRIKAM) }).collect();
    let admins: Vec<Endpoint> =
        replicas.iter().map(|replica| Endpoint { url: replica.at(""), token: replica.token(OPS) }).collect();
    eprintln!("scaleout: {REPLICAS} replicas started in {:?}", starting.elapsed());
    let record = tempfile::Builder::new().prefix("wharf-scaleout-").tempdir().expect("a directory for the history");
    let history_path = record.path().join("history.jsonl");

    let began = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|index| {
            let client = Client {
                index,
                random: random.split(),
                endpoints: endpoints.clone(),
                http: reqwest::blocking::Client::builder()
                    .timeout(CALL_TIMEOUT)
                    .connect_timeout(Duration::from_secs(1))
                    .build()
                    .expect("an HTTP client"),
                began,
                history: Vec::new(),
                documents: Vec::new(),
                messages: Vec::new(),
                held: Vec::new(),
            };
            let stop = stop.clone();
            std::thread::spawn(move || client.run(&stop))
        })
        .collect();

    // Each kind once in the first three rounds, in a random order; then any.
    let mut faults = [Fault::Kill, Fault::Freeze, Fault::RestartDatabase];
    for index in (1..faults.len()).rev() {
        faults.swap(index, random.below(index + 1));
    }
    for round in 0..rounds {
        std::thread::sleep(random.millis(300, 1500));
        let fault = faults.get(round).copied().unwrap_or_else(|| faults[random.below(faults.len())]);
        let target = random.below(REPLICAS);
        let at = began.elapsed().as_millis();
        match fault {
            Fault::Kill => {
                replicas[target].kill();
                std::thread::sleep(random.millis(100, 800));
                replicas[target].start();
            }
            Fault::Freeze => {
                replicas[target].pause();
                std::thread::sleep(LEASE * 2 + random.millis(0, 1000));
                replicas[target].resume();
            }
            Fault::RestartDatabase => cluster.restart_immediately().expect("the database restarts"),
        }
        let replica = if matches!(fault, Fault::RestartDatabase) { String::new() } else { format!(" of {target}") };
        eprintln!("scaleout: round {round}: {fault:?}{replica} at {at} ms, over at {} ms", began.elapsed().as_millis());
    }
    std::thread::sleep(LOAD.saturating_sub(began.elapsed()) + random.millis(300, 1000));
    stop.store(true, Ordering::Relaxed);
    let mut history: Vec<Call> =
        clients.into_iter().flat_map(|client| client.join().expect("a client thread")).collect();
    history.sort_by_key(|call| (call.sent, call.client));
    write_history(&history_path, &history);

    // Settled: every import finished, by whichever replica; then nothing changes the rows.
    let settling = Instant::now();
    let postgres = Postgres::connect_blocking(&database, 2).expect("the test connects to its database");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let unfinished = unfinished_imports(&postgres);
        if unfinished == Some(0) {
            break;
        }
        if Instant::now() > deadline {
            let record = record.keep();
            panic!(
                "{unfinished:?} imports are still unfinished 90 s after the load; the history is in {}",
                record.join("history.jsonl").display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("scaleout: the imports settled in {:?}", settling.elapsed());
    for (replica, admin) in admins.iter().enumerate() {
        history.extend(list_executions(replica, admin, began));
    }
    write_history(&history_path, &history);
    // Their logs go beside the history, kept with it when the check fails.
    for (index, replica) in replicas.iter_mut().enumerate() {
        replica.kill();
        for name in names(replica.dir.path()).into_iter().filter(|name| name.ends_with(".log")) {
            let to = record.path().join(format!("replica-{index}-{name}"));
            std::fs::copy(replica.dir.path().join(&name), to).expect("copy a replica's log");
        }
    }

    let stored = stored(&postgres);
    let mut report = checker::check(&history, &stored);
    eprintln!("scaleout: {} calls over {} rounds: {}", history.len(), rounds, report.counts);
    let (tolerated, violations) =
        report.violations.into_iter().partition::<Vec<_>, _>(|violation| tolerated.contains(&violation.rule));
    report.violations = violations;
    for violation in &tolerated {
        eprintln!("scaleout: tolerated: {violation}");
    }
    eprintln!("scaleout: {} imports ran twice (a replica froze after saving its execution)", tolerated.len());
    if !report.violations.is_empty() {
        let record = record.keep();
        let violations: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
        panic!(
            "{} broken promises; the history and the replicas' logs are in {}:\n{}",
            violations.len(),
            record.join("history.jsonl").display(),
            violations.join("\n")
        );
    }
    let counts = &report.counts;
    assert!(
        counts.enqueues > 0 && counts.outcomes > 0 && counts.dequeues > 0 && counts.acks > 0,
        "the load exercised too little to prove anything: {counts}; the history and the replicas' logs are in {}",
        record.keep().join("history.jsonl").display()
    );
}
