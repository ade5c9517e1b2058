//! Answer-to-Reset parsing (ISO/IEC 7816-3 §8.2) and the table of known CPS and Vitale ATRs.

use crate::error::{Error, Result};
use crate::tlv::{CompactReader, CompactTlv};

/// An ATR is at most 33 bytes (ISO/IEC 7816-3 §8.2.1).
pub const MAX_ATR_LEN: usize = 33;

/// Bit convention announced by TS (ISO/IEC 7816-3 §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    /// `3B`.
    Direct,
    /// `3F` (Vitale 1); PC/SC hands the bytes over already decoded.
    Inverse,
}

/// One group of interface bytes TAi, TBi, TCi, TDi (ISO/IEC 7816-3 §8.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InterfaceGroup {
    /// TAi.
    pub ta: Option<u8>,
    /// TBi.
    pub tb: Option<u8>,
    /// TCi.
    pub tc: Option<u8>,
    /// TDi.
    pub td: Option<u8>,
}

/// A parsed ATR, borrowing its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Atr<'a> {
    raw: &'a [u8],
    convention: Convention,
    groups: Vec<InterfaceGroup>,
    historical_at: usize,
    historical: &'a [u8],
    tck: Option<u8>,
    protocols: u16,
}

impl<'a> Atr<'a> {
    /// Parses an ATR, checking TS, the interface-byte chain, the historical-byte count and TCK.
    pub fn parse(raw: &'a [u8]) -> Result<Self> {
        let err = |offset, reason| Error::Atr { offset, reason };
        if raw.len() > MAX_ATR_LEN {
            return Err(err(MAX_ATR_LEN, "longer than 33 bytes"));
        }
        let convention = match raw.first() {
            Some(0x3B) => Convention::Direct,
            Some(0x3F) => Convention::Inverse,
            Some(_) => return Err(err(0, "TS is neither 3B nor 3F")),
            None => return Err(err(0, "empty")),
        };
        let t0 = *raw.get(1).ok_or(err(1, "missing T0"))?;
        let k = usize::from(t0 & 0x0F);
        let mut y = t0 >> 4;
        let mut i = 2;
        let mut groups = Vec::new();
        let mut protocols: u16 = 0;
        let mut any_td = false;
        loop {
            let mut g = InterfaceGroup::default();
            let take = |present: bool, i: &mut usize| -> Result<Option<u8>> {
                if !present {
                    return Ok(None);
                }
                let b = *raw.get(*i).ok_or(err(*i, "truncated interface bytes"))?;
                *i += 1;
                Ok(Some(b))
            };
            g.ta = take(y & 1 != 0, &mut i)?;
            g.tb = take(y & 2 != 0, &mut i)?;
            g.tc = take(y & 4 != 0, &mut i)?;
            g.td = take(y & 8 != 0, &mut i)?;
            groups.push(g);
            match g.td {
                Some(td) => {
                    any_td = true;
                    protocols |= 1 << (td & 0x0F);
                    y = td >> 4;
                    if groups.len() >= 8 {
                        return Err(err(i - 1, "too many interface byte groups"));
                    }
                }
                None => break,
            }
        }
        if !any_td {
            // §8.2.3: absent TD1 means T=0 only.
            protocols = 1;
        }
        let historical_at = i;
        let historical = raw
            .get(i..i + k)
            .ok_or(err(i, "fewer historical bytes than T0 announces"))?;
        i += k;
        // §8.2.5: TCK is present unless only T=0 is indicated.
        let needs_tck = protocols & !1 != 0;
        let tck = if needs_tck {
            let tck = *raw.get(i).ok_or(err(i, "missing TCK"))?;
            // T0 through TCK inclusive XOR to zero.
            let x = raw
                .get(1..=i)
                .unwrap_or_default()
                .iter()
                .fold(0u8, |a, b| a ^ b);
            if x != 0 {
                return Err(err(i, "TCK check failed"));
            }
            i += 1;
            Some(tck)
        } else {
            None
        };
        if i != raw.len() {
            return Err(err(i, "trailing bytes after the ATR"));
        }
        Ok(Self {
            raw,
            convention,
            groups,
            historical_at,
            historical,
            tck,
            protocols,
        })
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.raw
    }

    /// Direct or inverse convention.
    pub fn convention(&self) -> Convention {
        self.convention
    }

    /// Interface byte groups (group 1 holds TA1..TD1).
    pub fn interface_groups(&self) -> &[InterfaceGroup] {
        &self.groups
    }

