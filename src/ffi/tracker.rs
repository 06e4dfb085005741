//! `bitgocho_tracker`: the tracker core ([`crate::tracker::Tracker`]) embedded in a host's own
//! HTTP and UDP servers, shared by `Arc`. The host passes raw request targets and datagrams with
//! the client's address and sends the replies; the library opens no socket and starts no thread.
//!
//! Replies of state-changing requests (announces) go into caller buffers of at least
//! `bitgocho_tracker_max_response_len()` bytes, checked before the request is applied, so a
//! retry after `BITGOCHO_E_BUFFER_TOO_SMALL` never applies an announce twice.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::ffi::{c_char, CStr};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;

use super::abi::*;
use super::boundary::{self, boundary, boundary_or, try_out, try_ref, try_slice, try_str, Castable, OwnedArc};
use super::buffer::{copy_bytes, copy_str, write_out};
use super::last_error::fail;
use super::peer_addr::peer_arg;
use super::settings::{SettingValue, Settings};
use super::status::io_error;
use crate::tracker::core::unix_now;
use crate::tracker::handler::HttpResponse;
use crate::tracker::query::split_target;
use crate::tracker::{ConfigError, Tracker, TrackerConfig};

/// Most warnings kept for `bitgocho_tracker_pop_warning()`; older ones are dropped first.
pub(crate) const MAX_QUEUED_WARNINGS: usize = 64;

/// The paths answered by `bitgocho_tracker_handle_http()` (BitTornado's announce and scrape
/// paths); every other path is `BITGOCHO_E_NOT_FOUND`.
pub(crate) const TRACKER_PATHS: [&[u8]; 6] =
    [b"/announce", b"/announce.php", b"/tracker.php/announce", b"/scrape", b"/scrape.php", b"/tracker.php/scrape"];

/// The tracker behind a `bitgocho_tracker` handle, with the warnings waiting for the host.
#[derive(Debug)]
pub struct EmbeddedTracker {
    tracker: Tracker,
    warnings: Mutex<VecDeque<String>>,
}

impl EmbeddedTracker {
    /// Builds a tracker from C settings (see `bitgocho_tracker_new()`).
    pub fn from_settings(settings: &Settings) -> Result<EmbeddedTracker, bitgocho_status> {
        let config = config_from(settings)?;
        let tracker = Tracker::new(config).map_err(|e| config_error(&e))?;
        let t = EmbeddedTracker { tracker, warnings: Mutex::new(VecDeque::new()) };
        t.collect_warnings();
        Ok(t)
    }

    /// The core.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Moves the core's new warnings into the bounded queue.
    fn collect_warnings(&self) {
        self.queue(self.tracker.take_warnings());
    }

    /// Appends warnings to the bounded queue, dropping the oldest when full.
    fn queue(&self, fresh: Vec<String>) {
        if fresh.is_empty() {
            return;
        }
        let mut q = self.warnings.lock();
        for w in fresh {
            if q.len() == MAX_QUEUED_WARNINGS {
                q.pop_front();
            }
            q.push_back(w);
        }
    }

    /// The oldest queued warning, if any.
    fn front_warning(&self) -> Option<String> {
        self.collect_warnings();
        self.warnings.lock().front().cloned()
    }
}

impl Castable for bitgocho_tracker {
    type Ownership = OwnedArc;
    type RustType = EmbeddedTracker;
}

/// The textual form of a setting value, as `bttrack --key value` takes it.
fn setting_text(value: &SettingValue) -> String {
    match value {
        SettingValue::Str(s) => s.clone(),
        SettingValue::Int(i) => i.to_string(),
        SettingValue::Bool(b) => u8::from(*b).to_string(),
    }
}

/// The tracker configuration of `settings`: bttrack's defaults, except `nat_check` 0 (the
/// embedded tracker opens no sockets, so it cannot connect back to peers).
fn config_from(settings: &Settings) -> Result<TrackerConfig, bitgocho_status> {
    let mut config = TrackerConfig { nat_check: 0, ..TrackerConfig::default() };
    for (key, value) in settings.iter() {
        config.set(key, &setting_text(value)).map_err(|e| config_error(&e))?;
    }
    if config.nat_check > 0 {
        return Err(fail(
            BITGOCHO_E_UNSUPPORTED,
            "tracker option nat_check must be 0 in an embedded tracker: it opens no sockets to check peers",
        ));
    }
    Ok(config)
}

