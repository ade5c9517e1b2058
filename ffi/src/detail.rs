//! The detail of the last error on the calling thread (`segur_last_error_detail`): the reason and
//! position the result code alone cannot carry (`"given_names[2]: character at position 4 has no
//! equivalent in the INS character set"`). Texts come from the crates' `Display` forms, which never
//! contain patient data (no digits of a matricule, no name).

use crate::boundary::write_bytes;
use crate::result::segur_result;
use std::cell::RefCell;
use std::ffi::c_char;

thread_local! {
    static LAST: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Forgets the previous detail (called on entry of every fallible function).
pub(crate) fn clear() {
    LAST.with(|l| l.borrow_mut().clear());
}

/// Records the detail of an error about to be returned, and returns its code.
pub(crate) fn fail(code: segur_result, detail: impl std::fmt::Display) -> segur_result {
    LAST.with(|l| {
        let mut l = l.borrow_mut();
        l.clear();
        use std::fmt::Write;
        let _ = write!(l, "{detail}");
    });
    code
}

/// Writes the detail of the last error returned **on this thread** by a `segur_*` function
/// (UTF-8, not NUL-terminated) into `buf` of `len` bytes and its length into `*out_len`; an
/// empty text when that error had no more to say than [`segur_result_message`]. The detail
/// names reasons, fields and positions, never patient data. Successful calls leave it as it was.
///
/// Returns `SEGUR_RESULT_INSUFFICIENT_SIZE` (needed length in `*out_len`) when `len` is too
/// small, `SEGUR_RESULT_NULL_PARAMETER` when `buf` or `out_len` is NULL. Thread-safe (per thread).
///
/// [`segur_result_message`]: crate::result::segur_result_message
#[unsafe(no_mangle)]
pub extern "C" fn segur_last_error_detail(
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> segur_result {
    crate::ffi_boundary!(default: segur_result::Panic, { LAST.with(|l| write_bytes(l.borrow().as_bytes(), buf, len, out_len)) })
}
