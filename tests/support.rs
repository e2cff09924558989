//! What the integration tests share: the plugins they build (once per run), a runtime, and the
//! golden-file check.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use wharf::plugin::{NoEntities, Runtime, RuntimeConfig};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the workspace").to_owned()
}

/// The example plugins every test may load, built once per run with `wharf plugin build`.
pub const EXAMPLE_PLUGINS: [&str; 7] = [
    "customer-csv-mapper",
    "sales-order-xml-mapper",
    "company-filter",
    "order-xml-transform",
    "inventory-action",
    "bom-approval",
    "xslt-transform",
];

/// Example plugins built with the others but installed only by the tests that use them: a
/// credit check needs a partner's web service that no other test runs.
pub const EXTRA_EXAMPLE_PLUGINS: [&str; 1] = ["credit-check"];

/// The plugins the tests build to attack the host.
pub const TEST_PLUGINS: [&str; 4] = ["hostile", "hostile-action", "future-contract", "raw-mapper"];

/// The directory holding every built plugin (`<name>.wasm` with `<name>.toml`), building
/// them on first use.
pub fn plugin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = root();
        let target = root.join("target/test-plugins");
        let out = target.join("plugins");
        let crates = EXAMPLE_PLUGINS
            .iter()
            .chain(&EXTRA_EXAMPLE_PLUGINS)
            .map(|name| root.join("plugins").join(name))
            .chain(TEST_PLUGINS.iter().map(|name| root.join("tests/plugins").join(name)));
        for crate_dir in crates {
            wharf::run::plugin::build(&crate_dir, &out, Some(&target))
                .unwrap_or_else(|error| panic!("cannot build {}: {error:#}", crate_dir.display()));
        }
        out
    })
}

/// The independent tools the tests check against (a Python OData client, a `$filter` parser,
/// the OASIS ABNF test cases and CSDL schemas, schemathesis), installed once per run into
/// `target/external` by `tests/external/install.sh`.
pub fn external() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = root();
        // The script installs under `$CARGO_TARGET_DIR`, which the tests may run with set
        // elsewhere: it is told the directory this function answers.
        let status = std::process::Command::new("bash")
            .arg(root.join("tests/external/install.sh"))
            .env("CARGO_TARGET_DIR", root.join("target"))
            .status()
            .expect("bash runs tests/external/install.sh");
        assert!(status.success(), "tests/external/install.sh failed: the OData oracles are not installed");
        root.join("target/external")
    })
    .clone()
}

/// A built plugin's `.wasm`.
pub fn plugin(name: &str) -> PathBuf {
    plugin_dir().join(format!("{name}.wasm"))
}

/// One runtime for the whole run, with its artifact cache under `target/`.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let config =
            RuntimeConfig { cache_dir: Some(root().join("target/test-plugins/cache")), ..RuntimeConfig::default() };
        Runtime::new(&config, Arc::new(NoEntities)).expect("runtime starts")
    })
}

/// Copies built plugin `name` into `dir` as `new_name`, with its manifest passed through
/// `edit`. Returns the new `.wasm`.
pub fn install(name: &str, dir: &Path, new_name: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
    let manifest = std::fs::read_to_string(plugin(name).with_extension("toml")).expect("manifest");
    let manifest = edit(manifest.replacen(&format!("name = \"{name}\""), &format!("name = \"{new_name}\""), 1));
    let wasm = dir.join(format!("{new_name}.wasm"));
    std::fs::write(wasm.with_extension("toml"), manifest).expect("write manifest");
    std::fs::copy(plugin(name), &wasm).expect("copy component");
    wasm
}

/// The hostile plugin set to `attack`, installed in `dir`.
pub fn hostile(dir: &Path, attack: &str) -> PathBuf {
    attacker("hostile", dir, attack)
}

/// Test plugin `name` (one that reads its `attack` config) set to `attack`, installed in `dir`.
pub fn attacker(name: &str, dir: &Path, attack: &str) -> PathBuf {
    install(name, dir, &format!("{name}-{attack}"), |manifest| {
        manifest.replace("attack = \"none\"", &format!("attack = \"{attack}\""))
    })
}

/// Compares `actual` with the file `expected`; with `UPDATE_EXPECT=1` rewrites the file.
pub fn check_golden(actual: &str, expected: &Path) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(expected, actual).expect("bless");
        return;
    }
    let want = std::fs::read_to_string(expected)
        .unwrap_or_else(|_| panic!("no {}; run with UPDATE_EXPECT=1 to create it", expected.display()));
    assert!(
        want == actual,
        "output differs from {} (UPDATE_EXPECT=1 rewrites it)\n--- expected\n{want}\n--- actual\n{actual}",
        expected.display()
    );
}

/// A batch of one customer (`c1`, Contoso, US) in the customer mapper's source columns.
pub fn one_customer() -> wharf_plugin_sdk::Batch {
    let columns = ["cust_no", "company_name", "street", "postcode", "city", "country", "phone", "credit_limit"];
    let mut input = wharf_plugin_sdk::BatchBuilder::new(columns);
    input.push_row(&[
        "c1".into(),
        "Contoso".into(),
        "".into(),
        "".into(),
        "".into(),
        "US".into(),
        "".into(),
        "".into(),
    ]);
    input.finish()
}
