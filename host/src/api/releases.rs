//! The release routes of the management API (an admin granted every company, as for
//! `/manage/plugins`): replay a candidate over a job's recorded messages, run a canary of it,
//! promote or abort the canary by hand, and read the decisions taken about plugin versions.
//!
//! ```text
//! POST /manage/plugins/replay                  {"candidate": "x.wasm", "job": "<activity>",
//!                                               "since": "2h" | RFC 3339, "limit": 100}
//! GET  /manage/plugins/canaries                every canary running, with its numbers
//! GET  /manage/plugins/{name}/canary           the canary of plugin {name}
//! POST /manage/plugins/{name}/canary           start one: {"candidate": "x.wasm", "share": 0.1,
//!                                               "window": "10m", "max_reject_rate_increase": 0.01,
//!                                               "max_trap_rate": 0, "max_limit_rate": 0,
//!                                               "min_executions": 1}
//! POST /manage/plugins/{name}/canary/promote   promote its candidate now
//! POST /manage/plugins/{name}/canary/abort     roll its candidate back now
//! GET  /manage/plugins/decisions?plugin=&limit=   decisions, newest first
//! ```
//!
//! Candidates are named by their `.wasm` file name in the deployment's `candidates/`
//! directory; no client names a path.

use anyhow::Context as _;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::caller::{Caller, require};
use super::error::ErrorBody;
use super::{ApiError, ApiResult, AppState};
use crate::auth::Role;
use crate::jobs::job::parse_activity;
use crate::releases::CanaryRequest;
use crate::releases::replay::{self, DEFAULT_LIMIT, Replay, Selection};

/// The release routes, each registered once for routing and the OpenAPI document.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(replay_candidate))
        .routes(routes!(canaries))
        .routes(routes!(decisions))
        .routes(routes!(canary, start_canary))
        .routes(routes!(promote))
        .routes(routes!(abort))
}

/// An admin granted every company, or 403: plugin versions serve every company.
fn operator(caller: &Caller) -> ApiResult<()> {
    require(caller, Role::Admin)?;
    match caller.may_see_scope(None) {
        true => Ok(()),
        false => {
            Err(ApiError::forbidden("Plugins serve every company: only an admin granted every company manages them."))
        }
    }
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|error| ApiError::bad_request(format!("The body is not valid: {error}.")))
}

fn refused(error: anyhow::Error) -> ApiError {
    ApiError::bad_request(format!("{error:#}."))
}

/// What `POST /manage/plugins/replay` takes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReplayRequest {
    /// The candidate's `.wasm` file name in `candidates/`.
    candidate: String,
    /// The job's activity id.
    job: String,
    /// Only messages since then: a duration back from now ("2h") or an RFC 3339 time.
    since: Option<String>,
    /// At most this many messages (1 to 1,000).
    limit: Option<u32>,
}

/// Replays a candidate over a job's recorded inbound messages, writing nothing; answers the
/// report (its `differs` says whether anything would change).
#[utoipa::path(
    post,
    path = "/plugins/replay",
    tag = "releases",
    request_body(content = ReplayRequest),
    responses(
        (status = 200, description = "The replay's report; `differs` says whether anything would change.", body = Object),
        (status = 400, description = "The body, the job id, the time or the candidate is refused.", body = ErrorBody),
        (status = 403, description = "The caller is not an admin granted every company.", body = ErrorBody),
        (status = 404, description = "No job has this activity id.", body = ErrorBody),
    )
)]
async fn replay_candidate(
    State(state): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    operator(&caller)?;
    let request: ReplayRequest = json_body(&body)?;
    let activity = parse_activity(&request.job)
        .ok_or_else(|| ApiError::bad_request(format!("{:?} is not a GUID.", request.job)))?;
    let job = state.jobs.job(activity).ok_or_else(|| ApiError::not_found(format!("No job {activity}.")))?;
    let since = request.since.as_deref().map(replay::parse_since).transpose().map_err(refused)?;
    let selection = Selection { since, limit: request.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, 1000) };
    let jobs = state.jobs.clone();
    let report = tokio::task::spawn_blocking(move || {
        let releases = jobs.releases();
        let file = releases.candidate_file(&request.candidate)?;
        let deployment = jobs.deployment();
        let candidate = replay::load_candidate(&deployment.pipeline.registry, &file)?;
        let definitions = deployment.definitions();
        let project = definitions.projects.require(&job.project)?;
        let database = jobs.queue().database().context(
            "replay reads the recorded messages from the embedded queue; this server keeps its queue in PostgreSQL",
        )?;
        let pipeline = deployment.pipeline_for(&definitions);
        let replay = Replay { pipeline: &pipeline, job: &job, project, database, bodies: jobs.bodies() };
        replay.run(candidate, selection)
    })
    .await
    .map_err(anyhow::Error::from)?
    .map_err(refused)?;
    Ok(axum::Json(report).into_response())
}

