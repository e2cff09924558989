//! Custom services and bound actions run by action plugins: discovery as D365 answers it,
//! parameters checked before the plugin runs, changes committed only when the action
//! succeeds, and nothing reached outside the manifest's entities or the caller's companies.

use std::collections::BTreeSet;

use serde_json::value::RawValue;
use serde_json::{Value as Json, json};
use wharf::auth::{Caller, Companies};
use wharf::entity::Catalog;
use wharf::odata::actions::{ActionError, Actions, declarations};
use wharf::odata::metadata::{ActionDecl, BoundTo};
use wharf::plugin::{CallErrorKind, Entities, MemoryEntities, ParamType, Registry, ValueType};
use wharf::store::Store;
use wharf_plugin_sdk::{Context, Value};
use wharf_tests::{install, plugin, runtime};

use crate::imports::deployment;
use crate::server::{FABRIKAM, OPS, TestServer};

const INVENTORY: &str = "/api/services/InventoryServices/InventoryService";

/// Fields from `(name, value)` pairs.
fn fields(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
    pairs.iter().map(|(name, value)| (name.to_string(), value.clone())).collect()
}

/// The server's store, opened beside it (SQLite lets both in).
fn store(server: &TestServer) -> Store {
    let catalog = Catalog::load_dir(&server.dir.path().join("entities")).expect("the entities load");
    let store = Store::open(&server.data().join("wharf.db")).expect("the store opens");
    store.prepare(&catalog).expect("the store is prepared");
    store
}

/// Inserts `rows` into `entity` in one unit of work.
fn seed(store: &Store, entity: &str, rows: &[&[(&str, Value)]]) {
    let mut unit = store.begin().expect("a unit of work");
    for row in rows {
        unit.insert(entity, fields(row)).expect("the row is inserted");
    }
    unit.commit().expect("the seed commits");
}

/// One field of the committed row of `entity` with `key`, if the row exists.
fn field(store: &Store, entity: &str, key: &[(&str, Value)], name: &str) -> Option<Value> {
    let row = store.lookup(entity, &fields(key)).expect("the lookup runs")?;
    row.into_iter().find(|(field, _)| field == name).map(|(_, value)| value)
}

fn on_hand_key(company: &str, warehouse: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("dataAreaId", company.into()),
        ("ItemNumber", "D0001".into()),
        ("SiteId", "1".into()),
        ("WarehouseId", warehouse.into()),
    ]
}

/// A server whose usmf has D0001 on hand in two warehouses of site 1, and dat in one.
fn inventory_server() -> (TestServer, Store) {
    let server = TestServer::start();
    let store = store(&server);
    let row = |company: &str, warehouse: &str, available: &str| {
        let mut row = on_hand_key(company, warehouse);
        row.push(("AvailableQuantity", Value::Decimal(available.into())));
        row
    };
    let (first, second, other) = (row("usmf", "11", "120"), row("usmf", "12", "35.5"), row("dat", "11", "900"));
    seed(&store, "InventOnHand", &[&first, &second, &other]);
    (server, store)
}

/// A server with the hostile action plugin installed next to the examples.
fn hostile_server() -> (TestServer, Store) {
    let mut server = TestServer::start();
    install("hostile-action", &server.dir.path().join("plugins"), "hostile-action", |manifest| manifest);
    server.restart();
    let store = store(&server);
    (server, store)
}

pub(crate) fn get(server: &TestServer, client: &str, path: &str) -> (u16, Json) {
    let response = server.http.get(server.at(path)).bearer_auth(server.token(client)).send().expect("an answer");
    answer(response)
}

pub(crate) fn post(server: &TestServer, client: &str, path: &str, body: &str) -> (u16, Json) {
    let response = server
        .http
        .post(server.at(path))
        .bearer_auth(server.token(client))
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .expect("an answer");
    answer(response)
}

fn answer(response: reqwest::blocking::Response) -> (u16, Json) {
    let status = response.status().as_u16();
    let text = response.text().expect("a body");
    let body = if text.is_empty() { Json::Null } else { serde_json::from_str(&text).expect("a JSON body") };
    (status, body)
}

