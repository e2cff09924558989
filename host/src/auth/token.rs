//! Access tokens: issuing them (OAuth 2.0 client credentials, in Entra ID's v1 and v2 dialects)
//! and validating bearer tokens, Wharf's own and an external issuer's.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use super::clients;
use super::keys::{ACCESS_TOKEN_TYPE, Keyring};
use super::{AuthError, AuthSettings, Caller, ExternalIssuer, Inner, Role};

/// The longest bearer token looked at. Entra's tokens are 1-3 KB; the cap keeps a client from
/// making the server decode and parse megabytes on every request.
const TOKEN_LENGTH_MAX: usize = 16 * 1024;

/// How many validated tokens are remembered. When full, the memory is cleared: simpler than an
/// LRU, and refilling costs one signature check per token in use.
const VALIDATED_MAX: usize = 10_000;

/// Which token endpoint a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEndpoint {
    /// `/{tenant}/oauth2/token` (ADAL): names the audience as `resource`.
    V1,
    /// `/{tenant}/oauth2/v2.0/token` (MSAL): names the audience as `scope=<audience>/.default`.
    V2,
}

/// The urlencoded body of a token request. Unknown fields are ignored, as Entra ignores them.
#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    pub grant_type: Option<String>,
    /// The client id, when the request has no HTTP Basic credentials.
    pub client_id: Option<String>,
    /// The client secret, when the request has no HTTP Basic credentials.
    pub client_secret: Option<String>,
    /// The audience, for v1.
    pub resource: Option<String>,
    /// `<audience>/.default`, for v2.
    pub scope: Option<String>,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<hidden>"))
            .field("resource", &self.resource)
            .field("scope", &self.scope)
            .finish()
    }
}

/// A successful token response, shaped as Entra ID's so that ADAL and MSAL clients accept it.
#[derive(Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// Always "Bearer".
    #[schema(value_type = String)]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
    /// The same as `expires_in`: Wharf has no extended lifetime for outages.
    pub ext_expires_in: u64,
    /// v1 only: when the token expires, in Unix seconds, as a string (as ADAL receives it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
    /// v1 only: from when the token is valid, in Unix seconds, as a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// v1 only: the resource the token is for, as requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The token.
    pub access_token: String,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

/// A refused token request (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", .kind.code(), .description)]
pub struct TokenError {
    /// What went wrong, as an OAuth error code.
    pub kind: TokenErrorKind,
    /// A human-readable text for the client; it names no internals.
    pub description: String,
}

/// The OAuth error codes a token request can be refused with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenErrorKind {
    /// A required parameter is missing, or the request is otherwise malformed.
    InvalidRequest,
    /// Unknown client, wrong secret, disabled client, or no credentials: deliberately one error.
    InvalidClient,
    /// A grant type other than `client_credentials`.
    UnsupportedGrantType,
    /// A v2 scope other than `<audience>/.default`.
    InvalidScope,
    /// A v1 resource other than the audience (Entra's own code for it).
    InvalidResource,
    /// The server could not sign the token.
    ServerError,
}

impl TokenErrorKind {
    /// The `error` value of the response body.
    pub fn code(self) -> &'static str {
        match self {
            TokenErrorKind::InvalidRequest => "invalid_request",
            TokenErrorKind::InvalidClient => "invalid_client",
            TokenErrorKind::UnsupportedGrantType => "unsupported_grant_type",
            TokenErrorKind::InvalidScope => "invalid_scope",
            TokenErrorKind::InvalidResource => "invalid_resource",
            TokenErrorKind::ServerError => "server_error",
        }
    }
}

impl TokenError {
    fn new(kind: TokenErrorKind, description: impl Into<String>) -> TokenError {
        TokenError { kind, description: description.into() }
    }

    /// The HTTP status to answer with. For `invalid_client` after HTTP Basic credentials,
    /// RFC 6749 §5.2 also asks for a `WWW-Authenticate: Basic` header.
    pub fn status(&self) -> u16 {
        match self.kind {
            TokenErrorKind::InvalidClient => 401,
            TokenErrorKind::ServerError => 500,
            _ => 400,
        }
    }

