//! `segur_mss_send`, `segur_mss_mailbox_*` and `segur_mss_mdn_*` from the C side of the API,
//! against the real Postfix (submission STARTTLS, SASL through Dovecot) and Dovecot (IMAP
//! STARTTLS, XOAUTH2 with a JWT, EXTERNAL with a client certificate) that the segur-mssante
//! tests start (`test-support/src/mail_servers.rs`), with a test CA made at test time.
#![allow(unsafe_code)] // reading the strings and bytes the library returns
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_test_support::mail_servers;
mod support;

use base64::Engine as _;
use mail_servers::{DOMAIN, MailServers, jwt};
use segur::mss_credentials::*;
use segur::mss_mailbox::*;
use segur::mss_mdn::*;
use segur::mssante::*;
use segur::*;
use std::ptr;
use support::{take_bytes, take_string};

/// A token or a PKCS#12 certificate, as the C caller holds them.
enum Credential<'a> {
    Token(String),
    Pkcs12(&'a [u8]),
}

/// A filled `segur_mss_credentials` handle, freed on drop.
struct Creds(*mut segur_mss_credentials);

impl Creds {
    /// The trust anchors `roots` and `cred`, set as a C caller sets them.
    fn new(roots: &str, cred: &Credential<'_>) -> Self {
        let mut c = ptr::null_mut();
        assert_eq!(segur_mss_credentials_new(&mut c), segur_result::Ok);
        let c = Self(c);
        assert_eq!(
            segur_mss_credentials_set_roots_pem(c.0, roots.as_ptr(), roots.len()),
            segur_result::Ok
        );
        let r = match cred {
            Credential::Token(t) => {
                segur_mss_credentials_set_token(c.0, t.as_ptr().cast(), t.len())
            }
            Credential::Pkcs12(p) => segur_mss_credentials_set_pkcs12(
                c.0,
                p.as_ptr(),
                p.len(),
                P12_PASSWORD.as_ptr().cast(),
                P12_PASSWORD.len(),
            ),
        };
        assert_eq!(r, segur_result::Ok);
        c
    }
}

impl Drop for Creds {
    fn drop(&mut self) {
        segur_mss_credentials_free(self.0);
    }
}

const P12_PASSWORD: &str = "segur-test";

