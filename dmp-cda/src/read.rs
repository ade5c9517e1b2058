//! Reader for any HL7 CDA R2 document: a typed header plus the body (structured sections or
//! the decoded `nonXMLBody`).
//!
//! Tolerant of unknown and reordered elements (peers emit many volets and versions), strict on
//! hostile input: the XML layer refuses DTDs and entities and bounds size, depth and node count
//! ([`crate::xml`]).

use std::fmt;

use base64::Engine as _;
use serde::Serialize;

pub use crate::error::CdaError;
pub use crate::model::{
    Author, CdaHeader, Encounter, LegalAuthenticator, Organization, Patient, PersonName,
    RelatedDocument, ServiceEvent,
};
use crate::model::{Code, InstanceId, PatientId, PatientText};
use crate::xml::{self, Element, HL7_V3, Node, XmlLimits};

/// A CDA R2 document read from bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CdaDocument {
    /// The header (everything before `component`).
    pub header: CdaHeader,
    /// The body.
    pub body: CdaBody,
}

/// The CDA body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum CdaBody {
    /// `structuredBody`: the top-level sections.
    Structured {
        /// Sections in document order.
        sections: Vec<Section>,
    },
    /// `nonXMLBody` (CDA R2 N1): the decoded content.
    NonXml(NonXmlBody),
    /// No `component` (header-only reads).
    Absent,
}

/// A structured section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    /// `templateId`s.
    pub template_ids: Vec<InstanceId>,
    /// `code`.
    pub code: Option<Code>,
    /// `title`.
    pub title: Option<String>,
    /// The narrative block (`text`) as plain text: rows, paragraphs and list items on their
    /// own lines. Health data: redacted in `Debug`.
    pub text: PatientText,
    /// Number of `entry` elements.
    pub entries: usize,
    /// Nested sections.
    pub sections: Vec<Section>,
}

/// A decoded `nonXMLBody/text`.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct NonXmlBody {
    /// `@mediaType` (application/pdf...).
    pub media_type: String,
    /// The decoded bytes (base64 decoded when `representation="B64"`).
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// `reference/@value`, when the content is referenced instead of inline.
    pub reference: Option<String>,
    /// Problems of the content that did not stop the read (the header and the content are
    /// still given): a PDF that is not one, base64 without its padding.
    pub findings: Vec<BodyFinding>,
}

/// A problem of a `nonXMLBody` found while reading it: the document stays readable, the
/// caller decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "finding", rename_all = "camelCase")]
#[non_exhaustive]
pub enum BodyFinding {
    /// `mediaType="application/pdf"` but the content does not start with `%PDF-` (ISO
    /// 32000-1 §7.5.2, file header): it is not a PDF.
    NotAPdf,
    /// The base64 lacks its final `=` padding (RFC 4648 §3.2 requires it); the content was
    /// decoded without it.
    Base64PaddingMissing {
        /// The `=` characters missing (1 or 2).
        missing: usize,
    },
}

impl fmt::Debug for NonXmlBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonXmlBody")
            .field("media_type", &self.media_type)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("reference", &self.reference)
            .field("findings", &self.findings)
            .finish()
    }
}

/// Limits for reading a CDA.
pub type ReadLimits = XmlLimits;

/// Reads a whole CDA (header and body) with the default limits.
pub fn read(input: &[u8]) -> Result<CdaDocument, CdaError> {
    read_with(input, &ReadLimits::default())
}

/// Reads a whole CDA with explicit limits.
pub fn read_with(input: &[u8], limits: &ReadLimits) -> Result<CdaDocument, CdaError> {
    let mut root = xml::parse(input, limits)?;
    let root = clinical_document(&mut root)?;
    let header = header(root)?;
    let body = body(root)?;
    Ok(CdaDocument { header, body })
}

/// Reads only the header, in one streaming pass that stops at the body's `component` (no
/// tree is built; fast path for metadata and triage). Same fields and same hostile-input rules
/// as [`read`]: DTD refused, no entity expansion, size/depth/node limits, typed errors.
pub fn read_header(input: &[u8], limits: &ReadLimits) -> Result<CdaHeader, CdaError> {
    crate::header_stream::read_header(input, limits)
}

