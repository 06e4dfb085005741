//! Snapshots of a torrent's state, published by the reactor and read by any thread.

use std::net::SocketAddr;

/// Where a torrent is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TorrentState {
    /// Verifying existing data (also while paused: the check goes on).
    #[default]
    Checking,
    /// Fetching pieces.
    Downloading,
    /// Complete; uploading.
    Seeding,
    /// Stopped by the user (once any check of its data is done).
    Paused,
    /// Stopped by an error (see `error`).
    Error,
    /// Added from a magnet link: fetching the info dictionary from peers.
    Metadata,
    /// Waiting in the download queue (`max_active_downloads`) for another download to end.
    Queued,
}

impl TorrentState {
    /// A stable number for the C API.
    pub fn code(self) -> u32 {
        match self {
            TorrentState::Checking => 0,
            TorrentState::Downloading => 1,
            TorrentState::Seeding => 2,
            TorrentState::Paused => 3,
            TorrentState::Error => 4,
            TorrentState::Metadata => 5,
            TorrentState::Queued => 6,
        }
    }
}

/// A torrent's status at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TorrentStatus {
    /// Lifecycle state.
    pub state: TorrentState,
    /// The torrent's name.
    pub name: String,
    /// Fraction of the torrent we have, 0..=1: [`TorrentStatus::total_done`] over the total
    /// size, 1 only once every piece is verified (checking progress while checking, the
    /// fraction of the info dictionary received while fetching metadata).
    pub progress: f64,
    /// Total size in bytes.
    pub total_size: u64,
    /// Bytes of verified pieces we have.
    pub have_bytes: u64,
    /// Bytes we have: verified pieces plus the received (or restored) blocks of pieces in
    /// progress, like libtorrent's `total_done`.
    pub total_done: u64,
    /// Payload download rate, bytes per second.
    pub download_rate: f64,
    /// Payload upload rate, bytes per second.
    pub upload_rate: f64,
    /// Payload bytes downloaded this session.
    pub downloaded: u64,
    /// Payload bytes uploaded this session.
    pub uploaded: u64,
    /// Connected peers.
    pub peers: u32,
    /// Connected peers that have everything.
    pub seeds: u32,
    /// Complete copies of the torrent among connected peers (including fractional part).
    pub distributed_copies: f64,
    /// Mean completion of connected peers that are not seeds, 0..=1.
    pub peers_average_progress: f64,
    /// Estimated seconds to completion at the current rate, rounded up (0 only once complete),
    /// when known.
    pub eta_seconds: Option<u64>,
    /// Pieces we have.
    pub pieces_have: u32,
    /// Pieces in the torrent.
    pub pieces_total: u32,
    /// One read-only line per connected peer (the curses tools' `--spew` table).
    pub peer_list: Vec<PeerInfo>,
    /// Pieces being requested from peers right now.
    pub pieces_downloading: u32,
    /// Pieces with some blocks received but none requested at the moment.
    pub pieces_fragments: u32,
    /// Last error, if stopped by one.
    pub error: Option<String>,
    /// Last tracker message (warning or error).
    pub tracker_message: Option<String>,
    /// Seeds and leechers the tracker reported (announce reply or scrape).
    pub tracker_swarm: Option<(u64, u64)>,
    /// Completed downloads the tracker recorded (from a scrape).
    pub tracker_downloaded: Option<u64>,
    /// The save path (absolute).
    pub save_path: String,
    /// Per-file bytes we have.
    pub file_progress: Vec<u64>,
    /// Our pieces, one bit each, high bit first.
    pub pieces: Vec<u8>,
    /// Connected peer addresses.
    pub peer_addrs: Vec<SocketAddr>,
    /// Web seeds (BEP 17/19) working now: fetching, or ready and not backing off after an error.
    pub web_seeds: u32,
}

/// What a status snapshot tells about one connected peer.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerInfo {
    /// Its address.
    pub addr: SocketAddr,
    /// We dialled it (BitTornado's `L`); false when it connected to us (`R`).
    pub outgoing: bool,
    /// Payload rate from us to it, bytes per second.
    pub upload_rate: f64,
    /// Payload rate from it to us, bytes per second.
    pub download_rate: f64,
    /// It is interested in our pieces.
    pub peer_interested: bool,
    /// We choke it.
    pub am_choking: bool,
    /// We are interested in its pieces.
    pub am_interested: bool,
    /// It chokes us.
    pub peer_choking: bool,
    /// It unchoked us but sent nothing for the snub time.
    pub snubbed: bool,
    /// The connection's data is encrypted (MSE with RC4).
    pub encrypted: bool,
    /// Fraction of the torrent it has, 0..=1.
    pub progress: f64,
}

/// The cell a torrent's status snapshot is published in.
pub type StatusCell = std::sync::Arc<parking_lot::Mutex<TorrentStatus>>;

/// Totals over the torrents in a session, summed from their status snapshots
/// ([`super::Session::stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SessionStats {
    /// Torrents in the session (those still fetching their metadata included).
    pub torrents: u32,
    /// Connected peers over all torrents.
    pub peers: u32,
    /// Payload download rate, bytes per second.
    pub download_rate: f64,
    /// Payload upload rate, bytes per second.
    pub upload_rate: f64,
    /// Payload bytes downloaded by the torrents in the session since each was added.
    pub downloaded: u64,
    /// Payload bytes uploaded by the torrents in the session since each was added.
    pub uploaded: u64,
    /// Nodes in the DHT's routing table.
    pub dht_nodes: u64,
}

impl SessionStats {
    /// Adds one torrent's snapshot.
    pub fn add(&mut self, st: &TorrentStatus) {
        self.torrents += 1;
        self.peers += st.peers;
        self.download_rate += st.download_rate;
        self.upload_rate += st.upload_rate;
        self.downloaded += st.downloaded;
        self.uploaded += st.uploaded;
    }
}
