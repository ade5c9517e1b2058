//! Checking signatures (XML-DSig 1.1 §3.2, core validation): every reference's digest
//! recomputed (§3.2.1), then `SignatureValue` checked over the canonical `SignedInfo` with the
//! public key of the `KeyInfo` certificate (§3.2.2).
//!
//! What comes back ([`Verified`]) says what was signed: for each reference, the element it
//! covered and the exact octets digested. Callers read those, never an element found some other
//! way, so a signed element moved elsewhere and replaced by an unsigned one (a "wrapping"
//! attack, XML-DSig Best Practices §2.3) is not trusted. [`verify_enveloped`] does that for the
//! common case: the element the caller asks about must be the one its signature covers.
//!
//! Which certificate may sign is the caller's decision (chain to a trusted CA, key usage):
//! [`Verified::certificate`] hands it over.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::XmlDsigError;
use super::algorithms::{DSIG_NAMESPACE, DigestAlgorithm, ENVELOPED_SIGNATURE, SignatureMethod};
use super::c14n::{C14nAlgorithm, C14nMode};
use super::cert::{CertificateInfo, parse_certificate};
use super::reference::{Target, Transform, same_document_octets, transform_plan};
use super::signature::MAX_REFERENCES;
use super::tree::{Document, NodeId};
use crate::xml::XmlLimits;

const EXC_C14N_NAMESPACE: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// One reference whose digest matched.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedReference {
    /// The `URI` attribute.
    pub uri: String,
    /// The `Type` attribute.
    pub type_uri: Option<String>,
    /// The transforms, in order.
    pub transforms: Vec<Transform>,
    /// The digest algorithm.
    pub digest: DigestAlgorithm,
    /// The digest value.
    pub digest_value: Vec<u8>,
    /// The element covered (`None`: the whole document, or external content).
    pub element: Option<NodeId>,
    /// The octets that were digested (the canonical form of what the reference covers); read
    /// the signed content from these.
    pub octets: Vec<u8>,
}

impl std::fmt::Debug for VerifiedReference {
    // The octets may hold patient data: only their length is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedReference")
            .field("uri", &self.uri)
            .field("type_uri", &self.type_uri)
            .field("digest", &self.digest)
            .field("element", &self.element)
            .field("octets_len", &self.octets.len())
            .finish()
    }
}

/// A signature that passed core validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signature method.
    pub method: SignatureMethod,
    /// The canonicalisation of `SignedInfo`.
    pub canonicalization: C14nMode,
    /// The certificate whose key verified `SignatureValue` (DER). The caller decides whether
    /// it trusts it.
    pub certificate: Vec<u8>,
    /// Issuer, subject and serial of [`Verified::certificate`].
    pub certificate_info: CertificateInfo,
    /// Every reference, in `SignedInfo` order.
    pub references: Vec<VerifiedReference>,
    /// The `Signature` element.
    pub signature: NodeId,
}

fn attr_required<'d>(
    doc: &'d Document<'_>,
    id: NodeId,
    name: &'static str,
) -> Result<&'d str, XmlDsigError> {
    doc.attribute(id, name).ok_or(XmlDsigError::Missing(name))
}

fn ds_child(doc: &Document<'_>, id: NodeId, local: &'static str) -> Result<NodeId, XmlDsigError> {
    doc.child(id, DSIG_NAMESPACE, local)
        .ok_or(XmlDsigError::Missing(local))
}

/// Base64 content with whitespace (line breaks of MIME-style encoders) ignored.
pub(crate) fn base64_text(text: &str, what: &'static str) -> Result<Vec<u8>, XmlDsigError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(compact)
        .map_err(|_| XmlDsigError::Base64(what))
}

/// A text shortened and with control characters escaped, for error messages naming a URI.
pub(crate) fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(120).flat_map(char::escape_debug).collect();
    if s.chars().count() > 120 {
        out.push('…');
    }
    out
}

/// `CanonicalizationMethod` or a c14n `Transform` element read as a mode.
fn c14n_mode(doc: &Document<'_>, id: NodeId, algorithm: C14nAlgorithm) -> C14nMode {
    if !algorithm.is_exclusive() {
        return C14nMode::new(algorithm);
    }
    let list = doc
        .child(id, EXC_C14N_NAMESPACE, "InclusiveNamespaces")
        .and_then(|n| doc.attribute(n, "PrefixList"))
        .unwrap_or("");
    C14nMode::exclusive_with_prefixes(algorithm.with_comments(), list.split_ascii_whitespace())
}

