//! Identité Nationale de Santé (INS) for French health software.
//!
//! - [`Matricule`]: the NIR/NIA and its control key (décret 82-103; key `97 − (N mod 97)`,
//!   2A→19, 2B→18), parsed without allocation, with typed errors naming reason and position;
//!   a [decoded view](Matricule::decode) with plausibility lints.
//! - [`Ins`] = matricule + [`InsAuthority`] (OIDs `1.2.250.1.213.1.4.8/.9/.10/.11`; the legacy
//!   INS-C `.2` is refused). NIR versus NIA comes only from the OID.
//! - [`Traits`]: the five strict traits, normalised to the INSi character profile by
//!   [`Normalizer`] (explicit transliteration, rejection with position, never stripping).
//! - [`Identity`] with the RNIV statuses and attributes ([`IdentityState`]), where illegal
//!   combinations cannot be represented; [`QualifiedIdentity`] is the only input from which a
//!   matricule may be transmitted.
//! - [`insi`]: the INSi teleservice client, in mutual-TLS, CPx ("assertion PS" signed by the
//!   card) and Pro Santé Connect modes ([`insi::InsiAuthentication`]); the carte Vitale search is
//!   out (its assertion is signed by a proprietary GIE SESAM-Vitale component).
//! - [`InsHistory`], [`coherence`] checks, professional and structure identifiers ([`Rpps`],
//!   [`Finess`], [`Siret`]...).
//!
//! Privacy: every type holding a matricule or a name redacts itself in `Debug` and `Display`;
//! reading the value takes an explicit `expose()`. Errors never carry patient data.
//!
//! Further modules: [`decode`], [`history`], [`insi`], [`normalize`], [`professional`],
//! [`status`], [`traits`].

#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod coherence;
pub mod decode;
mod error;
pub mod history;
mod ins;
pub mod insi;
mod matricule;
pub mod normalize;
pub mod professional;
pub mod status;
pub mod traits;

pub use error::{InsError, Lang, MatriculeError, NormalizeError, TraitError};
pub use history::{HistoricalIns, InsHistory};
pub use ins::{
    Ins, InsAuthority, OID_INS_C_LEGACY, OID_INS_NIA, OID_INS_NIR, OID_INS_NIR_DEMO,
    OID_INS_NIR_TEST,
};
pub use matricule::{BODY_LEN, Grouped, MATRICULE_LEN, Matricule};
pub use normalize::{NameKind, NormalizedName, Normalizer};
pub use professional::{Adeli, Finess, IdentifierError, NationalId, Rpps, Siren, Siret};
pub use status::{
    HighTrustDocument, Identity, IdentityState, IdentityStatus, NotQualified,
    ProvisionalAttributes, QualifiedIdentity, TransitionError, TransitionReason,
};
pub use traits::{
    BirthDate, BirthName, BirthPlace, CalendarDate, FirstGivenName, GivenName, GivenNames,
    LocalSex, LunarDate, Sex, Traits, TraitsData,
};

/// The usage snippet of README.md, compiled and run as a doctest so the crate page never shows
/// code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
