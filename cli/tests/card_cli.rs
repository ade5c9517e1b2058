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
