//! Zero-copy TLV parsers: BER-TLV (ISO/IEC 7816-4 §5.2 and ITU-T X.690 §8.1), SIMPLE-TLV
//! (ISO/IEC 7816-4 §5.2.1) and COMPACT-TLV (ISO/IEC 7816-4 §5.2.2, used in ATR historical bytes).
//!
//! Every parser borrows the input, returns typed errors with the byte offset, and enforces a
//! size limit ([`MAX_TLV_INPUT`]).

use crate::error::{Error, Result};

/// The largest input (in bytes) the TLV parsers accept: a whole extended-length response.
pub const MAX_TLV_INPUT: usize = 65_536;

/// Deepest nesting [`crate::asn1::Node::parse`] follows.
pub const MAX_DEPTH: usize = 32;

/// A BER tag, kept as its encoded bytes in a `u32` (e.g. `0x5F37`, `0xBF8101`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u32);

/// The class of a BER tag (X.690 §8.1.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagClass {
    /// `00xxxxxx`
    Universal,
    /// `01xxxxxx`
    Application,
    /// `10xxxxxx`
    ContextSpecific,
    /// `11xxxxxx`
    Private,
}

impl Tag {
    fn first_byte(self) -> u8 {
        let mut v = self.0;
        while v > 0xFF {
            v >>= 8;
        }
        v as u8
    }

    /// Whether the object is constructed (bit b6 of the first tag byte).
    pub fn is_constructed(self) -> bool {
        self.first_byte() & 0x20 != 0
    }

    /// The tag class (bits b8-b7 of the first tag byte).
    pub fn class(self) -> TagClass {
        match self.first_byte() >> 6 {
            0 => TagClass::Universal,
            1 => TagClass::Application,
            2 => TagClass::ContextSpecific,
            _ => TagClass::Private,
        }
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let width = match self.0 {
            0..=0xFF => 2,
            0x100..=0xFFFF => 4,
            0x1_0000..=0xFF_FFFF => 6,
            _ => 8,
        };
        write!(f, "{:0width$X}", self.0, width = width)
    }
}

/// One BER-TLV data object borrowed from its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag.
    pub tag: Tag,
    /// The value field.
    pub value: &'a [u8],
    /// Offset of the tag in the outermost input.
    pub offset: usize,
    /// Offset of the value in the outermost input.
    pub value_offset: usize,
}

impl<'a> Tlv<'a> {
    /// The children of a constructed object (an iterator over its value).
    pub fn children(&self) -> BerReader<'a> {
        BerReader {
            data: self.value,
            pos: 0,
            base: self.value_offset,
            skip_padding: false,
        }
    }

    /// The first child (depth 1) with `tag`.
    pub fn child(&self, tag: Tag) -> Result<Option<Tlv<'a>>> {
        self.children().find_tag(tag)
    }
}

/// Iterator over consecutive BER-TLV objects.
#[derive(Debug, Clone)]
pub struct BerReader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    skip_padding: bool,
}

impl<'a> BerReader<'a> {
    /// Reads `data`; fails if it is larger than [`MAX_TLV_INPUT`].
    pub fn new(data: &'a [u8]) -> Result<Self> {
        if data.len() > MAX_TLV_INPUT {
            return Err(Error::TooLarge {
                what: "TLV input",
                limit: MAX_TLV_INPUT,
            });
        }
        Ok(Self {
            data,
            pos: 0,
            base: 0,
            skip_padding: false,
        })
    }

    /// Skips `00` and `FF` bytes between objects, as ISO/IEC 7816-4 §5.2.2 allows (Vitale
    /// files are zero-padded).
    pub fn skip_padding(mut self) -> Self {
        self.skip_padding = true;
        self
    }

    /// The first object at this level with `tag`.
    pub fn find_tag(self, tag: Tag) -> Result<Option<Tlv<'a>>> {
        for item in self {
            let item = item?;
            if item.tag == tag {
                return Ok(Some(item));
            }
        }
        Ok(None)
    }

    fn err(&self, at: usize, reason: &'static str) -> Error {
        Error::Tlv {
            offset: self.base + at,
            reason,
        }
    }

    fn parse_one(&mut self) -> Result<Tlv<'a>> {
        let start = self.pos;
        let d = self.data;
        let mut i = start;
        let first = *d.get(i).ok_or_else(|| self.err(i, "missing tag"))?;
        i += 1;
        let mut tag = u32::from(first);
        if first & 0x1F == 0x1F {
            // X.690 §8.1.2.4: subsequent bytes while b8 = 1; we accept up to 3 more bytes.
            let mut n = 0;
            loop {
                let b = *d.get(i).ok_or_else(|| self.err(i, "truncated tag"))?;
                i += 1;
                n += 1;
                if n > 3 {
                    return Err(self.err(start, "tag longer than 4 bytes"));
                }
                tag = (tag << 8) | u32::from(b);
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let lb = *d.get(i).ok_or_else(|| self.err(i, "missing length"))?;
        let len_at = i;
        i += 1;
        let len = match lb {
            0x00..=0x7F => usize::from(lb),
            // X.690 §8.1.3.6: the indefinite form is not allowed in ISO/IEC 7816-4 BER-TLV.
            0x80 => return Err(self.err(len_at, "indefinite length")),
            0x81..=0x84 => {
                let n = usize::from(lb & 0x7F);
                let bytes = d
                    .get(i..i + n)
                    .ok_or_else(|| self.err(len_at, "truncated length"))?;
                i += n;
                bytes
                    .iter()
                    .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
            }
            _ => return Err(self.err(len_at, "length field longer than 4 bytes")),
        };
        let end = i
            .checked_add(len)
            .filter(|e| *e <= d.len())
            .ok_or_else(|| self.err(len_at, "length exceeds the available data"))?;
        self.pos = end;
        Ok(Tlv {
            tag: Tag(tag),
            value: d.get(i..end).unwrap_or_default(),
            offset: self.base + start,
            value_offset: self.base + i,
        })
    }
}

