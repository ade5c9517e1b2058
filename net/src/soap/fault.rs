//! Typed SOAP faults of both versions.

use super::SoapVersion;
use crate::xml::{Element, Node};

/// The fault code class. SOAP 1.1 `Client` / `Server` are reported as [`FaultCode::Sender`] /
/// [`FaultCode::Receiver`], their SOAP 1.2 names (SOAP 1.2 Part 1 §5.4.6 and Appendix
/// "Changes": "renamed Client and Server to Sender and Receiver").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultCode {
    /// The envelope namespace was not understood.
    VersionMismatch,
    /// A `mustUnderstand` header was not understood.
    MustUnderstand,
    /// A data encoding was not supported (SOAP 1.2).
    DataEncodingUnknown,
    /// The message was wrong (SOAP 1.1 `Client`).
    Sender,
    /// The receiver failed (SOAP 1.1 `Server`).
    Receiver,
    /// Any other code, as its local name.
    Other(String),
}

impl FaultCode {
    fn from_local(local: &str) -> Self {
        match local {
            "VersionMismatch" => Self::VersionMismatch,
            "MustUnderstand" => Self::MustUnderstand,
            "DataEncodingUnknown" => Self::DataEncodingUnknown,
            "Sender" | "Client" => Self::Sender,
            "Receiver" | "Server" => Self::Receiver,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The SOAP 1.2 local name of the code.
    pub fn as_str(&self) -> &str {
        match self {
            Self::VersionMismatch => "VersionMismatch",
            Self::MustUnderstand => "MustUnderstand",
            Self::DataEncodingUnknown => "DataEncodingUnknown",
            Self::Sender => "Sender",
            Self::Receiver => "Receiver",
            Self::Other(s) => s,
        }
    }

    fn soap11_name(&self) -> &str {
        match self {
            Self::Sender => "Client",
            Self::Receiver => "Server",
            other => other.as_str(),
        }
    }
}

/// One child of the fault detail (`Detail` in 1.2, `detail` in 1.1): its name, attributes and
/// text, e.g. INSi's `siram:Erreur code="insi_102" severite="fatale"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailEntry {
    /// Namespace URI.
    pub namespace: Option<String>,
    /// Local name.
    pub local: String,
    /// Attributes by local name and value.
    pub attributes: Vec<(String, String)>,
    /// Trimmed text of the element and its descendants.
    pub text: String,
}

impl DetailEntry {
    /// Value of the attribute with this local name.
    pub fn attribute(&self, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == local)
            .map(|(_, v)| v.as_str())
    }
}

/// A SOAP fault (SOAP 1.2 Part 1 §5.4; SOAP 1.1 §4.4). Its `Display` shows the codes only, not
/// the server's reason text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SOAP fault {}{}", .code.as_str(), subcodes_display(.subcodes))]
pub struct SoapFault {
    /// Version of the envelope that carried it.
    pub version: SoapVersion,
    /// The code class (`Code/Value`, `faultcode`).
    pub code: FaultCode,
    /// Subcode values, outermost first, as local names (`Subcode/Value` in 1.2; the dotted
    /// suffixes of a 1.1 `faultcode` such as `Client.Authentication`).
    pub subcodes: Vec<String>,
    /// The first reason text (`Reason/Text` in 1.2, `faultstring` in 1.1).
    pub reason: String,
    /// `xml:lang` of that reason text (SOAP 1.2).
    pub reason_lang: Option<String>,
    /// `Node` (1.2) or `faultactor` (1.1).
    pub node: Option<String>,
    /// `Role` (1.2).
    pub role: Option<String>,
    /// The children of the detail element.
    pub detail: Vec<DetailEntry>,
}

fn subcodes_display(s: &[String]) -> String {
    s.iter().map(|c| format!(" / {c}")).collect()
}

/// The local part of a QName written as text (`soap:Sender` → `Sender`).
fn local_of(qname: &str) -> &str {
    qname.rsplit(':').next().unwrap_or(qname)
}

fn deep_text(e: &Element<'_>) -> String {
    let mut out = String::new();
    let mut todo: Vec<&Node<'_>> = e.children.iter().rev().collect();
    while let Some(n) = todo.pop() {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Element(c) => todo.extend(c.children.iter().rev()),
        }
    }
    out.trim_matches([' ', '\t', '\n', '\r']).to_owned()
}

fn detail_of(detail: Option<&Element<'_>>) -> Vec<DetailEntry> {
    detail
        .map(|d| {
            d.elements()
                .map(|e| DetailEntry {
                    namespace: e.name.namespace.as_deref().map(str::to_owned),
                    local: e.name.local.to_owned(),
                    attributes: e
                        .attributes
                        .iter()
                        .map(|a| (a.name.local.to_owned(), a.value.clone().into_owned()))
                        .collect(),
                    text: deep_text(e),
                })
                .collect()
        })
        .unwrap_or_default()
}

