//! OAuth 2.0 bearer access tokens (RFC 6750), their providers and their cache.
//!
//! Tokens are kept in memory only (MSSanté SC.MSS/CONF.28), zeroized when dropped, and never
//! shown by `Debug`, `Display` or an error: only [`AccessToken::expose`] gives the text.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
pub use zeroize::Zeroizing;

/// Why no usable token could be had. No variant carries token text.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// The token text is not a bearer token: `b64token` is printable ASCII without spaces
    /// (RFC 6750 §2.1). `position` is the byte offset of the first bad byte (0 when empty).
    #[error("not a bearer token: {reason} at byte {position} (RFC 6750 §2.1)")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
        /// Byte offset of the offending byte.
        position: usize,
    },
    /// The token source failed (Pro Santé Connect session ended, network...).
    #[error("token provider failed: {0}")]
    Provider(String),
    /// The token (or the one a provider returned) is already expired.
    #[error("the access token is expired")]
    Expired,
    /// The server refused the token, and this source cannot get another one.
    #[error("the access token was refused by the server and cannot be renewed")]
    Refused,
    /// The cache lock was poisoned by a panic in another thread.
    #[error("token cache lock poisoned")]
    Poisoned,
}

/// An OAuth 2.0 bearer access token with its expiry. Zeroized on drop; redacted in `Debug`
/// and `Display`.
#[derive(Clone)]
pub struct AccessToken {
    secret: Zeroizing<String>,
    expires_at: SystemTime,
}

impl AccessToken {
    /// A token and its expiry instant; the text must be a `b64token` (RFC 6750 §2.1).
    pub fn new(secret: String, expires_at: SystemTime) -> Result<Self, TokenError> {
        let secret = Zeroizing::new(secret);
        if secret.is_empty() {
            return Err(TokenError::Malformed {
                reason: "empty token",
                position: 0,
            });
        }
        if let Some(position) = secret.bytes().position(|b| !(0x21..0x7f).contains(&b)) {
            return Err(TokenError::Malformed {
                reason: "byte outside printable ASCII or a space",
                position,
            });
        }
        Ok(Self { secret, expires_at })
    }
    /// The token text, explicitly (for the `Authorization` header or a SASL response).
    pub fn expose(&self) -> &str {
        &self.secret
    }
    /// Expiry instant.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
    /// Whether the token expires within `margin` from now.
    pub fn expires_within(&self, margin: Duration) -> bool {
        SystemTime::now() + margin >= self.expires_at
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted access token]")
    }
}

/// Source of access tokens (a Pro Santé Connect session, an OIDC client, a caller). Called
/// before every connection that needs a token; an error ends the session (SC.MSS/CONF.10).
pub trait TokenProvider: Send + Sync {
    /// A valid access token.
    fn access_token(&self) -> Result<AccessToken, TokenError>;
}

impl<P: TokenProvider + ?Sized> TokenProvider for std::sync::Arc<P> {
    fn access_token(&self) -> Result<AccessToken, TokenError> {
        (**self).access_token()
    }
}

impl<P: TokenProvider + ?Sized> TokenProvider for Box<P> {
    fn access_token(&self) -> Result<AccessToken, TokenError> {
        (**self).access_token()
    }
}

/// Caches the token of a provider and asks for a new one when the cached one expires within the
/// refresh margin (PSC tokens live 4–5 minutes). Thread-safe: one lock around the slot, so
/// concurrent callers ask the provider once.
pub struct TokenCache<P> {
    provider: P,
    margin: Duration,
    current: Mutex<Option<AccessToken>>,
}

impl<P: TokenProvider> TokenCache<P> {
    /// A cache refreshing `margin` before expiry.
    pub fn new(provider: P, margin: Duration) -> Self {
        Self {
            provider,
            margin,
            current: Mutex::new(None),
        }
    }
    /// Drops the cached token (after the server refused it), so the next call asks the provider.
    pub fn invalidate(&self) {
        match self.current.lock() {
            Ok(mut g) => *g = None,
            Err(poisoned) => *poisoned.into_inner() = None,
        }
    }
}

impl<P: TokenProvider> TokenProvider for TokenCache<P> {
    fn access_token(&self) -> Result<AccessToken, TokenError> {
        let mut guard = self.current.lock().map_err(|_| TokenError::Poisoned)?;
        if let Some(t) = guard.as_ref()
            && !t.expires_within(self.margin)
        {
            return Ok(t.clone());
        }
        let fresh = self.provider.access_token()?;
        if fresh.expires_within(Duration::ZERO) {
            return Err(TokenError::Expired);
        }
        *guard = Some(fresh.clone());
        Ok(fresh)
    }
}

/// A token handed over by the calling application (CLI environment variable, FFI argument).
///
/// **Lifetime rule.** The caller's token is taken as valid until the expiry it gives, or for
/// [`CallerToken::DEFAULT_LIFETIME`] (240 s) from the moment it is handed over when it gives
/// none: Pro Santé Connect access tokens live 4 to 5 minutes, so 240 s never outlives a fresh
/// token. It is never refreshed — the SDK cannot ask the caller for another — and it may be
/// presented any number of times while valid (a session reconnecting after a dropped link uses
/// it again). After the server refused it, [`CallerToken::refused`] makes every later call fail
/// with [`TokenError::Refused`], so the refusal is reported as such instead of being retried.
pub struct CallerToken {
    token: AccessToken,
    refused: std::sync::atomic::AtomicBool,
}

impl CallerToken {
    /// The lifetime assumed when the caller gives no expiry.
    pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(240);

    /// The caller's token, valid until `expires_at` or for [`Self::DEFAULT_LIFETIME`] from now.
    pub fn new(secret: String, expires_at: Option<SystemTime>) -> Result<Self, TokenError> {
        let expires_at = expires_at.unwrap_or_else(|| SystemTime::now() + Self::DEFAULT_LIFETIME);
        Ok(Self {
            token: AccessToken::new(secret, expires_at)?,
            refused: std::sync::atomic::AtomicBool::new(false),
        })
    }
    /// Records that the server refused the token: later calls fail with [`TokenError::Refused`].
    pub fn refused(&self) {
        self.refused
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl fmt::Debug for CallerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallerToken")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl TokenProvider for CallerToken {
    fn access_token(&self) -> Result<AccessToken, TokenError> {
        if self.refused.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(TokenError::Refused);
        }
        if self.token.expires_within(Duration::ZERO) {
            return Err(TokenError::Expired);
        }
        Ok(self.token.clone())
    }
}
