//! The one escaping writer of the SDK.

use std::borrow::Cow;

use super::{XmlError, XmlLimits, XmlReader, is_xml_char};

/// Why XML could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlWriteError {
    /// A character XML 1.0 §2.2 cannot carry, even as a character reference (NUL, C0 controls
    /// other than tab, LF, CR; U+FFFE, U+FFFF).
    #[error(
        "character U+{code_point:04X} at byte {offset} of a value cannot be written in XML 1.0"
    )]
    ForbiddenChar {
        /// The refused code point.
        code_point: u32,
        /// Byte offset in the value given to the writer.
        offset: usize,
    },
    /// An element or attribute name that is not an XML name (XML 1.0 §2.3, `Name`).
    #[error("invalid XML name")]
    InvalidName,
    /// [`XmlWriter::end`] without an open element.
    #[error("no open element to close")]
    NothingToClose,
    /// [`XmlWriter::finish`] with elements still open, or a second root element.
    #[error("{open} element(s) left open")]
    Unbalanced {
        /// Elements still open.
        open: usize,
    },
    /// A pre-serialised fragment given to [`XmlWriter::fragment`] is not a well-formed element.
    #[error("fragment is not well-formed XML: {0}")]
    Fragment(XmlError),
}

fn check_chars(s: &str) -> Result<(), XmlWriteError> {
    match s.char_indices().find(|(_, c)| !is_xml_char(*c)) {
        Some((offset, c)) => Err(XmlWriteError::ForbiddenChar {
            code_point: u32::from(c),
            offset,
        }),
        None => Ok(()),
    }
}

fn escape(s: &str, attribute: bool) -> Result<Cow<'_, str>, XmlWriteError> {
    check_chars(s)?;
    let special = |c: char| match c {
        '&' | '<' | '>' | '\r' => true,
        '"' | '\'' | '\t' | '\n' => attribute,
        _ => false,
    };
    if !s.contains(special) {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // XML 1.0 §2.11 would turn a literal CR into LF, §3.3.3 tab/LF in attributes into
            // spaces: written as references they survive.
            '\r' => out.push_str("&#xD;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\t' if attribute => out.push_str("&#x9;"),
            '\n' if attribute => out.push_str("&#xA;"),
            c => out.push(c),
        }
    }
    Ok(Cow::Owned(out))
}

/// Escapes character data for element content (XML 1.0 §2.4), refusing characters XML 1.0
/// cannot carry.
pub fn escape_text(s: &str) -> Result<Cow<'_, str>, XmlWriteError> {
    escape(s, false)
}

/// Escapes an attribute value for a double- or single-quoted attribute (XML 1.0 §3.1, §3.3.3),
/// refusing characters XML 1.0 cannot carry.
pub fn escape_attribute(s: &str) -> Result<Cow<'_, str>, XmlWriteError> {
    escape(s, true)
}

/// Checks a qualified name against XML 1.0 §2.3 `Name` (ASCII punctuation and controls refused;
/// non-ASCII letters accepted) with at most one `:` that is neither first nor last (Namespaces
/// in XML 1.0 §4, `QName`).
fn check_name(name: &str) -> Result<(), XmlWriteError> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic() || (!c.is_ascii() && is_xml_char(c)));
    let rest_ok = name.chars().all(|c| {
        c == '_'
            || c == '-'
            || c == '.'
            || c == ':'
            || c.is_ascii_alphanumeric()
            || (!c.is_ascii() && is_xml_char(c) && !c.is_whitespace())
    });
    let colons = name.matches(':').count();
    if first_ok && rest_ok && colons <= 1 && !name.ends_with(':') {
        Ok(())
    } else {
        Err(XmlWriteError::InvalidName)
    }
}

