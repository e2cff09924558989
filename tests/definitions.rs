//! Jobs, projects and entities reloaded from their files while a server serves under load: an
//! edited job runs its next message as edited, a broken project or entity keeps the previous
//! one serving with the reason in `GET /manage/definitions`, an added field migrates the table
//! and shows in OData, and a removed job file removes the job until it comes back.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::server::{Backend, FABRIKAM, GROUPS_JOB, OPS, TestServer, on_both_backends};

/// The customer groups the example deployment ships, as the load imports them.
fn groups_csv() -> Vec<u8> {
    std::fs::read(wharf_tests::root().join("examples/deployment/samples/customer-groups.csv")).expect("sample")
}

/// Writes `text` to `path` by rename, as an operator's tooling (or a careful editor) does.
fn write_file(path: &Path, text: &str) {
    let name = path.file_name().expect("a file name").to_string_lossy();
    let staged = path.with_file_name(format!(".{name}.staged"));
    std::fs::write(&staged, text).expect("stage the file");
    std::fs::rename(&staged, path).expect("rename the file in");
}

/// `GET` of `path` as `token`, as JSON; `None` unless it answered 200.
fn get_json(server: &TestServer, token: &str, path: &str) -> Option<Value> {
    let response = server.http.get(server.at(path)).bearer_auth(token).send().ok()?;
    if response.status() != 200 {
        return None;
    }
    response.json().ok()
}

/// The state of definition file `file` in `GET /manage/definitions`.
fn definition(server: &TestServer, admin: &str, file: &str) -> Option<Value> {
    let definitions = get_json(server, admin, "/manage/definitions")?;
    definitions["value"].as_array()?.iter().find(|definition| definition["file"] == file).cloned()
}

/// Enqueues `body` to the customer groups job and waits until it settles; its final status
/// and message, or why it failed.
fn import_groups(server: &TestServer, token: &str, admin: &str, body: Vec<u8>) -> Result<Value, String> {
    let path = format!("/api/connector/enqueue/{GROUPS_JOB}?company=usmf&entity=Customer%20groups");
    let response =
        server.http.post(server.at(&path)).bearer_auth(token).body(body).send().map_err(|error| error.to_string())?;
    let status = response.status();
    let text = response.text().unwrap_or_default();
    if status != 200 {
        return Err(format!("enqueue answered {status}: {text}"));
    }
    let id = text.trim_matches('"').to_owned();
    for _ in 0..2000 {
        let message = get_json(server, admin, &format!("/manage/messages/{id}"))
            .ok_or_else(|| format!("message {id} cannot be read"))?;
        match message["Status"].as_str() {
            Some("Processed") => return Ok(message),
            Some("Enqueued" | "Preprocessing" | "Processing") => std::thread::sleep(Duration::from_millis(10)),
            other => return Err(format!("message {id} ended {other:?}: {message}")),
        }
    }
    Err(format!("message {id} did not settle"))
}

/// Sets its flag when dropped, so that the load stops even when the test fails midway (a
/// scope waits for its threads, and they run until the flag is set).
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `change` while clients import customer groups and read them through OData in a loop,
/// then asserts that not one of their requests failed and that some ran after the change.
fn under_load(server: &TestServer, change: impl FnOnce()) {
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let stop = AtomicBool::new(false);
    let (requests, failures) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|scope| {
        let (stop, requests, failures, token, admin) = (&stop, &requests, &failures, &token, &admin);
        scope.spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Err(error) = import_groups(server, token, admin, groups_csv()) {
                    eprintln!("failed import: {error}");
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                requests.fetch_add(1, Ordering::Relaxed);
            }
        });
        scope.spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let response = server.http.get(server.at("/data/CustomerGroups")).bearer_auth(token).send();
                match response {
                    Ok(response) if response.status() == 200 => {}
                    Ok(response) => {
                        eprintln!("failed read: {} {}", response.status(), response.text().unwrap_or_default());
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(error) => {
                        eprintln!("failed read: {error}");
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                requests.fetch_add(1, Ordering::Relaxed);
            }
        });
        let _stop = StopOnDrop(stop);
        server.wait_for("the load is running", || requests.load(Ordering::Relaxed) > 5);
        change();
        let at_change = requests.load(Ordering::Relaxed);
        server.wait_for("the load goes on after the change", || requests.load(Ordering::Relaxed) > at_change + 10);
        stop.store(true, Ordering::Relaxed);
    });
    let requests = requests.load(Ordering::Relaxed);
    assert_eq!(failures.load(Ordering::Relaxed), 0, "of {requests} requests under load");
}

/// The project an execution ran.
fn execution_project(server: &TestServer, admin: &str, message: &Value) -> String {
    let execution = message["ExecutionId"].as_str().expect("an execution");
    let execution = get_json(server, admin, &format!("/manage/executions/{execution}")).expect("the execution");
    execution["project"].as_str().expect("a project").to_owned()
}

