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

/// How many bytes of a size-versioned struct `T` to fill for a caller whose `sizeof` is in the
/// struct's `size` field at `size`: the smaller of that and this version's size. A size below
/// the first version's (`v1`) is `BITGOCHO_E_INVALID_ARG`, naming `what`.
///
/// # Safety
/// `size` points to the readable `size` field of the caller's struct.
pub(crate) unsafe fn versioned_len<T>(size: *const usize, v1: usize, what: &str) -> Result<usize, bitgocho_status> {
    // SAFETY: readable per the contract; the caller's struct may be unaligned.
    let caller = unsafe { size.read_unaligned() };
    if caller < v1 {
        return Err(fail(
            BITGOCHO_E_INVALID_ARG,
            format_args!("{what} size {caller} is smaller than the first version's {v1}"),
        ));
    }
    Ok(caller.min(std::mem::size_of::<T>()))
}

/// Writes the first `len` bytes of `value` (at most its size) through `out`: how a versioned
/// struct reaches a caller built against an older, shorter version of it.
///
/// # Safety
/// `out` is non-NULL and points to `len` writable bytes.
pub(crate) unsafe fn write_prefix<T: Copy>(out: *mut T, value: T, len: usize) {
    let len = len.min(std::mem::size_of::<T>());
    // SAFETY: `value` is a live local of at least `len` bytes; `out` has `len` writable bytes per
    // the contract; the two cannot overlap.
    unsafe { std::ptr::copy_nonoverlapping((&raw const value).cast::<u8>(), out.cast::<u8>(), len) }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_reports_the_needed_size_and_writes_nothing_on_a_short_buffer() {
        let mut buf = [0xAAu8; 4];
        let mut len = 0usize;
        // SAFETY: buf has 4 writable bytes, len is writable.
        let status = unsafe { fill(b"abcd", true, buf.as_mut_ptr(), buf.len(), &mut len) };
        assert_eq!((status, len, buf), (BITGOCHO_E_BUFFER_TOO_SMALL, 5, [0xAA; 4]));
        let mut big = [0xAAu8; 8];
        // SAFETY: as above.
        let status = unsafe { fill(b"abcd", true, big.as_mut_ptr(), big.len(), &mut len) };
        assert_eq!((status, len, &big[..5]), (BITGOCHO_OK, 4, &b"abcd\0"[..]));
        // SAFETY: NULL with cap 0 asks the size.
        let status = unsafe { fill(b"xyz", false, std::ptr::null_mut(), 0, &mut len) };
        assert_eq!((status, len), (BITGOCHO_E_BUFFER_TOO_SMALL, 3));
        // SAFETY: NULL buffer with a capacity is refused before any write.
        let status = unsafe { fill(b"xyz", false, std::ptr::null_mut(), 8, &mut len) };
        assert_eq!(status, BITGOCHO_E_NULL_ARG);
    }

    #[test]
    fn string_arguments_must_be_utf8() {
        let bad = [0xFFu8, 0xFE, 0];
        // SAFETY: NUL-terminated.
        let err = unsafe { str_arg(bad.as_ptr().cast(), "key") }.unwrap_err();
        assert_eq!(err, BITGOCHO_E_INVALID_ARG);
        // SAFETY: NULL is allowed and reported.
        assert_eq!(unsafe { str_arg(std::ptr::null(), "key") }.unwrap_err(), BITGOCHO_E_NULL_ARG);
    }
}
