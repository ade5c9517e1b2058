//! TLS for every segur client: trust anchors, the client identity (PKCS#12 or PEM), the
//! cipher-suite policy as data, the rustls configurations built from them, and typed errors
//! that classify rustls failures.
//!
//! The crypto provider is always rustls' `ring`; server certificates are always verified
//! (RFC 5280 path validation by `rustls-webpki`, RFC 6125 host-name check).

use rustls::crypto::ring as provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};
use rustls::{AlertDescription, CertificateError, CipherSuite};
use std::fmt;
use std::sync::Arc;
use zeroize::Zeroizing;

/// A TLS failure or a bad certificate/key input. The text never holds a key or a password.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsError {
    /// PEM input that does not parse (`what` names the input: trust anchors, client chain…).
    #[error("bad PEM in {what}: {reason}")]
    BadPem {
        /// Which input.
        what: &'static str,
        /// The parser's reason (no key material).
        reason: String,
    },
    /// A PKCS#12 file that does not open (wrong password or malformed).
    #[error("bad PKCS#12: {reason}")]
    BadPkcs12 {
        /// The parser's reason (never the password).
        reason: String,
    },
    /// An input with no certificate or no key where one is required.
    #[error("{what} holds no {missing}")]
    Missing {
        /// Which input.
        what: &'static str,
        /// What is missing (certificate, private key).
        missing: &'static str,
    },
    /// A certificate or key that rustls refuses to load.
    #[error("{what} refused: {reason}")]
    BadCertificate {
        /// Which input.
        what: &'static str,
        /// The reason given by rustls/webpki.
        reason: String,
    },
    /// A host name that is not a valid DNS name or IP address.
    #[error("invalid server name")]
    InvalidServerName,
    /// The server chain does not lead to a trust anchor (RFC 5280 §6).
    #[error("server certificate issued by an unknown CA")]
    UnknownIssuer,
    /// The server certificate does not name the host (RFC 6125 §6).
    #[error("server certificate does not match the host name")]
    NameMismatch,
    /// The server certificate is outside its validity period (RFC 5280 §4.1.2.5).
    #[error("server certificate expired or not yet valid")]
    Expired,
    /// The server rejected our client certificate, or required one we did not send
    /// (RFC 8446 §6.2 alerts `bad_certificate`, `unknown_ca`, `certificate_required`…).
    #[error("client certificate refused by the server (alert {alert})")]
    ClientCertificateRefused {
        /// The TLS alert received.
        alert: String,
    },
    /// Any other handshake or record-layer failure (version or suite mismatch, …).
    #[error("TLS protocol error: {0}")]
    Protocol(String),
    /// A policy that rustls cannot build (no suite left for the versions, …).
    #[error("TLS policy {policy}: {reason}")]
    Policy {
        /// The policy's name.
        policy: &'static str,
        /// Why.
        reason: String,
    },
}

impl TlsError {
    /// Classifies a rustls error into the typed kinds above.
    pub fn from_rustls(error: &rustls::Error) -> Self {
        match error {
            rustls::Error::InvalidCertificate(c) => match c {
                CertificateError::UnknownIssuer => Self::UnknownIssuer,
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => Self::NameMismatch,
                CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. } => Self::Expired,
                other => Self::Protocol(format!("invalid server certificate: {other:?}")),
            },
            rustls::Error::AlertReceived(alert) => match alert {
                AlertDescription::BadCertificate
                | AlertDescription::UnknownCA
                | AlertDescription::CertificateRequired
                | AlertDescription::CertificateUnknown
                | AlertDescription::CertificateExpired
                | AlertDescription::CertificateRevoked
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::AccessDenied => Self::ClientCertificateRefused {
                    alert: format!("{alert:?}"),
                },
                other => Self::Protocol(format!("alert received: {other:?}")),
            },
            other => Self::Protocol(other.to_string()),
        }
    }

    /// Finds a rustls error in an error's source chain (an `io::Error` from a TLS stream, an
    /// HTTP transport error) and classifies it.
    pub fn from_source_chain(error: &(dyn std::error::Error + 'static)) -> Option<Self> {
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(e) = current {
            if let Some(r) = e.downcast_ref::<rustls::Error>() {
                return Some(Self::from_rustls(r));
            }
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && let Some(r) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
            {
                return Some(Self::from_rustls(r));
            }
            current = e.source();
        }
        None
    }
}

fn pem_certs(what: &'static str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::BadPem {
            what,
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Missing {
            what,
            missing: "certificate",
        });
    }
    Ok(certs)
}

