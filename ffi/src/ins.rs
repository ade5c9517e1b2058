//! INS entry points (`segur-ins`): matricule check, key, decode; INS (matricule + OID); name and
//! traits normalisation; matricule/traits coherence; RNIV identity status; INSi responses;
//! professional and structure identifiers.
//!
//! JSON forms are the serde forms of `segur-ins` (README, section `ins`).

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

fn ins_err(e: InsError) -> segur_result {
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

// ---------------------------------------------------------------------------------------------
// Matricule.

/// Checks an INS matricule (NIR or NIA) of 13 or 15 characters (spaces, dots and hyphens are
/// ignored, any case; 13 characters: the key is computed) and writes its canonical 15-character
/// form (`180032B02040123`) to `*out_matricule`, a string to free with `segur_string_free`.
///
/// Errors: `SEGUR_RESULT_INS_LENGTH`, `_INVALID_CHAR`, `_LETTER_POSITION`, `_KEY_FORMAT`,
/// `_KEY_OUT_OF_RANGE`, `_KEY_MISMATCH`, `_NNP`, `_MIG`, `_SEX34`, `_SEX_DIGIT`, `_ORDER_ZERO`
/// (décret 82-103; the position is in `segur_last_error_detail`), `SEGUR_RESULT_INVALID_UTF8`,
/// `SEGUR_RESULT_NULL_PARAMETER`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_ins_matricule_check(
    input: *const c_char,
    input_len: usize,
    out_matricule: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `input` points to `input_len` readable bytes.
        let text = try_ffi!(unsafe { str_arg(input, input_len) });
        try_ffi!(out_arg(out_matricule));
        let m = try_ffi!(Matricule::parse(text).map_err(matricule_err));
        write_string(out_matricule, m.expose().to_owned())
    })
}

/// `segur_ins_matricule_check` without allocation, for batch checks: writes the canonical
/// 15-character matricule (not NUL-terminated) into the caller's `buf` of `buf_len` bytes and 15
/// into `*out_len`. Nothing needs freeing.
///
/// Errors: those of `segur_ins_matricule_check`; `SEGUR_RESULT_INSUFFICIENT_SIZE` (15 written
/// to `*out_len`, `buf` untouched) when `buf_len` < 15. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_ins_matricule_check_into(
    input: *const c_char,
    input_len: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `input` points to `input_len` readable bytes.
        let text = try_ffi!(unsafe { str_arg(input, input_len) });
        try_ffi!(out_arg(buf));
        try_ffi!(out_arg(out_len));
        let m = try_ffi!(Matricule::parse(text).map_err(matricule_err));
        crate::boundary::write_bytes(m.expose().as_bytes(), buf, buf_len, out_len)
    })
}

/// Computes the control key (`97 - (N mod 97)`, 2A read as 19, 2B as 18; décret 82-103) of the
/// 13-character body of a matricule and writes it (1..=97) to `*out_key`.
///
/// Errors: as `segur_ins_matricule_check` (`SEGUR_RESULT_INS_LENGTH` when the body is not 13
/// characters). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_ins_matricule_key(
    body: *const c_char,
    body_len: usize,
    out_key: *mut u8,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `body` points to `body_len` readable bytes.
        let text = try_ffi!(unsafe { str_arg(body, body_len) });
        try_ffi!(out_arg(out_key));
        let key = try_ffi!(Matricule::compute_key(text).map_err(matricule_err));
        write_out(out_key, key)
    })
}

/// Checks a matricule and writes what its digits say as JSON to `*out_json` (free with
/// `segur_string_free`): `{"sex":"Male","year":80,"month":{"Known":3},"place":{"Corsica":
/// {"department":"2B","commune":"020"}},"order":401,"key":23,"lints":[]}`. `month` is
/// `{"Known":n}`, `{"Unknown":n}` (20, 30-42, 50+) or `{"Unassigned":n}`; `place` is one of
/// `Metropolitan`, `Corsica`, `AlgeriaOrIleDeFrance`, `Overseas`, `Abroad` (`country`) or
/// `Unassigned` (`code`); lints: `UnknownMonth`, `UnassignedMonth`, `UnassignedDepartment`,
/// `CommuneZero` (warnings, never errors). The place is where the birth was registered, never
/// the birthplace trait.
///
/// Errors: as `segur_ins_matricule_check`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_ins_matricule_decode(
    input: *const c_char,
    input_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `input` points to `input_len` readable bytes.
        let text = try_ffi!(unsafe { str_arg(input, input_len) });
        try_ffi!(out_arg(out_json));
        let m = try_ffi!(Matricule::parse(text).map_err(matricule_err));
        write_json(out_json, &m.decode())
    })
}

