//! D365's data-package API: the actions bound to `DataManagementDefinitionGroups`, answering
//! in OData's flat `value` envelope, and the signed links that stand in for Azure blob SAS
//! URLs (clients PUT uploads to them and GET packages from them without a bearer token).

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt as _;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::caller::{Caller, require};
use super::connector::visible_message;
use super::error::ErrorBody;
use super::manage::find_execution;
use super::{ApiError, ApiResult, AppState, lenient_json, member, odata_json, string_member};
use crate::auth::{Companies, Role};
use crate::jobs::packages::{PackageExport, PackageImport};
use crate::jobs::{Blob, BlobKind};
use crate::store::Execution;

/// The namespace D365 puts before every action name.
const NAMESPACE: &str = "Microsoft.Dynamics.DataEntities.";

/// Error records `GetExecutionErrors` returns at most; the error file has them all.
const MAX_ERRORS: u64 = 10_000;

/// The actions and the signed links, each registered once for routing and the OpenAPI document.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    // An upload streams to disk under its own limit (`max_body_bytes`).
    let (schemas, paths, links) = routes!(upload, fetch);
    OpenApiRouter::new().routes(routes!(action)).routes((
        schemas,
        paths,
        links.layer(axum::extract::DefaultBodyLimit::disable()),
    ))
}

/// The parameters of the actions, each action reading its own (see the operation's
/// description). Members are matched without regard to case; numbers and booleans are read as
/// text where text is expected, and single-quoted JSON is accepted, as D365 accepts it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, reason = "describes the body in the OpenAPI document; the handler reads it leniently")]
struct ActionParameters {
    /// `GetAzureWriteUrl`: the upload's file name (else a new GUID).
    #[schema(rename = "uniqueFileName")]
    unique_file_name: Option<String>,
    /// `ImportFromPackage`: an upload link `GetAzureWriteUrl` answered.
    #[schema(rename = "packageUrl")]
    package_url: Option<String>,
    /// `ImportFromPackage`, `ExportToPackage`: the data project.
    #[schema(rename = "definitionGroupId")]
    definition_group_id: Option<String>,
    /// The execution id to run under (imports, exports) or to ask about.
    #[schema(rename = "executionId")]
    execution_id: Option<String>,
    /// `ImportFromPackage`: `false` stops at staging, for review.
    execute: Option<bool>,
    /// `ImportFromPackage`: whether to overwrite; accepted, as D365 clients send it.
    overwrite: Option<bool>,
    /// The company (else the caller's default).
    #[schema(rename = "legalEntityId")]
    legal_entity_id: Option<String>,
    /// `ExportToPackage`: the package's name (else the project's).
    #[schema(rename = "packageName")]
    package_name: Option<String>,
    /// `GenerateImportTargetErrorKeysFile`, `GetImportTargetErrorKeysFileUrl`: the entity.
    #[schema(rename = "entityName")]
    entity_name: Option<String>,
    /// `GetMessageStatus`: the message id.
    #[schema(rename = "messageId")]
    message_id: Option<String>,
    /// `GetExecutionIdByMessageId`: the message id.
    #[schema(rename = "_messageId")]
    underscore_message_id: Option<String>,
}

/// OData's answer of an action: its value, with the context of the value's type.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, reason = "describes the answer in the OpenAPI document; `envelope` writes it")]
struct ActionValue {
    /// `<url>/data/$metadata#Edm.String` or `#Edm.Boolean`.
    #[schema(rename = "@odata.context")]
    context: String,
    /// The action's value: a string (an id, a link, a status, or a string holding JSON) or,
    /// for `GenerateImportTargetErrorKeysFile`, a boolean.
    value: ActionResult,
}

/// The value of an action.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code, reason = "describes the answer in the OpenAPI document")]
#[serde(untagged)]
enum ActionResult {
    /// Most actions answer a string.
    Text(String),
    /// `GenerateImportTargetErrorKeysFile` answers whether there are error keys.
    Flag(bool),
}

