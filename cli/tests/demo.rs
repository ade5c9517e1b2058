//! `segur demo` runs on embedded defaults and shows each step's outcome.

#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn demo_runs_offline_and_reaches_a_qualified_identity() {
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .arg("demo")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 09 07 63 220 834 89"));
    assert!(text.contains("\"Ecétinsi\" → \"ECETINSI\""));
    assert!(text.contains("Qualifiee"));
    assert!(text.contains("109076322083489^^^&1.2.250.1.213.1.4.8&ISO^NH"));
    assert!(text.contains("0 validation finding(s)"), "{text}");
    assert!(text.contains("type 87273-9"));
    assert!(text.contains("patient INS checked: true"));
    assert!(text.contains("TD2.1 feed     Success"), "{text}");
    assert!(text.contains("TD3.1 find     87273-9 approved"), "{text}");
    assert!(text.contains("identical to the note fed: true"), "{text}");
    assert!(text.contains("X-MSS-CODECDA  87273-9"));
    assert!(text.contains("X-MSS-INS      O"));
    assert!(text.contains("same INS data: true"), "{text}");
    assert!(text.contains("repaired       DC04FR000001"));
}

#[test]
fn redacted_demo_shows_no_patient_data() {
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(["demo", "--redacted"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    for secret in ["1090763", "ECETINSI", "PIERRE-ALAIN"] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
}
