//! The replicas sharing a PostgreSQL database, as operators see them: each registers itself in
//! `replicas` with the plugin versions it serves, beats every few seconds (and whenever a
//! plugin swaps), and reads the others back. Each replica loads plugins from its own
//! directory, so two of them can serve different versions for the same entity and role; this
//! is where that skew becomes visible.
//!
//! Every time here is the database's (`wharf_now_ms()`), never a replica's clock: a replica
//! whose clock runs late is not taken for gone. A replica unseen for longer than the timeout
//! counts as gone; one unseen for longer than [`ReplicaSettings::forget_after`] is removed by
//! whichever replica beats next. This file holds all of the table's SQL.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Postgres;

/// `[database.replicas]` in `server.toml`: how often a replica reports itself, and when the
/// others stop counting it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplicaSettings {
    /// How often a replica refreshes its entry (default: 5 s).
    #[serde(with = "humantime_serde")]
    pub heartbeat: Duration,
    /// How long a replica may go unseen before it counts as gone (default: 30 s). Longer than
    /// the heartbeat, so that one slow beat does not make a live replica look gone.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// How long a replica unseen stays listed, for the operator to see what went away, before
    /// it is removed (default: 1 h).
    #[serde(with = "humantime_serde")]
    pub forget_after: Duration,
}

impl Default for ReplicaSettings {
    fn default() -> Self {
        ReplicaSettings {
            heartbeat: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            forget_after: Duration::from_secs(60 * 60),
        }
    }
}

impl ReplicaSettings {
    /// Refuses settings under which a live replica would be taken for gone, or a gone one
    /// removed before it could be seen gone.
    pub fn check(&self) -> Result<()> {
        ensure!(!self.heartbeat.is_zero(), "[database.replicas] heartbeat must be longer than zero");
        ensure!(
            self.timeout > self.heartbeat,
            "[database.replicas] timeout ({:?}) must be longer than the heartbeat ({:?})",
            self.timeout,
            self.heartbeat
        );
        ensure!(
            self.forget_after >= self.timeout,
            "[database.replicas] forget_after ({:?}) must be at least the timeout ({:?})",
            self.forget_after,
            self.timeout
        );
        Ok(())
    }
}

/// One (entity, role) a replica serves, and the plugin version serving it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ServedPlugin {
    /// The entity's name.
    pub entity: String,
    /// `mapper`, `filter`, `transform` or `action`.
    pub role: String,
    /// The plugin's name.
    pub plugin: String,
    /// The plugin's own version.
    pub version: String,
    /// BLAKE3 of its component: two builds under one version number differ here.
    pub content_hash: String,
}

/// What identifies a replica, fixed for as long as it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaIdentity {
    /// Minted at start: a restart is a new replica.
    pub id: Uuid,
    /// The machine's name.
    pub host: String,
    /// The public URL it hands out.
    pub url: String,
    /// The address it listens on.
    pub listen: String,
    /// Wharf's version.
    pub wharf_version: String,
}

/// A replica's entry, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    /// Who it is.
    pub identity: ReplicaIdentity,
    /// When it first registered, in milliseconds since the epoch by the database's clock.
    pub started_at: i64,
    /// Its last heartbeat, by the same clock.
    pub last_seen: i64,
    /// When it stopped gracefully, if it did.
    pub stopped_at: Option<i64>,
    /// What it served at its last heartbeat, in (entity, role) order.
    pub plugins: Vec<ServedPlugin>,
}

/// Whether a replica counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Seen within the timeout.
    Live,
    /// Said it was stopping.
    Stopped,
    /// Unseen for longer than the timeout: killed, frozen, or cut off from the database.
    Gone,
}

impl Liveness {
    /// Its name in the management API.
    pub fn as_str(self) -> &'static str {
        match self {
            Liveness::Live => "live",
            Liveness::Stopped => "stopped",
            Liveness::Gone => "gone",
        }
    }
}

impl Replica {
    /// Whether it counts at `now` (the database's clock) when replicas unseen for `timeout`
    /// are gone.
    pub fn liveness(&self, now: i64, timeout: Duration) -> Liveness {
        if self.stopped_at.is_some() {
            return Liveness::Stopped;
        }
        match now.saturating_sub(self.last_seen) > millis(timeout) {
            true => Liveness::Gone,
            false => Liveness::Live,
        }
    }
}

