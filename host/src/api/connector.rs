//! D365's recurring-integrations connector: enqueue, dequeue, download, ack and job status,
//! under `/api/connector/` (and `/{lang}/api/connector/`), with the bodies and quirks real
//! clients depend on (see the wire spec, section 1).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt as _;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::caller::Caller;
use super::error::ErrorBody;
use super::{ApiError, ApiResult, AppState, lenient_json, odata_json, string_member};
use crate::jobs::intake::EnqueueError;
use crate::jobs::job::parse_activity;
use crate::jobs::queue::now_millis;
use crate::jobs::{AckOutcome, Job, Message, MessageStatus, Mode, NewMessage};
use crate::store::{EntityExecutionState, Operation};

/// The connector's routes, each registered once for routing and the OpenAPI document.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    // An enqueued body streams to disk under its own limit (`max_body_bytes`).
    let (schemas, paths, enqueue) = routes!(enqueue);
    OpenApiRouter::new()
        .routes((schemas, paths, enqueue.layer(axum::extract::DefaultBodyLimit::disable())))
        .routes(routes!(dequeue))
        .routes(routes!(download))
        .routes(routes!(ack))
        .routes(routes!(job_status))
}

/// The activity segment; the optional language segment before it is ignored.
#[derive(Debug, Deserialize)]
struct ActivityPath {
    activity: String,
}

#[derive(Debug, Deserialize)]
struct EnqueueQuery {
    entity: Option<String>,
    company: Option<String>,
}

/// The job `path` names, when the caller may use it (for `direction`, when one is given).
fn job_for(
    state: &AppState,
    caller: &Caller,
    path: &ActivityPath,
    direction: Option<Operation>,
) -> ApiResult<Arc<Job>> {
    let Some(activity) = parse_activity(&path.activity) else {
        return Err(ApiError::bad_request(format!("The activity id {:?} is not a GUID.", path.activity)));
    };
    // RIS checks a connection by dequeuing from the all-zero activity: D365 fails that with
    // 500 once the caller got past authentication, and RIS takes the 500 to mean "access OK".
    if activity.is_nil() {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "No recurring job has the all-zero activity id; the caller is authenticated.",
        ));
    }
    // A job the caller is not authorized for is reported exactly like one that does not exist.
    let job = state
        .jobs
        .job(activity)
        .filter(|job| job.allows(&caller.client_id))
        .filter(|job| job.company.as_deref().is_none_or(|company| caller.may_see(company)))
        .ok_or_else(|| ApiError::not_found(format!("No recurring job has activity id {activity}.")))?;
    if direction.is_some_and(|direction| direction != job.direction) {
        let hint = match job.direction {
            Operation::Import => "it takes enqueued documents",
            Operation::Export => "its files are dequeued",
        };
        return Err(ApiError::bad_request(format!(
            "Recurring job {} is an {} job: {hint}.",
            job.name,
            job.direction.as_str().to_lowercase()
        )));
    }
    Ok(job)
}

