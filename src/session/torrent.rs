//! One torrent inside the reactor: its files, pieces we have, the picker, its peers' protocol
//! logic (what to answer to each message, what to request, whom to upload to), checking, and
//! the counters its status shows. I/O stays in the reactor: methods here take the connection
//! state and queue bytes on it, and push cross-peer actions (have broadcasts, cancels, closes)
//! into an outbox the reactor drains.

use super::announcer::Announcer;
use super::bitfield::Bitfield;
use super::choker::{Choker, ChokerConfig, PeerStats};
use super::event::SessionEvent;
pub use super::limits::GlobalLimits;
use super::limits::{bucket, Limits};
use super::peer::{PeerConn, PeerError, Phase};
use super::picker::{BlockRef as PickBlock, Picker, PickerConfig, Priority};
use super::piece_writer::PieceWriter;
use super::pipeline::PipelineConfig;
use super::rate_meter::RateMeter;
use super::smart_ban::SmartBan;
use super::status::{TorrentState, TorrentStatus};
use super::torrent_metadata::UT_METADATA_ID;
use super::torrent_pex::UT_PEX_ID;
use super::PeerKey;
use crate::metainfo::Metainfo;
use crate::storage::hash_pool::{HashPool, HashResult, IoTask};
use crate::storage::piece_buffers::PieceBuffers;
use crate::storage::sha1_lanes::LANES;
use crate::storage::store::{Store, StoreFile};
use crate::storage::{Layout, PieceIndex, BLOCK_SIZE};
use crate::wire::metadata::UT_METADATA;
use crate::wire::pex::UT_PEX;
use crate::wire::{BlockRef as WireBlock, ExtensionHandshake, Message};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A torrent's number inside its session.
pub type TorrentId = u32;

/// Largest request served, and largest block accepted.
pub const MAX_REQUEST: u32 = 128 * 1024;
/// Send-buffer level up to which queued uploads are read into it.
pub const SEND_WATERMARK: usize = 2 * 1024 * 1024;
/// Send-buffer level below which it is refilled (refilling only when it is nearly empty keeps the
/// bytes moved to the front of the buffer small).
pub const SEND_REFILL_BELOW: usize = 256 * 1024;
/// Requests a peer may have queued with us, and requests we could not serve it since we last
/// choked or unchoked it (as many as it may have had in flight then), at most; our extension
/// handshake advertises this as `reqq`.
pub const MAX_PEER_REQUESTS: u32 = 2000;
/// Bad pieces a peer may contribute before it is banned.
pub const BAN_AFTER_BAD_PIECES: u32 = 2;

/// What the reactor must do for other connections after a torrent handled something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send HAVE for this piece to every connection of the torrent.
    BroadcastHave(u32),
    /// Send CANCEL to a peer.
    Cancel(PeerKey, WireBlock),
    /// Close a connection.
    Close(PeerKey, String),
    /// Ask this peer for blocks (e.g. after a piece failed and blocks became free).
    Request(PeerKey),
    /// Close connections to peers that have everything (we just finished too).
    CloseSeeds,
    /// Close every connection of the torrent to this banned address.
    Ban(SocketAddr),
    /// Super-seeding: send this peer its next offer if it is due one.
    Offer(PeerKey),
    /// Super-seeding ended: show this peer every piece we have.
    RevealAll(PeerKey),
}

/// What adding a torrent needs.
#[derive(Debug, Clone)]
pub struct AddTorrent {
    /// The metainfo.
    pub meta: Arc<Metainfo>,
    /// Directory the torrent's files are saved under (a single-file torrent's file is
    /// `save_path/name`).
    pub save_path: PathBuf,
    /// Start paused.
    pub paused: bool,
    /// Verify existing data (true) or trust it is complete (false, "seed mode").
    pub check_hashes: bool,
    /// Per-file priorities (empty: all normal).
    pub file_priorities: Vec<Priority>,
    /// Peers to connect to directly.
    pub peers: Vec<SocketAddr>,
    /// Most connections for this torrent.
    pub max_connections: usize,
    /// Upload slots.
    pub max_uploads: usize,
    /// Upload limit of this torrent, bytes/s (0: none).
    pub max_upload_rate: u64,
    /// Download limit of this torrent, bytes/s (0: none).
    pub max_download_rate: u64,
    /// Session-wide limits.
    pub global_limits: Arc<parking_lot::Mutex<GlobalLimits>>,
    /// The session's budget of in-memory piece buffers.
    pub piece_buffers: Arc<parking_lot::Mutex<PieceBuffers>>,
    /// Where resume records are kept (none: no fast resume).
    pub resume_dir: Option<PathBuf>,
    /// Another name for the torrent's top-level file or directory (none: `info.name`).
    pub top_level_name: Option<String>,
    /// Start in super-seeding mode (BEP 16) once complete.
    pub super_seed: bool,
}

/// Checking progress.
#[derive(Debug, Clone, Default)]
pub(super) struct Check {
    pub(super) next: u32,
    pub(super) outstanding: u32,
    pub(super) done: u32,
    /// A forced recheck: the resume record is not trusted.
    pub(super) ignore_resume: bool,
    /// Which files are on disk with their full length, looked up once per check.
    pub(super) present: Option<Vec<bool>>,
    /// Unfinished pieces of a trusted resume record and their blocks on disk, restored once
    /// checking is done (h/partial).
    pub(super) unfinished: Vec<(PieceIndex, Vec<u32>)>,
}

