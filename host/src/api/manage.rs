//! The management API (JSON, admin role): recurring jobs, messages, executions and their
//! errors, client registrations, and the plugins serving. What an operator's tooling needs to
//! watch the queue, find out why a message failed, and see whether a new plugin version took.
//!
//! ```text
//! GET    /manage/jobs                         every job
//! POST   /manage/jobs                         create or replace a job (JSON as in jobs/*.toml)
//! GET    /manage/jobs/{activity}              one job
//! PUT    /manage/jobs/{activity}              replace it
//! DELETE /manage/jobs/{activity}              delete it
//! GET    /manage/messages?activity=&status=&limit=&offset=
//! GET    /manage/messages/{id}
//! GET    /manage/executions?limit=&offset=
//! GET    /manage/executions/{id}
//! GET    /manage/executions/{id}/errors?limit=&offset=
//! …      /manage/executions/{id}/staging, /copy   the rows an import kept in staging (`staging`)
//! GET    /manage/clients                      registrations (never secrets)
//! POST   /manage/clients                      register one: the answer holds its secret, once
//! GET    /manage/clients/{id}
//! PUT    /manage/clients/{id}                 change roles, companies, name, enabled
//! DELETE /manage/clients/{id}
//! POST   /manage/clients/{id}/secret          a new secret, once
//! GET    /manage/plugins                      every plugin file: the version serving, its
//!                                             content hash, the last refusal and why
//! GET    /manage/status                       counters since the server started
//! …      /manage/plugins/replay, /canaries, /decisions, /{name}/canary   replay, canaries
//!                                             and release decisions (`releases`)
//! GET    /manage/replicas                     the replicas, the plugin versions each serves,
//!                                             and where live ones disagree (`replicas`)
//! ```
//!
//! An admin hands out only what it holds: it may register a client, or change, remove or
//! reset the secret of one, only when that client's companies and roles are all its own, before
//! and after (an admin granted every company may do anything). So no admin can widen its own
//! grant, directly or through a client it controls, nor take over a client that holds more.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::caller::{Caller, require};
use super::error::ErrorBody;
use super::{ApiError, ApiResult, AppState};
use crate::auth::{Client, Companies, NewClient, Role};
use crate::jobs::job::parse_activity;
use crate::jobs::{Job, Message, MessageQuery, MessageStatus};
use crate::plugin::{LoadFailure, PluginStatus};
use crate::store::{Execution, RecordError};

/// The management routes, each registered once for routing and the OpenAPI document.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(jobs, create_job))
        .routes(routes!(job, replace_job, delete_job))
        .routes(routes!(messages))
        .routes(routes!(message))
        .routes(routes!(executions))
        .routes(routes!(execution))
        .routes(routes!(execution_errors))
        .routes(routes!(clients, add_client))
        .routes(routes!(client, set_client, remove_client))
        .routes(routes!(reset_secret))
        .routes(routes!(plugins))
        .routes(routes!(status))
        .merge(super::staging::routes())
        .merge(super::releases::routes())
        .merge(super::replicas::routes())
}

/// Every job the caller may see.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct JobList {
    /// The jobs.
    value: Vec<Job>,
}

/// A page of messages.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct MessageList {
    /// The messages, oldest first.
    value: Vec<Message>,
}

/// A page of executions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ExecutionList {
    /// The executions, newest first.
    value: Vec<Execution>,
}

/// A page of an execution's rejected records.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ExecutionErrors {
    /// How many records it rejected in all.
    count: u64,
    /// This page of them.
    value: Vec<RecordError>,
}

/// Every registered client.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ClientList {
    /// The clients; never their secrets.
    value: Vec<Client>,
}

/// A client just registered, with its secret: shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Registered {
    /// The registration.
    client: Client,
    /// The client secret.
    secret: String,
}

/// A new client secret: shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct NewSecret {
    /// The client secret.
    secret: String,
}

/// An admin caller, or 403.
fn admin(caller: &Caller) -> ApiResult<()> {
    require(caller, Role::Admin)
}

