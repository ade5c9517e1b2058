//! XML signatures checked by xmlsec1 (the reference implementation, Debian `xmlsec1`) both
//! ways: every signature the SDK makes verifies with `xmlsec1 --verify`, signatures made by
//! `xmlsec1 --sign` from templates verify with the SDK, the official DMP examples report the
//! digest mismatch their README describes, and an altered byte in any signed part is detected.
//! Keys: RSA 2048 made by openssl at test time; RSA-SHA1 is signed by openssl itself (the
//! software signer of the SDK cannot sign SHA-1, a CPS card can).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use segur_net::sign::{SignError, SignatureAlgorithm, Signer, SoftwareSigner};
use segur_net::xml::{XmlErrorKind, XmlLimits};
use segur_net::xmldsig::xades::{
    ManifestDocument, SigningTime, SubmissionSetSignature, verify_submission_set,
};
use segur_net::xmldsig::{
    C14nAlgorithm, C14nMode, DigestAlgorithm, Document, Placement, Reference, SignatureBuilder,
    SignatureMethod, Transform, XmlDsigError, verify_enveloped, verify_signature,
};
use segur_test_support::openssl;

const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";
const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";

fn shared() -> PathBuf {
    PathBuf::from(std::env::var("SEGUR_SHARED").expect("set SEGUR_SHARED=../shared"))
}

/// A key pair and self-signed certificate in `dir`: key.pem, cert.pem, id.p12.
struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
                "-days",
                "2",
                "-subj",
                "/C=FR/O=PHARMACIE TEST/OU=499900063480001/CN=ORG SIGN TEST, officine",
            ],
        );
        openssl(
            d,
            &[
                "pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-out", "id.p12",
                "-passout", "pass:pw",
            ],
        );
        Self { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn software(&self) -> SoftwareSigner {
        SoftwareSigner::from_pkcs12(&std::fs::read(self.path().join("id.p12")).unwrap(), "pw")
            .unwrap()
    }
    fn openssl_signer(&self) -> OpensslSigner {
        let cert = openssl(self.path(), &["x509", "-in", "cert.pem", "-outform", "DER"]).stdout;
        OpensslSigner {
            dir: self.path().to_owned(),
            cert,
        }
    }
}

/// A signer that hands the message to `openssl dgst -sign` (RSA PKCS#1 v1.5, SHA-1 or SHA-256).
struct OpensslSigner {
    dir: PathBuf,
    cert: Vec<u8>,
}

