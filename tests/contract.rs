//! Contract tests: the request sequences of D365's real clients (the Recurring Integrations
//! Scheduler, RIS, and the d365fo.integrations PowerShell module), replayed against a real
//! server, checking every field those clients parse (wire spec, sections 1, 2 and 4), on each
//! backend: the embedded SQLite store and a PostgreSQL database.

use std::io::{Cursor, Write as _};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::blocking::{RequestBuilder, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;
use wharf::api::config::TlsFiles;
use wharf::formats::package::{PackageReader, PackageWriter, ZipLimits};

use crate::server::{
    Backend, CUSTOMERS_EXPORT_JOB, FABRIKAM, GROUPS_JOB, OPS, SETUP_JOB, TestServer, on_both_backends,
};

/// The Customer groups entity's id holds 10 characters; this one has 17.
pub(crate) const TOO_LONG_GROUP_ID: &str = "GROUP-ID-TOO-LONG";

/// D365's empty date, where a date has no value yet.
const EMPTY_DATE: &str = "1900-01-01T00:00:00Z";

/// RIS's `DataJobStatusDetail` (`Common/Contracts/DataJobStatusDetail.cs`), deserialized as
/// its ProcessingMonitor does: `JsonConvert.DeserializeObject<DataJobStatusDetail>(text, new
/// StringEnumConverter())`. A null where the C# type is a value type (`DateTime`, `int`, an
/// enum) makes Newtonsoft throw, and so does this. Its strings are nullable in C#; Wharf
/// promises empty strings rather than nulls, and these types hold it to that.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct DataJobStatusDetail {
    data_job_status: DataJobStatus,
    execution_log: String,
    execution_detail: Vec<EntityExecutionStatus>,
}

/// RIS's `DataJobStatus`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct DataJobStatus {
    data_project: String,
    data_job_identifier: String,
    external_identifier: String,
    execution_identifier: String,
    data_job_started_date_time: DateTime<Utc>,
    data_job_completed_date_time: DateTime<Utc>,
    data_job_state: DataJobState,
}

/// RIS's `EntityExecutionStatus`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct EntityExecutionStatus {
    entity_name: String,
    company: String,
    staging_records: i32,
    staging_status: EntityExecutionState,
    staging_error_count: i32,
    target_records: i32,
    target_status: EntityExecutionState,
    target_error_count: i32,
    execution_started_date_time: DateTime<Utc>,
    execution_completed_date_time: DateTime<Utc>,
}

/// `DataJobState` as RIS's `ContractEnums.cs` declares it, read by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum DataJobState {
    Enqueued,
    Dequeued,
    Downloaded,
    Acked,
    InProcess,
    Processed,
    ProcessedWithErrors,
    PostProcessError,
    PreProcessError,
}

impl DataJobState {
    /// Whether RIS's ProcessingMonitor stops polling: it acts on these and waits on the rest.
    fn is_final(self) -> bool {
        matches!(
            self,
            DataJobState::Processed
                | DataJobState::ProcessedWithErrors
                | DataJobState::PostProcessError
                | DataJobState::PreProcessError
        )
    }
}

/// `EntityExecutionState` as RIS's `ContractEnums.cs` declares it, read by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum EntityExecutionState {
    NotStarted,
    Waiting,
    Executing,
    Error,
    Finished,
    Ready,
    NotRun,
    Cancelling,
    Canceled,
    Hold,
}

/// A dequeue answer: the six members a C# client of the connector declares, with
/// `LastDequeueDateTime` as the `DateTime` it is in D365's message record (RIS's `DataMessage`
/// reads `CorrelationId`, `PopReceipt` and `DownloadLocation` of it).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct DequeueAnswer {
    correlation_id: Uuid,
    pop_receipt: String,
    download_location: String,
    is_down_load_file_exist: bool,
    file_down_load_error_message: String,
    last_dequeue_date_time: DateTime<Utc>,
}

/// The values d365fo.integrations' `Get-D365DmfMessageStatus` waits for: it polls until one
/// of the final ones comes (wire spec, section 1.5, RIS's `IntegrationActivityMessageStatus`).
const MESSAGE_STATUSES: [&str; 10] = [
    "Enqueued",
    "Dequeued",
    "Downloaded",
    "Acked",
    "Preprocessing",
    "Processing",
    "Processed",
    "PreProcessingError",
    "ProcessedWithErrors",
    "PostProcessingFailed",
];

/// A client's session: the server and the bearer token it fetched the way MSAL does.
struct Session<'a> {
    server: &'a TestServer,
    bearer: String,
}

impl<'a> Session<'a> {
    /// Client `id`'s session, with a token from the v2 endpoint for scope `<url>/.default`
    /// (RIS: `new Uri(AosUri).AbsoluteUri + ".default"`), checking what MSAL reads.
    fn new(server: &'a TestServer, id: &str) -> Session<'a> {
        let response = server
            .http
            .post(server.at("/contoso.onmicrosoft.com/oauth2/v2.0/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", server.secret(id)),
                ("scope", &format!("{}/.default", server.public_url())),
            ])
            .send()
            .expect("the token endpoint answers");
        let status = response.status();
        let token: Value = response.json().expect("a token response");
        assert_eq!(status, 200, "token for {id}: {token}");
        assert_eq!(token["token_type"].as_str().map(str::to_ascii_lowercase).as_deref(), Some("bearer"), "{token}");
        assert!(
            token["expires_in"].as_u64().is_some_and(|seconds| seconds > 60),
            "RIS caches until 60 s before expiry: {token}"
        );
        let bearer = token["access_token"].as_str().expect("an access token").to_owned();
        Session { server, bearer }
    }

    fn get(&self, path: &str) -> Response {
        self.authorized(self.server.http.get(self.server.at(path)))
    }

    /// A JSON POST as RIS's `PostStringRequestAsync` sends it.
    fn post_json(&self, path: &str, body: &str) -> Response {
        let request = self
            .server
            .http
            .post(self.server.at(path))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(body.to_owned());
        self.authorized(request)
    }

    fn authorized(&self, request: RequestBuilder) -> Response {
        request.bearer_auth(&self.bearer).send().expect("the server answers")
    }

    /// POST of a raw enqueue: no Content-Type unless `content_type` names one (RIS sends a
    /// bare `StreamContent`).
    fn enqueue(&self, path: &str, external_id: Option<&str>, content_type: Option<&str>, body: Vec<u8>) -> Response {
        let mut request = self.server.http.post(self.server.at(path)).body(body);
        if let Some(external_id) = external_id {
            request = request.header("x-ms-dyn-externalidentifier", external_id);
        }
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        self.authorized(request)
    }

    /// A package API action's `value`, after checking the flat OData envelope RIS reads.
    fn action(&self, name: &str, body: &str) -> Value {
        let path = format!("/data/DataManagementDefinitionGroups/Microsoft.Dynamics.DataEntities.{name}");
        let response = self.post_json(&path, body);
        let status = response.status();
        let text = response.text().expect("a body");
        assert_eq!(status, 200, "{name} {body}: {text}");
        let envelope: Value = serde_json::from_str(&text).expect("an OData envelope");
        let kind = if envelope["value"].is_boolean() { "Edm.Boolean" } else { "Edm.String" };
        let context = envelope["@odata.context"].as_str().unwrap_or_default();
        assert_eq!(context, format!("{}/data/$metadata#{kind}", self.server.public_url()), "{name}: {text}");
        assert!(envelope["value"].is_string() || envelope["value"].is_boolean(), "{name}: value must be flat: {text}");
        envelope["value"].clone()
    }

    /// An action whose `value` is a string.
    fn action_text(&self, name: &str, body: &str) -> String {
        let value = self.action(name, body);
        value.as_str().unwrap_or_else(|| panic!("{name}: value {value} is not a string")).to_owned()
    }

