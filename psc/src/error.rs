//! The errors of the crate, layered by source: configuration, transport (`segur_net::http`),
//! JSON documents, tokens ([`crate::jwt::JwtError`]), OAuth error responses, CIBA outcomes.
//! No variant carries a token, a code, a secret or a professional's identifier.

use crate::jwt::JwtError;
use segur_net::http::HttpError;

/// Why a Pro Santé Connect operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PscError {
    /// The configuration is not usable (missing field, non-HTTPS URL, unreadable file).
    #[error("configuration: {0}")]
    Config(String),
    /// The HTTPS exchange failed (TLS refused, time-out, size limit, non-2xx without an OAuth
    /// error body).
    #[error("HTTPS: {0}")]
    Http(#[from] HttpError),
    /// A JSON document from the server is not what the protocol defines.
    #[error("{document}: {reason}")]
    Json {
        /// Which document (discovery, JWKS, token response, ...).
        document: &'static str,
        /// What is wrong, with the position for a syntax error.
        reason: String,
    },
    /// A token was refused ([`JwtError`] names the part and the reason).
    #[error("token refused: {0}")]
    Jwt(#[from] JwtError),
    /// The server answered with an OAuth 2.0 error (RFC 6749 §5.2, CIBA Core §11/§13).
    #[error("{endpoint} refused the request: {error}{}", description_suffix(.description))]
    OAuth {
        /// Which endpoint (token, backchannel authentication, introspection, ...).
        endpoint: &'static str,
        /// The HTTP status.
        status: u16,
        /// The `error` code, as sent (ASCII, control characters escaped).
        error: String,
        /// The `error_description`, control characters escaped, at most 200 characters.
        description: Option<String>,
    },
    /// CIBA ended without tokens.
    #[error("CIBA: {0}")]
    Ciba(#[from] CibaError),
    /// The authorization code callback is not the answer to the pending request.
    #[error("authorization callback: {0}")]
    Callback(&'static str),
    /// The session was logged out, or its refresh token is no longer accepted (SC.MSS/CONF.10).
    #[error("the Pro Santé Connect session has ended")]
    SessionEnded,
    /// The exchanged token is not bound to the client certificate (RFC 8705 §3).
    #[error("token exchange: {0}")]
    Binding(&'static str),
    /// A lock was poisoned by a panic in another thread.
    #[error("internal lock poisoned")]
    Poisoned,
}

fn description_suffix(d: &Option<String>) -> String {
    d.as_ref().map(|d| format!(" ({d})")).unwrap_or_default()
}

/// How a CIBA request ended without tokens (CIBA Core 1.0 §11).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CibaError {
    /// The professional refused on the device (`access_denied`).
    #[error("the professional refused the authentication on the device")]
    Denied,
    /// The request expired before the professional acted (`expired_token`, or the
    /// acknowledgement's `expires_in` elapsed).
    #[error("the authentication request expired")]
    Expired,
    /// The caller cancelled it through its [`crate::ciba::CancelHandle`].
    #[error("the authentication request was cancelled")]
    Cancelled,
}

/// Escapes control characters and cuts at `max` characters: server text shown in errors.
pub(crate) fn sanitize(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i >= max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A JSON syntax or shape error with its position.
pub(crate) fn json_error(document: &'static str, e: &serde_json::Error) -> PscError {
    PscError::Json {
        document,
        reason: format!(
            "{} at line {} column {}",
            match e.classify() {
                serde_json::error::Category::Io => "read error",
                serde_json::error::Category::Syntax => "invalid JSON",
                serde_json::error::Category::Data => "unexpected shape",
                serde_json::error::Category::Eof => "truncated JSON",
            },
            e.line(),
            e.column()
        ),
    }
}
