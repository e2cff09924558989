//! Keys: the Ed25519 keys Wharf signs its tokens with, and the RS256 public keys of an external
//! issuer (a JWKS file).
//!
//! Wharf signs with one active key and verifies with it and with the keys it retired recently,
//! each by its `kid`: after a rotation, tokens signed with the old key keep validating until
//! they have expired. Where the keys are kept depends on the backend (`state`): with SQLite the
//! active key is a PKCS#8 PEM file, created on first start, and retired keys are rows of the
//! server database; with PostgreSQL every key is a row that all replicas read.

use std::collections::HashMap;
use std::fs;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The `typ` header of Wharf's access tokens (RFC 9068 §2.1). It sets them apart from any
/// other JWT, such as an ID token, that a client might present (RFC 8725 §3.11).
pub(super) const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// How often an unknown `kid` may make Wharf read the external JWKS file again. A stream of
/// made-up `kid`s then costs one file read a minute, not one per request.
const JWKS_REREAD_INTERVAL: Duration = Duration::from_secs(60);

/// One of Wharf's own signing keys.
pub(super) struct SigningKey {
    pub(super) encoding: EncodingKey,
    pub(super) decoding: DecodingKey,
    /// The key's id in token headers and the JWKS: a hash of the public key, so every replica
    /// and every restart names the same key alike.
    pub(super) kid: String,
    /// The PKCS#8 PEM text the key was read from, kept to retire the key with.
    pub(super) pem: String,
    public: [u8; 32],
}

impl SigningKey {
    /// Reads the key at `path`, or creates it there if there is none.
    pub(super) fn load_or_create(path: &Path) -> Result<SigningKey> {
        let pem = match fs::read_to_string(path) {
            Ok(pem) => {
                warn_if_readable_by_others(path);
                pem
            }
            Err(error) if error.kind() == ErrorKind::NotFound => create(path)?,
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read the signing key {}", path.display()));
            }
        };
        SigningKey::from_pem(&pem).with_context(|| format!("{} is not a usable signing key", path.display()))
    }

    /// The key in `pem`, an Ed25519 PKCS#8 PEM text.
    pub(super) fn from_pem(pem: &str) -> Result<SigningKey> {
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map_err(|error| anyhow!("not an Ed25519 PKCS#8 PEM key: {error}"))?;
        let der = key.to_pkcs8_der().map_err(|error| anyhow!("cannot encode the signing key: {error}"))?;
        let public = key.verifying_key().to_bytes();
        Ok(SigningKey {
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            // jsonwebtoken takes an Ed25519 public key as its 32 raw bytes.
            decoding: DecodingKey::from_ed_der(&public),
            kid: URL_SAFE_NO_PAD.encode(&blake3::hash(&public).as_bytes()[..16]),
            pem: pem.to_owned(),
            public,
        })
    }

    /// A new random key.
    pub(super) fn generate() -> Result<SigningKey> {
        let mut seed = [0; 32];
        getrandom::fill(&mut seed).map_err(|error| anyhow!("no randomness for the signing key: {error}"))?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let pem =
            key.to_pkcs8_pem(LineEnding::LF).map_err(|error| anyhow!("cannot encode the signing key: {error}"))?;
        SigningKey::from_pem(&pem)
    }

    /// Signs `claims` as an access token: EdDSA, typ at+jwt, this key's kid.
    pub(super) fn sign<T: Serialize>(&self, claims: &T) -> jsonwebtoken::errors::Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(ACCESS_TOKEN_TYPE.to_owned());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// The public key as a JWK (RFC 7517, with RFC 8037's OKP key type).
    fn jwk(&self) -> serde_json::Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "use": "sig",
            "alg": "EdDSA",
            "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(self.public),
        })
    }
}

/// A signing key as the backend keeps it: its PEM text and, once a rotation replaced it, when
/// it stops (or stopped) signing, in Unix seconds.
pub(super) struct StoredKey {
    pub(super) pem: String,
    pub(super) retired_at: Option<u64>,
}

