//! The store to and from the portability archive: a round trip byte for byte through an empty
//! store, `unzip -t` on the export, hostile archives refused with the store unchanged, a plain
//! IHE_XDM.ZIP filed with the inbox's identity rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_dmp_cda::portability::{Contact, EditeurSortant, ExportInfo, ExportType};
use segur_dmp_cda::xds::{DocumentEntry, SubmissionSet, sha1_hex};
use segur_dmp_cda::{DeriveOptions, XdmSender, XdmWriter};
use segur_ins::{IdentityStatus, Ins, Matricule, Traits};
use segur_store::model::{NewDocument, NewPatient, Origin, Placement, ReviewReason};
use segur_store::portability::{self, ExportOptions, ImportOptions, PortabilityStoreError};
use segur_store::{DocumentStore, SqliteStore};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

const KIT_INS: &str = "279035121518989";
const NAMES: [&str; 6] = [
    "MARTIN", "DURAND", "LEFEBVRE", "MOREAU", "GARNIER", "ROUSSEL",
];

fn shared() -> PathBuf {
    PathBuf::from(std::env::var("SEGUR_SHARED").expect("SEGUR_SHARED=../shared"))
}

/// The kit's INS with another order number (same sex, birth month and place: coherent with
/// the kit's traits), key computed.
fn nir(n: usize) -> String {
    let body = format!("2790351215{:03}", 100 + n);
    format!("{body}{:02}", Matricule::compute_key(&body).unwrap())
}

/// The kit's VAC-NOTE for patient `n`: its own birth name and INS, one distinct comment.
fn cda(n: usize, d: usize) -> Vec<u8> {
    let kit =
        std::fs::read_to_string(shared().join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml")).unwrap();
    // Each document its own id (and so its own XDS uniqueId), as a producer gives it.
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

fn entry_of(bytes: &[u8]) -> DocumentEntry {
    let header = segur_dmp_cda::read_header(bytes, &Default::default()).unwrap();
    DocumentEntry::derive(&header, bytes, None, &DeriveOptions::default()).unwrap()
}

fn traits_of(bytes: &[u8]) -> Traits {
    let header = segur_dmp_cda::read_header(bytes, &Default::default()).unwrap();
    segur_store::vigilance::document_traits(&header.patient).unwrap()
}

fn status(n: usize) -> IdentityStatus {
    [
        IdentityStatus::Qualifiee,
        IdentityStatus::Provisoire,
        IdentityStatus::Validee,
    ][n % 3]
}

/// Six patients (qualified, provisional, validated), 1 to 3 CDAs each with varied origins, a
/// PDF for the first, and one document waiting for review.
fn fill(store: &mut SqliteStore) -> usize {
    let mut count = 0;
    for n in 0..NAMES.len() {
        let first = cda(n, 0);
        let s = status(n);
        let patient = store
            .add_patient(&NewPatient {
                traits: traits_of(&first),
                status: s,
                ins: (s == IdentityStatus::Qualifiee)
                    .then(|| Ins::from_parts(&nir(n), "1.2.250.1.213.1.4.10").unwrap()),
            })
            .unwrap();
        for d in 0..=(n % 3) {
            let bytes = cda(n, d);
            let entry = entry_of(&bytes);
            store
                .add_document(&NewDocument {
                    origin: [Origin::Produced, Origin::Received, Origin::Retrieved][d % 3],
                    media_type: entry.mime_type.clone(),
                    file_name: Some(format!("DOC{d}.XML")),
                    unique_id: Some(entry.unique_id.clone()),
                    replaces_unique_id: None,
                    metadata_xml: None,
                    entry: Some(entry),
                    bytes,
                    placement: Placement::Patient { patient, status: s },
                })
                .unwrap();
            count += 1;
        }
        if n == 0 {
            let pdf = b"%PDF-1.4 rendering of the vaccination note\n".to_vec();
            let mut entry = entry_of(&first);
            entry.mime_type = "application/pdf".into();
            entry.entry_uuid = "urn:uuid:4d1c2b7a-1f1e-4a51-9d7e-2f7f0a6c1b01".into();
            entry.unique_id = "1.2.250.1.999.1.3.1".into();
            entry.hash = Some(sha1_hex(&pdf));
            entry.size = Some(pdf.len() as u64);
            store
                .add_document(&NewDocument {
                    origin: Origin::Produced,
                    media_type: "application/pdf".into(),
                    file_name: Some("DOC.PDF".into()),
                    unique_id: Some(entry.unique_id.clone()),
                    replaces_unique_id: None,
                    metadata_xml: None,
                    entry: Some(entry),
                    bytes: pdf,
                    placement: Placement::Patient { patient, status: s },
                })
                .unwrap();
            count += 1;
        }
    }
    store
        .add_document(&NewDocument {
            origin: Origin::Received,
            media_type: "application/pdf".into(),
            file_name: Some("alone.pdf".into()),
            unique_id: None,
            replaces_unique_id: None,
            metadata_xml: None,
            entry: None,
            bytes: b"%PDF-1.4 alone".to_vec(),
            placement: Placement::Review(ReviewReason::NotXdm),
        })
        .unwrap();
    count
}

fn options() -> ExportOptions {
    let mut info = ExportInfo::new(
        ExportType::Massif,
        EditeurSortant {
            denomination_eg: "Éditeur LGO de test".into(),
            num_siret: "73282932000074".into(),
            contact: Contact {
                nom: "Service portabilité".into(),
                email: "portabilite@example.org".into(),
                telephone: "+33100000000".into(),
            },
        },
        "segur-lgo 1.0",
        "1.2.250.1.999.1",
    );
    info.export_id = uuid::Uuid::parse_str("75249e6c-9779-4e57-bade-9978c2313ce9").unwrap();
    info.extract_time = "20261206201414".into();
    ExportOptions::new(info, "1.2.250.1.999.1.2")
}

fn export_bytes(store: &SqliteStore, options: &ExportOptions) -> Vec<u8> {
    let (out, _) = portability::export(store, Cursor::new(Vec::new()), options).unwrap();
    out.into_inner()
}

/// Row counts of every table of the store's database: what a refused import must not change.
fn rows(folder: &Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(folder.join("store.sqlite")).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let n = conn
                .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap();
            (t, n)
        })
        .collect()
}

