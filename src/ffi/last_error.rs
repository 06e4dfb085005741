//! The thread-local detail message of the last failing call, and `bitgocho_last_error()`.
//!
//! A failing call stores its message here before returning its status code; successful calls
//! leave it alone, so the message always describes the most recent failure on this thread.

use std::any::Any;
use std::cell::RefCell;
use std::fmt::Display;

use super::abi::*;
use super::boundary::boundary;
use super::buffer;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Stores `message` as this thread's last error and returns `status`.
pub(crate) fn fail(status: bitgocho_status, message: impl Display) -> bitgocho_status {
    let text = message.to_string();
    LAST_ERROR.with(|e| *e.borrow_mut() = text);
    status
}

/// Records that argument `name` was NULL and returns `BITGOCHO_E_NULL_ARG`.
pub(crate) fn null_arg(name: &str) -> bitgocho_status {
    fail(BITGOCHO_E_NULL_ARG, format_args!("argument `{name}` is NULL"))
}

/// Records a caught panic (its message when it has one) and returns `BITGOCHO_E_PANIC`.
pub(crate) fn panicked(payload: Box<dyn Any + Send>) -> bitgocho_status {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown payload".to_string());
    fail(BITGOCHO_E_PANIC, format_args!("internal panic: {what}"))
}

/// A copy of this thread's last error message (empty when no call has failed).
pub(crate) fn message() -> String {
    LAST_ERROR.with(|e| e.borrow().clone())
}

/// Copies the detail message of the last failing call made on the calling thread into `buf`,
/// NUL-terminated, and its length (without the NUL) into `*out_len`. The message is empty if no
/// call has failed on this thread. Successful calls do not clear it, and this function never
/// changes it.
///
/// Returns `BITGOCHO_OK`; `BITGOCHO_E_BUFFER_TOO_SMALL` with `*out_len` = the needed capacity
/// (length + 1) when `cap` is too small (`buf` may be NULL when `cap` is 0, to ask the size);
/// `BITGOCHO_E_NULL_ARG` when `out_len` is NULL, or `buf` is NULL with `cap` > 0.
///
/// # Safety
/// `buf` points to `cap` writable bytes (or is NULL with `cap` 0); `out_len` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bitgocho_last_error(buf: *mut u8, cap: usize, out_len: *mut usize) -> bitgocho_status {
    boundary! {
        let text = message();
        // SAFETY: forwarded from this function's contract.
        unsafe { buffer::fill(text.as_bytes(), true, buf, cap, out_len) }
    }
}
