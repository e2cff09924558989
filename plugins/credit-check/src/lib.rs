//! A credit check against a partner's web service. `checkCredit` posts the customer and the
//! amount of the order to the service named by `service_url` in the manifest, with the API
//! key the operator granted (`credit_api_key`, which the plugin never sees), and answers with
//! the service's verdict. When the service is slow, down or refuses, the answer says the
//! order needs a person's review instead of failing the caller's request.

use serde_json::{Value as Json, json};
use wharf_plugin_sdk::outbound::{OutboundError, Request};
use wharf_plugin_sdk::{Action, Context, Params, PluginError, host};

/// The plugin.
pub struct CreditCheck;

impl Action for CreditCheck {
    fn invoke(_ctx: &Context, name: &str, input: &Params) -> Result<Json, PluginError> {
        match name {
            "checkCredit" => check_credit(input),
            other => Err(PluginError::new(format!("unknown action {other}"))),
        }
    }
}

wharf_plugin_sdk::export_action!(CreditCheck);

fn check_credit(input: &Params) -> Result<Json, PluginError> {
    let customer: String = input.required("customerAccount")?;
    let amount: String = input.required("amount")?;
    let url = host::config("service_url").ok_or_else(|| PluginError::new("the manifest sets no service_url"))?;
    let sent = Request::post(&url)
        .secret_header("Authorization", "credit_api_key", "Bearer ")
        .header("Accept", "application/json")
        .json(&json!({ "customer": customer, "amount": amount }))?
        .send();
    let response = match sent {
        Ok(response) => response,
        // No verdict in time: a person decides, the order is not lost.
        Err(error @ (OutboundError::Timeout(_) | OutboundError::Failed(_))) => {
            host::log(host::Level::Warn, &format!("credit check for {customer}: {error}"));
            return Ok(review(&customer, &error.to_string()));
        }
        // A refusal by the host is a deployment's mistake, not a customer's: say so.
        Err(error) => return Err(error.into()),
    };
    if !response.is_success() {
        let why = format!("the credit service answered {}: {}", response.status, response.text().unwrap_or_default());
        host::log(host::Level::Warn, &format!("credit check for {customer}: {why}"));
        return Err(PluginError::new(why));
    }
    let verdict: Json = response.json()?;
    let approved = verdict["approved"]
        .as_bool()
        .ok_or_else(|| PluginError::new("the credit service's answer has no `approved`"))?;
    Ok(json!({
        "customerAccount": customer,
        "approved": approved,
        "creditLimit": verdict["limit"],
        "review": false,
        "reason": verdict["reason"].as_str().unwrap_or_default(),
    }))
}

/// The answer when the service gave none: not approved, for review.
fn review(customer: &str, why: &str) -> Json {
    json!({ "customerAccount": customer, "approved": false, "creditLimit": null, "review": true, "reason": why })
}
