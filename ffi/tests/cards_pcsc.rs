//! The card entry points through a real pcscd with the vpcd driver and a virtual CPS3 (the
//! harness of segur-cps-card's tests, shared by path): list, open, info, PIN, certificate and
//! signature, all called as C calls them. Needs root and pcscd + vsmartcard-vpcd
//! (scripts/install-deps); serialises on the same lock file as the segur-cps-card tests.
#![allow(unsafe_code)] // reading the buffers the library returns
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

#[path = "../../cps-card/tests/common/mod.rs"]
mod common;

use common::vcard::{self, Kind};
use common::{Pcscd, PluggedCard, READER0, READER1};
use rsa::pkcs8::DecodePublicKey;
use segur::cards::*;
use segur::vitale as segur_vitale;
use segur::*;
use sha2::{Digest, Sha256};
use std::ffi::{CStr, c_char};
use std::ptr;
use std::time::{Duration, Instant};

fn take(p: *mut c_char) -> serde_json::Value {
    // SAFETY: a NUL-terminated string returned by the library, freed right after.
    let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    segur_string_free(p);
    serde_json::from_str(&s).unwrap()
}

fn take_bytes(p: *mut u8, len: usize) -> Vec<u8> {
    // SAFETY: `len` bytes returned by the library, freed right after.
    let v = unsafe { std::slice::from_raw_parts(p, len) }.to_vec();
    segur_bytes_free(p, len);
    v
}

fn detail() -> String {
    let mut buf = [0 as c_char; 256];
    let mut n = 0;
    assert_eq!(
        segur_last_error_detail(buf.as_mut_ptr(), buf.len(), &mut n),
        segur_result::Ok
    );
    String::from_utf8(buf[..n].iter().map(|c| *c as u8).collect()).unwrap()
}

