//! The lists of a `bitgocho_metainfo`: files, tracker tiers, HTTP and web seeds, DHT nodes.
//! Counts return 0 for NULL; items are read by index, and an index past the end gives
//! `BITGOCHO_E_NOT_FOUND`.

use super::abi::*;
use super::boundary::{boundary, boundary_or, try_out, try_ref};
use super::buffer::{copy_bytes, copy_str, write_out};
use super::metainfo::present;
use crate::metainfo::{FileEntry, Metainfo};

/// File `index`, or `BITGOCHO_E_NOT_FOUND`.
fn file(metainfo: &Metainfo, index: usize) -> Result<&FileEntry, bitgocho_status> {
    present(metainfo.files().get(index), &format!("file {index}"))
}

/// Copies item `index` of a string list, or reports `BITGOCHO_E_NOT_FOUND`.
///
/// # Safety
/// As for [`copy_str`].
unsafe fn list_item(
    list: &[String],
    index: usize,
    what: &str,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> bitgocho_status {
    match present(list.get(index), &format!("{what} {index}")) {
        // SAFETY: forwarded.
        Ok(item) => unsafe { copy_str(item, buf, cap, out_len) },
        Err(status) => status,
    }
}

/// Writes a per-file number through `out`, or reports a bad index.
///
/// # Safety
/// `out` is NULL or writable.
unsafe fn file_number(
    metainfo: &Metainfo,
    index: usize,
    out: *mut u64,
    field: fn(&FileEntry) -> u64,
) -> bitgocho_status {
    try_out!(out);
    match file(metainfo, index) {
        // SAFETY: out checked non-NULL.
        Ok(f) => unsafe {
            write_out(out, field(f));
            BITGOCHO_OK
        },
        Err(status) => status,
    }
}

impl bitgocho_metainfo {
    /// Number of files, pad files included; 0 for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_file_count(metainfo: *const bitgocho_metainfo) -> usize {
        boundary_or! { 0, try_ref!(metainfo, 0).files().len() }
    }

    /// Copies the sanitised path of file `index`, components joined by '/', into `buf`. For a
    /// multi-file torrent the first component is the torrent name. The path never escapes the
    /// save directory.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle; `buf` points to `cap` writable bytes (or is NULL with
    /// `cap` 0); `out_len` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_file_path(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            match file(try_ref!(metainfo), index) {
                // SAFETY: forwarded from this function's contract.
                Ok(f) => unsafe { copy_str(&f.path().joined(), buf, cap, out_len) },
                Err(status) => status,
            }
        }
    }

    /// Writes the length in bytes of file `index` to `*out`.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_file_length(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        out: *mut u64,
    ) -> bitgocho_status {
        boundary! {
            // SAFETY: forwarded from this function's contract.
            unsafe { file_number(try_ref!(metainfo), index, out, FileEntry::length) }
        }
    }

    /// Writes the offset of file `index`'s first byte in the torrent's byte stream to `*out`.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_file_offset(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        out: *mut u64,
    ) -> bitgocho_status {
        boundary! {
            // SAFETY: forwarded from this function's contract.
            unsafe { file_number(try_ref!(metainfo), index, out, FileEntry::offset) }
        }
    }

    /// Writes the BEP 47 attributes of file `index` to `*out` as `BITGOCHO_FILE_*` bits.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_file_attributes(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        out: *mut u32,
    ) -> bitgocho_status {
        boundary! {
            let metainfo = try_ref!(metainfo);
            try_out!(out);
            let attrs = match file(metainfo, index) {
                Ok(f) => f.attributes(),
                Err(status) => return status,
            };
            let bits = [
                (attrs.pad, BITGOCHO_FILE_PAD),
                (attrs.executable, BITGOCHO_FILE_EXECUTABLE),
                (attrs.hidden, BITGOCHO_FILE_HIDDEN),
                (attrs.symlink, BITGOCHO_FILE_SYMLINK),
            ];
            let value = bits.iter().filter(|(set, _)| *set).fold(0, |acc, (_, bit)| acc | bit);
            // SAFETY: out checked non-NULL.
            unsafe { write_out(out, value) };
            BITGOCHO_OK
        }
    }

    /// Copies the 32-byte v2 merkle root (`pieces root`) of file `index` into `buf`;
    /// `BITGOCHO_E_NOT_FOUND` for v1-only torrents, empty files and pad files.
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_file_path()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_file_pieces_root(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let root = file(try_ref!(metainfo), index)
                .and_then(|f| present(f.pieces_root(), &format!("pieces root for file {index}")));
            match root {
                // SAFETY: forwarded from this function's contract.
                Ok(root) => unsafe { copy_bytes(root, buf, cap, out_len) },
                Err(status) => status,
            }
        }
    }

    /// Copies the v2 piece layer of file `index` (32 bytes per piece of the file, checked
    /// against its pieces root) into `buf`; `BITGOCHO_E_NOT_FOUND` for files of at most one
    /// piece, v1-only torrents, or when the .torrent carries no layers.
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_file_path()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_file_piece_layer(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            match present(try_ref!(metainfo).piece_layer(index), &format!("piece layer for file {index}")) {
                // SAFETY: forwarded from this function's contract.
                Ok(layer) => unsafe { copy_bytes(layer.as_flattened(), buf, cap, out_len) },
                Err(status) => status,
            }
        }
    }

    /// Copies where symlink file `index` points (sanitised, '/'-joined, relative to the save
    /// directory and never outside it) into `buf`; `BITGOCHO_E_NOT_FOUND` for other files.
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_file_path()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_file_symlink_target(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let target = file(try_ref!(metainfo), index)
                .and_then(|f| present(f.symlink_target(), &format!("symlink target for file {index}")));
            match target {
                // SAFETY: forwarded from this function's contract.
                Ok(target) => unsafe { copy_str(&target.joined(), buf, cap, out_len) },
                Err(status) => status,
            }
        }
    }

    /// Writes the modification time (`mtime`, Unix seconds) of file `index` to `*out`;
    /// `BITGOCHO_E_NOT_FOUND` when the torrent does not give one.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_file_mtime(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        out: *mut i64,
    ) -> bitgocho_status {
        boundary! {
            let metainfo = try_ref!(metainfo);
            try_out!(out);
            match file(metainfo, index).and_then(|f| present(f.mtime(), &format!("mtime for file {index}"))) {
                // SAFETY: out checked non-NULL.
                Ok(mtime) => unsafe { write_out(out, mtime); BITGOCHO_OK },
                Err(status) => status,
            }
        }
    }

    /// Number of tracker tiers (`announce-list`, BEP 12); 0 when absent or for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_tier_count(metainfo: *const bitgocho_metainfo) -> usize {
        boundary_or! { 0, try_ref!(metainfo, 0).announce_list().len() }
    }

    /// Number of tracker URLs in tier `tier`; 0 past the last tier or for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_tier_size(metainfo: *const bitgocho_metainfo, tier: usize) -> usize {
        boundary_or! { 0, try_ref!(metainfo, 0).announce_list().get(tier).map_or(0, Vec::len) }
    }

    /// Copies URL `index` of tracker tier `tier` into `buf`.
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_file_path()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_tracker(
        metainfo: *const bitgocho_metainfo,
        tier: usize,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            match present(try_ref!(metainfo).announce_list().get(tier), &format!("tracker tier {tier}")) {
                // SAFETY: forwarded from this function's contract.
                Ok(urls) => unsafe { list_item(urls, index, "tracker", buf, cap, out_len) },
                Err(status) => status,
            }
        }
    }

    /// Number of BEP 17 HTTP seeds (`httpseeds`); 0 for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_http_seed_count(metainfo: *const bitgocho_metainfo) -> usize {
        boundary_or! { 0, try_ref!(metainfo, 0).http_seeds().len() }
    }

    /// Copies HTTP seed `index` into `buf`.
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_file_path()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_http_seed(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            // SAFETY: forwarded from this function's contract.
            unsafe { list_item(try_ref!(metainfo).http_seeds(), index, "HTTP seed", buf, cap, out_len) }
        }
    }

    /// Number of BEP 19 web seeds (`url-list`); 0 for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_url_seed_count(metainfo: *const bitgocho_metainfo) -> usize {
        boundary_or! { 0, try_ref!(metainfo, 0).url_list().len() }
    }

    /// Copies web seed `index` into `buf` (percent-encoded, with a trailing '/' for multi-file
    /// torrents).
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_file_path()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_url_seed(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            // SAFETY: forwarded from this function's contract.
            unsafe { list_item(try_ref!(metainfo).url_list(), index, "web seed", buf, cap, out_len) }
        }
    }

    /// Number of DHT bootstrap nodes (`nodes`); 0 for NULL.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_node_count(metainfo: *const bitgocho_metainfo) -> usize {
        boundary_or! { 0, try_ref!(metainfo, 0).nodes().len() }
    }

    /// Copies the host of DHT node `index` into `buf` and writes its port to `*out_port`.
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_file_path()`; `out_port` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_node(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
        out_port: *mut u16,
    ) -> bitgocho_status {
        boundary! {
            let metainfo = try_ref!(metainfo);
            try_out!(out_port);
            let (host, port) = match present(metainfo.nodes().get(index), &format!("DHT node {index}")) {
                Ok(node) => node,
                Err(status) => return status,
            };
            // SAFETY: forwarded from this function's contract.
            let status = unsafe { copy_str(host, buf, cap, out_len) };
            if status == BITGOCHO_OK {
                // SAFETY: out_port checked non-NULL.
                unsafe { write_out(out_port, *port) };
            }
            status
        }
    }
}
