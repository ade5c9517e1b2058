//! The JSON view of "who is signed in" (`GET /session` of the proxy, `segur psc whoami --json`,
//! `segur_psc_provider_whoami`): claims, never tokens. One type, used by the proxy, the CLI and
//! the C API.

use serde::{Deserialize, Serialize};

/// The signed-in professional and the session's limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoamiView {
    /// The professional's national identifier (`SubjectNameID`).
    pub national_id: String,
    /// `given_name`, when PSC gave it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub given_name: Option<String>,
    /// `family_name`, when PSC gave it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub family_name: Option<String>,
    /// The desktop software's client id.
    pub client_id: String,
    /// The session's public identifier (as in the traces).
    pub session_id: String,
    /// PSC's `session_state`.
    pub session_state: String,
    /// Seconds before the session ends if unused (idle or absolute limit, the nearer).
    pub expires_in: u64,
    /// The backends the proxy relays to.
    pub backends: Vec<String>,
}
