//! Client registrations: who may get a token, with which roles, for which companies. Kept in
//! the `auth_clients` table, and in memory so that validating a token never reads the table.
//!
//! Other processes change the table too (`wharf client` on the server's data directory), and
//! a removed or disabled client must be shut out at once, not at the next start. So before the
//! memory copy answers, a connection of its own asks SQLite whether anything was committed to
//! the file since it last looked (`PRAGMA data_version`: a counter in shared memory, no read of
//! the file), and if so, whether the clients changed (`auth_clients_changes`, a count that
//! triggers on the table keep, whatever wrote to it). Only then is the table read again.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use argon2::password_hash::{Output, PasswordHash, PasswordHasher as _, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use super::{Caller, Companies, Role};

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest client id: GUIDs (36) and readable names fit.
const CLIENT_ID_LENGTH_MAX: usize = 64;

/// The table, and a count of its changes that triggers keep, so that a change made by any
/// writer (another process, an older Wharf, the `sqlite3` shell) is seen.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS auth_clients (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    roles TEXT NOT NULL,        -- JSON list of role names
    companies TEXT NOT NULL,    -- JSON: \"*\" or a list of company ids
    enabled INTEGER NOT NULL,
    created TEXT NOT NULL,      -- RFC 3339
    secret_hash TEXT NOT NULL   -- argon2id, PHC string
) STRICT;
CREATE TABLE IF NOT EXISTS auth_clients_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    count INTEGER NOT NULL
) STRICT;
INSERT OR IGNORE INTO auth_clients_changes (id, count) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS auth_clients_inserted AFTER INSERT ON auth_clients
    BEGIN UPDATE auth_clients_changes SET count = count + 1; END;
CREATE TRIGGER IF NOT EXISTS auth_clients_updated AFTER UPDATE ON auth_clients
    BEGIN UPDATE auth_clients_changes SET count = count + 1; END;
CREATE TRIGGER IF NOT EXISTS auth_clients_deleted AFTER DELETE ON auth_clients
    BEGIN UPDATE auth_clients_changes SET count = count + 1; END;
";

/// A registered client, as the API shows it. The secret is never part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// The client id used to get tokens: usually a GUID, in lowercase.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// What the client may do.
    pub roles: BTreeSet<Role>,
    /// Which companies' data it may see.
    pub companies: Companies,
    /// A disabled client gets no tokens, and its tokens are refused.
    pub enabled: bool,
    /// When it was registered, RFC 3339.
    pub created: String,
}

/// A client to register.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    /// The client id; a new GUID when `None`. Letters, digits, `-`, `_` and `.`; compared
    /// without regard to case, as Entra's GUIDs are, and kept in lowercase.
    #[serde(default)]
    pub id: Option<String>,
    /// A name for people.
    pub name: String,
    /// What the client may do.
    #[serde(default)]
    pub roles: BTreeSet<Role>,
    /// Which companies' data it may see.
    pub companies: Companies,
    /// Whether it may get and use tokens now.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// The registrations, in SQLite and in memory.
///
/// Changes go to SQLite only; the memory copy is refreshed from it before every answer
/// ([`Registrations::current`]), so a change this process makes and one another process makes
/// take the same path, and the copy is never newer or older than the table it was read from.
pub(super) struct Registrations {
    /// Every change this process makes goes through this connection.
    connection: Mutex<Connection>,
    /// Watches the file for changes; held while the memory copy is refreshed, so refreshes
    /// take turns and each installs a copy at least as new as the one before.
    watch: Mutex<Watch>,
    clients: RwLock<HashMap<String, Registration>>,
    /// What an unknown client's secret is checked against, so that an unknown client id
    /// takes as long to refuse as a wrong secret and cannot be told apart by timing.
    dummy_hash: String,
}

struct Registration {
    client: Client,
    secret_hash: String,
}

/// A read connection of its own, and what it last saw. It never writes: `PRAGMA data_version`
/// does not change for commits made on the connection that asks.
struct Watch {
    connection: Connection,
    /// `PRAGMA data_version` when the memory copy was last checked; `None` before the first.
    data_version: Option<i64>,
    /// `auth_clients_changes.count` that the memory copy was read at.
    changes: Option<i64>,
}

