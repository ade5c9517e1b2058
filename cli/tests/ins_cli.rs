//! `segur ins` end to end through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn segur() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segur"))
}

#[test]
fn check_values_reports_each_and_fails_when_one_is_invalid() {
    let out = segur()
        .args([
            "ins",
            "check",
            "1 80 03 2B 020 401",
            "187127644708044",
            "884058832102523",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "OK 180032B02040123\nERR 187127644708044 key-mismatch\nERR 884058832102523 nnp\n"
    );
}

#[test]
fn check_all_valid_exits_zero() {
    let out = segur()
        .args(["ins", "check", "255081416802538", "297022A02077878"])
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn check_file_and_stdin_stream_with_crlf_and_blank_lines() {
    let dir = std::env::temp_dir().join(format!("segur-ins-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("in.txt");
    std::fs::write(
        &f,
        "255081416802538\r\n\n253072A07300443\n253072C07300443\n",
    )
    .unwrap();
    let out = segur()
        .args(["ins", "check", "--file"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "OK 255081416802538\nOK 253072A07300443\nERR 253072C07300443 letter-position\n"
    );
    assert_eq!(out.status.code(), Some(1));

    let mut child = segur()
        .args(["ins", "check", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"180032B02040123\n\xff\xfe\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[0]["matricule"], "180032B02040123");
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(lines[1]["error"], "invalid-utf8");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn normalize_prints_value_or_typed_error() {
    let out = segur()
        .args([
            "ins",
            "normalize",
            "--birth-name",
            "d’Ærtagnan de l’Hérault",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "D'AERTAGNAN DE L'HERAULT\n"
    );
    let out = segur()
        .args(["ins", "normalize", "--given", "Du9pont"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .starts_with("ERR unsupported-char")
    );
}

/// A line with no break is read up to a bound, reported and skipped (memory stays bounded), and
/// the lines after it are still checked; control and bidirectional characters of an invalid
/// line are escaped, never sent to the terminal as they are.
#[test]
fn overlong_lines_are_skipped_and_control_characters_escaped() {
    let mut child = segur()
        .args(["ins", "check", "--file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&vec![b'7'; 10 << 20]).unwrap();
        stdin
            .write_all(b"\n180032B02040123\n\x1b[2J1800\xe2\x80\xae32\n")
            .unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], "ERR - line-too-long");
    assert_eq!(lines[1], "OK 180032B02040123");
    assert!(
        lines[2].starts_with("ERR \\u{1b}[2J1800\\u{202e}32 "),
        "{}",
        lines[2]
    );
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'));
}
