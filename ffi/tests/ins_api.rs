//! The INS entry points called as C would call them (raw pointers, out-parameters), checking the
//! results against the Rust crate; the C programs of `tests/c` cover the same from gcc.
#![allow(unsafe_code)] // reading the C strings the library returns
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur::ins::*;
use segur::*;
use std::ffi::{CStr, c_char};
use std::path::PathBuf;
use std::ptr;

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")),
        PathBuf::from,
    )
}

/// Takes ownership of a returned string.
fn take(p: *mut c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: a NUL-terminated string returned by the library, freed right after.
    let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    segur_string_free(p);
    s
}

fn detail() -> String {
    let mut buf = [0 as c_char; 512];
    let mut n = 0;
    assert_eq!(
        segur_last_error_detail(buf.as_mut_ptr(), buf.len(), &mut n),
        segur_result::Ok
    );
    let bytes: Vec<u8> = buf[..n].iter().map(|c| *c as u8).collect();
    String::from_utf8(bytes).unwrap()
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap()
}

#[test]
fn matricule_check_agrees_with_the_crate_on_every_error_family() {
    let cases: &[(&str, segur_result)] = &[
        ("1 80 03 2B 020 401", segur_result::Ok),
        ("180032B02040124", segur_result::InsKeyMismatch),
        ("18003", segur_result::InsLength),
        ("1800A2B02040123", segur_result::InsLetterPosition),
        ("780032B020401", segur_result::InsNnp),
        ("580032B020401", segur_result::InsMig),
        ("380032B020401", segur_result::InsSex34),
        ("980032B020401", segur_result::InsSexDigit),
        ("180032B020000", segur_result::InsOrderZero),
        ("180032B02040100", segur_result::InsKeyOutOfRange),
    ];
    for (input, expected) in cases {
        let mut out = ptr::null_mut();
        let r = segur_ins_matricule_check(input.as_ptr().cast(), input.len(), &mut out);
        assert_eq!(r, *expected, "{input}");
        match segur_ins::Matricule::parse(input) {
            Ok(m) => assert_eq!(take(out), m.expose()),
            Err(e) => {
                assert!(out.is_null(), "no output on error");
                assert_eq!(detail(), e.to_string());
            }
        }
    }
}

#[test]
fn decode_json_is_the_serde_form_of_the_crate() {
    let input = "292039710512324";
    let mut out = ptr::null_mut();
    let r = segur_ins_matricule_decode(input.as_ptr().cast(), input.len(), &mut out);
    if let Ok(m) = segur_ins::Matricule::parse(input) {
        assert_eq!(r, segur_result::Ok);
        assert_eq!(json(&take(out)), serde_json::to_value(m.decode()).unwrap());
    } else {
        assert_ne!(r, segur_result::Ok);
    }
}

#[test]
fn insi_responses_from_the_cnda_cases() {
    let dir = shared().join("insi/cnda-responses");
    let xml = std::fs::read(dir.join("TEST_2.05.xml")).unwrap();
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_insi_parse_response(xml.as_ptr().cast(), xml.len(), &mut out),
        segur_result::Ok
    );
    let v = json(&take(out));
    assert_eq!(v["code"], "00");
    assert_eq!(
        v["individual"]["history"]["active"]["matricule"],
        "109076322088835"
    );
    assert_eq!(v["individual"]["history"]["active"]["authority"], "nia");

    let xml = std::fs::read(dir.join("REP_CR01.xml")).unwrap();
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_insi_parse_response(xml.as_ptr().cast(), xml.len(), &mut out),
        segur_result::Ok
    );
    let v = json(&take(out));
    assert_eq!(v["code"], "01");
    assert!(v["individual"].is_null());

    let big = vec![b' '; (1 << 20) + 1];
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_insi_parse_response(big.as_ptr().cast(), big.len(), &mut out),
        segur_result::InsiTooLarge
    );
    assert!(out.is_null());
}

#[test]
fn json_errors_never_quote_the_input() {
    let input =
        r#"{"birth_name": 12345678, "given_names": ["SECRET"], "sex": "M", "birth_date": "x"}"#;
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_ins_traits_normalize(input.as_ptr().cast(), input.len(), &mut out),
        segur_result::InvalidJson
    );
    let d = detail();
    assert!(d.contains("line 1 column"), "{d}");
    assert!(!d.contains("12345678") && !d.contains("SECRET"), "{d}");
}

#[test]
fn identity_lifecycle_and_null_handles() {
    let traits =
        r#"{"birth_name":"Martin","given_names":["Léa"],"sex":"F","birth_date":"2001-02-03"}"#;
    let mut id = ptr::null_mut();
    assert_eq!(
        segur_identity_new(traits.as_ptr().cast(), traits.len(), 1, &mut id),
        segur_result::Ok
    );
    let doc = r#"{"Other":"PERMIS"}"#;
    assert_eq!(
        segur_identity_record_document_check(id, doc.as_ptr().cast(), doc.len()),
        segur_result::Ok
    );
    let mut st = segur_identity_status::Provisoire;
    assert_eq!(segur_identity_get_status(id, &mut st), segur_result::Ok);
    assert_eq!(st, segur_identity_status::Validee);
    let mut out = ptr::null_mut();
    assert_eq!(segur_identity_to_json(id, &mut out), segur_result::Ok);
    let v = json(&take(out));
    assert_eq!(v["state"]["Validee"]["homonyme"], true);
    assert_eq!(v["traits"]["given_names"][0], "LEA");
    segur_identity_free(id);

    assert_eq!(
        segur_identity_get_status(ptr::null(), &mut st),
        segur_result::NullParameter
    );
    assert_eq!(
        segur_identity_record_document_check(ptr::null_mut(), doc.as_ptr().cast(), doc.len()),
        segur_result::NullParameter
    );
}

#[test]
fn result_names_follow_the_header_enumerators() {
    // SAFETY: static NUL-terminated strings.
    let name = |r: u32| {
        unsafe { CStr::from_ptr(segur_result_name(r)) }
            .to_str()
            .unwrap()
    };
    assert_eq!(
        name(segur_result::InsKeyMismatch as u32),
        "INS_KEY_MISMATCH"
    );
    assert_eq!(name(segur_result::Ok as u32), "OK");
    assert_eq!(name(4242), "UNKNOWN");
    let header =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/segur.h")).unwrap();
    for r in segur_result::ALL {
        let line = format!("  SEGUR_RESULT_{} = {},", name(*r as u32), *r as u32);
        assert!(header.contains(&line), "segur.h lacks `{line}`");
    }
}
