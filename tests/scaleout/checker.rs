//! The scale-out test's history and its checker: every client call with its answer, the queue's
//! rows as the database holds them at the end, and the rules the queue must keep between the
//! two, as plain functions, each shown by a test of its own to catch the violation it names.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One client call and what came of it: a line of the history file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Call {
    /// The client thread that made it.
    pub(crate) client: usize,
    /// The replica it went to.
    pub(crate) replica: usize,
    /// What was asked.
    pub(crate) request: Request,
    /// Milliseconds since the run began when the request was sent, and when its answer (or
    /// the failure to get one) came back.
    pub(crate) sent: u64,
    pub(crate) answered: u64,
    /// The HTTP status; `None` when no answer came (connection refused or reset, timeout).
    pub(crate) status: Option<u16>,
    /// The answer's body, or the connection error.
    pub(crate) body: String,
}

/// The connector calls the load makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Request {
    /// `POST /api/connector/enqueue/{activity}` with `x-ms-dyn-externalidentifier`.
    Enqueue { activity: String, external_id: String, body: String },
    /// `GET /api/connector/jobstatus/{activity}?jobId={message}`.
    Status { activity: String, message: String },
    /// `GET /api/connector/dequeue/{activity}`.
    Dequeue { activity: String },
    /// `POST /api/connector/ack/{activity}` with a dequeue's correlation id and receipt.
    Ack { activity: String, message: String, receipt: String },
    /// `GET /manage/executions?limit={limit}&offset={offset}`: one page of the executions the
    /// replica ran, listed after the run.
    Executions { limit: usize, offset: usize },
}

/// One row of `queue_messages`, with its body reassembled from `queue_bodies`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredMessage {
    pub(crate) id: String,
    pub(crate) activity: String,
    /// `Import` or `Export`.
    pub(crate) operation: String,
    pub(crate) external_id: Option<String>,
    pub(crate) status: String,
    /// When its lease lapses, by the database's clock.
    pub(crate) visible_at: Option<i64>,
    pub(crate) execution: Option<String>,
    pub(crate) records: Option<i64>,
    /// The chunks in order, joined; `None` when it has none.
    pub(crate) body: Option<Vec<u8>>,
}

/// The database at the end of a run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stored {
    pub(crate) messages: Vec<StoredMessage>,
    /// The imports' target table, the entity store's `CustomerGroup` that every replica writes:
    /// (`CustomerGroupId`, `Description`) of each row.
    pub(crate) rows: Vec<(String, String)>,
    /// `wharf_now_ms()` when the rows were read: leases are judged by it.
    pub(crate) now: i64,
}

/// The rules, one per way the queue can break a promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Rule {
    /// An enqueue answered 200 whose message is not in the database.
    EnqueueLost,
    /// An enqueue answered 200 whose message holds other bytes, job or external id.
    BodyDiffers,
    /// Repeats of one (job, external id, body) answered 200 with different message ids.
    RepeatGotNewId,
    /// An import message reported with two different outcomes, or in flight again after one,
    /// or an import execution committed that is no message's outcome.
    TwoOutcomes,
    /// A replica committed an import execution that is no message's outcome: the import ran
    /// again elsewhere, after its lease lapsed or its outcome could not be recorded.
    ImportRanTwice,
    /// An import reported or stored with a record count its document does not have.
    RecordsDiffer,
    /// An ack succeeded with a receipt that a later dequeue had already replaced, or that no
    /// dequeue handed out.
    StaleAckSucceeded,
    /// A message was dequeued after an ack of it had succeeded.
    AckedDequeuedAgain,
    /// A message is neither finished nor able to be handed out again.
    Stuck,
    /// The target table lacks a row of a processed import, holds it with other values or
    /// twice, or holds a row no client sent.
    RowsDiffer,
}

/// A broken rule, with the calls or rows that show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    pub(crate) rule: Rule,
    pub(crate) detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:?}: {}", self.rule, self.detail)
    }
}

/// What the checker looked at, for a run's record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Enqueues answered 200, and of them repeats answered with an earlier message's id.
    pub(crate) enqueues: usize,
    pub(crate) repeats: usize,
    /// Enqueue bodies compared byte for byte with the database's chunks.
    pub(crate) bodies: usize,
    /// Job-status answers read, and of them those reporting a finished import.
    pub(crate) statuses: usize,
    pub(crate) outcomes: usize,
    /// Imports whose stored record count was compared with their document.
    pub(crate) imports: usize,
    /// Import executions the replicas list as committed, each matched to the one message whose
    /// outcome it is.
    pub(crate) executions: usize,
    /// Dequeues that handed out a message, acks answered 200, acks refused as stale (400).
    pub(crate) dequeues: usize,
    /// Dequeues of a message some client had been handed before (its lease had lapsed).
    pub(crate) redeliveries: usize,
    pub(crate) acks: usize,
    pub(crate) stale_acks: usize,
    /// Calls with no answer (a killed or frozen replica, the database restarting).
    pub(crate) unanswered: usize,
    /// Rows of `queue_messages` checked for a final or re-deliverable state.
    pub(crate) messages: usize,
    /// Rows of processed imports found in the target table as their documents have them.
    pub(crate) rows: usize,
}

