//! The one hardened tokenizer layer: a zero-copy pull stream of [`Token`]s over `quick-xml`
//! that every XML reader of the SDK is built on ([`super::XmlReader`] and [`super::parse_tree`]
//! here, the CDA tree and the streaming CDA header reader in `segur-dmp-cda`).
//!
//! It owns every rule that makes untrusted XML safe to read, so that no reader repeats them:
//! - the input: size ([`XmlLimits::max_bytes`]), UTF-16/UTF-32 refused by their byte order
//!   mark or first bytes (XML 1.0 appendix F), the UTF-8 byte order mark skipped;
//! - no DTD ([`XmlErrorKind::Doctype`]), an XML declaration only at the start (XML 1.0 §2.8),
//!   only the five predefined entities and character references decoded (XML 1.0 §4.1, §4.6),
//!   a reference decoding to a character XML 1.0 §2.2 forbids refused;
//! - every limit of [`XmlLimits`], charged here and nowhere else: depth and nodes as tokens
//!   are read, text length on each text token, attribute count and value length as a start
//!   tag's attributes are read (by [`XmlStream::read_attributes`] or by a caller's own fast
//!   path that applies [`XmlStream::limits`] and falls back to it);
//! - document structure: one root, no text or CDATA outside it, matching end tags, no
//!   truncated document;
//! - namespaces (Namespaces in XML 1.0 §3, §5, §6): declarations checked and scoped to their
//!   element, element and attribute prefixes resolved, an unbound prefix refused;
//! - positions: every error is an [`XmlError`] with the byte offset in the input.
//!
//! What it leaves to its readers: what to keep. A token hands out slices of the input; a
//! reader decodes the attributes and text it keeps and may skip decoding what it does not
//! (a skipped attribute is still checked by [`XmlStream::check_attributes`]).
//!
//! Speed: one `quick-xml` pass, no allocation per token (the namespace scope and the
//! attribute-name list are reused), UTF-8 checked slice by slice as names, values and text are
//! decoded (a reader that stops early never validates the rest).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use quick_xml::Reader;
use quick_xml::errors::{Error as QxError, IllFormedError, SyntaxError};
use quick_xml::escape::EscapeError;
use quick_xml::events::Event;
use quick_xml::events::attributes::{AttrError, Attributes};

use super::{XML_NAMESPACE, XMLNS_NAMESPACE, XmlError, XmlErrorKind, XmlLimits, first_forbidden};

/// Up to this many entries, a backward scan is cheaper than hashing; beyond it the hash set
/// takes over, so hostile inputs stay linear (at most this many comparisons per lookup).
const LINEAR_LIMIT: usize = 16;

/// One token of the stream.
#[derive(Debug)]
pub enum Token<'a> {
    /// A start tag or an empty-element tag ([`StartTag::is_empty`]; an empty element gets no
    /// [`Token::End`]). Its depth and node count are already charged; its attributes are
    /// read (and charged) by [`XmlStream::read_attributes`] or
    /// [`XmlStream::check_attributes`].
    Start(StartTag<'a>),
    /// An end tag matching the open element (checked by the tokenizer).
    End {
        /// Byte offset of the `<` of the end tag.
        position: u64,
    },
    /// Character data or a CDATA section inside the root element, length and node count
    /// charged. Text outside the root is never a token: white space there is skipped, anything
    /// else is an error.
    Text(TextToken<'a>),
    /// The end of a complete document.
    Eof,
}

/// A start tag as written: name and attributes still raw slices of the input.
#[derive(Debug)]
pub struct StartTag<'a> {
    /// The tag's content (name and attributes, without `<`, `/` and `>`) as a slice of the
    /// input.
    raw: &'a [u8],
    name_len: usize,
    position: u64,
    empty: bool,
}