impl Registrations {
    pub(super) fn open(path: &Path) -> Result<Registrations> {
        // No URI flag: a path is always a file name, never `file:` options.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open the client registrations {}", path.display()))?;
        configure(&connection)
            .with_context(|| format!("cannot prepare the client registrations {}", path.display()))?;
        let watch = Connection::open_with_flags(path, flags)
            .and_then(|watch| {
                watch.busy_timeout(BUSY_TIMEOUT)?;
                watch.pragma_update(None, "query_only", true)?;
                Ok(watch)
            })
            .with_context(|| format!("cannot open the client registrations {}", path.display()))?;
        let registrations = Registrations {
            connection: Mutex::new(connection),
            watch: Mutex::new(Watch { connection: watch, data_version: None, changes: None }),
            clients: RwLock::new(HashMap::new()),
            dummy_hash: hash_secret(&new_secret()?)?,
        };
        registrations.refresh().with_context(|| format!("cannot read the client registrations {}", path.display()))?;
        Ok(registrations)
    }

    pub(super) fn add(&self, registration: NewClient) -> Result<(Client, String)> {
        let id = match registration.id {
            Some(id) => checked_id(&id)?,
            None => uuid::Uuid::new_v4().to_string(),
        };
        let secret = new_secret()?;
        let secret_hash = hash_secret(&secret)?;
        let client = Client {
            id,
            name: registration.name,
            roles: registration.roles,
            companies: registration.companies.normalized(),
            enabled: registration.enabled,
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        let connection = self.connection();
        let exists = connection
            .query_row("SELECT 1 FROM auth_clients WHERE id = ?1", [&client.id], |_| Ok(()))
            .optional()
            .with_context(|| format!("cannot read client {}", client.id))?;
        ensure!(exists.is_none(), "client {} already exists", client.id);
        connection
            .execute(
                "INSERT INTO auth_clients (id, name, roles, companies, enabled, created, secret_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    client.id,
                    client.name,
                    serde_json::to_string(&client.roles)?,
                    serde_json::to_string(&client.companies)?,
                    client.enabled,
                    client.created,
                    secret_hash,
                ],
            )
            .with_context(|| format!("cannot save client {}", client.id))?;
        Ok((client, secret))
    }

    pub(super) fn set(&self, client: &Client) -> Result<()> {
        let id = client.id.to_ascii_lowercase();
        let companies = client.companies.clone().normalized();
        let connection = self.connection();
        let changed = connection
            .execute(
                "UPDATE auth_clients SET name = ?2, roles = ?3, companies = ?4, enabled = ?5 WHERE id = ?1",
                params![
                    id,
                    client.name,
                    serde_json::to_string(&client.roles)?,
                    serde_json::to_string(&companies)?,
                    client.enabled
                ],
            )
            .with_context(|| format!("cannot save client {id}"))?;
        ensure!(changed == 1, "no client {id}");
        Ok(())
    }

    pub(super) fn reset_secret(&self, client_id: &str) -> Result<String> {
        let id = client_id.to_ascii_lowercase();
        let secret = new_secret()?;
        let secret_hash = hash_secret(&secret)?;
        let connection = self.connection();
        let changed = connection
            .execute("UPDATE auth_clients SET secret_hash = ?2 WHERE id = ?1", params![id, secret_hash])
            .with_context(|| format!("cannot save client {id}"))?;
        ensure!(changed == 1, "no client {id}");
        Ok(secret)
    }

    pub(super) fn remove(&self, client_id: &str) -> Result<bool> {
        let id = client_id.to_ascii_lowercase();
        let connection = self.connection();
        let removed = connection
            .execute("DELETE FROM auth_clients WHERE id = ?1", [&id])
            .with_context(|| format!("cannot remove client {id}"))?;
        Ok(removed > 0)
    }

    pub(super) fn client(&self, client_id: &str) -> Option<Client> {
        self.current()?.get(&client_id.to_ascii_lowercase()).map(|registration| registration.client.clone())
    }

