//! `bitgocho_metainfo`: a parsed .torrent ([`crate::metainfo::Metainfo`]), shared by `Arc`.
//! Parsing, freeing, hashes, sizes and text fields live here; the lists (files, trackers,
//! seeds, nodes) are in `metainfo_lists.rs`.

use std::ffi::c_char;
use std::path::Path;
use std::sync::Arc;

use super::abi::*;
use super::boundary::{self, boundary, boundary_or, try_out, try_ref, try_slice, try_str, Castable, OwnedArc};
use super::buffer::{copy_bytes, copy_str, write_out};
use super::last_error::fail;
use super::status::metainfo_error;
use crate::metainfo::{MetaVersion, Metainfo, MetainfoError};

impl Castable for bitgocho_metainfo {
    type Ownership = OwnedArc;
    type RustType = Metainfo;
}

/// Stores a parse result in `*out` or maps its error.
///
/// # Safety
/// `out` is non-NULL and writable.
unsafe fn give(result: Result<Metainfo, MetainfoError>, out: *mut *const bitgocho_metainfo) -> bitgocho_status {
    match result {
        Ok(mi) => {
            // SAFETY: per the contract.
            unsafe { write_out(out, boundary::arc_into_ptr::<bitgocho_metainfo>(Arc::new(mi))) };
            BITGOCHO_OK
        }
        Err(e) => metainfo_error(&e),
    }
}

/// `value`, or `BITGOCHO_E_NOT_FOUND` saying the torrent has no `what`.
pub(crate) fn present<T>(value: Option<T>, what: &str) -> Result<T, bitgocho_status> {
    value.ok_or_else(|| fail(BITGOCHO_E_NOT_FOUND, format_args!("the torrent has no {what}")))
}

/// Copies an optional string field into a caller buffer.
///
/// # Safety
/// As for [`copy_str`].
unsafe fn str_field(value: Option<&str>, what: &str, buf: *mut u8, cap: usize, out_len: *mut usize) -> bitgocho_status {
    match present(value, what) {
        // SAFETY: forwarded.
        Ok(text) => unsafe { copy_str(text, buf, cap, out_len) },
        Err(status) => status,
    }
}