    /// `DataJobStatusDetail` of message `id` (unquoted), as RIS builds the query and reads it.
    fn job_status(&self, activity: &str, id: &str) -> DataJobStatusDetail {
        let response = self.get(&format!("/api/connector/jobstatus/{activity}?jobId={id}"));
        assert_eq!(response.status(), 200, "jobstatus of {id}");
        let text = response.text().expect("a body");
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("not a DataJobStatusDetail ({error}): {text}"))
    }

    /// RIS's ProcessingMonitor: job status until `DataJobState` leaves the running states.
    fn settled_job_status(&self, activity: &str, id: &str) -> DataJobStatusDetail {
        poll(&format!("message {id} to settle"), || {
            Some(self.job_status(activity, id)).filter(|status| status.data_job_status.data_job_state.is_final())
        })
    }

    /// `GetMessageStatus`, as d365fo.integrations sends it (single quotes).
    fn message_status(&self, id: &str) -> String {
        let status = self.action_text("GetMessageStatus", &format!("{{'messageId':'{id}'}}"));
        assert!(MESSAGE_STATUSES.contains(&status.as_str()), "not a D365 message status: {status}");
        status
    }

    /// One `GET dequeue`: the message, or `None` on 204.
    fn dequeue(&self, activity: &str) -> Option<Value> {
        let response = self.get(&format!("/api/connector/dequeue/{activity}"));
        match response.status().as_u16() {
            204 => {
                assert!(response.text().expect("a body").is_empty(), "204 has no body");
                None
            }
            200 => {
                let message: Value = response.json().expect("a dequeue answer");
                check_dequeue_answer(&message);
                Some(message)
            }
            status => panic!("RIS treats dequeue status {status} as a failure"),
        }
    }

    /// Dequeue until a message comes (the export job queues one on its own schedule).
    fn dequeue_first(&self, activity: &str) -> Value {
        poll("a message to dequeue", || self.dequeue(activity))
    }

    fn ack(&self, activity: &str, body: &Value) -> Response {
        self.post_json(&format!("/api/connector/ack/{activity}"), &body.to_string())
    }

    /// `GetExecutionSummaryStatus` until it leaves `NotRun` and `Executing`, as RIS's
    /// ExecutionMonitor polls; the body in d365fo.integrations' single quotes when `single_quoted`.
    fn settled_execution(&self, execution: &str, single_quoted: bool) -> String {
        let body = match single_quoted {
            true => format!("{{'executionId':'{execution}'}}"),
            false => json!({ "executionId": execution }).to_string(),
        };
        poll(&format!("execution {execution} to settle"), || {
            let status = self.action_text("GetExecutionSummaryStatus", &body);
            let known = ["Unknown", "NotRun", "Executing", "Succeeded", "PartiallySucceeded", "Failed", "Canceled"];
            assert!(known.contains(&status.as_str()), "not a DMFExecutionSummaryStatus: {status}");
            (!["NotRun", "Executing"].contains(&status.as_str())).then_some(status)
        })
    }

    /// RIS's import job: GetAzureWriteUrl for a new GUID, PUT to the blob as to Azure (no
    /// bearer), then ImportFromPackage. Returns the execution id.
    fn import_package(&self, package: Vec<u8>) -> String {
        let unique_file_name = Uuid::new_v4().to_string();
        let write_url =
            self.action_text("GetAzureWriteUrl", &json!({ "uniqueFileName": unique_file_name }).to_string());
        let write_url: Value = serde_json::from_str(&write_url).expect("GetAzureWriteUrl's value is JSON in a string");
        let blob_id = write_url["BlobId"].as_str().expect("a BlobId");
        assert!(blob_id.starts_with('{') && blob_id.ends_with('}'), "BlobId is a braced GUID: {blob_id}");
        Uuid::parse_str(&blob_id[1..blob_id.len() - 1]).expect("BlobId is a braced GUID");
        let blob_url = write_url["BlobUrl"].as_str().expect("a BlobUrl");
        assert!(
            percent_decoded(blob_url).contains(&unique_file_name),
            "the blob is named after uniqueFileName: {blob_url}"
        );
        let uploaded = self
            .server
            .http
            .put(blob_url)
            .header("x-ms-date", "Mon, 01 Jan 2024 00:00:00 GMT")
            .header("x-ms-blob-type", "BlockBlob")
            .header("Overwrite", "T")
            .body(package)
            .send()
            .expect("the blob link answers");
        assert_eq!(uploaded.status(), 201, "PUT to the blob link without Authorization");
        let request = json!({
            "packageUrl": blob_url,
            "definitionGroupId": "Contoso setup",
            "executionId": "",
            "execute": true,
            "overwrite": true,
            "legalEntityId": "usmf",
        });
        let execution = self.action_text("ImportFromPackage", &request.to_string());
        assert!(!execution.is_empty(), "ImportFromPackage answers the execution id it generated");
        execution
    }
}

