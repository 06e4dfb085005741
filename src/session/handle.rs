//! The public face of the engine: [`Session`] (one reactor thread, one listening port, many
//! torrents) and [`TorrentHandle`] (a weak reference to one torrent). Every call posts a
//! command to the reactor and wakes it; status comes from snapshots the reactor publishes, so
//! reading it never stops the reactor.

use super::event::SessionEvent;
use super::event_queue::{EventQueue, Popped};
use super::limits::{bucket, GlobalLimits};
use super::magnet::AddMagnet;
use super::picker::Priority;
use super::reactor::{Command, Reactor, ReactorConfig, WAKER};
use super::status::{StatusCell, TorrentStatus};
use super::torrent::{AddTorrent, TorrentId};
use crate::metainfo::magnet::MagnetLink;
use crate::metainfo::Metainfo;
use crate::storage::piece_buffers::PieceBuffers;
use crate::tracker::ipfilter::IpSet;
use crossbeam_channel::Sender;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Session settings, with BitTornado-compatible names where one exists.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// Address to listen on. The default, `0.0.0.0`, takes IPv6 peers too where the system has
    /// IPv6 (one dual-stack socket).
    pub bind: IpAddr,
    /// Lowest port to try (`minport`); 0 lets the system choose.
    pub min_port: u16,
    /// Highest port to try (`maxport`).
    pub max_port: u16,
    /// Accept incoming connections at all.
    pub listen: bool,
    /// Hashing threads (0: one per core).
    pub hash_threads: usize,
    /// How many nice steps below the reactor the hashing and disk-writing threads run (Linux;
    /// default 10, 0: the same priority): bulk work then never keeps the reactor, or other
    /// programs, waiting for a CPU.
    pub worker_nice: u8,
    /// Most connections in the session.
    pub max_connections: usize,
    /// Most connections per torrent.
    pub max_connections_per_torrent: usize,
    /// Upload slots per torrent (`max_uploads`).
    pub max_uploads: usize,
    /// Capacity of the event queue.
    pub event_capacity: usize,
    /// A fixed peer id (random when `None`).
    pub peer_id: Option<[u8; 20]>,
    /// Session-wide upload limit in bytes per second (0: none).
    pub max_upload_rate: u64,
    /// Session-wide download limit in bytes per second (0: none).
    pub max_download_rate: u64,
    /// Directory for fast-resume records (none: always check data on start).
    pub resume_dir: Option<PathBuf>,
    /// An address to report to trackers instead of the connection's (`ip=`, BitTornado `--ip`).
    pub announce_ip: Option<String>,
    /// Memory for pieces assembled before they are verified and written, in bytes (0: write
    /// every block as it arrives).
    pub piece_buffer_bytes: usize,
    /// Download from HTTP seeds named in the metainfo (BEP 17 `httpseeds`, BEP 19 `url-list`).
    pub web_seeds: bool,
    /// Accept and offer Message Stream Encryption (BitTornado `crypto_allowed`; default on).
    pub crypto_allowed: bool,
    /// Refuse plaintext peers: MSE with RC4 only (BitTornado `crypto_only`; default off).
    pub crypto_only: bool,
    /// Never speak plaintext and announce `port=0&cryptoport=N` (BitTornado `crypto_stealth`;
    /// default off; implies `crypto_only`).
    pub crypto_stealth: bool,
    /// As MSE responder, choose RC4 over plaintext when the peer offers both (libtorrent
    /// `prefer_rc4`; default off).
    pub crypto_prefer_rc4: bool,
    /// How often an active torrent's status snapshot is refreshed (default 250 ms; the reactor
    /// ticks every 100 ms, so shorter intervals refresh at every tick). Milestones such as
    /// "finished" are published at once whatever this is.
    pub status_interval: Duration,
    /// A PEM file of certificates trusted for https trackers and web seeds, beside the system's
    /// (which `SSL_CERT_FILE` or `SSL_CERT_DIR` replace, as for OpenSSL).
    pub tls_ca_file: Option<PathBuf>,
    /// Run a DHT node (BEP 5) on the listening port, over UDP (default on).
    pub dht: bool,
    /// DHT nodes to join through (`host:port`; none by default: the DHT then learns nodes from
    /// peers' `PORT` messages and the torrents' `nodes`).
    pub dht_bootstrap: Vec<String>,
    /// Peers whose addresses are in this set are neither dialled nor accepted (libtorrent's
    /// `ip_filter`, Transmission's blocklist; read one with [`IpSet::from_ranges`]). None by
    /// default; [`Session::set_ip_filter`] changes it while the session runs.
    pub ip_filter: Option<Arc<IpSet>>,
    /// Most torrents downloading at once (libtorrent's `active_downloads`, Transmission's
    /// download queue); the others wait in [`TorrentState::Queued`](super::status::TorrentState::Queued)
    /// and start in the order they were added. 0 (the default): no limit. Seeding torrents
    /// never wait.
    pub max_active_downloads: usize,
}

