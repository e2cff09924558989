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
//! GET    /manage/messages?activity=&status=A,B&company=&from=&to=&text=&cursor=&limit=
//!                                             a page, newest first, and `next` (a cursor)
//! GET    /manage/messages/{id}
//! DELETE /manage/messages/{id}                remove it with its body
//! GET    /manage/messages/{id}/timeline       its life, oldest step first
//! POST   /manage/messages/{id}/reprocess      a failed import, processed again
//! POST   /manage/messages/{id}/requeue        a poisoned message, back in line
//! POST   /manage/messages/bulk                {action, ids} or {action, filter}
//! POST   /manage/jobs/{activity}/enable|disable|run
//! GET    /manage/jobs/{activity}/runs         its latest messages
//! GET    /manage/overview                     depth, waiting, running, the last hour, errors
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
//! GET    /manage/definitions                  every entity, project and job file: serving,
//!                                             or refused with the reason
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
use crate::jobs::queue::{PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX};
use crate::jobs::{
    ActionOutcome, BadCursor, Job, Message, MessageAction, MessageFilter, MessagePage, MessageQuery, MessageStatus,
    parse_time,
};
use crate::plugin::{LoadFailure, PluginStatus};
use crate::store::{Execution, RecordError};

/// The management routes, each registered once for routing and the OpenAPI document.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(jobs, create_job))
        .routes(routes!(job, replace_job, delete_job))
        .routes(routes!(messages_page))
        .routes(routes!(bulk_action))
        .routes(routes!(message, delete_message))
        .routes(routes!(message_timeline))
        .routes(routes!(message_action))
        .routes(routes!(job_runs))
        .routes(routes!(job_action))
        .routes(routes!(overview))
        .routes(routes!(definitions))
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
pub(super) fn may_grant(caller: &Caller, roles: &BTreeSet<Role>, companies: &Companies) -> bool {
    let companies_held = match (&caller.companies, companies) {
        (Companies::All, _) => true,
        (Companies::Only(_), Companies::All) => false,
        (Companies::Only(_), Companies::Only(companies)) => companies.iter().all(|company| caller.may_see(company)),
    };
    companies_held && roles.iter().all(|role| require(caller, *role).is_ok())
}

/// Why the caller may not make `after` of its own registration (`None`: remove it), if it may
/// not: no client disables, removes or changes the roles or companies of itself, so the last
/// admin cannot lock everyone out, nor can a tool driving the API with an admin's token take
/// its own rights away halfway through. Another admin makes those changes.
pub(super) fn own_change_refused(caller: &Caller, before: &Client, after: Option<&Client>) -> Option<&'static str> {
    if before.id != caller.client_id {
        return None;
    }
    match after {
        None => Some("A client cannot remove itself; another admin can."),
        Some(after) if !after.enabled => Some("A client cannot disable itself; another admin can."),
        Some(after) if after.roles != before.roles || after.companies.clone().normalized() != before.companies => {
            Some("A client cannot change its own roles or companies; another admin can.")
        }
        Some(_) => None,
    }
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

/// A page of messages, oldest first: the list `GET /manage/messages` answers with `offset`.
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
        (status = 409, description = "The caller would disable itself or change its own roles or companies.", body = ErrorBody),
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
    let before = grantable_client(&state, &caller, &client.id)?;
    grantable(&caller, &client.roles, &client.companies)?;
    if let Some(reason) = own_change_refused(&caller, &before, Some(&client)) {
        return Err(ApiError::new(StatusCode::CONFLICT, reason));
    }
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
        (status = 409, description = "The caller would remove itself.", body = ErrorBody),
    )
)]
async fn remove_client(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    admin(&caller)?;
    let before = grantable_client(&state, &caller, &id)?;
    if let Some(reason) = own_change_refused(&caller, &before, None) {
        return Err(ApiError::new(StatusCode::CONFLICT, reason));
    }
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
/// `definition_reloads`: reloads of the entity and project files that changed what serves.
#[utoipa::path(
    get,
    path = "/status",
    tag = "manage",
    responses((status = 200, description = "`odata_unsupported_requests`: OData requests answered 501 since the start; `definition_reloads`: reloads of definition files that changed what serves.", body = Object)),
)]
async fn status(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    admin(&caller)?;
    Ok(axum::Json(json!({
        "odata_unsupported_requests": state.odata.unsupported_requests(),
        "definition_reloads": state.jobs.deployment().definition_reloads(),
    }))
    .into_response())
}

