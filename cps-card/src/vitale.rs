//! Vitale 2: the public identity zone (beneficiaries' names, birth dates, NIR), read-only.
//!
//! This is **not** a SESAM-Vitale component: it never writes, never touches the protected
//! zones (which need a CPx card and the GIE SESAM-Vitale "API de lecture Vitale", licensed
//! through the CNDA), and it is behind the `vitale` feature. Whether reading the free zone with
//! raw APDUs suits a given product is for the vendor's legal review (cards spec §2.2).
//!
//! Layout (Cardpeek `vitale_2.lua`, Rufus `lecteurvitale.cpp`; cards spec §2.1): after
//! `SELECT 3F00`, READ BINARY through SFI 2 gives one template `65` per beneficiary with `80`
//! last name, `81` first name, `82` birth date (ASCII `YYYYMMDD`); after selecting the
//! `VITALE` application (`D2 50 00 00 02 56 49 54 41 4C 45`), READ BINARY through SFI 2 gives
//! templates `65` carrying `93`, the NIR (15 ASCII characters). Both are zero-padded. The two
//! lists are paired by position (**TO VERIFY** on family cards).
//!
//! Every value is redacted in `Debug` and wiped on drop; read it with `expose()`.

use crate::apdu::Command;
use crate::atr::{self, CardKind};
use crate::error::{Error, Result};
use crate::session::Session;
use crate::tlv::{BerReader, Tag};
use crate::transport::Transport;
use zeroize::Zeroizing;

/// AID of the Vitale 2 `VITALE` application.
pub const AID_VITALE: [u8; 11] = [
    0xD2, 0x50, 0x00, 0x00, 0x02, 0x56, 0x49, 0x54, 0x41, 0x4C, 0x45,
];

macro_rules! redacted {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[doc = ""]
        #[doc = "`Debug` prints no value; the text is wiped on drop."]
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(Zeroizing<String>);

        impl $name {
            /// The value in clear: patient data, never log it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

redacted!(
    VitaleNir,
    "The NIR read from the card (15 characters: 13 + key), unchecked."
);
redacted!(VitaleName, "A last or first name as written on the card.");
redacted!(
    VitaleBirthDate,
    "A birth date as written on the card (`YYYYMMDD`, may be lunar)."
);

/// One beneficiary of the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beneficiary {
    /// Last name (`80`).
    pub last_name: VitaleName,
    /// First name (`81`).
    pub first_name: VitaleName,
    /// Birth date (`82`).
    pub birth_date: Option<VitaleBirthDate>,
    /// NIR (`93` of the `VITALE` application), when present.
    pub nir: Option<VitaleNir>,
}

/// The public identity zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VitaleIdentity {
    /// Beneficiaries, holder first.
    pub beneficiaries: Vec<Beneficiary>,
}

fn text(v: &[u8], object: &'static str) -> Result<Zeroizing<String>> {
    let s = std::str::from_utf8(v).map_err(|_| Error::Data {
        object,
        reason: "not ASCII text",
    })?;
    if !s.is_ascii() {
        return Err(Error::Data {
            object,
            reason: "not ASCII text",
        });
    }
    Ok(Zeroizing::new(s.trim_end_matches([' ', '\0']).to_owned()))
}

/// Parses the MF identity file: templates `65` with `80`, `81`, `82` (zero padding allowed).
pub fn parse_identity_file(data: &[u8]) -> Result<Vec<Beneficiary>> {
    let mut out = Vec::new();
    for t in BerReader::new(data)?.skip_padding() {
        let t = t?;
        if t.tag != Tag(0x65) {
            continue;
        }
        let field = |tag| t.child(Tag(tag));
        let last = field(0x80)?.ok_or(Error::Data {
            object: "Vitale identity",
            reason: "template 65 without a last name (80)",
        })?;
        let first = field(0x81)?;
        let birth = field(0x82)?;
        out.push(Beneficiary {
            last_name: VitaleName(text(last.value, "Vitale last name")?),
            first_name: VitaleName(match first {
                Some(f) => text(f.value, "Vitale first name")?,
                None => Zeroizing::new(String::new()),
            }),
            birth_date: birth
                .map(|b| text(b.value, "Vitale birth date").map(VitaleBirthDate))
                .transpose()?,
            nir: None,
        });
    }
    Ok(out)
}

