//! The OAuth 2.0 token endpoint, at the paths Entra ID uses so that D365 clients find it by
//! changing only their authority: `/{tenant}/oauth2/token` (v1, `resource=`) and
//! `/{tenant}/oauth2/v2.0/token` (v2, `scope=…/.default`). The tenant segment is accepted and
//! ignored; Wharf is one tenant. The public key set is at `/.well-known/jwks.json`.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Duration;

use anyhow::Context as _;

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ErrorBody;
use super::{ApiResult, AppState, Limits, caller};
use crate::auth::{TokenEndpoint, TokenRequest, TokenResponse};

/// How long a token request waits for its secret check to start before it is answered 503.
const CHECK_WAIT_MAX: Duration = Duration::from_secs(5);

/// The seconds a token request refused for a full queue is told to wait: the queue drains in
/// well under that.
const BUSY_RETRY_AFTER_SECONDS: u32 = 1;

/// The argon2 checks of client secrets: at most one per core at a time, on threads of their
/// own, and a bounded number of requests waiting for their turn.
///
/// Each check allocates argon2's 19 MiB and keeps a core busy for tens of milliseconds, and the
/// token endpoint is reached without credentials: unbounded, 120 requests at once took 1.8 GB.
/// The per-address budget cannot bound that alone, since an attacker may have many addresses.
///
/// The checks run on one long-lived thread per core rather than on tokio's blocking pool: the
/// allocator keeps a freed 19 MiB block in the arena of the thread that freed it, so a pool
/// that starts fresh threads under load keeps a block per arena it touched (some 300 MiB on
/// two cores), while a fixed set of threads reuses one block each.
#[derive(Debug)]
pub(crate) struct SecretChecks {
    /// A permit per check that may run: one per thread.
    running: Arc<Semaphore>,
    /// A permit per request that may be running or waiting.
    admitted: Arc<Semaphore>,
    /// The threads' work; they end when this is dropped.
    jobs: mpsc::Sender<Job>,
}

/// One secret check, with where its answer goes.
type Job = Box<dyn FnOnce() + Send>;

/// The permits of one secret check; dropping them lets the next one in.
#[derive(Debug)]
struct Turn {
    _admitted: OwnedSemaphorePermit,
    _running: OwnedSemaphorePermit,
}

impl SecretChecks {
    /// A thread per core, and `limits.token_requests_waiting` requests waiting at most.
    pub(crate) fn start(limits: &Limits) -> anyhow::Result<SecretChecks> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..cores {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name("wharf-secrets".into())
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job, not during it.
                        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        let Ok(job) = next else { break };
                        // A panic fails that request (its answer is dropped), not the thread.
                        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                    }
                })
                .context("cannot start a thread for secret checks")?;
        }
        Ok(SecretChecks {
            running: Arc::new(Semaphore::new(cores)),
            admitted: Arc::new(Semaphore::new(cores + limits.token_requests_waiting)),
            jobs,
        })
    }

    /// Runs `check` when its turn comes; `None` when too many requests wait already or the turn
    /// did not come within [`CHECK_WAIT_MAX`].
    pub(super) async fn run<T: Send + 'static>(
        &self,
        check: impl FnOnce() -> T + Send + 'static,
    ) -> Option<anyhow::Result<T>> {
        let admitted = self.admitted.clone().try_acquire_owned().ok()?;
        let running = tokio::time::timeout(CHECK_WAIT_MAX, self.running.clone().acquire_owned()).await.ok()?.ok()?;
        let turn = Turn { _admitted: admitted, _running: running };
        let (answer, answered) = oneshot::channel();
        // The turn ends with the check, not with the request: a client that hangs up does not
        // free its place while its hash still runs.
        let job: Job = Box::new(move || {
            let _ = answer.send(check());
            drop(turn);
        });
        if self.jobs.send(job).is_err() {
            return Some(Err(anyhow::anyhow!("the secret checks have stopped")));
        }
        Some(answered.await.map_err(|_| anyhow::anyhow!("a secret check panicked")))
    }
}

/// The token endpoints and the key set, each registered once for routing and the OpenAPI
/// document.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tenant_token_v1))
        .routes(routes!(tenant_token_v2))
        .routes(routes!(token_v1))
        .routes(routes!(token_v2))
        .routes(routes!(jwks))
}

