//! The downloader's command line (reference §3.1): every BitTornado downloader option with its
//! default, shared by btdownloadheadless, btlaunchmany and the curses front, checked and
//! turned into engine settings. Options the engine does not apply yet are accepted, checked,
//! and named by [`not_applied`] so that the tool can warn.

use super::options::{Opt, Parsed};
use super::saveas::SaveTarget;
use crate::metainfo::magnet::{MagnetError, MagnetLink};
use crate::metainfo::Metainfo;
use crate::session::handle::DEFAULT_STATUS_INTERVAL;
use crate::session::{AddParams, Priority, SessionSettings, TorrentSource};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The downloader options of BitTornado 0.3.18 with their defaults, plus `save_options` and
/// our `--peer host:port` (repeatable).
pub const DOWNLOADER_OPTIONS: &[Opt] = &[
    Opt::int("max_uploads", 7, "the maximum number of uploads to allow at once."),
    Opt::float("keepalive_interval", 120.0, "number of seconds to pause between sending keepalives"),
    Opt::int("download_slice_size", 16384, "How many bytes to query for per request."),
    Opt::int("upload_unit_size", 1460, "when limiting upload rate, how many bytes to send at a time"),
    Opt::int("request_backlog", 10, "maximum number of requests to keep in a single pipe at once."),
    Opt::int("max_message_length", 8388608, "maximum length prefix encoding you'll accept over the wire"),
    Opt::str("ip", "", "ip to report you have to the tracker."),
    Opt::int("minport", 10000, "minimum port to listen on, counts up if unavailable"),
    Opt::int("maxport", 60000, "maximum port to listen on"),
    Opt::int("random_port", 1, "whether to choose randomly inside the port range instead of counting up linearly"),
    Opt::str("responsefile", "", "file the server response was stored in, alternative to url"),
    Opt::str("url", "", "url to get file from, alternative to responsefile"),
    Opt::int("crypto_allowed", 1, "whether to allow the client to accept encrypted connections"),
    Opt::int("crypto_only", 0, "whether to only create or allow encrypted connections"),
    Opt::int("crypto_stealth", 0, "whether to prevent all non-encrypted connection attempts"),
    Opt::int("selector_enabled", 1, "whether to enable the file selector and fast resume function"),
    Opt::int("expire_cache_data", 10, "the number of days after which you wish to expire old cache data (0 = disabled)"),
    Opt::str(
        "priority",
        "",
        "a list of file priorities separated by commas, must be one per file, 0 = highest, 1 = normal, \
         2 = lowest, -1 = download disabled",
    ),
    Opt::str("saveas", "", "local file name to save the file as, null indicates query user"),
    Opt::float("timeout", 300.0, "time to wait between closing sockets which nothing has been received on"),
    Opt::float("timeout_check_interval", 60.0, "time to wait between checking if any connections have timed out"),
    Opt::int("max_slice_length", 131072, "maximum length slice to send to peers, larger requests are ignored"),
    Opt::float("max_rate_period", 20.0, "maximum amount of time to guess the current rate estimate represents"),
    Opt::str("bind", "", "comma-separated list of ips/hostnames to bind to locally"),
    Opt::int("ipv6_enabled", 0, "allow the client to connect to peers via IPv6"),
    Opt::int("ipv6_binds_v4", 1, "set if an IPv6 server socket will also field IPv4 connections"),
    Opt::int("upnp_nat_access", 1, "attempt to autoconfigure a UPnP router to forward a server port (0 = disabled)"),
    Opt::float("upload_rate_fudge", 5.0, "time equivalent of writing to kernel-level TCP buffer, for rate adjustment"),
    Opt::float("tcp_ack_fudge", 0.03, "how much TCP ACK download overhead to add to upload rate calculations"),
    Opt::float("display_interval", 0.5, "time between updates of displayed information"),
    Opt::int("rerequest_interval", 300, "time to wait between requesting more peers"),
    Opt::int("min_peers", 20, "minimum number of peers to not do rerequesting"),
    Opt::int("http_timeout", 60, "number of seconds to wait before assuming that an http connection has timed out"),
    Opt::int("max_initiate", 40, "number of peers at which to stop initiating new connections"),
    Opt::int("check_hashes", 1, "whether to check hashes on disk"),
    Opt::int("max_upload_rate", 0, "maximum kB/s to upload at (0 = no limit, -1 = automatic)"),
    Opt::int("max_download_rate", 0, "maximum kB/s to download at (0 = no limit)"),
    Opt::str("alloc_type", "normal", "allocation type (may be normal, background, pre-allocate or sparse)"),
    Opt::float("alloc_rate", 2.0, "rate (in MiB/s) to allocate space at using background allocation"),
    Opt::int("buffer_reads", 1, "whether to buffer disk reads"),
    Opt::int("write_buffer_size", 4, "the maximum amount of space to use for buffering disk writes (in megabytes, 0 = disabled)"),
    Opt::int("breakup_seed_bitfield", 1, "sends an incomplete bitfield and then fills with have messages, in order to get around stupid ISP manipulation"),
    Opt::float("snub_time", 30.0, "seconds to wait for data to come in over a connection before assuming it's semi-permanently choked"),
    Opt::int("spew", 0, "whether to display diagnostic info to stdout"),
    Opt::int("rarest_first_cutoff", 2, "number of downloads at which to switch from random to rarest first"),
    Opt::int("rarest_first_priority_cutoff", 5, "the number of peers which need to have a piece before other partials take priority over rarest first"),
    Opt::int("min_uploads", 4, "the number of uploads to fill out to with extra optimistic unchokes"),
    Opt::int("max_files_open", 50, "the maximum number of files to keep open at a time, 0 means no limit"),
    Opt::int("round_robin_period", 30, "the number of seconds between the client's switching upload targets"),
    Opt::int("super_seeder", 0, "whether to use special upload-efficiency-maximizing routines (only for dedicated seeds)"),
    Opt::int("security", 1, "whether to enable extra security features intended to prevent abuse"),
    Opt::int("max_connections", 0, "the absolute maximum number of peers to connect with (0 = the engine's own caps)"),
    Opt::int("auto_kick", 1, "whether to allow the client to automatically kick/ban peers that send bad data"),
    Opt::int("double_check", 1, "whether to double-check data being written to the disk for errors (may increase CPU load)"),
    Opt::int("triple_check", 0, "whether to thoroughly check data being written to the disk (may slow disk access)"),
    Opt::int("lock_files", 1, "whether to lock files the client is working with"),
    Opt::int("lock_while_reading", 0, "whether to lock access to files being read"),
    Opt::int("auto_flush", 0, "minutes between automatic flushes to disk (0 = disabled)"),
    Opt::str("dedicated_seed_id", "", "code to send to tracker identifying as a dedicated seed"),
    Opt::int("save_options", 0, "whether to save the current options as the new default configuration"),
    Opt::str("peer", "", "host:port of a peer to connect to directly, with or without a tracker (repeatable)"),
    Opt::int("dht", 1, "whether to run a DHT node (BEP 5) on the listening port, for torrents that are not private"),
    Opt::str(
        "dht_bootstrap",
        "",
        "host:port of DHT nodes to join through, separated by commas (e.g. router.bittorrent.com:6881)",
    ),
    Opt::str("ip_filter", "", "file of IP ranges whose peers are never dialled or accepted (PeerGuardian, eMule DAT or subnet lines)"),
];

