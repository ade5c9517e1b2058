//! ebRIM 3.0 `lcm:SubmitObjectsRequest` writer and reader for XDS metadata (IHE ITI TF-3 §4.2;
//! the METADATA.XML of an IHE_XDM subset, ITI TF-3 §4.2.1.1 / ITI-32).

use std::fmt::Write as _;

use serde::Serialize;

use crate::model::{Code, PatientText};
use crate::xds::{
    Association, AssociationKind, DocumentEntry, Submission, SubmissionSet, XdsAuthor,
    XdsPatientId, new_entry_uuid,
};
use crate::xml::{self, Element, XmlError, XmlLimits, escape};

/// Namespace of `lcm:` (LifeCycleManager).
pub const NS_LCM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0";
/// Namespace of `rim:`.
pub const NS_RIM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";

/// IHE XDS classification and identification scheme UUIDs (ITI TF-3 Table 4.2.5-1).
pub mod uuids {
    /// DocumentEntry objectType (stable document).
    pub const DOC_ENTRY: &str = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1";
    /// SubmissionSet classification node.
    pub const SUBMISSION_SET: &str = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";
    /// DocumentEntry.author.
    pub const DOC_AUTHOR: &str = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d";
    /// DocumentEntry.classCode.
    pub const DOC_CLASS: &str = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a";
    /// DocumentEntry.confidentialityCode.
    pub const DOC_CONFIDENTIALITY: &str = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f";
    /// DocumentEntry.eventCodeList.
    pub const DOC_EVENT: &str = "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4";
    /// DocumentEntry.formatCode.
    pub const DOC_FORMAT: &str = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d";
    /// DocumentEntry.healthcareFacilityTypeCode.
    pub const DOC_FACILITY: &str = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1";
    /// DocumentEntry.practiceSettingCode.
    pub const DOC_PRACTICE: &str = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead";
    /// DocumentEntry.typeCode.
    pub const DOC_TYPE: &str = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983";
    /// DocumentEntry.patientId.
    pub const DOC_PATIENT_ID: &str = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427";
    /// DocumentEntry.uniqueId.
    pub const DOC_UNIQUE_ID: &str = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";
    /// SubmissionSet.author.
    pub const SS_AUTHOR: &str = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d";
    /// SubmissionSet.contentTypeCode.
    pub const SS_CONTENT_TYPE: &str = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500";
    /// SubmissionSet.patientId.
    pub const SS_PATIENT_ID: &str = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446";
    /// SubmissionSet.sourceId.
    pub const SS_SOURCE_ID: &str = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832";
    /// SubmissionSet.uniqueId.
    pub const SS_UNIQUE_ID: &str = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8";
}

const APPROVED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";
const CLASSIFICATION: &str =
    "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification";
const EXTERNAL_ID: &str =
    "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier";

/// Why ebRIM metadata could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EbrimError {
    /// The XML layer refused the input.
    #[error("XML: {0}")]
    Xml(#[from] XmlError),
    /// The root is not a `SubmitObjectsRequest` (or `ProvideAndRegisterDocumentSetRequest`).
    #[error("root element is <{0}>, not <SubmitObjectsRequest>")]
    NotSubmitObjectsRequest(String),
    /// No `RegistryPackage` classified as a submission set.
    #[error("no submission set RegistryPackage")]
    NoSubmissionSet,
    /// A mandatory value is missing on an object.
    #[error("{object}: missing {what}")]
    Missing {
        /// Object id.
        object: String,
        /// Missing item.
        what: &'static str,
    },
}

/// The text written, and where the ebRIM object ids come from (random `urn:uuid:` unless
/// [`write_with_ids`] gives a source).
struct W<'i>(
    String,
    Option<std::cell::RefCell<&'i mut (dyn FnMut() -> String + Send)>>,
);

