//! The metrics benchmark: what recording metrics costs the enqueue path. 1 KB enqueues over
//! real HTTP by concurrent keep-alive clients, against a server with `[metrics] enabled =
//! false` and against one with metrics on and scraped every second, as Prometheus would.
//!
//! The recorder is process-wide and cannot be taken back once installed, so each measurement
//! runs in a child process of its own (this binary again, told its mode by
//! `WHARF_BENCH_METRICS_MODE`): "off" never installs a recorder, and every `metrics` macro in
//! the library does nothing, exactly as in a server with metrics off. The two modes alternate,
//! several rounds, and each mode's median counts, so that whatever else the machine does falls
//! on both alike.
//!
//! Run with `cargo bench -p wharf --bench metrics`; `cargo test` runs it in quick mode (one
//! round of 0.25 s measurements, 4 clients). `WHARF_BENCH_SECONDS`, `WHARF_BENCH_CLIENTS` and
//! `WHARF_BENCH_ROUNDS` (default 3) change that. It ends with `bench: metrics.overhead = <x> x`:
//! throughput off over throughput on, so above 1.0 means metrics cost that much.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};
use axum::body::Bytes;

mod support;
use support::{Report, Running, Scale, load, prepare, token};

/// The example file-import job the enqueues go to.
const GROUPS_JOB: &str = "6d31e09f-0249-459f-94f0-aad9c2c47b64";
/// The client on its authorization policy.
const CLIENT: &str = "0f7c5d2e-8b3a-4e61-9d4f-2a1b6c8e3f57";
/// Tells a child process which mode to measure.
const MODE: &str = "WHARF_BENCH_METRICS_MODE";

fn main() -> Result<()> {
    let scale = Scale::of_this_run();
    let mut headlines = Report::new(env!("CARGO_CRATE_NAME"), scale);
    let duration = Duration::from_secs_f64(scale.setting("WHARF_BENCH_SECONDS", 5.0, 0.25)?);
    let clients: usize = scale.setting("WHARF_BENCH_CLIENTS", 64, 4)?;
    match std::env::var(MODE).as_deref() {
        Ok("on") => return measure(true, clients, duration),
        Ok("off") => return measure(false, clients, duration),
        Ok(other) => bail!("{MODE}={other}: on or off"),
        Err(_) => {}
    }
    let rounds: usize = scale.setting("WHARF_BENCH_ROUNDS", 3, 1)?;
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        for (mode, rates) in [("off", &mut off), ("on", &mut on)] {
            eprintln!("round {round}/{rounds}, metrics {mode}: {clients} clients for {duration:?} ...");
            let rate = child(mode)?;
            eprintln!("  {rate:.0} enqueues/s");
            rates.push(rate);
        }
    }
    let (off, on) = (median(off), median(on));
    headlines.headline("metrics.enqueue_1k.off.req_per_s", off, "req/s");
    headlines.headline("metrics.enqueue_1k.on.req_per_s", on, "req/s");
    headlines.headline("metrics.overhead", off / on, "x");
    headlines.save()
}

/// Runs this benchmark again in `mode` and reads the enqueue rate it measured.
fn child(mode: &str) -> Result<f64> {
    let output = Command::new(std::env::current_exe()?)
        .args(std::env::args_os().skip(1))
        .env(MODE, mode)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("the measuring process did not start")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(output.status.success(), "the measurement with metrics {mode} failed: {stdout}");
    let rate = stdout.lines().find_map(|line| line.strip_prefix("enqueues_per_s = ")).context("no rate measured")?;
    rate.trim().parse().with_context(|| format!("a rate: {rate}"))
}

/// One measurement in this process: a server with metrics on (scraped every second) or off,
/// 1 KB enqueues from `clients` clients for `duration`; prints the rate.
fn measure(metrics: bool, clients: usize, duration: Duration) -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("workspace")?.to_owned();
    let work = tempfile::tempdir_in(root.join("target"))?;
    let dir = work.path().join("deployment");
    prepare(&root.join("examples/deployment"), &dir)?;
    let server = Running::start_with(&dir, CLIENT, |config| config.metrics.enabled = metrics)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("bench-client").build()?;
    let sample = runtime.block_on(async {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let token = token(&http, &server.url, CLIENT, &server.secret).await?;
        let scraper =
            metrics.then(|| tokio::spawn(scrape_every_second(http.clone(), format!("{}/metrics", server.url))));
        let url = format!("{}/api/connector/enqueue/{GROUPS_JOB}?entity=Customer%20groups", server.url);
        let body = Bytes::from(csv_body(1024));
        let sample = load(clients, duration, move |task, request| {
            let request = http
                .post(&url)
                .bearer_auth(&token)
                .header("x-ms-dyn-externalidentifier", format!("bench-{task}-{request}"))
                .body(body.clone());
            async move {
                let response = request.send().await?;
                let status = response.status();
                let text = response.text().await?;
                ensure!(status == 200 && text.len() == 38, "enqueue answered {status}: {text}");
                Ok(Some(1024))
            }
        })
        .await?;
        if let Some(scraper) = scraper {
            // A scrape that failed fails the run; otherwise it is still looping.
            if scraper.is_finished() {
                scraper.await??;
            } else {
                scraper.abort();
            }
        }
        anyhow::Ok(sample)
    })?;
    server.stop()?;
    println!("enqueues_per_s = {}", sample.per_second(duration));
    Ok(())
}

/// Reads `url` once a second, as Prometheus scrapes, until it fails or is aborted.
async fn scrape_every_second(http: reqwest::Client, url: String) -> Result<()> {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let response = http.get(&url).send().await?;
        ensure!(response.status() == 200, "/metrics answered {}", response.status());
        response.bytes().await?;
    }
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// A customer-groups CSV of about `size` bytes, as the serve benchmark sends.
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
