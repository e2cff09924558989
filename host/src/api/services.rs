//! Custom services, as D365 offers its JSON services: operations of action plugins called
//! with a JSON object keyed by parameter name, answered with the bare result, and the
//! discovery of service groups, services and operations.
//!
//! ```text
//! GET  /api/services                          {"ServiceGroups":[{"Name":…}]}
//! GET  /api/services/{group}                  {"Services":[{"Name":…}]}
//! GET  /api/services/{group}/{service}        {"Operations":[{"Name":…}]}
//! GET  /api/services/{group}/{service}/{op}   {"Parameters":[{"Name":…,"Type":…}],"Return":{…}}
//! POST /api/services/{group}/{service}/{op}?company=usmf   the operation's result
//! ```
//!
//! Any registered client may call; what the operation reads and changes is limited to the
//! companies the client is granted, and `company` (default: the deployment's default company)
//! must be one of them.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;

use super::caller::Caller;
use super::{ApiError, ApiResult, AppState, lenient_json};
use crate::odata::actions::{ActionError, Actions};

/// The routes, to be merged at the router's root.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/services", get(groups))
        .route("/api/services/{group}", get(services))
        .route("/api/services/{group}/{service}", get(operations))
        .route("/api/services/{group}/{service}/{operation}", get(operation).post(call))
}

#[derive(Deserialize)]
struct CallQuery {
    /// The company the operation works in.
    company: Option<String>,
}

impl From<ActionError> for ApiError {
    fn from(error: ActionError) -> Self {
        let (status, message) = error.answer();
        let error = ApiError::new(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), message);
        match status {
            503 => error.with_header(header::RETRY_AFTER, HeaderValue::from(1)),
            _ => error,
        }
    }
}

/// The deployment's actions.
fn actions(state: &AppState) -> Actions {
    let deployment = state.jobs.deployment();
    let pipeline = &deployment.pipeline;
    Actions::new(pipeline.registry.clone(), pipeline.store.clone(), deployment.settings.default_company.clone())
}

async fn groups(State(state): State<AppState>, _caller: Caller) -> ApiResult<Response> {
    discover(&state, &[])
}

async fn services(State(state): State<AppState>, _caller: Caller, Path(group): Path<String>) -> ApiResult<Response> {
    discover(&state, &[&group])
}

async fn operations(
    State(state): State<AppState>,
    _caller: Caller,
    Path((group, service)): Path<(String, String)>,
) -> ApiResult<Response> {
    discover(&state, &[&group, &service])
}

async fn operation(
    State(state): State<AppState>,
    _caller: Caller,
    Path((group, service, operation)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    discover(&state, &[&group, &service, &operation])
}

/// Discovery reads manifests in memory only, so it answers on the async thread.
fn discover(state: &AppState, path: &[&str]) -> ApiResult<Response> {
    Ok(json_response(StatusCode::OK, &actions(state).discover(path)?))
}

async fn call(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, service, operation)): Path<(String, String, String)>,
    Query(query): Query<CallQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let params = lenient_json(&body)?;
    let actions = actions(&state);
    let result = tokio::task::spawn_blocking(move || {
        actions.invoke_service((&group, &service, &operation), query.company.as_deref(), params, &caller)
    })
    .await
    .map_err(|error| ApiError::internal(&anyhow::anyhow!("the custom service call panicked: {error}")))??;
    Ok(match result {
        None => StatusCode::NO_CONTENT.into_response(),
        // The bare result, as the plugin wrote it.
        Some(result) => {
            let mut response = (StatusCode::OK, String::from(Box::<str>::from(result))).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
            response
        }
    })
}

/// A bare JSON answer, as D365's JSON services give it (no OData envelope).
fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}
