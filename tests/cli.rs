//! The command line: what it prints and the exit codes scripts rely on.

use std::path::Path;

use wharf::auth::{Auth, AuthSettings};
use wharf::backend::{Backend, Postgres};
use wharf::run::{Exit, execute};
use wharf_tests::{hostile, plugin, root};

/// Runs `wharf <args>`; returns the exit code and what it printed (or the error).
pub(crate) fn wharf(args: &[&str]) -> (Exit, String) {
    let mut out = Vec::new();
    let outcome = execute(std::iter::once("wharf").chain(args.iter().copied()), &mut out);
    match outcome {
        Ok(exit) => (exit, String::from_utf8(out).expect("utf-8")),
        Err(failure) => (failure.exit, format!("{:#}", failure.error)),
    }
}

pub(crate) fn path(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn check_prints_roles_exports_and_limits() {
    let (exit, out) = wharf(&["plugin", "check", path(&plugin("customer-csv-mapper"))]);
    assert_eq!(exit, Exit::Success, "{out}");
    for expected in [
        "plugin    customer-csv-mapper@1.0.0",
        "roles     mapper",
        "exports   wharf:plugin/mapper@0.1.0",
        "limits    memory 32 MiB, time 2000 ms, output 16 MiB",
    ] {
        assert!(out.contains(expected), "{expected:?} not in:\n{out}");
    }
}

#[test]
fn run_exits_4_when_rows_are_rejected_and_prints_them() {
    let input = root().join("tests/data/golden/customer-csv-mapper/input.csv");
    let (exit, out) = wharf(&["plugin", "run", path(&plugin("customer-csv-mapper")), "--input", path(&input)]);
    assert_eq!(exit, Exit::RowsRejected);
    assert!(out.contains("\"message\": \"unknown country 'Finland'\""), "{out}");
}

#[test]
fn run_exits_1_when_the_call_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = root().join("tests/data/golden/company-filter/input.csv");
    let (exit, error) = wharf(&["plugin", "run", path(&hostile(dir.path(), "panic")), "--input", path(&input)]);
    assert_eq!(exit, Exit::Failed);
    assert!(error.contains("plugin hostile-panic@0.1.0: trapped"), "{error}");
}

#[test]
fn unusable_files_exit_3_and_say_which() {
    let (exit, error) = wharf(&["plugin", "check", "/nonexistent/plugin.wasm"]);
    assert_eq!(exit, Exit::Unusable);
    assert!(error.contains("/nonexistent/plugin.toml"), "{error}");
    let (exit, error) = wharf(&["plugin", "run", path(&plugin("company-filter")), "--input", "/nonexistent.csv"]);
    assert_eq!(exit, Exit::Unusable);
    assert!(error.contains("cannot read /nonexistent.csv"), "{error}");
    let (exit, error) = wharf(&["plugin", "build", path(&root().join("examples")), "--out", "/tmp"]);
    assert_eq!(exit, Exit::Unusable);
    assert!(error.contains("wharf-plugin.toml"), "{error}");
}

#[test]
fn wrong_arguments_exit_2_with_usage() {
    let (exit, error) = wharf(&["plugin", "run"]);
    assert_eq!(exit, Exit::Usage);
    assert!(error.contains("--input"), "{error}");
    assert_eq!(wharf(&["plugin", "frobnicate"]).0, Exit::Usage);
    assert_eq!(wharf(&["--help"]).0, Exit::Success);
}

#[test]
fn import_exits_4_with_a_summary_naming_the_error_file_when_rows_are_rejected() {
    let (dir, deployment) = super::imports::deployment();
    drop(deployment);
    let sample = dir.path().join("samples/warehouse-on-hand.txt");
    let project = ["--project", "Warehouse on-hand", "--quiet", "--deployment", path(dir.path())];
    let (exit, out) = wharf(&[&["import", path(&sample)][..], &project[..]].concat());
    assert_eq!(exit, Exit::RowsRejected, "{out}");
    assert!(out.contains("Inventory on-hand: read 6, imported 5 (inserted 5, updated 0), rejected 1"), "{out}");
    assert!(out.contains("error file: ") && out.contains("Inventory on-hand-errors.csv"), "{out}");
}