impl SessionSettings {
    /// The encryption policy these settings ask for.
    pub fn crypto_policy(&self) -> super::CryptoPolicy {
        super::CryptoPolicy {
            allowed: self.crypto_allowed,
            only: self.crypto_only,
            stealth: self.crypto_stealth,
            prefer_rc4: self.crypto_prefer_rc4,
        }
    }
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            bind: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            min_port: 10000,
            max_port: 60000,
            listen: true,
            hash_threads: 0,
            worker_nice: 10,
            max_connections: 500,
            max_connections_per_torrent: 80,
            max_uploads: 7,
            event_capacity: 1000,
            peer_id: None,
            max_upload_rate: 0,
            max_download_rate: 0,
            resume_dir: None,
            announce_ip: None,
            crypto_allowed: true,
            crypto_only: false,
            crypto_stealth: false,
            crypto_prefer_rc4: false,
            piece_buffer_bytes: crate::storage::piece_buffers::DEFAULT_BUDGET,
            web_seeds: true,
            status_interval: DEFAULT_STATUS_INTERVAL,
            tls_ca_file: None,
            dht: true,
            dht_bootstrap: Vec::new(),
            ip_filter: None,
            max_active_downloads: 0,
        }
    }
}

/// Reads a blocklist file for [`SessionSettings::ip_filter`] (PeerGuardian `label:first-last`
/// lines, eMule DAT lines, subnets; see [`IpSet::from_ranges`]). An unreadable file, or one with
/// a line that is none of these, is an error naming it.
pub fn load_ip_filter(path: &Path) -> Result<IpSet, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read IP filter {}: {e}", path.display()))?;
    let set = IpSet::from_ranges(&text);
    match set.bad_lines.first() {
        Some(first) => Err(format!(
            "IP filter {}: not an address range at {first}{}",
            path.display(),
            match set.bad_lines.len() - 1 {
                0 => String::new(),
                more => format!(" (and {more} more lines)"),
            }
        )),
        None => Ok(set),
    }
}

/// How often an active torrent's status snapshot is refreshed unless the settings say otherwise.
pub const DEFAULT_STATUS_INTERVAL: Duration = Duration::from_millis(250);

/// Why a session call failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Could not set up the reactor or the listening socket.
    #[error("cannot start the session: {0}")]
    Io(#[from] std::io::Error),
    /// The torrent was refused.
    #[error("{0}")]
    Add(String),
    /// The session has shut down.
    #[error("the session has shut down")]
    Shutdown,
    /// The torrent was removed.
    #[error("the torrent is no longer in the session")]
    TorrentGone,
    /// A setting cannot be used (a `tls_ca_file` without certificates, say).
    #[error("{0}")]
    Settings(String),
    /// An argument cannot be used (a path or a tracker URL, say); the text says which and why.
    #[error("{0}")]
    InvalidArgument(String),
}

/// What a torrent is added from.
#[derive(Debug, Clone)]
pub enum TorrentSource {
    /// Its metainfo (a .torrent).
    Metainfo(Arc<Metainfo>),
    /// A magnet link: the info dictionary is fetched from peers (BEP 9) before anything else,
    /// with the status in [`TorrentState::Metadata`](super::status::TorrentState::Metadata).
    Magnet(MagnetLink),
}

