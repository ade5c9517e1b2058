//! Identifiers of health professionals and structures used across CDA, XDS and MSSanté, and
//! their national-id forms (ANS "identifiant national", CI-SIS; `specs/cda.md` §2):
//!
//! - PS: `1.2.250.1.71.4.2.1`, extension `8` + RPPS (11 digits, Luhn); `0` + ADELI (TO VERIFY
//!   against the ANS annexe "Source des données", hence [`NationalId::adeli`] is documented so);
//! - structure: `1.2.250.1.71.4.2.2`, extension prefix + identifier: `1` FINESS, `2` SIREN,
//!   `3` SIRET, `4` RPPS-rang (TO VERIFY).

use std::fmt;

/// OID of national identifiers of persons (PS).
pub const OID_NATIONAL_ID_PERSON: &str = "1.2.250.1.71.4.2.1";
/// OID of national identifiers of structures.
pub const OID_NATIONAL_ID_STRUCTURE: &str = "1.2.250.1.71.4.2.2";

/// Why a professional or structure identifier is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// Wrong length.
    #[error("{kind} has {expected} characters, found {found}")]
    Length {
        /// Identifier kind.
        kind: &'static str,
        /// Expected length.
        expected: usize,
        /// Found length.
        found: usize,
    },
    /// A character that is not allowed (1-based position).
    #[error("{kind}: invalid character at position {position}")]
    InvalidChar {
        /// Identifier kind.
        kind: &'static str,
        /// 1-based position.
        position: usize,
    },
    /// The check digit does not match.
    #[error("{kind}: check digit mismatch")]
    CheckDigit {
        /// Identifier kind.
        kind: &'static str,
    },
}

