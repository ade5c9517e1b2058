//! `segur_insi_client_*` against the local mutual-TLS INSi server of the segur-ins tests
//! (`test-support/src/insi_server.rs`: SOAP 1.2 request, published XSDs, client certificate CN,
//! CNDA responses replayed). The full INSi strategy is tested in segur-ins; this test proves the
//! C entry points: JSON in and out, raw XML for audit, TLS failures as result codes.
#![allow(unsafe_code)] // reading the C strings the library returns
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_test_support::insi_server;

use insi_server::{Ca, Seen, ca, leaf};
use segur::insi::*;
use segur::*;
use std::ffi::{CStr, c_char};
use std::net::TcpListener;
use std::ptr;
use std::sync::{Arc, Mutex};

const SOFTWARE: &str = r#"{"idam":"TEST-IDAM","version":"1.0","name":"segur-tests","instance":"b6f0c6c2-3b75-4d6f-9a0b-2f1b1f0a9e11","emitter":"officine-test"}"#;
const TRAITS: &str = r#"{"birth_name":"ECETINSI","given_names":["PIERRE-ALAIN","MURIEL","FLORIANT"],"sex":"M","birth_date":"2009-07-14"}"#;

/// The contract-enforcing INSi server of the segur-ins tests, with a certificate from
/// `server_ca` for localhost and 127.0.0.1, accepting clients of `client_ca`.
fn server(server_ca: &Ca, client_ca: &Ca) -> (u16, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server_leaf = leaf(server_ca, "insi.localhost", &["localhost"], false, false);
    (
        insi_server::server(&server_leaf, client_ca, seen.clone()),
        seen,
    )
}

/// (certificate PEM, key PEM) of a client certificate from `ca`.
fn client_leaf(ca: &Ca, cn: &str) -> (String, String) {
    let l = leaf(ca, cn, &[], true, false);
    (l.cert_pem, l.key_pem)
}

fn client(
    endpoint: &str,
    roots: &str,
    chain: &str,
    key: &str,
) -> Result<*mut segur_insi_client, segur_result> {
    let mut c = ptr::null_mut();
    let r = segur_insi_client_new(
        endpoint.as_ptr().cast(),
        endpoint.len(),
        roots.as_ptr().cast(),
        roots.len(),
        chain.as_ptr().cast(),
        chain.len(),
        key.as_ptr().cast(),
        key.len(),
        SOFTWARE.as_ptr().cast(),
        SOFTWARE.len(),
        &mut c,
    );
    if r == segur_result::Ok { Ok(c) } else { Err(r) }
}

fn search(c: *const segur_insi_client, raw: bool) -> Result<serde_json::Value, segur_result> {
    let mut out: *mut c_char = ptr::null_mut();
    let r = segur_insi_client_search(c, TRAITS.as_ptr().cast(), TRAITS.len(), raw, &mut out);
    if r != segur_result::Ok {
        assert!(out.is_null());
        return Err(r);
    }
    // SAFETY: a NUL-terminated string returned by the library, freed right after.
    let s = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
    segur_string_free(out);
    Ok(serde_json::from_str(&s).unwrap())
}

#[test]
fn search_over_mutual_tls_returns_the_ins_and_the_raw_exchange() {
    let (server_ca, client_ca) = (ca("server CA"), ca("client CA"));
    let (port, seen) = server(&server_ca, &client_ca);
    let (chain, key) = client_leaf(&client_ca, "INSI-AUTO");
    let c = client(
        &format!("https://127.0.0.1:{port}/lps"),
        &server_ca.cert.pem(),
        &chain,
        &key,
    )
    .unwrap();
    assert_eq!(segur_insi_client_set_timeout(c, 10_000), segur_result::Ok);
    assert_eq!(
        segur_insi_client_set_timeout(c, 0),
        segur_result::InvalidParameter
    );

    let v = search(c, false).unwrap();
    assert_eq!(v["found"], true);
    assert_eq!(v["response"]["code"], "00");
    assert_eq!(
        v["response"]["individual"]["history"]["active"]["matricule"],
        "109076322083489"
    );
    assert_eq!(v["attempts"].as_array().unwrap().len(), 1);
    assert!(v["attempts"][0].get("request_xml").is_none());

    let v = search(c, true).unwrap();
    let request = v["attempts"][0]["request_xml"].as_str().unwrap();
    assert!(request.contains("ECETINSI") && request.contains("PIERRE-ALAIN"));
    assert!(
        v["attempts"][0]["response_xml"]
            .as_str()
            .unwrap()
            .contains("109076322083")
    );
    assert_eq!(seen.lock().unwrap().requests.len(), 2);
    segur_insi_client_free(c);
}

