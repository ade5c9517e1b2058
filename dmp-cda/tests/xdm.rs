//! IHE_XDM packages: round trips, other vendors' layouts, hostile archives.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Write};
use std::path::PathBuf;

use segur_dmp_cda::ebrim;
use segur_dmp_cda::xdm::{PackOptions, XdmError, XdmLimits, XdmPackage, XdmSender, pack_cda};
use segur_dmp_cda::xds::{DeriveOptions, DocumentEntry, Submission, SubmissionSet};
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
            name: "Pharmacie du Centre".into(),
            organization: "Pharmacie du Centre (FINESS 750000001)".into(),
            application: "LGO".into(),
            version: "1.0".into(),
            vendor: "Vendor".into(),
            contact: "pharmacie.centre@test.mssante.fr, 01 23 45 67 89".into(),
        },
        ..PackOptions::default()
    }
}

#[test]
fn vac_note_round_trip() {
    let cda = sample("VAC-NOTE_2023.01.xml");
    let (zip, sub) = pack_cda(&cda, None, &opts()).unwrap();
    let pkg = XdmPackage::unpack(&zip, &XdmLimits::default()).unwrap();
    assert_eq!(pkg.subsets.len(), 1);
    let s = &pkg.subsets[0];
    assert_eq!(s.name, "SUBSET01");
    assert_eq!(s.submission, sub, "metadata round trip");
    assert_eq!(s.documents.len(), 1);
    let d = &s.documents[0];
    assert_eq!(d.path, "IHE_XDM/SUBSET01/DOC0001.XML");
    assert_eq!(d.bytes, cda, "bytes round trip");
    let e = d.entry.as_ref().unwrap();
    assert_eq!(e.type_code.as_ref().unwrap().code, "87273-9");
    let format = e.format_code.as_ref().unwrap();
    assert_eq!(format.code, "urn:asip:ci-sis:vac-note:2021");
    assert_eq!(format.code_system, "1.2.250.1.213.1.1.4.2.282");
    assert_eq!(format.display_name.as_deref(), Some("Note de vaccination"));
    assert!(d.integrity.complete(), "hash and size verified");
    assert_eq!(e.creation_time.as_deref(), Some("20210409143500"));
    assert_eq!(e.confidentiality[0].code, "N");
    assert_eq!(e.language_code.as_deref(), Some("fr-FR"));
    assert_eq!(e.unique_id, "1.2.250.1.213.1.1.1.46.2023.1.1");
    assert_eq!(e.mime_type, "text/xml");
    assert_eq!(e.size, Some(cda.len() as u64));
    assert_eq!(
        e.patient_id.as_ref().unwrap().expose(),
        "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"
    );
    assert!(
        e.authors[0]
            .person
            .as_deref()
            .unwrap()
            .starts_with("801234567897^MULLER^Charles^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS")
    );
    assert_eq!(
        pkg.patient_ins(),
        Some(("1.2.250.1.213.1.4.10", "279035121518989"))
    );
    let ins = pkg.ins().unwrap().unwrap();
    assert_eq!(ins.authority(), segur_ins::InsAuthority::TestNir);
    assert_eq!(ins.matricule().expose(), "279035121518989");
    assert!(
        pkg.readme
            .as_deref()
            .unwrap()
            .contains("Pharmacie du Centre")
    );
    assert_eq!(pkg.cda_documents().count(), 1);
    // The whole CDA can be read back from the package.
    let doc = segur_dmp_cda::read(&pkg.cda_documents().next().unwrap().bytes).unwrap();
    assert_eq!(doc.header.type_code.code, "87273-9");
    // Patient data does not leak through Debug.
    let dbg = format!("{pkg:?}");
    assert!(!dbg.contains("279035121518989"), "INS in Debug output");
}

