//! 2D-Doc (ANTS / France Titres): parse and verify.
//!
//! Implements the *Spécifications techniques des codes à barres 2D-Doc* v3.2.6: headers of
//! versions 02, 03 and 04 in C40 and the binary v04 header (§3.3), the message zone split by
//! data identifier (§3.4: fixed-length fields, variable fields ended by GS, truncated fields
//! ended by RS), the signature zone (§3.5: Base32 after US in C40, a `0xFF` block in
//! binary), and the unsigned annex of v04 (§3.6). Signatures are verified over the bytes as
//! read, from the header up to the signature, never over re-serialised fields
//! ([`verify`]).
//!
//! Version 01 is refused: its Base256 signature can only be split from the message on the
//! raw Data Matrix codewords, which decoders do not return.

pub mod catalogue;
pub mod header;
pub mod verify;

use crate::error::{Error, Result};
pub use catalogue::DataIdDefinition;
pub use header::{Encoding, Header};
use std::fmt;

/// Largest code accepted: a 144×144 Data Matrix holds 1,558 bytes; a multi-code set up to
/// 16 of them (§3.7).
pub const MAX_CODE_LEN: usize = 16 * 1558;

const GS: u8 = 0x1D;
const RS: u8 = 0x1E;
const US: u8 = 0x1F;

/// One data field of the message or annex. `Debug` hides the value (2D-Docs carry names,
/// birth dates, health results).
#[derive(Clone, PartialEq, Eq)]
pub struct Field<'a> {
    /// Data identifier: 2 characters in C40, the byte in hex in binary.
    pub id: String,
    /// Value bytes as read (C40: ASCII; binary: raw, see [`header::c40_unpack`]).
    pub value: &'a [u8],
    /// The field ended with RS: the value was truncated by the issuer (§3.4.1).
    pub truncated: bool,
    /// Catalogue entry, when the DI is known (C40 perimeter 01).
    pub definition: Option<&'static DataIdDefinition>,
}

impl Field<'_> {
    /// The value as text (C40 values are ASCII; invalid bytes are shown as U+FFFD).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.value)
    }
}

impl fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Field")
            .field("id", &self.id)
            .field(
                "value",
                &format_args!("<{} bytes redacted>", self.value.len()),
            )
            .field("truncated", &self.truncated)
            .finish()
    }
}

/// A parsed 2D-Doc, borrowing the code it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoDDoc<'a> {
    /// The header.
    pub header: Header,
    /// Message fields in code order.
    pub fields: Vec<Field<'a>>,
    /// Message bytes left unparsed from this offset on, because a DI is not in the catalogue
    /// (never guessed; the signature still covers them).
    pub unparsed: Option<(usize, &'a [u8])>,
    /// The signature, raw `r‖s` (§3.5.2).
    pub signature: Vec<u8>,
    /// Annex fields (v04): **not signed**, never to be trusted.
    pub annex: Vec<Field<'a>>,
    signed: &'a [u8],
}

impl<'a> TwoDDoc<'a> {
    /// The signed bytes: header and message exactly as read (§3.5.1).
    pub fn signed_data(&self) -> &'a [u8] {
        self.signed
    }

    /// The first message field with this identifier.
    pub fn field(&self, id: &str) -> Option<&Field<'a>> {
        self.fields.iter().find(|f| f.id == id)
    }
}

/// Parses a decoded 2D-Doc (the raw bytes of the symbol, separators included).
pub fn parse(code: &[u8]) -> Result<TwoDDoc<'_>> {
    if code.len() > MAX_CODE_LEN {
        return Err(Error::TooLong {
            len: code.len(),
            max: MAX_CODE_LEN,
        });
    }
    match code {
        [0xDC, ..] => parse_binary(code),
        [b'D', b'C', ..] => parse_c40(code),
        _ => Err(Error::TwoDDocHeader {
            reason: "does not start with DC or 0xDC",
            position: 0,
        }),
    }
}

