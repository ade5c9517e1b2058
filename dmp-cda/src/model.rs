//! Data types shared by the reader, the streaming header extractor, the builders and the XDS
//! metadata: HL7 `II` identifiers, `CD` codes, redacting wrappers for patient data and the typed
//! CDA header ([`CdaHeader`] and its parts).

use std::fmt;

use serde::{Deserialize, Serialize};

/// HL7 v3 `II` instance identifier: an OID `root` and an optional `extension`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InstanceId {
    /// OID (or UUID) of the assigning authority.
    pub root: String,
    /// Identifier within the root, when the root alone is not the identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
}

impl InstanceId {
    /// An identifier with a root and an extension.
    pub fn new(root: impl Into<String>, extension: impl Into<String>) -> Self {
        Self {
            root: root.into(),
            extension: Some(extension.into()),
        }
    }

    /// An identifier made of a root only (e.g. a document OID).
    pub fn root_only(root: impl Into<String>) -> Self {
        Self {
            root: root.into(),
            extension: None,
        }
    }

    /// XDS `uniqueId` form: `root^extension`, or `root` alone (IHE ITI TF-3 4.2.3.2.26).
    pub fn to_xds(&self) -> String {
        match &self.extension {
            Some(e) => format!("{}^{}", self.root, e),
            None => self.root.clone(),
        }
    }
}

impl fmt::Debug for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.extension {
            Some(e) => write!(f, "{}^{}", self.root, e),
            None => write!(f, "{}", self.root),
        }
    }
}

/// HL7 v3 `CD`/`CE` coded value: the DMP checks the code, the code system and the display
/// name together (DMP guide §6.1, quoted in cda.md §1a).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Code {
    /// Code.
    pub code: String,
    /// Code system OID.
    #[serde(rename = "codeSystem")]
    pub code_system: String,
    /// Display name.
    #[serde(
        rename = "displayName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
}

impl Code {
    /// A code with its system and display name.
    pub fn new(code: &str, system: &str, display: &str) -> Self {
        Self {
            code: code.into(),
            code_system: system.into(),
            display_name: Some(display.into()),
        }
    }
}

/// Patient-identifying text (name, identifier, date of birth). `Debug` and `Display` print
/// `<redacted>`; read it through [`PatientText::expose`] (common rules: no patient data in logs).
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PatientText(String);

impl PatientText {
    /// Wraps a value.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The value, explicitly.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PatientText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for PatientText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A patient identifier (`recordTarget/patientRole/id`), redacted in `Debug`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PatientId {
    /// Assigning authority OID.
    pub root: String,
    /// Identifier value (patient data).
    pub extension: PatientText,
}

impl fmt::Debug for PatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}^<redacted>", self.root)
    }
}

/// OIDs of the INS assigning authorities: INS-NIR, INS-NIA, INS-NIR de test, INS-NIA de test
/// (ANS référentiel INS; cda.md §2 "INS roots").
pub const INS_OIDS: [&str; 4] = [
    "1.2.250.1.213.1.4.8",
    "1.2.250.1.213.1.4.9",
    "1.2.250.1.213.1.4.10",
    "1.2.250.1.213.1.4.11",
];

impl PatientId {
    /// Whether this identifier is an INS (its root is one of [`INS_OIDS`]).
    pub fn is_ins(&self) -> bool {
        INS_OIDS.contains(&self.root.as_str())
    }
}

/// The CDA header, in the terms of the CI-SIS "structuration minimale".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CdaHeader {
    /// `realmCode/@code` (FR for French documents).
    pub realm: Option<String>,
    /// `templateId`s, in document order (volet and version are in there).
    pub template_ids: Vec<InstanceId>,
    /// `id`: the document's unique id (XDS uniqueId).
    pub id: InstanceId,
    /// `code`: the document type (XDS typeCode).
    pub type_code: Code,
    /// `title`.
    pub title: Option<String>,
    /// `effectiveTime/@value` (HL7 TS, e.g. `20240106113623+0100`).
    pub effective_time: Option<String>,
    /// `confidentialityCode`.
    pub confidentiality: Option<Code>,
    /// `languageCode/@code`.
    pub language_code: Option<String>,
    /// `setId`, stable across versions.
    pub set_id: Option<InstanceId>,
    /// `versionNumber/@value`.
    pub version_number: Option<u32>,
    /// The patient (`recordTarget/patientRole`).
    pub patient: Patient,
    /// The authors.
    pub authors: Vec<Author>,
    /// `custodian/assignedCustodian/representedCustodianOrganization`.
    pub custodian: Option<Organization>,
    /// `legalAuthenticator`.
    pub legal_authenticator: Option<LegalAuthenticator>,
    /// `documentationOf/serviceEvent`s.
    pub service_events: Vec<ServiceEvent>,
    /// `componentOf/encompassingEncounter`.
    pub encounter: Option<Encounter>,
    /// `relatedDocument`s (RPLC for a replacement).
    pub related_documents: Vec<RelatedDocument>,
}

