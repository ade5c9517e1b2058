//! End to end against a real Postfix and a real Dovecot started by the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_test_support as support;

use segur_mssante::compose::{MessageBuilder, ProductReference, Subject};
use segur_mssante::discovery::Endpoint;
use segur_mssante::dsn::{DsnAction, DsnRequest};
use segur_mssante::imap::{Handled, ImapSession, ImapSettings, process_mailboxes};
use segur_mssante::inspect::XdmContents;
use segur_mssante::mdn::{AnsErrorCode, Disposition, MdnBuilder};
use segur_mssante::read::{ReadLimits, Report};
use segur_mssante::smtp::{SmtpSession, SmtpSettings};
use segur_mssante::tls::{ClientIdentity, TlsError, TlsSettings, TrustAnchors};
use segur_mssante::token::{AccessToken, Authentication, OAuthMechanism, TokenProvider};
use segur_mssante::{ImapError, MailAddress, MssError, Recipient, SmtpError};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use support::mail_servers::{self, DOMAIN, MailServers, jwt};

struct JwtProvider {
    user: String,
    exp_offset: i64,
}

impl TokenProvider for JwtProvider {
    fn access_token(&self) -> Result<AccessToken, segur_mssante::token::TokenError> {
        AccessToken::new(
            jwt(&self.user, self.exp_offset),
            SystemTime::now() + Duration::from_secs(self.exp_offset.max(0) as u64),
        )
    }
}

fn addr(local: &str) -> MailAddress {
    MailAddress::parse(&format!("{local}@{DOMAIN}")).unwrap()
}

fn oauth(local: &str, exp_offset: i64, mechanism: OAuthMechanism) -> Authentication {
    Authentication::OAuth {
        user: addr(local),
        provider: Arc::new(JwtProvider {
            user: format!("{local}@{DOMAIN}"),
            exp_offset,
        }),
        mechanism,
    }
}

fn smtp(s: &MailServers, tls: &TlsSettings, auth: Authentication, host: &str) -> SmtpSettings {
    SmtpSettings {
        endpoint: Endpoint::new(host, s.submission_port),
        tls: tls.clone(),
        auth,
        hello_name: "lgo.test".into(),
        timeout: Duration::from_secs(20),
    }
}

fn imap(s: &MailServers, tls: &TlsSettings, auth: Authentication, host: &str) -> ImapSettings {
    ImapSettings {
        endpoint: Endpoint::new(host, s.imap_port),
        tls: tls.clone(),
        auth,
        mailbox: "INBOX".into(),
        timeout: Duration::from_secs(20),
        limits: ReadLimits::default(),
    }
}

