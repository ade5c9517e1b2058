//! Making signatures: [`SignatureBuilder`] describes `SignedInfo` and `KeyInfo`, signs through
//! a [`Signer`] and places the `Signature` element in a document (enveloped, XML-DSig 1.1 §2)
//! or returns it as a document of its own (detached, its references pointing at its own
//! `Object`s or at external content).
//!
//! Signing follows the order of XML-DSig 1.1 §3.1: the `Signature` element is written into the
//! document with empty values, the document is read back, each reference's octets are made
//! from that very document and digested (§3.1.1), then `SignedInfo` is canonicalised in place
//! and signed (§3.1.2). Digests are therefore computed exactly as a verifier recomputes them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::XmlDsigError;
use super::algorithms::{DSIG_NAMESPACE, SignatureMethod};
use super::c14n::{C14nAlgorithm, C14nMode};
use super::reference::{Reference, Target, same_document_octets};
use super::tree::{Document, NodeId};
use crate::sign::Signer;
use crate::xml::{XmlLimits, escape_attribute, escape_text};

/// The namespace of `InclusiveNamespaces` (Exclusive C14N §4).
const EXC_C14N_NAMESPACE: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// Most references one signature may carry (each is one pass over its node set).
pub const MAX_REFERENCES: usize = 64;

/// Where an enveloped `Signature` goes inside the signed element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement<'p> {
    /// First child of the signed element.
    FirstChild,
    /// Last child of the signed element.
    LastChild,
    /// Right after the first child element `{namespace}local` (the SAML `Issuer` of a VIHF,
    /// where the SAML 2.0 schema puts `ds:Signature`, DMP note §2.1).
    After {
        /// Namespace of the preceding sibling.
        namespace: &'p str,
        /// Its local name.
        local: &'p str,
    },
}

/// Describes a `Signature` (XML-DSig 1.1 §4): signature method, `SignedInfo`
/// canonicalisation, references, optional `Id`, and `KeyInfo/X509Data` with the signer's
/// certificate (or its whole chain). Defaults: RSA-SHA256, exclusive C14N, the `ds` namespace
/// as the default namespace of the element (as in the DMP examples).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureBuilder {
    method: SignatureMethod,
    c14n: C14nMode,
    references: Vec<Reference>,
    id: Option<String>,
    prefix: Option<String>,
    whole_chain: bool,
    /// Complete `Object` elements written after `KeyInfo` (XAdES), in the namespace style of
    /// the signature (written by this crate only).
    pub(crate) objects: Vec<String>,
}

impl Default for SignatureBuilder {
    fn default() -> Self {
        Self::new(SignatureMethod::RsaSha256)
    }
}

