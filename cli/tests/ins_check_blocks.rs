//! `segur ins check --file` reads in 256 KiB blocks: lines of every length, CRLF, blank lines,
//! lines over the 4096-byte limit and non-UTF-8 bytes fall across block boundaries, and the
//! output must be what checking each line on its own gives (segur_ins::Matricule::parse, the
//! library the command uses, line by line here).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_ins::Matricule;
use std::process::Command;

/// A deterministic mix of line forms (xorshift, no seed dependency).
fn input() -> Vec<u8> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = Vec::new();
    while out.len() < 3 << 20 {
        let r = next();
        let body = 1_000_000_000_000 + r % 999_999_999_999;
        let key = 97 - body % 97;
        match r % 11 {
            0 => out.extend_from_slice(format!("{body}{key:02}\r\n").as_bytes()),
            1 => out.extend_from_slice(b"\n"),
            2 => out.extend_from_slice(format!("{body}\n").as_bytes()),
            3 => {
                let s = format!("{body}{key:02}");
                out.extend_from_slice(format!("{} {}\n", &s[..7], &s[7..]).as_bytes());
            }
            4 => out.extend_from_slice(format!("{body}{:02}\n", (key + 1) % 100).as_bytes()),
            5 if r % 53 == 0 => {
                // Over the limit: reported once, the rest of the line skipped.
                out.extend(std::iter::repeat_n(b'7', 4000 + (r % 9000) as usize));
                out.push(b'\n');
            }
            6 => out.extend_from_slice(b"18003\xff2B02040123\n"),
            7 => out.extend_from_slice(b"2530\xc3\xa972A07300443\n"),
            _ => out.extend_from_slice(format!("{body}{key:02}\n").as_bytes()),
        }
    }
    out
}

/// What the command must print for `input`, line by line.
fn expected(input: &[u8]) -> String {
    let mut out = String::new();
    let mut lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    if input.ends_with(b"\n") {
        lines.pop();
    }
    for line in lines {
        if line.len() > 4096 {
            out.push_str("ERR - line-too-long\n");
            continue;
        }
        let mut l = line;
        while let [rest @ .., b'\r' | b'\n'] = l {
            l = rest;
        }
        if l.is_empty() {
            continue;
        }
        match std::str::from_utf8(l) {
            Err(_) => {
                let shown: String = l
                    .utf8_chunks()
                    .map(|c| {
                        let mut s = c.valid().to_owned();
                        for b in c.invalid() {
                            s.push_str(&format!("\\x{b:02x}"));
                        }
                        s
                    })
                    .collect();
                out.push_str(&format!("ERR {shown} invalid-utf8\n"));
            }
            Ok(s) => match Matricule::parse(s) {
                Ok(m) => out.push_str(&format!("OK {}\n", m.expose())),
                Err(e) => out.push_str(&format!("ERR {s} {}\n", e.code())),
            },
        }
    }
    out
}

#[test]
fn block_reads_give_the_line_by_line_verdicts() {
    let input = input();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("mixed.txt");
    std::fs::write(&f, &input).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(["ins", "check", "--file"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let got = String::from_utf8(o.stdout).unwrap();
    let want = expected(&input);
    assert!(want.lines().count() > 50_000, "{}", want.lines().count());
    assert!(want.contains("line-too-long") && want.contains("invalid-utf8"));
    if got != want {
        let first = got
            .lines()
            .zip(want.lines())
            .position(|(g, w)| g != w)
            .unwrap_or(got.lines().count().min(want.lines().count()));
        panic!(
            "differs from line {first}: got {:?}, want {:?}",
            got.lines().nth(first),
            want.lines().nth(first)
        );
    }
}
