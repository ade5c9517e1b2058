//! `segur card atr` on ATRs given in hex (no reader needed).

#![allow(clippy::unwrap_used)]

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