/// The message of an OData error answer.
pub(crate) fn message(body: &Json) -> &str {
    body["error"]["innererror"]["message"].as_str().unwrap_or_else(|| panic!("not an OData error: {body}"))
}

fn attack(server: &TestServer, client: &str, attack: &str, company: &str) -> (u16, Json) {
    let body = json!({ "attack": attack, "company": company }).to_string();
    post(server, client, "/api/services/Hostile/HostileService/attack", &body)
}

fn hostile_group(store: &Store, company: &str) -> Option<Value> {
    field(
        store,
        "CustomerGroup",
        &[("dataAreaId", company.into()), ("CustomerGroupId", "HOSTILE".into())],
        "Description",
    )
}

#[test]
fn discovery_lists_groups_services_operations_and_their_parameters_as_d365_does() {
    let server = TestServer::start();
    assert_eq!(
        get(&server, FABRIKAM, "/api/services"),
        (200, json!({ "ServiceGroups": [{ "Name": "InventoryServices" }] }))
    );
    assert_eq!(
        get(&server, FABRIKAM, "/api/services/InventoryServices"),
        (200, json!({ "Services": [{ "Name": "InventoryService" }] }))
    );
    assert_eq!(
        get(&server, FABRIKAM, INVENTORY),
        (200, json!({ "Operations": [{ "Name": "onHand" }, { "Name": "reserve" }] }))
    );
    // The result's data contract by name, as D365 names it, with its members.
    let expected = json!({
        "Parameters": [{ "Name": "itemNumber", "Type": "string" }, { "Name": "siteId", "Type": "string" }],
        "Return": { "Name": "return", "Type": "InventoryOnHandResult", "Members": [
            { "Name": "itemNumber", "Type": "string" },
            { "Name": "siteId", "Type": "string" },
            { "Name": "availableQuantity", "Type": "decimal" },
            { "Name": "warehouses", "Type": "Collection(WarehouseOnHand)", "Members": [
                { "Name": "warehouseId", "Type": "string" },
                { "Name": "availableQuantity", "Type": "decimal" },
            ] },
        ] }
    });
    assert_eq!(get(&server, FABRIKAM, &format!("{INVENTORY}/onHand")), (200, expected.clone()));
    // Names match without regard to case, as D365's do.
    assert_eq!(get(&server, FABRIKAM, "/api/services/inventoryservices/inventoryservice/ONHAND"), (200, expected));

    let (status, body) = get(&server, FABRIKAM, "/api/services/NoSuchGroup");
    assert_eq!((status, message(&body)), (404, "There is no custom service NoSuchGroup."));
    let (status, body) = get(&server, FABRIKAM, &format!("{INVENTORY}/scrap"));
    assert_eq!(status, 404, "{body}");
}

#[test]
fn on_hand_answers_the_bare_result_for_the_callers_company() {
    let (server, _store) = inventory_server();
    let (status, body) =
        post(&server, FABRIKAM, &format!("{INVENTORY}/onHand"), r#"{"itemNumber":"D0001","siteId":"1"}"#);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({
            "itemNumber": "D0001",
            "siteId": "1",
            "availableQuantity": 155.5,
            "warehouses": [
                { "warehouseId": "11", "availableQuantity": 120.0 },
                { "warehouseId": "12", "availableQuantity": 35.5 }
            ]
        })
    );
    // An admin granted every company asks for another one by name.
    let (status, body) =
        post(&server, OPS, &format!("{INVENTORY}/onHand?company=DAT"), r#"{"itemNumber":"D0001","siteId":"1"}"#);
    assert_eq!((status, &body["availableQuantity"]), (200, &json!(900.0)), "{body}");
}

