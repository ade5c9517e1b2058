//! The portability export: one ZIP holding every patient's Ségur documents, as the ANS draft
//! "Portabilité des Données LGC" (PDLGC 0.1.0, `spec-tech` branch, July 2026) lays it out, for
//! the wave-1 obligation to hand the data over "sous un format lisible, exhaustif, exploitable
//! et documenté par l'éditeur" (esante.gouv.fr, Ségur officine vague 1) within 15 days (SONS
//! funding contract).
//!
//! Layout written ([`export()`], [`ExportWriter`]):
//!
//! ```text
//! README.TXT       vendor, software, date, requester, perimeter
//! INDEX.HTM        lots and documents, for a person (every text escaped)
//! MANIFEST.XML     PDLGC pdlgc-manifest fields; size and SHA-256 of every lot file
//! DOCUMENT/        format version, data dictionary, MANIFEST.XSD, LOT.JSN schema
//! PAT00001.ZIP     one lot per patient, a complete IHE_XDM (README.TXT, INDEX.HTM,
//! PAT00002.ZIP       IHE_XDM/SUBSET01/METADATA.XML + the documents byte for byte,
//! ...                SPECIFIC/LOT.JSN: identity status and origin of each document)
//! ```
//!
//! The draft puts each lot in a `PATnnnnn/` folder; here each lot is a zip of its own so that
//! the manifest's `size` and `hash` (SHA-256) cover one file a recipient can check and hand to
//! any IHE_XDM reader. The draft is 0.1.0 and TO VERIFY on every point (file names, whether
//! README.TXT and a documentation folder survive, the hash algorithm of METADATA.XML); its
//! defects are not copied (see [`manifest`]).
//!
//! Identity (INS guide: only a qualified identity transmits its INS): a lot's patientId is the
//! INS (OID `1.2.250.1.213.1.4.8`, `.10` in tests) only when the identity is qualified, else the
//! vendor's local identifier, and the identity status is written beside it.
//!
//! Reading ([`read()`]) accepts such an export and a plain IHE_XDM.ZIP (`IHE_XDM/SUBSETnnn`),
//! applies the XDM reader's limits to every lot, checks each lot's size and SHA-256 against the
//! manifest and refuses the whole archive, returning nothing, on any mismatch.
//!
//! - [`manifest`]: MANIFEST.XML, written and read.
//! - [`lot`]: the input and output of one patient lot.
//! - [`write`](mod@write): the export writer, streamed to a file, each lot built in an unnamed
//!   temporary file ([`LotWriter`]) so that memory does not grow with a lot.
//! - [`read`](mod@read): the reader.
//! - [`docs`]: README.TXT, INDEX.HTM and the documentation folder.

pub mod docs;
pub mod lot;
pub mod manifest;
pub mod read;
pub mod write;

pub use lot::{DocumentOrigin, LotDocument, LotPatient, PatientLot};
pub use manifest::{
    ArchiveId, ArchiveType, Contact, EditeurSortant, ExportStatus, ExportType, Manifest,
    ManifestArchive,
};
pub use read::{
    ImportReport, ImportedExport, ImportedLot, PortabilityLimits, Unplaced, read, read_bytes,
    read_each,
};
pub use write::{ExportInfo, ExportWriter, LotCompression, LotWriter, export};

use crate::xdm::XdmError;

/// Version of the format written here (`DOCUMENT/VERSION.TXT`, `LOT.JSN` `formatVersion`).
pub const FORMAT_VERSION: &str = "1.0";

