//! Fuzz: 2D-Doc (C40 and binary) and INS Data Matrix parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_eprescription::ins_datamatrix::InsDatamatrix;
use segur_eprescription::twoddoc::{self, verify::TrustStore};

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = twoddoc::parse(data) {
        assert!(doc.signed_data().len() <= data.len());
        let _ = twoddoc::verify::verify(&doc, &TrustStore::new());
    }
    if let Ok(ins) = InsDatamatrix::parse(data) {
        // What parses must rebuild to a payload that parses to the same value.
        assert_eq!(InsDatamatrix::parse(ins.to_payload().as_bytes()).ok(), Some(ins));
    }
});
