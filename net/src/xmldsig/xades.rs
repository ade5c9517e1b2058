//! The XAdES signature of a DMP submission set (DMP note §5.3; ETSI TS 101 903 v1.1.1): a
//! detached `ds:Signature` whose `SignedInfo` (inclusive C14N with comments) references a
//! `Manifest` and the XAdES `SignedProperties`. The manifest lists `urn:oid:<submission set
//! uniqueId>` (digest of one 0x00 byte, `AA==`) and one reference per document, each the digest
//! of the document's C14N-with-comments form. The verifier ([`verify_submission_set`]) gives
//! the manifest back so a DMP (or the simulator) compares it with the documents received
//! (DMP note §11.1 item 6).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::XmlDsigError;
use super::algorithms::{DSIG_NAMESPACE, DigestAlgorithm, MANIFEST_TYPE, SignatureMethod};
use super::c14n::{C14nAlgorithm, C14nMode};
use super::cert::parse_certificate;
use super::reference::{Reference, Transform};
use super::signature::SignatureBuilder;
use super::tree::{Document, NodeId};
use super::verify::{Verified, base64_text, shown, verify_signature};
use crate::sign::Signer;
use crate::xml::{XmlLimits, escape_text};

/// The XAdES v1.1.1 namespace (ETSI TS 101 903 v1.1.1), the one of the DMP's `XAdES.xsd`.
pub const XADES_NAMESPACE: &str = "http://uri.etsi.org/01903/v1.1.1#";

/// The `Type` of a reference to `SignedProperties` (ETSI TS 101 903 v1.1.1 §6.2.1).
pub const SIGNED_PROPERTIES_TYPE: &str = "http://uri.etsi.org/01903/v1.1.1#SignedProperties";

/// The `Id` of the manifest (DMP note §5.3, every source).
pub const MANIFEST_ID: &str = "IHEManifest";

/// The `Id` of the signed properties (DMP note §5.3).
pub const SIGNED_PROPERTIES_ID: &str = "S0-SignedProperties";

/// The purpose of signature written in `SignatureProperty Id="purposeOfSignature"`
/// (ISO 17090 / ASTM E1762 "source" signature, DMP note §5.3: "imposée par DSG").
pub const PURPOSE_OF_SIGNATURE: &str = "1.2.840.10065.1.12.1.14";

/// The digest of the submission-set entry of the manifest: one 0x00 byte (DMP note §5.3,
/// `AA==` in every source).
const SUBMISSION_SET_DIGEST: &[u8] = &[0];

/// One document of the submission set: its XDS uniqueId (an OID) and its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestDocument {
    unique_id: String,
    digest_value: Vec<u8>,
}

/// Whether `s` is a dotted OID (digits and dots, no empty arc).
fn is_oid(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()))
}

/// The digest the manifest carries for a document (DMP note §5.3): `digest` of the
/// C14N 1.0 with comments form of the whole document.
pub fn document_digest(
    document: &[u8],
    digest: DigestAlgorithm,
    limits: XmlLimits,
) -> Result<Vec<u8>, XmlDsigError> {
    let doc = Document::parse(document, limits)?;
    Ok(digest.digest(&doc.canonicalize(&C14nMode::new(C14nAlgorithm::InclusiveWithComments))))
}

impl ManifestDocument {
    /// The manifest entry of `document` (a CDA) whose XDS uniqueId is `unique_id`, digested
    /// with `digest` over its C14N-with-comments form.
    pub fn new(
        unique_id: &str,
        document: &[u8],
        digest: DigestAlgorithm,
        limits: XmlLimits,
    ) -> Result<Self, XmlDsigError> {
        if !is_oid(unique_id) {
            return Err(XmlDsigError::Invalid("a document uniqueId is not an OID"));
        }
        Ok(Self {
            unique_id: unique_id.to_owned(),
            digest_value: document_digest(document, digest, limits)?,
        })
    }
}

/// A `SigningTime` value (`xs:dateTime` with a time zone, e.g.
/// `2019-04-04T14:20:12.282+02:00`, DMP note §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningTime(String);