/// Enqueues a document for an import job: a file of one entity (file mode) or a data
/// package. Answers the message id; the same `x-ms-dyn-externalidentifier` sent again answers
/// the first message's id.
#[utoipa::path(
    post,
    path = "/enqueue/{activity}",
    tag = "connector",
    params(
        ("activity" = Uuid, Path, description = "The import job's activity id."),
        ("entity" = Option<String>, Query, description = "File mode: the entity of the file (else the job's)."),
        ("company" = Option<String>, Query, description = "The company the rows go to (else the job's, the project's or the caller's default)."),
        ("x-ms-dyn-externalidentifier" = Option<String>, Header, description = "The sender's correlation id; a repeated one is enqueued once."),
    ),
    request_body(content = String, content_type = "application/octet-stream", description = "The document, streamed."),
    responses(
        (status = 200, description = "The message id, as a JSON string.", body = Uuid, content_type = "application/json"),
        (status = 400, description = "The activity id is not a GUID, the job is an export job, the entity is missing or not in the project, or the enqueue is refused.", body = ErrorBody),
        (status = 403, description = "The caller is granted no company, or may not use the API.", body = ErrorBody),
        (status = 404, description = "No job the caller may use has this activity id, or the company is not the caller's.", body = ErrorBody),
        (status = 413, description = "The body is larger than the server takes.", body = ErrorBody),
    )
)]
async fn enqueue(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<ActivityPath>,
    Query(query): Query<EnqueueQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let job = job_for(&state, &caller, &path, Some(Operation::Import))?;
    let definitions = state.jobs.deployment().definitions();
    let project = definitions.projects.require(&job.project)?;
    let company = query
        .company
        .filter(|company| !company.trim().is_empty())
        .or_else(|| job.company.clone())
        .or_else(|| project.company.clone())
        .or_else(|| state.odata.default_company(&caller))
        .map(|company| company.to_ascii_lowercase());
    // A message always has one company, which the sender is granted: its rows are written
    // there and nowhere else (the scheduler rejects rows naming another).
    let company = match company {
        Some(company) if caller.may_see(&company) => company,
        Some(company) => return Err(ApiError::not_found(format!("No company {company} exists."))),
        None => return Err(ApiError::forbidden("The application is granted no company.")),
    };
    let entity = match job.mode {
        Mode::Package => None,
        Mode::File => {
            let name = query.entity.or_else(|| job.entity.clone()).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Recurring job {} takes files: the entity parameter is required.",
                    job.name
                ))
            })?;
            let known = definitions
                .catalog
                .get(&name)
                .filter(|entity| project.entities.iter().any(|settings| entity.answers_to(&settings.entity)));
            let entity = known.ok_or_else(|| {
                ApiError::bad_request(format!("Entity {name} is not part of data project {}.", project.name))
            })?;
            Some(entity.label.clone())
        }
    };
    let external_id = headers
        .get("x-ms-dyn-externalidentifier")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .filter(|value| !value.is_empty());

    let mut receiver = state.jobs.bodies().receive(state.limits.max_body_bytes);
    let mut stream = body.into_data_stream();
    loop {
        let chunk = match stream.try_next().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(error) => {
                return Err(ApiError::bad_request(format!("The request body could not be read: {error}")));
            }
        };
        // Over the limit answers 413; a full disk 507 (see `ApiError`).
        receiver.push(&chunk).await?;
    }
    let body = receiver.finish().await?;
    let message = NewMessage {
        activity: job.activity,
        direction: Operation::Import,
        entity,
        company: Some(company),
        external_id,
        user: Some(caller.client_id.clone()),
        status: MessageStatus::Enqueued,
        records: None,
        execution: None,
        error: None,
    };
    let (id, repeated) = state.jobs.enqueue(&job, message, body).await.map_err(|error| match error {
        EnqueueError::Refused(reason) => ApiError::bad_request(reason),
        EnqueueError::Failed(error) => ApiError::from(error),
    })?;
    if repeated {
        tracing::info!(message = %id, "an enqueue repeated an earlier one; answered with its message id");
    }
    // The message id as a JSON string, quotes included, as D365 answers.
    Ok(([(header::CONTENT_TYPE, "application/json; charset=utf-8")], format!("\"{id}\"")).into_response())
}

/// What a dequeue answers: D365's dequeue response, which an ack sends back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
struct Dequeued {
    /// The message id.
    correlation_id: Uuid,
    /// The receipt of this delivery: an ack must send the newest one.
    pop_receipt: String,
    /// Where the file is downloaded from (with the bearer token).
    download_location: String,
    /// Whether the message has a file to download.
    #[serde(rename = "IsDownLoadFileExist")]
    is_download_file_exist: bool,
    /// Why the file could not be produced; empty when it was.
    #[serde(rename = "FileDownLoadErrorMessage")]
    file_download_error_message: String,
    /// When the message was dequeued before; D365's empty date on the first dequeue.
    last_dequeue_date_time: String,
}

/// What an ack sends: the dequeue answer, whole or in part. Only these two members are read,
/// in any case, and single-quoted JSON is accepted as D365 accepts it.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "PascalCase")]
#[allow(dead_code, reason = "describes the body in the OpenAPI document; the handler reads it leniently")]
struct AckRequest {
    /// The message id the dequeue answered.
    correlation_id: Uuid,
    /// The pop receipt the newest dequeue answered.
    pop_receipt: String,
}

