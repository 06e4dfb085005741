//! `bitgocho_torrent`: a weak handle to one torrent of a session: its status snapshot (an
//! extensible `repr(C)` struct), error text, name, info-hash, metainfo, per-file progress, pieces
//! bitfield, and commands (pause, resume, recheck, announce, scrape, connect, priorities, limits).
//! Once the torrent leaves its session every call returns `BITGOCHO_E_TORRENT_GONE`.

use std::ffi::c_char;

use super::abi::*;
use super::add_params::{peer_address, priorities};
use super::boundary::{self, boundary, boundary_or, try_out, try_ref, try_slice, try_str, Castable, OwnedArc};
use super::buffer::{copy_bytes, copy_str, versioned_len, write_out, write_prefix};
use super::last_error::fail;
use crate::session::status::{PeerInfo, TorrentStatus};
use crate::session::{SessionError, TorrentHandle};

impl Castable for bitgocho_torrent {
    type Ownership = OwnedArc;
    type RustType = TorrentHandle;
}

/// Maps a session error to its status code, recording its message.
pub(crate) fn session_error(err: &SessionError) -> bitgocho_status {
    let code = match err {
        SessionError::Io(e) if e.kind() == std::io::ErrorKind::OutOfMemory => BITGOCHO_E_NO_MEMORY,
        SessionError::Io(_) => BITGOCHO_E_IO,
        SessionError::Add(_) | SessionError::Settings(_) | SessionError::InvalidArgument(_) => BITGOCHO_E_INVALID_ARG,
        SessionError::Shutdown | SessionError::TorrentGone => BITGOCHO_E_TORRENT_GONE,
    };
    fail(code, err)
}

/// The status snapshot of a live torrent, or `BITGOCHO_E_TORRENT_GONE`.
fn live_status(torrent: &TorrentHandle) -> Result<TorrentStatus, bitgocho_status> {
    if torrent.is_valid() {
        Ok(torrent.status())
    } else {
        Err(fail(BITGOCHO_E_TORRENT_GONE, "the torrent is no longer in the session"))
    }
}

/// Copies a text field of a live torrent's status into `buf` (see `copy_str`).
///
/// # Safety
/// `buf` points to `cap` writable bytes (or is NULL with `cap` 0); `out_len` is NULL or writable.
unsafe fn copy_status_str(
    torrent: &TorrentHandle,
    field: impl Fn(&TorrentStatus) -> &str,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> bitgocho_status {
    match live_status(torrent) {
        // SAFETY: forwarded from this function's contract.
        Ok(st) => unsafe { copy_str(field(&st), buf, cap, out_len) },
        Err(status) => status,
    }
}

/// The C struct for an engine status snapshot (with `size` = the full struct).
pub(crate) fn c_status(st: &TorrentStatus) -> bitgocho_torrent_status {
    bitgocho_torrent_status {
        size: std::mem::size_of::<bitgocho_torrent_status>(),
        state: st.state.code(),
        has_error: st.error.is_some(),
        progress: st.progress,
        download_rate: st.download_rate,
        upload_rate: st.upload_rate,
        distributed_copies: st.distributed_copies,
        total_size: st.total_size,
        have_bytes: st.have_bytes,
        downloaded: st.downloaded,
        uploaded: st.uploaded,
        eta_seconds: signed(st.eta_seconds),
        peers: st.peers,
        seeds: st.seeds,
        pieces_have: st.pieces_have,
        pieces_total: st.pieces_total,
        web_seeds: st.web_seeds,
        total_done: st.total_done,
        tracker_seeds: signed(st.tracker_swarm.map(|s| s.0)),
        tracker_leechers: signed(st.tracker_swarm.map(|s| s.1)),
        tracker_downloaded: signed(st.tracker_downloaded),
    }
}

/// The C struct for one peer of a status snapshot.
fn c_peer(p: &PeerInfo) -> bitgocho_peer_info {
    let flags = [
        (p.outgoing, BITGOCHO_PEER_OUTGOING),
        (p.peer_interested, BITGOCHO_PEER_INTERESTED),
        (p.am_choking, BITGOCHO_PEER_CHOKED),
        (p.am_interested, BITGOCHO_PEER_AM_INTERESTED),
        (p.peer_choking, BITGOCHO_PEER_CHOKING_US),
        (p.snubbed, BITGOCHO_PEER_SNUBBED),
        (p.encrypted, BITGOCHO_PEER_ENCRYPTED),
    ];
    bitgocho_peer_info {
        size: std::mem::size_of::<bitgocho_peer_info>(),
        address: super::peer_addr::from_socket_addr(p.addr),
        flags: flags.iter().filter(|(on, _)| *on).map(|(_, bit)| bit).sum(),
        download_rate: p.download_rate,
        upload_rate: p.upload_rate,
        progress: p.progress,
    }
}

/// A count for C: -1 when unknown.
fn signed(n: Option<u64>) -> i64 {
    n.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX))
}

