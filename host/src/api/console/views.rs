//! The console's HTML: one function per page, from data to markup, doing no IO. maud escapes
//! every value spliced in, so a client's name or a message's body cannot become markup.
//!
//! Every form posts its session's CSRF token in a hidden `csrf` field; htmx sends it in a
//! header (`hx-headers` on the body). No inline script or style: the CSP forbids both.

use maud::{DOCTYPE, Markup, html};

use super::session::Operator;
use super::store::AuditRecord;
use super::{Notice, htmx_path, stylesheet_path};

/// htmx's settings: no inline indicator styles (the CSP would refuse them), no eval, no
/// script tags from swapped content, and no copies of pages in the browser's storage.
const HTMX_CONFIG: &str = r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0,"selfRequestsOnly":true}"#;

/// The console's sections, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Overview,
    Jobs,
    Messages,
    Executions,
    Plugins,
    Clients,
    Audit,
}

/// A page's frame: its title, who is signed in, where in the console it is, and the outcome
/// of the action that led to it.
#[derive(Debug)]
pub(crate) struct Frame<'a> {
    pub(crate) title: &'a str,
    pub(crate) operator: &'a Operator,
    pub(crate) section: Section,
    pub(crate) done: Option<&'a AuditRecord>,
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="htmx-config" content=(HTMX_CONFIG);
            title { (title) " · Wharf console" }
            link rel="stylesheet" href=(stylesheet_path());
            script src=(htmx_path()) defer {}
        }
    }
}

/// The hidden field of the session's CSRF token.
pub(crate) fn csrf_field(operator: &Operator) -> Markup {
    html! { input type="hidden" name="csrf" value=(operator.csrf); }
}

/// A form of one button that POSTs to `action`: `id` names the form, `id-submit` its button.
pub(crate) fn action_button(operator: &Operator, id: &str, action: &str, label: &str, danger: bool) -> Markup {
    html! {
        form.inline id=(id) method="post" action=(action) {
            (csrf_field(operator))
            button.danger[danger] id=(format!("{id}-submit")) type="submit" { (label) }
        }
    }
}

/// A whole page inside the console's frame.
pub(crate) fn page(frame: Frame<'_>, content: Markup) -> Markup {
    let operator = frame.operator;
    let headers = serde_json::json!({ "X-CSRF-Token": operator.csrf }).to_string();
    let link = |id: &str, href: &str, label: &str, section: Section| {
        html! {
            li { a id=(id) href=(href) aria-current=[(frame.section == section).then_some("page")] { (label) } }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(frame.title))
            body hx-boost="true" hx-headers=(headers) {
                a.skip href="#main" { "Skip to the content" }
                header.top {
                    span.brand { "Wharf console" }
                    nav.primary id="primary" aria-label="Console sections" {
                        ul {
                            (link("nav-overview", "/console", "Overview", Section::Overview))
                            (link("nav-jobs", "/console/jobs", "Jobs", Section::Jobs))
                            (link("nav-messages", "/console/messages", "Messages", Section::Messages))
                            (link("nav-executions", "/console/executions", "Executions", Section::Executions))
                            (link("nav-plugins", "/console/plugins", "Plugins", Section::Plugins))
                            @if operator.is_admin() {
                                (link("nav-clients", "/console/clients", "Clients", Section::Clients))
                            }
                            (link("nav-audit", "/console/audit", "Audit log", Section::Audit))
                        }
                    }
                    form id="sign-out" method="post" action="/console/sign-out" {
                        (csrf_field(operator))
                        span.muted { "Signed in as " (operator.caller.client_id) " " }
                        button id="sign-out-submit" type="submit" { "Sign out" }
                    }
                }
                main id="main" {
                    h1 { (frame.title) }
                    @if let Some(done) = frame.done {
                        p.notice id="done" role="status" {
                            (done.action) " " (done.target) ": " (done.outcome)
                        }
                    }
                    (content)
                }
            }
        }
    }
}

