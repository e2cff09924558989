//! Coverage-guided fuzzing of every parser that reads clients' input: builds the fuzz crate
//! (`tests/fuzz/`, one libFuzzer target per parser) and runs each target from its seed corpus,
//! `tests/fuzz/corpus/<target>/`. A crash, a hang (an input running over 10 s), memory past
//! 2 GiB or a stack overflow fails the test, which prints the input libFuzzer saved and its
//! report.
//!
//! The build uses stable Rust: `tests/fuzz/rustc-wrapper.sh` adds LLVM's coverage
//! instrumentation (the flags cargo-fuzz passes) to `wharf` and the targets only, in a target
//! directory of their own (`target/fuzz`), so the main build's artifacts stay as they are.
//! Targets run on a 2 MiB main stack, the size of the server's threads, so recursion that
//! would overflow in the server overflows here. Build and fuzzers run under `nice`: the other
//! tests of the run come first.
//!
//! Two modes:
//! - **Checking** (the default, what the test command runs): a fixed number of inputs per
//!   target from a fixed random seed, starting from the seeds alone. The same code meets the
//!   same inputs on every run, so the test fails only when a change breaks a parser, never
//!   because this run happened to wander somewhere new.
//! - **Exploring** (`WHARF_FUZZ_SECONDS=<n>`): `n` seconds per target from a new seed, starting
//!   from the seeds and everything earlier explorations kept in `target/fuzz/corpus/<target>/`.
//!   What it finds is fixed, and its input added to the seeds, so checking covers it from then
//!   on.
//!
//! `WHARF_FUZZ_TARGETS` is a comma-separated list of targets to run (all unless set). Crashing
//! inputs go to `target/fuzz/artifacts/<target>/`.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wharf_tests::root;

/// Every fuzz target, a `[[bin]]` of `tests/fuzz/Cargo.toml`, with the parser it drives.
const TARGETS: [(&str, &str); 9] = [
    ("csv", "formats::csv::reader"),
    ("xml", "formats::xml::reader"),
    ("json", "formats::json::reader"),
    ("package_manifest", "formats::package::{Manifest, PackageHeader}::parse"),
    ("package", "formats::package::PackageReader::open"),
    ("odata_url", "odata::syntax::parse_*"),
    ("odata_batch", "odata::batch::parse"),
    ("token", "TokenRequest from a urlencoded body, then Auth::issue"),
    ("lenient_json", "api::lenient_json"),
];

/// Inputs per target when checking: the slowest target (csv, about 12,000 inputs a second
/// under CI's load) takes under 20 s, all nine about a minute.
const CHECK_RUNS: u64 = 200_000;

/// The random seed when checking.
const CHECK_SEED: u64 = 1;

/// How long each target runs.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Checking,
    Exploring { seconds: u64 },
}

/// The stack of a server thread (tokio's and std's default), in KiB.
const STACK_KIB: u32 = 2048;

/// What one target's run came to.
#[derive(Debug)]
struct Run {
    elapsed: Duration,
    /// `stat::number_of_executed_units` of libFuzzer's final statistics.
    executions: Option<u64>,
    /// The last status line's `cov: … ft: … corp: …`.
    coverage: Option<String>,
}

#[test]
fn no_parser_of_client_input_crashes_under_coverage_guided_fuzzing() {
    let mode = match std::env::var("WHARF_FUZZ_SECONDS") {
        Ok(text) => Mode::Exploring {
            seconds: text.trim().parse().unwrap_or_else(|_| panic!("WHARF_FUZZ_SECONDS={text:?} is not a number")),
        },
        Err(_) => Mode::Checking,
    };
    let chosen: Option<Vec<String>> = std::env::var("WHARF_FUZZ_TARGETS")
        .ok()
        .map(|names| names.split(',').map(|name| name.trim().to_owned()).filter(|name| !name.is_empty()).collect());
    if let Some(chosen) = &chosen {
        let unknown: Vec<&String> =
            chosen.iter().filter(|name| !TARGETS.iter().any(|(target, _)| target == name)).collect();
        assert!(unknown.is_empty(), "WHARF_FUZZ_TARGETS names unknown targets {unknown:?}");
    }
    let dir = root().join("target/fuzz");
    build(&dir);

    let mut summary = String::new();
    let mut failures = Vec::new();
    let mut total_executions = 0;
    for (target, parser) in TARGETS {
        if chosen.as_ref().is_some_and(|chosen| !chosen.iter().any(|name| name == target)) {
            continue;
        }
        match run(&dir, target, mode) {
            Ok(run) => {
                let executions = run.executions.unwrap_or_else(|| {
                    panic!("{target}: libFuzzer printed no final statistics; see {}", log_path(&dir, target).display())
                });
                assert!(executions > 0, "{target}: libFuzzer ran no input");
                total_executions += executions;
                let rate = executions as f64 / run.elapsed.as_secs_f64().max(0.001);
                writeln!(
                    summary,
                    "fuzz {target:<16} {:>6.1} s {executions:>10} runs {rate:>9.0}/s  {}  ({parser})",
                    run.elapsed.as_secs_f64(),
                    run.coverage.as_deref().unwrap_or("no coverage line"),
                )
                .expect("writes to a string");
            }
            Err(failure) => {
                writeln!(summary, "fuzz {target:<16} FAILED").expect("writes to a string");
                failures.push(failure);
            }
        }
    }
    writeln!(summary, "fuzz: {total_executions} runs in all, {} crash(es)", failures.len())
        .expect("writes to a string");
    println!("{summary}");
    assert!(failures.is_empty(), "{summary}\n{}", failures.join("\n\n"));
}