/// One torrent's state in the reactor.
pub struct Torrent {
    /// Session-local id.
    pub id: TorrentId,
    /// The info-hash peers and trackers know it by.
    pub info_hash: [u8; 20],
    /// The metainfo.
    pub meta: Arc<Metainfo>,
    /// Piece arithmetic.
    pub layout: Arc<Layout>,
    /// The files.
    pub store: Arc<Store>,
    /// Which blocks to fetch from whom.
    pub picker: Picker,
    /// Pieces we have and verified.
    pub have: Bitfield,
    /// Lifecycle state.
    pub state: TorrentState,
    /// Paused by the user.
    pub paused: bool,
    /// Connected peers.
    pub peers: HashSet<PeerKey>,
    /// Addresses to dial, in order.
    pub candidates: VecDeque<SocketAddr>,
    /// Every address heard of, with when it may be dialled again.
    pub known: HashMap<SocketAddr, Instant>,
    /// IPs that sent corrupt data.
    pub banned: HashSet<IpAddr>,
    /// Loopback addresses (IP and port) that sent corrupt data.
    pub banned_addrs: HashSet<SocketAddr>,
    /// Announce schedule.
    pub announcer: Announcer,
    /// Payload bytes received (verified or not).
    pub downloaded: u64,
    /// Payload bytes sent.
    pub uploaded: u64,
    /// Payload receive rate.
    pub down_rate: RateMeter,
    /// Payload send rate.
    pub up_rate: RateMeter,
    /// Last error.
    pub error: Option<String>,
    /// Most connections.
    pub max_connections: usize,
    /// Upload slots.
    pub max_uploads: usize,
    /// Actions for the reactor.
    pub outbox: Vec<Action>,
    /// Events for the session's queue.
    pub events: Vec<SessionEvent>,
    pub(super) check: Check,
    pub(super) check_hashes: bool,
    pub(super) choker: Choker,
    /// Peers currently unchoked by us.
    pub unchoked: usize,
    /// Pieces whose blocks all arrived, to hash.
    pub pending_hash: Vec<PieceIndex>,
    pub(super) last_snapshot: Option<Instant>,
    /// Who sent which blocks, to find the senders of corrupt data.
    pub(super) smart_ban: SmartBan,
    /// Where received blocks go until their piece is verified.
    pub(super) writer: PieceWriter,
    /// Shared status snapshot.
    pub snapshot: Arc<parking_lot::Mutex<TorrentStatus>>,
    /// Rate limits.
    pub limits: Limits,
    /// Where resume records are kept.
    pub resume_dir: Option<PathBuf>,
    pub(super) resume_dirty: bool,
    /// A resume record is being saved on the writer thread.
    pub(super) resume_saving: bool,
    /// Number of the latest resume save started, and of the latest written (shared with the
    /// writer thread, so an older record never replaces a newer one).
    pub(super) resume_gen: u64,
    pub(super) resume_written: Arc<parking_lot::Mutex<u64>>,
    pub(super) last_resume: Option<Instant>,
    pub(super) wasted: u64,
    pub(super) hash_fails: u32,
    pub(super) completed_at_start: bool,
    /// The name of the top-level file or directory on disk (`info.name` unless renamed).
    pub top_level_name: String,
    /// Super-seeding is wanted (it runs once the data is complete).
    pub(super) super_seed_wanted: bool,
    /// The super-seeding core while super-seeding.
    pub(super) super_seed: Option<super::super_seed::SuperSeed>,
    /// Something the status snapshot shows may have changed since it was last published.
    pub(super) status_dirty: bool,
    /// A move of the files to another save directory under way.
    pub(super) moving: Option<super::torrent_move::PendingMove>,
    /// Waiting in the download queue (and paused meanwhile).
    pub(super) queued: bool,
    /// The last snapshot showed a transfer rate above zero (it decays without events).
    pub(super) rates_live: bool,
    /// The merkle trees above each file's piece layer, built when a peer first asks for hashes
    /// of that file (BEP 52), by pieces root.
    pub(super) layer_trees: super::torrent_hashes::LayerTrees,
}

