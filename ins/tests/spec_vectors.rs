//! The test vectors of `specs/ins.md` §2: valid matricules, invalid ones with their reason, and
//! the "wrong in the wild" samples, which must all be refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use segur_ins::{Matricule, MatriculeError};

const VALID: &[&str] = &[
    "295109912611193",
    "253072B07300470",
    "253072A07300443",
    "255081416802538",
    "284058832102532",
    "284052A32102552",
    "284052B32102579",
    "284202B32102528",
    "284992B32102531",
    "178059933010817",
    "180127512345642",
    "294037512000591",
    "180032B02040123",
    "297022A02077878",
    "109076322083489",
    "209076322083439",
    "209066322012355",
    "109076322088835",
    "275126322074974",
    "110086322083060",
    "236066322083656",
    "279035121518989",
    // synthetic edge cases: keys 97, 01, 10, 20, 90; Corsica 20; 2A vs 2B; DOM; abroad; months
    "180017500003597",
    "180017500003401",
    "180017500002510",
    "180017500001520",
    "180017500004290",
    "155062000401274",
    "185032A00401238",
    "185032B00401265",
    "292039710512324",
    "170039935204571",
    "145209935200457",
    "240357505612307",
    "150627505612396",
];

#[test]
fn every_valid_vector_parses_and_round_trips() {
    for v in VALID {
        let m = Matricule::parse(v).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(m.expose(), *v);
        // the grouped form parses back to the same matricule
        assert_eq!(Matricule::parse(&m.grouped().to_string()).unwrap(), m);
        // the 13-character body gets the same key
        assert_eq!(Matricule::parse(m.body()).unwrap(), m);
        assert_eq!(Matricule::compute_key(m.body()).unwrap(), m.key());
    }
}

#[test]
fn separators_and_case_are_accepted() {
    let m = Matricule::parse("2 53 07 2b 073 004 70").unwrap();
    assert_eq!(m.expose(), "253072B07300470");
    assert_eq!(Matricule::parse("2.53.07.2B.073.004.70").unwrap(), m);
    assert_eq!(Matricule::parse("2-53-07-2B-073-004-70").unwrap(), m);
}

fn err(s: &str) -> MatriculeError {
    Matricule::parse(s).expect_err(s)
}

#[test]
fn invalid_vectors_fail_for_their_reason() {
    assert_eq!(
        err("295109912611199"),
        MatriculeError::KeyOutOfRange { found: 99 }
    );
    assert_eq!(
        err("295109912611194"),
        MatriculeError::KeyMismatch {
            expected: 93,
            found: 94
        }
    );
    assert_eq!(
        err("253072C07300443"),
        MatriculeError::LetterOutsideDepartment { position: 7 }
    );
    assert_eq!(
        err("6546546546546703"),
        MatriculeError::Length { found: 16 }
    );
    assert!(matches!(
        err("255081416802539"),
        MatriculeError::KeyMismatch { found: 39, .. }
    ));
    assert_eq!(
        err("255081416802500"),
        MatriculeError::KeyOutOfRange { found: 0 }
    );
    assert_eq!(
        err("255081416802598"),
        MatriculeError::KeyOutOfRange { found: 98 }
    );
    assert_eq!(err("884058832102523"), MatriculeError::Nnp);
    assert_eq!(
        err("2 84 05 88 321 30"),
        MatriculeError::Length { found: 12 }
    );
    assert_eq!(
        err("1 23 44 7D 123 456"),
        MatriculeError::LetterOutsideDepartment { position: 10 }
    );
    assert_eq!(
        err("1234 56A 123 456"),
        MatriculeError::LetterOutsideDepartment { position: 8 }
    );
    assert_eq!(
        err("1 23 45 6B 123 456"),
        MatriculeError::LetterOutsideDepartment { position: 10 }
    );
    assert_eq!(
        err("187127644708044"),
        MatriculeError::KeyMismatch {
            expected: 28,
            found: 44
        }
    );
    assert_eq!(
        err("181036322045660"),
        MatriculeError::KeyMismatch {
            expected: 76,
            found: 60
        }
    );
    assert_eq!(
        err("281036322045610"),
        MatriculeError::KeyMismatch {
            expected: 26,
            found: 10
        }
    );
    assert_eq!(err("882062A09002279"), MatriculeError::Nnp);
    assert_eq!(err("882062B09002279"), MatriculeError::Nnp);
    assert_eq!(
        err("369067543002289"),
        MatriculeError::ForeignerInRegistration
    );
    assert_eq!(err("561067543002289"), MatriculeError::Mig);
    assert_eq!(err("055081416802538"), MatriculeError::InvalidSexDigit);
    assert_eq!(err("1800175000000"), MatriculeError::OrderZero);
    assert_eq!(
        err("2550814168025é8"),
        MatriculeError::InvalidChar { position: 14 }
    );
    assert_eq!(err(""), MatriculeError::Length { found: 0 });
}

#[test]
fn month_43_with_wrong_key_is_refused_for_the_key() {
    // "185434501234556": month 43 is a lint only; the key is what makes it invalid.
    assert!(matches!(
        err("185434501234556"),
        MatriculeError::KeyMismatch { .. }
    ));
}

#[test]
fn wrong_in_the_wild_samples_are_refused() {
    for s in [
        "190017501012097",
        "285022B045987",
        "175039720123594",
        "26704990234081",
        "10105974567022",
        "284058832102530", // the CNAM README sample
    ] {
        assert!(Matricule::parse_with_key(s).is_err(), "{s} must be refused");
    }
}

#[test]
fn naive_corsica_mapping_would_collide() {
    // With 2A/2B -> 20 both would get key 58; with 19/18 they differ.
    let a = Matricule::parse("185032A004012").unwrap();
    let b = Matricule::parse("185032B004012").unwrap();
    assert_eq!((a.key(), b.key()), (38, 65));
    assert!(Matricule::parse("185032A00401258").is_err());
}

#[test]
fn error_messages_in_both_languages_never_contain_digits_of_the_input() {
    let e = err("187127644708044");
    let fr = e.message(segur_ins::Lang::Fr);
    let en = e.message(segur_ins::Lang::En);
    assert!(fr.contains("28") && en.contains("28"));
    assert!(!fr.contains("1871276") && !en.contains("1871276"));
    assert_eq!(e.code(), "key-mismatch");
}
