//! Every seed and every regression of the segur-mssante fuzz targets (`fuzz/seeds/<target>/`,
//! `fuzz/regressions/<target>/`) replayed through the same calls and checks as the target, on
//! each test run and without a nightly toolchain: a crash that `scripts/fuzz-campaign` stores
//! under `fuzz/regressions/` is a failing test here until it is fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure is a test failure.

use segur_mssante::compose::{MessageId, PdfAttachment, display_subject};
use segur_mssante::dsn::{DeliveryReport, xtext_decode, xtext_encode};
use segur_mssante::mdn::{Disposition, DispositionNotification};
use segur_mssante::read::{ReadLimits, ReceivedMessage};
use segur_mssante::view::parse_x_mss_ins_flag;
use segur_mssante::{MailAddress, ProductReference, Subject};

use segur_test_support::fuzz_inputs as inputs;

/// `fuzz_targets/mime_read.rs`; whether the message read.
fn mime_read(data: &[u8]) -> bool {
    let limits = ReadLimits {
        max_message_bytes: 1 << 20,
        max_parts: 256,
    };
    let Ok(m) = ReceivedMessage::parse_with(data, &limits) else {
        return false;
    };
    if let Some(x) = m.xdm() {
        let _ = segur_mssante::inspect::XdmContents::read(&x.data);
    }
    let _ = m.display_subject();
    true
}

/// `fuzz_targets/mss_mdn.rs`; whether the notification read.
fn mss_mdn(data: &[u8]) -> bool {
    let read = DispositionNotification::parse(data);
    if let Ok(n) = &read {
        let again = Disposition::parse(&n.disposition.to_field());
        assert_eq!(again.as_ref().ok(), Some(&n.disposition), "{again:?}");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        for line in text.lines() {
            let value = line.split_once(':').map_or(line, |(_, v)| v);
            if let Ok(d) = Disposition::parse(value) {
                let again = Disposition::parse(&d.to_field());
                assert_eq!(again.as_ref().ok(), Some(&d), "{again:?}");
            }
        }
    }
    read.is_ok()
}

/// `fuzz_targets/mss_dsn.rs`; whether the report read.
fn mss_dsn(data: &[u8]) -> bool {
    let read = DeliveryReport::parse(data, None);
    if let Ok(r) = &read {
        for rc in &r.recipients {
            let _ = (&rc.final_recipient, &rc.status, rc.action);
        }
    }
    let returned = MessageId::parse("returned@segur.invalid").ok();
    let _ = DeliveryReport::parse(data, returned);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = xtext_decode(text);
        assert_eq!(xtext_decode(&xtext_encode(text)).as_deref(), Some(text));
    }
    read.is_ok()
}

/// `fuzz_targets/mss_fields.rs`.
fn mss_fields(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = MailAddress::parse(text) {
        let again = MailAddress::parse(a.as_str()).expect("an address parses from its own text");
        assert!(again == a);
        let _ = (a.domain(), a.is_patient());
    }
    if let Ok(id) = MessageId::parse(text) {
        let again = MessageId::parse(id.as_str()).expect("a Message-ID parses from its own text");
        assert!(again == id);
    }
    for s in [Subject::plain(text), Subject::xdm(text)]
        .into_iter()
        .flatten()
    {
        let _ = (s.as_str(), s.display());
    }
    let _ = display_subject(text);
    if let Ok(p) = ProductReference::new(text) {
        assert!(ProductReference::new(p.as_str()).is_ok());
    }
    let _ = parse_x_mss_ins_flag(text);
    let _ = PdfAttachment::new(text, b"%PDF-1.4\n%%EOF\n".to_vec());
}

#[test]
fn mime_read_inputs() {
    let mut read = 0;
    for (name, data) in inputs("mime_read", 5) {
        eprintln!("{name}");
        read += usize::from(mime_read(&data));
    }
    assert!(read >= 3, "{read} messages read");
}

#[test]
fn mss_mdn_inputs() {
    let mut read = 0;
    for (name, data) in inputs("mss_mdn", 5) {
        eprintln!("{name}");
        read += usize::from(mss_mdn(&data));
    }
    assert!(read >= 3, "{read} notifications read");
}

#[test]
fn mss_dsn_inputs() {
    let mut read = 0;
    for (name, data) in inputs("mss_dsn", 5) {
        eprintln!("{name}");
        read += usize::from(mss_dsn(&data));
    }
    assert!(read >= 3, "{read} reports read");
}

#[test]
fn mss_fields_inputs() {
    for (name, data) in inputs("mss_fields", 5) {
        eprintln!("{name}");
        mss_fields(&data);
    }
}

/// mail-parser 0.11 panics on this nesting of `message/rfc822` parts; `ReceivedMessage::parse`
/// refuses it as malformed. The `mime_read` fuzz target lets that caught panic unwind (its
/// hook aborts on any panic raised outside mail-parser), so the input is replayed there too.
#[test]
fn mail_parser_panic_is_a_malformed_message() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions/mime_read/crash-62fb2e9ca101a73f");
    let data = std::fs::read(&path).unwrap();
    assert!(matches!(
        ReceivedMessage::parse(&data),
        Err(segur_mssante::MssError::Malformed { .. })
    ));
}
