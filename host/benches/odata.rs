//! The OData benchmark: `wharf serve`'s code over a copy of the example deployment whose
//! `CustomersV3` holds 1,000,000 rows, driven by concurrent keep-alive clients in the same
//! process. It measures GET by key, a filtered and ordered page of 1,000 rows, and a custom
//! service call that runs the inventory action plugin, with the store on SQLite and then with
//! the server on PostgreSQL; and, in the same run, two floors: the same clients against a bare
//! axum route, and the same store queries made in-process without HTTP.
//!
//! Run with `cargo bench -p wharf --bench odata`; `cargo test` runs it in quick mode (2,000
//! customers, 0.25 s per measurement, 2 clients). `WHARF_BENCH_SECONDS` sets each
//! measurement's length (default 5), `WHARF_BENCH_CLIENTS` the concurrency (default 8; the page
//! of 1,000 runs with a quarter of it), `WHARF_BENCH_ROWS` the customers (default 1,000,000),
//! and `WHARF_BENCH_DATABASE_URL` the PostgreSQL server (else the tests' server). It ends with
//! `bench: <name> = <value> <unit>` lines.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use wharf::backend::Backend;
use wharf::deployment::Deployment;
use wharf::entity::Entity;
use wharf::store::{Comparison, Condition, Order, Query, Store, Term};
use wharf_plugin_sdk::{BatchBuilder, Value, ValueRef};

mod support;
use support::{BenchDatabase, Report, Running, Sample, Scale, load, prepare, token};

const CLIENT: &str = "portal";
/// Customer groups the rows are spread over; a group holds `rows / GROUPS` customers.
const GROUPS: u64 = 100;
/// The filtered page: one group's customers over a credit limit, in account order.
const PAGE_QUERY: &str =
    "$filter=CustomerGroupId%20eq%20'G042'%20and%20CreditLimit%20gt%20100&$orderby=CustomerAccount&$top=1000";

/// How many clients make requests at once, how long each measurement lasts, and how many
/// customers there are.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    clients: usize,
    duration: Duration,
    rows: u64,
}

/// What the clients measured on one server, and the floor beside it.
struct Served {
    floor: Sample,
    get_key: Sample,
    page: Sample,
    action: Sample,
}

fn main() -> Result<()> {
    let scale = Scale::of_this_run();
    let mut headlines = Report::new(env!("CARGO_CRATE_NAME"), scale);
    let duration = Duration::from_secs_f64(scale.setting("WHARF_BENCH_SECONDS", 5.0, 0.25)?);
    let clients: usize = scale.setting("WHARF_BENCH_CLIENTS", 8, 2)?;
    let rows: u64 = scale.setting("WHARF_BENCH_ROWS", 1_000_000, 2_000)?;
    let sizes = Sizes { clients, duration, rows };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("workspace")?.to_owned();
    let work = tempfile::tempdir_in(root.join("target"))?;
    let dir = work.path().join("deployment");
    prepare(&root.join("examples/deployment"), &dir)?;
    let plugins = dir.join("plugins");
    // The plugin and import benchmarks build the example plugins in the same target directory,
    // so each is compiled once for all of them.
    wharf::run::plugin::build(
        &root.join("plugins/inventory-action"),
        &plugins,
        Some(&root.join("target/bench-plugins/plugins")),
    )?;
    let client_runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("bench-client").build()?;

    let store = filled(&dir, &Backend::Sqlite, rows)?;
    let server = Running::start(&dir, CLIENT)?;
    let sqlite = client_runtime.block_on(serve(&server, sizes))?;
    server.stop()?;
    eprintln!("native floor: the same store queries in-process ...");
    let (native_key, native_page) = native(&store, rows, duration)?;

    // The same deployment again, its store and the server's state on PostgreSQL (the SQLite
    // files stay in its data directory, unread). Declared before the server, so that the
    // schema is dropped after the server stops.
    let database = BenchDatabase::create()?;
    filled(&dir, &database.backend()?, rows)?;
    let server = Running::start_with(&dir, CLIENT, |config| config.database.url = Some(database.url.clone()))?;
    let postgres = client_runtime.block_on(serve(&server, sizes))?;
    server.stop()?;

    for (name, sample) in [
        ("http floor", &sqlite.floor),
        ("GET by key", &sqlite.get_key),
        ("page of 1000", &sqlite.page),
        ("action call", &sqlite.action),
        ("native key", &native_key),
        ("native page", &native_page),
        ("pg http floor", &postgres.floor),
        ("pg GET by key", &postgres.get_key),
        ("pg page 1000", &postgres.page),
        ("pg action", &postgres.action),
    ] {
        println!(
            "{name:<13} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  ({} requests)",
            sample.per_second(duration),
            sample.percentile(50.0),
            sample.percentile(99.0),
            sample.percentile(100.0),
            sample.latencies.len()
        );
    }
    for (backend, served) in [("", &sqlite), ("pg.", &postgres)] {
        for (name, sample) in
            [("odata_get_key", &served.get_key), ("odata_page1000", &served.page), ("action_call", &served.action)]
        {
            headlines.headline(format!("{backend}{name}.req_per_s"), sample.per_second(duration), "req/s");
            headlines.headline(format!("{backend}{name}.p50_ms"), sample.percentile(50.0), "ms");
            headlines.headline(format!("{backend}{name}.p99_ms"), sample.percentile(99.0), "ms");
        }
    }
    let floor_rps = sqlite.floor.per_second(duration);
    headlines.headline("http_floor.req_per_s", floor_rps, "req/s");
    headlines.headline("odata_get_key.over_http_floor", floor_rps / sqlite.get_key.per_second(duration), "x");
    headlines.headline("native_get_key.p50_ms", native_key.percentile(50.0), "ms");
    headlines.headline("native_page1000.p50_ms", native_page.percentile(50.0), "ms");
    headlines.headline("odata_page1000.over_native", sqlite.page.percentile(50.0) / native_page.percentile(50.0), "x");
    headlines.save()
}