// ---------------------------------------------------------------------------------------------
// INS = matricule + authority OID.

/// Checks an INS: a 15-character matricule (13 also accepted: the key is computed) and its
/// authority OID (`1.2.250.1.213.1.4.8` NIR, `.9` NIA, `.10` test NIR, `.11` demo NIR; the legacy
/// INS-C `.2` is refused). Writes JSON to `*out_json` (free with `segur_string_free`):
/// `{"matricule":"180032B02040123","oid":"1.2.250.1.213.1.4.8","authority":"nir","is_nia":false,
/// "is_test_or_demo":false,"xds_cx":"180032B02040123^^^&1.2.250.1.213.1.4.8&ISO^NH"}`.
///
/// Errors: the matricule errors of `segur_ins_matricule_check`,
/// `SEGUR_RESULT_INS_LEGACY_INS_C`, `SEGUR_RESULT_INS_UNKNOWN_AUTHORITY`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_ins_check(
    matricule: *const c_char,
    matricule_len: usize,
    oid: *const c_char,
    oid_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: each pointer is followed by its readable length.
        let m = try_ffi!(unsafe { str_arg(matricule, matricule_len) });
        // SAFETY: as above.
        let o = try_ffi!(unsafe { str_arg(oid, oid_len) });
        try_ffi!(out_arg(out_json));
        let ins = try_ffi!(Ins::from_parts(m, o).map_err(ins_err));
        write_json(out_json, &ins_json(&ins))
    })
}

fn ins_json(ins: &Ins) -> serde_json::Value {
    let a = ins.authority();
    json!({
        "matricule": ins.matricule().expose(),
        "oid": a.oid(),
        "authority": a,
        "is_nia": a.is_nia(),
        "is_test_or_demo": a.is_test_or_demo(),
        "xds_cx": ins.to_xds_cx(),
    })
}

// ---------------------------------------------------------------------------------------------
// Names and traits.

fn normalize_name(
    n: &Normalizer,
    kind: u32,
    input: *const c_char,
    len: usize,
) -> Result<String, segur_result> {
    let kind = name_kind(kind)?;
    // SAFETY: header contract: `input` points to `len` readable bytes.
    let text = unsafe { str_arg(input, len) }?;
    n.normalize(text, kind)
        .map_err(|e| fail(normalize_code(e), e))
}

pub(crate) fn normalize_traits(
    n: &Normalizer,
    json: *const c_char,
    len: usize,
) -> Result<Traits, segur_result> {
    // SAFETY: header contract: `json` points to `len` readable bytes.
    let data: TraitsData = unsafe { json_arg(json, len) }?;
    Traits::from_data_with(n, &data).map_err(trait_err)
}

/// Normalises one name to the INSi character profile (A-Z, space, `'`, `-`; explicit
/// transliteration, `"d’Ærtagnan"` gives `"D'AERTAGNAN"`; SEL-MP-043 §3.4.1 syntax rules;
/// at most 100 characters) and writes it to `*out_name` (free with `segur_string_free`).
/// `kind` is a `segur_name_kind` value. A character with no equivalent is an error with its
/// position (in `segur_last_error_detail`), never silently dropped.
///
/// Errors: `SEGUR_RESULT_INS_NAME_*`, `SEGUR_RESULT_INVALID_PARAMETER` (unknown kind),
/// `SEGUR_RESULT_INVALID_UTF8`, `SEGUR_RESULT_NULL_PARAMETER`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_ins_normalize_name(
    kind: u32,
    input: *const c_char,
    input_len: usize,
    out_name: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        try_ffi!(out_arg(out_name));
        let s = try_ffi!(normalize_name(
            &Normalizer::default(),
            kind,
            input,
            input_len
        ));
        write_string(out_name, s)
    })
}

