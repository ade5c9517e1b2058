//! Consistency of a matricule with the traits. Every finding is a warning: INSi is the reference,
//! and a NIR legitimately differs from the civil-registry data in documented cases (unknown month,
//! commune overflow). Used to catch shifted columns in bulk imports and typing errors.

use crate::decode::{MonthField, Place, SexDigit};
use crate::matricule::Matricule;
use crate::traits::{Sex, Traits};

/// A consistency warning between a matricule and the traits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum CoherenceWarning {
    /// The sex digit does not match the sex trait.
    SexMismatch,
    /// The 2-digit year does not match the birth year.
    YearMismatch,
    /// The month (01–12) does not match the birth month. Unknown months are never compared.
    MonthMismatch,
    /// Department `20` for a birth on or after 1976-01-01 (Corsica is `2A`/`2B` from 1976).
    Corsica20After1976,
    /// Department `2A`/`2B` for a birth before 1976-01-01 (Corsica was `20`).
    Corsica2A2BBefore1976,
    /// Born in French Algeria (departments 91–93 before 1968) but the birthplace trait is not a
    /// country code `99xxx`.
    AlgeriaWithoutCountryCode,
}

/// All consistency warnings of `matricule` against `traits`.
pub fn check(matricule: &Matricule, traits: &Traits) -> Vec<CoherenceWarning> {
    let d = matricule.decode();
    let mut w = Vec::new();
    let sex_ok = matches!(
        (d.sex, traits.sex()),
        (SexDigit::Male, Sex::Male) | (SexDigit::Female, Sex::Female)
    );
    if !sex_ok {
        w.push(CoherenceWarning::SexMismatch);
    }
    let year = traits.birth_date().year();
    if u16::from(d.year) != year % 100 {
        w.push(CoherenceWarning::YearMismatch);
    }
    if let MonthField::Known(m) = d.month {
        let birth_month = traits.birth_date().month();
        if birth_month != 0 && birth_month != m {
            w.push(CoherenceWarning::MonthMismatch);
        }
    }
    match &d.place {
        Place::Corsica { department, .. } if department == "20" && year >= 1976 => {
            w.push(CoherenceWarning::Corsica20After1976)
        }
        Place::Corsica { department, .. } if department != "20" && year < 1976 => {
            w.push(CoherenceWarning::Corsica2A2BBefore1976)
        }
        Place::AlgeriaOrIleDeFrance { .. }
            if year < 1968 && !traits.birth_place().is_some_and(|p| p.is_abroad()) =>
        {
            w.push(CoherenceWarning::AlgeriaWithoutCountryCode)
        }
        _ => {}
    }
    w
}
