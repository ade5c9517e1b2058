//! Ownership helpers of the integration tests: take what the library returns through an
//! out-parameter, copy it, and free it with the library's own free function, as C does.
#![allow(dead_code, unsafe_code, clippy::unwrap_used)]

pub mod c_program;

use segur::cards::segur_bytes_free;
use segur::segur_string_free;
use std::ffi::{CStr, c_char};

/// Copies and frees a NUL-terminated UTF-8 string returned by the library.
pub fn take_string(p: *mut c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: a NUL-terminated string returned by the library, freed right after.
    let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    segur_string_free(p);
    s
}

/// Copies, frees and parses a JSON string returned by the library.
pub fn take_json(p: *mut c_char) -> serde_json::Value {
    serde_json::from_str(&take_string(p)).unwrap()
}

/// Copies and frees `len` bytes returned by the library.
pub fn take_bytes(p: *mut u8, len: usize) -> Vec<u8> {
    assert!(!p.is_null());
    // SAFETY: `len` bytes returned by the library, freed right after.
    let v = unsafe { std::slice::from_raw_parts(p, len) }.to_vec();
    segur_bytes_free(p, len);
    v
}
