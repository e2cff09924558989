//! What a plugin may reach: the rules of its manifest's `[outbound]`, the operator's narrowing
//! of them, and the addresses refused whatever the rules say (SSRF).

use std::net::IpAddr;

use anyhow::{Result, bail};
use ipnet::IpNet;
use serde::Deserialize;

/// Requests one call may send, redirects included, whatever a manifest asks: a plugin in a
/// loop must not turn Wharf into a flood against a partner.
const MAX_REQUESTS: u32 = 64;

/// The largest answer a manifest may accept, in KiB. The answer is held in the host and then
/// copied into the plugin's memory, which its own limit caps again.
const MAX_RESPONSE_KIB: u32 = 64 * 1024;

/// A manifest's `[outbound]` table: the web services a mapper or action may call, and the
/// caps on those calls. Empty (the default), nothing may be called.
///
/// ```toml
/// [outbound]
/// max_requests = 4          # per call, redirects included (default 4, at most 64)
/// timeout_ms = 2000         # per request; never past the call's own time limit
/// max_response_kib = 256    # default 1024
///
/// [[outbound.allow]]
/// host = "credit.partner.example"
/// ports = [443]             # default [443]
/// methods = ["POST"]        # default ["GET"]
/// paths = ["/v2/credit-checks"]   # path prefixes, default ["/"]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Permissions {
    /// What may be called; a request must match one rule.
    pub allow: Vec<Rule>,
    /// Requests one call may send, each redirect counted.
    pub max_requests: u32,
    /// How long one request may take, from connecting to the last byte of the answer; the
    /// call's own time limit still ends it first when it comes sooner.
    pub timeout_ms: Option<u64>,
    /// The largest answer body accepted, in KiB.
    pub max_response_kib: u32,
}

impl Default for Permissions {
    fn default() -> Self {
        Permissions { allow: Vec::new(), max_requests: 4, timeout_ms: None, max_response_kib: 1024 }
    }
}

impl Permissions {
    /// Refuses caps past the host's and rules that could never match.
    pub fn check(&self) -> Result<()> {
        if self.max_requests == 0 || self.max_requests > MAX_REQUESTS {
            bail!("outbound.max_requests must be between 1 and {MAX_REQUESTS}");
        }
        if self.max_response_kib == 0 || self.max_response_kib > MAX_RESPONSE_KIB {
            bail!("outbound.max_response_kib must be between 1 and {MAX_RESPONSE_KIB}");
        }
        if self.timeout_ms == Some(0) {
            bail!("outbound.timeout_ms must be more than 0");
        }
        for rule in &self.allow {
            rule.check("outbound.allow")?;
        }
        Ok(())
    }

    /// The largest answer body, in bytes.
    pub fn max_response_bytes(&self) -> u64 {
        u64::from(self.max_response_kib) * 1024
    }
}

/// One web service a plugin may call: a host, and the ports, methods and path prefixes
/// allowed on it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The host name (or IP address) exactly as the URL names it, in any case.
    pub host: String,
    /// Ports; `[443]` when left out.
    #[serde(default = "Rule::default_ports")]
    pub ports: Vec<u16>,
    /// Methods, upper case; `["GET"]` when left out.
    #[serde(default = "Rule::default_methods")]
    pub methods: Vec<String>,
    /// Path prefixes: `/v2/checks` allows `/v2/checks` and `/v2/checks/...`, not
    /// `/v2/checks-admin`; one ending in `/` allows everything under it. `["/"]` when left out.
    #[serde(default = "Rule::default_paths")]
    pub paths: Vec<String>,
}

impl Rule {
    fn default_ports() -> Vec<u16> {
        vec![443]
    }

    fn default_methods() -> Vec<String> {
        vec!["GET".into()]
    }

    fn default_paths() -> Vec<String> {
        vec!["/".into()]
    }

    /// Refuses a rule that names no host, a wildcard, or paths that are not absolute.
    pub fn check(&self, at: &str) -> Result<()> {
        let host = &self.host;
        if host.is_empty() || (host.contains(['*', '/', ':', '@', ' ']) && host.parse::<IpAddr>().is_err()) {
            bail!("{at}: host '{host}' must be a host name or an IP address, without scheme, port or wildcard");
        }
        if self.ports.is_empty() || self.methods.is_empty() || self.paths.is_empty() {
            bail!("{at}: host {host} lists no ports, methods or paths; leave a key out for its default");
        }
        if let Some(method) = self.methods.iter().find(|method| !is_method(method)) {
            bail!("{at}: host {host}: method '{method}' is not an upper-case HTTP method");
        }
        if let Some(path) = self.paths.iter().find(|path| !path.starts_with('/')) {
            bail!("{at}: host {host}: path '{path}' must start with '/'");
        }
        Ok(())
    }

    /// Whether this rule allows `method` on `host`, `port` and `path`.
    pub fn allows(&self, method: &str, host: &str, port: u16, path: &str) -> bool {
        self.host.eq_ignore_ascii_case(host)
            && self.ports.contains(&port)
            && self.methods.iter().any(|allowed| allowed == method)
            && self.paths.iter().any(|prefix| path_under(path, prefix))
    }
}

fn is_method(method: &str) -> bool {
    !method.is_empty() && method.bytes().all(|byte| byte.is_ascii_uppercase())
}

