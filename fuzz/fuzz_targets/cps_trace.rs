//! The card exchange trace reader (`ScriptedTransport::parse_trace`: `> HEX` commands, `< HEX`
//! responses, `< !removed`, `< !reset`, `#` comments), which reads recorded traces from files:
//! never panics on any text; a trace it reads replays through a session. The same text is also
//! read as a typed PIN (`Pin::from_str_checked`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_cps_card::apdu::Command;
use segur_cps_card::pin::Pin;
use segur_cps_card::session::Session;
use segur_cps_card::transport::{Protocol, ScriptedTransport};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Pin::from_str_checked(text);
    let Some(trace) = ScriptedTransport::parse_trace(text) else { return };
    let n = trace.len();
    let mut s = Session::new(ScriptedTransport::new(vec![0x3B, 0x00], Protocol::T0, trace));
    for _ in 0..n.min(16) {
        let _ = s.transmit(&Command::new(0x00, 0xB0, 0x00, 0x00).with_le(256));
    }
});