#[test]
fn tls_and_network_failures_are_result_codes() {
    let (server_ca, client_ca, other_ca) = (ca("server CA"), ca("client CA"), ca("other CA"));
    let (port, seen) = server(&server_ca, &client_ca);
    let (chain, key) = client_leaf(&client_ca, "INSI-AUTO");
    let endpoint = format!("https://127.0.0.1:{port}/lps");

    // The client trusts another CA than the server's.
    let c = client(&endpoint, &other_ca.cert.pem(), &chain, &key).unwrap();
    assert_eq!(search(c, false), Err(segur_result::InsiUnknownServerCa));
    assert!(
        seen.lock().unwrap().requests.is_empty(),
        "nothing sent to an untrusted server"
    );
    segur_insi_client_free(c);

    // Nothing listens on this port any more.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = client(
        &format!("https://127.0.0.1:{closed}/lps"),
        &server_ca.cert.pem(),
        &chain,
        &key,
    )
    .unwrap();
    assert_eq!(search(c, false), Err(segur_result::InsiNetwork));
    segur_insi_client_free(c);

    assert_eq!(
        client("http://127.0.0.1/lps", &server_ca.cert.pem(), &chain, &key).err(),
        Some(segur_result::InsiEndpoint)
    );
    assert_eq!(
        client(&endpoint, "not a PEM", &chain, &key).err(),
        Some(segur_result::InsiTlsConfig)
    );
    assert_eq!(search(ptr::null(), false), Err(segur_result::NullParameter));
}

const PROFESSIONAL: &str = r#"{"national_id":"899700123456","billing_id":"2A1234567","amo_specialty":"50","activity_sector":"SA33"}"#;

fn set_psc(
    c: *mut segur_insi_client,
    professional: &str,
    token: &str,
    expires: u64,
) -> segur_result {
    segur_insi_client_set_auth_psc(
        c,
        professional.as_ptr().cast(),
        professional.len(),
        token.as_ptr().cast(),
        token.len(),
        expires,
    )
}

#[test]
fn psc_mode_sends_the_assertion_and_the_token_and_mtls_mode_comes_back() {
    const TOKEN: &str = "psc-token-for-the-c-api";
    let (server_ca, client_ca) = (ca("server CA"), ca("client CA"));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server_leaf = leaf(&server_ca, "insi.localhost", &["localhost"], false, false);
    let port = insi_server::server_with_mode(
        &server_leaf,
        &client_ca,
        seen.clone(),
        insi_server::Mode::Psc {
            bearer: Some(TOKEN.into()),
        },
    );
    let (chain, key) = client_leaf(&client_ca, "INSI-AUTO");
    let c = client(
        &format!("https://127.0.0.1:{port}/lps"),
        &server_ca.cert.pem(),
        &chain,
        &key,
    )
    .unwrap();
    // The default mode sends no assertion: the PSC endpoint answers with its security fault.
    assert_eq!(search(c, false), Err(segur_result::InsiFault));
    // Bad inputs leave the mode unchanged.
    assert_eq!(
        set_psc(c, r#"{"national_id":"1"}"#, TOKEN, 0),
        segur_result::InvalidJson
    );
    assert_eq!(
        set_psc(c, PROFESSIONAL, "bad token", 0),
        segur_result::InsiToken
    );
    // An expired token: refused before sending.
    assert_eq!(set_psc(c, PROFESSIONAL, TOKEN, 1), segur_result::Ok);
    let sent = seen.lock().unwrap().requests.len();
    assert_eq!(search(c, false), Err(segur_result::InsiToken));
    assert_eq!(seen.lock().unwrap().requests.len(), sent);
    // A valid token.
    assert_eq!(set_psc(c, PROFESSIONAL, TOKEN, 0), segur_result::Ok);
    let v = search(c, false).unwrap();
    assert_eq!(v["found"], true);
    {
        let seen = seen.lock().unwrap();
        assert!(
            seen.requests
                .last()
                .unwrap()
                .contains(r#"NameQualifier="PSC""#)
        );
        assert_eq!(
            seen.authorizations.last().unwrap().as_deref(),
            Some(&*format!("Bearer {TOKEN}"))
        );
    }
    // Back to mutual TLS: no assertion again.
    assert_eq!(segur_insi_client_set_auth_mtls(c), segur_result::Ok);
    assert_eq!(search(c, false), Err(segur_result::InsiFault));
    assert_eq!(
        segur_insi_client_set_auth_mtls(ptr::null_mut()),
        segur_result::NullParameter
    );
    segur_insi_client_free(c);
}
