//! TD3.3: ITI-57 updates of a registry entry (`shared/specs/dmp.md` §8): availability status
//! (archive, unarchive, delete; §8.1) and metadata updates (mask / unmask to professionals,
//! visibility to the patient; §8.2).

use chrono::Utc;
use segur_net::xml::{Element, Node, XmlWriter};

use crate::error::{DmpError, RequestError, ResponseError};
use crate::patient::DmpPatient;
use crate::registry::{NS_LCM, NS_RIM, NS_RS, RegistryResponse, read_status};
use crate::response::expect;
use crate::td31::{STATUS_APPROVED, STATUS_ARCHIVED, STATUS_DELETED};

/// TRE_A07 confidentiality code system (`MASQUE_PS`, `INVISIBLE_PATIENT`...).
pub const OID_TRE_A07: &str = "1.2.250.1.213.1.1.4.13";
const SCHEME_CONF: &str = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f";
const ASSOCIATION: &str = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association";
const UPDATE_AVAILABILITY: &str = "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus";
const HAS_MEMBER: &str = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember";

/// Who submits, for the submission set of an update (§5.2 author and ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitter {
    /// authorPerson (XCN), e.g. `810100000001^PHARMACIEN^PAUL^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS`.
    pub author_person: String,
    /// authorInstitution (XON).
    pub author_institution: String,
    /// sourceId: the LPS OID.
    pub source_id: String,
    /// contentTypeCode (code, scheme, display name; JDV_J59).
    pub content_type: (String, String, String),
}

/// An availability-status change (§8.1 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// Approved → Archived (EX TD3.3d).
    Archive,
    /// Archived → Approved (TO VERIFY: no example; FI-526 lists "désarchiver").
    Unarchive,
    /// Approved or Archived → Deleted (EX TD3.3c; CS, DB).
    Delete,
}

impl StatusChange {
    /// `NewStatus`.
    pub fn new_status(self) -> &'static str {
        match self {
            Self::Archive => STATUS_ARCHIVED,
            Self::Unarchive => STATUS_APPROVED,
            Self::Delete => STATUS_DELETED,
        }
    }
}

/// A confidentiality (metadata) change (§8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfidentialityChange {
    /// Add `MASQUE_PS`: hidden from other professionals.
    Mask,
    /// Remove `MASQUE_PS` (TO VERIFY: no example).
    Unmask,
    /// Remove `INVISIBLE_PATIENT`: visible to the patient (TD3.3b).
    MakeVisibleToPatient,
}

fn slot(w: &mut XmlWriter, name: &str, value: &str) -> Result<(), RequestError> {
    w.start("rim:Slot", &[("name", name)])?;
    w.start("rim:ValueList", &[])?;
    w.element("rim:Value", &[], value)?;
    w.end()?;
    w.end()?;
    Ok(())
}

fn localized(w: &mut XmlWriter, value: &str) -> Result<(), RequestError> {
    w.start("rim:Name", &[])?;
    w.empty(
        "rim:LocalizedString",
        &[("charset", "UTF8"), ("value", value), ("xml:lang", "FR")],
    )?;
    w.end()?;
    Ok(())
}

fn submission_set(
    w: &mut XmlWriter,
    submitter: &Submitter,
    patient: &DmpPatient,
) -> Result<(), RequestError> {
    let now = Utc::now().format("%Y%m%d%H%M%S").to_string();
    w.start("rim:RegistryPackage", &[("id", "SubmissionSet01")])?;
    slot(w, "submissionTime", &now)?;
    w.start(
        "rim:Classification",
        &[
            (
                "classificationScheme",
                "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d",
            ),
            ("classifiedObject", "SubmissionSet01"),
            ("id", "cl01"),
            ("nodeRepresentation", ""),
        ],
    )?;
    slot(w, "authorPerson", &submitter.author_person)?;
    slot(w, "authorInstitution", &submitter.author_institution)?;
    w.end()?;
    let (code, scheme, display) = &submitter.content_type;
    w.start(
        "rim:Classification",
        &[
            (
                "classificationScheme",
                "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500",
            ),
            ("classifiedObject", "SubmissionSet01"),
            ("id", "cl02"),
            ("nodeRepresentation", code),
        ],
    )?;
    slot(w, "codingScheme", scheme)?;
    localized(w, display)?;
    w.end()?;
    w.empty(
        "rim:Classification",
        &[
            (
                "classificationNode",
                "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd",
            ),
            ("classifiedObject", "SubmissionSet01"),
            ("id", "cl03"),
        ],
    )?;
    // EX TD3.3 sends the patientId with a CX.7 date (§8.1).
    let unique_id = format!("2.25.{}", uuid::Uuid::new_v4().as_u128());
    for (id, scheme, value, name) in [
        (
            "ei01",
            "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446",
            format!("{}^^{now}", patient.cx()),
            "XDSSubmissionSet.patientId",
        ),
        (
            "ei02",
            "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832",
            submitter.source_id.clone(),
            "XDSSubmissionSet.sourceId",
        ),
        (
            "ei03",
            "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8",
            unique_id,
            "XDSSubmissionSet.uniqueId",
        ),
    ] {
        w.start(
            "rim:ExternalIdentifier",
            &[
                ("id", id),
                ("identificationScheme", scheme),
                ("registryObject", "SubmissionSet01"),
                ("value", &value),
            ],
        )?;
        localized(w, name)?;
        w.end()?;
    }
    w.end()?;
    Ok(())
}