impl SoapFault {
    /// A fault to send: code, reason (`xml:lang="en"` in 1.2), no subcodes, no detail.
    pub fn new(version: SoapVersion, code: FaultCode, reason: impl Into<String>) -> Self {
        Self {
            version,
            code,
            subcodes: Vec::new(),
            reason: reason.into(),
            reason_lang: Some("en".to_owned()),
            node: None,
            role: None,
            detail: Vec::new(),
        }
    }

    /// Reads a `Fault` element of an envelope of `version`.
    pub(crate) fn from_element(version: SoapVersion, fault: &Element<'_>) -> Self {
        match version {
            SoapVersion::Soap12 => Self::from_soap12(fault),
            SoapVersion::Soap11 => Self::from_soap11(fault),
        }
    }

    fn from_soap12(fault: &Element<'_>) -> Self {
        let ns = super::SOAP12_NS;
        let code_el = fault.child(ns, "Code");
        let code = code_el
            .and_then(|c| c.child(ns, "Value"))
            .map(|v| FaultCode::from_local(local_of(&v.text())))
            .unwrap_or(FaultCode::Other(String::new()));
        let mut subcodes = Vec::new();
        let mut cur = code_el.and_then(|c| c.child(ns, "Subcode"));
        // Bounded by the reader's depth limit.
        while let Some(sub) = cur {
            if let Some(v) = sub.child(ns, "Value") {
                subcodes.push(local_of(&v.text()).to_owned());
            }
            cur = sub.child(ns, "Subcode");
        }
        let text = fault.child(ns, "Reason").and_then(|r| r.child(ns, "Text"));
        Self {
            version: super::SoapVersion::Soap12,
            code,
            subcodes,
            reason: text.map(Element::text).unwrap_or_default(),
            reason_lang: text
                .and_then(|t| t.attribute_ns(crate::xml::XML_NAMESPACE, "lang"))
                .map(str::to_owned),
            node: fault.child(ns, "Node").map(Element::text),
            role: fault.child(ns, "Role").map(Element::text),
            detail: detail_of(fault.child(ns, "Detail")),
        }
    }

    fn from_soap11(fault: &Element<'_>) -> Self {
        // SOAP 1.1 §4.4: the fault's children are unqualified.
        let child = |local: &str| fault.elements().find(|e| e.name.is_unqualified(local));
        let raw = child("faultcode").map(Element::text).unwrap_or_default();
        let mut parts = local_of(&raw).split('.');
        let code = FaultCode::from_local(parts.next().unwrap_or_default());
        Self {
            version: SoapVersion::Soap11,
            code,
            subcodes: parts.map(str::to_owned).collect(),
            reason: child("faultstring").map(Element::text).unwrap_or_default(),
            reason_lang: None,
            node: child("faultactor").map(Element::text),
            role: None,
            detail: detail_of(child("detail")),
        }
    }

    /// The most specific code: the innermost subcode, else the code.
    pub fn most_specific_code(&self) -> &str {
        self.subcodes
            .last()
            .map(String::as_str)
            .unwrap_or_else(|| self.code.as_str())
    }

    /// Writes the `Fault` element (the envelope prefix is `soap`, bound by the envelope).
    pub(crate) fn write(
        &self,
        w: &mut crate::xml::XmlWriter,
    ) -> Result<(), crate::xml::XmlWriteError> {
        match self.version {
            SoapVersion::Soap12 => {
                w.start("soap:Fault", &[])?;
                w.start("soap:Code", &[])?;
                w.element("soap:Value", &[], &format!("soap:{}", self.code.as_str()))?;
                // Subcode values are QNames: a plain name is a QName in no namespace.
                for s in &self.subcodes {
                    w.start("soap:Subcode", &[])?;
                    w.element("soap:Value", &[], s)?;
                }
                for _ in &self.subcodes {
                    w.end()?;
                }
                w.end()?;
                w.start("soap:Reason", &[])?;
                let lang = self.reason_lang.as_deref().unwrap_or("en");
                w.element("soap:Text", &[("xml:lang", lang)], &self.reason)?;
                w.end()?;
                if let Some(n) = &self.node {
                    w.element("soap:Node", &[], n)?;
                }
                if let Some(r) = &self.role {
                    w.element("soap:Role", &[], r)?;
                }
                w.end()
            }
            SoapVersion::Soap11 => {
                w.start("soap:Fault", &[])?;
                let mut code = format!("soap:{}", self.code.soap11_name());
                for s in &self.subcodes {
                    code.push('.');
                    code.push_str(s);
                }
                w.element("faultcode", &[], &code)?;
                w.element("faultstring", &[], &self.reason)?;
                if let Some(n) = &self.node {
                    w.element("faultactor", &[], n)?;
                }
                w.end()
            }
        }
    }
}
