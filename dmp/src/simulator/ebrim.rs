//! ebRIM 3.0 objects of XDS requests, read from the hardened [`segur_net::xml`] tree, and the
//! `ExtrinsicObject`s of stored-query responses (IHE ITI TF-3 §4.2.3, `shared/specs/dmp.md`
//! §5.2 and §6). The scheme UUIDs and the [`DocumentEntry`] type are `segur-dmp-cda`'s; the
//! reading is the simulator's own, so a client and the simulator never share a parsing bug.

use segur_dmp_cda::ebrim::uuids;
use segur_dmp_cda::model::{Code, PatientText};
use segur_dmp_cda::xds::{DocumentEntry, XdsAuthor, XdsPatientId};
use segur_net::xml::{Element, XmlWriteError, XmlWriter};

use super::refusal::{Refusal, codes};
use super::registry::StoredEntry;

/// `rim:` (ebRIM 3.0).
pub const RIM_NS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
/// `lcm:` (ebRS 3.0 LifeCycleManager).
pub const LCM_NS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0";
/// `rs:` (ebRS 3.0 registry responses).
pub const RS_NS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0";
/// `query:` (ebRS 3.0 query manager).
pub const QUERY_NS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0";
/// `ihe:` (IHE XDS.b).
pub const IHE_NS: &str = "urn:ihe:iti:xds-b:2007";

/// The association types of the DMP's requests (§5.2, §5.5, §8).
pub mod association {
    /// Submission set → member.
    pub const HAS_MEMBER: &str = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember";
    /// Replacement (new → old entryUUID).
    pub const RPLC: &str = "urn:ihe:iti:2007:AssociationType:RPLC";
    /// Signature entry → submission set.
    pub const SIGNS: &str = "urn:ihe:iti:2007:AssociationType:signs";
    /// Availability status update (ITI-57).
    pub const UPDATE_AVAILABILITY_STATUS: &str =
        "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus";
}

/// The classCode of the submission-set signature entry (§5.2, "Digital Signature").
pub const SIGNATURE_CLASS_CODE: &str = "urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1";

/// The values of the slot `name` of `obj`.
pub fn slot_values(obj: &Element<'_>, name: &str) -> Vec<String> {
    obj.children_named(RIM_NS, "Slot")
        .filter(|s| s.attribute("name") == Some(name))
        .flat_map(|s| s.children_named(RIM_NS, "ValueList"))
        .flat_map(|vl| vl.children_named(RIM_NS, "Value"))
        .map(Element::text)
        .collect()
}

/// The first value of the slot `name`.
pub fn slot1(obj: &Element<'_>, name: &str) -> Option<String> {
    slot_values(obj, name).into_iter().next()
}

fn localized(obj: &Element<'_>, local: &str) -> Option<String> {
    obj.child(RIM_NS, local)
        .and_then(|n| n.child(RIM_NS, "LocalizedString"))
        .and_then(|l| l.attribute("value"))
        .map(str::to_owned)
}

/// The classifications of `obj` with `scheme`.
pub fn classifications<'e, 'a>(
    obj: &'e Element<'a>,
    scheme: &'e str,
) -> impl Iterator<Item = &'e Element<'a>> + 'e {
    obj.children_named(RIM_NS, "Classification")
        .filter(move |c| c.attribute("classificationScheme") == Some(scheme))
}

fn code_of(c: &Element<'_>) -> Code {
    Code {
        code: c
            .attribute("nodeRepresentation")
            .unwrap_or_default()
            .to_owned(),
        code_system: slot1(c, "codingScheme").unwrap_or_default(),
        display_name: localized(c, "Name"),
    }
}

fn code1(obj: &Element<'_>, scheme: &str) -> Option<Code> {
    classifications(obj, scheme).next().map(code_of)
}

/// The value of the external identifier of `obj` with `scheme`.
pub fn external_id(obj: &Element<'_>, scheme: &str) -> Option<String> {
    obj.children_named(RIM_NS, "ExternalIdentifier")
        .find(|e| e.attribute("identificationScheme") == Some(scheme))
        .and_then(|e| e.attribute("value"))
        .map(str::to_owned)
}

fn missing(object: &Element<'_>, what: &str) -> Refusal {
    Refusal::registry_at(
        codes::METADATA_ERROR,
        format!("the document entry has no {what}"),
        object
            .attribute("id")
            .unwrap_or("?")
            .chars()
            .take(80)
            .collect::<String>(),
    )
}