/// Waits until `attempt` gives a value, for at most 30 s.
pub(crate) fn poll<T>(what: &str, mut attempt: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = attempt() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `text` with its `%XX` escapes decoded.
fn percent_decoded(text: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        let escaped = (byte == b'%')
            .then(|| tail.get(..2))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(decoded) => {
                bytes.push(decoded);
                rest = &tail[2..];
            }
            None => {
                bytes.push(byte);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).expect("UTF-8")
}

/// The bytes of a sample document of the example deployment.
pub(crate) fn sample(name: &str) -> Vec<u8> {
    std::fs::read(wharf_tests::root().join("examples/deployment/samples").join(name)).expect("a sample")
}

/// contoso-setup.zip with entry `name` replaced by `content`.
pub(crate) fn setup_package_with(name: &str, content: &[u8]) -> Vec<u8> {
    let mut reader =
        PackageReader::open(Cursor::new(sample("contoso-setup.zip")), &ZipLimits::default()).expect("the sample opens");
    let (manifest, header) = (reader.manifest().clone(), reader.header().expect("a header").clone());
    let mut writer = PackageWriter::new(Cursor::new(Vec::new()));
    for entity in &manifest.entities {
        let file = &entity.input_file_path;
        let mut bytes = Vec::new();
        reader.extract(file, &mut bytes).expect("an entity file");
        let bytes = if file == name { content.to_vec() } else { bytes };
        writer.start_entity_file(file).expect("an entry").write_all(&bytes).expect("written");
    }
    writer.finish(&manifest, &header).expect("a package").into_inner()
}

/// customer-groups.csv's header with one good row and one whose id is too long.
fn groups_with_a_bad_row() -> Vec<u8> {
    format!(
        "CustomerGroupId,Description,PaymentTermId,IsSalesTaxIncludedInPrice\n\
         40,Government,Net30,No\n\
         {TOO_LONG_GROUP_ID},Too long an id,Net30,No\n"
    )
    .into_bytes()
}

/// The message id of an enqueue answer: a GUID in JSON quotes, which RIS and
/// d365fo.integrations strip (`Replace("\"", "")`).
fn message_id(response: Response) -> String {
    let status = response.status();
    let body = response.text().expect("a body");
    assert_eq!(status, 200, "enqueue: {body}");
    assert!(body.len() == 38 && body.starts_with('"') && body.ends_with('"'), "a quoted GUID: {body}");
    let id = body.replace('"', "");
    Uuid::parse_str(&id).expect("a GUID");
    id
}

/// The dequeue answer `message`, typed as clients declare it.
fn check_dequeue_answer(message: &Value) -> DequeueAnswer {
    let answer: DequeueAnswer = serde_json::from_value(message.clone())
        .unwrap_or_else(|error| panic!("not a dequeue answer ({error}): {message}"));
    assert!(!answer.pop_receipt.is_empty(), "{message}");
    answer
}

/// Checks one `ExecutionDetail` entry of a finished execution, with the record counts
/// `[staging, staging errors, target, target errors]`.
fn check_execution_detail(detail: &EntityExecutionStatus, counts: [i32; 4]) {
    assert_eq!(detail.entity_name, "Customer groups", "{detail:?}");
    assert_eq!(detail.company, "usmf", "{detail:?}");
    let actual = [detail.staging_records, detail.staging_error_count, detail.target_records, detail.target_error_count];
    assert_eq!(actual, counts, "{detail:?}");
    assert!(detail.execution_started_date_time > empty_date(), "{detail:?}");
    assert!(detail.execution_completed_date_time >= detail.execution_started_date_time, "{detail:?}");
}

/// D365's empty date as a `DateTime`.
fn empty_date() -> DateTime<Utc> {
    EMPTY_DATE.parse().expect("a date")
}

/// RIS's `CreateLinkToExecutionSummaryPage` after a successful import: GetExecutionSummaryPageUrl
/// with its execution id, the value written to a `.url` file. The page answers (for an admin).
fn check_execution_summary_page(server: &TestServer, ris: &Session, execution: &str) {
    let url = ris.action_text("GetExecutionSummaryPageUrl", &json!({ "executionId": execution }).to_string());
    assert!(url.starts_with(&server.at("/manage/executions/")), "{url}");
    let ops = Session::new(server, OPS);
    let page = ops.authorized(server.http.get(&url));
    assert_eq!(page.status(), 200, "{url}");
    let page: Value = page.json().expect("the execution");
    assert_eq!(page["id"], execution, "{page}");
}

/// Enqueues contoso-setup.zip on the package job, as d365fo.integrations does (application/zip,
/// braced upper-case activity), and waits until it is processed.
fn import_setup(client: &Session) {
    let path = format!("/api/connector/enqueue/%7B{}%7D", SETUP_JOB.to_uppercase());
    let id = message_id(client.enqueue(
        &path,
        Some("contoso-setup.zip"),
        Some("application/zip"),
        sample("contoso-setup.zip"),
    ));
    let status = client.settled_job_status(SETUP_JOB, &id);
    assert_eq!(status.data_job_status.data_job_state, DataJobState::Processed, "{status:?}");
}

/// A message as the management API shows it.
fn managed_message(ops: &Session, id: &str) -> Value {
    let response = ops.get(&format!("/manage/messages/{id}"));
    assert_eq!(response.status(), 200, "message {id}");
    response.json().expect("a message")
}

fn ris_upload_job_enqueues_a_file_and_follows_its_job_status_to_processed(backend: Backend) {
    let server = TestServer::start_on(backend);
    let ris = Session::new(&server, FABRIKAM);
    let path = format!("/api/connector/enqueue/{GROUPS_JOB}?company=USMF&entity=Customer%20groups");
    let id = message_id(ris.enqueue(&path, Some("customer-groups.csv"), None, sample("customer-groups.csv")));

    let status = ris.settled_job_status(GROUPS_JOB, &id);
    let job = &status.data_job_status;
    assert_eq!(job.data_job_state, DataJobState::Processed, "{status:?}");
    assert_eq!(job.data_project, "Customer groups", "{status:?}");
    assert_eq!(job.data_job_identifier, "Customer groups from Fabrikam", "{status:?}");
    assert_eq!(job.external_identifier, "customer-groups.csv", "{status:?}");
    assert!(!job.execution_identifier.is_empty(), "{status:?}");
    assert!(job.data_job_started_date_time > empty_date(), "{status:?}");
    assert!(job.data_job_completed_date_time >= job.data_job_started_date_time, "{status:?}");
    let details = &status.execution_detail;
    assert_eq!(details.len(), 1, "{status:?}");
    check_execution_detail(&details[0], [6, 0, 6, 0]);
    assert_eq!(details[0].staging_status, EntityExecutionState::Finished, "{status:?}");
    assert_eq!(details[0].target_status, EntityExecutionState::Finished, "{status:?}");
    assert_eq!(ris.message_status(&id), "Processed");
}

fn ris_upload_job_reads_the_execution_errors_of_a_file_with_a_bad_row_by_message_id(backend: Backend) {
    let server = TestServer::start_on(backend);
    let ris = Session::new(&server, FABRIKAM);
    let path = format!("/api/connector/enqueue/{GROUPS_JOB}?company=USMF&entity=Customer%20groups");
    let response = ris.enqueue(&path, Some("bad-groups.csv"), None, groups_with_a_bad_row());
    // RIS keeps the answer verbatim, quotes included, as the message id...
    let verbatim = response.text().expect("a body");
    let id = verbatim.replace('"', "");

    let status = ris.settled_job_status(GROUPS_JOB, &id);
    assert_eq!(status.data_job_status.data_job_state, DataJobState::ProcessedWithErrors, "{status:?}");
    let details = &status.execution_detail;
    assert_eq!(details.len(), 1, "{status:?}");
    // The bad row never reaches staging: D365 counts it as a staging error.
    check_execution_detail(&details[0], [1, 1, 1, 0]);
    assert_eq!(ris.message_status(&id), "ProcessedWithErrors");

    // ... and asks for the execution errors with it, as the executionId.
    let errors = ris.action_text("GetExecutionErrors", &json!({ "executionId": verbatim }).to_string());
    let errors: Value = serde_json::from_str(&errors).expect("GetExecutionErrors' value is a JSON array in a string");
    let errors = errors.as_array().expect("an array");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let error = &errors[0];
    let members: Vec<&str> = error.as_object().expect("an object").keys().map(String::as_str).collect();
    assert_eq!(members.len(), 3, "{error}");
    assert_eq!(error["RecordId"], "2", "{error}");
    assert_eq!(error["Field"], "CustomerGroupId", "{error}");
    assert!(error["ErrorMessage"].as_str().is_some_and(|message| message.contains("10")), "names the limit: {error}");
}

fn ris_download_job_dequeues_until_204_downloads_with_the_bearer_and_acks(backend: Backend) {
    let server = TestServer::start_on(backend);
    let ris = Session::new(&server, FABRIKAM);
    import_setup(&ris);

    // RIS's download loop: dequeue until 204, collecting messages.
    let mut messages = vec![ris.dequeue_first(CUSTOMERS_EXPORT_JOB)];
    while let Some(message) = ris.dequeue(CUSTOMERS_EXPORT_JOB) {
        messages.push(message);
    }
    let mut exported = String::new();
    for message in &messages {
        let answer = check_dequeue_answer(message);
        assert!(answer.is_down_load_file_exist, "{message}");
        assert_eq!(answer.file_down_load_error_message, "", "{message}");
        assert_eq!(answer.last_dequeue_date_time, empty_date(), "blank on the first dequeue: {message}");
        let location = answer.download_location.as_str();
        let activity = format!("%7B{}%7D", CUSTOMERS_EXPORT_JOB.to_uppercase());
        assert!(location.starts_with(&server.at(&format!("/api/connector/download/{activity}?"))), "{location}");
        let id = &answer.correlation_id.to_string();
        assert!(location.contains(&format!("correlation-id={id}")), "{location}");

        // RIS rewrites http to https; a test server has no TLS, so the link is used as given.
        let unauthorized = server.http.get(location).send().expect("the download answers");
        assert_eq!(unauthorized.status(), 401, "the download link is not a SAS link");
        assert!(unauthorized.headers().contains_key("www-authenticate"), "a 401 says how to authenticate");
        let download = ris.authorized(server.http.get(location));
        assert_eq!(download.status(), 200);
        exported.push_str(&download.text().expect("a CSV"));
        assert_eq!(ris.message_status(id), "Downloaded");

        // RIS's DequeueResponse: only these three members.
        let ack = json!({
            "CorrelationId": message["CorrelationId"],
            "PopReceipt": message["PopReceipt"],
            "DownloadLocation": message["DownloadLocation"],
        });
        assert_eq!(ris.ack(CUSTOMERS_EXPORT_JOB, &ack).status(), 200);
        assert_eq!(ris.message_status(id), "Acked");
    }
    let header = exported.lines().next().expect("a header line");
    assert!(header.contains("CustomerAccount") && header.contains("CustomerGroupId"), "{exported}");
    for row in ["US-101", "City of Redmond", "US-102", "Lakeside School & College"] {
        assert!(exported.contains(row), "{row} in {exported}");
    }

    // d365fo.integrations acks with the whole dequeue answer, verbatim. A change to one
    // customer makes the export queue a second file.
    let xml = {
        let setup = Cursor::new(sample("contoso-setup.zip"));
        let mut reader = PackageReader::open(setup, &ZipLimits::default()).expect("opens");
        let mut bytes = Vec::new();
        reader.extract("Customers V3.xml", &mut bytes).expect("customers");
        String::from_utf8(bytes).expect("UTF-8").replace("CREDITLIMIT=\"12500\"", "CREDITLIMIT=\"13000\"")
    };
    assert!(xml.contains("13000"), "the sample has the credit limit this test changes");
    let package = setup_package_with("Customers V3.xml", xml.as_bytes());
    let enqueue = format!("/api/connector/enqueue/{SETUP_JOB}");
    let id = message_id(ris.enqueue(&enqueue, Some("changed.zip"), Some("application/zip"), package));
    assert_eq!(ris.settled_job_status(SETUP_JOB, &id).data_job_status.data_job_state, DataJobState::Processed);
    let message = ris.dequeue_first(CUSTOMERS_EXPORT_JOB);
    let download = ris.authorized(server.http.get(message["DownloadLocation"].as_str().expect("a location")));
    let csv = download.text().expect("a CSV");
    assert!(csv.contains("US-102") && csv.contains("13000") && !csv.contains("US-101"), "only the change: {csv}");
    assert_eq!(ris.ack(CUSTOMERS_EXPORT_JOB, &message).status(), 200);
    assert_eq!(ris.message_status(message["CorrelationId"].as_str().expect("an id")), "Acked");
    assert!(ris.dequeue(CUSTOMERS_EXPORT_JOB).is_none(), "RIS's loop ends on 204");
}

fn an_unacked_message_comes_back_after_the_visibility_timeout_with_a_new_receipt(backend: Backend) {
    let server =
        TestServer::start_on_with(backend, |config| config.jobs.queue.visibility_timeout = Duration::from_millis(300));
    let client = Session::new(&server, FABRIKAM);
    import_setup(&client);

    let first = client.dequeue_first(CUSTOMERS_EXPORT_JOB);
    let dequeued = Instant::now();
    let id = first["CorrelationId"].as_str().expect("an id").to_owned();
    assert!(client.dequeue(CUSTOMERS_EXPORT_JOB).is_none(), "hidden while leased");

    let second = poll("the message to come back", || client.dequeue(CUSTOMERS_EXPORT_JOB));
    // Lease times are kept in whole milliseconds, so the message may come back up to one
    // millisecond before 300 ms by this clock.
    let waited = dequeued.elapsed() + Duration::from_millis(1);
    assert!(waited >= Duration::from_millis(300), "came back after {:?}", dequeued.elapsed());
    assert_eq!(second["CorrelationId"], id.as_str(), "{second}");
    assert_ne!(second["PopReceipt"], first["PopReceipt"], "a new receipt");
    let (first_answer, second_answer) = (check_dequeue_answer(&first), check_dequeue_answer(&second));
    assert_eq!(first_answer.last_dequeue_date_time, empty_date(), "blank on the first dequeue: {first}");
    assert!(second_answer.last_dequeue_date_time > empty_date(), "the first dequeue's time on the second: {second}");

    let stale = json!({ "CorrelationId": id, "PopReceipt": first["PopReceipt"] });
    assert_eq!(client.ack(CUSTOMERS_EXPORT_JOB, &stale).status(), 400, "a stale receipt");
    assert_eq!(client.message_status(&id), "Dequeued", "a stale ack changes nothing");
    let current = json!({ "CorrelationId": id, "PopReceipt": second["PopReceipt"] });
    assert_eq!(client.ack(CUSTOMERS_EXPORT_JOB, &current).status(), 200);
    assert_eq!(
        client.ack(CUSTOMERS_EXPORT_JOB, &current).status(),
        200,
        "acking again, as the doc tells clients to retry"
    );
    assert_eq!(client.message_status(&id), "Acked");
    std::thread::sleep(Duration::from_millis(400));
    assert!(client.dequeue(CUSTOMERS_EXPORT_JOB).is_none(), "an acked message does not come back");
    let unknown = json!({ "CorrelationId": Uuid::new_v4(), "PopReceipt": second["PopReceipt"] });
    assert_eq!(client.ack(CUSTOMERS_EXPORT_JOB, &unknown).status(), 404);
}

fn a_message_delivered_max_deliveries_times_without_an_ack_is_poisoned(backend: Backend) {
    let server = TestServer::start_on_with(backend, |config| {
        config.jobs.queue.max_deliveries = 2;
        config.jobs.queue.visibility_timeout = Duration::from_millis(100);
    });
    let client = Session::new(&server, FABRIKAM);
    let ops = Session::new(&server, OPS);
    import_setup(&client);

    let first = client.dequeue_first(CUSTOMERS_EXPORT_JOB);
    let id = first["CorrelationId"].as_str().expect("an id").to_owned();
    let second = poll("the second delivery", || client.dequeue(CUSTOMERS_EXPORT_JOB));
    assert_eq!(second["CorrelationId"], id.as_str());
    std::thread::sleep(Duration::from_millis(250));
    assert!(client.dequeue(CUSTOMERS_EXPORT_JOB).is_none(), "a third delivery is refused");

    let message = managed_message(&ops, &id);
    assert_eq!(message["Status"], "Poisoned", "{message}");
    assert_eq!(message["DequeueCount"], 2, "{message}");
    std::thread::sleep(Duration::from_millis(150));
    assert!(client.dequeue(CUSTOMERS_EXPORT_JOB).is_none(), "a poisoned message is never handed out again");

    // Clients hear D365's final failure for an export that was never delivered; the job
    // status log says why in Wharf's words.
    assert_eq!(client.message_status(&id), "PostProcessingFailed");
    let status = client.job_status(CUSTOMERS_EXPORT_JOB, &id);
    assert_eq!(status.data_job_status.data_job_state, DataJobState::PostProcessError, "{status:?}");
    assert!(status.execution_log.contains("poisoned"), "{status:?}");
}

fn job_status_of_a_message_still_enqueued_has_d365_empty_dates_where_ris_reads_non_nullable_ones(backend: Backend) {
    let server = TestServer::start_on(backend);
    let client = Session::new(&server, FABRIKAM);
    let ops = Session::new(&server, OPS);
    // A job processing once an hour: its first run takes the empty queue, and a message
    // enqueued after it stays Enqueued.
    let activity = Uuid::new_v4().to_string();
    let job = json!({
        "activity": activity,
        "name": "Hourly customer groups",
        "project": "Customer groups",
        "direction": "import",
        "mode": "file",
        "entity": "Customer groups",
        "processing": "1h",
        "monitoring": "1h",
        "authorized": [{ "client": FABRIKAM }],
    });
    assert_eq!(ops.post_json("/manage/jobs", &job.to_string()).status(), 201);
    std::thread::sleep(Duration::from_millis(300));
    let path = format!("/api/connector/enqueue/{activity}?company=USMF&entity=Customer%20groups");
    let id = message_id(client.enqueue(&path, None, None, sample("customer-groups.csv")));

    let status = client.job_status(&activity, &id);
    let job = &status.data_job_status;
    assert_eq!(job.data_job_state, DataJobState::Enqueued, "{status:?}");
    assert_eq!(job.data_job_completed_date_time, empty_date(), "{status:?}");
    assert!(job.data_job_started_date_time > empty_date(), "the enqueue time: {status:?}");
    assert_eq!((job.external_identifier.as_str(), job.execution_identifier.as_str()), ("", ""), "{status:?}");
    assert!(status.execution_detail.is_empty(), "{status:?}");
    assert_eq!(client.message_status(&id), "Enqueued");
}

fn job_status_answers_read_as_ris_types_them_at_every_poll_until_processed(backend: Backend) {
    let server = TestServer::start_on(backend);
    let ris = Session::new(&server, FABRIKAM);
    let path = format!("/api/connector/enqueue/{GROUPS_JOB}?company=USMF&entity=Customer%20groups");
    let id = message_id(ris.enqueue(&path, Some("polled.csv"), None, sample("customer-groups.csv")));
    // Every answer on the way, Enqueued and InProcess included, reads into RIS's types
    // (`job_status` panics on one that does not).
    let mut seen = Vec::new();
    let status = poll("the message to settle", || {
        let status = ris.job_status(GROUPS_JOB, &id);
        let state = status.data_job_status.data_job_state;
        if seen.last() != Some(&state) {
            seen.push(state);
        }
        state.is_final().then_some(status)
    });
    assert_eq!(status.data_job_status.data_job_state, DataJobState::Processed, "{seen:?}");
    assert!(
        seen.iter()
            .all(|state| [DataJobState::Enqueued, DataJobState::InProcess, DataJobState::Processed].contains(state)),
        "{seen:?}"
    );
}

fn package_api_imports_an_uploaded_package_and_exports_one_as_ris_does(backend: Backend) {
    let server = TestServer::start_on(backend);
    let ris = Session::new(&server, FABRIKAM);

    let execution = ris.import_package(sample("contoso-setup.zip"));
    assert_eq!(ris.settled_execution(&execution, false), "Succeeded");
    assert_eq!(ris.settled_execution(&execution, true), "Succeeded", "single-quoted body");
    let errors = ris.action_text("GetExecutionErrors", &json!({ "executionId": execution }).to_string());
    assert_eq!(serde_json::from_str::<Value>(&errors).expect("JSON"), json!([]), "no errors: {errors}");
    check_execution_summary_page(&server, &ris, &execution);

    // RIS's export job: the execution id it chose is the package's name too.
    let chosen = format!("Contoso export-2024-01-01_10-00-00-{}", Uuid::new_v4());
    let request = json!({
        "definitionGroupId": "Contoso export",
        "packageName": chosen,
        "executionId": chosen,
        "reExecute": false,
        "legalEntityId": "usmf",
    });
    assert_eq!(ris.action_text("ExportToPackage", &request.to_string()), chosen);
    let status = ris.settled_execution(&chosen, false);
    assert!(["Succeeded", "PartiallySucceeded"].contains(&status.as_str()), "{status}");
    let body = json!({ "executionId": chosen }).to_string();
    let url = poll("the exported package", || {
        Some(ris.action_text("GetExportedPackageUrl", &body)).filter(|url| !url.is_empty())
    });
    let package = server.http.get(&url).send().expect("the package link answers");
    assert_eq!(package.status(), 200, "GET without Authorization");
    let bytes = package.bytes().expect("a zip").to_vec();
    let reader =
        PackageReader::open(Cursor::new(bytes), &ZipLimits::default()).expect("a data package with Manifest.xml");
    assert!(reader.header().is_some(), "the package has PackageHeader.xml");
    assert_eq!(reader.manifest().definition_group_name, "Contoso export");
    let entities: Vec<&str> = reader.manifest().entities.iter().map(|entity| entity.entity_name.as_str()).collect();
    assert!(entities.contains(&"Customer groups") && entities.contains(&"Customers V3"), "{entities:?}");
}

/// The real package D365 exported (wire spec, section 9): Microsoft's
/// `usmf_asset-major-types-01.zip`, data project `Asset-Major-Types`, one Excel file.
const D365_PACKAGE: &str = "tests/data/packages/usmf_asset-major-types-01.zip";

/// A server whose deployment has the real package's entity under its public field names, as
/// an operator declares it, and an export project like the D365 data project that wrote it.
fn asset_major_types_server(backend: Backend) -> TestServer {
    TestServer::start_on_with(backend, |config| {
        let entity = "name = \"AssetMajorType\"\nentity_set = \"AssetMajorTypes\"\nlabel = \"Fixed asset major type\"\n\
                      key = [\"MajorTypeId\"]\n\n[[field]]\nname = \"MajorTypeId\"\ntype = \"string\"\nmax_length = 20\n\n\
                      [[field]]\nname = \"Description\"\ntype = \"string\"\nmax_length = 60\n";
        std::fs::write(config.deployment.join("entities/asset-major-type.toml"), entity).expect("entity");
        let project = "name = \"Asset-Major-Types\"\noperation = \"export\"\n\n[[entity]]\nentity = \"AssetMajorType\"\n\
                       format = \"EXCEL\"\n";
        std::fs::write(config.deployment.join("projects/asset-major-types.toml"), project).expect("project");
    })
}

/// RIS's export job for `project` in `usmf`: ExportToPackage, status until settled,
/// GetExportedPackageUrl until it is there, and the package downloaded without a bearer.
fn ris_export(server: &TestServer, ris: &Session, project: &str) -> Vec<u8> {
    let chosen = format!("{project}-2024-01-01_10-00-00-{}", Uuid::new_v4());
    let request = json!({
        "definitionGroupId": project,
        "packageName": chosen,
        "executionId": chosen,
        "reExecute": false,
        "legalEntityId": "usmf",
    });
    assert_eq!(ris.action_text("ExportToPackage", &request.to_string()), chosen);
    assert_eq!(ris.settled_execution(&chosen, false), "Succeeded");
    let body = json!({ "executionId": chosen }).to_string();
    let url = poll("the exported package", || {
        Some(ris.action_text("GetExportedPackageUrl", &body)).filter(|url| !url.is_empty())
    });
    let package = server.http.get(&url).send().expect("the package link answers");
    assert_eq!(package.status(), 200, "GET without Authorization");
    package.bytes().expect("a zip").to_vec()
}

/// The names of a zip's entries, in archive order.
fn entry_names(package: &[u8]) -> Vec<String> {
    let archive = zip::ZipArchive::new(Cursor::new(package)).expect("a zip");
    archive.file_names().map(|name| name.expect("a UTF-8 name").into_owned()).collect()
}

fn entry_bytes(package: &[u8], name: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(package)).expect("a zip");
    let mut entry = archive.by_name(name).unwrap_or_else(|error| panic!("{name}: {error}"));
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut entry, &mut bytes).expect("inflates");
    bytes
}