/// Maps a settings error: unknown keys and bad values `BITGOCHO_E_INVALID_ARG`, unimplemented
/// features `BITGOCHO_E_UNSUPPORTED`, unreadable files `BITGOCHO_E_IO`.
fn config_error(err: &ConfigError) -> bitgocho_status {
    let code = match err {
        ConfigError::UnknownKey(_) | ConfigError::InvalidValue { .. } => BITGOCHO_E_INVALID_ARG,
        ConfigError::Unsupported { .. } => BITGOCHO_E_UNSUPPORTED,
        ConfigError::Read { .. } => BITGOCHO_E_IO,
    };
    fail(code, err)
}

/// The static C string of a reply's content type.
fn content_type_str(content_type: &str) -> &'static CStr {
    match content_type {
        "text/plain" => c"text/plain",
        "text/html" => c"text/html",
        "text/html; charset=utf-8" => c"text/html; charset=utf-8",
        "image/x-icon" => c"image/x-icon",
        "application/x-bittorrent" => c"application/x-bittorrent",
        _ => c"application/octet-stream",
    }
}

/// True when `target`'s path is an announce path (a request that changes state).
fn is_announce(path: &[u8]) -> bool {
    TRACKER_PATHS[..3].contains(&path)
}

/// Answers an HTTP request target, or `BITGOCHO_E_NOT_FOUND` for a path that is not the tracker's.
fn http_reply(t: &EmbeddedTracker, target: &[u8], peer: SocketAddr) -> Result<HttpResponse, bitgocho_status> {
    let path = split_target(target).0;
    if !TRACKER_PATHS.contains(&path) {
        let shown = String::from_utf8_lossy(&path[..path.len().min(200)]).into_owned();
        return Err(fail(BITGOCHO_E_NOT_FOUND, format_args!("{shown:?} is not an announce or scrape path")));
    }
    Ok(t.tracker.handle_http_at(target, peer, &[], unix_now()))
}

/// Refuses an output buffer smaller than the largest announce reply, reporting that size.
///
/// # Safety
/// `out_len` is non-NULL and writable.
unsafe fn require_max(t: &EmbeddedTracker, cap: usize, out_len: *mut usize) -> Result<(), bitgocho_status> {
    let max = t.tracker.max_response_len();
    if cap >= max {
        return Ok(());
    }
    // SAFETY: per the contract.
    unsafe { write_out(out_len, max) };
    Err(fail(
        BITGOCHO_E_BUFFER_TOO_SMALL,
        format_args!("buffer of {cap} bytes is too small: announces need bitgocho_tracker_max_response_len() = {max}"),
    ))
}

