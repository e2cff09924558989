//! The console's actions (form POSTs): each does one thing, writes one audit record saying
//! who did what to what and how it ended, and redirects (303) to a page that shows that
//! record. The guard has checked the session, the role and the CSRF token already.

use std::collections::BTreeSet;

use axum::Extension;
use axum::extract::{Path, State};

use super::pages::{MessagesQuery, clients_content};
use super::session::{FormFields, Operator};
use super::views::{self, Frame, Section};
use super::{Failure, PageResult, blocking, page_response, record, see_other};
use crate::api::AppState;
use crate::auth::{Companies, NewClient, Role};
use crate::jobs::job::parse_activity;
use crate::jobs::{MessageAction, MessageFilter};
use crate::releases::decisions::{DecisionKind, NewDecision};

/// The most message ids one bulk form may name; "all that match" has no such bound, since the
/// queue works through those in chunks.
const BULK_IDS_MAX: usize = 5_000;

/// `POST /console/jobs/{activity}/{enable|disable|run}`.
pub(crate) async fn job(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Path((id, action)): Path<(String, String)>,
) -> PageResult {
    let job = parse_activity(&id)
        .and_then(|activity| state.jobs.job(activity))
        .filter(|job| operator.caller.may_see_scope(job.company.as_deref()))
        .ok_or_else(|| Failure::not_found("No job is at this address."))?;
    let who = operator.caller.client_id.clone();
    let (name, outcome) = match action.as_str() {
        "enable" | "disable" => {
            let enabled = action == "enable";
            let changed = state.jobs.set_enabled(job.activity, enabled, &who).await?;
            let outcome = if changed { format!("{action}d") } else { "refused: no such job".to_owned() };
            (format!("job.{action}"), outcome)
        }
        "run" => {
            let outcome = match state.jobs.run_now(job.activity) {
                Some(run) if run.queued => "queued to run at the next tick".to_owned(),
                Some(run) => format!("refused: {}", run.refused.unwrap_or_else(|| "not queued".to_owned())),
                None => "refused: no such job".to_owned(),
            };
            ("job.run".to_owned(), outcome)
        }
        _ => return Err(Failure::not_found("No such action on a job.")),
    };
    let seq = record(&state, &operator, &name, &job.activity.to_string(), &outcome).await?;
    Ok(see_other(&format!("/console/jobs/{}?done={seq}", job.activity)))
}

fn message_action(name: &str) -> Option<MessageAction> {
    match name {
        "reprocess" => Some(MessageAction::Reprocess),
        "requeue" => Some(MessageAction::Requeue),
        "delete" => Some(MessageAction::Delete),
        _ => None,
    }
}

/// `POST /console/messages/{id}/{reprocess|requeue|delete}`.
pub(crate) async fn message(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Path((id, action_name)): Path<(String, String)>,
) -> PageResult {
    let action = message_action(&action_name).ok_or_else(|| Failure::not_found("No such action on a message."))?;
    let not_found = || Failure::not_found("No message is at this address.");
    let id = uuid::Uuid::parse_str(id.trim_matches(|c| c == '{' || c == '}')).map_err(|_| not_found())?;
    let message = state.jobs.queue().message(id).await?;
    message.filter(|message| operator.caller.may_see_scope(message.company.as_deref())).ok_or_else(not_found)?;
    let outcome = state.jobs.queue().act(action, id, &operator.caller.client_id).await?;
    let text = match (&outcome.refused, outcome.to) {
        (Some(reason), _) => format!("refused: {reason}"),
        (None, Some(to)) => format!("ok: now {}", to.as_str()),
        (None, None) => "ok: deleted".to_owned(),
    };
    let seq = record(&state, &operator, &format!("message.{action_name}"), &id.to_string(), &text).await?;
    let deleted = matches!(action, MessageAction::Delete) && outcome.changed;
    Ok(match deleted {
        true => see_other(&format!("/console/messages?done={seq}")),
        false => see_other(&format!("/console/messages/{id}?done={seq}")),
    })
}

