//! Signed plugins: a deployment that lists trusted keys refuses a component whose detached
//! signature does not verify.
//!
//! The signature is minisign's (`<name>.wasm.minisig` beside the component), so the standard
//! `minisign` tool can make and check it too. It signs the component's bytes; its trusted
//! comment, which the signature covers as well, names the manifest's BLAKE3 hash, so the
//! manifest beside the component (its limits, its grants) cannot be changed either:
//!
//! ```text
//! wharf-plugin customer-csv-mapper@1.0.0 manifest-blake3:<64 hex digits>
//! ```

use std::io::Cursor;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use minisign::{PublicKey, PublicKeyBox, SecretKey, SecretKeyBox, SignatureBox};
use serde::Deserialize;

use super::Manifest;

/// What the trusted comment says before the manifest's hash.
const MANIFEST_HASH: &str = "manifest-blake3:";

/// `[signing]` in `wharf.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigningSettings {
    /// minisign public keys whose signatures a plugin may carry: a key file (relative to the
    /// deployment directory) or the key itself, as the second line of a `.pub` file.
    pub trusted_keys: Vec<String>,
    /// Refuse every plugin without a good signature. Without it, a plugin that carries a
    /// signature must still carry a good one, and an unsigned plugin loads.
    pub required: bool,
}

/// The keys a deployment trusts, and whether every plugin must be signed.
#[derive(Debug)]
pub struct Signing {
    keys: Vec<PublicKey>,
    required: bool,
}

/// The signature file of component `wasm`: `<name>.wasm.minisig`.
pub fn signature_path(wasm: &Path) -> PathBuf {
    let mut name = wasm.as_os_str().to_owned();
    name.push(".minisig");
    PathBuf::from(name)
}

/// The signature beside component `wasm`, if there is one.
pub fn read_signature(wasm: &Path) -> Result<Option<String>> {
    let path = signature_path(wasm);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read signature {}", path.display())),
    }
}

impl Signing {
    /// The signing rules of the deployment in `dir`; `None` when it trusts no key and
    /// requires nothing.
    pub fn new(dir: &Path, settings: &SigningSettings) -> Result<Option<Signing>> {
        if settings.trusted_keys.is_empty() {
            if settings.required {
                bail!("[signing] requires signed plugins but lists no trusted_keys");
            }
            return Ok(None);
        }
        let keys = settings.trusted_keys.iter().map(|key| trusted_key(dir, key)).collect::<Result<_>>()?;
        Ok(Some(Signing { keys, required: settings.required }))
    }

    /// Checks component `wasm` (of file `file`) and the text of its `manifest` against
    /// `signature`, the text of its `.minisig` file.
    pub fn check(&self, file: &Path, wasm: &[u8], manifest: &str, signature: Option<&str>) -> Result<()> {
        let sig_path = signature_path(file);
        let Some(signature) = signature else {
            if self.required {
                bail!(
                    "it is not signed: no {} beside it, and this deployment requires signed plugins \
                     ([signing] required)",
                    sig_path.display()
                );
            }
            return Ok(());
        };
        let signature = SignatureBox::from_string(signature)
            .map_err(|error| anyhow::anyhow!("{} is not a minisign signature: {error}", sig_path.display()))?;
        let key_id = key_id(signature.keynum());
        let key = self.keys.iter().find(|key| key.keynum() == signature.keynum()).with_context(|| {
            format!("it is signed by key {key_id}, which is not one of this deployment's [signing] trusted_keys")
        })?;
        minisign::verify(key, &signature, Cursor::new(wasm), true, false, false).map_err(|error| {
            anyhow::anyhow!(
                "its signature by key {key_id} does not verify: the component is not the one signed ({error})"
            )
        })?;
        let comment = signature.trusted_comment().map_err(|error| anyhow::anyhow!("{error}"))?;
        let signed = comment
            .split_whitespace()
            .find_map(|word| word.strip_prefix(MANIFEST_HASH))
            .context("its signature names no manifest (the trusted comment has no manifest-blake3:)")?;
        let actual = blake3::hash(manifest.as_bytes());
        if signed != actual.to_hex().as_str() {
            bail!(
                "its manifest is not the one signed: {} has BLAKE3 {actual}, the signature by key {key_id} names {signed}",
                file.with_extension("toml").display()
            );
        }
        Ok(())
    }
}