/// Builds every target into `dir` (`target/fuzz`), instrumented.
fn build(dir: &Path) {
    let root = root();
    let started = Instant::now();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new("nice")
        .args(["-n", "19"])
        .arg(cargo)
        .args(["build", "--release", "--bins", "--manifest-path"])
        .arg(root.join("tests/fuzz/Cargo.toml"))
        .env("RUSTC_WRAPPER", root.join("tests/fuzz/rustc-wrapper.sh"))
        .env("CARGO_TARGET_DIR", dir)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the fuzz targets do not build ({status})");
    println!("fuzz: targets built in {:.1} s", started.elapsed().as_secs_f64());
}

fn log_path(dir: &Path, target: &str) -> PathBuf {
    dir.join("logs").join(format!("{target}.log"))
}

/// Runs `target` as `mode` says; a failure is the message to fail the test with.
fn run(dir: &Path, target: &str, mode: Mode) -> Result<Run, String> {
    let seeds = root().join("tests/fuzz/corpus").join(target);
    let (corpus, limits) = match mode {
        Mode::Checking => {
            let corpus = dir.join("check").join(target);
            let _ = fs::remove_dir_all(&corpus);
            (corpus, [format!("-runs={CHECK_RUNS}"), format!("-seed={CHECK_SEED}")])
        }
        Mode::Exploring { seconds } => {
            (dir.join("corpus").join(target), [format!("-max_total_time={seconds}"), "-seed=0".to_owned()])
        }
    };
    let artifacts = dir.join("artifacts").join(target);
    let log = log_path(dir, target);
    for created in [&corpus, &artifacts, &dir.join("logs")] {
        fs::create_dir_all(created).expect("creates a fuzz directory");
    }
    let binary = dir.join("release").join(target);
    let output = File::create(&log).expect("creates the fuzz log");
    let started = Instant::now();
    // libFuzzer takes new inputs into the first corpus directory, so the seeds stay as they are.
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -S -s {STACK_KIB} && exec nice -n 19 \"$@\""))
        .arg("sh")
        .arg(&binary)
        .arg(&corpus)
        .arg(&seeds)
        .args(&limits)
        .arg("-print_final_stats=1")
        .arg("-timeout=10")
        .arg("-rss_limit_mb=2048")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .stdin(Stdio::null())
        .stdout(output.try_clone().expect("clones the log's handle"))
        .stderr(output)
        .status()
        .expect("sh runs the fuzz target");
    let elapsed = started.elapsed();
    let report = fs::read_to_string(&log).expect("reads the fuzz log");
    if status.success() {
        return Ok(Run {
            elapsed,
            executions: final_stat(&report, "number_of_executed_units"),
            coverage: coverage(&report),
        });
    }
    let input = report
        .lines()
        .find_map(|line| line.split_once("Test unit written to ").map(|(_, path)| path.trim().to_owned()))
        .unwrap_or_else(|| "(libFuzzer saved no input)".to_owned());
    let lines: Vec<&str> = report.lines().collect();
    let tail = lines[lines.len().saturating_sub(60)..].join("\n");
    Err(format!(
        "fuzz target {target} failed ({status}) after {:.1} s.\ncrashing input: {input}\n\
         reproduce: sh -c 'ulimit -s {STACK_KIB}; {} {input}'\nfull log: {}\n--- libFuzzer's report (last lines) ---\n{tail}",
        elapsed.as_secs_f64(),
        binary.display(),
        log.display(),
    ))
}

/// The value of `stat::<name>:` in libFuzzer's final statistics.
fn final_stat(report: &str, name: &str) -> Option<u64> {
    let prefix = format!("stat::{name}:");
    report.lines().find_map(|line| line.strip_prefix(&prefix).and_then(|value| value.trim().parse().ok()))
}

/// `cov: … ft: … corp: …` from the last status line, trimmed to those three.
fn coverage(report: &str) -> Option<String> {
    let line = report.lines().rev().find(|line| line.starts_with('#') && line.contains(" cov: "))?;
    let start = line.find("cov: ")?;
    let end = line.find(" lim: ").or_else(|| line.find(" exec/s")).unwrap_or(line.len());
    Some(line[start..end.max(start)].to_owned())
}
