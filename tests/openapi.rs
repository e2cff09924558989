//! The OpenAPI document at `/openapi.json`: its snapshot, the routes it covers, and
//! schemathesis driving the real server from it.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Instant;

use serde_json::Value;
use wharf::auth::{Companies, Role};
use wharf_tests::{check_golden, external, root};

use crate::server::{CUSTOMERS_EXPORT_JOB, FABRIKAM, GROUPS_JOB, TestServer};

/// The prefixes whose every route the document must describe.
const DOCUMENTED: [&str; 6] = [
    "/api/connector/",
    "/{lang}/api/connector/",
    "/data/DataManagementDefinitionGroups/",
    "/oauth2/",
    "/{tenant}/oauth2/",
    "/manage/",
];

/// The files that register the documented routes.
const REGISTERING: [&str; 7] = ["connector", "packages", "token", "manage", "staging", "releases", "replicas"];

/// `GET /openapi.json`, without a token, checked to be JSON.
fn fetch(server: &TestServer) -> Value {
    let response = server.http.get(server.at("/openapi.json")).send().expect("the server answers");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().expect("a text header").to_owned();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    response.json().expect("the document is JSON")
}

/// Every (method, path) the document describes.
fn operations(document: &Value) -> Vec<(String, String)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if method != "parameters" {
                operations.push((method.clone(), path.clone()));
            }
        }
    }
    operations
}

#[test]
fn the_document_matches_its_snapshot() {
    let server = TestServer::start();
    let document = fetch(&server);
    let text = serde_json::to_string_pretty(&document).expect("the document renders") + "\n";
    check_golden(&text, &root().join("tests/data/openapi.json"));
}

#[test]
fn the_document_is_openapi_3_1_and_every_reference_in_it_resolves() {
    let document = wharf::api::openapi_document();
    assert_eq!(document["openapi"], "3.1.0");
    let text = document.to_string();
    let mut references = BTreeSet::new();
    for piece in text.split("\"$ref\":\"").skip(1) {
        references.insert(piece.split('"').next().expect("a reference").to_owned());
    }
    assert!(references.contains("#/components/schemas/ApiError"), "{references:?}");
    for reference in references {
        let pointer = reference.strip_prefix('#').expect("a local reference");
        assert!(document.pointer(pointer).is_some(), "{reference} resolves to nothing");
    }
    // Every operation says what it answers when it fails, and every failure has a body.
    for (method, path) in operations(&document) {
        let responses = document["paths"][&path][&method]["responses"].as_object().expect("responses");
        assert!(responses.contains_key("500"), "{method} {path} has no 500");
        let open = document["paths"][&path][&method]["security"] == serde_json::json!([{}]);
        assert!(open || responses.contains_key("401"), "{method} {path} takes a token but has no 401");
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert!(response["content"]["application/json"]["schema"].is_object(), "{method} {path} {status}");
            }
        }
    }
}

#[test]
fn every_documented_route_is_served_and_answers_only_its_documented_methods() {
    let server = TestServer::start();
    let token = server.token(crate::server::OPS);
    let document = fetch(&server);
    let operations = operations(&document);
    for prefix in DOCUMENTED {
        assert!(operations.iter().any(|(_, path)| path.starts_with(prefix)), "nothing under {prefix} is documented");
    }
    let methods = ["get", "put", "post", "delete", "patch"];
    let paths: BTreeSet<&String> = operations.iter().map(|(_, path)| path).collect();
    for path in paths {
        // Parameters get values of their type; what they name need not exist.
        let url = server.at(&path
            .replace("{lang}", "en")
            .replace("{tenant}", "common")
            .replace("{number}", "1")
            .replace("{action}", "Microsoft.Dynamics.DataEntities.GetMessageStatus")
            .replace("{activity}", "7a1b0f43-9d0e-4b57-8c53-0c2f6f1de001")
            .replace("{blob}", "7a1b0f43-9d0e-4b57-8c53-0c2f6f1de002")
            .replace(['{', '}'], ""));
        for method in methods {
            let documented = operations.iter().any(|(known, known_path)| known == method && known_path == path);
            let request =
                server.http.request(method.to_uppercase().parse().expect("a method"), &url).bearer_auth(&token);
            let response = request.body("{}").send().expect("the server answers");
            let status = response.status().as_u16();
            let body = response.text().unwrap_or_default();
            if documented {
                // The router's own answers: no route, or no such method on it.
                assert!(!body.contains("No resource matches the request URL."), "{method} {path} is not served");
                assert_ne!(status, 405, "{method} {path} is documented but refused: {body}");
            } else {
                assert_eq!(status, 405, "{method} {path} is served but not documented: {body}");
            }
        }
    }
}