impl W<'_> {
    /// An id for a Classification or ExternalIdentifier (shared borrow: it is taken as an
    /// argument of the `&mut self` writers).
    fn id(&self) -> String {
        match &self.1 {
            Some(ids) => (ids.borrow_mut())(),
            None => new_entry_uuid(),
        }
    }

    fn slot(&mut self, name: &str, values: &[&str]) {
        if values.is_empty() {
            return;
        }
        let _ = write!(
            self.0,
            "<rim:Slot name=\"{}\"><rim:ValueList>",
            escape(name)
        );
        for v in values {
            let _ = write!(self.0, "<rim:Value>{}</rim:Value>", escape(v));
        }
        self.0.push_str("</rim:ValueList></rim:Slot>");
    }

    fn name(&mut self, s: Option<&str>) {
        if let Some(s) = s {
            let _ = write!(
                self.0,
                "<rim:Name><rim:LocalizedString value=\"{}\"/></rim:Name>",
                escape(s)
            );
        }
    }

    fn code(&mut self, id: &str, scheme: &str, obj: &str, c: &Code) {
        let _ = write!(
            self.0,
            "<rim:Classification id=\"{}\" objectType=\"{CLASSIFICATION}\" classificationScheme=\"{scheme}\" classifiedObject=\"{}\" nodeRepresentation=\"{}\">",
            escape(id),
            escape(obj),
            escape(&c.code)
        );
        self.slot("codingScheme", &[&c.code_system]);
        self.name(c.display_name.as_deref());
        self.0.push_str("</rim:Classification>");
    }

    fn author(&mut self, id: &str, scheme: &str, obj: &str, a: &XdsAuthor) {
        let _ = write!(
            self.0,
            "<rim:Classification id=\"{}\" objectType=\"{CLASSIFICATION}\" classificationScheme=\"{scheme}\" classifiedObject=\"{}\" nodeRepresentation=\"\">",
            escape(id),
            escape(obj)
        );
        if let Some(p) = &a.person {
            self.slot("authorPerson", &[p]);
        }
        fn refs(v: &[String]) -> Vec<&str> {
            v.iter().map(String::as_str).collect()
        }
        self.slot("authorInstitution", &refs(&a.institution));
        self.slot("authorRole", &refs(&a.role));
        self.slot("authorSpecialty", &refs(&a.specialty));
        self.0.push_str("</rim:Classification>");
    }

    fn external_id(&mut self, id: &str, scheme: &str, obj: &str, value: &str, name: &str) {
        let _ = write!(
            self.0,
            "<rim:ExternalIdentifier id=\"{}\" objectType=\"{EXTERNAL_ID}\" identificationScheme=\"{scheme}\" registryObject=\"{}\" value=\"{}\">",
            escape(id),
            escape(obj),
            escape(value)
        );
        self.name(Some(name));
        self.0.push_str("</rim:ExternalIdentifier>");
    }
}

fn document_entry(w: &mut W<'_>, d: &DocumentEntry) {
    let id = &d.entry_uuid;
    let _ = write!(
        w.0,
        "<rim:ExtrinsicObject id=\"{}\" mimeType=\"{}\" objectType=\"{}\" status=\"{APPROVED}\">",
        escape(id),
        escape(&d.mime_type),
        uuids::DOC_ENTRY
    );
    if let Some(t) = &d.creation_time {
        w.slot("creationTime", &[t]);
    }
    if let Some(h) = &d.hash {
        w.slot("hash", &[h]);
    }
    if let Some(l) = &d.language_code {
        w.slot("languageCode", &[l]);
    }
    if let Some(l) = &d.legal_authenticator {
        w.slot("legalAuthenticator", &[l]);
    }
    if let Some(t) = &d.service_start_time {
        w.slot("serviceStartTime", &[t]);
    }
    if let Some(t) = &d.service_stop_time {
        w.slot("serviceStopTime", &[t]);
    }
    if let Some(s) = d.size {
        w.slot("size", &[&s.to_string()]);
    }
    if let Some(s) = &d.source_patient_id {
        w.slot("sourcePatientId", &[s.expose()]);
    }
    let info: Vec<&str> = d
        .source_patient_info
        .iter()
        .map(PatientText::expose)
        .collect();
    w.slot("sourcePatientInfo", &info);
    if let Some(u) = &d.uri {
        w.slot("URI", &[u]);
    }
    w.name(d.title.as_deref());
    for a in &d.authors {
        w.author(&w.id(), uuids::DOC_AUTHOR, id, a);
    }
    if let Some(c) = &d.class_code {
        w.code(&w.id(), uuids::DOC_CLASS, id, c);
    }
    for c in &d.confidentiality {
        w.code(&w.id(), uuids::DOC_CONFIDENTIALITY, id, c);
    }
    for c in &d.event_codes {
        w.code(&w.id(), uuids::DOC_EVENT, id, c);
    }
    if let Some(c) = &d.format_code {
        w.code(&w.id(), uuids::DOC_FORMAT, id, c);
    }
    if let Some(c) = &d.healthcare_facility_type {
        w.code(&w.id(), uuids::DOC_FACILITY, id, c);
    }
    if let Some(c) = &d.practice_setting {
        w.code(&w.id(), uuids::DOC_PRACTICE, id, c);
    }
    if let Some(c) = &d.type_code {
        w.code(&w.id(), uuids::DOC_TYPE, id, c);
    }
    if let Some(p) = &d.patient_id {
        w.external_id(
            &w.id(),
            uuids::DOC_PATIENT_ID,
            id,
            p.expose(),
            "XDSDocumentEntry.patientId",
        );
    }
    w.external_id(
        &w.id(),
        uuids::DOC_UNIQUE_ID,
        id,
        &d.unique_id,
        "XDSDocumentEntry.uniqueId",
    );
    w.0.push_str("</rim:ExtrinsicObject>");
}

