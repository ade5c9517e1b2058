//! The streaming reader: `quick-xml` tokens turned into events with resolved names, every limit
//! charged in [`Budget::charge`].

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use quick_xml::Reader;
use quick_xml::errors::{Error as QxError, IllFormedError, SyntaxError};
use quick_xml::escape::EscapeError;
use quick_xml::events::{BytesStart, Event};

use super::{XML_NAMESPACE, XMLNS_NAMESPACE, XmlError, XmlErrorKind, XmlLimits, first_forbidden};

/// A namespace-resolved name (Namespaces in XML 1.0 §4, "expanded name").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name<'a> {
    /// Namespace URI, `None` when the name is in no namespace.
    pub namespace: Option<Cow<'a, str>>,
    /// Local part.
    pub local: &'a str,
    /// The prefix as written, if any (kept for diagnostics and re-serialisation only; compare
    /// names by [`Name::is`]).
    pub prefix: Option<&'a str>,
}

impl Name<'_> {
    /// Whether this is `{namespace}local`.
    pub fn is(&self, namespace: &str, local: &str) -> bool {
        self.local == local && self.namespace.as_deref() == Some(namespace)
    }

    /// Whether this is `local` in no namespace.
    pub fn is_unqualified(&self, local: &str) -> bool {
        self.local == local && self.namespace.is_none()
    }
}

/// An attribute with its resolved name and decoded value. Namespace declarations (`xmlns`,
/// `xmlns:p`) are applied by the reader and not reported as attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// Resolved name: an unprefixed attribute is in no namespace (Namespaces in XML 1.0 §6.2).
    pub name: Name<'a>,
    /// Value, references decoded.
    pub value: Cow<'a, str>,
    /// Byte offset of the attribute name in the input.
    pub position: u64,
}

/// One event of the streaming reader. Empty elements (`<a/>`) give a `Start` then an `End`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlEvent<'a> {
    /// A start tag.
    Start {
        /// Resolved element name.
        name: Name<'a>,
        /// Attributes in document order, namespace declarations excluded.
        attributes: Vec<Attribute<'a>>,
        /// Byte offset of the `<`.
        position: u64,
    },
    /// An end tag (or the end of an empty element).
    End {
        /// Resolved element name.
        name: Name<'a>,
        /// Byte offset of the `<` of the end tag (of the start tag for an empty element).
        position: u64,
    },
    /// Character data inside the root element, references decoded; CDATA sections included.
    /// Whitespace outside the root is not reported.
    Text {
        /// The text.
        text: Cow<'a, str>,
        /// Byte offset of the text.
        position: u64,
    },
}

/// What one token costs against the [`XmlLimits`].
enum Charge {
    /// A start tag at this depth (root = 1).
    Element { depth: usize },
    /// The `count`-th attribute of an element, with its raw value length.
    Attribute { count: usize, value_len: usize },
    /// A text node or CDATA section of this raw length.
    Text { len: usize },
    /// A comment or processing instruction.
    Other,
}

/// The one place where the limits are checked.
struct Budget {
    limits: XmlLimits,
    nodes: usize,
}

impl Budget {
    fn charge(&mut self, charge: Charge, position: u64) -> Result<(), XmlError> {
        let l = &self.limits;
        let kind = match charge {
            Charge::Element { depth } if depth > l.max_depth => {
                Some(XmlErrorKind::TooDeep { limit: l.max_depth })
            }
            Charge::Attribute { count, .. } if count > l.max_attributes => {
                Some(XmlErrorKind::TooManyAttributes {
                    limit: l.max_attributes,
                })
            }
            Charge::Attribute { value_len, .. } if value_len > l.max_attribute_len => {
                Some(XmlErrorKind::AttributeTooLong {
                    limit: l.max_attribute_len,
                })
            }
            Charge::Text { len } if len > l.max_text_len => Some(XmlErrorKind::TextTooLong {
                limit: l.max_text_len,
            }),
            _ => None,
        };
        if let Some(kind) = kind {
            return Err(XmlError::new(kind, position));
        }
        if !matches!(charge, Charge::Attribute { .. }) {
            self.nodes += 1;
            if self.nodes > l.max_nodes {
                return Err(XmlError::new(
                    XmlErrorKind::TooManyNodes { limit: l.max_nodes },
                    position,
                ));
            }
        }
        Ok(())
    }
}

