//! Filing rate and where the document bytes go.
//!
//! - `filing/message`: one received message (an IHE_XDM with the ANS kit's VAC-NOTE) read,
//!   unpacked, its CDA header read, its patient matched and filed in one transaction: the
//!   inbox path without the IMAP round trip. Throughput in documents per second.
//! - `bytes/sqlite_blob` against `bytes/folder_file`: storing one document of 48 KiB in the
//!   database (one durable transaction) or as a content-addressed file beside it (the file
//!   written and fsynced, its folder fsynced, then the row committed), both durable.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use segur_ins::{IdentityStatus, Ins, Traits, TraitsData};
use segur_mssante::compose::{MessageBuilder, ProductReference, Subject};
use segur_mssante::{MailAddress, ReceivedMessage, Recipient};
use segur_store::inbox::{SyncOptions, documents_of};
use segur_store::model::{
    MessageFiling, MessageRecord, NewDocument, NewPatient, Origin, Placement, ReviewReason,
};
use segur_store::{DocumentStore, SqliteStore};
use std::io::Write;

fn received_message() -> ReceivedMessage {
    let cda = std::fs::read(
        segur_test_support::mail_servers::shared().join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml"),
    )
    .unwrap();
    let opts = segur_dmp_cda::PackOptions {
        source_id: "1.2.250.1.213.4.1.1.1".into(),
        sender: segur_dmp_cda::XdmSender {
            organization: "CH de Test".into(),
            contact: "doc@test.mssante.fr".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let xdm = segur_dmp_cda::pack_cda(&cda, None, &opts).unwrap().0;
    let raw = MessageBuilder::new(
        MailAddress::parse("doc@test.mssante.fr").unwrap(),
        ProductReference::new("SEGUR-BENCH").unwrap(),
    )
    .to(Recipient::professional(MailAddress::parse("pharma@test.mssante.fr").unwrap()).unwrap())
    .subject(Subject::xdm("Note").unwrap())
    .text("Note")
    .xdm(xdm)
    .build()
    .unwrap();
    ReceivedMessage::parse(raw.bytes()).unwrap()
}

fn filing(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store
        .add_patient(&NewPatient {
            traits: Traits::from_data(&TraitsData {
                birth_name: "PAT-TROIS".into(),
                given_names: vec!["DOMINIQUE".into(), "MARIE-LOUISE".into()],
                sex: "F".into(),
                birth_date: "1979-03-28".into(),
                birth_place: Some("51215".into()),
                ..Default::default()
            })
            .unwrap(),
            status: IdentityStatus::Qualifiee,
            ins: Some(Ins::from_parts("279035121518989", "1.2.250.1.213.1.4.10").unwrap()),
        })
        .unwrap();
    let message = received_message();
    let options = SyncOptions::default();
    let mut uid = 0u32;
    let mut group = c.benchmark_group("filing");
    group.throughput(Throughput::Elements(1));
    group.bench_function("message", |b| {
        b.iter(|| {
            uid += 1;
            let documents = documents_of(&store, &message, &options).unwrap();
            assert!(matches!(documents[0].placement, Placement::Patient { .. }));
            store
                .file_message(&MessageFiling {
                    message: MessageRecord {
                        mailbox: "INBOX".into(),
                        uid_validity: 1,
                        uid,
                        message_id: None,
                    },
                    documents,
                })
                .unwrap()
        })
    });
    group.finish();
}

fn bytes(c: &mut Criterion) {
    const SIZE: usize = 48 * 1024;
    let mut group = c.benchmark_group("bytes");
    group.throughput(Throughput::Bytes(SIZE as u64));
    let mut n = 0u64;
    let doc = |n: u64| {
        let mut bytes = vec![b'x'; SIZE];
        bytes[..8].copy_from_slice(&n.to_le_bytes());
        bytes
    };

    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    group.bench_function("sqlite_blob", |b| {
        b.iter(|| {
            n += 1;
            store
                .add_document(&NewDocument {
                    origin: Origin::Retrieved,
                    bytes: doc(n),
                    media_type: "text/xml".into(),
                    file_name: None,
                    entry: None,
                    metadata_xml: None,
                    unique_id: None,
                    replaces_unique_id: None,
                    placement: Placement::Review(ReviewReason::NoIns),
                })
                .unwrap()
        })
    });

    // The alternative: bytes in `objects/<sha256>` beside a database holding only the rows.
    let dir = tempfile::tempdir().unwrap();
    let objects = dir.path().join("objects");
    std::fs::create_dir(&objects).unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("rows.sqlite")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch("CREATE TABLE documents (id INTEGER PRIMARY KEY, hash TEXT, size INTEGER)")
        .unwrap();
    group.bench_function("folder_file", |b| {
        b.iter(|| {
            n += 1;
            let bytes = doc(n);
            let hash = segur_store::model::ContentHash::of(&bytes).to_hex();
            let tmp = objects.join(format!("{hash}.tmp"));
            let mut f = std::fs::File::create(&tmp).unwrap();
            f.write_all(&bytes).unwrap();
            f.sync_all().unwrap();
            std::fs::rename(&tmp, objects.join(&hash)).unwrap();
            std::fs::File::open(&objects).unwrap().sync_all().unwrap();
            conn.execute(
                "INSERT INTO documents (hash, size) VALUES (?1, ?2)",
                rusqlite::params![hash, SIZE as i64],
            )
            .unwrap();
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = filing, bytes
}
criterion_main!(benches);
