//! From MSSanté to the DMP: feeding the documents of a received IHE_XDM.ZIP when the
//! pharmacist decides so (`shared/specs/dmp.md` §5; `shared/specs/cda.md` §3; IHE ITI TF-3
//! §4.2.1.1 for the package).
//!
//! A received package is read with the hardened XDM reader of `segur_dmp_cda::xdm` (every limit
//! of [`XdmLimits`]: size, entries, ratio, traversal, symbolic links, duplicates, hash and size
//! of each document). [`ReceivedXdm::documents`] lists what it holds for the pharmacist to
//! choose; [`ReceivedXdm::prepare`] turns a chosen one into a [`FeedDocument`] whose XDS
//! metadata are **the sender's** (METADATA.XML: classCode, formatCode, practiceSettingCode,
//! healthcareFacilityTypeCode... which the CDA header does not carry) after checking them
//! against the CDA header; [`feed`] feeds the chosen ones.
//!
//! What is checked before anything is sent, each failure a typed [`XdmFeedError`] naming the
//! document (its index) and the field, never the value:
//! - the entry is described by METADATA.XML and is a CDA (mimeType `text/xml`, a
//!   `ClinicalDocument` the hardened CDA reader accepts); other documents (a PDF alone) are
//!   listed, never fed;
//! - its bytes were checked against the metadata `hash` **and** `size` (ITI TF-3 Table 4.3.1-3;
//!   a mismatch refuses the whole package when it is read);
//! - the patient of the entry, of its submission set and of the CDA `recordTarget` is one INS
//!   of a qualified identity: authority OID `1.2.250.1.213.1.4.8` (NIR), `.9` (NIA), `.10` (test
//!   NIR) or `.11` (demonstration NIR) with a valid matricule key (`shared/specs/ins.md`; RNIV
//!   EXI SI 08: only a qualified INS may be sent to the DMP). A local identifier (`^PI`) or a
//!   legacy INS-C (`.4.2`) is refused;
//! - uniqueId = `ClinicalDocument/id`, typeCode = `ClinicalDocument/code`, creationTime =
//!   `effectiveTime`, serviceStartTime / serviceStopTime = the first `serviceEvent`, languageCode,
//!   confidentialityCode contains the CDA's, and the same authors and legal authenticator (by
//!   their identifier, the first XCN component) — `shared/specs/cda.md` §3.1, the DMP refuses a
//!   document whose metadata disagree with its header (§11.1).
//!
//! The package's qualification of the identity is the sender's: the caller's identity
//! repository answers for it (RNIV), as for [`DmpPatient::attested_qualified`]; a caller that
//! holds the identity as not qualified must not feed. A CDA that replaces an earlier version
//! (`relatedDocument@typeCode="RPLC"`) is fed as the replacement of its parent
//! (`parentDocument/id`), which must then be in the DMP (§5.5).

use segur_dmp_cda::xdm::{XdmDocument, XdmError, XdmLimits, XdmPackage};
use segur_dmp_cda::xds::{DeriveOptions, DocumentEntry, PatientIdPolicy, XdsPatientId};
use segur_dmp_cda::{CdaHeader, read_header};
use segur_ins::Ins;

use crate::client::{DmpClient, FeedOutcome};
use crate::error::DmpError;
use crate::patient::DmpPatient;
use crate::td21::FeedDocument;

