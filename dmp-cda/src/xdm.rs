//! IHE_XDM.ZIP packages (IHE ITI TF-1 §16, TF-3 §4.2.1.1; MSSanté attachments, see
//! mss-eprescription.md §2): in-memory writer and a hostile-archive-safe reader.
//!
//! Layout written: `README.TXT`, `INDEX.HTM`, `IHE_XDM/SUBSET01/METADATA.XML`,
//! `IHE_XDM/SUBSET01/DOC0001.XML` (+ `DOC0002.PDF`), ISO-9660 level-1 names (8.3, upper case).
//! Nothing is ever written to disk: received archives must not leak into temp folders.
//!
//! Reading accepts any subset folder name (`SUBSET01`, `SS000001`...), matches names
//! case-insensitively, finds documents through the `URI` slot (fallback: every non-metadata file
//! of the subset, matched to entries by hash), checks hash and size against the metadata when
//! it gives them and says per document what was checked ([`Integrity`]); a caller may require
//! both ([`XdmLimits::require_hash_and_size`]).

use std::collections::HashMap;
use std::io::{Cursor, Read, Seek, Write};

use crate::ebrim::{self, EbrimError};
use crate::model::Code;
use crate::read::CdaError;
use crate::xds::{
    DeriveOptions, DocumentEntry, Submission, SubmissionSet, XdsError, XdsPatientId, sha1_hex,
};
use crate::xml::XmlLimits;

/// Bounds applied while reading an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XdmLimits {
    /// Largest accepted archive, in bytes.
    pub max_archive_bytes: usize,
    /// Most entries (files and folders) accepted.
    pub max_entries: usize,
    /// Largest accepted uncompressed entry.
    pub max_entry_bytes: u64,
    /// Largest accepted total uncompressed size.
    pub max_total_bytes: u64,
    /// Largest accepted compression ratio for an entry above 1 MiB (zip bombs).
    pub max_ratio: u64,
    /// Most end-of-central-directory signatures (`PK\x05\x06`, APPNOTE 4.3.16) accepted in
    /// the archive. A zip has one; the zip reader tries every candidate it finds, re-reading the
    /// central directory each time, so thousands of them made a 3.4 MB archive take 85 s. A
    /// few are allowed because the four bytes can occur by chance inside stored content.
    pub max_end_records: usize,
    /// Limits for METADATA.XML.
    pub xml: XmlLimits,
    /// Refuse a document whose metadata gives no `hash` or no `size`
    /// ([`XdmError::IntegrityNotChecked`]). Both are R for XDM media (IHE ITI TF-3 Table
    /// 4.3.1-3) but other senders leave them out; by default such a document is read and its
    /// [`XdmDocument::integrity`] says what could not be checked.
    pub require_hash_and_size: bool,
}

impl Default for XdmLimits {
    /// 128 MiB archive, 256 entries, 64 MiB per entry, 256 MiB in total, ratio 100, 16
    /// end-of-central-directory signatures; hash and size checked when present, not required.
    fn default() -> Self {
        Self {
            max_archive_bytes: 128 << 20,
            max_entries: 256,
            max_entry_bytes: 64 << 20,
            max_total_bytes: 256 << 20,
            max_ratio: 100,
            max_end_records: 16,
            xml: XmlLimits {
                max_bytes: 16 << 20,
                ..XmlLimits::default()
            },
            require_hash_and_size: false,
        }
    }
}

