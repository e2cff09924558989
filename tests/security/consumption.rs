//! API4, unrestricted resource consumption: what a client can make the server spend without
//! credentials (argon2's memory on the token endpoint, connections held open) is bounded, the
//! server keeps answering while an attacker spends what it can, and what runs out anyway (the
//! disk) is answered so that clients come back.
//!
//! These tests speak HTTP over raw sockets, from as many loopback addresses as they need, so
//! that they control when each byte leaves.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};
use wharf::api::Limits;

use super::{get, odata_error, ok_json, post, send, upload_link};
use crate::server::{FABRIKAM, GROUPS_JOB, OPS, TestServer};

/// An HTTP answer, read off a raw connection.
#[derive(Debug)]
struct Answer {
    status: u16,
    /// Names lowercased.
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The whole seconds of `Retry-After`, asserting that there is one.
    fn retry_after(&self) -> u64 {
        let retry =
            self.header("retry-after").unwrap_or_else(|| panic!("{} without Retry-After: {self:?}", self.status));
        retry.parse().unwrap_or_else(|_| panic!("Retry-After {retry:?} is not whole seconds"))
    }
}

/// Parses a whole answer; the body is what follows the head (the tests ask for
/// `Connection: close`, so it ends with the connection).
fn parse(bytes: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no complete answer: {text:?}"));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status in {status_line:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Answer { status, headers, body: body.to_owned() }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime")
}

/// The address the server listens on.
fn address(server: &TestServer) -> SocketAddr {
    server.url.trim_start_matches("http://").parse().expect("a socket address")
}

/// A connection to `server` from `source`, a loopback address: the whole of 127.0.0.0/8 is
/// this machine's, so each address stands for another client.
async fn connect(server: SocketAddr, source: IpAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.bind(SocketAddr::new(source, 0)).unwrap_or_else(|error| panic!("cannot bind {source}: {error}"));
    socket.connect(server).await.unwrap_or_else(|error| panic!("cannot connect from {source}: {error}"))
}

/// Sends `request` on `stream` and reads the answer to the end of the connection.
async fn exchange(mut stream: TcpStream, request: &str) -> Answer {
    stream.write_all(request.as_bytes()).await.expect("the request is sent");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.expect("the answer is read");
    parse(&bytes)
}

/// A v2 token request for FABRIKAM with a wrong secret: every one costs the server an argon2
/// hash, as a guess does.
fn wrong_secret_request(server: &TestServer) -> String {
    let scope = format!("{}/.default", server.url);
    let body = format!(
        "grant_type=client_credentials&client_id={FABRIKAM}&client_secret=guess&scope={}",
        utf8_percent_encode(&scope, NON_ALPHANUMERIC)
    );
    format!(
        "POST /oauth2/v2.0/token HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        address(server),
        body.len()
    )
}

/// `count` wrong-secret token requests at once, request `index` from `source(index)`: every
/// connection is made first, then every request is sent together.
fn token_storm(server: &TestServer, count: usize, source: impl Fn(usize) -> IpAddr) -> Vec<Answer> {
    let (target, request) = (address(server), Arc::new(wrong_secret_request(server)));
    runtime().block_on(async {
        let start = Arc::new(tokio::sync::Barrier::new(count));
        let mut tasks = Vec::new();
        for index in 0..count {
            let (source, start, request) = (source(index), start.clone(), request.clone());
            tasks.push(tokio::spawn(async move {
                let stream = connect(target, source).await;
                start.wait().await;
                exchange(stream, &request).await
            }));
        }
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("a request task"));
        }
        answers
    })
}

/// How many answers have each status, for messages.
fn statuses(answers: &[Answer]) -> std::collections::BTreeMap<u16, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for answer in answers {
        *counts.entry(answer.status).or_default() += 1;
    }
    counts
}