impl TorrentSource {
    /// The info-hash the swarm knows the torrent by.
    pub fn info_hash(&self) -> [u8; 20] {
        match self {
            TorrentSource::Metainfo(m) => m.swarm_info_hash(),
            TorrentSource::Magnet(link) => link.info_hash,
        }
    }
}

/// Options for adding a torrent.
#[derive(Debug, Clone)]
pub struct AddParams {
    /// The metainfo or magnet link.
    pub source: TorrentSource,
    /// Directory to save under.
    pub save_path: PathBuf,
    /// Start paused.
    pub paused: bool,
    /// Verify existing data (default true).
    pub check_hashes: bool,
    /// Per-file priorities (empty: all normal). With a magnet link, they must match the file
    /// count once the metadata is in, or the torrent stops with an error.
    pub file_priorities: Vec<Priority>,
    /// Peers to connect to directly.
    pub peers: Vec<SocketAddr>,
    /// This torrent's upload limit in bytes per second (0: none).
    pub max_upload_rate: u64,
    /// This torrent's download limit in bytes per second (0: none).
    pub max_download_rate: u64,
    /// Save the torrent's top-level file (single-file) or directory (multi-file) under this
    /// name instead of `info.name` (libtorrent's save-as); one path component, none by default.
    pub top_level_name: Option<String>,
    /// Super-seed (BEP 16) once complete: hide our pieces and offer each peer one rare piece at
    /// a time (BitTornado `--super_seeder`).
    pub super_seed: bool,
}

impl AddParams {
    /// Defaults for `metainfo` saved under `save_path`.
    pub fn new(metainfo: Arc<Metainfo>, save_path: impl Into<PathBuf>) -> Self {
        AddParams::from_source(TorrentSource::Metainfo(metainfo), save_path)
    }

    /// Defaults for the torrent of magnet link `link` saved under `save_path`.
    pub fn magnet(link: MagnetLink, save_path: impl Into<PathBuf>) -> Self {
        AddParams::from_source(TorrentSource::Magnet(link), save_path)
    }

    /// Defaults for the torrent of `source` saved under `save_path`.
    pub fn from_source(source: TorrentSource, save_path: impl Into<PathBuf>) -> Self {
        AddParams {
            source,
            save_path: save_path.into(),
            paused: false,
            check_hashes: true,
            file_priorities: Vec::new(),
            peers: Vec::new(),
            max_upload_rate: 0,
            max_download_rate: 0,
            top_level_name: None,
            super_seed: false,
        }
    }
}

/// The metainfo of a torrent once known: at once for a .torrent, when fetched for a magnet link.
type MetainfoCell = Arc<std::sync::OnceLock<Arc<Metainfo>>>;

/// What a session knows of each of its torrents outside the reactor.
#[derive(Clone)]
struct Entry {
    status: StatusCell,
    info_hash: [u8; 20],
    metainfo: MetainfoCell,
}

struct Shared {
    cmds: Sender<Command>,
    waker: Arc<mio::Waker>,
    events: Arc<EventQueue<SessionEvent>>,
    torrents: Mutex<HashMap<TorrentId, Entry>>,
    listen_port: u16,
    dht_nodes: Arc<std::sync::atomic::AtomicUsize>,
    peer_id: [u8; 20],
    settings: SessionSettings,
    limits: Arc<Mutex<GlobalLimits>>,
    piece_buffers: Arc<Mutex<PieceBuffers>>,
}

impl Shared {
    fn send(&self, cmd: Command) -> Result<(), SessionError> {
        self.cmds.send(cmd).map_err(|_| SessionError::Shutdown)?;
        let _ = self.waker.wake();
        Ok(())
    }
}