#[test]
fn a_successful_reservation_commits_both_its_changes() {
    let (server, store) = inventory_server();
    let body = r#"{"reservationId":"R-1","itemNumber":"D0001","siteId":"1","warehouseId":"12","quantity":5.5}"#;
    let (status, answer) = post(&server, FABRIKAM, &format!("{INVENTORY}/reserve"), body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, json!({ "reservationId": "R-1", "reservedQuantity": 5.5, "availableQuantity": 30.0 }));
    assert_eq!(
        field(&store, "InventOnHand", &on_hand_key("usmf", "12"), "AvailableQuantity"),
        Some(Value::Decimal("30".into()))
    );
    let reservation = [("dataAreaId", "usmf".into()), ("ReservationId", "R-1".into())];
    assert_eq!(field(&store, "InventReservation", &reservation, "Quantity"), Some(Value::Decimal("5.5".into())));
}

#[test]
fn a_refused_reservation_commits_nothing_and_says_why() {
    let (server, store) = inventory_server();
    let reserve = format!("{INVENTORY}/reserve");
    let first = r#"{"reservationId":"R-1","itemNumber":"D0001","siteId":"1","warehouseId":"11","quantity":1}"#;
    assert_eq!(post(&server, FABRIKAM, &reserve, first).0, 200);
    // The same reservation id again: the on-hand update succeeds inside the unit, the insert
    // fails, and the update goes with it.
    let (status, body) = post(&server, FABRIKAM, &reserve, first);
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("InventReservation (usmf, R-1) already exists"), "{body}");
    assert_eq!(
        field(&store, "InventOnHand", &on_hand_key("usmf", "11"), "AvailableQuantity"),
        Some(Value::Decimal("119".into()))
    );

    let too_many = r#"{"reservationId":"R-2","itemNumber":"D0001","siteId":"1","warehouseId":"12","quantity":99}"#;
    let (status, body) = post(&server, FABRIKAM, &reserve, too_many);
    assert_eq!((status, message(&body)), (400, "only 35.5 of D0001 available at 1/12, 99 wanted"));
    assert_eq!(
        field(&store, "InventOnHand", &on_hand_key("usmf", "12"), "AvailableQuantity"),
        Some(Value::Decimal("35.5".into()))
    );
}

