//! The proxy's only door to Pro Santé Connect and to the token-exchange authorisation servers:
//! the [`Upstream`] trait. The PSC client of this crate implements it; the proxy never speaks
//! OpenID itself.
//!
//! The calls are blocking (the PSC client runs on `segur_net::http`); the proxy calls them from
//! its blocking thread pool.

use segur_net::tls::ClientIdentity;
use segur_net::token::AccessToken;
use std::fmt;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The CIBA channel (the ANS proxy API's `channel`: `CARD` or `MOBILE`). Whether PSC itself
/// takes a channel parameter is TO VERIFY (psc.md §10): the PSC client decides what to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The CPS card, through the CPS-Gestion application (`CARD`).
    Card,
    /// The e-CPS mobile application (`MOBILE`).
    Mobile,
}

impl Channel {
    /// The wire name of the ANS proxy API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Card => "CARD",
            Self::Mobile => "MOBILE",
        }
    }
    /// From the wire name (`CARD`, `MOBILE`, any case).
    pub fn parse(text: &str) -> Option<Self> {
        if text.eq_ignore_ascii_case("CARD") {
            Some(Self::Card)
        } else if text.eq_ignore_ascii_case("MOBILE") {
            Some(Self::Mobile)
        } else {
            None
        }
    }
}

/// The CIBA `binding_message`: two digits, `00` to `99`, chosen by the desktop and shown to the
/// professional, who finds it on the card reader's or the phone's prompt (ANS proxy API
/// `bindingMessage`; psc.md §9.5 `^[0-9]{2}$`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BindingMessage([u8; 2]);

impl BindingMessage {
    /// Two ASCII digits, or `None`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.as_bytes() {
            [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Some(Self([*a, *b])),
            _ => None,
        }
    }
    /// A random one (ring's system CSPRNG).
    pub fn random() -> Self {
        let mut byte = [0u8; 1];
        // The system CSPRNG does not fail on supported platforms; a failure gives "00", which is
        // still a valid (if predictable) binding message: it is a display aid, not a secret.
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut byte);
        let n = byte[0] % 100;
        Self([b'0' + n / 10, b'0' + n % 10])
    }
    /// The two digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("00")
    }
}

impl fmt::Debug for BindingMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BindingMessage({})", self.as_str())
    }
}

/// A CIBA authentication request (OpenID CIBA Core 1.0 §7.1) for one professional.
#[derive(Clone, Copy, Debug)]
pub struct CibaRequest<'a> {
    /// The professional's national identifier, as `login_hint` (psc.md §5.3: never rejected
    /// for an unknown shape).
    pub national_id: &'a str,
    /// The code shown on both screens.
    pub binding_message: BindingMessage,
    /// Card or mobile.
    pub channel: Channel,
}

/// A started CIBA request: the `auth_req_id` (a secret: zeroized, never shown) and its timing
/// (CIBA Core §7.3 `expires_in`, `interval`).
pub struct PendingAuth {
    auth_req_id: Zeroizing<String>,
    /// The wait between two polls (CIBA Core §7.3, default 5 s).
    pub interval: Duration,
    /// When the request expires (`expires_in` from the start).
    pub expires_at: Instant,
}

impl PendingAuth {
    /// A pending request.
    pub fn new(auth_req_id: String, interval: Duration, expires_in: Duration) -> Self {
        Self {
            auth_req_id: Zeroizing::new(auth_req_id),
            interval,
            expires_at: Instant::now() + expires_in,
        }
    }
    /// The `auth_req_id`, for the poll request.
    pub fn auth_req_id(&self) -> &str {
        &self.auth_req_id
    }
}

impl fmt::Debug for PendingAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingAuth")
            .field("auth_req_id", &"[redacted]")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// The answer to one CIBA poll (CIBA Core §11).
#[derive(Debug)]
pub enum CibaPoll {
    /// `authorization_pending`: ask again after the interval.
    Pending,
    /// `slow_down`: ask again after the interval plus 5 s (CIBA Core §11, RFC 8628 §3.5).
    SlowDown,
    /// The professional approved: the PSC session.
    Approved(Box<PscSession>),
}

