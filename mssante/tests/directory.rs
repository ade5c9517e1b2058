//! DNS SRV discovery against a local DNS server, and the Annuaire Santé client against a local
//! HTTPS server serving bundles in the recorded FHIR format.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_test_support as support;

use support::annuaire_server::annuaire_server;
use support::dns_server::dns_server;
use support::mail_servers;

use segur_mssante::annuaire::{AnnuaireClient, MailboxType, Search};
use segur_mssante::discovery::{Discovery, Endpoint, MailServers};
use segur_mssante::tls::{TlsSettings, TrustAnchors};
use std::net::UdpSocket;
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
    assert!(
        matches!(
            err,
            segur_mssante::MssError::Discovery(segur_mssante::DiscoveryError::NoAnswer(_))
        ),
        "{err:?}"
    );
}

#[test]
fn annuaire_paging_type_filter_and_backoff() {
    let pki = mail_servers::Pki::generate();
    let (port, log) = annuaire_server(&pki.server_cert_pem, &pki.server_key_pem);
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
    let err = bad_key
        .mailboxes(
            &Search::Name {
                family: "X",
                given: None,
            },
            &[],
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            segur_mssante::MssError::Annuaire(segur_mssante::AnnuaireError::Status(_))
        ),
        "{err:?}"
    );
    assert!(matches!(
        AnnuaireClient::new("http://localhost", "k", &tls),
        Err(segur_mssante::MssError::Annuaire(
            segur_mssante::AnnuaireError::NotHttps
        ))
    ));
}
