//! Birthplace trait: the INSEE COG code of the commune valid at the date of birth, or `99` + the
//! INSEE country code for a birth abroad (INSi type `COG` `[A-Za-z0-9]{5}`).

use crate::error::TraitError;
use std::fmt;

/// An INSEE COG code (5 characters: 2 digits or `2A`/`2B`, then 3 digits).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BirthPlace([u8; 5]);

impl BirthPlace {
    /// Parses a COG code (letters in any case). A postal code cannot be told apart from a COG code
    /// by its form alone; callers should take the code from a COG referential.
    pub fn parse(s: &str) -> Result<Self, TraitError> {
        let b = s.trim().as_bytes();
        let arr: [u8; 5] = b.try_into().map_err(|_| TraitError::BirthPlace)?;
        let mut out = arr;
        out[1] = out[1].to_ascii_uppercase();
        let dept_ok = out[0].is_ascii_digit()
            && (out[1].is_ascii_digit() || (out[0] == b'2' && matches!(out[1], b'A' | b'B')));
        if !dept_ok || !out[2..].iter().all(u8::is_ascii_digit) {
            return Err(TraitError::BirthPlace);
        }
        Ok(Self(out))
    }

    /// The 5-character code.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Whether this is a country (`99xxx`): birth abroad.
    pub fn is_abroad(&self) -> bool {
        self.0.starts_with(b"99")
    }

    /// `99999`, used by some systems for an unknown birthplace (TO VERIFY: seen in a
    /// second-hand source only, `specs/ins.md` §1.5).
    pub fn is_unknown_marker(&self) -> bool {
        &self.0 == b"99999"
    }
}

impl fmt::Debug for BirthPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BirthPlace(<redacted>)")
    }
}

impl serde::Serialize for BirthPlace {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for BirthPlace {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}
