//! A generic ASN.1 (BER/DER) tree for data whose schema is not public.
//!
//! The CPS business data objects (`CPS_ID_CARD`, `CPS_NAME_PS`, `CPS_INFO_PS`,
//! `CPS_ACTIVITY_xx_PS`, `CPS_SIT_FACT`) follow the ANS document "ASIP_CPS3_Données-métier",
//! which is **not public**. The SDK therefore returns them as raw DER plus this generic tree,
//! without guessing field meanings; typed decoders will be added once the layout is confirmed.

use crate::error::{Error, Result};
use crate::tlv::{BerReader, MAX_DEPTH, Tag};

/// Most nodes one tree may hold.
pub const MAX_NODES: usize = 10_000;

/// One node of the tree, borrowing its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node<'a> {
    /// The tag.
    pub tag: Tag,
    /// Offset of the tag in the input.
    pub offset: usize,
    /// The value bytes (for constructed nodes, the encoding of the children).
    pub value: &'a [u8],
    /// Children of a constructed node.
    pub children: Vec<Node<'a>>,
}

impl<'a> Node<'a> {
    /// Parses every top-level object of `data` into trees.
    pub fn parse(data: &'a [u8]) -> Result<Vec<Node<'a>>> {
        let mut count = 0;
        parse_level(BerReader::new(data)?, 0, &mut count)
    }

    /// Name of the universal tag, if any (X.680 §8.6).
    pub fn universal_name(&self) -> Option<&'static str> {
        Some(match self.tag.0 {
            0x01 => "BOOLEAN",
            0x02 => "INTEGER",
            0x03 => "BIT STRING",
            0x04 => "OCTET STRING",
            0x05 => "NULL",
            0x06 => "OBJECT IDENTIFIER",
            0x0A => "ENUMERATED",
            0x0C => "UTF8String",
            0x12 => "NumericString",
            0x13 => "PrintableString",
            0x16 => "IA5String",
            0x17 => "UTCTime",
            0x18 => "GeneralizedTime",
            0x1A => "VisibleString",
            0x30 => "SEQUENCE",
            0x31 => "SET",
            _ => return None,
        })
    }

    fn write(&self, f: &mut std::fmt::Formatter<'_>, depth: usize) -> std::fmt::Result {
        write!(
            f,
            "{:indent$}[{}] {}",
            "",
            self.offset,
            self.tag,
            indent = depth * 2
        )?;
        if let Some(n) = self.universal_name() {
            write!(f, " {n}")?;
        }
        if self.children.is_empty() {
            let text = matches!(self.tag.0, 0x0C | 0x12 | 0x13 | 0x16 | 0x17 | 0x18 | 0x1A)
                && self.value.iter().all(|b| (0x20..0x7F).contains(b));
            if text {
                writeln!(f, " {:?}", String::from_utf8_lossy(self.value))?;
            } else {
                writeln!(
                    f,
                    " ({} bytes) {}",
                    self.value.len(),
                    crate::Hex(self.value)
                )?;
            }
        } else {
            writeln!(f)?;
            for c in &self.children {
                c.write(f, depth + 1)?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.write(f, 0)
    }
}

fn parse_level<'a>(r: BerReader<'a>, depth: usize, count: &mut usize) -> Result<Vec<Node<'a>>> {
    let mut out = Vec::new();
    for item in r {
        let item = item?;
        *count += 1;
        if *count > MAX_NODES {
            return Err(Error::TooLarge {
                what: "ASN.1 tree (nodes)",
                limit: MAX_NODES,
            });
        }
        let children = if item.tag.is_constructed() {
            if depth >= MAX_DEPTH {
                return Err(Error::Tlv {
                    offset: item.offset,
                    reason: "nesting too deep",
                });
            }
            parse_level(item.children(), depth + 1, count)?
        } else {
            Vec::new()
        };
        out.push(Node {
            tag: item.tag,
            offset: item.offset,
            value: item.value,
            children,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_and_display() {
        let der = [0x30, 0x08, 0x0C, 0x03, b'a', b'b', b'c', 0x02, 0x01, 0x05];
        let t = Node::parse(&der).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].children.len(), 2);
        assert_eq!(t[0].children[1].offset, 7);
        let s = t[0].to_string();
        assert!(s.contains("UTF8String \"abc\""), "{s}");
        assert!(s.contains("INTEGER (1 bytes) 05"), "{s}");
    }

    #[test]
    fn depth_is_bounded() {
        let mut v = vec![0x04, 0x00];
        for _ in 0..40 {
            let mut outer = vec![0x30];
            crate::tlv::encode_length(v.len(), &mut outer);
            outer.extend_from_slice(&v);
            v = outer;
        }
        assert!(matches!(
            Node::parse(&v),
            Err(Error::Tlv {
                reason: "nesting too deep",
                ..
            })
        ));
    }
}