impl SigningTime {
    /// Checks the lexical form `YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)` (XML Schema 1.1 Part 2
    /// §3.3.7, the time zone required).
    pub fn parse(s: &str) -> Result<Self, XmlDsigError> {
        let bad = XmlDsigError::Invalid("SigningTime is not YYYY-MM-DDThh:mm:ss[.f](Z|+hh:mm)");
        let b = s.as_bytes();
        let digits =
            |r: std::ops::Range<usize>| b.get(r).is_some_and(|p| p.iter().all(u8::is_ascii_digit));
        let at = |i: usize, c: u8| b.get(i) == Some(&c);
        if !(digits(0..4) && at(4, b'-') && digits(5..7) && at(7, b'-') && digits(8..10))
            || !(at(10, b'T') && digits(11..13) && at(13, b':') && digits(14..16))
            || !(at(16, b':') && digits(17..19))
        {
            return Err(bad);
        }
        let mut i = 19;
        if at(i, b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return Err(bad);
            }
        }
        let zone_ok = match b.get(i..) {
            Some(b"Z") => true,
            Some(z) if z.len() == 6 => {
                matches!(z.first(), Some(b'+' | b'-'))
                    && z.get(1..3)
                        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
                    && z.get(3) == Some(&b':')
                    && z.get(4..6)
                        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
            }
            _ => false,
        };
        if !zone_ok {
            return Err(bad);
        }
        Ok(Self(s.to_owned()))
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Builds the XAdES signature of a submission set (DMP note §5.3). Defaults: RSA-SHA256
/// signature (selectable: the examples use RSA-SHA1; which the DMP requires is TO VERIFY, DMP
/// note §12), SHA-1 digests everywhere (the manifest digest is SHA-1 in every source).
#[derive(Debug, Clone)]
pub struct SubmissionSetSignature {
    signature_id: String,
    submission_set_unique_id: String,
    documents: Vec<ManifestDocument>,
    signing_time: SigningTime,
    method: SignatureMethod,
    digest: DigestAlgorithm,
}

impl SubmissionSetSignature {
    /// A signature `signature_id` (the `Id` of `ds:Signature`, an NCName such as the
    /// signature entry's uniqueId after a letter) of the submission set `submission_set_unique_id`
    /// (an OID) at `signing_time`.
    pub fn new(
        signature_id: &str,
        submission_set_unique_id: &str,
        signing_time: SigningTime,
    ) -> Result<Self, XmlDsigError> {
        if !is_oid(submission_set_unique_id) {
            return Err(XmlDsigError::Invalid(
                "the submission set uniqueId is not an OID",
            ));
        }
        Ok(Self {
            signature_id: signature_id.to_owned(),
            submission_set_unique_id: submission_set_unique_id.to_owned(),
            documents: Vec::new(),
            signing_time,
            method: SignatureMethod::RsaSha256,
            digest: DigestAlgorithm::Sha1,
        })
    }

    /// Adds a document of the submission set.
    pub fn document(mut self, document: ManifestDocument) -> Self {
        self.documents.push(document);
        self
    }

    /// The signature method.
    pub fn method(mut self, method: SignatureMethod) -> Self {
        self.method = method;
        self
    }

    /// The digest of the manifest and signed-properties references and of the certificate
    /// (the documents' digests are given by each [`ManifestDocument`]).
    pub fn digest(mut self, digest: DigestAlgorithm) -> Self {
        self.digest = digest;
        self
    }