/// Reads an `ExtrinsicObject` (a DocumentEntry) of a request.
pub fn read_entry(e: &Element<'_>) -> Result<DocumentEntry, Refusal> {
    let id = e.attribute("id").ok_or_else(|| missing(e, "id"))?;
    let patient_id =
        external_id(e, uuids::DOC_PATIENT_ID).ok_or_else(|| missing(e, "patientId"))?;
    Ok(DocumentEntry {
        entry_uuid: id.to_owned(),
        unique_id: external_id(e, uuids::DOC_UNIQUE_ID)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| missing(e, "uniqueId"))?,
        type_code: Some(code1(e, uuids::DOC_TYPE).ok_or_else(|| missing(e, "typeCode"))?),
        class_code: Some(code1(e, uuids::DOC_CLASS).ok_or_else(|| missing(e, "classCode"))?),
        format_code: Some(code1(e, uuids::DOC_FORMAT).ok_or_else(|| missing(e, "formatCode"))?),
        practice_setting: code1(e, uuids::DOC_PRACTICE),
        healthcare_facility_type: code1(e, uuids::DOC_FACILITY),
        confidentiality: classifications(e, uuids::DOC_CONFIDENTIALITY)
            .map(code_of)
            .collect(),
        creation_time: slot1(e, "creationTime"),
        service_start_time: slot1(e, "serviceStartTime"),
        service_stop_time: slot1(e, "serviceStopTime"),
        authors: classifications(e, uuids::DOC_AUTHOR)
            .map(|c| XdsAuthor {
                person: slot1(c, "authorPerson"),
                institution: slot_values(c, "authorInstitution"),
                role: slot_values(c, "authorRole"),
                specialty: slot_values(c, "authorSpecialty"),
            })
            .collect(),
        legal_authenticator: slot1(e, "legalAuthenticator"),
        language_code: slot1(e, "languageCode"),
        title: localized(e, "Name"),
        event_codes: classifications(e, uuids::DOC_EVENT).map(code_of).collect(),
        patient_id: Some(XdsPatientId::from_cx(patient_id)),
        source_patient_id: slot1(e, "sourcePatientId").map(XdsPatientId::from_cx),
        source_patient_info: slot_values(e, "sourcePatientInfo")
            .into_iter()
            .map(PatientText::new)
            .collect(),
        mime_type: e
            .attribute("mimeType")
            .filter(|m| !m.is_empty())
            .ok_or_else(|| missing(e, "mimeType"))?
            .to_owned(),
        hash: slot1(e, "hash"),
        size: match slot1(e, "size") {
            None => None,
            Some(s) => Some(s.trim().parse().map_err(|_| missing(e, "decimal size"))?),
        },
        uri: slot1(e, "URI"),
    })
}

/// An association of a request.
#[derive(Debug, Clone)]
pub struct RequestAssociation<'e, 'a> {
    /// `associationType`.
    pub kind: String,
    /// `sourceObject`.
    pub source: String,
    /// `targetObject`.
    pub target: String,
    /// The element (for its slots).
    pub element: &'e Element<'a>,
}

/// The associations of a `RegistryObjectList`.
pub fn associations<'e, 'a>(list: &'e Element<'a>) -> Vec<RequestAssociation<'e, 'a>> {
    list.children_named(RIM_NS, "Association")
        .map(|a| RequestAssociation {
            kind: a
                .attribute("associationType")
                .unwrap_or_default()
                .to_owned(),
            source: a.attribute("sourceObject").unwrap_or_default().to_owned(),
            target: a.attribute("targetObject").unwrap_or_default().to_owned(),
            element: a,
        })
        .collect()
}

fn slot(w: &mut XmlWriter, name: &str, values: &[&str]) -> Result<(), XmlWriteError> {
    w.start("rim:Slot", &[("name", name)])?;
    w.start("rim:ValueList", &[])?;
    for v in values {
        w.element("rim:Value", &[], v)?;
    }
    w.end()?;
    w.end()
}

fn name(w: &mut XmlWriter, value: &str) -> Result<(), XmlWriteError> {
    w.start("rim:Name", &[])?;
    w.empty(
        "rim:LocalizedString",
        &[("charset", "UTF8"), ("xml:lang", "FR"), ("value", value)],
    )?;
    w.end()
}

fn classification(
    w: &mut XmlWriter,
    scheme: &str,
    object: &str,
    code: &Code,
) -> Result<(), XmlWriteError> {
    let id = segur_dmp_cda::xds::new_entry_uuid();
    w.start(
        "rim:Classification",
        &[
            ("classificationScheme", scheme),
            ("classifiedObject", object),
            ("id", &id),
            ("nodeRepresentation", &code.code),
        ],
    )?;
    slot(w, "codingScheme", &[&code.code_system])?;
    if let Some(d) = &code.display_name {
        name(w, d)?;
    }
    w.end()
}

