//! `segur_mssante::ReceivedMessage::parse` on arbitrary bytes (MIME, MSSanté headers, MDN and
//! DSN reports, attachments): never panics; the XDM attachment, when present, goes through the
//! XDM reader too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_mssante::read::{ReadLimits, ReceivedMessage};

/// mail-parser 0.11 panics on some nestings of `message/rfc822` parts; `parse_with` catches
/// that panic and refuses the message as malformed (documented there). libfuzzer-sys's panic
/// hook would still abort on the caught panic, so the hook lets a panic raised inside
/// mail-parser's own source unwind to that `catch_unwind`, and aborts on every other panic as
/// before: a panic in the SDK's code is still a crash.
fn tolerate_caught_mail_parser_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let aborting = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_mail_parser = info
                .location()
                .is_some_and(|l| l.file().contains("mail-parser"));
            if !in_mail_parser {
                aborting(info);
            }
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    tolerate_caught_mail_parser_panics();
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
