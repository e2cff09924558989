//! Hot reload from a watched directory: a new version swaps in under concurrent calls with no
//! failed call, a broken version never replaces a working one, deleting unloads, and the
//! previous version can be restored.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use wharf::plugin::{Registry, Role, Watcher};
use wharf_plugin_sdk::{BatchBuilder, Context, ValueRef};
use wharf_tests::{install, runtime};

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
    let mut input = BatchBuilder::new([
        "cust_no",
        "company_name",
        "street",
        "postcode",
        "city",
        "country",
        "phone",
        "credit_limit",
    ]);
    input.push_row(&[
        "c1".into(),
        "Contoso".into(),
        "".into(),
        "".into(),
        "".into(),
        "US".into(),
        "".into(),
        "".into(),
    ]);
    let mapped = plugin.map(&Context::default(), &input.finish()).map_err(|error| error.to_string())?;
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