fn submission_set(w: &mut W<'_>, s: &SubmissionSet) {
    let id = &s.entry_uuid;
    let _ = write!(
        w.0,
        "<rim:RegistryPackage id=\"{}\" status=\"{APPROVED}\">",
        escape(id)
    );
    w.slot("submissionTime", &[&s.submission_time]);
    w.name(s.title.as_deref());
    for a in &s.authors {
        w.author(&w.id(), uuids::SS_AUTHOR, id, a);
    }
    if let Some(c) = &s.content_type {
        w.code(&w.id(), uuids::SS_CONTENT_TYPE, id, c);
    }
    w.external_id(
        &w.id(),
        uuids::SS_UNIQUE_ID,
        id,
        &s.unique_id,
        "XDSSubmissionSet.uniqueId",
    );
    w.external_id(
        &w.id(),
        uuids::SS_SOURCE_ID,
        id,
        &s.source_id,
        "XDSSubmissionSet.sourceId",
    );
    if let Some(p) = &s.patient_id {
        w.external_id(
            &w.id(),
            uuids::SS_PATIENT_ID,
            id,
            p.expose(),
            "XDSSubmissionSet.patientId",
        );
    }
    w.0.push_str("</rim:RegistryPackage>");
    let _ = write!(
        w.0,
        "<rim:Classification id=\"{}\" objectType=\"{CLASSIFICATION}\" classifiedObject=\"{}\" classificationNode=\"{}\"/>",
        w.id(),
        escape(id),
        uuids::SUBMISSION_SET
    );
}

/// Writes the `lcm:SubmitObjectsRequest` of a submission.
pub fn write(sub: &Submission) -> String {
    write_to(sub, W(String::with_capacity(8192), None))
}

/// [`write()`], the ids of the ebRIM Classification and ExternalIdentifier objects taken from
/// `ids` (they are local to the request, ebRIM 3.0 §2.5.2): a caller that derives them gets
/// the same METADATA.XML for the same submission.
pub fn write_with_ids(sub: &Submission, ids: &mut (dyn FnMut() -> String + Send)) -> String {
    write_to(
        sub,
        W(
            String::with_capacity(8192),
            Some(std::cell::RefCell::new(ids)),
        ),
    )
}

fn write_to(sub: &Submission, mut w: W<'_>) -> String {
    w.0.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        w.0,
        "<lcm:SubmitObjectsRequest xmlns:lcm=\"{NS_LCM}\" xmlns:rim=\"{NS_RIM}\"><rim:RegistryObjectList>"
    );
    submission_set(&mut w, &sub.submission_set);
    for d in &sub.documents {
        document_entry(&mut w, d);
    }
    for a in &sub.associations {
        let _ = write!(
            w.0,
            "<rim:Association id=\"{}\" associationType=\"{}\" sourceObject=\"{}\" targetObject=\"{}\">",
            escape(&a.id),
            a.kind.urn(),
            escape(&a.source),
            escape(&a.target)
        );
        if a.kind == AssociationKind::HasMember {
            w.slot("SubmissionSetStatus", &["Original"]);
        }
        w.0.push_str("</rim:Association>");
    }
    w.0.push_str("</rim:RegistryObjectList></lcm:SubmitObjectsRequest>\n");
    w.0
}

fn slot_values(obj: &Element<'_>, name: &str) -> Vec<String> {
    obj.all("Slot")
        .filter(|s| s.attr("name") == Some(name))
        .flat_map(|s| {
            s.path("ValueList")
                .into_iter()
                .flat_map(|vl| vl.all("Value"))
                .map(|v| v.text())
        })
        .collect()
}

fn slot1(obj: &Element<'_>, name: &str) -> Option<String> {
    slot_values(obj, name).into_iter().next()
}

fn name_of(obj: &Element<'_>) -> Option<String> {
    obj.path("Name/LocalizedString")
        .and_then(|l| l.attr("value"))
        .map(str::to_owned)
}

