//! Composing and reading messages without a server: MSSanté header rules, patient addressing,
//! threading, body structure, limits and hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_test_support as support;

use support::mail_servers;

use segur_ins::{
    HighTrustDocument, Identity, Ins, InsAuthority, Matricule, ProvisionalAttributes,
    QualifiedIdentity, Traits, TraitsData,
};
use segur_mssante::compose::{MessageBuilder, MessageId, PdfAttachment, ProductReference, Subject};
use segur_mssante::read::{AttachmentKind, ReceivedMessage};
use segur_mssante::{MailAddress, MssError, PatientAddress, Recipient};

fn qualified() -> QualifiedIdentity {
    let traits = Traits::from_data(&TraitsData {
        birth_name: "ECETINSI".into(),
        given_names: vec!["PIERRE".into()],
        sex: "M".into(),
        birth_date: "2009-07-14".into(),
        birth_place: Some("63220".into()),
        ..TraitsData::default()
    })
    .unwrap();
    let ins = Ins::new(
        Matricule::parse("109076322083489").unwrap(),
        InsAuthority::TestNir,
    );
    let mut id = Identity::provisional(traits.clone(), ProvisionalAttributes::None);
    id.record_insi_retrieval(ins, traits).unwrap();
    id.record_document_check(HighTrustDocument::Passport)
        .unwrap();
    id.qualified().unwrap()
}

fn pharma() -> MailAddress {
    MailAddress::parse("pharma@test.mssante.fr").unwrap()
}

fn doc() -> Recipient {
    Recipient::professional(MailAddress::parse("doc@test.mssante.fr").unwrap()).unwrap()
}

fn nil() -> ProductReference {
    ProductReference::new("LGO-TEST-1.0").unwrap()
}

fn header_lines(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    s.split("\r\n\r\n").next().unwrap().to_owned()
}

#[test]
fn patient_message_with_end_of_conversation() {
    let q = qualified();
    let patient = PatientAddress::of(&q);
    assert_eq!(
        patient.address().as_str(),
        "109076322083489@patient.mssante.fr"
    );
    assert!(!format!("{patient:?}").contains("109076322083489"));
    let m = MessageBuilder::new(pharma(), nil())
        .to(patient)
        .subject(Subject::plain("Votre note de vaccination").unwrap())
        .text("Bonjour")
        .end_of_conversation()
        .build()
        .unwrap();
    let h = header_lines(m.bytes());
    assert!(h.contains("X-MSS-MES: FIN"), "{h}");
    assert!(h.contains("X-MSS-NIL: LGO-TEST-1.0"));
    assert!(h.contains("109076322083489@patient.mssante.fr"));
    assert!(!h.contains("X-MSS-CODECDA") && !h.contains("X-MSS-INS"));
    assert!(!format!("{m:?}").contains("109076322083489"));
    let back = ReceivedMessage::parse(m.bytes()).unwrap();
    assert!(back.mss.end_of_conversation);
    assert_eq!(back.mss.codecda, Vec::<String>::new());
    assert_eq!(back.mss.ins, None);
}

#[test]
fn end_of_conversation_needs_a_patient() {
    let err = MessageBuilder::new(pharma(), nil())
        .to(doc())
        .subject(Subject::plain("s").unwrap())
        .end_of_conversation()
        .build()
        .unwrap_err();
    assert!(matches!(err, MssError::Compose(_)));
}