/// Why an archive could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum XdmError {
    /// The archive is larger than [`XdmLimits::max_archive_bytes`].
    #[error("archive is {size} bytes, above the {limit}-byte limit")]
    ArchiveTooLarge {
        /// Size.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// Not a readable zip (truncated, corrupt, CRC error...).
    #[error("zip: {0}")]
    Zip(String),
    /// More entries than [`XdmLimits::max_entries`].
    #[error("{count} entries, above the limit of {limit}")]
    TooManyEntries {
        /// Entries in the central directory.
        count: usize,
        /// Limit.
        limit: usize,
    },
    /// An entry name escapes the archive (`..`).
    #[error("entry {name:?}: path traversal")]
    PathTraversal {
        /// Entry name.
        name: String,
    },
    /// An entry name is absolute (`/x`, `C:x`, `\\x`).
    #[error("entry {name:?}: absolute path")]
    AbsolutePath {
        /// Entry name.
        name: String,
    },
    /// An entry is a symbolic link.
    #[error("entry {name:?}: symbolic link")]
    Symlink {
        /// Entry name.
        name: String,
    },
    /// An entry is encrypted (XDM media are not encrypted; the transport is).
    #[error("entry {name:?}: encrypted entries are not supported")]
    Encrypted {
        /// Entry name.
        name: String,
    },
    /// Two entries have the same name (case-insensitively).
    #[error("entry {name:?}: duplicate name")]
    Duplicate {
        /// Entry name.
        name: String,
    },
    /// An entry expands beyond [`XdmLimits::max_entry_bytes`].
    #[error("entry {name:?}: expands beyond {limit} bytes")]
    EntryTooLarge {
        /// Entry name.
        name: String,
        /// Limit.
        limit: u64,
    },
    /// The archive expands beyond [`XdmLimits::max_total_bytes`].
    #[error("archive expands beyond {limit} bytes")]
    TotalTooLarge {
        /// Limit.
        limit: u64,
    },
    /// An entry's compression ratio exceeds [`XdmLimits::max_ratio`] (zip bomb).
    #[error("entry {name:?}: compression ratio {ratio} above {limit}")]
    RatioTooHigh {
        /// Entry name.
        name: String,
        /// Observed ratio.
        ratio: u64,
        /// Limit.
        limit: u64,
    },
    /// More end-of-central-directory signatures than [`XdmLimits::max_end_records`].
    #[error("{count} or more end-of-central-directory signatures, above the limit of {limit}")]
    TooManyEndRecords {
        /// Signatures counted (the count stops one past the limit).
        count: usize,
        /// Limit.
        limit: usize,
    },
    /// No `IHE_XDM/<subset>/METADATA.XML`.
    #[error("no IHE_XDM/<subset>/METADATA.XML in the archive")]
    NoMetadata,
    /// A METADATA.XML could not be read.
    #[error("{path}: {source}")]
    Metadata {
        /// Its path.
        path: String,
        /// Why.
        source: EbrimError,
    },
    /// A document entry's URI names no file of its subset.
    #[error("subset {subset}: URI {uri:?} names no file")]
    MissingDocument {
        /// Subset folder.
        subset: String,
        /// URI slot value.
        uri: String,
    },
    /// Two document entries (or a document entry and a METADATA.XML) name the same file: each
    /// file is one document (IHE ITI TF-3 §4.2.3.2: one DocumentEntry per document), and handing
    /// it out twice would lose its bytes for one of them.
    #[error("subset {subset}: URI {uri:?} names a file another entry already names")]
    SharedDocument {
        /// Subset folder.
        subset: String,
        /// URI slot value.
        uri: String,
    },
    /// A document's SHA-1 differs from its metadata `hash`.
    #[error("{path}: SHA-1 differs from the metadata hash")]
    HashMismatch {
        /// Document path.
        path: String,
    },
    /// A document's size differs from its metadata `size`.
    #[error("{path}: size {actual} differs from the metadata size {expected}")]
    SizeMismatch {
        /// Document path.
        path: String,
        /// Metadata size.
        expected: u64,
        /// Actual size.
        actual: u64,
    },
    /// [`XdmLimits::require_hash_and_size`] is set and a document's metadata gives no `hash`
    /// or no `size` (or the file has no DocumentEntry at all).
    #[error("{path}: metadata gives no {missing}: integrity cannot be checked")]
    IntegrityNotChecked {
        /// Document path.
        path: String,
        /// `hash`, `size`, `hash and size` or `DocumentEntry`.
        missing: &'static str,
    },
    /// A `urn:uuid:` given for an entryUUID (e.g. the replaced entry of an RPLC association)
    /// is not an RFC 4122 URN (`urn:uuid:` followed by the 8-4-4-4-12 hexadecimal form).
    #[error("{what} is not an RFC 4122 urn:uuid")]
    BadEntryUuid {
        /// Which value.
        what: &'static str,
    },
    /// A sender field for README.TXT holds a control character (CR, LF, ESC...).
    #[error("sender {field}: control character at character {position}")]
    SenderText {
        /// Field of [`XdmSender`].
        field: &'static str,
        /// Character index (0-based).
        position: usize,
    },
    /// A sender field README.TXT must give is blank: IHE ITI TF-1 §16 (XDM) asks the media
    /// to name the organisation that made it and how to reach it, so the organisation and
    /// the contact are required (empty or whitespace only is refused).
    #[error("sender {field} missing: README.TXT must give the sender's organisation and contact")]
    SenderMissing {
        /// Field of [`XdmSender`]: `organization` or `contact`.
        field: &'static str,
    },
    /// The CDA to pack could not be read.
    #[error("CDA: {0}")]
    Cda(#[from] CdaError),
    /// Metadata could not be derived from the CDA.
    #[error("XDS metadata: {0}")]
    Xds(#[from] XdsError),
    /// Reading a document or writing the archive failed (the output file, a document's reader).
    #[error("I/O: {0}")]
    Io(String),
}

impl From<zip::result::ZipError> for XdmError {
    fn from(e: zip::result::ZipError) -> Self {
        Self::Zip(e.to_string())
    }
}

/// Whether one integrity attribute of a document was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The metadata gives it and the bytes match (a mismatch is an error, never a document).
    Verified,
    /// The metadata does not give it: nothing was checked.
    NotInMetadata,
}

/// What was checked of a document's bytes against its metadata (IHE ITI TF-3 §4.2.3.2.18 hash,
/// §4.2.3.2.24 size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Integrity {
    /// SHA-1 against `hash`.
    pub hash: Check,
    /// Length against `size`.
    pub size: Check,
}

impl Integrity {
    /// Both hash and size verified.
    pub fn complete(&self) -> bool {
        self.hash == Check::Verified && self.size == Check::Verified
    }

    /// What the metadata left out, in words (`None` when complete).
    pub fn missing(&self) -> Option<&'static str> {
        match (self.hash, self.size) {
            (Check::Verified, Check::Verified) => None,
            (Check::NotInMetadata, Check::Verified) => Some("hash"),
            (Check::Verified, Check::NotInMetadata) => Some("size"),
            (Check::NotInMetadata, Check::NotInMetadata) => Some("hash and size"),
        }
    }

    const NONE: Self = Self {
        hash: Check::NotInMetadata,
        size: Check::NotInMetadata,
    };
}

/// A document found in a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XdmDocument {
    /// Path in the archive, as stored.
    pub path: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Its DocumentEntry; `None` for a file the metadata does not describe.
    pub entry: Option<DocumentEntry>,
    /// What of `bytes` was checked against `entry` (nothing when `entry` is `None`).
    pub integrity: Integrity,
}

impl XdmDocument {
    /// Whether this is an XML document (a CDA candidate): mimeType `text/xml`, or an `.XML`
    /// file without metadata.
    pub fn is_xml(&self) -> bool {
        match &self.entry {
            Some(e) => {
                e.mime_type.eq_ignore_ascii_case("text/xml") || e.mime_type.ends_with("+xml")
            }
            None => self.path.to_ascii_uppercase().ends_with(".XML"),
        }
    }
}

/// One `IHE_XDM/<subset>/` folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XdmSubset {
    /// Folder name as stored (`SUBSET01`, `SS000001`...).
    pub name: String,
    /// Its METADATA.XML.
    pub submission: Submission,
    /// Attributes IHE makes R2 for XDM media that its METADATA.XML leaves out (read anyway).
    pub warnings: Vec<ebrim::MetadataWarning>,
    /// Its documents.
    pub documents: Vec<XdmDocument>,
}

