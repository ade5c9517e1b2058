//! What other mail software reads from our messages: RFC 2047 sender names decoded by an
//! independent parser (Python's `email` package), `X-MSS-CODECDA` carrying every CDA type of a
//! multi-document XDM, `X-MSS-INS: N` for a document packed with a local patient id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use segur_dmp_cda::xdm::{PackOptions, XdmSender, XdmWriter, pack_cda};
use segur_dmp_cda::xds::{DeriveOptions, DocumentEntry, PatientIdPolicy, SubmissionSet};
use segur_mssante::compose::{MessageBuilder, ProductReference, Subject, mailbox_header};
use segur_mssante::{MailAddress, Recipient};

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(shared().join("ans-kit/ExemplesCDA").join(name)).unwrap()
}

fn pharma() -> MailAddress {
    MailAddress::parse("pharma@test.mssante.fr").unwrap()
}

fn builder() -> MessageBuilder {
    MessageBuilder::new(pharma(), ProductReference::new("LGO-TEST-1.0").unwrap())
        .to(Recipient::professional(MailAddress::parse("doc@test.mssante.fr").unwrap()).unwrap())
        .subject(Subject::plain("Note").unwrap())
        .text("Bonjour")
}

fn header_block(bytes: &[u8]) -> String {
    let s = String::from_utf8(bytes.to_vec()).unwrap();
    s.split("\r\n\r\n").next().unwrap().to_owned()
}

/// Python's `email` package (stdlib, policy `default`: RFC 5322 + RFC 2047) reads the From
/// header; prints the display name and the address, one per line.
fn python_from(message: &[u8]) -> (String, String) {
    let script = "import sys, email, email.policy\n\
                  m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)\n\
                  a = m['From'].addresses[0]\n\
                  sys.stdout.buffer.write((a.display_name + '\\n' + a.addr_spec + '\\n').encode())\n";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 (Debian python3, installed by scripts/install-deps) is needed");
    child.stdin.take().unwrap().write_all(message).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    (
        lines.next().unwrap().to_owned(),
        lines.next().unwrap().to_owned(),
    )
}

#[test]
fn non_ascii_sender_names_are_encoded_words_outside_quotes() {
    for name in [
        "Pharmacie Hélène",
        "Dr Zoë O'Neil-Łukasiewicz — Pharmacie de l'Œuvre Saint-Étienne, officine n° 3 (Lyon 3ᵉ)",
        "药房 🏥 Lyon",
        "Pharmacie \"du Centre\" \\ Lyon",
        "Pharmacie du Centre",
        " Élise  Martin ",
    ] {
        let m = builder().from_label(name).unwrap().build().unwrap();
        let head = header_block(m.bytes());
        let from = head
            .split("\r\nFrom: ")
            .nth(1)
            .or_else(|| head.strip_prefix("From: "))
            .unwrap();
        // RFC 2047 §5: an encoded-word never appears inside a quoted-string.
        assert!(!from.contains("\"=?"), "{from}");
        assert!(!from.contains("?=\""), "{from}");
        for line in head.lines() {
            assert!(line.len() <= 78, "line of {} bytes: {line}", line.len());
        }
        assert_eq!(
            python_from(m.bytes()),
            (name.to_owned(), "pharma@test.mssante.fr".to_owned()),
            "{from}"
        );
        // Our own reader (mail-parser) agrees.
        let parsed = mail_parser::MessageParser::default()
            .parse(m.bytes())
            .unwrap();
        let f = parsed.from().unwrap().first().unwrap();
        assert_eq!(f.name.as_deref(), Some(name));
    }
    assert_eq!(mailbox_header(None, &pharma()), "<pharma@test.mssante.fr>");
}

fn entry(cda: &[u8], policy: PatientIdPolicy) -> DocumentEntry {
    let doc = segur_dmp_cda::read(cda).unwrap();
    let opts = DeriveOptions {
        patient_id: policy,
        ..DeriveOptions::default()
    };
    DocumentEntry::derive(&doc.header, cda, None, &opts).unwrap()
}