/// Luhn (ISO/IEC 7812-1) check over ASCII digits.
fn luhn_ok(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let v = u32::from(d - b'0');
            if i % 2 == 1 {
                let x = v * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                v
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn digits<const N: usize>(kind: &'static str, s: &str) -> Result<[u8; N], IdentifierError> {
    let b = s.trim().as_bytes();
    if b.len() != N {
        return Err(IdentifierError::Length {
            kind,
            expected: N,
            found: b.len(),
        });
    }
    if let Some(p) = b.iter().position(|c| !c.is_ascii_digit()) {
        return Err(IdentifierError::InvalidChar {
            kind,
            position: p + 1,
        });
    }
    let mut out = [0u8; N];
    out.copy_from_slice(b);
    Ok(out)
}

macro_rules! ascii_id {
    ($t:ident, $n:literal) => {
        impl $t {
            /// The identifier's characters.
            pub fn as_str(&self) -> &str {
                std::str::from_utf8(&self.0).unwrap_or_default()
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $t {
            type Err = IdentifierError;
            fn from_str(s: &str) -> Result<Self, IdentifierError> {
                Self::parse(s)
            }
        }
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// RPPS number: 11 digits, Luhn check (Répertoire partagé des professionnels de santé).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rpps([u8; 11]);
ascii_id!(Rpps, 11);

impl Rpps {
    /// Parses and checks an RPPS number.
    pub fn parse(s: &str) -> Result<Self, IdentifierError> {
        let d = digits::<11>("RPPS", s)?;
        if !luhn_ok(&d) {
            return Err(IdentifierError::CheckDigit { kind: "RPPS" });
        }
        Ok(Self(d))
    }
    /// National id of the PS: `8` + RPPS (root [`OID_NATIONAL_ID_PERSON`]).
    pub fn national_id(&self) -> NationalId {
        NationalId::person(format!("8{}", self.as_str()))
    }
}

/// ADELI number: 9 digits. The check digit algorithm is not documented in our sources (TO VERIFY),
/// so only the form is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Adeli([u8; 9]);
ascii_id!(Adeli, 9);

impl Adeli {
    /// Parses an ADELI number (form only).
    pub fn parse(s: &str) -> Result<Self, IdentifierError> {
        digits::<9>("ADELI", s).map(Self)
    }
    /// National id of the PS: `0` + ADELI (TO VERIFY: ANS annexe "Source des données").
    pub fn national_id(&self) -> NationalId {
        NationalId::person(format!("0{}", self.as_str()))
    }
}

/// FINESS number: 9 characters, department (2 digits or `2A`/`2B`) then digits, Luhn check digit.
/// For Corsican numbers (`2A`/`2B`) the key rule is not documented in our sources (TO VERIFY): the
/// form is checked and [`Finess::key_checked`] is false.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Finess([u8; 9]);
ascii_id!(Finess, 9);

impl Finess {
    /// Parses a FINESS number.
    pub fn parse(s: &str) -> Result<Self, IdentifierError> {
        let b = s.trim().as_bytes();
        let kind = "FINESS";
        let mut d: [u8; 9] = b.try_into().map_err(|_| IdentifierError::Length {
            kind,
            expected: 9,
            found: b.len(),
        })?;
        d[1] = d[1].to_ascii_uppercase();
        let first = d[0];
        for (i, c) in d.iter().enumerate() {
            let ok = c.is_ascii_digit() || (i == 1 && first == b'2' && matches!(c, b'A' | b'B'));
            if !ok {
                return Err(IdentifierError::InvalidChar {
                    kind,
                    position: i + 1,
                });
            }
        }
        let f = Self(d);
        if f.key_checked() && !luhn_ok(&d) {
            return Err(IdentifierError::CheckDigit { kind });
        }
        Ok(f)
    }
    /// Whether the check digit was verified (false for Corsican 2A/2B numbers, TO VERIFY).
    pub fn key_checked(&self) -> bool {
        self.0[1].is_ascii_digit()
    }
    /// National id of the structure: `1` + FINESS (root [`OID_NATIONAL_ID_STRUCTURE`]).
    pub fn national_id(&self) -> NationalId {
        NationalId::structure(format!("1{}", self.as_str()))
    }
}

/// SIREN number: 9 digits, Luhn check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Siren([u8; 9]);
ascii_id!(Siren, 9);

impl Siren {
    /// Parses and checks a SIREN number.
    pub fn parse(s: &str) -> Result<Self, IdentifierError> {
        let d = digits::<9>("SIREN", s)?;
        if !luhn_ok(&d) {
            return Err(IdentifierError::CheckDigit { kind: "SIREN" });
        }
        Ok(Self(d))
    }
    /// National id of the structure: `2` + SIREN.
    pub fn national_id(&self) -> NationalId {
        NationalId::structure(format!("2{}", self.as_str()))
    }
}

/// SIRET number: 14 digits (SIREN + NIC), Luhn check; establishments of La Poste (SIREN
/// 356000000) use a digit sum multiple of 5 instead (INSEE rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Siret([u8; 14]);
ascii_id!(Siret, 14);

impl Siret {
    /// Parses and checks a SIRET number.
    pub fn parse(s: &str) -> Result<Self, IdentifierError> {
        let d = digits::<14>("SIRET", s)?;
        let la_poste = &d[..9] == b"356000000";
        let ok = if la_poste {
            d.iter().map(|c| u32::from(c - b'0')).sum::<u32>() % 5 == 0
        } else {
            luhn_ok(&d)
        };
        if !ok {
            return Err(IdentifierError::CheckDigit { kind: "SIRET" });
        }
        Ok(Self(d))
    }
    /// The SIREN part. La Poste's SIREN `356000000` passes Luhn too.
    pub fn siren(&self) -> Result<Siren, IdentifierError> {
        Siren::parse(self.as_str().get(..9).unwrap_or_default())
    }
    /// National id of the structure: `3` + SIRET.
    pub fn national_id(&self) -> NationalId {
        NationalId::structure(format!("3{}", self.as_str()))
    }
}

/// A national identifier: root OID + extension (CDA `id`, XDS XCN/XON).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct NationalId {
    /// Root OID ([`OID_NATIONAL_ID_PERSON`] or [`OID_NATIONAL_ID_STRUCTURE`]).
    pub root: &'static str,
    /// Extension: prefix + identifier.
    pub extension: String,
}

impl NationalId {
    fn person(extension: String) -> Self {
        Self {
            root: OID_NATIONAL_ID_PERSON,
            extension,
        }
    }
    fn structure(extension: String) -> Self {
        Self {
            root: OID_NATIONAL_ID_STRUCTURE,
            extension,
        }
    }
    /// `8` + RPPS.
    pub fn rpps(rpps: &Rpps) -> Self {
        rpps.national_id()
    }
    /// `0` + ADELI (TO VERIFY).
    pub fn adeli(adeli: &Adeli) -> Self {
        adeli.national_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpps_luhn_and_national_id() {
        let r = Rpps::parse("10001234567").err();
        assert!(matches!(r, Some(IdentifierError::CheckDigit { .. })));
        let r = Rpps::parse("01234567897").unwrap();
        assert_eq!(r.national_id().extension, "801234567897");
        assert_eq!(r.national_id().root, OID_NATIONAL_ID_PERSON);
    }

    #[test]
    fn finess() {
        assert_eq!(
            Finess::parse("750712184").unwrap().national_id().extension,
            "1750712184"
        );
        assert!(Finess::parse("750712185").is_err());
        assert!(!Finess::parse("2A0000012").unwrap().key_checked());
        assert!(matches!(
            Finess::parse("7A0712184"),
            Err(IdentifierError::InvalidChar { position: 2, .. })
        ));
    }

    #[test]
    fn siren_siret() {
        assert!(Siren::parse("732829320").is_ok());
        assert!(Siren::parse("732829321").is_err());
        assert!(Siret::parse("73282932000074").is_ok());
        assert!(Siret::parse("35600000049837").is_ok()); // La Poste establishment
        assert!(Siret::parse("35600000049838").is_err());
    }
}