/// Reads the header as [`read_header`] does and, for a `nonXMLBody` (CDA R2 N1), the
/// `@mediaType` of its `text` (`text/plain` when absent, the CDA R2 ED default), from that
/// start tag alone: the content is neither decoded nor tokenized. `None` for a structured
/// body. What [`crate::xds::DocumentEntry::derive`] needs, at the cost of the header.
pub fn read_header_and_media_type(
    input: &[u8],
    limits: &ReadLimits,
) -> Result<(CdaHeader, Option<String>), CdaError> {
    crate::header_stream::read_header_and_media_type(input, limits)
}

/// The `ClinicalDocument`: the root, or, for an auto-presentable CDA (an XSLT stylesheet
/// embedding the document, CI-SIS "CDA auto-présentable"), the one embedded at depth 2
/// (`xsl:stylesheet/data:Contenu/ClinicalDocument`). It must be in the HL7 v3 namespace
/// ([`CdaError::Namespace`] otherwise); below it, only HL7 v3 elements are kept
/// ([`keep_hl7_v3`]), so a name is never matched on an element of another namespace.
fn clinical_document<'e, 'a>(root: &'e mut Element<'a>) -> Result<&'e Element<'a>, CdaError> {
    let doc = if root.name == "ClinicalDocument" {
        root
    } else if matches!(root.name, "stylesheet" | "transform") {
        let name: String = root.name.chars().take(64).collect();
        root.children
            .iter_mut()
            .filter_map(element_mut)
            .find_map(|c| {
                c.children
                    .iter_mut()
                    .filter_map(element_mut)
                    .find(|e| e.name == "ClinicalDocument")
            })
            .ok_or(CdaError::NotCda(name))?
    } else {
        return Err(CdaError::NotCda(root.name.chars().take(64).collect()));
    };
    if doc.namespace.as_deref() != Some(HL7_V3) {
        return Err(CdaError::namespace(doc.namespace.as_deref()));
    }
    check_non_xml_text(doc)?;
    keep_hl7_v3(doc);
    Ok(doc)
}

fn element_mut<'e, 'a>(n: &'e mut Node<'a>) -> Option<&'e mut Element<'a>> {
    match n {
        Node::Element(e) => Some(e),
        Node::Text(_) => None,
    }
}

/// Removes, below `e`, the elements that are not in the HL7 v3 namespace: extensions of other
/// namespaces (`sdtc:`, `lab:`, `pharm:`, which CDA R2 allows and this reader does not model)
/// and foreign or unqualified elements, which are not the CDA elements their local names
/// spell (CDA R2 schema: every element is in `urn:hl7-org:v3`).
fn keep_hl7_v3(e: &mut Element<'_>) {
    e.children.retain_mut(|n| match n {
        Node::Element(c) if c.namespace.as_deref() == Some(HL7_V3) => {
            keep_hl7_v3(c);
            true
        }
        Node::Element(_) => false,
        Node::Text(_) => true,
    });
}

fn ii(e: &Element<'_>) -> Option<InstanceId> {
    if e.attr("nullFlavor").is_some() && e.attr("root").is_none() {
        return None;
    }
    Some(InstanceId {
        root: e.attr("root")?.to_owned(),
        extension: e.attr("extension").map(str::to_owned),
    })
}

fn cd(e: &Element<'_>) -> Option<Code> {
    Some(Code {
        code: e.attr("code")?.to_owned(),
        code_system: e.attr("codeSystem").unwrap_or_default().to_owned(),
        display_name: e.attr("displayName").map(str::to_owned),
    })
}

fn child_cd(e: &Element<'_>, path: &str) -> Option<Code> {
    e.path(path).and_then(cd)
}

fn child_ii(e: &Element<'_>, path: &str) -> Option<InstanceId> {
    e.path(path).and_then(ii)
}