#[test]
fn parameters_are_checked_before_the_plugin_runs() {
    let (server, _store) = inventory_server();
    let on_hand = format!("{INVENTORY}/onHand");
    let reserve = format!("{INVENTORY}/reserve");
    for (path, body, expected) in [
        (&on_hand, "{\"itemNumber\":", "The request body is not valid JSON"),
        (&on_hand, "[1, 2]", "must be a JSON object keyed by parameter name"),
        (&on_hand, "", "Parameter itemNumber of onHand is missing; it takes a string."),
        (&on_hand, r#"{"itemNumber":"D0001"}"#, "Parameter siteId of onHand is missing; it takes a string."),
        (&on_hand, r#"{"itemNumber":"D0001","siteId":null}"#, "Parameter siteId of onHand is missing"),
        (
            &on_hand,
            r#"{"itemNumber":"D0001","siteId":1}"#,
            "Parameter siteId of onHand must be a string: got a whole number.",
        ),
        (
            &on_hand,
            r#"{"itemNumber":"D0001","siteId":"1","site":"2"}"#,
            "onHand has no parameter site; its parameters: itemNumber, siteId.",
        ),
        (
            &reserve,
            r#"{"reservationId":"R","itemNumber":"D0001","siteId":"1","warehouseId":"11","quantity":"lots"}"#,
            "Parameter quantity of reserve must be a decimal: \"lots\" is not a number.",
        ),
    ] {
        let (status, answer) = post(&server, FABRIKAM, path, body);
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(message(&answer).contains(expected), "{body}: {answer}");
    }
    // Annotations are not parameters, and are not passed on.
    let (status, answer) =
        post(&server, FABRIKAM, &on_hand, r##"{"@odata.type":"#x","itemNumber":"D0001","siteId":"1","@key":{"a":1}}"##);
    assert_eq!(status, 200, "{answer}");
}

#[test]
fn unknown_operations_bad_companies_and_missing_tokens_are_refused() {
    let (server, _store) = inventory_server();
    let (status, body) = post(&server, FABRIKAM, &format!("{INVENTORY}/scrap"), "{}");
    assert_eq!((status, message(&body)), (404, "There is no custom service InventoryServices/InventoryService/scrap."));
    // A company the caller is not granted looks like one that does not exist.
    let params = r#"{"itemNumber":"D0001","siteId":"1"}"#;
    let (status, body) = post(&server, FABRIKAM, &format!("{INVENTORY}/onHand?company=dat"), params);
    assert_eq!((status, message(&body)), (404, "No company dat exists."));

    let response = server.http.post(server.at(&format!("{INVENTORY}/onHand"))).body(params).send().expect("an answer");
    assert_eq!(response.status(), 401);
    let response = server.http.get(server.at("/api/services")).send().expect("an answer");
    assert_eq!(response.status(), 401);
    let (_, body) = answer(response);
    assert!(body["error"]["message"].is_string(), "{body}");
}

#[test]
fn a_trapping_action_commits_nothing_and_hides_its_panic() {
    let (server, store) = hostile_server();
    let (status, body) = attack(&server, FABRIKAM, "panic", "usmf");
    assert_eq!((status, message(&body)), (500, "The action attack failed in its plugin; nothing was changed."));
    assert_eq!(hostile_group(&store, "usmf"), None);

    let (status, body) = attack(&server, FABRIKAM, "loop", "usmf");
    assert_eq!(status, 500, "{body}");
    assert!(message(&body).contains("at its time limit of 300 ms"), "{body}");
    assert_eq!(hostile_group(&store, "usmf"), None);

    let (status, body) = attack(&server, FABRIKAM, "memory", "usmf");
    assert!(status == 500 && message(&body).contains("memory limit of 16 MiB"), "{body}");
    assert_eq!(hostile_group(&store, "usmf"), None);

    // The same plugin, behaving, commits.
    assert_eq!(attack(&server, FABRIKAM, "none", "usmf"), (200, json!({ "inserted": "HOSTILE", "company": "usmf" })));
    assert_eq!(hostile_group(&store, "usmf"), Some(Value::String("none".into())));
}

#[test]
fn an_action_blocked_in_a_wasi_sleep_lets_go_of_the_write_turn_at_its_time_limit() {
    let (server, store) = hostile_server();
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        let sleeper = scope.spawn(|| attack(&server, FABRIKAM, "sleep", "usmf"));
        std::thread::sleep(std::time::Duration::from_millis(100));
        // An OData write needs the write turn the sleeping action holds.
        let body = json!({ "dataAreaId": "usmf", "CustomerGroupId": "AFTER", "Description": "x" }).to_string();
        let (status, _) = post(&server, FABRIKAM, "/data/CustomerGroups", &body);
        assert_eq!(status, 201);
        let (status, body) = sleeper.join().expect("the attack");
        assert_eq!(status, 500, "{body}");
        assert!(message(&body).contains("at its time limit of 300 ms"), "{body}");
    });
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "the 8 s sleep held the store: {:?}",
        started.elapsed()
    );
    assert_eq!(hostile_group(&store, "usmf"), None, "the stopped action committed nothing");
}

