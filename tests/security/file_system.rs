//! Nothing a client or a package names reaches the file system unchecked (OWASP API8,
//! security misconfiguration: path traversal through identifiers and package entries).

use std::io::{Cursor, Write as _};
use std::path::Path;

use reqwest::Method;
use serde_json::json;
use wharf::formats::package::{PackageReader, PackageWriter, ZipLimits};

use super::{action, get, odata_error, ok_json, sample, send, upload_link};
use crate::server::{Backend, FABRIKAM, OPS, TestServer, on_both_backends};

/// contoso-setup.zip with the customer groups' file renamed to `file` in the manifest and the
/// zip; returns the package and the file's content.
fn setup_package_naming(server: &TestServer, file: &str) -> (Vec<u8>, Vec<u8>) {
    let mut reader = PackageReader::open(Cursor::new(sample(server, "contoso-setup.zip")), &ZipLimits::default())
        .expect("the sample opens");
    let (mut manifest, header) = (reader.manifest().clone(), reader.header().expect("a header").clone());
    let mut writer = PackageWriter::new(Cursor::new(Vec::new()));
    let mut groups = Vec::new();
    for entity in &mut manifest.entities {
        let mut bytes = Vec::new();
        reader.extract(&entity.input_file_path, &mut bytes).expect("an entity file");
        if entity.entity_name == "Customer groups" {
            entity.input_file_path = file.to_owned();
            groups = bytes.clone();
        }
        writer.start_entity_file(&entity.input_file_path).expect("an entry").write_all(&bytes).expect("written");
    }
    (writer.finish(&manifest, &header).expect("a package").into_inner(), groups)
}

/// An upload link holding `package`.
fn uploaded(server: &TestServer, token: &str, package: Vec<u8>) -> String {
    let link = upload_link(server, token);
    assert_eq!(send(server, None, Method::PUT, &link, package).status(), 201, "the upload");
    link
}

/// Every file under `dir` whose content is `content`, relative to `dir`.
fn files_holding(dir: &Path, content: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("a readable directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if std::fs::read(&path).is_ok_and(|bytes| bytes == content) {
                found.push(path.strip_prefix(dir).expect("inside").to_string_lossy().into_owned());
            }
        }
    }
    found
}

/// The entity store is still a working SQLite database the OData service reads.
fn assert_store_intact(server: &TestServer) {
    let store = std::fs::read(server.data().join("wharf.db")).expect("the entity store");
    assert!(store.starts_with(b"SQLite format 3\0"), "the entity store was overwritten ({} bytes)", store.len());
    let groups = get(server, &server.token(OPS), "/data/CustomerGroups?cross-company=true");
    assert_eq!(groups.status(), 200, "the store answers: {}", groups.text().unwrap_or_default());
}

fn client_chosen_execution_ids_that_could_name_a_path_are_refused_before_anything_runs(backend: Backend) {
    let server = TestServer::start_on(backend);
    let token = server.token(FABRIKAM);
    let link = uploaded(&server, &token, sample(&server, "contoso-setup.zip"));
    let long = "a".repeat(129);
    for id in ["..", ".", "../..", "../wharf", "a/b", "/tmp/x", "..\\..\\x", ".hidden", "x\u{0}y", "é", &long] {
        let import = json!({ "packageUrl": link, "definitionGroupId": "Contoso setup", "executionId": id, "execute": true, "legalEntityId": "usmf" });
        let message =
            odata_error(action(&server, &token, "ImportFromPackage", &import), 400, &format!("import as {id:?}"));
        assert!(message.contains("execution id"), "{id:?}: {message}");
        let export = json!({ "definitionGroupId": "Contoso export", "packageName": "p", "executionId": id, "legalEntityId": "usmf" });
        let message =
            odata_error(action(&server, &token, "ExportToPackage", &export), 400, &format!("export as {id:?}"));
        assert!(message.contains("execution id"), "{id:?}: {message}");
    }
    let executions = ok_json(get(&server, &server.token(OPS), "/manage/executions?limit=1000"), "executions");
    let package_runs: Vec<_> = executions["value"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|execution| execution["project"] != "Customers export")
        .collect();
    assert!(package_runs.is_empty(), "a refused id started an execution: {package_runs:?}");
    assert_store_intact(&server);
}