impl bitgocho_metainfo {
    /// Parses the .torrent in `data` (`len` bytes, copied) and stores a new reference in `*out`
    /// (free with `bitgocho_metainfo_free()`). Returns `BITGOCHO_E_BENCODE` for malformed
    /// bencode and `BITGOCHO_E_PARSE` for anything else that is not a valid torrent; the last
    /// error says what.
    ///
    /// # Safety
    /// `data` points to `len` readable bytes (or is NULL with `len` 0); `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_parse(
        data: *const u8,
        len: usize,
        out: *mut *const bitgocho_metainfo,
    ) -> bitgocho_status {
        boundary! {
            let data = try_slice!(data, len);
            try_out!(out);
            // SAFETY: out checked non-NULL.
            unsafe { give(Metainfo::from_bytes(data), out) }
        }
    }

    /// Reads and parses the .torrent file at `path` (UTF-8) and stores a new reference in
    /// `*out`. Returns `BITGOCHO_E_IO` when the file cannot be read, otherwise as
    /// `bitgocho_metainfo_parse()`.
    ///
    /// # Safety
    /// `path` is NULL or NUL-terminated; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_from_file(
        path: *const c_char,
        out: *mut *const bitgocho_metainfo,
    ) -> bitgocho_status {
        boundary! {
            let path = try_str!(path);
            try_out!(out);
            // SAFETY: out checked non-NULL.
            unsafe { give(Metainfo::from_file(Path::new(path)), out) }
        }
    }

    /// Returns a new reference to the same metainfo (for another thread or owner); each
    /// reference is released with `bitgocho_metainfo_free()`. NULL gives NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_clone(metainfo: *const bitgocho_metainfo) -> *const bitgocho_metainfo {
        boundary_or! { std::ptr::null(),
            // SAFETY: per this function's contract.
            match unsafe { boundary::arc_clone(metainfo) } {
                Some(arc) => boundary::arc_into_ptr::<bitgocho_metainfo>(arc),
                None => std::ptr::null(),
            }
        }
    }

    /// Releases one reference. NULL is a no-op. Must not be called twice on the same reference.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live reference not used afterwards.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_free(metainfo: *const bitgocho_metainfo) {
        boundary_or! { (),
            // SAFETY: per this function's contract.
            unsafe { boundary::arc_free(metainfo) }
        }
    }

    /// Copies the sanitised torrent name (the file name, or the directory name of a
    /// multi-file torrent) into `buf`.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle; `buf` points to `cap` writable bytes (or is NULL with
    /// `cap` 0); `out_len` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_name(
        metainfo: *const bitgocho_metainfo,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            // SAFETY: forwarded from this function's contract.
            unsafe { copy_str(try_ref!(metainfo).name(), buf, cap, out_len) }
        }
    }

    /// Copies the 20-byte v1 info-hash (SHA-1 of the info dictionary as received) into `buf`.
    /// Returns `BITGOCHO_E_NOT_FOUND` for a v2-only torrent.
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_name()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_info_hash_v1(
        metainfo: *const bitgocho_metainfo,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            match present(try_ref!(metainfo).info_hash_v1(), "v1 info-hash") {
                // SAFETY: forwarded from this function's contract.
                Ok(hash) => unsafe { copy_bytes(&hash, buf, cap, out_len) },
                Err(status) => status,
            }
        }
    }

    /// Copies the 32-byte v2 info-hash (SHA-256 of the info dictionary) into `buf`. Returns
    /// `BITGOCHO_E_NOT_FOUND` for a v1-only torrent.
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_name()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_info_hash_v2(
        metainfo: *const bitgocho_metainfo,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            match present(try_ref!(metainfo).info_hash_v2(), "v2 info-hash") {
                // SAFETY: forwarded from this function's contract.
                Ok(hash) => unsafe { copy_bytes(&hash, buf, cap, out_len) },
                Err(status) => status,
            }
        }
    }

    /// True when the torrent has a v1 (SHA-1) part; false for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_has_v1(metainfo: *const bitgocho_metainfo) -> bool {
        boundary_or! { false, try_ref!(metainfo, false).info_hash_v1().is_some() }
    }

    /// True when the torrent has a v2 (SHA-256 merkle) part; false for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_has_v2(metainfo: *const bitgocho_metainfo) -> bool {
        boundary_or! { false, try_ref!(metainfo, false).info_hash_v2().is_some() }
    }

    /// `BITGOCHO_META_V1`, `BITGOCHO_META_V2` or `BITGOCHO_META_HYBRID`; 0 for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_version(metainfo: *const bitgocho_metainfo) -> u32 {
        boundary_or! { 0,
            match try_ref!(metainfo, 0).version() {
                MetaVersion::V1 => BITGOCHO_META_V1,
                MetaVersion::V2 => BITGOCHO_META_V2,
                MetaVersion::Hybrid => BITGOCHO_META_HYBRID,
            }
        }
    }

    /// Bytes per piece; 0 for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_piece_length(metainfo: *const bitgocho_metainfo) -> u64 {
        boundary_or! { 0, try_ref!(metainfo, 0).piece_length() }
    }

    /// Number of pieces; 0 for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_piece_count(metainfo: *const bitgocho_metainfo) -> u64 {
        boundary_or! { 0, try_ref!(metainfo, 0).piece_count() }
    }

    /// Copies the 20-byte v1 SHA-1 hash of piece `index` into `buf`. Returns
    /// `BITGOCHO_E_NOT_FOUND` past the last piece or for a v2-only torrent.
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_name()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_piece_hash(
        metainfo: *const bitgocho_metainfo,
        index: u64,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            match present(try_ref!(metainfo).piece_hash(index), &format!("v1 hash for piece {index}")) {
                // SAFETY: forwarded from this function's contract.
                Ok(hash) => unsafe { copy_bytes(hash, buf, cap, out_len) },
                Err(status) => status,
            }
        }
    }

    /// Writes the size of piece `index` to `*out` (the last piece may be shorter). Returns
    /// `BITGOCHO_E_NOT_FOUND` past the last piece.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_piece_size(
        metainfo: *const bitgocho_metainfo,
        index: u64,
        out: *mut u64,
    ) -> bitgocho_status {
        boundary! {
            let metainfo = try_ref!(metainfo);
            try_out!(out);
            match present(metainfo.piece_size(index), &format!("piece {index}")) {
                // SAFETY: out checked non-NULL.
                Ok(size) => unsafe { write_out(out, size); BITGOCHO_OK },
                Err(status) => status,
            }
        }
    }

    /// True when a v2 torrent carries its `piece layers` (false: like a magnet link, the
    /// layers must come from peers); false for v1 torrents and NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_has_piece_layers(metainfo: *const bitgocho_metainfo) -> bool {
        boundary_or! { false, try_ref!(metainfo, false).has_piece_layers() }
    }

    /// Total size in bytes of all files, pad files included; 0 for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_total_size(metainfo: *const bitgocho_metainfo) -> u64 {
        boundary_or! { 0, try_ref!(metainfo, 0).total_length() }
    }

    /// True for a multi-file torrent (a directory named after the torrent); false for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_is_multi_file(metainfo: *const bitgocho_metainfo) -> bool {
        boundary_or! { false, try_ref!(metainfo, false).is_multi_file() }
    }

    /// True when the BEP 27 private flag is set; false for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_is_private(metainfo: *const bitgocho_metainfo) -> bool {
        boundary_or! { false, try_ref!(metainfo, false).is_private() }
    }

    /// Copies the `announce` URL into `buf`; `BITGOCHO_E_NOT_FOUND` when there is none.
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_name()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_announce(
        metainfo: *const bitgocho_metainfo,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            // SAFETY: forwarded from this function's contract.
            unsafe { str_field(try_ref!(metainfo).announce(), "announce URL", buf, cap, out_len) }
        }
    }

    /// Copies the comment into `buf`; `BITGOCHO_E_NOT_FOUND` when there is none.
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_name()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_comment(
        metainfo: *const bitgocho_metainfo,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            // SAFETY: forwarded from this function's contract.
            unsafe { str_field(try_ref!(metainfo).comment(), "comment", buf, cap, out_len) }
        }
    }

    /// Copies the `created by` string into `buf`; `BITGOCHO_E_NOT_FOUND` when there is none.
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_name()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_created_by(
        metainfo: *const bitgocho_metainfo,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            // SAFETY: forwarded from this function's contract.
            unsafe { str_field(try_ref!(metainfo).created_by(), "`created by`", buf, cap, out_len) }
        }
    }

    /// Writes the `creation date` (Unix seconds) to `*out`; `BITGOCHO_E_NOT_FOUND` when absent.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_creation_date(
        metainfo: *const bitgocho_metainfo,
        out: *mut i64,
    ) -> bitgocho_status {
        boundary! {
            let metainfo = try_ref!(metainfo);
            try_out!(out);
            match present(metainfo.creation_date(), "creation date") {
                // SAFETY: out checked non-NULL.
                Ok(date) => unsafe { write_out(out, date); BITGOCHO_OK },
                Err(status) => status,
            }
        }
    }

    /// Points `*out_data` at the whole .torrent as received and sets `*out_len` to its size.
    /// The bytes belong to `metainfo` and stay valid until its last reference is freed.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle; `out_data` and `out_len` are NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_raw(
        metainfo: *const bitgocho_metainfo,
        out_data: *mut *const u8,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let bytes = try_ref!(metainfo).as_bytes();
            try_out!(out_data);
            try_out!(out_len);
            // SAFETY: both checked non-NULL.
            unsafe {
                write_out(out_data, bytes.as_ptr());
                write_out(out_len, bytes.len());
            }
            BITGOCHO_OK
        }
    }

    /// Points `*out_data` at the info dictionary exactly as received (what the info-hashes
    /// hash) and sets `*out_len`. Valid until the last reference to `metainfo` is freed.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle; `out_data` and `out_len` are NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_info_raw(
        metainfo: *const bitgocho_metainfo,
        out_data: *mut *const u8,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let bytes = try_ref!(metainfo).info_bytes();
            try_out!(out_data);
            try_out!(out_len);
            // SAFETY: both checked non-NULL.
            unsafe {
                write_out(out_data, bytes.as_ptr());
                write_out(out_len, bytes.len());
            }
            BITGOCHO_OK
        }
    }
}
