//! Canonical XML and XML signatures: the VIHF (SAML 2.0 assertion) and the XAdES signature of
//! the DMP submission set, the INSi in CPS mode.
//!
//! One module per job:
//! - [`tree`]: the document model, read by the hardened [`crate::xml`] reader (no DTD, no
//!   entities, limits, namespaces checked);
//! - [`c14n`]: Canonical XML 1.0 and Exclusive XML Canonicalization 1.0, with and without
//!   comments, over a document or a subtree;
//! - [`algorithms`]: digest and signature method identifiers (XML-DSig 1.1 §6);
//! - [`cert`]: the certificate fields signatures use (public key, issuer, serial);
//! - [`mod@reference`]: references and the accepted transforms;
//! - [`signature`]: [`SignatureBuilder`], enveloped and detached signing through
//!   [`crate::sign::Signer`];
//! - [`verify`]: core validation returning what was signed ([`Verified`]), and
//!   [`verify_enveloped`] for an element's own signature;
//! - [`xades`]: the XAdES signature of a DMP submission set (DMP note §5.3) and its checks.
//!
//! The free function [`canonicalize`] is the short way for one document.

pub mod algorithms;
pub mod c14n;
pub mod cert;
pub mod reference;
pub mod signature;
pub mod tree;
pub mod verify;
pub mod xades;

pub use algorithms::{DigestAlgorithm, SignatureMethod};
pub use c14n::{C14nAlgorithm, C14nMode};
pub use reference::{Reference, Transform};
pub use signature::{Placement, SignatureBuilder};
pub use tree::{Document, NodeId};
pub use verify::{
    Verified, VerifiedEnveloped, VerifiedReference, verify_enveloped, verify_signature,
};

use crate::xml::{XmlError, XmlLimits};

/// Which part of a document to canonicalise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection<'s> {
    /// The whole document (C14N 1.0 §2.1: the document node and everything under it).
    Document,
    /// The subtree of the unique element whose `ID`, `Id` or `id` attribute has this value
    /// (the node set of a same-document reference `#id`, XML-DSig 1.1 §4.4.3.3, comments
    /// included only by the "with comments" algorithms).
    ElementById(&'s str),
    /// The subtree of the first element with this path of `(namespace, local name)` from the
    /// root, the root's own name first.
    ElementByPath(&'s [(&'s str, &'s str)]),
}

/// Why a canonical form could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum C14nError {
    /// The input is not XML the hardened reader accepts (kind and byte position).
    #[error("XML: {0}")]
    Xml(#[from] XmlError),
    /// No element has this identifier or path.
    #[error("no element matches the selection")]
    NotFound,
    /// Several elements carry the identifier: a reference to it would be ambiguous.
    #[error("{count} elements carry the same identifier")]
    DuplicateId {
        /// How many.
        count: usize,
    },
}

/// The canonical form of `selection` in `input` under `mode` (the W3C algorithm of
/// [`C14nMode::algorithm`]), after reading `input` with the hardened reader under `limits`.
pub fn canonicalize(
    input: &[u8],
    mode: &C14nMode,
    selection: Selection<'_>,
    limits: XmlLimits,
) -> Result<Vec<u8>, C14nError> {
    let doc = Document::parse(input, limits)?;
    let element = match selection {
        Selection::Document => return Ok(doc.canonicalize(mode)),
        Selection::ElementById(id) => match doc.elements_by_id(id).as_slice() {
            [one] => *one,
            [] => return Err(C14nError::NotFound),
            many => return Err(C14nError::DuplicateId { count: many.len() }),
        },
        Selection::ElementByPath(path) => doc.find_path(path).ok_or(C14nError::NotFound)?,
    };
    Ok(doc.canonicalize_element(element, None, mode))
}

/// Why a signature could not be made or did not verify. Never carries document content; URIs
/// are shortened and escaped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum XmlDsigError {
    /// The document is not XML the hardened reader accepts (kind and byte position).
    #[error("XML: {0}")]
    Xml(#[from] XmlError),
    /// A required element or attribute is absent (XML-DSig 1.1 §4 structure).
    #[error("missing {0}")]
    Missing(&'static str),
    /// An algorithm this SDK does not implement or accept.
    #[error("unsupported {what} algorithm {uri}")]
    UnsupportedAlgorithm {
        /// Which element names it.
        what: &'static str,
        /// The identifier (shortened, escaped).
        uri: String,
    },
    /// A transform sequence other than `[enveloped-signature]? [c14n]?`.
    #[error("reference {reference}: unsupported transforms")]
    UnsupportedTransforms {
        /// Index of the reference in `SignedInfo`, from 0.
        reference: usize,
    },
    /// A reference URI form this SDK does not resolve (XPointer).
    #[error("reference {reference}: unsupported URI {uri}")]
    UnsupportedReference {
        /// Index of the reference.
        reference: usize,
        /// The URI (shortened, escaped).
        uri: String,
    },
    /// No element carries the referenced identifier, or external content was not supplied.
    #[error("reference {reference}: target not found")]
    UnresolvedReference {
        /// Index of the reference.
        reference: usize,
    },
    /// Several elements carry the referenced identifier (a wrapping attempt or a broken
    /// document).
    #[error("reference {reference}: {count} elements carry the identifier")]
    DuplicateId {
        /// Index of the reference.
        reference: usize,
        /// How many.
        count: usize,
    },
    /// The recomputed digest differs from `DigestValue` (XML-DSig 1.1 §3.2.1): the content
    /// was altered.
    #[error("reference {reference} ({uri}): digest mismatch")]
    DigestMismatch {
        /// Index of the reference.
        reference: usize,
        /// Its URI (shortened, escaped).
        uri: String,
    },
    /// `SignatureValue` does not verify with any `KeyInfo` certificate (§3.2.2).
    #[error("the signature value does not verify with the KeyInfo certificate")]
    SignatureInvalid,
    /// The signature does not cover what the caller asked about.
    #[error("signature placement: {0}")]
    Wrapping(&'static str),
    /// Base64 content that does not decode.
    #[error("{0} is not base64")]
    Base64(&'static str),
    /// A certificate problem.
    #[error("certificate: {0}")]
    Certificate(&'static str),
    /// A signature description or document the SDK refuses to produce.
    #[error("invalid signature request: {0}")]
    Invalid(&'static str),
    /// The signer failed.
    #[error("signing: {0}")]
    Sign(#[from] crate::sign::SignError),
}
