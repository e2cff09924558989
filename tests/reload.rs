//! Hot reload from a watched directory: a new version swaps in under concurrent calls with no
//! failed call, a broken version (or one that cannot start) never replaces a working one,
//! deleting unloads, and the previous version can be restored; in the library and in a real
//! server, whose management API shows what serves and why a version was refused.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wharf::plugin::{Registry, Role, Watcher};
use wharf::run::{Exit, execute};
use wharf_plugin_sdk::{Context, ValueRef};
use wharf_tests::{install, plugin, runtime};

use crate::server::{FABRIKAM, OPS, TestServer};

const DEBOUNCE: Duration = Duration::from_millis(50);

/// Waits until `done` holds, failing the test after 20 s.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The account a customer mapper makes of `c1`: its prefix tells the version apart.
fn account(registry: &Registry) -> Result<String, String> {
    let plugin = registry.get("Customer", Role::Mapper).ok_or("no customer mapper")?;
    let mapped = plugin.map(&Context::default(), &wharf_tests::one_customer()).map_err(|error| error.to_string())?;
    let batch = &mapped.outputs[0].batch;
    if let Some(error) = mapped.errors.first() {
        return Err(error.message.clone());
    }
    match batch.row(0).and_then(|row| row.get("CustomerAccount")) {
        Some(ValueRef::String(account)) => Ok(account.to_owned()),
        other => Err(format!("unexpected account {other:?}")),
    }
}

/// A plugin directory with the customer mapper at version 1.0.0 (prefix `V1-`), watched.
fn watched_directory() -> (tempfile::TempDir, Arc<Registry>, Watcher) {
    let dir = tempfile::tempdir().expect("tempdir");
    install_version(dir.path(), "1.0.0", "V1-");
    let registry = Arc::new(Registry::new(runtime().clone()));
    for (file, result) in registry.load_dir(dir.path()).expect("directory") {
        result.unwrap_or_else(|error| panic!("{}: {error:#}", file.display()));
    }
    let watcher = Watcher::start(registry.clone(), dir.path(), DEBOUNCE).expect("watcher");
    (dir, registry, watcher)
}

/// Installs the customer mapper as `version` with `prefix`, writing by rename as an operator
/// (or `wharf plugin build`) would.
fn install_version(dir: &Path, version: &str, prefix: &str) {
    let staging = tempfile::tempdir_in(dir.parent().expect("parent")).expect("staging");
    let wasm = install("customer-csv-mapper", staging.path(), "customers", |manifest| {
        manifest
            .replace("version = \"1.0.0\"", &format!("version = \"{version}\""))
            .replace("\"NW-\"", &format!("\"{prefix}\""))
    });
    std::fs::rename(wasm.with_extension("toml"), dir.join("customers.toml")).expect("manifest");
    std::fs::rename(&wasm, dir.join("customers.wasm")).expect("component");
}

