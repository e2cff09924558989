//! The console's sign-in: the session cookie, the guard every page and action passes (session,
//! registration, role, CSRF and origin), and the sign-in and sign-out handlers.
//!
//! A session is a random 256-bit id in the `wharf_session` cookie; the server keeps only its
//! BLAKE3 hash, in the server database, so every replica accepts it and a copy of the table
//! signs nobody in. The CSRF token is derived from the id (BLAKE3's key derivation), so it
//! needs no storage, differs per session, and cannot be computed from what the server keeps.

use std::collections::BTreeSet;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::store::{NewAudit, Session};
use super::{Notice, page_response, views};
use crate::api::{AppState, caller};
use crate::auth::{Caller, Role};
use crate::jobs::queue::millis;

/// The cookie's name.
pub(crate) const SESSION_COOKIE: &str = "wharf_session";

/// The longest form body the guard reads to find the CSRF token: the console's forms are a
/// few fields, a bulk selection a few thousand ids.
const FORM_BYTES_MAX: usize = 256 * 1024;

/// What BLAKE3 derives the CSRF token with, from the session id.
const CSRF_CONTEXT: &str = "wharf 2026-12 operator console CSRF token";

/// A signed-in operator, as the guard leaves it for the handlers.
#[derive(Debug, Clone)]
pub(crate) struct Operator {
    /// The client and what its registration allows, read on this request.
    pub(crate) caller: Caller,
    /// The hash of the session id, to end it.
    pub(crate) id_hash: String,
    /// The session's CSRF token, for the forms of the pages.
    pub(crate) csrf: String,
    /// Where the request came from, for the audit log.
    pub(crate) address: Option<String>,
}

impl Operator {
    /// Whether the client is an admin, who also manages clients.
    pub(crate) fn is_admin(&self) -> bool {
        self.caller.is(Role::Admin)
    }
}

/// The fields of a form the guard read, in order, repeated names kept.
#[derive(Debug, Clone, Default)]
pub(crate) struct FormFields(pub(crate) Vec<(String, String)>);

impl FormFields {
    /// The first value of `name`, trimmed, if not empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value.trim()).filter(|value| !value.is_empty())
    }

    /// Every value of `name`.
    pub(crate) fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0.iter().filter(move |(key, _)| key == name).map(|(_, value)| value.trim())
    }
}

/// A new session id (for the cookie) and its hash (for the database).
fn new_session_id() -> anyhow::Result<(String, String)> {
    let mut bytes = [0; 32];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("no randomness for a session id: {error}"))?;
    let id = URL_SAFE_NO_PAD.encode(bytes);
    let hash = id_hash(&id);
    Ok((id, hash))
}

/// The hash the server keeps of session id `id`.
fn id_hash(id: &str) -> String {
    blake3::hash(id.as_bytes()).to_hex().to_string()
}

/// The CSRF token of the session whose id is `id`.
fn csrf_token(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(blake3::derive_key(CSRF_CONTEXT, id.as_bytes()))
}

/// Whether `given` is the token `expected`, compared in constant time (BLAKE3's `Hash`
/// equality is), so that timing does not give it away byte by byte.
fn csrf_matches(given: &str, expected: &str) -> bool {
    blake3::hash(given.as_bytes()) == blake3::hash(expected.as_bytes())
}

/// The session id in the request's cookies, if it has the shape of one.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get_all(header::COOKIE).into_iter().filter_map(|value| value.to_str().ok());
    let value = cookies.flat_map(|line| line.split(';')).find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == SESSION_COOKIE).then(|| value.trim().to_owned())
    })?;
    let shaped =
        value.len() == 43 && value.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    shaped.then_some(value)
}

/// The `Set-Cookie` value of a new session.
fn session_set_cookie(state: &AppState, id: &str) -> HeaderValue {
    let max_age = state.console.settings.lifetime.as_secs();
    let secure = if state.console.secure { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/console; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("wharf_session=; Max-Age=0"))
}

/// The `Set-Cookie` value that makes a browser forget its session.
fn cleared_cookie(state: &AppState) -> HeaderValue {
    let secure = if state.console.secure { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("wharf_session=; Max-Age=0"))
}

/// Whether htmx sent the request (it answers 401 rather than a redirect it would follow).
fn from_htmx(headers: &HeaderMap) -> bool {
    headers.get("HX-Request").is_some_and(|value| value == "true")
}

/// The answer to a request without a good session: to the sign-in page, or 401 to htmx, and
/// the browser told to forget its cookie.
fn signed_out(state: &AppState, headers: &HeaderMap) -> Response {
    let mut response = if from_htmx(headers) {
        let mut response = (StatusCode::UNAUTHORIZED, "Signed out: sign in again.").into_response();
        response.headers_mut().insert("HX-Redirect", HeaderValue::from_static("/console/sign-in"));
        response
    } else {
        super::see_other("/console/sign-in?notice=signed-out")
    };
    response.headers_mut().insert(header::SET_COOKIE, cleared_cookie(state));
    response
}

