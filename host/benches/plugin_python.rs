//! What a plugin written in Python costs: the Python company filter (`plugins/company-filter-py`,
//! a CPython component built by componentize-py) against its Rust twin (`plugins/company-filter`)
//! on the same batches, measured alternately in this one run.
//!
//! Every call runs in a fresh instance, as in the server. CPython's instance is started from the
//! snapshot componentize-py took at build time (interpreter up, SDK and plugin imported), so a
//! call pays for the instance's memory and the plugin's work, not for Python's start-up.
//!
//! Run with `cargo bench -p wharf --bench plugin_python`; `cargo test` runs it in quick mode
//! (short samples). It ends with `bench: <name> = <value> <unit>` lines.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use wharf::plugin::{LoadLimits, NoEntities, Plugin, Runtime, RuntimeConfig};
use wharf_plugin_sdk::Context;

mod support;
use support::{Report, Sampling, Scale, measure_alternately, portal_customers};

/// The batch size the figures are given at: what the pipeline sends a filter.
const BATCH: usize = 256;

fn main() {
    let scale = Scale::of_this_run();
    let mut headlines = Report::new(env!("CARGO_CRATE_NAME"), scale);
    let sampling = scale.pick(
        Sampling { samples: 9, time: Duration::from_millis(400) },
        Sampling { samples: 3, time: Duration::from_millis(20) },
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_owned();
    let work = root.join("target/bench-plugins");
    eprintln!("building the Rust and the Python company filters ...");
    let built = |name: &str| {
        let dir = root.join("plugins").join(name);
        wharf::run::plugin::build(&dir, &work.join("plugins"), Some(&work.join("plugins")))
            .unwrap_or_else(|error| panic!("cannot build {}: {error:#}", dir.display()))
    };
    let rust_wasm = built("company-filter");
    let python_wasm = built("company-filter-py");

    // Compiled components are kept between runs: an unoptimised build (quick mode under
    // `cargo test`) takes a minute to compile CPython's 18 MiB on a busy machine, which is
    // why the limit on compile time is raised too.
    let load_limits = LoadLimits { max_compile_time: Duration::from_secs(600), ..LoadLimits::default() };
    let config = RuntimeConfig { cache_dir: Some(work.join("cache")), load_limits, ..RuntimeConfig::default() };
    let runtime = Runtime::new(&config, Arc::new(NoEntities)).expect("runtime");
    let rust = runtime.load(&rust_wasm).expect("the Rust filter loads");
    let python = runtime.load(&python_wasm).expect("the Python filter loads");

    let ctx = Context { entity: "Customer".into(), company: Some("usmf".into()), ..Context::default() };
    println!("{:>6} {:>8} {:>12} {:>12} {:>10}", "batch", "plugin", "us/call", "us/row", "vs rust");
    for size in [1, BATCH] {
        let batch = portal_customers(size);
        let answers = rust.keep(&ctx, &batch).expect("the Rust filter answers");
        assert_eq!(python.keep(&ctx, &batch).expect("the Python filter answers"), answers, "the twins disagree");
        let [rust_time, python_time] = measure_alternately(
            sampling,
            [&mut || drop(std::hint::black_box(rust.keep(&ctx, &batch).expect("call"))), &mut || {
                drop(std::hint::black_box(python.keep(&ctx, &batch).expect("call")))
            }],
        );
        let ratio = python_time.as_secs_f64() / rust_time.as_secs_f64();
        for (name, time) in [("rust", rust_time), ("python", python_time)] {
            let per_call = time.as_secs_f64() * 1e6;
            let over = time.as_secs_f64() / rust_time.as_secs_f64();
            println!("{size:>6} {name:>8} {per_call:>12.1} {:>12.2} {over:>9.1}x", per_call / size as f64);
        }
        if size == BATCH {
            headlines.headline("plugin.python.call_us", python_time.as_secs_f64() * 1e6, "us");
            headlines.headline("plugin.rust_filter.call_us", rust_time.as_secs_f64() * 1e6, "us");
            headlines.headline("plugin.python.over_rust", ratio, "x");
            headlines.headline("plugin.python.row_us", python_time.as_secs_f64() * 1e6 / size as f64, "us");
        } else {
            headlines.headline("plugin.python.call_us.batch1", python_time.as_secs_f64() * 1e6, "us");
        }
    }
    let [rust_start, python_start] =
        measure_alternately(sampling, [&mut || instantiate(&rust), &mut || instantiate(&python)]);
    headlines.headline("plugin.python.instantiate_us", python_start.as_secs_f64() * 1e6, "us");
    headlines.headline("plugin.rust_filter.instantiate_us", rust_start.as_secs_f64() * 1e6, "us");
    let size = |wasm: &Path| std::fs::metadata(wasm).expect("a component").len() as f64 / (1 << 20) as f64;
    headlines.headline("plugin.python.component_mib", size(&python_wasm), "MiB");
    headlines.headline("plugin.rust_filter.component_mib", size(&rust_wasm), "MiB");
    headlines.save().expect("the results are saved");
}

fn instantiate(plugin: &Plugin) {
    plugin.instantiate().expect("instantiates");
}