fn transforms_of(
    doc: &Document<'_>,
    reference: NodeId,
    index: usize,
) -> Result<Vec<Transform>, XmlDsigError> {
    let Some(list) = doc.child(reference, DSIG_NAMESPACE, "Transforms") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for t in doc.child_elements(list) {
        if !doc.is(t, DSIG_NAMESPACE, "Transform") {
            return Err(XmlDsigError::UnsupportedTransforms { reference: index });
        }
        let alg = attr_required(doc, t, "Algorithm")?;
        if alg == ENVELOPED_SIGNATURE {
            out.push(Transform::EnvelopedSignature);
        } else if let Some(a) = C14nAlgorithm::from_uri(alg) {
            out.push(Transform::Canonicalize(c14n_mode(doc, t, a)));
        } else {
            return Err(XmlDsigError::UnsupportedAlgorithm {
                what: "Transform",
                uri: shown(alg),
            });
        }
    }
    transform_plan(&out, index)?;
    Ok(out)
}

/// Core validation of the `Signature` element `signature` of `doc`. Same-document references
/// (`""`, `#id`) are resolved in `doc`; any other URI is handed to `external`, which returns
/// the content's octets (they then go through the reference's canonicalisation, if any) or
/// `None` when it cannot resolve it ([`XmlDsigError::UnresolvedReference`]).
pub fn verify_signature(
    doc: &Document<'_>,
    signature: NodeId,
    external: &dyn Fn(&str) -> Option<Vec<u8>>,
    limits: XmlLimits,
) -> Result<Verified, XmlDsigError> {
    if !doc.is(signature, DSIG_NAMESPACE, "Signature") {
        return Err(XmlDsigError::Missing("Signature"));
    }
    // XML-DSig 1.1 §4: SignedInfo, SignatureValue, KeyInfo?, Object* in this order.
    let mut children = doc.child_elements(signature);
    let info = children
        .next()
        .filter(|c| doc.is(*c, DSIG_NAMESPACE, "SignedInfo"))
        .ok_or(XmlDsigError::Missing("SignedInfo"))?;
    let value_el = children
        .next()
        .filter(|c| doc.is(*c, DSIG_NAMESPACE, "SignatureValue"))
        .ok_or(XmlDsigError::Missing("SignatureValue"))?;
    let mut info_children = doc.child_elements(info);
    let c14n_el = info_children
        .next()
        .filter(|c| doc.is(*c, DSIG_NAMESPACE, "CanonicalizationMethod"))
        .ok_or(XmlDsigError::Missing("CanonicalizationMethod"))?;
    let c14n_uri = attr_required(doc, c14n_el, "Algorithm")?;
    let c14n_alg =
        C14nAlgorithm::from_uri(c14n_uri).ok_or_else(|| XmlDsigError::UnsupportedAlgorithm {
            what: "CanonicalizationMethod",
            uri: shown(c14n_uri),
        })?;
    let canonicalization = c14n_mode(doc, c14n_el, c14n_alg);
    let method_el = info_children
        .next()
        .filter(|c| doc.is(*c, DSIG_NAMESPACE, "SignatureMethod"))
        .ok_or(XmlDsigError::Missing("SignatureMethod"))?;
    let method_uri = attr_required(doc, method_el, "Algorithm")?;
    let method = SignatureMethod::from_uri(method_uri).ok_or_else(|| {
        XmlDsigError::UnsupportedAlgorithm {
            what: "SignatureMethod",
            uri: shown(method_uri),
        }
    })?;
    // XML-DSig 1.1 §3.2.1: reference validation.
    let mut references = Vec::new();
    for (index, r) in info_children.enumerate() {
        if !doc.is(r, DSIG_NAMESPACE, "Reference") {
            return Err(XmlDsigError::Missing("Reference"));
        }
        if index >= MAX_REFERENCES {
            return Err(XmlDsigError::Invalid("more than 64 references"));
        }
        let uri = doc
            .attribute(r, "URI")
            .ok_or(XmlDsigError::Missing("URI"))?
            .to_owned();
        let transforms = transforms_of(doc, r, index)?;
        let dm = ds_child(doc, r, "DigestMethod")?;
        let dm_uri = attr_required(doc, dm, "Algorithm")?;
        let digest = DigestAlgorithm::from_uri(dm_uri).ok_or_else(|| {
            XmlDsigError::UnsupportedAlgorithm {
                what: "DigestMethod",
                uri: shown(dm_uri),
            }
        })?;
        let expected = base64_text(&doc.text(ds_child(doc, r, "DigestValue")?), "DigestValue")?;
        let (element, octets) = if uri.is_empty() {
            same_document_octets(doc, signature, &Target::Document, &transforms, index)?
        } else if let Some(id) = uri.strip_prefix('#') {
            if id.starts_with("xpointer(") {
                return Err(XmlDsigError::UnsupportedReference {
                    reference: index,
                    uri: shown(&uri),
                });
            }
            same_document_octets(
                doc,
                signature,
                &Target::Element(id.to_owned()),
                &transforms,
                index,
            )?
        } else {
            let content =
                external(&uri).ok_or(XmlDsigError::UnresolvedReference { reference: index })?;
            let (enveloped, mode) = transform_plan(&transforms, index)?;
            let octets = if transforms.is_empty() {
                content
            } else if enveloped {
                return Err(XmlDsigError::UnsupportedTransforms { reference: index });
            } else {
                Document::parse(&content, limits)?.canonicalize(&mode)
            };
            (None, octets)
        };
        if digest.digest(&octets) != expected {
            return Err(XmlDsigError::DigestMismatch {
                reference: index,
                uri: shown(&uri),
            });
        }
        references.push(VerifiedReference {
            uri,
            type_uri: doc.attribute(r, "Type").map(str::to_owned),
            transforms,
            digest,
            digest_value: expected,
            element,
            octets,
        });
    }
    if references.is_empty() {
        return Err(XmlDsigError::Missing("Reference"));
    }
    // XML-DSig 1.1 §3.2.2: signature validation with the KeyInfo certificate.
    let signed_info = doc.canonicalize_element(info, None, &canonicalization);
    let signature_value = base64_text(&doc.text(value_el), "SignatureValue")?;
    let key_info = children
        .next()
        .filter(|c| doc.is(*c, DSIG_NAMESPACE, "KeyInfo"))
        .ok_or(XmlDsigError::Missing("KeyInfo"))?;
    let mut certificates = Vec::new();
    for data in doc.child_elements(key_info) {
        if doc.is(data, DSIG_NAMESPACE, "X509Data") {
            for c in doc.child_elements(data) {
                if doc.is(c, DSIG_NAMESPACE, "X509Certificate") {
                    certificates.push(base64_text(&doc.text(c), "X509Certificate")?);
                }
            }
        }
    }
    if certificates.is_empty() {
        return Err(XmlDsigError::Missing("X509Certificate"));
    }
    for der in certificates {
        let Some(info) = parse_certificate(&der) else {
            continue;
        };
        let Some(key) = &info.rsa_public_key else {
            continue;
        };
        if method.verify(key, &signed_info, &signature_value) {
            return Ok(Verified {
                method,
                canonicalization,
                certificate: der,
                certificate_info: info,
                references,
                signature,
            });
        }
    }
    Err(XmlDsigError::SignatureInvalid)
}

