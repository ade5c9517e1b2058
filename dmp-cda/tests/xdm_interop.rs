//! IHE_XDM with other producers: every ANS sample packs without overrides (ASS_A11 formatCodes),
//! integrity checks are reported honestly, R2 attributes may be absent, non-qualified
//! identities pack with their local id, ids are RFC 4122 URNs, replacements carry RPLC.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Write};
use std::path::PathBuf;

use segur_dmp_cda::ebrim;
use segur_dmp_cda::xdm::{
    Check, PackOptions, XdmError, XdmLimits, XdmPackage, XdmSender, pack_cda,
};
use segur_dmp_cda::xds::{
    AssociationKind, DeriveOptions, DocumentEntry, PatientIdPolicy, Submission, SubmissionSet,
    XdsError,
};
use zip::write::SimpleFileOptions;

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(shared().join("ans-kit/ExemplesCDA").join(name)).unwrap()
}

fn opts() -> PackOptions {
    PackOptions {
        source_id: "1.2.250.1.999.1.2.3".into(),
        sender: XdmSender {
            name: "Jeanne Martin".into(),
            organization: "Pharmacie du Centre (FINESS 750000001)".into(),
            application: "LGO".into(),
            version: "1.0".into(),
            vendor: "Vendor".into(),
            contact: "pharmacie.centre@test.mssante.fr".into(),
        },
        ..PackOptions::default()
    }
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        zw.start_file(*name, SimpleFileOptions::default()).unwrap();
        zw.write_all(bytes).unwrap();
    }
    zw.finish().unwrap().into_inner()
}

fn entry_for(cda: &[u8]) -> DocumentEntry {
    let doc = segur_dmp_cda::read(cda).unwrap();
    DocumentEntry::derive(&doc.header, cda, None, &DeriveOptions::default()).unwrap()
}

