//! `bitgocho_session`: a running engine made from a `bitgocho_settings` handle (string keys,
//! BitTornado names and units), with torrents added, found and removed, session-wide rate limits,
//! and the event queue (pop, level-triggered fd, blocking wait).

use std::collections::HashMap;
use std::ffi::c_char;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::abi::*;
use super::add_params::AddParamsBuilder;
use super::boundary::{self, boundary, boundary_or, try_out, try_ref, try_slice, try_str, Castable, OwnedBox};
use super::buffer::{versioned_len, write_out, write_prefix};
use super::event::FfiEvent;
use super::last_error::fail;
use super::settings::{SettingValue, Settings};
use super::torrent::session_error;
use crate::session::event_queue::Popped;
use crate::session::handle::load_ip_filter;
use crate::session::{Session, SessionSettings, TorrentHandle};
use crate::tracker::ipfilter::IpSet;

/// The value behind a `bitgocho_session` handle: the engine and the handles of its torrents by
/// id, so events can name their torrent.
pub struct FfiSession {
    session: Session,
    torrents: Mutex<HashMap<u32, TorrentHandle>>,
}

impl Castable for bitgocho_session {
    type Ownership = OwnedBox;
    type RustType = FfiSession;
}

/// The setting keys a session accepts.
const KEYS: &[&str] = &[
    "bind",
    "crypto_allowed",
    "crypto_only",
    "crypto_prefer_rc4",
    "crypto_stealth",
    "dht",
    "dht_bootstrap",
    "event_queue_size",
    "hash_threads",
    "ip_filter_file",
    "listen",
    "listen_port",
    "max_active_downloads",
    "max_connections",
    "max_connections_per_torrent",
    "max_download_rate",
    "max_upload_rate",
    "max_uploads",
    "maxport",
    "minport",
    "piece_buffer_mb",
    "resume_dir",
    "status_interval_ms",
    "tls_ca_file",
    "web_seeds",
    "worker_nice",
];

/// An integer setting (an integer, or a string holding one), checked to lie in `0..=max`.
fn int_value(key: &str, value: &SettingValue, max: u64) -> Result<u64, String> {
    let n = match value {
        SettingValue::Int(n) => *n,
        SettingValue::Str(s) => s.trim().parse().map_err(|_| format!("setting `{key}` is not an integer: {s:?}"))?,
        SettingValue::Bool(b) => return Err(format!("setting `{key}` is not an integer: {b}")),
    };
    u64::try_from(n).ok().filter(|n| *n <= max).ok_or_else(|| format!("setting `{key}` is out of range 0..={max}: {n}"))
}

/// A string setting.
fn str_value<'a>(key: &str, value: &'a SettingValue) -> Result<&'a str, String> {
    match value {
        SettingValue::Str(s) => Ok(s),
        other => Err(format!("setting `{key}` is not a string: {other:?}")),
    }
}

/// A boolean setting (a boolean, or an integer 0/1).
fn bool_value(key: &str, value: &SettingValue) -> Result<bool, String> {
    match value {
        SettingValue::Bool(b) => Ok(*b),
        SettingValue::Int(0) => Ok(false),
        SettingValue::Int(1) => Ok(true),
        other => Err(format!("setting `{key}` is not a boolean: {other:?}")),
    }
}

