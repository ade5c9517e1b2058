//! The C program `ffi/tests/c/test_dmp.c` (gcc -Wall -Wextra -Werror -pedantic against segur.h
//! and the libsegur.so of this build) against the DMP simulator of `segur-dmp`, started in
//! process on 127.0.0.1:0 with its `dmp.toml` and test PKI written to a temporary folder: once
//! as is, once under valgrind (no error, no definite or indirect leak). The Free Pascal test
//! program (`ffi/pascal/test_segur.pas`, Delphi mode) is run against the same simulator.
//!
//! The simulator is independent of the client (its own request parsing and checks), so what
//! the C program sees is what the DMP contract says; the registry is then inspected from Rust.
//!
//! The program's `segur_dmp_client_get_kept` calls use a store folder prepared here with the
//! patient's qualified local identity; the store is inspected from Rust afterwards (one
//! document of origin retrieved, filed to that identity, one audit record).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

mod support;

use segur_access::audit::EventKind;
use segur_dmp::simulator::{DmpState, EntryStatus, Simulator, SimulatorOptions, TEST_INS_OID};
use segur_store::model::{NewPatient, Origin};
use segur_store::{DocumentStore, SqliteStore};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::c_program::{build_c, require, staged_library};

/// The patient of the builder's VAC-NOTE example (test INS-NIR, qualified identity).
const PATIENT: &str = "279035121518989";
/// A patient whose DMP the simulator holds as closed.
const CLOSED_PATIENT: &str = "180057512345627";
/// The uniqueId of the example VAC-NOTE (`ClinicalDocument/id`).
const UNIQUE_ID: &str = "1.2.250.1.999.1.1.2024.1";

/// A simulator with its configuration in `dir`, the closed DMP of [`CLOSED_PATIENT`] set.
fn simulator(dir: &Path) -> (Simulator, PathBuf) {
    let sim = Simulator::start(SimulatorOptions::default()).unwrap();
    let config = sim.write_config(dir).unwrap();
    sim.set_patient_state(CLOSED_PATIENT, TEST_INS_OID, DmpState::Closed);
    (sim, config)
}

/// A store folder holding the qualified local identity of the example VAC-NOTE's patient.
fn store_with_patient(dir: &Path) -> (PathBuf, segur_store::model::LocalPatientId) {
    let input: segur_dmp_cda::build::DocumentInput = serde_json::from_value(
        segur_dmp_cda::build::examples::example_json("vaccination-note").unwrap(),
    )
    .unwrap();
    let cda = input.build().unwrap();
    let header = segur_dmp_cda::read_header(cda.as_bytes(), &Default::default()).unwrap();
    let folder = dir.join("segur-store");
    let patient = SqliteStore::open(&folder)
        .unwrap()
        .add_patient(&NewPatient {
            traits: segur_store::vigilance::document_traits(&header.patient).unwrap(),
            status: segur_ins::IdentityStatus::Qualifiee,
            ins: Some(header.patient.ins().unwrap().unwrap()),
        })
        .unwrap();
    (folder, patient)
}

fn check_output(what: &str, out: &Output, summary: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains(summary), "{what}: {stdout}\n{stderr}");
    println!(
        "{what}: {}",
        stdout.trim_end().lines().last().unwrap_or_default()
    );
    // Patient data never reaches the program's error output (result details included).
    assert!(!stderr.contains(PATIENT), "{what}: {stderr}");
}