/// Expected formatCode per ANS volet templateId (ASS_A11, ANS "Terminologies de santé" IG,
/// written out here independently of the table in xds.rs), for every volet of the kit's samples.
const EXPECTED_FORMAT: &[(&str, &str)] = &[
    ("1.2.250.1.213.1.1.1.13", "urn:asip:ci-sis:vsm:2012"),
    ("1.2.250.1.213.1.1.1.40", "urn:asip:ci-sis:cr-anest:2020"),
    ("1.2.250.1.213.1.1.1.41", "urn:asip:ci-sis:cr-cpa:2020"),
    ("1.2.250.1.213.1.1.1.15", "urn:asip:ci-sis:aunv:2013"),
    ("1.2.250.1.213.1.1.1.16", "urn:asip:ci-sis:eunv:2013"),
    ("1.2.250.1.213.1.1.1.25", "urn:asip:ci-sis:pavc:2016"),
    ("1.2.250.1.213.1.1.1.17", "urn:asip:ci-sis:sunv:2013"),
    ("1.2.250.1.213.1.1.1.55", "urn:ihe:lab:xd-lab:2008"),
    ("1.3.6.1.4.1.19376.1.3.3", "urn:ihe:lab:xd-lab:2008"),
    ("1.2.250.1.213.1.1.1.59", "urn:ans:ci-sis:trod:2024"),
    ("1.2.250.1.213.1.1.1.32", "urn:asip:ci-sis:crgm:2018"),
    ("1.2.250.1.213.1.1.1.28", "urn:asip:ci-sis:d2lm-fidd:2017"),
    ("1.2.250.1.213.1.1.1.27", "urn:asip:ci-sis:d2lm-fin:2017"),
    ("1.2.250.1.213.1.1.1.8", "urn:asip:ci-sis:frcp:2011"),
    ("1.2.250.1.213.1.1.1.26", "urn:asip:ci-sis:pps-cancer:2017"),
    ("1.2.250.1.213.1.1.1.2.1.1", "urn:asip:ci-sis:avk:2009"),
    ("1.2.250.1.213.1.1.1.2.1.2", "urn:asip:ci-sis:tap:2009"),
    ("1.2.250.1.213.1.1.1.2.1.3", "urn:asip:ci-sis:dci:2009"),
    ("1.2.250.1.213.1.1.1.2.1.4", "urn:asip:ci-sis:psc:2009"),
    ("1.2.250.1.213.1.1.1.2.1.5", "urn:asip:ci-sis:ppv:2009"),
    ("1.2.250.1.213.1.1.1.36", "urn:asip:ci-sis:hr:2019"),
    ("1.2.250.1.213.1.1.1.5.1", "urn:asip:ci-sis:cse-cs8:2017"),
    ("1.2.250.1.213.1.1.1.5.2", "urn:asip:ci-sis:cse-cs9:2017"),
    ("1.2.250.1.213.1.1.1.5.3", "urn:asip:ci-sis:cse-cs24:2017"),
    ("1.2.250.1.213.1.1.1.5.4", "urn:ans:ci-sis:cse-mde:2023"),
    ("1.2.250.1.213.1.1.1.22", "urn:asip:ci-sis:dlu:2015"),
    ("1.2.250.1.213.1.1.1.23", "urn:asip:ci-sis:fludt:2017"),
    ("1.2.250.1.213.1.1.1.24", "urn:asip:ci-sis:fludr:2017"),
    ("1.2.250.1.213.1.1.1.47", "urn:ans:ci-sis:img-da:2022"),
    (
        "1.2.250.1.213.1.1.1.45",
        "urn:ihe:rad:CDA:ImagingReportStructuredHeadings:2013",
    ),
    ("1.2.250.1.213.1.1.1.51", "urn:ihe:pcc:ips:2020"),
    ("1.2.250.1.213.1.1.1.21", "urn:asip:ci-sis:ldl-ees:2017"),
    ("1.2.250.1.213.1.1.1.29", "urn:asip:ci-sis:ldl-ses:2017"),
    ("1.2.250.1.213.1.1.1.12.1", "urn:asip:ci-sis:obp-sap:2023"),
    ("1.2.250.1.213.1.1.1.12.2", "urn:asip:ci-sis:obp-snm:2023"),
    ("1.2.250.1.213.1.1.1.12.3", "urn:asip:ci-sis:obp-sne:2023"),
    ("1.2.250.1.213.1.1.1.12.4", "urn:asip:ci-sis:obp-scm:2023"),
    ("1.2.250.1.213.1.1.1.12.5", "urn:asip:ci-sis:obp-sem:2023"),
    (
        "1.2.250.1.213.1.1.1.42",
        "urn:ihe:eyecare:geneyeevalcn:2014",
    ),
    ("1.2.250.1.213.1.1.1.18", "urn:asip:ci-sis:crrtn:2013"),
    ("1.2.250.1.213.1.1.1.30", "urn:asip:ci-sis:sdm-mr:2017"),
    ("1.2.250.1.213.1.1.1.38", "urn:asip:ci-sis:tlm-da:2020"),
    ("1.2.250.1.213.1.1.1.46", "urn:asip:ci-sis:vac-note:2021"),
    ("1.2.250.1.213.1.1.1.37", "urn:asip:ci-sis:vac:2019"),
    ("1.2.250.1.213.1.1.1.54", "urn:ihe:pharm:dis:2010"),
    ("1.2.250.1.213.1.1.1.39", "urn:ihe:pharm:pre:2010"),
];

