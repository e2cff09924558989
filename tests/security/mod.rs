//! The server's defences over HTTP: who may reach which job, message and execution, which
//! tokens are refused, request budgets, and hostile bodies, URLs and methods.
//!
//! The submodules follow the threats of the OWASP API Security Top 10 (2023); each test there
//! drives a real server and fails without the defence it names.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use reqwest::blocking::Response;
use serde_json::{Value, json};
use wharf::auth::Role;

use crate::server::{
    Backend, CUSTOMERS_EXPORT_JOB, FABRIKAM, GROUPS_JOB, OPS, SETUP_JOB, TestServer, on_both_backends,
};

/// API2: a client shut out from the command line is shut out of the running server at once.
mod authentication;
/// API5: an admin grants only the companies and roles it holds, to others and to itself.
mod authorization;
/// API1: reads and writes only in the companies a client is granted.
mod companies;
/// API4: what a client can make the server spend (memory, descriptors, disk) is bounded.
mod consumption;
/// API8: identifiers and package entries never name a path of their own.
mod file_system;
/// API4: nesting and chaining without end get an answer.
mod recursion;
/// API2: tokens whose `crit` header names what Wharf cannot honour are refused.
pub(crate) mod tokens;

/// A second data-management client, granted only company `fab`.
const NORTHWIND: &str = "northwind-app";

/// Jobs the tests add through the management API.
const NORTHWIND_IMPORT_JOB: &str = "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
const NORTHWIND_EXPORT_JOB: &str = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d";
const FABRIKAM_EXPORT_JOB: &str = "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901";

/// A GUID no job has.
const NO_JOB: &str = "00000000-1111-4222-8333-444444444444";

/// Where the package actions live.
const ACTIONS: &str = "/data/DataManagementDefinitionGroups/Microsoft.Dynamics.DataEntities.";

/// Sends `body` with `token` (none: no Authorization header).
pub(crate) fn send(
    server: &TestServer,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: impl Into<reqwest::blocking::Body>,
) -> Response {
    let url = if path.starts_with("http") { path.to_owned() } else { server.at(path) };
    let request = server.http.request(method, url).body(body);
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().expect("the server answers")
}

pub(crate) fn get(server: &TestServer, token: &str, path: &str) -> Response {
    send(server, Some(token), Method::GET, path, Vec::new())
}

pub(crate) fn post(server: &TestServer, token: &str, path: &str, body: impl Into<reqwest::blocking::Body>) -> Response {
    send(server, Some(token), Method::POST, path, body)
}

/// Calls package action `name` with JSON `body`.
pub(crate) fn action(server: &TestServer, token: &str, name: &str, body: &Value) -> Response {
    post(server, token, &format!("{ACTIONS}{name}"), body.to_string())
}

/// The JSON body of a 2xx `response`.
pub(crate) fn ok_json(response: Response, what: &str) -> Value {
    let status = response.status();
    let text = response.text().expect("a body");
    assert!(status.is_success(), "{what}: {status} {text}");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{what}: not JSON ({error}): {text}"))
}

/// Asserts that `response` is an OData error with `status` and returns its message.
pub(crate) fn odata_error(response: Response, status: u16, what: &str) -> String {
    let actual = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
    let text = response.text().expect("a body");
    assert_eq!(actual, status, "{what}: {text}");
    assert!(content_type.starts_with("application/json"), "{what}: content type {content_type:?}, body {text}");
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|error| panic!("{what}: not JSON ({error}): {text}"));
    let message = body["error"]["message"].as_str().unwrap_or_else(|| panic!("{what}: no error.message in {text}"));
    assert!(!message.is_empty(), "{what}: an empty error message");
    assert!(!message.contains("/tmp/") && !message.contains(".rs:"), "{what}: the message shows internals: {message}");
    message.to_owned()
}

/// What the server has stored: every message row (through the management API) and every
/// file of message bodies and blobs.
#[derive(Debug, PartialEq)]
struct Stored {
    messages: Value,
    files: BTreeMap<String, u64>,
}

