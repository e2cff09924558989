//! Signed plugins: a deployment that requires signatures loads a plugin only with a good
//! signature by a trusted key, over its component and its manifest, and says why it refuses.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use wharf::deployment::Deployment;
use wharf::run::Exit;
use wharf_tests::{install, root};

use crate::cli::{path, wharf};

/// A deployment in a temp folder that requires plugins signed by `keys/dev`, with the company
/// filter installed (unsigned) as `filter`, and a second key pair `other` it does not trust.
struct Signed {
    dir: tempfile::TempDir,
    wasm: PathBuf,
    dev_key: PathBuf,
    other_key: PathBuf,
}

fn signed_deployment() -> Signed {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = dir.path().join("keys");
    std::fs::create_dir_all(&keys).expect("keys");
    let (exit, out) = wharf(&["plugin", "keygen", path(&keys.join("dev"))]);
    assert_eq!(exit, Exit::Success, "{out}");
    assert!(out.contains("public key") && keys.join("dev.pub").is_file(), "{out}");
    let (exit, out) = wharf(&["plugin", "keygen", path(&dir.path().join("other"))]);
    assert_eq!(exit, Exit::Success, "{out}");
    let cache = root().join("target/test-plugins/cache");
    let settings =
        format!("cache = {:?}\n\n[signing]\nrequired = true\ntrusted_keys = [\"keys/dev.pub\"]\n", path(&cache));
    std::fs::write(dir.path().join("wharf.toml"), settings).expect("settings");
    for folder in ["entities", "projects", "jobs", "plugins"] {
        std::fs::create_dir_all(dir.path().join(folder)).expect("folder");
    }
    let plugins = dir.path().join("plugins");
    let wasm = install("company-filter", &plugins, "filter", |manifest| manifest);
    Signed { dev_key: keys.join("dev.key"), other_key: dir.path().join("other.key"), wasm, dir }
}

impl Signed {
    fn sign(&self, key: &Path) {
        let (exit, out) = wharf(&["plugin", "sign", path(&self.wasm), "--key", path(key)]);
        assert_eq!(exit, Exit::Success, "{out}");
        assert!(out.contains("filter.wasm.minisig"), "{out}");
    }

    /// `wharf plugin check` on the installed plugin: what it printed, or why it refused.
    fn check(&self) -> Result<String, String> {
        match wharf(&["plugin", "check", path(&self.wasm)]) {
            (Exit::Success, out) => Ok(out),
            (exit, error) => {
                assert_eq!(exit, Exit::Unusable, "{error}");
                Err(error)
            }
        }
    }

    fn edit(&self, file: &Path, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let original = std::fs::read(file).expect("read");
        let mut changed = original.clone();
        edit(&mut changed);
        std::fs::write(file, changed).expect("write");
        original
    }
}

fn refused(result: Result<String, String>, reason: &str) {
    let error = result.expect_err("the plugin is refused");
    assert!(error.contains(reason), "{reason:?} not in: {error}");
}

#[test]
fn a_deployment_requiring_signatures_loads_only_a_good_signature_by_a_trusted_key() {
    let signed = signed_deployment();
    refused(signed.check(), "it is not signed: no ");

    signed.sign(&signed.dev_key);
    let out = signed.check().expect("a good signature loads");
    assert!(out.contains("plugin    filter@1.0.0"), "{out}");

    // The manifest is signed too: one more granted byte of memory is not what was signed.
    let manifest = signed.wasm.with_extension("toml");
    let original = signed.edit(&manifest, |text| text.extend_from_slice(b"\n# changed after signing\n"));
    refused(signed.check(), "its manifest is not the one signed");
    std::fs::write(&manifest, original).expect("restore");
    signed.check().expect("the signed manifest again");

    let original = signed.edit(&signed.wasm, |wasm| {
        let middle = wasm.len() / 2;
        wasm[middle] ^= 1;
    });
    refused(signed.check(), "does not verify: the component is not the one signed");
    std::fs::write(&signed.wasm, original).expect("restore");

    signed.sign(&signed.other_key);
    refused(signed.check(), "which is not one of this deployment's [signing] trusted_keys");

    std::fs::write(wharf::plugin::signature::signature_path(&signed.wasm), "not a signature").expect("write");
    refused(signed.check(), "is not a minisign signature");
}

#[test]
fn the_server_refuses_an_unsigned_plugin_with_its_reason_and_serves_it_once_its_signature_lands() {
    let signed = signed_deployment();
    let mut deployment = Deployment::open(signed.dir.path(), None).expect("the deployment opens");
    let registry = deployment.pipeline.registry.clone();
    let status = registry.status();
    let failure = status[0].failure.as_ref().expect("the unsigned plugin is refused");
    assert!(failure.reason.contains("it is not signed"), "{failure:?}");
    assert_eq!(status[0].current, None);

    deployment.watch_plugins().expect("watch");
    // The signature lands after the component, as an operator copying the two files would: made
    // beside a copy of the plugin, then moved in.
    let staging = signed.dir.path().join("staging");
    std::fs::create_dir_all(&staging).expect("staging");
    let copy = staging.join("filter.wasm");
    std::fs::copy(&signed.wasm, &copy).expect("copy");
    std::fs::copy(signed.wasm.with_extension("toml"), copy.with_extension("toml")).expect("copy");
    let (exit, out) = wharf(&["plugin", "sign", path(&copy), "--key", path(&signed.dev_key)]);
    assert_eq!(exit, Exit::Success, "{out}");
    let signature = wharf::plugin::signature::signature_path;
    std::fs::rename(signature(&copy), signature(&signed.wasm)).expect("land");
    let deadline = Instant::now() + Duration::from_secs(20);
    while registry.status()[0].current.is_none() {
        assert!(Instant::now() < deadline, "the signed plugin never loaded: {:?}", registry.status());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(registry.status()[0].current.as_deref(), Some("filter@1.0.0"));
}

#[test]
fn signing_settings_that_cannot_work_stop_the_deployment_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    for folder in ["entities", "projects", "jobs", "plugins"] {
        std::fs::create_dir_all(dir.path().join(folder)).expect("folder");
    }
    for (settings, reason) in [
        ("[signing]\nrequired = true\n", "lists no trusted_keys"),
        ("[signing]\ntrusted_keys = [\"keys/missing.pub\"]\n", "neither a minisign key nor a readable key file"),
    ] {
        std::fs::write(dir.path().join("wharf.toml"), settings).expect("settings");
        let error = format!("{:#}", Deployment::open(dir.path(), None).expect_err(reason));
        assert!(error.contains(reason), "{reason:?} not in: {error}");
    }
}
