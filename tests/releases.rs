//! Safe releases through a real server: a candidate replayed over a job's recorded messages
//! reports exactly the differences it would make and writes nothing (`wharf plugin replay` and
//! the management API); a canary that rejects more rows is rolled back and a good one promoted;
//! a serving version whose traps spike is quarantined and the previous one restored; every
//! decision is recorded, visible, and outlives a restart.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use wharf::run::{Exit, execute};
use wharf_tests::{plugin, root};

use crate::server::{FABRIKAM, OPS, TestServer};

/// The Northwind customers import job the tests add to the example deployment.
const NORTHWIND_JOB: &str = "3f2b8c1e-7d4a-4b5e-9c6f-1a2b3c4d5e6f";
/// The customer mapper's name.
const MAPPER: &str = "customer-csv-mapper";
/// A Northwind file of two good customers: one in the USA, one in Germany.
const TWO_CUSTOMERS: &str = "cust_no,company_name,street,postcode,city,country,phone,credit_limit\n\
    c2001,Contoso Deli,1 Main St,98052,Redmond,US,,100\n\
    c2002,Kaffee Haus,Hauptstr. 1,10115,Berlin,DE,,200\n";

/// A server over the example deployment with the Northwind job, `settings` appended to its
/// `wharf.toml`.
fn server_with_northwind_job(settings: &str) -> TestServer {
    let settings = settings.to_owned();
    TestServer::start_with(move |config| {
        let dir = config.deployment.clone();
        let job = format!(
            "activity = \"{NORTHWIND_JOB}\"\nname = \"Northwind customers\"\nproject = \"Northwind customers\"\n\
             direction = \"import\"\nmode = \"file\"\nentity = \"Customer\"\nprocessing = \"100ms\"\n\
             monitoring = \"1m\"\nin_order = true\n\n[[authorized]]\nclient = \"{FABRIKAM}\"\n"
        );
        std::fs::write(dir.join("jobs/northwind-customers.toml"), job).expect("the job");
        let mut wharf_toml = std::fs::read_to_string(dir.join("wharf.toml")).expect("settings");
        wharf_toml.push_str(&settings);
        std::fs::write(dir.join("wharf.toml"), wharf_toml).expect("settings");
    })
}

/// Enqueues `body` for the Northwind job as `external_id`; returns the message id.
fn enqueue(server: &TestServer, token: &str, external_id: &str, body: &str) -> String {
    let response = server
        .http
        .post(server.at(&format!("/api/connector/enqueue/{NORTHWIND_JOB}?company=USMF&entity=Customer")))
        .bearer_auth(token)
        .header("x-ms-dyn-externalidentifier", external_id)
        .body(body.to_owned())
        .send()
        .expect("enqueue answers");
    assert_eq!(response.status(), 200, "enqueue");
    response.text().expect("a message id").trim_matches('"').to_owned()
}

/// The Northwind job's messages (D365's message records), oldest first.
fn messages(server: &TestServer, admin: &str) -> Vec<Value> {
    let path = format!("/manage/messages?activity={NORTHWIND_JOB}&limit=1000");
    let body: Value =
        server.http.get(server.at(&path)).bearer_auth(admin).send().expect("answers").json().expect("JSON");
    let mut messages = body["value"].as_array().expect("value").clone();
    messages.reverse();
    messages
}

/// Waits until `count` Northwind messages are done processing; returns their statuses.
fn processed(server: &TestServer, admin: &str, count: usize) -> Vec<String> {
    let done =
        |message: &Value| !matches!(message["Status"].as_str(), Some("Enqueued" | "Processing" | "Preprocessing"));
    server.wait_for(&format!("{count} messages processed"), || {
        let messages = messages(server, admin);
        messages.len() == count && messages.iter().all(done)
    });
    messages(server, admin).iter().map(|message| message["Status"].as_str().unwrap_or_default().to_owned()).collect()
}

/// GET `path` as `admin`, as JSON, expecting 200.
fn get(server: &TestServer, admin: &str, path: &str) -> Value {
    let response = server.http.get(server.at(path)).bearer_auth(admin).send().expect("answers");
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().expect("JSON")
}

/// POST `body` to `path` as `admin`; the status and the JSON answer.
fn post(server: &TestServer, admin: &str, path: &str, body: Value) -> (u16, Value) {
    let response = server.http.post(server.at(path)).bearer_auth(admin).json(&body).send().expect("answers");
    (response.status().as_u16(), response.json().unwrap_or_default())
}

