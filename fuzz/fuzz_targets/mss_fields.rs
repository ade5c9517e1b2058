//! The MSSanté field readers a message or a caller hands over (`segur mss` options, received
//! headers): addresses, Message-IDs, subjects, `X-MSS-NIL`, `X-MSS-INS`, PDF file names. Never
//! panic; what parses is stable when parsed again from its text form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_mssante::compose::{MessageId, PdfAttachment, display_subject};
use segur_mssante::view::parse_x_mss_ins_flag;
use segur_mssante::{MailAddress, ProductReference, Subject};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(a) = MailAddress::parse(text) {
        let again = MailAddress::parse(a.as_str()).expect("an address parses from its own text");
        assert!(again == a);
        let _ = (a.domain(), a.is_patient());
    }
    if let Ok(id) = MessageId::parse(text) {
        let again = MessageId::parse(id.as_str()).expect("a Message-ID parses from its own text");
        assert!(again == id);
    }
    for s in [Subject::plain(text), Subject::xdm(text)].into_iter().flatten() {
        let _ = (s.as_str(), s.display());
    }
    let _ = display_subject(text);
    if let Ok(p) = ProductReference::new(text) {
        assert!(ProductReference::new(p.as_str()).is_ok());
    }
    let _ = parse_x_mss_ins_flag(text);
    let _ = PdfAttachment::new(text, b"%PDF-1.4\n%%EOF\n".to_vec());
});