/// This process's resident memory now and at its peak, in KiB (Linux's `/proc`).
fn resident_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/self/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[test]
fn one_address_gets_a_small_burst_of_token_requests_and_429_with_retry_after_beyond_it() {
    let defaults = Limits::default();
    let server = TestServer::start_with(|config| {
        config.limits.token_requests_per_minute = defaults.token_requests_per_minute;
        config.limits.token_burst = defaults.token_burst;
    });
    let answers = token_storm(&server, 120, |_| IpAddr::V4(Ipv4Addr::LOCALHOST));
    let counts = statuses(&answers);
    let checked = counts.get(&401).copied().unwrap_or(0);
    let limited = counts.get(&429).copied().unwrap_or(0);
    assert_eq!(checked + limited, answers.len(), "every request is checked (401) or refused (429): {counts:?}");
    // The budget comes back at two requests a second, so a storm that takes a while to arrive
    // on a loaded machine lets a few more through; without a burst limit all 120 are hashed.
    let burst = defaults.token_burst as usize;
    assert!(checked <= burst + 4, "{checked} secret checks from one address at once, beyond a burst of {burst}");
    for answer in answers.iter().filter(|answer| answer.status == 429) {
        assert!((1..=60).contains(&answer.retry_after()), "{answer:?}");
    }
}

#[test]
fn token_requests_from_many_addresses_hash_one_per_core_and_beyond_the_queue_get_503() {
    // Each address sends one request, well within its own budget: only the bound on the
    // secret checks themselves stands between this storm and 120 argon2 hashes at once.
    let server = TestServer::start();
    let source = |index: usize| IpAddr::V4(Ipv4Addr::new(127, 0, 1 + (index / 200) as u8, 1 + (index % 200) as u8));
    // Writing 5 resets the peak to the resident size now (Linux 4.0 on), so that the peak read
    // afterwards is this storm's, not an earlier test's.
    std::fs::write("/proc/self/clear_refs", "5").expect("the peak resident size can be reset");
    let (before, _) = resident_kib();
    let answers = token_storm(&server, 120, source);
    let (_, peak) = resident_kib();

    // argon2 takes 19 MiB a hash: one per core, some 40 MiB here, stays well below this bound
    // (which leaves room for tests running alongside); 120 at once took 2.2 GiB.
    let grown_mib = peak.saturating_sub(before) / 1024;
    assert!(grown_mib < 256, "the token storm took {grown_mib} MiB of memory");

    let counts = statuses(&answers);
    let busy: Vec<&Answer> = answers.iter().filter(|answer| answer.status == 503).collect();
    assert_eq!(counts.get(&401).copied().unwrap_or(0) + busy.len(), answers.len(), "{counts:?}");
    assert!(!busy.is_empty(), "120 requests at once and none had to be turned away: {counts:?}");
    for answer in busy {
        assert!(answer.retry_after() >= 1, "{answer:?}");
        assert_eq!(answer.header("cache-control"), Some("no-store"), "{answer:?}");
        let body: Value = serde_json::from_str(&answer.body).unwrap_or_else(|_| panic!("not JSON: {answer:?}"));
        assert_eq!(body["error"], "temporarily_unavailable", "an OAuth error: {body}");
        assert!(body["access_token"].is_null(), "{body}");
    }
    // The storm leaves nothing behind: a client with the right secret gets its token.
    let _ = server.token(FABRIKAM);
}

