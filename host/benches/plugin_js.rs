//! What a plugin written in JavaScript costs: the JavaScript company filter
//! (`plugins/company-filter-js`, a SpiderMonkey component built by componentize-js) against its
//! Rust twin (`plugins/company-filter`) on the same batches, measured alternately in this one
//! run.
//!
//! Every call runs in a fresh instance, as in the server. The engine's instance is started from
//! the snapshot componentize-js took at build time (engine up, plugin and SDK evaluated), so a
//! call pays for the instance's memory and the plugin's work, not for the engine's start-up;
//! the instantiation is measured on its own too, and the component's size.
//!
//! Run with `cargo bench -p wharf --bench plugin_js`; `cargo test` runs it in quick mode
//! (short samples). It ends with `bench: <name> = <value> <unit>` lines.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wharf::plugin::{NoEntities, Plugin, Runtime, RuntimeConfig};
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
    eprintln!("building the Rust and the JavaScript company filters ...");
    let built = |name: &str| {
        let dir = root.join("plugins").join(name);
        wharf::run::plugin::build(&dir, &work.join("plugins"), Some(&work.join("plugins")))
            .unwrap_or_else(|error| panic!("cannot build {}: {error:#}", dir.display()))
    };
    let rust_wasm = built("company-filter");
    let js_wasm = built("company-filter-js");

    // A measurement compiles the components afresh, and says what the compile costs; quick mode
    // keeps them compiled under target/ between runs, since compiling the engine's megabytes
    // unoptimised takes a good part of a minute.
    let fresh = tempfile::tempdir().expect("tempdir");
    let cache_dir = scale.pick(fresh.path().to_owned(), work.join("cache"));
    let config = RuntimeConfig { cache_dir: Some(cache_dir), ..RuntimeConfig::default() };
    let runtime = Runtime::new(&config, Arc::new(NoEntities)).expect("runtime");
    let rust = runtime.load(&rust_wasm).expect("the Rust filter loads");
    let started = Instant::now();
    let js = runtime.load(&js_wasm).expect("the JavaScript filter loads");
    let js_load = started.elapsed();

    let ctx = Context { entity: "Customer".into(), company: Some("usmf".into()), ..Context::default() };
    println!("{:>6} {:>8} {:>12} {:>12} {:>10}", "batch", "plugin", "us/call", "us/row", "vs rust");
    for size in [1, BATCH] {
        let batch = portal_customers(size);
        let answers = rust.keep(&ctx, &batch).expect("the Rust filter answers");
        assert_eq!(js.keep(&ctx, &batch).expect("the JavaScript filter answers"), answers, "the twins disagree");
        let [rust_time, js_time] = measure_alternately(
            sampling,
            [&mut || drop(std::hint::black_box(rust.keep(&ctx, &batch).expect("call"))), &mut || {
                drop(std::hint::black_box(js.keep(&ctx, &batch).expect("call")))
            }],
        );
        for (name, time) in [("rust", rust_time), ("js", js_time)] {
            let per_call = time.as_secs_f64() * 1e6;
            let over = time.as_secs_f64() / rust_time.as_secs_f64();
            println!("{size:>6} {name:>8} {per_call:>12.1} {:>12.2} {over:>9.1}x", per_call / size as f64);
        }
        let micros = |time: Duration| time.as_secs_f64() * 1e6;
        if size == BATCH {
            headlines.headline("plugin.js.call_us", micros(js_time), "us");
            headlines.headline("plugin.rust_filter.call_us", micros(rust_time), "us");
            headlines.headline("plugin.js.over_rust", js_time.as_secs_f64() / rust_time.as_secs_f64(), "x");
            headlines.headline("plugin.js.row_us", micros(js_time) / size as f64, "us");
        } else {
            headlines.headline("plugin.js.call_us.batch1", micros(js_time), "us");
        }
    }
    let [rust_start, js_start] = measure_alternately(sampling, [&mut || instantiate(&rust), &mut || instantiate(&js)]);
    headlines.headline("plugin.js.instantiate_us", js_start.as_secs_f64() * 1e6, "us");
    headlines.headline("plugin.rust_filter.instantiate_us", rust_start.as_secs_f64() * 1e6, "us");
    if scale == Scale::Full {
        headlines.headline("plugin.js.compile_ms", js_load.as_secs_f64() * 1e3, "ms");
    }
    let size = |wasm: &Path| std::fs::metadata(wasm).expect("a component").len() as f64 / (1 << 20) as f64;
    headlines.headline("plugin.js.component_mib", size(&js_wasm), "MiB");
    headlines.headline("plugin.rust_filter.component_mib", size(&rust_wasm), "MiB");
    headlines.save().expect("the results are saved");
}

fn instantiate(plugin: &Plugin) {
    plugin.instantiate().expect("instantiates");
}
