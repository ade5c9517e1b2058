//! The error type of the crate.

use std::fmt;

/// Text a server sent back (SMTP reply, IMAP response). Servers often echo the recipient
/// address, which for a patient is the INS: `Display`/`Debug` mask every run of 13 or more
/// digits; [`ServerText::expose`] gives the raw text.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerText(String);

impl ServerText {
    /// Wraps a server text (control characters are replaced, length capped at 512 bytes).
    pub fn new(text: &str) -> Self {
        let mut s: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(512)
            .collect();
        s.truncate(s.trim_end().len());
        Self(s)
    }
    /// The raw text, which may contain patient identifiers.
    pub fn expose(&self) -> &str {
        &self.0
    }
    fn redacted(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        let mut digits = String::new();
        for c in self.0.chars().chain(std::iter::once('\u{0}')) {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            if digits.len() >= 13 {
                out.push_str("[redacted]");
            } else {
                out.push_str(&digits);
            }
            digits.clear();
            if c != '\u{0}' {
                out.push(c);
            }
        }
        out
    }
}

impl fmt::Display for ServerText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for ServerText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerText({:?})", self.redacted())
    }
}

/// Every failure of the MSSanté client, each naming its reason (and position where one exists),
/// layered by source: composing and reading messages (addresses, headers, sizes, MIME,
/// reports), the XDM attachment ([`MssError::Xdm`] carries the `segur-dmp-cda` error), the
/// SMTP and IMAP transport (I/O, refusals, protocol, authentication, each naming its
/// protocol), TLS ([`MssError::Tls`] carries the `segur-net` error), tokens, DNS discovery
/// ([`DiscoveryError`]) and the Annuaire Santé ([`AnnuaireError`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MssError {
    /// A mail address does not follow RFC 5321 §4.1.2 (ASCII dot-atom local part and domain).
    #[error("invalid mail address at byte {position}: {reason}")]
    InvalidAddress {
        /// Byte offset of the offending character.
        position: usize,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A header value would break the header (CR/LF, control character) or the MSSanté rule.
    #[error("invalid value for header {header}: {reason}")]
    InvalidHeader {
        /// Header name.
        header: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The message cannot be composed as asked.
    #[error("message refused: {0}")]
    Compose(&'static str),
    /// The XDM attachment could not be inspected to derive `X-MSS-CODECDA` / `X-MSS-INS`.
    #[error("attachment inspection unavailable: {0}")]
    InspectionUnavailable(&'static str),
    /// The XDM attachment is not a valid IHE_XDM package (IHE ITI TF-3 §4.2.1: zip, paths,
    /// metadata, integrity): the `segur-dmp-cda` error, carried as itself.
    #[error("XDM attachment rejected: {0}")]
    Xdm(#[from] segur_dmp_cda::XdmError),
    /// A CDA document inside the XDM attachment cannot be read, so `X-MSS-CODECDA` and
    /// `X-MSS-INS` cannot be derived from it (Référentiel #2 ECO.2.4.1 / ECO.2.4.2).
    #[error("XDM attachment: {path}: not a readable CDA: {source}")]
    XdmCda {
        /// Path of the document inside the archive.
        path: String,
        /// Why `segur-dmp-cda` refused it.
        #[source]
        source: segur_dmp_cda::CdaError,
    },
    /// The XDM attachment's content cannot give the MSSanté headers (no CDA document, a
    /// type code that is not a plain code token).
    #[error("XDM attachment rejected: {0}")]
    XdmContent(&'static str),
    /// The PDF attachment is not a PDF.
    #[error("PDF attachment rejected: {0}")]
    Pdf(&'static str),
    /// The message is larger than the limit (operator limit, server `SIZE`, reader limit).
    #[error("message too large: {size} bytes, limit {limit}")]
    TooLarge {
        /// Size of the message in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A received message could not be parsed.
    #[error("malformed message: {reason} (at byte {position})")]
    Malformed {
        /// Byte offset (0 when the whole message is concerned).
        position: usize,
        /// Why.
        reason: &'static str,
    },
    /// A report (MDN or DSN) is malformed.
    #[error("malformed {kind} report: {reason}")]
    MalformedReport {
        /// `MDN` or `DSN`.
        kind: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// TLS layer: a certificate or key that does not load (PEM, PKCS#12), a policy that does
    /// not build, or a handshake refused (unknown CA, wrong name, expired, refused client
    /// certificate: RFC 5280, RFC 6125, RFC 8446 §6.2), carried as the `segur-net` error.
    #[error("TLS: {0}")]
    Tls(#[from] segur_net::tls::TlsError),
    /// Network I/O error.
    #[error("I/O during {stage}: {source}")]
    Io {
        /// What was being done.
        stage: &'static str,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The connection closed before the exchange completed.
    #[error("connection closed by the server during {0}")]
    ConnectionClosed(&'static str),
    /// The server does not offer STARTTLS: refused rather than sending in clear (SC.MSS/CONF.05/06).
    #[error("the server does not offer STARTTLS")]
    StartTlsUnavailable,
    /// The server refused the command.
    #[error("{protocol} {stage} refused: {code} {text}")]
    Refused {
        /// `SMTP` or `IMAP`.
        protocol: &'static str,
        /// The command.
        stage: &'static str,
        /// Reply code (SMTP) or status (IMAP: NO/BAD/BYE as 0).
        code: u16,
        /// Server text (redacted in Display).
        text: ServerText,
    },
    /// The server sent something that does not follow the protocol.
    #[error("{protocol} protocol violation: {reason}")]
    Protocol {
        /// `SMTP`, `IMAP` or `DNS`.
        protocol: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// Authentication failed (expired or invalid token, refused certificate).
    #[error("authentication refused by the server: {0}")]
    AuthenticationFailed(ServerText),
    /// No SASL mechanism usable with the credentials is offered.
    #[error("no usable authentication mechanism offered by the server")]
    NoUsableMechanism,
    /// No usable access token (Pro Santé Connect session ended, token expired or refused,
    /// SC.MSS/CONF.10), carried as the `segur-net` error (which never holds the token).
    #[error("token: {0}")]
    Token(#[from] segur_net::token::TokenError),
    /// DNS discovery failed (RFC 6186).
    #[error("discovery: {0}")]
    Discovery(#[from] DiscoveryError),
    /// Annuaire Santé API failure.
    #[error("Annuaire Santé: {0}")]
    Annuaire(#[from] AnnuaireError),
}

/// Why DNS server discovery (RFC 6186 SRV records, SC.MSS/CONF.04) failed. The texts name
/// the step and the resolver's reason, never a patient address.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// `/etc/resolv.conf` cannot be read.
    #[error("/etc/resolv.conf cannot be read: {0}")]
    ResolvConf(#[source] std::io::Error),
    /// `/etc/resolv.conf` names no usable `nameserver`.
    #[error("no nameserver in /etc/resolv.conf")]
    NoNameserver,
    /// The service name is not a valid DNS name (RFC 1035 §2.3.1).
    #[error("invalid DNS name: {0}")]
    InvalidName(String),
    /// The query could not be encoded.
    #[error("encoding the DNS query: {0}")]
    Encode(String),
    /// The UDP socket to the resolver failed (`stage`: bind, timeout, connect, send).
    #[error("DNS socket ({stage}): {source}")]
    Socket {
        /// What was being done.
        stage: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The resolver did not answer in time (or the answer could not be received).
    #[error("no answer from the resolver: {0}")]
    NoAnswer(#[source] std::io::Error),
    /// The answer is not a DNS message (RFC 1035 §4.1).
    #[error("malformed DNS answer: {0}")]
    MalformedAnswer(String),
    /// The resolver answered an error code other than NXDOMAIN (RFC 1035 §4.1.1 RCODE).
    #[error("the resolver answered {0}")]
    ResolverError(String),
}

/// Why an Annuaire Santé FHIR request failed. The texts never hold the API key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnnuaireError {
    /// The base URL is not `https://` (the API is only served over TLS).
    #[error("the base URL must be https")]
    NotHttps,
    /// The `ESANTE-API-KEY` is empty or holds a control character.
    #[error("invalid API key")]
    InvalidApiKey,
    /// The TLS layer refused the server (unknown CA, name mismatch, expiry) or the client.
    #[error("TLS: {0}")]
    Tls(#[source] segur_net::tls::TlsError),
    /// The request did not reach the server or its answer was cut (connection, time-out).
    #[error("transport: {0}")]
    Transport(String),
    /// The answer body could not be read.
    #[error("reading the answer: {0}")]
    Read(#[source] std::io::Error),
    /// The server answered an HTTP status other than 200 (RFC 9110 §15), after the retries
    /// allowed for 429/502/503/504.
    #[error("HTTP status {0}")]
    Status(u16),
    /// The answer is not JSON (RFC 8259); the position is that of serde_json.
    #[error("invalid JSON at line {line}, column {column}")]
    Json {
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
    },
    /// The answer is JSON but not a FHIR `Bundle`.
    #[error("the answer is not a Bundle")]
    NotABundle,
    /// A `next` link points outside the configured base URL (refused, not followed).
    #[error("the next link leaves the configured base URL")]
    ForeignNextLink,
    /// The server kept answering 429/5xx.
    #[error("too many retries")]
    TooManyRetries,
    /// More result pages than the client's limit.
    #[error("too many pages")]
    TooManyPages,
}

impl MssError {
    pub(crate) fn io(stage: &'static str) -> impl FnOnce(std::io::Error) -> MssError {
        move |source| {
            // A TLS alert or certificate failure surfaces as an I/O error of the stream.
            if let Some(tls) = segur_net::tls::TlsError::from_source_chain(&source) {
                return MssError::from(tls);
            }
            if matches!(
                source.kind(),
                std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::ConnectionAborted
            ) {
                return MssError::ConnectionClosed(stage);
            }
            MssError::Io { stage, source }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_layers_are_carried_as_themselves() {
        use segur_net::tls::TlsError;
        use segur_net::token::TokenError;
        use std::error::Error as _;

        // A TLS alert or certificate failure read from the stream is classified, not an I/O error.
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName),
        );
        let e = MssError::io("EHLO")(io);
        assert!(matches!(e, MssError::Tls(TlsError::NameMismatch)), "{e:?}");
        assert!(e.source().is_some_and(|s| s.is::<TlsError>()));
        let io = std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired),
        );
        assert!(matches!(
            MssError::io("EHLO")(io),
            MssError::Tls(TlsError::ClientCertificateRefused { .. })
        ));
        let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        assert!(matches!(
            MssError::io("DATA")(eof),
            MssError::ConnectionClosed("DATA")
        ));

        let e = MssError::from(TokenError::Expired);
        assert!(matches!(e, MssError::Token(TokenError::Expired)));
        assert!(e.source().is_some_and(|s| s.is::<TokenError>()));
        let e = MssError::from(DiscoveryError::NoNameserver);
        assert_eq!(
            e.to_string(),
            "discovery: no nameserver in /etc/resolv.conf"
        );
        let e = MssError::from(AnnuaireError::Status(429));
        assert!(e.source().is_some_and(|s| s.is::<AnnuaireError>()));
    }

    #[test]
    fn server_text_masks_long_digit_runs() {
        let t = ServerText::new("550 5.1.1 <279035121518989@patient.mssante.fr>: unknown\r\n");
        assert_eq!(
            t.to_string(),
            "550 5.1.1 <[redacted]@patient.mssante.fr>: unknown"
        );
        assert!(t.expose().contains("279035121518989"));
        assert!(!format!("{t:?}").contains("279035121518989"));
        assert_eq!(
            ServerText::new("250 2.0.0 Ok 1234").to_string(),
            "250 2.0.0 Ok 1234"
        );
    }
}
