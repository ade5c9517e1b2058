//! `segur_dmp_cda::read` on arbitrary bytes: never panics; memory bounded by the read limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_dmp_cda::xml::XmlLimits;

fuzz_target!(|data: &[u8]| {
    let limits = XmlLimits { max_bytes: 1 << 20, max_depth: 128, max_nodes: 100_000, ..XmlLimits::default() };
    let _ = segur_dmp_cda::read::read_with(data, &limits);
    let _ = segur_dmp_cda::read::read_header(data, &limits);
});
