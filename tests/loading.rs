//! Loading refuses what it cannot trust — a component that does not match its manifest, a
//! missing or garbage file, a contract version this host does not speak — with a message that
//! says what is wrong; and the artifact cache only loads what this host compiled.

use std::path::Path;
use std::sync::Arc;

use wharf::plugin::{NoEntities, Runtime, RuntimeConfig};
use wharf_tests::{install, plugin, runtime};

fn load_error(wasm: &Path) -> String {
    format!("{:#}", runtime().load(wasm).expect_err("must be refused"))
}

fn assert_contains(text: &str, expected: &str) {
    assert!(text.contains(expected), "expected {expected:?} in: {text}");
}

#[test]
fn a_manifest_declaring_a_role_the_component_lacks_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = install("customer-csv-mapper", dir.path(), "mismatch", |m| {
        m.replace("roles = [\"mapper\"]", "roles = [\"filter\"]")
    });
    let error = load_error(&wasm);
    assert_contains(
        &error,
        "the manifest declares role filter, but the component does not export wharf:plugin/filter@0.1.0",
    );
}

#[test]
fn a_component_exporting_an_undeclared_role_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = install("company-filter", dir.path(), "mismatch", |m| {
        m.replace("roles = [\"filter\"]", "roles = [\"mapper\"]")
    });
    assert_contains(&load_error(&wasm), "does not export wharf:plugin/mapper@0.1.0");
}

#[test]
fn a_plugin_built_for_another_contract_version_is_refused_with_both_versions() {
    let error = load_error(&plugin("future-contract"));
    assert_contains(&error, "exports wharf:plugin/mapper@0.2.0, built for contract version 0.2.0");
    assert_contains(&error, "this host speaks wharf:plugin@0.1.0");
}

#[test]
fn a_missing_manifest_or_component_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = install("customer-csv-mapper", dir.path(), "lonely", |m| m);
    std::fs::remove_file(wasm.with_extension("toml")).expect("remove");
    assert_contains(&load_error(&wasm), "cannot read manifest");
    assert_contains(&load_error(&dir.path().join("absent.wasm")), "absent.toml");
    let wasm = install("customer-csv-mapper", dir.path(), "no-component", |m| m);
    std::fs::remove_file(&wasm).expect("remove");
    assert_contains(&load_error(&wasm), "cannot read plugin");
}

#[test]
fn garbage_and_core_modules_are_not_components() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in [
        ("garbage", b"MZ\x90\x00 this is not wasm".to_vec()),
        ("empty", Vec::new()),
        ("core-module", b"\0asm\x01\0\0\0".to_vec()),
        ("truncated", std::fs::read(plugin("customer-csv-mapper")).expect("read")[..4096].to_vec()),
    ] {
        let wasm = install("customer-csv-mapper", dir.path(), name, |m| m);
        std::fs::write(&wasm, bytes).expect("write");
        assert_contains(&load_error(&wasm), "not a valid WebAssembly component");
    }
}

#[test]
fn bad_manifests_are_refused_with_the_line_at_fault() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm =
        install("customer-csv-mapper", dir.path(), "bad-limits", |m| m.replace("memory_mib = 32", "memory_mib = -1"));
    let manifest = std::fs::read_to_string(wasm.with_extension("toml")).expect("manifest");
    let line = manifest.lines().position(|line| line.starts_with("memory_mib")).expect("limit line") + 1;
    let error = load_error(&wasm);
    assert_contains(&error, "invalid manifest");
    assert_contains(&error, &format!("line {line}"));
}

#[test]
fn the_cache_serves_the_second_load_and_recompiles_a_tampered_artifact() {
    let cache = tempfile::tempdir().expect("tempdir");
    let config = RuntimeConfig { cache_dir: Some(cache.path().to_owned()), ..RuntimeConfig::default() };
    let runtime = Runtime::new(&config, Arc::new(NoEntities)).expect("runtime");
    let wasm = plugin("customer-csv-mapper");
    runtime.load(&wasm).expect("first load compiles");
    let artifacts: Vec<_> = std::fs::read_dir(cache.path())
        .expect("cache dir")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "cwasm"))
        .collect();
    assert_eq!(artifacts.len(), 1, "one artifact per component");
    let artifact = &artifacts[0];
    let written = std::fs::metadata(artifact).expect("artifact").modified().expect("mtime");
    runtime.load(&wasm).expect("second load");
    assert_eq!(std::fs::metadata(artifact).expect("artifact").modified().expect("mtime"), written, "served from cache");

    // Flip one byte of the compiled code: the MAC no longer matches, so it is recompiled.
    let mut bytes = std::fs::read(artifact).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(artifact, &bytes).expect("tamper");
    let plugin = runtime.load(&wasm).expect("tampered artifact is recompiled, not loaded");
    assert_ne!(std::fs::read(artifact).expect("read"), bytes, "the artifact was rewritten");
    assert_eq!(plugin.id(), "customer-csv-mapper@1.0.0");
}
