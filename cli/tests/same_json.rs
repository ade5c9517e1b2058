//! The CLI and the C API print the same JSON for the same input, view by view: the compose
//! summary (`segur mss eml` / `segur_mss_compose`), the received message with its MDN or DSN
//! report (`segur mss read` / `segur_mss_parse`), the submission outcome (`segur mss send` /
//! `segur_mss_send`, against the real Postfix + Dovecot of segur-test-support), and the card
//! views (`segur card list` /
//! `segur_card_list`, `segur card info` / `segur_cps_card_info`) through a real pcscd with the
//! vpcd driver and a virtual CPS3 (the harness of segur-cps-card's tests; needs root and pcscd
//! + vsmartcard-vpcd, installed by scripts/install-deps).
#![allow(unsafe_code)] // reading the strings and bytes the C API returns
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

#[path = "../../cps-card/tests/common/mod.rs"]
mod common;
use segur_test_support::mail_servers;

use segur::cards::*;
use segur::cda::*;
use segur::mss_credentials::*;
use segur::mss_mdn::*;
use segur::mssante::*;
use segur::*;
use serde_json::Value;
use std::ffi::{CStr, c_char};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::ptr;

fn take(p: *mut c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: a NUL-terminated string returned by the library, freed right after.
    let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    segur_string_free(p);
    s
}

fn take_bytes(p: *mut u8, len: usize) -> Vec<u8> {
    assert!(!p.is_null());
    // SAFETY: `len` bytes returned by the library, freed right after.
    let v = unsafe { std::slice::from_raw_parts(p, len) }.to_vec();
    segur_bytes_free(p, len);
    v
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// Runs the `segur` binary; returns its standard output, failing on a non-zero exit.
fn cli(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "segur {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("segur-same-json-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The vaccination-note example: its qualified patient identity and its IHE_XDM.ZIP.
fn vaccination_note() -> (Value, Vec<u8>) {
    let ty = "vaccination-note";
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_cda_example(ty.as_ptr().cast(), ty.len(), &mut out),
        segur_result::Ok
    );
    let input = take(out);
    let identity = json(&input)["header"]["patient"]["identity"].clone();
    assert_eq!(
        segur_cda_build(input.as_ptr().cast(), input.len(), &mut out),
        segur_result::Ok
    );
    let cda = take(out);
    let opts = r#"{"source_id":"1.2.250.1.213.4.1.1.1","sender":{"organization":"Pharmacie de test","contact":"pharma@pharmacie-test.mssante.fr"}}"#;
    let (mut z, mut n) = (ptr::null_mut(), 0usize);
    assert_eq!(
        segur_xdm_pack(
            cda.as_ptr(),
            cda.len(),
            ptr::null(),
            0,
            opts.as_ptr().cast(),
            opts.len(),
            &mut z,
            &mut n,
        ),
        segur_result::Ok
    );
    (identity, take_bytes(z, n))
}

/// `segur_mss_compose`: the message bytes and the summary JSON text.
fn ffi_compose(options: &Value, xdm: &[u8]) -> (Vec<u8>, String) {
    let o = options.to_string();
    let (mut e, mut n, mut j) = (ptr::null_mut(), 0usize, ptr::null_mut());
    assert_eq!(
        segur_mss_compose(
            o.as_ptr().cast(),
            o.len(),
            xdm.as_ptr(),
            xdm.len(),
            &mut e,
            &mut n,
            &mut j
        ),
        segur_result::Ok
    );
    (take_bytes(e, n), take(j))
}

/// `segur_mss_parse`: the JSON text.
fn ffi_parse(eml: &[u8]) -> String {
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_mss_parse(eml.as_ptr(), eml.len(), &mut out),
        segur_result::Ok
    );
    take(out)
}

