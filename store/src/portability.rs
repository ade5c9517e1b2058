//! The store and the portability archive (`segur_dmp_cda::portability`): [`export`] writes
//! the store's patients as an export, [`import`] files an export (or a plain IHE_XDM.ZIP) into
//! a store.
//!
//! Export (wave-1 portability obligation, `portability.md` §1; layout of the PDLGC 0.1.0
//! draft, see `segur_dmp_cda::portability`):
//! - one lot per local patient holding at least one document, in local id order, read from the
//!   store one patient at a time, each document streamed from the store into the lot's
//!   temporary file (memory: constant, whatever the size of a document or of a lot);
//! - each document's bytes exactly as stored, its stored XDS DocumentEntry (derived from the
//!   CDA header for a produced CDA stored without one), its origin;
//! - the lot's patient: the INS only when the identity is qualified (INS guide: only a
//!   qualified identity transmits its INS), else the local id under
//!   [`ExportOptions::local_id_root`] with its RNIV status;
//! - documents waiting in the review list (linked to nobody) and deleted ones are not in any
//!   patient record and are not exported; [`ExportReport`] counts them.
//!
//! Import:
//! - the archive is read by `segur_dmp_cda::portability::read_each`, which checks it whole
//!   (every limit of the XDM reader, each lot's size and SHA-256 against MANIFEST.XML) before
//!   anything is filed, and everything is filed in one transaction
//!   ([`DocumentStore::atomically`]): an archive refused, or a store error midway, changes
//!   nothing;
//! - into an EMPTY store (no patient, no document), the lots of a segur export recreate their
//!   patients: status and INS from the lot, traits from the first of its CDAs whose header
//!   gives them (LOT.JSN carries no traits); a lot without such a CDA goes to the review list
//!   (`unknown_patient`). A lot of a `RECUP` identity carries no INS (only qualified
//!   identities transmit it), so the patient is recreated `PROV` and counted in
//!   [`ImportReport::identities_downgraded`];
//! - into a store that holds anything, and for a plain IHE_XDM.ZIP, each CDA is filed with the
//!   inbox's identity rules ([`crate::vigilance::place`]): automatically only on a qualified
//!   INS matching exactly one local identity whose traits agree, otherwise to the review list
//!   with the reason; a document that is not a CDA follows its lot's first CDA.
//!
//! A patient recreated from a lot keeps the lot's local id and identity status
//! ([`DocumentStore::set_archive_patient_id`]); a later export writes that local id again
//! instead of the store's own number. So a store exported, imported into an empty store and
//! exported again with the same export id and time gives the same file byte for byte.
//!
//! De-duplication: a document whose XDS uniqueId and SHA-256 are both stored (deleted or not)
//! is not filed again ([`ImportReport::already_present`]); the same uniqueId with other bytes
//! is filed to the review list (`unique_id_conflict`) and listed in
//! [`ImportReport::conflicts`], the stored document never replaced.

use std::io::{Read, Seek, Write};
use std::path::PathBuf;

use segur_dmp_cda::portability::{
    self, DocumentOrigin, ExportInfo, ExportWriter, ImportedLot, LotCompression, LotDocument,
    LotPatient, PortabilityError, PortabilityLimits,
};
use segur_dmp_cda::read::ReadLimits as CdaLimits;
use segur_dmp_cda::xds::{DeriveOptions, DocumentEntry, XdsPatientId};
use segur_ins::{IdentityStatus, Ins};

use crate::document_store::DocumentStore;
use crate::error::StoreError;
use crate::model::{
    ArchivePatientId, ContentHash, DocumentId, LocalPatientId, NewDocument, NewPatient, Origin,
    Placement, ReviewReason,
};
use crate::vigilance;