    /// Signs with `signer` (the ORG_SIGN key or the CPS signature key, DMP note §2.3) and
    /// returns the XAdES document (UTF-8, no XML declaration).
    pub fn sign(
        &self,
        signer: &mut dyn Signer,
        limits: XmlLimits,
    ) -> Result<Vec<u8>, XmlDsigError> {
        if self.documents.is_empty() {
            return Err(XmlDsigError::Invalid(
                "a submission set signature needs a document",
            ));
        }
        let chain = signer.certificate_chain();
        if chain.is_empty() {
            return Err(XmlDsigError::Certificate("the signer has no certificate"));
        }
        let sid = &self.signature_id;
        let ds_digest = |alg: DigestAlgorithm, value: &[u8]| {
            format!(
                "<DigestMethod Algorithm=\"{}\"/><DigestValue>{}</DigestValue>",
                alg.uri(),
                STANDARD.encode(value)
            )
        };
        // Manifest (XML-DSig 1.1 §5.1).
        let mut manifest = format!(
            "<Object><Manifest Id=\"{MANIFEST_ID}\"><Reference URI=\"urn:oid:{}\">{}</Reference>",
            self.submission_set_unique_id,
            ds_digest(self.digest, SUBMISSION_SET_DIGEST)
        );
        for d in &self.documents {
            manifest.push_str(&format!(
                "<Reference URI=\"urn:oid:{}\"><Transforms><Transform Algorithm=\"{}\"/></Transforms>{}</Reference>",
                d.unique_id,
                C14nAlgorithm::InclusiveWithComments.uri(),
                ds_digest(self.digest_of(d), &d.digest_value)
            ));
        }
        manifest.push_str("</Manifest></Object>");
        let purpose = format!(
            "<Object><SignatureProperties xmlns=\"\"><SignatureProperty Id=\"purposeOfSignature\" Target=\"#{sid}\">{PURPOSE_OF_SIGNATURE}</SignatureProperty></SignatureProperties></Object>"
        );
        // SigningCertificate: every certificate of the chain, signer first (CS, DMP note §5.3).
        let mut certs = String::new();
        for der in &chain {
            let info = parse_certificate(der).ok_or(XmlDsigError::Certificate(
                "a chain certificate is not X.509",
            ))?;
            let issuer = escape_text(&info.issuer_rfc2253)
                .map_err(|_| XmlDsigError::Certificate("issuer name not representable in XML"))?;
            certs.push_str(&format!(
                "<Cert><CertDigest><DigestMethod Algorithm=\"{}\"/><DigestValue>{}</DigestValue></CertDigest><IssuerSerial><X509IssuerName xmlns=\"{DSIG_NAMESPACE}\">{issuer}</X509IssuerName><X509SerialNumber xmlns=\"{DSIG_NAMESPACE}\">{}</X509SerialNumber></IssuerSerial></Cert>",
                self.digest.uri(),
                STANDARD.encode(self.digest.digest(der)),
                info.serial_decimal
            ));
        }
        let qualifying = format!(
            "<Object><QualifyingProperties xmlns=\"{XADES_NAMESPACE}\" Target=\"#{sid}\"><SignedProperties Id=\"{SIGNED_PROPERTIES_ID}\"><SignedSignatureProperties><SigningTime>{}</SigningTime><SigningCertificate>{certs}</SigningCertificate><SignaturePolicyIdentifier><SignaturePolicyImplied/></SignaturePolicyIdentifier></SignedSignatureProperties><SignedDataObjectProperties/></SignedProperties></QualifyingProperties></Object>",
            self.signing_time.as_str()
        );
        let mut builder = SignatureBuilder::new(self.method)
            .canonicalization(C14nMode::new(C14nAlgorithm::InclusiveWithComments))
            .id(sid)
            .reference(
                Reference::to_element(MANIFEST_ID)
                    .with_type(MANIFEST_TYPE)
                    .with_digest(self.digest),
            )
            .reference(
                Reference::to_element(SIGNED_PROPERTIES_ID)
                    .with_type(SIGNED_PROPERTIES_TYPE)
                    .with_digest(self.digest),
            );
        builder.objects = vec![manifest, purpose, qualifying];
        builder.sign_detached(signer, limits)
    }

    fn digest_of(&self, d: &ManifestDocument) -> DigestAlgorithm {
        match d.digest_value.len() {
            32 => DigestAlgorithm::Sha256,
            20 => DigestAlgorithm::Sha1,
            _ => self.digest,
        }
    }
}

/// One entry of a verified manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestReference {
    /// The URI (`urn:oid:…`).
    pub uri: String,
    /// The transforms declared.
    pub transforms: Vec<Transform>,
    /// The digest algorithm.
    pub digest: DigestAlgorithm,
    /// The digest value.
    pub digest_value: Vec<u8>,
}

impl ManifestReference {
    /// The OID after `urn:oid:`, if the URI has that form.
    pub fn oid(&self) -> Option<&str> {
        self.uri.strip_prefix("urn:oid:")
    }