    /// Offered transmission protocols, T=0..T=15 (`T=15` is global interface bytes, not a protocol).
    pub fn protocols(&self) -> impl Iterator<Item = u8> + '_ {
        (0u8..15).filter(move |t| self.protocols & (1 << t) != 0)
    }

    /// Whether T=0 is offered (then the host must do GET RESPONSE itself, ISO/IEC 7816-3 §10.3.4).
    pub fn offers_t0(&self) -> bool {
        self.protocols & 1 != 0
    }

    /// Whether T=1 is offered.
    pub fn offers_t1(&self) -> bool {
        self.protocols & 2 != 0
    }

    /// TA1 (Fi/Di), if present.
    pub fn ta1(&self) -> Option<u8> {
        self.groups.first().and_then(|g| g.ta)
    }

    /// TC2 (T=0 waiting integer WI), if present.
    pub fn wi(&self) -> Option<u8> {
        self.groups.get(1).and_then(|g| g.tc)
    }

    /// The historical bytes.
    pub fn historical_bytes(&self) -> &'a [u8] {
        self.historical
    }

    /// The check byte, when present.
    pub fn tck(&self) -> Option<u8> {
        self.tck
    }

    /// Decodes the historical bytes (ISO/IEC 7816-4 §8.1.1).
    pub fn historical(&self) -> Result<Historical<'a>> {
        Historical::parse(self.historical, self.historical_at)
    }
}

/// Decoded historical bytes (ISO/IEC 7816-4 §8.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Historical<'a> {
    /// Category indicator: `00` (COMPACT-TLV + 3-byte status), `80` (COMPACT-TLV, optional
    /// status object), `10` (DIR data reference); other values are proprietary.
    pub category: u8,
    /// COMPACT-TLV objects (empty for proprietary categories).
    pub objects: Vec<CompactTlv<'a>>,
    /// Status indicator (LCS, SW1 SW2) when present.
    pub status: Option<&'a [u8]>,
    /// Proprietary content (category not `00`/`80`/`10`).
    pub proprietary: Option<&'a [u8]>,
}

impl<'a> Historical<'a> {
    /// Parses historical bytes located at `base` in the ATR.
    pub fn parse(h: &'a [u8], base: usize) -> Result<Self> {
        let Some(&category) = h.first() else {
            return Ok(Self {
                category: 0,
                objects: Vec::new(),
                status: None,
                proprietary: None,
            });
        };
        match category {
            0x00 => {
                if h.len() < 4 {
                    return Err(Error::Atr {
                        offset: base,
                        reason: "category 00 needs a 3-byte status indicator",
                    });
                }
                // Checked above: at least the category byte and the 3-byte status indicator.
                let (rest, status) = h.split_at(h.len().saturating_sub(3));
                let body = rest.get(1..).unwrap_or_default();
                let objects = CompactReader::new(body, base + 1).collect::<Result<Vec<_>>>()?;
                Ok(Self {
                    category,
                    objects,
                    status: Some(status),
                    proprietary: None,
                })
            }
            0x80 => {
                let body = h.get(1..).unwrap_or_default();
                let objects = CompactReader::new(body, base + 1).collect::<Result<Vec<_>>>()?;
                let status = objects.iter().find(|o| o.tag == 8).map(|o| o.value);
                Ok(Self {
                    category,
                    objects,
                    status,
                    proprietary: None,
                })
            }
            0x10 => Ok(Self {
                category,
                objects: Vec::new(),
                status: None,
                proprietary: Some(h.get(1..).unwrap_or_default()),
            }),
            _ => Ok(Self {
                category,
                objects: Vec::new(),
                status: None,
                proprietary: Some(h),
            }),
        }
    }

    /// The value of the first COMPACT-TLV object with tag nibble `tag`.
    pub fn object(&self, tag: u8) -> Option<&'a [u8]> {
        self.objects.iter().find(|o| o.tag == tag).map(|o| o.value)
    }

    /// Third byte of "card capabilities" (tag 7): b8 command chaining, b7 extended Lc/Le
    /// (ISO/IEC 7816-4 §8.1.1.2.7, table 88).
    fn capabilities3(&self) -> Option<u8> {
        self.object(7).and_then(|v| v.get(2)).copied()
    }

    /// Whether the card announces command chaining.
    pub fn supports_chaining(&self) -> bool {
        self.capabilities3().is_some_and(|b| b & 0x80 != 0)
    }

    /// Whether the card announces extended Lc and Le fields.
    pub fn supports_extended_length(&self) -> bool {
        self.capabilities3().is_some_and(|b| b & 0x40 != 0)
    }
}

