//! Imports and exports through the pipeline, against a copy of the example deployment with a
//! real store file and the real example plugins. Each runs on both backends (the embedded
//! store and PostgreSQL) unless it is about the SQLite file itself.

use std::path::{Path, PathBuf};

use wharf::deployment::Deployment;
use wharf::pipeline::{Input, RunOptions, Silent};
use wharf::store::{EntityExecutionState, Execution, ExecutionStatus, ReadQuery};
use wharf_tests::{EXAMPLE_PLUGINS, plugin, root, runtime};

use crate::server::{Backend, on_both_backends};

/// A copy of `examples/deployment` in a temporary directory, with the example plugins built
/// and installed, sharing the tests' compiled-plugin cache; its store is the SQLite file.
pub fn deployment() -> (tempfile::TempDir, Deployment) {
    deployment_on(Backend::Sqlite)
}

/// [`deployment`] with its store on `backend` (on PostgreSQL, in a fresh schema).
pub fn deployment_on(backend: Backend) -> (tempfile::TempDir, Deployment) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let example = root().join("examples/deployment");
    for sub in ["entities", "projects", "samples", "stylesheets", "stylesheets/common"] {
        copy_dir(&example.join(sub), &dir.path().join(sub));
    }
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).expect("plugin directory");
    for name in EXAMPLE_PLUGINS {
        std::fs::copy(plugin(name), plugins.join(format!("{name}.wasm"))).expect("copy plugin");
        std::fs::copy(plugin(name).with_extension("toml"), plugins.join(format!("{name}.toml"))).expect("manifest");
    }
    // The shared cache's key exists once the tests' runtime has started.
    let _ = runtime();
    let cache = root().join("target/test-plugins/cache");
    let settings = format!("default_company = \"usmf\"\ncache = {:?}\n", cache.display().to_string());
    std::fs::write(dir.path().join("wharf.toml"), settings).expect("settings");
    let deployment = open_on(dir.path(), backend);
    (dir, deployment)
}

/// The deployment in `dir` with its store on `backend` (on PostgreSQL, in a fresh schema).
pub fn open_on(dir: &Path, backend: Backend) -> Deployment {
    let backend = match backend {
        Backend::Sqlite => wharf::backend::Backend::Sqlite,
        Backend::Postgres => {
            let url = wharf::backend::testing::scratch().expect("a PostgreSQL schema for the test");
            wharf::backend::Backend::Postgres(
                wharf::backend::Postgres::connect_blocking(&url, 4).expect("the database connects"),
            )
        }
    };
    Deployment::open_on(dir, None, &backend).expect("the deployment opens")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("directory");
    for entry in std::fs::read_dir(from).expect("read directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            continue;
        }
        std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
    }
}

pub fn sample(deployment: &Deployment, name: &str) -> PathBuf {
    deployment.dir.join("samples").join(name)
}

pub fn import(deployment: &Deployment, project: &str, file: &Path, entity: Option<&str>) -> Execution {
    let project = deployment.projects.require(project).expect("project");
    let input = Input::from_path(file, entity.map(str::to_owned));
    let options = RunOptions { company: Some("usmf".into()), ..RunOptions::default() };
    deployment.pipeline.import(project, &input, &options, &Silent).expect("the execution is recorded")
}

/// Every row of `entity`, as `field=value` text, in storage order.
pub fn rows(deployment: &Deployment, entity: &str) -> Vec<String> {
    let entity = deployment.pipeline.catalog.require(entity).expect("entity").clone();
    let query = ReadQuery { since_version: None, company: None, batch_size: 1000 };
    let mut rows = Vec::new();
    for batch in deployment.pipeline.store.read(&entity, &query).expect("read") {
        for row in batch.expect("batch").rows() {
            let fields: Vec<String> = row
                .fields()
                .filter(|(_, value)| !value.is_null())
                .map(|(name, value)| format!("{name}={}", value.to_owned()))
                .collect();
            rows.push(fields.join(" "));
        }
    }
    rows.sort();
    rows
}