/// Whether the caller holds every company and role in `companies` and `roles` itself, so that
/// a client holding them can do nothing the caller could not do already.
fn may_grant(caller: &Caller, roles: &BTreeSet<Role>, companies: &Companies) -> bool {
    let companies_held = match (&caller.companies, companies) {
        (Companies::All, _) => true,
        (Companies::Only(_), Companies::All) => false,
        (Companies::Only(_), Companies::Only(companies)) => companies.iter().all(|company| caller.may_see(company)),
    };
    companies_held && roles.iter().all(|role| require(caller, *role).is_ok())
}

/// 403 unless the caller may grant `roles` and `companies`.
fn grantable(caller: &Caller, roles: &BTreeSet<Role>, companies: &Companies) -> ApiResult<()> {
    match may_grant(caller, roles, companies) {
        true => Ok(()),
        false => Err(ApiError::forbidden("You may grant only companies and roles you hold yourself.")),
    }
}

/// Registered client `id`, when the caller holds all its companies and roles: 404 when there
/// is none, 403 when it holds more than the caller, who could otherwise take it over.
fn grantable_client(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Client> {
    let client = state.auth.client(id).ok_or_else(|| ApiError::not_found(format!("No client {id}.")))?;
    match may_grant(caller, &client.roles, &client.companies) {
        true => Ok(client),
        false => Err(ApiError::forbidden(format!("Client {id} holds companies or roles you do not hold."))),
    }
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|error| ApiError::bad_request(format!("The body is not valid: {error}.")))
}

fn activity(text: &str) -> ApiResult<uuid::Uuid> {
    parse_activity(text).ok_or_else(|| ApiError::bad_request(format!("{text:?} is not a GUID.")))
}

/// Every job the caller may see.
#[utoipa::path(
    get,
    path = "/jobs",
    tag = "manage",
    responses((status = 200, description = "The jobs.", body = JobList)),
)]
async fn jobs(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    admin(&caller)?;
    let jobs: Vec<_> = state
        .jobs
        .jobs()
        .iter()
        .filter(|job| caller.may_see_scope(job.company.as_deref()))
        .map(|job| job.as_ref().clone())
        .collect();
    Ok(axum::Json(JobList { value: jobs }).into_response())
}

/// Job `id`, when the caller may see its company (a job of no company reads and writes
/// every company, so only an admin granted every company sees it); else 404, as for none.
fn visible_job(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Arc<Job>> {
    let job = state.jobs.job(activity(id)?).filter(|job| caller.may_see_scope(job.company.as_deref()));
    job.ok_or_else(|| ApiError::not_found(format!("No job {id}.")))
}

/// Refuses a job definition that would reach past the caller's companies.
fn within_grants(caller: &Caller, job: &Job) -> ApiResult<()> {
    if caller.may_see_scope(job.company.as_deref()) {
        return Ok(());
    }
    let scope = job.company.as_deref().map_or("every company".to_owned(), |company| format!("company {company}"));
    Err(ApiError::forbidden(format!("The application may not define jobs for {scope}.")))
}

/// One job.
#[utoipa::path(
    get,
    path = "/jobs/{activity}",
    tag = "manage",
    params(("activity" = Uuid, Path, description = "The job's activity id.")),
    responses(
        (status = 200, description = "The job.", body = Job),
        (status = 400, description = "The activity id is not a GUID.", body = ErrorBody),
        (status = 404, description = "No job the caller may see has this activity id.", body = ErrorBody),
    )
)]
async fn job(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    admin(&caller)?;
    Ok(axum::Json(visible_job(&state, &caller, &id)?.as_ref()).into_response())
}

