//! `segur cda inspect|validate` on many files, through the binary: one JSON line per file in
//! input order, a typed error line for a file that cannot be read or is refused, the list of
//! paths on standard input, and the exit status summarising the batch.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn segur() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segur"))
}

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

fn sample(name: &str) -> PathBuf {
    shared().join("ans-kit/ExemplesCDA").join(name)
}

/// The official vaccination note: read and valid.
const VALID: &str = "VAC-NOTE_2023.01.xml";

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// A folder with: an invalid CDA (the vaccination note without its title), a file that is not
/// XML, a folder, and the valid note under a name carrying ESC and U+202E.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cda = std::fs::read_to_string(sample(VALID)).unwrap();
        let invalid = cda.replace("<title>NOTE DE VACCINATION</title>", "");
        assert_ne!(invalid, cda);
        std::fs::write(dir.path().join("invalid.xml"), invalid).unwrap();
        std::fs::write(dir.path().join("not-xml.xml"), "%PDF-1.4 not a CDA").unwrap();
        std::fs::create_dir(dir.path().join("folder.xml")).unwrap();
        std::fs::write(dir.path().join("odd\u{1b}[2J\u{202e}name.xml"), cda).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn file_of(v: &serde_json::Value) -> &str {
    v["file"].as_str().unwrap()
}

#[test]
fn validate_batch_reports_every_file_in_order_and_exits_2_when_one_is_unreadable() {
    let fx = Fixture::new();
    let inputs = [
        sample(VALID),
        fx.path("invalid.xml"),
        fx.path("not-xml.xml"),
        fx.path("missing.xml"),
        fx.path("folder.xml"),
        sample(VALID),
    ];
    let o = segur()
        .args(["cda", "validate"])
        .args(&inputs)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let l = lines(&o);
    assert_eq!(l.len(), inputs.len());
    for (line, input) in l.iter().zip(&inputs) {
        assert_eq!(file_of(line), input.to_str().unwrap());
    }
    assert_eq!(l[0]["status"], "valid");
    assert_eq!(l[0]["errors"], 0);
    assert!(l[0]["findings"].is_array());
    assert_eq!(l[1]["status"], "invalid");
    assert!(l[1]["errors"].as_u64().unwrap() >= 1, "{}", l[1]);
    assert_eq!(l[1]["findings"][0]["severity"], "error");
    assert_eq!(l[2]["status"], "refused");
    assert_eq!(l[2]["error"]["code"], "xml");
    assert_eq!(l[3]["status"], "unreadable");
    assert_eq!(l[3]["error"]["code"], "not-found");
    assert_eq!(l[4]["status"], "unreadable");
    assert_eq!(l[4]["error"]["code"], "is-a-directory");
    assert_eq!(l[5]["status"], "valid");

    // Without the unreadable files: 1 (some invalid or refused); all valid: 0.
    let o = segur()
        .args(["cda", "validate"])
        .args(&inputs[..3])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(lines(&o).len(), 3);
    let o = segur()
        .args(["cda", "validate"])
        .arg(sample(VALID))
        .arg(sample(VALID))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn inspect_batch_summarises_without_patient_data_and_json_gives_the_documents() {
    let fx = Fixture::new();
    let o = segur()
        .args(["cda", "inspect"])
        .arg(sample(VALID))
        .arg(fx.path("not-xml.xml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let l = lines(&o);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0]["status"], "ok");
    let summary = &l[0]["summary"];
    assert_eq!(summary["title"], "NOTE DE VACCINATION");
    assert_eq!(summary["type_code"]["code"], "87273-9");
    assert_eq!(summary["body"]["kind"], "structured");
    assert!(summary["patient_ids"].as_u64().unwrap() >= 1);
    assert!(l[0].get("document").is_none());
    // The patient's identifiers and names are in the full document only.
    let full = segur()
        .args(["cda", "inspect", "--json"])
        .arg(sample(VALID))
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&full.stdout).unwrap();
    let ins = doc["header"]["patient"]["ids"][0]["extension"]
        .as_str()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains(ins));
    assert_eq!(l[1]["status"], "refused");

    // --json in a batch: the document, as the single-file --json prints it.
    let o = segur()
        .args(["cda", "inspect", "--json", "--batch"])
        .arg(sample(VALID))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let l = lines(&o);
    assert_eq!(l.len(), 1);
    assert_eq!(l[0]["document"], doc);
}

#[test]
fn paths_come_from_standard_input_one_per_line() {
    let fx = Fixture::new();
    let mut list = Vec::new();
    write!(list, "{}\r\n\n", sample(VALID).display()).unwrap();
    writeln!(list, "{}", fx.path("invalid.xml").display()).unwrap();
    // No final line break; a line longer than any path.
    list.extend_from_slice(&vec![b'/'; 5000]);
    list.push(b'\n');
    write!(list, "{}", sample("BIO-CR-BIO_2024.01_TSH_1.xml").display()).unwrap();
    let o = with_stdin(segur().args(["cda", "validate", "--batch", "-"]), &list);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let l = lines(&o);
    assert_eq!(l.len(), 4, "{l:?}");
    assert_eq!(file_of(&l[0]), sample(VALID).to_str().unwrap());
    assert_eq!(l[0]["status"], "valid");
    assert_eq!(l[1]["status"], "invalid");
    assert_eq!(l[2]["status"], "unreadable");
    assert_eq!(l[2]["error"]["code"], "path-too-long");
    assert_eq!(
        file_of(&l[3]),
        sample("BIO-CR-BIO_2024.01_TSH_1.xml").to_str().unwrap()
    );

    // Arguments and the list mix, in order.
    let o = with_stdin(
        segur().args(["cda", "inspect", "-"]).arg(sample(VALID)),
        format!("{}\n", fx.path("not-xml.xml").display()).as_bytes(),
    );
    let l = lines(&o);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0]["status"], "refused");
    assert_eq!(l[1]["status"], "ok");

    // Standard input is one list.
    let o = with_stdin(segur().args(["cda", "inspect", "-", "-"]), b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
}

