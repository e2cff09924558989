//! The import benchmark: a generated 1,000,000-row, 10-field CSV imported end to end into a
//! durable store through a WASM mapper and filter, and the same pipeline with the mapping and
//! filter in native code (the floor), in the same run; the WASM pipeline again with the store
//! on PostgreSQL; exports of those rows to CSV and to a data package; and the peak memory of a
//! `wharf import` process reading a 1 GB file. Beside them, the floor of loading that CSV into
//! SQLite at all: the `sqlite3` shell's `.import` of it into a table with the same key.
//!
//! Run with `cargo bench -p wharf --bench import`; `cargo test` runs it in quick mode (2,000
//! rows, a 1 MB file). `WHARF_BENCH_ROWS` and `WHARF_BENCH_GB` set the sizes,
//! `WHARF_BENCH_BATCH` the projects' batch size, and `WHARF_BENCH_DATABASE_URL` the PostgreSQL
//! server (else the tests' server). It ends with `bench: <name> = <value> <unit>` lines.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use customer_csv_mapper::{Settings, map_batch};
use wharf::backend::Backend;
use wharf::deployment::Deployment;
use wharf::pipeline::{Input, NativeStage, RunOptions, Silent};
use wharf::plugin::{EntityRows, MapOutput};
use wharf::store::ExecutionStatus;
use wharf_plugin_sdk::{Batch, Context};

mod support;
use support::{BenchDatabase, Report, Scale};

/// Northwind's eight columns, as the customer mapper reads them, plus two it ignores.
const HEADER: &str = "cust_no,company_name,street,postcode,city,country,phone,credit_limit,segment,notes\r\n";
/// Imports of each pipeline, alternating, each into a company of its own: the first into the
/// empty table (a bulk load), the others into a table that has rows.
const ROUNDS: usize = 2;

