//! The few PKCS#15 (ISO/IEC 7816-15) structures the CPS needs: EF(ODF), and the common shape of
//! CDF, DODF and AODF entries (label, identifier, path, PIN attributes).

use crate::error::{Error, Result};
use crate::tlv::{BerReader, Tag, Tlv};

/// File identifier of EF(ODF) in the PKCS#15 application DF (ISO/IEC 7816-15 §8.2).
pub const ODF_FID: [u8; 2] = [0x50, 0x31];

/// Kinds of directory files listed in EF(ODF) (ISO/IEC 7816-15 §8.3, `PKCS15Objects` tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryKind {
    /// `A0` private keys (PrKDF).
    PrivateKeys,
    /// `A4` certificates (CDF).
    Certificates,
    /// `A5` trusted certificates.
    TrustedCertificates,
    /// `A6` useful certificates.
    UsefulCertificates,
    /// `A7` data objects (DODF).
    DataObjects,
    /// `A8` authentication objects (AODF).
    AuthObjects,
    /// Any other entry (public/secret keys).
    Other(u8),
}

impl DirectoryKind {
    fn from_tag(t: Tag) -> Self {
        match t.0 {
            0xA0 => Self::PrivateKeys,
            0xA4 => Self::Certificates,
            0xA5 => Self::TrustedCertificates,
            0xA6 => Self::UsefulCertificates,
            0xA7 => Self::DataObjects,
            0xA8 => Self::AuthObjects,
            x => Self::Other(x as u8),
        }
    }
}

/// One EF(ODF) entry: a directory file and its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdfEntry {
    /// What the directory lists.
    pub kind: DirectoryKind,
    /// Its path (`Path.efidOrPath`).
    pub path: Vec<u8>,
}

fn path_of(t: &Tlv<'_>) -> Result<Option<Vec<u8>>> {
    // Path ::= SEQUENCE { efidOrPath OCTET STRING, index INTEGER OPTIONAL, length [0] OPTIONAL }
    for item in t.children() {
        let item = item?;
        if item.tag == Tag(0x30)
            && let Some(p) = item.child(Tag(0x04))?
        {
            return Ok(Some(p.value.to_vec()));
        }
        if item.tag == Tag(0x04) {
            return Ok(Some(item.value.to_vec()));
        }
    }
    Ok(None)
}

/// Parses EF(ODF) (zero padding after the last entry is allowed).
pub fn parse_odf(data: &[u8]) -> Result<Vec<OdfEntry>> {
    let mut out = Vec::new();
    for item in BerReader::new(data)?.skip_padding() {
        let item = item?;
        let path = path_of(&item)?.ok_or(Error::Data {
            object: "EF(ODF)",
            reason: "entry without a path",
        })?;
        out.push(OdfEntry {
            kind: DirectoryKind::from_tag(item.tag),
            path,
        });
    }
    Ok(out)
}

/// One object of a CDF, DODF, PrKDF or AODF: label, identifier and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// `CommonObjectAttributes.label`.
    pub label: String,
    /// `iD` of certificates and keys, or `authId` of PINs, when present.
    pub id: Option<Vec<u8>>,
    /// Path of the object's content, when stored indirectly.
    pub path: Option<Vec<u8>>,
    /// PIN attributes (AODF entries only).
    pub pin: Option<PinAttributes>,
}

/// `PinAttributes` of an AODF entry (ISO/IEC 7816-15 §8.8 / PKCS#15 v1.1 §6.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinAttributes {
    /// `minLength`.
    pub min_length: u8,
    /// `storedLength`.
    pub stored_length: u8,
    /// `pinReference` (`[0] INTEGER`), the P2 of VERIFY.
    pub reference: Option<u8>,
    /// `padChar`.
    pub pad_char: Option<u8>,
}

fn small_int(v: &[u8]) -> u8 {
    v.last().copied().unwrap_or(0)
}

/// Parses a directory file (CDF, DODF, PrKDF, AODF): every entry's label, identifier and path.
pub fn parse_directory(data: &[u8], object: &'static str) -> Result<Vec<Object>> {
    let bad = |reason| Error::Data { object, reason };
    let mut out = Vec::new();
    for entry in BerReader::new(data)?.skip_padding() {
        let entry = entry?;
        let mut parts = entry.children();
        let common = parts.next().ok_or(bad("entry without attributes"))??;
        let label = match common.child(Tag(0x0C))? {
            Some(l) => {
                String::from_utf8(l.value.to_vec()).map_err(|_| bad("label is not UTF-8"))?
            }
            None => String::new(),
        };
        let mut id = common.child(Tag(0x04))?.map(|t| t.value.to_vec());
        let mut path = None;
        let mut pin = None;
        for part in parts {
            let part = part?;
            match part.tag.0 {
                // Class attributes: iD (certificates, keys, authId of PINs).
                0x30 => {
                    if let Some(i) = part.child(Tag(0x04))? {
                        id = Some(i.value.to_vec());
                    }
                }
                // Type attributes: [1] { SEQUENCE { ..., Path } }.
                0xA1 => {
                    for attrs in part.children() {
                        let attrs = attrs?;
                        if path.is_none() {
                            path = path_of(&attrs)?;
                        }
                        if entry.tag == Tag(0x30) && object == "AODF" {
                            pin = Some(pin_attributes(&attrs)?);
                        }
                    }
                }
                _ => {}
            }
        }
        out.push(Object {
            label,
            id,
            path,
            pin,
        });
    }
    Ok(out)
}

