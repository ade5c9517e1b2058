//! One patient lot: the patient's identity and documents, as a store hands them to the export
//! writer and as the reader hands them back.

use std::fmt;

use segur_ins::IdentityStatus;

use crate::xds::{DocumentEntry, XdsPatientId};

/// Where a stored document comes from (written in `SPECIFIC/LOT.JSN`, not in METADATA.XML,
/// which has no slot for it). The PDLGC draft counts only documents filed in the patient
/// record; the origin lets the recipient tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentOrigin {
    /// Produced by the pharmacy (VAC-NOTE, entretien, BPM...).
    Produced,
    /// Received through MSSanté and filed in the record.
    ReceivedMssante,
    /// Retrieved from the DMP.
    RetrievedDmp,
    /// Imported from another export or archive.
    Imported,
}

impl DocumentOrigin {
    /// The code written in LOT.JSN and INDEX.HTM.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Produced => "produced",
            Self::ReceivedMssante => "received-mssante",
            Self::RetrievedDmp => "retrieved-dmp",
            Self::Imported => "imported",
        }
    }
}

/// The patient of a lot. Patient data: `Debug` shows the identity status only.
#[derive(Clone, PartialEq, Eq)]
pub struct LotPatient {
    /// The vendor's local identifier (IPP), as a CX under the vendor's OID (`id^^^&OID&ISO^PI`).
    pub local_id: XdsPatientId,
    /// The INS (CX under `1.2.250.1.213.1.4.8`, `.10` in tests), when the identity has one.
    /// Written only when [`LotPatient::status`] is qualified.
    pub ins: Option<XdsPatientId>,
    /// RNIV identity status.
    pub status: IdentityStatus,
}

impl fmt::Debug for LotPatient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LotPatient")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl LotPatient {
    /// The patientId the lot carries: the INS when the identity is qualified (INS guide: only a
    /// qualified identity transmits its INS), else the local identifier. `None` for a qualified
    /// identity without INS.
    pub fn patient_id(&self) -> Option<&XdsPatientId> {
        if self.status == IdentityStatus::Qualifiee {
            self.ins.as_ref()
        } else {
            Some(&self.local_id)
        }
    }
}

/// One stored document: its bytes exactly as stored, its XDS entry, its origin.
#[derive(Clone, PartialEq, Eq)]
pub struct LotDocument {
    /// The bytes, exactly as sent, received or retrieved.
    pub bytes: Vec<u8>,
    /// Its DocumentEntry. Its `patientId` is replaced by the lot's, and its `hash`, `size` and
    /// `URI` are set from the bytes; a stored `hash` or `size` that differs from the bytes
    /// stops the export ([`super::PortabilityError::StoredDocumentAltered`]).
    pub entry: DocumentEntry,
    /// Where it comes from.
    pub origin: DocumentOrigin,
}

impl fmt::Debug for LotDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LotDocument")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("mime_type", &self.entry.mime_type)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// One patient and their documents: the unit the export writes as `PATnnnnn.ZIP`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientLot {
    /// The patient.
    pub patient: LotPatient,
    /// The documents, in the order they are written (`DOC0001`, `DOC0002`...).
    pub documents: Vec<LotDocument>,
}

/// `SPECIFIC/LOT.JSN` inside each lot: what METADATA.XML cannot say (the PDLGC earlier draft's
/// `SPECIFIC/` extension). Its JSON Schema is `DOCUMENT/LOT.JSN` of the export.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LotJson {
    pub format_version: String,
    pub archive_id: String,
    pub patient: LotJsonPatient,
    pub documents: Vec<LotJsonDocument>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LotJsonPatient {
    /// CX of the local identifier.
    pub local_id: XdsPatientId,
    /// CX of the INS: present only for a qualified identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ins: Option<XdsPatientId>,
    /// PROV, RECUP, VALI or QUAL.
    pub identity_status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LotJsonDocument {
    pub uri: String,
    pub origin: DocumentOrigin,
}
