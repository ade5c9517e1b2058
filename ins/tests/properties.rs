//! Property tests: key round trip, 2A/2B never collide, exactly one key per body, display round
//! trip, normalisation idempotent, traits serde round trip.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use proptest::prelude::*;
use segur_ins::normalize::{NameKind, normalize};
use segur_ins::{Matricule, Traits, TraitsData};

/// A 13-character body of a NIR/NIA (sex 1/2, order 001–999), with any department form.
fn body() -> impl Strategy<Value = String> {
    (
        1u8..=2,
        0u8..=99,
        0u8..=99,
        prop_oneof![
            (0u8..=99).prop_map(|d| format!("{d:02}")),
            Just("2A".to_string()),
            Just("2B".to_string())
        ],
        0u16..=999,
        1u16..=999,
    )
        .prop_map(|(s, y, m, d, c, o)| format!("{s}{y:02}{m:02}{d}{c:03}{o:03}"))
}

proptest! {
    #[test]
    fn key_round_trip(b in body()) {
        let m = Matricule::parse(&b).unwrap();
        prop_assert_eq!(m.body(), b.as_str());
        let full = format!("{}{:02}", b, m.key());
        prop_assert_eq!(Matricule::parse(&full).unwrap(), m);
        prop_assert!((1..=97).contains(&m.key()));
    }

    #[test]
    fn every_body_accepts_exactly_one_key(b in body()) {
        let ok = (0..=99u8)
            .filter(|k| Matricule::parse(&format!("{b}{k:02}")).is_ok())
            .count();
        prop_assert_eq!(ok, 1);
    }

    #[test]
    fn corsica_2a_and_2b_never_collide(
        s in 1u8..=2, y in 0u8..=99, m in 0u8..=99, c in 0u16..=999, o in 1u16..=999
    ) {
        let a = Matricule::parse(&format!("{s}{y:02}{m:02}2A{c:03}{o:03}")).unwrap();
        let b = Matricule::parse(&format!("{s}{y:02}{m:02}2B{c:03}{o:03}")).unwrap();
        let twenty = Matricule::parse(&format!("{s}{y:02}{m:02}20{c:03}{o:03}")).unwrap();
        prop_assert_ne!(a.key(), b.key());
        prop_assert_ne!(a.key(), twenty.key());
        prop_assert_ne!(b.key(), twenty.key());
    }

    #[test]
    fn grouped_display_parses_back(b in body()) {
        let m = Matricule::parse(&b).unwrap();
        prop_assert_eq!(Matricule::parse(&m.grouped().to_string()).unwrap(), m);
        prop_assert_eq!(Matricule::parse(&m.expose().to_lowercase()).unwrap(), m);
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,40}") {
        let _ = Matricule::parse(&s);
    }

    #[test]
    fn normalize_is_idempotent(s in "\\PC{0,60}") {
        for kind in [NameKind::BirthName, NameKind::GivenName] {
            if let Ok(n) = normalize(&s, kind) {
                let again = normalize(&n, kind);
                prop_assert_eq!(again.as_deref(), Ok(n.as_str()));
                prop_assert!(n.bytes().all(|b| b.is_ascii_uppercase() || b" '-".contains(&b)));
            }
        }
    }

    #[test]
    fn normalize_french_names_is_idempotent(s in "[a-zA-ZéèêëàâäîïôöùûüçœæÉÈÇŒÆ’' -]{1,40}") {
        if let Ok(n) = normalize(&s, NameKind::BirthName) {
            prop_assert_eq!(normalize(&n, NameKind::BirthName).unwrap(), n);
        }
    }

    #[test]
    fn traits_serde_round_trip(
        name in "[A-Z]{1,10}( [A-Z]{1,10})?",
        givens in proptest::collection::vec("[A-Z]{1,8}(-[A-Z]{1,8})?", 1..4),
        day in 1u8..=28, month in 1u8..=12, year in 1900u16..=2025,
        female in any::<bool>(),
    ) {
        let data = TraitsData {
            birth_name: name,
            given_names: givens,
            sex: if female { "F" } else { "M" }.into(),
            birth_date: format!("{year:04}-{month:02}-{day:02}"),
            birth_place: Some("63220".into()),
            ..TraitsData::default()
        };
        let t = Traits::from_data(&data).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        let back: Traits = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, t);
    }
}