/// Places a version of the customer mapper in the deployment's `candidates/` as `<stem>.wasm`,
/// its manifest passed through `edit`. Returns the `.wasm`.
fn candidate(deployment: &Path, stem: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
    let dir = deployment.join("candidates");
    std::fs::create_dir_all(&dir).expect("candidates");
    let manifest = std::fs::read_to_string(plugin(MAPPER).with_extension("toml")).expect("manifest");
    let edited = edit(manifest.clone());
    assert_ne!(edited, manifest, "the example manifest changed: the edit found nothing to change");
    let wasm = dir.join(format!("{stem}.wasm"));
    std::fs::write(wasm.with_extension("toml"), edited).expect("manifest");
    std::fs::copy(plugin(MAPPER), &wasm).expect("component");
    wasm
}

/// The mapper with domestic customers in Germany: rows of the USA and Germany change group.
fn german_home(manifest: String) -> String {
    manifest
        .replace("version = \"1.0.0\"", "version = \"1.1.0\"")
        .replace("home_country = \"USA\"", "home_country = \"DEU\"")
}

/// The mapper with an account prefix too long for the entity's 20 characters: every row it
/// maps is rejected.
fn long_prefix(manifest: String) -> String {
    manifest.replace("version = \"1.0.0\"", "version = \"1.2.0\"").replace("\"NW-\"", "\"NORTHWIND-PARTNER-\"")
}

/// What must not change while a replay runs: the job's messages, its project's executions,
/// the customers in the store and the Northwind execution files. (The example export job
/// goes on running beside it.)
fn footprint(server: &TestServer, admin: &str) -> (Vec<Value>, Vec<Value>, Value, Vec<PathBuf>) {
    let mut files: Vec<PathBuf> = walk(&server.data().join("executions"));
    files.retain(|file| file.to_string_lossy().contains("Northwind"));
    files.sort();
    let executions = get(server, admin, "/manage/executions?limit=1000")["value"].as_array().expect("value").clone();
    let executions = executions.into_iter().filter(|execution| execution["project"] == "Northwind customers").collect();
    let token = server.token(FABRIKAM);
    let rows: Value = server
        .http
        .get(server.at("/data/CustomersV3?$orderby=CustomerAccount"))
        .bearer_auth(token)
        .send()
        .expect("answers")
        .json()
        .expect("JSON");
    (messages(server, admin), executions, rows, files)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .flat_map(|path| if path.is_dir() { walk(&path) } else { vec![path] })
        .collect()
}

