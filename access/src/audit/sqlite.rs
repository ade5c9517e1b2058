//! The embedded audit store: SQLite (compiled in), one row per entry.
//!
//! The database runs in WAL mode with `synchronous = FULL`: every commit is on disk when
//! `append` returns (SQLite "WAL mode ... FULL" durability), and a process killed in the middle
//! of an append leaves the previous commit intact. Each append runs in a `BEGIN IMMEDIATE`
//! transaction that reads the head and inserts after it, so threads and processes appending at
//! once are serialised by SQLite's lock and no entry is lost or forked. Triggers refuse UPDATE
//! and DELETE on the trail: tampering needs a raw edit of the file, which the chain detects.

use super::{AuditEntry, AuditError, AuditEvent, AuditStore, ChainHead, Checkpoint, EventKind};
use super::{CheckpointAlgorithm, Hash32, Outcome};
use crate::clock::UnixTime;
use crate::keys::PatientRef;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::time::Duration;

/// How long a writer waits for another one before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The trail's tables and the triggers that make it append-only.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    actor TEXT,
    workstation TEXT,
    subject TEXT,
    permission TEXT,
    patient TEXT,
    detail TEXT,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    hash BLOB NOT NULL,
    time INTEGER NOT NULL,
    algorithm TEXT NOT NULL,
    signature BLOB NOT NULL,
    certificate BLOB NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
";

/// Opens a SQLite file with the settings every connection of this crate uses: WAL,
/// `synchronous = FULL`, a busy timeout, foreign keys on.
pub fn open_connection(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// The SQLite audit store.
pub struct SqliteAuditStore {
    conn: Connection,
    path: std::path::PathBuf,
}

impl std::fmt::Debug for SqliteAuditStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteAuditStore").finish_non_exhaustive()
    }
}

