//! INS entry points (`segur-ins`): matricule check, key, decode; INS (matricule + OID); name and
//! traits normalisation; matricule/traits coherence; RNIV identity status; INSi responses;
//! professional and structure identifiers.
//!
//! One file per topic, as the MSSanté entry points. JSON forms are the serde forms of `segur-ins` (README, section `ins`).

mod identifiers;
mod identity;
mod ins_oid;
mod insi_response;
mod matricule;
mod traits;

pub use identifiers::*;
pub use identity::*;
pub use ins_oid::*;
pub use insi_response::*;
pub use matricule::*;
pub use traits::*;

use crate::boundary::{
    handle_mut, handle_ref, json_arg, out_arg, str_arg, write_handle, write_json, write_out,
    write_string,
};
use crate::detail::fail;
use crate::result::segur_result;
use crate::try_ffi;
use segur_ins::insi::{Individual, InsiResponse, ResponseError, parse_response};
use segur_ins::{
    Adeli, Finess, HighTrustDocument, IdentifierError, Identity, Ins, InsError, Matricule,
    MatriculeError, NameKind, NormalizeError, Normalizer, ProvisionalAttributes, Rpps, Siren,
    Siret, TraitError, Traits, TraitsData, TransitionError,
};
use serde_json::json;
use std::ffi::c_char;

// ---------------------------------------------------------------------------------------------
// Error mapping: one code per reason, the Display text (never patient data) as the detail.

fn matricule_err(e: MatriculeError) -> segur_result {
    use segur_result as R;
    let code = match e {
        MatriculeError::Length { .. } => R::InsLength,
        MatriculeError::InvalidChar { .. } => R::InsInvalidChar,
        MatriculeError::LetterOutsideDepartment { .. } => R::InsLetterPosition,
        MatriculeError::InvalidKeyField => R::InsKeyFormat,
        MatriculeError::KeyOutOfRange { .. } => R::InsKeyOutOfRange,
        MatriculeError::KeyMismatch { .. } => R::InsKeyMismatch,
        MatriculeError::Nnp => R::InsNnp,
        MatriculeError::Mig => R::InsMig,
        MatriculeError::ForeignerInRegistration => R::InsSex34,
        MatriculeError::InvalidSexDigit => R::InsSexDigit,
        MatriculeError::OrderZero => R::InsOrderZero,
        _ => R::InsMatriculeOther,
    };
    fail(code, e)
}

pub(crate) fn ins_err(e: InsError) -> segur_result {
    match e {
        InsError::Matricule(m) => matricule_err(m),
        InsError::LegacyInsC => fail(segur_result::InsLegacyInsC, e),
        InsError::UnknownAuthority => fail(segur_result::InsUnknownAuthority, e),
        _ => fail(segur_result::InsUnknownAuthority, e),
    }
}

fn normalize_code(e: NormalizeError) -> segur_result {
    use segur_result as R;
    match e {
        NormalizeError::Empty => R::InsNameEmpty,
        NormalizeError::UnsupportedChar { .. } => R::InsNameUnsupportedChar,
        NormalizeError::LeadingSeparator => R::InsNameLeadingSeparator,
        NormalizeError::TrailingSpace => R::InsNameTrailingSpace,
        NormalizeError::TrailingSeparatorInGivenName => R::InsNameTrailingSeparator,
        NormalizeError::CombinedSeparators { .. } => R::InsNameCombinedSeparators,
        NormalizeError::DoubleHyphenInGivenName { .. } => R::InsNameDoubleHyphen,
        NormalizeError::TooLong { .. } => R::InsNameTooLong,
        _ => R::InsNameOther,
    }
}

fn trait_err(e: TraitError) -> segur_result {
    use segur_result as R;
    let code = match &e {
        TraitError::Name { source, .. } => normalize_code(*source),
        TraitError::NoGivenName => R::InsTraitsNoGivenName,
        TraitError::FirstGivenNameInconsistent => R::InsTraitsFirstGivenName,
        TraitError::Sex => R::InsTraitsSex,
        TraitError::IndeterminateSex => R::InsTraitsSexIndeterminate,
        TraitError::DateFormat => R::InsTraitsDateFormat,
        TraitError::NotACalendarDate => R::InsTraitsDateNotCalendar,
        TraitError::BirthPlace => R::InsTraitsBirthplace,
        _ => R::InsTraitsOther,
    };
    fail(code, e)
}