    pub(super) fn clients(&self) -> Vec<Client> {
        let Some(current) = self.current() else { return Vec::new() };
        let mut clients: Vec<Client> = current.values().map(|registration| registration.client.clone()).collect();
        clients.sort_by(|a, b| a.id.cmp(&b.id));
        clients
    }

    /// The caller a validated token of `client_id` stands for, if that client is registered
    /// and enabled.
    pub(super) fn caller(&self, client_id: &str) -> Option<Caller> {
        let clients = self.current()?;
        let client = &clients.get(&client_id.to_ascii_lowercase())?.client;
        client.enabled.then(|| Caller {
            client_id: client.id.clone(),
            roles: client.roles.clone(),
            companies: client.companies.clone(),
        })
    }

    /// The client whose id and secret these are, if it is enabled. Slow on purpose (argon2),
    /// and as slow for an unknown client as for a wrong secret.
    pub(super) fn authenticate(&self, client_id: &str, secret: &str) -> Option<Client> {
        let found = self.current().and_then(|clients| {
            let registration = clients.get(&client_id.to_ascii_lowercase())?;
            Some((registration.client.clone(), registration.secret_hash.clone()))
        });
        let (client, secret_hash) = match found {
            Some((client, secret_hash)) => (Some(client), secret_hash),
            None => (None, self.dummy_hash.clone()),
        };
        // Checked without holding the lock: the hash takes tens of milliseconds.
        let matches = secret_matches(secret, &secret_hash);
        client.filter(|client| matches && client.enabled)
    }

    /// The registrations as committed now: the memory copy, refreshed first when the table
    /// changed. `None` when the database cannot be read; callers then refuse, since a copy
    /// that may be stale could let a removed client in.
    fn current(&self) -> Option<RwLockReadGuard<'_, HashMap<String, Registration>>> {
        match self.refresh() {
            Ok(()) => Some(self.read()),
            Err(error) => {
                tracing::error!("cannot check the client registrations for changes: {error:#}");
                None
            }
        }
    }

    /// Reads the table again if anyone changed it since the memory copy was read.
    fn refresh(&self) -> Result<()> {
        let mut watch = self.watch.lock().unwrap_or_else(PoisonError::into_inner);
        // Read before the table, so that a commit in between makes the next check look again.
        let data_version: i64 = watch
            .connection
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |row| row.get(0))
            .context("cannot read the database's data version")?;
        if watch.data_version == Some(data_version) {
            return Ok(());
        }
        // The count and the rows from one read transaction: the copy matches the count.
        let transaction = watch.connection.unchecked_transaction()?;
        let changes: i64 = transaction
            .prepare_cached("SELECT count FROM auth_clients_changes WHERE id = 1")?
            .query_row([], |row| row.get(0))
            .context("cannot read the count of client changes")?;
        if watch.changes != Some(changes) {
            let clients = load(&transaction)?;
            *self.write() = clients;
        }
        transaction.finish()?;
        watch.changes = Some(changes);
        watch.data_version = Some(data_version);
        Ok(())
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // A connection is whole after any panic: SQLite rolls back an unfinished statement.
        self.connection.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<String, Registration>> {
        self.clients.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<String, Registration>> {
        self.clients.write().unwrap_or_else(PoisonError::into_inner)
    }
}

fn configure(connection: &Connection) -> Result<()> {
    connection.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!("the file system does not support SQLite's WAL mode (got {mode}); use a local disk");
    }
    // A client is told its secret once: the registration must survive a power loss after that.
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.execute_batch(SCHEMA)?;
    Ok(())
}

fn load(connection: &Connection) -> Result<HashMap<String, Registration>> {
    let mut statement =
        connection.prepare("SELECT id, name, roles, companies, enabled, created, secret_hash FROM auth_clients")?;
    let mut rows = statement.query([])?;
    let mut clients = HashMap::new();
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let roles: String = row.get(2)?;
        let companies: String = row.get(3)?;
        let client = Client {
            name: row.get(1)?,
            roles: serde_json::from_str(&roles).with_context(|| format!("client {id} has invalid roles"))?,
            companies: serde_json::from_str(&companies)
                .with_context(|| format!("client {id} has invalid companies"))?,
            enabled: row.get(4)?,
            created: row.get(5)?,
            id: id.clone(),
        };
        clients.insert(id, Registration { client, secret_hash: row.get(6)? });
    }
    Ok(clients)
}

