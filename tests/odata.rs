//! The OData service against a real server: CRUD with ETags, D365's query options and paging,
//! company scoping, `$batch` change sets, `$expand`, and hostile requests that must change
//! nothing. Each runs on both backends (the embedded store and PostgreSQL).

use reqwest::blocking::{RequestBuilder, Response};
use serde_json::{Value, json};

use crate::server::{Backend, FABRIKAM, OPS, TestServer, on_both_backends};

/// A server with the example deployment and an OData client for `client`.
pub(crate) struct OData {
    pub(crate) server: TestServer,
}

impl OData {
    pub(crate) fn start() -> OData {
        OData::start_on(Backend::Sqlite)
    }

    pub(crate) fn start_on(backend: Backend) -> OData {
        OData { server: TestServer::start_on(backend) }
    }

    pub(crate) fn request(&self, client: &str, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.server
            .http
            .request(method, self.server.at(&format!("/data/{path}")))
            .bearer_auth(self.server.token(client))
    }

    pub(crate) fn get(&self, client: &str, path: &str) -> Response {
        self.request(client, reqwest::Method::GET, path).send().expect("the server answers")
    }

    pub(crate) fn json(&self, client: &str, path: &str) -> Value {
        let response = self.get(client, path);
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().expect("JSON")
    }

    pub(crate) fn post(&self, client: &str, path: &str, body: &Value) -> Response {
        self.request(client, reqwest::Method::POST, path).json(body).send().expect("the server answers")
    }

    pub(crate) fn customer(
        &self,
        client: &str,
        account: &str,
        group: &str,
        credit: &str,
        company: Option<&str>,
    ) -> Response {
        let mut body = json!({
            "CustomerAccount": account,
            "OrganizationName": format!("Organization {account}"),
            "CustomerGroupId": group,
            "CreditLimit": credit.parse::<f64>().expect("a number"),
            "CustomerSince": "2020-03-15",
        });
        if let Some(company) = company {
            body["dataAreaId"] = json!(company);
        }
        self.post(client, "CustomersV3", &body)
    }

    fn count(&self, client: &str, query: &str) -> u64 {
        let response = self.get(client, &format!("CustomersV3/$count{query}"));
        assert_eq!(response.status(), 200);
        response.text().expect("text").parse().expect("a bare number")
    }

    fn accounts(&self, client: &str, query: &str) -> Vec<String> {
        let body = self.json(client, &format!("CustomersV3?{query}"));
        body["value"]
            .as_array()
            .expect("value")
            .iter()
            .map(|row| row["CustomerAccount"].as_str().expect("account").to_owned())
            .collect()
    }
}

pub(crate) fn error_message(response: Response) -> String {
    let body: Value = response.json().expect("OData error JSON");
    body["error"]["innererror"]["message"].as_str().expect("innererror.message").to_owned()
}

