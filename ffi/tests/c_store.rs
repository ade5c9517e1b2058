//! The C program `ffi/tests/c/test_store.c` (gcc -Wall -Wextra -Werror -pedantic against
//! segur.h and the libsegur.so of this build), once as is and once under valgrind (no error,
//! no definite or indirect leak), on a store folder prepared here through the Rust API: one
//! local patient and two received documents waiting for review.
//!
//! Then `ffi/tests/c/test_portability.c` the same two ways: the export and import of a store
//! from C (three patients with documents, one without, one document waiting for review), the
//! export checked with `unzip -t`, both reports compared with those of the Rust API for the
//! same store and archive, hostile archives refused with the stores unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

mod support;

use segur_dmp_cda::DeriveOptions;
use segur_dmp_cda::xds::DocumentEntry;
use segur_ins::{IdentityStatus, Ins, Matricule, Traits, TraitsData};
use segur_store::export_request::{ExportRequest, write_export_file};
use segur_store::model::{
    MessageFiling, MessageRecord, NewDocument, NewPatient, Origin, Placement, ReviewReason,
};
use segur_store::portability::{self, ImportOptions};
use segur_store::{DocumentStore, SqliteStore};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use support::c_program::{build_c, require, staged_library};

fn waiting(bytes: &[u8], media_type: &str, reason: ReviewReason) -> NewDocument {
    NewDocument {
        origin: Origin::Received,
        bytes: bytes.to_vec(),
        media_type: media_type.into(),
        file_name: None,
        entry: None,
        metadata_xml: None,
        unique_id: None,
        replaces_unique_id: None,
        placement: Placement::Review(reason),
    }
}

#[test]
fn c_program_runs_clean_and_under_valgrind() {
    let dir = tempfile::tempdir().unwrap();
    let lib = staged_library(dir.path());
    let program = dir.path().join("test_store");
    build_c("test_store", &lib, &program);
    require("valgrind", "--version");
    for (run, wrapper) in [
        &[][..],
        &[
            "valgrind",
            "--quiet",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect",
        ][..],
    ]
    .into_iter()
    .enumerate()
    {
        let folder = dir.path().join(format!("store{run}"));
        let mut store = SqliteStore::open(&folder).unwrap();
        let patient = store
            .add_patient(&NewPatient {
                traits: Traits::from_data(&TraitsData {
                    birth_name: "PAT-TROIS".into(),
                    given_names: vec!["DOMINIQUE".into()],
                    sex: "F".into(),
                    birth_date: "1979-03-28".into(),
                    ..Default::default()
                })
                .unwrap(),
                status: IdentityStatus::Provisoire,
                ins: None,
            })
            .unwrap();
        store
            .file_message(&MessageFiling {
                message: MessageRecord {
                    mailbox: "INBOX".into(),
                    uid_validity: 1,
                    uid: 1,
                    message_id: None,
                },
                documents: vec![
                    waiting(
                        b"%PDF-1.4\n%%EOF\n",
                        "application/pdf",
                        ReviewReason::NotXdm,
                    ),
                    waiting(b"PK\x03\x04", "application/zip", ReviewReason::MalformedXdm),
                ],
            })
            .unwrap();
        drop(store);
        let mut c = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        let out = c.arg(&folder).arg(patient.0.to_string()).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "test_store {wrapper:?} failed ({}):\n{stdout}\n{stderr}",
            out.status
        );
        assert!(stdout.contains(" checks passed, 0 failed"), "{stdout}");
    }
}

const KIT_INS: &str = "279035121518989";
const NAMES: [&str; 4] = ["MARTIN", "DURAND", "LEFEBVRE", "MOREAU"];

/// The kit's INS with another order number (coherent with the kit's traits), key computed.
fn nir(n: usize) -> String {
    let body = format!("2790351215{:03}", 100 + n);
    format!("{body}{:02}", Matricule::compute_key(&body).unwrap())
}