impl<'a> StartTag<'a> {
    /// Byte offset of the `<`.
    #[inline]
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Whether this is an empty-element tag (`<a/>`).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// The qualified name as written (bytes; not yet checked as UTF-8).
    #[inline]
    pub fn qname(&self) -> &'a [u8] {
        self.raw.get(..self.name_len).unwrap_or_default()
    }

    /// The local part of the name (after the prefix), as bytes.
    #[inline]
    pub fn local_bytes(&self) -> &'a [u8] {
        let q = self.qname();
        match q.iter().position(|&b| b == b':') {
            Some(i) => q.get(i + 1..).unwrap_or_default(),
            None => q,
        }
    }

    /// The local part of the name, checked as UTF-8.
    #[inline]
    pub fn local_name(&self) -> Result<&'a str, XmlError> {
        let local = self.local_bytes();
        std::str::from_utf8(local).map_err(|e| {
            XmlError::new(
                XmlErrorKind::NotUtf8,
                self.position + 1 + (self.name_len - local.len() + e.valid_up_to()) as u64,
            )
        })
    }

    /// The content of the tag (name first, then the attributes as written), for a reader's
    /// own fast path over plain attributes. Such a path must apply [`XmlStream::limits`] and
    /// hand anything it does not fully check to [`XmlStream::read_attributes`].
    #[inline]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Length in bytes of the qualified name at the start of [`StartTag::raw`].
    #[inline]
    pub fn name_len(&self) -> usize {
        self.name_len
    }
}

/// One attribute read by [`XmlStream::read_attributes`]: namespace declarations are applied
/// by the stream and not reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    /// Qualified name as written (UTF-8 checked); resolve it with
    /// [`XmlStream::resolve_attribute`].
    pub qname: &'a str,
    /// Value, references decoded.
    pub value: Cow<'a, str>,
    /// Byte offset of the attribute name.
    pub position: u64,
}

impl<'a> RawAttribute<'a> {
    /// The local part of the name.
    pub fn local(&self) -> &'a str {
        match self.qname.split_once(':') {
            Some((_, l)) => l,
            None => self.qname,
        }
    }
}

/// A text token: character data as written (references not yet decoded) or a CDATA section.
#[derive(Debug)]
pub struct TextToken<'a> {
    raw: &'a [u8],
    position: u64,
    cdata: bool,
    blank: bool,
}

impl<'a> TextToken<'a> {
    /// The bytes as written.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Byte offset of the text (of the `<![CDATA[` for a section).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Whether this is a CDATA section.
    #[inline]
    pub fn is_cdata(&self) -> bool {
        self.cdata
    }

    /// Whether the text is XML white space only (indentation; never a CDATA section). Such
    /// text is not charged as a node.
    #[inline]
    pub fn is_blank(&self) -> bool {
        self.blank
    }

    /// The text, references decoded (XML 1.0 §4.6 predefined entities and §4.1 character
    /// references only); zero-copy when there is no reference.
    #[inline]
    pub fn decode(&self) -> Result<Cow<'a, str>, XmlError> {
        let s = std::str::from_utf8(self.raw).map_err(|e| {
            let skip = if self.cdata { 9 } else { 0 };
            XmlError::new(
                XmlErrorKind::NotUtf8,
                self.position + skip + e.valid_up_to() as u64,
            )
        })?;
        if self.cdata {
            return Ok(Cow::Borrowed(s));
        }
        unescape(s, self.position)
    }
}

/// Decodes the references of `s` (written at `position`); a decoded value is checked again
/// for characters XML 1.0 §2.2 forbids (`&#1;` decodes, but is not an XML 1.0 character).
fn unescape(s: &str, position: u64) -> Result<Cow<'_, str>, XmlError> {
    let value = quick_xml::escape::unescape(s).map_err(|e| escape_error(&e, s, position))?;
    if let Cow::Owned(o) = &value
        && let Some((_, code_point)) = first_forbidden(o)
    {
        // The raw text holds no forbidden character (the tokenizer checked it): this one came
        // from a character reference, and the error names that reference.
        let at = char_ref_offset(s, |c| c.is_none_or(|c| !super::is_xml_char(c)));
        return Err(XmlError::new(
            XmlErrorKind::ForbiddenChar { code_point },
            position + at as u64,
        ));
    }
    Ok(value)
}

