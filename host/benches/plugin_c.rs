//! The C plugin benchmark: the C customer mapper (`plugins/customer-csv-mapper-c`, built with
//! the C SDK) against the same mapping compiled natively, with the Rust mapper's ratio from the
//! same run beside it.
//!
//! The native baseline is the one `benches/plugin.rs` uses: the Rust mapper's own code
//! (`customer_csv_mapper::map_batch`) on the same batch. Native code and both components are
//! measured alternately, because these machines are shared and noisy. Run with
//! `cargo bench -p wharf --bench plugin_c`; `cargo test` runs it in quick mode (one batch
//! size, short samples). It ends with `bench: <name> = <value> <unit>` lines.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use customer_csv_mapper::{Settings, map_batch};
use wharf::plugin::{NoEntities, Plugin, Runtime, RuntimeConfig};
use wharf_plugin_sdk::{Batch, BatchBuilder, Context, ValueRef};

mod support;
use support::{Report, Sampling, Scale, measure_alternately};

const BATCH_SIZES: [usize; 3] = [1, 256, 4096];
/// Quick mode's: the size of the headline figure.
const QUICK_BATCH_SIZES: [usize; 1] = [256];
const SOURCE_COLUMNS: [&str; 8] =
    ["cust_no", "company_name", "street", "postcode", "city", "country", "phone", "credit_limit"];

fn main() {
    let scale = Scale::of_this_run();
    let mut headlines = Report::new(env!("CARGO_CRATE_NAME"), scale);
    let batch_sizes = scale.pick(&BATCH_SIZES[..], &QUICK_BATCH_SIZES[..]);
    let sampling = scale.pick(
        Sampling { samples: 9, time: Duration::from_millis(60) },
        Sampling { samples: 3, time: Duration::from_millis(4) },
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_owned();
    let work = root.join("target/bench-plugins");
    eprintln!("building the benchmark's plugins ...");
    // The Rust mapper in the same place and target directory as `benches/plugin.rs`, so the
    // two benchmarks share its build; the C mapper through its manifest's `[build]` command.
    let built = |dir: &Path, target: Option<&Path>| {
        wharf::run::plugin::build(dir, &work.join("plugins"), target)
            .unwrap_or_else(|error| panic!("cannot build {}: {error:#}", dir.display()))
    };
    let rust_wasm = built(&root.join("plugins/customer-csv-mapper"), Some(&work.join("plugins")));
    let c_wasm = built(&root.join("plugins/customer-csv-mapper-c"), None);

    let cache = tempfile::tempdir().expect("tempdir");
    let config = RuntimeConfig { cache_dir: Some(cache.path().to_owned()), ..RuntimeConfig::default() };
    let runtime = Runtime::new(&config, Arc::new(NoEntities)).expect("runtime");
    let rust_plugin = runtime.load(&rust_wasm).expect("the Rust mapper loads");
    let c_plugin = runtime.load(&c_wasm).expect("the C mapper loads");
    let settings = Settings { home_country: "USA".into(), account_prefix: "NW-".into() };

    println!("{:>6} {:>14} {:>12} {:>12} {:>10}", "batch", "mapper", "us/call", "rows/s", "vs native");
    for &size in batch_sizes {
        let batch = source_batch(size);
        check_same_output(&rust_plugin, &c_plugin, &settings, &batch);
        let [native, rust, c] = measure_alternately(
            sampling,
            [
                &mut || drop(std::hint::black_box(map_batch(&settings, &batch))),
                &mut || drop(std::hint::black_box(rust_plugin.map(&Context::default(), &batch).expect("call"))),
                &mut || drop(std::hint::black_box(c_plugin.map(&Context::default(), &batch).expect("call"))),
            ],
        );
        let ratio = |time: Duration| time.as_secs_f64() / native.as_secs_f64();
        for (mapper, time) in [("native", native), ("wasm rust", rust), ("wasm c", c)] {
            let per_call = time.as_secs_f64() * 1e6;
            let rows_per_s = size as f64 / time.as_secs_f64();
            println!("{size:>6} {mapper:>14} {per_call:>12.2} {rows_per_s:>12.0} {:>9.2}x", ratio(time));
        }
        headlines.headline(format!("plugin.c.over_native.batch{size}"), ratio(c), "x");
        headlines.headline(format!("plugin.rust.over_native.batch{size}"), ratio(rust), "x");
        headlines.headline(format!("plugin.c.over_rust.batch{size}"), c.as_secs_f64() / rust.as_secs_f64(), "x");
    }
    for (mapper, wasm) in [("rust", &rust_wasm), ("c", &c_wasm)] {
        let bytes = std::fs::metadata(wasm).expect("the component").len();
        headlines.headline(format!("plugin.{mapper}.component_kib"), bytes as f64 / 1024.0, "KiB");
    }
    headlines.save().expect("the results are saved");
}

/// Realistic Northwind rows, a few of them rejected (as in real files): the rows
/// `benches/plugin.rs` measures with.
fn source_batch(count: usize) -> Batch {
    const COUNTRIES: [&str; 6] = ["Germany", "USA", "uk", "DK", "Canada", "Mexico"];
    const CITIES: [&str; 6] = ["Berlin", "Seattle", "London", "Århus", "Toronto", "Monterrey"];
    let mut builder = BatchBuilder::new(SOURCE_COLUMNS);
    for n in 0..count {
        let credit_limit = if n % 2 == 0 {
            format!("{},{:03}.50", n % 90 + 1, n % 1000)
        } else {
            format!("{}.{:03},75", n % 90 + 1, n % 1000)
        };
        let row = [
            format!("  c{n:06} "),
            format!(" Customer {n} Trading Company "),
            format!("{} Harbour Street", n % 997),
            format!("{:05}", n * 7 % 99_999),
            CITIES[n % 6].to_owned(),
            if n % 97 == 13 { "Atlantis".to_owned() } else { COUNTRIES[n % 6].to_owned() },
            format!("+1 (425) 555-{:04}", n % 10_000),
            credit_limit,
        ];
        builder.push_row(&row.each_ref().map(|field| ValueRef::String(field)));
    }
    builder.finish()
}

/// The C mapper gives exactly what the Rust mapper gives (rows, source rows, row errors), and
/// both give what the native mapping gives.
fn check_same_output(rust: &Plugin, c: &Plugin, settings: &Settings, batch: &Batch) {
    let from_rust = rust.map(&Context::default(), batch).expect("the Rust mapper's call");
    let from_c = c.map(&Context::default(), batch).expect("the C mapper's call");
    assert_eq!(from_c, from_rust, "the C mapper differs from the Rust mapper");
    let (outputs, errors) = map_batch(settings, batch).into_parts();
    let (_, native_rows, native_sources) = outputs.into_iter().next().expect("one output").into_parts();
    assert_eq!(from_c.outputs[0].batch, native_rows, "the C mapper's rows differ from native");
    assert_eq!(from_c.outputs[0].source_rows, native_sources);
    assert_eq!(from_c.errors, errors, "the C mapper's rejects differ from native");
}
