//! Plugins calling web services: a real server runs the credit-check action against a
//! partner's credit service over HTTPS on a local port, whose certificate comes from a CA the
//! deployment trusts (`[outbound] ca_certificates`). What the manifest and the operator allow
//! is reached, with the operator's secret in its header; everything else is refused before a
//! byte is sent, and every answer is bounded in time and size.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{Value as Json, json};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use wharf_tests::install;

use crate::server::{FABRIKAM, OPS, TestServer};
use crate::services::{get, message, post};

/// The partner's API key, as the operator keeps it in a file of the deployment.
const API_KEY: &str = "ck_live_7f3a9c21e4b84d0f";

const CHECK: &str = "/api/services/CreditServices/CreditCheckService/checkCredit";

/// What the partner's service saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
}

/// A partner's credit service on a free port of 127.0.0.1, over TLS with a certificate for
/// `localhost` and `127.0.0.1` issued by a CA of the partner's own. The customer account in a
/// request picks how it answers (see `answer`).
struct Partner {
    port: u16,
    ca_pem: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    _runtime: tokio::runtime::Runtime,
}

impl Partner {
    fn start() -> Partner {
        let ca_key = rcgen::KeyPair::generate().expect("a CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Partner Test CA");
        ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::DigitalSignature];
        let ca = ca_params.self_signed(&ca_key).expect("the CA certificate");
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let key = rcgen::KeyPair::generate().expect("a server key");
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("server parameters");
        let certificate = params.signed_by(&key, &issuer).expect("the server certificate");

        #[allow(deprecated, reason = "the ring provider, as the server's own TLS uses")]
        let provider = rustls::crypto::ring::default_provider();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from_pem_slice(certificate.pem().as_bytes()).expect("a PEM certificate")],
                PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).expect("a PEM key"),
            )
            .expect("a TLS configuration");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("a free port");
        let port = listener.local_addr().expect("an address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen_by_server = seen.clone();
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, seen) = (acceptor.clone(), seen_by_server.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let service = hyper::service::service_fn(move |request| answer(request, port, seen.clone()));
                    let io = hyper_util::rt::TokioIo::new(tls);
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                });
            }
        });
        Partner { port, ca_pem: ca.pem(), seen, _runtime: runtime }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("the partner's log").clone()
    }
}

/// The credit service. Customer `SLOW` waits 3 s; `HUGE` answers 1 MiB with its length,
/// `HUGE-STREAM` 1 MiB in chunks; `ESCAPE` redirects to the same service under its address
/// (a host no rule names); `MOVED` redirects within the allowed path, `LOOP` to itself;
/// `ECHO` refuses the key and quotes it back. Any other customer with the right key is
/// approved up to 5,000.
async fn answer(
    request: Request<Incoming>,
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> Result<Response<Body>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(Body::new(body), 1 << 20).await.unwrap_or_default();
    let request: Json = serde_json::from_slice(&body).unwrap_or(Json::Null);
    let authorization = parts.headers.get("authorization").and_then(|value| value.to_str().ok()).map(str::to_owned);
    seen.lock().expect("the partner's log").push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        authorization: authorization.clone(),
    });
    let redirect = |status: u16, location: String| {
        Response::builder().status(status).header("Location", location).body(Body::empty()).expect("a redirect")
    };
    let json = |status: u16, body: Json| {
        Response::builder()
            .status(status)
            .header("Content-Type", "application/json")
            .body(Body::from(body.to_string()))
            .expect("an answer")
    };
    let customer = request["customer"].as_str().unwrap_or_default();
    let response = match customer {
        "ECHO" => json(401, json!({ "error": format!("key {} is not valid", authorization.unwrap_or_default()) })),
        _ if authorization.as_deref() != Some(&format!("Bearer {API_KEY}")) => json(401, json!({ "error": "no key" })),
        "SLOW" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            json(200, json!({ "approved": true, "limit": "5000.00" }))
        }
        "HUGE" => json(200, json!({ "approved": true, "padding": "x".repeat(1 << 20) })),
        "HUGE-STREAM" => {
            let chunks = (0..256).map(|_| Ok::<_, Infallible>(vec![b' '; 4096]));
            let body = Body::from_stream(futures_util::stream::iter(chunks));
            Response::builder().status(200).body(body).expect("a streamed answer")
        }
        "ESCAPE" => redirect(302, format!("https://127.0.0.1:{port}/v2/credit-checks")),
        "MOVED" if parts.uri.path() == "/v2/credit-checks" => redirect(307, "/v2/credit-checks/eu".to_owned()),
        "LOOP" => redirect(307, "/v2/credit-checks".to_owned()),
        _ => {
            let amount: f64 = request["amount"].as_str().and_then(|amount| amount.parse().ok()).unwrap_or(f64::MAX);
            let approved = amount <= 5000.0;
            let reason = if approved { "within limit" } else { "over limit" };
            json(200, json!({ "approved": approved, "limit": "5000.00", "reason": reason }))
        }
    };
    Ok(response)
}

