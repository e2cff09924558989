//! The `outbound` import: one request from a plugin, checked against its manifest and the
//! operator's rules, sent, its redirects followed while they stay allowed, its answer capped,
//! and all of it inside the call's time limit and budget of requests.

use std::io::Read as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode, Url};

use super::super::bindings::outbound::{self as wit, OutboundError};
use super::super::state::CallState;
use super::{AddressRefused, Outbound, policy};

/// The outbound side of one call: which plugin is calling, whether this call may reach web
/// services at all (mapper and action calls only), and how many requests it has sent.
pub(crate) struct OutboundCall {
    outbound: Arc<Outbound>,
    /// The plugin's name, which the operator's grants and the counts go by.
    plugin: Arc<str>,
    permitted: bool,
    sent: u32,
}

impl OutboundCall {
    /// A call of plugin `plugin` that may reach nothing until [`OutboundCall::permit`].
    pub(in crate::plugin) fn new(outbound: Arc<Outbound>, plugin: Arc<str>) -> OutboundCall {
        OutboundCall { outbound, plugin, permitted: false, sent: 0 }
    }

    /// Lets this call send requests, within its manifest's rules: for mapper and action
    /// calls, which the contract gives the `outbound` import.
    pub(in crate::plugin) fn permit(&mut self) {
        self.permitted = true;
    }

    /// Starts a call: it may reach nothing until [`OutboundCall::permit`], and its budget of
    /// requests is whole again.
    pub(in crate::plugin) fn begin(&mut self) {
        (self.permitted, self.sent) = (false, 0);
    }

    /// `text` with the deployment's secrets redacted.
    pub(in crate::plugin) fn redact(&self, text: &str) -> String {
        self.outbound.redact(text)
    }
}

/// A request being sent, hop by hop.
struct Hop {
    method: Method,
    url: Url,
    headers: HeaderMap,
    /// Headers holding secrets; dropped when a redirect leaves the origin they were sent to.
    secret_headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
    /// The URL that redirected here, when this hop follows a redirect.
    redirected_from: Option<Url>,
}

impl wit::Host for CallState {
    fn send(&mut self, request: wit::Request) -> Result<wit::Response, OutboundError> {
        let started = Instant::now();
        let (method, url) = (request.method.clone(), request.url.clone());
        let result = self.send_request(request);
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let call = &self.outbound;
        match result {
            Ok(response) => Ok(response),
            Err(error) => {
                let error = redact(call, error);
                let reason = reason(&error);
                tracing::warn!(plugin = %self.plugin, %method, url = %call.redact(&url), elapsed_ms, "outbound request refused or failed: {reason}");
                Err(error)
            }
        }
    }
}