/// Why an export or an import stopped. No patient data: entry names, lot numbers, store ids.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PortabilityStoreError {
    /// The archive is refused (the reason names the entry, lot or manifest field); the store
    /// is unchanged.
    #[error("archive refused: {0}")]
    Refused(PortabilityError),
    /// The export could not be written.
    #[error("export: {0}")]
    Export(PortabilityError),
    /// The store could not be read or written (an import is then rolled back whole).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `--patient`: no local identity holds this INS.
    #[error("no local patient holds this INS")]
    NoSuchPatient,
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The manifest's export fields and README.TXT (export id and time injectable).
    pub info: ExportInfo,
    /// OID under which local patient ids are written (`id^^^&OID&ISO^PI`): the vendor's.
    pub local_id_root: String,
    /// Only the local identities holding this INS (`segur export --patient`).
    pub patient: Option<Ins>,
    /// Only documents filed at or after this time (seconds since the Unix epoch).
    pub since: Option<i64>,
    /// Limits of the CDA header reader (to derive an entry for a CDA stored without one).
    pub cda_limits: CdaLimits,
    /// How the documents inside each lot are written (default stored: see
    /// [`LotCompression`]; `segur export --compression`).
    pub compression: LotCompression,
    /// Where each lot is built before it is copied into the export (`None`: the system's
    /// temporary directory). `segur export` gives the output's directory, so that no patient
    /// data goes to a shared temporary directory (`portability.md` §3).
    pub temp_dir: Option<PathBuf>,
}

impl ExportOptions {
    /// Every patient, every document, lots stored, built in the system's temporary directory.
    pub fn new(info: ExportInfo, local_id_root: impl Into<String>) -> Self {
        Self {
            info,
            local_id_root: local_id_root.into(),
            patient: None,
            since: None,
            cda_limits: CdaLimits::default(),
            compression: LotCompression::default(),
            temp_dir: None,
        }
    }
}

/// Who exports: the vendor identity an export needs, as the JSON file `vendor.json` of the
/// store folder gives it to `segur export` (the PDLGC draft's `editeurSortant`, README.TXT's
/// software, the OIDs of the exporting system).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportVendor {
    /// `denominationEG`.
    pub denomination: String,
    /// `numSIRET` (14 digits, Luhn).
    pub siret: String,
    /// Contact name.
    pub contact_name: String,
    /// Contact e-mail.
    #[serde(default)]
    pub contact_email: String,
    /// Contact telephone.
    #[serde(default)]
    pub contact_telephone: String,
    /// Software name and version.
    pub software: String,
    /// OID of the exporting system (each lot's submission set `sourceId`).
    pub source_id: String,
    /// OID of the local patient ids.
    pub local_id_root: String,
}

impl ExportVendor {
    /// The export info for this vendor (random export id, current time).
    pub fn info(&self, export_type: portability::ExportType) -> ExportInfo {
        ExportInfo::new(
            export_type,
            portability::EditeurSortant {
                denomination_eg: self.denomination.clone(),
                num_siret: self.siret.clone(),
                contact: portability::Contact {
                    nom: self.contact_name.clone(),
                    email: self.contact_email.clone(),
                    telephone: self.contact_telephone.clone(),
                },
            },
            self.software.clone(),
            self.source_id.clone(),
        )
    }
}

/// A document left out of an export, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotExported {
    /// Its id in the store.
    pub document: DocumentId,
    /// Why.
    pub reason: &'static str,
}

/// What an export wrote. Counts and store ids only.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExportReport {
    /// Patient lots written.
    pub lots: usize,
    /// Documents written.
    pub documents: usize,
    /// Local patients left out because they have no document (in the perimeter).
    pub patients_without_documents: usize,
    /// Documents in the review list (linked to no patient): not part of a patient record.
    pub review_documents_not_exported: usize,
    /// Documents of exported patients that could not be written.
    pub not_exported: Vec<NotExported>,
}