/// ECO.2.4.1: with several CDAs, `X-MSS-CODECDA` carries the type of each.
#[test]
fn codecda_carries_every_cda_of_the_xdm() {
    let note = sample("VAC-NOTE_2023.01.xml");
    let trod = sample("BIO-TROD_2024.01_Angine.xml");
    let first = entry(&note, PatientIdPolicy::RequireIns);
    let set = SubmissionSet::for_entry(&first, "1.2.250.1.999.1", None);
    let mut w = XdmWriter::new(
        set,
        XdmSender {
            organization: "Pharmacie du Centre (FINESS 750000001)".into(),
            contact: "pharma@test.mssante.fr".into(),
            ..XdmSender::default()
        },
    );
    w.add(note.clone(), first, "XML");
    w.add(
        trod.clone(),
        entry(&trod, PatientIdPolicy::RequireIns),
        "XML",
    );
    w.add(
        note.clone(),
        entry(&note, PatientIdPolicy::RequireIns),
        "XML",
    );
    let xdm = w.pack().unwrap();
    let m = builder().xdm(xdm).build().unwrap();
    assert_eq!(m.mss_headers().codecda, ["87273-9", "96173-0"]);
    let head = header_block(m.bytes());
    assert!(
        head.contains("\r\nX-MSS-CODECDA: 87273-9,96173-0\r\n"),
        "{head}"
    );
}

/// A CDA for a non-qualified identity carries no INS: packed with its local patient id, it is
/// sent with `X-MSS-INS: N` (ECO.2.4.2); the qualified sample gives `O`.
#[test]
fn non_qualified_identity_is_sent_with_x_mss_ins_n() {
    let cda = String::from_utf8(sample("VAC-NOTE_2023.01.xml")).unwrap();
    let ins = r#"<id extension="279035121518989" root="1.2.250.1.213.1.4.10"/>"#;
    assert!(cda.contains(ins));
    let local_only = cda.replace(ins, "");
    let mut o = PackOptions {
        source_id: "1.2.250.1.999.1".into(),
        sender: segur_dmp_cda::XdmSender {
            organization: "Pharmacie du Centre (FINESS 750000001)".into(),
            contact: "pharma@test.mssante.fr".into(),
            ..Default::default()
        },
        ..PackOptions::default()
    };
    o.derive.patient_id = PatientIdPolicy::LocalWhenNoIns;
    let (xdm, _) = pack_cda(local_only.as_bytes(), None, &o).unwrap();
    let m = builder().xdm(xdm).build().unwrap();
    assert_eq!(m.mss_headers().ins, Some(false));
    assert!(header_block(m.bytes()).contains("\r\nX-MSS-INS: N\r\n"));
    let (xdm, _) = pack_cda(cda.as_bytes(), None, &o).unwrap();
    let m = builder().xdm(xdm).build().unwrap();
    assert!(header_block(m.bytes()).contains("\r\nX-MSS-INS: O\r\n"));
}

/// A run of non-atom words longer than one encoded-word is cut at a character boundary: a
/// reader that follows RFC 2047 §6.2 (mail-parser) rejoins it exactly.
#[test]
fn long_non_ascii_runs_split_into_several_encoded_words() {
    let name = "Œuvre—Étienne—Zoë—Łukasiewicz—Hélène—Françoise—Ångström";
    let m = builder().from_label(name).unwrap().build().unwrap();
    let head = header_block(m.bytes());
    assert!(head.matches("=?UTF-8?B?").count() >= 2, "{head}");
    for line in head.lines() {
        assert!(line.len() <= 76, "{line}");
    }
    let parsed = mail_parser::MessageParser::default()
        .parse(m.bytes())
        .unwrap();
    assert_eq!(
        parsed.from().unwrap().first().unwrap().name.as_deref(),
        Some(name)
    );
}
