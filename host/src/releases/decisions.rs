//! The record of release decisions, in the server database (`plugin_decisions`), so that what
//! was decided about a plugin version, and on what numbers, outlives the process.

use anyhow::{Context as _, Result};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::jobs::Database;
use crate::jobs::queue::{format_millis, now_millis};

/// What was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// A canary began: a share of executions goes to the candidate.
    CanaryStarted,
    /// A canary's candidate was taken out of its share, over a threshold or by hand.
    RolledBack,
    /// A canary's candidate became the serving version.
    Promoted,
    /// A canary ended without a verdict (the server stopped, or the serving version changed).
    Abandoned,
    /// A serving version's traps or limit hits spiked: it no longer serves.
    Quarantined,
    /// The version before a quarantined one serves again.
    Restored,
}

impl DecisionKind {
    /// The name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::CanaryStarted => "canary_started",
            DecisionKind::RolledBack => "rolled_back",
            DecisionKind::Promoted => "promoted",
            DecisionKind::Abandoned => "abandoned",
            DecisionKind::Quarantined => "quarantined",
            DecisionKind::Restored => "restored",
        }
    }

    fn parse(name: &str) -> Option<DecisionKind> {
        [
            DecisionKind::CanaryStarted,
            DecisionKind::RolledBack,
            DecisionKind::Promoted,
            DecisionKind::Abandoned,
            DecisionKind::Quarantined,
            DecisionKind::Restored,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// One decision about a plugin's versions, with the numbers it was made on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Its place in the record, increasing.
    pub seq: i64,
    /// When, RFC 3339 in UTC.
    pub at: String,
    /// The plugin's name.
    pub plugin: String,
    /// What was decided.
    pub kind: DecisionKind,
    /// `name@version` the decision is about (the candidate, the quarantined or restored one).
    pub version: Option<String>,
    /// `name@version` serving once the decision took effect.
    pub serving: Option<String>,
    /// Why, in a sentence.
    pub reason: String,
    /// The figures it rests on: rates, counts, window, thresholds.
    pub numbers: Json,
}

/// A decision about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    /// The plugin's name.
    pub plugin: String,
    /// What was decided.
    pub kind: DecisionKind,
    /// `name@version` the decision is about.
    pub version: Option<String>,
    /// `name@version` serving once it took effect.
    pub serving: Option<String>,
    /// Why.
    pub reason: String,
    /// The figures.
    pub numbers: Json,
}

/// The decisions table of the server database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Decisions {
    database: Database,
}

impl Decisions {
    /// The decisions kept in `database`, whose migrations made the table.
    pub fn new(database: Database) -> Decisions {
        Decisions { database }
    }

    /// Records `decision` and logs it; blocks until it is on disk. Not for async code.
    pub fn record_blocking(&self, decision: NewDecision) -> Result<()> {
        log(&decision);
        self.database.write_blocking(move |connection| {
            connection.execute(
                "INSERT INTO plugin_decisions (at, plugin, kind, version, serving, reason, numbers)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    now_millis(),
                    decision.plugin,
                    decision.kind.as_str(),
                    decision.version,
                    decision.serving,
                    decision.reason,
                    decision.numbers.to_string()
                ],
            )?;
            Ok(())
        })
    }

    /// Records `decisions`, in order, from any thread, async or not, without waiting for the
    /// disk: on a thread of their own. A failure to record is logged.
    pub fn record(&self, decisions: Vec<NewDecision>) {
        let table = self.clone();
        let spawned = std::thread::Builder::new().name("wharf-decision".into()).spawn(move || {
            for decision in decisions {
                let plugin = decision.plugin.clone();
                if let Err(error) = table.record_blocking(decision) {
                    tracing::error!(plugin, "cannot record a release decision: {error:#}");
                }
            }
        });
        if let Err(error) = spawned {
            tracing::error!("cannot record a release decision: {error}");
        }
    }

    /// The newest `limit` decisions (about `plugin` only, when given), newest first. Blocking.
    pub fn list_blocking(&self, plugin: Option<&str>, limit: u32) -> Result<Vec<Decision>> {
        let plugin = plugin.map(str::to_owned);
        self.database.read(move |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT seq, at, plugin, kind, version, serving, reason, numbers FROM plugin_decisions
                 WHERE ?1 IS NULL OR plugin = ?1 ORDER BY seq DESC LIMIT ?2",
            )?;
            let rows = statement.query_map(params![plugin, limit], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, String>(7)?,
                ))
            })?;
            let mut decisions = Vec::new();
            for row in rows {
                let (seq, at, plugin, kind, version, serving, reason, numbers) = row?;
                let kind = DecisionKind::parse(&kind).context("the server database holds an unknown decision")?;
                let numbers = serde_json::from_str(&numbers).unwrap_or(Json::Null);
                decisions.push(Decision {
                    seq,
                    at: format_millis(at),
                    plugin,
                    kind,
                    version,
                    serving,
                    reason,
                    numbers,
                });
            }
            Ok(decisions)
        })
    }
}

/// Logs a decision: a quarantine or a rollback as a warning, the rest as news.
fn log(decision: &NewDecision) {
    let (plugin, kind, version) = (&decision.plugin, decision.kind.as_str(), decision.version.as_deref());
    let numbers = decision.numbers.to_string();
    match decision.kind {
        DecisionKind::Quarantined | DecisionKind::RolledBack | DecisionKind::Abandoned => {
            tracing::warn!(plugin, decision = kind, version, numbers, "{}", decision.reason)
        }
        _ => tracing::info!(plugin, decision = kind, version, numbers, "{}", decision.reason),
    }
}
