//! A small, hostile-input-safe XML tree over `quick-xml`, shared by the CDA and ebRIM readers.
//!
//! Why a tree: the CDA header is read by path (`recordTarget/patientRole/patient/name`), and
//! peers order optional elements differently. Why safe: the parser never reads a DTD, never
//! expands an entity other than the five predefined ones and character references, and bounds
//! the input size, the depth, the number of nodes, the attributes per element and the length
//! of attribute values and text ([`XmlLimits`], the SDK's one limits type from
//! `segur_net::xml`; common rules: "XML parsing never expands entities or reads DTDs").
//! Element names are resolved against the namespace declarations in scope (Namespaces in XML
//! 1.0 §6; [`Element::namespace`]), an undeclared prefix is [`XmlError::UnboundPrefix`].

use std::borrow::Cow;
use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

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

/// The node count of one parse against [`XmlLimits::max_nodes`]: the one place both readers
/// (the tree reader and the streaming header extractor) charge every element and text node.
pub(crate) struct NodeBudget {
    used: usize,
    limit: usize,
}

impl NodeBudget {
    /// A budget of `limit` nodes.
    pub(crate) fn new(limit: usize) -> Self {
        Self { used: 0, limit }
    }

    /// Counts one node; [`XmlError::TooManyNodes`] past the limit.
    #[inline]
    pub(crate) fn charge(&mut self) -> Result<(), XmlError> {
        self.used += 1;
        if self.used > self.limit {
            return Err(XmlError::TooManyNodes { limit: self.limit });
        }
        Ok(())
    }
}

pub(crate) fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(i) => name.get(i + 1..).unwrap_or_default(),
        None => name,
    }
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

pub(crate) fn malformed(pos: u64, e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed {
        position: usize::try_from(pos).unwrap_or(usize::MAX),
        reason: e.to_string(),
    }
}

/// Classifies a decoding error: bad UTF-8, or an entity/escape problem.
pub(crate) fn value_error(e: &quick_xml::Error, position: usize) -> XmlError {
    match e {
        quick_xml::Error::Encoding(_) => XmlError::NotUtf8 { position },
        _ => XmlError::Entity { position },
    }
}

pub(crate) fn position(reader: &Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
}

/// The namespace declarations in scope (Namespaces in XML 1.0 §6.1): the default namespace
/// and each prefix map to the stack of their bindings, and the prefixes the open elements
/// declared are kept in one list, so that resolving a name is one lookup (never a scan of the
/// declarations: linear on hostile inputs) and an end tag undoes exactly what its start tag
/// declared.
pub(crate) struct NsScope<'a> {
    /// Bindings of the default namespace; `None` is `xmlns=""` (no namespace, §6.2).
    default: Vec<Option<Cow<'a, str>>>,
    prefixed: HashMap<&'a [u8], Vec<Cow<'a, str>>>,
    /// Prefix of each declaration in document order (`b""` for the default namespace).
    declared: Vec<&'a [u8]>,
}

impl<'a> NsScope<'a> {
    pub(crate) fn new() -> Self {
        Self {
            default: Vec::new(),
            prefixed: HashMap::new(),
            declared: Vec::new(),
        }
    }

    /// The mark to give [`NsScope::pop_to`] when the element about to declare ends.
    #[inline]
    pub(crate) fn mark(&self) -> usize {
        self.declared.len()
    }

    /// Applies the declaration `xmlns` (`prefix` empty) or `xmlns:prefix`.
    pub(crate) fn declare(&mut self, prefix: &'a [u8], uri: Cow<'a, str>) {
        if prefix.is_empty() {
            self.default.push((!uri.is_empty()).then_some(uri));
        } else {
            self.prefixed.entry(prefix).or_default().push(uri);
        }
        self.declared.push(prefix);
    }

    /// Undoes the declarations made since `mark`.
    pub(crate) fn pop_to(&mut self, mark: usize) {
        while self.declared.len() > mark {
            match self.declared.pop() {
                Some([]) => {
                    self.default.pop();
                }
                Some(prefix) => {
                    if let Some(stack) = self.prefixed.get_mut(prefix) {
                        stack.pop();
                    }
                }
                None => break,
            }
        }
    }

    /// The namespace of the element named `qname` (`None`: no namespace); `Err` for a prefix
    /// without a declaration in scope.
    #[inline]
    pub(crate) fn resolve(&self, qname: &[u8]) -> Result<Option<Cow<'a, str>>, ()> {
        match qname.iter().position(|&b| b == b':') {
            None => Ok(self.default.last().cloned().flatten()),
            Some(i) => {
                let prefix = qname.get(..i).unwrap_or_default();
                if prefix == b"xml" {
                    return Ok(Some(Cow::Borrowed(XML_NAMESPACE)));
                }
                match self.prefixed.get(prefix).and_then(|s| s.last()) {
                    Some(uri) => Ok(Some(uri.clone())),
                    None => Err(()),
                }
            }
        }
    }
}