#[test]
fn a_new_version_swaps_in_under_concurrent_calls_with_no_failed_call() {
    let (dir, registry, _watcher) = watched_directory();
    assert_eq!(account(&registry).as_deref(), Ok("V1-C1"));
    let stop = AtomicBool::new(false);
    let (calls, failures, new_version_seen) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicBool::new(false));
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    match account(&registry) {
                        Ok(account) if account == "V2-C1" => new_version_seen.store(true, Ordering::Relaxed),
                        Ok(account) => assert_eq!(account, "V1-C1"),
                        Err(error) => {
                            eprintln!("failed call: {error}");
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        eventually("calls are flowing", || calls.load(Ordering::Relaxed) > 20);
        install_version(dir.path(), "2.0.0", "V2-");
        eventually("version 2 serves", || new_version_seen.load(Ordering::Relaxed));
        let at_swap = calls.load(Ordering::Relaxed);
        eventually("calls go on after the swap", || calls.load(Ordering::Relaxed) > at_swap + 20);
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(failures.load(Ordering::Relaxed), 0, "of {} calls", calls.load(Ordering::Relaxed));
    assert_eq!(registry.get("Customer", Role::Mapper).map(|p| p.id().to_owned()).as_deref(), Some("customers@2.0.0"));
}

#[test]
fn a_broken_new_version_leaves_the_old_one_serving_and_records_why() {
    let (dir, registry, _watcher) = watched_directory();
    let staged = dir.path().parent().expect("parent").join(format!("broken-{}.wasm", std::process::id()));
    std::fs::write(&staged, b"\0asm\x0d\0\x01\0 not a component").expect("write");
    std::fs::rename(&staged, dir.path().join("customers.wasm")).expect("rename");
    eventually("the failure is recorded", || registry.status().iter().any(|status| status.failure.is_some()));
    let status = &registry.status()[0];
    assert!(
        status.failure.as_ref().expect("failure").reason.contains("not a valid WebAssembly component"),
        "{status:?}"
    );
    assert_eq!(status.current.as_deref(), Some("customers@1.0.0"));
    assert_eq!(account(&registry).as_deref(), Ok("V1-C1"));
}

#[test]
fn deleting_unloads_and_the_previous_version_can_be_restored() {
    let (dir, registry, _watcher) = watched_directory();
    install_version(dir.path(), "2.0.0", "V2-");
    eventually("version 2 serves", || account(&registry).as_deref() == Ok("V2-C1"));

    std::fs::remove_file(dir.path().join("customers.wasm")).expect("delete");
    eventually("the plugin is unloaded", || registry.get("Customer", Role::Mapper).is_none());
    assert_eq!(account(&registry), Err("no customer mapper".into()));

    registry.restore("customers").expect("restore the deleted version");
    assert_eq!(account(&registry).as_deref(), Ok("V2-C1"));
    let error = registry.restore("customers").expect_err("nothing before the restored version");
    assert!(error.to_string().contains("has no previous version"), "{error}");
}

#[test]
fn restore_brings_back_the_version_before_an_update() {
    let (dir, registry, _watcher) = watched_directory();
    install_version(dir.path(), "2.0.0", "V2-");
    eventually("version 2 serves", || account(&registry).as_deref() == Ok("V2-C1"));
    let restored = registry.restore("customers").expect("restore");
    assert_eq!(restored.id(), "customers@1.0.0");
    assert_eq!(account(&registry).as_deref(), Ok("V1-C1"));
    assert!(registry.restore("nobody").expect_err("unknown").to_string().contains("no plugin called nobody"));
}

#[test]
fn a_watch_starts_from_the_directory_as_it_is_and_does_not_retry_what_it_refused_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    install_version(dir.path(), "1.0.0", "V1-");
    let broken = dir.path().join("broken.wasm");
    std::fs::write(&broken, b"\0asm\x0d\0\x01\0 not a component").expect("write");
    std::fs::copy(dir.path().join("customers.toml"), broken.with_extension("toml")).expect("manifest");
    let registry = Arc::new(Registry::new(runtime().clone()));
    let loaded: Vec<bool> = registry.load_dir(dir.path()).expect("directory").iter().map(|(_, r)| r.is_ok()).collect();
    assert_eq!(loaded, [false, true], "broken.wasm, then customers.wasm");
    let refused_at = registry.status()[0].last_refusal.as_ref().expect("the refusal").at;

    // Changed between the first load and the watch: no event will say so.
    install_version(dir.path(), "2.0.0", "V2-");
    let _watcher = Watcher::start(registry.clone(), dir.path(), DEBOUNCE).expect("watcher");
    assert_eq!(account(&registry).as_deref(), Ok("V2-C1"), "the new version serves once the watch has started");
    let status = registry.status();
    assert_eq!(status[0].last_refusal.as_ref().map(|refusal| refusal.at), Some(refused_at), "{status:?}");
}

