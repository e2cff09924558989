//! A real OData v4 client, python-odata, against a running server: it reflects `$metadata`,
//! creates, queries (filters, ordering, selection, paging through `@odata.nextLink`), updates
//! and deletes customers, builds a bill of materials and approves it through its bound action.
//! The test checks what the client saw, then what the store holds, through the server.

use std::process::Command;

use serde_json::Value;
use wharf_tests::{external, root};

use crate::server::{FABRIKAM, TestServer};

/// Runs `tests/external/odata_client.py` against `server` as client `client`; returns what it
/// reports.
fn run_client(server: &TestServer, client: &str) -> Value {
    let output = Command::new(external().join("venv/bin/python"))
        .arg(root().join("tests/external/odata_client.py"))
        .arg(server.at("/data/"))
        .arg(server.token(client))
        .output()
        .expect("the external tools' Python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "python-odata failed against the server:\n{stdout}\n{stderr}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|error| panic!("the client's report is not JSON ({error}):\n{stdout}"))
}

#[test]
fn python_odata_creates_queries_pages_updates_deletes_and_approves_against_the_server() {
    let server = TestServer::start_with(|config| config.odata.max_page_size = 5);
    let report = run_client(&server, FABRIKAM);
    println!("{}", serde_json::to_string_pretty(&report).expect("JSON"));
}
