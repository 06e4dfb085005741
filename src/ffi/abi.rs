//! The types of the C ABI: status codes, opaque handle types and callback types.
//!
//! This file is self-contained (only `core` types) because the ABI test crate
//! (`tests/abi-test`) includes it as-is and compares every item with `include/bitgocho.h`.
//! Status codes are stable: never renumber or reuse one; retire a code by leaving it as a comment.

use core::ffi::c_void;

/// A status code returned by every fallible function: `BITGOCHO_OK` (0) or one of the
/// `BITGOCHO_E_*` codes. `bitgocho_status_str()` names a code; `bitgocho_last_error()` gives the
/// detail message of the last failing call on the calling thread. Outputs are written only on
/// `BITGOCHO_OK`.
pub type bitgocho_status = u32;

/// Success.
pub const BITGOCHO_OK: bitgocho_status = 0;

// --- arguments (1xx)
/// A pointer argument that must not be NULL was NULL.
pub const BITGOCHO_E_NULL_ARG: bitgocho_status = 100;
/// An argument was out of range, not UTF-8, or otherwise not acceptable.
pub const BITGOCHO_E_INVALID_ARG: bitgocho_status = 101;
/// The caller's buffer is too small; `*out_len` holds the needed capacity and nothing else changed.
pub const BITGOCHO_E_BUFFER_TOO_SMALL: bitgocho_status = 102;

// --- state (2xx)
/// Nothing is available now; try again later.
pub const BITGOCHO_E_AGAIN: bitgocho_status = 200;
/// The requested item (key, file, tier, torrent...) does not exist.
pub const BITGOCHO_E_NOT_FOUND: bitgocho_status = 201;
/// The item already exists.
pub const BITGOCHO_E_DUPLICATE: bitgocho_status = 202;
/// The torrent behind a handle has been removed from its session.
pub const BITGOCHO_E_TORRENT_GONE: bitgocho_status = 203;
/// The session or tracker is shutting down.
pub const BITGOCHO_E_SHUTDOWN: bitgocho_status = 204;
/// The operation was cancelled by the caller.
pub const BITGOCHO_E_CANCELLED: bitgocho_status = 205;

// --- data (3xx)
/// The input is well-formed bencode but not valid for its purpose (e.g. a bad .torrent).
pub const BITGOCHO_E_PARSE: bitgocho_status = 300;
/// The input is not valid bencode.
pub const BITGOCHO_E_BENCODE: bitgocho_status = 301;
/// Data did not match its expected hash.
pub const BITGOCHO_E_HASH_MISMATCH: bitgocho_status = 302;

// --- system (4xx)
/// An operating-system input/output error (file missing, permission denied, disk full...).
pub const BITGOCHO_E_IO: bitgocho_status = 400;
/// Memory could not be allocated.
pub const BITGOCHO_E_NO_MEMORY: bitgocho_status = 401;
/// The operation or option is not supported by this build or platform.
pub const BITGOCHO_E_UNSUPPORTED: bitgocho_status = 402;

// --- library faults (9xx)
/// An internal error: a bug in libbitgocho.
pub const BITGOCHO_E_INTERNAL: bitgocho_status = 900;
/// libbitgocho panicked inside the call; the panic was caught at the boundary. Handles passed to
/// the failing call are still valid but may be in an unspecified state.
pub const BITGOCHO_E_PANIC: bitgocho_status = 901;

// --- metainfo versions (bitgocho_metainfo_version() and the editor's version setting)
/// Build a v1 (BEP 3, SHA-1) torrent.
pub const BITGOCHO_META_V1: u32 = 1;
/// Build a v2 (BEP 52, SHA-256 merkle) torrent.
pub const BITGOCHO_META_V2: u32 = 2;
/// Build a hybrid torrent (both v1 and v2 hashes).
pub const BITGOCHO_META_HYBRID: u32 = 3;

