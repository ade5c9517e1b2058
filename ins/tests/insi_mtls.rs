//! The INSi client against a local HTTPS server with mutual TLS that enforces the published
//! contract: client certificate CN `INSI-AUTO`/`INSI-MANU` (else the `DESIR_560` fault, as the
//! real teleservice), SOAP 1.2 content type and action, and the request's `RECSANSVITALE`,
//! `ContexteLPS` and `ContexteBAM` validated with xmllint against the published XSDs
//! (`../shared/insi/xsd`). It replays the CNDA responses of `../shared/insi/cnda-responses`.
//! TLS negative cases: wrong CA, wrong name, expired server certificate, untrusted client.

#![cfg(feature = "insi-client")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quick_xml::events::Event;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use segur_ins::insi::{InsiClient, InsiError, InsiTls, ResponseError, SoftwareIdentity};
use segur_ins::{MatriculeError, Traits, TraitsData};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
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

struct Leaf {
    cert_pem: String,
    key_pem: String,
}

fn leaf(ca: &Ca, cn: &str, dns: &[&str], client: bool, expired: bool) -> Leaf {
    let mut p =
        CertificateParams::new(dns.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    if !client {
        p.subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    }
    p.distinguished_name.push(DnType::CommonName, cn);
    p.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    if expired {
        p.not_before = rcgen::date_time_ymd(2019, 1, 1);
        p.not_after = rcgen::date_time_ymd(2020, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, &ca.cert, &ca.key).unwrap();
    Leaf {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// What the server saw, for assertions.
#[derive(Default)]
struct Seen {
    requests: Vec<String>,
}

/// Starts the contract-enforcing INSi server; returns its port.
fn server(server_leaf: &Leaf, client_ca: &Ca, seen: Arc<Mutex<Seen>>) -> u16 {
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

fn xmllint(fragment: &[u8], xsd: &str) -> Result<(), String> {
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

struct Setup {
    ca: Ca,
    port: u16,
    seen: Arc<Mutex<Seen>>,
}

fn setup_with(server_cn: &str, dns: &[&str], expired: bool) -> Setup {
    let ca = ca("TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS");
    let server_leaf = leaf(&ca, server_cn, dns, false, expired);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let port = server(&server_leaf, &ca, seen.clone());
    Setup { ca, port, seen }
}

fn software() -> SoftwareIdentity {
    SoftwareIdentity {
        idam: "TEST-IDAM".into(),
        version: "1.0".into(),
        name: "segur-tests".into(),
        instance: "b6f0c6c2-3b75-4d6f-9a0b-2f1b1f0a9e11".into(),
        emitter: "officine-test".into(),
    }
}

fn client(
    s: &Setup,
    trusted: &Ca,
    client_ca: &Ca,
    cn: &str,
    host: &str,
) -> Result<InsiClient, InsiError> {
    let c = leaf(client_ca, cn, &[], true, false);
    let tls = InsiTls::from_pem(
        trusted.cert.pem().as_bytes(),
        c.cert_pem.as_bytes(),
        c.key_pem.as_bytes(),
    )?;
    InsiClient::new(&format!("https://{host}:{}/lps", s.port), tls, software())
}

fn traits(name: &str, givens: &[&str], sex: &str, date: &str, place: Option<&str>) -> Traits {
    Traits::from_data(&TraitsData {
        birth_name: name.into(),
        given_names: givens.iter().map(|s| s.to_string()).collect(),
        sex: sex.into(),
        birth_date: date.into(),
        birth_place: place.map(str::to_owned),
        ..TraitsData::default()
    })
    .unwrap()
}

#[test]
fn cnda_2_04_found_with_the_first_given_name_and_xsd_valid_requests() {
    let s = setup_with("services-ps-tlsm.test", &["localhost"], false);
    let c = client(&s, &s.ca, &s.ca, "INSI-AUTO", "localhost").unwrap();
    let t = traits(
        "ECETINSI",
        &["PIERRE-ALAIN", "MURIEL", "FLORIANT"],
        "M",
        "2009-07-14",
        Some("63220"),
    );
    let outcome = c.search_with_strategy(&t).unwrap();
    assert!(outcome.found());
    assert_eq!(outcome.attempts.len(), 1);
    let ind = outcome.last().unwrap().individual.clone().unwrap();
    let h = ind.history.unwrap();
    assert_eq!(h.active.matricule().expose(), "109076322083489");
    assert_eq!(h.anomalies().count(), 1);
    let req = &s.seen.lock().unwrap().requests[0];
    assert!(req.contains("<Prenom>PIERRE-ALAIN</Prenom>") && !req.contains("<Prenom>MURIEL"));
    assert!(
        !req.contains("<LieuNaissance>"),
        "first queries go without the birthplace"
    );
    // the audit copy is kept and redacted in Debug
    let e = &outcome.attempts[0];
    assert!(e.expose_request_xml().contains("ECETINSI"));
    assert!(!format!("{e:?}").contains("ECETINSI"));
}

#[test]
fn cnda_2_07_each_given_name_in_turn_until_found() {
    let s = setup_with("insi", &["localhost"], false);
    let c = client(&s, &s.ca, &s.ca, "INSI-MANU", "localhost").unwrap();
    let t = traits(
        "TCHITCHI",
        &["OLA", "CATARINA", "BELLA"],
        "F",
        "1936-06-21",
        None,
    );
    let outcome = c.search_with_strategy(&t).unwrap();
    let codes: Vec<_> = outcome
        .attempts
        .iter()
        .map(|a| a.response.code.as_str())
        .collect();
    assert_eq!(codes, ["01", "00"]);
    let h = outcome
        .last()
        .unwrap()
        .individual
        .clone()
        .unwrap()
        .history
        .unwrap();
    assert_eq!(h.active.matricule().expose(), "236066322083656");
}

#[test]
fn cnda_2_06_several_identities_then_birthplace() {
    let s = setup_with("insi", &["localhost"], false);
    let c = client(&s, &s.ca, &s.ca, "INSI-AUTO", "localhost").unwrap();
    let t = traits("DE VINCI", &["LEONARDO"], "M", "2014-02-01", Some("63220"));
    let outcome = c.search_with_strategy(&t).unwrap();
    assert_eq!(outcome.attempts[0].response.code, "02");
    let seen = s.seen.lock().unwrap();
    assert!(seen.requests.len() >= 2);
    assert!(seen.requests[1].contains("<LieuNaissance>63220</LieuNaissance>"));
}

#[test]
fn cnda_2_08_wrong_keys_are_reported() {
    let s = setup_with("insi", &["localhost"], false);
    let c = client(&s, &s.ca, &s.ca, "INSI-AUTO", "localhost").unwrap();
    let t = traits("HERMAN", &["GATIEN"], "M", "1981-03-24", None);
    let outcome = c.search_with_strategy(&t).unwrap();
    let ind = outcome.last().unwrap().individual.clone().unwrap();
    assert!(matches!(
        ind.history,
        Err(ResponseError::Ins(segur_ins::InsError::Matricule(
            MatriculeError::KeyMismatch { .. }
        )))
    ));
}

#[test]
fn client_certificate_with_another_cn_gets_desir_560() {
    let s = setup_with("insi", &["localhost"], false);
    let c = client(&s, &s.ca, &s.ca, "PHARMACIE DU CENTRE", "localhost").unwrap();
    let t = traits("ECETINSI", &["PIERRE-ALAIN"], "M", "2009-07-14", None);
    match c.search_with_strategy(&t) {
        Err(InsiError::Response(ResponseError::Fault(f))) => {
            assert_eq!(f.code, "DESIR_560");
            assert_eq!(f.severity.as_deref(), Some("erreur"));
        }
        other => panic!("expected DESIR_560, got {other:?}"),
    }
}

#[test]
fn server_from_an_untrusted_ca_is_refused() {
    let s = setup_with("insi", &["localhost"], false);
    let other = ca("OTHER CA");
    let c = client(&s, &other, &s.ca, "INSI-AUTO", "localhost").unwrap();
    let t = traits("ECETINSI", &["PIERRE-ALAIN"], "M", "2009-07-14", None);
    assert!(matches!(
        c.search_with_strategy(&t),
        Err(InsiError::UnknownServerCa)
    ));
    assert!(
        s.seen.lock().unwrap().requests.is_empty(),
        "nothing sent to an untrusted server"
    );
}

#[test]
fn server_with_the_wrong_name_is_refused() {
    let s = setup_with("insi", &["other.example"], false);
    let c = client(&s, &s.ca, &s.ca, "INSI-AUTO", "localhost").unwrap();
    let t = traits("ECETINSI", &["PIERRE-ALAIN"], "M", "2009-07-14", None);
    assert!(matches!(
        c.search_with_strategy(&t),
        Err(InsiError::ServerNameMismatch)
    ));
}

#[test]
fn expired_server_certificate_is_refused() {
    let s = setup_with("insi", &["localhost"], true);
    let c = client(&s, &s.ca, &s.ca, "INSI-AUTO", "localhost").unwrap();
    let t = traits("ECETINSI", &["PIERRE-ALAIN"], "M", "2009-07-14", None);
    assert!(matches!(
        c.search_with_strategy(&t),
        Err(InsiError::ServerCertificateExpired)
    ));
}

#[test]
fn client_certificate_from_an_untrusted_ca_is_refused_by_the_server() {
    let s = setup_with("insi", &["localhost"], false);
    let rogue = ca("ROGUE CA");
    let c = client(&s, &s.ca, &rogue, "INSI-AUTO", "localhost").unwrap();
    let t = traits("ECETINSI", &["PIERRE-ALAIN"], "M", "2009-07-14", None);
    let r = c.search_with_strategy(&t);
    assert!(
        matches!(
            r,
            Err(InsiError::ClientCertificateRefused) | Err(InsiError::Io(_))
        ),
        "{r:?}"
    );
    assert!(s.seen.lock().unwrap().requests.is_empty());
}

#[test]
fn the_xsd_check_of_the_test_server_is_not_vacuous() {
    let ok = br#"<ctxlps:ContexteLPS xmlns:ctxlps="urn:siram:lps:ctxlps" Nature="CTXLPS" Version="01_00"><ctxlps:Id>x</ctxlps:Id><ctxlps:Temps>2026-11-22T10:00:00.000Z</ctxlps:Temps></ctxlps:ContexteLPS>"#;
    assert!(xmllint(ok, "CTX/ROOT_ctxlps_CTXLPS_V01_00.xsd").is_ok());
    let no_version = br#"<ctxlps:ContexteLPS xmlns:ctxlps="urn:siram:lps:ctxlps" Nature="CTXLPS"><ctxlps:Id>x</ctxlps:Id><ctxlps:Temps>2026-11-22T10:00:00.000Z</ctxlps:Temps></ctxlps:ContexteLPS>"#;
    assert!(xmllint(no_version, "CTX/ROOT_ctxlps_CTXLPS_V01_00.xsd").is_err());
    let bad_nature = br#"<ctxlps:ContexteLPS xmlns:ctxlps="urn:siram:lps:ctxlps" Nature="X" Version="01_00"><ctxlps:Id>x</ctxlps:Id><ctxlps:Temps>now</ctxlps:Temps></ctxlps:ContexteLPS>"#;
    assert!(xmllint(bad_nature, "CTX/ROOT_ctxlps_CTXLPS_V01_00.xsd").is_err());
}