/// Registers `identity` or refreshes its entry with what it serves now, as seen now by the
/// database's clock (a replica removed while it was unreachable registers again, keeping its
/// first start time only if its entry survived). Removes the replicas unseen for longer than
/// `forget_after` in the same statement.
pub async fn beat(
    postgres: &Postgres,
    identity: &ReplicaIdentity,
    plugins: &[ServedPlugin],
    forget_after: Duration,
) -> Result<()> {
    let plugins = serde_json::to_string(plugins)?;
    let client = postgres.client().await?;
    let statement = client
        .prepare_cached(
            "WITH forgotten AS (DELETE FROM replicas WHERE last_seen < wharf_now_ms() - $7 AND id <> $1) \
             INSERT INTO replicas (id, host, url, listen, wharf_version, started_at, last_seen, stopped_at, plugins) \
             VALUES ($1, $2, $3, $4, $5, wharf_now_ms(), wharf_now_ms(), NULL, $6::text::jsonb) \
             ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, url = EXCLUDED.url, listen = EXCLUDED.listen, \
                 wharf_version = EXCLUDED.wharf_version, last_seen = EXCLUDED.last_seen, stopped_at = NULL, \
                 plugins = EXCLUDED.plugins",
        )
        .await?;
    client
        .execute(
            &statement,
            &[
                &identity.id,
                &identity.host,
                &identity.url,
                &identity.listen,
                &identity.wharf_version,
                &plugins,
                &millis(forget_after),
            ],
        )
        .await
        .context("cannot refresh this replica's entry")?;
    Ok(())
}

/// Marks replica `id` stopped: the others count it out at once rather than after the timeout.
pub async fn stopped(postgres: &Postgres, id: Uuid) -> Result<()> {
    let client = postgres.client().await?;
    client
        .execute("UPDATE replicas SET stopped_at = wharf_now_ms(), last_seen = wharf_now_ms() WHERE id = $1", &[&id])
        .await
        .context("cannot mark this replica stopped")?;
    Ok(())
}

/// Every replica listed, oldest first, and the database's clock as they were read.
pub async fn list(postgres: &Postgres) -> Result<(i64, Vec<Replica>)> {
    let client = postgres.client().await?;
    let rows = client
        .query(
            "SELECT id, host, url, listen, wharf_version, started_at, last_seen, stopped_at, plugins::text, \
                 wharf_now_ms() FROM replicas ORDER BY started_at, id",
            &[],
        )
        .await
        .context("cannot read the replicas")?;
    let mut now = 0;
    let mut replicas = Vec::with_capacity(rows.len());
    for row in rows {
        now = row.try_get(9)?;
        let identity = ReplicaIdentity {
            id: row.try_get(0)?,
            host: row.try_get(1)?,
            url: row.try_get(2)?,
            listen: row.try_get(3)?,
            wharf_version: row.try_get(4)?,
        };
        let plugins: String = row.try_get(8)?;
        // An entry another version of Wharf wrote in a shape this one cannot read still lists
        // the replica; its plugins show as none.
        let plugins = serde_json::from_str(&plugins).unwrap_or_else(|error| {
            tracing::warn!(replica = %identity.id, "the plugins of replica {} cannot be read: {error}", identity.id);
            Vec::new()
        });
        replicas.push(Replica {
            identity,
            started_at: row.try_get(5)?,
            last_seen: row.try_get(6)?,
            stopped_at: row.try_get(7)?,
            plugins,
        });
    }
    if replicas.is_empty() {
        now = client.query_one("SELECT wharf_now_ms()", &[]).await?.try_get(0)?;
    }
    Ok((now, replicas))
}

/// The plugin version one or more replicas serve for an (entity, role), or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedVersion {
    /// What serves: `None` for replicas that serve nothing for it.
    pub plugin: Option<ServedPlugin>,
    /// The replicas serving it, in the order given.
    pub replicas: Vec<Uuid>,
}

/// What the given replicas serve for one (entity, role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skew {
    /// The entity.
    pub entity: String,
    /// The role.
    pub role: String,
    /// Each distinct version served (same plugin, version and component), with who serves it.
    pub versions: Vec<ServedVersion>,
}

impl Skew {
    /// Whether the replicas disagree: more than one version, or some serve it and some do not.
    pub fn skewed(&self) -> bool {
        self.versions.len() > 1
    }
}

