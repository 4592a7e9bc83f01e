//! TLS for `rediss://` URLs: rustls's cryptography, and a CA file of one's own.

use std::path::Path;

use dynlog_core::{Error, Result};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The most a CA file may hold: a bundle of every public root is about 200 KiB.
const MAX_CA_FILE: u64 = 4 * 1024 * 1024;

/// Makes ring rustls's cryptography for this process unless one is chosen already, so a
/// `rediss://` connection never fails for an application whose other dependencies compile in a
/// second provider (rustls then cannot choose on its own).
pub(crate) fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may have installed one meanwhile: either way one is there.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The PEM bytes of the CA file at `path`, checked to hold at least one certificate, for a
/// `rediss://` connection.
pub(crate) fn read_ca_file(path: &Path, info: &redis::ConnectionInfo) -> Result<Vec<u8>> {
    let invalid = |reason: String| Error::Invalid {
        field: "Redis CA file",
        value: path.display().to_string(),
        reason,
    };
    if !matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. }) {
        return Err(invalid(
            "a CA file is for a rediss:// URL (TLS); this one is not".into(),
        ));
    }
    let size = std::fs::metadata(path)
        .map_err(|e| invalid(format!("cannot be read: {e}")))?
        .len();
    if size > MAX_CA_FILE {
        return Err(invalid(format!(
            "is {size} bytes, more than a CA file holds ({MAX_CA_FILE} at most)"
        )));
    }
    let pem = std::fs::read(path).map_err(|e| invalid(format!("cannot be read: {e}")))?;
    let mut certificates = 0;
    for certificate in CertificateDer::pem_slice_iter(&pem) {
        certificate.map_err(|e| invalid(format!("is not PEM: {e}")))?;
        certificates += 1;
    }
    if certificates == 0 {
        return Err(invalid("holds no PEM certificate".into()));
    }
    ensure_crypto_provider();
    Ok(pem)
}
