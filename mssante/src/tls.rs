//! TLS settings, from the one TLS layer of the SDK ([`segur_net::tls`]): TLS 1.2 minimum with an
//! explicit AEAD/ECDHE cipher-suite allow-list ([`TlsPolicy::mssante`], SC.MSS/CONF.01,
//! CONF.03), pluggable trust anchors (IGC Santé in production, ECO.1.1.10) and the software
//! certificate of applicative mailboxes (PKCS#12 or PEM).
//!
//! [`TlsSettings::new`] builds the MSSanté policy; SMTP and IMAP run their handshakes through
//! [`segur_net::tls::handshake`], so failures come back as a classified [`TlsError`].

use crate::MssError;
use crate::error::Transport;
use segur_net::tls::TlsHandshakeError;
pub use segur_net::tls::{ClientIdentity, TlsError, TlsPolicy, TlsSettings, TrustAnchors};

/// Runs the TLS handshake on a connected socket (blocking) and returns the encrypted stream.
pub(crate) fn handshake(
    settings: &TlsSettings,
    server_name: &str,
    tcp: std::net::TcpStream,
    transport: Transport,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>, MssError> {
    segur_net::tls::handshake(settings.client_config(), server_name, tcp).map_err(|e| match e {
        TlsHandshakeError::Tls(t) => MssError::from(t),
        TlsHandshakeError::Io(io) => transport.io("TLS handshake")(io),
    })
}
