//! XDS.b metadata derived from a CDA header: `DocumentEntry` and `SubmissionSet`
//! (CI-SIS "Volet Partage de Documents de Santé" and its annex "Lien entre l'en-tête CDA et les
//! métadonnées XDS"; IHE ITI TF-3 §4.2.3). Values are derived, never re-typed.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::model::{Author, CdaHeader, PersonName};
use crate::model::{Code, InstanceId, PatientText};
use crate::time::{hl7_to_xds_utc, now_utc};

/// OID of the PS national identifiers (IDNPS: "8" + RPPS, "0" + ADELI).
pub const OID_IDNPS: &str = "1.2.250.1.71.4.2.1";
/// OID of the structure national identifiers (IDNST: "1" + FINESS, "3" + SIRET...).
pub const OID_IDNST: &str = "1.2.250.1.71.4.2.2";
/// Coding scheme of the ANS formatCodes (TRE_A06-FormatCodeComplementaire).
pub const OID_TRE_A06: &str = "1.2.250.1.213.1.1.4.2.282";
/// Coding scheme of the IHE formatCodes (TRE_A11-IheFormatCode).
pub const OID_IHE_FORMAT: &str = "1.3.6.1.4.1.19376.1.2.3";
/// Coding scheme of the document classes (TRE_A03-ClasseDocument).
pub const OID_CLASS: &str = "1.2.250.1.213.1.1.4.1";
/// templateId of IHE XDS-SD (CDA R2 N1 with a PDF or other non-XML body).
pub const TEMPLATE_XDS_SD: &str = "1.3.6.1.4.1.19376.1.2.20";

/// Why metadata could not be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XdsError {
    /// No formatCode is known for the document's templateIds (ASS_A11) and none was given.
    #[error("no XDS formatCode for templateIds {0:?} (ASS_A11); pass one in DeriveOptions")]
    UnknownFormat(Vec<String>),
    /// No classCode is known for the document type (ASS_X04/ASS_X16) and none was given.
    #[error("no XDS classCode for typeCode {0} (ASS_X04/ASS_X16); pass one in DeriveOptions")]
    UnknownClass(String),
    /// The patient has no identifier usable as XDS patientId.
    #[error(
        "recordTarget/patientRole has no INS (1.2.250.1.213.1.4.8/.9/.10/.11): XDS patientId needs it"
    )]
    NoPatientIns,
    /// A header value needed by the metadata is missing.
    #[error("missing {0} in the CDA header")]
    Missing(&'static str),
    /// A header timestamp is malformed.
    #[error("malformed HL7 timestamp in {0}")]
    BadTime(&'static str),
}

/// Where a classCode came from: a verified correspondence, or a provisional choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClassCodeSource {
    /// Given by the caller.
    Caller,
    /// From the built-in table, which is TO VERIFY against ASS_X16-CorrespondanceType-Classe-DMP
    /// (not published in the public sources the table was built from).
    ProvisionalTable,
}

/// The built-in typeCode → classCode table (TRE_A03 codes). **TO VERIFY** against ASS_X04 /
/// ASS_X16: pass [`DeriveOptions::class_code`] to override.
pub fn provisional_class_code(type_code: &str) -> Option<Code> {
    let (code, display) = match type_code {
        // Comptes rendus.
        "87273-9" | "96173-0" | "78601-2" | "93024-8" | "75492-9" | "75482-0" | "11488-4" => {
            ("10", "Compte rendu")
        }
        // Synthèses and plans.
        "56445-0" | "60591-5" | "34133-9" => ("11", "Synthèse"),
        "83869-8" => ("44", "Plan de soins"),
        "60593-1" => ("43", "Dispensation"),
        "57833-6" | "57828-6" => ("42", "Prescription"),
        "11369-6" => ("11", "Synthèse"),
        _ => return None,
    };
    Some(Code::new(code, OID_CLASS, display))
}

