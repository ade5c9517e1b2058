//! `segur_insi_client_set_auth_cps`: the "assertion PS" signed by a CPS handle, a virtual CPS3
//! behind a real pcscd with the vpcd driver (the harness of segur-cps-card's tests, shared by
//! path), sent to the local INSi server in CPx mode, which checks the signature with xmlsec1
//! against the card's certificate (`test-support/src/insi_server.rs`). Needs root and pcscd +
//! vsmartcard-vpcd (scripts/install-deps); serialises on the same lock file as the card tests.
#![allow(unsafe_code)] // reading the C strings the library returns
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

#[path = "../../cps-card/tests/common/mod.rs"]
mod common;

use common::vcard::{Kind, PIN};
use common::{Pcscd, PluggedCard, READER0};
use segur::cards::*;
use segur::insi::*;
use segur::*;
use segur_test_support::insi_server::{self, Mode, Seen, ca, leaf};
use std::ffi::{CStr, c_char};
use std::ptr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SOFTWARE: &str = r#"{"idam":"TEST-IDAM","version":"1.0","name":"segur-tests","instance":"b6f0c6c2-3b75-4d6f-9a0b-2f1b1f0a9e11","emitter":"officine-test"}"#;
const TRAITS: &str = r#"{"birth_name":"ECETINSI","given_names":["PIERRE-ALAIN"],"sex":"M","birth_date":"2009-07-14"}"#;
const PROFESSIONAL: &str = r#"{"national_id":"899700000001","billing_id":"2A1234567","amo_specialty":"50","activity_sector":"SA33"}"#;

fn cert_pem(der: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.der"), der).unwrap();
    let out = segur_test_support::openssl(
        dir.path(),
        &["x509", "-inform", "DER", "-in", "c.der", "-outform", "PEM"],
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn cpx_mode_signs_with_the_card_handle() {
    // The card's signature certificate is self-signed in the card harness: it is the CA.
    let keys = common::keys::cps3();
    let org_ca = ca("TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server_leaf = leaf(&org_ca, "insi.localhost", &["localhost"], false, false);
    let port = insi_server::server_with_mode(
        &server_leaf,
        &org_ca,
        seen.clone(),
        Mode::Cpx {
            card_ca_pem: cert_pem(&keys.sign.cert_der),
        },
    );
    let client_leaf = leaf(&org_ca, "INSI-AUTO", &[], true, false);
    let (endpoint, roots) = (format!("https://127.0.0.1:{port}/lps"), org_ca.pem());
    let mut client = ptr::null_mut();
    assert_eq!(
        segur_insi_client_new(
            endpoint.as_ptr().cast(),
            endpoint.len(),
            roots.as_ptr().cast(),
            roots.len(),
            client_leaf.cert_pem.as_ptr().cast(),
            client_leaf.cert_pem.len(),
            client_leaf.key_pem.as_ptr().cast(),
            client_leaf.key_pem.len(),
            SOFTWARE.as_ptr().cast(),
            SOFTWARE.len(),
            &mut client,
        ),
        segur_result::Ok
    );

    let _pcscd = Pcscd::start();
    let _plugged = PluggedCard::insert(Kind::Cps3, 35963);
    let start = Instant::now();
    let mut card = ptr::null_mut();
    while segur_cps_card_open(READER0.as_ptr().cast(), READER0.len(), &mut card) != segur_result::Ok
    {
        assert!(start.elapsed() < Duration::from_secs(15), "no card");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        segur_cps_card_verify_pin(card, PIN.as_ptr().cast(), PIN.len()),
        segur_result::Ok
    );
    assert_eq!(
        segur_insi_client_set_auth_cps(
            client,
            card,
            PROFESSIONAL.as_ptr().cast(),
            PROFESSIONAL.len()
        ),
        segur_result::Ok
    );
    let mut out: *mut c_char = ptr::null_mut();
    assert_eq!(
        segur_insi_client_search(
            client,
            TRAITS.as_ptr().cast(),
            TRAITS.len(),
            false,
            &mut out
        ),
        segur_result::Ok
    );
    // SAFETY: a NUL-terminated string returned by the library, freed right after.
    let s = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
    segur_string_free(out);
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["found"], true);
    let request = seen.lock().unwrap().requests.last().unwrap().clone();
    assert!(
        request.contains("CN=899700000001 SIGN TEST"),
        "Issuer: the card's DN"
    );
    assert!(request.contains("<SignatureValue>"));
    segur_insi_client_free(client);
    segur_cps_card_free(card);
}
