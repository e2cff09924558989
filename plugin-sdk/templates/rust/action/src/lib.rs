//! `checkCredit`: reads the customer through the unit of work and answers whether its credit
//! limit covers the amount asked for. Works in the call's company when it has one
//! (`dataAreaId`), as the server calls it.

use wharf_plugin_sdk::serde_json::{Value as Json, json};
use wharf_plugin_sdk::{Action, Context, Params, PluginError, Value, ValueRef, unit_of_work};

/// The plugin.
pub struct Plugin;

impl Action for Plugin {
    fn invoke(ctx: &Context, name: &str, input: &Params) -> Result<Json, PluginError> {
        match name {
            "checkCredit" => check_credit(ctx, input),
            other => Err(PluginError::new(format!("unknown action {other}"))),
        }
    }
}

wharf_plugin_sdk::export_action!(Plugin);

fn check_credit(ctx: &Context, input: &Params) -> Result<Json, PluginError> {
    let account: String = input.required("customerAccount")?;
    let amount: f64 = input.required("amount")?;
    // The server's entities are company-scoped; a sample's rows may name no company.
    let key: Vec<(&str, ValueRef<'_>)> = ctx
        .company
        .as_deref()
        .map(|company| ("dataAreaId", ValueRef::from(company)))
        .into_iter()
        .chain([("CustomerAccount", ValueRef::from(account.as_str()))])
        .collect();
    let customer = unit_of_work::read("Customer", &key)?
        .ok_or_else(|| PluginError::new(format!("there is no customer {account}")))?;
    let credit_limit = match customer.get("CreditLimit") {
        Some(Value::Integer(number)) => *number as f64,
        Some(Value::Float(number)) => *number,
        Some(Value::Decimal(text) | Value::String(text)) => {
            text.parse().map_err(|_| PluginError::new(format!("credit limit '{text}' is not a number")))?
        }
        _ => 0.0,
    };
    Ok(json!({ "customerAccount": account, "creditLimit": credit_limit, "approved": amount <= credit_limit }))
}

#[cfg(test)]
mod tests {
    use wharf_plugin_sdk::serde_json::json;
    use wharf_plugin_sdk::testing::TestHost;
    use wharf_plugin_sdk::{Action, Context, Params};

    use super::Plugin;

    #[test]
    fn approves_within_the_credit_limit_only() {
        // A customer row, as the entity store would hold it.
        let _host = TestHost::new()
            .row("Customer", &[("CustomerAccount", "C-1".into()), ("CreditLimit", 1000.into())])
            .install();
        let ctx = Context::default();
        let ask = |amount: f64| {
            let input = Params::from_json(&json!({ "customerAccount": "C-1", "amount": amount }).to_string())?;
            Plugin::invoke(&ctx, "checkCredit", &input)
        };
        assert_eq!(ask(999.5).expect("answers")["approved"], json!(true));
        assert_eq!(ask(1000.01).expect("answers")["approved"], json!(false));
    }

    #[test]
    fn an_unknown_customer_is_an_error() {
        let _host = TestHost::new().install();
        let input = Params::from_json(r#"{"customerAccount": "C-9", "amount": 1}"#).expect("JSON");
        let error = Plugin::invoke(&Context::default(), "checkCredit", &input).expect_err("no such customer");
        assert_eq!(error.message, "there is no customer C-9");
    }
}