fn vac_note() -> Vec<u8> {
    std::fs::read(mail_servers::shared().join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml")).unwrap()
}

fn vac_note_xdm() -> Vec<u8> {
    let opts = segur_dmp_cda::PackOptions {
        source_id: "1.2.250.1.213.4.1.1.1".into(),
        sender: segur_dmp_cda::XdmSender {
            organization: "Pharmacie du Centre (FINESS 750000001)".into(),
            contact: "pharma@test.mssante.fr".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    segur_dmp_cda::pack_cda(&vac_note(), None, &opts).unwrap().0
}

#[test]
fn postfix_and_dovecot_end_to_end() {
    let servers = MailServers::start(5_000_000);
    let anchors = TrustAnchors::from_pem(servers.pki.ca_pem.as_bytes()).unwrap();
    let tls = TlsSettings::new(&anchors, None).unwrap();
    let nil = ProductReference::new("SEGUR-TEST-NIL-1").unwrap();

    // Compose a VAC-NOTE in its XDM, with a read receipt request.
    let cda = vac_note();
    let xdm = vac_note_xdm();
    let expected = XdmContents::read(&xdm).unwrap();
    let expected_code = expected.headers[0].type_code.code.clone();
    let expected_ins = segur_mssante::inspect::has_qualified_ins(&expected.headers[0]);
    let outgoing = MessageBuilder::new(addr("pharma"), nil.clone())
        .from_label("Pharmacie_Test")
        .unwrap()
        .to(Recipient::professional(addr("doc")).unwrap())
        .subject(Subject::xdm("Note de vaccination").unwrap())
        .text("Veuillez trouver la note de vaccination.")
        .xdm(xdm.clone())
        .request_read_receipt()
        .build()
        .unwrap();
    assert_eq!(outgoing.mss_headers().codecda, vec![expected_code.clone()]);
    assert_eq!(outgoing.mss_headers().ins, Some(expected_ins));

    // Submit with XOAUTH2 and a DSN request.
    let mut session = SmtpSession::connect(&smtp(
        &servers,
        &tls,
        oauth("pharma", 300, OAuthMechanism::XOAuth2),
        "localhost",
    ))
    .unwrap();
    assert!(session.extensions().dsn);
    let report = session
        .send(&outgoing, Some(&DsnRequest::default()))
        .unwrap();
    assert!(report.all_accepted(), "{report:?}");
    assert!(report.dsn_requested);
    session.quit().unwrap();
    assert!(servers.wait_delivered("doc@test.mssante.fr", 1));

    // Fetch over IMAP (XOAUTH2): bytes, headers, extracted CDA.
    let doc_imap = imap(
        &servers,
        &tls,
        oauth("doc", 300, OAuthMechanism::XOAuth2),
        "localhost",
    );
    let mut doc = ImapSession::connect(&doc_imap).unwrap();
    let mut received = Vec::new();
    let summary = doc
        .process_pending(|f| {
            received.push(f);
            Ok::<_, ()>(Handled::Done)
        })
        .unwrap()
        .unwrap();
    assert_eq!(summary.handed, 1);
    assert_eq!(summary.flagged, 1);
    let msg = received.pop().unwrap().message.unwrap();
    assert!(
        msg.raw().ends_with(outgoing.bytes()),
        "the delivered message differs from the submitted bytes"
    );
    assert_eq!(msg.message_id.as_ref(), Some(outgoing.message_id()));
    assert_eq!(msg.mss.nil.as_deref(), Some("SEGUR-TEST-NIL-1"));
    assert_eq!(msg.mss.codecda, vec![expected_code.clone()]);
    assert_eq!(msg.mss.ins, Some(expected_ins));
    assert_eq!(msg.display_subject(), Some("Note de vaccination"));
    let contents = XdmContents::read(&msg.xdm().unwrap().data).unwrap();
    let cda_doc = contents.package.cda_documents().next().unwrap();
    assert_eq!(cda_doc.bytes, cda);
    assert_eq!(contents.headers[0].type_code.code, expected_code);
    // Idempotent by UID: nothing is handed twice once flagged.
    let again = doc
        .process_pending(|_| Ok::<_, ()>(Handled::Done))
        .unwrap()
        .unwrap();
    assert_eq!(again.handed, 0);

    // A malformed message in the same mailbox gives its own error; the others still process.
    doc.append("INBOX", b"\x00\x01 not a mail\r\n\r\nbody")
        .unwrap();
    doc.append(
        "INBOX",
        b"From: a@test.mssante.fr\r\nTo: doc@test.mssante.fr\r\nSubject: ok\r\nMessage-ID: <ok1@test.mssante.fr>\r\n\r\nfine\r\n",
    )
    .unwrap();
    doc.append(
        "INBOX",
        b"From: a@test.mssante.fr\r\nSubject: zip\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=IHE_XDM.ZIP\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBBQAAAAIAAAAIQBOT1RBWklQ\r\n--b--\r\n",
    )
    .unwrap();
    let mut results = Vec::new();
    // Retry first: a crash-like pass that does not commit re-processes next time.
    let first = doc
        .process_pending(|_| Ok::<_, ()>(Handled::Retry))
        .unwrap()
        .unwrap();
    assert_eq!((first.handed, first.flagged), (3, 0));
    let second = doc
        .process_pending(|f| {
            results.push(f);
            Ok::<_, ()>(Handled::Done)
        })
        .unwrap()
        .unwrap();
    assert_eq!((second.handed, second.malformed, second.flagged), (3, 1, 3));
    assert!(matches!(
        results[0].message,
        Err(MssError::Malformed { .. })
    ));
    assert_eq!(
        results[1]
            .message
            .as_ref()
            .unwrap()
            .text
            .as_deref()
            .map(str::trim),
        Some("fine")
    );
    let zip_msg = results[2].message.as_ref().unwrap();
    assert!(matches!(
        XdmContents::read(&zip_msg.xdm().unwrap().data),
        Err(MssError::Xdm(_))
    ));
    doc.logout().unwrap();

    // MDN round trip: doc reports the integration error 902 to pharma.
    let mdn = MdnBuilder::new(
        &msg,
        addr("doc"),
        nil.clone(),
        Disposition::processing_failed(AnsErrorCode::UnknownPatient),
    )
    .build()
    .unwrap();
    let mut doc_smtp = SmtpSession::connect(&smtp(
        &servers,
        &tls,
        oauth("doc", 300, OAuthMechanism::OAuthBearer),
        "localhost",
    ))
    .unwrap();
    assert!(doc_smtp.send(&mdn, None).unwrap().all_accepted());
    doc_smtp.quit().unwrap();
    // pharma receives the DSN (delivered to doc) and the MDN.
    assert!(servers.wait_delivered("pharma@test.mssante.fr", 2));
    let pharma_imap = imap(
        &servers,
        &tls,
        oauth("pharma", 300, OAuthMechanism::OAuthBearer),
        "localhost",
    );
    let mut pharma = ImapSession::connect(&pharma_imap).unwrap();
    let mut acks = Vec::new();
    pharma
        .process_pending(|f| {
            acks.push(f.message.unwrap());
            Ok::<_, ()>(Handled::Done)
        })
        .unwrap()
        .unwrap();
    pharma.logout().unwrap();
    let mut saw_mdn = false;
    let mut saw_dsn = false;
    for a in &acks {
        match &a.report {
            Some(Report::Disposition(n)) => {
                saw_mdn = true;
                assert_eq!(n.original_message_id.as_ref(), Some(outgoing.message_id()));
                assert_eq!(n.disposition.error.as_ref().unwrap().code(), 902);
                assert!(
                    a.subject
                        .as_deref()
                        .unwrap()
                        .starts_with("[KO Intégration système !][902]")
                );
            }
            Some(Report::Delivery(d)) => {
                saw_dsn = true;
                assert_eq!(d.original_message_id.as_ref(), Some(outgoing.message_id()));
                // Dovecot LMTP does not speak DSN, so Postfix reports "relayed" (RFC 3464 §2.3.3).
                assert!(matches!(
                    d.recipients[0].action,
                    DsnAction::Delivered | DsnAction::Relayed
                ));
                assert_eq!(d.recipients[0].final_recipient, "doc@test.mssante.fr");
            }
            None => {}
        }
    }
    assert!(saw_mdn && saw_dsn, "MDN {saw_mdn}, DSN {saw_dsn}");

    // Several mailboxes at once.
    let plain = MessageBuilder::new(addr("pharma"), nil.clone())
        .to(Recipient::professional(addr("doc")).unwrap())
        .cc(Recipient::professional(addr("labo")).unwrap())
        .subject(Subject::plain("Bonjour").unwrap())
        .text("Texte")
        .html("<p>Texte</p>")
        .build()
        .unwrap();
    let mut s = SmtpSession::connect(&smtp(
        &servers,
        &tls,
        oauth("pharma", 300, OAuthMechanism::XOAuth2),
        "localhost",
    ))
    .unwrap();
    assert!(s.send(&plain, None).unwrap().all_accepted());
    s.quit().unwrap();
    assert!(servers.wait_delivered("labo@test.mssante.fr", 1));
    let both = [
        imap(
            &servers,
            &tls,
            oauth("doc", 300, OAuthMechanism::XOAuth2),
            "localhost",
        ),
        imap(
            &servers,
            &tls,
            oauth("labo", 300, OAuthMechanism::XOAuth2),
            "localhost",
        ),
    ];
    let seen = std::sync::Mutex::new(Vec::new());
    let results = process_mailboxes(&both, |i, f| {
        let m = f.message.unwrap();
        assert_eq!(m.html.as_deref().map(str::trim), Some("<p>Texte</p>"));
        seen.lock().unwrap().push((i, m.message_id.clone()));
        Handled::Done
    });
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().map(|s| s.handed == 1).unwrap_or(false)),
        "{results:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), 2);

    // Applicative mailbox: TLS client certificate (IMAP EXTERNAL, SMTP authorised by cert).
    let identity = ClientIdentity::from_pem(
        servers.pki.client_cert_pem.as_bytes(),
        servers.pki.client_key_pem.as_bytes(),
    )
    .unwrap();
    let mtls = TlsSettings::new(&anchors, Some(&identity)).unwrap();
    let mut app_smtp = SmtpSession::connect(&smtp(
        &servers,
        &mtls,
        Authentication::ClientCertificate,
        "localhost",
    ))
    .unwrap();
    let to_app = MessageBuilder::new(addr("app"), nil.clone())
        .to(Recipient::professional(addr("app")).unwrap())
        .subject(Subject::plain("applicative").unwrap())
        .text("x")
        .build()
        .unwrap();
    assert!(app_smtp.send(&to_app, None).unwrap().all_accepted());
    app_smtp.quit().unwrap();
    assert!(servers.wait_delivered("app@test.mssante.fr", 1));
    let mut app = ImapSession::connect(&imap(
        &servers,
        &mtls,
        Authentication::ClientCertificate,
        "localhost",
    ))
    .unwrap();
    assert_eq!(app.pending().unwrap().len(), 1);
    app.logout().unwrap();

    // Negative: oversized message (Postfix limit 5 MB, announced by SIZE).
    let big = MessageBuilder::new(addr("pharma"), nil.clone())
        .to(Recipient::professional(addr("doc")).unwrap())
        .subject(Subject::plain("big").unwrap())
        .text(&"x".repeat(6_000_000))
        .size_limit(20_000_000)
        .build()
        .unwrap();
    let mut s = SmtpSession::connect(&smtp(
        &servers,
        &tls,
        oauth("pharma", 300, OAuthMechanism::XOAuth2),
        "localhost",
    ))
    .unwrap();
    assert!(matches!(
        s.send(&big, None),
        Err(MssError::TooLarge {
            limit: 5_000_000,
            ..
        })
    ));
    s.quit().unwrap();

    // Negative: wrong client certificate (issued by an unknown CA).
    let rogue_id = ClientIdentity::from_pem(
        servers.pki.rogue_client_cert_pem.as_bytes(),
        servers.pki.rogue_client_key_pem.as_bytes(),
    )
    .unwrap();
    let rogue_tls = TlsSettings::new(&anchors, Some(&rogue_id)).unwrap();
    let err = ImapSession::connect(&imap(
        &servers,
        &rogue_tls,
        Authentication::ClientCertificate,
        "localhost",
    ))
    .unwrap_err();
    assert!(
        matches!(
            err,
            MssError::Imap(ImapError::AuthenticationFailed(_))
                | MssError::Tls(TlsError::ClientCertificateRefused { .. })
        ),
        "{err:?}"
    );
    let mut rogue_smtp = SmtpSession::connect(&smtp(
        &servers,
        &rogue_tls,
        Authentication::ClientCertificate,
        "localhost",
    ))
    .unwrap();
    let r = rogue_smtp.send(&to_app, None).unwrap();
    assert!(!r.all_accepted());
    assert_eq!(r.recipients[0].result.as_ref().unwrap_err().code, 554);

    // Negative: wrong server CA, wrong server name.
    let rogue_anchor = TrustAnchors::from_pem(servers.pki.rogue_ca_pem.as_bytes()).unwrap();
    let wrong_ca = TlsSettings::new(&rogue_anchor, None).unwrap();
    for (err, expected) in [
        (
            SmtpSession::connect(&smtp(
                &servers,
                &wrong_ca,
                oauth("pharma", 300, OAuthMechanism::XOAuth2),
                "localhost",
            ))
            .unwrap_err(),
            TlsError::UnknownIssuer,
        ),
        (
            ImapSession::connect(&imap(
                &servers,
                &wrong_ca,
                oauth("pharma", 300, OAuthMechanism::XOAuth2),
                "localhost",
            ))
            .unwrap_err(),
            TlsError::UnknownIssuer,
        ),
        (
            SmtpSession::connect(&smtp(
                &servers,
                &tls,
                oauth("pharma", 300, OAuthMechanism::XOAuth2),
                "127.0.0.1",
            ))
            .unwrap_err(),
            TlsError::NameMismatch,
        ),
        (
            ImapSession::connect(&imap(
                &servers,
                &tls,
                oauth("pharma", 300, OAuthMechanism::XOAuth2),
                "127.0.0.1",
            ))
            .unwrap_err(),
            TlsError::NameMismatch,
        ),
    ] {
        assert!(
            matches!(&err, MssError::Tls(t) if *t == expected),
            "{err:?}"
        );
    }

    // Negative: expired token.
    for (i, err) in [
        SmtpSession::connect(&smtp(
            &servers,
            &tls,
            oauth("pharma", -60, OAuthMechanism::XOAuth2),
            "localhost",
        ))
        .unwrap_err(),
        ImapSession::connect(&imap(
            &servers,
            &tls,
            oauth("pharma", -60, OAuthMechanism::XOAuth2),
            "localhost",
        ))
        .unwrap_err(),
        ImapSession::connect(&imap(
            &servers,
            &tls,
            oauth("pharma", -60, OAuthMechanism::OAuthBearer),
            "localhost",
        ))
        .unwrap_err(),
    ]
    .into_iter()
    .enumerate()
    {
        // The first is the SMTP submission, the others IMAP: each in its own layer.
        let layered = if i == 0 {
            matches!(err, MssError::Smtp(SmtpError::AuthenticationFailed(_)))
        } else {
            matches!(err, MssError::Imap(ImapError::AuthenticationFailed(_)))
        };
        assert!(layered, "{err:?}");
    }
}