/// Calls one of D365's data-package actions bound to `DataManagementDefinitionGroups`:
/// `GetAzureWriteUrl` (an upload link: a string holding `{"BlobId", "BlobUrl"}`),
/// `ImportFromPackage[Async]` and `ExportToPackage[Async]` (the execution id),
/// `GetExportedPackageUrl` (the package's link; empty until it is complete),
/// `GetExecutionSummaryStatus` (D365's `DMFExecutionSummaryStatus`), `GetExecutionErrors` (a
/// string holding a JSON array), `GenerateImportTargetErrorKeysFile` (a boolean),
/// `GetImportTargetErrorKeysFileUrl`, `GetExecutionSummaryPageUrl`,
/// `InitializeDataManagement[Async]` (no content), `GetMessageStatus` and
/// `GetExecutionIdByMessageId`.
#[utoipa::path(
    post,
    path = "/data/DataManagementDefinitionGroups/{action}",
    tag = "packages",
    params((
        "action" = String,
        Path,
        description = "The action, in D365's namespace.",
        example = "Microsoft.Dynamics.DataEntities.GetAzureWriteUrl",
    )),
    request_body(content = ActionParameters, description = "The action's parameters."),
    responses(
        (status = 200, description = "The action's value.", body = ActionValue),
        (status = 204, description = "`InitializeDataManagement`: nothing left to do."),
        (status = 400, description = "A parameter is missing or wrong, the body is not JSON, or the import or export is refused.", body = ErrorBody),
        (status = 403, description = "The caller lacks the data-management role, or is granted no company.", body = ErrorBody),
        (status = 404, description = "No such action, or the execution, message or company is not the caller's.", body = ErrorBody),
    )
)]
async fn action(
    State(state): State<AppState>,
    caller: Caller,
    Path(action): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    require(&caller, Role::DataManagement)?;
    let Some(name) = action.strip_prefix(NAMESPACE) else {
        return Err(ApiError::not_found(format!("No action {action} is bound to DataManagementDefinitionGroups.")));
    };
    let body = lenient_json(&body)?;
    let parameter = |name: &str| string_member(&body, name).filter(|value| !value.trim().is_empty());
    let required =
        |name: &str| parameter(name).ok_or_else(|| ApiError::bad_request(format!("The parameter {name} is required.")));
    match name {
        "GetAzureWriteUrl" => {
            let file = parameter("uniqueFileName").unwrap_or_else(|| Uuid::new_v4().to_string());
            let blob =
                state.jobs.blobs().create(BlobKind::Upload, file, None, None, Some(caller.client_id.clone())).await?;
            // The value is a string holding JSON, which clients parse a second time.
            let inner = json!({ "BlobId": format!("{{{}}}", blob.id.to_string().to_uppercase()), "BlobUrl": link(&state, &blob) });
            Ok(envelope(&state, Value::String(inner.to_string())))
        }
        "ImportFromPackage" | "ImportFromPackageAsync" => {
            let url = required("packageUrl")?;
            let blob = uploaded(&state, &caller, &url).await?;
            // execute=false stops at staging, for review and a copy to the target through
            // /manage/executions/{id}/staging; absent, it runs through, as D365 clients expect.
            let staging_only = member(&body, "execute").and_then(Value::as_bool) == Some(false);
            let company = granted_company(&state, &caller, parameter("legalEntityId"))?;
            let request = PackageImport {
                project: required("definitionGroupId")?,
                blob,
                execution_id: parameter("executionId"),
                company,
                companies: granted_companies(&caller),
                staging_only,
            };
            let id = state
                .jobs
                .import_package(request)
                .await
                .map_err(|error| ApiError::bad_request(format!("{error:#}.")))?;
            Ok(envelope(&state, Value::String(id)))
        }
        "ExportToPackage" | "ExportToPackageAsync" => {
            let company = granted_company(&state, &caller, parameter("legalEntityId"))?;
            let project = required("definitionGroupId")?;
            let request = PackageExport {
                package_name: parameter("packageName").unwrap_or_else(|| project.clone()),
                project,
                execution_id: parameter("executionId"),
                company,
                owner: caller.client_id.clone(),
            };
            let id = state
                .jobs
                .export_package(request)
                .await
                .map_err(|error| ApiError::bad_request(format!("{error:#}.")))?;
            Ok(envelope(&state, Value::String(id)))
        }
        "GetExportedPackageUrl" => {
            let package = exported_package(&state, &caller, &required("executionId")?).await?;
            // Empty until the package is complete: clients poll.
            let url = package.map(|blob| link(&state, &blob)).unwrap_or_default();
            Ok(envelope(&state, Value::String(url)))
        }
        "GetExecutionSummaryStatus" => {
            let execution = execution(&state, &caller, &required("executionId")?).await?;
            Ok(envelope(&state, json!(execution.status)))
        }
        "GetExecutionErrors" => {
            let execution = execution(&state, &caller, &required("executionId")?).await?;
            let store = state.jobs.deployment().pipeline.store.clone();
            let id = execution.id.clone();
            let errors = tokio::task::spawn_blocking(move || store.execution_errors(&id, 0, MAX_ERRORS))
                .await
                .map_err(anyhow::Error::from)??;
            let errors: Vec<_> = errors
                .iter()
                .map(|error| json!({ "RecordId": error.record.to_string(), "Field": error.field.clone().unwrap_or_default(), "ErrorMessage": error.message }))
                .collect();
            // A string holding a JSON array, as D365 answers; unlike D365's, it is valid JSON.
            Ok(envelope(&state, Value::String(Value::Array(errors).to_string())))
        }
        "GenerateImportTargetErrorKeysFile" => {
            let execution = execution(&state, &caller, &required("executionId")?).await?;
            let exist = state.jobs.generate_error_keys(&execution, &required("entityName")?).await?;
            Ok(envelope(&state, Value::Bool(exist)))
        }
        "GetImportTargetErrorKeysFileUrl" => {
            let execution = execution(&state, &caller, &required("executionId")?).await?;
            let blob = state.jobs.error_keys(&execution.id, &required("entityName")?).await?;
            Ok(envelope(&state, Value::String(blob.map(|blob| link(&state, &blob)).unwrap_or_default())))
        }
        "GetExecutionSummaryPageUrl" => {
            let execution = execution(&state, &caller, &required("executionId")?).await?;
            // D365 links its execution summary form; Wharf's page for an execution is the
            // management API's, which shows its entities, counts and states.
            let id = percent_encoding::utf8_percent_encode(&execution.id, UNRESERVED);
            Ok(envelope(&state, Value::String(format!("{}/manage/executions/{id}", state.public_url))))
        }
        // D365 builds its data management framework's entity list here, once per environment.
        // Wharf's entity list is the deployment's, read at start and on every reload, so there
        // is nothing left to build: the action succeeds, with no content, as a D365 action
        // without a return value answers.
        "InitializeDataManagement" | "InitializeDataManagementAsync" => Ok(StatusCode::NO_CONTENT.into_response()),
        "GetMessageStatus" => {
            let message = job_message(&state, &caller, &required("messageId")?).await?;
            // D365's names only, which clients' wait loops know (see `MessageStatus::d365_name`).
            Ok(envelope(&state, Value::String(message.status.d365_name(message.direction).to_owned())))
        }
        "GetExecutionIdByMessageId" => {
            let message = job_message(&state, &caller, &required("_messageId")?).await?;
            Ok(envelope(&state, Value::String(message.execution_id.unwrap_or_default())))
        }
        _ => Err(ApiError::not_found(format!("No action {action} is bound to DataManagementDefinitionGroups."))),
    }
}