fn stored(server: &TestServer, ops: &str) -> Stored {
    let messages = ok_json(get(server, ops, "/manage/messages?limit=1000"), "the message list")["value"].clone();
    let mut files = BTreeMap::new();
    for dir in ["queue/bodies", "queue/incoming", "blobs/bodies", "blobs/incoming"] {
        let Ok(entries) = std::fs::read_dir(server.data().join(dir)) else { continue };
        for entry in entries {
            let entry = entry.expect("a directory entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            // The example export job runs every 100 ms and stages its (empty) export here.
            if name.starts_with(".wharf-export-") {
                continue;
            }
            let size = entry.metadata().map_or(0, |metadata| metadata.len());
            files.insert(format!("{dir}/{name}"), size);
        }
    }
    Stored { messages, files }
}

/// The message `id` as the management API shows it.
pub(crate) fn message(server: &TestServer, ops: &str, id: &str) -> Value {
    ok_json(get(server, ops, &format!("/manage/messages/{id}")), "a message")
}

fn seconds_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

/// The sample document `name` of the example deployment.
pub(crate) fn sample(server: &TestServer, name: &str) -> Vec<u8> {
    std::fs::read(server.dir.path().join("samples").join(name)).expect("a sample")
}

/// A job for the management API.
pub(crate) fn job(activity: &str, project: &str, direction: &str, mode: &str, company: &str, client: &str) -> Value {
    let mut job = json!({
        "activity": activity,
        "project": project,
        "direction": direction,
        "mode": mode,
        "company": company,
        // Exports run once at start, which is all these tests need.
        "processing": if direction == "export" { "1h" } else { "100ms" },
        "monitoring": "1m",
        "authorized": [{ "client": client }],
    });
    if mode == "file" && direction == "import" {
        job["entity"] = json!("Customer groups");
    }
    job
}

/// One client with its jobs, company and what the set-up left in them.
#[derive(Debug)]
struct Tenant {
    client: &'static str,
    company: &'static str,
    import_job: &'static str,
    export_job: &'static str,
    token: String,
    /// A processed import message.
    message: String,
    /// Its execution.
    execution: String,
    /// The answer of a dequeue of the export job: CorrelationId, PopReceipt, DownloadLocation.
    lease: Value,
    /// An `ExportToPackage` execution, finished.
    package_execution: String,
}

/// A server with two clients, each on its own import and export job in its own company,
/// each with a processed import, a dequeued export and a finished package export.
fn two_tenants(backend: Backend) -> (TestServer, String, [Tenant; 2]) {
    let mut server = TestServer::start_on(backend);
    server.register(NORTHWIND, &[Role::DataManagement], &["fab"]);
    let ops = server.token(OPS);
    for job in [
        job(NORTHWIND_IMPORT_JOB, "Customer groups", "import", "file", "fab", NORTHWIND),
        job(NORTHWIND_EXPORT_JOB, "Contoso export", "export", "package", "fab", NORTHWIND),
        job(FABRIKAM_EXPORT_JOB, "Contoso export", "export", "package", "usmf", FABRIKAM),
    ] {
        let response = post(&server, &ops, "/manage/jobs", job.to_string());
        assert_eq!(response.status(), 201, "job {}: {}", job["activity"], response.text().unwrap_or_default());
    }
    let csv = sample(&server, "customer-groups.csv");
    let mut tenants = [
        (FABRIKAM, "usmf", GROUPS_JOB, FABRIKAM_EXPORT_JOB),
        (NORTHWIND, "fab", NORTHWIND_IMPORT_JOB, NORTHWIND_EXPORT_JOB),
    ]
    .map(|(client, company, import_job, export_job)| {
        let token = server.token(client);
        let enqueued = post(
            &server,
            &token,
            &format!("/api/connector/enqueue/{import_job}?entity=Customer%20groups"),
            csv.clone(),
        );
        let message = ok_json(enqueued, "an own enqueue").as_str().expect("a message id").to_owned();
        let request = json!({
            "definitionGroupId": "Contoso export",
            "packageName": format!("{client}-export"),
            "executionId": "",
            "reExecute": false,
            "legalEntityId": company,
        });
        let exported = ok_json(action(&server, &token, "ExportToPackage", &request), "an own ExportToPackage");
        let package_execution = exported["value"].as_str().expect("an execution id").to_owned();
        Tenant {
            client,
            company,
            import_job,
            export_job,
            token,
            message,
            execution: String::new(),
            lease: Value::Null,
            package_execution,
        }
    });
    for tenant in &mut tenants {
        server.wait_for("the import to be processed", || {
            message(&server, &ops, &tenant.message)["Status"] == "Processed"
        });
        tenant.execution =
            message(&server, &ops, &tenant.message)["ExecutionId"].as_str().expect("an execution").to_owned();
        server.wait_for("the export job's file", || {
            let url = format!("/manage/messages?activity={}", tenant.export_job);
            ok_json(get(&server, &ops, &url), "messages")["value"]
                .as_array()
                .is_some_and(|messages| !messages.is_empty())
        });
        let lease = ok_json(
            get(&server, &tenant.token, &format!("/api/connector/dequeue/{}", tenant.export_job)),
            "an own dequeue",
        );
        assert_eq!(lease["IsDownLoadFileExist"], true, "{lease}");
        tenant.lease = lease;
        server.wait_for("the package export", || {
            let request = json!({ "executionId": tenant.package_execution });
            let url =
                ok_json(action(&server, &tenant.token, "GetExportedPackageUrl", &request), "GetExportedPackageUrl");
            url["value"].as_str().is_some_and(|url| !url.is_empty())
        });
    }
    (server, ops, tenants)
}

/// The calls `caller` makes on `other`'s objects: every one must answer 404.
fn foreign_calls(caller: &Tenant, other: &Tenant) -> Vec<(String, Method, String, Vec<u8>)> {
    let location = other.lease["DownloadLocation"].as_str().expect("a download location");
    let query = location.split_once('?').expect("a query").1;
    let lease = other.lease.to_string().into_bytes();
    let enqueue = format!("/api/connector/enqueue/{}?entity=Customer%20groups", other.import_job);
    let own_enqueue =
        format!("/api/connector/enqueue/{}?entity=Customer%20groups&company={}", caller.import_job, other.company);
    let action = |name: &str, body: Value| {
        (format!("{name} of the other's"), Method::POST, format!("{ACTIONS}{name}"), body.to_string().into_bytes())
    };
    vec![
        ("enqueue to the other's job".into(), Method::POST, enqueue, b"GroupId,Description\nX,Y\n".to_vec()),
        (
            "enqueue to the own job for the other's company".into(),
            Method::POST,
            own_enqueue,
            b"GroupId,Description\nX,Y\n".to_vec(),
        ),
        (
            "dequeue of the other's job".into(),
            Method::GET,
            format!("/api/connector/dequeue/{}", other.export_job),
            Vec::new(),
        ),
        ("download of the other's file".into(), Method::GET, location.to_owned(), Vec::new()),
        (
            "download of the other's file through the own job".into(),
            Method::GET,
            format!("/api/connector/download/{}?{query}", caller.export_job),
            Vec::new(),
        ),
        (
            "ack on the other's job".into(),
            Method::POST,
            format!("/api/connector/ack/{}", other.export_job),
            lease.clone(),
        ),
        (
            "ack of the other's message on the own job".into(),
            Method::POST,
            format!("/api/connector/ack/{}", caller.export_job),
            lease,
        ),
        (
            "job status on the other's job".into(),
            Method::GET,
            format!("/api/connector/jobstatus/{}?jobId={}", other.import_job, other.message),
            Vec::new(),
        ),
        (
            "job status of the other's message on the own job".into(),
            Method::GET,
            format!("/api/connector/jobstatus/{}?jobId={}", caller.import_job, other.message),
            Vec::new(),
        ),
        action("GetMessageStatus", json!({ "messageId": other.message })),
        action("GetExecutionSummaryStatus", json!({ "executionId": other.execution })),
        action("GetExecutionSummaryStatus", json!({ "executionId": other.message })),
        action("GetExecutionErrors", json!({ "executionId": other.execution })),
        action("GetExportedPackageUrl", json!({ "executionId": other.package_execution })),
    ]
}

fn each_client_reaches_only_its_own_jobs_messages_and_executions(backend: Backend) {
    let (server, ops, tenants) = two_tenants(backend);
    let before = stored(&server, &ops);
    for (caller, other) in [(&tenants[0], &tenants[1]), (&tenants[1], &tenants[0])] {
        for (what, method, path, body) in foreign_calls(caller, other) {
            let response = send(&server, Some(&caller.token), method, &path, body);
            odata_error(response, 404, &format!("{}: {what}", caller.client));
        }
    }
    assert_eq!(stored(&server, &ops), before, "a refused call changed what is stored");

    // The same calls on their own objects succeed.
    for tenant in &tenants {
        let who = tenant.client;
        let status = ok_json(
            get(
                &server,
                &tenant.token,
                &format!("/api/connector/jobstatus/{}?jobId={}", tenant.import_job, tenant.message),
            ),
            who,
        );
        assert_eq!(status["DataJobStatus"]["DataJobState"], "Processed", "{who}: {status}");
        let status =
            ok_json(action(&server, &tenant.token, "GetMessageStatus", &json!({ "messageId": tenant.message })), who);
        assert_eq!(status["value"], "Processed", "{who}");
        let summary = ok_json(
            action(&server, &tenant.token, "GetExecutionSummaryStatus", &json!({ "executionId": tenant.execution })),
            who,
        );
        assert_eq!(summary["value"], "Succeeded", "{who}");
        let errors = ok_json(
            action(&server, &tenant.token, "GetExecutionErrors", &json!({ "executionId": tenant.execution })),
            who,
        );
        assert_eq!(errors["value"], "[]", "{who}");
        let url = ok_json(
            action(
                &server,
                &tenant.token,
                "GetExportedPackageUrl",
                &json!({ "executionId": tenant.package_execution }),
            ),
            who,
        );
        let url = url["value"].as_str().expect("a url");
        assert!(url.starts_with(&server.at("/dmf/")), "{who}: {url}");

        let location = tenant.lease["DownloadLocation"].as_str().expect("a download location");
        let download = get(&server, &tenant.token, location);
        assert_eq!(download.status(), 200, "{who}: own download");
        assert!(download.bytes().expect("a package").starts_with(b"PK"), "{who}: the download is not a package");
        let acked = post(
            &server,
            &tenant.token,
            &format!("/api/connector/ack/{}", tenant.export_job),
            tenant.lease.to_string(),
        );
        assert_eq!(acked.status(), 200, "{who}: own ack");
        let id = tenant.lease["CorrelationId"].as_str().expect("a correlation id");
        assert_eq!(message(&server, &ops, id)["Status"], "Acked", "{who}");
        assert_eq!(message(&server, &ops, id)["AckUser"], who, "{who}");
    }
}

/// Every management route, with a body where it takes one.
fn management_routes() -> Vec<(Method, String, String)> {
    let job = job(NORTHWIND_IMPORT_JOB, "Customer groups", "import", "file", "fab", FABRIKAM).to_string();
    let client = json!({ "id": "intruder", "name": "intruder", "roles": ["admin"], "companies": "*", "enabled": true })
        .to_string();
    let fabrikam =
        json!({ "id": FABRIKAM, "name": FABRIKAM, "roles": ["admin"], "companies": "*", "enabled": true }).to_string();
    let none = String::new;
    vec![
        (Method::GET, "/manage/jobs".into(), none()),
        (Method::POST, "/manage/jobs".into(), job.clone()),
        (Method::GET, format!("/manage/jobs/{GROUPS_JOB}"), none()),
        (Method::PUT, format!("/manage/jobs/{NORTHWIND_IMPORT_JOB}"), job),
        (Method::DELETE, format!("/manage/jobs/{NORTHWIND_IMPORT_JOB}"), none()),
        (Method::GET, "/manage/messages".into(), none()),
        (Method::GET, format!("/manage/messages/{NO_JOB}"), none()),
        (Method::GET, "/manage/executions".into(), none()),
        (Method::GET, "/manage/executions/x".into(), none()),
        (Method::GET, "/manage/executions/x/errors".into(), none()),
        (Method::GET, "/manage/executions/x/staging".into(), none()),
        (Method::PATCH, "/manage/executions/x/staging/CustomerGroup/1".into(), r#"{"Description":"x"}"#.into()),
        (Method::DELETE, "/manage/executions/x/staging/CustomerGroup/1".into(), none()),
        (Method::POST, "/manage/executions/x/copy".into(), none()),
        (Method::GET, "/manage/clients".into(), none()),
        (Method::POST, "/manage/clients".into(), client),
        (Method::GET, format!("/manage/clients/{OPS}"), none()),
        (Method::PUT, format!("/manage/clients/{FABRIKAM}"), fabrikam),
        (Method::DELETE, format!("/manage/clients/{OPS}"), none()),
        (Method::POST, format!("/manage/clients/{OPS}/secret"), none()),
    ]
}

fn management_routes_refuse_a_data_management_token_with_403_and_change_nothing(backend: Backend) {
    let server = TestServer::start_on(backend);
    let (fabrikam, ops) = (server.token(FABRIKAM), server.token(OPS));
    let jobs_before = ok_json(get(&server, &ops, "/manage/jobs"), "jobs");
    let clients_before = ok_json(get(&server, &ops, "/manage/clients"), "clients");
    for (method, path, body) in management_routes() {
        let what = format!("{method} {path}");
        odata_error(send(&server, Some(&fabrikam), method, &path, body), 403, &what);
    }
    assert_eq!(ok_json(get(&server, &ops, "/manage/jobs"), "jobs"), jobs_before);
    assert_eq!(ok_json(get(&server, &ops, "/manage/clients"), "clients"), clients_before);
    // The secret of `ops` was not reset, and its token still works.
    let _ = server.token(OPS);
}

fn every_route_without_a_token_answers_401_with_a_bearer_challenge(backend: Backend) {
    let server = TestServer::start_on(backend);
    let mut routes: Vec<(Method, String, String)> = vec![
        (Method::POST, format!("/api/connector/enqueue/{GROUPS_JOB}?entity=Customer%20groups"), "GroupId\nX\n".into()),
        (
            Method::POST,
            format!("/en/api/connector/enqueue/{GROUPS_JOB}?entity=Customer%20groups"),
            "GroupId\nX\n".into(),
        ),
        (Method::GET, format!("/api/connector/dequeue/{CUSTOMERS_EXPORT_JOB}"), String::new()),
        (
            Method::GET,
            format!("/api/connector/download/{CUSTOMERS_EXPORT_JOB}?correlation-id={NO_JOB}&blob={NO_JOB}"),
            String::new(),
        ),
        (
            Method::POST,
            format!("/api/connector/ack/{CUSTOMERS_EXPORT_JOB}"),
            json!({ "CorrelationId": NO_JOB, "PopReceipt": "x" }).to_string(),
        ),
        (Method::GET, format!("/api/connector/jobstatus/{GROUPS_JOB}?jobId={NO_JOB}"), String::new()),
    ];
    for name in [
        "GetAzureWriteUrl",
        "ImportFromPackage",
        "ExportToPackage",
        "GetExportedPackageUrl",
        "GetExecutionSummaryStatus",
        "GetExecutionErrors",
        "GetMessageStatus",
        "GetExecutionIdByMessageId",
        "GenerateImportTargetErrorKeysFile",
        "GetImportTargetErrorKeysFileUrl",
    ] {
        routes.push((Method::POST, format!("{ACTIONS}{name}"), "{}".into()));
    }
    routes.extend(management_routes());
    let ops = server.token(OPS);
    let before = stored(&server, &ops);
    for (method, path, body) in routes {
        let what = format!("{method} {path}");
        let response = send(&server, None, method, &path, body);
        let challenge =
            response.headers().get("www-authenticate").and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
        assert!(challenge.starts_with("Bearer"), "{what}: WWW-Authenticate {challenge:?}");
        odata_error(response, 401, &what);
    }
    assert_eq!(stored(&server, &ops), before);
}

/// Signs `claims` with the server's own key, as its token endpoint would.
fn mint(server: &TestServer, header: &Header, claims: &Value) -> String {
    let key = EncodingKey::from_ed_pem(&server.signing_key_pem()).expect("an Ed25519 key");
    jsonwebtoken::encode(header, claims, &key).expect("a token")
}

/// The claims of a good token for FABRIKAM; tests change one of them.
fn good_claims(server: &TestServer) -> Value {
    let now = seconds_now();
    json!({
        "iss": server.url,
        "aud": server.url,
        "sub": FABRIKAM,
        "client_id": FABRIKAM,
        "azp": FABRIKAM,
        "roles": ["data-management"],
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

fn own_header(kid: &str) -> Header {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("at+jwt".into());
    header.kid = Some(kid.to_owned());
    header
}

fn unsigned(header: &Value, claims: &Value, signature: &str) -> String {
    format!("{}.{}.{signature}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()))
}

fn tokens_wrong_in_one_claim_or_forged_are_refused_with_401(backend: Backend) {
    let server = TestServer::start_on(backend);
    let jwks = ok_json(server.http.get(server.at("/.well-known/jwks.json")).send().expect("the key set"), "jwks");
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP", "{jwks}");
    let kid = key["kid"].as_str().expect("a kid");
    let public = URL_SAFE_NO_PAD.decode(key["x"].as_str().expect("an x")).expect("base64url");

    // A call that needs nothing but a good token of FABRIKAM: its export job has nothing queued.
    let probe = format!("/api/connector/dequeue/{CUSTOMERS_EXPORT_JOB}");
    let good = mint(&server, &own_header(kid), &good_claims(&server));
    let response = send(&server, Some(&good), Method::GET, &probe, Vec::new());
    assert_eq!(
        response.status(),
        204,
        "a token minted like the server's is accepted: the cases below differ in one thing only"
    );

    let now = seconds_now();
    let with = |name: &str, value: Value| {
        let mut claims = good_claims(&server);
        claims[name] = value;
        mint(&server, &own_header(kid), &claims)
    };
    let hs256 = {
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some("at+jwt".into());
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, &good_claims(&server), &EncodingKey::from_secret(&public)).expect("a token")
    };
    let tampered = {
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let mut claims = good_claims(&server);
        claims["client_id"] = json!(OPS);
        claims["roles"] = json!(["admin"]);
        parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
        parts.join(".")
    };
    let id_token = {
        let mut header = own_header(kid);
        header.typ = Some("JWT".into());
        mint(&server, &header, &good_claims(&server))
    };
    let oversized = {
        let mut claims = good_claims(&server);
        claims["padding"] = json!("x".repeat(20 * 1024));
        mint(&server, &own_header(kid), &claims)
    };
    let cases = [
        ("expired beyond the leeway", with("exp", json!(now - 600))),
        ("not valid before an hour from now", with("nbf", json!(now + 3600))),
        ("for another audience", with("aud", json!("https://other.example.com"))),
        ("from another issuer", with("iss", json!("https://login.microsoftonline.com/evil/v2.0"))),
        ("without an expiry", {
            let mut claims = good_claims(&server);
            claims.as_object_mut().expect("an object").remove("exp");
            mint(&server, &own_header(kid), &claims)
        }),
        ("alg none, unsigned", unsigned(&json!({ "alg": "none", "typ": "at+jwt" }), &good_claims(&server), "")),
        (
            "alg none with the good signature",
            unsigned(
                &json!({ "alg": "none", "typ": "at+jwt" }),
                &good_claims(&server),
                good.rsplit('.').next().expect("a signature"),
            ),
        ),
        ("HS256 keyed with the server's public key", hs256),
        ("a tampered payload", tampered),
        ("an ID token's typ", id_token),
        ("garbage", "garbage".to_owned()),
        ("three garbage segments", "a.b.c".to_owned()),
        ("20 KB long, otherwise good", oversized),
    ];
    for (what, token) in cases {
        let response = send(&server, Some(&token), Method::GET, &probe, Vec::new());
        let challenge =
            response.headers().get("www-authenticate").and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
        assert!(challenge.starts_with("Bearer"), "{what}: WWW-Authenticate {challenge:?}");
        odata_error(response, 401, what);
    }
    // Roles come from the registration, not from the token: the good token is no admin's.
    odata_error(
        send(&server, Some(&good), Method::GET, "/manage/clients", Vec::new()),
        403,
        "the good token on a management route",
    );
}

fn a_removed_clients_unexpired_token_is_refused_with_403(backend: Backend) {
    let mut server = TestServer::start_on(backend);
    server.register("short-lived", &[Role::DataManagement], &["usmf"]);
    let (token, ops) = (server.token("short-lived"), server.token(OPS));
    let probe = format!("{ACTIONS}GetAzureWriteUrl");
    let response = send(&server, Some(&token), Method::POST, &probe, "{}");
    assert_eq!(response.status(), 200, "before removal");
    let removed = send(&server, Some(&ops), Method::DELETE, "/manage/clients/short-lived", Vec::new());
    assert_eq!(removed.status(), 204);
    let message = odata_error(send(&server, Some(&token), Method::POST, &probe, "{}"), 403, "after removal");
    assert!(message.contains("not registered"), "{message}");
}

/// A token request to `path` (relative to the server) with `form`.
fn token_request(server: &TestServer, path: &str, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Response {
    let request = server.http.post(server.at(path)).form(form);
    let request = match basic {
        Some((id, secret)) => request.basic_auth(id, Some(secret)),
        None => request,
    };
    request.send().expect("the token endpoint answers")
}

/// The OAuth error of a refused token request.
fn oauth_error(response: Response, status: u16, what: &str) -> String {
    let actual = response.status().as_u16();
    let text = response.text().expect("a body");
    assert_eq!(actual, status, "{what}: {text}");
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|error| panic!("{what}: not JSON ({error}): {text}"));
    assert!(body["access_token"].is_null(), "{what}: a token in {text}");
    body["error"].as_str().unwrap_or_else(|| panic!("{what}: no error in {text}")).to_owned()
}

fn the_token_endpoint_speaks_v1_and_v2_and_refuses_in_oauth_terms(backend: Backend) {
    let server = TestServer::start_on(backend);
    let secret = server.secret(FABRIKAM).to_owned();
    let probe = format!("/api/connector/dequeue/{CUSTOMERS_EXPORT_JOB}");
    let works = |response: Response, what: &str| {
        let no_store =
            response.headers().get("cache-control").and_then(|value| value.to_str().ok()) == Some("no-store");
        let body = ok_json(response, what);
        assert!(no_store, "{what}: tokens must not be cached");
        assert_eq!(body["token_type"], "Bearer", "{what}");
        let token = body["access_token"].as_str().expect("a token");
        assert_eq!(
            send(&server, Some(token), Method::GET, &probe, Vec::new()).status(),
            204,
            "{what}: the token is accepted"
        );
        body
    };

    // v1 (ADAL), the resource without a trailing slash as D365 clients send it, and with one.
    let v1 = [
        ("grant_type", "client_credentials"),
        ("client_id", FABRIKAM),
        ("client_secret", &secret),
        ("resource", &server.url),
    ];
    let body = works(token_request(&server, "/contoso.onmicrosoft.com/oauth2/token", &v1, None), "v1");
    assert_eq!(body["resource"], server.url.as_str());
    assert!(body["expires_on"].as_str().is_some_and(|seconds| seconds.parse::<u64>().is_ok()), "{body}");
    let slash = format!("{}/", server.url);
    let v1_slash = [
        ("grant_type", "client_credentials"),
        ("client_id", FABRIKAM),
        ("client_secret", &secret),
        ("resource", &slash),
    ];
    works(token_request(&server, "/contoso.onmicrosoft.com/oauth2/token", &v1_slash, None), "v1 with a trailing slash");

    // v2 (MSAL), with a tenant segment and HTTP Basic, and without a tenant.
    let scope = format!("{}/.default", server.url);
    let v2 = [("grant_type", "client_credentials"), ("scope", &scope)];
    let body = works(
        token_request(
            &server,
            "/8d2c1b7e-0000-4000-8000-000000000001/oauth2/v2.0/token",
            &v2,
            Some((FABRIKAM, &secret)),
        ),
        "v2 with Basic",
    );
    assert!(body["resource"].is_null(), "v2 names no resource: {body}");
    let v2_form =
        [("grant_type", "client_credentials"), ("client_id", FABRIKAM), ("client_secret", &secret), ("scope", &scope)];
    works(token_request(&server, "/oauth2/v2.0/token", &v2_form, None), "v2 without a tenant");

    // Refusals.
    let wrong = [
        ("grant_type", "client_credentials"),
        ("client_id", FABRIKAM),
        ("client_secret", "wrong"),
        ("resource", &server.url),
    ];
    assert_eq!(
        oauth_error(token_request(&server, "/t/oauth2/token", &wrong, None), 401, "a wrong secret"),
        "invalid_client"
    );
    let unknown = [
        ("grant_type", "client_credentials"),
        ("client_id", "nobody"),
        ("client_secret", &secret),
        ("resource", &server.url),
    ];
    assert_eq!(
        oauth_error(token_request(&server, "/t/oauth2/token", &unknown, None), 401, "an unknown client"),
        "invalid_client"
    );
    let basic = token_request(&server, "/t/oauth2/v2.0/token", &v2, Some((FABRIKAM, "wrong")));
    let challenge =
        basic.headers().get("www-authenticate").and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
    assert!(challenge.starts_with("Basic"), "a Basic client is challenged with Basic: {challenge:?}");
    assert_eq!(oauth_error(basic, 401, "a wrong Basic secret"), "invalid_client");
    let resource = [
        ("grant_type", "client_credentials"),
        ("client_id", FABRIKAM),
        ("client_secret", &secret),
        ("resource", "https://other.example.com"),
    ];
    assert_eq!(
        oauth_error(token_request(&server, "/t/oauth2/token", &resource, None), 400, "a wrong resource"),
        "invalid_resource"
    );
    let wrong_scope = [("grant_type", "client_credentials"), ("scope", "https://other.example.com/.default")];
    let refused = token_request(&server, "/t/oauth2/v2.0/token", &wrong_scope, Some((FABRIKAM, &secret)));
    assert_eq!(oauth_error(refused, 400, "a wrong scope"), "invalid_scope");
    let password = [
        ("grant_type", "password"),
        ("client_id", FABRIKAM),
        ("client_secret", &secret),
        ("username", "u"),
        ("password", "p"),
        ("resource", &server.url),
    ];
    assert_eq!(
        oauth_error(token_request(&server, "/t/oauth2/token", &password, None), 400, "the password grant"),
        "unsupported_grant_type"
    );
}

#[test]
fn the_token_endpoint_answers_429_with_retry_after_once_an_address_spent_its_budget() {
    let server = TestServer::start_with(|config| config.limits.token_requests_per_minute = 3);
    let secret = server.secret(FABRIKAM).to_owned();
    let good = [
        ("grant_type", "client_credentials"),
        ("client_id", FABRIKAM),
        ("client_secret", &secret),
        ("resource", &server.url),
    ];
    let wrong = [
        ("grant_type", "client_credentials"),
        ("client_id", FABRIKAM),
        ("client_secret", "guess"),
        ("resource", &server.url),
    ];
    assert_eq!(token_request(&server, "/t/oauth2/token", &good, None).status(), 200);
    // Failed guesses count against the budget too: that is what it is for.
    for _ in 0..2 {
        assert_eq!(token_request(&server, "/t/oauth2/token", &wrong, None).status(), 401);
    }
    let limited = token_request(&server, "/t/oauth2/token", &good, None);
    let retry = limited.headers().get("retry-after").and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
    let seconds: u64 = retry.parse().unwrap_or_else(|_| panic!("Retry-After {retry:?} is not whole seconds"));
    assert!((1..=60).contains(&seconds), "Retry-After {seconds}");
    odata_error(limited, 429, "the fourth token request in a minute");
}

#[test]
fn each_client_has_its_own_request_budget_answered_with_429_and_retry_after() {
    let server = TestServer::start_with(|config| {
        config.limits.requests_per_second = 1;
        config.limits.burst = 2;
    });
    let (fabrikam, ops) = (server.token(FABRIKAM), server.token(OPS));
    let probe = format!("/api/connector/dequeue/{CUSTOMERS_EXPORT_JOB}");
    for call in 1..=2 {
        assert_eq!(get(&server, &fabrikam, &probe).status(), 204, "call {call} is within the burst");
    }
    let limited = get(&server, &fabrikam, &probe);
    let retry = limited.headers().get("retry-after").and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
    let seconds: u64 = retry.parse().unwrap_or_else(|_| panic!("Retry-After {retry:?} is not whole seconds"));
    assert!(seconds >= 1, "Retry-After {seconds}");
    odata_error(limited, 429, "the third call");
    assert_eq!(get(&server, &ops, "/manage/jobs").status(), 200, "another client's budget is its own");
    std::thread::sleep(Duration::from_secs(seconds));
    assert_eq!(get(&server, &fabrikam, &probe).status(), 204, "waiting what Retry-After says is enough");
}

/// A hostile-input server: bodies up to 400 KB, so that both in-memory bodies (up to 256 KB)
/// and bodies spilled to files are covered.
fn hostile_server() -> TestServer {
    TestServer::start_with(|config| config.limits.max_body_bytes = 400 * 1024)
}

/// Bytes that do not compress, of `length`.
fn noise(length: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// A zip with one entry of 200 MB of zeros, deflated, and incompressible padding that takes
/// the upload over the in-memory limit.
fn zip_bomb() -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    writer.start_file("CustomerGroup.csv", deflated).expect("an entry");
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..200 {
        writer.write_all(&zeros).expect("zeros");
    }
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    writer.start_file("padding.bin", stored).expect("an entry");
    writer.write_all(&noise(100 * 1024)).expect("padding");
    writer.finish().expect("a zip").into_inner()
}

#[test]
fn oversized_enqueues_zip_bombs_and_non_zips_are_refused_before_anything_is_stored() {
    let server = hostile_server();
    let (token, ops) = (server.token(FABRIKAM), server.token(OPS));
    let before = stored(&server, &ops);
    let files = format!("/api/connector/enqueue/{GROUPS_JOB}?entity=Customer%20groups");
    let packages = format!("/api/connector/enqueue/{SETUP_JOB}");

    let message = odata_error(post(&server, &token, &files, noise(600 * 1024)), 413, "a body over max_body_bytes");
    assert!(message.contains("limit"), "{message}");
    let message =
        odata_error(post(&server, &token, &packages, noise(600 * 1024)), 413, "a package over max_body_bytes");
    assert!(message.contains("limit"), "{message}");

    let bomb = zip_bomb();
    assert!(bomb.len() > 256 * 1024 && bomb.len() < 400 * 1024, "the bomb is {} bytes", bomb.len());
    let message = odata_error(post(&server, &token, &packages, bomb), 400, "a zip bomb");
    assert!(message.contains("ratio"), "{message}");
    odata_error(post(&server, &token, &packages, noise(300 * 1024)), 400, "a large non-zip");
    odata_error(post(&server, &token, &packages, b"PK\x03\x04 not really".to_vec()), 400, "a small non-zip");
    odata_error(post(&server, &token, &packages, Vec::new()), 400, "an empty package");
    assert_eq!(stored(&server, &ops), before, "a refused body left something behind");

    // The same job takes a real package.
    let package = sample(&server, "contoso-setup.zip");
    ok_json(post(&server, &token, &packages, package), "a real package");
}

#[test]
fn unknown_activities_and_malformed_guids_are_refused_with_404_and_400() {
    let server = hostile_server();
    let (token, ops) = (server.token(FABRIKAM), server.token(OPS));
    let before = stored(&server, &ops);
    let ack = json!({ "CorrelationId": NO_JOB, "PopReceipt": "x" }).to_string();
    let calls = |activity: &str| {
        vec![
            (
                Method::POST,
                format!("/api/connector/enqueue/{activity}?entity=Customer%20groups"),
                "GroupId\nX\n".to_owned(),
            ),
            (Method::GET, format!("/api/connector/dequeue/{activity}"), String::new()),
            (
                Method::GET,
                format!("/api/connector/download/{activity}?correlation-id={NO_JOB}&blob={NO_JOB}"),
                String::new(),
            ),
            (Method::POST, format!("/api/connector/ack/{activity}"), ack.clone()),
            (Method::GET, format!("/api/connector/jobstatus/{activity}?jobId={NO_JOB}"), String::new()),
        ]
    };
    for (method, path, body) in calls(NO_JOB) {
        odata_error(send(&server, Some(&token), method.clone(), &path, body), 404, &format!("{method} {path}"));
    }
    for activity in ["{abc}", "1234", "6d31e09f-0249-459f-94f0-aad9c2c47b64a"] {
        for (method, path, body) in calls(activity) {
            let message =
                odata_error(send(&server, Some(&token), method.clone(), &path, body), 400, &format!("{method} {path}"));
            assert!(message.contains("GUID"), "{method} {path}: {message}");
        }
    }
    // Message ids are GUIDs too.
    for id in ["{abc}", "1234", "6d31e09f-0249-459f-94f0-aad9c2c47b64a"] {
        let path =
            format!("/api/connector/jobstatus/{GROUPS_JOB}?jobId={}", id.replace('{', "%7B").replace('}', "%7D"));
        odata_error(get(&server, &token, &path), 400, &path);
        odata_error(action(&server, &token, "GetMessageStatus", &json!({ "messageId": id })), 400, id);
    }
    assert_eq!(stored(&server, &ops), before);
}

#[test]
fn wrong_methods_answer_405_and_unknown_routes_and_actions_404_in_odata_json() {
    let server = hostile_server();
    let token = server.token(FABRIKAM);
    for (method, path) in [
        (Method::GET, format!("/api/connector/enqueue/{GROUPS_JOB}")),
        (Method::DELETE, format!("/api/connector/dequeue/{CUSTOMERS_EXPORT_JOB}")),
        (Method::PUT, format!("/api/connector/ack/{CUSTOMERS_EXPORT_JOB}")),
        (Method::GET, format!("/en/api/connector/enqueue/{GROUPS_JOB}")),
        (Method::GET, format!("{ACTIONS}GetMessageStatus")),
        (Method::DELETE, "/manage/messages".to_owned()),
    ] {
        odata_error(send(&server, Some(&token), method.clone(), &path, Vec::new()), 405, &format!("{method} {path}"));
    }
    for name in
        ["Microsoft.Dynamics.DataEntities.DeleteEverything", "DeleteEverything", "Microsoft.Dynamics.DataEntities."]
    {
        let path = format!("/data/DataManagementDefinitionGroups/{name}");
        odata_error(post(&server, &token, &path, "{}"), 404, &path);
    }
    for path in ["/api/connector/nothing", "/data/Customers", "/manage/nothing"] {
        odata_error(get(&server, &token, path), 404, path);
    }
}

#[test]
fn malformed_and_deeply_nested_json_is_refused_with_400_and_the_server_stays_up() {
    let server = hostile_server();
    let (token, ops) = (server.token(FABRIKAM), server.token(OPS));
    let before = stored(&server, &ops);
    let ack = format!("/api/connector/ack/{CUSTOMERS_EXPORT_JOB}");
    let status = format!("{ACTIONS}GetMessageStatus");
    let bodies = [
        ("10,000 brackets", "[".repeat(10_000)),
        ("10,000 brackets and a quote", format!("{}'x'", "[".repeat(10_000))),
        ("10,000 objects", "{\"a\":".repeat(10_000)),
        ("10,000 single-quoted objects", "{'a':".repeat(10_000)),
        ("a truncated object", "{\"CorrelationId\":".to_owned()),
        ("not UTF-8", String::from_utf8_lossy(&[0xff, 0xfe, 0x7b]).into_owned()),
        ("an array", "[1,2,3]".to_owned()),
    ];
    for (what, body) in &bodies {
        for path in [&ack, &status] {
            let response = post(&server, &token, path, body.clone());
            odata_error(response, 400, &format!("{what} to {path}"));
        }
    }
    let raw = post(&server, &token, &ack, vec![0xff, 0xfe, 0x7b]);
    odata_error(raw, 400, "bytes that are not UTF-8");
    for (what, body) in [
        ("no fields", json!({})),
        ("no PopReceipt", json!({ "CorrelationId": NO_JOB })),
        ("no CorrelationId", json!({ "PopReceipt": "x" })),
        ("a CorrelationId that is an object", json!({ "CorrelationId": {}, "PopReceipt": "x" })),
    ] {
        let message = odata_error(post(&server, &token, &ack, body.to_string()), 400, what);
        assert!(message.contains("CorrelationId") || message.contains("PopReceipt"), "{what}: {message}");
    }
    assert_eq!(server.http.get(server.at("/health")).send().expect("alive").text().expect("a body"), "ok");
    assert_eq!(stored(&server, &ops), before);
}

/// An upload link from `GetAzureWriteUrl`.
pub(crate) fn upload_link(server: &TestServer, token: &str) -> String {
    let answer =
        ok_json(action(server, token, "GetAzureWriteUrl", &json!({ "uniqueFileName": "setup" })), "GetAzureWriteUrl");
    let inner: Value = serde_json::from_str(answer["value"].as_str().expect("a string")).expect("JSON in the string");
    inner["BlobUrl"].as_str().expect("a BlobUrl").to_owned()
}

#[test]
fn blob_links_need_their_signature_and_take_one_upload() {
    let server = hostile_server();
    let token = server.token(FABRIKAM);
    let link = upload_link(&server, &token);
    let (base, signature) = link.split_once("?sig=").expect("a signed link");
    let unknown = base.replacen(base.rsplit('/').nth(1).expect("a blob id"), NO_JOB, 1);
    let package = sample(&server, "contoso-setup.zip");
    for (what, url) in [
        ("a wrong signature", format!("{base}?sig=wrong")),
        ("another link's signature shape", format!("{base}?sig={}", "A".repeat(signature.len()))),
        ("no signature", base.to_owned()),
        ("an unknown blob", format!("{unknown}?sig={signature}")),
    ] {
        odata_error(send(&server, None, Method::PUT, &url, package.clone()), 404, &format!("PUT with {what}"));
        odata_error(send(&server, None, Method::GET, &url, Vec::new()), 404, &format!("GET with {what}"));
    }
    let put = send(&server, None, Method::PUT, &link, package.clone());
    assert_eq!(put.status(), 201, "the signed link takes the upload");
    let again = send(&server, None, Method::PUT, &link, noise(1024));
    odata_error(again, 409, "a second PUT to the same link");
    let fetched = send(&server, None, Method::GET, &link, Vec::new());
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().expect("the upload").as_ref(), package.as_slice(), "the first upload is kept whole");
}

#[test]
fn import_from_package_takes_only_the_callers_own_upload_links_and_fetches_nothing() {
    let mut server = hostile_server();
    server.register(NORTHWIND, &[Role::DataManagement], &["usmf"]);
    let (token, northwind) = (server.token(FABRIKAM), server.token(NORTHWIND));
    // A listener that would see the server fetch a URL it was handed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
    listener.set_nonblocking(true).expect("non-blocking");
    let local = format!("http://{}/package.zip", listener.local_addr().expect("an address"));
    let others = upload_link(&server, &northwind);
    assert_eq!(send(&server, None, Method::PUT, &others, sample(&server, "contoso-setup.zip")).status(), 201);
    let own = upload_link(&server, &token);
    for (what, url) in [
        ("the metadata address", "http://169.254.169.254/latest/meta-data/iam/security-credentials/".to_owned()),
        ("a local listener", local),
        ("a file URL", "file:///etc/passwd".to_owned()),
        ("this server's host with another path", server.at("/manage/clients?sig=x")),
        ("another client's upload link", others),
        ("an own link with a wrong signature", format!("{}?sig=wrong", own.split_once('?').expect("a query").0)),
    ] {
        let request = json!({ "packageUrl": url, "definitionGroupId": "Contoso setup", "executionId": "", "execute": true, "overwrite": true, "legalEntityId": "usmf" });
        let message = odata_error(action(&server, &token, "ImportFromPackage", &request), 400, what);
        assert!(message.contains("upload link"), "{what}: {message}");
    }
    assert!(listener.accept().is_err(), "the server connected to a URL a client handed it");
    // (The example export job records an execution every 100 ms; imports are what count.)
    let executions = ok_json(get(&server, &server.token(OPS), "/manage/executions?limit=1000"), "executions");
    let imports: Vec<_> = executions["value"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|execution| execution["operation"] == "Import")
        .collect();
    assert!(imports.is_empty(), "a refused import started an execution: {imports:?}");
}

#[test]
fn missing_query_parameters_and_oversized_json_bodies_answer_in_odata_json() {
    let server = hostile_server();
    let (token, ops) = (server.token(FABRIKAM), server.token(OPS));
    let before = stored(&server, &ops);
    for (what, path) in [
        ("a download without correlation-id", format!("/api/connector/download/{CUSTOMERS_EXPORT_JOB}?blob={NO_JOB}")),
        ("a job status without jobId", format!("/api/connector/jobstatus/{GROUPS_JOB}")),
    ] {
        let message = odata_error(get(&server, &token, &path), 400, what);
        assert!(message.contains("missing field"), "{what}: {message}");
    }
    let message = odata_error(get(&server, &ops, "/manage/messages?limit=abc"), 400, "a limit that is no number");
    assert!(message.contains("limit"), "{message}");
    // JSON bodies are read whole, so they stop at max_action_body_bytes (1 MB).
    // Just over the 1 MiB limit: the server answers 413 without reading the rest, and a body
    // much larger than the sockets' buffers would still be on its way when the connection
    // closes, which the client reports as a broken connection instead of the answer.
    let large = format!("{{\"CorrelationId\":\"{NO_JOB}\",\"PopReceipt\":\"{}\"}}", "x".repeat((1 << 20) + 4096));
    for path in [
        format!("/api/connector/ack/{CUSTOMERS_EXPORT_JOB}"),
        format!("{ACTIONS}GetMessageStatus"),
        "/manage/jobs".to_owned(),
    ] {
        let who = if path.starts_with("/manage") { &ops } else { &token };
        let message = odata_error(post(&server, who, &path, large.clone()), 413, &path);
        assert!(message.contains("limit"), "{path}: {message}");
    }
    assert_eq!(stored(&server, &ops), before);
}

on_both_backends!(
    each_client_reaches_only_its_own_jobs_messages_and_executions,
    management_routes_refuse_a_data_management_token_with_403_and_change_nothing,
    every_route_without_a_token_answers_401_with_a_bearer_challenge,
    tokens_wrong_in_one_claim_or_forged_are_refused_with_401,
    a_removed_clients_unexpired_token_is_refused_with_403,
    the_token_endpoint_speaks_v1_and_v2_and_refuses_in_oauth_terms,
);
