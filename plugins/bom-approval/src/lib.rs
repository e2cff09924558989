//! Approving a bill of materials: `approve`, bound to one `BillOfMaterialsHeader`, checks that
//! the bill is not approved yet and that it has lines, each with a positive quantity, then
//! records the approval and its approver. A refusal changes nothing.

use serde_json::{Value as Json, json};
use wharf_plugin_sdk::{Action, Context, Params, PluginError, Record, Value, ValueRef, unit_of_work};

/// The plugin.
pub struct BomApproval;

impl Action for BomApproval {
    fn invoke(_ctx: &Context, name: &str, input: &Params) -> Result<Json, PluginError> {
        match name {
            "approve" => approve(input),
            other => Err(PluginError::new(format!("unknown action {other}"))),
        }
    }
}

wharf_plugin_sdk::export_action!(BomApproval);

const HEADER: &str = "BillOfMaterialsHeader";
const LINE: &str = "BillOfMaterialsLine";
/// More lines than any real bill has; a bill at this size is refused rather than half-read.
const MAX_LINES: u32 = 5000;

fn approve(input: &Params) -> Result<Json, PluginError> {
    let approver: String = input.required("approver")?;
    if approver.trim().is_empty() {
        return Err(PluginError::new("approver must name the approving worker's personnel number"));
    }
    let key = input.key()?;
    let header = unit_of_work::read(HEADER, &key.as_fields())?
        .ok_or_else(|| PluginError::new("the bill of materials does not exist"))?;
    let bom = text(&header, "BOMId")?;
    if header.get("IsApproved").and_then(Value::as_str) == Some("Yes") {
        return Err(PluginError::new(format!("bill of materials {bom} is already approved")));
    }

    // The lines of this bill in the same company: the header's key without its BOM id is the
    // company (or nothing, for a deployment without companies).
    let criteria: Vec<(&str, ValueRef<'_>)> =
        key.as_fields().into_iter().filter(|(name, _)| *name != "BOMId").chain([("BOMId", bom.into())]).collect();
    let lines = unit_of_work::find(LINE, &criteria, MAX_LINES)?;
    if lines.is_empty() {
        return Err(PluginError::new(format!("bill of materials {bom} has no lines")));
    }
    if lines.len() >= MAX_LINES as usize {
        return Err(PluginError::new(format!("bill of materials {bom} has {MAX_LINES} lines or more")));
    }
    for line in &lines {
        if !is_positive(line.get("Quantity")) {
            let number = line.get("LineNumber").map(Value::to_string).unwrap_or_default();
            return Err(PluginError::new(format!("line {number} of bill of materials {bom} has no positive quantity")));
        }
    }

    let changes = [("IsApproved", ValueRef::from("Yes")), ("ApproverPersonnelNumber", approver.as_str().into())];
    unit_of_work::update(HEADER, &key.as_fields(), &changes)?;
    Ok(json!({ "BOMId": bom, "approved": true, "lines": lines.len() }))
}

fn text<'r>(row: &'r Record, field: &str) -> Result<&'r str, PluginError> {
    row.get(field).and_then(Value::as_str).ok_or_else(|| PluginError::new(format!("{field} is missing")))
}

/// Whether a quantity is a number above zero. Decimals arrive as their exact text, which is
/// positive when it has a non-zero digit and no minus sign.
fn is_positive(quantity: Option<&Value>) -> bool {
    match quantity {
        Some(Value::Integer(number)) => *number > 0,
        Some(Value::Float(number)) => *number > 0.0,
        Some(Value::Decimal(text) | Value::String(text)) => {
            let text = text.trim();
            !text.starts_with('-') && text.bytes().any(|byte| (b'1'..=b'9').contains(&byte))
        }
        _ => false,
    }
}