impl fmt::Display for Counts {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{} enqueues ({} repeats, {} bodies compared), {} status answers ({} finished imports), \
             {} imports' record counts, {} committed import executions, {} dequeues ({} redeliveries), {} acks, {} stale acks refused, \
             {} calls unanswered, {} messages in a final or re-deliverable state, {} target rows as sent",
            self.enqueues,
            self.repeats,
            self.bodies,
            self.statuses,
            self.outcomes,
            self.imports,
            self.executions,
            self.dequeues,
            self.redeliveries,
            self.acks,
            self.stale_acks,
            self.unanswered,
            self.messages,
            self.rows
        )
    }
}

/// What the checker found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    pub(crate) counts: Counts,
    pub(crate) violations: Vec<Violation>,
}

impl Report {
    /// The rules broken, each once.
    pub(crate) fn rules(&self) -> BTreeSet<Rule> {
        self.violations.iter().map(|violation| violation.rule).collect()
    }

    fn violate(&mut self, rule: Rule, detail: String) {
        self.violations.push(Violation { rule, detail });
    }
}

/// The data rows of a CSV document with a header line: the records an import of it writes.
pub(crate) fn records_in(body: &[u8]) -> i64 {
    let lines = body.split(|byte| *byte == b'\n').filter(|line| !line.trim_ascii().is_empty()).count();
    lines.saturating_sub(1) as i64
}

/// Checks `history` against `stored`. Every rule is checked whatever the others found.
pub(crate) fn check(history: &[Call], stored: &Stored) -> Report {
    let mut report = Report::default();
    report.counts.unanswered = history.iter().filter(|call| call.status.is_none()).count();
    let rows: HashMap<&str, &StoredMessage> =
        stored.messages.iter().map(|message| (message.id.as_str(), message)).collect();
    check_enqueues(history, &rows, &mut report);
    check_outcomes(history, &rows, &mut report);
    check_executions(history, stored, &mut report);
    check_acks(history, &mut report);
    check_final_states(stored, &mut report);
    check_target_rows(history, stored, &mut report);
    report
}

/// The message id an enqueue's 200 answers with: a quoted GUID.
fn answered_id(call: &Call) -> &str {
    call.body.trim().trim_matches('"')
}

/// Every enqueue answered 200 is stored whole, and repeats share one message.
fn check_enqueues(history: &[Call], rows: &HashMap<&str, &StoredMessage>, report: &mut Report) {
    let mut ids: BTreeMap<(&str, &str, &str), BTreeSet<&str>> = BTreeMap::new();
    for call in history {
        let Request::Enqueue { activity, external_id, body } = &call.request else { continue };
        if call.status != Some(200) {
            continue;
        }
        report.counts.enqueues += 1;
        let id = answered_id(call);
        let same = ids.entry((activity.as_str(), external_id.as_str(), body.as_str())).or_default();
        if same.contains(id) {
            report.counts.repeats += 1;
        }
        same.insert(id);
        let Some(row) = rows.get(id) else {
            report.violate(Rule::EnqueueLost, format!("enqueue {external_id} was answered with {id}, which is gone"));
            continue;
        };
        if row.activity != *activity || row.external_id.as_deref() != Some(external_id.as_str()) {
            report.violate(
                Rule::BodyDiffers,
                format!(
                    "enqueue {external_id} to {activity} was answered with {id}, stored for job {} with external id {:?}",
                    row.activity, row.external_id
                ),
            );
        }
        match &row.body {
            Some(stored) if stored == body.as_bytes() => report.counts.bodies += 1,
            Some(stored) => report.violate(
                Rule::BodyDiffers,
                format!(
                    "message {id} of enqueue {external_id} holds {} bytes that differ from the {} sent",
                    stored.len(),
                    body.len()
                ),
            ),
            None => report.violate(Rule::BodyDiffers, format!("message {id} of enqueue {external_id} has no body")),
        }
    }
    for ((activity, external_id, _), same) in ids {
        if same.len() > 1 {
            report.violate(
                Rule::RepeatGotNewId,
                format!("one document enqueued to {activity} as {external_id} got messages {same:?}"),
            );
        }
    }
}