/// A running engine.
pub struct Session {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

fn bind_listener(settings: &SessionSettings) -> std::io::Result<Option<mio::net::TcpListener>> {
    if !settings.listen {
        return Ok(None);
    }
    let mut last = std::io::Error::new(std::io::ErrorKind::AddrInUse, "no port free in range");
    let ports: Vec<u16> = if settings.min_port == 0 {
        vec![0]
    } else {
        (settings.min_port..=settings.max_port.max(settings.min_port)).take(200).collect()
    };
    for port in ports {
        match listen_on(SocketAddr::new(settings.bind, port)) {
            Ok(l) => {
                l.set_nonblocking(true)?;
                return Ok(Some(mio::net::TcpListener::from_std(l)));
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A listening socket on `addr`. The unspecified IPv4 address (the default `bind`) listens for
/// IPv6 peers too, on one dual-stack socket, where the system has IPv6; IPv4 alone otherwise.
fn listen_on(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    if addr.ip() == IpAddr::V4(Ipv4Addr::UNSPECIFIED) {
        if let Ok(both) = dual_stack(addr.port()) {
            return Ok(both);
        }
    }
    std::net::TcpListener::bind(addr)
}

/// A listener on `[::]:port` that takes IPv4 connections too (as IPv4-mapped addresses).
fn dual_stack(port: u16) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV6, Type::STREAM, Some(Protocol::TCP))?;
    socket.set_only_v6(false)?;
    socket.set_reuse_address(true)?;
    socket.bind(&SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), port).into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

impl Session {
    /// Starts a session: binds the listening port and starts the reactor thread.
    pub fn new(settings: SessionSettings) -> Result<Session, SessionError> {
        let listener = bind_listener(&settings)?;
        let listen_port = listener.as_ref().and_then(|l| l.local_addr().ok()).map_or(0, |a| a.port());
        let poll = mio::Poll::new()?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKER)?);
        let (cmd_tx, cmd_rx) = crossbeam_channel::unbounded();
        let events = Arc::new(EventQueue::new(settings.event_capacity)?);
        let peer_id = settings.peer_id.unwrap_or_else(|| super::peer_id::generate(&mut rand::rng()));
        let threads = if settings.hash_threads == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            settings.hash_threads
        };
        let piece_buffers = Arc::new(Mutex::new(PieceBuffers::new(settings.piece_buffer_bytes)));
        let tls = Arc::new(crate::tls::TlsClient::new(settings.tls_ca_file.clone()));
        if settings.tls_ca_file.is_some() {
            tls.config().map_err(SessionError::Settings)?;
        }
        let cfg = ReactorConfig {
            peer_id,
            hash_threads: threads,
            worker_nice: settings.worker_nice,
            max_connections: settings.max_connections,
            event_capacity: settings.event_capacity,
            announce_ip: settings.announce_ip.clone(),
            crypto: settings.crypto_policy(),
            piece_buffers: piece_buffers.clone(),
            web_seeds: settings.web_seeds,
            status_interval: settings.status_interval,
            tls,
            dht: settings.dht.then(|| SocketAddr::new(settings.bind, listen_port)),
            dht_bootstrap: settings.dht_bootstrap.clone(),
            dht_state: settings.resume_dir.as_ref().map(|d| d.join("dht.state")),
            dht_nodes: Arc::default(),
            ip_filter: settings.ip_filter.clone(),
            max_active_downloads: settings.max_active_downloads,
        };
        let dht_nodes = cfg.dht_nodes.clone();
        if settings.listen {
            events.push(SessionEvent::Listening { port: listen_port, error: None });
        }
        let wake_for_pool = waker.clone();
        let reactor = Reactor::new(
            poll,
            cfg,
            listener,
            cmd_rx,
            events.clone(),
            Arc::new(move || {
                let _ = wake_for_pool.wake();
            }),
        )?;
        let thread = std::thread::Builder::new().name("bitgocho-reactor".into()).spawn(move || reactor.run())?;
        let now = std::time::Instant::now();
        let limits = Arc::new(Mutex::new(GlobalLimits {
            up: bucket(settings.max_upload_rate, now),
            down: bucket(settings.max_download_rate, now),
        }));
        let shared = Arc::new(Shared {
            limits,
            piece_buffers,
            cmds: cmd_tx,
            waker,
            events,
            torrents: Mutex::new(HashMap::new()),
            listen_port,
            dht_nodes,
            peer_id,
            settings,
        });
        Ok(Session { shared, thread: Some(thread) })
    }