impl<'a> Iterator for BerReader<'a> {
    type Item = Result<Tlv<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.skip_padding {
            while matches!(self.data.get(self.pos), Some(0x00 | 0xFF)) {
                self.pos += 1;
            }
        }
        if self.pos >= self.data.len() {
            return None;
        }
        let r = self.parse_one();
        if r.is_err() {
            // Stop after the first error: the rest cannot be framed.
            self.pos = self.data.len();
        }
        Some(r)
    }
}

/// Depth-first search for the first object with `tag` (descending into constructed objects).
pub fn find_recursive<'a>(data: &'a [u8], tag: Tag) -> Result<Option<Tlv<'a>>> {
    fn walk<'a>(r: BerReader<'a>, tag: Tag, depth: usize) -> Result<Option<Tlv<'a>>> {
        if depth > MAX_DEPTH {
            return Err(Error::Tlv {
                offset: r.base,
                reason: "nesting too deep",
            });
        }
        for item in r {
            let item = item?;
            if item.tag == tag {
                return Ok(Some(item));
            }
            if item.tag.is_constructed()
                && let Some(found) = walk(item.children(), tag, depth + 1)?
            {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
    walk(BerReader::new(data)?, tag, 0)
}

/// One SIMPLE-TLV object (ISO/IEC 7816-4 §5.2.1): tag `01`..`FE`, length on 1 or 3 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimpleTlv<'a> {
    /// The tag (`01`..`FE`).
    pub tag: u8,
    /// The value.
    pub value: &'a [u8],
    /// Offset of the tag in the input.
    pub offset: usize,
}

/// Iterator over SIMPLE-TLV objects.
#[derive(Debug, Clone)]
pub struct SimpleReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> SimpleReader<'a> {
    /// Reads `data`; fails if it is larger than [`MAX_TLV_INPUT`].
    pub fn new(data: &'a [u8]) -> Result<Self> {
        if data.len() > MAX_TLV_INPUT {
            return Err(Error::TooLarge {
                what: "TLV input",
                limit: MAX_TLV_INPUT,
            });
        }
        Ok(Self { data, pos: 0 })
    }

    fn parse_one(&mut self) -> Result<SimpleTlv<'a>> {
        let start = self.pos;
        let d = self.data;
        let tag = *d.get(start).ok_or(Error::Tlv {
            offset: start,
            reason: "missing tag",
        })?;
        if tag == 0x00 || tag == 0xFF {
            return Err(Error::Tlv {
                offset: start,
                reason: "SIMPLE-TLV tag 00 or FF is invalid",
            });
        }
        let mut i = start + 1;
        let lb = *d.get(i).ok_or(Error::Tlv {
            offset: i,
            reason: "missing length",
        })?;
        i += 1;
        let len = if lb == 0xFF {
            let b = d.get(i..i + 2).ok_or(Error::Tlv {
                offset: i,
                reason: "truncated length",
            })?;
            i += 2;
            match b {
                [hi, lo] => usize::from(u16::from_be_bytes([*hi, *lo])),
                _ => 0,
            }
        } else {
            usize::from(lb)
        };
        let end = i.saturating_add(len);
        if end > d.len() {
            return Err(Error::Tlv {
                offset: start + 1,
                reason: "length exceeds the available data",
            });
        }
        self.pos = end;
        Ok(SimpleTlv {
            tag,
            value: d.get(i..end).unwrap_or_default(),
            offset: start,
        })
    }
}

impl<'a> Iterator for SimpleReader<'a> {
    type Item = Result<SimpleTlv<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.data.len() {
            return None;
        }
        let r = self.parse_one();
        if r.is_err() {
            self.pos = self.data.len();
        }
        Some(r)
    }
}

/// One COMPACT-TLV object (ISO/IEC 7816-4 §5.2.2 / §8.1.1): a tag nibble and a length nibble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactTlv<'a> {
    /// The tag nibble (`1` country code, `2` issuer id, `3` card service data, `4` initial
    /// access data, `5` issuer data, `6` pre-issuing data, `7` card capabilities, `8` status,
    /// `F` application identifier).
    pub tag: u8,
    /// The value (0 to 15 bytes).
    pub value: &'a [u8],
    /// Offset of the tag byte in the input.
    pub offset: usize,
}