impl SqliteAuditStore {
    /// Opens (and creates when needed) the trail in the SQLite file at `path`.
    pub fn open(path: &Path) -> Result<Self, AuditError> {
        let mut conn = open_connection(path)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        tx.commit()?;
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    /// Opens an existing trail for verification: a missing or empty file, or one without the
    /// trail's table, is an error rather than a new empty trail.
    pub fn open_existing(path: &Path) -> Result<Self, AuditError> {
        let len = std::fs::metadata(path)
            .map_err(|e| AuditError::Storage(format!("{}: {e}", path.display())))?
            .len();
        if len == 0 {
            return Err(AuditError::Storage(format!(
                "{}: empty file, not an audit trail",
                path.display()
            )));
        }
        let conn = open_connection(path)?;
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' \
             AND name IN ('audit', 'audit_checkpoints')",
            [],
            |r| r.get(0),
        )?;
        if tables != 2 {
            return Err(AuditError::Storage(format!(
                "{}: no audit trail in this database",
                path.display()
            )));
        }
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    /// Compares the file length with the database size its header records (SQLite file
    /// format §1.3.9, valid when the change counter equals the version-valid-for number): a
    /// shorter file was truncated. Only meaningful when the write-ahead log is empty: while
    /// frames wait in it, a checkpoint may legitimately be half-way (it is redone from the log).
    fn check_file_length(&self) -> Result<(), AuditError> {
        use std::io::Read;
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            return Ok(());
        }
        let damaged = |why: String| {
            Err(AuditError::Storage(format!(
                "the database file is damaged: {why}"
            )))
        };
        let mut file = std::fs::File::open(&self.path)
            .map_err(|e| AuditError::Storage(format!("{}: {e}", self.path.display())))?;
        let len = file
            .metadata()
            .map_err(|e| AuditError::Storage(e.to_string()))?
            .len();
        let mut header = [0u8; 100];
        if len < 100 || file.read_exact(&mut header).is_err() {
            return damaged(format!("{len} bytes, shorter than the 100-byte header"));
        }
        let be16 = |at: usize| {
            header
                .get(at..at + 2)
                .and_then(|b| <[u8; 2]>::try_from(b).ok())
                .map_or(0, u16::from_be_bytes)
        };
        let be32 = |at: usize| {
            header
                .get(at..at + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map_or(0, u32::from_be_bytes)
        };
        let page_size = match be16(16) {
            1 => 65536u64,
            n => u64::from(n),
        };
        let pages = u64::from(be32(28));
        if pages != 0 && be32(24) == be32(92) && len < pages * page_size {
            return damaged(format!(
                "{len} bytes where the header records {pages} pages of {page_size} bytes (truncated)"
            ));
        }
        Ok(())
    }

    /// The underlying connection (for the vendor's own queries; the triggers still apply).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

fn blob32(seq: u64, field: &'static str, bytes: Vec<u8>) -> Result<Hash32, AuditError> {
    Hash32::from_slice(&bytes).ok_or(AuditError::Malformed { seq, field })
}

fn row_entry(row: &rusqlite::Row<'_>) -> Result<AuditEntry, AuditError> {
    let seq_raw: i64 = row.get(0)?;
    let seq = u64::try_from(seq_raw).map_err(|_| AuditError::Malformed {
        seq: 0,
        field: "seq",
    })?;
    let text = |i: usize, field: &'static str| -> Result<Option<String>, AuditError> {
        row.get::<_, Option<String>>(i)
            .map_err(|_| AuditError::Malformed { seq, field })
    };
    let kind_name = text(2, "kind")?.unwrap_or_default();
    let kind = EventKind::parse(&kind_name).ok_or(AuditError::Malformed { seq, field: "kind" })?;
    let outcome_name = text(3, "outcome")?.unwrap_or_default();
    let outcome = Outcome::parse(&outcome_name).ok_or(AuditError::Malformed {
        seq,
        field: "outcome",
    })?;
    let patient = match text(8, "patient")? {
        None => None,
        Some(p) => Some(PatientRef::from_stored(&p).ok_or(AuditError::Malformed {
            seq,
            field: "patient",
        })?),
    };
    let time: i64 = row
        .get(1)
        .map_err(|_| AuditError::Malformed { seq, field: "time" })?;
    let prev: Vec<u8> = row.get(10).map_err(|_| AuditError::Malformed {
        seq,
        field: "prev_hash",
    })?;
    let hash: Vec<u8> = row
        .get(11)
        .map_err(|_| AuditError::Malformed { seq, field: "hash" })?;
    Ok(AuditEntry {
        seq,
        time: UnixTime(time),
        event: AuditEvent {
            kind,
            outcome,
            actor: text(4, "actor")?,
            workstation: text(5, "workstation")?,
            subject: text(6, "subject")?,
            permission: text(7, "permission")?,
            patient,
            detail: text(9, "detail")?,
        },
        prev_hash: blob32(seq, "prev_hash", prev)?,
        hash: blob32(seq, "hash", hash)?,
    })
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl AuditStore for SqliteAuditStore {
    fn append(
        &mut self,
        link: &mut dyn FnMut(Option<&ChainHead>) -> Vec<AuditEntry>,
    ) -> Result<Vec<AuditEntry>, AuditError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head = tx
            .query_row(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)),
            )
            .optional()?;
        let head = match head {
            None => None,
            Some((seq, hash)) => {
                let seq = u64::try_from(seq).map_err(|_| AuditError::Malformed {
                    seq: 0,
                    field: "seq",
                })?;
                Some(ChainHead {
                    seq,
                    hash: blob32(seq, "hash", hash)?,
                })
            }
        };
        let entries = link(head.as_ref());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO audit (seq, time, kind, outcome, actor, workstation, subject, \
                 permission, patient, detail, prev_hash, hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            for e in &entries {
                let ev = &e.event;
                insert.execute(params![
                    to_i64(e.seq),
                    e.time.0,
                    ev.kind.as_str(),
                    ev.outcome.as_str(),
                    ev.actor,
                    ev.workstation,
                    ev.subject,
                    ev.permission,
                    ev.patient.as_ref().map(PatientRef::as_str),
                    ev.detail,
                    &e.prev_hash.0[..],
                    &e.hash.0[..],
                ])?;
            }
        }
        tx.commit()?;
        Ok(entries)
    }

    fn scan(
        &self,
        from: u64,
        visit: &mut dyn FnMut(AuditEntry) -> Result<(), AuditError>,
    ) -> Result<(), AuditError> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, time, kind, outcome, actor, workstation, subject, permission, patient, \
             detail, prev_hash, hash FROM audit WHERE seq >= ?1 ORDER BY seq",
        )?;
        let mut rows = stmt.query([to_i64(from)])?;
        while let Some(row) = rows.next()? {
            visit(row_entry(row)?)?;
        }
        Ok(())
    }

    fn head(&self) -> Result<Option<ChainHead>, AuditError> {
        let head = self
            .conn
            .query_row(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)),
            )
            .optional()?;
        match head {
            None => Ok(None),
            Some((seq, hash)) => {
                let seq = u64::try_from(seq).map_err(|_| AuditError::Malformed {
                    seq: 0,
                    field: "seq",
                })?;
                Ok(Some(ChainHead {
                    seq,
                    hash: blob32(seq, "hash", hash)?,
                }))
            }
        }
    }

    /// `PRAGMA quick_check`: every page reachable and well-formed (a truncated file fails it,
    /// even when the lost pages hold no entry the chain would miss).
    fn check_storage(&self) -> Result<(), AuditError> {
        self.check_file_length()?;
        let mut stmt = self.conn.prepare("PRAGMA quick_check")?;
        let mut rows = stmt.query([])?;
        let mut problems = Vec::new();
        while let Some(row) = rows.next()? {
            let line: String = row.get(0)?;
            if line != "ok" && problems.len() < 3 {
                problems.push(line);
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AuditError::Storage(format!(
                "the database file is damaged: {}",
                problems.join("; ")
            )))
        }
    }

    fn add_checkpoint(&mut self, c: &Checkpoint) -> Result<(), AuditError> {
        self.conn.execute(
            "INSERT INTO audit_checkpoints (seq, hash, time, algorithm, signature, certificate) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                to_i64(c.seq),
                &c.hash.0[..],
                c.time.0,
                c.algorithm.as_str(),
                c.signature,
                c.certificate
            ],
        )?;
        Ok(())
    }

    fn checkpoints(&self) -> Result<Vec<Checkpoint>, AuditError> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, hash, time, algorithm, signature, certificate FROM audit_checkpoints \
             ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let seq = u64::try_from(row.get::<_, i64>(0)?).map_err(|_| AuditError::Malformed {
                seq: 0,
                field: "checkpoint seq",
            })?;
            let algorithm_name: String = row.get(3)?;
            out.push(Checkpoint {
                seq,
                hash: blob32(seq, "checkpoint hash", row.get(1)?)?,
                time: UnixTime(row.get(2)?),
                algorithm: CheckpointAlgorithm::parse(&algorithm_name).ok_or(
                    AuditError::Malformed {
                        seq,
                        field: "checkpoint algorithm",
                    },
                )?,
                signature: row.get(4)?,
                certificate: row.get(5)?,
            });
        }
        Ok(out)
    }
}