fn origin_out(o: Origin) -> DocumentOrigin {
    match o {
        Origin::Produced => DocumentOrigin::Produced,
        Origin::Received => DocumentOrigin::ReceivedMssante,
        Origin::Retrieved => DocumentOrigin::RetrievedDmp,
        Origin::Imported => DocumentOrigin::Imported,
    }
}

fn origin_in(o: DocumentOrigin) -> Origin {
    match o {
        DocumentOrigin::Produced => Origin::Produced,
        DocumentOrigin::ReceivedMssante => Origin::Received,
        DocumentOrigin::RetrievedDmp => Origin::Retrieved,
        DocumentOrigin::Imported => Origin::Imported,
    }
}

fn is_xml(mime: &str) -> bool {
    mime.to_ascii_lowercase().contains("xml")
}

/// One document of a lot, before its bytes are read.
struct PlannedDocument {
    id: DocumentId,
    size: u64,
    entry: DocumentEntry,
    origin: DocumentOrigin,
}

/// One patient's lot as read from the store, without the documents' bytes; `None` when no
/// document is in the perimeter.
fn plan_lot(
    store: &dyn DocumentStore,
    id: LocalPatientId,
    options: &ExportOptions,
    report: &mut ExportReport,
) -> Result<Option<(LotPatient, Vec<PlannedDocument>)>, StoreError> {
    let Some(patient) = store.patient(id)? else {
        return Err(StoreError::UnknownPatient(id));
    };
    let mut documents = Vec::new();
    for d in store.documents_of(id)? {
        if options.since.is_some_and(|since| d.filed_at < since) {
            continue;
        }
        let entry = match store.document_entry(d.id)? {
            Some(e) => e,
            None if is_xml(&d.media_type) => {
                // A CDA stored without its entry (produced here): the entry is derived from
                // its header, which needs the document in memory (this one only).
                let bytes = store.document_bytes(d.id)?;
                match segur_dmp_cda::read_header(&bytes, &options.cda_limits)
                    .ok()
                    .and_then(|h| {
                        DocumentEntry::derive(&h, &bytes, None, &DeriveOptions::default()).ok()
                    }) {
                    Some(e) => e,
                    None => {
                        report.not_exported.push(NotExported {
                            document: d.id,
                            reason: "no XDS entry stored and none can be derived from a CDA header",
                        });
                        continue;
                    }
                }
            }
            None => {
                report.not_exported.push(NotExported {
                    document: d.id,
                    reason: "no XDS entry stored (not a CDA)",
                });
                continue;
            }
        };
        documents.push(PlannedDocument {
            id: d.id,
            size: d.size,
            entry,
            origin: origin_out(d.origin),
        });
    }
    if documents.is_empty() {
        report.patients_without_documents += 1;
        return Ok(None);
    }
    let ins = patient
        .ins
        .map(|i| XdsPatientId::new(i.authority().oid(), i.matricule().expose()));
    // A patient recreated from an archive keeps the local id it had there.
    let local_id = match store.archive_patient_id(id)? {
        Some(kept) => XdsPatientId::from_cx(kept.cx),
        None => XdsPatientId::new(&options.local_id_root, &id.0.to_string()),
    };
    Ok(Some((
        LotPatient {
            local_id,
            ins,
            status: patient.status,
        },
        documents,
    )))
}