/// Runs `wharf entity from-package <package> <args>`.
fn from_package(package: &Path, args: &[&str]) -> (Exit, String) {
    wharf(&[&["entity", "from-package", path(package)][..], args].concat())
}

/// A package of one CSV entity, `Rows`, whose data file holds `content`.
fn csv_package(dir: &Path, content: &[u8]) -> std::path::PathBuf {
    use std::io::Write as _;
    use wharf::formats::package::{EntityMap, Manifest, PackageEntity, PackageHeader, PackageWriter};
    let entity = PackageEntity {
        entity_name: "Rows".to_owned(),
        input_file_path: "Rows.csv".to_owned(),
        source_format: "CSV".to_owned(),
        field_maps: Some(vec![EntityMap::identity("ID"), EntityMap::identity("VALUE")]),
        ..PackageEntity::default()
    };
    let manifest = Manifest { entities: vec![entity], ..Manifest::default() };
    let mut writer = PackageWriter::new(std::io::Cursor::new(Vec::new()));
    writer.start_entity_file("Rows.csv").expect("an entry").write_all(content).expect("written");
    let bytes = writer.finish(&manifest, &PackageHeader::default()).expect("a package").into_inner();
    let package = dir.join(format!("rows-{}.zip", content.len()));
    std::fs::write(&package, bytes).expect("written");
    package
}

#[test]
fn entity_from_package_drafts_the_real_packages_entity_which_imports_it_once_moved_into_place() {
    let (dir, deployment) = super::imports::deployment();
    drop(deployment);
    let real = root().join("tests/data/packages/usmf_asset-major-types-01.zip");
    let drafts = dir.path().join("drafts");

    let (exit, printed) = from_package(&real, &[]);
    assert_eq!(exit, Exit::Success, "{printed}");
    assert!(printed.starts_with("# Drafted by `wharf entity from-package`"), "{printed}");
    assert!(!drafts.exists(), "without --out nothing is written");

    let (exit, out) = from_package(&real, &["--entity", "fixed ASSET major type", "--out", path(&drafts)]);
    assert_eq!(exit, Exit::Success, "{out}");
    let draft = drafts.join("fixed-asset-major-type.toml.draft");
    assert!(out.contains(&format!("drafted {}", draft.display())) && out.contains("review it"), "{out}");
    let text = std::fs::read_to_string(&draft).expect("the draft");
    assert_eq!(text, printed.trim_end_matches('\n').to_owned() + "\n", "the file is what was printed");
    for reason in [
        "REVIEW IT BEFORE USE",
        "max_length = 20  # longest value: 11 characters",
        "max_length = 30  # longest value: 24 characters",
        "The key is MAJORTYPEID: the first column with a value, a different one, in every row.",
        "company = true is a guess",
    ] {
        assert!(text.contains(reason), "{reason:?} not in:\n{text}");
    }
    let entity = wharf::entity::Entity::parse(&text, "the draft").expect("a valid definition");
    assert_eq!((entity.name.as_str(), entity.label.as_str()), ("FixedAssetMajorType", "Fixed asset major type"));
    let fields: Vec<(&str, &wharf::entity::FieldType)> =
        entity.fields.iter().map(|field| (field.name.as_str(), &field.field_type)).collect();
    let string = |length| wharf::entity::FieldType::String { max_length: Some(length) };
    assert_eq!(fields, [("dataAreaId", &string(4)), ("MAJORTYPEID", &string(20)), ("DESCRIPTION", &string(30))]);
    let key: Vec<&str> = entity.key_fields().map(|field| field.name.as_str()).collect();
    assert_eq!(key, ["dataAreaId", "MAJORTYPEID"]);

    // A draft is never written over a file, reviewed or not.
    let (exit, error) = from_package(&real, &["--out", path(&drafts)]);
    assert_eq!(exit, Exit::Unusable);
    assert!(error.contains("a draft never replaces a file"), "{error}");

    // Reviewed and moved into place, it imports the package it came from.
    std::fs::rename(&draft, dir.path().join("entities/fixed-asset-major-type.toml")).expect("moved");
    let args = ["import", path(&real), "--project", "Contoso setup", "--quiet", "--deployment", path(dir.path())];
    let (exit, out) = wharf(&args);
    assert_eq!(exit, Exit::Success, "{out}");
    assert!(out.contains("Fixed asset major type: read 11, imported 11 (inserted 11, updated 0), rejected 0"), "{out}");
}

