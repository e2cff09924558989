//! The operator console at `/console`: server-rendered pages (maud) over the queue, the jobs,
//! the executions, the plugins, the clients and the audit log, for clients with the operator
//! or admin role, signed in with a session cookie (`session`).
//!
//! Every action is a plain form POST answered by a redirect (303) to a page that says what
//! happened, read back from the audit record the action wrote; htmx (embedded, as is the one
//! stylesheet) only enhances, through `hx-boost`. Every response carries a strict
//! Content-Security-Policy: no inline script or style anywhere.
//!
//! Stable selectors, for browser tests (ids unless said):
//!
//! ```text
//! sign-in     form#sign-in  input#client_id  input#client_secret  input#token  button#sign-in-submit
//!             p#sign-in-error (a refused sign-in)  p#notice
//! every page  nav#primary with a#nav-overview a#nav-jobs a#nav-messages a#nav-executions
//!             a#nav-plugins a#nav-clients (admins) a#nav-audit; form#sign-out button#sign-out-submit;
//!             main#main; p#done (the outcome of the action just taken)
//! overview    table#queue-depth  p#oldest-waiting  p#executions-running  svg#rows-chart
//!             table#plugin-failures  table#recent-errors
//! jobs        table#jobs, a row tr#job-{activity}; job page: dl#job-facts  table#job-runs
//!             form#job-enable  form#job-disable  form#job-run (buttons #job-enable-submit, …)
//! messages    form#message-filters (select#job, select#status, input#company, input#from,
//!             input#to, input#q, button#filter-submit); form#bulk with input[name=id] checkboxes
//!             (#select-{message id}), input#all-matching, select#bulk-action, button#bulk-submit;
//!             table#messages with tr#message-{id}; a#next-page
//! message     dl#message-facts  ol#timeline  pre#body-preview  a#body-download
//!             form#message-reprocess form#message-requeue form#message-delete (buttons *-submit)
//! executions  table#executions, tr#execution-{id}; execution page: table#entities
//!             table#rejected-rows  a#error-file-{entity}  a#rejected-next
//! plugins     table#plugins, tr#plugin-{file stem}; form#restore-{name} button#restore-{name}-submit
//!             table#plugin-history
//! clients     table#clients, tr#client-{id}; form#client-add (input#new-client-id,
//!             input#new-client-name, select#new-client-role, input#new-client-companies,
//!             button#client-add-submit); form#client-disable-{id} form#client-enable-{id}
//!             form#client-secret-{id}; p#client-secret (the secret, shown once)
//! audit       table#audit  a#audit-older
//! ```

mod actions;
mod pages;
mod session;
mod store;
mod views;

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::caller::{Caller, require};
use super::config::ConsoleSettings;
use super::{ApiResult, AppState};
use crate::auth::Role;

pub(crate) use store::ConsoleStore;

/// The policy on every console response: nothing inline, nothing from elsewhere, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// What the console keeps beside the rest of the server's state.
#[derive(Debug)]
pub(crate) struct Console {
    /// Sessions and the audit log.
    pub(crate) store: ConsoleStore,
    /// `[console]` of `server.toml`.
    pub(crate) settings: ConsoleSettings,
    /// Whether the session cookie is marked `Secure`: the server speaks TLS, or is reached
    /// through an https URL (a TLS proxy in front).
    pub(crate) secure: bool,
    /// Whether the server itself speaks TLS.
    pub(crate) tls: bool,
}

impl Console {
    /// The console of a server whose state is on `backend`.
    pub(crate) fn open(
        backend: &crate::backend::Backend,
        db_path: &std::path::Path,
        settings: ConsoleSettings,
        tls: bool,
        public_url: &str,
    ) -> anyhow::Result<Console> {
        anyhow::ensure!(
            settings.idle_timeout.as_millis() > 0 && settings.lifetime.as_millis() > 0,
            "console.idle_timeout and console.lifetime must be longer than nothing"
        );
        let store = ConsoleStore::open(backend, db_path)?;
        Ok(Console { store, settings, secure: tls || public_url.starts_with("https://"), tls })
    }
}

/// An embedded file, served under a name holding its content's hash so that it can be cached
/// for good.
struct Asset {
    name: String,
    bytes: &'static [u8],
    content_type: &'static str,
}

impl Asset {
    fn new(stem: &str, extension: &str, bytes: &'static [u8], content_type: &'static str) -> Asset {
        let hash = blake3::hash(bytes).to_hex();
        Asset { name: format!("{stem}.{}.{extension}", &hash[..12]), bytes, content_type }
    }
}

static HTMX: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new("htmx-2.0.11", "min.js", include_bytes!("assets/htmx-2.0.11.min.js"), "text/javascript; charset=utf-8")
});
static STYLESHEET: LazyLock<Asset> =
    LazyLock::new(|| Asset::new("console", "css", include_bytes!("assets/console.css"), "text/css; charset=utf-8"));

/// The path of the embedded htmx.
pub(crate) fn htmx_path() -> String {
    format!("/console/assets/{}", HTMX.name)
}

/// The path of the embedded stylesheet.
pub(crate) fn stylesheet_path() -> String {
    format!("/console/assets/{}", STYLESHEET.name)
}

