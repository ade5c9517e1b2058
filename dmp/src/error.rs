//! The errors of the DMP client, layered by source: configuration, VIHF, transport (TLS and
//! HTTP), SOAP (envelope, MTOM, faults), the DMP's answers (refusals and registry errors), and
//! responses that do not follow the contract. No variant carries patient data, the
//! homologation number or key material.

use segur_net::http::HttpError;
use segur_net::soap::{SoapError, SoapFault};
use segur_net::tls::TlsError;
use segur_net::xml::{XmlError, XmlWriteError};

use crate::config::ConfigError;
use crate::registry::RegistryError;
use crate::vihf::VihfError;

/// Why a DMP operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DmpError {
    /// `dmp.toml` could not be read.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A certificate or key file of the configuration could not be read.
    #[error("cannot read {what}: {source}")]
    File {
        /// Which file (its role, e.g. "the TLS client key").
        what: &'static str,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TLS material does not load.
    #[error("TLS material: {0}")]
    Tls(#[from] TlsError),
    /// The VIHF could not be built or signed.
    #[error(transparent)]
    Vihf(#[from] VihfError),
    /// A signature (VIHF, XAdES) could not be made.
    #[error("signature: {0}")]
    Signature(#[from] segur_net::xmldsig::XmlDsigError),
    /// The signing key could not be used.
    #[error("signing key: {0}")]
    SigningKey(#[from] segur_net::sign::SignError),
    /// The request could not be written.
    #[error("request: {0}")]
    Request(#[from] RequestError),
    /// No usable Pro Santé Connect access token for [`crate::client::DmpClient::with_bearer_tokens`]
    /// (the provider failed, or gave an expired token); nothing was sent.
    #[error("Pro Santé Connect token: {0}")]
    Token(#[from] segur_net::token::TokenError),
    /// The exchange failed (TLS, connection, time-out, HTTP status without a SOAP fault).
    #[error("DMP exchange: {0}")]
    Http(#[from] HttpError),
    /// The DMP answered with a SOAP fault (SOAP 1.2 Part 1 §5.4; `shared/specs/dmp.md` §9).
    #[error("DMP refusal: {0}")]
    Fault(Box<SoapFault>),
    /// The DMP answered with a registry Failure or PartialSuccess (ebRS 3.0 §2.1.3; §5.4, §9).
    #[error("DMP refusal: {status}, {} error(s){}", errors.len(), first_code(errors))]
    Registry {
        /// The response status.
        status: crate::registry::RegistryStatus,
        /// Every RegistryError, in order.
        errors: Vec<RegistryError>,
    },
    /// The DMP refused an HL7 v3 or DMP-service request (`acknowledgement@typeCode` other than
    /// `AA`, or a status other than `DMPOk`; §3.2, §4).
    #[error("DMP refusal: {code}")]
    Refused {
        /// The code given by the DMP (acknowledgement detail code, or the status).
        code: String,
    },
    /// The answer does not follow the contract (not SOAP, not the expected body, missing part).
    #[error("unexpected DMP response: {0}")]
    Response(#[from] ResponseError),
    /// A document of a received IHE_XDM cannot be fed (`crate::from_xdm`).
    #[error("IHE_XDM feed: {0}")]
    Xdm(#[from] crate::from_xdm::XdmFeedError),
    /// A document is not what the operation needs (no INS, not a CDA...).
    #[error("document: {0}")]
    Document(String),
}

fn first_code(errors: &[RegistryError]) -> String {
    errors
        .first()
        .map(|e| format!(" (first: {})", e.code))
        .unwrap_or_default()
}

impl DmpError {
    /// Whether the DMP itself refused (a SOAP fault, a registry failure, a negative
    /// acknowledgement): exit status 1 of the command line, as opposed to any other error.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Fault(_) | Self::Registry { .. } | Self::Refused { .. }
        )
    }
}

/// Why a request could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// A value XML cannot carry.
    #[error("XML: {0}")]
    Xml(#[from] XmlWriteError),
    /// The envelope or MTOM package could not be written.
    #[error("SOAP: {0}")]
    Soap(#[from] SoapError),
    /// A value that breaks the request's rules (named, never shown).
    #[error("invalid {0}")]
    Invalid(&'static str),
}

/// Why a response does not follow the contract. Positions are byte offsets in the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The XML was refused by the hardened reader.
    #[error("XML: {0}")]
    Xml(#[from] XmlError),
    /// The SOAP envelope or MTOM package is invalid.
    #[error("SOAP: {0}")]
    Soap(#[from] SoapError),
    /// The body does not hold the expected element.
    #[error("expected {expected} in the SOAP body (byte {position})")]
    UnexpectedBody {
        /// The expected element's local name.
        expected: &'static str,
        /// Offset of the body content found (of the body when empty).
        position: u64,
    },
    /// A required element or attribute is missing.
    #[error("{what} missing (byte {position})")]
    Missing {
        /// What is missing.
        what: &'static str,
        /// Offset of the enclosing element.
        position: u64,
    },
    /// A value that is not one the contract allows.
    #[error("invalid {what} (byte {position})")]
    Invalid {
        /// Which value.
        what: &'static str,
        /// Offset of the element holding it.
        position: u64,
    },
    /// The HTTP Content-Type is neither SOAP nor MTOM.
    #[error("unexpected Content-Type")]
    ContentType,
    /// A retrieved document's size or SHA-1 differs from its registry metadata (STD; §7).
    #[error("retrieved document does not match its metadata ({0})")]
    DocumentMismatch(&'static str),
}

impl From<XmlError> for DmpError {
    fn from(e: XmlError) -> Self {
        Self::Response(ResponseError::Xml(e))
    }
}