/// The ANS kit's samples are documents from every other producer profile the DMP knows: all
/// 94 pack with no override (formatCode from ASS_A11 or, for N1, from the body's media type;
/// classCode from the provisional table), and read back with hash and size verified.
#[test]
fn every_ans_sample_packs_without_overrides() {
    let dir = shared().join("ans-kit/ExemplesCDA");
    let mut packed = 0;
    let mut failures = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .collect();
    paths.sort();
    for p in &paths {
        let cda = std::fs::read(p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let (zip, sub) = match pack_cda(&cda, None, &opts()) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let pkg = XdmPackage::unpack(&zip, &XdmLimits::default()).unwrap();
        assert_eq!(pkg.subsets[0].submission, sub, "{name}");
        assert!(pkg.subsets[0].warnings.is_empty(), "{name}");
        let d = &pkg.subsets[0].documents[0];
        assert!(d.integrity.complete(), "{name}");
        let e = d.entry.as_ref().unwrap();
        let format = &e.format_code.as_ref().unwrap().code;
        let doc = segur_dmp_cda::read(&cda).unwrap();
        let templates: Vec<&str> = doc
            .header
            .template_ids
            .iter()
            .map(|t| t.root.as_str())
            .collect();
        if templates.contains(&"1.3.6.1.4.1.19376.1.2.20") {
            assert!(
                format.starts_with("urn:ihe:iti:xds-sd:"),
                "{name}: {format}"
            );
        } else {
            let expected: Vec<&str> = EXPECTED_FORMAT
                .iter()
                .filter(|(t, _)| templates.contains(t))
                .map(|(_, f)| *f)
                .collect();
            assert!(
                expected.contains(&format.as_str()),
                "{name}: {format} not in {expected:?}"
            );
        }
        let class = e.class_code.as_ref().unwrap();
        assert_eq!(class.code_system, "1.2.250.1.213.1.1.4.1", "{name}");
        packed += 1;
    }
    assert!(failures.is_empty(), "not packed: {failures:#?}");
    assert_eq!(packed, paths.len());
    assert!(packed >= 90, "only {packed} samples");
}

/// Overrides win over the derivation, for a template outside ASS_A11.
#[test]
fn format_and_class_overrides() {
    let cda = String::from_utf8(sample("VAC-NOTE_2023.01.xml")).unwrap();
    // A producer-specific template only: no formatCode can be derived.
    let cda = cda.replace("1.2.250.1.213.1.1.1.46", "1.2.250.1.999.77");
    match pack_cda(cda.as_bytes(), None, &opts()) {
        Err(XdmError::Xds(XdsError::UnknownFormat(t))) => {
            assert!(t.contains(&"1.2.250.1.999.77".to_owned()))
        }
        other => panic!("{other:?}"),
    }
    let mut o = opts();
    o.derive.format_code = Some(segur_dmp_cda::Code::new(
        "urn:x-vendor:fmt",
        "1.2.250.1.999.78",
        "Vendor format",
    ));
    o.derive.class_code = Some(segur_dmp_cda::Code::new(
        "11",
        "1.2.250.1.213.1.1.4.1",
        "Synthèse",
    ));
    let (_, sub) = pack_cda(cda.as_bytes(), None, &o).unwrap();
    let e = &sub.documents[0];
    assert_eq!(e.format_code.as_ref().unwrap().code, "urn:x-vendor:fmt");
    assert_eq!(e.class_code.as_ref().unwrap().code, "11");
}

fn metadata_without(cda: &[u8], drop_slots: &[&str]) -> String {
    let mut e = entry_for(cda);
    e.uri = Some("DOC0001.XML".into());
    for slot in drop_slots {
        match *slot {
            "hash" => e.hash = None,
            "size" => e.size = None,
            _ => unreachable!(),
        }
    }
    let set = SubmissionSet::for_entry(&e, "1.2.3", None);
    ebrim::write(&Submission::new(set, vec![e]))
}

/// A METADATA.XML without hash or size is read, and the document says what was not checked;
/// a caller that requires both gets a typed refusal naming the document and what is missing.
#[test]
fn integrity_is_reported_and_can_be_required() {
    let cda = sample("VAC-NOTE_2023.01.xml");
    let strict = XdmLimits {
        require_hash_and_size: true,
        ..XdmLimits::default()
    };
    for (drop, hash, size, missing) in [
        (
            &["hash", "size"][..],
            Check::NotInMetadata,
            Check::NotInMetadata,
            "hash and size",
        ),
        (&["hash"][..], Check::NotInMetadata, Check::Verified, "hash"),
        (&["size"][..], Check::Verified, Check::NotInMetadata, "size"),
    ] {
        let meta = metadata_without(&cda, drop);
        let z = zip_of(&[
            ("IHE_XDM/SUBSET01/METADATA.XML", meta.as_bytes()),
            ("IHE_XDM/SUBSET01/DOC0001.XML", &cda),
        ]);
        let pkg = XdmPackage::unpack(&z, &XdmLimits::default()).unwrap();
        let d = &pkg.subsets[0].documents[0];
        assert_eq!(d.bytes, cda);
        assert_eq!((d.integrity.hash, d.integrity.size), (hash, size));
        assert_eq!(d.integrity.missing(), Some(missing));
        assert!(!d.integrity.complete());
        match XdmPackage::unpack(&z, &strict) {
            Err(XdmError::IntegrityNotChecked { path, missing: m }) => {
                assert_eq!(path, "IHE_XDM/SUBSET01/DOC0001.XML");
                assert_eq!(m, missing);
            }
            other => panic!("{drop:?}: {other:?}"),
        }
    }
    // A wrong hash is an error even when size is absent.
    let mut e = entry_for(&cda);
    e.uri = Some("DOC0001.XML".into());
    e.size = None;
    e.hash = Some("0".repeat(40));
    let set = SubmissionSet::for_entry(&e, "1.2.3", None);
    let meta = ebrim::write(&Submission::new(set, vec![e]));
    let z = zip_of(&[
        ("IHE_XDM/SUBSET01/METADATA.XML", meta.as_bytes()),
        ("IHE_XDM/SUBSET01/DOC0001.XML", &cda),
    ]);
    assert!(matches!(
        XdmPackage::unpack(&z, &XdmLimits::default()),
        Err(XdmError::HashMismatch { .. })
    ));
    // A file the metadata does not describe has nothing checked; strict refuses it.
    let meta = metadata_without(&cda, &[]);
    let z = zip_of(&[
        ("IHE_XDM/SUBSET01/METADATA.XML", meta.as_bytes()),
        ("IHE_XDM/SUBSET01/DOC0001.XML", &cda),
        ("IHE_XDM/SUBSET01/NOTE.TXT", b"note"),
    ]);
    let pkg = XdmPackage::unpack(&z, &XdmLimits::default()).unwrap();
    let note = pkg.documents().find(|d| d.entry.is_none()).unwrap();
    assert_eq!(note.integrity.missing(), Some("hash and size"));
    assert!(matches!(
        XdmPackage::unpack(&z, &strict),
        Err(XdmError::IntegrityNotChecked {
            missing: "DocumentEntry",
            ..
        })
    ));
}

/// Removes every element `<tag ...>...</tag>` (or `<tag .../>`) whose opening tag contains
/// `needle`, from a METADATA.XML written on one line.
fn drop_element(xml: &str, tag: &str, needle: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    let open = format!("<{tag} ");
    let close = format!("</{tag}>");
    while let Some(i) = rest.find(&open) {
        let (before, from) = rest.split_at(i);
        out.push_str(before);
        let head_end = from.find('>').unwrap();
        let head = &from[..=head_end];
        let end = if head.ends_with("/>") {
            head_end + 1
        } else {
            from.find(&close).unwrap() + close.len()
        };
        if head.contains(needle) {
            rest = &from[end..];
        } else {
            out.push_str(&from[..end]);
            rest = &from[end..];
        }
    }
    out.push_str(rest);
    out
}

/// Attributes IHE makes R2 for XDM media (ITI TF-3 Table 4.3.1-3) may be absent: read with a
/// warning naming the object and attribute. An R attribute (uniqueId) stays required.
#[test]
fn r2_attributes_may_be_absent_with_a_warning() {
    use segur_dmp_cda::ebrim::uuids;
    let cda = sample("VAC-NOTE_2023.01.xml");
    let meta = metadata_without(&cda, &[]);
    let mut stripped = meta.clone();
    for scheme in [
        uuids::DOC_CLASS,
        uuids::DOC_FORMAT,
        uuids::DOC_TYPE,
        uuids::SS_CONTENT_TYPE,
    ] {
        stripped = drop_element(&stripped, "rim:Classification", scheme);
    }
    for scheme in [uuids::DOC_PATIENT_ID, uuids::SS_PATIENT_ID] {
        stripped = drop_element(&stripped, "rim:ExternalIdentifier", scheme);
    }
    assert!(stripped.len() < meta.len());
    let z = zip_of(&[
        ("IHE_XDM/SUBSET01/METADATA.XML", stripped.as_bytes()),
        ("IHE_XDM/SUBSET01/DOC0001.XML", &cda),
    ]);
    let pkg = XdmPackage::unpack(&z, &XdmLimits::default()).unwrap();
    let s = &pkg.subsets[0];
    let mut missing: Vec<&str> = s.warnings.iter().map(|w| w.missing).collect();
    missing.sort_unstable();
    assert_eq!(
        missing,
        [
            "classCode",
            "contentTypeCode",
            "formatCode",
            "patientId",
            "patientId",
            "typeCode"
        ]
    );
    let e = s.documents[0].entry.as_ref().unwrap();
    assert!(e.class_code.is_none() && e.format_code.is_none() && e.type_code.is_none());
    assert!(s.documents[0].integrity.complete());
    assert!(pkg.patient_ins().is_none());
    // uniqueId is R: still refused.
    let no_uid = drop_element(&meta, "rim:ExternalIdentifier", uuids::DOC_UNIQUE_ID);
    let z = zip_of(&[
        ("IHE_XDM/SUBSET01/METADATA.XML", no_uid.as_bytes()),
        ("IHE_XDM/SUBSET01/DOC0001.XML", &cda),
    ]);
    match XdmPackage::unpack(&z, &XdmLimits::default()) {
        Err(XdmError::Metadata {
            source: ebrim::EbrimError::Missing { what, .. },
            ..
        }) => assert_eq!(what, "uniqueId"),
        other => panic!("{other:?}"),
    }
}

/// The VAC-NOTE sample without its INS: the identity is not qualified, only the local id (IPP)
/// remains.
fn non_qualified_vac_note() -> Vec<u8> {
    let cda = String::from_utf8(sample("VAC-NOTE_2023.01.xml")).unwrap();
    let ins = r#"<id extension="279035121518989" root="1.2.250.1.213.1.4.10"/>"#;
    assert!(cda.contains(ins));
    cda.replace(ins, "").into_bytes()
}

#[test]
fn non_qualified_identity_packs_with_the_local_id_when_asked() {
    let cda = non_qualified_vac_note();
    assert!(matches!(
        pack_cda(&cda, None, &opts()),
        Err(XdmError::Xds(XdsError::NoPatientIns))
    ));
    let mut o = opts();
    o.derive.patient_id = PatientIdPolicy::LocalWhenNoIns;
    let (zip, sub) = pack_cda(&cda, None, &o).unwrap();
    let pid = sub.documents[0].patient_id.as_ref().unwrap();
    assert_eq!(pid.expose(), "1234567890121^^^&1.2.3.4.567.8.9.10&ISO^PI");
    assert!(!pid.is_ins());
    assert_eq!(sub.documents[0].source_patient_id.as_ref(), Some(pid));
    assert_eq!(sub.submission_set.patient_id.as_ref(), Some(pid));
    let pkg = XdmPackage::unpack(&zip, &XdmLimits::default()).unwrap();
    assert!(pkg.patient_ins().is_none());
    assert_eq!(pkg.patient_id(), Some(pid));
    // With an INS present, the policy changes nothing: the INS is the patientId.
    let (_, sub) = pack_cda(&sample("VAC-NOTE_2023.01.xml"), None, &o).unwrap();
    assert!(sub.documents[0].patient_id.as_ref().unwrap().is_ins());
    // Neither INS nor local id: typed refusal.
    let cda = String::from_utf8(cda).unwrap().replace(
        r#"<id extension="1234567890121" root="1.2.3.4.567.8.9.10"/>"#,
        "",
    );
    assert!(matches!(
        pack_cda(cda.as_bytes(), None, &o),
        Err(XdmError::Xds(XdsError::NoPatientId))
    ));
}

/// Every id written in METADATA.XML is an RFC 4122 `urn:uuid:` (no `-author0` suffixes).
#[test]
fn metadata_ids_are_rfc4122_urns() {
    let pdf = b"%PDF-1.4\n% test\n".to_vec();
    let mut o = opts();
    o.replaces_entry_uuid = Some("urn:uuid:0F8FAD5B-D9CB-469F-A165-70867728950E".into());
    let (zip, _) = pack_cda(&sample("VAC-NOTE_2023.01.xml"), Some(&pdf), &o).unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut meta = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("IHE_XDM/SUBSET01/METADATA.XML").unwrap(),
        &mut meta,
    )
    .unwrap();
    let mut ids = 0;
    for attr in [
        " id=\"",
        "classifiedObject=\"",
        "registryObject=\"",
        "sourceObject=\"",
        "targetObject=\"",
    ] {
        for (i, _) in meta.match_indices(attr) {
            let v = &meta[i + attr.len()..];
            let v = &v[..v.find('"').unwrap()];
            let u = v
                .strip_prefix("urn:uuid:")
                .unwrap_or_else(|| panic!("{attr}{v}"));
            assert_eq!(u.len(), 36, "{v}");
            let parsed = uuid::Uuid::try_parse(u).unwrap_or_else(|_| panic!("{v}"));
            assert_eq!(parsed.hyphenated().to_string(), u, "lower case: {v}");
            ids += 1;
        }
    }
    assert!(ids > 30, "{ids} ids");
    assert!(meta.contains("urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e"));
}