#[test]
fn entity_from_package_explains_hostile_packages_and_mixed_columns_without_panicking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mixed = csv_package(dir.path(), b"ID,VALUE\r\n1,12\r\n2,abc\r\n3,2.5\r\n");
    let (exit, out) = from_package(&mixed, &[]);
    assert_eq!(exit, Exit::Success, "{out}");
    assert!(out.contains("name = \"VALUE\"\ntype = \"string\"  # mixed: 1 integer, 1 text, 1 decimal"), "{out}");
    assert!(out.contains("key = [\"ID\"]"), "{out}");

    let mut huge = b"ID,VALUE\r\n1,".to_vec();
    // Letters that do not repeat, so the entry stays within the zip's compression-ratio limit
    // and the value itself is what is too big.
    let mut state = 1u64;
    huge.extend((0..2 << 20).map(|_| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        b'a' + ((state >> 33) % 26) as u8
    }));
    huge.extend(b"\r\n");
    let broken_manifest = dir.path().join("broken.zip");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("Manifest.xml", zip::write::SimpleFileOptions::default()).expect("an entry");
    std::io::Write::write_all(&mut zip, b"<DataManagementPackageManifest><PackageEntityList>").expect("written");
    std::fs::write(&broken_manifest, zip.finish().expect("a zip").into_inner()).expect("written");
    let cases = [
        (csv_package(dir.path(), b""), vec![], "Rows.csv (CSV) has no rows: there is nothing to infer types from"),
        (
            csv_package(dir.path(), b"ID,VALUE\r\n"),
            vec![],
            "Rows.csv (CSV) has no rows: there is nothing to infer types from",
        ),
        (csv_package(dir.path(), &huge), vec![], "cannot read Rows.csv"),
        (broken_manifest, vec![], "is not a usable data package: invalid Manifest.xml"),
        (
            mixed.clone(),
            vec!["--entity", "Customers"],
            "the manifest has no entity \"Customers\" (it lists [\"Rows\"])",
        ),
        (dir.path().join("missing.zip"), vec![], "cannot open"),
    ];
    for (package, args, reason) in cases {
        let (exit, error) = from_package(&package, &args);
        assert_eq!(exit, Exit::Unusable, "{}: {error}", package.display());
        assert!(error.contains(reason), "{}: {reason:?} not in {error:?}", package.display());
    }
}

#[test]
fn import_exits_1_when_the_run_fails_and_3_for_an_unknown_project() {
    let (dir, deployment) = super::imports::deployment();
    drop(deployment);
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, "CustomerGroupId,Description\r\nA,\"open\r\n").expect("write");
    let deployment_dir = path(dir.path());
    let args = ["import", path(&broken), "--project", "Customer groups", "--quiet", "--deployment", deployment_dir];
    let (exit, out) = wharf(&args);
    assert_eq!(exit, Exit::Failed, "{out}");
    assert!(out.contains("failed: ") && out.contains("broken.csv"), "{out}");
    let (exit, out) = wharf(&["import", path(&broken), "--project", "Nope", "--deployment", deployment_dir]);
    assert_eq!(exit, Exit::Unusable);
    assert!(out.contains("unknown project Nope (known: ") && out.contains("Customer groups"), "{out}");
}

