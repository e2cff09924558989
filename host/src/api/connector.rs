//! D365's recurring-integrations connector: enqueue, dequeue, download, ack and job status,
//! under `/api/connector/` (and `/{lang}/api/connector/`), with the bodies and quirks real
//! clients depend on (see the wire spec, section 1).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::TryStreamExt as _;
use serde::Deserialize;
use serde_json::json;

use super::caller::Caller;
use super::{ApiError, ApiResult, AppState, lenient_json, odata_json, string_member};
use crate::jobs::intake::EnqueueError;
use crate::jobs::job::parse_activity;
use crate::jobs::queue::now_millis;
use crate::jobs::{AckOutcome, Job, Message, MessageStatus, Mode, NewMessage};
use crate::store::Operation;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/enqueue/{activity}", post(enqueue).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/dequeue/{activity}", get(dequeue))
        .route("/download/{activity}", get(download))
        .route("/ack/{activity}", post(ack))
        .route("/jobstatus/{activity}", get(job_status))
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
    Ok(axum::Json(json!({
        "CorrelationId": message.message_id,
        "PopReceipt": lease.pop_receipt,
        "DownloadLocation": location,
        "IsDownLoadFileExist": message.file_uploaded,
        "FileDownLoadErrorMessage": message.error.clone().unwrap_or_default(),
        // "Blank for the first dequeue" (wire spec, section 1.2): D365's empty date, not null.
        "LastDequeueDateTime": date_or_empty(lease.previous_dequeue.as_deref()),
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
struct DownloadQuery {
    #[serde(rename = "correlation-id")]
    correlation_id: String,
    blob: String,
}

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
    Ok(odata_json(&data_job_status(&state, &job, &message).await?))
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
async fn data_job_status(state: &AppState, job: &Job, message: &Message) -> ApiResult<serde_json::Value> {
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
        .map(|entity| {
            json!({
                "EntityName": entity.entity,
                "Company": entity.company.as_deref().unwrap_or_default(),
                "StagingRecords": entity.staging_records,
                "StagingStatus": entity.staging_status,
                "StagingErrorCount": entity.staging_error_count,
                "TargetRecords": entity.target_records,
                "TargetStatus": entity.target_status,
                "TargetErrorCount": entity.target_error_count,
                "ExecutionStartedDateTime": date_or_empty(entity.started.as_deref()),
                "ExecutionCompletedDateTime": date_or_empty(entity.completed.as_deref()),
            })
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
    Ok(json!({
        "DataJobStatus": {
            "DataProject": job.project,
            "DataJobIdentifier": job.name,
            "ExternalIdentifier": message.external_correlation_id.as_deref().unwrap_or_default(),
            "ExecutionIdentifier": message.execution_id.as_deref().unwrap_or_default(),
            "DataJobStartedDateTime": started,
            "DataJobCompletedDateTime": date_or_empty(message.processing_completed_date_time.as_deref()),
            "DataJobState": message.status.data_job_state(message.direction),
        },
        "ExecutionLog": log,
        "ExecutionDetail": details,
    }))
}