#[test]
fn headers_come_from_the_cda_in_the_xdm() {
    let cda =
        std::fs::read(mail_servers::shared().join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml"))
            .unwrap();
    let pdf = b"%PDF-1.4\n% test\n".to_vec();
    let (xdm, _) = segur_dmp_cda::pack_cda(
        &cda,
        Some(&pdf),
        &segur_dmp_cda::PackOptions {
            source_id: "1.2.250.1.213.4.1.1.1".into(),
            sender: segur_dmp_cda::XdmSender {
                organization: "Pharmacie du Centre (FINESS 750000001)".into(),
                contact: "pharma@test.mssante.fr".into(),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    let header = segur_dmp_cda::read_header(&cda, &Default::default()).unwrap();
    let m = MessageBuilder::new(pharma(), nil())
        .to(doc())
        .subject(Subject::xdm("VAC-NOTE").unwrap())
        .text("Note")
        .xdm(xdm)
        .pdf(PdfAttachment::new("note.pdf", pdf.clone()).unwrap())
        .build()
        .unwrap();
    let h = header_lines(m.bytes());
    assert!(
        h.contains(&format!("X-MSS-CODECDA: {}", header.type_code.code)),
        "{h}"
    );
    let ins = if segur_mssante::inspect::has_qualified_ins(&header) {
        "O"
    } else {
        "N"
    };
    assert!(h.contains(&format!("X-MSS-INS: {ins}")));
    assert!(h.contains("Subject: XDM/1.0/DDM+VAC-NOTE"));
    let back = ReceivedMessage::parse(m.bytes()).unwrap();
    assert_eq!(back.mss.codecda, vec![header.type_code.code.clone()]);
    assert_eq!(back.attachments.len(), 2);
    assert_eq!(back.xdm().unwrap().name.as_deref(), Some("IHE_XDM.ZIP"));
    assert_eq!(back.attachments[1].kind, AttachmentKind::Pdf);
    assert_eq!(back.attachments[1].data, pdf);
    let contents = segur_mssante::inspect::XdmContents::read(&back.xdm().unwrap().data).unwrap();
    assert_eq!(contents.package.cda_documents().next().unwrap().bytes, cda);
    assert_eq!(contents.pdfs().count(), 1);
}

#[test]
fn bad_attachments_are_refused() {
    let err = MessageBuilder::new(pharma(), nil())
        .to(doc())
        .subject(Subject::plain("s").unwrap())
        .xdm(b"PK\x03\x04 not really a zip".to_vec())
        .build()
        .unwrap_err();
    // The dmp-cda error is carried as itself, and is the error's source.
    assert!(
        matches!(err, MssError::Xdm(segur_dmp_cda::XdmError::Zip(_))),
        "{err:?}"
    );
    assert!(
        std::error::Error::source(&err)
            .is_some_and(|s| s.downcast_ref::<segur_dmp_cda::XdmError>().is_some())
    );
    assert!(matches!(
        PdfAttachment::new("a.pdf", b"<html>".to_vec()),
        Err(MssError::Pdf(_))
    ));
    assert!(PdfAttachment::new("../a.pdf", b"%PDF-1.4".to_vec()).is_err());
}

#[test]
fn threading_and_alternative_body() {
    let parent = MessageId::parse("<p1@test.mssante.fr>").unwrap();
    let grand = MessageId::parse("g0@test.mssante.fr").unwrap();
    let m = MessageBuilder::new(pharma(), nil())
        .to(doc())
        .subject(Subject::plain("Re: s").unwrap())
        .text("texte")
        .html("<p>html</p>")
        .in_reply_to(parent.clone(), std::slice::from_ref(&grand))
        .build()
        .unwrap();
    let back = ReceivedMessage::parse(m.bytes()).unwrap();
    assert_eq!(back.in_reply_to, vec![parent.clone()]);
    assert_eq!(back.references, vec![grand, parent]);
    assert_eq!(back.text.as_deref().map(str::trim), Some("texte"));
    assert_eq!(back.html.as_deref().map(str::trim), Some("<p>html</p>"));
    assert!(header_lines(m.bytes()).contains("multipart/alternative"));
    assert_eq!(back.message_id.as_ref(), Some(m.message_id()));
}

#[test]
fn header_injection_and_size_limit() {
    assert!(matches!(
        Subject::plain("a\r\nBcc: x@evil.fr"),
        Err(MssError::InvalidHeader { .. })
    ));
    assert!(ProductReference::new("a\nb").is_err());
    assert!(MessageId::parse("<a b@c>").is_err());
    let err = MessageBuilder::new(pharma(), nil())
        .to(doc())
        .subject(Subject::plain("s").unwrap())
        .text(&"x".repeat(5000))
        .size_limit(4000)
        .build()
        .unwrap_err();
    assert!(matches!(err, MssError::TooLarge { limit: 4000, .. }));
}

#[test]
fn hostile_input_gives_typed_errors_not_panics() {
    assert!(matches!(
        ReceivedMessage::parse(b""),
        Err(MssError::Malformed { .. })
    ));
    assert!(matches!(
        ReceivedMessage::parse(b"\x00\x01garbage without header"),
        Err(MssError::Malformed { .. })
    ));
    // A corrupt base64 attachment is an error for that message.
    let corrupt = b"From: a@b.fr\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=IHE_XDM.ZIP\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!****\r\n--x--\r\n";
    match ReceivedMessage::parse(corrupt) {
        Err(MssError::Malformed { .. }) | Ok(_) => {}
        Err(e) => panic!("{e:?}"),
    }
    // A report whose notification part is malformed is a typed error.
    let bad_mdn = b"From: a@b.fr\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x\r\nContent-Type: message/disposition-notification\r\n\r\nFinal-Recipient: rfc822;a@b.fr\r\nDisposition: nonsense\r\n--x--\r\n";
    assert!(matches!(
        ReceivedMessage::parse(bad_mdn),
        Err(MssError::MalformedReport { kind: "MDN", .. })
    ));
    // Deterministic mutations of a valid message never panic.
    let valid = MessageBuilder::new(pharma(), nil())
        .to(doc())
        .subject(Subject::plain("s").unwrap())
        .text("hello")
        .html("<b>x</b>")
        .build()
        .unwrap();
    let base = valid.bytes().to_vec();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..2000 {
        let mut m = base.clone();
        for _ in 0..8 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed as usize) % m.len();
            m[i] = (seed >> 32) as u8;
        }
        let _ = ReceivedMessage::parse(&m);
    }
    // Too many parts.
    let mut many = b"From: a@b.fr\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n".to_vec();
    for _ in 0..600 {
        many.extend_from_slice(b"--x\r\nContent-Type: text/plain\r\n\r\nx\r\n");
    }
    many.extend_from_slice(b"--x--\r\n");
    assert!(matches!(
        ReceivedMessage::parse(&many),
        Err(MssError::Malformed {
            reason: "too many MIME parts",
            ..
        })
    ));
}