/// The keys Wharf signs and verifies with at one moment: the active key, and the retired keys
/// that tokens still unexpired may have been signed with.
///
/// A retirement may lie in the future: with PostgreSQL a rotation publishes the new key at
/// once but lets the old one sign on until every replica has read the new one, so that no
/// replica sees a token signed with a key it does not know yet.
pub(super) struct Keyring {
    /// The key no rotation has replaced: published first, and signing once every retirement
    /// is past.
    pub(super) active: Arc<SigningKey>,
    /// Replaced keys by kid.
    retired: HashMap<String, Retired>,
}

struct Retired {
    key: Arc<SigningKey>,
    /// When it stops signing, in Unix seconds.
    retired_at: u64,
    /// From when no token it signed can still be valid, in Unix seconds.
    verifies_until: u64,
}

impl Keyring {
    /// The keyring of `keys`, exactly one of which is active. A retired key is kept for
    /// `retention` after its retirement: the longest a token it signed can still validate.
    pub(super) fn new(keys: Vec<StoredKey>, retention: Duration) -> Result<Keyring> {
        let mut active = None;
        let mut retired = Vec::new();
        for stored in keys {
            let key = SigningKey::from_pem(&stored.pem)?;
            match stored.retired_at {
                None if active.is_some() => bail!("more than one signing key is active"),
                None => active = Some(Arc::new(key)),
                Some(retired_at) => retired.push(Retired {
                    key: Arc::new(key),
                    retired_at,
                    verifies_until: retired_at.saturating_add(retention.as_secs()),
                }),
            }
        }
        let active = active.ok_or_else(|| anyhow!("no signing key is active"))?;
        let now = jsonwebtoken::get_current_timestamp();
        let retired = retired
            .into_iter()
            // A key both active and retired (a rotation interrupted half-way) is active.
            .filter(|retired| retired.key.kid != active.kid && now < retired.verifies_until)
            .map(|retired| (retired.key.kid.clone(), retired))
            .collect();
        Ok(Keyring { active, retired })
    }

    /// The key to sign with now: of the replaced keys still signing, the one retiring first
    /// (two rotations in quick succession hand over in order), else the active key.
    pub(super) fn signing(&self) -> &SigningKey {
        let now = jsonwebtoken::get_current_timestamp();
        let still_signing = self.retired.values().filter(|retired| now < retired.retired_at);
        match still_signing.min_by(|a, b| a.retired_at.cmp(&b.retired_at).then_with(|| a.key.kid.cmp(&b.key.kid))) {
            Some(retired) => &retired.key,
            None => &self.active,
        }
    }

    /// The key with id `kid`, if tokens it signed may still be valid.
    pub(super) fn key(&self, kid: &str) -> Option<&SigningKey> {
        if self.active.kid == kid {
            return Some(&self.active);
        }
        let retired = self.retired.get(kid)?;
        (jsonwebtoken::get_current_timestamp() < retired.verifies_until).then_some(&*retired.key)
    }

    /// The public keys, the active one first, as a JWKS document.
    pub(super) fn jwks(&self) -> serde_json::Value {
        let now = jsonwebtoken::get_current_timestamp();
        let mut retired: Vec<&Retired> = self.retired.values().filter(|retired| now < retired.verifies_until).collect();
        // Newest first, so the order is the same on every replica.
        retired.sort_by(|a, b| b.retired_at.cmp(&a.retired_at).then_with(|| a.key.kid.cmp(&b.key.kid)));
        let keys = std::iter::once(&self.active).chain(retired.into_iter().map(|retired| &retired.key));
        json!({ "keys": keys.map(|key| key.jwk()).collect::<Vec<_>>() })
    }
}

/// Creates a signing key at `path` and returns its PEM text.
fn create(path: &Path) -> Result<String> {
    let key = SigningKey::generate()?;
    match write_key_file(path, &key.pem, false) {
        // Of two servers starting at once, both keep the first key written.
        Err(error)
            if error.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == ErrorKind::AlreadyExists) =>
        {
            fs::read_to_string(path).with_context(|| format!("cannot read the signing key {}", path.display()))
        }
        Err(error) => Err(error.context(format!("cannot create the signing key {}", path.display()))),
        Ok(()) => {
            tracing::info!(path = %path.display(), "created a token signing key");
            Ok(key.pem)
        }
    }
}

