//! The Rust view of the C ABI for ctest: the shared types from src/ffi/abi.rs and a declaration
//! of every exported function, kept by hand; ctest proves each matches the header and the
//! linked symbol, and tests/c_api.rs checks that this list equals the header's.
#![allow(non_camel_case_types)]

#[path = "../../../src/ffi/abi.rs"]
mod abi;
pub use abi::*;

use core::ffi::c_char;

#[allow(improper_ctypes)] // opaque handles are only used behind pointers
unsafe extern "C" {
    pub fn bitgocho_status_str(status: bitgocho_status) -> *const c_char;
    pub fn bitgocho_last_error(buf: *mut u8, cap: usize, out_len: *mut usize) -> bitgocho_status;
    pub fn bitgocho_version() -> *const c_char;
    pub fn bitgocho_version_number() -> u32;

    pub fn bitgocho_bytes_data(bytes: *const bitgocho_bytes) -> *const u8;
    pub fn bitgocho_bytes_len(bytes: *const bitgocho_bytes) -> usize;
    pub fn bitgocho_bytes_free(bytes: *mut bitgocho_bytes);

    pub fn bitgocho_settings_new() -> *mut bitgocho_settings;
    pub fn bitgocho_settings_set_str(
        settings: *mut bitgocho_settings,
        key: *const c_char,
        value: *const c_char,
    ) -> bitgocho_status;
    pub fn bitgocho_settings_set_int(settings: *mut bitgocho_settings, key: *const c_char, value: i64)
        -> bitgocho_status;
    pub fn bitgocho_settings_set_bool(settings: *mut bitgocho_settings, key: *const c_char, value: bool)
        -> bitgocho_status;
    pub fn bitgocho_settings_get_str(
        settings: *const bitgocho_settings,
        key: *const c_char,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_settings_get_int(settings: *const bitgocho_settings, key: *const c_char, out: *mut i64)
        -> bitgocho_status;
    pub fn bitgocho_settings_get_bool(settings: *const bitgocho_settings, key: *const c_char, out: *mut bool)
        -> bitgocho_status;
    pub fn bitgocho_settings_free(settings: *mut bitgocho_settings);
}