fn errors(deployment: &Deployment, execution: &Execution) -> Vec<String> {
    let errors = deployment.pipeline.store.execution_errors(&execution.id, 0, 100).expect("errors");
    errors
        .iter()
        .map(|e| format!("{} row {} {}: {}", e.entity, e.record, e.field.as_deref().unwrap_or("-"), e.message))
        .collect()
}

fn a_plain_csv_lands_in_the_store_with_defaults_and_typed_values(backend: Backend) {
    let (_dir, deployment) = deployment_on(backend);
    let execution = import(&deployment, "Customer groups", &sample(&deployment, "customer-groups.csv"), None);
    assert_eq!(execution.status, ExecutionStatus::Succeeded, "{:?}", errors(&deployment, &execution));
    let groups = rows(&deployment, "CustomerGroup");
    assert_eq!(groups.len(), 6);
    assert_eq!(
        groups[2],
        "dataAreaId=usmf CustomerGroupId=30 Description=Intercompany \"IC\" customers PaymentTermId= IsSalesTaxIncludedInPrice=No",
        "an empty field stays empty; a missing one would get the default"
    );
    let entity = &execution.entities[0];
    assert_eq!((entity.staging_records, entity.target_records, entity.inserted), (6, 6, 6));
    assert_eq!(entity.target_status, EntityExecutionState::Finished);
}

fn rejected_rows_carry_row_field_and_message_and_the_rest_is_imported(backend: Backend) {
    let (_dir, deployment) = deployment_on(backend);
    let execution = import(&deployment, "Warehouse on-hand", &sample(&deployment, "warehouse-on-hand.txt"), None);
    assert_eq!(execution.status, ExecutionStatus::PartiallySucceeded);
    assert_eq!(
        errors(&deployment, &execution),
        ["Inventory on-hand row 6 AvailableQuantity: \"lots\" is not a number"]
    );
    assert_eq!(rows(&deployment, "InventOnHand").len(), 5);
    let error_file = deployment
        .pipeline
        .execution_dir(&execution.id)
        .expect("an id Wharf minted")
        .join("Inventory on-hand-errors.csv");
    let text = std::fs::read_to_string(&error_file).expect("an error file");
    assert!(text.starts_with("RecordId,Entity,Field,ErrorMessage,ItemNumber,"), "{text}");
    assert!(
        text.contains("6,Inventory on-hand,AvailableQuantity,\"\"\"lots\"\" is not a number\",X,1,11,lots,0"),
        "{text}"
    );
}

fn a_mapper_plugin_fills_headers_and_lines_from_one_document(backend: Backend) {
    let (_dir, deployment) = deployment_on(backend);
    let execution = import(&deployment, "Fabrikam orders", &sample(&deployment, "fabrikam-orders.xml"), None);
    let names: Vec<&str> = execution.entities.iter().map(|entity| entity.entity.as_str()).collect();
    assert_eq!(names, ["Sales order headers V2", "Sales order lines V2"]);
    assert_eq!(rows(&deployment, "SalesOrderHeader").len(), 2, "{:?}", errors(&deployment, &execution));
    assert_eq!(rows(&deployment, "SalesOrderLine").len(), 3);
    let inserted: Vec<u64> = execution.entities.iter().map(|entity| entity.inserted).collect();
    assert_eq!(inserted, [2, 3], "headers and lines written in one transaction are counted apart");
    assert_eq!(errors(&deployment, &execution).len(), 1, "the bad order is rejected whole");
}

fn a_transform_plugin_reshapes_the_document_for_every_entity_that_reads_it(backend: Backend) {
    let (_dir, deployment) = deployment_on(backend);
    let file = sample(&deployment, "fabrikam-orders.xml");
    let execution = import(&deployment, "Fabrikam orders (transformed)", &file, None);
    let names: Vec<&str> = execution.entities.iter().map(|entity| entity.entity.as_str()).collect();
    assert_eq!(names, ["Sales order headers V2", "Sales order lines V2"], "headers first, then lines");
    let headers = rows(&deployment, "SalesOrderHeader");
    assert!(
        headers.iter().any(|row| row.contains("SalesOrderNumber=4711") && row.contains("2026-12-02")),
        "{headers:?}"
    );
    assert!(!rows(&deployment, "SalesOrderLine").is_empty());
}

