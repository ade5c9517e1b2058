//! `segur_dmp_cda::ebrim::read` (the METADATA.XML of an XDM package, ebRIM 3.0) on arbitrary
//! bytes: never panics or hangs; memory bounded by the XML limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_dmp_cda::xml::XmlLimits;

fuzz_target!(|data: &[u8]| {
    let limits = XmlLimits {
        max_bytes: 1 << 20,
        max_depth: 64,
        max_nodes: 100_000,
        ..XmlLimits::default()
    };
    if let Ok(submission) = segur_dmp_cda::ebrim::read(data, &limits) {
        for d in &submission.documents {
            let _ = (d.uri.as_deref(), d.hash.as_deref(), &d.unique_id);
        }
    }
});
