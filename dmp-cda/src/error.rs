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
    /// The `ClinicalDocument` is not in the HL7 v3 namespace (CDA R2 schema
    /// `targetNamespace="urn:hl7-org:v3"`, prefixed or default): in no namespace or a foreign
    /// one, named here (its first 128 characters, escaped).
    #[error("<ClinicalDocument> is {}, not in the HL7 v3 namespace urn:hl7-org:v3", describe_namespace(.found))]
    Namespace {
        /// The namespace URI found, `None` for no namespace.
        found: Option<String>,
    },
    /// A `nonXMLBody/text` holds an element inside its content: CDA R2 `ED` allows only
    /// `reference` and `thumbnail` there, and reading the text around it would silently cut
    /// the content. Names the element (its first 64 characters, escaped).
    #[error("nonXMLBody/text holds the element <{element}> inside its content")]
    NonXmlBodyMarkup {
        /// Local name of the element found.
        element: String,
    },
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

fn describe_namespace(found: &Option<String>) -> String {
    match found {
        None => "in no namespace".to_owned(),
        Some(uri) => format!("in the namespace \"{uri}\""),
    }
}

impl CdaError {
    /// [`CdaError::Namespace`] for the namespace `found`, kept to 128 characters with control,
    /// quote and non-ASCII characters escaped (it is document text shown to a terminal).
    pub(crate) fn namespace(found: Option<&str>) -> Self {
        CdaError::Namespace {
            found: found.map(|uri| {
                uri.chars()
                    .take(128)
                    .flat_map(char::escape_default)
                    .collect()
            }),
        }
    }
}