fn child_attr(e: &Element<'_>, path: &str, attr: &str) -> Option<String> {
    e.path(path).and_then(|c| c.attr(attr)).map(str::to_owned)
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

fn time_low(e: Option<&Element<'_>>) -> (Option<String>, Option<String>) {
    let Some(t) = e else { return (None, None) };
    let low = t
        .attr("value")
        .map(str::to_owned)
        .or_else(|| child_attr(t, "low", "value"));
    (low, child_attr(t, "high", "value"))
}

fn person_name(e: &Element<'_>) -> PersonName {
    let join = |n: &str| {
        let parts: Vec<String> = e
            .all(n)
            .map(|x| x.text())
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            None
        } else {
            Some(parts.join(" "))
        }
    };
    PersonName {
        prefix: join("prefix"),
        family: join("family"),
        given: join("given"),
        suffix: join("suffix"),
    }
}

fn organization(e: &Element<'_>) -> Organization {
    Organization {
        id: e.all("id").find_map(ii),
        name: e.child("name").map(|n| n.text()).and_then(non_empty),
        practice_setting: child_cd(e, "standardIndustryClassCode"),
    }
}

fn header(root: &Element<'_>) -> Result<CdaHeader, CdaError> {
    let id = child_ii(root, "id").ok_or(CdaError::Missing("ClinicalDocument/id"))?;
    let type_code =
        child_cd(root, "code").ok_or(CdaError::Missing("ClinicalDocument/code/@code"))?;
    let version_number = match child_attr(root, "versionNumber", "value") {
        Some(v) => Some(v.trim().parse::<u32>().map_err(|e| CdaError::Invalid {
            path: "ClinicalDocument/versionNumber/@value",
            reason: e.to_string(),
        })?),
        None => None,
    };
    let patient = root
        .path("recordTarget/patientRole")
        .map(patient)
        .unwrap_or_default();
    let authors = root.all("author").map(author).collect();
    let custodian = root
        .path("custodian/assignedCustodian/representedCustodianOrganization")
        .map(organization);
    let legal_authenticator = root
        .child("legalAuthenticator")
        .map(|la| LegalAuthenticator {
            time: child_attr(la, "time", "value"),
            signature_code: child_attr(la, "signatureCode", "code"),
            id: la
                .path("assignedEntity")
                .and_then(|a| a.all("id").find_map(ii)),
            person: la
                .path("assignedEntity/assignedPerson/name")
                .map(person_name),
            organization: la
                .path("assignedEntity/representedOrganization")
                .map(organization),
        });
    let service_events = root
        .all("documentationOf")
        .filter_map(|d| d.child("serviceEvent"))
        .map(|se| {
            let (low, high) = time_low(se.child("effectiveTime"));
            let ent = se.path("performer/assignedEntity");
            ServiceEvent {
                code: child_cd(se, "code"),
                low,
                high,
                performer_id: ent.and_then(|a| a.all("id").find_map(ii)),
                practice_setting: ent
                    .and_then(|a| a.path("representedOrganization/standardIndustryClassCode"))
                    .and_then(cd),
            }
        })
        .collect();
    let encounter = root.path("componentOf/encompassingEncounter").map(|enc| {
        let (low, high) = time_low(enc.child("effectiveTime"));
        Encounter {
            code: child_cd(enc, "code"),
            low,
            high,
            facility_type: child_cd(enc, "location/healthCareFacility/code"),
        }
    });
    let related_documents = root
        .all("relatedDocument")
        .map(|r| {
            let p = r.child("parentDocument");
            Ok(RelatedDocument {
                type_code: r.attr("typeCode").unwrap_or_default().to_owned(),
                parent_id: p.and_then(|p| p.all("id").find_map(ii)),
                parent_set_id: p.and_then(|p| child_ii(p, "setId")),
                parent_version: match p.and_then(|p| child_attr(p, "versionNumber", "value")) {
                    Some(v) => Some(v.trim().parse::<u32>().map_err(|e| CdaError::Invalid {
                        path: "relatedDocument/parentDocument/versionNumber/@value",
                        reason: e.to_string(),
                    })?),
                    None => None,
                },
            })
        })
        .collect::<Result<_, CdaError>>()?;
    Ok(CdaHeader {
        realm: child_attr(root, "realmCode", "code"),
        template_ids: root.all("templateId").filter_map(ii).collect(),
        id,
        type_code,
        title: root.child("title").map(|t| t.text()),
        effective_time: child_attr(root, "effectiveTime", "value"),
        confidentiality: child_cd(root, "confidentialityCode"),
        language_code: child_attr(root, "languageCode", "code"),
        set_id: child_ii(root, "setId"),
        version_number,
        patient,
        authors,
        custodian,
        legal_authenticator,
        service_events,
        encounter,
        related_documents,
    })
}