/// Message `id`, when its job's policy names the caller and the caller may see its company.
async fn job_message(state: &AppState, caller: &Caller, id: &str) -> ApiResult<crate::jobs::Message> {
    visible_message(state, caller, id)
        .await?
        .filter(|message| state.jobs.job(message.activity_id).is_some_and(|job| job.allows(&caller.client_id)))
        .ok_or_else(|| ApiError::not_found(format!("No message {id} exists.")))
}

/// The `value` envelope, with the context of the value's type.
fn envelope(state: &AppState, value: Value) -> Response {
    let kind = if value.is_boolean() { "Edm.Boolean" } else { "Edm.String" };
    odata_json(&json!({ "@odata.context": format!("{}/data/$metadata#{kind}", state.public_url), "value": value }))
}

/// The company an execution runs in: `legal_entity`, lowercased, when the caller is granted
/// it (else 404, as for a company that does not exist); without one, the caller's default
/// company — never "every company", which would read or write past the caller's grants.
fn granted_company(state: &AppState, caller: &Caller, legal_entity: Option<String>) -> ApiResult<String> {
    let default = || state.odata.default_company(caller);
    match legal_entity.map(|company| company.to_ascii_lowercase()).or_else(default) {
        Some(company) if caller.may_see(&company) => Ok(company),
        Some(company) => Err(ApiError::not_found(format!("No company {company} exists."))),
        None => Err(ApiError::forbidden("The application is granted no company.")),
    }
}

