//! The DSN reader (`message/delivery-status`, RFC 3464) and the xtext decoder (RFC 3461 §4)
//! never panic on any bytes; what xtext encodes decodes to the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_mssante::compose::MessageId;
use segur_mssante::dsn::{DeliveryReport, xtext_decode, xtext_encode};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = DeliveryReport::parse(data, None) {
        for rc in &r.recipients {
            let _ = (&rc.final_recipient, &rc.status, rc.action);
        }
    }
    let returned = MessageId::parse("returned@segur.invalid").ok();
    let _ = DeliveryReport::parse(data, returned);
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = xtext_decode(text);
    assert_eq!(xtext_decode(&xtext_encode(text)).as_deref(), Some(text));
});