/// Why an export could not be written or read. Entry names are given; patient data never is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PortabilityError {
    /// Reading or writing a file failed.
    #[error("I/O: {0}")]
    Io(String),
    /// The export is not a readable zip, or an entry of it breaks a rule of the XDM reader
    /// (traversal, absolute path, symbolic link, encryption, duplicate name, bomb, size).
    #[error("export archive: {0}")]
    Archive(#[from] XdmError),
    /// A lot could not be written or read as an IHE_XDM.
    #[error("{archive}: {source}")]
    Lot {
        /// Archive id (`PAT00001`) or entry name.
        archive: String,
        /// Why.
        source: XdmError,
    },
    /// Neither MANIFEST.XML nor an `IHE_XDM/<subset>/METADATA.XML`.
    #[error("neither MANIFEST.XML nor IHE_XDM/<subset>/METADATA.XML: not an export")]
    NotAnExport,
    /// MANIFEST.XML is not well-formed XML (or breaks the XML limits).
    #[error("MANIFEST.XML: {0}")]
    ManifestXml(#[from] crate::xml::XmlError),
    /// A MANIFEST.XML field is missing or invalid.
    #[error("MANIFEST.XML {field}: {reason}")]
    Manifest {
        /// The field (`exportType`, `Archives/Archive[3]/hash`...).
        field: String,
        /// Why.
        reason: &'static str,
    },
    /// Two manifest archives (or two lot files) have the same archive id.
    #[error("archive id {archive} appears twice")]
    DuplicateArchiveId {
        /// The id.
        archive: String,
    },
    /// `PatientArchiveCount` or `TransverseArchiveCount` differs from the archives listed.
    #[error("{field} is {declared} but {found} archives are listed")]
    ArchiveCount {
        /// Which count.
        field: &'static str,
        /// Declared.
        declared: u64,
        /// Listed.
        found: u64,
    },
    /// The manifest lists an archive the export does not hold.
    #[error("{archive}: listed in MANIFEST.XML, no {archive}.ZIP in the export")]
    LotMissing {
        /// The id.
        archive: String,
    },
    /// The export holds a lot file the manifest does not list.
    #[error("{entry}: not listed in MANIFEST.XML")]
    LotNotInManifest {
        /// Entry name.
        entry: String,
    },
    /// A lot file's size differs from the manifest's `size`.
    #[error("{archive}: size {actual} differs from the manifest size {expected}")]
    LotSizeMismatch {
        /// The id.
        archive: String,
        /// Manifest size.
        expected: u64,
        /// Actual size.
        actual: u64,
    },
    /// A lot file's SHA-256 differs from the manifest's `hash`.
    #[error("{archive}: SHA-256 differs from the manifest hash")]
    LotHashMismatch {
        /// The id.
        archive: String,
    },
    /// A lot's `SPECIFIC/LOT.JSN` is unreadable or contradicts its METADATA.XML.
    #[error("{archive}: SPECIFIC/LOT.JSN: {reason}")]
    LotJson {
        /// The id.
        archive: String,
        /// Why.
        reason: String,
    },
    /// The patient of a lot differs between MANIFEST.XML, LOT.JSN and METADATA.XML.
    #[error("{archive}: the patient identifier differs between {first} and {second}")]
    PatientMismatch {
        /// The id.
        archive: String,
        /// One place.
        first: &'static str,
        /// The other.
        second: &'static str,
    },
    /// More lots than [`PortabilityLimits::max_lots`] (or than the 99,999 `PATnnnnn` names).
    #[error("more than {limit} lots")]
    TooManyLots {
        /// Limit.
        limit: usize,
    },
    /// The lots read would hold more than [`PortabilityLimits::max_total_bytes`].
    #[error("lots expand beyond {limit} bytes")]
    TotalTooLarge {
        /// Limit.
        limit: u64,
    },
    /// An [`ExportInfo`] field cannot be written.
    #[error("export {field}: {reason}")]
    Info {
        /// The field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A patient of a lot is refused: a qualified identity without INS, an INS whose key is
    /// wrong, a local identifier without authority.
    #[error("lot {lot}: patient {reason}")]
    Patient {
        /// Position of the lot (1-based).
        lot: usize,
        /// Why.
        reason: &'static str,
    },
    /// A stored document's bytes no longer match the SHA-1 or size of its stored entry:
    /// exported as is it would be refused by every XDM reader, so the export stops.
    #[error("lot {lot}, document {document}: bytes differ from the stored entry's {what}")]
    StoredDocumentAltered {
        /// Position of the lot (1-based).
        lot: usize,
        /// Position of the document in the lot (1-based).
        document: usize,
        /// `hash` or `size`.
        what: &'static str,
    },
    /// The lot source failed.
    #[error("lot source: {0}")]
    Source(Box<dyn std::error::Error + Send + Sync>),
}
