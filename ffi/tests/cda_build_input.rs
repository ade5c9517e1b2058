//! `segur_cda_build` refuses hostile and implausible input as the Rust builders do, with
//! `SEGUR_RESULT_CDA_BUILD_INVALID` and a detail naming the field (and the character position
//! for text), never the value: characters XML 1.0 forbids, a birth in 2999, a matricule that
//! contradicts the sex, a CIP 13 with a wrong check digit, an ATC code that cannot exist; an
//! array of vaccinations is invalid JSON whose detail gives the field and the rule.
#![allow(unsafe_code)] // reading the strings the library returns
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur::cda::*;
use segur::*;
use std::ffi::c_char;
use std::ptr;
use support::take_string as take;

mod support;

fn detail() -> String {
    let mut buf = [0 as c_char; 1024];
    let mut n = 0;
    assert_eq!(
        segur_last_error_detail(buf.as_mut_ptr(), buf.len(), &mut n),
        segur_result::Ok
    );
    String::from_utf8(buf[..n].iter().map(|c| *c as u8).collect()).unwrap()
}

fn example() -> serde_json::Value {
    let ty = "vaccination-note";
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_cda_example(ty.as_ptr().cast(), ty.len(), &mut out),
        segur_result::Ok
    );
    serde_json::from_str(&take(out)).unwrap()
}

fn build(input: &serde_json::Value) -> segur_result {
    let text = input.to_string();
    let mut out = ptr::null_mut();
    let r = segur_cda_build(text.as_ptr().cast(), text.len(), &mut out);
    if r == segur_result::Ok {
        drop(take(out));
    } else {
        assert!(out.is_null(), "outputs are written only on success");
    }
    r
}

#[test]
fn hostile_and_implausible_inputs_are_refused_with_the_field() {
    let base = example();
    assert_eq!(build(&base), segur_result::Ok);
    let cases: [(&str, serde_json::Value, &str); 6] = [
        (
            "/vaccination/vaccine/label",
            serde_json::json!("VACCIN\u{1b}[2J"),
            "vaccination.vaccine.label: character U+001B at position 7",
        ),
        (
            "/header/organization/name",
            serde_json::json!("Pharmacie\u{0}"),
            "header.organization.name: character U+0000 at position 10",
        ),
        (
            "/header/patient/identity/traits/birth_date",
            serde_json::json!("2999-03-28"),
            "birth_date",
        ),
        (
            "/header/patient/identity/traits/sex",
            serde_json::json!("M"),
            "matricule: contradicts the identity's sex",
        ),
        (
            "/vaccination/vaccine/cip13",
            serde_json::json!("3400932857242"),
            "vaccination.vaccine.cip13: wrong EAN-13 check digit",
        ),
        (
            "/vaccination/vaccine/atc",
            serde_json::json!("E07AM01"),
            "vaccination.vaccine.atc: not an ATC code",
        ),
    ];
    for (pointer, value, expected) in cases {
        let mut input = base.clone();
        *input.pointer_mut(pointer).unwrap() = value;
        assert_eq!(build(&input), segur_result::CdaBuildInvalid, "{pointer}");
        let d = detail();
        assert!(d.contains(expected), "{pointer}: {d}");
        assert!(!d.contains("[2J") && !d.contains("279035"), "{d}");
    }
    // One note, one injection: an array is refused with the field and the rule.
    let mut input = base.clone();
    let one = input["vaccination"].clone();
    input["vaccination"] = serde_json::json!([one.clone(), one]);
    assert_eq!(build(&input), segur_result::InvalidJson);
    let d = detail();
    assert!(
        d.contains("`vaccination` is one object, not an array") && d.contains("one document per"),
        "{d}"
    );
    assert!(!d.contains("4456672"), "{d}");
}
