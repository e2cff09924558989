//! What the benchmarks share: their scale (quick under `cargo test`, full under `cargo bench`)
//! and, for the server benchmarks, a prepared copy of the example deployment, a running server
//! with its HTTP floor, tokens, and a load generator that measures latency and throughput of
//! concurrent keep-alive clients; and the PostgreSQL database the store benchmarks run on.

#![allow(dead_code, reason = "each benchmark compiles this module on its own, and uses only part of it")]

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use axum::body::Bytes;
use axum::http::StatusCode;
use wharf::api::{Server, ServerConfig};
use wharf::auth::{Companies, NewClient, Role};
use wharf::jobs::Jobs;

mod database;
mod measure;
mod report;
mod scale;
#[allow(unused_imports, reason = "only the import and OData benchmarks measure the store on PostgreSQL")]
pub use database::BenchDatabase;
#[allow(unused_imports, reason = "only the plugin benchmarks time calls against each other")]
pub use measure::{Sampling, measure_alternately, portal_customers};
pub use report::Report;
pub use scale::Scale;

/// `wharf serve`'s code on a runtime of its own (the clients get another), with one client
/// registered, and beside it the floor: a bare axum route that answers 200 to any request.
pub struct Running {
    /// The server's URL.
    pub url: String,
    /// The registered client's secret.
    pub secret: String,
    /// The server's job service.
    pub jobs: Jobs,
    /// The floor's URL.
    pub floor_url: String,
    /// What it was started with.
    config: ServerConfig,
    runtime: tokio::runtime::Runtime,
    stop: tokio::sync::oneshot::Sender<()>,
    running: tokio::task::JoinHandle<Result<()>>,
}

impl Running {
    /// Starts a server on `deployment` with `client` registered for every company.
    pub fn start(deployment: &Path, client: &str) -> Result<Running> {
        Running::start_with(deployment, client, |_| {})
    }

    /// The same, with the configuration `edit` changes first (a database to share, say).
    pub fn start_with(deployment: &Path, client: &str, edit: impl FnOnce(&mut ServerConfig)) -> Result<Running> {
        Running::start_as(deployment, client, &[Role::DataManagement], edit)
    }

    /// The same, with `client` granted `roles` (the admin role for the management API).
    pub fn start_as(
        deployment: &Path,
        client: &str,
        roles: &[Role],
        edit: impl FnOnce(&mut ServerConfig),
    ) -> Result<Running> {
        let (runtime, server, config) = bind(deployment, edit)?;
        let registration = NewClient {
            id: Some(client.to_owned()),
            name: client.to_owned(),
            roles: roles.iter().copied().collect(),
            companies: Companies::All,
            enabled: true,
        };
        let (_, secret) = server.auth().add_client(registration)?;
        Running::serve(runtime, server, secret, config)
    }

    /// Another server on `deployment` sharing this one's PostgreSQL database, and so its
    /// clients: the registered client's secret is good on it too.
    pub fn replica(&self, deployment: &Path) -> Result<Running> {
        let database = self.config.database.url.clone().context("a replica shares a PostgreSQL database")?;
        let (runtime, server, config) = bind(deployment, |config| config.database.url = Some(database))?;
        Running::serve(runtime, server, self.secret.clone(), config)
    }

    /// Serves `server` on `runtime`, with the floor beside it.
    fn serve(
        runtime: tokio::runtime::Runtime,
        server: Server,
        secret: String,
        config: ServerConfig,
    ) -> Result<Running> {
        let url = format!("http://{}", server.local_addr()?);
        let jobs = server.jobs().clone();
        let floor = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let floor_url = format!("http://{}/", floor.local_addr()?);
        let bare = axum::Router::new().route("/", axum::routing::any(|_body: Bytes| async { StatusCode::OK }));
        runtime.spawn(async move { axum::serve(floor, bare).await });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = runtime.spawn(server.run(async move {
            let _ = stopped.await;
        }));
        Ok(Running { url, secret, jobs, floor_url, config, runtime, stop, running })
    }

    /// Stops the server gracefully.
    pub fn stop(self) -> Result<()> {
        let _ = self.stop.send(());
        self.runtime.block_on(self.running)?
    }
}

/// A server on `deployment`, configured as the benchmarks want and then as `edit` says, bound
/// on a runtime of its own.
fn bind(
    deployment: &Path,
    edit: impl FnOnce(&mut ServerConfig),
) -> Result<(tokio::runtime::Runtime, Server, ServerConfig)> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("wharf-http").build()?;
    let mut config =
        ServerConfig { listen: "127.0.0.1:0".parse()?, deployment: deployment.to_owned(), ..ServerConfig::default() };
    // The budgets protect a shared server from one client; here one client is the load.
    config.limits.requests_per_second = 10_000_000;
    config.limits.burst = 10_000_000;
    edit(&mut config);
    let server = runtime.block_on(Server::bind(&config))?;
    Ok((runtime, server, config))
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
/// filled) and then `window`; counts the requests that started inside the window, and fails
/// when there were none (a window too short to measure anything).
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
    ensure!(
        !all.latencies.is_empty(),
        "no request started inside the {window:?} window ({} tasks ran out of work)",
        all.exhausted
    );
    all.latencies.sort();
    Ok(all)
}

/// Whether `program` runs (`program --version`), after installing Debian's `package` with
/// apt-get when it did not. `false` when it cannot be installed: the figure compared with it
/// is skipped, and says so.
pub fn installed(program: &str, package: &str) -> bool {
    let found =
        || std::process::Command::new(program).arg("--version").output().is_ok_and(|output| output.status.success());
    if found() {
        return true;
    }
    eprintln!("installing {program} (apt-get install -y {package}) ...");
    let install = || {
        std::process::Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", package])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|status| status.success())
    };
    if !install() {
        // A fresh machine's package lists may be empty or stale.
        let _ = std::process::Command::new("apt-get").args(["update"]).status();
        install();
    }
    let found = found();
    if !found {
        eprintln!(
            "{program} is not installed and apt-get could not install it: the figures compared with it are skipped"
        );
    }
    found
}