fn main() -> Result<()> {
    let scale = Scale::of_this_run();
    let mut headlines = Report::new(env!("CARGO_CRATE_NAME"), scale);
    let rows: u64 = scale.setting("WHARF_BENCH_ROWS", 1_000_000, 2_000)?;
    let gigabytes: f64 = scale.setting("WHARF_BENCH_GB", 1.0, 0.001)?;
    // Quick mode's batches are small too, so that its few rows still make several.
    let batch_size: usize = scale.setting("WHARF_BENCH_BATCH", 5_000, 500)?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("workspace")?.to_owned();
    let work = tempfile::tempdir_in(root.join("target"))?;
    eprintln!("building the plugins and generating {rows} rows ...");
    let plugins = work.path().join("plugins");
    for name in ["customer-csv-mapper", "company-filter"] {
        // The plugin and OData benchmarks build the example plugins in the same target
        // directory, so each is compiled once for all of them.
        let target = root.join("target/bench-plugins/plugins");
        wharf::run::plugin::build(&root.join("plugins").join(name), &plugins, Some(&target))?;
    }
    let source = work.path().join("customers.csv");
    let bytes = generate(&source, rows)?;

    let wasm = deployment(&root, work.path(), "wasm", batch_size, &Backend::Sqlite)?;
    let native = deployment(&root, work.path(), "native", batch_size, &Backend::Sqlite)?;
    // Declared before the deployment on it, so that it is dropped after it.
    let database = BenchDatabase::create()?;
    let postgres = deployment(&root, work.path(), "postgres", batch_size, &database.backend()?)?;
    // Alternating runs, best of each: the machine is shared and noisy.
    let mut wasm_time = Duration::MAX;
    let (mut bulk_time, mut filled_time) = (Duration::MAX, Duration::MAX);
    let mut native_time = Duration::MAX;
    let mut postgres_time = Duration::MAX;
    for round in 0..ROUNDS {
        native_time = native_time.min(import(&native, "native", &source, rows, round)?);
        let time = import(&wasm, "wasm", &source, rows, round)?;
        // The first round loads an empty table: a bulk load (see `Writer::start_bulk_load`).
        match round {
            0 => bulk_time = time,
            _ => filled_time = filled_time.min(time),
        }
        wasm_time = wasm_time.min(time);
        postgres_time = postgres_time.min(import(&postgres, "wasm", &source, rows, round)?);
    }
    let sqlite3_time = match support::installed("sqlite3", "sqlite3") {
        true => Some(
            (0..ROUNDS)
                .map(|round| sqlite3_import(work.path(), &source, rows, round))
                .try_fold(Duration::MAX, |best, time| time.map(|time| best.min(time)))?,
        ),
        false => None,
    };
    let rows_per_s = rows as f64 / wasm_time.as_secs_f64();
    let native_rows_per_s = rows as f64 / native_time.as_secs_f64();
    let postgres_rows_per_s = rows as f64 / postgres_time.as_secs_f64();
    println!(
        "import   wasm   {:>8.2} s  {rows_per_s:>12.0} rows/s  {:>7.1} MB/s",
        wasm_time.as_secs_f64(),
        mb_per_s(bytes, wasm_time)
    );
    println!(
        "import   native {:>8.2} s  {native_rows_per_s:>12.0} rows/s  {:>7.1} MB/s",
        native_time.as_secs_f64(),
        mb_per_s(bytes, native_time)
    );
    println!(
        "import   wasm pg {:>7.2} s  {postgres_rows_per_s:>12.0} rows/s  {:>7.1} MB/s",
        postgres_time.as_secs_f64(),
        mb_per_s(bytes, postgres_time)
    );

    // The exports read every company: each round's rows.
    let exported = rows * ROUNDS as u64;
    let csv_time = export(&wasm, "bench-export-csv", &work.path().join("out.csv"), exported)?;
    let package_time = export(&wasm, "bench-export-package", &work.path().join("out.zip"), exported)?;
    let export_rows_per_s = exported as f64 / csv_time.as_secs_f64();
    let export_package_rows_per_s = exported as f64 / package_time.as_secs_f64();
    println!("export   csv     {:>8.2} s  {export_rows_per_s:>12.0} rows/s", csv_time.as_secs_f64());
    println!("export   package {:>8.2} s  {export_package_rows_per_s:>12.0} rows/s", package_time.as_secs_f64());

    let big = work.path().join("big.csv");
    let big_rows = (gigabytes * 1e9 / (bytes as f64 / rows as f64)) as u64;
    eprintln!("generating {big_rows} rows ({gigabytes} GB) ...");
    let big_bytes = generate(&big, big_rows)?;
    let (peak_mb, big_time) = import_process(&wasm.dir, &big, "big")?;
    let customer = wasm.pipeline.catalog.require("Customer")?;
    let stored = wasm.pipeline.store.count(customer, Some("big"))?;
    ensure!(stored == big_rows, "wharf import stored {stored} of {big_rows} rows");
    println!("import   {:.2} GB in {:.1} s, peak RSS {peak_mb} MB", big_bytes as f64 / 1e9, big_time.as_secs_f64());

    headlines.headline("import.rows_per_s", rows_per_s, "rows/s");
    headlines.headline("import.bulk.rows_per_s", rows as f64 / bulk_time.as_secs_f64(), "rows/s");
    headlines.headline("import.into_filled_table.rows_per_s", rows as f64 / filled_time.as_secs_f64(), "rows/s");
    headlines.headline("import.native_floor_rows_per_s", native_rows_per_s, "rows/s");
    headlines.headline("import.over_native_floor", wasm_time.as_secs_f64() / native_time.as_secs_f64(), "x");
    if let Some(sqlite3_time) = sqlite3_time {
        headlines.headline("import.sqlite3_import_rows_per_s", rows as f64 / sqlite3_time.as_secs_f64(), "rows/s");
        headlines.headline("import.over_sqlite3_import", wasm_time.as_secs_f64() / sqlite3_time.as_secs_f64(), "x");
    }
    headlines.headline("pg.import.rows_per_s", postgres_rows_per_s, "rows/s");
    headlines.headline("pg.import.over_sqlite", rows_per_s / postgres_rows_per_s, "x");
    headlines.headline("export.rows_per_s", export_rows_per_s, "rows/s");
    headlines.headline("export_package.rows_per_s", export_package_rows_per_s, "rows/s");
    headlines.headline("import_1gb.peak_rss", peak_mb as f64, "MB");
    headlines.save()
}