/// An XML document of D365's (UTF-16 LE with a byte order mark), element by element: one
/// line per start, empty element and text, with its path and attributes, so two documents
/// compare element by element and a difference names its element.
fn xml_elements(bytes: &[u8]) -> Vec<String> {
    use quick_xml::events::Event;
    let units = bytes.strip_prefix(&[0xFF, 0xFE]).expect("UTF-16 LE with a byte order mark, as D365 writes");
    let units: Vec<u16> = units.chunks_exact(2).map(|pair| u16::from_le_bytes([pair[0], pair[1]])).collect();
    let text = String::from_utf16(&units).expect("UTF-16");
    let mut reader = quick_xml::Reader::from_str(&text);
    let (mut path, mut lines) = (Vec::<String>::new(), Vec::new());
    let describe = |path: &[String], start: &quick_xml::events::BytesStart<'_>| {
        let attributes: Vec<String> = start
            .attributes()
            .map(|attribute| {
                let attribute = attribute.expect("an attribute");
                let key = attribute.key.as_ref().to_owned();
                format!("{key}={}", attribute.value)
            })
            .collect();
        let name = start.name().as_ref().to_owned();
        format!("{}/{name} [{}]", path.join("/"), attributes.join(" "))
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => {
                lines.push(describe(&path, &start));
                path.push(start.name().as_ref().to_owned());
            }
            Event::Empty(empty) => lines.push(format!("{} (empty)", describe(&path, &empty))),
            Event::Text(content) => lines.push(format!("{} = {}", path.join("/"), &*content)),
            Event::GeneralRef(reference) => {
                lines.push(format!("{} = &{};", path.join("/"), &*reference));
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Eof => return lines,
            other => panic!("D365 writes no {other:?}"),
        }
    }
}