fn classifications<'e, 'a>(
    obj: &'e Element<'a>,
    scheme: &'e str,
) -> impl Iterator<Item = &'e Element<'a>> + 'e {
    obj.all("Classification")
        .filter(move |c| c.attr("classificationScheme") == Some(scheme))
}

fn code_of(c: &Element<'_>) -> Code {
    Code {
        code: c.attr("nodeRepresentation").unwrap_or_default().to_owned(),
        code_system: slot1(c, "codingScheme").unwrap_or_default(),
        display_name: name_of(c),
    }
}

fn code1(obj: &Element<'_>, scheme: &str) -> Option<Code> {
    classifications(obj, scheme).next().map(code_of)
}

fn authors(obj: &Element<'_>, scheme: &str) -> Vec<XdsAuthor> {
    classifications(obj, scheme)
        .map(|c| XdsAuthor {
            person: slot1(c, "authorPerson"),
            institution: slot_values(c, "authorInstitution"),
            role: slot_values(c, "authorRole"),
            specialty: slot_values(c, "authorSpecialty"),
        })
        .collect()
}

fn external_id(obj: &Element<'_>, scheme: &str) -> Option<String> {
    obj.all("ExternalIdentifier")
        .find(|e| e.attr("identificationScheme") == Some(scheme))
        .and_then(|e| e.attr("value"))
        .map(str::to_owned)
}

fn missing(obj: &Element<'_>, what: &'static str) -> EbrimError {
    EbrimError::Missing {
        object: obj.attr("id").unwrap_or("?").chars().take(80).collect(),
        what,
    }
}

/// An attribute IHE makes "R2" (required if known) for XDM media that a METADATA.XML leaves out
/// (IHE ITI TF-3 Table 4.3.1-3, column XDM): read, and reported, never refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetadataWarning {
    /// The object (entryUUID of the DocumentEntry or SubmissionSet), cut to 80 characters.
    pub object: String,
    /// The attribute left out (`typeCode`, `classCode`, `formatCode`, `patientId`,
    /// `contentTypeCode`, `hash`, `size`...).
    pub missing: &'static str,
}

/// Records a missing R2 attribute and passes the value through.
fn r2<T>(
    value: Option<T>,
    obj: &Element<'_>,
    what: &'static str,
    warnings: &mut Vec<MetadataWarning>,
) -> Option<T> {
    if value.is_none() {
        warnings.push(MetadataWarning {
            object: obj.attr("id").unwrap_or("?").chars().take(80).collect(),
            missing: what,
        });
    }
    value
}

fn read_entry(
    e: &Element<'_>,
    warnings: &mut Vec<MetadataWarning>,
) -> Result<DocumentEntry, EbrimError> {
    let patient_id = r2(
        external_id(e, uuids::DOC_PATIENT_ID),
        e,
        "patientId",
        warnings,
    );
    Ok(DocumentEntry {
        entry_uuid: e.attr("id").ok_or_else(|| missing(e, "id"))?.to_owned(),
        unique_id: external_id(e, uuids::DOC_UNIQUE_ID).ok_or_else(|| missing(e, "uniqueId"))?,
        type_code: r2(code1(e, uuids::DOC_TYPE), e, "typeCode", warnings),
        class_code: r2(code1(e, uuids::DOC_CLASS), e, "classCode", warnings),
        format_code: r2(code1(e, uuids::DOC_FORMAT), e, "formatCode", warnings),
        practice_setting: code1(e, uuids::DOC_PRACTICE),
        healthcare_facility_type: code1(e, uuids::DOC_FACILITY),
        confidentiality: classifications(e, uuids::DOC_CONFIDENTIALITY)
            .map(code_of)
            .collect(),
        creation_time: slot1(e, "creationTime"),
        service_start_time: slot1(e, "serviceStartTime"),
        service_stop_time: slot1(e, "serviceStopTime"),
        authors: authors(e, uuids::DOC_AUTHOR),
        legal_authenticator: slot1(e, "legalAuthenticator"),
        language_code: slot1(e, "languageCode"),
        title: name_of(e),
        event_codes: classifications(e, uuids::DOC_EVENT).map(code_of).collect(),
        patient_id: patient_id.map(XdsPatientId::from_cx),
        source_patient_id: slot1(e, "sourcePatientId").map(XdsPatientId::from_cx),
        source_patient_info: slot_values(e, "sourcePatientInfo")
            .into_iter()
            .map(PatientText::new)
            .collect(),
        mime_type: e
            .attr("mimeType")
            .ok_or_else(|| missing(e, "mimeType"))?
            .to_owned(),
        hash: slot1(e, "hash"),
        size: slot1(e, "size").and_then(|s| s.trim().parse().ok()),
        uri: slot1(e, "URI"),
    })
}

