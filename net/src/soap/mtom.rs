//! MTOM/XOP `multipart/related` packages: reading (linear boundary search, limits, `cid:`
//! resolution) and writing.
//!
//! Rules: RFC 2046 §5.1 (multipart syntax and boundaries), RFC 2387 (`multipart/related`,
//! `start`, `type`), RFC 2392 (`cid:` URLs), W3C XOP 1.0 (`xop:Include`, `application/xop+xml`),
//! SOAP MTOM. The DMP sends documents this way (`specs/dmp.md` §5.1).

use std::borrow::Cow;

use base64::Engine as _;
use memchr::memmem;

use super::{Envelope, SoapError, SoapVersion, XOP_NS, parse_envelope};
use crate::xml::{Element, XmlLimits, XmlWriteError, XmlWriter};

/// The Content-ID [`write_mtom`] gives the root (SOAP) part.
pub const ROOT_CONTENT_ID: &str = "root.message@segur-net";

/// Bounds applied while reading a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MtomLimits {
    /// Largest package, in bytes.
    pub max_bytes: usize,
    /// Largest number of parts, the root included.
    pub max_parts: usize,
    /// Largest header block of one part, in bytes.
    pub max_header_bytes: usize,
}

impl Default for MtomLimits {
    /// 64 MiB (as [`XmlLimits::default`]), 64 parts, 8 KiB of headers per part.
    fn default() -> Self {
        Self {
            max_bytes: 64 << 20,
            max_parts: 64,
            max_header_bytes: 8 << 10,
        }
    }
}

/// Why a package could not be read or written. Positions are byte offsets in the package.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MtomError {
    /// The package exceeds [`MtomLimits::max_bytes`].
    #[error("package of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Package size.
        size: usize,
        /// Configured limit.
        limit: usize,
    },
    /// The Content-Type cannot be parsed, or is not `multipart/related` (RFC 2387 §3).
    #[error("Content-Type is not a multipart/related media type")]
    NotMultipartRelated,
    /// No usable `boundary` (RFC 2046 §5.1.1: 1 to 70 characters of `bchars`).
    #[error("missing or invalid multipart boundary")]
    BadBoundary,
    /// More parts than [`MtomLimits::max_parts`].
    #[error("more than {limit} parts (byte {position})")]
    TooManyParts {
        /// Configured limit.
        limit: usize,
        /// Offset of the first part over the limit.
        position: u64,
    },
    /// The package does not start with a boundary line, a boundary line has trailing text, or
    /// no closing boundary follows the last part.
    #[error("multipart framing is invalid at byte {position}")]
    Framing {
        /// Offset where the framing broke.
        position: u64,
    },
    /// A part's headers are longer than [`MtomLimits::max_header_bytes`] or not terminated.
    #[error("part headers too long or unterminated at byte {position}")]
    HeaderTooLong {
        /// Offset of the part.
        position: u64,
    },
    /// A header line is not `Name: value` in ASCII / UTF-8.
    #[error("malformed part header at byte {position}")]
    MalformedHeader {
        /// Offset of the part.
        position: u64,
    },
    /// A `Content-Transfer-Encoding` other than 7bit, 8bit, binary or base64.
    #[error("unsupported Content-Transfer-Encoding at byte {position}")]
    UnsupportedTransferEncoding {
        /// Offset of the part.
        position: u64,
    },
    /// A base64 part that does not decode.
    #[error("invalid base64 part at byte {position}")]
    Base64 {
        /// Offset of the part.
        position: u64,
    },
    /// Two parts with the same Content-ID.
    #[error("duplicate Content-ID at byte {position}")]
    DuplicateContentId {
        /// Offset of the second part.
        position: u64,
    },
    /// The `start` parameter names no part.
    #[error("the start parameter names no part")]
    NoRootPart,
    /// The root part is not `application/xop+xml` (XOP 1.0 §4.1, MTOM §3).
    #[error("root part is not application/xop+xml")]
    RootNotXop,
    /// The SOAP version of the root part's `type` parameter differs from the envelope
    /// namespace's.
    #[error("root part declares {declared:?} but the envelope is {envelope:?}")]
    VersionMismatch {
        /// Version from the root part's `type`.
        declared: SoapVersion,
        /// Version from the envelope namespace.
        envelope: SoapVersion,
    },
    /// An `xop:Include` without an `href`, or an `href` that is not a `cid:` URL (RFC 2392).
    #[error("xop:Include at byte {position} has no valid cid: href")]
    BadHref {
        /// Offset of the `xop:Include` in the root part.
        position: u64,
    },
    /// An `xop:Include` whose `cid:` names no part.
    #[error("xop:Include at byte {position} references no part of the package")]
    UnknownContentId {
        /// Offset of the `xop:Include` in the root part.
        position: u64,
    },
    /// When writing: the boundary occurs inside a part.
    #[error("the boundary occurs inside part {part}")]
    BoundaryInContent {
        /// Index of the part (0: the root).
        part: usize,
    },
    /// When writing: a Content-ID or Content-Type that cannot be written as a header.
    #[error("invalid header value for part {part}")]
    InvalidHeaderValue {
        /// Index of the part (0: the root).
        part: usize,
    },
}