/// Options the engine applies. Every other option of the table is accepted and checked but
/// has no effect yet; [`not_applied`] names those the user changed.
const APPLIED: &[&str] = &[
    "max_uploads",
    "crypto_allowed",
    "crypto_only",
    "crypto_stealth",
    "minport",
    "maxport",
    "responsefile",
    "url",
    "priority",
    "saveas",
    "bind",
    "display_interval",
    "check_hashes",
    "max_connections",
    "max_download_rate",
    "selector_enabled",
    "ip",
    "peer",
    "super_seeder",
    "dht",
    "dht_bootstrap",
    "ip_filter",
    // No effect in BitTornado's headless downloader either (`spew` is for the curses front).
    "request_backlog",
    "spew",
];

/// A bad option value or combination, worded to name the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HeadlessError {
    /// The `--ip_filter` file cannot be read or has a line that is no address range.
    #[error("{0}")]
    IpFilter(String),
    /// Both a positional torrent and `--responsefile`/`--url`.
    #[error("must have responsefile or url as arg or parameter, not both")]
    BothSources,
    /// No torrent given.
    #[error("need responsefile or url, must have one, cannot have both")]
    NoSource,
    /// An integer option out of its range.
    #[error("--{name} must be {expected}, got {value}")]
    OutOfRange {
        /// The option.
        name: &'static str,
        /// The accepted range, in words.
        expected: &'static str,
        /// The value given.
        value: String,
    },
    /// `--bind` holds something that is not an IP address.
    #[error("--bind: {0:?} is not an IP address")]
    BadBind(String),
    /// `--peer` is not `host:port` or does not resolve.
    #[error("--peer: {0:?} is not host:port ({1})")]
    BadPeer(String, String),
    /// `--priority` is malformed.
    #[error("--priority: {0}")]
    BadPriority(String),
    /// The magnet link given is malformed.
    #[error("{0}")]
    BadMagnet(#[from] MagnetError),
    /// `--priority` with a magnet link, whose file list is not known before the download.
    #[error("--priority needs the torrent's file list, which a magnet link does not carry")]
    PriorityWithMagnet,
}

