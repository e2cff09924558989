//! `wharf plugin test`: every example plugin passes its own cases, and the harness reports what
//! a plugin author needs: a diff for a wrong output, `--bless`, budgets with the measured
//! figure, traps and timeouts by name. Its own tests work in temporary plugin folders whose
//! `[build]` copies an already built component, never in the repository's cases.

use std::path::{Path, PathBuf};

use wharf::run::Exit;
use wharf_tests::{EXAMPLE_PLUGINS, EXTRA_EXAMPLE_PLUGINS, plugin, plugin_dir, root};

use super::cli::{path, wharf};

/// Where the tests' Rust plugins are built and their compiled forms cached, shared with
/// `wharf_tests::plugin_dir` so nothing is built twice.
fn shared_target() -> PathBuf {
    plugin_dir();
    root().join("target/test-plugins")
}

/// `wharf plugin test <dir> <args…>` with the shared target and cache.
fn plugin_test(dir: &Path, args: &[&str]) -> (Exit, String) {
    let target = shared_target();
    let cache = target.join("cache");
    let mut all = vec!["plugin", "test", path(dir), "--target-dir", path(&target), "--cache", path(&cache)];
    all.extend_from_slice(args);
    wharf(&all)
}

/// The example plugins in `plugins/`: those cargo builds (Rust), or those whose manifest
/// names a `[build]` command (Python, JavaScript, C).
fn example_plugins(cargo_built: bool) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("plugins"))
        .expect("plugins/")
        .map(|entry| entry.expect("entry").path())
        .filter(|dir| {
            let manifest = std::fs::read_to_string(dir.join("wharf-plugin.toml")).unwrap_or_default();
            !manifest.is_empty() && manifest.contains("\n[build]") != cargo_built
        })
        .collect();
    dirs.sort();
    dirs
}

/// Runs `wharf plugin test` on each of `dirs`, which must all pass with budgets set.
fn assert_cases_pass(dirs: &[PathBuf]) {
    assert!(!dirs.is_empty(), "no example plugins found");
    for dir in dirs {
        let manifest = std::fs::read_to_string(dir.join("wharf-plugin.toml")).expect("manifest");
        assert!(manifest.contains("\n[budgets]"), "{} sets no budgets", dir.display());
        let (exit, report) = plugin_test(dir, &[]);
        assert_eq!(exit, Exit::Success, "{}:\n{report}", dir.display());
        assert!(report.contains(" passed, 0 failed") && !report.contains("FAILED"), "{}:\n{report}", dir.display());
    }
}

#[test]
fn every_rust_example_plugin_passes_its_cases_within_its_budgets() {
    let dirs = example_plugins(true);
    for name in EXAMPLE_PLUGINS.iter().chain(&EXTRA_EXAMPLE_PLUGINS) {
        assert!(dirs.contains(&root().join("plugins").join(name)), "{name} is not an example folder");
    }
    assert_cases_pass(&dirs);
}

#[test]
fn every_example_plugin_in_another_language_passes_its_cases_within_its_budgets() {
    assert_cases_pass(&example_plugins(false));
}

/// A plugin folder whose build copies built plugin `name`'s component, with its manifest
/// passed through `edit`.
fn project(name: &str, edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = std::fs::read_to_string(plugin(name).with_extension("toml")).expect("manifest");
    let build =
        format!("\n[build]\ncommand = \"cp '{}' plugin.wasm\"\noutput = \"plugin.wasm\"\n", path(&plugin(name)));
    std::fs::write(dir.path().join("wharf-plugin.toml"), edit(manifest) + &build).expect("write manifest");
    dir
}

/// Adds case `name` to the plugin folder `dir`: the company filter's sample as input, with
/// `expected.json` and, when given, `case.toml`.
fn add_case(dir: &Path, name: &str, expected: &str, case_toml: Option<&str>) -> PathBuf {
    let case = dir.join("cases").join(name);
    std::fs::create_dir_all(&case).expect("case folder");
    std::fs::copy(root().join("plugins/company-filter/cases/usmf-active/input.csv"), case.join("input.csv"))
        .expect("input");
    std::fs::write(case.join("expected.json"), expected).expect("expected");
    if let Some(text) = case_toml {
        std::fs::write(case.join("case.toml"), text).expect("case.toml");
    }
    case
}