fn patient(role: &Element<'_>) -> Patient {
    let ids = role
        .all("id")
        .filter_map(|e| {
            Some(PatientId {
                root: e.attr("root")?.to_owned(),
                extension: PatientText::new(e.attr("extension")?),
            })
        })
        .collect();
    let mut p = Patient {
        ids,
        ..Patient::default()
    };
    let Some(pat) = role.child("patient") else {
        return p;
    };
    let pt = |s: String| {
        if s.is_empty() {
            None
        } else {
            Some(PatientText::new(s))
        }
    };
    for name in pat.all("name") {
        for part in name.elements() {
            let q = part.attr("qualifier");
            let slot = match (part.name, q) {
                ("family", Some("BR")) => &mut p.birth_name,
                ("family", None) if p.birth_name.is_none() => &mut p.birth_name,
                ("family", Some("CL")) => &mut p.used_name,
                ("given", Some("BR")) => &mut p.first_given_name,
                ("given", None) if p.given_names.is_none() => &mut p.given_names,
                ("given", Some("CL")) => &mut p.used_given_name,
                _ => continue,
            };
            if slot.is_none() {
                *slot = pt(part.text());
            }
        }
    }
    p.birth_time = pat
        .path("birthTime")
        .and_then(|b| b.attr("value"))
        .map(PatientText::new);
    p.gender = pat
        .path("administrativeGenderCode")
        .and_then(|g| g.attr("code"))
        .map(PatientText::new);
    p.birthplace_cog = pat
        .path("birthplace/place/addr/county")
        .map(|c| c.text())
        .and_then(pt);
    p
}

fn author(a: &Element<'_>) -> Author {
    let aa = a.child("assignedAuthor");
    Author {
        time: child_attr(a, "time", "value"),
        function_code: child_cd(a, "functionCode"),
        id: aa.and_then(|x| x.all("id").find_map(ii)),
        code: aa.and_then(|x| child_cd(x, "code")),
        person: aa
            .and_then(|x| x.path("assignedPerson/name"))
            .map(person_name),
        software: aa
            .and_then(|x| x.path("assignedAuthoringDevice/softwareName"))
            .map(|s| s.text())
            .and_then(non_empty),
        organization: aa
            .and_then(|x| x.child("representedOrganization"))
            .map(organization),
    }
}

