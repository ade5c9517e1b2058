//! The registry-response readers of TD2.1 / TD3.3 (ebRS `RegistryResponse`, with every
//! RegistryError) and TD0.3 (`setAuthorizationResponse`), and SOAP fault reading, never panic
//! or hang on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_dmp::response::{ResponseLimits, with_body};

fuzz_target!(|data: &[u8]| {
    let _ = with_body(None, data, ResponseLimits::default(), |e, _| {
        segur_dmp::td33::read_response(e)
    });
    let _ = with_body(None, data, ResponseLimits::default(), |e, _| {
        segur_dmp::td03::read_response(e)
    });
});