/// Writes XML into a string: escaped text and attributes, balanced elements, valid names.
///
/// ```
/// use segur_net::xml::XmlWriter;
/// let mut w = XmlWriter::new();
/// w.start("a", &[("xmlns", "urn:x"), ("v", "1 < 2")])?;
/// w.text("Tom & Jerry")?;
/// w.end()?;
/// assert_eq!(w.finish()?, r#"<a xmlns="urn:x" v="1 &lt; 2">Tom &amp; Jerry</a>"#);
/// # Ok::<(), segur_net::xml::XmlWriteError>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct XmlWriter {
    out: String,
    open: Vec<String>,
    roots: usize,
}

impl XmlWriter {
    /// An empty writer (no XML declaration).
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer that starts with `<?xml version="1.0" encoding="UTF-8"?>`.
    pub fn with_declaration() -> Self {
        Self {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            ..Self::default()
        }
    }

    fn open_tag(&mut self, name: &str, attributes: &[(&str, &str)]) -> Result<(), XmlWriteError> {
        check_name(name)?;
        if self.open.is_empty() {
            if self.roots > 0 {
                return Err(XmlWriteError::Unbalanced { open: 0 });
            }
            self.roots += 1;
        }
        let mut tag = String::with_capacity(name.len() + 2);
        tag.push('<');
        tag.push_str(name);
        for (k, v) in attributes {
            check_name(k)?;
            tag.push(' ');
            tag.push_str(k);
            tag.push_str("=\"");
            tag.push_str(&escape_attribute(v)?);
            tag.push('"');
        }
        self.out.push_str(&tag);
        Ok(())
    }

    /// Opens the element `name` (a qualified name) with `attributes` (namespace declarations
    /// are written as attributes: `("xmlns:soap", URI)`).
    pub fn start(&mut self, name: &str, attributes: &[(&str, &str)]) -> Result<(), XmlWriteError> {
        self.open_tag(name, attributes)?;
        self.out.push('>');
        self.open.push(name.to_owned());
        Ok(())
    }

    /// Writes the empty element `name`.
    pub fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) -> Result<(), XmlWriteError> {
        self.open_tag(name, attributes)?;
        self.out.push_str("/>");
        Ok(())
    }

    /// Writes `<name>text</name>`.
    pub fn element(
        &mut self,
        name: &str,
        attributes: &[(&str, &str)],
        text: &str,
    ) -> Result<(), XmlWriteError> {
        let escaped = escape_text(text)?;
        self.start(name, attributes)?;
        self.out.push_str(&escaped);
        self.end()
    }

    /// Writes escaped character data in the open element.
    pub fn text(&mut self, text: &str) -> Result<(), XmlWriteError> {
        if self.open.is_empty() {
            return Err(XmlWriteError::Unbalanced { open: 0 });
        }
        let escaped = escape_text(text)?;
        self.out.push_str(&escaped);
        Ok(())
    }

    /// Inserts a pre-serialised element (a signed SAML assertion, a request body built
    /// elsewhere) byte for byte, after checking with the hardened reader that it is one
    /// well-formed element declaring the namespaces it uses.
    pub fn fragment(&mut self, xml: &str) -> Result<(), XmlWriteError> {
        if self.open.is_empty() && self.roots > 0 {
            return Err(XmlWriteError::Unbalanced { open: 0 });
        }
        let limits = XmlLimits {
            max_bytes: usize::MAX,
            ..XmlLimits::default()
        };
        XmlReader::new(xml.as_bytes(), limits)
            .and_then(XmlReader::check)
            .map_err(XmlWriteError::Fragment)?;
        if self.open.is_empty() {
            self.roots += 1;
        }
        self.out.push_str(xml);
        Ok(())
    }

    /// Closes the innermost open element.
    pub fn end(&mut self) -> Result<(), XmlWriteError> {
        let name = self.open.pop().ok_or(XmlWriteError::NothingToClose)?;
        self.out.push_str("</");
        self.out.push_str(&name);
        self.out.push('>');
        Ok(())
    }

    /// Number of open elements.
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    /// The document; every element must be closed.
    pub fn finish(self) -> Result<String, XmlWriteError> {
        if !self.open.is_empty() {
            return Err(XmlWriteError::Unbalanced {
                open: self.open.len(),
            });
        }
        Ok(self.out)
    }
}