/// A 403 page that says why.
pub(crate) fn forbidden(reason: &str) -> Response {
    let mut response = page_response(views::refusal("Not allowed", reason));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

/// Whether the request's `Origin` (or, without one, its `Referer`) is this console's: the
/// server's public URL or the host the request was sent to. A request with neither passes:
/// browsers send `Origin` on every cross-site form POST, and the SameSite cookie and the CSRF
/// token stand behind this check.
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let origins = allowed_origins(state, headers);
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        return origins.iter().any(|allowed| allowed == origin);
    }
    if let Some(referer) = headers.get(header::REFERER) {
        let referer = referer.to_str().unwrap_or_default();
        return origins.iter().any(|allowed| {
            referer.strip_prefix(allowed.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
    }
    true
}

/// The origins a form of this console is posted from.
fn allowed_origins(state: &AppState, headers: &HeaderMap) -> Vec<String> {
    let mut origins = Vec::new();
    let public = &state.public_url;
    if let Some((scheme, rest)) = public.split_once("://") {
        let host = rest.split('/').next().unwrap_or_default();
        origins.push(format!("{scheme}://{host}"));
    }
    if let Some(host) = headers.get(header::HOST).and_then(|host| host.to_str().ok()) {
        let scheme = if state.console.tls { "https" } else { "http" };
        origins.push(format!("{scheme}://{host}"));
    }
    origins
}

/// The guard of every console page and action but sign-in and the assets: a session that is
/// good, a client still registered and enabled with the operator or admin role, and on
/// anything but GET the session's CSRF token and a same-origin request. Leaves the
/// [`Operator`] and the [`FormFields`] for the handlers.
pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let Some(id) = session_cookie(&parts.headers) else { return signed_out(&state, &parts.headers) };
    let hash = id_hash(&id);
    let now = crate::jobs::queue::now_millis();
    let idle = millis(state.console.settings.idle_timeout);
    let console = state.console.clone();
    let looked_up = {
        let hash = hash.clone();
        tokio::task::spawn_blocking(move || console.store.session(&hash, now, idle)).await
    };
    let session: Session = match looked_up {
        Ok(Ok(Some(session))) => session,
        Ok(Ok(None)) => return signed_out(&state, &parts.headers),
        Ok(Err(error)) => return super::failed(&error),
        Err(error) => return super::failed(&anyhow::Error::from(error)),
    };
    // The registration is read on every request: a client disabled or removed since sign-in
    // is signed out at once, and its session ended.
    let Some(client) = state.auth.client(&session.client_id).filter(|client| client.enabled) else {
        let console = state.console.clone();
        let _ = tokio::task::spawn_blocking(move || console.store.delete_session(&hash)).await;
        return signed_out(&state, &parts.headers);
    };
    if !client.roles.contains(&Role::Operator) && !client.roles.contains(&Role::Admin) {
        return forbidden("The console is for clients with the operator or admin role.");
    }
    let caller =
        Caller { client_id: client.id.clone(), roles: client.roles.clone(), companies: client.companies.clone() };
    let address = caller::address(&parts).map(|address| address.to_string());
    let operator = Operator { caller, id_hash: hash, csrf: csrf_token(&id), address };
    let mut fields = FormFields::default();
    let body = if parts.method == Method::GET || parts.method == Method::HEAD {
        body
    } else {
        if !same_origin(&state, &parts.headers) {
            return forbidden(
                "The request did not come from this console's pages. Go back, reload the page and try again.",
            );
        }
        let Ok(bytes) = axum::body::to_bytes(body, FORM_BYTES_MAX).await else {
            let mut response = forbidden("The form is larger than the console accepts.");
            *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return response;
        };
        fields = FormFields(form_urlencoded::parse(&bytes).into_owned().collect());
        let header_token = parts.headers.get("X-CSRF-Token").and_then(|value| value.to_str().ok());
        let given = header_token.or_else(|| fields.get("csrf"));
        if !given.is_some_and(|given| csrf_matches(given, &operator.csrf)) {
            tracing::info!(client = %operator.caller.client_id, "refused a console action without its CSRF token");
            return forbidden(
                "The form's security token is missing or out of date, so nothing was changed. \
                 Reload the page and try again.",
            );
        }
        axum::body::Body::from(bytes)
    };
    parts.extensions.insert(operator);
    parts.extensions.insert(fields);
    next.run(Request::from_parts(parts, body)).await
}

/// `GET /console/sign-in`.
pub(crate) async fn sign_in_page(
    State(state): State<AppState>,
    axum::extract::Query(query): axum::extract::Query<super::NoticeQuery>,
) -> Response {
    let notice = query.notice.as_deref().and_then(Notice::parse);
    page_response(views::sign_in(state.auth.settings().external.is_some(), None, notice, ""))
}

/// `POST /console/sign-in`: a client id and secret, checked as the token endpoint checks them
/// (its per-address budget, its bounded argon2 checks), or a token of the external issuer.
pub(crate) async fn sign_in(State(state): State<AppState>, parts: Parts, body: axum::body::Bytes) -> Response {
    let external = state.auth.settings().external.is_some();
    if !same_origin(&state, &parts.headers) {
        return forbidden("The sign-in form did not come from this console. Open the sign-in page and try again.");
    }
    if let Some(address) = caller::address(&parts)
        && state.rates.charge_address(address).is_err()
    {
        let message = "Too many sign-in attempts from your address; wait a minute.";
        let mut response = page_response(views::sign_in(external, Some(message), None, ""));
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return response;
    }
    let fields = FormFields(form_urlencoded::parse(&body).into_owned().collect());
    let client_id = fields.get("client_id").unwrap_or_default().to_owned();
    let refused = |message: &str| {
        // The client id is shown again so it need not be typed twice; the secret never is.
        let mut response = page_response(views::sign_in(external, Some(message), None, &client_id));
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        response
    };
    let client = if let Some(token) = fields.get("token").filter(|_| external) {
        match state.auth.validate(token) {
            Ok(caller) => state.auth.client(&caller.client_id),
            Err(_) => None,
        }
    } else {
        let secret = fields.get("client_secret").unwrap_or_default().to_owned();
        if client_id.is_empty() || secret.is_empty() || client_id.len() > 64 || secret.len() > 256 {
            return refused("Enter a client id and its secret.");
        }
        let (auth, id) = (state.auth.clone(), client_id.clone());
        match state.secret_checks.run(move || auth.authenticate(&id, &secret)).await {
            Some(Ok(client)) => client,
            Some(Err(error)) => return super::failed(&error),
            None => return refused("The server is busy checking other sign-ins; try again in a moment."),
        }
    };
    let Some(client) = client.filter(|client| client.enabled) else {
        tracing::info!(client = %client_id, "refused a console sign-in");
        return refused("The client id or secret is not right, or the client is disabled.");
    };
    let roles: &BTreeSet<Role> = &client.roles;
    if !roles.contains(&Role::Operator) && !roles.contains(&Role::Admin) {
        return forbidden("The console is for clients with the operator or admin role.");
    }
    let (id, hash) = match new_session_id() {
        Ok(pair) => pair,
        Err(error) => return super::failed(&error),
    };
    let now = crate::jobs::queue::now_millis();
    let settings = &state.console.settings;
    let (expires, idle) = (now.saturating_add(millis(settings.lifetime)), millis(settings.idle_timeout));
    let address = caller::address(&parts).map(|address| address.to_string());
    let console = state.console.clone();
    let client_id = client.id.clone();
    let created = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        console.store.create_session(&hash, &client_id, address.as_deref(), now, expires, idle)?;
        let record = NewAudit {
            client_id: &client_id,
            action: "session.sign-in",
            target: &client_id,
            address: address.as_deref(),
            outcome: "ok",
        };
        console.store.audit(&record, now).map(drop)
    })
    .await;
    match created {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return super::failed(&error),
        Err(error) => return super::failed(&anyhow::Error::from(error)),
    }
    let mut response = super::see_other("/console");
    response.headers_mut().insert(header::SET_COOKIE, session_set_cookie(&state, &id));
    response
}