fn a_d365_package_imports_its_entities_in_unit_level_sequence_order(backend: Backend) {
    let (_dir, deployment) = deployment_on(backend);
    let execution = import(&deployment, "Contoso setup", &sample(&deployment, "contoso-setup.zip"), None);
    assert_eq!(execution.status, ExecutionStatus::Succeeded, "{:?}", errors(&deployment, &execution));
    let order: Vec<&str> = execution.entities.iter().map(|entity| entity.entity.as_str()).collect();
    assert_eq!(order, ["Customer groups", "Customers V3", "Bill of materials headers", "Bill of materials lines"]);
    assert_eq!(rows(&deployment, "CustomerGroup").len(), 2, "from a UTF-16 CSV-Unicode file");
    let customers = rows(&deployment, "Customer");
    assert!(customers.iter().any(|row| row.contains("OrganizationName=Lakeside School & College")), "{customers:?}");
    assert_eq!(rows(&deployment, "BillOfMaterialsLine").len(), 4);
}

fn every_sample_format_imports(backend: Backend) {
    let (_dir, deployment) = deployment_on(backend);
    let cases = [
        ("Products", "products.xlsx", None, 5),
        ("Purchase orders", "purchase-order-headers.xml", Some("PurchaseOrderHeader"), 2),
        ("Purchase orders", "purchase-order-lines.ndjson", Some("PurchaseOrderLine"), 3),
        ("Portal customers", "portal-customers.csv", None, 0),
        ("Northwind customers", "northwind-customers.csv", None, 0),
    ];
    for (project, file, entity, expected) in cases {
        let execution = import(&deployment, project, &sample(&deployment, file), entity);
        assert_ne!(execution.status, ExecutionStatus::Failed, "{file}: {:?}", errors(&deployment, &execution));
        if expected > 0 {
            assert_eq!(execution.entities[0].target_records, expected, "{file}: {:?}", errors(&deployment, &execution));
        }
    }
    let products = rows(&deployment, "ReleasedProduct");
    assert!(products.iter().any(|row| row.contains("ProductName=Installation service — Größe L")), "{products:?}");
    let lines = rows(&deployment, "PurchaseOrderLine");
    assert!(lines.iter().any(|row| row.contains("PurchasePrice=1204.00")), "thousands separator removed: {lines:?}");
}

fn a_malformed_document_writes_nothing(backend: Backend) {
    let (dir, deployment) = deployment_on(backend);
    let file = dir.path().join("broken.csv");
    let mut text = String::from("CustomerGroupId,Description\r\n");
    for index in 0..20_000 {
        text.push_str(&format!("G{index},Group {index}\r\n"));
    }
    text.push_str("BAD,\"never closed\r\n");
    std::fs::write(&file, text).expect("write");
    let execution = import(&deployment, "Customer groups", &file, None);
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert!(rows(&deployment, "CustomerGroup").is_empty(), "not even the good rows before the bad one");
    let errors = errors(&deployment, &execution);
    assert!(errors[0].contains("broken.csv") && errors[0].contains("20002"), "names the file and line: {errors:?}");
}

fn hostile_xml_is_refused_before_anything_is_written(backend: Backend) {
    let (dir, deployment) = deployment_on(backend);
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>\
                  <Document><PURCHPURCHASEORDERHEADERV2ENTITY><PURCHASEORDERNUMBER>&lol2;</PURCHASEORDERNUMBER>\
                  </PURCHPURCHASEORDERHEADERV2ENTITY></Document>";
    let file = dir.path().join("laughs.xml");
    std::fs::write(&file, laughs).expect("write");
    let execution = import(&deployment, "Purchase orders", &file, Some("PurchaseOrderHeader"));
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert!(
        errors(&deployment, &execution)[0].to_lowercase().contains("doctype"),
        "{:?}",
        errors(&deployment, &execution)
    );
    assert!(rows(&deployment, "PurchaseOrderHeader").is_empty());
}

