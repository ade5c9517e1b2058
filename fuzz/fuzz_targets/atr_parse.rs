//! ATR parser (ISO/IEC 7816-3) and historical bytes: never panics, errors are typed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_cps_card::atr::{self, Atr};

fuzz_target!(|data: &[u8]| {
    let _ = atr::identify(data);
    if let Ok(a) = Atr::parse(data) {
        assert!(a.historical_bytes().len() <= 15);
        let _ = a.protocols().count();
        if let Ok(h) = a.historical() {
            let _ = (h.supports_chaining(), h.supports_extended_length());
        }
    }
});