#[test]
fn n1_with_pdf_and_replacement() {
    let cda = sample("DOC_NON_STRUCTURE_CDA-R2-N1.xml");
    let pdf = b"%PDF-1.4\n% test\n".to_vec();
    let mut o = opts();
    o.derive.class_code = Some(segur_dmp_cda::Code::new(
        "10",
        "1.2.250.1.213.1.1.4.1",
        "Compte rendu",
    ));
    o.replaces_entry_uuid = Some("urn:uuid:00000000-0000-4000-8000-000000000001".into());
    let (zip, sub) = pack_cda(&cda, Some(&pdf), &o).unwrap();
    let pkg = XdmPackage::unpack(&zip, &XdmLimits::default()).unwrap();
    let s = &pkg.subsets[0];
    assert_eq!(s.submission, sub);
    assert_eq!(s.documents.len(), 2);
    assert_eq!(
        s.documents[0]
            .entry
            .as_ref()
            .unwrap()
            .format_code
            .as_ref()
            .unwrap()
            .code,
        "urn:ihe:iti:xds-sd:pdf:2008"
    );
    assert_eq!(s.documents[1].path, "IHE_XDM/SUBSET01/DOC0002.PDF");
    assert_eq!(s.documents[1].bytes, pdf);
    assert!(!s.documents[1].is_xml());
    let rplc: Vec<_> = sub
        .associations
        .iter()
        .filter(|a| a.kind == segur_dmp_cda::xds::AssociationKind::Replace)
        .collect();
    assert_eq!(rplc.len(), 1);
    assert_eq!(
        rplc[0].target,
        "urn:uuid:00000000-0000-4000-8000-000000000001"
    );
    assert_eq!(
        rplc[0].source,
        s.documents[0].entry.as_ref().unwrap().entry_uuid
    );
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        zw.start_file(*name, SimpleFileOptions::default()).unwrap();
        zw.write_all(bytes).unwrap();
    }
    zw.finish().unwrap().into_inner()
}

fn metadata_for(cda: &[u8], uri: Option<&str>) -> (String, DocumentEntry) {
    let doc = segur_dmp_cda::read(cda).unwrap();
    let mut e = DocumentEntry::derive(&doc.header, cda, None, &DeriveOptions::default()).unwrap();
    e.uri = uri.map(str::to_owned);
    let set = SubmissionSet::for_entry(&e, "1.2.3", None);
    (ebrim::write(&Submission::new(set, vec![e.clone()])), e)
}

#[test]
fn other_vendor_layouts() {
    let cda = sample("VAC-NOTE_2023.01.xml");
    // Subset SS000001, lower-case names, URI in lower case too.
    let (meta, _) = metadata_for(&cda, Some("doc0001.xml"));
    let z = zip_of(&[
        ("readme.txt", b"hello"),
        ("ihe_xdm/ss000001/metadata.xml", meta.as_bytes()),
        ("ihe_xdm/ss000001/doc0001.xml", &cda),
    ]);
    let pkg = XdmPackage::unpack(&z, &XdmLimits::default()).unwrap();
    assert_eq!(pkg.subsets[0].name, "ss000001");
    assert_eq!(pkg.subsets[0].documents[0].bytes, cda);
    assert!(pkg.subsets[0].documents[0].entry.is_some());
    // No URI slot: the document is found among the subset's files and matched by hash; an
    // extra file without metadata is still returned.
    let (meta, _) = metadata_for(&cda, None);
    let z = zip_of(&[
        ("IHE_XDM/SS000001/METADATA.XML", meta.as_bytes()),
        ("IHE_XDM/SS000001/OTHER.TXT", b"note"),
        ("IHE_XDM/SS000001/CDA.XML", &cda),
    ]);
    let pkg = XdmPackage::unpack(&z, &XdmLimits::default()).unwrap();
    let docs = &pkg.subsets[0].documents;
    assert_eq!(docs.len(), 2);
    let cda_doc = docs.iter().find(|d| d.path.ends_with("CDA.XML")).unwrap();
    assert!(cda_doc.entry.is_some());
    assert!(
        docs.iter()
            .find(|d| d.path.ends_with("OTHER.TXT"))
            .unwrap()
            .entry
            .is_none()
    );
    assert_eq!(
        pkg.patient_ins(),
        Some(("1.2.250.1.213.1.4.10", "279035121518989"))
    );
}

