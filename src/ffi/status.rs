//! Status codes: their names (`bitgocho_status_str`) and one mapping function per Rust error
//! enum, each storing the error's message as the last error and returning its code.

use std::ffi::c_char;

use super::abi::*;
use super::boundary::boundary_or;
use super::last_error::fail;
use crate::metainfo::create_error::CreateError;
use crate::metainfo::edit::EditError;
use crate::metainfo::{ErrorKind, MetainfoError};

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

/// Maps a torrent-creation error: unreadable input is `BITGOCHO_E_IO`, a cancelled run
/// `BITGOCHO_E_CANCELLED`, anything wrong with the request `BITGOCHO_E_INVALID_ARG`.
pub(crate) fn create_error(err: &CreateError) -> bitgocho_status {
    let code = match err {
        CreateError::Missing { .. } | CreateError::Unreadable { .. } | CreateError::ChangedSize { .. } => BITGOCHO_E_IO,
        CreateError::Cancelled => BITGOCHO_E_CANCELLED,
        CreateError::BadName(_)
        | CreateError::BadPieceSize { .. }
        | CreateError::NoFiles(_)
        | CreateError::SymlinkLoop(_)
        | CreateError::NotAFile(_)
        | CreateError::TooLarge(_) => BITGOCHO_E_INVALID_ARG,
    };
    fail(code, err)
}

/// Maps an editing error: bad bencode is `BITGOCHO_E_BENCODE`, a bencoded value that is not a
/// torrent `BITGOCHO_E_PARSE`, file trouble `BITGOCHO_E_IO`, a refused name `BITGOCHO_E_INVALID_ARG`.
pub(crate) fn edit_error(err: &EditError) -> bitgocho_status {
    fn code(err: &EditError) -> bitgocho_status {
        match err {
            EditError::Decode(_) => BITGOCHO_E_BENCODE,
            EditError::NotADict | EditError::NoInfo | EditError::InfoNotADict => BITGOCHO_E_PARSE,
            EditError::BadName { .. } => BITGOCHO_E_INVALID_ARG,
            EditError::Read { .. } | EditError::Write { .. } => BITGOCHO_E_IO,
            EditError::InFile { source, .. } => code(source),
        }
    }
    fail(code(err), err)
}

/// Maps a metainfo reading error: unreadable file `BITGOCHO_E_IO`, malformed bencode
/// `BITGOCHO_E_BENCODE`, anything else wrong with the torrent `BITGOCHO_E_PARSE`.
pub(crate) fn metainfo_error(err: &MetainfoError) -> bitgocho_status {
    let code = match err.kind() {
        ErrorKind::Io => BITGOCHO_E_IO,
        ErrorKind::InvalidBencoding | ErrorKind::DepthExceeded => BITGOCHO_E_BENCODE,
        _ => BITGOCHO_E_PARSE,
    };
    fail(code, err)
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