/// Why a document of a received package cannot be fed. `index` is the document's position
/// across subsets, as [`ReceivedXdm::documents`] and `segur xdm inspect --json` number them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum XdmFeedError {
    /// The package could not be read (hostile or broken archive, hash or size mismatch...).
    #[error("IHE_XDM: {0}")]
    Package(#[from] XdmError),
    /// No document has this index.
    #[error("document {index}: no such document (the package holds {count})")]
    NoSuchDocument {
        /// Index asked for.
        index: usize,
        /// Documents in the package.
        count: usize,
    },
    /// A file of the package that METADATA.XML does not describe.
    #[error("document {index}: not described by METADATA.XML")]
    NotDescribed {
        /// Document index.
        index: usize,
    },
    /// Not a CDA: another mimeType (a PDF alone), or an XML the CDA reader refuses.
    #[error("document {index}: not a CDA ({reason})")]
    NotCda {
        /// Document index.
        index: usize,
        /// Why: the mimeType, or the reader's error (positions, never values).
        reason: String,
    },
    /// The metadata gives no `hash` or no `size`: the bytes could not be checked.
    #[error("document {index}: METADATA.XML gives no {missing}: integrity cannot be checked")]
    IntegrityNotChecked {
        /// Document index.
        index: usize,
        /// `hash`, `size` or `hash and size`.
        missing: &'static str,
    },
    /// The patient is not identified by the INS of a qualified identity.
    #[error("document {index}: {place} is not a qualified INS ({reason})")]
    NotQualifiedIns {
        /// Document index.
        index: usize,
        /// Where: `METADATA.XML patientId`, `METADATA.XML SubmissionSet patientId` or
        /// `CDA recordTarget`.
        place: &'static str,
        /// Why: `local identifier`, `legacy INS-C`, `invalid matricule or authority`, `absent`.
        reason: &'static str,
    },
    /// METADATA.XML says something else than the CDA header.
    #[error("document {index}: METADATA.XML {field} disagrees with the CDA header")]
    Mismatch {
        /// Document index.
        index: usize,
        /// The XDS attribute (`uniqueId`, `typeCode`, `patientId`, `authorPerson`...).
        field: &'static str,
    },
    /// METADATA.XML leaves out an attribute the DMP requires and the CDA gives.
    #[error("document {index}: METADATA.XML gives no {field}")]
    MissingInMetadata {
        /// Document index.
        index: usize,
        /// The XDS attribute.
        field: &'static str,
    },
    /// Nothing to feed: no document chosen, or (with [`Selection::All`]) no CDA in the package.
    #[error("no CDA document to feed")]
    NothingToFeed,
}

/// What kind of document a package entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// A CDA (mimeType `text/xml`, a `ClinicalDocument`).
    Cda,
    /// Described by METADATA.XML, but not a CDA (a PDF...): reported, never fed.
    NotCda,
    /// A file METADATA.XML does not describe.
    Undescribed,
}

/// One document of a received package, as listed for the pharmacist to choose
/// (`segur dmp feed --xdm FILE --json` without a choice). Holds no patient data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct XdmDocumentChoice {
    /// Index to choose it by (`--document N`).
    pub index: usize,
    /// Path in the archive.
    pub path: String,
    /// What it is.
    pub kind: DocumentKind,
    /// mimeType of its metadata.
    pub mime_type: Option<String>,
    /// XDS uniqueId.
    pub unique_id: Option<String>,
    /// typeCode (LOINC).
    pub type_code: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// creationTime (UTC).
    pub creation_time: Option<String>,
    /// Size in bytes.
    pub size: usize,
    /// Whether every check of the module documentation passes.
    pub feedable: bool,
    /// Why it cannot be fed, when it cannot.
    pub refusal: Option<String>,
}

/// Which documents of a package to feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every CDA of the package (other documents are reported as not fed).
    All,
    /// These documents (indexes of [`ReceivedXdm::documents`]); each must be a feedable CDA.
    Documents(Vec<usize>),
}

/// What happened to one document of a [`feed`] (`segur dmp feed --xdm FILE --json` prints an
/// array of them). Holds no patient data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct XdmFeedView {
    /// Document index.
    pub index: usize,
    /// Path in the archive.
    pub path: String,
    /// `fed`, `already_present` (a retry found it fed), `not_cda` (reported, not fed) or
    /// `failed` (the DMP refused it or the exchange failed: see `error`).
    pub outcome: &'static str,
    /// XDS uniqueId, for a CDA.
    pub unique_id: Option<String>,
    /// uniqueId of the document it replaced (the CDA's RPLC parent).
    pub replaces: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Whether the failure is a refusal by the DMP (exit status 1 of the command line).
    #[serde(skip)]
    pub refused_by_dmp: bool,
}

/// A received IHE_XDM package, read and ready to list and feed from.
#[derive(Debug, Clone)]
pub struct ReceivedXdm {
    package: XdmPackage,
}

/// A document of a package checked against its CDA and ready to feed.
#[derive(Debug, Clone)]
pub struct CheckedXdmDocument {
    /// Its index.
    pub index: usize,
    /// The document with the sender's metadata.
    pub document: FeedDocument,
    /// uniqueId of the document it replaces (its CDA's RPLC `parentDocument/id`).
    pub replaces: Option<String>,
}

fn is_cda_mime(entry: &DocumentEntry) -> bool {
    entry.mime_type.eq_ignore_ascii_case("text/xml")
}

