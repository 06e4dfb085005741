//! [`Tracker`]: the sans-I/O tracker core tying the store, the allowed set, the IP filters,
//! NAT-check bookkeeping and the state file together.
//!
//! Method kinds, all callable from many threads at once (`Tracker: Send + Sync`):
//! 1. requests: [`Tracker::handle_http_at`] (in `http.rs`) and [`Tracker::handle_udp_at`]
//!    (in `udp.rs`), each given the current time;
//! 2. timers: [`Tracker::maintain`] every few seconds (peer expiry, allowed_dir and IP list
//!    rescans, periodic state saves);
//! 3. NAT checks: [`Tracker::take_nat_jobs`] hands queued connect-back checks to a driver
//!    (see `natcheck.rs`), [`Tracker::nat_result`] takes the outcome back;
//! 4. state: [`Tracker::save_state`], [`Tracker::load_state`], [`Tracker::stats`],
//!    [`Tracker::take_warnings`].

use super::aggregate::{AggregatorMode, ForwardQueue, ForwardTarget};
use super::allowed::{parse_allowed_list, AllowedDir, AllowedTorrent};
use super::config::{ConfigError, TrackerConfig};
use super::connection_id::ConnectionIdKey;
use super::ipfilter::{canonical_ip, is_local_ip, IpSet};
use super::natcheck::NatJob;
use super::peer::{pack_ip, unpack_ip};
use super::peer_select::{CryptoMode, Family, Picked, Wanted};
use super::query::{Announce, Event, InfoHash};
use super::response::max_announce_len;
use super::state::{decode_state, encode_state, Snapshot};
use super::stats::{Counters, TrackerStats};
use super::store::{SwarmCounts, SwarmStore};
use super::swarm::{PeerUpdate, UpdateOutcome};
use parking_lot::{Mutex, RwLock};
use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// Most NAT check jobs kept waiting for a driver; further peers are checked on a later announce.
pub const NAT_QUEUE_CAP: usize = 4096;
/// Longest `failure reason` / `warning message` copied from an allowed .torrent.
pub const MAX_CONTROL_TEXT: usize = 1024;

/// Which torrents may be tracked.
#[derive(Debug, Clone)]
pub enum AllowedSet {
    /// Any torrent.
    Any,
    /// The torrents of `allowed_dir`.
    Dir(AllowedDir),
    /// The hashes of `allowed_list`.
    List(HashSet<InfoHash>),
}

impl AllowedSet {
    /// True when `h` may be tracked.
    pub fn allows(&self, h: &InfoHash) -> bool {
        match self {
            AllowedSet::Any => true,
            AllowedSet::Dir(d) => d.contains(h),
            AllowedSet::List(l) => l.contains(h),
        }
    }

    /// True when only listed torrents are tracked.
    pub fn is_restricted(&self) -> bool {
        !matches!(self, AllowedSet::Any)
    }

    /// The allowed_dir entry of `h`.
    pub fn torrent(&self, h: &InfoHash) -> Option<&AllowedTorrent> {
        match self {
            AllowedSet::Dir(d) => d.get(h),
            _ => None,
        }
    }
}

#[derive(Debug, Default)]
struct Timers {
    last_sweep: Option<u64>,
    last_parse: Option<u64>,
    last_save: Option<u64>,
}

/// What one announce produced, before it is written in a protocol's format.
#[derive(Debug, Clone, Copy)]
pub struct AnnounceResult {
    /// Counts after the announce.
    pub counts: SwarmCounts,
    /// The announce changed nothing (key/address mismatch).
    pub unauthorized: bool,
}

/// How one announce is to be applied and answered, besides the announce itself.
#[derive(Debug, Clone, Copy)]
pub struct AnnounceContext {
    /// The client's addresses.
    pub client: ClientAddr,
    /// The request carried the dedicated seed id.
    pub dedicated: bool,
    /// Address families the reply may carry.
    pub family: Family,
    /// Encryption filter for the reply.
    pub crypto: CryptoMode,
    /// Now, Unix seconds.
    pub now: u64,
}

/// Where the client is, after honouring proxy headers and `ip=` per `only_local_override_ip`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    /// The address the request is taken to come from.
    pub conn_ip: IpAddr,
    /// The address to hand out to other peers.
    pub addr: IpAddr,
}