/// One part of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MimePart<'a> {
    /// Headers in order, names as written, values trimmed (folded lines joined).
    pub headers: Vec<(String, String)>,
    /// `Content-ID` without its angle brackets.
    pub content_id: Option<String>,
    /// `Content-Type` as written.
    pub content_type: Option<String>,
    /// The content, transfer encoding removed.
    pub body: Cow<'a, [u8]>,
    /// Offset of the part's first header in the package.
    pub position: u64,
}

impl MimePart<'_> {
    /// A header value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An `xop:Include` resolved to its part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedInclude<'p, 'a> {
    /// Offset of the `xop:Include` element in the root part.
    pub position: u64,
    /// The Content-ID it references (percent-decoded).
    pub content_id: String,
    /// The part.
    pub part: &'p MimePart<'a>,
}

/// A read package: the root (SOAP) part and the attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtomPackage<'a> {
    /// All parts in order.
    pub parts: Vec<MimePart<'a>>,
    root: usize,
}

fn strip_angles(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(s)
}

/// RFC 2046 §5.1.1 `bchars`, 1 to 70 characters, not ending with a space.
fn valid_boundary(b: &str) -> bool {
    !b.is_empty()
        && b.len() <= 70
        && !b.ends_with(' ')
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c))
}

fn parse_mime(ct: &str) -> Option<mime::Mime> {
    ct.trim().parse::<mime::Mime>().ok()
}

fn parse_headers(raw: &[u8], position: u64) -> Result<Vec<(String, String)>, MtomError> {
    let bad = MtomError::MalformedHeader { position };
    let text = std::str::from_utf8(raw).map_err(|_| bad.clone())?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // RFC 5322 §2.2.3 folding: continues the previous header.
            let (_, v) = headers.last_mut().ok_or_else(|| bad.clone())?;
            v.push(' ');
            v.push_str(line.trim());
            continue;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| bad.clone())?;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad);
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    Ok(headers)
}

/// Offset of the end of the header block starting at `from` (the index after the blank line)
/// and the header bytes, looking no further than `max` bytes.
fn header_end(body: &[u8], from: usize, max: usize) -> Option<(usize, usize)> {
    let window_end = from.saturating_add(max).min(body.len());
    let window = body.get(from..window_end)?;
    // No headers at all: the part starts with its blank line.
    if window.starts_with(b"\r\n") {
        return Some((0, from + 2));
    }
    if window.starts_with(b"\n") {
        return Some((0, from + 1));
    }
    for nl in memchr::memchr_iter(b'\n', window) {
        let after = window.get(nl + 1..)?;
        if after.starts_with(b"\r\n") {
            return Some((nl + 1, from + nl + 3));
        }
        if after.starts_with(b"\n") {
            return Some((nl + 1, from + nl + 2));
        }
    }
    None
}