/// Creates a job, or replaces the one with its activity id.
#[utoipa::path(
    post,
    path = "/jobs",
    tag = "manage",
    request_body(content = Job, description = "The job, as in `jobs/*.toml`."),
    responses(
        (status = 201, description = "The job, checked and kept.", body = Job),
        (status = 400, description = "The body is not a job, or the job does not fit the deployment.", body = ErrorBody),
        (status = 403, description = "The job's company is not the caller's.", body = ErrorBody),
        (status = 404, description = "A job the caller may not see has this activity id.", body = ErrorBody),
    )
)]
async fn create_job(State(state): State<AppState>, caller: Caller, body: axum::body::Bytes) -> ApiResult<Response> {
    admin(&caller)?;
    let job: Job = json_body(&body)?;
    within_grants(&caller, &job)?;
    if state.jobs.job(job.activity).is_some() {
        visible_job(&state, &caller, &job.activity.to_string())?;
    }
    let job = state.jobs.put_job(job).await.map_err(|error| ApiError::bad_request(format!("{error:#}.")))?;
    Ok((StatusCode::CREATED, axum::Json(job.as_ref())).into_response())
}

/// Replaces a job (or creates it under this activity id).
#[utoipa::path(
    put,
    path = "/jobs/{activity}",
    tag = "manage",
    params(("activity" = Uuid, Path, description = "The job's activity id; it wins over the body's.")),
    request_body(content = Job, description = "The job, as in `jobs/*.toml`."),
    responses(
        (status = 200, description = "The job, checked and kept.", body = Job),
        (status = 400, description = "The activity id is not a GUID, the body is not a job, or the job does not fit the deployment.", body = ErrorBody),
        (status = 403, description = "The job's company is not the caller's.", body = ErrorBody),
        (status = 404, description = "A job the caller may not see has this activity id.", body = ErrorBody),
    )
)]
async fn replace_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    admin(&caller)?;
    let mut job: Job = json_body(&body)?;
    job.activity = activity(&id)?;
    within_grants(&caller, &job)?;
    if state.jobs.job(job.activity).is_some() {
        visible_job(&state, &caller, &id)?;
    }
    let job = state.jobs.put_job(job).await.map_err(|error| ApiError::bad_request(format!("{error:#}.")))?;
    Ok(axum::Json(job.as_ref()).into_response())
}

/// Deletes a job kept by the management API.
#[utoipa::path(
    delete,
    path = "/jobs/{activity}",
    tag = "manage",
    params(("activity" = Uuid, Path, description = "The job's activity id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "The activity id is not a GUID.", body = ErrorBody),
        (status = 404, description = "No job the caller may see has this activity id.", body = ErrorBody),
        (status = 409, description = "The job is defined by a file of the deployment: change it there.", body = ErrorBody),
    )
)]
async fn delete_job(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    admin(&caller)?;
    visible_job(&state, &caller, &id)?;
    match state.jobs.delete_job(activity(&id)?).await {
        Ok(true) => Ok(StatusCode::NO_CONTENT.into_response()),
        Ok(false) => Err(ApiError::not_found(format!("No job {id}."))),
        Err(error) => Err(ApiError::new(StatusCode::CONFLICT, format!("{error:#}."))),
    }
}

#[derive(Debug, Deserialize)]
struct MessagesQuery {
    activity: Option<String>,
    status: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

/// A page of messages, oldest first.
#[utoipa::path(
    get,
    path = "/messages",
    tag = "manage",
    params(
        ("activity" = Option<Uuid>, Query, description = "Only this job's."),
        ("status" = Option<MessageStatus>, Query, description = "Only those in this status (any case; D365's other spellings too)."),
        ("limit" = Option<u32>, Query, description = "At most this many."),
        ("offset" = Option<u32>, Query, description = "After skipping this many."),
    ),
    responses(
        (status = 200, description = "The messages the caller may see.", body = MessageList),
        (status = 400, description = "The activity id is not a GUID, no status has that name, or a number is not one.", body = ErrorBody),
    )
)]
async fn messages(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<MessagesQuery>,
) -> ApiResult<Response> {
    admin(&caller)?;
    let status = match &query.status {
        Some(name) => Some(
            MessageStatus::parse(name)
                .ok_or_else(|| ApiError::bad_request(format!("No message status is called {name}.")))?,
        ),
        None => None,
    };
    let query = MessageQuery {
        activity: query.activity.as_deref().map(activity).transpose()?,
        status,
        limit: query.limit,
        offset: query.offset,
    };
    let messages = state.jobs.queue().messages(query).await?;
    let visible: Vec<_> =
        messages.into_iter().filter(|message| caller.may_see_scope(message.company.as_deref())).collect();
    Ok(axum::Json(MessageList { value: visible }).into_response())
}

