//! The console's pages (GET): each gathers what it shows, within the operator's companies,
//! and hands it to `views`. Nothing here changes anything but a session's last use.

use std::collections::BTreeMap;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::session::Operator;
use super::store::AuditRecord;
use super::views::{self, Frame, Section, action_button, csrf_field};
use super::{Failure, PageResult, blocking, page_response};
use crate::api::AppState;
use crate::jobs::job::parse_activity;
use crate::jobs::{Job, Message, MessageStatus};
use crate::jobs::{MessageFilter, parse_time};

/// How many messages, executions, rejected rows or audit records a page lists.
const PAGE_SIZE: u32 = 50;

/// How much of a message's body its page shows.
const PREVIEW_BYTES: usize = 4096;

/// `?done=` on a page an action redirected to: the audit record the action wrote.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Done {
    done: Option<i64>,
}

/// The audit record `done` names, if the operator wrote it: the page says what happened.
async fn done_record(state: &AppState, operator: &Operator, done: Option<i64>) -> Option<AuditRecord> {
    let seq = done?;
    let console = state.console.clone();
    let record = blocking(move || console.store.audit_record(seq)).await.ok().flatten()?;
    (record.client_id == operator.caller.client_id).then_some(record)
}

/// A page in the console's frame.
fn framed(title: &str, operator: &Operator, section: Section, done: Option<&AuditRecord>, content: Markup) -> Response {
    page_response(views::page(Frame { title, operator, section, done }, content))
}

/// The jobs the operator may see, by activity.
fn visible_jobs(state: &AppState, operator: &Operator) -> BTreeMap<Uuid, std::sync::Arc<Job>> {
    state
        .jobs
        .jobs()
        .into_iter()
        .filter(|job| operator.caller.may_see_scope(job.company.as_deref()))
        .map(|job| (job.activity, job))
        .collect()
}

fn job_name(jobs: &BTreeMap<Uuid, std::sync::Arc<Job>>, activity: Uuid) -> String {
    jobs.get(&activity).map_or_else(|| activity.to_string(), |job| job.name.clone())
}

