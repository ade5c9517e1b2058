//! Proxy sessions and their application tokens (IG `principes_securisation.md`: a short-lived
//! application token, mapped in the proxy to the PSC tokens, never allowed to cross clients).
//!
//! - The token is 32 bytes of the system CSPRNG, base64url: it is shown once, to the desktop
//!   that connected; the proxy keeps only its SHA-256, so a memory or core dump of the session
//!   table gives no usable token.
//! - A session is bound to the client id and to the SHA-256 of the TLS client certificate of
//!   the connection that opened it: the same token presented over another certificate, or for
//!   another client id, is refused ([`Lookup::Foreign`]).
//! - A session ends at its absolute limit or after its idle limit ([`SessionLimits`]); the
//!   PSC tokens it holds are zeroized when it is dropped ([`super::upstream::PscSession`]).

use super::config::SessionLimits;
use super::upstream::PscSession;
use base64::Engine;
use ring::digest;
use segur_net::token::AccessToken;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The application token handed to the desktop (zeroized on drop, redacted in `Debug`).
pub struct AppToken(Zeroizing<String>);

impl AppToken {
    /// A fresh random token.
    pub fn generate() -> Result<Self, ring::error::Unspecified> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes[..])?;
        Ok(Self(Zeroizing::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[..]),
        )))
    }
    /// The token text (for the response to `POST /connect` only).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AppToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppToken([redacted])")
    }
}

/// SHA-256 of a token's text: the key of the session table.
fn token_hash(token: &str) -> [u8; 32] {
    sha256(token.as_bytes())
}

/// SHA-256 of a DER certificate (the thumbprint a session is bound to; RFC 8705 §3.1 uses the
/// same digest for `x5t#S256`).
pub fn certificate_sha256(der: &[u8]) -> [u8; 32] {
    sha256(der)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Who is calling: the certificate of its TLS connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// SHA-256 of the TLS client certificate.
    pub certificate_sha256: [u8; 32],
}

/// One proxy session.
pub struct Session {
    /// The public identifier (traces, `whoami`): random, not the token.
    pub id: String,
    /// The desktop software's client id.
    pub client_id: String,
    /// The certificate the session is bound to.
    pub certificate_sha256: [u8; 32],
    /// The PSC tokens.
    pub psc: PscSession,
    /// Tokens already exchanged, by backend name.
    pub exchanged: Mutex<HashMap<String, AccessToken>>,
    /// When the session was opened.
    pub opened: Instant,
    /// The absolute end of the session.
    pub ends: Instant,
    last_used: Mutex<Instant>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// When the session ends if no request comes before.
    pub fn expires_at(&self, limits: &SessionLimits) -> Instant {
        let idle_end = match self.last_used.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        } + limits.idle;
        idle_end.min(self.ends)
    }
}

/// The result of looking a token up.
#[derive(Debug)]
pub enum Lookup {
    /// A live session of this caller.
    Found(Arc<Session>),
    /// No session has this token (never issued, disconnected, or purged).
    Unknown,
    /// The session existed and ended (absolute or idle limit): it is removed now.
    Expired(Arc<Session>),
    /// The token belongs to a session of another certificate or client id.
    Foreign(Arc<Session>),
}

/// The session table.
pub struct SessionStore {
    limits: SessionLimits,
    sessions: Mutex<HashMap<[u8; 32], Arc<Session>>>,
}

impl fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionStore")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

fn public_id() -> String {
    let mut bytes = [0u8; 12];
    // A failing CSPRNG leaves zeros: the id is a label, not a secret (the token is checked
    // before, and its generation fails loudly).
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl SessionStore {
    /// An empty table with these limits.
    pub fn new(limits: SessionLimits) -> Self {
        Self {
            limits,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> SessionLimits {
        self.limits
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Arc<Session>>> {
        match self.sessions.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Opens a session for `client_id` over `caller`'s certificate; returns the token (shown
    /// once) and the session.
    pub fn open(
        &self,
        client_id: &str,
        caller: &Caller,
        psc: PscSession,
    ) -> Result<(AppToken, Arc<Session>), ring::error::Unspecified> {
        let token = AppToken::generate()?;
        let now = Instant::now();
        let session = Arc::new(Session {
            id: public_id(),
            client_id: client_id.to_owned(),
            certificate_sha256: caller.certificate_sha256,
            psc,
            exchanged: Mutex::new(HashMap::new()),
            opened: now,
            ends: now + self.limits.absolute,
            last_used: Mutex::new(now),
        });
        self.table()
            .insert(token_hash(token.expose()), session.clone());
        Ok((token, session))
    }

    /// Finds the session of `token` for `caller` (and `client_id` when the request names one),
    /// and marks it used.
    pub fn lookup(&self, token: &str, caller: &Caller, client_id: Option<&str>) -> Lookup {
        let key = token_hash(token);
        let mut table = self.table();
        let Some(session) = table.get(&key).cloned() else {
            return Lookup::Unknown;
        };
        let now = Instant::now();
        if now >= session.expires_at(&self.limits) {
            table.remove(&key);
            return Lookup::Expired(session);
        }
        if session.certificate_sha256 != caller.certificate_sha256
            || client_id.is_some_and(|c| c != session.client_id)
        {
            return Lookup::Foreign(session);
        }
        match session.last_used.lock() {
            Ok(mut g) => *g = now,
            Err(p) => *p.into_inner() = now,
        }
        Lookup::Found(session)
    }

    /// Removes the session of `token` (after [`Self::lookup`] found it).
    pub fn remove(&self, token: &str) -> Option<Arc<Session>> {
        self.table().remove(&token_hash(token))
    }

    /// Removes every ended session and returns them (for their PSC logout).
    pub fn purge_expired(&self) -> Vec<Arc<Session>> {
        let now = Instant::now();
        let mut ended = Vec::new();
        self.table().retain(|_, s| {
            let live = now < s.expires_at(&self.limits);
            if !live {
                ended.push(s.clone());
            }
            live
        });
        ended
    }

    /// The number of sessions held.
    pub fn len(&self) -> usize {
        self.table().len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How long until `instant`, zero when past.
pub fn remaining(instant: Instant) -> Duration {
    instant.saturating_duration_since(Instant::now())
}
