//! `bitgocho_add_params`: the builder of what `bitgocho_session_add_torrent()` adds: a metainfo
//! (a handle or a .torrent file), the save path, and options (paused, check hashes, file
//! priorities, peers to connect to, rate limits).

use std::ffi::c_char;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::abi::*;
use super::boundary::{self, boundary, boundary_or, try_mut, try_slice, try_str, Castable, OwnedBox};
use super::last_error::fail;
use super::status::metainfo_error;
use crate::metainfo::magnet::MagnetLink;
use crate::metainfo::Metainfo;
use crate::session::{AddParams, Priority, TorrentSource};

/// The value behind a `bitgocho_add_params` handle.
#[derive(Debug, Clone, Default)]
pub struct AddParamsBuilder {
    source: Option<TorrentSource>,
    save_path: Option<PathBuf>,
    paused: bool,
    skip_check: bool,
    file_priorities: Vec<Priority>,
    peers: Vec<SocketAddr>,
    max_upload_rate: u64,
    max_download_rate: u64,
    top_level_name: Option<String>,
    super_seed: bool,
}

impl Castable for bitgocho_add_params {
    type Ownership = OwnedBox;
    type RustType = AddParamsBuilder;
}

/// The engine priority for a `BITGOCHO_PRIORITY_*` code.
pub(crate) fn priority(code: u8) -> Option<Priority> {
    match code {
        BITGOCHO_PRIORITY_SKIP => Some(Priority::Skip),
        BITGOCHO_PRIORITY_LOW => Some(Priority::Low),
        BITGOCHO_PRIORITY_NORMAL => Some(Priority::Normal),
        BITGOCHO_PRIORITY_HIGH => Some(Priority::High),
        _ => None,
    }
}

/// The engine priorities for `codes`, or `BITGOCHO_E_INVALID_ARG` naming the first bad one.
pub(crate) fn priorities(codes: &[u8]) -> Result<Vec<Priority>, bitgocho_status> {
    codes
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            priority(c).ok_or_else(|| fail(BITGOCHO_E_INVALID_ARG, format_args!("file {i}: priority {c} is not 0..=3")))
        })
        .collect()
}

/// Resolves `host:port` (an IPv6 host in brackets) to its first address.
pub(crate) fn peer_address(text: &str) -> Result<SocketAddr, bitgocho_status> {
    let bad = |why: &dyn std::fmt::Display| fail(BITGOCHO_E_INVALID_ARG, format_args!("peer `{text}`: {why}"));
    let mut addrs = text.to_socket_addrs().map_err(|e| bad(&e))?;
    addrs.next().ok_or_else(|| bad(&"the name has no address"))
}

impl AddParamsBuilder {
    /// The engine's add parameters, or `BITGOCHO_E_INVALID_ARG` when something required is unset.
    pub(crate) fn build(&self) -> Result<AddParams, bitgocho_status> {
        let source = self.source.clone().ok_or_else(|| {
            fail(BITGOCHO_E_INVALID_ARG, "add params: no torrent set (set_metainfo, set_torrent_file or set_magnet)")
        })?;
        let save_path =
            self.save_path.clone().ok_or_else(|| fail(BITGOCHO_E_INVALID_ARG, "add params: no save path set"))?;
        if let TorrentSource::Metainfo(metainfo) = &source {
            let files = metainfo.files().len();
            if !self.file_priorities.is_empty() && self.file_priorities.len() != files {
                let given = self.file_priorities.len();
                return Err(fail(BITGOCHO_E_INVALID_ARG, format_args!("{given} file priorities for {files} files")));
            }
        }
        let mut params = AddParams::from_source(source, save_path);
        params.paused = self.paused;
        params.check_hashes = !self.skip_check;
        params.file_priorities = self.file_priorities.clone();
        params.peers = self.peers.clone();
        params.max_upload_rate = self.max_upload_rate;
        params.max_download_rate = self.max_download_rate;
        params.top_level_name = self.top_level_name.clone();
        params.super_seed = self.super_seed;
        Ok(params)
    }
}

