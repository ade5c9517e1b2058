//! The export writer: lots are written one at a time to the output file (any `Write + Seek`),
//! so the export is never held whole. Each lot is built in an unnamed temporary file, its
//! documents streamed from their readers ([`LotWriter`]), then copied into a stored entry
//! while its SHA-256 is computed: memory stays constant whatever the size of a document or of
//! a lot (the metadata of the documents excepted: a few hundred bytes each). MANIFEST.XML and
//! INDEX.HTM, which need every lot's size and hash, are written last.
//!
//! Everything the export writes is a function of its input and of [`ExportInfo`]: the ids the
//! XDM metadata needs (submission set entryUUID and uniqueId, association ids) are derived from
//! the export id, and every zip entry carries the extract time, so the same lots with the same
//! export id and time give the same file, byte for byte.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, Write};
use std::path::PathBuf;

use segur_ins::IdentityStatus;
use sha2::Digest as _;

use super::docs;
use super::lot::{
    DocumentOrigin, LotJson, LotJsonDocument, LotJsonPatient, LotPatient, PatientLot,
};
use super::manifest::{
    ArchiveId, ArchiveType, EditeurSortant, ExportStatus, ExportType, Manifest, ManifestArchive,
    ManifestPatientId, xs_date_time,
};
use super::{FORMAT_VERSION, PortabilityError};
use crate::xdm::{XdmError, XdmSender, XdmStreamWriter};
use crate::xds::{DocumentEntry, SubmissionSet, XdsPatientId};

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
    compression: LotCompression,
    temp_dir: Option<PathBuf>,
    /// The emptied temporary file of the previous lot, for the next one.
    spare: Option<File>,
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
            compression: LotCompression::default(),
            temp_dir: None,
            spare: None,
        };
        let readme = docs::readme(&w.info);
        w.file("README.TXT", readme.as_bytes())?;
        for (name, text) in docs::DOCUMENTATION {
            w.file(name, text.as_bytes())?;
        }
        Ok(w)
    }

    /// How the documents inside each lot are written (default [`LotCompression::Stored`]).
    pub fn compression(mut self, compression: LotCompression) -> Self {
        self.compression = compression;
        self
    }

    /// The directory in which each lot is built before it is copied into the export (default:
    /// the system's temporary directory). The PDLGC-based layout (`portability.md` §3) wants
    /// no patient data in a shared temporary directory: give the export's own directory. The
    /// file is unnamed and private (mode 0600) either way, emptied after each lot, and gone
    /// with the writer (or with a lot abandoned on an error).
    pub fn temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.temp_dir = Some(dir.into());
        self
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

    /// Writes one patient lot as `PATnnnnn.ZIP` (the next number) and returns its id: the
    /// documents already in memory are written through [`ExportWriter::start_lot`].
    pub fn add_lot(&mut self, lot: &PatientLot) -> Result<ArchiveId, PortabilityError> {
        let mut w = self.start_lot(&lot.patient)?;
        for d in &lot.documents {
            w.add_document(d.bytes.as_slice(), d.bytes.len() as u64, &d.entry, d.origin)?;
        }
        w.finish()
    }

    /// Starts the next patient lot (`PATnnnnn.ZIP`): its documents are then streamed one at a
    /// time with [`LotWriter::add_document`] and the lot is added by [`LotWriter::finish`]. A
    /// [`LotWriter`] dropped unfinished (an error) adds nothing and deletes its temporary file.
    ///
    /// The patient is checked first ([`PortabilityError::Patient`]): a qualified identity needs
    /// a valid INS under an INS OID (INS guide: only a qualified identity transmits its INS);
    /// any other status needs a local identifier that is a CX and not an INS.
    pub fn start_lot(
        &mut self,
        patient: &LotPatient,
    ) -> Result<LotWriter<'_, W>, PortabilityError> {
        let position = self.archives.len() + 1;
        let archive = u32::try_from(position)
            .ok()
            .and_then(ArchiveId::new)
            .ok_or(PortabilityError::TooManyLots { limit: 99_999 })?;
        let patient_err = |reason| PortabilityError::Patient {
            lot: position,
            reason,
        };
        let p = patient;
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
        let index_patient = format!("{extension} ({root})");
        // The lot is built in an unnamed temporary file (O_TMPFILE where the system has it,
        // else created and unlinked at once, mode 0600): the zip crate needs a seekable output
        // to write each entry's sizes and CRC in its local header, and a file keeps memory
        // constant whatever the lot's size. The file has no name, so it disappears on every
        // path: error, drop, panic, even a killed process. Streaming the lot straight into the
        // export instead (zip data descriptors) would make each PATnnnnn.ZIP a stored entry
        // whose end only the central directory tells, which readers handle unevenly.
        // One file serves every lot in turn (emptied after each copy): creating and freeing
        // an inode per lot was a quarter of an export of small lots (ext4 inode allocation).
        let file = match self.spare.take() {
            Some(file) => file,
            None => match &self.temp_dir {
                Some(dir) => tempfile::tempfile_in(dir),
                None => tempfile::tempfile(),
            }
            .map_err(|e| PortabilityError::Io(format!("{archive}: temporary file: {e}")))?,
        };
        let xdm = self.lot_xdm(
            BufWriter::with_capacity(COPY_BUFFER, file),
            archive,
            &patient_id,
        )?;
        Ok(LotWriter {
            export: self,
            xdm,
            archive,
            position,
            patient: p.clone(),
            patient_id,
            manifest_patient,
            index_patient,
            json_docs: Vec::new(),
            index_docs: Vec::new(),
        })
    }

    /// The IHE_XDM writer of one lot, over its temporary file.
    fn lot_xdm(
        &self,
        out: BufWriter<File>,
        archive: ArchiveId,
        patient_id: &XdsPatientId,
    ) -> Result<XdmStreamWriter<BufWriter<File>>, PortabilityError> {
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
        w.deflate_text = self.compression == LotCompression::Deflate;
        Ok(w)
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

/// Size of the buffers between a lot's temporary file, the documents and the export.
const COPY_BUFFER: usize = 256 << 10;

/// How the documents inside each lot are written. Neither the XDM profile (IHE ITI TF-3
/// §4.2.1.1 leaves the zip method free) nor the PDLGC draft (`portability.md` §2.6, §3) asks
/// for compression; each `PATnnnnn.ZIP` is itself always stored in the export, so that its
/// manifest `size` and `hash` are those of the file a recipient extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LotCompression {
    /// Every document stored: the export is a copy of the documents plus the metadata, at the
    /// speed of the disk; CDAs take their full size (about 3 times their deflated size).
    #[default]
    Stored,
    /// Text documents (CDA, XML, text) up to 256 KiB deflated at level 1, the others stored:
    /// a smaller file for a slower export (BENCHMARKS.md § segur-store).
    Deflate,
}

