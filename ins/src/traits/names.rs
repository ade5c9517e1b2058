//! Name traits: nom de naissance, prénoms de naissance (ordered list), premier prénom de
//! naissance, and the optional used name / used given name (never filled from the birth traits:
//! [EXI ID 08], RNIV EXI PP 17/18).

use crate::error::{NormalizeError, TraitError};
use crate::normalize::{NameKind, NormalizedName, Normalizer};
use std::fmt;

/// Nom de naissance, normalised with the birth-name profile (`--` allowed).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BirthName(NormalizedName);

/// One prénom, normalised with the given-name profile.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct GivenName(NormalizedName);

/// Premier prénom de naissance (may be several words of the list, see [EXI ID 10]).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FirstGivenName(NormalizedName);

/// The ordered list of prénoms de naissance (INSi `ListePrenom`, space-separated).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct GivenNames {
    names: Vec<GivenName>,
    joined: String,
}

macro_rules! name_type {
    ($t:ident, $kind:expr, $label:literal) => {
        impl $t {
            /// Normalises with the default [`Normalizer`].
            pub fn parse(s: &str) -> Result<Self, NormalizeError> {
                Self::parse_with(&Normalizer::default(), s)
            }
            /// Normalises with the given [`Normalizer`].
            pub fn parse_with(n: &Normalizer, s: &str) -> Result<Self, NormalizeError> {
                n.name(s, $kind).map(Self)
            }
            /// The normalised value. Patient data: explicit.
            pub fn expose(&self) -> &str {
                self.0.expose()
            }
            /// The value as entered.
            pub fn expose_entered(&self) -> &str {
                self.0.expose_entered()
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!($label, "(<redacted>)"))
            }
        }
    };
}

name_type!(BirthName, NameKind::BirthName, "BirthName");
name_type!(GivenName, NameKind::GivenName, "GivenName");
name_type!(FirstGivenName, NameKind::GivenName, "FirstGivenName");

impl GivenNames {
    /// The list from its elements, each normalised as a prénom. At least one is required.
    pub fn from_list<S: AsRef<str>>(n: &Normalizer, list: &[S]) -> Result<Self, TraitError> {
        if list.is_empty() {
            return Err(TraitError::NoGivenName);
        }
        let names = list
            .iter()
            .map(|s| GivenName::parse_with(n, s.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| TraitError::Name {
                field: "given_names",
                source,
            })?;
        let joined = names
            .iter()
            .map(GivenName::expose)
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Self { names, joined })
    }

    /// The list from INSi `ListePrenom` (prénoms separated by single spaces).
    pub fn from_insi(n: &Normalizer, liste_prenom: &str) -> Result<Self, TraitError> {
        let normalized = n
            .normalize(liste_prenom, NameKind::GivenName)
            .map_err(|source| TraitError::Name {
                field: "given_names",
                source,
            })?;
        let parts: Vec<&str> = normalized.split(' ').collect();
        Self::from_list(n, &parts)
    }

    /// The prénoms, in order.
    pub fn iter(&self) -> impl Iterator<Item = &GivenName> {
        self.names.iter()
    }

    /// Number of prénoms.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Always false: the list has at least one prénom.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The first prénom of the list.
    pub fn first(&self) -> Option<&GivenName> {
        self.names.first()
    }

    /// The list joined with single spaces, as INSi `ListePrenom`. Patient data: explicit.
    pub fn expose(&self) -> &str {
        &self.joined
    }
}

impl fmt::Debug for GivenNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GivenNames(<{} redacted>)", self.names.len())
    }
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split([' ', '-', '\'']).filter(|w| !w.is_empty())
}

/// [EXI ID 10]: the first given name is consistent with the list when its words (hyphens and
/// apostrophes counting as spaces) are the first words of the list. With the list
/// `JEAN CHRISTOPHE PIERRE`, `JEAN`, `JEAN CHRISTOPHE`, `JEAN-CHRISTOPHE` and
/// `JEAN-CHRISTOPHE-PIERRE` are consistent; `CHRISTOPHE` is not.
pub fn first_given_name_is_consistent(first: &FirstGivenName, list: &GivenNames) -> bool {
    let mut list_words = words(list.expose());
    let mut any = false;
    for w in words(first.expose()) {
        any = true;
        if list_words.next() != Some(w) {
            return false;
        }
    }
    any
}
