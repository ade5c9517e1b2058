//! The INSi client against a local HTTPS server with mutual TLS that enforces the published
//! contract: client certificate CN `INSI-AUTO`/`INSI-MANU` (else the `DESIR_560` fault, as the
//! real teleservice), SOAP 1.2 content type and action, and the request's `RECSANSVITALE`,
//! `ContexteLPS` and `ContexteBAM` validated with xmllint against the published XSDs
//! (`../shared/insi/xsd`). It replays the CNDA responses of `../shared/insi/cnda-responses`.
//! TLS negative cases: wrong CA, wrong name, expired server certificate, untrusted client.

#![cfg(feature = "insi-client")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use segur_test_support::insi_server;

use insi_server::{Ca, Seen, ca, leaf, server, xmllint};
use segur_ins::insi::{InsiClient, InsiError, InsiTls, ResponseError, SoftwareIdentity};
use segur_ins::{MatriculeError, Traits, TraitsData};
use std::sync::{Arc, Mutex};

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