fn external_identifier(
    w: &mut XmlWriter,
    scheme: &str,
    object: &str,
    value: &str,
    label: &str,
) -> Result<(), XmlWriteError> {
    let id = segur_dmp_cda::xds::new_entry_uuid();
    w.start(
        "rim:ExternalIdentifier",
        &[
            ("id", &id),
            ("identificationScheme", scheme),
            ("registryObject", object),
            ("value", value),
        ],
    )?;
    name(w, label)?;
    w.end()
}

/// Writes a stored entry as a LeafClass `rim:ExtrinsicObject` (the prefix `rim` must be
/// declared by an ancestor), with the repository's slots (hash, size, repositoryUniqueId) and
/// `VersionInfo` (§6 "Response").
pub fn write_entry(
    w: &mut XmlWriter,
    stored: &StoredEntry,
    repository: &str,
) -> Result<(), XmlWriteError> {
    let e = &stored.entry;
    let id = e.entry_uuid.as_str();
    w.start(
        "rim:ExtrinsicObject",
        &[
            ("id", id),
            ("lid", &stored.lid),
            ("isOpaque", "false"),
            ("mimeType", &e.mime_type),
            ("objectType", uuids::DOC_ENTRY),
            ("status", stored.status.urn()),
        ],
    )?;
    let size = e.size.map(|s| s.to_string());
    let info: Vec<&str> = e
        .source_patient_info
        .iter()
        .map(PatientText::expose)
        .collect();
    let slots: [(&str, Option<&str>); 9] = [
        ("creationTime", e.creation_time.as_deref()),
        ("hash", e.hash.as_deref()),
        ("languageCode", e.language_code.as_deref()),
        ("legalAuthenticator", e.legal_authenticator.as_deref()),
        ("repositoryUniqueId", Some(repository)),
        ("serviceStartTime", e.service_start_time.as_deref()),
        ("serviceStopTime", e.service_stop_time.as_deref()),
        ("size", size.as_deref()),
        (
            "sourcePatientId",
            e.source_patient_id.as_ref().map(XdsPatientId::expose),
        ),
    ];
    for (n, v) in slots {
        if let Some(v) = v {
            slot(w, n, &[v])?;
        }
    }
    if !info.is_empty() {
        slot(w, "sourcePatientInfo", &info)?;
    }
    if let Some(t) = &e.title {
        name(w, t)?;
    }
    w.empty(
        "rim:VersionInfo",
        &[("versionName", &stored.version.to_string())],
    )?;
    for a in &e.authors {
        let cid = segur_dmp_cda::xds::new_entry_uuid();
        w.start(
            "rim:Classification",
            &[
                ("classificationScheme", uuids::DOC_AUTHOR),
                ("classifiedObject", id),
                ("id", &cid),
                ("nodeRepresentation", ""),
            ],
        )?;
        if let Some(p) = &a.person {
            slot(w, "authorPerson", &[p])?;
        }
        for (n, vals) in [
            ("authorInstitution", &a.institution),
            ("authorRole", &a.role),
            ("authorSpecialty", &a.specialty),
        ] {
            if !vals.is_empty() {
                let v: Vec<&str> = vals.iter().map(String::as_str).collect();
                slot(w, n, &v)?;
            }
        }
        w.end()?;
    }
    if let Some(c) = &e.class_code {
        classification(w, uuids::DOC_CLASS, id, c)?;
    }
    for c in &e.confidentiality {
        classification(w, uuids::DOC_CONFIDENTIALITY, id, c)?;
    }
    for c in &e.event_codes {
        classification(w, uuids::DOC_EVENT, id, c)?;
    }
    if let Some(c) = &e.format_code {
        classification(w, uuids::DOC_FORMAT, id, c)?;
    }
    if let Some(c) = &e.healthcare_facility_type {
        classification(w, uuids::DOC_FACILITY, id, c)?;
    }
    if let Some(c) = &e.practice_setting {
        classification(w, uuids::DOC_PRACTICE, id, c)?;
    }
    if let Some(c) = &e.type_code {
        classification(w, uuids::DOC_TYPE, id, c)?;
    }
    // Entries the simulator stores were read with a patientId (the DMP requires it).
    if let Some(patient_id) = &e.patient_id {
        external_identifier(
            w,
            uuids::DOC_PATIENT_ID,
            id,
            patient_id.expose(),
            "XDSDocumentEntry.patientId",
        )?;
    }
    external_identifier(
        w,
        uuids::DOC_UNIQUE_ID,
        id,
        &e.unique_id,
        "XDSDocumentEntry.uniqueId",
    )?;
    w.end()
}