    /// Totals over the torrents now in the session (rates, bytes, peers), from their status
    /// snapshots: no round trip to the session's thread.
    pub fn stats(&self) -> super::status::SessionStats {
        let mut stats = super::status::SessionStats { dht_nodes: self.dht_nodes() as u64, ..Default::default() };
        for entry in self.shared.torrents.lock().values() {
            stats.add(&entry.status.lock());
        }
        stats
    }

    /// Nodes in the DHT's routing table (0 without a DHT, or before it met any node).
    pub fn dht_nodes(&self) -> usize {
        self.shared.dht_nodes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The TCP port the session listens on (0 when it does not listen).
    pub fn listen_port(&self) -> u16 {
        self.shared.listen_port
    }

    /// Our peer id.
    pub fn peer_id(&self) -> [u8; 20] {
        self.shared.peer_id
    }

    /// Adds a torrent; it starts checking existing data, then downloads or seeds. A torrent
    /// added from a magnet link first fetches its metadata from peers. A relative save path is
    /// taken from the current directory now.
    pub fn add_torrent(&self, params: AddParams) -> Result<TorrentHandle, SessionError> {
        let AddParams {
            source,
            save_path,
            paused,
            check_hashes,
            file_priorities,
            peers,
            max_upload_rate,
            max_download_rate,
            top_level_name,
            super_seed,
        } = params;
        let info_hash = source.info_hash();
        let s = &self.shared.settings;
        let (max_connections, max_uploads, resume_dir) =
            (s.max_connections_per_torrent, s.max_uploads, s.resume_dir.clone());
        let (global_limits, piece_buffers) = (self.shared.limits.clone(), self.shared.piece_buffers.clone());
        // Absolute from here on: the files stay where they were asked for even if the caller
        // changes its working directory later.
        let save_path = std::path::absolute(&save_path).unwrap_or(save_path);
        let shown_path = save_path.clone();
        let direct = peers.clone();
        let metainfo = MetainfoCell::default();
        let known = metainfo.clone();
        let build = move |meta: Arc<Metainfo>| AddTorrent {
            meta: known.get_or_init(|| meta).clone(),
            save_path,
            paused,
            check_hashes,
            file_priorities,
            peers,
            max_connections,
            max_uploads,
            max_upload_rate,
            max_download_rate,
            global_limits,
            piece_buffers,
            resume_dir,
            top_level_name,
            super_seed,
        };
        let (tx, rx) = crossbeam_channel::bounded(1);
        // A v2 torrent without its piece layers gets them from peers, as a magnet link would.
        let (source, info) = match source {
            TorrentSource::Metainfo(meta) if !meta.is_verifiable() && meta.info_hash_v2().is_some() => {
                (TorrentSource::Magnet(MagnetLink::for_metainfo(&meta)), Some(meta.info_bytes().to_vec()))
            }
            other => (other, None),
        };
        let cmd = match source {
            TorrentSource::Metainfo(meta) => Command::Add(Box::new(build(meta)), tx),
            TorrentSource::Magnet(link) => Command::AddMagnet(
                Box::new(AddMagnet {
                    link,
                    peers: direct,
                    paused,
                    max_connections,
                    save_path: shown_path.display().to_string(),
                    build: Box::new(build),
                    info,
                }),
                tx,
            ),
        };
        self.shared.send(cmd)?;
        let (id, status) = rx.recv().map_err(|_| SessionError::Shutdown)?.map_err(SessionError::Add)?;
        let entry = Entry { status, info_hash, metainfo };
        self.shared.torrents.lock().insert(id, entry.clone());
        Ok(self.handle(id, entry))
    }

    fn handle(&self, id: TorrentId, entry: Entry) -> TorrentHandle {
        TorrentHandle { id, entry, shared: Arc::downgrade(&self.shared) }
    }

    /// The torrent with this info-hash ([`Metainfo::swarm_info_hash`]), if present.
    pub fn find_torrent(&self, info_hash: &[u8; 20]) -> Option<TorrentHandle> {
        let map = self.shared.torrents.lock();
        map.iter().find(|(_, e)| e.info_hash == *info_hash).map(|(id, e)| self.handle(*id, e.clone()))
    }

    /// Removes a torrent, optionally deleting its files (only those it lists, and the directories
    /// they leave empty); returns once its last disk work is done (the resume record saved or
    /// the files deleted), while the session serves its other torrents.
    pub fn remove_torrent(&self, torrent: &TorrentHandle, delete_files: bool) -> Result<(), SessionError> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.shared.send(Command::Remove(torrent.id, delete_files, tx))?;
        let removed = rx.recv_timeout(Duration::from_secs(30)).map_err(|_| SessionError::Shutdown)?;
        self.shared.torrents.lock().remove(&torrent.id);
        if removed {
            Ok(())
        } else {
            Err(SessionError::TorrentGone)
        }
    }