/// The kit's VAC-NOTE for patient `n`: its own birth name and INS, one distinct comment.
fn cda(n: usize, d: usize) -> Vec<u8> {
    let shared = std::env::var("SEGUR_SHARED").expect("SEGUR_SHARED=../shared");
    let kit = std::fs::read_to_string(
        Path::new(&shared).join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml"),
    )
    .unwrap();
    // Each document its own id (and so its own XDS uniqueId), as a producer gives it: the
    // import would list documents sharing one uniqueId with other bytes as conflicts.
    let mut text = kit
        .replace(KIT_INS, &nir(n))
        .replace("PAT-TROIS", NAMES[n])
        .replace(
            "<id root=\"1.2.250.1.213.1.1.1.46.2023.1.1\"/>",
            &format!("<id root=\"1.2.250.1.213.1.1.1.46.2023.1.1.{n}.{d}\"/>"),
        );
    text.push_str(&format!("<!-- document {d} -->\n"));
    text.into_bytes()
}

/// Four patients (qualified, provisional, validated, and one without document) holding 2, 1
/// and 2 CDAs, one PDF waiting for review, and the vendor identity `vendor.json`.
fn fill(folder: &Path) {
    let mut store = SqliteStore::open(folder).unwrap();
    let statuses = [
        IdentityStatus::Qualifiee,
        IdentityStatus::Provisoire,
        IdentityStatus::Validee,
        IdentityStatus::Provisoire,
    ];
    for (n, status) in statuses.into_iter().enumerate() {
        let first = cda(n, 0);
        let header = segur_dmp_cda::read_header(&first, &Default::default()).unwrap();
        let patient = store
            .add_patient(&NewPatient {
                traits: segur_store::vigilance::document_traits(&header.patient).unwrap(),
                status,
                ins: (status == IdentityStatus::Qualifiee)
                    .then(|| Ins::from_parts(&nir(n), segur_ins::OID_INS_NIR).unwrap()),
            })
            .unwrap();
        let count = [2, 1, 2, 0][n];
        for d in 0..count {
            let bytes = cda(n, d);
            let header = segur_dmp_cda::read_header(&bytes, &Default::default()).unwrap();
            let entry =
                DocumentEntry::derive(&header, &bytes, None, &DeriveOptions::default()).unwrap();
            store
                .add_document(&NewDocument {
                    origin: [Origin::Produced, Origin::Received][d % 2],
                    media_type: entry.mime_type.clone(),
                    file_name: Some(format!("DOC{d}.XML")),
                    unique_id: Some(entry.unique_id.clone()),
                    replaces_unique_id: None,
                    metadata_xml: None,
                    entry: Some(entry),
                    bytes,
                    placement: Placement::Patient { patient, status },
                })
                .unwrap();
        }
    }
    store
        .file_message(&MessageFiling {
            message: MessageRecord {
                mailbox: "INBOX".into(),
                uid_validity: 1,
                uid: 1,
                message_id: None,
            },
            documents: vec![waiting(
                b"%PDF-1.4\n%%EOF\n",
                "application/pdf",
                ReviewReason::NotXdm,
            )],
        })
        .unwrap();
    std::fs::write(
        folder.join("vendor.json"),
        r#"{"denomination":"Éditeur LGO de test","siret":"73282932000074",
            "contact_name":"Service portabilité","software":"segur-lgo 1.0",
            "source_id":"1.2.250.1.999.1","local_id_root":"1.2.250.1.999.1.2"}"#,
    )
    .unwrap();
}