/// What the proxy shows of the professional (claims, never tokens): from the verified ID token
/// or userinfo (psc.md §5.2, §5.4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Professional {
    /// `SubjectNameID` (or `preferred_username`): the national identifier.
    pub national_id: String,
    /// `given_name`, when PSC gives it.
    pub given_name: Option<String>,
    /// `family_name`, when PSC gives it.
    pub family_name: Option<String>,
}

/// One PSC session as the proxy holds it: what it shows and traces, and the implementation's
/// own state (the tokens, kept in memory only and zeroized by their owner, SC.MSS/CONF.28),
/// which only the [`Upstream`] that made it reads back.
pub struct PscSession {
    /// PSC's `session_state` (`sid`): returned to the desktop and traced, as the ANS proxy does.
    pub session_state: String,
    /// The professional, from the verified tokens.
    pub professional: Professional,
    /// The [`Upstream`] implementation's state (for the PSC client of this crate, its
    /// [`crate::PscSession`]).
    pub state: Box<dyn std::any::Any + Send + Sync>,
}

impl fmt::Debug for PscSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PscSession")
            .field("session_state", &self.session_state)
            .finish_non_exhaustive()
    }
}

/// One RFC 8693 token exchange at a backend's authorisation server, over RFC 8705 mutual TLS
/// with the backend's certificate (psc.md §7).
#[derive(Clone, Copy, Debug)]
pub struct ExchangeTarget<'a> {
    /// The backend's name in the proxy configuration.
    pub backend: &'a str,
    /// The token endpoint of the backend's authorisation server.
    pub token_endpoint: &'a str,
    /// The `audience` of the request, when the authorisation server wants one (the IG does not
    /// use it, psc.md §7).
    pub audience: Option<&'a str>,
    /// The business `scope`: mandatory in the CI-SIS, absent from the ANS proxy (psc.md §7).
    pub scope: Option<&'a str>,
    /// The certificate of the exchange and of the business calls (an IGC Santé ORG AUTH_CLI).
    pub identity: &'a ClientIdentity,
}

/// Why an upstream call failed. The text never carries a token.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The professional refused (`access_denied`, CIBA Core §11).
    #[error("the professional refused the authentication")]
    Denied,
    /// The request expired before approval (`expired_token`, CIBA Core §11).
    #[error("the authentication request expired")]
    Expired,
    /// PSC or the authorisation server refused the request (an OAuth error code, RFC 6749
    /// §5.2): unknown user, client not allowed, exchange refused.
    #[error("refused by the server: {0}")]
    Refused(String),
    /// The server could not be reached or answered garbage.
    #[error("server unavailable: {0}")]
    Unavailable(String),
}

/// Pro Santé Connect and the token-exchange authorisation servers, as the proxy needs them.
pub trait Upstream: Send + Sync + 'static {
    /// Starts a CIBA request (CIBA Core §7.1: `login_hint`, `binding_message`,
    /// `acr_values=eidas1`, psc.md §4).
    fn start_ciba(&self, request: &CibaRequest<'_>) -> Result<PendingAuth, UpstreamError>;
    /// Polls the token endpoint once (`grant_type=urn:openid:params:grant-type:ciba`).
    fn poll(&self, pending: &PendingAuth) -> Result<CibaPoll, UpstreamError>;
    /// Gives up a pending request (the desktop went away, or it expired).
    fn cancel(&self, pending: &PendingAuth);
    /// Exchanges the session's PSC access token for a token of one backend (RFC 8693).
    fn exchange(
        &self,
        session: &PscSession,
        target: &ExchangeTarget<'_>,
    ) -> Result<AccessToken, UpstreamError>;
    /// The session's PSC access token itself, refreshed when it is about to expire, for the
    /// backends configured with `token = "psc_access_token"` (MSSanté, psc.md §8). An
    /// upstream that never hands it out keeps this default, which refuses.
    fn access_token(&self, session: &PscSession) -> Result<AccessToken, UpstreamError> {
        let _ = session;
        Err(UpstreamError::Refused(
            "this upstream does not release the PSC access token".into(),
        ))
    }
    /// Ends the PSC session server-side (logout with `id_token_hint`, psc.md §6).
    fn logout(&self, session: &PscSession) -> Result<(), UpstreamError>;
}