/// A tmpfs mounted on a directory of its own: a file system the tests can fill. Unmounted when
/// dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// A tmpfs of `size` (as mount(8) writes it), or `None` where this process may not mount
    /// one (it needs root with CAP_SYS_ADMIN), said on the terminal whatever the capture.
    fn mount(size: &str, test: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("a mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "wharf-test"])
            .arg(dir.path())
            .output();
        let reason = match mounted {
            Ok(output) if output.status.success() => return Some(Tmpfs { dir }),
            Ok(output) => String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            Err(error) => format!("cannot run mount: {error}"),
        };
        // Straight to the process's stderr: the test harness captures eprintln! of a test
        // that passes, and a skip must not go unseen.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED {test}: cannot mount a tmpfs to fill ({reason}); it needs root with CAP_SYS_ADMIN ***\n"
        );
        None
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a filler file until the file system is full to its last page.
    fn fill(&self) {
        let mut filler =
            std::fs::OpenOptions::new().create(true).append(true).open(self.filler()).expect("the filler opens");
        for chunk in [1 << 20, 4096, 1] {
            let bytes = vec![0xA5u8; chunk];
            loop {
                match filler.write_all(&bytes) {
                    Ok(()) => continue,
                    Err(error) if error.kind() == std::io::ErrorKind::StorageFull => break,
                    Err(error) => panic!("cannot fill the tmpfs: {error}"),
                }
            }
        }
    }

    /// Frees what [`Tmpfs::fill`] took.
    fn free(&self) {
        std::fs::remove_file(self.filler()).expect("the filler is removed");
    }

    fn filler(&self) -> PathBuf {
        self.dir.path().join("filler")
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(self.dir.path()).status().is_ok_and(|status| status.success());
        if !unmounted {
            // Something still has a file open there: detach it now, it goes when closed.
            let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
        }
    }
}

/// An import job that processes its messages once an hour, after a first run at start: what
/// the tests enqueue on a full disk stays put.
const IDLE_IMPORT_JOB: &str = "3c1f4a2b-7d6e-4f80-9a1b-2c3d4e5f6a7b";

#[test]
fn a_full_disk_answers_enqueues_and_uploads_507_with_retry_after_serves_reads_and_recovers() {
    let Some(tmpfs) = Tmpfs::mount("48m", "a_full_disk_answers_enqueues_and_uploads_507") else { return };
    let server = TestServer::start_with(|config| config.data = Some(tmpfs.path().join("data")));
    let (token, ops) = (server.token(FABRIKAM), server.token(OPS));
    let job = json!({
        "activity": IDLE_IMPORT_JOB,
        "project": "Customer groups",
        "direction": "import",
        "mode": "file",
        "company": "usmf",
        "entity": "Customer groups",
        "processing": "1h",
        "monitoring": "1m",
        "authorized": [{ "client": FABRIKAM }],
    });
    assert_eq!(post(&server, &ops, "/manage/jobs", job.to_string()).status(), 201, "the job is added");
    let enqueue = format!("/api/connector/enqueue/{IDLE_IMPORT_JOB}?entity=Customer%20groups");
    let body = |size: usize| {
        let mut body = b"GroupId,Description\n".to_vec();
        body.resize(size, b'x');
        body
    };
    let earlier = ok_json(post(&server, &token, &enqueue, body(1000)), "an enqueue before the disk fills");
    let earlier = earlier.as_str().expect("a message id").to_owned();
    let upload = upload_link(&server, &token);

    tmpfs.fill();
    let storage_full = |response, what: &str| {
        let response: reqwest::blocking::Response = response;
        let retry = response.headers().get("retry-after").and_then(|value| value.to_str().ok()).map(str::to_owned);
        odata_error(response, 507, what);
        let seconds: u64 = retry.as_deref().and_then(|retry| retry.parse().ok()).unwrap_or(0);
        assert!(seconds >= 1, "{what}: Retry-After {retry:?}");
    };
    // A body over the in-memory limit streams to a file, which cannot be written.
    storage_full(post(&server, &token, &enqueue, body(300 * 1024)), "a 300 kB enqueue");
    storage_full(send(&server, None, Method::PUT, &upload, body(300 * 1024)), "a 300 kB upload");
    storage_full(send(&server, None, Method::PUT, &upload, body(1000)), "a 1 kB upload");
    // Small bodies go into the queue's row; SQLite may still find room in its log for a few,
    // and then it is full too.
    let mut answers = Vec::new();
    for _ in 0..64 {
        tmpfs.fill();
        let response = post(&server, &token, &enqueue, body(200 * 1024));
        let status = response.status().as_u16();
        answers.push(status);
        if status != 200 {
            storage_full(response, "a 200 kB enqueue");
            break;
        }
    }
    assert_eq!(answers.last(), Some(&507), "small enqueues until the queue's database was full: {answers:?}");

    // Reads go on.
    assert_eq!(server.http.get(server.at("/health")).send().expect("an answer").status(), 200);
    let status = ok_json(
        get(&server, &token, &format!("/api/connector/jobstatus/{IDLE_IMPORT_JOB}?jobId={earlier}")),
        "the job status of an earlier message",
    );
    assert!(status["DataJobStatus"]["DataJobState"].is_string(), "{status}");
    ok_json(get(&server, &ops, "/manage/messages"), "the message list");
    let _ = server.token(FABRIKAM);

    // The same requests succeed once there is room again.
    tmpfs.free();
    ok_json(post(&server, &token, &enqueue, body(300 * 1024)), "a 300 kB enqueue after space was freed");
    ok_json(post(&server, &token, &enqueue, body(200 * 1024)), "a 200 kB enqueue after space was freed");
    let uploaded = send(&server, None, Method::PUT, &upload, body(300 * 1024));
    assert_eq!(uploaded.status(), 201, "the upload after space was freed");
}