/// Hands out the oldest export file waiting, for a time (its lease); answers 204 when there is
/// none. A message not acked in time is handed out again, with a new pop receipt.
#[utoipa::path(
    get,
    path = "/dequeue/{activity}",
    tag = "connector",
    params(("activity" = Uuid, Path, description = "The export job's activity id.")),
    responses(
        (status = 200, description = "A message to download and ack.", body = Dequeued),
        (status = 204, description = "No message is waiting."),
        (status = 400, description = "The activity id is not a GUID, or the job is an import job.", body = ErrorBody),
        (status = 404, description = "No job the caller may use has this activity id.", body = ErrorBody),
    )
)]
async fn dequeue(State(state): State<AppState>, caller: Caller, Path(path): Path<ActivityPath>) -> ApiResult<Response> {
    let job = job_for(&state, &caller, &path, Some(Operation::Export))?;
    let Some(lease) = state.jobs.queue().dequeue(job.activity, now_millis()).await? else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let message = &lease.message;
    let location = format!(
        "{}/api/connector/download/%7B{}%7D?correlation-id={}&blob={}",
        state.public_url,
        job.activity.to_string().to_uppercase(),
        message.message_id,
        message.blob
    );
    Ok(axum::Json(Dequeued {
        correlation_id: message.message_id,
        pop_receipt: lease.pop_receipt.clone(),
        download_location: location,
        is_download_file_exist: message.file_uploaded,
        file_download_error_message: message.error.clone().unwrap_or_default(),
        // "Blank for the first dequeue" (wire spec, section 1.2): D365's empty date, not null.
        last_dequeue_date_time: date_or_empty(lease.previous_dequeue.as_deref()).to_owned(),
    })
    .into_response())
}

#[derive(Debug, Deserialize)]
struct DownloadQuery {
    #[serde(rename = "correlation-id")]
    correlation_id: String,
    blob: String,
}

/// Downloads a dequeued message's file, at the `DownloadLocation` the dequeue answered.
#[utoipa::path(
    get,
    path = "/download/{activity}",
    tag = "connector",
    params(
        ("activity" = Uuid, Path, description = "The export job's activity id."),
        ("correlation-id" = Uuid, Query, description = "The message id."),
        ("blob" = Uuid, Query, description = "The id of the message's file."),
    ),
    responses(
        (status = 200, description = "The file: a data package (package mode) or one entity's document.", content(
            (String = "application/zip"),
            (String = "application/octet-stream"),
        )),
        (status = 400, description = "The activity id is not a GUID, the job is an import job, or a parameter is missing.", body = ErrorBody),
        (status = 404, description = "No job the caller may use has this activity id, or no file is at this location.", body = ErrorBody),
    )
)]
async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<ActivityPath>,
    Query(query): Query<DownloadQuery>,
) -> ApiResult<Response> {
    let job = job_for(&state, &caller, &path, Some(Operation::Export))?;
    let not_found = || ApiError::not_found("No file is at this download location.");
    let (Some(id), Some(blob)) = (parse_activity(&query.correlation_id), parse_activity(&query.blob)) else {
        return Err(not_found());
    };
    let message = state.jobs.queue().download(job.activity, id, blob, now_millis()).await?.ok_or_else(not_found)?;
    if !message.file_uploaded {
        return Err(not_found());
    }
    let content_type = match job.mode {
        Mode::Package => "application/zip",
        Mode::File => "application/octet-stream",
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CONTENT_LENGTH, HeaderValue::from(message.size)),
    ];
    let body = Body::from_stream(state.jobs.queue().body(id).await.map_err(|_| not_found())?);
    Ok((headers, body).into_response())
}

