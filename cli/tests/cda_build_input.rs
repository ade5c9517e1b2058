//! `segur cda build` refuses hostile and implausible input as the Rust builders do: the error
//! names the field (and the character position for text), never the value, and no output file
//! is written. An array of vaccinations gets the field and the rule.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn segur() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segur"))
}

fn example() -> serde_json::Value {
    let out = segur()
        .args(["cda", "example", "vaccination-note"])
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs `segur cda build` on `input`; the exit status, stderr and whether an output was written.
fn build(input: &serde_json::Value) -> (bool, String, bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.json");
    std::fs::write(&path, input.to_string()).unwrap();
    let out_xml = dir.path().join("out.xml");
    let out = segur()
        .args(["cda", "build"])
        .arg(&path)
        .arg("-o")
        .arg(&out_xml)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stderr).unwrap(),
        out_xml.exists(),
    )
}

#[test]
fn hostile_and_implausible_inputs_are_refused_with_the_field() {
    let base = example();
    let (ok, err, written) = build(&base);
    assert!(ok && written, "{err}");
    for (pointer, value, expected) in [
        (
            "/vaccination/comment",
            serde_json::json!("ok\u{1b}]0;pwned\u{7}"),
            "vaccination.comment: character U+001B at position 3",
        ),
        (
            "/header/author/family",
            serde_json::json!("DUPONT\u{0}"),
            "header.author.family: character U+0000 at position 7",
        ),
        (
            "/header/patient/identity/traits/birth_date",
            serde_json::json!("2999-03-28"),
            "birth_date: after the document date",
        ),
        (
            "/header/patient/identity/traits/birth_date",
            serde_json::json!("1978-03-28"),
            "matricule: contradicts the identity's birth year",
        ),
        (
            "/vaccination/vaccine/cip13",
            serde_json::json!("3400932857240"),
            "cip13: wrong EAN-13 check digit",
        ),
        (
            "/vaccination/vaccine/atc",
            serde_json::json!("J07AM1"),
            "atc: not an ATC code",
        ),
    ] {
        let mut input = base.clone();
        *input.pointer_mut(pointer).unwrap() = value;
        let (ok, err, written) = build(&input);
        assert!(!ok && !written, "{pointer} accepted");
        assert!(err.contains(expected), "{pointer}: {err}");
        assert!(!err.contains("pwned") && !err.contains('\u{1b}'), "{err}");
    }
    let mut input = base.clone();
    let one = input["vaccination"].clone();
    input["vaccination"] = serde_json::json!([one.clone(), one]);
    let (ok, err, written) = build(&input);
    assert!(!ok && !written);
    assert!(
        err.contains("`vaccination` is one object, not an array")
            && err.contains("one document per"),
        "{err}"
    );
    assert!(!err.contains("4456672"), "{err}");
}