/// One message.
#[utoipa::path(
    get,
    path = "/messages/{id}",
    tag = "manage",
    params(("id" = Uuid, Path, description = "The message id.")),
    responses(
        (status = 200, description = "The message.", body = Message),
        (status = 400, description = "The id is not a GUID.", body = ErrorBody),
        (status = 404, description = "No message the caller may see has this id.", body = ErrorBody),
    )
)]
async fn message(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    admin(&caller)?;
    let message = super::connector::visible_message(&state, &caller, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No message {id}.")))?;
    Ok(axum::Json(message).into_response())
}

#[derive(Debug, Deserialize)]
struct Page {
    limit: Option<u64>,
    offset: Option<u64>,
}

/// A page of executions, newest first.
#[utoipa::path(
    get,
    path = "/executions",
    tag = "manage",
    params(
        ("limit" = Option<u64>, Query, description = "At most this many (100 unless given; 1,000 at most)."),
        ("offset" = Option<u64>, Query, description = "After skipping this many."),
    ),
    responses(
        (status = 200, description = "The executions the caller may see.", body = ExecutionList),
        (status = 400, description = "A number is not one.", body = ErrorBody),
    )
)]
async fn executions(State(state): State<AppState>, caller: Caller, Query(page): Query<Page>) -> ApiResult<Response> {
    admin(&caller)?;
    let store = state.jobs.deployment().pipeline.store.clone();
    let limit = page.limit.unwrap_or(100).min(1000);
    let offset = page.offset.unwrap_or(0);
    let executions = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Execution>> {
        let ids = store.execution_ids(offset, limit)?;
        ids.iter().filter_map(|id| store.execution(id).transpose()).collect::<anyhow::Result<_>>()
    })
    .await
    .map_err(anyhow::Error::from)??;
    let visible: Vec<_> = executions.into_iter().filter(|execution| visible(&caller, execution)).collect();
    Ok(axum::Json(ExecutionList { value: visible }).into_response())
}

fn visible(caller: &Caller, execution: &Execution) -> bool {
    caller.may_see_scope(execution.company.as_deref())
}

/// Execution `id`, when the caller may see its company; else 404, as for none.
pub(super) async fn find_execution(state: &AppState, caller: &Caller, id: String) -> ApiResult<Execution> {
    let store = state.jobs.deployment().pipeline.store.clone();
    let shown = id.clone();
    let execution = tokio::task::spawn_blocking(move || store.execution(&id)).await.map_err(anyhow::Error::from)??;
    execution
        .filter(|execution| visible(caller, execution))
        .ok_or_else(|| ApiError::not_found(format!("No execution {shown}.")))
}

/// One execution, with its entities.
#[utoipa::path(
    get,
    path = "/executions/{id}",
    tag = "manage",
    params(("id" = String, Path, description = "The execution id.")),
    responses(
        (status = 200, description = "The execution.", body = Execution),
        (status = 404, description = "No execution the caller may see has this id.", body = ErrorBody),
    )
)]
async fn execution(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    admin(&caller)?;
    Ok(axum::Json(find_execution(&state, &caller, id).await?).into_response())
}

/// A page of an execution's rejected records.
#[utoipa::path(
    get,
    path = "/executions/{id}/errors",
    tag = "manage",
    params(
        ("id" = String, Path, description = "The execution id."),
        ("limit" = Option<u64>, Query, description = "At most this many (1,000 unless given; 10,000 at most)."),
        ("offset" = Option<u64>, Query, description = "After skipping this many."),
    ),
    responses(
        (status = 200, description = "The rejected records.", body = ExecutionErrors),
        (status = 400, description = "A number is not one.", body = ErrorBody),
        (status = 404, description = "No execution the caller may see has this id.", body = ErrorBody),
    )
)]
async fn execution_errors(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<Response> {
    admin(&caller)?;
    let execution = find_execution(&state, &caller, id).await?;
    let store = state.jobs.deployment().pipeline.store.clone();
    let (limit, offset) = (page.limit.unwrap_or(1000).min(10_000), page.offset.unwrap_or(0));
    let (errors, total) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        Ok((store.execution_errors(&execution.id, offset, limit)?, store.execution_error_count(&execution.id)?))
    })
    .await
    .map_err(anyhow::Error::from)??;
    Ok(axum::Json(ExecutionErrors { count: total, value: errors }).into_response())
}

