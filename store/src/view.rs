//! The JSON views of the store, one per contract, shared by `segur inbox ...` and the C API.
//!
//! [`ReviewView`] and [`DocumentView`] hold local ids, hashes, media types and reasons, and the
//! attachment's file name as the sender wrote it (which may name the patient: show it to the
//! user, keep it out of logs); [`crate::inbox::SyncReport`] is the view of a synchronisation
//! (counts only).

use crate::model::{
    ContentHash, DocumentId, DocumentRecord, LocalPatientId, Origin, ReviewId, ReviewItem,
    ReviewReason, ReviewState,
};

/// One stored document. `Debug` leaves out the file name.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct DocumentView {
    /// Id.
    pub id: DocumentId,
    /// SHA-256 of the bytes (hex).
    pub sha256: ContentHash,
    /// Size in bytes.
    pub size: u64,
    /// Origin.
    pub origin: Origin,
    /// Media type.
    pub media_type: String,
    /// File name, when known.
    pub file_name: Option<String>,
    /// The version it replaces.
    pub replaces: Option<DocumentId>,
    /// The linked local patient.
    pub patient: Option<LocalPatientId>,
    /// That link's identity status code (PROV, RECUP, VALI, QUAL).
    pub link_status: Option<&'static str>,
    /// Deleted (tombstone).
    pub deleted: bool,
    /// Filing time, seconds since the Unix epoch.
    pub filed_at: i64,
}

impl std::fmt::Debug for DocumentView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentView")
            .field("id", &self.id)
            .field("sha256", &self.sha256)
            .field("media_type", &self.media_type)
            .field("patient", &self.patient)
            .finish_non_exhaustive()
    }
}

impl From<&DocumentRecord> for DocumentView {
    fn from(d: &DocumentRecord) -> Self {
        Self {
            id: d.id,
            sha256: d.hash,
            size: d.size,
            origin: d.origin,
            media_type: d.media_type.clone(),
            file_name: d.file_name.clone(),
            replaces: d.replaces,
            patient: d.patient,
            link_status: d.link_status.map(|s| s.code()),
            deleted: d.deleted,
            filed_at: d.filed_at,
        }
    }
}

/// One entry of the review list, with its document.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReviewView {
    /// Review id (what `segur inbox attach|reject` take).
    pub id: ReviewId,
    /// Why it waits.
    pub reason: ReviewReason,
    /// State.
    pub state: ReviewState,
    /// Listing time, seconds since the Unix epoch.
    pub listed_at: i64,
    /// The document.
    pub document: DocumentView,
}

impl ReviewView {
    /// The view of `item` with its document.
    pub fn new(item: &ReviewItem, document: &DocumentRecord) -> Self {
        Self {
            id: item.id,
            reason: item.reason,
            state: item.state,
            listed_at: item.listed_at,
            document: document.into(),
        }
    }
}