fn a_key_repeated_within_a_file_keeps_its_last_row(backend: Backend) {
    let (dir, deployment) = deployment_on(backend);
    let file = dir.path().join("repeated.csv");
    std::fs::write(&file, "CustomerGroupId,Description\r\nA,first\r\nB,other\r\nA,second\r\n").expect("write");
    let execution = import(&deployment, "Customer groups", &file, None);
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    let groups = rows(&deployment, "CustomerGroup");
    assert_eq!(groups.len(), 2);
    assert!(groups[0].contains("Description=second"), "{groups:?}");
}

fn an_export_imports_back_with_every_value_intact(backend: Backend) {
    let (dir, deployment) = deployment_on(backend);
    import(&deployment, "Customer groups", &sample(&deployment, "customer-groups.csv"), None);
    import(&deployment, "Contoso setup", &sample(&deployment, "contoso-setup.zip"), None);
    import(&deployment, "Products", &sample(&deployment, "products.xlsx"), None);
    import(&deployment, "Fabrikam orders", &sample(&deployment, "fabrikam-orders.xml"), None);
    let project = deployment.projects.require("Contoso export").expect("project");
    let package = dir.path().join("out/contoso.zip");
    let exported = deployment.pipeline.export(project, &package, &RunOptions::default(), &Silent).expect("export");
    assert_eq!(exported.output.as_deref(), Some(package.as_path()));

    let (_other, fresh) = self::deployment();
    let execution = import(&fresh, "Contoso setup", &package, None);
    assert_eq!(execution.status, ExecutionStatus::Succeeded, "{:?}", errors(&fresh, &execution));
    for entity in ["CustomerGroup", "Customer", "ReleasedProduct", "SalesOrderHeader", "SalesOrderLine"] {
        assert_eq!(rows(&fresh, entity), rows(&deployment, entity), "{entity}");
    }
}

fn an_incremental_export_takes_only_what_changed_and_skips_when_nothing_did(backend: Backend) {
    let (dir, deployment) = deployment_on(backend);
    import(&deployment, "Contoso setup", &sample(&deployment, "contoso-setup.zip"), None);
    let project = deployment.projects.require("Customers export").expect("project");
    let out = dir.path().join("customers.csv");
    let first = deployment.pipeline.export(project, &out, &RunOptions::default(), &Silent).expect("export");
    assert_eq!(first.rows, 2);
    let second = deployment.pipeline.export(project, &out, &RunOptions::default(), &Silent).expect("export");
    assert_eq!((second.rows, second.output), (0, None), "nothing changed, nothing written");

    let changed = dir.path().join("changed.csv");
    std::fs::write(&changed, "CustomerAccount,Name,CustomerGroupId\r\nUS-101,City of Redmond (renamed),GOV\r\n")
        .expect("write");
    import(&deployment, "Portal customers", &changed, None);
    let third = deployment.pipeline.export(project, &out, &RunOptions::default(), &Silent).expect("export");
    assert_eq!(third.rows, 1);
    let text = std::fs::read_to_string(&out).expect("export file");
    assert!(text.contains("City of Redmond (renamed)") && !text.contains("Lakeside"), "{text}");
}

/// Set in a child process of [`a_killed_import_leaves_whole_batches_and_a_rerun_adds_no_duplicates`]:
/// the deployment it imports into.
const CRASH_CHILD: &str = "WHARF_TEST_CRASH_CHILD";
const CRASH_ROWS: usize = 300_000;
const CRASH_BATCH: u64 = 1_000;

/// The database the crash test's processes share, when it runs on PostgreSQL; empty on SQLite.
const CRASH_DATABASE: &str = "WHARF_TEST_CRASH_DATABASE";

/// The backend of the crash test's store: the database `url` names, else the SQLite file.
fn crash_backend(url: Option<&str>) -> wharf::backend::Backend {
    match url.filter(|url| !url.is_empty()) {
        None => wharf::backend::Backend::Sqlite,
        Some(url) => wharf::backend::Backend::Postgres(
            wharf::backend::Postgres::connect_blocking(url, 2).expect("the database connects"),
        ),
    }
}

