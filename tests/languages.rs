//! Plugins written in Python, JavaScript and C: built by their manifests' `[build]` commands
//! (which install their toolchains on first use), checked against their Rust twins, and run
//! inside `wharf serve`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;
use wharf::deployment::Deployment;
use wharf::run::Exit;
use wharf_plugin_sdk::ValueRef;
use wharf_tests::{check_golden, plugin, root};

use crate::cli::{path, wharf};
use crate::imports::{deployment, rows};
use crate::server::{FABRIKAM, TestServer};

/// Builds example plugin `name` (a folder under `plugins/`) once per run with
/// `wharf plugin build`, which runs its manifest's `[build]` command, and returns its `.wasm`.
pub fn language_example(name: &str) -> PathBuf {
    static BUILT: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());
    // Held while building: two tests asking for one plugin build it once, and two toolchains
    // never install at the same time on a two-core machine.
    let mut built = BUILT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(wasm) = built.get(name) {
        return wasm.clone();
    }
    let target = root().join("target/test-plugins");
    let wasm = wharf::run::plugin::build(&root().join("plugins").join(name), &target.join("languages"), Some(&target))
        .unwrap_or_else(|error| panic!("cannot build plugins/{name}: {error:#}"));
    built.insert(name.to_owned(), wasm.clone());
    wasm
}

/// A copy of the example deployment whose `company-filter` is the component `filter` (its
/// manifest renamed to `company-filter`, and set to read the status the project's value map
/// writes), with a file-mode job importing portal customers.
/// Returns the directory and the job's activity id.
fn portal_deployment(filter: &Path) -> (tempfile::TempDir, &'static str) {
    const ACTIVITY: &str = "3c9a7f52-1d4e-4b8a-9e6f-5a2b7c8d9e01";
    let (dir, opened) = deployment();
    drop(opened);
    let plugins = dir.path().join("plugins");
    let manifest = std::fs::read_to_string(filter.with_extension("toml")).expect("the filter's manifest");
    let name = manifest.lines().find(|line| line.starts_with("name = ")).expect("a name line");
    // The filter sees rows after the project's field map and value conversions: its status
    // is `Blocked`, where `All` means blocked (any case, as the filter compares).
    let manifest = manifest
        .replacen(name, "name = \"company-filter\"", 1)
        .replace("status_column = \"Status\"", "status_column = \"Blocked\"")
        .replace("inactive = \"inactive,blocked,closed\"", "inactive = \"all\"");
    std::fs::write(plugins.join("company-filter.toml"), manifest).expect("write the manifest");
    std::fs::copy(filter, plugins.join("company-filter.wasm")).expect("copy the component");
    let job = format!(
        "activity = \"{ACTIVITY}\"\nname = \"Portal customers\"\nproject = \"Portal customers\"\n\
         direction = \"import\"\nmode = \"file\"\nentity = \"Customer\"\nprocessing = \"100ms\"\n\
         monitoring = \"1m\"\n\n[[authorized]]\nclient = \"{FABRIKAM}\"\n"
    );
    std::fs::create_dir_all(dir.path().join("jobs")).expect("jobs directory");
    // An 18 MiB CPython component takes an unoptimised test build longer to compile than the
    // default limit on a busy machine; the limit itself is tested elsewhere.
    let settings = dir.path().join("wharf.toml");
    let mut text = std::fs::read_to_string(&settings).expect("the settings");
    text.push_str("\n[loading]\nmax_compile_time = \"10m\"\n");
    std::fs::write(&settings, text).expect("write the settings");
    std::fs::write(dir.path().join("jobs/portal-customers.toml"), job).expect("write the job");
    (dir, ACTIVITY)
}

