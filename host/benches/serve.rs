//! The server benchmark: `wharf serve`'s code over a copy of the example deployment, driven by
//! concurrent HTTP/1.1 keep-alive clients in the same process. It measures enqueues of 1 KB
//! and 1 MB bodies, dequeue → download → ack round trips, and (the floor, in the same run) the
//! same clients against a bare axum route that answers 200. Then the same 1 KB enqueues
//! against servers on PostgreSQL (`WHARF_BENCH_DATABASE_URL`'s server, else the tests': the
//! one `WHARF_TEST_DATABASE_URL` names, else a throwaway cluster; a fresh schema per run): one
//! replica, then three replicas sharing one database with the clients spread over them, and
//! the ratios of three to one and of PostgreSQL to SQLite.
//!
//! Run with `cargo bench -p wharf --bench serve`; `cargo test` runs it in quick mode (0.25 s
//! per measurement, 4 clients). `WHARF_BENCH_SECONDS` sets each measurement's length (default
//! 5), `WHARF_BENCH_CLIENTS` the concurrency of the small-request runs (default 64). It ends
//! with `bench: <name> = <value> <unit>` lines.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use axum::body::Bytes;
use wharf::jobs::{MessageStatus, NewMessage};
use wharf::store::Operation;

mod support;
use support::{Report, Running, Scale, load, prepare, token};

/// The example jobs the benchmark uses: a file import and a file export.
const GROUPS_JOB: &str = "6d31e09f-0249-459f-94f0-aad9c2c47b64";
const CUSTOMERS_EXPORT_JOB: &str = "5acd8121-d4e1-4cf8-b31f-9713de3e3627";
/// The client on both jobs' authorization policies.
const CLIENT: &str = "0f7c5d2e-8b3a-4e61-9d4f-2a1b6c8e3f57";