/// Where the metainfo comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A local .torrent file.
    File(PathBuf),
    /// A .torrent fetched over HTTP or HTTPS.
    Url(String),
    /// A magnet link: the metadata is fetched from peers first.
    Magnet(MagnetLink),
}

/// The checked options of one downloader run.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadlessConfig {
    /// The metainfo.
    pub source: Source,
    /// `--saveas`, when given.
    pub saveas: Option<PathBuf>,
    /// `--max_upload_rate` in bytes per second (0 unlimited, `None` automatic).
    pub max_upload_rate: Option<u64>,
    /// `--max_download_rate` in bytes per second (0 unlimited).
    pub max_download_rate: u64,
    /// Listen port range.
    pub ports: (u16, u16),
    /// Verify existing data on start.
    pub check_hashes: bool,
    /// Upload slots.
    pub max_uploads: usize,
    /// Address to report to the tracker.
    pub ip: Option<String>,
    /// Local addresses to listen on (empty: all).
    pub bind: Vec<IpAddr>,
    /// The raw `--priority` list, checked against the torrent by [`file_priorities`].
    pub priority: String,
    /// Status refresh period.
    pub display_interval: Duration,
    /// Show the peer table (`--spew 1`; only the curses front has one).
    pub spew: bool,
    /// Connection cap (0: none).
    pub max_connections: usize,
    /// Peers to dial directly.
    pub peers: Vec<SocketAddr>,
    /// Keep fast-resume records (`selector_enabled`).
    pub fast_resume: bool,
    /// `--crypto_allowed`, `--crypto_only`, `--crypto_stealth`.
    pub crypto: crate::session::CryptoPolicy,
    /// Super-seed once complete (`--super_seeder 1`).
    pub super_seeder: bool,
    /// Run a DHT node (`--dht`).
    pub dht: bool,
    /// Addresses blocked (`--ip_filter`).
    pub ip_filter: Option<std::sync::Arc<crate::tracker::ipfilter::IpSet>>,
    /// `--dht_bootstrap`, split at commas.
    pub dht_bootstrap: Vec<String>,
}

/// Splits every `--peer X` / `--peer=X` out of `args` (the option parser keeps only the last
/// occurrence of an option, and `--peer` may be repeated). Returns the peers and the rest.
pub fn split_peers(args: &[String]) -> (Vec<String>, Vec<String>) {
    let (mut peers, mut rest) = (Vec::new(), Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--peer" {
            match it.next() {
                Some(v) => peers.push(v.clone()),
                None => rest.push(a.clone()),
            }
        } else if let Some(v) = a.strip_prefix("--peer=") {
            peers.push(v.to_string());
        } else {
            rest.push(a.clone());
        }
    }
    (peers, rest)
}

fn int_in(p: &Parsed, name: &'static str, lo: i64, hi: i64, expected: &'static str) -> Result<i64, HeadlessError> {
    let v = p.int(name);
    if v < lo || v > hi {
        return Err(HeadlessError::OutOfRange { name, expected, value: v.to_string() });
    }
    Ok(v)
}