/// `GET /console`: the queue and the imports at a glance.
pub(crate) async fn overview(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Query(query): Query<Done>,
) -> PageResult {
    let done = done_record(&state, &operator, query.done).await;
    let overview = state.jobs.overview().await?;
    let jobs = visible_jobs(&state, &operator);
    let every_company = operator.caller.may_see_scope(None);
    // Definitions serve every company, as plugins do: only an operator granted every company
    // sees a refused one.
    let refused_definitions: Vec<_> = match every_company {
        true => (state.jobs.definitions().into_iter())
            .filter(|definition| definition.state == crate::deployment::Serving::Refused)
            .collect(),
        false => Vec::new(),
    };
    let plugin_failures: Vec<_> = match every_company {
        true => {
            state.jobs.deployment().pipeline.registry.status().into_iter().filter(|s| s.failure.is_some()).collect()
        }
        false => Vec::new(),
    };
    let buckets: Vec<(String, u64, u64)> = match every_company {
        true => {
            overview.buckets.iter().map(|bucket| (bucket.start.clone(), bucket.imported, bucket.rejected)).collect()
        }
        false => Vec::new(),
    };
    let content = html! {
        h2 { "Queue depth" }
        table id="queue-depth" {
            thead { tr { th scope="col" { "Job" } th scope="col" { "Status" } th.num scope="col" { "Messages" } } }
            tbody {
                @for depth in overview.depth.iter().filter(|depth| jobs.contains_key(&depth.activity)) {
                    tr {
                        td { a href=(format!("/console/jobs/{}", depth.activity)) { (job_name(&jobs, depth.activity)) } }
                        td { a href=(format!("/console/messages?job={}&status={}", depth.activity, depth.status.as_str())) { (depth.status.as_str()) } }
                        td.num { (depth.messages) }
                    }
                }
            }
        }
        p id="oldest-waiting" {
            @match overview.oldest_waiting.iter().filter(|waiting| jobs.contains_key(&waiting.activity)).max_by_key(|waiting| waiting.age_seconds) {
                Some(waiting) => { "Oldest waiting message: enqueued " (waiting.enqueued) " (" (waiting.age_seconds) " s ago) for "
                    (job_name(&jobs, waiting.activity)) "." }
                None => { "No message is waiting." }
            }
        }
        p id="executions-running" { "Executions running: " (overview.executions_running) ". Messages being processed: " (overview.processing) "." }
        @if every_company {
            h2 { "Rows in the last hour" }
            (views::rows_chart(&buckets))
            @if !overview.buckets_complete {
                p.muted { "More executions than the chart reads ran in the hour: it shows part of them." }
            }
            h2 { "Plugins that fail to load" }
            table id="plugin-failures" {
                thead { tr { th scope="col" { "File" } th scope="col" { "Version" } th scope="col" { "Why" } } }
                tbody {
                    @for status in &plugin_failures {
                        @if let Some(failure) = &status.failure {
                            tr {
                                td { (file_name(&status.file)) }
                                td { (failure.version.as_deref().unwrap_or("")) }
                                td { (relative_reason(&status.file, &failure.reason)) }
                            }
                        }
                    }
                }
            }
        }
        @if every_company {
            h2 { "Definitions refused" }
            p.muted { "Each keeps its previous definition serving until the file is fixed." }
            table id="definition-refusals" {
                thead { tr { th scope="col" { "File" } th scope="col" { "Defines" } th scope="col" { "Since" } th scope="col" { "Why" } } }
                tbody {
                    @for definition in &refused_definitions {
                        tr {
                            td { (definition.file) }
                            td { (format!("{:?}", definition.kind).to_lowercase()) " " (definition.name) }
                            td { (views::time(system_millis(definition.at))) }
                            td { (definition.reason.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
        h2 { "Recent errors" }
        table id="recent-errors" {
            thead { tr { th scope="col" { "When" } th scope="col" { "Job" } th scope="col" { "Status" }
                th scope="col" { "Message" } th scope="col" { "Why" } } }
            tbody {
                @for error in overview.recent_errors.iter().filter(|error| error.activity.is_none_or(|activity| jobs.contains_key(&activity))) {
                    tr {
                        td { (error.at) }
                        td { @if let Some(activity) = error.activity { (job_name(&jobs, activity)) } }
                        td { (error.status) }
                        td { @if let Some(id) = error.message_id { a href=(format!("/console/messages/{id}")) { (id) } } }
                        td { (error.reason.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    };
    Ok(framed("Overview", &operator, Section::Overview, done.as_ref(), content))
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A load failure's reason with the plugin directory left out: operators know where it is,
/// and the page need not show the server's paths.
fn relative_reason(file: &std::path::Path, reason: &str) -> String {
    match file.parent() {
        Some(dir) => reason.replace(&format!("{}/", dir.display()), ""),
        None => reason.to_owned(),
    }
}

/// `GET /console/jobs`.
pub(crate) async fn jobs(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Query(query): Query<Done>,
) -> PageResult {
    let done = done_record(&state, &operator, query.done).await;
    let jobs = visible_jobs(&state, &operator);
    let content = html! {
        table id="jobs" {
            thead { tr { th scope="col" { "Job" } th scope="col" { "Project" } th scope="col" { "Direction" }
                th scope="col" { "Mode" } th scope="col" { "Recurrence" } th scope="col" { "State" } } }
            tbody {
                @for job in jobs.values() {
                    tr id=(format!("job-{}", job.activity)) {
                        td { a href=(format!("/console/jobs/{}", job.activity)) { (job.name) } }
                        td { (job.project) }
                        td { (format!("{:?}", job.direction)) }
                        td { (format!("{:?}", job.mode)) }
                        td { "every " (humantime_serde::re::humantime::format_duration(job.processing)) }
                        td { (if state.jobs.is_enabled(job.activity) { "enabled" } else { "disabled" }) }
                    }
                }
            }
        }
    };
    Ok(framed("Jobs", &operator, Section::Jobs, done.as_ref(), content))
}

/// The job `id` names, if the operator may see it; else a 404 page.
fn visible_job(state: &AppState, operator: &Operator, id: &str) -> Result<std::sync::Arc<Job>, Failure> {
    parse_activity(id)
        .and_then(|activity| state.jobs.job(activity))
        .filter(|job| operator.caller.may_see_scope(job.company.as_deref()))
        .ok_or_else(|| Failure::not_found("No job is at this address."))
}

/// `GET /console/jobs/{activity}`.
pub(crate) async fn job(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Path(id): Path<String>,
    Query(query): Query<Done>,
) -> PageResult {
    let done = done_record(&state, &operator, query.done).await;
    let job = visible_job(&state, &operator, &id)?;
    let runs = state.jobs.last_runs(job.activity, 20).await?;
    let enabled = state.jobs.is_enabled(job.activity);
    let base = format!("/console/jobs/{}", job.activity);
    let content = html! {
        dl.facts id="job-facts" {
            dt { "Activity id" } dd { (job.activity) }
            dt { "Project" } dd { (job.project) }
            dt { "Direction" } dd { (format!("{:?}", job.direction)) }
            dt { "Mode" } dd { (format!("{:?}", job.mode)) }
            dt { "Entity" } dd { (job.entity.as_deref().unwrap_or("—")) }
            dt { "Company" } dd { (job.company.as_deref().unwrap_or("every company")) }
            dt { "Processing" } dd { "every " (humantime_serde::re::humantime::format_duration(job.processing)) }
            dt { "Monitoring" } dd { "every " (humantime_serde::re::humantime::format_duration(job.monitoring)) }
            dt { "In order" } dd { (if job.in_order { "yes" } else { "no" }) }
            dt { "Policy" } dd {
                @if job.authorized.is_empty() { "no client" }
                @for (index, line) in job.authorized.iter().enumerate() {
                    @if index > 0 { ", " }
                    (line.client) @if !line.enabled { " (off)" }
                }
            }
            dt { "Defined in" } dd { (format!("{:?}", job.source)) }
            dt { "State" } dd id="job-state" { (if enabled { "enabled" } else { "disabled" }) }
        }
        p {
            @if enabled {
                (action_button(&operator, "job-disable", &format!("{base}/disable"), "Disable", true))
                " "
                (action_button(&operator, "job-run", &format!("{base}/run"), "Run now", false))
            } @else {
                (action_button(&operator, "job-enable", &format!("{base}/enable"), "Enable", false))
            }
            " "
            a href=(format!("/console/messages?job={}", job.activity)) { "Its messages" }
        }
        h2 { "Last runs" }
        (message_table("job-runs", &runs, None))
    };
    Ok(framed(&job.name, &operator, Section::Jobs, done.as_ref(), content))
}

/// A table of messages; with `select`, a checkbox per row for the bulk form of that id.
fn message_table(id: &str, messages: &[Message], select: Option<&str>) -> Markup {
    html! {
        table id=(id) {
            thead { tr {
                @if select.is_some() { th scope="col" { span.muted { "Select" } } }
                th scope="col" { "Message" } th scope="col" { "Status" } th scope="col" { "Entity" }
                th scope="col" { "Company" } th scope="col" { "Enqueued" } th scope="col" { "Correlation id" }
                th scope="col" { "Error" }
            } }
            tbody {
                @for message in messages {
                    tr id=(format!("message-{}", message.message_id)) {
                        @if let Some(form) = select {
                            td {
                                input type="checkbox" name="id" value=(message.message_id) form=(form)
                                    id=(format!("select-{}", message.message_id))
                                    aria-label=(format!("Select message {}", message.message_id));
                            }
                        }
                        td { a href=(format!("/console/messages/{}", message.message_id)) { (message.message_id) } }
                        td { (message.status.as_str()) }
                        td { (message.entity_name.as_deref().unwrap_or("")) }
                        td { (message.company.as_deref().unwrap_or("")) }
                        td { (message.enqueue_date_time) }
                        td { (message.external_correlation_id.as_deref().unwrap_or("")) }
                        td { (message.error.as_deref().map(|error| truncated(error, 200)).unwrap_or_default()) }
                    }
                }
            }
        }
    }
}

/// `text` cut at `max` characters, marked when cut.
fn truncated(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The messages page's filter, as its form and address carry it.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct MessagesQuery {
    pub(crate) job: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) company: Option<String>,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) q: Option<String>,
    pub(crate) cursor: Option<String>,
    pub(crate) done: Option<i64>,
}

impl MessagesQuery {
    /// The value of `field`, trimmed, if any.
    fn value(field: &Option<String>) -> Option<&str> {
        field.as_deref().map(str::trim).filter(|value| !value.is_empty())
    }

    /// The queue's filter, checked, within the operator's companies: an operator granted some
    /// companies only names one of them (or has it named for them when they hold just one).
    pub(crate) fn filter(&self, operator: &Operator) -> Result<MessageFilter, String> {
        let activity = match Self::value(&self.job) {
            Some(job) => Some(parse_activity(job).ok_or("The job is not a job's activity id.")?),
            None => None,
        };
        let statuses = match Self::value(&self.status) {
            Some(status) => vec![MessageStatus::parse(status).ok_or("No message status is called that.")?],
            None => Vec::new(),
        };
        let time = |field: &Option<String>, what: &str| match Self::value(field) {
            Some(text) => {
                parse_time(text).map(Some).ok_or(format!("The {what} date is not a date (write 2026-12-07)."))
            }
            None => Ok(None),
        };
        let mut company = Self::value(&self.company).map(str::to_owned);
        if let crate::auth::Companies::Only(granted) = &operator.caller.companies {
            match (&company, granted.len()) {
                (None, 1) => company = granted.iter().next().cloned(),
                (None, _) => return Err("Choose one of your companies.".to_owned()),
                (Some(named), _) if !operator.caller.may_see(named) => {
                    return Err("That company is not one of yours.".to_owned());
                }
                _ => {}
            }
        }
        Ok(MessageFilter {
            activity,
            statuses,
            company,
            enqueued_from: time(&self.from, "from")?,
            enqueued_to: time(&self.to, "to")?,
            text: Self::value(&self.q).map(str::to_owned),
        })
    }

    /// The address of the page at `cursor` with the same filter.
    fn with_cursor(&self, cursor: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.fields() {
            query.append_pair(name, value);
        }
        query.append_pair("cursor", cursor);
        format!("/console/messages?{}", query.finish())
    }

    /// The filter's fields that are set.
    pub(crate) fn fields(&self) -> Vec<(&'static str, &str)> {
        [
            ("job", &self.job),
            ("status", &self.status),
            ("company", &self.company),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ]
        .into_iter()
        .filter_map(|(name, field)| Self::value(field).map(|value| (name, value)))
        .collect()
    }
}

/// `GET /console/messages`: filtered, searched, paged by cursor; each page can be acted on.
pub(crate) async fn messages(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Query(query): Query<MessagesQuery>,
) -> PageResult {
    let done = done_record(&state, &operator, query.done).await;
    let jobs = visible_jobs(&state, &operator);
    let (page, refusal) = match query.filter(&operator) {
        Err(refusal) => (None, Some(refusal)),
        Ok(filter) => match state.jobs.queue().search(&filter, MessagesQuery::value(&query.cursor), PAGE_SIZE).await {
            Ok(page) => (Some(page), None),
            Err(error) if error.chain().any(|cause| cause.is::<crate::jobs::BadCursor>()) => {
                (None, Some("The page address is out of date; start from the first page.".to_owned()))
            }
            Err(error) => return Err(error.into()),
        },
    };
    let messages: Vec<Message> = page
        .as_ref()
        .map(|page| {
            page.messages
                .iter()
                .filter(|message| operator.caller.may_see_scope(message.company.as_deref()))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let selected = |field: &Option<String>, value: &str| {
        MessagesQuery::value(field).is_some_and(|given| given.eq_ignore_ascii_case(value))
    };
    let content = html! {
        form.filters id="message-filters" method="get" action="/console/messages" role="search" {
            div {
                label for="job" { "Job" }
                select id="job" name="job" {
                    option value="" { "Any job" }
                    @for job in jobs.values() {
                        option value=(job.activity) selected[selected(&query.job, &job.activity.to_string())] { (job.name) }
                    }
                }
            }
            div {
                label for="status" { "Status" }
                select id="status" name="status" {
                    option value="" { "Any status" }
                    @for status in MessageStatus::ALL.map(MessageStatus::as_str) {
                        option value=(status) selected[selected(&query.status, status)] { (status) }
                    }
                }
            }
            div {
                label for="company" { "Company" }
                input id="company" name="company" type="text" size="8" value=(MessagesQuery::value(&query.company).unwrap_or(""));
            }
            div {
                label for="from" { "Enqueued from" }
                input id="from" name="from" type="date" value=(MessagesQuery::value(&query.from).unwrap_or(""));
            }
            div {
                label for="to" { "Enqueued before" }
                input id="to" name="to" type="date" value=(MessagesQuery::value(&query.to).unwrap_or(""));
            }
            div {
                label for="q" { "Message id, correlation id or text in the body" }
                input id="q" name="q" type="search" size="30" value=(MessagesQuery::value(&query.q).unwrap_or(""));
            }
            button id="filter-submit" type="submit" { "Filter" }
        }
        @if let Some(refusal) = &refusal {
            p.error id="filter-error" role="alert" { (refusal) }
        }
        @if let Some(page) = &page {
            p id="message-count" {
                @match (&page.total, &page.body_search) {
                    (Some(total), _) => { (total.count) @if total.capped { " or more" } " messages match." }
                    (None, Some(search)) => {
                        "Searched the bodies of " (search.scanned) " messages"
                        @if let Some(oldest) = &search.oldest_scanned { ", back to " (oldest) }
                        "."
                        @if search.stopped_by_budget { " The search stopped at its budget for one page: the next page searches on, or narrow the filter." }
                    }
                    (None, None) => {}
                }
            }
            form id="bulk" method="post" action="/console/messages/bulk" {
                (csrf_field(&operator))
                @for (name, value) in query.fields() {
                    input type="hidden" name=(format!("filter_{name}")) value=(value);
                }
                div {
                    label for="bulk-action" { "With the selected messages" }
                    " "
                    select id="bulk-action" name="action" {
                        option value="reprocess" { "Reprocess" }
                        option value="requeue" { "Re-queue" }
                        option value="delete" { "Delete" }
                    }
                    " "
                    input id="all-matching" name="all" type="checkbox" value="yes";
                    " "
                    label for="all-matching" { "All messages that match this filter, not only those selected" }
                    " "
                    button id="bulk-submit" type="submit" { "Apply" }
                }
            }
            (message_table("messages", &messages, Some("bulk")))
            @if let Some(next) = &page.next {
                p { a id="next-page" href=(query.with_cursor(next)) { "Next page" } }
            }
        }
    };
    Ok(framed("Messages", &operator, Section::Messages, done.as_ref(), content))
}

/// The message `id` names, if the operator may see it; else a 404 page.
async fn visible_message(state: &AppState, operator: &Operator, id: &str) -> Result<Message, Failure> {
    let not_found = || Failure::not_found("No message is at this address.");
    let id = Uuid::parse_str(id.trim_matches(|c| c == '{' || c == '}')).map_err(|_| not_found())?;
    let message = state.jobs.queue().message(id).await?;
    message.filter(|message| operator.caller.may_see_scope(message.company.as_deref())).ok_or_else(not_found)
}

/// `GET /console/messages/{id}`: the message, its timeline, its body's beginning, and what
/// can be done with it.
pub(crate) async fn message(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Path(id): Path<String>,
    Query(query): Query<Done>,
) -> PageResult {
    let done = done_record(&state, &operator, query.done).await;
    let message = visible_message(&state, &operator, &id).await?;
    let timeline = state.jobs.queue().timeline(message.message_id).await?.unwrap_or_default();
    let preview = body_preview(&state, message.message_id).await;
    let base = format!("/console/messages/{}", message.message_id);
    let content = html! {
        dl.facts id="message-facts" {
            dt { "Job" } dd { a href=(format!("/console/jobs/{}", message.activity_id)) { (message.activity_id) } }
            dt { "Status" } dd id="message-status" { (message.status.as_str()) }
            dt { "Direction" } dd { (format!("{:?}", message.direction)) }
            dt { "Entity" } dd { (message.entity_name.as_deref().unwrap_or("")) }
            dt { "Company" } dd { (message.company.as_deref().unwrap_or("")) }
            dt { "Correlation id" } dd { (message.external_correlation_id.as_deref().unwrap_or("")) }
            dt { "Enqueued" } dd { (message.enqueue_date_time) " by " (message.enqueue_user.as_deref().unwrap_or("—")) }
            dt { "Retries" } dd { (message.retry_count) }
            dt { "Size" } dd { (message.size) " bytes" }
            dt { "Execution" } dd {
                @if let Some(execution) = &message.execution_id {
                    a id="message-execution" href=(format!("/console/executions/{execution}")) { (execution) }
                }
            }
            dt { "Error" } dd id="message-error" { (message.error.as_deref().unwrap_or("")) }
        }
        p {
            (action_button(&operator, "message-reprocess", &format!("{base}/reprocess"), "Reprocess", false))
            " "
            (action_button(&operator, "message-requeue", &format!("{base}/requeue"), "Re-queue", false))
            " "
            (action_button(&operator, "message-delete", &format!("{base}/delete"), "Delete", true))
        }
        h2 { "Timeline" }
        ol id="timeline" {
            @for event in &timeline {
                li {
                    (event.at) " — " (format!("{:?}", event.kind))
                    @if let Some(actor) = &event.actor { " by " (actor) }
                    @if let Some(detail) = &event.detail { ": " (detail) }
                }
            }
        }
        h2 { "Body" }
        p { a id="body-download" href=(format!("{base}/body")) download { "Download the body" } }
        @match preview {
            Some((text, cut)) => {
                pre.body id="body-preview" { (text) }
                @if cut { p.muted { "The first " (PREVIEW_BYTES) " bytes; download the body for the rest." } }
            }
            None => { p.muted id="body-preview" { "The body cannot be read." } }
        }
    };
    Ok(framed(&format!("Message {}", message.message_id), &operator, Section::Messages, done.as_ref(), content))
}

/// The first [`PREVIEW_BYTES`] of a body as text (invalid UTF-8 replaced), and whether there
/// is more.
async fn body_preview(state: &AppState, id: Uuid) -> Option<(String, bool)> {
    let mut stream = state.jobs.queue().body(id).await.ok()?;
    let mut bytes = Vec::new();
    while bytes.len() <= PREVIEW_BYTES {
        match stream.next().await {
            Some(Ok(chunk)) => bytes.extend_from_slice(&chunk),
            Some(Err(_)) => return None,
            None => break,
        }
    }
    let cut = bytes.len() > PREVIEW_BYTES;
    bytes.truncate(PREVIEW_BYTES);
    Some((String::from_utf8_lossy(&bytes).into_owned(), cut))
}

/// `GET /console/messages/{id}/body`: the whole body, as a download.
pub(crate) async fn message_body(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Path(id): Path<String>,
) -> PageResult {
    let message = visible_message(&state, &operator, &id).await?;
    let stream = state.jobs.queue().body(message.message_id).await?;
    let disposition = format!("attachment; filename=\"message-{}.bin\"", message.message_id);
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream")),
        (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(anyhow::Error::from)?),
    ];
    Ok((headers, Body::from_stream(stream)).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct Paged {
    offset: Option<u64>,
    done: Option<i64>,
}

/// `GET /console/executions`.
pub(crate) async fn executions(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Query(query): Query<Paged>,
) -> PageResult {
    let done = done_record(&state, &operator, query.done).await;
    let offset = query.offset.unwrap_or(0);
    let store = state.jobs.deployment().pipeline.store.clone();
    let executions = blocking(move || {
        let ids = store.execution_ids(offset, u64::from(PAGE_SIZE))?;
        ids.iter().filter_map(|id| store.execution(id).transpose()).collect::<anyhow::Result<Vec<_>>>()
    })
    .await?;
    let full = executions.len() == PAGE_SIZE as usize;
    let content = html! {
        table id="executions" {
            thead { tr { th scope="col" { "Execution" } th scope="col" { "Project" } th scope="col" { "Operation" }
                th scope="col" { "Status" } th scope="col" { "Company" } th scope="col" { "Started" } th scope="col" { "Ended" } } }
            tbody {
                @for execution in executions.iter().filter(|execution| operator.caller.may_see_scope(execution.company.as_deref())) {
                    tr id=(format!("execution-{}", execution.id)) {
                        td { a href=(format!("/console/executions/{}", execution.id)) { (execution.id) } }
                        td { (execution.project) }
                        td { (format!("{:?}", execution.operation)) }
                        td { (format!("{:?}", execution.status)) }
                        td { (execution.company.as_deref().unwrap_or("")) }
                        td { (execution.started) }
                        td { (execution.completed.as_deref().unwrap_or("running")) }
                    }
                }
            }
        }
        @if full {
            p { a id="executions-next" href=(format!("/console/executions?offset={}", offset + u64::from(PAGE_SIZE))) { "Older executions" } }
        }
    };
    Ok(framed("Executions", &operator, Section::Executions, done.as_ref(), content))
}

/// `GET /console/executions/{id}`: per-entity counts and times, and the rejected rows.
pub(crate) async fn execution(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Path(id): Path<String>,
    Query(query): Query<Paged>,
) -> PageResult {
    let done = done_record(&state, &operator, query.done).await;
    let execution = crate::api::manage::find_execution(&state, &operator.caller, id)
        .await
        .map_err(|_| Failure::not_found("No execution is at this address."))?;
    let offset = query.offset.unwrap_or(0);
    let pipeline = state.jobs.deployment().pipeline.clone();
    let id = execution.id.clone();
    let (errors, total, sources) = blocking(move || {
        let errors = pipeline.store.execution_errors(&id, offset, u64::from(PAGE_SIZE))?;
        let sources = source_values(&pipeline, &id, &errors)?;
        Ok((errors, pipeline.store.execution_error_count(&id)?, sources))
    })
    .await?;
    let base = format!("/console/executions/{}", execution.id);
    let content = html! {
        dl.facts id="execution-facts" {
            dt { "Project" } dd { (execution.project) }
            dt { "Operation" } dd { (format!("{:?}", execution.operation)) }
            dt { "Status" } dd id="execution-status" { (format!("{:?}", execution.status)) }
            dt { "Company" } dd { (execution.company.as_deref().unwrap_or("")) }
            dt { "Started" } dd { (execution.started) }
            dt { "Ended" } dd { (execution.completed.as_deref().unwrap_or("running")) }
        }
        h2 { "Entities" }
        table id="entities" {
            thead { tr { th scope="col" { "Entity" } th scope="col" { "Company" } th.num scope="col" { "Read" }
                th.num scope="col" { "Rejected reading" } th.num scope="col" { "Written" } th.num scope="col" { "Rejected writing" }
                th.num scope="col" { "Inserted" } th.num scope="col" { "Updated" } th scope="col" { "Started" }
                th scope="col" { "Ended" } th scope="col" { "Error file" } } }
            tbody {
                @for entity in &execution.entities {
                    tr {
                        td { (entity.entity) }
                        td { (entity.company.as_deref().unwrap_or("")) }
                        td.num { (entity.staging_records) }
                        td.num { (entity.staging_error_count) }
                        td.num { (entity.target_records) }
                        td.num { (entity.target_error_count) }
                        td.num { (entity.inserted) }
                        td.num { (entity.updated) }
                        td { (entity.started.as_deref().unwrap_or("")) }
                        td { (entity.completed.as_deref().unwrap_or("")) }
                        td {
                            @if entity.staging_error_count + entity.target_error_count > 0 {
                                a id=(format!("error-file-{}", entity.entity)) href=(format!("{base}/errors/{}", entity.entity)) download {
                                    "Download"
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Rejected rows (" (total) ")" }
        table id="rejected-rows" {
            thead { tr { th scope="col" { "Entity" } th.num scope="col" { "Row" } th scope="col" { "Field" } th scope="col" { "Message" }
                th scope="col" { "Source values" } } }
            tbody {
                @for error in &errors {
                    tr {
                        td { (error.entity) }
                        td.num { (error.record) }
                        td { (error.field.as_deref().unwrap_or("")) }
                        td { (error.message) }
                        td.source { (sources.get(&(error.entity.clone(), error.record)).map(String::as_str).unwrap_or("")) }
                    }
                }
            }
        }
        @if offset + (errors.len() as u64) < total {
            p { a id="rejected-next" href=(format!("{base}?offset={}", offset + u64::from(PAGE_SIZE))) { "More rejected rows" } }
        }
    };
    Ok(framed(&format!("Execution {}", execution.id), &operator, Section::Executions, done.as_ref(), content))
}

/// The source values of the rejected rows in `errors`, by entity and row, as `column=value`
/// pairs, read from each entity's error file (which keeps them; the store keeps only where and
/// why). A file is read only until every row asked for is found.
fn source_values(
    pipeline: &crate::pipeline::Pipeline,
    execution_id: &str,
    errors: &[crate::store::RecordError],
) -> anyhow::Result<BTreeMap<(String, u64), String>> {
    let mut wanted: BTreeMap<&str, std::collections::BTreeSet<u64>> = BTreeMap::new();
    for error in errors {
        wanted.entry(error.entity.as_str()).or_default().insert(error.record);
    }
    let mut found = BTreeMap::new();
    for (label, mut records) in wanted {
        let Some(path) = pipeline.fetch_error_file(execution_id, label)? else { continue };
        let mut reader = csv::Reader::from_path(&path)?;
        // The error file's own columns come first: RecordId, Entity, Field, ErrorMessage.
        let columns: Vec<String> = reader.headers()?.iter().skip(4).map(str::to_owned).collect();
        for row in reader.records() {
            let row = row?;
            let Some(record) = row.get(0).and_then(|record| record.parse::<u64>().ok()) else { continue };
            if !records.remove(&record) {
                continue;
            }
            let values = (columns.iter().zip(row.iter().skip(4)))
                .filter(|(_, value)| !value.is_empty())
                .map(|(column, value)| format!("{column}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            found.insert((label.to_owned(), record), values);
            if records.is_empty() {
                break;
            }
        }
    }
    Ok(found)
}

/// `GET /console/executions/{id}/errors/{entity}`: the entity's error file (the rejected rows
/// with their source values), as a download.
pub(crate) async fn error_file(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Path((id, entity)): Path<(String, String)>,
) -> PageResult {
    let execution = crate::api::manage::find_execution(&state, &operator.caller, id)
        .await
        .map_err(|_| Failure::not_found("No execution is at this address."))?;
    let catalog = &state.jobs.deployment().pipeline.catalog;
    let Some(label) = catalog.get(&entity).map(|entity| entity.label.clone()) else {
        return Err(Failure::not_found("No entity is called that."));
    };
    let (jobs, execution_id) = (state.jobs.clone(), execution.id.clone());
    let path = blocking(move || jobs.deployment().pipeline.fetch_error_file(&execution_id, &label)).await?;
    let Some(path) = path else { return Err(Failure::not_found("The execution rejected no rows of that entity.")) };
    let file = tokio::fs::File::open(&path).await.map_err(anyhow::Error::from)?;
    let disposition = format!("attachment; filename=\"{}-{}-errors.csv\"", execution.id, entity.replace('"', ""));
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
        (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(anyhow::Error::from)?),
    ];
    Ok((headers, Body::from_stream(tokio_util::io::ReaderStream::new(file))).into_response())
}

/// `GET /console/plugins`: every plugin file, what serves, what failed, and the decisions
/// taken about versions (restores, canaries, quarantines).
pub(crate) async fn plugins(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Query(query): Query<Done>,
) -> PageResult {
    let done = done_record(&state, &operator, query.done).await;
    if !operator.caller.may_see_scope(None) {
        let content =
            html! { p.error { "Plugins serve every company: only a client granted every company sees them." } };
        return Ok(framed("Plugins", &operator, Section::Plugins, done.as_ref(), content));
    }
    let statuses = state.jobs.deployment().pipeline.registry.status();
    let releases = state.jobs.releases().clone();
    let history = blocking(move || releases.decisions().list_blocking(None, 50)).await?;
    let routes = serving_routes(&state);
    let content = html! {
        table id="plugins" {
            thead { tr { th scope="col" { "File" } th scope="col" { "Serving" } th scope="col" { "Entities and roles" }
                th scope="col" { "Since" } th scope="col" { "Previous" } th scope="col" { "Last refusal" } th scope="col" { "Restore" } } }
            tbody {
                @for status in &statuses {
                    @let stem = status.file.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
                    @let name = status.current.as_deref().or(status.previous.as_deref()).and_then(|id| id.split('@').next()).unwrap_or("");
                    tr id=(format!("plugin-{stem}")) {
                        td { (file_name(&status.file)) }
                        td { (status.current.as_deref().unwrap_or("nothing")) }
                        td { (routes.get(name).map(|routes| routes.join(", ")).unwrap_or_default()) }
                        td { (status.since.map(|since| views::time(system_millis(since))).unwrap_or_default()) }
                        td { (status.previous.as_deref().unwrap_or("")) }
                        td {
                            @if let Some(failure) = &status.last_refusal {
                                (views::time(system_millis(failure.at))) " "
                                (failure.version.as_deref().unwrap_or("")) ": "
                                (relative_reason(&status.file, &failure.reason))
                            }
                        }
                        td {
                            @if let Some(previous) = &status.previous {
                                (action_button(&operator, &format!("restore-{name}"), &format!("/console/plugins/{name}/restore"),
                                    &format!("Restore {previous}"), false))
                            }
                        }
                    }
                }
            }
        }
        h2 { "Calls by version" }
        p.muted { "Since this server loaded each version. The 99th percentile is the bound of its latency bucket; the same calls are in /metrics." }
        table id="plugin-calls" {
            thead { tr { th scope="col" { "Version" } th scope="col" { "Calls" } th scope="col" { "Mean" }
                th scope="col" { "p99 at most" } th scope="col" { "Traps" } th scope="col" { "Time limit" }
                th scope="col" { "Memory limit" } th scope="col" { "Output limit" } th scope="col" { "Busy" } } }
            tbody {
                @for (version, calls) in statuses.iter().flat_map(|status| [
                    status.current.as_deref().zip(status.calls.as_ref()),
                    status.previous.as_deref().zip(status.previous_calls.as_ref()),
                ]).flatten() {
                    tr id=(format!("calls-{version}")) {
                        td { (version) }
                        td { (calls.calls) }
                        td { (calls.mean_ms.map(|ms| format!("{ms:.2} ms")).unwrap_or_default()) }
                        td { (match (calls.mean_ms, calls.p99_at_most_ms) {
                            (None, _) => String::new(),
                            (Some(_), Some(ms)) => format!("{ms} ms"),
                            (Some(_), None) => format!("over {} s", crate::metrics::PLUGIN_CALL_BUCKETS[crate::metrics::PLUGIN_CALL_BUCKETS.len() - 1]),
                        }) }
                        td { (calls.traps) }
                        td { (calls.time_limit) }
                        td { (calls.memory_limit) }
                        td { (calls.output_limit) }
                        td { (calls.busy) }
                    }
                }
            }
        }
        h2 { "History" }
        table id="plugin-history" {
            thead { tr { th scope="col" { "When" } th scope="col" { "Plugin" } th scope="col" { "Decision" }
                th scope="col" { "Version" } th scope="col" { "Serving after" } th scope="col" { "Why" } } }
            tbody {
                @for decision in &history {
                    tr {
                        td { (decision.at) }
                        td { (decision.plugin) }
                        td { (decision.kind.as_str()) }
                        td { (decision.version.as_deref().unwrap_or("")) }
                        td { (decision.serving.as_deref().unwrap_or("")) }
                        td { (decision.reason) }
                    }
                }
            }
        }
    };
    Ok(framed("Plugins", &operator, Section::Plugins, done.as_ref(), content))
}

/// For each serving plugin's name, the `entity (role)` pairs it serves.
fn serving_routes(state: &AppState) -> BTreeMap<String, Vec<String>> {
    let mut routes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for plugin in state.jobs.deployment().pipeline.registry.serving() {
        let manifest = plugin.manifest();
        for entity in &manifest.entities {
            for role in &manifest.roles {
                routes.entry(manifest.name.clone()).or_default().push(format!("{entity} ({})", role.name()));
            }
        }
    }
    routes
}

fn system_millis(time: std::time::SystemTime) -> i64 {
    chrono::DateTime::<chrono::Utc>::from(time).timestamp_millis()
}

/// `GET /console/clients` (admins): the registrations, and a form to add one.
pub(crate) async fn clients(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Query(query): Query<Done>,
) -> PageResult {
    if !operator.is_admin() {
        return Err(Failure::forbidden("Only an admin manages clients."));
    }
    let done = done_record(&state, &operator, query.done).await;
    Ok(framed("Clients", &operator, Section::Clients, done.as_ref(), clients_content(&state, &operator, None)))
}

/// The clients page's content; `secret` is a secret just made, shown this once.
pub(crate) fn clients_content(state: &AppState, operator: &Operator, secret: Option<(&str, &str)>) -> Markup {
    html! {
        @if let Some((client, secret)) = secret {
            section aria-labelledby="secret-heading" {
                h2 id="secret-heading" { "The secret of " (client) }
                p { "Copy it now: it is shown this once, and the server keeps only its hash." }
                p.secret id="client-secret" { (secret) }
            }
        }
        table id="clients" {
            thead { tr { th scope="col" { "Client" } th scope="col" { "Name" } th scope="col" { "Roles" }
                th scope="col" { "Companies" } th scope="col" { "State" } th scope="col" { "Registered" } th scope="col" { "Actions" } } }
            tbody {
                @for client in state.auth.clients() {
                    @let roles: Vec<&str> = client.roles.iter().map(|role| role.as_str()).collect();
                    tr id=(format!("client-{}", client.id)) {
                        td { (client.id) }
                        td { (client.name) }
                        td { (roles.join(", ")) }
                        td { (serde_json::to_string(&client.companies).unwrap_or_default()) }
                        td { (if client.enabled { "enabled" } else { "disabled" }) }
                        td { (client.created) }
                        td {
                            @if client.enabled {
                                (action_button(operator, &format!("client-disable-{}", client.id), &format!("/console/clients/{}/disable", client.id), "Disable", true))
                            } @else {
                                (action_button(operator, &format!("client-enable-{}", client.id), &format!("/console/clients/{}/enable", client.id), "Enable", false))
                            }
                            " "
                            (action_button(operator, &format!("client-secret-{}", client.id), &format!("/console/clients/{}/secret", client.id), "New secret", false))
                        }
                    }
                }
            }
        }
        h2 { "Add a client" }
        form.stacked id="client-add" method="post" action="/console/clients" {
            (csrf_field(operator))
            div {
                label for="new-client-id" { "Client id (empty: a new GUID)" }
                input id="new-client-id" name="id" type="text" maxlength="64";
            }
            div {
                label for="new-client-name" { "Name" }
                input id="new-client-name" name="name" type="text" required;
            }
            div {
                label for="new-client-role" { "Role" }
                select id="new-client-role" name="role" {
                    option value="data-management" { "data-management" }
                    option value="operator" { "operator" }
                    option value="admin" { "admin" }
                }
            }
            div {
                label for="new-client-companies" { "Companies (comma-separated, or * for every company)" }
                input id="new-client-companies" name="companies" type="text" required;
            }
            button id="client-add-submit" type="submit" { "Add the client" }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct AuditPage {
    before: Option<i64>,
}

/// `GET /console/audit`: the audit log, newest first, paged.
pub(crate) async fn audit(
    State(state): State<AppState>,
    Extension(operator): Extension<Operator>,
    Query(query): Query<AuditPage>,
) -> PageResult {
    let console = state.console.clone();
    let records = blocking(move || console.store.audit_page(query.before, PAGE_SIZE)).await?;
    let older = (records.len() == PAGE_SIZE as usize).then(|| records.last().map(|record| record.seq)).flatten();
    let content = html! {
        (views::audit_table(&records))
        @if let Some(older) = older {
            p { a id="audit-older" href=(format!("/console/audit?before={older}")) { "Older records" } }
        }
    };
    Ok(framed("Audit log", &operator, Section::Audit, None, content))
}

impl Failure {
    /// A 404 page saying `reason`.
    pub(crate) fn not_found(reason: &str) -> Failure {
        let mut response = page_response(views::refusal("Not found", reason));
        *response.status_mut() = StatusCode::NOT_FOUND;
        Failure(Box::new(response))
    }

    /// A 403 page saying `reason`.
    pub(crate) fn forbidden(reason: &str) -> Failure {
        Failure(Box::new(super::session::forbidden(reason)))
    }
}
