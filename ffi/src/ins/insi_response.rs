//! INSi responses (`segur-ins::insi`).

use super::*;

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
