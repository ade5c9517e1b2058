//! `segur demo` runs on embedded defaults, shows each step's outcome and leaves real artefacts:
//! each file INDEX.md lists exists and its read-back command succeeds on it; the CDA files pass
//! the ANS kit, the archive `unzip -t`, the message Python's `email` parser; the output folder
//! never loses a user's file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

fn demo(out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_segur"))
        .arg("demo")
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A demo output folder, written once for the tests that only read it.
fn output() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = demo(dir.path(), &[]);
        assert!(out.status.success(), "{}", text(&out));
        dir
    })
    .path()
}

/// The rows of INDEX.md: (file, read-back command).
fn index(dir: &Path) -> Vec<(String, String)> {
    let index = std::fs::read_to_string(dir.join("INDEX.md")).unwrap();
    index
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            let cell = |i: usize| cells[i].trim_matches(['|', ' ', '`']).to_owned();
            (cell(0), cell(cells.len() - 1))
        })
        .collect()
}

/// Runs a read-back command from `dir`: `segur` is the binary under test; any other tool must
/// be installed (scripts/install-deps).
fn run_read_back(dir: &Path, command: &str) -> Output {
    let mut words = command.split_whitespace();
    let program = words.next().unwrap();
    let mut cmd = if program == "segur" {
        Command::new(env!("CARGO_BIN_EXE_segur"))
    } else {
        Command::new(program)
    };
    cmd.args(words)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program} cannot run ({e}): scripts/install-deps installs it"))
}

#[test]
fn demo_runs_offline_and_reaches_a_qualified_identity() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path(), &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("card           cps3, serial 0000002026, PIN 3/3 tries left"));
    assert!(
        text.contains("Authentication: 899700000001 AUTH TEST"),
        "{text}"
    );
    assert!(
        text.contains("wrong PIN      refused, 2 tries left"),
        "{text}"
    );
    assert!(text.contains("PIN            verified (the test card's PIN), 3 tries left"));
    assert!(text.contains("beneficiaries  1"));
    assert!(text.contains("holder         ECETINSI PIERRE-ALAIN, born 20090714"));
    assert!(text.contains("card's key     the same"));
    assert!(text.contains("1 09 07 63 220 834 89"));
    assert!(text.contains("\"Ecétinsi\" → \"ECETINSI\""));
    assert!(text.contains("Qualifiee"));
    assert!(text.contains("109076322083489^^^&1.2.250.1.213.1.4.8&ISO^NH"));
    assert!(text.contains("0 validation finding(s)"), "{text}");
    assert!(text.contains("type 87273-9"));
    assert!(text.contains("patient INS checked: true"));
    assert!(
        text.contains("TROD           ") && text.contains("type 96173-0"),
        "{text}"
    );
    assert!(
        text.contains("type 56445-0 (Bilan médicamenteux (Officine)), PDF body of"),
        "{text}"
    );
    assert!(text.contains("read back identical: true"));
    assert!(text.contains("TD2.1 feed     Success"), "{text}");
    assert!(
        text.contains("TD3.1 find     3 document(s) for the patient"),
        "{text}"
    );
    assert!(text.contains("TD3.1 find     87273-9 approved"), "{text}");
    assert!(text.contains("identical to the note fed: true"), "{text}");
    assert!(text.contains("X-MSS-CODECDA  87273-9"));
    assert!(text.contains("X-MSS-INS      O"));
    assert!(text.contains("same INS data: true"), "{text}");
    assert!(text.contains("detected       an AZERTY scanner on a QWERTY workstation"));
    assert!(text.contains("repaired       DC04FR000001"));
    assert!(
        text.contains("Pro Santé Connect  not yet available"),
        "{text}"
    );
    assert!(text.contains("lists each file and the command that reads it back"));
}

#[test]
fn redacted_demo_shows_no_patient_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path(), &["--redacted"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    for secret in ["1090763", "ECETINSI", "PIERRE-ALAIN", "20090714"] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
}

/// The output folder's name comes from the user: shown escaped, never raw to the terminal.
#[test]
fn the_folder_name_is_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(&dir.path().join("demo\u{1b}]0;title\u{7}"), &[]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{7}'));
    assert!(stdout.contains("demo\\u{1b}]0;title\\u{7}"), "{stdout}");
}

