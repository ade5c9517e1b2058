//! The e-prescription entry points called as C would call them: a rendered QR code and Data
//! Matrix decoded from a PNG, scanner text repaired, and the error families.
#![allow(unsafe_code)] // reading the strings the library returns
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use base64::Engine as _;
use segur::eprescription::*;
use segur::*;
use segur_eprescription::decode::Symbology;
use std::ffi::{CStr, c_char};
use std::ptr;

fn take(p: *mut c_char) -> serde_json::Value {
    assert!(!p.is_null());
    // SAFETY: a NUL-terminated string returned by the library, freed right after.
    let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    segur_string_free(p);
    serde_json::from_str(&s).unwrap()
}

fn png(symbology: Symbology, payload: &str) -> Vec<u8> {
    let img = segur_eprescription::render::render(symbology, payload, 4, 4).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn rendered_codes_are_decoded_from_a_png() {
    for (sym, payload, name) in [
        (Symbology::QrCode, "ORDO-2025-000123", "qrcode"),
        (Symbology::DataMatrix, "DC04FR000001", "datamatrix"),
    ] {
        let img = png(sym, payload);
        let mut out = ptr::null_mut();
        assert_eq!(
            segur_eprescription_decode_image(img.as_ptr(), img.len(), &mut out),
            segur_result::Ok
        );
        let v = take(out);
        assert_eq!(v.as_array().unwrap().len(), 1, "{name}");
        assert_eq!(v[0]["symbology"], name);
        assert_eq!(v[0]["payload_text"], payload);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(v[0]["payload_base64"].as_str().unwrap())
            .unwrap();
        assert_eq!(raw, payload.as_bytes());
        assert!(!v[0]["points"].as_array().unwrap().is_empty());
    }
    let mut out = ptr::null_mut();
    for (bytes, code) in [
        (&b"not an image"[..], segur_result::EpImage),
        (b"\x89PNG\r\n\x1a\n", segur_result::EpImage),
    ] {
        assert_eq!(
            segur_eprescription_decode_image(bytes.as_ptr(), bytes.len(), &mut out),
            code
        );
        assert!(out.is_null());
    }
    assert_eq!(
        segur_eprescription_decode_image(ptr::null(), 0, &mut out),
        segur_result::NullParameter
    );
}

#[test]
fn scanner_text_is_repaired_and_control_characters_refused() {
    let mut out = ptr::null_mut();
    // A QWERTY scanner on an AZERTY PC types `DC04` digits as `&é"'(`-row characters.
    let typed = "]Q1DC<GS>04\r\n";
    assert_eq!(
        segur_eprescription_scanner_normalise(
            typed.as_ptr().cast(),
            typed.len(),
            ptr::null(),
            0,
            &mut out
        ),
        segur_result::Ok
    );
    let v = take(out);
    assert_eq!(v["text"], "DC\u{1d}04");
    assert_eq!(v["aim_identifier"], "]Q1");
    let cfg = r#"{"layout":"qwerty_scanner_on_azerty_host"}"#;
    let typed = "DC)à";
    assert_eq!(
        segur_eprescription_scanner_normalise(
            typed.as_ptr().cast(),
            typed.len(),
            cfg.as_ptr().cast(),
            cfg.len(),
            &mut out
        ),
        segur_result::Ok
    );
    let v = take(out);
    assert_eq!(v["layout_repaired"], "qwerty_scanner_on_azerty_host");
    assert_eq!(
        v["text"],
        segur_eprescription::scanner::normalise(typed, &serde_json::from_str(cfg).unwrap())
            .unwrap()
            .expose()
    );
    let bad = "AB\u{7}CD";
    out = ptr::null_mut();
    assert_eq!(
        segur_eprescription_scanner_normalise(
            bad.as_ptr().cast(),
            bad.len(),
            ptr::null(),
            0,
            &mut out
        ),
        segur_result::EpScannerInput
    );
    assert!(out.is_null());
    assert_eq!(
        segur_eprescription_scanner_normalise(
            bad.as_ptr().cast(),
            bad.len(),
            c"{".as_ptr(),
            1,
            &mut out
        ),
        segur_result::InvalidJson
    );
}
