//! The session's reactor thread: one mio `Poll` owning the listening socket, every peer
//! connection and tracker request, the torrents, and the timers. Callers talk to it through
//! [`Command`]s on a crossbeam channel and a `mio::Waker`; hashing runs on the pool and wakes it.

use super::announcer::Announcer;
use super::crypto_policy::{CryptoPolicy, Dial};
use super::event::SessionEvent;
use super::event_queue::EventQueue;
use super::magnet::{AddMagnet, MagnetTorrent};
use super::peer::{CryptoProgress, PeerConn, PeerError, Phase};
use super::picker::Priority;
use super::retiring::{Next, Retiring};
use super::status::{StatusCell, TorrentState, TorrentStatus};
use super::swarm::Swarm;
use super::torrent::{is_move_job, job_id, job_torrent, Action, AddTorrent, Torrent, TorrentId, MOVE_JOB};
use super::tracker_io::{TrackerConn, TrackerOutcome};
use super::web_seed::{swarm::MAX_WEB_SEEDS, SeedConfig, WebSeeds};
use super::{PeerKey, PeerStats};
use crate::announce::{AnnounceRequest, TrackerTiers};
use crate::storage::hash_pool::{HashPool, HashResult};
use crate::storage::piece_buffers::PieceBuffers;
use crate::tracker::ipfilter::IpSet;
use crate::wire::{Handshake, Message, DEFAULT_MAX_MESSAGE_LEN};
use crossbeam_channel::{Receiver, Sender};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod dht_driver;
mod download_queue;
mod magnet_phase;

/// Token of the waker.
pub const WAKER: Token = Token(0);
const LISTENER: Token = Token(1);
const PEER_BASE: usize = 16;
const TRACKER_BASE: usize = 1 << 28;
/// Web seed tokens: `WEB_BASE + torrent * MAX_WEB_SEEDS + seed`.
const WEB_BASE: usize = 1 << 29;

/// Most bytes read from one peer per loop pass before serving others.
const READ_BUDGET: usize = 4 * 1024 * 1024;
/// Outgoing connections still connecting, at most.
const MAX_HALF_OPEN: usize = 8;
/// Time allowed for TCP connect plus handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// Idle connections are closed after this.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// A peer that unchoked us but sent no block for this long loses its outstanding requests.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Keep-alive interval.
const KEEPALIVE: Duration = Duration::from_secs(120);
/// Choke round length.
const CHOKE_INTERVAL: Duration = Duration::from_secs(10);
/// Time allowed for `stopped` announces at shutdown.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A request to the reactor.
pub enum Command {
    /// Add a torrent; the reply carries its id and status cell, or an error text.
    Add(Box<AddTorrent>, Sender<Result<(TorrentId, StatusCell), String>>),
    /// Add a torrent from a magnet link: its metadata is fetched from peers first.
    AddMagnet(Box<AddMagnet>, Sender<Result<(TorrentId, StatusCell), String>>),
    /// Remove a torrent, optionally deleting its files; replies when done.
    Remove(TorrentId, bool, Sender<bool>),
    /// Pause a torrent.
    Pause(TorrentId),
    /// Resume a torrent.
    Resume(TorrentId),
    /// Verify all data again.
    Recheck(TorrentId),
    /// Announce now.
    Announce(TorrentId),
    /// Scrape the tracker now (BEP 48).
    Scrape(TorrentId),
    /// Connect to a peer.
    Connect(TorrentId, SocketAddr),
    /// Change file priorities.
    FilePriorities(TorrentId, Vec<Priority>),
    /// Change one piece's priority.
    PiecePriority(TorrentId, u32, Priority),
    /// Change a torrent's upload and download limits (bytes/s, 0: none).
    Limits(TorrentId, u64, u64),
    /// Switch a torrent's super-seeding on or off.
    SuperSeed(TorrentId, bool),
    /// Switch a torrent's sequential download on or off.
    Sequential(TorrentId, bool),
    /// Move a torrent's files to another save directory.
    Move(TorrentId, PathBuf),
    /// Add a tracker URL to a tier.
    AddTracker(TorrentId, String, usize),
    /// Replace the set of blocked addresses (none: block nothing).
    IpFilter(Option<Arc<IpSet>>),
    /// Stop: announce `stopped`, close everything, end the thread.
    Shutdown,
}

impl Command {
    /// The torrent the command is about, if any.
    fn torrent(&self) -> Option<TorrentId> {
        match self {
            Command::Remove(id, ..)
            | Command::Pause(id)
            | Command::Resume(id)
            | Command::Recheck(id)
            | Command::Announce(id)
            | Command::Scrape(id)
            | Command::Connect(id, _)
            | Command::FilePriorities(id, _)
            | Command::PiecePriority(id, ..)
            | Command::Limits(id, ..)
            | Command::SuperSeed(id, _)
            | Command::Sequential(id, _)
            | Command::Move(id, _)
            | Command::AddTracker(id, ..) => Some(*id),
            Command::Add(..) | Command::AddMagnet(..) | Command::IpFilter(_) | Command::Shutdown => None,
        }
    }
}

/// Settings the reactor needs.
#[derive(Debug, Clone)]
pub struct ReactorConfig {
    /// Our peer id.
    pub peer_id: [u8; 20],
    /// Hashing threads.
    pub hash_threads: usize,
    /// Nice steps of the hashing and writing threads below the reactor.
    pub worker_nice: u8,
    /// Most connections in the whole session.
    pub max_connections: usize,
    /// Event queue capacity.
    pub event_capacity: usize,
    /// Address reported to trackers (`ip=`), if set.
    pub announce_ip: Option<String>,
    /// Encryption policy.
    pub crypto: CryptoPolicy,
    /// The session's in-memory piece buffers (released here when idle).
    pub piece_buffers: Arc<parking_lot::Mutex<PieceBuffers>>,
    /// Download from the torrents' HTTP seeds (BEP 17 `httpseeds`, BEP 19 `url-list`).
    pub web_seeds: bool,
    /// How often an active torrent's status snapshot is refreshed.
    pub status_interval: Duration,
    /// TLS for https trackers and web seeds.
    pub tls: Arc<crate::tls::TlsClient>,
    /// Where the DHT's UDP socket binds (the listening address), or `None`: no DHT.
    pub dht: Option<SocketAddr>,
    /// DHT bootstrap nodes, `host:port`.
    pub dht_bootstrap: Vec<String>,
    /// Where the DHT node's id and table are kept across restarts.
    pub dht_state: Option<std::path::PathBuf>,
    /// Where the reactor publishes the DHT routing table's size.
    pub dht_nodes: Arc<std::sync::atomic::AtomicUsize>,
    /// Addresses neither dialled nor accepted (replaced by `Session::set_ip_filter`).
    pub ip_filter: Option<Arc<IpSet>>,
    /// Most torrents downloading at once (0: no limit); the others wait queued.
    pub max_active_downloads: usize,
}

/// Most addresses remembered as requiring MSE or as failing it (the sets are cleared when full).
const MAX_CRYPTO_MEMORY: usize = 10_000;

