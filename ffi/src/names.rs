//! Static NUL-terminated names of the result codes, for `segur_result_name`.

use crate::result::segur_result;
use std::ffi::CString;
use std::sync::OnceLock;

/// `InsKeyMismatch` → `INS_KEY_MISMATCH`: the enumerator name cbindgen writes after the
/// `SEGUR_RESULT_` prefix.
pub(crate) fn screaming_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn table() -> &'static [(u32, CString)] {
    static TABLE: OnceLock<Vec<(u32, CString)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        segur_result::ALL
            .iter()
            .filter_map(|r| {
                CString::new(screaming_snake(r.name()))
                    .ok()
                    .map(|c| (*r as u32, c))
            })
            .collect()
    })
}

/// The static name of a code, or `UNKNOWN`.
pub(crate) fn result_name(code: u32) -> &'static std::ffi::CStr {
    table()
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(c"UNKNOWN", |(_, n)| n.as_c_str())
}
