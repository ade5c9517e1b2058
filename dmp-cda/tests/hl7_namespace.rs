//! Namespaces in the CDA readers: a `ClinicalDocument` in no namespace or a foreign one
//! (default or prefixed) is refused by `read`, `read_header` and `validate`, naming the
//! namespace found; inside the document, an element of another namespace (an `sdtc:`
//! extension, a foreign or unqualified element) is never taken for the HL7 v3 element of the
//! same local name, while HL7 v3 written with a prefix reads as with the default namespace.
//! Also the two limits the CDA readers share with the SOAP reader (one `XmlLimits`): attribute
//! value and text length, refused with position by both readers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_dmp_cda::read::{CdaError, ReadLimits, read, read_header};
use segur_dmp_cda::validate::validate;
use segur_dmp_cda::xml::{XmlError, XmlLimits};

fn sample() -> String {
    let shared = std::env::var_os("SEGUR_SHARED")
        .expect("SEGUR_SHARED must name the shared directory (export SEGUR_SHARED=../shared)");
    let path = std::path::Path::new(&shared).join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const ROOT_NS: &str = r#" xmlns="urn:hl7-org:v3">"#;

/// Every reader refuses `doc` with the namespace error naming `found`.
fn refused_by_all(doc: &str, found: Option<&str>) {
    let expected = CdaError::Namespace {
        found: found.map(str::to_owned),
    };
    assert_eq!(read(doc.as_bytes()).unwrap_err(), expected);
    assert_eq!(
        read_header(doc.as_bytes(), &ReadLimits::default()).unwrap_err(),
        expected
    );
    assert_eq!(validate(doc.as_bytes()).unwrap_err(), expected);
}

#[test]
fn the_sample_reads_and_its_root_is_checked() {
    let d = sample();
    assert!(d.contains(ROOT_NS));
    let h = read_header(d.as_bytes(), &ReadLimits::default()).unwrap();
    assert_eq!(h, read(d.as_bytes()).unwrap().header);
    assert_eq!(h.title.as_deref(), Some("NOTE DE VACCINATION"));
}

#[test]
fn a_root_in_no_namespace_is_refused() {
    let d = sample().replacen(ROOT_NS, ">", 1);
    refused_by_all(&d, None);
    let e = read(d.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("in no namespace"), "{e}");
}

#[test]
fn a_root_in_a_foreign_default_namespace_is_refused_naming_it() {
    let d = sample().replacen(ROOT_NS, r#" xmlns="urn:example:not-hl7">"#, 1);
    refused_by_all(&d, Some("urn:example:not-hl7"));
    let e = read(d.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("\"urn:example:not-hl7\""), "{e}");
    // The HL7 v3 namespace misspelt is a foreign one.
    let d = sample().replacen(ROOT_NS, r#" xmlns="urn:hl7-org:v3 ">"#, 1);
    refused_by_all(&d, Some("urn:hl7-org:v3 "));
}

#[test]
fn a_root_with_a_foreign_prefix_is_refused_and_an_hl7_prefix_reads() {
    let prefixed = |uri: &str| {
        sample()
            .replacen(
                "<ClinicalDocument ",
                &format!(r#"<f:ClinicalDocument xmlns:f="{uri}" "#),
                1,
            )
            .replacen("</ClinicalDocument>", "</f:ClinicalDocument>", 1)
    };
    // The children stay in the default (HL7 v3) namespace: only the root is foreign.
    refused_by_all(
        &prefixed("urn:example:foreign"),
        Some("urn:example:foreign"),
    );
    let ok = prefixed("urn:hl7-org:v3");
    let h = read_header(ok.as_bytes(), &ReadLimits::default()).unwrap();
    assert_eq!(h, read(ok.as_bytes()).unwrap().header);
    assert_eq!(h.title.as_deref(), Some("NOTE DE VACCINATION"));
    // The namespace text in the error is escaped: no control character reaches a terminal.
    let d = sample().replacen(ROOT_NS, " xmlns=\"urn:x&#x1b;[31m\">", 1);
    let e = read(d.as_bytes()).unwrap_err();
    assert!(!e.to_string().contains('\u{1b}'), "{e}");
}

#[test]
fn elements_of_other_namespaces_are_never_taken_for_hl7_elements() {
    let d = sample();
    // An extension (sdtc) and a foreign element named `title` before the real one, an
    // unqualified `id` before the real id: the readers take the first HL7 v3 one by name.
    let d = d.replacen(
        "<id root=\"1.2.250.1.213.1.1.1.46.2023.1.1\"/>",
        concat!(
            "<id xmlns=\"\" root=\"9.9.9\" extension=\"unqualified\"/>",
            "<id root=\"1.2.250.1.213.1.1.1.46.2023.1.1\"/>"
        ),
        1,
    );
    let d = d.replacen(
        "<title>NOTE DE VACCINATION</title>",
        concat!(
            "<sdtc:title xmlns:sdtc=\"urn:hl7-org:sdtc\">EXTENSION</sdtc:title>",
            "<title xmlns=\"urn:example:foreign\">FOREIGN</title>",
            "<title>NOTE DE VACCINATION</title>"
        ),
        1,
    );
    let h = read_header(d.as_bytes(), &ReadLimits::default()).unwrap();
    assert_eq!(h, read(d.as_bytes()).unwrap().header);
    assert_eq!(h.title.as_deref(), Some("NOTE DE VACCINATION"));
    assert_eq!(h.id.root, "1.2.250.1.213.1.1.1.46.2023.1.1");
    assert_eq!(h.id.extension, None);

    // When the only `title` is in another namespace, there is no title.
    let only_foreign = sample().replacen(
        "<title>NOTE DE VACCINATION</title>",
        "<title xmlns=\"urn:example:foreign\">FOREIGN</title>",
        1,
    );
    let h = read_header(only_foreign.as_bytes(), &ReadLimits::default()).unwrap();
    assert_eq!(h, read(only_foreign.as_bytes()).unwrap().header);
    assert_eq!(h.title, None);

    // A body `component` in another namespace is not the body: the header read goes on and
    // still finds the header.
    let d = sample().replacen(
        "<title>NOTE DE VACCINATION</title>",
        "<x:component xmlns:x=\"urn:example:foreign\"/><title>NOTE DE VACCINATION</title>",
        1,
    );
    let h = read_header(d.as_bytes(), &ReadLimits::default()).unwrap();
    assert_eq!(h.title.as_deref(), Some("NOTE DE VACCINATION"));
}

#[test]
fn an_undeclared_element_prefix_is_refused_with_its_position() {
    let d = sample().replacen(
        "<title>NOTE DE VACCINATION</title>",
        "<q:title>NOTE DE VACCINATION</q:title>",
        1,
    );
    let at = d.find("<q:title>").unwrap();
    for e in [
        read(d.as_bytes()).unwrap_err(),
        read_header(d.as_bytes(), &ReadLimits::default()).unwrap_err(),
    ] {
        match e {
            CdaError::Xml(XmlError::UnboundPrefix { position }) => {
                assert!(position >= at && position <= at + 9, "{position} vs {at}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn attribute_and_text_length_limits_apply_to_both_readers() {
    let d = sample();
    let limits = XmlLimits {
        max_attribute_len: 64,
        max_text_len: 64,
        ..XmlLimits::default()
    };
    assert!(read_header(d.as_bytes(), &limits).is_ok());
    let long_value = "1.2.".repeat(20);
    let long_attr = d.replacen(
        "<id root=\"1.2.250.1.213.1.1.1.46.2023.1.1\"/>",
        &format!("<id root=\"{long_value}\"/>"),
        1,
    );
    let long_text = d.replacen(
        "<title>NOTE DE VACCINATION</title>",
        &format!("<title>{}</title>", "A".repeat(65)),
        1,
    );
    for e in [
        read_header(long_attr.as_bytes(), &limits).unwrap_err(),
        segur_dmp_cda::read_with(long_attr.as_bytes(), &limits).unwrap_err(),
    ] {
        assert!(
            matches!(
                e,
                CdaError::Xml(XmlError::AttributeTooLong { limit: 64, .. })
            ),
            "{e:?}"
        );
    }
    for e in [
        read_header(long_text.as_bytes(), &limits).unwrap_err(),
        segur_dmp_cda::read_with(long_text.as_bytes(), &limits).unwrap_err(),
    ] {
        assert!(
            matches!(e, CdaError::Xml(XmlError::TextTooLong { limit: 64, .. })),
            "{e:?}"
        );
    }
    // Exactly at the limit is accepted.
    let at_limit = d.replacen(
        "<title>NOTE DE VACCINATION</title>",
        &format!("<title>{}</title>", "A".repeat(64)),
        1,
    );
    assert!(read_header(at_limit.as_bytes(), &limits).is_ok());
}