/// A read IHE_XDM package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XdmPackage {
    /// Subsets, in archive order.
    pub subsets: Vec<XdmSubset>,
    /// README.TXT, when present and UTF-8.
    pub readme: Option<String>,
}

/// Sender information written to README.TXT (IHE ITI TF-1 §16.1.1, Mediboard/ANS practice).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct XdmSender {
    /// Sender (person or structure) name.
    pub name: String,
    /// Organisation, with its FINESS where it has one.
    pub organization: String,
    /// Sending application name.
    pub application: String,
    /// Application version.
    pub version: String,
    /// Application vendor.
    pub vendor: String,
    /// How to reach the sender (telephone, MSSanté address, postal address): README.TXT gives
    /// the contact of the media's creator (IHE ITI TF-3 §4.2.1.1.2 / TF-1 §16).
    pub contact: String,
}

pub(crate) fn normalise(raw: &str) -> Result<String, XdmError> {
    let name = raw.replace('\\', "/");
    if name.starts_with('/')
        || name.split('/').next().is_some_and(|c| c.contains(':'))
        || raw.contains('\0')
    {
        return Err(XdmError::AbsolutePath {
            name: raw.chars().take(200).collect(),
        });
    }
    if name.split('/').any(|c| c == "..") {
        return Err(XdmError::PathTraversal {
            name: raw.chars().take(200).collect(),
        });
    }
    Ok(name)
}

struct RawEntry {
    path: String,
    upper: String,
    bytes: Vec<u8>,
}

fn read_entries(zip_bytes: &[u8], limits: &XdmLimits) -> Result<Vec<RawEntry>, XdmError> {
    if zip_bytes.len() > limits.max_archive_bytes {
        return Err(XdmError::ArchiveTooLarge {
            size: zip_bytes.len(),
            limit: limits.max_archive_bytes,
        });
    }
    // One linear pass before the zip reader, whose search for the end record is not linear in
    // the number of candidates it finds.
    let end_records = zip_bytes
        .windows(4)
        .filter(|w| *w == b"PK\x05\x06")
        .take(limits.max_end_records.saturating_add(1))
        .count();
    if end_records > limits.max_end_records {
        return Err(XdmError::TooManyEndRecords {
            count: end_records,
            limit: limits.max_end_records,
        });
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(zip_bytes))?;
    // The zip reader accepts data before the first entry (self-extracting archives) and takes
    // the last end record it finds for the archive's: a package cut or prefixed would be read
    // as whatever zip ends it (a stored inner zip, say). An IHE_XDM.ZIP starts at byte 0.
    if archive.offset() != 0 {
        return Err(XdmError::Zip(format!(
            "{} bytes before the first entry: a truncated or altered archive",
            archive.offset()
        )));
    }
    if archive.len() > limits.max_entries {
        return Err(XdmError::TooManyEntries {
            count: archive.len(),
            limit: limits.max_entries,
        });
    }
    let mut out: Vec<RawEntry> = Vec::with_capacity(archive.len());
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut f = archive.by_index(i)?;
        let raw = f.name().to_owned();
        let path = normalise(&raw)?;
        if f.is_symlink() {
            return Err(XdmError::Symlink { name: raw });
        }
        if f.encrypted() {
            return Err(XdmError::Encrypted { name: raw });
        }
        if f.is_dir() {
            continue;
        }
        if f.enclosed_name().is_none() {
            return Err(XdmError::PathTraversal { name: raw });
        }
        if f.size() > limits.max_entry_bytes {
            return Err(XdmError::EntryTooLarge {
                name: raw,
                limit: limits.max_entry_bytes,
            });
        }
        let compressed = f.compressed_size().max(1);
        // Read at most limit + 1 bytes whatever the header declares: declared sizes can lie.
        let mut bytes = Vec::with_capacity(usize::try_from(f.size().min(1 << 20)).unwrap_or(0));
        (&mut f)
            .take(limits.max_entry_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| XdmError::Zip(format!("{raw}: {e}")))?;
        let n = bytes.len() as u64;
        if n > limits.max_entry_bytes {
            return Err(XdmError::EntryTooLarge {
                name: raw,
                limit: limits.max_entry_bytes,
            });
        }
        if n > (1 << 20) && n / compressed > limits.max_ratio {
            return Err(XdmError::RatioTooHigh {
                name: raw,
                ratio: n / compressed,
                limit: limits.max_ratio,
            });
        }
        total += n;
        if total > limits.max_total_bytes {
            return Err(XdmError::TotalTooLarge {
                limit: limits.max_total_bytes,
            });
        }
        let upper = path.to_ascii_uppercase();
        if out.iter().any(|e| e.upper == upper) {
            return Err(XdmError::Duplicate { name: raw });
        }
        out.push(RawEntry { path, upper, bytes });
    }
    Ok(out)
}

/// Checks the bytes against the entry's `size` and `hash` (each when given) and says what was
/// checked; with `require`, a document whose metadata lacks either is refused.
fn check(
    path: &str,
    bytes: &[u8],
    entry: Option<&DocumentEntry>,
    require: bool,
) -> Result<Integrity, XdmError> {
    let Some(entry) = entry else {
        if require {
            return Err(XdmError::IntegrityNotChecked {
                path: path.to_owned(),
                missing: "DocumentEntry",
            });
        }
        return Ok(Integrity::NONE);
    };
    let mut integrity = Integrity::NONE;
    if let Some(size) = entry.size {
        if size != bytes.len() as u64 {
            return Err(XdmError::SizeMismatch {
                path: path.to_owned(),
                expected: size,
                actual: bytes.len() as u64,
            });
        }
        integrity.size = Check::Verified;
    }
    if let Some(h) = &entry.hash {
        if !h.trim().eq_ignore_ascii_case(&sha1_hex(bytes)) {
            return Err(XdmError::HashMismatch {
                path: path.to_owned(),
            });
        }
        integrity.hash = Check::Verified;
    }
    if require && let Some(missing) = integrity.missing() {
        return Err(XdmError::IntegrityNotChecked {
            path: path.to_owned(),
            missing,
        });
    }
    Ok(integrity)
}

