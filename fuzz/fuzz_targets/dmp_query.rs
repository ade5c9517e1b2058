//! The TD3.1 stored-query result reader (`AdhocQueryResponse`, LeafClass entries) and the
//! metadata-update writer fed from an entry never panic or hang on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_dmp::response::{ResponseLimits, with_body};

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = with_body(None, data, ResponseLimits::default(), |e, _| {
        segur_dmp::td31::read_response(e)
    }) {
        for e in &entries {
            let _ = serde_json::to_string(e);
        }
    }
});