#[test]
fn a_version_that_cannot_start_within_its_memory_limit_is_refused_by_reload_and_by_plugin_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = install("company-filter", dir.path(), "cramped-filter", |manifest| {
        format!("{manifest}\n[limits]\nmemory_mib = 1\n")
    });
    let registry = Registry::new(runtime().clone());
    let error = registry.load_file(&wasm).expect_err("a component needing more than 1 MiB at start is refused");
    let reason = format!("{error:#}");
    assert!(reason.contains("cannot start within its limits"), "{reason}");
    assert!(reason.contains("stopped at its memory limit of 1 MiB"), "{reason}");
    let status = &registry.status()[0];
    assert_eq!(status.current, None);
    let failure = status.failure.as_ref().expect("the refusal is recorded");
    assert_eq!(failure.version.as_deref(), Some("cramped-filter@1.0.0"));
    assert_eq!(status.last_refusal.as_ref(), Some(failure));

    let path = wasm.to_str().expect("utf-8 path");
    let mut out = Vec::new();
    let failure = execute(["wharf", "plugin", "check", path], &mut out).expect_err("the check fails");
    assert_eq!(failure.exit, Exit::Unusable);
    let message = format!("{:#}", failure.error);
    assert!(message.contains("cannot start within its limits: plugin cramped-filter@1.0.0: stopped"), "{message}");
}

/// The name the company filter's versions in the served tests treat as inactive: their status
/// column is the organization name. A write of a customer of that name is refused, with an
/// error naming the version that answered (`company-filter@1.0.3 refused this Customer.`).
const REFUSED_NAME: &str = "refuse-me";

/// How a version placed in the served tests is broken, if it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Broken {
    /// The component cut in half.
    Truncated,
    /// The manifest declares a role the component does not export.
    UndeclaredRole,
    /// The manifest's memory limit is below what the component needs to start.
    MemoryBelowStart,
}

impl Broken {
    /// What the refusal's reason says.
    fn reason(self) -> &'static str {
        match self {
            Broken::Truncated => "not a valid WebAssembly component",
            Broken::UndeclaredRole => "the manifest declares role mapper, but the component does not export",
            Broken::MemoryBelowStart => "stopped at its memory limit of 1 MiB",
        }
    }
}

/// Places the company filter as `version` in `plugins`, broken as `broken` says: both files
/// staged beside the directory and renamed in, as an operator's deploy script would. Returns
/// when the second file landed.
fn place_filter(plugins: &Path, version: &str, broken: Option<Broken>) -> Instant {
    let built = plugin("company-filter");
    let example = std::fs::read_to_string(built.with_extension("toml")).expect("manifest");
    let mut manifest = example
        .replace("version = \"1.0.0\"", &format!("version = \"{version}\""))
        .replace("status_column = \"Status\"", "status_column = \"OrganizationName\"")
        .replace("inactive = \"inactive,blocked,closed\"", &format!("inactive = \"{REFUSED_NAME}\""));
    assert!(manifest.contains(&format!("inactive = \"{REFUSED_NAME}\"")), "the example manifest changed:\n{example}");
    let mut wasm = std::fs::read(&built).expect("component");
    match broken {
        Some(Broken::Truncated) => wasm.truncate(wasm.len() / 2),
        Some(Broken::UndeclaredRole) => {
            manifest = manifest.replace("roles = [\"filter\"]", "roles = [\"filter\", \"mapper\"]");
            assert!(manifest.contains("\"mapper\""), "the example manifest changed:\n{example}");
        }
        Some(Broken::MemoryBelowStart) => manifest.push_str("\n[limits]\nmemory_mib = 1\n"),
        None => {}
    }
    let staging = tempfile::tempdir_in(plugins.parent().expect("the deployment")).expect("staging");
    let (staged_wasm, staged_toml) = (staging.path().join("filter.wasm"), staging.path().join("filter.toml"));
    std::fs::write(&staged_wasm, &wasm).expect("stage the component");
    std::fs::write(&staged_toml, &manifest).expect("stage the manifest");
    std::fs::rename(&staged_wasm, plugins.join("company-filter.wasm")).expect("component");
    std::fs::rename(&staged_toml, plugins.join("company-filter.toml")).expect("manifest");
    Instant::now()
}

