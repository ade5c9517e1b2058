//! Token endpoint responses (RFC 6749 §5.1, with Keycloak's `refresh_expires_in` and
//! `session_state`, psc.md §3) and OAuth error responses (RFC 6749 §5.2).
//!
//! Token texts are held in [`Zeroizing`] strings and never shown by `Debug`.

use crate::error::{PscError, json_error, sanitize};
use serde_json::Value;
use std::time::Duration;
use zeroize::Zeroizing;

/// The largest token response accepted (bytes).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// A successful token response.
pub struct TokenResponse {
    /// `access_token`.
    pub access_token: Zeroizing<String>,
    /// `expires_in`, when sent.
    pub expires_in: Option<Duration>,
    /// `refresh_token`, when sent.
    pub refresh_token: Option<Zeroizing<String>>,
    /// `refresh_expires_in` (Keycloak), when sent.
    pub refresh_expires_in: Option<Duration>,
    /// `id_token`, when sent.
    pub id_token: Option<Zeroizing<String>>,
    /// `scope`, when sent.
    pub scope: Option<String>,
    /// `session_state` (Keycloak: the PSC session), when sent.
    pub session_state: Option<String>,
    /// `issued_token_type` (RFC 8693 §2.2.1), when sent.
    pub issued_token_type: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

fn bad(reason: impl Into<String>) -> PscError {
    PscError::Json {
        document: "token response",
        reason: reason.into(),
    }
}

fn secs(v: Option<&Value>, name: &str) -> Result<Option<Duration>, PscError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|s| Some(Duration::from_secs(s.min(86_400 * 366))))
            .ok_or_else(|| bad(format!("{name} is not a non-negative integer"))),
        Some(_) => Err(bad(format!("{name} is not a number"))),
    }
}

fn secret(v: Option<&Value>, name: &str) -> Result<Option<Zeroizing<String>>, PscError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(Zeroizing::new(s.clone()))),
        Some(_) => Err(bad(format!("{name} is not a non-empty string"))),
    }
}

fn plain(v: Option<&Value>, name: &str) -> Result<Option<String>, PscError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("{name} is not a string"))),
    }
}

impl TokenResponse {
    /// Reads a token response; `token_type` must be `Bearer` (RFC 6750; case-insensitive,
    /// RFC 6749 §5.1) and `access_token` present.
    pub fn from_json(bytes: &[u8]) -> Result<Self, PscError> {
        if bytes.len() > MAX_RESPONSE_BYTES {
            return Err(bad(format!(
                "{} bytes exceed {MAX_RESPONSE_BYTES}",
                bytes.len()
            )));
        }
        let doc: Value =
            serde_json::from_slice(bytes).map_err(|e| json_error("token response", &e))?;
        let obj = doc.as_object().ok_or_else(|| bad("not a JSON object"))?;
        match obj.get("token_type").and_then(Value::as_str) {
            Some(t) if t.eq_ignore_ascii_case("bearer") => {}
            Some(_) => return Err(bad("token_type is not Bearer")),
            None => return Err(bad("token_type missing")),
        }
        Ok(Self {
            access_token: secret(obj.get("access_token"), "access_token")?
                .ok_or_else(|| bad("access_token missing"))?,
            expires_in: secs(obj.get("expires_in"), "expires_in")?,
            refresh_token: secret(obj.get("refresh_token"), "refresh_token")?,
            refresh_expires_in: secs(obj.get("refresh_expires_in"), "refresh_expires_in")?,
            id_token: secret(obj.get("id_token"), "id_token")?,
            scope: plain(obj.get("scope"), "scope")?,
            session_state: plain(obj.get("session_state"), "session_state")?,
            issued_token_type: plain(obj.get("issued_token_type"), "issued_token_type")?,
        })
    }
}

/// An OAuth error response body (RFC 6749 §5.2): `error` and `error_description`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthErrorBody {
    /// `error`, escaped, at most 64 characters.
    pub error: String,
    /// `error_description`, escaped, at most 200 characters.
    pub description: Option<String>,
}

impl OAuthErrorBody {
    /// Reads an error body; `None` when the body is not one.
    pub fn from_json(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > MAX_RESPONSE_BYTES {
            return None;
        }
        let doc: Value = serde_json::from_slice(bytes).ok()?;
        let error = doc.get("error")?.as_str()?;
        Some(Self {
            error: sanitize(error, 64),
            description: doc
                .get("error_description")
                .and_then(Value::as_str)
                .map(|d| sanitize(d, 200)),
        })
    }
}