thread_local! {
    static UDP_OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl bitgocho_tracker {
    /// Makes a tracker from `settings` (copied; the same option names and value forms as
    /// `bttrack --name value`: strings, integers, or booleans for 0/1 options) and stores a
    /// new reference in `*out` (free with `bitgocho_tracker_free()`). Options of bttrack's
    /// network front (`port`, `bind`, `socket_timeout`, `logfile`...) are accepted and ignored.
    /// `nat_check` defaults to 0 here and must stay 0 (no sockets). When `dfile` names an
    /// existing state file it is loaded; a corrupt one is moved aside with a warning
    /// (`bitgocho_tracker_pop_warning()`).
    ///
    /// Returns `BITGOCHO_E_INVALID_ARG` for an unknown option or a bad value (the last error
    /// names the option), `BITGOCHO_E_UNSUPPORTED` for features this tracker lacks (nat_check,
    /// multitracker, aggregation), `BITGOCHO_E_IO` when a file an option names cannot be read.
    ///
    /// # Safety
    /// `settings` is NULL or a live handle not mutated during the call; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_new(
        settings: *const bitgocho_settings,
        out: *mut *const bitgocho_tracker,
    ) -> bitgocho_status {
        boundary! {
            let settings = try_ref!(settings);
            try_out!(out);
            match EmbeddedTracker::from_settings(settings) {
                Ok(t) => {
                    // SAFETY: out checked non-NULL.
                    unsafe { write_out(out, boundary::arc_into_ptr::<bitgocho_tracker>(Arc::new(t))) };
                    BITGOCHO_OK
                }
                Err(status) => status,
            }
        }
    }

    /// Returns a new reference to the same tracker (for another owner); each reference is
    /// released with `bitgocho_tracker_free()`. NULL gives NULL.
    ///
    /// # Safety
    /// `tracker` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_clone(tracker: *const bitgocho_tracker) -> *const bitgocho_tracker {
        boundary_or! { std::ptr::null(),
            // SAFETY: per this function's contract.
            match unsafe { boundary::arc_clone(tracker) } {
                Some(arc) => boundary::arc_into_ptr::<bitgocho_tracker>(arc),
                None => std::ptr::null(),
            }
        }
    }

    /// Releases one reference; the tracker goes away with the last one (its state is not saved:
    /// call `bitgocho_tracker_save_state()` first if wanted). NULL is a no-op.
    ///
    /// # Safety
    /// `tracker` is NULL or a live reference not used afterwards.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_free(tracker: *const bitgocho_tracker) {
        boundary_or! { (),
            // SAFETY: per this function's contract.
            unsafe { boundary::arc_free(tracker) }
        }
    }

    /// Returns the size of the largest reply to an announce (HTTP or UDP) this tracker can give,
    /// bounded by its `response_size` option: the output capacity `bitgocho_tracker_handle_http()`
    /// and `bitgocho_tracker_handle_udp()` require, so a host allocates it once. 0 for NULL.
    ///
    /// # Safety
    /// `tracker` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_max_response_len(tracker: *const bitgocho_tracker) -> usize {
        boundary_or! { 0,
            try_ref!(tracker, 0).tracker.max_response_len()
        }
    }

    /// Answers one HTTP request. `target` is the raw request-target as received
    /// (`/announce?info_hash=%9A...`, `target_len` bytes, not URL-decoded, no NUL needed); `peer`
    /// is the client's address. Announce paths (`/announce`, `/announce.php`,
    /// `/tracker.php/announce`) and scrape paths (the same with `scrape`) are answered; any other
    /// path gives `BITGOCHO_E_NOT_FOUND` and the host serves it itself (see
    /// `bitgocho_tracker_info_page()` for the tracker's own page).
    ///
    /// On `BITGOCHO_OK` the body is in `out` (`*out_len` bytes, bencoded, content type
    /// `text/plain`, to be sent with `Pragma: no-cache`) and the HTTP status in
    /// `*out_http_status`: 200 for replies, including `failure reason` refusals, 400 for
    /// malformed requests. For announce paths `out_cap` must be at least
    /// `bitgocho_tracker_max_response_len()`, checked before anything happens: a smaller buffer
    /// gives `BITGOCHO_E_BUFFER_TOO_SMALL` with that size in `*out_len` and the announce is not
    /// applied. A scrape reply larger than `out_cap` also gives `BITGOCHO_E_BUFFER_TOO_SMALL`
    /// with the needed size (scrapes change nothing but the scrape counter, so retrying is
    /// safe; the size may differ on the retry, `bitgocho_tracker_handle_http_bytes()` avoids that).
    ///
    /// # Safety
    /// `tracker` is NULL or a live handle; `target` points to `target_len` readable bytes; `peer`
    /// is NULL or readable; `out` points to `out_cap` writable bytes (or is NULL with `out_cap`
    /// 0); `out_len` and `out_http_status` are NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_handle_http(
        tracker: *const bitgocho_tracker,
        target: *const u8,
        target_len: usize,
        peer: *const bitgocho_peer_addr,
        out: *mut u8,
        out_cap: usize,
        out_len: *mut usize,
        out_http_status: *mut u16,
    ) -> bitgocho_status {
        boundary! {
            let t = try_ref!(tracker);
            let target = try_slice!(target, target_len);
            // SAFETY: peer is NULL or readable per the contract.
            let peer = match unsafe { peer_arg(peer) } {
                Ok(p) => p,
                Err(status) => return status,
            };
            try_out!(out_len);
            try_out!(out_http_status);
            if out.is_null() && out_cap > 0 {
                return super::last_error::null_arg("out");
            }
            if is_announce(split_target(target).0) {
                // SAFETY: out_len checked non-NULL.
                if let Err(status) = unsafe { require_max(t, out_cap, out_len) } {
                    return status;
                }
            }
            let reply = match http_reply(t, target, peer) {
                Ok(r) => r,
                Err(status) => return status,
            };
            // SAFETY: out holds out_cap writable bytes; out_len checked non-NULL.
            let status = unsafe { copy_bytes(&reply.body, out, out_cap, out_len) };
            if status == BITGOCHO_OK {
                // SAFETY: checked non-NULL.
                unsafe { write_out(out_http_status, reply.status) };
            }
            status
        }
    }

    /// Answers one HTTP request like `bitgocho_tracker_handle_http()`, returning the body as a new
    /// `bitgocho_bytes` in `*out_body` (free with `bitgocho_bytes_free()`), the HTTP status in
    /// `*out_http_status` and the content type, a static NUL-terminated string never to be
    /// freed, in `*out_content_type`. No buffer size to guess: meant for bindings.
    ///
    /// # Safety
    /// `tracker` is NULL or a live handle; `target` points to `target_len` readable bytes; `peer`
    /// is NULL or readable; the three output pointers are NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_handle_http_bytes(
        tracker: *const bitgocho_tracker,
        target: *const u8,
        target_len: usize,
        peer: *const bitgocho_peer_addr,
        out_body: *mut *mut bitgocho_bytes,
        out_http_status: *mut u16,
        out_content_type: *mut *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let t = try_ref!(tracker);
            let target = try_slice!(target, target_len);
            // SAFETY: peer is NULL or readable per the contract.
            let peer = match unsafe { peer_arg(peer) } {
                Ok(p) => p,
                Err(status) => return status,
            };
            try_out!(out_body);
            try_out!(out_http_status);
            try_out!(out_content_type);
            match http_reply(t, target, peer) {
                Ok(reply) => {
                    // SAFETY: the three outputs were checked non-NULL.
                    unsafe {
                        write_out(out_content_type, content_type_str(reply.content_type).as_ptr());
                        write_out(out_http_status, reply.status);
                        write_out(out_body, super::bytes::into_handle(reply.body));
                    }
                    BITGOCHO_OK
                }
                Err(status) => status,
            }
        }
    }

    /// Answers one UDP tracker datagram (BEP 15: connect, announce, scrape) of `len` bytes from
    /// `peer`. On `BITGOCHO_OK` the reply is in `out` (`*out_len` bytes) to be sent back to
    /// `peer`; `*out_len` 0 means send nothing (the datagram was not a tracker request).
    /// `out_cap` must be at least `bitgocho_tracker_max_response_len()`, checked first:
    /// otherwise `BITGOCHO_E_BUFFER_TOO_SMALL` with that size in `*out_len` and nothing applied.
    ///
    /// # Safety
    /// `tracker` is NULL or a live handle; `datagram` points to `len` readable bytes; `peer` is
    /// NULL or readable; `out` points to `out_cap` writable bytes; `out_len` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_handle_udp(
        tracker: *const bitgocho_tracker,
        datagram: *const u8,
        len: usize,
        peer: *const bitgocho_peer_addr,
        out: *mut u8,
        out_cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let t = try_ref!(tracker);
            let datagram = try_slice!(datagram, len);
            // SAFETY: peer is NULL or readable per the contract.
            let peer = match unsafe { peer_arg(peer) } {
                Ok(p) => p,
                Err(status) => return status,
            };
            try_out!(out_len);
            if out.is_null() && out_cap > 0 {
                return super::last_error::null_arg("out");
            }
            // SAFETY: out_len checked non-NULL.
            if let Err(status) = unsafe { require_max(t, out_cap, out_len) } {
                return status;
            }
            UDP_OUT.with(|cell| {
                let mut reply = cell.take();
                if !t.tracker.handle_udp_at(datagram, peer, &mut reply, unix_now()) {
                    reply.clear();
                }
                // SAFETY: out holds out_cap writable bytes; out_len checked non-NULL.
                let status = unsafe { copy_bytes(&reply, out, out_cap, out_len) };
                cell.replace(reply);
                status
            })
        }
    }

    /// Periodic work, to be called by the host every few seconds (the `timeout_check_interval`
    /// option, default 5): drops peers silent for `timeout_downloaders_interval`, rescans
    /// `allowed_dir`/`allowed_list` and the IP lists every `parse_dir_interval`, saves `dfile`
    /// every `save_dfile_interval`. Problems (a failed save...) become warnings for
    /// `bitgocho_tracker_pop_warning()`. Returns `BITGOCHO_OK` (or `BITGOCHO_E_NULL_ARG`).
    ///
    /// # Safety
    /// `tracker` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_maintain(tracker: *const bitgocho_tracker) -> bitgocho_status {
        boundary! {
            let t = try_ref!(tracker);
            t.tracker.maintain(unix_now());
            t.collect_warnings();
            BITGOCHO_OK
        }
    }

    /// `bitgocho_tracker_maintain()` as if the time were `now_ms` (milliseconds since the Unix
    /// epoch), for deterministic tests of expiry and periodic saves.
    ///
    /// # Safety
    /// `tracker` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_maintain_at(
        tracker: *const bitgocho_tracker,
        now_ms: u64,
    ) -> bitgocho_status {
        boundary! {
            let t = try_ref!(tracker);
            t.tracker.maintain(now_ms / 1000);
            t.collect_warnings();
            BITGOCHO_OK
        }
    }

    /// Writes the tracker's state (peers, completed counts, allowed set) to the file `path`
    /// atomically (temporary file, fsync, rename), in bttrack's `dfile` format.
    /// Returns `BITGOCHO_E_IO` when it cannot be written.
    ///
    /// # Safety
    /// `tracker` is NULL or a live handle; `path` is NULL or NUL-terminated UTF-8.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_save_state(
        tracker: *const bitgocho_tracker,
        path: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let t = try_ref!(tracker);
            let path = try_str!(path);
            match t.tracker.save_state(Path::new(path)) {
                Ok(()) => BITGOCHO_OK,
                Err(e) => io_error(&format!("cannot save tracker state to {path}"), &e),
            }
        }
    }

    /// Adds the state saved in the file `path` (by `bitgocho_tracker_save_state()` or bttrack)
    /// to the tracker. Returns `BITGOCHO_E_NOT_FOUND` if the file does not exist, `BITGOCHO_E_IO`
    /// if it cannot be read, `BITGOCHO_E_PARSE` if it is corrupt: then the tracker is unchanged
    /// and the file is renamed to `<path>.corrupt-<unix time>` (the last error says so).
    ///
    /// # Safety
    /// `tracker` is NULL or a live handle; `path` is NULL or NUL-terminated UTF-8.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_load_state(
        tracker: *const bitgocho_tracker,
        path: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let t = try_ref!(tracker);
            let path = try_str!(path);
            match std::fs::metadata(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return fail(BITGOCHO_E_NOT_FOUND, format_args!("tracker state file {path} does not exist"));
                }
                Err(e) => return io_error(&format!("cannot read tracker state file {path}"), &e),
                Ok(_) => {}
            }
            if t.tracker.load_state(Path::new(path)) {
                return BITGOCHO_OK;
            }
            let fresh = t.tracker.take_warnings();
            let why = fresh.last().cloned().unwrap_or_else(|| format!("tracker state file {path} not loaded"));
            t.queue(fresh);
            let code = if why.contains("unreadable") { BITGOCHO_E_IO } else { BITGOCHO_E_PARSE };
            fail(code, why)
        }
    }

    /// Fills `*stats` (whose `size` field the caller has set to `sizeof(bitgocho_tracker_statistics)`)
    /// with the tracker's current counts. Fields beyond `size` are left alone. Returns
    /// `BITGOCHO_E_INVALID_ARG` when `size` is smaller than the first version of the structure.
    ///
    /// # Safety
    /// `tracker` is NULL or a live handle; `stats` is NULL or points to `stats->size` writable bytes.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_stats(
        tracker: *const bitgocho_tracker,
        stats: *mut bitgocho_tracker_statistics,
    ) -> bitgocho_status {
        boundary! {
            let t = try_ref!(tracker);
            try_out!(stats);
            // SAFETY: stats is non-NULL and its size field readable per the contract.
            let size = unsafe { (*stats).size };
            let full = std::mem::size_of::<bitgocho_tracker_statistics>();
            if size < full {
                return fail(BITGOCHO_E_INVALID_ARG, format_args!("stats->size is {size}: set it to sizeof, {full}"));
            }
            let s = t.tracker.stats();
            let value = bitgocho_tracker_statistics {
                size,
                torrents: s.torrents,
                seeds: s.seeds,
                leechers: s.leechers,
                announces: s.announces,
                scrapes: s.scrapes,
                udp_connects: s.udp_connects,
                rejected: s.rejected,
                saves: s.saves,
            };
            // SAFETY: stats points to at least `full` writable bytes (size >= full).
            unsafe { write_out(stats, value) };
            BITGOCHO_OK
        }
    }

    /// Copies the oldest waiting warning (corrupt state file moved aside, failed periodic save,
    /// unreadable line in an IP list...) into `buf` and removes it from the queue. Returns
    /// `BITGOCHO_E_AGAIN` when there is none. At most 64 warnings wait; older ones are dropped.
    /// `BITGOCHO_E_BUFFER_TOO_SMALL` leaves the warning queued.
    ///
    /// # Safety
    /// `tracker` is NULL or a live handle; `buf` points to `cap` writable bytes (or is NULL with
    /// `cap` 0); `out_len` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_pop_warning(
        tracker: *const bitgocho_tracker,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let t = try_ref!(tracker);
            let Some(text) = t.front_warning() else {
                return fail(BITGOCHO_E_AGAIN, "no tracker warning is waiting");
            };
            // SAFETY: forwarded from this function's contract.
            let status = unsafe { copy_str(&text, buf, cap, out_len) };
            if status == BITGOCHO_OK {
                let mut q = t.warnings.lock();
                if q.front() == Some(&text) {
                    q.pop_front();
                }
            }
            status
        }
    }

    /// Renders the tracker's HTML info page (the table of torrents bttrack serves at `/`) into
    /// a new `bitgocho_bytes` (UTF-8 HTML, content type `text/html; charset=utf-8`), for hosts
    /// that want to show it at a path of their choice. Returns `BITGOCHO_E_NOT_FOUND` when the
    /// `show_infopage` option is 0 or `infopage_redirect` is set.
    ///
    /// # Safety
    /// `tracker` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_tracker_info_page(
        tracker: *const bitgocho_tracker,
        out: *mut *mut bitgocho_bytes,
    ) -> bitgocho_status {
        boundary! {
            let t = try_ref!(tracker);
            try_out!(out);
            let local = SocketAddr::from(([127, 0, 0, 1], 0));
            let page = t.tracker.handle_http_at(b"/", local, &[], unix_now());
            if page.status != 200 {
                return fail(BITGOCHO_E_NOT_FOUND, "the info page is off (show_infopage 0 or infopage_redirect set)");
            }
            // SAFETY: out checked non-NULL.
            unsafe { write_out(out, super::bytes::into_handle(page.body)) };
            BITGOCHO_OK
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::last_error::message;
    use crate::ffi::peer_addr::from_socket_addr;
    use std::ptr::{null, null_mut};

    fn tracker(pairs: &[(&str, SettingValue)]) -> Result<*const bitgocho_tracker, bitgocho_status> {
        let mut settings = Settings::default();
        for (k, v) in pairs {
            settings.set(k, v.clone());
        }
        let raw = boundary::box_into_ptr::<bitgocho_settings>(settings);
        let mut out = null();
        // SAFETY: raw is a live settings handle, out is writable.
        let status = unsafe { bitgocho_tracker::bitgocho_tracker_new(raw, &mut out) };
        // SAFETY: raw came from box_into_ptr.
        drop(unsafe { boundary::box_from_ptr(raw) });
        if status == BITGOCHO_OK {
            Ok(out)
        } else {
            Err(status)
        }
    }

    fn announce_target(peer: u8, left: u64) -> Vec<u8> {
        format!(
            "/announce?info_hash={}&peer_id={}&port=6881&uploaded=0&downloaded=0&left={left}&compact=1",
            "%AA".repeat(20),
            "-XX0001-".to_string() + &format!("{peer:012}")
        )
        .into_bytes()
    }

    fn http(t: *const bitgocho_tracker, target: &[u8], cap: usize) -> (bitgocho_status, Vec<u8>, u16, usize) {
        let peer = from_socket_addr("10.0.0.9:6881".parse().unwrap());
        let mut out = vec![0u8; cap];
        let (mut len, mut code) = (0usize, 0u16);
        // SAFETY: all pointers are live and sized as passed.
        let status = unsafe {
            bitgocho_tracker::bitgocho_tracker_handle_http(
                t,
                target.as_ptr(),
                target.len(),
                &peer,
                out.as_mut_ptr(),
                cap,
                &mut len,
                &mut code,
            )
        };
        out.truncate(if status == BITGOCHO_OK { len } else { 0 });
        (status, out, code, len)
    }

    fn stats(t: *const bitgocho_tracker) -> bitgocho_tracker_statistics {
        let mut s =
            bitgocho_tracker_statistics { size: std::mem::size_of::<bitgocho_tracker_statistics>(), ..zeroed() };
        // SAFETY: t is live, s writable with its size set.
        assert_eq!(unsafe { bitgocho_tracker::bitgocho_tracker_stats(t, &mut s) }, BITGOCHO_OK);
        s
    }

    fn zeroed() -> bitgocho_tracker_statistics {
        bitgocho_tracker_statistics {
            size: 0,
            torrents: 0,
            seeds: 0,
            leechers: 0,
            announces: 0,
            scrapes: 0,
            udp_connects: 0,
            rejected: 0,
            saves: 0,
        }
    }

    #[test]
    fn unknown_keys_and_nat_check_are_refused_by_name() {
        assert_eq!(tracker(&[("no_such_key", SettingValue::Int(1))]).unwrap_err(), BITGOCHO_E_INVALID_ARG);
        assert!(message().contains("no_such_key"), "{}", message());
        assert_eq!(tracker(&[("nat_check", SettingValue::Int(3))]).unwrap_err(), BITGOCHO_E_UNSUPPORTED);
        assert!(message().contains("nat_check"), "{}", message());
        let t =
            tracker(&[("response_size", SettingValue::Int(10)), ("compact_reqd", SettingValue::Bool(true))]).unwrap();
        // SAFETY: t is live; freed once.
        unsafe { bitgocho_tracker::bitgocho_tracker_free(t) };
    }

    #[test]
    fn a_short_buffer_never_applies_an_announce() {
        let t = tracker(&[]).unwrap();
        // SAFETY: t is live.
        let max = unsafe { bitgocho_tracker::bitgocho_tracker_max_response_len(t) };
        let (status, _, _, needed) = http(t, &announce_target(1, 5), max - 1);
        assert_eq!((status, needed), (BITGOCHO_E_BUFFER_TOO_SMALL, max));
        assert_eq!((stats(t).announces, stats(t).leechers), (0, 0));
        let (status, body, code, _) = http(t, &announce_target(1, 5), max);
        assert_eq!((status, code), (BITGOCHO_OK, 200), "{}", String::from_utf8_lossy(&body));
        assert!(body.starts_with(b"d8:complete"), "{}", String::from_utf8_lossy(&body));
        assert_eq!((stats(t).announces, stats(t).leechers, stats(t).torrents), (1, 1, 1));
        let (status, body, code, _) = http(t, b"/scrape", 4);
        assert_eq!((status, code), (BITGOCHO_E_BUFFER_TOO_SMALL, 0));
        assert!(body.is_empty());
        let (status, body, _, _) = http(t, b"/scrape", 4096);
        assert_eq!(status, BITGOCHO_OK);
        assert!(
            body.windows(13).any(|w| w == b"10:incompletei1e"[..13].as_ref()),
            "{}",
            String::from_utf8_lossy(&body)
        );
        // SAFETY: t is live; freed once.
        unsafe { bitgocho_tracker::bitgocho_tracker_free(t) };
    }

    #[test]
    fn other_paths_are_not_found_and_garbage_is_400() {
        let t = tracker(&[]).unwrap();
        assert_eq!(http(t, b"/", 8192).0, BITGOCHO_E_NOT_FOUND);
        assert_eq!(http(t, b"/favicon.ico", 8192).0, BITGOCHO_E_NOT_FOUND);
        let (status, body, code, _) = http(t, b"/announce?info_hash=short", 8192);
        assert_eq!((status, code), (BITGOCHO_OK, 400), "{}", String::from_utf8_lossy(&body));
        let mut page = null_mut();
        // SAFETY: t live, page writable; the bytes are freed once.
        unsafe {
            assert_eq!(bitgocho_tracker::bitgocho_tracker_info_page(t, &mut page), BITGOCHO_OK);
            assert!(bitgocho_bytes::bitgocho_bytes_len(page) > 100);
            bitgocho_bytes::bitgocho_bytes_free(page);
            bitgocho_tracker::bitgocho_tracker_free(t);
        }
    }

    #[test]
    fn udp_connect_round_trip_and_size_check() {
        let t = tracker(&[]).unwrap();
        let peer = from_socket_addr("[2001:db8::5]:7000".parse().unwrap());
        let mut req = 0x41727101980u64.to_be_bytes().to_vec();
        req.extend_from_slice(&0u32.to_be_bytes());
        req.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        let mut out = vec![0u8; 8192];
        let mut len = 0usize;
        // SAFETY: pointers are live and sized as passed.
        let status = unsafe {
            bitgocho_tracker::bitgocho_tracker_handle_udp(
                t,
                req.as_ptr(),
                req.len(),
                &peer,
                out.as_mut_ptr(),
                8,
                &mut len,
            )
        };
        assert_eq!(status, BITGOCHO_E_BUFFER_TOO_SMALL);
        // SAFETY: as above.
        let status = unsafe {
            bitgocho_tracker::bitgocho_tracker_handle_udp(
                t,
                req.as_ptr(),
                req.len(),
                &peer,
                out.as_mut_ptr(),
                out.len(),
                &mut len,
            )
        };
        assert_eq!((status, len, &out[..8]), (BITGOCHO_OK, 16, &[0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78][..]));
        // SAFETY: as above; a short non-request datagram gets no reply.
        let status = unsafe {
            bitgocho_tracker::bitgocho_tracker_handle_udp(
                t,
                req.as_ptr(),
                3,
                &peer,
                out.as_mut_ptr(),
                out.len(),
                &mut len,
            )
        };
        assert_eq!((status, len), (BITGOCHO_OK, 0));
        assert_eq!(stats(t).udp_connects, 1);
        // SAFETY: t is live; freed once.
        unsafe { bitgocho_tracker::bitgocho_tracker_free(t) };
    }

    #[test]
    fn udp_replies_fit_the_published_maximum() {
        let t = Tracker::new(TrackerConfig { nat_check: 0, ..TrackerConfig::default() }).unwrap();
        let udp_announce_max = 20 + 18 * t.config().response_size;
        let udp_scrape_max = 8 + 12 * crate::tracker::udp_protocol::MAX_UDP_SCRAPE;
        assert!(t.max_response_len() >= udp_announce_max.max(udp_scrape_max).max(8 + 1024));
    }
}
