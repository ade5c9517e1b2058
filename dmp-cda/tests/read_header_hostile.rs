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