/// An Excel data file: its sheets, and the first one's header and rows as text.
fn workbook(bytes: Vec<u8>) -> (Vec<String>, Vec<String>, Vec<Vec<String>>) {
    use wharf::formats::excel::{ExcelOptions, reader, sheet_names};
    let sheets = sheet_names(Cursor::new(bytes.clone())).expect("a workbook");
    let (mut columns, mut rows) = (Vec::new(), Vec::new());
    for batch in reader(Cursor::new(bytes), &ExcelOptions::default(), 100).expect("a sheet") {
        let batch = batch.expect("rows");
        columns = batch.columns().to_vec();
        rows.extend(batch.rows().map(|row| row.fields().map(|(_, value)| value.to_owned().to_string()).collect()));
    }
    (sheets, columns, rows)
}

/// Checks that `exported` has the shape of D365's `original`: the same entries in the same
/// order, `Manifest.xml` and `PackageHeader.xml` the same element by element (and byte for
/// byte), and the data file the same sheet, header and rows.
fn assert_shaped_as_d365(original: &[u8], exported: &[u8]) {
    assert_eq!(entry_names(exported), entry_names(original));
    for document in ["Manifest.xml", "PackageHeader.xml"] {
        let (want, got) = (entry_bytes(original, document), entry_bytes(exported, document));
        assert_eq!(xml_elements(&got), xml_elements(&want), "{document}, element by element");
        assert_eq!(got, want, "{document}, byte for byte");
    }
    let data = "Fixed asset major type.xlsx";
    assert_eq!(workbook(entry_bytes(exported, data)), workbook(entry_bytes(original, data)), "{data}");
}