#[test]
fn hostile_archives_are_refused() {
    let cda = sample("VAC-NOTE_2023.01.xml");
    let l = XdmLimits::default();
    let (meta, _) = metadata_for(&cda, Some("DOC0001.XML"));
    let base = [
        ("IHE_XDM/SUBSET01/METADATA.XML", meta.as_bytes()),
        ("IHE_XDM/SUBSET01/DOC0001.XML", &cda[..]),
    ];

    // Zip-slip.
    let mut files = base.to_vec();
    files.push(("IHE_XDM/SUBSET01/../../../etc/passwd", b"x"));
    assert!(matches!(
        XdmPackage::unpack(&zip_of(&files), &l),
        Err(XdmError::PathTraversal { .. })
    ));
    let mut files = base.to_vec();
    files.push(("..\\..\\evil.exe", b"x"));
    assert!(matches!(
        XdmPackage::unpack(&zip_of(&files), &l),
        Err(XdmError::PathTraversal { .. })
    ));
    // Absolute paths.
    for name in ["/etc/passwd", "C:/Windows/evil", "\\\\server\\share"] {
        let mut files = base.to_vec();
        files.push((name, b"x"));
        let r = XdmPackage::unpack(&zip_of(&files), &l);
        assert!(
            matches!(r, Err(XdmError::AbsolutePath { .. })),
            "{name}: {r:?}"
        );
    }
    // Symlink.
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zw.add_symlink(
        "IHE_XDM/SUBSET01/LINK",
        "/etc/passwd",
        SimpleFileOptions::default(),
    )
    .unwrap();
    let z = zw.finish().unwrap().into_inner();
    assert!(matches!(
        XdmPackage::unpack(&z, &l),
        Err(XdmError::Symlink { .. })
    ));
    // Too many entries.
    let names: Vec<String> = (0..300).map(|i| format!("F{i}.TXT")).collect();
    let many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    assert!(matches!(
        XdmPackage::unpack(&zip_of(&many), &l),
        Err(XdmError::TooManyEntries { count: 300, .. })
    ));
    // Zip bomb: 8 MiB of zeros deflate to a few KiB.
    let zeros = vec![0u8; 8 << 20];
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zw.start_file("IHE_XDM/SUBSET01/BOMB.XML", SimpleFileOptions::default())
        .unwrap();
    zw.write_all(&zeros).unwrap();
    let bomb = zw.finish().unwrap().into_inner();
    assert!(bomb.len() < 64 << 10);
    assert!(matches!(
        XdmPackage::unpack(&bomb, &l),
        Err(XdmError::RatioTooHigh { .. })
    ));
    let small = XdmLimits {
        max_entry_bytes: 1 << 20,
        ..l
    };
    assert!(matches!(
        XdmPackage::unpack(&bomb, &small),
        Err(XdmError::EntryTooLarge { .. })
    ));
    let total = XdmLimits {
        max_total_bytes: 4 << 20,
        max_ratio: u64::MAX,
        ..l
    };
    assert!(matches!(
        XdmPackage::unpack(&bomb, &total),
        Err(XdmError::TotalTooLarge { .. })
    ));
    // Truncated.
    let good = zip_of(&base);
    for cut in [10, good.len() / 2, good.len() - 5] {
        let r = XdmPackage::unpack(&good[..cut], &l);
        assert!(matches!(r, Err(XdmError::Zip(_))), "cut {cut}: {r:?}");
    }
    // Wrong hash (same size), wrong size.
    let mut tampered = cda.clone();
    let i = tampered.iter().position(|&b| b == b'N').unwrap();
    tampered[i] = b'M';
    let r = XdmPackage::unpack(
        &zip_of(&[base[0], ("IHE_XDM/SUBSET01/DOC0001.XML", &tampered)]),
        &l,
    );
    assert!(matches!(r, Err(XdmError::HashMismatch { .. })), "{r:?}");
    tampered.push(b' ');
    let r = XdmPackage::unpack(
        &zip_of(&[base[0], ("IHE_XDM/SUBSET01/DOC0001.XML", &tampered)]),
        &l,
    );
    assert!(matches!(r, Err(XdmError::SizeMismatch { .. })), "{r:?}");
    // Missing document, missing metadata, duplicate names, DTD in metadata.
    let r = XdmPackage::unpack(&zip_of(&base[..1]), &l);
    assert!(matches!(r, Err(XdmError::MissingDocument { .. })), "{r:?}");
    let r = XdmPackage::unpack(&zip_of(&base[1..]), &l);
    assert!(matches!(r, Err(XdmError::NoMetadata)), "{r:?}");
    let r = XdmPackage::unpack(
        &zip_of(&[base[0], base[1], ("ihe_xdm/subset01/doc0001.xml", b"x")]),
        &l,
    );
    assert!(matches!(r, Err(XdmError::Duplicate { .. })), "{r:?}");
    let dtd = format!("<!DOCTYPE x [<!ENTITY a \"b\">]>{meta}");
    let r = XdmPackage::unpack(
        &zip_of(&[("IHE_XDM/SUBSET01/METADATA.XML", dtd.as_bytes())]),
        &l,
    );
    assert!(matches!(r, Err(XdmError::Metadata { .. })), "{r:?}");
    // Not a zip at all.
    assert!(matches!(
        XdmPackage::unpack(b"not a zip", &l),
        Err(XdmError::Zip(_))
    ));
}

