//! `segur dmp feed --xdm FILE [--document N ...|--all] [--json]` end to end through the
//! binaries: `segur dmp simulate` as a process, an IHE_XDM.ZIP made by `segur xdm pack` from a
//! VAC-NOTE (and a PDF), its documents listed, the CDA fed, found and read back identical; a
//! package whose identity is not a qualified INS refused with exit 2 and nothing sent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use segur_dmp_cda::build::{DocumentInput, examples};
use segur_dmp_cda::read::ReadLimits;

mod common;
use common::simulate;

fn segur(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(args)
        .output()
        .unwrap()
}

fn expect(code: i32, args: &[&str]) -> String {
    let out = segur(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "segur {args:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut text = String::from_utf8(out.stdout).unwrap();
    text.push_str(&String::from_utf8(out.stderr).unwrap());
    text
}

fn pack(dir: &Path, cda: &str, pdf: bool, extra: &[&str]) -> PathBuf {
    let cda_file = dir.join("doc.xml");
    std::fs::write(&cda_file, cda).unwrap();
    let pdf_file = dir.join("doc.pdf");
    std::fs::write(&pdf_file, b"%PDF-1.4\n%%EOF\n").unwrap();
    let zip = dir.join(format!("IHE_XDM-{}.ZIP", extra.len() + usize::from(pdf)));
    let mut args = vec![
        "xdm",
        "pack",
        "--cda",
        cda_file.to_str().unwrap(),
        "-o",
        zip.to_str().unwrap(),
        "--organization",
        "Centre de vaccination (FINESS 750000001)",
        "--contact",
        "centre@test.mssante.fr",
    ];
    if pdf {
        args.extend(["--pdf", pdf_file.to_str().unwrap()]);
    }
    args.extend(extra);
    expect(0, &args);
    zip
}

#[test]
fn feed_from_a_received_xdm() {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("config");
    let _sim = simulate(&config_dir);
    let config = config_dir.join("dmp.toml");
    let config = config.to_str().unwrap();

    let input: DocumentInput =
        serde_json::from_value(examples::example_json("vaccination-note").unwrap()).unwrap();
    let cda = input.build().unwrap();
    let header = segur_dmp_cda::read_header(cda.as_bytes(), &ReadLimits::default()).unwrap();
    let m = header
        .patient
        .ins()
        .unwrap()
        .unwrap()
        .matricule()
        .expose()
        .to_owned();
    let zip = pack(dir.path(), &cda, true, &[]);
    let zip = zip.to_str().unwrap();

    // Without a choice: the list, nothing fed.
    let listed: serde_json::Value = serde_json::from_str(&expect(
        0,
        &["dmp", "--config", config, "feed", "--xdm", zip, "--json"],
    ))
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed[0]["kind"], "cda");
    assert_eq!(listed[0]["feedable"], true, "{listed}");
    assert_eq!(listed[1]["kind"], "not_cda");
    assert_eq!(listed[1]["feedable"], false);
    assert!(
        !listed.to_string().contains(&m),
        "no patient data in {listed}"
    );
    let text = expect(0, &["dmp", "--config", config, "feed", "--xdm", zip]);
    assert!(
        text.starts_with("0\tcda\tIHE_XDM/SUBSET01/DOC0001.XML\t"),
        "{text}"
    );
    assert!(text.contains("\n1\tnot-cda\t"), "{text}");
    let none: Vec<serde_json::Value> = serde_json::from_str(&expect(
        0,
        &["dmp", "--config", config, "find", "--ins", &m, "--json"],
    ))
    .unwrap();
    assert!(none.is_empty(), "{none:?}");

    // The PDF alone cannot be fed (exit 2); --cda and --xdm exclude each other (clap, exit 2).
    let out = expect(
        2,
        &[
            "dmp",
            "--config",
            config,
            "feed",
            "--xdm",
            zip,
            "--document",
            "1",
        ],
    );
    assert!(out.contains("document 1: not a CDA"), "{out}");
    expect(
        2,
        &[
            "dmp", "--config", config, "feed", "--xdm", zip, "--cda", zip,
        ],
    );

    // --document 0: fed.
    let fed: serde_json::Value = serde_json::from_str(&expect(
        0,
        &[
            "dmp",
            "--config",
            config,
            "feed",
            "--xdm",
            zip,
            "--document",
            "0",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(fed[0]["outcome"], "fed", "{fed}");
    let unique_id = fed[0]["unique_id"].as_str().unwrap().to_owned();
    assert_eq!(unique_id, header.id.to_xds());

    // Found, and read back byte for byte.
    let found: Vec<serde_json::Value> = serde_json::from_str(&expect(
        0,
        &["dmp", "--config", config, "find", "--ins", &m, "--json"],
    ))
    .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["unique_id"], unique_id.as_str());
    let got = dir.path().join("got.xml");
    expect(
        0,
        &[
            "dmp",
            "--config",
            config,
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

    // --all again: the DMP refuses the duplicate (exit 1), the PDF is reported.
    let out = expect(
        1,
        &["dmp", "--config", config, "feed", "--xdm", zip, "--all"],
    );
    assert!(
        out.contains("0 IHE_XDM/SUBSET01/DOC0001.XML failed"),
        "{out}"
    );
    assert!(
        out.contains("1 IHE_XDM/SUBSET01/DOC0002.PDF not_cda"),
        "{out}"
    );

    // A legacy INS-C identity: refused with exit 2 before anything is sent.
    let ins_c = cda.replace(
        "root=\"1.2.250.1.213.1.4.10\"",
        "root=\"1.2.250.1.213.1.4.2\"",
    );
    assert_ne!(ins_c, cda);
    let other = tempfile::tempdir().unwrap();
    let zip_c = pack(other.path(), &ins_c, false, &["--local-patient-id"]);
    let out = expect(
        2,
        &[
            "dmp",
            "--config",
            config,
            "feed",
            "--xdm",
            zip_c.to_str().unwrap(),
            "--all",
        ],
    );
    assert!(
        out.contains("is not a qualified INS (legacy INS-C)"),
        "{out}"
    );
    assert!(!out.contains(&m), "{out}");
}