fn mb_per_s(bytes: u64, time: Duration) -> f64 {
    bytes as f64 / time.as_secs_f64() / 1e6
}

/// Writes `rows` Northwind-style customers; returns the file's size.
fn generate(path: &Path, rows: u64) -> Result<u64> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    out.write_all(HEADER.as_bytes())?;
    const CITIES: [(&str, &str); 4] = [("Berlin", "Germany"), ("London", "uk"), ("Seattle", "USA"), ("Lyon", "FR")];
    for index in 0..rows {
        let (city, country) = CITIES[index as usize % CITIES.len()];
        writeln!(
            out,
            "c{index:07},Customer {index} Ltd,{} Main Street,{:05},{city},{country},555-{:04},\"{}.{:02}\",retail,\r",
            index % 977,
            index % 99_991,
            index % 10_000,
            index % 50_000,
            index % 100,
        )?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// The floor of loading the same CSV into SQLite at all: the `sqlite3` shell's `.import` into a
/// table keyed as the customer entity is in one company, in a database kept as durably as
/// Wharf's store (WAL, `synchronous=FULL`), timed from the shell's start to its exit.
fn sqlite3_import(work: &Path, source: &Path, rows: u64, round: usize) -> Result<Duration> {
    let database = work.join(format!("sqlite3-floor-{round}.db"));
    let columns = HEADER.trim_end().split(',').map(|column| format!("{column} TEXT")).collect::<Vec<_>>().join(", ");
    let script = format!(
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\nCREATE TABLE customers ({columns}, PRIMARY KEY (cust_no));\n\
         .import --csv --skip 1 '{}' customers\nSELECT count(*) FROM customers;\n",
        source.display()
    );
    let started = Instant::now();
    let mut shell = std::process::Command::new("sqlite3")
        .arg(&database)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("cannot run sqlite3")?;
    shell.stdin.take().context("the shell's input")?.write_all(script.as_bytes())?;
    let output = shell.wait_with_output()?;
    let elapsed = started.elapsed();
    let printed = String::from_utf8_lossy(&output.stdout);
    ensure!(output.status.success(), "sqlite3 failed: {printed}");
    ensure!(printed.lines().last() == Some(&rows.to_string()), "sqlite3 loaded {printed:?} rows of {rows}");
    println!(
        "import   sqlite3 .import {:>5.2} s  {:>12.0} rows/s",
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64()
    );
    Ok(elapsed)
}

/// A deployment with the example entities and the benchmark's projects, importing in batches
/// of `batch_size` into a store on `backend`, with the customer mapping and the company filter
/// also registered as native stages.
fn deployment(root: &Path, work: &Path, name: &str, batch_size: usize, backend: &Backend) -> Result<Deployment> {
    let dir = work.join(name);
    let entities = dir.join("entities");
    std::fs::create_dir_all(&entities)?;
    // All of them: the customer's relations name other entities, which must exist.
    for entry in std::fs::read_dir(root.join("examples/deployment/entities"))? {
        let path = entry?.path();
        std::fs::copy(&path, entities.join(path.file_name().context("a file")?))?;
    }
    let projects = dir.join("projects");
    std::fs::create_dir_all(&projects)?;
    let stages = |mapper: &str, filter: &str| {
        format!(
            "operation = \"import\"\nbatch_size = {batch_size}\n[[entity]]\nentity = \"Customer\"\nmapper = \"{mapper}\"\nfilter = \"{filter}\"\n"
        )
    };
    std::fs::write(projects.join("wasm.toml"), stages("customer-csv-mapper", "company-filter"))?;
    std::fs::write(projects.join("native.toml"), stages("native-customer-mapper", "native-company-filter"))?;
    std::fs::write(
        projects.join("bench-export-csv.toml"),
        "operation = \"export\"\n[[entity]]\nentity = \"Customer\"\n",
    )?;
    std::fs::write(
        projects.join("bench-export-package.toml"),
        "operation = \"export\"\npackage = true\n[[entity]]\nentity = \"Customer\"\nformat = \"CSV-Unicode\"\n",
    )?;
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins)?;
    for entry in std::fs::read_dir(work.join("plugins"))? {
        let path = entry?.path();
        std::fs::copy(&path, plugins.join(path.file_name().context("a file")?))?;
    }
    std::fs::write(dir.join("wharf.toml"), "default_company = \"usmf\"\n")?;
    let mut deployment = Deployment::open_on(&dir, None, backend)?;
    let settings = Settings { home_country: "USA".into(), account_prefix: "NW-".into() };
    deployment.pipeline.natives.insert("native-customer-mapper".into(), Arc::new(NativeMapper(settings)));
    deployment.pipeline.natives.insert("native-company-filter".into(), Arc::new(NativeCompanyFilter));
    Ok(deployment)
}

