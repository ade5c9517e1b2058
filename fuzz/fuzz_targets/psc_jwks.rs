//! The JWKS reader of segur-psc never panics: any document is read within its limits or refused
//! with a typed error; every key kept is found again by its `kid` for an algorithm of its type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_psc::jwks::{JwkSet, KeySource, PublicKey};
use segur_psc::jwt::JwsAlg;

fuzz_target!(|data: &[u8]| {
    let Ok(set) = JwkSet::from_json(data) else { return };
    for key in set.keys() {
        let alg = match key.key {
            PublicKey::Rsa { .. } => JwsAlg::RS256,
            PublicKey::P256 { ref point } => {
                assert_eq!(point.len(), 65);
                JwsAlg::ES256
            }
        };
        if let Some(kid) = &key.kid {
            assert!(set.key(Some(kid), alg).is_ok());
        }
        let _ = format!("{key:?}");
    }
});