const USMF: &str = "company = \"usmf\"\n";
const KEPT: &str = "{\"kept\": [1, 4], \"dropped\": [2, 3, 5]}";

#[test]
fn a_wrong_expectation_fails_with_a_diff_and_bless_rewrites_it_so_the_next_run_passes() {
    let dir = project("company-filter", |manifest| manifest);
    add_case(dir.path(), "all-companies", "{\"kept\": [1, 3, 4], \"dropped\": [2, 5]}", None);
    let wrong = add_case(dir.path(), "usmf", "{\"kept\": [1], \"dropped\": [2, 3, 4, 5]}", Some(USMF));

    let (exit, report) = plugin_test(dir.path(), &[]);
    assert_eq!(exit, Exit::Failed, "{report}");
    assert!(report.contains("case all-companies ... ok\n"), "{report}");
    assert!(report.contains("case usmf ... FAILED\n"), "{report}");
    assert!(report.contains("2 cases: 1 passed, 1 failed"), "{report}");
    // The pretty-printed JSON, line by line: row 4 moved from dropped to kept.
    let diff = ["--- expected.json", "+++ actual", "@@", "-    1\n", "+    1,\n", "+    4\n", "-    4,\n"];
    for line in diff {
        assert!(report.contains(line), "{line:?} not in:\n{report}");
    }

    let (exit, report) = plugin_test(dir.path(), &["--bless"]);
    assert_eq!(exit, Exit::Success, "{report}");
    assert!(report.contains("case usmf ... ok (blessed)"), "{report}");
    let blessed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(wrong.join("expected.json")).expect("blessed")).expect("json");
    assert_eq!(blessed, serde_json::from_str::<serde_json::Value>(KEPT).expect("json"));

    let (exit, report) = plugin_test(dir.path(), &["--case", "usmf"]);
    assert_eq!(exit, Exit::Success, "{report}");
    assert!(report.contains("case usmf ... ok\n") && report.contains("1 case: 1 passed, 0 failed"), "{report}");
}

/// The figure a report gives for `budget`: the number after its name on the case's figures line.
fn figure(report: &str, budget: &str) -> f64 {
    let after = report.split(&format!("{budget} ")).nth(1).unwrap_or_else(|| panic!("no {budget} in:\n{report}"));
    let number: String = after.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    number.parse().unwrap_or_else(|_| panic!("no figure after {budget} in:\n{report}"))
}

