//! The streaming header reader keeps every hostile-input rule of the tree reader: DTD refused,
//! no entity expansion, size/depth/node limits, malformed input, typed errors, and it stops at
//! the body (a broken body does not matter to it, and does to the full read).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_dmp_cda::build::examples::example;
use segur_dmp_cda::read::{CdaError, read, read_header};
use segur_dmp_cda::xml::{XmlError, XmlLimits};

fn doc() -> String {
    example("vaccination-note")
        .unwrap()
        .unwrap()
        .build()
        .unwrap()
}

fn err(bytes: &[u8], limits: &XmlLimits) -> CdaError {
    read_header(bytes, limits).unwrap_err()
}

#[test]
fn header_read_refuses_hostile_inputs() {
    let d = doc();
    let l = XmlLimits::default();
    let dtd = d.replacen(
        "<ClinicalDocument",
        "<!DOCTYPE x [<!ENTITY e \"boom\">]><ClinicalDocument",
        1,
    );
    assert!(matches!(
        err(dtd.as_bytes(), &l),
        CdaError::Xml(XmlError::Dtd { .. })
    ));
    let entity = d.replacen("<title>", "<title>&e;", 1);
    assert!(matches!(
        err(entity.as_bytes(), &l),
        CdaError::Xml(XmlError::Entity { .. })
    ));
    // An entity in an attribute the header does not read is refused too.
    let entity_attr = d.replacen("<typeId ", "<typeId x=\"&e;\" ", 1);
    assert!(matches!(
        err(entity_attr.as_bytes(), &l),
        CdaError::Xml(XmlError::Entity { .. })
    ));
    let dup = d.replacen("<typeId ", "<typeId a=\"1\" a=\"2\" ", 1);
    assert!(matches!(
        err(dup.as_bytes(), &l),
        CdaError::Xml(XmlError::Malformed { .. })
    ));
    let small = XmlLimits {
        max_bytes: 100,
        ..l
    };
    assert!(matches!(
        err(d.as_bytes(), &small),
        CdaError::Xml(XmlError::TooLarge { .. })
    ));
    let shallow = XmlLimits { max_depth: 3, ..l };
    assert!(matches!(
        err(d.as_bytes(), &shallow),
        CdaError::Xml(XmlError::TooDeep { .. })
    ));
    let few = XmlLimits { max_nodes: 20, ..l };
    assert!(matches!(
        err(d.as_bytes(), &few),
        CdaError::Xml(XmlError::TooManyNodes { .. })
    ));
    let mismatched = d.replacen("</title>", "</titel>", 1);
    assert!(matches!(
        err(mismatched.as_bytes(), &l),
        CdaError::Xml(XmlError::Malformed { .. })
    ));
    let truncated = &d.as_bytes()[..d.find("<custodian>").unwrap()];
    assert!(matches!(
        err(truncated, &l),
        CdaError::Xml(XmlError::Malformed { .. })
    ));
    assert!(matches!(err(b"<html><body/></html>", &l), CdaError::NotCda(n) if n == "html"));
    assert!(matches!(err(b"", &l), CdaError::Xml(XmlError::Empty)));
    let no_id = d.replacen("<id root=", "<idx root=", 1);
    assert_eq!(
        err(no_id.as_bytes(), &l),
        CdaError::Missing("ClinicalDocument/id")
    );
    let bad_version = d.replacen(
        "<versionNumber value=\"1\"",
        "<versionNumber value=\"x\"",
        1,
    );
    assert!(matches!(
        err(bad_version.as_bytes(), &l),
        CdaError::Invalid { .. }
    ));
}

#[test]
fn header_read_stops_at_the_body() {
    let d = doc();
    let cut = d.find("<structuredBody>").unwrap();
    let broken = format!("{}<structuredBody><oops></structuredBody>", &d[..cut]);
    let h = read_header(broken.as_bytes(), &XmlLimits::default()).unwrap();
    assert_eq!(h, read(d.as_bytes()).unwrap().header);
    assert!(read(broken.as_bytes()).is_err());
}

/// 100,000 attributes on one element used to take the tokenizer's duplicate check quadratic
/// (minutes): now `XmlLimits::max_attributes` refuses the element at its 257th attribute, on
/// every path (tree reader, header extractor, in the header and in the body).
#[test]
fn an_attribute_flood_is_refused_at_the_limit() {
    let d = doc();
    let flood: String = (0..100_000).map(|i| format!(" a{i}=\"v\"")).collect();
    let in_header = d.replacen("<realmCode", &format!("<realmCode{flood}"), 1);
    let in_body = d.replacen("<structuredBody", &format!("<structuredBody{flood}"), 1);
    assert_ne!(in_header, d);
    assert_ne!(in_body, d);
    let l = XmlLimits::default();
    for (what, input) in [("header", &in_header), ("body", &in_body)] {
        let refused = |e: &CdaError| {
            matches!(
                e,
                CdaError::Xml(XmlError::TooManyAttributes { limit: 256, .. })
            )
        };
        let e = read(input.as_bytes()).unwrap_err();
        assert!(refused(&e), "{what}: read gave {e:?}");
        if what == "header" {
            let e = err(input.as_bytes(), &l);
            assert!(refused(&e), "read_header gave {e:?}");
        }
    }
    // A lower limit applies to the streaming path too, certified or not.
    let five: String = (0..6).map(|i| format!(" a{i}=\"v\"")).collect();
    let six_attrs = d.replacen("<realmCode", &format!("<realmCode{five}"), 1);
    let low = XmlLimits {
        max_attributes: 5,
        ..XmlLimits::default()
    };
    assert!(matches!(
        err(six_attrs.as_bytes(), &low),
        CdaError::Xml(XmlError::TooManyAttributes { limit: 5, .. })
    ));
}

/// A UTF-16 or UTF-32 document is named as such by both readers, instead of the misleading
/// "text outside the root element" of reading its bytes as UTF-8.
#[test]
fn other_encodings_are_named() {
    let d = doc();
    let utf16le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(d.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let utf16be_no_bom: Vec<u8> = d.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let utf32le: Vec<u8> = d.chars().flat_map(|c| u32::from(c).to_le_bytes()).collect();
    let l = XmlLimits::default();
    for (input, name) in [
        (&utf16le, "UTF-16LE"),
        (&utf16be_no_bom, "UTF-16BE"),
        (&utf32le, "UTF-32LE"),
    ] {
        let named = |e: &CdaError| matches!(e, CdaError::Xml(XmlError::UnsupportedEncoding { encoding }) if *encoding == name);
        let e = read(input).unwrap_err();
        assert!(named(&e), "{name}: read gave {e:?}");
        let e = err(input, &l);
        assert!(named(&e), "{name}: read_header gave {e:?}");
    }
}
