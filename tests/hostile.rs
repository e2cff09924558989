//! Plugins that attack the host: each is stopped by its limit or the sandbox with an error
//! that names the plugin, and the host goes on serving other calls, during and after.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wharf::plugin::{CallError, CallErrorKind, NoEntities, Plugin, Runtime, RuntimeConfig, Session};
use wharf_plugin_sdk::{Batch, BatchBuilder, Context, Value};
use wharf_tests::{attacker, hostile, plugin, runtime};

fn input(columns: &[&str], values: &[&str]) -> Batch {
    let mut builder = BatchBuilder::new(columns.iter().copied());
    builder.push_row(&values.iter().map(|value| (*value).into()).collect::<Vec<_>>());
    builder.finish()
}

fn attack(name: &str) -> (Plugin, CallError) {
    let dir = tempfile::tempdir().expect("tempdir");
    let plugin = runtime().load(&hostile(dir.path(), name)).expect("hostile plugin loads");
    let error = plugin.map(&Context::default(), &input(&["a"], &["1"])).expect_err("the attack must fail");
    assert_eq!(error.plugin, format!("hostile-{name}@0.1.0"));
    assert!(error.to_string().starts_with(&format!("plugin hostile-{name}@0.1.0: ")), "{error}");
    (plugin, error)
}

/// A session keeps its instance from call to call while the context stays the same, and
/// starts a new one for another context and after a call that trapped; plain calls always
/// get a fresh instance.
#[test]
fn a_session_reuses_its_instance_only_for_one_context_and_never_after_a_trap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plugin = Arc::new(runtime().load(&hostile(dir.path(), "remember")).expect("loads"));
    let context = |company: &str| Context { company: Some(company.into()), ..Context::default() };
    let seen = |mapped: wharf::plugin::MapOutput| {
        let row = mapped.outputs[0].batch.row(0).expect("a row");
        (row.str("Previous").expect("previous").to_owned(), row.get("Calls").map(|calls| calls.to_owned()))
    };
    let mut session = Session::new(plugin.clone());
    let call =
        |session: &mut Session, company: &str, key: &str| session.map(&context(company), &input(&["key"], &[key]));
    assert_eq!(seen(call(&mut session, "usmf", "a").expect("maps")), ("none".into(), Some(Value::Integer(1))));
    assert_eq!(seen(call(&mut session, "usmf", "b").expect("maps")), ("usmf/-".into(), Some(Value::Integer(2))));
    assert_eq!(
        seen(call(&mut session, "demf", "c").expect("maps")),
        ("none".into(), Some(Value::Integer(1))),
        "another company"
    );
    assert_eq!(seen(call(&mut session, "demf", "d").expect("maps")), ("demf/-".into(), Some(Value::Integer(2))));
    let error = call(&mut session, "demf", "trap").expect_err("traps");
    assert!(matches!(error.kind, CallErrorKind::Trap(_)), "{error}");
    assert_eq!(
        seen(call(&mut session, "demf", "e").expect("maps")),
        ("none".into(), Some(Value::Integer(1))),
        "after the trap"
    );
    for _ in 0..2 {
        let fresh = plugin.map(&context("usmf"), &input(&["key"], &["f"])).expect("maps");
        assert_eq!(seen(fresh), ("none".into(), Some(Value::Integer(1))), "a plain call is always fresh");
    }
    drop(session);
}

/// A well-behaved call, to show the host still serves.
fn good_call() {
    let customers = runtime().load(&plugin("customer-csv-mapper")).expect("loads");
    let columns = ["cust_no", "company_name", "street", "postcode", "city", "country", "phone", "credit_limit"];
    let batch = input(&columns, &["c1", "Contoso", "1 Main St", "98052", "Redmond", "US", "555-0100", "10"]);
    let mapped = customers.map(&Context::default(), &batch).expect("a good call succeeds");
    assert_eq!(mapped.outputs[0].batch.len(), 1);
}

