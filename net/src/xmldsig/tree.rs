//! The document model canonicalisation and signatures work on: an arena of elements, text,
//! comments and processing instructions, with every namespace declaration as written, attribute
//! values normalised (XML 1.0 §3.3.3) and line ends normalised (XML 1.0 §2.11), and the byte
//! range of each element in the input (to place a signature).
//!
//! The input is first read completely by the hardened [`crate::xml::XmlReader`] (no
//! DTD, no entities, limits, namespaces checked), so the second pass here only ever sees a
//! well-formed, namespace-valid document within the limits.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::xml::{XML_NAMESPACE, XmlError, XmlErrorKind, XmlLimits, XmlReader};

/// Index of a node in a [`Document`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) usize);

/// An attribute as the canonical form needs it.
#[derive(Debug, Clone)]
pub(crate) struct Attr<'a> {
    pub(crate) qname: &'a str,
    pub(crate) prefix: Option<&'a str>,
    pub(crate) local: &'a str,
    /// Namespace URI (`None`: no namespace).
    pub(crate) namespace: Option<Cow<'a, str>>,
    /// Normalised value (XML 1.0 §3.3.3 for CDATA attributes, references decoded).
    pub(crate) value: Cow<'a, str>,
}

/// An element.
#[derive(Debug, Clone)]
pub(crate) struct Elem<'a> {
    pub(crate) qname: &'a str,
    pub(crate) prefix: Option<&'a str>,
    pub(crate) local: &'a str,
    pub(crate) namespace: Option<Cow<'a, str>>,
    /// Namespace declarations on this element: (prefix, "" for the default; URI).
    pub(crate) decls: Vec<(&'a str, Cow<'a, str>)>,
    pub(crate) attrs: Vec<Attr<'a>>,
    pub(crate) children: Vec<NodeId>,
    pub(crate) parent: Option<NodeId>,
    /// Byte offset of `<` of the start tag in the input.
    pub(crate) start: usize,
    /// Byte offset just past the start tag's `>`.
    pub(crate) content_start: usize,
    /// Byte offset just past the end tag's `>` (past `/>` for an empty element).
    pub(crate) end: usize,
    /// Byte offset of the `<` of the end tag; `None` for an empty element written `<a/>`.
    pub(crate) end_tag: Option<usize>,
}

/// A node of the document.
#[derive(Debug, Clone)]
pub(crate) enum NodeData<'a> {
    Element(Elem<'a>),
    Text(Cow<'a, str>),
    Comment(Cow<'a, str>),
    Pi { target: &'a str, data: Cow<'a, str> },
}

/// A parsed document ready for canonicalisation and signature work. Build it with
/// [`Document::parse`]; it borrows the input.
#[derive(Clone)]
pub struct Document<'a> {
    pub(crate) nodes: Vec<NodeData<'a>>,
    /// Children of the document node (comments and PIs around the root, and the root).
    pub(crate) top: Vec<NodeId>,
    pub(crate) root: NodeId,
    /// Bytes skipped before the text (a byte order mark).
    pub(crate) base: usize,
}

impl std::fmt::Debug for Document<'_> {
    // Never prints document content (it may carry patient data).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("nodes", &self.nodes.len())
            .finish_non_exhaustive()
    }
}

/// XML 1.0 §2.11: CR LF and lone CR become LF.
fn normalize_eol(s: &str) -> Cow<'_, str> {
    if !s.contains('\r') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
}

fn unescape<'a>(raw: Cow<'a, str>, position: usize) -> Result<Cow<'a, str>, XmlError> {
    let err = || XmlError::new(XmlErrorKind::Entity, position as u64);
    match raw {
        Cow::Borrowed(b) => quick_xml::escape::unescape(b).map_err(|_| err()),
        Cow::Owned(o) => Ok(Cow::Owned(
            quick_xml::escape::unescape(&o)
                .map_err(|_| err())?
                .into_owned(),
        )),
    }
}