/// Every registered client.
#[utoipa::path(
    get,
    path = "/clients",
    tag = "manage",
    responses((status = 200, description = "The clients.", body = ClientList)),
)]
async fn clients(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    admin(&caller)?;
    Ok(axum::Json(ClientList { value: state.auth.clients() }).into_response())
}

/// One registered client.
#[utoipa::path(
    get,
    path = "/clients/{id}",
    tag = "manage",
    params(("id" = String, Path, description = "The client id.")),
    responses(
        (status = 200, description = "The client.", body = Client),
        (status = 404, description = "No client has this id.", body = ErrorBody),
    )
)]
async fn client(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    admin(&caller)?;
    let client = state.auth.client(&id).ok_or_else(|| ApiError::not_found(format!("No client {id}.")))?;
    Ok(axum::Json(client).into_response())
}

/// Registers a client: its secret is in this answer, and never again.
#[utoipa::path(
    post,
    path = "/clients",
    tag = "manage",
    request_body(content = NewClient),
    responses(
        (status = 201, description = "The client and its secret.", body = Registered),
        (status = 400, description = "The body is not a registration, or the id is taken or malformed.", body = ErrorBody),
        (status = 403, description = "It would hold companies or roles the caller does not hold.", body = ErrorBody),
    )
)]
async fn add_client(State(state): State<AppState>, caller: Caller, body: axum::body::Bytes) -> ApiResult<Response> {
    admin(&caller)?;
    let registration: NewClient = json_body(&body)?;
    grantable(&caller, &registration.roles, &registration.companies)?;
    let auth = state.auth.clone();
    let (client, secret) = tokio::task::spawn_blocking(move || auth.add_client(registration))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(|error| ApiError::bad_request(format!("{error:#}.")))?;
    Ok((StatusCode::CREATED, axum::Json(Registered { client, secret })).into_response())
}

/// Changes a client's name, roles, companies or whether it is enabled.
#[utoipa::path(
    put,
    path = "/clients/{id}",
    tag = "manage",
    params(("id" = String, Path, description = "The client id; it wins over the body's.")),
    request_body(content = Client),
    responses(
        (status = 200, description = "The client as changed.", body = Client),
        (status = 400, description = "The body is not a client.", body = ErrorBody),
        (status = 403, description = "The client holds, or would hold, companies or roles the caller does not hold.", body = ErrorBody),
        (status = 404, description = "No client has this id.", body = ErrorBody),
    )
)]
async fn set_client(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    admin(&caller)?;
    let mut client: Client = json_body(&body)?;
    client.id = id.to_ascii_lowercase();
    grantable_client(&state, &caller, &client.id)?;
    grantable(&caller, &client.roles, &client.companies)?;
    // The database is written on a blocking thread: with PostgreSQL the change waits for it.
    let auth = state.auth.clone();
    let client = tokio::task::spawn_blocking(move || auth.set_client(&client).map(|()| client))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(|error| ApiError::bad_request(format!("{error:#}.")))?;
    Ok(axum::Json(state.auth.client(&client.id)).into_response())
}

/// Removes a client: its tokens are refused from now on.
#[utoipa::path(
    delete,
    path = "/clients/{id}",
    tag = "manage",
    params(("id" = String, Path, description = "The client id.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "The client holds companies or roles the caller does not hold.", body = ErrorBody),
        (status = 404, description = "No client has this id.", body = ErrorBody),
    )
)]
async fn remove_client(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    admin(&caller)?;
    grantable_client(&state, &caller, &id)?;
    let auth = state.auth.clone();
    let removed = tokio::task::spawn_blocking(move || auth.remove_client(&id).map(|removed| (removed, id)));
    let (removed, id) = removed.await.map_err(anyhow::Error::from)??;
    match removed {
        true => Ok(StatusCode::NO_CONTENT.into_response()),
        false => Err(ApiError::not_found(format!("No client {id}."))),
    }
}

