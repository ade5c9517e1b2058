//! `XdmPackage::unpack` on arbitrary bytes: never panics; memory bounded by the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_dmp_cda::xdm::{XdmLimits, XdmPackage};

fuzz_target!(|data: &[u8]| {
    let limits = XdmLimits {
        max_archive_bytes: 4 << 20,
        max_entries: 64,
        max_entry_bytes: 4 << 20,
        max_total_bytes: 16 << 20,
        ..XdmLimits::default()
    };
    let _ = XdmPackage::unpack(data, &limits);
    let _ = segur_dmp_cda::ebrim::read(data, &limits.xml);
});
