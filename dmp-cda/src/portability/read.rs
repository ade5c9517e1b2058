//! The reader: a portability export (MANIFEST.XML + `PATnnnnn.ZIP` lots) or a plain
//! IHE_XDM.ZIP (`IHE_XDM/SUBSETnnn/`). Every rule of the XDM reader applies to the export
//! itself (traversal, absolute paths, links, encryption, duplicate names, bombs) and to every
//! lot ([`XdmLimits`]); each lot's size and SHA-256 are checked against the manifest. Any
//! failure refuses the whole archive: nothing is returned.

use std::collections::HashMap;
use std::io::{Read, Seek};

use segur_ins::IdentityStatus;
use sha2::Digest as _;

use super::lot::{DocumentOrigin, LotDocument, LotJson, LotPatient, PatientLot};
use super::manifest::{ArchiveId, ArchiveType, Manifest};
use super::{FORMAT_VERSION, PortabilityError};
use crate::xdm::{XdmError, XdmLimits, XdmPackage};
use crate::xds::XdsPatientId;
use crate::xml::XmlLimits;

/// Bounds applied while reading an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortabilityLimits {
    /// Limits of the XDM reader, applied to every lot (and to a plain IHE_XDM.ZIP).
    pub lot: XdmLimits,
    /// Most lots (99,999 is the most `PATnnnnn` can name).
    pub max_lots: usize,
    /// Most entries of the export.
    pub max_entries: usize,
    /// Largest MANIFEST.XML, README.TXT, INDEX.HTM or documentation file.
    pub max_file_bytes: u64,
    /// Largest total of the lots returned (they are returned in memory).
    pub max_total_bytes: u64,
    /// Most end-of-central-directory signatures in an archive that does not end with a
    /// well-formed end record (see [`XdmLimits::max_end_records`]). An export whose last bytes
    /// are an end record pointing at its central directory is taken by the zip reader at its
    /// first candidate, so the signatures its stored lots bring (one per lot) are not counted
    /// then (checked before counting); any other archive is counted, as a plain XDM is.
    pub max_end_records: usize,
}

impl Default for PortabilityLimits {
    /// The XDM reader's defaults per lot, 99,999 lots, 100,100 entries, 64 MiB per file,
    /// 4 GiB of lots, 16 end records.
    fn default() -> Self {
        Self {
            lot: XdmLimits::default(),
            max_lots: 99_999,
            max_entries: 100_100,
            max_file_bytes: 64 << 20,
            max_total_bytes: 4 << 30,
            max_end_records: 16,
        }
    }
}

/// Something of the archive that was read but cannot be placed in a patient record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplaced {
    /// Entry (or lot and document) path.
    pub path: String,
    /// Why.
    pub reason: &'static str,
}

/// One lot read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedLot {
    /// `PATnnnnn` for an export; the subset folder for a plain IHE_XDM.ZIP.
    pub archive_id: String,
    /// The patient, as the export's LOT.JSN gives it; `None` for a plain IHE_XDM.ZIP (the
    /// caller applies its identity vigilance to [`ImportedLot::patient_id`]).
    pub patient: Option<LotPatient>,
    /// The submission set patientId of METADATA.XML.
    pub patient_id: Option<XdsPatientId>,
    /// The documents, byte for byte, with their entries and origin (`Imported` when the
    /// archive does not say).
    pub documents: Vec<LotDocument>,
}

impl ImportedLot {
    /// The lot as export input, when its patient is known (a lot of a segur export).
    pub fn to_patient_lot(&self) -> Option<PatientLot> {
        Some(PatientLot {
            patient: self.patient.clone()?,
            documents: self.documents.clone(),
        })
    }
}

/// What [`read`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedExport {
    /// MANIFEST.XML; `None` for a plain IHE_XDM.ZIP.
    pub manifest: Option<Manifest>,
    /// The lots, in manifest (or subset) order.
    pub lots: Vec<ImportedLot>,
    /// What could not be placed: transverse lots, unknown files, documents without entry.
    pub unplaced: Vec<Unplaced>,
}