#[test]
fn replay_reports_exactly_the_differences_a_candidate_would_make_and_writes_nothing() {
    let server = server_with_northwind_job("");
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let sample = std::fs::read_to_string(root().join("examples/samples/northwind-customers.csv")).expect("sample");
    let first = enqueue(&server, &token, "northwind-customers.csv", &sample);
    let second = enqueue(&server, &token, "two-customers.csv", TWO_CUSTOMERS);
    assert_eq!(processed(&server, &admin, 2), ["ProcessedWithErrors", "Processed"]);
    let before = footprint(&server, &admin);
    let deployment = server.dir.path();

    // Through the command line: Germany becomes the home country.
    let german = candidate(deployment, "german", german_home);
    let args = ["wharf", "plugin", "replay", german.to_str().expect("path"), "--job", NORTHWIND_JOB, "--json"];
    let mut out = Vec::new();
    let deployment_arg = deployment.to_str().expect("path");
    let exit = execute(args.into_iter().chain(["--deployment", deployment_arg]), &mut out).expect("the replay runs");
    assert_eq!(exit, Exit::CandidateDiffers);
    let report: Value = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(
        (report["serving"].clone(), report["candidate"].clone()),
        (json!("customer-csv-mapper@1.0.0"), json!("customer-csv-mapper@1.1.0"))
    );
    let messages = report["messages"].as_array().expect("messages");
    assert_eq!(messages.iter().map(|m| m["message"].clone()).collect::<Vec<_>>(), [json!(first), json!(second)]);
    let group = |key: &str, serving: &str, candidate: &str| json!({ "key": key, "field": "CustomerGroupId", "serving": serving, "candidate": candidate });
    assert_eq!(
        messages[0]["entities"],
        json!({ "Customers V3": { "added": 0, "removed": 0, "changed": 2, "examples": [
            group("usmf|NW-C1001", "INTL", "DOM"),
            group("usmf|NW-C1003", "DOM", "INTL"),
        ]}}),
        "{report:#}"
    );
    assert_eq!(
        messages[1]["entities"],
        json!({ "Customers V3": { "added": 0, "removed": 0, "changed": 2, "examples": [
            group("usmf|NW-C2001", "DOM", "INTL"),
            group("usmf|NW-C2002", "INTL", "DOM"),
        ]}})
    );
    for message in messages {
        assert_eq!((message["rejects_appearing"].clone(), message["rejects_fixed"].clone()), (json!([]), json!([])));
        assert_eq!(message["serving"]["rejected"], message["candidate"]["rejected"]);
        assert_eq!(
            (message["serving"]["fault"].clone(), message["candidate"]["fault"].clone()),
            (Value::Null, Value::Null)
        );
    }
    assert_eq!(messages[0]["serving"]["rejected"], 3, "the sample's three bad rows");
    let summary = &report["summary"];
    assert_eq!(
        (summary["messages"].clone(), summary["differing"].clone(), summary["rows_changed"].clone()),
        (json!(2), json!(2), json!(4))
    );
    assert!(summary["serving"]["us_per_row"].as_f64().expect("cost") > 0.0, "{summary}");
    assert!(summary["candidate"]["us_per_row"].as_f64().expect("cost") > 0.0, "{summary}");

    // Through the management API: a candidate whose accounts are too long for the entity.
    candidate(deployment, "long-prefix", long_prefix);
    let request = json!({ "candidate": "long-prefix.wasm", "job": NORTHWIND_JOB, "since": "1h" });
    let (status, report) = post(&server, &admin, "/manage/plugins/replay", request);
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["differs"], true);
    let messages = report["messages"].as_array().expect("messages");
    let appearing: Vec<Vec<u64>> = messages
        .iter()
        .map(|m| {
            m["rejects_appearing"]
                .as_array()
                .expect("rejects")
                .iter()
                .map(|r| r["row"].as_u64().expect("row"))
                .collect()
        })
        .collect();
    assert_eq!(appearing, [vec![1, 2, 3], vec![1, 2]], "{report:#}");
    let rejects = messages.iter().flat_map(|m| m["rejects_appearing"].as_array().cloned().unwrap_or_default());
    for reject in rejects {
        assert_eq!(
            (reject["entity"].clone(), reject["field"].clone()),
            (json!("Customers V3"), json!("CustomerAccount"))
        );
    }
    let removed: Vec<Value> = messages.iter().map(|m| m["entities"]["Customers V3"]["removed"].clone()).collect();
    assert_eq!(removed, [json!(3), json!(2)]);
    assert_eq!(report["summary"]["rejects_fixed"], 0);
    assert_eq!(
        (report["summary"]["candidate"]["rows"].clone(), report["summary"]["candidate"]["rejected"].clone()),
        (json!(0), json!(8))
    );
    let (status, refused) = post(
        &server,
        &admin,
        "/manage/plugins/replay",
        json!({ "candidate": "../plugins/x.wasm", "job": NORTHWIND_JOB }),
    );
    assert_eq!(status, 400, "{refused}");
    let (status, _) =
        post(&server, &token, "/manage/plugins/replay", json!({ "candidate": "german.wasm", "job": NORTHWIND_JOB }));
    assert_eq!(status, 403, "replay needs the admin role");

    // The version serving, replayed as a candidate, changes nothing.
    let same = candidate(deployment, "same", |manifest| manifest.replace("version = \"1.0.0\"", "version = \"1.0.1\""));
    let mut out = Vec::new();
    let args = [
        "wharf",
        "plugin",
        "replay",
        same.to_str().expect("path"),
        "--job",
        NORTHWIND_JOB,
        "--deployment",
        deployment_arg,
    ];
    assert_eq!(execute(args, &mut out).expect("the replay runs"), Exit::Success);
    let text = String::from_utf8(out).expect("UTF-8");
    assert!(text.contains("0 of 2 messages differ"), "{text}");
    assert!(text.ends_with("the candidate changes nothing\n"), "{text}");

    assert_eq!(footprint(&server, &admin), before, "a replay wrote something");
}

/// The release decisions about the customer mapper, oldest first.
fn decisions(server: &TestServer, admin: &str) -> Vec<Value> {
    let body = get(server, admin, &format!("/manage/plugins/decisions?plugin={MAPPER}"));
    let mut decisions = body["value"].as_array().expect("value").clone();
    decisions.reverse();
    decisions
}

