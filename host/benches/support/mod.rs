//! What the server benchmarks share: a prepared copy of the example deployment, tokens, and
//! a load generator that measures latency and throughput of concurrent keep-alive clients.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};

/// A setting from the environment, or `default`.
pub fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

/// The example deployment's entities, projects and jobs, with every job processing once an
/// hour so that imports and exports do not compete with the requests measured.
pub fn prepare(example: &Path, dir: &Path) -> Result<()> {
    for sub in ["entities", "projects", "jobs"] {
        std::fs::create_dir_all(dir.join(sub))?;
        for entry in std::fs::read_dir(example.join(sub))? {
            let path = entry?.path();
            let mut text = std::fs::read_to_string(&path)?;
            if sub == "jobs" {
                text = text
                    .lines()
                    .map(|line| if line.starts_with("processing = ") { "processing = \"1h\"" } else { line })
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            std::fs::write(dir.join(sub).join(path.file_name().context("a file")?), text)?;
        }
    }
    std::fs::write(dir.join("wharf.toml"), "default_company = \"usmf\"\n")?;
    Ok(())
}

/// An access token for `client` from the v2 token endpoint.
pub async fn token(http: &reqwest::Client, url: &str, client: &str, secret: &str) -> Result<String> {
    let response = http
        .post(format!("{url}/tenant/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client),
            ("client_secret", secret),
            ("scope", &format!("{url}/.default")),
        ])
        .send()
        .await?;
    ensure!(response.status() == 200, "the token endpoint answered {}", response.status());
    let body: serde_json::Value = response.json().await?;
    Ok(body["access_token"].as_str().context("no access token")?.to_owned())
}

/// What one measurement saw.
#[derive(Debug, Default)]
pub struct Sample {
    /// The latency of every request that started inside the window.
    pub latencies: Vec<Duration>,
    /// Body bytes those requests moved.
    pub bytes: u64,
    /// Tasks that stopped because there was nothing left to do.
    pub exhausted: usize,
}

impl Sample {
    /// Requests per second over `window`.
    pub fn per_second(&self, window: Duration) -> f64 {
        self.latencies.len() as f64 / window.as_secs_f64()
    }

    /// The latency at `percent`, in milliseconds.
    pub fn percentile(&self, percent: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let index = ((self.latencies.len() - 1) as f64 * percent / 100.0).round() as usize;
        self.latencies[index].as_secs_f64() * 1e3
    }
}

/// Runs `request` in a loop on `concurrency` tasks: a warm-up (connections opened, caches
/// filled) and then `window`; counts the requests that started inside the window.
pub async fn load<F, Fut>(concurrency: usize, window: Duration, request: F) -> Result<Sample>
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Option<u64>>> + Send,
{
    let warm_up = Duration::from_millis(500).min(window / 4);
    let start = Instant::now() + warm_up;
    let end = start + window;
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut sample = Sample::default();
                for index in 0u64.. {
                    let began = Instant::now();
                    if began >= end {
                        break;
                    }
                    let Some(bytes) = request(task, index).await? else {
                        sample.exhausted += 1;
                        break;
                    };
                    if began >= start {
                        sample.latencies.push(began.elapsed());
                        sample.bytes += bytes;
                    }
                }
                anyhow::Ok(sample)
            })
        })
        .collect();
    let mut all = Sample::default();
    for task in tasks {
        let sample = task.await??;
        all.latencies.extend(sample.latencies);
        all.bytes += sample.bytes;
        all.exhausted += sample.exhausted;
    }
    all.latencies.sort();
    Ok(all)
}
