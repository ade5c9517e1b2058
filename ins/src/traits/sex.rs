//! Sex trait: INSi only delivers `M`/`F` (EF_INS25_04); a local "indéterminé" exists in patient
//! files but can never be sent (INSi, datamatrix), so it is a separate type.

use crate::error::TraitError;

/// Sex as a strict INS trait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Sex {
    /// `M`.
    #[serde(rename = "M")]
    Male,
    /// `F`.
    #[serde(rename = "F")]
    Female,
}

impl Sex {
    /// `M` or `F` (INSi, CDA `administrativeGenderCode`, datamatrix S5).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Male => "M",
            Self::Female => "F",
        }
    }

    /// Parses `M`/`F` (any case).
    pub fn parse(s: &str) -> Result<Self, TraitError> {
        match s.trim() {
            "M" | "m" => Ok(Self::Male),
            "F" | "f" => Ok(Self::Female),
            "I" | "i" | "U" | "u" => Err(TraitError::IndeterminateSex),
            _ => Err(TraitError::Sex),
        }
    }

    /// FHIR `Patient.gender` (`other` is forbidden in France: FR Core issue #236).
    pub const fn fhir_gender(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
        }
    }
}

/// Administrative sex as stored locally, including "indéterminé", which cannot be transmitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum LocalSex {
    /// Male.
    #[serde(rename = "M")]
    Male,
    /// Female.
    #[serde(rename = "F")]
    Female,
    /// Indéterminé (`I`): local only.
    #[serde(rename = "I")]
    Indeterminate,
}

impl TryFrom<LocalSex> for Sex {
    type Error = TraitError;
    fn try_from(s: LocalSex) -> Result<Self, TraitError> {
        match s {
            LocalSex::Male => Ok(Sex::Male),
            LocalSex::Female => Ok(Sex::Female),
            LocalSex::Indeterminate => Err(TraitError::IndeterminateSex),
        }
    }
}
