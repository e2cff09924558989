//! Actions run in a unit of work: everything they change commits when they succeed and
//! nothing when they fail, trap or reach outside their manifest's entities.

use serde_json::json;
use wharf::plugin::{CallErrorKind, MemoryEntities, Plugin};
use wharf_plugin_sdk::{Context, Value};
use wharf_tests::{install, plugin, root, runtime};

fn inventory() -> MemoryEntities {
    let text = std::fs::read_to_string(root().join("examples/samples/inventory.json")).expect("sample");
    MemoryEntities::from_json(&text).expect("valid")
}

fn reserve(
    plugin: &Plugin,
    entities: &MemoryEntities,
    id: &str,
    quantity: f64,
) -> Result<serde_json::Value, wharf::plugin::CallError> {
    let input =
        json!({ "reservationId": id, "itemNumber": "T0004", "siteId": "1", "warehouseId": "11", "quantity": quantity });
    let result = plugin.invoke(&Context::default(), "reserve", &input, entities)?;
    Ok(serde_json::from_str(result.get()).expect("the result is JSON"))
}

fn available(entities: &MemoryEntities) -> Value {
    let rows = entities.rows("InventOnHand");
    let row =
        rows.iter().find(|row| row.iter().any(|(f, v)| f == "ItemNumber" && *v == Value::from("T0004"))).expect("row");
    row.iter().find(|(field, _)| field == "AvailableQuantity").expect("field").1.clone()
}

#[test]
fn a_successful_action_commits_every_change() {
    let plugin = runtime().load(&plugin("inventory-action")).expect("loads");
    let entities = inventory();
    let output = reserve(&plugin, &entities, "R-0100", 2.0).expect("reserves");
    assert_eq!(output["availableQuantity"], json!(1.0));
    assert_eq!(available(&entities), Value::Decimal("1".into()));
    assert_eq!(entities.rows("InventReservation").len(), 2);
}

#[test]
fn a_failing_action_commits_nothing_even_after_a_successful_update() {
    let plugin = runtime().load(&plugin("inventory-action")).expect("loads");
    let entities = inventory();
    // R-0001 exists: the on-hand update succeeds, then the insert fails.
    let error = reserve(&plugin, &entities, "R-0001", 1.0).expect_err("duplicate reservation");
    assert!(matches!(&error.kind, CallErrorKind::Failed(m) if m.contains("already exists")), "{error}");
    assert_eq!(available(&entities), Value::Integer(3));
    assert_eq!(entities.rows("InventReservation").len(), 1);

    let error = reserve(&plugin, &entities, "R-0101", 50.0).expect_err("not enough stock");
    assert!(error.to_string().contains("only 3 of T0004 available"), "{error}");
}

#[test]
fn an_action_reaching_outside_its_manifest_is_refused_and_rolled_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = install("inventory-action", dir.path(), "narrow-inventory", |m| {
        m.replace("entities = [\"InventOnHand\", \"InventReservation\"]", "entities = [\"InventOnHand\"]")
    });
    let plugin = runtime().load(&wasm).expect("loads");
    let entities = inventory();
    let error = reserve(&plugin, &entities, "R-0102", 1.0).expect_err("refused");
    assert!(error.to_string().contains("entity InventReservation is not listed in the manifest"), "{error}");
    assert_eq!(available(&entities), Value::Integer(3));
}

#[test]
fn unknown_actions_and_roles_are_named_in_the_error() {
    let plugin = runtime().load(&plugin("inventory-action")).expect("loads");
    let error = plugin.invoke(&Context::default(), "scrap", &json!({}), &inventory()).expect_err("no such action");
    assert_eq!(error.kind, CallErrorKind::Unsupported("has no action scrap (it offers: onHand, reserve)".into()));
    let batch = wharf_plugin_sdk::BatchBuilder::new(["a"]).finish();
    let error = plugin.map(&Context::default(), &batch).expect_err("not a mapper");
    assert_eq!(error.to_string(), "plugin inventory-action@1.0.0: does not serve role mapper");
}

#[test]
fn bad_parameters_fail_the_call_with_the_parameter_named() {
    let plugin = runtime().load(&plugin("inventory-action")).expect("loads");
    let error = plugin.invoke(&Context::default(), "onHand", &json!({ "siteId": 1 }), &inventory()).expect_err("bad");
    assert_eq!(error.kind, CallErrorKind::Failed("parameter itemNumber is required".into()));
}

#[test]
fn a_read_only_action_cannot_write_and_commits_nothing() {
    let dir = tempfile::tempdir().expect("a directory");
    let wasm = install("inventory-action", dir.path(), "read-only-inventory", |manifest| {
        manifest.replace("[action.reserve]\n", "[action.reserve]\nread_only = true\n")
    });
    let plugin = runtime().load(&wasm).expect("loads");
    let entities = inventory();
    let error = reserve(&plugin, &entities, "R-0100", 1.0).expect_err("a write in a read-only action");
    assert!(matches!(&error.kind, CallErrorKind::Failed(m) if m.contains("read_only")), "{error}");
    assert_eq!(available(&entities), Value::Integer(3));
    assert_eq!(entities.rows("InventReservation").len(), 1);
}