/// A customer of company usmf, written through OData as `client` with `token`; the company
/// filter serving runs on it.
fn write_customer(server: &TestServer, token: &str, account: &str, name: &str) -> reqwest::blocking::Response {
    let body = json!({
        "CustomerAccount": account,
        "OrganizationName": name,
        "CustomerGroupId": "10",
        "CreditLimit": 100,
        "CustomerSince": "2020-03-15",
    });
    server
        .http
        .post(server.at("/data/CustomersV3"))
        .bearer_auth(token)
        .header("Prefer", "return=minimal")
        .json(&body)
        .send()
        .expect("the server answers")
}

/// The company filter version that answers a write now, from its refusal of a customer named
/// [`REFUSED_NAME`]; an error when the write was not refused that way (the example's version
/// keeps it, and without a filter nothing refuses it).
fn answering_version(server: &TestServer, token: &str, probe: &AtomicU64) -> Result<String, String> {
    let account = format!("PROBE-{}", probe.fetch_add(1, Ordering::Relaxed));
    let response = write_customer(server, token, &account, REFUSED_NAME);
    let status = response.status().as_u16();
    let body: Value = response.json().unwrap_or_default();
    let message = body["error"]["message"].as_str().unwrap_or_default();
    match message.strip_suffix(" refused this Customer.") {
        Some(version) if status == 400 => Ok(version.to_owned()),
        _ => Err(format!("the probe {account} answered {status}: {body}")),
    }
}

/// The company filter's entry in `GET /manage/plugins`.
fn filter_status(server: &TestServer, admin: &str) -> Value {
    let response = server.http.get(server.at("/manage/plugins")).bearer_auth(admin).send().expect("answers");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().expect("JSON");
    let entries = body["value"].as_array().expect("value").clone();
    entries.into_iter().find(|entry| entry["file"] == "company-filter.wasm").expect("the company filter is listed")
}

