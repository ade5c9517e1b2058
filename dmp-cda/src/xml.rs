//! A small, hostile-input-safe XML tree, shared by the CDA and ebRIM readers, built on the
//! SDK's one hardened tokenizer ([`segur_net::xml::XmlStream`]).
//!
//! Why a tree: the CDA header is read by path (`recordTarget/patientRole/patient/name`), and
//! peers order optional elements differently. Why safe: every rule is the tokenizer's, shared
//! with the SOAP and INSi readers and with the streaming header reader: no DTD, no entity
//! other than the five predefined ones and character references, the input size, the depth,
//! the number of nodes, the attributes per element and the length of attribute values and
//! text bounded ([`XmlLimits`]; common rules: "XML parsing never expands entities or reads
//! DTDs"), namespace declarations checked and element names resolved against those in scope
//! (Namespaces in XML 1.0 §6; [`Element::namespace`]), an undeclared prefix is
//! [`XmlError::UnboundPrefix`]. The tokenizer's typed errors become this crate's
//! [`XmlError`], position kept.

use std::borrow::Cow;

use segur_net::xml::{StartTag, Token, XmlErrorKind, XmlStream};

/// Bounds applied while reading untrusted XML: the one limits type of the SDK
/// ([`segur_net::xml::XmlLimits`]), shared with the SOAP and INSi readers. Both CDA readers
/// apply every field: input size, depth, nodes, attributes per element, attribute value length
/// and text length (text measured without its leading white space, as both readers see it).
pub use segur_net::xml::XmlLimits;

/// The HL7 v3 namespace every element of a CDA R2 document is in (HL7 CDA R2 schema
/// `CDA.xsd`, `targetNamespace="urn:hl7-org:v3"`).
pub const HL7_V3: &str = "urn:hl7-org:v3";

/// Why an XML input was refused. Positions are byte offsets in the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// The input exceeds [`XmlLimits::max_bytes`].
    #[error("input is {size} bytes, above the {limit}-byte limit")]
    TooLarge {
        /// Input size.
        size: usize,
        /// Configured limit.
        limit: usize,
    },
    /// The input is not UTF-8 (CDA R2 documents exchanged in France are UTF-8).
    #[error("input is not UTF-8 (byte {position})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        position: usize,
    },
    /// A `<!DOCTYPE>` was found: DTDs are refused (no external or internal entities).
    #[error("DTD refused at byte {position}")]
    Dtd {
        /// Offset of the declaration.
        position: usize,
    },
    /// An entity other than the predefined ones, or a malformed reference.
    #[error("undeclared or malformed entity reference at byte {position}")]
    Entity {
        /// Offset of the text holding the reference.
        position: usize,
    },
    /// Elements nested deeper than [`XmlLimits::max_depth`].
    #[error("elements nested deeper than {limit} at byte {position}")]
    TooDeep {
        /// Configured limit.
        limit: usize,
        /// Offset where the limit was crossed.
        position: usize,
    },
    /// More nodes than [`XmlLimits::max_nodes`].
    #[error("more than {limit} XML nodes")]
    TooManyNodes {
        /// Configured limit.
        limit: usize,
    },
    /// More attributes on one element than [`XmlLimits::max_attributes`].
    #[error("more than {limit} attributes on the element at byte {position}")]
    TooManyAttributes {
        /// Configured limit.
        limit: usize,
        /// Offset of the element.
        position: usize,
    },
    /// The document is encoded in UTF-16 or UTF-32 (told by its byte order mark or its first
    /// bytes, XML 1.0 appendix F): the CI-SIS documents are UTF-8, and reading the bytes as
    /// UTF-8 would only report "text outside the root element".
    #[error("the document is encoded in {encoding}; only UTF-8 is read")]
    UnsupportedEncoding {
        /// The encoding detected.
        encoding: &'static str,
    },
    /// An attribute value longer than [`XmlLimits::max_attribute_len`].
    #[error("attribute value longer than {limit} bytes at byte {position}")]
    AttributeTooLong {
        /// Configured limit.
        limit: usize,
        /// Offset of the element.
        position: usize,
    },
    /// A text node longer than [`XmlLimits::max_text_len`].
    #[error("text longer than {limit} bytes at byte {position}")]
    TextTooLong {
        /// Configured limit.
        limit: usize,
        /// Offset where the text ends.
        position: usize,
    },
    /// An element prefix without a namespace declaration in scope (Namespaces in XML 1.0 §5,
    /// "Prefix Declared").
    #[error("namespace prefix not declared at byte {position}")]
    UnboundPrefix {
        /// Offset of the element.
        position: usize,
    },
    /// Not well-formed XML.
    #[error("malformed XML at byte {position}: {reason}")]
    Malformed {
        /// Offset reported by the tokenizer.
        position: usize,
        /// What the tokenizer reported.
        reason: String,
    },
    /// No root element.
    #[error("no root element")]
    Empty,
}

