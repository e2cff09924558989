//! A client reads and writes only the companies it is granted, whatever path it takes and
//! however it names a company (OWASP API1, broken object level authorization).

use std::io::{Cursor, Write as _};

use reqwest::Method;
use serde_json::json;
use wharf::auth::Role;
use wharf::formats::package::{PackageReader, PackageWriter, ZipLimits};

use super::{NORTHWIND, action, get, job, message, odata_error, ok_json, post, sample, send, upload_link};
use crate::server::{Backend, FABRIKAM, GROUPS_JOB, OPS, TestServer, on_both_backends};

/// Customer groups with a `dataAreaId` column: one row in the caller's company `usmf`, one in
/// `demf`, which it is not granted.
const TWO_COMPANIES: &str = "dataAreaId,CustomerGroupId,Description\nusmf,81,Own company\ndemf,82,Other company\n";

/// The customer groups of `company`, by id, read by an admin granted every company.
fn group_ids(server: &TestServer, company: &str) -> Vec<String> {
    let url =
        format!("/data/CustomerGroups?cross-company=true&$filter=dataAreaId eq '{company}'&$select=CustomerGroupId");
    let rows = ok_json(get(server, &server.token(OPS), &url), "the groups");
    let mut ids: Vec<String> = rows["value"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["CustomerGroupId"].as_str().expect("an id").to_owned())
        .collect();
    ids.sort();
    ids
}

/// Creates customer group `id` in `company` through OData as the admin.
fn create_group(server: &TestServer, company: &str, id: &str) {
    let body = json!({ "dataAreaId": company, "CustomerGroupId": id, "Description": format!("{company} group") });
    let created = post(server, &server.token(OPS), "/data/CustomerGroups", body.to_string());
    assert_eq!(created.status(), 201, "{}", created.text().unwrap_or_default());
}

/// Waits for execution `id` of the package API to end; returns its status.
fn settled(server: &TestServer, token: &str, id: &str) -> String {
    let mut status = String::new();
    server.wait_for("the execution to end", || {
        let answer = action(server, token, "GetExecutionSummaryStatus", &json!({ "executionId": id }));
        status = ok_json(answer, "the status")["value"].as_str().unwrap_or_default().to_owned();
        !["NotRun", "Executing"].contains(&status.as_str())
    });
    status
}

fn a_package_export_without_a_company_holds_only_the_callers_default_company_and_only_it_sees_the_execution(
    backend: Backend,
) {
    let mut server = TestServer::start_on(backend);
    server.register(NORTHWIND, &[Role::DataManagement], &["fab"]);
    create_group(&server, "usmf", "U1");
    create_group(&server, "demf", "D1");
    let token = server.token(FABRIKAM);
    let request = json!({ "definitionGroupId": "Contoso export", "packageName": "no-company", "executionId": "" });
    let id = ok_json(action(&server, &token, "ExportToPackage", &request), "an export")["value"]
        .as_str()
        .expect("an execution id")
        .to_owned();
    let mut url = String::new();
    server.wait_for("the package", || {
        let link = action(&server, &token, "GetExportedPackageUrl", &json!({ "executionId": id }));
        url = ok_json(link, "the link")["value"].as_str().expect("a link").to_owned();
        !url.is_empty()
    });
    let package = server.http.get(&url).send().expect("the link answers").bytes().expect("a package").to_vec();
    let mut reader = PackageReader::open(Cursor::new(package), &ZipLimits::default()).expect("a package");
    let file = reader
        .manifest()
        .entities
        .iter()
        .find(|entity| entity.entity_name == "Customer groups")
        .expect("customer groups in the package")
        .input_file_path
        .clone();
    let mut groups = Vec::new();
    reader.extract(&file, &mut groups).expect("the groups' file");
    let groups = decoded(&groups).to_lowercase();
    assert!(groups.contains("u1"), "the caller's company is exported: {groups}");
    assert!(!groups.contains("d1") && !groups.contains("demf"), "another company leaked: {groups}");

    // The execution and its link belong to usmf: a client granted only `fab` sees neither.
    let northwind = server.token(NORTHWIND);
    for name in ["GetExecutionSummaryStatus", "GetExportedPackageUrl", "GetExecutionErrors"] {
        odata_error(action(&server, &northwind, name, &json!({ "executionId": id })), 404, name);
    }
    // A company the caller is not granted answers as one that does not exist.
    let foreign = json!({ "definitionGroupId": "Contoso export", "executionId": "", "legalEntityId": "demf" });
    odata_error(action(&server, &token, "ExportToPackage", &foreign), 404, "an export of demf");
}

