//! [`DocumentStore`]: what the inbox and the CLI need from a store, so that a vendor can keep
//! documents in its own database. [`crate::sqlite::SqliteStore`] is the embedded default.
//!
//! Contract an implementation must keep (the SQLite one is tested for each):
//! - [`DocumentStore::file_message`] is atomic: a message's record and all its documents, links
//!   and review entries are stored together or not at all, and a message already recorded (same
//!   folder + UIDVALIDITY + UID, or same Message-ID) changes nothing;
//! - documents are never altered: a replacement is a new row linked to the old one; a deletion
//!   is a tombstone plus an audit record;
//! - review decisions, deletions and documents kept from the DMP are written to the
//!   hash-chained audit trail (`segur_access::audit`);
//! - a document retrieved from the DMP is kept once per uniqueId
//!   ([`DocumentStore::add_retrieved`]).

use crate::error::StoreError;
use crate::model::{
    ArchivePatientId, DocumentId, DocumentRecord, FilingOutcome, Kept, LocalPatientId,
    MessageFiling, MessageRecord, NewDocument, NewPatient, PatientRecord, ReviewDecision, ReviewId,
    ReviewItem, ReviewReason,
};
use segur_ins::{Ins, Traits};

/// Storage of documents, patients, the review list and processed messages.
pub trait DocumentStore {
    /// Creates a local patient.
    fn add_patient(&mut self, patient: &NewPatient) -> Result<LocalPatientId, StoreError>;

    /// Records the identifier a patient had in the portability archive it was recreated from
    /// (a local id under the previous vendor's OID, with its identity status there), so that a
    /// later export of that patient gives the same identifier. Written once per patient. The
    /// default keeps nothing (the export then numbers the patient under its own OID).
    fn set_archive_patient_id(
        &mut self,
        patient: LocalPatientId,
        id: &ArchivePatientId,
    ) -> Result<(), StoreError> {
        let _ = (patient, id);
        Ok(())
    }

    /// The identifier recorded by [`DocumentStore::set_archive_patient_id`].
    fn archive_patient_id(
        &self,
        patient: LocalPatientId,
    ) -> Result<Option<ArchivePatientId>, StoreError> {
        let _ = patient;
        Ok(None)
    }

    /// Every local patient's id, ascending (the export walks them one at a time).
    fn patients(&self) -> Result<Vec<LocalPatientId>, StoreError>;

    /// A local patient.
    fn patient(&self, id: LocalPatientId) -> Result<Option<PatientRecord>, StoreError>;

    /// The local patients holding this INS (matricule compared; several means a duplicate).
    fn patients_with_ins(&self, ins: &Ins) -> Result<Vec<PatientRecord>, StoreError>;

    /// The local patients whose birth name, first given name, sex and birth date equal those of
    /// `traits` (homonym candidates).
    fn patients_with_traits(&self, traits: &Traits) -> Result<Vec<PatientRecord>, StoreError>;

    /// Whether a message was filed (by key or by Message-ID).
    fn is_message_filed(&self, message: &MessageRecord) -> Result<bool, StoreError>;

    /// Files a message and its documents atomically (see the module contract).
    fn file_message(&mut self, filing: &MessageFiling) -> Result<FilingOutcome, StoreError>;

    /// Stores one document outside any message (produced or retrieved).
    fn add_document(&mut self, document: &NewDocument) -> Result<DocumentId, StoreError>;

    /// Keeps a document retrieved from the DMP (`document.origin` is
    /// [`Origin::Retrieved`](crate::model::Origin::Retrieved) and its uniqueId is given) with
    /// an audit record ([`segur_access::audit::EventKind::DocumentRetrieved`], with `actor`),
    /// both in one transaction. The look-up for a retrieved document of that uniqueId, not
    /// deleted, runs inside that transaction (two workstations keeping the same document store
    /// it once): the same bytes give [`Kept::AlreadyKept`] and change nothing, other bytes
    /// give [`StoreError::RetrievedConflict`] and change nothing. `crate::retrieved` decides
    /// the placement and calls this.
    fn add_retrieved(&mut self, document: &NewDocument, actor: &str) -> Result<Kept, StoreError>;

