//! The hardened XML reader and the one escaping writer of the SDK.
//!
//! Every XML document that reaches the SDK from the network (INSi and DMP SOAP responses, CDA
//! documents, VIHF assertions) is untrusted. The reader here applies the same rules to all of
//! them:
//! - no DTD: a `<!DOCTYPE` is refused ([`XmlErrorKind::Doctype`]), so neither internal nor
//!   external entities can be declared (the "billion laughs" and XXE attacks, OWASP XXE
//!   prevention); only the five predefined entities of XML 1.0 §4.6 and character references
//!   (§4.1) are decoded, any other reference is [`XmlErrorKind::Entity`];
//! - limits as data ([`XmlLimits`]): input bytes, depth, nodes, attributes per element,
//!   attribute value and text length, all checked in one place;
//! - namespaces resolved (Namespaces in XML 1.0 §5): names are (namespace URI, local name); an
//!   unbound prefix is [`XmlErrorKind::UnboundPrefix`];
//! - UTF-8 only (the DMP and INSi exchange UTF-8); characters XML 1.0 §2.2 forbids are refused;
//! - linear time: one pass of `quick-xml`, prefix lookups and duplicate-attribute checks through
//!   hash sets, never pairwise comparisons.
//!
//! Errors ([`XmlError`]) carry a [`XmlErrorKind`] and the byte offset in the input, never any
//! document text.
//!
//! Every rule above lives in one place, the tokenizer layer [`stream`] ([`XmlStream`], a
//! zero-copy pull stream of [`Token`]s); the readers are built on it:
//! [`XmlReader`], a streaming iterator of [`XmlEvent`]s with resolved names (it adds the
//! whole-input UTF-8 and §2.2 character checks and the expanded-name duplicate check), and
//! [`parse_tree`], a small tree ([`Element`]) for SOAP-sized documents; the CDA readers of
//! `segur-dmp-cda` use [`XmlStream`] directly. [`XmlWriter`] writes escaped XML and refuses
//! characters XML 1.0 cannot carry ([`XmlWriteError`]).
//!
//! | module | job |
//! |---|---|
//! | [`stream`] | the hardened tokenizer every reader is built on |

mod reader;
pub mod stream;
mod tree;
mod writer;

pub use reader::{Attribute, Name, XmlEvent, XmlReader};
pub use stream::{RawAttribute, StartTag, TextToken, Token, XmlStream};
pub use tree::{Element, Node, parse_tree};
pub use writer::{XmlWriteError, XmlWriter, escape_attribute, escape_text};

/// The namespace bound to the `xml` prefix (Namespaces in XML 1.0 §3, "reserved prefixes").
pub const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// The namespace of `xmlns` declarations (Namespaces in XML 1.0 §3).
pub const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";

/// Bounds applied while reading untrusted XML. Every field is a hard limit; crossing one is an
/// error naming it, never a truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted element nesting (the root is depth 1).
    pub max_depth: usize,
    /// Largest number of nodes (elements, text and CDATA sections, comments, processing
    /// instructions).
    pub max_nodes: usize,
    /// Largest number of attributes on one element, namespace declarations included.
    pub max_attributes: usize,
    /// Longest attribute value, in bytes as written in the input.
    pub max_attribute_len: usize,
    /// Longest text node or CDATA section, in bytes as written in the input.
    pub max_text_len: usize,
}

impl Default for XmlLimits {
    /// Defaults sized for SOAP messages of the INSi and the DMP and for CDA documents with an
    /// embedded PDF: 64 MiB, depth 256, two million nodes, 256 attributes per element,
    /// attribute values of 64 KiB, text nodes of 64 MiB (a base64 PDF is one text node).
    fn default() -> Self {
        Self {
            max_bytes: 64 << 20,
            max_depth: 256,
            max_nodes: 2_000_000,
            max_attributes: 256,
            max_attribute_len: 64 << 10,
            max_text_len: 64 << 20,
        }
    }
}

impl XmlLimits {
    /// Limits for a SOAP response of a few kilobytes (INSi): 1 MiB, depth 64, 100 000 nodes,
    /// 64 attributes, 16 KiB attribute values, 1 MiB text.
    pub const fn soap_small() -> Self {
        Self {
            max_bytes: 1 << 20,
            max_depth: 64,
            max_nodes: 100_000,
            max_attributes: 64,
            max_attribute_len: 16 << 10,
            max_text_len: 1 << 20,
        }
    }
}