impl Signer for OpensslSigner {
    fn certificate_chain(&self) -> Vec<Vec<u8>> {
        vec![self.cert.clone()]
    }
    fn algorithms(&self) -> &[SignatureAlgorithm] {
        &[
            SignatureAlgorithm::RsaPkcs1Sha1,
            SignatureAlgorithm::RsaPkcs1Sha256,
        ]
    }
    fn sign_message(
        &mut self,
        alg: SignatureAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, SignError> {
        let hash = match alg {
            SignatureAlgorithm::RsaPkcs1Sha1 => "-sha1",
            SignatureAlgorithm::RsaPkcs1Sha256 => "-sha256",
            other => return Err(SignError::UnsupportedAlgorithm(other)),
        };
        std::fs::write(self.dir.join("tbs"), message).unwrap();
        Ok(openssl(&self.dir, &["dgst", hash, "-sign", "key.pem", "tbs"]).stdout)
    }
    fn sign_digest(&mut self, _: SignatureAlgorithm, _: &[u8]) -> Result<Vec<u8>, SignError> {
        Err(SignError::DigestNotSupported)
    }
}

/// Runs xmlsec1 with `args` on `xml` (written to a file in `dir`); returns (success, stderr).
fn xmlsec1(dir: &Path, args: &[&str], xml: &[u8]) -> (bool, String, Vec<u8>) {
    let file = dir.join("doc.xml");
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmlsec1")
        .current_dir(dir)
        .args(args)
        .arg(&file)
        .output()
        .expect("xmlsec1 is required (Debian package xmlsec1, installed by scripts/install-deps)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.stdout,
    )
}

fn xmlsec1_verify(dir: &Path, id_attrs: &[&str], xml: &[u8]) -> (bool, String) {
    let mut args = vec!["--verify", "--trusted-pem", "cert.pem"];
    args.extend_from_slice(id_attrs);
    let (ok, err, _) = xmlsec1(dir, &args, xml);
    (ok, err)
}

/// A VIHF-shaped assertion inside a SOAP 1.2 envelope: CRLF line ends, a comment, character
/// references, an attribute with a tab, namespaces declared on the envelope and used inside
/// (exclusive C14N must carry them down), QName content (`xsi:type="xs:string"`, covered by
/// the InclusiveNamespaces PrefixList).
fn vihf_envelope() -> Vec<u8> {
    let s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\r\n\
<soap:Header><wsse:Security xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">\r\n\
<saml2:Assertion ID=\"_65db4fa8-b44a-4c11-adc5-135dcc327b24\" IssueInstant=\"2026-12-06T08:08:55.469Z\" Version=\"2.0\">\r\n\
  <saml2:Issuer Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName\">CN=ORG SIGN TEST\\, officine,OU=499900063480001,O=PHARMACIE TEST,C=FR</saml2:Issuer>\r\n\
  <!-- attributes -->\r\n\
  <saml2:Subject><saml2:NameID>899900063480</saml2:NameID></saml2:Subject>\r\n\
  <saml2:AttributeStatement>\r\n\
    <saml2:Attribute Name=\"Secteur_Activite\"><saml2:AttributeValue xsi:type=\"xs:string\">SA33^1.2.250.1.71.4.2.4</saml2:AttributeValue></saml2:Attribute>\r\n\
    <saml2:Attribute Name=\"urn:oasis:names:tc:xspa:1.0:subject:subject-id\"><saml2:AttributeValue xsi:type=\"xs:string\">PHARMACIEN  &#233;l&#xE8;ve &amp; titulaire</saml2:AttributeValue></saml2:Attribute>\r\n\
    <saml2:Attribute Name=\"urn:oasis:names:tc:xacml:2.0:subject:role\"><saml2:AttributeValue><Role xmlns=\"urn:hl7-org:v3\" xsi:type=\"CE\" code=\"21\" codeSystem=\"1.2.250.1.71.1.2.7\" displayName=\"Pharmacien\tofficine\"/></saml2:AttributeValue></saml2:Attribute>\r\n\
  </saml2:AttributeStatement>\r\n\
</saml2:Assertion>\r\n\
</wsse:Security></soap:Header><soap:Body/></soap:Envelope>\r\n";
    s.as_bytes().to_vec()
}

const ASSERTION_ID: &str = "_65db4fa8-b44a-4c11-adc5-135dcc327b24";

fn assertion_path() -> [(&'static str, &'static str); 4] {
    [
        (SOAP, "Envelope"),
        (SOAP, "Header"),
        (WSSE, "Security"),
        (SAML, "Assertion"),
    ]
}

fn vihf_builder(method: SignatureMethod, digest: DigestAlgorithm) -> SignatureBuilder {
    let exc = C14nMode::exclusive_with_prefixes(false, ["xs", "xsi"]);
    SignatureBuilder::new(method).reference(
        Reference::enveloped(ASSERTION_ID)
            .with_transforms(vec![
                Transform::EnvelopedSignature,
                Transform::Canonicalize(exc),
            ])
            .with_digest(digest),
    )
}

const XMLSEC_SAML_ID: &str = "--id-attr:ID";

fn sign_vihf(signer: &mut dyn Signer, method: SignatureMethod, digest: DigestAlgorithm) -> Vec<u8> {
    vihf_builder(method, digest)
        .sign_enveloped(
            &vihf_envelope(),
            ASSERTION_ID,
            Placement::After {
                namespace: SAML,
                local: "Issuer",
            },
            signer,
            XmlLimits::default(),
        )
        .unwrap()
}

#[test]
fn enveloped_vihf_signatures_verify_with_xmlsec1_and_with_ours() {
    let keys = Keys::new();
    let cases: Vec<(SignatureMethod, DigestAlgorithm, Box<dyn Signer>)> = vec![
        (
            SignatureMethod::RsaSha256,
            DigestAlgorithm::Sha256,
            Box::new(keys.software()),
        ),
        (
            SignatureMethod::RsaSha1,
            DigestAlgorithm::Sha1,
            Box::new(keys.openssl_signer()),
        ),
        (
            SignatureMethod::RsaSha256,
            DigestAlgorithm::Sha1,
            Box::new(keys.openssl_signer()),
        ),
    ];
    let input = vihf_envelope();
    for (method, digest, mut signer) in cases {
        let signed = sign_vihf(signer.as_mut(), method, digest);
        // The input bytes are untouched around the signature, which follows the Issuer.
        let issuer_end = b"</saml2:Issuer>";
        let at = input
            .windows(issuer_end.len())
            .position(|w| w == issuer_end)
            .unwrap()
            + issuer_end.len();
        assert_eq!(signed[..at], input[..at]);
        assert!(
            signed[at..].starts_with(b"<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">")
        );
        assert!(signed.ends_with(&input[at..]));

        let (ok, err) = xmlsec1_verify(keys.path(), &[XMLSEC_SAML_ID, "Assertion"], &signed);
        assert!(
            ok,
            "xmlsec1 refuses our {method:?}/{digest:?} signature: {err}"
        );

        let v = verify_enveloped(&signed, &assertion_path(), XmlLimits::default()).unwrap();
        assert_eq!(v.verified.method, method);
        assert_eq!(v.element_id, ASSERTION_ID);
        assert_eq!(v.verified.references[0].digest, digest);
        assert_eq!(
            v.verified.certificate,
            openssl(keys.path(), &["x509", "-in", "cert.pem", "-outform", "DER"]).stdout
        );
        assert!(
            v.verified
                .certificate_info
                .subject_rfc2253
                .contains("CN=ORG SIGN TEST\\, officine")
        );
        // What was verified is the assertion without its signature, in exclusive C14N with
        // the namespaces it uses carried down, CRLF normalised, the comment dropped (#id).
        let text = String::from_utf8(v.signed_xml.clone()).unwrap();
        assert!(text.starts_with("<saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ID="), "{text}");
        assert!(!text.contains("Signature") && !text.contains('\r') && !text.contains("<!--"));
        assert!(text.contains("PHARMACIEN  élève &amp; titulaire"));
        assert!(text.contains("displayName=\"Pharmacien officine\""));
    }
}

#[test]
fn software_signer_refuses_sha1_with_a_typed_error() {
    let keys = Keys::new();
    let err = vihf_builder(SignatureMethod::RsaSha1, DigestAlgorithm::Sha1)
        .sign_enveloped(
            &vihf_envelope(),
            ASSERTION_ID,
            Placement::FirstChild,
            &mut keys.software(),
            XmlLimits::default(),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        XmlDsigError::Sign(SignError::UnsupportedAlgorithm(
            SignatureAlgorithm::RsaPkcs1Sha1
        ))
    ));
}

/// Byte ranges of `needle`'s first occurrence.
fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).unwrap()
}