impl XdmPackage {
    /// Reads an IHE_XDM.ZIP from memory.
    pub fn unpack(zip_bytes: &[u8], limits: &XdmLimits) -> Result<Self, XdmError> {
        let mut entries = read_entries(zip_bytes, limits)?;
        let readme = entries
            .iter()
            .find(|e| e.upper == "README.TXT" || e.upper.ends_with("/README.TXT"))
            .and_then(|e| String::from_utf8(e.bytes.clone()).ok());
        // METADATA.XML files: .../IHE_XDM/<subset>/METADATA.XML, case-insensitive.
        let metas: Vec<(usize, String)> = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let mut parts = e.upper.rsplit('/');
                let is_metadata = parts.next() == Some("METADATA.XML")
                    && parts.next().is_some()
                    && parts.next() == Some("IHE_XDM");
                is_metadata.then(|| {
                    (
                        i,
                        e.path
                            .rsplit_once('/')
                            .map(|(d, _)| d.to_owned())
                            .unwrap_or_default(),
                    )
                })
            })
            .collect();
        if metas.is_empty() {
            return Err(XdmError::NoMetadata);
        }
        // The exact upper-cased path is indexed once; the suffix fallback below scans the entries,
        // which `XdmLimits::max_entries` bounds (256 by default).
        let mut exact: HashMap<String, usize> = HashMap::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            exact.entry(e.upper.clone()).or_insert(i);
        }
        // One flag per entry for the whole archive: a file handed to one document (or a
        // METADATA.XML) is never handed to another, which would leave it empty (its bytes are
        // moved out): two document entries naming one file are refused instead.
        let mut taken = vec![false; entries.len()];
        for (mi, _) in &metas {
            if let Some(t) = taken.get_mut(*mi) {
                *t = true;
            }
        }
        let mut subsets = Vec::with_capacity(metas.len());
        for (mi, dir) in metas {
            let Some(meta) = entries.get(mi) else {
                return Err(XdmError::NoMetadata);
            };
            let meta_path = meta.path.clone();
            let (submission, warnings) = ebrim::read_with_warnings(&meta.bytes, &limits.xml)
                .map_err(|source| XdmError::Metadata {
                    path: meta_path.clone(),
                    source,
                })?;
            let dir_upper = format!("{}/", dir.to_ascii_uppercase());
            let mut documents = Vec::new();
            let mut unresolved = Vec::new();
            for entry in &submission.documents {
                let Some(uri) = entry.uri.as_deref() else {
                    unresolved.push(Some(entry.clone()));
                    continue;
                };
                let uri_upper = uri
                    .replace('\\', "/")
                    .trim_start_matches("./")
                    .to_ascii_uppercase();
                let idx = exact
                    .get(&format!("{dir_upper}{uri_upper}"))
                    .copied()
                    .or_else(|| {
                        let slash_uri = format!("/{uri_upper}");
                        entries
                            .iter()
                            .position(|e| e.upper == uri_upper || e.upper.ends_with(&slash_uri))
                    });
                let (Some(idx), Some(file)) = (idx, idx.and_then(|i| entries.get_mut(i))) else {
                    return Err(XdmError::MissingDocument {
                        subset: dir.clone(),
                        uri: uri.to_owned(),
                    });
                };
                match taken.get_mut(idx) {
                    Some(t) if !*t => *t = true,
                    _ => {
                        return Err(XdmError::SharedDocument {
                            subset: dir.clone(),
                            uri: uri.to_owned(),
                        });
                    }
                }
                let bytes = std::mem::take(&mut file.bytes);
                let integrity = check(
                    &file.path,
                    &bytes,
                    Some(entry),
                    limits.require_hash_and_size,
                )?;
                documents.push(XdmDocument {
                    path: file.path.clone(),
                    bytes,
                    entry: Some(entry.clone()),
                    integrity,
                });
            }
            // Entries without URI, found by hash (lower-case hex, as `sha1_hex` writes it).
            let mut by_hash: HashMap<String, Vec<usize>> = HashMap::new();
            for (slot, u) in unresolved.iter().enumerate().rev() {
                if let Some(h) = u.as_ref().and_then(|u| u.hash.as_deref()) {
                    by_hash
                        .entry(h.to_ascii_lowercase())
                        .or_default()
                        .push(slot);
                }
            }
            // Fallback: every other file of the subset; entries without URI are matched by hash.
            for (e, t) in entries.iter_mut().zip(taken.iter_mut()) {
                if *t || !e.upper.starts_with(&dir_upper) {
                    continue;
                }
                *t = true;
                let hash = sha1_hex(&e.bytes);
                let entry = by_hash
                    .get_mut(&hash)
                    .and_then(Vec::pop)
                    .and_then(|slot| unresolved.get_mut(slot))
                    .and_then(Option::take);
                let integrity = check(
                    &e.path,
                    &e.bytes,
                    entry.as_ref(),
                    limits.require_hash_and_size,
                )?;
                documents.push(XdmDocument {
                    path: e.path.clone(),
                    bytes: std::mem::take(&mut e.bytes),
                    entry,
                    integrity,
                });
            }
            if let Some(u) = unresolved.iter().flatten().next() {
                return Err(XdmError::MissingDocument {
                    subset: dir.clone(),
                    uri: u.unique_id.clone(),
                });
            }
            let name = dir.rsplit('/').next().unwrap_or(&dir).to_owned();
            subsets.push(XdmSubset {
                name,
                submission,
                warnings,
                documents,
            });
        }
        Ok(Self { subsets, readme })
    }

    /// Every document of every subset.
    pub fn documents(&self) -> impl Iterator<Item = &XdmDocument> {
        self.subsets.iter().flat_map(|s| s.documents.iter())
    }

    /// The XML documents (CDA candidates), in archive order.
    pub fn cda_documents(&self) -> impl Iterator<Item = &XdmDocument> {
        self.documents().filter(|d| d.is_xml())
    }

    /// The patient identifier of the first submission set (CX), as METADATA.XML states it.
    pub fn patient_id(&self) -> Option<&XdsPatientId> {
        self.subsets
            .first()
            .and_then(|s| s.submission.submission_set.patient_id.as_ref())
    }

    /// The patient INS from METADATA.XML: `(OID, matricule)` when the patientId is an INS.
    pub fn patient_ins(&self) -> Option<(&str, &str)> {
        self.subsets
            .iter()
            .flat_map(|s| {
                std::iter::once(&s.submission.submission_set.patient_id)
                    .chain(s.submission.documents.iter().map(|d| &d.patient_id))
                    .flatten()
            })
            .find(|p| p.is_ins())
            .and_then(XdsPatientId::parts)
    }

    /// The patient INS from METADATA.XML, checked through `segur-ins` (matricule key and
    /// authority OID).
    pub fn ins(&self) -> Option<Result<segur_ins::Ins, segur_ins::InsError>> {
        self.patient_ins()
            .map(|(oid, matricule)| segur_ins::Ins::from_parts(matricule, oid))
    }
}