    /// The JSON body to answer with.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.kind.code(), "error_description": self.description })
    }
}

/// The claims of Wharf's access tokens (RFC 9068 §2.2, plus Entra's `appid`/`azp` and `roles`,
/// which clients written for Entra may read).
#[derive(Debug, Serialize)]
pub(super) struct Claims {
    pub(super) iss: String,
    pub(super) aud: String,
    pub(super) sub: String,
    pub(super) client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) appid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) azp: Option<String>,
    pub(super) roles: Vec<Role>,
    pub(super) iat: u64,
    pub(super) nbf: u64,
    pub(super) exp: u64,
    pub(super) jti: String,
}

/// What validation reads from a token's claims, after jsonwebtoken has checked the standard ones.
#[derive(Deserialize)]
struct ValidatedClaims {
    exp: u64,
    client_id: Option<String>,
    azp: Option<String>,
    appid: Option<String>,
}

pub(super) fn issue(
    auth: &Inner,
    endpoint: TokenEndpoint,
    form: &TokenRequest,
    basic: Option<(String, String)>,
) -> Result<TokenResponse, TokenError> {
    use TokenErrorKind::*;
    let settings = &auth.settings;
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(_) => return Err(TokenError::new(UnsupportedGrantType, "only client_credentials is supported")),
        None => return Err(TokenError::new(InvalidRequest, "no grant_type")),
    }
    // The cheap checks come before the secret's, which costs an argon2 hash.
    let resource = match endpoint {
        TokenEndpoint::V1 => {
            let resource = form.resource.as_deref().ok_or_else(|| TokenError::new(InvalidRequest, "no resource"))?;
            if resource.strip_suffix('/').unwrap_or(resource) != settings.audience {
                return Err(TokenError::new(InvalidResource, format!("the resource must be {}", settings.audience)));
            }
            Some(resource.to_owned())
        }
        TokenEndpoint::V2 => {
            let scope = form.scope.as_deref().ok_or_else(|| TokenError::new(InvalidRequest, "no scope"))?;
            if scope.trim().strip_suffix("/.default") != Some(settings.audience.as_str()) {
                return Err(TokenError::new(InvalidScope, format!("the scope must be {}/.default", settings.audience)));
            }
            None
        }
    };
    let (client_id, secret) = credentials(form, basic)?;
    let snapshot = auth.state.current();
    let registrations = snapshot.as_ref().map(|snapshot| &snapshot.registrations);
    let Some(client) = clients::authenticate(registrations, &client_id, &secret, auth.state.dummy_hash()) else {
        tracing::info!(?client_id, "token refused: client authentication failed");
        return Err(TokenError::new(InvalidClient, "client authentication failed"));
    };

    let now = jsonwebtoken::get_current_timestamp();
    let lifetime = settings.token_lifetime.as_secs();
    let claims = Claims {
        iss: settings.issuer.clone(),
        aud: settings.audience.clone(),
        sub: client.id.clone(),
        client_id: client.id.clone(),
        appid: (endpoint == TokenEndpoint::V1).then(|| client.id.clone()),
        azp: (endpoint == TokenEndpoint::V2).then(|| client.id.clone()),
        roles: client.roles.iter().copied().collect(),
        iat: now,
        nbf: now,
        exp: now + lifetime,
        jti: uuid::Uuid::new_v4().to_string(),
    };
    // Authenticated, so the copy was current.
    let Some(snapshot) = snapshot else { return Err(TokenError::new(InvalidClient, "client authentication failed")) };
    let access_token = snapshot.keyring.signing().sign(&claims).map_err(|error| {
        tracing::error!(%error, "cannot sign an access token");
        TokenError::new(ServerError, "the token could not be issued")
    })?;
    let v1 = endpoint == TokenEndpoint::V1;
    Ok(TokenResponse {
        token_type: "Bearer",
        expires_in: lifetime,
        ext_expires_in: lifetime,
        expires_on: v1.then(|| claims.exp.to_string()),
        not_before: v1.then(|| claims.nbf.to_string()),
        resource,
        access_token,
    })
}

