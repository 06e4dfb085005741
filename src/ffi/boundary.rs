//! Boundary plumbing shared by every handle: the casts between opaque C handles and the Rust
//! values behind them (ownership is a property of the handle type, as in rustls-ffi's `Castable`),
//! the argument-checking macros, and the panic boundary every exported body runs inside.

use std::sync::Arc;

/// Marker for how C holds a handle: exclusive `Box` or shared `Arc`.
pub(crate) trait Ownership {}

/// C holds a `Box<T>`: one owner, mutable through `*mut` handles, freed once.
pub(crate) struct OwnedBox;
impl Ownership for OwnedBox {}

/// C holds an `Arc<T>`: shared and immutable; each handle is one strong count.
pub(crate) struct OwnedArc;
impl Ownership for OwnedArc {}

/// An opaque C handle type: names the Rust type it points to and how C owns it.
pub(crate) trait Castable {
    /// `OwnedBox` or `OwnedArc`.
    type Ownership: Ownership;
    /// The Rust value behind the handle.
    type RustType;
}

/// Moves `value` into a new Box-owned handle.
pub(crate) fn box_into_ptr<C: Castable<Ownership = OwnedBox>>(value: C::RustType) -> *mut C {
    Box::into_raw(Box::new(value)).cast()
}

/// Takes back the Box behind a handle (None for NULL).
///
/// # Safety
/// `ptr` is NULL or came from [`box_into_ptr`] for the same `C` and was not freed.
pub(crate) unsafe fn box_from_ptr<C: Castable<Ownership = OwnedBox>>(ptr: *mut C) -> Option<Box<C::RustType>> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: per the contract, ptr is a live Box<C::RustType>.
    Some(unsafe { Box::from_raw(ptr.cast::<C::RustType>()) })
}

/// Borrows mutably the value behind a Box-owned handle (None for NULL).
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`, not used concurrently.
pub(crate) unsafe fn cast_mut<'a, C: Castable<Ownership = OwnedBox>>(ptr: *mut C) -> Option<&'a mut C::RustType> {
    // SAFETY: per the contract, ptr is NULL or a live, exclusively used value.
    unsafe { ptr.cast::<C::RustType>().as_mut() }
}

/// Moves an `Arc` into a new Arc-owned handle.
pub(crate) fn arc_into_ptr<C: Castable<Ownership = OwnedArc>>(value: Arc<C::RustType>) -> *const C {
    Arc::into_raw(value).cast()
}

/// Releases the strong count a handle holds (no-op for NULL).
///
/// # Safety
/// `ptr` is NULL or came from [`arc_into_ptr`] for the same `C` and was not freed.
pub(crate) unsafe fn arc_free<C: Castable<Ownership = OwnedArc>>(ptr: *const C) {
    if !ptr.is_null() {
        // SAFETY: per the contract, ptr holds one strong count of an Arc<C::RustType>.
        drop(unsafe { Arc::from_raw(ptr.cast::<C::RustType>()) });
    }
}

/// A new strong reference to the value behind an Arc-owned handle (None for NULL).
///
/// # Safety
/// `ptr` is NULL or a live handle from [`arc_into_ptr`] for the same `C`.
pub(crate) unsafe fn arc_clone<C: Castable<Ownership = OwnedArc>>(ptr: *const C) -> Option<Arc<C::RustType>> {
    if ptr.is_null() {
        return None;
    }
    let raw = ptr.cast::<C::RustType>();
    // SAFETY: per the contract, raw holds a strong count, so incrementing it and taking one is sound.
    unsafe {
        Arc::increment_strong_count(raw);
        Some(Arc::from_raw(raw))
    }
}

/// Borrows the value behind any handle (None for NULL).
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`, not mutated during the borrow.
pub(crate) unsafe fn cast_ref<'a, C: Castable>(ptr: *const C) -> Option<&'a C::RustType> {
    // SAFETY: per the contract, ptr is NULL or points to a live C::RustType.
    unsafe { ptr.cast::<C::RustType>().as_ref() }
}

/// Runs an exported body that returns a `bitgocho_status`, turning a panic into
/// `BITGOCHO_E_PANIC` (with the panic message as the last error).
macro_rules! boundary {
    ($($body:tt)*) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> $crate::ffi::abi::bitgocho_status { $($body)* },
        )) {
            Ok(status) => status,
            Err(payload) => $crate::ffi::last_error::panicked(payload),
        }
    };
}