/// An element: local name, namespace, attributes by local name, children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element<'a> {
    /// Local name.
    pub name: &'a str,
    /// Namespace URI (Namespaces in XML 1.0 §6.1), `None` when the element is in no namespace.
    /// Lookups ([`Element::child`], [`Element::path`]) compare local names only: the CDA reader
    /// keeps HL7 v3 elements alone before it looks names up.
    pub namespace: Option<Cow<'a, str>>,
    /// Attributes, local name and unescaped value, in document order.
    pub attrs: Vec<(&'a str, Cow<'a, str>)>,
    /// Child nodes in document order.
    pub children: Vec<Node<'a>>,
}

/// A child node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node<'a> {
    /// A child element.
    Element(Element<'a>),
    /// Character data (unescaped; CDATA included).
    Text(Cow<'a, str>),
}

impl<'a> Element<'a> {
    /// Attribute value by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// Child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element<'a>> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Child elements with a given local name.
    pub fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Element<'a>> + 's {
        self.elements().filter(move |e| e.name == name)
    }

    /// First child element with a given local name.
    pub fn child(&self, name: &str) -> Option<&Element<'a>> {
        self.elements().find(|e| e.name == name)
    }

    /// Follows a `/`-separated path of first children.
    pub fn path(&self, path: &str) -> Option<&Element<'a>> {
        path.split('/').try_fold(self, |e, step| e.child(step))
    }

    /// Concatenated character data of this element and its descendants, trimmed.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out.trim().to_owned()
    }

    fn collect_text(&self, out: &mut String) {
        for n in &self.children {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
            }
        }
    }
}

impl From<segur_net::xml::XmlError> for XmlError {
    /// The tokenizer's error in this crate's terms, position kept.
    fn from(e: segur_net::xml::XmlError) -> Self {
        let position = usize::try_from(e.position).unwrap_or(usize::MAX);
        match e.kind {
            XmlErrorKind::TooLarge { size, limit } => Self::TooLarge { size, limit },
            XmlErrorKind::NotUtf8 => Self::NotUtf8 { position },
            XmlErrorKind::UnsupportedEncoding { encoding } => {
                Self::UnsupportedEncoding { encoding }
            }
            XmlErrorKind::Doctype => Self::Dtd { position },
            XmlErrorKind::Entity | XmlErrorKind::CharRef | XmlErrorKind::ForbiddenChar { .. } => {
                Self::Entity { position }
            }
            XmlErrorKind::TooDeep { limit } => Self::TooDeep { limit, position },
            XmlErrorKind::TooManyNodes { limit } => Self::TooManyNodes { limit },
            XmlErrorKind::TooManyAttributes { limit } => {
                Self::TooManyAttributes { limit, position }
            }
            XmlErrorKind::AttributeTooLong { limit } => Self::AttributeTooLong { limit, position },
            XmlErrorKind::TextTooLong { limit } => Self::TextTooLong { limit, position },
            XmlErrorKind::UnboundPrefix => Self::UnboundPrefix { position },
            XmlErrorKind::NoRoot => Self::Empty,
            kind => Self::Malformed {
                position,
                reason: kind.to_string(),
            },
        }
    }
}

impl From<segur_net::xml::XmlError> for crate::error::CdaError {
    fn from(e: segur_net::xml::XmlError) -> Self {
        Self::Xml(e.into())
    }
}

/// Reads a start tag with the exact path: every attribute decoded and checked by the
/// tokenizer ([`XmlStream::read_attributes`]: duplicates, references, UTF-8, the attribute
/// limits, namespace declarations applied) and the element's name resolved.
pub(crate) fn start<'a>(
    stream: &mut XmlStream<'a>,
    tag: &StartTag<'a>,
) -> Result<Element<'a>, XmlError> {
    let name = tag.local_name()?;
    let mut attrs = Vec::new();
    stream.read_attributes(tag, |a| attrs.push((a.local(), a.value)))?;
    let namespace = stream.resolve_element(tag)?;
    Ok(Element {
        name,
        namespace,
        attrs,
        children: Vec::new(),
    })
}

/// Parses a whole document into its root element.
pub fn parse<'a>(input: &'a [u8], limits: &XmlLimits) -> Result<Element<'a>, XmlError> {
    parse_until(input, limits, None)
}

