//! `bttrack`: BitTornado's tracker, same options and syntax, on libbitgocho's tracker core and
//! its mio HTTP/UDP fronts. `bttrack --port 6969 --dfile dstate [--option value ...]`.

use std::fs::OpenOptions;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bitgocho::cli::options::{format_help, parse, Opt, Parsed};
use bitgocho::cli::OptDefault;
use bitgocho::tracker::config::TrackerConfig;
use bitgocho::tracker::front::outgoing::{OutgoingConfig, OutgoingDriver};
use bitgocho::tracker::front::weblog::{isotime, log_timestamp};
use bitgocho::tracker::front::{ConnLimits, Front, FrontConfig, Handlers, WebLog};
use bitgocho::tracker::natcheck::NatChecker;
use bitgocho::tracker::outgoing::OutgoingKind;
use bitgocho::tracker::Tracker;

/// How often the main thread wakes to pump NAT checks and look at the clock.
const TICK: Duration = Duration::from_millis(100);
/// NAT-check worker threads, per-step timeout and queue length.
const NAT_WORKERS: usize = 4;
const NAT_TIMEOUT: Duration = Duration::from_secs(5);
const NAT_QUEUE: usize = 1024;
/// Outgoing requests (T2T polls, aggregator forwards) handed to the driver per tick.
const OUTGOING_PER_TICK: usize = 256;