#[test]
fn metadata_derives_for_every_sample_with_an_ins() {
    let dir = shared().join("ans-kit/ExemplesCDA");
    let mut derived = 0;
    for f in std::fs::read_dir(dir).unwrap() {
        let p = f.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        let doc = segur_dmp_cda::read(&bytes).unwrap();
        if doc.header.patient.ins_ids().next().is_none() {
            continue;
        }
        let media = match &doc.body {
            segur_dmp_cda::CdaBody::NonXml(b) => Some(b.media_type.as_str()),
            _ => None,
        };
        // Volets outside the built-in tables need explicit codes; give them and check the rest.
        let o = DeriveOptions {
            class_code: Some(segur_dmp_cda::Code::new(
                "10",
                "1.2.250.1.213.1.1.4.1",
                "Compte rendu",
            )),
            format_code: Some(segur_dmp_cda::Code::new("urn:x", "1.2.3", "x")),
            ..DeriveOptions::default()
        };
        let e = DocumentEntry::derive(&doc.header, &bytes, media, &o)
            .unwrap_or_else(|err| panic!("{}: {err}", p.display()));
        assert_eq!(e.hash.as_ref().unwrap().len(), 40);
        assert!(e.patient_id.as_ref().unwrap().is_ins());
        // ebRIM round trip of the derived entry.
        let set = SubmissionSet::for_entry(&e, "1.2.3", None);
        let sub = Submission::new(set, vec![e]);
        let back = ebrim::read(ebrim::write(&sub).as_bytes(), &Default::default()).unwrap();
        assert_eq!(back, sub, "{}", p.display());
        derived += 1;
    }
    assert!(derived > 40, "only {derived} samples with an INS");
}

/// Two document entries naming one file used to leave it empty for the second (its bytes were
/// moved out for the first): now a typed refusal, and no document comes back truncated.
#[test]
fn two_entries_naming_one_file_are_refused_not_emptied() {
    let cda = sample("VAC-NOTE_2023.01.xml");
    let doc = segur_dmp_cda::read(&cda).unwrap();
    let mut first =
        DocumentEntry::derive(&doc.header, &cda, None, &DeriveOptions::default()).unwrap();
    first.uri = Some("DOC0001.XML".into());
    let mut second = first.clone();
    second.entry_uuid = "urn:uuid:5b2a1bd4-6f3a-4f7e-9a51-0c1d2e3f4a5b".into();
    second.unique_id = format!("{}.2", first.unique_id);
    let set = SubmissionSet::for_entry(&first, "1.2.3", None);
    let meta = ebrim::write(&Submission::new(set, vec![first, second]));
    let z = zip_of(&[
        ("IHE_XDM/SUBSET01/METADATA.XML", meta.as_bytes()),
        ("IHE_XDM/SUBSET01/DOC0001.XML", &cda),
    ]);
    match XdmPackage::unpack(&z, &XdmLimits::default()) {
        Err(XdmError::SharedDocument { subset, uri }) => {
            assert_eq!(subset, "IHE_XDM/SUBSET01");
            assert_eq!(uri, "DOC0001.XML");
        }
        other => panic!("expected SharedDocument, got {other:?}"),
    }
}

/// A document entry whose URI names the subset's METADATA.XML is refused too: the metadata is
/// never handed out as a document.
#[test]
fn an_entry_naming_the_metadata_file_is_refused() {
    let cda = sample("VAC-NOTE_2023.01.xml");
    let (meta, _) = metadata_for(&cda, Some("METADATA.XML"));
    let z = zip_of(&[
        ("IHE_XDM/SUBSET01/METADATA.XML", meta.as_bytes()),
        ("IHE_XDM/SUBSET01/DOC0001.XML", &cda),
    ]);
    assert!(matches!(
        XdmPackage::unpack(&z, &XdmLimits::default()),
        Err(XdmError::SharedDocument { .. })
    ));
}