/// The `DataJobState`s of a finished import.
const FINISHED: [&str; 4] = ["Processed", "ProcessedWithErrors", "PreProcessError", "PostProcessError"];

/// What a job-status answer says of a message.
struct Observed<'a> {
    call: &'a Call,
    state: String,
    execution: String,
    /// The records its execution's entities report, when the replica answering has them.
    records: Option<i64>,
}

fn observed(call: &Call) -> Option<Observed<'_>> {
    let answer: Value = serde_json::from_str(&call.body).ok()?;
    let status = &answer["DataJobStatus"];
    let details = answer["ExecutionDetail"].as_array().filter(|details| !details.is_empty());
    Some(Observed {
        call,
        state: status["DataJobState"].as_str()?.to_owned(),
        execution: status["ExecutionIdentifier"].as_str().unwrap_or_default().to_owned(),
        records: details.map(|details| details.iter().filter_map(|entity| entity["TargetRecords"].as_i64()).sum()),
    })
}

/// The `DataJobState` an import's stored status answers with.
fn data_job_state(status: &str) -> &str {
    match status {
        "PreProcessingError" | "Poisoned" => "PreProcessError",
        "PostProcessingFailed" => "PostProcessError",
        "Preprocessing" | "Processing" => "InProcess",
        other => other,
    }
}

/// An import has one outcome: once reported finished, every answer and the stored row say the
/// same execution and state, with the records its document holds.
fn check_outcomes(history: &[Call], rows: &HashMap<&str, &StoredMessage>, report: &mut Report) {
    let mut by_message: BTreeMap<&str, Vec<Observed<'_>>> = BTreeMap::new();
    for call in history {
        let Request::Status { message, .. } = &call.request else { continue };
        if call.status != Some(200) {
            continue;
        }
        report.counts.statuses += 1;
        match observed(call) {
            Some(observed) => by_message.entry(message.as_str()).or_default().push(observed),
            None => {
                report.violate(Rule::TwoOutcomes, format!("the status of {message} is not a job status: {}", call.body))
            }
        }
    }
    for (message, observations) in &by_message {
        let row = rows.get(message);
        let expected = row.and_then(|row| row.body.as_deref()).map(records_in);
        let finished: Vec<&Observed<'_>> =
            observations.iter().filter(|observed| FINISHED.contains(&observed.state.as_str())).collect();
        report.counts.outcomes += finished.len();
        let outcomes: BTreeSet<(&str, &str)> =
            finished.iter().map(|observed| (observed.state.as_str(), observed.execution.as_str())).collect();
        if outcomes.len() > 1 {
            report.violate(Rule::TwoOutcomes, format!("import {message} was reported finished as {outcomes:?}"));
        }
        for done in &finished {
            let again = observations
                .iter()
                .find(|later| later.call.sent > done.call.answered && !FINISHED.contains(&later.state.as_str()));
            if let Some(again) = again {
                report.violate(
                    Rule::TwoOutcomes,
                    format!(
                        "import {message} was {} by execution {} at {} ms, then {} at {} ms",
                        done.state, done.execution, done.call.answered, again.state, again.call.sent
                    ),
                );
            }
            if let (Some(records), Some(expected)) = (done.records, expected)
                && done.state == "Processed"
                && records != expected
            {
                report.violate(
                    Rule::RecordsDiffer,
                    format!("import {message} was reported with {records} records; its document has {expected}"),
                );
            }
        }
        if let (Some(row), Some((state, execution))) = (row, outcomes.first()) {
            let stored_execution = row.execution.as_deref().unwrap_or_default();
            if data_job_state(&row.status) != *state || stored_execution != *execution {
                report.violate(
                    Rule::TwoOutcomes,
                    format!(
                        "import {message} was reported {state} by execution {execution:?}; the database says {} by {:?}",
                        row.status, stored_execution
                    ),
                );
            }
        }
    }
    for row in rows.values().filter(|row| row.operation == "Import" && row.status == "Processed") {
        let Some(body) = &row.body else { continue };
        report.counts.imports += 1;
        let expected = records_in(body);
        if row.records != Some(expected) {
            report.violate(
                Rule::RecordsDiffer,
                format!("import {} is stored with {:?} records; its document has {expected}", row.id, row.records),
            );
        }
    }
}