/// The client id and secret, from HTTP Basic or from the body, never both (RFC 6749 §2.3:
/// one authentication method per request).
fn credentials(form: &TokenRequest, basic: Option<(String, String)>) -> Result<(String, String), TokenError> {
    use TokenErrorKind::*;
    match basic {
        Some(_) if form.client_secret.is_some() => {
            Err(TokenError::new(InvalidRequest, "the secret is both in the Authorization header and in the body"))
        }
        Some((client_id, _)) if form.client_id.as_ref().is_some_and(|form_id| *form_id != client_id) => {
            Err(TokenError::new(InvalidRequest, "client_id differs from the Authorization header's"))
        }
        Some(credentials) => Ok(credentials),
        None => match (&form.client_id, &form.client_secret) {
            (Some(client_id), Some(secret)) => Ok((client_id.clone(), secret.clone())),
            _ => Err(TokenError::new(InvalidClient, "client authentication failed: no client_id and client_secret")),
        },
    }
}

pub(super) fn own_validation(settings: &AuthSettings) -> Validation {
    // Pinned to EdDSA: the only algorithm Wharf's key is used with (RFC 8725 §3.1).
    let mut validation = Validation::new(Algorithm::EdDSA);
    // jsonwebtoken checks iss, aud and nbf only when present unless they are required.
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud"]);
    validation.validate_nbf = true;
    validation.leeway = settings.leeway.as_secs();
    validation.set_issuer(&[&settings.issuer]);
    validation.set_audience(&[&settings.audience]);
    validation
}

pub(super) fn external_validation(issuer: &ExternalIssuer, leeway: Duration) -> Validation {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.validate_nbf = true;
    validation.leeway = leeway.as_secs();
    validation.set_issuer(&[&issuer.issuer]);
    validation.set_audience(&[&issuer.audience]);
    validation
}

pub(super) fn validate(auth: &Inner, token: &str) -> Result<Caller, AuthError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthError::Missing);
    }
    if token.len() > TOKEN_LENGTH_MAX {
        return Err(AuthError::Invalid(format!("longer than {TOKEN_LENGTH_MAX} bytes")));
    }
    let snapshot = auth.state.current();
    let client_id = match auth.validated.client_id(token) {
        Some(client_id) => client_id,
        None => {
            // Keys as last read when they cannot be confirmed current: the token is refused
            // below in any case, but a made-up token should say why it is invalid.
            let keyring = match &snapshot {
                Some(snapshot) => verify(auth, &snapshot.keyring, token),
                None => verify(auth, &auth.state.last().keyring, token),
            };
            let (client_id, exp) = keyring?;
            auth.validated.insert(token, &client_id, exp);
            client_id
        }
    };
    // On every call, even for a remembered token: a removed or disabled client is out at once.
    let Some(snapshot) = snapshot else { return Err(AuthError::NotMapped(client_id)) };
    clients::caller(&snapshot.registrations, &client_id).ok_or(AuthError::NotMapped(client_id))
}