/// A refused token request, in OAuth's terms (RFC 6749 §5.2).
#[derive(utoipa::ToSchema)]
#[allow(dead_code, reason = "describes the body in the OpenAPI document; `TokenError::body` writes it")]
struct OAuthError {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type`, `invalid_scope`,
    /// `invalid_resource`, `server_error` or `temporarily_unavailable`.
    error: String,
    /// What went wrong, for people.
    error_description: String,
}

/// A token for a client's credentials, as Entra ID's v1 endpoint (ADAL) issues it: the
/// audience named by `resource`. Credentials come in the form or as HTTP Basic.
#[utoipa::path(
    post,
    path = "/{tenant}/oauth2/token",
    tag = "token",
    security(()),
    params(("tenant" = String, Path, description = "Entra's tenant segment: accepted and ignored.")),
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A token.", body = TokenResponse),
        (status = 400, description = "The form is malformed, or names another grant type or resource.", body = OAuthError),
        (status = 401, description = "The client is unknown or disabled, or the secret is wrong.", body = OAuthError),
        (status = 429, description = "Too many token requests from this address; retry after `Retry-After`.", body = ErrorBody),
        (status = 503, description = "Too many secret checks are waiting; retry after `Retry-After`.", body = OAuthError),
    )
)]
async fn tenant_token_v1(State(state): State<AppState>, parts: Parts, body: axum::body::Bytes) -> ApiResult<Response> {
    issue(state, TokenEndpoint::V1, parts, body).await
}

/// A token for a client's credentials, as Entra ID's v2 endpoint (MSAL) issues it: the
/// audience named by `scope=<audience>/.default`. Credentials come in the form or as HTTP Basic.
#[utoipa::path(
    post,
    path = "/{tenant}/oauth2/v2.0/token",
    tag = "token",
    security(()),
    params(("tenant" = String, Path, description = "Entra's tenant segment: accepted and ignored.")),
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A token.", body = TokenResponse),
        (status = 400, description = "The form is malformed, or names another grant type or scope.", body = OAuthError),
        (status = 401, description = "The client is unknown or disabled, or the secret is wrong.", body = OAuthError),
        (status = 429, description = "Too many token requests from this address; retry after `Retry-After`.", body = ErrorBody),
        (status = 503, description = "Too many secret checks are waiting; retry after `Retry-After`.", body = OAuthError),
    )
)]
async fn tenant_token_v2(State(state): State<AppState>, parts: Parts, body: axum::body::Bytes) -> ApiResult<Response> {
    issue(state, TokenEndpoint::V2, parts, body).await
}

/// The v1 token endpoint without a tenant segment.
#[utoipa::path(
    post,
    path = "/oauth2/token",
    tag = "token",
    security(()),
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A token.", body = TokenResponse),
        (status = 400, description = "The form is malformed, or names another grant type or resource.", body = OAuthError),
        (status = 401, description = "The client is unknown or disabled, or the secret is wrong.", body = OAuthError),
        (status = 429, description = "Too many token requests from this address; retry after `Retry-After`.", body = ErrorBody),
        (status = 503, description = "Too many secret checks are waiting; retry after `Retry-After`.", body = OAuthError),
    )
)]
async fn token_v1(State(state): State<AppState>, parts: Parts, body: axum::body::Bytes) -> ApiResult<Response> {
    issue(state, TokenEndpoint::V1, parts, body).await
}

/// The v2 token endpoint without a tenant segment: the security scheme's token URL.
#[utoipa::path(
    post,
    path = "/oauth2/v2.0/token",
    tag = "token",
    security(()),
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A token.", body = TokenResponse),
        (status = 400, description = "The form is malformed, or names another grant type or scope.", body = OAuthError),
        (status = 401, description = "The client is unknown or disabled, or the secret is wrong.", body = OAuthError),
        (status = 429, description = "Too many token requests from this address; retry after `Retry-After`.", body = ErrorBody),
        (status = 503, description = "Too many secret checks are waiting; retry after `Retry-After`.", body = OAuthError),
    )
)]
async fn token_v2(State(state): State<AppState>, parts: Parts, body: axum::body::Bytes) -> ApiResult<Response> {
    issue(state, TokenEndpoint::V2, parts, body).await
}

async fn issue(state: AppState, endpoint: TokenEndpoint, parts: Parts, body: axum::body::Bytes) -> ApiResult<Response> {
    if let Some(address) = caller::address(&parts) {
        state.rates.charge_address(address)?;
    }
    let form: TokenRequest = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(error) => {
            let body = serde_json::json!({
                "error": "invalid_request",
                "error_description": format!("the body is not a form of token parameters: {error}"),
            });
            return Ok((StatusCode::BAD_REQUEST, axum::Json(body)).into_response());
        }
    };
    let basic = basic_credentials(&parts.headers);
    let used_basic = basic.is_some();
    // argon2 is slow on purpose: off the async threads, and bounded (see `SecretChecks`).
    let auth = state.auth.clone();
    let Some(issued) = state.secret_checks.run(move || auth.issue(endpoint, &form, basic)).await else {
        tracing::info!("refused a token request: too many secret checks are running or waiting");
        return Ok(no_store(busy()));
    };
    let issued = issued?;
    let response = match issued {
        Ok(token) => axum::Json(token).into_response(),
        Err(error) => {
            let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let mut response = (status, axum::Json(error.body())).into_response();
            // RFC 6749 5.2: a client that authenticated with Basic gets a Basic challenge.
            if status == StatusCode::UNAUTHORIZED && used_basic {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, "Basic realm=\"wharf\"".parse().expect("a valid header"));
            }
            response
        }
    };
    Ok(no_store(response))
}

/// `response`, marked so that it is not cached on the way (RFC 6749 5.1): it may hold a token.
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// 503 with `Retry-After`, in OAuth's terms (`temporarily_unavailable`, RFC 6749 §4.1.2.1) as
/// every other refusal of the token endpoint: the request was not looked at, and may be sent
/// again as it is.
fn busy() -> Response {
    let body = serde_json::json!({
        "error": "temporarily_unavailable",
        "error_description": "too many token requests are being checked; retry after the time Retry-After gives",
    });
    let retry_after = [(header::RETRY_AFTER, HeaderValue::from(BUSY_RETRY_AFTER_SECONDS))];
    (StatusCode::SERVICE_UNAVAILABLE, retry_after, axum::Json(body)).into_response()
}

/// The client id and secret of an HTTP Basic header (RFC 6749 2.3.1). Wharf's client ids and
/// secrets use no characters that form encoding would change, so none is decoded.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let (id, secret) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// The public keys tokens are signed with (RFC 7517), the active one first.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "token",
    security(()),
    responses((status = 200, description = "The key set: `keys`, each a JSON Web Key.", body = Object)),
)]
async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    axum::Json(state.auth.jwks())
}