#[test]
fn the_documented_modules_register_routes_only_through_the_document() {
    // A route added with axum's own `.route` would be served but missing from the document;
    // the documented modules register theirs with `routes!`, which does both.
    for name in REGISTERING {
        let file = root().join(format!("host/src/api/{name}.rs"));
        let source = std::fs::read_to_string(&file).expect("the module's source");
        assert!(!source.contains(".route("), "{} registers a route outside the OpenAPI document", file.display());
    }
    let router = std::fs::read_to_string(root().join("host/src/api/mod.rs")).expect("the router's source");
    for name in REGISTERING {
        assert!(!router.contains(&format!("{name}::routes()")), "mod.rs registers {name}'s routes past the document");
    }
}

#[test]
fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let python = external().join("venv/bin/st");
    let server = TestServer::start_with(|config| {
        // Schemathesis sends hundreds of requests a second from one client and one address:
        // the request budgets would answer most of them 429.
        config.limits.requests_per_second = 1_000_000;
        config.limits.burst = 1_000_000;
        config.limits.token_requests_per_minute = 1_000_000;
        config.limits.token_burst = 1_000_000;
    });
    // One client that may do everything: admin and data management, every company, and on
    // every example job's policy.
    let mut client = server.auth.client(FABRIKAM).expect("the client is registered");
    client.roles = BTreeSet::from([Role::Admin, Role::DataManagement]);
    client.companies = Companies::All;
    server.auth.set_client(&client).expect("the client changes");
    // Schemathesis learns the ids `GET /manage/clients` lists and edits those clients, its own
    // among them: the server refuses a client's change to its own rights (409), so it keeps
    // them all run long, which the end of this test checks.
    let token = server.token(FABRIKAM);
    let work = tempfile::tempdir().expect("a directory");
    let config = work.path().join("schemathesis.toml");
    std::fs::write(&config, schemathesis_config()).expect("the configuration is written");
    let started = Instant::now();
    let output = Command::new(python)
        .current_dir(work.path())
        .arg("--config-file")
        .arg(&config)
        .args(["run", &server.at("/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        // Every check, less those that cannot hold for D365's contract:
        // - positive_data_acceptance expects a valid request to succeed, but a valid GUID names
        //   no job, message or client here (404), and D365 answers a dequeue of the wrong
        //   direction, a missing project or an action's missing parameter 400;
        // - negative_data_rejection expects every request outside the schema refused, but the
        //   connector and the package actions accept what D365 accepts beyond it (single-quoted
        //   JSON, numbers for strings, any member case, unknown members and query parameters).
        .args(["--checks", "all", "--exclude-checks", "positive_data_acceptance,negative_data_rejection"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        // One worker: with two, schemathesis's threads parse generator sources concurrently and
        // CPython 3.11's `ast` fails under that ("AST constructor recursion depth mismatch"),
        // failing the run with an error of the tool, not of the server.
        .args(["--max-examples", "25", "--seed", "17", "--workers", "1", "--max-time", "170"])
        .args(["--report", "junit", "--report-dir"])
        .arg(work.path().join("report"))
        .output()
        .expect("schemathesis runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    let summary = root().join("target/schemathesis.txt");
    let _ = std::fs::write(&summary, &text);
    println!("schemathesis ran {:?}; its output is in {}", started.elapsed(), summary.display());
    assert!(output.status.success(), "schemathesis failed:\n{text}");
    assert!(!text.contains("Server error"), "{text}");
    let after = server.auth.client(FABRIKAM);
    assert_eq!(after.as_ref(), Some(&client), "schemathesis's own client was changed during the run: {text}");
    assert!(!text.contains("only 401/403 responses"), "every operation was reached with the client's rights: {text}");
}

/// Schemathesis's configuration: the connector's activity ids fixed to the example jobs', so
/// that enqueues, dequeues and acks reach a real queue.
fn schemathesis_config() -> String {
    let mut config = String::new();
    for (operation, activity) in [
        ("enqueue", GROUPS_JOB),
        ("job_status", GROUPS_JOB),
        ("dequeue", CUSTOMERS_EXPORT_JOB),
        ("ack", CUSTOMERS_EXPORT_JOB),
        ("download", CUSTOMERS_EXPORT_JOB),
    ] {
        for id in [operation.to_owned(), format!("{operation}_in_language")] {
            config += &format!(
                "[[operations]]\ninclude-operation-id = \"{id}\"\nparameters = {{ \"path.activity\" = \"{activity}\" }}\n\n"
            );
        }
    }
    config
}