#[test]
fn an_edited_job_runs_its_next_message_as_edited_under_load() {
    let server = TestServer::start();
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let before = import_groups(&server, &token, &admin, groups_csv()).expect("an import");
    assert_eq!(execution_project(&server, &admin, &before), "Customer groups");

    let dir = server.dir.path();
    under_load(&server, || {
        let project = std::fs::read_to_string(dir.join("projects/customer-groups.toml")).expect("the project");
        let copy = project.replace("name = \"Customer groups\"", "name = \"Customer groups, edited\"");
        assert_ne!(copy, project, "the example project changed");
        write_file(&dir.join("projects/customer-groups-edited.toml"), &copy);
        let job = std::fs::read_to_string(dir.join("jobs/customer-groups.toml")).expect("the job");
        let edited = job.replace("project = \"Customer groups\"", "project = \"Customer groups, edited\"");
        assert_ne!(edited, job, "the example job changed");
        write_file(&dir.join("jobs/customer-groups.toml"), &edited);
        server.wait_for("the job is edited", || {
            get_json(&server, &admin, &format!("/manage/jobs/{GROUPS_JOB}"))
                .is_some_and(|job| job["project"] == "Customer groups, edited")
        });
    });
    let after = import_groups(&server, &token, &admin, groups_csv()).expect("an import");
    assert_eq!(execution_project(&server, &admin, &after), "Customer groups, edited");
    let state = definition(&server, &admin, "jobs/customer-groups.toml").expect("the job's state");
    assert_eq!((state["kind"].as_str(), state["state"].as_str()), (Some("job"), Some("serving")), "{state}");
}

#[test]
fn a_broken_project_keeps_the_previous_one_serving_until_it_is_fixed() {
    let server = TestServer::start();
    let admin = server.token(OPS);
    let file = server.dir.path().join("projects/customer-groups.toml");
    let good = std::fs::read_to_string(&file).expect("the project");
    let forbidden = server.http.get(server.at("/manage/definitions")).bearer_auth(server.token(FABRIKAM)).send();
    assert_eq!(forbidden.expect("answers").status(), 403, "the definitions route needs the admin role");

    under_load(&server, || {
        write_file(&file, "name = \"Customer groups\"\n[[entity\n");
        server.wait_for("the invalid TOML is refused", || {
            definition(&server, &admin, "projects/customer-groups.toml")
                .is_some_and(|state| state["state"] == "refused")
        });
    });
    let state = definition(&server, &admin, "projects/customer-groups.toml").expect("the state");
    assert_eq!(state["kind"], "project", "{state}");
    assert_eq!(state["name"], "Customer groups", "the previous project serves: {state}");
    let reason = state["reason"].as_str().expect("a reason");
    assert!(reason.contains("invalid project projects/customer-groups.toml"), "{reason}");
    assert!(!reason.contains(&*server.dir.path().to_string_lossy()), "a path in {reason}");
    assert!(state["at"].as_str().is_some_and(|at| at.ends_with('Z')), "{state}");

    under_load(&server, || {
        write_file(&file, &good.replace("entity = \"CustomerGroup\"", "entity = \"NoSuchEntity\""));
        server.wait_for("the missing entity is refused", || {
            definition(&server, &admin, "projects/customer-groups.toml").is_some_and(|state| {
                state["reason"].as_str().is_some_and(|reason| reason.contains("unknown entity NoSuchEntity"))
            })
        });
    });

    under_load(&server, || {
        write_file(&file, &good);
        server.wait_for("the fixed project serves", || {
            definition(&server, &admin, "projects/customer-groups.toml")
                .is_some_and(|state| state["state"] == "serving")
        });
    });
    let state = definition(&server, &admin, "projects/customer-groups.toml").expect("the state");
    assert!(state["reason"].is_null(), "the reason is gone: {state}");
}

/// The customer group entity with a `Region` field added.
fn with_region(entity: &str) -> String {
    format!("{entity}\n[[field]]\nname = \"Region\"\ntype = \"string\"\nmax_length = 20\n")
}

fn an_added_entity_field_migrates_the_table_and_shows_in_odata_under_load(backend: Backend) {
    let server = TestServer::start_on(backend);
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let file = server.dir.path().join("entities/customer-group.toml");
    let entity = std::fs::read_to_string(&file).expect("the entity");
    let metadata = || server.http.get(server.at("/data/$metadata")).bearer_auth(&token).send().expect("answers");
    assert!(!metadata().text().expect("a body").contains("Name=\"Region\""));

    under_load(&server, || {
        write_file(&file, &with_region(&entity));
        server.wait_for("the field is in $metadata", || {
            metadata().text().is_ok_and(|text| text.contains("Name=\"Region\""))
        });
    });
    let csv = "CustomerGroupId,Description,PaymentTermId,IsSalesTaxIncludedInPrice,Region\n\
               90,Northern customers,Net30,No,North\n";
    import_groups(&server, &token, &admin, csv.as_bytes().to_vec()).expect("an import with the new field");
    let group = get_json(&server, &token, "/data/CustomerGroups(dataAreaId='usmf',CustomerGroupId='90')")
        .expect("the imported group");
    assert_eq!(group["Region"], "North", "{group}");
    let groups = get_json(&server, &token, "/data/CustomerGroups?$select=CustomerGroupId,Region").expect("groups");
    assert!(groups["value"].as_array().is_some_and(|groups| groups.len() > 1), "{groups}");
    let state = definition(&server, &admin, "entities/customer-group.toml").expect("the state");
    assert_eq!((state["kind"].as_str(), state["state"].as_str()), (Some("entity"), Some("serving")), "{state}");
    let status = get_json(&server, &admin, "/manage/status").expect("the status");
    assert!(status["definition_reloads"].as_u64().is_some_and(|reloads| reloads >= 1), "{status}");
}

