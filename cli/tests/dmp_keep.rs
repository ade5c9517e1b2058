//! `segur dmp get --store DIR` against `segur dmp simulate --record`: the first get retrieves
//! the document (one TD3.2 request) and keeps it in the store, filed to the local patient with
//! an audit record; the second get is answered from the store with identical bytes and no
//! request at all.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use segur_access::audit::EventKind;
use segur_dmp_cda::build::{DocumentInput, examples};
use segur_dmp_cda::read::ReadLimits;
use segur_ins::IdentityStatus;
use segur_store::model::{NewPatient, Origin};
use segur_store::{DocumentStore, SqliteStore};

mod common;
use common::simulate_recording;

fn segur(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_segur"))
        .arg("dmp")
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {err}");
    err
}

/// (all requests received, TD3.2 requests among them).
fn requests(record: &Path) -> (usize, usize) {
    let Ok(dir) = std::fs::read_dir(record) else {
        return (0, 0);
    };
    let mut all = 0;
    let mut td32 = 0;
    let action = b"urn:ihe:iti:2007:RetrieveDocumentSet";
    for file in dir {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        all += 1;
        if bytes.windows(action.len()).any(|w| w == action) {
            td32 += 1;
        }
    }
    (all, td32)
}

#[test]
fn get_with_a_store_retrieves_once_keeps_and_traces() {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("config");
    let record = dir.path().join("record");
    let _sim = simulate_recording(&config_dir, &record);
    let config = config_dir.join("dmp.toml");

    // A vaccination note in the DMP.
    let input: DocumentInput =
        serde_json::from_value(examples::example_json("vaccination-note").unwrap()).unwrap();
    let cda = input.build().unwrap();
    let cda_file = dir.path().join("vac-note.xml");
    std::fs::write(&cda_file, &cda).unwrap();
    let fed = segur(
        &config,
        &["feed", "--cda", cda_file.to_str().unwrap(), "--json"],
    );
    ok(&fed);
    let fed: serde_json::Value = serde_json::from_slice(&fed.stdout).unwrap();
    let unique_id = fed["unique_id"].as_str().unwrap().to_owned();

    // The patient's local identity, qualified, in the pharmacy's store.
    let header = segur_dmp_cda::read_header(cda.as_bytes(), &ReadLimits::default()).unwrap();
    let ins = header.patient.ins().unwrap().unwrap();
    let matricule = ins.matricule().expose().to_owned();
    let store_dir = dir.path().join("segur-store");
    let patient = SqliteStore::open(&store_dir)
        .unwrap()
        .add_patient(&NewPatient {
            traits: segur_store::vigilance::document_traits(&header.patient).unwrap(),
            status: IdentityStatus::Qualifiee,
            ins: Some(ins),
        })
        .unwrap();

    let get = |output: &Path| {
        segur(
            &config,
            &[
                "get",
                "--ins",
                &matricule,
                "--unique-id",
                &unique_id,
                "-o",
                output.to_str().unwrap(),
                "--store",
                store_dir.to_str().unwrap(),
                "--actor",
                "marie",
            ],
        )
    };

    // First get: retrieved from the DMP (one TD3.2), kept, written.
    let (before_all, before_td32) = requests(&record);
    let first = dir.path().join("first.xml");
    let err = ok(&get(&first));
    let (after_all, after_td32) = requests(&record);
    assert_eq!(after_td32 - before_td32, 1, "one TD3.2 request");
    assert!(after_all > before_all);
    assert_eq!(std::fs::read(&first).unwrap(), cda.as_bytes());
    assert!(
        err.contains(&format!("kept as document 1 of local patient {patient}")),
        "{err}"
    );

    // Second get: from the store, no request of any kind, identical bytes.
    let second = dir.path().join("second.xml");
    let err = ok(&get(&second));
    assert_eq!(requests(&record), (after_all, after_td32), "no DMP call");
    assert_eq!(std::fs::read(&second).unwrap(), cda.as_bytes());
    assert!(err.starts_with("from the store, retrieved on 20"), "{err}");
    assert!(err.trim_end().ends_with("UTC (document 1)"), "{err}");
    assert!(!err.contains(&matricule), "{err}");

    // The uniqueId given with another patient's INS: refused from the store (exit 2), no
    // request, nothing written, no patient data in the message.
    let body = "1800175112001";
    let other = format!(
        "{body}{:02}",
        segur_ins::Matricule::compute_key(body).unwrap()
    );
    let wrong = dir.path().join("wrong.xml");
    let out = segur(
        &config,
        &[
            "get",
            "--ins",
            &other,
            "--unique-id",
            &unique_id,
            "-o",
            wrong.to_str().unwrap(),
            "--store",
            store_dir.to_str().unwrap(),
        ],
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("filed to local patient {patient}")),
        "{err}"
    );
    assert!(!err.contains(&other) && !err.contains(&matricule), "{err}");
    assert!(!wrong.exists());
    assert_eq!(requests(&record), (after_all, after_td32), "no DMP call");

    // In the store: origin retrieved, linked to the patient; one audit record without
    // patient data.
    let mut store = SqliteStore::open(&store_dir).unwrap();
    let kept = store.documents_with_unique_id(&unique_id).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].origin, Origin::Retrieved);
    assert_eq!(kept[0].patient, Some(patient));
    assert_eq!(kept[0].link_status, Some(IdentityStatus::Qualifiee));
    let mut events = Vec::new();
    store
        .audit()
        .scan(1, &mut |e| {
            events.push(e.event.clone());
            Ok(())
        })
        .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].kind, EventKind::DocumentRetrieved);
    assert_eq!(events[0].actor.as_deref(), Some("marie"));
    assert_eq!(events[0].subject.as_deref(), Some("document 1"));
    let detail = events[0].detail.clone().unwrap();
    assert!(detail.starts_with("retrieved from the DMP"), "{detail}");
    assert!(
        !detail.contains(&matricule) && !detail.contains(&unique_id),
        "{detail}"
    );

    // Without --store, get still calls the DMP each time (the store is opt-in).
    let plain = dir.path().join("plain.xml");
    let out = segur(
        &config,
        &[
            "get",
            "--ins",
            &matricule,
            "--unique-id",
            &unique_id,
            "-o",
            plain.to_str().unwrap(),
        ],
    );
    ok(&out);
    assert_eq!(requests(&record).1, after_td32 + 1);
    // --actor is a setting of --store.
    let out = segur(
        &config,
        &[
            "get",
            "--ins",
            &matricule,
            "--unique-id",
            &unique_id,
            "-o",
            plain.to_str().unwrap(),
            "--actor",
            "marie",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}
