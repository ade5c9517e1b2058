//! The CNDA conformity responses of the INSi qualification environment
//! (`../shared/insi/cnda-responses`): every matricule they carry is checked, the odd ones
//! (TEST_2.08 keys failing mod 97, TEST_2.04 reversed history dates) are reported, never a crash.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use segur_ins::insi::{InsiResponse, parse_response};
use segur_ins::{InsAuthority, MatriculeError, Traits};
use std::path::PathBuf;

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

fn load(name: &str) -> InsiResponse {
    let p = shared().join("insi/cnda-responses").join(name);
    let xml = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    parse_response(&xml).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn case_2_04_active_and_two_historical_with_reversed_dates() {
    let r = load("TEST_2.04_cas2.xml");
    assert_eq!(r.code, "00");
    let ind = r.individual.expect("individual");
    let history = ind.history.expect("valid history");
    assert_eq!(history.active.matricule().expose(), "109076322083489");
    assert_eq!(history.active.authority(), InsAuthority::Nir);
    assert_eq!(history.historical.len(), 2);
    assert_eq!(
        history.anomalies().count(),
        1,
        "DateDeb 2019-03-01 after DateFin 2019-02-28"
    );
    let traits: Traits = ind.traits.expect("traits");
    assert_eq!(traits.birth_name().expose(), "ECETINSI");
    assert_eq!(
        traits.given_names().expose(),
        "PIERRE-ALAIN MURIEL FLORIANT"
    );
    assert_eq!(traits.first_given_name().expose(), "PIERRE-ALAIN");
    assert_eq!(traits.birth_date().to_string(), "2009-07-14");
}

#[test]
fn case_2_05_nia_comes_from_the_oid() {
    let r = load("TEST_2.05.xml");
    let h = r.individual.unwrap().history.unwrap();
    assert_eq!(h.active.matricule().expose(), "109076322088835");
    assert_eq!(h.active.authority(), InsAuthority::Nia);
}

#[test]
fn case_2_08_wrong_keys_are_reported_not_accepted() {
    let r = load("TEST_2.08_cas2.xml");
    let ind = r.individual.unwrap();
    let err = ind.history.expect_err("keys fail mod 97");
    assert!(matches!(
        err,
        segur_ins::insi::ResponseError::Ins(segur_ins::InsError::Matricule(
            MatriculeError::KeyMismatch {
                expected: 76,
                found: 60
            }
        ))
    ));
    // the traits are still readable (HERMANN, spelled differently from the query)
    assert_eq!(ind.traits.unwrap().birth_name().expose(), "HERMANN");
}

#[test]
fn case_2_08_corsica() {
    let r = load("TEST_2.08_cas1.xml");
    let h = r.individual.unwrap().history.unwrap();
    assert_eq!(h.active.matricule().expose(), "180032B02040123");
}

#[test]
fn every_fixture_parses_without_panic() {
    let dir = shared().join("insi/cnda-responses");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let xml = std::fs::read(&p).unwrap();
        let r = parse_response(&xml);
        assert!(r.is_ok(), "{}: {:?}", p.display(), r.err());
        n += 1;
    }
    assert!(n >= 10);
}