fn main() -> Result<()> {
    let scale = Scale::of_this_run();
    let mut headlines = Report::new(env!("CARGO_CRATE_NAME"), scale);
    let duration = Duration::from_secs_f64(scale.setting("WHARF_BENCH_SECONDS", 5.0, 0.25)?);
    let clients: usize = scale.setting("WHARF_BENCH_CLIENTS", 64, 4)?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("workspace")?.to_owned();
    let work = tempfile::tempdir_in(root.join("target"))?;
    let dir = work.path().join("deployment");
    prepare(&root.join("examples/deployment"), &dir)?;

    let server = Running::start(&dir, CLIENT)?;
    let (url, secret, jobs, floor_url) =
        (server.url.clone(), server.secret.clone(), server.jobs.clone(), server.floor_url.clone());

    let client_runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("bench-client").build()?;
    let results = client_runtime.block_on(async {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let token = token(&http, &url, CLIENT, &secret).await?;
        let small = Bytes::from(csv_body(1024));
        let large = Bytes::from(csv_body(1024 * 1024));

        eprintln!("http floor: {clients} clients for {duration:?} ...");
        let floor = {
            let (http, small, floor_url) = (http.clone(), small.clone(), floor_url.clone());
            load(clients, duration, move |_, _| {
                let request = http.post(&floor_url).body(small.clone());
                async move {
                    let response = request.send().await?;
                    ensure!(response.status() == 200, "the floor answered {}", response.status());
                    Ok(Some(response.bytes().await?.len() as u64))
                }
            })
            .await?
        };
        let targets = [(url.clone(), token.clone())];
        eprintln!("enqueue 1 KB: {clients} clients for {duration:?} ...");
        let enqueue_1k = load(clients, duration, enqueue(&http, &targets, small.clone())).await?;
        let large_clients = clients.div_ceil(8);
        eprintln!("enqueue 1 MB: {large_clients} clients for {duration:?} ...");
        let enqueue_1m = load(large_clients, duration, enqueue(&http, &targets, large.clone())).await?;

        // Enough exports for the run at a generous rate; the answer says if they ran out.
        let exports = (duration.as_secs_f64() * 8_000.0) as usize;
        eprintln!("queueing {exports} exports ...");
        let started = Instant::now();
        let filled = {
            let jobs = jobs.clone();
            tokio::task::spawn_blocking(move || fill_exports(&jobs, exports)).await??
        };
        eprintln!("  {filled} in {:.1} s", started.elapsed().as_secs_f64());
        eprintln!("dequeue → download → ack: {clients} clients for {duration:?} ...");
        let round_trips = load(clients, duration, dequeue_download_ack(&http, &url, &token)).await?;
        ensure!(
            round_trips.exhausted == 0,
            "the {exports} exports ran out after {} round trips: raise the fill",
            round_trips.latencies.len()
        );
        anyhow::Ok((floor, enqueue_1k, enqueue_1m, round_trips))
    })?;
    let (floor, enqueue_1k, enqueue_1m, round_trips) = results;
    server.stop()?;

    // PostgreSQL after SQLite has stopped, so that neither server takes the other's cores.
    let example = root.join("examples/deployment");
    let pg_one = enqueue_on_postgres(&client_runtime, &example, work.path(), 1, clients, duration)?;
    let pg_three = enqueue_on_postgres(&client_runtime, &example, work.path(), 3, clients, duration)?;

    for (name, sample) in [
        ("http floor", &floor),
        ("enqueue 1 KB", &enqueue_1k),
        ("enqueue 1 MB", &enqueue_1m),
        ("dequeue+ack", &round_trips),
        ("pg enqueue 1K", &pg_one),
        ("pg 3 replicas", &pg_three),
    ] {
        println!(
            "{name:<13} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  ({} requests)",
            sample.per_second(duration),
            sample.percentile(50.0),
            sample.percentile(99.0),
            sample.percentile(100.0),
            sample.latencies.len()
        );
    }
    let enqueue_rps = enqueue_1k.per_second(duration);
    let floor_rps = floor.per_second(duration);
    headlines.headline("enqueue_1k.req_per_s", enqueue_rps, "req/s");
    headlines.headline("enqueue_1k.p50_ms", enqueue_1k.percentile(50.0), "ms");
    headlines.headline("enqueue_1k.p99_ms", enqueue_1k.percentile(99.0), "ms");
    headlines.headline("enqueue_1m.req_per_s", enqueue_1m.per_second(duration), "req/s");
    headlines.headline("enqueue_1m.p50_ms", enqueue_1m.percentile(50.0), "ms");
    headlines.headline("enqueue_1m.p99_ms", enqueue_1m.percentile(99.0), "ms");
    headlines.headline("enqueue_1m.mb_per_s", enqueue_1m.bytes as f64 / duration.as_secs_f64() / 1e6, "MB/s");
    headlines.headline("dequeue_ack.per_s", round_trips.per_second(duration), "round trips/s");
    headlines.headline("dequeue_ack.p99_ms", round_trips.percentile(99.0), "ms");
    headlines.headline("http_floor.req_per_s", floor_rps, "req/s");
    headlines.headline("enqueue_1k.over_http_floor", floor_rps / enqueue_rps, "x");
    let (pg_one_rps, pg_three_rps) = (pg_one.per_second(duration), pg_three.per_second(duration));
    headlines.headline("pg.enqueue_1k.req_per_s", pg_one_rps, "req/s");
    headlines.headline("pg.enqueue_1k.p50_ms", pg_one.percentile(50.0), "ms");
    headlines.headline("pg.enqueue_1k.p99_ms", pg_one.percentile(99.0), "ms");
    headlines.headline("pg.enqueue_1k.3_replicas.req_per_s", pg_three_rps, "req/s");
    headlines.headline("pg.enqueue_1k.3_replicas.p50_ms", pg_three.percentile(50.0), "ms");
    headlines.headline("pg.enqueue_1k.3_replicas.p99_ms", pg_three.percentile(99.0), "ms");
    headlines.headline("pg.enqueue_1k.scale_3_over_1", pg_three_rps / pg_one_rps, "x");
    headlines.headline("pg.enqueue_1k.over_sqlite", pg_one_rps / enqueue_rps, "x");
    headlines.save()
}

/// 1 KB enqueues by `clients` clients for `duration`, spread evenly over `replicas` servers
/// sharing a fresh schema of the test PostgreSQL server (and so the client registered on the
/// first), each on a deployment and data directory of its own under `work`. Each server's
/// share of the clients gets its token from that server.
fn enqueue_on_postgres(
    client_runtime: &tokio::runtime::Runtime,
    example: &Path,
    work: &Path,
    replicas: usize,
    clients: usize,
    duration: Duration,
) -> Result<support::Sample> {
    // Its schema is dropped, with every message, when the measurement ends.
    let database = support::BenchDatabase::create()?;
    let deployment = |replica: usize| -> Result<std::path::PathBuf> {
        let dir = work.join(format!("postgres-{replicas}-{replica}"));
        prepare(example, &dir)?;
        Ok(dir)
    };
    let first =
        Running::start_with(&deployment(0)?, CLIENT, |config| config.database.url = Some(database.url.clone()))?;
    let mut servers = Vec::with_capacity(replicas);
    for replica in 1..replicas {
        servers.push(first.replica(&deployment(replica)?)?);
    }
    servers.insert(0, first);
    let sample = client_runtime.block_on(async {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let mut targets = Vec::with_capacity(servers.len());
        for server in &servers {
            targets.push((server.url.clone(), token(&http, &server.url, CLIENT, &server.secret).await?));
        }
        eprintln!("enqueue 1 KB on PostgreSQL, {replicas} replica(s): {clients} clients for {duration:?} ...");
        load(clients, duration, enqueue(&http, &targets, Bytes::from(csv_body(1024)))).await
    });
    for server in servers {
        server.stop()?;
    }
    sample
}

