//! The store's data: identifiers, origins, review reasons and the records a [`DocumentStore`]
//! reads and writes.
//!
//! Every type holding patient data (traits, INS, document bytes) redacts it in `Debug`.
//!
//! [`DocumentStore`]: crate::DocumentStore

use segur_ins::{IdentityStatus, Ins, Traits};
use std::fmt;

/// A local patient identifier (the store's own, never an INS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct LocalPatientId(pub i64);

impl fmt::Display for LocalPatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A stored document's identifier (one row: one version of one document).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct DocumentId(pub i64);

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An entry of the review list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ReviewId(pub i64);

impl fmt::Display for ReviewId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// SHA-256 of a content, the key of the content-addressed bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash(pub [u8; 32]);

impl ContentHash {
    /// SHA-256 of `bytes` (FIPS 180-4).
    pub fn of(bytes: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        Self(out)
    }

    /// Lower-case hexadecimal.
    pub fn to_hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }

    /// Reads 64 hexadecimal digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(hex.as_bytes())
            .ok()?;
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(array))
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

impl serde::Serialize for ContentHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

/// Where a document comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Produced by the pharmacy (a CDA built by the LGO).
    Produced,
    /// Received (MSSanté).
    Received,
    /// Retrieved from the DMP for a medication review.
    Retrieved,
    /// Imported from an IHE_XDM archive that does not say where it comes from.
    Imported,
}

impl Origin {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Produced => "produced",
            Self::Received => "received",
            Self::Retrieved => "retrieved",
            Self::Imported => "imported",
        }
    }

    /// Reads a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Produced,
            Self::Received,
            Self::Retrieved,
            Self::Imported,
        ]
        .into_iter()
        .find(|o| o.as_str() == name)
    }
}

/// Why a document waits for a person instead of being filed automatically. Automatic filing
/// needs a qualified INS matching exactly one local identity whose strict traits agree (ANS
/// INS guide, identity vigilance: RNIV EXI PP 05/06, "le rapprochement automatique n'est
/// possible que sur INS qualifiée"; see `ins.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// The document carries no INS.
    NoIns,
    /// The INS fails its control key or names an unknown authority.
    InvalidIns,
    /// Only a legacy INS-C (OID 1.2.250.1.213.1.4.2) identifies the patient.
    InsCOnly,
    /// No local identity has this INS (and no single one has these traits).
    UnknownPatient,
    /// Several local identities match (homonyms or a duplicate record).
    SeveralCandidates,
    /// The local identity with this INS has different strict traits, or the document's traits
    /// are incomplete.
    TraitsDisagree,
    /// An attachment that is not an IHE_XDM package (a PDF alone...).
    NotXdm,
    /// An IHE_XDM package the XDM reader refused (the stored bytes are the archive).
    MalformedXdm,
    /// An XML document of a package that is not a readable CDA.
    MalformedCda,
    /// A document whose XDS uniqueId is already stored with other bytes (portability import):
    /// a uniqueId names one document (IHE ITI TF-3 §4.2.3.2.26), so one of the two is wrong
    /// and a person decides; the stored one is never replaced.
    UniqueIdConflict,
}

impl ReviewReason {
    /// Every reason.
    pub const ALL: &'static [ReviewReason] = &[
        Self::NoIns,
        Self::InvalidIns,
        Self::InsCOnly,
        Self::UnknownPatient,
        Self::SeveralCandidates,
        Self::TraitsDisagree,
        Self::NotXdm,
        Self::MalformedXdm,
        Self::MalformedCda,
        Self::UniqueIdConflict,
    ];

    /// The stored name (`no_ins`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NoIns => "no_ins",
            Self::InvalidIns => "invalid_ins",
            Self::InsCOnly => "ins_c_only",
            Self::UnknownPatient => "unknown_patient",
            Self::SeveralCandidates => "several_candidates",
            Self::TraitsDisagree => "traits_disagree",
            Self::NotXdm => "not_xdm",
            Self::MalformedXdm => "malformed_xdm",
            Self::MalformedCda => "malformed_cda",
            Self::UniqueIdConflict => "unique_id_conflict",
        }
    }

    /// Reads a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.as_str() == name)
    }
}

/// The identifier a patient had in a portability archive it was recreated from: the lot's
/// local id (a CX `id^^^&OID&ISO`, under the exporting vendor's OID) and the identity status
/// the lot gave (a `RECUP` identity is recreated `PROV`; the archive's status is kept here).
/// Patient data: `Debug` shows the status only.
#[derive(Clone, PartialEq, Eq)]
pub struct ArchivePatientId {
    /// The CX.
    pub cx: String,
    /// The identity status in the archive.
    pub status: IdentityStatus,
}

impl fmt::Debug for ArchivePatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArchivePatientId")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// A local patient to create.
#[derive(Clone)]
pub struct NewPatient {
    /// The identity's traits (the 5 strict traits are compared when filing).
    pub traits: Traits,
    /// Its status per the RNIV.
    pub status: IdentityStatus,
    /// Its INS, for the statuses that carry one (récupérée, qualifiée).
    pub ins: Option<Ins>,
}

