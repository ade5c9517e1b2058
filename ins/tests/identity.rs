//! Traits, normalisation, RNIV status transitions, coherence and privacy.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use segur_ins::coherence::{CoherenceWarning, check};
use segur_ins::status::ProvisionalAttributes;
use segur_ins::*;

fn traits(
    name: &str,
    givens: &[&str],
    first: Option<&str>,
    sex: &str,
    date: &str,
) -> Result<Traits, TraitError> {
    Traits::from_data(&TraitsData {
        birth_name: name.into(),
        given_names: givens.iter().map(|s| s.to_string()).collect(),
        first_given_name: first.map(str::to_owned),
        sex: sex.into(),
        birth_date: date.into(),
        birth_place: Some("63220".into()),
        ..TraitsData::default()
    })
}

#[test]
fn exi_id_10_first_given_name_consistency() {
    let list = ["JEAN", "CHRISTOPHE", "PIERRE"];
    for ok in [
        "JEAN",
        "JEAN CHRISTOPHE",
        "JEAN-CHRISTOPHE",
        "JEAN-CHRISTOPHE-PIERRE",
        "JEAN CHRISTOPHE-PIERRE",
        "jean",
    ] {
        assert!(
            traits("DUPONT", &list, Some(ok), "M", "1980-01-01").is_ok(),
            "{ok}"
        );
    }
    for bad in ["CHRISTOPHE", "JEANNE", "JEAN PIERRE"] {
        assert_eq!(
            traits("DUPONT", &list, Some(bad), "M", "1980-01-01").unwrap_err(),
            TraitError::FirstGivenNameInconsistent,
            "{bad}"
        );
    }
}

#[test]
fn traits_keep_entered_and_normalised_values() {
    let t = traits("d’Ærtagnan", &["Cœur", "Hélène"], None, "f", "1987-01-01").unwrap();
    assert_eq!(t.birth_name().expose(), "D'AERTAGNAN");
    assert_eq!(t.birth_name().expose_entered(), "d’Ærtagnan");
    assert_eq!(t.given_names().expose(), "COEUR HELENE");
    assert_eq!(t.first_given_name().expose(), "COEUR");
    assert_eq!(t.sex(), Sex::Female);
}

#[test]
fn traits_errors_name_the_field_and_position() {
    let e = traits("DU9PONT", &["JEAN"], None, "M", "1980-01-01").unwrap_err();
    assert_eq!(
        e,
        TraitError::Name {
            field: "birth_name",
            source: NormalizeError::UnsupportedChar { position: 3 }
        }
    );
    assert_eq!(
        traits("A", &["JEAN"], None, "I", "1980-01-01").unwrap_err(),
        TraitError::IndeterminateSex
    );
    assert_eq!(
        traits("A", &[], None, "M", "1980-01-01").unwrap_err(),
        TraitError::NoGivenName
    );
    assert_eq!(
        traits("A", &["B"], None, "M", "1980-1-1").unwrap_err(),
        TraitError::DateFormat
    );
}

#[test]
fn serde_rejects_invalid_traits_on_deserialise() {
    let bad = r#"{"birth_name":"A1","given_names":["B"],"sex":"M","birth_date":"1980-01-01"}"#;
    assert!(serde_json::from_str::<Traits>(bad).is_err());
    let unknown =
        r#"{"birth_name":"A","given_names":["B"],"sex":"M","birth_date":"1980-01-01","x":1}"#;
    assert!(serde_json::from_str::<Traits>(unknown).is_err());
    let lunar = r#"{"birth_name":"A","given_names":["B"],"sex":"M","birth_date":"1980-00-00"}"#;
    let t: Traits = serde_json::from_str(lunar).unwrap();
    assert!(matches!(t.birth_date(), BirthDate::Lunar(_)));
}

fn ins() -> Ins {
    Ins::from_parts("109076322083489", OID_INS_NIR).unwrap()
}