/// Every definition file of the deployment (`kind` entity, project or job; `file` relative
/// to the deployment directory; `name`), `state` serving or refused, the `reason` it was
/// refused (its previous definition, if any, serves meanwhile) and `at`, when it came to
/// that state. Definitions serve every company, so only an admin granted every company sees
/// them.
#[utoipa::path(
    get,
    path = "/definitions",
    tag = "manage",
    responses(
        (status = 200, description = "`{value}`: each definition file, serving or refused with its reason.", body = Object),
        (status = 403, description = "The caller is not granted every company.", body = ErrorBody),
    )
)]
async fn definitions(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    admin(&caller)?;
    if !caller.may_see_scope(None) {
        return Err(ApiError::forbidden(
            "Definitions serve every company: only an admin granted every company sees them.",
        ));
    }
    let value: Vec<_> = state
        .jobs
        .definitions()
        .into_iter()
        .map(|definition| {
            json!({
                "kind": definition.kind,
                "file": definition.file,
                "name": definition.name,
                "state": definition.state,
                "reason": definition.reason,
                "at": timestamp(definition.at),
            })
        })
        .collect();
    Ok(axum::Json(json!({ "value": value })).into_response())
}

/// One plugin file: `file` (its name in the plugin directory), `current` (`name@version`
/// serving, or null), `content_hash` (BLAKE3 of its component), `since` (when it began
/// serving), `previous` (what a restore brings back), `calls` and `previous_calls` (each
/// version's calls since it was loaded: `calls`, `mean_ms`, `p99_at_most_ms`, `traps`,
/// `time_limit`, `memory_limit`, `output_limit`, `busy`), `last_refusal` (`at`, `version`,
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
        "calls": status.calls,
        "previous_calls": status.previous_calls,
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

/// The query of a page of messages. `status` may name several statuses, comma-separated or
/// repeated; `from` and `to` are RFC 3339 times or dates.
#[derive(Debug, Default)]
struct PageQuery {
    filter: MessageFilter,
    cursor: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
    /// Whether anything beyond the first list's parameters was asked for.
    searching: bool,
}

/// The most ids one bulk request may name.
const BULK_IDS: usize = 10_000;

fn page_query(raw: Option<&str>) -> ApiResult<PageQuery> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|error| ApiError::bad_request(format!("The query is not valid: {error}.")))?;
    let mut query = PageQuery::default();
    let time = |name: &str, value: &str| {
        parse_time(value)
            .ok_or_else(|| ApiError::bad_request(format!("{name}={value:?} is not an RFC 3339 time or a date.")))
    };
    let number = |name: &str, value: &str| {
        value.parse::<u32>().map_err(|_| ApiError::bad_request(format!("{name}={value:?} is not a number.")))
    };
    for (name, value) in &pairs {
        match name.as_str() {
            "activity" | "job" => query.filter.activity = Some(activity(value)?),
            "status" => {
                for name in value.split(',').map(str::trim).filter(|name| !name.is_empty()) {
                    let status = MessageStatus::parse(name)
                        .ok_or_else(|| ApiError::bad_request(format!("No message status is called {name}.")))?;
                    query.filter.statuses.push(status);
                }
            }
            "company" => query.filter.company = Some(value.clone()).filter(|company| !company.is_empty()),
            "from" => query.filter.enqueued_from = Some(time(name, value)?),
            "to" => query.filter.enqueued_to = Some(time(name, value)?),
            "text" => query.filter.text = Some(value.clone()).filter(|text| !text.trim().is_empty()),
            "cursor" => query.cursor = Some(value.clone()).filter(|cursor| !cursor.is_empty()),
            "limit" => query.limit = Some(number(name, value)?),
            "offset" => query.offset = Some(number(name, value)?),
            // Unknown parameters were always ignored here; clients may send their own.
            _ => {}
        }
    }
    let filter = &query.filter;
    query.searching = filter.statuses.len() > 1
        || filter.company.is_some()
        || filter.enqueued_from.is_some()
        || filter.enqueued_to.is_some()
        || filter.text.is_some()
        || query.cursor.is_some();
    if query.searching && query.offset.is_some() {
        return Err(ApiError::bad_request("Page with cursor, not offset, when filtering by more than job and status."));
    }
    Ok(query)
}

