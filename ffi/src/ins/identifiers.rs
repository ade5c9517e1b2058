//! Professional and structure identifiers (RPPS, ADELI, FINESS, SIREN, SIRET).

use super::*;

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