/// A zip with an entry escaping its folder beside a plausible IHE_XDM layout.
fn traversal_zip() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in [
        ("IHE_XDM/SUBSET01/METADATA.XML", &b"<x/>"[..]),
        ("IHE_XDM/../../evil.txt", &b"escaped"[..]),
    ] {
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Patients and documents of a store folder (what a refused import must not change).
fn counts(folder: &Path) -> (usize, usize, usize) {
    let store = SqliteStore::open(folder).unwrap();
    (
        store.patients().unwrap().len(),
        store.documents().unwrap().len(),
        store.reviews(false).unwrap().len(),
    )
}

/// The JSON printed by test_portability after `label: `.
fn printed(stdout: &str, label: &str) -> serde_json::Value {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label} in {stdout}"));
    serde_json::from_str(line).unwrap()
}

#[test]
fn c_portability_program_runs_clean_and_under_valgrind() {
    let dir = tempfile::tempdir().unwrap();
    let lib = staged_library(dir.path());
    let program = dir.path().join("test_portability");
    build_c("test_portability", &lib, &program);
    require("valgrind", "--version");
    require("unzip", "-v");
    let hostile = dir.path().join("hostile");
    std::fs::create_dir(&hostile).unwrap();
    std::fs::write(hostile.join("traversal.zip"), traversal_zip()).unwrap();
    for (run, wrapper) in [
        &[][..],
        &[
            "valgrind",
            "--quiet",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect",
        ][..],
    ]
    .into_iter()
    .enumerate()
    {
        let source = dir.path().join(format!("source{run}"));
        fill(&source);
        let export = dir.path().join(format!("export{run}.zip"));
        let fresh = dir.path().join(format!("fresh{run}"));
        let empty = dir.path().join(format!("empty{run}"));
        // The Rust API's export and its report: the reference for the C side's.
        let store = SqliteStore::open(&source).unwrap();
        let request: ExportRequest = serde_json::from_str("{}").unwrap();
        let reference = dir.path().join(format!("reference{run}.zip"));
        let rust_export =
            write_export_file(&store, &reference, &request.options(&source).unwrap()).unwrap();
        drop(store);
        // Cut before the first end-of-central-directory record (the lots are stored zips
        // whose own end records are visible in the export).
        let whole = std::fs::read(&reference).unwrap();
        let first_end = whole.windows(4).position(|w| w == b"PK\x05\x06").unwrap();
        std::fs::write(
            hostile.join("truncated.zip"),
            whole.get(..first_end - 1).unwrap(),
        )
        .unwrap();
        // Cut just after that record (22 bytes, no comment): the file ends like a zip whose
        // central directory does not start where its end record says.
        std::fs::write(
            hostile.join("cut-after-lot.zip"),
            whole.get(..first_end + 22).unwrap(),
        )
        .unwrap();

        let mut c = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        let out = c
            .current_dir(&source)
            .arg(&source)
            .arg(&export)
            .arg(&fresh)
            .arg(&empty)
            .arg(&hostile)
            .arg(nir(0))
            .arg(nir(9))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "test_portability {wrapper:?} failed ({}):\n{stdout}\n{stderr}",
            out.status
        );
        assert!(stdout.contains(" checks passed, 0 failed"), "{stdout}");

        // The export is a valid zip, and its report is the Rust API's (same view type).
        let unzip = Command::new("unzip")
            .arg("-t")
            .arg(&export)
            .output()
            .unwrap();
        assert!(
            unzip.status.success(),
            "unzip -t: {}",
            String::from_utf8_lossy(&unzip.stdout)
        );
        assert_eq!(
            printed(&stdout, "export-json: "),
            serde_json::to_value(&rust_export).unwrap()
        );
        // The C side's import report is the Rust API's for the same archive.
        let mut check = SqliteStore::open(&dir.path().join(format!("check{run}"))).unwrap();
        let rust_import = portability::import(
            &mut check,
            std::io::BufReader::new(std::fs::File::open(&export).unwrap()),
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(
            printed(&stdout, "import-json: "),
            serde_json::to_value(&rust_import).unwrap()
        );
        assert_eq!(counts(&fresh), (3, 5, 0));
        assert_eq!(counts(&empty), (0, 0, 0));
        assert!(!source.join("refused-export.zip").exists());
    }
}
