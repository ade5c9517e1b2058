//! A local INSi server with mutual TLS on 127.0.0.1 that enforces the published contract:
//! client certificate CN `INSI-AUTO`/`INSI-MANU` (else the `DESIR_560` fault, as the real
//! teleservice), SOAP 1.2 content type and action, and the request's `RECSANSVITALE`,
//! `ContexteLPS` and `ContexteBAM` validated with xmllint against the published XSDs
//! (`../shared/insi/xsd`). It replays the CNDA responses of `../shared/insi/cnda-responses`.
//! Shared by the segur-ins and segur-ffi tests, with the test CA and the
//! certificates they make at test time.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quick_xml::events::Event;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

pub use crate::pki::{Ca, Leaf, ca};

/// A leaf of the test PKI; a server certificate also names 127.0.0.1 (the INSi server listens
/// there).
pub fn leaf(ca: &Ca, cn: &str, dns: &[&str], client: bool, expired: bool) -> Leaf {
    let mut sans = dns.to_vec();
    if !client {
        sans.push("127.0.0.1");
    }
    crate::pki::leaf(ca, cn, &sans, client, expired)
}

/// What the server saw, for assertions.
#[derive(Default)]
pub struct Seen {
    pub requests: Vec<String>,
}

/// Starts the contract-enforcing INSi server; returns its port.
pub fn server(server_leaf: &Leaf, client_ca: &Ca, seen: Arc<Mutex<Seen>>) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(client_ca.cert.der().clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let chain = vec![CertificateDer::from_pem_slice(server_leaf.cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(server_leaf.key_pem.as_bytes()).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let config = config.clone();
            let seen = seen.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                if let Some((status, body)) = handle(&mut tls, &seen) {
                    let head = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = tls.write_all(head.as_bytes());
                    let _ = tls.write_all(&body);
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                }
            });
        }
    });
    port
}

fn read_request<S: Read>(s: &mut S) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
        if buf.len() > 16 * 1024 {
            return None;
        }
    }
    let head = String::from_utf8(buf).ok()?;
    let len: usize = head.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("content-length:")
            .map(|v| v.trim().parse().ok())
    })??;
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    Some((head, body))
}

fn handle(
    tls: &mut rustls::StreamOwned<rustls::ServerConnection, std::net::TcpStream>,
    seen: &Mutex<Seen>,
) -> Option<(&'static str, Vec<u8>)> {
    let (head, body) = read_request(tls)?;
    let text = String::from_utf8(body.clone()).ok()?;
    seen.lock().unwrap().requests.push(text.clone());
    // Contract: method, path, SOAP 1.2 content type with the operation's action.
    let action = "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite";
    if !head.starts_with("POST /lps HTTP/1.1\r\n")
        || !head.contains("Content-Type: application/soap+xml; charset=utf-8")
        || !head.contains(&format!("action=\"{action}\""))
        || !text.contains(&format!(">{action}</wsa:Action>"))
    {
        return Some(("400 Bad Request", b"bad SOAP 1.2 request".to_vec()));
    }
    // Contract: the published XSDs.
    if let Err(e) = validate_against_xsds(&body) {
        return Some(("400 Bad Request", e.into_bytes()));
    }
    // Contract: the client certificate CN.
    let cn = tls
        .conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|der| {
            let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
            cert.subject()
                .iter_common_name()
                .next()
                .and_then(|c| c.as_str().ok())
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default();
    if cn != "INSI-AUTO" && cn != "INSI-MANU" {
        return Some((
            "500 Internal Server Error",
            fault("DESIR_560", "Niveau d'accès insuffisant"),
        ));
    }
    Some(("200 OK", replay(&text)))
}

fn fault(code: &str, text: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>siram:desir_560</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang="fr">{text}</soap:Text></soap:Reason><soap:Detail><siram:Erreur xmlns:siram="urn:siram" code="{code}" severite="erreur">{text}</siram:Erreur></soap:Detail></soap:Fault></soap:Body></soap:Envelope>"#
    )
    .into_bytes()
}

/// Extracts the raw bytes of the first element whose local name is `local`.
fn fragment(xml: &[u8], local: &[u8]) -> Option<Vec<u8>> {
    let mut r = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        let start = r.buffer_position() as usize;
        match r.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.local_name().as_ref() == local => {
                let name = e.name().as_ref().to_vec();
                let mut depth = 1;
                let mut b2 = Vec::new();
                loop {
                    match r.read_event_into(&mut b2).ok()? {
                        Event::Start(e) if e.name().as_ref() == name => depth += 1,
                        Event::End(e) if e.name().as_ref() == name => {
                            depth -= 1;
                            if depth == 0 {
                                let end = r.buffer_position() as usize;
                                return xml.get(start..end).map(<[u8]>::to_vec);
                            }
                        }
                        Event::Eof => return None,
                        _ => {}
                    }
                    b2.clear();
                }
            }
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

pub fn xmllint(fragment: &[u8], xsd: &str) -> Result<(), String> {
    let dir = tempdir();
    let f = dir.join("fragment.xml");
    std::fs::write(&f, fragment).unwrap();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(shared().join("insi/xsd").join(xsd))
        .arg(&f)
        .output()
        .map_err(|e| format!("xmllint not available: {e}"))?;
    let _ = std::fs::remove_dir_all(&dir);
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{xsd}: {}", String::from_utf8_lossy(&out.stderr)))
    }
}

fn tempdir() -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("segur-insi-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn validate_against_xsds(body: &[u8]) -> Result<(), String> {
    for (local, xsd) in [
        (
            &b"RECSANSVITALE"[..],
            "ServiceIdentiteCertifiee/INSi_RECSANS_INS.xsd",
        ),
        (b"ContexteLPS", "CTX/ROOT_ctxlps_CTXLPS_V01_00.xsd"),
        (b"ContexteBAM", "CTX/ROOT_ctxbam_CTXBAM_V01_02.xsd"),
    ] {
        let f = fragment(body, local)
            .ok_or_else(|| format!("missing {}", String::from_utf8_lossy(local)))?;
        xmllint(&f, xsd)?;
    }
    Ok(())
}

fn replay(request: &str) -> Vec<u8> {
    let has = |s: &str| request.contains(s);
    let file = if has("<NomNaissance>ECETINSI<") {
        "TEST_2.04_cas2.xml"
    } else if has("<NomNaissance>PROVISOIRE<") {
        "TEST_2.05.xml"
    } else if has("<NomNaissance>CORSE<") {
        "TEST_2.08_cas1.xml"
    } else if has("<NomNaissance>HERMAN<") {
        "TEST_2.08_cas2.xml"
    } else if has("<NomNaissance>TCHITCHI<") && has("<Prenom>CATARINA<") {
        "tchitchi-catarina.xml"
    } else if has("<NomNaissance>DE VINCI<") && !has("<LieuNaissance>") {
        // CNDA 2.06: several identities without the birthplace (no published fixture: built here
        // in the shape of REP_CR01)
        return std::fs::read_to_string(shared().join("insi/cnda-responses/REP_CR01.xml"))
            .unwrap()
            .replace("<CodeCR>01</CodeCR>", "<CodeCR>02</CodeCR>")
            .replace("Aucune identite trouvee", "Plusieurs identites trouvees")
            .into_bytes();
    } else {
        "REP_CR01.xml"
    };
    std::fs::read(shared().join("insi/cnda-responses").join(file)).unwrap()
}