/// The JSON view of a read package, one contract for `segur xdm inspect --json` and
/// `segur_xdm_package_json`: every document (numbered across subsets) with its DocumentEntry
/// and what was checked, every subset with its metadata and warnings, the patient INS. Holds
/// patient data (the INS, the metadata's patient identifiers).
#[derive(Debug, serde::Serialize)]
pub struct XdmPackageView<'a> {
    /// Every document of every subset, in archive order.
    pub documents: Vec<XdmDocumentView<'a>>,
    /// Every subset.
    pub subsets: Vec<XdmSubsetView<'a>>,
    /// The patient INS of METADATA.XML, when its patientId is one.
    pub patient_ins: Option<PatientInsView<'a>>,
}

/// One document of [`XdmPackageView`].
#[derive(Debug, serde::Serialize)]
pub struct XdmDocumentView<'a> {
    /// Position across subsets (what `segur_xdm_package_document` takes).
    pub index: usize,
    /// Subset folder name.
    pub subset: &'a str,
    /// Path in the archive.
    pub path: &'a str,
    /// Size in bytes.
    pub size: usize,
    /// Whether it is an XML document (a CDA candidate).
    pub xml: bool,
    /// Its DocumentEntry, `null` for a file the metadata does not describe.
    pub entry: Option<&'a DocumentEntry>,
    /// What was checked: `{"hash":"verified"|"not-in-metadata","size":...}`.
    pub integrity: Integrity,
}

/// One subset of [`XdmPackageView`].
#[derive(Debug, serde::Serialize)]
pub struct XdmSubsetView<'a> {
    /// Folder name.
    pub name: &'a str,
    /// Its METADATA.XML.
    pub submission: &'a Submission,
    /// R2 attributes its METADATA.XML leaves out.
    pub warnings: &'a [ebrim::MetadataWarning],
}

/// The patient INS of [`XdmPackageView`].
#[derive(Debug, serde::Serialize)]
pub struct PatientInsView<'a> {
    /// INS authority OID.
    pub root: &'a str,
    /// Matricule.
    pub extension: &'a str,
}

impl XdmPackage {
    /// The JSON view of this package.
    pub fn view(&self) -> XdmPackageView<'_> {
        let documents = self
            .subsets
            .iter()
            .flat_map(|s| s.documents.iter().map(move |d| (s, d)))
            .enumerate()
            .map(|(index, (s, d))| XdmDocumentView {
                index,
                subset: &s.name,
                path: &d.path,
                size: d.bytes.len(),
                xml: d.is_xml(),
                entry: d.entry.as_ref(),
                integrity: d.integrity,
            })
            .collect();
        let subsets = self
            .subsets
            .iter()
            .map(|s| XdmSubsetView {
                name: &s.name,
                submission: &s.submission,
                warnings: &s.warnings,
            })
            .collect();
        XdmPackageView {
            documents,
            subsets,
            patient_ins: self
                .patient_ins()
                .map(|(root, extension)| PatientInsView { root, extension }),
        }
    }
}

/// Writes an IHE_XDM.ZIP in memory (single subset `SUBSET01`); [`XdmStreamWriter`] writes the
/// same archive to a file.
#[derive(Debug, Clone)]
pub struct XdmWriter {
    sender: XdmSender,
    submission: Submission,
    documents: Vec<(String, Vec<u8>)>,
    /// Deflate level (0-9) for documents that are compressed. Level 1 by default: XML
    /// compresses well at it and packing stays fast.
    pub level: i64,
    /// Documents larger than this are stored, not deflated (default 256 KiB): large CDAs are
    /// base64 PDF bodies that deflate gains little on, and storing keeps pack and unpack at
    /// memory speed. PDFs and other non-text documents are always stored.
    pub store_above: usize,
}

/// The 8.3 name of the `n`-th document (1-based): `DOC000n.<EXT>`, `extension` upper-cased
/// and cut to 3 `[A-Z0-9]` characters (`BIN` when nothing is left), ISO-9660 level 1 as IHE
/// ITI TF-3 §4.2.1.1 asks of XDM media.
fn document_name(n: usize, extension: &str) -> String {
    let ext: String = extension
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(3)
        .collect::<String>()
        .to_ascii_uppercase();
    let ext = if ext.is_empty() {
        "BIN".to_owned()
    } else {
        ext
    };
    format!("DOC{n:04}.{ext}")
}

impl XdmWriter {
    /// A writer for one submission set.
    pub fn new(submission_set: SubmissionSet, sender: XdmSender) -> Self {
        Self {
            sender,
            submission: Submission::new(submission_set, Vec::new()),
            documents: Vec::new(),
            level: 1,
            store_above: 256 << 10,
        }
    }

