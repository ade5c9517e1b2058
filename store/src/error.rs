//! Errors of the store and of the inbox, layered by source. No variant carries patient data:
//! identifiers named are the store's own (local patient id, document id, review id).

use crate::model::{DocumentId, LocalPatientId, ReviewId};

/// Why the store could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite refused an operation.
    #[error("store database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file of the store could not be created or read.
    #[error("store folder {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The audit trail could not be written.
    #[error("audit trail: {0}")]
    Audit(#[from] segur_access::audit::AuditError),
    /// A stored value is not what the store writes (a damaged or foreign database).
    #[error("stored value unreadable: {what} of row {row}")]
    Corrupt {
        /// Which column.
        what: &'static str,
        /// Row id.
        row: i64,
    },
    /// The bytes of a document do not match their SHA-256 any more.
    #[error("document {0}: stored bytes do not match their SHA-256")]
    HashMismatch(DocumentId),
    /// No such document.
    #[error("no document {0}")]
    UnknownDocument(DocumentId),
    /// No such patient.
    #[error("no local patient {0}")]
    UnknownPatient(LocalPatientId),
    /// No such review entry.
    #[error("no review entry {0}")]
    UnknownReview(ReviewId),
    /// The review entry was decided before.
    #[error("review entry {0} is already decided")]
    AlreadyDecided(ReviewId),
    /// A patient whose status carries an INS was given none, or the reverse (RNIV: PROV and
    /// VALI carry no INS, RECUP and QUAL carry one).
    #[error("identity status {status} and INS presence disagree")]
    StatusWithoutIns {
        /// The status code.
        status: &'static str,
    },
    /// The caller of [`crate::DocumentStore::atomically`] abandoned its work: nothing was
    /// stored.
    #[error("abandoned: nothing was stored")]
    Abandoned,
    /// A document retrieved from the DMP has the uniqueId of a kept retrieved document but
    /// other bytes: a uniqueId names one document (IHE ITI TF-3 §4.2.3.2.26), so the kept one
    /// is never replaced and a person looks into it.
    #[error(
        "a document retrieved from the DMP with this uniqueId is kept with other bytes \
         (document {0}); it is left unchanged"
    )]
    RetrievedConflict(DocumentId),
    /// The kept document of a uniqueId is filed to a local identity holding another INS than
    /// the one given ([`crate::retrieved::find_retrieved_for`]): not answered from the store.
    #[error(
        "document {document} kept from the DMP is filed to local patient {patient}, whose INS \
         is not the one given"
    )]
    RetrievedForAnotherPatient {
        /// The kept document.
        document: DocumentId,
        /// The local identity it is filed to.
        patient: LocalPatientId,
    },
    /// A text field is too long or holds a control character.
    #[error("{field}: {reason}")]
    InvalidField {
        /// Which field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
}

/// Why an inbox synchronisation stopped. Messages processed before the error stay filed and
/// flagged; the failing message is neither, and is handed again by the next run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// The mailbox could not be read or flagged.
    #[error("mailbox: {0}")]
    Mailbox(#[from] segur_mssante::MssError),
    /// The store refused a filing.
    #[error(transparent)]
    Store(#[from] StoreError),
}
