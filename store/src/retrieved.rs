//! Documents retrieved from the DMP for a medication review, kept in the store so that they
//! are traced and never fetched twice: [`find_retrieved`] (or [`find_retrieved_for`], which
//! also checks the patient) before a retrieval, [`keep_retrieved`] after it.
//!
//! A pharmacist downloads from the DMP only the documents a review needs (TD3.2); the download
//! is a consultation of health data, so the document is kept ([`Origin::Retrieved`], bytes
//! exactly as the DMP sent them), its consultation goes to the audit trail, and a second look
//! at it is answered from the store without calling the DMP again.
//!
//! Where it is filed follows the identity rules of the inbox ([`crate::vigilance`]):
//! - a CDA (XML media type) goes to a patient only when its header passes
//!   [`vigilance::place`] and names the one local identity holding the INS the DMP was asked
//!   about; a header naming another identity gives [`ReviewReason::TraitsDisagree`], an
//!   unreadable one [`ReviewReason::MalformedCda`];
//! - another document (a PDF, a scanned image) has no identity of its own: it goes to the one
//!   local identity holding that INS (the DMP registry files it under that INS);
//! - no local identity with that INS gives [`ReviewReason::UnknownPatient`], several give
//!   [`ReviewReason::SeveralCandidates`].

use crate::document_store::DocumentStore;
use crate::error::StoreError;
use crate::model::{DocumentRecord, Kept, NewDocument, Origin, Placement, ReviewReason};
use crate::vigilance;
use segur_dmp_cda::read::ReadLimits;
use segur_ins::Ins;
use std::fmt;

/// A document as the DMP returned it (TD3.2, already checked against its registry entry's size
/// and hash by the DMP client). Patient data: `Debug` shows the media type and size only.
#[derive(Clone)]
pub struct FromDmp {
    /// XDS DocumentUniqueId.
    pub unique_id: String,
    /// mimeType.
    pub media_type: String,
    /// The bytes, exactly as sent.
    pub bytes: Vec<u8>,
    /// The XDS DocumentEntry of the registry, when the caller has it.
    pub entry: Option<segur_dmp_cda::DocumentEntry>,
    /// The entry as XML (an ebRIM ExtrinsicObject), when the caller has it.
    pub metadata_xml: Option<Vec<u8>>,
}

impl fmt::Debug for FromDmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FromDmp")
            .field("media_type", &self.media_type)
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// The kept document retrieved from the DMP with this uniqueId, not deleted (the latest, when a
/// deleted one was retrieved again); `None` when it has to be retrieved.
pub fn find_retrieved(
    store: &dyn DocumentStore,
    unique_id: &str,
) -> Result<Option<DocumentRecord>, StoreError> {
    Ok(store
        .documents_with_unique_id(unique_id)?
        .into_iter()
        .rfind(|d| d.origin == Origin::Retrieved && !d.deleted))
}

/// [`find_retrieved`] for the patient `ins`: a kept document filed to a local identity that
/// holds another INS gives [`StoreError::RetrievedForAnotherPatient`] rather than the document,
/// so that a uniqueId given with the wrong patient is not answered from the store (identity
/// vigilance: a document is shown for the patient it belongs to). A document waiting for
/// review, or filed to an identity without INS, is returned.
pub fn find_retrieved_for(
    store: &dyn DocumentStore,
    unique_id: &str,
    ins: &Ins,
) -> Result<Option<DocumentRecord>, StoreError> {
    let Some(record) = find_retrieved(store, unique_id)? else {
        return Ok(None);
    };
    if let Some(local) = record.patient {
        let held = store.patient(local)?.and_then(|p| p.ins);
        if held.is_some_and(|held| held.matricule() != ins.matricule()) {
            return Err(StoreError::RetrievedForAnotherPatient {
                document: record.id,
                patient: local,
            });
        }
    }
    Ok(Some(record))
}

/// Whether the DMP's mimeType names an XML document (a CDA R2: `text/xml`).
fn is_xml(media_type: &str) -> bool {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "text/xml" || essence == "application/xml" || essence.ends_with("+xml")
}

/// Where a document retrieved for the patient `ins` goes (see the module documentation).
pub fn placement(
    store: &dyn DocumentStore,
    document: &FromDmp,
    ins: &Ins,
) -> Result<Placement, StoreError> {
    let holders = store.patients_with_ins(ins)?;
    if is_xml(&document.media_type) {
        let Ok(header) = segur_dmp_cda::read_header(&document.bytes, &ReadLimits::default()) else {
            return Ok(Placement::Review(ReviewReason::MalformedCda));
        };
        return Ok(match vigilance::place(store, &header.patient)? {
            Placement::Patient { patient, status } => match holders.as_slice() {
                [one] if one.id == patient => Placement::Patient { patient, status },
                // The header names another identity than the one the DMP was asked about.
                _ => Placement::Review(ReviewReason::TraitsDisagree),
            },
            review => review,
        });
    }
    Ok(match holders.as_slice() {
        [one] => Placement::Patient {
            patient: one.id,
            status: one.status,
        },
        [] => Placement::Review(ReviewReason::UnknownPatient),
        _ => Placement::Review(ReviewReason::SeveralCandidates),
    })
}

/// Keeps a document retrieved from the DMP for the patient `ins`, consulted by `actor`: the
/// bytes exactly, origin [`Origin::Retrieved`], filed by [`placement`], with an audit record
/// "retrieved from the DMP" naming the stored document and a hash of the uniqueId (no patient
/// data). Keeping a uniqueId kept before changes nothing: [`Kept::AlreadyKept`] for the same
/// bytes, [`StoreError::RetrievedConflict`] for other bytes (the kept document is never
/// overwritten). See [`DocumentStore::add_retrieved`].
pub fn keep_retrieved(
    store: &mut dyn DocumentStore,
    document: FromDmp,
    ins: &Ins,
    actor: &str,
) -> Result<Kept, StoreError> {
    let placement = placement(store, &document, ins)?;
    let new = NewDocument {
        origin: Origin::Retrieved,
        bytes: document.bytes,
        media_type: document.media_type,
        file_name: None,
        entry: document.entry,
        metadata_xml: document.metadata_xml,
        unique_id: Some(document.unique_id),
        replaces_unique_id: None,
        placement,
    };
    store.add_retrieved(&new, actor)
}

#[cfg(test)]
mod tests {
    use super::is_xml;

    #[test]
    fn xml_media_types() {
        assert!(is_xml("text/xml"));
        assert!(is_xml("Text/XML; charset=UTF-8"));
        assert!(is_xml("application/hl7-v3+xml"));
        assert!(!is_xml("application/pdf"));
        assert!(!is_xml(""));
    }
}
