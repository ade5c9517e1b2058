//! Why a CDA could not be read: one error type for the tree reader ([`crate::read`]) and the
//! streaming header extractor, so neither depends on the other.

use crate::xml::XmlError;

/// Why a CDA could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CdaError {
    /// The XML layer refused the input (size, DTD, entity, depth, malformed...).
    #[error("XML: {0}")]
    Xml(#[from] XmlError),
    /// The root element is not `ClinicalDocument`.
    #[error("root element is <{0}>, not <ClinicalDocument>")]
    NotCda(String),
    /// A mandatory element or attribute is missing (CDA R2 `ClinicalDocument` 1..1 items).
    #[error("missing {0}")]
    Missing(&'static str),
    /// A value is present but unusable.
    #[error("invalid {path}: {reason}")]
    Invalid {
        /// Where.
        path: &'static str,
        /// Why.
        reason: String,
    },
}