    /// Whether `document` has this digest after the declared canonicalisation (a reference
    /// without transforms digests the bytes as they are).
    pub fn matches(&self, document: &[u8], limits: XmlLimits) -> Result<bool, XmlDsigError> {
        let octets = match self.transforms.as_slice() {
            [] => document.to_vec(),
            [Transform::Canonicalize(mode)] => {
                Document::parse(document, limits)?.canonicalize(mode)
            }
            _ => return Err(XmlDsigError::UnsupportedTransforms { reference: 0 }),
        };
        Ok(self.digest.digest(&octets) == self.digest_value)
    }
}

/// A XAdES submission-set signature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSubmissionSet {
    /// Core validation result (certificate, algorithms, references).
    pub verified: Verified,
    /// The `Id` of the signature.
    pub signature_id: String,
    /// The manifest entries, in order: the submission set first, then the documents (DMP note
    /// §5.3). Compare them with what was received.
    pub manifest: Vec<ManifestReference>,
    /// `SigningTime`, as written.
    pub signing_time: String,
}

impl VerifiedSubmissionSet {
    /// The entry for the submission set `urn:oid:<unique_id>` when its digest is the one
    /// 0x00 byte of DMP note §5.3 (`AA==`: a constant, not a hash).
    pub fn submission_set(&self, unique_id: &str) -> Option<&ManifestReference> {
        self.manifest
            .iter()
            .find(|m| m.oid() == Some(unique_id) && m.digest_value == SUBMISSION_SET_DIGEST)
    }

    /// The entry for the document `urn:oid:<unique_id>`.
    pub fn document(&self, unique_id: &str) -> Option<&ManifestReference> {
        self.manifest.iter().find(|m| m.oid() == Some(unique_id))
    }
}

fn xades_child(
    doc: &Document<'_>,
    id: NodeId,
    local: &'static str,
) -> Result<NodeId, XmlDsigError> {
    doc.child(id, XADES_NAMESPACE, local)
        .ok_or(XmlDsigError::Missing(local))
}