/// Whether `s` is an identifier the builder writes: ASCII letters, digits, `_`, `-`, `.`.
/// An XML `NCName` (a letter or `_` first) is what `xs:ID` requires and what to use; a leading
/// digit is tolerated because the official DMP XAdES example uses a bare UUID (DMP note §5.3).
fn is_ncname(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl SignatureBuilder {
    /// A builder for `method`, exclusive C14N of `SignedInfo`, no reference yet.
    pub fn new(method: SignatureMethod) -> Self {
        Self {
            method,
            c14n: C14nMode::new(C14nAlgorithm::Exclusive),
            references: Vec::new(),
            id: None,
            prefix: None,
            whole_chain: false,
            objects: Vec::new(),
        }
    }

    /// The `CanonicalizationMethod` of `SignedInfo` (XML-DSig 1.1 §4.4.1); the DMP XAdES uses
    /// inclusive C14N with comments (DMP note §5.3).
    pub fn canonicalization(mut self, mode: C14nMode) -> Self {
        self.c14n = mode;
        self
    }

    /// Adds a reference.
    pub fn reference(mut self, reference: Reference) -> Self {
        self.references.push(reference);
        self
    }

    /// Sets the `Id` of the `Signature` element.
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.to_owned());
        self
    }

    /// Writes the elements with this prefix (e.g. `ds`) instead of the default namespace.
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = Some(prefix.to_owned());
        self
    }

    /// Puts the whole certificate chain in `KeyInfo`, not only the signer's certificate.
    pub fn whole_chain(mut self, whole_chain: bool) -> Self {
        self.whole_chain = whole_chain;
        self
    }

    /// The signature method.
    pub fn method(&self) -> SignatureMethod {
        self.method
    }

    fn check(&self) -> Result<(), XmlDsigError> {
        if self.references.is_empty() || self.references.len() > MAX_REFERENCES {
            return Err(XmlDsigError::Invalid(
                "a signature needs 1 to 64 references",
            ));
        }
        for r in &self.references {
            if let Target::Element(id) = &r.target
                && !is_ncname(id)
            {
                return Err(XmlDsigError::Invalid(
                    "a reference identifier is not an NCName",
                ));
            }
        }
        if self.id.as_deref().is_some_and(|i| !is_ncname(i))
            || self.prefix.as_deref().is_some_and(|p| {
                !p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    || !p.chars().all(|c| c.is_ascii_alphanumeric())
            })
        {
            return Err(XmlDsigError::Invalid("the Id or prefix is not an NCName"));
        }
        Ok(())
    }

    fn name(&self, local: &str) -> String {
        match &self.prefix {
            Some(p) => format!("{p}:{local}"),
            None => local.to_owned(),
        }
    }

    /// The `Signature` element with these digests (base64) and signature value.
    fn render(
        &self,
        certificates: &[Vec<u8>],
        digests: &[String],
        signature_value: &str,
    ) -> Result<String, XmlDsigError> {
        let attr = |s: &str| {
            escape_attribute(s)
                .map(|c| c.into_owned())
                .map_err(|_| XmlDsigError::Invalid("a URI holds a character XML cannot carry"))
        };
        let n = |l: &str| self.name(l);
        let mut out = String::with_capacity(2048);
        let xmlns = match &self.prefix {
            Some(p) => format!("xmlns:{p}=\"{DSIG_NAMESPACE}\""),
            None => format!("xmlns=\"{DSIG_NAMESPACE}\""),
        };
        out.push_str(&format!("<{} {xmlns}", n("Signature")));
        if let Some(id) = &self.id {
            out.push_str(&format!(" Id=\"{id}\""));
        }
        out.push('>');
        out.push_str(&format!("<{}>", n("SignedInfo")));
        out.push_str(&self.c14n_element("CanonicalizationMethod", &self.c14n));
        out.push_str(&format!(
            "<{} Algorithm=\"{}\"/>",
            n("SignatureMethod"),
            self.method.uri()
        ));
        for (r, digest) in self.references.iter().zip(digests) {
            out.push_str(&format!("<{}", n("Reference")));
            if let Some(t) = &r.type_uri {
                out.push_str(&format!(" Type=\"{}\"", attr(t)?));
            }
            out.push_str(&format!(" URI=\"{}\">", attr(&r.uri)?));
            if !r.transforms.is_empty() {
                out.push_str(&format!("<{}>", n("Transforms")));
                for t in &r.transforms {
                    match t {
                        super::reference::Transform::Canonicalize(m) => {
                            out.push_str(&self.c14n_element("Transform", m));
                        }
                        other => out.push_str(&format!(
                            "<{} Algorithm=\"{}\"/>",
                            n("Transform"),
                            other.uri()
                        )),
                    }
                }
                out.push_str(&format!("</{}>", n("Transforms")));
            }
            out.push_str(&format!(
                "<{} Algorithm=\"{}\"/><{}>{digest}</{}></{}>",
                n("DigestMethod"),
                r.digest.uri(),
                n("DigestValue"),
                n("DigestValue"),
                n("Reference")
            ));
        }
        out.push_str(&format!("</{}>", n("SignedInfo")));
        out.push_str(&format!(
            "<{}>{signature_value}</{}>",
            n("SignatureValue"),
            n("SignatureValue")
        ));
        out.push_str(&format!("<{}><{}>", n("KeyInfo"), n("X509Data")));
        for c in certificates {
            out.push_str(&format!(
                "<{}>{}</{}>",
                n("X509Certificate"),
                STANDARD.encode(c),
                n("X509Certificate")
            ));
        }
        out.push_str(&format!("</{}></{}>", n("X509Data"), n("KeyInfo")));
        for o in &self.objects {
            out.push_str(o);
        }
        out.push_str(&format!("</{}>", n("Signature")));
        Ok(out)
    }

    /// `CanonicalizationMethod` or `Transform` for `mode`, with `InclusiveNamespaces`
    /// (Exclusive C14N §4) when it has a prefix list.
    fn c14n_element(&self, local: &str, mode: &C14nMode) -> String {
        let name = self.name(local);
        let uri = mode.algorithm().uri();
        if mode.inclusive_prefixes().is_empty() {
            return format!("<{name} Algorithm=\"{uri}\"/>");
        }
        let list = mode.inclusive_prefixes().join(" ");
        format!(
            "<{name} Algorithm=\"{uri}\"><ec:InclusiveNamespaces xmlns:ec=\"{EXC_C14N_NAMESPACE}\" PrefixList=\"{}\"/></{name}>",
            escape_text(&list)
                .map(|c| c.into_owned())
                .unwrap_or_default()
        )
    }

    /// Signs: writes the `Signature` at byte `at` of `input` (a point between two nodes) and
    /// returns the signed document.
    fn sign_at(
        &self,
        input: &[u8],
        at: usize,
        signer: &mut dyn Signer,
        limits: XmlLimits,
    ) -> Result<Vec<u8>, XmlDsigError> {
        self.check()?;
        let scheme = self.method.scheme();
        if !signer.algorithms().contains(&scheme) {
            return Err(XmlDsigError::Sign(
                crate::sign::SignError::UnsupportedAlgorithm(scheme),
            ));
        }
        let chain = signer.certificate_chain();
        let certificates: Vec<Vec<u8>> = match (chain.first(), self.whole_chain) {
            (None, _) => return Err(XmlDsigError::Certificate("the signer has no certificate")),
            (Some(leaf), false) => vec![leaf.clone()],
            (Some(_), true) => chain,
        };
        let (before, after) = input
            .split_at_checked(at)
            .ok_or(XmlDsigError::Invalid("placement outside the document"))?;
        let splice = |signature: &str| {
            let mut doc = Vec::with_capacity(input.len() + signature.len());
            doc.extend_from_slice(before);
            doc.extend_from_slice(signature.as_bytes());
            doc.extend_from_slice(after);
            doc
        };
        // Pass 1: digests from the document with the signature template in place.
        let placeholders = vec![String::new(); self.references.len()];
        let template = splice(&self.render(&certificates, &placeholders, "")?);
        let digests = {
            let doc = Document::parse(&template, limits)?;
            let signature = signature_at(&doc, at)?;
            let mut digests = Vec::with_capacity(self.references.len());
            for (index, r) in self.references.iter().enumerate() {
                let value = match &r.target {
                    Target::External { digest_value } => digest_value.clone(),
                    target => {
                        let (_, octets) =
                            same_document_octets(&doc, signature, target, &r.transforms, index)?;
                        r.digest.digest(&octets)
                    }
                };
                digests.push(STANDARD.encode(value));
            }
            digests
        };
        // Pass 2: SignedInfo canonicalised in its place, then signed.
        let with_digests = splice(&self.render(&certificates, &digests, "")?);
        let signed_info = {
            let doc = Document::parse(&with_digests, limits)?;
            let signature = signature_at(&doc, at)?;
            let info = doc
                .child(signature, DSIG_NAMESPACE, "SignedInfo")
                .ok_or(XmlDsigError::Missing("SignedInfo"))?;
            doc.canonicalize_element(info, None, &self.c14n)
        };
        let value = signer.sign_message(scheme, &signed_info)?;
        Ok(splice(&self.render(
            &certificates,
            &digests,
            &STANDARD.encode(value),
        )?))
    }

    /// Signs the element whose `ID`/`Id`/`id` is `element_id` in `input` with an enveloped
    /// signature placed as `placement` says, and returns the signed document (the input bytes
    /// unchanged around the inserted `Signature`). The references are the builder's (usually
    /// one [`Reference::enveloped`] to `element_id`).
    pub fn sign_enveloped(
        &self,
        input: &[u8],
        element_id: &str,
        placement: Placement<'_>,
        signer: &mut dyn Signer,
        limits: XmlLimits,
    ) -> Result<Vec<u8>, XmlDsigError> {
        let doc = Document::parse(input, limits)?;
        let element = super::reference::unique_element(&doc, element_id, 0)?;
        let at = match placement {
            Placement::FirstChild => doc.content_offset(element),
            Placement::LastChild => doc.end_tag_offset(element),
            Placement::After { namespace, local } => doc
                .child(element, namespace, local)
                .and_then(|c| doc.end_offset(c)),
        }
        .ok_or(XmlDsigError::Invalid(
            "the signed element has no such place for a signature (an empty element written <a/>, or no such child)",
        ))?;
        drop(doc);
        self.sign_at(input, at, signer, limits)
    }

    /// Signs and returns the `Signature` element alone as a document (a detached signature:
    /// its references point at its own `Object`s or at external content).
    pub fn sign_detached(
        &self,
        signer: &mut dyn Signer,
        limits: XmlLimits,
    ) -> Result<Vec<u8>, XmlDsigError> {
        self.sign_at(b"", 0, signer, limits)
    }
}

/// The `Signature` element that starts at byte `at`.
fn signature_at(doc: &Document<'_>, at: usize) -> Result<NodeId, XmlDsigError> {
    let mut stack = vec![doc.root()];
    while let Some(id) = stack.pop() {
        if doc.start_offset(id) == Some(at) && doc.is(id, DSIG_NAMESPACE, "Signature") {
            return Ok(id);
        }
        stack.extend(doc.child_elements(id));
    }
    Err(XmlDsigError::Missing("Signature"))
}