fn read_set(
    p: &Element<'_>,
    warnings: &mut Vec<MetadataWarning>,
) -> Result<SubmissionSet, EbrimError> {
    Ok(SubmissionSet {
        entry_uuid: p.attr("id").ok_or_else(|| missing(p, "id"))?.to_owned(),
        unique_id: external_id(p, uuids::SS_UNIQUE_ID).ok_or_else(|| missing(p, "uniqueId"))?,
        source_id: external_id(p, uuids::SS_SOURCE_ID).ok_or_else(|| missing(p, "sourceId"))?,
        submission_time: slot1(p, "submissionTime").ok_or_else(|| missing(p, "submissionTime"))?,
        content_type: r2(
            code1(p, uuids::SS_CONTENT_TYPE),
            p,
            "contentTypeCode",
            warnings,
        ),
        authors: authors(p, uuids::SS_AUTHOR),
        patient_id: r2(
            external_id(p, uuids::SS_PATIENT_ID),
            p,
            "patientId",
            warnings,
        )
        .map(XdsPatientId::from_cx),
        title: name_of(p),
    })
}

/// Reads a `SubmitObjectsRequest` (also accepts it wrapped in an ITI-41
/// `ProvideAndRegisterDocumentSetRequest`). Attributes IHE makes R2 for XDM media may be absent;
/// [`read_with_warnings`] says which.
pub fn read(input: &[u8], limits: &XmlLimits) -> Result<Submission, EbrimError> {
    read_with_warnings(input, limits).map(|(s, _)| s)
}

/// Reads a `SubmitObjectsRequest` and lists the R2 attributes (IHE ITI TF-3 Table 4.3.1-3,
/// XDM column) it leaves out. Attributes XDM makes R (entryUUID, uniqueId, sourceId,
/// submissionTime, mimeType) are still required: their absence is [`EbrimError::Missing`].
pub fn read_with_warnings(
    input: &[u8],
    limits: &XmlLimits,
) -> Result<(Submission, Vec<MetadataWarning>), EbrimError> {
    let mut warnings = Vec::new();
    let root = xml::parse(input, limits)?;
    let sor = match root.name {
        "SubmitObjectsRequest" => &root,
        "ProvideAndRegisterDocumentSetRequest" => root
            .child("SubmitObjectsRequest")
            .ok_or_else(|| EbrimError::NotSubmitObjectsRequest(root.name.to_owned()))?,
        other => {
            return Err(EbrimError::NotSubmitObjectsRequest(
                other.chars().take(64).collect(),
            ));
        }
    };
    let list = sor
        .child("RegistryObjectList")
        .ok_or(EbrimError::NoSubmissionSet)?;
    // The submission set is the RegistryPackage classified by the SubmissionSet node, either
    // inside it or as a sibling Classification.
    // A set: a hostile METADATA.XML may carry tens of thousands of classifications and
    // packages, and a list lookup per package made this quadratic.
    let ss_ids: std::collections::HashSet<&str> = list
        .all("Classification")
        .filter(|c| c.attr("classificationNode") == Some(uuids::SUBMISSION_SET))
        .filter_map(|c| c.attr("classifiedObject"))
        .collect();
    let package = list
        .all("RegistryPackage")
        .find(|p| {
            p.attr("id").is_some_and(|id| ss_ids.contains(id))
                || p.all("Classification")
                    .any(|c| c.attr("classificationNode") == Some(uuids::SUBMISSION_SET))
        })
        .ok_or(EbrimError::NoSubmissionSet)?;
    let submission_set = read_set(package, &mut warnings)?;
    let documents = list
        .all("ExtrinsicObject")
        .map(|e| read_entry(e, &mut warnings))
        .collect::<Result<Vec<_>, _>>()?;
    let associations = list
        .all("Association")
        .filter_map(|a| {
            Some(Association {
                id: a.attr("id").unwrap_or_default().to_owned(),
                kind: AssociationKind::from_urn(a.attr("associationType")?)?,
                source: a.attr("sourceObject")?.to_owned(),
                target: a.attr("targetObject")?.to_owned(),
            })
        })
        .collect();
    Ok((
        Submission {
            submission_set,
            documents,
            associations,
        },
        warnings,
    ))
}
