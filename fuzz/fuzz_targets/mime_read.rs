//! `segur_mssante::ReceivedMessage::parse` on arbitrary bytes (MIME, MSSanté headers, MDN and
//! DSN reports, attachments): never panics; the XDM attachment, when present, goes through the
//! XDM reader too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_mssante::read::{ReadLimits, ReceivedMessage};

fuzz_target!(|data: &[u8]| {
    let limits = ReadLimits {
        max_message_bytes: 1 << 20,
        max_parts: 256,
    };
    if let Ok(m) = ReceivedMessage::parse_with(data, &limits) {
        if let Some(x) = m.xdm() {
            let _ = segur_mssante::inspect::XdmContents::read(&x.data);
        }
        let _ = m.display_subject();
    }
});
