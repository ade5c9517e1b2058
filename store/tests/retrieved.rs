//! Documents retrieved from the DMP kept in the SQLite store: filed by the INS asked about
//! with the identity rules of the inbox, kept once per uniqueId (same bytes: nothing changes;
//! other bytes: a conflict, never an overwrite), each consultation in the audit trail without
//! patient data. The CDA is the ANS kit's vaccination note.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_access::audit::EventKind;
use segur_access::audit::verify::VerifyOptions;
use segur_ins::{IdentityStatus, Ins, Matricule, Traits, TraitsData};
use segur_store::model::{Kept, NewDocument, NewPatient, Origin, Placement, ReviewReason};
use segur_store::retrieved::{FromDmp, find_retrieved, find_retrieved_for, keep_retrieved};
use segur_store::{DocumentStore, SqliteStore, StoreError};

const KIT_INS: &str = "279035121518989";
const OID_NIR: &str = "1.2.250.1.213.1.4.10";
const VAC_ID: &str = "1.2.250.1.213.1.1.1.999.1^VAC-NOTE-1";

fn vac_note() -> Vec<u8> {
    let shared = std::env::var("SEGUR_SHARED").expect("export SEGUR_SHARED=/work/shared");
    std::fs::read(std::path::Path::new(&shared).join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml"))
        .unwrap()
}

fn kit_ins() -> Ins {
    Ins::from_parts(KIT_INS, OID_NIR).unwrap()
}

/// A valid NIR (key computed) that no local identity holds.
fn other_ins() -> Ins {
    let body = "1800175112001";
    let nir = format!("{body}{:02}", Matricule::compute_key(body).unwrap());
    Ins::from_parts(&nir, OID_NIR).unwrap()
}

fn dominique() -> NewPatient {
    NewPatient {
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
        ins: Some(kit_ins()),
    }
}

fn from_dmp(unique_id: &str, media_type: &str, bytes: &[u8]) -> FromDmp {
    FromDmp {
        unique_id: unique_id.into(),
        media_type: media_type.into(),
        bytes: bytes.to_vec(),
        entry: None,
        metadata_xml: None,
    }
}

fn retrieved_events(store: &mut SqliteStore) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    store
        .audit()
        .scan(1, &mut |e| {
            assert_eq!(e.event.kind, EventKind::DocumentRetrieved);
            out.push((
                e.event.actor.clone().unwrap_or_default(),
                e.event.subject.clone().unwrap_or_default(),
                e.event.detail.clone().unwrap_or_default(),
            ));
            Ok(())
        })
        .unwrap();
    out
}