fn resolve_peer(text: &str) -> Result<SocketAddr, HeadlessError> {
    let bad = |why: String| HeadlessError::BadPeer(text.to_string(), why);
    let mut addrs = text.to_socket_addrs().map_err(|e| bad(e.to_string()))?;
    addrs.next().ok_or_else(|| bad("no address".into()))
}

/// True for a `magnet:` link (the scheme in any case).
fn is_magnet(text: &str) -> bool {
    text.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("magnet:"))
}

fn source(p: &Parsed) -> Result<Source, HeadlessError> {
    let (file, url) = (p.str("responsefile"), p.str("url"));
    let from_option = !file.is_empty() || !url.is_empty();
    match (p.positional.first(), from_option) {
        (Some(_), true) => Err(HeadlessError::BothSources),
        (None, false) => Err(HeadlessError::NoSource),
        (None, true) if is_magnet(url) => Ok(Source::Magnet(MagnetLink::parse(url)?)),
        (None, true) if !url.is_empty() => Ok(Source::Url(url.to_string())),
        (None, true) => Ok(Source::File(PathBuf::from(file))),
        (Some(arg), false) if is_magnet(arg) => Ok(Source::Magnet(MagnetLink::parse(arg)?)),
        (Some(arg), false) => {
            let is_url = arg.starts_with("http://") || arg.starts_with("https://");
            if is_url && !std::path::Path::new(arg).exists() {
                Ok(Source::Url(arg.clone()))
            } else {
                Ok(Source::File(PathBuf::from(arg)))
            }
        }
    }
}

