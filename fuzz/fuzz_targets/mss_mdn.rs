//! The MDN reader (`message/disposition-notification`, RFC 8098, ANS IG struct-msg-mdn): the
//! body parser and the `Disposition` field parser never panic on any bytes, and a disposition
//! that parses is written back to a field that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_mssante::mdn::{Disposition, DispositionNotification};

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = DispositionNotification::parse(data) {
        let again = Disposition::parse(&n.disposition.to_field());
        assert_eq!(again.as_ref().ok(), Some(&n.disposition), "{again:?}");
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    for line in text.lines() {
        let value = line.split_once(':').map_or(line, |(_, v)| v);
        if let Ok(d) = Disposition::parse(value) {
            let again = Disposition::parse(&d.to_field());
            assert_eq!(again.as_ref().ok(), Some(&d), "{again:?}");
        }
    }
});
