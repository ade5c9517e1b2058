//! BER-TLV, SIMPLE-TLV, COMPACT-TLV, the generic ASN.1 tree and the card-data parsers built on
//! them (PKCS#15 directories, EF.SN.ICC, EF_ACTUA, Vitale files).
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_cps_card::tlv::{BerReader, CompactReader, SimpleReader, Tag, find_recursive};
use segur_cps_card::{asn1, cps, pkcs15};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = BerReader::new(data) {
        for t in r.skip_padding() {
            match t {
                Ok(t) => assert!(t.value_offset + t.value.len() <= data.len()),
                Err(_) => break,
            }
        }
    }
    if let Ok(r) = SimpleReader::new(data) {
        for _ in r {}
    }
    for _ in CompactReader::new(data, 0) {}
    let _ = find_recursive(data, Tag(0x9B));
    let _ = asn1::Node::parse(data).map(|t| t.iter().map(|n| n.to_string().len()).sum::<usize>());
    let _ = pkcs15::parse_odf(data);
    let _ = pkcs15::parse_directory(data, "CDF");
    let _ = pkcs15::parse_directory(data, "AODF");
    let _ = cps::SerialNumber::parse(data);
    let _ = cps::Actua::parse(data);
    let _ = segur_cps_card::vitale::parse_identity_file(data);
    let _ = segur_cps_card::vitale::parse_nir_file(data);
});