impl LotCompression {
    /// The name the CLI takes (`stored`, `deflate`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Deflate => "deflate",
        }
    }

    /// Reads [`LotCompression::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Stored, Self::Deflate]
            .into_iter()
            .find(|c| c.as_str() == name)
    }
}

/// One patient lot being written ([`ExportWriter::start_lot`]): documents are streamed into a
/// temporary file, then [`LotWriter::finish`] copies it into the export while its SHA-256 is
/// computed. Memory: one copy buffer and the metadata of the lot's documents, whatever their
/// size.
pub struct LotWriter<'a, W: Write + Seek> {
    export: &'a mut ExportWriter<W>,
    xdm: XdmStreamWriter<BufWriter<File>>,
    archive: ArchiveId,
    position: usize,
    patient: LotPatient,
    patient_id: XdsPatientId,
    manifest_patient: ManifestPatientId,
    index_patient: String,
    json_docs: Vec<LotJsonDocument>,
    index_docs: Vec<(String, String, String, &'static str)>,
}

impl<W: Write + Seek> std::fmt::Debug for LotWriter<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LotWriter")
            .field("archive", &self.archive)
            .field("documents", &self.json_docs.len())
            .finish_non_exhaustive()
    }
}

impl<W: Write + Seek> LotWriter<'_, W> {
    /// The lot's id (`PAT00001`).
    pub fn archive_id(&self) -> ArchiveId {
        self.archive
    }

    /// Streams one document, `size` bytes read from `bytes`, exactly as stored; `entry` is its
    /// stored DocumentEntry, whose `patientId` is replaced by the lot's and whose `hash`
    /// (SHA-1, IHE ITI TF-3 §4.2.3.2.10), `size` and `URI` are set from the bytes read. A stored
    /// `size` or `hash` that differs from the bytes, or a reader that gives other than `size`
    /// bytes, fails with [`PortabilityError::StoredDocumentAltered`]: exported as is, the
    /// document would be refused by every XDM reader. The lot is then unusable: drop it.
    pub fn add_document<R: Read>(
        &mut self,
        bytes: R,
        size: u64,
        entry: &DocumentEntry,
        origin: DocumentOrigin,
    ) -> Result<(), PortabilityError> {
        let altered = |what| PortabilityError::StoredDocumentAltered {
            lot: self.position,
            document: self.json_docs.len() + 1,
            what,
        };
        if entry.size.is_some_and(|s| s != size) {
            return Err(altered("size"));
        }
        let mut e = entry.clone();
        e.patient_id = Some(self.patient_id.clone());
        // One pass: the XDM writer computes the SHA-1 as it copies, and the stored hash is
        // compared afterwards (a mismatch abandons the whole lot, so nothing wrong is kept).
        let written = self
            .xdm
            .add(bytes, Some(size), e, extension(&entry.mime_type))
            .map_err(|source| PortabilityError::Lot {
                archive: self.archive.to_string(),
                source,
            })?;
        if written.size != Some(size) {
            return Err(altered("size"));
        }
        if let (Some(stored), Some(actual)) = (&entry.hash, &written.hash)
            && !stored.trim().eq_ignore_ascii_case(actual)
        {
            return Err(altered("hash"));
        }
        self.json_docs.push(LotJsonDocument {
            uri: written.uri.clone().unwrap_or_default(),
            origin,
        });
        self.index_docs.push((
            entry.title.clone().unwrap_or_default(),
            entry.creation_time.clone().unwrap_or_default(),
            entry.mime_type.clone(),
            origin.code(),
        ));
        Ok(())
    }

    /// Closes the lot (METADATA.XML, README.TXT, INDEX.HTM, `SPECIFIC/LOT.JSN`) and copies it
    /// into the export as a stored `PATnnnnn.ZIP`, computing its SHA-256 for the manifest on
    /// the way (one read of the temporary file).
    pub fn finish(self) -> Result<ArchiveId, PortabilityError> {
        let archive = self.archive;
        let lot_err = |source| PortabilityError::Lot {
            archive: archive.to_string(),
            source,
        };
        let json = LotJson {
            format_version: FORMAT_VERSION.to_owned(),
            archive_id: archive.to_string(),
            patient: LotJsonPatient {
                local_id: self.patient.local_id.clone(),
                ins: (self.patient.status == IdentityStatus::Qualifiee)
                    .then(|| self.patient.ins.clone())
                    .flatten(),
                identity_status: self.patient.status.code().to_owned(),
            },
            documents: self.json_docs,
        };
        let json = serde_json::to_vec_pretty(&json).map_err(io)?;
        let mut xdm = self.xdm;
        xdm.add_other_file("SPECIFIC/LOT.JSN", &json)
            .map_err(lot_err)?;
        let (out, _) = xdm.finish().map_err(lot_err)?;
        let mut file = out.into_inner().map_err(|e| io(e.error()))?;
        let size = file.stream_position().map_err(io)?;
        file.rewind().map_err(io)?;
        let export = self.export;
        let opts = export
            .options()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(size >= u64::from(u32::MAX));
        export
            .zip
            .start_file(format!("{archive}.ZIP"), opts)
            .map_err(XdmError::from)?;
        let mut sha256 = sha2::Sha256::new();
        let mut copied = 0u64;
        let mut buf = vec![0u8; COPY_BUFFER];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io(format!("{archive}: temporary file: {e}"))),
            };
            let chunk = buf.get(..n).unwrap_or_default();
            sha256.update(chunk);
            export.zip.write_all(chunk).map_err(io)?;
            copied += n as u64;
        }
        if copied != size {
            return Err(io(format!(
                "{archive}: temporary file gave {copied} bytes of {size}"
            )));
        }
        // Emptied for the next lot; a file that cannot be emptied is dropped (and so deleted).
        if file.set_len(0).and_then(|()| file.rewind()).is_ok() {
            export.spare = Some(file);
        }
        export.archives.push(ManifestArchive {
            archive_type: ArchiveType::Patient,
            archive_id: archive.to_string(),
            patient_id: Some(self.manifest_patient),
            size,
            sha256: crate::xds::hex(&sha256.finalize()),
        });
        export.index.push(IndexLot {
            archive,
            patient: self.index_patient,
            status: self.patient.status,
            documents: self.index_docs,
        });
        Ok(archive)
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
