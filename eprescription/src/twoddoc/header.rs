//! 2D-Doc headers: C40 (versions 02, 03, 04) and binary (version 04).
//!
//! ANTS *Spécifications techniques des codes à barres 2D-Doc* v3.2.6 §3.3.1–3.3.4.

use crate::error::{Error, Result};
use chrono::{Days, NaiveDate};

/// How the code is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// Text header starting `DC` (§3.3.1).
    C40,
    /// Binary header starting with byte `0xDC` (§3.3.4, version 04 only).
    Binary,
}

/// A parsed 2D-Doc header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Header {
    /// C40 or binary.
    pub encoding: Encoding,
    /// Version, 2 to 4.
    pub version: u8,
    /// Certificate authority id, e.g. `FR01` (2-letter country + 2 characters, §3.3).
    pub ca_id: String,
    /// Certificate id: 4 characters in C40, 5 hex characters in binary (§3.3).
    pub cert_id: String,
    /// Document issue date; `None` for `FFFF` (undated document types, §6.1).
    pub issue_date: Option<NaiveDate>,
    /// Signature creation date; `None` for `FFFF` (never seen in practice).
    pub signature_date: Option<NaiveDate>,
    /// Document type id (2 characters; binary: the byte in hex).
    pub doc_type: String,
    /// Perimeter id; version 02 has none and implies `01`.
    pub perimeter: String,
    /// Issuing country: ISO 3166-1 alpha-2 in C40 v04, alpha-3 in binary; `None` before v04.
    pub country: Option<String>,
    /// Header length in bytes.
    pub len: usize,
}

/// Length of a C40 header per version (§3.3.1: 22, 22, 24, 26).
pub fn c40_header_len(version: u8) -> Option<usize> {
    match version {
        2 => Some(22),
        3 => Some(24),
        4 => Some(26),
        _ => None,
    }
}

/// Length of the binary header (§3.3.4).
pub const BINARY_HEADER_LEN: usize = 19;

/// `2000-01-01 + n days` from 4 hex digits, `FFFF` = no date (§3.3.1).
pub fn hex_days_date(field: &[u8], position: usize) -> Result<Option<NaiveDate>> {
    let err = Error::TwoDDocHeader {
        reason: "date is not 4 hex digits",
        position,
    };
    if field.len() != 4
        || !field
            .iter()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
    {
        return Err(err);
    }
    if field == b"FFFF" {
        return Ok(None);
    }
    let text = std::str::from_utf8(field).map_err(|_| err.clone())?;
    let days = u64::from_str_radix(text, 16).map_err(|_| err.clone())?;
    Ok(epoch().checked_add_days(Days::new(days)))
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// Parses a C40 header at the start of `code` (which starts with `DC`).
pub fn parse_c40(code: &[u8]) -> Result<Header> {
    let err = |reason, position| Error::TwoDDocHeader { reason, position };
    let version = match code {
        [_, _, a, b, ..] if a.is_ascii_digit() && b.is_ascii_digit() => {
            (a - b'0') * 10 + (b - b'0')
        }
        [_, _, _, _, ..] => return Err(err("version is not 2 digits", 2)),
        _ => return Err(err("shorter than a header", code.len())),
    };
    let len = c40_header_len(version).ok_or(Error::TwoDDocVersion(version))?;
    let h = code
        .get(..len)
        .ok_or(err("shorter than a header", code.len()))?;
    if let Some(p) = h
        .iter()
        .position(|b| !(b.is_ascii_uppercase() || b.is_ascii_digit()))
    {
        return Err(err("header character outside A-Z0-9", p));
    }
    // `h` holds `len` ≥ 22 bytes: every range below is inside it.
    let field = |r: std::ops::Range<usize>| h.get(r).unwrap_or_default();
    let text = |r: std::ops::Range<usize>| String::from_utf8_lossy(field(r)).into_owned();
    if !field(4..6).iter().all(u8::is_ascii_uppercase) {
        return Err(err(
            "certificate authority id does not start with a country code",
            4,
        ));
    }
    Ok(Header {
        encoding: Encoding::C40,
        version,
        ca_id: text(4..8),
        cert_id: text(8..12),
        issue_date: hex_days_date(field(12..16), 12)?,
        signature_date: hex_days_date(field(16..20), 16)?,
        doc_type: text(20..22),
        perimeter: if version >= 3 {
            text(22..24)
        } else {
            "01".to_owned()
        },
        country: if version >= 4 {
            if !field(24..26).iter().all(u8::is_ascii_uppercase) {
                return Err(err("country is not 2 letters", 24));
            }
            Some(text(24..26))
        } else {
            None
        },
        len,
    })
}

/// C40 basic set value → character (ISO/IEC 16022 §5.2.5; values 0-2 are shifts).
fn c40_char(v: u16) -> Option<char> {
    match v {
        3 => Some(' '),
        4..=13 => Some(char::from(b'0' + (v - 4) as u8)),
        14..=39 => Some(char::from(b'A' + (v - 14) as u8)),
        _ => None,
    }
}

/// Unpacks C40 pairs of bytes (`1600·C1 + 40·C2 + C3 + 1`, 2D-Doc §3.3.4 and §10) holding
/// basic-set characters only.
pub fn c40_unpack(bytes: &[u8]) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let mut out = String::with_capacity(bytes.len() / 2 * 3);
    for pair in bytes.chunks_exact(2) {
        let &[high, low] = pair else { return None };
        let v = u16::from_be_bytes([high, low]).checked_sub(1)?;
        if v >= 64000 {
            return None;
        }
        for c in [v / 1600, (v / 40) % 40, v % 40] {
            out.push(c40_char(c)?);
        }
    }
    Some(out)
}

