//! INS Data Matrix entry points (`segur_eprescription::ins_datamatrix` and `render`): build the
//! payload of a qualified identity, parse a scanned payload, and draw QR / Data Matrix symbols.
//!
//! The bridge from `segur_ins::QualifiedIdentity` lives here (as in the CLI) because
//! `segur-eprescription` does not depend on `segur-ins`.

use crate::boundary::{bytes_arg, json_arg, out_arg, write_json, write_out, write_string};
use crate::cards::write_bytes_out;
use crate::eprescription::ep_err;
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_eprescription::decode::Symbology;
use ::segur_eprescription::ins_datamatrix::{InsDatamatrix, Sex};
use serde_json::json;
use std::ffi::c_char;

/// The INS Data Matrix of a qualified identity ([EXI ID 29]: only from a qualified identity).
fn of_qualified(q: &::segur_ins::QualifiedIdentity) -> Result<InsDatamatrix, segur_result> {
    let traits = q.traits();
    let sex = match traits.sex() {
        ::segur_ins::Sex::Male => Sex::Male,
        ::segur_ins::Sex::Female => Sex::Female,
    };
    InsDatamatrix::new(
        q.ins().matricule().expose(),
        q.ins().authority().oid(),
        traits.given_names().expose(),
        traits.birth_name().expose(),
        sex,
        &traits.birth_date().to_datamatrix(),
        traits.birth_place().map(|p| p.code()),
    )
    .map_err(ep_err)
}

/// Builds the payload of the ANS INS Data Matrix ("INS à scanner", [EXI DIF 02]) of a
/// **qualified** identity (`identity_json`: the JSON form of a segur-ins qualified identity, as
/// `segur_identity_to_json` writes it; any other status gives `SEGUR_RESULT_INVALID_JSON`) and
/// writes it to `*out_payload` (free with `segur_string_free`): the header `IS01` + 22 zeros,
/// then `S1` to `S7`, with GS (0x1D) ending short variable fields. Draw it with
/// `segur_code_render` (symbology 1, Data Matrix). The payload is patient data.
///
/// Errors: `SEGUR_RESULT_INVALID_JSON`, `SEGUR_RESULT_EP_INS_DATAMATRIX` (a field outside the
/// format). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_ins_datamatrix_build(
    identity_json: *const c_char,
    identity_json_len: usize,
    out_payload: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `identity_json` points to its length of readable bytes.
        let q: ::segur_ins::QualifiedIdentity =
            try_ffi!(unsafe { json_arg(identity_json, identity_json_len) });
        try_ffi!(out_arg(out_payload));
        let matrix = try_ffi!(of_qualified(&q));
        write_string(out_payload, matrix.to_payload())
    })
}

/// Parses a scanned INS Data Matrix payload (`payload`, `payload_len` bytes, GS as 0x1D; at
/// most 291 bytes) and writes it as JSON to `*out_json` (free with `segur_string_free`):
/// `{"matricule":"...","oid":"1.2.250.1.213.1.4.8","given_names":"...","birth_name":"...",
/// "sex":"M"|"F","birth_date":"JJ-MM-AAAA","birthplace":"63220"|null}`. **The code is not
/// signed**: its content never qualifies an identity on its own (check it against INSi). The
/// JSON is patient data; error details never hold it.
///
/// Errors: `SEGUR_RESULT_EP_INS_DATAMATRIX` (reason and byte position in the detail),
/// `SEGUR_RESULT_EP_TOO_LONG`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_ins_datamatrix_parse(
    payload: *const u8,
    payload_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `payload` points to `payload_len` readable bytes.
        let raw = try_ffi!(unsafe { bytes_arg(payload.cast(), payload_len) });
        try_ffi!(out_arg(out_json));
        let m = try_ffi!(InsDatamatrix::parse(raw).map_err(ep_err));
        write_json(
            out_json,
            &json!({
                "matricule": m.matricule(),
                "oid": m.oid(),
                "given_names": m.given_names(),
                "birth_name": m.birth_name(),
                "sex": m.sex(),
                "birth_date": m.birth_date(),
                "birthplace": m.birthplace(),
            }),
        )
    })
}