/// A mimeType as error text: only the characters a media type may hold (RFC 6838 §4.2),
/// others (and anything past 64 characters) replaced by `?`, so that a hostile value cannot
/// forge terminal output.
fn media_type_text(v: &str) -> String {
    v.chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "!#$&-^_.+/".contains(c) {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// The first XCN/CX component (the identifier), trimmed.
fn first_component(v: &str) -> &str {
    v.split('^').next().unwrap_or_default().trim()
}

/// Two XDS DTM values agree when one is the other at a coarser precision (HL7 v2 DTM allows
/// truncation: `20240301` and `20240301103000`).
fn same_time(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a.starts_with(b) || b.starts_with(a)
}

/// The qualified INS of an XDS patient identifier.
fn metadata_ins(
    index: usize,
    place: &'static str,
    id: Option<&XdsPatientId>,
) -> Result<Ins, XdmFeedError> {
    let refuse = |reason| XdmFeedError::NotQualifiedIns {
        index,
        place,
        reason,
    };
    let id = id.ok_or(XdmFeedError::MissingInMetadata {
        index,
        field: "patientId",
    })?;
    let (oid, matricule) = id.parts().ok_or(refuse("local identifier"))?;
    if oid.trim() == segur_ins::OID_INS_C_LEGACY {
        return Err(refuse("legacy INS-C"));
    }
    if !id.is_ins() {
        return Err(refuse("local identifier"));
    }
    Ins::from_parts(matricule, oid).map_err(|_| refuse("invalid matricule or authority"))
}

/// The qualified INS of the CDA `recordTarget`.
fn cda_ins(index: usize, header: &CdaHeader) -> Result<Ins, XdmFeedError> {
    let refuse = |reason| XdmFeedError::NotQualifiedIns {
        index,
        place: "CDA recordTarget",
        reason,
    };
    match header.patient.ins() {
        Some(Ok(ins)) => Ok(ins),
        Some(Err(_)) => Err(refuse("invalid matricule or authority")),
        None if header
            .patient
            .ids
            .iter()
            .any(|i| i.root.trim() == segur_ins::OID_INS_C_LEGACY) =>
        {
            Err(refuse("legacy INS-C"))
        }
        None if header.patient.ids.is_empty() => Err(refuse("absent")),
        None => Err(refuse("local identifier")),
    }
}

/// Checks the sender's `entry` against the entry the SDK derives from the CDA header.
fn check_entry(
    index: usize,
    given: &DocumentEntry,
    derived: &DocumentEntry,
) -> Result<(), XdmFeedError> {
    let mismatch = |field| XdmFeedError::Mismatch { index, field };
    let missing = |field| XdmFeedError::MissingInMetadata { index, field };
    if given.unique_id.trim() != derived.unique_id {
        return Err(mismatch("uniqueId"));
    }
    match (&given.type_code, &derived.type_code) {
        (None, Some(_)) => return Err(missing("typeCode")),
        (Some(g), Some(d)) if g.code != d.code || g.code_system != d.code_system => {
            return Err(mismatch("typeCode"));
        }
        _ => {}
    }
    for (field, g, d) in [
        ("creationTime", &given.creation_time, &derived.creation_time),
        (
            "serviceStartTime",
            &given.service_start_time,
            &derived.service_start_time,
        ),
        (
            "serviceStopTime",
            &given.service_stop_time,
            &derived.service_stop_time,
        ),
    ] {
        match (g, d) {
            (None, Some(_)) if field == "creationTime" => return Err(missing(field)),
            (Some(g), Some(d)) if !same_time(g, d) => return Err(mismatch(field)),
            _ => {}
        }
    }
    if let (Some(g), Some(d)) = (&given.language_code, &derived.language_code)
        && !g.trim().eq_ignore_ascii_case(d.trim())
    {
        return Err(mismatch("languageCode"));
    }
    for d in &derived.confidentiality {
        if !given
            .confidentiality
            .iter()
            .any(|g| g.code == d.code && g.code_system == d.code_system)
        {
            return Err(mismatch("confidentialityCode"));
        }
    }
    let ids = |e: &DocumentEntry| {
        let mut v: Vec<String> = e
            .authors
            .iter()
            .filter_map(|a| a.person.as_deref())
            .map(|p| first_component(p).to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let (g, d) = (ids(given), ids(derived));
    if g.is_empty() && !d.is_empty() {
        return Err(missing("authorPerson"));
    }
    if g != d {
        return Err(mismatch("authorPerson"));
    }
    if let (Some(g), Some(d)) = (&given.legal_authenticator, &derived.legal_authenticator)
        && first_component(g) != first_component(d)
    {
        return Err(mismatch("legalAuthenticator"));
    }
    Ok(())
}

impl ReceivedXdm {
    /// Reads a received IHE_XDM.ZIP with `limits` (see [`XdmLimits`]).
    pub fn read(zip: &[u8], limits: &XdmLimits) -> Result<Self, XdmFeedError> {
        Ok(Self {
            package: XdmPackage::unpack(zip, limits)?,
        })
    }

    /// The read package.
    pub fn package(&self) -> &XdmPackage {
        &self.package
    }

    fn document(&self, index: usize) -> Result<(&XdmDocument, &DocumentEntry), XdmFeedError> {
        let count = self.package.documents().count();
        let doc = self
            .package
            .documents()
            .nth(index)
            .ok_or(XdmFeedError::NoSuchDocument { index, count })?;
        let entry = doc
            .entry
            .as_ref()
            .ok_or(XdmFeedError::NotDescribed { index })?;
        Ok((doc, entry))
    }

    fn set_patient(&self, index: usize) -> Option<&XdsPatientId> {
        let mut seen = 0usize;
        for s in &self.package.subsets {
            seen += s.documents.len();
            if index < seen {
                return s.submission.submission_set.patient_id.as_ref();
            }
        }
        None
    }

    /// The documents of the package, each with what it is and whether it can be fed.
    pub fn documents(&self) -> Vec<XdmDocumentChoice> {
        self.package
            .documents()
            .enumerate()
            .map(|(index, d)| {
                let entry = d.entry.as_ref();
                let kind = match entry {
                    None => DocumentKind::Undescribed,
                    Some(e) if is_cda_mime(e) => DocumentKind::Cda,
                    Some(_) => DocumentKind::NotCda,
                };
                let refusal = self.check(index).err().map(|e| e.to_string());
                XdmDocumentChoice {
                    index,
                    path: d.path.clone(),
                    kind,
                    mime_type: entry.map(|e| e.mime_type.clone()),
                    unique_id: entry.map(|e| e.unique_id.clone()),
                    type_code: entry.and_then(|e| e.type_code.as_ref().map(|c| c.code.clone())),
                    title: entry.and_then(|e| e.title.clone()),
                    creation_time: entry.and_then(|e| e.creation_time.clone()),
                    size: d.bytes.len(),
                    feedable: refusal.is_none(),
                    refusal,
                }
            })
            .collect()
    }

    /// Checks document `index` (see the module documentation) and makes it a
    /// [`FeedDocument`] carrying the sender's metadata (with a new entryUUID: the sender's
    /// names its own submission, and the XDM `URI` slot left out).
    pub fn prepare(&self, index: usize) -> Result<CheckedXdmDocument, XdmFeedError> {
        let (fed, patient, replaces) = self.check(index)?;
        let (doc, _) = self.document(index)?;
        Ok(CheckedXdmDocument {
            index,
            document: FeedDocument::from_checked_entry(
                doc.bytes.clone(),
                fed,
                DmpPatient::attested_qualified(patient),
            ),
            replaces,
        })
    }

    /// The checks of [`Self::prepare`], without copying the document: the entry to send, the
    /// patient, and the uniqueId the document replaces.
    fn check(&self, index: usize) -> Result<(DocumentEntry, Ins, Option<String>), XdmFeedError> {
        let (doc, entry) = self.document(index)?;
        if !is_cda_mime(entry) {
            return Err(XdmFeedError::NotCda {
                index,
                reason: format!("mimeType {}", media_type_text(&entry.mime_type)),
            });
        }
        if let Some(missing) = doc.integrity.missing() {
            return Err(XdmFeedError::IntegrityNotChecked { index, missing });
        }
        let header =
            read_header(&doc.bytes, &Default::default()).map_err(|e| XdmFeedError::NotCda {
                index,
                reason: e.to_string(),
            })?;
        let metadata_patient =
            metadata_ins(index, "METADATA.XML patientId", entry.patient_id.as_ref())?;
        if let Some(set_patient) = self.set_patient(index) {
            let set = metadata_ins(
                index,
                "METADATA.XML SubmissionSet patientId",
                Some(set_patient),
            )?;
            if set != metadata_patient {
                return Err(XdmFeedError::Mismatch {
                    index,
                    field: "SubmissionSet patientId",
                });
            }
        }
        let patient = cda_ins(index, &header)?;
        if patient != metadata_patient {
            return Err(XdmFeedError::Mismatch {
                index,
                field: "patientId",
            });
        }
        // The codes the header does not carry come from the sender's metadata.
        let derive = DeriveOptions {
            class_code: entry.class_code.clone(),
            format_code: entry.format_code.clone(),
            entry_uuid: None,
            patient_id: PatientIdPolicy::RequireIns,
        };
        let derived = DocumentEntry::derive(&header, &doc.bytes, None, &derive).map_err(|e| {
            XdmFeedError::NotCda {
                index,
                reason: e.to_string(),
            }
        })?;
        for (field, value) in [
            ("classCode", entry.class_code.is_some()),
            ("formatCode", entry.format_code.is_some()),
        ] {
            if !value {
                return Err(XdmFeedError::MissingInMetadata { index, field });
            }
        }
        check_entry(index, entry, &derived)?;
        let mut fed = entry.clone();
        fed.entry_uuid = segur_dmp_cda::xds::new_entry_uuid();
        fed.uri = None;
        fed.patient_id = derived.patient_id;
        let replaces = header
            .related_documents
            .iter()
            .find(|r| r.type_code.eq_ignore_ascii_case("RPLC"))
            .and_then(|r| r.parent_id.as_ref())
            .map(|id| id.to_xds());
        Ok((fed, patient, replaces))
    }

    /// Checks every document `selection` names; `Err` at the first that cannot be fed
    /// (with [`Selection::All`], documents that are not CDAs are skipped, not refused).
    /// Returns the checked CDAs and the indexes of the skipped documents.
    pub fn prepare_selection(
        &self,
        selection: &Selection,
    ) -> Result<(Vec<CheckedXdmDocument>, Vec<usize>), XdmFeedError> {
        let mut checked = Vec::new();
        let mut skipped = Vec::new();
        match selection {
            Selection::All => {
                for c in self.documents() {
                    if c.kind == DocumentKind::Cda {
                        checked.push(self.prepare(c.index)?);
                    } else {
                        skipped.push(c.index);
                    }
                }
            }
            Selection::Documents(indexes) => {
                for &i in indexes {
                    if !checked.iter().any(|c: &CheckedXdmDocument| c.index == i) {
                        checked.push(self.prepare(i)?);
                    }
                }
            }
        }
        if checked.is_empty() {
            return Err(XdmFeedError::NothingToFeed);
        }
        Ok((checked, skipped))
    }
}

/// Feeds the documents `selection` names, each in its own TD2.1 submission (a replacement
/// when its CDA replaces an earlier version). Every chosen document is checked first: when one
/// cannot be fed, nothing is sent and the error says why. Then a document the DMP refuses (or
/// whose exchange fails) is reported as `failed` and the next ones are still fed: each
/// document counts as fed only after its own Success.
pub fn feed(
    client: &DmpClient,
    xdm: &ReceivedXdm,
    selection: &Selection,
) -> Result<Vec<XdmFeedView>, DmpError> {
    let (checked, skipped) = xdm.prepare_selection(selection)?;
    let paths: Vec<&str> = xdm.package.documents().map(|d| d.path.as_str()).collect();
    let path = |i: usize| paths.get(i).map(|p| (*p).to_owned()).unwrap_or_default();
    let mut out = Vec::with_capacity(checked.len() + skipped.len());
    for c in &checked {
        let result = client.feed(&c.document, c.replaces.as_deref());
        let (outcome, error, refused_by_dmp) = match result {
            Ok(FeedOutcome::Fed) => ("fed", None, false),
            Ok(FeedOutcome::AlreadyPresent) => ("already_present", None, false),
            Err(e) => ("failed", Some(e.to_string()), e.is_refusal()),
        };
        out.push(XdmFeedView {
            index: c.index,
            path: path(c.index),
            outcome,
            unique_id: Some(c.document.unique_id().to_owned()),
            replaces: c.replaces.clone(),
            error,
            refused_by_dmp,
        });
    }
    for i in skipped {
        out.push(XdmFeedView {
            index: i,
            path: path(i),
            outcome: "not_cda",
            unique_id: None,
            replaces: None,
            error: None,
            refused_by_dmp: false,
        });
    }
    out.sort_by_key(|v| v.index);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_agree_at_a_coarser_precision_only() {
        assert!(same_time("20240301", "20240301103000"));
        assert!(same_time("20240301103000", "20240301103000"));
        assert!(!same_time("20240302", "20240301103000"));
        assert!(!same_time("20240301103001", "20240301103000"));
    }

    #[test]
    fn identifiers_compare_by_their_first_component() {
        assert_eq!(
            first_component(" 810100000001^PHARMACIEN^PAUL^^^^^^&1.2.250.1.71.4.2.1&ISO^D"),
            "810100000001"
        );
        assert_eq!(first_component(""), "");
    }

    #[test]
    fn a_hostile_mime_type_cannot_forge_output() {
        assert_eq!(media_type_text("application/pdf"), "application/pdf");
        assert_eq!(media_type_text("text/x\u{1b}[2J\r\nok"), "text/x??2J??ok");
        assert_eq!(media_type_text(&"a".repeat(500)).len(), 64);
    }
}