fn checked_id(id: &str) -> Result<String> {
    let valid = !id.is_empty()
        && id.len() <= CLIENT_ID_LENGTH_MAX
        && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'));
    ensure!(valid, "invalid client id {id:?}: use letters, digits, '-', '_' and '.', at most {CLIENT_ID_LENGTH_MAX}");
    Ok(id.to_ascii_lowercase())
}

/// A new client secret: 256 random bits, base64url without padding (43 characters).
fn new_secret() -> Result<String> {
    let mut bytes = [0; 32];
    getrandom::fill(&mut bytes).map_err(|error| anyhow!("no randomness for a client secret: {error}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The argon2id hash of `secret` with a random salt, as a PHC string.
fn hash_secret(secret: &str) -> Result<String> {
    let mut salt = [0; 16];
    getrandom::fill(&mut salt).map_err(|error| anyhow!("no randomness for a salt: {error}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|error| anyhow!("cannot encode a salt: {error}"))?;
    let hash = Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map_err(|error| anyhow!("cannot hash a client secret: {error}"))?;
    Ok(hash.to_string())
}

thread_local! {
    /// argon2's working memory (19 MiB with the default parameters), kept by each thread that
    /// checks secrets. Allocated anew for each check, the blocks fragment the allocator's
    /// arenas: 34 checks on two threads grew the server by 340 MiB for good. Kept, a thread
    /// holds one block, and only the server's secret-check threads check secrets.
    static ARGON2_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Whether `secret` hashes to the PHC string `secret_hash`: `PasswordVerifier::verify_password`,
/// with the thread's argon2 memory instead of a fresh allocation.
fn secret_matches(secret: &str, secret_hash: &str) -> bool {
    let Ok(hash) = PasswordHash::new(secret_hash) else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    // The parameters come from the PHC string, so hashes made with older defaults still verify.
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(hash.algorithm), Params::try_from(&hash)) else {
        return false;
    };
    let Ok(version) = hash.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
    let mut salt_bytes = [0; Salt::MAX_LENGTH];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let mut output = vec![0; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params);
    let hashed = ARGON2_MEMORY.with_borrow_mut(|memory| {
        memory.resize(argon2.params().block_count(), Block::default());
        argon2.hash_password_into_with_memory(secret.as_bytes(), salt, &mut output, memory.as_mut_slice())
    });
    // `Output` compares in constant time, as `verify_password` does.
    hashed.is_ok() && Output::new(&output).is_ok_and(|output| output == expected)
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    #[test]
    fn secrets_match_the_hashes_argon2_makes_with_any_variant_version_and_parameters() {
        let salt = SaltString::encode_b64(b"sixteen byte salt").expect("a salt");
        let cheap = |output| Params::new(64, 2, 1, output).expect("parameters");
        let hashers = [
            Argon2::new(Algorithm::Argon2id, Version::V0x13, cheap(Some(32))),
            Argon2::new(Algorithm::Argon2i, Version::V0x10, cheap(Some(16))),
            Argon2::new(Algorithm::Argon2d, Version::V0x13, cheap(Some(64))),
        ];
        for hasher in hashers {
            let hash = hasher.hash_password(b"right secret", &salt).expect("a hash").to_string();
            assert!(secret_matches("right secret", &hash), "{hash}");
            assert!(!secret_matches("wrong secret", &hash), "{hash}");
            assert!(!secret_matches("right secre", &hash), "{hash}");
        }
        let default = hash_secret("right secret").expect("a hash");
        assert!(secret_matches("right secret", &default) && !secret_matches("", &default));
        assert!(!secret_matches("right secret", "$argon2id$v=19$m=64,t=2,p=1$c2FsdHNhbHQ"), "a hash without output");
        assert!(!secret_matches("right secret", "not a PHC string"));
    }
}