// --- file attribute bits (BEP 47), from bitgocho_metainfo_file_attributes()
/// A pad file: zeros that fill the piece stream, not written to disk.
pub const BITGOCHO_FILE_PAD: u32 = 1;
/// The file is executable.
pub const BITGOCHO_FILE_EXECUTABLE: u32 = 2;
/// The file is hidden.
pub const BITGOCHO_FILE_HIDDEN: u32 = 4;
/// The file is a symbolic link.
pub const BITGOCHO_FILE_SYMLINK: u32 = 8;

/// Progress callback: `done` out of `total` units (bytes hashed) are finished. Runs on the thread
/// that made the call it was passed to; `userdata` is the pointer given with the callback.
/// Must not call back into the object being worked on.
pub type bitgocho_progress_cb = Option<unsafe extern "C" fn(userdata: *mut c_void, done: u64, total: u64)>;

/// An owned byte string returned by the library (a built .torrent, raw metainfo...): read it
/// with `bitgocho_bytes_data()` and `bitgocho_bytes_len()`, release it with `bitgocho_bytes_free()`.
/// Immutable; safe to read from several threads.
pub struct bitgocho_bytes {
    _private: [u8; 0],
}

/// A set of named options (string keys with string, integer or boolean values) given to the
/// objects that take settings, which copy it. Not safe for concurrent mutation.
pub struct bitgocho_settings {
    _private: [u8; 0],
}

/// A parsed, immutable .torrent (v1, v2 or hybrid). Reference-counted: `bitgocho_metainfo_clone()`
/// gives another reference and each one is released with `bitgocho_metainfo_free()`. Every
/// getter is safe to call from several threads at once.
pub struct bitgocho_metainfo {
    _private: [u8; 0],
}

/// A builder for a .torrent: either new from files to hash, or edits of an existing metainfo.
/// Not safe for concurrent use, except `bitgocho_metainfo_editor_cancel()`; free it with
/// `bitgocho_metainfo_editor_free()`.
pub struct bitgocho_metainfo_editor {
    _private: [u8; 0],
}

// ===== session, torrent, events (src/ffi/{session,torrent,event,add_params}.rs) =====

// --- torrent states (bitgocho_torrent_status.state)
/// Verifying existing data (also while paused: the check goes on).
pub const BITGOCHO_STATE_CHECKING: u32 = 0;
/// Fetching pieces.
pub const BITGOCHO_STATE_DOWNLOADING: u32 = 1;
/// Complete; uploading to others.
pub const BITGOCHO_STATE_SEEDING: u32 = 2;
/// Stopped by the user (once any check of its data is done).
pub const BITGOCHO_STATE_PAUSED: u32 = 3;
/// Stopped by an error (see `bitgocho_torrent_error()`).
pub const BITGOCHO_STATE_ERROR: u32 = 4;
/// Added from a magnet link: fetching the info dictionary from peers (`progress` is the
/// fraction received; the name is the link's `dn` or the info-hash in hex; size, files and
/// pieces are unknown until it is in).
pub const BITGOCHO_STATE_METADATA: u32 = 5;
/// Waiting in the download queue (the `max_active_downloads` setting) for another download to end.
pub const BITGOCHO_STATE_QUEUED: u32 = 6;

// --- file priorities (bitgocho_torrent_set_file_priorities(), bitgocho_add_params_set_file_priorities())
/// Do not download the file.
pub const BITGOCHO_PRIORITY_SKIP: u8 = 0;
/// Download after everything of higher priority.
pub const BITGOCHO_PRIORITY_LOW: u8 = 1;
/// The default priority.
pub const BITGOCHO_PRIORITY_NORMAL: u8 = 2;
/// Download before everything else.
pub const BITGOCHO_PRIORITY_HIGH: u8 = 3;