/// Runs an exported body that returns a plain value, returning `$default` if it panics.
macro_rules! boundary_or {
    ($default:expr, $($body:tt)*) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| { $($body)* })) {
            Ok(value) => value,
            Err(payload) => {
                $crate::ffi::last_error::panicked(payload);
                $default
            }
        }
    };
}

/// Borrows a handle argument, or returns `BITGOCHO_E_NULL_ARG` (or the given default) for NULL.
macro_rules! try_ref {
    ($ptr:ident) => {
        try_ref!($ptr, $crate::ffi::last_error::null_arg(stringify!($ptr)))
    };
    ($ptr:ident, $default:expr) => {{
        // SAFETY: exported functions require handle arguments to be NULL or live handles.
        #[allow(unused_unsafe)]
        let r = unsafe { $crate::ffi::boundary::cast_ref($ptr) };
        match r {
            Some(r) => r,
            None => return $default,
        }
    }};
}

/// Borrows a Box-owned handle argument mutably, or returns `BITGOCHO_E_NULL_ARG` for NULL.
macro_rules! try_mut {
    ($ptr:ident) => {{
        // SAFETY: exported functions require handle arguments to be NULL or live, unshared handles.
        #[allow(unused_unsafe)]
        let r = unsafe { $crate::ffi::boundary::cast_mut($ptr) };
        match r {
            Some(r) => r,
            None => return $crate::ffi::last_error::null_arg(stringify!($ptr)),
        }
    }};
}

/// Reads a NUL-terminated UTF-8 string argument, or returns `BITGOCHO_E_NULL_ARG` /
/// `BITGOCHO_E_INVALID_ARG`.
macro_rules! try_str {
    ($ptr:ident) => {{
        // SAFETY: exported functions require string arguments to be NULL or NUL-terminated.
        #[allow(unused_unsafe)]
        let r = unsafe { $crate::ffi::buffer::str_arg($ptr, stringify!($ptr)) };
        match r {
            Ok(s) => s,
            Err(status) => return status,
        }
    }};
}

/// Borrows a `(pointer, length)` byte argument (NULL allowed when the length is 0), or returns
/// `BITGOCHO_E_NULL_ARG`.
macro_rules! try_slice {
    ($ptr:ident, $len:ident) => {{
        // SAFETY: exported functions require `ptr` to point to `len` readable bytes.
        #[allow(unused_unsafe)]
        let r = unsafe { $crate::ffi::buffer::slice_arg($ptr, $len, stringify!($ptr)) };
        match r {
            Ok(s) => s,
            Err(status) => return status,
        }
    }};
}

/// Checks that an output pointer is not NULL, or returns `BITGOCHO_E_NULL_ARG`.
macro_rules! try_out {
    ($ptr:ident) => {
        if $ptr.is_null() {
            return $crate::ffi::last_error::null_arg(stringify!($ptr));
        }
    };
}

pub(crate) use {boundary, boundary_or, try_mut, try_out, try_ref, try_slice, try_str};

#[cfg(test)]
mod tests {
    use crate::ffi::abi::*;
    use crate::ffi::last_error::message;

    fn failing_status() -> bitgocho_status {
        boundary! {
            let v: Vec<u8> = Vec::new();
            if v.is_empty() {
                panic!("boom at the boundary");
            }
            BITGOCHO_OK
        }
    }

    fn failing_getter() -> u64 {
        boundary_or! { 7,
            let values: Vec<u64> = Vec::new();
            values.first().copied().expect("no value here")
        }
    }

    #[test]
    fn a_panic_becomes_the_panic_status_with_its_message() {
        assert_eq!(failing_status(), BITGOCHO_E_PANIC);
        assert!(message().contains("boom at the boundary"), "{}", message());
        assert_eq!(failing_getter(), 7);
        assert!(message().contains("no value here"), "{}", message());
    }

    #[test]
    fn null_handles_give_the_null_status_or_the_default() {
        let settings: *const bitgocho_settings = std::ptr::null();
        let status = (|| -> bitgocho_status {
            let _s = try_ref!(settings);
            BITGOCHO_OK
        })();
        assert_eq!(status, BITGOCHO_E_NULL_ARG);
        assert!(message().contains("settings"));
        let default = (|| -> usize { try_ref!(settings, 42).iter().count() })();
        assert_eq!(default, 42);
    }
}