/// Acknowledges a dequeued message: it is done and not handed out again.
#[utoipa::path(
    post,
    path = "/ack/{activity}",
    tag = "connector",
    params(("activity" = Uuid, Path, description = "The export job's activity id.")),
    request_body(content = AckRequest, description = "The dequeue answer."),
    responses(
        (status = 200, description = "Acknowledged (again, when it was already)."),
        (status = 400, description = "The activity id is not a GUID, the job is an import job, the body lacks a member or is not JSON, or the pop receipt is not the newest.", body = ErrorBody),
        (status = 404, description = "No job the caller may use has this activity id, or the message is not in this job.", body = ErrorBody),
    )
)]
async fn ack(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<ActivityPath>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let job = job_for(&state, &caller, &path, Some(Operation::Export))?;
    // The body is the dequeue answer, whole (d365fo.integrations) or in part (RIS): only
    // these two members matter.
    let body = lenient_json(&body)?;
    let correlation = string_member(&body, "CorrelationId")
        .ok_or_else(|| ApiError::bad_request("The ack body needs a CorrelationId."))?;
    let receipt =
        string_member(&body, "PopReceipt").ok_or_else(|| ApiError::bad_request("The ack body needs a PopReceipt."))?;
    let id = parse_activity(&correlation)
        .ok_or_else(|| ApiError::bad_request(format!("The CorrelationId {correlation:?} is not a GUID.")))?;
    match state.jobs.queue().ack(job.activity, id, receipt, caller.client_id.clone(), now_millis()).await? {
        AckOutcome::Acked | AckOutcome::AlreadyAcked => Ok(StatusCode::OK.into_response()),
        AckOutcome::StaleReceipt => Err(ApiError::bad_request(
            "The PopReceipt is not the message's current one: it was dequeued again since. Ack with the newest receipt.",
        )),
        AckOutcome::Unknown => Err(ApiError::not_found(format!("No message {id} is in this job."))),
    }
}

#[derive(Debug, Deserialize)]
struct JobStatusQuery {
    #[serde(rename = "jobId")]
    job_id: String,
}

/// The status of a message of the job, import or export, with its execution's details.
#[utoipa::path(
    get,
    path = "/jobstatus/{activity}",
    tag = "connector",
    params(
        ("activity" = Uuid, Path, description = "The job's activity id."),
        ("jobId" = Uuid, Query, description = "The message id (braced or quoted too, as clients send it)."),
    ),
    responses(
        (status = 200, description = "The message's status.", body = JobStatus),
        (status = 400, description = "The activity id or message id is not a GUID, or jobId is missing.", body = ErrorBody),
        (status = 404, description = "No job the caller may use has this activity id, or the message is not in this job.", body = ErrorBody),
    )
)]
async fn job_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<ActivityPath>,
    Query(query): Query<JobStatusQuery>,
) -> ApiResult<Response> {
    // Status is asked of import and export messages alike.
    let job = job_for(&state, &caller, &path, None)?;
    let message =
        visible_message(&state, &caller, &query.job_id).await?.filter(|message| message.activity_id == job.activity);
    let message = message.ok_or_else(|| ApiError::not_found(format!("No message {} is in this job.", query.job_id)))?;
    let status = data_job_status(&state, &job, &message).await?;
    Ok(odata_json(&serde_json::to_value(status).map_err(anyhow::Error::from)?))
}

