//! Client registrations: who may get a token, with which roles, for which companies, and
//! how a client's secret is made and checked. Where registrations are kept, and how the memory
//! copy that answers token checks stays current, is the business of `state`, per backend.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use anyhow::{Context as _, Result, anyhow, ensure};
use argon2::password_hash::{Output, PasswordHash, PasswordHasher as _, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::{Caller, Companies, Role};

/// The longest client id: GUIDs (36) and readable names fit.
const CLIENT_ID_LENGTH_MAX: usize = 64;

/// A registered client, as the API shows it. The secret is never part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// The client id used to get tokens: usually a GUID, in lowercase.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// What the client may do.
    pub roles: BTreeSet<Role>,
    /// Which companies' data it may see.
    #[schema(schema_with = super::companies_schema)]
    pub companies: Companies,
    /// A disabled client gets no tokens, and its tokens are refused.
    pub enabled: bool,
    /// When it was registered, RFC 3339.
    pub created: String,
}

/// A client to register.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
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
    #[schema(schema_with = super::companies_schema)]
    pub companies: Companies,
    /// Whether it may get and use tokens now.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// A client with the hash of its secret, as kept in memory.
pub(super) struct Registration {
    pub(super) client: Client,
    pub(super) secret_hash: String,
}

/// The registrations by lowercase client id.
pub(super) type Registrations = HashMap<String, Registration>;

/// What a change to a client writes, as both backends store it: roles and companies as JSON
/// text.
pub(super) struct ClientFields {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) roles: String,
    pub(super) companies: String,
    pub(super) enabled: bool,
}

/// A whole registration as both backends store it.
pub(super) struct ClientRow {
    pub(super) fields: ClientFields,
    pub(super) created: String,
    pub(super) secret_hash: String,
}

impl ClientFields {
    /// The fields of `client`, with its id and companies in lowercase as they are stored.
    pub(super) fn of(client: &Client) -> Result<ClientFields> {
        Ok(ClientFields {
            id: client.id.to_ascii_lowercase(),
            name: client.name.clone(),
            roles: serde_json::to_string(&client.roles)?,
            companies: serde_json::to_string(&client.companies.clone().normalized())?,
            enabled: client.enabled,
        })
    }
}

impl ClientRow {
    /// The registration the row stands for; fails on roles or companies that are not valid.
    pub(super) fn registration(self) -> Result<Registration> {
        let ClientFields { id, name, roles, companies, enabled } = self.fields;
        let client = Client {
            name,
            roles: serde_json::from_str(&roles).with_context(|| format!("client {id} has invalid roles"))?,
            companies: serde_json::from_str(&companies)
                .with_context(|| format!("client {id} has invalid companies"))?,
            enabled,
            created: self.created,
            id,
        };
        Ok(Registration { client, secret_hash: self.secret_hash })
    }
}

/// The client a registration makes, with its new secret and the secret's hash. Blocks for an
/// argon2 hash.
pub(super) fn register(registration: NewClient) -> Result<(Client, String, String)> {
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
    Ok((client, secret, secret_hash))
}

/// A new secret and its hash. Blocks for an argon2 hash.
pub(super) fn new_secret_and_hash() -> Result<(String, String)> {
    let secret = new_secret()?;
    let secret_hash = hash_secret(&secret)?;
    Ok((secret, secret_hash))
}

/// The caller a validated token of `client_id` stands for, if that client is registered and
/// enabled.
pub(super) fn caller(registrations: &Registrations, client_id: &str) -> Option<Caller> {
    let client = &registrations.get(&client_id.to_ascii_lowercase())?.client;
    client.enabled.then(|| Caller {
        client_id: client.id.clone(),
        roles: client.roles.clone(),
        companies: client.companies.clone(),
    })
}

/// The client whose id and secret these are, if it is enabled. Slow on purpose (argon2), and
/// as slow for an unknown client as for a wrong secret: `dummy_hash` is checked instead, so an
/// unknown client id cannot be told apart by timing.
pub(super) fn authenticate(
    registrations: Option<&Registrations>,
    client_id: &str,
    secret: &str,
    dummy_hash: &str,
) -> Option<Client> {
    let registration = registrations.and_then(|registrations| registrations.get(&client_id.to_ascii_lowercase()));
    let (client, secret_hash) = match registration {
        Some(registration) => (Some(&registration.client), registration.secret_hash.as_str()),
        None => (None, dummy_hash),
    };
    let matches = secret_matches(secret, secret_hash);
    client.filter(|client| matches && client.enabled).cloned()
}

/// A hash of a random secret nobody knows, for [`authenticate`] to check unknown clients against.
pub(super) fn dummy_hash() -> Result<String> {
    hash_secret(&new_secret()?)
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