#[test]
fn other_plugins_answer_throughout_a_flood_of_runaway_action_calls() {
    let (mut server, store) = hostile_server();
    let settings = server.dir.path().join("wharf.toml");
    let text = std::fs::read_to_string(&settings).expect("the deployment's settings");
    std::fs::write(&settings, format!("{text}\nmax_calls_per_plugin = 2\n")).expect("settings written");
    server.restart();
    seed(
        &store,
        "InventOnHand",
        &[&{
            let mut row = on_hand_key("usmf", "11");
            row.push(("AvailableQuantity", Value::Decimal("5".into())));
            row
        }],
    );
    let on_hand = format!("{INVENTORY}/onHand");
    let (flood, good) = std::thread::scope(|scope| {
        let flood: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let body = json!({ "attack": "loop", "company": "usmf" }).to_string();
                    let response = server
                        .http
                        .post(server.at("/api/services/Hostile/HostileService/attack"))
                        .bearer_auth(server.token(FABRIKAM))
                        .body(body)
                        .send()
                        .expect("an answer");
                    (response.status().as_u16(), response.headers().get("retry-after").is_some())
                })
            })
            .collect();
        let good: Vec<_> =
            (0..10).map(|_| post(&server, FABRIKAM, &on_hand, r#"{"itemNumber":"D0001","siteId":"1"}"#).0).collect();
        (flood.into_iter().map(|call| call.join().expect("a flood call")).collect::<Vec<_>>(), good)
    });
    assert!(good.iter().all(|status| *status == 200), "onHand answered {good:?} during the flood");
    // Writing actions also take turns at the store, so the flood may never reach its share;
    // past it, the answer is 503 with Retry-After (checked where the answer is made).
    assert!(flood.iter().all(|call| matches!(call, (503, true) | (500, false))), "{flood:?}");
}

#[test]
fn an_action_touching_an_entity_outside_its_manifest_is_refused_and_commits_nothing() {
    let (server, store) = hostile_server();
    let (status, body) = attack(&server, FABRIKAM, "outside", "usmf");
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("entity Customer is not listed in the manifest of hostile-action@0.1.0"), "{body}");
    assert_eq!(hostile_group(&store, "usmf"), None);
}

#[test]
fn an_action_sees_and_changes_only_the_callers_companies() {
    let (server, store) = hostile_server();
    let group = |company: &str, id: &str| {
        [("dataAreaId", Value::from(company)), ("CustomerGroupId", id.into()), ("Description", "seeded".into())]
    };
    seed(&store, "CustomerGroup", &[&group("usmf", "G1"), &group("dat", "G2"), &group("usrt", "G3")]);

    // Finds without a company are limited to the granted ones.
    assert_eq!(attack(&server, FABRIKAM, "peek", "usmf"), (200, json!({ "companies": ["usmf"] })));
    assert_eq!(attack(&server, OPS, "peek", "usmf"), (200, json!({ "companies": ["dat", "usmf", "usrt"] })));

    // A write into another company is refused and undoes the call.
    let (status, body) = attack(&server, FABRIKAM, "none", "dat");
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        message(&body),
        "The action attack tried to change data of company dat, which this caller may not see; nothing was changed."
    );
    assert_eq!(hostile_group(&store, "dat"), None);
    assert_eq!(attack(&server, OPS, "none", "dat").0, 200);
    assert_eq!(hostile_group(&store, "dat"), Some(Value::String("none".into())));
}

#[test]
fn a_result_without_its_declared_members_is_malformed_and_commits_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The manifest promises a member the plugin does not return.
    let wasm = install("bom-approval", dir.path(), "bom-approval", |manifest| {
        manifest.replace(
            "{ name = \"lines\", type = \"integer\" },",
            "{ name = \"lines\", type = \"integer\" },\n    { name = \"approvedBy\", type = \"string\" },",
        )
    });
    let plugin = runtime().load(&wasm).expect("loads");
    let entities = bill(&["2"], "No");
    let ctx = Context { entity: "BillOfMaterialsHeader".into(), ..Context::default() };
    let input = json!({ "approver": "000123", "@key": { "BOMId": "B-1" } });
    let error = plugin.invoke(&ctx, "approve", &input, &entities).expect_err("malformed");
    let CallErrorKind::Malformed(problem) = &error.kind else { panic!("not malformed: {error}") };
    assert!(
        problem.starts_with("result is not a BomApproval object: BomApproval lacks member approvedBy"),
        "{problem}"
    );
    assert_eq!(header_field(&entities, "IsApproved"), Some(Value::String("No".into())));
    assert_eq!(header_field(&entities, "ApproverPersonnelNumber"), None);
}

