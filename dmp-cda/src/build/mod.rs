//! Typed document builders (VAC-NOTE 2023.01, BIO-TROD 2024.01, eDISP-MED 2024.01, N1): each volet and version is a type, each output is conformant by
//! construction (checked against the official kit in CI, see `tests/kit.rs`).
//!
//! The JSON form of [`DocumentInput`] (its `type` field selects the builder) is what the CLI
//! `segur cda build` and the C API take.

pub mod dispensation;
pub mod examples;
pub mod header;
mod input;
pub mod n1;
pub mod posology;
mod tagged;
pub mod trod;
pub mod vac_note;
mod xw;

use serde::{Deserialize, Serialize};

pub use dispensation::{
    Dispensation2024_01, DispensedItem, DispensedProduct, EdqmTerm, MagistralPreparation,
    Prescriber, PrescriberOrganization, Product,
};
pub use header::{
    Confidentiality, Header, Organization, Patient, PreviousVersion, Professional, StructureId,
    Timestamp,
};
pub use input::MAX_AGE_YEARS;
pub use n1::{N1Kind, Pdf, UnstructuredDocument};
pub use posology::{Amount, Date, Dose, DoseUnit, Period, PeriodUnit, Posology};
pub use trod::{CystitisScreening, OtherScreening, Screening, StripResult, TestResult};
pub use vac_note::{Reaction, Vaccination, VaccinationDate, VaccinationNote2023_01, Vaccine};

/// Start of the JSON contract's own error messages (a wrong shape, such as an array where the
/// volet allows one item): they name the field and the rule, never an input value, so the CLI
/// and the C API may show them as they are.
pub const INPUT_HINT: &str = "input rule: ";

/// Why a document could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A mandatory input is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// An input is invalid.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which input.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A text input holds a character XML 1.0 forbids (§2.2 `Char`: NUL, ESC and the other C0
    /// controls but TAB, LF and CR; U+FFFE, U+FFFF). Refused, never stripped.
    #[error(
        "invalid {field}: character U+{code_point:04X} at position {position} is not allowed in XML 1.0"
    )]
    ForbiddenCharacter {
        /// JSON path of the input (`header.patient.identity.traits.birth_name`).
        field: String,
        /// 1-based character position in that input.
        position: usize,
        /// The character's code point.
        code_point: u32,
    },
}

/// Any buildable document, tagged by `type` in JSON.
///
/// Read with the `type` member first, errors inside the document carry their real line and
/// column (see the `tagged` module); serde's derived tagged enums would report line 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum DocumentInput {
    /// VAC-NOTE 2023.01.
    VaccinationNote(Box<VaccinationNote2023_01>),
    /// BIO-TROD 2024.01.
    Trod(Box<trod::Trod2024_01>),
    /// eDISP-MED 2024.01.
    Dispensation(Box<Dispensation2024_01>),
    /// Bilan partagé de médication (N1).
    Bpm(UnstructuredDocument),
    /// Compte rendu d'entretien pharmaceutique (N1).
    Entretien(UnstructuredDocument),
    /// Compte rendu de consultation pharmaceutique (N1).
    Consultation(UnstructuredDocument),
    /// Plan personnalisé de prévention (N1).
    PreventionPlan(UnstructuredDocument),
    /// Compte rendu de dépistage (N1).
    ScreeningReport(UnstructuredDocument),
}

impl DocumentInput {
    /// The `type` values, in the order of the variants.
    pub const TYPES: &'static [&'static str] = &[
        "vaccination-note",
        "trod",
        "dispensation",
        "bpm",
        "entretien",
        "consultation",
        "prevention-plan",
        "screening-report",
    ];
}

impl tagged::InternallyTagged for DocumentInput {
    const TAG: &'static str = "type";
    const EXPECTING: &'static str = "a document input";

    fn from_rest<'de, A: serde::de::MapAccess<'de>>(
        variant: &str,
        rest: A,
    ) -> Result<Self, A::Error> {
        use tagged::payload;
        Ok(match variant {
            "vaccination-note" => Self::VaccinationNote(payload(rest)?),
            "trod" => Self::Trod(payload(rest)?),
            "dispensation" => Self::Dispensation(payload(rest)?),
            "bpm" => Self::Bpm(payload(rest)?),
            "entretien" => Self::Entretien(payload(rest)?),
            "consultation" => Self::Consultation(payload(rest)?),
            "prevention-plan" => Self::PreventionPlan(payload(rest)?),
            "screening-report" => Self::ScreeningReport(payload(rest)?),
            other => return Err(serde::de::Error::unknown_variant(other, Self::TYPES)),
        })
    }
}

impl<'de> Deserialize<'de> for DocumentInput {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        tagged::deserialize(deserializer)
    }
}

impl DocumentInput {
    /// Builds the CDA XML.
    pub fn build(&self) -> Result<String, BuildError> {
        match self {
            Self::VaccinationNote(v) => v.build(),
            Self::Trod(t) => t.build(),
            Self::Dispensation(d) => d.build(),
            Self::Bpm(d) => d.build(N1Kind::Bpm),
            Self::Entretien(d) => d.build(N1Kind::Entretien),
            Self::Consultation(d) => d.build(N1Kind::Consultation),
            Self::PreventionPlan(d) => d.build(N1Kind::PreventionPlan),
            Self::ScreeningReport(d) => d.build(N1Kind::ScreeningReport),
        }
    }

    /// The header.
    pub fn header(&self) -> &Header {
        match self {
            Self::VaccinationNote(v) => &v.header,
            Self::Trod(t) => &t.header,
            Self::Dispensation(d) => &d.header,
            Self::Bpm(d)
            | Self::Entretien(d)
            | Self::Consultation(d)
            | Self::PreventionPlan(d)
            | Self::ScreeningReport(d) => &d.header,
        }
    }

    /// Mutable header (e.g. to [`Header::replace`] a previous version).
    pub fn header_mut(&mut self) -> &mut Header {
        match self {
            Self::VaccinationNote(v) => &mut v.header,
            Self::Trod(t) => &mut t.header,
            Self::Dispensation(d) => &mut d.header,
            Self::Bpm(d)
            | Self::Entretien(d)
            | Self::Consultation(d)
            | Self::PreventionPlan(d)
            | Self::ScreeningReport(d) => &mut d.header,
        }
    }
}
