//! The plugin runtime benchmark: the batch encoding against the same mapping compiled
//! natively, instantiation, loading from the artifact cache, hot-swap latency, and how much
//! a plugin's calls notice another plugin saturating its share of the instance pool.
//!
//! Every figure comes from this one run, and the encodings are reported as ratios against
//! native code measured alternately with them, because these machines are shared and noisy.
//! Run with `cargo bench -p wharf --bench plugin`; `cargo test` runs it in quick mode (three
//! batch sizes, short samples, three swaps). Each batch size is measured with a fresh instance
//! per call (as OData writes and actions have it) and with one instance reused for every call
//! (as the batches of one import have it). It ends with `bench: <name> = <value> <unit>`
//! lines.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use customer_csv_mapper::{Settings, Source, map_batch, map_customer};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wharf::plugin::{NoEntities, Plugin, Registry, Role, Runtime, RuntimeConfig, Session, Watcher, engine_config};
use wharf_plugin_sdk::{Batch, BatchBuilder, Context, RowError, ValueRef};

mod support;
use support::{Report, Sampling, Scale, measure_alternately};

mod typed {
    wasmtime::component::bindgen!({
        path: "benches/typed-rows.wit",
        world: "typed-mapper",
        additional_derives: [PartialEq],
    });
}
use typed::exports::wharf_bench::typed_rows::mapper::{Batch as TypedBatch, Value as TypedValue};

