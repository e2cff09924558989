//! Calls from plugins to web services outside Wharf: the operator's settings (`[outbound]` and
//! `[secrets]` in `wharf.toml`), the one HTTPS client every plugin's calls share, and what was
//! called, counted per plugin and host.
//!
//! A plugin reaches a web service only through the `outbound` import (see `host.rs`): denied
//! unless a rule of its manifest allows the method, host, port and path, and the operator's
//! rules for the plugin (when there are any) allow it too. Whatever the rules say, a name
//! that resolves to a loopback, private or link-local address is refused unless the operator
//! opened that network: the check is on the address the connection will use, made in the
//! client's resolver, so a name that resolves differently the second time (DNS rebinding)
//! gains nothing.

mod host;
pub mod policy;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use ipnet::IpNet;
use serde::Deserialize;

pub(crate) use host::OutboundCall;
pub use policy::{Permissions, Rule};

/// How long connecting (TCP and the TLS handshake) may take, at most; a request's own timeout
/// and its call's time limit end it sooner.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What replaces a secret's value wherever it would be shown.
const REDACTED: &str = "[redacted]";

/// `[outbound]` in `wharf.toml`: how this deployment lets plugins call web services.
///
/// ```toml
/// [outbound]
/// # CA certificates (PEM) trusted beside the system's roots, e.g. a partner's private CA.
/// ca_certificates = ["certs/partner-ca.pem"]
/// # Networks normally refused (loopback, private, link-local) that plugins may reach.
/// open_networks = ["10.20.0.0/16"]
///
/// # Narrows what the manifest of plugin `credit-check` allows, and grants it secrets.
/// [outbound.plugins.credit-check]
/// allow = [{ host = "credit.partner.example", methods = ["POST"], paths = ["/v2/"] }]
/// secrets = ["credit_api_key"]
///
/// [secrets]
/// credit_api_key = { env = "CREDIT_API_KEY" }     # or { file = "secrets/credit.key" }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboundSettings {
    /// PEM files of CA certificates trusted beside the system's roots.
    pub ca_certificates: Vec<PathBuf>,
    /// Networks plugins may reach although they are loopback, private or link-local.
    pub open_networks: Vec<IpNet>,
    /// Per plugin (by name): rules narrowing its manifest's, and the secrets it may use.
    pub plugins: BTreeMap<String, PluginGrant>,
}

/// The operator's word on one plugin's outbound calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginGrant {
    /// When set, a request must match one of these rules as well as one of the manifest's,
    /// so the operator can narrow what the plugin asks for but never widen it. `[]` denies
    /// every request.
    pub allow: Option<Vec<Rule>>,
    /// The secrets (names in `[secrets]`) the plugin may put into its requests' headers.
    pub secrets: Vec<String>,
}

/// Where one secret's value comes from (`[secrets]` in `wharf.toml`): exactly one of an
/// environment variable or a file (relative to the deployment). Values are read at start and
/// never come from a plugin's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSource {
    /// An environment variable holding the value.
    pub env: Option<String>,
    /// A file holding the value (one trailing newline is dropped).
    pub file: Option<PathBuf>,
}

/// The outbound calls of every plugin of one runtime: the operator's settings, the secrets'
/// values, the HTTPS client, and the counts. Cheap to share.
pub struct Outbound {
    settings: OutboundSettings,
    secrets: BTreeMap<String, String>,
    roots: Vec<reqwest::Certificate>,
    /// Built at the first call: a deployment whose plugins call nothing starts no client.
    client: OnceLock<Result<reqwest::blocking::Client, String>>,
    counts: Mutex<BTreeMap<(String, String), OutboundCount>>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secret names only; their values are never printed.
        f.debug_struct("Outbound")
            .field("settings", &self.settings)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Default for Outbound {
    /// Nothing opened, no secrets, no extra CA.
    fn default() -> Self {
        Outbound {
            settings: OutboundSettings::default(),
            secrets: BTreeMap::new(),
            roots: Vec::new(),
            client: OnceLock::new(),
            counts: Mutex::default(),
        }
    }
}

/// What one plugin's calls to one host came to since the runtime started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundCount {
    /// The host called.
    pub host: String,
    /// Requests sent, redirects included.
    pub requests: u64,
    /// Requests the host refused to send (rules, addresses, secrets, budget).
    pub denied: u64,
    /// Requests sent that got no whole answer (timeouts, connection and TLS failures,
    /// answers over the cap).
    pub failed: u64,
    /// Answer bytes received.
    pub bytes_received: u64,
}