/// A trusted key as `[signing]` lists it: the key itself, or a file holding it.
fn trusted_key(dir: &Path, key: &str) -> Result<PublicKey> {
    if let Ok(public) = PublicKey::from_base64(key.trim()) {
        return Ok(public);
    }
    let path = dir.join(key);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("[signing] trusted key {key} is neither a minisign key nor a readable key file"))?;
    PublicKey::from_box(PublicKeyBox::from_string(&text).map_err(|error| anyhow::anyhow!("{error}"))?)
        .map_err(|error| anyhow::anyhow!("{} is not a minisign public key: {error}", path.display()))
}

/// A key's id as minisign prints it.
fn key_id(keynum: &[u8]) -> String {
    let mut bytes = [0; 8];
    bytes[..keynum.len().min(8)].copy_from_slice(&keynum[..keynum.len().min(8)]);
    format!("{:016X}", u64::from_le_bytes(bytes))
}

/// Signs component `wasm` and the manifest beside it with the minisign secret key in
/// `secret_key` (`password` opens an encrypted one) and writes `<wasm>.minisig`. Returns its
/// path.
pub fn sign(wasm: &Path, secret_key: &Path, password: Option<String>) -> Result<PathBuf> {
    let manifest_path = wasm.with_extension("toml");
    let manifest = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read manifest {}", manifest_path.display()))?;
    let parsed = Manifest::parse(&manifest).with_context(|| format!("invalid manifest {}", manifest_path.display()))?;
    let component = std::fs::read(wasm).with_context(|| format!("cannot read plugin {}", wasm.display()))?;
    let key = open_secret_key(secret_key, password)
        .map_err(|error| anyhow::anyhow!("cannot open secret key {}: {error}", secret_key.display()))?;
    let trusted = format!("wharf-plugin {} {MANIFEST_HASH}{}", parsed.id(), blake3::hash(manifest.as_bytes()).to_hex());
    let untrusted = format!("signature of {} by wharf plugin sign", parsed.id());
    let signature = minisign::sign(None, &key, Cursor::new(component), Some(&trusted), Some(&untrusted))
        .map_err(|error| anyhow::anyhow!("cannot sign {}: {error}", wasm.display()))?;
    let path = signature_path(wasm);
    std::fs::write(&path, signature.into_string()).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// The secret key in `path`: as it is, or decrypted with `password` (asked for on the
/// terminal when `None`).
fn open_secret_key(path: &Path, password: Option<String>) -> Result<SecretKey, minisign::PError> {
    let text = std::fs::read_to_string(path)?;
    SecretKey::from_unencrypted_box(SecretKeyBox::from_string(&text)?)
        .or_else(|_| SecretKey::from_box(SecretKeyBox::from_string(&text)?, password))
}

/// Makes a new key pair without a password: `<prefix>.key` (secret: keep it off the servers)
/// and `<prefix>.pub` (for `[signing] trusted_keys`). Returns their paths.
pub fn keygen(prefix: &Path) -> Result<(PathBuf, PathBuf)> {
    let with = |ext: &str| {
        let mut name = prefix.as_os_str().to_owned();
        name.push(ext);
        PathBuf::from(name)
    };
    let (secret_path, public_path) = (with(".key"), with(".pub"));
    let pair = minisign::KeyPair::generate_unencrypted_keypair().map_err(|error| anyhow::anyhow!("{error}"))?;
    let secret = pair.sk.to_box(None).map_err(|error| anyhow::anyhow!("{error}"))?;
    let public = pair.pk.to_box().map_err(|error| anyhow::anyhow!("{error}"))?;
    write_new(&secret_path, 0o600, &secret.into_string())?;
    write_new(&public_path, 0o644, &public.into_string())?;
    Ok((secret_path, public_path))
}

/// Writes `text` to a new file at `path` with permissions `mode`; never overwrites a key.
fn write_new(path: &Path, mode: u32, text: &str) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot create {} (a key is never overwritten)", path.display()))?;
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))
}