/// The companies rows of the caller's executions may name: its grants, or any when it is
/// granted every company.
pub(super) fn granted_companies(caller: &Caller) -> Option<std::sync::Arc<[String]>> {
    match &caller.companies {
        Companies::All => None,
        Companies::Only(companies) => Some(companies.iter().map(|company| company.to_ascii_lowercase()).collect()),
    }
}

/// Execution `id` (or the execution of message `id`, as RIS asks for errors by message id),
/// when the caller may see its company.
async fn execution(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Execution> {
    let message = visible_message(state, caller, id).await.ok().flatten();
    let execution_id = message.and_then(|message| message.execution_id).unwrap_or_else(|| id.to_owned());
    find_execution(state, caller, execution_id).await
}

/// The complete package of export `id` (or of message `id`'s export), when the caller may see
/// its company. An execution's record is kept by the replica that runs it, while with
/// PostgreSQL its package is shared: an export another replica runs is found by its package,
/// whose company (the export's) decides who sees it, so that a client behind a load balancer
/// gets its package from whichever replica it reaches.
async fn exported_package(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Option<Blob>> {
    let message = visible_message(state, caller, id).await.ok().flatten();
    let execution_id = message.and_then(|message| message.execution_id).unwrap_or_else(|| id.to_owned());
    match find_execution(state, caller, execution_id.clone()).await {
        Ok(execution) => Ok(state.jobs.exported_package(&execution.id).await?),
        Err(error) if error.status == StatusCode::NOT_FOUND => {
            let package = state.jobs.blobs().of_execution(execution_id, BlobKind::Export, None).await?;
            match package.filter(|blob| caller.may_see_scope(blob.company.as_deref())) {
                Some(blob) => Ok(blob.size.is_some().then_some(blob)),
                None => Err(error),
            }
        }
        Err(error) => Err(error),
    }
}

/// What a file name in a link keeps unencoded: RFC 3986's unreserved characters.
const UNRESERVED: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The signed link of `blob`.
fn link(state: &AppState, blob: &Blob) -> String {
    let name = percent_encoding::utf8_percent_encode(&blob.name, UNRESERVED);
    format!("{}/dmf/{}/{name}?sig={}", state.public_url, blob.id, blob.token)
}

/// The upload a `packageUrl` names. Only Wharf's own upload links are accepted: the server
/// never fetches a URL a client hands it.
async fn uploaded(state: &AppState, caller: &Caller, url: &str) -> ApiResult<Blob> {
    let refused =
        || ApiError::bad_request("The packageUrl is not an upload link of this server (from GetAzureWriteUrl).");
    let rest = url.strip_prefix(&*state.public_url).and_then(|rest| rest.strip_prefix("/dmf/")).ok_or_else(refused)?;
    let (path, query) = rest.split_once('?').ok_or_else(refused)?;
    let id = path.split('/').next().and_then(|id| Uuid::parse_str(id).ok()).ok_or_else(refused)?;
    let token = query.split('&').find_map(|pair| pair.strip_prefix("sig=")).ok_or_else(refused)?;
    let blob = state.jobs.blobs().get(id, token).await?.ok_or_else(refused)?;
    if blob.kind != BlobKind::Upload || blob.owner.as_deref() != Some(caller.client_id.as_str()) {
        return Err(refused());
    }
    Ok(blob)
}

#[derive(Debug, Deserialize)]
struct LinkPath {
    blob: String,
    #[allow(dead_code, reason = "the name is for people and tools; the id and signature decide")]
    name: String,
}

#[derive(Debug, Deserialize)]
struct Signature {
    sig: Option<String>,
}

/// The blob a signed link names; 404 for any mismatch, so links cannot be probed.
async fn signed(state: &AppState, path: &LinkPath, signature: &Signature) -> ApiResult<Blob> {
    let not_found = || ApiError::not_found("No blob is at this link.");
    let id = Uuid::parse_str(&path.blob).map_err(|_| not_found())?;
    let token = signature.sig.as_deref().ok_or_else(not_found)?;
    state.jobs.blobs().get(id, token).await?.ok_or_else(not_found)
}

/// Reads and drops up to `limit` bytes of a refused body: a client still sending it then reads
/// the refusal, where a connection closed under its upload would reset before the answer.
async fn discard(body: Body, limit: u64) {
    let mut stream = body.into_data_stream();
    let mut read = 0;
    while let Ok(Some(chunk)) = stream.try_next().await {
        read += chunk.len() as u64;
        if read > limit {
            break;
        }
    }
}

/// `PUT` of an upload, as to an Azure block blob: the body streams to where blobs are kept.
/// The link `GetAzureWriteUrl` answered is its own credential: no bearer token.
#[utoipa::path(
    put,
    path = "/dmf/{blob}/{name}",
    tag = "packages",
    security(()),
    params(
        ("blob" = Uuid, Path, description = "The blob's id."),
        ("name" = String, Path, description = "The file's name."),
        ("sig" = Option<String>, Query, description = "The link's signature."),
    ),
    request_body(content = String, content_type = "application/octet-stream", description = "The package, streamed."),
    responses(
        (status = 201, description = "Received."),
        (status = 400, description = "The body could not be read.", body = ErrorBody),
        (status = 404, description = "No blob is at this link.", body = ErrorBody),
        (status = 405, description = "The link is a download link.", body = ErrorBody),
        (status = 409, description = "The link has been used.", body = ErrorBody),
        (status = 413, description = "The body is larger than the server takes.", body = ErrorBody),
    )
)]
async fn upload(
    State(state): State<AppState>,
    Path(path): Path<LinkPath>,
    Query(signature): Query<Signature>,
    body: Body,
) -> ApiResult<Response> {
    let blob = signed(&state, &path, &signature).await?;
    if blob.kind != BlobKind::Upload {
        return Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "This blob is read-only."));
    }
    let used =
        || ApiError::new(StatusCode::CONFLICT, "This upload link has been used; ask GetAzureWriteUrl for another.");
    // Of two bodies sent to one link at once, to this replica or another, one is received.
    let Some(mut upload) = state.jobs.blobs().upload(blob.id, state.limits.max_body_bytes).await? else {
        discard(body, state.limits.max_body_bytes).await;
        return Err(used());
    };
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|error| ApiError::bad_request(format!("The body could not be read: {error}")))?
    {
        // Over the limit answers 413; a full disk 507 (see `ApiError`).
        upload.push(&chunk).await?;
    }
    upload.finish().await?;
    Ok(StatusCode::CREATED.into_response())
}