fn create_read_update_delete_with_etags(backend: Backend) {
    let odata = OData::start_on(backend);
    let created = odata.customer(FABRIKAM, "C-0001", "10", "1500.50", None);
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().expect("text").to_owned();
    assert!(location.ends_with("/data/CustomersV3(dataAreaId='usmf',CustomerAccount='C-0001')"), "{location}");
    let etag = created.headers()["etag"].to_str().expect("text").to_owned();
    let body: Value = created.json().expect("JSON");
    assert_eq!(body["@odata.context"], json!(format!("{}/data/$metadata#CustomersV3/$entity", odata.server.url)));
    assert_eq!(body["dataAreaId"], "usmf", "the caller's default company");
    assert_eq!(body["CreditLimit"], json!(1500.5));
    assert_eq!(body["Blocked"], "No", "defaults fill what the body leaves out");
    assert_eq!(body["SalesCurrencyCode"], "USD");

    let key = "CustomersV3(dataAreaId='usmf',CustomerAccount='C-0001')";
    let read = odata.get(FABRIKAM, key);
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["etag"].to_str().expect("text"), etag);
    assert_eq!(read.headers()["odata-version"], "4.0");
    let row: Value = read.json().expect("JSON");
    assert_eq!(row["@odata.etag"], json!(etag));
    assert_eq!(row["OrganizationName"], "Organization C-0001");

    // A merge keeps what it does not name; the ETag moves.
    let patch = |if_match: &str, body: Value| {
        odata
            .request(FABRIKAM, reqwest::Method::PATCH, key)
            .header("If-Match", if_match)
            .json(&body)
            .send()
            .expect("answers")
    };
    let updated = patch(&etag, json!({ "AddressCity": "Seattle" }));
    assert_eq!(updated.status(), 204);
    let new_etag = updated.headers()["etag"].to_str().expect("text").to_owned();
    assert_ne!(new_etag, etag);
    let stale = patch(&etag, json!({ "AddressCity": "Redmond" }));
    assert_eq!(stale.status(), 412, "a lost update is refused");
    let row = odata.json(FABRIKAM, key);
    assert_eq!(row["AddressCity"], "Seattle");
    assert_eq!(row["OrganizationName"], "Organization C-0001");
    assert_eq!(patch("*", json!({ "CreditLimit": "99.95" })).status(), 204, "If-Match: * and decimals as strings");
    assert_eq!(odata.json(FABRIKAM, key)["CreditLimit"], json!(99.95));

    // A replace resets what it leaves out.
    let replaced = odata
        .request(FABRIKAM, reqwest::Method::PUT, key)
        .json(&json!({ "OrganizationName": "Replaced", "CustomerGroupId": "20" }))
        .send()
        .expect("answers");
    assert_eq!(replaced.status(), 204);
    let row = odata.json(FABRIKAM, key);
    assert_eq!(
        (row["OrganizationName"].as_str(), row["AddressCity"].is_null(), row["CreditLimit"].clone()),
        (Some("Replaced"), true, json!(0))
    );

    let conflict = odata.customer(FABRIKAM, "C-0001", "10", "1", None);
    assert_eq!(conflict.status(), 409);
    assert!(error_message(conflict).contains("already exists"));

    let stale_delete = odata
        .request(FABRIKAM, reqwest::Method::DELETE, key)
        .header("If-Match", etag.as_str())
        .send()
        .expect("answers");
    assert_eq!(stale_delete.status(), 412);
    assert_eq!(odata.request(FABRIKAM, reqwest::Method::DELETE, key).send().expect("answers").status(), 204);
    assert_eq!(odata.get(FABRIKAM, key).status(), 404);
    assert_eq!(odata.request(FABRIKAM, reqwest::Method::DELETE, key).send().expect("answers").status(), 404);

    let minimal = odata
        .request(FABRIKAM, reqwest::Method::POST, "CustomersV3")
        .header("Prefer", "return=minimal")
        .json(&json!({ "CustomerAccount": "C-0002", "OrganizationName": "Two", "CustomerGroupId": "10" }))
        .send()
        .expect("answers");
    assert_eq!(minimal.status(), 204);
    assert!(minimal.headers()["odata-entityid"].to_str().expect("text").ends_with("CustomerAccount='C-0002')"));
}