const BATCH_SIZES: [usize; 5] = [1, 16, 256, 1024, 4096];
/// Quick mode's: one row (the call overhead) and many.
const QUICK_BATCH_SIZES: [usize; 3] = [1, 256, 1024];
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
    let swaps = scale.pick(11, 3);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_owned();
    let work = root.join("target/bench-plugins");
    eprintln!("building the benchmark's plugins ...");
    // Separate target directories: the typed guest builds the customer mapper without its
    // export, and must not overwrite the exporting build's artifact.
    let built = |crate_dir: PathBuf, target: &str| {
        wharf::run::plugin::build(&crate_dir, &work.join("plugins"), Some(&work.join(target)))
            .unwrap_or_else(|error| panic!("cannot build {}: {error:#}", crate_dir.display()))
    };
    let bytes_wasm = built(root.join("plugins/customer-csv-mapper"), "plugins");
    let typed_wasm = built(root.join("host/benches/guests/typed-mapper"), "guests");

    let cache = tempfile::tempdir().expect("tempdir");
    let config = RuntimeConfig { cache_dir: Some(cache.path().to_owned()), ..RuntimeConfig::default() };
    let runtime = Runtime::new(&config, Arc::new(NoEntities)).expect("runtime");
    let bytes_plugin = Arc::new(runtime.load(&bytes_wasm).expect("compact-rows mapper loads"));
    let typed_plugin = TypedPlugin::new(&config, &typed_wasm);
    let settings = Settings { home_country: "USA".into(), account_prefix: "NW-".into() };

    println!("{:>6} {:>22} {:>12} {:>12} {:>10}", "batch", "encoding", "us/call", "rows/s", "vs native");
    for &size in batch_sizes {
        let rows = source_rows(size);
        let batch = compact_batch(&rows);
        let typed_batch = typed_batch(&rows);
        check_same_output(&bytes_plugin, &typed_plugin, &settings, &batch, &typed_batch);
        // The same instance for every call, as an import's batches have it.
        let mut session = Session::new(bytes_plugin.clone());
        let [native_bytes, wasm_bytes, wasm_reused, native_typed, wasm_typed] = measure_alternately(
            sampling,
            [
                &mut || drop(std::hint::black_box(native_compact(&settings, &batch))),
                &mut || drop(std::hint::black_box(bytes_plugin.map(&Context::default(), &batch).expect("call"))),
                &mut || drop(std::hint::black_box(session.map(&Context::default(), &batch).expect("call"))),
                &mut || drop(std::hint::black_box(native_typed_map(&settings, &typed_batch))),
                &mut || drop(std::hint::black_box(typed_plugin.map(&typed_batch))),
            ],
        );
        for (encoding, time, native) in [
            ("native (compact rows)", native_bytes, native_bytes),
            ("wasm compact rows", wasm_bytes, native_bytes),
            ("wasm compact, reused", wasm_reused, native_bytes),
            ("native (typed rows)", native_typed, native_typed),
            ("wasm typed rows", wasm_typed, native_typed),
        ] {
            let per_call = time.as_secs_f64() * 1e6;
            let rows_per_s = size as f64 / time.as_secs_f64();
            let ratio = time.as_secs_f64() / native.as_secs_f64();
            println!("{size:>6} {encoding:>22} {per_call:>12.2} {rows_per_s:>12.0} {ratio:>9.2}x");
        }
        let ratio = |wasm: Duration, native: Duration| wasm.as_secs_f64() / native.as_secs_f64();
        headlines.headline(format!("mapper.wasm_over_native.batch{size}"), ratio(wasm_bytes, native_bytes), "x");
        headlines.headline(format!("mapper.reused_over_native.batch{size}"), ratio(wasm_reused, native_bytes), "x");
        headlines.headline(format!("mapper.typed_over_native.batch{size}"), ratio(wasm_typed, native_typed), "x");
        let per_row = |time: Duration| time.as_secs_f64() * 1e9 / size as f64;
        headlines.headline(format!("mapper.native_ns_per_row.batch{size}"), per_row(native_bytes), "ns");
        headlines.headline(format!("mapper.fresh_ns_per_row.batch{size}"), per_row(wasm_bytes), "ns");
        headlines.headline(format!("mapper.reused_ns_per_row.batch{size}"), per_row(wasm_reused), "ns");
        headlines.headline(
            format!("mapper.compact_rows_per_s.batch{size}"),
            size as f64 / wasm_bytes.as_secs_f64(),
            "rows/s",
        );
        headlines.headline(
            format!("mapper.typed_rows_per_s.batch{size}"),
            size as f64 / wasm_typed.as_secs_f64(),
            "rows/s",
        );
        if size == 1 {
            let overhead = |wasm: Duration| wasm.saturating_sub(native_bytes).as_secs_f64() * 1e6;
            headlines.headline("mapper.call_overhead", overhead(wasm_bytes), "us");
            headlines.headline("mapper.reused_call_overhead", overhead(wasm_reused), "us");
        }
    }

    let [instantiate] = measure_alternately(sampling, [&mut || bytes_plugin.instantiate().expect("instantiates")]);
    headlines.headline("instantiate", instantiate.as_secs_f64() * 1e6, "us");
    // What a call costs the kernel: page faults of this thread and TLB shootdowns of the
    // machine (the instance pool unmapping pages other cores may hold), per call at batch 256.
    let batch = compact_batch(&source_rows(256));
    let calls = scale.pick(2_000, 50);
    let mut session = Session::new(bytes_plugin.clone());
    let kinds: [(&str, &mut dyn FnMut()); 2] = [
        ("fresh", &mut || drop(bytes_plugin.map(&Context::default(), &batch).expect("call"))),
        ("reused", &mut || drop(session.map(&Context::default(), &batch).expect("call"))),
    ];
    for (name, call) in kinds {
        call();
        let (faults, shootdowns) = (minor_faults(), tlb_shootdowns());
        (0..calls).for_each(|_| call());
        let per_call = |before: Option<u64>, after: Option<u64>| {
            before.zip(after).map(|(before, after)| after.saturating_sub(before) as f64 / calls as f64)
        };
        if let Some(faults) = per_call(faults, minor_faults()) {
            headlines.headline(format!("mapper.{name}.page_faults_per_call"), faults, "faults");
        }
        if let Some(shootdowns) = per_call(shootdowns, tlb_shootdowns()) {
            headlines.headline(format!("mapper.{name}.tlb_shootdowns_per_call"), shootdowns, "shootdowns");
        }
    }
    let [cached_load] = measure_alternately(sampling, [&mut || drop(runtime.load(&bytes_wasm).expect("loads"))]);
    headlines.headline("cached_load", cached_load.as_secs_f64() * 1e3, "ms");
    let (swap_median, swap_max) = hot_swap(&runtime, &bytes_wasm, swaps);
    headlines.headline("hot_swap", swap_median.as_secs_f64() * 1e3, "ms");
    headlines.headline("hot_swap.max", swap_max.as_secs_f64() * 1e3, "ms");

    let hostile_wasm = built(root.join("tests/plugins/hostile"), "plugins");
    let (alone, crowded) = pool_isolation(cache.path(), &bytes_wasm, &hostile_wasm, scale.pick(400, 30));
    headlines.headline("pool.isolation.p99_alone", alone.as_secs_f64() * 1e6, "us");
    headlines.headline("pool.isolation.p99_beside_saturated", crowded.as_secs_f64() * 1e6, "us");
    headlines.headline("pool.isolation", crowded.as_secs_f64() / alone.as_secs_f64(), "x");
    headlines.save().expect("the results are saved");
}