#[test]
fn every_indexed_file_exists_and_its_read_back_command_succeeds() {
    let dir = output();
    let rows = index(dir);
    let names: Vec<&str> = rows.iter().map(|(f, _)| f.as_str()).collect();
    for expected in [
        "cards.json",
        "vaccination-note.xml",
        "trod.xml",
        "bpm.xml",
        "bpm.pdf",
        "dmp-find.json",
        "dmp-retrieved.xml",
        "IHE_XDM.ZIP",
        "message.eml",
        "ins-datamatrix.png",
        "qualified-identity.json",
    ] {
        assert!(names.contains(&expected), "{expected} not in INDEX.md");
    }
    for (file, command) in &rows {
        let path = dir.join(file);
        assert!(
            std::fs::metadata(&path).unwrap().len() > 0,
            "{file} is empty"
        );
        assert!(
            command.split_whitespace().any(|w| w == file),
            "the command of {file} does not name it: {command}"
        );
        let out = run_read_back(dir, command);
        assert!(
            out.status.success(),
            "`{command}` failed on {file}:\n{}",
            text(&out)
        );
    }
    // Nothing else than the indexed files, the index and the marker.
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = rows.iter().map(|(f, _)| f.clone()).collect();
    listed.extend(["INDEX.md".to_owned(), ".segur-demo".to_owned()]);
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn read_back_commands_show_what_the_demo_wrote() {
    let dir = output();
    let ok = |command: &str| {
        let out = run_read_back(dir, command);
        assert!(out.status.success(), "{command}: {}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let pdf = ok("pdftotext bpm.pdf -");
    assert!(pdf.contains("Bilan partagé de médication"), "{pdf}");
    // The PDF next to the BPM is its body, byte for byte.
    let bpm: serde_json::Value =
        serde_json::from_str(&ok("segur cda inspect --json bpm.xml")).unwrap();
    let body = bpm.to_string();
    assert!(body.contains("application/pdf"), "{body}");
    let inspect = ok("segur cda inspect bpm.xml");
    let pdf_len = std::fs::metadata(dir.join("bpm.pdf")).unwrap().len();
    assert!(
        inspect.contains(&format!(
            "body:            application/pdf ({pdf_len} bytes)"
        )),
        "{inspect}"
    );
    assert_eq!(ok("segur cda validate trod.xml").trim(), "OK: no finding");
    let xdm = ok("segur xdm inspect IHE_XDM.ZIP");
    assert!(
        xdm.contains("type 87273-9") && xdm.contains("(hash and size verified)"),
        "{xdm}"
    );
    let matrix = ok("segur 2ddoc parse ins-datamatrix.png");
    assert!(matrix.contains("matricule: 109076322083489"), "{matrix}");
    assert!(ok("segur qr decode ins-datamatrix.png").starts_with("datamatrix IS01"));
    // The identity written rebuilds the very symbol of the image.
    let payload = ok("segur 2ddoc ins-datamatrix qualified-identity.json");
    let scanned = ok("segur qr decode ins-datamatrix.png");
    assert_eq!(scanned.trim(), format!("datamatrix {}", payload.trim()));
    // The DMP's answer names the note fed, and the document read back is the note.
    let found: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("dmp-find.json")).unwrap()).unwrap();
    let mut types: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type_code"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(types, ["56445-0", "87273-9", "96173-0"]);
    assert_eq!(
        std::fs::read(dir.join("dmp-retrieved.xml")).unwrap(),
        std::fs::read(dir.join("vaccination-note.xml")).unwrap()
    );
    let cards: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("cards.json")).unwrap()).unwrap();
    assert_eq!(cards["cps"]["card"], "cps3");
    assert_eq!(cards["cps"]["pin"]["tries_left"], 3);
    assert_eq!(cards["vitale"]["beneficiaries"], 1);
    assert!(!cards.to_string().contains("ECETINSI"));
    let message = ok("segur mss read message.eml");
    let message: serde_json::Value = serde_json::from_str(&message).unwrap();
    assert_eq!(message["x_mss_ins"], "O");
}