fn start(w: &mut XmlWriter) -> Result<(), RequestError> {
    w.start(
        "lcm:SubmitObjectsRequest",
        &[("xmlns:lcm", NS_LCM), ("xmlns:rim", NS_RIM)],
    )?;
    w.start("rim:RegistryObjectList", &[])?;
    Ok(())
}

fn is_entry_uuid(s: &str) -> bool {
    s.strip_prefix("urn:uuid:")
        .is_some_and(|u| uuid::Uuid::parse_str(u).is_ok())
}

/// Writes an availability-status update of the entry `entry_uuid` from `original_status` (its
/// current status URN, as TD3.1 returned it) (§8.1; EX TD3.3c/d).
pub fn status_update_body(
    submitter: &Submitter,
    patient: &DmpPatient,
    entry_uuid: &str,
    original_status: &str,
    change: StatusChange,
) -> Result<String, RequestError> {
    if !is_entry_uuid(entry_uuid) {
        return Err(RequestError::Invalid("entryUUID (urn:uuid:...)"));
    }
    let mut w = XmlWriter::new();
    start(&mut w)?;
    submission_set(&mut w, submitter, patient)?;
    w.start(
        "rim:Association",
        &[
            ("associationType", UPDATE_AVAILABILITY),
            ("id", "as01"),
            ("objectType", ASSOCIATION),
            ("sourceObject", "SubmissionSet01"),
            ("targetObject", entry_uuid),
        ],
    )?;
    slot(&mut w, "OriginalStatus", original_status)?;
    slot(&mut w, "NewStatus", change.new_status())?;
    w.end()?;
    w.end()?;
    w.end()?;
    Ok(w.finish()?)
}

fn qname(e: &Element<'_>) -> Result<String, RequestError> {
    if e.name.namespace.as_deref() == Some(NS_RIM) {
        Ok(format!("rim:{}", e.name.local))
    } else {
        Err(RequestError::Invalid(
            "registry entry element outside ebRIM",
        ))
    }
}

/// Copies `e` (an ebRIM subtree from a TD3.1 answer) with `classifiedObject` and
/// `registryObject` pointing to `Document01`.
fn copy(w: &mut XmlWriter, e: &Element<'_>) -> Result<(), RequestError> {
    let name = qname(e)?;
    let mut attrs: Vec<(String, String)> = Vec::new();
    for a in &e.attributes {
        let key = match a.name.namespace.as_deref() {
            None => a.name.local.to_string(),
            Some(segur_net::xml::XML_NAMESPACE) => format!("xml:{}", a.name.local),
            Some(_) => continue,
        };
        let value = if matches!(key.as_str(), "classifiedObject" | "registryObject") {
            "Document01".to_owned()
        } else {
            a.value.to_string()
        };
        attrs.push((key, value));
    }
    let refs: Vec<(&str, &str)> = attrs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    w.start(&name, &refs)?;
    for n in &e.children {
        match n {
            Node::Element(c) => copy(w, c)?,
            Node::Text(t) => w.text(t)?,
        }
    }
    w.end()?;
    Ok(())
}

