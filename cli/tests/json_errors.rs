//! JSON input errors of the CLI name the line and column, never the offending value: a NIR
//! given as a number (a common mistake in hand-written input) must not reach the terminal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn segur() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segur"))
}

#[test]
fn a_nir_given_as_a_number_is_not_echoed() {
    let example = segur()
        .args(["cda", "example", "vaccination-note"])
        .output()
        .unwrap();
    assert!(example.status.success());
    let json = String::from_utf8(example.stdout).unwrap();
    let broken = json.replace("\"279035121518989\"", "279035121518989");
    assert_ne!(broken, json, "the example holds the test NIR as a string");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.json");
    std::fs::write(&input, &broken).unwrap();
    let out = segur()
        .args(["cda", "build"])
        .arg(&input)
        .arg("-o")
        .arg(dir.path().join("out.xml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("279035121518989"), "{err}");
    assert!(!err.contains("27903512"), "{err}");
    // The NIR lies inside the `type`-tagged document: its real line and column all the same
    // (serde_json places a type error on the value's last character).
    let at = broken.find("279035121518989").unwrap();
    let before = broken.get(..at).unwrap();
    let line = before.matches('\n').count() + 1;
    let column = at - before.rfind('\n').map_or(0, |n| n + 1) + "279035121518989".len();
    assert!(
        err.contains(&format!(
            "the document input: a value of the wrong type or outside its rules at line {line} \
             column {column}"
        )),
        "{err}"
    );

    // The same for a qualified identity given to `2ddoc ins-datamatrix`.
    let identity = dir.path().join("identity.json");
    std::fs::write(
        &identity,
        "{\"ins\": {\"authority\": \"test-nir\", \"matricule\": 279035121518989}}",
    )
    .unwrap();
    let out = segur()
        .args(["2ddoc", "ins-datamatrix"])
        .arg(&identity)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("27903512"), "{err}");
    assert!(err.contains("at line 1 column"), "{err}");
}
