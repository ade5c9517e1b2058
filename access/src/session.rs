//! Session rules: the strong (two-factor) authentication is valid for a window (default 4 h),
//! after which the user must authenticate again with both factors; inside the window, a session
//! idle too long (default 2 h) locks and unlocks with the password alone.
//!
//! Sources: "authentification forte à double facteur … toutes les quatre heures" (wave-2 account
//! in the trade press; the REM wording is not public, TO VERIFY, hence configurable); the RIE
//! leaves the duration of one-factor re-authentication to the service owner (esante.gouv.fr FAQ);
//! automatic lock after 2 h of inactivity (SC.SSI/IE.58 as quoted for the LGC REM, TO VERIFY).
//!
//! Each session keeps its own times: locking a session for a user switch never touches them,
//! and a user's strong authentication never moves another user's window.

use crate::clock::UnixTime;
use zeroize::Zeroizing;

/// The timing rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionRules {
    /// Seconds a strong authentication stays valid (default 14 400 = 4 h).
    pub strong_reauth_secs: i64,
    /// Seconds of inactivity before the session locks (default 7 200 = 2 h).
    pub idle_lock_secs: i64,
}

impl Default for SessionRules {
    fn default() -> Self {
        Self {
            strong_reauth_secs: 4 * 3600,
            idle_lock_secs: 2 * 3600,
        }
    }
}

/// The times and flags of one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The account.
    pub user: String,
    /// The workstation it was opened on.
    pub workstation: String,
    /// When it was opened.
    pub created: UnixTime,
    /// The last strong (two-factor) authentication of this user in this session.
    pub strong_at: UnixTime,
    /// The last action.
    pub last_activity: UnixTime,
    /// Locked explicitly (user switch, "lock" button).
    pub locked: bool,
    /// Closed (logout).
    pub closed: bool,
}

/// Where a session stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Usable.
    Active,
    /// Locked by the user or a switch: the password unlocks it.
    Locked,
    /// Locked after inactivity: the password unlocks it.
    IdleLocked,
    /// The strong window is over: both factors are needed again.
    StrongReauthRequired,
    /// Closed.
    Closed,
}

impl SessionRules {
    /// The status of `record` at `now`.
    pub fn status(&self, record: &SessionRecord, now: UnixTime) -> SessionStatus {
        if record.closed {
            SessionStatus::Closed
        } else if now.since(record.strong_at) >= self.strong_reauth_secs {
            SessionStatus::StrongReauthRequired
        } else if record.locked {
            SessionStatus::Locked
        } else if now.since(record.last_activity) >= self.idle_lock_secs {
            SessionStatus::IdleLocked
        } else {
            SessionStatus::Active
        }
    }
}

/// A session identifier: 256 random bits as 64 hexadecimal digits. Only its SHA-256 is stored,
/// so a copy of the database does not hand out live sessions. Zeroized, never in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(Zeroizing<String>);

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId(..)")
    }
}

impl SessionId {
    /// A new random identifier.
    pub fn generate() -> Option<Self> {
        let mut raw = Zeroizing::new([0u8; 32]);
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), raw.as_mut()).ok()?;
        Some(Self(Zeroizing::new(crate::keys::hex(raw.as_ref()))))
    }

    /// An identifier typed or passed back by the caller; `None` unless 64 hexadecimal digits.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        (t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(Zeroizing::new(t.to_ascii_lowercase())))
    }

    /// The text to hand to the user or the calling program.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The stored form.
    pub fn storage_hash(&self) -> [u8; 32] {
        let d = ring::digest::digest(&ring::digest::SHA256, self.0.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        out
    }
}
