//! `segur_dmp_cda::read` on arbitrary bytes: never panics; memory bounded by the read limits. A
//! `nonXMLBody` the reader accepted decodes, to the size the reader announced, in one buffer
//! and streamed alike.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_dmp_cda::xml::XmlLimits;

fuzz_target!(|data: &[u8]| {
    let limits = XmlLimits { max_bytes: 1 << 20, max_depth: 128, max_nodes: 100_000, ..XmlLimits::default() };
    if let Ok(doc) = segur_dmp_cda::read::read_with(data, &limits) {
        if let segur_dmp_cda::CdaBody::NonXml(b) = &doc.body {
            let decoded = b.decode().expect("an accepted body decodes");
            assert_eq!(decoded.len(), b.size());
            let mut streamed = Vec::new();
            b.write_to(&mut streamed).expect("an accepted body streams");
            assert_eq!(streamed, decoded);
        }
    }
    let _ = segur_dmp_cda::read::read_header(data, &limits);
});
