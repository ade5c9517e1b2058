//! 2D-Doc, INS Data Matrix, prescription number and dispensation entry points called as C
//! would call them: the ANTS reference codes (2D-Doc specification v3.2.6 §16.2) and their
//! published test certificate FR00/0001 (§16.1), altered codes, an INS Data Matrix built from a
//! qualified identity, drawn, scanned back from a PNG and parsed.
#![allow(unsafe_code)] // reading the strings and bytes the library returns
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use base64::Engine as _;
use segur::cards::segur_bytes_free;
use segur::dispensation::*;
use segur::eprescription::*;
use segur::ins_datamatrix::*;
use segur::twoddoc::*;
use segur::*;
use std::ptr;
use support::{take_json as json, take_string as take};

mod support;

/// Specification §16.1: test certificate (AC FR00, certificate 0001, P-256, valid 2012-2015).
const TEST_CERT_B64: &str = "MIICVzCCAT8CCQCpMEvcR9M4RTANBgkqhkiG9w0BAQUFADBPMQswCQYDVQQGEwJGUjETMBEGA1UECgwKQUMgREUgVEVTVDEcMBoGA1UECwwTMDAwMiAwMDAwMDAwMDAwMDAwMDENMAsGA1UEAwwERlIwMDAeFw0xMjExMDExMzQ3NDZaFw0xNTExMDExMzQ3NDZaMFcxCzAJBgNVBAYTAkZSMRswGQYDVQQKDBJDRVJUSUZJQ0FUIERFIFRFU1QxHDAaBgNVBAsMEzAwMDIgMDAwMDAwMDAwMDAwMDAxDTALBgNVBAMMBDAwMDEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASpjw18zWKAiJO+xNQ2550YNKHW4AHXDxxM3M2dni/iKfckBRTo3cDKmNDHRAycxJKEmg+9pz/DkvTaCuB/hMI8MA0GCSqGSIb3DQEBBQUAA4IBAQA6HN+w/bzIdg0ZQF+ELrocplehP7r5JuRJNBAgmoqoER7IonCvKSNUgUVbJ/MB4UKQ6CgzK7AOlCpiViAnBv+i6fg8Dh9evoUcHBiDvbl19+4iREaOoyVZ8RAlkp7VJKrC3s6dJEmI8/19obLbTvdHfY+TZfduqpVl63RSxwLG0Fjl0SAQz9a+KJSKZnEvT9I0iUUgCSnqFt77RSppziQTZ+rkWcfd+BSorWr8BHqOkLtj7EiVamIh+g3A8JtwV7nm+NUbBlhh2UPSI0eevsRjQRghtTiEn0wflVBX7xFP9zXpViHqIj+R9WiXzWGFYyKuAFK1pQ2QH8BxCbvdNdff";

/// Specification §16.2: a reference code (v04, document type B1, signed with FR00/0001).
const REFERENCE: &str = "DC04FR0000011A5E1A5EB101FRBK18-ROSWFTHR-35B0CORINNE/NATACHA<GS>B2BERTHIER<GS>B3<GS>B712071973BB9654321785T<GS><US>ZXH2BBDCISCPWX72YIFSMANO662O2IS6PPPIIUMGVO3ECEML7RU6QIE5CKZK3A5X6SFT3HBPICLUE6RKLYA4M7ATOXSG2HIF5CE35UA";

fn code(s: &str) -> Vec<u8> {
    s.replace("<GS>", "\u{1d}")
        .replace("<RS>", "\u{1e}")
        .replace("<US>", "\u{1f}")
        .into_bytes()
}

fn test_cert() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(TEST_CERT_B64)
        .unwrap()
}

fn verify(code: &[u8], cert: &[u8], skip_validity: bool) -> segur_result {
    segur_twoddoc_verify(
        code.as_ptr(),
        code.len(),
        cert.as_ptr(),
        cert.len(),
        skip_validity,
    )
}

