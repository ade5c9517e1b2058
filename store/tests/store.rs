//! The SQLite store: filing once, immutability, review decisions and deletions in the audit
//! trail, a process killed in the middle of filing, two processes filing at once.
//!
//! The crash and concurrency tests run this same test binary as child processes (selected by
//! the `SEGUR_STORE_CHILD` environment variable), so the writers are real separate processes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_access::audit::EventKind;
use segur_access::audit::verify::VerifyOptions;
use segur_ins::{IdentityStatus, Ins, Traits, TraitsData};
use segur_store::model::{
    DocumentId, FilingOutcome, MessageFiling, MessageRecord, NewDocument, NewPatient, Origin,
    Placement, ReviewDecision, ReviewReason, ReviewState,
};
use segur_store::{DocumentStore, SqliteStore, StoreError};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD: &str = "SEGUR_STORE_CHILD";
/// Documents per message written by the children: a message is consistent when it has all.
const DOCS_PER_MESSAGE: i64 = 3;

fn traits(name: &str) -> Traits {
    Traits::from_data(&TraitsData {
        birth_name: name.into(),
        given_names: vec!["DOMINIQUE".into(), "MARIE-LOUISE".into()],
        sex: "F".into(),
        birth_date: "1979-03-12".into(),
        ..Default::default()
    })
    .unwrap()
}

fn ins() -> Ins {
    Ins::from_parts("279035121518989", "1.2.250.1.213.1.4.10").unwrap()
}

fn doc(bytes: &[u8], placement: Placement) -> NewDocument {
    NewDocument {
        origin: Origin::Received,
        bytes: bytes.to_vec(),
        media_type: "text/xml".into(),
        file_name: Some("DOC0001.XML".into()),
        entry: None,
        metadata_xml: Some(b"<rim:SubmitObjectsRequest/>".to_vec()),
        unique_id: None,
        replaces_unique_id: None,
        placement,
    }
}

fn message(uid: u32, mid: Option<&str>) -> MessageRecord {
    MessageRecord {
        mailbox: "INBOX".into(),
        uid_validity: 7,
        uid,
        message_id: mid.map(str::to_owned),
    }
}

fn audit_kinds(store: &mut SqliteStore) -> Vec<EventKind> {
    let mut kinds = Vec::new();
    store
        .audit()
        .scan(1, &mut |e| {
            kinds.push(e.event.kind);
            Ok(())
        })
        .unwrap();
    kinds
}

