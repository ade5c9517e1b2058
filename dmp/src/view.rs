//! The serialisable views of DMP results, one per JSON contract, shared by the command line
//! (`segur dmp find --json`, `status --json`, `feed --json`) and the C API.

use serde::Serialize;

/// One registry entry as `segur dmp find --json` prints it (`shared/specs/dmp.md` §6
/// "Extraction"). Holds no patient data: the patient id and source patient info of the entry
/// are not copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentView {
    /// XDS uniqueId (the CDA `ClinicalDocument/id`).
    pub unique_id: String,
    /// entryUUID (`@id`).
    pub entry_uuid: String,
    /// logicalId (`@lid`; unchanged by metadata updates, new on replacement).
    pub logical_id: Option<String>,
    /// `VersionInfo@versionName` (ITI-57 PreviousVersion).
    pub version: Option<String>,
    /// Status: `approved`, `deprecated`, `archived`, `deleted` or the URN as sent.
    pub status: String,
    /// typeCode (LOINC).
    pub type_code: Option<String>,
    /// classCode.
    pub class_code: Option<String>,
    /// formatCode.
    pub format_code: Option<String>,
    /// confidentialityCode values (`N`, `MASQUE_PS`, `INVISIBLE_PATIENT`...).
    pub confidentiality: Vec<String>,
    /// Title (`Name`).
    pub title: Option<String>,
    /// mimeType.
    pub mime_type: Option<String>,
    /// SHA-1 of the document, lower-case hex.
    pub hash: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// creationTime (UTC `YYYYMMDDhhmmss`).
    pub creation_time: Option<String>,
    /// serviceStartTime.
    pub service_start_time: Option<String>,
    /// repositoryUniqueId (needed by TD3.2).
    pub repository_unique_id: Option<String>,
}

/// The outcome of a feed, as `segur dmp feed --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedView {
    /// `fed`: the DMP answered Success; `already_present`: a retry found the uniqueId fed.
    pub outcome: &'static str,
    /// The document's XDS uniqueId.
    pub unique_id: String,
    /// The replaced document's uniqueId, for a replacement.
    pub replaces: Option<String>,
}
