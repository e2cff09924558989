//! The outbound-call benchmark: what a web-service call costs when an action plugin makes it
//! through the host's `outbound` import, over the same request made by native code.
//!
//! Both call one local HTTPS server (a certificate from a CA of its own, which both trust),
//! over kept-alive connections, and both send the same JSON with the same bearer key and
//! read the same answer. The action is the example credit-check plugin, called as the server
//! calls it (`Plugin::invoke`: a fresh instance, its manifest's rules, the operator's secret,
//! the resolver's address check); the native side is a blocking reqwest client. Rounds
//! alternate between the two, because these machines are shared and noisy, and each side's
//! figure is the median of its rounds.
//!
//! Run with `cargo bench -p wharf --bench outbound`; `cargo test` runs it in quick mode (three
//! rounds of 20 calls). `WHARF_BENCH_CALLS` sets the calls per round (default 500). It ends
//! with `bench: <name> = <value> <unit>` lines.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result, ensure};
use axum::body::Body;
use serde_json::{Value as Json, json};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use wharf::plugin::{NoEntities, Outbound, OutboundSettings, Plugin, Runtime, RuntimeConfig, SecretSource};
use wharf_plugin_sdk::Context;

mod support;
use support::{Report, Scale};

/// The key both sides send; the action's comes from the operator's secret of this value.
const API_KEY: &str = "bench-key-0123456789";

fn main() -> Result<()> {
    let scale = Scale::of_this_run();
    let mut headlines = Report::new(env!("CARGO_CRATE_NAME"), scale);
    let calls: usize = scale.setting("WHARF_BENCH_CALLS", 500, 20)?;
    let rounds = scale.pick(9, 3);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("workspace")?.to_owned();
    let work = root.join("target/bench-plugins");
    eprintln!("building the credit-check plugin ...");
    let wasm = wharf::run::plugin::build(
        &root.join("plugins/credit-check"),
        &work.join("plugins"),
        Some(&work.join("plugins")),
    )?;

    let partner = Partner::start()?;
    let url = format!("https://localhost:{}/v2/credit-checks", partner.port);
    let deployment = tempfile::tempdir()?;
    std::fs::write(deployment.path().join("partner-ca.pem"), &partner.ca_pem)?;
    std::fs::write(deployment.path().join("credit.key"), API_KEY)?;

    let (runtime, plugin) = action(&wasm, deployment.path(), partner.port, &url)?;
    let native = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(partner.ca_pem.as_bytes())?)
        .build()?;

    let ctx = Context { entity: "Customer".into(), ..Context::default() };
    let input = json!({ "customerAccount": "US-001", "amount": "1200.00" });
    let from_action = || -> Result<()> {
        let output = plugin.invoke(&ctx, "checkCredit", &input, &NoEntities)?;
        let output: Json = serde_json::from_str(output.get())?;
        ensure!(output["approved"] == true, "the action answered {output}");
        Ok(())
    };
    let from_native = || -> Result<()> {
        let body = json!({ "customer": "US-001", "amount": "1200.00" });
        let response = native
            .post(&url)
            .header("Authorization", format!("Bearer {API_KEY}"))
            .header("Accept", "application/json")
            .json(&body)
            .send()?;
        ensure!(response.status() == 200, "the partner answered {}", response.status());
        let verdict: Json = response.json()?;
        ensure!(verdict["approved"] == true, "the partner answered {verdict}");
        Ok(())
    };
    // Warm up both: connections open, the component's code paged in.
    for _ in 0..calls.min(20) {
        from_action()?;
        from_native()?;
    }
    let (mut action_rounds, mut native_rounds) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        eprintln!("round {}/{rounds}: {calls} calls each ...", round + 1);
        native_rounds.push(per_call(calls, from_native)?);
        action_rounds.push(per_call(calls, from_action)?);
    }
    let action_us = median(&mut action_rounds);
    let native_us = median(&mut native_rounds);
    let served = partner.served();
    ensure!(served >= (rounds * calls * 2) as u64, "the partner served {served} requests");
    let counted: u64 = runtime.outbound().counts("credit-check").iter().map(|count| count.requests).sum();
    ensure!(counted >= (rounds * calls) as u64, "the host counted {counted} outbound requests");
    println!("native call: {native_us:.1} µs; from the action: {action_us:.1} µs");
    headlines.headline("outbound.native_call_us", native_us, "µs");
    headlines.headline("outbound.action_call_us", action_us, "µs");
    headlines.headline("outbound.call_overhead_us", action_us - native_us, "µs");
    headlines.headline("outbound.action_over_native", action_us / native_us, "x");
    headlines.save()
}

