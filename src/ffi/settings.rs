//! `bitgocho_settings`: named options set from C by string key, copied by the objects that take
//! them (tracker, session), which look their keys up with [`Settings::get`] and reject what they
//! do not know. New options therefore never add symbols.

use std::collections::BTreeMap;
use std::ffi::c_char;

use super::abi::*;
use super::boundary::{self, boundary, boundary_or, try_mut, try_out, try_ref, try_str, Castable, OwnedBox};
use super::buffer::{copy_str, write_out};
use super::last_error::fail;

/// One option value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    /// A UTF-8 string.
    Str(String),
    /// A signed 64-bit integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
}

/// The options behind a `bitgocho_settings` handle: key to value, last write wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    values: BTreeMap<String, SettingValue>,
}

impl Settings {
    /// The value set for `key`, if any.
    pub fn get(&self, key: &str) -> Option<&SettingValue> {
        self.values.get(key)
    }

    /// All keys and values, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &SettingValue)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Sets `key` to `value`, replacing any earlier value.
    pub fn set(&mut self, key: &str, value: SettingValue) {
        self.values.insert(key.to_string(), value);
    }
}

impl Castable for bitgocho_settings {
    type Ownership = OwnedBox;
    type RustType = Settings;
}

/// Sets `key` after checking it is not empty.
fn set_checked(settings: &mut Settings, key: &str, value: SettingValue) -> bitgocho_status {
    if key.is_empty() {
        return fail(BITGOCHO_E_INVALID_ARG, "setting key is empty");
    }
    settings.set(key, value);
    BITGOCHO_OK
}

/// The value of `key`, or the status for a missing key.
fn lookup<'a>(settings: &'a Settings, key: &str) -> Result<&'a SettingValue, bitgocho_status> {
    settings.get(key).ok_or_else(|| fail(BITGOCHO_E_NOT_FOUND, format_args!("setting `{key}` is not set")))
}

/// The status for a value of the wrong type.
fn wrong_type(key: &str, wanted: &str, value: &SettingValue) -> bitgocho_status {
    fail(BITGOCHO_E_INVALID_ARG, format_args!("setting `{key}` is not {wanted}: {value:?}"))
}

impl bitgocho_settings {
    /// Creates an empty settings object, owned by the caller (free with `bitgocho_settings_free()`).
    /// Never returns NULL.
    ///
    /// # Safety
    /// Always safe to call.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_settings_new() -> *mut bitgocho_settings {
        boundary_or! { std::ptr::null_mut(),
            boundary::box_into_ptr::<bitgocho_settings>(Settings::default())
        }
    }

    /// Sets `key` to the UTF-8 string `value` (copied), replacing any earlier value of any type.
    /// Returns `BITGOCHO_E_INVALID_ARG` for an empty key or non-UTF-8 text.
    ///
    /// # Safety
    /// `settings` is NULL or a live handle not used concurrently; `key` and `value` are NULL or
    /// NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_settings_set_str(
        settings: *mut bitgocho_settings,
        key: *const c_char,
        value: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let settings = try_mut!(settings);
            let key = try_str!(key);
            let value = try_str!(value);
            set_checked(settings, key, SettingValue::Str(value.to_string()))
        }
    }

    /// Sets `key` to the integer `value`, replacing any earlier value of any type.
    ///
    /// # Safety
    /// `settings` is NULL or a live handle not used concurrently; `key` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_settings_set_int(
        settings: *mut bitgocho_settings,
        key: *const c_char,
        value: i64,
    ) -> bitgocho_status {
        boundary! {
            let settings = try_mut!(settings);
            let key = try_str!(key);
            set_checked(settings, key, SettingValue::Int(value))
        }
    }

    /// Sets `key` to the boolean `value`, replacing any earlier value of any type.
    ///
    /// # Safety
    /// `settings` is NULL or a live handle not used concurrently; `key` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_settings_set_bool(
        settings: *mut bitgocho_settings,
        key: *const c_char,
        value: bool,
    ) -> bitgocho_status {
        boundary! {
            let settings = try_mut!(settings);
            let key = try_str!(key);
            set_checked(settings, key, SettingValue::Bool(value))
        }
    }

    /// Copies the string value of `key` into `buf` (NUL-terminated, length in `*out_len`).
    /// Returns `BITGOCHO_E_NOT_FOUND` if `key` is not set, `BITGOCHO_E_INVALID_ARG` if it holds
    /// another type, `BITGOCHO_E_BUFFER_TOO_SMALL` with the needed capacity in `*out_len`.
    ///
    /// # Safety
    /// `settings` is NULL or a live handle; `key` is NULL or NUL-terminated; `buf` points to `cap`
    /// writable bytes (or is NULL with `cap` 0); `out_len` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_settings_get_str(
        settings: *const bitgocho_settings,
        key: *const c_char,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let settings = try_ref!(settings);
            let key = try_str!(key);
            match lookup(settings, key) {
                // SAFETY: forwarded from this function's contract.
                Ok(SettingValue::Str(s)) => unsafe { copy_str(s, buf, cap, out_len) },
                Ok(other) => wrong_type(key, "a string", other),
                Err(status) => status,
            }
        }
    }

    /// Writes the integer value of `key` to `*out`. Returns `BITGOCHO_E_NOT_FOUND` if `key` is
    /// not set, `BITGOCHO_E_INVALID_ARG` if it holds another type.
    ///
    /// # Safety
    /// `settings` is NULL or a live handle; `key` is NULL or NUL-terminated; `out` is NULL or
    /// writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_settings_get_int(
        settings: *const bitgocho_settings,
        key: *const c_char,
        out: *mut i64,
    ) -> bitgocho_status {
        boundary! {
            let settings = try_ref!(settings);
            let key = try_str!(key);
            try_out!(out);
            match lookup(settings, key) {
                // SAFETY: out checked non-NULL.
                Ok(SettingValue::Int(v)) => unsafe { write_out(out, *v); BITGOCHO_OK },
                Ok(other) => wrong_type(key, "an integer", other),
                Err(status) => status,
            }
        }
    }

    /// Writes the boolean value of `key` to `*out`. Returns `BITGOCHO_E_NOT_FOUND` if `key` is
    /// not set, `BITGOCHO_E_INVALID_ARG` if it holds another type.
    ///
    /// # Safety
    /// `settings` is NULL or a live handle; `key` is NULL or NUL-terminated; `out` is NULL or
    /// writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_settings_get_bool(
        settings: *const bitgocho_settings,
        key: *const c_char,
        out: *mut bool,
    ) -> bitgocho_status {
        boundary! {
            let settings = try_ref!(settings);
            let key = try_str!(key);
            try_out!(out);
            match lookup(settings, key) {
                // SAFETY: out checked non-NULL.
                Ok(SettingValue::Bool(v)) => unsafe { write_out(out, *v); BITGOCHO_OK },
                Ok(other) => wrong_type(key, "a boolean", other),
                Err(status) => status,
            }
        }
    }

    /// Releases `settings`. NULL is a no-op. Must not be called twice on the same value.
    ///
    /// # Safety
    /// `settings` is NULL or a live handle not used afterwards.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_settings_free(settings: *mut bitgocho_settings) {
        boundary_or! { (),
            // SAFETY: per this function's contract.
            drop(unsafe { boundary::box_from_ptr(settings) })
        }
    }
}
