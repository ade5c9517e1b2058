//! The proxy's traces: one JSON record per connection, relay and disconnection, with the types
//! and fields of the ANS example proxy (psc.md §6: `CONNECT_SUCCESS`, `CONNECT_REPLAY`,
//! `CONNECT_FAILURE`, `SEND`, `DISCONNECT`; `clientId`, `IdRPPS`, `ipAddress`, `ports`,
//! `proxy_id_session`, `session_state`, `dn`, `timestamp`, `apiRequest`), written to an
//! append-only JSON-lines file, flushed and synced record by record, so a crash loses none.
//!
//! Departures (PROXY.md): `proxy_id_session` is the session's public identifier, never the
//! application token; two types are added, `SEND_REFUSED` (a relay refused: unknown, expired or
//! foreign token) and `TOKEN` (a backend's token handed to the desktop).

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The kind of a trace record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TraceType {
    /// A CIBA login approved and the session opened.
    ConnectSuccess,
    /// A connection request for a session the client already holds: answered without CIBA.
    ConnectReplay,
    /// A connection refused (unknown client, CIBA refused or expired, foreign token, PSC down).
    ConnectFailure,
    /// A request relayed to a backend.
    Send,
    /// A relay refused (no, unknown, expired or foreign application token; unknown backend).
    SendRefused,
    /// A backend's token (exchanged, or the PSC access token) handed to the desktop (`GET /token/<backend>`).
    Token,
    /// A session closed by the desktop.
    Disconnect,
}

/// The relayed request of a `SEND` record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiRequest {
    /// The backend's name.
    #[serde(rename = "nomApiPsc")]
    pub nom_api_psc: String,
    /// The HTTP method.
    pub methode: String,
    /// The path below the backend (without the query string: it may name patients).
    pub path: String,
}

/// One trace record (field names of the ANS example).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// The record's kind.
    #[serde(rename = "type")]
    pub kind: TraceType,
    /// RFC 3339 UTC instant with milliseconds.
    pub timestamp: String,
    /// The desktop software's client id.
    #[serde(rename = "clientId")]
    pub client_id: Option<String>,
    /// The professional's national identifier (a professional identifier, not patient data).
    #[serde(rename = "IdRPPS")]
    pub id_rpps: Option<String>,
    /// The first `X-Forwarded-For` address, or the TCP peer's address.
    #[serde(rename = "ipAddress")]
    pub ip_address: String,
    /// The TCP peer's source port.
    pub ports: String,
    /// The session's public identifier.
    pub proxy_id_session: Option<String>,
    /// PSC's `session_state`.
    pub session_state: Option<String>,
    /// The subject DN of the desktop's TLS certificate (RFC 4514 string).
    pub dn: Option<String>,
    /// The relayed request (`SEND`, `SEND_REFUSED`, `TOKEN`).
    #[serde(
        rename = "apiRequest",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub api_request: Option<ApiRequest>,
    /// Why a `*_FAILURE`/`*_REFUSED` record was written (a fixed reason, no secret).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// The structure of the record's client, when the proxy serves declared structures
    /// (PROXY.md: one PSC client per structure); absent with one implicit structure.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub structure: Option<String>,
}

/// Why a trace could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The file could not be opened, written or synced.
    #[error("trace file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line of the file is not a trace record.
    #[error("trace file {path}: line {line} is not a trace record: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// serde_json's reason.
        reason: String,
    },
}

/// The append-only trace file.
pub struct TraceLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl std::fmt::Debug for TraceLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceLog")
            .field("path", &self.path)
            .finish()
    }
}

impl TraceLog {
    /// Opens (creating) `path` for appending.
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| TraceError::Io {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    /// Appends one record as one line, then flushes and syncs the data to disk.
    pub fn append(&self, trace: &Trace) -> Result<(), TraceError> {
        let mut line = serde_json::to_vec(trace).map_err(|e| TraceError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        line.push(b'\n');
        let mut file = match self.file.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let io = |source| TraceError::Io {
            path: self.path.clone(),
            source,
        };
        // One write of the whole line in append mode: records never interleave.
        file.write_all(&line).map_err(io)?;
        file.flush().map_err(io)?;
        file.sync_data().map_err(io)
    }

    /// Reads every record of the file at `path`, in order; `start`/`end` keep those whose
    /// timestamp is within (RFC 3339, inclusive), as `GET /traces` does.
    pub fn read(
        path: &Path,
        start: Option<chrono::DateTime<chrono::Utc>>,
        end: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Vec<Trace>, TraceError> {
        let file = File::open(path).map_err(|source| TraceError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut out = Vec::new();
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|source| TraceError::Io {
                path: path.to_owned(),
                source,
            })?;
            if line.trim().is_empty() {
                continue;
            }
            let t: Trace = serde_json::from_str(&line).map_err(|e| TraceError::Corrupt {
                path: path.to_owned(),
                line: i + 1,
                reason: e.to_string(),
            })?;
            let at = chrono::DateTime::parse_from_rfc3339(&t.timestamp)
                .map(|d| d.with_timezone(&chrono::Utc))
                .map_err(|e| TraceError::Corrupt {
                    path: path.to_owned(),
                    line: i + 1,
                    reason: format!("timestamp: {e}"),
                })?;
            if start.is_some_and(|s| at < s) || end.is_some_and(|e| at > e) {
                continue;
            }
            out.push(t);
        }
        Ok(out)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Now, as a trace timestamp (RFC 3339, UTC, milliseconds).
pub fn now_timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
