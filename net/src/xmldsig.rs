//! Canonical XML and XML signatures: the VIHF (SAML 2.0 assertion) and the XAdES signature of
//! the DMP submission set, the INSi in CPS mode.
//!
//! One module per job:
//! - [`tree`]: the document model, read by the hardened [`crate::xml`] reader (no DTD, no
//!   entities, limits, namespaces checked);
//! - [`c14n`]: Canonical XML 1.0 and Exclusive XML Canonicalization 1.0, with and without
//!   comments, over a document or a subtree;
//!
//! The free function [`canonicalize`] is the short way for one document.

pub mod c14n;
pub mod tree;

pub use c14n::{C14nAlgorithm, C14nMode};
pub use tree::{Document, NodeId};

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
