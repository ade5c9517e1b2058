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

/// Every failure of the MSSanté client, each naming its reason (and position where one exists).
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
    /// The XDM attachment is not a valid IHE_XDM package.
    #[error("XDM attachment rejected: {0}")]
    Xdm(String),
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
    /// TLS configuration or handshake failure (wrong CA, wrong name, expired, refused client
    /// certificate...).
    #[error("TLS: {0}")]
    Tls(String),
    /// A certificate or key (PEM, PKCS#12) could not be loaded.
    #[error("certificate: {0}")]
    Certificate(String),
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
    /// The token provider failed (Pro Santé Connect session ended, CONF.10).
    #[error("token provider: {0}")]
    Token(String),
    /// DNS discovery failed.
    #[error("discovery: {0}")]
    Discovery(String),
    /// Annuaire Santé API failure.
    #[error("Annuaire Santé: {0}")]
    Annuaire(String),
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

impl From<segur_net::tls::TlsError> for MssError {
    /// Certificate and key loading failures become [`MssError::Certificate`], handshake and
    /// policy failures [`MssError::Tls`] (the texts never hold key material).
    fn from(e: segur_net::tls::TlsError) -> Self {
        use segur_net::tls::TlsError as T;
        match e {
            T::BadPem { .. }
            | T::BadPkcs12 { .. }
            | T::Missing { .. }
            | T::BadCertificate { .. } => Self::Certificate(e.to_string()),
            other => Self::Tls(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
