//! References (XML-DSig 1.1 §4.4.3) and the transforms this SDK accepts (§6.6): what a
//! reference points at and how its octets are made.

use super::XmlDsigError;
use super::algorithms::{DigestAlgorithm, ENVELOPED_SIGNATURE};
use super::c14n::{C14nAlgorithm, C14nMode};
use super::tree::{Document, NodeId};

/// A transform of a reference. Only these two are accepted, on signing and on verifying: no
/// XPath, XSLT or base64 transform, which would let a signature cover something other than
/// what the caller reads (XML-DSig Best Practices, W3C Note 2013, §2.1 and §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Transform {
    /// The enveloped-signature transform (XML-DSig 1.1 §6.6.4): the `Signature` element that
    /// holds the reference is removed from the node set.
    EnvelopedSignature,
    /// A canonicalisation (XML-DSig 1.1 §6.6.1).
    Canonicalize(C14nMode),
}

impl Transform {
    /// The algorithm identifier.
    pub fn uri(&self) -> &'static str {
        match self {
            Self::EnvelopedSignature => ENVELOPED_SIGNATURE,
            Self::Canonicalize(m) => m.algorithm().uri(),
        }
    }
}

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    /// `URI=""`: the document without comments (XML-DSig 1.1 §4.4.3.3).
    Document,
    /// `URI="#id"`: the element with that `ID`/`Id`/`id`, without comments (§4.4.3.3).
    Element(String),
    /// Any other URI: content outside the document, whose digest the caller supplies.
    External {
        /// The digest value.
        digest_value: Vec<u8>,
    },
}

/// One `Reference` to sign (XML-DSig 1.1 §4.4.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    pub(crate) uri: String,
    pub(crate) target: Target,
    pub(crate) type_uri: Option<String>,
    pub(crate) transforms: Vec<Transform>,
    pub(crate) digest: DigestAlgorithm,
}

impl Reference {
    /// A same-document reference `#id` with no transform (its octets are the inclusive
    /// canonical form without comments, §4.4.3.2), digested with SHA-256.
    pub fn to_element(id: &str) -> Self {
        Self {
            uri: format!("#{id}"),
            target: Target::Element(id.to_owned()),
            type_uri: None,
            transforms: Vec::new(),
            digest: DigestAlgorithm::Sha256,
        }
    }

    /// The reference of an enveloped signature of the element `id`: `#id`, transforms
    /// enveloped-signature then exclusive C14N (the VIHF, DMP note §2.4), SHA-256.
    pub fn enveloped(id: &str) -> Self {
        Self::to_element(id).with_transforms(vec![
            Transform::EnvelopedSignature,
            Transform::Canonicalize(C14nMode::new(C14nAlgorithm::Exclusive)),
        ])
    }

    /// `URI=""` (the whole document, §4.4.3.3) with enveloped-signature and exclusive C14N.
    pub fn whole_document_enveloped() -> Self {
        Self {
            uri: String::new(),
            target: Target::Document,
            type_uri: None,
            transforms: vec![
                Transform::EnvelopedSignature,
                Transform::Canonicalize(C14nMode::new(C14nAlgorithm::Exclusive)),
            ],
            digest: DigestAlgorithm::Sha256,
        }
    }

    /// A reference to content outside the document (e.g. `urn:oid:…` in the DMP manifest)
    /// whose `digest_value` under `digest` the caller computed, after the `transforms` it
    /// declares with [`Reference::with_transforms`].
    pub fn external(uri: &str, digest: DigestAlgorithm, digest_value: Vec<u8>) -> Self {
        Self {
            uri: uri.to_owned(),
            target: Target::External { digest_value },
            type_uri: None,
            transforms: Vec::new(),
            digest,
        }
    }

    /// Sets the `Type` attribute (e.g. [`super::algorithms::MANIFEST_TYPE`]).
    pub fn with_type(mut self, type_uri: &str) -> Self {
        self.type_uri = Some(type_uri.to_owned());
        self
    }

    /// Sets the transforms.
    pub fn with_transforms(mut self, transforms: Vec<Transform>) -> Self {
        self.transforms = transforms;
        self
    }

    /// Sets the digest algorithm.
    pub fn with_digest(mut self, digest: DigestAlgorithm) -> Self {
        self.digest = digest;
        self
    }

    /// The `URI` attribute.
    pub fn uri(&self) -> &str {
        &self.uri
    }
}

/// The canonical mode the transforms end with, and whether the enveloped transform is there.
/// Accepted sequences: none, `[c14n]`, `[enveloped]`, `[enveloped, c14n]`.
pub(crate) fn transform_plan(
    transforms: &[Transform],
    index: usize,
) -> Result<(bool, C14nMode), XmlDsigError> {
    let default = C14nMode::new(C14nAlgorithm::Inclusive);
    match transforms {
        [] => Ok((false, default)),
        [Transform::EnvelopedSignature] => Ok((true, default)),
        [Transform::Canonicalize(m)] => Ok((false, m.clone())),
        [Transform::EnvelopedSignature, Transform::Canonicalize(m)] => Ok((true, m.clone())),
        _ => Err(XmlDsigError::UnsupportedTransforms { reference: index }),
    }
}

/// A same-document reference's node set rendered to octets (XML-DSig 1.1 §4.4.3.2): the
/// element (or document) it names, without comments (bare-name and empty URIs drop them,
/// §4.4.3.3), without `signature` when the enveloped transform is there. Returns the element
/// covered (`None` for the whole document).
pub(crate) fn same_document_octets(
    doc: &Document<'_>,
    signature: NodeId,
    target: &Target,
    transforms: &[Transform],
    index: usize,
) -> Result<(Option<NodeId>, Vec<u8>), XmlDsigError> {
    let (enveloped, mode) = transform_plan(transforms, index)?;
    let mode = mode.without_comments();
    let excluded = enveloped.then_some(signature);
    match target {
        Target::Document => Ok((None, doc.canonicalize_excluding(excluded, &mode))),
        Target::Element(id) => {
            let element = unique_element(doc, id, index)?;
            Ok((
                Some(element),
                doc.canonicalize_element(element, excluded, &mode),
            ))
        }
        Target::External { .. } => Err(XmlDsigError::UnresolvedReference { reference: index }),
    }
}

/// The one element with this identifier: none or several is an error (several would let a
/// wrapped copy stand for the signed element).
pub(crate) fn unique_element(
    doc: &Document<'_>,
    id: &str,
    index: usize,
) -> Result<NodeId, XmlDsigError> {
    match doc.elements_by_id(id).as_slice() {
        [one] => Ok(*one),
        [] => Err(XmlDsigError::UnresolvedReference { reference: index }),
        many => Err(XmlDsigError::DuplicateId {
            reference: index,
            count: many.len(),
        }),
    }
}