#[test]
fn kept_once_filed_by_the_ins_and_traced() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let patient = store.add_patient(&dominique()).unwrap();
    let cda = vac_note();

    // Not kept yet: the caller retrieves it.
    assert!(find_retrieved(&store, VAC_ID).unwrap().is_none());
    let kept = keep_retrieved(
        &mut store,
        from_dmp(VAC_ID, "text/xml", &cda),
        &kit_ins(),
        "marie",
    )
    .unwrap();
    let Kept::Stored(id) = kept else {
        panic!("first keep stores: {kept:?}");
    };
    let record = find_retrieved(&store, VAC_ID).unwrap().unwrap();
    assert_eq!(record.id, id);
    assert_eq!(record.origin, Origin::Retrieved);
    assert_eq!(record.patient, Some(patient));
    assert_eq!(record.link_status, Some(IdentityStatus::Qualifiee));
    assert_eq!(record.media_type, "text/xml");
    assert_eq!(store.document_bytes(id).unwrap(), cda, "bytes kept exactly");
    // Asked for with the patient's INS: found; with another patient's INS: refused, naming
    // only store ids.
    assert_eq!(
        find_retrieved_for(&store, VAC_ID, &kit_ins())
            .unwrap()
            .map(|r| r.id),
        Some(id)
    );
    let refused = find_retrieved_for(&store, VAC_ID, &other_ins()).unwrap_err();
    assert!(
        matches!(
            refused,
            StoreError::RetrievedForAnotherPatient { document, patient: p }
                if document == id && p == patient
        ),
        "{refused:?}"
    );
    assert!(!refused.to_string().contains(KIT_INS), "{refused}");
    assert!(store.reviews(true).unwrap().is_empty());

    // The same document again: nothing changes. Other bytes under its uniqueId: a conflict
    // naming the kept document, which stays as it was.
    assert_eq!(
        keep_retrieved(
            &mut store,
            from_dmp(VAC_ID, "text/xml", &cda),
            &kit_ins(),
            "paul"
        )
        .unwrap(),
        Kept::AlreadyKept(id)
    );
    let mut altered = cda.clone();
    altered.extend_from_slice(b"\n<!-- other bytes -->");
    assert!(matches!(
        keep_retrieved(
            &mut store,
            from_dmp(VAC_ID, "text/xml", &altered),
            &kit_ins(),
            "paul"
        ),
        Err(StoreError::RetrievedConflict(existing)) if existing == id
    ));
    assert_eq!(store.documents().unwrap().len(), 1);
    assert_eq!(store.document_bytes(id).unwrap(), cda);

    // One audit record, for the one consultation kept: who, which stored document, a hash of
    // the uniqueId; no INS, no name, no uniqueId in clear.
    let events = retrieved_events(&mut store);
    assert_eq!(events.len(), 1, "{events:?}");
    let (actor, subject, detail) = &events[0];
    assert_eq!(actor, "marie");
    assert_eq!(subject, &format!("document {id}"));
    let hash = segur_store::model::ContentHash::of(VAC_ID.as_bytes()).to_hex();
    assert_eq!(
        detail,
        &format!(
            "retrieved from the DMP (uniqueId sha256:{hash}): filed to local patient {patient}"
        )
    );
    let mut lines = Vec::new();
    store.audit().export_json_lines(&mut lines).unwrap();
    let lines = String::from_utf8(lines).unwrap();
    for secret in [KIT_INS, "PAT-TROIS", "DOMINIQUE", "VAC-NOTE-1"] {
        assert!(!lines.contains(secret), "{secret} in the trail: {lines}");
    }
    assert_eq!(
        store
            .audit()
            .verify(&VerifyOptions::default())
            .unwrap()
            .entries,
        1
    );

    // A document of another origin with that uniqueId is not a retrieved one.
    store
        .add_document(&NewDocument {
            origin: Origin::Received,
            bytes: b"%PDF-1.4 received".to_vec(),
            media_type: "application/pdf".into(),
            file_name: None,
            entry: None,
            metadata_xml: None,
            unique_id: Some("1.2.3^RECEIVED".into()),
            replaces_unique_id: None,
            placement: Placement::Review(ReviewReason::NotXdm),
        })
        .unwrap();
    assert!(find_retrieved(&store, "1.2.3^RECEIVED").unwrap().is_none());

    // Deleted: no longer found, and a new retrieval is kept anew (the deletion stays traced).
    store
        .delete_document(id, "consulted by mistake", "marie")
        .unwrap();
    assert!(find_retrieved(&store, VAC_ID).unwrap().is_none());
    let again = keep_retrieved(
        &mut store,
        from_dmp(VAC_ID, "text/xml", &cda),
        &kit_ins(),
        "marie",
    )
    .unwrap();
    assert!(matches!(again, Kept::Stored(new) if new != id), "{again:?}");
    assert_eq!(
        find_retrieved(&store, VAC_ID).unwrap().unwrap().id,
        again.id()
    );
}