/// XML 1.0 §3.3.3 for an attribute without a declaration (CDATA): line ends normalised, then
/// each literal whitespace character becomes a space, then references decoded.
fn attribute_value(raw: &str, position: usize) -> Result<Cow<'_, str>, XmlError> {
    let eol = normalize_eol(raw);
    let spaced = if eol.contains(['\t', '\n']) {
        Cow::Owned(eol.replace(['\t', '\n'], " "))
    } else {
        eol
    };
    unescape(spaced, position)
}

fn malformed(position: usize) -> XmlError {
    XmlError::new(XmlErrorKind::Malformed, position as u64)
}

struct Builder<'a> {
    src: &'a str,
    nodes: Vec<NodeData<'a>>,
    top: Vec<NodeId>,
    stack: Vec<NodeId>,
    /// Bindings in scope: (prefix, URI), popped with their element.
    scope: Vec<(&'a str, Cow<'a, str>)>,
    scope_marks: Vec<usize>,
    root: Option<NodeId>,
}

impl<'a> Builder<'a> {
    fn str_of(&self, part: &[u8], position: usize) -> Result<&'a str, XmlError> {
        let src: &'a str = self.src;
        let start = (part.as_ptr() as usize)
            .checked_sub(src.as_ptr() as usize)
            .ok_or_else(|| malformed(position))?;
        src.get(start..start + part.len())
            .ok_or_else(|| malformed(position))
    }

    fn lookup(&self, prefix: &str) -> Option<&Cow<'a, str>> {
        if prefix == "xml" {
            return None;
        }
        self.scope
            .iter()
            .rev()
            .find(|(p, _)| *p == prefix)
            .map(|(_, u)| u)
    }

    fn push(&mut self, data: NodeData<'a>) -> NodeId {
        let id = NodeId(self.nodes.len());
        self.nodes.push(data);
        match self.stack.last() {
            Some(parent) => {
                if let Some(NodeData::Element(e)) = self.nodes.get_mut(parent.0) {
                    e.children.push(id);
                }
            }
            None => self.top.push(id),
        }
        id
    }

    fn split(qname: &'a str) -> (Option<&'a str>, &'a str) {
        match qname.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, qname),
        }
    }

    fn start(&mut self, s: &BytesStart<'_>, position: usize, after: usize) -> Result<(), XmlError> {
        let qname = self.str_of(s.name().into_inner(), position)?;
        let mark = self.scope.len();
        let mut decls = Vec::new();
        let mut raw_attrs = Vec::new();
        for a in s.attributes().with_checks(false) {
            let a = a.map_err(|_| malformed(position))?;
            let key = self.str_of(a.key.as_ref(), position)?;
            let raw = match &a.value {
                Cow::Borrowed(b) => self.str_of(b, position)?,
                Cow::Owned(_) => return Err(malformed(position)),
            };
            let value = attribute_value(raw, position)?;
            if key == "xmlns" {
                decls.push(("", value));
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                decls.push((p, value));
            } else {
                raw_attrs.push((key, value));
            }
        }
        for (p, u) in &decls {
            self.scope.push((p, u.clone()));
        }
        self.scope_marks.push(mark);
        let (prefix, local) = Self::split(qname);
        let namespace = match prefix {
            Some("xml") => Some(Cow::Borrowed(XML_NAMESPACE)),
            Some(p) => Some(
                self.lookup(p)
                    .cloned()
                    .ok_or_else(|| XmlError::new(XmlErrorKind::UnboundPrefix, position as u64))?,
            ),
            None => self.lookup("").filter(|u| !u.is_empty()).cloned(),
        };
        let mut attrs = Vec::with_capacity(raw_attrs.len());
        for (key, value) in raw_attrs {
            let (prefix, local) = Self::split(key);
            let namespace =
                match prefix {
                    Some("xml") => Some(Cow::Borrowed(XML_NAMESPACE)),
                    Some(p) => Some(self.lookup(p).cloned().ok_or_else(|| {
                        XmlError::new(XmlErrorKind::UnboundPrefix, position as u64)
                    })?),
                    None => None,
                };
            attrs.push(Attr {
                qname: key,
                prefix,
                local,
                namespace,
                value,
            });
        }
        let parent = self.stack.last().copied();
        let id = self.push(NodeData::Element(Elem {
            qname,
            prefix,
            local,
            namespace,
            decls,
            attrs,
            children: Vec::new(),
            parent,
            start: position,
            content_start: after,
            end: after,
            end_tag: None,
        }));
        if self.root.is_none() {
            self.root = Some(id);
        }
        self.stack.push(id);
        Ok(())
    }

    fn end(&mut self, position: usize, after: usize) {
        if let Some(id) = self.stack.pop()
            && let Some(NodeData::Element(e)) = self.nodes.get_mut(id.0)
        {
            e.end = after;
            e.end_tag = (position != after).then_some(position);
        }
        if let Some(mark) = self.scope_marks.pop() {
            self.scope.truncate(mark);
        }
    }
}