/// The export with `edit` applied to each entry (raw copy of the others).
fn rewrite(
    export: &[u8],
    extra: Option<(&str, &[u8])>,
    edit: impl Fn(&str, Vec<u8>) -> Vec<u8>,
) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(Cursor::new(export)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let name = f.name().to_owned();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        let bytes = edit(&name, bytes);
        w.start_file(
            name,
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored),
        )
        .unwrap();
        w.write_all(&bytes).unwrap();
    }
    if let Some((name, bytes)) = extra {
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn import(
    store: &mut SqliteStore,
    bytes: &[u8],
) -> Result<portability::ImportReport, PortabilityStoreError> {
    portability::import(store, Cursor::new(bytes), &ImportOptions::default())
}

#[test]
fn round_trip_through_an_empty_store_is_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    let mut a = SqliteStore::open(&a_dir).unwrap();
    let documents = fill(&mut a);
    let opts = options();
    let (out, report) = portability::export(&a, Cursor::new(Vec::new()), &opts).unwrap();
    let first = out.into_inner();
    assert_eq!(report.lots, NAMES.len());
    assert_eq!(report.documents, documents);
    assert_eq!(report.review_documents_not_exported, 1);
    assert!(report.not_exported.is_empty());

    let path = dir.path().join("first.zip");
    std::fs::write(&path, &first).unwrap();
    let unzip = std::process::Command::new("unzip")
        .arg("-tq")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("unzip is required (scripts/install-deps installs it): {e}"));
    assert!(
        unzip.status.success(),
        "{}",
        String::from_utf8_lossy(&unzip.stdout)
    );

    let mut b = SqliteStore::open(&b_dir).unwrap();
    let imported = import(&mut b, &first).unwrap();
    assert_eq!(imported.format, "export");
    assert!(imported.recreated_patients);
    assert_eq!(imported.lots, NAMES.len());
    assert_eq!(imported.patients_created, NAMES.len());
    assert_eq!(imported.documents_linked, documents);
    assert_eq!(imported.documents_to_review, 0);
    assert!(imported.unplaced.is_empty(), "{:?}", imported.unplaced);
    // The qualified patients are found by their INS again, with their traits.
    let q = b
        .patients_with_ins(&Ins::from_parts(&nir(0), "1.2.250.1.213.1.4.10").unwrap())
        .unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].status, IdentityStatus::Qualifiee);
    assert_eq!(
        b.patient(q[0].id).unwrap().unwrap().traits,
        traits_of(&cda(0, 0))
    );
    assert_eq!(
        b.patient(segur_store::model::LocalPatientId(2))
            .unwrap()
            .unwrap()
            .status,
        IdentityStatus::Provisoire
    );

    let second = export_bytes(&b, &opts);
    assert!(first == second, "the second export differs from the first");

    // One patient by INS; a filing time in the future leaves every patient out.
    let one = ExportOptions {
        patient: Some(Ins::from_parts(&nir(3), "1.2.250.1.213.1.4.10").unwrap()),
        ..options()
    };
    let (_, r) = portability::export(&b, Cursor::new(Vec::new()), &one).unwrap();
    assert_eq!((r.lots, r.documents), (1, 1));
    let unknown = ExportOptions {
        patient: Some(Ins::from_parts(&nir(1), "1.2.250.1.213.1.4.10").unwrap()),
        ..options()
    };
    assert!(matches!(
        portability::export(&b, Cursor::new(Vec::new()), &unknown),
        Err(PortabilityStoreError::NoSuchPatient)
    ));
    let later = ExportOptions {
        since: Some(i64::from(u32::MAX)),
        ..options()
    };
    let (_, r) = portability::export(&b, Cursor::new(Vec::new()), &later).unwrap();
    assert_eq!((r.lots, r.patients_without_documents), (0, NAMES.len()));

    // The same archive again: every document is already there (same uniqueId, same SHA-256),
    // nothing is filed, and the store still exports byte for byte as the first.
    let rows_before = rows(&b_dir);
    let again = import(&mut b, &first).unwrap();
    assert!(!again.recreated_patients);
    assert_eq!(again.lots, NAMES.len());
    assert_eq!(again.patients_created, 0);
    assert_eq!((again.documents_linked, again.documents_to_review), (0, 0));
    assert_eq!(again.already_present, documents);
    assert!(again.conflicts.is_empty());
    assert_eq!(rows(&b_dir), rows_before);
    assert!(
        first == export_bytes(&b, &opts),
        "export changed by a re-import"
    );

    // Into a store that holds other documents of the same patients: the inbox's rules.
    // Qualified identities match their INS and traits (patients 0 and 3: a CDA each, and
    // patient 0's PDF follows its CDA); the others (no INS stored) go to review.
    let c_dir = dir.path().join("c");
    let mut c = SqliteStore::open(&c_dir).unwrap();
    import(&mut c, &first).unwrap();
    for d in c.documents().unwrap() {
        c.delete_document(d.id, "test: documents gone, patients kept", "test")
            .unwrap();
    }
    let deleted = import(&mut c, &first).unwrap();
    assert_eq!(
        deleted.already_present, documents,
        "a deletion is not undone"
    );
}