    /// Records that the MDN answering a filed message was sent.
    fn record_mdn_sent(&mut self, message: &MessageRecord) -> Result<(), StoreError>;

    /// Whether the MDN answering a message was sent.
    fn mdn_sent(&self, message: &MessageRecord) -> Result<bool, StoreError>;

    /// The review reasons of the documents filed from a message, in filing order (empty: every
    /// document went to a patient, or the message is unknown). A message re-delivered after a
    /// crash is answered from these, so its MDN says what the first filing decided.
    fn message_review_reasons(
        &self,
        message: &MessageRecord,
    ) -> Result<Vec<ReviewReason>, StoreError>;

    /// A document's record.
    fn document(&self, id: DocumentId) -> Result<Option<DocumentRecord>, StoreError>;

    /// A document's bytes, checked against their SHA-256.
    fn document_bytes(&self, id: DocumentId) -> Result<Vec<u8>, StoreError>;

    /// A document's bytes as a reader, so that a document of any size can be copied without
    /// being held in memory (the portability export streams them). The reader computes the
    /// SHA-256 as it goes and, at the end, fails with an `io::Error` (kind `InvalidData`,
    /// wrapping [`StoreError::HashMismatch`]) when the bytes differ from it. The default reads
    /// [`DocumentStore::document_bytes`] whole; the SQLite store reads the blob incrementally.
    fn document_reader(&self, id: DocumentId) -> Result<Box<dyn std::io::Read + '_>, StoreError> {
        Ok(Box::new(std::io::Cursor::new(self.document_bytes(id)?)))
    }

    /// The documents, deleted or not, whose XDS uniqueId is `unique_id`, oldest first (the
    /// portability import files a document only when no document with its uniqueId and
    /// SHA-256 is stored). The default scans [`DocumentStore::documents`]; the SQLite store
    /// uses its index.
    fn documents_with_unique_id(&self, unique_id: &str) -> Result<Vec<DocumentRecord>, StoreError> {
        Ok(self
            .documents()?
            .into_iter()
            .filter(|d| d.unique_id.as_deref() == Some(unique_id))
            .collect())
    }

    /// The METADATA.XML a document came with, byte for byte as received (its XDS
    /// ExtrinsicObject is in there); `None` for a document without one.
    fn document_metadata(&self, id: DocumentId) -> Result<Option<Vec<u8>>, StoreError>;

    /// The XDS DocumentEntry read from that METADATA.XML.
    fn document_entry(
        &self,
        id: DocumentId,
    ) -> Result<Option<segur_dmp_cda::DocumentEntry>, StoreError>;

    /// The documents linked to a patient, not deleted, oldest first.
    fn documents_of(&self, patient: LocalPatientId) -> Result<Vec<DocumentRecord>, StoreError>;

    /// Every document, deleted or not, oldest first.
    fn documents(&self) -> Result<Vec<DocumentRecord>, StoreError>;

    /// The review list; `open_only` leaves out decided entries.
    fn reviews(&self, open_only: bool) -> Result<Vec<ReviewItem>, StoreError>;

    /// Decides a review entry; the decision goes to the audit trail with `actor`.
    fn decide_review(
        &mut self,
        id: ReviewId,
        decision: &ReviewDecision,
        actor: &str,
    ) -> Result<(), StoreError>;

    /// Runs `work` as one unit: everything it stores is committed together, or nothing is
    /// when it returns an error (the portability import files a whole archive this way).
    fn atomically(
        &mut self,
        work: &mut dyn FnMut(&mut dyn DocumentStore) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Deletes a document: a tombstone, and an audit record with `actor` and `reason`.
    fn delete_document(
        &mut self,
        id: DocumentId,
        reason: &str,
        actor: &str,
    ) -> Result<(), StoreError>;
}