/// `manifest` without its `[budgets]` table.
fn without_budgets(manifest: &str) -> String {
    let mut in_budgets = false;
    let mut kept = String::new();
    for line in manifest.lines() {
        if line.starts_with('[') {
            in_budgets = line == "[budgets]";
        }
        if !in_budgets {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

#[test]
fn every_figure_is_measured_and_an_exceeded_budget_fails_with_it() {
    let budgets = "[budgets]\nfuel_per_row = 1000000\npeak_memory_mib = 64\ncomponent_kib = 1\n";
    let dir = project("company-filter", |manifest| format!("{}\n{budgets}", without_budgets(&manifest)));
    // The case's budgets win over the manifest's, one by one.
    add_case(dir.path(), "usmf", KEPT, Some(&format!("{USMF}[budgets]\nfuel_per_row = 1\ncomponent_kib = 100000\n")));

    let (exit, report) = plugin_test(dir.path(), &[]);
    assert_eq!(exit, Exit::Failed, "{report}");
    assert!(report.contains("case usmf ... FAILED"), "{report}");
    let fuel_per_row = figure(&report, "fuel_per_row");
    assert!(fuel_per_row > 1.0, "{report}");
    assert!(report.contains(&format!("fuel_per_row {fuel_per_row:.0} over its budget of 1\n")), "{report}");
    assert!(!report.contains("over its budget of 100000") && !report.contains("over its budget of 64"), "{report}");
    // The rest is measured, and plausible for a small Rust filter on five rows.
    assert_eq!(figure(&report, "rows"), 5.0, "{report}");
    assert_eq!(figure(&report, "fuel"), (fuel_per_row * 5.0).round(), "{report}");
    let memory = figure(&report, "peak_memory_mib");
    assert!(memory > 0.0 && memory < 64.0, "{report}");
    let size = std::fs::metadata(plugin("company-filter")).expect("built").len() as f64 / 1024.0;
    assert_eq!(figure(&report, "component_kib"), size.round(), "{report}");
    assert!(figure(&report, "wall_ms") > 0.0 && figure(&report, "instantiate_us") > 0.0, "{report}");

    // A budget only the manifest sets holds too.
    std::fs::write(dir.path().join("cases/usmf/case.toml"), USMF).expect("case.toml");
    let (exit, report) = plugin_test(dir.path(), &[]);
    assert_eq!(exit, Exit::Failed, "{report}");
    assert!(report.contains(&format!("component_kib {size:.1} over its budget of 1\n")), "{report}");
}

#[test]
fn a_trap_a_timeout_and_the_memory_limit_are_reported_as_such() {
    for (attack, what) in [
        ("panic", "the call trapped: "),
        ("loop", "the call hit its time limit: stopped after"),
        ("memory", "the call hit its memory limit: stopped at its memory limit of 16 MiB"),
    ] {
        let dir =
            project("hostile", |manifest| manifest.replace("attack = \"none\"", &format!("attack = \"{attack}\"")));
        add_case(dir.path(), attack, "{\"rows\": {}, \"errors\": []}", None);
        let (exit, report) = plugin_test(dir.path(), &[]);
        assert_eq!(exit, Exit::Failed, "{attack}:\n{report}");
        assert!(report.contains(&format!("case {attack} ... FAILED")), "{attack}:\n{report}");
        assert!(report.contains(what), "{what:?} not in:\n{report}");
        assert!(report.contains("+  \"error\": "), "{attack}:\n{report}");
    }
}

#[test]
fn a_case_reads_its_input_with_its_csv_options_and_overrides_the_manifests_config() {
    let dir = project("company-filter", |manifest| manifest);
    let case = add_case(dir.path(), "semicolons", "{\"kept\": [1, 2, 4], \"dropped\": [3, 5]}", None);
    let input = std::fs::read_to_string(case.join("input.csv")).expect("input");
    std::fs::write(case.join("input.csv"), input.replace(',', ";")).expect("input");
    // Only `closed` is inactive here, so the blocked row 2 is kept.
    let case_toml = "company = \"usmf\"\n[config]\ninactive = \"closed\"\n[csv]\ndelimiter = \";\"\n";
    std::fs::write(case.join("case.toml"), case_toml).expect("case.toml");
    let (exit, report) = plugin_test(dir.path(), &[]);
    assert_eq!(exit, Exit::Success, "{report}");
    assert!(report.contains("case semicolons ... ok") && report.contains("rows 5,"), "{report}");
}

#[test]
fn a_case_expecting_the_failure_it_gets_passes() {
    let dir = project("hostile", |manifest| manifest.replace("attack = \"none\"", "attack = \"loop\""));
    add_case(dir.path(), "loops", "{\"error\": \"stopped at its time limit of 300 ms\"}", None);
    let (exit, report) = plugin_test(dir.path(), &[]);
    assert_eq!(exit, Exit::Success, "{report}");
    assert!(report.contains("case loops ... ok"), "{report}");
}

#[test]
fn a_folder_without_cases_or_a_plugin_is_unusable_and_says_why() {
    let dir = project("company-filter", |manifest| manifest);
    let (exit, error) = plugin_test(dir.path(), &[]);
    assert_eq!(exit, Exit::Unusable);
    assert!(error.contains("cases") && error.contains("expected.json"), "{error}");
    add_case(dir.path(), "usmf", KEPT, Some(USMF));
    let (exit, error) = plugin_test(dir.path(), &["--case", "nope"]);
    assert_eq!(exit, Exit::Unusable);
    assert!(error.contains("there is no case nope"), "{error}");
    std::fs::write(dir.path().join("cases/usmf/case.toml"), "compnay = \"usmf\"\n").expect("case.toml");
    let (exit, report) = plugin_test(dir.path(), &[]);
    assert_eq!(exit, Exit::Failed);
    assert!(report.contains("unknown field `compnay`"), "{report}");
}