/// Reads a package. `content_type` is the HTTP `Content-Type` (its `boundary` and `start`
/// parameters are used); without it the boundary is taken from the first line.
pub fn read_mtom<'a>(
    content_type: Option<&str>,
    body: &'a [u8],
    limits: MtomLimits,
) -> Result<MtomPackage<'a>, MtomError> {
    if body.len() > limits.max_bytes {
        return Err(MtomError::TooLarge {
            size: body.len(),
            limit: limits.max_bytes,
        });
    }
    let (boundary, start) = match content_type {
        Some(ct) => {
            let m = parse_mime(ct).ok_or(MtomError::NotMultipartRelated)?;
            if m.type_() != mime::MULTIPART || m.subtype().as_str() != "related" {
                return Err(MtomError::NotMultipartRelated);
            }
            let boundary = m
                .get_param(mime::BOUNDARY)
                .map(|b| b.as_str().to_owned())
                .ok_or(MtomError::BadBoundary)?;
            let start = m
                .get_param("start")
                .map(|s| strip_angles(s.as_str()).to_owned());
            (boundary, start)
        }
        None => {
            let line_end = memchr::memchr(b'\n', body).unwrap_or(body.len());
            let line = body.get(..line_end).unwrap_or_default();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let b = line.strip_prefix(b"--").ok_or(MtomError::BadBoundary)?;
            let b = std::str::from_utf8(b).map_err(|_| MtomError::BadBoundary)?;
            (b.trim_end().to_owned(), None)
        }
    };
    if !valid_boundary(&boundary) {
        return Err(MtomError::BadBoundary);
    }
    let delimiter = format!("--{boundary}");
    let line_delimiter = format!("\n--{boundary}");
    let finder = memmem::Finder::new(line_delimiter.as_bytes());
    // The first boundary: at the very start, or after a preamble line (RFC 2046 §5.1.1).
    let mut pos = if body.starts_with(delimiter.as_bytes()) {
        delimiter.len()
    } else {
        finder
            .find(body)
            .map(|p| p + line_delimiter.len())
            .ok_or(MtomError::Framing { position: 0 })?
    };
    let mut parts: Vec<MimePart<'a>> = Vec::new();
    loop {
        let rest = body.get(pos..).unwrap_or_default();
        if rest.starts_with(b"--") {
            break;
        }
        // Transport padding, then the line end.
        let pad = rest
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        let after_pad = rest.get(pad..).unwrap_or_default();
        let eol = if after_pad.starts_with(b"\r\n") {
            2
        } else if after_pad.starts_with(b"\n") {
            1
        } else {
            return Err(MtomError::Framing {
                position: pos as u64,
            });
        };
        let part_start = pos + pad + eol;
        if parts.len() >= limits.max_parts {
            return Err(MtomError::TooManyParts {
                limit: limits.max_parts,
                position: part_start as u64,
            });
        }
        let (header_len, body_start) = header_end(body, part_start, limits.max_header_bytes)
            .ok_or(MtomError::HeaderTooLong {
                position: part_start as u64,
            })?;
        let raw_headers = body
            .get(part_start..part_start + header_len)
            .unwrap_or_default();
        let headers = parse_headers(raw_headers, part_start as u64)?;
        let tail = body.get(body_start..).unwrap_or_default();
        let found = finder.find(tail).ok_or(MtomError::Framing {
            position: body.len() as u64,
        })?;
        let mut end = body_start + found;
        if end > body_start && body.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        let content = body.get(body_start..end).unwrap_or_default();
        let mut part = MimePart {
            content_id: None,
            content_type: None,
            body: Cow::Borrowed(content),
            headers,
            position: part_start as u64,
        };
        part.content_id = part
            .header("Content-ID")
            .map(|v| strip_angles(v).to_owned());
        part.content_type = part.header("Content-Type").map(str::to_owned);
        let cte = part
            .header("Content-Transfer-Encoding")
            .map(|v| v.trim().to_ascii_lowercase());
        match cte.as_deref() {
            None | Some("binary" | "8bit" | "7bit") => {}
            Some("base64") => {
                let compact: Vec<u8> = content
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map_err(|_| MtomError::Base64 {
                        position: part.position,
                    })?;
                part.body = Cow::Owned(decoded);
            }
            Some(_) => {
                return Err(MtomError::UnsupportedTransferEncoding {
                    position: part.position,
                });
            }
        }
        if let Some(id) = &part.content_id
            && parts.iter().any(|p| p.content_id.as_ref() == Some(id))
        {
            return Err(MtomError::DuplicateContentId {
                position: part.position,
            });
        }
        parts.push(part);
        pos = body_start + found + line_delimiter.len();
    }
    let root = match start {
        Some(s) => parts
            .iter()
            .position(|p| p.content_id.as_deref() == Some(s.as_str()))
            .ok_or(MtomError::NoRootPart)?,
        None if parts.is_empty() => return Err(MtomError::NoRootPart),
        None => 0,
    };
    Ok(MtomPackage { parts, root })
}