#[test]
fn a_second_plugin_declaring_a_type_of_the_same_name_with_other_members_is_refused_at_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = install("inventory-action", dir.path(), "inventory-action", |manifest| manifest);
    let second = install("bom-approval", dir.path(), "bom-approval", |manifest| {
        manifest.replace("type_name = \"BomApproval\"", "type_name = \"InventoryOnHandResult\"")
    });
    let registry = Registry::new(runtime().clone());
    registry.load_file(&first).expect("the first loads");
    let error = registry.load_file(&second).expect_err("the second collides");
    let expected = "type InventoryOnHandResult is already declared with other members by inventory-action@1.0.0";
    assert!(format!("{error:#}").contains(expected), "{error:#}");
}

#[test]
fn a_second_plugin_offering_the_same_service_operation_is_refused_at_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = install("inventory-action", dir.path(), "inventory-action", |manifest| manifest);
    // Other entities, so only the service operations collide.
    let second = install("inventory-action", dir.path(), "inventory-copy", |manifest| {
        manifest.replace("entities = [\"InventOnHand\", \"InventReservation\"]", "entities = [\"Product\"]")
    });
    let registry = Registry::new(runtime().clone());
    registry.load_file(&first).expect("the first loads");
    let error = registry.load_file(&second).expect_err("the second collides");
    assert!(
        format!("{error:#}").contains(
            "the custom service operation InventoryServices/InventoryService/onHand is already served by \
             inventory-action@1.0.0"
        ),
        "{error:#}"
    );
    let offered: Vec<String> =
        registry.actions().into_iter().map(|(plugin, action)| format!("{} {action}", plugin.id())).collect();
    assert_eq!(offered, ["inventory-action@1.0.0 onHand", "inventory-action@1.0.0 reserve"]);
}

/// The example approval's result as a client generated from `$metadata` has it: the complex
/// type BomApproval with no other members (as OData Connected Service generates it, the .NET
/// client refuses a property its type does not declare).
#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BomApproval {
    #[serde(rename = "@odata.context")]
    pub(crate) context: String,
    #[serde(rename = "BOMId")]
    pub(crate) bom_id: String,
    pub(crate) approved: bool,
    pub(crate) lines: i64,
}

