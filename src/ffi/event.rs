//! `bitgocho_event`: one owned event popped from a session's queue, with its kind (a stable
//! `BITGOCHO_EVENT_*` code), its torrent, and typed getters (piece, count, peer, URL, port,
//! message). A getter asked for something its event kind does not carry is `BITGOCHO_E_NOT_FOUND`.

use std::sync::Arc;

use super::abi::*;
use super::boundary::{self, boundary, boundary_or, try_out, try_ref, Castable, OwnedBox};
use super::buffer::{copy_bytes, copy_str, write_out};
use super::last_error::fail;
use crate::session::event::SessionEvent;
use crate::session::TorrentHandle;

/// The value behind a `bitgocho_event` handle.
pub struct FfiEvent {
    /// The engine event, or `None` for an EVENTS_DROPPED report.
    event: Option<SessionEvent>,
    /// Events dropped, for an EVENTS_DROPPED report.
    dropped: u64,
    /// The handle of the event's torrent, when the session knew it.
    torrent: Option<TorrentHandle>,
}

impl Castable for bitgocho_event {
    type Ownership = OwnedBox;
    type RustType = FfiEvent;
}

impl FfiEvent {
    /// An engine event about `torrent` (when known).
    pub(crate) fn new(event: SessionEvent, torrent: Option<TorrentHandle>) -> Self {
        FfiEvent { event: Some(event), dropped: 0, torrent }
    }

    /// The report that `count` events were dropped.
    pub(crate) fn dropped(count: u64) -> Self {
        FfiEvent { event: None, dropped: count, torrent: None }
    }

    /// The `BITGOCHO_EVENT_*` code.
    pub(crate) fn kind(&self) -> u32 {
        self.event.as_ref().map_or(BITGOCHO_EVENT_EVENTS_DROPPED, SessionEvent::kind_code)
    }

    /// The piece of PIECE_FINISHED and HASH_FAILED.
    fn piece(&self) -> Option<u32> {
        match self.event.as_ref()? {
            SessionEvent::PieceFinished { piece, .. } | SessionEvent::HashFailed { piece, .. } => Some(*piece),
            _ => None,
        }
    }

    /// The number an event carries: dropped events, pieces found by a check, peers from a tracker.
    fn count(&self) -> Option<u64> {
        match &self.event {
            None => Some(self.dropped),
            Some(SessionEvent::Checked { pieces, .. }) => Some(u64::from(*pieces)),
            Some(SessionEvent::TrackerReply { peers, .. }) => Some(u64::from(*peers)),
            Some(_) => None,
        }
    }

    /// The text of an event: error or warning message (a moved torrent's new save directory),
    /// empty when it has none.
    fn message(&self) -> String {
        match &self.event {
            None => format!("{} events were dropped: the event queue was full", self.dropped),
            Some(SessionEvent::TrackerReply { warning, .. }) => warning.clone().unwrap_or_default(),
            Some(
                SessionEvent::TrackerError { message, .. }
                | SessionEvent::StorageError { message, .. }
                | SessionEvent::WebSeedError { message, .. }
                | SessionEvent::MetadataFailed { message, .. }
                | SessionEvent::ScrapeFailed { message, .. }
                | SessionEvent::StorageMoveFailed { message, .. },
            ) => message.clone(),
            Some(SessionEvent::StorageMoved { path, .. }) => path.clone(),
            Some(SessionEvent::Listening { error, .. }) => error.clone().unwrap_or_default(),
            Some(_) => String::new(),
        }
    }
}

/// The status for a getter whose value the event does not carry.
fn absent(what: &str, kind: u32) -> bitgocho_status {
    fail(BITGOCHO_E_NOT_FOUND, format_args!("an event of kind {kind} has no {what}"))
}

