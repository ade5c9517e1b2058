//! The MSSanté inbox filed into the store, end to end through a real Postfix and a real Dovecot
//! (test-support harness): one CDA (sent over SMTP with a read-receipt request, answered by an
//! MDN), several CDAs, a PDF alone, a malformed XDM, two homonym candidates, an INS with a
//! wrong key; a process killed between store and flag (re-delivered, not filed twice); two
//! processes syncing the same mailbox at once (nothing filed twice).
//!
//! CDAs are the ANS kit's (`ans-kit/ExemplesCDA`), varied by text substitution on the patient.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_dmp_cda::xds::{DocumentEntry, SubmissionSet, sha1_hex};
use segur_dmp_cda::{DeriveOptions, XdmSender, XdmWriter};
use segur_ins::{IdentityStatus, Ins, Matricule, Traits, TraitsData};
use segur_mssante::compose::{MessageBuilder, PdfAttachment, ProductReference, Subject};
use segur_mssante::discovery::Endpoint;
use segur_mssante::imap::{ImapSession, ImapSettings};
use segur_mssante::read::{ReadLimits, Report};
use segur_mssante::smtp::{SmtpSession, SmtpSettings};
use segur_mssante::tls::{TlsSettings, TrustAnchors};
use segur_mssante::token::{AccessToken, Authentication, OAuthMechanism, TokenProvider};
use segur_mssante::{MailAddress, Recipient};
use segur_store::inbox::{MdnSettings, SyncOptions, SyncReport, sync};
use segur_store::model::{NewPatient, ReviewReason};
use segur_store::{DocumentStore, SqliteStore};
use segur_test_support::mail_servers::{self, DOMAIN, MailServers, jwt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

const CHILD: &str = "SEGUR_INBOX_CHILD";

struct JwtProvider(String);

impl TokenProvider for JwtProvider {
    fn access_token(&self) -> Result<AccessToken, segur_mssante::token::TokenError> {
        AccessToken::new(
            jwt(&self.0, 300),
            SystemTime::now() + Duration::from_secs(300),
        )
    }
}

fn addr(local: &str) -> MailAddress {
    MailAddress::parse(&format!("{local}@{DOMAIN}")).unwrap()
}

fn auth(local: &str) -> Authentication {
    Authentication::OAuth {
        user: addr(local),
        provider: Arc::new(JwtProvider(format!("{local}@{DOMAIN}"))),
        mechanism: OAuthMechanism::XOAuth2,
    }
}

fn tls(ca_pem: &str) -> TlsSettings {
    TlsSettings::new(&TrustAnchors::from_pem(ca_pem.as_bytes()).unwrap(), None).unwrap()
}

fn imap(port: u16, ca_pem: &str, user: &str) -> ImapSettings {
    ImapSettings {
        endpoint: Endpoint::new("localhost", port),
        tls: tls(ca_pem),
        auth: auth(user),
        mailbox: "INBOX".into(),
        timeout: Duration::from_secs(20),
        limits: ReadLimits::default(),
    }
}

fn smtp(port: u16, ca_pem: &str, user: &str) -> SmtpSettings {
    SmtpSettings {
        endpoint: Endpoint::new("localhost", port),
        tls: tls(ca_pem),
        auth: auth(user),
        hello_name: "lgo.test".into(),
        timeout: Duration::from_secs(20),
    }
}

fn kit(name: &str) -> String {
    std::fs::read_to_string(
        mail_servers::shared()
            .join("ans-kit/ExemplesCDA")
            .join(name),
    )
    .unwrap()
}

const KIT_INS: &str = "279035121518989";

/// A valid NIR (key computed) for a patient the store does not know.
fn other_nir() -> String {
    let body = "1800175112001";
    format!("{body}{:02}", Matricule::compute_key(body).unwrap())
}

/// The kit's patient turned into the homonym "HOMONYME CLAUDE", man born 1980-01-15.
fn homonym_cda() -> String {
    kit("VAC-NOTE_2023.01.xml")
        .replace(KIT_INS, &other_nir())
        .replace("PAT-TROIS", "HOMONYME")
        .replace("DOMINIQUE MARIE-LOUISE", "CLAUDE")
        .replace(">DOMINIQUE<", ">CLAUDE<")
        .replace(
            "<administrativeGenderCode code=\"F\"",
            "<administrativeGenderCode code=\"M\"",
        )
        .replace("19790328", "19800115")
        .replace("<county>51215</county>", "<county>75112</county>")
}

/// An IHE_XDM package of the CDAs, metadata derived from each header (for a CDA whose INS the
/// derivation refuses, the first CDA's entry with this document's hash, size and ids).
fn xdm(cdas: &[String]) -> Vec<u8> {
    let mut entries: Vec<(Vec<u8>, DocumentEntry)> = Vec::new();
    for cda in cdas {
        let bytes = cda.as_bytes().to_vec();
        let header = segur_dmp_cda::read(&bytes).unwrap().header;
        let entry = match DocumentEntry::derive(&header, &bytes, None, &DeriveOptions::default()) {
            Ok(e) => e,
            Err(_) => {
                let (template_bytes, _) = &entries[0];
                let template = segur_dmp_cda::read(template_bytes).unwrap().header;
                let mut e = DocumentEntry::derive(
                    &template,
                    template_bytes,
                    None,
                    &DeriveOptions::default(),
                )
                .unwrap();
                e.entry_uuid = segur_dmp_cda::xds::new_entry_uuid();
                e.unique_id = segur_dmp_cda::xds::new_uuid_oid();
                e.hash = Some(sha1_hex(&bytes));
                e.size = Some(bytes.len() as u64);
                e
            }
        };
        entries.push((bytes, entry));
    }
    let set = SubmissionSet::for_entry(&entries[0].1, "1.2.250.1.213.4.1.1.1", None);
    let mut w = XdmWriter::new(
        set,
        XdmSender {
            organization: "CH de Test".into(),
            contact: "doc@test.mssante.fr".into(),
            ..Default::default()
        },
    );
    for (bytes, entry) in entries {
        w.add(bytes, entry, "XML");
    }
    w.pack().unwrap()
}

fn nil() -> ProductReference {
    ProductReference::new("SEGUR-TEST-NIL-1").unwrap()
}

fn message_with(build: impl FnOnce(MessageBuilder) -> MessageBuilder) -> Vec<u8> {
    let b = MessageBuilder::new(addr("doc"), nil())
        .to(Recipient::professional(addr("pharma")).unwrap())
        .subject(Subject::xdm("Compte rendu").unwrap())
        .text("Veuillez trouver le document.");
    build(b).build().unwrap().bytes().to_vec()
}

fn patient(birth_name: &str, given: &[&str], sex: &str, date: &str, place: &str) -> Traits {
    Traits::from_data(&TraitsData {
        birth_name: birth_name.into(),
        given_names: given.iter().map(|g| g.to_string()).collect(),
        sex: sex.into(),
        birth_date: date.into(),
        birth_place: Some(place.into()),
        ..Default::default()
    })
    .unwrap()
}

fn pending(port: u16, ca_pem: &str) -> usize {
    let mut s = ImapSession::connect(&imap(port, ca_pem, "pharma")).unwrap();
    let n = s.pending().unwrap().len();
    s.logout().unwrap();
    n
}

fn append(port: u16, ca_pem: &str, messages: &[Vec<u8>]) {
    let mut s = ImapSession::connect(&imap(port, ca_pem, "pharma")).unwrap();
    for m in messages {
        s.append("INBOX", m).unwrap();
    }
    s.logout().unwrap();
}

fn counts(folder: &Path) -> (i64, i64) {
    let raw = rusqlite::Connection::open(folder.join("store.sqlite")).unwrap();
    let m = raw
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    let d = raw
        .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))
        .unwrap();
    (m, d)
}