/// Validates and normalises the five strict traits given as JSON (`TraitsData` form:
/// `{"birth_name":"d'Artagnan","given_names":["Pierre-Alain","Muriel"],"first_given_name":null,
/// "sex":"M","birth_date":"2001-06-17","birth_place":"63220","used_name":null,
/// "used_given_name":null}`; optional fields may be omitted, unknown fields are refused) and
/// writes the normalised traits in the same form to `*out_json` (free with `segur_string_free`).
///
/// Errors: `SEGUR_RESULT_INVALID_JSON` (line and column in the detail),
/// `SEGUR_RESULT_INS_NAME_*` (field and position in the detail), `SEGUR_RESULT_INS_TRAITS_*`.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_ins_traits_normalize(
    traits_json: *const c_char,
    traits_json_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        try_ffi!(out_arg(out_json));
        let t = try_ffi!(normalize_traits(
            &Normalizer::default(),
            traits_json,
            traits_json_len
        ));
        write_json(out_json, &t)
    })
}

/// A name normaliser with its settings (maximum length). Immutable once made: one handle may be
/// used by several threads at once.
pub struct segur_normalizer {
    inner: Normalizer,
}

/// Makes a normaliser whose names may have at most `max_len` characters (0: the default, 100)
/// and writes it to `*out_normalizer`; free it with `segur_normalizer_free`.
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_normalizer_new(
    max_len: usize,
    out_normalizer: *mut *mut segur_normalizer,
) -> segur_result {
    crate::ffi_boundary!({
        let inner = if max_len == 0 {
            Normalizer::default()
        } else {
            Normalizer::with_max_len(max_len)
        };
        write_handle(out_normalizer, segur_normalizer { inner })
    })
}

/// `segur_ins_normalize_name` with this normaliser's settings. `normalizer` is not modified;
/// concurrent calls on one handle are safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_normalizer_name(
    normalizer: *const segur_normalizer,
    kind: u32,
    input: *const c_char,
    input_len: usize,
    out_name: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle from segur_normalizer_new.
        let n = try_ffi!(unsafe { handle_ref(normalizer) });
        try_ffi!(out_arg(out_name));
        let s = try_ffi!(normalize_name(&n.inner, kind, input, input_len));
        write_string(out_name, s)
    })
}

/// `segur_ins_traits_normalize` with this normaliser's settings. `normalizer` is not modified;
/// concurrent calls on one handle are safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_normalizer_traits(
    normalizer: *const segur_normalizer,
    traits_json: *const c_char,
    traits_json_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle from segur_normalizer_new.
        let n = try_ffi!(unsafe { handle_ref(normalizer) });
        try_ffi!(out_arg(out_json));
        let t = try_ffi!(normalize_traits(&n.inner, traits_json, traits_json_len));
        write_json(out_json, &t)
    })
}

/// Frees a normaliser; NULL is a no-op. Free each handle exactly once, after every call using it
/// has returned.
#[unsafe(no_mangle)]
pub extern "C" fn segur_normalizer_free(normalizer: *mut segur_normalizer) {
    crate::ffi_boundary!(default: (), {
        // SAFETY: header contract: NULL or a live handle, freed once.
        unsafe { crate::boundary::free_handle(normalizer) }
    })
}

/// Checks a matricule against the traits (JSON, `TraitsData` form) and writes the consistency
/// warnings as a JSON array to `*out_json` (free with `segur_string_free`): `[]` or some of
/// `"SexMismatch"`, `"YearMismatch"`, `"MonthMismatch"`, `"Corsica20After1976"`,
/// `"Corsica2A2BBefore1976"`, `"AlgeriaWithoutCountryCode"`. Warnings, not errors: INSi is the
/// reference.
///
/// Errors: those of `segur_ins_matricule_check` and `segur_ins_traits_normalize`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_ins_coherence(
    matricule: *const c_char,
    matricule_len: usize,
    traits_json: *const c_char,
    traits_json_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `matricule` points to `matricule_len` readable bytes.
        let m = try_ffi!(unsafe { str_arg(matricule, matricule_len) });
        try_ffi!(out_arg(out_json));
        let m = try_ffi!(Matricule::parse(m).map_err(matricule_err));
        let t = try_ffi!(normalize_traits(
            &Normalizer::default(),
            traits_json,
            traits_json_len
        ));
        write_json(out_json, &segur_ins::coherence::check(&m, &t))
    })
}