impl HeadlessConfig {
    /// Checks the parsed options (and the `--peer` values from [`split_peers`]).
    pub fn from_parsed(p: &Parsed, peers: &[String]) -> Result<HeadlessConfig, HeadlessError> {
        let min = int_in(p, "minport", 1, 65535, "a port from 1 to 65535")?;
        let max = int_in(p, "maxport", min, 65535, "a port from --minport to 65535")?;
        let up = int_in(p, "max_upload_rate", -1, i64::MAX / 1000, "-1 (automatic), 0 (no limit) or kB/s")?;
        let down = int_in(p, "max_download_rate", 0, i64::MAX / 1000, "0 (no limit) or kB/s")?;
        let interval = p.float("display_interval");
        if !(0.05..=86400.0).contains(&interval) {
            let value = interval.to_string();
            return Err(HeadlessError::OutOfRange { name: "display_interval", expected: "0.05 to 86400 s", value });
        }
        let bind = p
            .str("bind")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<IpAddr>().map_err(|_| HeadlessError::BadBind(s.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        let ip = Some(p.str("ip").trim().to_string()).filter(|s| !s.is_empty());
        let source = source(p)?;
        if matches!(source, Source::Magnet(_)) && !p.str("priority").trim().is_empty() {
            return Err(HeadlessError::PriorityWithMagnet);
        }
        Ok(HeadlessConfig {
            source,
            saveas: Some(PathBuf::from(p.str("saveas"))).filter(|s| !s.as_os_str().is_empty()),
            max_upload_rate: if up < 0 { None } else { Some(up as u64 * 1000) },
            max_download_rate: down as u64 * 1000,
            ports: (min as u16, max as u16),
            check_hashes: int_in(p, "check_hashes", 0, 1, "0 or 1")? == 1,
            max_uploads: int_in(p, "max_uploads", 0, 10_000, "0 to 10000")? as usize,
            ip,
            bind,
            priority: p.str("priority").to_string(),
            display_interval: Duration::from_secs_f64(interval),
            spew: int_in(p, "spew", 0, 1, "0 or 1")? == 1,
            max_connections: int_in(p, "max_connections", 0, 1_000_000, "0 (no limit) or more")? as usize,
            peers: peers.iter().map(|s| resolve_peer(s)).collect::<Result<_, _>>()?,
            fast_resume: int_in(p, "selector_enabled", 0, 1, "0 or 1")? == 1,
            crypto: crate::session::CryptoPolicy {
                allowed: int_in(p, "crypto_allowed", 0, 1, "0 or 1")? == 1,
                only: int_in(p, "crypto_only", 0, 1, "0 or 1")? == 1,
                stealth: int_in(p, "crypto_stealth", 0, 1, "0 or 1")? == 1,
                prefer_rc4: false,
            },
            super_seeder: int_in(p, "super_seeder", 0, 1, "0 or 1")? == 1,
            dht: int_in(p, "dht", 0, 1, "0 or 1")? == 1,
            dht_bootstrap: p
                .str("dht_bootstrap")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            ip_filter: ip_filter(p.str("ip_filter"))?,
        })
    }

    /// The session settings these options ask for, rate limits session-wide. Fast resume is
    /// left off: the tools set `resume_dir` from [`resume_dir`] when `fast_resume` holds.
    pub fn session_settings(&self) -> SessionSettings {
        let mut s = SessionSettings {
            max_upload_rate: self.max_upload_rate.unwrap_or(0),
            max_download_rate: self.max_download_rate,
            min_port: self.ports.0,
            max_port: self.ports.1,
            max_uploads: self.max_uploads.max(1),
            // A status shown more often than the default refresh would repeat stale figures.
            status_interval: self.display_interval.min(DEFAULT_STATUS_INTERVAL),
            ..SessionSettings::default()
        };
        if let Some(addr) = self.bind.first() {
            s.bind = *addr;
        }
        s.announce_ip = self.ip.clone();
        s.crypto_allowed = self.crypto.allowed;
        s.crypto_only = self.crypto.only;
        s.crypto_stealth = self.crypto.stealth;
        s.dht = self.dht;
        s.ip_filter = self.ip_filter.clone();
        s.dht_bootstrap = self.dht_bootstrap.clone();
        if self.max_connections > 0 {
            s.max_connections = self.max_connections;
            s.max_connections_per_torrent = self.max_connections;
        }
        s
    }

    /// The engine's parameters for `meta` saved at `target`: its directory and top-level name, the
    /// `--peer` addresses, super-seeding, and a hash check unless `--check_hashes 0` finds every
    /// file already there at full length.
    pub fn add_params(&self, meta: Arc<Metainfo>, target: &SaveTarget) -> AddParams {
        let trust = !self.check_hashes && target.data_present(&meta);
        let mut params = self.source_params(TorrentSource::Metainfo(meta), target);
        params.check_hashes = !trust;
        params
    }

    /// The engine's parameters for the torrent of `source` saved at `target` (existing data is
    /// always checked): its directory and top-level name, the `--peer` addresses, super-seeding.
    pub fn source_params(&self, source: TorrentSource, target: &SaveTarget) -> AddParams {
        let mut params = AddParams::from_source(source, &target.engine_dir);
        params.peers = self.peers.clone();
        params.top_level_name = target.rename.clone();
        params.super_seed = self.super_seeder;
        params
    }
}

/// The per-user state directory, `<home>/.bitgocho` (BitTornado used `~/.BitTornado`), where
/// home is the first of `$APPDATA`, `$HOME`, `$HOMEPATH`, `$USERPROFILE` that is set.
pub fn state_dir() -> Option<PathBuf> {
    ["APPDATA", "HOME", "HOMEPATH", "USERPROFILE"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .map(|home| PathBuf::from(home).join(".bitgocho"))
}

/// The blocklist of `--ip_filter` (none for "").
fn ip_filter(path: &str) -> Result<Option<std::sync::Arc<crate::tracker::ipfilter::IpSet>>, HeadlessError> {
    let path = path.trim();
    if path.is_empty() {
        return Ok(None);
    }
    let set = crate::session::handle::load_ip_filter(std::path::Path::new(path)).map_err(HeadlessError::IpFilter)?;
    Ok(Some(std::sync::Arc::new(set)))
}

/// `<state dir>/datacache`, created (mode 0700) if needed, where fast-resume records are kept;
/// `None` when there is no home directory or it cannot be created (data is then checked on
/// every start).
pub fn resume_dir() -> Option<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = state_dir()?.join("datacache");
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).ok()?;
    Some(dir)
}

/// The options given on the command line, whatever their value, that the engine does not apply
/// (so the tool can say so instead of ignoring them silently).
pub fn not_applied(p: &Parsed, cfg: &HeadlessConfig) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = DOWNLOADER_OPTIONS
        .iter()
        .map(|o| o.name)
        .filter(|n| p.is_given(n) && !APPLIED.contains(n))
        .filter(|n| match *n {
            "max_upload_rate" => cfg.max_upload_rate.is_none(),
            _ => true,
        })
        .collect();
    if cfg.bind.len() > 1 {
        out.push("bind beyond its first address");
    }
    if cfg.max_uploads == 0 {
        out.push("max_uploads 0 (one upload slot is kept)");
    }
    out
}

