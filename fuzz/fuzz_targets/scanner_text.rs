//! Fuzz: keyboard-wedge scanner text normalisation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_eprescription::scanner::{LayoutRepair, ScannerConfig, normalise};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for layout in [
        LayoutRepair::Auto,
        LayoutRepair::None,
        LayoutRepair::QwertyScannerOnAzertyHost,
        LayoutRepair::AzertyScannerOnQwertyHost,
    ] {
        let config = ScannerConfig { layout, prefixes: vec!["]".into()], ..ScannerConfig::default() };
        if let Ok(out) = normalise(text, &config) {
            assert!(out.expose().len() <= 4 * text.len() + 4);
        }
    }
});
