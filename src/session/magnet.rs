//! A torrent added from a magnet link, before its info dictionary is in: it announces, dials
//! and takes connections like a torrent, but its connections only fetch the metadata
//! ([`MetadataFetch`]), and for a v2-only torrent then its piece layers ([`LayerFetch`]). Once
//! they are in and match the info-hash, the reactor turns it into a
//! [`Torrent`](super::torrent::Torrent) with the same id, status cell and announcer.

use super::announcer::Announcer;
use super::event::SessionEvent;
use super::layer_fetch::LayerFetch;
use super::metadata_fetch::{Fed, FetchError, InfoHashes, MetadataFetch, MAX_METADATA_SIZE};
use super::peer::{PeerConn, PeerError};
use super::status::{StatusCell, TorrentState, TorrentStatus};
use super::swarm::Swarm;
use super::torrent::{extension_handshake, AddTorrent, TorrentId};
use super::torrent_metadata::UT_METADATA_ID;
use super::PeerKey;
use crate::metainfo::magnet::MagnetLink;
use crate::metainfo::Metainfo;
use crate::wire::metadata::{MetadataMessage, UT_METADATA};
use crate::wire::{ExtensionHandshake, Message};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a torrent needs besides its metainfo, kept until the metainfo is in.
pub type BuildTorrent = Box<dyn FnOnce(Arc<Metainfo>) -> AddTorrent + Send>;

/// A request to add a torrent from a magnet link.
pub struct AddMagnet {
    /// The link.
    pub link: MagnetLink,
    /// Peers to connect to besides the link's.
    pub peers: Vec<SocketAddr>,
    /// Start paused.
    pub paused: bool,
    /// Most connections while fetching.
    pub max_connections: usize,
    /// The save path, for the status.
    pub save_path: String,
    /// Makes the torrent's add parameters once the metainfo is in.
    pub build: BuildTorrent,
    /// The info dictionary, when it is known already (a v2 .torrent without its piece
    /// layers): only the layers are fetched.
    pub info: Option<Vec<u8>>,
}

/// A peer that has not sent an extension handshake this long after connecting is dropped.
const EXTENSION_WAIT: Duration = Duration::from_secs(20);
/// A peer that refused a piece is not asked again for this long.
const REJECT_BACKOFF: Duration = Duration::from_secs(5);
/// Most bytes of a connection's messages kept for the torrent it is handed to (a bitfield of
/// two million pieces); a connection past it is closed and redialled instead.
const MAX_LOG: usize = 256 * 1024;

/// A magnet-link torrent fetching its metadata.
pub struct MagnetTorrent {
    /// Session-local id (kept by the torrent it becomes).
    pub id: TorrentId,
    /// The link.
    pub link: MagnetLink,
    /// The metadata download.
    pub fetch: MetadataFetch,
    /// Tracker state (handed to the torrent it becomes).
    pub announcer: Announcer,
    /// Addresses to dial.
    pub candidates: VecDeque<SocketAddr>,
    /// Addresses ever queued (not queued twice).
    pub known: HashSet<SocketAddr>,
    /// Addresses that sent pieces of a dictionary that failed the hash, or piece hashes that
    /// did not prove out: not dialled again.
    pub banned: HashSet<SocketAddr>,
    /// Connections of this torrent that finished the handshake.
    pub peers: HashSet<PeerKey>,
    /// Paused by the user.
    pub paused: bool,
    /// The dictionary says `private`: no DHT (known once the dictionary is in).
    pub private: bool,
    /// Most connections.
    pub max_connections: usize,
    /// Shared status snapshot (handed to the torrent it becomes).
    pub snapshot: StatusCell,
    /// The .torrent (the dictionary, the link's trackers, the piece layers fetched), once
    /// everything is in and verified.
    pub done: Option<Vec<u8>>,
    /// The dictionary, once in and verified, while the piece layers are fetched.
    info: Option<Vec<u8>>,
    /// The piece layers still to fetch (none until the dictionary is in).
    layers: LayerFetch,
    /// Connections to close (they sent a bad dictionary or bad hashes).
    pub to_close: Vec<PeerKey>,
    /// Something the status shows changed.
    pub status_dirty: bool,
    /// Why the torrent stopped (the metadata could not be used), if it did.
    pub error: Option<String>,
    /// Events for the session's queue.
    pub events: Vec<SessionEvent>,
    /// When each connection may be asked again after a reject.
    backoff: HashMap<PeerKey, Instant>,
    /// The dictionary size each connection gave in its extension handshake.
    claims: HashMap<PeerKey, u64>,
    /// What each connection said that the torrent it is handed to must hear (its extension
    /// handshake, bitfield, haves, chokes...), encoded; `None` once past [`MAX_LOG`].
    logs: HashMap<PeerKey, Option<Vec<u8>>>,
    save_path: String,
    build: Option<BuildTorrent>,
}

