//! `bitgocho_tracker`: the tracker core ([`crate::tracker::Tracker`]) embedded in a host's own
//! HTTP and UDP servers, shared by `Arc`. The host passes raw request targets and datagrams with
//! the client's address and sends the replies; the library opens no socket and starts no thread.
//! This file has the handle's life, maintenance, state file, statistics and warnings; the
//! request calls are in `tracker_requests.rs`.

use std::collections::VecDeque;
use std::ffi::c_char;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;

use super::abi::*;
use super::boundary::{self, boundary, boundary_or, try_out, try_ref, try_str, Castable, OwnedArc};
use super::buffer::{copy_str, write_out};
use super::last_error::fail;
use super::settings::{SettingValue, Settings};
use super::status::io_error;
use crate::tracker::core::unix_now;
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
    if config.multitracker_enabled || !config.aggregate_forward.is_empty() {
        return Err(fail(
            BITGOCHO_E_UNSUPPORTED,
            "tracker options multitracker_enabled and aggregate_forward need outgoing HTTP requests, which an \
             embedded tracker does not make (it opens no sockets); use bttrack",
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

impl bitgocho_tracker {
    /// Makes a tracker from `settings` (copied; the same option names and value forms as
    /// `bttrack --name value`: strings, integers, or booleans for 0/1 options) and stores a
    /// new reference in `*out` (free with `bitgocho_tracker_free()`). Options of bttrack's
    /// network front (`port`, `bind`, `socket_timeout`, `logfile`...) are accepted and ignored.
    /// `nat_check` defaults to 0 here and must stay 0 (no sockets); for the same reason
    /// `multitracker_enabled` must stay 0 and `aggregate_forward` empty, while `aggregator`,
    /// `multitracker_allowed` (answering other trackers' T2T polls) and
    /// `min_time_between_cache_refreshes` work as in bttrack. When `dfile` names an
    /// existing state file it is loaded; a corrupt one is moved aside with a warning
    /// (`bitgocho_tracker_pop_warning()`).
    ///
    /// Returns `BITGOCHO_E_INVALID_ARG` for an unknown option or a bad value (the last error
    /// names the option), `BITGOCHO_E_UNSUPPORTED` for features that need sockets (nat_check,
    /// multitracker_enabled, aggregate_forward), `BITGOCHO_E_IO` when a file an option names cannot be read.
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
pub(crate) mod tests {
    use super::*;
    use crate::ffi::last_error::message;
    use crate::ffi::peer_addr::from_socket_addr;
    use std::ptr::null;

    pub(crate) fn tracker(pairs: &[(&str, SettingValue)]) -> Result<*const bitgocho_tracker, bitgocho_status> {
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

    pub(crate) fn announce_target(peer: u8, left: u64) -> Vec<u8> {
        format!(
            "/announce?info_hash={}&peer_id={}&port=6881&uploaded=0&downloaded=0&left={left}&compact=1",
            "%AA".repeat(20),
            "-XX0001-".to_string() + &format!("{peer:012}")
        )
        .into_bytes()
    }

    pub(crate) fn http(
        t: *const bitgocho_tracker,
        target: &[u8],
        cap: usize,
    ) -> (bitgocho_status, Vec<u8>, u16, usize) {
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

    pub(crate) fn stats(t: *const bitgocho_tracker) -> bitgocho_tracker_statistics {
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
        for (k, v) in [
            ("multitracker_enabled", SettingValue::Bool(true)),
            ("aggregate_forward", SettingValue::Str("http://127.0.0.1:1/announce".into())),
        ] {
            assert_eq!(tracker(&[(k, v)]).unwrap_err(), BITGOCHO_E_UNSUPPORTED, "{k}");
            assert!(message().contains(k), "{}", message());
        }
    }

    #[test]
    fn aggregator_and_cache_settings_are_accepted() {
        let t = tracker(&[
            ("aggregator", SettingValue::Str("pw".into())),
            ("multitracker_allowed", SettingValue::Str("all".into())),
            ("min_time_between_cache_refreshes", SettingValue::Int(30)),
        ])
        .unwrap();
        let target = announce_target(1, 0);
        let (status, body, code, len) = http(t, &target, 1 << 16);
        assert_eq!((status, code), (BITGOCHO_OK, 200));
        assert!(String::from_utf8_lossy(&body[..len]).contains("not authorized"), "no password");
        let with_pw = [target.as_slice(), b"&password=pw"].concat();
        let (status, body, _, len) = http(t, &with_pw, 1 << 16);
        assert_eq!((status, &body[..len]), (BITGOCHO_OK, b"d8:response2:OKe".as_slice()));
        // SAFETY: t is live; freed once.
        unsafe { bitgocho_tracker::bitgocho_tracker_free(t) };
    }
}
