//! `segur_dmp_cda::pack_cda` (what `segur xdm pack` and `segur mss eml --cda` run) on arbitrary
//! bytes: never panics; a CDA it packs unpacks again with the CDA's bytes unchanged (no loss).
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_dmp_cda::xdm::{XdmLimits, XdmPackage};
use segur_dmp_cda::{PackOptions, pack_cda};

fuzz_target!(|data: &[u8]| {
    let opts = PackOptions {
        source_id: "1.2.250.1.999.1".to_owned(),
        sender: segur_dmp_cda::XdmSender {
            organization: "Pharmacie du Centre".to_owned(),
            contact: "01 23 45 67 89".to_owned(),
            ..Default::default()
        },
        ..PackOptions::default()
    };
    let Ok((zip, _submission)) = pack_cda(data, None, &opts) else {
        return;
    };
    let package = XdmPackage::unpack(&zip, &XdmLimits::default())
        .unwrap_or_else(|e| panic!("a packed CDA does not unpack: {e}"));
    let cdas: Vec<_> = package.cda_documents().collect();
    assert_eq!(cdas.len(), 1, "one CDA packed, {} unpacked", cdas.len());
    assert!(cdas.iter().all(|d| d.bytes == data), "the CDA's bytes changed");
});
