//! A real server for the tests: `wharf serve`'s code on `127.0.0.1:0`, over a copy of the
//! example deployment (plugins built, jobs on short recurrences), with two clients registered.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use wharf::api::{Server, ServerConfig};
use wharf::auth::{Auth, Companies, NewClient, Role};

use crate::imports::deployment;

/// A data-management client granted company `usmf`, on every example job's policy (Fabrikam
/// ERP, whose id is a GUID as D365 clients' are).
pub const FABRIKAM: &str = "0f7c5d2e-8b3a-4e61-9d4f-2a1b6c8e3f57";
/// An admin granted every company, on no job's policy.
pub const OPS: &str = "ops";

/// The example jobs' activity ids.
pub const GROUPS_JOB: &str = "6d31e09f-0249-459f-94f0-aad9c2c47b64";
pub const SETUP_JOB: &str = "b0b5401e-56ca-4dc8-b566-84389a001236";
pub const CUSTOMERS_EXPORT_JOB: &str = "5acd8121-d4e1-4cf8-b31f-9713de3e3627";

/// Where a test server keeps its shared state: the embedded SQLite files, or a fresh schema
/// of the test PostgreSQL server (`wharf::backend::testing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named test, a `fn(Backend)`, once per backend: as tests `<name>::sqlite` and
/// `<name>::postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::server::Backend::Sqlite)
            }
            #[test]
            fn postgres() {
                super::$name($crate::server::Backend::Postgres)
            }
        }
    )*};
}
pub(crate) use on_both_backends;

/// A running server; stops (gracefully) when dropped.
pub struct TestServer {
    /// `http://127.0.0.1:{port}` (`https://` with `[tls]`).
    pub url: String,
    /// The deployment directory (its `data/` holds the stores).
    pub dir: tempfile::TempDir,
    /// Its clients and tokens, shared with the server.
    pub auth: Auth,
    /// A blocking HTTP client.
    pub http: reqwest::blocking::Client,
    config: ServerConfig,
    secrets: std::collections::HashMap<String, String>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// A server with the default configuration.
    pub fn start() -> TestServer {
        TestServer::start_with(|_| {})
    }

    /// A server with the default configuration on `backend`.
    pub fn start_on(backend: Backend) -> TestServer {
        TestServer::start_on_with(backend, |_| {})
    }

    /// A server on `backend` whose configuration `edit` changes first.
    pub fn start_on_with(backend: Backend, edit: impl FnOnce(&mut ServerConfig)) -> TestServer {
        TestServer::start_with(|config| {
            if backend == Backend::Postgres {
                let url = wharf::backend::testing::scratch().expect("a PostgreSQL schema for the test");
                config.database.url = Some(url);
            }
            edit(config);
        })
    }

    /// Another replica beside this one, which must be on PostgreSQL: the same database, so
    /// the same queue and clients (whose secrets it knows), a deployment and data directory
    /// of its own, and this one's URL as its public URL, as replicas behind one load balancer
    /// have (so tokens and links either mints are good on both); `edit` changes its
    /// configuration first.
    pub fn replica(&self, edit: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let database = self.config.database.url.clone().expect("a replica shares a PostgreSQL database");
        let public_url = self.url.clone();
        let mut replica = TestServer::launch(|config| {
            config.database.url = Some(database);
            config.public_url = Some(public_url);
            config.jobs = self.config.jobs.clone();
            edit(config);
        });
        replica.secrets = self.secrets.clone();
        replica
    }

    /// A server whose configuration `edit` changes first.
    pub fn start_with(edit: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let mut server = TestServer::launch(edit);
        server.register(FABRIKAM, &[Role::DataManagement], &["usmf"]);
        server.register(OPS, &[Role::Admin], &["*"]);
        server
    }