/// `POST /console/messages/bulk`: the selected messages, or all that match the filter the
/// page was showing (its fields come back as `filter_*`).
pub(crate) async fn bulk(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Extension(form): Extension<FormFields>,
) -> PageResult {
    let action_name = form.get("action").unwrap_or_default().to_owned();
    let action =
        message_action(&action_name).ok_or_else(|| Failure::not_found("Choose what to do with the messages."))?;
    let query = MessagesQuery {
        job: form.get("filter_job").map(str::to_owned),
        status: form.get("filter_status").map(str::to_owned),
        company: form.get("filter_company").map(str::to_owned),
        from: form.get("filter_from").map(str::to_owned),
        to: form.get("filter_to").map(str::to_owned),
        q: form.get("filter_q").map(str::to_owned),
        ..MessagesQuery::default()
    };
    let back = |seq: i64| {
        let mut address = form_urlencoded::Serializer::new(String::new());
        for (name, value) in query.fields() {
            address.append_pair(name, value);
        }
        address.append_pair("done", &seq.to_string());
        see_other(&format!("/console/messages?{}", address.finish()))
    };
    let who = operator.caller.client_id.clone();
    let name = format!("message.bulk-{action_name}");
    if form.get("all") == Some("yes") {
        let filter: MessageFilter = match query.filter(&operator) {
            Ok(filter) => filter,
            Err(refusal) => {
                let seq = record(&state, &operator, &name, "all matching", &format!("refused: {refusal}")).await?;
                return Ok(back(seq));
            }
        };
        let target = format!("all matching {}", describe(&query));
        let outcome = state.jobs.queue().act_on_matching(action, &filter, &who).await?;
        let text = format!("{} changed, {} refused", outcome.changed, outcome.refused);
        let seq = record(&state, &operator, &name, &target, &text).await?;
        return Ok(back(seq));
    }
    let mut ids = Vec::new();
    for id in form.all("id").take(BULK_IDS_MAX + 1) {
        ids.push(uuid::Uuid::parse_str(id).map_err(|_| Failure::not_found("A selected message id is not a GUID."))?);
    }
    if ids.len() > BULK_IDS_MAX {
        return Err(Failure::forbidden("Too many messages selected at once: use \"all that match this filter\"."));
    }
    // Only the messages the operator may see are acted on; others count as not found.
    let mut visible = Vec::with_capacity(ids.len());
    for id in ids {
        let message = state.jobs.queue().message(id).await?;
        if message.is_some_and(|message| operator.caller.may_see_scope(message.company.as_deref())) {
            visible.push(id);
        }
    }
    let outcome = state.jobs.queue().act_on(action, &visible, &who).await?;
    let text = format!("{} changed, {} refused", outcome.changed, outcome.refused);
    let seq = record(&state, &operator, &name, &format!("{} selected messages", visible.len()), &text).await?;
    Ok(back(seq))
}

/// A filter in words, for the audit log.
fn describe(query: &MessagesQuery) -> String {
    let fields: Vec<String> = query.fields().into_iter().map(|(name, value)| format!("{name}={value}")).collect();
    if fields.is_empty() { "(no filter)".to_owned() } else { fields.join(" ") }
}

/// `POST /console/plugins/{name}/restore`: the previous version serves again on this server.
pub(crate) async fn restore_plugin(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Path(name): Path<String>,
) -> PageResult {
    if !operator.caller.may_see_scope(None) {
        return Err(Failure::forbidden(
            "Plugins serve every company: only a client granted every company restores them.",
        ));
    }
    let registry = state.jobs.deployment().pipeline.registry.clone();
    let releases = state.jobs.releases().clone();
    let (plugin, who) = (name.clone(), operator.caller.client_id.clone());
    let restored = blocking(move || -> anyhow::Result<Result<String, String>> {
        let restored = match registry.restore(&plugin) {
            Ok(restored) => restored,
            Err(error) => return Ok(Err(format!("{error:#}"))),
        };
        let id = restored.id().to_owned();
        releases.decisions().record_blocking(NewDecision {
            plugin: plugin.clone(),
            kind: DecisionKind::Restored,
            version: Some(id.clone()),
            serving: Some(id.clone()),
            reason: format!("restored by {who} through the console"),
            numbers: serde_json::json!({}),
        })?;
        Ok(Ok(id))
    })
    .await?;
    let outcome = match restored {
        Ok(id) => format!("ok: {id} serves on this server"),
        Err(reason) => format!("refused: {reason}"),
    };
    let seq = record(&state, &operator, "plugin.restore", &name, &outcome).await?;
    Ok(see_other(&format!("/console/plugins?done={seq}")))
}

/// The companies a form's field names: `*`, or ids separated by commas.
fn companies(text: &str) -> Option<Companies> {
    let text = text.trim();
    if text == "*" {
        return Some(Companies::All);
    }
    let ids: BTreeSet<String> =
        text.split(',').map(str::trim).filter(|id| !id.is_empty()).map(str::to_ascii_lowercase).collect();
    let valid = !ids.is_empty()
        && ids.iter().all(|id| {
            id.len() <= 64 && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
        });
    valid.then_some(Companies::Only(ids))
}