#[test]
fn an_infinite_loop_is_stopped_at_its_time_limit() {
    let started = Instant::now();
    let (_, error) = attack("loop");
    assert!(matches!(error.kind, CallErrorKind::Timeout { limit_ms: 300, .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    good_call();
}

#[test]
fn a_plugin_blocked_in_a_wasi_sleep_is_stopped_at_its_time_limit_and_the_error_says_how_long_it_ran() {
    let started = Instant::now();
    let (_, error) = attack("sleep");
    let elapsed = started.elapsed();
    let CallErrorKind::Timeout { limit_ms: 300, elapsed_ms } = error.kind else { panic!("not a timeout: {error}") };
    assert!(elapsed < Duration::from_millis(300 + 700), "the 8 s sleep ran {elapsed:?} against a 300 ms limit");
    assert!((300..1_000).contains(&elapsed_ms), "the error claims {elapsed_ms} ms; it ran {elapsed:?}");
    assert!(error.to_string().contains(&format!("stopped after {elapsed_ms} ms")), "{error}");
    good_call();
}

#[test]
fn clocks_and_randomness_are_the_calls_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plugin = runtime().load(&hostile(dir.path(), "clock")).expect("loads");
    let probe = || {
        let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970");
        let error = plugin.map(&Context::default(), &input(&["a"], &["1"])).expect_err("the probe reports");
        let CallErrorKind::Failed(report) = error.kind else { panic!("{error}") };
        let value = |name: &str| -> u128 {
            let found = report.split(' ').find_map(|part| part.strip_prefix(&format!("{name}="))).expect(name);
            found.parse().unwrap_or_else(|_| panic!("{name} in {report}"))
        };
        (before.as_millis(), value("wall"), value("slept"), value("random"))
    };
    let (before, wall, slept, random) = probe();
    assert!(wall <= before + 1 && wall + 1_000 >= before, "the wall clock is the call's start: {wall} vs {before}");
    assert!((50..300).contains(&slept), "a sleep within the limit still sleeps: {slept} ms");
    let (_, _, _, again) = probe();
    assert_eq!(random, again, "randomness is seeded the same in every call, so calls replay");
}

#[test]
fn a_flood_of_slow_calls_to_one_plugin_fills_only_its_share_and_other_plugins_never_fail() {
    let config = RuntimeConfig {
        max_concurrent_calls: 12,
        max_calls_per_plugin: 4,
        busy_wait: Duration::from_millis(200),
        ..RuntimeConfig::default()
    };
    let runtime = Runtime::new(&config, Arc::new(NoEntities)).expect("a runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let looping = runtime.load(&hostile(dir.path(), "loop")).expect("loads");
    let customers = runtime.load(&plugin("customer-csv-mapper")).expect("loads");
    let columns = ["cust_no", "company_name", "street", "postcode", "city", "country", "phone", "credit_limit"];
    let batch = input(&columns, &["c1", "Contoso", "1 Main St", "98052", "Redmond", "US", "555-0100", "10"]);
    let (flood, good) = std::thread::scope(|scope| {
        let flood: Vec<_> =
            (0..24).map(|_| scope.spawn(|| looping.map(&Context::default(), &input(&["a"], &["1"])))).collect();
        std::thread::sleep(Duration::from_millis(50));
        let good: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| (0..5).map(|_| customers.map(&Context::default(), &batch)).collect::<Vec<_>>()))
            .collect();
        let flood: Vec<_> = flood.into_iter().map(|call| call.join().expect("a flood call")).collect();
        let good: Vec<_> = good.into_iter().flat_map(|calls| calls.join().expect("good calls")).collect();
        (flood, good)
    });
    let failed: Vec<_> = good.iter().filter_map(|call| call.as_ref().err()).collect();
    assert!(failed.is_empty(), "calls to an unrelated plugin failed during the flood: {failed:?}");
    let busy =
        flood.iter().filter(|call| matches!(call, Err(CallError { kind: CallErrorKind::Busy { .. }, .. }))).count();
    let stopped =
        flood.iter().filter(|call| matches!(call, Err(CallError { kind: CallErrorKind::Timeout { .. }, .. })));
    assert!(busy > 0, "the flood went past its share without waiting for a slot");
    let stopped = stopped.count();
    assert_eq!(busy + stopped, flood.len(), "each flood call is busy or stopped: {flood:?}");
    let calls = looping.calls();
    assert_eq!((calls.calls, calls.busy, calls.time_limit), (24, busy as u64, stopped as u64), "{calls:?}");
    assert_eq!(customers.calls().calls, 40, "the other plugin's version counts its own calls");
    assert_eq!(customers.calls().busy, 0);
}

#[test]
fn each_version_counts_its_calls_and_what_stopped_them() {
    let (memory, _) = attack("memory");
    let (output, _) = attack("output");
    let (panic, _) = attack("panic");
    let (looping, _) = attack("loop");
    let counted = |plugin: &Plugin| {
        let calls = plugin.calls();
        (calls.calls, calls.traps, calls.time_limit, calls.memory_limit, calls.output_limit, calls.busy)
    };
    assert_eq!(counted(&memory), (1, 0, 0, 1, 0, 0));
    assert_eq!(counted(&output), (1, 0, 0, 0, 1, 0));
    assert_eq!(counted(&panic), (1, 1, 0, 0, 0, 0));
    assert_eq!(counted(&looping), (1, 0, 1, 0, 0, 0));
    let stopped = looping.calls();
    let mean = stopped.mean_ms.expect("the call ran");
    assert!((300.0..5_000.0).contains(&mean), "it ran to its 300 ms limit: {stopped:?}");
    let p99 = stopped.p99_at_most_ms.expect("within the buckets");
    assert!(p99 >= mean && p99 <= mean * 5.0, "the bound of the call's bucket: {stopped:?}");
}

#[test]
fn a_memory_bomb_is_stopped_at_its_memory_limit() {
    let (_, error) = attack("memory");
    assert_eq!(error.kind, CallErrorKind::Memory { limit_mib: 16 });
    good_call();
}

#[test]
fn enormous_output_is_refused_at_its_output_limit() {
    let (_, error) = attack("output");
    assert!(matches!(error.kind, CallErrorKind::Output { limit_mib: 1, bytes } if bytes > 1 << 20), "{error}");
    good_call();
}

#[test]
fn row_errors_and_empty_outputs_count_against_the_output_limit_at_what_they_cost_the_host() {
    for attack_name in ["errors", "outputs"] {
        let started = Instant::now();
        let (_, error) = attack(attack_name);
        assert!(matches!(error.kind, CallErrorKind::Output { limit_mib: 1, .. }), "{attack_name}: {error}");
        assert!(started.elapsed() < Duration::from_secs(10), "{attack_name} took {:?}", started.elapsed());
    }
    let (_, error) = attack("error-rows");
    let CallErrorKind::Malformed(message) = &error.kind else { panic!("{error}") };
    assert_eq!(message, "100 row errors for 1 input rows (at most 64 a row)");
    good_call();
}

#[test]
fn a_panic_traps_and_reports_the_panic_message() {
    let (_, error) = attack("panic");
    let CallErrorKind::Trap(message) = &error.kind else { panic!("not a trap: {error}") };
    assert!(message.contains("the partner file had a surprise"), "{message}");
    good_call();
}

#[test]
fn deep_recursion_is_a_stack_overflow_not_a_crash() {
    let (_, error) = attack("recursion");
    assert_eq!(error.kind, CallErrorKind::Trap("stack overflow (recursion too deep)".into()));
    good_call();
}

#[test]
fn calling_exit_fails_the_call_not_the_host() {
    let (_, error) = attack("exit");
    // WASI preview 2 knows success and failure only.
    assert_eq!(error.kind, CallErrorKind::Trap("called exit(1)".into()));
    good_call();
}

#[test]
fn a_log_flood_is_cut_off_and_the_call_still_finishes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plugin = runtime().load(&hostile(dir.path(), "log-flood")).expect("loads");
    // Its time limit stops it if the log budget did not make the flood cheap.
    let result = plugin.map(&Context::default(), &input(&["a"], &["1"]));
    assert!(
        result.is_ok() || matches!(result, Err(CallError { kind: CallErrorKind::Timeout { .. }, .. })),
        "{result:?}"
    );
}