impl bitgocho_add_params {
    /// Creates empty add parameters (not paused, checking existing data, every file at normal
    /// priority, no limits), owned by the caller (free with `bitgocho_add_params_free()`). A
    /// metainfo and a save path must be set before adding. Never returns NULL.
    ///
    /// # Safety
    /// Always safe to call.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_add_params_new() -> *mut bitgocho_add_params {
        boundary_or! { std::ptr::null_mut(),
            boundary::box_into_ptr::<bitgocho_add_params>(AddParamsBuilder::default())
        }
    }

    /// Sets the torrent to add (a new reference is taken; the caller keeps its own).
    ///
    /// # Safety
    /// `params` is NULL or a live handle not used concurrently; `metainfo` is NULL or live.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_add_params_set_metainfo(
        params: *mut bitgocho_add_params,
        metainfo: *const bitgocho_metainfo,
    ) -> bitgocho_status {
        boundary! {
            let params = try_mut!(params);
            // SAFETY: per this function's contract.
            let Some(meta) = (unsafe { boundary::arc_clone(metainfo) }) else {
                return super::last_error::null_arg("metainfo");
            };
            params.source = Some(TorrentSource::Metainfo(meta));
            BITGOCHO_OK
        }
    }

    /// Reads the .torrent file at `path` as the torrent to add. Returns `BITGOCHO_E_IO` when it
    /// cannot be read, `BITGOCHO_E_BENCODE` / `BITGOCHO_E_PARSE` when it is not a valid torrent.
    ///
    /// # Safety
    /// `params` is NULL or a live handle not used concurrently; `path` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_add_params_set_torrent_file(
        params: *mut bitgocho_add_params,
        path: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let params = try_mut!(params);
            let path = try_str!(path);
            match Metainfo::from_file(Path::new(path)) {
                Ok(meta) => {
                    params.source = Some(TorrentSource::Metainfo(Arc::new(meta)));
                    BITGOCHO_OK
                }
                Err(e) => metainfo_error(&e),
            }
        }
    }

    /// Sets a magnet link (`magnet:?xt=urn:btih:...`, or `xt=urn:btmh:1220...` for a v2
    /// torrent) as the torrent to add, instead of a metainfo: once added, the torrent fetches its
    /// info dictionary from the link's peers (`x.pe`), its trackers (`tr`) and peers added by
    /// hand (BEP 9), and for a v2-only torrent its piece layers (BEP 52 hash requests), in state
    /// `BITGOCHO_STATE_METADATA`, then checks, downloads and seeds like any torrent
    /// (`BITGOCHO_EVENT_METADATA_RECEIVED`). Returns `BITGOCHO_E_PARSE` for a malformed link.
    ///
    /// # Safety
    /// `params` is NULL or a live handle not used concurrently; `uri` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_add_params_set_magnet(
        params: *mut bitgocho_add_params,
        uri: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let params = try_mut!(params);
            let uri = try_str!(uri);
            match MagnetLink::parse(uri) {
                Ok(link) => {
                    params.source = Some(TorrentSource::Magnet(link));
                    BITGOCHO_OK
                }
                Err(e) => fail(BITGOCHO_E_PARSE, e),
            }
        }
    }

    /// Sets the directory the torrent's files are saved under (created when missing).
    ///
    /// # Safety
    /// `params` is NULL or a live handle not used concurrently; `path` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_add_params_set_save_path(
        params: *mut bitgocho_add_params,
        path: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let params = try_mut!(params);
            let path = try_str!(path);
            if path.is_empty() {
                return fail(BITGOCHO_E_INVALID_ARG, "save path is empty");
            }
            params.save_path = Some(PathBuf::from(path));
            BITGOCHO_OK
        }
    }

    /// Saves the torrent's top-level file (single-file torrent) or directory (multi-file) under
    /// `name` instead of the metainfo's name; NULL restores the metainfo's name. `name` must be
    /// one path component (no `/`, not `.` or `..`), else `BITGOCHO_E_INVALID_ARG`.
    ///
    /// # Safety
    /// `params` is NULL or a live handle not used concurrently; `name` is NULL or a
    /// NUL-terminated UTF-8 string.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_add_params_set_name(
        params: *mut bitgocho_add_params,
        name: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let params = try_mut!(params);
            if name.is_null() {
                params.top_level_name = None;
                return BITGOCHO_OK;
            }
            let name = try_str!(name);
            if !crate::metainfo::sanitize::is_safe_component(name) {
                return fail(BITGOCHO_E_INVALID_ARG, format_args!("name {name:?} is not one path component"));
            }
            params.top_level_name = Some(name.to_string());
            BITGOCHO_OK
        }
    }

    /// Whether the torrent super-seeds (BEP 16) once its data is complete (default false).
    ///
    /// # Safety
    /// `params` is NULL or a live handle not used concurrently.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_add_params_set_super_seed(
        params: *mut bitgocho_add_params,
        on: bool,
    ) -> bitgocho_status {
        boundary! {
            try_mut!(params).super_seed = on;
            BITGOCHO_OK
        }
    }

    /// Whether the torrent starts paused (default false).
    ///
    /// # Safety
    /// `params` is NULL or a live handle not used concurrently.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_add_params_set_paused(
        params: *mut bitgocho_add_params,
        paused: bool,
    ) -> bitgocho_status {
        boundary! {
            try_mut!(params).paused = paused;
            BITGOCHO_OK
        }
    }

    /// Whether existing data is verified before use (default true). With false, data found on
    /// disk is trusted only when a fast-resume record vouches for it.
    ///
    /// # Safety
    /// `params` is NULL or a live handle not used concurrently.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_add_params_set_check_hashes(
        params: *mut bitgocho_add_params,
        check: bool,
    ) -> bitgocho_status {
        boundary! {
            try_mut!(params).skip_check = !check;
            BITGOCHO_OK
        }
    }

    /// Sets one `BITGOCHO_PRIORITY_*` per file (`count` must equal the torrent's file count when
    /// it is added; 0 resets to all normal). Returns `BITGOCHO_E_INVALID_ARG` for an unknown code.
    ///
    /// # Safety
    /// `params` is NULL or a live handle not used concurrently; `priorities` points to `count`
    /// readable bytes.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_add_params_set_file_priorities(
        params: *mut bitgocho_add_params,
        priorities: *const u8,
        count: usize,
    ) -> bitgocho_status {
        boundary! {
            let params = try_mut!(params);
            let codes = try_slice!(priorities, count);
            match self::priorities(codes) {
                Ok(list) => {
                    params.file_priorities = list;
                    BITGOCHO_OK
                }
                Err(status) => status,
            }
        }
    }

    /// Adds a peer to connect to as soon as the torrent starts, as `host:port` (IPv6 in
    /// brackets; a name is resolved now). Returns `BITGOCHO_E_INVALID_ARG` when it does not
    /// resolve.
    ///
    /// # Safety
    /// `params` is NULL or a live handle not used concurrently; `address` is NULL or
    /// NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_add_params_add_peer(
        params: *mut bitgocho_add_params,
        address: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let params = try_mut!(params);
            let address = try_str!(address);
            match peer_address(address) {
                Ok(addr) => {
                    params.peers.push(addr);
                    BITGOCHO_OK
                }
                Err(status) => status,
            }
        }
    }

    /// Sets the torrent's own upload and download limits in bytes per second (0: unlimited).
    ///
    /// # Safety
    /// `params` is NULL or a live handle not used concurrently.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_add_params_set_rate_limits(
        params: *mut bitgocho_add_params,
        upload: u64,
        download: u64,
    ) -> bitgocho_status {
        boundary! {
            let params = try_mut!(params);
            params.max_upload_rate = upload;
            params.max_download_rate = download;
            BITGOCHO_OK
        }
    }

    /// Releases `params`. NULL is a no-op. Must not be called twice on the same value.
    ///
    /// # Safety
    /// `params` is NULL or a live handle not used afterwards.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_add_params_free(params: *mut bitgocho_add_params) {
        boundary_or! { (),
            // SAFETY: per this function's contract.
            drop(unsafe { boundary::box_from_ptr(params) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_map_codes_and_refuse_unknown_ones() {
        assert_eq!(
            priorities(&[0, 1, 2, 3]).unwrap(),
            vec![Priority::Skip, Priority::Low, Priority::Normal, Priority::High]
        );
        assert_eq!(priorities(&[2, 9]).unwrap_err(), BITGOCHO_E_INVALID_ARG);
        assert!(super::super::last_error::message().contains("file 1: priority 9"));
    }

    #[test]
    fn build_needs_a_torrent_and_a_save_path() {
        let mut b = AddParamsBuilder::default();
        assert_eq!(b.build().unwrap_err(), BITGOCHO_E_INVALID_ARG);
        assert!(super::super::last_error::message().contains("no torrent set"));
        b.source =
            Some(TorrentSource::Magnet(MagnetLink::parse(&format!("magnet:?xt=urn:btih:{}", "0".repeat(40))).unwrap()));
        assert_eq!(b.build().unwrap_err(), BITGOCHO_E_INVALID_ARG);
        assert!(super::super::last_error::message().contains("no save path"));
        b.save_path = Some("/tmp".into());
        assert!(matches!(b.build().unwrap().source, TorrentSource::Magnet(_)));
    }

    #[test]
    fn peers_parse_with_ports_and_refuse_garbage() {
        assert_eq!(peer_address("127.0.0.1:6881").unwrap(), "127.0.0.1:6881".parse().unwrap());
        assert_eq!(peer_address("[::1]:80").unwrap(), "[::1]:80".parse().unwrap());
        assert_eq!(peer_address("no port here").unwrap_err(), BITGOCHO_E_INVALID_ARG);
    }
}
