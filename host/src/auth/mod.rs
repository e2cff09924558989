//! Authentication: OAuth 2.0 client-credentials tokens for registered clients, and bearer
//! tokens (Wharf's own or an external issuer's, such as Entra ID) turned into a [`Caller`].
//!
//! Wharf plays the part Entra ID plays for D365: a client posts its id and secret to
//! `/{tenant}/oauth2/token` (v1) or `/{tenant}/oauth2/v2.0/token` (v2), gets a JWT signed with
//! the server's Ed25519 key, and calls the API with it. A client's registration says what it
//! may do ([`Role`]s) and which [`Companies`] it may see. The registration is looked up on every
//! call, so removing or disabling a client shuts it out, even with unexpired tokens: at once
//! with SQLite, within seconds on every replica with PostgreSQL (see `state` for the bound).
//!
//! Keys rotate ([`Auth::rotate_key`]): a new key signs from then on (with PostgreSQL once every
//! replica has read it), and the retired one keeps verifying until every token it signed has
//! expired (its retirement plus the token lifetime, the leeway, and the time a replica may take
//! to see the rotation), then drops out of the JWKS. With SQLite the active key is the PEM file in the data directory and retired keys are
//! rows of the server database (`auth_signing_keys`); with PostgreSQL every key is a row of
//! `auth_keys`, so that every replica signs and verifies with the same keys.
//!
//! `auth` knows nothing of HTTP: the api turns requests into a [`TokenRequest`] or a bearer
//! string, and a [`TokenError`] or an [`AuthError`] into a response.

mod clients;
mod keys;
mod state;
mod token;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, ensure};

use crate::backend::Backend;
use jsonwebtoken::Validation;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use clients::{Client, NewClient};
pub use token::{TokenEndpoint, TokenError, TokenErrorKind, TokenRequest, TokenResponse};

/// The `[auth]` table of the server's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// The `iss` of the tokens Wharf issues. The server fills an empty one with its public URL.
    pub issuer: String,
    /// The `aud` of Wharf's tokens: a token request must name it as its `resource` (v1) or as
    /// the base of its `scope` (v2). The server fills an empty one with its public URL.
    pub audience: String,
    /// How long an issued token is valid, written like "1h" or "90m".
    #[serde(with = "humantime_serde")]
    pub token_lifetime: Duration,
    /// The clock skew allowed when checking a token's `exp` and `nbf`.
    #[serde(with = "humantime_serde")]
    pub leeway: Duration,
    /// Another issuer whose tokens are accepted too, e.g. the Entra ID tenant clients use.
    pub external: Option<ExternalIssuer>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            issuer: String::new(),
            audience: String::new(),
            token_lifetime: Duration::from_secs(3600),
            leeway: Duration::from_secs(60),
            external: None,
        }
    }
}

/// An issuer of RS256 tokens Wharf accepts besides its own, such as an Entra ID tenant.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalIssuer {
    /// The exact `iss`: `https://sts.windows.net/{tenant}/` for Entra v1 tokens,
    /// `https://login.microsoftonline.com/{tenant}/v2.0` for v2 tokens.
    pub issuer: String,
    /// The exact `aud` the tokens must carry.
    pub audience: String,
    /// The issuer's signing keys as a JWKS file (Entra's `discovery/v2.0/keys`, saved). Wharf
    /// reads a file rather than fetching a URL so that it never makes requests a token can steer.
    /// The file is read again when a token names an unknown `kid`, at most once a minute.
    pub jwks: PathBuf,
}

/// The authentication state: the signing keys, the client registrations, the external issuer's
/// keys. Cheap to clone; every clone shares the same state.
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    settings: AuthSettings,
    /// The clients and the signing keys, as the backend keeps them.
    state: state::State,
    /// How Wharf's own tokens are checked, built once from the settings.
    own_validation: Validation,
    external: Option<External>,
    validated: token::ValidatedTokens,
}

struct External {
    keys: keys::ExternalKeys,
    validation: Validation,
}

impl Auth {
    /// Opens the auth state on `backend`. With SQLite: the active signing key in `key_path`
    /// (an Ed25519 PKCS#8 PEM file, created with mode 0600 on first start and kept), the client
    /// registrations and retired keys in the database at `db_path` (tables `auth_clients` and
    /// `auth_signing_keys`, created if missing; other tables may share the file). With
    /// PostgreSQL both are in the database (the paths are not used), and the first replica to
    /// start makes the key.
    pub fn open(backend: &Backend, db_path: &Path, key_path: &Path, settings: AuthSettings) -> Result<Auth> {
        let settings = settings.checked()?;
        let state = state::State::open(backend, db_path, key_path, settings.token_lifetime + settings.leeway)?;
        let external = match &settings.external {
            Some(issuer) => Some(External {
                keys: keys::ExternalKeys::open(&issuer.jwks)?,
                validation: token::external_validation(issuer, settings.leeway),
            }),
            None => None,
        };
        let own_validation = token::own_validation(&settings);
        let inner = Inner { settings, state, own_validation, external, validated: token::ValidatedTokens::default() };
        Ok(Auth { inner: Arc::new(inner) })
    }