/// The certificates a server chain must lead to. In production: the IGC Santé roots only
/// (MSSanté ECO.1.1.10; DMP FI-579).
#[derive(Clone, Debug)]
pub struct TrustAnchors(Vec<CertificateDer<'static>>);

impl TrustAnchors {
    /// From PEM text holding one or more certificates.
    pub fn from_pem(pem: &[u8]) -> Result<Self, TlsError> {
        pem_certs("trust anchors", pem).map(Self)
    }
    /// From DER certificates.
    pub fn from_der(certs: Vec<Vec<u8>>) -> Self {
        Self(certs.into_iter().map(CertificateDer::from).collect())
    }
    /// The anchors as a rustls root store.
    pub fn root_store(&self) -> Result<rustls::RootCertStore, TlsError> {
        let mut roots = rustls::RootCertStore::empty();
        for c in &self.0 {
            roots.add(c.clone()).map_err(|e| TlsError::BadCertificate {
                what: "trust anchor",
                reason: e.to_string(),
            })?;
        }
        Ok(roots)
    }
}

/// A certificate chain and its private key (zeroized on drop, never shown by `Debug`).
#[derive(Clone)]
pub struct ClientIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: Zeroizing<Vec<u8>>,
    format: KeyFormat,
}

/// The encoding of the private key's DER.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyFormat {
    /// PKCS#8 `PrivateKeyInfo` (RFC 5208).
    Pkcs8,
    /// PKCS#1 `RSAPrivateKey` (RFC 8017 appendix A.1.2).
    Pkcs1,
    /// SEC1 `ECPrivateKey` (RFC 5915).
    Sec1,
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
    /// From a PKCS#12 file (the "certificat p12" of an applicative mailbox, an ORG_AUTH_CLI).
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, TlsError> {
        let store = p12_keystore::KeyStore::from_pkcs12(der, password).map_err(|e| {
            TlsError::BadPkcs12 {
                reason: e.to_string(),
            }
        })?;
        let (_, chain) = store.private_key_chain().ok_or(TlsError::Missing {
            what: "PKCS#12",
            missing: "private key",
        })?;
        if chain.chain().is_empty() {
            return Err(TlsError::Missing {
                what: "PKCS#12",
                missing: "certificate",
            });
        }
        Ok(Self {
            chain: chain
                .chain()
                .iter()
                .map(|c| CertificateDer::from(c.as_der().to_vec()))
                .collect(),
            key: Zeroizing::new(chain.key().to_vec()),
            format: KeyFormat::Pkcs8,
        })
    }
    /// From a PEM certificate chain (leaf first) and a PEM private key: PKCS#8 (`PRIVATE KEY`,
    /// RFC 5208), PKCS#1 (`RSA PRIVATE KEY`, RFC 8017) or SEC1 (`EC PRIVATE KEY`, RFC 5915).
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, TlsError> {
        let chain = pem_certs("certificate chain", chain_pem)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::BadPem {
            what: "private key",
            reason: e.to_string(),
        })?;
        let (der, format) = match &key {
            PrivateKeyDer::Pkcs8(k) => (k.secret_pkcs8_der(), KeyFormat::Pkcs8),
            PrivateKeyDer::Pkcs1(k) => (k.secret_pkcs1_der(), KeyFormat::Pkcs1),
            PrivateKeyDer::Sec1(k) => (k.secret_sec1_der(), KeyFormat::Sec1),
            _ => {
                return Err(TlsError::BadPem {
                    what: "private key",
                    reason: "unsupported key encoding".into(),
                });
            }
        };
        Ok(Self {
            chain,
            key: Zeroizing::new(der.to_vec()),
            format,
        })
    }
    /// The certificate chain, leaf first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }
    fn key_der(&self) -> PrivateKeyDer<'static> {
        let der = self.key.to_vec();
        match self.format {
            KeyFormat::Pkcs8 => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
            KeyFormat::Pkcs1 => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
            KeyFormat::Sec1 => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
        }
    }
}

/// A TLS protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2 (RFC 5246).
    Tls12,
    /// TLS 1.3 (RFC 8446).
    Tls13,
}

/// Which versions and cipher suites a connection may use: data, not code, so a profile can be
/// read, compared and tested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsPolicy {
    /// The profile's name (in errors).
    pub name: &'static str,
    /// The lowest version accepted.
    pub min_version: TlsVersion,
    /// The highest version offered.
    pub max_version: TlsVersion,
    /// The allowed suites (IANA identifiers), in preference order.
    pub cipher_suites: Vec<CipherSuite>,
}

impl TlsPolicy {
    /// MSSanté (SC.MSS/CONF.01: TLS 1.2 minimum; CONF.03: authorised suites only): TLS 1.2 and
    /// 1.3, AEAD suites with ECDHE key exchange.
    pub fn mssante() -> Self {
        Self {
            name: "MSSanté",
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls13,
            cipher_suites: vec![
                CipherSuite::TLS13_AES_256_GCM_SHA384,
                CipherSuite::TLS13_AES_128_GCM_SHA256,
                CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            ],
        }
    }

    /// DMP LPS access (FI-579, PDT-INF-579v4): TLS 1.2 only, the AEAD suites of the list (the
    /// CBC one, `TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384`, does not exist in rustls).
    pub fn dmp() -> Self {
        Self {
            name: "DMP",
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls12,
            cipher_suites: vec![
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            ],
        }
    }