#[test]
fn rniv_transitions() {
    let t = traits("ECETINSI", &["PIERRE-ALAIN"], None, "M", "2009-07-14").unwrap();
    let mut id = Identity::provisional(t.clone(), ProvisionalAttributes::None);
    assert_eq!(id.status(), IdentityStatus::Provisoire);
    assert!(id.ins().is_none() && !id.can_transmit_matricule() && id.qualified().is_none());

    assert_eq!(
        id.record_insi_retrieval(ins(), t.clone()),
        Ok(TransitionReason::InsiRetrieval)
    );
    assert_eq!(id.status(), IdentityStatus::Recuperee);
    assert!(id.ins().is_some() && !id.can_transmit_matricule());

    let r = id
        .record_document_check(HighTrustDocument::NationalIdCard)
        .unwrap();
    assert_eq!(
        r,
        TransitionReason::HighTrustDocument(HighTrustDocument::NationalIdCard)
    );
    assert_eq!(id.status(), IdentityStatus::Qualifiee);
    assert!(id.can_transmit_matricule());
    let q = id.qualified().unwrap();
    assert_eq!(q.ins().matricule().expose(), "109076322083489");

    // doubtful: back to provisional, INS lost, INSi blocked, validation refused
    id.mark(ProvisionalAttributes::DouteuseHomonyme);
    assert_eq!(id.status(), IdentityStatus::Provisoire);
    assert!(id.ins().is_none() && !id.may_call_insi());
    assert_eq!(
        id.record_insi_retrieval(ins(), t.clone()),
        Err(TransitionError::InsiBlocked)
    );
    assert_eq!(
        id.record_document_check(HighTrustDocument::Passport),
        Err(TransitionError::DoubtfulOrFictitious)
    );
}

#[test]
fn validated_then_retrieved_is_qualified_and_homonyme_is_kept() {
    let t = traits("ADRTROIS", &["TOUSSAINT"], None, "M", "1960-01-01").unwrap();
    let mut id = Identity::provisional(t.clone(), ProvisionalAttributes::Homonyme);
    id.record_document_check(HighTrustDocument::Passport)
        .unwrap();
    assert_eq!(id.status(), IdentityStatus::Validee);
    id.record_insi_retrieval(ins(), t).unwrap();
    assert!(matches!(
        id.state(),
        IdentityState::Qualifiee { homonyme: true, .. }
    ));
    assert_eq!(
        IdentityStatus::from_code(id.status().code()),
        Some(IdentityStatus::Qualifiee)
    );
}

#[test]
fn qualified_identity_serde_refuses_other_statuses() {
    let t = traits("A", &["B"], None, "M", "2009-07-14").unwrap();
    let mut id = Identity::provisional(t.clone(), ProvisionalAttributes::None);
    id.record_insi_retrieval(ins(), t).unwrap();
    let json = serde_json::to_string(&id).unwrap();
    assert!(serde_json::from_str::<QualifiedIdentity>(&json).is_err());
    id.record_document_check(HighTrustDocument::Passport)
        .unwrap();
    let json = serde_json::to_string(&id).unwrap();
    let q: QualifiedIdentity = serde_json::from_str(&json).unwrap();
    assert_eq!(q.identity(), &id);
}

#[test]
fn coherence_warnings() {
    let m = Matricule::parse("109076322083489").unwrap();
    let good = traits("ECETINSI", &["PIERRE"], None, "M", "2009-07-14").unwrap();
    assert!(check(&m, &good).is_empty());
    let bad = traits("ECETINSI", &["PIERRE"], None, "F", "2008-06-14").unwrap();
    assert_eq!(
        check(&m, &bad),
        vec![
            CoherenceWarning::SexMismatch,
            CoherenceWarning::YearMismatch,
            CoherenceWarning::MonthMismatch
        ]
    );
    // unknown month 20 is never compared
    let unknown = Matricule::parse("284202B32102528").unwrap();
    let t = traits("X", &["Y"], None, "F", "1984-05-01").unwrap();
    assert!(!check(&unknown, &t).contains(&CoherenceWarning::MonthMismatch));
    // Corsica 2A/2B before 1976
    let c = Matricule::parse("253072B07300470").unwrap();
    let t = traits("X", &["Y"], None, "F", "1953-07-01").unwrap();
    assert_eq!(check(&c, &t), vec![CoherenceWarning::Corsica2A2BBefore1976]);
    // Corsica 20 from 1976
    let c = Matricule::parse("1800720004012").unwrap();
    let t = traits("X", &["Y"], None, "M", "1980-07-01").unwrap();
    assert_eq!(check(&c, &t), vec![CoherenceWarning::Corsica20After1976]);
}

#[test]
fn nothing_leaks_through_debug() {
    let t = traits("SECRETNAME", &["HIDDEN"], None, "M", "2009-07-14").unwrap();
    let mut id = Identity::provisional(t.clone(), ProvisionalAttributes::None);
    id.record_insi_retrieval(ins(), t.clone()).unwrap();
    id.record_document_check(HighTrustDocument::Passport)
        .unwrap();
    let dbg = format!(
        "{t:?} {id:?} {:?} {:?} {}",
        id.qualified().unwrap(),
        ins(),
        ins()
    );
    for secret in ["SECRETNAME", "HIDDEN", "2009", "63220", "1090763"] {
        assert!(!dbg.contains(secret), "{secret} leaked in {dbg}");
    }
}