    /// The settings in force (with the audience's trailing slash removed).
    pub fn settings(&self) -> &AuthSettings {
        &self.inner.settings
    }

    /// Answers an OAuth 2.0 client-credentials token request (RFC 6749 §4.4). `form` is the
    /// parsed urlencoded body; `basic` the decoded HTTP Basic `(client_id, secret)` when the
    /// request had one. `endpoint` says which endpoint was called: v1 needs `resource`, v2 needs
    /// `scope` = `<audience>/.default`.
    ///
    /// Blocks for tens of milliseconds: the secret is checked against an argon2 hash. Call it
    /// from a blocking thread, and rate-limit the endpoint (RFC 6749 §2.3.1 asks for protection
    /// against brute force).
    pub fn issue(
        &self,
        endpoint: TokenEndpoint,
        form: &TokenRequest,
        basic: Option<(String, String)>,
    ) -> Result<TokenResponse, TokenError> {
        token::issue(&self.inner, endpoint, form, basic)
    }

    /// Validates a bearer token (the text after "Bearer ") and finds the registered client it
    /// was issued to. Fast: it touches neither the disk nor a password hash.
    pub fn validate(&self, token: &str) -> Result<Caller, AuthError> {
        token::validate(&self.inner, token)
    }

    /// The enabled client whose id and secret these are: a browser's sign-in to the console.
    /// Blocks for an argon2 check, as slow for an unknown client as for a wrong secret; call it
    /// where the token endpoint calls [`issue`](Self::issue), through its bounded checks.
    pub fn authenticate(&self, client_id: &str, secret: &str) -> Option<Client> {
        let snapshot = self.inner.state.current();
        let registrations = snapshot.as_ref().map(|snapshot| &snapshot.registrations);
        clients::authenticate(registrations, client_id, secret, self.inner.state.dummy_hash())
    }

    /// Registers a client and returns it with its secret, which is stored only as a hash:
    /// this is the one time it can be shown. Blocks for an argon2 hash.
    pub fn add_client(&self, registration: NewClient) -> Result<(Client, String)> {
        self.inner.state.add(registration)
    }

    /// Updates a client's name, roles, companies and enabled flag (not its secret or creation
    /// time). Fails if there is no such client. With PostgreSQL it waits for the database:
    /// call it from a blocking thread.
    pub fn set_client(&self, client: &Client) -> Result<()> {
        self.inner.state.set(client)
    }

    /// Gives a client a new secret and returns it; the old one stops working at once. Tokens
    /// already issued stay valid until they expire: disable the client to shut those out too.
    pub fn reset_secret(&self, client_id: &str) -> Result<String> {
        self.inner.state.reset_secret(client_id)
    }

    /// Removes a client; false if there was none. Its tokens stop working at once. With
    /// PostgreSQL it waits for the database: call it from a blocking thread.
    pub fn remove_client(&self, client_id: &str) -> Result<bool> {
        self.inner.state.remove(client_id)
    }

    /// Makes a new signing key and retires the one in use; returns the new key's id. Tokens
    /// signed with the retired key keep validating until they expire. With PostgreSQL the new
    /// key is published at once but signs only 10 s later, once every replica has read it, so
    /// that no replica meets a token signed with a key it does not know; the old key signs
    /// until then.
    pub fn rotate_key(&self) -> Result<String> {
        self.inner.state.rotate_key()
    }

    /// The client registered under `client_id` (compared without regard to case).
    pub fn client(&self, client_id: &str) -> Option<Client> {
        let snapshot = self.inner.state.current()?;
        snapshot.registrations.get(&client_id.to_ascii_lowercase()).map(|registration| registration.client.clone())
    }

    /// All registered clients, sorted by id.
    pub fn clients(&self) -> Vec<Client> {
        let Some(snapshot) = self.inner.state.current() else { return Vec::new() };
        let mut clients: Vec<Client> =
            snapshot.registrations.values().map(|registration| registration.client.clone()).collect();
        clients.sort_by(|a, b| a.id.cmp(&b.id));
        clients
    }

    /// The public keys Wharf's tokens may be signed with, as a JWKS document: the active key
    /// first, then the retired keys whose tokens may not have expired yet.
    pub fn jwks(&self) -> serde_json::Value {
        // Keys as last read when the state cannot be confirmed current: public keys are safe
        // to show, and a replica that cannot read its database still verifies with them.
        let snapshot = self.inner.state.current().unwrap_or_else(|| self.inner.state.last());
        snapshot.keyring.jwks()
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Auth")
            .field("issuer", &self.inner.settings.issuer)
            .field("audience", &self.inner.settings.audience)
            .field("kid", &self.inner.state.last().keyring.active.kid)
            .finish_non_exhaustive()
    }
}