/// A page outside the frame, saying why something was refused.
pub(crate) fn refusal(title: &str, reason: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                main id="main" {
                    h1 { (title) }
                    p.error id="refusal" role="alert" { (reason) }
                    p { a href="/console" { "Back to the console" } }
                }
            }
        }
    }
}

/// The sign-in page. `client_id` is what was typed before a refusal; the secret never comes
/// back.
pub(crate) fn sign_in(external: bool, error: Option<&str>, notice: Option<Notice>, client_id: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head("Sign in"))
            body {
                main id="main" {
                    h1 { "Sign in to the Wharf console" }
                    @if let Some(notice) = notice {
                        p.notice id="notice" role="status" { (notice.text()) }
                    }
                    @if let Some(error) = error {
                        p.error id="sign-in-error" role="alert" { (error) }
                    }
                    form.stacked id="sign-in" method="post" action="/console/sign-in" {
                        div {
                            label for="client_id" { "Client id" }
                            input id="client_id" name="client_id" type="text" autocomplete="username"
                                value=(client_id) maxlength="64" autofocus;
                        }
                        div {
                            label for="client_secret" { "Client secret" }
                            input id="client_secret" name="client_secret" type="password"
                                autocomplete="current-password" maxlength="256";
                        }
                        @if external {
                            div {
                                label for="token" { "Or a token from your identity provider" }
                                input id="token" name="token" type="password" autocomplete="off";
                            }
                        }
                        button id="sign-in-submit" type="submit" { "Sign in" }
                    }
                }
            }
        }
    }
}

/// Unix milliseconds as RFC 3339, to the second.
pub(crate) fn time(millis: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(millis)
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The audit log's table.
pub(crate) fn audit_table(records: &[AuditRecord]) -> Markup {
    html! {
        table id="audit" {
            caption.muted { "Newest first" }
            thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Action" }
                th scope="col" { "Target" } th scope="col" { "From" } th scope="col" { "Outcome" } } }
            tbody {
                @for record in records {
                    tr id=(format!("audit-{}", record.seq)) {
                        td { (time(record.at)) }
                        td { (record.client_id) }
                        td { (record.action) }
                        td { (record.target) }
                        td { (record.address.as_deref().unwrap_or("")) }
                        td { (record.outcome) }
                    }
                }
            }
        }
    }
}

/// A bar chart of rows imported and rejected per time bucket, drawn on the server: an inline
/// SVG (allowed by the CSP, being markup rather than script or style).
pub(crate) fn rows_chart(buckets: &[(String, u64, u64)]) -> Markup {
    let most = buckets.iter().map(|(_, imported, rejected)| imported + rejected).max().unwrap_or(0).max(1);
    let (width, height, bar) = (600u64, 160u64, 600 / (buckets.len().max(1) as u64));
    let scale = |value: u64| value * (height - 20) / most;
    let total_imported: u64 = buckets.iter().map(|(_, imported, _)| imported).sum();
    let total_rejected: u64 = buckets.iter().map(|(_, _, rejected)| rejected).sum();
    html! {
        svg.chart id="rows-chart" role="img" viewBox=(format!("0 0 {width} {height}"))
            aria-label=(format!("Rows in the last hour: {total_imported} imported, {total_rejected} rejected")) {
            title { "Rows imported (green) and rejected (red) per 5 minutes, the last hour" }
            @for (index, (start, imported, rejected)) in buckets.iter().enumerate() {
                @let x = index as u64 * bar;
                @let (imported_height, rejected_height) = (scale(*imported), scale(*rejected));
                rect.imported x=(x + 2) y=(height - 20 - imported_height) width=(bar.saturating_sub(4))
                    height=(imported_height) { title { (start) ": " (imported) " imported" } }
                rect.rejected x=(x + 2) y=(height - 20 - imported_height - rejected_height)
                    width=(bar.saturating_sub(4)) height=(rejected_height) { title { (start) ": " (rejected) " rejected" } }
                @if index % 3 == 0 {
                    text x=(x + 2) y=(height - 6) { (start.get(11..16).unwrap_or("")) }
                }
            }
        }
    }
}