/// Checks the token's header, signature and claims; returns its client id and expiry. The
/// header's `jku`, `x5u` and `jwk` are never read: keys come only from Wharf's settings
/// (RFC 8725 §3.10).
fn verify(auth: &Inner, keyring: &Keyring, token: &str) -> Result<(String, u64), AuthError> {
    let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
    // RFC 7515 §4.1.11: `crit` lists extensions the recipient must understand and enforce, or
    // reject the token. Wharf implements none (jsonwebtoken neither, and ignores the header),
    // so a token with any `crit`, empty lists included (which the RFC forbids), is refused
    // before either issuer's keys are looked at: accepting it would skip a rule its issuer
    // made a condition of its validity.
    if let Some(critical) = &header.crit {
        return Err(AuthError::Invalid(format!("critical header parameters {critical:?} are not understood")));
    }
    match (header.alg, &auth.external) {
        (Algorithm::EdDSA, _) => verify_own(auth, keyring, token, &header),
        (Algorithm::RS256, Some(external)) => {
            let kid = header.kid.as_deref().ok_or_else(|| AuthError::Invalid("RS256 token without kid".into()))?;
            let key = external.keys.key(kid).ok_or_else(|| AuthError::Invalid(format!("unknown kid {kid:?}")))?;
            let data = jsonwebtoken::decode::<ValidatedClaims>(token, &key, &external.validation).map_err(invalid)?;
            // Entra names the calling application in azp (v2 tokens) or appid (v1 tokens).
            let client_id = data.claims.azp.or(data.claims.appid);
            let client_id = client_id.ok_or_else(|| AuthError::Invalid("no azp or appid claim".into()))?;
            Ok((client_id, data.claims.exp))
        }
        (algorithm, _) => Err(AuthError::Invalid(format!("algorithm {algorithm:?} not accepted"))),
    }
}

fn verify_own(auth: &Inner, keyring: &Keyring, token: &str, header: &Header) -> Result<(String, u64), AuthError> {
    // RFC 9068 §4: also "application/at+jwt"; media types compare without regard to case.
    let typ = header.typ.as_deref().unwrap_or_default();
    let typ = typ.strip_prefix("application/").unwrap_or(typ);
    if !typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE) {
        return Err(AuthError::Invalid(format!("typ {typ:?} is not at+jwt")));
    }
    let kid = header.kid.as_deref().ok_or_else(|| AuthError::Invalid("EdDSA token without kid".into()))?;
    let key = keyring.key(kid).ok_or_else(|| AuthError::Invalid(format!("unknown kid {kid:?}")))?;
    let data = jsonwebtoken::decode::<ValidatedClaims>(token, &key.decoding, &auth.own_validation).map_err(invalid)?;
    let client_id = data.claims.client_id.ok_or_else(|| AuthError::Invalid("no client_id claim".into()))?;
    Ok((client_id, data.claims.exp))
}

fn invalid(error: jsonwebtoken::errors::Error) -> AuthError {
    let reason = match error.kind() {
        ErrorKind::ExpiredSignature => "expired".to_owned(),
        ErrorKind::ImmatureSignature => "not valid yet (nbf)".to_owned(),
        ErrorKind::InvalidAudience => "wrong audience".to_owned(),
        ErrorKind::InvalidIssuer => "wrong issuer".to_owned(),
        ErrorKind::InvalidAlgorithm => "algorithm not accepted".to_owned(),
        ErrorKind::InvalidSignature => "bad signature".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => format!("no {claim} claim"),
        _ => format!("malformed ({error})"),
    };
    AuthError::Invalid(reason)
}

/// Tokens that passed validation, by a hash of their text, with their client id and expiry:
/// an Ed25519 check costs about 50 µs and every API call makes one. An entry exists only for a
/// token that passed every check, and is dropped once the token expires.
#[derive(Default)]
pub(super) struct ValidatedTokens {
    tokens: Mutex<HashMap<blake3::Hash, Validated>>,
}

struct Validated {
    client_id: String,
    exp: u64,
}

impl ValidatedTokens {
    fn client_id(&self, token: &str) -> Option<String> {
        let hash = blake3::hash(token.as_bytes());
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let validated = tokens.get(&hash)?;
        if jsonwebtoken::get_current_timestamp() < validated.exp {
            return Some(validated.client_id.clone());
        }
        tokens.remove(&hash);
        None
    }

    fn insert(&self, token: &str, client_id: &str, exp: u64) {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        if tokens.len() >= VALIDATED_MAX {
            tokens.clear();
        }
        tokens.insert(blake3::hash(token.as_bytes()), Validated { client_id: client_id.to_owned(), exp });
    }
}