/// The console's routes, to nest under `/console`.
pub(super) fn routes(state: &AppState) -> Router<AppState> {
    let guarded = Router::new()
        .route("/", get(pages::overview))
        .route("/sign-out", post(session::sign_out))
        .route("/jobs", get(pages::jobs))
        .route("/jobs/{activity}", get(pages::job))
        .route("/jobs/{activity}/{action}", post(actions::job))
        .route("/messages", get(pages::messages))
        .route("/messages/bulk", post(actions::bulk))
        .route("/messages/{id}", get(pages::message))
        .route("/messages/{id}/body", get(pages::message_body))
        .route("/messages/{id}/{action}", post(actions::message))
        .route("/executions", get(pages::executions))
        .route("/executions/{id}", get(pages::execution))
        .route("/executions/{id}/errors/{entity}", get(pages::error_file))
        .route("/plugins", get(pages::plugins))
        .route("/plugins/{name}/restore", post(actions::restore_plugin))
        .route("/clients", get(pages::clients).post(actions::add_client))
        .route("/clients/{id}/{action}", post(actions::client))
        .route("/audit", get(pages::audit))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), session::guard));
    Router::new()
        .route("/sign-in", get(session::sign_in_page).post(session::sign_in))
        .route("/assets/{name}", get(asset))
        .merge(guarded)
        .fallback(not_found)
        .layer(axum::middleware::map_response(secure_headers))
}

/// The console's answer to an unknown path.
async fn not_found() -> Response {
    let mut response = page_response(views::refusal("Not found", "No console page is at this address."));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// Adds the console's security headers to every response it gives; pages (anything but the
/// assets, which set their own) are never cached, since they show what only the signed-in
/// operator may see.
async fn secure_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null` with
    // a form's POST, which the origin check must refuse; no address leaves for another site.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// `GET /console/assets/{name}`: htmx and the stylesheet, cached for a year (the name changes
/// with the content).
async fn asset(Path(name): Path<String>) -> Response {
    let Some(asset) = [&*HTMX, &*STYLESHEET].into_iter().find(|asset| asset.name == name) else {
        return not_found().await;
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
    ];
    (headers, asset.bytes).into_response()
}

/// An HTML page, 200.
pub(crate) fn page_response(markup: maud::Markup) -> Response {
    let content_type = HeaderValue::from_static("text/html; charset=utf-8");
    ([(header::CONTENT_TYPE, content_type)], markup.into_string()).into_response()
}

/// A redirect a browser follows with a GET (303), as after every form POST.
pub(crate) fn see_other(location: &str) -> Response {
    let location = HeaderValue::from_str(location).unwrap_or_else(|_| HeaderValue::from_static("/console"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// A page for a failure of the server itself, logged with its details, which the page does
/// not show.
pub(crate) fn failed(error: &anyhow::Error) -> Response {
    tracing::error!("a console request failed: {error:#}");
    let mut response =
        page_response(views::refusal("Something went wrong", "The server could not do that; the log says why."));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}

/// The `notice` of the sign-in page's address: one of a few fixed texts, never text from the
/// address itself.
#[derive(Debug, Deserialize)]
pub(crate) struct NoticeQuery {
    notice: Option<String>,
}

/// What the sign-in page says about how the operator got there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    SignedOut,
    SignedOutByRequest,
}

impl Notice {
    fn parse(code: &str) -> Option<Notice> {
        match code {
            "signed-out" => Some(Notice::SignedOut),
            "signed-out-by-request" => Some(Notice::SignedOutByRequest),
            _ => None,
        }
    }

    pub(crate) fn text(self) -> &'static str {
        match self {
            Notice::SignedOut => "Your session has ended. Sign in again.",
            Notice::SignedOutByRequest => "You have signed out.",
        }
    }
}

/// `/manage/audit`, for the management API (admin bearer tokens).
pub(super) fn manage_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(manage_audit))
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    before: Option<i64>,
    limit: Option<u32>,
}

/// `GET /manage/audit?before=&limit=`: the console's audit log, newest first; `next` is the
/// `before` of the next page.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "manage",
    params(
        ("before" = Option<i64>, Query, description = "The previous page's `next`."),
        ("limit" = Option<u32>, Query, description = "At most this many (1 to 1,000)."),
    ),
    responses(
        (status = 200, description = "`{value, next}`: audit records, newest first.", body = Object),
        (status = 400, description = "A number is not one.", body = super::error::ErrorBody),
    )
)]
async fn manage_audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Response> {
    require(&caller, Role::Admin)?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let console = state.console.clone();
    let records = tokio::task::spawn_blocking(move || console.store.audit_page(query.before, limit))
        .await
        .map_err(anyhow::Error::from)??;
    let next = (records.len() == limit as usize).then(|| records.last().map(|record| record.seq)).flatten();
    Ok(axum::Json(serde_json::json!({ "value": records, "next": next })).into_response())
}

/// A page or action that could not be answered as asked: the page that says why.
#[derive(Debug)]
pub(crate) struct Failure(Box<Response>);

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Failure {
        Failure(Box::new(failed(&error)))
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// What a console handler answers.
pub(crate) type PageResult = Result<Response, Failure>;

/// Runs `work` on a blocking thread: the stores and the audit log block.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|error| anyhow::anyhow!("a console task failed: {error}"))?
}

/// Writes the audit record of an action `operator` took; returns its number, for the page the
/// action redirects to.
pub(crate) async fn record(
    state: &AppState,
    operator: &session::Operator,
    action: &str,
    target: &str,
    outcome: &str,
) -> anyhow::Result<i64> {
    let console = state.console.clone();
    let (who, action, target, outcome) =
        (operator.caller.client_id.clone(), action.to_owned(), target.to_owned(), outcome.to_owned());
    let address = operator.address.clone();
    blocking(move || {
        let record = store::NewAudit {
            client_id: &who,
            action: &action,
            target: &target,
            address: address.as_deref(),
            outcome: &outcome,
        };
        console.store.audit(&record, crate::jobs::queue::now_millis())
    })
    .await
}