impl bitgocho_event {
    /// The event's `BITGOCHO_EVENT_*` kind; 0 for NULL.
    ///
    /// # Safety
    /// `event` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_event_kind(event: *const bitgocho_event) -> u32 {
        boundary_or! { 0,
            try_ref!(event, 0).kind()
        }
    }

    /// Stores a new handle to the event's torrent in `*out` (free it with
    /// `bitgocho_torrent_free()`; after REMOVED its calls return `BITGOCHO_E_TORRENT_GONE`).
    /// Returns `BITGOCHO_E_NOT_FOUND` for events about no torrent (LISTENING, EVENTS_DROPPED).
    ///
    /// # Safety
    /// `event` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_event_torrent(
        event: *const bitgocho_event,
        out: *mut *const bitgocho_torrent,
    ) -> bitgocho_status {
        boundary! {
            let event = try_ref!(event);
            try_out!(out);
            match &event.torrent {
                Some(handle) => {
                    let ptr = boundary::arc_into_ptr::<bitgocho_torrent>(Arc::new(handle.clone()));
                    // SAFETY: out checked non-NULL.
                    unsafe { write_out(out, ptr) };
                    BITGOCHO_OK
                }
                None => absent("torrent", event.kind()),
            }
        }
    }

    /// Stores the session id of the event's torrent in `*out` (compare with
    /// `bitgocho_torrent_id()`). `BITGOCHO_E_NOT_FOUND` for events about no torrent.
    ///
    /// # Safety
    /// `event` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_event_torrent_id(event: *const bitgocho_event, out: *mut u32) -> bitgocho_status {
        boundary! {
            let event = try_ref!(event);
            try_out!(out);
            match event.event.as_ref().and_then(SessionEvent::torrent) {
                // SAFETY: out checked non-NULL.
                Some(id) => unsafe { write_out(out, id); BITGOCHO_OK },
                None => absent("torrent", event.kind()),
            }
        }
    }

    /// Copies the 20-byte v1 info-hash of the event's torrent into `buf` (binary).
    /// `BITGOCHO_E_NOT_FOUND` for events about no torrent.
    ///
    /// # Safety
    /// `event` is NULL or a live handle; `buf` points to `cap` writable bytes (or is NULL with
    /// `cap` 0); `out_len` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_event_info_hash(
        event: *const bitgocho_event,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let event = try_ref!(event);
            match &event.torrent {
                // SAFETY: forwarded from this function's contract.
                Some(handle) => unsafe { copy_bytes(&handle.info_hash(), buf, cap, out_len) },
                None => absent("torrent", event.kind()),
            }
        }
    }

    /// Copies the event's text into `buf`: the message of TRACKER_ERROR, STORAGE_ERROR,
    /// WEB_SEED_ERROR, METADATA_FAILED, SCRAPE_FAILED and a failed LISTENING, the warning of
    /// TRACKER_REPLY, a description for EVENTS_DROPPED; empty for the others.
    ///
    /// # Safety
    /// As for `bitgocho_event_info_hash()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_event_message(
        event: *const bitgocho_event,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let event = try_ref!(event);
            // SAFETY: forwarded from this function's contract.
            unsafe { copy_str(&event.message(), buf, cap, out_len) }
        }
    }

    /// Stores the piece index of PIECE_FINISHED and HASH_FAILED in `*out`.
    ///
    /// # Safety
    /// `event` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_event_piece(event: *const bitgocho_event, out: *mut u32) -> bitgocho_status {
        boundary! {
            let event = try_ref!(event);
            try_out!(out);
            match event.piece() {
                // SAFETY: out checked non-NULL.
                Some(piece) => unsafe { write_out(out, piece); BITGOCHO_OK },
                None => absent("piece", event.kind()),
            }
        }
    }

    /// Stores the event's count in `*out`: events lost for EVENTS_DROPPED, pieces found good for
    /// CHECKED, peers received for TRACKER_REPLY.
    ///
    /// # Safety
    /// `event` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_event_count(event: *const bitgocho_event, out: *mut u64) -> bitgocho_status {
        boundary! {
            let event = try_ref!(event);
            try_out!(out);
            match event.count() {
                // SAFETY: out checked non-NULL.
                Some(n) => unsafe { write_out(out, n); BITGOCHO_OK },
                None => absent("count", event.kind()),
            }
        }
    }

    /// Copies the banned peer's address of PEER_BANNED into `buf` as text (`ip:port`, IPv6 in
    /// brackets).
    ///
    /// # Safety
    /// As for `bitgocho_event_info_hash()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_event_peer(
        event: *const bitgocho_event,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let event = try_ref!(event);
            match &event.event {
                // SAFETY: forwarded from this function's contract.
                Some(SessionEvent::PeerBanned { addr, .. }) => unsafe { copy_str(&addr.to_string(), buf, cap, out_len) },
                _ => absent("peer", event.kind()),
            }
        }
    }

    /// Copies the URL of TRACKER_REPLY, TRACKER_ERROR, SCRAPE_REPLY, SCRAPE_FAILED (the
    /// tracker's announce URL) and WEB_SEED_ERROR (the seed's) into `buf`.
    ///
    /// # Safety
    /// As for `bitgocho_event_info_hash()`.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_event_url(
        event: *const bitgocho_event,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status {
        boundary! {
            let event = try_ref!(event);
            match &event.event {
                Some(
                    SessionEvent::TrackerReply { url, .. }
                    | SessionEvent::TrackerError { url, .. }
                    | SessionEvent::WebSeedError { url, .. }
                    | SessionEvent::ScrapeReply { url, .. }
                    | SessionEvent::ScrapeFailed { url, .. },
                ) => {
                    // SAFETY: forwarded from this function's contract.
                    unsafe { copy_str(url, buf, cap, out_len) }
                }
                _ => absent("URL", event.kind()),
            }
        }
    }

    /// Stores the port of LISTENING in `*out` (0 when listening failed).
    ///
    /// # Safety
    /// `event` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_event_port(event: *const bitgocho_event, out: *mut u16) -> bitgocho_status {
        boundary! {
            let event = try_ref!(event);
            try_out!(out);
            match &event.event {
                // SAFETY: out checked non-NULL.
                Some(SessionEvent::Listening { port, .. }) => unsafe { write_out(out, *port); BITGOCHO_OK },
                _ => absent("port", event.kind()),
            }
        }
    }

    /// Releases `event`. NULL is a no-op. Must not be called twice on the same value.
    ///
    /// # Safety
    /// `event` is NULL or a live handle not used afterwards.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_event_free(event: *mut bitgocho_event) {
        boundary_or! { (),
            // SAFETY: per this function's contract.
            drop(unsafe { boundary::box_from_ptr(event) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_match_the_engine_codes_and_dropped_is_its_own() {
        let cases = [
            (SessionEvent::Added { torrent: 1 }, BITGOCHO_EVENT_ADDED),
            (SessionEvent::Checked { torrent: 1, pieces: 2 }, BITGOCHO_EVENT_CHECKED),
            (SessionEvent::PieceFinished { torrent: 1, piece: 3 }, BITGOCHO_EVENT_PIECE_FINISHED),
            (SessionEvent::HashFailed { torrent: 1, piece: 3 }, BITGOCHO_EVENT_HASH_FAILED),
            (SessionEvent::Finished { torrent: 1 }, BITGOCHO_EVENT_FINISHED),
            (
                SessionEvent::TrackerReply { torrent: 1, url: "u".into(), peers: 5, warning: None },
                BITGOCHO_EVENT_TRACKER_REPLY,
            ),
            (
                SessionEvent::TrackerError { torrent: 1, url: "u".into(), message: "m".into() },
                BITGOCHO_EVENT_TRACKER_ERROR,
            ),
            (SessionEvent::PeerBanned { torrent: 1, addr: "1.2.3.4:5".parse().unwrap() }, BITGOCHO_EVENT_PEER_BANNED),
            (SessionEvent::StorageError { torrent: 1, message: "m".into() }, BITGOCHO_EVENT_STORAGE_ERROR),
            (SessionEvent::Removed { torrent: 1 }, BITGOCHO_EVENT_REMOVED),
            (SessionEvent::Listening { port: 1, error: None }, BITGOCHO_EVENT_LISTENING),
            (
                SessionEvent::WebSeedError { torrent: 1, url: "u".into(), message: "m".into() },
                BITGOCHO_EVENT_WEB_SEED_ERROR,
            ),
            (SessionEvent::MetadataReceived { torrent: 1 }, BITGOCHO_EVENT_METADATA_RECEIVED),
            (SessionEvent::MetadataFailed { torrent: 1, message: "m".into() }, BITGOCHO_EVENT_METADATA_FAILED),
            (
                SessionEvent::ScrapeReply { torrent: 1, url: "u".into(), complete: 1, incomplete: 2, downloaded: 3 },
                BITGOCHO_EVENT_SCRAPE_REPLY,
            ),
            (
                SessionEvent::ScrapeFailed { torrent: 1, url: "u".into(), message: "m".into() },
                BITGOCHO_EVENT_SCRAPE_FAILED,
            ),
            (SessionEvent::StorageMoved { torrent: 1, path: "p".into() }, BITGOCHO_EVENT_STORAGE_MOVED),
            (SessionEvent::StorageMoveFailed { torrent: 1, message: "m".into() }, BITGOCHO_EVENT_STORAGE_MOVE_FAILED),
        ];
        for (event, code) in cases {
            assert_eq!(FfiEvent::new(event.clone(), None).kind(), code, "{event:?}");
        }
        let dropped = FfiEvent::dropped(42);
        assert_eq!((dropped.kind(), dropped.count()), (BITGOCHO_EVENT_EVENTS_DROPPED, Some(42)));
        assert!(dropped.message().contains("42"));
    }

    #[test]
    fn typed_getters_answer_only_for_their_kinds() {
        let checked = FfiEvent::new(SessionEvent::Checked { torrent: 1, pieces: 7 }, None);
        assert_eq!((checked.count(), checked.piece()), (Some(7), None));
        let piece = FfiEvent::new(SessionEvent::HashFailed { torrent: 1, piece: 9 }, None);
        assert_eq!((piece.piece(), piece.count()), (Some(9), None));
        let err = FfiEvent::new(SessionEvent::StorageError { torrent: 1, message: "disk full".into() }, None);
        assert_eq!(err.message(), "disk full");
        let ev: *const bitgocho_event = boundary::box_into_ptr::<bitgocho_event>(piece);
        let mut n = 0u64;
        // SAFETY: ev is a live handle and n is writable.
        assert_eq!(unsafe { bitgocho_event::bitgocho_event_count(ev, &mut n) }, BITGOCHO_E_NOT_FOUND);
        // SAFETY: ev came from box_into_ptr and is not used afterwards.
        unsafe { bitgocho_event::bitgocho_event_free(ev.cast_mut()) };
    }
}