#[test]
fn the_archive_passes_unzip_and_the_message_parses_as_mime_with_it_attached() {
    let dir = output();
    let unzip = Command::new("unzip")
        .args(["-t", "IHE_XDM.ZIP"])
        .current_dir(dir)
        .output()
        .expect("unzip (scripts/install-deps)");
    assert!(unzip.status.success(), "{}", text(&unzip));
    assert!(String::from_utf8_lossy(&unzip.stdout).contains("No errors detected"));
    // Python's email package (RFC 5322 + MIME), as a mail client reads the file: no defect,
    // a plain-text part, and the archive attached byte for byte.
    let script = r#"
import email, email.policy, sys
msg = email.message_from_binary_file(open("message.eml", "rb"), policy=email.policy.default)
defects = list(msg.defects) + [d for p in msg.walk() for d in p.defects]
assert not defects, defects
assert msg["Subject"] == "XDM/1.0/DDM+Note de vaccination", msg["Subject"]
assert msg["X-MSS-CODECDA"] == "87273-9"
body = msg.get_body(preferencelist=("plain",)).get_content()
assert "note de vaccination" in body, body
zips = [p for p in msg.iter_attachments() if p.get_filename() == "IHE_XDM.ZIP"]
assert len(zips) == 1, [p.get_filename() for p in msg.iter_attachments()]
assert zips[0].get_payload(decode=True) == open("IHE_XDM.ZIP", "rb").read()
print("ok")
"#;
    let py = Command::new("python3")
        .args(["-c", script])
        .current_dir(dir)
        .output()
        .expect("python3 (scripts/install-deps)");
    assert!(py.status.success(), "{}", text(&py));
}

/// The CDA files pass the official ANS kit (XSD, structuration minimale, the VAC-NOTE and
/// BIO-TROD volets, the generic content models) through dmp-cda's batch runner, which gives
/// the verdicts of shared/tools/cda-validate. The BPM has no volet in the kit: structuration
/// minimale and content models only.
#[test]
fn the_cda_files_pass_the_ans_kit() {
    let dir = output();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dmp-cda/tests/kit/validate_batch.py"
    );
    let files = [
        "vaccination-note.xml",
        "trod.xml",
        "bpm.xml",
        "dmp-retrieved.xml",
    ];
    let out = Command::new("python3")
        .arg(script)
        .arg("--content-models")
        .arg(shared().join("ans-kit"))
        .args(files)
        .current_dir(dir)
        .env("SEGUR_SHARED", shared())
        .output()
        .expect("python3 with saxonche and xmllint (scripts/install-deps)");
    let report = text(&out);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("kit: 4 passed, 0 failed"), "{report}");
    assert!(
        report.contains("PASS vaccination-note.xml")
            && report.contains("CI-SIS_VAC-NOTE_2023.01.sch=0"),
        "{report}"
    );
    assert!(
        report.contains("PASS trod.xml") && report.contains("CI-SIS_BIO-TROD_2024.01.sch=0"),
        "{report}"
    );
}

#[test]
fn a_folder_of_other_files_is_refused_unless_forced_and_its_files_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("notes.txt");
    std::fs::write(&mine, "my notes").unwrap();
    std::fs::write(dir.path().join("bpm.pdf"), "my own bpm.pdf").unwrap();

    let refused = demo(dir.path(), &[]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("is not empty and is not a previous `segur demo` output: nothing was written"),
        "{err}"
    );
    assert!(refused.stdout.is_empty());
    let mut left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["bpm.pdf", "notes.txt"]);
    assert_eq!(
        std::fs::read(dir.path().join("bpm.pdf")).unwrap(),
        b"my own bpm.pdf"
    );

    let forced = demo(dir.path(), &["--force"]);
    assert!(forced.status.success(), "{}", text(&forced));
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my notes");
    assert!(dir.path().join("INDEX.md").exists());
}

#[test]
fn a_previous_output_is_rewritten_and_a_planted_link_is_replaced_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    assert!(demo(&out, &[]).status.success());
    // A link at a demo file name, pointing outside the folder.
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, "outside").unwrap();
    std::fs::remove_file(out.join("bpm.pdf")).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("bpm.pdf")).unwrap();

    let again = demo(&out, &[]);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "outside");
    let meta = std::fs::symlink_metadata(out.join("bpm.pdf")).unwrap();
    assert!(meta.file_type().is_file());
    assert!(
        std::fs::read(out.join("bpm.pdf"))
            .unwrap()
            .starts_with(b"%PDF-")
    );
    // No leftover of the write-then-rename.
    assert!(std::fs::read_dir(&out).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".partial")
    }));
}

#[test]
fn an_output_path_that_is_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("segur-demo");
    std::fs::write(&file, "a file").unwrap();
    let out = demo(&file, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists and is not a folder"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "a file");
}

#[test]
fn without_out_the_demo_writes_segur_demo_in_the_current_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .arg("demo")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(dir.path().join("segur-demo/INDEX.md").is_file());
    assert!(dir.path().join("segur-demo/message.eml").is_file());
}