fn a_real_d365_package_imported_and_exported_again_has_d365s_shape_and_imports_again(backend: Backend) {
    let original = std::fs::read(wharf_tests::root().join(D365_PACKAGE)).expect("the real package");
    let (sheets, columns, rows) = workbook(entry_bytes(&original, "Fixed asset major type.xlsx"));
    assert_eq!(
        (sheets, columns, rows.len()),
        (vec!["Fixed_asset_major_type".to_owned()], vec!["MAJORTYPEID".to_owned(), "DESCRIPTION".to_owned()], 11)
    );

    let server = asset_major_types_server(backend);
    let ris = Session::new(&server, FABRIKAM);
    let execution = ris.import_package(original.clone());
    assert_eq!(ris.settled_execution(&execution, false), "Succeeded");
    let exported = ris_export(&server, &ris, "Asset-Major-Types");
    assert_shaped_as_d365(&original, &exported);

    // RIS's ExecutionMonitor reads the manifest's entity names; D365's DataContractSerializer
    // reads it whole, as Wharf's typed reader does.
    let reader = PackageReader::open(Cursor::new(exported.clone()), &ZipLimits::default()).expect("a package");
    let listed: Vec<&str> = reader.manifest().entities.iter().map(|entity| entity.entity_name.as_str()).collect();
    assert_eq!(listed, ["Fixed asset major type"]);

    // Round trip: the exported package imports into a fresh server, which exports it again
    // in D365's shape.
    let fresh = asset_major_types_server(backend);
    let ris = Session::new(&fresh, FABRIKAM);
    let execution = ris.import_package(exported);
    assert_eq!(ris.settled_execution(&execution, false), "Succeeded");
    assert_shaped_as_d365(&original, &ris_export(&fresh, &ris, "Asset-Major-Types"));
}