#[utoipa::path(
    get,
    path = "/messages",
    tag = "manage",
    params(
        ("activity" = Option<Uuid>, Query, description = "Only this job's (also as `job`)."),
        ("status" = Option<String>, Query, description = "Only those in these statuses, comma-separated (any case; D365's other spellings too)."),
        ("company" = Option<String>, Query, description = "Only this company's."),
        ("from" = Option<String>, Query, description = "Enqueued at or after this RFC 3339 time or date."),
        ("to" = Option<String>, Query, description = "Enqueued before this RFC 3339 time or date."),
        ("text" = Option<String>, Query, description = "A message id, an external correlation id, or text inside the bodies (searched within a budget)."),
        ("cursor" = Option<String>, Query, description = "The previous page's `next`."),
        ("limit" = Option<u32>, Query, description = "At most this many."),
        ("offset" = Option<u32>, Query, description = "After skipping this many (the list, without the search's parameters)."),
    ),
    responses(
        (status = 200, description = "With `offset`, the list `{value}`; otherwise a page `{value, next, total, matched_by, body_search}`.", body = Object),
        (status = 400, description = "A parameter is not valid, or the cursor is not one this server handed out.", body = ErrorBody),
    )
)]
/// `GET /manage/messages`: with only `activity`, one `status`, `limit` and `offset`, the list
/// it always was; otherwise (or without `offset`) a page of a search, whose `value` holds the
/// messages as the list's does, with `next`, `total`, `matched_by` and `body_search`.
async fn messages_page(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> ApiResult<Response> {
    admin(&caller)?;
    let query = page_query(raw.as_deref())?;
    if query.offset.is_some() {
        let list = MessagesQuery {
            activity: query.filter.activity.map(|activity| activity.to_string()),
            status: query.filter.statuses.first().map(|status| status.as_str().to_owned()),
            limit: query.limit,
            offset: query.offset,
        };
        return messages(State(state), caller, Query(list)).await;
    }
    let limit = query.limit.unwrap_or(if query.searching { PAGE_LIMIT_DEFAULT } else { 100 });
    let mut page = search(&state, &query.filter, query.cursor.as_deref(), limit).await?;
    if !caller.may_see_scope(None) {
        // A caller granted only some companies sees only their messages; counts would tell
        // about the others, so there are none.
        page.messages.retain(|message| caller.may_see_scope(message.company.as_deref()));
        page.total = None;
    }
    Ok(axum::Json(page).into_response())
}

/// A search, with a cursor this server did not hand out answered 400.
async fn search(state: &AppState, filter: &MessageFilter, cursor: Option<&str>, limit: u32) -> ApiResult<MessagePage> {
    state.jobs.queue().search(filter, cursor, limit).await.map_err(|error| match error.is::<BadCursor>() {
        true => ApiError::bad_request("The cursor is not one this server handed out."),
        false => ApiError::from(error),
    })
}

/// A message id from a path, and the message when the caller may see it; else 404.
async fn visible_message_id(state: &AppState, caller: &Caller, id: &str) -> ApiResult<uuid::Uuid> {
    let message = super::connector::visible_message(state, caller, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No message {id}.")))?;
    Ok(message.message_id)
}

/// What happened to a message, oldest first.
#[utoipa::path(
    get,
    path = "/messages/{id}/timeline",
    tag = "manage",
    params(("id" = Uuid, Path, description = "The message id.")),
    responses(
        (status = 200, description = "`{message_id, value}`: the message's events.", body = Object),
        (status = 400, description = "The id is not a GUID.", body = ErrorBody),
        (status = 404, description = "No message the caller may see has this id.", body = ErrorBody),
    )
)]
async fn message_timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    admin(&caller)?;
    let id = visible_message_id(&state, &caller, &id).await?;
    let timeline = state.jobs.queue().timeline(id).await?.unwrap_or_default();
    Ok(axum::Json(json!({ "message_id": id, "value": timeline })).into_response())
}

/// The answer to an action on one message: what changed, or 409 with why nothing did.
fn action_answer(outcome: ActionOutcome) -> ApiResult<Response> {
    match &outcome.refused {
        Some(why) => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("Cannot {} message {}: {why}.", outcome.action.as_str(), outcome.message_id),
        )),
        None => Ok(axum::Json(outcome).into_response()),
    }
}

