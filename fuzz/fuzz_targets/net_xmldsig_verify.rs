//! Signature verification of arbitrary input never panics or hangs and never accepts a
//! signature without a certificate that verified it: the enveloped VIHF check, the XAdES
//! submission-set check, and core validation of every `ds:Signature` element found.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_net::xml::XmlLimits;
use segur_net::xmldsig::xades::verify_submission_set;
use segur_net::xmldsig::{Document, verify_enveloped, verify_signature};

const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

fuzz_target!(|data: &[u8]| {
    let limits = XmlLimits {
        max_depth: 32,
        max_nodes: 4096,
        ..XmlLimits::default()
    };
    if let Ok(v) = verify_enveloped(data, &[(SAML, "Assertion")], limits) {
        assert!(!v.verified.certificate.is_empty());
    }
    let _ = verify_submission_set(data, limits);
    let Ok(doc) = Document::parse(data, limits) else {
        return;
    };
    let mut stack = vec![doc.root()];
    let mut seen = 0;
    while let Some(n) = stack.pop() {
        seen += 1;
        if seen > 4096 {
            break;
        }
        if doc.is(n, DSIG, "Signature") {
            let _ = verify_signature(&doc, n, &|_| Some(b"external".to_vec()), limits);
        }
        stack.extend(doc.child_elements(n));
    }
});
