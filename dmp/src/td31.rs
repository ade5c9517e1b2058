//! TD3.1 search: ITI-18 `AdhocQueryRequest` FindDocuments / GetDocuments and the LeafClass
//! `AdhocQueryResponse` (`shared/specs/dmp.md` §6).

use segur_net::xml::{Element, XmlWriter};

use crate::error::{DmpError, RequestError, ResponseError};
use crate::patient::DmpPatient;
use crate::registry::{NS_QUERY, NS_RIM, read_status};
use crate::response::expect;
use crate::view::DocumentView;

/// FindDocuments stored query (IPF `QueryType.java`).
pub const FIND_DOCUMENTS: &str = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d";
/// GetDocuments stored query.
pub const GET_DOCUMENTS: &str = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4";
/// Status URNs.
pub const STATUS_APPROVED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";
/// Deprecated (replaced) status.
pub const STATUS_DEPRECATED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated";
/// Archived status (DMP extension, EX TD3.3d).
pub const STATUS_ARCHIVED: &str = "urn:asip:ci-sis:2010:StatusType:Archived";
/// Deleted status (DMP extension, EX TD3.3c).
pub const STATUS_DELETED: &str = "urn:asip:ci-sis:2010:StatusType:Deleted";

const SCHEME_TYPE: &str = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983";
const SCHEME_CLASS: &str = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a";
const SCHEME_FORMAT: &str = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d";
const SCHEME_CONF: &str = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f";
const SCHEME_UNIQUE_ID: &str = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";

/// Which statuses a search returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Approved only (the default; IG: the first automatic search is Approved only).
    #[default]
    Approved,
    /// Deprecated (replaced) only.
    Deprecated,
    /// Approved, Deprecated and Archived.
    All,
}

impl StatusFilter {
    fn urns(self) -> &'static [&'static str] {
        match self {
            Self::Approved => &[STATUS_APPROVED],
            Self::Deprecated => &[STATUS_DEPRECATED],
            Self::All => &[STATUS_APPROVED, STATUS_DEPRECATED, STATUS_ARCHIVED],
        }
    }
}

/// A coded value of a query (`code^^scheme`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryCode {
    /// The code.
    pub code: String,
    /// Its coding scheme OID.
    pub scheme: String,
}

/// A FindDocuments query (ITI-18 parameters seen with the DMP, §6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindDocuments {
    /// Statuses.
    pub status: StatusFilter,
    /// `$XDSDocumentEntryTypeCode`.
    pub type_codes: Vec<QueryCode>,
    /// `$XDSDocumentEntryClassCode`.
    pub class_codes: Vec<QueryCode>,
    /// `$XDSDocumentEntryConfidentialityCode`.
    pub confidentiality_codes: Vec<QueryCode>,
    /// `$XDSDocumentEntryCreationTimeFrom` (UTC `YYYYMMDD[hhmmss]`).
    pub creation_from: Option<String>,
    /// `$XDSDocumentEntryCreationTimeTo`.
    pub creation_to: Option<String>,
    /// `$XDSDocumentEntryServiceStartTimeFrom`.
    pub service_start_from: Option<String>,
    /// `$XDSDocumentEntryServiceStartTimeTo`.
    pub service_start_to: Option<String>,
}

fn is_dtm(s: &str) -> bool {
    matches!(s.len(), 4 | 6 | 8 | 10 | 12 | 14) && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
}

/// A single-quoted ITI-18 string value (quotes doubled, ebRS 3.0 §6.3 string literals).
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn slot(w: &mut XmlWriter, name: &str, value: &str) -> Result<(), RequestError> {
    w.start("Slot", &[("name", name)])?;
    w.start("ValueList", &[])?;
    w.element("Value", &[], value)?;
    w.end()?;
    w.end()?;
    Ok(())
}

fn list(values: impl Iterator<Item = String>) -> String {
    format!("({})", values.collect::<Vec<_>>().join(","))
}

fn codes(c: &[QueryCode], what: &'static str) -> Result<Option<String>, RequestError> {
    if c.is_empty() {
        return Ok(None);
    }
    for q in c {
        if !is_code(&q.code) || !is_code(&q.scheme) {
            return Err(RequestError::Invalid(what));
        }
    }
    Ok(Some(list(
        c.iter()
            .map(|q| quoted(&format!("{}^^{}", q.code, q.scheme))),
    )))
}

fn start(w: &mut XmlWriter, query: &str, return_type: &str) -> Result<(), RequestError> {
    w.start(
        "query:AdhocQueryRequest",
        &[("xmlns:query", NS_QUERY), ("xmlns", NS_RIM)],
    )?;
    w.empty(
        "query:ResponseOption",
        &[
            ("returnComposedObjects", "true"),
            ("returnType", return_type),
        ],
    )?;
    w.start("AdhocQuery", &[("id", query)])?;
    Ok(())
}