/// Reads `stream` until the server closes it, dropping what comes: how long after `start` it
/// closed, or `None` if it was still open `limit` after `start`.
async fn closed_after(stream: &mut (impl AsyncRead + Unpin), start: Instant, limit: Duration) -> Option<Duration> {
    let mut buffer = [0; 4096];
    let closed = tokio::time::timeout_at((start + limit).into(), async {
        while let Ok(1..) = stream.read(&mut buffer).await {}
    });
    closed.await.ok().map(|()| start.elapsed())
}

/// Whether the server has closed `stream` (it sent nothing, so anything read is the end).
async fn is_closed(mut stream: TcpStream) -> bool {
    closed_after(&mut stream, Instant::now(), Duration::from_millis(500)).await.is_some()
}

/// A health check on a connection of its own: its status, and how long the answer took.
async fn health(server: SocketAddr) -> (u16, Duration) {
    let start = Instant::now();
    let request = "GET /health HTTP/1.1\r\nHost: wharf\r\nConnection: close\r\n\r\n";
    let answer = tokio::time::timeout(Duration::from_secs(10), async {
        exchange(connect(server, IpAddr::V4(Ipv4Addr::LOCALHOST)).await, request).await
    });
    let answer = answer.await.expect("the health check is answered within 10 s");
    (answer.status, start.elapsed())
}

#[test]
fn at_the_connection_cap_the_longest_idle_connections_close_and_health_checks_still_answer() {
    const CAP: usize = 32;
    const HELD: usize = CAP + 16;
    let server = TestServer::start_with(|config| {
        config.limits.max_connections = CAP;
        // Long: here only the cap closes connections.
        config.limits.header_read_timeout = Duration::from_secs(30);
        config.limits.idle_timeout = Duration::from_secs(30);
    });
    let target = address(&server);
    runtime().block_on(async {
        // An attacker's connections, silent, opened one after the other: the server takes them
        // in that order, so the first are the longest idle.
        let mut held = Vec::new();
        for _ in 0..HELD {
            held.push(connect(target, IpAddr::V4(Ipv4Addr::LOCALHOST)).await);
        }
        let (status, took) = health(target).await;
        assert_eq!(status, 200, "the health check");
        assert!(took < Duration::from_secs(2), "the health check took {took:?} behind {HELD} idle connections");
        // The health check made room for itself too, then went: the first HELD + 1 - CAP are
        // closed, the others still open.
        let checks: Vec<_> = held.into_iter().map(|stream| tokio::spawn(is_closed(stream))).collect();
        let mut closed = Vec::new();
        for check in checks {
            closed.push(check.await.expect("a check"));
        }
        let expected: Vec<bool> = (0..HELD).map(|index| index < HELD + 1 - CAP).collect();
        assert_eq!(closed, expected, "which of the held connections (oldest first) were closed");
    });
}

