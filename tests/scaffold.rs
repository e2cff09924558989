//! `wharf plugin new`: from an empty folder, a project per role and language that passes
//! `wharf plugin test` as made; names and folders refused; and `wharf plugin run` reading CSV
//! samples with a project's document options.

use std::path::{Path, PathBuf};

use wharf::plugin::Role;
use wharf::run::Exit;
use wharf::run::scaffold::Language;
use wharf_tests::{plugin, root};

use crate::cli::{path, wharf};

/// Where the scaffolded Rust projects' SDK is unpacked and their builds go, shared by every
/// project of every run so the SDK and its dependencies build once.
fn shared_dir(name: &str) -> PathBuf {
    root().join("target/scaffold").join(name)
}

/// Makes a `language` project for `role` in a new temp folder with `wharf plugin new`, checks
/// it names nothing inside this repository, and runs `wharf plugin test` on it.
fn new_project_passes_its_test(language: Language, role: Role) {
    let temp = tempfile::tempdir().expect("tempdir");
    let name = format!("scaffold-{language}-{role}");
    let dir = temp.path().join(&name);
    let sdk = shared_dir("sdk");
    let (exit, out) = wharf(&[
        "plugin",
        "new",
        path(&dir),
        "--role",
        role.name(),
        "--lang",
        language.name(),
        "--sdk-dir",
        path(&sdk),
    ]);
    assert_eq!(exit, Exit::Success, "{out}");
    assert!(out.contains(&format!("next: cd {} && wharf plugin test", dir.display())), "{out}");
    assert!(dir.join("wharf-plugin.toml").is_file() && dir.join("README.md").is_file(), "{out}");
    assert_eq!(cases(&dir).len(), 1, "exactly one golden case: {out}");
    points_nowhere_into_the_repository(&dir);

    let target = shared_dir("build");
    let (exit, out) = wharf(&["plugin", "test", path(&dir), "--target-dir", path(&target)]);
    assert_eq!(exit, Exit::Success, "{language} {role}: wharf plugin test failed:\n{out}");
    assert!(out.contains("ok"), "{out}");
}

/// The case folders under `dir/cases`.
fn cases(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir.join("cases"))
        .map(|entries| entries.filter_map(Result::ok).map(|entry| entry.path()).filter(|path| path.is_dir()).collect())
        .unwrap_or_default()
}

/// Fails when a file of the project names this repository's folder: a project must build
/// wherever it is copied, with the SDK from the user's cache.
fn points_nowhere_into_the_repository(dir: &Path) {
    let repository = root().display().to_string();
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable").filter_map(Result::ok) {
            let file = entry.path();
            if file.is_dir() {
                stack.push(file);
            } else if let Ok(text) = std::fs::read_to_string(&file)
                && text.contains(&repository)
                && !file.ends_with(".cargo/config.toml")
            {
                panic!("{} names the repository ({repository})", file.display());
            }
        }
    }
    // The one place a Rust project names a folder: the SDK unpacked outside any checkout.
    if let Ok(config) = std::fs::read_to_string(dir.join(".cargo/config.toml")) {
        assert!(config.contains("[patch.crates-io]") && config.contains("wharf-plugin-sdk"), "{config}");
        assert!(!config.contains(&format!("{repository}/plugin-sdk")), "{config}");
    }
}

/// Runs every role of `language` from `wharf plugin new` to a passing `wharf plugin test`.
fn every_role_passes(language: Language) {
    assert!(language.has_templates(), "wharf carries no {language} templates");
    for role in Role::ALL {
        new_project_passes_its_test(language, role);
    }
}

#[test]
fn new_rust_projects_pass_their_tests_for_every_role() {
    every_role_passes(Language::Rust);
}

#[test]
fn new_python_projects_pass_their_tests_for_every_role() {
    every_role_passes(Language::Python);
}

#[test]
fn new_javascript_projects_pass_their_tests_for_every_role() {
    every_role_passes(Language::Js);
}

#[test]
fn new_c_projects_pass_their_tests_for_every_role() {
    every_role_passes(Language::C);
}

#[test]
fn a_new_rust_projects_own_unit_tests_pass_natively() {
    // The template's `#[test]`s use the SDK's TestHost for config values and entity rows.
    let temp = tempfile::tempdir().expect("tempdir");
    for role in [Role::Mapper, Role::Action] {
        let dir = temp.path().join(format!("native-{role}"));
        let sdk = shared_dir("sdk");
        let (exit, out) = wharf(&["plugin", "new", path(&dir), "--role", role.name(), "--sdk-dir", path(&sdk)]);
        assert_eq!(exit, Exit::Success, "{out}");
        // Run where an author would: cargo reads the project's `.cargo/config.toml` from there.
        let output = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["test", "--quiet"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", shared_dir("native"))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .output()
            .expect("cargo runs");
        let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "cargo test of a new {role} failed:\n{report}");
        // The first result is the crate's unit tests: the template's own, at least one.
        let unit_tests = report.lines().find(|line| line.starts_with("test result:")).unwrap_or_default();
        assert!(unit_tests.starts_with("test result: ok.") && !unit_tests.contains(" 0 passed"), "{report}");
    }
}