/// Waits until the reader list shows a card in `reader`.
fn list_with_card(reader: &str) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let mut out = ptr::null_mut();
        assert_eq!(segur_card_list(&mut out), segur_result::Ok);
        let v = take(out);
        let present = v
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["reader"] == reader && r["card_present"] == true);
        if present {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no card in {reader}: {v}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn cps3_info_pin_certificate_and_signature_through_pcscd() {
    let _pcscd = Pcscd::start();
    let _plugged = PluggedCard::insert(Kind::Cps3, 35963);
    let list = list_with_card(READER0);
    let r0 = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reader"] == READER0)
        .unwrap();
    assert_eq!(r0["card"], "cps3");

    // A reader without a card, and a name no reader has.
    let mut card = ptr::null_mut();
    let r = segur_cps_card_open(READER1.as_ptr().cast(), READER1.len(), &mut card);
    assert!(segur_result_is_card_error(r as u32), "{r:?}");
    assert!(card.is_null());
    let nope = "no such reader";
    assert_eq!(
        segur_cps_card_open(nope.as_ptr().cast(), nope.len(), &mut card),
        segur_result::CardNoSuchReader
    );

    // An empty name picks the reader holding a card.
    assert_eq!(
        segur_cps_card_open(c"".as_ptr(), 0, &mut card),
        segur_result::Ok
    );
    let mut out = ptr::null_mut();
    assert_eq!(segur_cps_card_info(card, &mut out), segur_result::Ok);
    let info = take(out);
    assert_eq!(info["card"], "cps3");
    assert_eq!(info["serial"], "0123456789");
    assert_eq!(info["pin"]["tries_left"], 3);
    assert!(
        info["certificates"]["signature"]["subject"]
            .as_str()
            .unwrap()
            .contains("SIGN TEST")
    );

    let msg = vec![0x42u8; 300];
    let (mut sig, mut sig_len) = (ptr::null_mut(), 0usize);
    assert_eq!(
        segur_cps_card_sign(card, 2, 1, msg.as_ptr(), msg.len(), &mut sig, &mut sig_len),
        segur_result::CardPinRequired
    );
    assert!(sig.is_null());

    assert_eq!(
        segur_cps_card_verify_pin(card, c"4321".as_ptr(), 4),
        segur_result::CardWrongPin
    );
    assert_eq!(detail(), "wrong PIN, 2 tries left");
    assert_eq!(
        segur_cps_card_verify_pin(card, vcard::PIN.as_ptr().cast(), vcard::PIN.len()),
        segur_result::Ok
    );

    let (mut der, mut der_len) = (ptr::null_mut(), 0usize);
    assert_eq!(
        segur_cps_card_certificate(card, 2, &mut der, &mut der_len),
        segur_result::Ok
    );
    let der = take_bytes(der, der_len);
    assert_eq!(
        segur_cps_card_sign(card, 2, 1, msg.as_ptr(), msg.len(), &mut sig, &mut sig_len),
        segur_result::Ok
    );
    let signature = take_bytes(sig, sig_len);
    use x509_cert::der::{Decode, Encode};
    let cert = x509_cert::Certificate::from_der(&der).unwrap();
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    rsa::RsaPublicKey::from_public_key_der(&spki)
        .unwrap()
        .verify(
            rsa::Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(&msg),
            &signature,
        )
        .expect("the card's signature verifies with its certificate");

    let mut none = ptr::null_mut();
    assert_eq!(
        segur_cps_card_sign(card, 2, 9, msg.as_ptr(), msg.len(), &mut none, &mut sig_len),
        segur_result::InvalidParameter
    );
    assert!(none.is_null());
    segur_cps_card_free(card);
}

#[test]
fn vitale2_identity_through_pcscd_next_to_a_cps() {
    let _pcscd = Pcscd::start();
    let _cps = PluggedCard::insert(Kind::Cps3, 35963);
    let _vitale = PluggedCard::insert(Kind::Vitale2, 35964);
    let list = list_with_card(READER1);
    let r1 = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reader"] == READER1)
        .unwrap();
    assert_eq!(r1["card"], "vitale2");
    list_with_card(READER0);

    // Each card type is refused by the other's entry point.
    let mut vitale = ptr::null_mut();
    assert_eq!(
        segur_vitale::segur_vitale_card_open(READER0.as_ptr().cast(), READER0.len(), &mut vitale),
        segur_result::CardWrongCard
    );
    assert!(vitale.is_null());
    let mut cps = ptr::null_mut();
    assert_eq!(
        segur_cps_card_open(READER1.as_ptr().cast(), READER1.len(), &mut cps),
        segur_result::CardWrongCard
    );
    assert!(cps.is_null());

    // A unique part of the reader name is enough.
    let part = "pcd 00 01";
    assert_eq!(
        segur_vitale::segur_vitale_card_open(part.as_ptr().cast(), part.len(), &mut vitale),
        segur_result::Ok
    );
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_vitale::segur_vitale_card_read_identity(vitale, &mut out),
        segur_result::Ok
    );
    assert_eq!(
        take(out),
        serde_json::json!({"beneficiaries": [
            {"last_name": "TESTNOM", "first_name": "CAMILLE", "birth_date": "19800101",
             "nir": "180017512345622"},
            {"last_name": "TESTNOM", "first_name": "ALEX", "birth_date": "20100615",
             "nir": "210067512345633"},
        ]})
    );
    // Reading twice gives the same zone (nothing is written).
    assert_eq!(
        segur_vitale::segur_vitale_card_read_identity(vitale, &mut out),
        segur_result::Ok
    );
    assert_eq!(take(out)["beneficiaries"][1]["first_name"], "ALEX");
    assert_eq!(
        segur_vitale::segur_vitale_card_read_identity(vitale, ptr::null_mut()),
        segur_result::NullParameter
    );
    segur_vitale::segur_vitale_card_free(vitale);
    segur_vitale::segur_vitale_card_free(ptr::null_mut());
    let mut none = ptr::null_mut();
    assert_eq!(
        segur_vitale::segur_vitale_card_read_identity(ptr::null_mut(), &mut none),
        segur_result::NullParameter
    );
    assert!(none.is_null());
    let nope = "no such reader";
    assert_eq!(
        segur_vitale::segur_vitale_card_open(nope.as_ptr().cast(), nope.len(), &mut vitale),
        segur_result::CardNoSuchReader
    );
    // No patient data in the details the library keeps.
    let d = detail();
    assert!(!d.contains("TESTNOM") && !d.contains("1800175"), "{d}");
}
