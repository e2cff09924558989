//! Message search for operators: a filter, keyset pages newest first with an opaque cursor,
//! and a body search bounded per page, the same on both backends. The backends run the SQL
//! this module writes; this module decides which index walk a filter takes and merges them.
//!
//! Order: newest first by enqueue time, then by insertion order (`seq`). Every walk reads one
//! index from the cursor down (see the migrations `V3__console_queue.sql` and
//! `V6__console_queue.sql`), so a page deep in a million messages costs what the first does.
//! A filter on several statuses (or on a job and no status) walks one index range per status
//! and merges them, since neither SQLite nor PostgreSQL merges index ranges in order itself.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Message, MessageStatus};

/// The default number of messages in a page.
pub const PAGE_LIMIT_DEFAULT: u32 = 50;
/// The most messages a page holds.
pub const PAGE_LIMIT_MAX: u32 = 1000;
/// Counts stop here: past it a total says "at least".
pub const COUNT_CAP: u64 = 10_000;
/// A body search reads at most this many bodies per page, so that a search through a large
/// queue answers in bounded time and leaves the database to everyone else.
pub const BODY_SEARCH_BODIES: u64 = 1_000;
/// …and stops after this long.
pub const BODY_SEARCH_TIME: std::time::Duration = std::time::Duration::from_secs(2);
/// Only this much of each body is searched: the start of a 512 MiB file, not all of it.
pub const BODY_SEARCH_PREFIX: usize = 1024 * 1024;
/// Rows read per walk step of a body search.
pub(super) const BODY_SEARCH_BATCH: u32 = 100;

/// Which messages an operator looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MessageFilter {
    /// Only this job's.
    pub activity: Option<Uuid>,
    /// Only in one of these statuses; empty: any.
    pub statuses: Vec<MessageStatus>,
    /// Only of this company (any case).
    pub company: Option<String>,
    /// Enqueued at or after this time, in milliseconds since the epoch.
    pub enqueued_from: Option<i64>,
    /// Enqueued before this time, in milliseconds since the epoch.
    pub enqueued_to: Option<i64>,
    /// A message id, an external correlation id, or text inside the body.
    pub text: Option<String>,
}

/// One page of a search.
#[derive(Debug, Clone, Serialize)]
pub struct MessagePage {
    /// The messages, newest first.
    #[serde(rename = "value")]
    pub messages: Vec<Message>,
    /// The cursor for the next page; `None` when there is none.
    pub next: Option<String>,
    /// How many messages match, when counting is cheap (not when bodies are searched).
    pub total: Option<Total>,
    /// What the filter's text matched.
    pub matched_by: Option<TextMatch>,
    /// How far the body search went, when bodies were searched.
    pub body_search: Option<BodySearch>,
}

/// A count of matches, capped at [`COUNT_CAP`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Total {
    /// The matches counted.
    pub count: u64,
    /// Whether counting stopped at the cap: there are at least `count`.
    pub capped: bool,
}

/// What a search's text matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TextMatch {
    /// A message's id.
    MessageId,
    /// The external correlation id of one or more messages.
    CorrelationId,
    /// Neither: the text was looked for inside bodies.
    Body,
}

/// How far a body search went for one page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BodySearch {
    /// Bodies read.
    pub scanned: u64,
    /// Bytes of them read.
    pub scanned_bytes: u64,
    /// The enqueue time of the oldest message whose body was read.
    pub oldest_scanned: Option<String>,
    /// Whether the budget ([`BODY_SEARCH_BODIES`], [`BODY_SEARCH_TIME`]) ended the page before
    /// it was full: older messages are not searched yet, and `next` goes on with them.
    pub stopped_by_budget: bool,
}

/// A cursor that is not one this server handed out.
#[derive(Debug, thiserror::Error)]
#[error("the cursor is not one this server handed out")]
pub struct BadCursor;

/// A position in the order: the last message a page showed or searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Position {
    pub(super) enqueued: i64,
    pub(super) seq: i64,
}

impl Position {
    /// The cursor's text: opaque to clients, so the order may change without breaking them.
    pub(super) fn encode(self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}:{}", self.enqueued, self.seq))
    }

    pub(super) fn decode(cursor: &str) -> Result<Position, BadCursor> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| BadCursor)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| BadCursor)?;
        let (enqueued, seq) = text.split_once(':').ok_or(BadCursor)?;
        Ok(Position { enqueued: enqueued.parse().map_err(|_| BadCursor)?, seq: seq.parse().map_err(|_| BadCursor)? })
    }
}