impl CallState {
    fn send_request(&mut self, request: wit::Request) -> Result<wit::Response, OutboundError> {
        let call = &self.outbound;
        let (outbound, plugin) = (call.outbound.clone(), call.plugin.clone());
        if !call.permitted {
            return Err(OutboundError::Denied("only mappers and actions may call web services".into()));
        }
        let mut hop = hop(&outbound, &plugin, request)?;
        let permissions = self.manifest.outbound.clone();
        let client = outbound.client().map_err(OutboundError::Failed)?;
        loop {
            let host = host_of(&hop.url);
            if let Err(reason) = check(&outbound, &plugin, &permissions, &hop) {
                outbound.count(&plugin, &host, |count| count.denied += 1);
                return Err(OutboundError::Denied(match &hop.redirected_from {
                    Some(from) => format!("{from} redirected to {}, which is refused: {reason}", hop.url),
                    None => reason,
                }));
            }
            if self.outbound.sent >= permissions.max_requests {
                outbound.count(&plugin, &host, |count| count.denied += 1);
                let max = permissions.max_requests;
                return Err(OutboundError::BudgetSpent(format!(
                    "{} {}: this call has sent its {max} requests (outbound.max_requests, redirects included)",
                    hop.method, hop.url
                )));
            }
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.waited_past_deadline = true;
                return Err(OutboundError::Timeout("the call has reached its time limit".into()));
            }
            // The request's own timeout, unless the call's time limit comes first: then it
            // is the call's limit that ends the wait, and the call is stopped as timed out.
            let timeout = permissions.timeout_ms.map_or(left, |ms| Duration::from_millis(ms).min(left));
            let ended_by_call = timeout == left;
            self.outbound.sent += 1;

            let mut builder = client.request(hop.method.clone(), hop.url.clone()).headers(hop.headers.clone());
            for (name, value) in &hop.secret_headers {
                builder = builder.header(name.clone(), value.clone());
            }
            if !hop.body.is_empty() {
                builder = builder.body(hop.body.clone());
            }
            let sent_at = Instant::now();
            let timed_out = |state: &mut CallState| {
                state.waited_past_deadline |= ended_by_call;
                let limit = if ended_by_call { "the call's time limit" } else { "outbound.timeout_ms" };
                OutboundError::Timeout(format!(
                    "{} {} got no whole answer within {} ms ({limit})",
                    hop.method,
                    hop.url,
                    timeout.as_millis()
                ))
            };
            let mut response = match builder.timeout(timeout).send() {
                Ok(response) => response,
                Err(error) => {
                    if let Some(refused) = source::<AddressRefused>(&error) {
                        outbound.count(&plugin, &host, |count| count.denied += 1);
                        return Err(OutboundError::Denied(refused.to_string()));
                    }
                    outbound.count(&plugin, &host, |count| {
                        count.requests += 1;
                        count.failed += 1;
                    });
                    if error.is_timeout() || sent_at.elapsed() >= timeout {
                        return Err(timed_out(self));
                    }
                    return Err(OutboundError::Failed(format!("{} {}: {}", hop.method, hop.url, chain(&error))));
                }
            };
            let status = response.status();
            if status.is_redirection()
                && let Some(location) = response.headers().get(LOCATION)
            {
                outbound.count(&plugin, &host, |count| count.requests += 1);
                log(&self.plugin, &hop, status, sent_at, 0);
                let next =
                    location.to_str().ok().and_then(|location| hop.url.join(location).ok()).ok_or_else(|| {
                        OutboundError::Failed(format!("{} redirected to an invalid location", hop.url))
                    })?;
                redirect(&mut hop, status, next);
                continue;
            }

            let cap = permissions.max_response_bytes();
            let too_large = |bytes: String| {
                let kib = permissions.max_response_kib;
                OutboundError::TooLarge(format!(
                    "{} {} answered {bytes} bytes, over the {kib} KiB this plugin accepts (outbound.max_response_kib)",
                    hop.method, hop.url
                ))
            };
            if let Some(length) = response.content_length().filter(|&length| length > cap) {
                outbound.count(&plugin, &host, |count| {
                    count.requests += 1;
                    count.failed += 1;
                });
                return Err(too_large(length.to_string()));
            }
            let mut body = Vec::new();
            let read = (&mut response).take(cap + 1).read_to_end(&mut body);
            let received = body.len() as u64;
            outbound.count(&plugin, &host, |count| {
                count.requests += 1;
                count.bytes_received += received;
                count.failed += u64::from(read.is_err() || received > cap);
            });
            if let Err(error) = read {
                if sent_at.elapsed() >= timeout {
                    return Err(timed_out(self));
                }
                return Err(OutboundError::Failed(format!("{} {}: reading the answer: {error}", hop.method, hop.url)));
            }
            if received > cap {
                return Err(too_large(format!("more than {cap}")));
            }
            log(&self.plugin, &hop, status, sent_at, received);
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| wit::Header {
                    name: name.as_str().to_owned(),
                    value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
                })
                .collect();
            return Ok(wit::Response { status: status.as_u16(), headers, body });
        }
    }
}

/// The first hop of `request`: its method, URL and headers read, its secrets filled in.
fn hop(outbound: &Outbound, plugin: &str, request: wit::Request) -> Result<Hop, OutboundError> {
    let denied = OutboundError::Denied;
    let method = Method::from_bytes(request.method.as_bytes())
        .map_err(|_| denied(format!("'{}' is not an HTTP method", request.method)))?;
    let url = Url::parse(&request.url).map_err(|error| denied(format!("'{}' is not a URL: {error}", request.url)))?;
    let header = |name: &str, value: &str| -> Result<(HeaderName, HeaderValue), OutboundError> {
        let header_name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| denied(format!("'{name}' is not a header name")))?;
        // The host header names the service the request is for; a plugin that set it could
        // reach another virtual host behind an allowed address.
        if header_name == reqwest::header::HOST {
            return Err(denied("the Host header is the URL's; a plugin cannot set it".into()));
        }
        let value = HeaderValue::from_str(value)
            .map_err(|_| denied(format!("header {name} has a value a header cannot carry")))?;
        Ok((header_name, value))
    };
    let mut headers = HeaderMap::new();
    for wit::Header { name, value } in &request.headers {
        let (name, value) = header(name, value)?;
        headers.append(name, value);
    }
    let mut secret_headers = Vec::new();
    for secret in &request.secret_headers {
        let value = outbound
            .secret(plugin, &secret.secret)
            .ok_or_else(|| denied(format!("secret {} is not granted to plugin {plugin}", secret.secret)))?;
        let (name, mut value) = header(&secret.name, &format!("{}{value}", secret.prefix))?;
        value.set_sensitive(true);
        secret_headers.push((name, value));
    }
    Ok(Hop { method, url, headers, secret_headers, body: request.body, redirected_from: None })
}