    /// Replaces the set of blocked addresses (`None`: block nothing); connections to addresses
    /// it blocks are closed, and none is dialled or accepted from then on.
    pub fn set_ip_filter(&self, filter: Option<IpSet>) -> Result<(), SessionError> {
        self.shared.send(Command::IpFilter(filter.map(Arc::new)))
    }

    /// Changes the session-wide limits (bytes per second, 0: none).
    pub fn set_rate_limits(&self, upload: u64, download: u64) {
        let now = std::time::Instant::now();
        let mut l = self.shared.limits.lock();
        l.up.set_rate(now, super::rate_limit::Rate(upload));
        l.down.set_rate(now, super::rate_limit::Rate(download));
    }

    /// Takes the next event, if any.
    pub fn pop_event(&self) -> Option<Popped<SessionEvent>> {
        self.shared.events.pop()
    }

    /// Waits up to `timeout` for an event to be pending.
    pub fn wait_event(&self, timeout: Duration) -> bool {
        self.shared.events.wait(timeout)
    }

    /// A file descriptor readable while events are pending (level-triggered).
    pub fn event_fd(&self) -> Option<i32> {
        self.shared.events.raw_fd()
    }

    /// Announces `stopped`, closes every connection and ends the reactor thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.shared.send(Command::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A torrent in a session. Holds a weak reference: after removal or shutdown, commands fail
/// with [`SessionError::TorrentGone`] or [`SessionError::Shutdown`] and status is the last one.
#[derive(Clone)]
pub struct TorrentHandle {
    id: TorrentId,
    entry: Entry,
    shared: std::sync::Weak<Shared>,
}

impl TorrentHandle {
    fn send(&self, cmd: Command) -> Result<(), SessionError> {
        let shared = self.shared.upgrade().ok_or(SessionError::Shutdown)?;
        if !shared.torrents.lock().contains_key(&self.id) {
            return Err(SessionError::TorrentGone);
        }
        shared.send(cmd)
    }

    /// Whether the torrent is still in a running session (false after removal or shutdown).
    pub fn is_valid(&self) -> bool {
        self.shared.upgrade().is_some_and(|shared| shared.torrents.lock().contains_key(&self.id))
    }

    /// The torrent's session-local id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The info-hash the swarm knows the torrent by: the v1 hash, or a v2-only torrent's
    /// SHA-256 info-hash truncated to 20 bytes.
    pub fn info_hash(&self) -> [u8; 20] {
        self.entry.info_hash
    }

    /// The latest status snapshot.
    pub fn status(&self) -> TorrentStatus {
        self.entry.status.lock().clone()
    }

    /// The torrent's metainfo: `None` while a magnet link's metadata is being fetched. For a
    /// magnet link it holds the dictionary fetched, with the link's trackers and web seeds, so
    /// [`Metainfo::as_bytes`] is a .torrent ready to save.
    pub fn metainfo(&self) -> Option<Arc<Metainfo>> {
        self.entry.metainfo.get().cloned()
    }