/// The patient of `recordTarget/patientRole`. Every value is patient data and redacted in
/// `Debug`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Patient {
    /// All `patientRole/id`s (INS and local identifiers).
    pub ids: Vec<PatientId>,
    /// Birth name: `family[@qualifier='BR']`, else the first unqualified `family`.
    pub birth_name: Option<PatientText>,
    /// First birth given name: `given[@qualifier='BR']`.
    pub first_given_name: Option<PatientText>,
    /// All birth given names: the unqualified `given`.
    pub given_names: Option<PatientText>,
    /// Used name: `family[@qualifier='CL']`.
    pub used_name: Option<PatientText>,
    /// Used given name: `given[@qualifier='CL']`.
    pub used_given_name: Option<PatientText>,
    /// `birthTime/@value`.
    pub birth_time: Option<PatientText>,
    /// `administrativeGenderCode/@code` (M, F, U).
    pub gender: Option<PatientText>,
    /// INSEE COG code of the birthplace (`birthplace/place/addr/county`).
    pub birthplace_cog: Option<PatientText>,
}

impl Patient {
    /// The INS identifiers (roots 1.2.250.1.213.1.4.8/.9/.10/.11).
    pub fn ins_ids(&self) -> impl Iterator<Item = &PatientId> {
        self.ids.iter().filter(|i| i.is_ins())
    }

    /// The patient's INS checked through `segur-ins` (matricule key and authority OID), when
    /// the document carries one.
    pub fn ins(&self) -> Option<Result<segur_ins::Ins, segur_ins::InsError>> {
        self.ins_ids()
            .next()
            .map(|i| segur_ins::Ins::from_parts(i.extension.expose(), &i.root))
    }
}

/// A person's name as written in an author or authenticator element.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PersonName {
    /// `prefix` (civilité, JDV_J245).
    pub prefix: Option<String>,
    /// `family`.
    pub family: Option<String>,
    /// `given`s, space-joined.
    pub given: Option<String>,
    /// `suffix` (titre, JDV_J246).
    pub suffix: Option<String>,
}

/// An organisation: id, name and, where present, the practice setting
/// (`standardIndustryClassCode`, JDV_J04).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Organization {
    /// First `id`.
    pub id: Option<InstanceId>,
    /// `name`.
    pub name: Option<String>,
    /// `standardIndustryClassCode`.
    pub practice_setting: Option<Code>,
}

/// A document author (`author/assignedAuthor`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Author {
    /// `time/@value`.
    pub time: Option<String>,
    /// `functionCode` (JDV_J47).
    pub function_code: Option<Code>,
    /// `assignedAuthor/id` (PS national id: root 1.2.250.1.71.4.2.1).
    pub id: Option<InstanceId>,
    /// `assignedAuthor/code` (profession/specialty, JDV_J01).
    pub code: Option<Code>,
    /// `assignedPerson/name`.
    pub person: Option<PersonName>,
    /// `assignedAuthoringDevice/softwareName`, for a device author.
    pub software: Option<String>,
    /// `representedOrganization`.
    pub organization: Option<Organization>,
}

/// `legalAuthenticator`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct LegalAuthenticator {
    /// `time/@value`.
    pub time: Option<String>,
    /// `signatureCode/@code` (S).
    pub signature_code: Option<String>,
    /// `assignedEntity/id`.
    pub id: Option<InstanceId>,
    /// `assignedEntity/assignedPerson/name`.
    pub person: Option<PersonName>,
    /// `assignedEntity/representedOrganization`.
    pub organization: Option<Organization>,
}

/// `documentationOf/serviceEvent`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ServiceEvent {
    /// `code` (e.g. the CIM-10 disease for TROD).
    pub code: Option<Code>,
    /// `effectiveTime/low/@value`.
    pub low: Option<String>,
    /// `effectiveTime/high/@value`.
    pub high: Option<String>,
    /// `performer/assignedEntity/id`.
    pub performer_id: Option<InstanceId>,
    /// `performer/assignedEntity/representedOrganization/standardIndustryClassCode` (J04): the
    /// XDS practiceSettingCode source.
    pub practice_setting: Option<Code>,
}

/// `componentOf/encompassingEncounter`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Encounter {
    /// `code` (J142: AMB...).
    pub code: Option<Code>,
    /// `effectiveTime/low/@value` (or `@value`).
    pub low: Option<String>,
    /// `effectiveTime/high/@value`.
    pub high: Option<String>,
    /// `location/healthCareFacility/code` (J02): the XDS healthcareFacilityTypeCode source.
    pub facility_type: Option<Code>,
}

/// `relatedDocument`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct RelatedDocument {
    /// `@typeCode` (RPLC, APND, XFRM).
    pub type_code: String,
    /// `parentDocument/id`.
    pub parent_id: Option<InstanceId>,
    /// `parentDocument/setId`.
    pub parent_set_id: Option<InstanceId>,
    /// `parentDocument/versionNumber/@value`.
    pub parent_version: Option<u32>,
}