/// Enqueues the portal customers sample for company `usmf` to a real server whose company
/// filter is `filter`, waits for the message to be processed, and returns the job's final
/// state with the `Customer` rows the store then holds.
fn serve_portal_import(filter: &Path) -> (String, Vec<String>) {
    let (dir, activity) = portal_deployment(filter);
    let deployment_dir = dir.path().to_owned();
    let mut server = TestServer::start_with(move |config| config.deployment = deployment_dir);
    let token = server.token(FABRIKAM);
    let sample = std::fs::read(root().join("examples/deployment/samples/portal-customers.csv")).expect("sample");
    let response = server
        .http
        .post(server.at(&format!("/api/connector/enqueue/{activity}?company=usmf&entity=Customer")))
        .bearer_auth(&token)
        .body(sample)
        .send()
        .expect("the server answers");
    let status = response.status();
    let body = response.text().expect("a body");
    assert_eq!(status, 200, "enqueue: {body}");
    let id = body.replace('"', "");
    let deadline = Instant::now() + Duration::from_secs(60);
    let state = loop {
        let status: Value = server
            .http
            .get(server.at(&format!("/api/connector/jobstatus/{activity}?jobId={id}")))
            .bearer_auth(&token)
            .send()
            .and_then(|response| response.json())
            .expect("a job status");
        let state = status["DataJobStatus"]["DataJobState"].as_str().unwrap_or_default().to_owned();
        if ["Processed", "ProcessedWithErrors", "PostProcessError", "PreProcessError"].contains(&state.as_str()) {
            break state;
        }
        assert!(Instant::now() < deadline, "message {id} did not settle: {status}");
        std::thread::sleep(Duration::from_millis(50));
    };
    server.stop();
    let opened = Deployment::open(dir.path(), None).expect("the deployment opens again");
    (state, rows(&opened, "Customer"))
}

#[test]
fn the_python_company_filter_keeps_and_drops_in_wharf_serve_exactly_what_the_rust_one_does() {
    let python = language_example("company-filter-py");
    let (rust_state, rust_rows) = serve_portal_import(&plugin("company-filter"));
    let (python_state, python_rows) = serve_portal_import(&python);
    // The sample's `Closed` status has no value mapping: that row is an error either way.
    assert_eq!(rust_state, "ProcessedWithErrors");
    assert_eq!(python_state, rust_state);
    // Kept: the active usmf customers (USMF in any case); dropped: another company's and a
    // blocked one.
    let accounts: Vec<&str> =
        python_rows.iter().filter_map(|row| row.split(' ').find_map(|f| f.strip_prefix("CustomerAccount="))).collect();
    assert_eq!(accounts, ["US-001", "US-003"], "{python_rows:#?}");
    assert_eq!(python_rows, rust_rows);
}

#[test]
fn the_python_sdk_passes_its_own_tests_under_plain_python() {
    let sdk = root().join("plugin-sdk/python");
    let output = Command::new("python3")
        .args(["-m", "unittest", "discover", "-s", "tests"])
        .current_dir(&sdk)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 runs");
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the Python SDK's tests failed:\n{report}");
    assert!(report.contains("OK"), "{report}");
}

/// The roles the C SDK has bindings for, one world each.
const C_ROLES: [&str; 4] = ["mapper", "filter", "transform", "action"];

#[test]
fn the_c_sdk_bindings_are_what_wit_bindgen_makes_of_the_wit() {
    // The bindings are checked in so that building a C plugin needs no wit-bindgen (whose
    // install compiles for minutes); this proves them current. `UPDATE_EXPECT=1` rewrites them.
    for role in C_ROLES {
        let mut resolve = wit_bindgen_core::wit_parser::Resolve::default();
        let (package, _) = resolve.push_dir(root().join("wit")).expect("the WIT parses");
        let world = resolve.select_world(&[package], Some(&format!("{role}-plugin"))).expect("the role's world");
        let options = wit_bindgen_c::Opts {
            rename_world: Some("wharf_bindings".into()),
            no_object_file: true,
            ..wit_bindgen_c::Opts::default()
        };
        let mut files = wit_bindgen_core::Files::default();
        options.build().generate(&mut resolve, world, &mut files).expect("wit-bindgen c generates");
        let mut names = Vec::new();
        for (name, contents) in files.iter() {
            let checked_in = root().join("plugin-sdk/c/wharf/bindings").join(role).join(name);
            check_golden(std::str::from_utf8(contents).expect("UTF-8 bindings"), &checked_in);
            names.push(name.to_owned());
        }
        assert_eq!(names, ["wharf_bindings.c", "wharf_bindings.h"], "{role}: the files build.sh compiles");
    }
}