fn kinds(decisions: &[Value]) -> Vec<&str> {
    decisions.iter().map(|decision| decision["kind"].as_str().unwrap_or_default()).collect()
}

/// The customer mapper's entry in `GET /manage/plugins`.
fn mapper_status(server: &TestServer, admin: &str) -> Value {
    let body = get(server, admin, "/manage/plugins");
    let entries = body["value"].as_array().expect("value").clone();
    entries.into_iter().find(|entry| entry["file"] == "customer-csv-mapper.wasm").expect("the mapper is listed")
}

#[test]
fn a_canary_that_rejects_more_rows_is_rolled_back_and_a_good_one_is_promoted() {
    let mut server = server_with_northwind_job("");
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let deployment = server.dir.path().to_owned();
    candidate(&deployment, "long-prefix", long_prefix);
    candidate(&deployment, "german", german_home);

    // Every second execution goes to a candidate that rejects every row it maps.
    let canary =
        json!({ "candidate": "long-prefix.wasm", "share": 0.5, "window": "1h", "max_reject_rate_increase": 0.1 });
    let (status, started) = post(&server, &admin, &format!("/manage/plugins/{MAPPER}/canary"), canary);
    assert_eq!(status, 201, "{started}");
    assert_eq!(
        (started["candidate"].clone(), started["serving"].clone()),
        (json!("customer-csv-mapper@1.2.0"), json!("customer-csv-mapper@1.0.0"))
    );
    assert_eq!(get(&server, &admin, "/manage/plugins")["canaries"][0]["candidate"], "customer-csv-mapper@1.2.0");
    let (status, twice) =
        post(&server, &admin, &format!("/manage/plugins/{MAPPER}/canary"), json!({ "candidate": "german.wasm" }));
    assert_eq!(status, 400, "{twice}");
    enqueue(&server, &token, "first.csv", TWO_CUSTOMERS);
    enqueue(&server, &token, "second.csv", TWO_CUSTOMERS);
    assert_eq!(processed(&server, &admin, 2), ["Processed", "ProcessedWithErrors"], "the second ran on the candidate");
    server.wait_for("the rollback", || kinds(&decisions(&server, &admin)).contains(&"rolled_back"));
    let recorded = decisions(&server, &admin);
    assert_eq!(kinds(&recorded), ["canary_started", "rolled_back"]);
    let rolled_back = &recorded[1];
    assert_eq!(rolled_back["version"], "customer-csv-mapper@1.2.0");
    assert_eq!(rolled_back["serving"], "customer-csv-mapper@1.0.0");
    let counts = &rolled_back["numbers"]["counts"];
    assert_eq!(
        (
            counts["candidate"]["executions"].clone(),
            counts["candidate"]["rows"].clone(),
            counts["candidate"]["rejected"].clone()
        ),
        (json!(1), json!(2), json!(2))
    );
    assert_eq!((counts["serving"]["executions"].clone(), counts["serving"]["rejected"].clone()), (json!(1), json!(0)));
    assert_eq!(rolled_back["numbers"]["thresholds"]["max_reject_rate_increase"], 0.1);
    assert!(
        rolled_back["reason"].as_str().expect("reason").contains("rejected 1.000 of rows against 0.000"),
        "{rolled_back}"
    );
    assert_eq!(mapper_status(&server, &admin)["current"], "customer-csv-mapper@1.0.0");
    assert_eq!(get(&server, &admin, "/manage/plugins/canaries")["value"], json!([]));

    // A good candidate takes every execution for three seconds, then serves.
    let canary = json!({ "candidate": "german.wasm", "share": 1.0, "window": "3s" });
    let (status, started) = post(&server, &admin, &format!("/manage/plugins/{MAPPER}/canary"), canary);
    assert_eq!(status, 201, "{started}");
    enqueue(&server, &token, "third.csv", TWO_CUSTOMERS);
    server.wait_for("the promotion", || kinds(&decisions(&server, &admin)).contains(&"promoted"));
    let recorded = decisions(&server, &admin);
    assert_eq!(kinds(&recorded), ["canary_started", "rolled_back", "canary_started", "promoted"]);
    let promoted = &recorded[3];
    assert_eq!(promoted["version"], "customer-csv-mapper@1.1.0");
    assert_eq!(promoted["numbers"]["counts"]["candidate"]["executions"], 1);
    assert_eq!(promoted["numbers"]["counts"]["candidate"]["rejected"], 0);
    let status = mapper_status(&server, &admin);
    assert_eq!(
        (status["current"].clone(), status["previous"].clone()),
        (json!("customer-csv-mapper@1.1.0"), json!("customer-csv-mapper@1.0.0"))
    );
    let placed = std::fs::read_to_string(deployment.join("plugins/customer-csv-mapper.toml")).expect("manifest");
    assert!(
        placed.contains("home_country = \"DEU\""),
        "the candidate's files serve from the plugin directory:\n{placed}"
    );
    assert_eq!(processed(&server, &admin, 3)[2], "Processed");

    // Decisions outlive the process; a canary under way at the stop is recorded as abandoned.
    let (status, _) =
        post(&server, &admin, &format!("/manage/plugins/{MAPPER}/canary"), json!({ "candidate": "long-prefix.wasm" }));
    assert_eq!(status, 201);
    server.restart();
    let admin = server.token(OPS);
    let recorded = decisions(&server, &admin);
    assert_eq!(
        kinds(&recorded),
        ["canary_started", "rolled_back", "canary_started", "promoted", "canary_started", "abandoned"]
    );
    assert_eq!(mapper_status(&server, &admin)["current"], "customer-csv-mapper@1.1.0");
    let (status, _) = post(&server, &admin, &format!("/manage/plugins/{MAPPER}/canary/abort"), json!({}));
    assert_eq!(status, 404, "no canary runs after a restart");
}