/// The child's half of the crash test: runs the import the parent kills. Does nothing in a
/// normal test run.
#[test]
fn crash_child_imports_until_killed() {
    let Some(dir) = std::env::var_os(CRASH_CHILD) else { return };
    let dir = PathBuf::from(dir);
    let database = std::env::var(CRASH_DATABASE).ok();
    let deployment = Deployment::open_on(&dir, None, &crash_backend(database.as_deref())).expect("deployment");
    import(&deployment, "crash", &dir.join("groups.csv"), None);
}

fn a_killed_import_leaves_whole_batches_and_a_rerun_adds_no_duplicates(backend: Backend) {
    let (dir, deployment) = deployment();
    // The store every process of this test opens: the file, or one fresh schema.
    let database = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(wharf::backend::testing::scratch().expect("a PostgreSQL schema for the test")),
    };
    let project =
        format!("operation = \"import\"\nbatch_size = {CRASH_BATCH}\n[[entity]]\nentity = \"CustomerGroup\"\n");
    std::fs::write(dir.path().join("projects/crash.toml"), project).expect("project");
    let mut text = String::from("CustomerGroupId,Description\r\n");
    for index in 0..CRASH_ROWS {
        text.push_str(&format!("G{index:07},Group number {index}\r\n"));
    }
    std::fs::write(dir.path().join("groups.csv"), text).expect("file");
    drop(deployment);

    let entity = || {
        let text =
            std::fs::read_to_string(root().join("examples/deployment/entities/customer-group.toml")).expect("entity");
        wharf::entity::Entity::parse(&text, "customer-group.toml").expect("valid")
    };
    let data = dir.path().join("data");
    let mut killed_midway = false;
    for delay_ms in [300, 600, 900, 1500, 2500] {
        let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "imports::crash_child_imports_until_killed", "--nocapture"])
            .env(CRASH_CHILD, dir.path())
            .env(CRASH_DATABASE, database.as_deref().unwrap_or_default())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("child");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().expect("kill -9");
        let _ = child.wait();

        let store =
            wharf::store::Store::on(&crash_backend(database.as_deref()), &data).expect("the store opens after a crash");
        store.check_integrity().expect("the store is intact");
        store.prepare(&wharf::entity::Catalog::new(vec![entity()]).expect("catalog")).expect("prepared");
        let count = store.count(&entity(), None).expect("count");
        assert_eq!(count % CRASH_BATCH, 0, "{count} rows: a batch was half written");
        if count > 0 && count < CRASH_ROWS as u64 {
            killed_midway = true;
            break;
        }
    }
    assert!(killed_midway, "no kill landed in the middle of the import");

    let deployment = Deployment::open_on(dir.path(), None, &crash_backend(database.as_deref())).expect("deployment");
    let execution = import(&deployment, "crash", &dir.path().join("groups.csv"), None);
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    let count = deployment.pipeline.store.count(&entity(), None).expect("count");
    assert_eq!(count, CRASH_ROWS as u64, "the re-run completes the import without duplicates");
}

fn without_continue_on_error_a_rejected_row_stops_its_batch_and_the_levels_after_it(backend: Backend) {
    let (dir, _) = deployment_on(backend);
    let transformed =
        std::fs::read_to_string(dir.path().join("projects/fabrikam-orders-transformed.toml")).expect("project");
    // Without its date format every header is rejected.
    let strict = transformed
        .replace("name = \"Fabrikam orders (transformed)\"", "name = \"strict\"\ncontinue_on_error = false")
        .replace("date_formats = [\"%d.%m.%Y\"]", "");
    std::fs::write(dir.path().join("projects/strict.toml"), strict).expect("write");
    let deployment = open_on(dir.path(), backend);
    let execution = import(&deployment, "strict", &sample(&deployment, "fabrikam-orders.xml"), None);
    assert_eq!(execution.status, ExecutionStatus::Failed);
    let states: Vec<_> = execution.entities.iter().map(|entity| entity.target_status).collect();
    assert_eq!(states, [EntityExecutionState::Error, EntityExecutionState::NotRun]);
    assert!(rows(&deployment, "SalesOrderHeader").is_empty(), "the batch with the rejected row is not written");
    assert!(rows(&deployment, "SalesOrderLine").is_empty(), "the next level does not run");
    assert!(!errors(&deployment, &execution).is_empty());
}

