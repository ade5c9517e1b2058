//! Name normalisation never panics and is idempotent; traits deserialisation never panics and
//! what it accepts serialises back to the same traits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_ins::normalize::{NameKind, normalize};
use segur_ins::Traits;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    for kind in [NameKind::BirthName, NameKind::GivenName] {
        if let Ok(n) = normalize(s, kind) {
            assert_eq!(normalize(&n, kind).as_deref(), Ok(n.as_str()));
        }
    }
    if let Ok(t) = serde_json::from_str::<Traits>(s) {
        let json = serde_json::to_string(&t).expect("serialise");
        let back: Traits = serde_json::from_str(&json).expect("round trip");
        // The serde form holds the normalised values only (the text as entered, which `==`
        // also compares, is not serialised): what is written reads back to the same values.
        assert_eq!(serde_json::to_string(&back).expect("serialise"), json);
    }
});