/// The import executions that committed, as the replicas list them: every one is the
/// recorded outcome of a message, and every finished message's execution is one of them. An
/// execution that committed under a lease its replica had lost, or a message processed again
/// after its first execution committed, leaves one over.
fn check_executions(history: &[Call], stored: &Stored, report: &mut Report) {
    // Each committed execution: the replica listing it, its records, when it ran.
    let mut committed: BTreeMap<String, (usize, i64, String)> = BTreeMap::new();
    let mut listed = false;
    for call in history {
        if !matches!(call.request, Request::Executions { .. }) || call.status != Some(200) {
            continue;
        }
        listed = true;
        let answer: Value = serde_json::from_str(&call.body).unwrap_or_default();
        let Some(executions) = answer["value"].as_array() else {
            report.violate(Rule::TwoOutcomes, format!("replica {} listed no executions: {}", call.replica, call.body));
            continue;
        };
        for execution in executions {
            let done = !execution["completed"].is_null()
                && ["Succeeded", "PartiallySucceeded"].contains(&execution["status"].as_str().unwrap_or_default());
            if execution["operation"] != "Import" || !done {
                continue;
            }
            let Some(id) = execution["id"].as_str() else { continue };
            let records = execution["entities"]
                .as_array()
                .map_or(0, |entities| entities.iter().filter_map(|entity| entity["target_records"].as_i64()).sum());
            let ran = format!("{} to {}", execution["started"].as_str().unwrap_or("?"), execution["completed"]);
            committed.insert(id.to_owned(), (call.replica, records, ran));
        }
    }
    if !listed {
        return;
    }
    let mut outcomes: BTreeMap<&str, &StoredMessage> = BTreeMap::new();
    for row in &stored.messages {
        if row.operation != "Import" || !["Processed", "ProcessedWithErrors"].contains(&row.status.as_str()) {
            continue;
        }
        let Some(execution) = &row.execution else {
            report.violate(Rule::TwoOutcomes, format!("import {} is {} by no execution", row.id, row.status));
            continue;
        };
        outcomes.insert(execution, row);
        match committed.get(execution) {
            Some((_, records, _)) if row.status == "Processed" && Some(*records) != row.records => report.violate(
                Rule::RecordsDiffer,
                format!(
                    "execution {execution} of import {} lists {records} records; {:?} are stored",
                    row.id, row.records
                ),
            ),
            Some(_) => {}
            None => report.violate(
                Rule::TwoOutcomes,
                format!(
                    "import {} is {} by execution {execution}, which no replica lists as committed",
                    row.id, row.status
                ),
            ),
        }
    }
    for (execution, (replica, _, ran)) in &committed {
        if outcomes.contains_key(execution.as_str()) {
            report.counts.executions += 1;
        } else {
            report.violate(
                Rule::ImportRanTwice,
                format!(
                    "replica {replica} committed import execution {execution} ({ran}), which is no message's outcome"
                ),
            );
        }
    }
}

/// A dequeue that handed out a message: which, and with what receipt.
struct Delivery<'a> {
    call: &'a Call,
    message: String,
    receipt: String,
}

fn delivery(call: &Call) -> Option<Delivery<'_>> {
    let answer: Value = serde_json::from_str(&call.body).ok()?;
    Some(Delivery {
        call,
        message: answer["CorrelationId"].as_str()?.to_owned(),
        receipt: answer["PopReceipt"].as_str()?.to_owned(),
    })
}

/// Acks succeed only with the newest receipt, and an acked message is not handed out again.
fn check_acks(history: &[Call], report: &mut Report) {
    let mut deliveries: HashMap<String, Vec<Delivery<'_>>> = HashMap::new();
    for call in history {
        if !matches!(call.request, Request::Dequeue { .. }) || call.status != Some(200) {
            continue;
        }
        report.counts.dequeues += 1;
        match delivery(call) {
            Some(delivery) => deliveries.entry(delivery.message.clone()).or_default().push(delivery),
            None => report
                .violate(Rule::StaleAckSucceeded, format!("a dequeue answered 200 without a message: {}", call.body)),
        }
    }
    report.counts.redeliveries = deliveries.values().map(|delivered| delivered.len() - 1).sum();
    let none = Vec::new();
    for call in history {
        let Request::Ack { message, receipt, .. } = &call.request else { continue };
        match call.status {
            Some(200) => report.counts.acks += 1,
            Some(400) => {
                report.counts.stale_acks += 1;
                continue;
            }
            _ => continue,
        }
        let delivered = deliveries.get(message).unwrap_or(&none);
        let Some(handed) = delivered.iter().find(|delivery| delivery.receipt == *receipt) else {
            report.violate(
                Rule::StaleAckSucceeded,
                format!("an ack of {message} succeeded with receipt {receipt}, which no dequeue handed out"),
            );
            continue;
        };
        // A receipt handed out after this one, by a dequeue answered before the ack was sent,
        // had replaced it: the ack must have been refused.
        let newer = delivered.iter().find(|later| {
            later.receipt != *receipt && later.call.sent > handed.call.answered && later.call.answered < call.sent
        });
        if let Some(newer) = newer {
            report.violate(
                Rule::StaleAckSucceeded,
                format!(
                    "an ack of {message} sent at {} ms succeeded with receipt {receipt} of {} ms, replaced by {} at {} ms",
                    call.sent, handed.call.answered, newer.receipt, newer.call.answered
                ),
            );
        }
        if let Some(again) = delivered.iter().find(|later| later.call.sent > call.answered) {
            report.violate(
                Rule::AckedDequeuedAgain,
                format!(
                    "{message} was acked at {} ms and dequeued again at {} ms with receipt {}",
                    call.answered, again.call.sent, again.receipt
                ),
            );
        }
    }
}

