//! Every example plugin on the sample files under `tests/data/golden/<case>/`: `input.*` goes
//! through the plugin, and the report must equal `expected.json` (`UPDATE_EXPECT=1`
//! rewrites it). An `entities.json` beside the input is the data an action sees.

use wharf::plugin::{MemoryEntities, NoEntities, Role};
use wharf::run::plugin::{RunOptions, run_sample};
use wharf_tests::{check_golden, plugin, root, runtime};

fn check(case: &str, plugin_name: &str, options: RunOptions) {
    let dir = root().join("tests/data/golden").join(case);
    let input = std::fs::read_dir(&dir)
        .expect("case directory")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .find(|path| path.file_stem().is_some_and(|stem| stem == "input"))
        .expect("an input file");
    let plugin = runtime().load(&plugin(plugin_name)).expect("plugin loads");
    let entities = dir.join("entities.json");
    let memory;
    let entities: &dyn wharf::plugin::Entities = if entities.exists() {
        memory = MemoryEntities::from_json(&std::fs::read_to_string(&entities).expect("read")).expect("valid data");
        &memory
    } else {
        &NoEntities
    };
    let report =
        run_sample(&plugin, &input, &options, entities).unwrap_or_else(|failure| panic!("{case}: {:#}", failure.error));
    let mut actual = serde_json::to_string_pretty(&report.output).expect("json");
    actual.push('\n');
    check_golden(&actual, &dir.join("expected.json"));
}

#[test]
fn customer_mapper_renames_converts_and_computes_northwind_fields() {
    check("customer-csv-mapper", "customer-csv-mapper", RunOptions::default());
}

#[test]
fn sales_order_mapper_splits_each_order_into_header_and_lines() {
    check("sales-order-xml-mapper", "sales-order-xml-mapper", RunOptions::default());
}

#[test]
fn sales_order_mapper_rejects_unbalanced_xml_with_its_position() {
    check("sales-order-xml-mapper-malformed", "sales-order-xml-mapper", RunOptions::default());
}

#[test]
fn company_filter_keeps_active_rows_of_the_company_being_imported() {
    let options = RunOptions { company: Some("usmf".into()), ..RunOptions::default() };
    check("company-filter", "company-filter", options);
}

#[test]
fn order_transform_flattens_partner_orders_into_entity_records() {
    check("order-xml-transform", "order-xml-transform", RunOptions::default());
}

#[test]
fn inventory_action_sums_on_hand_over_a_sites_warehouses() {
    check("inventory-action-on-hand", "inventory-action", RunOptions::default());
}

#[test]
fn inventory_action_reserves_and_reports_what_is_left() {
    let options = RunOptions { role: Some(Role::Action), action: Some("reserve".into()), ..RunOptions::default() };
    check("inventory-action-reserve", "inventory-action", options);
}