#[test]
fn files_once_never_alters_and_audits_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let patient = store
        .add_patient(&NewPatient {
            traits: traits("PAT-TROIS"),
            status: IdentityStatus::Qualifiee,
            ins: Some(ins()),
        })
        .unwrap();
    // A qualified status without an INS is refused (RNIV: QUAL carries an INS).
    assert!(matches!(
        store.add_patient(&NewPatient {
            traits: traits("PAT-QUATRE"),
            status: IdentityStatus::Qualifiee,
            ins: None,
        }),
        Err(StoreError::StatusWithoutIns { status: "QUAL" })
    ));
    assert_eq!(store.patients_with_ins(&ins()).unwrap().len(), 1);
    assert_eq!(
        store
            .patients_with_traits(&traits("PAT-TROIS"))
            .unwrap()
            .len(),
        1
    );

    let filing = MessageFiling {
        message: message(1, Some("a1@test.mssante.fr")),
        documents: vec![
            doc(
                b"<ClinicalDocument>one</ClinicalDocument>",
                Placement::Patient {
                    patient,
                    status: IdentityStatus::Qualifiee,
                },
            ),
            doc(b"%PDF-1.4 alone", Placement::Review(ReviewReason::NotXdm)),
        ],
    };
    let FilingOutcome::Filed(ids) = store.file_message(&filing).unwrap() else {
        panic!("first filing must store");
    };
    assert_eq!(ids.len(), 2);
    // Same key again, or same Message-ID under another UID: nothing changes.
    assert_eq!(
        store.file_message(&filing).unwrap(),
        FilingOutcome::AlreadyFiled
    );
    let mut moved = filing.clone();
    moved.message.uid = 99;
    assert_eq!(
        store.file_message(&moved).unwrap(),
        FilingOutcome::AlreadyFiled
    );
    assert_eq!(store.documents().unwrap().len(), 2);

    let first = store.document(ids[0]).unwrap().unwrap();
    assert_eq!(first.patient, Some(patient));
    assert_eq!(first.link_status, Some(IdentityStatus::Qualifiee));
    assert_eq!(
        store.document_bytes(ids[0]).unwrap(),
        b"<ClinicalDocument>one</ClinicalDocument>"
    );

    // Never altered: a raw UPDATE or DELETE is refused by the database itself.
    let raw = rusqlite::Connection::open(dir.path().join("store.sqlite")).unwrap();
    let err = raw
        .execute(
            "UPDATE documents SET media_type = 'x' WHERE id = ?1",
            [ids[0].0],
        )
        .unwrap_err();
    assert!(err.to_string().contains("never altered"), "{err}");
    assert!(raw.execute("DELETE FROM blobs", []).is_err());
    // Altered bytes (written past the triggers) are detected through the SHA-256.
    drop(raw);

    // A replacement is a new version linked to the old one.
    let mut v1 = doc(b"<v1/>", Placement::Review(ReviewReason::NoIns));
    v1.unique_id = Some("1.2.3^v1".into());
    let v1_id = store.add_document(&v1).unwrap();
    let mut v2 = doc(b"<v2/>", Placement::Review(ReviewReason::NoIns));
    v2.unique_id = Some("1.2.3^v2".into());
    v2.replaces_unique_id = Some("1.2.3^v1".into());
    let v2_id = store.add_document(&v2).unwrap();
    assert_eq!(
        store.document(v2_id).unwrap().unwrap().replaces,
        Some(v1_id)
    );

    // Review: the PDF is attached to the patient by a user, recorded in the audit trail.
    let open = store.reviews(true).unwrap();
    assert_eq!(open.len(), 3);
    let pdf_review = open.iter().find(|r| r.document == ids[1]).unwrap();
    assert_eq!(pdf_review.reason, ReviewReason::NotXdm);
    store
        .decide_review(pdf_review.id, &ReviewDecision::Attach(patient), "marie")
        .unwrap();
    assert!(matches!(
        store.decide_review(pdf_review.id, &ReviewDecision::Reject, "marie"),
        Err(StoreError::AlreadyDecided(_))
    ));
    let v1_review = store.reviews(true).unwrap()[0].clone();
    store
        .decide_review(v1_review.id, &ReviewDecision::Reject, "paul")
        .unwrap();
    assert_eq!(store.reviews(true).unwrap().len(), 1);
    let all = store.reviews(false).unwrap();
    assert_eq!(
        all.iter()
            .filter(|r| r.state == ReviewState::Attached)
            .count(),
        1
    );
    assert_eq!(
        store.documents_of(patient).unwrap().len(),
        2,
        "the CDA and the attached PDF"
    );

    // Deletion: tombstone + audit record; the document leaves the patient's list.
    store
        .delete_document(ids[0], "sent to the wrong pharmacy", "marie")
        .unwrap();
    assert!(store.document(ids[0]).unwrap().unwrap().deleted);
    assert_eq!(store.documents_of(patient).unwrap().len(), 1);
    assert!(matches!(
        store.delete_document(DocumentId(9999), "x", "marie"),
        Err(StoreError::UnknownDocument(_))
    ));

    let kinds = audit_kinds(&mut store);
    assert_eq!(
        kinds,
        vec![
            EventKind::DocumentAttached,
            EventKind::DocumentRejected,
            EventKind::DocumentDeleted
        ]
    );
    let report = store.audit().verify(&VerifyOptions::default()).unwrap();
    assert_eq!(report.entries, 3);
    // The trail names local ids and reasons, never the patient's traits.
    let mut lines = Vec::new();
    store.audit().export_json_lines(&mut lines).unwrap();
    let lines = String::from_utf8(lines).unwrap();
    assert!(!lines.contains("PAT-TROIS") && !lines.contains("279035121518989"));
    assert_eq!(store.check().unwrap(), 4);

    // Debug and errors hold no patient data.
    let record = store.patient(patient).unwrap().unwrap();
    let debug = format!("{record:?} {filing:?}");
    assert!(
        !debug.contains("PAT-TROIS") && !debug.contains("279035121518989"),
        "{debug}"
    );
}