#[test]
fn silent_connections_slow_heads_idle_keep_alives_and_stalled_bodies_are_closed_after_their_timeouts() {
    let (header_read, idle) = (Duration::from_secs(1), Duration::from_secs(3));
    let server = TestServer::start_with(|config| {
        config.limits.header_read_timeout = header_read;
        config.limits.idle_timeout = idle;
    });
    let target = address(&server);
    // A loaded machine may close late, never early.
    let slack = Duration::from_secs(4);
    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let silent = async {
        let mut stream = connect(target, localhost).await;
        closed_after(&mut stream, Instant::now(), header_read + slack).await
    };
    let slow_head = async {
        let (mut reader, mut writer) = connect(target, localhost).await.into_split();
        let start = Instant::now();
        let drip = async {
            let _ = writer.write_all(b"GET /health HTTP/1.1\r\n").await;
            while start.elapsed() < header_read + slack && writer.write_all(b"X-Drip: 1\r\n").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        let (_, closed) = tokio::join!(drip, closed_after(&mut reader, start, header_read + slack));
        closed
    };
    let kept_alive = async {
        let mut stream = connect(target, localhost).await;
        stream.write_all(b"GET /health HTTP/1.1\r\nHost: wharf\r\n\r\n").await.expect("a request");
        let mut answer = Vec::new();
        while !answer.ends_with(b"\r\n\r\nok") {
            let mut buffer = [0; 1024];
            let count = stream.read(&mut buffer).await.expect("an answer");
            assert!(count > 0, "the server closed a kept-alive connection before answering");
            answer.extend_from_slice(&buffer[..count]);
        }
        closed_after(&mut stream, Instant::now(), idle + slack).await
    };
    let stalled_body = async {
        let mut stream = connect(target, localhost).await;
        let head = "POST /oauth2/v2.0/token HTTP/1.1\r\nHost: wharf\r\nContent-Length: 100\r\n\r\n";
        stream.write_all(head.as_bytes()).await.expect("a request head");
        stream.write_all(b"grant_type").await.expect("the start of a body");
        closed_after(&mut stream, Instant::now(), idle + slack).await
    };
    let (silent, slow_head, kept_alive, stalled_body) =
        runtime().block_on(async { tokio::join!(silent, slow_head, kept_alive, stalled_body) });
    for (what, closed, timeout) in [
        ("a connection that sent nothing", silent, header_read),
        ("a connection that sent its head a line at a time", slow_head, header_read),
        ("a kept-alive connection after its response", kept_alive, idle),
        ("a connection whose body stopped coming", stalled_body, idle),
    ] {
        let closed = closed.unwrap_or_else(|| panic!("{what} was still open {:?} after its timeout", slack));
        assert!(closed >= timeout / 2, "{what} was closed after {closed:?}, before its timeout of {timeout:?}");
    }
    // The idle clock is not the head's: a kept-alive connection outlives the head's timeout.
    let kept_alive = kept_alive.expect("closed");
    assert!(kept_alive > header_read * 3 / 2, "a kept-alive connection was closed after {kept_alive:?}");
}

#[test]
fn an_answer_given_before_a_large_body_is_read_reaches_its_client() {
    // A refusal comes before the body is read: 401 without a token, 413 over the limit. The
    // server must not reset the connection while the client still sends, or the client sees
    // a broken connection instead of the answer.
    let server = TestServer::start_with(|config| config.limits.max_body_bytes = 1 << 20);
    let enqueue = format!("/api/connector/enqueue/{GROUPS_JOB}?entity=Customer%20groups");
    let body = || vec![b'x'; 16 << 20];
    for attempt in 0..3 {
        odata_error(send(&server, None, Method::POST, &enqueue, body()), 401, &format!("no token, attempt {attempt}"));
    }
    let token = server.token(FABRIKAM);
    for attempt in 0..3 {
        odata_error(post(&server, &token, &enqueue, body()), 413, &format!("over the limit, attempt {attempt}"));
    }
}
