//! `segur_dmp_cda::validate::validate` (what `segur cda validate` and `segur_cda_validate` run)
//! on arbitrary bytes: never panics or hangs; a document it reads gets findings that each name
//! the rule they mirror.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(findings) = segur_dmp_cda::validate::validate(data) {
        for f in &findings {
            assert!(!f.rule.is_empty() && !f.message.is_empty(), "{f:?}");
        }
    }
});