/// ASS_A11-CorresModeleCDA-XdsFormatCode-CISIS for the volets this crate knows (templateId →
/// formatCode). Values from the ANS kit and the NOS (cda.md §1, §3.1); TROD is TO VERIFY.
pub fn format_code_for_template(template: &str) -> Option<Code> {
    let (code, scheme, display) = match template {
        "1.2.250.1.213.1.1.1.46" => (
            "urn:asip:ci-sis:vac-note:2021",
            OID_TRE_A06,
            "Note de vaccination",
        ),
        "1.2.250.1.213.1.1.1.37" => (
            "urn:asip:ci-sis:vac:2019",
            OID_TRE_A06,
            "Carnet de vaccination",
        ),
        "1.2.250.1.213.1.1.1.59" => (
            "urn:ans:ci-sis:trod:2024",
            OID_TRE_A06,
            "Test rapide d'orientation diagnostique",
        ),
        "1.2.250.1.213.1.1.1.56" => (
            "urn:asip:ci-sis:ppp:2023",
            OID_TRE_A06,
            "Plan personnalisé de prévention",
        ),
        "1.2.250.1.213.1.1.1.2.1.1" => (
            "urn:asip:ci-sis:avk:2009",
            OID_TRE_A06,
            "Fiche patient à risque AVK",
        ),
        "1.2.250.1.213.1.1.1.54" => ("urn:ihe:pharm:dis:2010", OID_IHE_FORMAT, "Dispensation"),
        _ => return None,
    };
    Some(Code::new(code, scheme, display))
}

/// formatCode of a CDA R2 N1 (XDS-SD) by media type (ASS_A12, group R221).
pub fn format_code_for_media_type(media_type: &str) -> Option<Code> {
    let (code, display) = match media_type {
        "application/pdf" => (
            "urn:ihe:iti:xds-sd:pdf:2008",
            "Document à corps non structuré en Pdf/A-1",
        ),
        "text/plain" => (
            "urn:ihe:iti:xds-sd:text:2008",
            "Document à corps non structuré en texte",
        ),
        "image/jpeg" => (
            "urn:ihe:iti-fr:xds-sd:jpeg:2010",
            "Document à corps non structuré en jpeg",
        ),
        "text/rtf" => (
            "urn:ihe:iti-fr:xds-sd:rtf:2010",
            "Document à corps non structuré en rtf",
        ),
        "image/tiff" => (
            "urn:ihe:iti-fr:xds-sd:tiff:2010",
            "Document à corps non structuré en tiff",
        ),
        _ => return None,
    };
    Some(Code::new(code, OID_IHE_FORMAT, display))
}

/// One XDS author (authorPerson XCN, authorInstitution XON, authorRole, authorSpecialty).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct XdsAuthor {
    /// authorPerson (XCN): `id^FAMILY^Given^^^^^^&OID&ISO^D^^^IDNPS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// authorInstitution (XON): `Name^^^^^&OID&ISO^IDNST^^^id`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub institution: Vec<String>,
    /// authorRole (from `author/functionCode`), `code^display^system`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role: Vec<String>,
    /// authorSpecialty (from `assignedAuthor/code`, JDV_J01), `code^display^system`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub specialty: Vec<String>,
}

/// Escapes an HL7 v2 component value (`^&|~\` are delimiters).
fn v2(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\F\\"),
            '^' => out.push_str("\\S\\"),
            '&' => out.push_str("\\T\\"),
            '~' => out.push_str("\\R\\"),
            '\\' => out.push_str("\\E\\"),
            c => out.push(c),
        }
    }
    out
}

/// XCN of a person (CI-SIS: IDNPS with OID 1.2.250.1.71.4.2.1, type code IDNPS).
pub fn xcn(id: Option<&InstanceId>, name: Option<&PersonName>) -> Option<String> {
    let family = name
        .and_then(|n| n.family.as_deref())
        .map(v2)
        .unwrap_or_default();
    let given = name
        .and_then(|n| n.given.as_deref())
        .map(v2)
        .unwrap_or_default();
    match id {
        Some(InstanceId {
            root,
            extension: Some(ext),
        }) => {
            let ty = if root == OID_IDNPS { "IDNPS" } else { "" };
            Some(format!(
                "{}^{family}^{given}^^^^^^&{root}&ISO^D^^^{ty}",
                v2(ext)
            ))
        }
        _ if !family.is_empty() => Some(format!("^{family}^{given}")),
        _ => None,
    }
}

/// XON of an organisation (CI-SIS: IDNST with OID 1.2.250.1.71.4.2.2).
pub fn xon(name: Option<&str>, id: Option<&InstanceId>) -> Option<String> {
    let name = name.map(v2).unwrap_or_default();
    match id {
        Some(InstanceId {
            root,
            extension: Some(ext),
        }) => {
            let ty = if root == OID_IDNST { "IDNST" } else { "" };
            Some(format!("{name}^^^^^&{root}&ISO^{ty}^^^{}", v2(ext)))
        }
        _ if !name.is_empty() => Some(name),
        _ => None,
    }
}

fn ce(c: &Code) -> String {
    format!(
        "{}^{}^{}",
        v2(&c.code),
        v2(c.display_name.as_deref().unwrap_or("")),
        v2(&c.code_system)
    )
}

