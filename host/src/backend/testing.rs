//! PostgreSQL for tests: the server `WHARF_TEST_DATABASE_URL` names, else a throwaway cluster
//! this process starts with `initdb` and `pg_ctl` (and stops when it ends), and in it a fresh
//! schema per test so tests run side by side without seeing each other's rows.
//!
//! There is no skipping: when neither can be had, the test fails and says how to get one.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{Context as _, Result, bail, ensure};

/// The variable naming a server for tests.
pub const TEST_DATABASE_URL_VAR: &str = "WHARF_TEST_DATABASE_URL";

const HOW_TO_GET_ONE: &str = "PostgreSQL is needed for these tests: set WHARF_TEST_DATABASE_URL to a database \
     (postgres://user@host:port/db) or install the server binaries (Debian: `apt-get install postgresql`) so \
     that `initdb` and `pg_ctl` can start a throwaway cluster";

/// The server tests use: its URL without a schema.
pub fn server() -> Result<String> {
    static SERVER: OnceLock<std::result::Result<(String, Option<Cluster>), String>> = OnceLock::new();
    let server = SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var(TEST_DATABASE_URL_VAR)
            && !url.is_empty()
        {
            return Ok((url, None));
        }
        let cluster = Cluster::start().and_then(|cluster| {
            // It lives in a static, which is never dropped: a process of its own stops it and
            // removes its files once this one has ended, however it ends.
            cluster.stop_after(std::process::id())?;
            Ok(cluster)
        });
        match cluster {
            Ok(cluster) => Ok((cluster.url(), Some(cluster))),
            Err(error) => Err(format!("{HOW_TO_GET_ONE}: {error:#}")),
        }
    });
    match server {
        Ok((url, _)) => Ok(url.clone()),
        Err(error) => bail!("{error}"),
    }
}

/// A URL for a new, empty schema of the test server: everything a connection made with it
/// creates or reads lives in that schema.
pub fn scratch() -> Result<String> {
    let server = server()?;
    let schema = format!("wharf_test_{}", uuid::Uuid::new_v4().simple());
    let mut client = postgres_client(&server)?;
    client.batch_execute(&format!("CREATE SCHEMA {schema}"))?;
    Ok(with_schema(&server, &schema))
}

/// `url` with every connection's `search_path` set to `schema`.
pub fn with_schema(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

fn postgres_client(url: &str) -> Result<SyncClient> {
    SyncClient::connect(url)
}

/// A minimal blocking client for setting tests up, on a runtime of its own.
struct SyncClient {
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl SyncClient {
    fn connect(url: &str) -> Result<SyncClient> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let client = runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .with_context(|| format!("cannot connect to the test database at {url}"))?;
            tokio::spawn(connection);
            anyhow::Ok(client)
        })?;
        Ok(SyncClient { runtime, client })
    }

    fn batch_execute(&mut self, sql: &str) -> Result<()> {
        self.runtime.block_on(self.client.batch_execute(sql))?;
        Ok(())
    }
}

/// A PostgreSQL cluster of this process's own, in a temporary directory, on a free port.
/// Stopped (immediately) when dropped.
#[derive(Debug)]
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// The user the server runs as when this process is root (PostgreSQL refuses root).
    run_as: Option<String>,
}

impl Cluster {
    /// Makes and starts a cluster with trust authentication for local connections.
    pub fn start() -> Result<Cluster> {
        let bin = server_binaries().context("no PostgreSQL server binaries (initdb, pg_ctl) were found")?;
        let dir = tempfile::Builder::new().prefix("wharf-pg-").tempdir()?;
        let run_as = is_root().then(|| "postgres".to_owned());
        let port = free_port()?;
        let cluster = Cluster { dir, bin, port, run_as };
        if let Some(user) = &cluster.run_as {
            run(Command::new("chown").args(["-R", user]).arg(cluster.dir.path()))?;
        }
        run(cluster
            .command("initdb")
            .args(["--auth=trust", "--username=postgres", "--encoding=UTF8", "--no-sync", "-D"])
            .arg(cluster.data()))?;
        cluster.start_server()?;
        Ok(cluster)
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops it at once, as a crash would (`pg_ctl stop -m immediate`: no checkpoint, the next
    /// start recovers from the write-ahead log), and starts it again.
    pub fn restart_immediately(&self) -> Result<()> {
        run(self.command("pg_ctl").args(["stop", "-m", "immediate", "-w", "-D"]).arg(self.data()))?;
        self.start_server()
    }

    /// Starts a process that waits for process `pid` to end, then stops the cluster at once
    /// and removes its directory.
    fn stop_after(&self, pid: u32) -> Result<()> {
        let pg_ctl = self.bin.join("pg_ctl");
        let as_user = self.run_as.as_ref().map(|user| format!("runuser -u {user} -- ")).unwrap_or_default();
        let (data, dir) = (self.data(), self.dir.path());
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             {as_user}'{}' stop -m immediate -D '{}'; rm -rf '{}'",
            pg_ctl.display(),
            data.display(),
            dir.display()
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("cannot start the process that stops the test cluster")?;
        Ok(())
    }

    fn start_server(&self) -> Result<()> {
        let options =
            format!("-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off", self.port);
        run(self
            .command("pg_ctl")
            .args(["start", "-w", "-t", "60", "-o", &options, "-l"])
            .arg(self.dir.path().join("server.log"))
            .arg("-D")
            .arg(self.data()))?;
        Ok(())
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").args(["stop", "-m", "immediate", "-D"]).arg(self.data()).output();
    }
}

fn run(command: &mut Command) -> Result<()> {
    let output = command.output().with_context(|| format!("cannot run {command:?}"))?;
    ensure!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(())
}

/// The directory holding `initdb` and `pg_ctl`: on the `PATH`, or Debian's versioned one.
fn server_binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file());
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
            .filter(|bin| bin.join("initdb").is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