#[test]
fn child_process_body() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let parts: Vec<&str> = spec.split('|').collect();
    let (mode, port, ca, folder) = (parts[0], parts[1].parse().unwrap(), parts[2], parts[3]);
    let ca_pem = std::fs::read_to_string(ca).unwrap();
    let mut store = SqliteStore::open(Path::new(folder)).unwrap();
    // "abort": killed right after the first commit, before the flag.
    fn abort(_: &segur_store::model::MessageRecord) {
        std::process::abort();
    }
    let options = SyncOptions {
        after_filing: (mode == "abort").then_some(&abort as &dyn Fn(&_)),
        ..Default::default()
    };
    let report = sync(&imap(port, &ca_pem, "pharma"), &mut store, &options).unwrap();
    println!("{}", serde_json::to_string(&report).unwrap());
}

fn spawn(mode: &str, port: u16, ca: &Path, folder: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_body",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            CHILD,
            format!("{mode}|{port}|{}|{}", ca.display(), folder.display()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn child_report(child: std::process::Child) -> SyncReport {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // The harness may print "test child_process_body ... " on the same line.
    let (_, json) = text.split_once("{\"messages\"").unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&format!("{{\"messages\"{}", json.lines().next().unwrap())).unwrap();
    SyncReport {
        messages: v["messages"].as_u64().unwrap() as usize,
        filed_messages: v["filed_messages"].as_u64().unwrap() as usize,
        already_filed: v["already_filed"].as_u64().unwrap() as usize,
        flagged: v["flagged"].as_u64().unwrap() as usize,
        filed_documents: v["filed_documents"].as_u64().unwrap() as usize,
        ..Default::default()
    }
}

#[test]
fn inbox_filed_through_postfix_and_dovecot() {
    let servers = MailServers::start(5_000_000);
    let ca_pem = servers.pki.ca_pem.clone();
    let port = servers.imap_port;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("segur-store");
    let mut store = SqliteStore::open(&folder).unwrap();

    // Local identities: the kit's patient (qualified) and two homonyms (provisional).
    let dominique = store
        .add_patient(&NewPatient {
            traits: patient(
                "PAT-TROIS",
                &["DOMINIQUE", "MARIE-LOUISE"],
                "F",
                "1979-03-28",
                "51215",
            ),
            status: IdentityStatus::Qualifiee,
            ins: Some(Ins::from_parts(KIT_INS, "1.2.250.1.213.1.4.10").unwrap()),
        })
        .unwrap();
    for _ in 0..2 {
        store
            .add_patient(&NewPatient {
                traits: patient("HOMONYME", &["CLAUDE"], "M", "1980-01-15", "75112"),
                status: IdentityStatus::Provisoire,
                ins: None,
            })
            .unwrap();
    }

    // 1. One CDA, sent over SMTP with a read-receipt request.
    let vac = kit("VAC-NOTE_2023.01.xml");
    let one = MessageBuilder::new(addr("doc"), nil())
        .to(Recipient::professional(addr("pharma")).unwrap())
        .subject(Subject::xdm("Note de vaccination").unwrap())
        .text("Veuillez trouver la note de vaccination.")
        .xdm(xdm(std::slice::from_ref(&vac)))
        .request_read_receipt()
        .build()
        .unwrap();
    let mut s = SmtpSession::connect(&smtp(servers.submission_port, &ca_pem, "doc")).unwrap();
    assert!(s.send(&one, None).unwrap().all_accepted());
    s.quit().unwrap();
    assert!(servers.wait_delivered("pharma@test.mssante.fr", 1));

    // 2..6 appended to the mailbox.
    let bio = kit("BIO-TROD_2024.01_Angine.xml");
    let several = message_with(|b| b.xdm(xdm(&[vac.clone(), bio.clone()])));
    let pdf_alone = message_with(|b| {
        b.pdf(
            PdfAttachment::new(
                "CR.pdf",
                b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF\n".to_vec(),
            )
            .unwrap(),
        )
    });
    let malformed = b"From: doc@test.mssante.fr\r\nTo: pharma@test.mssante.fr\r\nSubject: zip\r\nMessage-ID: <bad-zip@test.mssante.fr>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=IHE_XDM.ZIP\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBBQAAAAIAAAAIQBOT1RBWklQ\r\n--b--\r\n".to_vec();
    let homonyms = message_with(|b| b.xdm(xdm(&[homonym_cda()])));
    let wrong_key =
        message_with(|b| b.xdm(xdm(&[vac.clone(), vac.replace(KIT_INS, "279035121518988")])));
    // Traits that disagree with the local identity holding the INS, no INS, a legacy INS-C.
    let kit_id = format!("<id extension=\"{KIT_INS}\" root=\"1.2.250.1.213.1.4.10\"/>");
    let disagreeing = message_with(|b| {
        b.xdm(xdm(&[
            vac.replace("PAT-TROIS", "PAT-QUATRE"),
            vac.replace(&kit_id, ""),
            vac.replace(
                &kit_id,
                "<id extension=\"0123456789012345678901\" root=\"1.2.250.1.213.1.4.2\"/>",
            ),
        ]))
    });
    append(
        port,
        &ca_pem,
        &[
            several,
            pdf_alone,
            malformed.clone(),
            homonyms,
            wrong_key,
            disagreeing,
        ],
    );

    let options = SyncOptions {
        mdn: Some(MdnSettings {
            smtp: smtp(servers.submission_port, &ca_pem, "pharma"),
            reporter: addr("pharma"),
            nil: nil(),
        }),
        ..Default::default()
    };
    let report = sync(&imap(port, &ca_pem, "pharma"), &mut store, &options).unwrap();
    assert_eq!(report.messages, 7, "{report:?}");
    assert_eq!(report.filed_messages, 7);
    assert_eq!(report.flagged, 7);
    // Automatic: the one CDA, the two of "several", the right one of "wrong key".
    assert_eq!(report.filed_documents, 4, "{report:?}");
    // Review: PDF alone, malformed XDM, homonym CDA, wrong-key CDA, and the three of
    // "disagreeing".
    assert_eq!(report.to_review, 7, "{report:?}");
    assert_eq!((report.mdn_sent, report.mdn_not_sent), (1, 0));
    assert_eq!(pending(port, &ca_pem), 0);

    let mut reasons: Vec<ReviewReason> = store
        .reviews(true)
        .unwrap()
        .iter()
        .map(|r| r.reason)
        .collect();
    reasons.sort_by_key(|r| r.as_str());
    assert_eq!(
        reasons,
        vec![
            ReviewReason::InsCOnly,
            ReviewReason::InvalidIns,
            ReviewReason::MalformedXdm,
            ReviewReason::NoIns,
            ReviewReason::NotXdm,
            ReviewReason::SeveralCandidates,
            ReviewReason::TraitsDisagree,
        ]
    );
    // Filed documents are the bytes as sent; the patient link carries the status.
    let filed = store.documents_of(dominique).unwrap();
    assert_eq!(filed.len(), 4);
    assert!(
        filed
            .iter()
            .all(|d| d.link_status == Some(IdentityStatus::Qualifiee))
    );
    assert_eq!(store.document_bytes(filed[0].id).unwrap(), vac.as_bytes());
    assert_eq!(store.document_bytes(filed[2].id).unwrap(), bio.as_bytes());
    // Its XDS entry and the METADATA.XML it came with, as received.
    let entry = store.document_entry(filed[0].id).unwrap().unwrap();
    assert_eq!(entry.mime_type, "text/xml");
    assert_eq!(
        entry.hash.as_deref(),
        Some(sha1_hex(vac.as_bytes()).as_str())
    );
    let metadata =
        String::from_utf8(store.document_metadata(filed[0].id).unwrap().unwrap()).unwrap();
    assert!(metadata.contains("SubmitObjectsRequest") && metadata.contains(&entry.unique_id));
    // Nothing dropped: the malformed package and the PDF are kept, byte for byte.
    let all = store.documents().unwrap();
    assert!(all.iter().any(|d| d.media_type == "application/pdf"));
    let zip = all
        .iter()
        .find(|d| d.media_type == "application/zip")
        .unwrap();
    assert!(
        malformed
            .windows(28)
            .any(|w| w == b"UEsDBBQAAAAIAAAAIQBOT1RBWklQ")
    );
    assert_eq!(zip.size, 21);

    // The MDN reached the sender: processed, about message 1.
    assert!(servers.wait_delivered("doc@test.mssante.fr", 1));
    let mut doc = ImapSession::connect(&imap(port, &ca_pem, "doc")).unwrap();
    let uid = doc.pending().unwrap()[0];
    let mdn = doc.fetch(uid).unwrap().message.unwrap();
    doc.logout().unwrap();
    let Some(Report::Disposition(n)) = &mdn.report else {
        panic!("not an MDN");
    };
    assert_eq!(n.original_message_id.as_ref(), Some(one.message_id()));
    assert!(n.disposition.error.is_none());

    // Synchronising again hands nothing.
    let again = sync(&imap(port, &ca_pem, "pharma"), &mut store, &options).unwrap();
    assert_eq!(again.messages, 0);
    drop(store);

    // 7. Killed between store and flag (and before its MDN): re-delivered, filed once, and its
    // MDN sent then, saying what the first filing decided (a homonym: to review).
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &ca_pem).unwrap();
    let crashed = MessageBuilder::new(addr("doc"), nil())
        .to(Recipient::professional(addr("pharma")).unwrap())
        .subject(Subject::xdm("Compte rendu").unwrap())
        .text("Veuillez trouver le document.")
        .xdm(xdm(&[homonym_cda()]))
        .request_read_receipt()
        .build()
        .unwrap();
    let mut s = SmtpSession::connect(&smtp(servers.submission_port, &ca_pem, "doc")).unwrap();
    assert!(s.send(&crashed, None).unwrap().all_accepted());
    s.quit().unwrap();
    // Seven messages came before this one (1 and 2..6).
    assert!(servers.wait_delivered("pharma@test.mssante.fr", 8));
    let before = counts(&folder);
    let out = spawn("abort", port, &ca, &folder)
        .wait_with_output()
        .unwrap();
    assert!(!out.status.success(), "the child must die after its commit");
    let after_crash = counts(&folder);
    assert_eq!(after_crash, (before.0 + 1, before.1 + 1), "committed");
    assert_eq!(pending(port, &ca_pem), 1, "not flagged");
    let mut store = SqliteStore::open(&folder).unwrap();
    let redelivered = sync(&imap(port, &ca_pem, "pharma"), &mut store, &options).unwrap();
    assert_eq!(
        (
            redelivered.messages,
            redelivered.already_filed,
            redelivered.flagged
        ),
        (1, 1, 1)
    );
    assert_eq!(
        (redelivered.mdn_sent, redelivered.mdn_not_sent),
        (1, 0),
        "{redelivered:?}"
    );
    assert_eq!(counts(&folder), after_crash, "nothing filed twice");
    assert_eq!(pending(port, &ca_pem), 0);
    assert!(servers.wait_delivered("doc@test.mssante.fr", 2));
    let mut doc = ImapSession::connect(&imap(port, &ca_pem, "doc")).unwrap();
    let uids = doc.pending().unwrap();
    let late = doc.fetch(*uids.last().unwrap()).unwrap().message.unwrap();
    doc.logout().unwrap();
    let Some(Report::Disposition(n)) = &late.report else {
        panic!("not an MDN");
    };
    assert_eq!(n.original_message_id.as_ref(), Some(crashed.message_id()));
    assert!(n.disposition.error.is_some(), "{:?}", n.disposition);
    // Synchronising again sends no second MDN.
    let again = sync(&imap(port, &ca_pem, "pharma"), &mut store, &options).unwrap();
    assert_eq!((again.messages, again.mdn_sent), (0, 0));
    drop(store);

    // 8. Two processes syncing the same mailbox at once.
    let batch: Vec<Vec<u8>> = (0..8)
        .map(|_| message_with(|b| b.xdm(xdm(std::slice::from_ref(&vac)))))
        .collect();
    append(port, &ca_pem, &batch);
    let before = counts(&folder);
    let a = spawn("sync", port, &ca, &folder);
    let b = spawn("sync", port, &ca, &folder);
    let (ra, rb) = (child_report(a), child_report(b));
    assert_eq!(ra.filed_messages + rb.filed_messages, 8, "{ra:?} {rb:?}");
    assert_eq!(ra.filed_documents + rb.filed_documents, 8);
    assert_eq!(counts(&folder), (before.0 + 8, before.1 + 8));
    assert_eq!(pending(port, &ca_pem), 0);
    let store = SqliteStore::open(&folder).unwrap();
    assert_eq!(store.check().unwrap(), (before.1 + 8) as usize);
    assert!(matches!(
        store.documents().unwrap().last().unwrap().patient,
        Some(p) if p == dominique
    ));
}