#[test]
fn any_altered_byte_of_a_signed_part_is_detected() {
    let keys = Keys::new();
    let signed = sign_vihf(
        &mut keys.software(),
        SignatureMethod::RsaSha256,
        DigestAlgorithm::Sha256,
    );
    let assertion = find(&signed, b"<saml2:Assertion");
    let assertion_end = find(&signed, b"</saml2:Assertion>") + b"</saml2:Assertion>".len();
    let sig_start = find(&signed, b"<Signature ");
    let key_info = find(&signed, b"<KeyInfo>");
    let sig_end = find(&signed, b"</Signature>") + b"</Signature>".len();
    let original_cert = verify_enveloped(&signed, &assertion_path(), XmlLimits::default())
        .unwrap()
        .verified
        .certificate;
    let mut checked = 0;
    let mut xmlsec_sampled = 0;
    // The assertion outside its signature, SignedInfo and SignatureValue: every byte.
    // Comments are not signed: a bare-name reference drops them (XML-DSig 1.1 §4.4.3.3).
    let comment = find(&signed, b"<!--")..find(&signed, b"-->") + 3;
    let signed_ranges = [
        assertion..sig_start,
        sig_start..key_info,
        sig_end..assertion_end,
    ];
    for range in signed_ranges {
        for i in range.filter(|i| !comment.contains(i)) {
            let mut bad = signed.clone();
            bad[i] ^= 0x01;
            let result = verify_enveloped(&bad, &assertion_path(), XmlLimits::default());
            assert!(
                result.is_err(),
                "flipped byte {i} ({:?}) still verifies: {:?}",
                signed[i] as char,
                String::from_utf8_lossy(&signed[i.saturating_sub(60)..i + 10])
            );
            checked += 1;
            if i % 97 == 0 {
                let (ok, _) = xmlsec1_verify(keys.path(), &[XMLSEC_SAML_ID, "Assertion"], &bad);
                assert!(!ok, "xmlsec1 accepts flipped byte {i}");
                xmlsec_sampled += 1;
            }
        }
    }
    // KeyInfo is not signed (XML-DSig 1.1 §4.5): an altered certificate either fails or comes
    // back different, so the caller's trust check sees it.
    for i in key_info..sig_end {
        let mut bad = signed.clone();
        bad[i] ^= 0x01;
        if let Ok(v) = verify_enveloped(&bad, &assertion_path(), XmlLimits::default()) {
            assert_ne!(v.verified.certificate, original_cert, "byte {i}");
        }
    }
    assert!(checked > 1500, "{checked}");
    eprintln!("{checked} altered bytes detected; xmlsec1 agreed on {xmlsec_sampled} samples");
}