fn xds_author(a: &Author) -> XdsAuthor {
    XdsAuthor {
        person: xcn(a.id.as_ref(), a.person.as_ref()),
        institution: a
            .organization
            .as_ref()
            .and_then(|o| xon(o.name.as_deref(), o.id.as_ref()))
            .into_iter()
            .collect(),
        role: a.function_code.as_ref().map(ce).into_iter().collect(),
        specialty: a.code.as_ref().map(ce).into_iter().collect(),
    }
}

/// XDS patient identifier (CX) `id^^^&OID&ISO^NH` (INS) or `^PI` (local id). Patient data:
/// redacted in `Debug`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct XdsPatientId(PatientText);

impl XdsPatientId {
    /// Builds the CX of an INS (`NH`) or another identifier (`PI`).
    pub fn new(root: &str, extension: &str) -> Self {
        let ty = if crate::model::INS_OIDS.contains(&root) {
            "NH"
        } else {
            "PI"
        };
        Self(PatientText::new(format!(
            "{}^^^&{root}&ISO^{ty}",
            v2(extension)
        )))
    }

    /// Wraps a CX read from metadata.
    pub fn from_cx(cx: impl Into<String>) -> Self {
        Self(PatientText::new(cx))
    }

    /// The CX string, explicitly.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The assigning authority OID and the identifier, parsed from the CX.
    pub fn parts(&self) -> Option<(&str, &str)> {
        let cx = self.0.expose();
        let mut comps = cx.split('^');
        let id = comps.next()?;
        let auth = comps.nth(2)?;
        let oid = auth.split('&').nth(1)?;
        if id.is_empty() || oid.is_empty() {
            None
        } else {
            Some((oid, id))
        }
    }

    /// Whether this is an INS (authority 1.2.250.1.213.1.4.8/.9/.10/.11).
    pub fn is_ins(&self) -> bool {
        self.parts()
            .is_some_and(|(oid, _)| crate::model::INS_OIDS.contains(&oid))
    }
}

impl fmt::Debug for XdsPatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("XdsPatientId(<redacted>)")
    }
}

/// XDS DocumentEntry (fiche du document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentEntry {
    /// entryUUID (`urn:uuid:...`), the registry object id.
    pub entry_uuid: String,
    /// uniqueId: `ClinicalDocument/id` as `root^extension`.
    pub unique_id: String,
    /// typeCode: `ClinicalDocument/code`.
    pub type_code: Code,
    /// classCode (ASS_X04/ASS_X16).
    pub class_code: Code,
    /// formatCode (ASS_A11; XDS-SD for N1).
    pub format_code: Code,
    /// practiceSettingCode: first `serviceEvent/performer/.../standardIndustryClassCode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practice_setting: Option<Code>,
    /// healthcareFacilityTypeCode: `encompassingEncounter/location/healthCareFacility/code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcare_facility_type: Option<Code>,
    /// confidentialityCode(s).
    pub confidentiality: Vec<Code>,
    /// creationTime (UTC `YYYYMMDDhhmmss`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<String>,
    /// serviceStartTime (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_start_time: Option<String>,
    /// serviceStopTime (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_stop_time: Option<String>,
    /// Authors.
    pub authors: Vec<XdsAuthor>,
    /// legalAuthenticator (XCN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_authenticator: Option<String>,
    /// languageCode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    /// title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// eventCodeList (serviceEvent codes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_codes: Vec<Code>,
    /// patientId (CX of the INS).
    pub patient_id: XdsPatientId,
    /// sourcePatientId (CX: local id, else the INS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_patient_id: Option<XdsPatientId>,
    /// sourcePatientInfo (`PID-5|...`, `PID-7|...`, `PID-8|...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_patient_info: Vec<PatientText>,
    /// mimeType (`text/xml` for CDA).
    pub mime_type: String,
    /// SHA-1 of the document, lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// URI slot (file name within an XDM subset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

/// Choices the CDA header cannot give.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeriveOptions {
    /// Overrides the classCode (the built-in table is TO VERIFY).
    pub class_code: Option<Code>,
    /// Overrides the formatCode (for volets not in the built-in ASS_A11 subset).
    pub format_code: Option<Code>,
    /// entryUUID; a random `urn:uuid:` when `None`.
    pub entry_uuid: Option<String>,
}

/// SHA-1 of bytes as lower-case hex (XDS `hash`, IHE ITI TF-3 §4.2.3.2.18).
pub fn sha1_hex(bytes: &[u8]) -> String {
    let digest = Sha1::digest(bytes);
    let mut s = String::with_capacity(40);
    let hex = |nibble: u8| char::from_digit(u32::from(nibble), 16).unwrap_or('0');
    for b in digest {
        s.push(hex(b >> 4));
        s.push(hex(b & 15));
    }
    s
}