// ---------------------------------------------------------------------------------------------
// Identity (RNIV status).

/// A patient identity: strict traits plus RNIV state (`Provisoire`, `Recuperee`, `Validee`,
/// `Qualifiee`, with the homonyme/douteuse/fictive attributes). Functions taking a `const`
/// handle may run concurrently; a function taking a non-`const` handle must not run while any
/// other call uses the same handle (the caller serialises, for example with a mutex).
pub struct segur_identity {
    inner: Identity,
}

/// Makes a provisional identity from the traits (JSON, `TraitsData` form, normalised on input)
/// and `attributes` (a `segur_identity_attributes` value) and writes it to `*out_identity`;
/// free it with `segur_identity_free`.
///
/// Errors: those of `segur_ins_traits_normalize`, `SEGUR_RESULT_INVALID_PARAMETER`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_new(
    traits_json: *const c_char,
    traits_json_len: usize,
    attributes: u32,
    out_identity: *mut *mut segur_identity,
) -> segur_result {
    crate::ffi_boundary!({
        try_ffi!(out_arg(out_identity));
        let a = try_ffi!(self::attributes(attributes));
        let t = try_ffi!(normalize_traits(
            &Normalizer::default(),
            traits_json,
            traits_json_len
        ));
        write_handle(
            out_identity,
            segur_identity {
                inner: Identity::provisional(t, a),
            },
        )
    })
}

/// Restores an identity from the JSON written by `segur_identity_to_json` (for example from the
/// LGO's database) and writes it to `*out_identity`; free it with `segur_identity_free`. Traits
/// are validated again, and states the RNIV forbids cannot be represented.
///
/// Errors: `SEGUR_RESULT_INVALID_JSON` (line and column in the detail). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_from_json(
    json: *const c_char,
    json_len: usize,
    out_identity: *mut *mut segur_identity,
) -> segur_result {
    crate::ffi_boundary!({
        try_ffi!(out_arg(out_identity));
        // SAFETY: header contract: `json` points to `json_len` readable bytes.
        let inner: Identity = try_ffi!(unsafe { json_arg(json, json_len) });
        write_handle(out_identity, segur_identity { inner })
    })
}

/// Writes the identity as JSON (serde form of `segur_ins::Identity`: `{"traits":{...},
/// "state":{"Provisoire":{"attributes":"None"}}}`) to `*out_json` (free with `segur_string_free`).
/// The JSON holds patient data: store it as such. `identity` is not modified.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_to_json(
    identity: *const segur_identity,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let id = try_ffi!(unsafe { handle_ref(identity) });
        write_json(out_json, &id.inner)
    })
}

/// Writes the RNIV status (a `segur_identity_status`) to `*out_status`. `identity` is not
/// modified.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_get_status(
    identity: *const segur_identity,
    out_status: *mut segur_identity_status,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let id = try_ffi!(unsafe { handle_ref(identity) });
        use segur_ins::IdentityStatus as S;
        let s = match id.inner.status() {
            S::Provisoire => segur_identity_status::Provisoire,
            S::Recuperee => segur_identity_status::Recuperee,
            S::Validee => segur_identity_status::Validee,
            S::Qualifiee => segur_identity_status::Qualifiee,
        };
        write_out(out_status, s)
    })
}

/// Whether the matricule of this identity may be transmitted (status Qualifiée only, RNIV
/// EXI SI 08). `false` for NULL. `identity` is not modified.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_can_transmit_matricule(identity: *const segur_identity) -> bool {
    crate::ffi_boundary!(default: false, {
        // SAFETY: header contract: NULL or a live handle.
        unsafe { handle_ref(identity) }.is_ok_and(|id| id.inner.can_transmit_matricule())
    })
}

/// Whether INSi may be called for this identity (not douteuse or fictive, EXI ID 26). `false`
/// for NULL. `identity` is not modified.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_may_call_insi(identity: *const segur_identity) -> bool {
    crate::ffi_boundary!(default: false, {
        // SAFETY: header contract: NULL or a live handle.
        unsafe { handle_ref(identity) }.is_ok_and(|id| id.inner.may_call_insi())
    })
}