#[test]
fn wrapping_and_ambiguous_identifiers_are_refused() {
    let keys = Keys::new();
    let signed = sign_vihf(
        &mut keys.software(),
        SignatureMethod::RsaSha256,
        DigestAlgorithm::Sha256,
    );
    let text = String::from_utf8(signed).unwrap();
    // The signed assertion moved into an extension element, a forged one in its place with
    // the same ID: the identifier is ambiguous.
    let start = text.find("<saml2:Assertion").unwrap();
    let end = text.find("</saml2:Assertion>").unwrap() + "</saml2:Assertion>".len();
    let original = &text[start..end];
    let forged = original.replace("899900063480", "899900000000").replacen(
        "<saml2:Assertion ",
        "<saml2:Assertion xmlns:x=\"urn:x\" ",
        1,
    );
    let wrapped = format!(
        "{}{}{}",
        &text[..start],
        forged.replacen(
            "</saml2:Issuer>",
            &format!("</saml2:Issuer><x:Wrap>{original}</x:Wrap>"),
            1
        ),
        &text[end..]
    );
    let err =
        verify_enveloped(wrapped.as_bytes(), &assertion_path(), XmlLimits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            XmlDsigError::Wrapping(_)
                | XmlDsigError::DuplicateId { .. }
                | XmlDsigError::DigestMismatch { .. }
        ),
        "{err:?}"
    );

    // The forged assertion with a different ID whose Signature points at the genuine one,
    // kept elsewhere: the signature does not cover the element asked about.
    let moved = original.replace(ASSERTION_ID, "_genuine");
    let sig_start = forged.find("<Signature").unwrap();
    let sig_end = forged.find("</Signature>").unwrap() + "</Signature>".len();
    let forged_with_other_ref = forged.replacen(
        &forged[sig_start..sig_end],
        &original
            [original.find("<Signature").unwrap()..original.find("</Signature>").unwrap() + 12]
            .replace(&format!("URI=\"#{ASSERTION_ID}\""), "URI=\"#_genuine\""),
        1,
    );
    let doc = format!(
        "{}{}{}",
        &text[..start],
        forged_with_other_ref.replacen(
            "</saml2:Issuer>",
            &format!("</saml2:Issuer><x:Wrap>{moved}</x:Wrap>"),
            1
        ),
        &text[end..]
    );
    let err =
        verify_enveloped(doc.as_bytes(), &assertion_path(), XmlLimits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            XmlDsigError::Wrapping(_)
                | XmlDsigError::DigestMismatch { .. }
                | XmlDsigError::DuplicateId { .. }
        ),
        "{err:?}"
    );

    // Two signatures in the assertion.
    let sig = &original
        [original.find("<Signature").unwrap()..original.find("</Signature>").unwrap() + 12];
    let twice = text.replacen(sig, &format!("{sig}{sig}"), 1);
    assert!(matches!(
        verify_enveloped(twice.as_bytes(), &assertion_path(), XmlLimits::default()),
        Err(XmlDsigError::Wrapping(_))
    ));
}

/// The template xmlsec1 fills: enveloped reference `#ID`, exc-c14n, the given algorithms.
fn xmlsec_template(method: SignatureMethod, digest: DigestAlgorithm) -> Vec<u8> {
    let signature = format!(
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><ds:SignatureMethod Algorithm=\"{}\"/><ds:Reference URI=\"#{ASSERTION_ID}\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/><ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"><ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"xs xsi\"/></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"{}\"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>",
        method.uri(),
        digest.uri()
    );
    String::from_utf8(vihf_envelope())
        .unwrap()
        .replacen("</saml2:Issuer>", &format!("</saml2:Issuer>{signature}"), 1)
        .into_bytes()
}

#[test]
fn xmlsec1_signatures_verify_with_ours() {
    let keys = Keys::new();
    for (method, digest) in [
        (SignatureMethod::RsaSha256, DigestAlgorithm::Sha256),
        (SignatureMethod::RsaSha1, DigestAlgorithm::Sha1),
    ] {
        let (ok, err, out) = xmlsec1(
            keys.path(),
            &[
                "--sign",
                "--privkey-pem",
                "key.pem,cert.pem",
                XMLSEC_SAML_ID,
                "Assertion",
            ],
            &xmlsec_template(method, digest),
        );
        assert!(ok, "xmlsec1 --sign: {err}");
        let v = verify_enveloped(&out, &assertion_path(), XmlLimits::default()).unwrap();
        assert_eq!(v.verified.method, method);
        assert_eq!(v.verified.references[0].digest, digest);
        assert_eq!(
            v.verified.references[0].transforms[1],
            Transform::Canonicalize(C14nMode::exclusive_with_prefixes(false, ["xsi", "xs"]))
        );
        // One altered signed byte: both refuse.
        let text = String::from_utf8(out)
            .unwrap()
            .replacen("899900063480", "899900063481", 1);
        assert!(matches!(
            verify_enveloped(text.as_bytes(), &assertion_path(), XmlLimits::default()),
            Err(XmlDsigError::DigestMismatch { reference: 0, .. })
        ));
        assert!(!xmlsec1_verify(keys.path(), &[XMLSEC_SAML_ID, "Assertion"], text.as_bytes()).0);
    }
}

