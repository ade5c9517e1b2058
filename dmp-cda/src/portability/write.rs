//! The export writer: lots are written one at a time to the output file (any `Write + Seek`),
//! so the export is never held whole. A lot is built in memory (its documents are there
//! already) and copied into a stored entry while its SHA-256 is computed; MANIFEST.XML and
//! INDEX.HTM, which need every lot's size and hash, are written last.
//!
//! Everything the export writes is a function of its input and of [`ExportInfo`]: the ids the
//! XDM metadata needs (submission set entryUUID and uniqueId, association ids) are derived from
//! the export id, and every zip entry carries the extract time, so the same lots with the same
//! export id and time give the same file, byte for byte.

use std::io::{Cursor, Seek, Write};

use segur_ins::IdentityStatus;
use sha2::Digest as _;

use super::docs;
use super::lot::{LotJson, LotJsonDocument, LotJsonPatient, PatientLot};
use super::manifest::{
    ArchiveId, ArchiveType, EditeurSortant, ExportStatus, ExportType, Manifest, ManifestArchive,
    ManifestPatientId, xs_date_time,
};
use super::{FORMAT_VERSION, PortabilityError};
use crate::xdm::{XdmError, XdmSender, XdmStreamWriter};
use crate::xds::{SubmissionSet, XdsPatientId};

/// What the export says about itself: the manifest's export fields and README.TXT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportInfo {
    /// `exportId`: a fresh random UUID for each export (injectable: the same id and time give
    /// the same file).
    pub export_id: uuid::Uuid,
    /// `extractTime`, as an XDS UTC time `YYYYMMDDhhmmss` (written as xs:dateTime).
    pub extract_time: String,
    /// `exportType`.
    pub export_type: ExportType,
    /// `exportStartTime`, `exportEndTime` (XDS UTC times): required for [`ExportType::Cible`].
    pub period: Option<(String, String)>,
    /// `exportStatus`.
    pub export_status: ExportStatus,
    /// `comments`.
    pub comments: Option<String>,
    /// `editeurSortant`.
    pub editeur: EditeurSortant,
    /// Software (LGO) name and version, for README.TXT.
    pub software: String,
    /// Who asked for the export (README.TXT): the pharmacist, the patient, a new supplier.
    pub requester: String,
    /// What the export covers, in words (README.TXT): "documents Ségur de l'officine".
    pub perimeter: String,
    /// OID of the exporting system: each lot's submission set `sourceId`.
    pub source_id: String,
}

impl ExportInfo {
    /// An info with a random export id and the current time.
    pub fn new(
        export_type: ExportType,
        editeur: EditeurSortant,
        software: impl Into<String>,
        source_id: impl Into<String>,
    ) -> Self {
        Self {
            export_id: uuid::Uuid::new_v4(),
            extract_time: crate::time::now_utc(),
            export_type,
            period: None,
            export_status: ExportStatus::Complete,
            comments: None,
            editeur,
            software: software.into(),
            requester: String::new(),
            perimeter: String::new(),
            source_id: source_id.into(),
        }
    }

    fn check(&self) -> Result<(), PortabilityError> {
        let info = |field, reason| PortabilityError::Info { field, reason };
        if xs_date_time(&self.extract_time).is_none() {
            return Err(info("extract_time", "not a UTC time YYYYMMDDhhmmss"));
        }
        match (&self.period, self.export_type) {
            (None, ExportType::Cible) => {
                return Err(info("period", "required for a CIBLE export"));
            }
            (Some((s, e)), _) => {
                if xs_date_time(s).is_none() || xs_date_time(e).is_none() {
                    return Err(info("period", "not UTC times YYYYMMDDhhmmss"));
                }
                if s > e {
                    return Err(info("period", "starts after it ends"));
                }
            }
            _ => {}
        }
        if segur_ins::Siret::parse(&self.editeur.num_siret).is_err() {
            return Err(info("editeur.num_siret", "not a SIRET (14 digits, Luhn)"));
        }
        for (field, value) in [
            ("editeur.denomination_eg", &self.editeur.denomination_eg),
            ("editeur.contact.nom", &self.editeur.contact.nom),
            ("software", &self.software),
            ("source_id", &self.source_id),
        ] {
            if value.trim().is_empty() {
                return Err(info(field, "empty"));
            }
        }
        if !is_oid(&self.source_id) {
            return Err(info("source_id", "not an OID"));
        }
        // README.TXT has one field per line: a control character would forge a line.
        for (field, value) in [
            ("editeur.denomination_eg", &self.editeur.denomination_eg),
            ("editeur.num_siret", &self.editeur.num_siret),
            ("editeur.contact.nom", &self.editeur.contact.nom),
            ("editeur.contact.email", &self.editeur.contact.email),
            ("editeur.contact.telephone", &self.editeur.contact.telephone),
            ("software", &self.software),
            ("requester", &self.requester),
            ("perimeter", &self.perimeter),
        ] {
            if value.chars().any(char::is_control) {
                return Err(info(field, "control character"));
            }
        }
        Ok(())
    }