/// The page showing a secret just made: answered at once, not through a redirect, since the
/// secret may go in no address and is kept nowhere to show again.
fn secret_page(state: &AppState, operator: &Operator, seq: i64, client: &str, secret: &str) -> PageResult {
    let console = state.console.clone();
    let done = console.store.audit_record(seq).ok().flatten();
    let content = clients_content(state, operator, Some((client, secret)));
    let frame = Frame { title: "Clients", operator, section: Section::Clients, done: done.as_ref() };
    Ok(page_response(views::page(frame, content)))
}

/// `POST /console/clients` (admins): registers a client and shows its secret once.
pub(crate) async fn add_client(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Extension(form): Extension<FormFields>,
) -> PageResult {
    if !operator.is_admin() {
        return Err(Failure::forbidden("Only an admin manages clients."));
    }
    let role = match form.get("role") {
        Some("admin") => Role::Admin,
        Some("operator") => Role::Operator,
        Some("data-management") => Role::DataManagement,
        _ => return Err(Failure::not_found("Choose a role.")),
    };
    let name = form.get("name").unwrap_or_default().to_owned();
    let target = form.get("id").unwrap_or("(new id)").to_owned();
    let refuse = async |reason: &str| -> PageResult {
        let seq = record(&state, &operator, "client.add", &target, &format!("refused: {reason}")).await?;
        Ok(see_other(&format!("/console/clients?done={seq}")))
    };
    let Some(companies) = form.get("companies").and_then(companies) else {
        return refuse("the companies must be * or company ids separated by commas").await;
    };
    if name.is_empty() || name.chars().count() > 200 {
        return refuse("the name must be between 1 and 200 characters").await;
    }
    let roles = BTreeSet::from([role]);
    if !crate::api::manage::may_grant(&operator.caller, &roles, &companies) {
        return refuse("you may grant only companies and roles you hold yourself").await;
    }
    let registration = NewClient { id: form.get("id").map(str::to_owned), name, roles, companies, enabled: true };
    let auth = state.auth.clone();
    let added =
        tokio::task::spawn_blocking(move || auth.add_client(registration)).await.map_err(anyhow::Error::from)?;
    match added {
        Ok((client, secret)) => {
            let seq = record(&state, &operator, "client.add", &client.id, "ok").await?;
            let state_for_page = state.clone();
            let (id, page_operator) = (client.id.clone(), operator.clone());
            blocking(move || Ok(secret_page(&state_for_page, &page_operator, seq, &id, &secret))).await?
        }
        Err(error) => refuse(&format!("{error:#}")).await,
    }
}

/// `POST /console/clients/{id}/{enable|disable|secret}` (admins).
pub(crate) async fn client(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Path((id, action)): Path<(String, String)>,
) -> PageResult {
    if !operator.is_admin() {
        return Err(Failure::forbidden("Only an admin manages clients."));
    }
    let client = state.auth.client(&id).ok_or_else(|| Failure::not_found("No client is at this address."))?;
    let name = format!("client.{action}");
    if !crate::api::manage::may_grant(&operator.caller, &client.roles, &client.companies) {
        let seq =
            record(&state, &operator, &name, &client.id, "refused: the client holds companies or roles you do not")
                .await?;
        return Ok(see_other(&format!("/console/clients?done={seq}")));
    }
    let auth = state.auth.clone();
    match action.as_str() {
        "enable" | "disable" => {
            let mut changed = client.clone();
            changed.enabled = action == "enable";
            if let Some(reason) = crate::api::manage::own_change_refused(&operator.caller, &client, Some(&changed)) {
                let seq = record(&state, &operator, &name, &client.id, &format!("refused: {reason}")).await?;
                return Ok(see_other(&format!("/console/clients?done={seq}")));
            }
            blocking(move || auth.set_client(&changed)).await?;
            let seq = record(&state, &operator, &name, &client.id, "ok").await?;
            Ok(see_other(&format!("/console/clients?done={seq}")))
        }
        "secret" => {
            let client_id = client.id.clone();
            let secret = blocking(move || auth.reset_secret(&client_id)).await?;
            let seq = record(&state, &operator, &name, &client.id, "ok").await?;
            let state_for_page = state.clone();
            let (id, page_operator) = (client.id.clone(), operator.clone());
            blocking(move || Ok(secret_page(&state_for_page, &page_operator, seq, &id, &secret))).await?
        }
        _ => Err(Failure::not_found("No such action on a client.")),
    }
}