/// One instance serves all the batches of one execution, and nothing of it reaches another:
/// the `remember` mapper writes into each row the company and job of its instance's previous
/// call and how many calls the instance served.
#[test]
fn batches_of_one_execution_share_an_instance_and_no_execution_sees_another() {
    let (dir, _) = deployment();
    let installed = wharf_tests::hostile(&dir.path().join("plugins"), "remember");
    assert!(installed.exists());
    let entity = "name = \"Hostile\"\nkey = [\"Key\"]\n\n[[field]]\nname = \"Key\"\ntype = \"string\"\n\n\
                  [[field]]\nname = \"Previous\"\ntype = \"string\"\n\n[[field]]\nname = \"Calls\"\ntype = \"integer\"\n";
    std::fs::write(dir.path().join("entities/hostile.toml"), entity).expect("entity");
    let project = "name = \"Remember\"\noperation = \"import\"\nbatch_size = 2\n\n\
                   [[entity]]\nentity = \"Hostile\"\nformat = \"CSV\"\nmapper = \"hostile-remember\"\n";
    std::fs::write(dir.path().join("projects/remember.toml"), project).expect("project");
    let deployment = open_on(dir.path(), Backend::Sqlite);
    let project = deployment.projects.require("Remember").expect("project");
    // Two executions one after the other, then two at once, each of its own company and job.
    let run = |company: &str, job: &str| {
        let file = dir.path().join(format!("{company}.csv"));
        let keys: String = (1..=5).map(|n| format!("{company}{n}\n")).collect();
        std::fs::write(&file, format!("key\n{keys}")).expect("input");
        let options = RunOptions { company: Some(company.into()), job: Some(job.into()), ..RunOptions::default() };
        let execution = deployment.pipeline.import(project, &Input::from_path(&file, None), &options, &Silent);
        assert_eq!(execution.expect("recorded").status, ExecutionStatus::Succeeded);
    };
    run("usmf", "job-a");
    run("demf", "job-a");
    std::thread::scope(|scope| {
        scope.spawn(|| run("gbsi", "job-b"));
        scope.spawn(|| run("frsi", "job-c"));
    });
    let rows = rows(&deployment, "Hostile");
    for (company, job) in [("usmf", "job-a"), ("demf", "job-a"), ("gbsi", "job-b"), ("frsi", "job-c")] {
        let own: Vec<&String> = rows.iter().filter(|row| row.contains(&format!("Key={company}"))).collect();
        let previous = format!("{company}/{job}");
        let expected = [(1, "none"), (1, "none"), (2, previous.as_str()), (2, &previous), (3, &previous)];
        for (n, (row, (calls, previous))) in own.iter().zip(expected).enumerate() {
            let key = format!("Key={company}{}", n + 1);
            assert!(row.contains(&key) && row.contains(&format!("Previous={previous} Calls={calls}")), "{row}");
        }
        assert_eq!(own.len(), 5, "{rows:?}");
    }
}

/// The indexes of `entity`'s table in the deployment's store file, by name, sorted.
fn indexes(dir: &Path, entity: &str) -> Vec<String> {
    let connection = rusqlite::Connection::open(dir.join("data/wharf.db")).expect("the store file opens");
    let mut statement = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 ORDER BY name")
        .expect("a query");
    let names = statement.query_map([format!("entity_{entity}")], |row| row.get(0)).expect("indexes");
    names.collect::<rusqlite::Result<_>>().expect("names")
}