/// Parses the `VITALE` application file: the NIR (`93`) of each template `65`.
pub fn parse_nir_file(data: &[u8]) -> Result<Vec<VitaleNir>> {
    let mut out = Vec::new();
    for t in BerReader::new(data)?.skip_padding() {
        let t = t?;
        if t.tag != Tag(0x65) {
            continue;
        }
        if let Some(n) = t.child(Tag(0x93))? {
            let nir = text(n.value, "Vitale NIR")?;
            if nir.len() != 15 || !nir.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(Error::Data {
                    object: "Vitale NIR",
                    reason: "not 15 characters",
                });
            }
            out.push(VitaleNir(nir));
        }
    }
    Ok(out)
}

/// An open Vitale 2 card.
#[derive(Debug)]
pub struct VitaleCard<T> {
    session: Session<T>,
}

impl<T: Transport> VitaleCard<T> {
    /// Opens a Vitale 2 card (ATR table); Vitale 1 is detected and refused (memory card with
    /// a proprietary command set, detection only).
    pub fn open(transport: T) -> Result<Self> {
        match atr::identify(transport.atr()) {
            CardKind::Vitale2 => Ok(Self {
                session: Session::new(transport),
            }),
            CardKind::Vitale1 => Err(Error::Unsupported {
                what: "Vitale 1 cards (detection only)",
            }),
            _ => Err(Error::WrongCard {
                expected: "Vitale 2",
                reason: "ATR is not a known Vitale 2 ATR",
            }),
        }
    }

    /// Reads the public identity zone (no PIN, no write).
    pub fn read_identity(&mut self) -> Result<VitaleIdentity> {
        self.session.call(
            &Command::new(0x00, 0xA4, 0x00, 0x00).with_data([0x3F, 0x00]),
            "SELECT MF",
        )?;
        let ident = self.session.read_binary(0x00, Some(2))?;
        let mut beneficiaries = parse_identity_file(&ident)?;
        self.session.call(
            &Command::new(0x00, 0xA4, 0x04, 0x00).with_data(AID_VITALE),
            "SELECT VITALE",
        )?;
        let nirs = parse_nir_file(&self.session.read_binary(0x00, Some(2))?)?;
        for (b, n) in beneficiaries.iter_mut().zip(nirs) {
            b.nir = Some(n);
        }
        Ok(VitaleIdentity { beneficiaries })
    }

    /// Gives the transport back.
    pub fn into_transport(self) -> T {
        self.session.into_transport()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_and_nir_files_with_padding() {
        let mut f = Vec::new();
        let mut t = Vec::new();
        crate::tlv::encode(Tag(0x80), b"DUPONT", &mut t);
        crate::tlv::encode(Tag(0x81), b"MARIE", &mut t);
        crate::tlv::encode(Tag(0x82), b"19800101", &mut t);
        crate::tlv::encode(Tag(0x65), &t, &mut f);
        f.extend([0u8; 20]);
        let b = parse_identity_file(&f).unwrap();
        assert_eq!(b[0].last_name.expose(), "DUPONT");
        assert_eq!(b[0].birth_date.as_ref().unwrap().expose(), "19800101");
        let dbg = format!("{b:?}");
        assert!(!dbg.contains("DUPONT") && !dbg.contains("1980"), "{dbg}");
        let mut n = Vec::new();
        let mut t = Vec::new();
        crate::tlv::encode(Tag(0x93), b"280012A00100117", &mut t);
        crate::tlv::encode(Tag(0x65), &t, &mut n);
        assert_eq!(parse_nir_file(&n).unwrap()[0].expose(), "280012A00100117");
        let mut bad = Vec::new();
        let mut t = Vec::new();
        crate::tlv::encode(Tag(0x93), b"123", &mut t);
        crate::tlv::encode(Tag(0x65), &t, &mut bad);
        assert!(parse_nir_file(&bad).is_err());
    }
}