/// Writes the store's patients (all, or those of [`ExportOptions::patient`]) to `out` as a
/// portability export, one patient at a time, each document streamed from the store
/// ([`DocumentStore::document_reader`]) into its lot's temporary file: memory stays constant
/// whatever the size of a document or of a lot. What was written when an error is returned is
/// not an export (no MANIFEST.XML): the caller removes it.
pub fn export<W: Write + Seek>(
    store: &dyn DocumentStore,
    out: W,
    options: &ExportOptions,
) -> Result<(W, ExportReport), PortabilityStoreError> {
    let ids = match &options.patient {
        Some(ins) => {
            let found: Vec<LocalPatientId> =
                store.patients_with_ins(ins)?.iter().map(|p| p.id).collect();
            if found.is_empty() {
                return Err(PortabilityStoreError::NoSuchPatient);
            }
            found
        }
        None => store.patients()?,
    };
    let mut report = ExportReport {
        review_documents_not_exported: store.reviews(true)?.len(),
        ..ExportReport::default()
    };
    let mut writer = ExportWriter::new(out, options.info.clone())
        .map_err(PortabilityStoreError::Export)?
        .compression(options.compression);
    if let Some(dir) = &options.temp_dir {
        writer = writer.temp_dir(dir);
    }
    for id in ids {
        let Some((patient, documents)) = plan_lot(store, id, options, &mut report)? else {
            continue;
        };
        let mut lot = writer
            .start_lot(&patient)
            .map_err(PortabilityStoreError::Export)?;
        for d in &documents {
            let bytes = store.document_reader(d.id)?;
            lot.add_document(bytes, d.size, &d.entry, d.origin)
                .map_err(PortabilityStoreError::Export)?;
        }
        lot.finish().map_err(PortabilityStoreError::Export)?;
        report.lots += 1;
        report.documents += documents.len();
    }
    let (out, _manifest) = writer.finish().map_err(PortabilityStoreError::Export)?;
    Ok((out, report))
}

/// Options of [`import`].
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Limits of the archive reader (those of the XDM reader for every lot).
    pub limits: PortabilityLimits,
    /// Limits of the CDA header reader.
    pub cda_limits: CdaLimits,
}

impl Default for ImportOptions {
    /// The reader's defaults, except the end-of-central-directory signatures allowed: each
    /// lot is a stored zip whose own end record is visible in the export, so an export of N
    /// lots holds N + 1 of them; the reader's default (16) would refuse any export of more
    /// than 15 patients. Bounded by the most lots plus the reader's default.
    fn default() -> Self {
        let limits = PortabilityLimits::default();
        Self {
            limits: PortabilityLimits {
                max_end_records: limits.max_lots.saturating_add(limits.max_end_records),
                ..limits
            },
            cda_limits: CdaLimits::default(),
        }
    }
}

/// Something of the archive that was not placed in a patient record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnplacedView {
    /// Entry path, or lot id.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// What an import did (the JSON of `segur import --json`). Counts, entry paths and reasons.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// `export` (MANIFEST.XML) or `ihe_xdm` (a plain IHE_XDM.ZIP).
    pub format: &'static str,
    /// Whether the store was empty, so that the export's patients were recreated.
    pub recreated_patients: bool,
    /// Lots read.
    pub lots: usize,
    /// Local patients created.
    pub patients_created: usize,
    /// Documents filed and linked to a patient.
    pub documents_linked: usize,
    /// Documents filed to the review list.
    pub documents_to_review: usize,
    /// `RECUP` identities recreated `PROV` (the lot carries no INS for them).
    pub identities_downgraded: usize,
    /// Documents not filed because a document with the same XDS uniqueId and the same bytes
    /// (SHA-256) is already in the store, deleted or not: importing an archive twice files
    /// its documents once.
    pub already_present: usize,
    /// Documents whose uniqueId is already stored with other bytes: filed to the review list
    /// (reason `unique_id_conflict`), the stored document left as it is.
    pub conflicts: Vec<ConflictView>,
    /// What could not be placed in a patient record, and why.
    pub unplaced: Vec<UnplacedView>,
}

/// A document of the archive whose uniqueId the store already holds with other bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConflictView {
    /// Its entry path in the archive (`PAT00001/DOC0001.XML`).
    pub path: String,
    /// The document filed to the review list for it.
    pub filed: DocumentId,
    /// The stored documents with the same uniqueId.
    pub stored: Vec<DocumentId>,
}