/// Copies `component` and its manifest into `plugins` as plugin `name`, the manifest's own
/// name replaced, so a deployment uses it wherever it names `name`.
fn install_as(component: &Path, plugins: &Path, name: &str) {
    let manifest = std::fs::read_to_string(component.with_extension("toml")).expect("the plugin's manifest");
    let own_name = manifest.lines().find(|line| line.starts_with("name = ")).expect("a name line");
    let manifest = manifest.replacen(own_name, &format!("name = \"{name}\""), 1);
    std::fs::write(plugins.join(format!("{name}.toml")), manifest).expect("write the manifest");
    std::fs::copy(component, plugins.join(format!("{name}.wasm"))).expect("copy the component");
}

/// Imports the Northwind customers sample through `wharf import`, with `mapper` installed as
/// the example deployment's `customer-csv-mapper`. Returns the exit code, the error file's
/// content and the `Customer` rows the store then holds.
fn import_northwind(mapper: &Path) -> (Exit, String, Vec<String>) {
    let (dir, opened) = deployment();
    drop(opened);
    install_as(mapper, &dir.path().join("plugins"), "customer-csv-mapper");
    let sample = dir.path().join("samples/northwind-customers.csv");
    let (exit, out) = wharf(&[
        "import",
        path(&sample),
        "--project",
        "Northwind customers",
        "--quiet",
        "--deployment",
        path(dir.path()),
    ]);
    let error_file = out
        .lines()
        .find_map(|line| line.trim().strip_prefix("error file: "))
        .unwrap_or_else(|| panic!("no error file named in:\n{out}"));
    let errors = std::fs::read_to_string(error_file).expect("the error file");
    let opened = Deployment::open(dir.path(), None).expect("the deployment opens again");
    (exit, errors, rows(&opened, "Customer"))
}

#[test]
fn the_c_customer_mapper_imports_exactly_the_rows_and_rejects_of_the_rust_one() {
    let c_mapper = language_example("customer-csv-mapper-c");
    let (rust_exit, rust_errors, rust_rows) = import_northwind(&plugin("customer-csv-mapper"));
    let (c_exit, c_errors, c_rows) = import_northwind(&c_mapper);
    assert_eq!(rust_exit, Exit::RowsRejected);
    assert_eq!(c_exit, rust_exit);
    assert_eq!(c_rows.len(), 3, "{c_rows:#?}");
    assert_eq!(c_rows, rust_rows);
    assert!(c_errors.contains("unknown country 'Finland'"), "{c_errors}");
    assert_eq!(c_errors, rust_errors);
}

#[test]
fn the_c_customer_mapper_case_expects_what_the_rust_mapper_prints() {
    // The C twin's golden case must hold the Rust mapper's own output for the same file.
    let case = root().join("plugins/customer-csv-mapper-c/cases/northwind");
    let (_, rust_output) =
        wharf(&["plugin", "run", path(&plugin("customer-csv-mapper")), "--input", path(&case.join("input.csv"))]);
    let rust: Value = serde_json::from_str(&rust_output).expect("the Rust mapper's JSON");
    let expected = std::fs::read_to_string(case.join("expected.json")).expect("the case's expected.json");
    assert_eq!(serde_json::from_str::<Value>(&expected).expect("JSON"), rust);
    let (exit, report) = wharf(&["plugin", "test", path(&root().join("plugins/customer-csv-mapper-c"))]);
    assert_eq!(exit, Exit::Success, "{report}");
}