#[test]
fn export_writes_the_file_and_says_how_many_rows() {
    let (dir, deployment) = super::imports::deployment();
    drop(deployment);
    let deployment_dir = path(dir.path());
    let sample = dir.path().join("samples/customer-groups.csv");
    let (exit, _) = wharf(&["import", path(&sample), "--project", "Customer groups", "--deployment", deployment_dir]);
    assert_eq!(exit, Exit::Success);
    let out_file = dir.path().join("export/contoso.zip");
    let (exit, out) =
        wharf(&["export", "--project", "Contoso export", "--out", path(&out_file), "--deployment", deployment_dir]);
    assert_eq!(exit, Exit::Success, "{out}");
    assert!(out.contains(&format!("wrote 6 rows to {}", out_file.display())), "{out}");
    assert!(out_file.is_file());
}

#[test]
fn client_add_mints_a_guid_id_keeps_the_name_for_people_and_takes_an_existing_id() {
    let (dir, _) = crate::imports::deployment();
    let deployment = path(dir.path());
    let (exit, out) = wharf(&[
        "client",
        "add",
        "Fabrikam ERP",
        "--role",
        "data-management",
        "--company",
        "usmf",
        "--deployment",
        deployment,
    ]);
    assert_eq!(exit, Exit::Success, "{out}");
    let id = out.lines().find_map(|line| line.strip_prefix("client id:")).expect("the id").trim().to_owned();
    let guid = uuid::Uuid::parse_str(&id).unwrap_or_else(|_| panic!("RIS reads client ids as GUIDs: {out}"));
    assert_eq!(id, guid.to_string(), "lowercase, unbraced: {out}");
    assert!(out.contains("client name:   Fabrikam ERP"), "{out}");

    // Deployments registered before keep their ids.
    let (exit, out) =
        wharf(&["client", "add", "--id", "fabrikam-erp", "--company", "usmf", "--deployment", deployment]);
    assert_eq!(exit, Exit::Success, "{out}");
    assert!(out.contains("client id:     fabrikam-erp"), "{out}");

    let (exit, listed) = wharf(&["client", "list", "--deployment", deployment]);
    assert_eq!(exit, Exit::Success, "{listed}");
    assert!(listed.lines().any(|line| line.starts_with(&format!("{id}\tFabrikam ERP\t"))), "{listed}");
    assert!(listed.lines().any(|line| line.starts_with("fabrikam-erp\t")), "{listed}");
}

/// The key ids of a JWKS document, in order.
fn kids(jwks: &serde_json::Value) -> Vec<String> {
    let keys = jwks["keys"].as_array().expect("a key list");
    keys.iter().map(|key| key["kid"].as_str().expect("a kid").to_owned()).collect()
}

/// The id `wharf client rotate-key` printed.
fn rotated_kid(out: &str) -> String {
    out.lines().find_map(|line| line.strip_prefix("signing key:")).expect("the new key's id").trim().to_owned()
}

#[test]
fn client_rotate_key_makes_a_new_signing_key_and_keeps_the_old_one_verifying() {
    let (dir, _) = crate::imports::deployment();
    let data = dir.path().join("data");
    let (deployment, data_arg) = (path(dir.path()), path(&data));
    let (exit, out) =
        wharf(&["client", "add", "--id", "ops", "--company", "*", "--deployment", deployment, "--data", data_arg]);
    assert_eq!(exit, Exit::Success, "{out}");
    let key_file = data.join("keys").join("signing.pem");
    let old_key = std::fs::read_to_string(&key_file).expect("the key made on first start");
    let settings = AuthSettings { issuer: "wharf".into(), audience: "wharf".into(), ..AuthSettings::default() };
    let auth = Auth::open(&Backend::Sqlite, &data.join("server.db"), &key_file, settings).expect("auth opens");
    let old_kid = kids(&auth.jwks()).remove(0);

    let (exit, out) = wharf(&["client", "rotate-key", "--deployment", deployment, "--data", data_arg]);
    assert_eq!(exit, Exit::Success, "{out}");
    let new_kid = rotated_kid(&out);
    assert_ne!(std::fs::read_to_string(&key_file).expect("the new key"), old_key);
    // A server that was running sees the new key at once, and still publishes the old one.
    assert_eq!(kids(&auth.jwks()), [new_kid, old_kid]);
}

