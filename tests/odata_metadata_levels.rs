//! `odata.metadata=full`, `minimal` and `none` against a real server, asked for as Apache
//! Olingo's Java client asks (its default format is `application/json;odata.metadata=full`,
//! `ConfigurationImpl.getDefaultPubFormat`) and read back as its `JsonEntityDeserializer` reads
//! them: the entity's type, id, edit link and ETag from their annotations, navigation links by
//! name, and each property's type from its `@odata.type`, guessed from the JSON when absent.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use reqwest::blocking::{RequestBuilder, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::odata::OData;
use crate::server::{FABRIKAM, OPS};

/// What Olingo's client sends on every request of a default-configured `ODataClient`.
pub(crate) fn olingo(request: RequestBuilder, accept: &str) -> RequestBuilder {
    request.header("Accept", accept).header("OData-MaxVersion", "4.0").header("OData-Version", "4.0")
}

pub(crate) const FULL: &str = "application/json;odata.metadata=full";

/// A primitive property as Olingo's client types it: the kind from the property's
/// `@odata.type` (`#Int64` is `Edm.Int64`, a qualified name is an enum or other declared type),
/// or without one the kind JSON shows (Olingo's `EdmTypeInfo` guess: text is `Edm.String`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OlingoProperty {
    pub(crate) type_name: String,
    pub(crate) value: Value,
}

/// An entity as Olingo's `JsonEntityDeserializer` fills `ClientEntity`.
#[derive(Debug)]
pub(crate) struct OlingoEntity {
    pub(crate) type_name: String,
    pub(crate) id: reqwest::Url,
    pub(crate) etag: String,
    pub(crate) edit_link: reqwest::Url,
    pub(crate) navigation_links: BTreeMap<String, reqwest::Url>,
    pub(crate) properties: BTreeMap<String, OlingoProperty>,
}

impl OlingoEntity {
    /// Reads one entity object; every piece of control information full metadata promises
    /// must be there and well formed, as Olingo's `URI.create` and type parser require.
    pub(crate) fn read(object: &Value) -> OlingoEntity {
        let object = object.as_object().expect("an entity object");
        let text =
            |name: &str| object.get(name).and_then(Value::as_str).unwrap_or_else(|| panic!("{name} in {object:?}"));
        let url =
            |text: &str| reqwest::Url::parse(text).unwrap_or_else(|error| panic!("{text} is not absolute: {error}"));
        let type_name = text("@odata.type").strip_prefix('#').expect("a type fragment").to_owned();
        let mut navigation_links = BTreeMap::new();
        let mut properties = BTreeMap::new();
        for (name, value) in object {
            if let Some(navigation) = name.strip_suffix("@odata.navigationLink") {
                navigation_links.insert(navigation.to_owned(), url(value.as_str().expect("a link")));
            } else if !name.contains('@') && !value.is_object() && !value.is_array() {
                let annotated = object.get(&format!("{name}@odata.type")).and_then(Value::as_str);
                let type_name = match annotated.map(|name| name.trim_start_matches('#')) {
                    Some(name) if name.contains('.') => name.to_owned(),
                    Some(name) => format!("Edm.{name}"),
                    None => match value {
                        Value::Bool(_) => "Edm.Boolean".to_owned(),
                        Value::Number(number) if number.is_i64() => "Edm.Int32".to_owned(),
                        Value::Number(_) => "Edm.Double".to_owned(),
                        _ => "Edm.String".to_owned(),
                    },
                };
                properties.insert(name.clone(), OlingoProperty { type_name, value: value.clone() });
            }
        }
        OlingoEntity {
            type_name,
            id: url(text("@odata.id")),
            etag: text("@odata.etag").to_owned(),
            edit_link: url(text("@odata.editLink")),
            navigation_links,
            properties,
        }
    }

    pub(crate) fn property(&self, name: &str) -> &OlingoProperty {
        self.properties.get(name).unwrap_or_else(|| panic!("{name} among {:?}", self.properties.keys()))
    }
}

