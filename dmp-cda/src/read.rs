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
use crate::xml::{self, Element, Node, XmlLimits};

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
}

impl fmt::Debug for NonXmlBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonXmlBody")
            .field("media_type", &self.media_type)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("reference", &self.reference)
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
    let root = xml::parse(input, limits)?;
    let root = clinical_document(&root)?;
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

/// The `ClinicalDocument`: the root, or, for an auto-presentable CDA (an XSLT stylesheet
/// embedding the document, CI-SIS "CDA auto-présentable"), the one embedded at depth 2
/// (`xsl:stylesheet/data:Contenu/ClinicalDocument`).
fn clinical_document<'e, 'a>(root: &'e Element<'a>) -> Result<&'e Element<'a>, CdaError> {
    if root.name == "ClinicalDocument" {
        return Ok(root);
    }
    if matches!(root.name, "stylesheet" | "transform")
        && let Some(doc) = root.elements().find_map(|c| c.child("ClinicalDocument"))
    {
        return Ok(doc);
    }
    Err(CdaError::NotCda(root.name.chars().take(64).collect()))
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
    let bytes = if text.attr("representation") == Some("B64") {
        let clean: Vec<u8> = raw.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(&clean)
            .map_err(|e| CdaError::Invalid {
                path: "nonXMLBody/text (B64)",
                reason: e.to_string(),
            })?
    } else {
        raw.trim().as_bytes().to_vec()
    };
    Ok(CdaBody::NonXml(NonXmlBody {
        media_type,
        bytes,
        reference,
    }))
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
