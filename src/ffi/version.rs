//! The version of the loaded library, as a string and as a number.
//!
//! The header's `BITGOCHO_VERSION_*` macros give the version a program was compiled against;
//! these functions give the version of the library it actually runs with. Both come from
//! Cargo.toml, and `BITGOCHO_VERSION_NUMBER` packs them the same way as
//! `bitgocho_version_number()`: `(major << 16) | (minor << 8) | patch`.

use std::ffi::c_char;

use super::boundary::boundary_or;

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// Parses a decimal version component at compile time.
const fn component(text: &str) -> u32 {
    let bytes = text.as_bytes();
    let mut value = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        value = value * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    value
}

/// The packed version number of this build.
pub const VERSION_NUMBER: u32 = (component(env!("CARGO_PKG_VERSION_MAJOR")) << 16)
    | (component(env!("CARGO_PKG_VERSION_MINOR")) << 8)
    | component(env!("CARGO_PKG_VERSION_PATCH"));

/// Returns the version of the loaded library as a static NUL-terminated string such as
/// "0.1.0". Never NULL; must not be freed.
///
/// # Safety
/// Always safe to call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bitgocho_version() -> *const c_char {
    boundary_or! { c"".as_ptr(),
        VERSION.as_ptr().cast()
    }
}

/// Returns the version of the loaded library packed as `(major << 16) | (minor << 8) | patch`,
/// comparable with the header's `BITGOCHO_VERSION_NUMBER`.
///
/// # Safety
/// Always safe to call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bitgocho_version_number() -> u32 {
    boundary_or! { 0,
        VERSION_NUMBER
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_matches_string() {
        let parts: Vec<u32> = env!("CARGO_PKG_VERSION").split('.').map(|p| p.parse().unwrap()).collect();
        assert_eq!(VERSION_NUMBER, (parts[0] << 16) | (parts[1] << 8) | parts[2]);
    }
}