fn one_priority(text: &str) -> Result<Priority, HeadlessError> {
    match text.trim() {
        "0" => Ok(Priority::High),
        "1" => Ok(Priority::Normal),
        "2" => Ok(Priority::Low),
        "-1" => Ok(Priority::Skip),
        other => {
            Err(HeadlessError::BadPriority(format!("{other:?} is not a priority (0 high, 1 normal, 2 low, -1 skip)")))
        }
    }
}

/// The engine's per-file priorities for `--priority` (one entry per real file; pad files are
/// filled in). An empty list means all normal and gives an empty vector.
pub fn file_priorities(text: &str, meta: &Metainfo) -> Result<Vec<Priority>, HeadlessError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let given = text.split(',').map(one_priority).collect::<Result<Vec<_>, _>>()?;
    let real = meta.files().iter().filter(|f| !f.is_pad()).count();
    if given.len() != real {
        return Err(HeadlessError::BadPriority(format!(
            "{} entries given but the torrent has {real} file{}; give one per file",
            given.len(),
            if real == 1 { "" } else { "s" }
        )));
    }
    if given.iter().all(|p| *p == Priority::Skip) {
        return Err(HeadlessError::BadPriority("every file is disabled (-1); nothing to download".into()));
    }
    let mut it = given.into_iter();
    Ok(meta.files().iter().map(|f| if f.is_pad() { Priority::Normal } else { it.next().unwrap_or_default() }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::options::parse;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    fn config(s: &[&str]) -> Result<HeadlessConfig, HeadlessError> {
        let (peers, rest) = split_peers(&args(s));
        let p = parse(&rest, DOWNLOADER_OPTIONS, 0, Some(1)).unwrap();
        HeadlessConfig::from_parsed(&p, &peers)
    }

    fn multi() -> Metainfo {
        let t = b"d4:infod5:filesld6:lengthi3e4:pathl1:aeed6:lengthi2e4:pathl1:beee4:name1:d12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee";
        Metainfo::from_bytes(t).unwrap()
    }

    #[test]
    fn defaults_and_units() {
        let c = config(&["x.torrent"]).unwrap();
        assert_eq!(c.source, Source::File("x.torrent".into()));
        assert_eq!((c.ports, c.max_uploads, c.check_hashes), ((10000, 60000), 7, true));
        assert_eq!(c.display_interval, Duration::from_millis(500));
        let c = config(&["--max_upload_rate", "20", "--max_download_rate=5", "x"]).unwrap();
        assert_eq!((c.max_upload_rate, c.max_download_rate), (Some(20_000), 5000));
        assert_eq!(config(&["--max_upload_rate", "-1", "x"]).unwrap().max_upload_rate, None);
        let s = config(&["x"]).unwrap().session_settings();
        assert!(s.dht && s.dht_bootstrap.is_empty(), "DHT on, no bootstrap node by default");
        let s = config(&["--dht", "0", "--dht_bootstrap", " a:1, [::1]:2 ,", "x"]).unwrap().session_settings();
        assert!(!s.dht);
        assert_eq!(s.dht_bootstrap, ["a:1", "[::1]:2"]);
    }

    #[test]
    fn status_is_refreshed_as_often_as_it_is_shown() {
        let every = |args: &[&str]| config(args).unwrap().session_settings().status_interval;
        assert_eq!(every(&["x"]), DEFAULT_STATUS_INTERVAL, "0.5 s display: the default refresh");
        assert_eq!(every(&["--display_interval", "0.1", "x"]), Duration::from_millis(100));
    }

    #[test]
    fn crypto_options() {
        let s = config(&["x"]).unwrap().session_settings();
        assert_eq!((s.crypto_allowed, s.crypto_only, s.crypto_stealth), (true, false, false), "BitTornado defaults");
        let s = config(&["--crypto_allowed", "0", "x"]).unwrap().session_settings();
        assert!(!s.crypto_allowed);
        let s = config(&["--crypto_only", "1", "--crypto_stealth=1", "x"]).unwrap().session_settings();
        assert!(s.crypto_only && s.crypto_stealth);
        assert!(config(&["--crypto_only", "2", "x"]).is_err());
    }

    #[test]
    fn repeated_peers_and_binds() {
        let c = config(&["--peer", "127.0.0.1:1", "x", "--peer=127.0.0.1:2", "--bind", "127.0.0.1"]).unwrap();
        assert_eq!(c.peers, ["127.0.0.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap()]);
        assert_eq!(c.session_settings().bind, "127.0.0.1".parse::<IpAddr>().unwrap());
        assert!(matches!(config(&["--peer", "nonsense", "x"]), Err(HeadlessError::BadPeer(..))));
        assert!(matches!(config(&["--bind", "1.2.3", "x"]), Err(HeadlessError::BadBind(_))));
    }

    #[test]
    fn sources_and_ranges() {
        assert_eq!(config(&[]), Err(HeadlessError::NoSource));
        assert_eq!(config(&["--responsefile", "a", "b"]), Err(HeadlessError::BothSources));
        assert_eq!(config(&["http://h/x.torrent"]).unwrap().source, Source::Url("http://h/x.torrent".into()));
        assert_eq!(config(&["--url", "https://h/x"]).unwrap().source, Source::Url("https://h/x".into()));
        assert_eq!(config(&["missing.torrent"]).unwrap().source, Source::File("missing.torrent".into()));
        let e = config(&["--minport", "70000", "x"]).unwrap_err();
        assert_eq!(e.to_string(), "--minport must be a port from 1 to 65535, got 70000");
        assert!(config(&["--minport", "500", "--maxport", "400", "x"]).is_err());
        assert!(config(&["--max_download_rate", "-2", "x"]).is_err());
        assert!(config(&["--display_interval", "0", "x"]).is_err());
    }

    #[test]
    fn priorities() {
        let m = multi();
        assert_eq!(file_priorities("", &m).unwrap(), Vec::<Priority>::new());
        assert_eq!(file_priorities("0,-1", &m).unwrap(), [Priority::High, Priority::Skip]);
        assert_eq!(file_priorities(" 2 , 1", &m).unwrap(), [Priority::Low, Priority::Normal]);
        let e = file_priorities("1", &m).unwrap_err().to_string();
        assert!(e.contains("1 entries given but the torrent has 2 files"), "{e}");
        assert!(file_priorities("1,7", &m).unwrap_err().to_string().contains("\"7\" is not a priority"));
        assert!(file_priorities("-1,-1", &m).is_err());
    }

    #[test]
    fn reports_options_without_effect() {
        let (peers, rest) =
            split_peers(&args(&["--max_upload_rate", "20", "--double_check", "1", "--minport", "9", "x"]));
        let p = parse(&rest, DOWNLOADER_OPTIONS, 0, Some(1)).unwrap();
        let c = HeadlessConfig::from_parsed(&p, &peers).unwrap();
        assert_eq!(not_applied(&p, &c), ["double_check"]);
        // --super_seeder is applied.
        let (peers, rest) = split_peers(&args(&["--super_seeder", "1", "x"]));
        let p = parse(&rest, DOWNLOADER_OPTIONS, 0, Some(1)).unwrap();
        let c = HeadlessConfig::from_parsed(&p, &peers).unwrap();
        assert!(c.super_seeder && not_applied(&p, &c).is_empty());
        // The automatic upload rate (-1) is not implemented.
        let (peers, rest) = split_peers(&args(&["--max_upload_rate", "-1", "x"]));
        let p = parse(&rest, DOWNLOADER_OPTIONS, 0, Some(1)).unwrap();
        let c = HeadlessConfig::from_parsed(&p, &peers).unwrap();
        assert_eq!(not_applied(&p, &c), ["max_upload_rate"]);
        assert_eq!(c.session_settings().max_upload_rate, 0);
    }
}