/// Parses, stopping once the root's child named `stop_at` starts (it is not included), e.g. to
/// parse a document's head without tokenizing the rest.
pub fn parse_until<'a>(
    input: &'a [u8],
    limits: &XmlLimits,
    stop_at: Option<&str>,
) -> Result<Element<'a>, XmlError> {
    let mut stream = XmlStream::new(input, *limits)?;
    let mut stack: Vec<Element<'a>> = Vec::new();
    let mut root: Option<Element<'a>> = None;
    loop {
        let done = match stream.next_token()? {
            Token::Start(tag) => {
                let el = start(&mut stream, &tag)?;
                if stack.len() == 1 && stop_at.is_some_and(|n| n == el.name) {
                    return stack.pop().ok_or(XmlError::Empty);
                }
                if !tag.is_empty() {
                    stack.push(el);
                    continue;
                }
                el
            }
            Token::End { position } => stack.pop().ok_or(XmlError::Malformed {
                position: usize::try_from(position).unwrap_or(usize::MAX),
                reason: XmlErrorKind::MismatchedEndTag.to_string(),
            })?,
            Token::Text(t) => {
                // Whitespace-only text is indentation: dropped (the narrative flattener puts
                // its own separators between inline elements).
                if t.is_blank() {
                    continue;
                }
                let text = t.decode()?;
                if !t.is_cdata() && text.trim_ascii().is_empty() {
                    continue;
                }
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(Node::Text(text));
                }
                continue;
            }
            Token::Eof => break,
        };
        match stack.last_mut() {
            Some(parent) => parent.children.push(Node::Element(done)),
            None => root = Some(done),
        }
    }
    root.ok_or(XmlError::Empty)
}

/// Escapes text for element content and attribute values.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_dtd_and_entities() {
        let l = XmlLimits::default();
        let dtd = b"<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"yyyy\">]><a>&x;</a>";
        assert!(matches!(parse(dtd, &l), Err(XmlError::Dtd { .. })));
        assert!(matches!(
            parse(b"<a>&x;</a>", &l),
            Err(XmlError::Entity { .. })
        ));
        assert!(matches!(
            parse(b"<a b=\"&x;\"/>", &l),
            Err(XmlError::Entity { .. })
        ));
        let ok = parse(b"<a b=\"&lt;&#65;\">&amp;&#x42;</a>", &l).unwrap();
        assert_eq!(ok.attr("b"), Some("<A"));
        assert_eq!(ok.text(), "&B");
    }

    #[test]
    fn bounds_size_depth_nodes() {
        let l = XmlLimits {
            max_bytes: 10,
            ..XmlLimits::default()
        };
        assert!(matches!(
            parse(b"<a>0123456789</a>", &l),
            Err(XmlError::TooLarge { .. })
        ));
        let l = XmlLimits {
            max_depth: 3,
            ..XmlLimits::default()
        };
        // An empty element is nested like any other (the tokenizer's one depth rule).
        assert!(parse(b"<a><b><c/></b></a>", &l).is_ok());
        assert!(matches!(
            parse(b"<a><b><c><d/></c></b></a>", &l),
            Err(XmlError::TooDeep { .. })
        ));
        assert!(matches!(
            parse(b"<a><b><c><d></d></c></b></a>", &l),
            Err(XmlError::TooDeep { .. })
        ));
        let l = XmlLimits {
            max_nodes: 3,
            ..XmlLimits::default()
        };
        assert!(matches!(
            parse(b"<a><b/><b/><b/></a>", &l),
            Err(XmlError::TooManyNodes { .. })
        ));
    }

    #[test]
    fn malformed_inputs_are_typed() {
        let l = XmlLimits::default();
        assert!(matches!(
            parse(b"<a><b></a>", &l),
            Err(XmlError::Malformed { .. })
        ));
        assert!(matches!(parse(b"<a>", &l), Err(XmlError::Malformed { .. })));
        assert!(matches!(parse(b"", &l), Err(XmlError::Empty)));
        assert!(matches!(
            parse(b"<a/><b/>", &l),
            Err(XmlError::Malformed { .. })
        ));
        assert!(parse(b"\xff<a/>", &l).is_err());
        for bad in [
            &b"<a>\xff</a>"[..],
            b"<a b=\"\xff\"/>",
            b"<\xff/>",
            b"<a \xff=\"1\"/>",
        ] {
            let r = parse(bad, &l);
            assert!(matches!(r, Err(XmlError::NotUtf8 { .. })), "{bad:?}: {r:?}");
        }
    }

    #[test]
    fn namespaces_are_dropped_and_stop_works() {
        let l = XmlLimits::default();
        let x = b"<h:ClinicalDocument xmlns:h=\"urn:hl7-org:v3\"><h:id root=\"1\"/><h:component><x/></h:component></h:ClinicalDocument>";
        let r = parse(x, &l).unwrap();
        assert_eq!(r.name, "ClinicalDocument");
        assert!(r.child("component").is_some());
        let h = parse_until(x, &l, Some("component")).unwrap();
        assert_eq!(h.path("id").and_then(|e| e.attr("root")), Some("1"));
        assert!(h.child("component").is_none());
    }
}