impl<'a> Document<'a> {
    /// Reads `input` with the hardened reader under `limits` (no DTD, no entities, namespaces
    /// checked, UTF-8 only), then builds the model. Errors carry the kind and byte position.
    pub fn parse(input: &'a [u8], limits: XmlLimits) -> Result<Self, XmlError> {
        XmlReader::new(input, limits)?.check()?;
        let (body, base) = match input.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (rest, 3usize),
            None => (input, 0),
        };
        let src = std::str::from_utf8(body)
            .map_err(|e| XmlError::new(XmlErrorKind::NotUtf8, (base + e.valid_up_to()) as u64))?;
        let mut reader = Reader::from_str(src);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = true;
        config.trim_text(false);
        let mut b = Builder {
            src,
            nodes: Vec::new(),
            top: Vec::new(),
            stack: Vec::new(),
            scope: Vec::new(),
            scope_marks: Vec::new(),
            root: None,
        };
        loop {
            let position = reader.buffer_position() as usize;
            let ev = reader
                .read_event()
                .map_err(|_| malformed(base + position))?;
            let after = reader.buffer_position() as usize;
            match ev {
                Event::Start(s) => b.start(&s, position, after)?,
                Event::Empty(s) => {
                    b.start(&s, position, after)?;
                    b.end(after, after);
                }
                Event::End(_) => b.end(position, after),
                Event::Text(t) => {
                    if b.stack.is_empty() {
                        continue;
                    }
                    let raw = b.str_of(&t, position)?;
                    let text = unescape(normalize_eol(raw), base + position)?;
                    b.push(NodeData::Text(text));
                }
                Event::CData(c) => {
                    let raw = b.str_of(&c, position)?;
                    b.push(NodeData::Text(normalize_eol(raw)));
                }
                Event::Comment(c) => {
                    let raw = b.str_of(&c, position)?;
                    b.push(NodeData::Comment(normalize_eol(raw)));
                }
                Event::PI(p) => {
                    let raw = b.str_of(&p, position)?;
                    let (target, data) = match raw.find(|c: char| c.is_ascii_whitespace()) {
                        Some(i) => (
                            raw.get(..i).unwrap_or(raw),
                            raw.get(i..)
                                .unwrap_or("")
                                .trim_start_matches([' ', '\t', '\r', '\n']),
                        ),
                        None => (raw, ""),
                    };
                    b.push(NodeData::Pi {
                        target,
                        data: normalize_eol(data),
                    });
                }
                Event::Decl(_) => {}
                Event::DocType(_) => {
                    return Err(XmlError::new(
                        XmlErrorKind::Doctype,
                        (base + position) as u64,
                    ));
                }
                Event::Eof => break,
            }
        }
        let root = b
            .root
            .ok_or_else(|| XmlError::new(XmlErrorKind::NoRoot, (base + src.len()) as u64))?;
        Ok(Self {
            nodes: b.nodes,
            top: b.top,
            root,
            base,
        })
    }

    /// The root element.
    pub fn root(&self) -> NodeId {
        self.root
    }

    pub(crate) fn elem(&self, id: NodeId) -> Option<&Elem<'a>> {
        match self.nodes.get(id.0) {
            Some(NodeData::Element(e)) => Some(e),
            _ => None,
        }
    }

    /// Whether `id` is the element `{namespace}local`.
    pub fn is(&self, id: NodeId, namespace: &str, local: &str) -> bool {
        self.elem(id)
            .is_some_and(|e| e.local == local && e.namespace.as_deref() == Some(namespace))
    }

    /// The child elements of `id`, in document order.
    pub fn child_elements(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.elem(id)
            .map(|e| e.children.as_slice())
            .unwrap_or(&[])
            .iter()
            .copied()
            .filter(|c| matches!(self.nodes.get(c.0), Some(NodeData::Element(_))))
    }

    /// The first child element of `id` named `{namespace}local`.
    pub fn child(&self, id: NodeId, namespace: &str, local: &str) -> Option<NodeId> {
        self.child_elements(id)
            .find(|c| self.is(*c, namespace, local))
    }

    /// The parent element of `id` (`None` for the root).
    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.elem(id).and_then(|e| e.parent)
    }

    /// The value of the unprefixed attribute `local` of element `id`.
    pub fn attribute(&self, id: NodeId, local: &str) -> Option<&str> {
        self.elem(id)?
            .attrs
            .iter()
            .find(|a| a.namespace.is_none() && a.local == local)
            .map(|a| a.value.as_ref())
    }

    /// The concatenated text children of element `id` (no descendants' text).
    pub fn text(&self, id: NodeId) -> String {
        let mut out = String::new();
        if let Some(e) = self.elem(id) {
            for c in &e.children {
                if let Some(NodeData::Text(t)) = self.nodes.get(c.0) {
                    out.push_str(t);
                }
            }
        }
        out
    }

    /// Element by path of `(namespace, local)` names from the root (the root's own name
    /// first); the first match at each step.
    pub fn find_path(&self, path: &[(&str, &str)]) -> Option<NodeId> {
        let (first, rest) = path.split_first()?;
        if !self.is(self.root, first.0, first.1) {
            return None;
        }
        let mut at = self.root;
        for (ns, local) in rest {
            at = self.child(at, ns, local)?;
        }
        Some(at)
    }

    /// Every element whose `ID`, `Id` or `id` attribute (no namespace) equals `id`, in
    /// document order. XML-DSig same-document references (`URI="#id"`, XML-DSig 1.1 §4.4.3.3)
    /// resolve through this; more than one match is ambiguous and refused by the callers.
    pub fn elements_by_id(&self, id: &str) -> Vec<NodeId> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match n {
                NodeData::Element(e)
                    if e.attrs.iter().any(|a| {
                        a.namespace.is_none()
                            && matches!(a.local, "ID" | "Id" | "id")
                            && a.value == id
                    }) =>
                {
                    Some(NodeId(i))
                }
                _ => None,
            })
            .collect()
    }

    /// Byte offset (in the input given to [`Document::parse`]) just past the end tag of `id`.
    pub(crate) fn end_offset(&self, id: NodeId) -> Option<usize> {
        self.elem(id).map(|e| self.base + e.end)
    }

    /// Byte offset just past the start tag of `id`; `None` for an empty element written
    /// `<a/>`, which has no place for content without rewriting its tag.
    pub(crate) fn content_offset(&self, id: NodeId) -> Option<usize> {
        self.elem(id)
            .filter(|e| e.end_tag.is_some())
            .map(|e| self.base + e.content_start)
    }

    /// Byte offset of the `<` of the start tag of `id`.
    pub(crate) fn start_offset(&self, id: NodeId) -> Option<usize> {
        self.elem(id).map(|e| self.base + e.start)
    }

    /// Byte offset of the `<` of the end tag of `id` (equal to the end for an empty element
    /// written `<a/>`, where content cannot be inserted without rewriting the tag).
    pub(crate) fn end_tag_offset(&self, id: NodeId) -> Option<usize> {
        self.elem(id)?.end_tag.map(|t| self.base + t)
    }
}