fn error_keys_files_hold_the_rejected_rows_of_an_import_and_nothing_for_a_clean_one(backend: Backend) {
    let server = TestServer::start_on(backend);
    let ris = Session::new(&server, FABRIKAM);
    // The package's customer groups are CSV-Unicode: UTF-16 LE with a byte order mark.
    let bad_groups = format!(
        "CUSTOMERGROUPID,DESCRIPTION,PAYMENTTERMID\r\nGOV,Government,Net60\r\n{TOO_LONG_GROUP_ID},Too long,Net30\r\n"
    );
    let bad_groups: Vec<u8> =
        [0xFF, 0xFE].into_iter().chain(bad_groups.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let rejected = ris.import_package(setup_package_with("Customer groups.csv", &bad_groups));
    assert_eq!(ris.settled_execution(&rejected, false), "PartiallySucceeded");
    let clean = ris.import_package(sample("contoso-setup.zip"));
    assert_eq!(ris.settled_execution(&clean, false), "Succeeded");

    // RIS reads each <EntityName> of the package's manifest and asks per entity.
    let ask = |execution: &str| json!({ "executionId": execution, "entityName": "Customer groups" }).to_string();
    assert_eq!(ris.action("GenerateImportTargetErrorKeysFile", &ask(&rejected)), true);
    let url = poll("the error keys file", || {
        Some(ris.action_text("GetImportTargetErrorKeysFileUrl", &ask(&rejected))).filter(|url| !url.is_empty())
    });
    let file = server.http.get(&url).send().expect("the error file link answers");
    assert_eq!(file.status(), 200, "GET without Authorization");
    let text = file.text().expect("text");
    assert!(text.contains(TOO_LONG_GROUP_ID), "the rejected row: {text}");
    assert!(!text.contains("Government"), "only rejected rows: {text}");

    assert_eq!(ris.action("GenerateImportTargetErrorKeysFile", &ask(&clean)), false);
    assert_eq!(ris.action_text("GetImportTargetErrorKeysFileUrl", &ask(&clean)), "");
}

fn enqueue_is_idempotent_on_identifier_and_body_and_takes_the_language_prefix(backend: Backend) {
    let server = TestServer::start_on(backend);
    let client = Session::new(&server, FABRIKAM);
    let ops = Session::new(&server, OPS);
    let bare = format!("/api/connector/enqueue/{GROUPS_JOB}?entity=Customer%20groups");
    let prefixed = format!("/en/api/connector/enqueue/%7B{}%7D?entity=Customer%20groups", GROUPS_JOB.to_uppercase());
    let csv = sample("customer-groups.csv");

    let first = message_id(client.enqueue(&bare, Some("groups.csv"), None, csv.clone()));
    let repeated = message_id(client.enqueue(&prefixed, Some("groups.csv"), Some("text/csv"), csv.clone()));
    assert_eq!(repeated, first, "same job, identifier and body: the same message");
    let changed = message_id(client.enqueue(&bare, Some("groups.csv"), None, groups_with_a_bad_row()));
    assert_ne!(changed, first, "same identifier, another body: a new message");
    let anonymous = [
        message_id(client.enqueue(&bare, None, None, csv.clone())),
        message_id(client.enqueue(&bare, None, None, csv.clone())),
    ];
    assert_ne!(anonymous[0], anonymous[1], "no identifier: always a new message");
    assert!(!anonymous.contains(&first));

    let listed: Value = ops.get(&format!("/manage/messages?activity={GROUPS_JOB}")).json().expect("messages");
    let mut ids: Vec<&str> = listed["value"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|message| message["MessageId"].as_str())
        .collect();
    ids.sort_unstable();
    let mut expected = vec![first.as_str(), changed.as_str(), anonymous[0].as_str(), anonymous[1].as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected, "nothing stored twice");

    let status = client.get(&format!("/en/api/connector/jobstatus/{GROUPS_JOB}?jobId={first}"));
    assert_eq!(status.status(), 200, "jobstatus under the language prefix");
    let status: DataJobStatusDetail = status.json().expect("a DataJobStatusDetail");
    assert_eq!(status.data_job_status.external_identifier, "groups.csv", "{status:?}");
}

fn management_api_creates_jobs_lists_messages_and_executions_and_refuses_deployment_edits(backend: Backend) {
    let mut server = TestServer::start_on(backend);
    let client = Session::new(&server, FABRIKAM);
    let ops = Session::new(&server, OPS);
    assert_eq!(client.get("/manage/jobs").status(), 403, "management needs the admin role");

    // A job as in jobs/*.toml, as JSON: the direction in the files' lowercase.
    let activity = Uuid::new_v4().to_string();
    let job = json!({
        "activity": activity,
        "name": "Customer groups by API",
        "project": "Customer groups",
        "direction": "import",
        "mode": "file",
        "entity": "Customer groups",
        "processing": "100ms",
        "monitoring": "1m",
        "in_order": true,
        "authorized": [{ "client": FABRIKAM }],
    });
    let created = ops.post_json("/manage/jobs", &job.to_string());
    assert_eq!(created.status(), 201);
    let created: Value = created.json().expect("the job");
    assert_eq!((&created["direction"], &created["source"]), (&json!("Import"), &json!("api")), "{created}");
    let jobs: Value = ops.get("/manage/jobs").json().expect("jobs");
    let listed = jobs["value"].as_array().expect("a list");
    assert!(
        listed.iter().any(|job| job["activity"] == activity.as_str() && job["name"] == "Customer groups by API"),
        "{jobs}"
    );
    assert_eq!(listed.len(), 4, "the three deployment jobs and the new one: {jobs}");

    // The new job takes files like a deployment job.
    let path = format!("/api/connector/enqueue/{activity}");
    let good = message_id(client.enqueue(&path, Some("good.csv"), None, sample("customer-groups.csv")));
    let bad = message_id(client.enqueue(&path, Some("bad.csv"), None, groups_with_a_bad_row()));
    let state = |id: &str| client.settled_job_status(&activity, id).data_job_status.data_job_state;
    assert_eq!(state(&good), DataJobState::Processed);
    assert_eq!(state(&bad), DataJobState::ProcessedWithErrors);

    let processed: Value = ops.get("/manage/messages?status=Processed").json().expect("messages");
    let processed = processed["value"].as_array().expect("a list");
    assert!(processed.iter().all(|message| message["Status"] == "Processed"), "{processed:?}");
    assert!(processed.iter().any(|message| message["MessageId"] == good.as_str()), "{processed:?}");
    assert!(!processed.iter().any(|message| message["MessageId"] == bad.as_str()), "{processed:?}");
    assert_eq!(ops.get("/manage/messages?status=NoSuchStatus").status(), 400);

    let bad_message = managed_message(&ops, &bad);
    let execution = bad_message["ExecutionId"].as_str().expect("an execution").to_owned();
    let executions: Value = ops.get("/manage/executions").json().expect("executions");
    let listed =
        executions["value"].as_array().expect("a list").iter().find(|listed| listed["id"] == execution.as_str());
    let listed = listed.unwrap_or_else(|| panic!("{execution} in {executions}"));
    assert_eq!(
        (&listed["project"], &listed["status"]),
        (&json!("Customer groups"), &json!("PartiallySucceeded")),
        "{listed}"
    );
    let errors: Value = ops.get(&format!("/manage/executions/{execution}/errors")).json().expect("errors");
    assert_eq!(errors["count"], 1, "{errors}");
    assert_eq!(
        (&errors["value"][0]["record"], &errors["value"][0]["field"]),
        (&json!(2), &json!("CustomerGroupId")),
        "{errors}"
    );

    // A deployment job is changed in its file, never through the API.
    let original: Value = ops.get(&format!("/manage/jobs/{GROUPS_JOB}")).json().expect("the job");
    let mut edited = original.clone();
    edited["name"] = json!("Renamed");
    edited.as_object_mut().expect("an object").remove("source");
    let refused = ops.authorized(server.http.put(server.at(&format!("/manage/jobs/{GROUPS_JOB}"))).json(&edited));
    let status = refused.status().as_u16();
    let reason = refused.text().expect("a body");
    assert!(
        [400, 409].contains(&status) && reason.contains("jobs directory"),
        "PUT of a deployment job: {status} {reason}"
    );
    let deleted = ops.authorized(server.http.delete(server.at(&format!("/manage/jobs/{GROUPS_JOB}"))));
    assert!([400, 409].contains(&deleted.status().as_u16()), "DELETE of a deployment job: {}", deleted.status());
    let after: Value = ops.get(&format!("/manage/jobs/{GROUPS_JOB}")).json().expect("the job");
    assert_eq!(after, original, "the deployment job is unchanged");

    // The API's job is kept: it is there after a restart.
    drop((client, ops));
    server.restart();
    let ops = Session::new(&server, OPS);
    let kept = ops.get(&format!("/manage/jobs/{activity}"));
    assert_eq!(kept.status(), 200, "the API's job after a restart");
    let kept: Value = kept.json().expect("the job");
    assert_eq!((&kept["name"], &kept["source"]), (&json!("Customer groups by API"), &json!("api")), "{kept}");
}

fn ris_connection_check_gets_500_for_the_all_zero_activity_once_authenticated(backend: Backend) {
    let server = TestServer::start_on(backend);
    let zero = "00000000-0000-0000-0000-000000000000";
    let anonymous = server.http.get(server.at(&format!("/api/connector/dequeue/{zero}"))).send().expect("answers");
    assert_eq!(anonymous.status(), 401);
    let token = server.token(FABRIKAM);
    let checked = server
        .http
        .get(server.at(&format!("/api/connector/dequeue/{zero}")))
        .bearer_auth(&token)
        .send()
        .expect("answers");
    assert_eq!(checked.status(), 500);
    let body: Value = checked.json().expect("OData error JSON");
    assert!(body["error"]["message"].as_str().is_some_and(|message| message.contains("all-zero")), "{body}");
}

/// A data entity as d365fo.integrations' `Get-D365DmfDataEntity` reads D365's metadata service:
/// `$res.Value | Sort-Object -Property Name`, and with `-OutNamesOnly` the three names.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DataEntity {
    name: String,
    public_entity_name: String,
    public_collection_name: String,
    data_management_enabled: bool,
    is_read_only: bool,
}

#[derive(Debug, Deserialize)]
struct DataEntities {
    value: Vec<DataEntity>,
}

fn d365fo_integrations_lists_the_data_entities_and_finds_them_by_part_of_a_name(backend: Backend) {
    let server = TestServer::start_on(backend);
    let client = Session::new(&server, FABRIKAM);
    // `Get-D365DmfDataEntity`: GET `<SystemUrl>/metadata/DataEntities`, bearer only.
    let list = |query: &str| -> Vec<DataEntity> {
        let response = client.get(&format!("/metadata/DataEntities{query}"));
        assert_eq!(response.status(), 200, "{query}");
        let text = response.text().expect("a body");
        let entities: DataEntities =
            serde_json::from_str(&text).unwrap_or_else(|error| panic!("not a list of data entities ({error}): {text}"));
        entities.value
    };
    let all = list("");
    let groups = all.iter().find(|entity| entity.public_collection_name == "CustomerGroups").expect("customer groups");
    assert_eq!((groups.name.as_str(), groups.public_entity_name.as_str()), ("CustomerGroup", "CustomerGroup"));
    assert!(groups.data_management_enabled && !groups.is_read_only, "{groups:?}");
    assert!(all.iter().any(|entity| entity.public_collection_name == "CustomersV3"), "{all:?}");

    // `-EntityNameContains customer`, as its UriBuilder escapes it (spaces only).
    let contains = "?$filter=(contains(tolower(Name),%20tolower('customer'))%20or%20contains(tolower(PublicEntityName),\
                    %20tolower('customer'))%20or%20contains(tolower(PublicCollectionName),%20tolower('customer')))";
    let mut found: Vec<String> = list(contains).into_iter().map(|entity| entity.public_collection_name).collect();
    found.sort_unstable();
    let mut expected: Vec<String> = all
        .iter()
        .filter(|entity| {
            [&entity.name, &entity.public_entity_name, &entity.public_collection_name]
                .iter()
                .any(|name| name.to_lowercase().contains("customer"))
        })
        .map(|entity| entity.public_collection_name.clone())
        .collect();
    expected.sort_unstable();
    assert!(expected.len() >= 2 && expected.len() < all.len(), "the filter must choose: {expected:?}");
    assert_eq!(found, expected);
    // `-ODataQuery ' and IsReadOnly eq true'` appended: nothing is read-only.
    assert!(list(&format!("{contains}%20and%20IsReadOnly%20eq%20true")).is_empty());

    let anonymous = server.http.get(server.at("/metadata/DataEntities")).send().expect("answers");
    assert_eq!(anonymous.status(), 401);
    let unknown = client.get("/Metadata/DataEntities?$filter=NoSuchMember%20eq%20'x'");
    assert_eq!(unknown.status(), 400, "a member no data entity has");
}

