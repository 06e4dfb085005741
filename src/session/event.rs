//! Events a session reports to its user through the bounded event queue.

use std::net::SocketAddr;

/// Something that happened in the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// A torrent was added.
    Added {
        /// The torrent.
        torrent: u32,
    },
    /// Checking of existing data finished.
    Checked {
        /// The torrent.
        torrent: u32,
        /// Pieces found good.
        pieces: u32,
    },
    /// A piece was downloaded and verified.
    PieceFinished {
        /// The torrent.
        torrent: u32,
        /// The piece.
        piece: u32,
    },
    /// A piece failed its hash check.
    HashFailed {
        /// The torrent.
        torrent: u32,
        /// The piece.
        piece: u32,
    },
    /// Every wanted piece is here.
    Finished {
        /// The torrent.
        torrent: u32,
    },
    /// A tracker answered.
    TrackerReply {
        /// The torrent.
        torrent: u32,
        /// Tracker URL.
        url: String,
        /// Peers received.
        peers: u32,
        /// Warning message, if any.
        warning: Option<String>,
    },
    /// A tracker failed or refused.
    TrackerError {
        /// The torrent.
        torrent: u32,
        /// Tracker URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A peer was banned for sending corrupt data.
    PeerBanned {
        /// The torrent.
        torrent: u32,
        /// Its address.
        addr: SocketAddr,
    },
    /// Reading or writing the torrent's files failed; the torrent stopped.
    StorageError {
        /// The torrent.
        torrent: u32,
        /// What went wrong.
        message: String,
    },
    /// A torrent was removed.
    Removed {
        /// The torrent.
        torrent: u32,
    },
    /// A web seed (BEP 17 or 19) failed; it retries later, unless it served corrupt data and
    /// was dropped.
    WebSeedError {
        /// The torrent.
        torrent: u32,
        /// The seed's URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A torrent added from a magnet link has its metadata: it now checks, downloads and seeds
    /// like any torrent (its files, size and pieces are known from here on).
    MetadataReceived {
        /// The torrent.
        torrent: u32,
    },
    /// A torrent added from a magnet link received metadata that cannot make a torrent; it
    /// stopped.
    MetadataFailed {
        /// The torrent.
        torrent: u32,
        /// What went wrong.
        message: String,
    },
    /// A tracker answered a scrape (BEP 48) with the swarm's counts (also in the status).
    ScrapeReply {
        /// The torrent.
        torrent: u32,
        /// The tracker's announce URL.
        url: String,
        /// Seeds.
        complete: u64,
        /// Leechers.
        incomplete: u64,
        /// Completed downloads the tracker recorded.
        downloaded: u64,
    },
    /// A scrape failed (the announces go on regardless).
    ScrapeFailed {
        /// The torrent.
        torrent: u32,
        /// The tracker's announce URL (empty when the torrent has no tracker).
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A torrent's files moved to another save directory ([`super::TorrentHandle::move_storage`]).
    StorageMoved {
        /// The torrent.
        torrent: u32,
        /// The new save directory.
        path: String,
    },
    /// A move of a torrent's files failed; they stay where they were.
    StorageMoveFailed {
        /// The torrent.
        torrent: u32,
        /// What went wrong.
        message: String,
    },
    /// Listening failed or succeeded.
    Listening {
        /// The port, or 0 on failure.
        port: u16,
        /// Error text on failure.
        error: Option<String>,
    },
}

impl SessionEvent {
    /// A stable number per kind for the C API.
    pub fn kind_code(&self) -> u32 {
        match self {
            SessionEvent::Added { .. } => 1,
            SessionEvent::Checked { .. } => 2,
            SessionEvent::PieceFinished { .. } => 3,
            SessionEvent::HashFailed { .. } => 4,
            SessionEvent::Finished { .. } => 5,
            SessionEvent::TrackerReply { .. } => 6,
            SessionEvent::TrackerError { .. } => 7,
            SessionEvent::PeerBanned { .. } => 8,
            SessionEvent::StorageError { .. } => 9,
            SessionEvent::Removed { .. } => 10,
            SessionEvent::Listening { .. } => 11,
            SessionEvent::WebSeedError { .. } => 13,
            SessionEvent::MetadataReceived { .. } => 14,
            SessionEvent::MetadataFailed { .. } => 15,
            SessionEvent::ScrapeReply { .. } => 16,
            SessionEvent::ScrapeFailed { .. } => 17,
            SessionEvent::StorageMoved { .. } => 18,
            SessionEvent::StorageMoveFailed { .. } => 19,
        }
    }

    /// The torrent the event is about, if any.
    pub fn torrent(&self) -> Option<u32> {
        match self {
            SessionEvent::Added { torrent }
            | SessionEvent::Checked { torrent, .. }
            | SessionEvent::PieceFinished { torrent, .. }
            | SessionEvent::HashFailed { torrent, .. }
            | SessionEvent::Finished { torrent }
            | SessionEvent::TrackerReply { torrent, .. }
            | SessionEvent::TrackerError { torrent, .. }
            | SessionEvent::PeerBanned { torrent, .. }
            | SessionEvent::StorageError { torrent, .. }
            | SessionEvent::Removed { torrent }
            | SessionEvent::WebSeedError { torrent, .. }
            | SessionEvent::MetadataReceived { torrent }
            | SessionEvent::MetadataFailed { torrent, .. }
            | SessionEvent::ScrapeReply { torrent, .. }
            | SessionEvent::ScrapeFailed { torrent, .. }
            | SessionEvent::StorageMoved { torrent, .. }
            | SessionEvent::StorageMoveFailed { torrent, .. } => Some(*torrent),
            SessionEvent::Listening { .. } => None,
        }
    }
}