/// Applies one setting to `out`; rates are BitTornado's kB/s (1 kB = 1000 bytes, as the tools
/// take them).
fn apply(out: &mut SessionSettings, key: &str, value: &SettingValue) -> Result<(), String> {
    const PORT: u64 = u16::MAX as u64;
    const COUNT: u64 = 1 << 20;
    match key {
        "bind" => {
            let text = str_value(key, value)?;
            out.bind =
                text.parse::<IpAddr>().map_err(|e| format!("setting `bind` is not an IP address: {text:?}: {e}"))?;
        }
        "listen_port" => {
            let port = int_value(key, value, PORT)? as u16;
            out.min_port = port;
            out.max_port = port;
        }
        "minport" => out.min_port = int_value(key, value, PORT)? as u16,
        "maxport" => out.max_port = int_value(key, value, PORT)? as u16,
        "listen" => out.listen = bool_value(key, value)?,
        "crypto_allowed" => out.crypto_allowed = bool_value(key, value)?,
        "crypto_only" => out.crypto_only = bool_value(key, value)?,
        "crypto_stealth" => out.crypto_stealth = bool_value(key, value)?,
        "crypto_prefer_rc4" => out.crypto_prefer_rc4 = bool_value(key, value)?,
        "max_connections" => out.max_connections = int_value(key, value, COUNT)? as usize,
        "max_connections_per_torrent" => out.max_connections_per_torrent = int_value(key, value, COUNT)? as usize,
        "max_uploads" => out.max_uploads = int_value(key, value, COUNT)? as usize,
        "max_active_downloads" => out.max_active_downloads = int_value(key, value, COUNT)? as usize,
        "hash_threads" => out.hash_threads = int_value(key, value, 256)? as usize,
        "worker_nice" => out.worker_nice = int_value(key, value, 19)? as u8,
        "event_queue_size" => out.event_capacity = int_value(key, value, COUNT)?.max(1) as usize,
        "max_upload_rate" => out.max_upload_rate = int_value(key, value, u64::MAX / 1000)? * 1000,
        "max_download_rate" => out.max_download_rate = int_value(key, value, u64::MAX / 1000)? * 1000,
        "resume_dir" => out.resume_dir = Some(PathBuf::from(str_value(key, value)?)),
        "piece_buffer_mb" => out.piece_buffer_bytes = (int_value(key, value, 1 << 20)? << 20) as usize,
        "web_seeds" => out.web_seeds = bool_value(key, value)?,
        "dht" => out.dht = bool_value(key, value)?,
        "dht_bootstrap" => {
            out.dht_bootstrap =
                str_value(key, value)?.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
        }
        "tls_ca_file" => {
            out.tls_ca_file = Some(PathBuf::from(str_value(key, value)?)).filter(|p| !p.as_os_str().is_empty())
        }
        "ip_filter_file" => out.ip_filter = ip_filter_from(str_value(key, value)?)?.map(Arc::new),
        "status_interval_ms" => {
            out.status_interval = std::time::Duration::from_millis(int_value(key, value, 3_600_000)?.max(10))
        }
        _ => return Err(format!("unknown session setting `{key}` (known: {})", KEYS.join(", "))),
    }
    Ok(())
}

/// The blocklist at `path` ("" for none).
fn ip_filter_from(path: &str) -> Result<Option<IpSet>, String> {
    if path.is_empty() {
        return Ok(None);
    }
    load_ip_filter(Path::new(path)).map(Some)
}

/// The engine settings for a settings handle's options, or the message naming the bad one.
pub fn session_settings(settings: &Settings) -> Result<SessionSettings, String> {
    let mut out = SessionSettings::default();
    for (key, value) in settings.iter() {
        apply(&mut out, key, value)?;
    }
    if out.min_port > out.max_port && out.max_port != 0 {
        return Err(format!("minport {} is above maxport {}", out.min_port, out.max_port));
    }
    Ok(out)
}

impl FfiSession {
    /// The next event, paired with its torrent's handle; forgets a torrent once its REMOVED
    /// event has been taken.
    fn pop(&self) -> Option<FfiEvent> {
        let mut torrents = self.torrents.lock();
        match self.session.pop_event()? {
            Popped::Dropped(count) => Some(FfiEvent::dropped(count)),
            Popped::Event(event) => {
                let id = event.torrent();
                let handle = id.and_then(|id| torrents.get(&id).cloned());
                if let (crate::session::event::SessionEvent::Removed { .. }, Some(id)) = (&event, id) {
                    torrents.remove(&id);
                }
                Some(FfiEvent::new(event, handle))
            }
        }
    }
}

// Every method of a session and a torrent may be called from any thread at once.
const _: () = {
    const fn thread_safe<T: Send + Sync>() {}
    thread_safe::<FfiSession>();
    thread_safe::<TorrentHandle>();
};

/// Stores a new torrent handle in `*out`.
///
/// # Safety
/// `out` is non-NULL and writable.
unsafe fn give_torrent(handle: TorrentHandle, out: *mut *const bitgocho_torrent) {
    let ptr = boundary::arc_into_ptr::<bitgocho_torrent>(Arc::new(handle));
    // SAFETY: per the contract.
    unsafe { write_out(out, ptr) }
}

