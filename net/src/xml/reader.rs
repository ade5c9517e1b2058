//! The streaming reader: [`XmlStream`] tokens turned into events with resolved names. Every
//! hardened rule and limit is the stream's; this reader adds the whole-input checks of its
//! callers (UTF-8 and the XML 1.0 §2.2 characters up front) and the expanded-name duplicate
//! check (Namespaces in XML 1.0 §6.3).

use std::borrow::Cow;

use super::stream::{RawAttribute, StartTag, Token, XmlStream};
use super::{XmlError, XmlErrorKind, XmlLimits, first_forbidden};

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

/// The streaming hardened reader: an iterator of [`XmlEvent`]s. After the first error it yields
/// nothing more. The document is complete and well-formed once the iterator has ended without
/// an error.
pub struct XmlReader<'a> {
    stream: XmlStream<'a>,
    /// Names of the open elements, for their end events.
    names: Vec<Name<'a>>,
    /// The end event owed for an empty-element tag.
    pending_end: Option<(Name<'a>, u64)>,
    /// Attributes of the current start tag, before resolution (one buffer for the read).
    raw: Vec<RawAttribute<'a>>,
    done: bool,
}

impl std::fmt::Debug for XmlReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XmlReader")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

impl<'a> XmlReader<'a> {
    /// Prepares reading `input`: checks the size, the encoding and UTF-8 (a leading byte order
    /// mark is skipped) and refuses characters XML 1.0 §2.2 forbids anywhere in the input.
    pub fn new(input: &'a [u8], limits: XmlLimits) -> Result<Self, XmlError> {
        let stream = XmlStream::new(input, limits)?;
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
        Ok(Self {
            stream,
            names: Vec::new(),
            pending_end: None,
            raw: Vec::new(),
            done: false,
        })
    }

    /// Current element depth (0 outside the root).
    pub fn depth(&self) -> usize {
        self.names.len()
    }

    /// Reads to the end of the document, checking it completely.
    pub fn check(mut self) -> Result<(), XmlError> {
        for ev in &mut self {
            ev?;
        }
        Ok(())
    }

    /// Splits a checked qualified name into prefix and local part.
    fn split(qname: &'a str) -> (Option<&'a str>, &'a str) {
        match qname.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, qname),
        }
    }

    fn start(&mut self, tag: &StartTag<'a>) -> Result<XmlEvent<'a>, XmlError> {
        let position = tag.position();
        let mut raw = std::mem::take(&mut self.raw);
        raw.clear();
        let read = self.stream.read_attributes(tag, |a| raw.push(a));
        let result = read.and_then(|()| self.resolve(tag, &mut raw));
        self.raw = raw;
        let (name, attributes) = result?;
        if tag.is_empty() {
            self.pending_end = Some((name.clone(), position));
        } else {
            self.names.push(name.clone());
        }
        Ok(XmlEvent::Start {
            name,
            attributes,
            position,
        })
    }

    fn resolve(
        &self,
        tag: &StartTag<'a>,
        raw: &mut Vec<RawAttribute<'a>>,
    ) -> Result<(Name<'a>, Vec<Attribute<'a>>), XmlError> {
        let position = tag.position();
        let namespace = self.stream.resolve_element(tag)?;
        let qname = std::str::from_utf8(tag.qname())
            .map_err(|_| XmlError::new(XmlErrorKind::NotUtf8, position))?;
        let (prefix, local) = Self::split(qname);
        let mut attributes = Vec::with_capacity(raw.len());
        for a in raw.drain(..) {
            let namespace = self.stream.resolve_attribute(a.qname, a.position)?;
            let (prefix, local) = Self::split(a.qname);
            attributes.push(Attribute {
                name: Name {
                    namespace,
                    local,
                    prefix,
                },
                value: a.value,
                position: a.position,
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
                    return Err(XmlError::new(XmlErrorKind::DuplicateAttribute, at));
                }
            }
        }
        Ok((
            Name {
                namespace,
                local,
                prefix,
            },
            attributes,
        ))
    }

    fn step(&mut self) -> Result<Option<XmlEvent<'a>>, XmlError> {
        if let Some((name, position)) = self.pending_end.take() {
            return Ok(Some(XmlEvent::End { name, position }));
        }
        match self.stream.next_token()? {
            Token::Start(tag) => self.start(&tag).map(Some),
            Token::End { position } => {
                let name = self
                    .names
                    .pop()
                    .ok_or(XmlError::new(XmlErrorKind::MismatchedEndTag, position))?;
                Ok(Some(XmlEvent::End { name, position }))
            }
            Token::Text(t) => {
                let text = t.decode()?;
                Ok(Some(XmlEvent::Text {
                    text,
                    position: t.position(),
                }))
            }
            Token::Eof => Ok(None),
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