fn query_options_filter_select_order_page_and_count(backend: Backend) {
    let odata = OData::start_on(backend);
    for number in 1..=25 {
        let group = if number % 2 == 0 { "20" } else { "10" };
        let created = odata.customer(FABRIKAM, &format!("Q-{number:03}"), group, &format!("{}.25", number * 100), None);
        assert_eq!(created.status(), 201);
    }
    assert_eq!(odata.count(FABRIKAM, ""), 25);
    assert_eq!(odata.count(FABRIKAM, "?$filter=CustomerGroupId%20eq%20'20'"), 12);
    let cases: [(&str, Vec<&str>); 10] = [
        ("$filter=CustomerAccount eq 'Q-007'", vec!["Q-007"]),
        ("$filter=CreditLimit gt 2300 and CustomerGroupId eq '10'", vec!["Q-023", "Q-025"]),
        ("$filter=CreditLimit ge 2400.25 or CustomerAccount eq 'Q-001'", vec!["Q-001", "Q-024", "Q-025"]),
        (
            "$filter=contains(CustomerAccount,'-01') and not endswith(CustomerAccount,'0')",
            vec!["Q-011", "Q-012", "Q-013", "Q-014", "Q-015", "Q-016", "Q-017", "Q-018", "Q-019"],
        ),
        ("$filter=CustomerAccount eq '*-02*'", vec!["Q-020", "Q-021", "Q-022", "Q-023", "Q-024", "Q-025"]),
        (
            "$filter=startswith(tolower(CustomerAccount),'q-00') and CreditLimit sub 100 lt 300",
            vec!["Q-001", "Q-002", "Q-003"],
        ),
        (
            "$filter=year(CustomerSince) eq 2020 and month(CustomerSince) eq 3 and CustomerAccount eq 'Q-005'",
            vec!["Q-005"],
        ),
        (
            "$filter=Blocked eq Microsoft.Dynamics.DataEntities.CustVendorBlocked'No' and length(CustomerAccount) eq 5&$top=2",
            vec!["Q-001", "Q-002"],
        ),
        ("$orderby=CreditLimit desc&$top=3", vec!["Q-025", "Q-024", "Q-023"]),
        (
            "$filter=(CustomerGroupId eq '20') and (indexof(CustomerAccount,'Q') eq 0)&$orderby=CustomerAccount&$skip=10",
            vec!["Q-022", "Q-024"],
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(odata.accounts(FABRIKAM, query), expected, "{query}");
    }

    let selected = odata.json(FABRIKAM, "CustomersV3?$select=CustomerAccount,CreditLimit&$top=1&$count=true");
    assert_eq!(selected["@odata.count"], 25);
    let row = selected["value"][0].as_object().expect("a row");
    let mut names: Vec<&str> = row.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["@odata.etag", "CreditLimit", "CustomerAccount"]);
    assert!(
        selected["@odata.context"].as_str().expect("context").ends_with("#CustomersV3(CustomerAccount,CreditLimit)")
    );

    // Server-driven paging: every row once, in order, however small the pages.
    let mut next = Some(odata.server.at("/data/CustomersV3?$orderby=CreditLimit%20desc&$select=CustomerAccount"));
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        let response = odata
            .server
            .http
            .get(&url)
            .bearer_auth(odata.server.token(FABRIKAM))
            .header("Prefer", "odata.maxpagesize=7")
            .send()
            .expect("answers");
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(response.headers()["preference-applied"], "odata.maxpagesize=7");
        let page: Value = response.json().expect("JSON");
        pages += 1;
        seen.extend(
            page["value"]
                .as_array()
                .expect("rows")
                .iter()
                .map(|row| row["CustomerAccount"].as_str().expect("account").to_owned()),
        );
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    assert_eq!(pages, 4);
    let expected: Vec<String> = (1..=25).rev().map(|number| format!("Q-{number:03}")).collect();
    assert_eq!(seen, expected);
    // $top across pages stops at $top.
    let first = odata
        .server
        .http
        .get(odata.server.at("/data/CustomersV3?$top=9"))
        .bearer_auth(odata.server.token(FABRIKAM))
        .header("Prefer", "odata.maxpagesize=5")
        .send()
        .expect("answers");
    let first: Value = first.json().expect("JSON");
    let next = first["@odata.nextLink"].as_str().expect("a next page");
    let second: Value = odata
        .server
        .http
        .get(next)
        .bearer_auth(odata.server.token(FABRIKAM))
        .send()
        .expect("answers")
        .json()
        .expect("JSON");
    assert_eq!(second["value"].as_array().expect("rows").len(), 4);
    assert!(second.get("@odata.nextLink").is_none());
}

