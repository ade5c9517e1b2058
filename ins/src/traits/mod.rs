//! The five strict INS traits (nom de naissance, prénom(s) de naissance, date de naissance, sexe,
//! lieu de naissance), validated on construction and on deserialisation.

mod date;
mod names;
mod place;
mod sex;

pub use date::{BirthDate, CalendarDate, LunarDate};
pub use names::{BirthName, FirstGivenName, GivenName, GivenNames, first_given_name_is_consistent};
pub use place::BirthPlace;
pub use sex::{LocalSex, Sex};

use crate::error::TraitError;
use crate::normalize::Normalizer;
use std::fmt;

/// The strict traits of a patient, normalised to the INSi profile.
///
/// `Debug` redacts every value. Serde form (JSON):
/// `{"birth_name": "D'ARTAGNAN", "given_names": ["PIERRE-ALAIN", "MURIEL"],
///   "first_given_name": "PIERRE-ALAIN", "sex": "M", "birth_date": "2001-06-17",
///   "birth_place": "63220", "used_name": null, "used_given_name": null}`;
/// `first_given_name` defaults to the first element of the list; values are normalised on input.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "TraitsData", into = "TraitsData")]
pub struct Traits {
    birth_name: BirthName,
    given_names: GivenNames,
    first_given_name: FirstGivenName,
    sex: Sex,
    birth_date: BirthDate,
    birth_place: Option<BirthPlace>,
    used_name: Option<BirthName>,
    used_given_name: Option<FirstGivenName>,
}

/// Plain serde form of [`Traits`] (also the input of [`Traits::from_data`]).
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraitsData {
    /// Nom de naissance.
    pub birth_name: String,
    /// Prénoms de naissance, in order.
    pub given_names: Vec<String>,
    /// Premier prénom de naissance; defaults to the first of `given_names`.
    #[serde(default)]
    pub first_given_name: Option<String>,
    /// `M` or `F`.
    pub sex: String,
    /// `YYYY-MM-DD` or `YYYYMMDD`.
    pub birth_date: String,
    /// INSEE COG code.
    #[serde(default)]
    pub birth_place: Option<String>,
    /// Nom utilisé (never derived from the birth name).
    #[serde(default)]
    pub used_name: Option<String>,
    /// Prénom utilisé (never derived from the birth given names).
    #[serde(default)]
    pub used_given_name: Option<String>,
}

impl fmt::Debug for TraitsData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TraitsData(<redacted>)")
    }
}

impl Traits {
    /// Validates and normalises the traits with the default [`Normalizer`].
    pub fn from_data(data: &TraitsData) -> Result<Self, TraitError> {
        Self::from_data_with(&Normalizer::default(), data)
    }

    /// Validates and normalises the traits with the given [`Normalizer`].
    pub fn from_data_with(n: &Normalizer, d: &TraitsData) -> Result<Self, TraitError> {
        let name = |field: &'static str| move |source| TraitError::Name { field, source };
        let birth_name = BirthName::parse_with(n, &d.birth_name).map_err(name("birth_name"))?;
        let given_names = GivenNames::from_list(n, &d.given_names)?;
        let first_given_name = match &d.first_given_name {
            Some(f) => FirstGivenName::parse_with(n, f).map_err(name("first_given_name"))?,
            None => FirstGivenName::parse_with(n, given_names.first().map_or("", |g| g.expose()))
                .map_err(name("first_given_name"))?,
        };
        if !first_given_name_is_consistent(&first_given_name, &given_names) {
            return Err(TraitError::FirstGivenNameInconsistent);
        }
        let used_name = d
            .used_name
            .as_deref()
            .map(|s| BirthName::parse_with(n, s))
            .transpose()
            .map_err(name("used_name"))?;
        let used_given_name = d
            .used_given_name
            .as_deref()
            .map(|s| FirstGivenName::parse_with(n, s))
            .transpose()
            .map_err(name("used_given_name"))?;
        Ok(Self {
            birth_name,
            given_names,
            first_given_name,
            sex: Sex::parse(&d.sex)?,
            birth_date: BirthDate::parse(&d.birth_date)?,
            birth_place: d
                .birth_place
                .as_deref()
                .map(BirthPlace::parse)
                .transpose()?,
            used_name,
            used_given_name,
        })
    }

    /// Nom de naissance.
    pub fn birth_name(&self) -> &BirthName {
        &self.birth_name
    }
    /// Prénoms de naissance.
    pub fn given_names(&self) -> &GivenNames {
        &self.given_names
    }
    /// Premier prénom de naissance.
    pub fn first_given_name(&self) -> &FirstGivenName {
        &self.first_given_name
    }
    /// Sexe.
    pub fn sex(&self) -> Sex {
        self.sex
    }
    /// Date de naissance.
    pub fn birth_date(&self) -> &BirthDate {
        &self.birth_date
    }
    /// Lieu de naissance (COG), when known.
    pub fn birth_place(&self) -> Option<&BirthPlace> {
        self.birth_place.as_ref()
    }
    /// Nom utilisé, when entered.
    pub fn used_name(&self) -> Option<&BirthName> {
        self.used_name.as_ref()
    }
    /// Prénom utilisé, when entered.
    pub fn used_given_name(&self) -> Option<&FirstGivenName> {
        self.used_given_name.as_ref()
    }
}

impl fmt::Debug for Traits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Traits(<redacted>)")
    }
}

impl TryFrom<TraitsData> for Traits {
    type Error = TraitError;
    fn try_from(d: TraitsData) -> Result<Self, TraitError> {
        Self::from_data(&d)
    }
}

impl From<Traits> for TraitsData {
    fn from(t: Traits) -> Self {
        Self {
            birth_name: t.birth_name.expose().to_owned(),
            given_names: t
                .given_names
                .iter()
                .map(|g| g.expose().to_owned())
                .collect(),
            first_given_name: Some(t.first_given_name.expose().to_owned()),
            sex: t.sex.code().to_owned(),
            birth_date: t.birth_date.to_string(),
            birth_place: t.birth_place.map(|p| p.code().to_owned()),
            used_name: t.used_name.map(|n| n.expose().to_owned()),
            used_given_name: t.used_given_name.map(|n| n.expose().to_owned()),
        }
    }
}