impl Swarm for MagnetTorrent {
    fn id(&self) -> TorrentId {
        self.id
    }
    fn announcer(&self) -> &Announcer {
        &self.announcer
    }
    fn announcer_mut(&mut self) -> &mut Announcer {
        &mut self.announcer
    }
    fn is_paused(&self) -> bool {
        self.paused
    }
    /// Queues addresses to dial (each once, banned ones never).
    fn add_peers(&mut self, addrs: &[SocketAddr], _now: Instant) {
        for a in addrs {
            if !self.banned.contains(a) && self.known.insert(*a) {
                self.candidates.push_back(*a);
            }
        }
    }
    fn push_event(&mut self, event: SessionEvent) {
        self.events.push(event);
    }
    fn mark_status_dirty(&mut self) {
        self.status_dirty = true;
    }
    fn redial(&mut self, addr: SocketAddr) {
        if self.is_active() && !self.banned.contains(&addr) {
            self.candidates.push_back(addr);
        }
    }
}

impl MagnetTorrent {
    /// A magnet torrent with id `id` and its trackers' `announcer`.
    pub fn new(id: TorrentId, add: AddMagnet, announcer: Announcer, now: Instant) -> MagnetTorrent {
        let mut m = MagnetTorrent {
            id,
            fetch: MetadataFetch::new(InfoHashes::of(&add.link)),
            announcer,
            candidates: VecDeque::new(),
            known: HashSet::new(),
            banned: HashSet::new(),
            peers: HashSet::new(),
            paused: add.paused,
            private: false,
            max_connections: add.max_connections.max(1),
            snapshot: StatusCell::default(),
            done: None,
            info: None,
            layers: LayerFetch::default(),
            to_close: Vec::new(),
            status_dirty: true,
            error: None,
            events: Vec::new(),
            backoff: HashMap::new(),
            claims: HashMap::new(),
            logs: HashMap::new(),
            save_path: add.save_path,
            build: Some(add.build),
            link: add.link,
        };
        let peers: Vec<SocketAddr> = m.link.peers.iter().chain(&add.peers).copied().collect();
        m.add_peers(&peers, now);
        if let Some(info) = add.info {
            m.metadata_in(info);
        }
        m
    }

    /// The info-hash peers and trackers know the torrent by.
    pub fn info_hash(&self) -> [u8; 20] {
        self.link.info_hash
    }

    /// True while it runs: not paused, not stopped by an error.
    pub fn is_active(&self) -> bool {
        !self.paused && self.error.is_none()
    }

    /// Both handshakes are done: says we have nothing and asks for `ut_metadata`. A peer
    /// without the extension protocol cannot give metadata and is refused.
    pub fn on_connected(
        &mut self,
        key: PeerKey,
        conn: &mut PeerConn,
        listen_port: u16,
        now: Instant,
    ) -> Result<(), PeerError> {
        let remote = conn.remote.ok_or_else(|| PeerError::Protocol("no handshake".into()))?;
        if !remote.supports_extensions() {
            return Err(PeerError::Unwanted("no extension protocol, so no metadata to fetch".into()));
        }
        self.peers.insert(key);
        self.status_dirty = true;
        if remote.supports_fast() {
            conn.send(&Message::HaveNone, now);
        }
        let mut hs = extension_handshake(conn.addr, listen_port);
        hs.extensions.insert(UT_METADATA.into(), UT_METADATA_ID);
        conn.send(&Message::Extended { id: 0, payload: &hs.encode() }, now);
        Ok(())
    }

