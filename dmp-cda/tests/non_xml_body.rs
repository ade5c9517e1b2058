//! `nonXMLBody` (CDA R2 N1) read from the official N1 sample, mutated: an element inside the
//! base64 is refused (the content is never cut around it), a PDF label on content that is not a
//! PDF is a finding, and base64 missing its `=` padding no longer makes the document
//! unreadable (the header and the content are read, the problem is a finding).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use segur_dmp_cda::read::{
    BodyFinding, CdaBody, CdaError, NonXmlBody, ReadLimits, read, read_header,
};

fn sample() -> String {
    let shared = std::env::var_os("SEGUR_SHARED")
        .expect("SEGUR_SHARED must name the shared directory (export SEGUR_SHARED=../shared)");
    let path =
        std::path::Path::new(&shared).join("ans-kit/ExemplesCDA/DOC_NON_STRUCTURE_CDA-R2-N1.xml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const OPEN: &str = r#"<text mediaType="application/pdf" representation="B64">"#;

/// The sample with its base64 text replaced by `f(base64)`.
fn with_base64(f: impl FnOnce(&str) -> String) -> String {
    let d = sample();
    let start = d.find(OPEN).expect("the N1 sample's B64 text") + OPEN.len();
    let end = start + d[start..].find("</text>").unwrap();
    format!("{}{}{}", &d[..start], f(&d[start..end]), &d[end..])
}

fn body(doc: &str) -> NonXmlBody<'static> {
    match read(doc.as_bytes()).unwrap().body {
        CdaBody::NonXml(b) => b.into_owned(),
        other => panic!("nonXMLBody expected, got {other:?}"),
    }
}

#[test]
fn the_sample_has_no_finding() {
    let b = body(&sample());
    assert!(b.decode().unwrap().starts_with(b"%PDF-"));
    assert_eq!(b.findings, []);
}

#[test]
fn an_element_inside_the_base64_is_refused_never_cut_around() {
    for element in [
        r#"<x:evil xmlns:x="urn:example:foreign"/>"#,
        "<br/>",
        r#"<sdtc:x xmlns:sdtc="urn:hl7-org:sdtc">AAAA</sdtc:x>"#,
        r#"<reference xmlns="" value="x"/>"#,
    ] {
        let d = with_base64(|b64| {
            let mid = b64.len() / 2 / 4 * 4;
            format!("{}{element}{}", &b64[..mid], &b64[mid..])
        });
        let e = read(d.as_bytes()).unwrap_err();
        assert!(
            matches!(e, CdaError::NonXmlBodyMarkup { .. }),
            "{element}: {e:?}"
        );
        assert!(
            e.to_string()
                .contains("nonXMLBody/text holds the element <"),
            "{e}"
        );
        // The header alone is still readable.
        assert!(read_header(d.as_bytes(), &ReadLimits::default()).is_ok());
    }
    let e = read(
        with_base64(|b64| format!("{b64}<x:evil xmlns:x=\"urn:example:foreign\"/>")).as_bytes(),
    )
    .unwrap_err();
    assert_eq!(
        e,
        CdaError::NonXmlBodyMarkup {
            element: "evil".into()
        }
    );
    // ED's own `reference` (HL7 v3) is allowed beside the content.
    let d = with_base64(|b64| format!(r#"<reference value="doc.pdf"/>{b64}"#));
    let b = body(&d);
    assert_eq!(b.reference.as_deref(), Some("doc.pdf"));
}

#[test]
fn a_pdf_label_on_content_that_is_not_a_pdf_is_a_finding() {
    let not_pdf = base64::engine::general_purpose::STANDARD.encode(b"<html>not a PDF</html>");
    let b = body(&with_base64(|_| not_pdf.clone()));
    assert_eq!(b.media_type, "application/pdf");
    assert_eq!(b.decode().unwrap(), b"<html>not a PDF</html>");
    assert_eq!(b.size(), 22);
    assert_eq!(b.findings, [BodyFinding::NotAPdf]);
    // The finding is part of the JSON view.
    let json = serde_json::to_value(&b).unwrap();
    assert_eq!(json["findings"][0]["finding"], "notAPdf");
}

#[test]
fn base64_missing_its_padding_is_read_and_reported() {
    let original_text = sample();
    let original = read(original_text.as_bytes()).unwrap();
    let CdaBody::NonXml(original_body) = &original.body else {
        panic!()
    };
    for (strip, missing) in [(1, 1), (2, 2)] {
        let d = with_base64(|b64| {
            assert!(b64.ends_with("=="));
            b64[..b64.len() - strip].to_owned()
        });
        let doc = read(d.as_bytes()).unwrap();
        assert_eq!(doc.header, original.header);
        let CdaBody::NonXml(b) = doc.body else {
            panic!()
        };
        assert_eq!(
            b.decode().unwrap(),
            original_body.decode().unwrap(),
            "nothing lost"
        );
        assert_eq!(b.size(), original_body.size());
        assert_eq!(b.findings, [BodyFinding::Base64PaddingMissing { missing }]);
    }
    // Too much padding, or a character outside the alphabet, is still an error.
    for bad in [|b: &str| format!("{b}="), |b: &str| format!("{b}!")] {
        let e = read(with_base64(bad).as_bytes()).unwrap_err();
        assert!(
            matches!(
                e,
                CdaError::Invalid {
                    path: "nonXMLBody/text (B64)",
                    ..
                }
            ),
            "{e:?}"
        );
    }
}

#[test]
fn the_content_is_borrowed_from_the_input_and_decoded_on_demand() {
    let d = sample();
    let doc = read(d.as_bytes()).unwrap();
    let CdaBody::NonXml(b) = &doc.body else {
        panic!("nonXMLBody expected")
    };
    // Zero copy: the text the body holds is the input's own bytes.
    let input = d.as_bytes().as_ptr_range();
    let text = b.text().as_bytes().as_ptr_range();
    assert!(input.start <= text.start && text.end <= input.end);
    assert!(b.is_base64());
    let decoded = b.decode().unwrap();
    assert_eq!(decoded.len(), b.size());
    let mut streamed = Vec::new();
    assert_eq!(b.write_to(&mut streamed).unwrap(), b.size() as u64);
    assert_eq!(streamed, decoded);
    // Detached from the input, the same content.
    let owned = doc.clone().into_owned();
    drop(d);
    let CdaBody::NonXml(o) = &owned.body else {
        panic!()
    };
    assert_eq!(o.decode().unwrap(), decoded);
    // The redacting Debug names the size, never the content.
    assert!(format!("{o:?}").contains(&format!("<{} bytes>", decoded.len())));
}