/// Reprocesses a failed message, or re-queues a poisoned one.
#[utoipa::path(
    post,
    path = "/messages/{id}/{action}",
    tag = "manage",
    params(
        ("id" = Uuid, Path, description = "The message id."),
        ("action" = String, Path, description = "`reprocess` or `requeue`."),
    ),
    responses(
        (status = 200, description = "What changed.", body = Object),
        (status = 400, description = "The id is not a GUID.", body = ErrorBody),
        (status = 404, description = "No message the caller may see has this id, or no such action.", body = ErrorBody),
        (status = 409, description = "The message's state does not allow the action; the error says why.", body = ErrorBody),
    )
)]
async fn message_action(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(String, String)>,
) -> ApiResult<Response> {
    admin(&caller)?;
    let action = match MessageAction::parse(&action) {
        Some(action @ (MessageAction::Reprocess | MessageAction::Requeue)) => action,
        _ => return Err(ApiError::not_found(format!("No action {action} on messages; try reprocess or requeue."))),
    };
    let id = visible_message_id(&state, &caller, &id).await?;
    action_answer(state.jobs.queue().act(action, id, &caller.client_id).await?)
}

/// Deletes a message with its body.
#[utoipa::path(
    delete,
    path = "/messages/{id}",
    tag = "manage",
    params(("id" = Uuid, Path, description = "The message id.")),
    responses(
        (status = 200, description = "What changed.", body = Object),
        (status = 400, description = "The id is not a GUID.", body = ErrorBody),
        (status = 404, description = "No message the caller may see has this id.", body = ErrorBody),
        (status = 409, description = "The message is being processed.", body = ErrorBody),
    )
)]
async fn delete_message(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    admin(&caller)?;
    let id = visible_message_id(&state, &caller, &id).await?;
    action_answer(state.jobs.queue().act(MessageAction::Delete, id, &caller.client_id).await?)
}

/// The body of `POST /manage/messages/bulk`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkRequest {
    action: MessageAction,
    ids: Option<Vec<String>>,
    filter: Option<BulkFilter>,
}

/// A filter as JSON, with times as text.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct BulkFilter {
    activity: Option<String>,
    statuses: Vec<String>,
    company: Option<String>,
    from: Option<String>,
    to: Option<String>,
    text: Option<String>,
}

impl BulkFilter {
    fn parse(self) -> ApiResult<MessageFilter> {
        let time = |name: &str, value: Option<String>| -> ApiResult<Option<i64>> {
            value
                .map(|value| {
                    parse_time(&value).ok_or_else(|| {
                        ApiError::bad_request(format!("{name} {value:?} is not an RFC 3339 time or a date."))
                    })
                })
                .transpose()
        };
        let statuses = (self.statuses.iter())
            .map(|name| {
                MessageStatus::parse(name)
                    .ok_or_else(|| ApiError::bad_request(format!("No message status is called {name}.")))
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(MessageFilter {
            activity: self.activity.as_deref().map(activity).transpose()?,
            statuses,
            company: self.company.filter(|company| !company.is_empty()),
            enqueued_from: time("from", self.from)?,
            enqueued_to: time("to", self.to)?,
            text: self.text.filter(|text| !text.trim().is_empty()),
        })
    }
}

/// `POST /manage/messages/bulk`: an action on each of `ids`, or on every message that matches
/// `filter` (narrowed to the statuses the action applies to), in short writes of
/// [`BULK_CHUNK`](crate::jobs::queue::BULK_CHUNK). Answers how many changed, how many were
/// refused and the first refusals with their reasons.
#[utoipa::path(
    post,
    path = "/messages/bulk",
    tag = "manage",
    request_body(content = Object, description = "`{action: reprocess|requeue|delete, ids: [..]}` or `{action, filter: {activity, statuses, company, from, to, text}}`."),
    responses(
        (status = 200, description = "How many changed, how many were refused, and the first refusals.", body = Object),
        (status = 400, description = "The body is not a bulk request, or names too many ids.", body = ErrorBody),
        (status = 403, description = "A filter names no company of the caller's.", body = ErrorBody),
    )
)]
async fn bulk_action(State(state): State<AppState>, caller: Caller, body: axum::body::Bytes) -> ApiResult<Response> {
    admin(&caller)?;
    let request: BulkRequest = json_body(&body)?;
    let queue = state.jobs.queue();
    let outcome = match (request.ids, request.filter) {
        (Some(ids), None) => {
            if ids.len() > BULK_IDS {
                return Err(ApiError::bad_request(format!("At most {BULK_IDS} ids at once; use a filter for more.")));
            }
            let (mut visible, mut unseen) = (Vec::with_capacity(ids.len()), Vec::new());
            for id in &ids {
                // An id the caller may not see is refused as one that does not exist.
                match super::connector::visible_message(&state, &caller, id).await? {
                    Some(message) => visible.push(message.message_id),
                    None => unseen.push(activity(id)?),
                }
            }
            let mut outcome = queue.act_on(request.action, &visible, &caller.client_id).await?;
            if !unseen.is_empty() {
                let refused =
                    |id| ActionOutcome::refused(id, request.action, None, "there is no such message".to_owned());
                outcome.tally(unseen.into_iter().map(refused).collect());
            }
            outcome
        }
        (None, Some(filter)) => {
            let filter = filter.parse()?;
            // An admin granted only some companies acts on one of them at a time.
            match (&filter.company, caller.may_see_scope(None)) {
                (_, true) => {}
                (Some(company), false) if caller.may_see(company) => {}
                _ => return Err(ApiError::forbidden("Name one of your companies in the filter.")),
            }
            queue.act_on_matching(request.action, &filter, &caller.client_id).await?
        }
        _ => return Err(ApiError::bad_request("Give either ids or a filter.")),
    };
    Ok(axum::Json(outcome).into_response())
}

