//! 2D-Doc entry points (`segur_eprescription::twoddoc`): parse a decoded 2D-Doc to JSON and
//! verify its signature with certificates the caller supplies (ANTS *Spécifications techniques
//! des codes à barres 2D-Doc* v3.2.6).
//!
//! Fetching the certificates (ANTS trust list, the authorities' directories), chain building and
//! revocation stay with the caller, as in the Rust crate.

use crate::boundary::{bytes_arg, out_arg, write_json};
use crate::eprescription::ep_err;
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_eprescription::twoddoc::{self, Field, verify::TrustStore};
use base64::Engine as _;
use serde_json::json;
use std::ffi::c_char;

fn field_json(f: &Field<'_>) -> serde_json::Value {
    json!({
        "id": f.id,
        "label": f.definition.map(|d| d.label),
        "text": std::str::from_utf8(f.value).ok(),
        "value_base64": base64::engine::general_purpose::STANDARD.encode(f.value),
        "truncated": f.truncated,
    })
}

/// Parses a decoded 2D-Doc (`code`, `code_len` bytes: the symbol's payload with its GS/RS/US
/// separators, C40 `DC02`-`DC04` or binary `0xDC` v04; at most 24,928 bytes) **without verifying
/// it**, and writes it as JSON to `*out_json` (free with `segur_string_free`):
/// `{"header":{"encoding":"c40"|"binary","version":4,"ca_id":"FR00","cert_id":"0001",
/// "issue_date":"2018-06-25"|null,"signature_date":"..."|null,"doc_type":"B1","perimeter":"01",
/// "country":"FR"|null,"len":26},"fields":[{"id":"B2","label":"..."|null,"text":"..."|null,
/// "value_base64":"...","truncated":false}],"unparsed":null|{"offset":33,"bytes_base64":"..."},
/// "signature_base64":"...","annex":[<field>]}`. `unparsed` holds the message bytes after a data
/// identifier missing from the catalogue (never guessed; still covered by the signature); the
/// `annex` (v04) is **not signed**. The values may be patient data; error details never hold
/// them.
///
/// Errors: `SEGUR_RESULT_EP_TWO_D_DOC_HEADER`, `SEGUR_RESULT_EP_TWO_D_DOC_VERSION`,
/// `SEGUR_RESULT_EP_TWO_D_DOC_MESSAGE`, `SEGUR_RESULT_EP_TWO_D_DOC_SIGNATURE_FORMAT` (byte
/// position in the detail), `SEGUR_RESULT_EP_TOO_LONG`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_twoddoc_parse(
    code: *const u8,
    code_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `code` points to `code_len` readable bytes.
        let raw = try_ffi!(unsafe { bytes_arg(code.cast(), code_len) });
        try_ffi!(out_arg(out_json));
        let doc = try_ffi!(twoddoc::parse(raw).map_err(ep_err));
        let b64 = base64::engine::general_purpose::STANDARD;
        write_json(
            out_json,
            &json!({
                "header": doc.header,
                "fields": doc.fields.iter().map(field_json).collect::<Vec<_>>(),
                "unparsed": doc.unparsed.map(|(offset, rest)| json!({
                    "offset": offset,
                    "bytes_base64": b64.encode(rest),
                })),
                "signature_base64": b64.encode(&doc.signature),
                "annex": doc.annex.iter().map(field_json).collect::<Vec<_>>(),
            }),
        )
    })
}

/// Verifies the signature of a decoded 2D-Doc (`code`, `code_len` bytes, as for
/// `segur_twoddoc_parse`) with the leaf certificate `certificate_der` (`certificate_der_len`
/// bytes, DER X.509, EC P-256 or P-384): the certificate must be the one the header names
/// (issuer CN = authority id, subject CN = certificate id), valid at the header's signature
/// date, and the ECDSA signature (raw r‖s, §3.5.2) must verify over the header and message
/// exactly as read (§5.1; *Processus 2D-Doc* v1.2 §1.2.3). The P-384 hash is SHA-384 (TO VERIFY
/// with a real P-384 code).
///
/// `skip_validity_period` skips the date check: only for the specification's test certificate
/// FR00/0001 (valid 2012-2015, its reference codes signed later, §16.1), never in production.
///
/// Returns `SEGUR_RESULT_OK` when the signature verifies; `SEGUR_RESULT_EP_BAD_SIGNATURE` when
/// it does not (forged or altered code); `SEGUR_RESULT_EP_UNKNOWN_CERTIFICATE` (the certificate
/// is not the one the header names), `SEGUR_RESULT_EP_CERTIFICATE_NOT_VALID_AT_SIGNATURE_DATE`,
/// `SEGUR_RESULT_EP_CERTIFICATE` (unusable certificate), or the parse errors of
/// `segur_twoddoc_parse`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_twoddoc_verify(
    code: *const u8,
    code_len: usize,
    certificate_der: *const u8,
    certificate_der_len: usize,
    skip_validity_period: bool,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `code` points to `code_len` readable bytes.
        let raw = try_ffi!(unsafe { bytes_arg(code.cast(), code_len) });
        // SAFETY: header contract: `certificate_der` points to its length of readable bytes.
        let der = try_ffi!(unsafe { bytes_arg(certificate_der.cast(), certificate_der_len) });
        let doc = try_ffi!(twoddoc::parse(raw).map_err(ep_err));
        let mut store = TrustStore::new();
        try_ffi!(store.add_certificate_der(der).map_err(ep_err));
        if skip_validity_period {
            store.skip_validity_period_check();
        }
        try_ffi!(twoddoc::verify::verify(&doc, &store).map_err(ep_err));
        segur_result::Ok
    })
}