/// A document whose uniqueId is stored with other bytes is a conflict: filed to the review
/// list, the stored one untouched, listed in the report.
#[test]
fn same_unique_id_with_other_bytes_is_a_conflict_for_review() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = SqliteStore::open(&dir.path().join("a")).unwrap();
    let documents = fill(&mut a);
    let first = export_bytes(&a, &options());
    let mut b = SqliteStore::open(&dir.path().join("b")).unwrap();
    import(&mut b, &first).unwrap();
    let stored: Vec<_> = b.documents().unwrap();
    assert_eq!(stored.len(), documents);

    // The same archive with one CDA altered (one comment changed, same uniqueId), its lot's
    // METADATA.XML hash and size and the manifest hash left unchanged would be refused: so the
    // altered document comes in its own plain IHE_XDM.ZIP.
    let altered = {
        let mut bytes = cda(0, 0);
        bytes.extend_from_slice(b"<!-- amended -->\n");
        bytes
    };
    let entry = entry_of(&altered);
    assert_eq!(
        Some(entry.unique_id.as_str()),
        stored[0].unique_id.as_deref()
    );
    let set = SubmissionSet::for_entry(&entry, "1.2.250.1.213.4.1.1.1", None);
    let mut w = XdmWriter::new(
        set,
        XdmSender {
            organization: "CH de Test".into(),
            contact: "doc@test.mssante.fr".into(),
            ..Default::default()
        },
    );
    w.add(altered.clone(), entry, "XML");
    let report = import(&mut b, &w.pack().unwrap()).unwrap();
    assert_eq!(report.already_present, 0);
    assert_eq!(
        (report.documents_linked, report.documents_to_review),
        (0, 1)
    );
    assert_eq!(report.conflicts.len(), 1, "{:?}", report.conflicts);
    let conflict = &report.conflicts[0];
    assert_eq!(conflict.stored, vec![stored[0].id]);
    assert_eq!(conflict.path, "SUBSET01/DOC0001.XML");
    let review = b.reviews(true).unwrap();
    assert_eq!(review.len(), 1);
    assert_eq!(review[0].reason, ReviewReason::UniqueIdConflict);
    assert_eq!(b.document_bytes(conflict.filed).unwrap(), altered);
    // The stored document is untouched.
    assert_eq!(b.document_bytes(stored[0].id).unwrap(), cda(0, 0));
    // Imported once more: the conflicting document is now there too, nothing is filed.
    let again = import(&mut b, &w.pack().unwrap()).unwrap();
    assert_eq!((again.already_present, again.conflicts.len()), (1, 0));
}

