//! The request calls of `bitgocho_tracker`: HTTP request targets and UDP datagrams in,
//! replies out (the rest of the handle is in `tracker.rs`).
//!
//! Replies of state-changing requests (announces) go into caller buffers of at least
//! `bitgocho_tracker_max_response_len()` bytes, checked before the request is applied, so a
//! retry after `BITGOCHO_E_BUFFER_TOO_SMALL` never applies an announce twice.

use std::cell::RefCell;
use std::ffi::{c_char, CStr};
use std::net::SocketAddr;

use super::abi::*;
use super::boundary::{boundary, try_out, try_ref, try_slice};
use super::buffer::{copy_bytes, write_out};
use super::last_error::fail;
use super::peer_addr::peer_arg;
use super::tracker::{EmbeddedTracker, TRACKER_PATHS};
use crate::tracker::core::unix_now;
use crate::tracker::handler::HttpResponse;
use crate::tracker::query::split_target;

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
    Ok(t.tracker().handle_http_at(target, peer, &[], unix_now()))
}

/// Refuses an output buffer smaller than the largest announce reply, reporting that size.
///
/// # Safety
/// `out_len` is non-NULL and writable.
unsafe fn require_max(t: &EmbeddedTracker, cap: usize, out_len: *mut usize) -> Result<(), bitgocho_status> {
    let max = t.tracker().max_response_len();
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
                if !t.tracker().handle_udp_at(datagram, peer, &mut reply, unix_now()) {
                    reply.clear();
                }
                // SAFETY: out holds out_cap writable bytes; out_len checked non-NULL.
                let status = unsafe { copy_bytes(&reply, out, out_cap, out_len) };
                cell.replace(reply);
                status
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::peer_addr::from_socket_addr;
    use crate::ffi::tracker::tests::{announce_target, http, stats, tracker};
    use crate::tracker::{Tracker, TrackerConfig};
    use std::ptr::null_mut;

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