/// A customer as the .NET OData client's generated proxy types it: only the members read here,
/// non-optional where `$metadata` says the property is not nullable.
#[derive(Debug, serde::Deserialize)]
struct Customer {
    #[serde(rename = "CustomerAccount")]
    account: String,
    #[serde(rename = "AddressCity")]
    city: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
struct Customers {
    value: Vec<Customer>,
}

fn boolean_functions_compared_with_true_or_false_filter_as_the_clients_writing_them_mean(backend: Backend) {
    let odata = OData::start_on(backend);
    for (account, city) in [("N-1", Some("Seattle")), ("N-2", Some("Redmond")), ("N-3", None)] {
        let mut body = json!({"CustomerAccount": account, "OrganizationName": account, "CustomerGroupId": "10"});
        if let Some(city) = city {
            body["AddressCity"] = json!(city);
        }
        assert_eq!(odata.post(FABRIKAM, "CustomersV3", &body).status(), 201);
    }
    // LINQ's `Where(c => c.AddressCity.StartsWith("Sea") == true)` and its kin, as the .NET
    // OData client and Simple.OData.Client write them. A function of a missing city is null:
    // equal to neither true nor false, different from both.
    let cases: [(&str, &[&str]); 9] = [
        ("startswith(AddressCity,'Sea') eq true", &["N-1"]),
        ("startswith(AddressCity,'Sea') eq false", &["N-2"]),
        ("startswith(AddressCity,'Sea') ne true", &["N-2", "N-3"]),
        ("startswith(AddressCity,'Sea') ne false", &["N-1", "N-3"]),
        ("true eq endswith(AddressCity,'mond')", &["N-2"]),
        ("false eq contains(AddressCity,'att')", &["N-2"]),
        ("not (contains(AddressCity,'att') eq true)", &["N-2", "N-3"]),
        ("(contains(AddressCity,'e') eq true) eq true and CustomerAccount ne 'N-1'", &["N-2"]),
        ("(CustomerAccount eq 'N-3') eq false", &["N-1", "N-2"]),
    ];
    for (filter, expected) in cases {
        let response =
            odata.get(FABRIKAM, &format!("CustomersV3?$filter={filter}&$select=CustomerAccount,AddressCity"));
        assert_eq!(response.status(), 200, "{filter}");
        let customers: Customers = response.json().expect("customers");
        let accounts: Vec<&str> = customers.value.iter().map(|customer| customer.account.as_str()).collect();
        assert_eq!(accounts, expected, "{filter}");
        if filter == "startswith(AddressCity,'Sea') ne true" {
            assert_eq!(customers.value[1].city, None, "N-3 has no city");
        }
    }
    for (filter, status) in [("startswith(AddressCity,'Sea') eq 'true'", 400), ("contains(AddressCity,'a') eq 1", 400)]
    {
        assert_eq!(odata.get(FABRIKAM, &format!("CustomersV3?$filter={filter}")).status(), status, "{filter}");
    }
}

fn an_unsupported_request_answers_501_and_is_counted_for_operators(backend: Backend) {
    let odata = OData::start_on(backend);
    let status = || {
        let response = odata.server.http.get(odata.server.at("/manage/status")).bearer_auth(odata.server.token(OPS));
        let body: Value = response.send().expect("answers").json().expect("JSON");
        body["odata_unsupported_requests"].as_u64().expect("a count")
    };
    assert_eq!(status(), 0);
    assert_eq!(odata.get(FABRIKAM, "CustomersV3?$search=blue").status(), 501);
    assert_eq!(odata.get(FABRIKAM, "CustomersV3?$filter=CustomerGroupId in ('10','20')").status(), 501);
    assert_eq!(odata.get(FABRIKAM, "CustomersV3?$filter=NoSuchField eq 1").status(), 400, "not counted");
    assert_eq!(status(), 2);
    // An operation of a batch answered 501 counts too, though the batch answers 200.
    let root = format!("{}/data", odata.server.url);
    let body = format!(
        "--batch_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET {root}/CustomersV3?$search=blue HTTP/1.1\r\n\r\n\r\n--batch_1--\r\n"
    );
    let batch = odata
        .request(FABRIKAM, reqwest::Method::POST, "$batch")
        .header("Content-Type", "multipart/mixed; boundary=batch_1")
        .body(body)
        .send()
        .expect("answers");
    assert_eq!(batch.status(), 200);
    assert!(batch.text().expect("text").contains("HTTP/1.1 501"));
    assert_eq!(status(), 3);
    let forbidden = odata.server.http.get(odata.server.at("/manage/status")).bearer_auth(odata.server.token(FABRIKAM));
    assert_eq!(forbidden.send().expect("answers").status(), 403, "an operator's view");
}

fn companies_scope_reads_and_writes(backend: Backend) {
    let mut odata = OData::start_on(backend);
    for (account, company) in [("S-1", "usmf"), ("S-2", "usmf"), ("S-3", "usrt"), ("S-4", "demf")] {
        assert_eq!(odata.customer(OPS, account, "10", "1", Some(company)).status(), 201, "{account}");
    }
    // Without cross-company: the default company only; with it: every granted company.
    assert_eq!(odata.accounts(FABRIKAM, ""), ["S-1", "S-2"]);
    assert_eq!(odata.accounts(FABRIKAM, "cross-company=true"), ["S-1", "S-2"]);
    assert_eq!(odata.accounts(OPS, "cross-company=true&$orderby=CustomerAccount"), ["S-1", "S-2", "S-3", "S-4"]);
    assert_eq!(odata.accounts(OPS, "cross-company=true&$filter=dataAreaId eq 'USRT'"), ["S-3"]);
    odata.server.register("retail", &[wharf::auth::Role::DataManagement], &["usrt", "demf"]);
    assert_eq!(odata.accounts("retail", "cross-company=true&$orderby=CustomerAccount"), ["S-3", "S-4"]);
    assert_eq!(odata.count("retail", "?cross-company=true"), 2);

    let outside = "CustomersV3(dataAreaId='usrt',CustomerAccount='S-3')";
    assert_eq!(odata.get(FABRIKAM, outside).status(), 404, "a company outside the grant looks absent");
    // A key in a granted company other than the default one is outside the default scope, as
    // D365 scopes reads; d365fo.integrations' -CrossCompany sends the same URL with
    // `?&cross-company=true` (Get-D365ODataEntityDataByKey) or `?cross-company=true`.
    assert_eq!(odata.get("retail", outside).status(), 404, "retail's default company is demf");
    let row: Value = odata.json("retail", &format!("{outside}?&cross-company=true"));
    assert_eq!((row["dataAreaId"].as_str(), row["CustomerAccount"].as_str()), (Some("usrt"), Some("S-3")));
    assert_eq!(odata.get(FABRIKAM, &format!("{outside}?cross-company=true")).status(), 404, "still not granted");
    let renamed = |client: &str, query: &str, name: &str| {
        odata
            .request(client, reqwest::Method::PATCH, &format!("{outside}{query}"))
            .json(&json!({"OrganizationName": name}))
            .send()
            .expect("answers")
            .status()
    };
    assert_eq!(renamed(OPS, "", "Without cross-company"), 404, "Update-D365ODataEntity without -CrossCompany");
    assert_eq!(renamed(OPS, "?cross-company=true", "Renamed"), 204, "Update-D365ODataEntity -CrossCompany");
    let read = odata.json(OPS, &format!("{outside}?cross-company=true"));
    assert_eq!(read["OrganizationName"], "Renamed");
    let patch = odata
        .request(FABRIKAM, reqwest::Method::PATCH, outside)
        .json(&json!({"AddressCity": "X"}))
        .send()
        .expect("answers");
    assert_eq!(patch.status(), 404);
    assert_eq!(odata.request(FABRIKAM, reqwest::Method::DELETE, outside).send().expect("answers").status(), 404);
    let foreign = odata.customer(FABRIKAM, "S-5", "10", "1", Some("usrt"));
    assert_eq!(foreign.status(), 403);
    assert_eq!(odata.count(OPS, "?cross-company=true"), 4, "nothing was written");
    let outside_read = odata.get(OPS, &format!("{outside}?cross-company=true"));
    assert!(outside_read.json::<Value>().expect("JSON")["AddressCity"].is_null());

    // A delete by such a key, without and with the option.
    let demf = "CustomersV3(dataAreaId='demf',CustomerAccount='S-4')";
    let delete = |query: &str| {
        let path = format!("{demf}{query}");
        odata.request(OPS, reqwest::Method::DELETE, &path).send().expect("answers").status()
    };
    assert_eq!(delete(""), 404);
    assert_eq!(odata.count(OPS, "?cross-company=true"), 4, "the default scope deleted nothing");
    assert_eq!(delete("?cross-company=true"), 204);
    assert_eq!(odata.count(OPS, "?cross-company=true"), 3);
}

fn a_change_set_commits_all_or_nothing(backend: Backend) {
    let odata = OData::start_on(backend);
    let root = format!("{}/data", odata.server.url);
    let part = |id: u32, account: &str, name: Option<&str>| {
        let body = match name {
            Some(name) => json!({"CustomerAccount": account, "OrganizationName": name, "CustomerGroupId": "10"}),
            None => json!({"CustomerAccount": account, "CustomerGroupId": "10"}),
        };
        format!(
            "--changeset_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: {id}\r\n\r\nPOST {root}/CustomersV3 HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{body}\r\n"
        )
    };
    let batch = |parts: String| {
        let body = format!(
            "--batch_1\r\nContent-Type: multipart/mixed; boundary=changeset_1\r\n\r\n{parts}--changeset_1--\r\n--batch_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET {root}/CustomersV3/$count HTTP/1.1\r\n\r\n\r\n--batch_1--\r\n"
        );
        let response = odata
            .request(FABRIKAM, reqwest::Method::POST, "$batch")
            .header("Content-Type", "multipart/mixed; boundary=batch_1")
            .body(body)
            .send()
            .expect("answers");
        assert_eq!(response.status(), 200, "a batch answers 200 whatever its parts did");
        response.text().expect("text")
    };
    // The third insert lacks a required field: the first two are rolled back with it.
    let failed =
        batch(format!("{}{}{}", part(1, "B-1", Some("One")), part(2, "B-2", Some("Two")), part(3, "B-3", None)));
    assert!(failed.contains("HTTP/1.1 400"), "{failed}");
    assert!(!failed.contains("HTTP/1.1 201"), "a failed change set answers with its failure alone: {failed}");
    assert!(failed.contains("\r\n\r\n0"), "the count after the failed change set is 0: {failed}");
    assert_eq!(odata.count(FABRIKAM, ""), 0);

    let done = batch(format!("{}{}", part(1, "B-1", Some("One")), part(2, "B-2", Some("Two"))));
    assert_eq!(done.matches("HTTP/1.1 201").count(), 2, "{done}");
    assert!(done.contains("\r\n\r\n2"), "{done}");
    assert_eq!(odata.accounts(FABRIKAM, ""), ["B-1", "B-2"]);
}

fn hostile_queries_get_clear_errors_and_change_nothing(backend: Backend) {
    let odata = OData::start_on(backend);
    assert_eq!(odata.customer(FABRIKAM, "H-1", "10", "5", None).status(), 201);
    let snapshot = odata.json(OPS, "CustomersV3?cross-company=true");
    let injections = [
        "$filter=CustomerAccount eq 'H-1'' or 1 eq 1 --'",
        "$filter=CustomerAccount eq 'x'; DROP TABLE entity_Customer; --'",
        "$filter=CustomerAccount) or 1=1 --",
        "$filter=\"CustomerAccount\" eq 'H-1'",
        "$orderby=CustomerAccount; DELETE FROM entity_Customer",
        "$orderby=(SELECT 1)",
        "$select=CustomerAccount,(SELECT 1)",
        "$select=_version",
        "$filter=dataAreaId eq 'usmf' or dataAreaId ne 'usmf'&cross-company=false",
    ];
    for query in injections {
        let response = odata.get(FABRIKAM, &format!("CustomersV3?{query}"));
        let status = response.status().as_u16();
        if status == 200 {
            let body: Value = response.json().expect("JSON");
            let rows = body["value"].as_array().expect("rows");
            assert!(rows.iter().all(|row| row["dataAreaId"] == "usmf"), "{query} leaked rows: {body}");
            assert!(rows.len() <= 1, "{query} matched more than it names: {body}");
        } else {
            assert!([400, 501].contains(&status), "{query}: {status}");
            let message = error_message(response);
            assert!(!message.contains("SQL") && !message.contains("sqlite"), "{query}: {message}");
        }
    }
    let key_injection = odata.get(FABRIKAM, "CustomersV3(dataAreaId='usmf',CustomerAccount='H-1'' OR ''1''=''1')");
    assert_eq!(key_injection.status(), 404);
    assert_eq!(odata.get(FABRIKAM, "CustomersV3?$top=99999999999999999999999").status(), 400);
    let enormous: Value = odata.json(FABRIKAM, "CustomersV3?$top=9223372036854775807");
    assert_eq!(enormous["value"].as_array().expect("rows").len(), 1);
    let deep = format!("$filter={}CustomerAccount eq 'H-1'{}", "(".repeat(5000), ")".repeat(5000));
    assert_eq!(odata.get(FABRIKAM, &format!("CustomersV3?{deep}")).status(), 400);
    let not_deep = format!("$filter={}CustomerAccount eq 'H-1'", "not ".repeat(5000));
    assert_eq!(odata.get(FABRIKAM, &format!("CustomersV3?{not_deep}")).status(), 400);
    for unsupported in [
        "$search=blue",
        "$apply=groupby((CustomerGroupId))",
        "$filter=CustomerGroupId in ('10','20')",
        "$filter=Blocked has Microsoft.Dynamics.DataEntities.CustVendorBlocked'No'",
    ] {
        assert_eq!(odata.get(FABRIKAM, &format!("CustomersV3?{unsupported}")).status(), 501, "{unsupported}");
    }
    assert_eq!(odata.get(FABRIKAM, "CustomersV3?$filter=NoSuchField eq 1").status(), 400);
    assert_eq!(odata.get(FABRIKAM, "CustomersV3?$filter=CreditLimit eq 'lots'").status(), 400);
    assert_eq!(odata.get(FABRIKAM, "CustomersV3?$skiptoken=forged").status(), 400);
    assert_eq!(odata.get(FABRIKAM, "NoSuchSet").status(), 404);

    // Mass assignment and key changes are refused, and refused whole.
    let key = "CustomersV3(dataAreaId='usmf',CustomerAccount='H-1')";
    for body in [
        json!({"OrganizationName": "Changed", "IsAdministrator": true}),
        json!({"OrganizationName": "Changed", "_version": 1}),
        json!({"OrganizationName": "Changed", "CustomerAccount": "H-2"}),
        json!({"OrganizationName": "Changed", "dataAreaId": "usrt"}),
        json!({"OrganizationName": "Changed", "CreditLimit": "12.3.4"}),
        json!({"OrganizationName": "Changed", "Blocked": "Sometimes"}),
        json!({"OrganizationName": "x".repeat(101)}),
        json!(["not", "an", "object"]),
    ] {
        let response = odata.request(FABRIKAM, reqwest::Method::PATCH, key).json(&body).send().expect("answers");
        assert_eq!(response.status(), 400, "{body}");
    }
    let create = odata.post(
        FABRIKAM,
        "CustomersV3",
        &json!({"CustomerAccount": "H-3", "OrganizationName": "x", "CustomerGroupId": "10", "Role": "admin"}),
    );
    assert_eq!(create.status(), 400);
    // A batch over D365's 5,000 operations is refused before anything runs.
    let mut huge = String::new();
    for _ in 0..5001 {
        huge.push_str("--b\r\nContent-Type: application/http\r\n\r\nGET CustomersV3 HTTP/1.1\r\n\r\n\r\n");
    }
    huge.push_str("--b--\r\n");
    let response = odata
        .request(FABRIKAM, reqwest::Method::POST, "$batch")
        .header("Content-Type", "multipart/mixed; boundary=b")
        .body(huge)
        .send()
        .expect("answers");
    assert_eq!(response.status(), 400);
    assert_eq!(odata.json(OPS, "CustomersV3?cross-company=true"), snapshot, "nothing changed");
}

fn protocol_versions_and_unknown_methods(backend: Backend) {
    let odata = OData::start_on(backend);
    let old = odata
        .request(FABRIKAM, reqwest::Method::GET, "CustomersV3")
        .header("OData-MaxVersion", "3.0")
        .send()
        .expect("answers");
    assert_eq!(old.status(), 400);
    let anonymous = odata.server.http.get(odata.server.at("/data/CustomersV3")).send().expect("answers");
    assert_eq!(anonymous.status(), 401);
    let xml = odata.get(FABRIKAM, "CustomersV3?$format=xml");
    assert_eq!(xml.status(), 406);
    let options = odata.request(FABRIKAM, reqwest::Method::OPTIONS, "CustomersV3").send().expect("answers");
    assert_eq!(options.status(), 405);
    let count = odata.get(FABRIKAM, "CustomersV3/$count");
    assert!(count.headers()["content-type"].to_str().expect("text").starts_with("text/plain"));
}

#[test]
fn keys_and_declared_indexes_serve_queries_without_a_full_scan() {
    use wharf::store::{Comparison, Condition, Order, Query, Term};
    use wharf_plugin_sdk::Value;

    let directory = tempfile::tempdir().expect("a directory");
    let store = wharf::store::Store::open(&directory.path().join("wharf.db")).expect("a store");
    let catalog =
        wharf::entity::Catalog::load_dir(&wharf_tests::root().join("examples/deployment/entities")).expect("entities");
    store.prepare(&catalog).expect("tables");
    let customer = catalog.require("Customer").expect("Customer").clone();
    let field = |name: &str| customer.field_index(name).expect("a field");
    let equals = |name: &str, value: &str| {
        Condition::Compare(Comparison::Eq, Term::Field(field(name)), Term::Value(Value::String(value.into())))
    };
    let plan = |condition: Condition, order: Vec<Order>| {
        let query = Query { condition, order, after: None, offset: 0, limit: 10 };
        store.query_plan(&customer, &query).expect("a plan").join("; ")
    };
    let by_key = plan(equals("dataAreaId", "usmf").and(equals("CustomerAccount", "C-1")), Vec::new());
    assert!(
        by_key.contains("USING INDEX key_Customer") || by_key.contains("USING COVERING INDEX key_Customer"),
        "{by_key}"
    );
    let by_group = plan(equals("dataAreaId", "usmf").and(equals("CustomerGroupId", "10")), Vec::new());
    assert!(by_group.starts_with("SEARCH") && by_group.contains("INDEX"), "{by_group}");
    let company_page = plan(equals("dataAreaId", "usmf"), Vec::new());
    assert!(
        company_page.starts_with("SEARCH") && !company_page.contains("TEMP B-TREE"),
        "the default order is the key's: {company_page}"
    );
    let wildcard = plan(
        equals("dataAreaId", "usmf").and(Condition::Matches(Term::Field(field("OrganizationName")), "*a*".into())),
        vec![Order { field: field("CustomerAccount"), descending: false }],
    );
    assert!(wildcard.starts_with("SEARCH"), "a filter no index serves still narrows by company first: {wildcard}");
}

fn expand_reaches_related_rows_one_level_deep(backend: Backend) {
    let odata = OData::start_on(backend);
    for (company, bom) in [("usmf", "BOM-1"), ("usmf", "BOM-2"), ("usrt", "BOM-1")] {
        let header = json!({"dataAreaId": company, "BOMId": bom, "BOMName": format!("{company} {bom}")});
        assert_eq!(odata.post(OPS, "BillOfMaterialsHeaders", &header).status(), 201);
    }
    for (company, bom, line, item) in [("usmf", "BOM-1", 1, "A"), ("usmf", "BOM-1", 2, "B"), ("usrt", "BOM-1", 1, "Z")]
    {
        let body = json!({"dataAreaId": company, "BOMId": bom, "LineNumber": line, "ItemNumber": item, "Quantity": 2});
        assert_eq!(odata.post(OPS, "BillOfMaterialsLines", &body).status(), 201);
    }
    let headers = odata.json(
        FABRIKAM,
        "BillOfMaterialsHeaders?$expand=Lines($select=ItemNumber;$orderby=LineNumber desc)&$select=BOMId",
    );
    let value = headers["value"].as_array().expect("rows");
    assert_eq!(value.len(), 2);
    assert_eq!(value[0]["BOMId"], "BOM-1");
    assert_eq!(value[0]["Lines"], json!([{"ItemNumber": "B"}, {"ItemNumber": "A"}]), "only this company's lines");
    assert_eq!(value[1]["Lines"], json!([]));
    let line = odata.json(
        FABRIKAM,
        "BillOfMaterialsLines(dataAreaId='usmf',BOMId='BOM-1',LineNumber=2)?$expand=Header($select=BOMName)",
    );
    assert_eq!(line["Header"], json!({"BOMName": "usmf BOM-1"}));
    assert_eq!(odata.get(FABRIKAM, "BillOfMaterialsHeaders?$expand=Lines($expand=Header)").status(), 501);
    assert_eq!(odata.get(FABRIKAM, "BillOfMaterialsHeaders?$expand=Nothing").status(), 400);
}

fn context_urls_follow_odata_4_0_for_sets_projections_expansions_entities_and_properties(backend: Backend) {
    let odata = OData::start_on(backend);
    let header = json!({"dataAreaId": "usmf", "BOMId": "BOM-1", "BOMName": "Heater"});
    assert_eq!(odata.post(FABRIKAM, "BillOfMaterialsHeaders", &header).status(), 201);
    let line = json!({"dataAreaId": "usmf", "BOMId": "BOM-1", "LineNumber": 1, "ItemNumber": "A", "Quantity": 2});
    assert_eq!(odata.post(FABRIKAM, "BillOfMaterialsLines", &line).status(), 201);
    let root = format!("{}/data/$metadata#", odata.server.url);
    // Part 1 §10.2 and §10.7–10.10; the first is D365's own answer to the same shape of request
    // (`#SalesOrderHeadersV2(SalesOrderNumber,SalesOrderLines,SalesOrderLines(InventoryLotId,…))`).
    let cases = [
        (
            "BillOfMaterialsHeaders?$select=BOMId&$expand=Lines($select=ItemNumber)",
            "BillOfMaterialsHeaders(BOMId,Lines,Lines(ItemNumber))",
        ),
        (
            "BillOfMaterialsHeaders?$expand=Lines($select=ItemNumber,Quantity)",
            "BillOfMaterialsHeaders(Lines(ItemNumber,Quantity))",
        ),
        ("BillOfMaterialsHeaders?$select=BOMId&$expand=Lines", "BillOfMaterialsHeaders(BOMId,Lines)"),
        ("BillOfMaterialsHeaders?$expand=Lines", "BillOfMaterialsHeaders"),
        ("BillOfMaterialsHeaders?$select=BOMName,BOMId", "BillOfMaterialsHeaders(BOMId,BOMName)"),
        ("BillOfMaterialsHeaders", "BillOfMaterialsHeaders"),
        (
            "BillOfMaterialsHeaders(dataAreaId='usmf',BOMId='BOM-1')?$select=BOMName&$expand=Lines($select=ItemNumber)",
            "BillOfMaterialsHeaders(BOMName,Lines,Lines(ItemNumber))/$entity",
        ),
        ("BillOfMaterialsHeaders(dataAreaId='usmf',BOMId='BOM-1')", "BillOfMaterialsHeaders/$entity"),
        // §10.13: the entity's canonical URL, keys in the order the key declares them.
        (
            "BillOfMaterialsHeaders(BOMId='BOM-1',dataAreaId='usmf')/BOMName",
            "BillOfMaterialsHeaders(dataAreaId='usmf',BOMId='BOM-1')/BOMName",
        ),
    ];
    for (path, expected) in cases {
        let body = odata.json(FABRIKAM, path);
        let context = body["@odata.context"].as_str().expect("a context URL");
        assert_eq!(context.strip_prefix(&root), Some(expected), "{path}");
        assert!(!context.contains("()"), "4.01's empty parentheses in a 4.0 answer: {context}");
    }
}

on_both_backends!(
    create_read_update_delete_with_etags,
    query_options_filter_select_order_page_and_count,
    boolean_functions_compared_with_true_or_false_filter_as_the_clients_writing_them_mean,
    an_unsupported_request_answers_501_and_is_counted_for_operators,
    companies_scope_reads_and_writes,
    a_change_set_commits_all_or_nothing,
    hostile_queries_get_clear_errors_and_change_nothing,
    protocol_versions_and_unknown_methods,
    expand_reaches_related_rows_one_level_deep,
    context_urls_follow_odata_4_0_for_sets_projections_expansions_entities_and_properties,
);