    /// A server whose configuration `edit` changes first, with no client registered.
    fn launch(edit: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let (dir, _) = deployment();
        copy_jobs(dir.path());
        let mut config = ServerConfig {
            listen: "127.0.0.1:0".parse().expect("an address"),
            deployment: dir.path().to_owned(),
            ..ServerConfig::default()
        };
        config.jobs.tick = Duration::from_millis(20);
        // The tests ask for a token before their calls, as no real client does: let a whole
        // minute's token budget go at once. The tests of the budget set their own.
        config.limits.token_burst = config.limits.token_requests_per_minute;
        edit(&mut config);
        let mut http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60));
        // A server with `[tls]` is trusted by its certificate, as a client is told to trust it.
        if let Some(tls) = &config.tls {
            let pem = std::fs::read(&tls.certificate).expect("the server's certificate");
            http = http.add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a PEM certificate"));
        }
        let http = http.build().expect("a client");
        let (url, auth, stop, thread) = run(config.clone());
        TestServer { url, dir, auth, http, config, secrets: Default::default(), stop: Some(stop), thread: Some(thread) }
    }

    /// Stops the server gracefully: requests and executions under way finish first.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the server stops cleanly");
        }
    }

    /// Stops the server and starts it again on the same deployment and data (on a new port).
    pub fn restart(&mut self) {
        self.stop();
        let (url, auth, stop, thread) = run(self.config.clone());
        (self.url, self.auth, self.stop, self.thread) = (url, auth, Some(stop), Some(thread));
    }

    /// Registers client `id`; `companies` may be `["*"]`.
    pub fn register(&mut self, id: &str, roles: &[Role], companies: &[&str]) {
        let companies = match companies {
            ["*"] => Companies::All,
            companies => Companies::Only(companies.iter().map(|company| company.to_string()).collect()),
        };
        let registration = NewClient {
            id: Some(id.to_owned()),
            name: id.to_owned(),
            roles: roles.iter().copied().collect::<BTreeSet<_>>(),
            companies,
            enabled: true,
        };
        let (_, secret) = self.auth.add_client(registration).expect("the client registers");
        self.secrets.insert(id.to_owned(), secret);
    }

    /// The secret of a client registered here.
    pub fn secret(&self, id: &str) -> &str {
        &self.secrets[id]
    }

    /// A token for client `id`, from the v2 token endpoint.
    pub fn token(&self, id: &str) -> String {
        let response = self
            .http
            .post(format!("{}/tenant/oauth2/v2.0/token", self.url))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", self.secret(id)),
                ("scope", &format!("{}/.default", self.public_url())),
            ])
            .send()
            .expect("the token endpoint answers");
        assert_eq!(response.status(), 200, "token for {id}");
        let body: serde_json::Value = response.json().expect("a token response");
        body["access_token"].as_str().expect("an access token").to_owned()
    }

    /// The URL it tells clients to use: its own, or with [`replica`](Self::replica) the
    /// first replica's, as behind one load balancer.
    pub fn public_url(&self) -> &str {
        self.config.public_url.as_deref().unwrap_or(&self.url)
    }

    /// `url` relative to the server.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Waits until `check` holds, for at most 30 s.
    pub fn wait_for(&self, what: &str, mut check: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !check() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The deployment's data directory.
    pub fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// The PostgreSQL database the server keeps its state in, when it is on one.
    pub fn database_url(&self) -> Option<&str> {
        self.config.database.url.as_deref()
    }

    /// The server's entity store, opened beside it: the file in its data directory, or its
    /// database.
    pub fn store(&self) -> wharf::store::Store {
        match self.database_url() {
            None => {
                wharf::store::Store::open(&self.data().join("wharf.db")).expect("the store opens beside the server")
            }
            Some(url) => {
                let postgres = wharf::backend::Postgres::connect_blocking(url, 2).expect("the server's database");
                wharf::store::Store::on_postgres(&postgres).expect("the store opens beside the server")
            }
        }
    }

    /// The key the server signs tokens with, as PEM: its file, or on PostgreSQL the
    /// database's active key.
    pub fn signing_key_pem(&self) -> Vec<u8> {
        let Some(url) = &self.config.database.url else {
            return std::fs::read(self.data().join("keys/signing.pem")).expect("the server's signing key");
        };
        let postgres = wharf::backend::Postgres::connect_blocking(url, 1).expect("the server's database");
        postgres.block_on(async {
            let client = postgres.client().await.expect("a connection");
            let sql = "SELECT private_key FROM auth_keys WHERE retired_at IS NULL";
            let pem: String = client.query_one(sql, &[]).await.expect("the active signing key").get(0);
            pem.into_bytes()
        })
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs a server with `config` on a thread of its own until the returned sender fires.
fn run(config: ServerConfig) -> (String, Auth, oneshot::Sender<()>, std::thread::JoinHandle<()>) {
    let (started, ready) = std::sync::mpsc::channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async move {
            let server = match Server::bind(&config).await {
                Ok(server) => server,
                Err(error) => return started.send(Err(format!("{error:#}"))).expect("the test waits"),
            };
            let scheme = if server.serves_tls() { "https" } else { "http" };
            let url = format!("{scheme}://{}", server.local_addr().expect("an address"));
            started.send(Ok((url, server.auth().clone()))).expect("the test waits");
            server
                .run(async move {
                    let _ = stopped.await;
                })
                .await
                .expect("the server runs");
        });
    });
    let (url, auth) = ready.recv().expect("the server thread answers").expect("the server starts");
    (url, auth, stop, thread)
}

/// The example jobs, processing every 100 ms instead of every few seconds.
pub fn copy_jobs(deployment: &Path) {
    let from = wharf_tests::root().join("examples/deployment/jobs");
    let to = deployment.join("jobs");
    std::fs::create_dir_all(&to).expect("jobs directory");
    for entry in std::fs::read_dir(from).expect("example jobs") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("a job");
        let text = text
            .replace("processing = \"2s\"", "processing = \"100ms\"")
            .replace("processing = \"5s\"", "processing = \"100ms\"");
        std::fs::write(to.join(path.file_name().expect("name")), text).expect("write a job");
    }
}