/// Writes the INS of a **qualified** identity as JSON (form of `segur_ins_check`) to
/// `*out_json` (free with `segur_string_free`): the only way to obtain a matricule to transmit.
///
/// Errors: `SEGUR_RESULT_IDENTITY_NOT_QUALIFIED` for any other status. `identity` is not
/// modified.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_qualified_ins(
    identity: *const segur_identity,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let id = try_ffi!(unsafe { handle_ref(identity) });
        try_ffi!(out_arg(out_json));
        match id.inner.qualified() {
            Some(q) => write_json(out_json, &ins_json(q.ins())),
            None => segur_result::IdentityNotQualified,
        }
    })
}

/// Records an INSi retrieval (INS `matricule` + `oid`, traits JSON as returned by INSi): the
/// INSi traits replace the local ones; Provisoire becomes Récupérée, Validée becomes Qualifiée.
/// On error the identity is unchanged.
///
/// Errors: those of `segur_ins_check` and `segur_ins_traits_normalize`,
/// `SEGUR_RESULT_IDENTITY_INSI_BLOCKED` (douteuse or fictive). Mutates `identity`: not
/// concurrently with other calls on it.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_record_insi_retrieval(
    identity: *mut segur_identity,
    matricule: *const c_char,
    matricule_len: usize,
    oid: *const c_char,
    oid_len: usize,
    traits_json: *const c_char,
    traits_json_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let id = try_ffi!(unsafe { handle_mut(identity) });
        // SAFETY: header contract: each pointer is followed by its readable length.
        let m = try_ffi!(unsafe { str_arg(matricule, matricule_len) });
        // SAFETY: as above.
        let o = try_ffi!(unsafe { str_arg(oid, oid_len) });
        let ins = try_ffi!(Ins::from_parts(m, o).map_err(ins_err));
        let t = try_ffi!(normalize_traits(
            &Normalizer::default(),
            traits_json,
            traits_json_len
        ));
        try_ffi!(
            id.inner
                .record_insi_retrieval(ins, t)
                .map_err(transition_err)
        );
        segur_result::Ok
    })
}

/// Records a check against a high-trust identity document, given as the JSON serde form of
/// `HighTrustDocument`: `"Passport"`, `"NationalIdCard"`, `"ResidencePermit"`,
/// `"BirthCertificate"`, `"FamilyRecordBook"` or `{"Other":"<code>"}` (the structure's policy
/// decides which are accepted). Provisoire becomes Validée, Récupérée becomes Qualifiée. On error
/// the identity is unchanged.
///
/// Errors: `SEGUR_RESULT_INVALID_JSON`, `SEGUR_RESULT_IDENTITY_DOUBTFUL` (douteuse or fictive).
/// Mutates `identity`: not concurrently with other calls on it.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_record_document_check(
    identity: *mut segur_identity,
    document_json: *const c_char,
    document_json_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let id = try_ffi!(unsafe { handle_mut(identity) });
        // SAFETY: header contract: `document_json` points to `document_json_len` readable bytes.
        let doc: HighTrustDocument =
            try_ffi!(unsafe { json_arg(document_json, document_json_len) });
        try_ffi!(id.inner.record_document_check(doc).map_err(transition_err));
        segur_result::Ok
    })
}

/// Marks the identity with `attributes` (a `segur_identity_attributes` value): it falls back to
/// Provisoire and loses its INS (EXI ID 26). Errors: `SEGUR_RESULT_INVALID_PARAMETER`.
/// Mutates `identity`: not concurrently with other calls on it.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_mark(
    identity: *mut segur_identity,
    attributes: u32,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let id = try_ffi!(unsafe { handle_mut(identity) });
        let a = try_ffi!(self::attributes(attributes));
        id.inner.mark(a);
        segur_result::Ok
    })
}

/// Frees an identity; NULL is a no-op. Free each handle exactly once, after every call using it
/// has returned.
#[unsafe(no_mangle)]
pub extern "C" fn segur_identity_free(identity: *mut segur_identity) {
    crate::ffi_boundary!(default: (), {
        // SAFETY: header contract: NULL or a live handle, freed once.
        unsafe { crate::boundary::free_handle(identity) }
    })
}