/// The card families this crate recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CardKind {
    /// CPS3 (IAS-ECC), contact interface, T=0.
    Cps3,
    /// CPS3 read through its contactless interface (PC/SC part 3 synthesised ATR).
    Cps3Contactless,
    /// CPS4 (NXP ChipDoc applet).
    Cps4,
    /// Vitale 2 (microprocessor, since 2007).
    Vitale2,
    /// Vitale 1 (memory card, detection only).
    Vitale1,
    /// Not in the table.
    Unknown,
}

impl CardKind {
    /// A stable lowercase name (used in JSON output).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cps3 => "cps3",
            Self::Cps3Contactless => "cps3-contactless",
            Self::Cps4 => "cps4",
            Self::Vitale2 => "vitale2",
            Self::Vitale1 => "vitale1",
            Self::Unknown => "unknown",
        }
    }

    /// Whether this is a CPx card.
    pub fn is_cps(self) -> bool {
        matches!(self, Self::Cps3 | Self::Cps3Contactless | Self::Cps4)
    }
}

/// One entry of the known-ATR table: `atr & mask == value & mask`, same length.
#[derive(Debug, Clone, Copy)]
pub struct KnownAtr {
    /// Card family.
    pub kind: CardKind,
    /// Human-readable description.
    pub description: &'static str,
    /// Reference ATR.
    pub value: &'static [u8],
    /// Mask applied to both sides.
    pub mask: &'static [u8],
}

impl KnownAtr {
    /// Whether `atr` matches this entry.
    pub fn matches(&self, atr: &[u8]) -> bool {
        atr.len() == self.value.len()
            && atr
                .iter()
                .zip(self.value)
                .zip(self.mask)
                .all(|((a, v), m)| a & m == v & m)
    }
}

/// Known ATRs, most specific first (the CPS3 mask also covers the CPS4 "T=0 only" ATR, so the
/// exact CPS4 entries must win), from ANS Cryptolib CPS (`card-cps3.c`, `card-cps4.c`) and pcsc-tools
/// `smartcard_list.txt` (see the `cards` spec, §4).
pub const KNOWN_ATRS: &[KnownAtr] = &[
    KnownAtr {
        kind: CardKind::Cps4,
        description: "CPS4 (ChipDoc), contact",
        value: &[
            0x3B, 0x9B, 0x18, 0x80, 0x01, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x04, 0x01, 0x00,
            0x00, 0x90, 0x44,
        ],
        mask: &[0xFF; 17],
    },
    KnownAtr {
        kind: CardKind::Cps4,
        description: "CPS4 (ChipDoc), release candidate",
        value: &[
            0x3B, 0x9B, 0x18, 0x80, 0x01, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x04, 0x01,
            0x00, 0x90, 0x44,
        ],
        mask: &[0xFF; 17],
    },
    KnownAtr {
        kind: CardKind::Cps4,
        description: "CPS4 (ChipDoc), T=0 only",
        value: &[
            0x3B, 0xDC, 0x18, 0xFF, 0x00, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x04, 0x01,
            0x00, 0x90, 0x00,
        ],
        mask: &[0xFF; 17],
    },
    KnownAtr {
        kind: CardKind::Cps3,
        description: "CPS3 (IAS-ECC), contact",
        value: &[
            0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10,
            0x00, 0x90, 0x00,
        ],
        // ANS mask: bytes 11-13 vary with the card version.
        mask: &[
            0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00,
            0xFF, 0xFF, 0xFF,
        ],
    },
    KnownAtr {
        kind: CardKind::Cps3Contactless,
        description: "CPS3 (IAS-ECC), contactless",
        value: &[
            0x3B, 0x8F, 0x80, 0x01, 0x00, 0x31, 0xB8, 0x64, 0x04, 0xB0, 0xEC, 0xC1, 0x73, 0x94,
            0x01, 0x80, 0x82, 0x90, 0x00, 0x0E,
        ],
        // ANS mask (FF x8, 00 00, FF, C0, FF...); TCK follows the masked bytes, so it is masked too.
        mask: &[
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xC0, 0xFF, 0xFF,
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,
        ],
    },
    KnownAtr {
        kind: CardKind::Vitale2,
        description: "Vitale 2",
        value: &[0x3B, 0x75, 0x13, 0x00, 0x00, 0x40, 0x09, 0xEA, 0x90, 0x00],
        // 4x: the low nibble varies (3..C in pcsc-tools).
        mask: &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0, 0xFF, 0xFF, 0xFF, 0xFF],
    },
    KnownAtr {
        kind: CardKind::Vitale1,
        description: "Vitale 1 (Sesam Vitale)",
        value: &[0x3F, 0x65, 0x25, 0x00, 0x00, 0x09, 0x00, 0x90, 0x00],
        // pcsc-tools lists 2[2C] 09 [F6]9, 52 09 6A and A[34] 09 6A in bytes 4 and 6.
        mask: &[0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0xFF],
    },
];