/// A server whose deployment trusts the partner's CA, keeps the API key in a file and grants
/// it to the credit-check plugins (all but `credit-check-ungranted`) and, with
/// `open_loopback`, opens the loopback networks (where the partner runs) to them. The
/// plugins, each the example with its rule and URL pointed at the partner:
///
/// | plugin                     | service              | rule's host | URL's host |
/// |----------------------------|----------------------|-------------|------------|
/// | `credit-check`             | `CreditCheckService` | localhost   | localhost  |
/// | `credit-check-elsewhere`   | `ElsewhereService`   | localhost   | 127.0.0.1  |
/// | `credit-check-by-address`  | `ByAddressService`   | 127.0.0.1   | 127.0.0.1  |
/// | `credit-check-narrowed`    | `NarrowedService`    | localhost   | localhost  |
/// | `credit-check-patient`     | `PatientService`     | localhost   | localhost  |
/// | `credit-check-ungranted`   | `UngrantedService`   | localhost   | localhost  |
///
/// The operator allows `credit-check-narrowed` only `/v3/`; `credit-check-patient` sets no
/// request timeout of its own.
fn credit_server(partner: &Partner, open_loopback: bool) -> TestServer {
    let mut server = TestServer::start();
    let dir = server.dir.path().to_owned();
    std::fs::write(dir.join("partner-ca.pem"), &partner.ca_pem).expect("the CA certificate");
    std::fs::write(dir.join("credit.key"), format!("{API_KEY}\n")).expect("the key");
    let port = partner.port;
    let plugins = dir.join("plugins");
    // One action plugin serves an entity, so each variant names another.
    let variants = [
        ("credit-check", "CreditCheckService", "localhost", "localhost", "Customer"),
        ("credit-check-elsewhere", "ElsewhereService", "localhost", "127.0.0.1", "CustomerGroup"),
        ("credit-check-by-address", "ByAddressService", "127.0.0.1", "127.0.0.1", "ReleasedProduct"),
        ("credit-check-narrowed", "NarrowedService", "localhost", "localhost", "PurchaseOrderHeader"),
        ("credit-check-patient", "PatientService", "localhost", "localhost", "PurchaseOrderLine"),
        ("credit-check-ungranted", "UngrantedService", "localhost", "localhost", "SalesOrderLine"),
    ];
    let mut grants = String::new();
    for (name, service, rule_host, url_host, entity) in variants {
        install("credit-check", &plugins, name, |manifest| {
            let manifest = manifest
                .replace("entities = [\"Customer\"]", &format!("entities = [\"{entity}\"]"))
                .replace("host = \"credit.partner.example\"", &format!("host = \"{rule_host}\"\nports = [{port}]"))
                .replace("credit.partner.example", &format!("{url_host}:{port}"))
                .replace("CreditServices/CreditCheckService", &format!("CreditServices/{service}"));
            if name == "credit-check-patient" { manifest.replace("timeout_ms = 800", "") } else { manifest }
        });
        let narrowed =
            format!("allow = [{{ host = \"localhost\", ports = [{port}], methods = [\"POST\"], paths = [\"/v3/\"] }}]");
        match name {
            "credit-check-ungranted" => {}
            "credit-check-narrowed" => {
                grants.push_str(&format!("\n[outbound.plugins.{name}]\n{narrowed}\nsecrets = [\"credit_api_key\"]\n"))
            }
            _ => grants.push_str(&format!("\n[outbound.plugins.{name}]\nsecrets = [\"credit_api_key\"]\n")),
        }
    }
    let open = if open_loopback { "open_networks = [\"127.0.0.0/8\", \"::1/128\"]" } else { "" };
    let settings = format!(
        "\n[outbound]\nca_certificates = [\"partner-ca.pem\"]\n{open}\n{grants}\n[secrets]\ncredit_api_key = {{ file = \"credit.key\" }}\n"
    );
    let mut text = std::fs::read_to_string(dir.join("wharf.toml")).expect("the settings");
    text.push_str(&settings);
    std::fs::write(dir.join("wharf.toml"), text).expect("the settings");
    server.restart();
    server
}