/// The symbology and quiet zone of a `symbology` argument, with `module_px` checked.
fn render_args(symbology: u32, module_px: u32) -> Result<(Symbology, u32), segur_result> {
    let chosen = match symbology {
        0 => (Symbology::QrCode, 4),
        1 => (Symbology::DataMatrix, 1),
        _ => {
            return Err(crate::detail::fail(
                segur_result::InvalidParameter,
                "symbology is 0 (QR code) or 1 (Data Matrix)",
            ));
        }
    };
    if !(1..=64).contains(&module_px) {
        return Err(crate::detail::fail(
            segur_result::InvalidParameter,
            "module_px is 1 to 64",
        ));
    }
    Ok(chosen)
}

/// Draws `payload` (`payload_len` UTF-8 bytes) as a symbol: `symbology` 0 = QR code (error
/// correction M, quiet zone of 4 modules, ISO/IEC 18004 §6.3.8), 1 = Data Matrix (square ECC
/// 200 as 2D-Doc §3.7 requires, quiet zone of 1 module, ISO/IEC 16022), `module_px` pixels per
/// module (1 to 64). Writes 8-bit grey pixels, row by row, 0 black and 255 white, to
/// `*out_pixels` / `*out_pixels_len` (free with `segur_bytes_free`) and the size to
/// `*out_width` / `*out_height`; the caller encodes them (PNG, printer bitmap).
///
/// Errors: `SEGUR_RESULT_INVALID_PARAMETER` (symbology or module size),
/// `SEGUR_RESULT_EP_RENDER` (payload too long for the symbology). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_code_render(
    symbology: u32,
    payload: *const c_char,
    payload_len: usize,
    module_px: u32,
    out_pixels: *mut *mut u8,
    out_pixels_len: *mut usize,
    out_width: *mut u32,
    out_height: *mut u32,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `payload` points to `payload_len` readable bytes.
        let text = try_ffi!(unsafe { crate::boundary::str_arg(payload, payload_len) });
        try_ffi!(out_arg(out_pixels));
        try_ffi!(out_arg(out_pixels_len));
        try_ffi!(out_arg(out_width));
        try_ffi!(out_arg(out_height));
        let (symbology, quiet) = try_ffi!(render_args(symbology, module_px));
        let img = try_ffi!(
            ::segur_eprescription::render::render(symbology, text, module_px, quiet)
                .map_err(ep_err)
        );
        let (w, h) = (img.width(), img.height());
        let r = write_bytes_out(out_pixels, out_pixels_len, img.into_raw());
        if !r.is_ok() {
            return r;
        }
        write_out(out_width, w);
        write_out(out_height, h)
    })
}

/// Draws `payload` like `segur_code_render` (`symbology` 0 = QR code, 1 = Data Matrix;
/// `module_px` 1 to 64; same quiet zones) and writes the image encoded as a PNG (8-bit
/// greyscale) to `*out_png` / `*out_png_len` (free with `segur_bytes_free`), ready to print or
/// embed. `segur_eprescription_decode_image` reads it back. The payload may be patient data.
///
/// Errors: `SEGUR_RESULT_INVALID_PARAMETER` (symbology or module size),
/// `SEGUR_RESULT_EP_RENDER` (payload too long for the symbology). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_code_render_png(
    symbology: u32,
    payload: *const c_char,
    payload_len: usize,
    module_px: u32,
    out_png: *mut *mut u8,
    out_png_len: *mut usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `payload` points to `payload_len` readable bytes.
        let text = try_ffi!(unsafe { crate::boundary::str_arg(payload, payload_len) });
        try_ffi!(out_arg(out_png));
        try_ffi!(out_arg(out_png_len));
        let (symbology, quiet) = try_ffi!(render_args(symbology, module_px));
        let png = try_ffi!(
            ::segur_eprescription::render::render_png(symbology, text, module_px, quiet)
                .map_err(ep_err)
        );
        write_bytes_out(out_png, out_png_len, png)
    })
}