// --- event kinds (bitgocho_event_kind()); stable, never renumbered
/// A torrent was added to the session.
pub const BITGOCHO_EVENT_ADDED: u32 = 1;
/// Checking a torrent's existing data finished (`bitgocho_event_count()`: pieces found good).
pub const BITGOCHO_EVENT_CHECKED: u32 = 2;
/// A piece was downloaded and verified (`bitgocho_event_piece()`).
pub const BITGOCHO_EVENT_PIECE_FINISHED: u32 = 3;
/// A downloaded piece failed its hash check (`bitgocho_event_piece()`).
pub const BITGOCHO_EVENT_HASH_FAILED: u32 = 4;
/// Every wanted piece of a torrent is here.
pub const BITGOCHO_EVENT_FINISHED: u32 = 5;
/// A tracker answered (`bitgocho_event_url()`, `bitgocho_event_count()`: peers received,
/// `bitgocho_event_message()`: its warning, if any).
pub const BITGOCHO_EVENT_TRACKER_REPLY: u32 = 6;
/// A tracker failed or refused (`bitgocho_event_url()`, `bitgocho_event_message()`).
pub const BITGOCHO_EVENT_TRACKER_ERROR: u32 = 7;
/// A peer was banned for sending corrupt data (`bitgocho_event_peer()`).
pub const BITGOCHO_EVENT_PEER_BANNED: u32 = 8;
/// Reading or writing a torrent's files failed and the torrent stopped (`bitgocho_event_message()`).
pub const BITGOCHO_EVENT_STORAGE_ERROR: u32 = 9;
/// A torrent was removed from the session.
pub const BITGOCHO_EVENT_REMOVED: u32 = 10;
/// The session started listening (`bitgocho_event_port()`) or failed to (`bitgocho_event_message()`).
pub const BITGOCHO_EVENT_LISTENING: u32 = 11;
/// The event queue was full and events were dropped (`bitgocho_event_count()`: how many).
pub const BITGOCHO_EVENT_EVENTS_DROPPED: u32 = 12;
/// An HTTP seed (BEP 17 or 19) failed (`bitgocho_event_url()`, `bitgocho_event_message()`); it
/// retries later, unless it served corrupt data and was dropped.
pub const BITGOCHO_EVENT_WEB_SEED_ERROR: u32 = 13;
/// A torrent added from a magnet link has its metadata; its files, size and pieces are known.
pub const BITGOCHO_EVENT_METADATA_RECEIVED: u32 = 14;
/// A torrent added from a magnet link received metadata that cannot make a torrent
/// (`message`); it stopped (`BITGOCHO_STATE_ERROR`).
pub const BITGOCHO_EVENT_METADATA_FAILED: u32 = 15;
/// A tracker answered a scrape (`bitgocho_torrent_scrape()`, or when an announce reply left the
/// counts out): URL; the counts are in the status (`tracker_seeds`, `tracker_leechers`,
/// `tracker_downloaded`).
pub const BITGOCHO_EVENT_SCRAPE_REPLY: u32 = 16;
/// A scrape failed: URL (empty when the torrent has no tracker) and message.
pub const BITGOCHO_EVENT_SCRAPE_FAILED: u32 = 17;
/// A torrent's files moved (`bitgocho_torrent_move_storage()`); `bitgocho_event_message()`
/// gives the new save directory.
pub const BITGOCHO_EVENT_STORAGE_MOVED: u32 = 18;
/// A move of a torrent's files failed (`bitgocho_event_message()`); they stay where they were.
pub const BITGOCHO_EVENT_STORAGE_MOVE_FAILED: u32 = 19;

/// A BitTorrent session: a listening port, worker threads and many torrents. Made by
/// `bitgocho_session_new()`, freed by `bitgocho_session_free()` (which stops and joins its
/// threads). Every function taking a session is safe to call from several threads at once.
pub struct bitgocho_session {
    _private: [u8; 0],
}

/// A reference to one torrent of a session (weak: it does not keep the torrent in the session).
/// After the torrent is removed or the session freed, calls return `BITGOCHO_E_TORRENT_GONE`.
/// Released with `bitgocho_torrent_free()`; safe to use from several threads at once.
pub struct bitgocho_torrent {
    _private: [u8; 0],
}

/// What to add to a session and how: metainfo, save path and options. A builder made by
/// `bitgocho_add_params_new()`, consumed by nothing (free it with `bitgocho_add_params_free()`).
/// Not safe for concurrent mutation.
pub struct bitgocho_add_params {
    _private: [u8; 0],
}