struct PeerSlot {
    conn: PeerConn,
    stream: TcpStream,
    torrent: Option<TorrentId>,
    connected: bool,
    /// An outgoing MSE attempt that earns one plaintext retry if it fails.
    retry_plaintext: bool,
}

/// The reactor's state; runs on its own thread until shutdown.
pub struct Reactor {
    poll: Poll,
    cfg: ReactorConfig,
    listener: Option<TcpListener>,
    listen_port: u16,
    peers: Vec<Option<PeerSlot>>,
    free: Vec<usize>,
    torrents: BTreeMap<TorrentId, Torrent>,
    /// Torrents added from magnet links, fetching their metadata.
    magnets: BTreeMap<TorrentId, MagnetTorrent>,
    /// Commands for magnet torrents that need the metadata, replayed once it is in.
    deferred: BTreeMap<TorrentId, Vec<Command>>,
    by_hash: HashMap<[u8; 20], TorrentId>,
    /// `HASH('req2', info-hash)` to info-hash, for incoming MSE handshakes.
    by_req2: HashMap<[u8; 20], [u8; 20]>,
    /// Peers whose tracker said they require encryption.
    require_crypto: HashSet<SocketAddr>,
    /// Peers an MSE attempt to which failed (dialled in plaintext next, if allowed).
    mse_failed: HashSet<SocketAddr>,
    next_id: TorrentId,
    cmds: Receiver<Command>,
    pool: HashPool,
    events: Arc<EventQueue<SessionEvent>>,
    trackers: Vec<Option<TrackerConn>>,
    web: BTreeMap<TorrentId, WebSeeds>,
    /// Removed torrents finishing their disk work.
    retiring: BTreeMap<TorrentId, Retiring>,
    backlog: Vec<usize>,
    stopping: Option<Instant>,
    last_tick: Instant,
    dht: Option<dht_driver::DhtDriver>,
}

/// The DHT port connection `idx`'s peer announced, taken once.
fn slot_dht_port(peers: &mut [Option<PeerSlot>], idx: usize) -> Option<(std::net::IpAddr, u16)> {
    let slot = peers.get_mut(idx)?.as_mut()?;
    slot.conn.dht_port.take().filter(|p| *p != 0).map(|p| (slot.conn.addr.ip(), p))
}

fn would_block(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock
}

