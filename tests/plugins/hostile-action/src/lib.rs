//! An action that inserts a customer group and then attacks its host in the way its `attack`
//! parameter names, so the tests can check that nothing it changed is committed and that it
//! reaches no company and no entity it was not granted.

use std::hint::black_box;

use serde_json::{Value as Json, json};
use wharf_plugin_sdk::{Action, Context, Params, PluginError, Value, ValueRef, unit_of_work};

/// The plugin.
pub struct HostileAction;

/// The customer group every attack but `peek` inserts first.
const GROUP: &str = "HOSTILE";

impl Action for HostileAction {
    fn invoke(_ctx: &Context, _name: &str, input: &Params) -> Result<Json, PluginError> {
        let attack: String = input.required("attack")?;
        let company: String = input.required("company")?;
        if attack == "peek" {
            // Every customer group the unit of work shows, whatever company it belongs to.
            let rows = unit_of_work::find("CustomerGroup", &[], 1000)?;
            let seen: Vec<String> = rows
                .iter()
                .filter_map(|row| row.get("dataAreaId").and_then(Value::as_str).map(str::to_owned))
                .collect();
            return Ok(json!({ "companies": seen }));
        }
        unit_of_work::insert(
            "CustomerGroup",
            &[
                ("dataAreaId", company.as_str().into()),
                ("CustomerGroupId", GROUP.into()),
                ("Description", attack.as_str().into()),
            ],
        )?;
        match attack.as_str() {
            "none" => Ok(json!({ "inserted": GROUP, "company": company })),
            "panic" => panic!("the action lost its nerve"),
            "loop" => loop {
                black_box(());
            },
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1; 1 << 20]);
                    black_box(&hoard);
                }
            }
            // Blocks in the host while the unit of work holds the store's write turn.
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(8));
                Ok(json!({ "slept": true }))
            }
            "outside" => {
                let row = [("dataAreaId", ValueRef::from(company.as_str())), ("CustomerAccount", "C-HOSTILE".into())];
                unit_of_work::insert("Customer", &row)?;
                Ok(json!({ "inserted": "C-HOSTILE" }))
            }
            other => Err(PluginError::new(format!("unknown attack {other}"))),
        }
    }
}

wharf_plugin_sdk::export_action!(HostileAction);
