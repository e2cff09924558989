//! The hot-reload benchmark: `wharf serve`'s code over a copy of the example deployment with
//! the company filter installed, under concurrent OData writes that run the filter, while new
//! versions of it land in the plugin directory. Per swap it measures the time from the
//! version's files landing (the second rename) to the first write answered by that version,
//! and, as the floor in the same run, to the registry publishing it (the debounce, the load
//! from the artifact cache and the start check, without HTTP).
//!
//! A write shows which version answered: every version treats the organization name
//! `refuse-me` as inactive, so a customer of that name is refused with an error naming the
//! version (`company-filter@1.0.7 refused this Customer.`); other writes are kept.
//!
//! Run with `cargo bench -p wharf --bench reload`; `cargo test` runs it in quick mode (3 swaps,
//! 1 writing client). `WHARF_BENCH_SWAPS` sets the swaps (default 40), `WHARF_BENCH_CLIENTS`
//! the writing clients (default 8). It ends with `bench: <name> = <value> <unit>` lines, the
//! last `bench: hot_swap_served = <median> ms`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use serde_json::{Value, json};

mod support;
use support::{Report, Running, Scale, prepare, token};

/// The client writing and probing.
const CLIENT: &str = "portal";
/// The organization name every version placed here refuses.
const REFUSED_NAME: &str = "refuse-me";
/// How long a version may take to serve before the benchmark gives up on it.
const GIVE_UP: Duration = Duration::from_secs(10);
/// The pause after each swap, past the watcher's debounce: an event of one swap still pending
/// (the pair's second rename, when the two fell into different ticks) would load the next
/// version early and flatter its figure.
const SETTLE: Duration = Duration::from_millis(200);