/// The options of BitTornado 0.3.18's bttrack (plus `min_interval` and `rng_seed`), defaults
/// as BitTornado had them.
const OPTIONS: &[Opt] = &[
    Opt::int("port", 80, "Port to listen on (0 = any free port, printed at startup)."),
    Opt::required("dfile", "file to store recent downloader info in"),
    Opt::str("bind", "", "comma-separated list of ips/hostnames to bind to locally"),
    Opt::int("ipv6_enabled", 0, "allow the client to connect to peers via IPv6"),
    Opt::str("ipv6_binds_v4", "auto", "set if an IPv6 server socket will also field IPv4 connections"),
    Opt::int("socket_timeout", 15, "timeout for closing connections"),
    Opt::int("save_dfile_interval", 300, "seconds between saving dfile"),
    Opt::int("timeout_downloaders_interval", 2700, "seconds between expiring downloaders"),
    Opt::int("reannounce_interval", 1800, "seconds downloaders should wait between reannouncements"),
    Opt::int("min_interval", 900, "'min interval' sent to clients (0 = not sent; not in BitTornado)"),
    Opt::int("response_size", 50, "number of peers to send in an info message"),
    Opt::int("timeout_check_interval", 5, "time to wait between checking if any connections have timed out"),
    Opt::int("nat_check", 3, "how many times to check if a downloader is behind a NAT (0 = don't check)"),
    Opt::int("log_nat_checks", 0, "whether to add entries to the log for nat-check results"),
    Opt::float("min_time_between_log_flushes", 3.0, "minimum time it must have been since the last flush to do another one"),
    Opt::float("min_time_between_cache_refreshes", 600.0, "minimum time in seconds before a cache is considered stale and is flushed"),
    Opt::str("allowed_dir", "", "only allow downloads for .torrents in this dir"),
    Opt::str("allowed_list", "", "only allow downloads for hashes in this list (hex format, one per line)"),
    Opt::int("allowed_controls", 0, "allow special keys in torrents in the allowed_dir to affect tracker access"),
    Opt::int("multitracker_enabled", 0, "whether to enable multitracker operation"),
    Opt::str("multitracker_allowed", "autodetect", "whether to allow incoming tracker announces (can be none, autodetect or all)"),
    Opt::int("multitracker_reannounce_interval", 120, "seconds between outgoing tracker announces"),
    Opt::int("multitracker_maxpeers", 20, "number of peers to get in a tracker announce"),
    Opt::str("aggregate_forward", "", "format: <url>[,<password>] - if set, forwards all non-multitracker to this url with this optional password"),
    Opt::str("aggregator", "0", "whether to act as a data aggregator rather than a tracker. If enabled, may be 1, or <password>; if password is set, then an incoming password is required for access"),
    Opt::int("hupmonitor", 0, "whether to reopen the log file upon receipt of HUP signal"),
    Opt::int("http_timeout", 60, "number of seconds to wait before assuming that an http connection has timed out"),
    Opt::int("parse_dir_interval", 60, "seconds between reloading of allowed_dir or allowed_file and allowed_ips and banned_ips lists"),
    Opt::int("show_infopage", 1, "whether to display an info page when the tracker's root dir is loaded"),
    Opt::str("infopage_redirect", "", "a URL to redirect the info page to"),
    Opt::int("show_names", 1, "whether to display names from allowed dir"),
    Opt::str("favicon", "", "file containing x-icon data to return when browser requests favicon.ico"),
    Opt::str("allowed_ips", "", "only allow connections from IPs specified in the given file; file contains subnet data in the format: aa.bb.cc.dd/len"),
    Opt::str("banned_ips", "", "don't allow connections from IPs specified in the given file; file contains IP range data in the format: xxx:xxx:ip1-ip2"),
    Opt::int("only_local_override_ip", 2, "ignore the ip GET parameter from machines which aren't on local network IPs (0 = never, 1 = always, 2 = ignore if NAT checking is not enabled)"),
    Opt::str("logfile", "", "file to write the tracker logs, use - for stdout (default)"),
    Opt::int("allow_get", 0, "use with allowed_dir; adds a /file?hash={hash} url that allows users to download the torrent file"),
    Opt::int("keep_dead", 0, "keep dead torrents after they expire (so they still show up on your /scrape and web page)"),
    Opt::str("scrape_allowed", "full", "scrape access allowed (can be none, specific or full)"),
    Opt::str("dedicated_seed_id", "", "allows tracker to monitor dedicated seed(s) and flag torrents as seeded"),
    Opt::int("compact_reqd", 1, "only allow peers that accept a compact response"),
    Opt::int("rng_seed", 0, "seed of the peer-selection random generator (0 = from the OS; not in BitTornado)"),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        print!("{}", usage());
        return ExitCode::SUCCESS;
    }
    let parsed = match parse(&args, OPTIONS, 0, Some(0)) {
        Ok(p) => p,
        Err(e) => return usage_error(&e.to_string()),
    };
    if parsed.help {
        print!("{}", usage());
        return ExitCode::SUCCESS;
    }
    if parsed.version {
        println!("{}", bitgocho::cli::version_string());
        return ExitCode::SUCCESS;
    }
    let config = match tracker_config(&parsed) {
        Ok(c) => c,
        Err(msg) => return usage_error(&msg),
    };
    match serve(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}

fn usage() -> String {
    format!("usage: bttrack --dfile <file> [--option value ...]\n\n{}", format_help(OPTIONS, 80))
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    eprintln!("run with no arguments for parameter explanations");
    ExitCode::from(2)
}

/// The core's settings from every option given on the command line.
fn tracker_config(parsed: &Parsed) -> Result<TrackerConfig, String> {
    let mut config = TrackerConfig::default();
    for opt in OPTIONS.iter().filter(|o| parsed.is_given(o.name)) {
        let value = match opt.default {
            OptDefault::Int(_) => parsed.int(opt.name).to_string(),
            OptDefault::Float(_) => parsed.float(opt.name).to_string(),
            OptDefault::Str(_) | OptDefault::Required => parsed.str(opt.name).to_string(),
        };
        config.set(opt.name, &value).map_err(|e| e.to_string())?;
    }
    config.check_supported().map_err(|e| e.to_string())?;
    Ok(config)
}

