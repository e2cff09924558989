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

#[test]
fn import_exits_4_with_a_summary_naming_the_error_file_when_rows_are_rejected() {
    let (dir, deployment) = super::imports::deployment();
    drop(deployment);
    let sample = dir.path().join("samples/warehouse-on-hand.txt");
    let project = ["--project", "Warehouse on-hand", "--quiet", "--deployment", path(dir.path())];
    let (exit, out) = wharf(&[&["import", path(&sample)][..], &project[..]].concat());
    assert_eq!(exit, Exit::RowsRejected, "{out}");
    assert!(out.contains("Inventory on-hand: read 6, imported 5 (inserted 5, updated 0), rejected 1"), "{out}");
    assert!(out.contains("error file: ") && out.contains("Inventory on-hand-errors.csv"), "{out}");
}

#[test]
fn import_exits_1_when_the_run_fails_and_3_for_an_unknown_project() {
    let (dir, deployment) = super::imports::deployment();
    drop(deployment);
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, "CustomerGroupId,Description\r\nA,\"open\r\n").expect("write");
    let deployment_dir = path(dir.path());
    let args = ["import", path(&broken), "--project", "Customer groups", "--quiet", "--deployment", deployment_dir];
    let (exit, out) = wharf(&args);
    assert_eq!(exit, Exit::Failed, "{out}");
    assert!(out.contains("failed: ") && out.contains("broken.csv"), "{out}");
    let (exit, out) = wharf(&["import", path(&broken), "--project", "Nope", "--deployment", deployment_dir]);
    assert_eq!(exit, Exit::Unusable);
    assert!(out.contains("unknown project Nope (known: ") && out.contains("Customer groups"), "{out}");
}

#[test]
fn export_writes_the_file_and_says_how_many_rows() {
    let (dir, deployment) = super::imports::deployment();
    drop(deployment);
    let deployment_dir = path(dir.path());
    let sample = dir.path().join("samples/customer-groups.csv");
    let (exit, _) = wharf(&["import", path(&sample), "--project", "Customer groups", "--deployment", deployment_dir]);
    assert_eq!(exit, Exit::Success);
    let out_file = dir.path().join("export/contoso.zip");
    let (exit, out) =
        wharf(&["export", "--project", "Contoso export", "--out", path(&out_file), "--deployment", deployment_dir]);
    assert_eq!(exit, Exit::Success, "{out}");
    assert!(out.contains(&format!("wrote 6 rows to {}", out_file.display())), "{out}");
    assert!(out_file.is_file());
}

#[test]
fn client_add_mints_a_guid_id_keeps_the_name_for_people_and_takes_an_existing_id() {
    let (dir, _) = crate::imports::deployment();
    let deployment = path(dir.path());
    let (exit, out) = wharf(&[
        "client",
        "add",
        "Fabrikam ERP",
        "--role",
        "data-management",
        "--company",
        "usmf",
        "--deployment",
        deployment,
    ]);
    assert_eq!(exit, Exit::Success, "{out}");
    let id = out.lines().find_map(|line| line.strip_prefix("client id:")).expect("the id").trim().to_owned();
    let guid = uuid::Uuid::parse_str(&id).unwrap_or_else(|_| panic!("RIS reads client ids as GUIDs: {out}"));
    assert_eq!(id, guid.to_string(), "lowercase, unbraced: {out}");
    assert!(out.contains("client name:   Fabrikam ERP"), "{out}");

    // Deployments registered before keep their ids.
    let (exit, out) =
        wharf(&["client", "add", "--id", "fabrikam-erp", "--company", "usmf", "--deployment", deployment]);
    assert_eq!(exit, Exit::Success, "{out}");
    assert!(out.contains("client id:     fabrikam-erp"), "{out}");

    let (exit, listed) = wharf(&["client", "list", "--deployment", deployment]);
    assert_eq!(exit, Exit::Success, "{listed}");
    assert!(listed.lines().any(|line| line.starts_with(&format!("{id}\tFabrikam ERP\t"))), "{listed}");
    assert!(listed.lines().any(|line| line.starts_with("fabrikam-erp\t")), "{listed}");
}
