//! The REST surface: D365's recurring-integrations connector, its data-package API, its
//! metadata service, the OAuth token endpoint and Wharf's management API. The only module
//! that names axum types.
//!
//! Its routes but OData's, the metadata service's and custom services' are described by the
//! OpenAPI document at `/openapi.json` ([`openapi`]), generated from their registrations.
//!
//! Every route but the token endpoint, the health check, the OpenAPI document and the signed
//! blob links needs a bearer token ([`caller::Caller`]); connector routes also need the job's authorization
//! policy to name the caller, and anything company-bound the caller's grant. Objects outside
//! a caller's reach answer 404, like objects that do not exist.
pub mod caller;
pub mod config;
mod connections;
mod connector;
mod console;
pub mod error;
mod manage;
mod metadata;
pub mod metrics;
mod odata;
mod openapi;
mod packages;
mod releases;
mod replicas;
mod services;
mod staging;
mod tls;
mod token;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use tokio::net::TcpListener;
use tower_http::classify::ServerErrorsFailureClass;

pub use config::{Limits, ServerConfig};
pub use error::{ApiError, ApiResult};
pub use openapi::document as openapi_document;

use crate::auth::Auth;
use crate::deployment::Deployment;
use crate::jobs::Jobs;

/// What every handler works with.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The job service.
    pub jobs: Jobs,
    /// Tokens and clients.
    pub auth: Auth,
    /// Request limits.
    pub limits: Arc<Limits>,
    /// The public URL, without a trailing slash.
    pub public_url: Arc<str>,
    /// Per-client and per-address request budgets.
    pub rates: Arc<caller::Rates>,
    /// The token endpoint's argon2 checks, bounded.
    pub(crate) secret_checks: Arc<token::SecretChecks>,
    /// The OData service at `/data`.
    pub odata: crate::odata::Service,
    /// The largest body an OData request (a `$batch` above all) may have.
    pub odata_body_limit: usize,
    /// This process as one of the deployment's replicas.
    pub(crate) replica: Arc<replicas::ThisReplica>,
    /// The operator console's sessions, audit log and settings.
    pub(crate) console: Arc<console::Console>,
    /// `/metrics` on the main address; `None` when metrics are off or have an address of
    /// their own.
    pub(crate) metrics: Option<Arc<metrics::Exporter>>,
}

/// The whole router.
pub fn router(state: AppState) -> Router {
    // The connector, the package actions, the token endpoint and the management API: each
    // route registered once, for routing and for the document at `/openapi.json`.
    let (documented, api) = openapi::routes().split_for_parts();
    let document = openapi::Rendered::new(&openapi::finished(&api));
    Router::new()
        .route("/", get(environment))
        .route("/health", get(health))
        .route("/openapi.json", get(move || async move { document.response() }))
        .merge(documented)
        .merge(metadata::routes())
        .merge(odata::routes(&state))
        .merge(services::routes())
        .nest("/console", console::routes(&state))
        .merge(metrics::routes(state.metrics.clone()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(odata_rejections))
        // Routes that take large bodies stream them and set their own limit.
        .layer(DefaultBodyLimit::max(state.limits.max_action_body_bytes))
        .layer(tower_http::trace::TraceLayer::new_for_http().on_failure(log_failure))
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
}

/// How a 5xx answer is logged. A 501 answers valid OData that Wharf does not offer: the
/// client's request, not a server fault, so it is logged at debug (the OData service counts
/// it and logs it at info) where tower-http would log it as an error and page an operator.
fn log_failure(class: ServerErrorsFailureClass, latency: Duration, _span: &tracing::Span) {
    match class {
        ServerErrorsFailureClass::StatusCode(StatusCode::NOT_IMPLEMENTED) => {
            tracing::debug!(latency = ?latency, "response refused: not implemented");
        }
        class => tracing::error!(classification = %class, latency = ?latency, "response failed"),
    }
}

/// A server bound to its address, ready to run.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    /// With `[tls]`: the handshake every connection makes first.
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    state: AppState,
    grace: Duration,
    /// With `[metrics] listen`: `/metrics` on an address of its own.
    metrics: Option<(TcpListener, Arc<metrics::Exporter>)>,
}