/// This thread's minor page faults so far (`/proc/thread-self/stat`, field 10); `None` where
/// the file is missing.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The command name, field 2, is in parentheses and may hold spaces: count from after it.
    stat.rsplit_once(')')?.1.split_whitespace().nth(7)?.parse().ok()
}

/// TLB shootdowns on every core so far (the `TLB` line of `/proc/interrupts`); `None` where
/// the kernel does not count them.
fn tlb_shootdowns() -> Option<u64> {
    let interrupts = std::fs::read_to_string("/proc/interrupts").ok()?;
    let line = interrupts.lines().find(|line| line.trim_start().starts_with("TLB:"))?;
    Some(line.split_whitespace().skip(1).map_while(|count| count.parse::<u64>().ok()).sum())
}

/// Realistic Northwind rows, a few of them rejected (as in real files).
fn source_rows(count: usize) -> Vec<[String; 8]> {
    const COUNTRIES: [&str; 6] = ["Germany", "USA", "uk", "DK", "Canada", "Mexico"];
    (0..count)
        .map(|n| {
            [
                format!("  c{n:06} "),
                format!(" Customer {n} Trading Company "),
                format!("{} Harbour Street", n % 997),
                format!("{:05}", n * 7 % 99_999),
                ["Berlin", "Seattle", "London", "Århus", "Toronto", "Monterrey"][n % 6].to_owned(),
                if n % 97 == 13 { "Atlantis".to_owned() } else { COUNTRIES[n % 6].to_owned() },
                format!("+1 (425) 555-{:04}", n % 10_000),
                if n % 2 == 0 {
                    format!("{},{:03}.50", n % 90 + 1, n % 1000)
                } else {
                    format!("{}.{:03},75", n % 90 + 1, n % 1000)
                },
            ]
        })
        .collect()
}

fn compact_batch(rows: &[[String; 8]]) -> Batch {
    let mut builder = BatchBuilder::new(SOURCE_COLUMNS);
    for row in rows {
        builder.push_row(&row.each_ref().map(|field| ValueRef::String(field)));
    }
    builder.finish()
}

fn typed_batch(rows: &[[String; 8]]) -> TypedBatch {
    TypedBatch {
        columns: SOURCE_COLUMNS.iter().map(|column| column.to_string()).collect(),
        rows: rows.iter().map(|row| row.iter().map(|field| TypedValue::String(field.clone())).collect()).collect(),
    }
}

/// Rows per entity (with their source rows), and the rejected rows.
type NativeOutput = (Vec<(String, Batch, Vec<u32>)>, Vec<RowError>);

/// The compact-rows mapping natively: the plugin's own code on the same batch.
fn native_compact(settings: &Settings, batch: &Batch) -> NativeOutput {
    let (outputs, errors) = map_batch(settings, batch).into_parts();
    (outputs.into_iter().map(|rows| rows.into_parts()).collect(), errors)
}

struct TypedRow<'a> {
    columns: &'a [String],
    values: &'a [TypedValue],
    index: u32,
}