#[test]
fn a_served_plugin_swaps_within_a_second_under_load_and_no_broken_version_ever_serves() {
    const SWAPS: usize = 24;
    const LOAD_CLIENTS: usize = 2;
    let server = TestServer::start();
    let plugins = server.dir.path().join("plugins");
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let forbidden = server.http.get(server.at("/manage/plugins")).bearer_auth(&token).send().expect("answers");
    assert_eq!(forbidden.status(), 403, "the plugins route needs the admin role");
    let probe = AtomicU64::new(0);

    let stop = AtomicBool::new(false);
    let (calls, failures) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mut served = Vec::new();
    let mut refused = Vec::new();
    std::thread::scope(|scope| {
        for client in 0..LOAD_CLIENTS {
            let (server, token, stop, calls, failures) = (&server, &token, &stop, &calls, &failures);
            scope.spawn(move || {
                for call in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let account = format!("LOAD-{client}-{call}");
                    let response = write_customer(server, token, &account, "Organization under load");
                    if response.status() != 204 {
                        eprintln!(
                            "failed call {account}: {} {}",
                            response.status(),
                            response.text().unwrap_or_default()
                        );
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // Every third swap is broken, in turn each way; the others are good versions.
        let mut good = "company-filter@1.0.0".to_owned();
        let kinds = [Broken::Truncated, Broken::UndeclaredRole, Broken::MemoryBelowStart];
        for swap in 1..=SWAPS {
            let version = format!("1.0.{swap}");
            let id = format!("company-filter@{version}");
            let broken = (swap % 3 == 0).then(|| kinds[(swap / 3 - 1) % kinds.len()]);
            let landed = place_filter(&plugins, &version, broken);
            match broken {
                None => {
                    loop {
                        match answering_version(&server, &token, &probe) {
                            Ok(answered) if answered == id => break,
                            Ok(answered) => assert!(answered == good, "swap {swap}: {answered} answered"),
                            // Before the first swap the example's version keeps the probe.
                            Err(error) => assert!(swap == 1, "swap {swap}: {error}"),
                        }
                        assert!(landed.elapsed() < Duration::from_secs(5), "{id} never served");
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    served.push(landed.elapsed());
                    good = id;
                }
                Some(broken) => {
                    server.wait_for(&format!("the refusal of {id}"), || {
                        filter_status(&server, &admin)["last_refusal"]["version"] == json!(id)
                    });
                    refused.push(landed.elapsed());
                    let status = filter_status(&server, &admin);
                    let reason = status["last_refusal"]["reason"].as_str().expect("a reason");
                    assert!(reason.contains(broken.reason()), "{broken:?}: {reason}");
                    assert!(!reason.contains(&*server.dir.path().to_string_lossy()), "a path in {reason}");
                    assert_eq!(status["current"], json!(good), "{broken:?}");
                    assert_eq!(answering_version(&server, &token, &probe), Ok(good.clone()), "{broken:?}");
                }
            }
        }
        let at_end = calls.load(Ordering::Relaxed);
        server.wait_for("calls go on after the last swap", || calls.load(Ordering::Relaxed) > at_end + 20);
        stop.store(true, Ordering::Relaxed);
    });

    let calls = calls.load(Ordering::Relaxed);
    assert_eq!(failures.load(Ordering::Relaxed), 0, "of {calls} calls");
    served.sort();
    let (median, slowest) = (served[served.len() / 2], served[served.len() - 1]);
    eprintln!(
        "{} good versions served {median:?} (median), {slowest:?} (slowest) after landing; {} broken ones refused \
         after {:?} at most; {calls} calls under load",
        served.len(),
        refused.len(),
        refused.iter().max()
    );
    assert_eq!((served.len(), refused.len()), (SWAPS - SWAPS / 3, SWAPS / 3));
    assert!(slowest <= Duration::from_secs(1), "a good version served {slowest:?} after landing");

    let status = filter_status(&server, &admin);
    let last_good = format!("company-filter@1.0.{}", SWAPS - 1);
    let expected_hash = runtime().load(&plugin("company-filter")).expect("loads").content_hash().to_owned();
    assert_eq!(status["current"], json!(last_good));
    assert_eq!(status["content_hash"], json!(expected_hash));
    assert_eq!(status["previous"], json!(format!("company-filter@1.0.{}", SWAPS - 2)));
    assert_eq!(status["last_refusal"]["version"], json!(format!("company-filter@1.0.{SWAPS}")));
    let (since, refused_at) =
        (status["since"].as_str().expect("since"), status["last_refusal"]["at"].as_str().expect("at"));
    assert!(since < refused_at, "the refusal ({refused_at}) came after the last good version ({since})");
}

#[test]
fn removing_a_served_plugin_unloads_it_and_the_management_api_says_so() {
    let server = TestServer::start();
    let plugins = server.dir.path().join("plugins");
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let probe = AtomicU64::new(0);
    place_filter(&plugins, "2.0.0", None);
    server.wait_for("version 2.0.0 answers", || {
        answering_version(&server, &token, &probe).as_deref() == Ok("company-filter@2.0.0")
    });

    std::fs::remove_file(plugins.join("company-filter.wasm")).expect("remove");
    server.wait_for("the filter is unloaded", || filter_status(&server, &admin)["current"].is_null());
    let status = filter_status(&server, &admin);
    assert_eq!(status["previous"], json!("company-filter@2.0.0"));
    assert_eq!((status["content_hash"].clone(), status["since"].clone()), (Value::Null, Value::Null));
    let kept = write_customer(&server, &token, "NO-FILTER", REFUSED_NAME);
    assert_eq!(kept.status(), 204, "without a filter nothing refuses the write");
}