/// Whether the archive ends with an end-of-central-directory record (APPNOTE 4.3.16) that the
/// zip reader takes at its first try: the last `PK\x05\x06` of the file, its comment reaching
/// exactly the end, not ZIP64, its central directory ending where it starts and opening with a
/// central file header signature. The zip reader searches for end records backwards from the
/// end of the file and stops at the first consistent one, so with such an ending the
/// signatures inside stored lots are never tried, and reading stays linear however many lots
/// there are. Anything else (a comment holding a signature, a damaged or crafted ending) is
/// left to the signature count.
fn ends_with_plain_end_record<R: Read + Seek>(r: &mut R) -> Result<bool, PortabilityError> {
    use std::io::SeekFrom;
    const RECORD: u64 = 22;
    let io = |e: std::io::Error| PortabilityError::Io(e.to_string());
    let len = r.seek(SeekFrom::End(0)).map_err(io)?;
    let tail_len = len.min(RECORD + u64::from(u16::MAX));
    let tail_start = len - tail_len;
    r.seek(SeekFrom::Start(tail_start)).map_err(io)?;
    let mut tail = vec![0u8; usize::try_from(tail_len).unwrap_or(0)];
    r.read_exact(&mut tail).map_err(io)?;
    let le16 = |b: &[u8], at: usize| {
        b.get(at..at + 2)
            .and_then(|x| <[u8; 2]>::try_from(x).ok())
            .map(u16::from_le_bytes)
    };
    let le32 = |b: &[u8], at: usize| {
        b.get(at..at + 4)
            .and_then(|x| <[u8; 4]>::try_from(x).ok())
            .map(u32::from_le_bytes)
    };
    let Some(at) = tail.windows(4).rposition(|w| w == b"PK\x05\x06") else {
        return Ok(false);
    };
    let record = tail.get(at..).unwrap_or_default();
    let (Some(entries), Some(cd_size), Some(cd_offset), Some(comment)) = (
        le16(record, 10),
        le32(record, 12),
        le32(record, 16),
        le16(record, 20),
    ) else {
        return Ok(false);
    };
    let end_record_at = tail_start + at as u64;
    let zip64 = entries == u16::MAX || cd_size == u32::MAX || cd_offset == u32::MAX;
    if zip64
        || entries == 0
        || end_record_at + RECORD + u64::from(comment) != len
        || u64::from(cd_offset) + u64::from(cd_size) != end_record_at
    {
        return Ok(false);
    }
    r.seek(SeekFrom::Start(u64::from(cd_offset))).map_err(io)?;
    let mut signature = [0u8; 4];
    r.read_exact(&mut signature).map_err(io)?;
    r.rewind().map_err(io)?;
    Ok(&signature == b"PK\x01\x02")
}

/// Counts `PK\x05\x06` in one linear pass (the zip reader tries every candidate it finds).
fn count_end_records<R: Read + Seek>(r: &mut R, limit: usize) -> Result<usize, PortabilityError> {
    let io = |e: std::io::Error| PortabilityError::Io(e.to_string());
    r.rewind().map_err(io)?;
    let mut buf = vec![0u8; 1 << 16];
    let mut carry: Vec<u8> = Vec::with_capacity(3);
    let mut count = 0;
    loop {
        let n = r.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        let mut window = std::mem::take(&mut carry);
        window.extend_from_slice(buf.get(..n).unwrap_or_default());
        count += window.windows(4).filter(|w| *w == b"PK\x05\x06").count();
        if count > limit {
            break;
        }
        let keep = window.len().saturating_sub(3);
        carry = window.get(keep..).unwrap_or_default().to_vec();
    }
    r.rewind().map_err(io)?;
    Ok(count)
}

/// Reads one entry whole, under `limit` bytes (declared sizes can lie: at most limit + 1
/// bytes are read) and the XDM reader's compression-ratio limit.
fn entry_bytes<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    index: usize,
    limit: u64,
    max_ratio: u64,
) -> Result<Vec<u8>, PortabilityError> {
    let mut f = zip.by_index(index).map_err(XdmError::from)?;
    let name: String = f.name().chars().take(200).collect();
    let too_large = || XdmError::EntryTooLarge {
        name: name.clone(),
        limit,
    };
    if f.size() > limit {
        return Err(too_large().into());
    }
    let compressed = f.compressed_size().max(1);
    let mut bytes = Vec::with_capacity(usize::try_from(f.size().min(1 << 24)).unwrap_or(0));
    (&mut f)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| XdmError::Zip(format!("{name}: {e}")))?;
    let n = bytes.len() as u64;
    if n > limit {
        return Err(too_large().into());
    }
    if n > (1 << 20) && n / compressed > max_ratio {
        return Err(XdmError::RatioTooHigh {
            name,
            ratio: n / compressed,
            limit: max_ratio,
        }
        .into());
    }
    Ok(bytes)
}

/// Reads an export (or a plain IHE_XDM.ZIP) held in memory.
pub fn read_bytes(
    bytes: &[u8],
    limits: &PortabilityLimits,
) -> Result<ImportedExport, PortabilityError> {
    read(std::io::Cursor::new(bytes), limits)
}