/// The message `id` names (bare, braced or quoted, as clients send it), when the caller may
/// see its company.
pub(super) async fn visible_message(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Option<Message>> {
    let Some(id) = parse_activity(id.trim_matches('"')) else {
        return Err(ApiError::bad_request(format!("The message id {id:?} is not a GUID.")));
    };
    let message = state.jobs.queue().message(id).await?;
    Ok(message.filter(|message| caller.may_see_scope(message.company.as_deref())))
}

/// D365's empty date: what it writes where a date has no value yet. Its clients declare these
/// members as non-nullable `DateTime` (RIS's `DataJobStatus`, `EntityExecutionStatus`), and
/// Newtonsoft throws on a null there, so a date Wharf does not have yet is this, never null.
pub(super) const EMPTY_DATE: &str = "1900-01-01T00:00:00Z";

/// `date`, or D365's empty date.
fn date_or_empty(date: Option<&str>) -> &str {
    date.unwrap_or(EMPTY_DATE)
}

/// D365's `DataJobStatusDetail` of a message. Every member RIS declares non-nullable (dates,
/// counts, states) has a value, and strings are empty rather than null, whether the message
/// is still in flight or done.
async fn data_job_status(state: &AppState, job: &Job, message: &Message) -> ApiResult<JobStatus> {
    let execution = match &message.execution_id {
        Some(id) => {
            let (store, id) = (state.jobs.deployment().pipeline.store.clone(), id.clone());
            tokio::task::spawn_blocking(move || store.execution(&id)).await.map_err(anyhow::Error::from)??
        }
        None => None,
    };
    let details: Vec<_> = execution
        .iter()
        .flat_map(|execution| &execution.entities)
        .map(|entity| EntityStatus {
            entity_name: entity.entity.clone(),
            company: entity.company.clone().unwrap_or_default(),
            staging_records: entity.staging_records,
            staging_status: entity.staging_status,
            staging_error_count: entity.staging_error_count,
            target_records: entity.target_records,
            target_status: entity.target_status,
            target_error_count: entity.target_error_count,
            execution_started_date_time: date_or_empty(entity.started.as_deref()).to_owned(),
            execution_completed_date_time: date_or_empty(entity.completed.as_deref()).to_owned(),
        })
        .collect();
    let log = match (&message.error, &execution) {
        (Some(error), _) => error.clone(),
        (None, Some(execution)) => {
            format!("Execution {} of data project {}: {:?}.", execution.id, execution.project, execution.status)
        }
        (None, None) => format!("Message {} is {}.", message.message_id, message.status.as_str()),
    };
    // The state answers in D365's names only; the log keeps Wharf's finer status.
    let log = match (message.status, message.direction) {
        (MessageStatus::Poisoned, Operation::Import) => format!(
            "Message {} is poisoned: its processing was attempted {} times; it is not processed again. {log}",
            message.message_id, message.retry_count
        ),
        (MessageStatus::Poisoned, Operation::Export) => format!(
            "Message {} is poisoned: it was delivered {} times without an ack; it is not handed out again. {log}",
            message.message_id, message.dequeue_count
        ),
        _ => log,
    };
    let started = message.processing_started_date_time.as_deref().unwrap_or(&message.enqueue_date_time);
    Ok(JobStatus {
        data_job_status: DataJobStatus {
            data_project: job.project.clone(),
            data_job_identifier: job.name.clone(),
            external_identifier: message.external_correlation_id.clone().unwrap_or_default(),
            execution_identifier: message.execution_id.clone().unwrap_or_default(),
            data_job_started_date_time: started.to_owned(),
            data_job_completed_date_time: date_or_empty(message.processing_completed_date_time.as_deref()).to_owned(),
            data_job_state: message.status.data_job_state(message.direction),
        },
        execution_log: log,
        execution_detail: details,
    })
}

/// D365's `DataJobStatusDetail`: a message's status, its log and its entities.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
struct JobStatus {
    /// Where the message stands.
    data_job_status: DataJobStatus,
    /// What happened, in words; Wharf's finer status (`Poisoned`) shows here.
    execution_log: String,
    /// One entry per entity (and company) of its execution; empty before it runs.
    execution_detail: Vec<EntityStatus>,
}

/// D365's `DataJobStatus`. Strings are empty and dates D365's empty date where there is no
/// value yet, never null: D365's clients declare them non-nullable.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
struct DataJobStatus {
    /// The data project the job runs.
    data_project: String,
    /// The job's name.
    data_job_identifier: String,
    /// The sender's `x-ms-dyn-externalidentifier`.
    external_identifier: String,
    /// The execution that processed the message.
    execution_identifier: String,
    /// When processing started (else when the message was enqueued).
    data_job_started_date_time: String,
    /// When processing ended.
    data_job_completed_date_time: String,
    /// The state, in D365's names only.
    #[schema(value_type = String, example = "Processed")]
    data_job_state: &'static str,
}

/// D365's `EntityExecutionStatus`: one entity of a message's execution.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
struct EntityStatus {
    /// The entity.
    entity_name: String,
    /// Its company; empty for shared entities.
    company: String,
    /// Records read.
    staging_records: u64,
    /// Where reading stands.
    staging_status: EntityExecutionState,
    /// Records rejected while reading.
    staging_error_count: u64,
    /// Records written.
    target_records: u64,
    /// Where writing stands.
    target_status: EntityExecutionState,
    /// Records rejected while writing.
    target_error_count: u64,
    /// When processing started.
    execution_started_date_time: String,
    /// When processing ended.
    execution_completed_date_time: String,
}
