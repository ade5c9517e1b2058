//! `segur inbox` through the binary against a real Dovecot: sync (JSON report), review (JSON
//! views), attach and reject (recorded in the audit trail), a second decision refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_ins::{IdentityStatus, Ins, Traits, TraitsData};
use segur_mssante::compose::{MessageBuilder, PdfAttachment, ProductReference, Subject};
use segur_mssante::discovery::Endpoint;
use segur_mssante::imap::{ImapSession, ImapSettings};
use segur_mssante::read::ReadLimits;
use segur_mssante::tls::{TlsSettings, TrustAnchors};
use segur_mssante::token::{AccessToken, Authentication, OAuthMechanism, TokenProvider};
use segur_mssante::{MailAddress, Recipient};
use segur_store::model::NewPatient;
use segur_store::{DocumentStore, SqliteStore};
use segur_test_support::mail_servers::{DOMAIN, MailServers, jwt};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

struct Jwt;

impl TokenProvider for Jwt {
    fn access_token(&self) -> Result<AccessToken, segur_mssante::token::TokenError> {
        AccessToken::new(
            jwt(&format!("pharma@{DOMAIN}"), 300),
            SystemTime::now() + Duration::from_secs(300),
        )
    }
}

fn addr(local: &str) -> MailAddress {
    MailAddress::parse(&format!("{local}@{DOMAIN}")).unwrap()
}

fn segur(store: &Path, args: &[&str], token: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .arg("inbox")
        .args(args)
        .arg("--store")
        .arg(store)
        .env("SEGUR_MSS_TOKEN", token)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn sync_review_attach_reject() {
    let servers = MailServers::start(5_000_000);
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &servers.pki.ca_pem).unwrap();
    let store_dir = dir.path().join("segur-store");

    let patient = SqliteStore::open(&store_dir)
        .unwrap()
        .add_patient(&NewPatient {
            traits: Traits::from_data(&TraitsData {
                birth_name: "PAT-TROIS".into(),
                given_names: vec!["DOMINIQUE".into(), "MARIE-LOUISE".into()],
                sex: "F".into(),
                birth_date: "1979-03-28".into(),
                birth_place: Some("51215".into()),
                ..Default::default()
            })
            .unwrap(),
            status: IdentityStatus::Qualifiee,
            ins: Some(Ins::from_parts("279035121518989", "1.2.250.1.213.1.4.10").unwrap()),
        })
        .unwrap();

    // Two messages, each with a PDF alone (to review).
    let nil = ProductReference::new("SEGUR-TEST-NIL-1").unwrap();
    let mut imap = ImapSession::connect(&ImapSettings {
        endpoint: Endpoint::new("localhost", servers.imap_port),
        tls: TlsSettings::new(
            &TrustAnchors::from_pem(servers.pki.ca_pem.as_bytes()).unwrap(),
            None,
        )
        .unwrap(),
        auth: Authentication::OAuth {
            user: addr("pharma"),
            provider: Arc::new(Jwt),
            mechanism: OAuthMechanism::XOAuth2,
        },
        mailbox: "INBOX".into(),
        timeout: Duration::from_secs(20),
        limits: ReadLimits::default(),
    })
    .unwrap();
    for name in ["CR1.pdf", "CR2.pdf"] {
        let m = MessageBuilder::new(addr("doc"), nil.clone())
            .to(Recipient::professional(addr("pharma")).unwrap())
            .subject(Subject::plain("Compte rendu").unwrap())
            .text("CR en PDF")
            .pdf(PdfAttachment::new(name, b"%PDF-1.4\n%%EOF\n".to_vec()).unwrap())
            .build()
            .unwrap();
        imap.append("INBOX", m.bytes()).unwrap();
    }
    imap.logout().unwrap();

    let token = jwt(&format!("pharma@{DOMAIN}"), 300);
    let imap_hp = format!("localhost:{}", servers.imap_port);
    let (code, out, err) = segur(
        &store_dir,
        &[
            "sync",
            "--ca",
            ca.to_str().unwrap(),
            "--user",
            "pharma@test.mssante.fr",
            "--imap",
            &imap_hp,
            "--json",
        ],
        &token,
    );
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["messages"], 2);
    assert_eq!(report["to_review"], 2);
    assert_eq!(report["flagged"], 2);

    let (code, out, _) = segur(&store_dir, &["review", "--json"], "");
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["reason"], "not_xdm");
    assert_eq!(list[0]["document"]["media_type"], "application/pdf");
    let (first, second) = (list[0]["id"].to_string(), list[1]["id"].to_string());

    let patient_arg = patient.to_string();
    let (code, _, err) = segur(
        &store_dir,
        &[
            "attach",
            &first,
            "--patient",
            &patient_arg,
            "--actor",
            "marie",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = segur(&store_dir, &["reject", &second, "--actor", "marie"], "");
    assert_eq!(code, 0, "{err}");
    // A decided entry cannot be decided again.
    let (code, _, err) = segur(&store_dir, &["reject", &first, "--actor", "paul"], "");
    assert_eq!(code, 2);
    assert!(err.contains("already decided"), "{err}");
    let (code, _, err) = segur(
        &store_dir,
        &[
            "attach",
            "999",
            "--patient",
            &patient_arg,
            "--actor",
            "marie",
        ],
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains("no review entry 999"), "{err}");

    let (_, out, _) = segur(&store_dir, &["review", "--json"], "");
    assert_eq!(out.trim(), "[]");
    let (_, out, _) = segur(&store_dir, &["review", "--all", "--json"], "");
    let all: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(all[0]["state"], "attached");
    assert_eq!(all[0]["document"]["patient"], patient.0);
    assert_eq!(all[1]["state"], "rejected");

    let mut store = SqliteStore::open(&store_dir).unwrap();
    assert_eq!(store.documents_of(patient).unwrap().len(), 1);
    let mut kinds = Vec::new();
    store
        .audit()
        .scan(1, &mut |e| {
            kinds.push((e.event.kind, e.event.actor.clone()));
            Ok(())
        })
        .unwrap();
    assert_eq!(
        kinds,
        vec![
            (
                segur_access::audit::EventKind::DocumentAttached,
                Some("marie".to_owned())
            ),
            (
                segur_access::audit::EventKind::DocumentRejected,
                Some("marie".to_owned())
            ),
        ]
    );
}
