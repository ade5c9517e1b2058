//! The C boundary: panic catching, NULL checks, borrowed inputs and owned outputs.
//!
//! Every exported function body runs inside [`ffi_boundary!`](crate::ffi_boundary): a panic
//! becomes `SEGUR_RESULT_PANIC` (or the documented default of an infallible function) instead of
//! unwinding into the host, which since Rust 1.81 would abort the pharmacy application. Inputs are
//! read through the `try_*` macros, which return early with `SEGUR_RESULT_NULL_PARAMETER` or
//! `SEGUR_RESULT_INVALID_UTF8`. Outputs are written only once everything succeeded.

use crate::result::segur_result;
use std::ffi::{CString, c_char};

/// Largest text or JSON input accepted by any function (16 MiB); larger gives
/// `SEGUR_RESULT_INPUT_TOO_LARGE`. Crate-level limits (INSi responses: 1 MiB) apply on top.
pub const SEGUR_MAX_INPUT_BYTES: usize = 16 << 20;

/// Runs an exported body, converting a panic into `segur_result::Panic` (or the `default:` value).
/// The `segur_result` form first clears the thread's last-error detail.
#[macro_export]
#[doc(hidden)]
macro_rules! ffi_boundary {
    (default: $default:expr, $body:block) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(value) => value,
            Err(_) => $default,
        }
    };
    ($body:block) => {{
        $crate::detail::clear();
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> $crate::result::segur_result { $body },
        )) {
            Ok(value) => value,
            Err(_) => $crate::result::segur_result::Panic,
        }
    }};
}

/// Evaluates a `Result<T, segur_result>`, returning the error code early.
#[macro_export]
#[doc(hidden)]
macro_rules! try_ffi {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(code) => return code,
        }
    };
}

/// Borrows `len` bytes at `ptr` as UTF-8 text.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes that stay valid and unmodified for `'a`.
pub unsafe fn str_arg<'a>(ptr: *const c_char, len: usize) -> Result<&'a str, segur_result> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { bytes_arg(ptr, len) }?;
    std::str::from_utf8(bytes).map_err(|_| segur_result::InvalidUtf8)
}