/// An enveloped signature that passed core validation and covers the element asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEnveloped {
    /// The validation result.
    pub verified: Verified,
    /// The identifier of the signed element (its `ID`/`Id`/`id`).
    pub element_id: String,
    /// The canonical form of the signed element without its signature: the octets that were
    /// digested. Read the signed content from these.
    pub signed_xml: Vec<u8>,
}

/// Verifies the enveloped signature of the element at `path` (`(namespace, local name)` from
/// the root, the root first; the first match at each step), e.g. the VIHF assertion in
/// `Envelope/Header/Security/Assertion`. The element must have exactly one `ds:Signature`
/// child, whose one reference is `#` + the element's own `ID`/`Id`/`id`, which no other element
/// carries, with the enveloped-signature transform (DMP note §11.1 item 3).
pub fn verify_enveloped(
    input: &[u8],
    path: &[(&str, &str)],
    limits: XmlLimits,
) -> Result<VerifiedEnveloped, XmlDsigError> {
    let doc = Document::parse(input, limits)?;
    let element = doc
        .find_path(path)
        .ok_or(XmlDsigError::Missing("signed element"))?;
    let signatures: Vec<NodeId> = doc
        .child_elements(element)
        .filter(|c| doc.is(*c, DSIG_NAMESPACE, "Signature"))
        .collect();
    let [signature] = signatures.as_slice() else {
        return Err(XmlDsigError::Wrapping(
            "the element must have exactly one Signature child",
        ));
    };
    let id = ["ID", "Id", "id"]
        .into_iter()
        .find_map(|a| doc.attribute(element, a))
        .ok_or(XmlDsigError::Missing("ID"))?
        .to_owned();
    let verified = verify_signature(&doc, *signature, &|_| None, limits)?;
    let [reference] = verified.references.as_slice() else {
        return Err(XmlDsigError::Wrapping(
            "an enveloped signature has one reference",
        ));
    };
    if reference.element != Some(element) || reference.uri != format!("#{id}") {
        return Err(XmlDsigError::Wrapping(
            "the signature does not cover the element asked about",
        ));
    }
    if reference.transforms.first() != Some(&Transform::EnvelopedSignature) {
        return Err(XmlDsigError::Wrapping("the reference is not enveloped"));
    }
    let signed_xml = reference.octets.clone();
    Ok(VerifiedEnveloped {
        verified,
        element_id: id,
        signed_xml,
    })
}