/// Writes a metadata update of `entry` (one `rim:ExtrinsicObject` of a TD3.1 LeafClass
/// answer): a full copy as `Document01` keeping its `lid`, status Approved, with the
/// confidentiality codes changed, and a HasMember association with `PreviousVersion` = the
/// entry's current version (§8.2; CS `template_masquage.xml`).
pub fn metadata_update_body(
    submitter: &Submitter,
    patient: &DmpPatient,
    entry: &Element<'_>,
    change: ConfidentialityChange,
) -> Result<String, RequestError> {
    if !entry.name.is(NS_RIM, "ExtrinsicObject") {
        return Err(RequestError::Invalid("registry entry (ExtrinsicObject)"));
    }
    let lid = entry
        .attribute("lid")
        .or_else(|| entry.attribute("id"))
        .ok_or(RequestError::Invalid("registry entry without lid"))?;
    let version = entry
        .child(NS_RIM, "VersionInfo")
        .and_then(|v| v.attribute("versionName"))
        .ok_or(RequestError::Invalid("registry entry without VersionInfo"))?;
    let mut w = XmlWriter::new();
    start(&mut w)?;
    submission_set(&mut w, submitter, patient)?;
    let mut attrs: Vec<(&str, &str)> = vec![("id", "Document01"), ("lid", lid)];
    for key in ["mimeType", "objectType", "isOpaque"] {
        if let Some(v) = entry.attribute(key) {
            attrs.push((key, v));
        }
    }
    attrs.push(("status", STATUS_APPROVED));
    w.start("rim:ExtrinsicObject", &attrs)?;
    let (drop_code, add_code) = match change {
        ConfidentialityChange::Mask => (None, Some("MASQUE_PS")),
        ConfidentialityChange::Unmask => (Some("MASQUE_PS"), None),
        ConfidentialityChange::MakeVisibleToPatient => (Some("INVISIBLE_PATIENT"), None),
    };
    let is_conf = |c: &Element<'_>| {
        c.name.is(NS_RIM, "Classification")
            && c.attribute("classificationScheme") == Some(SCHEME_CONF)
    };
    let has_code = entry
        .elements()
        .any(|c| is_conf(c) && add_code.is_some() && c.attribute("nodeRepresentation") == add_code);
    let mut pending = add_code.filter(|_| !has_code);
    for c in entry.elements() {
        let code = c.attribute("nodeRepresentation");
        if is_conf(c) && code.is_some() && code == drop_code {
            continue;
        }
        // VersionInfo is the registry's: the new version is assigned by it.
        if c.name.is(NS_RIM, "VersionInfo") {
            continue;
        }
        // ebRIM 3.0 order: the new Classification goes before the ExternalIdentifiers.
        if c.name.is(NS_RIM, "ExternalIdentifier")
            && let Some(code) = pending.take()
        {
            mask_classification(&mut w, code)?;
        }
        copy(&mut w, c)?;
    }
    if let Some(code) = pending {
        mask_classification(&mut w, code)?;
    }
    w.end()?;
    w.start(
        "rim:Association",
        &[
            ("associationType", HAS_MEMBER),
            ("id", "as01"),
            ("objectType", ASSOCIATION),
            ("sourceObject", "SubmissionSet01"),
            ("targetObject", "Document01"),
        ],
    )?;
    slot(&mut w, "SubmissionSetStatus", "Original")?;
    slot(&mut w, "PreviousVersion", version)?;
    w.end()?;
    w.end()?;
    w.end()?;
    Ok(w.finish()?)
}

fn mask_classification(w: &mut XmlWriter, code: &str) -> Result<(), RequestError> {
    w.start(
        "rim:Classification",
        &[
            ("classificationScheme", SCHEME_CONF),
            ("classifiedObject", "Document01"),
            ("id", "clmask"),
            ("nodeRepresentation", code),
        ],
    )?;
    slot(w, "codingScheme", OID_TRE_A07)?;
    localized(w, "Masqué aux professionnels de santé")?;
    w.end()?;
    Ok(())
}

/// Reads the `RegistryResponse` of TD2.1 and TD3.3: Success, or the typed refusal.
pub fn read_response(body: &Element<'_>) -> Result<RegistryResponse, DmpError> {
    let root = expect(body, NS_RS, "RegistryResponse")?;
    read_status(root)?.into_result()
}

/// Finds the `rim:ExtrinsicObject` whose uniqueId is `unique_id` in a TD3.1 answer body.
pub fn find_entry<'e, 'a>(
    body: &'e Element<'a>,
    unique_id: &str,
) -> Result<&'e Element<'a>, DmpError> {
    let root = expect(body, crate::registry::NS_QUERY, "AdhocQueryResponse")?;
    read_status(root)?.into_result()?;
    root.child(NS_RIM, "RegistryObjectList")
        .into_iter()
        .flat_map(|l| l.children_named(NS_RIM, "ExtrinsicObject"))
        .find(|e| {
            e.children_named(NS_RIM, "ExternalIdentifier").any(|x| {
                x.attribute("identificationScheme")
                    == Some("urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab")
                    && x.attribute("value") == Some(unique_id)
            })
        })
        .ok_or(DmpError::Response(ResponseError::Missing {
            what: "registry entry of the uniqueId",
            position: root.position,
        }))
}