fn content_type(response: &Response) -> String {
    response.headers()["content-type"].to_str().expect("text").to_owned()
}

#[test]
fn olingo_reads_full_metadata_entities_with_their_types_ids_links_and_etags() {
    let odata = OData::start();
    let customer = json!({
        "CustomerAccount": "F-1", "OrganizationName": "Full", "CustomerGroupId": "10",
        "CreditLimit": 1500.25, "CustomerSince": "2021-04-30", "PartyId": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    });
    assert_eq!(odata.post(FABRIKAM, "CustomersV3", &customer).status(), 201);
    let header = json!({"BOMId": "BOM-F", "BOMName": "Full"});
    assert_eq!(odata.post(FABRIKAM, "BillOfMaterialsHeaders", &header).status(), 201);
    let line = json!({"BOMId": "BOM-F", "LineNumber": 1, "ItemNumber": "A", "Quantity": 2.5});
    assert_eq!(odata.post(FABRIKAM, "BillOfMaterialsLines", &line).status(), 201);

    let key = "CustomersV3(dataAreaId='usmf',CustomerAccount='F-1')";
    let response = olingo(odata.request(FABRIKAM, reqwest::Method::GET, key), FULL).send().expect("answers");
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "application/json; odata.metadata=full; charset=utf-8");
    let etag_header = response.headers()["etag"].to_str().expect("text").to_owned();
    let body: Value = response.json().expect("JSON");
    assert!(body["@odata.context"].as_str().is_some_and(|context| context.ends_with("#CustomersV3/$entity")));
    let entity = OlingoEntity::read(&body);
    assert_eq!(entity.type_name, "Microsoft.Dynamics.DataEntities.Customer");
    let canonical = format!("{}/data/{key}", odata.server.url);
    assert_eq!(entity.id.as_str(), canonical);
    assert_eq!(entity.edit_link.as_str(), canonical);
    assert_eq!(entity.etag, etag_header);

    // Each property is typed as $metadata declares it, which JSON alone would not say.
    let typed = |name: &str| entity.property(name).type_name.clone();
    assert_eq!(typed("CreditLimit"), "Edm.Decimal");
    assert_eq!(typed("CustomerSince"), "Edm.Date");
    assert_eq!(typed("PartyId"), "Edm.Guid");
    assert_eq!(typed("Blocked"), "Microsoft.Dynamics.DataEntities.CustVendorBlocked");
    assert_eq!(typed("OrganizationName"), "Edm.String");
    let since = entity.property("CustomerSince").value.as_str().expect("a date");
    assert_eq!(
        NaiveDate::parse_from_str(since, "%Y-%m-%d").expect("Edm.Date"),
        NaiveDate::from_ymd_opt(2021, 4, 30).expect("a date")
    );
    uuid::Uuid::parse_str(entity.property("PartyId").value.as_str().expect("a GUID")).expect("Edm.Guid");
    assert_eq!(entity.property("CreditLimit").value, json!(1500.25));
    assert_eq!((&body["AddressCity"], body.get("AddressCity@odata.type")), (&Value::Null, None), "nulls carry no type");

    // The links lead where they say: the edit link to the same row, the navigation link to
    // its related rows.
    let followed =
        olingo(odata.server.http.get(entity.edit_link.clone()).bearer_auth(odata.server.token(FABRIKAM)), FULL)
            .send()
            .expect("answers");
    assert_eq!(OlingoEntity::read(&followed.json().expect("JSON")).id, entity.id);
    let orders = &entity.navigation_links["SalesOrders"];
    assert_eq!(orders.as_str(), format!("{canonical}/SalesOrders"));
    let orders =
        odata.server.http.get(orders.clone()).bearer_auth(odata.server.token(FABRIKAM)).send().expect("answers");
    assert_eq!(orders.status(), 200);
    assert_eq!(orders.json::<Value>().expect("JSON")["value"], json!([]));

    // A collection with an expansion: every row and every related row carries its own.
    let page = olingo(odata.request(FABRIKAM, reqwest::Method::GET, "BillOfMaterialsHeaders?$expand=Lines"), FULL)
        .send()
        .expect("answers");
    assert_eq!(content_type(&page), "application/json; odata.metadata=full; charset=utf-8");
    let page: Value = page.json().expect("JSON");
    let header = OlingoEntity::read(&page["value"][0]);
    assert_eq!(header.type_name, "Microsoft.Dynamics.DataEntities.BillOfMaterialsHeader");
    assert_eq!(header.navigation_links["Lines"].as_str(), format!("{}/Lines", header.id));
    let line = OlingoEntity::read(&page["value"][0]["Lines"][0]);
    assert_eq!(
        line.id.as_str(),
        format!("{}/data/BillOfMaterialsLines(dataAreaId='usmf',BOMId='BOM-F',LineNumber=1)", odata.server.url)
    );
    assert_eq!(
        (typed_name(&line, "LineNumber"), typed_name(&line, "Quantity")),
        ("Edm.Int64".into(), "Edm.Decimal".into())
    );

    // `$format` says the same as `Accept`, and wins over it (OData 4.0 Part 2 §5.1.5).
    let formatted = olingo(
        odata.request(FABRIKAM, reqwest::Method::GET, &format!("{key}?$format=application/json;odata.metadata=full")),
        "application/json;odata.metadata=minimal",
    )
    .send()
    .expect("answers");
    assert_eq!(content_type(&formatted), "application/json; odata.metadata=full; charset=utf-8");
    assert_eq!(OlingoEntity::read(&formatted.json().expect("JSON")).id, entity.id);

    // A level OData does not define is not acceptable; nothing is answered in another one.
    let unknown = olingo(odata.request(FABRIKAM, reqwest::Method::GET, key), "application/json;odata.metadata=verbose")
        .send()
        .expect("answers");
    assert_eq!(unknown.status(), 406);
}

