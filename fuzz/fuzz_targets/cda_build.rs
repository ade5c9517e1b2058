//! `segur_dmp_cda::build::DocumentInput` from arbitrary JSON, then `build`: never panics; a
//! document that builds reads back (header) without error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_dmp_cda::build::DocumentInput;
use segur_dmp_cda::xml::XmlLimits;

fuzz_target!(|data: &[u8]| {
    if data.len() > 1 << 16 {
        return;
    }
    let Ok(input) = serde_json::from_slice::<DocumentInput>(data) else {
        return;
    };
    if let Ok(xml) = input.build() {
        let limits = XmlLimits { max_bytes: 1 << 22, max_depth: 128, max_nodes: 1_000_000, ..XmlLimits::default() };
        if let Err(e) = segur_dmp_cda::read::read_header(xml.as_bytes(), &limits) {
            panic!("a built document does not read back: {e}");
        }
    }
});