/// The table entry matching `atr`, if any.
pub fn lookup(atr: &[u8]) -> Option<&'static KnownAtr> {
    KNOWN_ATRS.iter().find(|k| k.matches(atr))
}

/// The card family of `atr` ([`CardKind::Unknown`] when not in the table).
pub fn identify(atr: &[u8]) -> CardKind {
    lookup(atr).map_or(CardKind::Unknown, |k| k.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_entry_parses_and_identifies() {
        for k in KNOWN_ATRS {
            let atr = Atr::parse(k.value).unwrap_or_else(|e| panic!("{}: {e}", k.description));
            assert_eq!(identify(atr.as_bytes()), k.kind, "{}", k.description);
        }
    }

    #[test]
    fn cps3_contact_is_t0_only_with_wi() {
        let atr = Atr::parse(KNOWN_ATRS[3].value).unwrap();
        assert_eq!(atr.protocols().collect::<Vec<_>>(), [0]);
        assert_eq!(atr.wi(), Some(0x2A));
        assert_eq!(atr.tck(), None);
        let h = atr.historical().unwrap();
        assert_eq!(h.category, 0);
        assert_eq!(h.object(1), Some(&[0x25, 0x00][..]));
        assert_eq!(h.status, Some(&[0x00, 0x90, 0x00][..]));
        // Another CPS version, same mask.
        let other = [
            0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x82, 0x02, 0x12,
            0x00, 0x90, 0x00,
        ];
        assert_eq!(identify(&other), CardKind::Cps3);
    }

    #[test]
    fn contactless_and_cps4_tck_and_protocols() {
        let cl = Atr::parse(KNOWN_ATRS[4].value).unwrap();
        assert_eq!(cl.protocols().collect::<Vec<_>>(), [0, 1]);
        let h = cl.historical().unwrap();
        assert!(h.supports_chaining());
        assert!(!h.supports_extended_length());
        let cps4 = Atr::parse(KNOWN_ATRS[0].value).unwrap();
        assert_eq!(cps4.ta1(), Some(0x18));
        assert!(cps4.offers_t1());
        let mut bad = KNOWN_ATRS[0].value.to_vec();
        bad[16] ^= 1;
        assert!(matches!(
            Atr::parse(&bad),
            Err(Error::Atr {
                offset: 16,
                reason: "TCK check failed"
            })
        ));
    }

    #[test]
    fn vitale_variants() {
        for x in [0x43u8, 0x44, 0x49, 0x4B, 0x4C] {
            let atr = [0x3B, 0x75, 0x13, 0x00, 0x00, x, 0x09, 0xEA, 0x90, 0x00];
            assert_eq!(identify(&atr), CardKind::Vitale2);
            assert!(Atr::parse(&atr).unwrap().offers_t0());
        }
        for atr in [
            [0x3F, 0x65, 0x25, 0x00, 0x2C, 0x09, 0x69, 0x90, 0x00],
            [0x3F, 0x65, 0x25, 0x00, 0xA3, 0x09, 0x6A, 0x90, 0x00],
        ] {
            assert_eq!(identify(&atr), CardKind::Vitale1);
            assert_eq!(Atr::parse(&atr).unwrap().convention(), Convention::Inverse);
        }
        assert_eq!(identify(&[0x3B, 0x86, 0x80, 0x01]), CardKind::Unknown);
    }

    #[test]
    fn malformed_atrs_are_typed() {
        assert!(matches!(Atr::parse(&[]), Err(Error::Atr { offset: 0, .. })));
        assert!(matches!(
            Atr::parse(&[0x2B, 0x00]),
            Err(Error::Atr { offset: 0, .. })
        ));
        assert!(matches!(
            Atr::parse(&[0x3B, 0x02, 0x01]),
            Err(Error::Atr { offset: 2, .. })
        ));
        assert!(matches!(
            Atr::parse(&[0x3B, 0x00, 0x01]),
            Err(Error::Atr { offset: 2, .. })
        ));
        assert!(Atr::parse(&[0x3B; 40]).is_err());
    }
}