#[test]
fn the_javascript_company_filter_keeps_and_drops_in_wharf_serve_exactly_what_the_rust_one_does() {
    let javascript = language_example("company-filter-js");
    let (rust_state, rust_rows) = serve_portal_import(&plugin("company-filter"));
    let (js_state, js_rows) = serve_portal_import(&javascript);
    // The job's state, without the execution log that names each execution.
    let state = |state: &str| state.split(' ').next().unwrap_or_default().to_owned();
    assert_eq!(state(&js_state), state(&rust_state), "{js_state}\n{rust_state}");
    assert_eq!(js_rows, rust_rows);
    // The filter ran: the usmf customers are there, the other company's is not.
    let accounts: Vec<&str> =
        js_rows.iter().filter_map(|row| row.split(' ').find_map(|f| f.strip_prefix("CustomerAccount="))).collect();
    assert!(accounts.contains(&"US-001") && !accounts.contains(&"DE-001"), "{js_rows:#?}");
}

/// Reads the batch in `$BATCH_DIR` (`columns.json`, `rows.bin`) with the JavaScript SDK,
/// prints every cell's kind and value, and writes the batch again from those values to
/// `copy.bin`.
const JS_BATCH_ROUND_TRIP: &str = r#"
import { readFileSync, writeFileSync } from 'node:fs';
const { Batch } = await import(process.env.WHARF_SDK);
const dir = process.env.BATCH_DIR;
const batch = new Batch(JSON.parse(readFileSync(`${dir}/columns.json`, 'utf8')), readFileSync(`${dir}/rows.bin`));
const values = batch.rows().map((row) => batch.columns.map((name) => row.value(name)));
const cells = values.map((row) => row.map(({ kind, value }) => [kind, value === null ? null : String(value)]));
process.stdout.write(JSON.stringify(cells));
writeFileSync(`${dir}/copy.bin`, Batch.fromRows(batch.columns, values).bytes);
"#;

#[test]
fn the_javascript_sdk_reads_and_writes_row_batches_byte_for_byte_as_the_rust_sdk_does() {
    let sdk = root().join("plugin-sdk/js/wharf/wharf.js");
    let mut node = Command::new("node");
    node.args(["--input-type=module", "-e", JS_BATCH_ROUND_TRIP]).env("WHARF_SDK", format!("file://{}", sdk.display()));
    let cells = round_trip_every_kind(9_007_199_254_740_993, &mut node, "node (Node 18 or newer)");
    let expected = serde_json::json!([
        [
            ["string", "Århus ✓ \"quoted\""],
            ["integer", "-9223372036854775808"],
            ["decimal", "-1234.50"],
            ["float", "0.1"],
            ["boolean", "true"],
            ["date", "2026-11-21"],
            ["datetime", "2026-11-21T08:30:00Z"],
            ["null", null]
        ],
        [
            ["string", ""],
            ["integer", "9007199254740993"],
            ["decimal", "0"],
            ["float", "-2"],
            ["boolean", "false"],
            ["date", "1900-01-01"],
            ["datetime", "1999-12-31T23:59:59Z"],
            ["integer", "-42"]
        ]
    ]);
    assert_eq!(cells, expected);
}

#[test]
fn the_javascript_sdk_passes_its_own_tests_under_node() {
    let output = Command::new("node")
        .args(["--test", "tests/"])
        .current_dir(root().join("plugin-sdk/js"))
        .output()
        .expect("node runs (Node 18 or newer is needed for JavaScript plugins)");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the JavaScript SDK's tests failed:\n{report}");
    assert!(report.contains("# fail 0"), "{report}");
}

/// Reads the batch in `$BATCH_DIR` (`columns.json`, `rows.bin`) with the Python SDK, prints
/// every cell's kind and value, and writes the batch again from those values to `copy.bin`.
const PYTHON_BATCH_ROUND_TRIP: &str = r#"
import json, os, sys
from wharf_plugin import Batch
from wharf_plugin.values import type_name
folder = os.environ["BATCH_DIR"]
with open(os.path.join(folder, "columns.json")) as file:
    columns = json.load(file)