/// An entity of regions keyed by `key`, related to no other.
fn region(key: &str) -> String {
    format!(
        "name = \"Region\"\nentity_set = \"Regions\"\ncompany = false\nkey = [\"{key}\"]\n\n\
         [[field]]\nname = \"Code\"\ntype = \"string\"\nmax_length = 10\n\n\
         [[field]]\nname = \"Name\"\ntype = \"string\"\nmax_length = 40\n"
    )
}

fn an_entity_key_change_is_refused_with_the_stores_advice_and_the_old_one_serves(backend: Backend) {
    let server = TestServer::start_on(backend);
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let file = server.dir.path().join("entities/region.toml");
    let serving = |state: &Value| state["state"] == "serving";

    under_load(&server, || {
        write_file(&file, &region("Code"));
        server.wait_for("the new entity serves", || {
            definition(&server, &admin, "entities/region.toml").is_some_and(|state| serving(&state))
                && get_json(&server, &admin, "/data/Regions").is_some()
        });
        write_file(&file, &region("Name"));
        server.wait_for("the key change is refused", || {
            definition(&server, &admin, "entities/region.toml").is_some_and(|state| state["state"] == "refused")
        });
    });
    let state = definition(&server, &admin, "entities/region.toml").expect("the state");
    let reason = state["reason"].as_str().expect("a reason");
    assert!(reason.contains("key changed"), "{reason}");
    assert!(reason.contains("restore the old key"), "the store's advice: {reason}");
    assert_eq!(state["name"], "Region", "{state}");
    let metadata = server.http.get(server.at("/data/$metadata")).bearer_auth(&token).send().expect("answers");
    let metadata = metadata.text().expect("a body");
    let entity_type = metadata.split("<EntityType Name=\"Region\"").nth(1).expect("the Region entity type");
    let key = entity_type.split("</Key>").next().expect("its key");
    assert!(key.contains("Name=\"Code\"") && !key.contains("Name=\"Name\""), "the old key serves: {key}");
    let created = server
        .http
        .post(server.at("/data/Regions"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "Code": "N", "Name": "North" }))
        .send()
        .expect("answers");
    assert_eq!(created.status(), 201, "{}", created.text().unwrap_or_default());
    let read = get_json(&server, &admin, "/data/Regions('N')").expect("the region by its old key");
    assert_eq!(read["Name"], "North", "{read}");
}

on_both_backends!(
    an_added_entity_field_migrates_the_table_and_shows_in_odata_under_load,
    an_entity_key_change_is_refused_with_the_stores_advice_and_the_old_one_serves,
);

#[test]
fn a_removed_job_file_removes_the_job_and_adding_it_back_restores_it() {
    let server = TestServer::start();
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let before = import_groups(&server, &token, &admin, groups_csv()).expect("an import");
    let message = before["MessageId"].as_str().expect("a message id").to_owned();
    let file = server.dir.path().join("jobs/customer-groups.toml");
    let job = std::fs::read_to_string(&file).expect("the job");
    let served = || get_json(&server, &admin, &format!("/manage/jobs/{GROUPS_JOB}")).is_some();

    let reads = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let failures = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let response = server.http.get(server.at("/data/CustomerGroups")).bearer_auth(&token).send();
                if !response.is_ok_and(|response| response.status() == 200) {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                reads.fetch_add(1, Ordering::Relaxed);
            }
        });
        let _stop = StopOnDrop(&stop);
        std::fs::remove_file(&file).expect("remove the job");
        server.wait_for("the job is gone", || !served());
        assert!(definition(&server, &admin, "jobs/customer-groups.toml").is_none(), "a removed file has no state");
        let enqueue = format!("/api/connector/enqueue/{GROUPS_JOB}?company=usmf&entity=Customer%20groups");
        let refused = server.http.post(server.at(&enqueue)).bearer_auth(&token).body(groups_csv()).send();
        assert_eq!(refused.expect("answers").status(), 404, "no job takes the message");
        let kept = get_json(&server, &admin, &format!("/manage/messages/{message}")).expect("the message stays");
        assert_eq!(kept["Status"], "Processed", "{kept}");

        write_file(&file, &job);
        server.wait_for("the job is back", served);
        let at_return = reads.load(Ordering::Relaxed);
        server.wait_for("reads go on", || reads.load(Ordering::Relaxed) > at_return + 10);
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(failures.load(Ordering::Relaxed), 0, "of {} reads", reads.load(Ordering::Relaxed));
    import_groups(&server, &token, &admin, groups_csv()).expect("the job imports again");
}