/// Offset in `s` of the first character reference (`&#…;`, XML 1.0 §4.1) whose code point
/// satisfies `wanted` (`None`: not a number, or not a Unicode scalar value), or 0. The error
/// then names the reference itself, not the start of the text, so its position does not depend
/// on whether the white space before the text was skipped.
#[cold]
fn char_ref_offset(s: &str, wanted: impl Fn(Option<char>) -> bool) -> usize {
    for (at, _) in s.match_indices("&#") {
        let after = s.get(at + 2..).unwrap_or("");
        let body = after.split(';').next().unwrap_or("");
        let (digits, radix) = match body.strip_prefix('x') {
            Some(hex) => (hex, 16),
            None => (body, 10),
        };
        let code = digits
            .chars()
            .all(|d| d.is_digit(radix))
            .then(|| u32::from_str_radix(digits, radix).ok())
            .flatten();
        let c = code.filter(|&n| n != 0).and_then(char::from_u32);
        if wanted(c) {
            return at;
        }
    }
    0
}

/// A reference-decoding error in a value that starts at `position`.
fn escape_error(e: &EscapeError, s: &str, position: u64) -> XmlError {
    let (kind, at) = match e {
        // The range names the entity after its `&`.
        EscapeError::UnrecognizedEntity(r, _) => (XmlErrorKind::Entity, r.start.saturating_sub(1)),
        EscapeError::UnterminatedEntity(r) => (XmlErrorKind::Entity, r.start),
        // No range in this error: the first reference that does not name a character.
        EscapeError::InvalidCharRef(_) => {
            (XmlErrorKind::CharRef, char_ref_offset(s, |c| c.is_none()))
        }
    };
    XmlError::new(kind, position + at as u64)
}

/// The namespace declarations in scope (Namespaces in XML 1.0 §6.1): the default namespace
/// on its own stack (one lookup for every unprefixed element), each prefix mapped to the stack
/// of its bindings, and the declarations of the open elements kept in order, so an end tag
/// undoes exactly what its start tag declared. While there are few declarations, a prefix
/// lookup scans them backwards (no hashing on the usual document); beyond [`LINEAR_LIMIT`] it
/// is one hash lookup (linear on hostile inputs).
struct NsScope<'a> {
    /// Bindings of the default namespace (`""` = no namespace, from `xmlns=""`).
    default: Vec<Cow<'a, str>>,
    /// Prefix → stack of bound URIs, once there are more than [`LINEAR_LIMIT`] declarations.
    bindings: HashMap<&'a [u8], Vec<Cow<'a, str>>>,
    /// Every declaration of the open elements, in document order (`b""`: the default one).
    declared: Vec<(&'a [u8], Cow<'a, str>)>,
}

impl<'a> NsScope<'a> {
    fn new() -> Self {
        Self {
            default: Vec::new(),
            bindings: HashMap::new(),
            declared: Vec::new(),
        }
    }

    #[inline]
    fn mark(&self) -> usize {
        self.declared.len()
    }

    fn declare(&mut self, prefix: &'a [u8], uri: Cow<'a, str>) {
        if prefix.is_empty() {
            self.default.push(uri.clone());
        } else if self.declared.len() >= LINEAR_LIMIT {
            if self.bindings.is_empty() {
                for (p, u) in self.declared.iter().filter(|(p, _)| !p.is_empty()) {
                    self.bindings.entry(p).or_default().push(u.clone());
                }
            }
            self.bindings.entry(prefix).or_default().push(uri.clone());
        }
        self.declared.push((prefix, uri));
    }

    /// Undoes the declarations made since `mark`.
    #[inline]
    fn pop_to(&mut self, mark: usize) {
        if self.declared.len() > mark {
            self.undo(mark);
        }
    }

    fn undo(&mut self, mark: usize) {
        while self.declared.len() > mark {
            match self.declared.pop() {
                Some((b"", _)) => {
                    self.default.pop();
                }
                Some((p, _)) => {
                    if let Some(v) = self.bindings.get_mut(p) {
                        v.pop();
                    }
                }
                None => break,
            }
        }
        if self.declared.len() < LINEAR_LIMIT {
            self.bindings.clear();
        }
    }