/// A time an operator typed: RFC 3339, or a date (midnight UTC); in milliseconds since the epoch.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(time.timestamp_millis());
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// A parameter of the SQL this module writes.
#[derive(Debug, Clone)]
pub(super) enum Param {
    Text(String),
    Int(i64),
    Uuid(Uuid),
}

/// The two placeholder styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Sqlite,
    Postgres,
}

/// A `WHERE` clause under construction, with its parameters.
#[derive(Debug, Clone)]
pub(super) struct Where {
    dialect: Dialect,
    clauses: Vec<String>,
    pub(super) params: Vec<Param>,
}

impl Where {
    pub(super) fn new(dialect: Dialect) -> Where {
        Where { dialect, clauses: Vec::new(), params: Vec::new() }
    }

    /// The placeholder for `param`, which is added.
    pub(super) fn bind(&mut self, param: Param) -> String {
        let placeholder = match (self.dialect, &param) {
            (Dialect::Sqlite, _) => format!("?{}", self.params.len() + 1),
            (Dialect::Postgres, Param::Text(_)) => format!("${}::text", self.params.len() + 1),
            (Dialect::Postgres, Param::Int(_)) => format!("${}::bigint", self.params.len() + 1),
            (Dialect::Postgres, Param::Uuid(_)) => format!("${}::uuid", self.params.len() + 1),
        };
        self.params.push(param);
        placeholder
    }

