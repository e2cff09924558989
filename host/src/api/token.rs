//! The OAuth 2.0 token endpoint, at the paths Entra ID uses so that D365 clients find it by
//! changing only their authority: `/{tenant}/oauth2/token` (v1, `resource=`) and
//! `/{tenant}/oauth2/v2.0/token` (v2, `scope=…/.default`). The tenant segment is accepted and
//! ignored; Wharf is one tenant. The public key set is at `/.well-known/jwks.json`.

use axum::Router;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;

use super::{ApiResult, AppState, caller};
use crate::auth::{TokenEndpoint, TokenRequest};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/oauth2/token", post(token_v1))
        .route("/{tenant}/oauth2/v2.0/token", post(token_v2))
        .route("/oauth2/token", post(token_v1))
        .route("/oauth2/v2.0/token", post(token_v2))
        .route("/.well-known/jwks.json", get(jwks))
}

async fn token_v1(State(state): State<AppState>, parts: Parts, body: axum::body::Bytes) -> ApiResult<Response> {
    issue(state, TokenEndpoint::V1, parts, body).await
}

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
    // argon2 is slow on purpose: off the async threads.
    let auth = state.auth.clone();
    let issued = tokio::task::spawn_blocking(move || auth.issue(endpoint, &form, basic))
        .await
        .map_err(|error| anyhow::anyhow!("issuing a token panicked: {error}"))?;
    let mut response = match issued {
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
    // Tokens must not be cached on the way (RFC 6749 5.1).
    response.headers_mut().insert(header::CACHE_CONTROL, "no-store".parse().expect("a valid header"));
    Ok(response)
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

async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    axum::Json(state.auth.jwks())
}
