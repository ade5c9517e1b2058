//! The SOAP envelope and MTOM package readers never panic or hang on any bytes; a package
//! that reads resolves its includes or reports a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_net::soap::mtom::{MtomLimits, read_mtom};
use segur_net::soap::parse_envelope;
use segur_net::xml::XmlLimits;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = parse_envelope(data, XmlLimits::default()) {
        let _ = env.fault();
    }
    // The first line, when it is text, is taken as the HTTP Content-Type; also read with the
    // boundary taken from the body itself.
    let split = data.iter().position(|b| *b == b'\n');
    let (ct, body) = match split.and_then(|i| Some((data.get(..i)?, data.get(i + 1..)?))) {
        Some((line, rest)) => (std::str::from_utf8(line).ok(), rest),
        None => (None, data),
    };
    let limits = MtomLimits {
        max_parts: 8,
        max_header_bytes: 512,
        ..MtomLimits::default()
    };
    for (ct, body) in [(ct, body), (None, data)] {
        if let Ok(pkg) = read_mtom(ct, body, limits) {
            let _ = pkg.declared_version();
            if let Some(root) = pkg.root() {
                if let Ok(env) = parse_envelope(&root.body, XmlLimits::default()) {
                    let _ = pkg.resolve_includes(&env.body);
                }
            }
            let _ = pkg.envelope(XmlLimits::default());
        }
    }
});
