//! C ABI of the segur SDK (`libsegur.so`, `segur.h`).
//!
//! Conventions follow rustls-ffi: every fallible function returns a `segur_result`, outputs are
//! written only on success, every pointer is checked for NULL and every export catches panics.
#![allow(unsafe_code)] // the C boundary is the one place where raw pointers are unavoidable

use std::ffi::c_char;

/// NUL-terminated version string, `segur/<version>`; static, never freed by the caller.
static VERSION: &str = concat!("segur/", env!("CARGO_PKG_VERSION"), "\0");

/// Returns the library version as a static NUL-terminated UTF-8 string (`segur/<version>`).
/// The caller must not free it.
#[unsafe(no_mangle)]
pub extern "C" fn segur_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn version_is_static_and_matches_cargo() {
        // SAFETY: segur_version returns a pointer to a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(segur_version()) };
        assert_eq!(
            v.to_str().unwrap(),
            concat!("segur/", env!("CARGO_PKG_VERSION"))
        );
    }
}