    pub(super) fn and(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    /// The clause's text, `TRUE` when empty.
    pub(super) fn sql(&self) -> String {
        match self.clauses.is_empty() {
            true => "1 = 1".to_owned(),
            false => self.clauses.join(" AND "),
        }
    }

    pub(super) fn uuid(&self, id: Uuid) -> Param {
        match self.dialect {
            Dialect::Sqlite => Param::Text(id.to_string()),
            Dialect::Postgres => Param::Uuid(id),
        }
    }
}

/// How a search narrows by its text, once looked up.
#[derive(Debug, Clone)]
pub(super) enum Narrowing {
    None,
    Id(Uuid),
    Correlation(String),
    Body(String),
}

/// One index walk: the filter's conditions (one status at most) from `after` down, `limit`
/// rows, newest first.
pub(super) fn walk(
    dialect: Dialect,
    columns: &str,
    filter: &MessageFilter,
    status: Option<MessageStatus>,
    narrowing: &Narrowing,
    after: Option<Position>,
    limit: u32,
) -> (String, Vec<Param>) {
    let mut clause = conditions(dialect, filter, narrowing);
    if let Some(status) = status {
        let status = clause.bind(Param::Text(status.as_str().to_owned()));
        clause.and(format!("status = {status}"));
    }
    if let Some(after) = after {
        // The first term is the index range; the second settles ties on the enqueue time.
        let enqueued = clause.bind(Param::Int(after.enqueued));
        let seq = clause.bind(Param::Int(after.seq));
        clause.and(format!("enqueued_at <= {enqueued} AND (enqueued_at < {enqueued} OR seq < {seq})"));
    }
    let limit = clause.bind(Param::Int(i64::from(limit)));
    let sql = format!(
        "SELECT {columns} FROM queue_messages WHERE {} ORDER BY enqueued_at DESC, seq DESC LIMIT {limit}",
        clause.sql()
    );
    (sql, clause.params)
}

/// A count of the filter's matches, stopping at [`COUNT_CAP`] + 1.
pub(super) fn count(dialect: Dialect, filter: &MessageFilter, narrowing: &Narrowing) -> (String, Vec<Param>) {
    let mut clause = conditions(dialect, filter, narrowing);
    if !filter.statuses.is_empty() {
        let statuses: Vec<String> =
            filter.statuses.iter().map(|status| clause.bind(Param::Text(status.as_str().to_owned()))).collect();
        clause.and(format!("status IN ({})", statuses.join(", ")));
    }
    let cap = clause.bind(Param::Int(COUNT_CAP as i64 + 1));
    let sql =
        format!("SELECT count(*) FROM (SELECT 1 FROM queue_messages WHERE {} LIMIT {cap}) AS matches", clause.sql());
    (sql, clause.params)
}

/// The conditions of `filter` other than its statuses and position.
fn conditions(dialect: Dialect, filter: &MessageFilter, narrowing: &Narrowing) -> Where {
    let mut clause = Where::new(dialect);
    if let Some(activity) = filter.activity {
        let activity = clause.bind(clause.uuid(activity));
        clause.and(format!("activity = {activity}"));
    }
    if let Some(company) = &filter.company {
        let company = clause.bind(Param::Text(company.to_lowercase()));
        clause.and(format!("lower(company) = {company}"));
    }
    if let Some(from) = filter.enqueued_from {
        let from = clause.bind(Param::Int(from));
        clause.and(format!("enqueued_at >= {from}"));
    }
    if let Some(to) = filter.enqueued_to {
        let to = clause.bind(Param::Int(to));
        clause.and(format!("enqueued_at < {to}"));
    }
    match narrowing {
        Narrowing::None | Narrowing::Body(_) => {}
        Narrowing::Id(id) => {
            let id = clause.bind(clause.uuid(*id));
            clause.and(format!("id = {id}"));
        }
        Narrowing::Correlation(text) => {
            let text = clause.bind(Param::Text(text.clone()));
            clause.and(format!("external_id = {text}"));
        }
    }
    clause
}

/// The status ranges a filter's walk takes: one per status, or (with neither statuses nor a
/// job) a single walk of the enqueue-time index. A job without statuses walks every status,
/// since its index starts with the job and the status.
pub(super) fn status_walks(filter: &MessageFilter, narrowing: &Narrowing) -> Vec<Option<MessageStatus>> {
    let narrowed = matches!(narrowing, Narrowing::Id(_) | Narrowing::Correlation(_));
    match (&filter.statuses[..], filter.activity) {
        // An id or a correlation id finds a few rows by its own index; the statuses are then
        // only a condition on them.
        (statuses, _) if narrowed && !statuses.is_empty() => statuses.iter().map(|status| Some(*status)).collect(),
        _ if narrowed => vec![None],
        ([], None) => vec![None],
        ([], Some(_)) => MessageStatus::ALL.iter().map(|status| Some(*status)).collect(),
        (statuses, _) => {
            let mut statuses = statuses.to_vec();
            statuses.sort_by_key(|status| status.as_str());
            statuses.dedup();
            statuses.into_iter().map(Some).collect()
        }
    }
}

/// The newest `limit` of several walks' rows, each already newest first.
pub(super) fn merge(walks: Vec<Vec<(Message, Position)>>, limit: usize) -> Vec<(Message, Position)> {
    let mut rows: Vec<(Message, Position)> = walks.into_iter().flatten().collect();
    rows.sort_by_key(|(_, position)| std::cmp::Reverse((position.enqueued, position.seq)));
    rows.truncate(limit);
    rows
}

/// Whether `body` holds `needle` (already lowercase), ignoring ASCII case; `buffer` is reused
/// between bodies.
pub(super) fn body_contains(body: &[u8], needle: &[u8], buffer: &mut Vec<u8>) -> bool {
    buffer.clear();
    buffer.extend(body.iter().map(u8::to_ascii_lowercase));
    memchr::memmem::find(buffer, needle).is_some()
}

/// The statuses an action can apply to, for narrowing an "all that match" filter to them.
pub(super) fn eligible(filter: &MessageFilter, statuses: &[MessageStatus]) -> Option<MessageFilter> {
    let mut filter = filter.clone();
    filter.statuses = match filter.statuses.is_empty() {
        true => statuses.to_vec(),
        false => filter.statuses.iter().copied().filter(|status| statuses.contains(status)).collect(),
    };
    (!filter.statuses.is_empty()).then_some(filter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_the_position_it_was_made_from() {
        let position = Position { enqueued: 1_765_000_000_123, seq: 42 };
        assert_eq!(Position::decode(&position.encode()).ok(), Some(position));
    }

    #[test]
    fn a_cursor_a_client_made_up_is_refused() {
        for cursor in ["", "abc", "%%%", "MTIzNA", "YTpi"] {
            assert!(Position::decode(cursor).is_err(), "{cursor:?} was accepted");
        }
    }

    #[test]
    fn times_are_read_as_rfc_3339_or_as_a_date() {
        assert_eq!(parse_time("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_time("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn body_search_ignores_ascii_case() {
        let mut buffer = Vec::new();
        assert!(body_contains(b"Order INV-0042 shipped", b"inv-0042", &mut buffer));
        assert!(!body_contains(b"Order INV-0043 shipped", b"inv-0042", &mut buffer));
    }
}