/// One event popped from a session's queue, owned by the caller: read it with the
/// `bitgocho_event_*` getters and release it with `bitgocho_event_free()`.
pub struct bitgocho_event {
    _private: [u8; 0],
}

/// Totals over the torrents now in a session, filled by `bitgocho_session_get_stats()`. Set
/// `size` to `sizeof(bitgocho_session_stats)` before the call; fields are only ever appended.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct bitgocho_session_stats {
    /// In: the caller's `sizeof(bitgocho_session_stats)`. Out: the bytes the library filled.
    pub size: usize,
    /// Torrents in the session (those still fetching their metadata included).
    pub torrents: u32,
    /// Connected peers over all torrents.
    pub peers: u32,
    /// Payload download rate, bytes per second.
    pub download_rate: f64,
    /// Payload upload rate, bytes per second.
    pub upload_rate: f64,
    /// Payload bytes downloaded by the torrents in the session since each was added.
    pub total_downloaded: u64,
    /// Payload bytes uploaded by the torrents in the session since each was added.
    pub total_uploaded: u64,
    /// Nodes in the DHT's routing table.
    pub dht_nodes: u64,
}

/// A snapshot of a torrent's status, filled by `bitgocho_torrent_get_status()`. Set `size` to
/// `sizeof(bitgocho_torrent_status)` before the call. Fields are only ever appended (never
/// reordered or removed), so a caller built against an older header keeps working.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct bitgocho_torrent_status {
    /// In: the caller's `sizeof(bitgocho_torrent_status)`. Out: the bytes the library filled.
    pub size: usize,
    /// One of the `BITGOCHO_STATE_*` codes.
    pub state: u32,
    /// True when the torrent stopped on an error (text from `bitgocho_torrent_error()`).
    pub has_error: bool,
    /// Fraction of wanted bytes present, 0..1 (of data checked while checking).
    pub progress: f64,
    /// Payload download rate, bytes per second.
    pub download_rate: f64,
    /// Payload upload rate, bytes per second.
    pub upload_rate: f64,
    /// Complete copies of the torrent among connected peers, with the fractional part.
    pub distributed_copies: f64,
    /// Total size of the torrent's files in bytes.
    pub total_size: u64,
    /// Bytes of verified pieces present.
    pub have_bytes: u64,
    /// Payload bytes downloaded in this session.
    pub downloaded: u64,
    /// Payload bytes uploaded in this session.
    pub uploaded: u64,
    /// Estimated seconds until complete at the current rate, rounded up (0 only once complete);
    /// -1 when unknown.
    pub eta_seconds: i64,
    /// Connected peers.
    pub peers: u32,
    /// Connected peers that have every piece.
    pub seeds: u32,
    /// Pieces present.
    pub pieces_have: u32,
    /// Pieces in the torrent.
    pub pieces_total: u32,
    /// HTTP seeds (BEP 17 `httpseeds`, BEP 19 `url-list`) working now: fetching, or ready and not
    /// backing off after an error.
    pub web_seeds: u32,
    /// Bytes present: verified pieces plus the received blocks of unfinished ones (libtorrent's
    /// `total_done`). Added in the second version of this struct.
    pub total_done: u64,
    /// Seeds the tracker reported (announce reply or scrape); -1 when unknown. Added in the
    /// third version of this struct, with the two fields after it.
    pub tracker_seeds: i64,
    /// Leechers the tracker reported; -1 when unknown.
    pub tracker_leechers: i64,
    /// Completed downloads the tracker recorded (from a scrape); -1 when unknown.
    pub tracker_downloaded: i64,
}