/// `GET` of an exported package or error file. The link is its own credential: no bearer
/// token.
#[utoipa::path(
    get,
    path = "/dmf/{blob}/{name}",
    tag = "packages",
    security(()),
    params(
        ("blob" = Uuid, Path, description = "The blob's id."),
        ("name" = String, Path, description = "The file's name."),
        ("sig" = Option<String>, Query, description = "The link's signature."),
    ),
    responses(
        (status = 200, description = "The file.", content(
            (String = "application/zip"),
            (String = "application/octet-stream"),
        )),
        (status = 404, description = "No blob is at this link, or it is not complete.", body = ErrorBody),
    )
)]
async fn fetch(
    State(state): State<AppState>,
    Path(path): Path<LinkPath>,
    Query(signature): Query<Signature>,
) -> ApiResult<Response> {
    let blob = signed(&state, &path, &signature).await?;
    let Some(size) = blob.size else { return Err(ApiError::not_found("No blob is at this link.")) };
    let content =
        state.jobs.blobs().content(&blob).await?.ok_or_else(|| ApiError::not_found("No blob is at this link."))?;
    let content_type = if blob.name.ends_with(".zip") { "application/zip" } else { "application/octet-stream" };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CONTENT_LENGTH, HeaderValue::from(size)),
    ];
    Ok((headers, Body::from_stream(content)).into_response())
}