impl<'a> Source<'a> for TypedRow<'a> {
    fn text(&self, name: &str) -> Result<&'a str, RowError> {
        let column = self.columns.iter().position(|column| column == name);
        match column.and_then(|column| self.values.get(column)) {
            Some(TypedValue::String(text)) => Ok(text),
            Some(TypedValue::Null) => Ok(""),
            _ => Err(self.error(name, "the column is missing".into())),
        }
    }

    fn error(&self, field: &str, message: String) -> RowError {
        RowError::new(self.index, message).field(field)
    }
}

/// The typed-rows mapping natively: what the typed guest does, on the host's typed rows.
fn native_typed_map(settings: &Settings, batch: &TypedBatch) -> (Vec<Vec<TypedValue>>, Vec<u32>, Vec<RowError>) {
    let (mut rows, mut source_rows, mut errors) = (Vec::with_capacity(batch.rows.len()), Vec::new(), Vec::new());
    let mut account = String::new();
    for (index, values) in batch.rows.iter().enumerate() {
        let row = TypedRow { columns: &batch.columns, values, index: index as u32 };
        match map_customer(settings, &row, &mut account) {
            Ok(customer) => {
                rows.push(customer.values(&account).into_iter().map(typed_value).collect());
                source_rows.push(index as u32);
            }
            Err(error) => errors.push(error),
        }
    }
    (rows, source_rows, errors)
}

fn typed_value(value: ValueRef<'_>) -> TypedValue {
    match value {
        ValueRef::String(text) => TypedValue::String(text.into()),
        ValueRef::Decimal(text) => TypedValue::Decimal(text.into()),
        other => TypedValue::String(other.to_string()),
    }
}

/// Both encodings, in wasm, make the same rows as native code.
fn check_same_output(
    bytes: &Plugin,
    typed: &TypedPlugin,
    settings: &Settings,
    batch: &Batch,
    typed_batch: &TypedBatch,
) {
    let mapped = bytes.map(&Context::default(), batch).expect("compact call");
    let native = native_compact(settings, batch);
    assert_eq!(mapped.outputs[0].batch, native.0[0].1, "compact rows differ from native");
    let (typed_rows, typed_sources, _) = native_typed_map(settings, typed_batch);
    let wasm_typed = typed.map(typed_batch);
    assert_eq!(wasm_typed.output.rows, typed_rows, "typed rows differ from native");
    assert_eq!(wasm_typed.source_rows, typed_sources);
    assert_eq!(mapped.outputs[0].source_rows, typed_sources, "encodings disagree");
}

/// The typed-rows guest, run as the runtime runs plugins: same engine configuration, a fresh
/// store per call with a memory limit and an epoch deadline, WASI granting nothing.
struct TypedPlugin {
    engine: Engine,
    pre: typed::TypedMapperPre<TypedState>,
}

struct TypedState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
}

impl WasiView for TypedState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl TypedPlugin {
    fn new(config: &RuntimeConfig, wasm: &Path) -> TypedPlugin {
        let engine = Engine::new(&engine_config(config)).expect("engine");
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("wasi");
        let component = Component::from_file(&engine, wasm).expect("typed guest compiles");
        let pre = typed::TypedMapperPre::new(linker.instantiate_pre(&component).expect("links")).expect("exports");
        let ticker = engine.weak();
        std::thread::spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        TypedPlugin { engine, pre }
    }