/// Without `--batch`, one file keeps the text output, and `-` is still the CDA itself.
#[test]
fn one_file_keeps_the_text_output_and_dash_is_the_document() {
    let o = segur()
        .args(["cda", "validate"])
        .arg(sample(VALID))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(serde_json::from_slice::<serde_json::Value>(&o.stdout).is_err());
    let cda = std::fs::read(sample(VALID)).unwrap();
    let o = with_stdin(segur().args(["cda", "inspect", "-"]), &cda);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("type:            87273-9"), "{text}");
    let o = segur()
        .args(["cda", "validate", "--batch"])
        .arg(sample(VALID))
        .output()
        .unwrap();
    assert_eq!(lines(&o).len(), 1);
}

/// File names are escaped like any input text: the JSON value is the name, but no ESC or
/// U+202E reaches the terminal.
#[test]
fn paths_are_escaped_in_the_output() {
    let fx = Fixture::new();
    let odd = fx.path("odd\u{1b}[2J\u{202e}name.xml");
    let o = segur()
        .args(["cda", "inspect", "--batch"])
        .arg(&odd)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text}"
    );
    assert!(text.contains("\\u001b[2J\\u202ename.xml"), "{text}");
    assert_eq!(file_of(&lines(&o)[0]), odd.to_str().unwrap());

    // A path that is not UTF-8: its bytes as \xNN, the file still read.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let raw = fx
            .dir
            .path()
            .join(std::ffi::OsStr::from_bytes(b"bad\xff.xml"));
        std::fs::copy(sample(VALID), &raw).unwrap();
        let o = segur()
            .args(["cda", "inspect", "--batch"])
            .arg(&raw)
            .output()
            .unwrap();
        let l = lines(&o);
        assert_eq!(l[0]["status"], "ok");
        assert!(file_of(&l[0]).ends_with("bad\\xff.xml"), "{}", l[0]);
    }
}