fn typed_name(entity: &OlingoEntity, name: &str) -> String {
    entity.property(name).type_name.clone()
}

/// A page as a client asking for no metadata reads it: nothing but the rows, the count and
/// the next link may be there (OData JSON Format 4.0 §3.1.3).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BarePage {
    #[serde(rename = "@odata.count")]
    count: u64,
    value: Vec<BareCustomer>,
    #[serde(rename = "@odata.nextLink")]
    next_link: String,
}

/// A customer without control information: an ETag or type annotation would not deserialize.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BareCustomer {
    #[serde(rename = "CustomerAccount")]
    account: String,
    #[serde(rename = "CreditLimit")]
    credit_limit: f64,
}

#[test]
fn no_metadata_leaves_out_the_context_etags_and_links_but_keeps_paging() {
    let odata = OData::start();
    for account in ["N-1", "N-2"] {
        assert_eq!(odata.customer(FABRIKAM, account, "10", "12.5", None).status(), 201);
    }
    let none = "application/json;odata.metadata=none";
    let response = odata
        .request(FABRIKAM, reqwest::Method::GET, "CustomersV3?$select=CustomerAccount,CreditLimit&$count=true")
        .header("Accept", none)
        .header("Prefer", "odata.maxpagesize=1")
        .send()
        .expect("answers");
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "application/json; odata.metadata=none; charset=utf-8");
    let page: BarePage = response.json().expect("rows, a count and a next link only");
    assert_eq!((page.count, page.value.len(), page.value[0].account.as_str()), (2, 1, "N-1"));
    assert!((page.value[0].credit_limit - 12.5).abs() < f64::EPSILON);
    let next = odata.server.http.get(&page.next_link).bearer_auth(odata.server.token(FABRIKAM)).header("Accept", none);
    let next: Value = next.send().expect("answers").json().expect("JSON");
    assert_eq!(next["value"][0]["CustomerAccount"], "N-2");
    assert!(next.get("@odata.context").is_none());

    // One entity, a created one and an action's result alike.
    let key = "CustomersV3(dataAreaId='usmf',CustomerAccount='N-1')";
    let entity: Value = odata
        .request(FABRIKAM, reqwest::Method::GET, key)
        .header("Accept", none)
        .send()
        .expect("answers")
        .json()
        .expect("JSON");
    assert!(entity.get("@odata.context").is_none() && entity.get("@odata.etag").is_none(), "{entity}");
    assert_eq!(entity["OrganizationName"], "Organization N-1");
    let created = odata
        .request(FABRIKAM, reqwest::Method::POST, "CustomersV3")
        .header("Accept", none)
        .json(&json!({"CustomerAccount": "N-3", "OrganizationName": "Three", "CustomerGroupId": "10"}))
        .send()
        .expect("answers");
    assert_eq!(created.status(), 201);
    assert_eq!(content_type(&created), "application/json; odata.metadata=none; charset=utf-8");
    let created: Value = created.json().expect("JSON");
    assert!(created.get("@odata.context").is_none() && created.get("@odata.etag").is_none(), "{created}");
    let document: Value = odata
        .request(OPS, reqwest::Method::GET, "")
        .header("Accept", none)
        .send()
        .expect("answers")
        .json()
        .expect("JSON");
    assert!(document.get("@odata.context").is_none() && document["value"].is_array(), "{document}");
}

