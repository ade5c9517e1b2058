//! Strong factors the LGO obtains elsewhere: the CPS card with its PIN, or e-CPS through Pro
//! Santé Connect (CIBA push, `acr=eidas1`). Both are multi-factor on their own (possession and
//! knowledge), and the RIE accepts means issued by the ANS (CPS, e-CPS) as strong
//! authentication; the access-security notes (§5.3) ask the re-authentication policy to accept
//! any configured strong event with its factors and time.
//!
//! This crate does not talk to cards or to PSC: the caller authenticates with `segur-cps-card`
//! or its PSC client, and hands the result as a [`StrongAuthEvent`] through a
//! [`StrongAuthenticator`]. The session accepts it when it is recent and names the user.

use crate::clock::UnixTime;

/// A factor of an authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    /// Something known (password, PIN).
    Knowledge,
    /// Something held (card, phone with an authenticator, security key).
    Possession,
    /// Something the user is (biometrics on an e-CPS phone).
    Inherence,
}

/// Where a strong authentication came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrongMeans {
    /// The CPS card and its PIN, checked by the card.
    CpsCard,
    /// e-CPS or CPS through Pro Santé Connect.
    ProSanteConnect,
    /// Another means the structure has homologated.
    Other,
}

/// The result of a strong authentication made by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrongAuthEvent {
    /// The means.
    pub means: StrongMeans,
    /// The factors it combined.
    pub factors: Vec<FactorKind>,
    /// When it happened.
    pub at: UnixTime,
    /// The account it authenticated (the LGO maps the card's RPPS or the PSC `sub` to it).
    pub user: String,
}

impl StrongAuthEvent {
    /// Whether it combined at least two different kinds of factor.
    pub fn is_multi_factor(&self) -> bool {
        let mut kinds = self.factors.clone();
        kinds.sort_by_key(|k| *k as u8);
        kinds.dedup();
        kinds.len() >= 2
    }
}

/// Why a strong authentication failed (the text names the cause, never a PIN or token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("strong authentication failed: {0}")]
pub struct StrongAuthError(pub String);

/// Something that authenticates a user strongly: a CPS reader, a PSC client.
pub trait StrongAuthenticator {
    /// Authenticates `user` (blocking; a PSC CIBA push may take a while).
    fn authenticate(&mut self, user: &str) -> Result<StrongAuthEvent, StrongAuthError>;
}