/// The customer mapper's own mapping, compiled natively.
struct NativeMapper(Settings);

impl NativeStage for NativeMapper {
    fn map(&self, _context: &Context, batch: &Batch) -> Result<MapOutput> {
        let (outputs, errors) = map_batch(&self.0, batch).into_parts();
        let outputs = outputs
            .into_iter()
            .map(|output| {
                let (entity, batch, source_rows) = output.into_parts();
                EntityRows { entity, batch, source_rows }
            })
            .collect();
        Ok(MapOutput { outputs, errors })
    }
}

/// The company filter's rule (rows of the company being imported), natively.
struct NativeCompanyFilter;

impl NativeStage for NativeCompanyFilter {
    fn keep(&self, context: &Context, batch: &Batch) -> Result<Vec<bool>> {
        let company = context.company.as_deref();
        Ok(batch
            .rows()
            .map(|row| match (company, row.get("dataAreaId").and_then(|value| value.as_str())) {
                (Some(wanted), Some(have)) => have.eq_ignore_ascii_case(wanted),
                (Some(_), None) => false,
                (None, _) => true,
            })
            .collect())
    }
}

/// Imports `source` under a company of its own per project and round, so every round inserts
/// every row.
fn import(deployment: &Deployment, project: &str, source: &Path, rows: u64, round: usize) -> Result<Duration> {
    let entity = deployment.pipeline.catalog.require("Customer")?.clone();
    let company = Some(format!("c{round}{project}").chars().take(4).collect::<String>());
    let project = deployment.projects.require(project)?;
    let options = RunOptions { company, ..RunOptions::default() };
    let started = Instant::now();
    let execution = deployment.pipeline.import(project, &Input::from_path(source, None), &options, &Silent)?;
    let elapsed = started.elapsed();
    ensure!(execution.status == ExecutionStatus::Succeeded, "import ended {:?}", execution.status);
    let stored = deployment.pipeline.store.count(&entity, options.company.as_deref())?;
    ensure!(stored == rows, "{stored} of {rows} rows stored");
    Ok(elapsed)
}

/// Exports with `project` to `out`, which must receive `rows` rows.
fn export(deployment: &Deployment, project: &str, out: &Path, rows: u64) -> Result<Duration> {
    let project = deployment.projects.require(project)?;
    let started = Instant::now();
    let outcome = deployment.pipeline.export(project, out, &RunOptions::default(), &Silent)?;
    let elapsed = started.elapsed();
    ensure!(outcome.execution.status == ExecutionStatus::Succeeded, "export ended {:?}", outcome.execution.status);
    ensure!(outcome.rows == rows, "{} of {rows} rows exported", outcome.rows);
    ensure!(out.is_file(), "the export wrote no {}", out.display());
    Ok(elapsed)
}

/// Runs `wharf import` on `file` into `company` in its own process; returns its peak memory
/// (from its summary) and how long it took.
fn import_process(deployment: &Path, file: &Path, company: &str) -> Result<(u64, Duration)> {
    let started = Instant::now();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wharf"))
        .arg("import")
        .arg(file)
        .args(["--project", "wasm", "--quiet", "--company", company, "--deployment"])
        .arg(deployment)
        .output()?;
    let elapsed = started.elapsed();
    let summary = String::from_utf8_lossy(&output.stdout);
    ensure!(output.status.success(), "wharf import failed: {summary}{}", String::from_utf8_lossy(&output.stderr));
    let peak = summary
        .split("peak memory ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|mb| mb.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no peak memory in the summary: {summary}"))?;
    Ok((peak, elapsed))
}