/// Iterator over COMPACT-TLV objects.
#[derive(Debug, Clone)]
pub struct CompactReader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> CompactReader<'a> {
    /// Reads `data`, whose offsets are reported relative to `base`.
    pub fn new(data: &'a [u8], base: usize) -> Self {
        Self { data, pos: 0, base }
    }
}

impl<'a> Iterator for CompactReader<'a> {
    type Item = Result<CompactTlv<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.pos;
        let b = *self.data.get(start)?;
        let len = usize::from(b & 0x0F);
        let end = start + 1 + len;
        if end > self.data.len() {
            self.pos = self.data.len();
            return Some(Err(Error::Tlv {
                offset: self.base + start,
                reason: "COMPACT-TLV length exceeds the available data",
            }));
        }
        self.pos = end;
        Some(Ok(CompactTlv {
            tag: b >> 4,
            value: self.data.get(start + 1..end).unwrap_or_default(),
            offset: self.base + start,
        }))
    }
}

/// Encodes a BER length field (X.690 §8.1.3, definite form, shortest encoding).
pub fn encode_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(bytes.get(skip..).unwrap_or_default());
    }
}

/// Encodes a complete BER-TLV object.
pub fn encode(tag: Tag, value: &[u8], out: &mut Vec<u8>) {
    let b = tag.0.to_be_bytes();
    let skip = b.iter().take_while(|x| **x == 0).count().min(3);
    out.extend_from_slice(b.get(skip..).unwrap_or_default());
    encode_length(value.len(), out);
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ber_multibyte_tags_and_long_lengths() {
        let mut v = Vec::new();
        encode(Tag(0x5F37), &[1, 2, 3], &mut v);
        encode(Tag(0x7F21), &[0xAA; 200], &mut v);
        let items: Vec<_> = BerReader::new(&v).unwrap().collect::<Result<_>>().unwrap();
        assert_eq!(items[0].tag, Tag(0x5F37));
        assert_eq!(items[0].value, &[1, 2, 3]);
        assert_eq!(items[1].tag, Tag(0x7F21));
        assert_eq!(items[1].value.len(), 200);
        assert_eq!(
            &v[items[1].offset..items[1].offset + 4],
            &[0x7F, 0x21, 0x81, 200]
        );
    }

    #[test]
    fn ber_rejects_indefinite_and_truncation_with_offsets() {
        let err = BerReader::new(&[0x30, 0x80, 0, 0])
            .unwrap()
            .next()
            .unwrap()
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Tlv {
                offset: 1,
                reason: "indefinite length"
            }
        ));
        let err = BerReader::new(&[0x04, 0x02, 0x00, 0x04, 0x05, 1])
            .unwrap()
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert!(matches!(err, Error::Tlv { offset: 5, .. }));
    }

    #[test]
    fn ber_padding_is_skipped_only_on_request() {
        let data = [0x80, 0x01, 0x41, 0x00, 0x00, 0x81, 0x01, 0x42, 0x00];
        let tags: Vec<_> = BerReader::new(&data)
            .unwrap()
            .skip_padding()
            .map(|t| t.unwrap().tag)
            .collect();
        assert_eq!(tags, [Tag(0x80), Tag(0x81)]);
        let strict: Vec<_> = BerReader::new(&data).unwrap().collect();
        assert_eq!(
            strict.len(),
            4,
            "strict mode reads 00 00 as an empty object"
        );
    }

    #[test]
    fn recursive_search_finds_nested_counters() {
        // GET DATA answer of an IAS-ECC CHV SDO (shape from the spec: 70 / BF81xx / A0 / 9B).
        let data = [
            0x70, 0x0C, 0xBF, 0x81, 0x01, 0x08, 0xA0, 0x06, 0x9A, 0x01, 0x03, 0x9B, 0x01, 0x02,
        ];
        let t = find_recursive(&data, Tag(0x9B)).unwrap().unwrap();
        assert_eq!(t.value, &[2]);
        assert_eq!(t.offset, 11);
    }

    #[test]
    fn simple_and_compact() {
        let data = [0x01, 0x02, 0xAA, 0xBB, 0x02, 0xFF, 0x00, 0x01, 0xCC];
        let v: Vec<_> = SimpleReader::new(&data)
            .unwrap()
            .map(|x| x.unwrap())
            .collect();
        assert_eq!(v[1].tag, 2);
        assert_eq!(v[1].value, &[0xCC]);
        let hist = [0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10];
        let c: Vec<_> = CompactReader::new(&hist, 1).map(|x| x.unwrap()).collect();
        assert_eq!(c[0].tag, 1);
        assert_eq!(c[0].value, &[0x25, 0x00]);
        assert_eq!(c[1].tag, 6);
        assert_eq!(c[1].offset, 4);
        assert!(
            CompactReader::new(&[0x65, 0x00], 0)
                .next()
                .unwrap()
                .is_err()
        );
    }
}