#[test]
fn detached_signature_with_several_references_both_ways() {
    let keys = Keys::new();
    // Two same-document references (one with comments kept by the algorithm but dropped by
    // the bare-name reference) and one external reference whose digest the caller computed.
    let doc = b"<root xmlns=\"urn:example\"><a Id=\"first\">one<!-- c --></a><b Id=\"second\" xmlns:p=\"urn:p\"><p:c/></b></root>";
    let external = b"external content";
    let builder = SignatureBuilder::new(SignatureMethod::RsaSha256)
        .prefix("ds")
        .canonicalization(C14nMode::new(C14nAlgorithm::InclusiveWithComments))
        .reference(Reference::to_element("first"))
        .reference(
            Reference::to_element("second")
                .with_transforms(vec![Transform::Canonicalize(C14nMode::new(
                    C14nAlgorithm::ExclusiveWithComments,
                ))])
                .with_digest(DigestAlgorithm::Sha1),
        )
        .reference(
            Reference::external(
                "urn:oid:1.2.3",
                DigestAlgorithm::Sha256,
                DigestAlgorithm::Sha256.digest(external),
            )
            .with_type("urn:example:type"),
        );
    let signed = builder
        .sign_enveloped(
            doc,
            "second",
            Placement::LastChild,
            &mut keys.software(),
            XmlLimits::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let parsed = Document::parse(&signed, XmlLimits::default()).unwrap();
    let b = parsed.elements_by_id("second")[0];
    let sig = parsed
        .child(b, "http://www.w3.org/2000/09/xmldsig#", "Signature")
        .unwrap();
    // The signature sits inside #second without the enveloped transform: verifying #second
    // includes the signature itself, which cannot verify. Use #first and the external only.
    let err = verify_signature(
        &parsed,
        sig,
        &|u| (u == "urn:oid:1.2.3").then(|| external.to_vec()),
        XmlLimits::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, XmlDsigError::DigestMismatch { reference: 1, .. }),
        "{err:?}"
    );

    // A proper detached layout: the signature beside the signed elements.
    let doc = b"<root xmlns=\"urn:example\"><a Id=\"first\">one<!-- c --></a><b Id=\"second\" xmlns:p=\"urn:p\"><p:c/></b><slot/></root>";
    let doc2 = String::from_utf8(doc.to_vec())
        .unwrap()
        .replace("<slot/>", "<slot Id=\"slot\"></slot>");
    let signed = builder
        .sign_enveloped(
            doc2.as_bytes(),
            "slot",
            Placement::FirstChild,
            &mut keys.software(),
            XmlLimits::default(),
        )
        .unwrap();
    let parsed = Document::parse(&signed, XmlLimits::default()).unwrap();
    let slot = parsed.elements_by_id("slot")[0];
    let sig = parsed
        .child(slot, "http://www.w3.org/2000/09/xmldsig#", "Signature")
        .unwrap();
    let v = verify_signature(
        &parsed,
        sig,
        &|u| (u == "urn:oid:1.2.3").then(|| external.to_vec()),
        XmlLimits::default(),
    )
    .unwrap();
    assert_eq!(v.references.len(), 3);
    assert_eq!(
        v.references[0].octets,
        b"<a xmlns=\"urn:example\" Id=\"first\">one</a>"
    );
    assert_eq!(
        v.references[1].octets,
        b"<b xmlns=\"urn:example\" Id=\"second\"><p:c xmlns:p=\"urn:p\"></p:c></b>"
    );
    assert_eq!(
        v.references[2].type_uri.as_deref(),
        Some("urn:example:type")
    );
    // Without the external content, or with other content: typed errors naming reference 2.
    assert!(matches!(
        verify_signature(&parsed, sig, &|_| None, XmlLimits::default()),
        Err(XmlDsigError::UnresolvedReference { reference: 2 })
    ));
    assert!(matches!(
        verify_signature(
            &parsed,
            sig,
            &|_| Some(b"other".to_vec()),
            XmlLimits::default()
        ),
        Err(XmlDsigError::DigestMismatch { reference: 2, .. })
    ));
    // xmlsec1 checks the same-document references and the signature; the external one is
    // given to it as a file URI in a copy (xmlsec1 resolves URIs itself).
    std::fs::write(keys.path().join("external.bin"), external).unwrap();
    let for_xmlsec = String::from_utf8(signed.clone()).unwrap();
    let (ok, err) = xmlsec1_verify(
        keys.path(),
        &[
            "--id-attr:Id",
            "a",
            "--id-attr:Id",
            "b",
            "--id-attr:Id",
            "slot",
        ],
        for_xmlsec.as_bytes(),
    );
    assert!(!ok, "xmlsec1 cannot resolve urn:oid and must fail on it");
    assert!(
        err.contains("urn:oid") || err.contains("uri") || err.contains("URI"),
        "{err}"
    );
}