#[test]
fn an_outbox_event_left_by_a_crash_reaches_the_trail_on_open() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    // What a process killed between the decision's commit and the trail append leaves.
    let raw = rusqlite::Connection::open(dir.path().join("store.sqlite")).unwrap();
    raw.execute(
        "INSERT INTO pending_audit (event) VALUES (?1)",
        [r#"{"kind":"document_rejected","outcome":"success","actor":"marie","workstation":null,"subject":"document 1","permission":null,"patient":null,"detail":"review 1: rejected"}"#],
    )
    .unwrap();
    drop(raw);
    let mut store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(audit_kinds(&mut store), vec![EventKind::DocumentRejected]);
    drop(store);
    let mut store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(audit_kinds(&mut store).len(), 1, "flushed once");
}

/// Child body: files messages `start..end` (each with DOCS_PER_MESSAGE documents); `uid_step`
/// lets two children share keys.
fn child_filer(folder: &Path, start: u32, end: u32) {
    let mut store = SqliteStore::open(folder).unwrap();
    for uid in start..end {
        let documents = (0..DOCS_PER_MESSAGE)
            .map(|i| {
                // Distinct bytes per document, some large enough to span several pages.
                let mut bytes = format!("<doc uid='{uid}' n='{i}'/>").into_bytes();
                bytes.resize(bytes.len() + (uid as usize % 7) * 9000, b' ');
                doc(&bytes, Placement::Review(ReviewReason::UnknownPatient))
            })
            .collect();
        store
            .file_message(&MessageFiling {
                message: message(uid, Some(&format!("m{uid}@test.mssante.fr"))),
                documents,
            })
            .unwrap();
    }
}

#[test]
fn child_process_body() {
    // Runs only as a child of the tests below.
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let mut parts = spec.split('|');
    let folder = parts.next().unwrap();
    let start: u32 = parts.next().unwrap().parse().unwrap();
    let end: u32 = parts.next().unwrap().parse().unwrap();
    child_filer(Path::new(folder), start, end);
}

fn spawn_child(folder: &Path, start: u32, end: u32) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_body",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, format!("{}|{start}|{end}", folder.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Messages, documents, and messages whose document set is incomplete.
fn consistency(folder: &Path) -> (i64, i64, i64) {
    let store = SqliteStore::open(folder).unwrap();
    let checked = store.check().unwrap();
    let raw = rusqlite::Connection::open(folder.join("store.sqlite")).unwrap();
    let messages: i64 = raw
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    let documents: i64 = raw
        .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))
        .unwrap();
    let incomplete: i64 = raw
        .query_row(
            "SELECT count(*) FROM messages m WHERE (SELECT count(*) FROM documents d \
             WHERE d.message = m.id) != ?1",
            [DOCS_PER_MESSAGE],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(checked as i64, documents);
    (messages, documents, incomplete)
}

#[test]
fn a_process_killed_while_filing_leaves_the_store_consistent() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let mut child = spawn_child(dir.path(), 1, 1_000_000);
    // Kill it (SIGKILL) once it has committed a few dozen filings, in the middle of the next.
    let raw = rusqlite::Connection::open(dir.path().join("store.sqlite")).unwrap();
    raw.busy_timeout(Duration::from_secs(10)).unwrap();
    let start = Instant::now();
    loop {
        let n: i64 = raw
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
            .unwrap_or(0);
        if n >= 40 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "child too slow");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed");
    drop(raw);
    let (messages, documents, incomplete) = consistency(dir.path());
    assert!(messages >= 40);
    assert_eq!(incomplete, 0, "a message stored without all its documents");
    assert_eq!(documents, messages * DOCS_PER_MESSAGE);
    // The killed filing did not happen: filing the next message works and counts once.
    child_filer(dir.path(), 1, messages as u32 + 2);
    let (after, _, incomplete) = consistency(dir.path());
    assert_eq!(after, messages + 1);
    assert_eq!(incomplete, 0);
}

#[test]
fn two_processes_filing_the_same_messages_store_each_once() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    // Both file 1..=150 (the same mailbox seen from two workstations), each also 40 of its own.
    let a = spawn_child(dir.path(), 1, 191);
    let b = spawn_child(dir.path(), 1, 151);
    let c = spawn_child(dir.path(), 151, 231);
    for mut child in [a, b, c] {
        assert!(child.wait().unwrap().success());
    }
    let (messages, documents, incomplete) = consistency(dir.path());
    assert_eq!(messages, 230);
    assert_eq!(documents, 230 * DOCS_PER_MESSAGE);
    assert_eq!(incomplete, 0);
}