    fn map(&self, batch: &TypedBatch) -> typed::exports::wharf_bench::typed_rows::mapper::Mapped {
        let state = TypedState {
            wasi: WasiCtxBuilder::new().build(),
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new().memory_size(256 << 20).build(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(1000);
        let instance = self.pre.instantiate(&mut store).expect("instantiates");
        instance.wharf_bench_typed_rows_mapper().call_map(&mut store, batch).expect("call")
    }
}

/// The p99 of `calls` calls of the customer mapper (batch 256) alone, and while a plugin whose
/// calls each hold a slot for their whole time limit (the hostile plugin, sleeping) is called
/// by three times as many threads as its share of the pool: the share keeps the flood to
/// itself, so the mapper should not notice.
fn pool_isolation(cache: &Path, mapper_wasm: &Path, hostile_wasm: &Path, calls: usize) -> (Duration, Duration) {
    let config = RuntimeConfig {
        cache_dir: Some(cache.to_owned()),
        max_concurrent_calls: 16,
        max_calls_per_plugin: 4,
        ..RuntimeConfig::default()
    };
    let runtime = Runtime::new(&config, Arc::new(NoEntities)).expect("runtime");
    let mapper = runtime.load(mapper_wasm).expect("the mapper loads");
    let dir = tempfile::tempdir().expect("tempdir");
    let sleeper_wasm = dir.path().join("sleeper.wasm");
    std::fs::copy(hostile_wasm, &sleeper_wasm).expect("copy");
    let manifest = std::fs::read_to_string(hostile_wasm.with_extension("toml")).expect("manifest");
    std::fs::write(sleeper_wasm.with_extension("toml"), manifest.replace("attack = \"none\"", "attack = \"sleep\""))
        .expect("manifest");
    let sleeper = runtime.load(&sleeper_wasm).expect("the sleeper loads");
    let batch = compact_batch(&source_rows(256));
    let one_byte = {
        let mut builder = BatchBuilder::new(["a"]);
        builder.push_row(&["1".into()]);
        builder.finish()
    };
    let p99 = |calls: usize| {
        let mut times: Vec<Duration> = (0..calls)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(mapper.map(&Context::default(), &batch).expect("the mapper answers"));
                started.elapsed()
            })
            .collect();
        times.sort();
        times[(times.len() * 99 / 100).min(times.len() - 1)]
    };
    let alone = p99(calls);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let crowded = std::thread::scope(|scope| {
        for _ in 0..3 * config.max_calls_per_plugin {
            scope.spawn(|| {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // Each call sleeps to its time limit, or waits for a slot and is refused.
                    let _ = sleeper.map(&Context::default(), &one_byte);
                }
            });
        }
        std::thread::sleep(Duration::from_millis(100));
        let crowded = p99(calls);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        crowded
    });
    (alone, crowded)
}

/// From a new version's file landing in a watched directory to that version serving, over
/// `swaps` new versions: the median and the slowest.
fn hot_swap(runtime: &Runtime, wasm: &Path, swaps: usize) -> (Duration, Duration) {
    let dir = tempfile::tempdir().expect("tempdir");
    let staging = tempfile::tempdir().expect("tempdir");
    let manifest = std::fs::read_to_string(wasm.with_extension("toml")).expect("manifest");
    let install = |version: usize| {
        let staged = staging.path().join("customers.wasm");
        std::fs::copy(wasm, &staged).expect("copy");
        let text = manifest.replacen("version = \"1.0.0\"", &format!("version = \"1.0.{version}\""), 1);
        std::fs::write(staged.with_extension("toml"), text).expect("manifest");
        std::fs::rename(staged.with_extension("toml"), dir.path().join("customers.toml")).expect("rename");
        std::fs::rename(&staged, dir.path().join("customers.wasm")).expect("rename");
    };
    install(0);
    let registry = Arc::new(Registry::new(runtime.clone()));
    for (_, result) in registry.load_dir(dir.path()).expect("directory") {
        result.expect("loads");
    }
    let _watcher = Watcher::start(registry.clone(), dir.path(), Watcher::DEFAULT_DEBOUNCE).expect("watcher");
    let mut times = Vec::new();
    for version in 1..=swaps {
        let wanted = format!("customer-csv-mapper@1.0.{version}");
        let started = Instant::now();
        install(version);
        while registry.get("Customer", Role::Mapper).is_none_or(|plugin| plugin.id() != wanted) {
            assert!(started.elapsed() < Duration::from_secs(10), "version {version} never served");
            std::thread::sleep(Duration::from_micros(200));
        }
        times.push(started.elapsed());
    }
    times.sort();
    (times[times.len() / 2], times[times.len() - 1])
}
