//! The command lines of `segur dmp` end to end through the binaries, as other tools run them:
//! `segur dmp simulate --listen 127.0.0.1:0 --write-config DIR` started as a process, then
//! `segur dmp --config DIR/dmp.toml status|feed|find|get|mask|unmask|archive|delete` against it,
//! with exit 0 on success, 1 on a refusal by the DMP, 2 on any other error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

use segur_dmp_cda::build::{DocumentInput, PreviousVersion, examples};
use segur_dmp_cda::read::ReadLimits;

mod common;
use common::simulate;

struct Cli {
    config: PathBuf,
}

impl Cli {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_segur"))
            .arg("dmp")
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs and checks the exit code; returns stdout.
    fn expect(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "segur dmp {args:?}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn find(&self, ins: &str, status: &str) -> Vec<serde_json::Value> {
        let out = self.expect(0, &["find", "--ins", ins, "--status", status, "--json"]);
        serde_json::from_str(&out).unwrap()
    }
}

fn vac_note_input() -> DocumentInput {
    serde_json::from_value(examples::example_json("vaccination-note").unwrap()).unwrap()
}

fn sha1_hex(bytes: &[u8]) -> String {
    segur_dmp_cda::xds::sha1_hex(bytes)
}

#[test]
fn every_command_line_against_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("config");
    let _sim = simulate(&config_dir);
    let cli = Cli {
        config: config_dir.join("dmp.toml"),
    };

    let cda = vac_note_input().build().unwrap();
    let cda_file = dir.path().join("vac-note.xml");
    std::fs::write(&cda_file, &cda).unwrap();
    let header = segur_dmp_cda::read_header(cda.as_bytes(), &ReadLimits::default()).unwrap();
    let ins = header.patient.ins().unwrap().unwrap();
    let m = ins.matricule().expose().to_owned();
    let cda_file_arg = cda_file.to_str().unwrap();

    // TD0.2
    let status: serde_json::Value =
        serde_json::from_str(&cli.expect(0, &["status", "--ins", &m, "--json"])).unwrap();
    assert_eq!(status["state"], "active", "{status}");

    // TD2.1
    let fed: serde_json::Value =
        serde_json::from_str(&cli.expect(0, &["feed", "--cda", cda_file_arg, "--json"])).unwrap();
    assert_eq!(fed["outcome"], "fed", "{fed}");
    let unique_id = fed["unique_id"].as_str().unwrap().to_owned();

    // The same note again: the DMP refuses the duplicate uniqueId (exit 1).
    cli.expect(1, &["feed", "--cda", cda_file_arg, "--json"]);

    // TD3.1 with the keys of the contract.
    let entries = cli.find(&m, "approved");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    for key in [
        "unique_id",
        "entry_uuid",
        "type_code",
        "status",
        "hash",
        "size",
        "creation_time",
    ] {
        assert!(
            e.get(key).is_some_and(|v| !v.is_null()),
            "{key} missing: {e}"
        );
    }
    assert_eq!(e["unique_id"], unique_id.as_str());
    assert!(e["entry_uuid"].as_str().unwrap().starts_with("urn:uuid:"));
    assert_eq!(e["type_code"], "87273-9");
    assert_eq!(e["status"], "approved");
    assert_eq!(e["hash"], sha1_hex(cda.as_bytes()).as_str());
    assert_eq!(e["size"], cda.len() as u64);
    let by_type = cli.expect(
        0,
        &["find", "--ins", &m, "--type-code", "87273-9", "--json"],
    );
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&by_type)
            .unwrap()
            .len(),
        1
    );
    let other_type = cli.expect(
        0,
        &["find", "--ins", &m, "--type-code", "11488-4", "--json"],
    );
    assert!(
        serde_json::from_str::<Vec<serde_json::Value>>(&other_type)
            .unwrap()
            .is_empty()
    );

    // TD3.2: identical bytes.
    let got = dir.path().join("got.xml");
    cli.expect(
        0,
        &[
            "get",
            "--ins",
            &m,
            "--unique-id",
            &unique_id,
            "-o",
            got.to_str().unwrap(),
        ],
    );
    assert_eq!(std::fs::read(&got).unwrap(), cda.as_bytes());

    // Replacement: the old one Deprecated.
    let mut input = vac_note_input();
    input
        .header_mut()
        .replace(PreviousVersion::of(&header).unwrap());
    let cda2 = input.build().unwrap();
    let cda2_file = dir.path().join("vac-note-2.xml");
    std::fs::write(&cda2_file, &cda2).unwrap();
    let fed2: serde_json::Value = serde_json::from_str(&cli.expect(
        0,
        &[
            "feed",
            "--cda",
            cda2_file.to_str().unwrap(),
            "--replaces",
            &unique_id,
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(fed2["replaces"], unique_id.as_str());
    let current = fed2["unique_id"].as_str().unwrap().to_owned();
    let deprecated = cli.find(&m, "deprecated");
    assert_eq!(deprecated.len(), 1);
    assert_eq!(deprecated[0]["unique_id"], unique_id.as_str());

    // TD3.3
    let t = |cmd: &'static str| [cmd, "--ins", m.as_str(), "--unique-id", current.as_str()];
    cli.expect(0, &t("mask"));
    let masked = cli.find(&m, "approved");
    assert!(
        masked[0]["confidentiality"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "MASQUE_PS"),
        "{masked:?}"
    );
    cli.expect(0, &t("unmask"));
    cli.expect(0, &t("archive"));
    assert!(cli.find(&m, "approved").is_empty());
    cli.expect(0, &t("delete"));
    assert!(
        cli.find(&m, "all")
            .iter()
            .all(|e| e["unique_id"] != current.as_str() || e["status"] == "deprecated")
    );

    // Any other error (exit 2): an unknown uniqueId, a missing CDA file, an unknown config.
    cli.expect(
        2,
        &["archive", "--ins", &m, "--unique-id", "1.2.250.1.999.404"],
    );
    cli.expect(
        2,
        &[
            "feed",
            "--cda",
            dir.path().join("absent.xml").to_str().unwrap(),
        ],
    );
    let missing = Cli {
        config: dir.path().join("absent.toml"),
    };
    missing.expect(2, &["status", "--ins", &m]);
}
