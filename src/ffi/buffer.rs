//! Moving data across the boundary: reading string and byte arguments, and writing outputs into
//! caller buffers (`buf`, `cap`, `*out_len`) and out-pointers.
//!
//! Strings go out NUL-terminated: `*out_len` is the length without the NUL, and the needed
//! capacity (reported with `BITGOCHO_E_BUFFER_TOO_SMALL`) is length + 1. Binary outputs carry no
//! terminator. `buf` may be NULL when `cap` is 0, which asks for the size.

use std::ffi::{c_char, CStr};

use super::abi::*;
use super::last_error::{fail, null_arg};

/// Reads a NUL-terminated UTF-8 argument called `name`.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid for `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, bitgocho_status> {
    if ptr.is_null() {
        return Err(null_arg(name));
    }
    // SAFETY: per the contract, ptr is NUL-terminated.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes)
        .map_err(|e| fail(BITGOCHO_E_INVALID_ARG, format_args!("argument `{name}` is not UTF-8: {e}")))
}

/// Borrows `len` bytes at `ptr` (NULL allowed when `len` is 0).
///
/// # Safety
/// `ptr` points to `len` readable bytes that stay valid for `'a`.
pub(crate) unsafe fn slice_arg<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a [u8], bitgocho_status> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(null_arg(name));
    }
    // SAFETY: per the contract, ptr points to len readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Writes `value` through the out-pointer `out` (the caller has checked it is not NULL).
///
/// # Safety
/// `out` is non-NULL, aligned and writable.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: per the contract.
    unsafe { out.write(value) }
}

/// Copies `data` (plus a NUL when `nul`) into `buf` and its length into `*out_len`, without
/// touching the last error. On a short buffer only `*out_len` (= needed capacity) is written.
///
/// # Safety
/// `buf` points to `cap` writable bytes or is NULL; `out_len` is NULL or writable.
pub(crate) unsafe fn fill(data: &[u8], nul: bool, buf: *mut u8, cap: usize, out_len: *mut usize) -> bitgocho_status {
    if out_len.is_null() {
        return null_arg("out_len");
    }
    if buf.is_null() && cap > 0 {
        return null_arg("buf");
    }
    let needed = data.len() + usize::from(nul);
    if cap < needed {
        // SAFETY: out_len checked non-NULL above.
        unsafe { out_len.write(needed) };
        return BITGOCHO_E_BUFFER_TOO_SMALL;
    }
    if needed > 0 {
        // SAFETY: buf holds cap >= needed writable bytes and does not overlap data (ours).
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len());
            if nul {
                buf.add(data.len()).write(0);
            }
        }
    }
    // SAFETY: out_len checked non-NULL above.
    unsafe { out_len.write(data.len()) };
    BITGOCHO_OK
}

/// [`fill`] for a string output, recording a message when the buffer is too small.
///
/// # Safety
/// As for [`fill`].
pub(crate) unsafe fn copy_str(text: &str, buf: *mut u8, cap: usize, out_len: *mut usize) -> bitgocho_status {
    // SAFETY: forwarded.
    let status = unsafe { fill(text.as_bytes(), true, buf, cap, out_len) };
    short_buffer_message(status, text.len() + 1, cap)
}

/// [`fill`] for a binary output, recording a message when the buffer is too small.
///
/// # Safety
/// As for [`fill`].
pub(crate) unsafe fn copy_bytes(data: &[u8], buf: *mut u8, cap: usize, out_len: *mut usize) -> bitgocho_status {
    // SAFETY: forwarded.
    let status = unsafe { fill(data, false, buf, cap, out_len) };
    short_buffer_message(status, data.len(), cap)
}

fn short_buffer_message(status: bitgocho_status, needed: usize, cap: usize) -> bitgocho_status {
    if status == BITGOCHO_E_BUFFER_TOO_SMALL {
        return fail(status, format_args!("buffer of {cap} bytes is too small: {needed} needed"));
    }
    status
}