with open(os.path.join(folder, "rows.bin"), "rb") as file:
    batch = Batch(columns, file.read())
values = [row.values() for row in batch]
cells = [[[type_name(value), None if value is None else str(value)] for value in row] for row in values]
json.dump(cells, sys.stdout)
with open(os.path.join(folder, "copy.bin"), "wb") as file:
    file.write(Batch.from_rows(columns, values).data)
"#;

#[test]
fn the_python_sdk_reads_and_writes_row_batches_byte_for_byte_as_the_rust_sdk_does() {
    let mut python = Command::new("python3");
    python.args(["-c", PYTHON_BATCH_ROUND_TRIP]).env("PYTHONPATH", root().join("plugin-sdk/python"));
    let cells = round_trip_every_kind(i64::MAX, python.env("PYTHONDONTWRITEBYTECODE", "1"), "python3");
    let expected = serde_json::json!([
        [
            ["string", "Århus ✓ \"quoted\""],
            ["integer", "-9223372036854775808"],
            ["decimal", "-1234.50"],
            ["float", "0.1"],
            ["boolean", "True"],
            ["date", "2026-11-21"],
            ["datetime", "2026-11-21T08:30:00Z"],
            ["null", null]
        ],
        [
            ["string", ""],
            ["integer", "9223372036854775807"],
            ["decimal", "0"],
            ["float", "-2.0"],
            ["boolean", "False"],
            ["date", "1900-01-01"],
            ["datetime", "1999-12-31T23:59:59Z"],
            ["integer", "-42"]
        ]
    ]);
    assert_eq!(cells, expected);
}

/// Hands a batch of every kind of value (with `large` as its second row's integer) to
/// `reader`, a command that finds `columns.json` and `rows.bin` in the folder `BATCH_DIR`,
/// prints each cell's kind and value as JSON, and writes the batch again from those values to
/// `copy.bin`. Checks the copy is the Rust SDK's batch byte for byte; returns what it printed.
fn round_trip_every_kind(large: i64, reader: &mut Command, what: &str) -> Value {
    let columns = ["Text", "Integer", "Decimal", "Float", "Boolean", "Date", "DateTime", "Note"];
    let mut builder = wharf_plugin_sdk::BatchBuilder::new(columns);
    builder.push_row(&[
        ValueRef::String("Århus ✓ \"quoted\""),
        ValueRef::Integer(i64::MIN),
        ValueRef::Decimal("-1234.50"),
        ValueRef::Float(0.1),
        ValueRef::Boolean(true),
        ValueRef::Date("2026-11-21"),
        ValueRef::DateTime("2026-11-21T08:30:00Z"),
        ValueRef::Null,
    ]);
    builder.push_row(&[
        ValueRef::String(""),
        ValueRef::Integer(large),
        ValueRef::Decimal("0"),
        ValueRef::Float(-2.0),
        ValueRef::Boolean(false),
        ValueRef::Date("1900-01-01"),
        ValueRef::DateTime("1999-12-31T23:59:59Z"),
        ValueRef::Integer(-42),
    ]);
    let batch = builder.finish();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("columns.json"), serde_json::to_string(&columns).expect("json")).expect("write");
    std::fs::write(dir.path().join("rows.bin"), batch.data()).expect("write");
    let output = reader.env("BATCH_DIR", dir.path()).output().unwrap_or_else(|error| panic!("{what} runs: {error}"));
    assert!(output.status.success(), "{what} failed: {}", String::from_utf8_lossy(&output.stderr));
    let cells =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("{what} printed no JSON: {error}"));
    let copy =
        std::fs::read(dir.path().join("copy.bin")).unwrap_or_else(|error| panic!("{what} wrote no copy: {error}"));
    assert_eq!(copy, batch.data(), "{what} wrote the batch differently");
    cells
}