/// A replacement carries the RPLC association toward the replaced entryUUID, given as an RFC
/// 4122 URN; anything else is refused before packing.
#[test]
fn replacement_carries_rplc_and_refuses_bad_uuids() {
    let cda = sample("VAC-NOTE_2023.01.xml");
    let mut o = opts();
    o.replaces_entry_uuid = Some("urn:uuid:7f3c6f8a-1d2e-4b5c-9a8b-0c1d2e3f4a5b".into());
    let (zip, sub) = pack_cda(&cda, None, &o).unwrap();
    let pkg = XdmPackage::unpack(&zip, &XdmLimits::default()).unwrap();
    let rplc: Vec<_> = pkg.subsets[0]
        .submission
        .associations
        .iter()
        .filter(|a| a.kind == AssociationKind::Replace)
        .collect();
    assert_eq!(rplc.len(), 1);
    assert_eq!(rplc[0].source, sub.documents[0].entry_uuid);
    assert_eq!(
        rplc[0].target,
        "urn:uuid:7f3c6f8a-1d2e-4b5c-9a8b-0c1d2e3f4a5b"
    );
    for bad in [
        "7f3c6f8a-1d2e-4b5c-9a8b-0c1d2e3f4a5b",
        "urn:uuid:7f3c6f8a-1d2e-4b5c-9a8b-0c1d2e3f4a5b-author0",
        "urn:uuid:7f3c6f8a1d2e4b5c9a8b0c1d2e3f4a5b",
        "urn:uuid:zz3c6f8a-1d2e-4b5c-9a8b-0c1d2e3f4a5b",
        "urn:uuid:é",
    ] {
        o.replaces_entry_uuid = Some(bad.into());
        assert!(
            matches!(pack_cda(&cda, None, &o), Err(XdmError::BadEntryUuid { .. })),
            "{bad}"
        );
    }
}