/// Decodes the `%XX` escapes of a `cid:` URL (RFC 2392 §2).
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = char::from(bytes.next()?).to_digit(16)?;
            let lo = char::from(bytes.next()?).to_digit(16)?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// The `cid:` URL of a Content-ID (RFC 2392 §2): characters outside the URL-safe set are
/// percent-encoded.
pub fn cid_href(content_id: &str) -> String {
    let mut out = String::from("cid:");
    for b in content_id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@!$&'()*+,;=".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl<'a> MtomPackage<'a> {
    /// The root (SOAP) part: named by `start`, else the first.
    pub fn root(&self) -> Option<&MimePart<'a>> {
        self.parts.get(self.root)
    }

    /// The parts other than the root.
    pub fn attachments(&self) -> impl Iterator<Item = &MimePart<'a>> {
        let root = self.root;
        self.parts
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != root)
            .map(|(_, p)| p)
    }

    /// The SOAP version the root part declares by its `type` parameter (MTOM §3:
    /// `application/xop+xml; type="application/soap+xml"`).
    pub fn declared_version(&self) -> Result<Option<SoapVersion>, MtomError> {
        let ct = self
            .root()
            .and_then(|r| r.content_type.as_deref())
            .and_then(parse_mime)
            .ok_or(MtomError::RootNotXop)?;
        if ct.type_() != mime::APPLICATION || ct.subtype().as_str() != "xop" {
            return Err(MtomError::RootNotXop);
        }
        Ok(ct
            .get_param("type")
            .and_then(|t| SoapVersion::from_media_type(t.as_str())))
    }

    /// Parses the root part as an envelope and checks that its version agrees with the root
    /// part's declared `type`.
    pub fn envelope(&self, limits: XmlLimits) -> Result<Envelope<'_>, SoapError> {
        let root = self.root().ok_or(MtomError::NoRootPart)?;
        let env = parse_envelope(&root.body, limits)?;
        if let Some(declared) = self.declared_version()?
            && declared != env.version
        {
            return Err(MtomError::VersionMismatch {
                declared,
                envelope: env.version,
            }
            .into());
        }
        Ok(env)
    }

    /// The part a `cid:` URL references.
    pub fn attachment(&self, href: &str, position: u64) -> Result<&MimePart<'a>, MtomError> {
        let id = href
            .get(..4)
            .filter(|s| s.eq_ignore_ascii_case("cid:"))
            .and_then(|_| href.get(4..))
            .and_then(percent_decode)
            .ok_or(MtomError::BadHref { position })?;
        self.parts
            .iter()
            .find(|p| p.content_id.as_deref() == Some(id.as_str()))
            .ok_or(MtomError::UnknownContentId { position })
    }

    /// Resolves every `xop:Include` under `element` (usually the envelope body) to its part.
    pub fn resolve_includes(
        &self,
        element: &Element<'_>,
    ) -> Result<Vec<ResolvedInclude<'_, 'a>>, MtomError> {
        let mut out = Vec::new();
        for inc in xop_includes(element) {
            let href = inc.attribute("href").ok_or(MtomError::BadHref {
                position: inc.position,
            })?;
            let part = self.attachment(href, inc.position)?;
            out.push(ResolvedInclude {
                position: inc.position,
                content_id: part.content_id.clone().unwrap_or_default(),
                part,
            });
        }
        Ok(out)
    }
}

/// Every `xop:Include` element under `element`, in document order.
pub fn xop_includes<'e, 'a>(element: &'e Element<'a>) -> Vec<&'e Element<'a>> {
    let mut out = Vec::new();
    let mut todo = vec![element];
    while let Some(e) = todo.pop() {
        if e.name.is(XOP_NS, "Include") {
            out.push(e);
        }
        let before = todo.len();
        todo.extend(e.elements());
        if let Some(s) = todo.get_mut(before..) {
            s.reverse();
        }
    }
    out
}

/// Writes `<xop:Include href="cid:…"/>` for `content_id` (XOP 1.0 §3.1).
pub fn write_xop_include(w: &mut XmlWriter, content_id: &str) -> Result<(), XmlWriteError> {
    w.empty(
        "xop:Include",
        &[("xmlns:xop", XOP_NS), ("href", &cid_href(content_id))],
    )
}

