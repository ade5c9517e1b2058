//! `segur card atr` on ATRs given in hex (no reader needed), and `segur card info` on a
//! virtual CPS3 behind a real pcscd with the vpcd driver (the harness of segur-cps-card's
//! tests; needs root, pcscd and vsmartcard-vpcd, installed by scripts/install-deps).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../cps-card/tests/common/mod.rs"]
mod common;

use std::process::Command;

fn segur(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn vitale2_atr_is_identified() {
    let (code, out, _) = segur(&["card", "atr", "3B 75 13 00 00 40 09 EA 90 00", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["card"], "vitale2");
    assert_eq!(v["protocols"][0], "T=0");
    assert_eq!(v["historical_bytes"], "4009EA9000");
}

#[test]
fn malformed_or_non_hex_atr_is_an_error() {
    let (code, _, err) = segur(&["card", "atr", "3B02"]);
    assert_eq!(code, 2);
    assert!(err.contains("malformed ATR at byte 2"), "{err}");
    let (code, _, _) = segur(&["card", "atr", "zz"]);
    assert_eq!(code, 2);
}

/// A library path that does not exist: `segur card` behaves as on a machine without PC/SC.
const UNFINDABLE: &str = "/nonexistent/segur-test/libpcsclite.so.1";

fn segur_without_pcsc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(args)
        .env("SEGUR_PCSC_LIBRARY", UNFINDABLE)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn without_the_pcsc_library_card_commands_say_what_to_install() {
    for args in [
        &["card", "list"][..],
        &["card", "info"],
        &["card", "atr"],
        &["card", "info", "--reader", "Virtual PCD"],
    ] {
        let (code, out, err) = segur_without_pcsc(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(
            err.starts_with("segur card: the PC/SC library could not be loaded ("),
            "{args:?}: {err}"
        );
        assert!(err.contains(UNFINDABLE), "{args:?}: {err}");
        assert!(
            err.contains("Debian/Ubuntu `apt install libpcsclite1 pcscd`")
                && err.contains("Fedora `dnf install pcsc-lite-libs pcsc-lite`"),
            "{args:?}: {err}"
        );
    }
    let (code, out, _) = segur_without_pcsc(&["card", "list", "--json"]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains("apt install libpcsclite1 pcscd"), "{msg}");

    // Decoding an ATR given in hex needs no PC/SC at all.
    let (code, out, err) =
        segur_without_pcsc(&["card", "atr", "3B 75 13 00 00 40 09 EA 90 00", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"vitale2\""), "{out}");
}

/// ESC, CSI (C1), DEL, RLO, LRI, PDI: what must never reach a terminal raw.
const UNSAFE: [char; 6] = [
    '\u{1b}', '\u{9b}', '\u{7f}', '\u{202e}', '\u{2066}', '\u{2069}',
];

/// The holder name comes from the card (its certificates' SN and GN): a card whose holder name
/// carries an ESC sequence, a C1 CSI and U+202E is shown escaped by `segur card info`, as text
/// and as JSON, with nothing dropped.
#[test]
fn card_info_escapes_the_holder_name_read_from_the_card() {
    use common::vcard::{Kind, VirtualCard};
    use common::{Pcscd, PluggedCard, READER0};
    let surname = "PHARMACIEN\u{1b}[2J\u{7}\u{1b}[31m";
    let given_name = "\u{202e}TSET\u{9b}31m";
    let keys = Box::leak(Box::new(common::keys::cps3_holder(surname, given_name)));
    let _pcscd = Pcscd::start();
    let _plugged = PluggedCard::insert_card(VirtualCard::with_keys(Kind::Cps3, keys), 35963);
    // pcscd reports the card once vpcd has powered it: exit status 1 until then.
    let start = std::time::Instant::now();
    let json = loop {
        let (code, out, err) = segur(&["card", "info", "--reader", READER0, "--json"]);
        if code == 0 {
            break out;
        }
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(15),
            "no card in {READER0}: {out}{err}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let (code, text, err) = segur(&["card", "info", "--reader", READER0]);
    assert_eq!(code, 0, "{err}");
    for (what, out) in [("json", &json), ("text", &text), ("stderr", &err)] {
        assert!(!out.chars().any(|c| UNSAFE.contains(&c)), "{what}: {out:?}");
    }
    // The subject is an RFC 4514 string: its writer already hex-escapes ASCII controls
    // (RFC 4514 §2.4: `\1b`), while C1 and bidirectional characters are valid UTF-8 text that
    // it keeps; the CLI shows those as their escapes, in place.
    let sn = "SN=PHARMACIEN\\1b[2J\\07\\1b[31m";
    assert!(text.contains(sn), "{text}");
    assert!(text.contains("GIVENNAME=\\u{202e}TSET\\u{9b}31m"), "{text}");
    // JSON: the same value, escaped as JSON, nothing stripped.
    assert!(json.contains("\\u202eTSET\\u009b31m"), "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for role in ["authentication", "signature"] {
        let subject = v["certificates"][role]["subject"].as_str().unwrap();
        assert!(
            subject.contains(sn) && subject.contains(&format!("GIVENNAME={given_name}")),
            "{role}: {subject:?}"
        );
    }
}