fn d365fo_integrations_initializes_data_management_with_an_empty_body(backend: Backend) {
    let server = TestServer::start_on(backend);
    let client = Session::new(&server, FABRIKAM);
    for action in ["InitializeDataManagement", "InitializeDataManagementAsync"] {
        // `Invoke-D365DmfInit`: POST with -ContentType 'application/json' -Body '{}'.
        let request = server
            .http
            .post(server.at(&format!("/data/DataManagementDefinitionGroups/Microsoft.Dynamics.DataEntities.{action}")))
            .header("Content-Type", "application/json")
            .body("{}");
        let response = client.authorized(request);
        assert_eq!(response.status(), 204, "{action}");
    }
    let ops_only = server
        .http
        .post(
            server.at("/data/DataManagementDefinitionGroups/Microsoft.Dynamics.DataEntities.InitializeDataManagement"),
        )
        .body("{}")
        .send()
        .expect("answers");
    assert_eq!(ops_only.status(), 401, "a bearer token is needed, as for every action");
}

fn ris_connection_check_reads_the_environment_root_with_its_token(backend: Backend) {
    let server = TestServer::start_on(backend);
    let ris = Session::new(&server, FABRIKAM);
    // `GetRequestAsync(new Uri(settings.AosUri))`, redirects not followed: 200 means "up".
    let root = ris.authorized(
        reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client")
            .get(format!("{}/", server.url)),
    );
    assert_eq!(root.status(), 200);
    let root: Value = root.json().expect("JSON");
    assert_eq!(root["OData"], server.at("/data"), "{root}");
    let anonymous = server.http.get(server.at("/")).send().expect("answers");
    assert_eq!(anonymous.status(), 401);
}

fn over_tls_download_links_are_https_and_d365fo_integrations_downloads_them_as_minted(backend: Backend) {
    let server = TestServer::start_on_with(backend, |config| {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("a certificate");
        let (certificate, key) = (config.deployment.join("wharf.crt"), config.deployment.join("wharf.key"));
        std::fs::write(&certificate, certified.cert.pem()).expect("write the certificate");
        std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write the key");
        config.tls = Some(TlsFiles { certificate, key });
        config.limits.header_read_timeout = Duration::from_millis(500);
    });
    assert!(server.url.starts_with("https://127.0.0.1:"), "{}", server.url);
    // The token, the enqueue, the job status and the dequeue all go over TLS.
    let client = Session::new(&server, FABRIKAM);
    import_setup(&client);
    let message = client.dequeue_first(CUSTOMERS_EXPORT_JOB);
    let location = check_dequeue_answer(&message).download_location;
    assert!(location.starts_with(&server.at("/api/connector/download/")), "{location}");

    // d365fo.integrations' Get-DmfFile: an http:// link becomes https:// with every ":80"
    // deleted; an https link is used as it is.
    let used = match location.strip_prefix("http://") {
        Some(rest) => format!("https://{}", rest.replace(":80", "")),
        None => location.clone(),
    };
    assert_eq!(used, location);
    let download = client.authorized(server.http.get(&used));
    assert_eq!(download.status(), 200);
    assert!(download.text().expect("a CSV").contains("CustomerAccount"));

    // Plain HTTP on the TLS port gets no answer, and the connection limits hold before the
    // handshake: a connection that never starts it is closed at the head's deadline.
    let address = server.url.trim_start_matches("https://").to_owned();
    let plain = reqwest::blocking::Client::new().get(format!("http://{address}/health")).send();
    assert!(plain.is_err(), "{plain:?}");
    let mut silent = std::net::TcpStream::connect(&address).expect("connects");
    silent.set_read_timeout(Some(Duration::from_secs(10))).expect("a read timeout");
    let opened = Instant::now();
    let read = std::io::Read::read(&mut silent, &mut [0; 16]).expect("closed, not timed out");
    assert_eq!(read, 0, "closed without an answer");
    assert!(opened.elapsed() < Duration::from_secs(5), "closed after {:?}", opened.elapsed());
}

/// Replicas behind one load balancer: a job made through the management API on one serves
/// on the other, and a document enqueued on one that processes nothing (no workers) is
/// processed by the other and reported by either.
#[test]
fn replicas_share_the_jobs_made_through_the_api_and_the_queue() {
    let first = TestServer::start_on(Backend::Postgres);
    let second = first.replica(|config| config.jobs.workers = 0);
    let activity = Uuid::new_v4().to_string();
    let job = json!({
        "activity": activity,
        "name": "Customer groups by API",
        "project": "Customer groups",
        "direction": "import",
        "mode": "file",
        "entity": "Customer groups",
        "processing": "100ms",
        "monitoring": "1m",
        "authorized": [{ "client": FABRIKAM }],
    });
    assert_eq!(Session::new(&first, OPS).post_json("/manage/jobs", &job.to_string()).status(), 201);
    // The other replica reads the new job within its refresh.
    let client = Session::new(&second, FABRIKAM);
    let path = format!("/api/connector/enqueue/{activity}?entity=Customer%20groups&company=usmf");
    let id = poll("the job on the other replica", || {
        let response = client.enqueue(&path, None, None, sample("customer-groups.csv"));
        (response.status() == 200).then(|| message_id(response))
    });
    let status = poll("the message processed", || {
        let status = Session::new(&first, FABRIKAM).message_status(&id);
        (status == "Processed").then_some(status)
    });
    assert_eq!(status, "Processed");
    assert_eq!(client.message_status(&id), "Processed", "either replica reports it");
}

on_both_backends!(
    ris_upload_job_enqueues_a_file_and_follows_its_job_status_to_processed,
    ris_upload_job_reads_the_execution_errors_of_a_file_with_a_bad_row_by_message_id,
    ris_download_job_dequeues_until_204_downloads_with_the_bearer_and_acks,
    an_unacked_message_comes_back_after_the_visibility_timeout_with_a_new_receipt,
    a_message_delivered_max_deliveries_times_without_an_ack_is_poisoned,
    job_status_of_a_message_still_enqueued_has_d365_empty_dates_where_ris_reads_non_nullable_ones,
    job_status_answers_read_as_ris_types_them_at_every_poll_until_processed,
    package_api_imports_an_uploaded_package_and_exports_one_as_ris_does,
    a_real_d365_package_imported_and_exported_again_has_d365s_shape_and_imports_again,
    error_keys_files_hold_the_rejected_rows_of_an_import_and_nothing_for_a_clean_one,
    enqueue_is_idempotent_on_identifier_and_body_and_takes_the_language_prefix,
    management_api_creates_jobs_lists_messages_and_executions_and_refuses_deployment_edits,
    ris_connection_check_gets_500_for_the_all_zero_activity_once_authenticated,
    d365fo_integrations_lists_the_data_entities_and_finds_them_by_part_of_a_name,
    d365fo_integrations_initializes_data_management_with_an_empty_body,
    ris_connection_check_reads_the_environment_root_with_its_token,
    over_tls_download_links_are_https_and_d365fo_integrations_downloads_them_as_minted,
);