/// Opens the deployment in `dir` with its store on `backend` and fills it; returns the store.
fn filled(dir: &Path, backend: &Backend, rows: u64) -> Result<Store> {
    let on = if backend.postgres().is_some() { "PostgreSQL" } else { "SQLite" };
    eprintln!("filling {rows} customers on {on} ...");
    let started = Instant::now();
    let deployment = Deployment::open_on(dir, None, backend)?;
    fill(&deployment.pipeline.store, rows)?;
    eprintln!("  in {:.1} s", started.elapsed().as_secs_f64());
    Ok(deployment.pipeline.store.clone())
}

/// The floor, GET by key, the page of 1,000 and the action call, one after the other, each by
/// its clients for the sizes' duration, on `server`.
async fn serve(server: &Running, sizes: Sizes) -> Result<Served> {
    let Sizes { clients, duration, rows } = sizes;
    let url = server.url.clone();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
    let token: Arc<str> = token(&http, &url, CLIENT, &server.secret).await?.into();
    let get = |target: Arc<dyn Fn(u64) -> String + Send + Sync>, expect: u16| {
        let (http, token) = (http.clone(), token.clone());
        move |task: usize, index: u64| {
            let request = http.get(target(task as u64 * 7_919 + index * 104_729)).bearer_auth(&*token);
            async move {
                let response = request.send().await?;
                ensure!(response.status() == expect, "answered {}", response.status());
                Ok(Some(response.bytes().await?.len() as u64))
            }
        }
    };
    eprintln!("http floor: {clients} clients for {duration:?} ...");
    let floor_url = server.floor_url.clone();
    let floor_target: Arc<dyn Fn(u64) -> String + Send + Sync> = Arc::new(move |_| floor_url.clone());
    let floor = load(clients, duration, get(floor_target, 200)).await?;
    eprintln!("GET by key: {clients} clients for {duration:?} ...");
    let base = url.clone();
    let key_target: Arc<dyn Fn(u64) -> String + Send + Sync> = Arc::new(move |seed| {
        format!("{base}/data/CustomersV3(dataAreaId='usmf',CustomerAccount='{}')", account(seed % rows))
    });
    let get_key = load(clients, duration, get(key_target, 200)).await?;
    let page_clients = clients.div_ceil(4);
    eprintln!("page of 1,000: {page_clients} clients for {duration:?} ...");
    let base = url.clone();
    let page_target: Arc<dyn Fn(u64) -> String + Send + Sync> =
        Arc::new(move |_| format!("{base}/data/CustomersV3?{PAGE_QUERY}"));
    let page = load(page_clients, duration, get(page_target, 200)).await?;
    eprintln!("action call: {clients} clients for {duration:?} ...");
    let action_url = format!("{url}/api/services/InventoryServices/InventoryService/onHand");
    let action = load(clients, duration, move |_, _| {
        let request = http
            .post(&action_url)
            .bearer_auth(&*token)
            .json(&serde_json::json!({ "itemNumber": "T0004", "siteId": "1" }));
        async move {
            let response = request.send().await?;
            ensure!(response.status() == 200, "the action answered {}", response.status());
            Ok(Some(response.bytes().await?.len() as u64))
        }
    })
    .await?;
    Ok(Served { floor, get_key, page, action })
}

/// The account number of customer `index`.
fn account(index: u64) -> String {
    format!("C{index:07}")
}