fn parse_c40(code: &[u8]) -> Result<TwoDDoc<'_>> {
    let header = header::parse_c40(code)?;
    let us = code
        .iter()
        .position(|&b| b == US)
        .ok_or(Error::TwoDDocSignatureFormat(
            "no US (0x1F) before a signature",
        ))?;
    if us < header.len {
        return Err(Error::TwoDDocHeader {
            reason: "US inside the header",
            position: us,
        });
    }
    let (fields, unparsed) = parse_c40_fields(code, header.len, us)?;
    let (signed, sig_zone) = code.split_at_checked(us).unwrap_or((code, &[]));
    // After the US: Base32 up to the first byte outside its alphabet (§3.5.2).
    let sig_zone = sig_zone.get(1..).unwrap_or_default();
    let sig_len = sig_zone
        .iter()
        .position(|b| !matches!(b, b'A'..=b'Z' | b'2'..=b'7'))
        .unwrap_or(sig_zone.len());
    let (sig_text, after_sig) = sig_zone
        .split_at_checked(sig_len)
        .unwrap_or((sig_zone, &[]));
    let signature = data_encoding::BASE32_NOPAD
        .decode(sig_text)
        .map_err(|_| Error::TwoDDocSignatureFormat("signature is not unpadded Base32"))?;
    check_signature_len(signature.len())?;
    let after = us + 1 + sig_len;
    let annex = match after_sig.first() {
        None => Vec::new(),
        Some(&GS) if header.version >= 4 => {
            let (annex, rest) = parse_c40_fields(code, after + 1, code.len())?;
            if let Some((position, _)) = rest {
                return Err(Error::TwoDDocMessage {
                    reason: "unknown data identifier in annex",
                    position,
                });
            }
            annex
        }
        Some(_) => {
            return Err(Error::TwoDDocSignatureFormat(
                "unexpected byte after the signature",
            ));
        }
    };
    Ok(TwoDDoc {
        header,
        fields,
        unparsed,
        signature,
        annex,
        signed,
    })
}

/// A code's signature length maps to its curve (§3.5.2): 64 bytes P-256, 96 P-384, 132 P-521.
fn check_signature_len(len: usize) -> Result<()> {
    match len {
        64 | 96 | 132 => Ok(()),
        _ => Err(Error::TwoDDocSignatureFormat(
            "signature length is not 64, 96 or 132 bytes",
        )),
    }
}

type Fields<'a> = (Vec<Field<'a>>, Option<(usize, &'a [u8])>);

/// Splits `code[start..end]` into C40 fields (§3.4.1). Positions in errors and in the
/// unparsed remainder are offsets in `code`.
fn parse_c40_fields(code: &[u8], start: usize, end: usize) -> Result<Fields<'_>> {
    let err = |reason, position| Error::TwoDDocMessage { reason, position };
    let zone = code
        .get(start..end)
        .ok_or(err("zone outside the code", start))?;
    let mut fields = Vec::new();
    let mut rest = zone;
    while !rest.is_empty() {
        let p = start + (zone.len() - rest.len());
        let Some((id, after_id)) = rest.split_first_chunk::<2>() else {
            return Err(err("data identifier cut short", p));
        };
        if !id
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(err("data identifier outside A-Z0-9", p));
        }
        let Some(def) = catalogue::lookup(id) else {
            return Ok((fields, Some((p, rest))));
        };
        let v = p + 2;
        let (value, consumed, truncated) = match def.fixed_len() {
            Some(n) => {
                let value = after_id
                    .get(..n)
                    .ok_or(err("fixed-length field cut short", v))?;
                // A separator after a fixed field is not needed but tolerated (§3.4.1: "le
                // séparateur peut apparaître sur les derniers champs").
                let gs = usize::from(after_id.get(n) == Some(&GS));
                (value, n + gs, false)
            }
            None => {
                // Up to the first GS or RS within `max` bytes, else `max` bytes (or the
                // rest of the zone); the separator right after the value is consumed.
                let max = def.max.map_or(usize::MAX, usize::from);
                let len = after_id
                    .iter()
                    .take(max)
                    .position(|&b| b == GS || b == RS)
                    .unwrap_or(after_id.len().min(max));
                let value = after_id.get(..len).unwrap_or_default();
                match after_id.get(len) {
                    Some(&GS) => (value, len + 1, false),
                    Some(&RS) => (value, len + 1, true),
                    _ => (value, len, false),
                }
            }
        };
        if let Some(i) = value.iter().position(|b| !(0x20..0x7F).contains(b)) {
            return Err(err("value byte outside printable ASCII", v + i));
        }
        if value.len() < usize::from(def.min) {
            return Err(err("value shorter than its minimum length", v));
        }
        fields.push(Field {
            id: def.id.to_owned(),
            value,
            truncated,
            definition: Some(def),
        });
        rest = after_id.get(consumed..).unwrap_or_default();
    }
    Ok((fields, None))
}