/// The PDF beside a CDA is not a CDA: it gets `mimeTypeSufficient`, never the XDS-SD code.
/// README.TXT names the sender's organisation and contact (ITI TF-3 §4.2.1.1.2).
#[test]
fn pdf_format_code_and_readme_contact() {
    let pdf = b"%PDF-1.4\n% test\n".to_vec();
    let (zip, sub) = pack_cda(&sample("VAC-NOTE_2023.01.xml"), Some(&pdf), &opts()).unwrap();
    let pdf_entry = &sub.documents[1];
    assert_eq!(pdf_entry.mime_type, "application/pdf");
    let f = pdf_entry.format_code.as_ref().unwrap();
    assert_eq!(f.code, "urn:ihe:iti:xds:2017:mimeTypeSufficient");
    assert!(!f.code.contains("xds-sd"));
    let pkg = XdmPackage::unpack(&zip, &XdmLimits::default()).unwrap();
    let readme = pkg.readme.unwrap();
    assert!(readme.contains("Organisation: Pharmacie du Centre (FINESS 750000001)\r\n"));
    assert!(readme.contains("Contact: pharmacie.centre@test.mssante.fr\r\n"));
    assert!(readme.contains("Application: LGO 1.0\r\n"));
    // A line break in a sender field would forge README lines: refused with its position.
    let mut o = opts();
    o.sender.contact = "a@b.fr\r\nOrganisation: forged".into();
    match pack_cda(&sample("VAC-NOTE_2023.01.xml"), None, &o) {
        Err(XdmError::SenderText { field, position }) => {
            assert_eq!((field, position), ("contact", 6))
        }
        other => panic!("{other:?}"),
    }
}

/// README.TXT must name the sender's organisation and contact (IHE ITI TF-1 §16): packing
/// without them (the `Default` options, or a blank value) is refused, naming the field.
#[test]
fn pack_without_sender_is_refused() {
    let cda = sample("VAC-NOTE_2023.01.xml");
    let no_sender = PackOptions {
        source_id: "1.2.250.1.999.1.2.3".into(),
        ..PackOptions::default()
    };
    match pack_cda(&cda, None, &no_sender) {
        Err(XdmError::SenderMissing { field }) => assert_eq!(field, "organization"),
        other => panic!("{other:?}"),
    }
    for (field, blank) in [("organization", " \u{a0}\t"), ("contact", "")] {
        let mut o = opts();
        match field {
            "organization" => o.sender.organization = blank.into(),
            _ => o.sender.contact = blank.into(),
        }
        match pack_cda(&cda, None, &o) {
            Err(XdmError::SenderMissing { field: f }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    // The message names the field and the rule, never a value.
    let e = pack_cda(&cda, None, &no_sender).unwrap_err().to_string();
    assert!(
        e.contains("organization") && e.contains("README.TXT"),
        "{e}"
    );
    // With both given, the same document packs.
    assert!(pack_cda(&cda, None, &opts()).is_ok());
}