#[test]
fn rows_for_an_entity_outside_the_manifest_are_malformed_output() {
    let (_, error) = attack("entity");
    assert!(matches!(&error.kind, CallErrorKind::Malformed(m) if m.contains("NotMine")), "{error}");
}

#[test]
fn the_sandbox_grants_no_files_environment_arguments_or_sockets() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let address = listener.local_addr().expect("address").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let plugin = runtime().load(&hostile(dir.path(), "sandbox")).expect("loads");
    let error = plugin.map(&Context::default(), &input(&["address"], &[&address])).expect_err("reports by failing");
    assert_eq!(
        error.kind,
        CallErrorKind::Failed("file=denied dir=denied write=denied env=denied args=denied socket=denied".into())
    );
    assert!(listener.accept().is_err(), "the plugin reached a socket");
    assert!(!std::path::Path::new("/tmp/wharf-escape").exists());
}

#[test]
fn a_runaway_plugin_does_not_hold_up_calls_to_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let looping = runtime().load(&hostile(dir.path(), "loop")).expect("loads");
    std::thread::scope(|scope| {
        let runaway = scope.spawn(|| looping.map(&Context::default(), &input(&["a"], &["1"])));
        for _ in 0..20 {
            good_call();
        }
        let error = runaway.join().expect("thread").expect_err("stopped");
        assert!(matches!(error.kind, CallErrorKind::Timeout { limit_ms: 300, .. }), "{error}");
    });
}

#[test]
fn malformed_results_from_a_plugin_that_skips_the_sdk_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (attack, expected) in [
        ("bad-utf8", "text that is not UTF-8"),
        ("bad-offsets", "cell offsets out of order or out of bounds"),
        ("huge-row-count", "do not fit"),
        ("source-out-of-range", "source rows do not match the rows"),
        ("missing-source-rows", "source rows do not match the rows"),
        ("error-out-of-range", "an error for row 99, which is not in the input"),
    ] {
        let plugin = runtime().load(&attacker("raw-mapper", dir.path(), attack)).expect("loads");
        let error = plugin.map(&Context::default(), &input(&["a"], &["1"])).expect_err(attack);
        assert_eq!(error.plugin, format!("raw-mapper-{attack}@0.1.0"));
        assert!(matches!(&error.kind, CallErrorKind::Malformed(m) if m.contains(expected)), "{attack}: {error}");
    }
    good_call();
}

#[test]
fn a_result_that_points_many_entries_at_the_same_bytes_is_stopped_while_it_is_copied() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A hundred thousand row errors sharing one 1 MiB message: 100 GB if the host copied them.
    let wasm = attacker("raw-mapper", dir.path(), "aliased-errors");
    let plugin = runtime().load(&wasm).expect("loads");
    let started = Instant::now();
    let error = plugin.map(&Context::default(), &input(&["a"], &["1"])).expect_err("refused");
    let limit = plugin.manifest().limits;
    let copied = limit.output_bytes() * wharf::plugin::LIFT_FACTOR;
    assert_eq!(error.kind, CallErrorKind::Output { bytes: copied, limit_mib: limit.output_mib }, "{error}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    good_call();
}
