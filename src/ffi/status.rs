//! Status codes: their names (`bitgocho_status_str`) and one mapping function per Rust error
//! enum, each storing the error's message as the last error and returning its code.

use std::ffi::c_char;

use super::abi::*;
use super::boundary::boundary_or;
use super::last_error::fail;
use crate::bencode::DecodeError;

/// The static, NUL-terminated description of a status code.
fn describe(status: bitgocho_status) -> &'static str {
    match status {
        BITGOCHO_OK => "ok\0",
        BITGOCHO_E_NULL_ARG => "a required pointer argument was NULL\0",
        BITGOCHO_E_INVALID_ARG => "invalid argument\0",
        BITGOCHO_E_BUFFER_TOO_SMALL => "buffer too small\0",
        BITGOCHO_E_AGAIN => "nothing available now, try again\0",
        BITGOCHO_E_NOT_FOUND => "not found\0",
        BITGOCHO_E_DUPLICATE => "already exists\0",
        BITGOCHO_E_TORRENT_GONE => "the torrent was removed\0",
        BITGOCHO_E_SHUTDOWN => "shutting down\0",
        BITGOCHO_E_CANCELLED => "cancelled\0",
        BITGOCHO_E_PARSE => "invalid data\0",
        BITGOCHO_E_BENCODE => "invalid bencode\0",
        BITGOCHO_E_HASH_MISMATCH => "hash mismatch\0",
        BITGOCHO_E_IO => "input/output error\0",
        BITGOCHO_E_NO_MEMORY => "out of memory\0",
        BITGOCHO_E_UNSUPPORTED => "unsupported\0",
        BITGOCHO_E_INTERNAL => "internal error\0",
        BITGOCHO_E_PANIC => "internal panic\0",
        _ => "unknown status code\0",
    }
}

/// Maps an I/O error to `BITGOCHO_E_IO` (or `BITGOCHO_E_NO_MEMORY`), recording `context: error`.
pub(crate) fn io_error(context: &str, err: &std::io::Error) -> bitgocho_status {
    let code = if err.kind() == std::io::ErrorKind::OutOfMemory { BITGOCHO_E_NO_MEMORY } else { BITGOCHO_E_IO };
    fail(code, format_args!("{context}: {err}"))
}

/// Maps a bencode decoding error to `BITGOCHO_E_BENCODE`.
pub(crate) fn bencode_error(err: &DecodeError) -> bitgocho_status {
    fail(BITGOCHO_E_BENCODE, err)
}

/// Returns a static, NUL-terminated English description of `status`, for logs. Never NULL;
/// unknown codes give "unknown status code". The string must not be freed.
///
/// # Safety
/// Always safe to call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bitgocho_status_str(status: bitgocho_status) -> *const c_char {
    boundary_or! { c"internal panic".as_ptr(),
        describe(status).as_ptr().cast()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_description_is_nul_terminated_and_distinct() {
        let codes = [
            BITGOCHO_OK,
            BITGOCHO_E_NULL_ARG,
            BITGOCHO_E_INVALID_ARG,
            BITGOCHO_E_BUFFER_TOO_SMALL,
            BITGOCHO_E_AGAIN,
            BITGOCHO_E_NOT_FOUND,
            BITGOCHO_E_DUPLICATE,
            BITGOCHO_E_TORRENT_GONE,
            BITGOCHO_E_SHUTDOWN,
            BITGOCHO_E_CANCELLED,
            BITGOCHO_E_PARSE,
            BITGOCHO_E_BENCODE,
            BITGOCHO_E_HASH_MISMATCH,
            BITGOCHO_E_IO,
            BITGOCHO_E_NO_MEMORY,
            BITGOCHO_E_UNSUPPORTED,
            BITGOCHO_E_INTERNAL,
            BITGOCHO_E_PANIC,
        ];
        let mut seen = std::collections::HashSet::new();
        for code in codes {
            let text = describe(code);
            assert!(text.ends_with('\0') && !text[..text.len() - 1].contains('\0'), "{code}");
            assert!(seen.insert(text), "duplicate text for {code}");
            assert_ne!(text, describe(u32::MAX), "code {code} has no description");
        }
    }
}