impl Server {
    /// Binds `config.listen`, opens the deployment (and watches its plugin directory for as
    /// long as the server lives), its job service and the auth state (the signing key is made
    /// on first start and kept in the data directory).
    pub async fn bind(config: &ServerConfig) -> Result<Server> {
        // A certificate that cannot be used stops the start, before anything listens.
        let tls = config.tls.as_ref().map(tls::server_config).transpose()?;
        let listener =
            TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
        let public_url: Arc<str> = config.public_url(listener.local_addr()?).into();
        let (deployment_dir, data) = (config.deployment.clone(), config.data.clone());
        let jobs_settings = config.jobs.clone();
        let mut auth_settings = config.auth.clone();
        for value in [&mut auth_settings.issuer, &mut auth_settings.audience] {
            if value.is_empty() {
                *value = public_url.to_string();
            }
        }
        let backend = crate::backend::Backend::open(&config.database).await?;
        let (console_settings, tls_on, url) = (config.console.clone(), tls.is_some(), public_url.to_string());
        // Opening compiles plugins and reads directories: off the async threads.
        let (jobs, auth, console) = tokio::task::spawn_blocking(move || -> Result<(Jobs, Auth, console::Console)> {
            let mut deployment = Deployment::open_on(&deployment_dir, data.as_deref(), &backend)?;
            // While it serves, the plugin directory is watched: new versions swap in.
            deployment.watch_plugins()?;
            let data = deployment.data_dir();
            let auth =
                Auth::open(&backend, &data.join("server.db"), &data.join("keys").join("signing.pem"), auth_settings)?;
            let console = console::Console::open(&backend, &data.join("server.db"), console_settings, tls_on, &url)?;
            Ok((Jobs::open(deployment, jobs_settings, &backend)?, auth, console))
        })
        .await
        .context("opening the deployment panicked")??;
        let deployment = jobs.deployment();
        let odata = crate::odata::Service::new(
            deployment.pipeline.store.clone(),
            deployment.pipeline.registry.clone(),
            config.odata.clone(),
            deployment.settings.default_company.clone(),
        );
        let replica = replicas::ThisReplica::new(&public_url, listener.local_addr()?, &config.database.replicas)?;
        let exporter = metrics::Exporter::start(&config.metrics, jobs.queue().clone())?;
        let (exporter, metrics) = match (exporter, config.metrics.listen) {
            (Some(exporter), Some(address)) => {
                let listener = TcpListener::bind(address)
                    .await
                    .with_context(|| format!("cannot listen on {address} for /metrics"))?;
                (None, Some((listener, exporter)))
            }
            (exporter, _) => (exporter, None),
        };
        let state = AppState {
            jobs,
            auth,
            limits: Arc::new(config.limits.clone()),
            public_url,
            rates: Arc::new(caller::Rates::new(&config.limits)),
            secret_checks: Arc::new(token::SecretChecks::start(&config.limits)?),
            odata,
            odata_body_limit: config.odata.max_batch_bytes,
            replica: Arc::new(replica),
            console: Arc::new(console),
            metrics: exporter,
        };
        Ok(Server { listener, tls, state, grace: config.shutdown_grace, metrics })
    }

    /// The job service it runs.
    pub fn jobs(&self) -> &Jobs {
        &self.state.jobs
    }

    /// Its clients and tokens.
    pub fn auth(&self) -> &Auth {
        &self.state.auth
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The address `/metrics` has to itself (`[metrics] listen`), when it has one.
    pub fn metrics_addr(&self) -> Result<Option<SocketAddr>> {
        Ok(match &self.metrics {
            Some((listener, _)) => Some(listener.local_addr()?),
            None => None,
        })
    }

    /// Whether it serves HTTPS (`[tls]`) rather than plain HTTP.
    pub fn serves_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The public URL it hands out.
    pub fn public_url(&self) -> &str {
        &self.state.public_url
    }

    /// Serves until `shutdown` completes; then stops accepting, lets requests under way end,
    /// lets executions under way finish (up to the grace period) and closes the queue.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let jobs = self.state.jobs.clone();
        let scheduler = tokio::spawn(jobs.clone().run_scheduler());
        let heartbeat = replicas::Heartbeat::start(&self.state);
        let limits = self.state.limits.clone();
        let app = router(self.state);
        // Not `axum::serve`: it keeps idle connections for ever (see `connections`).
        let tls = self.tls.map(tokio_rustls::TlsAcceptor::from);
        // `/metrics` on its own address, with the same protections, until the server stops.
        let metrics_stop = tokio_util::sync::CancellationToken::new();
        let metrics_server = self.metrics.map(|(listener, exporter)| {
            let (tls, limits, stop) = (tls.clone(), limits.clone(), metrics_stop.clone());
            tokio::spawn(async move {
                let routes = metrics::routes(Some(exporter));
                if let Err(error) = connections::serve(listener, routes, tls, &limits, stop.cancelled_owned()).await {
                    tracing::error!("the /metrics listener failed: {error}");
                }
            })
        });
        connections::serve(self.listener, app, tls, &limits, shutdown).await.context("the server failed")?;
        metrics_stop.cancel();
        if let Some(metrics_server) = metrics_server {
            let _ = metrics_server.await;
        }
        heartbeat.stop().await;
        tracing::info!("stopped accepting requests; waiting for executions under way");
        jobs.stop();
        let _ = scheduler.await;
        if !jobs.idle(self.grace).await {
            tracing::warn!("executions still running after {:?}; they run again after a restart", self.grace);
        }
        jobs.close();
        Ok(())
    }
}