/// A random `urn:uuid:` (UUID v4).
pub fn new_entry_uuid() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}

/// A random OID under `2.25` (ISO/IEC 9834-8: UUID-derived OID), for submission set uniqueIds.
pub fn new_uuid_oid() -> String {
    format!("2.25.{}", uuid::Uuid::new_v4().as_u128())
}

fn utc(ts: Option<&String>, what: &'static str) -> Result<Option<String>, XdsError> {
    ts.map(|t| hl7_to_xds_utc(t).ok_or(XdsError::BadTime(what)))
        .transpose()
}

impl DeriveOptions {
    /// Where the classCode of a derivation with these options comes from.
    pub fn class_code_source(&self) -> ClassCodeSource {
        if self.class_code.is_some() {
            ClassCodeSource::Caller
        } else {
            ClassCodeSource::ProvisionalTable
        }
    }
}

impl DocumentEntry {
    /// Derives the DocumentEntry of a CDA from its header and its bytes (hash and size).
    ///
    /// `media_type` is the N1 body's media type, when the body is non-XML (it selects the
    /// XDS-SD formatCode); see [`crate::read::CdaBody`].
    pub fn derive(
        header: &CdaHeader,
        cda_bytes: &[u8],
        nonxml_media_type: Option<&str>,
        opts: &DeriveOptions,
    ) -> Result<Self, XdsError> {
        let format_code = match &opts.format_code {
            Some(f) => f.clone(),
            None => {
                let is_sd = header
                    .template_ids
                    .iter()
                    .any(|t| t.root == TEMPLATE_XDS_SD);
                let by_media = if is_sd || nonxml_media_type.is_some() {
                    nonxml_media_type.and_then(format_code_for_media_type)
                } else {
                    None
                };
                by_media
                    .or_else(|| {
                        header
                            .template_ids
                            .iter()
                            .find_map(|t| format_code_for_template(&t.root))
                    })
                    .ok_or_else(|| {
                        XdsError::UnknownFormat(
                            header.template_ids.iter().map(|t| t.root.clone()).collect(),
                        )
                    })?
            }
        };
        let class_code = match &opts.class_code {
            Some(c) => c.clone(),
            None => provisional_class_code(&header.type_code.code)
                .ok_or_else(|| XdsError::UnknownClass(header.type_code.code.clone()))?,
        };
        let p = &header.patient;
        let ins = p.ins_ids().next().ok_or(XdsError::NoPatientIns)?;
        let patient_id = XdsPatientId::new(&ins.root, ins.extension.expose());
        let source_patient_id = p
            .ids
            .iter()
            .find(|i| !i.is_ins())
            .map(|i| XdsPatientId::new(&i.root, i.extension.expose()))
            .or_else(|| Some(patient_id.clone()));
        let mut info = Vec::new();
        if let Some(n) = &p.birth_name {
            let given = p.given_names.as_ref().or(p.first_given_name.as_ref());
            info.push(PatientText::new(format!(
                "PID-5|{}^{}^^^^^L",
                v2(n.expose()),
                given.map(|g| v2(g.expose())).unwrap_or_default()
            )));
        }
        if let Some(b) = &p.birth_time {
            info.push(PatientText::new(format!("PID-7|{}", v2(b.expose()))));
        }
        if let Some(g) = &p.gender {
            info.push(PatientText::new(format!("PID-8|{}", v2(g.expose()))));
        }
        let first_se = header.service_events.first();
        Ok(Self {
            entry_uuid: opts.entry_uuid.clone().unwrap_or_else(new_entry_uuid),
            unique_id: header.id.to_xds(),
            type_code: header.type_code.clone(),
            class_code,
            format_code,
            practice_setting: header
                .service_events
                .iter()
                .find_map(|s| s.practice_setting.clone()),
            healthcare_facility_type: header
                .encounter
                .as_ref()
                .and_then(|e| e.facility_type.clone()),
            confidentiality: header.confidentiality.iter().cloned().collect(),
            creation_time: utc(
                header.effective_time.as_ref(),
                "ClinicalDocument/effectiveTime",
            )?,
            service_start_time: utc(
                first_se.and_then(|s| s.low.as_ref()),
                "serviceEvent/effectiveTime/low",
            )?,
            service_stop_time: utc(
                first_se.and_then(|s| s.high.as_ref()),
                "serviceEvent/effectiveTime/high",
            )?,
            authors: header.authors.iter().map(xds_author).collect(),
            legal_authenticator: header
                .legal_authenticator
                .as_ref()
                .and_then(|l| xcn(l.id.as_ref(), l.person.as_ref())),
            language_code: header.language_code.clone(),
            title: header.title.clone(),
            event_codes: header
                .service_events
                .iter()
                .filter_map(|s| s.code.clone())
                .collect(),
            patient_id,
            source_patient_id,
            source_patient_info: info,
            mime_type: "text/xml".to_owned(),
            hash: Some(sha1_hex(cda_bytes)),
            size: Some(cda_bytes.len() as u64),
            uri: None,
        })
    }
}

