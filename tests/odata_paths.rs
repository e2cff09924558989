//! Resource paths beyond sets and keys, against a real server: navigation by path with query
//! options on its result, a property's raw `$value`, a deep insert of a header with its lines,
//! `$expand=*`, and `If-None-Match` answering 304. Requests are written as the .NET OData
//! client (navigation through its generated proxies) and Apache Olingo's Java client (raw
//! values, deep inserts and conditional reads) send them, and answers read as they read them.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::odata::{OData, error_message};
use crate::odata_metadata_levels::{FULL, OlingoEntity, olingo};
use crate::server::{FABRIKAM, OPS};

/// What the .NET OData client (Microsoft.OData.Client) sends with each query of its
/// `DataServiceContext`.
fn dotnet(request: reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder {
    request
        .header("Accept", "application/json;odata.metadata=minimal")
        .header("OData-MaxVersion", "4.0")
        .header("OData-Version", "4.0")
}

/// A collection answer as the .NET client materializes it.
#[derive(Debug, Deserialize)]
struct Page<T> {
    #[serde(rename = "@odata.context")]
    context: String,
    value: Vec<T>,
}

/// `BillOfMaterialsLine` as the .NET client's generated proxy class types it from
/// `$metadata` (key and required properties are not nullable).
#[derive(Debug, Deserialize, PartialEq)]
struct BillOfMaterialsLine {
    #[serde(rename = "BOMId")]
    bom_id: String,
    #[serde(rename = "LineNumber")]
    line_number: i64,
    #[serde(rename = "ItemNumber")]
    item_number: String,
}

/// `BillOfMaterialsHeader` as the generated proxy types it; `Lines` is present when expanded.
#[derive(Debug, Deserialize)]
struct BillOfMaterialsHeader {
    #[serde(rename = "@odata.context")]
    context: String,
    #[serde(rename = "BOMId")]
    bom_id: String,
    #[serde(rename = "BOMName")]
    name: String,
}

/// Two bills of materials of `usmf` with two and zero lines, and one of `usrt`.
fn bills(odata: &OData) {
    for (company, bom) in [("usmf", "BOM-7"), ("usmf", "BOM-8"), ("usrt", "BOM-7")] {
        let header = json!({"dataAreaId": company, "BOMId": bom, "BOMName": format!("{company} {bom}")});
        assert_eq!(odata.post(OPS, "BillOfMaterialsHeaders", &header).status(), 201);
    }
    for (company, line, item) in [("usmf", 1, "A"), ("usmf", 2, "B"), ("usmf", 3, "C"), ("usrt", 1, "Z")] {
        let body =
            json!({"dataAreaId": company, "BOMId": "BOM-7", "LineNumber": line, "ItemNumber": item, "Quantity": 1});
        assert_eq!(odata.post(OPS, "BillOfMaterialsLines", &body).status(), 201);
    }
}

#[test]
fn navigation_by_path_answers_the_related_rows_with_query_options() {
    let odata = OData::start();
    bills(&odata);
    let get = |path: &str| dotnet(odata.request(FABRIKAM, reqwest::Method::GET, path)).send().expect("answers");
    // `context.BillOfMaterialsHeaders.ByKey(…).Lines.Where(l => l.LineNumber ne 2)
    //  .OrderByDescending(l => l.LineNumber).Take(5)`.
    let header = "BillOfMaterialsHeaders(dataAreaId='usmf',BOMId='BOM-7')";
    let response = get(&format!("{header}/Lines?$filter=LineNumber ne 2&$orderby=LineNumber desc&$top=5"));
    assert_eq!(response.status(), 200);
    let lines: Page<BillOfMaterialsLine> = response.json().expect("lines");
    assert_eq!(lines.context, format!("{}/data/$metadata#BillOfMaterialsLines", odata.server.url));
    let numbers: Vec<(i64, &str)> =
        lines.value.iter().map(|line| (line.line_number, line.item_number.as_str())).collect();
    assert_eq!(numbers, [(3, "C"), (1, "A")], "this company's lines only, filtered and ordered");
    assert!(lines.value.iter().all(|line| line.bom_id == "BOM-7"));
    let count = get(&format!("{header}/Lines/$count"));
    assert_eq!(count.text().expect("text"), "3");
    let none: Page<BillOfMaterialsLine> =
        get("BillOfMaterialsHeaders(dataAreaId='usmf',BOMId='BOM-8')/Lines").json().expect("lines");
    assert_eq!(none.value, []);

    // To one: `…Lines.ByKey(…).Header.GetValue()`.
    let response =
        get("BillOfMaterialsLines(dataAreaId='usmf',BOMId='BOM-7',LineNumber=2)/Header?$select=BOMId,BOMName");
    assert_eq!(response.status(), 200);
    let owner: BillOfMaterialsHeader = response.json().expect("a header");
    assert_eq!((owner.bom_id.as_str(), owner.name.as_str()), ("BOM-7", "usmf BOM-7"));
    assert!(owner.context.ends_with("#BillOfMaterialsHeaders(BOMId,BOMName)/$entity"), "{}", owner.context);

    // Another company's row is not reachable by its path, nor a row that does not exist.
    assert_eq!(get("BillOfMaterialsHeaders(dataAreaId='usrt',BOMId='BOM-7')/Lines").status(), 404);
    assert_eq!(get("BillOfMaterialsHeaders(dataAreaId='usmf',BOMId='NONE')/Lines").status(), 404);
    assert_eq!(get(&format!("{header}/Lines/$value")).status(), 400);
    assert_eq!(get(&format!("{header}/BOMName/$count")).status(), 400);
}

#[test]
fn a_property_value_is_answered_raw_and_a_null_one_with_no_content() {
    let odata = OData::start();
    assert_eq!(odata.customer(FABRIKAM, "V-1", "10", "1500.50", None).status(), 201);
    let key = "CustomersV3(dataAreaId='usmf',CustomerAccount='V-1')";
    // Olingo's `getPropertyValueRequest`: its default value format is text/plain.
    let raw = |property: &str| {
        olingo(odata.request(FABRIKAM, reqwest::Method::GET, &format!("{key}/{property}/$value")), "text/plain")
            .send()
            .expect("answers")
    };
    let name = raw("OrganizationName");
    assert_eq!(name.status(), 200);
    assert_eq!(name.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(name.text().expect("text"), "Organization V-1");
    let credit: f64 = raw("CreditLimit").text().expect("text").parse().expect("Edm.Decimal's text");
    assert!((credit - 1500.5).abs() < f64::EPSILON);
    assert_eq!(raw("Blocked").text().expect("text"), "No");
    let city = raw("AddressCity");
    assert_eq!(city.status(), 204, "a null value has no content (OData 4.0 Part 1 §11.2.4.1)");
    assert!(city.bytes().expect("body").is_empty());
    assert_eq!(raw("NoSuchProperty").status(), 400);
    let elsewhere = "CustomersV3(dataAreaId='usmf',CustomerAccount='V-2')/OrganizationName/$value";
    assert_eq!(odata.get(FABRIKAM, elsewhere).status(), 404);
}

#[test]
fn a_deep_insert_creates_a_header_with_its_lines_in_one_unit_of_work() {
    let odata = OData::start();
    // Olingo's create request for a `ClientEntity` carrying a deep-insert entity set: full
    // metadata, each entity with its `@odata.type`, typed properties annotated.
    let deep = |bom: &str, lines: Value| {
        let body = json!({
            "@odata.type": "#Microsoft.Dynamics.DataEntities.BillOfMaterialsHeader",
            "BOMId": bom,
            "BOMName": "Deep",
            "Lines": lines,
        });
        olingo(odata.request(FABRIKAM, reqwest::Method::POST, "BillOfMaterialsHeaders"), FULL)
            .header("Content-Type", FULL)
            .json(&body)
            .send()
            .expect("answers")
    };
    let line = |number: i64, item: Value| {
        json!({
            "@odata.type": "#Microsoft.Dynamics.DataEntities.BillOfMaterialsLine",
            "LineNumber@odata.type": "#Int64",
            "LineNumber": number,
            "ItemNumber": item,
            "Quantity@odata.type": "#Decimal",
            "Quantity": 2.5,
        })
    };
    let created = deep("BOM-D", json!([line(1, json!("A")), line(2, json!("B"))]));
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().expect("text").to_owned();
    let body: Value = created.json().expect("JSON");
    let header = OlingoEntity::read(&body);
    assert_eq!(header.id.as_str(), location);
    let lines: Vec<OlingoEntity> =
        body["Lines"].as_array().expect("the created lines").iter().map(OlingoEntity::read).collect();
    let read: Vec<(&Value, &Value, &Value)> = lines
        .iter()
        .map(|line| {
            (&line.property("BOMId").value, &line.property("LineNumber").value, &line.property("UnitSymbol").value)
        })
        .collect();
    assert_eq!(read, [(&json!("BOM-D"), &json!(1), &json!("ea")), (&json!("BOM-D"), &json!(2), &json!("ea"))]);
    assert_eq!(lines[0].type_name, "Microsoft.Dynamics.DataEntities.BillOfMaterialsLine");
    // What was created is what a later read finds.
    let stored = odata.json(FABRIKAM, "BillOfMaterialsHeaders(dataAreaId='usmf',BOMId='BOM-D')/Lines/$count");
    assert_eq!(stored, json!(2));

    // A line the store refuses (no item number), or one naming another header, undoes it all.
    for (bom, lines, refusal) in [
        ("BOM-E", json!([line(1, json!("A")), line(2, Value::Null)]), "ItemNumber"),
        ("BOM-F", json!([{"BOMId": "BOM-X", "LineNumber": 1, "ItemNumber": "A", "Quantity": 1}]), "BOMId"),
        ("BOM-G", json!({"LineNumber": 1}), "array"),
        (
            "BOM-H",
            json!([{"LineNumber": 1, "ItemNumber": "A", "Quantity": 1, "Header": {"BOMId": "BOM-H"}}]),
            "one level",
        ),
    ] {
        let refused = deep(bom, lines);
        let status = refused.status().as_u16();
        let message = error_message(refused);
        assert!(matches!(status, 400 | 501) && message.contains(refusal), "{bom}: {status} {message}");
        let header = format!("BillOfMaterialsHeaders(dataAreaId='usmf',BOMId='{bom}')");
        assert_eq!(odata.get(FABRIKAM, &header).status(), 404, "{bom} was not created");
        let orphans = odata.json(FABRIKAM, &format!("BillOfMaterialsLines/$count?$filter=BOMId eq '{bom}'"));
        assert_eq!(orphans, json!(0), "{bom} left no lines");
    }
    // Deep updates stay refused.
    let patch = odata
        .request(FABRIKAM, reqwest::Method::PATCH, "BillOfMaterialsHeaders(dataAreaId='usmf',BOMId='BOM-D')")
        .json(&json!({"Lines": []}))
        .send()
        .expect("answers");
    assert_eq!(patch.status(), 501);
}

#[test]
fn expand_star_expands_every_navigation_property() {
    let odata = OData::start();
    bills(&odata);
    assert_eq!(odata.customer(FABRIKAM, "X-1", "10", "1", None).status(), 201);
    let customer = odata.json(FABRIKAM, "CustomersV3(dataAreaId='usmf',CustomerAccount='X-1')?$expand=*");
    assert_eq!(customer["SalesOrders"], json!([]));
    assert!(customer.get("CustomerGroup").is_some(), "the to-one relation is expanded too: {customer}");
    let header: Value = odata.json(FABRIKAM, "BillOfMaterialsHeaders?$expand=*&$filter=BOMId eq 'BOM-7'");
    assert_eq!(header["value"][0]["Lines"].as_array().map(Vec::len), Some(3));
    // A navigation property named beside `*` keeps its own options.
    let named = odata.json(
        FABRIKAM,
        "BillOfMaterialsHeaders(dataAreaId='usmf',BOMId='BOM-7')?$expand=*,Lines($select=ItemNumber;$top=1)",
    );
    assert_eq!(named["Lines"], json!([{"ItemNumber": "A"}]));
    assert_eq!(odata.get(FABRIKAM, "BillOfMaterialsHeaders?$expand=*($select=BOMId)").status(), 400);
    assert_eq!(odata.get(FABRIKAM, "BillOfMaterialsHeaders?$expand=*($levels=2)").status(), 501);
}

#[test]
fn if_none_match_answers_304_for_a_held_version_and_if_match_is_unchanged() {
    let odata = OData::start();
    assert_eq!(odata.customer(FABRIKAM, "E-1", "10", "1", None).status(), 201);
    let key = "CustomersV3(dataAreaId='usmf',CustomerAccount='E-1')";
    // Olingo's `ODataEntityRequest.setIfNoneMatch(etag)`.
    let conditional = |tag: &str| {
        olingo(odata.request(FABRIKAM, reqwest::Method::GET, key), FULL)
            .header("If-None-Match", tag)
            .send()
            .expect("answers")
    };
    let first = conditional("W/\"0\"");
    assert_eq!(first.status(), 200, "a version the client does not hold");
    let etag = first.headers()["etag"].to_str().expect("text").to_owned();
    let held = conditional(&etag);
    assert_eq!(held.status(), 304);
    assert_eq!(held.headers()["etag"].to_str().expect("text"), etag);
    assert!(held.bytes().expect("body").is_empty());
    assert_eq!(conditional("*").status(), 304, "any version of a row that exists");
    let missing = odata
        .request(FABRIKAM, reqwest::Method::GET, "CustomersV3(dataAreaId='usmf',CustomerAccount='E-9')")
        .header("If-None-Match", "*")
        .send()
        .expect("answers");
    assert_eq!(missing.status(), 404);

    // If-Match guards writes as before; If-None-Match on a write refuses the version it names.
    let patch = |header: &str, tag: &str| {
        odata
            .request(FABRIKAM, reqwest::Method::PATCH, key)
            .header(header, tag)
            .json(&json!({"AddressCity": "Oslo"}))
            .send()
            .expect("answers")
            .status()
    };
    assert_eq!(patch("If-None-Match", "*"), 412);
    assert_eq!(patch("If-None-Match", &etag), 412);
    assert_eq!(patch("If-Match", &etag), 204);
    assert_eq!(patch("If-Match", &etag), 412, "the ETag moved");
    assert_eq!(conditional(&etag).status(), 200, "the held version is stale now");
}