#[test]
fn a_bill_of_materials_is_approved_through_its_odata_action() {
    let server = TestServer::start();
    let store = store(&server);
    let header = [("dataAreaId", "usmf".into()), ("BOMId", "B-1".into()), ("BOMName", "Heater".into())];
    seed(&store, "BillOfMaterialsHeader", &[&header]);
    let line = [
        ("dataAreaId", "usmf".into()),
        ("BOMId", "B-1".into()),
        ("LineNumber", Value::Integer(1)),
        ("ItemNumber", "P-100".into()),
        ("Quantity", Value::Decimal("4".into())),
    ];
    seed(&store, "BillOfMaterialsLine", &[&line]);
    let approve = "/data/BillOfMaterialsHeaders(dataAreaId='usmf',BOMId='B-1')/Microsoft.Dynamics.DataEntities.approve";

    let (status, body) = post(&server, FABRIKAM, approve, r#"{"approver":"000123"}"#);
    assert_eq!(status, 200, "{body}");
    // Read as a client generated from `$metadata` reads it: the result is the complex type
    // BomApproval, answered as its members beside the context (OData 4.0 JSON Format §11), into
    // the class generated from it, which has no other members (as OData Connected Service
    // generates it, the .NET client refuses a property its type does not declare).
    let approval: BomApproval = serde_json::from_value(body).expect("a BomApproval");
    let context = server.at("/data/$metadata#Microsoft.Dynamics.DataEntities.BomApproval");
    assert_eq!(approval, BomApproval { context, bom_id: "B-1".into(), approved: true, lines: 1 });
    let key = [("dataAreaId", "usmf".into()), ("BOMId", "B-1".into())];
    assert_eq!(field(&store, "BillOfMaterialsHeader", &key, "ApproverPersonnelNumber"), Some("000123".into()));

    let (status, body) = post(&server, FABRIKAM, approve, r#"{"approver":"000123"}"#);
    assert_eq!((status, message(&body)), (400, "bill of materials B-1 is already approved"));
    let (status, body) = post(&server, FABRIKAM, approve, "{}");
    assert_eq!((status, message(&body)), (400, "Parameter approver of approve is missing; it takes a string."));
}

/// A caller granted `companies`.
fn caller(companies: &[&str]) -> Caller {
    Caller {
        client_id: "plm".into(),
        roles: BTreeSet::new(),
        companies: Companies::Only(companies.iter().map(|company| company.to_string()).collect()),
    }
}

/// A bill of materials with lines of these quantities, in memory and without companies.
fn bill(quantities: &[&str], approved: &str) -> MemoryEntities {
    let entities = MemoryEntities::default();
    entities.define("BillOfMaterialsHeader", &["BOMId"]);
    entities.define("BillOfMaterialsLine", &["BOMId", "LineNumber"]);
    let mut unit = entities.begin().expect("a unit of work");
    let header = [("BOMId", "B-1".into()), ("BOMName", "Heater".into()), ("IsApproved", approved.into())];
    unit.insert("BillOfMaterialsHeader", fields(&header)).expect("header");
    for (number, quantity) in quantities.iter().enumerate() {
        let line = [
            ("BOMId", "B-1".into()),
            ("LineNumber", Value::Integer(number as i64 + 1)),
            ("ItemNumber", "P-100".into()),
            ("Quantity", Value::Decimal((*quantity).into())),
        ];
        unit.insert("BillOfMaterialsLine", fields(&line)).expect("line");
    }
    unit.commit().expect("commit");
    entities
}

fn approve(entities: &MemoryEntities) -> Result<Json, wharf::plugin::CallError> {
    let plugin = runtime().load(&plugin("bom-approval")).expect("loads");
    let ctx = Context { entity: "BillOfMaterialsHeader".into(), ..Context::default() };
    let input = json!({ "approver": "000123", "@key": { "BOMId": "B-1" } });
    let result = plugin.invoke(&ctx, "approve", &input, entities)?;
    Ok(serde_json::from_str(result.get()).expect("the result is JSON"))
}

fn header_field(entities: &MemoryEntities, name: &str) -> Option<Value> {
    let rows = entities.rows("BillOfMaterialsHeader");
    rows.first()?.iter().find(|(field, _)| field == name).map(|(_, value)| value.clone())
}

#[test]
fn approving_a_bill_of_materials_checks_its_lines_and_records_the_approver() {
    let entities = bill(&["2", "0.5"], "No");
    assert_eq!(approve(&entities).expect("approves"), json!({ "BOMId": "B-1", "approved": true, "lines": 2 }));
    assert_eq!(header_field(&entities, "IsApproved"), Some(Value::String("Yes".into())));
    assert_eq!(header_field(&entities, "ApproverPersonnelNumber"), Some(Value::String("000123".into())));
}

#[test]
fn a_bill_already_approved_without_lines_or_with_an_empty_line_is_refused_unchanged() {
    for (entities, expected) in [
        (bill(&["2"], "Yes"), "bill of materials B-1 is already approved"),
        (bill(&[], "No"), "bill of materials B-1 has no lines"),
        (bill(&["2", "0.0000"], "No"), "line 2 of bill of materials B-1 has no positive quantity"),
        (bill(&["-1"], "No"), "line 1 of bill of materials B-1 has no positive quantity"),
    ] {
        let before = header_field(&entities, "IsApproved");
        let error = approve(&entities).expect_err(expected);
        assert_eq!(error.kind, CallErrorKind::Failed(expected.into()));
        assert_eq!(header_field(&entities, "IsApproved"), before);
        assert_eq!(header_field(&entities, "ApproverPersonnelNumber"), None);
    }
}

#[test]
fn a_bound_action_runs_on_the_row_its_key_names_within_the_callers_companies() {
    let (_dir, deployment) = deployment();
    let pipeline = &deployment.pipeline;
    let store = pipeline.store.clone();
    let header =
        |company: &str| [("dataAreaId", Value::from(company)), ("BOMId", "B-1".into()), ("BOMName", "Heater".into())];
    seed(&store, "BillOfMaterialsHeader", &[&header("usmf"), &header("dat")]);
    let line = [
        ("dataAreaId", "usmf".into()),
        ("BOMId", "B-1".into()),
        ("LineNumber", Value::Integer(1)),
        ("ItemNumber", "P-100".into()),
        ("Quantity", Value::Decimal("4".into())),
    ];
    seed(&store, "BillOfMaterialsLine", &[&line]);
    let actions = Actions::new(pipeline.registry.clone(), store.clone(), Some("usmf".into()));
    let entity = pipeline.catalog.require("BillOfMaterialsHeader").expect("entity").clone();
    let key = |company: &str, bom: &str| Some(fields(&[("dataAreaId", company.into()), ("BOMId", bom.into())]));
    let params = || json!({ "approver": "000123", "@key": { "dataAreaId": "usmf", "BOMId": "B-2" } });
    let usmf = caller(&["usmf"]);

    let approved = actions.invoke_bound(&entity, "approve", key("usmf", "B-1"), None, params(), &usmf);
    let approved: Json = serde_json::from_str(approved.expect("approves").expect("a result").get()).expect("JSON");
    assert_eq!(approved, json!({ "BOMId": "B-1", "approved": true, "lines": 1 }));
    let approval = |company: &str| {
        field(&store, "BillOfMaterialsHeader", &[("dataAreaId", company.into()), ("BOMId", "B-1".into())], "IsApproved")
    };
    assert_eq!(approval("usmf"), Some(Value::String("Yes".into())));
    assert_eq!(approval("dat"), Some(Value::String("No".into())));

    let refused = |result: Result<Option<Box<RawValue>>, ActionError>| result.expect_err("refused").answer();
    let again = actions.invoke_bound(&entity, "approve", key("usmf", "B-1"), None, params(), &usmf);
    assert_eq!(refused(again), (400, "bill of materials B-1 is already approved".into()));
    let elsewhere = actions.invoke_bound(&entity, "approve", key("dat", "B-1"), None, params(), &usmf);
    assert_eq!(refused(elsewhere), (404, "There is no such BillOfMaterialsHeader.".into()));
    let missing = actions.invoke_bound(&entity, "approve", key("usmf", "B-9"), None, params(), &usmf);
    assert_eq!(refused(missing), (404, "There is no such BillOfMaterialsHeader.".into()));
    let unknown = actions.invoke_bound(&entity, "reject", key("usmf", "B-1"), None, params(), &usmf);
    assert_eq!(refused(unknown), (404, "There is no action reject bound to a row of BillOfMaterialsHeaders.".into()));
    let on_set = actions.invoke_bound(&entity, "approve", None, Some("usmf"), params(), &usmf);
    assert_eq!(
        refused(on_set),
        (404, "There is no action approve bound to the entity set BillOfMaterialsHeaders.".into())
    );
    let no_approver = actions.invoke_bound(&entity, "approve", key("usmf", "B-1"), None, json!({}), &usmf);
    assert_eq!(refused(no_approver), (400, "Parameter approver of approve is missing; it takes a string.".into()));

    // `$metadata` declares it as the manifest does.
    let approve = ActionDecl {
        name: "approve".into(),
        binding: BoundTo::Entity("BillOfMaterialsHeader".into()),
        parameters: vec![("approver".into(), ValueType::plain(ParamType::String))],
        returns: pipeline
            .registry
            .by_name("bom-approval")
            .and_then(|plugin| plugin.manifest().bindings["approve"].returns.clone()),
    };
    let returns = approve.returns.as_ref().and_then(|returns| returns.complex.as_ref()).expect("declared members");
    assert_eq!(returns.name, "BomApproval");
    assert_eq!(declarations(&pipeline.registry), [approve]);
}