/// The namespace bound to the `xml` prefix (Namespaces in XML 1.0 §3).
const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// The prefix a namespace declaration declares: `Some(b"")` for `xmlns`, `Some(p)` for
/// `xmlns:p`, `None` for any other attribute.
#[inline]
pub(crate) fn declared_prefix(key: &[u8]) -> Option<&[u8]> {
    match key.strip_prefix(b"xmlns") {
        Some([]) => Some(&[]),
        Some([b':', prefix @ ..]) => Some(prefix),
        _ => None,
    }
}

/// Reads a start tag with the exact path: every attribute decoded and checked (duplicates,
/// references, UTF-8, [`XmlLimits::max_attributes`], [`XmlLimits::max_attribute_len`]), its
/// namespace declarations applied to `scope` (the caller undoes them at the end tag with the
/// mark it took before) and its name resolved.
pub(crate) fn start<'a>(
    s: &BytesStart<'a>,
    src: &'a [u8],
    reader: &Reader<&'a [u8]>,
    limits: &XmlLimits,
    scope: &mut NsScope<'a>,
) -> Result<Element<'a>, XmlError> {
    let pos = position(reader);
    let name = as_str(src, local_span(s))?;
    let mut attrs = Vec::new();
    for (n, a) in s.attributes().with_checks(true).enumerate() {
        attribute_budget(n, limits.max_attributes, pos)?;
        let a = a.map_err(|e| malformed(pos as u64, e))?;
        if a.value.len() > limits.max_attribute_len {
            return Err(XmlError::AttributeTooLong {
                limit: limits.max_attribute_len,
                position: pos,
            });
        }
        let key = a.key.as_ref();
        let value = match a.unescape_value().map_err(|e| value_error(&e, pos))? {
            Cow::Borrowed(v) => match borrow_bytes(src, v.as_bytes()) {
                // Already UTF-8-checked by the tokenizer's decoder: the same bytes.
                Some(b) => std::str::from_utf8(b)
                    .map(Cow::Borrowed)
                    .unwrap_or_else(|_| Cow::Owned(v.to_owned())),
                None => Cow::Owned(v.to_owned()),
            },
            Cow::Owned(v) => Cow::Owned(v),
        };
        if let Some(prefix) = declared_prefix(key) {
            // The default namespace's empty prefix is a constant, not a slice of the input.
            let prefix: &'a [u8] = if prefix.is_empty() {
                &[]
            } else {
                borrow_bytes(src, prefix)
                    .ok_or_else(|| malformed(pos as u64, "attribute name outside input"))?
            };
            scope.declare(prefix, value);
            continue;
        }
        let key = as_str(src, local(key))?;
        attrs.push((key, value));
    }
    let namespace = scope
        .resolve(s.name().into_inner())
        .map_err(|()| XmlError::UnboundPrefix { position: pos })?;
    Ok(Element {
        name,
        namespace,
        attrs,
        children: Vec::new(),
    })
}

/// Refuses a text node or CDATA section `raw` (as written) longer than
/// [`XmlLimits::max_text_len`] without its leading white space (the part both readers keep:
/// the header reader's tokenizer skips it). The raw length is compared first, so the usual
/// short text costs one comparison.
#[inline]
pub(crate) fn text_budget(raw: &[u8], limits: &XmlLimits, position: usize) -> Result<(), XmlError> {
    if raw.len() > limits.max_text_len && raw.trim_ascii_start().len() > limits.max_text_len {
        return Err(XmlError::TextTooLong {
            limit: limits.max_text_len,
            position,
        });
    }
    Ok(())
}

/// Refuses the attribute of index `n` (0-based) of the element at `position` past `limit`,
/// before the tokenizer compares it with the ones before it.
#[inline]
pub(crate) fn attribute_budget(n: usize, limit: usize, position: usize) -> Result<(), XmlError> {
    if n >= limit {
        return Err(XmlError::TooManyAttributes { limit, position });
    }
    Ok(())
}