#[test]
fn batch_operations_answer_at_the_level_each_operation_asks_for() {
    let odata = OData::start();
    assert_eq!(odata.customer(FABRIKAM, "B-1", "10", "5", None).status(), 201);
    let root = format!("{}/data", odata.server.url);
    let key = "CustomersV3(dataAreaId='usmf',CustomerAccount='B-1')";
    // Olingo's batch request: one retrieve with its own Accept, one change set creating.
    let body = format!(
        "--batch_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n\
         GET {root}/{key} HTTP/1.1\r\nAccept: {FULL}\r\nOData-MaxVersion: 4.0\r\n\r\n\r\n\
         --batch_1\r\nContent-Type: multipart/mixed; boundary=changeset_1\r\n\r\n\
         --changeset_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 1\r\n\r\n\
         POST {root}/CustomersV3 HTTP/1.1\r\nAccept: {FULL}\r\nContent-Type: {FULL}\r\n\r\n\
         {{\"@odata.type\":\"#Microsoft.Dynamics.DataEntities.Customer\",\"CustomerAccount\":\"B-2\",\"OrganizationName\":\"Two\",\"CustomerGroupId\":\"10\"}}\r\n\
         --changeset_1--\r\n--batch_1--\r\n"
    );
    let response = odata
        .request(FABRIKAM, reqwest::Method::POST, "$batch")
        .header("Content-Type", "multipart/mixed; boundary=batch_1")
        .body(body)
        .send()
        .expect("answers");
    assert_eq!(response.status(), 200);
    let text = response.text().expect("text");
    let full_parts = text.matches("Content-Type: application/json; odata.metadata=full; charset=utf-8").count();
    assert_eq!(full_parts, 2, "{text}");
    // Each part's JSON, as Olingo's batch reader hands it to the entity deserializer.
    let bodies: Vec<Value> = text
        .split("\r\n\r\n")
        .filter(|part| part.starts_with('{'))
        .map(|part| serde_json::from_str(part.split("\r\n--").next().unwrap_or(part)).expect("a part's JSON"))
        .collect();
    let ids: Vec<String> = bodies.iter().map(|body| OlingoEntity::read(body).id.to_string()).collect();
    assert_eq!(ids, [format!("{root}/{key}"), format!("{root}/CustomersV3(dataAreaId='usmf',CustomerAccount='B-2')")]);
}
