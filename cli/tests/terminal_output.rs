//! No command echoes raw control or bidirectional characters from its input to the terminal:
//! one test per command family, through the binary (xdm: tests/xdm_cli.rs; ins check:
//! tests/ins_cli.rs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn segur() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segur"))
}

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

/// ESC, CSI (C1), DEL, RLO, LRI, PDI: what must never reach a terminal raw.
const UNSAFE: [char; 6] = [
    '\u{1b}', '\u{9b}', '\u{7f}', '\u{202e}', '\u{2066}', '\u{2069}',
];

fn assert_clean(o: &Output, what: &str) {
    for (name, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.chars().any(|c| UNSAFE.contains(&c)),
            "{what} {name}: {text:?}"
        );
    }
}

/// XML 1.0 allows C1 controls and bidi characters in text: a title carrying them.
#[test]
fn cda_inspect_and_validate() {
    let cda = std::fs::read_to_string(shared().join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml"))
        .unwrap()
        .replace(
            "<title>NOTE DE VACCINATION</title>",
            "<title>NOTE\u{9b}31m \u{202e}NOITANICCAV\u{2066}x\u{2069}\u{7f}</title>",
        );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("t.xml");
    std::fs::write(&f, cda).unwrap();
    let o = segur().args(["cda", "inspect"]).arg(&f).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_clean(&o, "cda inspect");
    let text = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(
        text.contains("NOTE\\u{9b}31m \\u{202e}NOITANICCAV\\u{2066}x\\u{2069}\\u{7f}"),
        "{text}"
    );
    let o = segur()
        .args(["cda", "inspect", "--json"])
        .arg(&f)
        .output()
        .unwrap();
    assert_clean(&o, "cda inspect --json");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["header"]["title"], "NOTE\u{9b}31m \u{202e}NOITANICCAV\u{2066}x\u{2069}\u{7f}",
        "the JSON value is unchanged"
    );
    let o = segur().args(["cda", "validate"]).arg(&f).output().unwrap();
    assert_clean(&o, "cda validate");
}

/// A received message whose subject and sender name carry an ESC sequence and U+202E.
#[test]
fn mss_read() {
    let eml = "From: =?UTF-8?B?RXZpbBtbMm0g4oCuZmRwLmV4ZQ==?= <a@test.mssante.fr>\r\n\
               To: b@test.mssante.fr\r\n\
               Subject: =?UTF-8?B?G1szMW1yZWQg4oCuZXhl?=\r\n\
               Message-ID: <1@test.mssante.fr>\r\n\
               Date: Sun, 6 Dec 2026 10:00:00 +0000\r\n\
               MIME-Version: 1.0\r\n\
               Content-Type: text/plain; charset=utf-8\r\n\r\n\
               Bonjour \u{1b}[2J\u{202e}\r\n";
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("m.eml");
    std::fs::write(&f, eml).unwrap();
    let o = segur().args(["mss", "read"]).arg(&f).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_clean(&o, "mss read");
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("\\u202e"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        v.to_string().contains('\u{202e}'),
        "the value keeps the character"
    );
}

/// A 2D-Doc text with an ESC sequence and U+202E: whatever the verdict, nothing raw.
#[test]
fn twoddoc_text() {
    let o = segur()
        .args(["2ddoc", "parse", "DC04FR000001\u{1b}[2J\u{202e}\u{9b}31m"])
        .output()
        .unwrap();
    assert_clean(&o, "2ddoc parse");
    let o = segur()
        .args(["2ddoc", "parse", "--json", "DC04FR000001\u{1b}[2J\u{202e}"])
        .output()
        .unwrap();
    assert_clean(&o, "2ddoc parse --json");
}

/// `ins normalize` refuses combining-mark floods with a position instead of stripping them,
/// and never echoes the input.
#[test]
fn ins_normalize_refuses_marks_and_stays_clean() {
    let flood = format!("J{}EAN", "\u{301}".repeat(900));
    let o = segur()
        .args(["ins", "normalize", "--given", &flood])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!all.contains("JEAN"), "{all}");
    assert!(
        all.contains("unsupported-char") || all.contains("position 2"),
        "{all}"
    );
    let o = segur()
        .args(["ins", "normalize", "--given", "E\u{301}LISE"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("ELISE"));
    let o = segur()
        .args(["ins", "normalize", "--given", "JE\u{202e}AN\u{1b}"])
        .output()
        .unwrap();
    assert_clean(&o, "ins normalize");
}

/// A QR code whose payload carries ESC, a CSI sequence and U+202E: `segur qr decode` shows
/// them escaped, in its lines and in its JSON lines.
#[test]
fn qr_decode_escapes_controls_and_bidi() {
    use segur_eprescription::decode::Symbology;
    let payload = "RX\u{1b}[2J\u{202e}gpj.exe";
    let png = segur_eprescription::render::render_png(Symbology::QrCode, payload, 8, 4).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("qr.png");
    std::fs::write(&image, png).unwrap();
    let out = segur().args(["qr", "decode"]).arg(&image).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_clean(&out, "qr decode");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("RX\\x1B[2J\\xE2\\x80\\xAEgpj.exe"), "{text}");
    let out = segur()
        .args(["qr", "decode", "--json"])
        .arg(&image)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_clean(&out, "qr decode --json");
    let line = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    // The JSON lines give the payload in the same printable form as the text lines.
    assert_eq!(v["payload"], "RX\\x1B[2J\\xE2\\x80\\xAEgpj.exe", "{line}");
}