impl FindDocuments {
    /// Writes the `AdhocQueryRequest` for `patient` (patient id without CX.7 date, §11.1).
    pub fn request_body(&self, patient: &DmpPatient) -> Result<String, RequestError> {
        let mut w = XmlWriter::new();
        start(&mut w, FIND_DOCUMENTS, "LeafClass")?;
        slot(&mut w, "$XDSDocumentEntryPatientId", &quoted(&patient.cx()))?;
        slot(
            &mut w,
            "$XDSDocumentEntryStatus",
            &list(self.status.urns().iter().map(|u| quoted(u))),
        )?;
        for (name, c, what) in [
            (
                "$XDSDocumentEntryClassCode",
                &self.class_codes,
                "class code",
            ),
            ("$XDSDocumentEntryTypeCode", &self.type_codes, "type code"),
            (
                "$XDSDocumentEntryConfidentialityCode",
                &self.confidentiality_codes,
                "confidentiality code",
            ),
        ] {
            if let Some(v) = codes(c, what)? {
                slot(&mut w, name, &v)?;
            }
        }
        for (name, t) in [
            ("$XDSDocumentEntryCreationTimeFrom", &self.creation_from),
            ("$XDSDocumentEntryCreationTimeTo", &self.creation_to),
            (
                "$XDSDocumentEntryServiceStartTimeFrom",
                &self.service_start_from,
            ),
            (
                "$XDSDocumentEntryServiceStartTimeTo",
                &self.service_start_to,
            ),
        ] {
            if let Some(t) = t {
                if !is_dtm(t) {
                    return Err(RequestError::Invalid("query time (UTC YYYYMMDD[hhmmss])"));
                }
                slot(&mut w, name, t)?;
            }
        }
        w.end()?;
        w.end()?;
        Ok(w.finish()?)
    }
}

/// Writes a GetDocuments query by uniqueId (`$XDSDocumentEntryUniqueId`, DB), LeafClass: used to
/// find the entry of a uniqueId before a retry, a retrieve or an update.
pub fn get_documents_body(unique_ids: &[&str]) -> Result<String, RequestError> {
    if unique_ids.is_empty()
        || unique_ids
            .iter()
            .any(|u| !is_code(u) || u.starts_with("urn:"))
    {
        return Err(RequestError::Invalid("document uniqueId (an OID)"));
    }
    let mut w = XmlWriter::new();
    start(&mut w, GET_DOCUMENTS, "LeafClass")?;
    slot(
        &mut w,
        "$XDSDocumentEntryUniqueId",
        &list(unique_ids.iter().map(|u| quoted(u))),
    )?;
    w.end()?;
    w.end()?;
    Ok(w.finish()?)
}

fn slot1(e: &Element<'_>, name: &str) -> Option<String> {
    e.children_named(NS_RIM, "Slot")
        .find(|s| s.attribute("name") == Some(name))
        .and_then(|s| s.child(NS_RIM, "ValueList"))
        .and_then(|v| v.child(NS_RIM, "Value"))
        .map(Element::text)
}

fn classification<'e, 'a>(
    e: &'e Element<'a>,
    scheme: &'e str,
) -> impl Iterator<Item = String> + 'e {
    e.children_named(NS_RIM, "Classification")
        .filter(move |c| c.attribute("classificationScheme") == Some(scheme))
        .filter_map(|c| c.attribute("nodeRepresentation").map(str::to_owned))
}

/// The short name of a status URN (`approved`...), or the URN itself.
pub fn status_name(urn: &str) -> String {
    match urn {
        STATUS_APPROVED => "approved",
        STATUS_DEPRECATED => "deprecated",
        STATUS_ARCHIVED => "archived",
        STATUS_DELETED => "deleted",
        other => other,
    }
    .to_owned()
}

/// Reads one `rim:ExtrinsicObject` into its view.
pub fn read_entry(e: &Element<'_>) -> Result<DocumentView, ResponseError> {
    let missing = |what| ResponseError::Missing {
        what,
        position: e.position,
    };
    let entry_uuid = e.attribute("id").ok_or(missing("ExtrinsicObject@id"))?;
    let unique_id = e
        .children_named(NS_RIM, "ExternalIdentifier")
        .find(|x| x.attribute("identificationScheme") == Some(SCHEME_UNIQUE_ID))
        .and_then(|x| x.attribute("value"))
        .ok_or(missing("XDSDocumentEntry.uniqueId"))?;
    let size = match slot1(e, "size") {
        Some(s) => Some(s.parse::<u64>().map_err(|_| ResponseError::Invalid {
            what: "size slot",
            position: e.position,
        })?),
        None => None,
    };
    Ok(DocumentView {
        unique_id: unique_id.to_owned(),
        entry_uuid: entry_uuid.to_owned(),
        logical_id: e.attribute("lid").map(str::to_owned),
        version: e
            .child(NS_RIM, "VersionInfo")
            .and_then(|v| v.attribute("versionName"))
            .map(str::to_owned),
        status: status_name(
            e.attribute("status")
                .ok_or(missing("ExtrinsicObject@status"))?,
        ),
        type_code: classification(e, SCHEME_TYPE).next(),
        class_code: classification(e, SCHEME_CLASS).next(),
        format_code: classification(e, SCHEME_FORMAT).next(),
        confidentiality: classification(e, SCHEME_CONF).collect(),
        title: e
            .child(NS_RIM, "Name")
            .and_then(|n| n.child(NS_RIM, "LocalizedString"))
            .and_then(|l| l.attribute("value"))
            .map(str::to_owned),
        mime_type: e.attribute("mimeType").map(str::to_owned),
        hash: slot1(e, "hash"),
        size,
        creation_time: slot1(e, "creationTime"),
        service_start_time: slot1(e, "serviceStartTime"),
        repository_unique_id: slot1(e, "repositoryUniqueId"),
    })
}

/// Reads an `AdhocQueryResponse` (LeafClass): a Failure or PartialSuccess is
/// [`DmpError::Registry`]; the entries otherwise, in document order.
pub fn read_response(body: &Element<'_>) -> Result<Vec<DocumentView>, DmpError> {
    let root = expect(body, NS_QUERY, "AdhocQueryResponse")?;
    read_status(root)?.into_result()?;
    let Some(list) = root.child(NS_RIM, "RegistryObjectList") else {
        return Ok(Vec::new());
    };
    list.children_named(NS_RIM, "ExtrinsicObject")
        .map(|e| read_entry(e).map_err(DmpError::from))
        .collect()
}