/// For every (entity, role) any of `replicas` serves, which version each of them serves: the
/// caller passes the live replicas, since a gone one serves nothing.
pub fn skew(replicas: &[&Replica]) -> Vec<Skew> {
    let mut served: BTreeMap<(&str, &str), Vec<ServedVersion>> = BTreeMap::new();
    for replica in replicas {
        for plugin in &replica.plugins {
            served.entry((&plugin.entity, &plugin.role)).or_default();
        }
    }
    for ((entity, role), versions) in &mut served {
        for replica in replicas {
            let serving =
                replica.plugins.iter().find(|plugin| plugin.entity == *entity && plugin.role == *role).cloned();
            match versions.iter_mut().find(|version| version.plugin == serving) {
                Some(version) => version.replicas.push(replica.identity.id),
                None => versions.push(ServedVersion { plugin: serving, replicas: vec![replica.identity.id] }),
            }
        }
    }
    served
        .into_iter()
        .map(|((entity, role), versions)| Skew { entity: entity.to_owned(), role: role.to_owned(), versions })
        .collect()
}

/// The machine's name, for the operator to find a replica by: the kernel's, else the
/// environment's, else `unknown`.
pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .chain(["HOSTNAME", "COMPUTERNAME"].iter().filter_map(|name| std::env::var(name).ok()))
        .map(|name| name.trim().to_owned())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `duration` in whole milliseconds, saturating.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(entity: &str, role: &str, plugin: &str, version: &str) -> ServedPlugin {
        ServedPlugin {
            entity: entity.to_owned(),
            role: role.to_owned(),
            plugin: plugin.to_owned(),
            version: version.to_owned(),
            content_hash: format!("hash-of-{plugin}@{version}"),
        }
    }

    fn replica(plugins: Vec<ServedPlugin>) -> Replica {
        Replica {
            identity: ReplicaIdentity {
                id: Uuid::new_v4(),
                host: "host".to_owned(),
                url: "http://127.0.0.1:1".to_owned(),
                listen: "127.0.0.1:1".to_owned(),
                wharf_version: "0.1.0".to_owned(),
            },
            started_at: 0,
            last_seen: 1_000,
            stopped_at: None,
            plugins,
        }
    }

    #[test]
    fn replicas_serving_the_same_versions_show_no_skew_and_a_different_version_or_none_does() {
        let one = replica(vec![
            served("Customer", "mapper", "customers", "1.0.0"),
            served("Customer", "filter", "f", "1.0.0"),
        ]);
        let two = replica(vec![
            served("Customer", "mapper", "customers", "2.0.0"),
            served("Customer", "filter", "f", "1.0.0"),
        ]);
        let three = replica(vec![served("Customer", "mapper", "customers", "1.0.0")]);

        let same = skew(&[&one, &one.clone()]);
        assert_eq!(same.len(), 2);
        assert!(same.iter().all(|skew| !skew.skewed()), "{same:?}");

        let skews = skew(&[&one, &two, &three]);
        let mapper = skews.iter().find(|skew| skew.role == "mapper").expect("the mapper");
        assert!(mapper.skewed());
        let versions: Vec<_> = mapper
            .versions
            .iter()
            .map(|version| (version.plugin.as_ref().map(|plugin| plugin.version.as_str()), version.replicas.clone()))
            .collect();
        assert_eq!(
            versions,
            [(Some("1.0.0"), vec![one.identity.id, three.identity.id]), (Some("2.0.0"), vec![two.identity.id])]
        );
        let filter = skews.iter().find(|skew| skew.role == "filter").expect("the filter");
        assert!(filter.skewed(), "one replica serves no filter");
        assert_eq!(filter.versions[1], ServedVersion { plugin: None, replicas: vec![three.identity.id] });
    }

    #[test]
    fn one_build_under_two_hashes_is_skew() {
        let one = replica(vec![served("Customer", "mapper", "customers", "1.0.0")]);
        let mut two = one.clone();
        two.identity.id = Uuid::new_v4();
        two.plugins[0].content_hash = "rebuilt".to_owned();
        assert!(skew(&[&one, &two])[0].skewed());
    }

    #[test]
    fn a_replica_is_gone_once_unseen_past_the_timeout_and_stopped_once_it_says_so() {
        let mut entry = replica(Vec::new());
        let timeout = Duration::from_secs(2);
        assert_eq!(entry.liveness(3_000, timeout), Liveness::Live);
        assert_eq!(entry.liveness(3_001, timeout), Liveness::Gone);
        // A replica clock ahead of the database's does not make it look gone.
        assert_eq!(entry.liveness(0, timeout), Liveness::Live);
        entry.stopped_at = Some(1_000);
        assert_eq!(entry.liveness(1_000, timeout), Liveness::Stopped);
    }

    fn identity() -> ReplicaIdentity {
        ReplicaIdentity { id: Uuid::new_v4(), ..replica(Vec::new()).identity }
    }

    #[test]
    fn entries_are_written_read_back_stopped_and_forgotten_by_the_database_clock() {
        let url = super::super::testing::scratch().expect("a test schema");
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
        runtime.expect("a runtime").block_on(async {
            let postgres = Postgres::connect(&url, 2).await.expect("the test database");
            let hour = Duration::from_secs(60 * 60);
            let (one, two) = (identity(), identity());
            let plugins = vec![served("Customer", "mapper", "customers", "1.0.0")];
            beat(&postgres, &one, &plugins, hour).await.expect("the first replica beats");
            // Started a few milliseconds later: the database's clock orders them, not their ids.
            tokio::time::sleep(Duration::from_millis(5)).await;
            beat(&postgres, &two, &[], hour).await.expect("the second replica beats");
            let (now, listed) = list(&postgres).await.expect("the replicas");
            let ids: Vec<Uuid> = listed.iter().map(|replica| replica.identity.id).collect();
            assert_eq!(ids, [one.id, two.id], "oldest first");
            assert_eq!(listed[0].identity, one);
            assert_eq!(listed[0].plugins, plugins);
            assert!(listed[1].plugins.is_empty());
            assert!(listed.iter().all(|replica| replica.liveness(now, hour) == Liveness::Live));

            tokio::time::sleep(Duration::from_millis(20)).await;
            let newer = vec![served("Customer", "mapper", "customers", "2.0.0")];
            beat(&postgres, &one, &newer, hour).await.expect("the first replica beats again");
            let (_, again) = list(&postgres).await.expect("the replicas");
            assert_eq!(again[0].started_at, listed[0].started_at, "a beat keeps the start time");
            assert!(again[0].last_seen >= listed[0].last_seen + 20, "{:?} then {:?}", listed[0], again[0]);
            assert_eq!(again[0].plugins, newer);

            stopped(&postgres, two.id).await.expect("the second replica stops");
            let (now, listed) = list(&postgres).await.expect("the replicas");
            assert_eq!(listed[1].liveness(now, hour), Liveness::Stopped);
            assert_eq!(listed[0].liveness(now, hour), Liveness::Live);

            // Unseen for longer than `forget_after`, the second is removed by the first's beat;
            // the replica beating is never removed, however short the setting.
            tokio::time::sleep(Duration::from_millis(50)).await;
            beat(&postgres, &one, &newer, Duration::from_millis(10)).await.expect("the first replica beats");
            let (_, listed) = list(&postgres).await.expect("the replicas");
            let ids: Vec<Uuid> = listed.iter().map(|replica| replica.identity.id).collect();
            assert_eq!(ids, [one.id]);
        });
    }

    #[test]
    fn the_settings_are_read_from_the_database_table_of_server_toml() {
        let text = "url = \"postgres://db/wharf\"\n[replicas]\nheartbeat = \"2s\"\ntimeout = \"10s\"\n";
        let settings: super::super::DatabaseSettings = toml::from_str(text).expect("the settings");
        let expected = ReplicaSettings {
            heartbeat: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
            ..ReplicaSettings::default()
        };
        assert_eq!(settings.replicas, expected);
        assert!(toml::from_str::<super::super::DatabaseSettings>("[replicas]\nheartbat = \"2s\"\n").is_err());
    }

    #[test]
    fn settings_under_which_a_live_replica_looks_gone_are_refused() {
        assert!(ReplicaSettings::default().check().is_ok());
        let settings = ReplicaSettings { timeout: Duration::from_secs(5), ..ReplicaSettings::default() };
        let error = settings.check().expect_err("a timeout no longer than the heartbeat");
        assert!(error.to_string().contains("must be longer than the heartbeat"), "{error}");
        let settings = ReplicaSettings { heartbeat: Duration::ZERO, ..ReplicaSettings::default() };
        assert!(settings.check().is_err());
    }
}