/// Whether `path` is `prefix` or lies under it, segment-wise.
fn path_under(path: &str, prefix: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Why `address` is refused unless the operator opened a network holding it: loopback,
/// private, link-local (the cloud metadata service at 169.254.169.254 among them), shared,
/// unspecified, broadcast, multicast or reserved. `None` for a public address or one in
/// `open`.
pub fn refusal(address: IpAddr, open: &[IpNet]) -> Option<&'static str> {
    // An IPv4 address written as IPv6 (`::ffff:127.0.0.1`) is judged as what it is.
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    };
    if open.iter().any(|network| network.contains(&address)) {
        return None;
    }
    let why = match address {
        IpAddr::V4(v4) => {
            let [first, second, ..] = v4.octets();
            if v4.is_loopback() {
                "a loopback address"
            } else if v4.is_private() {
                "a private address"
            } else if v4.is_link_local() {
                "a link-local address"
            } else if first == 100 && (64..128).contains(&second) {
                "a shared (carrier-grade NAT) address"
            } else if first == 0 || v4.is_broadcast() || first >= 240 {
                "a reserved address"
            } else if v4.is_multicast() {
                "a multicast address"
            } else {
                return None;
            }
        }
        IpAddr::V6(v6) => {
            if v6.is_loopback() {
                "a loopback address"
            } else if v6.is_unspecified() {
                "a reserved address"
            } else if v6.is_unique_local() {
                "a private address"
            } else if v6.is_unicast_link_local() {
                "a link-local address"
            } else if v6.is_multicast() {
                "a multicast address"
            } else {
                return None;
            }
        }
    };
    Some(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> Rule {
        Rule {
            host: "credit.partner.example".into(),
            ports: vec![443],
            methods: vec!["POST".into()],
            paths: vec!["/v2/checks".into(), "/files/".into()],
        }
    }

    #[test]
    fn a_rule_allows_its_paths_segment_wise_and_nothing_beside_them() {
        let rule = rule();
        assert!(rule.allows("POST", "Credit.Partner.Example", 443, "/v2/checks"));
        assert!(rule.allows("POST", "credit.partner.example", 443, "/v2/checks/42"));
        assert!(rule.allows("POST", "credit.partner.example", 443, "/files/a/b"));
        assert!(!rule.allows("POST", "credit.partner.example", 443, "/v2/checks-admin"));
        assert!(!rule.allows("POST", "credit.partner.example", 443, "/files"));
        assert!(!rule.allows("GET", "credit.partner.example", 443, "/v2/checks"));
        assert!(!rule.allows("POST", "credit.partner.example", 8443, "/v2/checks"));
        assert!(!rule.allows("POST", "partner.example", 443, "/v2/checks"));
    }

    #[test]
    fn rules_with_wildcards_urls_or_lower_case_methods_are_refused() {
        let mut bad = rule();
        bad.host = "*.partner.example".into();
        assert!(bad.check("outbound.allow").is_err());
        let mut bad = rule();
        bad.host = "https://partner.example".into();
        assert!(bad.check("outbound.allow").is_err());
        let mut bad = rule();
        bad.methods = vec!["post".into()];
        assert!(bad.check("outbound.allow").is_err());
        let mut bad = rule();
        bad.paths = vec!["v2".into()];
        assert!(bad.check("outbound.allow").is_err());
        let mut ip = rule();
        ip.host = "::1".into();
        assert!(ip.check("outbound.allow").is_ok());
    }

    #[test]
    fn private_loopback_and_link_local_addresses_are_refused_unless_opened() {
        let refused = |text: &str| refusal(text.parse().expect("an address"), &[]);
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(refused(address).is_some(), "{address} is refused");
        }
        for address in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"] {
            assert_eq!(refused(address), None, "{address} is public");
        }
        let open: Vec<IpNet> = vec!["127.0.0.0/8".parse().expect("a network")];
        assert_eq!(refusal("127.0.0.2".parse().expect("an address"), &open), None);
        assert!(refusal("10.0.0.1".parse().expect("an address"), &open).is_some());
    }

    #[test]
    fn manifests_give_outbound_rules_to_mappers_and_actions_only_within_the_hosts_caps() {
        let manifest = |roles: &str, outbound: &str| {
            crate::plugin::Manifest::parse(&format!(
                "name = \"p\"\nversion = \"1\"\nroles = [{roles}]\nentities = [\"E\"]\n{outbound}"
            ))
        };
        let rule = "[[outbound.allow]]\nhost = \"api.example\"\n";
        let mapper = manifest("\"mapper\"", rule).expect("a mapper may call out");
        assert_eq!(mapper.outbound.allow[0].ports, vec![443]);
        assert_eq!(mapper.outbound.max_requests, 4);
        let error = manifest("\"filter\"", rule).expect_err("a filter may not");
        assert_eq!(error.to_string(), "[outbound] is for mappers and actions; this plugin is neither");
        let error = manifest("\"mapper\"", "[outbound]\nmax_requests = 1000\n").expect_err("over the cap");
        assert_eq!(error.to_string(), "outbound.max_requests must be between 1 and 64");
        assert!(manifest("\"mapper\"", "[outbound]\nsecret = \"abc\"\n").is_err(), "no secrets in manifests");
    }
}
