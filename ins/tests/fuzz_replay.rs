//! Every seed and every regression of the segur-ins fuzz targets (`fuzz/seeds/<target>/`,
//! `fuzz/regressions/<target>/`) replayed through the same calls and checks as the target, on
//! each test run and without a nightly toolchain: a crash that `scripts/fuzz-campaign` stores
//! under `fuzz/regressions/` is a failing test here until it is fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure is a test failure.

use segur_ins::normalize::{NameKind, normalize};
use segur_ins::status::IdentityStatus;
use segur_ins::traits::{BirthDate, BirthPlace};
use segur_ins::{Adeli, Finess, Ins, InsAuthority, Matricule, Rpps, Sex, Siren, Siret, Traits};

use segur_test_support::fuzz_inputs as inputs;

/// `fuzz_targets/ins_insi_response.rs`.
fn ins_insi_response(data: &[u8]) -> bool {
    segur_ins::insi::parse_response(data).is_ok()
}

/// `fuzz_targets/ins_matricule.rs`.
fn ins_matricule(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(m) = Matricule::parse(s) {
        assert_eq!(Matricule::parse(m.expose()), Ok(m));
        assert_eq!(Matricule::parse(&m.grouped().to_string()), Ok(m));
        assert_eq!(Matricule::compute_key(m.body()), Ok(m.key()));
        let _ = m.decode();
    }
    let _ = Matricule::compute_key(s);
}

/// `fuzz_targets/ins_traits.rs`; whether the input read as traits.
fn ins_traits(data: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(data) else {
        return false;
    };
    for kind in [NameKind::BirthName, NameKind::GivenName] {
        if let Ok(n) = normalize(s, kind) {
            assert_eq!(normalize(&n, kind).as_deref(), Ok(n.as_str()));
        }
    }
    if let Ok(t) = serde_json::from_str::<Traits>(s) {
        let json = serde_json::to_string(&t).expect("serialise");
        let back: Traits = serde_json::from_str(&json).expect("round trip");
        // The serde form holds the normalised values only (the text as entered, which `==`
        // also compares, is not serialised): what is written reads back to the same values.
        assert_eq!(serde_json::to_string(&back).expect("serialise"), json);
        return true;
    }
    false
}

/// `fuzz_targets/ins_fields.rs`.
fn ins_fields(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(v) = Rpps::parse(s) {
        assert_eq!(Rpps::parse(v.as_str()).ok(), Some(v));
        let _ = v.national_id();
    }
    if let Ok(v) = Adeli::parse(s) {
        assert_eq!(Adeli::parse(v.as_str()).ok(), Some(v));
    }
    if let Ok(v) = Finess::parse(s) {
        assert_eq!(Finess::parse(v.as_str()).ok(), Some(v));
        let _ = v.key_checked();
    }
    if let Ok(v) = Siren::parse(s) {
        assert_eq!(Siren::parse(v.as_str()).ok(), Some(v));
    }
    if let Ok(v) = Siret::parse(s) {
        assert_eq!(Siret::parse(v.as_str()).ok(), Some(v));
        let _ = v.siren();
    }
    if let Ok(d) = BirthDate::parse(s) {
        let _ = (d.to_hl7(), d.to_datamatrix(), d.require_calendar());
        if let BirthDate::Lunar(l) = &d {
            let _ = l.completed();
        }
    }
    if let Ok(p) = BirthPlace::parse(s) {
        assert_eq!(BirthPlace::parse(p.code()).ok(), Some(p));
        let _ = (p.is_abroad(), p.is_unknown_marker());
    }
    let _ = Sex::parse(s);
    let _ = IdentityStatus::from_code(s);
    if let Ok(a) = InsAuthority::from_oid(s) {
        // Surrounding white space (as in an XML attribute) is accepted; nothing else is.
        assert_eq!(a.oid(), s.trim());
    }
    if let Some((m, oid)) = s.split_once('|')
        && let Ok(ins) = Ins::from_parts(m, oid)
    {
        let _ = (ins.to_xds_cx(), ins.to_hl7v2_cx());
    }
}

#[test]
fn ins_insi_response_inputs() {
    let mut read = 0;
    for (name, data) in inputs("ins_insi_response", 5) {
        eprintln!("{name}");
        read += usize::from(ins_insi_response(&data));
    }
    assert!(read >= 5, "{read} responses read");
}

#[test]
fn ins_matricule_inputs() {
    for (name, data) in inputs("ins_matricule", 5) {
        eprintln!("{name}");
        ins_matricule(&data);
    }
}

#[test]
fn ins_traits_inputs() {
    let mut read = 0;
    for (name, data) in inputs("ins_traits", 10) {
        eprintln!("{name}");
        read += usize::from(ins_traits(&data));
    }
    assert!(read >= 2, "{read} traits read");
}

#[test]
fn ins_fields_inputs() {
    for (name, data) in inputs("ins_fields", 10) {
        eprintln!("{name}");
        ins_fields(&data);
    }
}
