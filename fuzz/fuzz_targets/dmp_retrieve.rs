//! The TD3.2 retrieve reader (MTOM package, `xop:Include` resolution, inline base64) never
//! panics or hangs on any bytes. The first line of the input is the HTTP Content-Type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_dmp::response::{ResponseLimits, with_body};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n');
    let (ct, body) = match split.and_then(|i| Some((data.get(..i)?, data.get(i + 1..)?))) {
        Some((line, rest)) => (std::str::from_utf8(line).ok(), rest),
        None => (None, data),
    };
    let mut limits = ResponseLimits::default();
    limits.mtom.max_parts = 8;
    let _ = with_body(ct, body, limits, |e, p| segur_dmp::td32::read_response(e, p));
});
