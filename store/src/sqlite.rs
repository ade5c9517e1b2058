//! The embedded [`DocumentStore`]: one SQLite file (`store.sqlite`) in the store folder.
//!
//! - WAL journal, `synchronous = FULL`, a 30 s busy timeout and `BEGIN IMMEDIATE` for every
//!   write: a process killed in the middle of a filing leaves the previous commit intact
//!   (SQLite atomic commit), and two processes (two counter workstations) writing at once are
//!   serialised by SQLite's lock; the "already filed?" check runs inside the write transaction,
//!   so two filings of one message store it once.
//! - Document bytes are in the database (`blobs`, keyed by SHA-256), not in a folder beside it:
//!   one transaction then covers bytes and records (no orphan file, no record without its file
//!   after a crash), and for documents of a few kB to a few hundred kB SQLite reads and writes
//!   blobs as fast as or faster than one file each (measured in `benches/filing.rs`,
//!   BENCHMARKS.md § segur-store).
//! - Triggers refuse UPDATE and DELETE on blobs, documents, links and messages: a document is
//!   never altered; a replacement is a new row whose `replaces` names the old one.
//! - The audit trail (`segur_access::audit`, tables `audit*`) lives in the same file. A review
//!   decision or a deletion is committed together with its audit event in an outbox table
//!   (`pending_audit`), then appended to the hash-chained trail and removed from the outbox; an
//!   outbox left by a crash is flushed when the store is next opened, so no decision is ever
//!   without its audit record. A document kept from the DMP goes the same way.