#[test]
fn twoddoc_reference_code_parses_and_verifies() {
    let raw = code(REFERENCE);
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_twoddoc_parse(raw.as_ptr(), raw.len(), &mut out),
        segur_result::Ok
    );
    let v = json(out);
    assert_eq!(v["header"]["version"], 4);
    assert_eq!(v["header"]["encoding"], "c40");
    assert_eq!(v["header"]["ca_id"], "FR00");
    assert_eq!(v["header"]["cert_id"], "0001");
    assert_eq!(v["header"]["issue_date"], "2018-06-25");
    assert_eq!(v["header"]["doc_type"], "B1");
    let b2 = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "B2")
        .unwrap();
    assert_eq!(b2["text"], "BERTHIER");
    assert!(b2["label"].is_string());
    assert!(v["unparsed"].is_null());
    let sig = base64::engine::general_purpose::STANDARD
        .decode(v["signature_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(sig.len(), 64, "P-256 r||s");

    let kind = |p: &[u8]| {
        let mut k = segur_payload_kind::Other;
        assert_eq!(
            segur_eprescription_payload_kind(p.as_ptr(), p.len(), &mut k),
            segur_result::Ok
        );
        k
    };
    assert_eq!(kind(&raw), segur_payload_kind::TwoDDocC40);
    assert_eq!(kind(&[0xDC, 0x04]), segur_payload_kind::TwoDDocBinary);
    assert_eq!(kind(b"IS0100"), segur_payload_kind::InsDatamatrix);
    assert_eq!(kind(b"ORDO2025000123"), segur_payload_kind::Other);

    let cert = test_cert();
    assert_eq!(verify(&raw, &cert, true), segur_result::Ok);
    // The test certificate expired in 2015; the code was signed in 2018.
    assert_eq!(
        verify(&raw, &cert, false),
        segur_result::EpCertificateNotValidAtSignatureDate
    );
    // One letter of the signed message changed: a forged code.
    let forged = code(&REFERENCE.replace("B2BERTHIER", "B2BERTHIEZ"));
    assert_eq!(verify(&forged, &cert, true), segur_result::EpBadSignature);
    // A certificate the header does not name.
    let other = rcgen::generate_simple_self_signed(vec!["x".into()])
        .unwrap()
        .cert
        .der()
        .to_vec();
    assert_eq!(
        verify(&raw, &other, true),
        segur_result::EpUnknownCertificate
    );
    assert_eq!(verify(&raw, b"not DER", true), segur_result::EpCertificate);
}

#[test]
fn twoddoc_errors_are_typed() {
    let mut out = ptr::null_mut();
    for (bad, expected) in [
        (&b"XX04FR00"[..], segur_result::EpTwoDDocHeader),
        (
            b"DC01FR000001125E125B0126FR",
            segur_result::EpTwoDDocVersion,
        ),
        (
            b"DC04FR000001125E125B0126FR2475000",
            segur_result::EpTwoDDocSignatureFormat,
        ),
    ] {
        assert_eq!(
            segur_twoddoc_parse(bad.as_ptr(), bad.len(), &mut out),
            expected,
            "{}",
            String::from_utf8_lossy(bad)
        );
        assert!(out.is_null());
    }
    let long = vec![b'D'; 30_000];
    assert_eq!(
        segur_twoddoc_parse(long.as_ptr(), long.len(), &mut out),
        segur_result::EpTooLong
    );
    assert_eq!(
        segur_twoddoc_parse(ptr::null(), 0, &mut out),
        segur_result::NullParameter
    );
}

/// A qualified identity in the JSON form of segur-ins (made through its Rust API).
fn qualified_json() -> String {
    use segur_ins::*;
    let traits = Traits::from_data(&TraitsData {
        birth_name: "ECETINSI".into(),
        given_names: vec!["PIERRE-ALAIN".into()],
        sex: "M".into(),
        birth_date: "2009-07-14".into(),
        birth_place: Some("63220".into()),
        ..TraitsData::default()
    })
    .unwrap();
    let ins = Ins::new(
        Matricule::parse("109076322083489").unwrap(),
        InsAuthority::TestNir,
    );
    let mut id = Identity::provisional(traits.clone(), ProvisionalAttributes::None);
    id.record_insi_retrieval(ins, traits).unwrap();
    id.record_document_check(HighTrustDocument::Passport)
        .unwrap();
    serde_json::to_string(&id.qualified().unwrap()).unwrap()
}

#[test]
fn ins_datamatrix_built_drawn_scanned_and_parsed() {
    let identity = qualified_json();
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_ins_datamatrix_build(identity.as_ptr().cast(), identity.len(), &mut out),
        segur_result::Ok
    );
    let payload = take(out);
    assert!(payload.starts_with("IS010000000000000000000000S1109076322083489"));

    // Drawn as a Data Matrix, encoded as PNG, decoded back from the image.
    let (mut px, mut px_len, mut w, mut h) = (ptr::null_mut(), 0usize, 0u32, 0u32);
    assert_eq!(
        segur_code_render(
            1,
            payload.as_ptr().cast(),
            payload.len(),
            4,
            &mut px,
            &mut px_len,
            &mut w,
            &mut h
        ),
        segur_result::Ok
    );
    assert_eq!(px_len, (w * h) as usize);
    // SAFETY: `px_len` bytes returned by the library, freed right after.
    let pixels = unsafe { std::slice::from_raw_parts(px, px_len) }.to_vec();
    segur_bytes_free(px, px_len);
    assert!(pixels.iter().all(|p| *p == 0 || *p == 255));
    let img = image::GrayImage::from_raw(w, h, pixels).unwrap();
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png).unwrap();
    let png = png.into_inner();
    assert_eq!(
        segur_eprescription_decode_image(png.as_ptr(), png.len(), &mut out),
        segur_result::Ok
    );
    let decoded = json(out);
    assert_eq!(decoded[0]["symbology"], "datamatrix");
    let scanned = base64::engine::general_purpose::STANDARD
        .decode(decoded[0]["payload_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(scanned, payload.as_bytes());

    assert_eq!(
        segur_ins_datamatrix_parse(scanned.as_ptr(), scanned.len(), &mut out),
        segur_result::Ok
    );
    let v = json(out);
    assert_eq!(v["matricule"], "109076322083489");
    assert_eq!(v["oid"], "1.2.250.1.213.1.4.10");
    assert_eq!(v["birth_name"], "ECETINSI");
    assert_eq!(v["given_names"], "PIERRE-ALAIN");
    assert_eq!(v["sex"], "M");
    assert_eq!(v["birth_date"], "14-07-2009");
    assert_eq!(v["birthplace"], "63220");

    // A provisional identity has no INS Data Matrix.
    out = ptr::null_mut();
    let retrieved = identity.replace("\"Qualifiee\"", "\"Recuperee\"");
    assert_ne!(retrieved, identity);
    assert_eq!(
        segur_ins_datamatrix_build(retrieved.as_ptr().cast(), retrieved.len(), &mut out),
        segur_result::InvalidJson
    );
    // A payload with a wrong key in the matricule, and a wrong header.
    let bad_key = payload.replace("109076322083489", "109076322083488");
    assert_eq!(
        segur_ins_datamatrix_parse(bad_key.as_ptr(), bad_key.len(), &mut out),
        segur_result::EpInsDatamatrix
    );
    assert_eq!(
        segur_ins_datamatrix_parse(b"IS02".as_ptr(), 4, &mut out),
        segur_result::EpInsDatamatrix
    );
    assert!(out.is_null());
    // Drawing: bad symbology, bad module size, a payload too long for a QR code.
    let long = "A".repeat(5000);
    for (sym, module, text, expected) in [
        (7, 4, "x", segur_result::InvalidParameter),
        (0, 0, "x", segur_result::InvalidParameter),
        (0, 4, long.as_str(), segur_result::EpRender),
    ] {
        assert_eq!(
            segur_code_render(
                sym,
                text.as_ptr().cast(),
                text.len(),
                module,
                &mut px,
                &mut px_len,
                &mut w,
                &mut h
            ),
            expected
        );
    }
}

#[test]
fn prescription_numbers_and_dispensations() {
    let read = |text: &str, by_hand: bool| -> Result<String, segur_result> {
        let mut out = ptr::null_mut();
        match segur_prescription_id_read(text.as_ptr().cast(), text.len(), by_hand, &mut out) {
            segur_result::Ok => Ok(take(out)),
            e => {
                assert!(out.is_null());
                Err(e)
            }
        }
    };
    assert_eq!(read("ORDO2025000123", false).unwrap(), "ORDO2025000123");
    assert_eq!(read("  ORDO 2025 000123 ", true).unwrap(), "ORDO2025000123");
    assert_eq!(
        read("ORDO 2025", false),
        Err(segur_result::EpPrescriptionId),
        "a QR payload is taken byte for byte"
    );
    assert_eq!(read("", true), Err(segur_result::EpPrescriptionId));

    let prescription = serde_json::json!({
        "id": "ORDO2025000123",
        "prescribed_on": "2026-11-20",
        "prescriber_id": "10001234567",
        "lines": [
            {"line_id": "1", "label": "AMOXICILLINE 1 g", "posology": "1 cp matin et soir", "quantity": "6 jours"},
            {"line_id": "2", "label": "PARACETAMOL 1 g", "posology": null, "quantity": null},
        ],
    });
    let check = |lines: serde_json::Value| -> Result<serde_json::Value, segur_result> {
        let input = serde_json::json!({
            "prescription": prescription,
            "dispensation": {
                "prescription_id": "ORDO2025000123",
                "dispensed_on": "2026-11-22",
                "lines": lines,
                "handwritten_additions": [],
            },
        })
        .to_string();
        let mut out = ptr::null_mut();
        match segur_dispensation_check(input.as_ptr().cast(), input.len(), &mut out) {
            segur_result::Ok => Ok(json(out)),
            e => {
                assert!(out.is_null());
                Err(e)
            }
        }
    };
    let ok = check(serde_json::json!([
        {"line_id": "1", "intervention": {"kind": "substitution", "dispensed_product": "AMOXICILLINE GENERIQUE 1 g", "prescriber_agreement": null}, "quantity_dispensed": "1 boite"},
        {"line_id": "2", "intervention": {"kind": "without_change"}, "quantity_dispensed": "1 boite"},
    ]))
    .unwrap();
    assert_eq!(ok["prescription_id"], "ORDO2025000123");
    assert_eq!(ok["lines"][0]["intervention"]["kind"], "substitution");
    // Line 2 without intervention: incomplete.
    assert_eq!(
        check(serde_json::json!([
            {"line_id": "1", "intervention": {"kind": "without_change"}, "quantity_dispensed": null},
        ])),
        Err(segur_result::EpDispensation)
    );
    // An agreement dated after the dispensing.
    assert_eq!(
        check(serde_json::json!([
            {"line_id": "1", "intervention": {"kind": "posology_adaptation", "new_posology": "1 cp le soir", "prescriber_agreement": {"agreed_on": "2026-11-23", "modified_on": "2026-11-23"}}, "quantity_dispensed": null},
            {"line_id": "2", "intervention": {"kind": "without_change"}, "quantity_dispensed": null},
        ])),
        Err(segur_result::EpDispensation)
    );
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_dispensation_check(b"{}".as_ptr().cast(), 2, &mut out),
        segur_result::InvalidJson
    );
}