    /// A UUID derived from the export id and a label (RFC 9562 version 8, from SHA-256): the
    /// ids of the lots' metadata, stable for a given export id.
    fn derived_uuid(&self, label: &str) -> uuid::Uuid {
        let mut h = sha2::Sha256::new();
        h.update(self.export_id.as_bytes());
        h.update(label.as_bytes());
        let d = h.finalize();
        let mut b = [0u8; 16];
        for (dst, src) in b.iter_mut().zip(d.iter()) {
            *dst = *src;
        }
        b[6] = (b[6] & 0x0f) | 0x80;
        b[8] = (b[8] & 0x3f) | 0x80;
        uuid::Uuid::from_bytes(b)
    }
}

/// An OID: arcs of digits separated by dots, no leading zero in an arc (ITU-T X.660).
fn is_oid(s: &str) -> bool {
    s.split('.').count() >= 2
        && s.split('.').all(|arc| {
            !arc.is_empty()
                && arc.bytes().all(|b| b.is_ascii_digit())
                && (arc == "0" || !arc.starts_with('0'))
        })
}

/// One line of INDEX.HTM per document, kept until the end (a few hundred bytes each).
struct IndexLot {
    archive: ArchiveId,
    patient: String,
    status: IdentityStatus,
    documents: Vec<(String, String, String, &'static str)>,
}

/// Writes a portability export to a file, one lot at a time.
pub struct ExportWriter<W: Write + Seek> {
    zip: zip::ZipWriter<W>,
    info: ExportInfo,
    modified: zip::DateTime,
    archives: Vec<ManifestArchive>,
    index: Vec<IndexLot>,
}

impl<W: Write + Seek> std::fmt::Debug for ExportWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportWriter")
            .field("lots", &self.archives.len())
            .finish_non_exhaustive()
    }
}

fn io(e: impl std::fmt::Display) -> PortabilityError {
    PortabilityError::Io(e.to_string())
}

fn zip_time(utc: &str) -> Option<zip::DateTime> {
    let b = utc.as_bytes();
    let n = |r: std::ops::Range<usize>| b.get(r).map(crate::time::ascii_number);
    zip::DateTime::from_date_and_time(
        u16::try_from(n(0..4)?).ok()?,
        u8::try_from(n(4..6)?).ok()?,
        u8::try_from(n(6..8)?).ok()?,
        u8::try_from(n(8..10)?).ok()?,
        u8::try_from(n(10..12)?).ok()?,
        u8::try_from(n(12..14)?).ok()?,
    )
    .ok()
}

/// The 8.3 extension of a document from its mimeType.
fn extension(mime: &str) -> &'static str {
    let m = mime.to_ascii_lowercase();
    if m.contains("xml") {
        "XML"
    } else if m == "application/pdf" {
        "PDF"
    } else if m == "text/plain" {
        "TXT"
    } else if m == "image/jpeg" {
        "JPG"
    } else if m == "image/png" {
        "PNG"
    } else if m == "image/tiff" {
        "TIF"
    } else if m == "application/json" {
        "JSN"
    } else {
        "BIN"
    }
}

impl<W: Write + Seek> ExportWriter<W> {
    /// Starts an export: checks `info` ([`PortabilityError::Info`]) and writes README.TXT and
    /// the documentation folder.
    pub fn new(out: W, info: ExportInfo) -> Result<Self, PortabilityError> {
        info.check()?;
        let modified = zip_time(&info.extract_time).ok_or(PortabilityError::Info {
            field: "extract_time",
            reason: "not a time a zip can hold (1980 to 2107)",
        })?;
        let mut w = Self {
            zip: zip::ZipWriter::new(out),
            info,
            modified,
            archives: Vec::new(),
            index: Vec::new(),
        };
        let readme = docs::readme(&w.info);
        w.file("README.TXT", readme.as_bytes())?;
        for (name, text) in docs::DOCUMENTATION {
            w.file(name, text.as_bytes())?;
        }
        Ok(w)
    }