/// Writes `pem` to the key file at `path`, readable by its owner only, replacing the file
/// there only when `replace` is set (a rotation).
pub(super) fn write_key_file(path: &Path, pem: &str, replace: bool) -> Result<()> {
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut file =
        tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write to {}", dir.display()))?;
    // Whoever can read the key can mint tokens for any client.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.as_file().set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(pem.as_bytes()).and_then(|()| file.as_file().sync_all()).context("cannot write the signing key")?;
    // Written aside and moved into place: a crash leaves no half-written key.
    if replace {
        file.persist(path).map_err(|error| error.error)
    } else {
        file.persist_noclobber(path).map_err(|error| error.error)
    }
    .map_err(anyhow::Error::from)?;
    // The new directory entry must survive a crash too, or the next start makes another key
    // (or signs with the retired one) and tokens issued in between stop validating.
    fs::File::open(dir).and_then(|dir| dir.sync_all()).with_context(|| format!("cannot sync {}", dir.display()))?;
    Ok(())
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the token signing key can be read by other users; chmod 600 it");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The public keys of an external issuer, by `kid`, from a JWKS file.
pub(super) struct ExternalKeys {
    path: PathBuf,
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// When an unknown `kid` may next make the file be read again.
    pub(super) next_read: Mutex<Instant>,
}

impl ExternalKeys {
    pub(super) fn open(path: &Path) -> Result<ExternalKeys> {
        let keys = read_jwks(path)?;
        if keys.is_empty() {
            bail!("{} has no RS256 signing keys", path.display());
        }
        Ok(ExternalKeys {
            path: path.to_owned(),
            keys: RwLock::new(keys),
            next_read: Mutex::new(Instant::now() + JWKS_REREAD_INTERVAL),
        })
    }

    /// The key with id `kid`. An unknown `kid` may mean the issuer rolled its keys over, so
    /// the file is read again, unless it was read less than a minute ago.
    pub(super) fn key(&self, kid: &str) -> Option<DecodingKey> {
        if let Some(key) = self.keys.read().unwrap_or_else(PoisonError::into_inner).get(kid) {
            return Some(key.clone());
        }
        {
            let mut next_read = self.next_read.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            if now < *next_read {
                return None;
            }
            *next_read = now + JWKS_REREAD_INTERVAL;
        }
        match read_jwks(&self.path) {
            Ok(keys) => {
                let found = keys.get(kid).cloned();
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = keys;
                found
            }
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "keeping the external issuer's previous keys");
                None
            }
        }
    }
}

/// The RS256 signing keys in a JWKS file, by `kid`. Other keys are skipped, not refused:
/// issuers add key types over time.
fn read_jwks(path: &Path) -> Result<HashMap<String, DecodingKey>> {
    #[derive(Deserialize)]
    struct KeySet {
        keys: Vec<serde_json::Value>,
    }
    let text = fs::read_to_string(path).with_context(|| format!("cannot read the JWKS file {}", path.display()))?;
    let set: KeySet = serde_json::from_str(&text).with_context(|| format!("{} is not a JWKS", path.display()))?;
    let mut keys = HashMap::new();
    for value in set.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else { continue };
        // Each key is used with exactly one algorithm (RFC 8725 §3.1), so an RSA key never
        // verifies anything but RS256 and no key ever serves as an HMAC secret.
        let (Some(kid), AlgorithmParameters::RSA(rsa)) = (&jwk.common.key_id, &jwk.algorithm) else { continue };
        if jwk.common.key_algorithm.is_some_and(|algorithm| algorithm != KeyAlgorithm::RS256)
            || jwk.common.public_key_use.as_ref().is_some_and(|key_use| *key_use != PublicKeyUse::Signature)
        {
            continue;
        }
        match DecodingKey::from_rsa_components(&rsa.n, &rsa.e) {
            Ok(key) => {
                keys.insert(kid.clone(), key);
            }
            Err(error) => tracing::warn!(path = %path.display(), kid, %error, "skipping an unreadable key"),
        }
    }
    Ok(keys)
}
