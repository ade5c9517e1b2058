//! The numéro unique de prescription of the ordonnance numérique.
//!
//! Since 31/12/2024 (décret n° 2023-1222) a community prescription carries a QR code that
//! conveys its unique number, also printed for manual entry. The **format of that number
//! (length, alphabet, check key) is not public**: it is distributed to registered vendors
//! with the Assurance Maladie téléservice specifications. [`PrescriptionId`] is therefore
//! opaque and its validation pluggable ([`PrescriptionIdValidator`]). The default validator,
//! [`CharsetAndLength`], checks only the characters and length bounds; plug in the official
//! rule once it is in hand.

use crate::error::{Error, Result};
use std::fmt;

/// Validates a candidate prescription number.
pub trait PrescriptionIdValidator {
    /// Accepts the candidate, or names the reason and byte position of the first fault.
    fn validate(&self, candidate: &str) -> Result<()>;
}

/// Default validator: only a character set and length bounds, **not** the official format
/// (which is not public). Default: 1 to 64 ASCII letters and digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharsetAndLength {
    /// Fewest characters accepted.
    pub min_len: usize,
    /// Most characters accepted.
    pub max_len: usize,
    /// Also accept `-`, `_` and `.` inside the number.
    pub allow_punctuation: bool,
}

impl Default for CharsetAndLength {
    fn default() -> Self {
        Self {
            min_len: 1,
            max_len: 64,
            allow_punctuation: false,
        }
    }
}

impl PrescriptionIdValidator for CharsetAndLength {
    fn validate(&self, candidate: &str) -> Result<()> {
        if let Some((position, _)) = candidate.char_indices().find(|(_, c)| {
            !(c.is_ascii_alphanumeric() || (self.allow_punctuation && matches!(c, '-' | '_' | '.')))
        }) {
            return Err(Error::PrescriptionId {
                reason: "character not allowed",
                position,
            });
        }
        if candidate.len() < self.min_len {
            return Err(Error::PrescriptionId {
                reason: "too short",
                position: candidate.len(),
            });
        }
        if candidate.len() > self.max_len {
            return Err(Error::PrescriptionId {
                reason: "too long",
                position: self.max_len,
            });
        }
        Ok(())
    }
}

/// An opaque, validated prescription number. `Debug` hides it (it gives access to a
/// patient's prescription); [`PrescriptionId::expose`] returns it.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PrescriptionId(String);

impl PrescriptionId {
    /// Reads the number from a decoded QR payload, byte for byte (no trimming: the payload
    /// is exactly what the prescriber's software encoded).
    pub fn from_qr_payload(
        payload: &[u8],
        validator: &dyn PrescriptionIdValidator,
    ) -> Result<Self> {
        let text = std::str::from_utf8(payload).map_err(|e| Error::PrescriptionId {
            reason: "not UTF-8",
            position: e.valid_up_to(),
        })?;
        validator.validate(text)?;
        Ok(Self(text.to_owned()))
    }

    /// Reads a number typed by hand: surrounding white space is removed, and so are the
    /// spaces a person types to group characters as printed. Nothing else is changed.
    pub fn from_manual_entry(typed: &str, validator: &dyn PrescriptionIdValidator) -> Result<Self> {
        let compact: String = typed.trim().chars().filter(|c| *c != ' ').collect();
        validator.validate(&compact)?;
        Ok(Self(compact))
    }

    /// The number as text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrescriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrescriptionId(<{} chars redacted>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_validator_bounds() {
        let v = CharsetAndLength::default();
        assert!(PrescriptionId::from_qr_payload(b"ABC123", &v).is_ok());
        assert_eq!(
            PrescriptionId::from_qr_payload(b"AB C", &v).unwrap_err(),
            Error::PrescriptionId {
                reason: "character not allowed",
                position: 2
            }
        );
        assert!(PrescriptionId::from_qr_payload(b"", &v).is_err());
        assert!(PrescriptionId::from_qr_payload(&[b'A'; 65], &v).is_err());
        assert!(PrescriptionId::from_qr_payload(&[0xff, 0x41], &v).is_err());
    }

    #[test]
    fn manual_entry_removes_grouping_spaces() {
        let id = PrescriptionId::from_manual_entry("  AB12 CD34 ", &CharsetAndLength::default())
            .unwrap();
        assert_eq!(id.expose(), "AB12CD34");
        assert!(!format!("{id:?}").contains("AB12"));
    }

    #[test]
    fn custom_validator_is_used() {
        struct EightDigits;
        impl PrescriptionIdValidator for EightDigits {
            fn validate(&self, c: &str) -> Result<()> {
                if c.len() == 8 && c.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(())
                } else {
                    Err(Error::PrescriptionId {
                        reason: "not 8 digits",
                        position: 0,
                    })
                }
            }
        }
        assert!(PrescriptionId::from_manual_entry("1234 5678", &EightDigits).is_ok());
        assert!(PrescriptionId::from_manual_entry("ABCD5678", &EightDigits).is_err());
    }
}
