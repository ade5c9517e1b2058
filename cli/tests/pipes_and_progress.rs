//! Every command ends quietly when the reader of its output closes the pipe early (`segur ...
//! | head -1`): exit status 141, nothing on standard error, no panic. Batch runs draw a
//! progress line on standard error only when it is a terminal (a real pseudo-terminal here),
//! never in a pipe.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

fn segur() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segur"))
}

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

const VALID: &str = "ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml";

/// The status of a command whose output reader closed the pipe (128 + SIGPIPE).
const BROKEN_PIPE: i32 = 141;

/// `n` valid matricules, one per line (keys computed as `97 - N mod 97`).
fn matricules(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 16);
    for i in 0..n {
        let body = 1_800_320_000_001u64 + (i as u64 % 999);
        let body = body + (i as u64 / 999) * 1000 * 10;
        let key = 97 - body % 97;
        writeln!(out, "{body}{key:02}").unwrap();
    }
    out
}

/// Runs `cmd` with a standard output whose read end is already closed: its first write fails
/// with EPIPE, whatever the timing.
fn run_into_closed_pipe(cmd: &mut Command) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    cmd.stdout(writer)
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    cmd.output().unwrap()
}

#[test]
fn commands_writing_to_a_closed_pipe_exit_141_quietly() {
    let cda = shared().join(VALID);
    let cases: Vec<Vec<std::ffi::OsString>> = vec![
        vec!["cda".into(), "validate".into(), cda.clone().into()],
        vec!["cda".into(), "inspect".into(), cda.clone().into()],
        vec![
            "cda".into(),
            "inspect".into(),
            "--json".into(),
            cda.clone().into(),
        ],
        vec![
            "cda".into(),
            "validate".into(),
            cda.clone().into(),
            cda.clone().into(),
        ],
        vec!["cda".into(), "example".into(), "vaccination-note".into()],
        vec!["ins".into(), "check".into(), "180032B02040123".into()],
        vec!["ins".into(), "decode".into(), "180032B02040123".into()],
        vec![
            "ins".into(),
            "normalize".into(),
            "--given".into(),
            "Élise".into(),
        ],
    ];
    for args in cases {
        let o = run_into_closed_pipe(segur().args(&args));
        assert_eq!(
            o.status.code(),
            Some(BROKEN_PIPE),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            o.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// The audit export writes through segur-access, which turns I/O errors into its own.
#[test]
fn audit_export_to_a_closed_pipe_exits_141_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("access.db");
    let init = segur()
        .args(["access", "--db"])
        .arg(&db)
        .arg("init")
        .env_remove("SEGUR_ACCESS_KEY_FILE")
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let o = run_into_closed_pipe(
        segur()
            .args(["access", "--db"])
            .arg(&db)
            .args(["audit", "export"])
            .env_remove("SEGUR_ACCESS_KEY_FILE"),
    );
    assert_eq!(o.status.code(), Some(BROKEN_PIPE));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `segur ins check --file big | head -1`: the reader takes one line and closes the pipe while
/// the command is still writing.
#[test]
fn ins_check_file_stops_quietly_when_the_reader_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("nirs.txt");
    std::fs::write(&f, matricules(200_000)).unwrap();
    let mut child = segur()
        .args(["ins", "check", "--file"])
        .arg(&f)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("OK 1800320000001"), "{first}");
    // The reader is dropped here: the pipe is closed with megabytes still to write.
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(BROKEN_PIPE));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A pseudo-terminal: the master to read what is drawn, the slave path to give a process.
fn pty() -> (std::fs::File, PathBuf) {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let path = PathBuf::from(name.to_str().unwrap());
    (std::fs::File::from(master), path)
}

/// Feeds `segur ins check --file -` two halves a second apart, so the run lasts longer than the
/// progress interval, with standard error on `stderr`; returns what standard error received
/// (through `read_stderr`) and the standard output.
fn slow_check(stderr: Stdio) -> Vec<u8> {
    // Standard output goes to a file: a pipe nobody reads yet would fill and stop the command.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    let mut child = segur()
        .args(["ins", "check", "--file", "-"])
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let input = matricules(20_000);
    let (first, second) = input.split_at(input.len() / 2);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(first).unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    stdin.write_all(second).unwrap();
    drop(stdin);
    let mut stderr = Vec::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_end(&mut stderr).unwrap();
    }
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let written = std::fs::read(&out).unwrap();
    assert_eq!(written.iter().filter(|&&b| b == b'\n').count(), 20_000);
    stderr
}

#[test]
fn progress_is_drawn_on_a_terminal_and_erased() {
    let (mut master, slave) = pty();
    let stderr = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&slave)
        .unwrap();
    // The terminal is read while the command runs (a full terminal buffer would block it).
    let drawn = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        // Reading the master ends with EIO once no process holds the slave any more.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        all
    });
    slow_check(Stdio::from(stderr));
    let drawn = String::from_utf8(drawn.join().unwrap()).unwrap();
    // "\r<count> lines (<rate>/s)\x1b[K", drawn once the run passed the interval.
    let draw = drawn
        .split('\r')
        .find(|d| d.contains(" lines ("))
        .unwrap_or_else(|| panic!("no progress line: {drawn:?}"));
    let count: u64 = draw.split(' ').next().unwrap().parse().unwrap();
    assert!((1..=20_000).contains(&count), "{drawn:?}");
    assert!(draw.ends_with("/s)\u{1b}[K"), "{drawn:?}");
    assert!(
        drawn.ends_with("\r\u{1b}[K"),
        "the line is erased at the end: {drawn:?}"
    );
}

/// A batch of documents whose list of paths arrives in two halves a second apart: the count of
/// files is drawn on the terminal, and erased at the end.
#[test]
fn cda_batch_progress_is_drawn_on_a_terminal() {
    let (mut master, slave) = pty();
    let stderr = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&slave)
        .unwrap();
    let drawn = std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = master.read_to_end(&mut all);
        all
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let mut child = segur()
        .args(["cda", "validate", "--batch", "-"])
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(Stdio::from(stderr))
        .spawn()
        .unwrap();
    let line = format!("{}\n", shared().join(VALID).display());
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(line.repeat(3).as_bytes()).unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    stdin.write_all(line.repeat(3).as_bytes()).unwrap();
    drop(stdin);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 6);
    let drawn = String::from_utf8_lossy(&drawn.join().unwrap()).into_owned();
    let draw = drawn
        .split('\r')
        .find(|d| d.contains(" files ("))
        .unwrap_or_else(|| panic!("no progress line: {drawn:?}"));
    let count: u64 = draw.split(' ').next().unwrap().parse().unwrap();
    assert!((1..=6).contains(&count), "{drawn:?}");
    assert!(drawn.ends_with("\r\u{1b}[K"), "{drawn:?}");
}

#[test]
fn no_progress_in_a_pipe() {
    let stderr = slow_check(Stdio::piped());
    assert!(stderr.is_empty(), "{}", String::from_utf8_lossy(&stderr));
}

#[test]
fn no_progress_for_a_cda_batch_in_a_pipe() {
    let cda = shared().join(VALID);
    let o = segur()
        .args(["cda", "validate"])
        .args(std::iter::repeat_n(&cda, 50))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