/// A request under way: the body bytes it moved, or `None` when there was nothing to do.
type Pending = std::pin::Pin<Box<dyn Future<Output = Result<Option<u64>>> + Send>>;

/// A customer-groups CSV of about `size` bytes.
fn csv_body(size: usize) -> Vec<u8> {
    let mut text = String::from("CustomerGroupId,Description\r\n");
    let mut index = 0;
    while text.len() < size {
        text.push_str(&format!("B{index:07},Benchmark group {index}\r\n"));
        index += 1;
    }
    text.truncate(size);
    text.into_bytes()
}

/// One enqueue of `body` per call, each with an external identifier of its own (as D365
/// clients send), so each is a new message. `targets` are servers' URLs with a token each
/// accepts; task `n` calls target `n` modulo their number.
fn enqueue(
    http: &reqwest::Client,
    targets: &[(String, String)],
    body: Bytes,
) -> impl Fn(usize, u64) -> Pending + Clone + Send + 'static {
    let http = http.clone();
    let targets: std::sync::Arc<[(String, String)]> = targets
        .iter()
        .map(|(url, token)| {
            (format!("{url}/api/connector/enqueue/{GROUPS_JOB}?entity=Customer%20groups"), token.clone())
        })
        .collect();
    move |task, request| {
        let size = body.len() as u64;
        let (url, token) = &targets[task % targets.len()];
        let request = http
            .post(url)
            .bearer_auth(token)
            .header("x-ms-dyn-externalidentifier", format!("bench-{task}-{request}"))
            .body(body.clone());
        Box::pin(async move {
            let response = request.send().await?;
            let status = response.status();
            let text = response.text().await?;
            ensure!(status == 200 && text.len() == 38, "enqueue answered {status}: {text}");
            Ok(Some(size))
        })
    }
}

/// One dequeue → download → ack round trip per call; `None` when the queue is empty.
fn dequeue_download_ack(
    http: &reqwest::Client,
    url: &str,
    token: &str,
) -> impl Fn(usize, u64) -> Pending + Clone + Send + 'static {
    let (http, token) = (http.clone(), token.to_owned());
    let dequeue = format!("{url}/api/connector/dequeue/{CUSTOMERS_EXPORT_JOB}");
    let ack = format!("{url}/api/connector/ack/{CUSTOMERS_EXPORT_JOB}");
    move |_, _| {
        let (http, token, dequeue, ack) = (http.clone(), token.clone(), dequeue.clone(), ack.clone());
        Box::pin(async move {
            let response = http.get(&dequeue).bearer_auth(&token).send().await?;
            match response.status().as_u16() {
                200 => {}
                204 => return Ok(None),
                status => bail!("dequeue answered {status}"),
            }
            let lease: serde_json::Value = response.json().await?;
            let location = lease["DownloadLocation"].as_str().context("no download location")?;
            let response = http.get(location).bearer_auth(&token).send().await?;
            ensure!(response.status() == 200, "download answered {}", response.status());
            let size = response.bytes().await?.len() as u64;
            let body =
                serde_json::json!({ "CorrelationId": lease["CorrelationId"], "PopReceipt": lease["PopReceipt"] });
            let response = http.post(&ack).bearer_auth(&token).json(&body).send().await?;
            ensure!(response.status() == 200, "ack answered {}", response.status());
            Ok(Some(size))
        })
    }
}

/// Queues `count` 1 KB exports of the customers export job, as its processing would (a body
/// file in place, then the row), from many threads so that their commits are grouped.
fn fill_exports(jobs: &wharf::jobs::Jobs, count: usize) -> Result<usize> {
    let body = csv_body(1024);
    let hash = *blake3::hash(&body).as_bytes();
    let activity = uuid::Uuid::parse_str(CUSTOMERS_EXPORT_JOB)?;
    let threads = 32;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                let body = &body;
                scope.spawn(move || -> Result<usize> {
                    let mut added = 0;
                    for _ in (thread..count).step_by(threads) {
                        let id = uuid::Uuid::new_v4();
                        let file = jobs.bodies().path(&id.to_string());
                        std::fs::write(&file, body)?;
                        let message = NewMessage {
                            activity,
                            direction: Operation::Export,
                            entity: None,
                            company: Some("usmf".to_owned()),
                            external_id: None,
                            user: None,
                            status: MessageStatus::Processed,
                            records: Some(20),
                            execution: None,
                            error: None,
                        };
                        jobs.queue().add_blocking(id, message, hash, body.len() as u64, Some(&file))?;
                        added += 1;
                    }
                    Ok(added)
                })
            })
            .collect();
        workers.into_iter().map(|worker| worker.join().expect("a fill thread")).sum()
    })
}