/// `bitgocho_peer_info.flags`: we dialled the peer (without it, the peer connected to us).
pub const BITGOCHO_PEER_OUTGOING: u32 = 1;
/// `bitgocho_peer_info.flags`: the peer is interested in our pieces.
pub const BITGOCHO_PEER_INTERESTED: u32 = 2;
/// `bitgocho_peer_info.flags`: we choke the peer.
pub const BITGOCHO_PEER_CHOKED: u32 = 4;
/// `bitgocho_peer_info.flags`: we are interested in the peer's pieces.
pub const BITGOCHO_PEER_AM_INTERESTED: u32 = 8;
/// `bitgocho_peer_info.flags`: the peer chokes us.
pub const BITGOCHO_PEER_CHOKING_US: u32 = 16;
/// `bitgocho_peer_info.flags`: the peer unchoked us but sent nothing for a while (snubbed).
pub const BITGOCHO_PEER_SNUBBED: u32 = 32;
/// `bitgocho_peer_info.flags`: the connection is encrypted (MSE with RC4).
pub const BITGOCHO_PEER_ENCRYPTED: u32 = 64;

/// One connected peer of a torrent, filled by `bitgocho_torrent_peer_info()`. Set `size` to
/// `sizeof(bitgocho_peer_info)` before the call. Fields are only ever appended, so a caller
/// built against an older header keeps working.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct bitgocho_peer_info {
    /// In: the caller's `sizeof(bitgocho_peer_info)`. Out: the bytes the library filled.
    pub size: usize,
    /// The peer's address.
    pub address: bitgocho_peer_addr,
    /// `BITGOCHO_PEER_*` bits.
    pub flags: u32,
    /// Payload rate from the peer to us, bytes per second.
    pub download_rate: f64,
    /// Payload rate from us to the peer, bytes per second.
    pub upload_rate: f64,
    /// Fraction of the torrent the peer has, 0..1.
    pub progress: f64,
}

// --- tracker (bitgocho_tracker_*)
/// `bitgocho_peer_addr.family` of an IPv4 address (first 4 bytes of `addr`).
pub const BITGOCHO_PEER_IPV4: u8 = 4;
/// `bitgocho_peer_addr.family` of an IPv6 address (all 16 bytes of `addr`).
pub const BITGOCHO_PEER_IPV6: u8 = 6;

/// The address of the client of a request, as the host saw it (the host decides whether to
/// trust proxy headers such as X-Forwarded-For before filling it). Plain data, filled by the
/// caller: `family` is `BITGOCHO_PEER_IPV4` (address in `addr[0..4]`, rest ignored) or
/// `BITGOCHO_PEER_IPV6` (all 16 bytes; IPv4-mapped addresses count as IPv4); `addr` is in
/// network byte order, `port` in host byte order.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct bitgocho_peer_addr {
    /// `BITGOCHO_PEER_IPV4` or `BITGOCHO_PEER_IPV6`.
    pub family: u8,
    /// The address bytes, network byte order.
    pub addr: [u8; 16],
    /// The port, host byte order.
    pub port: u16,
}

/// Statistics of a tracker, filled by `bitgocho_tracker_stats()`. The caller sets `size` to
/// `sizeof(bitgocho_tracker_statistics)` before the call. Fields are only ever appended, and a later
/// library fills only the fields that fit in `size`, so programs built against this version keep
/// working.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct bitgocho_tracker_statistics {
    /// Set by the caller: the size of the structure it passes, in bytes.
    pub size: usize,
    /// Torrents tracked.
    pub torrents: u64,
    /// Seeds over all torrents.
    pub seeds: u64,
    /// Leechers over all torrents.
    pub leechers: u64,
    /// Announces answered (HTTP and UDP) since the tracker was made.
    pub announces: u64,
    /// Scrapes answered (HTTP and UDP).
    pub scrapes: u64,
    /// UDP connect requests answered.
    pub udp_connects: u64,
    /// Requests refused: malformed, not authorised, banned address, bad connection id.
    pub rejected: u64,
    /// State-file saves done.
    pub saves: u64,
}

/// An embedded BitTorrent tracker (the core of `bttrack` without its sockets and threads):
/// the host feeds it HTTP request targets and UDP datagrams and sends the replies itself.
/// Reference-counted (`bitgocho_tracker_clone()`, `bitgocho_tracker_free()`); every function is
/// safe to call from many threads at once on the same handle.
pub struct bitgocho_tracker {
    _private: [u8; 0],
}
