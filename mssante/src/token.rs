//! Pro Santé Connect access tokens and the SASL responses that carry them.
//!
//! Tokens come from a [`TokenProvider`], are kept in memory only (SC.MSS/CONF.28), refreshed
//! before they expire, zeroized when dropped and never shown by `Debug`.

use crate::MssError;
use crate::address::MailAddress;
use base64::Engine as _;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
pub use zeroize::Zeroizing;

/// An OAuth 2.0 bearer access token with its expiry. Zeroized on drop; redacted in `Debug`.
#[derive(Clone)]
pub struct AccessToken {
    secret: Zeroizing<String>,
    expires_at: SystemTime,
}

impl AccessToken {
    /// A token and its expiry instant.
    pub fn new(secret: String, expires_at: SystemTime) -> Result<Self, MssError> {
        if secret.is_empty() || !secret.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(MssError::Token(
                "a bearer token is printable ASCII without spaces (RFC 6750 §2.1)".into(),
            ));
        }
        Ok(Self {
            secret: Zeroizing::new(secret),
            expires_at,
        })
    }
    /// The token, explicitly.
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

/// Source of access tokens (a Pro Santé Connect session, an OIDC client...). Called before every
/// connection that needs a fresh token. An error ends the session (SC.MSS/CONF.10).
pub trait TokenProvider: Send + Sync {
    /// A valid access token.
    fn access_token(&self) -> Result<AccessToken, MssError>;
}

/// Caches the token of a provider and asks for a new one when the cached one expires within the
/// refresh margin (PSC tokens live 4–5 minutes, spec §1.2).
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
    /// Drops the cached token (after the server refused it).
    pub fn invalidate(&self) {
        if let Ok(mut g) = self.current.lock() {
            *g = None;
        }
    }
}

impl<P: TokenProvider> TokenProvider for TokenCache<P> {
    fn access_token(&self) -> Result<AccessToken, MssError> {
        let mut guard = self
            .current
            .lock()
            .map_err(|_| MssError::Token("token cache poisoned".into()))?;
        if let Some(t) = guard.as_ref()
            && !t.expires_within(self.margin)
        {
            return Ok(t.clone());
        }
        let fresh = self.provider.access_token()?;
        if fresh.expires_within(Duration::ZERO) {
            return Err(MssError::Token(
                "the provider returned an expired token".into(),
            ));
        }
        *guard = Some(fresh.clone());
        Ok(fresh)
    }
}

impl<P: TokenProvider + ?Sized> TokenProvider for std::sync::Arc<P> {
    fn access_token(&self) -> Result<AccessToken, MssError> {
        (**self).access_token()
    }
}

/// SASL mechanism carrying the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OAuthMechanism {
    /// `XOAUTH2` (the de-facto mechanism named by every MSSanté source; the default).
    #[default]
    XOAuth2,
    /// `OAUTHBEARER` (RFC 7628).
    OAuthBearer,
}

impl OAuthMechanism {
    /// The SASL name.
    pub fn name(self) -> &'static str {
        match self {
            Self::XOAuth2 => "XOAUTH2",
            Self::OAuthBearer => "OAUTHBEARER",
        }
    }
}

/// The raw (not base64) initial client response of a mechanism.
pub fn sasl_initial_response(
    mechanism: OAuthMechanism,
    user: &MailAddress,
    token: &AccessToken,
    host: &str,
    port: u16,
) -> Zeroizing<Vec<u8>> {
    let s = match mechanism {
        // user=<addr>^Aauth=Bearer <token>^A^A
        OAuthMechanism::XOAuth2 => Zeroizing::new(format!(
            "user={}\x01auth=Bearer {}\x01\x01",
            user.as_str(),
            token.expose()
        )),
        // RFC 7628 §3.1: gs2-header "n,a=<authzid>," then kvpairs.
        OAuthMechanism::OAuthBearer => Zeroizing::new(format!(
            "n,a={},\x01host={host}\x01port={port}\x01auth=Bearer {}\x01\x01",
            user.as_str().replace('=', "=3D").replace(',', "=2C"),
            token.expose()
        )),
    };
    Zeroizing::new(s.as_bytes().to_vec())
}

/// Base64 of the initial response.
pub fn sasl_initial_response_b64(
    mechanism: OAuthMechanism,
    user: &MailAddress,
    token: &AccessToken,
    host: &str,
    port: u16,
) -> Zeroizing<String> {
    let raw = sasl_initial_response(mechanism, user, token, host, port);
    Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Counting(AtomicU32, Duration);
    impl TokenProvider for Counting {
        fn access_token(&self) -> Result<AccessToken, MssError> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            AccessToken::new(format!("tok{n}"), SystemTime::now() + self.1)
        }
    }

    #[test]
    fn cache_refreshes_before_expiry() {
        let long = TokenCache::new(
            Counting(AtomicU32::new(0), Duration::from_secs(300)),
            Duration::from_secs(30),
        );
        assert_eq!(long.access_token().unwrap().expose(), "tok0");
        assert_eq!(long.access_token().unwrap().expose(), "tok0");
        long.invalidate();
        assert_eq!(long.access_token().unwrap().expose(), "tok1");
        let short = TokenCache::new(
            Counting(AtomicU32::new(0), Duration::from_secs(10)),
            Duration::from_secs(30),
        );
        assert_eq!(short.access_token().unwrap().expose(), "tok0");
        assert_eq!(short.access_token().unwrap().expose(), "tok1");
    }

    #[test]
    fn token_is_redacted_and_sasl_is_exact() {
        let t = AccessToken::new("abc.def".into(), SystemTime::now()).unwrap();
        assert!(!format!("{t:?}").contains("abc.def"));
        let u = MailAddress::parse("a@b.fr").unwrap();
        assert_eq!(
            &*sasl_initial_response(OAuthMechanism::XOAuth2, &u, &t, "h", 1),
            b"user=a@b.fr\x01auth=Bearer abc.def\x01\x01"
        );
        assert_eq!(
            &*sasl_initial_response(OAuthMechanism::OAuthBearer, &u, &t, "h", 587),
            b"n,a=a@b.fr,\x01host=h\x01port=587\x01auth=Bearer abc.def\x01\x01"
        );
        assert!(AccessToken::new("a b".into(), SystemTime::now()).is_err());
    }
}

/// How a session authenticates.
#[derive(Clone)]
pub enum Authentication {
    /// Personal and organisational mailboxes: a PSC access token over SASL (SC.MSS/CONF.07).
    OAuth {
        /// The mailbox address (SASL user).
        user: MailAddress,
        /// Where tokens come from (asked before every connection).
        provider: std::sync::Arc<dyn TokenProvider>,
        /// XOAUTH2 (default) or OAUTHBEARER.
        mechanism: OAuthMechanism,
    },
    /// Applicative mailboxes: the TLS client certificate of the [`crate::tls::TlsSettings`]
    /// identifies the mailbox (SASL EXTERNAL when the server offers it).
    ClientCertificate,
}

impl fmt::Debug for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OAuth {
                user, mechanism, ..
            } => f
                .debug_struct("OAuth")
                .field("user", user)
                .field("mechanism", mechanism)
                .finish(),
            Self::ClientCertificate => f.write_str("ClientCertificate"),
        }
    }
}