/// `rows` customers in company usmf, spread over `GROUPS` groups, and the on-hand rows the
/// inventory action reads.
fn fill(store: &Store, rows: u64) -> Result<()> {
    let catalog = store.catalog();
    let (customer, on_hand) = (catalog.require("Customer")?, catalog.require("InventOnHand")?);
    let mut writer = store.writer()?;
    for chunk in (0..rows).collect::<Vec<_>>().chunks(20_000) {
        let mut builder = BatchBuilder::new(customer.fields.iter().map(|field| field.name.clone()));
        for &index in chunk {
            let (account, name) = (account(index), format!("Organization {index}"));
            let group = format!("G{:03}", index % GROUPS);
            let credit = format!("{}.50", index % 5_000);
            builder.push_row(&row(
                customer,
                &[
                    ("dataAreaId", ValueRef::String("usmf")),
                    ("CustomerAccount", ValueRef::String(&account)),
                    ("OrganizationName", ValueRef::String(&name)),
                    ("CustomerGroupId", ValueRef::String(&group)),
                    ("AddressCity", ValueRef::String("Seattle")),
                    ("CreditLimit", ValueRef::Decimal(&credit)),
                ],
            ));
        }
        let mut batch = writer.transaction()?;
        batch.upsert(customer, &builder.finish())?;
        batch.commit()?;
    }
    let mut builder = BatchBuilder::new(on_hand.fields.iter().map(|field| field.name.clone()));
    for warehouse in ["11", "12", "13"] {
        builder.push_row(&row(
            on_hand,
            &[
                ("dataAreaId", ValueRef::String("usmf")),
                ("ItemNumber", ValueRef::String("T0004")),
                ("SiteId", ValueRef::String("1")),
                ("WarehouseId", ValueRef::String(warehouse)),
                ("AvailableQuantity", ValueRef::Decimal("25")),
            ],
        ));
    }
    let mut batch = writer.transaction()?;
    batch.upsert(on_hand, &builder.finish())?;
    batch.commit()?;
    Ok(())
}

/// A whole row of `entity` in field order: the given values, every other field's default.
fn row<'a>(entity: &'a Entity, values: &[(&str, ValueRef<'a>)]) -> Vec<ValueRef<'a>> {
    entity
        .fields
        .iter()
        .map(|field| match values.iter().find(|(name, _)| *name == field.name) {
            Some((_, value)) => *value,
            None => field.default.as_ref().map_or(ValueRef::Null, Value::as_ref),
        })
        .collect()
}

/// The key lookup and the page the HTTP measurements ask for, made straight on the store on
/// two threads (the machine's cores), timed the same way.
fn native(store: &Store, rows: u64, window: Duration) -> Result<(Sample, Sample)> {
    let catalog = store.catalog();
    let customer = catalog.require("Customer")?.clone();
    let field = |name: &str| customer.field_index(name).context("a customer field");
    let (company, account_field, group, credit) =
        (field("dataAreaId")?, field("CustomerAccount")?, field("CustomerGroupId")?, field("CreditLimit")?);
    let equals =
        |index: usize, value: Value| Condition::Compare(Comparison::Eq, Term::Field(index), Term::Value(value));
    let run = |query: &(dyn Fn(u64) -> Query + Sync)| -> Result<Sample> {
        let end = Instant::now() + window;
        let samples: Vec<Result<Sample>> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..2u64)
                .map(|thread| {
                    let (store, customer) = (store.clone(), customer.clone());
                    scope.spawn(move || -> Result<Sample> {
                        let mut sample = Sample::default();
                        for index in 0u64.. {
                            let began = Instant::now();
                            if began >= end {
                                break;
                            }
                            let found = store.query(&customer, &query(thread * 7_919 + index * 104_729))?;
                            ensure!(!found.is_empty(), "the query found nothing");
                            sample.latencies.push(began.elapsed());
                        }
                        Ok(sample)
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|thread| thread.join().unwrap_or_else(|_| Err(anyhow::anyhow!("panicked"))))
                .collect()
        });
        let mut all = Sample::default();
        for sample in samples {
            all.latencies.extend(sample?.latencies);
        }
        all.latencies.sort();
        Ok(all)
    };
    let key = run(&|seed| Query {
        condition: equals(company, Value::String("usmf".into()))
            .and(equals(account_field, Value::String(account(seed % rows)))),
        order: Vec::new(),
        after: None,
        offset: 0,
        limit: 2,
    })?;
    let page = run(&|_| Query {
        condition: equals(company, Value::String("usmf".into()))
            .and(equals(group, Value::String("G042".into())))
            .and(Condition::Compare(Comparison::Gt, Term::Field(credit), Term::Value(Value::Integer(100)))),
        order: vec![Order { field: account_field, descending: false }],
        after: None,
        offset: 0,
        limit: 1001,
    })?;
    Ok((key, page))
}
