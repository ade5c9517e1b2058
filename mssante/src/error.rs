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
    /// SMTP submission (RFC 5321, RFC 3207 STARTTLS, RFC 4954 AUTH): I/O, a closed
    /// connection, a refused command, a protocol violation or a refused authentication.
    #[error("SMTP: {0}")]
    Smtp(#[from] SmtpError),
    /// IMAP retrieval (RFC 3501, RFC 2595 STARTTLS, RFC 4422 SASL): I/O, a closed
    /// connection, a `NO`/`BAD`/`BYE` answer, a protocol violation or a refused
    /// authentication.
    #[error("IMAP: {0}")]
    Imap(#[from] ImapError),
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

/// Why an SMTP submission failed (RFC 5321). Texts name the stage (the command being sent)
/// and carry the server's reply redacted ([`ServerText`]), never the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpError {
    /// Network I/O failed (connect, read, write, time-out).
    #[error("I/O during {stage}: {source}")]
    Io {
        /// What was being done.
        stage: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The server closed the connection before the exchange completed.
    #[error("connection closed by the server during {stage}")]
    ConnectionClosed {
        /// What was being done.
        stage: &'static str,
    },
    /// The server does not offer STARTTLS (RFC 3207): refused rather than sending in clear
    /// (SC.MSS/CONF.05/06).
    #[error("the server does not offer STARTTLS")]
    StartTlsUnavailable,
    /// The server answered a command with a reply other than the one expected (RFC 5321
    /// §4.2: `4yz` transient, `5yz` permanent, see [`SmtpError::is_transient`]).
    #[error("{stage} refused: {code} {text}")]
    Refused {
        /// The command.
        stage: &'static str,
        /// The three-digit reply code.
        code: u16,
        /// Server text (redacted in `Display`).
        text: ServerText,
    },
    /// The server sent something that does not follow RFC 5321 (malformed reply, overlong
    /// line, data after the STARTTLS reply).
    #[error("protocol violation: {reason}")]
    Protocol {
        /// What was wrong.
        reason: String,
    },
    /// The server refused the authentication (RFC 4954 §6: expired or invalid token, refused
    /// certificate).
    #[error("authentication refused by the server: {0}")]
    AuthenticationFailed(ServerText),
    /// The server offers no SASL mechanism usable with the credentials (RFC 4954 §3).
    #[error("no usable authentication mechanism offered by the server")]
    NoUsableMechanism,
}

impl SmtpError {
    /// Whether a retry later may succeed: an I/O failure, a closed connection or a `4yz`
    /// reply (RFC 5321 §4.2.1 "transient negative completion").
    pub fn is_transient(&self) -> bool {
        match self {
            SmtpError::Io { .. } | SmtpError::ConnectionClosed { .. } => true,
            SmtpError::Refused { code, .. } => (400..500).contains(code),
            _ => false,
        }
    }
}

/// The status of a negative IMAP answer (RFC 3501 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImapStatus {
    /// `NO`: the command failed (§7.1.2).
    No,
    /// `BAD`: the server did not accept the command (§7.1.3).
    Bad,
    /// `BYE`: the server is closing the connection (§7.1.5).
    Bye,
}

impl ImapStatus {
    /// The status word as the server sends it.
    pub fn as_str(self) -> &'static str {
        match self {
            ImapStatus::No => "NO",
            ImapStatus::Bad => "BAD",
            ImapStatus::Bye => "BYE",
        }
    }
}

