//! Imports that stop at staging, as D365's `execute=false` and "import to staging only" do:
//! rows are kept per execution with their errors, an operator corrects or drops the rejected
//! ones over the management API or `wharf staging`, and a copy moves the valid rows to the
//! target once. Every test drives a real server; the command line runs against its store.

use std::io::{Cursor, Write as _};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wharf::auth::Role;
use wharf::formats::package::{PackageReader, PackageWriter, ZipLimits};
use wharf::run::Exit;

use crate::cli::{path, wharf};
use crate::imports::deployment;
use crate::security::{action, get, job, message, odata_error, ok_json, post, sample, send, upload_link};
use crate::server::{Backend, FABRIKAM, OPS, TestServer, on_both_backends};

/// Three customer groups: `S1` valid, `S2` with a value its enum does not have, `S3` with an id
/// longer than the entity allows.
const GROUPS: &str = "CustomerGroupId,Description,PaymentTermId,IsSalesTaxIncludedInPrice\n\
                      S1,Staged one,Net30,No\n\
                      S2,Staged two,Net30,Maybe\n\
                      S3-MUCH-TOO-LONG,Staged three,Net30,No\n";

/// The example setup package with its customer groups replaced by `csv`.
fn setup_package(server: &TestServer, csv: &str) -> Vec<u8> {
    let mut reader = PackageReader::open(Cursor::new(sample(server, "contoso-setup.zip")), &ZipLimits::default())
        .expect("the sample package opens");
    let (manifest, header) = (reader.manifest().clone(), reader.header().expect("a header").clone());
    let mut writer = PackageWriter::new(Cursor::new(Vec::new()));
    for entity in &manifest.entities {
        let mut bytes = Vec::new();
        reader.extract(&entity.input_file_path, &mut bytes).expect("an entity file");
        if entity.entity_name == "Customer groups" {
            // CSV-Unicode, as the package's manifest says.
            bytes = [0xFF, 0xFE].into_iter().chain(csv.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        }
        writer.start_entity_file(&entity.input_file_path).expect("an entry").write_all(&bytes).expect("written");
    }
    writer.finish(&manifest, &header).expect("a package").into_inner()
}

/// Uploads `package` and calls `ImportFromPackage` with `execute`; returns the execution id.
fn import_package(server: &TestServer, token: &str, package: Vec<u8>, execute: bool) -> String {
    let link = upload_link(server, token);
    assert_eq!(send(server, None, Method::PUT, &link, package).status(), 201);
    let request = json!({
        "packageUrl": link, "definitionGroupId": "Contoso setup", "executionId": "",
        "execute": execute, "overwrite": true, "legalEntityId": "USMF",
    });
    let answer = ok_json(action(server, token, "ImportFromPackage", &request), "ImportFromPackage");
    answer["value"].as_str().expect("an execution id").to_owned()
}

/// `GetExecutionSummaryStatus`, once the execution has left `NotRun` and `Executing`.
fn settled(server: &TestServer, token: &str, id: &str) -> String {
    let status = || {
        let answer = action(server, token, "GetExecutionSummaryStatus", &json!({ "executionId": id }));
        ok_json(answer, "GetExecutionSummaryStatus")["value"].as_str().unwrap_or_default().to_owned()
    };
    server.wait_for("the execution to settle", || !["NotRun", "Executing"].contains(&status().as_str()));
    status()
}

/// The customer group ids of company usmf in the target.
fn groups(server: &TestServer, token: &str) -> Vec<String> {
    let rows = ok_json(get(server, token, "/data/CustomerGroups?$select=CustomerGroupId"), "the groups");
    rows["value"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["CustomerGroupId"].as_str().unwrap_or("").into())
        .collect()
}

fn execution_path(id: &str) -> String {
    format!("/manage/executions/{}", id.replace(' ', "%20"))
}

/// The staged rows of execution `id`: `query` as the route takes it.
fn staged(server: &TestServer, token: &str, id: &str, query: &str) -> Value {
    ok_json(get(server, token, &format!("{}/staging{query}", execution_path(id))), "the staged rows")
}

/// The number of the staged row of group `group`.
fn number_of(rows: &Value, group: &str) -> u64 {
    let rows = rows["value"].as_array().expect("rows");
    let row = rows.iter().find(|row| row["values"]["CustomerGroupId"] == group);
    row.and_then(|row| row["number"].as_u64()).unwrap_or_else(|| panic!("no staged row of {group} in {rows:?}"))
}

/// The execution record of entity `label` in execution `id`.
fn entity_record(server: &TestServer, token: &str, id: &str, label: &str) -> Value {
    let execution = ok_json(get(server, token, &execution_path(id)), "the execution");
    let entities = execution["entities"].as_array().expect("entities").clone();
    entities.into_iter().find(|entity| entity["entity"] == label).unwrap_or_else(|| panic!("no {label}: {execution}"))
}

fn patch(server: &TestServer, token: &str, path: &str, body: &str) -> reqwest::blocking::Response {
    send(server, Some(token), Method::PATCH, path, body.to_owned())
}

fn execute_false_stops_at_staging_and_the_operator_corrects_drops_and_copies_once(backend: Backend) {
    let mut server = TestServer::start_on(backend);
    server.register("demf-admin", &[Role::Admin], &["demf"]);
    server.register("usmf-admin", &[Role::Admin], &["usmf"]);
    let (token, ops, other) = (server.token(FABRIKAM), server.token(OPS), server.token("demf-admin"));
    let own = server.token("usmf-admin");
    let id = import_package(&server, &token, setup_package(&server, GROUPS), false);

    assert_eq!(settled(&server, &token, &id), "PartiallySucceeded", "two groups were rejected in staging");
    assert!(!groups(&server, &token).contains(&"S1".to_owned()), "nothing reaches the target before the copy");
    let record = entity_record(&server, &ops, &id, "Customer groups");
    assert_eq!(
        (
            &record["staging_status"],
            &record["target_status"],
            &record["staging_records"],
            &record["staging_error_count"]
        ),
        (&json!("Finished"), &json!("NotRun"), &json!(1), &json!(2)),
        "{record}"
    );

    let all = staged(&server, &ops, &id, "");
    let rejected = staged(&server, &ops, &id, "?errors=true");
    assert_eq!(rejected["count"], 2, "{rejected}");
    assert!(all["count"].as_u64() > Some(3), "the package's other entities are staged too: {all}");
    let page = staged(&server, &ops, &id, "?errors=true&limit=1&offset=1");
    assert_eq!((page["count"].clone(), page["value"].as_array().map(Vec::len)), (json!(2), Some(1)), "{page}");
    let (two, three) = (number_of(&rejected, "S2"), number_of(&rejected, "S3-MUCH-TOO-LONG"));
    assert_eq!((number_of(&all, "S1"), two, three), (1, 2, 3), "rows are numbered in source order");
    let two_row = rejected["value"].as_array().expect("rows").iter().find(|row| row["number"] == two).expect("S2");
    assert_eq!(two_row["status"], "Error");
    assert_eq!(two_row["errors"][0]["field"], "IsSalesTaxIncludedInPrice", "{two_row}");
    let errors = ok_json(action(&server, &token, "GetExecutionErrors", &json!({ "executionId": id })), "errors");
    assert!(errors["value"].as_str().is_some_and(|errors| errors.contains("Maybe")), "{errors}");

    // Corrections that do not make a valid row change nothing.
    let row = |number: u64| format!("{}/staging/CustomerGroup/{number}", execution_path(&id));
    for (body, what) in [
        (r#"{"IsSalesTaxIncludedInPrice": "Perhaps"}"#, "a value outside the enum"),
        (r#"{"IsSalesTaxIncludedInPrice": {"value": "Yes"}}"#, "an object for a value"),
        (r#"{"NoSuchField": "x"}"#, "an unknown field"),
        (r#"["IsSalesTaxIncludedInPrice", "Yes"]"#, "a list for a body"),
        ("not json", "a body that is not JSON"),
    ] {
        odata_error(patch(&server, &ops, &row(two), body), 400, what);
    }
    let moved = r#"{"IsSalesTaxIncludedInPrice": "Yes", "dataAreaId": "demf"}"#;
    let refused = odata_error(patch(&server, &own, &row(two), moved), 400, "a correction into another company");
    assert!(refused.contains("demf"), "{refused}");
    odata_error(patch(&server, &ops, &row(999), r#"{"Description": "x"}"#), 404, "an unknown row");
    let unknown_entity = format!("{}/staging/NoSuchEntity/1", execution_path(&id));
    odata_error(patch(&server, &ops, &unknown_entity, r#"{"Description": "x"}"#), 404, "an unknown entity");
    odata_error(get(&server, &ops, "/manage/executions/no-such-execution/staging"), 404, "an unknown execution");
    assert_eq!(staged(&server, &ops, &id, "?errors=true")["count"], 2, "the refused corrections changed nothing");

    // Another company's admin sees nothing of it and can change nothing.
    odata_error(get(&server, &other, &format!("{}/staging", execution_path(&id))), 404, "another company's staging");
    odata_error(patch(&server, &other, &row(two), r#"{"IsSalesTaxIncludedInPrice": "Yes"}"#), 404, "its correction");
    let delete = send(&server, Some(&other), Method::DELETE, &row(three), Vec::new());
    odata_error(delete, 404, "its drop");
    odata_error(post(&server, &other, &format!("{}/copy", execution_path(&id)), Vec::new()), 404, "its copy");
    // A data-management client is no operator.
    odata_error(get(&server, &token, &format!("{}/staging", execution_path(&id))), 403, "a client's look");

    let corrected = ok_json(patch(&server, &ops, &row(two), r#"{"isSalesTaxIncludedInPrice": "yes"}"#), "a fix");
    assert_eq!(
        (&corrected["status"], &corrected["values"]["IsSalesTaxIncludedInPrice"]),
        (&json!("NotStarted"), &json!("Yes"))
    );
    assert_eq!(send(&server, Some(&ops), Method::DELETE, &row(three), Vec::new()).status(), 204);
    odata_error(send(&server, Some(&ops), Method::DELETE, &row(three), Vec::new()), 404, "a dropped row again");
    assert_eq!(staged(&server, &ops, &id, "?errors=true")["count"], 0);

    let copied = ok_json(post(&server, &ops, &format!("{}/copy", execution_path(&id)), Vec::new()), "the copy");
    assert_eq!(copied["status"], "Succeeded", "{copied}");
    assert_eq!(settled(&server, &token, &id), "Succeeded");
    let record = entity_record(&server, &ops, &id, "Customer groups");
    assert_eq!(
        (
            &record["target_status"],
            &record["target_records"],
            &record["staging_error_count"],
            &record["target_error_count"]
        ),
        (&json!("Finished"), &json!(2), &json!(0), &json!(0)),
        "{record}"
    );
    let target = groups(&server, &token);
    assert!(target.contains(&"S1".to_owned()) && target.contains(&"S2".to_owned()), "{target:?}");
    assert!(!target.iter().any(|group| group.starts_with("S3")), "a dropped row never reaches the target");
    let errors = ok_json(action(&server, &token, "GetExecutionErrors", &json!({ "executionId": id })), "errors");
    assert_eq!(errors["value"], "[]", "corrected and dropped rows leave no errors behind");

    let again =
        odata_error(post(&server, &ops, &format!("{}/copy", execution_path(&id)), Vec::new()), 409, "a copy again");
    assert!(again.contains("already"), "{again}");
    odata_error(patch(&server, &ops, &row(two), r#"{"Description": "late"}"#), 409, "a fix after the copy");
    let listed = staged(&server, &ops, &id, "");
    assert!(listed["value"].as_array().expect("rows").iter().all(|row| row["status"] == "Completed"), "{listed}");

    // execute=true still runs through, and its execution has no staging to copy.
    let through =
        import_package(&server, &token, setup_package(&server, "CustomerGroupId,Description\nT1,Through\n"), true);
    assert_eq!(settled(&server, &token, &through), "Succeeded");
    assert!(groups(&server, &token).contains(&"T1".to_owned()));
    odata_error(post(&server, &ops, &format!("{}/copy", execution_path(&through)), Vec::new()), 409, "no staging");
}

fn a_staging_only_job_waits_for_wharf_staging_to_fix_drop_and_copy(backend: Backend) {
    let server = TestServer::start_on(backend);
    let (token, ops) = (server.token(FABRIKAM), server.token(OPS));
    let activity = "5e7a1c2b-3d4f-4a6b-8c9d-0e1f2a3b4c5d";
    let mut definition = job(activity, "Customer groups", "import", "file", "usmf", FABRIKAM);
    definition["staging_only"] = json!(true);
    assert_eq!(post(&server, &ops, "/manage/jobs", definition.to_string()).status(), 201);
    let enqueued = post(&server, &token, &format!("/api/connector/enqueue/{activity}"), GROUPS.as_bytes().to_vec());
    let message_id = ok_json(enqueued, "an enqueue").as_str().expect("a message id").to_owned();
    server.wait_for("the message to be processed", || {
        !["Enqueued", "Processing"]
            .contains(&message(&server, &ops, &message_id)["Status"].as_str().unwrap_or_default())
    });
    let execution = message(&server, &ops, &message_id)["ExecutionId"].as_str().expect("an execution").to_owned();
    assert!(!groups(&server, &token).contains(&"S1".to_owned()), "a staging-only job writes nothing to the target");
    let job_status = || {
        let url = format!("/api/connector/jobstatus/{activity}?jobId={message_id}");
        let status = ok_json(get(&server, &token, &url), "the job status");
        let detail = status["ExecutionDetail"][0].clone();
        (detail["StagingStatus"].clone(), detail["TargetStatus"].clone(), detail["TargetRecords"].clone())
    };
    assert_eq!(job_status(), (json!("Finished"), json!("NotRun"), json!(0)), "staged, not in the target");

    let deployment = path(server.dir.path()).to_owned();
    let cli = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--deployment", deployment.as_str()]);
        if let Some(url) = server.database_url() {
            all.extend(["--database", url]);
        }
        wharf(&all)
    };
    let (exit, out) = cli(&["staging", "list", &execution, "--errors"]);
    assert_eq!(exit, Exit::Success, "{out}");
    assert!(out.contains("2 staged rejected rows"), "{out}");
    assert!(out.contains("IsSalesTaxIncludedInPrice") && out.contains("Maybe"), "the reason and the value: {out}");
    let (exit, out) = cli(&["staging", "list", &execution, "--json"]);
    assert_eq!(exit, Exit::Success, "{out}");
    let rows: Vec<Value> = out.lines().map(|line| serde_json::from_str(line).expect("one JSON row a line")).collect();
    let number = |group: &str| {
        let row = rows.iter().find(|row| row["values"]["CustomerGroupId"] == group).expect("the group's row");
        row["number"].as_u64().expect("a number").to_string()
    };
    let (two, three) = (number("S2"), number("S3-MUCH-TOO-LONG"));

    let (exit, out) =
        cli(&["staging", "fix", &execution, "Customer groups", &two, "IsSalesTaxIncludedInPrice=Sometimes"]);
    assert_eq!(exit, Exit::Failed, "a correction that is still wrong: {out}");
    assert!(out.contains("IsSalesTaxIncludedInPrice"), "{out}");
    let (exit, out) = cli(&["staging", "fix", &execution, "Customer groups", &two, "no equals sign"]);
    assert_eq!(exit, Exit::Usage, "{out}");
    let (exit, out) = cli(&["staging", "drop", &execution, "Customer groups", "4242"]);
    assert_eq!(exit, Exit::Failed, "an unknown row: {out}");
    let (exit, out) = cli(&["staging", "fix", &execution, "Customer groups", &two, "IsSalesTaxIncludedInPrice=Yes"]);
    assert_eq!(exit, Exit::Success, "{out}");
    let (exit, out) = cli(&["staging", "drop", &execution, "CustomerGroup", &three]);
    assert_eq!(exit, Exit::Success, "{out}");

    let (exit, out) = cli(&["staging", "copy", &execution]);
    assert_eq!(exit, Exit::Success, "{out}");
    assert!(out.contains("Succeeded") && out.contains("imported 2"), "{out}");
    let target = groups(&server, &token);
    assert!(target.contains(&"S1".to_owned()) && target.contains(&"S2".to_owned()), "{target:?}");
    let (exit, out) = cli(&["staging", "copy", &execution]);
    assert_eq!(exit, Exit::Failed, "a second copy: {out}");
    assert!(out.contains("already"), "{out}");
    let record = entity_record(&server, &ops, &execution, "Customer groups");
    assert_eq!((&record["target_status"], &record["target_records"]), (&json!("Finished"), &json!(2)), "{record}");
    assert_eq!(job_status(), (json!("Finished"), json!("Finished"), json!(2)), "the job status after the copy");
}

fn the_retention_removes_staged_rows_with_their_execution(backend: Backend) {
    let server = TestServer::start_on_with(backend, |config| {
        config.jobs.queue.retention = Duration::from_secs(3);
        config.jobs.queue.cleanup_interval = Duration::from_millis(100);
    });
    let token = server.token(FABRIKAM);
    let id = import_package(&server, &token, setup_package(&server, GROUPS), false);
    settled(&server, &token, &id);
    let store = server.store();
    let count = || store.staged_rows(&id, false, 0, 10).expect("the staging reads").0;
    assert!(count() > 0, "the rows are staged before the retention ends");
    server.wait_for("the retention to remove the staging", || count() == 0);
    assert!(store.execution(&id).expect("reads").is_none(), "and the execution with it");
}

#[test]
fn wharf_import_stops_at_staging_when_asked_or_when_its_project_says_so() {
    for project in [&["--project", "Customer groups", "--staging-only"][..], &["--project", "Customer groups, staged"]]
    {
        let (dir, deployment) = deployment();
        let definition = std::fs::read_to_string(dir.path().join("projects/customer-groups.toml")).expect("a project");
        let staged =
            definition.replace("name = \"Customer groups\"", "name = \"Customer groups, staged\"\nstaging_only = true");
        std::fs::write(dir.path().join("projects/customer-groups-staged.toml"), staged).expect("a project");
        let root = path(dir.path()).to_owned();
        let sample = path(&dir.path().join("samples/customer-groups.csv")).to_owned();
        let entity = deployment.pipeline.catalog.require("CustomerGroup").expect("the entity").clone();
        let rows = || deployment.pipeline.store.count(&entity, None).expect("a count");

        let mut args = vec!["import", sample.as_str(), "--deployment", root.as_str(), "--company", "usmf", "--quiet"];
        args.extend(project);
        let (exit, out) = wharf(&args);
        assert_eq!(exit, Exit::Success, "{project:?}: {out}");
        assert_eq!(rows(), 0, "{project:?}: nothing reaches the target before the copy");
        // `execution <id>: <status>`; ids hold the project's name, spaces and all.
        let first = out.lines().next().and_then(|line| line.strip_prefix("execution ")).expect("the summary");
        let execution = first.rsplit_once(": ").expect("an execution id").0.to_owned();
        let (exit, out) = wharf(&["staging", "list", &execution, "--deployment", &root]);
        assert_eq!(exit, Exit::Success, "{out}");
        assert!(out.contains("NotStarted") && !out.contains("Error"), "{out}");
        let (exit, out) = wharf(&["staging", "copy", &execution, "--deployment", &root]);
        assert_eq!(exit, Exit::Success, "{out}");
        assert!(rows() > 0, "{project:?}: the copy fills the target");
    }
}

on_both_backends!(
    execute_false_stops_at_staging_and_the_operator_corrects_drops_and_copies_once,
    a_staging_only_job_waits_for_wharf_staging_to_fix_drop_and_copy,
    the_retention_removes_staged_rows_with_their_execution,
);