/// Enables, disables or runs a job now.
#[utoipa::path(
    post,
    path = "/jobs/{activity}/{action}",
    tag = "manage",
    params(
        ("activity" = Uuid, Path, description = "The job's activity id."),
        ("action" = String, Path, description = "`enable`, `disable` or `run`."),
    ),
    responses(
        (status = 200, description = "`{activity, enabled}`.", body = Object),
        (status = 202, description = "The run is asked for.", body = Object),
        (status = 400, description = "The activity id is not a GUID.", body = ErrorBody),
        (status = 404, description = "No job the caller may see has this activity id, or no such action.", body = ErrorBody),
        (status = 409, description = "The job cannot run now; the error says why.", body = ErrorBody),
    )
)]
async fn job_action(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(String, String)>,
) -> ApiResult<Response> {
    admin(&caller)?;
    let job = visible_job(&state, &caller, &id)?;
    match action.as_str() {
        "enable" | "disable" => {
            let enabled = action == "enable";
            if !state.jobs.set_enabled(job.activity, enabled, &caller.client_id).await? {
                return Err(ApiError::not_found(format!("No job {id}.")));
            }
            Ok(axum::Json(json!({ "activity": job.activity, "enabled": enabled })).into_response())
        }
        "run" => {
            let run = state.jobs.run_now(job.activity).ok_or_else(|| ApiError::not_found(format!("No job {id}.")))?;
            match &run.refused {
                Some(why) => Err(ApiError::new(StatusCode::CONFLICT, format!("Cannot run job {id} now: {why}."))),
                None => Ok((StatusCode::ACCEPTED, axum::Json(run)).into_response()),
            }
        }
        _ => Err(ApiError::not_found(format!("No action {action} on jobs; try enable, disable or run."))),
    }
}

/// A job's latest messages with their outcomes.
#[utoipa::path(
    get,
    path = "/jobs/{activity}/runs",
    tag = "manage",
    params(
        ("activity" = Uuid, Path, description = "The job's activity id."),
        ("limit" = Option<u64>, Query, description = "At most this many."),
        ("offset" = Option<u64>, Query, description = "Ignored."),
    ),
    responses(
        (status = 200, description = "`{activity, enabled, value}`.", body = Object),
        (status = 400, description = "The activity id is not a GUID, or a number is not one.", body = ErrorBody),
        (status = 404, description = "No job the caller may see has this activity id.", body = ErrorBody),
    )
)]
async fn job_runs(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<Response> {
    admin(&caller)?;
    let job = visible_job(&state, &caller, &id)?;
    let limit = u32::try_from(page.limit.unwrap_or(20)).unwrap_or(PAGE_LIMIT_MAX);
    let runs = state.jobs.last_runs(job.activity, limit).await?;
    let enabled = state.jobs.is_enabled(job.activity);
    Ok(axum::Json(json!({ "activity": job.activity, "enabled": enabled, "value": runs })).into_response())
}

/// `GET /manage/overview`. The queue's figures span every company, so only an admin granted
/// every company sees them.
#[utoipa::path(
    get,
    path = "/overview",
    tag = "manage",
    responses(
        (status = 200, description = "Queue depth, oldest waiting, executions running, the last hour's rows, recent errors.", body = Object),
        (status = 403, description = "The caller is not granted every company.", body = ErrorBody),
    )
)]
async fn overview(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    admin(&caller)?;
    if !caller.may_see_scope(None) {
        return Err(ApiError::forbidden(
            "The overview spans every company: only an admin granted every company sees it.",
        ));
    }
    Ok(axum::Json(state.jobs.overview().await?).into_response())
}