/// The tracker core. See the module documentation for its method kinds.
pub struct Tracker {
    pub(crate) config: TrackerConfig,
    pub(crate) store: SwarmStore,
    pub(crate) allowed: RwLock<AllowedSet>,
    allowed_ips: RwLock<Option<IpSet>>,
    banned_ips: RwLock<Option<IpSet>>,
    pub(crate) favicon: Option<Vec<u8>>,
    pub(crate) conn_ids: ConnectionIdKey,
    nat_queue: Mutex<VecDeque<NatJob>>,
    pub(crate) counters: Counters,
    timers: Mutex<Timers>,
    warnings: Mutex<Vec<String>>,
    pub(crate) aggregator: AggregatorMode,
    pub(crate) forward: Option<ForwardTarget>,
    pub(crate) forwards: ForwardQueue,
    pub(crate) t2t: Option<Mutex<super::t2t::T2t>>,
    pub(crate) tracker_id: [u8; 20],
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker").field("store", &self.store).finish_non_exhaustive()
    }
}

thread_local! {
    static PICKS: RefCell<Vec<Picked>> = const { RefCell::new(Vec::new()) };
}

/// Current Unix time in seconds, for callers without a cached clock.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The hand-out cache lifetime in whole seconds (a fraction of a second rounds up; 0 = off).
fn cache_lifetime(seconds: f64) -> u32 {
    seconds.ceil().clamp(0.0, f64::from(u32::MAX)) as u32
}

fn read_config_file(what: &'static str, path: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|source| ConfigError::Read { what, path: path.to_string(), source })
}