/// XDS SubmissionSet (lot de soumission).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionSet {
    /// entryUUID (`urn:uuid:...`).
    pub entry_uuid: String,
    /// uniqueId (OID).
    pub unique_id: String,
    /// sourceId: OID of the sending system.
    pub source_id: String,
    /// submissionTime (UTC `YYYYMMDDhhmmss`).
    pub submission_time: String,
    /// contentTypeCode (JDV_J03 CI-SIS / JDV_J59 DMP).
    pub content_type: Code,
    /// Authors.
    pub authors: Vec<XdsAuthor>,
    /// patientId (CX of the INS).
    pub patient_id: XdsPatientId,
    /// title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl SubmissionSet {
    /// A submission set for one document entry: same patient, same authors, contentTypeCode
    /// equal to the document's typeCode unless given (the CI-SIS J03 list reuses J07 codes for
    /// single-document submissions; TO VERIFY per target: the DMP uses JDV_J59).
    pub fn for_entry(entry: &DocumentEntry, source_id: &str, content_type: Option<Code>) -> Self {
        Self {
            entry_uuid: new_entry_uuid(),
            unique_id: new_uuid_oid(),
            source_id: source_id.to_owned(),
            submission_time: now_utc(),
            content_type: content_type.unwrap_or_else(|| entry.type_code.clone()),
            authors: entry.authors.clone(),
            patient_id: entry.patient_id.clone(),
            title: entry.title.clone(),
        }
    }
}

/// Kinds of XDS associations used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssociationKind {
    /// Submission set → document (`HasMember`).
    HasMember,
    /// New document → replaced document entry (`RPLC`, IHE ITI TF-3 §4.2.2.2.2).
    Replace,
}

impl AssociationKind {
    /// The ebRIM associationType URN.
    pub fn urn(self) -> &'static str {
        match self {
            Self::HasMember => "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember",
            Self::Replace => "urn:ihe:iti:2007:AssociationType:RPLC",
        }
    }

    /// Parses an associationType URN.
    pub fn from_urn(s: &str) -> Option<Self> {
        match s {
            "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" => Some(Self::HasMember),
            "urn:ihe:iti:2007:AssociationType:RPLC" => Some(Self::Replace),
            _ => None,
        }
    }
}

/// An association between two registry objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Association {
    /// Its id.
    pub id: String,
    /// Kind.
    pub kind: AssociationKind,
    /// sourceObject.
    pub source: String,
    /// targetObject.
    pub target: String,
}

/// Metadata of one submission: the set, its document entries and associations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    /// The submission set.
    pub submission_set: SubmissionSet,
    /// The document entries.
    pub documents: Vec<DocumentEntry>,
    /// Associations (HasMember for each document, RPLC for replacements).
    pub associations: Vec<Association>,
}

impl Submission {
    /// A submission of `documents` in `set`, with one HasMember per document.
    pub fn new(submission_set: SubmissionSet, documents: Vec<DocumentEntry>) -> Self {
        let associations = documents
            .iter()
            .map(|d| Association {
                id: new_entry_uuid(),
                kind: AssociationKind::HasMember,
                source: submission_set.entry_uuid.clone(),
                target: d.entry_uuid.clone(),
            })
            .collect();
        Self {
            submission_set,
            documents,
            associations,
        }
    }

    /// Declares that document `new_entry_uuid` replaces the registry entry `old_entry_uuid`
    /// (TD2.1; the CDA carries the matching `relatedDocument typeCode="RPLC"`).
    pub fn replace(&mut self, new_entry_uuid: &str, old_entry_uuid: &str) {
        self.associations.push(Association {
            id: new_entry_uuid_string(),
            kind: AssociationKind::Replace,
            source: new_entry_uuid.to_owned(),
            target: old_entry_uuid.to_owned(),
        });
    }
}

fn new_entry_uuid_string() -> String {
    new_entry_uuid()
}