/// Why `hop` may not be sent, if it may not: its scheme, the manifest's rules, the
/// operator's, or an address literal that is not open.
fn check(outbound: &Outbound, plugin: &str, permissions: &policy::Permissions, hop: &Hop) -> Result<(), String> {
    let url = &hop.url;
    if url.scheme() != "https" {
        return Err(format!("{url}: only https URLs may be called"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a URL with credentials is refused; send them with a secret header".into());
    }
    if url.host().is_none() {
        return Err(format!("{url} names no host"));
    }
    let host_name = host_of(url);
    let port = url.port_or_known_default().unwrap_or(443);
    let (method, path) = (hop.method.as_str(), url.path());
    let what = format!("{method} https://{host_name}:{port}{path}");
    if !permissions.allow.iter().any(|rule| rule.allows(method, &host_name, port, path)) {
        return Err(format!("{what} is not allowed by the manifest of plugin {plugin} ([[outbound.allow]])"));
    }
    if let Some(rules) = outbound.grant(plugin).and_then(|grant| grant.allow.as_ref())
        && !rules.iter().any(|rule| rule.allows(method, &host_name, port, path))
    {
        return Err(format!("{what} is not allowed by this deployment ([outbound.plugins.{plugin}])"));
    }
    // A name is checked by the resolver, on the addresses the connection will use; an
    // address written in the URL never reaches the resolver, so it is checked here.
    let literal = host_name.parse::<std::net::IpAddr>().ok();
    if let Some(address) = literal
        && let Some(why) = policy::refusal(address, &outbound.settings.open_networks)
    {
        return Err(format!("{address} is {why}, which this deployment does not open to plugins"));
    }
    Ok(())
}

/// The host as rules name it: a name, or an address without brackets.
fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    host.strip_prefix('[').and_then(|host| host.strip_suffix(']')).unwrap_or(host).to_ascii_lowercase()
}

/// Turns `hop` into the request a redirect to `next` asks for. 303, and 301 or 302 after a
/// POST, become a GET without a body, as browsers do; 307 and 308 repeat the request. Secret
/// headers go only to the origin they were meant for.
fn redirect(hop: &mut Hop, status: StatusCode, next: Url) {
    let becomes_get = status == StatusCode::SEE_OTHER
        || (matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND) && hop.method == Method::POST);
    if becomes_get {
        hop.method = Method::GET;
        hop.body.clear();
        hop.headers.remove(reqwest::header::CONTENT_TYPE);
        hop.headers.remove(reqwest::header::CONTENT_LENGTH);
    }
    if next.origin() != hop.url.origin() {
        hop.secret_headers.clear();
    }
    hop.redirected_from = Some(std::mem::replace(&mut hop.url, next));
}

/// One line per request sent: who called what, the answer and how long it took. Never the
/// headers, which may hold secrets, nor the query, which may hold customers' data.
fn log(plugin: &str, hop: &Hop, status: StatusCode, sent_at: Instant, bytes: u64) {
    let url = &hop.url;
    tracing::info!(
        plugin,
        method = %hop.method,
        host = %host_of(url),
        port = url.port_or_known_default().unwrap_or(443),
        path = url.path(),
        status = status.as_u16(),
        elapsed_ms = sent_at.elapsed().as_millis() as u64,
        bytes,
        "outbound request"
    );
}

/// The first error of type `E` in `error`'s chain of sources.
fn source<'a, E: std::error::Error + 'static>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a E> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = error.downcast_ref::<E>() {
            return Some(found);
        }
        next = error.source();
    }
    None
}

/// `error` and its sources, as one line.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(error) = next {
        let part = error.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = error.source();
    }
    text
}

fn reason(error: &OutboundError) -> &str {
    match error {
        OutboundError::Denied(reason)
        | OutboundError::Timeout(reason)
        | OutboundError::TooLarge(reason)
        | OutboundError::BudgetSpent(reason)
        | OutboundError::Failed(reason) => reason,
    }
}

fn redact(call: &OutboundCall, error: OutboundError) -> OutboundError {
    match error {
        OutboundError::Denied(reason) => OutboundError::Denied(call.redact(&reason)),
        OutboundError::Timeout(reason) => OutboundError::Timeout(call.redact(&reason)),
        OutboundError::TooLarge(reason) => OutboundError::TooLarge(call.redact(&reason)),
        OutboundError::BudgetSpent(reason) => OutboundError::BudgetSpent(call.redact(&reason)),
        OutboundError::Failed(reason) => OutboundError::Failed(call.redact(&reason)),
    }
}