/// The fronts' settings from the tracker's.
fn front_config(config: &TrackerConfig) -> Result<FrontConfig, String> {
    let mut binds = Vec::new();
    for item in config.bind.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        binds.push(item.parse::<IpAddr>().map_err(|_| format!("--bind: {item:?} is not an IP address"))?);
    }
    Ok(FrontConfig {
        binds,
        port: config.port,
        ipv6_enabled: config.ipv6_enabled,
        ipv6_binds_v4: config.ipv6_binds_v4.unwrap_or(true),
        workers: 0,
        max_connections: 4096,
        socket_timeout: Duration::from_secs(config.socket_timeout.max(1)),
        limits: ConnLimits::default(),
    })
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn open_log_sink(logfile: &str) -> Result<Box<dyn Write + Send>, String> {
    if logfile.is_empty() || logfile == "-" {
        return Ok(Box::new(std::io::stdout()));
    }
    let f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(logfile)
        .map_err(|e| format!("cannot open log file {logfile}: {e}"))?;
    Ok(Box::new(f))
}

/// Runs the tracker until SIGINT or SIGTERM.
fn serve(config: TrackerConfig) -> Result<(), String> {
    let signals = signals::block()?;
    let log = Arc::new(WebLog::new(
        open_log_sink(&config.logfile)?,
        Duration::from_secs_f64(config.min_time_between_log_flushes),
    ));
    if !config.logfile.is_empty() && config.logfile != "-" {
        log.write_through(format!("# Log Started: {}\n", isotime(unix_now())).as_bytes());
    }
    let front_cfg = front_config(&config)?;
    let tracker = Arc::new(Tracker::new(config.clone()).map_err(|e| e.to_string())?);
    print_warnings(&tracker, &log);
    let handlers = Handlers { http: Some(tracker.clone()), udp: Some(tracker.clone()), log: Some(log.clone()) };
    let front = Front::start(&front_cfg, handlers).map_err(|e| e.to_string())?;
    let addrs: Vec<String> = front.http_addrs().iter().map(|a| a.to_string()).collect();
    eprintln!("bttrack: listening on {} (HTTP and UDP)", addrs.join(", "));
    run_until_signal(&tracker, &config, &log, &signals);
    front.stop();
    if !config.dfile.is_empty() {
        if let Err(e) = tracker.save_state(Path::new(&config.dfile)) {
            log.write_through(format!("**warning** cannot save {}: {e}\n", config.dfile).as_bytes());
        }
    }
    print_warnings(&tracker, &log);
    log.write_through(format!("# Shutting down: {}\n", isotime(unix_now())).as_bytes());
    Ok(())
}

fn print_warnings(tracker: &Tracker, log: &WebLog) {
    for warning in tracker.take_warnings() {
        log.write_through(format!("**warning** {warning}\n").as_bytes());
    }
}

/// Runs NAT checks, calls `maintain` every `timeout_check_interval` (which expires peers,
/// rescans lists and saves the state on their own schedules) and reopens the log on SIGHUP
/// (with `hupmonitor`), until SIGINT or SIGTERM.
fn run_until_signal(tracker: &Tracker, config: &TrackerConfig, log: &WebLog, signals: &signals::Signals) {
    let check_every = config.timeout_check_interval.max(1);
    let nat = (config.nat_check > 0).then(|| NatChecker::new(NAT_WORKERS, NAT_TIMEOUT, NAT_QUEUE));
    let outgoing = tracker.makes_outgoing_requests().then(|| start_outgoing(config, log)).flatten();
    let mut next_check = unix_now();
    loop {
        match signals.wait(TICK) {
            Some(signals::Got::Stop) => return,
            Some(signals::Got::Hangup) if config.hupmonitor => {
                if let Ok(sink) = open_log_sink(&config.logfile) {
                    log.replace_sink(sink);
                    log.write_through(format!("# Log reopened: {}\n", isotime(unix_now())).as_bytes());
                }
            }
            _ => {}
        }
        let now = unix_now();
        if let Some(nat) = &nat {
            pump_nat_checks(nat, tracker, config.log_nat_checks.then_some(log), now);
        }
        if let Some(out) = &outgoing {
            pump_outgoing(out, tracker, now);
        }
        if now >= next_check {
            tracker.maintain(now);
            print_warnings(tracker, log);
            next_check = now + check_every;
        }
    }
}