/// Gives a client a new secret: in this answer, and never again. The old one stops working.
#[utoipa::path(
    post,
    path = "/clients/{id}/secret",
    tag = "manage",
    params(("id" = String, Path, description = "The client id.")),
    responses(
        (status = 200, description = "The new secret.", body = NewSecret),
        (status = 403, description = "The client holds companies or roles the caller does not hold.", body = ErrorBody),
        (status = 404, description = "No client has this id.", body = ErrorBody),
    )
)]
async fn reset_secret(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    admin(&caller)?;
    grantable_client(&state, &caller, &id)?;
    let auth = state.auth.clone();
    let secret = tokio::task::spawn_blocking(move || auth.reset_secret(&id)).await.map_err(anyhow::Error::from)??;
    Ok(axum::Json(NewSecret { secret }).into_response())
}

/// Every plugin file of the deployment, in file-name order, as the registry sees it now.
/// Plugins serve every company, so only an admin granted every company sees them.
#[utoipa::path(
    get,
    path = "/plugins",
    tag = "manage",
    responses(
        (status = 200, description = "`value`: each plugin file (see below); `canaries`: the canaries running.", body = Object),
        (status = 403, description = "The caller is not granted every company.", body = ErrorBody),
    )
)]
async fn plugins(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    admin(&caller)?;
    if !caller.may_see_scope(None) {
        return Err(ApiError::forbidden("Plugins serve every company: only an admin granted every company sees them."));
    }
    let status = state.jobs.deployment().pipeline.registry.status();
    let value: Vec<_> = status.iter().map(plugin_json).collect();
    let canaries = state.jobs.releases().canaries();
    Ok(axum::Json(json!({ "value": value, "canaries": canaries })).into_response())
}

/// What the server counted since it started: `odata_unsupported_requests`, the OData requests
/// and `$batch` operations answered 501 (valid OData that Wharf does not offer). Those are
/// logged at info, not as errors, so this is where an operator sees what clients miss.
#[utoipa::path(
    get,
    path = "/status",
    tag = "manage",
    responses((status = 200, description = "`odata_unsupported_requests`: OData requests answered 501 since the start.", body = Object)),
)]
async fn status(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    admin(&caller)?;
    Ok(axum::Json(json!({ "odata_unsupported_requests": state.odata.unsupported_requests() })).into_response())
}

/// One plugin file: `file` (its name in the plugin directory), `current` (`name@version`
/// serving, or null), `content_hash` (BLAKE3 of its component), `since` (when it began
/// serving), `previous` (what a restore brings back) and `last_refusal` (`at`, `version`,
/// `reason`; kept after a later version loads, so compare `at` with `since`). Reasons name
/// files relative to the plugin directory. `outbound` lists its calls to web services since
/// the server started, per host: `requests` sent (redirects included), `denied` before
/// sending, `failed` without a whole answer, `bytes_received`.
fn plugin_json(status: &PluginStatus) -> serde_json::Value {
    let dir = status.file.parent().map(|dir| format!("{}/", dir.display())).unwrap_or_default();
    let refusal = |failure: &LoadFailure| {
        json!({
            "at": timestamp(failure.at),
            "version": failure.version,
            "reason": failure.reason.replace(&dir, ""),
        })
    };
    json!({
        "file": status.file.file_name().map(|name| name.to_string_lossy()),
        "current": status.current,
        "content_hash": status.content_hash,
        "since": status.since.map(timestamp),
        "previous": status.previous,
        "last_refusal": status.last_refusal.as_ref().map(refusal),
        "outbound": status.outbound.iter().map(|count| json!({
            "host": count.host,
            "requests": count.requests,
            "denied": count.denied,
            "failed": count.failed,
            "bytes_received": count.bytes_received,
        })).collect::<Vec<_>>(),
    })
}

/// RFC 3339 in UTC, to the millisecond.
fn timestamp(time: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