/// Calls `service`'s checkCredit for `customer` and `amount`.
fn check(server: &TestServer, service: &str, customer: &str, amount: &str) -> (u16, Json) {
    let path = CHECK.replace("CreditCheckService", service);
    post(server, FABRIKAM, &path, &json!({ "customerAccount": customer, "amount": amount }).to_string())
}

/// The outbound counts of plugin `name` in `/manage/plugins`, by host.
fn counts(server: &TestServer, name: &str) -> Json {
    let (status, plugins) = get(server, OPS, "/manage/plugins");
    assert_eq!(status, 200, "{plugins}");
    let file = format!("{name}.wasm");
    let plugin = plugins["value"].as_array().expect("plugins").iter().find(|plugin| plugin["file"] == file.as_str());
    plugin.unwrap_or_else(|| panic!("no {file} in {plugins}"))["outbound"].clone()
}

#[test]
fn a_credit_check_reaches_the_partner_with_the_operators_secret_and_is_counted() {
    let partner = Partner::start();
    let server = credit_server(&partner, true);
    let (status, body) = check(&server, "CreditCheckService", "US-001", "1200.00");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["approved"], true, "{body}");
    assert_eq!(body["creditLimit"], "5000.00", "{body}");
    let (status, body) = check(&server, "CreditCheckService", "US-002", "9000.00");
    assert_eq!((status, &body["approved"]), (200, &json!(false)), "{body}");

    let seen = partner.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!((seen[0].method.as_str(), seen[0].path.as_str()), ("POST", "/v2/credit-checks"));
    // The key went in the header; the plugin never had it.
    assert_eq!(seen[0].authorization.as_deref(), Some(format!("Bearer {API_KEY}").as_str()));
    let counted = counts(&server, "credit-check");
    let localhost = &counted[0];
    assert_eq!(counted.as_array().map(Vec::len), Some(1), "{counted}");
    assert_eq!((&localhost["host"], &localhost["requests"]), (&json!("localhost"), &json!(2)), "{counted}");
    assert_eq!((&localhost["denied"], &localhost["failed"]), (&json!(0), &json!(0)), "{counted}");
    assert!(localhost["bytes_received"].as_u64().is_some_and(|bytes| bytes > 80), "two verdicts: {counted}");

    // An address in the URL is reached when the rule names it and the operator opened it.
    let (status, body) = check(&server, "ByAddressService", "US-003", "10");
    assert_eq!((status, &body["approved"]), (200, &json!(true)), "{body}");
}

#[test]
fn hosts_and_paths_outside_the_manifest_or_the_operators_rules_are_denied_before_sending() {
    let partner = Partner::start();
    let server = credit_server(&partner, true);

    let (status, body) = check(&server, "ElsewhereService", "US-001", "10");
    assert_eq!(status, 400, "{body}");
    let port = partner.port;
    assert_eq!(
        message(&body),
        format!(
            "request denied: POST https://127.0.0.1:{port}/v2/credit-checks is not allowed by the manifest of \
             plugin credit-check-elsewhere ([[outbound.allow]])"
        )
    );

    let (status, body) = check(&server, "NarrowedService", "US-001", "10");
    assert_eq!(status, 400, "{body}");
    assert!(
        message(&body).ends_with("is not allowed by this deployment ([outbound.plugins.credit-check-narrowed])"),
        "{body}"
    );

    assert!(partner.seen().is_empty(), "nothing reached the partner: {:?}", partner.seen());
    let denied = json!([{ "host": "127.0.0.1", "requests": 0, "denied": 1, "failed": 0, "bytes_received": 0 }]);
    assert_eq!(counts(&server, "credit-check-elsewhere"), denied);
}