/// A document of at least `BULK_LOAD_ROWS` rows loads into an empty table without the indexes
/// only reads need, which are built at its end; the rows are all there and the table answers
/// by its indexes again.
#[test]
fn a_bulk_load_into_an_empty_table_builds_its_indexes_at_the_end() {
    let (dir, deployment) = deployment();
    let before = indexes(dir.path(), "CustomerGroup");
    assert_eq!(before, ["key_CustomerGroup", "version_CustomerGroup"]);
    let rows = wharf::store::BULK_LOAD_ROWS;
    let file = dir.path().join("many-groups.csv");
    let lines: String = (0..rows).map(|n| format!("G{n:07},Group {n},Net30,No\n")).collect();
    std::fs::write(&file, format!("CustomerGroupId,Description,PaymentTermId,IsSalesTaxIncludedInPrice\n{lines}"))
        .expect("document");
    let execution = import(&deployment, "Customer groups", &file, None);
    assert_eq!(execution.status, ExecutionStatus::Succeeded, "{:?}", errors(&deployment, &execution));
    assert_eq!(execution.entities[0].inserted, rows);
    assert_eq!(indexes(dir.path(), "CustomerGroup"), before, "the indexes are built again");
    let entity = deployment.pipeline.catalog.require("CustomerGroup").expect("entity");
    assert_eq!(deployment.pipeline.store.count(entity, Some("usmf")).expect("count"), rows);
    // Every row has the load's versions, as an export of changes reads them.
    let changes = ReadQuery { since_version: Some(0), company: None, batch_size: 10_000 };
    let read: usize =
        deployment.pipeline.store.read(entity, &changes).expect("read").map(|b| b.expect("batch").len()).sum();
    assert_eq!(read as u64, rows);
}

/// A bulk load that never ends (the process killed between dropping the indexes and building
/// them) leaves a store whose next open builds them.
#[test]
fn indexes_a_bulk_load_dropped_are_built_again_when_the_store_next_opens() {
    let (dir, deployment) = deployment();
    let before = indexes(dir.path(), "Customer");
    assert_eq!(before.len(), 4, "key, version and two secondary indexes: {before:?}");
    let customer = deployment.pipeline.catalog.require("Customer").expect("entity").clone();
    let mut writer = deployment.pipeline.store.writer().expect("a writer");
    assert!(writer.start_bulk_load(&customer).expect("starts"), "the table is empty");
    assert_eq!(indexes(dir.path(), "Customer"), ["key_Customer"], "only the key index stays");
    drop((writer, deployment));
    let _reopened = open_on(dir.path(), Backend::Sqlite);
    assert_eq!(indexes(dir.path(), "Customer"), before);
}

/// A table with rows keeps its indexes whatever the size of the load.
#[test]
fn a_table_with_rows_is_never_loaded_without_its_indexes() {
    let (dir, deployment) = deployment();
    import(&deployment, "Customer groups", &sample(&deployment, "customer-groups.csv"), None);
    let group = deployment.pipeline.catalog.require("CustomerGroup").expect("entity").clone();
    let mut writer = deployment.pipeline.store.writer().expect("a writer");
    assert!(!writer.start_bulk_load(&group).expect("answers"));
    assert_eq!(indexes(dir.path(), "CustomerGroup"), ["key_CustomerGroup", "version_CustomerGroup"]);
}

on_both_backends!(
    a_plain_csv_lands_in_the_store_with_defaults_and_typed_values,
    rejected_rows_carry_row_field_and_message_and_the_rest_is_imported,
    a_mapper_plugin_fills_headers_and_lines_from_one_document,
    a_transform_plugin_reshapes_the_document_for_every_entity_that_reads_it,
    a_d365_package_imports_its_entities_in_unit_level_sequence_order,
    every_sample_format_imports,
    a_malformed_document_writes_nothing,
    hostile_xml_is_refused_before_anything_is_written,
    a_key_repeated_within_a_file_keeps_its_last_row,
    an_export_imports_back_with_every_value_intact,
    an_incremental_export_takes_only_what_changed_and_skips_when_nothing_did,
    a_killed_import_leaves_whole_batches_and_a_rerun_adds_no_duplicates,
    without_continue_on_error_a_rejected_row_stops_its_batch_and_the_levels_after_it,
);