fn send(
    port: u16,
    roots: &str,
    cred: &Credential<'_>,
    options: &str,
    xdm: &[u8],
    dsn: bool,
) -> Result<serde_json::Value, segur_result> {
    let conn = format!(r#"{{"host":"localhost","port":{port},"timeout_secs":20,"dsn":{dsn}}}"#);
    let creds = Creds::new(roots, cred);
    let mut out = ptr::null_mut();
    let r = segur_mss_send(
        conn.as_ptr().cast(),
        conn.len(),
        creds.0,
        options.as_ptr().cast(),
        options.len(),
        if xdm.is_empty() {
            ptr::null()
        } else {
            xdm.as_ptr()
        },
        xdm.len(),
        &mut out,
    );
    if r != segur_result::Ok {
        assert!(out.is_null(), "outputs are written only on success");
        return Err(r);
    }
    Ok(serde_json::from_str(&take_string(out)).unwrap())
}

fn open(
    port: u16,
    roots: &str,
    user: &str,
    cred: &Credential<'_>,
) -> Result<*mut segur_mss_mailbox, segur_result> {
    let conn = format!(r#"{{"host":"localhost","port":{port},"user":"{user}","timeout_secs":20}}"#);
    let creds = Creds::new(roots, cred);
    let mut mb = ptr::null_mut();
    // The mailbox keeps what it needs: the credentials are freed right after.
    let r = segur_mss_mailbox_new(conn.as_ptr().cast(), conn.len(), creds.0, &mut mb);
    drop(creds);
    if r == segur_result::Ok {
        assert!(!mb.is_null());
        Ok(mb)
    } else {
        assert!(mb.is_null(), "outputs are written only on success");
        Err(r)
    }
}

fn pending(mb: *mut segur_mss_mailbox) -> serde_json::Value {
    let mut out = ptr::null_mut();
    assert_eq!(segur_mss_mailbox_pending(mb, &mut out), segur_result::Ok);
    serde_json::from_str(&take_string(out)).unwrap()
}

fn uids(mb: *mut segur_mss_mailbox) -> Vec<u32> {
    pending(mb)["uids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u32::try_from(u.as_u64().unwrap()).unwrap())
        .collect()
}

fn fetch(
    mb: *mut segur_mss_mailbox,
    uid: u32,
) -> Result<(Vec<u8>, serde_json::Value), segur_result> {
    let (mut eml, mut eml_len, mut json) = (ptr::null_mut(), 0usize, ptr::null_mut());
    let r = segur_mss_mailbox_fetch(mb, uid, &mut eml, &mut eml_len, &mut json);
    if r != segur_result::Ok {
        assert!(eml.is_null() && json.is_null());
        return Err(r);
    }
    let bytes = take_bytes(eml, eml_len);
    Ok((bytes, serde_json::from_str(&take_string(json)).unwrap()))
}

fn vac_note_xdm() -> (Vec<u8>, Vec<u8>) {
    let cda =
        std::fs::read(mail_servers::shared().join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml"))
            .unwrap();
    let opts = segur_dmp_cda::PackOptions {
        source_id: "1.2.250.1.213.4.1.1.1".into(),
        sender: segur_dmp_cda::XdmSender {
            organization: "Pharmacie du Centre (FINESS 750000001)".into(),
            contact: "pharma@test.mssante.fr".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let xdm = segur_dmp_cda::pack_cda(&cda, None, &opts).unwrap().0;
    (cda, xdm)
}

/// The PKCS#12 of the applicative mailbox `app@test.mssante.fr`, made by the OpenSSL tool from
/// the harness's client certificate (as a certification authority hands it over).
fn client_pkcs12(servers: &MailServers, cert_pem: &str, key_pem: &str) -> Vec<u8> {
    let dir = servers.path();
    std::fs::write(dir.join("client.pem"), cert_pem).unwrap();
    std::fs::write(dir.join("client.key"), key_pem).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["pkcs12", "-export", "-passout"])
        .arg(format!("pass:{P12_PASSWORD}"))
        .arg("-in")
        .arg(dir.join("client.pem"))
        .arg("-inkey")
        .arg(dir.join("client.key"))
        .arg("-out")
        .arg(dir.join("client.p12"))
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl pkcs12: {out:?}");
    std::fs::read(dir.join("client.p12")).unwrap()
}

#[test]
fn send_fetch_acknowledge_through_the_c_entry_points() {
    let servers = MailServers::start(5_000_000);
    let roots = servers.pki.ca_pem.clone();
    let pharma = format!("pharma@{DOMAIN}");
    let doc = format!("doc@{DOMAIN}");
    let (cda, xdm) = vac_note_xdm();
    let expected = segur_mssante::inspect::XdmContents::read(&xdm).unwrap();
    let expected_code = expected.headers[0].type_code.code.clone();
    let expected_ins = segur_mssante::inspect::has_qualified_ins(&expected.headers[0]);

    // Send a VAC-NOTE XDM message with XOAUTH2.
    let options = serde_json::json!({
        "from": pharma,
        "nil": "SEGUR-TEST-NIL-1",
        "to": [doc],
        "subject": "Note de vaccination",
        "xdm_subject": true,
        "text": "Veuillez trouver la note de vaccination.",
        "read_receipt": true,
    })
    .to_string();
    let sent = send(
        servers.submission_port,
        &roots,
        &Credential::Token(jwt(&pharma, 300)),
        &options,
        &xdm,
        true,
    )
    .unwrap();
    assert_eq!(sent["recipients"][0]["status"], "accepted");
    assert_eq!(sent["recipients"][0]["recipient"], doc.as_str());
    assert_eq!(sent["dsn_requested"], true);
    let message_id = sent["message_id"].as_str().unwrap().to_owned();
    assert!(servers.wait_delivered(&doc, 1));

    // Fetch it back with XOAUTH2: bytes, X-MSS headers, the CDA inside the XDM.
    let mb = open(
        servers.imap_port,
        &roots,
        &doc,
        &Credential::Token(jwt(&doc, 300)),
    )
    .unwrap();
    let p = pending(mb);
    assert_eq!(p["mailbox"], "INBOX");
    assert!(p["uid_validity"].as_u64().unwrap() > 0);
    let list = uids(mb);
    assert_eq!(list.len(), 1);
    let (eml, v) = fetch(mb, list[0]).unwrap();
    assert_eq!(v["key"]["uid"], list[0]);
    assert_eq!(v["key"]["uid_validity"], p["uid_validity"]);
    let m = &v["message"];
    assert_eq!(m["message_id"], message_id.as_str());
    assert_eq!(m["x_mss_nil"], "SEGUR-TEST-NIL-1");
    assert_eq!(m["x_mss_codecda"], serde_json::json!([expected_code]));
    assert_eq!(m["x_mss_ins"], if expected_ins { "O" } else { "N" });
    assert_eq!(m["display_subject"], "Note de vaccination");
    assert_eq!(m["disposition_notification_to"], pharma.as_str());
    let attachment = &m["attachments"][0];
    assert_eq!(attachment["kind"], "Xdm");
    let b64 = base64::engine::general_purpose::STANDARD;
    let delivered_xdm = b64
        .decode(attachment["data_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(delivered_xdm, xdm, "the XDM arrives byte for byte");
    let contents = segur_mssante::inspect::XdmContents::read(&delivered_xdm).unwrap();
    assert_eq!(contents.package.cda_documents().next().unwrap().bytes, cda);
    // The raw bytes are the message as stored: the parse JSON agrees with them.
    let mut reparsed = ptr::null_mut();
    assert_eq!(
        segur_mss_parse(eml.as_ptr(), eml.len(), &mut reparsed),
        segur_result::Ok
    );
    let reparsed: serde_json::Value = serde_json::from_str(&take_string(reparsed)).unwrap();
    assert_eq!(&reparsed, m);
    let text = String::from_utf8_lossy(&eml);
    assert!(text.contains("X-MSS-NIL: SEGUR-TEST-NIL-1"));
    assert!(text.contains(&format!("X-MSS-CODECDA: {expected_code}")));

    // Idempotent by UID: pending until marked, then never listed again; marking twice is fine.
    assert_eq!(uids(mb), list, "fetching does not consume");
    assert_eq!(
        segur_mss_mailbox_mark_processed(mb, list[0]),
        segur_result::Ok
    );
    assert_eq!(
        segur_mss_mailbox_mark_processed(mb, list[0]),
        segur_result::Ok
    );
    assert!(uids(mb).is_empty());

    // Acknowledge: doc sends pharma the MDN of integration error 902 (unknown patient).
    let mdn_options = serde_json::json!({
        "reporter": doc,
        "nil": "SEGUR-TEST-NIL-1",
        "error": { "code": 902 },
    })
    .to_string();
    let (mut mdn, mut mdn_len, mut summary) = (ptr::null_mut(), 0usize, ptr::null_mut());
    assert_eq!(
        segur_mss_mdn_build(
            eml.as_ptr(),
            eml.len(),
            mdn_options.as_ptr().cast(),
            mdn_options.len(),
            &mut mdn,
            &mut mdn_len,
            &mut summary,
        ),
        segur_result::Ok
    );
    let mdn = take_bytes(mdn, mdn_len);
    let summary: serde_json::Value = serde_json::from_str(&take_string(summary)).unwrap();
    assert_eq!(summary["to"], serde_json::json!([pharma]));
    assert!(
        summary["subject"]
            .as_str()
            .unwrap()
            .starts_with("[KO Intégration système !][902]")
    );
    assert_eq!(
        summary["disposition"],
        "automatic-action/MDN-sent-automatically; processed/Error: 902^Patient inconnu"
    );
    let mut parsed = ptr::null_mut();
    assert_eq!(
        segur_mss_parse(mdn.as_ptr(), mdn.len(), &mut parsed),
        segur_result::Ok
    );
    let parsed: serde_json::Value = serde_json::from_str(&take_string(parsed)).unwrap();
    assert_eq!(parsed["report"]["original_message_id"], message_id.as_str());
    let conn = format!(
        r#"{{"host":"localhost","port":{},"timeout_secs":20}}"#,
        servers.submission_port
    );
    let creds = Creds::new(&roots, &Credential::Token(jwt(&doc, 300)));
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_mss_mdn_send(
            conn.as_ptr().cast(),
            conn.len(),
            creds.0,
            eml.as_ptr(),
            eml.len(),
            mdn_options.as_ptr().cast(),
            mdn_options.len(),
            &mut out,
        ),
        segur_result::Ok
    );
    let outcome: serde_json::Value = serde_json::from_str(&take_string(out)).unwrap();
    assert_eq!(outcome["recipients"][0]["status"], "accepted");
    // A second MDN for a report is refused (RFC 8098 §2.1): tested below on the MDN itself.
    segur_mss_mailbox_free(mb);

    // pharma receives the DSN (asked by the send) and the MDN, both linked to the message.
    assert!(servers.wait_delivered(&pharma, 2));
    let mb = open(
        servers.imap_port,
        &roots,
        &pharma,
        &Credential::Token(jwt(&pharma, 300)),
    )
    .unwrap();
    let mut saw = (false, false);
    for uid in uids(mb) {
        let (raw, v) = fetch(mb, uid).unwrap();
        let report = &v["message"]["report"];
        assert_eq!(report["original_message_id"], message_id.as_str());
        match report["type"].as_str().unwrap() {
            "mdn" => {
                saw.0 = true;
                assert!(
                    report["disposition"]
                        .as_str()
                        .unwrap()
                        .ends_with("processed/Error: 902^Patient inconnu")
                );
                let mut o = ptr::null_mut();
                let (mut e, mut el) = (ptr::null_mut(), 0usize);
                let pharma_opts = format!(r#"{{"reporter":"{pharma}","nil":"SEGUR-TEST-NIL-1"}}"#);
                assert_eq!(
                    segur_mss_mdn_build(
                        raw.as_ptr(),
                        raw.len(),
                        pharma_opts.as_ptr().cast(),
                        pharma_opts.len(),
                        &mut e,
                        &mut el,
                        &mut o,
                    ),
                    segur_result::MssCompose,
                    "no MDN in answer to a report"
                );
                assert!(e.is_null() && o.is_null());
            }
            "dsn" => {
                saw.1 = true;
                assert_eq!(report["recipients"][0]["final_recipient"], doc.as_str());
            }
            other => panic!("unexpected report {other}"),
        }
        assert_eq!(segur_mss_mailbox_mark_processed(mb, uid), segur_result::Ok);
    }
    assert_eq!(saw, (true, true), "(MDN, DSN)");
    segur_mss_mailbox_free(mb);

    // Applicative mailbox: PKCS#12 client certificate (SMTP by certificate, IMAP EXTERNAL).
    let p12 = client_pkcs12(
        &servers,
        &servers.pki.client_cert_pem,
        &servers.pki.client_key_pem,
    );
    let app = format!("app@{DOMAIN}");
    let options = serde_json::json!({
        "from": app,
        "nil": "SEGUR-TEST-NIL-1",
        "to": [app],
        "subject": "Applicative",
        "text": "by certificate",
    })
    .to_string();
    let sent = send(
        servers.submission_port,
        &roots,
        &Credential::Pkcs12(&p12),
        &options,
        &[],
        false,
    )
    .unwrap();
    assert_eq!(sent["recipients"][0]["status"], "accepted");
    assert!(servers.wait_delivered(&app, 1));
    let mb = open(servers.imap_port, &roots, &app, &Credential::Pkcs12(&p12)).unwrap();
    let list = uids(mb);
    assert_eq!(list.len(), 1);
    let (_, v) = fetch(mb, list[0]).unwrap();
    assert_eq!(v["message"]["message_id"], sent["message_id"]);
    assert_eq!(
        v["message"]["text"].as_str().map(str::trim),
        Some("by certificate")
    );
    // A UID that does not exist is a protocol error and leaves the session usable.
    assert!(fetch(mb, 999_999).is_err());
    assert_eq!(uids(mb), list);
    segur_mss_mailbox_free(mb);

    // Wrong CA: a server certificate from a CA the caller does not trust is refused before
    // any credential is sent, with the unknown-CA result code, for SMTP and for IMAP.
    let rogue = servers.pki.rogue_ca_pem.clone();
    assert_eq!(
        send(
            servers.submission_port,
            &rogue,
            &Credential::Token(jwt(&pharma, 300)),
            &options,
            &[],
            false,
        ),
        Err(segur_result::MssTlsUnknownCa)
    );
    assert_eq!(
        open(
            servers.imap_port,
            &rogue,
            &doc,
            &Credential::Token(jwt(&doc, 300))
        ),
        Err(segur_result::MssTlsUnknownCa)
    );
    // A refused token is an authentication failure, not a TLS one.
    assert_eq!(
        open(
            servers.imap_port,
            &roots,
            &doc,
            &Credential::Token(jwt(&doc, -60))
        ),
        Err(segur_result::MssImapAuthenticationFailed)
    );
    segur_mss_mailbox_free(ptr::null_mut());
}

#[test]
fn mailbox_entry_points_check_their_arguments() {
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_mss_mailbox_pending(ptr::null_mut(), &mut out),
        segur_result::NullParameter
    );
    assert_eq!(
        segur_mss_mailbox_mark_processed(ptr::null_mut(), 1),
        segur_result::NullParameter
    );
    let (mut e, mut el) = (ptr::null_mut(), 0usize);
    assert_eq!(
        segur_mss_mailbox_fetch(ptr::null_mut(), 1, &mut e, &mut el, &mut out),
        segur_result::NullParameter
    );
    let conn = r#"{"host":"localhost","user":"a@b.fr"}"#;
    let mut mb = ptr::null_mut();
    // No credentials handle.
    assert_eq!(
        segur_mss_mailbox_new(conn.as_ptr().cast(), conn.len(), ptr::null(), &mut mb),
        segur_result::NullParameter
    );
    // An empty handle: no trust anchors, no token, no certificate.
    let mut empty = ptr::null_mut();
    assert_eq!(segur_mss_credentials_new(&mut empty), segur_result::Ok);
    assert_eq!(
        segur_mss_mailbox_new(conn.as_ptr().cast(), conn.len(), empty, &mut mb),
        segur_result::InvalidParameter
    );
    // Anchors that are no PEM are refused by the setter, leaving the handle as it was.
    assert_eq!(
        segur_mss_credentials_set_roots_pem(empty, b"x".as_ptr(), 1),
        segur_result::MssCertificate
    );
    let t = "t";
    assert_eq!(
        segur_mss_credentials_set_token(empty, t.as_ptr().cast(), t.len()),
        segur_result::Ok
    );
    assert_eq!(
        segur_mss_mailbox_new(conn.as_ptr().cast(), conn.len(), empty, &mut mb),
        segur_result::InvalidParameter
    );
    let bad = r#"{"host":"localhost","user":"a@b.fr","password":"no"}"#;
    assert_eq!(
        segur_mss_mailbox_new(bad.as_ptr().cast(), bad.len(), empty, &mut mb),
        segur_result::InvalidJson
    );
    segur_mss_credentials_free(empty);
    assert!(mb.is_null());
    // An MDN for a message that asks none.
    let plain = b"From: a@test.mssante.fr\r\nTo: b@test.mssante.fr\r\nSubject: s\r\nMessage-ID: <x1@test.mssante.fr>\r\n\r\nbody\r\n";
    let opts = r#"{"reporter":"b@test.mssante.fr","nil":"REF"}"#;
    assert_eq!(
        segur_mss_mdn_build(
            plain.as_ptr(),
            plain.len(),
            opts.as_ptr().cast(),
            opts.len(),
            &mut e,
            &mut el,
            &mut out,
        ),
        segur_result::MssCompose
    );
    let bad_code = r#"{"reporter":"b@test.mssante.fr","nil":"REF","error":{"code":500}}"#;
    let asks = b"From: a@test.mssante.fr\r\nTo: b@test.mssante.fr\r\nSubject: s\r\nMessage-ID: <x2@test.mssante.fr>\r\nDisposition-Notification-To: a@test.mssante.fr\r\nReturn-Path: <a@test.mssante.fr>\r\n\r\nbody\r\n";
    assert_eq!(
        segur_mss_mdn_build(
            asks.as_ptr(),
            asks.len(),
            bad_code.as_ptr().cast(),
            bad_code.len(),
            &mut e,
            &mut el,
            &mut out,
        ),
        segur_result::MssInvalidHeader
    );
    assert!(e.is_null() && out.is_null());
}