#[test]
fn png_rendering_decodes_back_to_the_payload() {
    let b64 = base64::engine::general_purpose::STANDARD;
    // A QR code (a prescription number) and a Data Matrix (an INS Data Matrix head).
    for (symbology, name, payload) in [
        (0u32, "qrcode", "ORDO2025000123"),
        (
            1,
            "datamatrix",
            "IS010000000000000000000000S1109076322083489",
        ),
    ] {
        let (mut png, mut png_len) = (ptr::null_mut(), 0usize);
        assert_eq!(
            segur_code_render_png(
                symbology,
                payload.as_ptr().cast(),
                payload.len(),
                3,
                &mut png,
                &mut png_len
            ),
            segur_result::Ok
        );
        // SAFETY: `png_len` bytes returned by the library, freed right after.
        let bytes = unsafe { std::slice::from_raw_parts(png, png_len) }.to_vec();
        segur_bytes_free(png, png_len);
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        // The PNG holds exactly the pixels of segur_code_render.
        let (mut px, mut px_len, mut w, mut h) = (ptr::null_mut(), 0usize, 0u32, 0u32);
        assert_eq!(
            segur_code_render(
                symbology,
                payload.as_ptr().cast(),
                payload.len(),
                3,
                &mut px,
                &mut px_len,
                &mut w,
                &mut h
            ),
            segur_result::Ok
        );
        // SAFETY: `px_len` bytes returned by the library, freed right after.
        let pixels = unsafe { std::slice::from_raw_parts(px, px_len) }.to_vec();
        segur_bytes_free(px, px_len);
        let decoded_png = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
            .unwrap()
            .to_luma8();
        assert_eq!((decoded_png.width(), decoded_png.height()), (w, h));
        assert_eq!(decoded_png.into_raw(), pixels);

        let mut out = ptr::null_mut();
        assert_eq!(
            segur_eprescription_decode_image(bytes.as_ptr(), bytes.len(), &mut out),
            segur_result::Ok
        );
        let decoded = json(out);
        assert_eq!(decoded.as_array().unwrap().len(), 1);
        assert_eq!(decoded[0]["symbology"], name);
        let scanned = b64
            .decode(decoded[0]["payload_base64"].as_str().unwrap())
            .unwrap();
        assert_eq!(scanned, payload.as_bytes());
    }
    // Arguments are checked and outputs untouched on failure.
    let (mut png, mut png_len) = (ptr::null_mut(), 0usize);
    let long = "A".repeat(5000);
    for (sym, module, text, expected) in [
        (7, 4, "x", segur_result::InvalidParameter),
        (1, 65, "x", segur_result::InvalidParameter),
        (0, 4, long.as_str(), segur_result::EpRender),
    ] {
        assert_eq!(
            segur_code_render_png(
                sym,
                text.as_ptr().cast(),
                text.len(),
                module,
                &mut png,
                &mut png_len
            ),
            expected
        );
        assert!(png.is_null());
    }
    assert_eq!(
        segur_code_render_png(0, ptr::null(), 0, 3, &mut png, &mut png_len),
        segur_result::NullParameter
    );
}