/// Reads an export from a file (or a plain IHE_XDM.ZIP). Refuses the whole archive on the
/// first problem (typed error naming the entry, the lot or the manifest field); otherwise
/// returns every lot and what could not be placed. Every lot is returned in memory (at most
/// [`PortabilityLimits::max_total_bytes`]); [`read_each`] hands them over one at a time.
pub fn read<R: Read + Seek>(
    mut reader: R,
    limits: &PortabilityLimits,
) -> Result<ImportedExport, PortabilityError> {
    let mut lots = Vec::new();
    let (manifest, unplaced) = read_inner(&mut reader, limits, true, &mut |lot| {
        lots.push(lot);
        Ok(())
    })?;
    Ok(ImportedExport {
        manifest,
        lots,
        unplaced,
    })
}

/// What [`read_each`] returns once every lot was handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// MANIFEST.XML; `None` for a plain IHE_XDM.ZIP.
    pub manifest: Option<Manifest>,
    /// What could not be placed.
    pub unplaced: Vec<Unplaced>,
}

/// Reads an export lot by lot, for exports too large to hold: a first pass checks everything
/// [`read`] checks (every lot read, hashed and unpacked, then dropped) and refuses the archive
/// before `place` is ever called; a second pass reads each lot again, checks its size and
/// SHA-256 again and hands it to `place`. Memory: one lot at a time. Should the file change
/// between the passes, the lot that no longer matches is refused in the second pass, after the
/// lots before it were placed: the error says which.
pub fn read_each<R: Read + Seek>(
    mut reader: R,
    limits: &PortabilityLimits,
    mut place: impl FnMut(ImportedLot) -> Result<(), PortabilityError>,
) -> Result<ImportReport, PortabilityError> {
    // The total limit bounds what is held at once; here that is one lot.
    read_inner(&mut reader, limits, false, &mut |_| Ok(()))?;
    let (manifest, unplaced) = read_inner(&mut reader, limits, false, &mut place)?;
    Ok(ImportReport { manifest, unplaced })
}

type Sink<'s> = dyn FnMut(ImportedLot) -> Result<(), PortabilityError> + 's;