/// `s` cut to at most [`MAX_CONTROL_TEXT`] bytes on a character boundary.
pub(crate) fn control_text(s: &str) -> &str {
    if s.len() <= MAX_CONTROL_TEXT {
        return s;
    }
    let mut end = MAX_CONTROL_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl Tracker {
    /// Builds a tracker: checks the settings, reads the favicon and IP lists, loads the state
    /// file when it exists (a corrupt one is set aside with a warning) and scans the allowed set.
    pub fn new(config: TrackerConfig) -> Result<Tracker, ConfigError> {
        config.check_supported()?;
        let favicon = match config.favicon.as_str() {
            "" => None,
            path => Some(read_config_file("favicon", path)?),
        };
        let seed = if config.rng_seed == 0 { rand::random() } else { config.rng_seed };
        let allowed = if !config.allowed_list.is_empty() {
            AllowedSet::List(HashSet::new())
        } else if !config.allowed_dir.is_empty() {
            AllowedSet::Dir(AllowedDir::new(&config.allowed_dir))
        } else {
            AllowedSet::Any
        };
        let forward = ForwardTarget::parse(&config.aggregate_forward)?;
        let tracker_id = super::outgoing::new_tracker_id();
        let t2t = super::outgoing::t2t_for(&config, tracker_id).map(Mutex::new);
        let mut store = SwarmStore::new(seed);
        store.set_cache_lifetime(cache_lifetime(config.min_time_between_cache_refreshes));
        let t = Tracker {
            store,
            allowed: RwLock::new(allowed),
            allowed_ips: RwLock::new(None),
            banned_ips: RwLock::new(None),
            favicon,
            conn_ids: ConnectionIdKey::random(),
            nat_queue: Mutex::new(VecDeque::new()),
            counters: Counters::default(),
            timers: Mutex::new(Timers::default()),
            warnings: Mutex::new(Vec::new()),
            aggregator: AggregatorMode::parse(&config.aggregator),
            forward,
            forwards: ForwardQueue::default(),
            t2t,
            tracker_id,
            config,
        };
        if !t.config.allowed_list.is_empty() && !t.config.allowed_dir.is_empty() {
            t.warn("allowed_list given: ignoring allowed_dir".to_string());
        }
        t.reload_lists()?;
        if !t.config.dfile.is_empty() && Path::new(&t.config.dfile).exists() {
            let path = PathBuf::from(&t.config.dfile);
            t.load_state(&path);
        }
        t.rescan_allowed()?;
        if t.t2t.is_some() && t.config.allowed_dir.is_empty() {
            t.warn("multitracker_enabled without allowed_dir: no announce-lists, no trackers to poll".to_string());
        }
        t.sync_t2t(unix_now());
        Ok(t)
    }

    /// The settings in force.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// Replaces the connection-id key (tests, or several processes sharing ids).
    pub fn set_connection_id_key(&mut self, key: ConnectionIdKey) {
        self.conn_ids = key;
    }

    fn warn(&self, msg: String) {
        self.warnings.lock().push(msg);
    }

    /// Warnings gathered since the last call (corrupt state file, unreadable lines, ...), each
    /// once; the front prints them as `**warning** <text>`.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock())
    }

    /// The largest announce reply this tracker can produce, so a host can allocate once.
    pub fn max_response_len(&self) -> usize {
        max_announce_len(self.config.response_size, MAX_CONTROL_TEXT)
    }

    /// Counters and totals.
    pub fn stats(&self) -> TrackerStats {
        TrackerStats::collect(self.store.totals(), &self.counters, self.nat_queue.lock().len())
    }

    /// True when `ip` may use the tracker (`allowed_ips`, `banned_ips`).
    pub fn ip_permitted(&self, ip: IpAddr) -> bool {
        if self.allowed_ips.read().as_ref().is_some_and(|s| !s.contains(ip)) {
            return false;
        }
        !self.banned_ips.read().as_ref().is_some_and(|s| s.contains(ip))
    }

    /// Resolves the client's addresses from the socket peer, proxy headers and `ip=`.
    pub fn client_addr(&self, peer: IpAddr, forwarded: Option<IpAddr>, given: Option<IpAddr>) -> ClientAddr {
        let peer = canonical_ip(peer);
        let may_override = !self.config.override_only_local() || is_local_ip(peer);
        let conn_ip = match forwarded {
            Some(f) if may_override => canonical_ip(f),
            _ => peer,
        };
        let addr = match given {
            Some(g) if may_override && !g.is_unspecified() => canonical_ip(g),
            _ => conn_ip,
        };
        ClientAddr { conn_ip, addr }
    }

    /// Applies a validated announce and chooses its reply peers into `picks`.
    pub fn announce(&self, a: &Announce, cx: &AnnounceContext, picks: &mut Vec<Picked>) -> AnnounceResult {
        let AnnounceContext { client, dedicated, family, crypto, now } = *cx;
        let nat_check = self.config.nat_check > 0 && !is_local_ip(client.addr) && !self.aggregator.is_on();
        let update = PeerUpdate {
            id: a.peer_id,
            conn_ip: pack_ip(client.conn_ip),
            addr: pack_ip(client.addr),
            port: a.port,
            left: a.left,
            event: a.event,
            key: a.key,
            support_crypto: a.supportcrypto,
            require_crypto: a.requirecrypto,
            dedicated,
            nat_check,
            nat_max_failures: self.config.nat_check.min(255) as u8,
            now: now as u32,
        };
        let want = a.numwant.map_or(self.config.response_size, |n| n.min(self.config.response_size));
        let wanted = Wanted { want, requester: a.peer_id, requester_is_seed: a.left == 0, crypto, family };
        let pick = a.event != Event::Stopped && want > 0;
        let (outcome, counts) = self.store.announce(&a.info_hash, &update, pick.then_some(&wanted), picks);
        if outcome == (UpdateOutcome::Stored { nat_check: true }) {
            let addr = SocketAddr::new(client.addr, a.port);
            let job = NatJob { info_hash: a.info_hash, peer_id: a.peer_id, addr, require_crypto: a.requirecrypto };
            let mut q = self.nat_queue.lock();
            if q.len() < NAT_QUEUE_CAP {
                q.push_back(job);
            } else {
                drop(q);
                self.store.nat_result(&a.info_hash, &a.peer_id, update.addr, a.port, false);
            }
        }
        Counters::bump(&self.counters.announces);
        AnnounceResult { counts, unauthorized: outcome == UpdateOutcome::Unauthorized }
    }

    /// Runs `f` with this thread's reusable pick buffer (cleared first).
    pub(crate) fn with_picks<T>(f: impl FnOnce(&mut Vec<Picked>) -> T) -> T {
        PICKS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut v) => {
                v.clear();
                f(&mut v)
            }
            Err(_) => f(&mut Vec::new()),
        })
    }

    /// Takes up to `max` queued NAT check jobs.
    pub fn take_nat_jobs(&self, max: usize) -> Vec<NatJob> {
        let mut q = self.nat_queue.lock();
        let n = q.len().min(max);
        q.drain(..n).collect()
    }

    /// Records the outcome of a NAT check job.
    pub fn nat_result(&self, job: &NatJob, ok: bool, _now: u64) {
        let applied = self.store.nat_result(&job.info_hash, &job.peer_id, pack_ip(job.addr.ip()), job.addr.port(), ok);
        if applied {
            Counters::bump(if ok { &self.counters.nat_ok } else { &self.counters.nat_failed });
        }
    }

    /// Periodic work, to be called every `timeout_check_interval` seconds: peer expiry every
    /// `timeout_downloaders_interval`, rescans every `parse_dir_interval`, state saves every
    /// `save_dfile_interval`. File errors become warnings.
    pub fn maintain(&self, now: u64) {
        let (sweep_before, parse, save) = {
            let mut t = self.timers.lock();
            let last_sweep = *t.last_sweep.get_or_insert(now);
            let sweep = now >= last_sweep + self.config.timeout_downloaders_interval;
            if sweep {
                t.last_sweep = Some(now);
            }
            let parse = t.last_parse.is_none_or(|p| now >= p + self.config.parse_dir_interval);
            if parse {
                t.last_parse = Some(now);
            }
            let last_save = *t.last_save.get_or_insert(now);
            let save = !self.config.dfile.is_empty() && now >= last_save + self.config.save_dfile_interval;
            if save {
                t.last_save = Some(now);
            }
            (sweep.then_some(last_sweep), parse, save)
        };
        if let Some(before) = sweep_before {
            let allowed = self.allowed.read();
            let keep_dead = self.config.keep_dead;
            self.store.expire(before as u32, |h| keep_dead || (allowed.is_restricted() && allowed.allows(h)));
        }
        if parse {
            if let Err(e) = self.reload_lists() {
                self.warn(e.to_string());
            }
            if let Err(e) = self.rescan_allowed() {
                self.warn(e.to_string());
            }
            self.sync_t2t(now);
        }
        if save {
            let path = PathBuf::from(&self.config.dfile);
            if let Err(e) = self.save_state(&path) {
                self.warn(format!("cannot save state file {}: {e}", path.display()));
            }
        }
    }

    fn reload_lists(&self) -> Result<(), ConfigError> {
        let load = |what, path: &str, parse: fn(&str) -> IpSet| -> Result<Option<IpSet>, ConfigError> {
            if path.is_empty() {
                return Ok(None);
            }
            let text = read_config_file(what, path)?;
            let set = parse(&String::from_utf8_lossy(&text));
            for bad in &set.bad_lines {
                self.warn(format!("{what} file {path}: cannot read {bad}"));
            }
            Ok(Some(set))
        };
        let allowed = load("allowed_ips", &self.config.allowed_ips, IpSet::from_subnets)?;
        let banned = load("banned_ips", &self.config.banned_ips, IpSet::from_ranges)?;
        *self.allowed_ips.write() = allowed;
        *self.banned_ips.write() = banned;
        Ok(())
    }

    /// Rescans allowed_dir or re-reads allowed_list (file I/O happens outside the lock).
    fn rescan_allowed(&self) -> Result<(), ConfigError> {
        let current = self.allowed.read().clone();
        let (next, before): (AllowedSet, HashSet<InfoHash>) = match current {
            AllowedSet::Any => return Ok(()),
            AllowedSet::Dir(mut d) => {
                let before = d.torrents.keys().copied().collect();
                let report = d.rescan();
                for (path, why) in report.skipped {
                    self.warn(format!("allowed_dir: skipping {}: {why}", path.display()));
                }
                (AllowedSet::Dir(d), before)
            }
            AllowedSet::List(l) => {
                let text = read_config_file("allowed_list", &self.config.allowed_list)?;
                let (set, bad) = parse_allowed_list(&String::from_utf8_lossy(&text));
                for b in bad {
                    self.warn(format!("allowed_list file {}: cannot read {b}", self.config.allowed_list));
                }
                (AllowedSet::List(set), l)
            }
        };
        let now_allowed: Vec<InfoHash> = match &next {
            AllowedSet::Dir(d) => d.torrents.keys().copied().collect(),
            AllowedSet::List(l) => l.iter().copied().collect(),
            AllowedSet::Any => Vec::new(),
        };
        for h in &now_allowed {
            self.store.ensure(h);
        }
        for h in before.iter().filter(|h| !next.allows(h)) {
            self.store.remove(h);
        }
        *self.allowed.write() = next;
        Ok(())
    }

    /// Writes the state file atomically (temporary file, fsync, rename).
    pub fn save_state(&self, path: &Path) -> std::io::Result<()> {
        let mut snap = Snapshot::default();
        self.store.for_each(|h, s| {
            if !s.is_empty() {
                snap.peers.push((*h, s.peers().map(|(p, seed)| (*p, seed)).collect()));
            }
            if s.completed > 0 {
                snap.completed.push((*h, s.completed));
            }
        });
        match &*self.allowed.read() {
            AllowedSet::Dir(d) => snap.allowed_dir = Some(d.clone()),
            AllowedSet::List(l) => snap.allowed_list = Some(l.clone()),
            AllowedSet::Any => {}
        }
        crate::fsutil::write_atomic(path, &encode_state(&snap))?;
        Counters::bump(&self.counters.saves);
        Ok(())
    }

    /// Loads a state file into the tracker. A missing file does nothing; an unreadable or
    /// corrupt one leaves the tracker as it was, is renamed to `<file>.corrupt-<unix time>` and
    /// produces one warning naming it. Returns true when state was loaded.
    pub fn load_state(&self, path: &Path) -> bool {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
            Err(e) => {
                self.warn(format!("statefile {} unreadable ({e}); starting empty", path.display()));
                return false;
            }
        };
        match decode_state(&bytes) {
            Ok(snap) => {
                self.restore(snap);
                true
            }
            Err(e) => {
                let mut aside = path.as_os_str().to_owned();
                aside.push(format!(".corrupt-{}", unix_now()));
                let aside = PathBuf::from(aside);
                let moved = std::fs::rename(path, &aside).map_or_else(
                    |err| format!("could not move it aside: {err}"),
                    |_| format!("kept as {}", aside.display()),
                );
                self.warn(format!("statefile {} corrupt ({e}); resetting, {moved}", path.display()));
                false
            }
        }
    }

    fn restore(&self, snap: Snapshot) {
        {
            let mut allowed = self.allowed.write();
            match (&mut *allowed, snap.allowed_dir, snap.allowed_list) {
                (AllowedSet::Dir(d), Some(saved), _) if !saved.files.is_empty() || !saved.torrents.is_empty() => {
                    d.torrents = saved.torrents;
                    d.files = saved.files;
                }
                (AllowedSet::List(l), _, Some(saved)) => *l = saved,
                _ => {}
            }
        }
        let allowed = self.allowed.read();
        for (h, n) in snap.completed {
            if allowed.allows(&h) {
                self.store.set_completed(&h, n);
            }
        }
        for (h, peers) in snap.peers {
            if !allowed.allows(&h) {
                continue;
            }
            for (rec, seed) in peers {
                if self.ip_permitted(unpack_ip(rec.conn_ip)) {
                    self.store.insert_restored(&h, rec, seed);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Tracker>();
    }

    #[test]
    fn proxy_and_ip_overrides_follow_the_setting() {
        let mut c = TrackerConfig::default();
        let public: IpAddr = "8.8.8.8".parse().unwrap();
        let lan: IpAddr = "192.168.1.5".parse().unwrap();
        let fwd: IpAddr = "1.1.1.1".parse().unwrap();
        let t = Tracker::new(c.clone()).unwrap();
        assert_eq!(t.client_addr(public, Some(fwd), None).conn_ip, fwd, "nat_check on: anyone may override");
        c.set("nat_check", "0").unwrap();
        let t = Tracker::new(c).unwrap();
        let r = t.client_addr(public, Some(fwd), Some(fwd));
        assert_eq!((r.conn_ip, r.addr), (public, public), "only local clients may override");
        let r = t.client_addr(lan, None, Some(fwd));
        assert_eq!((r.conn_ip, r.addr), (lan, fwd));
        let mapped: IpAddr = "::ffff:8.8.8.8".parse().unwrap();
        assert_eq!(t.client_addr(mapped, None, None).conn_ip, public);
    }

    #[test]
    fn bad_settings_fail() {
        let mut c = TrackerConfig::default();
        c.set("aggregate_forward", "udp://127.0.0.1:1").unwrap();
        assert!(matches!(Tracker::new(c), Err(ConfigError::InvalidValue { .. })));
        let mut c = TrackerConfig::default();
        c.set("favicon", "/no/such/favicon.ico").unwrap();
        assert!(Tracker::new(c).unwrap_err().to_string().contains("/no/such/favicon.ico"));
    }
}