impl AuthSettings {
    /// Refuses settings that would make every token fail, or live dangerously long.
    fn checked(mut self) -> Result<AuthSettings> {
        ensure!(!self.issuer.is_empty(), "auth.issuer is empty");
        // The audience is compared with a resource that has had one trailing slash removed.
        if let Some(audience) = self.audience.strip_suffix('/') {
            self.audience = audience.to_owned();
        }
        ensure!(!self.audience.is_empty(), "auth.audience is empty");
        let lifetime = self.token_lifetime.as_secs();
        ensure!((60..=86_400).contains(&lifetime), "auth.token_lifetime must be between 1m and 24h");
        // RFC 7519 §4.1.4: leeway is "usually no more than a few minutes".
        ensure!(self.leeway <= Duration::from_secs(300), "auth.leeway must be at most 5m");
        if let Some(external) = &self.external {
            ensure!(!external.issuer.is_empty(), "auth.external.issuer is empty");
            ensure!(!external.audience.is_empty(), "auth.external.audience is empty");
        }
        Ok(self)
    }
}

/// A bearer token that could not be accepted. The api answers `Missing` and `Invalid` with
/// 401 and a generic text, and `NotMapped` with 403 (what D365 answers an unmapped app).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The request had no bearer token.
    #[error("no bearer token")]
    Missing,
    /// The token is malformed, badly signed, expired, or meant for someone else; the text says
    /// which, for the log.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// The token is good but its client is not registered, or is disabled.
    #[error("client {0:?} is not registered or is disabled")]
    NotMapped(String),
}

/// Who is calling, after validation: the client and what its registration allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The registered client's id.
    pub client_id: String,
    /// What the client may do.
    pub roles: BTreeSet<Role>,
    /// Which companies' data the client may see.
    pub companies: Companies,
}

impl Caller {
    /// Whether the client has `role`.
    pub fn is(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the client may see `company`'s data (company ids compare without regard to case).
    pub fn may_see(&self, company: &str) -> bool {
        match &self.companies {
            Companies::All => true,
            Companies::Only(companies) => companies.iter().any(|allowed| allowed.eq_ignore_ascii_case(company)),
        }
    }

    /// Whether the client may see something scoped to `company`, where `None` means every
    /// company (an execution or message of no single company): only a client granted every
    /// company may.
    pub fn may_see_scope(&self, company: Option<&str>) -> bool {
        match company {
            Some(company) => self.may_see(company),
            None => self.companies == Companies::All,
        }
    }
}

/// What a client may do, beyond calling the API at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Manages clients, jobs and settings.
    Admin,
    /// Uses the data management endpoints: packages and recurring integrations.
    DataManagement,
    /// Uses the operator console and its operations on jobs, messages, executions and
    /// plugins; only an admin also manages clients.
    Operator,
}

impl Role {
    /// The role's name in settings, tokens and the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DataManagement => "data-management",
            Role::Operator => "operator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The companies (D365 `dataAreaId`s) whose data a client may see. Written `"*"` for all, or
/// as a list of company ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Companies {
    /// Every company.
    All,
    /// These companies, in lowercase.
    Only(BTreeSet<String>),
}

/// How [`Companies`] reads in the OpenAPI document: `"*"` for every company, or a list of
/// company ids (its serde implementations are written by hand, so no derive can say it).
pub(crate) fn companies_schema() -> utoipa::openapi::schema::OneOfBuilder {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["*"])).description(Some("Every company.")),
        )
        .item(
            ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(Type::String))
                .description(Some("These companies (D365 dataAreaIds).")),
        )
}

impl Companies {
    /// The same companies with their ids in lowercase, as stored.
    pub fn normalized(self) -> Companies {
        match self {
            Companies::All => Companies::All,
            Companies::Only(companies) => {
                Companies::Only(companies.iter().map(|company| company.to_ascii_lowercase()).collect())
            }
        }
    }
}

impl Serialize for Companies {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Companies::All => serializer.serialize_str("*"),
            Companies::Only(companies) => companies.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Companies {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Companies, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Star(String),
            List(BTreeSet<String>),
        }
        let invalid = || serde::de::Error::custom(r#"companies must be "*" or a list of company ids"#);
        match Written::deserialize(deserializer).map_err(|_| invalid())? {
            Written::Star(star) if star == "*" => Ok(Companies::All),
            Written::List(companies) if !companies.contains("*") => Ok(Companies::Only(companies).normalized()),
            _ => Err(invalid()),
        }
    }
}