    /// Adds a document; its name is `DOC000n.<EXT>` (8.3), its `hash`, `size` and `URI` are set
    /// from the bytes. `extension` is upper-cased and cut to 3 `[A-Z0-9]` characters.
    pub fn add(&mut self, bytes: Vec<u8>, mut entry: DocumentEntry, extension: &str) -> &mut Self {
        let name = document_name(self.documents.len() + 1, extension);
        entry.hash = Some(sha1_hex(&bytes));
        entry.size = Some(bytes.len() as u64);
        entry.uri = Some(name.clone());
        self.submission.associations.push(crate::xds::Association {
            id: crate::xds::new_entry_uuid(),
            kind: crate::xds::AssociationKind::HasMember,
            source: self.submission.submission_set.entry_uuid.clone(),
            target: entry.entry_uuid.clone(),
        });
        self.submission.documents.push(entry);
        self.documents.push((name, bytes));
        self
    }

    /// Declares that the document with entryUUID `new` replaces the registry entry `old` (RPLC).
    pub fn replaces(&mut self, new: &str, old: &str) -> &mut Self {
        self.submission.replace(new, old);
        self
    }

    /// The metadata this writer puts in METADATA.XML.
    pub fn submission(&self) -> &Submission {
        &self.submission
    }

    /// Writes the archive.
    pub fn pack(&self) -> Result<Vec<u8>, XdmError> {
        let total: usize = self.documents.iter().map(|(_, b)| b.len()).sum();
        let out = Cursor::new(Vec::with_capacity(total + 8192));
        Ok(self.pack_to(out)?.into_inner())
    }

    /// Writes the archive to `out` (a file): the same archive as [`XdmWriter::pack`], without
    /// a copy of it in memory.
    pub fn pack_to<W: Write + Seek>(&self, out: W) -> Result<W, XdmError> {
        let mut w =
            XdmStreamWriter::with_submission(out, self.submission.clone(), self.sender.clone())?;
        w.level = self.level;
        w.store_above = self.store_above;
        for ((name, bytes), entry) in self.documents.iter().zip(&self.submission.documents) {
            w.write_document(
                name,
                bytes.as_slice(),
                Some(bytes.len() as u64),
                entry.mime_type.as_str(),
            )?;
            w.names.push(name.clone());
        }
        let (out, _) = w.finish()?;
        Ok(out)
    }
}

/// Writes an IHE_XDM.ZIP (single subset `SUBSET01`) straight to a file (any `Write + Seek`):
/// each document is copied from its reader into a stored (or, small text, deflated) entry while
/// its SHA-1 and size are computed, so no copy of a document or of the archive is held in
/// memory; METADATA.XML, README.TXT and INDEX.HTM are written last, once every `hash` and
/// `size` is known (IHE ITI TF-3 §4.2.1.1: the order of the entries is free).
pub struct XdmStreamWriter<W: Write + Seek> {
    zip: zip::ZipWriter<W>,
    sender: XdmSender,
    submission: Submission,
    names: Vec<String>,
    modified: zip::DateTime,
    association_ids: Option<Box<dyn FnMut() -> String + Send>>,
    /// Deflate level (0-9) for the small text documents that are compressed (default 1).
    pub level: i64,
    /// Text documents larger than this (or of unknown size) are stored, not deflated (default
    /// 256 KiB); non-text documents are always stored.
    pub store_above: usize,
    /// Whether small text documents are deflated at all (default `true`); `false` stores every
    /// document (the XDM profile leaves the zip method free).
    pub deflate_text: bool,
}

impl<W: Write + Seek> std::fmt::Debug for XdmStreamWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XdmStreamWriter")
            .field("documents", &self.names.len())
            .finish_non_exhaustive()
    }
}

impl<W: Write + Seek> XdmStreamWriter<W> {
    /// A writer of one submission set to `out`. The sender is checked now (organisation and
    /// contact required, no control character: [`XdmError::SenderMissing`],
    /// [`XdmError::SenderText`]), before anything is written.
    pub fn new(out: W, submission_set: SubmissionSet, sender: XdmSender) -> Result<Self, XdmError> {
        Self::with_submission(out, Submission::new(submission_set, Vec::new()), sender)
    }

    fn with_submission(
        out: W,
        submission: Submission,
        sender: XdmSender,
    ) -> Result<Self, XdmError> {
        check_sender(&sender)?;
        Ok(Self {
            zip: zip::ZipWriter::new(out),
            sender,
            submission,
            names: Vec::new(),
            modified: zip::DateTime::default(),
            association_ids: None,
            level: 1,
            store_above: 256 << 10,
            deflate_text: true,
        })
    }

    /// The modification time written in every entry, from an XDS UTC time `YYYYMMDDhhmmss`
    /// (by default 1980-01-01 00:00, the earliest a zip can say): a fixed time makes the same
    /// documents give the same archive, byte for byte. `None` when the time is not one a zip
    /// can hold (years 1980 to 2107).
    pub fn modified_at(mut self, utc: &str) -> Option<Self> {
        let digits = utc.as_bytes();
        if digits.len() != 14 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = |r: std::ops::Range<usize>| digits.get(r).map(crate::time::ascii_number);
        let t = zip::DateTime::from_date_and_time(
            u16::try_from(n(0..4)?).ok()?,
            u8::try_from(n(4..6)?).ok()?,
            u8::try_from(n(6..8)?).ok()?,
            u8::try_from(n(8..10)?).ok()?,
            u8::try_from(n(10..12)?).ok()?,
            u8::try_from(n(12..14)?).ok()?,
        )
        .ok()?;
        self.modified = t;
        Some(self)
    }

    /// Where the ids of the HasMember associations and of the ebRIM Classification and
    /// ExternalIdentifier objects come from (random `urn:uuid:` by default): a caller that
    /// derives them (from an export id, say) gets the same METADATA.XML for the same documents.
    pub fn association_ids(mut self, ids: impl FnMut() -> String + Send + 'static) -> Self {
        self.association_ids = Some(Box::new(ids));
        self
    }