fn transition_err(e: TransitionError) -> segur_result {
    let code = match e {
        TransitionError::InsiBlocked => segur_result::IdentityInsiBlocked,
        TransitionError::DoubtfulOrFictitious => segur_result::IdentityDoubtful,
        _ => segur_result::IdentityOther,
    };
    fail(code, e)
}

pub(crate) fn identifier_err(e: IdentifierError) -> segur_result {
    let code = match e {
        IdentifierError::Length { .. } => segur_result::IdentifierLength,
        IdentifierError::InvalidChar { .. } => segur_result::IdentifierInvalidChar,
        IdentifierError::CheckDigit { .. } => segur_result::IdentifierCheckDigit,
        _ => segur_result::IdentifierOther,
    };
    fail(code, e)
}

pub(crate) fn response_err(e: ResponseError) -> segur_result {
    use segur_result as R;
    let code = match &e {
        ResponseError::TooLarge { .. } => R::InsiTooLarge,
        ResponseError::Xml { .. } => R::InsiXml,
        ResponseError::Dtd => R::InsiDtd,
        ResponseError::TooDeep => R::InsiTooDeep,
        ResponseError::NoResult => R::InsiNoResult,
        ResponseError::Missing(_) => R::InsiMissing,
        ResponseError::SeveralIndividuals => R::InsiSeveralIndividuals,
        ResponseError::Fault(_) => R::InsiFault,
        ResponseError::Ins(_) => R::InsiInvalidIns,
        _ => R::InsiOther,
    };
    fail(code, e)
}

// ---------------------------------------------------------------------------------------------
// Enumerations passed as `uint32_t` (a value outside the enum gives INVALID_PARAMETER, never UB).

/// Syntactic profile of a name (`segur_ins_normalize_name`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum segur_name_kind {
    /// Nom de naissance or nom utilisé: `--` allowed.
    BirthName = 1,
    /// A prénom: no `--`, no trailing `-` or `'`.
    GivenName = 2,
}

fn name_kind(kind: u32) -> Result<NameKind, segur_result> {
    match kind {
        1 => Ok(NameKind::BirthName),
        2 => Ok(NameKind::GivenName),
        _ => Err(segur_result::InvalidParameter),
    }
}

/// RNIV attributes of a provisional identity (`segur_identity_new`, `segur_identity_mark`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum segur_identity_attributes {
    /// No attribute.
    None = 0,
    /// Homonyme.
    Homonyme = 1,
    /// Douteuse (INSi calls blocked).
    Douteuse = 2,
    /// Douteuse and homonyme.
    DouteuseHomonyme = 3,
    /// Fictive (INSi calls blocked).
    Fictive = 4,
}

fn attributes(value: u32) -> Result<ProvisionalAttributes, segur_result> {
    Ok(match value {
        0 => ProvisionalAttributes::None,
        1 => ProvisionalAttributes::Homonyme,
        2 => ProvisionalAttributes::Douteuse,
        3 => ProvisionalAttributes::DouteuseHomonyme,
        4 => ProvisionalAttributes::Fictive,
        _ => return Err(segur_result::InvalidParameter),
    })
}

/// RNIV identity status (`segur_identity_status`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum segur_identity_status {
    /// Provisoire (PROV): no INS, no document check.
    Provisoire = 1,
    /// Récupérée (RECUP): INS retrieved through INSi.
    Recuperee = 2,
    /// Validée (VALI): identity document checked.
    Validee = 3,
    /// Qualifiée (QUAL): both; the only status whose matricule may be transmitted.
    Qualifiee = 4,
}

/// Kind of professional or structure identifier (`segur_national_id`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum segur_identifier_kind {
    /// RPPS, 11 digits, Luhn key; national id `8` + RPPS.
    Rpps = 1,
    /// ADELI, 9 characters; national id `0` + ADELI.
    Adeli = 2,
    /// FINESS, 9 characters; national id `1` + FINESS.
    Finess = 3,
    /// SIREN, 9 digits, Luhn key; national id `2` + SIREN.
    Siren = 4,
    /// SIRET, 14 digits, Luhn key; national id `3` + SIRET.
    Siret = 5,
}