// ---------------------------------------------------------------------------------------------
// INSi responses.

fn individual_json(i: &Individual) -> serde_json::Value {
    let error = |code: segur_result, text: String| json!({ "code": code as u32, "name": crate::names::screaming_snake(code.name()), "message": text });
    let (history, history_error) = match &i.history {
        Ok(h) => (json!(h), serde_json::Value::Null),
        Err(e) => {
            // An invalid INS is reported with its precise INS code (INS_KEY_MISMATCH...).
            let code = match e {
                ResponseError::Ins(ins) => ins_err(ins.clone()),
                other => response_err(other.clone()),
            };
            (serde_json::Value::Null, error(code, e.to_string()))
        }
    };
    let (traits, traits_error) = match &i.traits {
        Ok(t) => (json!(t), serde_json::Value::Null),
        Err(e) => {
            let code = trait_err(e.clone());
            (serde_json::Value::Null, error(code, e.to_string()))
        }
    };
    crate::detail::clear();
    json!({ "history": history, "history_error": history_error, "traits": traits, "traits_error": traits_error })
}

/// JSON form of an INSi `RESULTAT` (documented on `segur_insi_parse_response`).
pub(crate) fn response_json(r: &InsiResponse) -> serde_json::Value {
    json!({
        "code": r.code,
        "label": r.label,
        "individual": r.individual.as_ref().map(individual_json),
    })
}

/// Reads an INSi response (SOAP 1.2 envelope with a `RESULTAT`, at most 1 MiB; DTDs refused,
/// entities never expanded) and writes JSON to `*out_json` (free with `segur_string_free`):
/// `{"code":"00","label":"OK","individual":{"history":{"active":{...},"historical":[...]},
/// "history_error":null,"traits":{...},"traits_error":null}}`; `individual` is null for codes
/// `01` (none found) and `02` (several found). Every returned INS is checked: an invalid one
/// gives `history: null` and `history_error: {"code":2005,"name":"INS_KEY_MISMATCH",
/// "message":"..."}` (same for traits), never an accepted wrong INS.
///
/// Errors: `SEGUR_RESULT_INSI_FAULT` (the teleservice's fault code and text in
/// `segur_last_error_detail`), `SEGUR_RESULT_INSI_*`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_insi_parse_response(
    xml: *const c_char,
    xml_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `xml` points to `xml_len` readable bytes.
        let bytes = try_ffi!(unsafe { crate::boundary::bytes_arg(xml, xml_len) });
        try_ffi!(out_arg(out_json));
        let r = try_ffi!(parse_response(bytes).map_err(response_err));
        write_json(out_json, &response_json(&r))
    })
}

// ---------------------------------------------------------------------------------------------
// Professional and structure identifiers.

/// Checks a professional or structure identifier (`kind`: a `segur_identifier_kind` value; RPPS,
/// SIREN and SIRET keys are Luhn, ISO/IEC 7812-1) and writes its national identifier as JSON to
/// `*out_json` (free with `segur_string_free`): `{"root":"1.2.250.1.71.4.2.1",
/// "extension":"810001234567"}` (root `.1` persons, `.2` structures).
///
/// Errors: `SEGUR_RESULT_IDENTIFIER_LENGTH`, `_INVALID_CHAR`, `_CHECK_DIGIT`,
/// `SEGUR_RESULT_INVALID_PARAMETER` (unknown kind). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_national_id(
    kind: u32,
    input: *const c_char,
    input_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `input` points to `input_len` readable bytes.
        let text = try_ffi!(unsafe { str_arg(input, input_len) });
        try_ffi!(out_arg(out_json));
        let id = match kind {
            1 => Rpps::parse(text).map(|v| v.national_id()),
            2 => Adeli::parse(text).map(|v| v.national_id()),
            3 => Finess::parse(text).map(|v| v.national_id()),
            4 => Siren::parse(text).map(|v| v.national_id()),
            5 => Siret::parse(text).map(|v| v.national_id()),
            _ => return segur_result::InvalidParameter,
        };
        let id = try_ffi!(id.map_err(identifier_err));
        write_json(out_json, &id)
    })
}