    fn options(&self, deflate: bool) -> zip::write::SimpleFileOptions {
        let o = zip::write::SimpleFileOptions::default().last_modified_time(self.modified);
        if deflate {
            o.compression_method(zip::CompressionMethod::Deflated)
                .compression_level(Some(self.level))
        } else {
            o.compression_method(zip::CompressionMethod::Stored)
        }
    }

    /// Copies a document into the archive: returns its SHA-1 (hex) and size.
    fn write_document<R: Read>(
        &mut self,
        name: &str,
        mut reader: R,
        size_hint: Option<u64>,
        mime_type: &str,
    ) -> Result<(String, u64), XdmError> {
        let text = mime_type.contains("xml") || mime_type.starts_with("text/");
        let small = size_hint.is_some_and(|n| n <= self.store_above as u64);
        let large = size_hint.is_none_or(|n| n >= u64::from(u32::MAX));
        let opts = self
            .options(self.deflate_text && text && small)
            .large_file(large);
        self.zip
            .start_file(format!("IHE_XDM/SUBSET01/{name}"), opts)?;
        let mut sha1 = <sha1::Sha1 as sha1::Digest>::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(XdmError::Io(format!("{name}: {e}"))),
            };
            let chunk = buf.get(..n).unwrap_or_default();
            sha1::Digest::update(&mut sha1, chunk);
            size += n as u64;
            self.zip
                .write_all(chunk)
                .map_err(|e| XdmError::Io(format!("{name}: {e}")))?;
        }
        let digest = sha1::Digest::finalize(sha1);
        Ok((crate::xds::hex(&digest), size))
    }

    /// Adds a document read from `reader`, named `DOC000n.<EXT>` (8.3); its `hash`, `size`
    /// and `URI` are set from what was read. `size_hint`, when known, lets a small text
    /// document be deflated; an unknown size is stored. Returns the entry as METADATA.XML
    /// will give it.
    pub fn add<R: Read>(
        &mut self,
        reader: R,
        size_hint: Option<u64>,
        mut entry: DocumentEntry,
        extension: &str,
    ) -> Result<&DocumentEntry, XdmError> {
        let name = document_name(self.names.len() + 1, extension);
        let (hash, size) = self.write_document(&name, reader, size_hint, &entry.mime_type)?;
        entry.hash = Some(hash);
        entry.size = Some(size);
        entry.uri = Some(name.clone());
        let id = match self.association_ids.as_mut() {
            Some(ids) => ids(),
            None => crate::xds::new_entry_uuid(),
        };
        self.submission.associations.push(crate::xds::Association {
            id,
            kind: crate::xds::AssociationKind::HasMember,
            source: self.submission.submission_set.entry_uuid.clone(),
            target: entry.entry_uuid.clone(),
        });
        self.names.push(name);
        self.submission.documents.push(entry);
        self.submission
            .documents
            .last()
            .ok_or(XdmError::Io("document list".to_owned()))
    }

    /// Declares that the document with entryUUID `new` replaces the registry entry `old` (RPLC).
    pub fn replaces(&mut self, new: &str, old: &str) -> &mut Self {
        self.submission.replace(new, old);
        self
    }

    /// Adds a file outside `IHE_XDM/` (deflated): a documented extension such as the PDLGC
    /// draft's `SPECIFIC/` folder, which XDM readers ignore. `path` must be a relative 8.3 path
    /// (upper-case `[A-Z0-9_]`, `/` between folders) not under `IHE_XDM/` and not one of the
    /// names the writer gives; otherwise [`XdmError::PathTraversal`] (names it).
    pub fn add_other_file(&mut self, path: &str, bytes: &[u8]) -> Result<(), XdmError> {
        let ok_part = |p: &str| {
            let (stem, ext) = p.split_once('.').unwrap_or((p, ""));
            let ok = |s: &str, max: usize| {
                s.len() <= max
                    && s.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            };
            !stem.is_empty() && ok(stem, 8) && ok(ext, 3)
        };
        let upper = path.to_ascii_uppercase();
        if !path.split('/').all(ok_part)
            || upper.starts_with("IHE_XDM/")
            || matches!(upper.as_str(), "README.TXT" | "INDEX.HTM")
        {
            return Err(XdmError::PathTraversal {
                name: path.chars().take(200).collect(),
            });
        }
        let opts = self.options(true);
        self.zip.start_file(path, opts)?;
        self.zip
            .write_all(bytes)
            .map_err(|e| XdmError::Io(format!("{path}: {e}")))
    }

    /// Writes METADATA.XML, README.TXT and INDEX.HTM and the central directory; gives back the
    /// output and the metadata written.
    pub fn finish(mut self) -> Result<(W, Submission), XdmError> {
        let metadata = match self.association_ids.as_mut() {
            Some(ids) => ebrim::write_with_ids(&self.submission, ids.as_mut()),
            None => ebrim::write(&self.submission),
        };
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let readme = readme(&self.sender, &names);
        let index = index(&names, &self.submission.documents);
        let deflate = self.options(true);
        for (name, bytes) in [
            ("IHE_XDM/SUBSET01/METADATA.XML", metadata.as_bytes()),
            ("README.TXT", readme.as_bytes()),
            ("INDEX.HTM", index.as_bytes()),
        ] {
            self.zip.start_file(name, deflate)?;
            self.zip
                .write_all(bytes)
                .map_err(|e| XdmError::Io(format!("{name}: {e}")))?;
        }
        let out = self.zip.finish()?;
        Ok((out, self.submission))
    }
}

