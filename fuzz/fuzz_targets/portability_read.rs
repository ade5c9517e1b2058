//! `portability::read_bytes` on arbitrary bytes (an export or a plain IHE_XDM.ZIP): never
//! panics, memory bounded by the limits; what it accepts holds only documents whose bytes match
//! their entry's size and hash, and a lot read from an export exports again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_dmp_cda::portability::{self, PortabilityLimits};
use segur_dmp_cda::xdm::XdmLimits;

fuzz_target!(|data: &[u8]| {
    let limits = PortabilityLimits {
        lot: XdmLimits {
            max_archive_bytes: 4 << 20,
            max_entries: 64,
            max_entry_bytes: 4 << 20,
            max_total_bytes: 16 << 20,
            ..XdmLimits::default()
        },
        max_lots: 64,
        max_entries: 256,
        max_file_bytes: 1 << 20,
        max_total_bytes: 16 << 20,
        ..PortabilityLimits::default()
    };
    let Ok(read) = portability::read_bytes(data, &limits) else {
        return;
    };
    for lot in &read.lots {
        for d in &lot.documents {
            if let Some(size) = d.entry.size {
                assert_eq!(size, d.bytes.len() as u64, "size not checked");
            }
            if let Some(hash) = &d.entry.hash {
                assert!(
                    hash.eq_ignore_ascii_case(&segur_dmp_cda::xds::sha1_hex(&d.bytes)),
                    "hash not checked"
                );
            }
        }
    }
});
