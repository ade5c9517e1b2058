//! Every official sample of the ANS kit (`ans-kit/ExemplesCDA`, all volets) reads into a typed
//! header and body.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use segur_dmp_cda::read::{CdaBody, read, read_header};
use segur_dmp_cda::xml::XmlLimits;

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

fn samples() -> Vec<PathBuf> {
    let dir = shared().join("ans-kit/ExemplesCDA");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    v.sort();
    v
}

#[test]
fn all_official_samples_read() {
    let files = samples();
    assert!(files.len() >= 90, "only {} samples", files.len());
    let mut failures = Vec::new();
    let (mut structured, mut nonxml) = (0, 0);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        match read(&bytes) {
            Ok(doc) => {
                let h = &doc.header;
                assert!(!h.id.root.is_empty(), "{}", f.display());
                assert!(!h.type_code.code.is_empty(), "{}", f.display());
                assert!(
                    h.template_ids
                        .iter()
                        .any(|t| t.root == "1.2.250.1.213.1.1.1.1"),
                    "{}",
                    f.display()
                );
                assert!(!h.authors.is_empty(), "{}: no author", f.display());
                assert!(h.custodian.is_some(), "{}: no custodian", f.display());
                assert!(!h.patient.ids.is_empty(), "{}: no patient id", f.display());
                match &doc.body {
                    CdaBody::Structured { sections } => {
                        assert!(!sections.is_empty(), "{}: no section", f.display());
                        structured += 1;
                    }
                    CdaBody::NonXml(b) => {
                        assert!(b.size() > 0 || b.reference.is_some(), "{}", f.display());
                        nonxml += 1;
                    }
                    CdaBody::Absent => panic!("{}: no body", f.display()),
                }
                let header = read_header(&bytes, &XmlLimits::default()).unwrap();
                assert_eq!(&header, h, "{}: header-only read differs", f.display());
            }
            Err(e) => failures.push(format!("{}: {e}", f.display())),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        structured > 50 && nonxml >= 3,
        "structured {structured}, nonXML {nonxml}"
    );
}

#[test]
fn vac_note_sample_header_fields() {
    let bytes = std::fs::read(shared().join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml")).unwrap();
    let doc = read(&bytes).unwrap();
    let h = &doc.header;
    assert_eq!(h.type_code.code, "87273-9");
    assert_eq!(h.id.root, "1.2.250.1.213.1.1.1.46.2023.1.1");
    assert_eq!(h.effective_time.as_deref(), Some("20210409153500+0100"));
    assert_eq!(
        h.confidentiality.as_ref().map(|c| c.code.as_str()),
        Some("N")
    );
    assert_eq!(h.language_code.as_deref(), Some("fr-FR"));
    assert_eq!(h.version_number, Some(1));
    let ins = h.patient.ins_ids().next().unwrap();
    assert_eq!(ins.root, "1.2.250.1.213.1.4.10");
    assert_eq!(ins.extension.expose(), "279035121518989");
    let checked = h.patient.ins().unwrap().unwrap();
    assert_eq!(checked.matricule().expose(), "279035121518989");
    assert_eq!(h.patient.birth_name.as_ref().unwrap().expose(), "PAT-TROIS");
    assert_eq!(
        h.patient.first_given_name.as_ref().unwrap().expose(),
        "DOMINIQUE"
    );
    assert_eq!(
        h.patient.given_names.as_ref().unwrap().expose(),
        "DOMINIQUE MARIE-LOUISE"
    );
    assert_eq!(h.patient.birth_time.as_ref().unwrap().expose(), "19790328");
    assert_eq!(h.patient.birthplace_cog.as_ref().unwrap().expose(), "51215");
    assert_eq!(
        h.legal_authenticator
            .as_ref()
            .unwrap()
            .signature_code
            .as_deref(),
        Some("S")
    );
    // Debug never shows patient data.
    let dbg = format!("{doc:?}");
    assert!(
        !dbg.contains("PAT-TROIS") && !dbg.contains("279035121518989"),
        "{dbg}"
    );
    let CdaBody::Structured { sections } = &doc.body else {
        panic!("structured expected")
    };
    assert_eq!(sections[0].code.as_ref().unwrap().code, "11369-6");
}

#[test]
fn n1_sample_decodes_pdf() {
    let bytes = std::fs::read(shared().join("ans-kit/ExemplesCDA/DOC_NON_STRUCTURE_CDA-R2-N1.xml"))
        .unwrap();
    let doc = read(&bytes).unwrap();
    let CdaBody::NonXml(b) = &doc.body else {
        panic!("nonXMLBody expected")
    };
    assert_eq!(b.media_type, "application/pdf");
    let pdf = b.decode().unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "decoded body is not a PDF");
    assert_eq!(pdf.len(), b.size());
}