/// The example credit check, allowed `localhost` on the partner's port, granted the key.
fn action(wasm: &Path, deployment: &Path, port: u16, url: &str) -> Result<(Runtime, Plugin)> {
    let manifest = std::fs::read_to_string(wasm.with_extension("toml"))?
        .replace("host = \"credit.partner.example\"", &format!("host = \"localhost\"\nports = [{port}]"))
        .replace("https://credit.partner.example/v2/credit-checks", url);
    let settings: OutboundSettings = toml::from_str(
        r#"
        ca_certificates = ["partner-ca.pem"]
        open_networks = ["127.0.0.0/8", "::1/128"]
        plugins.credit-check.secrets = ["credit_api_key"]
        "#,
    )?;
    let secrets =
        BTreeMap::from([("credit_api_key".to_owned(), SecretSource { env: None, file: Some("credit.key".into()) })]);
    let outbound = Arc::new(Outbound::new(deployment, &settings, &secrets)?);
    let runtime = Runtime::new(&RuntimeConfig { outbound, ..RuntimeConfig::default() }, Arc::new(NoEntities))?;
    let plugin = runtime.load_bytes(&std::fs::read(wasm)?, wharf::plugin::Manifest::parse(&manifest)?)?;
    Ok((runtime, plugin))
}

/// Microseconds per call over `calls` calls of `call`.
fn per_call(calls: usize, mut call: impl FnMut() -> Result<()>) -> Result<f64> {
    let started = Instant::now();
    for _ in 0..calls {
        call()?;
    }
    Ok(started.elapsed().as_secs_f64() * 1e6 / calls as f64)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The partner: an HTTPS server on a free port of 127.0.0.1 that approves every check.
struct Partner {
    port: u16,
    ca_pem: String,
    served: Arc<std::sync::atomic::AtomicU64>,
    _runtime: tokio::runtime::Runtime,
}

impl Partner {
    fn start() -> Result<Partner> {
        let ca_key = rcgen::KeyPair::generate()?;
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Partner Bench CA");
        let ca = ca_params.self_signed(&ca_key)?;
        let key = rcgen::KeyPair::generate()?;
        let certificate = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?
            .signed_by(&key, &rcgen::Issuer::from_params(&ca_params, &ca_key))?;
        #[allow(deprecated, reason = "the ring provider, as the server's own TLS uses")]
        let provider = rustls::crypto::ring::default_provider();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from_pem_slice(certificate.pem().as_bytes())?],
                PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes())?,
            )?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let port = listener.local_addr()?.port();
        let served = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = served.clone();
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, counter) = (acceptor.clone(), counter.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                        let counter = counter.clone();
                        async move {
                            let _ = axum::body::to_bytes(Body::new(request.into_body()), 1 << 16).await;
                            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let verdict = json!({ "approved": true, "limit": "5000.00", "reason": "within limit" });
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .header("Content-Type", "application/json")
                                    .body(Body::from(verdict.to_string()))
                                    .expect("an answer"),
                            )
                        }
                    });
                    let io = hyper_util::rt::TokioIo::new(tls);
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                });
            }
        });
        Ok(Partner { port, ca_pem: ca.pem(), served, _runtime: runtime })
    }

    fn served(&self) -> u64 {
        self.served.load(std::sync::atomic::Ordering::Relaxed)
    }
}
