//! The staging routes of the management API (admin role): the rows an import kept in staging
//! (`ImportFromPackage` with `execute=false`, or a job with `staging_only`), their correction
//! or removal, and the copy of the execution to the target, D365's staging → target step.
//!
//! ```text
//! GET    /manage/executions/{id}/staging?errors=true&limit=&offset=   staged rows, by entity and number
//! PATCH  /manage/executions/{id}/staging/{entity}/{number}            correct a row: {"Field": value, …}
//! DELETE /manage/executions/{id}/staging/{entity}/{number}            drop a row
//! POST   /manage/executions/{id}/copy                                 copy the valid rows to the target
//! ```
//!
//! Like the other execution routes, each answers 404 for an execution in a company the caller
//! is not granted, and a correction or copy writes only into the caller's companies.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::caller::{Caller, require};
use super::error::ErrorBody;
use super::manage::find_execution;
use super::packages::granted_companies;
use super::{ApiError, ApiResult, AppState};
use crate::auth::Role;
use crate::store::StagingError;

/// The staging routes, each registered once for routing and the OpenAPI document.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(rows)).routes(routes!(correct, drop_row)).routes(routes!(copy))
}

#[derive(Debug, Deserialize)]
struct RowsQuery {
    errors: Option<bool>,
    limit: Option<u64>,
    offset: Option<u64>,
}

/// A staging refusal as the API answers it.
fn refused(error: StagingError) -> ApiError {
    match error {
        StagingError::NotFound(message) => ApiError::not_found(format!("{}.", capitalized(&message))),
        StagingError::Invalid(message) => ApiError::bad_request(format!("{}.", capitalized(&message))),
        StagingError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, format!("{}.", capitalized(&message))),
        StagingError::Store(error) => error.into(),
    }
}

fn capitalized(message: &str) -> String {
    let mut characters = message.chars();
    characters.next().map(|first| first.to_uppercase().chain(characters).collect()).unwrap_or_default()
}

/// The rows an execution kept in staging, by entity and number.
#[utoipa::path(
    get,
    path = "/executions/{id}/staging",
    tag = "manage",
    params(
        ("id" = String, Path, description = "The execution id."),
        ("errors" = Option<bool>, Query, description = "Only the rows with errors."),
        ("limit" = Option<u64>, Query, description = "At most this many (1,000 unless given; 10,000 at most)."),
        ("offset" = Option<u64>, Query, description = "After skipping this many."),
    ),
    responses(
        (status = 200, description = "`count`: the rows in all; `value`: this page of them.", body = Object),
        (status = 400, description = "A parameter is not of its type.", body = ErrorBody),
        (status = 404, description = "No execution the caller may see has this id.", body = ErrorBody),
    )
)]
async fn rows(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<RowsQuery>,
) -> ApiResult<Response> {
    require(&caller, Role::Admin)?;
    let execution = find_execution(&state, &caller, id).await?;
    let store = state.jobs.deployment().pipeline.store.clone();
    let (limit, offset) = (query.limit.unwrap_or(1000).min(10_000), query.offset.unwrap_or(0));
    let errors_only = query.errors.unwrap_or(false);
    let (count, rows) =
        tokio::task::spawn_blocking(move || store.staged_rows(&execution.id, errors_only, offset, limit))
            .await
            .map_err(anyhow::Error::from)??;
    Ok(axum::Json(json!({ "count": count, "value": rows })).into_response())
}

/// Corrects a staged row: the fields given take the values given, and the row is checked again.
#[utoipa::path(
    patch,
    path = "/executions/{id}/staging/{entity}/{number}",
    tag = "manage",
    params(
        ("id" = String, Path, description = "The execution id."),
        ("entity" = String, Path, description = "The entity."),
        ("number" = u64, Path, description = "The row's number."),
    ),
    request_body(content = Object, description = "Field names and their new values."),
    responses(
        (status = 200, description = "The row as corrected.", body = Object),
        (status = 400, description = "The body is not an object of fields, or a value does not fit its field.", body = ErrorBody),
        (status = 404, description = "No such execution, entity or row.", body = ErrorBody),
        (status = 409, description = "The execution's rows were copied already.", body = ErrorBody),
    )
)]
async fn correct(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, entity, number)): Path<(String, String, u64)>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    require(&caller, Role::Admin)?;
    let changes: Map<String, Value> = serde_json::from_slice(&body).map_err(|error| {
        ApiError::bad_request(format!("The body must be a JSON object of field names and values: {error}."))
    })?;
    let execution = find_execution(&state, &caller, id).await?;
    let store = state.jobs.deployment().pipeline.store.clone();
    let companies = granted_companies(&caller);
    let row = tokio::task::spawn_blocking(move || {
        store.correct_staged_row(&execution.id, &entity, number, &changes, companies)
    })
    .await
    .map_err(anyhow::Error::from)?
    .map_err(refused)?;
    Ok(axum::Json(row).into_response())
}

/// Drops a staged row: it is not copied to the target.
#[utoipa::path(
    delete,
    path = "/executions/{id}/staging/{entity}/{number}",
    tag = "manage",
    params(
        ("id" = String, Path, description = "The execution id."),
        ("entity" = String, Path, description = "The entity."),
        ("number" = u64, Path, description = "The row's number."),
    ),
    responses(
        (status = 204, description = "Dropped."),
        (status = 400, description = "The row number is not a number.", body = ErrorBody),
        (status = 404, description = "No such execution, entity or row.", body = ErrorBody),
        (status = 409, description = "The execution's rows were copied already.", body = ErrorBody),
    )
)]
async fn drop_row(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, entity, number)): Path<(String, String, u64)>,
) -> ApiResult<Response> {
    require(&caller, Role::Admin)?;
    let execution = find_execution(&state, &caller, id).await?;
    let store = state.jobs.deployment().pipeline.store.clone();
    tokio::task::spawn_blocking(move || store.drop_staged_row(&execution.id, &entity, number))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(refused)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Copies an execution's valid staged rows to the target: D365's staging → target step.
#[utoipa::path(
    post,
    path = "/executions/{id}/copy",
    tag = "manage",
    params(("id" = String, Path, description = "The execution id.")),
    responses(
        (status = 200, description = "What was copied.", body = Object),
        (status = 400, description = "The copy is refused.", body = ErrorBody),
        (status = 404, description = "No execution the caller may see has this id.", body = ErrorBody),
        (status = 409, description = "The execution's rows were copied already, or it did not stop at staging.", body = ErrorBody),
    )
)]
async fn copy(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    require(&caller, Role::Admin)?;
    let execution = find_execution(&state, &caller, id).await?;
    let store = state.jobs.deployment().pipeline.store.clone();
    let companies = granted_companies(&caller);
    let copied =
        tokio::task::spawn_blocking(move || store.copy_to_target(&execution.id, companies, &crate::pipeline::now()))
            .await
            .map_err(anyhow::Error::from)?
            .map_err(refused)?;
    Ok(axum::Json(copied).into_response())
}