#[test]
fn c_program_feeds_finds_gets_updates_and_is_refused_against_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let lib = staged_library(dir.path());
    let program = dir.path().join("test_dmp");
    build_c("test_dmp", &lib, &program);
    require("valgrind", "--version");
    let suppressions = format!(
        "--suppressions={}/tests/valgrind/ring-aead.supp",
        env!("CARGO_MANIFEST_DIR")
    );
    let valgrind = [
        "valgrind",
        suppressions.as_str(),
        "--quiet",
        "--error-exitcode=99",
        "--leak-check=full",
        "--errors-for-leak-kinds=definite,indirect",
        "--show-leak-kinds=definite,indirect",
    ];
    for wrapper in [&[][..], &valgrind[..]] {
        // A fresh simulator per run: the program feeds, archives and deletes the same document.
        let run_dir = tempfile::tempdir().unwrap();
        let (sim, config) = simulator(run_dir.path());
        let (store_dir, patient) = store_with_patient(run_dir.path());
        let mut c = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        let out = c
            .arg(&config)
            .arg(PATIENT)
            .arg(CLOSED_PATIENT)
            .arg(&store_dir)
            .output()
            .unwrap();
        check_output(
            &format!("test_dmp {wrapper:?}"),
            &out,
            " checks passed, 0 failed",
        );
        // What segur_dmp_client_get_kept kept: one document, retrieved, filed to the patient,
        // one audit record.
        let mut store = SqliteStore::open(&store_dir).unwrap();
        let kept = store.documents().unwrap();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept[0].origin, Origin::Retrieved);
        assert_eq!(kept[0].unique_id.as_deref(), Some(UNIQUE_ID));
        assert_eq!(kept[0].patient, Some(patient));
        let mut kinds = Vec::new();
        store
            .audit()
            .scan(1, &mut |e| {
                kinds.push((e.event.kind, e.event.actor.clone()));
                Ok(())
            })
            .unwrap();
        assert_eq!(
            kinds,
            vec![(EventKind::DocumentRetrieved, Some("marie".to_owned()))]
        );
        // The registry holds what the program did, seen from the simulator's side.
        assert_eq!(sim.entry_status(UNIQUE_ID), Some(EntryStatus::Deleted));
        // The replacement: the first version deprecated, the second approved.
        assert_eq!(
            sim.entry_status("1.2.250.1.999.1.1.2024.11"),
            Some(EntryStatus::Deprecated)
        );
        assert_eq!(
            sim.entry_status("1.2.250.1.999.1.1.2024.12"),
            Some(EntryStatus::Approved)
        );
    }
}

#[test]
fn pascal_program_calls_status_and_find_against_the_simulator() {
    require("fpc", "-iV");
    let dir = tempfile::tempdir().unwrap();
    let lib = staged_library(dir.path());
    let out_dir = dir.path().join("fpc");
    std::fs::create_dir_all(&out_dir).unwrap();
    let pascal = Path::new(env!("CARGO_MANIFEST_DIR")).join("pascal");
    let build = Command::new("fpc")
        .args(["-Mdelphi", "-vw", "-Sew"])
        .arg(format!("-FE{}", out_dir.display()))
        .arg(format!("-Fu{}", pascal.display()))
        .arg(format!("-Fl{}", lib.display()))
        .arg(format!("-k-rpath={}", lib.display()))
        .arg(pascal.join("test_segur.pas"))
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "fpc test_segur.pas failed:\n{}",
        String::from_utf8_lossy(&build.stdout)
    );
    let (_sim, config) = simulator(dir.path());
    let out = Command::new(out_dir.join("test_segur"))
        .arg(&config)
        .arg(PATIENT)
        .output()
        .unwrap();
    check_output("test_segur", &out, " checks passed, 0 failed");
    // The DMP part ran: it prints its own line.
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("DMP simulator: status and find"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn c_example_feeds_the_simulator_and_finds_the_note() {
    require("make", "--version");
    let dir = tempfile::tempdir().unwrap();
    // An installed-library layout: include/segur.h and lib/libsegur.so.
    let prefix = dir.path().join("prefix");
    std::fs::create_dir_all(&prefix).unwrap();
    staged_library(&prefix);
    let ffi = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::os::unix::fs::symlink(ffi.join("include"), prefix.join("include")).unwrap();
    let (_sim, config) = simulator(dir.path());
    let out = Command::new("make")
        .arg("-C")
        .arg(ffi.join("../examples/c"))
        .arg(format!("SEGUR_PREFIX={}", prefix.display()))
        .arg(format!("OUT={}", dir.path().join("build").display()))
        .arg(format!("DMP_CONFIG={}", config.display()))
        .arg("run-dmp")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "make run-dmp failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"outcome\":\"fed\""), "{stdout}");
    assert!(
        stdout.contains(&format!("\"unique_id\":\"{UNIQUE_ID}\"")),
        "{stdout}"
    );
    assert!(stdout.contains("\"status\":\"approved\""), "{stdout}");
}