/// One pass over the archive; `held` says whether the lots handed to `sink` are kept (so the
/// total limit applies).
fn read_inner<R: Read + Seek>(
    mut reader: &mut R,
    limits: &PortabilityLimits,
    held: bool,
    sink: &mut Sink<'_>,
) -> Result<(Option<Manifest>, Vec<Unplaced>), PortabilityError> {
    let end_records = if ends_with_plain_end_record(&mut reader)? {
        0
    } else {
        count_end_records(&mut reader, limits.max_end_records)?
    };
    if end_records > limits.max_end_records {
        return Err(XdmError::TooManyEndRecords {
            count: end_records,
            limit: limits.max_end_records,
        }
        .into());
    }
    let mut zip = zip::ZipArchive::new(reader).map_err(XdmError::from)?;
    // The zip reader accepts data before the first entry (self-extracting archives) and then
    // takes the last end record it finds for the archive's. An export cut just after one of
    // its lots (stored zips whose end records are visible) would read as that lot alone, a
    // plain IHE_XDM.ZIP: an export or an IHE_XDM starts at byte 0, anything else is refused.
    if zip.offset() != 0 {
        return Err(XdmError::Zip(format!(
            "{} bytes before the first entry: a truncated or altered archive",
            zip.offset()
        ))
        .into());
    }
    if zip.len() > limits.max_entries {
        return Err(XdmError::TooManyEntries {
            count: zip.len(),
            limit: limits.max_entries,
        }
        .into());
    }
    // The entry rules of the XDM reader, on the export itself.
    let mut names: HashMap<String, usize> = HashMap::with_capacity(zip.len());
    let mut xdm_layout = false;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(XdmError::from)?;
        let raw: String = f.name().chars().take(200).collect();
        let path = crate::xdm::normalise(f.name())?;
        if f.is_symlink() {
            return Err(XdmError::Symlink { name: raw }.into());
        }
        if f.encrypted() {
            return Err(XdmError::Encrypted { name: raw }.into());
        }
        if f.is_dir() {
            continue;
        }
        if f.enclosed_name().is_none() {
            return Err(XdmError::PathTraversal { name: raw }.into());
        }
        let upper = path.to_ascii_uppercase();
        xdm_layout |= upper.starts_with("IHE_XDM/");
        if names.insert(upper, i).is_some() {
            return Err(XdmError::Duplicate { name: raw }.into());
        }
    }
    let Some(&manifest_index) = names.get("MANIFEST.XML") else {
        if xdm_layout {
            return read_plain_xdm(zip, limits, sink);
        }
        return Err(PortabilityError::NotAnExport);
    };
    let manifest_bytes = entry_bytes(
        &mut zip,
        manifest_index,
        limits.max_file_bytes,
        limits.lot.max_ratio,
    )?;
    let xml_limits = XmlLimits {
        max_bytes: usize::try_from(limits.max_file_bytes).unwrap_or(usize::MAX),
        ..limits.lot.xml
    };
    let manifest = Manifest::parse(&manifest_bytes, &xml_limits)?;
    if manifest.archives.len() > limits.max_lots {
        return Err(PortabilityError::TooManyLots {
            limit: limits.max_lots,
        });
    }
    let mut unplaced = Vec::new();
    // Every lot file must be listed.
    let listed: std::collections::HashSet<String> = manifest
        .archives
        .iter()
        .map(|a| format!("{}.ZIP", a.archive_id))
        .collect();
    let mut others: Vec<(&String, &usize)> = names.iter().collect();
    others.sort_by_key(|(_, i)| **i);
    for (upper, _) in others {
        let is_lot_name = upper
            .strip_suffix(".ZIP")
            .is_some_and(|s| ArchiveId::parse(s).is_some() || s == "TRANSV");
        if is_lot_name && !listed.contains(upper) {
            return Err(PortabilityError::LotNotInManifest {
                entry: upper.clone(),
            });
        }
        let known = matches!(upper.as_str(), "MANIFEST.XML" | "README.TXT" | "INDEX.HTM")
            || upper.starts_with("DOCUMENT/")
            || is_lot_name;
        if !known {
            unplaced.push(Unplaced {
                path: upper.clone(),
                reason: "not part of the export format: not read",
            });
        }
    }
    let mut total = 0u64;
    for a in &manifest.archives {
        let entry = format!("{}.ZIP", a.archive_id);
        let Some(&index) = names.get(&entry) else {
            return Err(PortabilityError::LotMissing {
                archive: a.archive_id.clone(),
            });
        };
        let limit = u64::try_from(limits.lot.max_archive_bytes).unwrap_or(u64::MAX);
        let bytes =
            entry_bytes(&mut zip, index, limit, limits.lot.max_ratio).map_err(|e| match e {
                PortabilityError::Archive(source) => PortabilityError::Lot {
                    archive: a.archive_id.clone(),
                    source,
                },
                e => e,
            })?;
        if bytes.len() as u64 != a.size {
            return Err(PortabilityError::LotSizeMismatch {
                archive: a.archive_id.clone(),
                expected: a.size,
                actual: bytes.len() as u64,
            });
        }
        if crate::xds::hex(&sha2::Sha256::digest(&bytes)) != a.sha256 {
            return Err(PortabilityError::LotHashMismatch {
                archive: a.archive_id.clone(),
            });
        }
        if a.archive_type == ArchiveType::Transverse {
            unplaced.push(Unplaced {
                path: entry,
                reason: "transverse lot: not read by this format version",
            });
            continue;
        }
        total += bytes.len() as u64;
        if held && total > limits.max_total_bytes {
            return Err(PortabilityError::TotalTooLarge {
                limit: limits.max_total_bytes,
            });
        }
        let lot = read_lot(&bytes, a, limits, &mut unplaced)?;
        sink(lot)?;
    }
    Ok((Some(manifest), unplaced))
}

