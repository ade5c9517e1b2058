//! DNS SRV discovery against a local DNS server, and the Annuaire Santé client against a local
//! HTTPS server serving bundles in the recorded FHIR format.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::dns_server::dns_server;
use support::mail_servers;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use segur_mssante::annuaire::{AnnuaireClient, MailboxType, Search};
use segur_mssante::discovery::{Discovery, Endpoint, MailServers};
use segur_mssante::tls::{TlsSettings, TrustAnchors};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn srv_discovery_orders_records_and_honours_dot() {
    let resolver = dns_server();
    let d = Discovery::Srv {
        resolver,
        timeout: Duration::from_secs(5),
    };
    let servers = d.servers("example.fr").unwrap();
    assert_eq!(
        servers.submission,
        vec![
            Endpoint::new("smtp-a.example.fr", 587),
            Endpoint::new("smtp-b.example.fr", 587),
            Endpoint::new("backup.example.fr", 587),
        ]
    );
    assert!(servers.imap.is_empty(), "target '.' means no service");
    let fixed = MailServers {
        submission: vec![Endpoint::new("smtp.op.fr", 587)],
        imap: vec![Endpoint::new("imap.op.fr", 143)],
    };
    assert_eq!(
        Discovery::Static(fixed.clone()).servers("x.fr").unwrap(),
        fixed
    );
    // No answer at all: a typed error after the timeout.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let err = Discovery::Srv {
        resolver: silent.local_addr().unwrap(),
        timeout: Duration::from_millis(300),
    }
    .servers("example.fr")
    .unwrap_err();
    assert!(matches!(err, segur_mssante::MssError::Discovery(_)));
}

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

/// HTTPS server enforcing the API key, answering 429 once, then two pages.
fn annuaire_server(pki: &mail_servers::Pki) -> (u16, Arc<Mutex<Vec<String>>>) {
    let chain = vec![CertificateDer::from_pem_slice(pki.server_cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(pki.server_key_pem.as_bytes()).unwrap();
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

#[test]
fn annuaire_paging_type_filter_and_backoff() {
    let pki = mail_servers::Pki::generate();
    let (port, log) = annuaire_server(&pki);
    let tls = TlsSettings::new(
        &TrustAnchors::from_pem(pki.ca_pem.as_bytes()).unwrap(),
        None,
    )
    .unwrap();
    let base = format!("https://localhost:{port}/fhir/v2");
    let client = AnnuaireClient::new(&base, "test-key", &tls)
        .unwrap()
        .retries(3, Duration::from_millis(10));
    let all = client
        .mailboxes(
            &Search::Name {
                family: "MARTIN",
                given: Some("JEAN"),
            },
            &[],
        )
        .unwrap();
    let addrs: Vec<&str> = all.iter().map(|m| m.address.as_str()).collect();
    assert_eq!(
        addrs,
        vec![
            "jean.martin@pharmacien.mssante.fr",
            "robot@pharmacie.mssante.fr",
            "jean.martin@hopital.mssante.fr"
        ]
    );
    assert!(all[1].red_list);
    assert_eq!(all[0].name.as_deref(), Some("MARTIN JEAN"));
    let paths = log.lock().unwrap().clone();
    assert_eq!(paths.len(), 3, "429 retried, then two pages: {paths:?}");
    assert!(paths[0].contains("family=MARTIN&given=JEAN&_count=100"));

    let per = client
        .mailboxes(
            &Search::Rpps(&segur_ins::Rpps::parse("10001234565").unwrap()),
            &[MailboxType::Personal],
        )
        .unwrap();
    assert_eq!(per.len(), 1);
    assert_eq!(per[0].kind, Some(MailboxType::Personal));
    let paths = log.lock().unwrap().clone();
    assert!(
        paths
            .iter()
            .any(|p| p.contains("identifier=urn%3Aoid%3A1.2.250.1.71.4.2.1%7C810001234565")),
        "{paths:?}"
    );

    let bad_key = AnnuaireClient::new(&base, "wrong", &tls).unwrap();
    assert!(
        bad_key
            .mailboxes(
                &Search::Name {
                    family: "X",
                    given: None
                },
                &[]
            )
            .is_err()
    );
    assert!(AnnuaireClient::new("http://localhost", "k", &tls).is_err());
}
