//! A timed portability round trip on a store of 10,000 documents for 2,000 patients (the
//! figure of BENCHMARKS.md § segur-store): fill a store (one transaction), export it, import
//! the export into an empty store, export that one again and compare the two files.
//!
//! Run: `SEGUR_SHARED=../shared cargo run --release -p segur-store --example portability_10k
//! -- [PATIENTS] [DOCUMENTS_PER_PATIENT] [stored|deflate]` (default 2000, 5, stored).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_dmp_cda::portability::{Contact, EditeurSortant, ExportInfo, ExportType, LotCompression};
use segur_dmp_cda::xds::DocumentEntry;
use segur_ins::{IdentityStatus, Ins, Matricule};
use segur_store::model::{NewDocument, NewPatient, Origin, Placement};
use segur_store::portability::{self, ExportOptions, ImportOptions};
use segur_store::{DocumentStore, SqliteStore};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let patients: usize = args.next().map_or(2000, |a| a.parse().unwrap());
    let per: usize = args.next().map_or(5, |a| a.parse().unwrap());
    let compression = args.next().map_or(LotCompression::Stored, |a| {
        LotCompression::parse(&a).unwrap()
    });
    let shared = std::path::PathBuf::from(std::env::var("SEGUR_SHARED").expect("SEGUR_SHARED"));
    let kit =
        std::fs::read_to_string(shared.join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = SqliteStore::open(&dir.path().join("a")).unwrap();
    let start = Instant::now();
    let mut bytes_total = 0usize;
    a.atomically(&mut |s| {
        for p in 0..patients {
            let body = format!("2790351{:03}{:03}", 200 + p / 999, 1 + p % 999);
            let nir = format!("{body}{:02}", Matricule::compute_key(&body).unwrap());
            let first = kit.replace("279035121518989", &nir);
            let header = segur_dmp_cda::read_header(first.as_bytes(), &Default::default()).unwrap();
            let qualified = p % 2 == 0;
            let status = if qualified {
                IdentityStatus::Qualifiee
            } else {
                IdentityStatus::Provisoire
            };
            let patient = s.add_patient(&NewPatient {
                traits: segur_store::vigilance::document_traits(&header.patient).unwrap(),
                status,
                ins: qualified.then(|| Ins::from_parts(&nir, "1.2.250.1.213.1.4.10").unwrap()),
            })?;
            for d in 0..per {
                // Each document its own id (its XDS uniqueId), as a producer gives it.
                let mut bytes = first
                    .replace(
                        "<id root=\"1.2.250.1.213.1.1.1.46.2023.1.1\"/>",
                        &format!("<id root=\"1.2.250.1.213.1.1.1.46.2023.1.1.{p}.{d}\"/>"),
                    )
                    .into_bytes();
                bytes.extend_from_slice(format!("<!-- document {p}.{d} -->\n").as_bytes());
                let header = segur_dmp_cda::read_header(&bytes, &Default::default()).unwrap();
                let mut entry =
                    DocumentEntry::derive(&header, &bytes, None, &Default::default()).unwrap();
                entry.entry_uuid = segur_dmp_cda::xds::new_entry_uuid();
                bytes_total += bytes.len();
                s.add_document(&NewDocument {
                    origin: Origin::Received,
                    media_type: entry.mime_type.clone(),
                    file_name: None,
                    unique_id: Some(entry.unique_id.clone()),
                    replaces_unique_id: None,
                    metadata_xml: None,
                    entry: Some(entry),
                    bytes,
                    placement: Placement::Patient { patient, status },
                })?;
            }
        }
        Ok(())
    })
    .unwrap();
    println!(
        "filled: {patients} patients, {} documents, {:.1} MB of documents in {:.1} s",
        patients * per,
        bytes_total as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    let mut info = ExportInfo::new(
        ExportType::Massif,
        EditeurSortant {
            denomination_eg: "Éditeur LGO de test".into(),
            num_siret: "73282932000074".into(),
            contact: Contact {
                nom: "Service portabilité".into(),
                email: "portabilite@example.org".into(),
                telephone: String::new(),
            },
        },
        "segur-lgo 1.0",
        "1.2.250.1.999.1",
    );
    info.extract_time = "20261206201414".into();
    let options = ExportOptions {
        compression,
        ..ExportOptions::new(info, "1.2.250.1.999.1.2")
    };
    let export = |store: &SqliteStore, name: &str| {
        let path = dir.path().join(name);
        let start = Instant::now();
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let (w, report) = portability::export(store, file, &options).unwrap();
        w.into_inner().unwrap().sync_all().unwrap();
        let secs = start.elapsed().as_secs_f64();
        let size = std::fs::metadata(&path).unwrap().len();
        println!(
            "{name}: {} lots, {} documents, {:.1} MB in {secs:.2} s ({:.1} MB/s of export)",
            report.lots,
            report.documents,
            size as f64 / 1e6,
            size as f64 / 1e6 / secs
        );
        path
    };
    let first = export(&a, "first.zip");
    // What a user would pick instead: the same document files stored by `zip -0`.
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    for d in a.documents().unwrap() {
        std::fs::write(
            files.join(format!("{}.xml", d.id)),
            a.document_bytes(d.id).unwrap(),
        )
        .unwrap();
    }
    // `zip -0` (stored, what the stored export does) and `zip -1` (deflate level 1, what the
    // deflate export does to each CDA), each timed with an fsync of its output as the export is.
    for level in ["-0", "-1"] {
        let out = dir.path().join(format!("plain{level}.zip"));
        let start = Instant::now();
        let zipped = std::process::Command::new("zip")
            .args([level, "-q", "-r"])
            .arg(&out)
            .arg(".")
            .current_dir(&files)
            .status()
            .expect("zip is required (scripts/install-deps installs it)");
        assert!(zipped.success());
        std::fs::File::open(&out).unwrap().sync_all().unwrap();
        let secs = start.elapsed().as_secs_f64();
        let size = std::fs::metadata(&out).unwrap().len();
        println!(
            "zip {level} of the same documents as files, fsynced: {:.1} MB in {secs:.2} s ({:.1} MB/s)",
            size as f64 / 1e6,
            size as f64 / 1e6 / secs
        );
        std::fs::remove_file(&out).unwrap();
    }
    let mut b = SqliteStore::open(&dir.path().join("b")).unwrap();
    let start = Instant::now();
    let report = portability::import(
        &mut b,
        std::fs::File::open(&first).unwrap(),
        &ImportOptions::default(),
    )
    .unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "import into an empty store: {} patients, {} documents in {secs:.2} s ({:.0} documents/s)",
        report.patients_created,
        report.documents_linked,
        report.documents_linked as f64 / secs
    );
    let second = export(&b, "second.zip");
    let same = std::fs::read(&first).unwrap() == std::fs::read(&second).unwrap();
    println!("second export identical to the first: {same}");
    assert!(same);
}
