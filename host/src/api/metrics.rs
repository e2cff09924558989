//! Prometheus metrics at `/metrics`: the process's one recorder, the route that renders it,
//! and the layer that times every HTTP request by its matched route. The metrics themselves,
//! their labels and buckets are listed in `crate::metrics`.
//!
//! `/metrics` is open to scrapers by default, as Prometheus expects. `[metrics]` in
//! `server.toml` can turn it off, require a bearer token, or move it to an address of its own
//! (then the main address answers 404 there):
//!
//! ```toml
//! [metrics]
//! enabled = true                 # false: no /metrics, and nothing recorded
//! token = "a long random string" # scrapers send `Authorization: Bearer <token>`
//! listen = "127.0.0.1:9100"      # served there only, not on the main address
//! ```
//!
//! The recorder is process-wide (the `metrics` facade has one global recorder): the first
//! server started with metrics enabled installs it, and every server of the process renders
//! the same one. Queue gauges are computed when `/metrics` is read, with one grouped query.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde::Deserialize;
use uuid::Uuid;

use super::ApiError;
use crate::jobs::{MessageStatus, Queue};
use crate::metrics::{BUCKETS, HTTP_REQUEST_DURATION, QUEUE_MESSAGES, QUEUE_OLDEST_AGE};

/// The route label of a request that matched no route: never the raw path, which may hold
/// ids, and which a client could vary without end.
const UNMATCHED: &str = "unmatched";

/// How often histograms are drained when nobody scrapes, so that their samples do not pile
/// up in memory.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The `[metrics]` table of `server.toml`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Whether `/metrics` is served and metrics are recorded at all.
    pub enabled: bool,
    /// When set, a scrape must send `Authorization: Bearer <token>`; else 401.
    pub token: Option<String>,
    /// When set, `/metrics` is served on this address only, not on the main one.
    pub listen: Option<SocketAddr>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings { enabled: true, token: None, listen: None }
    }
}

impl std::fmt::Debug for MetricsSettings {
    /// Never the token: configurations end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("enabled", &self.enabled)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("listen", &self.listen)
            .finish()
    }
}

/// What `/metrics` answers from: the recorder, the token a scrape must show, and the queue
/// whose depth it reports.
pub(crate) struct Exporter {
    handle: &'static PrometheusHandle,
    /// BLAKE3 of the token: comparing hashes (whose equality is constant-time) tells nothing
    /// about how much of a guess was right.
    token: Option<blake3::Hash>,
    queue: Queue,
    /// The queue gauges this server set at its last scrape: a job and status that emptied
    /// since is set to 0 rather than left at its last value.
    gauges: Mutex<HashSet<(Uuid, MessageStatus)>>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter").field("token", &self.token.is_some()).finish_non_exhaustive()
    }
}

impl Exporter {
    /// The exporter for `settings` over `queue`, installing the process's recorder if no
    /// server has yet; `None` when metrics are off.
    pub(crate) fn start(settings: &MetricsSettings, queue: Queue) -> Result<Option<Arc<Exporter>>> {
        if !settings.enabled {
            return Ok(None);
        }
        let handle = recorder()?;
        let token = settings.token.as_deref().map(|token| blake3::hash(token.as_bytes()));
        Ok(Some(Arc::new(Exporter { handle, token, queue, gauges: Mutex::default() })))
    }

    /// Sets the queue gauges from one grouped query.
    async fn set_queue_gauges(&self) -> Result<()> {
        let depths = self.queue.depths().await?;
        let mut set = HashSet::with_capacity(depths.len());
        for depth in depths {
            let (job, status) = (depth.activity.to_string(), depth.status.as_str());
            ::metrics::gauge!(QUEUE_MESSAGES, "job" => job.clone(), "status" => status).set(depth.messages as f64);
            ::metrics::gauge!(QUEUE_OLDEST_AGE, "job" => job, "status" => status)
                .set(depth.oldest_age_ms as f64 / 1000.0);
            set.insert((depth.activity, depth.status));
        }
        let mut gauges = self.gauges.lock().unwrap_or_else(PoisonError::into_inner);
        for (activity, status) in gauges.difference(&set) {
            let (job, status) = (activity.to_string(), status.as_str());
            ::metrics::gauge!(QUEUE_MESSAGES, "job" => job.clone(), "status" => status).set(0.0);
            ::metrics::gauge!(QUEUE_OLDEST_AGE, "job" => job, "status" => status).set(0.0);
        }
        *gauges = set;
        Ok(())
    }
}

