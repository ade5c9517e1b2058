//! `segur export` and `segur import` on real stores: export, `unzip -t`, import into an empty
//! store, a hostile archive refused with the store unchanged (and no store folder created), a
//! plain IHE_XDM.ZIP imported, bad arguments refused without echoing them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_dmp_cda::xds::{DocumentEntry, SubmissionSet};
use segur_dmp_cda::{DeriveOptions, XdmSender, XdmWriter};
use segur_ins::{IdentityStatus, Ins, Matricule};
use segur_store::model::{NewDocument, NewPatient, Origin, Placement};
use segur_store::{DocumentStore, SqliteStore};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

const KIT_INS: &str = "279035121518989";
const NAMES: [&str; 3] = ["MARTIN", "DURAND", "LEFEBVRE"];

fn shared() -> PathBuf {
    PathBuf::from(std::env::var("SEGUR_SHARED").expect("SEGUR_SHARED=../shared"))
}

fn nir(n: usize) -> String {
    let body = format!("2790351215{:03}", 100 + n);
    format!("{body}{:02}", Matricule::compute_key(&body).unwrap())
}

fn cda(n: usize) -> Vec<u8> {
    cda_numbered(n, n)
}

/// Patient `n`'s VAC-NOTE whose document id (its XDS uniqueId) ends with `id`.
fn cda_numbered(n: usize, id: usize) -> Vec<u8> {
    std::fs::read_to_string(shared().join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml"))
        .unwrap()
        .replace(KIT_INS, &nir(n))
        .replace("PAT-TROIS", NAMES[n])
        .replace(
            "<id root=\"1.2.250.1.213.1.1.1.46.2023.1.1\"/>",
            &format!("<id root=\"1.2.250.1.213.1.1.1.46.2023.1.1.{id}\"/>"),
        )
        .into_bytes()
}

fn entry_of(bytes: &[u8]) -> DocumentEntry {
    let header = segur_dmp_cda::read_header(bytes, &Default::default()).unwrap();
    DocumentEntry::derive(&header, bytes, None, &DeriveOptions::default()).unwrap()
}

fn segur(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn fill(folder: &Path) {
    let mut store = SqliteStore::open(folder).unwrap();
    for n in 0..NAMES.len() {
        let bytes = cda(n);
        let header = segur_dmp_cda::read_header(&bytes, &Default::default()).unwrap();
        let qualified = n != 1;
        let status = if qualified {
            IdentityStatus::Qualifiee
        } else {
            IdentityStatus::Provisoire
        };
        let patient = store
            .add_patient(&NewPatient {
                traits: segur_store::vigilance::document_traits(&header.patient).unwrap(),
                status,
                ins: qualified.then(|| Ins::from_parts(&nir(n), "1.2.250.1.213.1.4.10").unwrap()),
            })
            .unwrap();
        let entry = entry_of(&bytes);
        store
            .add_document(&NewDocument {
                origin: Origin::Received,
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
    }
    std::fs::write(
        folder.join("vendor.json"),
        r#"{"denomination": "Éditeur LGO de test", "siret": "73282932000074",
            "contact_name": "Service portabilité", "contact_email": "portabilite@example.org",
            "software": "segur-lgo 1.0", "source_id": "1.2.250.1.999.1",
            "local_id_root": "1.2.250.1.999.1.2"}"#,
    )
    .unwrap();
}

fn counts(folder: &Path) -> (usize, usize) {
    let store = SqliteStore::open(folder).unwrap();
    (
        store.patients().unwrap().len(),
        store.documents().unwrap().len(),
    )
}

fn sha256_file(path: &Path) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

#[test]
fn export_then_import_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    fill(&a);
    let out = dir.path().join("export.zip");
    let (code, stdout, stderr) = segur(&[
        "export",
        "--out",
        out.to_str().unwrap(),
        "--all",
        "--store",
        a.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    assert_eq!(report["lots"], 3);
    assert_eq!(report["documents"], 3);
    assert!(!dir.path().join("export.zip.part").exists());
    let unzip = Command::new("unzip")
        .arg("-tq")
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("unzip is required (scripts/install-deps installs it): {e}"));
    assert!(unzip.status.success());
    // Each lot was built in an unnamed temporary file beside the output: nothing is left.
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["a", "export.zip"]);

    // `--compression deflate`: the same lots, CDAs deflated inside them, a smaller file.
    let deflated = dir.path().join("deflated.zip");
    let (code, stdout, stderr) = segur(&[
        "export",
        "--out",
        deflated.to_str().unwrap(),
        "--store",
        a.to_str().unwrap(),
        "--compression",
        "deflate",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json(&stdout)["documents"], 3);
    let (stored_len, deflated_len) = (
        std::fs::metadata(&out).unwrap().len(),
        std::fs::metadata(&deflated).unwrap().len(),
    );
    assert!(
        deflated_len * 2 < stored_len,
        "deflated {deflated_len}, stored {stored_len}"
    );
    let (code, _, stderr) = segur(&[
        "export",
        "--out",
        deflated.to_str().unwrap(),
        "--store",
        a.to_str().unwrap(),
        "--compression",
        "zstd",
    ]);
    assert_ne!(code, 0);
    assert!(stderr.contains("--compression"), "{stderr}");
    let deflated_store = dir.path().join("d");
    let (code, stdout, stderr) = segur(&[
        "import",
        deflated.to_str().unwrap(),
        "--store",
        deflated_store.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json(&stdout)["documents_linked"], 3);

    // One patient; an INS with a wrong key is refused and not echoed.
    let one = dir.path().join("one.zip");
    let (code, stdout, stderr) = segur(&[
        "export",
        "--out",
        one.to_str().unwrap(),
        "--patient",
        &nir(2),
        "--since",
        "2020-01-01",
        "--store",
        a.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json(&stdout)["lots"], 1);
    let wrong = format!("{}00", &nir(2)[..13]);
    let (code, _, stderr) = segur(&[
        "export",
        "--out",
        one.to_str().unwrap(),
        "--patient",
        &wrong,
        "--store",
        a.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("--patient") && !stderr.contains(&wrong),
        "{stderr}"
    );

    // Into an empty store: the patients are recreated.
    let (code, stdout, stderr) = segur(&[
        "import",
        out.to_str().unwrap(),
        "--store",
        b.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    assert_eq!(report["format"], "export");
    assert_eq!(report["patients_created"], 3);
    assert_eq!(report["documents_linked"], 3);
    assert_eq!(counts(&b), (3, 3));

    // The same archive again: nothing filed, every document already present.
    let (code, stdout, stderr) = segur(&[
        "import",
        out.to_str().unwrap(),
        "--store",
        b.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    assert_eq!(report["already_present"], 3);
    assert_eq!(report["documents_linked"], 0);
    assert_eq!(report["documents_to_review"], 0);
    assert_eq!(report["conflicts"], serde_json::json!([]));
    assert_eq!(counts(&b), (3, 3));

    // A lot's bytes changed (its manifest SHA-256 no longer matches): refused, nothing changed.
    let mut src = zip::ZipArchive::new(Cursor::new(std::fs::read(&out).unwrap())).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let name = f.name().to_owned();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if name == "PAT00002.ZIP" {
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
        }
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&bytes).unwrap();
    }
    let bad = dir.path().join("bad.zip");
    std::fs::write(&bad, w.finish().unwrap().into_inner()).unwrap();
    let before = sha256_file(&b.join("store.sqlite"));
    let (code, stdout, stderr) = segur(&[
        "import",
        bad.to_str().unwrap(),
        "--store",
        b.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("archive refused") && stderr.contains("PAT00002"),
        "{stderr}"
    );
    assert!(NAMES.iter().all(|n| !stderr.contains(n)), "{stderr}");
    assert_eq!(counts(&b), (3, 3));
    assert_eq!(sha256_file(&b.join("store.sqlite")), before);
    let c = dir.path().join("c");
    let (code, _, _) = segur(&[
        "import",
        bad.to_str().unwrap(),
        "--store",
        c.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(!c.exists(), "a refused import created a store folder");

    // A plain IHE_XDM.ZIP: a new CDA of patient 0, filed by the inbox's rules.
    let bytes = cda_numbered(0, 9);
    let entry = entry_of(&bytes);
    let mut xw = XdmWriter::new(
        SubmissionSet::for_entry(&entry, "1.2.250.1.213.4.1.1.1", None),
        XdmSender {
            organization: "CH de Test".into(),
            contact: "doc@test.mssante.fr".into(),
            ..Default::default()
        },
    );
    xw.add(bytes, entry, "XML");
    let xdm = dir.path().join("IHE_XDM.ZIP");
    std::fs::write(&xdm, xw.pack().unwrap()).unwrap();
    let (code, stdout, stderr) = segur(&[
        "import",
        xdm.to_str().unwrap(),
        "--store",
        b.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("ihe_xdm") && stdout.contains("1 document(s) linked"),
        "{stdout}"
    );
    assert_eq!(counts(&b), (3, 4));

    // The same uniqueId with other bytes: filed to the review list and printed as a conflict.
    let mut amended = cda_numbered(0, 9);
    amended.extend_from_slice(b"<!-- amended -->\n");
    let entry = entry_of(&amended);
    let mut xw = XdmWriter::new(
        SubmissionSet::for_entry(&entry, "1.2.250.1.213.4.1.1.1", None),
        XdmSender {
            organization: "CH de Test".into(),
            contact: "doc@test.mssante.fr".into(),
            ..Default::default()
        },
    );
    xw.add(amended, entry, "XML");
    std::fs::write(&xdm, xw.pack().unwrap()).unwrap();
    let (code, stdout, stderr) = segur(&[
        "import",
        xdm.to_str().unwrap(),
        "--store",
        b.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("1 to review, 0 already present")
            && stdout.contains("conflict: SUBSET01/DOC0001.XML: its uniqueId is stored"),
        "{stdout}"
    );
    assert!(NAMES.iter().all(|n| !stdout.contains(n)), "{stdout}");
    assert_eq!(counts(&b), (3, 5));
}