#[test]
fn hostile_archives_change_nothing_and_plain_xdm_is_filed() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = SqliteStore::open(&dir.path().join("a")).unwrap();
    fill(&mut a);
    let export = export_bytes(&a, &options());
    let before = rows(&dir.path().join("a"));

    // A lot hash in MANIFEST.XML changed by one digit.
    let manifest_text = {
        let mut z = zip::ZipArchive::new(Cursor::new(&export)).unwrap();
        let mut s = String::new();
        z.by_name("MANIFEST.XML")
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        s
    };
    let at = manifest_text.find("<hash>").unwrap() + "<hash>".len();
    let digit = &manifest_text[at..at + 1];
    let flipped = if digit == "0" { "1" } else { "0" };
    let wrong_hash = rewrite(&export, None, |name, bytes| {
        if name == "MANIFEST.XML" {
            let mut s = String::from_utf8(bytes).unwrap();
            s.replace_range(at..at + 1, flipped);
            s.into_bytes()
        } else {
            bytes
        }
    });
    let traversal = rewrite(&export, Some(("../evil.txt", b"x")), |_, b| b);
    for (name, hostile) in [("wrong hash", &wrong_hash), ("../ entry", &traversal)] {
        let err = import(&mut a, hostile).unwrap_err();
        assert!(
            matches!(err, PortabilityStoreError::Refused(_)),
            "{name}: {err}"
        );
        assert_eq!(rows(&dir.path().join("a")), before, "{name}: store changed");
        let empty_dir = dir.path().join(format!("empty-{}", name.len()));
        let mut empty = SqliteStore::open(&empty_dir).unwrap();
        assert!(import(&mut empty, hostile).is_err());
        assert!(empty.patients().unwrap().is_empty() && empty.documents().unwrap().is_empty());
    }
    let text = import(&mut a, &wrong_hash).unwrap_err().to_string();
    assert!(text.contains("SHA-256"), "{text}");
    assert!(!text.contains(NAMES[0]) && !text.contains(&nir(0)));

    // A plain IHE_XDM.ZIP from a hospital: patient 0's CDA (qualified INS, same traits) is
    // linked automatically; patient 1's (provisional identity, no INS stored) goes to review.
    let docs = [cda(0, 7), cda(1, 7)];
    let entries: Vec<DocumentEntry> = docs.iter().map(|d| entry_of(d)).collect();
    let set = SubmissionSet::for_entry(&entries[0], "1.2.250.1.213.4.1.1.1", None);
    let mut w = XdmWriter::new(
        set,
        XdmSender {
            organization: "CH de Test".into(),
            contact: "doc@test.mssante.fr".into(),
            ..Default::default()
        },
    );
    for (bytes, entry) in docs.iter().zip(entries) {
        w.add(bytes.clone(), entry, "XML");
    }
    let xdm = w.pack().unwrap();
    let report = import(&mut a, &xdm).unwrap();
    assert_eq!(report.format, "ihe_xdm");
    assert_eq!(
        (report.documents_linked, report.documents_to_review),
        (1, 1)
    );
    assert_eq!(a.documents().unwrap().len(), before_docs(&before) + 2);
}