impl std::fmt::Display for ImapStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an IMAP exchange failed (RFC 3501). Texts name the stage and carry the server's text
/// redacted ([`ServerText`]), never a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImapError {
    /// Network I/O failed (connect, read, write, time-out).
    #[error("I/O during {stage}: {source}")]
    Io {
        /// What was being done.
        stage: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The server closed the connection before the exchange completed.
    #[error("connection closed by the server during {stage}")]
    ConnectionClosed {
        /// What was being done.
        stage: &'static str,
    },
    /// The server refuses STARTTLS (RFC 2595 §3.1): refused rather than reading in clear.
    #[error("the server does not offer STARTTLS")]
    StartTlsUnavailable,
    /// The server answered `NO`, `BAD` or `BYE` (RFC 3501 §7.1).
    #[error("{stage} refused: {status} {text}")]
    Refused {
        /// The command.
        stage: &'static str,
        /// `NO`, `BAD` or `BYE`.
        status: ImapStatus,
        /// Server text (redacted in `Display`).
        text: ServerText,
    },
    /// The server sent something that does not follow RFC 3501 (unparsable response,
    /// overlong line, missing `UIDVALIDITY`, message without a body).
    #[error("protocol violation: {reason}")]
    Protocol {
        /// What was wrong.
        reason: String,
    },
    /// The server refused the authentication (`AUTHENTICATE` answered `NO`, RFC 3501
    /// §6.2.2).
    #[error("authentication refused by the server: {0}")]
    AuthenticationFailed(ServerText),
    /// The server offers no SASL mechanism usable with the credentials (`AUTH=` capability,
    /// RFC 3501 §6.2.2).
    #[error("no usable authentication mechanism offered by the server")]
    NoUsableMechanism,
}

/// The transport a failure of the shared connection code (TCP connect, TLS handshake) belongs
/// to, so it is reported in that protocol's layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    Smtp,
    Imap,
}

impl Transport {
    /// Classifies an I/O error of `stage`: a TLS alert or certificate failure read from the
    /// stream is [`MssError::Tls`]; an end of stream or reset is a closed connection; anything
    /// else is an I/O error of the protocol.
    pub(crate) fn io(self, stage: &'static str) -> impl FnOnce(std::io::Error) -> MssError {
        move |source| {
            // A TLS alert or certificate failure surfaces as an I/O error of the stream.
            if let Some(tls) = segur_net::tls::TlsError::from_source_chain(&source) {
                return MssError::from(tls);
            }
            let closed = matches!(
                source.kind(),
                std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::ConnectionAborted
            );
            match (self, closed) {
                (Transport::Smtp, true) => SmtpError::ConnectionClosed { stage }.into(),
                (Transport::Smtp, false) => SmtpError::Io { stage, source }.into(),
                (Transport::Imap, true) => ImapError::ConnectionClosed { stage }.into(),
                (Transport::Imap, false) => ImapError::Io { stage, source }.into(),
            }
        }
    }
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
        let e = Transport::Smtp.io("EHLO")(io);
        assert!(matches!(e, MssError::Tls(TlsError::NameMismatch)), "{e:?}");
        assert!(e.source().is_some_and(|s| s.is::<TlsError>()));
        let io = std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired),
        );
        assert!(matches!(
            Transport::Imap.io("CAPABILITY")(io),
            MssError::Tls(TlsError::ClientCertificateRefused { .. })
        ));
        let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        let e = Transport::Smtp.io("DATA")(eof);
        assert!(
            matches!(
                e,
                MssError::Smtp(SmtpError::ConnectionClosed { stage: "DATA" })
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "SMTP: connection closed by the server during DATA"
        );
        // Other I/O errors keep their source chain: MssError -> SmtpError/ImapError -> io.
        let e = Transport::Imap.io("FETCH")(std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert!(matches!(
            e,
            MssError::Imap(ImapError::Io { stage: "FETCH", .. })
        ));
        let imap = e.source().expect("the IMAP layer");
        assert!(imap.is::<ImapError>());
        assert!(imap.source().is_some_and(|s| s.is::<std::io::Error>()));
        assert!(SmtpError::ConnectionClosed { stage: "DATA" }.is_transient());
        let refused = |code| SmtpError::Refused {
            stage: "RCPT TO",
            code,
            text: ServerText::new("no"),
        };
        assert!(refused(451).is_transient());
        assert!(!refused(550).is_transient());
        assert!(!SmtpError::NoUsableMechanism.is_transient());

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