#[test]
fn client_commands_with_a_database_manage_the_clients_and_keys_every_replica_shares() {
    let (dir, _) = crate::imports::deployment();
    let url = wharf::backend::testing::scratch().expect("a PostgreSQL schema");
    let deployment = path(dir.path());
    let shared = ["--deployment", deployment, "--database", url.as_str()];
    let (exit, out) = wharf(&[&["client", "add", "--id", "ops", "--company", "*"][..], &shared].concat());
    assert_eq!(exit, Exit::Success, "{out}");

    let (exit, listed) = wharf(&[&["client", "list"][..], &shared].concat());
    assert_eq!(exit, Exit::Success, "{listed}");
    assert!(listed.lines().any(|line| line.starts_with("ops\t")), "{listed}");
    assert!(!dir.path().join("data/keys/signing.pem").exists(), "no key file with a database");
    let (exit, local) = wharf(&["client", "list", "--deployment", deployment]);
    assert_eq!(exit, Exit::Success, "{local}");
    assert!(!local.contains("ops"), "the data directory's clients are others: {local}");

    // A replica running on the database.
    let postgres = Postgres::connect_blocking(&url, 2).expect("the test database connects");
    let settings = AuthSettings { issuer: "wharf".into(), audience: "wharf".into(), ..AuthSettings::default() };
    let data = dir.path().join("data");
    let replica = Auth::open(&Backend::Postgres(postgres), &data.join("server.db"), &data.join("key.pem"), settings)
        .expect("auth opens");
    assert!(replica.client("ops").is_some());
    let old_kid = kids(&replica.jwks()).remove(0);

    let (exit, out) = wharf(&[&["client", "rotate-key"][..], &shared].concat());
    assert_eq!(exit, Exit::Success, "{out}");
    let expected = [rotated_kid(&out), old_kid];
    let start = std::time::Instant::now();
    while kids(&replica.jwks()) != expected {
        assert!(start.elapsed() < std::time::Duration::from_secs(5), "the replica has {:?}", kids(&replica.jwks()));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn build_runs_a_manifests_build_command_and_says_when_it_fails_or_leaves_nothing() {
    let project = tempfile::tempdir().expect("tempdir");
    let out = tempfile::tempdir().expect("tempdir");
    let built = plugin("company-filter");
    let manifest = std::fs::read_to_string(built.with_extension("toml")).expect("manifest");
    let with_build = |command: &str| {
        let build = format!("\n[build]\ncommand = \"{command}\"\noutput = \"out/plugin.wasm\"\n");
        std::fs::write(project.path().join("wharf-plugin.toml"), format!("{manifest}{build}")).expect("write");
    };
    let args = ["plugin", "build", path(project.path()), "--out", path(out.path())];

    with_build(&format!("mkdir -p out && cp {} out/plugin.wasm", path(&built)));
    let (exit, report) = wharf(&args);
    assert_eq!(exit, Exit::Success, "{report}");
    assert!(report.contains("built company-filter@1.0.0"), "{report}");
    assert_eq!(
        std::fs::read(out.path().join("company-filter.wasm")).expect("placed"),
        std::fs::read(&built).expect("built")
    );

    with_build("exit 7");
    let (exit, error) = wharf(&args);
    assert_eq!(exit, Exit::Unusable);
    assert!(error.contains("the build command of") && error.contains("failed (exit status: 7): exit 7"), "{error}");

    // The component of the first build is removed before a build runs, so it cannot pass for
    // the output of a command that made none.
    with_build("true");
    let (exit, error) = wharf(&args);
    assert_eq!(exit, Exit::Unusable);
    assert!(error.contains("left no component at"), "{error}");
}