/// `POST /console/sign-out`: the session is deleted, so its cookie is good for nothing even
/// if the browser keeps it.
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    axum::Extension(operator): axum::Extension<Operator>,
) -> Response {
    let console = state.console.clone();
    let (hash, who, address) = (operator.id_hash.clone(), operator.caller.client_id.clone(), operator.address.clone());
    let ended = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        console.store.delete_session(&hash)?;
        let record = NewAudit {
            client_id: &who,
            action: "session.sign-out",
            target: &who,
            address: address.as_deref(),
            outcome: "ok",
        };
        console.store.audit(&record, crate::jobs::queue::now_millis()).map(drop)
    })
    .await;
    if let Err(error) = ended.map_err(anyhow::Error::from).and_then(|ended| ended) {
        return super::failed(&error);
    }
    let mut response = super::see_other("/console/sign-in?notice=signed-out-by-request");
    response.headers_mut().insert(header::SET_COOKIE, cleared_cookie(&state));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_cookie_shaped_like_a_session_id_is_read() {
        let (id, _) = new_session_id().expect("an id");
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {SESSION_COOKIE}={id}")).expect("a header"),
        );
        assert_eq!(session_cookie(&headers).as_deref(), Some(id.as_str()));
        headers.insert(header::COOKIE, HeaderValue::from_static("wharf_session=short"));
        assert_eq!(session_cookie(&headers), None);
    }

    #[test]
    fn a_csrf_token_belongs_to_one_session_and_is_not_its_hash() {
        let (first, first_hash) = new_session_id().expect("an id");
        let (second, _) = new_session_id().expect("an id");
        assert!(csrf_matches(&csrf_token(&first), &csrf_token(&first)));
        assert!(!csrf_matches(&csrf_token(&second), &csrf_token(&first)));
        assert_ne!(csrf_token(&first), first_hash);
        assert!(!csrf_matches("", &csrf_token(&first)));
    }
}