/// A METADATA.XML with tens of thousands of submission-set classifications and packages used to
/// be quadratic (a list lookup per package): now a set lookup, and the reader still finds the
/// package classified as the submission set.
#[test]
fn many_classifications_stay_linear() {
    const N: usize = 30_000;
    let node = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";
    let mut xml = String::from(
        "<lcm:SubmitObjectsRequest xmlns:lcm=\"urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0\" \
         xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\"><rim:RegistryObjectList>",
    );
    for i in 0..N {
        xml.push_str(&format!(
            "<rim:Classification id=\"c{i}\" classificationNode=\"{node}\" classifiedObject=\"ss{i}\"/>"
        ));
    }
    for i in 0..N {
        xml.push_str(&format!("<rim:RegistryPackage id=\"pkg{i}\"/>"));
    }
    xml.push_str("</rim:RegistryObjectList></lcm:SubmitObjectsRequest>");
    let limits = segur_dmp_cda::xml::XmlLimits::default();
    // No package carries one of the classified ids: every lookup misses (the worst case).
    assert!(matches!(
        ebrim::read(xml.as_bytes(), &limits),
        Err(ebrim::EbrimError::NoSubmissionSet)
    ));
}

/// Thousands of end-of-central-directory records made the zip reader re-read the central
/// directory for each (85 s for 3.4 MB): now one linear count refuses them first, and a
/// package with a few stray signatures inside a stored file still unpacks.
#[test]
fn end_record_floods_are_refused_before_the_zip_reader() {
    let cda = sample("VAC-NOTE_2023.01.xml");
    let (meta, _) = metadata_for(&cda, Some("DOC0001.XML"));
    let good = zip_of(&[
        ("IHE_XDM/SUBSET01/METADATA.XML", meta.as_bytes()),
        ("IHE_XDM/SUBSET01/DOC0001.XML", &cda),
    ]);
    let mut flood = good.clone();
    let record = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
    for _ in 0..150_000 {
        flood.extend_from_slice(record);
    }
    assert!(flood.len() > 3 << 20);
    match XdmPackage::unpack(&flood, &XdmLimits::default()) {
        Err(XdmError::TooManyEndRecords { count, limit }) => {
            assert_eq!(limit, 16);
            assert_eq!(count, 17);
        }
        other => panic!("expected TooManyEndRecords, got {other:?}"),
    }
    // Three stray signatures inside a stored file: below the limit, the package reads.
    let stray = [&b"note "[..], record, record, record].concat();
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zw.start_file(
        "IHE_XDM/SUBSET01/METADATA.XML",
        SimpleFileOptions::default(),
    )
    .unwrap();
    zw.write_all(meta.as_bytes()).unwrap();
    zw.start_file("IHE_XDM/SUBSET01/DOC0001.XML", SimpleFileOptions::default())
        .unwrap();
    zw.write_all(&cda).unwrap();
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zw.start_file("IHE_XDM/SUBSET01/NOTE.TXT", stored).unwrap();
    zw.write_all(&stray).unwrap();
    let z = zw.finish().unwrap().into_inner();
    assert_eq!(z.windows(4).filter(|w| *w == b"PK\x05\x06").count(), 4);
    let pkg = XdmPackage::unpack(&z, &XdmLimits::default()).unwrap();
    assert_eq!(pkg.subsets[0].documents.len(), 2);
}

#[test]
fn data_before_the_first_entry_is_refused() {
    let cda = sample("VAC-NOTE_2023.01.xml");
    let (inner, _) = pack_cda(&cda, None, &opts()).unwrap();
    XdmPackage::unpack(&inner, &XdmLimits::default()).unwrap();
    // A prefix (the self-extracting layout the zip reader accepts).
    let prefixed = [&b"#!/bin/sh\nexit 0\n"[..], &inner].concat();
    // A package stored inside another zip and cut just after it: the zip reader would find the
    // inner package's end record and read the inner package alone.
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zw.start_file(
        "PAT00001.ZIP",
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
    )
    .unwrap();
    zw.write_all(&inner).unwrap();
    let outer = zw.finish().unwrap().into_inner();
    let start = outer.windows(inner.len()).position(|w| w == inner).unwrap();
    let cut = outer.get(..start + inner.len()).unwrap().to_vec();
    for (name, bytes) in [("prefixed", prefixed), ("cut", cut)] {
        match XdmPackage::unpack(&bytes, &XdmLimits::default()) {
            Err(XdmError::Zip(reason)) => {
                assert!(
                    reason.contains("before the first entry"),
                    "{name}: {reason}"
                )
            }
            other => panic!("{name}: expected a refusal, got {other:?}"),
        }
    }
}