/// Verifies a XAdES submission-set signature (DMP note §11.1 item 6): core validation over
/// the C14N `SignedInfo`; exactly one `Manifest` reference and one `SignedProperties` reference,
/// both inside this signature's own `Object`s; `QualifyingProperties@Target` = `#<Signature
/// Id>`; `SigningTime` present; the first `CertDigest` = digest of the certificate that
/// verified; `purposeOfSignature` = `1.2.840.10065.1.12.1.14` with the same target. The manifest
/// entries come from the verified `Manifest` element only.
pub fn verify_submission_set(
    input: &[u8],
    limits: XmlLimits,
) -> Result<VerifiedSubmissionSet, XmlDsigError> {
    let doc = Document::parse(input, limits)?;
    let signature = doc.root();
    if !doc.is(signature, DSIG_NAMESPACE, "Signature") {
        return Err(XmlDsigError::Missing("Signature"));
    }
    let signature_id = doc
        .attribute(signature, "Id")
        .ok_or(XmlDsigError::Missing("Id"))?
        .to_owned();
    let target = format!("#{signature_id}");
    let verified = verify_signature(&doc, signature, &|_| None, limits)?;
    let inside_own_object = |e: NodeId| {
        doc.parent(e).is_some_and(|o| {
            doc.is(o, DSIG_NAMESPACE, "Object") && doc.parent(o) == Some(signature)
        })
    };
    let by_type = |t: &str| {
        let found: Vec<_> = verified
            .references
            .iter()
            .filter(|r| r.type_uri.as_deref() == Some(t))
            .collect();
        match found.as_slice() {
            [one] => one.element.ok_or(XmlDsigError::Wrapping(
                "a typed reference must name an element",
            )),
            _ => Err(XmlDsigError::Wrapping(
                "exactly one reference of each XAdES type is expected",
            )),
        }
    };
    let manifest = by_type(MANIFEST_TYPE)?;
    if !doc.is(manifest, DSIG_NAMESPACE, "Manifest") || !inside_own_object(manifest) {
        return Err(XmlDsigError::Wrapping(
            "the Manifest reference does not name this signature's Manifest",
        ));
    }
    let props = by_type(SIGNED_PROPERTIES_TYPE)?;
    let qualifying = doc
        .parent(props)
        .ok_or(XmlDsigError::Missing("QualifyingProperties"))?;
    if !doc.is(props, XADES_NAMESPACE, "SignedProperties")
        || !doc.is(qualifying, XADES_NAMESPACE, "QualifyingProperties")
        || !inside_own_object(qualifying)
        || doc.attribute(qualifying, "Target") != Some(target.as_str())
    {
        return Err(XmlDsigError::Wrapping(
            "the SignedProperties reference does not name this signature's qualifying properties",
        ));
    }
    let ssp = xades_child(&doc, props, "SignedSignatureProperties")?;
    let signing_time = doc
        .text(xades_child(&doc, ssp, "SigningTime")?)
        .trim()
        .to_owned();
    if signing_time.is_empty() {
        return Err(XmlDsigError::Missing("SigningTime"));
    }
    let cert = xades_child(
        &doc,
        xades_child(&doc, xades_child(&doc, ssp, "SigningCertificate")?, "Cert")?,
        "CertDigest",
    )?;
    let cd_method = xades_child(&doc, cert, "DigestMethod")?;
    let cd_uri = doc
        .attribute(cd_method, "Algorithm")
        .ok_or(XmlDsigError::Missing("Algorithm"))?;
    let cd_alg =
        DigestAlgorithm::from_uri(cd_uri).ok_or_else(|| XmlDsigError::UnsupportedAlgorithm {
            what: "CertDigest",
            uri: shown(cd_uri),
        })?;
    let cd_value = base64_text(
        &doc.text(xades_child(&doc, cert, "DigestValue")?),
        "CertDigest",
    )?;
    if cd_alg.digest(&verified.certificate) != cd_value {
        return Err(XmlDsigError::Certificate(
            "the first CertDigest is not the digest of the signing certificate",
        ));
    }
    // purposeOfSignature: in any namespace (the official example puts it in none, DMP note §5.3).
    let purpose_ok = doc.child_elements(signature).any(|o| {
        doc.child_elements(o).any(|props| {
            doc.child_elements(props).any(|p| {
                doc.attribute(p, "Id") == Some("purposeOfSignature")
                    && doc.attribute(p, "Target") == Some(target.as_str())
                    && doc.text(p).trim() == PURPOSE_OF_SIGNATURE
            })
        })
    });
    if !purpose_ok {
        return Err(XmlDsigError::Missing("purposeOfSignature"));
    }
    let mut entries = Vec::new();
    for (index, r) in doc.child_elements(manifest).enumerate() {
        if !doc.is(r, DSIG_NAMESPACE, "Reference") {
            return Err(XmlDsigError::Missing("Reference"));
        }
        let uri = doc
            .attribute(r, "URI")
            .ok_or(XmlDsigError::Missing("URI"))?
            .to_owned();
        let mut transforms = Vec::new();
        if let Some(ts) = doc.child(r, DSIG_NAMESPACE, "Transforms") {
            for t in doc.child_elements(ts) {
                let alg = doc
                    .attribute(t, "Algorithm")
                    .ok_or(XmlDsigError::Missing("Algorithm"))?;
                let a = C14nAlgorithm::from_uri(alg)
                    .ok_or(XmlDsigError::UnsupportedTransforms { reference: index })?;
                transforms.push(Transform::Canonicalize(C14nMode::new(a)));
            }
        }
        let dm = doc
            .child(r, DSIG_NAMESPACE, "DigestMethod")
            .ok_or(XmlDsigError::Missing("DigestMethod"))?;
        let dm_uri = doc
            .attribute(dm, "Algorithm")
            .ok_or(XmlDsigError::Missing("Algorithm"))?;
        let digest = DigestAlgorithm::from_uri(dm_uri).ok_or_else(|| {
            XmlDsigError::UnsupportedAlgorithm {
                what: "DigestMethod",
                uri: shown(dm_uri),
            }
        })?;
        let dv = doc
            .child(r, DSIG_NAMESPACE, "DigestValue")
            .ok_or(XmlDsigError::Missing("DigestValue"))?;
        entries.push(ManifestReference {
            uri,
            transforms,
            digest,
            digest_value: base64_text(&doc.text(dv), "DigestValue")?,
        });
    }
    Ok(VerifiedSubmissionSet {
        verified,
        signature_id,
        manifest: entries,
        signing_time,
    })
}