#[test]
fn a_trap_spike_quarantines_the_serving_version_and_restores_the_previous_with_no_failed_call_beyond() {
    let server = server_with_northwind_job("\n[quarantine]\nfaults = 3\ncalls = 10\n");
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let plugins = server.dir.path().join("plugins");

    // A new version of the mapper that traps on every call: the hostile plugin, panicking.
    let staging = tempfile::tempdir_in(server.dir.path()).expect("staging");
    let manifest = std::fs::read_to_string(plugin("hostile").with_extension("toml"))
        .expect("manifest")
        .replace("name = \"hostile\"", &format!("name = \"{MAPPER}\""))
        .replace("version = \"0.1.0\"", "version = \"6.6.6\"")
        .replace("entities = [\"Hostile\"]", "entities = [\"Customer\"]")
        .replace("attack = \"none\"", "attack = \"panic\"");
    assert!(
        manifest.contains("attack = \"panic\"") && manifest.contains("6.6.6"),
        "the hostile manifest changed:\n{manifest}"
    );
    std::fs::write(staging.path().join("m.toml"), manifest).expect("manifest");
    std::fs::copy(plugin("hostile"), staging.path().join("m.wasm")).expect("component");
    std::fs::rename(staging.path().join("m.toml"), plugins.join("customer-csv-mapper.toml")).expect("manifest");
    std::fs::rename(staging.path().join("m.wasm"), plugins.join("customer-csv-mapper.wasm")).expect("component");
    server.wait_for("the trapping version serves", || {
        mapper_status(&server, &admin)["current"] == "customer-csv-mapper@6.6.6"
    });

    for number in 0..8 {
        enqueue(&server, &token, &format!("file-{number}.csv"), TWO_CUSTOMERS);
    }
    let statuses = processed(&server, &admin, 8);
    assert_eq!(statuses[..3], ["PreProcessingError"; 3], "the three calls that tripped it failed: {statuses:?}");
    assert_eq!(statuses[3..], ["Processed"; 5], "no call failed after them: {statuses:?}");

    server.wait_for("both decisions", || decisions(&server, &admin).len() == 2);
    let recorded = decisions(&server, &admin);
    assert_eq!(kinds(&recorded), ["quarantined", "restored"]);
    let quarantined = &recorded[0];
    assert_eq!(
        (quarantined["version"].clone(), quarantined["serving"].clone()),
        (json!("customer-csv-mapper@6.6.6"), json!("customer-csv-mapper@1.0.0"))
    );
    let numbers = &quarantined["numbers"];
    assert_eq!(
        (numbers["calls"].clone(), numbers["traps"].clone(), numbers["limit_hits"].clone()),
        (json!(3), json!(3), json!(0))
    );
    assert_eq!(numbers["threshold"], json!({ "faults": 3, "calls": 10 }));
    assert_eq!(recorded[1]["version"], "customer-csv-mapper@1.0.0");
    let status = mapper_status(&server, &admin);
    assert_eq!(
        (status["current"].clone(), status["previous"].clone()),
        (json!("customer-csv-mapper@1.0.0"), json!("customer-csv-mapper@6.6.6"))
    );
}