    /// Pauses: announces `stopped` and disconnects peers.
    pub fn pause(&self) -> Result<(), SessionError> {
        self.send(Command::Pause(self.id))
    }

    /// Resumes after a pause.
    pub fn resume(&self) -> Result<(), SessionError> {
        self.send(Command::Resume(self.id))
    }

    /// Verifies all data again.
    pub fn force_recheck(&self) -> Result<(), SessionError> {
        self.send(Command::Recheck(self.id))
    }

    /// Announces to the tracker now.
    pub fn force_announce(&self) -> Result<(), SessionError> {
        self.send(Command::Announce(self.id))
    }

    /// Asks the tracker for the swarm's counts (BEP 48 scrape); they arrive as a
    /// [`SessionEvent::ScrapeReply`](super::event::SessionEvent::ScrapeReply) and in the status.
    pub fn scrape(&self) -> Result<(), SessionError> {
        self.send(Command::Scrape(self.id))
    }

    /// Connects to a peer directly.
    pub fn connect_peer(&self, addr: SocketAddr) -> Result<(), SessionError> {
        self.send(Command::Connect(self.id, addr))
    }

    /// Changes this torrent's limits (bytes per second, 0: none).
    pub fn set_rate_limits(&self, upload: u64, download: u64) -> Result<(), SessionError> {
        self.send(Command::Limits(self.id, upload, download))
    }

    /// Switches super-seeding (BEP 16) on or off; it takes effect once the data is complete.
    pub fn set_super_seed(&self, on: bool) -> Result<(), SessionError> {
        self.send(Command::SuperSeed(self.id, on))
    }

    /// Switches sequential download on or off: pieces are fetched in index order (within file
    /// priorities) instead of rarest first, so a file can be played while it downloads. Off by
    /// default; rarest first serves the swarm better.
    pub fn set_sequential_download(&self, on: bool) -> Result<(), SessionError> {
        self.send(Command::Sequential(self.id, on))
    }

    /// Moves the torrent's files to save directory `to` (libtorrent's `move_storage`): the
    /// torrent pauses, its files are renamed there (copied and then deleted across file
    /// systems; a file already there is never replaced), and it resumes unless it was paused.
    /// The outcome comes as a `StorageMoved` or `StorageMoveFailed` event; on failure the files
    /// stay where they were. A relative `to` is taken from the current directory now.
    pub fn move_storage(&self, to: impl AsRef<Path>) -> Result<(), SessionError> {
        let to = std::path::absolute(to.as_ref())
            .map_err(|e| SessionError::InvalidArgument(format!("invalid path: {e}")))?;
        self.send(Command::Move(self.id, to))
    }

    /// Adds tracker `url` (http, https or udp) to tier `tier` of the torrent's announce-list
    /// (a new last tier when `tier` is past the last), as libtorrent's `add_tracker`. BEP 12
    /// order applies: a tracker in a later tier, or behind one that answers, is asked only when
    /// the ones before it fail; a torrent without trackers announces to it at once. A URL
    /// listed already is left as it is.
    pub fn add_tracker(&self, url: &str, tier: usize) -> Result<(), SessionError> {
        crate::announce::url::TrackerUrl::parse(url).map_err(|e| SessionError::InvalidArgument(e.to_string()))?;
        self.send(Command::AddTracker(self.id, url.trim().to_string(), tier))
    }

    /// Sets piece `piece`'s priority (a later `set_file_priorities` sets every piece again). A
    /// piece past the end is reported as a `StorageError` event.
    pub fn set_piece_priority(&self, piece: u32, priority: Priority) -> Result<(), SessionError> {
        self.send(Command::PiecePriority(self.id, piece, priority))
    }

    /// Sets per-file priorities.
    pub fn set_file_priorities(&self, priorities: Vec<Priority>) -> Result<(), SessionError> {
        self.send(Command::FilePriorities(self.id, priorities))
    }
}