impl fmt::Debug for NewPatient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewPatient")
            .field("status", &self.status)
            .field("ins", &self.ins.map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// A stored local patient.
#[derive(Clone)]
pub struct PatientRecord {
    /// Local id.
    pub id: LocalPatientId,
    /// Traits.
    pub traits: Traits,
    /// Status.
    pub status: IdentityStatus,
    /// INS, when the status carries one.
    pub ins: Option<Ins>,
}

impl fmt::Debug for PatientRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatientRecord")
            .field("id", &self.id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// Where a document goes when it is filed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Linked to a patient; the link carries the identity status of that patient at filing.
    Patient {
        /// The patient.
        patient: LocalPatientId,
        /// The identity status of the link.
        status: IdentityStatus,
    },
    /// To the review list.
    Review(ReviewReason),
}

/// A document to store.
#[derive(Clone)]
pub struct NewDocument {
    /// Origin.
    pub origin: Origin,
    /// The bytes, exactly as produced, received or retrieved.
    pub bytes: Vec<u8>,
    /// Media type (`text/xml`, `application/pdf`, `application/zip`...).
    pub media_type: String,
    /// File name in the message or the package, when known.
    pub file_name: Option<String>,
    /// The XDS DocumentEntry read from the package's METADATA.XML, when there is one.
    pub entry: Option<segur_dmp_cda::DocumentEntry>,
    /// The package's METADATA.XML as received (the ExtrinsicObject is in there).
    pub metadata_xml: Option<Vec<u8>>,
    /// The document's unique id (CDA `id`, XDS uniqueId), when known.
    pub unique_id: Option<String>,
    /// The unique id of the document this one replaces (CDA `relatedDocument[@typeCode=RPLC]`).
    pub replaces_unique_id: Option<String>,
    /// Where it goes.
    pub placement: Placement,
}

impl fmt::Debug for NewDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewDocument")
            .field("origin", &self.origin)
            .field("bytes", &self.bytes.len())
            .field("media_type", &self.media_type)
            .field("placement", &self.placement)
            .finish_non_exhaustive()
    }
}

/// The durable identity of a received message: folder, UIDVALIDITY, UID (RFC 3501 §2.3.1.1)
/// and Message-ID (RFC 5322 §3.6.4), so that nothing is filed twice.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct MessageRecord {
    /// Folder.
    pub mailbox: String,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// UID.
    pub uid: u32,
    /// Message-ID, without angle brackets.
    pub message_id: Option<String>,
}

/// One received message and everything it brought, filed in one transaction.
#[derive(Debug, Clone)]
pub struct MessageFiling {
    /// The message.
    pub message: MessageRecord,
    /// Its documents (never empty for a message with an attachment).
    pub documents: Vec<NewDocument>,
}

/// What filing a message did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilingOutcome {
    /// Stored now: the new documents, in order.
    Filed(Vec<DocumentId>),
    /// The message (by UID or Message-ID) was filed before: nothing changed.
    AlreadyFiled,
}

/// A stored document (one version). `Debug` leaves out the file name and unique id (a sender
/// may name a file after the patient).
#[derive(Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    /// Id.
    pub id: DocumentId,
    /// SHA-256 of the bytes.
    pub hash: ContentHash,
    /// Size in bytes.
    pub size: u64,
    /// Origin.
    pub origin: Origin,
    /// Media type.
    pub media_type: String,
    /// File name, when known.
    pub file_name: Option<String>,
    /// Unique id, when known.
    pub unique_id: Option<String>,
    /// The version this one replaces.
    pub replaces: Option<DocumentId>,
    /// The current patient link (the latest of its links).
    pub patient: Option<LocalPatientId>,
    /// That link's identity status.
    pub link_status: Option<IdentityStatus>,
    /// Whether it has a tombstone.
    pub deleted: bool,
    /// Filing time (seconds since the Unix epoch).
    pub filed_at: i64,
}

impl fmt::Debug for DocumentRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentRecord")
            .field("id", &self.id)
            .field("hash", &self.hash)
            .field("size", &self.size)
            .field("origin", &self.origin)
            .field("media_type", &self.media_type)
            .field("replaces", &self.replaces)
            .field("patient", &self.patient)
            .field("link_status", &self.link_status)
            .field("deleted", &self.deleted)
            .finish_non_exhaustive()
    }
}

/// What keeping a document retrieved from the DMP did
/// ([`DocumentStore::add_retrieved`](crate::DocumentStore::add_retrieved)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Stored now, with its audit record.
    Stored(DocumentId),
    /// A document retrieved with this uniqueId and these bytes was kept before: nothing
    /// changed.
    AlreadyKept(DocumentId),
}

impl Kept {
    /// The stored document.
    pub const fn id(self) -> DocumentId {
        match self {
            Self::Stored(id) | Self::AlreadyKept(id) => id,
        }
    }
}

/// State of a review entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Waiting.
    Open,
    /// Attached to a patient.
    Attached,
    /// Rejected.
    Rejected,
}

/// An entry of the review list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewItem {
    /// Id.
    pub id: ReviewId,
    /// The document waiting.
    pub document: DocumentId,
    /// Why.
    pub reason: ReviewReason,
    /// State.
    pub state: ReviewState,
    /// When it was listed.
    pub listed_at: i64,
}

/// A person's decision on a review entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewDecision {
    /// Attach the document to this patient.
    Attach(LocalPatientId),
    /// Reject it (it stays stored, linked to nobody).
    Reject,
}