#[test]
fn a_name_resolving_to_a_loopback_address_is_denied_unless_the_operator_opens_it() {
    let partner = Partner::start();
    let server = credit_server(&partner, false);
    let (status, body) = check(&server, "CreditCheckService", "US-001", "10");
    assert_eq!(status, 400, "{body}");
    // The rule allows the name; the address it resolves to is what is refused.
    let refused = message(&body);
    assert!(refused.starts_with("request denied: localhost resolves to "), "{refused}");
    assert!(refused.ends_with("a loopback address, which this deployment does not open to plugins"), "{refused}");
    // An address written in the URL is judged the same, without a resolver.
    let (status, body) = check(&server, "ByAddressService", "US-001", "10");
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        message(&body),
        "request denied: 127.0.0.1 is a loopback address, which this deployment does not open to plugins"
    );
    assert!(partner.seen().is_empty(), "nothing reached the partner: {:?}", partner.seen());
}

#[test]
fn redirects_are_followed_only_within_the_allow_list_and_the_request_budget() {
    let partner = Partner::start();
    let server = credit_server(&partner, true);
    let port = partner.port;

    let (status, body) = check(&server, "CreditCheckService", "ESCAPE", "10");
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        message(&body),
        format!(
            "request denied: https://localhost:{port}/v2/credit-checks redirected to \
             https://127.0.0.1:{port}/v2/credit-checks, which is refused: GET \
             https://127.0.0.1:{port}/v2/credit-checks is not allowed by the manifest of plugin credit-check \
             ([[outbound.allow]])"
        )
    );
    assert_eq!(partner.seen().len(), 1, "the redirect was not followed");

    // Within the allowed path on the same origin, a 307 repeats the request, key included.
    let (status, body) = check(&server, "CreditCheckService", "MOVED", "10");
    assert_eq!((status, &body["approved"]), (200, &json!(true)), "{body}");
    let seen = partner.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!((seen[2].method.as_str(), seen[2].path.as_str()), ("POST", "/v2/credit-checks/eu"));
    assert_eq!(seen[2].authorization.as_deref(), Some(format!("Bearer {API_KEY}").as_str()));

    // A redirect to itself stops at the manifest's two requests a call.
    let (status, body) = check(&server, "CreditCheckService", "LOOP", "10");
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).starts_with("request budget spent: POST"), "{body}");
    assert!(message(&body).ends_with("this call has sent its 2 requests (outbound.max_requests, redirects included)"));
    assert_eq!(partner.seen().len(), 5);
}

#[test]
fn a_slow_partner_is_cut_off_by_the_request_timeout_or_else_by_the_calls_time_limit() {
    let partner = Partner::start();
    let server = credit_server(&partner, true);

    // The manifest's 800 ms: the plugin gets a timeout in time to answer for review.
    let started = Instant::now();
    let (status, body) = check(&server, "CreditCheckService", "SLOW", "10");
    let elapsed = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert_eq!((&body["approved"], &body["review"]), (&json!(false), &json!(true)), "{body}");
    assert!(body["reason"].as_str().expect("a reason").contains("within 800 ms (outbound.timeout_ms)"), "{body}");
    assert!(elapsed < Duration::from_millis(1900), "answered in {elapsed:?}, within the call's 2 s");

    // Without a request timeout, the call's own 2 s limit ends the wait, and the call.
    let started = Instant::now();
    let (status, body) = check(&server, "PatientService", "SLOW", "10");
    let elapsed = started.elapsed();
    assert_eq!(status, 500, "{body}");
    assert!(message(&body).contains("at its time limit of 2000 ms"), "{body}");
    assert!(elapsed < Duration::from_millis(2900), "stopped in {elapsed:?}");
}

#[test]
fn an_answer_over_the_manifests_cap_is_refused_whether_its_length_is_told_or_not() {
    let partner = Partner::start();
    let server = credit_server(&partner, true);
    let port = partner.port;
    let (status, body) = check(&server, "CreditCheckService", "HUGE", "10");
    assert_eq!(status, 400, "{body}");
    assert!(
        message(&body)
            .starts_with(&format!("answer too large: POST https://localhost:{port}/v2/credit-checks answered 10")),
        "{body}"
    );
    assert!(message(&body).ends_with("over the 64 KiB this plugin accepts (outbound.max_response_kib)"), "{body}");
    let (status, body) = check(&server, "CreditCheckService", "HUGE-STREAM", "10");
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("answered more than 65536 bytes"), "{body}");
    let counted = &counts(&server, "credit-check")[0];
    assert_eq!((&counted["requests"], &counted["failed"]), (&json!(2), &json!(2)), "{counted}");
}

