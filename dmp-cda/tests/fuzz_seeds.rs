//! Replays the seeds of the `cda_read` fuzz target (`fuzz/seeds/cda_read/`) through both
//! readers with the target's limits on every test run, and checks the verdict each seed was
//! written for: a seed that stops exercising its case fails here, not silently in the fuzzer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_dmp_cda::read::{BodyFinding, CdaBody, CdaError, read_header, read_with};
use segur_dmp_cda::xml::{XmlError, XmlLimits};

#[test]
fn every_cda_read_seed_gives_its_verdict() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/cda_read");
    let limits = XmlLimits {
        max_bytes: 1 << 20,
        max_depth: 128,
        max_nodes: 100_000,
        ..XmlLimits::default()
    };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let bytes = std::fs::read(&path).unwrap();
        let doc = read_with(&bytes, &limits);
        let header = read_header(&bytes, &limits);
        let findings = match &doc {
            Ok(d) => match &d.body {
                CdaBody::NonXml(b) => b.findings.clone(),
                _ => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
        match name.as_str() {
            "ns-none.xml" => {
                let none = CdaError::Namespace { found: None };
                assert_eq!(doc.unwrap_err(), none);
                assert_eq!(header.unwrap_err(), none);
            }
            "ns-foreign-prefix.xml" => {
                let foreign = CdaError::Namespace {
                    found: Some("urn:example:foreign".into()),
                };
                assert_eq!(doc.unwrap_err(), foreign);
                assert_eq!(header.unwrap_err(), foreign);
            }
            "ns-mixed-extensions.xml" => {
                // `q:` is not declared: refused by both readers, with its position.
                for e in [doc.unwrap_err(), header.unwrap_err()] {
                    assert!(
                        matches!(e, CdaError::Xml(XmlError::UnboundPrefix { .. })),
                        "{name}: {e:?}"
                    );
                }
                let declared = String::from_utf8(bytes.clone()).unwrap().replace(
                    "<q:title>U</q:title>",
                    "<q:title xmlns:q=\"urn:example:q\">U</q:title>",
                );
                let h = read_header(declared.as_bytes(), &limits).unwrap();
                assert_eq!(h, read_with(declared.as_bytes(), &limits).unwrap().header);
                assert_eq!(h.id.root, "1.2");
                assert_eq!(h.id.extension.as_deref(), Some("A"));
                assert_eq!(h.title.as_deref(), Some("T"));
            }
            "nonxml-element-in-base64.xml" => {
                assert_eq!(
                    doc.unwrap_err(),
                    CdaError::NonXmlBodyMarkup {
                        element: "br".into()
                    }
                );
                assert!(header.is_ok());
            }
            "nonxml-not-a-pdf.xml" => assert_eq!(findings, [BodyFinding::NotAPdf]),
            "nonxml-unpadded.xml" => {
                assert_eq!(findings, [BodyFinding::Base64PaddingMissing { missing: 1 }])
            }
            "nonxml-wrapped-chunks.xml" => {
                // Base64 over two chunks of the decoder, wrapped with CRLF, split by a comment.
                let doc = doc.unwrap();
                let CdaBody::NonXml(b) = &doc.body else {
                    panic!("{name}: nonXMLBody expected")
                };
                assert_eq!(findings, []);
                assert_eq!(b.size(), 7000);
                let pdf = b.decode().unwrap();
                assert!(pdf.starts_with(b"%PDF-1.4\n"));
                assert_eq!(pdf.len(), 7000);
            }
            "nonxml-padding-inside.xml" => {
                // A `=` in the middle of a multi-chunk base64: refused, the offset named.
                let e = doc.unwrap_err();
                assert!(
                    matches!(&e, CdaError::Invalid { path: "nonXMLBody/text (B64)", reason } if reason.contains("5000")),
                    "{name}: {e:?}"
                );
                assert!(header.is_ok());
            }
            "no-namespace.xml" => {
                let none = CdaError::Namespace { found: None };
                assert_eq!(doc.unwrap_err(), none);
                assert_eq!(header.unwrap_err(), none);
            }
            n if n == "vac-note.xml"
                || n == "n1-pdf.xml"
                || n == "auto-presentable.xml"
                || n.starts_with("own-") =>
            {
                let (doc, header) = (doc.unwrap(), header.unwrap());
                assert_eq!(doc.header, header, "{name}");
                assert_eq!(findings, [], "{name}");
            }
            // Seeds written for the fuzzer's own invariants (multibyte fields, encodings, time
            // values): tests/fuzz_replay.rs checks those; here they only must not panic.
            _ => continue,
        }
        seen += 1;
    }
    assert_eq!(seen, 20, "every seed with a verdict replayed");
}