/// One `PATnnnnn.ZIP`: the XDM reader, then `SPECIFIC/LOT.JSN`, then the patient checks.
fn read_lot(
    bytes: &[u8],
    a: &super::manifest::ManifestArchive,
    limits: &PortabilityLimits,
    unplaced: &mut Vec<Unplaced>,
) -> Result<ImportedLot, PortabilityError> {
    let archive = a.archive_id.clone();
    let lot_err = |source| PortabilityError::Lot {
        archive: archive.clone(),
        source,
    };
    let json_err = |reason: String| PortabilityError::LotJson {
        archive: archive.clone(),
        reason,
    };
    let package = XdmPackage::unpack(bytes, &limits.lot).map_err(lot_err)?;
    // The XDM reader has checked every entry of the lot; LOT.JSN is read from it again.
    let mut lot_zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| lot_err(XdmError::from(e)))?;
    let json_index = (0..lot_zip.len()).find(|&i| {
        lot_zip
            .name_for_index(i)
            .is_some_and(|n| n.eq_ignore_ascii_case("SPECIFIC/LOT.JSN"))
    });
    let json: Option<LotJson> = match json_index {
        None => None,
        Some(i) => {
            let raw = entry_bytes(&mut lot_zip, i, limits.max_file_bytes, limits.lot.max_ratio)?;
            Some(serde_json::from_slice(&raw).map_err(|e| json_err(e.to_string()))?)
        }
    };
    let set_patient = package.patient_id().cloned();
    let mp = a.patient_id.as_ref();
    let manifest_cx = mp.map(|p| XdsPatientId::new(&p.root, &p.extension));
    if manifest_cx.is_some() && set_patient.is_some() && manifest_cx != set_patient {
        return Err(PortabilityError::PatientMismatch {
            archive,
            first: "MANIFEST.XML",
            second: "METADATA.XML",
        });
    }
    let mut origins: HashMap<String, DocumentOrigin> = HashMap::new();
    let patient = match &json {
        None => None,
        Some(j) => {
            if j.format_version != FORMAT_VERSION {
                return Err(json_err(format!(
                    "formatVersion {:?} is not {FORMAT_VERSION}",
                    j.format_version.chars().take(16).collect::<String>()
                )));
            }
            if j.archive_id != archive {
                return Err(json_err("archiveId differs from the manifest's".to_owned()));
            }
            let status =
                IdentityStatus::from_code(&j.patient.identity_status).ok_or_else(|| {
                    json_err("identityStatus is not PROV, RECUP, VALI or QUAL".into())
                })?;
            let patient = LotPatient {
                local_id: j.patient.local_id.clone(),
                ins: j.patient.ins.clone(),
                status,
            };
            if patient.patient_id() != set_patient.as_ref() {
                return Err(PortabilityError::PatientMismatch {
                    archive,
                    first: "SPECIFIC/LOT.JSN",
                    second: "METADATA.XML",
                });
            }
            if mp.is_some_and(|m| m.identity_status != status.code()) {
                return Err(PortabilityError::PatientMismatch {
                    archive,
                    first: "SPECIFIC/LOT.JSN identityStatus",
                    second: "MANIFEST.XML identityStatus",
                });
            }
            for d in &j.documents {
                if origins
                    .insert(d.uri.to_ascii_uppercase(), d.origin)
                    .is_some()
                {
                    return Err(json_err("a document URI is listed twice".to_owned()));
                }
            }
            Some(patient)
        }
    };
    let mut documents = Vec::new();
    for d in package.subsets.into_iter().flat_map(|s| s.documents) {
        let Some(entry) = d.entry else {
            unplaced.push(Unplaced {
                path: format!("{archive}/{}", d.path),
                reason: "file without DocumentEntry in METADATA.XML",
            });
            continue;
        };
        let origin = entry
            .uri
            .as_deref()
            .and_then(|u| origins.get(&u.to_ascii_uppercase()).copied())
            .unwrap_or(DocumentOrigin::Imported);
        documents.push(LotDocument {
            bytes: d.bytes,
            entry,
            origin,
        });
    }
    Ok(ImportedLot {
        archive_id: archive,
        patient,
        patient_id: set_patient,
        documents,
    })
}

/// A plain IHE_XDM.ZIP: one lot per subset, read by the XDM reader.
fn read_plain_xdm<R: Read + Seek>(
    zip: zip::ZipArchive<R>,
    limits: &PortabilityLimits,
    sink: &mut Sink<'_>,
) -> Result<(Option<Manifest>, Vec<Unplaced>), PortabilityError> {
    let mut reader = zip.into_inner();
    let io = |e: std::io::Error| PortabilityError::Io(e.to_string());
    reader.rewind().map_err(io)?;
    let limit = limits.lot.max_archive_bytes;
    let mut bytes = Vec::new();
    reader
        .take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    let package = XdmPackage::unpack(&bytes, &limits.lot)?;
    let mut unplaced = Vec::new();
    for s in package.subsets {
        let mut documents = Vec::new();
        for d in s.documents {
            let Some(entry) = d.entry else {
                unplaced.push(Unplaced {
                    path: d.path,
                    reason: "file without DocumentEntry in METADATA.XML",
                });
                continue;
            };
            documents.push(LotDocument {
                bytes: d.bytes,
                entry,
                origin: DocumentOrigin::Imported,
            });
        }
        sink(ImportedLot {
            archive_id: s.name,
            patient: None,
            patient_id: s.submission.submission_set.patient_id,
            documents,
        })?;
    }
    Ok((None, unplaced))
}
