//! The on-disk cache of compiled components, so a plugin is compiled once per content and
//! engine configuration, not at every start.
//!
//! Deserializing a compiled artifact runs native code it contains, so the cache only accepts
//! files it wrote itself: each carries a keyed BLAKE3 MAC under a key that never leaves the
//! cache directory. A file planted or altered by anyone without the key is recompiled, not
//! loaded.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use wasmtime::Engine;
use wasmtime::component::Component;

const KEY_FILE: &str = "artifact.key";
const MAC_LEN: usize = blake3::OUT_LEN;

/// A directory of compiled components.
#[derive(Debug)]
pub struct ArtifactCache {
    dir: PathBuf,
    key: [u8; 32],
    engine_id: String,
}

impl ArtifactCache {
    /// Opens (creating if needed) the cache in `dir` for `engine`'s configuration.
    pub fn open(dir: &Path, engine: &Engine) -> Result<ArtifactCache> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create cache directory {}", dir.display()))?;
        let key = load_or_create_key(&dir.join(KEY_FILE))?;
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_id = format!("{:016x}", hasher.finish());
        Ok(ArtifactCache { dir: dir.to_owned(), key, engine_id })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The compiled component whose BLAKE3 is `content_hash`: from the cache when a valid
    /// artifact is there; otherwise `compile` makes it (a serialized component), and it is
    /// loaded, then stored.
    pub fn load(
        &self,
        engine: &Engine,
        content_hash: &blake3::Hash,
        compile: impl FnOnce() -> Result<Vec<u8>>,
    ) -> Result<Component> {
        let path = self.dir.join(format!("{}-{}.cwasm", self.engine_id, content_hash.to_hex()));
        if let Some(component) = self.read(engine, &path) {
            return Ok(component);
        }
        let compiled = compile()?;
        let component = deserialize(engine, &compiled).context("the compiled component does not load")?;
        if let Err(error) = self.write(&path, &compiled) {
            tracing::warn!(path = %path.display(), "cannot store compiled plugin: {error:#}");
        }
        Ok(component)
    }

    fn read(&self, engine: &Engine, path: &Path) -> Option<Component> {
        let bytes = fs::read(path).ok()?;
        let (mac, artifact) = bytes.split_at_checked(MAC_LEN)?;
        // `blake3::Hash` compares in constant time.
        if blake3::keyed_hash(&self.key, artifact) != blake3::Hash::from_bytes(mac.try_into().ok()?) {
            tracing::warn!(path = %path.display(), "compiled plugin not written by this host; recompiling");
            return None;
        }
        deserialize(engine, artifact)
            .inspect_err(|error| tracing::warn!(path = %path.display(), "cached plugin unusable: {error:#}"))
            .ok()
    }

    fn write(&self, path: &Path, artifact: &[u8]) -> Result<()> {
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
        file.write_all(blake3::keyed_hash(&self.key, artifact).as_bytes())?;
        file.write_all(artifact)?;
        file.persist(path)?;
        Ok(())
    }
}

/// Loads a serialized component. Only for what this host compiled: an artifact whose MAC this
/// cache checked, or one its own compiler process (see `compile`) has just written.
#[allow(unsafe_code, reason = "loading compiled code is unsafe by nature; the MAC, or our own compiler, makes it ours")]
pub(super) fn deserialize(engine: &Engine, artifact: &[u8]) -> Result<Component> {
    // SAFETY: `artifact` carries a valid MAC under this cache's private key, so this host wrote
    // it from `Component::serialize` or `Engine::precompile_component`, or this host's own
    // compiler has just made it into a file only this host reads; wasmtime itself checks the
    // engine configuration matches.
    unsafe { Component::deserialize(engine, artifact) }.map_err(anyhow::Error::from)
}

fn load_or_create_key(path: &Path) -> Result<[u8; 32]> {
    let read = || -> Result<[u8; 32]> {
        fs::read(path)?.try_into().map_err(|_| anyhow::anyhow!("cache key {} is corrupt; delete it", path.display()))
    };
    if path.exists() {
        return read();
    }
    let mut key = [0; 32];
    getrandom::fill(&mut key).map_err(|error| anyhow::anyhow!("no randomness for the cache key: {error}"))?;
    let mut file = tempfile::NamedTempFile::new_in(path.parent().unwrap_or(Path::new(".")))?;
    file.write_all(&key)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file().set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    // Two hosts starting at once: the first key written wins and both use it.
    match file.persist_noclobber(path) {
        Ok(_) => Ok(key),
        Err(_) => read(),
    }
}