/// Borrows `len` bytes at `ptr`.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes that stay valid and unmodified for `'a`.
pub unsafe fn bytes_arg<'a>(ptr: *const c_char, len: usize) -> Result<&'a [u8], segur_result> {
    if ptr.is_null() {
        return Err(segur_result::NullParameter);
    }
    if len > SEGUR_MAX_INPUT_BYTES {
        return Err(segur_result::InputTooLarge);
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable bytes (a C buffer + size_t).
    Ok(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

/// Parses a JSON argument. A malformed document, or one serde refuses (including the domain
/// validation of types such as `Traits`), gives `SEGUR_RESULT_INVALID_JSON` with a detail naming
/// the line and column only: serde messages may quote input values (patient data).
///
/// # Safety
/// Same as [`str_arg`].
pub unsafe fn json_arg<T: serde::de::DeserializeOwned>(
    ptr: *const c_char,
    len: usize,
) -> Result<T, segur_result> {
    // SAFETY: forwarded contract.
    let text = unsafe { str_arg(ptr, len) }?;
    serde_json::from_str(text).map_err(|e| {
        // The category and the position only: serde's own text quotes the offending value,
        // which may be patient data. The contracts' tagged enums (`type`, `kind`) are read
        // without buffering, so errors inside them keep their position; serde's derived
        // buffering (line 0) is only a guard here: say so instead of giving a position that
        // does not exist.
        let message = e.to_string();
        if message.starts_with(::segur_dmp_cda::build::INPUT_HINT) {
            // The JSON contract's own hint: a field and a rule, never an input value.
            let hint = message.split(" at line ").next().unwrap_or("");
            crate::detail::fail(segur_result::InvalidJson, format_args!("{hint}"))
        } else if e.line() == 0 {
            crate::detail::fail(
                segur_result::InvalidJson,
                format_args!(
                    "JSON {:?} error inside a typed section (no position)",
                    e.classify()
                ),
            )
        } else {
            crate::detail::fail(
                segur_result::InvalidJson,
                format_args!(
                    "JSON {:?} error at line {} column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            )
        }
    })
}

/// Checks that an out-parameter is non-NULL.
pub fn out_arg<T>(out: *mut T) -> Result<*mut T, segur_result> {
    if out.is_null() {
        Err(segur_result::NullParameter)
    } else {
        Ok(out)
    }
}

/// Writes `value` to a checked out-parameter.
pub fn write_out<T>(out: *mut T, value: T) -> segur_result {
    if out.is_null() {
        return segur_result::NullParameter;
    }
    // SAFETY: non-NULL; the caller provides a writable, aligned `T` slot (header contract).
    unsafe { out.write(value) };
    segur_result::Ok
}

/// Hands a Rust string to C as a NUL-terminated `char *` the caller frees with
/// `segur_string_free`. Written only on success.
pub fn write_string(out: *mut *mut c_char, value: String) -> segur_result {
    let out = try_ffi!(out_arg(out));
    let c = try_ffi!(CString::new(value).map_err(|_| segur_result::InteriorNul));
    write_out(out, c.into_raw())
}

/// Serialises `value` as JSON and hands it to C like [`write_string`].
pub fn write_json<T: serde::Serialize + ?Sized>(out: *mut *mut c_char, value: &T) -> segur_result {
    // Serialising plain data structures cannot fail; a failure would be a bug, reported as such.
    match serde_json::to_string(value) {
        Ok(s) => write_string(out, s),
        Err(_) => segur_result::Panic,
    }
}

/// Copies `bytes` into the caller's buffer (`buf`, `len`), writing the length to `out_len`.
/// Too small a buffer gives `InsufficientSize` with the needed length in `*out_len`.
pub fn write_bytes(
    bytes: &[u8],
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> segur_result {
    if buf.is_null() || out_len.is_null() {
        return segur_result::NullParameter;
    }
    if bytes.len() > len {
        return write_out(out_len, bytes.len()).and(segur_result::InsufficientSize);
    }
    // SAFETY: `buf` is non-NULL and, per the header contract, has `len >= bytes.len()` writable
    // bytes; source and destination cannot overlap (the source is Rust-owned).
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), bytes.len()) };
    write_out(out_len, bytes.len())
}

impl segur_result {
    /// `other` when `self` is OK, else `self`.
    pub(crate) fn and(self, other: segur_result) -> segur_result {
        if self.is_ok() { other } else { self }
    }
}

/// Moves an owned Rust value into an opaque handle for C.
pub fn write_handle<T>(out: *mut *mut T, value: T) -> segur_result {
    let out = try_ffi!(out_arg(out));
    write_out(out, Box::into_raw(Box::new(value)))
}

/// Borrows a handle immutably.
///
/// # Safety
/// `ptr` must be NULL or a live handle of this type made by its `_new` function.
pub unsafe fn handle_ref<'a, T>(ptr: *const T) -> Result<&'a T, segur_result> {
    // SAFETY: the caller guarantees a live, properly typed handle when non-NULL.
    unsafe { ptr.as_ref() }.ok_or(segur_result::NullParameter)
}

/// Borrows a handle mutably.
///
/// # Safety
/// `ptr` must be NULL or a live handle of this type, not used concurrently by another thread.
pub unsafe fn handle_mut<'a, T>(ptr: *mut T) -> Result<&'a mut T, segur_result> {
    // SAFETY: the caller guarantees a live, exclusively used handle when non-NULL.
    unsafe { ptr.as_mut() }.ok_or(segur_result::NullParameter)
}

/// Frees a handle made by [`write_handle`]; NULL is a no-op.
///
/// # Safety
/// `ptr` must be NULL or a live handle of this type, freed exactly once.
pub unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: made by Box::into_raw in write_handle and freed once (caller contract).
        drop(unsafe { Box::from_raw(ptr) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_result_code() {
        let r = crate::ffi_boundary!({
            let v: Vec<u8> = Vec::new();
            if v.is_empty() {
                panic!("boom");
            }
            segur_result::Ok
        });
        assert_eq!(r, segur_result::Panic);
        let p: *const u8 = crate::ffi_boundary!(default: std::ptr::null(), {
            panic!("boom")
        });
        assert!(p.is_null());
    }

    #[test]
    fn null_and_oversized_inputs_are_refused() {
        // SAFETY: NULL is allowed by the contract.
        assert_eq!(
            unsafe { str_arg(std::ptr::null(), 0) },
            Err(segur_result::NullParameter)
        );
        let b = [0xffu8, 0xfe];
        // SAFETY: two readable bytes.
        assert_eq!(
            unsafe { str_arg(b.as_ptr().cast(), 2) },
            Err(segur_result::InvalidUtf8)
        );
        // SAFETY: the length check happens before any read.
        assert_eq!(
            unsafe { bytes_arg(b.as_ptr().cast(), SEGUR_MAX_INPUT_BYTES + 1) },
            Err(segur_result::InputTooLarge)
        );
    }

    #[test]
    fn small_buffers_get_the_needed_size_and_stay_untouched() {
        let mut buf = [b'x' as c_char; 4];
        let mut n = 0usize;
        let r = write_bytes(b"hello", buf.as_mut_ptr(), buf.len(), &mut n);
        assert_eq!(r, segur_result::InsufficientSize);
        assert_eq!(n, 5);
        assert!(buf.iter().all(|c| *c == b'x' as c_char));
        let mut big = [0 as c_char; 8];
        assert_eq!(
            write_bytes(b"hello", big.as_mut_ptr(), big.len(), &mut n),
            segur_result::Ok
        );
        assert_eq!(n, 5);
    }
}