#[test]
fn placement_follows_the_identity_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let patient = store.add_patient(&dominique()).unwrap();
    let cda = vac_note();
    let mut keep = |unique_id: &str, media_type: &str, bytes: &[u8], ins: &Ins| {
        let id = keep_retrieved(
            &mut store,
            from_dmp(unique_id, media_type, bytes),
            ins,
            "marie",
        )
        .unwrap()
        .id();
        (
            store.document(id).unwrap().unwrap(),
            store.reviews(true).unwrap(),
        )
    };

    // A PDF has no identity of its own: the one local identity holding the INS.
    let (pdf, _) = keep("1.2.3^PDF", "application/pdf", b"%PDF-1.4 scan", &kit_ins());
    assert_eq!(pdf.patient, Some(patient));
    // No local identity holds the INS asked about: review.
    let (unknown, reviews) = keep("1.2.3^PDF2", "application/pdf", b"%PDF-1.4 b", &other_ins());
    assert_eq!(unknown.patient, None);
    assert_eq!(reviews.last().unwrap().document, unknown.id);
    assert_eq!(reviews.last().unwrap().reason, ReviewReason::UnknownPatient);
    // A CDA whose header names a patient other than the one asked about: review.
    let (other, reviews) = keep("1.2.3^CDA2", "text/xml", &cda, &other_ins());
    assert_eq!(other.patient, None);
    assert_eq!(reviews.last().unwrap().reason, ReviewReason::TraitsDisagree);
    // A CDA whose traits disagree with the local identity: review.
    let renamed = String::from_utf8(cda.clone())
        .unwrap()
        .replace("PAT-TROIS", "PAT-QUATRE");
    let (renamed, reviews) = keep("1.2.3^CDA3", "text/xml", renamed.as_bytes(), &kit_ins());
    assert_eq!(renamed.patient, None);
    assert_eq!(reviews.last().unwrap().reason, ReviewReason::TraitsDisagree);
    // Not a readable CDA: kept, for review.
    let (broken, reviews) = keep("1.2.3^CDA4", "text/xml", b"<ClinicalDocument", &kit_ins());
    assert_eq!(broken.origin, Origin::Retrieved);
    assert_eq!(reviews.last().unwrap().reason, ReviewReason::MalformedCda);
    // A document waiting for review is linked to nobody: found whatever the INS given.
    assert_eq!(
        find_retrieved_for(&store, "1.2.3^PDF2", &kit_ins())
            .unwrap()
            .map(|r| r.id),
        Some(unknown.id)
    );
}

#[test]
fn refused_input_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let doc = |origin, unique_id: Option<&str>| NewDocument {
        origin,
        bytes: b"%PDF-1.4".to_vec(),
        media_type: "application/pdf".into(),
        file_name: None,
        entry: None,
        metadata_xml: None,
        unique_id: unique_id.map(str::to_owned),
        replaces_unique_id: None,
        placement: Placement::Review(ReviewReason::UnknownPatient),
    };
    for (document, actor, field) in [
        (doc(Origin::Received, Some("1.2.3")), "marie", "origin"),
        (doc(Origin::Retrieved, None), "marie", "uniqueId"),
        (doc(Origin::Retrieved, Some("1.2\n3")), "marie", "uniqueId"),
        (
            doc(Origin::Retrieved, Some("1.2.3")),
            "ma\u{1b}rie",
            "actor",
        ),
    ] {
        match store.add_retrieved(&document, actor) {
            Err(StoreError::InvalidField { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(store.documents().unwrap().is_empty());
    assert!(retrieved_events(&mut store).is_empty());
}

/// Four connections (four workstations) keeping the same document at once store it once.
#[test]
fn concurrent_keeps_store_once() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let outcomes: Vec<Kept> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut store = SqliteStore::open(dir.path()).unwrap();
                    keep_retrieved(
                        &mut store,
                        from_dmp("1.2.3^SAME", "application/pdf", b"%PDF-1.4 same"),
                        &kit_ins(),
                        "marie",
                    )
                    .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let stored = outcomes
        .iter()
        .filter(|k| matches!(k, Kept::Stored(_)))
        .count();
    assert_eq!(stored, 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|k| k.id() == outcomes[0].id()));
    let mut store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.documents().unwrap().len(), 1);
    assert_eq!(retrieved_events(&mut store).len(), 1);
}