/// Up to this many entries, a backward scan is cheaper than hashing; beyond it the hash set or
/// map takes over, so hostile inputs stay linear (at most this many comparisons per lookup).
const LINEAR_LIMIT: usize = 16;

/// An open element.
struct Frame<'a> {
    name: Name<'a>,
    /// Index in `XmlReader::declared` of the first prefix this element declared.
    declared_from: usize,
}

/// The streaming hardened reader: an iterator of [`XmlEvent`]s. After the first error it yields
/// nothing more. The document is complete and well-formed once the iterator has ended without
/// an error.
pub struct XmlReader<'a> {
    src: &'a str,
    /// Bytes skipped before `src` (a UTF-8 byte order mark).
    base: u64,
    reader: Reader<&'a [u8]>,
    budget: Budget,
    stack: Vec<Frame<'a>>,
    /// Prefix ("" for the default namespace) → stack of bound URIs ("" = no namespace).
    bindings: HashMap<&'a str, Vec<Cow<'a, str>>>,
    /// Declarations of the open elements, in order (popped with their element). While short,
    /// lookups scan it backwards; beyond [`LINEAR_LIMIT`] entries they use `bindings`.
    declared: Vec<(&'a str, Cow<'a, str>)>,
    /// Attribute names of the current element (a linear check while few).
    keys: Vec<&'a str>,
    /// The same names as a set once there are more than [`LINEAR_LIMIT`].
    seen_keys: HashSet<&'a str>,
    seen_root: bool,
    done: bool,
}

impl std::fmt::Debug for XmlReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XmlReader")
            .field("depth", &self.stack.len())
            .field("nodes", &self.budget.nodes)
            .finish_non_exhaustive()
    }
}

