//! TLS settings: TLS 1.2 minimum with an explicit AEAD/ECDHE cipher-suite allow-list
//! (SC.MSS/CONF.01, CONF.03), pluggable trust anchors (IGC Santé in production, ECO.1.1.10) and
//! the software certificate of applicative mailboxes (PKCS#12 or PEM).

use crate::MssError;
use rustls::crypto::ring as provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::fmt;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The certificates a server chain must lead to. In production: the IGC Santé roots only.
#[derive(Clone, Debug)]
pub struct TrustAnchors(Vec<CertificateDer<'static>>);

impl TrustAnchors {
    /// From PEM text holding one or more certificates.
    pub fn from_pem(pem: &[u8]) -> Result<Self, MssError> {
        let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|e| MssError::Certificate(format!("trust anchors: {e}")))?;
        if certs.is_empty() {
            return Err(MssError::Certificate(
                "no certificate in the PEM input".into(),
            ));
        }
        Ok(Self(certs))
    }
    /// From DER certificates.
    pub fn from_der(certs: Vec<Vec<u8>>) -> Self {
        Self(certs.into_iter().map(CertificateDer::from).collect())
    }
}

/// A client certificate and its private key (zeroized on drop, never shown by `Debug`).
#[derive(Clone)]
pub struct ClientIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("chain", &self.chain.len())
            .field("key", &"[redacted]")
            .finish()
    }
}

impl ClientIdentity {
    /// From a PKCS#12 file (the "certificat p12" of an applicative mailbox).
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, MssError> {
        let store = p12_keystore::KeyStore::from_pkcs12(der, password)
            .map_err(|e| MssError::Certificate(format!("PKCS#12: {e}")))?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or(MssError::Certificate("PKCS#12 holds no private key".into()))?;
        if chain.chain().is_empty() {
            return Err(MssError::Certificate("PKCS#12 holds no certificate".into()));
        }
        Ok(Self {
            chain: chain
                .chain()
                .iter()
                .map(|c| CertificateDer::from(c.as_der().to_vec()))
                .collect(),
            key: Zeroizing::new(chain.key().to_vec()),
        })
    }
    /// From PEM certificate chain and PKCS#8 private key.
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, MssError> {
        let chain: Vec<_> = CertificateDer::pem_slice_iter(chain_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| MssError::Certificate(format!("client chain: {e}")))?;
        if chain.is_empty() {
            return Err(MssError::Certificate("no client certificate".into()));
        }
        let key = PrivatePkcs8KeyDer::from_pem_slice(key_pem)
            .map_err(|e| MssError::Certificate(format!("client key (PKCS#8 PEM): {e}")))?;
        Ok(Self {
            chain,
            key: Zeroizing::new(key.secret_pkcs8_der().to_vec()),
        })
    }
}

/// The crypto provider: ring with the allow-listed suites only.
fn crypto_provider() -> rustls::crypto::CryptoProvider {
    use provider::cipher_suite as cs;
    rustls::crypto::CryptoProvider {
        cipher_suites: vec![
            cs::TLS13_AES_256_GCM_SHA384,
            cs::TLS13_AES_128_GCM_SHA256,
            cs::TLS13_CHACHA20_POLY1305_SHA256,
            cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        ..provider::default_provider()
    }
}

/// Client TLS settings for SMTP, IMAP and HTTPS connections.
#[derive(Clone)]
pub struct TlsSettings {
    config: Arc<rustls::ClientConfig>,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsSettings")
    }
}

impl TlsSettings {
    /// Verifies servers against `anchors`; presents `identity` when given (mutual TLS).
    pub fn new(
        anchors: &TrustAnchors,
        identity: Option<&ClientIdentity>,
    ) -> Result<Self, MssError> {
        let mut roots = rustls::RootCertStore::empty();
        for c in &anchors.0 {
            roots
                .add(c.clone())
                .map_err(|e| MssError::Certificate(format!("trust anchor: {e}")))?;
        }
        let builder = rustls::ClientConfig::builder_with_provider(Arc::new(crypto_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| MssError::Tls(e.to_string()))?
            .with_root_certificates(roots);
        let config = match identity {
            None => builder.with_no_client_auth(),
            Some(id) => builder
                .with_client_auth_cert(
                    id.chain.clone(),
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key.to_vec())),
                )
                .map_err(|e| MssError::Certificate(format!("client key: {e}")))?,
        };
        Ok(Self {
            config: Arc::new(config),
        })
    }
    /// The rustls configuration.
    pub fn client_config(&self) -> Arc<rustls::ClientConfig> {
        self.config.clone()
    }
    /// Whether a client certificate is presented.
    pub fn has_client_identity(&self) -> bool {
        self.config.client_auth_cert_resolver.has_certs()
    }
}

/// Runs the TLS handshake on a connected socket (blocking) and returns the encrypted stream.
pub(crate) fn handshake(
    settings: &TlsSettings,
    server_name: &str,
    mut tcp: std::net::TcpStream,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>, MssError> {
    let name = rustls::pki_types::ServerName::try_from(server_name.to_owned())
        .map_err(|_| MssError::Tls(format!("invalid server name {server_name:?}")))?;
    let mut conn = rustls::ClientConnection::new(settings.client_config(), name)
        .map_err(|e| MssError::Tls(e.to_string()))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)
            .map_err(MssError::io("TLS handshake"))?;
    }
    Ok(rustls::StreamOwned::new(conn, tcp))
}