    /// Handles one message; only the extension handshake, `ut_metadata` and the answers to hash
    /// requests matter here.
    pub fn on_message(
        &mut self,
        key: PeerKey,
        conn: &mut PeerConn,
        msg: Message<'_>,
        now: Instant,
    ) -> Result<(), PeerError> {
        self.record(key, &msg);
        match msg {
            Message::Extended { id: 0, payload } => {
                let hs = ExtensionHandshake::decode(payload).map_err(|e| PeerError::Protocol(e.to_string()))?;
                conn.listen_port = hs.listen_port;
                conn.ut_metadata = hs.extensions.get(UT_METADATA).copied().filter(|id| *id != 0);
                if conn.ut_metadata.is_none() {
                    return Err(PeerError::Unwanted("peer does not serve metadata (no ut_metadata)".into()));
                }
                if let Some(size) = hs.metadata_size {
                    if size == 0 || size > MAX_METADATA_SIZE {
                        return Err(PeerError::Protocol(FetchError::BadSize(size).to_string()));
                    }
                    self.claims.insert(key, size);
                }
                self.request_more(key, conn, now);
            }
            Message::Extended { id: UT_METADATA_ID, payload } => self.on_metadata(key, conn, payload, now)?,
            Message::Hashes { range, hashes } => match self.layers.on_hashes(&range, hashes) {
                Ok(()) => {
                    self.status_dirty = true;
                    self.finish_if_done();
                    self.request_more(key, conn, now);
                }
                Err(_) => self.to_close.push(key),
            },
            Message::HashReject(range) => {
                self.layers.on_reject(key, &range);
                self.backoff.insert(key, now + REJECT_BACKOFF);
            }
            _ => {}
        }
        Ok(())
    }

    fn on_metadata(
        &mut self,
        key: PeerKey,
        conn: &mut PeerConn,
        payload: &[u8],
        now: Instant,
    ) -> Result<(), PeerError> {
        let msg = MetadataMessage::decode(payload).map_err(|e| PeerError::Protocol(e.to_string()))?;
        match msg {
            MetadataMessage::Request { piece } => {
                // We have no metadata to give yet.
                if let Some(their) = conn.ut_metadata {
                    conn.send(
                        &Message::Extended { id: their, payload: &MetadataMessage::Reject { piece }.encode() },
                        now,
                    );
                }
            }
            MetadataMessage::Reject { piece } => {
                self.fetch.on_reject(key, piece);
                self.backoff.insert(key, now + REJECT_BACKOFF);
            }
            MetadataMessage::Data { piece, total_size, data } => {
                self.status_dirty = true;
                match self.fetch.on_data(key, piece, total_size, data) {
                    Ok(Fed::More) => self.request_more(key, conn, now),
                    Ok(Fed::Done(info)) => {
                        self.metadata_in(info);
                        self.request_more(key, conn, now);
                    }
                    Ok(Fed::HashFailed(liar)) => self.to_close.extend(liar),
                    // Another size than the one being fetched: not this attempt's piece.
                    Err(FetchError::SizeMismatch { .. }) => {}
                    Err(e) => return Err(PeerError::Protocol(e.to_string())),
                }
            }
        }
        Ok(())
    }

    /// Keeps `msg` for the torrent the connection will be handed to, unless it only concerns
    /// the metadata.
    fn record(&mut self, key: PeerKey, msg: &Message<'_>) {
        let metadata_only = matches!(
            msg,
            Message::KeepAlive
                | Message::Extended { id: UT_METADATA_ID, .. }
                | Message::HashRequest(_)
                | Message::Hashes { .. }
                | Message::HashReject(_)
        );
        if metadata_only {
            return;
        }
        let log = self.logs.entry(key).or_insert_with(|| Some(Vec::new()));
        if let Some(bytes) = log {
            msg.encode(bytes);
            if bytes.len() > MAX_LOG {
                *log = None;
            }
        }
    }

