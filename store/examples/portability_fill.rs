//! Fills a store with large synthetic documents for the portability export benchmark
//! (`scripts/bench/export-2gb`): PATIENTS patients, each with the ANS kit's VAC-NOTE (its own
//! INS and document id) and DOCS pseudo-random "PDF" renditions of SIZE bytes; patient 1 also
//! gets one document of BIG bytes (a lot far larger than the others). Every document is
//! committed on its own (the SQLite journal stays the size of one document). Writes
//! `vendor.json` beside the database. With FILES, every document is also written there as a
//! file (for `zip -0` of the same bytes).
//!
//! Run: `SEGUR_SHARED=../shared cargo run --release -p segur-store --example
//! portability_fill -- STORE PATIENTS DOCS SIZE BIG [FILES]`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_dmp_cda::xds::{DocumentEntry, sha1_hex};
use segur_ins::{IdentityStatus, Ins, Matricule};
use segur_store::model::{NewDocument, NewPatient, Origin, Placement};
use segur_store::{DocumentStore, SqliteStore};

/// `len` pseudo-random bytes behind a PDF header (incompressible, as a scanned PDF is).
fn pdf(len: usize, seed: u64) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut x = 0x9e37_79b9_7f4a_7c15 ^ seed;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (folder, patients, docs, size, big, files) = match args.as_slice() {
        [a, b, c, d, e] => (a, b, c, d, e, None),
        [a, b, c, d, e, f] => (a, b, c, d, e, Some(std::path::PathBuf::from(f))),
        _ => panic!("usage: portability_fill STORE PATIENTS DOCS SIZE BIG [FILES]"),
    };
    if let Some(files) = &files {
        std::fs::create_dir_all(files).unwrap();
    }
    let mut count = 0usize;
    let (patients, docs, size, big): (usize, usize, usize, usize) = (
        patients.parse().unwrap(),
        docs.parse().unwrap(),
        size.parse().unwrap(),
        big.parse().unwrap(),
    );
    let shared = std::path::PathBuf::from(std::env::var("SEGUR_SHARED").expect("SEGUR_SHARED"));
    let kit =
        std::fs::read_to_string(shared.join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml")).unwrap();
    let folder = std::path::Path::new(folder);
    let mut store = SqliteStore::open(folder).unwrap();
    let mut total = 0u64;
    for p in 0..patients {
        let body = format!("2790351{:03}{:03}", 200 + p / 999, 1 + p % 999);
        let nir = format!("{body}{:02}", Matricule::compute_key(&body).unwrap());
        let cda = kit.replace("279035121518989", &nir).replace(
            "<id root=\"1.2.250.1.213.1.1.1.46.2023.1.1\"/>",
            &format!("<id root=\"1.2.250.1.213.1.1.1.46.2023.1.1.{p}\"/>"),
        );
        let header = segur_dmp_cda::read_header(cda.as_bytes(), &Default::default()).unwrap();
        let status = IdentityStatus::Qualifiee;
        let patient = store
            .add_patient(&NewPatient {
                traits: segur_store::vigilance::document_traits(&header.patient).unwrap(),
                status,
                ins: Some(Ins::from_parts(&nir, "1.2.250.1.213.1.4.10").unwrap()),
            })
            .unwrap();
        let entry = DocumentEntry::derive(
            &header,
            cda.as_bytes(),
            None,
            &segur_dmp_cda::DeriveOptions::default(),
        )
        .unwrap();
        let mut add = |bytes: Vec<u8>, entry: DocumentEntry| {
            total += bytes.len() as u64;
            count += 1;
            if let Some(files) = &files {
                std::fs::write(files.join(format!("{count}.bin")), &bytes).unwrap();
            }
            store
                .add_document(&NewDocument {
                    origin: Origin::Produced,
                    media_type: entry.mime_type.clone(),
                    file_name: None,
                    unique_id: Some(entry.unique_id.clone()),
                    replaces_unique_id: None,
                    metadata_xml: None,
                    entry: Some(entry),
                    bytes,
                    placement: Placement::Patient { patient, status },
                })
                .unwrap();
        };
        add(cda.clone().into_bytes(), entry.clone());
        let extra = if p == 1 { vec![big] } else { Vec::new() };
        for (d, len) in std::iter::repeat_n(size, docs).chain(extra).enumerate() {
            let bytes = pdf(len, (p as u64) << 20 | d as u64);
            let mut e = entry.clone();
            e.mime_type = "application/pdf".into();
            e.entry_uuid = segur_dmp_cda::xds::new_entry_uuid();
            e.unique_id = format!("1.2.250.1.999.1.3.{p}.{d}");
            e.hash = Some(sha1_hex(&bytes));
            e.size = Some(bytes.len() as u64);
            add(bytes, e);
        }
    }
    std::fs::write(
        folder.join("vendor.json"),
        r#"{"denomination": "Éditeur LGO de test", "siret": "73282932000074",
            "contact_name": "Service portabilité", "contact_email": "portabilite@example.org",
            "software": "segur-lgo 1.0", "source_id": "1.2.250.1.999.1",
            "local_id_root": "1.2.250.1.999.1.2"}"#,
    )
    .unwrap();
    println!("filled: {patients} patients, {total} bytes of documents");
}