fn start_outgoing(config: &TrackerConfig, log: &WebLog) -> Option<OutgoingDriver<OutgoingKind>> {
    let cfg = OutgoingConfig { timeout: Duration::from_secs(config.http_timeout.max(1)), ..OutgoingConfig::default() };
    match OutgoingDriver::start(cfg) {
        Ok(d) => Some(d),
        Err(e) => {
            log.write_through(format!("**warning** cannot start T2T/aggregation requests: {e}\n").as_bytes());
            None
        }
    }
}

/// Hands due T2T polls and aggregator forwards to the driver and its results back.
fn pump_outgoing(out: &OutgoingDriver<OutgoingKind>, tracker: &Tracker, now: u64) {
    for req in tracker.take_outgoing(now, OUTGOING_PER_TICK) {
        if !out.submit(req.kind, req.url) {
            tracker.outgoing_done(req.kind, Err("too many outgoing requests".into()), now);
        }
    }
    for (kind, result) in out.results() {
        tracker.outgoing_done(kind, result, now);
    }
}

/// Hands queued NAT checks to the checker and results back to the tracker, logging them as
/// BitTornado did when `log_nat_checks` is on.
fn pump_nat_checks(nat: &NatChecker, tracker: &Tracker, log: Option<&WebLog>, now: u64) {
    for job in tracker.take_nat_jobs(256) {
        if !nat.submit(job) {
            tracker.nat_result(&job, false, now);
        }
    }
    for (job, ok) in nat.results() {
        tracker.nat_result(&job, ok, now);
        if let Some(log) = log {
            let ip = job.addr.ip();
            let line = format!(
                "{ip} - {} [{}] \"!natcheck-{ip}:{}\" {} 0 - -\n",
                quote_peer_id(&job.peer_id),
                log_timestamp(now as i64),
                job.addr.port(),
                if ok { 200 } else { 503 }
            );
            log.write_through(line.as_bytes());
        }
    }
}

/// A peer id quoted the way Python's `repr` showed it in BitTornado's log.
fn quote_peer_id(id: &[u8]) -> String {
    let mut s = String::from("'");
    for &b in id {
        match b {
            b'\'' | b'\\' => {
                s.push('\\');
                s.push(b as char);
            }
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('\'');
    s
}

/// SIGINT, SIGTERM and SIGHUP, blocked in every thread and taken synchronously by the main
/// thread with `sigtimedwait`, so no handler runs in signal context.
mod signals {
    use std::time::Duration;

    /// The blocked signal set.
    pub struct Signals(libc::sigset_t);

    /// What arrived.
    pub enum Got {
        /// SIGINT or SIGTERM.
        Stop,
        /// SIGHUP.
        Hangup,
    }

    /// Blocks the signals in this thread (and so in every thread started afterwards).
    pub fn block() -> Result<Signals, String> {
        // SAFETY: sigset_t is plain data initialised by sigemptyset before use.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::sigaddset(&mut set, s);
            }
            let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            if rc != 0 {
                return Err(format!("cannot block signals: {}", std::io::Error::from_raw_os_error(rc)));
            }
            Ok(Signals(set))
        }
    }

    impl Signals {
        /// Waits up to `timeout` for one of the signals.
        pub fn wait(&self, timeout: Duration) -> Option<Got> {
            let ts = libc::timespec { tv_sec: timeout.as_secs() as libc::time_t, tv_nsec: timeout.subsec_nanos() as _ };
            // SAFETY: the set is initialised; a null siginfo pointer is allowed.
            let sig = unsafe { libc::sigtimedwait(&self.0, std::ptr::null_mut(), &ts) };
            match sig {
                libc::SIGINT | libc::SIGTERM => Some(Got::Stop),
                libc::SIGHUP => Some(Got::Hangup),
                _ => None,
            }
        }
    }
}
