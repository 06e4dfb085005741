//! `bitgocho_bytes`: an owned byte string handed to C (outputs of unknown size).

use super::abi::*;
use super::boundary::{self, boundary_or, try_ref, Castable, OwnedBox};

impl Castable for bitgocho_bytes {
    type Ownership = OwnedBox;
    type RustType = Vec<u8>;
}

/// Wraps `data` in a new `bitgocho_bytes` handle owned by the caller.
pub(crate) fn into_handle(data: Vec<u8>) -> *mut bitgocho_bytes {
    boundary::box_into_ptr::<bitgocho_bytes>(data)
}

impl bitgocho_bytes {
    /// Returns a pointer to the first byte, valid until `bitgocho_bytes_free(bytes)`. Returns NULL
    /// when `bytes` is NULL; may return a non-NULL dangling pointer when the length is 0.
    ///
    /// # Safety
    /// `bytes` is NULL or a live `bitgocho_bytes`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_bytes_data(bytes: *const bitgocho_bytes) -> *const u8 {
        boundary_or! { std::ptr::null(),
            try_ref!(bytes, std::ptr::null()).as_ptr()
        }
    }

    /// Returns the number of bytes (0 when `bytes` is NULL).
    ///
    /// # Safety
    /// `bytes` is NULL or a live `bitgocho_bytes`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_bytes_len(bytes: *const bitgocho_bytes) -> usize {
        boundary_or! { 0,
            try_ref!(bytes, 0).len()
        }
    }

    /// Releases `bytes`. NULL is a no-op. Must not be called twice on the same value.
    ///
    /// # Safety
    /// `bytes` is NULL or a live `bitgocho_bytes` not used afterwards.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_bytes_free(bytes: *mut bitgocho_bytes) {
        boundary_or! { (),
            // SAFETY: per this function's contract.
            drop(unsafe { boundary::box_from_ptr(bytes) })
        }
    }
}
