//! SOAP 1.1 and 1.2 envelopes, WS-Addressing headers, typed faults, MTOM/XOP.
//!
//! - [`build_envelope`] writes an envelope with WS-Addressing 1.0 headers ([`Addressing`],
//!   W3C WS-Addressing 1.0 SOAP Binding §2) and caller-built header blocks and body through the
//!   escaping [`crate::xml::XmlWriter`];
//! - [`parse_envelope`] reads one with the hardened [`crate::xml`] reader; the version comes
//!   from the envelope namespace (SOAP 1.1 §4.1.2, SOAP 1.2 Part 1 §5.4.7), never from a header;
//! - [`SoapFault`] is the typed fault of both versions (SOAP 1.1 §4.4, SOAP 1.2 Part 1 §5.4);
//! - [`mtom`] reads and writes the MTOM/XOP `multipart/related` packages the DMP uses for
//!   documents (W3C XOP, SOAP MTOM, RFC 2387; DMP: `specs/dmp.md` §5.1).

mod envelope;
mod fault;
pub mod mtom;

pub use envelope::{Addressing, Envelope, build_envelope, parse_envelope};
pub use fault::{DetailEntry, FaultCode, SoapFault};

/// Namespace of SOAP 1.1 envelopes (SOAP 1.1 §4.1.2).
pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// Namespace of SOAP 1.2 envelopes (SOAP 1.2 Part 1 §5.4.7 / Appendix A).
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
/// Namespace of WS-Addressing 1.0 (W3C WS-Addressing 1.0 Core §1.2).
pub const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";
/// The WS-Addressing anonymous address (WS-Addressing 1.0 Core §2.1).
pub const WSA_ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";
/// Namespace of `xop:Include` (W3C XOP §3.1).
pub const XOP_NS: &str = "http://www.w3.org/2004/08/xop/include";

/// The SOAP version, known from the envelope namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SoapVersion {
    /// SOAP 1.1 (`http://schemas.xmlsoap.org/soap/envelope/`).
    Soap11,
    /// SOAP 1.2 (`http://www.w3.org/2003/05/soap-envelope`), used by the DMP and INSi.
    Soap12,
}

impl SoapVersion {
    /// The envelope namespace.
    pub const fn namespace(self) -> &'static str {
        match self {
            Self::Soap11 => SOAP11_NS,
            Self::Soap12 => SOAP12_NS,
        }
    }

    /// The version of an envelope namespace.
    pub fn from_namespace(ns: &str) -> Option<Self> {
        match ns {
            SOAP11_NS => Some(Self::Soap11),
            SOAP12_NS => Some(Self::Soap12),
            _ => None,
        }
    }

    /// The media type of the envelope: `text/xml` (SOAP 1.1 §6.1.1) or `application/soap+xml`
    /// (RFC 3902, SOAP 1.2 Part 2 §7.1.4).
    pub const fn media_type(self) -> &'static str {
        match self {
            Self::Soap11 => "text/xml",
            Self::Soap12 => "application/soap+xml",
        }
    }

    /// The version of a media type (parameters ignored), if it is one of the two.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let essence = media_type.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("text/xml") {
            Some(Self::Soap11)
        } else if essence.eq_ignore_ascii_case("application/soap+xml") {
            Some(Self::Soap12)
        } else {
            None
        }
    }
}

/// Why a SOAP message could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SoapError {
    /// The XML was refused by the hardened reader.
    #[error("SOAP envelope: {0}")]
    Xml(#[from] crate::xml::XmlError),
    /// The XML could not be written.
    #[error("SOAP envelope: {0}")]
    Write(#[from] crate::xml::XmlWriteError),
    /// The root is not `Envelope` in the SOAP 1.1 or 1.2 namespace (a SOAP 1.2 node answers
    /// `VersionMismatch`, SOAP 1.2 Part 1 §5.4.7).
    #[error("root element is not a SOAP 1.1 or 1.2 Envelope (byte {position})")]
    NotAnEnvelope {
        /// Byte offset of the root element.
        position: u64,
    },
    /// No `Body`, or a `Header` after it, or another element in the envelope (SOAP 1.2 Part 1
    /// §5.1: an optional Header then exactly one Body).
    #[error("envelope structure is invalid at byte {position}")]
    Structure {
        /// Byte offset of the offending element (of the envelope when the Body is missing).
        position: u64,
    },
    /// An MTOM/XOP package could not be read or written.
    #[error("MTOM: {0}")]
    Mtom(#[from] mtom::MtomError),
}