impl Reactor {
    /// Builds the reactor around an existing poll (whose waker the handles hold).
    pub fn new(
        poll: Poll,
        cfg: ReactorConfig,
        listener: Option<TcpListener>,
        cmds: Receiver<Command>,
        events: Arc<EventQueue<SessionEvent>>,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> std::io::Result<Reactor> {
        let mut listener = listener;
        let listen_port = listener.as_ref().and_then(|l| l.local_addr().ok()).map_or(0, |a| a.port());
        if let Some(l) = listener.as_mut() {
            poll.registry().register(l, LISTENER, Interest::READABLE)?;
        }
        let pool = HashPool::with_nice(cfg.hash_threads, cfg.worker_nice, wake)?;
        let dht_at = cfg.dht.map(|a| if a.port() == 0 { SocketAddr::new(a.ip(), listen_port) } else { a });
        // A DHT that cannot bind is left out; the session works without it.
        let dht = dht_at.and_then(|a| {
            let state = cfg.dht_state.clone();
            dht_driver::DhtDriver::start(a, &cfg.dht_bootstrap, state, poll.registry(), Instant::now()).ok()
        });
        Ok(Reactor {
            poll,
            cfg,
            listener,
            listen_port,
            peers: Vec::new(),
            free: Vec::new(),
            torrents: BTreeMap::new(),
            magnets: BTreeMap::new(),
            deferred: BTreeMap::new(),
            by_hash: HashMap::new(),
            by_req2: HashMap::new(),
            require_crypto: HashSet::new(),
            mse_failed: HashSet::new(),
            next_id: 1,
            cmds,
            pool,
            events,
            trackers: Vec::new(),
            web: BTreeMap::new(),
            retiring: BTreeMap::new(),
            backlog: Vec::new(),
            stopping: None,
            last_tick: Instant::now(),
            dht,
        })
    }

    /// Runs until shutdown.
    pub fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            let now = Instant::now();
            let timeout = if self.backlog.is_empty() { self.next_timeout(now) } else { Duration::ZERO };
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    break;
                }
            }
            let now = Instant::now();
            for ev in events.iter() {
                match ev.token() {
                    WAKER => {}
                    LISTENER => self.accept(now),
                    dht_driver::DHT_TOKEN => self.dht_readable(now),
                    Token(t) if t >= WEB_BASE => self.drive_web(t - WEB_BASE, now),
                    Token(t) if t >= TRACKER_BASE => self.drive_tracker(t - TRACKER_BASE, now),
                    Token(t) if t >= PEER_BASE => {
                        self.peer_event(t - PEER_BASE, ev.is_readable(), ev.is_writable(), now)
                    }
                    _ => {}
                }
            }
            for idx in std::mem::take(&mut self.backlog) {
                self.peer_event(idx, true, false, now);
            }
            while let Ok(cmd) = self.cmds.try_recv() {
                self.command(cmd, now);
            }
            while let Some(result) = self.pool.try_result() {
                self.on_pool_result(result, now);
            }
            if now.duration_since(self.last_tick) >= Duration::from_millis(100) {
                self.last_tick = now;
                self.tick(now);
            }
            if let Some(since) = self.stopping {
                // Pieces being verified are waited for too, so the records count them (h/partial).
                let done = self.trackers.iter().all(Option::is_none)
                    && self.torrents.values().all(Torrent::owes_trackers_nothing)
                    && self.magnets.values().all(MagnetTorrent::owes_trackers_nothing)
                    && !self.torrents.values().any(Torrent::is_verifying)
                    && self.retiring.is_empty();
                if done || now.duration_since(since) > STOP_GRACE {
                    break;
                }
            }
        }
        self.close_all();
    }

    fn next_timeout(&self, now: Instant) -> Duration {
        let mut deadline = now + Duration::from_millis(100);
        for t in self.trackers.iter().flatten() {
            deadline = deadline.min(t.deadline());
        }
        for w in self.web.values() {
            deadline = deadline.min(w.deadline().unwrap_or(deadline));
        }
        deadline.saturating_duration_since(now)
    }

    // ----- commands -----

    fn command(&mut self, cmd: Command, now: Instant) {
        if cmd.torrent().is_some_and(|id| self.magnets.contains_key(&id)) {
            return self.magnet_command(cmd, now);
        }
        if let Some(t) = cmd.torrent().and_then(|id| self.torrents.get_mut(&id)) {
            t.mark_status_dirty();
        }
        match cmd {
            Command::Add(params, reply) => {
                let _ = reply.send(self.add(*params, now));
            }
            Command::AddMagnet(params, reply) => {
                let _ = reply.send(self.add_magnet(*params, now));
            }
            Command::Remove(id, delete, reply) => self.remove(id, delete, reply, now),
            Command::Pause(id) => {
                if let Some(t) = self.torrents.get_mut(&id) {
                    if t.set_paused_after_move(true) {
                        return;
                    }
                    // Paused by the user, it leaves the queue: only a resume starts it again.
                    t.queued = false;
                    t.paused = true;
                    t.announcer.stopped(now);
                    self.close_torrent_peers(id, "paused");
                }
            }
            Command::Resume(id) => {
                if let Some(t) = self.torrents.get_mut(&id) {
                    if !t.set_paused_after_move(false) && !t.queued {
                        t.unpause(now);
                    }
                }
            }
            Command::Recheck(id) => {
                if let Some(t) = self.torrents.get_mut(&id) {
                    t.recheck();
                }
            }
            Command::Announce(id) => {
                if let Some(t) = self.torrents.get_mut(&id) {
                    t.announcer.force(now);
                }
            }
            Command::Scrape(id) => self.scrape_now(id, now),
            Command::Connect(id, addr) => {
                if let Some(t) = self.torrents.get_mut(&id) {
                    t.known.remove(&addr);
                    t.add_peers(&[addr], now);
                }
            }
            Command::FilePriorities(id, prios) => {
                if let Some(t) = self.torrents.get_mut(&id) {
                    if let Err(e) = t.picker.set_file_priorities(&prios) {
                        t.events.push(SessionEvent::StorageError { torrent: id, message: e.to_string() });
                    }
                }
                self.priorities_changed(id, now);
            }
            Command::PiecePriority(id, piece, prio) => {
                if let Some(t) = self.torrents.get_mut(&id) {
                    match t.layout.piece(piece) {
                        Ok(p) => t.picker.set_piece_priority(p, prio),
                        Err(e) => t.events.push(SessionEvent::StorageError { torrent: id, message: e.to_string() }),
                    }
                }
                self.priorities_changed(id, now);
            }
            Command::Limits(id, up, down) => {
                if let Some(t) = self.torrents.get_mut(&id) {
                    t.limits.up.set_rate(now, crate::session::rate_limit::Rate(up));
                    t.limits.down.set_rate(now, crate::session::rate_limit::Rate(down));
                }
            }
            Command::SuperSeed(id, on) => {
                if let Some(t) = self.torrents.get_mut(&id) {
                    t.set_super_seed(on, now);
                }
                self.after_torrent(id, now);
            }
            Command::Sequential(id, on) => {
                if let Some(t) = self.torrents.get_mut(&id) {
                    t.picker.set_sequential(on);
                }
            }
            Command::Move(id, to) => self.begin_move(id, to, now),
            Command::IpFilter(filter) => self.set_ip_filter(filter),
            Command::AddTracker(id, url, tier) => {
                if let Some(swarm) = self.swarm_mut(id) {
                    swarm.announcer_mut().add_tracker(&url, tier, now);
                }
            }
            Command::Shutdown => {
                if self.stopping.is_none() {
                    self.stopping = Some(now);
                    self.torrents.values_mut().for_each(|t| _ = t.stop_announcing(now));
                    self.magnets.values_mut().for_each(|m| _ = m.stop_announcing(now));
                    let keys: Vec<usize> = (0..self.peers.len()).collect();
                    for k in keys {
                        self.close_peer(k, "shutting down");
                    }
                    if let Some(mut l) = self.listener.take() {
                        let _ = self.poll.registry().deregister(&mut l);
                    }
                }
            }
        }
    }

    fn add(&mut self, params: AddTorrent, now: Instant) -> Result<(TorrentId, Arc<Mutex<TorrentStatus>>), String> {
        let hash = params.meta.swarm_info_hash();
        if self.by_hash.contains_key(&hash) {
            return Err("torrent already in the session".into());
        }
        let id = self.next_id;
        self.next_id += 1;
        let mut rng = rand::rng();
        let tiers = TrackerTiers::new(params.meta.announce(), params.meta.announce_list(), &mut rng);
        let announcer = Announcer::new(tiers, rand::random(), now);
        let mut t = Torrent::new(id, params, announcer, now).map_err(|e| e.to_string())?;
        t.events.push(SessionEvent::Added { torrent: id });
        let snapshot = t.snapshot.clone();
        self.insert_torrent(t, now);
        Ok((id, snapshot))
    }

    /// Puts a new torrent in the session (with its web seeds) and starts it at once (check,
    /// announce, dial) rather than at the next tick.
    fn insert_torrent(&mut self, mut t: Torrent, now: Instant) {
        let (id, hash) = (t.id, t.info_hash);
        if self.cfg.web_seeds {
            let seeds = WebSeeds::new(&mut t, SeedConfig::default(), self.cfg.tls.clone(), now);
            if !seeds.is_empty() {
                self.web.insert(id, seeds);
            }
        }
        self.by_hash.insert(hash, id);
        self.by_req2.insert(crate::wire::mse::req2(&hash), hash);
        if !t.paused && self.queue_is_full() {
            t.queued = true;
            t.paused = true;
        }
        self.torrents.insert(id, t);
        self.torrent_tick(id, now);
    }

    /// Handles a finished job of the hashing pool: a piece hashed (and perhaps written) or a
    /// resume record saved.
    fn on_pool_result(&mut self, result: HashResult, now: Instant) {
        let tid = job_torrent(result.id);
        let threads = self.cfg.hash_threads as u32;
        match self.torrents.get_mut(&tid) {
            Some(t) if result.io && is_move_job(result.id) => {
                if t.on_moved(result.write_error) {
                    t.unpause(now);
                }
            }
            Some(t) if result.io => t.on_resume_saved(result.write_error),
            Some(t) => {
                t.on_hash(result, &self.pool, threads, now);
                if let Some(w) = self.web.get_mut(&tid) {
                    w.check_bans(t, self.poll.registry());
                }
            }
            None if self.retiring.contains_key(&tid) => return self.on_retiring_result(tid, result, now),
            None => {
                if let Some(buf) = result.buffer {
                    self.cfg.piece_buffers.lock().give_back(buf);
                }
            }
        }
        self.after_torrent(tid, now);
    }

    /// Detaches torrent `id` at once and lets it finish its disk work off the reactor
    /// ([`Retiring`]); `reply` is answered when that is done (false: no such torrent).
    fn remove(&mut self, id: TorrentId, delete: bool, reply: Sender<bool>, now: Instant) {
        let Some(mut t) = self.torrents.remove(&id) else {
            let _ = reply.send(false);
            return;
        };
        t.settle_move_for_removal();
        if let Some(mut w) = self.web.remove(&id) {
            w.close(self.poll.registry());
        }
        self.by_hash.remove(&t.info_hash);
        self.by_req2.remove(&crate::wire::mse::req2(&t.info_hash));
        let keys: Vec<PeerKey> = t.peers.iter().copied().collect();
        for k in keys {
            self.close_peer(k.0 as usize, "torrent removed");
        }
        // fire-and-forget stopped announce
        if t.stop_announcing(now) {
            if let Some(due) = t.announcer.due(now) {
                let req = t.announcer.request(&due, self.announce_base(&t));
                self.start_tracker(id, due, req, false, now);
            }
        }
        self.retiring.insert(id, Retiring::new(t, delete, reply, STOP_GRACE, now));
        self.advance_retiring(id, now);
    }

    /// Closes every connection of torrent `id`.
    fn close_torrent_peers(&mut self, id: TorrentId, reason: &str) {
        let Some(t) = self.torrents.get(&id) else { return };
        let keys: Vec<PeerKey> = t.peers.iter().copied().collect();
        for k in keys {
            self.close_peer(k.0 as usize, reason);
        }
    }

    /// Starts moving torrent `id`'s files to save directory `to`: it pauses (its connections
    /// closed), and its files move once its disk work is idle ([`Reactor::advance_move`]).
    fn begin_move(&mut self, id: TorrentId, to: PathBuf, now: Instant) {
        let Some(t) = self.torrents.get_mut(&id) else {
            if self.magnets.contains_key(&id) {
                let message = "cannot move a torrent whose metadata has not arrived yet".to_string();
                self.events.push(SessionEvent::StorageMoveFailed { torrent: id, message });
            }
            return;
        };
        if t.begin_move(to) {
            self.close_torrent_peers(id, "moving its files");
        }
        self.advance_move(id);
        self.after_torrent(id, now);
    }

    /// Queues a torrent's move on the writer thread once nothing else touches its files.
    fn advance_move(&mut self, id: TorrentId) {
        if !self.torrents.get(&id).is_some_and(Torrent::is_moving) {
            return;
        }
        let web_idle = !self.web.get(&id).is_some_and(|w| w.is_fetching());
        let Some(t) = self.torrents.get_mut(&id) else { return };
        if let Some(task) = t.move_task(web_idle) {
            self.pool.submit_io(job_id(id, MOVE_JOB), task);
        }
    }

    /// Moves a torrent being removed on: queues its last disk work, or finishes its removal.
    fn advance_retiring(&mut self, id: TorrentId, now: Instant) {
        let Some(r) = self.retiring.get_mut(&id) else { return };
        match r.next(now) {
            Next::Wait => {}
            Next::Queue(task) => self.pool.submit_io(job_id(id, 0), task),
            Next::Done => {
                if let Some(r) = self.retiring.remove(&id) {
                    r.finish(&self.events);
                }
            }
        }
    }

    /// Handles a pool result of a torrent being removed.
    fn on_retiring_result(&mut self, id: TorrentId, result: HashResult, now: Instant) {
        let threads = self.cfg.hash_threads as u32;
        let Some(r) = self.retiring.get_mut(&id) else { return };
        if result.io && is_move_job(result.id) {
            r.torrent.on_moved(result.write_error);
        } else if result.io {
            r.on_io(result.write_error);
        } else if r.wants_hashes() {
            r.torrent.on_hash(result, &self.pool, threads, now);
        } else if let Some(buf) = result.buffer {
            self.cfg.piece_buffers.lock().give_back(buf);
        }
        self.advance_retiring(id, now);
    }

    // ----- timers -----

    fn tick(&mut self, now: Instant) {
        // Idle torrents are skipped: they have nothing to do until an event wakes them.
        let ids: Vec<TorrentId> = self
            .torrents
            .iter()
            .filter(|(id, t)| t.needs_tick(now, self.web.contains_key(id)))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.torrent_tick(id, now);
        }
        let magnets: Vec<TorrentId> = self.magnets.keys().copied().collect();
        for id in magnets {
            self.magnet_tick(id, now);
        }
        self.rebalance_queue(now);
        self.peer_timeouts(now);
        self.dht_tick(now);
        let retiring: Vec<TorrentId> = self.retiring.keys().copied().collect();
        for id in retiring {
            self.advance_retiring(id, now);
        }
        self.cfg.piece_buffers.lock().trim(now);
        let tracker_slots: Vec<usize> = (0..self.trackers.len()).filter(|i| self.trackers[*i].is_some()).collect();
        for i in tracker_slots {
            self.drive_tracker(i, now);
        }
    }

    /// Lets rate-limited torrents move the bytes their buckets allow since the last tick.
    fn pump_limited(&mut self, id: TorrentId, now: Instant) {
        let Some(t) = self.torrents.get(&id) else { return };
        if !t.limits.any() {
            return;
        }
        let keys: Vec<PeerKey> = t.peers.iter().copied().collect();
        for k in keys {
            if let (Some(Some(slot)), Some(t)) = (self.peers.get_mut(k.0 as usize), self.torrents.get_mut(&id)) {
                t.request_more(k, &mut slot.conn, now);
            }
            self.flush(k.0 as usize, now);
        }
    }

    fn torrent_tick(&mut self, id: TorrentId, now: Instant) {
        self.pump_limited(id, now);
        let threads = self.cfg.hash_threads as u32;
        let Some(t) = self.torrents.get_mut(&id) else { return };
        t.pump_check(&self.pool, threads, now);
        if !t.is_moving() && t.resume_due(now) {
            t.save_resume_in_background(&self.pool);
        }
        self.advance_move(id);
        let Some(t) = self.torrents.get_mut(&id) else { return };
        if let Some(due) = t.announcer_due(now) {
            let req = t.announcer.request(&due, Self::announce_base_of(t, self.listen_port, &self.cfg));
            self.start_tracker(id, due, req, false, now);
        }
        self.start_scrape(id, now);
        self.dial(id, now);
        self.exchange_peers(id, now);
        self.tick_web(id, now);
        self.rechoke_if_due(id, now);
        self.after_torrent(id, now);
        let web = self.web.contains_key(&id);
        if self.torrents.get_mut(&id).is_some_and(|t| t.snapshot_due(now, self.cfg.status_interval, web)) {
            self.publish_status(id, now);
        }
    }

    fn announce_base(&self, t: &Torrent) -> AnnounceRequest {
        Self::announce_base_of(t, self.listen_port, &self.cfg)
    }

    fn announce_base_of(t: &Torrent, port: u16, cfg: &ReactorConfig) -> AnnounceRequest {
        AnnounceRequest {
            info_hash: t.info_hash,
            peer_id: cfg.peer_id,
            port,
            uploaded: t.uploaded,
            downloaded: t.downloaded,
            left: t.bytes_left(),
            event: None,
            numwant: Some(if t.peers.len() >= t.max_connections { 0 } else { 50 }),
            key: t.announcer.key,
            tracker_id: None,
            ip: cfg.announce_ip.clone(),
            crypto: cfg.crypto.announce(),
        }
    }

    /// Starts an announce, or with `scrape` a scrape, for torrent `id`.
    fn start_tracker(
        &mut self,
        id: TorrentId,
        due: super::announcer::DueAnnounce,
        req: AnnounceRequest,
        scrape: bool,
        now: Instant,
    ) {
        match TrackerConn::start(id, due.clone(), req, scrape, self.cfg.tls.clone(), now) {
            Ok(conn) => {
                let slot = self.trackers.iter().position(Option::is_none).unwrap_or_else(|| {
                    self.trackers.push(None);
                    self.trackers.len() - 1
                });
                self.trackers[slot] = Some(conn);
                self.drive_tracker(slot, now);
            }
            Err(e) if scrape => self.tracker_done(id, &due, TrackerOutcome::ScrapeFailed(e), now),
            Err(e) => self.tracker_done(id, &due, TrackerOutcome::Failed(e), now),
        }
    }

    fn drive_tracker(&mut self, slot: usize, now: Instant) {
        let Some(Some(conn)) = self.trackers.get_mut(slot) else { return };
        let outcome = conn.drive(self.poll.registry(), Token(TRACKER_BASE + slot), now);
        if matches!(outcome, TrackerOutcome::Pending) {
            return;
        }
        let Some(conn) = self.trackers[slot].take() else { return };
        self.tracker_done(conn.torrent, &conn.due, outcome, now);
    }

    /// Asks torrent `id` (with or without its metadata) for a scrape and starts it; a torrent
    /// without trackers gets a `ScrapeFailed` event saying so.
    pub(super) fn scrape_now(&mut self, id: TorrentId, now: Instant) {
        let Some(swarm) = self.swarm_mut(id) else { return };
        if swarm.announcer().is_empty() {
            let message = "the torrent has no tracker".to_string();
            swarm.push_event(SessionEvent::ScrapeFailed { torrent: id, url: String::new(), message });
            return;
        }
        swarm.announcer_mut().force_scrape();
        self.start_scrape(id, now);
    }

    /// Starts the scrape torrent `id` is due, if any.
    pub(super) fn start_scrape(&mut self, id: TorrentId, now: Instant) {
        let Some(swarm) = self.swarm_mut(id) else { return };
        // A paused torrent may be scraped too: a scrape tells the tracker nothing about us.
        let Some(due) = swarm.announcer_mut().due_scrape() else { return };
        let req = match (self.torrents.get(&id), self.magnets.get(&id)) {
            (Some(t), _) => Self::announce_base_of(t, self.listen_port, &self.cfg),
            (None, Some(m)) => self.magnet_announce(m),
            (None, None) => return,
        };
        self.start_tracker(id, due, req, true, now);
    }

    /// Torrent `id`, with or without its metadata.
    fn swarm_mut(&mut self, id: TorrentId) -> Option<&mut dyn Swarm> {
        match self.torrents.get_mut(&id) {
            Some(t) => Some(t),
            None => self.magnets.get_mut(&id).map(|m| m as &mut dyn Swarm),
        }
    }

    fn tracker_done(
        &mut self,
        id: TorrentId,
        due: &super::announcer::DueAnnounce,
        outcome: TrackerOutcome,
        now: Instant,
    ) {
        let Some(swarm) = self.swarm_mut(id) else { return };
        let crypto = swarm.on_tracker_outcome(due, outcome, now);
        remember(&mut self.require_crypto, &crypto);
        // A reply without the swarm's counts asks for a scrape: it goes now.
        self.start_scrape(id, now);
        self.after_magnet(id, now);
        self.after_torrent(id, now);
    }

    // ----- web seeds (h/webseed) -----

    /// New web seed connections allowed now: what the session's connection limit leaves.
    fn web_budget(&self) -> usize {
        let web: usize = self.web.values().map(WebSeeds::connections).sum();
        if self.stopping.is_some() {
            return 0;
        }
        self.cfg.max_connections.saturating_sub(self.connection_count() + web)
    }

    /// Drives a torrent's web seed requests (timeouts) and starts new ones.
    fn tick_web(&mut self, id: TorrentId, now: Instant) {
        let budget = self.web_budget();
        let (Some(t), Some(w)) = (self.torrents.get_mut(&id), self.web.get_mut(&id)) else { return };
        let first = WEB_BASE + id as usize * MAX_WEB_SEEDS;
        w.tick(t, self.poll.registry(), first, budget, now);
        self.after_torrent(id, now);
    }

    /// Handles an event on a web seed's connection, then lets idle seeds start again.
    fn drive_web(&mut self, token: usize, now: Instant) {
        let id = (token / MAX_WEB_SEEDS) as TorrentId;
        let budget = self.web_budget();
        let (Some(t), Some(w)) = (self.torrents.get_mut(&id), self.web.get_mut(&id)) else { return };
        let first = WEB_BASE + id as usize * MAX_WEB_SEEDS;
        w.drive(token % MAX_WEB_SEEDS, t, self.poll.registry(), Token(WEB_BASE + token), now);
        w.pump(t, self.poll.registry(), first, budget, now);
        self.after_torrent(id, now);
    }

    // ----- connections -----

    fn insert_peer(&mut self, slot: PeerSlot) -> Option<usize> {
        let idx = self.free.pop().unwrap_or_else(|| {
            self.peers.push(None);
            self.peers.len() - 1
        });
        self.peers[idx] = Some(slot);
        let ok = self.peers[idx]
            .as_mut()
            .map(|s| {
                self.poll
                    .registry()
                    .register(&mut s.stream, Token(PEER_BASE + idx), Interest::READABLE | Interest::WRITABLE)
                    .is_ok()
            })
            .unwrap_or(false);
        if !ok {
            self.peers[idx] = None;
            self.free.push(idx);
            return None;
        }
        Some(idx)
    }

    fn connection_count(&self) -> usize {
        self.peers.len() - self.free.len()
    }

    fn accept(&mut self, now: Instant) {
        loop {
            let Some(listener) = self.listener.as_ref() else { return };
            match listener.accept() {
                Ok((stream, addr)) => {
                    if self.connection_count() >= self.cfg.max_connections || self.stopping.is_some() {
                        continue;
                    }
                    // An IPv4 peer on the dual-stack listener arrives as ::ffff:a.b.c.d.
                    let addr = SocketAddr::new(addr.ip().to_canonical(), addr.port());
                    if self.is_blocked(&addr) {
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    let mut conn = PeerConn::new(addr, false, 0, now);
                    let policy = self.cfg.crypto;
                    if let Some(responder) = policy.responder() {
                        conn.expect_either(responder, policy.plaintext_ok());
                    }
                    let slot = PeerSlot { conn, stream, torrent: None, connected: true, retry_plaintext: false };
                    self.insert_peer(slot);
                }
                Err(e) if would_block(&e) => return,
                Err(_) => return,
            }
        }
    }

    /// Whether the IP filter blocks `addr`.
    fn is_blocked(&self, addr: &SocketAddr) -> bool {
        self.cfg.ip_filter.as_ref().is_some_and(|f| f.contains(addr.ip()))
    }

    /// Replaces the IP filter and closes the connections it now blocks.
    fn set_ip_filter(&mut self, filter: Option<Arc<IpSet>>) {
        self.cfg.ip_filter = filter;
        let blocked: Vec<usize> = (0..self.peers.len())
            .filter(|&i| self.peers[i].as_ref().is_some_and(|s| self.is_blocked(&s.conn.addr)))
            .collect();
        for i in blocked {
            self.close_peer(i, "blocked by the IP filter");
        }
    }

    /// New outgoing connections allowed now: the half-open limit less those connecting.
    fn dial_budget(&self) -> usize {
        if self.stopping.is_some() {
            return 0;
        }
        let half_open = self.peers.iter().flatten().filter(|s| !s.connected).count();
        MAX_HALF_OPEN.saturating_sub(half_open)
    }

    /// True when torrent `id` has a connection to `addr`.
    fn has_connection(&self, id: TorrentId, addr: SocketAddr) -> bool {
        self.peers.iter().flatten().any(|s| s.torrent == Some(id) && s.conn.addr == addr)
    }

    /// Starts a connection of torrent `id` (known to peers as `info_hash`, of `pieces` pieces)
    /// to `addr` with our handshake queued; false when the policy skips it or connect fails.
    fn connect_to(&mut self, id: TorrentId, addr: SocketAddr, info_hash: [u8; 20], pieces: u32, now: Instant) -> bool {
        if self.is_blocked(&addr) {
            return false;
        }
        let how = self.cfg.crypto.dial(self.require_crypto.contains(&addr), self.mse_failed.contains(&addr));
        if how == Dial::Skip {
            return false;
        }
        let Ok(stream) = TcpStream::connect(addr) else { return false };
        let _ = stream.set_nodelay(true);
        let mut conn = PeerConn::new(addr, true, pieces, now);
        conn.send_handshake(info_hash, self.cfg.peer_id, now);
        let mut retry_plaintext = false;
        if let Dial::Mse { policy, retry_plaintext: retry } = how {
            conn.start_mse(info_hash, policy);
            retry_plaintext = retry;
        }
        self.insert_peer(PeerSlot { conn, stream, torrent: Some(id), connected: false, retry_plaintext });
        true
    }

    fn dial(&mut self, id: TorrentId, now: Instant) {
        let mut budget = self.dial_budget();
        while budget > 0 && self.connection_count() < self.cfg.max_connections {
            let Some(t) = self.torrents.get_mut(&id) else { return };
            if t.paused
                || matches!(t.state, TorrentState::Error | TorrentState::Checking)
                || t.peers.len() >= t.max_connections
            {
                return;
            }
            let Some(addr) = t.candidates.pop_front() else { return };
            let (banned, hash, pieces) = (t.is_banned(&addr), t.info_hash, t.layout.piece_count());
            if !banned && !self.has_connection(id, addr) && self.connect_to(id, addr, hash, pieces, now) {
                budget -= 1;
            }
        }
    }

    fn close_peer(&mut self, idx: usize, _why: &str) {
        let Some(Some(mut slot)) = self.peers.get_mut(idx).map(Option::take) else { return };
        let _ = self.poll.registry().deregister(&mut slot.stream);
        let key = PeerKey(idx as u32);
        if let Some(m) = slot.torrent.and_then(|id| self.magnets.get_mut(&id)) {
            m.on_disconnect(key);
        }
        if let Some(t) = slot.torrent.and_then(|id| self.torrents.get_mut(&id)) {
            t.mark_status_dirty();
            t.on_disconnect(key, &mut slot.conn);
        }
        // A failed outgoing MSE attempt is retried once in plaintext (as libtorrent does).
        if slot.retry_plaintext && slot.connected && slot.conn.crypto_pending() && self.stopping.is_none() {
            remember(&mut self.mse_failed, &[slot.conn.addr]);
            if let Some(swarm) = slot.torrent.and_then(|id| self.swarm_mut(id)) {
                swarm.redial(slot.conn.addr);
            }
        }
        self.free.push(idx);
    }

    fn peer_timeouts(&mut self, now: Instant) {
        for idx in 0..self.peers.len() {
            let Some(slot) = self.peers[idx].as_mut() else { continue };
            let c = &slot.conn;
            let reason = if c.phase == Phase::Handshake && now.duration_since(c.since) > HANDSHAKE_TIMEOUT {
                Some("handshake timeout")
            } else if now.duration_since(c.last_recv) > IDLE_TIMEOUT {
                Some("idle")
            } else {
                None
            };
            if let Some(r) = reason {
                self.close_peer(idx, r);
                continue;
            }
            let stalled = c.phase == Phase::Active
                && !c.requested.is_empty()
                && !c.peer_choking
                && c.unchoked_us_at.is_some_and(|u| now.duration_since(c.last_block.max(u)) > REQUEST_TIMEOUT);
            if stalled {
                if let Some(id) = slot.torrent {
                    if let Some(t) = self.torrents.get_mut(&id) {
                        t.on_requests_stalled(PeerKey(idx as u32), &mut slot.conn, now);
                    }
                    self.after_torrent(id, now);
                }
            }
            let Some(slot) = self.peers[idx].as_mut() else { continue };
            if slot.conn.phase == Phase::Active && now.duration_since(slot.conn.last_send) > KEEPALIVE {
                slot.conn.send(&Message::KeepAlive, now);
                self.flush(idx, now);
            }
        }
    }

    fn peer_event(&mut self, idx: usize, readable: bool, writable: bool, now: Instant) {
        let Some(Some(slot)) = self.peers.get_mut(idx) else { return };
        if !slot.connected && (writable || readable) {
            match slot.stream.peer_addr() {
                Ok(_) => slot.connected = true,
                Err(e) if e.kind() == std::io::ErrorKind::NotConnected => {
                    if slot.stream.take_error().ok().flatten().is_some() {
                        self.close_peer(idx, "connect failed");
                    }
                    return;
                }
                Err(_) => {
                    self.close_peer(idx, "connect failed");
                    return;
                }
            }
        }
        if readable {
            match self.read_peer(idx, now) {
                Ok(more) => {
                    if more {
                        self.backlog.push(idx);
                    }
                }
                Err(why) => {
                    self.close_peer(idx, &why);
                    return;
                }
            }
            if let Err(e) = self.process(idx, now) {
                self.close_peer(idx, &e.to_string());
                return;
            }
        }
        self.flush(idx, now);
    }

    /// Reads what is available up to the budget; Ok(true) when more may be waiting.
    fn read_peer(&mut self, idx: usize, now: Instant) -> Result<bool, String> {
        let Some(Some(slot)) = self.peers.get_mut(idx) else { return Ok(false) };
        let mut total = 0usize;
        loop {
            let space = slot.conn.recv_space();
            match slot.stream.read(space) {
                Ok(0) => {
                    slot.conn.received(0, now);
                    return Err("closed by peer".into());
                }
                Ok(n) => {
                    slot.conn.received(n, now);
                    total += n;
                    if total >= READ_BUDGET {
                        return Ok(true);
                    }
                }
                Err(e) if would_block(&e) => {
                    slot.conn.received(0, now);
                    return Ok(false);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => slot.conn.received(0, now),
                Err(e) => {
                    slot.conn.received(0, now);
                    return Err(e.to_string());
                }
            }
        }
    }

    fn process(&mut self, idx: usize, now: Instant) -> Result<(), PeerError> {
        let key = PeerKey(idx as u32);
        let peer_id = self.cfg.peer_id;
        let listen_port = self.listen_port;
        // Route an incoming connection to its torrent as soon as its info-hash arrives.
        {
            let Some(Some(slot)) = self.peers.get_mut(idx) else { return Ok(()) };
            if slot.conn.crypto_pending() {
                match slot.conn.drive_crypto(&self.by_req2)? {
                    CryptoProgress::Pending => return Ok(()),
                    CryptoProgress::Ready => {}
                    CryptoProgress::Finished(h) if slot.torrent.is_none() => match self.by_hash.get(&h) {
                        Some(id) => slot.torrent = Some(*id),
                        None => return Err(PeerError::Unwanted("unknown info-hash".into())),
                    },
                    CryptoProgress::Finished(_) => {}
                }
            }
            if slot.torrent.is_none() {
                match slot.conn.peek_info_hash()? {
                    None => return Ok(()),
                    Some(h) => match self.by_hash.get(&h) {
                        Some(id) => slot.torrent = Some(*id),
                        None => return Err(PeerError::Unwanted("unknown info-hash".into())),
                    },
                }
            }
        }
        let Some(tid) = self.peers.get(idx).and_then(Option::as_ref).and_then(|s| s.torrent) else { return Ok(()) };
        if self.magnets.contains_key(&tid) {
            return self.process_magnet(idx, tid, now);
        }
        let Some(Some(slot)) = self.peers.get_mut(idx) else { return Ok(()) };
        let Some(t) = self.torrents.get_mut(&tid) else { return Err(PeerError::Unwanted("torrent gone".into())) };
        if t.paused || matches!(t.state, TorrentState::Error) {
            return Err(PeerError::Unwanted("torrent not active".into()));
        }
        if t.is_banned(&slot.conn.addr) {
            return Err(PeerError::Unwanted("banned".into()));
        }
        let (handshake, result) =
            slot.conn.drain_messages(DEFAULT_MAX_MESSAGE_LEN, |conn, m| t.on_message(key, conn, m, now));
        if let Some(h) = handshake {
            let want = t.info_hash;
            self.check_handshake(idx, tid, &h, want)?;
            let Some(Some(slot)) = self.peers.get_mut(idx) else { return Ok(()) };
            let t = self.torrents.get_mut(&tid).ok_or_else(|| PeerError::Unwanted("torrent gone".into()))?;
            t.greet(&mut slot.conn, peer_id, now);
            t.on_connected(key, &mut slot.conn, listen_port, now);
            // A private torrent's swarm learns nothing of the DHT from us (BEP 27).
            if let (Some(d), true) = (&self.dht, h.supports_dht() && !t.meta.is_private()) {
                slot.conn.send(&Message::Port(d.port), now);
            }
            return self.process(idx, now);
        }
        result?;
        let private = t.meta.is_private();
        if let Some((ip, port)) = slot_dht_port(&mut self.peers, idx).filter(|_| !private) {
            self.dht_add_node(ip, port, now);
        }
        self.after_torrent(tid, now);
        Ok(())
    }

    /// Refuses a peer handshake on connection `idx` of torrent `tid` that names another
    /// info-hash than `want`, or our own peer id, or the id of another connection of the torrent.
    fn check_handshake(&self, idx: usize, tid: TorrentId, h: &Handshake, want: [u8; 20]) -> Result<(), PeerError> {
        if h.info_hash != want {
            return Err(PeerError::Unwanted("info-hash mismatch".into()));
        }
        if h.peer_id == self.cfg.peer_id {
            return Err(PeerError::Unwanted("connected to ourselves".into()));
        }
        let dup = self.peers.iter().enumerate().any(|(i, s)| {
            i != idx
                && s.as_ref()
                    .is_some_and(|s| s.torrent == Some(tid) && s.conn.remote.is_some_and(|r| r.peer_id == h.peer_id))
        });
        if dup {
            return Err(PeerError::Unwanted("duplicate peer id".into()));
        }
        Ok(())
    }

    fn flush(&mut self, idx: usize, now: Instant) {
        let Some(Some(slot)) = self.peers.get_mut(idx) else { return };
        if !slot.connected {
            return;
        }
        let mut failed = None;
        loop {
            if let Some(t) = slot.torrent.and_then(|id| self.torrents.get_mut(&id)) {
                if let Err(e) = t.serve(&mut slot.conn, now) {
                    t.fail(e);
                }
            }
            if slot.conn.send_len() == 0 {
                break;
            }
            slot.conn.seal();
            match slot.stream.write(slot.conn.to_send()) {
                Ok(0) => {
                    failed = Some("write returned 0");
                    break;
                }
                Ok(n) => slot.conn.sent(n),
                Err(e) if would_block(&e) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => {
                    failed = Some("write failed");
                    break;
                }
            }
        }
        if let Some(why) = failed {
            self.close_peer(idx, why);
        }
    }

    /// Refreshes a torrent's status snapshot now.
    fn publish_status(&mut self, id: TorrentId, now: Instant) {
        let Some(t) = self.torrents.get_mut(&id) else { return };
        let conns: Vec<&PeerConn> =
            t.peers.iter().filter_map(|k| self.peers.get(k.0 as usize)?.as_ref()).map(|s| &s.conn).collect();
        t.publish(&conns, now);
        let web = self.web.get(&id).map_or(0, |w| w.working(now));
        t.snapshot.lock().web_seeds = web;
    }

    /// A torrent's priorities changed: it may download again (or be done), its connections'
    /// interest follows (a peer with nothing we wanted may now have something), and they are
    /// asked for more.
    fn priorities_changed(&mut self, id: TorrentId, now: Instant) {
        let Some(t) = self.torrents.get_mut(&id) else { return };
        t.on_priorities_changed(now);
        let keys: Vec<PeerKey> = t.peers.iter().copied().collect();
        for k in keys {
            if let (Some(Some(slot)), Some(t)) = (self.peers.get_mut(k.0 as usize), self.torrents.get_mut(&id)) {
                t.refresh_interest(k, &mut slot.conn, now);
                self.flush(k.0 as usize, now);
            }
        }
        self.after_torrent(id, now);
    }

    /// Applies a torrent's outbox and forwards its events.
    fn after_torrent(&mut self, id: TorrentId, now: Instant) {
        let Some(t) = self.torrents.get_mut(&id) else { return };
        // A caller woken by a milestone event reads a status that already shows it.
        let milestone = t.events.iter().any(|e| {
            matches!(
                e,
                SessionEvent::Checked { .. }
                    | SessionEvent::Finished { .. }
                    | SessionEvent::StorageError { .. }
                    | SessionEvent::StorageMoved { .. }
                    | SessionEvent::StorageMoveFailed { .. }
            )
        });
        if milestone {
            self.publish_status(id, now);
        }
        let Some(t) = self.torrents.get_mut(&id) else { return };
        if !t.outbox.is_empty() || !t.events.is_empty() || !t.pending_hash.is_empty() {
            t.mark_status_dirty();
        }
        let actions = std::mem::take(&mut t.outbox);
        for ev in t.events.drain(..) {
            self.events.push(ev);
        }
        let pending = std::mem::take(&mut t.pending_hash);
        for p in pending {
            t.submit_piece_hash(&self.pool, p);
        }
        let mut touched = Vec::new();
        for action in actions {
            match action {
                Action::BroadcastHave(piece) => {
                    let keys: Vec<PeerKey> =
                        self.torrents.get(&id).map(|t| t.peers.iter().copied().collect()).unwrap_or_default();
                    for k in keys {
                        if let (Some(Some(slot)), Some(t)) =
                            (self.peers.get_mut(k.0 as usize), self.torrents.get_mut(&id))
                        {
                            slot.conn.send(&Message::Have(piece), now);
                            t.refresh_interest(k, &mut slot.conn, now);
                            touched.push(k.0 as usize);
                        }
                    }
                }
                Action::Cancel(k, b) => {
                    if let Some(Some(slot)) = self.peers.get_mut(k.0 as usize) {
                        slot.conn.requested.retain(|r| *r != b);
                        slot.conn.send(&Message::Cancel(b), now);
                        touched.push(k.0 as usize);
                    }
                }
                Action::Request(k) => {
                    if let (Some(Some(slot)), Some(t)) = (self.peers.get_mut(k.0 as usize), self.torrents.get_mut(&id))
                    {
                        t.request_more(k, &mut slot.conn, now);
                        touched.push(k.0 as usize);
                    }
                }
                Action::Offer(k) | Action::RevealAll(k) => {
                    if let (Some(Some(slot)), Some(t)) = (self.peers.get_mut(k.0 as usize), self.torrents.get_mut(&id))
                    {
                        if matches!(action, Action::Offer(_)) {
                            t.super_seed_offer(k, &mut slot.conn, now);
                        } else {
                            t.reveal_all(&mut slot.conn, now);
                        }
                        touched.push(k.0 as usize);
                    }
                }
                Action::Close(k, why) => self.close_peer(k.0 as usize, &why),
                Action::CloseSeeds => {
                    let keys: Vec<PeerKey> =
                        self.torrents.get(&id).map(|t| t.peers.iter().copied().collect()).unwrap_or_default();
                    for k in keys {
                        if self.peers.get(k.0 as usize).and_then(Option::as_ref).is_some_and(|s| s.conn.is_seed()) {
                            self.close_peer(k.0 as usize, "both seeds");
                        }
                    }
                }
                Action::Ban(addr) => {
                    let Some(t) = self.torrents.get(&id) else { continue };
                    let banned: Vec<usize> = (0..self.peers.len())
                        .filter(|i| {
                            self.peers[*i].as_ref().is_some_and(|s| {
                                s.torrent == Some(id) && (s.conn.addr == addr || t.is_banned(&s.conn.addr))
                            })
                        })
                        .collect();
                    for idx in banned {
                        self.close_peer(idx, "banned for corrupt data");
                    }
                }
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for idx in touched {
            self.flush(idx, now);
        }
        if let Some(t) = self.torrents.get_mut(&id) {
            for ev in t.events.drain(..) {
                self.events.push(ev);
            }
        }
    }

    /// Sends each connection of torrent `id` that takes `ut_pex` the changes among the
    /// torrent's other connected peers since its last message, when one is due (BEP 11; never
    /// for a private torrent).
    fn exchange_peers(&mut self, id: TorrentId, now: Instant) {
        let Some(t) = self.torrents.get(&id) else { return };
        if t.meta.is_private() {
            return;
        }
        let keys: Vec<PeerKey> = t.peers.iter().copied().collect();
        let slot = |k: &PeerKey| self.peers.get(k.0 as usize).and_then(Option::as_ref).filter(|s| s.connected);
        if !keys.iter().filter_map(slot).any(|s| s.conn.ut_pex.is_some() && s.conn.pex.is_due(now)) {
            return;
        }
        let current: Vec<(SocketAddr, u8)> = keys.iter().filter_map(slot).filter_map(|s| s.conn.pex_entry()).collect();
        for k in keys {
            let Some(Some(slot)) = self.peers.get_mut(k.0 as usize) else { continue };
            let Some(their_id) = slot.conn.ut_pex.filter(|_| slot.connected) else { continue };
            let own = slot.conn.listen_addr();
            let others: Vec<(SocketAddr, u8)> = current.iter().filter(|(a, _)| Some(*a) != own).copied().collect();
            if let Some(msg) = slot.conn.pex.due(now, &others) {
                slot.conn.send(&Message::Extended { id: their_id, payload: &msg.encode() }, now);
                self.flush(k.0 as usize, now);
            }
        }
    }

    fn rechoke_if_due(&mut self, id: TorrentId, now: Instant) {
        let Some(t) = self.torrents.get_mut(&id) else { return };
        if !t.choke_due(now, CHOKE_INTERVAL) {
            return;
        }
        let keys: Vec<PeerKey> = t.peers.iter().copied().collect();
        let mut stats = Vec::new();
        for k in &keys {
            if let Some(Some(slot)) = self.peers.get_mut(k.0 as usize) {
                let c = &mut slot.conn;
                stats.push(PeerStats {
                    peer: *k,
                    interested: c.peer_interested,
                    am_interested: c.am_interested,
                    unchoked_us_at: c.unchoked_us_at,
                    last_block_at: Some(c.last_block),
                    download_rate: c.down.rate(now),
                    upload_rate: c.up.rate(now),
                });
            }
        }
        let unchoke = t.choose_unchoked(&stats, now);
        for k in keys {
            if let Some(Some(slot)) = self.peers.get_mut(k.0 as usize) {
                let want = unchoke.contains(&k);
                if want == slot.conn.am_choking {
                    slot.conn.am_choking = !want;
                    slot.conn.refused_requests = 0;
                    slot.conn.send(if want { &Message::Unchoke } else { &Message::Choke }, now);
                    if !want {
                        slot.conn.wanted.clear();
                    }
                }
            }
            self.flush(k.0 as usize, now);
        }
        if let Some(t) = self.torrents.get_mut(&id) {
            t.unchoked = unchoke.len();
            t.super_seed_offer_all();
        }
    }

    fn close_all(&mut self) {
        if let Some(d) = self.dht.as_mut() {
            d.save(Instant::now());
        }
        for idx in 0..self.peers.len() {
            self.close_peer(idx, "shutdown");
        }
        for slot in 0..self.trackers.len() {
            if let Some(mut c) = self.trackers[slot].take() {
                c.close(self.poll.registry());
            }
        }
        for w in self.web.values_mut() {
            w.close(self.poll.registry());
        }
        for t in self.torrents.values_mut() {
            t.save_resume();
            t.publish(&[], Instant::now());
        }
        // Removals still waiting for their pieces finish now; work already queued on the writer
        // thread is done before the pool stops.
        for (_, r) in std::mem::take(&mut self.retiring) {
            r.finish_now(&self.events);
        }
    }
}

/// Adds `addrs` to a bounded memory of peers (cleared when full).
fn remember(set: &mut HashSet<SocketAddr>, addrs: &[SocketAddr]) {
    if set.len() + addrs.len() > MAX_CRYPTO_MEMORY {
        set.clear();
    }
    set.extend(addrs.iter().take(MAX_CRYPTO_MEMORY).copied());
}
