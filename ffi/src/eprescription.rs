//! E-prescription entry points (`segur-eprescription`): decode the QR codes and Data Matrix
//! symbols of a scanned image, and repair what a keyboard-wedge scanner typed.
//!
//! Error details name reasons, byte positions and image sizes, never payload content.

use crate::boundary::{bytes_arg, json_arg, out_arg, str_arg, write_json};
use crate::detail::fail;
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_eprescription::Error;
use ::segur_eprescription::decode::{DecodeOptions, decode_image_bytes};
use ::segur_eprescription::scanner::{ScannerConfig, normalise};
use base64::Engine as _;
use serde_json::json;
use std::ffi::c_char;

pub(crate) fn ep_err(e: Error) -> segur_result {
    use segur_result as R;
    let code = match &e {
        Error::Image(_) => R::EpImage,
        Error::ImageTooLarge { .. } => R::EpImageTooLarge,
        Error::TooLong { .. } => R::EpTooLong,
        Error::ScannerInput { .. } => R::EpScannerInput,
        Error::TwoDDocHeader { .. } => R::EpTwoDDocHeader,
        Error::TwoDDocVersion(_) => R::EpTwoDDocVersion,
        Error::TwoDDocMessage { .. } => R::EpTwoDDocMessage,
        Error::TwoDDocSignatureFormat(_) => R::EpTwoDDocSignatureFormat,
        Error::UnknownCertificate { .. } => R::EpUnknownCertificate,
        Error::Certificate(_) => R::EpCertificate,
        Error::CertificateNotValidAtSignatureDate => R::EpCertificateNotValidAtSignatureDate,
        Error::BadSignature => R::EpBadSignature,
        Error::InsDatamatrix { .. } => R::EpInsDatamatrix,
        Error::Render(_) => R::EpRender,
        Error::PrescriptionId { .. } => R::EpPrescriptionId,
        Error::Dispensation { .. } => R::EpDispensation,
        _ => R::EpOther,
    };
    // Display names reasons, byte positions and line indexes, never values read from a code.
    fail(code, e)
}

/// Decodes every QR code and Data Matrix symbol in an encoded image (`image`, `image_len`
/// bytes: PNG, JPEG or TIFF scan or photo; at most 64 megapixels, refused before decoding the
/// pixels) and writes them as JSON to `*out_json` (free with `segur_string_free`):
/// `[{"symbology":"qrcode"|"datamatrix","payload_base64":"...","payload_text":"..."|null,
/// "points":[{"x":1.0,"y":2.0}]}]` (`payload_text` when the payload is UTF-8; GS/RS/US kept),
/// `[]` when no code is found. The payloads may hold patient data.
///
/// Errors: `SEGUR_RESULT_EP_IMAGE` (unreadable image), `SEGUR_RESULT_EP_IMAGE_TOO_LARGE`.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_eprescription_decode_image(
    image: *const u8,
    image_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `image` points to `image_len` readable bytes.
        let bytes = try_ffi!(unsafe { bytes_arg(image.cast(), image_len) });
        try_ffi!(out_arg(out_json));
        let codes = try_ffi!(decode_image_bytes(bytes, &DecodeOptions::default()).map_err(ep_err));
        let b64 = base64::engine::general_purpose::STANDARD;
        let v: Vec<_> = codes
            .iter()
            .map(|c| {
                json!({
                    "symbology": c.symbology,
                    "payload_base64": b64.encode(&c.payload),
                    "payload_text": std::str::from_utf8(&c.payload).ok(),
                    "points": c.points,
                })
            })
            .collect();
        write_json(out_json, &v)
    })
}

/// Normalises what a keyboard-wedge scanner typed (`text`, `text_len` UTF-8 bytes): CR/LF/TAB
/// removed, QWERTY/AZERTY layout repaired, configured prefix/suffix and AIM identifier
/// removed, `<GS>`/`␝` stand-ins mapped back to GS/RS/US. `config_json` (NULL for the
/// defaults) is the serde form of `ScannerConfig`: `{"layout":"auto"|"none"|
/// "qwerty_scanner_on_azerty_host"|"azerty_scanner_on_qwerty_host","prefixes":[],
/// "suffixes":[],"strip_aim_identifier":true,"separator_stand_ins":[["<GS>","\u001d"]]}`, every
/// field optional. Writes `{"text":"...","layout_repaired":"none"|...,"aim_identifier":"]Q1"|null}`
/// to `*out_json` (free with `segur_string_free`).
///
/// Errors: `SEGUR_RESULT_EP_SCANNER_INPUT` (another control character: byte position in the
/// detail), `SEGUR_RESULT_EP_TOO_LONG`, `SEGUR_RESULT_INVALID_JSON`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_eprescription_scanner_normalise(
    text: *const c_char,
    text_len: usize,
    config_json: *const c_char,
    config_json_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `text` points to `text_len` readable bytes.
        let raw = try_ffi!(unsafe { str_arg(text, text_len) });
        let config: ScannerConfig = if config_json.is_null() {
            ScannerConfig::default()
        } else {
            // SAFETY: header contract: a non-NULL `config_json` points to its length of bytes.
            try_ffi!(unsafe { json_arg(config_json, config_json_len) })
        };
        try_ffi!(out_arg(out_json));
        let s = try_ffi!(normalise(raw, &config).map_err(ep_err));
        write_json(
            out_json,
            &json!({
                "text": s.expose(),
                "layout_repaired": s.layout_repaired(),
                "aim_identifier": s.aim_identifier(),
            }),
        )
    })
}

/// What a decoded payload is (`segur_eprescription_payload_kind`), from its first bytes.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum segur_payload_kind {
    /// Anything else (on a prescription's QR code: the numéro unique de prescription, for
    /// `segur_prescription_id_read`).
    Other = 0,
    /// `DC` + 2 digits: 2D-Doc in C40 (`segur_twoddoc_parse`).
    TwoDDocC40 = 1,
    /// Byte `0xDC`: binary 2D-Doc v04 (`segur_twoddoc_parse`).
    TwoDDocBinary = 2,
    /// `IS01`: ANS INS Data Matrix (`segur_ins_datamatrix_parse`).
    InsDatamatrix = 3,
}

/// Tells what a decoded payload (`payload`, `payload_len` bytes, for example from
/// `segur_eprescription_decode_image` or `segur_eprescription_scanner_normalise`) is from its
/// first bytes (2D-Doc specification §3.3, ANS INS Data Matrix header), and writes it to
/// `*out_kind`, so the caller knows which parser to call. Nothing is validated beyond the
/// first bytes.
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_eprescription_payload_kind(
    payload: *const u8,
    payload_len: usize,
    out_kind: *mut segur_payload_kind,
) -> segur_result {
    crate::ffi_boundary!({
        use ::segur_eprescription::payload::{PayloadKind, classify};
        // SAFETY: header contract: `payload` points to `payload_len` readable bytes.
        let raw = try_ffi!(unsafe { bytes_arg(payload.cast(), payload_len) });
        let kind = match classify(raw) {
            PayloadKind::TwoDDocC40 => segur_payload_kind::TwoDDocC40,
            PayloadKind::TwoDDocBinary => segur_payload_kind::TwoDDocBinary,
            PayloadKind::InsDatamatrix => segur_payload_kind::InsDatamatrix,
            PayloadKind::Other => segur_payload_kind::Other,
        };
        crate::boundary::write_out(out_kind, kind)
    })
}