#[test]
fn a_name_that_is_not_a_plugin_name_is_refused_as_usage() {
    let temp = tempfile::tempdir().expect("tempdir");
    for bad in ["My_Plugin", "2fast", "trailing-"] {
        let dir = temp.path().join(bad);
        let (exit, error) = wharf(&["plugin", "new", path(&dir), "--role", "mapper"]);
        assert_eq!(exit, Exit::Usage, "{bad}: {error}");
        assert!(error.contains("is not a plugin name"), "{error}");
        assert!(!dir.exists(), "{bad} was created");
    }
    let (exit, error) = wharf(&["plugin", "new", "x", "--role", "mapper", "--lang", "cobol"]);
    assert_eq!(exit, Exit::Usage, "{error}");
}

#[test]
fn a_folder_with_anything_in_it_is_left_alone() {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path().join("taken");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("notes.txt"), "mine").expect("write");
    let (exit, error) = wharf(&["plugin", "new", path(&dir), "--role", "filter"]);
    assert_eq!(exit, Exit::Unusable, "{error}");
    assert!(error.contains("already exists and is not empty"), "{error}");
    let left: Vec<_> =
        std::fs::read_dir(&dir).expect("readable").filter_map(Result::ok).map(|e| e.file_name()).collect();
    assert_eq!(left, ["notes.txt"]);

    // An empty folder is fine: that is where a partner starts.
    let empty = temp.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let (exit, out) =
        wharf(&["plugin", "new", path(&empty), "--role", "filter", "--sdk-dir", path(&shared_dir("sdk"))]);
    assert_eq!(exit, Exit::Success, "{out}");
}

/// A company list in semicolon-separated CSV, as European partners' spreadsheets write it.
const SEMICOLON_CUSTOMERS: &str = "CustomerAccount;dataAreaId;Status\nC-1;usmf;active\nC-2;usmf;inactive\nC-3;usmf;\n";

#[test]
fn a_semicolon_sample_read_as_commas_says_which_delimiter_to_try() {
    let temp = tempfile::tempdir().expect("tempdir");
    let sample = temp.path().join("customers.csv");
    std::fs::write(&sample, SEMICOLON_CUSTOMERS).expect("write");
    let (exit, error) = wharf(&["plugin", "run", path(&plugin("company-filter")), "--input", path(&sample)]);
    assert_eq!(exit, Exit::Unusable, "{error}");
    assert!(error.contains("reads as one column"), "{error}");
    assert!(error.contains("try --delimiter ';'"), "{error}");
}

#[test]
fn run_reads_a_sample_with_the_delimiter_and_header_options_of_a_project() {
    let temp = tempfile::tempdir().expect("tempdir");
    let sample = temp.path().join("customers.csv");
    std::fs::write(&sample, SEMICOLON_CUSTOMERS).expect("write");
    let filter = plugin("company-filter");
    let (exit, out) = wharf(&["plugin", "run", path(&filter), "--input", path(&sample), "--delimiter", ";"]);
    assert_eq!(exit, Exit::Success, "{out}");
    let output: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    // Rows are 1-based data rows: the header is not counted.
    assert_eq!(output, serde_json::json!({ "kept": [1, 3], "dropped": [2] }));

    // Without a header row, the columns are named on the command line.
    let headless = temp.path().join("headless.csv");
    std::fs::write(&headless, "C-1|usmf|blocked\nC-2|usmf|active\n").expect("write");
    let columns = "CustomerAccount,dataAreaId,Status";
    let args = ["--delimiter", "|", "--header", "false", "--columns", columns];
    let (exit, out) = wharf(&[&["plugin", "run", path(&filter), "--input", path(&headless)][..], &args[..]].concat());
    assert_eq!(exit, Exit::Success, "{out}");
    let output: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(output, serde_json::json!({ "kept": [2], "dropped": [1] }));

    // Other formats go through a project's readers, with their options.
    let xml = temp.path().join("customers.xml");
    let records = "<CUST><CustomerAccount>C-1</CustomerAccount><Status>inactive</Status></CUST>\
                   <CUST><CustomerAccount>C-2</CustomerAccount><Status>active</Status></CUST>";
    std::fs::write(&xml, format!("<Document>{records}</Document>")).expect("write");
    let args = ["--format", "XML-Element", "--record", "CUST"];
    let (exit, out) = wharf(&[&["plugin", "run", path(&filter), "--input", path(&xml)][..], &args[..]].concat());
    assert_eq!(exit, Exit::Success, "{out}");
    let output: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(output, serde_json::json!({ "kept": [2], "dropped": [1] }));

    // An option the format does not take is refused by the project's own parser.
    let (exit, error) =
        wharf(&["plugin", "run", path(&filter), "--input", path(&sample), "--format", "JSON", "--delimiter", ";"]);
    assert_eq!(exit, Exit::Unusable, "{error}");
    assert!(error.contains("delimiter"), "{error}");
}

#[test]
fn the_sdk_unpacked_alone_builds_its_documentation_without_warnings() {
    // Outside any checkout, as a partner's machine has it: nothing may reach back into the
    // repository (the contract comes from the macros crate's own copy).
    let sdk = tempfile::tempdir().expect("tempdir");
    wharf::run::scaffold::unpack_rust_sdk(sdk.path()).expect("unpacks");
    let output = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["doc", "--no-deps", "--quiet"])
        .current_dir(sdk.path())
        .env("CARGO_TARGET_DIR", shared_dir("doc"))
        .env("RUSTDOCFLAGS", "-D warnings")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "cargo doc of the unpacked SDK failed:\n{report}");
    let index = shared_dir("doc").join("doc/wharf_plugin_sdk/testing/struct.TestHost.html");
    assert!(index.is_file(), "no page for TestHost: {report}");
}