    /// The ring provider restricted to the policy's suites.
    pub fn crypto_provider(&self) -> Result<rustls::crypto::CryptoProvider, TlsError> {
        let suites: Vec<_> = self
            .cipher_suites
            .iter()
            .filter_map(|wanted| {
                provider::ALL_CIPHER_SUITES
                    .iter()
                    .find(|s| s.suite() == *wanted)
                    .copied()
            })
            .collect();
        if suites.is_empty() {
            return Err(self.policy_error("no cipher suite supported by the provider"));
        }
        Ok(rustls::crypto::CryptoProvider {
            cipher_suites: suites,
            ..provider::default_provider()
        })
    }

    fn versions(&self) -> Vec<&'static rustls::SupportedProtocolVersion> {
        let mut v = Vec::new();
        if self.min_version <= TlsVersion::Tls13 && self.max_version >= TlsVersion::Tls13 {
            v.push(&rustls::version::TLS13);
        }
        if self.min_version <= TlsVersion::Tls12 && self.max_version >= TlsVersion::Tls12 {
            v.push(&rustls::version::TLS12);
        }
        v
    }

    fn policy_error(&self, reason: impl Into<String>) -> TlsError {
        TlsError::Policy {
            policy: self.name,
            reason: reason.into(),
        }
    }

    /// A client configuration: servers verified against `anchors`, `identity` presented when
    /// given (mutual TLS).
    pub fn client_config(
        &self,
        anchors: &TrustAnchors,
        identity: Option<&ClientIdentity>,
    ) -> Result<Arc<rustls::ClientConfig>, TlsError> {
        let builder =
            rustls::ClientConfig::builder_with_provider(Arc::new(self.crypto_provider()?))
                .with_protocol_versions(&self.versions())
                .map_err(|e| self.policy_error(e.to_string()))?
                .with_root_certificates(anchors.root_store()?);
        let config = match identity {
            None => builder.with_no_client_auth(),
            Some(id) => builder
                .with_client_auth_cert(id.chain.clone(), id.key_der())
                .map_err(|e| TlsError::BadCertificate {
                    what: "client key",
                    reason: e.to_string(),
                })?,
        };
        Ok(Arc::new(config))
    }

    /// A server configuration for local servers and simulators: presents `identity`; when
    /// `client_anchors` is given, requires a client certificate leading to them.
    pub fn server_config(
        &self,
        identity: &ClientIdentity,
        client_anchors: Option<&TrustAnchors>,
    ) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let provider = Arc::new(self.crypto_provider()?);
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&self.versions())
            .map_err(|e| self.policy_error(e.to_string()))?;
        let builder = match client_anchors {
            None => builder.with_no_client_auth(),
            Some(anchors) => {
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(anchors.root_store()?),
                    provider,
                )
                .build()
                .map_err(|e| TlsError::BadCertificate {
                    what: "client trust anchors",
                    reason: e.to_string(),
                })?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let config = builder
            .with_single_cert(identity.chain.clone(), identity.key_der())
            .map_err(|e| TlsError::BadCertificate {
                what: "server key",
                reason: e.to_string(),
            })?;
        Ok(Arc::new(config))
    }
}

/// Client TLS settings (policy, anchors, identity) built once and shared by SMTP, IMAP and HTTPS.
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
    /// The MSSanté policy ([`TlsPolicy::mssante`]) against `anchors`, with `identity` if given.
    pub fn new(
        anchors: &TrustAnchors,
        identity: Option<&ClientIdentity>,
    ) -> Result<Self, TlsError> {
        Self::with_policy(&TlsPolicy::mssante(), anchors, identity)
    }
    /// Any policy.
    pub fn with_policy(
        policy: &TlsPolicy,
        anchors: &TrustAnchors,
        identity: Option<&ClientIdentity>,
    ) -> Result<Self, TlsError> {
        Ok(Self {
            config: policy.client_config(anchors, identity)?,
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

/// Runs the client handshake on a connected socket (blocking) and returns the encrypted stream;
/// handshake failures come back classified.
pub fn handshake(
    config: Arc<rustls::ClientConfig>,
    server_name: &str,
    mut tcp: std::net::TcpStream,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>, TlsHandshakeError> {
    let name = rustls::pki_types::ServerName::try_from(server_name.to_owned())
        .map_err(|_| TlsHandshakeError::Tls(TlsError::InvalidServerName))?;
    let mut conn = rustls::ClientConnection::new(config, name)
        .map_err(|e| TlsHandshakeError::Tls(TlsError::from_rustls(&e)))?;
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut tcp) {
            return Err(match TlsError::from_source_chain(&e) {
                Some(t) => TlsHandshakeError::Tls(t),
                None => TlsHandshakeError::Io(e),
            });
        }
    }
    Ok(rustls::StreamOwned::new(conn, tcp))
}

/// A failed handshake: TLS refused, or the socket failed.
#[derive(Debug, thiserror::Error)]
pub enum TlsHandshakeError {
    /// The TLS layer refused.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The socket failed during the handshake.
    #[error("I/O during the TLS handshake: {0}")]
    Io(std::io::Error),
}