/// Every canary running.
#[utoipa::path(
    get,
    path = "/plugins/canaries",
    tag = "releases",
    responses(
        (status = 200, description = "`value`: the canaries running.", body = Object),
        (status = 403, description = "The caller is not an admin granted every company.", body = ErrorBody),
    )
)]
async fn canaries(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    operator(&caller)?;
    Ok(axum::Json(json!({ "value": state.jobs.releases().canaries() })).into_response())
}

/// The canary of one plugin, or 404.
#[utoipa::path(
    get,
    path = "/plugins/{name}/canary",
    tag = "releases",
    params(("name" = String, Path, description = "The plugin.")),
    responses(
        (status = 200, description = "The canary and its numbers.", body = Object),
        (status = 403, description = "The caller is not an admin granted every company.", body = ErrorBody),
        (status = 404, description = "The plugin has no canary running.", body = ErrorBody),
    )
)]
async fn canary(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Response> {
    operator(&caller)?;
    let canary = state.jobs.releases().canary(&name);
    let canary = canary.ok_or_else(|| ApiError::not_found(format!("Plugin {name} has no canary running.")))?;
    Ok(axum::Json(canary).into_response())
}

/// Starts a canary: 201 with the canary, 400 with the reason it cannot run.
#[utoipa::path(
    post,
    path = "/plugins/{name}/canary",
    tag = "releases",
    params(("name" = String, Path, description = "The plugin.")),
    request_body(content = CanaryRequest),
    responses(
        (status = 201, description = "The canary.", body = Object),
        (status = 400, description = "The body is refused, or the canary cannot run.", body = ErrorBody),
        (status = 403, description = "The caller is not an admin granted every company.", body = ErrorBody),
    )
)]
async fn start_canary(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    operator(&caller)?;
    let request: CanaryRequest = json_body(&body)?;
    let releases = state.jobs.releases().clone();
    let canary = tokio::task::spawn_blocking(move || releases.start_canary(&name, request))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(refused)?;
    Ok((StatusCode::CREATED, axum::Json(canary)).into_response())
}

/// Promotes a canary's candidate now.
#[utoipa::path(
    post,
    path = "/plugins/{name}/canary/promote",
    tag = "releases",
    params(("name" = String, Path, description = "The plugin.")),
    responses(
        (status = 200, description = "The decision taken.", body = Object),
        (status = 400, description = "The promotion is refused.", body = ErrorBody),
        (status = 403, description = "The caller is not an admin granted every company.", body = ErrorBody),
        (status = 404, description = "The plugin has no canary running.", body = ErrorBody),
    )
)]
async fn promote(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Response> {
    end(state, caller, name, true).await
}

/// Rolls a canary's candidate back now.
#[utoipa::path(
    post,
    path = "/plugins/{name}/canary/abort",
    tag = "releases",
    params(("name" = String, Path, description = "The plugin.")),
    responses(
        (status = 200, description = "The decision taken.", body = Object),
        (status = 400, description = "The rollback is refused.", body = ErrorBody),
        (status = 403, description = "The caller is not an admin granted every company.", body = ErrorBody),
        (status = 404, description = "The plugin has no canary running.", body = ErrorBody),
    )
)]
async fn abort(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Response> {
    end(state, caller, name, false).await
}

async fn end(state: AppState, caller: Caller, name: String, promote: bool) -> ApiResult<Response> {
    operator(&caller)?;
    let releases = state.jobs.releases().clone();
    if releases.canary(&name).is_none() {
        return Err(ApiError::not_found(format!("Plugin {name} has no canary running.")));
    }
    let who = caller.client_id.clone();
    let decision = tokio::task::spawn_blocking(move || releases.end_by_hand(&name, promote, &who))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(refused)?;
    Ok(axum::Json(decision).into_response())
}

#[derive(Debug, Deserialize)]
struct DecisionsQuery {
    plugin: Option<String>,
    limit: Option<u32>,
}

/// Release decisions, newest first: `seq`, `at`, `plugin`, `kind` (`canary_started`,
/// `rolled_back`, `promoted`, `abandoned`, `quarantined`, `restored`), `version`, `serving`,
/// `reason` and `numbers`.
#[utoipa::path(
    get,
    path = "/plugins/decisions",
    tag = "releases",
    params(
        ("plugin" = Option<String>, Query, description = "Only this plugin's."),
        ("limit" = Option<u32>, Query, description = "At most this many (100 unless given; 1 to 1,000)."),
    ),
    responses(
        (status = 200, description = "`value`: the decisions, newest first.", body = Object),
        (status = 400, description = "A number is not one.", body = ErrorBody),
        (status = 403, description = "The caller is not an admin granted every company.", body = ErrorBody),
    )
)]
async fn decisions(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<DecisionsQuery>,
) -> ApiResult<Response> {
    operator(&caller)?;
    let decisions = state.jobs.releases().decisions().clone();
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let value = tokio::task::spawn_blocking(move || decisions.list_blocking(query.plugin.as_deref(), limit))
        .await
        .map_err(anyhow::Error::from)??;
    Ok(axum::Json(json!({ "value": value })).into_response())
}