fn body(root: &Element<'_>) -> Result<CdaBody, CdaError> {
    let Some(comp) = root.child("component") else {
        return Ok(CdaBody::Absent);
    };
    if let Some(sb) = comp.child("structuredBody") {
        let sections = sb
            .all("component")
            .filter_map(|c| c.child("section"))
            .map(section)
            .collect();
        return Ok(CdaBody::Structured { sections });
    }
    let nx = comp
        .child("nonXMLBody")
        .ok_or(CdaError::Missing("component/structuredBody|nonXMLBody"))?;
    let text = nx
        .child("text")
        .ok_or(CdaError::Missing("nonXMLBody/text"))?;
    let media_type = text.attr("mediaType").unwrap_or("text/plain").to_owned();
    let reference = child_attr(text, "reference", "value");
    let mut raw = String::new();
    for n in &text.children {
        if let Node::Text(t) = n {
            raw.push_str(t);
        }
    }
    let mut findings = Vec::new();
    let bytes = if text.attr("representation") == Some("B64") {
        let clean: Vec<u8> = raw.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let invalid = |e: base64::DecodeError| CdaError::Invalid {
            path: "nonXMLBody/text (B64)",
            reason: e.to_string(),
        };
        match base64::engine::general_purpose::STANDARD.decode(&clean) {
            Ok(bytes) => bytes,
            // RFC 4648 §3.2: the padding is required, but a producer that left it out lost
            // nothing: decode without it and say so, rather than make the document unreadable.
            Err(e @ base64::DecodeError::InvalidPadding) => {
                let data_len = clean.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
                let present = clean.len() - data_len;
                let needed = (4 - data_len % 4) % 4;
                if present >= needed {
                    return Err(invalid(e));
                }
                let bytes = UNPADDED
                    .decode(clean.get(..data_len).unwrap_or_default())
                    .map_err(invalid)?;
                findings.push(BodyFinding::Base64PaddingMissing {
                    missing: needed - present,
                });
                bytes
            }
            Err(e) => return Err(invalid(e)),
        }
    } else {
        raw.trim().as_bytes().to_vec()
    };
    if media_type.eq_ignore_ascii_case("application/pdf")
        && reference.is_none()
        && !bytes.starts_with(b"%PDF-")
    {
        findings.push(BodyFinding::NotAPdf);
    }
    Ok(CdaBody::NonXml(NonXmlBody {
        media_type,
        bytes,
        reference,
        findings,
    }))
}

/// Standard base64 that accepts input without its `=` padding (and refuses anything else
/// the standard engine refuses, trailing bits included).
const UNPADDED: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
);

/// Refuses a `nonXMLBody/text` holding an element other than `reference` and `thumbnail` (CDA
/// R2 `ED`), of any namespace: checked on the document as written, before the elements of
/// other namespaces are set aside, so that nothing can cut the content unseen.
fn check_non_xml_text(doc: &Element<'_>) -> Result<(), CdaError> {
    let Some(text) = doc
        .all("component")
        .filter(|c| c.namespace.as_deref() == Some(HL7_V3))
        .find_map(|c| c.child("nonXMLBody"))
        .and_then(|nx| nx.child("text"))
    else {
        return Ok(());
    };
    for e in text.elements() {
        let allowed =
            e.namespace.as_deref() == Some(HL7_V3) && matches!(e.name, "reference" | "thumbnail");
        if !allowed {
            return Err(CdaError::NonXmlBodyMarkup {
                element: e
                    .name
                    .chars()
                    .take(64)
                    .flat_map(char::escape_default)
                    .collect(),
            });
        }
    }
    Ok(())
}

fn section(s: &Element<'_>) -> Section {
    let mut text = String::new();
    if let Some(t) = s.child("text") {
        narrative(t, &mut text);
    }
    let text = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Section {
        template_ids: s.all("templateId").filter_map(ii).collect(),
        code: child_cd(s, "code"),
        title: s.child("title").map(|t| t.text()),
        text: PatientText::new(text),
        entries: s.all("entry").count(),
        sections: s
            .all("component")
            .filter_map(|c| c.child("section"))
            .map(section)
            .collect(),
    }
}

/// Flattens a CDA narrative block (CDA R2 §4.3.5) into text; block elements end a line and
/// table cells are separated by ` | `.
fn narrative(e: &Element<'_>, out: &mut String) {
    for n in &e.children {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Element(c) => match c.name {
                "br" => out.push('\n'),
                "renderMultiMedia" | "footnoteRef" => {}
                "td" | "th" => {
                    narrative(c, out);
                    out.push_str(" | ");
                }
                "paragraph" | "tr" | "item" | "caption" | "list" | "table" | "thead" | "tbody" => {
                    out.push('\n');
                    narrative(c, out);
                    out.push('\n');
                }
                _ => {
                    narrative(c, out);
                    out.push(' ');
                }
            },
        }
    }
}
