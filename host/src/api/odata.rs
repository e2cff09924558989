//! The OData service at `/data`: every method and path goes to [`odata::Service`], which
//! knows nothing of axum; this adapter passes the request in and the answer out.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method as HttpMethod, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use super::caller::Caller;
use super::{ApiError, ApiResult, AppState};
use crate::odata::{self, Method};

/// Request headers the service reads; the rest are not passed in.
const READ_HEADERS: [&str; 7] =
    ["if-match", "if-none-match", "prefer", "content-type", "accept", "odata-maxversion", "odata-version"];

/// `/data`, `/data/` and everything under it (routes with static segments, such as the data
/// package actions, take precedence).
pub(super) fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/data", any(handle))
        .route("/data/", any(handle))
        .route("/data/{*path}", any(handle))
        .layer(DefaultBodyLimit::max(state.odata_body_limit))
}

async fn handle(
    State(state): State<AppState>,
    caller: Caller,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let Some(method) = Method::parse(method.as_str()) else {
        return Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "The HTTP method is not allowed on this resource."));
    };
    let path = uri.path().strip_prefix("/data").unwrap_or_default().trim_start_matches('/').to_owned();
    let query = uri.query().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = READ_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            Some(((*name).to_owned(), value.to_owned()))
        })
        .collect();
    let service = state.odata.clone();
    let root = format!("{}/data", state.public_url);
    let answer = tokio::task::spawn_blocking(move || {
        let request = odata::Request {
            method,
            path: &path,
            query: &query,
            headers: &headers,
            body: &body,
            caller: &caller,
            root: &root,
        };
        service.handle(&request)
    })
    .await
    .map_err(|error| ApiError::internal(&anyhow::anyhow!("the OData request panicked: {error}")))?;
    Ok(response(answer))
}

/// The service's answer as an HTTP response.
fn response(answer: odata::Response) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Body::from(answer.body)).into_response();
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
