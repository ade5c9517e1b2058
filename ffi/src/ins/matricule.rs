//! Matricule (NIR/NIA, décret 82-103): check, key, decode.

use super::*;

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