impl<'a> XmlReader<'a> {
    /// Prepares reading `input`: checks the size and UTF-8 (a leading byte order mark is
    /// skipped) and refuses characters XML 1.0 §2.2 forbids anywhere in the input.
    pub fn new(input: &'a [u8], limits: XmlLimits) -> Result<Self, XmlError> {
        if input.len() > limits.max_bytes {
            return Err(XmlError::new(
                XmlErrorKind::TooLarge {
                    size: input.len(),
                    limit: limits.max_bytes,
                },
                u64::try_from(limits.max_bytes).unwrap_or(u64::MAX),
            ));
        }
        let (body, base) = match input.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (rest, 3u64),
            None => (input, 0),
        };
        let src = std::str::from_utf8(body)
            .map_err(|e| XmlError::new(XmlErrorKind::NotUtf8, base + e.valid_up_to() as u64))?;
        if let Some((at, code_point)) = first_forbidden(src) {
            return Err(XmlError::new(
                XmlErrorKind::ForbiddenChar { code_point },
                base + at as u64,
            ));
        }
        let mut reader = Reader::from_str(src);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = true;
        config.check_comments = true;
        config.trim_text(false);
        let mut bindings = HashMap::new();
        bindings.insert("xml", vec![Cow::Borrowed(XML_NAMESPACE)]);
        Ok(Self {
            src,
            base,
            reader,
            budget: Budget { limits, nodes: 0 },
            stack: Vec::new(),
            bindings,
            declared: Vec::new(),
            keys: Vec::new(),
            seen_keys: HashSet::new(),
            seen_root: false,
            done: false,
        })
    }

    /// Current element depth (0 outside the root).
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    /// Reads to the end of the document, checking it completely.
    pub fn check(mut self) -> Result<(), XmlError> {
        for ev in &mut self {
            ev?;
        }
        Ok(())
    }

    fn err(&self, kind: XmlErrorKind, position: u64) -> XmlError {
        let _ = self;
        XmlError::new(kind, position)
    }

    /// Offset of `part` in the input when it is a slice of it.
    fn offset_of(&self, part: &[u8]) -> Option<u64> {
        let base = self.src.as_ptr() as usize;
        let p = part.as_ptr() as usize;
        if p >= base && p + part.len() <= base + self.src.len() {
            Some(self.base + (p - base) as u64)
        } else {
            None
        }
    }

    /// Re-borrows `part` (a slice of the input handed out by the tokenizer) with the input's
    /// lifetime, so names and values are zero-copy.
    fn reborrow(&self, part: &[u8]) -> Option<&'a str> {
        let src: &'a str = self.src;
        let start = (part.as_ptr() as usize).checked_sub(src.as_ptr() as usize)?;
        src.get(start..start.checked_add(part.len())?)
    }

    fn cow(&self, value: Cow<'_, str>) -> Cow<'a, str> {
        match value {
            Cow::Borrowed(b) => match self.reborrow(b.as_bytes()) {
                Some(s) => Cow::Borrowed(s),
                None => Cow::Owned(b.to_owned()),
            },
            Cow::Owned(o) => Cow::Owned(o),
        }
    }

    /// Maps a tokenizer error to a kind; `position` is where the token started.
    fn map_tokenizer(&self, e: &QxError) -> XmlError {
        let position = self.base + self.reader.error_position();
        let kind = match e {
            QxError::Syntax(
                SyntaxError::UnclosedTag
                | SyntaxError::UnclosedComment
                | SyntaxError::UnclosedCData
                | SyntaxError::UnclosedDoctype
                | SyntaxError::UnclosedPIOrXmlDecl,
            ) => XmlErrorKind::Truncated,
            QxError::IllFormed(
                IllFormedError::MismatchedEndTag { .. } | IllFormedError::UnmatchedEndTag(_),
            ) => XmlErrorKind::MismatchedEndTag,
            QxError::IllFormed(IllFormedError::MissingEndTag(_)) => XmlErrorKind::Truncated,
            QxError::IllFormed(IllFormedError::MissingDoctypeName) => XmlErrorKind::Doctype,
            QxError::Encoding(_) => XmlErrorKind::NotUtf8,
            _ => XmlErrorKind::Malformed,
        };
        XmlError::new(kind, position)
    }

    /// Maps a reference-decoding error in a value that starts at `position`.
    fn map_escape(&self, e: &QxError, position: u64) -> XmlError {
        let (kind, at) = match e {
            // The range names the entity after its `&`.
            QxError::Escape(EscapeError::UnrecognizedEntity(r, _)) => {
                (XmlErrorKind::Entity, r.start.saturating_sub(1))
            }
            QxError::Escape(EscapeError::UnterminatedEntity(r)) => (XmlErrorKind::Entity, r.start),
            QxError::Escape(EscapeError::InvalidCharRef(_)) => (XmlErrorKind::CharRef, 0),
            QxError::Encoding(_) => (XmlErrorKind::NotUtf8, 0),
            _ => (XmlErrorKind::Malformed, 0),
        };
        self.err(kind, position + at as u64)
    }

    /// A decoded value that differs from the input (references were expanded) is checked again
    /// for forbidden characters (`&#0;` and `&#1;` are not XML 1.0 characters).
    fn checked(&self, value: Cow<'a, str>, position: u64) -> Result<Cow<'a, str>, XmlError> {
        if let Cow::Owned(o) = &value
            && let Some((_, code_point)) = first_forbidden(o)
        {
            return Err(self
                .err(XmlErrorKind::CharRef, position)
                .with_code(code_point));
        }
        Ok(value)
    }

    /// Splits a qualified name (Namespaces in XML 1.0 §4, `QName`).
    fn split_qname(
        &self,
        qname: &'a str,
        position: u64,
    ) -> Result<(Option<&'a str>, &'a str), XmlError> {
        match qname.split_once(':') {
            None => Ok((None, qname)),
            Some((p, l)) if !p.is_empty() && !l.is_empty() && !l.contains(':') => Ok((Some(p), l)),
            Some(_) => Err(self.err(XmlErrorKind::Malformed, position)),
        }
    }

    fn lookup(&self, prefix: &str) -> Option<&Cow<'a, str>> {
        if self.declared.len() <= LINEAR_LIMIT {
            return match self.declared.iter().rev().find(|(p, _)| *p == prefix) {
                Some((_, uri)) => Some(uri),
                None => self.bindings.get(prefix).and_then(|v| v.first()),
            };
        }
        self.bindings.get(prefix).and_then(|v| v.last())
    }

    /// Whether `key` was already seen on the current element (then records it).
    fn repeated_key(&mut self, key: &'a str) -> bool {
        if self.keys.len() < LINEAR_LIMIT {
            let seen = self.keys.contains(&key);
            self.keys.push(key);
            return seen;
        }
        if self.seen_keys.is_empty() {
            self.seen_keys.extend(self.keys.iter().copied());
        }
        !self.seen_keys.insert(key)
    }

    fn start(&mut self, s: &BytesStart<'a>, position: u64) -> Result<XmlEvent<'a>, XmlError> {
        if self.stack.is_empty() && self.seen_root {
            return Err(self.err(XmlErrorKind::ContentAfterRoot, position));
        }
        self.budget.charge(
            Charge::Element {
                depth: self.stack.len() + 1,
            },
            position,
        )?;
        let qname = self
            .reborrow(s.name().into_inner())
            .ok_or_else(|| self.err(XmlErrorKind::Malformed, position))?;
        let declared_from = self.declared.len();
        let mut raw: Vec<(&'a str, Cow<'a, str>, u64)> = Vec::new();
        let mut decls: Vec<(&'a str, Cow<'a, str>, u64)> = Vec::new();
        self.keys.clear();
        self.seen_keys.clear();
        for (index, a) in s.attributes().with_checks(false).enumerate() {
            let a = a.map_err(|_| self.err(XmlErrorKind::Malformed, position))?;
            let count = index + 1;
            let key_pos = self.offset_of(a.key.as_ref()).unwrap_or(position);
            self.budget.charge(
                Charge::Attribute {
                    count,
                    value_len: a.value.len(),
                },
                key_pos,
            )?;
            let key = self
                .reborrow(a.key.as_ref())
                .ok_or_else(|| self.err(XmlErrorKind::Malformed, key_pos))?;
            if self.repeated_key(key) {
                return Err(self.err(XmlErrorKind::DuplicateAttribute, key_pos));
            }
            let value_pos = self.offset_of(a.value.as_ref()).unwrap_or(key_pos);
            let value = a
                .unescape_value()
                .map_err(|e| self.map_escape(&e, value_pos))?;
            let value = self.checked(self.cow(value), value_pos)?;
            if key == "xmlns" {
                decls.push(("", value, key_pos));
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                decls.push((p, value, key_pos));
            } else {
                raw.push((key, value, key_pos));
            }
        }
        for (prefix, uri, at) in decls {
            // Namespaces in XML 1.0 §3: `xml` only to its namespace, `xmlns` never, neither
            // namespace to another prefix, no undeclaring of a prefix (1.0 has no `xmlns:p=""`).
            let bad = match prefix {
                "xmlns" => true,
                "xml" => uri != XML_NAMESPACE,
                "" => uri == XML_NAMESPACE || uri == XMLNS_NAMESPACE,
                _ => uri.is_empty() || uri == XML_NAMESPACE || uri == XMLNS_NAMESPACE,
            };
            if bad {
                return Err(self.err(XmlErrorKind::BadNamespaceDeclaration, at));
            }
            self.bindings.entry(prefix).or_default().push(uri.clone());
            self.declared.push((prefix, uri));
        }
        let (prefix, local) = self.split_qname(qname, position)?;
        let namespace = match prefix {
            Some(p) => Some(
                self.lookup(p)
                    .cloned()
                    .ok_or_else(|| self.err(XmlErrorKind::UnboundPrefix, position))?,
            ),
            None => self.lookup("").filter(|u| !u.is_empty()).cloned(),
        };
        let mut attributes = Vec::with_capacity(raw.len());
        for (key, value, at) in raw {
            let (prefix, local) = self.split_qname(key, at)?;
            let namespace = match prefix {
                Some(p) => Some(
                    self.lookup(p)
                        .cloned()
                        .ok_or_else(|| self.err(XmlErrorKind::UnboundPrefix, at))?,
                ),
                None => None,
            };
            attributes.push(Attribute {
                name: Name {
                    namespace,
                    local,
                    prefix,
                },
                value,
                position: at,
            });
        }
        // Namespaces in XML 1.0 §6.3: two prefixed attributes with the same expanded name.
        // Sorting keeps this O(n log n) in the number of prefixed attributes (bounded anyway).
        let mut expanded: Vec<(&str, &str, u64)> = attributes
            .iter()
            .filter_map(|a| {
                a.name
                    .namespace
                    .as_deref()
                    .map(|n| (n, a.name.local, a.position))
            })
            .collect();
        if expanded.len() > 1 {
            expanded.sort_unstable();
            for pair in expanded.windows(2) {
                if let [p, cur] = pair
                    && p.0 == cur.0
                    && p.1 == cur.1
                {
                    let at = p.2.max(cur.2);
                    return Err(self.err(XmlErrorKind::DuplicateAttribute, at));
                }
            }
        }
        let name = Name {
            namespace,
            local,
            prefix,
        };
        self.seen_root = true;
        self.stack.push(Frame {
            name: name.clone(),
            declared_from,
        });
        Ok(XmlEvent::Start {
            name,
            attributes,
            position,
        })
    }

    fn end(&mut self, position: u64) -> Result<XmlEvent<'a>, XmlError> {
        let frame = self
            .stack
            .pop()
            .ok_or_else(|| self.err(XmlErrorKind::MismatchedEndTag, position))?;
        while self.declared.len() > frame.declared_from {
            if let Some((p, _)) = self.declared.pop()
                && let Some(v) = self.bindings.get_mut(p)
            {
                v.pop();
            }
        }
        Ok(XmlEvent::End {
            name: frame.name,
            position,
        })
    }

    fn text(
        &mut self,
        raw: &[u8],
        text: Cow<'a, str>,
        position: u64,
    ) -> Result<Option<XmlEvent<'a>>, XmlError> {
        if self.stack.is_empty() {
            if raw.iter().all(u8::is_ascii_whitespace) {
                return Ok(None);
            }
            let kind = if self.seen_root {
                XmlErrorKind::ContentAfterRoot
            } else {
                XmlErrorKind::TextBeforeRoot
            };
            return Err(self.err(kind, position));
        }
        self.budget
            .charge(Charge::Text { len: raw.len() }, position)?;
        Ok(Some(XmlEvent::Text { text, position }))
    }

    fn step(&mut self) -> Result<Option<XmlEvent<'a>>, XmlError> {
        loop {
            let position = self.base + self.reader.buffer_position();
            let ev = match self.reader.read_event() {
                Ok(ev) => ev,
                Err(e) => return Err(self.map_tokenizer(&e)),
            };
            match ev {
                Event::DocType(_) => return Err(self.err(XmlErrorKind::Doctype, position)),
                Event::Decl(_) => {
                    if position != self.base {
                        return Err(self.err(XmlErrorKind::Malformed, position));
                    }
                }
                Event::PI(_) | Event::Comment(_) => self.budget.charge(Charge::Other, position)?,
                Event::Start(s) => return self.start(&s, position).map(Some),
                Event::Empty(s) => {
                    // Not produced with `expand_empty_elements`; handled the same way anyway.
                    let ev = self.start(&s, position)?;
                    self.stack.pop();
                    return Ok(Some(ev));
                }
                Event::End(_) => return self.end(position).map(Some),
                Event::Text(t) => {
                    let raw: &[u8] = &t;
                    let raw_len = raw.len();
                    if self.stack.is_empty() {
                        let raw = t.into_inner();
                        if let Some(ev) = self.text(&raw, Cow::Borrowed(""), position)? {
                            return Ok(Some(ev));
                        }
                        continue;
                    }
                    self.budget
                        .charge(Charge::Text { len: raw_len }, position)?;
                    let text = t.unescape().map_err(|e| self.map_escape(&e, position))?;
                    let text = self.checked(text, position)?;
                    return Ok(Some(XmlEvent::Text { text, position }));
                }
                Event::CData(c) => {
                    let raw = c.into_inner();
                    let text = match &raw {
                        Cow::Borrowed(b) => self.reborrow(b).map(Cow::Borrowed),
                        Cow::Owned(_) => None,
                    };
                    let text = match text {
                        Some(t) => t,
                        None => Cow::Owned(
                            std::str::from_utf8(&raw)
                                .map_err(|_| self.err(XmlErrorKind::NotUtf8, position))?
                                .to_owned(),
                        ),
                    };
                    if self.stack.is_empty() {
                        let kind = if self.seen_root {
                            XmlErrorKind::ContentAfterRoot
                        } else {
                            XmlErrorKind::TextBeforeRoot
                        };
                        return Err(self.err(kind, position));
                    }
                    return self.text(&raw, text, position);
                }
                Event::Eof => {
                    let end = self.base + self.src.len() as u64;
                    if !self.stack.is_empty() {
                        return Err(self.err(XmlErrorKind::Truncated, end));
                    }
                    if !self.seen_root {
                        return Err(self.err(XmlErrorKind::NoRoot, end));
                    }
                    return Ok(None);
                }
            }
        }
    }
}

impl XmlError {
    /// A [`XmlErrorKind::CharRef`] that decoded to a forbidden character becomes
    /// [`XmlErrorKind::ForbiddenChar`] naming it.
    fn with_code(self, code_point: u32) -> Self {
        Self {
            kind: XmlErrorKind::ForbiddenChar { code_point },
            position: self.position,
        }
    }
}

impl<'a> Iterator for XmlReader<'a> {
    type Item = Result<XmlEvent<'a>, XmlError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(ev)) => Some(Ok(ev)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