async fn health() -> &'static str {
    "ok"
}

/// The environment root. RIS's connection check GETs it with its bearer token (and without
/// following redirects) and reports the environment up on 200; D365 answers its web client
/// there. Wharf has no web client, so it names itself and where its services are.
async fn environment(State(state): State<AppState>, _caller: caller::Caller) -> Response {
    let url = &state.public_url;
    axum::Json(serde_json::json!({
        "Name": "Wharf",
        "Version": env!("CARGO_PKG_VERSION"),
        "OData": format!("{url}/data"),
        "Connector": format!("{url}/api/connector"),
        "Services": format!("{url}/api/services"),
        "Metadata": format!("{url}/Metadata/DataEntities"),
        "Management": format!("{url}/manage"),
    }))
    .into_response()
}

async fn not_found() -> ApiError {
    ApiError::not_found("No resource matches the request URL.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "The HTTP method is not allowed on this resource.")
}

/// Turns the plain-text rejections of axum's extractors (a query string that does not
/// deserialize, a JSON body over `max_action_body_bytes`) into OData errors, as every other
/// failure answers. Their texts name the field or limit and nothing internal.
async fn odata_rejections(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/plain"));
    if !plain || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned());
    let message = match text {
        Ok(text) if !text.is_empty() => format!("{text}."),
        _ => status.canonical_reason().unwrap_or("The request failed").to_owned() + ".",
    };
    let mut odata = ApiError::new(status, message).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            odata.headers_mut().append(name, value.clone());
        }
    }
    odata
}

/// A JSON response with OData's headers.
pub(crate) fn odata_json(body: &Value) -> Response {
    let mut response = axum::Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; odata.metadata=minimal; charset=utf-8"),
    );
    headers.insert("OData-Version", HeaderValue::from_static("4.0"));
    response
}

/// Parses a JSON body leniently, as D365 does: single-quoted strings and keys are accepted
/// (the d365fo.integrations module sends `{'messageId':'…'}`).
pub fn lenient_json(body: &[u8]) -> ApiResult<Value> {
    let text = std::str::from_utf8(body).map_err(|_| ApiError::bad_request("The request body is not UTF-8 text."))?;
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    let strict = match serde_json::from_str(text) {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    // The lenient parser recurses without a limit; serde_json stops at 128 levels, and so
    // does this, before handing the text over.
    if nesting(text) > 128 || !text.contains('\'') {
        return Err(ApiError::bad_request(format!("The request body is not valid JSON: {strict}")));
    }
    json5::from_str(text).map_err(|error| ApiError::bad_request(format!("The request body is not valid JSON: {error}")))
}

/// The deepest bracket nesting in `text`, counting brackets inside strings too (which can
/// only overstate it).
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for byte in text.bytes() {
        match byte {
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The member `name` of a JSON object, matched without regard to case.
pub(crate) fn member<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object.as_object()?.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value)
}

/// The string member `name`: a string, or a number or boolean as text.
pub(crate) fn string_member(object: &Value, name: &str) -> Option<String> {
    match member(object, name)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A log destination the test reads back.
    #[derive(Debug, Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("the sink is not poisoned").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// What `log_failure` logs at error level for an answer with `status`.
    fn errors_logged(status: StatusCode) -> String {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::ERROR)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let class = ServerErrorsFailureClass::StatusCode(status);
            log_failure(class, Duration::from_millis(3), &tracing::Span::none());
        });
        let bytes = sink.0.lock().expect("the sink is not poisoned").clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn a_501_is_not_logged_as_an_error_but_a_500_is() {
        assert_eq!(errors_logged(StatusCode::NOT_IMPLEMENTED), "");
        let logged = errors_logged(StatusCode::INTERNAL_SERVER_ERROR);
        assert!(logged.contains("ERROR") && logged.contains("response failed"), "{logged}");
        assert!(logged.contains("500"), "{logged}");
    }
}