/// `sizeof(bitgocho_torrent_status)` in its first version (up to `web_seeds`): the smallest
/// size a caller may pass.
const STATUS_V1_SIZE: usize = std::mem::offset_of!(bitgocho_torrent_status, total_done);

/// Stores in `*out` a count read from the status of live torrent `torrent`.
///
/// # Safety
/// `out` is non-NULL and writable.
unsafe fn write_count(
    torrent: &TorrentHandle,
    out: *mut usize,
    count: impl FnOnce(&TorrentStatus) -> usize,
) -> bitgocho_status {
    match live_status(torrent) {
        // SAFETY: per this function's contract.
        Ok(st) => unsafe {
            write_out(out, count(&st));
            BITGOCHO_OK
        },
        Err(status) => status,
    }
}

/// Runs a command on a live torrent, mapping its error.
fn command(torrent: &TorrentHandle, run: impl FnOnce(&TorrentHandle) -> Result<(), SessionError>) -> bitgocho_status {
    if !torrent.is_valid() {
        return fail(BITGOCHO_E_TORRENT_GONE, "the torrent is no longer in the session");
    }
    match run(torrent) {
        Ok(()) => BITGOCHO_OK,
        Err(e) => session_error(&e),
    }
}

impl bitgocho_torrent {
    /// Fills `*out` with the torrent's latest status snapshot, which the session's thread
    /// refreshes about four times a second (so it may lag an event by that much). Set `out->size` to
    /// `sizeof(bitgocho_torrent_status)` first. Fields are only ever appended: a caller built
    /// with an older, shorter struct gets the fields it knows, one built with a newer, larger
    /// struct gets this version's; either way `out->size` is set to the bytes filled. A size
    /// smaller than the first version's struct is `BITGOCHO_E_INVALID_ARG`.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle; `out` is NULL or points to `out->size` writable bytes.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_get_status(
        torrent: *const bitgocho_torrent,
        out: *mut bitgocho_torrent_status,
    ) -> bitgocho_status {
        boundary! {
            let torrent = try_ref!(torrent);
            try_out!(out);
            // SAFETY: out is non-NULL and, per the contract, its size field is readable.
            let size = unsafe { std::ptr::addr_of!((*out).size) };
            // SAFETY: as above.
            let filled = match unsafe { versioned_len::<bitgocho_torrent_status>(size, STATUS_V1_SIZE, "status") } {
                Ok(n) => n,
                Err(status) => return status,
            };
            match live_status(torrent) {
                // SAFETY: out is non-NULL and holds at least `filled` writable bytes.
                Ok(st) => unsafe { write_prefix(out, bitgocho_torrent_status { size: filled, ..c_status(&st) }, filled); BITGOCHO_OK },
                Err(status) => status,
            }
        }
    }

    /// Copies the text of the error that stopped the torrent into `buf` (empty when none).
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle; `buf` points to `cap` writable bytes (or is NULL with
    /// `cap` 0); `out_len` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_error(
        torrent: *const bitgocho_torrent,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            // SAFETY: forwarded from this function's contract.
            unsafe { copy_status_str(try_ref!(torrent), |st| st.error.as_deref().unwrap_or(""), buf, cap, out_len) }
        }
    }

    /// Copies the torrent's name into `buf`.
    ///
    /// # Safety
    /// As for `bitgocho_torrent_error()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_name(
        torrent: *const bitgocho_torrent,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            // SAFETY: forwarded from this function's contract.
            unsafe { copy_status_str(try_ref!(torrent), |st| &st.name, buf, cap, out_len) }
        }
    }

    /// Copies the directory the torrent's files are saved under into `buf`: absolute (a
    /// relative save path is taken from the working directory when the torrent was added), and
    /// changed by `bitgocho_torrent_move_storage()`.
    ///
    /// # Safety
    /// As for `bitgocho_torrent_error()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_save_path(
        torrent: *const bitgocho_torrent,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            // SAFETY: forwarded from this function's contract.
            unsafe { copy_status_str(try_ref!(torrent), |st| &st.save_path, buf, cap, out_len) }
        }
    }

    /// Stores a new reference to the torrent's metainfo in `*out` (free it with
    /// `bitgocho_metainfo_free()`). For a torrent added from a magnet link it is the fetched
    /// info dictionary with the link's trackers and web seeds, so `bitgocho_metainfo_raw()`
    /// gives a .torrent to save; until the metadata is in (`BITGOCHO_STATE_METADATA`) the call
    /// returns `BITGOCHO_E_NOT_FOUND`. Works after removal too.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_metainfo(
        torrent: *const bitgocho_torrent,
        out: *mut *const bitgocho_metainfo,
    ) -> bitgocho_status {
        boundary! {
            let torrent = try_ref!(torrent);
            try_out!(out);
            match torrent.metainfo() {
                // SAFETY: out checked non-NULL.
                Some(meta) => unsafe { write_out(out, boundary::arc_into_ptr::<bitgocho_metainfo>(meta)); BITGOCHO_OK },
                None => fail(BITGOCHO_E_NOT_FOUND, "the torrent's metadata has not arrived yet"),
            }
        }
    }

    /// Copies the torrent's 20-byte info-hash into `buf` (binary, no terminator): the v1 hash,
    /// or for a v2-only torrent its SHA-256 info-hash truncated to 20 bytes, as peers and
    /// trackers know it. Works after removal too: the hash names the torrent.
    ///
    /// # Safety
    /// As for `bitgocho_torrent_error()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_info_hash(
        torrent: *const bitgocho_torrent,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let torrent = try_ref!(torrent);
            // SAFETY: forwarded from this function's contract.
            unsafe { copy_bytes(&torrent.info_hash(), buf, cap, out_len) }
        }
    }

    /// The torrent's id in its session (as `bitgocho_event_torrent_id()` reports); 0 for NULL.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_id(torrent: *const bitgocho_torrent) -> u32 {
        boundary_or! { 0,
            try_ref!(torrent, 0).id()
        }
    }

    /// Stores the number of files (pad files included, as in the metainfo) in `*out`.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_file_count(
        torrent: *const bitgocho_torrent,
        out: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let torrent = try_ref!(torrent);
            try_out!(out);
            // SAFETY: out checked non-NULL.
            unsafe { write_count(torrent, out, |st| st.file_progress.len()) }
        }
    }

    /// Stores in `*out` the bytes of file `index` present in verified pieces. Returns
    /// `BITGOCHO_E_NOT_FOUND` past the last file.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_file_progress(
        torrent: *const bitgocho_torrent,
        index: usize,
        out: *mut u64,
    ) -> bitgocho_status {
        boundary! {
            let torrent = try_ref!(torrent);
            try_out!(out);
            let st = match live_status(torrent) {
                Ok(st) => st,
                Err(status) => return status,
            };
            match st.file_progress.get(index) {
                // SAFETY: out checked non-NULL.
                Some(&bytes) => unsafe { write_out(out, bytes); BITGOCHO_OK },
                None => fail(BITGOCHO_E_NOT_FOUND, format_args!("file {index} of {}", st.file_progress.len())),
            }
        }
    }

    /// Stores in `*out` the number of connected peers listed by `bitgocho_torrent_peer_info()`
    /// (of the torrent's latest status snapshot).
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_peer_count(
        torrent: *const bitgocho_torrent,
        out: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let torrent = try_ref!(torrent);
            try_out!(out);
            // SAFETY: out checked non-NULL.
            unsafe { write_count(torrent, out, |st| st.peer_list.len()) }
        }
    }

    /// Fills `*out` (its `size` set by the caller) with connected peer `index` of the torrent's
    /// latest status snapshot: address, `BITGOCHO_PEER_*` flags, rates and progress (libtorrent's
    /// `get_peer_info`). Returns `BITGOCHO_E_NOT_FOUND` past the last peer (the list can shrink
    /// between calls), `BITGOCHO_E_INVALID_ARG` for a `size` smaller than the first version.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle; `out` is NULL or points to `out->size` writable bytes.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_peer_info(
        torrent: *const bitgocho_torrent,
        index: usize,
        out: *mut bitgocho_peer_info,
    ) -> bitgocho_status {
        boundary! {
            let torrent = try_ref!(torrent);
            try_out!(out);
            let full = std::mem::size_of::<bitgocho_peer_info>();
            // SAFETY: out is non-NULL and, per the contract, its size field is readable.
            let size = unsafe { std::ptr::addr_of!((*out).size) };
            // SAFETY: as above.
            if let Err(status) = unsafe { versioned_len::<bitgocho_peer_info>(size, full, "peer info") } {
                return status;
            }
            let st = match live_status(torrent) {
                Ok(st) => st,
                Err(status) => return status,
            };
            match st.peer_list.get(index) {
                // SAFETY: out is non-NULL and holds at least `full` writable bytes.
                Some(p) => unsafe { write_prefix(out, c_peer(p), full); BITGOCHO_OK },
                None => fail(BITGOCHO_E_NOT_FOUND, format_args!("peer {index} of {}", st.peer_list.len())),
            }
        }
    }

    /// Copies the pieces we have into `buf`: one bit per piece, high bit of byte 0 first, as the
    /// BitTorrent bitfield message (`(pieces + 7) / 8` bytes).
    ///
    /// # Safety
    /// As for `bitgocho_torrent_error()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_pieces(
        torrent: *const bitgocho_torrent,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let torrent = try_ref!(torrent);
            match live_status(torrent) {
                // SAFETY: forwarded from this function's contract.
                Ok(st) => unsafe { copy_bytes(&st.pieces, buf, cap, out_len) },
                Err(status) => status,
            }
        }
    }

    /// Sets one `BITGOCHO_PRIORITY_*` per file; `count` must be the file count. Applied
    /// asynchronously; an unknown code is `BITGOCHO_E_INVALID_ARG`.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle; `priorities` points to `count` readable bytes.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_set_file_priorities(
        torrent: *const bitgocho_torrent,
        priorities: *const u8,
        count: usize,
    ) -> bitgocho_status {
        boundary! {
            let torrent = try_ref!(torrent);
            let codes = try_slice!(priorities, count);
            let list = match self::priorities(codes) {
                Ok(list) => list,
                Err(status) => return status,
            };
            let files = torrent.status().file_progress.len();
            if count != files {
                return fail(BITGOCHO_E_INVALID_ARG, format_args!("{count} file priorities for {files} files"));
            }
            command(torrent, |t| t.set_file_priorities(list))
        }
    }

    /// Sets piece `index`'s priority to a `BITGOCHO_PRIORITY_*` code (libtorrent's
    /// `piece_priority`), for example to fetch the pieces a player needs next first; a later
    /// `bitgocho_torrent_set_file_priorities()` sets every piece again. Applied asynchronously.
    /// Returns `BITGOCHO_E_INVALID_ARG` for an unknown code, `BITGOCHO_E_NOT_FOUND` for an index
    /// past the last piece.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_set_piece_priority(
        torrent: *const bitgocho_torrent,
        index: u32,
        priority: u8,
    ) -> bitgocho_status {
        boundary! {
            let torrent = try_ref!(torrent);
            let Some(prio) = super::add_params::priority(priority) else {
                return fail(BITGOCHO_E_INVALID_ARG, format_args!("priority {priority} is not 0..=3"));
            };
            let pieces = torrent.status().pieces_total;
            if index >= pieces {
                return fail(BITGOCHO_E_NOT_FOUND, format_args!("piece {index} of {pieces}"));
            }
            command(torrent, |t| t.set_piece_priority(index, prio))
        }
    }

    /// Switches sequential download on or off: pieces are fetched in index order (within file
    /// priorities) instead of rarest first, so a file can be played while it downloads. Off by
    /// default. For a magnet link's torrent it takes effect once the metadata is in.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_set_sequential_download(
        torrent: *const bitgocho_torrent,
        on: bool,
    ) -> bitgocho_status {
        boundary! { command(try_ref!(torrent), |t| t.set_sequential_download(on)) }
    }

    /// Moves the torrent's files to save directory `path` (created when missing), as
    /// libtorrent's `move_storage`: the torrent pauses, its files are renamed there (copied, then
    /// deleted, across file systems; a file already there is never replaced) and it resumes
    /// unless it was paused. Returns once the move is queued; the outcome comes as
    /// `BITGOCHO_EVENT_STORAGE_MOVED` or `BITGOCHO_EVENT_STORAGE_MOVE_FAILED`, after which the
    /// files are in one place or the other. A torrent still fetching its metadata cannot move.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle; `path` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_move_storage(
        torrent: *const bitgocho_torrent,
        path: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let torrent = try_ref!(torrent);
            let path = try_str!(path);
            if path.is_empty() {
                return fail(BITGOCHO_E_INVALID_ARG, "save path is empty");
            }
            command(torrent, |t| t.move_storage(path))
        }
    }

    /// Adds tracker `url` (http, https or udp) to tier `tier` of the torrent's announce-list
    /// (a new last tier when `tier` is past the last), as libtorrent's `add_tracker`. BEP 12
    /// order applies: a tracker in a later tier, or behind one that answers, is asked only when
    /// the ones before it fail; a torrent without trackers announces to it at once. A URL
    /// listed already is left as it is; one that is no tracker URL is `BITGOCHO_E_INVALID_ARG`.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle; `url` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_add_tracker(
        torrent: *const bitgocho_torrent,
        url: *const c_char,
        tier: usize,
    ) -> bitgocho_status {
        boundary! {
            let torrent = try_ref!(torrent);
            let url = try_str!(url);
            command(torrent, |t| t.add_tracker(url, tier))
        }
    }

    /// Switches super-seeding (BEP 16) on or off; it takes effect once the data is complete.
    /// Switching it on while seeding drops the torrent's connections and announces again.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_set_super_seed(
        torrent: *const bitgocho_torrent,
        on: bool,
    ) -> bitgocho_status {
        boundary! { command(try_ref!(torrent), |t| t.set_super_seed(on)) }
    }

    /// Pauses the torrent: announces `stopped` and disconnects its peers.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_pause(torrent: *const bitgocho_torrent) -> bitgocho_status {
        boundary! { command(try_ref!(torrent), TorrentHandle::pause) }
    }

    /// Resumes a paused torrent.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_resume(torrent: *const bitgocho_torrent) -> bitgocho_status {
        boundary! { command(try_ref!(torrent), TorrentHandle::resume) }
    }

    /// Verifies all of the torrent's data again (state becomes `BITGOCHO_STATE_CHECKING`; a
    /// `BITGOCHO_EVENT_CHECKED` event follows).
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_force_recheck(torrent: *const bitgocho_torrent) -> bitgocho_status {
        boundary! { command(try_ref!(torrent), TorrentHandle::force_recheck) }
    }

    /// Announces to the torrent's trackers now.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_force_announce(torrent: *const bitgocho_torrent) -> bitgocho_status {
        boundary! { command(try_ref!(torrent), TorrentHandle::force_announce) }
    }

    /// Asks the torrent's tracker for the swarm's counts (BEP 48 scrape; the tracker that
    /// answered the last announce, or the first one): `BITGOCHO_EVENT_SCRAPE_REPLY` follows with
    /// the counts in the status, or `BITGOCHO_EVENT_SCRAPE_FAILED` naming the problem.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_scrape(torrent: *const bitgocho_torrent) -> bitgocho_status {
        boundary! { command(try_ref!(torrent), TorrentHandle::scrape) }
    }

    /// Connects to the peer at `host:port` (IPv6 in brackets; a name is resolved now).
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle; `address` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_connect_peer(
        torrent: *const bitgocho_torrent,
        address: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let torrent = try_ref!(torrent);
            let address = try_str!(address);
            match peer_address(address) {
                Ok(addr) => command(torrent, |t| t.connect_peer(addr)),
                Err(status) => status,
            }
        }
    }

    /// Sets this torrent's upload and download limits in bytes per second (0: unlimited).
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_set_rate_limits(
        torrent: *const bitgocho_torrent,
        upload: u64,
        download: u64,
    ) -> bitgocho_status {
        boundary! { command(try_ref!(torrent), |t| t.set_rate_limits(upload, download)) }
    }

    /// Returns a new handle to the same torrent (release each with `bitgocho_torrent_free()`).
    /// NULL gives NULL.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_clone(torrent: *const bitgocho_torrent) -> *const bitgocho_torrent {
        boundary_or! { std::ptr::null(),
            // SAFETY: per this function's contract.
            match unsafe { boundary::arc_clone(torrent) } {
                Some(arc) => boundary::arc_into_ptr::<bitgocho_torrent>(arc),
                None => std::ptr::null(),
            }
        }
    }

    /// Releases this handle (the torrent stays in its session). NULL is a no-op; must not be
    /// called twice on the same handle.
    ///
    /// # Safety
    /// `torrent` is NULL or a live handle not used afterwards.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_torrent_free(torrent: *const bitgocho_torrent) {
        boundary_or! { (),
            // SAFETY: per this function's contract.
            unsafe { boundary::arc_free(torrent) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::status::TorrentState;

    #[test]
    fn the_c_status_carries_every_field_and_unknown_eta_is_minus_one() {
        let st = TorrentStatus {
            state: TorrentState::Seeding,
            progress: 1.0,
            total_size: 1000,
            have_bytes: 1000,
            downloaded: 7,
            uploaded: 9,
            peers: 3,
            seeds: 1,
            distributed_copies: 1.5,
            pieces_have: 4,
            pieces_total: 4,
            error: Some("disk full".into()),
            ..TorrentStatus::default()
        };
        let c = c_status(&st);
        assert_eq!((c.state, c.has_error, c.eta_seconds), (BITGOCHO_STATE_SEEDING, true, -1));
        assert_eq!((c.total_size, c.have_bytes, c.downloaded, c.uploaded), (1000, 1000, 7, 9));
        assert_eq!((c.peers, c.seeds, c.pieces_have, c.pieces_total), (3, 1, 4, 4));
        assert_eq!(c.size, std::mem::size_of::<bitgocho_torrent_status>());
        let c = c_status(&TorrentStatus { eta_seconds: Some(12), ..TorrentStatus::default() });
        assert_eq!((c.eta_seconds, c.has_error, c.state), (12, false, BITGOCHO_STATE_CHECKING));
    }

    #[test]
    fn session_errors_map_to_status_codes() {
        assert_eq!(session_error(&SessionError::TorrentGone), BITGOCHO_E_TORRENT_GONE);
        assert_eq!(session_error(&SessionError::Add("bad".into())), BITGOCHO_E_INVALID_ARG);
        assert_eq!(session_error(&SessionError::Settings("bad".into())), BITGOCHO_E_INVALID_ARG);
        let io = std::io::Error::new(std::io::ErrorKind::AddrInUse, "taken");
        assert_eq!(session_error(&SessionError::Io(io)), BITGOCHO_E_IO);
    }
}
