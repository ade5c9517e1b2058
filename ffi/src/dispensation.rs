//! Ordonnance numérique entry points (`segur_eprescription::prescription` and `dispensation`):
//! read a prescription number and check a dispensation record against its prescription.
//!
//! The official number format and the Assurance Maladie téléservice are not public: the number
//! check is the crate's default (characters and length only) and no network call is made here.

use crate::boundary::{json_arg, out_arg, str_arg, write_json, write_string};
use crate::eprescription::ep_err;
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_eprescription::dispensation::{Dispensation, Prescription};
use ::segur_eprescription::prescription::{CharsetAndLength, PrescriptionId};
use std::ffi::c_char;

/// Reads a numéro unique de prescription (`text`, `text_len` UTF-8 bytes) and writes it to
/// `*out_id` (free with `segur_string_free`). `typed_by_hand` false: the payload of the
/// prescription's QR code, taken byte for byte; true: a number typed by a person, surrounding
/// white space and grouping spaces removed. The check is only 1 to 64 ASCII letters and digits:
/// **the official format is not public** (TO VERIFY with the Assurance Maladie specifications).
///
/// Errors: `SEGUR_RESULT_EP_PRESCRIPTION_ID` (reason and byte position in the detail),
/// `SEGUR_RESULT_INVALID_UTF8`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_prescription_id_read(
    text: *const c_char,
    text_len: usize,
    typed_by_hand: bool,
    out_id: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `text` points to `text_len` readable bytes.
        let raw = try_ffi!(unsafe { str_arg(text, text_len) });
        try_ffi!(out_arg(out_id));
        let validator = CharsetAndLength::default();
        let id = if typed_by_hand {
            PrescriptionId::from_manual_entry(raw, &validator)
        } else {
            PrescriptionId::from_qr_payload(raw.as_bytes(), &validator)
        };
        let id = try_ffi!(id.map_err(ep_err));
        write_string(out_id, id.expose().to_owned())
    })
}

/// Input of `segur_dispensation_check`, as JSON.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckJson {
    prescription: Prescription,
    dispensation: Dispensation,
}

/// Checks a dispensation of an ordonnance numérique against its prescription: every prescribed
/// line has exactly one intervention (even "no change"), no unknown line, a posology change
/// carries the prescriber's agreement, agreement and modification dates do not follow the
/// dispensing date, no blank text (Ordre des pharmaciens workflow, see segur-eprescription).
/// `check_json` is `{"prescription":{"id":"...","prescribed_on":"2026-11-20"|null,
/// "prescriber_id":"..."|null,"lines":[{"line_id":"1","label":"...","posology":"..."|null,
/// "quantity":"..."|null}]},"dispensation":{"prescription_id":"...",
/// "dispensed_on":"2026-11-22","lines":[{"line_id":"1","intervention":{"kind":
/// "without_change"}|{"kind":"substitution","dispensed_product":"...","prescriber_agreement":
/// null|{"agreed_on":"...","modified_on":"..."}}|{"kind":"posology_adaptation",
/// "new_posology":"...","prescriber_agreement":{...}}|{"kind":"not_dispensed","reason":"..."},
/// "quantity_dispensed":"..."|null}],"handwritten_additions":[{"label":"...",
/// "quantity_dispensed":"..."|null}]}}` (dates `YYYY-MM-DD`). Writes the accepted dispensation
/// to `*out_json` (free with `segur_string_free`) in the same form, the record to hand to the
/// Assurance Maladie service once its protocol is known (not public).
///
/// Errors: `SEGUR_RESULT_INVALID_JSON`, `SEGUR_RESULT_EP_DISPENSATION` (reason and line index in
/// the detail). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_dispensation_check(
    check_json: *const c_char,
    check_json_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `check_json` points to its length of readable bytes.
        let c: CheckJson = try_ffi!(unsafe { json_arg(check_json, check_json_len) });
        try_ffi!(out_arg(out_json));
        try_ffi!(
            c.dispensation
                .check_against(&c.prescription)
                .map_err(ep_err)
        );
        let record = c.dispensation;
        write_json(out_json, &record)
    })
}