/// The checks both readers make before tokenizing: the size limit, an encoding other than UTF-8
/// (XML 1.0 appendix F: byte order marks and the first bytes of `<?xml`), and the UTF-8 byte
/// order mark removed. UTF-8 itself is checked slice by slice as the tokenizer decodes names,
/// values and text, so a header read never validates the body.
pub(crate) fn open<'a>(input: &'a [u8], limits: &XmlLimits) -> Result<&'a [u8], XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            size: input.len(),
            limit: limits.max_bytes,
        });
    }
    let encoding = match input {
        [0, 0, 0xFE, 0xFF, ..] | [0, 0, 0, b'<', ..] => Some("UTF-32BE"),
        [0xFF, 0xFE, 0, 0, ..] | [b'<', 0, 0, 0, ..] => Some("UTF-32LE"),
        [0xFE, 0xFF, ..] | [0, b'<', ..] => Some("UTF-16BE"),
        [0xFF, 0xFE, ..] | [b'<', 0, ..] => Some("UTF-16LE"),
        _ => None,
    };
    if let Some(encoding) = encoding {
        return Err(XmlError::UnsupportedEncoding { encoding });
    }
    Ok(input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input))
}

/// Returns the local-name slice of a start tag (borrowed from the input).
pub(crate) fn local_span<'x>(s: &'x BytesStart<'_>) -> &'x [u8] {
    local(s.name().into_inner())
}

pub(crate) fn as_str<'a>(src: &'a [u8], bytes: &[u8]) -> Result<&'a str, XmlError> {
    let inside =
        borrow_bytes(src, bytes).ok_or_else(|| malformed(0, "element name outside input"))?;
    std::str::from_utf8(inside).map_err(|_| XmlError::NotUtf8 {
        position: offset(src, bytes),
    })
}

fn offset(src: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).saturating_sub(src.as_ptr() as usize)
}

/// Re-borrows `part` with the lifetime of `src` when it points inside it (zero-copy: the
/// borrowed tokenizer hands out slices of the input). `None` when it does not.
fn borrow_bytes<'a>(src: &'a [u8], part: &[u8]) -> Option<&'a [u8]> {
    let base = src.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    if p >= base && p + part.len() <= base + src.len() {
        let off = p - base;
        src.get(off..off + part.len())
    } else {
        None
    }
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
    let src = open(input, limits)?;
    let mut reader = Reader::from_reader(src);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element<'a>> = Vec::new();
    // The namespace mark of each open element (parallel to `stack`).
    let mut marks: Vec<usize> = Vec::new();
    let mut scope = NsScope::new();
    let mut nodes = NodeBudget::new(limits.max_nodes);
    let mut root: Option<Element<'a>> = None;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| malformed(reader.buffer_position(), e))?;
        match ev {
            Event::DocType(_) => {
                return Err(XmlError::Dtd {
                    position: position(&reader),
                });
            }
            Event::Start(s) | Event::Empty(s) if root.is_some() => {
                let _ = s;
                return Err(malformed(
                    reader.buffer_position(),
                    "content after the root element",
                ));
            }
            Event::Start(s) => {
                nodes.charge()?;
                if stack.len() >= limits.max_depth {
                    return Err(XmlError::TooDeep {
                        limit: limits.max_depth,
                        position: position(&reader),
                    });
                }
                let mark = scope.mark();
                let el = start(&s, src, &reader, limits, &mut scope)?;
                if stack.len() == 1 && stop_at.is_some_and(|n| n == el.name) {
                    return stack.pop().ok_or(XmlError::Empty);
                }
                stack.push(el);
                marks.push(mark);
            }
            Event::Empty(s) => {
                nodes.charge()?;
                let mark = scope.mark();
                let el = start(&s, src, &reader, limits, &mut scope)?;
                scope.pop_to(mark);
                if stack.len() == 1 && stop_at.is_some_and(|n| n == el.name) {
                    return stack.pop().ok_or(XmlError::Empty);
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| malformed(reader.buffer_position(), "unbalanced end tag"))?;
                if let Some(mark) = marks.pop() {
                    scope.pop_to(mark);
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(parent) = stack.last_mut() {
                    let pos = position(&reader);
                    text_budget(&t, limits, pos)?;
                    let text = t.unescape().map_err(|e| value_error(&e, pos))?;
                    // Whitespace-only text is indentation: dropped (the narrative flattener puts
                    // its own separators between inline elements).
                    if !text.trim_ascii().is_empty() {
                        nodes.charge()?;
                        parent.children.push(Node::Text(text));
                    }
                } else if !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(malformed(
                        reader.buffer_position(),
                        "text outside the root element",
                    ));
                }
            }
            Event::CData(c) => {
                if let Some(parent) = stack.last_mut() {
                    text_budget(&c, limits, position(&reader))?;
                    let text = std::str::from_utf8(c.into_inner().as_ref())
                        .map(str::to_owned)
                        .map_err(|_| XmlError::NotUtf8 {
                            position: position(&reader),
                        })?;
                    nodes.charge()?;
                    parent.children.push(Node::Text(Cow::Owned(text)));
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(malformed(
            reader.buffer_position(),
            "unexpected end of input",
        ));
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
        assert!(parse(b"<a><b><c><d/></c></b></a>", &l).is_ok());
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
