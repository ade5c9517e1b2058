//! `segur_insi_client_*` against a local HTTPS server with mutual TLS on 127.0.0.1 that checks
//! the SOAP 1.2 request (method, content type, action) and the client certificate, and replays
//! a CNDA response. The full INSi contract (XSDs, CN, faults) is tested in segur-ins; this test
//! proves the C entry points: JSON in and out, raw XML for audit, TLS failures as result codes.
#![allow(unsafe_code)] // reading the C strings the library returns
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use segur::insi::*;
use segur::*;
use std::ffi::{CStr, c_char};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::ptr;
use std::sync::Arc;

const SOFTWARE: &str = r#"{"idam":"TEST-IDAM","version":"1.0","name":"segur-tests","instance":"b6f0c6c2-3b75-4d6f-9a0b-2f1b1f0a9e11","emitter":"officine-test"}"#;
const TRAITS: &str = r#"{"birth_name":"ECETINSI","given_names":["PIERRE-ALAIN","MURIEL","FLORIANT"],"sex":"M","birth_date":"2009-07-14"}"#;

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")),
        PathBuf::from,
    )
}

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(name: &str) -> Ca {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = p.self_signed(&key).unwrap();
    Ca { cert, key }
}

/// (certificate PEM, key PEM) signed by `ca`.
fn leaf(ca: &Ca, cn: &str, client: bool) -> (String, String) {
    let mut p = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    p.subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    p.distinguished_name.push(DnType::CommonName, cn);
    p.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, &ca.cert, &ca.key).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// Serves `response` to each well-formed SOAP 1.2 search from a client of `client_ca`.
fn server(server_ca: &Ca, client_ca: &Ca, response: Vec<u8>) -> u16 {
    let (cert, key) = leaf(server_ca, "insi.localhost", false);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(client_ca.cert.der().clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
            )
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let config = config.clone();
            let response = response.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let Some((head, body)) = read_request(&mut tls) else {
                    return;
                };
                let action = "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite";
                let ok = head.starts_with("POST /lps HTTP/1.1\r\n")
                    && head.contains("Content-Type: application/soap+xml; charset=utf-8")
                    && head.contains(&format!("action=\"{action}\""))
                    && String::from_utf8_lossy(&body).contains("ECETINSI");
                let (status, body) = if ok {
                    ("200 OK", response)
                } else {
                    ("400 Bad Request", b"bad request".to_vec())
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes());
                let _ = tls.write_all(&body);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    port
}

fn read_request(r: &mut impl Read) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = r.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end + 4]).into_owned();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .and_then(|v| v.trim().parse().ok())?;
            let mut body = buf[end + 4..].to_vec();
            while body.len() < len {
                let n = r.read(&mut chunk).ok()?;
                if n == 0 {
                    return None;
                }
                body.extend_from_slice(&chunk[..n]);
            }
            return Some((head, body));
        }
    }
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
    let fixture = std::fs::read(shared().join("insi/cnda-responses/TEST_2.04_cas2.xml")).unwrap();
    let port = server(&server_ca, &client_ca, fixture);
    let (chain, key) = leaf(&client_ca, "INSI-AUTO", true);
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
    segur_insi_client_free(c);
}

#[test]
fn tls_and_network_failures_are_result_codes() {
    let (server_ca, client_ca, other_ca) = (ca("server CA"), ca("client CA"), ca("other CA"));
    let port = server(&server_ca, &client_ca, b"unused".to_vec());
    let (chain, key) = leaf(&client_ca, "INSI-AUTO", true);
    let endpoint = format!("https://127.0.0.1:{port}/lps");

    // The client trusts another CA than the server's.
    let c = client(&endpoint, &other_ca.cert.pem(), &chain, &key).unwrap();
    assert_eq!(search(c, false), Err(segur_result::InsiUnknownServerCa));
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