#[test]
fn a_secret_the_partner_echoes_back_is_redacted_from_what_the_caller_sees() {
    let partner = Partner::start();
    let server = credit_server(&partner, true);
    let (status, body) = check(&server, "CreditCheckService", "ECHO", "10");
    assert_eq!(status, 400, "{body}");
    assert_eq!(message(&body), r#"the credit service answered 401: {"error":"key Bearer [redacted] is not valid"}"#);
    assert_eq!(partner.seen()[0].authorization.as_deref(), Some(format!("Bearer {API_KEY}").as_str()));
    let (_, plugins) = get(&server, OPS, "/manage/plugins");
    assert!(!plugins.to_string().contains(API_KEY));
}

#[test]
fn a_secret_the_operator_did_not_grant_is_refused_before_anything_is_sent() {
    let partner = Partner::start();
    let server = credit_server(&partner, true);
    let (status, body) = check(&server, "UngrantedService", "US-001", "10");
    assert_eq!(status, 400, "{body}");
    assert_eq!(message(&body), "request denied: secret credit_api_key is not granted to plugin credit-check-ungranted");
    assert!(partner.seen().is_empty(), "nothing reached the partner: {:?}", partner.seen());
}

/// Set in a child process: the arguments of `wharf plugin run`, one a line.
const RUN_CHILD: &str = "WHARF_TEST_OUTBOUND_PLUGIN_RUN";

/// The child's half of the log test: `wharf plugin run` with `wharf`'s log on stderr. Does
/// nothing in a normal run.
#[test]
fn outbound_child_runs_a_plugin_from_the_command_line() {
    let Some(args) = std::env::var_os(RUN_CHILD) else { return };
    let args = args.into_string().expect("arguments are UTF-8");
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(false).init();
    let argv = ["wharf", "plugin", "run"].into_iter().map(str::to_owned).chain(args.lines().map(str::to_owned));
    if let Err(failure) = wharf::run::execute(argv, &mut std::io::stdout()) {
        eprintln!("wharf plugin run failed: {:#}", failure.error);
    }
}

#[test]
fn secrets_stay_out_of_the_log_while_every_request_is_logged() {
    let partner = Partner::start();
    let server = credit_server(&partner, true);
    let input = server.dir.path().join("echo.json");
    std::fs::write(&input, json!({ "customerAccount": "ECHO", "amount": "10" }).to_string()).expect("the input");
    let plugin = server.dir.path().join("plugins/credit-check.wasm");
    let args = format!("{}\n--input\n{}", plugin.display(), input.display());
    let child = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", "outbound::outbound_child_runs_a_plugin_from_the_command_line", "--nocapture"])
        .env(RUN_CHILD, args)
        .output()
        .expect("the child runs");
    let (stdout, log) = (String::from_utf8_lossy(&child.stdout), String::from_utf8_lossy(&child.stderr));
    // The key reached the partner, which quoted it back; the plugin logged the quote.
    assert_eq!(partner.seen()[0].authorization.as_deref(), Some(format!("Bearer {API_KEY}").as_str()));
    assert!(log.contains("credit check for ECHO: the credit service answered 401"), "{log}");
    assert!(log.contains("key Bearer [redacted] is not valid"), "{log}");
    assert!(log.contains("outbound request") && log.contains("host=localhost") && log.contains("status=401"), "{log}");
    assert!(!log.contains(API_KEY) && !stdout.contains(API_KEY), "the key was printed:\n{stdout}\n{log}");
}

#[test]
fn plugin_check_shows_what_a_plugin_may_call() {
    let (exit, out) = crate::cli::wharf(&["plugin", "check", crate::cli::path(&wharf_tests::plugin("credit-check"))]);
    assert_eq!(exit, wharf::run::Exit::Success, "{out}");
    assert!(out.contains("outbound  POST https://credit.partner.example:443 /v2/credit-checks\n"), "{out}");
}