/// Why an XML input was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlErrorKind {
    /// The input exceeds [`XmlLimits::max_bytes`].
    #[error("input of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Input size.
        size: usize,
        /// Configured limit.
        limit: usize,
    },
    /// The input is not UTF-8.
    #[error("input is not UTF-8")]
    NotUtf8,
    /// The input is encoded in UTF-16 or UTF-32, told by its byte order mark or its first
    /// bytes (XML 1.0 appendix F): the SDK reads UTF-8 only (the DMP, the INSi and the CI-SIS
    /// documents are UTF-8), and reading those bytes as UTF-8 would report a misleading error.
    #[error("input is encoded in {encoding}; only UTF-8 is read")]
    UnsupportedEncoding {
        /// The encoding detected.
        encoding: &'static str,
    },
    /// A `<!DOCTYPE>` declaration: DTDs are never read (no entity declarations at all).
    #[error("a DTD is not allowed")]
    Doctype,
    /// A reference to an entity other than `lt`, `gt`, `amp`, `apos`, `quot` (XML 1.0 §4.6), or
    /// an unterminated reference.
    #[error("undeclared or unterminated entity reference")]
    Entity,
    /// A character reference that is malformed or names a character XML 1.0 §2.2 forbids.
    #[error("invalid character reference")]
    CharRef,
    /// A character XML 1.0 §2.2 forbids (NUL, C0 controls other than tab, LF, CR; U+FFFE,
    /// U+FFFF).
    #[error("character U+{code_point:04X} is not allowed in XML 1.0")]
    ForbiddenChar {
        /// The refused code point.
        code_point: u32,
    },
    /// Elements nested deeper than [`XmlLimits::max_depth`].
    #[error("elements nested deeper than {limit}")]
    TooDeep {
        /// Configured limit.
        limit: usize,
    },
    /// More nodes than [`XmlLimits::max_nodes`].
    #[error("more than {limit} nodes")]
    TooManyNodes {
        /// Configured limit.
        limit: usize,
    },
    /// More attributes on one element than [`XmlLimits::max_attributes`].
    #[error("more than {limit} attributes on one element")]
    TooManyAttributes {
        /// Configured limit.
        limit: usize,
    },
    /// An attribute value longer than [`XmlLimits::max_attribute_len`].
    #[error("attribute value longer than {limit} bytes")]
    AttributeTooLong {
        /// Configured limit.
        limit: usize,
    },
    /// A text node longer than [`XmlLimits::max_text_len`].
    #[error("text longer than {limit} bytes")]
    TextTooLong {
        /// Configured limit.
        limit: usize,
    },
    /// The same attribute twice on one element, by qualified or by expanded name (XML 1.0 §3.1
    /// "Unique Att Spec", Namespaces in XML 1.0 §6.3).
    #[error("duplicate attribute")]
    DuplicateAttribute,
    /// A prefix used without a declaration in scope (Namespaces in XML 1.0 §5, "Prefix
    /// Declared").
    #[error("namespace prefix is not declared")]
    UnboundPrefix,
    /// A declaration that binds a reserved prefix or namespace wrongly, or undeclares a prefix
    /// (Namespaces in XML 1.0 §3).
    #[error("invalid namespace declaration")]
    BadNamespaceDeclaration,
    /// The input ends inside markup or with elements still open.
    #[error("input ends before the document does")]
    Truncated,
    /// An end tag that does not match the open element.
    #[error("end tag does not match the open element")]
    MismatchedEndTag,
    /// No root element.
    #[error("no root element")]
    NoRoot,
    /// Elements or text after the root element (a second root).
    #[error("content after the root element")]
    ContentAfterRoot,
    /// Text other than whitespace before the root element.
    #[error("text before the root element")]
    TextBeforeRoot,
    /// Any other well-formedness error reported by the tokenizer.
    #[error("malformed XML")]
    Malformed,
}

/// An XML input refused by the reader: what ([`XmlErrorKind`]) and where (byte offset in the
/// input). Never carries document text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {position}")]
pub struct XmlError {
    /// Why the input was refused.
    pub kind: XmlErrorKind,
    /// Byte offset in the input where the problem was found.
    pub position: u64,
}

impl XmlError {
    /// An error of `kind` at byte `position`.
    pub const fn new(kind: XmlErrorKind, position: u64) -> Self {
        Self { kind, position }
    }
}

/// Whether `c` is a character XML 1.0 §2.2 allows (`Char` production). Surrogates cannot occur
/// in a Rust `char`.
pub const fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether an 8-byte word holds a C0 control other than tab, LF and CR, or a 0xEF byte (the
/// only bytes that can start a character XML 1.0 §2.2 forbids). Uses the exact "zero byte"
/// word mask, so tab, LF and CR never make a word suspicious; a suspicious word is then
/// checked character by character.
const fn suspicious(word: u64) -> bool {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const fn bytes(b: u8) -> u64 {
        0x0101_0101_0101_0101 * b as u64
    }
    /// 0x80 in every byte of `x` that is zero, nothing elsewhere.
    const fn zero_bytes(x: u64) -> u64 {
        !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
    }
    // b < 0x20 exactly when its three high bits are clear.
    let control = zero_bytes(word & bytes(0xE0));
    let allowed = zero_bytes(word ^ bytes(b'\t'))
        | zero_bytes(word ^ bytes(b'\n'))
        | zero_bytes(word ^ bytes(b'\r'));
    (control & !allowed) | zero_bytes(word ^ bytes(0xEF)) != 0
}

/// Byte offset and code point of the first character of `s` that XML 1.0 §2.2 forbids.
pub(crate) fn first_forbidden(s: &str) -> Option<(usize, u32)> {
    // Fast path: 8-byte words without a forbidden control or 0xEF are skipped; a suspicious
    // word is checked by characters, from the character
    // boundary at or before it to the one 3 bytes past it (a U+FFFE / U+FFFF started in the
    // word ends there). Linear: each window is at most 14 bytes.
    let bytes = s.as_bytes();
    let chunks = bytes.chunks_exact(8);
    let tail_start = bytes.len() - chunks.remainder().len();
    let boundary_back = |k: usize| (0..=k).rev().find(|&j| s.is_char_boundary(j)).unwrap_or(0);
    let boundary_fwd = |k: usize| {
        (k.min(bytes.len())..=bytes.len())
            .find(|&j| s.is_char_boundary(j))
            .unwrap_or(bytes.len())
    };
    let scan = |start: usize, end: usize| {
        s.get(start..end)
            .and_then(|part| part.char_indices().find(|(_, c)| !is_xml_char(*c)))
            .map(|(i, c)| (start + i, u32::from(c)))
    };
    for (i, chunk) in chunks.enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        if suspicious(word) {
            let found = scan(boundary_back(i * 8), boundary_fwd(i * 8 + 11));
            if found.is_some() {
                return found;
            }
        }
    }
    scan(boundary_back(tail_start), bytes.len())
}

#[cfg(test)]
mod tests;