impl Outbound {
    /// The outbound calls a deployment in `dir` allows: `settings`, with the values of
    /// `secrets` read now (a missing one is an error naming it, never showing a value).
    pub fn new(dir: &Path, settings: &OutboundSettings, secrets: &BTreeMap<String, SecretSource>) -> Result<Outbound> {
        let mut values = BTreeMap::new();
        for (name, source) in secrets {
            let value = match (&source.env, &source.file) {
                (Some(variable), None) => std::env::var(variable)
                    .with_context(|| format!("secret {name}: environment variable {variable} is not set"))?,
                (None, Some(file)) => {
                    let path = dir.join(file);
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("secret {name}: cannot read {}", path.display()))?;
                    let text = text.strip_suffix('\n').unwrap_or(&text);
                    text.strip_suffix('\r').unwrap_or(text).to_owned()
                }
                _ => bail!("secret {name}: give exactly one of `env` or `file`"),
            };
            if value.is_empty() {
                bail!("secret {name} is empty");
            }
            if reqwest::header::HeaderValue::from_str(&value).is_err() {
                bail!("secret {name} holds characters a header value cannot carry");
            }
            values.insert(name.clone(), value);
        }
        for (plugin, grant) in &settings.plugins {
            for rule in grant.allow.iter().flatten() {
                rule.check(&format!("outbound.plugins.{plugin}.allow"))?;
            }
            if let Some(secret) = grant.secrets.iter().find(|secret| !values.contains_key(*secret)) {
                bail!("outbound.plugins.{plugin} grants secret {secret}, which [secrets] does not define");
            }
        }
        let mut roots = Vec::new();
        for file in &settings.ca_certificates {
            let path = dir.join(file);
            let pem = std::fs::read(&path).with_context(|| format!("cannot read CA certificate {}", path.display()))?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("{} holds no PEM certificate", path.display()))?;
            if certificates.is_empty() {
                bail!("{} holds no PEM certificate", path.display());
            }
            roots.extend(certificates);
        }
        Ok(Outbound { settings: settings.clone(), secrets: values, roots, ..Outbound::default() })
    }

    /// `text` with every secret's value replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for value in self.secrets.values() {
            if text.contains(value.as_str()) {
                text = text.replace(value.as_str(), REDACTED);
            }
        }
        text
    }

    /// What plugin `plugin`'s calls came to, one entry per host, in host order.
    pub fn counts(&self, plugin: &str) -> Vec<OutboundCount> {
        let counts = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.iter().filter(|((name, _), _)| name == plugin).map(|(_, count)| count.clone()).collect()
    }

    fn count(&self, plugin: &str, host: &str, change: impl FnOnce(&mut OutboundCount)) {
        let mut counts = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = counts
            .entry((plugin.to_owned(), host.to_owned()))
            .or_insert_with(|| OutboundCount { host: host.to_owned(), ..OutboundCount::default() });
        change(count);
    }

    fn grant(&self, plugin: &str) -> Option<&PluginGrant> {
        self.settings.plugins.get(plugin)
    }

    /// The secret `name`'s value, when the operator granted it to `plugin`.
    fn secret(&self, plugin: &str, name: &str) -> Option<&str> {
        let granted = self.grant(plugin).is_some_and(|grant| grant.secrets.iter().any(|secret| secret == name));
        granted.then(|| self.secrets.get(name).map(String::as_str)).flatten()
    }

    /// The client, built at first use: rustls with TLS 1.2 or newer, the system's roots and
    /// the operator's, no redirects (the host follows them itself, checking each), no proxy
    /// from the environment (a proxy would resolve names where the address check cannot see
    /// them), and the resolver that refuses closed addresses.
    fn client(&self) -> Result<&reqwest::blocking::Client, String> {
        let client = self.client.get_or_init(|| {
            let resolver = CheckedResolver { open: Arc::new(self.settings.open_networks.clone()) };
            let mut builder = reqwest::blocking::Client::builder()
                .use_rustls_tls()
                .min_tls_version(reqwest::tls::Version::TLS_1_2)
                .https_only(true)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .dns_resolver(Arc::new(resolver))
                .connect_timeout(CONNECT_TIMEOUT)
                .user_agent(concat!("wharf/", env!("CARGO_PKG_VERSION")));
            for root in &self.roots {
                builder = builder.add_root_certificate(root.clone());
            }
            builder.build().map_err(|error| format!("cannot start the HTTPS client: {error}"))
        });
        client.as_ref().map_err(String::clone)
    }
}

