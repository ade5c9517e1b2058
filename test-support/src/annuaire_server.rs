//! A local HTTPS server (rustls) standing for the Annuaire Santé FHIR API: Practitioner
//! bundles in the recorded FHIR format, with MSSanté mailbox metadata, paging through `next`
//! links, the `ESANTE-API-KEY` header enforced, and one `429` to exercise the back-off. Shared
//! by the segur-mssante and segur-ffi tests.
#![allow(dead_code, clippy::unwrap_used)]

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const EXT: &str =
    "https://annuaire.esante.gouv.fr/fhir/StructureDefinition/as-ext-mailbox-mss-metadata";
const TRE: &str = "https://mos.esante.gouv.fr/NOS/TRE_R257-TypeBAL/FHIR/TRE-R257-TypeBAL";

fn practitioner(id: &str, family: &str, mailboxes: &[(&str, &str, bool)]) -> serde_json::Value {
    let telecom: Vec<serde_json::Value> = mailboxes
        .iter()
        .map(|(addr, kind, red)| {
            serde_json::json!({
                "system": "email",
                "value": addr,
                "extension": [{
                    "url": EXT,
                    "extension": [
                        {"url": "type", "valueCodeableConcept": {"coding": [{"system": TRE, "code": kind}]}},
                        {"url": "listeRouge", "valueBoolean": red},
                        {"url": "description", "valueString": format!("BAL {kind}")}
                    ]
                }]
            })
        })
        .chain(std::iter::once(serde_json::json!({"system": "email", "value": "plain@example.fr"})))
        .collect();
    serde_json::json!({
        "resourceType": "Practitioner",
        "id": id,
        "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "810001234567"}],
        "name": [{"family": family, "given": ["JEAN"]}],
        "telecom": telecom
    })
}

fn bundle(entries: Vec<serde_json::Value>, next: Option<String>) -> String {
    let mut links = vec![serde_json::json!({"relation": "self", "url": "x"})];
    if let Some(n) = next {
        links.push(serde_json::json!({"relation": "next", "url": n}));
    }
    serde_json::json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": entries.into_iter().map(|r| serde_json::json!({"resource": r})).collect::<Vec<_>>()
    })
    .to_string()
}

/// Starts the server on 127.0.0.1 with this certificate (for `localhost`); returns its port and
/// the log of the request paths it received. It enforces the API key `test-key` (401
/// otherwise), answers 429 once, then two pages for a name or RPPS search.
pub fn annuaire_server(
    server_cert_pem: &str,
    server_key_pem: &str,
) -> (u16, Arc<Mutex<Vec<String>>>) {
    let chain = vec![CertificateDer::from_pem_slice(server_cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(server_key_pem.as_bytes()).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(tcp) = stream else { return };
            let config = config.clone();
            let log = log2.clone();
            let calls = calls.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let tls = rustls::StreamOwned::new(conn, tcp);
                let mut reader = BufReader::new(tls);
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut key_ok = false;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 {
                            return;
                        }
                        if h == "\r\n" {
                            break;
                        }
                        if h.to_ascii_lowercase()
                            .starts_with("esante-api-key: test-key")
                        {
                            key_ok = true;
                        }
                    }
                    let path = request_line
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or("")
                        .to_owned();
                    log.lock().unwrap().push(path.clone());
                    let n = calls.fetch_add(1, Ordering::SeqCst);
                    let base = format!("https://localhost:{port}/fhir/v2");
                    let (status, extra, body) = if !key_ok {
                        ("401 Unauthorized", "", String::new())
                    } else if n == 0 {
                        ("429 Too Many Requests", "Retry-After: 0\r\n", String::new())
                    } else if path.contains("page=2") {
                        (
                            "200 OK",
                            "",
                            bundle(
                                vec![practitioner(
                                    "p2",
                                    "MARTIN",
                                    &[("jean.martin@hopital.mssante.fr", "ORG", false)],
                                )],
                                None,
                            ),
                        )
                    } else {
                        (
                            "200 OK",
                            "",
                            bundle(
                                vec![practitioner(
                                    "p1",
                                    "MARTIN",
                                    &[
                                        ("jean.martin@pharmacien.mssante.fr", "PER", false),
                                        ("robot@pharmacie.mssante.fr", "APP", true),
                                    ],
                                )],
                                Some(format!("{base}/Practitioner?family=MARTIN&page=2")),
                            ),
                        )
                    };
                    let resp = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\n{extra}\r\n{body}",
                        body.len()
                    );
                    let s = reader.get_mut();
                    if s.write_all(resp.as_bytes()).is_err() {
                        return;
                    }
                    let _ = s.flush();
                    let _ = s.read(&mut []);
                }
            });
        }
    });
    (port, log)
}