impl bitgocho_session {
    /// Starts a session with the options of `settings` (NULL: defaults) and stores it in `*out`.
    /// Keys (integers may also be given as strings): `listen_port` (sets minport and maxport; 0
    /// lets the system choose), `minport`, `maxport` (BitTornado's port range, default
    /// 10000-60000), `listen` (bool), `bind` (IP address; the default 0.0.0.0 takes IPv6 peers
    /// too), `max_connections`,
    /// `max_connections_per_torrent`, `max_uploads`, `max_upload_rate` and `max_download_rate`
    /// (kB/s as BitTornado, 1 kB = 1000 bytes; 0: unlimited), `hash_threads` (0: one per core), `worker_nice` (0-19:
    /// how many nice steps below the network thread the hashing and disk-writing threads run on
    /// Linux, default 10; 0 runs them at the same priority), `event_queue_size`,
    /// `resume_dir`, `piece_buffer_mb` (memory for pieces assembled before they are verified and
    /// written, default 64; 0 writes every block as it arrives), `web_seeds` (bool, default true:
    /// download from BEP 17/19 HTTP seeds), `status_interval_ms` (how often an active torrent's
    /// status snapshot is refreshed, default 250, at least 10; the engine ticks every 100 ms),
    /// `tls_ca_file` (a PEM file of certificates trusted for https trackers and web seeds beside
    /// the system's, which `SSL_CERT_FILE` or `SSL_CERT_DIR` replace), `dht` (bool, default 1: a
    /// BEP 5 DHT node on the listening port, UDP), `dht_bootstrap` (`host:port,...`: nodes to join
    /// through; none by default, the DHT then learns nodes from peers and the torrents' `nodes`),
    /// `max_active_downloads` (at most this many torrents download at once, the others wait in
    /// `BITGOCHO_STATE_QUEUED` and start in the order they were added; 0, the default: no
    /// limit), `ip_filter_file` (a blocklist: peers in its ranges are neither dialled nor accepted;
    /// PeerGuardian `label:first-last`, eMule DAT or subnet lines, every line readable);
    /// encryption (Message Stream Encryption, bools):
    /// `crypto_allowed` (accept and offer MSE; default 1), `crypto_only` (refuse plaintext peers,
    /// RC4 only), `crypto_stealth` (as `crypto_only`, and announce `port=0&cryptoport=N`),
    /// `crypto_prefer_rc4` (as responder pick RC4 over plaintext when both are offered). Returns
    /// `BITGOCHO_E_INVALID_ARG` naming an unknown key or a bad value, and
    /// `BITGOCHO_E_IO` when no port can be bound or a thread cannot start.
    ///
    /// # Safety
    /// `settings` is NULL or a live handle (only read during the call); `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_session_new(
        settings: *const bitgocho_settings,
        out: *mut *mut bitgocho_session,
    ) -> bitgocho_status {
        boundary! {
            try_out!(out);
            let defaults = Settings::default();
            // SAFETY: per this function's contract, settings is NULL or a live handle.
            let settings = unsafe { boundary::cast_ref(settings) }.unwrap_or(&defaults);
            let engine = match session_settings(settings) {
                Ok(s) => s,
                Err(message) => return fail(BITGOCHO_E_INVALID_ARG, message),
            };
            match Session::new(engine) {
                Ok(session) => {
                    let value = FfiSession { session, torrents: Mutex::new(HashMap::new()) };
                    // SAFETY: out checked non-NULL.
                    unsafe { write_out(out, boundary::box_into_ptr::<bitgocho_session>(value)) };
                    BITGOCHO_OK
                }
                Err(e) => session_error(&e),
            }
        }
    }

    /// Replaces the session's blocklist with the one in file `path` (as the `ip_filter_file`
    /// setting; "" blocks nothing): connections to addresses it blocks are closed, and none is
    /// dialled or accepted from then on. A file that cannot be read, or with a line that is no
    /// address range, is `BITGOCHO_E_INVALID_ARG` naming it, and the filter stays as it was.
    ///
    /// # Safety
    /// `session` is NULL or a live handle; `path` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_session_set_ip_filter_file(
        session: *const bitgocho_session,
        path: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let session = try_ref!(session);
            let path = try_str!(path);
            match ip_filter_from(path) {
                Ok(filter) => match session.session.set_ip_filter(filter) {
                    Ok(()) => BITGOCHO_OK,
                    Err(e) => session_error(&e),
                },
                Err(message) => fail(BITGOCHO_E_INVALID_ARG, message),
            }
        }
    }

    /// Fills `*out` with totals over the torrents now in the session (rates, bytes, peers),
    /// summed from their status snapshots. Set `out->size` to `sizeof(bitgocho_session_stats)`
    /// first; a caller built with an older, shorter struct gets the fields it knows, and
    /// `out->size` is set to the bytes filled. A size smaller than the first version's
    /// (this one) is `BITGOCHO_E_INVALID_ARG`.
    ///
    /// # Safety
    /// `session` is NULL or a live handle; `out` is NULL or points to `out->size` writable bytes.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_session_get_stats(
        session: *const bitgocho_session,
        out: *mut bitgocho_session_stats,
    ) -> bitgocho_status {
        boundary! {
            let session = try_ref!(session);
            try_out!(out);
            let full = std::mem::size_of::<bitgocho_session_stats>();
            // SAFETY: out is non-NULL and, per the contract, its size field is readable.
            let size = unsafe { std::ptr::addr_of!((*out).size) };
            // SAFETY: as above.
            if let Err(status) = unsafe { versioned_len::<bitgocho_session_stats>(size, full, "stats") } {
                return status;
            }
            let st = session.session.stats();
            let value = bitgocho_session_stats {
                size: full,
                torrents: st.torrents,
                peers: st.peers,
                download_rate: st.download_rate,
                upload_rate: st.upload_rate,
                total_downloaded: st.downloaded,
                total_uploaded: st.uploaded,
                dht_nodes: st.dht_nodes,
            };
            // SAFETY: out is non-NULL and holds at least `full` writable bytes.
            unsafe { write_prefix(out, value, full) };
            BITGOCHO_OK
        }
    }

    /// Nodes in the session's DHT routing table (BEP 5); 0 without a DHT, before it met a
    /// node, or for NULL.
    ///
    /// # Safety
    /// `session` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_session_dht_nodes(session: *const bitgocho_session) -> usize {
        boundary_or! { 0,
            try_ref!(session, 0).session.dht_nodes()
        }
    }

    /// The TCP port the session listens on; 0 when not listening or for NULL.
    ///
    /// # Safety
    /// `session` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_session_listen_port(session: *const bitgocho_session) -> u16 {
        boundary_or! { 0,
            try_ref!(session, 0).session.listen_port()
        }
    }

    /// Adds the torrent described by `params` and stores a new torrent handle in `*out`; the
    /// torrent checks existing data, then downloads or seeds. `params` is only read and stays
    /// owned by the caller. Returns `BITGOCHO_E_INVALID_ARG` when `params` has no metainfo or no
    /// save path, `BITGOCHO_E_DUPLICATE` when the torrent is already in the session. A v2-only
    /// torrent is known to peers and trackers by its SHA-256 info-hash truncated to 20 bytes;
    /// one without piece layers first fetches them from peers (BEP 52), in state
    /// `BITGOCHO_STATE_METADATA`, as a magnet link does.
    ///
    /// # Safety
    /// `session` and `params` are NULL or live handles; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_session_add_torrent(
        session: *const bitgocho_session,
        params: *const bitgocho_add_params,
        out: *mut *const bitgocho_torrent,
    ) -> bitgocho_status {
        boundary! {
            let session = try_ref!(session);
            let params: &AddParamsBuilder = try_ref!(params);
            try_out!(out);
            let engine_params = match params.build() {
                Ok(p) => p,
                Err(status) => return status,
            };
            let hash = engine_params.source.info_hash();
            // Held across the check and the add: two threads adding the same torrent cannot both
            // pass the check, and a concurrent pop sees the handle of the ADDED event.
            let mut torrents = session.torrents.lock();
            if session.session.find_torrent(&hash).is_some() {
                return fail(BITGOCHO_E_DUPLICATE, "the torrent is already in the session");
            }
            match session.session.add_torrent(engine_params) {
                Ok(handle) => {
                    torrents.insert(handle.id(), handle.clone());
                    // SAFETY: out checked non-NULL.
                    unsafe { give_torrent(handle, out) };
                    BITGOCHO_OK
                }
                Err(e) => session_error(&e),
            }
        }
    }

    /// Finds the torrent whose 20-byte info-hash (v1, or a v2-only torrent's truncated SHA-256
    /// one, as `bitgocho_torrent_info_hash()` gives it) is the `len` (20) bytes at `info_hash`
    /// and stores a new handle to it in `*out`. Returns `BITGOCHO_E_NOT_FOUND` when the session has none,
    /// `BITGOCHO_E_INVALID_ARG` when `len` is not 20.
    ///
    /// # Safety
    /// `session` is NULL or a live handle; `info_hash` points to `len` readable bytes; `out` is
    /// NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_session_find_torrent(
        session: *const bitgocho_session,
        info_hash: *const u8,
        len: usize,
        out: *mut *const bitgocho_torrent,
    ) -> bitgocho_status {
        boundary! {
            let session = try_ref!(session);
            let info_hash = try_slice!(info_hash, len);
            try_out!(out);
            let Ok(hash) = <[u8; 20]>::try_from(info_hash) else {
                return fail(BITGOCHO_E_INVALID_ARG, format_args!("an info-hash is 20 bytes, not {len}"));
            };
            match session.session.find_torrent(&hash) {
                Some(handle) => {
                    // SAFETY: out checked non-NULL.
                    unsafe { give_torrent(handle, out) };
                    BITGOCHO_OK
                }
                None => fail(BITGOCHO_E_NOT_FOUND, "no torrent with this info-hash in the session"),
            }
        }
    }

    /// Removes `torrent` from the session (announcing `stopped`), deleting its downloaded files
    /// too when `delete_files` is true (only the files the torrent lists, and the directories
    /// they leave empty). Returns once the torrent's last disk work is done: its resume record
    /// saved, counting the pieces that were being verified (waited for at most 5 s), or its files
    /// deleted. The session serves its other torrents meanwhile. The handle stays valid to free;
    /// every other call on it then returns `BITGOCHO_E_TORRENT_GONE`, as does this one for a
    /// torrent already removed.
    ///
    /// # Safety
    /// `session` and `torrent` are NULL or live handles.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_session_remove_torrent(
        session: *const bitgocho_session,
        torrent: *const bitgocho_torrent,
        delete_files: bool,
    ) -> bitgocho_status {
        boundary! {
            let session = try_ref!(session);
            let torrent: &TorrentHandle = try_ref!(torrent);
            if !torrent.is_valid() {
                return fail(BITGOCHO_E_TORRENT_GONE, "the torrent is no longer in the session");
            }
            match session.session.remove_torrent(torrent, delete_files) {
                Ok(()) => BITGOCHO_OK,
                Err(e) => session_error(&e),
            }
        }
    }

    /// Sets the session-wide upload and download limits in bytes per second (0: unlimited).
    ///
    /// # Safety
    /// `session` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_session_set_rate_limits(
        session: *const bitgocho_session,
        upload: u64,
        download: u64,
    ) -> bitgocho_status {
        boundary! {
            try_ref!(session).session.set_rate_limits(upload, download);
            BITGOCHO_OK
        }
    }

    /// Takes the next event from the session's queue and stores it in `*out` (free it with
    /// `bitgocho_event_free()`). Returns `BITGOCHO_E_AGAIN` when the queue is empty. When the
    /// queue overflowed, one `BITGOCHO_EVENT_EVENTS_DROPPED` event with the count comes before
    /// the later events. Pop until `BITGOCHO_E_AGAIN`.
    ///
    /// # Safety
    /// `session` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_session_pop_event(
        session: *const bitgocho_session,
        out: *mut *mut bitgocho_event,
    ) -> bitgocho_status {
        boundary! {
            let session = try_ref!(session);
            try_out!(out);
            match session.pop() {
                Some(event) => {
                    // SAFETY: out checked non-NULL.
                    unsafe { write_out(out, boundary::box_into_ptr::<bitgocho_event>(event)) };
                    BITGOCHO_OK
                }
                None => fail(BITGOCHO_E_AGAIN, "no event is pending"),
            }
        }
    }

    /// Blocks up to `timeout_ms` milliseconds until an event is pending. Returns `BITGOCHO_OK`
    /// when one is (pop it with `bitgocho_session_pop_event()`), `BITGOCHO_E_AGAIN` on timeout.
    ///
    /// # Safety
    /// `session` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_session_wait_event(
        session: *const bitgocho_session,
        timeout_ms: u32,
    ) -> bitgocho_status {
        boundary! {
            let session = try_ref!(session);
            if session.session.wait_event(Duration::from_millis(u64::from(timeout_ms))) {
                BITGOCHO_OK
            } else {
                fail(BITGOCHO_E_AGAIN, format_args!("no event within {timeout_ms} ms"))
            }
        }
    }

    /// Stores in `*out` a file descriptor that is readable exactly while events are pending
    /// (level-triggered: events queued before you registered it still wake your loop). Register
    /// it with poll/epoll/select or your event loop; never read, write or close it: it belongs to
    /// the session and is closed by `bitgocho_session_free()`. Returns `BITGOCHO_E_UNSUPPORTED`
    /// on platforms without one (use `bitgocho_session_wait_event()`).
    ///
    /// # Safety
    /// `session` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_session_event_fd(
        session: *const bitgocho_session,
        out: *mut i32,
    ) -> bitgocho_status {
        boundary! {
            let session = try_ref!(session);
            try_out!(out);
            match session.session.event_fd() {
                // SAFETY: out checked non-NULL.
                Some(fd) => unsafe { write_out(out, fd); BITGOCHO_OK },
                None => fail(BITGOCHO_E_UNSUPPORTED, "no event file descriptor on this platform"),
            }
        }
    }

    /// Stops the session: announces `stopped` for every torrent, closes every connection, joins
    /// the session's threads and releases it. Torrent handles stay valid to free and report
    /// `BITGOCHO_E_TORRENT_GONE`. NULL is a no-op; must not be called twice on the same value.
    ///
    /// # Safety
    /// `session` is NULL or a live handle not used afterwards (nor concurrently).
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_session_free(session: *mut bitgocho_session) {
        boundary_or! { (),
            // SAFETY: per this function's contract.
            if let Some(session) = unsafe { boundary::box_from_ptr(session) } {
                let FfiSession { session, torrents } = *session;
                drop(torrents);
                session.shutdown();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, SettingValue)]) -> Settings {
        let mut s = Settings::default();
        for (k, v) in pairs {
            s.set(k, v.clone());
        }
        s
    }

    #[test]
    fn keys_map_to_engine_settings_with_bittornado_units() {
        let s = with(&[
            ("minport", SettingValue::Int(7000)),
            ("maxport", SettingValue::Str("7010".into())),
            ("max_upload_rate", SettingValue::Int(20)),
            ("max_download_rate", SettingValue::Int(0)),
            ("bind", SettingValue::Str("127.0.0.1".into())),
            ("hash_threads", SettingValue::Int(2)),
            ("piece_buffer_mb", SettingValue::Int(3)),
            ("event_queue_size", SettingValue::Int(16)),
            ("listen", SettingValue::Bool(false)),
            ("web_seeds", SettingValue::Int(0)),
            ("worker_nice", SettingValue::Int(0)),
            ("status_interval_ms", SettingValue::Str("100".into())),
            ("tls_ca_file", SettingValue::Str("/etc/my-ca.pem".into())),
            ("dht", SettingValue::Bool(false)),
            ("dht_bootstrap", SettingValue::Str("router.example:6881, 10.0.0.1:6881".into())),
            ("max_active_downloads", SettingValue::Int(3)),
        ]);
        let out = session_settings(&s).unwrap();
        assert_eq!((out.worker_nice, SessionSettings::default().worker_nice), (0, 10));
        assert!(!out.web_seeds && SessionSettings::default().web_seeds, "web seeds are on unless turned off");
        assert_eq!((out.min_port, out.max_port), (7000, 7010));
        assert_eq!((out.max_upload_rate, out.max_download_rate), (20_000, 0));
        assert_eq!(out.bind, "127.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!((out.hash_threads, out.event_capacity, out.listen), (2, 16, false));
        assert_eq!(out.piece_buffer_bytes, 3 << 20);
        assert_eq!(out.status_interval, std::time::Duration::from_millis(100));
        assert_eq!(out.tls_ca_file, Some(PathBuf::from("/etc/my-ca.pem")));
        assert!(!out.dht && SessionSettings::default().dht);
        assert_eq!(out.dht_bootstrap, ["router.example:6881", "10.0.0.1:6881"]);
        assert_eq!((out.max_active_downloads, SessionSettings::default().max_active_downloads), (3, 0));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let err = session_settings(&with(&[("max_conections", SettingValue::Int(3))])).unwrap_err();
        assert!(err.contains("unknown session setting `max_conections`"), "{err}");
        let err = session_settings(&with(&[("minport", SettingValue::Int(70000))])).unwrap_err();
        assert!(err.contains("minport") && err.contains("70000"), "{err}");
        let err = session_settings(&with(&[("bind", SettingValue::Str("nowhere".into()))])).unwrap_err();
        assert!(err.contains("bind"), "{err}");
        let err = session_settings(&with(&[("worker_nice", SettingValue::Int(20))])).unwrap_err();
        assert!(err.contains("worker_nice") && err.contains("20"), "{err}");
        let err = session_settings(&with(&[("listen_port", SettingValue::Bool(true))])).unwrap_err();
        assert!(err.contains("listen_port"), "{err}");
    }
}
