//! TLS for the server (`[tls]` in server.toml): the certificate and key read from PEM files
//! into a rustls configuration, which the connection loop puts in front of HTTP (see
//! `connections`), so every connection limit holds for TLS connections too.

use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::config::TlsFiles;

/// The TLS configuration for `files`: TLS 1.2 and 1.3 (RIS asks for 1.2), HTTP/1.1 by ALPN,
/// since the server speaks nothing else.
pub(super) fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>> {
    let certificate = &files.certificate;
    let chain = CertificateDer::pem_file_iter(certificate)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("cannot read the TLS certificate {}", certificate.display()))?;
    if chain.is_empty() {
        bail!("the TLS certificate file {} holds no PEM certificate", certificate.display());
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("cannot read the TLS private key {}", files.key.display()))?;
    // The provider is named rather than taken from the process default, which is ambiguous
    // (and a panic) whenever a dependency enables a second one.
    #[allow(deprecated, reason = "ring lacks post-quantum key exchange, but it builds with a C compiler alone")]
    let provider = ring::default_provider();
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .context("the TLS provider offers no protocol version")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .with_context(|| {
            format!("the TLS key {} does not suit the certificate {}", files.key.display(), certificate.display())
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