fn pin_attributes(attrs: &Tlv<'_>) -> Result<PinAttributes> {
    let mut ints = Vec::new();
    let mut reference = None;
    let mut pad_char = None;
    for item in attrs.children() {
        let item = item?;
        match item.tag.0 {
            0x02 => ints.push(small_int(item.value)),
            0x80 => reference = Some(small_int(item.value)),
            0x04 => pad_char = item.value.first().copied(),
            _ => {}
        }
    }
    Ok(PinAttributes {
        min_length: ints.first().copied().unwrap_or(0),
        stored_length: ints.get(1).copied().unwrap_or(0),
        reference,
        pad_char,
    })
}

/// Builders of PKCS#15 structures, used by simulators and tests.
pub mod build {
    use crate::tlv::{Tag, encode};

    fn path(p: &[u8]) -> Vec<u8> {
        let mut inner = Vec::new();
        encode(Tag(0x04), p, &mut inner);
        let mut out = Vec::new();
        encode(Tag(0x30), &inner, &mut out);
        out
    }

    /// One EF(ODF) entry.
    pub fn odf_entry(tag: u8, p: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(Tag(u32::from(tag)), &path(p), &mut out);
        out
    }

    /// A CDF/DODF entry with `label`, optional `id`, and the content at `p`.
    pub fn object(label: &str, id: Option<&[u8]>, p: &[u8]) -> Vec<u8> {
        let mut common = Vec::new();
        encode(Tag(0x0C), label.as_bytes(), &mut common);
        let mut body = Vec::new();
        encode(Tag(0x30), &common, &mut body);
        if let Some(id) = id {
            let mut class = Vec::new();
            encode(Tag(0x04), id, &mut class);
            encode(Tag(0x30), &class, &mut body);
        }
        let mut typed = Vec::new();
        encode(Tag(0x30), &path(p), &mut typed);
        encode(Tag(0xA1), &typed, &mut body);
        let mut out = Vec::new();
        encode(Tag(0x30), &body, &mut out);
        out
    }

    /// An AODF PIN entry.
    pub fn pin(
        label: &str,
        auth_id: &[u8],
        min: u8,
        stored: u8,
        reference: u8,
        pad: u8,
    ) -> Vec<u8> {
        let mut common = Vec::new();
        encode(Tag(0x0C), label.as_bytes(), &mut common);
        let mut body = Vec::new();
        encode(Tag(0x30), &common, &mut body);
        let mut class = Vec::new();
        encode(Tag(0x04), auth_id, &mut class);
        encode(Tag(0x30), &class, &mut body);
        let mut attrs = Vec::new();
        encode(Tag(0x03), &[0x02, 0x4C], &mut attrs);
        encode(Tag(0x0A), &[0x01], &mut attrs);
        encode(Tag(0x02), &[min], &mut attrs);
        encode(Tag(0x02), &[stored], &mut attrs);
        encode(Tag(0x80), &[reference], &mut attrs);
        encode(Tag(0x04), &[pad], &mut attrs);
        let mut seq = Vec::new();
        encode(Tag(0x30), &attrs, &mut seq);
        encode(Tag(0xA1), &seq, &mut body);
        let mut out = Vec::new();
        encode(Tag(0x30), &body, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odf_cdf_aodf_round_trip() {
        let mut odf = build::odf_entry(0xA4, &[0x3F, 0x00, 0x50, 0x01]);
        odf.extend(build::odf_entry(0xA8, &[0x50, 0x02]));
        odf.extend([0, 0, 0]);
        let e = parse_odf(&odf).unwrap();
        assert_eq!(e[0].kind, DirectoryKind::Certificates);
        assert_eq!(e[1].path, [0x50, 0x02]);
        let cdf = build::object(
            "Certificat d'Authentification CPS",
            Some(&[2]),
            &[0x3F, 0x00, 0xC0, 0x01],
        );
        let objs = parse_directory(&cdf, "CDF").unwrap();
        assert_eq!(objs[0].label, "Certificat d'Authentification CPS");
        assert_eq!(objs[0].id.as_deref(), Some(&[2][..]));
        assert_eq!(objs[0].path.as_deref(), Some(&[0x3F, 0x00, 0xC0, 0x01][..]));
        let aodf = build::pin("PIN", &[1], 4, 8, 0x81, 0xFF);
        let p = parse_directory(&aodf, "AODF").unwrap()[0].pin.unwrap();
        assert_eq!(
            (p.min_length, p.stored_length, p.reference, p.pad_char),
            (4, 8, Some(0x81), Some(0xFF))
        );
    }
}
