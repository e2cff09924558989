//! `GET /manage/replicas`: the replicas serving the deployment and the plugin versions each
//! serves, with the (entity, role)s on which live replicas disagree. Each replica loads
//! plugins from its own directory, so a version dropped into one replica's directory and not
//! the others' serves only some requests; this is where an operator sees that.
//!
//! On PostgreSQL every replica keeps its entry in the shared database fresh (the heartbeat
//! here, started by [`Server::run`](super::Server::run)); on SQLite there is one process, and
//! the route answers for it.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::caller::{Caller, require};
use super::error::ErrorBody;
use super::{ApiError, ApiResult, AppState};
use crate::auth::Role;
use crate::backend::Postgres;
use crate::backend::replicas::{self, Liveness, Replica, ReplicaIdentity, ReplicaSettings, ServedPlugin};
use crate::plugin::Registry;

/// How long a stopping replica waits to mark its entry stopped.
const STOP_PATIENCE: Duration = Duration::from_secs(2);

/// The replica list, registered once for routing and the OpenAPI document.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// This process as a replica: who it is, since when, and how it reports itself.
#[derive(Debug)]
pub(crate) struct ThisReplica {
    identity: ReplicaIdentity,
    /// When it started, by its own clock: what the route shows on SQLite.
    started: SystemTime,
    settings: ReplicaSettings,
}

impl ThisReplica {
    /// A new replica (a fresh id) handing out `public_url` and listening on `listen`.
    pub(crate) fn new(public_url: &str, listen: SocketAddr, settings: &ReplicaSettings) -> Result<ThisReplica> {
        settings.check()?;
        let identity = ReplicaIdentity {
            id: Uuid::new_v4(),
            host: replicas::host_name(),
            url: public_url.to_owned(),
            listen: listen.to_string(),
            wharf_version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        Ok(ThisReplica { identity, started: SystemTime::now(), settings: settings.clone() })
    }
}

/// What `registry` serves now, one entry per (entity, role), in that order.
fn served(registry: &Registry) -> Vec<ServedPlugin> {
    let mut served: Vec<ServedPlugin> = registry
        .serving()
        .iter()
        .flat_map(|plugin| {
            let manifest = plugin.manifest();
            manifest.roles.iter().flat_map(move |role| {
                manifest.entities.iter().map(move |entity| ServedPlugin {
                    entity: entity.clone(),
                    role: role.name().to_owned(),
                    plugin: manifest.name.clone(),
                    version: manifest.version.clone(),
                    content_hash: plugin.content_hash().to_owned(),
                })
            })
        })
        .collect();
    served.sort();
    served
}

/// This replica's entry in the shared database, refreshed every heartbeat and whenever its
/// plugins change, until [`Heartbeat::stop`]. Nothing runs on SQLite.
#[derive(Debug)]
pub(super) struct Heartbeat {
    running: Option<(Postgres, Uuid, tokio::task::JoinHandle<()>)>,
}

impl Heartbeat {
    /// Starts beating for the replica `state` serves. A beat that fails (the database is
    /// away) is logged and the next one tries again: the replica goes on serving.
    pub(super) fn start(state: &AppState) -> Heartbeat {
        let Some(postgres) = state.jobs.queue().postgres_database().cloned() else {
            return Heartbeat { running: None };
        };
        let registry = state.jobs.deployment().pipeline.registry.clone();
        let (identity, settings) = (state.replica.identity.clone(), state.replica.settings.clone());
        let id = identity.id;
        let database = postgres.clone();
        let task = tokio::spawn(async move {
            let mut changes = registry.changes();
            loop {
                changes.borrow_and_update();
                if let Err(error) =
                    replicas::beat(&database, &identity, &served(&registry), settings.forget_after).await
                {
                    tracing::warn!("this replica's entry in the database is not refreshed: {error:#}");
                }
                let changed = async {
                    // A registry that went away changes no more: beat on the clock alone.
                    if changes.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                };
                tokio::select! {
                    () = tokio::time::sleep(settings.heartbeat) => {}
                    () = changed => {}
                }
            }
        });
        Heartbeat { running: Some((postgres, id, task)) }
    }