    /// What connection `key` said that the torrent it is handed to must hear (see
    /// [`Self::record`]); `None` when it said too much to keep.
    pub fn take_log(&mut self, key: PeerKey) -> Option<Vec<u8>> {
        self.logs.remove(&key).unwrap_or_else(|| Some(Vec::new()))
    }

    /// The dictionary is in and verified: the piece layers it lacks are fetched next, if any.
    fn metadata_in(&mut self, info: Vec<u8>) {
        let bare = self.link.torrent_bytes(&info, &BTreeMap::new());
        // A dictionary that makes no torrent fails later, with the reason, when it is used.
        if let Ok(meta) = Metainfo::from_bytes(&bare) {
            self.layers = LayerFetch::new(&meta);
            self.private = meta.is_private();
        }
        self.info = Some(info);
        self.finish_if_done();
    }

    /// Makes the .torrent once the dictionary and every piece layer are in.
    fn finish_if_done(&mut self) {
        if self.layers.is_done() {
            if let Some(info) = self.info.take() {
                self.done = Some(self.link.torrent_bytes(&info, &self.layers.layers()));
            }
        }
    }

    /// Asks `conn` for the metadata pieces, or once the dictionary is in for the piece layers,
    /// it may be asked for now: none while it backs off after a reject, or when the size it
    /// gave is not the one being fetched (a peer that gave none is asked once another did).
    pub fn request_more(&mut self, key: PeerKey, conn: &mut PeerConn, now: Instant) {
        if self.done.is_some() || self.backoff.get(&key).is_some_and(|until| now < *until) {
            return;
        }
        if self.info.is_some() {
            while let Some(range) = self.layers.next_request(key, now) {
                conn.send(&Message::HashRequest(range), now);
            }
            return;
        }
        let Some(their) = conn.ut_metadata else { return };
        match (self.fetch.size(), self.claims.get(&key)) {
            (None, Some(&claim)) if self.fetch.learn_size(claim).is_err() => return,
            (Some(size), Some(&claim)) if size != claim => return,
            _ => {}
        }
        while let Some(piece) = self.fetch.next_request(key, now) {
            conn.send(&Message::Extended { id: their, payload: &MetadataMessage::Request { piece }.encode() }, now);
        }
    }

    /// True when `conn` connected long ago and still sent no extension handshake.
    pub fn is_useless(&self, conn: &PeerConn, now: Instant) -> bool {
        conn.ut_metadata.is_none() && now.duration_since(conn.since) > EXTENSION_WAIT
    }

    /// A connection closed.
    pub fn on_disconnect(&mut self, key: PeerKey) {
        self.peers.remove(&key);
        self.backoff.remove(&key);
        self.claims.remove(&key);
        self.logs.remove(&key);
        self.fetch.peer_gone(key);
        self.layers.peer_gone(key);
        self.status_dirty = true;
    }

    /// The torrent's add parameters for metainfo `meta`, with `peers` added (once only).
    pub fn build(&mut self, meta: Arc<Metainfo>, peers: Vec<SocketAddr>) -> Option<AddTorrent> {
        let build = self.build.take()?;
        let mut add = build(meta);
        add.paused = self.paused;
        for p in peers.into_iter().chain(self.candidates.drain(..)) {
            if !add.peers.contains(&p) {
                add.peers.push(p);
            }
        }
        Some(add)
    }

    /// Refreshes the status snapshot: state, name, peers, save path, error.
    pub fn publish(&mut self) {
        self.status_dirty = false;
        let state = match (&self.error, self.paused) {
            (Some(_), _) => TorrentState::Error,
            (None, true) => TorrentState::Paused,
            (None, false) => TorrentState::Metadata,
        };
        *self.snapshot.lock() = TorrentStatus {
            state,
            name: self.link.display_name(),
            peers: self.peers.len() as u32,
            progress: self.fetch.progress(),
            save_path: self.save_path.clone(),
            error: self.error.clone(),
            tracker_message: self.announcer.message(),
            tracker_swarm: self.announcer.swarm,
            tracker_downloaded: self.announcer.downloaded,
            ..TorrentStatus::default()
        };
    }
}