fn a_package_entry_named_like_the_store_is_read_into_its_execution_folder_and_the_store_survives(backend: Backend) {
    let mut server = TestServer::start_on(backend);
    let token = server.token(FABRIKAM);
    let (package, groups) = setup_package_naming(&server, "wharf.db");
    let link = uploaded(&server, &token, package);

    // The attack as it was sent: the execution folder `..` is the data directory.
    let attack = json!({ "packageUrl": link, "definitionGroupId": "Contoso setup", "executionId": "..", "execute": true, "legalEntityId": "usmf" });
    odata_error(action(&server, &token, "ImportFromPackage", &attack), 400, "the execution id ..");
    assert_store_intact(&server);

    // With an ordinary id the entry is imported from a copy inside that execution's folder.
    let import = json!({ "packageUrl": link, "definitionGroupId": "Contoso setup", "executionId": "setup-1", "execute": true, "legalEntityId": "usmf" });
    let id = ok_json(action(&server, &token, "ImportFromPackage", &import), "an import")["value"].clone();
    assert_eq!(id, "setup-1");
    server.wait_for("the import to finish", || {
        let status = action(&server, &token, "GetExecutionSummaryStatus", &json!({ "executionId": "setup-1" }));
        let status = ok_json(status, "the status")["value"].clone();
        !["NotRun", "Executing"].contains(&status.as_str().unwrap_or_default())
    });
    let copies = files_holding(&server.data(), &groups);
    for copy in &copies {
        assert!(
            copy.starts_with("executions/setup-1/") || copy.starts_with("blobs/"),
            "a package entry was written outside its execution folder: {copy} (all: {copies:?})"
        );
    }
    assert!(copies.iter().any(|copy| copy.starts_with("executions/setup-1/")), "the entry was extracted: {copies:?}");
    let errors = ok_json(action(&server, &token, "GetExecutionErrors", &json!({ "executionId": "setup-1" })), "errors");
    assert_eq!(errors["value"], "[]", "the import went through");
    let rows =
        ok_json(get(&server, &server.token(OPS), "/data/CustomerGroups?$filter=CustomerGroupId eq 'GOV'"), "rows");
    assert_eq!(rows["value"].as_array().map(Vec::len), Some(1), "the entry's rows were imported: {rows}");
    assert_store_intact(&server);
    server.restart();
    assert_store_intact(&server);
}

fn of_two_bodies_put_to_one_upload_link_at_once_exactly_one_is_stored(backend: Backend) {
    let server = TestServer::start_on(backend);
    let token = server.token(FABRIKAM);
    for round in 0..3 {
        let link = upload_link(&server, &token);
        let statuses: Vec<(u16, Vec<u8>)> = std::thread::scope(|scope| {
            let puts: Vec<_> = (0..8u8)
                .map(|body| {
                    let (server, link) = (&server, &link);
                    scope.spawn(move || {
                        let content = vec![body; 256 * 1024];
                        (send(server, None, Method::PUT, link, content.clone()).status().as_u16(), content)
                    })
                })
                .collect();
            puts.into_iter().map(|put| put.join().expect("a PUT thread")).collect()
        });
        let accepted: Vec<_> = statuses.iter().filter(|(status, _)| *status == 201).collect();
        assert_eq!(
            accepted.len(),
            1,
            "round {round}: {:?}",
            statuses.iter().map(|(status, _)| status).collect::<Vec<_>>()
        );
        assert!(statuses.iter().all(|(status, _)| [201, 409].contains(status)), "round {round}: only 201 and 409");
        let stored = send(&server, None, Method::GET, &link, Vec::new()).bytes().expect("the upload");
        assert_eq!(stored.as_ref(), accepted[0].1.as_slice(), "round {round}: the accepted body is the one kept");
    }
}

on_both_backends!(
    client_chosen_execution_ids_that_could_name_a_path_are_refused_before_anything_runs,
    a_package_entry_named_like_the_store_is_read_into_its_execution_folder_and_the_store_survives,
    of_two_bodies_put_to_one_upload_link_at_once_exactly_one_is_stored,
);
