//! The C program `ffi/tests/c/test_store.c` (gcc -Wall -Wextra -Werror -pedantic against
//! segur.h and the libsegur.so of this build), once as is and once under valgrind (no error,
//! no definite or indirect leak), on a store folder prepared here through the Rust API: one
//! local patient and two received documents waiting for review.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

mod support;

use segur_ins::{IdentityStatus, Traits, TraitsData};
use segur_store::model::{
    MessageFiling, MessageRecord, NewDocument, NewPatient, Origin, Placement, ReviewReason,
};
use segur_store::{DocumentStore, SqliteStore};
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