/// Why a torrent cannot be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// A v2-only torrent without the piece layers its pieces are verified against.
    #[error("this v2 torrent lacks the piece layers its pieces are verified against")]
    Unverifiable,
    /// Piece geometry not supported.
    #[error(transparent)]
    Layout(#[from] crate::storage::LayoutError),
    /// Storage problem.
    #[error(transparent)]
    Storage(#[from] crate::storage::store::StorageError),
    /// Bad priorities.
    #[error(transparent)]
    Picker(#[from] super::picker::PickerError),
    /// The new top-level name is not a single safe path component.
    #[error("{0:?} cannot name the torrent's top-level file or directory (it must be one path component)")]
    BadName(String),
}

/// The top-level name to save under: `renamed` when given (it must be one safe path component),
/// else `info.name`.
fn top_level(meta: &Metainfo, renamed: Option<&str>) -> Result<String, AddError> {
    match renamed {
        Some(n) if crate::metainfo::sanitize::is_safe_component(n) => Ok(n.to_string()),
        Some(n) => Err(AddError::BadName(n.to_string())),
        None => Ok(meta.name().to_string()),
    }
}

/// The path of file `i` under the save directory with its first component (`info.name`)
/// replaced by `top`; pad files keep their own place.
fn stored_path(meta: &Metainfo, i: usize, top: &str) -> PathBuf {
    let f = &meta.files()[i];
    if f.is_pad() || top == meta.name() {
        return meta.file_path(i).unwrap_or_default();
    }
    let mut path = PathBuf::from(top);
    for c in f.components().iter().skip(1) {
        path.push(c);
    }
    path
}

/// Our extension handshake to the peer at `addr` before any extension is offered: our
/// listening port, client name, request queue and the address we see it at.
pub(super) fn extension_handshake(addr: SocketAddr, listen_port: u16) -> ExtensionHandshake {
    ExtensionHandshake {
        listen_port: Some(listen_port),
        client: Some(format!("BitGocho {}", env!("CARGO_PKG_VERSION"))),
        request_queue: Some(MAX_PEER_REQUESTS),
        your_ip: Some(match addr.ip() {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        }),
        ..Default::default()
    }
}

impl Torrent {
    /// Builds a torrent; it starts by checking existing data.
    pub fn new(id: TorrentId, params: AddTorrent, announcer: Announcer, now: Instant) -> Result<Torrent, AddError> {
        let meta = params.meta;
        if !meta.is_verifiable() {
            return Err(AddError::Unverifiable);
        }
        let info_hash = meta.swarm_info_hash();
        let spans: Vec<(u64, bool)> = meta.files().iter().map(|f| (f.length(), f.is_pad())).collect();
        let piece_length =
            u32::try_from(meta.piece_length()).map_err(|_| crate::storage::LayoutError::ZeroPieceLength)?;
        let layout = Arc::new(Layout::new(&spans, piece_length)?);
        // Paths from the metainfo are sanitised and start with the torrent's name (or the
        // safe component replacing it), so everything lands under `save_path`.
        let top = top_level(&meta, params.top_level_name.as_deref())?;
        let files = (0..meta.files().len())
            .map(|i| StoreFile {
                path: stored_path(&meta, i, &top),
                length: meta.files()[i].length(),
                pad: meta.files()[i].is_pad(),
            })
            .collect();
        let store = Arc::new(Store::new(&params.save_path, files, layout.clone())?);
        let have = Bitfield::none(layout.piece_count());
        let mut picker =
            Picker::new(&layout, &have, PickerConfig { seed: u64::from(id) ^ 0x9e37, ..Default::default() })
                .map_err(AddError::Picker)?;
        if !params.file_priorities.is_empty() {
            picker.set_file_priorities(&params.file_priorities)?;
        }
        let mut t = Torrent {
            id,
            info_hash,
            layout,
            writer: PieceWriter::new(store.clone(), params.piece_buffers.clone()),
            store,
            picker,
            have,
            state: TorrentState::Checking,
            paused: params.paused,
            peers: HashSet::new(),
            candidates: VecDeque::new(),
            known: HashMap::new(),
            banned: HashSet::new(),
            banned_addrs: HashSet::new(),
            announcer,
            downloaded: 0,
            uploaded: 0,
            down_rate: RateMeter::twenty_seconds(now),
            up_rate: RateMeter::twenty_seconds(now),
            error: None,
            max_connections: params.max_connections.max(1),
            max_uploads: params.max_uploads.max(1),
            outbox: Vec::new(),
            events: Vec::new(),
            check: Check::default(),
            check_hashes: params.check_hashes,
            choker: Choker::new(ChokerConfig {
                max_uploads: params.max_uploads.max(1) as u32,
                seed: u64::from(id),
                ..ChokerConfig::default()
            }),
            unchoked: 0,
            pending_hash: Vec::new(),
            last_snapshot: None,
            smart_ban: SmartBan::default(),
            snapshot: Arc::new(parking_lot::Mutex::new(TorrentStatus::default())),
            limits: Limits {
                global: params.global_limits.clone(),
                up: bucket(params.max_upload_rate, now),
                down: bucket(params.max_download_rate, now),
            },
            resume_dir: params.resume_dir.clone(),
            resume_dirty: false,
            resume_saving: false,
            resume_gen: 0,
            resume_written: Arc::new(parking_lot::Mutex::new(0)),
            last_resume: Some(now),
            wasted: 0,
            hash_fails: 0,
            completed_at_start: false,
            top_level_name: top,
            super_seed_wanted: params.super_seed,
            super_seed: None,
            moving: None,
            queued: false,
            status_dirty: true,
            rates_live: false,
            layer_trees: Default::default(),
            meta,
        };
        t.add_peers(&params.peers, now);
        Ok(t)
    }

    /// Queues addresses to dial (duplicates and banned ones ignored).
    pub fn add_peers(&mut self, addrs: &[SocketAddr], now: Instant) {
        for a in addrs {
            if self.is_banned(a) || self.known.contains_key(a) {
                continue;
            }
            self.known.insert(*a, now);
            self.candidates.push_back(*a);
        }
    }

    fn submit_hash(&self, pool: &HashPool, piece: PieceIndex) {
        pool.submit(self.writer.map_job(
            job_id(self.id, piece.get()),
            piece,
            self.meta.piece_check(u64::from(piece.get())),
        ));
    }

    /// Drives checking: keeps two batches of pieces queued for each hashing thread.
    pub fn pump_check(&mut self, pool: &HashPool, threads: u32, now: Instant) {
        if self.state != TorrentState::Checking {
            return;
        }
        let count = self.layout.piece_count();
        if self.check.present.is_none() {
            // Each file is looked up once per check, for the resume record and for the pieces.
            let stamps = self.store.file_stamps();
            if !self.check.ignore_resume {
                self.apply_resume(&stamps);
            }
            self.check.present = Some(self.store.present_given(&stamps));
        }
        if !self.check_hashes {
            // Trust data that is there without hashing it; what is missing is still missing.
            let present = self.check.present.as_deref().unwrap_or_default();
            for p in 0..count {
                if let Ok(pi) = self.layout.piece(p) {
                    if self.store.piece_on_disk_given(pi, present) {
                        let _ = self.have.set(p);
                        self.picker.on_piece_verified(pi, true);
                    }
                }
            }
            self.check.next = count;
            self.check.done = count;
        }
        while self.check.next < count && self.check.outstanding < threads.max(1) * 2 * LANES as u32 {
            let p = self.check.next;
            self.check.next += 1;
            let Ok(piece) = self.layout.piece(p) else { continue };
            let present = self.check.present.as_deref().unwrap_or_default();
            if self.have.get(p) {
                self.check.done += 1;
            } else if self.store.piece_on_disk_given(piece, present) {
                self.submit_hash(pool, piece);
                self.check.outstanding += 1;
            } else {
                self.check.done += 1;
            }
        }
        if self.check.next >= count && self.check.outstanding == 0 {
            self.finish_check(now);
        }
    }

    fn finish_check(&mut self, now: Instant) {
        self.restore_unfinished();
        self.resume_dirty = true;
        // An idle torrent keeps no map or file open: they are reopened on first use.
        self.store.close();
        self.completed_at_start = self.picker.is_complete();
        self.state = if self.picker.is_complete() { TorrentState::Seeding } else { TorrentState::Downloading };
        self.events.push(SessionEvent::Checked { torrent: self.id, pieces: self.have.count() });
        if self.completed_at_start {
            self.events.push(SessionEvent::Finished { torrent: self.id });
        }
        self.start_super_seed(now);
        if !self.peers.is_empty() && !self.is_super_seeding() {
            // Peers that connected while we were checking saw none of these pieces.
            self.outbox.extend(self.have.iter_set().map(Action::BroadcastHave));
        }
    }

    /// Resumes a paused torrent: it announces at once (`started` again after a `stopped`) and
    /// dials the peers it knows again.
    pub fn unpause(&mut self, now: Instant) {
        self.paused = false;
        self.announcer.restart(now);
        self.redial_known();
    }

    /// Queues every address heard of (and not queued already) for dialling again.
    fn redial_known(&mut self) {
        let queued: HashSet<SocketAddr> = self.candidates.iter().copied().collect();
        let again: Vec<SocketAddr> = self.known.keys().filter(|a| !queued.contains(a)).copied().collect();
        self.candidates.extend(again);
    }

    /// Every wanted piece is here: the torrent seeds. Trackers hear `completed` only when that
    /// is every piece; a download of some files is not a completed download.
    fn finish_download(&mut self, now: Instant) {
        self.state = TorrentState::Seeding;
        self.status_dirty = true;
        if self.have.count() == self.have.len() {
            self.announcer.completed(now);
        }
        self.outbox.push(Action::CloseSeeds);
        if let Err(e) = self.store.create_empty_files() {
            self.fail(format!("storage error: {e}"));
        }
        self.events.push(SessionEvent::Finished { torrent: self.id });
        self.start_super_seed(now);
    }

    /// File or piece priorities changed: a seeding torrent that now wants a piece it lacks
    /// downloads again (dialling the peers it knows, seeds included), and a downloading one
    /// that wants nothing more has finished.
    pub fn on_priorities_changed(&mut self, now: Instant) {
        match self.state {
            TorrentState::Seeding if !self.picker.is_complete() => {
                self.state = TorrentState::Downloading;
                self.status_dirty = true;
                // Seeds were let go when it finished: every address heard of is dialled again.
                self.redial_known();
            }
            TorrentState::Downloading if self.picker.is_complete() => self.finish_download(now),
            _ => {}
        }
    }

    /// Handles a finished hash job of this torrent.
    pub fn on_hash(&mut self, mut result: HashResult, pool: &HashPool, threads: u32, now: Instant) {
        let buffer = result.buffer.take();
        let piece_no = job_piece(result.id);
        self.writer.hashed(piece_no);
        self.on_piece_hashed(piece_no, result, buffer.as_deref(), pool, threads, now);
        if let Some(buf) = buffer {
            self.writer.reclaim(buf);
        }
    }

    /// Handles the hash result of piece `piece_no`; `assembled` is the piece as received when it
    /// was assembled in memory.
    fn on_piece_hashed(
        &mut self,
        piece_no: u32,
        result: HashResult,
        assembled: Option<&[u8]>,
        pool: &HashPool,
        threads: u32,
        now: Instant,
    ) {
        let Ok(piece) = self.layout.piece(piece_no) else { return };
        if let Some(e) = result.write_error {
            self.picker.on_piece_verified(piece, false);
            self.fail(format!("storage error: {e}"));
            return;
        }
        let check = self.meta.piece_check(u64::from(piece_no));
        let ok = result.error.is_none() && check.is_some_and(|c| c.matches(result.sha1.as_ref(), &result.leaves));
        if self.state == TorrentState::Checking {
            self.check.outstanding = self.check.outstanding.saturating_sub(1);
            self.check.done += 1;
            if ok {
                let _ = self.have.set(piece_no);
                self.picker.on_piece_verified(piece, true);
            }
            self.pump_check(pool, threads, now);
            return;
        }
        self.picker.on_piece_verified(piece, ok);
        if ok {
            let _ = self.have.set(piece_no);
            self.resume_dirty = true;
            let store = &self.store;
            for culprit in self.smart_ban.piece_passed(piece_no, |b, l| read_block(store, piece, b, l)) {
                self.ban_peer(culprit);
            }
            self.outbox.push(Action::BroadcastHave(piece_no));
            self.events.push(SessionEvent::PieceFinished { torrent: self.id, piece: piece_no });
            if self.picker.is_complete() && self.state == TorrentState::Downloading {
                self.finish_download(now);
            }
        } else {
            self.hash_fails += 1;
            self.wasted += u64::from(self.layout.piece_size(piece));
            if let Some(err) = result.error {
                self.events.push(SessionEvent::StorageError { torrent: self.id, message: err });
            }
            self.events.push(SessionEvent::HashFailed { torrent: self.id, piece: piece_no });
            let store = &self.store;
            let received = |b: u32, l: u32| match assembled {
                Some(bytes) => bytes.get(b as usize..(b + l) as usize).map(<[u8]>::to_vec),
                None => read_block(store, piece, b, l),
            };
            if let Some(culprit) = self.smart_ban.piece_failed(piece_no, received) {
                self.ban_peer(culprit);
            }
            // Its blocks are free again: every peer may fetch them, not only those that sent
            // them (they may be gone, and an idle honest peer would never ask on its own).
            for key in self.peers.iter() {
                self.outbox.push(Action::Request(*key));
            }
        }
    }

    /// Bans a peer that sent corrupt data: reports it and closes its connections.
    fn ban_peer(&mut self, addr: SocketAddr) {
        if !self.is_banned(&addr) {
            self.ban(addr);
            self.events.push(SessionEvent::PeerBanned { torrent: self.id, addr });
            self.outbox.push(Action::Ban(addr));
        }
    }

    /// Bans an address: its whole IP, except on loopback where many peers share one IP and
    /// only that address (IP and port) is banned.
    pub fn ban(&mut self, addr: SocketAddr) {
        if addr.ip().is_loopback() {
            self.banned_addrs.insert(addr);
        } else {
            self.banned.insert(addr.ip());
        }
    }

    /// True when connections from or to `addr` are refused.
    pub fn is_banned(&self, addr: &SocketAddr) -> bool {
        self.banned.contains(&addr.ip()) || self.banned_addrs.contains(addr)
    }

    /// Queues our handshake, once.
    pub fn greet(&mut self, conn: &mut PeerConn, peer_id: [u8; 20], now: Instant) {
        conn.send_handshake(self.info_hash, peer_id, now);
    }

    /// Called once both handshakes are done.
    pub fn on_connected(&mut self, key: PeerKey, conn: &mut PeerConn, listen_port: u16, now: Instant) {
        self.peers.insert(key);
        conn.set_piece_count(self.layout.piece_count());
        let remote = conn.remote.expect("handshake received");
        if self.greet_super_seeded(key, conn, remote.supports_fast(), now) {
            // Our pieces stay hidden: the core offers them one at a time.
        } else if remote.supports_fast() && self.have.is_all() {
            conn.send(&Message::HaveAll, now);
        } else if remote.supports_fast() && self.have.is_none() {
            conn.send(&Message::HaveNone, now);
        } else if !self.have.is_none() {
            conn.send(&Message::Bitfield(self.have.as_wire()), now);
        }
        self.send_extension_handshake(conn, listen_port, now);
        self.maybe_unchoke_now(key, conn, now);
    }

    /// Takes over a connection of the magnet torrent this torrent was made from: both
    /// handshakes are done and we told the peer we have nothing; `log` holds the messages it
    /// sent meanwhile (its extension handshake, bitfield, haves...), which are taken now.
    pub fn adopt(
        &mut self,
        key: PeerKey,
        conn: &mut PeerConn,
        listen_port: u16,
        log: &[u8],
        now: Instant,
    ) -> Result<(), PeerError> {
        self.peers.insert(key);
        conn.set_piece_count(self.layout.piece_count());
        self.send_extension_handshake(conn, listen_port, now);
        let mut rest = log;
        while let Some((msg, used)) = Message::decode(rest, u32::MAX).map_err(|e| PeerError::Protocol(e.to_string()))? {
            self.on_message(key, conn, msg, now)?;
            rest = &rest[used..];
        }
        self.maybe_unchoke_now(key, conn, now);
        Ok(())
    }

    /// Our extension handshake, with the metadata and peer-exchange offers, to a peer that
    /// takes extensions.
    fn send_extension_handshake(&self, conn: &mut PeerConn, listen_port: u16, now: Instant) {
        if conn.remote.is_some_and(|r| r.supports_extensions()) {
            let mut hs = extension_handshake(conn.addr, listen_port);
            self.offer_metadata(&mut hs);
            self.offer_pex(&mut hs);
            conn.send(&Message::Extended { id: 0, payload: &hs.encode() }, now);
        }
    }

    /// Handles one message from a connected peer.
    pub fn on_message(
        &mut self,
        key: PeerKey,
        conn: &mut PeerConn,
        msg: Message<'_>,
        now: Instant,
    ) -> Result<(), PeerError> {
        let fast = conn.remote.is_some_and(|h| h.supports_fast());
        let first = !conn.sent_bitfield;
        match msg {
            Message::KeepAlive | Message::Unknown { .. } | Message::Suggest(_) => {}
            Message::Port(port) => conn.dht_port = Some(port),
            Message::Choke => {
                conn.peer_choking = true;
                conn.unchoked_us_at = None;
                if !fast {
                    self.drop_requests(key, conn);
                }
            }
            Message::Unchoke => {
                conn.peer_choking = false;
                conn.unchoked_us_at = Some(now);
                self.request_more(key, conn, now);
            }
            Message::Interested => {
                conn.peer_interested = true;
                self.maybe_unchoke_now(key, conn, now);
            }
            Message::NotInterested => conn.peer_interested = false,
            Message::Have(p) => {
                if p >= self.layout.piece_count() {
                    return Err(PeerError::Protocol(format!("have for piece {p} out of range")));
                }
                self.peer_has(key, conn, p);
                self.super_seed_saw(key, [p]);
                self.update_interest(conn, now);
                self.request_more(key, conn, now);
            }
            Message::Bitfield(bits) => {
                let bf = Bitfield::from_wire(bits, self.layout.piece_count())
                    .map_err(|e| PeerError::Protocol(format!("bad bitfield: {e}")))?;
                if first {
                    self.set_peer_pieces(key, conn, bf, now);
                } else {
                    // BEP 3 wants the bitfield first, but aria2 sends one after HAVE NONE and
                    // its first HAVEs: take it as the HAVEs it adds.
                    for p in bf.iter_set() {
                        self.peer_has(key, conn, p);
                    }
                    self.super_seed_saw(key, bf.iter_set());
                    self.update_interest(conn, now);
                    self.request_more(key, conn, now);
                }
            }
            Message::HaveAll | Message::HaveNone => {
                if !fast || !first {
                    return Err(PeerError::Protocol("unexpected have-all/none".into()));
                }
                let n = self.layout.piece_count();
                let bf = if matches!(msg, Message::HaveAll) { Bitfield::all(n) } else { Bitfield::none(n) };
                self.set_peer_pieces(key, conn, bf, now);
            }
            Message::Request(b) => self.on_request(key, conn, b, fast, now)?,
            Message::Cancel(b) => conn.wanted.retain(|w| *w != b),
            Message::Reject(b) => {
                if let Some(pos) = conn.requested.iter().position(|r| *r == b) {
                    conn.requested.swap_remove(pos);
                    if let Ok((p, blk)) = self.layout.block_at(b.piece, b.begin, b.length) {
                        self.picker.on_request_dropped(key, PickBlock { piece: p, block: blk });
                    }
                }
            }
            Message::AllowedFast(p) => {
                if p < self.layout.piece_count() && !conn.allowed_fast.contains(&p) && conn.allowed_fast.len() < 64 {
                    conn.allowed_fast.push(p);
                }
            }
            Message::Piece { piece, begin, data } => self.on_block(key, conn, piece, begin, data, now)?,
            Message::Extended { id: 0, payload } => {
                if let Ok(hs) = ExtensionHandshake::decode(payload) {
                    conn.reqq = hs.request_queue;
                    conn.ut_metadata = hs.extensions.get(UT_METADATA).copied().filter(|id| *id != 0);
                    conn.ut_pex = hs.extensions.get(UT_PEX).copied().filter(|id| *id != 0);
                    conn.listen_port = hs.listen_port;
                }
            }
            Message::Extended { id: UT_PEX_ID, payload } => self.on_pex_message(conn, payload, now),
            Message::Extended { id: UT_METADATA_ID, payload } => self.on_metadata_message(conn, payload, now),
            Message::Extended { .. } => {}
            Message::HashRequest(range) => self.on_hash_request(conn, range, now),
            Message::Hashes { .. } | Message::HashReject(_) => {}
        }
        if !matches!(
            msg,
            Message::KeepAlive
                | Message::Extended { .. }
                | Message::HashRequest(_)
                | Message::Hashes { .. }
                | Message::HashReject(_)
        ) {
            conn.sent_bitfield = true;
        }
        Ok(())
    }

    /// Records that the peer has piece `p` (already range-checked).
    fn peer_has(&mut self, key: PeerKey, conn: &mut PeerConn, p: u32) {
        if conn.has.set(p).unwrap_or(false) {
            if let Ok(pi) = self.layout.piece(p) {
                self.picker.peer_have(key, pi);
            }
        }
    }

    fn set_peer_pieces(&mut self, key: PeerKey, conn: &mut PeerConn, bf: Bitfield, now: Instant) {
        self.super_seed_saw(key, bf.iter_set());
        conn.has = bf;
        self.picker.peer_bitfield(key, &conn.has);
        if conn.has.is_all() && self.have.is_all() {
            self.outbox.push(Action::Close(key, "both seeds".into()));
            return;
        }
        self.update_interest(conn, now);
    }

    fn update_interest(&mut self, conn: &mut PeerConn, now: Instant) {
        let interesting = self.state == TorrentState::Downloading && self.picker.is_interesting(&conn.has);
        if interesting != conn.am_interested {
            conn.am_interested = interesting;
            conn.send(if interesting { &Message::Interested } else { &Message::NotInterested }, now);
        }
    }

    fn drop_requests(&mut self, key: PeerKey, conn: &mut PeerConn) {
        for b in conn.requested.drain(..) {
            if let Ok((p, blk)) = self.layout.block_at(b.piece, b.begin, b.length) {
                self.picker.on_request_dropped(key, PickBlock { piece: p, block: blk });
            }
        }
    }

    fn on_request(
        &mut self,
        key: PeerKey,
        conn: &mut PeerConn,
        b: WireBlock,
        fast: bool,
        now: Instant,
    ) -> Result<(), PeerError> {
        self.layout
            .validate_request(b.piece, b.begin, b.length, MAX_REQUEST)
            .map_err(|e| PeerError::Protocol(format!("bad request: {e}")))?;
        let servable = !conn.am_choking && self.may_upload(key, b.piece);
        if !servable {
            conn.refused_requests += 1;
            if conn.refused_requests > MAX_PEER_REQUESTS {
                return Err(PeerError::Protocol("request flood (requests we cannot serve)".into()));
            }
            if fast {
                conn.send(&Message::Reject(b), now);
            }
            return Ok(());
        }
        if conn.wanted.len() >= MAX_PEER_REQUESTS as usize {
            return Err(PeerError::Protocol("request flood".into()));
        }
        conn.wanted.push_back(b);
        Ok(())
    }

    fn on_block(
        &mut self,
        key: PeerKey,
        conn: &mut PeerConn,
        piece: u32,
        begin: u32,
        data: &[u8],
        now: Instant,
    ) -> Result<(), PeerError> {
        let wire = WireBlock { piece, begin, length: data.len() as u32 };
        let Some(pos) = conn.requested.iter().position(|r| *r == wire) else {
            self.wasted += data.len() as u64;
            return Ok(()); // unrequested or cancelled late: ignored
        };
        conn.requested.swap_remove(pos);
        let (p, blk) =
            self.layout.block_at(piece, begin, wire.length).map_err(|e| PeerError::Protocol(e.to_string()))?;
        conn.down.add(now, data.len() as u64);
        conn.last_block = now;
        self.down_rate.add(now, data.len() as u64);
        self.downloaded += data.len() as u64;
        let outcome = self.picker.on_block_received(key, PickBlock { piece: p, block: blk });
        for (other, b) in outcome.cancels {
            let (begin, length) = self.layout.block_range(b.piece, b.block);
            self.outbox.push(Action::Cancel(other, WireBlock { piece: b.piece.get(), begin, length }));
        }
        if outcome.new {
            if let Err(e) = self.writer.write_block(p, begin, data, now) {
                self.fail(format!("storage error: {e}"));
                return Ok(());
            }
            // A block on disk may be listed by the next periodic resume save.
            self.resume_dirty |= self.writer.is_direct(p);
            self.smart_ban.block_received(piece, conn.addr, begin, wire.length);
        } else {
            self.wasted += data.len() as u64;
        }
        if outcome.piece_complete {
            self.pending_hash.push(p);
        }
        self.request_more(key, conn, now);
        Ok(())
    }

    /// Stops the torrent with an error.
    pub fn fail(&mut self, message: String) {
        self.status_dirty = true;
        self.state = TorrentState::Error;
        self.events.push(SessionEvent::StorageError { torrent: self.id, message: message.clone() });
        self.error = Some(message);
        for key in self.peers.iter() {
            self.outbox.push(Action::Close(*key, "torrent stopped".into()));
        }
    }

    /// How many requests to keep in flight to this peer.
    fn queue_depth(conn: &mut PeerConn, now: Instant) -> usize {
        let since = conn.unchoked_us_at.map_or(Duration::ZERO, |t| now.saturating_duration_since(t));
        PipelineConfig::default().depth(conn.down.rate(now), since, conn.reqq) as usize
    }

    /// Tops up the requests in flight to this peer.
    pub fn request_more(&mut self, key: PeerKey, conn: &mut PeerConn, now: Instant) {
        if self.state != TorrentState::Downloading || self.paused || !conn.am_interested || conn.phase != Phase::Active
        {
            return;
        }
        if conn.peer_choking {
            return;
        }
        let depth = Self::queue_depth(conn, now);
        if conn.requested.len() >= depth {
            return;
        }
        let mut want = depth - conn.requested.len();
        let mut limits = self.limits.global.lock();
        let allowed = limits.down.available(now).min(self.limits.down.available(now)) / u64::from(BLOCK_SIZE);
        want = want.min(usize::try_from(allowed).unwrap_or(usize::MAX));
        if want == 0 {
            return;
        }
        let mut picks = Vec::new();
        self.picker.pick(key, &conn.has, want, &mut picks);
        for b in picks {
            let (begin, length) = self.layout.block_range(b.piece, b.block);
            limits.down.charge(now, u64::from(length));
            self.limits.down.charge(now, u64::from(length));
            let wire = WireBlock { piece: b.piece.get(), begin, length };
            conn.requested.push(wire);
            conn.send(&Message::Request(wire), now);
        }
    }

    /// Moves queued uploads into the send buffer up to the watermark, reading from the files.
    pub fn serve(&mut self, conn: &mut PeerConn, now: Instant) -> Result<(), String> {
        if conn.send_len() >= SEND_REFILL_BELOW {
            return Ok(());
        }
        let mut limits = self.limits.global.lock();
        while conn.send_len() < SEND_WATERMARK {
            let Some(b) = conn.wanted.front().copied() else { break };
            let len = u64::from(b.length);
            if limits.up.available(now) < len || self.limits.up.available(now) < len {
                break;
            }
            conn.wanted.pop_front();
            limits.up.charge(now, len);
            self.limits.up.charge(now, len);
            let Ok(piece) = self.layout.piece(b.piece) else { continue };
            let buf = conn.send_buffer();
            Message::encode_piece_header(buf, b.piece, b.begin, b.length);
            let start = buf.len();
            if let Err(e) = self.store.read(piece, b.begin, b.length, buf) {
                buf.truncate(start - 13);
                return Err(format!("cannot read piece {}: {e}", b.piece));
            }
            conn.up.add(now, u64::from(b.length));
            self.up_rate.add(now, u64::from(b.length));
            self.uploaded += u64::from(b.length);
            conn.last_send = now;
        }
        Ok(())
    }

    /// Unchokes an interested peer at once when an upload slot is free.
    fn maybe_unchoke_now(&mut self, key: PeerKey, conn: &mut PeerConn, now: Instant) {
        let _ = key;
        if conn.peer_interested && conn.am_choking && self.unchoked < self.max_uploads && !self.paused {
            conn.am_choking = false;
            conn.refused_requests = 0;
            self.unchoked += 1;
            conn.send(&Message::Unchoke, now);
        }
    }

    /// A connection of this torrent closed.
    pub fn on_disconnect(&mut self, key: PeerKey, conn: &mut PeerConn) {
        if self.peers.remove(&key) {
            self.super_seed_left(key);
            self.picker.on_peer_gone(key);
            self.picker.peer_lost(key, &conn.has);
            if !conn.am_choking {
                self.unchoked = self.unchoked.saturating_sub(1);
                self.super_seed_offer_all();
            }
        }
    }

    /// A peer sat on our requests too long: they go back to the pool for the other peers (it
    /// keeps its slot and may be asked again once it delivers).
    pub fn on_requests_stalled(&mut self, key: PeerKey, conn: &mut PeerConn, now: Instant) {
        self.drop_requests(key, conn);
        conn.last_block = now;
        for other in self.peers.iter().filter(|k| **k != key) {
            self.outbox.push(Action::Request(*other));
        }
    }

    /// Re-evaluates our interest in a peer after our pieces changed.
    pub fn refresh_interest(&mut self, _key: PeerKey, conn: &mut PeerConn, now: Instant) {
        self.update_interest(conn, now);
    }

    /// Queues a completed piece's hash job on the pool (it is written there once verified when
    /// it was assembled in memory).
    pub fn submit_piece_hash(&mut self, pool: &HashPool, piece: PieceIndex) {
        let check = self.meta.piece_check(u64::from(piece.get()));
        pool.submit(self.writer.verify_job(job_id(self.id, piece.get()), piece, check));
    }

    /// Bytes of wanted pieces still missing.
    pub fn bytes_left(&self) -> u64 {
        let have: u64 = self
            .have
            .iter_set()
            .filter_map(|p| self.layout.piece(p).ok())
            .map(|p| u64::from(self.layout.piece_size(p)))
            .sum();
        self.layout.total_length().saturating_sub(have)
    }

    /// True when a rechoke is due.
    pub fn choke_due(&self, now: Instant, _interval: Duration) -> bool {
        self.choker.is_due(now)
    }

    /// Chooses whom to unchoke among the torrent's connected peers.
    pub fn choose_unchoked(&mut self, peers: &[PeerStats], now: Instant) -> Vec<PeerKey> {
        if self.paused {
            return Vec::new();
        }
        self.choker.rechoke(now, peers, self.state == TorrentState::Seeding)
    }

    /// Starts a full recheck of the data.
    pub fn recheck(&mut self) {
        if matches!(self.state, TorrentState::Checking) {
            return;
        }
        self.have = Bitfield::none(self.layout.piece_count());
        self.writer.reset();
        if let Ok(p) = Picker::new(
            &self.layout,
            &self.have,
            PickerConfig { seed: u64::from(self.id) ^ 0x5bd1, ..Default::default() },
        ) {
            self.picker = p;
        }
        // Every piece is hashed again: the resume record is not trusted.
        self.check = Check { ignore_resume: true, ..Check::default() };
        self.check_hashes = true;
        self.state = TorrentState::Checking;
        for key in self.peers.iter() {
            self.outbox.push(Action::Close(*key, "rechecking".into()));
        }
    }

    /// The work of deleting the torrent's files after removal, for the writer thread: each file
    /// of the torrent, then the directories that held them once empty (a multi-file torrent's
    /// top directory included). Files the torrent does not list are never touched. Fails naming
    /// the first file that could not be deleted (one already gone is not a failure).
    pub fn file_deleter(&self) -> IoTask {
        let files: Vec<PathBuf> = (0..self.meta.files().len())
            .filter(|&i| !self.meta.files()[i].is_pad())
            .map(|i| self.store.path(i))
            .collect();
        let top = self.top_dir();
        Box::new(move || delete_files(&files, top.as_deref()))
    }

    /// A multi-file torrent's top directory (its files are under it), `None` for one file.
    pub(super) fn top_dir(&self) -> Option<PathBuf> {
        self.meta.is_multi_file().then(|| self.store.root().join(&self.top_level_name))
    }
}

/// Deletes `files`, then their directories inside `top` that are left empty, deepest first.
fn delete_files(files: &[PathBuf], top: Option<&Path>) -> Result<(), String> {
    let mut failed = None;
    for f in files {
        match std::fs::remove_file(f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                failed.get_or_insert_with(|| format!("cannot delete {}: {e}", f.display()));
            }
        }
    }
    if let Some(top) = top {
        crate::storage::relocate::remove_empty_dirs(files, top);
    }
    failed.map_or(Ok(()), Err)
}

/// The id of a pool job: the torrent in the high 32 bits, the piece (0 for other disk work) in the
/// low 32.
pub(super) fn job_id(torrent: TorrentId, piece: u32) -> u64 {
    (u64::from(torrent) << 32) | u64::from(piece)
}

/// The piece field of the id of a move's disk work ([`job_id`]); a resume save's is 0. Only disk
/// work results (`HashResult::io`) are told apart this way.
pub(super) const MOVE_JOB: u32 = 1;

/// Whether the disk work of id `id` is a move of the torrent's files.
pub(super) fn is_move_job(id: u64) -> bool {
    job_piece(id) == MOVE_JOB
}

/// The torrent of a pool job id.
pub(super) fn job_torrent(id: u64) -> TorrentId {
    (id >> 32) as TorrentId
}

/// The piece of a pool job id.
fn job_piece(id: u64) -> u32 {
    id as u32
}

/// The stored bytes of a block (`None` when they cannot be read).
fn read_block(store: &Store, piece: PieceIndex, begin: u32, len: u32) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(len as usize);
    store.read(piece, begin, len, &mut buf).ok()?;
    Some(buf)
}
