//! Inventory actions. `onHand` sums the available quantity of an item over a site's
//! warehouses; `reserve` takes quantity from one warehouse and records the reservation, all or
//! nothing. Both work in the call's company when it has one (`dataAreaId`), as the server's
//! custom service calls them.

use serde_json::{Value as Json, json};
use wharf_plugin_sdk::{Action, Context, Params, PluginError, Record, Value, ValueRef, unit_of_work};

/// The plugin.
pub struct InventoryAction;

impl Action for InventoryAction {
    fn invoke(ctx: &Context, name: &str, input: &Params) -> Result<Json, PluginError> {
        match name {
            "onHand" => on_hand(ctx, input),
            "reserve" => reserve(ctx, input),
            other => Err(PluginError::new(format!("unknown action {other}"))),
        }
    }
}

wharf_plugin_sdk::export_action!(InventoryAction);

/// The company field to add to keys, criteria and rows when the call has a company: the
/// server's entities are company-scoped, a sample file's rows may name none.
fn company(ctx: &Context) -> Option<(&str, ValueRef<'_>)> {
    ctx.company.as_deref().map(|company| ("dataAreaId", ValueRef::from(company)))
}

fn on_hand(ctx: &Context, input: &Params) -> Result<Json, PluginError> {
    let item: String = input.required("itemNumber")?;
    let site: String = input.required("siteId")?;
    let criteria: Vec<_> = company(ctx)
        .into_iter()
        .chain([("ItemNumber", ValueRef::from(item.as_str())), ("SiteId", site.as_str().into())])
        .collect();
    let rows = unit_of_work::find("InventOnHand", &criteria, 1000)?;
    let mut total = 0.0;
    let mut warehouses = Vec::new();
    for row in &rows {
        let available = quantity(row, "AvailableQuantity")?;
        total += available;
        let warehouse = row.get("WarehouseId").and_then(Value::as_str).unwrap_or_default();
        warehouses.push(json!({ "warehouseId": warehouse, "availableQuantity": available }));
    }
    Ok(json!({ "itemNumber": item, "siteId": site, "availableQuantity": total, "warehouses": warehouses }))
}

fn reserve(ctx: &Context, input: &Params) -> Result<Json, PluginError> {
    let reservation: String = input.required("reservationId")?;
    let item: String = input.required("itemNumber")?;
    let site: String = input.required("siteId")?;
    let warehouse: String = input.required("warehouseId")?;
    let wanted: f64 = input.required("quantity")?;
    if !(wanted.is_finite() && wanted > 0.0) {
        return Err(PluginError::new("quantity must be a positive number"));
    }
    let key: Vec<_> = company(ctx)
        .into_iter()
        .chain([
            ("ItemNumber", ValueRef::from(item.as_str())),
            ("SiteId", site.as_str().into()),
            ("WarehouseId", warehouse.as_str().into()),
        ])
        .collect();
    let row = unit_of_work::read("InventOnHand", &key)?
        .ok_or_else(|| PluginError::new(format!("no on-hand record for {item} at {site}/{warehouse}")))?;
    let available = quantity(&row, "AvailableQuantity")?;
    let reserved = quantity(&row, "ReservedQuantity").unwrap_or(0.0);
    if wanted > available {
        return Err(PluginError::new(format!(
            "only {available} of {item} available at {site}/{warehouse}, {wanted} wanted"
        )));
    }
    let (left, now_reserved) = ((available - wanted).to_string(), (reserved + wanted).to_string());
    unit_of_work::update(
        "InventOnHand",
        &key,
        &[("AvailableQuantity", ValueRef::Decimal(&left)), ("ReservedQuantity", ValueRef::Decimal(&now_reserved))],
    )?;
    // Fails when the reservation id is taken, which undoes the update above with it.
    let quantity_text = wanted.to_string();
    let row: Vec<_> = company(ctx)
        .into_iter()
        .chain([
            ("ReservationId", reservation.as_str().into()),
            ("ItemNumber", item.as_str().into()),
            ("SiteId", site.as_str().into()),
            ("WarehouseId", warehouse.as_str().into()),
            ("Quantity", ValueRef::Decimal(&quantity_text)),
        ])
        .collect();
    unit_of_work::insert("InventReservation", &row)?;
    Ok(json!({ "reservationId": reservation, "reservedQuantity": wanted, "availableQuantity": available - wanted }))
}

fn quantity(row: &Record, field: &str) -> Result<f64, PluginError> {
    match row.get(field) {
        Some(Value::Integer(number)) => Ok(*number as f64),
        Some(Value::Float(number)) => Ok(*number),
        Some(Value::Decimal(text) | Value::String(text)) => {
            text.parse().map_err(|_| PluginError::new(format!("{field} '{text}' is not a number")))
        }
        _ => Err(PluginError::new(format!("{field} is missing"))),
    }
}