fn before_docs(rows: &[(String, i64)]) -> usize {
    rows.iter()
        .find(|(t, _)| t == "documents")
        .map(|(_, n)| *n as usize)
        .unwrap()
}

/// Each lot is a stored zip whose end record shows in the export: an export of more than
/// 15 patients holds more end records than the reader's default allows for a plain archive.
#[test]
fn an_export_of_forty_patients_imports() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = SqliteStore::open(&dir.path().join("a")).unwrap();
    for n in 0..40 {
        let bytes = cda(0, n);
        let patient = a
            .add_patient(&NewPatient {
                traits: traits_of(&bytes),
                status: IdentityStatus::Validee,
                ins: None,
            })
            .unwrap();
        let entry = entry_of(&bytes);
        a.add_document(&NewDocument {
            origin: Origin::Produced,
            media_type: entry.mime_type.clone(),
            file_name: None,
            unique_id: Some(entry.unique_id.clone()),
            replaces_unique_id: None,
            metadata_xml: None,
            entry: Some(entry),
            bytes,
            placement: Placement::Patient {
                patient,
                status: IdentityStatus::Validee,
            },
        })
        .unwrap();
    }
    let export = export_bytes(&a, &options());
    let mut b = SqliteStore::open(&dir.path().join("b")).unwrap();
    let report = import(&mut b, &export).unwrap();
    assert_eq!((report.lots, report.patients_created), (40, 40));
    assert!(export == export_bytes(&b, &options()));
}

/// A patient recreated from a lot keeps the lot's local id: the first store numbers its
/// exported patients 2 to 7 (patient 1 has no document), the second 1 to 6, and the second
/// export is still the first byte for byte.
#[test]
fn local_ids_of_the_archive_are_kept_and_exported_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = SqliteStore::open(&dir.path().join("a")).unwrap();
    let nobody = a
        .add_patient(&NewPatient {
            traits: traits_of(&cda(5, 9)),
            status: IdentityStatus::Provisoire,
            ins: None,
        })
        .unwrap();
    fill(&mut a);
    let first = export_bytes(&a, &options());
    let mut b = SqliteStore::open(&dir.path().join("b")).unwrap();
    let report = import(&mut b, &first).unwrap();
    assert_eq!(report.patients_created, NAMES.len());
    let kept = b
        .archive_patient_id(segur_store::model::LocalPatientId(1))
        .unwrap()
        .unwrap();
    assert_eq!(
        kept.cx,
        segur_dmp_cda::xds::XdsPatientId::new("1.2.250.1.999.1.2", &(nobody.0 + 1).to_string())
            .expose()
    );
    assert_eq!(kept.status, status(0));
    assert!(!format!("{kept:?}").contains("1.2.250.1.999.1.2"));
    assert!(first == export_bytes(&b, &options()), "local ids not kept");
    // A store's own patients have none.
    assert!(a.archive_patient_id(nobody).unwrap().is_none());
}

/// A stored blob altered behind the store's back (its SHA-256 no longer matches) stops the
/// export: the streamed read checks the hash at the end of the document, and the error names
/// the store's document id, never its content.
#[test]
fn an_altered_blob_stops_the_streamed_export() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("a");
    let mut a = SqliteStore::open(&folder).unwrap();
    fill(&mut a);
    drop(a);
    let conn = rusqlite::Connection::open(folder.join("store.sqlite")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER blobs_no_update; \
         UPDATE blobs SET bytes = CAST(replace(CAST(bytes AS TEXT), 'DURAND', 'DURANT') AS BLOB) \
         WHERE CAST(bytes AS TEXT) LIKE '%DURAND%';",
    )
    .unwrap();
    assert!(conn.changes() > 0);
    drop(conn);
    let a = SqliteStore::open(&folder).unwrap();
    let err = portability::export(&a, Cursor::new(Vec::new()), &options()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("do not match their SHA-256"), "{text}");
    assert!(!text.contains("DURAN") && !text.contains(&nir(1)), "{text}");
}