fn main() -> Result<()> {
    let scale = Scale::of_this_run();
    let mut headlines = Report::new(env!("CARGO_CRATE_NAME"), scale);
    let swaps: usize = scale.setting("WHARF_BENCH_SWAPS", 40, 3)?;
    let clients: usize = scale.setting("WHARF_BENCH_CLIENTS", 8, 1)?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("workspace")?.to_owned();
    let work = tempfile::tempdir_in(root.join("target"))?;
    let dir = work.path().join("deployment");
    prepare(&root.join("examples/deployment"), &dir)?;
    // The other benchmarks build the example plugins in the same target directory, so each
    // is compiled once for all of them.
    let built = wharf::run::plugin::build(
        &root.join("plugins/company-filter"),
        &work.path().join("built"),
        Some(&root.join("target/bench-plugins/plugins")),
    )?;
    let versions = Versions::read(&built, dir.join("plugins"))?;
    versions.place(0)?;

    let server = Running::start(&dir, CLIENT)?;
    let registry = server.jobs.deployment().pipeline.registry.clone();
    let client_runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("bench-client").build()?;
    let (served, published, writes) = client_runtime.block_on(async {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let writer = Writer {
            http: http.clone(),
            url: server.url.clone(),
            token: token(&http, &server.url, CLIENT, &server.secret).await?,
        };
        ensure!(writer.answering_version(0).await? == "company-filter@1.0.0", "the first version does not serve");

        let stop = Arc::new(AtomicBool::new(false));
        let load: Vec<_> =
            (0..clients).map(|client| tokio::spawn(writer.clone().write_until(client, stop.clone()))).collect();
        eprintln!("{swaps} swaps under {clients} writing clients ...");
        let (mut served, mut published) = (Vec::new(), Vec::new());
        let probes = AtomicU64::new(1);
        for swap in 1..=swaps {
            let wanted = format!("company-filter@1.0.{swap}");
            let landed = versions.place(swap)?;
            let registry = registry.clone();
            let expected = wanted.clone();
            // The registry is polled on a thread of its own, so the probes below do not delay it.
            let publishing = tokio::task::spawn_blocking(move || {
                while registry.by_name("company-filter").is_none_or(|plugin| plugin.id() != expected) {
                    if landed.elapsed() > GIVE_UP {
                        return None;
                    }
                    std::thread::sleep(Duration::from_micros(200));
                }
                Some(landed.elapsed())
            });
            loop {
                let answered = writer.answering_version(probes.fetch_add(1, Ordering::Relaxed)).await?;
                if answered == wanted {
                    break;
                }
                ensure!(landed.elapsed() < GIVE_UP, "{wanted} did not serve within {GIVE_UP:?}; {answered} answers");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            served.push(landed.elapsed());
            published.push(publishing.await?.context("the registry never published the version that answered")?);
            tokio::time::sleep(SETTLE).await;
        }
        stop.store(true, Ordering::Relaxed);
        let mut writes = Writes::default();
        for task in load {
            let done = task.await??;
            (writes.calls, writes.failed) = (writes.calls + done.calls, writes.failed + done.failed);
        }
        anyhow::Ok((served, published, writes))
    })?;
    server.stop()?;

    ensure!(writes.failed == 0, "{} of {} writes during the swaps failed", writes.failed, writes.calls);
    let (served_p50, served_p95) = percentiles(served);
    let (published_p50, published_p95) = percentiles(published);
    headlines.headline("hot_swap_registry.p50_ms", published_p50, "ms");
    headlines.headline("hot_swap_registry.p95_ms", published_p95, "ms");
    headlines.headline("hot_swap_served.writes", writes.calls as f64, "calls");
    headlines.headline("hot_swap_served.p95_ms", served_p95, "ms");
    headlines.headline("hot_swap_served", served_p50, "ms");
    headlines.save()
}

/// The company filter's versions: the built component with its manifest, version `1.0.<n>`
/// refusing [`REFUSED_NAME`].
struct Versions {
    wasm: Vec<u8>,
    manifest: String,
    plugins: PathBuf,
    staging: PathBuf,
}

impl Versions {
    fn read(built: &Path, plugins: PathBuf) -> Result<Versions> {
        let example = std::fs::read_to_string(built.with_extension("toml"))?;
        let manifest = example
            .replace("status_column = \"Status\"", "status_column = \"OrganizationName\"")
            .replace("inactive = \"inactive,blocked,closed\"", &format!("inactive = \"{REFUSED_NAME}\""));
        ensure!(
            manifest.contains(REFUSED_NAME) && manifest.contains("version = \"1.0.0\""),
            "the company filter's manifest changed:\n{example}"
        );
        let staging = plugins.with_file_name("staging");
        std::fs::create_dir_all(&plugins)?;
        std::fs::create_dir_all(&staging)?;
        Ok(Versions { wasm: std::fs::read(built)?, manifest, plugins, staging })
    }

    /// Places version `1.0.<n>`: both files written beside the plugin directory, then renamed
    /// into it. Returns when the second landed.
    fn place(&self, n: usize) -> Result<Instant> {
        let manifest = self.manifest.replace("version = \"1.0.0\"", &format!("version = \"1.0.{n}\""));
        let (wasm, toml) = (self.staging.join("company-filter.wasm"), self.staging.join("company-filter.toml"));
        std::fs::write(&wasm, &self.wasm)?;
        std::fs::write(&toml, manifest)?;
        std::fs::rename(&wasm, self.plugins.join("company-filter.wasm"))?;
        std::fs::rename(&toml, self.plugins.join("company-filter.toml"))?;
        Ok(Instant::now())
    }
}

/// Writes customers through OData, each one run through the company filter serving.
#[derive(Clone)]
struct Writer {
    http: reqwest::Client,
    url: String,
    token: String,
}

#[derive(Debug, Default)]
struct Writes {
    calls: u64,
    failed: u64,
}

impl Writer {
    async fn write(&self, account: &str, name: &str) -> Result<reqwest::Response> {
        let body = json!({
            "CustomerAccount": account,
            "OrganizationName": name,
            "CustomerGroupId": "10",
            "CreditLimit": 100,
            "CustomerSince": "2020-03-15",
        });
        let request = self.http.post(format!("{}/data/CustomersV3", self.url)).bearer_auth(&self.token);
        Ok(request.header("Prefer", "return=minimal").json(&body).send().await?)
    }

    /// Writes kept customers until `stop`, counting the writes that were not kept.
    async fn write_until(self, client: usize, stop: Arc<AtomicBool>) -> Result<Writes> {
        let mut writes = Writes::default();
        while !stop.load(Ordering::Relaxed) {
            let account = format!("LOAD-{client}-{}", writes.calls);
            let response = self.write(&account, "Organization under load").await?;
            if response.status() != 204 {
                eprintln!("write {account} answered {}: {}", response.status(), response.text().await?);
                writes.failed += 1;
            }
            writes.calls += 1;
        }
        Ok(writes)
    }

    /// The version that answers a write now: the one that refuses [`REFUSED_NAME`].
    async fn answering_version(&self, probe: u64) -> Result<String> {
        let response = self.write(&format!("PROBE-{probe}"), REFUSED_NAME).await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_default();
        let message = body["error"]["message"].as_str().unwrap_or_default();
        match message.strip_suffix(" refused this Customer.") {
            Some(version) if status == 400 => Ok(version.to_owned()),
            _ => bail!("probe {probe} answered {status}: {body}"),
        }
    }
}

/// The median and the 95th percentile, in milliseconds.
fn percentiles(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let at = |percent: usize| times[(times.len() * percent).div_ceil(100).max(1) - 1].as_secs_f64() * 1e3;
    (at(50), at(95))
}