/// Resolves names for the client and refuses any name with an address the operator has not
/// opened: the connection can only go to addresses this returns.
struct CheckedResolver {
    open: Arc<Vec<IpNet>>,
}

/// A name resolved to an address that is refused.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {address}, {why}, which this deployment does not open to plugins")]
struct AddressRefused {
    host: String,
    address: std::net::IpAddr,
    why: &'static str,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let open = self.open.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for address in &addresses {
                if let Some(why) = policy::refusal(address.ip(), &open) {
                    return Err(Box::new(AddressRefused { host, address: address.ip(), why }) as _);
                }
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> OutboundSettings {
        toml::from_str(text).expect("settings")
    }

    fn from_file(file: &str) -> BTreeMap<String, SecretSource> {
        BTreeMap::from([("api_key".to_owned(), SecretSource { env: None, file: Some(file.into()) })])
    }

    #[test]
    fn secrets_are_read_at_start_redacted_everywhere_and_never_printed() {
        let dir = tempfile::tempdir().expect("a directory");
        std::fs::write(dir.path().join("key"), "s3cr3t-value\n").expect("the key");
        let outbound = Outbound::new(dir.path(), &settings("plugins.p.secrets = [\"api_key\"]"), &from_file("key"))
            .expect("the settings hold");
        assert_eq!(outbound.secret("p", "api_key"), Some("s3cr3t-value"));
        assert_eq!(outbound.secret("other", "api_key"), None, "granted to p only");
        assert_eq!(outbound.redact("key s3cr3t-value, again s3cr3t-value"), "key [redacted], again [redacted]");
        assert!(!format!("{outbound:?}").contains("s3cr3t"), "{outbound:?}");
    }

    #[test]
    fn settings_naming_missing_secrets_or_files_are_refused_with_the_name() {
        let dir = tempfile::tempdir().expect("a directory");
        let error = Outbound::new(dir.path(), &settings("plugins.p.secrets = [\"nope\"]"), &BTreeMap::new())
            .expect_err("an undefined secret");
        assert_eq!(error.to_string(), "outbound.plugins.p grants secret nope, which [secrets] does not define");
        let error =
            Outbound::new(dir.path(), &OutboundSettings::default(), &from_file("missing")).expect_err("a missing file");
        assert!(error.to_string().starts_with("secret api_key: cannot read "), "{error}");
        let unset = BTreeMap::from([(
            "api_key".to_owned(),
            SecretSource { env: Some("WHARF_TEST_SURELY_UNSET_VARIABLE".into()), file: None },
        )]);
        let error = Outbound::new(dir.path(), &OutboundSettings::default(), &unset).expect_err("an unset variable");
        assert_eq!(
            error.to_string(),
            "secret api_key: environment variable WHARF_TEST_SURELY_UNSET_VARIABLE is not set"
        );
        let error = Outbound::new(dir.path(), &settings("ca_certificates = [\"none.pem\"]"), &BTreeMap::new())
            .expect_err("a missing CA");
        assert!(error.to_string().starts_with("cannot read CA certificate "), "{error}");
        assert!(toml::from_str::<OutboundSettings>("open_networks = [\"10.0.0.0/33\"]").is_err());
    }
}