/// Files `archive` (a portability export or a plain IHE_XDM.ZIP) into `store`, whole or not at
/// all (see the module documentation).
pub fn import<R: Read + Seek>(
    store: &mut dyn DocumentStore,
    mut archive: R,
    options: &ImportOptions,
) -> Result<ImportReport, PortabilityStoreError> {
    let mut refused: Option<PortabilityError> = None;
    let mut result: Option<ImportReport> = None;
    let outcome = store.atomically(&mut |s| {
        let empty = s.patients()?.is_empty() && s.documents()?.is_empty();
        let mut report = ImportReport {
            recreated_patients: empty,
            ..ImportReport::default()
        };
        let mut store_error: Option<StoreError> = None;
        let read = portability::read_each(&mut archive, &options.limits, |lot| {
            place_lot(s, lot, empty, &options.cda_limits, &mut report).map_err(|e| {
                store_error = Some(e);
                PortabilityError::Source("store".into())
            })
        });
        match read {
            Ok(r) => {
                report.format = if r.manifest.is_some() {
                    "export"
                } else {
                    "ihe_xdm"
                };
                report.recreated_patients &= r.manifest.is_some();
                report
                    .unplaced
                    .extend(r.unplaced.into_iter().map(|u| UnplacedView {
                        path: u.path,
                        reason: u.reason.to_owned(),
                    }));
                result = Some(report);
                Ok(())
            }
            Err(e) => {
                if let Some(se) = store_error.take() {
                    return Err(se);
                }
                refused = Some(e);
                Err(StoreError::Abandoned)
            }
        }
    });
    match (outcome, refused, result) {
        (Ok(()), _, Some(report)) => Ok(report),
        (Err(StoreError::Abandoned), Some(e), _) => Err(PortabilityStoreError::Refused(e)),
        (Err(e), _, _) => Err(e.into()),
        (Ok(()), _, None) => Err(StoreError::Abandoned.into()),
    }
}

/// The CDA header of a document, when it is one (`None`: not XML; `Some(None)`: unreadable).
fn header(d: &LotDocument, limits: &CdaLimits) -> Option<Option<segur_dmp_cda::CdaHeader>> {
    is_xml(&d.entry.mime_type).then(|| segur_dmp_cda::read_header(&d.bytes, limits).ok())
}

fn replaced(h: &segur_dmp_cda::CdaHeader) -> Option<String> {
    h.related_documents
        .iter()
        .find(|r| r.type_code == "RPLC")
        .and_then(|r| r.parent_id.as_ref())
        .map(|id| match &id.extension {
            Some(ext) => format!("{}^{ext}", id.root),
            None => id.root.clone(),
        })
}

/// Recreates the lot's patient in an empty store; `None` (with the reason) when it cannot be.
fn recreate(
    store: &mut dyn DocumentStore,
    patient: &LotPatient,
    headers: &[Option<Option<segur_dmp_cda::CdaHeader>>],
    report: &mut ImportReport,
) -> Result<Result<(LocalPatientId, IdentityStatus, segur_ins::Traits), ReviewReason>, StoreError> {
    let Some(traits) = headers
        .iter()
        .flatten()
        .flatten()
        .find_map(|h| vigilance::document_traits(&h.patient))
    else {
        return Ok(Err(ReviewReason::UnknownPatient));
    };
    let (status, ins) = match patient.status {
        IdentityStatus::Qualifiee => {
            let Some(ins) = patient
                .ins
                .as_ref()
                .and_then(|i| i.parts())
                .and_then(|(root, ext)| Ins::from_parts(ext, root).ok())
            else {
                return Ok(Err(ReviewReason::InvalidIns));
            };
            (IdentityStatus::Qualifiee, Some(ins))
        }
        IdentityStatus::Recuperee => {
            report.identities_downgraded += 1;
            (IdentityStatus::Provisoire, None)
        }
        other => (other, None),
    };
    let id = store.add_patient(&NewPatient {
        traits: traits.clone(),
        status,
        ins,
    })?;
    store.set_archive_patient_id(
        id,
        &ArchivePatientId {
            cx: patient.local_id.expose().to_owned(),
            status: patient.status,
        },
    )?;
    report.patients_created += 1;
    Ok(Ok((id, status, traits)))
}

