//! The data-package API behind a load balancer: two replicas on one PostgreSQL database, and a
//! client whose calls reach either. An upload link one replica handed out takes the package
//! on the other, an export one replica wrote downloads from the other byte for byte, and a
//! link takes one body even when two arrive at two replicas at once.

use std::io::{Cursor, Read};
use std::sync::mpsc;

use reqwest::blocking::Response;
use serde_json::{Value, json};
use uuid::Uuid;
use wharf::auth::Role;
use wharf::backend::Postgres;
use wharf::formats::package::{PackageReader, ZipLimits};

use crate::contract::{TOO_LONG_GROUP_ID, poll, sample, setup_package_with};
use crate::server::{FABRIKAM, TestServer};

/// A data-management client granted company `demf` only, registered on the second replica.
const OTHER_COMPANY: &str = "contoso-demf";

/// A client of one replica: its server and a token it issued.
struct Client<'a> {
    server: &'a TestServer,
    token: String,
}

impl<'a> Client<'a> {
    fn new(server: &'a TestServer) -> Client<'a> {
        Client { server, token: server.token(FABRIKAM) }
    }

    /// A package API action's string `value`.
    fn action(&self, name: &str, body: &Value) -> String {
        let path = format!("/data/DataManagementDefinitionGroups/Microsoft.Dynamics.DataEntities.{name}");
        let response =
            self.server.http.post(self.server.at(&path)).bearer_auth(&self.token).json(body).send().expect("answers");
        let status = response.status();
        let text = response.text().expect("a body");
        assert_eq!(status, 200, "{name} {body}: {text}");
        let envelope: Value = serde_json::from_str(&text).expect("an OData envelope");
        envelope["value"].as_str().unwrap_or_else(|| panic!("{name}: the value is not a string: {text}")).to_owned()
    }

    /// A new upload link, as this replica mints it.
    fn upload_link(&self) -> String {
        let answer = self.action("GetAzureWriteUrl", &json!({ "uniqueFileName": Uuid::new_v4().to_string() }));
        let answer: Value = serde_json::from_str(&answer).expect("GetAzureWriteUrl's value is JSON in a string");
        answer["BlobUrl"].as_str().expect("a BlobUrl").to_owned()
    }

    /// The execution summary status of `execution` once it has stopped running.
    fn settled(&self, execution: &str) -> String {
        poll(&format!("execution {execution} to settle"), || {
            let status = self.action("GetExecutionSummaryStatus", &json!({ "executionId": execution }));
            (!["NotRun", "Executing"].contains(&status.as_str())).then_some(status)
        })
    }
}

/// Two replicas sharing a fresh schema, and the clients registered on it.
fn replicas() -> (String, TestServer, TestServer) {
    let database = wharf::backend::testing::scratch().expect("a PostgreSQL schema for the test");
    let one = TestServer::start_with(|config| config.database.url = Some(database.clone()));
    let mut two = one.replica(|_| {});
    two.register(OTHER_COMPANY, &[Role::DataManagement], &["demf"]);
    (database, one, two)
}

/// `link`, minted by `from`, as it reaches `to`: the same path and signature on the other
/// replica's address, as a load balancer would pass it on.
fn through(link: &str, from: &TestServer, to: &TestServer) -> String {
    let rest =
        link.strip_prefix(from.public_url()).unwrap_or_else(|| panic!("{link} is not a link of {}", from.public_url()));
    format!("{}{rest}", to.url)
}

fn put(server: &TestServer, url: &str, body: reqwest::blocking::Body) -> Response {
    server.http.put(url).header("x-ms-blob-type", "BlockBlob").body(body).send().expect("the blob link answers")
}

#[test]
fn a_package_uploaded_through_one_replica_imports_on_the_other_and_an_export_downloads_from_both() {
    let (_database, one, two) = replicas();
    let (client_one, client_two) = (Client::new(&one), Client::new(&two));

    let link = client_one.upload_link();
    let package = sample("contoso-setup.zip");
    let uploaded = put(&two, &through(&link, &one, &two), package.clone().into());
    assert_eq!(uploaded.status(), 201, "the other replica takes the upload: {:?}", uploaded.text());
    let request = json!({
        "packageUrl": link,
        "definitionGroupId": "Contoso setup",
        "executionId": "",
        "execute": true,
        "legalEntityId": "usmf",
    });
    let execution = client_one.action("ImportFromPackage", &request);
    assert_eq!(client_one.settled(&execution), "Succeeded");
    let errors = client_one.action("GetExecutionErrors", &json!({ "executionId": execution }));
    assert_eq!(serde_json::from_str::<Value>(&errors).expect("JSON"), json!([]), "no errors: {errors}");
    // The uploaded package reads back whole from either replica.
    for (server, url) in [(&one, link.clone()), (&two, through(&link, &one, &two))] {
        let stored = server.http.get(&url).send().expect("the link answers").bytes().expect("the package");
        assert!(stored.as_ref() == package.as_slice(), "{url} gives back the package as uploaded");
    }

    let chosen = format!("Contoso export-{}", Uuid::new_v4());
    let request = json!({
        "definitionGroupId": "Contoso export",
        "packageName": chosen,
        "executionId": chosen,
        "legalEntityId": "usmf",
    });
    assert_eq!(client_one.action("ExportToPackage", &request), chosen);
    let asked = json!({ "executionId": chosen });
    let url = poll("the exported package, asked of the other replica", || {
        Some(client_two.action("GetExportedPackageUrl", &asked)).filter(|url| !url.is_empty())
    });
    assert!(url.starts_with(two.public_url()), "links start with the public URL: {url}");
    let download = |url: &str| {
        let response = one.http.get(url).send().expect("the package link answers");
        assert_eq!(response.status(), 200, "{url}");
        response.bytes().expect("a zip").to_vec()
    };
    let from_two = download(&url);
    let from_one = download(&client_one.action("GetExportedPackageUrl", &asked));
    assert!(from_two == from_one, "both replicas give the same bytes ({} and {})", from_two.len(), from_one.len());
    let reader = PackageReader::open(Cursor::new(from_two), &ZipLimits::default()).expect("a data package");
    assert_eq!(reader.manifest().definition_group_name, "Contoso export");
    let entities: Vec<&str> = reader.manifest().entities.iter().map(|entity| entity.entity_name.as_str()).collect();
    assert!(entities.contains(&"Customer groups"), "the imported groups are exported: {entities:?}");

    // The replica that did not run the export finds it by its package, whose company decides
    // who sees it: a client of another company, or an export no replica ran, is not found.
    let path = "/data/DataManagementDefinitionGroups/Microsoft.Dynamics.DataEntities.GetExportedPackageUrl";
    let other_company = Client { server: &two, token: two.token(OTHER_COMPANY) };
    let missing = json!({ "executionId": format!("Contoso export-{}", Uuid::new_v4()) });
    for (client, body, what) in
        [(&other_company, &asked, "another company's export"), (&client_two, &missing, "no export")]
    {
        let response = two.http.post(two.at(path)).bearer_auth(&client.token).json(body).send().expect("answers");
        assert_eq!(response.status(), 404, "{what}");
    }
}

#[test]
fn the_rejected_rows_of_an_import_one_replica_ran_download_from_the_other() {
    let (_database, one, two) = replicas();
    let (client_one, client_two) = (Client::new(&one), Client::new(&two));
    let link = client_one.upload_link();
    // The package's customer groups are CSV-Unicode: UTF-16 LE with a byte order mark.
    let groups = format!("CUSTOMERGROUPID,DESCRIPTION\r\nGOV,Government\r\n{TOO_LONG_GROUP_ID},Too long\r\n");
    let groups: Vec<u8> = [0xFF, 0xFE].into_iter().chain(groups.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let package = setup_package_with("Customer groups.csv", &groups);
    assert_eq!(put(&one, &link, package.into()).status(), 201);
    let request = json!({
        "packageUrl": link,
        "definitionGroupId": "Contoso setup",
        "executionId": "",
        "execute": true,
        "legalEntityId": "usmf",
    });
    let execution = client_one.action("ImportFromPackage", &request);
    assert_eq!(client_one.settled(&execution), "PartiallySucceeded");

    // The replica that did not run the import makes the error keys file from the store.
    let asked = json!({ "executionId": execution, "entityName": "Customer groups" });
    let path = "/data/DataManagementDefinitionGroups/Microsoft.Dynamics.DataEntities.GenerateImportTargetErrorKeysFile";
    let generated = two.http.post(two.at(path)).bearer_auth(&client_two.token).json(&asked).send().expect("answers");
    assert_eq!(generated.status(), 200);
    assert_eq!(generated.json::<Value>().expect("JSON")["value"], json!(true), "the other replica finds the errors");
    let url = poll("the error keys file, from the other replica", || {
        Some(client_two.action("GetImportTargetErrorKeysFileUrl", &asked)).filter(|url| !url.is_empty())
    });
    let text = two.http.get(&url).send().expect("the link answers").text().expect("text");
    assert!(text.contains(TOO_LONG_GROUP_ID) && !text.contains("Government"), "only the rejected row: {text}");
}

/// A body that sends `first`, then waits until `release` fires before sending `rest`: an
/// upload held open half-way, as a slow client's is.
struct HeldBody {
    first: Cursor<Vec<u8>>,
    release: mpsc::Receiver<()>,
    rest: Option<Cursor<Vec<u8>>>,
}

impl Read for HeldBody {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.first.read(buffer)?;
        if read > 0 {
            return Ok(read);
        }
        if self.rest.is_none() {
            // Released, or the test gave up on it: either way the body goes on.
            let _ = self.release.recv();
            self.rest = Some(Cursor::new(Vec::new()));
        }
        self.rest.as_mut().map_or(Ok(0), |rest| rest.read(buffer))
    }
}

/// Whether some replica's upload holds its claim in `postgres`'s schema, part-way through a
/// body: a transaction that wrote chunks, waiting for more. Read from the server's lock table,
/// which takes no lock of its own.
fn upload_under_way(postgres: &Postgres) -> bool {
    postgres.block_on(async {
        let client = postgres.client().await.expect("a connection");
        let row = client
            .query_one(
                "SELECT count(*) FROM pg_locks l
                     JOIN pg_class c ON c.oid = l.relation
                     JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE c.relname = 'blob_chunks' AND c.relnamespace = current_schema()::regnamespace
                   AND l.mode = 'RowExclusiveLock' AND a.state = 'idle in transaction'",
                &[],
            )
            .await
            .expect("the lock table reads");
        row.get::<_, i64>(0) > 0
    })
}

#[test]
fn an_upload_link_takes_one_body_when_two_reach_two_replicas_at_once() {
    let (database, one, two) = replicas();
    let postgres = Postgres::connect_blocking(&database, 1).expect("the test database connects");
    let link = Client::new(&one).upload_link();
    let on_two = through(&link, &one, &two);

    // Three chunks' worth arrive at the first replica, and the rest waits.
    let first: Vec<u8> = (0..3 * 1024 * 1024).map(|index: u32| (index % 251) as u8).collect();
    let (release, released) = mpsc::channel();
    let held = HeldBody { first: Cursor::new(first.clone()), release: released, rest: None };
    let (held_put, other_put) = std::thread::scope(|scope| {
        let (one, link) = (&one, &link);
        let held_put = scope.spawn(move || put(one, link, reqwest::blocking::Body::new(held)).status());
        poll("the held upload to claim its link", || upload_under_way(&postgres).then_some(()));
        let other = put(&two, &on_two, b"another package".to_vec().into());
        let other_put = (other.status(), other.text().unwrap_or_default());
        release.send(()).expect("the held upload waits");
        (held_put.join().expect("the held upload"), other_put)
    });
    assert_eq!(other_put.0, 409, "the body that reached the other replica meanwhile is refused: {}", other_put.1);
    assert!(other_put.1.contains("upload link has been used"), "{}", other_put.1);
    assert_eq!(held_put, 201, "the body that claimed the link first is taken");

    let again = put(&two, &on_two, b"a later package".to_vec().into());
    assert_eq!(again.status(), 409, "a link with its body takes no other, on any replica");
    for (server, url) in [(&one, &link), (&two, &on_two)] {
        let stored = server.http.get(url).send().expect("the link answers").bytes().expect("the upload");
        assert!(stored.as_ref() == first.as_slice(), "{url} holds the body that was taken, whole");
    }
}