    /// The namespace of an unprefixed element: `None` for no namespace.
    #[inline]
    fn default_namespace(&self) -> Option<&Cow<'a, str>> {
        self.default.last().filter(|u| !u.is_empty())
    }

    /// The URI bound to the (non-empty) `prefix`, `None` when unbound.
    #[inline]
    fn lookup(&self, prefix: &[u8]) -> Option<&Cow<'a, str>> {
        if self.bindings.is_empty() {
            return self
                .declared
                .iter()
                .rev()
                .find(|(p, _)| *p == prefix)
                .map(|(_, u)| u);
        }
        self.bindings.get(prefix).and_then(|v| v.last())
    }
}

/// The streaming hardened tokenizer. After the first error its results are unspecified (the
/// readers stop at it).
pub struct XmlStream<'a> {
    src: &'a [u8],
    /// Bytes skipped before `src` (a UTF-8 byte order mark).
    base: u64,
    reader: Reader<&'a [u8]>,
    limits: XmlLimits,
    nodes: usize,
    /// Namespace mark of each open element.
    open: Vec<usize>,
    scope: NsScope<'a>,
    /// The namespace mark of the last empty-element tag, undone at the next token.
    pending_pop: Option<usize>,
    /// Attribute names of the current tag (a linear check while few).
    keys: Vec<&'a [u8]>,
    /// The same names as a set once there are more than [`LINEAR_LIMIT`].
    seen_keys: HashSet<&'a [u8]>,
    seen_root: bool,
}

impl std::fmt::Debug for XmlStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XmlStream")
            .field("depth", &self.open.len())
            .field("nodes", &self.nodes)
            .finish_non_exhaustive()
    }
}

/// The encoding told by a byte order mark or the first bytes of `<?xml` other than UTF-8
/// (XML 1.0 appendix F).
fn other_encoding(input: &[u8]) -> Option<&'static str> {
    match input {
        [0, 0, 0xFE, 0xFF, ..] | [0, 0, 0, b'<', ..] => Some("UTF-32BE"),
        [0xFF, 0xFE, 0, 0, ..] | [b'<', 0, 0, 0, ..] => Some("UTF-32LE"),
        [0xFE, 0xFF, ..] | [0, b'<', ..] => Some("UTF-16BE"),
        [0xFF, 0xFE, ..] | [b'<', 0, ..] => Some("UTF-16LE"),
        _ => None,
    }
}

