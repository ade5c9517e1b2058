//! C ABI of the segur SDK (`libsegur.so`, `libsegur.a`, `segur.h`) for C, C++ and Delphi
//! pharmacy software.
//!
//! Conventions (modelled on rustls-ffi):
//! - every fallible function returns a [`segur_result`] (`SEGUR_RESULT_OK`
//!   is 0); other outputs go through out-parameters written **only on success**;
//! - text inputs are UTF-8 as `const char *` + `size_t` length (no NUL needed); every pointer is
//!   checked for NULL (`SEGUR_RESULT_NULL_PARAMETER`);
//! - strings the library returns are NUL-terminated UTF-8, freed with [`segur_string_free`];
//! - opaque handles are made by `segur_<type>_new` and released by `segur_<type>_free`; a
//!   `const` handle parameter means the call does not mutate it; thread-safety is stated on
//!   each handle type;
//! - complex structures cross the boundary as JSON, in the serde forms of the Rust crates;
//! - every export catches panics (`SEGUR_RESULT_PANIC`): the host process never aborts;
//! - messages and details never contain patient data.
//!
//! Further modules: [`access`], [`cards`], [`cda`], [`dispensation`], [`dmp`],
//! [`eprescription`], [`ins`], [`ins_datamatrix`], [`insi`], [`mss_annuaire`],
//! [`mss_credentials`], [`mss_discovery`], [`mss_mailbox`], [`mss_mdn`], [`mssante`], [`psc`],
//! [`result`], [`store`], [`twoddoc`], [`vitale`].
#![allow(unsafe_code)]
// the C boundary is the one place where raw pointers are unavoidable
// Reviewed: the exported functions take raw pointers from C and cannot be `unsafe fn` for their
// callers; each pointer's contract is stated in its doc comment (copied into segur.h), and every
// dereference sits in a small `unsafe` block with its SAFETY note.
#![allow(clippy::not_unsafe_ptr_arg_deref)]
#![allow(non_camel_case_types)] // C type names (`segur_result`, `segur_identity`) follow the header

pub mod access;
mod boundary;
pub mod cards;
pub mod cda;
mod detail;
pub mod dispensation;
pub mod dmp;
pub mod eprescription;
pub mod ins;
pub mod ins_datamatrix;
pub mod insi;
pub mod mss_annuaire;
pub mod mss_credentials;
pub mod mss_discovery;
pub mod mss_mailbox;
pub mod mss_mdn;
pub mod mssante;
mod names;
pub mod psc;
pub mod result;
pub mod store;
pub mod twoddoc;
pub mod vitale;

pub use detail::segur_last_error_detail;
pub use result::{
    segur_result, segur_result_is_card_error, segur_result_is_dmp_refusal,
    segur_result_is_ins_error, segur_result_message, segur_result_name,
};

use std::ffi::{CString, c_char};

/// NUL-terminated version string, `segur/<version>`; static, never freed by the caller.
static VERSION: &str = concat!("segur/", env!("CARGO_PKG_VERSION"), "\0");

/// Returns the library version as a static NUL-terminated UTF-8 string (`segur/<version>`,
/// for example `segur/0.1.0`). Never NULL; the caller must not free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_version() -> *const c_char {
    crate::ffi_boundary!(default: c"segur".as_ptr(), { VERSION.as_ptr().cast() })
}

/// Frees a string returned by a `segur_*` function through a `char **` out-parameter. NULL is
/// a no-op. Never pass memory from another allocator, and free each string exactly once.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_string_free(s: *mut c_char) {
    crate::ffi_boundary!(default: (), {
        if !s.is_null() {
            // SAFETY: per the contract, `s` was made by CString::into_raw in
            // boundary::write_string and is freed exactly once.
            drop(unsafe { CString::from_raw(s) });
        }
    })
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

/// The usage snippet of README.md, compiled and run as a doctest so the crate page never shows
/// code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
