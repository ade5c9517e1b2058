//! Names and traits: normalisation and matricule/traits coherence.

use super::*;

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