/// `segur mss read FILE` and `segur_mss_parse` agree byte for byte on `eml`.
fn same_received_view(dir: &Path, name: &str, eml: &[u8]) -> Value {
    let file = dir.join(name);
    std::fs::write(&file, eml).unwrap();
    let from_cli = cli(&["mss", "read", path(&file)]);
    let from_ffi = ffi_parse(eml);
    assert_eq!(from_cli.trim_end(), from_ffi, "{name}");
    json(&from_ffi)
}

#[test]
fn compose_summary_and_received_message_are_the_same_json() {
    let dir = temp_dir("mss");
    let (identity, xdm) = vaccination_note();
    let identity_file = dir.join("patient.json");
    std::fs::write(&identity_file, identity.to_string()).unwrap();
    let xdm_file = dir.join("IHE_XDM.ZIP");
    std::fs::write(&xdm_file, &xdm).unwrap();
    let eml_file = dir.join("note.eml");

    let from_cli = cli(&[
        "mss",
        "eml",
        "--from",
        "pharmacie.centre@pharma.mssante.fr",
        "--from-label",
        "Pharmacie du Centre",
        "--to",
        "dr.martin@medecin.mssante.fr",
        "--cc",
        "secretariat@medecin.mssante.fr",
        "--patient-identity",
        path(&identity_file),
        "--subject",
        "Note de vaccination",
        "--xdm-subject",
        "--text",
        "Veuillez trouver la note de vaccination.",
        "--xdm",
        path(&xdm_file),
        "--nil",
        "REF-CONVERGENCE-1",
        "--read-receipt",
        "--end-of-conversation",
        "--in-reply-to",
        "<parent-1@medecin.mssante.fr>",
        "--message-id",
        "<same-json-1@pharma.mssante.fr>",
        "--date",
        "1732245600",
        "--out",
        path(&eml_file),
    ]);
    let options = serde_json::json!({
        "from": "pharmacie.centre@pharma.mssante.fr",
        "from_label": "Pharmacie du Centre",
        "to": ["dr.martin@medecin.mssante.fr"],
        "cc": ["secretariat@medecin.mssante.fr"],
        "patients": [identity],
        "subject": "Note de vaccination",
        "xdm_subject": true,
        "text": "Veuillez trouver la note de vaccination.",
        "nil": "REF-CONVERGENCE-1",
        "read_receipt": true,
        "end_of_conversation": true,
        "in_reply_to": "<parent-1@medecin.mssante.fr>",
        "message_id": "<same-json-1@pharma.mssante.fr>",
        "date": 1732245600,
    });
    let (eml, from_ffi) = ffi_compose(&options, &xdm);
    let cli_eml = std::fs::read(&eml_file).unwrap();
    let (s_cli, s_ffi) = (json(&from_cli), json(&from_ffi));
    // The MIME boundaries are random, so the two messages differ in those bytes only: the
    // summaries agree on everything but `bytes`, which is each message's own length.
    assert_eq!(s_cli["bytes"], cli_eml.len());
    assert_eq!(s_ffi["bytes"], eml.len());
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("bytes");
        v
    };
    assert_eq!(strip(s_cli.clone()), strip(s_ffi.clone()));
    // The union of what the two printed before: from and recipients included.
    assert_eq!(s_ffi["from"], "pharmacie.centre@pharma.mssante.fr");
    assert_eq!(
        s_ffi["recipients"],
        serde_json::json!([
            "dr.martin@medecin.mssante.fr",
            "279035121518989@patient.mssante.fr",
            "secretariat@medecin.mssante.fr"
        ])
    );
    assert_eq!(s_ffi["x_mss_codecda"], serde_json::json!(["87273-9"]));
    assert_eq!(s_ffi["x_mss_ins"], "O");
    assert_eq!(s_ffi["x_mss_mes_fin"], true);
    assert_eq!(s_ffi["read_receipt"], true);
    let keys: Vec<&str> = s_ffi
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "message_id",
        "bytes",
        "from",
        "recipients",
        "x_mss_nil",
        "x_mss_codecda",
        "x_mss_ins",
        "x_mss_mes_fin",
        "read_receipt",
    ];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);

    // The received view, byte for byte, of both messages: an XDM attachment in base64.
    let r = same_received_view(&dir, "cli.eml", &cli_eml);
    assert_eq!(r["attachments"][0]["kind"], "Xdm");
    assert_eq!(r["report"], Value::Null);
    same_received_view(&dir, "ffi.eml", &eml);

    // An MDN answering it: the `mdn` report view.
    // No Return-Path yet (never submitted): the user confirmed the MDN (RFC 8098 §2.1).
    let mdn_options =
        r#"{"reporter":"dr.martin@medecin.mssante.fr","nil":"REF-2","confirmed_by_user":true}"#;
    let (mut e, mut n, mut j) = (ptr::null_mut(), 0usize, ptr::null_mut());
    assert_eq!(
        segur_mss_mdn_build(
            eml.as_ptr(),
            eml.len(),
            mdn_options.as_ptr().cast(),
            mdn_options.len(),
            &mut e,
            &mut n,
            &mut j
        ),
        segur_result::Ok
    );
    take(j);
    let mdn = take_bytes(e, n);
    let r = same_received_view(&dir, "mdn.eml", &mdn);
    assert_eq!(r["report"]["type"], "mdn");
    assert_eq!(
        r["report"]["original_message_id"],
        "same-json-1@pharma.mssante.fr"
    );

    // A DSN (RFC 3464) for it: the `dsn` report view, one entry per recipient.
    let dsn = b"From: MAILER-DAEMON@pharma.mssante.fr\r\n\
To: pharmacie.centre@pharma.mssante.fr\r\n\
Subject: Delivery Status Notification\r\n\
Message-ID: <dsn-1@pharma.mssante.fr>\r\n\
Date: Fri, 22 Nov 2024 03:20:00 +0000\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain\r\n\
\r\n\
Delivered.\r\n\
--b1\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; smtp.pharma.mssante.fr\r\n\
\r\n\
Final-Recipient: rfc822; dr.martin@medecin.mssante.fr\r\n\
Action: delivered\r\n\
Status: 2.0.0\r\n\
\r\n\
--b1\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
Message-ID: <same-json-1@pharma.mssante.fr>\r\n\
\r\n\
--b1--\r\n";
    let r = same_received_view(&dir, "dsn.eml", dsn);
    assert_eq!(r["report"]["type"], "dsn", "{r}");
    assert_eq!(
        r["report"]["recipients"][0]["final_recipient"],
        "dr.martin@medecin.mssante.fr"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn card_list_and_info_are_the_same_json_through_pcscd() {
    use common::vcard::Kind;
    use common::{Pcscd, PluggedCard, READER0};
    let _pcscd = Pcscd::start();
    let _plugged = PluggedCard::insert(Kind::Cps3, 35963);
    // Wait until pcscd shows the card, then compare the two lists.
    let start = std::time::Instant::now();
    let (from_cli, from_ffi) = loop {
        let mut out = ptr::null_mut();
        assert_eq!(segur_card_list(&mut out), segur_result::Ok);
        let from_ffi = json(&take(out));
        let present = from_ffi
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["reader"] == READER0 && r["card_present"] == true);
        if present {
            break (json(&cli(&["card", "list", "--json"])), from_ffi);
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(15),
            "no card in {READER0}: {from_ffi}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(from_cli, from_ffi);
    let r0 = from_ffi
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reader"] == READER0)
        .unwrap();
    assert_eq!(r0["card"], "cps3");

    // `segur card info` is the C API's CPS view with the reader, ATR and protocol around it.
    let mut info_cli = json(&cli(&["card", "info", "--reader", READER0, "--json"]));
    let mut card = ptr::null_mut();
    assert_eq!(
        segur_cps_card_open(READER0.as_ptr().cast(), READER0.len(), &mut card),
        segur_result::Ok
    );
    let mut out = ptr::null_mut();
    assert_eq!(segur_cps_card_info(card, &mut out), segur_result::Ok);
    segur_cps_card_free(card);
    let info_ffi = json(&take(out));
    let o = info_cli.as_object_mut().unwrap();
    assert_eq!(o.remove("reader").unwrap(), READER0);
    assert_eq!(o.remove("atr").unwrap(), r0["atr"]);
    assert!(o.remove("protocol").unwrap().is_string());
    assert_eq!(info_cli, info_ffi);
    assert_eq!(info_ffi["card"], "cps3");
    assert_eq!(info_ffi["serial"], "0123456789");
    assert!(info_ffi["pin"]["tries_left"].is_u64(), "{info_ffi}");
    assert!(
        info_ffi["certificates"]["authentication"]["subject"].is_string(),
        "{info_ffi}"
    );
}

#[test]
fn send_outcome_is_the_same_json_through_postfix() {
    use mail_servers::{DOMAIN, MailServers, jwt};
    let servers = MailServers::start(5_000_000);
    let dir = temp_dir("send");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &servers.pki.ca_pem).unwrap();
    let pharma = format!("pharma@{DOMAIN}");
    let doc = format!("doc@{DOMAIN}");
    let token = jwt(&pharma, 300);
    let smtp = format!("localhost:{}", servers.submission_port);
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .env("SEGUR_MSS_TOKEN", &token)
        .args([
            "mss",
            "send",
            "--ca",
            path(&ca),
            "--smtp",
            &smtp,
            "--from",
            &pharma,
            "--to",
            &doc,
            "--cc",
            &pharma,
            "--subject",
            "Envoi",
            "--text",
            "Texte",
            "--nil",
            "SEGUR-TEST-NIL-1",
            "--message-id",
            "<same-json-send@test.mssante.fr>",
            "--date",
            "1732245600",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "segur mss send: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_cli = String::from_utf8(out.stdout).unwrap();

    let mut creds = ptr::null_mut();
    assert_eq!(segur_mss_credentials_new(&mut creds), segur_result::Ok);
    let roots = &servers.pki.ca_pem;
    assert_eq!(
        segur_mss_credentials_set_roots_pem(creds, roots.as_ptr(), roots.len()),
        segur_result::Ok
    );
    assert_eq!(
        segur_mss_credentials_set_token(creds, token.as_ptr().cast(), token.len()),
        segur_result::Ok
    );
    let conn = format!(
        r#"{{"host":"localhost","port":{},"timeout_secs":20}}"#,
        servers.submission_port
    );
    let options = serde_json::json!({
        "from": pharma,
        "to": [doc],
        "cc": [pharma],
        "subject": "Envoi",
        "text": "Texte",
        "nil": "SEGUR-TEST-NIL-1",
        "message_id": "<same-json-send@test.mssante.fr>",
        "date": 1732245600,
    })
    .to_string();
    let mut j = ptr::null_mut();
    assert_eq!(
        segur_mss_send(
            conn.as_ptr().cast(),
            conn.len(),
            creds,
            options.as_ptr().cast(),
            options.len(),
            ptr::null(),
            0,
            &mut j
        ),
        segur_result::Ok
    );
    segur_mss_credentials_free(creds);
    let from_ffi = take(j);
    assert_eq!(from_cli.trim_end(), from_ffi);
    let v = json(&from_ffi);
    assert_eq!(v["message_id"], "same-json-send@test.mssante.fr");
    assert_eq!(v["recipients"][0]["recipient"], doc.as_str());
    assert_eq!(v["recipients"][0]["status"], "accepted");
    assert_eq!(v["recipients"][1]["recipient"], pharma.as_str());
    assert!(servers.wait_delivered(&doc, 2));
    let _ = std::fs::remove_dir_all(&dir);
}