/// An attachment to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attachment<'b> {
    /// Content-ID, without angle brackets (referenced by `xop:Include` through [`cid_href`]).
    pub content_id: &'b str,
    /// Media type, e.g. `application/octet-stream` (the DMP MTOM schema's expected type).
    pub content_type: &'b str,
    /// The content, sent as `binary`.
    pub data: &'b [u8],
}

/// A written package: the HTTP `Content-Type` to send and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtomOutput {
    /// `multipart/related; type="application/xop+xml"; boundary=…; start=…; start-info=…`.
    pub content_type: String,
    /// The package, CRLF line ends.
    pub body: Vec<u8>,
}

fn header_safe(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic() || b == b' ') && !v.contains(['<', '>'])
}

/// Writes an MTOM package: the `envelope` as the root part (`application/xop+xml` with the
/// SOAP media type of `version` and, for SOAP 1.2, the `action`), then the attachments, each
/// `Content-Transfer-Encoding: binary`. Fails if `boundary` is invalid or occurs in any part.
pub fn write_mtom(
    version: SoapVersion,
    envelope: &str,
    action: Option<&str>,
    attachments: &[Attachment<'_>],
    boundary: &str,
) -> Result<MtomOutput, MtomError> {
    if !valid_boundary(boundary) {
        return Err(MtomError::BadBoundary);
    }
    let delimiter = format!("--{boundary}");
    let finder = memmem::Finder::new(delimiter.as_bytes());
    if finder.find(envelope.as_bytes()).is_some() {
        return Err(MtomError::BoundaryInContent { part: 0 });
    }
    let quoted_ok = |v: &str| {
        v.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    };
    let mut root_type = format!(
        "application/xop+xml; charset=UTF-8; type=\"{}\"",
        version.media_type()
    );
    if let Some(a) = action {
        if !quoted_ok(a) {
            return Err(MtomError::InvalidHeaderValue { part: 0 });
        }
        if version == SoapVersion::Soap12 {
            root_type.push_str(&format!("; action=\"{a}\""));
        }
    }
    let mut body = Vec::with_capacity(
        envelope.len()
            + attachments
                .iter()
                .map(|a| a.data.len() + 256)
                .sum::<usize>()
            + 256,
    );
    let mut part = |headers: &[(&str, &str)], data: &[u8]| {
        body.extend_from_slice(delimiter.as_bytes());
        body.extend_from_slice(b"\r\n");
        for (k, v) in headers {
            body.extend_from_slice(k.as_bytes());
            body.extend_from_slice(b": ");
            body.extend_from_slice(v.as_bytes());
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    };
    let root_id = format!("<{ROOT_CONTENT_ID}>");
    part(
        &[
            ("Content-Type", &root_type),
            ("Content-Transfer-Encoding", "8bit"),
            ("Content-ID", &root_id),
        ],
        envelope.as_bytes(),
    );
    for (i, a) in attachments.iter().enumerate() {
        let index = i + 1;
        if !header_safe(a.content_id)
            || a.content_id.contains(' ')
            || a.content_id == ROOT_CONTENT_ID
            || !header_safe(a.content_type)
            || parse_mime(a.content_type).is_none()
        {
            return Err(MtomError::InvalidHeaderValue { part: index });
        }
        if finder.find(a.data).is_some() {
            return Err(MtomError::BoundaryInContent { part: index });
        }
        let id = format!("<{}>", a.content_id);
        part(
            &[
                ("Content-Type", a.content_type),
                ("Content-Transfer-Encoding", "binary"),
                ("Content-ID", &id),
            ],
            a.data,
        );
    }
    body.extend_from_slice(delimiter.as_bytes());
    body.extend_from_slice(b"--\r\n");
    let mut content_type = format!(
        "multipart/related; type=\"application/xop+xml\"; boundary=\"{boundary}\"; start=\"<{ROOT_CONTENT_ID}>\"; start-info=\"{}\"",
        version.media_type()
    );
    if let (Some(a), SoapVersion::Soap12) = (action, version) {
        content_type.push_str(&format!("; action=\"{a}\""));
    }
    Ok(MtomOutput { content_type, body })
}
