//! `validate()` agrees with the kit on our documents, the official samples and known mutations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use segur_dmp_cda::build::examples::{TYPES, example};
use segur_dmp_cda::validate::validate;

fn sample(name: &str) -> String {
    let shared = std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    std::fs::read_to_string(shared.join("ans-kit/ExemplesCDA").join(name)).unwrap()
}

#[test]
fn our_documents_and_conformant_samples_have_no_finding() {
    for ty in TYPES {
        let xml = example(ty).unwrap().unwrap().build().unwrap();
        assert_eq!(validate(xml.as_bytes()).unwrap(), vec![], "{ty}");
    }
    for s in ["VAC-NOTE_2023.01.xml", "DOC_NON_STRUCTURE_CDA-R2-N1.xml"] {
        assert_eq!(validate(sample(s).as_bytes()).unwrap(), vec![], "{s}");
    }
}

#[test]
fn kit_mutations_are_caught_with_their_rule() {
    let vac = sample("VAC-NOTE_2023.01.xml");
    let cases = [
        (
            "<lotNumberText>4456672</lotNumberText>",
            "",
            "numéro de lot",
        ),
        ("<county>51215</county>", "", "INS traits"),
        (
            "<signatureCode code=\"S\" />",
            "<signatureCode code=\"X\" />",
            "signatureCode",
        ),
        (
            "<confidentialityCode code=\"N\"",
            "<confidentialityCode code=\"Z\"",
            "confidentialityCode",
        ),
        (
            "extension=\"2023.01\"",
            "extension=\"2021.01\"",
            "EX_2.1-2035",
        ),
        (
            "<effectiveTime value=\"20090928\" />",
            "<effectiveTime value=\"200909281200\" />",
            "AAAAMMJJ",
        ),
        (
            "code=\"AMBULATOIRE\" displayName=\"Ambulatoire\"",
            "code=\"OFFICINE\" displayName=\"Ambulatoire\"",
            "JDV_J04",
        ),
    ];
    for (from, to, rule) in cases {
        assert!(vac.contains(from), "{from}");
        let bad = vac.replacen(from, to, 1);
        let f = validate(bad.as_bytes()).unwrap();
        assert!(f.iter().any(|x| x.rule.contains(rule)), "{rule}: {f:#?}");
    }
    // The eDISP sample of the kit fails StrucMin once (name qualifier): so do we.
    let f = validate(sample("eDISP-MED_2024.01.xml").as_bytes()).unwrap();
    assert!(f.iter().any(|x| x.rule.contains("BR or CL")), "{f:#?}");
}

/// Non-ASCII characters where a timestamp's digits or zone are expected used to panic
/// (byte-offset slicing): now a finding, in `validate` and in the XDS derivation alike.
#[test]
fn non_ascii_timestamps_are_findings_not_panics() {
    let vac = sample("VAC-NOTE_2023.01.xml");
    for bad in [
        "2021040915350é+0100",
        "20210409153500+01é",
        "20210409153500+é10",
        "2021040915350\u{202e}+0100",
    ] {
        let xml = vac.replace(
            "<effectiveTime value=\"20210409153500+0100\" />",
            &format!("<effectiveTime value=\"{bad}\" />"),
        );
        assert_ne!(xml, vac);
        let findings = validate(xml.as_bytes()).unwrap();
        assert!(!findings.is_empty(), "{bad:?}: no finding");
        let doc = segur_dmp_cda::read(xml.as_bytes()).unwrap();
        // The XDS creationTime cannot be derived from it: a typed error, not a panic.
        let derived = segur_dmp_cda::xds::DocumentEntry::derive(
            &doc.header,
            xml.as_bytes(),
            None,
            &segur_dmp_cda::xds::DeriveOptions::default(),
        );
        assert!(derived.is_err(), "{bad:?}: derived anyway");
    }
}
