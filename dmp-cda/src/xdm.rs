//! IHE_XDM.ZIP packages (IHE ITI TF-1 §16, TF-3 §4.2.1.1; MSSanté attachments, see
//! mss-eprescription.md §2): in-memory writer and a hostile-archive-safe reader.
//!
//! Layout written: `README.TXT`, `INDEX.HTM`, `IHE_XDM/SUBSET01/METADATA.XML`,
//! `IHE_XDM/SUBSET01/DOC0001.XML` (+ `DOC0002.PDF`), ISO-9660 level-1 names (8.3, upper case).
//! Nothing is ever written to disk: received archives must not leak into temp folders.
//!
//! Reading accepts any subset folder name (`SUBSET01`, `SS000001`...), matches names
//! case-insensitively, finds documents through the `URI` slot (fallback: every non-metadata file
//! of the subset, matched to entries by hash) and checks hash and size against the metadata.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};

use crate::ebrim::{self, EbrimError};
use crate::model::Code;
use crate::read::{CdaBody, CdaError};
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
}

impl Default for XdmLimits {
    /// 128 MiB archive, 256 entries, 64 MiB per entry, 256 MiB in total, ratio 100, 16
    /// end-of-central-directory signatures.
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
    /// The CDA to pack could not be read.
    #[error("CDA: {0}")]
    Cda(#[from] CdaError),
    /// Metadata could not be derived from the CDA.
    #[error("XDS metadata: {0}")]
    Xds(#[from] XdsError),
}

impl From<zip::result::ZipError> for XdmError {
    fn from(e: zip::result::ZipError) -> Self {
        Self::Zip(e.to_string())
    }
}

/// A document found in a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XdmDocument {
    /// Path in the archive, as stored.
    pub path: String,
    /// The bytes (hash and size checked against `entry` when it has them).
    pub bytes: Vec<u8>,
    /// Its DocumentEntry; `None` for a file the metadata does not describe.
    pub entry: Option<DocumentEntry>,
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
}

fn normalise(raw: &str) -> Result<String, XdmError> {
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

fn check(path: &str, bytes: &[u8], entry: &DocumentEntry) -> Result<(), XdmError> {
    if let Some(size) = entry.size
        && size != bytes.len() as u64
    {
        return Err(XdmError::SizeMismatch {
            path: path.to_owned(),
            expected: size,
            actual: bytes.len() as u64,
        });
    }
    if let Some(h) = &entry.hash
        && !h.trim().eq_ignore_ascii_case(&sha1_hex(bytes))
    {
        return Err(XdmError::HashMismatch {
            path: path.to_owned(),
        });
    }
    Ok(())
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
            let submission =
                ebrim::read(&meta.bytes, &limits.xml).map_err(|source| XdmError::Metadata {
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
                check(&file.path, &bytes, entry)?;
                documents.push(XdmDocument {
                    path: file.path.clone(),
                    bytes,
                    entry: Some(entry.clone()),
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
                if let Some(en) = &entry {
                    check(&e.path, &e.bytes, en)?;
                }
                documents.push(XdmDocument {
                    path: e.path.clone(),
                    bytes: std::mem::take(&mut e.bytes),
                    entry,
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
            .map(|s| &s.submission.submission_set.patient_id)
    }

    /// The patient INS from METADATA.XML: `(OID, matricule)` when the patientId is an INS.
    pub fn patient_ins(&self) -> Option<(&str, &str)> {
        self.subsets
            .iter()
            .flat_map(|s| {
                std::iter::once(&s.submission.submission_set.patient_id)
                    .chain(s.submission.documents.iter().map(|d| &d.patient_id))
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

/// Writes an IHE_XDM.ZIP in memory (single subset `SUBSET01`).
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
        let name = format!("DOC{:04}.{ext}", self.documents.len() + 1);
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

    fn readme(&self) -> String {
        let s = &self.sender;
        let mut files = String::new();
        for (name, _) in &self.documents {
            files.push_str(&format!("    {name}\r\n"));
        }
        format!(
            "IHE_XDM: Cross-Enterprise Document Media Interchange (IHE ITI XDM)\r\n\r\n\
             Sender: {}\r\nOrganisation: {}\r\nApplication: {} {} ({})\r\n\r\n\
             Open INDEX.HTM, or read the documents with a CDA viewer.\r\n\r\n\
             README.TXT\r\nINDEX.HTM\r\nIHE_XDM/\r\n  SUBSET01/\r\n    METADATA.XML\r\n{files}",
            s.name, s.organization, s.application, s.version, s.vendor
        )
    }

    fn index(&self) -> String {
        let mut links = String::new();
        for ((name, _), e) in self.documents.iter().zip(&self.submission.documents) {
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

    /// Writes the archive.
    pub fn pack(&self) -> Result<Vec<u8>, XdmError> {
        let metadata = ebrim::write(&self.submission);
        let total: usize = self.documents.iter().map(|(_, b)| b.len()).sum();
        let mut zw = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(total / 2 + 8192)));
        let deflate = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(self.level));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let (readme, index) = (self.readme(), self.index());
        let files: [(&str, &[u8]); 3] = [
            ("README.TXT", readme.as_bytes()),
            ("INDEX.HTM", index.as_bytes()),
            ("IHE_XDM/SUBSET01/METADATA.XML", metadata.as_bytes()),
        ];
        for (name, bytes) in files {
            zw.start_file(name, deflate)?;
            zw.write_all(bytes)
                .map_err(|e| XdmError::Zip(e.to_string()))?;
        }
        for ((name, bytes), entry) in self.documents.iter().zip(&self.submission.documents) {
            let text = entry.mime_type.contains("xml") || entry.mime_type.starts_with("text/");
            let opts = if text && bytes.len() <= self.store_above {
                deflate
            } else {
                stored
            };
            zw.start_file(format!("IHE_XDM/SUBSET01/{name}"), opts)?;
            zw.write_all(bytes)
                .map_err(|e| XdmError::Zip(e.to_string()))?;
        }
        Ok(zw.finish()?.into_inner())
    }
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
    /// entryUUID of the registry entry this CDA replaces (RPLC association).
    pub replaces_entry_uuid: Option<String>,
}

/// Packs one CDA (and optionally its PDF rendering) with metadata derived from the CDA header.
///
/// The PDF gets its own DocumentEntry, with the CDA's codes, mimeType `application/pdf`, the
/// XDS-SD PDF formatCode and a fresh `2.25` uniqueId.
pub fn pack_cda(
    cda: &[u8],
    pdf: Option<&[u8]>,
    opts: &PackOptions,
) -> Result<(Vec<u8>, Submission), XdmError> {
    let doc = crate::read::read(cda)?;
    let media = match &doc.body {
        CdaBody::NonXml(b) => Some(b.media_type.as_str()),
        _ => None,
    };
    let entry = DocumentEntry::derive(&doc.header, cda, media, &opts.derive)?;
    let set = SubmissionSet::for_entry(&entry, &opts.source_id, opts.content_type.clone());
    let mut w = XdmWriter::new(set, opts.sender.clone());
    let cda_uuid = entry.entry_uuid.clone();
    if let Some(pdf) = pdf {
        let mut pe = entry.clone();
        pe.entry_uuid = crate::xds::new_entry_uuid();
        pe.unique_id = crate::xds::new_uuid_oid();
        pe.mime_type = "application/pdf".to_owned();
        pe.format_code = crate::xds::format_code_for_media_type("application/pdf")
            .unwrap_or_else(|| pe.format_code.clone());
        w.add(cda.to_vec(), entry, "XML");
        w.add(pdf.to_vec(), pe, "PDF");
    } else {
        w.add(cda.to_vec(), entry, "XML");
    }
    if let Some(old) = &opts.replaces_entry_uuid {
        w.replaces(&cda_uuid, old);
    }
    Ok((w.pack()?, w.submission.clone()))
}