    /// Stops beating and marks the entry stopped, so that the others count this replica out
    /// at once.
    pub(super) async fn stop(mut self) {
        let Some((postgres, id, task)) = self.running.take() else { return };
        task.abort();
        let _ = task.await;
        // A database that is away must not hold the shutdown up: the others then count this
        // replica gone once the timeout has passed.
        let marked = tokio::time::timeout(STOP_PATIENCE, replicas::stopped(&postgres, id)).await;
        match marked {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!("this replica is not marked stopped; it counts as gone later: {error:#}"),
            Err(_) => {
                tracing::warn!("this replica is not marked stopped within {STOP_PATIENCE:?}; it counts as gone later")
            }
        }
    }
}

/// A server that ends without [`Heartbeat::stop`] (it failed) beats no more.
impl Drop for Heartbeat {
    fn drop(&mut self) {
        if let Some((_, _, task)) = &self.running {
            task.abort();
        }
    }
}

/// Every replica listed: `this` (the id of the replica answering), `timeout_ms` (how long a
/// replica may go unseen before it counts as gone), `skewed` (whether live replicas disagree
/// on any plugin), `value` (each replica: `id`, `this`, `host`, `url`, `listen`,
/// `wharf_version`, `state` (`live`, `stopped` or `gone`), `started_at`, `last_seen`,
/// `stopped_at`, `unseen_ms`, and `plugins`, each `entity`, `role`, `plugin`, `version`,
/// `content_hash`), and `skew`: for each (entity, role) a live replica serves, `skewed` and the
/// `versions` served, each with the `replicas` serving it (`plugin` null: serving nothing).
/// Plugins serve every company, so only an admin granted every company sees them.
#[utoipa::path(
    get,
    path = "/replicas",
    tag = "manage",
    responses(
        (status = 200, description = "The replicas, their plugins and where live ones disagree.", body = Object),
        (status = 403, description = "The caller is not an admin granted every company.", body = ErrorBody),
    )
)]
async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    require(&caller, Role::Admin)?;
    if !caller.may_see_scope(None) {
        return Err(ApiError::forbidden(
            "Replicas serve every company: only an admin granted every company sees them.",
        ));
    }
    let this = &state.replica;
    let (now, listed) = match state.jobs.queue().postgres_database() {
        Some(postgres) => replicas::list(postgres).await?,
        None => {
            let now = millis_since_epoch(SystemTime::now());
            let replica = Replica {
                identity: this.identity.clone(),
                started_at: millis_since_epoch(this.started),
                last_seen: now,
                stopped_at: None,
                plugins: served(&state.jobs.deployment().pipeline.registry),
            };
            (now, vec![replica])
        }
    };
    let timeout = this.settings.timeout;
    let live: Vec<&Replica> =
        listed.iter().filter(|replica| replica.liveness(now, timeout) == Liveness::Live).collect();
    let skew = replicas::skew(&live);
    let value: Vec<Value> = listed.iter().map(|replica| replica_json(replica, this, now, timeout)).collect();
    let skew_json: Vec<Value> = skew
        .iter()
        .map(|skew| {
            let versions: Vec<Value> = skew
                .versions
                .iter()
                .map(|version| {
                    let plugin = version.plugin.as_ref();
                    json!({
                        "plugin": plugin.map(|plugin| &plugin.plugin),
                        "version": plugin.map(|plugin| &plugin.version),
                        "content_hash": plugin.map(|plugin| &plugin.content_hash),
                        "replicas": version.replicas,
                    })
                })
                .collect();
            json!({ "entity": skew.entity, "role": skew.role, "skewed": skew.skewed(), "versions": versions })
        })
        .collect();
    Ok(axum::Json(json!({
        "this": this.identity.id,
        "timeout_ms": timeout.as_millis() as u64,
        "skewed": skew.iter().any(replicas::Skew::skewed),
        "value": value,
        "skew": skew_json,
    }))
    .into_response())
}

fn replica_json(replica: &Replica, this: &ThisReplica, now: i64, timeout: Duration) -> Value {
    let identity = &replica.identity;
    json!({
        "id": identity.id,
        "this": identity.id == this.identity.id,
        "host": identity.host,
        "url": identity.url,
        "listen": identity.listen,
        "wharf_version": identity.wharf_version,
        "state": replica.liveness(now, timeout).as_str(),
        "started_at": timestamp(replica.started_at),
        "last_seen": timestamp(replica.last_seen),
        "stopped_at": replica.stopped_at.map(timestamp),
        "unseen_ms": now.saturating_sub(replica.last_seen).max(0),
        "plugins": replica.plugins,
    })
}

fn millis_since_epoch(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
}

/// RFC 3339 in UTC, to the millisecond, of `millis` since the epoch.
fn timestamp(millis: i64) -> String {
    crate::jobs::queue::format_millis(millis)
}