/// Whether `headers` carry the `token` (its hash), when one is required.
fn admits(token: Option<&blake3::Hash>, headers: &HeaderMap) -> bool {
    let Some(expected) = token else { return true };
    super::caller::bearer_token(headers).is_some_and(|given| blake3::hash(given.as_bytes()) == *expected)
}

/// The process's recorder, installed on first use with the buckets of `crate::metrics`, and
/// drained every [`UPKEEP_INTERVAL`] by a thread of its own.
fn recorder() -> Result<&'static PrometheusHandle> {
    static RECORDER: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    let installed = RECORDER.get_or_init(|| {
        let install = || -> Result<PrometheusHandle> {
            let mut builder = PrometheusBuilder::new();
            for (name, buckets) in BUCKETS {
                builder = builder
                    .set_buckets_for_metric(Matcher::Full(name.to_owned()), buckets)
                    .with_context(|| format!("the buckets of {name}"))?;
            }
            let handle = builder.install_recorder().context("cannot install the metrics recorder")?;
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_INTERVAL);
                        upkeep.run_upkeep();
                    }
                })
                .context("cannot start the metrics upkeep thread")?;
            Ok(handle)
        };
        install().map_err(|error| format!("{error:#}"))
    });
    installed.as_ref().map_err(|error| anyhow::anyhow!("{error}"))
}

/// `/metrics`, answered by `exporter`; no route at all without one.
pub(super) fn routes<S: Clone + Send + Sync + 'static>(exporter: Option<Arc<Exporter>>) -> Router<S> {
    match exporter {
        Some(exporter) => Router::new().route("/metrics", get(scrape)).with_state(exporter),
        None => Router::new(),
    }
}

/// The Prometheus text exposition of every metric, queue gauges fresh.
async fn scrape(State(exporter): State<Arc<Exporter>>, headers: HeaderMap) -> Response {
    if !admits(exporter.token.as_ref(), &headers) {
        return ApiError::unauthorized().into_response();
    }
    // A queue that cannot be read leaves its gauges as they were; the rest still renders.
    if let Err(error) = exporter.set_queue_gauges().await {
        tracing::warn!("cannot count the queue for /metrics: {error:#}");
    }
    let text = exporter.handle.render();
    let content_type = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

/// Times a request until its response head, labelled by its route's template, its method and
/// its status. A layer of the whole router, so it sees the route each request matched.
pub(super) async fn track(request: Request, next: Next) -> Response {
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) => path.as_str().to_owned(),
        None => UNMATCHED.to_owned(),
    };
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_str().to_owned();
    ::metrics::histogram!(HTTP_REQUEST_DURATION, "route" => route, "method" => method, "status" => status)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The method as a label: one of HTTP's own, or `other` (a client may send any token as a
/// method, and each would be a series of its own).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).expect("a header value"));
        headers
    }

    #[test]
    fn only_the_exact_token_admits_a_scrape() {
        let token = blake3::hash(b"s3cret-token");
        let admits = |headers: &HeaderMap| admits(Some(&token), headers);
        assert!(admits(&bearer("Bearer s3cret-token")));
        assert!(admits(&bearer("bearer s3cret-token")));
        assert!(!admits(&HeaderMap::new()));
        assert!(!admits(&bearer("Bearer s3cret-toke")));
        assert!(!admits(&bearer("Basic s3cret-token")));
        assert!(!admits(&bearer("s3cret-token")));
        assert!(super::admits(None, &HeaderMap::new()), "no token set: open to scrapers");
    }

    #[test]
    fn the_settings_never_show_the_token_in_debug_output() {
        let settings = MetricsSettings { token: Some("s3cret-token".into()), ..MetricsSettings::default() };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }

    #[test]
    fn an_unknown_method_is_labelled_other() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"PROPFIND").expect("a method")), "other");
    }
}