/// Reads one binary block `DI, length, value` (§3.4.2). Returns (di, value, next offset).
fn binary_block(code: &[u8], p: usize) -> Result<(u8, &[u8], usize)> {
    let err = |reason, position| Error::TwoDDocMessage { reason, position };
    let rest = code.get(p..).unwrap_or_default();
    // The length is 1 byte, or 0xFF and 2 bytes; the signature block (DI 0xFF) always has a
    // 1-byte length.
    let (di, len, value_at) = match *rest {
        [] => return Err(err("block missing", p)),
        [_] => return Err(err("block length missing", p + 1)),
        [di, 0xFF, high, low, ..] if di != 0xFF => {
            (di, usize::from(u16::from_be_bytes([high, low])), 4)
        }
        [di, 0xFF, ..] if di != 0xFF => return Err(err("block length cut short", p + 2)),
        [di, l, ..] => (di, usize::from(l), 2),
    };
    let value = rest
        .get(value_at..value_at + len)
        .ok_or(err("block value cut short", p + value_at))?;
    Ok((di, value, p + value_at + len))
}

fn parse_binary(code: &[u8]) -> Result<TwoDDoc<'_>> {
    let header = header::parse_binary(code)?;
    let mut fields = Vec::new();
    let mut p = header.len;
    let (signed_end, signature, after) = loop {
        if p >= code.len() {
            return Err(Error::TwoDDocSignatureFormat("no signature block (0xFF)"));
        }
        let (di, value, next) = binary_block(code, p)?;
        if di == 0xFF {
            break (p, value.to_vec(), next);
        }
        fields.push(Field {
            id: format!("{di:02X}"),
            value,
            truncated: false,
            definition: None,
        });
        p = next;
    };
    check_signature_len(signature.len())?;
    let mut annex = Vec::new();
    let mut p = after;
    while p < code.len() {
        let (di, value, next) = binary_block(code, p)?;
        annex.push(Field {
            id: format!("{di:02X}"),
            value,
            truncated: false,
            definition: None,
        });
        p = next;
    }
    Ok(TwoDDoc {
        header,
        fields,
        unparsed: None,
        signature,
        annex,
        signed: code.get(..signed_end).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> Vec<u8> {
        s.replace("<GS>", "\u{1d}")
            .replace("<RS>", "\u{1e}")
            .replace("<US>", "\u{1f}")
            .into_bytes()
    }

    #[test]
    fn truncated_field_and_annex() {
        let sig = "A".repeat(103);
        let c = code(&format!(
            "DC04FR000001125E125B0126FR2CMARSE<RS>2475000<US>{sig}<GS>2CANNEX"
        ));
        let doc = parse(&c).unwrap();
        assert_eq!(doc.fields[0].id, "2C");
        assert!(doc.fields[0].truncated);
        assert_eq!(doc.fields[1].text(), "75000");
        assert_eq!(doc.annex.len(), 1);
        assert_eq!(doc.annex[0].text(), "ANNEX");
        assert_eq!(doc.signature, vec![0u8; 64]);
    }

    #[test]
    fn unknown_di_leaves_remainder() {
        let sig = "A".repeat(103);
        let c = code(&format!(
            "DC04FR000001125E125B0126FR2475000ZZSOMETHING<US>{sig}"
        ));
        let doc = parse(&c).unwrap();
        assert_eq!(doc.fields.len(), 1);
        assert_eq!(doc.unparsed, Some((33, &b"ZZSOMETHING"[..])));
    }

    #[test]
    fn signature_length_is_checked() {
        let c = code(&format!(
            "DC04FR000001125E125B0126FR2475000<US>{}",
            "A".repeat(100)
        ));
        assert!(matches!(parse(&c), Err(Error::TwoDDocSignatureFormat(_))));
        let c = code("DC04FR000001125E125B0126FR2475000");
        assert!(matches!(parse(&c), Err(Error::TwoDDocSignatureFormat(_))));
    }

    #[test]
    fn every_cut_and_multibyte_byte_is_a_typed_error_in_bounds() {
        let sig = "A".repeat(103);
        let c40 = code(&format!(
            "DC04FR000001125E125B0126FR2CMARSE<RS>2475000<US>{sig}<GS>2CANNEX"
        ));
        let mut binary = vec![0xDC, 0x04, 0x7B, 0xA7, 0x7B, 0x9D, 0x20, 0x0F, 0x2D, 0x0A];
        binary.extend_from_slice(&[0x5F, 0xB3, 0xE1, 0x99, 0x61, 0xB0, 0x07, 0x00, 0x01]);
        binary.extend_from_slice(&[0x0A, 0xFF, 0x00, 0x04, 0x5A, 0x94, 0xB3, 0xDE]);
        binary.extend_from_slice(&[0xFF, 64]);
        binary.extend_from_slice(&[7u8; 64]);
        assert!(parse(&binary).is_ok());
        for whole in [&c40, &binary] {
            for len in 0..whole.len() {
                let cut = whole.get(..len).unwrap_or_default();
                if let Err(
                    Error::TwoDDocHeader { position, .. } | Error::TwoDDocMessage { position, .. },
                ) = parse(cut)
                {
                    assert!(position <= len, "{len}: {position}");
                }
            }
        }
        // A multibyte character in a header, a value and the signature.
        for (from, to) in [("FR0000", "FRÉ000"), ("MARSE", "MARSÉ"), ("AAAA", "AÉAA")] {
            let text = format!("DC04FR000001125E125B0126FR2CMARSE<RS>2475000<US>{sig}");
            let c = code(&text.replacen(from, to, 1));
            assert!(parse(&c).is_err(), "{to}");
        }
    }

    #[test]
    fn binary_code() {
        let mut c = vec![0xDC, 0x04, 0x7B, 0xA7, 0x7B, 0x9D, 0x20, 0x0F, 0x2D, 0x0A];
        c.extend_from_slice(&[0x5F, 0xB3, 0xE1, 0x99, 0x61, 0xB0, 0x07, 0x00, 0x01]);
        c.extend_from_slice(&[0x0A, 0x04, 0x5A, 0x94, 0xB3, 0xDE, 0xAF, 0x00]);
        c.push(0xFF);
        c.push(64);
        c.extend_from_slice(&[7u8; 64]);
        c.extend_from_slice(&[0x01, 0x02, 0xAB, 0xCD]);
        let doc = parse(&c).unwrap();
        assert_eq!(doc.fields.len(), 2);
        assert_eq!(
            header::c40_unpack(doc.fields[0].value).as_deref(),
            Some("AFNOR1")
        );
        assert_eq!(doc.fields[1].id, "AF");
        assert!(doc.fields[1].value.is_empty());
        assert_eq!(doc.signed_data().len(), 19 + 6 + 2);
        assert_eq!(doc.annex[0].value, &[0xAB, 0xCD]);
    }
}
