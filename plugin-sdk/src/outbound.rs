//! Calls to web services outside Wharf, for mappers and actions: a partner's credit check, a
//! carrier's rates, an address validation.
//!
//! Nothing is reachable by default. The plugin's manifest lists what it may call, and the
//! operator may narrow that per deployment:
//!
//! ```toml
//! [outbound]
//! max_requests = 4          # per call, redirects included
//! timeout_ms = 2000         # per request, within the call's own time limit
//! max_response_kib = 256    # larger answers are refused
//!
//! [[outbound.allow]]
//! host = "credit.partner.example"
//! ports = [443]             # the default
//! methods = ["POST"]        # the default is GET
//! paths = ["/v2/credit-checks"]
//! ```
//!
//! Secrets never pass through the plugin: [`Request::secret_header`] names a secret of the
//! host's configuration, and the host writes its value into the request.
//!
//! ```no_run
//! use wharf_plugin_sdk::outbound::Request;
//!
//! # fn check() -> Result<(), wharf_plugin_sdk::PluginError> {
//! let response = Request::post("https://credit.partner.example/v2/credit-checks")
//!     .secret_header("Authorization", "credit_api_key", "Bearer ")
//!     .json(&serde_json::json!({ "customer": "US-001", "amount": "1200.00" }))?
//!     .send()?;
//! let answer: serde_json::Value = response.json()?;
//! # Ok(())
//! # }
//! ```
//!
//! Compiled for anything but WebAssembly there is no host, and every request fails.

use crate::PluginError;
#[cfg(target_arch = "wasm32")]
use crate::bindings::wharf::plugin::outbound as wit;

/// A request to a web service; build it, then [`Request::send`] it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    secret_headers: Vec<SecretHeader>,
    body: Vec<u8>,
}

/// A header whose value the host fills in from one of its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SecretHeader {
    name: String,
    secret: String,
    prefix: String,
}

/// The answer to a request, after any redirects the host followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status; 4xx and 5xx answers are responses too.
    pub status: u16,
    /// The answer's headers, in the order they came.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundError {
    /// The host refused to send it: not allowed by the manifest or the operator, a refused
    /// address, or a secret not granted.
    Denied(String),
    /// No whole answer came in time.
    Timeout(String),
    /// The answer was larger than the manifest allows.
    TooLarge(String),
    /// The call has spent its budget of requests.
    BudgetSpent(String),
    /// The connection, TLS handshake or HTTP exchange failed.
    Failed(String),
}

impl std::fmt::Display for OutboundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutboundError::Denied(reason) => write!(f, "request denied: {reason}"),
            OutboundError::Timeout(reason) => write!(f, "request timed out: {reason}"),
            OutboundError::TooLarge(reason) => write!(f, "answer too large: {reason}"),
            OutboundError::BudgetSpent(reason) => write!(f, "request budget spent: {reason}"),
            OutboundError::Failed(reason) => write!(f, "request failed: {reason}"),
        }
    }
}

impl std::error::Error for OutboundError {}

impl From<OutboundError> for PluginError {
    fn from(error: OutboundError) -> PluginError {
        PluginError::new(error.to_string())
    }
}

impl Request {
    /// A request with `method` (`GET`, `POST`, …) to the absolute `https` URL `url`.
    pub fn new(method: &str, url: &str) -> Request {
        Request {
            method: method.to_ascii_uppercase(),
            url: url.to_owned(),
            headers: Vec::new(),
            secret_headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `GET` request.
    pub fn get(url: &str) -> Request {
        Request::new("GET", url)
    }

    /// A `POST` request.
    pub fn post(url: &str) -> Request {
        Request::new("POST", url)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds header `name` whose value is `prefix` followed by the host's secret `secret`
    /// (e.g. `secret_header("Authorization", "credit_api_key", "Bearer ")`). The plugin never
    /// sees the value; the operator grants the secret to the plugin.
    pub fn secret_header(mut self, name: &str, secret: &str, prefix: &str) -> Request {
        let header = SecretHeader { name: name.to_owned(), secret: secret.to_owned(), prefix: prefix.to_owned() };
        self.secret_headers.push(header);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and its `Content-Type`.
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<Request, PluginError> {
        let body =
            serde_json::to_vec(value).map_err(|error| PluginError::new(format!("cannot write JSON: {error}")))?;
        Ok(self.header("Content-Type", "application/json").body(body))
    }

    /// Sends the request and waits for the whole answer.
    pub fn send(self) -> Result<Response, OutboundError> {
        #[cfg(target_arch = "wasm32")]
        {
            let header = |(name, value)| wit::Header { name, value };
            let request = wit::Request {
                method: self.method,
                url: self.url,
                headers: self.headers.into_iter().map(header).collect(),
                secret_headers: self
                    .secret_headers
                    .into_iter()
                    .map(|SecretHeader { name, secret, prefix }| wit::SecretHeader { name, secret, prefix })
                    .collect(),
                body: self.body,
            };
            match wit::send(&request) {
                Ok(response) => Ok(Response {
                    status: response.status,
                    headers: response.headers.into_iter().map(|header| (header.name, header.value)).collect(),
                    body: response.body,
                }),
                Err(wit::OutboundError::Denied(reason)) => Err(OutboundError::Denied(reason)),
                Err(wit::OutboundError::Timeout(reason)) => Err(OutboundError::Timeout(reason)),
                Err(wit::OutboundError::TooLarge(reason)) => Err(OutboundError::TooLarge(reason)),
                Err(wit::OutboundError::BudgetSpent(reason)) => Err(OutboundError::BudgetSpent(reason)),
                Err(wit::OutboundError::Failed(reason)) => Err(OutboundError::Failed(reason)),
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        Err(OutboundError::Denied(format!("{} {}: web service calls need the Wharf host", self.method, self.url)))
    }
}

impl Response {
    /// The first header called `name` (in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(header, _)| header.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text.
    pub fn text(&self) -> Result<&str, PluginError> {
        std::str::from_utf8(&self.body).map_err(|_| PluginError::new("the answer is not UTF-8 text"))
    }

    /// The body read as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, PluginError> {
        serde_json::from_slice(&self.body)
            .map_err(|error| PluginError::new(format!("the answer is not the JSON expected: {error}")))
    }
}