/// Every message is finished, or will be handed out (again) by some replica.
fn check_final_states(stored: &Stored, report: &mut Report) {
    for row in &stored.messages {
        let lease_lapses = row.visible_at.is_some();
        let lease_lapsed = row.visible_at.is_some_and(|visible_at| visible_at <= stored.now);
        let settled = match (row.operation.as_str(), row.status.as_str()) {
            (_, "Acked" | "Poisoned" | "ProcessedWithErrors" | "PreProcessingError" | "PostProcessingFailed") => true,
            ("Import", "Processed" | "Enqueued") => true,
            ("Import", "Preprocessing" | "Processing") => lease_lapsed,
            ("Export", "Processed") => true,
            ("Export", "Dequeued" | "Downloaded") => lease_lapses,
            _ => false,
        };
        if settled {
            report.counts.messages += 1;
        } else {
            report.violate(
                Rule::Stuck,
                format!(
                    "{} message {} is {} with a lease until {:?} (now {})",
                    row.operation, row.id, row.status, row.visible_at, stored.now
                ),
            );
        }
    }
}

/// The (key, description) rows of a CSV document with a header line.
fn document_rows(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .lines()
        .skip(1)
        .filter_map(|line| line.trim_end().split_once(','))
        .map(|(key, description)| (key.to_owned(), description.to_owned()))
        .collect()
}