fn place_lot(
    store: &mut dyn DocumentStore,
    lot: ImportedLot,
    empty: bool,
    limits: &CdaLimits,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    report.lots += 1;
    let headers: Vec<_> = lot.documents.iter().map(|d| header(d, limits)).collect();
    let placements: Vec<Placement> = match (&lot.patient, empty) {
        (Some(patient), true) => match recreate(store, patient, &headers, report)? {
            Ok((id, status, traits)) => headers
                .iter()
                .map(|h| match h {
                    Some(Some(h)) => match vigilance::document_traits(&h.patient) {
                        Some(t) if vigilance::traits_agree(&traits, &t) => Placement::Patient {
                            patient: id,
                            status,
                        },
                        _ => Placement::Review(ReviewReason::TraitsDisagree),
                    },
                    Some(None) => Placement::Review(ReviewReason::MalformedCda),
                    None => Placement::Patient {
                        patient: id,
                        status,
                    },
                })
                .collect(),
            Err(reason) => {
                report.unplaced.push(UnplacedView {
                    path: lot.archive_id.clone(),
                    reason: format!(
                        "patient not recreated ({}): documents listed for review",
                        reason.as_str()
                    ),
                });
                vec![Placement::Review(reason); headers.len()]
            }
        },
        _ => {
            // The inbox's rules: each CDA by its header; the other documents follow the lot's
            // first CDA.
            let mut each = Vec::with_capacity(headers.len());
            for h in &headers {
                each.push(match h {
                    Some(Some(h)) => Some(vigilance::place(store, &h.patient)?),
                    Some(None) => Some(Placement::Review(ReviewReason::MalformedCda)),
                    None => None,
                });
            }
            let fallback = each
                .iter()
                .flatten()
                .copied()
                .find(|p| !matches!(p, Placement::Review(ReviewReason::MalformedCda)))
                .unwrap_or(Placement::Review(ReviewReason::NoIns));
            each.into_iter().map(|p| p.unwrap_or(fallback)).collect()
        }
    };
    for ((d, h), placement) in lot.documents.into_iter().zip(&headers).zip(placements) {
        // De-duplication: the uniqueId names the document (IHE ITI TF-3 §4.2.3.2.26), the
        // SHA-256 its bytes. Both stored: already there. The uniqueId alone: a conflict for a
        // person to decide, filed to the review list; the stored document is never replaced.
        let same_id = store.documents_with_unique_id(&d.entry.unique_id)?;
        let hash = ContentHash::of(&d.bytes);
        if same_id.iter().any(|s| s.hash == hash) {
            report.already_present += 1;
            continue;
        }
        let placement = if same_id.is_empty() {
            placement
        } else {
            Placement::Review(ReviewReason::UniqueIdConflict)
        };
        match placement {
            Placement::Patient { .. } => report.documents_linked += 1,
            Placement::Review(_) => report.documents_to_review += 1,
        }
        let path = format!(
            "{}/{}",
            lot.archive_id,
            d.entry.uri.as_deref().unwrap_or_default()
        );
        let filed = store.add_document(&NewDocument {
            origin: origin_in(d.origin),
            media_type: d.entry.mime_type.clone(),
            file_name: d.entry.uri.clone(),
            unique_id: Some(d.entry.unique_id.clone()),
            replaces_unique_id: h.as_ref().and_then(|h| h.as_ref()).and_then(replaced),
            metadata_xml: None,
            entry: Some(d.entry),
            bytes: d.bytes,
            placement,
        })?;
        if !same_id.is_empty() {
            report.conflicts.push(ConflictView {
                path,
                filed,
                stored: same_id.iter().map(|s| s.id).collect(),
            });
        }
    }
    Ok(())
}
