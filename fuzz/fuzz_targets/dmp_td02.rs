//! The TD0.2 existence-test reader (HL7 v3 `PRPA_IN201308UV02` in SOAP 1.2) never panics or
//! hangs on any bytes: a state, a typed refusal or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_dmp::response::{ResponseLimits, with_body};

fuzz_target!(|data: &[u8]| {
    let _ = with_body(None, data, ResponseLimits::default(), |e, _| {
        segur_dmp::td02::read_response(e)
    });
});