use crate::document_store::DocumentStore;
use crate::error::StoreError;
use crate::model::{
    ArchivePatientId, ContentHash, DocumentId, DocumentRecord, FilingOutcome, Kept, LocalPatientId,
    MessageFiling, MessageRecord, NewDocument, NewPatient, Origin, PatientRecord, Placement,
    ReviewDecision, ReviewId, ReviewItem, ReviewReason, ReviewState,
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use segur_access::audit::sqlite::SqliteAuditStore;
use segur_access::audit::{AuditEvent, AuditLog, EventKind, Outcome};
use segur_access::clock::SystemClock;
use segur_ins::{IdentityStatus, Ins, Traits};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long a writer waits for another process before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Name of the database file inside the store folder.
pub const DATABASE_FILE: &str = "store.sqlite";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS blobs (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    bytes BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS patients (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    ins_matricule TEXT,
    ins_oid TEXT,
    traits TEXT NOT NULL,
    traits_key BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS patients_ins ON patients(ins_matricule);
CREATE INDEX IF NOT EXISTS patients_traits ON patients(traits_key);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    mailbox TEXT NOT NULL,
    uid_validity INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    message_id TEXT,
    filed_at INTEGER NOT NULL,
    UNIQUE (mailbox, uid_validity, uid)
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_message_id ON messages(message_id)
    WHERE message_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS mdn_sent (
    message INTEGER PRIMARY KEY REFERENCES messages(id),
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL REFERENCES blobs(hash),
    size INTEGER NOT NULL,
    origin TEXT NOT NULL,
    media_type TEXT NOT NULL,
    file_name TEXT,
    unique_id TEXT,
    entry_json TEXT,
    metadata_hash BLOB REFERENCES blobs(hash),
    replaces INTEGER REFERENCES documents(id),
    message INTEGER REFERENCES messages(id),
    filed_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_unique_id ON documents(unique_id);
CREATE TABLE IF NOT EXISTS links (
    id INTEGER PRIMARY KEY,
    document INTEGER NOT NULL REFERENCES documents(id),
    patient INTEGER NOT NULL REFERENCES patients(id),
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS links_document ON links(document);
CREATE INDEX IF NOT EXISTS links_patient ON links(patient);
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY,
    document INTEGER NOT NULL UNIQUE REFERENCES documents(id),
    reason TEXT NOT NULL,
    listed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS review_decisions (
    review INTEGER PRIMARY KEY REFERENCES reviews(id),
    decision TEXT NOT NULL,
    patient INTEGER REFERENCES patients(id),
    actor TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tombstones (
    document INTEGER PRIMARY KEY REFERENCES documents(id),
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS archive_patient_ids (
    patient INTEGER PRIMARY KEY REFERENCES patients(id),
    cx TEXT NOT NULL,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_audit (
    id INTEGER PRIMARY KEY,
    event TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS blobs_no_update BEFORE UPDATE ON blobs
BEGIN SELECT RAISE(ABORT, 'stored bytes are never altered'); END;
CREATE TRIGGER IF NOT EXISTS blobs_no_delete BEFORE DELETE ON blobs
BEGIN SELECT RAISE(ABORT, 'stored bytes are never deleted: a tombstone marks a deletion'); END;
CREATE TRIGGER IF NOT EXISTS documents_no_update BEFORE UPDATE ON documents
BEGIN SELECT RAISE(ABORT, 'documents are never altered: store a new version'); END;
CREATE TRIGGER IF NOT EXISTS documents_no_delete BEFORE DELETE ON documents
BEGIN SELECT RAISE(ABORT, 'documents are never deleted: a tombstone marks a deletion'); END;
CREATE TRIGGER IF NOT EXISTS links_no_update BEFORE UPDATE ON links
BEGIN SELECT RAISE(ABORT, 'links are append-only'); END;
CREATE TRIGGER IF NOT EXISTS messages_no_delete BEFORE DELETE ON messages
BEGIN SELECT RAISE(ABORT, 'processed messages are never forgotten'); END;
";

/// id, status, INS matricule, INS OID, traits (JSON).
type PatientRow = (i64, String, Option<String>, Option<String>, String);

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The key of the four strict traits compared to find homonym candidates (nom de naissance,
/// premier prénom, sexe, date de naissance; RNIV EXI PP 05), as normalised by `segur-ins`.
fn traits_key(traits: &Traits) -> ContentHash {
    let text = format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}",
        traits.birth_name().expose(),
        traits.first_given_name().expose(),
        traits.sex().code(),
        traits.birth_date().to_hl7()
    );
    ContentHash::of(text.as_bytes())
}

fn status_from(code: &str, row: i64) -> Result<IdentityStatus, StoreError> {
    IdentityStatus::from_code(code).ok_or(StoreError::Corrupt {
        what: "identity status",
        row,
    })
}

fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), StoreError> {
    if value.chars().count() > max {
        return Err(StoreError::InvalidField {
            field,
            reason: "too long",
        });
    }
    if value.chars().any(char::is_control) {
        return Err(StoreError::InvalidField {
            field,
            reason: "control character",
        });
    }
    Ok(())
}

/// A blob read incrementally, its SHA-256 computed on the way and checked at the end.
struct CheckedBlob<'c> {
    blob: rusqlite::blob::Blob<'c>,
    /// `None` once the end was reached and checked.
    digest: Option<ring::digest::Context>,
    expected: [u8; 32],
    id: DocumentId,
}

impl std::io::Read for CheckedBlob<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.blob.read(buf)?;
        if n == 0 {
            if let Some(digest) = self.digest.take()
                && digest.finish().as_ref() != self.expected.as_slice()
            {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    StoreError::HashMismatch(self.id),
                ));
            }
            return Ok(0);
        }
        if let Some(digest) = self.digest.as_mut() {
            digest.update(buf.get(..n).unwrap_or_default());
        }
        Ok(n)
    }
}

/// The SQLite document store in a folder.
pub struct SqliteStore {
    conn: Connection,
    audit: AuditLog,
    folder: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the store in `folder`, creating the folder and the database when needed, and
    /// flushes audit events a crash left in the outbox.
    pub fn open(folder: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(folder).map_err(|source| StoreError::Io {
            path: folder.display().to_string(),
            source,
        })?;
        let path = folder.join(DATABASE_FILE);
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        tx.commit()?;
        let audit = AuditLog::new(
            Box::new(SqliteAuditStore::open(&path)?),
            Arc::new(SystemClock),
        );
        let mut store = Self {
            conn,
            audit,
            folder: folder.to_owned(),
        };
        store.flush_audit()?;
        Ok(store)
    }

    /// The store folder.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The audit trail (to verify or export it).
    pub fn audit(&mut self) -> &mut AuditLog {
        &mut self.audit
    }

    /// SQLite's own consistency check (`PRAGMA integrity_check`) and the foreign keys, plus
    /// every document's bytes against their SHA-256. Returns the number of documents checked.
    pub fn check(&self) -> Result<usize, StoreError> {
        let ok: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if ok != "ok" {
            return Err(StoreError::Corrupt {
                what: "database (integrity_check)",
                row: 0,
            });
        }
        let fk: Option<i64> = self
            .conn
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(1))
            .optional()?;
        if fk.is_some() {
            return Err(StoreError::Corrupt {
                what: "foreign key",
                row: 0,
            });
        }
        let ids: Vec<i64> = self
            .conn
            .prepare("SELECT id FROM documents ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in &ids {
            self.document_bytes(DocumentId(*id))?;
        }
        Ok(ids.len())
    }

    /// Moves outbox events to the hash-chained trail (each removed once appended; an event
    /// appended but not yet removed when a crash happens is appended again: the trail may
    /// show it twice, never zero times).
    fn flush_audit(&mut self) -> Result<(), StoreError> {
        let pending: Vec<(i64, String)> = self
            .conn
            .prepare("SELECT id, event FROM pending_audit ORDER BY id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, json) in pending {
            let event: AuditEvent =
                serde_json::from_str(&json).map_err(|_| StoreError::Corrupt {
                    what: "pending audit event",
                    row: id,
                })?;
            self.audit.append(event)?;
            self.conn
                .execute("DELETE FROM pending_audit WHERE id = ?1", [id])?;
        }
        Ok(())
    }

    fn put_blob(tx: &Connection, bytes: &[u8]) -> Result<ContentHash, StoreError> {
        let hash = ContentHash::of(bytes);
        tx.execute(
            "INSERT INTO blobs (hash, bytes) VALUES (?1, ?2) ON CONFLICT (hash) DO NOTHING",
            params![&hash.0[..], bytes],
        )?;
        Ok(hash)
    }

    fn insert_document(
        tx: &Connection,
        doc: &NewDocument,
        message: Option<i64>,
        at: i64,
    ) -> Result<DocumentId, StoreError> {
        if let Some(name) = &doc.file_name {
            check_text("file name", name, 255)?;
        }
        check_text("media type", &doc.media_type, 255)?;
        let hash = Self::put_blob(tx, &doc.bytes)?;
        let metadata_hash = doc
            .metadata_xml
            .as_deref()
            .map(|m| Self::put_blob(tx, m))
            .transpose()?;
        let entry_json = doc
            .entry
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|_| StoreError::InvalidField {
                field: "XDS entry",
                reason: "not serialisable",
            })?;
        let replaces: Option<i64> = match &doc.replaces_unique_id {
            Some(old) => tx
                .query_row(
                    "SELECT max(id) FROM documents WHERE unique_id = ?1",
                    [old],
                    |r| r.get(0),
                )
                .optional()?
                .flatten(),
            None => None,
        };
        tx.execute(
            "INSERT INTO documents (hash, size, origin, media_type, file_name, unique_id, \
             entry_json, metadata_hash, replaces, message, filed_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                &hash.0[..],
                i64::try_from(doc.bytes.len()).unwrap_or(i64::MAX),
                doc.origin.as_str(),
                doc.media_type,
                doc.file_name,
                doc.unique_id,
                entry_json,
                metadata_hash.as_ref().map(|h| h.0.to_vec()),
                replaces,
                message,
                at
            ],
        )?;
        let id = tx.last_insert_rowid();
        match doc.placement {
            Placement::Patient { patient, status } => {
                tx.execute(
                    "INSERT INTO links (document, patient, status, source, at) \
                     VALUES (?1, ?2, ?3, 'automatic', ?4)",
                    params![id, patient.0, status.code(), at],
                )?;
            }
            Placement::Review(reason) => {
                tx.execute(
                    "INSERT INTO reviews (document, reason, listed_at) VALUES (?1, ?2, ?3)",
                    params![id, reason.as_str(), at],
                )?;
            }
        }
        Ok(DocumentId(id))
    }

    fn message_row(conn: &Connection, message: &MessageRecord) -> Result<Option<i64>, StoreError> {
        let by_key: Option<i64> = conn
            .query_row(
                "SELECT id FROM messages WHERE mailbox = ?1 AND uid_validity = ?2 AND uid = ?3",
                params![message.mailbox, message.uid_validity, message.uid],
                |r| r.get(0),
            )
            .optional()?;
        if by_key.is_some() {
            return Ok(by_key);
        }
        match &message.message_id {
            Some(mid) => Ok(conn
                .query_row(
                    "SELECT id FROM messages WHERE message_id = ?1",
                    [mid],
                    |r| r.get(0),
                )
                .optional()?),
            None => Ok(None),
        }
    }

    fn patient_rows(
        &self,
        sql: &str,
        param: &dyn rusqlite::ToSql,
    ) -> Result<Vec<PatientRecord>, StoreError> {
        let rows: Vec<PatientRow> = self
            .conn
            .prepare(sql)?
            .query_map([param], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(id, status, matricule, oid, traits)| {
                let traits: Traits =
                    serde_json::from_str(&traits).map_err(|_| StoreError::Corrupt {
                        what: "patient traits",
                        row: id,
                    })?;
                let ins = match (matricule, oid) {
                    (Some(m), Some(o)) => {
                        Some(Ins::from_parts(&m, &o).map_err(|_| StoreError::Corrupt {
                            what: "patient INS",
                            row: id,
                        })?)
                    }
                    _ => None,
                };
                Ok(PatientRecord {
                    id: LocalPatientId(id),
                    traits,
                    status: status_from(&status, id)?,
                    ins,
                })
            })
            .collect()
    }

    fn document_rows(
        &self,
        filter: &str,
        param: &dyn rusqlite::ToSql,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        let sql = format!(
            "SELECT d.id, d.hash, d.size, d.origin, d.media_type, d.file_name, d.unique_id, \
             d.replaces, l.patient, l.status, t.document IS NOT NULL, d.filed_at \
             FROM documents d \
             LEFT JOIN links l ON l.id = (SELECT max(id) FROM links WHERE document = d.id) \
             LEFT JOIN tombstones t ON t.document = d.id \
             WHERE {filter} ORDER BY d.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([param], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<i64>>(7)?,
                r.get::<_, Option<i64>>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, bool>(10)?,
                r.get::<_, i64>(11)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                hash,
                size,
                origin,
                media_type,
                file_name,
                unique_id,
                replaces,
                patient,
                status,
                deleted,
                filed_at,
            ) = row?;
            let corrupt = |what| StoreError::Corrupt { what, row: id };
            out.push(DocumentRecord {
                id: DocumentId(id),
                hash: ContentHash(hash.try_into().map_err(|_| corrupt("document hash"))?),
                size: u64::try_from(size).map_err(|_| corrupt("document size"))?,
                origin: Origin::parse(&origin).ok_or_else(|| corrupt("document origin"))?,
                media_type,
                file_name,
                unique_id,
                replaces: replaces.map(DocumentId),
                patient: patient.map(LocalPatientId),
                link_status: status.map(|s| status_from(&s, id)).transpose()?,
                deleted,
                filed_at,
            });
        }
        Ok(out)
    }

    /// The retrieved documents of `unique_id` not deleted, newest first: (id, SHA-256).
    fn kept_retrieved(
        conn: &Connection,
        unique_id: &str,
    ) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        Ok(conn
            .prepare(
                "SELECT d.id, d.hash FROM documents d \
                 LEFT JOIN tombstones t ON t.document = d.id \
                 WHERE d.unique_id = ?1 AND d.origin = 'retrieved' AND t.document IS NULL \
                 ORDER BY d.id DESC",
            )?
            .query_map([unique_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?)
    }

    /// [`DocumentStore::add_retrieved`] inside a transaction or savepoint the caller commits.
    fn insert_retrieved(
        tx: &Connection,
        document: &NewDocument,
        unique_id: &str,
        actor: &str,
    ) -> Result<Kept, StoreError> {
        let hash = ContentHash::of(&document.bytes);
        let kept = Self::kept_retrieved(tx, unique_id)?;
        if let Some((id, _)) = kept.iter().find(|(_, h)| h[..] == hash.0[..]) {
            return Ok(Kept::AlreadyKept(DocumentId(*id)));
        }
        if let Some((id, _)) = kept.first() {
            return Err(StoreError::RetrievedConflict(DocumentId(*id)));
        }
        let id = Self::insert_document(tx, document, None, now())?;
        // The trail names the stored document and a hash of the uniqueId, never the patient.
        let placed = match document.placement {
            Placement::Patient { patient, .. } => format!("filed to local patient {patient}"),
            Placement::Review(reason) => format!("listed for review ({})", reason.as_str()),
        };
        let event = AuditEvent::new(EventKind::DocumentRetrieved, Outcome::Success)
            .actor(actor)
            .subject(&format!("document {id}"))
            .detail(format!(
                "retrieved from the DMP (uniqueId sha256:{}): {placed}",
                ContentHash::of(unique_id.as_bytes()).to_hex()
            ));
        let json = serde_json::to_string(&event).map_err(|_| StoreError::InvalidField {
            field: "audit event",
            reason: "not serialisable",
        })?;
        tx.execute("INSERT INTO pending_audit (event) VALUES (?1)", [json])?;
        Ok(Kept::Stored(id))
    }

    /// Commits `work` and its audit event in one transaction, then moves the event to the
    /// trail.
    fn with_audit(
        &mut self,
        event: AuditEvent,
        work: impl FnOnce(&Transaction<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(&event).map_err(|_| StoreError::InvalidField {
            field: "audit event",
            reason: "not serialisable",
        })?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        work(&tx)?;
        tx.execute("INSERT INTO pending_audit (event) VALUES (?1)", [json])?;
        tx.commit()?;
        self.flush_audit()
    }
}

impl DocumentStore for SqliteStore {
    fn add_patient(&mut self, patient: &NewPatient) -> Result<LocalPatientId, StoreError> {
        let carries_ins = matches!(
            patient.status,
            IdentityStatus::Recuperee | IdentityStatus::Qualifiee
        );
        if carries_ins != patient.ins.is_some() {
            return Err(StoreError::StatusWithoutIns {
                status: patient.status.code(),
            });
        }
        let traits =
            serde_json::to_string(&patient.traits).map_err(|_| StoreError::InvalidField {
                field: "traits",
                reason: "not serialisable",
            })?;
        self.conn.execute(
            "INSERT INTO patients (status, ins_matricule, ins_oid, traits, traits_key, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                patient.status.code(),
                patient.ins.map(|i| i.matricule().expose().to_owned()),
                patient.ins.map(|i| i.authority().oid()),
                traits,
                &traits_key(&patient.traits).0[..],
                now()
            ],
        )?;
        Ok(LocalPatientId(self.conn.last_insert_rowid()))
    }

    fn set_archive_patient_id(
        &mut self,
        patient: LocalPatientId,
        id: &ArchivePatientId,
    ) -> Result<(), StoreError> {
        check_text("archive patient id", &id.cx, 255)?;
        // Written once, when the patient is recreated: never replaced (the table is the
        // archive's word, kept as received).
        self.conn.execute(
            "INSERT INTO archive_patient_ids (patient, cx, status) VALUES (?1, ?2, ?3)",
            params![patient.0, id.cx, id.status.code()],
        )?;
        Ok(())
    }

    fn archive_patient_id(
        &self,
        patient: LocalPatientId,
    ) -> Result<Option<ArchivePatientId>, StoreError> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT cx, status FROM archive_patient_ids WHERE patient = ?1",
                [patient.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(cx, status)| {
            Ok(ArchivePatientId {
                cx,
                status: status_from(&status, patient.0)?,
            })
        })
        .transpose()
    }

    fn patients(&self) -> Result<Vec<LocalPatientId>, StoreError> {
        let ids: Vec<i64> = self
            .conn
            .prepare("SELECT id FROM patients ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids.into_iter().map(LocalPatientId).collect())
    }

    fn atomically(
        &mut self,
        work: &mut dyn FnMut(&mut dyn DocumentStore) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        if !self.conn.is_autocommit() {
            return Err(StoreError::InvalidField {
                field: "transaction",
                reason: "already inside one",
            });
        }
        // BEGIN IMMEDIATE: the write lock is taken now, so what `work` reads (is the store
        // empty? which patient holds this INS?) stays true until the commit.
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match work(self) {
            Ok(()) => {
                if let Err(e) = self.conn.execute_batch("COMMIT") {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    return Err(e.into());
                }
                Ok(())
            }
            Err(e) => {
                self.conn.execute_batch("ROLLBACK")?;
                Err(e)
            }
        }
    }

    fn patient(&self, id: LocalPatientId) -> Result<Option<PatientRecord>, StoreError> {
        Ok(self
            .patient_rows(
                "SELECT id, status, ins_matricule, ins_oid, traits FROM patients WHERE id = ?1",
                &id.0,
            )?
            .pop())
    }

    fn patients_with_ins(&self, ins: &Ins) -> Result<Vec<PatientRecord>, StoreError> {
        self.patient_rows(
            "SELECT id, status, ins_matricule, ins_oid, traits FROM patients \
             WHERE ins_matricule = ?1 ORDER BY id",
            &ins.matricule().expose(),
        )
    }

    fn patients_with_traits(&self, traits: &Traits) -> Result<Vec<PatientRecord>, StoreError> {
        self.patient_rows(
            "SELECT id, status, ins_matricule, ins_oid, traits FROM patients \
             WHERE traits_key = ?1 ORDER BY id",
            &traits_key(traits).0.to_vec(),
        )
    }

    fn is_message_filed(&self, message: &MessageRecord) -> Result<bool, StoreError> {
        Ok(Self::message_row(&self.conn, message)?.is_some())
    }

    fn file_message(&mut self, filing: &MessageFiling) -> Result<FilingOutcome, StoreError> {
        let m = &filing.message;
        check_text("mailbox", &m.mailbox, 1024)?;
        if let Some(mid) = &m.message_id {
            check_text("Message-ID", mid, 998)?;
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Checked inside the write lock: a second process filing the same message waits here
        // for the first one's commit, then sees it.
        if Self::message_row(&tx, m)?.is_some() {
            return Ok(FilingOutcome::AlreadyFiled);
        }
        let at = now();
        tx.execute(
            "INSERT INTO messages (mailbox, uid_validity, uid, message_id, filed_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![m.mailbox, m.uid_validity, m.uid, m.message_id, at],
        )?;
        let message = tx.last_insert_rowid();
        let ids = filing
            .documents
            .iter()
            .map(|d| Self::insert_document(&tx, d, Some(message), at))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        Ok(FilingOutcome::Filed(ids))
    }

    fn add_document(&mut self, document: &NewDocument) -> Result<DocumentId, StoreError> {
        if !self.conn.is_autocommit() {
            // Inside `atomically`: a savepoint, so a refused document leaves no blob behind.
            let sp = self.conn.savepoint()?;
            let id = Self::insert_document(&sp, document, None, now())?;
            sp.commit()?;
            return Ok(id);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = Self::insert_document(&tx, document, None, now())?;
        tx.commit()?;
        Ok(id)
    }

    fn add_retrieved(&mut self, document: &NewDocument, actor: &str) -> Result<Kept, StoreError> {
        check_text("actor", actor, 256)?;
        let unique_id = match (&document.unique_id, document.origin) {
            (Some(u), Origin::Retrieved) if !u.is_empty() => u.as_str(),
            (_, Origin::Retrieved) => {
                return Err(StoreError::InvalidField {
                    field: "uniqueId",
                    reason: "a document retrieved from the DMP needs its uniqueId",
                });
            }
            _ => {
                return Err(StoreError::InvalidField {
                    field: "origin",
                    reason: "only a document retrieved from the DMP is kept this way",
                });
            }
        };
        check_text("uniqueId", unique_id, 256)?;
        if !self.conn.is_autocommit() {
            // Inside `atomically`: a savepoint; the audit event waits in the outbox until the
            // next audited write or the next opening flushes it.
            let sp = self.conn.savepoint()?;
            let kept = Self::insert_retrieved(&sp, document, unique_id, actor)?;
            sp.commit()?;
            return Ok(kept);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let kept = Self::insert_retrieved(&tx, document, unique_id, actor)?;
        tx.commit()?;
        if let Kept::Stored(_) = kept {
            self.flush_audit()?;
        }
        Ok(kept)
    }

    fn record_mdn_sent(&mut self, message: &MessageRecord) -> Result<(), StoreError> {
        let row = Self::message_row(&self.conn, message)?.ok_or(StoreError::InvalidField {
            field: "message",
            reason: "not filed",
        })?;
        self.conn.execute(
            "INSERT INTO mdn_sent (message, at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![row, now()],
        )?;
        Ok(())
    }

    fn mdn_sent(&self, message: &MessageRecord) -> Result<bool, StoreError> {
        let Some(row) = Self::message_row(&self.conn, message)? else {
            return Ok(false);
        };
        Ok(self
            .conn
            .query_row("SELECT 1 FROM mdn_sent WHERE message = ?1", [row], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }

    fn message_review_reasons(
        &self,
        message: &MessageRecord,
    ) -> Result<Vec<ReviewReason>, StoreError> {
        let Some(row) = Self::message_row(&self.conn, message)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare(
            "SELECT r.id, r.reason FROM reviews r JOIN documents d ON d.id = r.document \
             WHERE d.message = ?1 ORDER BY d.id, r.id",
        )?;
        let rows: Vec<(i64, String)> = stmt
            .query_map([row], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(id, reason)| {
                ReviewReason::parse(&reason).ok_or(StoreError::Corrupt {
                    what: "review reason",
                    row: id,
                })
            })
            .collect()
    }

    fn document(&self, id: DocumentId) -> Result<Option<DocumentRecord>, StoreError> {
        Ok(self.document_rows("d.id = ?1", &id.0)?.pop())
    }

    fn document_bytes(&self, id: DocumentId) -> Result<Vec<u8>, StoreError> {
        let (hash, bytes): (Vec<u8>, Vec<u8>) = self
            .conn
            .query_row(
                "SELECT b.hash, b.bytes FROM documents d JOIN blobs b ON b.hash = d.hash \
                 WHERE d.id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or(StoreError::UnknownDocument(id))?;
        if ContentHash::of(&bytes).0[..] != hash[..] {
            return Err(StoreError::HashMismatch(id));
        }
        Ok(bytes)
    }

    fn document_reader(&self, id: DocumentId) -> Result<Box<dyn std::io::Read + '_>, StoreError> {
        let (row, hash): (i64, Vec<u8>) = self
            .conn
            .query_row(
                "SELECT b.id, b.hash FROM documents d JOIN blobs b ON b.hash = d.hash \
                 WHERE d.id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or(StoreError::UnknownDocument(id))?;
        let expected: [u8; 32] = hash.try_into().map_err(|_| StoreError::Corrupt {
            what: "document hash",
            row: id.0,
        })?;
        // Incremental blob I/O (sqlite3_blob_open): the bytes are read in the caller's chunks,
        // never whole. Read-only; blobs are never updated (trigger), so the handle stays valid.
        let blob =
            self.conn
                .blob_open(rusqlite::DatabaseName::Main, "blobs", "bytes", row, true)?;
        Ok(Box::new(CheckedBlob {
            blob,
            digest: Some(ring::digest::Context::new(&ring::digest::SHA256)),
            expected,
            id,
        }))
    }

    fn documents_with_unique_id(&self, unique_id: &str) -> Result<Vec<DocumentRecord>, StoreError> {
        self.document_rows("d.unique_id = ?1", &unique_id)
    }

    fn document_metadata(&self, id: DocumentId) -> Result<Option<Vec<u8>>, StoreError> {
        let (hash, bytes): (Option<Vec<u8>>, Option<Vec<u8>>) = self
            .conn
            .query_row(
                "SELECT d.metadata_hash, b.bytes FROM documents d \
                 LEFT JOIN blobs b ON b.hash = d.metadata_hash WHERE d.id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or(StoreError::UnknownDocument(id))?;
        match (hash, bytes) {
            (Some(hash), Some(bytes)) if ContentHash::of(&bytes).0[..] == hash[..] => {
                Ok(Some(bytes))
            }
            (Some(_), _) => Err(StoreError::HashMismatch(id)),
            (None, _) => Ok(None),
        }
    }

    fn document_entry(
        &self,
        id: DocumentId,
    ) -> Result<Option<segur_dmp_cda::DocumentEntry>, StoreError> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT entry_json FROM documents WHERE id = ?1",
                [id.0],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(StoreError::UnknownDocument(id))?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|_| StoreError::Corrupt {
                what: "XDS entry",
                row: id.0,
            })
        })
        .transpose()
    }

    fn documents_of(&self, patient: LocalPatientId) -> Result<Vec<DocumentRecord>, StoreError> {
        // The documents ever linked to the patient first (index `links_patient`), then their
        // current link: filtering on the current link alone made SQLite visit every document
        // for each patient (an export of P patients and N documents did P x N lookups).
        self.document_rows(
            "d.id IN (SELECT document FROM links WHERE patient = ?1) AND l.patient = ?1 \
             AND t.document IS NULL",
            &patient.0,
        )
    }

    fn documents(&self) -> Result<Vec<DocumentRecord>, StoreError> {
        self.document_rows("?1", &1)
    }

    fn reviews(&self, open_only: bool) -> Result<Vec<ReviewItem>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT r.id, r.document, r.reason, r.listed_at, x.decision FROM reviews r \
             LEFT JOIN review_decisions x ON x.review = r.id \
             WHERE (?1 = 0 OR x.review IS NULL) ORDER BY r.id",
        )?;
        let rows: Vec<(i64, i64, String, i64, Option<String>)> = stmt
            .query_map([i64::from(open_only)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(id, document, reason, listed_at, decision)| {
                Ok(ReviewItem {
                    id: ReviewId(id),
                    document: DocumentId(document),
                    reason: ReviewReason::parse(&reason).ok_or(StoreError::Corrupt {
                        what: "review reason",
                        row: id,
                    })?,
                    state: match decision.as_deref() {
                        None => ReviewState::Open,
                        Some("attach") => ReviewState::Attached,
                        Some("reject") => ReviewState::Rejected,
                        Some(_) => {
                            return Err(StoreError::Corrupt {
                                what: "review decision",
                                row: id,
                            });
                        }
                    },
                    listed_at,
                })
            })
            .collect()
    }

    fn decide_review(
        &mut self,
        id: ReviewId,
        decision: &ReviewDecision,
        actor: &str,
    ) -> Result<(), StoreError> {
        check_text("actor", actor, 256)?;
        let (kind, name, patient) = match decision {
            ReviewDecision::Attach(p) => (EventKind::DocumentAttached, "attach", Some(*p)),
            ReviewDecision::Reject => (EventKind::DocumentRejected, "reject", None),
        };
        let (document, reason): (i64, String) = self
            .conn
            .query_row(
                "SELECT document, reason FROM reviews WHERE id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or(StoreError::UnknownReview(id))?;
        let status = match patient {
            Some(p) => Some(
                self.patient(p)?
                    .ok_or(StoreError::UnknownPatient(p))?
                    .status,
            ),
            None => None,
        };
        let event = AuditEvent::new(kind, Outcome::Success)
            .actor(actor)
            .subject(&format!("document {document}"))
            .detail(match patient {
                Some(p) => format!("review {id} ({reason}): attached to local patient {p}"),
                None => format!("review {id} ({reason}): rejected"),
            });
        self.with_audit(event, |tx| {
            let at = now();
            let inserted = tx.execute(
                "INSERT INTO review_decisions (review, decision, patient, actor, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (review) DO NOTHING",
                params![id.0, name, patient.map(|p| p.0), actor, at],
            )?;
            if inserted == 0 {
                return Err(StoreError::AlreadyDecided(id));
            }
            if let (Some(p), Some(status)) = (patient, status) {
                tx.execute(
                    "INSERT INTO links (document, patient, status, source, at) \
                     VALUES (?1, ?2, ?3, 'review', ?4)",
                    params![document, p.0, status.code(), at],
                )?;
            }
            Ok(())
        })
    }

    fn delete_document(
        &mut self,
        id: DocumentId,
        reason: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        check_text("actor", actor, 256)?;
        check_text("reason", reason, 512)?;
        if self.document(id)?.is_none() {
            return Err(StoreError::UnknownDocument(id));
        }
        let event = AuditEvent::new(EventKind::DocumentDeleted, Outcome::Success)
            .actor(actor)
            .subject(&format!("document {id}"))
            .detail(reason);
        self.with_audit(event, |tx| {
            tx.execute(
                "INSERT INTO tombstones (document, reason, actor, at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (document) DO NOTHING",
                params![id.0, reason, actor, now()],
            )?;
            Ok(())
        })
    }
}