    fn options(&self) -> zip::write::SimpleFileOptions {
        zip::write::SimpleFileOptions::default().last_modified_time(self.modified)
    }

    fn file(&mut self, name: &str, bytes: &[u8]) -> Result<(), PortabilityError> {
        let opts = self
            .options()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(6));
        self.zip.start_file(name, opts).map_err(XdmError::from)?;
        self.zip.write_all(bytes).map_err(io)
    }

    /// Writes one patient lot as `PATnnnnn.ZIP` (the next number) and returns its id.
    pub fn add_lot(&mut self, lot: &PatientLot) -> Result<ArchiveId, PortabilityError> {
        let position = self.archives.len() + 1;
        let archive = u32::try_from(position)
            .ok()
            .and_then(ArchiveId::new)
            .ok_or(PortabilityError::TooManyLots { limit: 99_999 })?;
        let patient_err = |reason| PortabilityError::Patient {
            lot: position,
            reason,
        };
        let p = &lot.patient;
        let patient_id = p
            .patient_id()
            .ok_or_else(|| patient_err("is qualified but has no INS"))?
            .clone();
        let (root, extension) = patient_id
            .parts()
            .ok_or_else(|| patient_err("identifier is not a CX id^^^&OID&ISO"))?;
        let is_ins = patient_id.is_ins();
        if p.status == IdentityStatus::Qualifiee {
            if !is_ins {
                return Err(patient_err("INS is not under an INS OID"));
            }
            segur_ins::Ins::from_parts(extension, root)
                .map_err(|_| patient_err("INS matricule or key is wrong"))?;
        } else if is_ins || p.local_id.parts().is_none() {
            return Err(patient_err("local identifier is an INS or not a CX"));
        }
        let manifest_patient = ManifestPatientId {
            root: root.to_owned(),
            extension: extension.to_owned(),
            identity_status: p.status.code().to_owned(),
        };
        let bytes = self.lot_bytes(lot, archive, position, &patient_id)?;
        let sha256 = crate::xds::hex(&sha2::Sha256::digest(&bytes));
        let opts = self
            .options()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
        self.zip
            .start_file(format!("{archive}.ZIP"), opts)
            .map_err(XdmError::from)?;
        self.zip.write_all(&bytes).map_err(io)?;
        self.archives.push(ManifestArchive {
            archive_type: ArchiveType::Patient,
            archive_id: archive.to_string(),
            patient_id: Some(manifest_patient),
            size: bytes.len() as u64,
            sha256,
        });
        self.index.push(IndexLot {
            archive,
            patient: format!("{extension} ({root})"),
            status: p.status,
            documents: lot
                .documents
                .iter()
                .map(|d| {
                    (
                        d.entry.title.clone().unwrap_or_default(),
                        d.entry.creation_time.clone().unwrap_or_default(),
                        d.entry.mime_type.clone(),
                        d.origin.code(),
                    )
                })
                .collect(),
        });
        Ok(archive)
    }

    /// The lot as an IHE_XDM.ZIP, in memory (one patient's documents).
    fn lot_bytes(
        &self,
        lot: &PatientLot,
        archive: ArchiveId,
        position: usize,
        patient_id: &XdsPatientId,
    ) -> Result<Vec<u8>, PortabilityError> {
        let lot_err = |source| PortabilityError::Lot {
            archive: archive.to_string(),
            source,
        };
        let info = &self.info;
        let set = SubmissionSet {
            entry_uuid: format!("urn:uuid:{}", info.derived_uuid(&format!("{archive}/set"))),
            unique_id: format!(
                "2.25.{}",
                info.derived_uuid(&format!("{archive}/set-id")).as_u128()
            ),
            source_id: info.source_id.clone(),
            submission_time: info.extract_time.clone(),
            content_type: None,
            authors: Vec::new(),
            patient_id: Some(patient_id.clone()),
            title: Some(format!("Portabilité {archive}")),
        };
        let sender = XdmSender {
            name: info.editeur.contact.nom.clone(),
            organization: info.editeur.denomination_eg.clone(),
            application: info.software.clone(),
            version: String::new(),
            vendor: info.editeur.denomination_eg.clone(),
            contact: [&info.editeur.contact.email, &info.editeur.contact.telephone]
                .into_iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        };
        let sender = XdmSender {
            contact: if sender.contact.is_empty() {
                info.editeur.contact.nom.clone()
            } else {
                sender.contact
            },
            ..sender
        };
        let size: usize = lot.documents.iter().map(|d| d.bytes.len()).sum();
        let out = Cursor::new(Vec::with_capacity(size + 16384));
        let mut counter = 0u32;
        let export_id = info.clone();
        let mut w = XdmStreamWriter::new(out, set, sender)
            .map_err(lot_err)?
            .modified_at(&info.extract_time)
            .ok_or(PortabilityError::Info {
                field: "extract_time",
                reason: "not a time a zip can hold (1980 to 2107)",
            })?
            .association_ids(move || {
                counter += 1;
                format!(
                    "urn:uuid:{}",
                    export_id.derived_uuid(&format!("{archive}/association/{counter}"))
                )
            });
        let mut json_docs = Vec::with_capacity(lot.documents.len());
        for (i, d) in lot.documents.iter().enumerate() {
            let altered = |what| PortabilityError::StoredDocumentAltered {
                lot: position,
                document: i + 1,
                what,
            };
            if d.entry.size.is_some_and(|s| s != d.bytes.len() as u64) {
                return Err(altered("size"));
            }
            if let Some(h) = &d.entry.hash
                && !h
                    .trim()
                    .eq_ignore_ascii_case(&crate::xds::sha1_hex(&d.bytes))
            {
                return Err(altered("hash"));
            }
            let mut entry = d.entry.clone();
            entry.patient_id = Some(patient_id.clone());
            let written = w
                .add(
                    d.bytes.as_slice(),
                    Some(d.bytes.len() as u64),
                    entry,
                    extension(&d.entry.mime_type),
                )
                .map_err(lot_err)?;
            json_docs.push(LotJsonDocument {
                uri: written.uri.clone().unwrap_or_default(),
                origin: d.origin,
            });
        }
        let json = LotJson {
            format_version: FORMAT_VERSION.to_owned(),
            archive_id: archive.to_string(),
            patient: LotJsonPatient {
                local_id: lot.patient.local_id.clone(),
                ins: (lot.patient.status == IdentityStatus::Qualifiee)
                    .then(|| lot.patient.ins.clone())
                    .flatten(),
                identity_status: lot.patient.status.code().to_owned(),
            },
            documents: json_docs,
        };
        let json = serde_json::to_vec_pretty(&json).map_err(io)?;
        w.add_other_file("SPECIFIC/LOT.JSN", &json)
            .map_err(lot_err)?;
        let (out, _) = w.finish().map_err(lot_err)?;
        Ok(out.into_inner())
    }

    /// Writes MANIFEST.XML and INDEX.HTM and closes the archive; gives back the output and the
    /// manifest written.
    pub fn finish(mut self) -> Result<(W, Manifest), PortabilityError> {
        let info = &self.info;
        let period = info
            .period
            .as_ref()
            .and_then(|(s, e)| Some((xs_date_time(s)?, xs_date_time(e)?)));
        let manifest = Manifest {
            export_id: info.export_id.to_string(),
            extract_time: xs_date_time(&info.extract_time).unwrap_or_default(),
            export_type: info.export_type,
            period,
            export_status: info.export_status,
            comments: info.comments.clone(),
            editeur: info.editeur.clone(),
            archives: std::mem::take(&mut self.archives),
        };
        let index = docs::index(&self.info, &manifest, &self.index_rows());
        self.file("MANIFEST.XML", manifest.to_xml().as_bytes())?;
        self.file("INDEX.HTM", index.as_bytes())?;
        let out = self.zip.finish().map_err(XdmError::from)?;
        Ok((out, manifest))
    }

    fn index_rows(&self) -> Vec<docs::IndexRow<'_>> {
        self.index
            .iter()
            .map(|l| docs::IndexRow {
                archive: l.archive,
                patient: &l.patient,
                status: l.status,
                documents: &l.documents,
            })
            .collect()
    }
}

/// Writes a whole export to `out`: every lot of `lots`, in order, streamed (one lot in memory
/// at a time). A lot source error stops the export ([`PortabilityError::Source`]); what was
/// written is then not an export (no MANIFEST.XML).
pub fn export<W, I, E>(out: W, info: ExportInfo, lots: I) -> Result<(W, Manifest), PortabilityError>
where
    W: Write + Seek,
    I: IntoIterator<Item = Result<PatientLot, E>>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut w = ExportWriter::new(out, info)?;
    for lot in lots {
        let lot = lot.map_err(|e| PortabilityError::Source(e.into()))?;
        w.add_lot(&lot)?;
    }
    w.finish()
}