#[test]
fn official_vihf_examples_report_the_digest_mismatch() {
    let dir = shared().join("dmp/examples/vihf");
    for name in [
        "VIHF_INDIRECTE_signed.xml",
        "VIHF_INDIRECTE_RENFORCEE_signed.xml",
    ] {
        let input = std::fs::read(dir.join(name)).unwrap();
        let err =
            verify_enveloped(&input, &[(SAML, "Assertion")], XmlLimits::default()).unwrap_err();
        assert!(
            matches!(err, XmlDsigError::DigestMismatch { reference: 0, ref uri } if uri.starts_with("#_")),
            "{name}: {err:?}"
        );
        let tmp = tempfile::tempdir().unwrap();
        let (ok, err, _) = xmlsec1(
            tmp.path(),
            &["--verify", "--insecure", XMLSEC_SAML_ID, "Assertion"],
            &input,
        );
        assert!(!ok, "{name}: xmlsec1 accepts it");
        assert!(
            err.contains("digest") || err.contains("Digest"),
            "{name}: {err}"
        );
    }
    // The DIRECTE example is not UTF-8 (a Latin-1 0xE8): a typed error naming the byte.
    let input = std::fs::read(dir.join("VIHF_DIRECTE_signed.xml")).unwrap();
    match verify_enveloped(&input, &[(SAML, "Assertion")], XmlLimits::default()) {
        Err(XmlDsigError::Xml(e)) => {
            assert_eq!(e.kind, XmlErrorKind::NotUtf8);
            assert_eq!(input[e.position as usize], 0xE8);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn official_xades_example_verifies_but_not_against_its_cda() {
    let dir = shared().join("dmp/examples");
    let xades = std::fs::read(dir.join("TD2.1-SignatureXades.xml")).unwrap();
    let v = verify_submission_set(&xades, XmlLimits::default()).unwrap();
    assert_eq!(v.verified.method, SignatureMethod::RsaSha1);
    assert_eq!(v.signature_id, "0421d1cc-b27b-4b0d-bab2-7ebcd54d47f6");
    assert_eq!(v.signing_time, "2019-04-04T14:20:12.282+02:00");
    assert!(
        v.submission_set("1.2.250.1.999.1.1.7898.3.9956570900")
            .is_some()
    );
    let entry = v.document("1.2.250.1.999.1.1.7898.4.9956570902").unwrap();
    let cda = std::fs::read(dir.join("TD2.1-DocumentME2.xml")).unwrap();
    // DMP README: the manifest's document digest does not match the example CDA.
    assert!(!entry.matches(&cda, XmlLimits::default()).unwrap());
    assert_eq!(
        v.verified.certificate_info.issuer_rfc2253,
        "CN=TEST AC IGC-SANTE ELEMENTAIRE PERSONNES,OU=IGC-SANTE TEST,OU=0002 187512751,O=ASIP-SANTE,C=FR"
    );
    assert_eq!(
        v.verified.certificate_info.serial_decimal,
        "159655096103497701664027626074020656119"
    );
    // One altered byte in the signed properties: refused.
    let bad = String::from_utf8(xades)
        .unwrap()
        .replacen("14:20:12.282", "14:20:12.283", 1);
    assert!(matches!(
        verify_submission_set(bad.as_bytes(), XmlLimits::default()),
        Err(XmlDsigError::DigestMismatch { reference: 1, .. })
    ));
}

#[test]
fn our_xades_verifies_with_ours_and_xmlsec1() {
    let keys = Keys::new();
    let cda = std::fs::read(shared().join("dmp/examples/TD2.1-DocumentME2.xml")).unwrap();
    let doc_id = "1.2.250.1.999.1.1.7898.4.9956570902";
    let ss_id = "1.2.250.1.999.1.1.7898.3.9956570900";
    for (method, mut signer) in [
        (
            SignatureMethod::RsaSha256,
            Box::new(keys.software()) as Box<dyn Signer>,
        ),
        (SignatureMethod::RsaSha1, Box::new(keys.openssl_signer())),
    ] {
        let xades = SubmissionSetSignature::new(
            "_sig-1.2.250.1.999.1.1.7898.5",
            ss_id,
            SigningTime::parse("2026-12-06T14:20:12.282+01:00").unwrap(),
        )
        .unwrap()
        .method(method)
        .document(
            ManifestDocument::new(doc_id, &cda, DigestAlgorithm::Sha1, XmlLimits::default())
                .unwrap(),
        )
        .sign(signer.as_mut(), XmlLimits::default())
        .unwrap();
        let v = verify_submission_set(&xades, XmlLimits::default()).unwrap();
        assert_eq!(v.verified.method, method);
        assert!(v.submission_set(ss_id).is_some());
        assert!(
            v.document(doc_id)
                .unwrap()
                .matches(&cda, XmlLimits::default())
                .unwrap()
        );
        let mut altered = cda.clone();
        let i = find(&altered, b"<title>") + 7;
        altered[i] ^= 0x01;
        assert!(
            !v.document(doc_id)
                .unwrap()
                .matches(&altered, XmlLimits::default())
                .unwrap()
        );
        // The XAdES schema of the DMP annex accepts it.
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("x.xml"), &xades).unwrap();
        // XAdES.xsd imports the XML-DSig schema by its W3C URL: a catalog maps it to the
        // annex's own copy (no network).
        let schema_dir = shared().join("dmp/wsdl-schema/schema/signature");
        std::fs::write(
            tmp.path().join("catalog.xml"),
            format!(
                "<catalog xmlns=\"urn:oasis:names:tc:entity:xmlns:xml:catalog\"><uri name=\"http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd\" uri=\"file://{}/xmldsig-core-schema.xsd\"/><system systemId=\"http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd\" uri=\"file://{}/xmldsig-core-schema.xsd\"/></catalog>",
                schema_dir.display(),
                schema_dir.display()
            ),
        )
        .unwrap();
        let lint = Command::new("xmllint")
            .env("XML_CATALOG_FILES", tmp.path().join("catalog.xml"))
            .args(["--noout", "--nonet", "--schema"])
            .arg(shared().join("dmp/wsdl-schema/schema/signature/XAdES.xsd"))
            .arg(tmp.path().join("x.xml"))
            .output()
            .expect("xmllint is required (Debian libxml2-utils, scripts/install-deps)");
        assert!(
            lint.status.success(),
            "XAdES.xsd: {}",
            String::from_utf8_lossy(&lint.stderr)
        );
        let (ok, err) = xmlsec1_verify(
            keys.path(),
            &[
                "--ignore-manifests",
                "--id-attr:Id",
                "Manifest",
                "--id-attr:Id",
                "http://uri.etsi.org/01903/v1.1.1#:SignedProperties",
            ],
            &xades,
        );
        assert!(ok, "xmlsec1 refuses our XAdES ({method:?}): {err}");
    }
}

#[test]
fn bad_signing_requests_are_typed_errors() {
    let keys = Keys::new();
    let mut signer = keys.software();
    let empty = SignatureBuilder::new(SignatureMethod::RsaSha256);
    assert!(matches!(
        empty.sign_detached(&mut signer, XmlLimits::default()),
        Err(XmlDsigError::Invalid(_))
    ));
    let bad_id = SignatureBuilder::default().reference(Reference::enveloped("a\"b"));
    assert!(matches!(
        bad_id.sign_enveloped(
            &vihf_envelope(),
            ASSERTION_ID,
            Placement::FirstChild,
            &mut signer,
            XmlLimits::default()
        ),
        Err(XmlDsigError::Invalid(_))
    ));
    let missing = SignatureBuilder::default().reference(Reference::enveloped("nope"));
    assert!(matches!(
        missing.sign_enveloped(
            &vihf_envelope(),
            "nope",
            Placement::FirstChild,
            &mut signer,
            XmlLimits::default()
        ),
        Err(XmlDsigError::UnresolvedReference { .. })
    ));
    // An element written `<a/>` has no place for a signature inside it.
    let empty = SignatureBuilder::default().reference(Reference::enveloped("e"));
    for placement in [Placement::FirstChild, Placement::LastChild] {
        assert!(matches!(
            empty.sign_enveloped(
                b"<r><a Id=\"e\"/></r>",
                "e",
                placement,
                &mut signer,
                XmlLimits::default()
            ),
            Err(XmlDsigError::Invalid(_))
        ));
    }
    assert!(SigningTime::parse("2026-12-06T14:20:12").is_err());
    assert!(SigningTime::parse("2026-12-06T14:20:12Z").is_ok());
    assert!(
        SubmissionSetSignature::new(
            "s",
            "not an oid",
            SigningTime::parse("2026-12-06T14:20:12Z").unwrap()
        )
        .is_err()
    );
}

#[test]
fn any_altered_byte_of_our_xades_signed_parts_is_detected() {
    let keys = Keys::new();
    let cda = std::fs::read(shared().join("dmp/examples/TD2.1-DocumentME2.xml")).unwrap();
    let xades = SubmissionSetSignature::new(
        "_sig1",
        "1.2.250.1.999.1.1.7898.3.1",
        SigningTime::parse("2026-12-06T14:20:12Z").unwrap(),
    )
    .unwrap()
    .document(
        ManifestDocument::new(
            "1.2.250.1.999.1.1.7898.4.2",
            &cda,
            DigestAlgorithm::Sha1,
            XmlLimits::default(),
        )
        .unwrap(),
    )
    .sign(&mut keys.software(), XmlLimits::default())
    .unwrap();
    verify_submission_set(&xades, XmlLimits::default()).unwrap();
    // SignedInfo and SignatureValue, the Manifest, the QualifyingProperties.
    let ranges = [
        find(&xades, b"<SignedInfo>")..find(&xades, b"<KeyInfo>"),
        find(&xades, b"<Manifest ")..find(&xades, b"</Manifest>"),
        find(&xades, b"<QualifyingProperties ")..find(&xades, b"</QualifyingProperties>"),
    ];
    let mut checked = 0;
    for range in ranges {
        for i in range {
            let mut bad = xades.clone();
            bad[i] ^= 0x01;
            assert!(
                verify_submission_set(&bad, XmlLimits::default()).is_err(),
                "flipped byte {i} still verifies: {:?}",
                String::from_utf8_lossy(&xades[i.saturating_sub(40)..i + 10])
            );
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked}");
    eprintln!("{checked} altered XAdES bytes detected");
}

/// The official TD1.4 response declares the HL7 default namespace on a prefixed element: with
/// `#default` in the InclusiveNamespaces PrefixList, exclusive C14N renders it there (Exclusive
/// C14N §3). xmlsec1 signs the whole document (`URI=""`) that way; ours must verify it, and
/// sign it the same way for xmlsec1.
#[test]
fn default_namespace_in_the_prefix_list_agrees_with_xmlsec1() {
    let keys = Keys::new();
    let original =
        std::fs::read_to_string(shared().join("dmp/examples/TD1.4_Fermer_response.xml")).unwrap();
    let at = original.rfind("</soap:Envelope>").unwrap();
    let template = format!(
        "{}<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo><CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/><Reference URI=\"\"><Transforms><Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/><Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"><ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"#default xsi\"/></Transform></Transforms><DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>{}",
        &original[..at],
        &original[at..]
    );
    let (ok, err, signed) = xmlsec1(
        keys.path(),
        &["--sign", "--privkey-pem", "key.pem,cert.pem"],
        template.as_bytes(),
    );
    assert!(ok, "xmlsec1 --sign: {err}");
    let doc = Document::parse(&signed, XmlLimits::default()).unwrap();
    let sig = doc
        .child(
            doc.root(),
            "http://www.w3.org/2000/09/xmldsig#",
            "Signature",
        )
        .unwrap();
    let v = verify_signature(&doc, sig, &|_| None, XmlLimits::default()).unwrap();
    let octets = String::from_utf8(v.references[0].octets.clone()).unwrap();
    assert!(octets.contains(
        "<ns2:PRPA_IN201314UV02_Response xmlns=\"urn:hl7-org:v3\" xmlns:ns2=\"asip:ci-sis:gdp:2010\">"
    ));

    // Ours, same reference, checked by xmlsec1.
    let mode = C14nMode::exclusive_with_prefixes(false, ["#default", "xsi"]);
    let ours = SignatureBuilder::new(SignatureMethod::RsaSha256)
        .reference(Reference::whole_document_enveloped().with_transforms(vec![
            Transform::EnvelopedSignature,
            Transform::Canonicalize(mode),
        ]))
        .sign_enveloped(
            original
                .replacen("<soap:Envelope ", "<soap:Envelope Id=\"env\" ", 1)
                .as_bytes(),
            "env",
            Placement::LastChild,
            &mut keys.software(),
            XmlLimits::default(),
        )
        .unwrap();
    let (ok, err) = xmlsec1_verify(keys.path(), &[], &ours);
    assert!(ok, "xmlsec1 refuses ours: {err}");
}