/// `MMJJAAAA` as a 3-byte big-endian integer, `0xFFFFFF` = no date (§3.3.4).
fn mmjjaaaa_date([b0, b1, b2]: [u8; 3], position: usize) -> Result<Option<NaiveDate>> {
    let v = u32::from_be_bytes([0, b0, b1, b2]);
    if v == 0x00FF_FFFF {
        return Ok(None);
    }
    let (month, day, year) = (v / 1_000_000, (v / 10_000) % 100, v % 10_000);
    NaiveDate::from_ymd_opt(year as i32, month, day)
        .map(Some)
        .ok_or(Error::TwoDDocHeader {
            reason: "binary date is not a calendar date",
            position,
        })
}

/// Parses a binary v04 header (first byte `0xDC`).
pub fn parse_binary(code: &[u8]) -> Result<Header> {
    let err = |reason, position| Error::TwoDDocHeader { reason, position };
    let Some(header) = code.first_chunk::<BINARY_HEADER_LEN>() else {
        return Err(err("shorter than a binary header", code.len()));
    };
    let &[
        _,
        version,
        c0,
        c1,
        i0,
        i1,
        i2,
        i3,
        i4,
        i5,
        d0,
        d1,
        d2,
        s0,
        s1,
        s2,
        doc_type,
        p0,
        p1,
    ] = header;
    if version != 4 {
        return Err(Error::TwoDDocVersion(version));
    }
    let country = c40_unpack(&[c0, c1]).ok_or(err("country is not C40", 2))?;
    let ids = c40_unpack(&[i0, i1, i2, i3, i4, i5])
        .ok_or(err("authority/certificate ids are not C40", 4))?;
    // 9 C40 basic-set characters (ASCII): 4 for the authority, 5 for the certificate.
    let (ca_id, cert_id) = ids
        .split_at_checked(4)
        .ok_or(err("authority/certificate ids are not C40", 4))?;
    Ok(Header {
        encoding: Encoding::Binary,
        version: 4,
        ca_id: ca_id.to_owned(),
        cert_id: cert_id.to_owned(),
        issue_date: mmjjaaaa_date([d0, d1, d2], 10)?,
        signature_date: mmjjaaaa_date([s0, s1, s2], 13)?,
        doc_type: format!("{doc_type:02X}"),
        perimeter: format!("{:02X}", u16::from_be_bytes([p0, p1])),
        country: Some(country),
        len: BINARY_HEADER_LEN,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn spec_c40_examples() {
        let h2 = parse_c40(b"DC02FR0AXT4A0E840E8A01").unwrap();
        let h3 = parse_c40(b"DC03FR0AXT4A0E840E8A0101").unwrap();
        let h4 = parse_c40(b"DC04FR0AXT4A0E840E8A0101FR").unwrap();
        for h in [&h2, &h3, &h4] {
            assert_eq!(h.ca_id, "FR0A");
            assert_eq!(h.cert_id, "XT4A");
            assert_eq!(h.issue_date, d(2010, 3, 5));
            assert_eq!(h.signature_date, d(2010, 3, 11));
            assert_eq!(h.doc_type, "01");
            assert_eq!(h.perimeter, "01");
        }
        assert_eq!((h2.len, h3.len, h4.len), (22, 24, 26));
        assert_eq!(h4.country.as_deref(), Some("FR"));
        assert_eq!(hex_days_date(b"111E", 0).unwrap(), d(2011, 12, 31));
        assert_eq!(hex_days_date(b"FFFF", 0).unwrap(), None);
    }

    #[test]
    fn bad_headers() {
        assert_eq!(
            parse_c40(b"DC01FR0AXT4A0E840E8A01"),
            Err(Error::TwoDDocVersion(1))
        );
        assert_eq!(
            parse_c40(b"DC05FR0AXT4A0E840E8A0101FR"),
            Err(Error::TwoDDocVersion(5))
        );
        assert!(matches!(
            parse_c40(b"DC04FR0AXT4A0E840E8A01"),
            Err(Error::TwoDDocHeader { .. })
        ));
        assert_eq!(
            parse_c40(b"DC03FR0AXT4A0E8g0E8A0101"),
            Err(Error::TwoDDocHeader {
                reason: "header character outside A-Z0-9",
                position: 15
            })
        );
    }

    #[test]
    fn binary_header_and_c40_packing() {
        assert_eq!(c40_unpack(&[0x7B, 0xA7]).as_deref(), Some("FRA"));
        assert_eq!(
            c40_unpack(&[0x7B, 0x9D, 0x20, 0x0F, 0x2D, 0x0A]).as_deref(),
            Some("FR0112345")
        );
        let mut code = vec![0xDC, 0x04, 0x7B, 0xA7, 0x7B, 0x9D, 0x20, 0x0F, 0x2D, 0x0A];
        code.extend_from_slice(&[0x5F, 0xB3, 0xE1, 0x99, 0x61, 0xB0, 0x07, 0x00, 0x01]);
        let h = parse_binary(&code).unwrap();
        assert_eq!((h.ca_id.as_str(), h.cert_id.as_str()), ("FR01", "12345"));
        assert_eq!(h.country.as_deref(), Some("FRA"));
        assert_eq!(h.issue_date, d(1969, 6, 27));
        assert_eq!(h.signature_date, d(2016, 10, 5));
        assert_eq!((h.doc_type.as_str(), h.perimeter.as_str()), ("07", "01"));
    }
}