/// The target table holds every row of every import the queue calls processed, as its
/// document has it, once; and no row that no client sent: no import lost, changed or doubled
/// rows, whichever replicas ran it and however often.
fn check_target_rows(history: &[Call], stored: &Stored, report: &mut Report) {
    let mut found: HashMap<&str, &str> = HashMap::new();
    for (key, description) in &stored.rows {
        if found.insert(key, description).is_some() {
            report.violate(Rule::RowsDiffer, format!("the target table holds row {key} twice"));
        }
    }
    for message in
        stored.messages.iter().filter(|message| message.operation == "Import" && message.status == "Processed")
    {
        for (key, description) in document_rows(message.body.as_deref().unwrap_or_default()) {
            match found.get(key.as_str()) {
                Some(held) if *held == description => report.counts.rows += 1,
                Some(held) => report.violate(
                    Rule::RowsDiffer,
                    format!("row {key} of import {} holds {held:?}, not {description:?}", message.id),
                ),
                None => {
                    report.violate(Rule::RowsDiffer, format!("row {key} of processed import {} is missing", message.id))
                }
            }
        }
    }
    let sent: BTreeSet<String> = history
        .iter()
        .filter_map(|call| match &call.request {
            Request::Enqueue { body, .. } => Some(document_rows(body.as_bytes())),
            _ => None,
        })
        .flatten()
        .map(|(key, _)| key)
        .collect();
    for key in found.keys().filter(|key| !sent.contains(**key)) {
        report.violate(Rule::RowsDiffer, format!("the target table holds row {key}, which no client sent"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMPORTS: &str = "6d31e09f-0249-459f-94f0-aad9c2c47b64";
    const EXPORTS: &str = "5acd8121-d4e1-4cf8-b31f-9713de3e3627";
    const FIRST: &str = "11111111-1111-4111-8111-111111111111";
    const SECOND: &str = "22222222-2222-4222-8222-222222222222";
    const EXPORT: &str = "33333333-3333-4333-8333-333333333333";
    const DOCUMENT: &str = "CustomerGroupId,Description\r\nS1,one\r\nS2,two\r\n";

    /// A call of `request` by client 0 to replica 0, sent at `sent` ms and answered 5 ms later.
    fn call(sent: u64, request: Request, status: Option<u16>, body: &str) -> Call {
        Call { client: 0, replica: 0, request, sent, answered: sent + 5, status, body: body.to_owned() }
    }

    fn enqueue(sent: u64, external_id: &str, body: &str, answer: &str) -> Call {
        let request = Request::Enqueue { activity: IMPORTS.into(), external_id: external_id.into(), body: body.into() };
        call(sent, request, Some(200), &format!("\"{answer}\""))
    }

    fn status(sent: u64, message: &str, state: &str, execution: &str, records: Option<i64>) -> Call {
        let details: Vec<Value> = records
            .into_iter()
            .map(|records| serde_json::json!({ "EntityName": "Customer groups", "TargetRecords": records }))
            .collect();
        let answer = serde_json::json!({
            "DataJobStatus": { "DataJobState": state, "ExecutionIdentifier": execution },
            "ExecutionDetail": details,
        });
        let request = Request::Status { activity: IMPORTS.into(), message: message.into() };
        call(sent, request, Some(200), &answer.to_string())
    }

    fn dequeue(sent: u64, message: &str, receipt: &str) -> Call {
        let answer = serde_json::json!({ "CorrelationId": message, "PopReceipt": receipt });
        call(sent, Request::Dequeue { activity: EXPORTS.into() }, Some(200), &answer.to_string())
    }

    fn ack(sent: u64, message: &str, receipt: &str, status: u16) -> Call {
        let request = Request::Ack { activity: EXPORTS.into(), message: message.into(), receipt: receipt.into() };
        call(sent, request, Some(status), "")
    }

    /// A replica's list of executions: `(id, operation, status, records)`, all completed.
    fn executions(sent: u64, replica: usize, executions: &[(&str, &str, &str, i64)]) -> Call {
        let value: Vec<Value> = executions
            .iter()
            .map(|(id, operation, status, records)| {
                serde_json::json!({
                    "id": id, "project": "Customer groups", "operation": operation, "status": status,
                    "completed": "2026-01-01T00:00:00Z", "entities": [{ "target_records": records }],
                })
            })
            .collect();
        let request = Request::Executions { limit: 1000, offset: 0 };
        Call { replica, ..call(sent, request, Some(200), &serde_json::json!({ "value": value }).to_string()) }
    }

    fn import_row(id: &str, external_id: &str, body: &str, status: &str, execution: Option<&str>) -> StoredMessage {
        StoredMessage {
            id: id.into(),
            activity: IMPORTS.into(),
            operation: "Import".into(),
            external_id: Some(external_id.into()),
            status: status.into(),
            visible_at: None,
            execution: execution.map(str::to_owned),
            records: execution.map(|_| records_in(body.as_bytes())),
            body: Some(body.as_bytes().to_vec()),
        }
    }

    fn export_row(id: &str, status: &str, visible_at: Option<i64>) -> StoredMessage {
        StoredMessage {
            id: id.into(),
            activity: EXPORTS.into(),
            operation: "Export".into(),
            external_id: None,
            status: status.into(),
            visible_at,
            execution: Some("export-1".into()),
            records: Some(0),
            body: Some(b"CustomerAccount\r\n".to_vec()),
        }
    }

    /// A run that keeps every rule, touching each: an enqueue and its repeat, an import polled
    /// in flight and then finished, a failed enqueue, an export delivered twice (the first
    /// receipt refused after the second delivery) and acked with the newest receipt.
    fn good_run() -> (Vec<Call>, Stored) {
        let unanswered = Request::Enqueue { activity: IMPORTS.into(), external_id: "b".into(), body: "x".into() };
        let history = vec![
            enqueue(0, "a", DOCUMENT, FIRST),
            call(10, unanswered, None, "connection refused"),
            enqueue(20, "a", DOCUMENT, FIRST),
            status(30, FIRST, "InProcess", "", None),
            status(40, FIRST, "Processed", "exec-1", Some(2)),
            status(50, FIRST, "Processed", "exec-1", None),
            dequeue(60, EXPORT, "r1"),
            dequeue(2000, EXPORT, "r2"),
            ack(2010, EXPORT, "r1", 400),
            ack(2020, EXPORT, "r2", 200),
            ack(2030, EXPORT, "r2", 200),
            call(2040, Request::Dequeue { activity: EXPORTS.into() }, Some(204), ""),
            executions(6000, 0, &[("exec-1", "Import", "Succeeded", 2), ("export-1", "Export", "Succeeded", 0)]),
            // An attempt killed before it finished, or one whose every record failed, committed nothing.
            executions(6010, 1, &[("exec-0", "Import", "Failed", 0)]),
        ];
        let stored = Stored {
            messages: vec![
                import_row(FIRST, "a", DOCUMENT, "Processed", Some("exec-1")),
                export_row(EXPORT, "Acked", Some(3000)),
                export_row(SECOND, "Dequeued", Some(9000)),
            ],
            rows: vec![("S1".into(), "one".into()), ("S2".into(), "two".into())],
            now: 5000,
        };
        (history, stored)
    }

    #[test]
    fn a_run_that_keeps_every_rule_passes_and_is_counted() {
        let (history, stored) = good_run();
        let report = check(&history, &stored);
        assert_eq!(report.violations, [], "a good run");
        let expected = Counts {
            enqueues: 2,
            repeats: 1,
            bodies: 2,
            statuses: 3,
            outcomes: 2,
            imports: 1,
            executions: 1,
            dequeues: 2,
            redeliveries: 1,
            acks: 2,
            stale_acks: 1,
            unanswered: 1,
            messages: 3,
            rows: 2,
        };
        assert_eq!(report.counts, expected);
    }

    #[test]
    fn target_rows_lost_changed_doubled_or_never_sent_are_caught() {
        for (change, what) in [
            (0, "a row of a processed import is missing"),
            (1, "a row holds another description"),
            (2, "a row is held twice"),
            (3, "a row no client sent"),
        ] {
            let (history, mut stored) = good_run();
            match change {
                0 => drop(stored.rows.remove(0)),
                1 => stored.rows[0].1 = "uno".into(),
                2 => stored.rows.push(("S1".into(), "one".into())),
                _ => stored.rows.push(("S9".into(), "nine".into())),
            }
            assert_eq!(check(&history, &stored).rules(), [Rule::RowsDiffer].into(), "{what}");
        }
    }

    #[test]
    fn an_answered_enqueue_missing_from_the_database_is_lost() {
        let (mut history, mut stored) = good_run();
        stored.messages.retain(|message| message.id != FIRST);
        // Its execution would be no message's outcome either: not what this test is about.
        history.retain(|call| !matches!(call.request, Request::Executions { .. }));
        assert_eq!(check(&history, &stored).rules(), [Rule::EnqueueLost].into());
    }

    #[test]
    fn a_stored_body_with_one_byte_changed_differs() {
        let (history, mut stored) = good_run();
        stored.messages[0].body = Some(DOCUMENT.replace("two", "twO").into_bytes());
        // The import read the stored body, so its target row is "twO" too.
        stored.rows[1].1 = "twO".into();
        assert_eq!(check(&history, &stored).rules(), [Rule::BodyDiffers].into());
    }

    #[test]
    fn a_truncated_body_or_another_external_id_differs() {
        let (history, mut stored) = good_run();
        stored.messages[0].body = Some(DOCUMENT.as_bytes()[..DOCUMENT.len() - 1].to_vec());
        assert!(check(&history, &stored).rules().contains(&Rule::BodyDiffers));
        let (history, mut stored) = good_run();
        stored.messages[0].external_id = Some("b".into());
        assert_eq!(check(&history, &stored).rules(), [Rule::BodyDiffers].into());
    }

    #[test]
    fn a_repeated_enqueue_answered_with_a_new_id_is_caught() {
        let (mut history, mut stored) = good_run();
        history.push(enqueue(70, "a", DOCUMENT, SECOND));
        stored.messages.push(import_row(SECOND, "a", DOCUMENT, "Enqueued", None));
        assert_eq!(check(&history, &stored).rules(), [Rule::RepeatGotNewId].into());
    }

    #[test]
    fn the_same_external_id_with_another_body_may_get_a_new_id() {
        let (mut history, mut stored) = good_run();
        let changed = DOCUMENT.replace("one", "uno");
        history.push(enqueue(70, "a", &changed, SECOND));
        stored.messages.push(import_row(SECOND, "a", &changed, "Enqueued", None));
        assert_eq!(check(&history, &stored).violations, []);
    }

    #[test]
    fn an_import_reported_finished_by_two_executions_has_two_outcomes() {
        let (mut history, stored) = good_run();
        history.push(status(80, FIRST, "Processed", "exec-2", Some(2)));
        assert_eq!(check(&history, &stored).rules(), [Rule::TwoOutcomes].into());
    }

    #[test]
    fn an_import_in_flight_again_after_it_finished_has_two_outcomes() {
        let (mut history, stored) = good_run();
        history.push(status(80, FIRST, "InProcess", "exec-1", None));
        assert_eq!(check(&history, &stored).rules(), [Rule::TwoOutcomes].into());
    }

    #[test]
    fn an_in_flight_answer_overlapping_the_finished_one_is_no_second_outcome() {
        let (mut history, stored) = good_run();
        // Sent before the finished answer came back: it may have been read first.
        history.push(status(42, FIRST, "InProcess", "", None));
        assert_eq!(check(&history, &stored).violations, []);
    }

    #[test]
    fn a_database_disagreeing_with_the_reported_execution_has_two_outcomes() {
        let (history, mut stored) = good_run();
        stored.messages[0].execution = Some("exec-2".into());
        // And the execution that did commit is no message's outcome.
        assert_eq!(check(&history, &stored).rules(), [Rule::TwoOutcomes, Rule::ImportRanTwice].into());
    }

    #[test]
    fn records_reported_or_stored_unlike_the_document_are_caught() {
        let (mut history, stored) = good_run();
        history.push(status(80, FIRST, "Processed", "exec-1", Some(4)));
        assert_eq!(check(&history, &stored).rules(), [Rule::RecordsDiffer].into());
        let (history, mut stored) = good_run();
        stored.messages[0].records = Some(4);
        assert_eq!(check(&history, &stored).rules(), [Rule::RecordsDiffer].into());
    }

    #[test]
    fn a_second_committed_execution_of_a_finished_import_is_caught() {
        let (mut history, stored) = good_run();
        history.push(executions(6020, 2, &[("exec-2", "Import", "Succeeded", 2)]));
        assert_eq!(check(&history, &stored).rules(), [Rule::ImportRanTwice].into());
    }

    #[test]
    fn a_finished_import_whose_execution_no_replica_committed_is_caught() {
        let (mut history, stored) = good_run();
        history.retain(|call| !matches!(call.request, Request::Executions { .. }) || call.replica != 0);
        assert_eq!(check(&history, &stored).rules(), [Rule::TwoOutcomes].into());
    }

    #[test]
    fn an_execution_listing_other_records_than_stored_is_caught() {
        let (mut history, stored) = good_run();
        history.push(executions(6020, 0, &[("exec-1", "Import", "Succeeded", 3)]));
        assert_eq!(check(&history, &stored).rules(), [Rule::RecordsDiffer].into());
    }

    #[test]
    fn an_ack_with_a_receipt_replaced_before_it_was_sent_must_not_succeed() {
        let (mut history, stored) = good_run();
        history[8] = ack(2010, EXPORT, "r1", 200);
        assert_eq!(check(&history, &stored).rules(), [Rule::StaleAckSucceeded].into());
    }

    #[test]
    fn an_ack_racing_the_dequeue_that_replaces_its_receipt_may_succeed() {
        let (mut history, stored) = good_run();
        // Sent while the second dequeue was under way: either may have come first.
        history[8] = ack(2002, EXPORT, "r1", 200);
        history.truncate(9);
        assert_eq!(check(&history, &stored).violations, []);
    }

    #[test]
    fn an_ack_with_a_receipt_no_dequeue_handed_out_must_not_succeed() {
        let (mut history, stored) = good_run();
        history.push(ack(2050, EXPORT, "forged", 200));
        assert_eq!(check(&history, &stored).rules(), [Rule::StaleAckSucceeded].into());
    }

    #[test]
    fn a_message_dequeued_after_its_ack_succeeded_is_caught() {
        let (mut history, stored) = good_run();
        history.push(dequeue(4000, EXPORT, "r3"));
        assert_eq!(check(&history, &stored).rules(), [Rule::AckedDequeuedAgain].into());
    }

    #[test]
    fn a_message_processing_under_a_lease_that_never_lapses_is_stuck() {
        let (history, mut stored) = good_run();
        stored.messages.push(StoredMessage {
            status: "Processing".into(),
            visible_at: None,
            ..import_row(SECOND, "c", DOCUMENT, "Processing", None)
        });
        assert_eq!(check(&history, &stored).rules(), [Rule::Stuck].into());
        let (history, mut stored) = good_run();
        stored.messages.push(StoredMessage {
            visible_at: Some(stored.now + 60_000),
            ..import_row(SECOND, "c", DOCUMENT, "Processing", None)
        });
        assert_eq!(check(&history, &stored).rules(), [Rule::Stuck].into());
    }

    #[test]
    fn a_lapsed_processing_lease_or_an_unknown_status_is_judged_by_the_rules() {
        let (history, mut stored) = good_run();
        stored.messages.push(StoredMessage {
            visible_at: Some(stored.now - 1),
            ..import_row(SECOND, "c", DOCUMENT, "Processing", None)
        });
        assert_eq!(check(&history, &stored).violations, [], "a lapsed lease is re-deliverable");
        stored.messages.push(export_row("44444444-4444-4444-8444-444444444444", "Lost", None));
        assert_eq!(check(&history, &stored).rules(), [Rule::Stuck].into());
    }

    #[test]
    fn the_history_file_reads_back_what_was_written() {
        let (history, _) = good_run();
        let lines: Vec<String> = history.iter().map(|call| serde_json::to_string(call).expect("JSON")).collect();
        assert!(lines[0].contains("\"op\":\"enqueue\""), "{}", lines[0]);
        let read: Vec<Call> = lines.iter().map(|line| serde_json::from_str(line).expect("a call")).collect();
        assert_eq!(read, history);
    }
}