fn rows_naming_a_company_the_sender_is_not_granted_are_rejected_on_every_import_path(backend: Backend) {
    let server = TestServer::start_on(backend);
    let token = server.token(FABRIKAM);
    let ops = server.token(OPS);

    // The connector: the job's company is usmf.
    let enqueued = post(
        &server,
        &token,
        &format!("/api/connector/enqueue/{GROUPS_JOB}?entity=Customer%20groups"),
        TWO_COMPANIES.as_bytes().to_vec(),
    );
    let id = ok_json(enqueued, "an enqueue").as_str().expect("a message id").to_owned();
    server.wait_for("the message to be processed", || {
        !["Enqueued", "Processing"].contains(&message(&server, &ops, &id)["Status"].as_str().unwrap_or_default())
    });
    let execution = message(&server, &ops, &id)["ExecutionId"].as_str().expect("an execution").to_owned();
    let errors = ok_json(get(&server, &ops, &format!("/manage/executions/{execution}/errors")), "the errors");
    assert!(errors.to_string().contains("company demf"), "the demf row is rejected with its reason: {errors}");

    // The package API, without legalEntityId.
    let package = {
        let mut reader = PackageReader::open(Cursor::new(sample(&server, "contoso-setup.zip")), &ZipLimits::default())
            .expect("open");
        let (manifest, header) = (reader.manifest().clone(), reader.header().expect("a header").clone());
        let mut writer = PackageWriter::new(Cursor::new(Vec::new()));
        for entity in &manifest.entities {
            let mut bytes = Vec::new();
            reader.extract(&entity.input_file_path, &mut bytes).expect("an entity file");
            if entity.entity_name == "Customer groups" {
                // CSV-Unicode, as the package's manifest says.
                let text = TWO_COMPANIES.replace("81", "83").replace("82", "84");
                bytes = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
            }
            writer.start_entity_file(&entity.input_file_path).expect("an entry").write_all(&bytes).expect("written");
        }
        writer.finish(&manifest, &header).expect("a package").into_inner()
    };
    let link = upload_link(&server, &token);
    assert_eq!(send(&server, None, Method::PUT, &link, package).status(), 201);
    let import =
        json!({ "packageUrl": link, "definitionGroupId": "Contoso setup", "executionId": "", "execute": true });
    let id = ok_json(action(&server, &token, "ImportFromPackage", &import), "an import")["value"]
        .as_str()
        .expect("an execution id")
        .to_owned();
    assert_ne!(settled(&server, &token, &id), "Succeeded");
    let errors = ok_json(action(&server, &token, "GetExecutionErrors", &json!({ "executionId": id })), "errors");
    assert!(errors["value"].as_str().is_some_and(|errors| errors.contains("company demf")), "{errors}");

    // OData: a row in another company, by body and by key.
    let body = json!({ "dataAreaId": "demf", "CustomerGroupId": "85", "Description": "x" });
    let created = post(&server, &token, "/data/CustomerGroups", body.to_string());
    assert!([403, 404].contains(&created.status().as_u16()), "OData create in demf: {}", created.status());
    create_group(&server, "demf", "86");
    let patch = send(
        &server,
        Some(&token),
        Method::PATCH,
        "/data/CustomerGroups(dataAreaId='demf',CustomerGroupId='86')",
        json!({ "Description": "changed" }).to_string(),
    );
    assert_eq!(patch.status(), 404, "OData update in demf by key");

    assert!(group_ids(&server, "usmf").contains(&"81".to_owned()), "the own company's row of the message is kept");
    assert_eq!(group_ids(&server, "demf"), ["86"], "only the admin's row is in demf");
}

/// A CSV file's text: UTF-16 with its byte-order mark (D365's CSV-Unicode), else UTF-8.
fn decoded(bytes: &[u8]) -> String {
    match bytes.strip_prefix(&[0xFF, 0xFE]) {
        Some(utf16) => {
            let units: Vec<u16> = utf16.chunks_exact(2).map(|pair| u16::from_le_bytes([pair[0], pair[1]])).collect();
            String::from_utf16_lossy(&units)
        }
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn an_admin_granted_one_company_defines_and_sees_only_that_companys_jobs(backend: Backend) {
    let mut server = TestServer::start_on(backend);
    server.register("usmf-admin", &[Role::Admin], &["usmf"]);
    let (admin, ops) = (server.token("usmf-admin"), server.token(OPS));
    let demf_job = "1d1d1d1d-0000-4000-8000-000000000001";
    let created = post(
        &server,
        &ops,
        "/manage/jobs",
        job(demf_job, "Customer groups", "import", "file", "demf", FABRIKAM).to_string(),
    );
    assert_eq!(created.status(), 201, "the admin of every company defines a demf job");

    let mut everywhere =
        job("1d1d1d1d-0000-4000-8000-000000000002", "Customer groups", "import", "file", "usmf", FABRIKAM);
    everywhere.as_object_mut().expect("an object").remove("company");
    for (what, body) in [
        (
            "a job of demf",
            job("1d1d1d1d-0000-4000-8000-000000000003", "Customer groups", "import", "file", "demf", FABRIKAM),
        ),
        ("a job of no company", everywhere),
        ("taking over the demf job", job(demf_job, "Customer groups", "import", "file", "usmf", FABRIKAM)),
    ] {
        let refused = post(&server, &admin, "/manage/jobs", body.to_string());
        assert!([403, 404].contains(&refused.status().as_u16()), "{what}: {}", refused.status());
    }
    let path = format!("/manage/jobs/{demf_job}");
    odata_error(get(&server, &admin, &path), 404, "reading the demf job");
    let replaced = job(demf_job, "Customer groups", "import", "file", "usmf", FABRIKAM).to_string();
    odata_error(send(&server, Some(&admin), Method::PUT, &path, replaced), 404, "replacing the demf job");
    odata_error(send(&server, Some(&admin), Method::DELETE, &path, Vec::new()), 404, "deleting the demf job");
    let listed = ok_json(get(&server, &admin, "/manage/jobs"), "the jobs").to_string();
    assert!(!listed.contains(demf_job), "the demf job is listed to the usmf admin: {listed}");
    assert_eq!(get(&server, &ops, &path).status(), 200, "the demf job is still there");

    let own = post(
        &server,
        &admin,
        "/manage/jobs",
        job("1d1d1d1d-0000-4000-8000-000000000004", "Customer groups", "import", "file", "usmf", FABRIKAM).to_string(),
    );
    assert_eq!(own.status(), 201, "a job of its own company");
}

on_both_backends!(
    a_package_export_without_a_company_holds_only_the_callers_default_company_and_only_it_sees_the_execution,
    rows_naming_a_company_the_sender_is_not_granted_are_rejected_on_every_import_path,
    an_admin_granted_one_company_defines_and_sees_only_that_companys_jobs,
);
