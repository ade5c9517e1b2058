//! The INSi response reader never panics on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = segur_ins::insi::parse_response(data);
});
