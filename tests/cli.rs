//! The command line: what it prints and the exit codes scripts rely on.

use std::path::Path;

use wharf::run::{Exit, execute};
use wharf_tests::{hostile, plugin, root};

/// Runs `wharf <args>`; returns the exit code and what it printed (or the error).
fn wharf(args: &[&str]) -> (Exit, String) {
    let mut out = Vec::new();
    let outcome = execute(std::iter::once("wharf").chain(args.iter().copied()), &mut out);
    match outcome {
        Ok(exit) => (exit, String::from_utf8(out).expect("utf-8")),
        Err(failure) => (failure.exit, format!("{:#}", failure.error)),
    }
}

fn path(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn check_prints_roles_exports_and_limits() {
    let (exit, out) = wharf(&["plugin", "check", path(&plugin("customer-csv-mapper"))]);
    assert_eq!(exit, Exit::Success, "{out}");
    for expected in [
        "plugin    customer-csv-mapper@1.0.0",
        "roles     mapper",
        "exports   wharf:plugin/mapper@0.1.0",
        "limits    memory 32 MiB, time 2000 ms, output 16 MiB",
    ] {
        assert!(out.contains(expected), "{expected:?} not in:\n{out}");
    }
}

#[test]
fn run_exits_4_when_rows_are_rejected_and_prints_them() {
    let input = root().join("tests/data/golden/customer-csv-mapper/input.csv");
    let (exit, out) = wharf(&["plugin", "run", path(&plugin("customer-csv-mapper")), "--input", path(&input)]);
    assert_eq!(exit, Exit::RowsRejected);
    assert!(out.contains("\"message\": \"unknown country 'Finland'\""), "{out}");
}

#[test]
fn run_exits_1_when_the_call_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = root().join("tests/data/golden/company-filter/input.csv");
    let (exit, error) = wharf(&["plugin", "run", path(&hostile(dir.path(), "panic")), "--input", path(&input)]);
    assert_eq!(exit, Exit::Failed);
    assert!(error.contains("plugin hostile-panic@0.1.0: trapped"), "{error}");
}

#[test]
fn unusable_files_exit_3_and_say_which() {
    let (exit, error) = wharf(&["plugin", "check", "/nonexistent/plugin.wasm"]);
    assert_eq!(exit, Exit::Unusable);
    assert!(error.contains("/nonexistent/plugin.toml"), "{error}");
    let (exit, error) = wharf(&["plugin", "run", path(&plugin("company-filter")), "--input", "/nonexistent.csv"]);
    assert_eq!(exit, Exit::Unusable);
    assert!(error.contains("cannot read /nonexistent.csv"), "{error}");
    let (exit, error) = wharf(&["plugin", "build", path(&root().join("examples")), "--out", "/tmp"]);
    assert_eq!(exit, Exit::Unusable);
    assert!(error.contains("wharf-plugin.toml"), "{error}");
}

#[test]
fn wrong_arguments_exit_2_with_usage() {
    let (exit, error) = wharf(&["plugin", "run"]);
    assert_eq!(exit, Exit::Usage);
    assert!(error.contains("--input"), "{error}");
    assert_eq!(wharf(&["plugin", "frobnicate"]).0, Exit::Usage);
    assert_eq!(wharf(&["--help"]).0, Exit::Success);
}