/// README.TXT (IHE ITI TF-3 §4.2.1.1.2): who made the media and how to reach them, the
/// application that made it, what to do with it and the file tree.
fn readme(s: &XdmSender, names: &[&str]) -> String {
    let mut files = String::new();
    for name in names {
        files.push_str(&format!("    {name}\r\n"));
    }
    format!(
        "IHE_XDM: Cross-Enterprise Document Media Interchange (IHE ITI XDM)\r\n\r\n\
         Sender: {}\r\nOrganisation: {}\r\nContact: {}\r\n\
         Application: {} {}\r\nVendor: {}\r\n\r\n\
         Open INDEX.HTM, or read the documents with a CDA viewer.\r\n\r\n\
         README.TXT\r\nINDEX.HTM\r\nIHE_XDM/\r\n  SUBSET01/\r\n    METADATA.XML\r\n{files}",
        s.name, s.organization, s.contact, s.application, s.version, s.vendor
    )
}

/// Sender fields are written one per README.TXT line: a control character would break
/// the layout (or forge a line), so it is refused, never stripped. The organisation and
/// the contact are required (IHE ITI TF-1 §16: README.TXT identifies the media's sender
/// and how to reach it): a blank one is refused with [`XdmError::SenderMissing`].
fn check_sender(s: &XdmSender) -> Result<(), XdmError> {
    for (field, value) in [("organization", &s.organization), ("contact", &s.contact)] {
        if value.trim().is_empty() {
            return Err(XdmError::SenderMissing { field });
        }
    }
    for (field, value) in [
        ("name", &s.name),
        ("organization", &s.organization),
        ("contact", &s.contact),
        ("application", &s.application),
        ("version", &s.version),
        ("vendor", &s.vendor),
    ] {
        if let Some(position) = value.chars().position(char::is_control) {
            return Err(XdmError::SenderText { field, position });
        }
    }
    Ok(())
}

/// INDEX.HTM: one link per document, titles escaped.
fn index(names: &[&str], entries: &[DocumentEntry]) -> String {
    let mut links = String::new();
    for (name, e) in names.iter().zip(entries) {
        let title = e.title.as_deref().unwrap_or(name);
        links.push_str(&format!(
            "<li><a href=\"IHE_XDM/SUBSET01/{name}\">{}</a></li>\n",
            crate::xml::escape(title)
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>IHE_XDM</title></head><body>\n\
         <p><a href=\"README.TXT\">README.TXT</a></p>\n<ul>\n{links}</ul>\n</body></html>\n"
    )
}

/// What [`pack_cda`] needs besides the documents.
#[derive(Debug, Clone, Default)]
pub struct PackOptions {
    /// sourceId: OID of the sending system.
    pub source_id: String,
    /// README.TXT sender block.
    pub sender: XdmSender,
    /// classCode/formatCode overrides.
    pub derive: DeriveOptions,
    /// Submission set contentTypeCode (defaults to the document typeCode).
    pub content_type: Option<Code>,
    /// entryUUID of the registry entry this CDA replaces (RPLC association, IHE ITI TF-3
    /// §4.2.2.2.2): an RFC 4122 `urn:uuid:`. The CDA itself carries the matching
    /// `relatedDocument typeCode="RPLC"` (cda.md §3.1).
    pub replaces_entry_uuid: Option<String>,
    /// formatCode of the PDF packed beside the CDA; by default
    /// [`crate::xds::format_code_mime_type_sufficient`] (never the XDS-SD code, which denotes a
    /// CDA wrapping a PDF).
    pub pdf_format_code: Option<Code>,
}

/// Packs one CDA (and optionally its PDF rendering) with metadata derived from the CDA header.
///
/// The PDF gets its own DocumentEntry, with the CDA's codes, mimeType `application/pdf`, the
/// formatCode of [`PackOptions::pdf_format_code`] and a fresh `2.25` uniqueId.
pub fn pack_cda(
    cda: &[u8],
    pdf: Option<&[u8]>,
    opts: &PackOptions,
) -> Result<(Vec<u8>, Submission), XdmError> {
    let size = cda.len() + pdf.map_or(0, <[u8]>::len) + 16384;
    let (out, submission) = pack_cda_to(cda, pdf, opts, Cursor::new(Vec::with_capacity(size)))?;
    Ok((out.into_inner(), submission))
}

/// [`pack_cda`] written straight to `out` (a file): the CDA header is read in one streaming
/// pass that stops at the body's first start tag (the N1 media type comes from
/// `nonXMLBody/text/@mediaType`; the base64 content is never decoded), the documents are
/// copied into stored entries while their SHA-1 is computed, and METADATA.XML comes last. No
/// copy of the CDA or of the archive is made in memory.
pub fn pack_cda_to<W: Write + Seek>(
    cda: &[u8],
    pdf: Option<&[u8]>,
    opts: &PackOptions,
    out: W,
) -> Result<(W, Submission), XdmError> {
    let replaced = opts
        .replaces_entry_uuid
        .as_deref()
        .map(|u| {
            crate::xds::parse_entry_uuid(u).ok_or(XdmError::BadEntryUuid {
                what: "replaced entryUUID",
            })
        })
        .transpose()?;
    let (header, media) = crate::read::read_header_and_media_type(cda, &Default::default())?;
    let entry = DocumentEntry::derive(&header, cda, media.as_deref(), &opts.derive)?;
    let set = SubmissionSet::for_entry(&entry, &opts.source_id, opts.content_type.clone());
    let mut w = XdmStreamWriter::new(out, set, opts.sender.clone())?;
    let cda_uuid = entry.entry_uuid.clone();
    let pdf_entry = pdf.map(|_| {
        let mut pe = entry.clone();
        pe.entry_uuid = crate::xds::new_entry_uuid();
        pe.unique_id = crate::xds::new_uuid_oid();
        pe.mime_type = "application/pdf".to_owned();
        pe.format_code = Some(
            opts.pdf_format_code
                .clone()
                .unwrap_or_else(crate::xds::format_code_mime_type_sufficient),
        );
        pe
    });
    w.add(cda, Some(cda.len() as u64), entry, "XML")?;
    if let (Some(pdf), Some(pe)) = (pdf, pdf_entry) {
        w.add(pdf, Some(pdf.len() as u64), pe, "PDF")?;
    }
    if let Some(old) = &replaced {
        w.replaces(&cda_uuid, old);
    }
    w.finish()
}