impl<'a> XmlStream<'a> {
    /// Prepares reading `input` under `limits`: checks the size and the encoding (UTF-8 only;
    /// a leading byte order mark is skipped). The rest is checked as it is read.
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
        if let Some(encoding) = other_encoding(input) {
            return Err(XmlError::new(
                XmlErrorKind::UnsupportedEncoding { encoding },
                0,
            ));
        }
        let (src, base) = match input.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (rest, 3u64),
            None => (input, 0),
        };
        let mut reader = Reader::from_reader(src);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = true;
        Ok(Self {
            src,
            base,
            reader,
            limits,
            nodes: 0,
            open: Vec::with_capacity(32),
            scope: NsScope::new(),
            pending_pop: None,
            keys: Vec::new(),
            seen_keys: HashSet::new(),
            seen_root: false,
        })
    }

    /// The limits this stream applies.
    #[inline]
    pub fn limits(&self) -> &XmlLimits {
        &self.limits
    }

    /// Current element depth (0 outside the root; an empty element is not counted once its
    /// token is returned).
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    /// Whether text that starts with XML white space is handed out without it, and text that
    /// is only white space not at all (for a reader that does not keep indentation; the
    /// text-length limit is the same either way: it is measured without leading white space).
    #[inline]
    pub fn skip_leading_space(&mut self, skip: bool) {
        self.reader.config_mut().trim_text_start = skip;
    }

    /// Whether a comment containing `--` is refused (XML 1.0 §2.5; on by default). A reader may
    /// turn it off when it costs more than it protects: such a comment changes nothing that is
    /// read (its content is never handed out), it is only not well-formed.
    pub fn check_comments(&mut self, check: bool) {
        self.reader.config_mut().check_comments = check;
    }

    /// Byte offset in the input of the end of the last token.
    pub fn offset(&self) -> u64 {
        self.base + self.reader.buffer_position()
    }

    /// Counts one node against [`XmlLimits::max_nodes`]: the one node-limit check of the
    /// SDK. `at` says where the node starts, worked out only for the error.
    #[inline]
    fn charge_node(&mut self, at: impl FnOnce(&Self) -> u64) -> Result<(), XmlError> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(XmlError::new(
                XmlErrorKind::TooManyNodes {
                    limit: self.limits.max_nodes,
                },
                at(self),
            ));
        }
        Ok(())
    }

    /// Re-borrows `part` (a slice of the input handed out by the tokenizer) with the input's
    /// lifetime, so names and values are zero-copy.
    #[inline]
    fn reborrow(&self, part: &[u8]) -> Option<&'a [u8]> {
        let src: &'a [u8] = self.src;
        let start = (part.as_ptr() as usize).checked_sub(src.as_ptr() as usize)?;
        src.get(start..start.checked_add(part.len())?)
    }

    /// Offset in the input of `part`, a slice of it.
    #[inline]
    fn offset_of(&self, part: &[u8]) -> Option<u64> {
        let start = (part.as_ptr() as usize).checked_sub(self.src.as_ptr() as usize)?;
        (start + part.len() <= self.src.len()).then_some(self.base + start as u64)
    }

    /// Maps a tokenizer error, at the offset where the tokenizer stopped (the same whether
    /// leading white space is skipped or not).
    #[cold]
    fn tokenizer_error(&self, e: &QxError) -> XmlError {
        let position = self.base + self.reader.buffer_position();
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

    #[cold]
    fn outside_root(&self, position: u64) -> XmlError {
        let kind = if self.seen_root {
            XmlErrorKind::ContentAfterRoot
        } else {
            XmlErrorKind::TextBeforeRoot
        };
        XmlError::new(kind, position)
    }

    /// The next token.
    #[inline]
    pub fn next_token(&mut self) -> Result<Token<'a>, XmlError> {
        if let Some(mark) = self.pending_pop.take() {
            self.scope.pop_to(mark);
        }
        loop {
            let position = self.base + self.reader.buffer_position();
            let ev = match self.reader.read_event() {
                Ok(ev) => ev,
                Err(e) => return Err(self.tokenizer_error(&e)),
            };
            let (tag, empty) = match ev {
                Event::Start(s) => (s, false),
                Event::Empty(s) => (s, true),
                Event::End(e) => {
                    // The name's offset tells where the tag starts, leading white space
                    // skipped or not.
                    let position = self
                        .offset_of(e.name().as_ref())
                        .map_or(position, |p| p.saturating_sub(2));
                    let mark = self
                        .open
                        .pop()
                        .ok_or(XmlError::new(XmlErrorKind::MismatchedEndTag, position))?;
                    self.scope.pop_to(mark);
                    return Ok(Token::End { position });
                }
                Event::Text(t) => {
                    let raw: &[u8] = &t;
                    let blank = raw.iter().all(u8::is_ascii_whitespace);
                    if self.open.is_empty() {
                        if blank {
                            continue;
                        }
                        return Err(self.outside_root(position));
                    }
                    let raw = self
                        .reborrow(raw)
                        .ok_or(XmlError::new(XmlErrorKind::Malformed, position))?;
                    // With leading white space skipped, the tokenizer hands out the text
                    // after it: say where it starts.
                    let position = self.offset_of(raw).unwrap_or(position);
                    self.charge_text(raw, blank, position)?;
                    return Ok(Token::Text(TextToken {
                        raw,
                        position,
                        cdata: false,
                        blank,
                    }));
                }
                Event::CData(c) => {
                    let position = self.token_start(position);
                    if self.open.is_empty() {
                        return Err(self.outside_root(position));
                    }
                    let raw = self
                        .reborrow(&c)
                        .ok_or(XmlError::new(XmlErrorKind::Malformed, position))?;
                    self.charge_text(raw, false, position)?;
                    return Ok(Token::Text(TextToken {
                        raw,
                        position,
                        cdata: true,
                        blank: false,
                    }));
                }
                Event::DocType(_) => {
                    let position = self.token_start(position);
                    return Err(XmlError::new(XmlErrorKind::Doctype, position));
                }
                Event::Decl(_) => {
                    // XML 1.0 §2.8: the declaration, if any, opens the document.
                    let position = self.token_start(position);
                    if position != self.base {
                        return Err(XmlError::new(XmlErrorKind::Malformed, position));
                    }
                    continue;
                }
                Event::PI(_) | Event::Comment(_) => {
                    self.charge_node(|s| s.token_start(position))?;
                    continue;
                }
                Event::Eof => {
                    let end = self.base + self.src.len() as u64;
                    if !self.open.is_empty() {
                        return Err(XmlError::new(XmlErrorKind::Truncated, end));
                    }
                    if !self.seen_root {
                        return Err(XmlError::new(XmlErrorKind::NoRoot, end));
                    }
                    return Ok(Token::Eof);
                }
            };
            // The tag's offset, leading white space skipped or not.
            let position = self
                .offset_of(&tag)
                .map_or(position, |p| p.saturating_sub(1));
            if self.open.is_empty() && self.seen_root {
                return Err(XmlError::new(XmlErrorKind::ContentAfterRoot, position));
            }
            if self.open.len() >= self.limits.max_depth {
                return Err(XmlError::new(
                    XmlErrorKind::TooDeep {
                        limit: self.limits.max_depth,
                    },
                    position,
                ));
            }
            self.charge_node(|_| position)?;
            self.seen_root = true;
            let raw = self
                .reborrow(&tag)
                .ok_or(XmlError::new(XmlErrorKind::Malformed, position))?;
            let name_len = tag.name().as_ref().len();
            let mark = self.scope.mark();
            if empty {
                self.pending_pop = Some(mark);
            } else {
                self.open.push(mark);
            }
            return Ok(Token::Start(StartTag {
                raw,
                name_len,
                position,
                empty,
            }));
        }
    }

    /// Where the markup read from `before` starts: the tokenizer may have skipped white space
    /// before it ([`XmlStream::skip_leading_space`]). Only for the rare tokens whose offset is
    /// not told by a slice they hand out.
    #[cold]
    fn token_start(&self, before: u64) -> u64 {
        let from = usize::try_from(before.saturating_sub(self.base)).unwrap_or(usize::MAX);
        let skipped = self
            .src
            .get(from..)
            .map_or(0, |rest| rest.len() - rest.trim_ascii_start().len());
        before + skipped as u64
    }

    /// Text length (XML white space at the start not counted, as a reader that skips it
    /// sees the text) and node count (white space only is indentation, not a node).
    #[inline]
    fn charge_text(&mut self, raw: &[u8], blank: bool, position: u64) -> Result<(), XmlError> {
        let max = self.limits.max_text_len;
        // The raw length first: the trimmed one only for a text already over the limit.
        if raw.len() > max && raw.trim_ascii_start().len() > max {
            return Err(XmlError::new(
                XmlErrorKind::TextTooLong { limit: max },
                Self::text_start(raw, position),
            ));
        }
        if blank {
            return Ok(());
        }
        self.charge_node(|_| Self::text_start(raw, position))
    }

    /// Where the text `raw`, written at `position`, starts once its leading white space is
    /// left out: a limit error names the same byte whether the white space was skipped or not.
    #[cold]
    fn text_start(raw: &[u8], position: u64) -> u64 {
        position + (raw.len() - raw.trim_ascii_start().len()) as u64
    }

    /// Reads every attribute of `tag` (XML 1.0 §3.1): charges the count and value length,
    /// refuses a repeated qualified name ("Unique Att Spec"), decodes each value, applies the
    /// namespace declarations to the scope of this element (checked: Namespaces in XML 1.0
    /// §3) and hands every other attribute to `each`, in document order.
    pub fn read_attributes(
        &mut self,
        tag: &StartTag<'a>,
        mut each: impl FnMut(RawAttribute<'a>),
    ) -> Result<(), XmlError> {
        self.keys.clear();
        self.seen_keys.clear();
        let position = tag.position;
        // One UTF-8 check for the whole tag: every name and value is then a `&'a str`.
        let content = std::str::from_utf8(tag.raw).map_err(|e| {
            XmlError::new(XmlErrorKind::NotUtf8, position + 1 + e.valid_up_to() as u64)
        })?;
        let mut attributes = Attributes::new(content, tag.name_len);
        attributes.with_checks(false);
        for (index, a) in attributes.enumerate() {
            let a = a.map_err(|e| Self::attr_error(&e, position))?;
            let key: &'a [u8] = a.key.into_inner();
            let Cow::Borrowed(raw_value) = a.value else {
                return Err(XmlError::new(XmlErrorKind::Malformed, position));
            };
            let key_pos = self.offset_of(key).unwrap_or(position);
            self.charge_attribute(index + 1, raw_value.len(), key_pos)?;
            if self.repeated_key(key) {
                return Err(XmlError::new(XmlErrorKind::DuplicateAttribute, key_pos));
            }
            let value_pos = self.offset_of(raw_value).unwrap_or(key_pos);
            // Names and values are slices of the checked `content`: taken from it, never
            // checked again.
            let key = sub_str(content, key);
            let value = sub_str(content, raw_value);
            // XML 1.0 §2.3 [10] AttValue holds no raw `<`, and §2.2 only XML characters: the
            // tokenizer lets both through inside a quoted value, and a writer could not give
            // them back (a METADATA.XML made from such a value would not read).
            if let Some(at) = value.find('<') {
                return Err(XmlError::new(
                    XmlErrorKind::Malformed,
                    value_pos + at as u64,
                ));
            }
            if let Some((at, code_point)) = first_forbidden(value) {
                return Err(XmlError::new(
                    XmlErrorKind::ForbiddenChar { code_point },
                    value_pos + at as u64,
                ));
            }
            let value = unescape(value, value_pos)?;
            if let Some(prefix) = declared_prefix(key.as_bytes()) {
                self.declare(prefix, value, key_pos)?;
            } else {
                each(RawAttribute {
                    qname: key,
                    value,
                    position: key_pos,
                });
            }
        }
        Ok(())
    }

    /// Checks every attribute of `tag` as [`XmlStream::read_attributes`] does, keeping none.
    pub fn check_attributes(&mut self, tag: &StartTag<'a>) -> Result<(), XmlError> {
        self.read_attributes(tag, |_| ())
    }

    /// Charges the `count`-th attribute of an element, whose value is `value_len` bytes as
    /// written: for a reader's fast path over [`StartTag::raw`].
    #[inline]
    pub fn charge_attribute(
        &self,
        count: usize,
        value_len: usize,
        position: u64,
    ) -> Result<(), XmlError> {
        let l = &self.limits;
        if count > l.max_attributes {
            return Err(XmlError::new(
                XmlErrorKind::TooManyAttributes {
                    limit: l.max_attributes,
                },
                position,
            ));
        }
        if value_len > l.max_attribute_len {
            return Err(XmlError::new(
                XmlErrorKind::AttributeTooLong {
                    limit: l.max_attribute_len,
                },
                position,
            ));
        }
        Ok(())
    }

    fn attr_error(e: &AttrError, position: u64) -> XmlError {
        let at = match e {
            AttrError::ExpectedEq(p)
            | AttrError::ExpectedValue(p)
            | AttrError::UnquotedValue(p)
            | AttrError::ExpectedQuote(p, _) => *p as u64,
            AttrError::Duplicated(p, _) => {
                return XmlError::new(XmlErrorKind::DuplicateAttribute, position + 1 + *p as u64);
            }
        };
        XmlError::new(XmlErrorKind::Malformed, position + 1 + at)
    }

    /// Whether `key` was already seen on the current element (then records it).
    fn repeated_key(&mut self, key: &'a [u8]) -> bool {
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

    /// Applies the declaration of `prefix` (empty for the default namespace) to the scope of
    /// the current element, after checking it (Namespaces in XML 1.0 §3: `xml` only to its
    /// namespace, `xmlns` never, neither namespace to another prefix, no undeclaring of a
    /// prefix: 1.0 has no `xmlns:p=""`). For a reader's fast path; [`XmlStream::read_attributes`]
    /// does it for the declarations it reads.
    pub fn declare(
        &mut self,
        prefix: &'a [u8],
        uri: Cow<'a, str>,
        position: u64,
    ) -> Result<(), XmlError> {
        let bad = match prefix {
            b"xmlns" => true,
            b"xml" => uri != XML_NAMESPACE,
            b"" => uri == XML_NAMESPACE || uri == XMLNS_NAMESPACE,
            _ => uri.is_empty() || uri == XML_NAMESPACE || uri == XMLNS_NAMESPACE,
        };
        if bad {
            return Err(XmlError::new(
                XmlErrorKind::BadNamespaceDeclaration,
                position,
            ));
        }
        self.scope.declare(prefix, uri);
        Ok(())
    }

    /// Splits a qualified name (Namespaces in XML 1.0 §4, `QName`).
    #[inline]
    fn split_qname(qname: &[u8], position: u64) -> Result<(Option<&[u8]>, &[u8]), XmlError> {
        match qname.iter().position(|&b| b == b':') {
            None => Ok((None, qname)),
            Some(i) => {
                let (p, l) = (
                    qname.get(..i).unwrap_or_default(),
                    qname.get(i + 1..).unwrap_or_default(),
                );
                if p.is_empty() || l.is_empty() || l.contains(&b':') {
                    return Err(XmlError::new(XmlErrorKind::Malformed, position));
                }
                Ok((Some(p), l))
            }
        }
    }

    /// The namespace of the element `tag` (Namespaces in XML 1.0 §6.2: an unprefixed element
    /// is in the default namespace, if any); [`XmlErrorKind::UnboundPrefix`] for a prefix
    /// without a declaration in scope. Call it after the tag's declarations are applied.
    #[inline]
    pub fn resolve_element(&self, tag: &StartTag<'a>) -> Result<Option<Cow<'a, str>>, XmlError> {
        let (prefix, _) = Self::split_qname(tag.qname(), tag.position)?;
        match prefix {
            None => Ok(self.scope.default_namespace().cloned()),
            Some(p) => self.prefix_uri(p, tag.position).map(Some),
        }
    }

    /// The namespace of an attribute named `qname` (Namespaces in XML 1.0 §6.2: an unprefixed
    /// attribute is in no namespace).
    pub fn resolve_attribute(
        &self,
        qname: &str,
        position: u64,
    ) -> Result<Option<Cow<'a, str>>, XmlError> {
        match Self::split_qname(qname.as_bytes(), position)?.0 {
            None => Ok(None),
            Some(p) => self.prefix_uri(p, position).map(Some),
        }
    }

    fn prefix_uri(&self, prefix: &[u8], position: u64) -> Result<Cow<'a, str>, XmlError> {
        if prefix == b"xml" {
            return Ok(Cow::Borrowed(XML_NAMESPACE));
        }
        self.scope
            .lookup(prefix)
            .cloned()
            .ok_or(XmlError::new(XmlErrorKind::UnboundPrefix, position))
    }
}

/// `part`, a slice of `content` handed out by the attribute parser, as the same slice of the
/// already checked `content` (empty if it is not one, which the parser never does).
#[inline]
fn sub_str<'a>(content: &'a str, part: &[u8]) -> &'a str {
    let start = (part.as_ptr() as usize).wrapping_sub(content.as_ptr() as usize);
    start
        .checked_add(part.len())
        .and_then(|end| content.get(start..end))
        .unwrap_or_default()
}

/// The prefix a namespace declaration declares: `Some(b"")` for `xmlns`, `Some(p)` for
/// `xmlns:p`, `None` for any other attribute.
pub fn declared_prefix(key: &[u8]) -> Option<&[u8]> {
    match key.strip_prefix(b"xmlns") {
        Some([]) => Some(&[]),
        Some([b':', prefix @ ..]) => Some(prefix),
        _ => None,
    }
}
