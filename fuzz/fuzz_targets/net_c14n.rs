//! Canonical XML of arbitrary input never panics or hangs: every algorithm over the whole
//! document and over each child of the root; an accepted document's canonical form is read
//! back and is its own canonical form (C14N 1.0 is idempotent on whole documents).
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_net::xml::XmlLimits;
use segur_net::xmldsig::{C14nAlgorithm, C14nMode, Document};

fuzz_target!(|data: &[u8]| {
    let limits = XmlLimits {
        max_depth: 32,
        max_nodes: 4096,
        max_attributes: 32,
        ..XmlLimits::default()
    };
    let Ok(doc) = Document::parse(data, limits) else {
        return;
    };
    let modes = [
        C14nMode::new(C14nAlgorithm::Inclusive),
        C14nMode::new(C14nAlgorithm::InclusiveWithComments),
        C14nMode::new(C14nAlgorithm::Exclusive),
        C14nMode::new(C14nAlgorithm::ExclusiveWithComments),
        C14nMode::exclusive_with_prefixes(false, ["#default", "xsi", "a"]),
    ];
    for mode in &modes {
        let canonical = doc.canonicalize(mode);
        let again = Document::parse(&canonical, XmlLimits::default())
            .expect("a canonical form is well-formed XML");
        assert_eq!(again.canonicalize(mode), canonical, "not idempotent");
        for child in doc.child_elements(doc.root()) {
            let _ = doc.canonicalize_element(child, None, mode);
        }
    }
});
