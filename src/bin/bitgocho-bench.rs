//! bitgocho-bench: a small command-line driver over the `Session` API for the engine
//! benchmarks under benches/. Each sub-command prints one `key=value` result line that the
//! scripts parse (times in seconds, sizes in KiB), and every wait is bounded by a timeout.
//!
//! ```text
//! bitgocho-bench leech <torrent> <save-dir> --peer host:port [--timeout S] [--trace]
//! bitgocho-bench seed <torrent> <data-dir> [--port P] [--for S]
//! bitgocho-bench recheck <torrent> <data-dir> [--threads N] [--timeout S]
//! bitgocho-bench idle <dir-of-torrents> <data-dir> [--timeout S] [--hold S]
//! ```
//!
//! `--trace` prints the leech's progress to stderr every 100 ms, and the time at which the 1st,
//! 2nd, 4th, 8th... piece verified (how a seeder's start-up paces the first pieces).

use bitgocho::metainfo::Metainfo;
use bitgocho::session::event::SessionEvent;
use bitgocho::session::event_queue::Popped;
use bitgocho::session::{AddParams, Session, SessionSettings};
use std::io::{BufRead, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What went wrong in a sub-command.
#[derive(Debug, thiserror::Error)]
enum BenchError {
    /// Bad command line.
    #[error("usage: {0}")]
    Usage(String),
    /// The torrent could not be read.
    #[error("{path}: {source}")]
    Torrent { path: PathBuf, source: bitgocho::metainfo::MetainfoError },
    /// The session refused something.
    #[error(transparent)]
    Session(#[from] bitgocho::session::SessionError),
    /// A wait ran out.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, &'static str),
    /// The engine reported an error.
    #[error("engine error: {0}")]
    Engine(String),
    /// Local I/O failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Parsed options common to the sub-commands.
struct Args {
    positional: Vec<String>,
    peers: Vec<SocketAddr>,
    port: u16,
    timeout: Duration,
    threads: usize,
    trace: bool,
    /// `--crypto off|on|only`: MSE off, default (offered, plaintext selected), or RC4 only.
    crypto: (bool, bool),
    /// How long `idle` holds the seeding torrents while measuring CPU time.
    hold: Duration,
}

fn parse_args(raw: &[String]) -> Result<Args, BenchError> {
    let mut a = Args {
        positional: Vec::new(),
        peers: Vec::new(),
        port: 0,
        timeout: Duration::from_secs(120),
        threads: 0,
        trace: false,
        crypto: (true, false),
        hold: Duration::ZERO,
    };
    let mut it = raw.iter();
    while let Some(arg) = it.next() {
        let mut value =
            |name: &str| it.next().cloned().ok_or_else(|| BenchError::Usage(format!("{name} needs a value")));
        match arg.as_str() {
            "--peer" => {
                let v = value("--peer")?;
                a.peers.push(v.parse().map_err(|_| BenchError::Usage(format!("bad peer address {v}")))?);
            }
            "--port" => a.port = value("--port")?.parse().map_err(|_| BenchError::Usage("bad --port".into()))?,
            "--threads" => {
                a.threads = value("--threads")?.parse().map_err(|_| BenchError::Usage("bad --threads".into()))?
            }
            "--timeout" | "--for" => {
                let s: f64 = value(arg)?.parse().map_err(|_| BenchError::Usage(format!("bad {arg}")))?;
                a.timeout = Duration::from_secs_f64(s.max(0.0));
            }
            "--trace" => a.trace = true,
            "--crypto" => {
                a.crypto = match value("--crypto")?.as_str() {
                    "off" => (false, false),
                    "on" => (true, false),
                    "only" => (true, true),
                    other => return Err(BenchError::Usage(format!("--crypto off|on|only, not {other}"))),
                }
            }
            "--hold" => {
                let s: f64 = value(arg)?.parse().map_err(|_| BenchError::Usage("bad --hold".into()))?;
                a.hold = Duration::from_secs_f64(s.max(0.0));
            }
            _ => a.positional.push(arg.clone()),
        }
    }
    Ok(a)
}

fn load(path: &str) -> Result<Arc<Metainfo>, BenchError> {
    let p = PathBuf::from(path);
    Metainfo::from_file(&p).map(Arc::new).map_err(|source| BenchError::Torrent { path: p, source })
}

fn settings(listen: bool, port: u16, threads: usize, crypto: (bool, bool)) -> SessionSettings {
    SessionSettings {
        crypto_allowed: crypto.0,
        crypto_only: crypto.1,
        bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
        min_port: port,
        max_port: port,
        listen,
        hash_threads: threads,
        ..SessionSettings::default()
    }
}

/// Waits for events until `done` says stop; fails on a storage error or at the deadline.
fn wait_for(
    session: &Session,
    timeout: Duration,
    what: &'static str,
    mut done: impl FnMut(&SessionEvent) -> bool,
) -> Result<(), BenchError> {
    let deadline = Instant::now() + timeout;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Err(BenchError::Timeout(timeout, what));
        }
        if !session.wait_event(deadline - now) {
            continue;
        }
        while let Some(popped) = session.pop_event() {
            let Popped::Event(ev) = popped else { continue };
            if let SessionEvent::StorageError { message, .. } = &ev {
                return Err(BenchError::Engine(message.clone()));
            }
            if done(&ev) {
                return Ok(());
            }
        }
    }
}

fn leech(a: &Args) -> Result<(), BenchError> {
    let [torrent, save] = a.positional.as_slice() else {
        return Err(BenchError::Usage("leech <torrent> <save-dir> --peer host:port".into()));
    };
    let meta = load(torrent)?;
    let bytes = meta.total_length();
    let meta_pieces = meta.piece_count() as u32;
    let session = Session::new(settings(false, 0, a.threads, a.crypto))?;
    let start = Instant::now();
    let mut params = AddParams::new(meta, save);
    params.peers = a.peers.clone();
    let handle = session.add_torrent(params)?;
    let id = handle.id();
    let tracer = a.trace.then(|| spawn_tracer(handle.clone(), start));
    // When a tenth of the pieces were in: splits the seeder's start-up from the steady rate.
    let (tenth, mut pieces, mut at_tenth) = (meta_pieces.div_ceil(10).max(1), 0u32, None);
    wait_for(&session, a.timeout, "the download to finish", |ev| match ev {
        SessionEvent::PieceFinished { torrent, .. } if *torrent == id => {
            pieces += 1;
            if a.trace && pieces.is_power_of_two() {
                eprintln!("trace t={:.3} piece #{pieces} verified", start.elapsed().as_secs_f64());
            }
            if pieces == tenth {
                at_tenth = Some(start.elapsed().as_secs_f64());
            }
            false
        }
        SessionEvent::Finished { torrent } => *torrent == id,
        _ => false,
    })?;
    drop(tracer);
    let secs = start.elapsed().as_secs_f64();
    let first = at_tenth.unwrap_or(secs);
    let rest_rate = (bytes as f64 * 0.9) / (secs - first).max(1e-6) / 1048576.0;
    println!(
        "leech seconds={secs:.3} bytes={bytes} rate_mib_s={:.1} first_tenth_s={first:.3} rest_rate_mib_s={rest_rate:.0}",
        bytes as f64 / secs / 1048576.0
    );
    session.shutdown();
    Ok(())
}

/// Prints the torrent's progress to stderr every 100 ms until the returned guard is dropped.
fn spawn_tracer(handle: bitgocho::session::TorrentHandle, start: Instant) -> impl Drop {
    struct Stop(Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        while !flag.load(std::sync::atomic::Ordering::Relaxed) && start.elapsed() < Duration::from_secs(600) {
            let st = handle.status();
            eprintln!(
                "trace t={:.2} have={} down={} rate_mib_s={:.0} peers={}",
                start.elapsed().as_secs_f64(),
                st.pieces_have,
                st.downloaded >> 20,
                st.download_rate / 1048576.0,
                st.peers
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    Stop(stop)
}

fn seed(a: &Args) -> Result<(), BenchError> {
    let [torrent, data] = a.positional.as_slice() else {
        return Err(BenchError::Usage("seed <torrent> <data-dir> [--port P] [--for S]".into()));
    };
    let meta = load(torrent)?;
    let total = meta.piece_count() as u32;
    let session = Session::new(settings(true, a.port, a.threads, a.crypto))?;
    let handle = session.add_torrent(AddParams::new(meta, data))?;
    let id = handle.id();
    let start = Instant::now();
    let mut good = 0;
    wait_for(&session, Duration::from_secs(120), "the seed's check", |ev| match ev {
        SessionEvent::Checked { torrent, pieces } if *torrent == id => {
            good = *pieces;
            true
        }
        _ => false,
    })?;
    if good != total {
        return Err(BenchError::Engine(format!("seed has {good} of {total} pieces")));
    }
    println!("seed port={} check_seconds={:.3}", session.listen_port(), start.elapsed().as_secs_f64());
    std::io::stdout().flush()?;
    // Serve until stdin closes (the script ends us) or the time limit passes.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        while std::io::stdin().lock().read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            line.clear();
        }
        let _ = tx.send(());
    });
    let _ = rx.recv_timeout(a.timeout);
    println!("seed uploaded={}", handle.status().uploaded);
    session.shutdown();
    Ok(())
}

fn recheck(a: &Args) -> Result<(), BenchError> {
    let [torrent, data] = a.positional.as_slice() else {
        return Err(BenchError::Usage("recheck <torrent> <data-dir> [--threads N]".into()));
    };
    let meta = load(torrent)?;
    let total = meta.piece_count() as u32;
    let session = Session::new(settings(false, 0, a.threads, a.crypto))?;
    let start = Instant::now();
    let handle = session.add_torrent(AddParams::new(meta, data))?;
    let id = handle.id();
    let mut good = 0;
    wait_for(&session, a.timeout, "the check", |ev| match ev {
        SessionEvent::Checked { torrent, pieces } if *torrent == id => {
            good = *pieces;
            true
        }
        _ => false,
    })?;
    let secs = start.elapsed().as_secs_f64();
    println!("recheck seconds={secs:.3} pieces={good}/{total}");
    session.shutdown();
    if good != total {
        return Err(BenchError::Engine(format!("only {good} of {total} pieces verified")));
    }
    Ok(())
}

/// Resident memory of this process in KiB: (VmRSS, RssAnon, RssFile).
fn rss_kib() -> (u64, u64, u64) {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("RssAnon:"), field("RssFile:"))
}

/// CPU seconds (user + system) this process has used so far.
fn cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a complete rusage into the pointer it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn torrents_in(dir: &Path) -> Result<Vec<PathBuf>, BenchError> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "torrent"))
        .collect();
    v.sort();
    Ok(v)
}

fn idle(a: &Args) -> Result<(), BenchError> {
    let [dir, data] = a.positional.as_slice() else {
        return Err(BenchError::Usage("idle <dir-of-torrents> <data-dir>".into()));
    };
    let files = torrents_in(Path::new(dir))?;
    let metas = files.iter().map(|f| load(&f.to_string_lossy())).collect::<Result<Vec<_>, _>>()?;
    let mut s = settings(true, 0, a.threads, a.crypto);
    s.event_capacity = 4 * metas.len() + 100;
    let session = Session::new(s)?;
    std::thread::sleep(Duration::from_millis(200));
    let base = rss_kib();
    let start = Instant::now();
    let mut want = std::collections::HashMap::new();
    let mut handles = Vec::with_capacity(metas.len());
    for m in metas {
        let pieces = m.piece_count() as u32;
        let h = session.add_torrent(AddParams::new(m, data))?;
        want.insert(h.id(), pieces);
        handles.push(h);
    }
    let (mut checked, mut seeding) = (0usize, 0usize);
    let n = handles.len();
    wait_for(&session, a.timeout, "every torrent's check", |ev| {
        if let SessionEvent::Checked { torrent, pieces } = ev {
            checked += 1;
            seeding += usize::from(want.get(torrent) == Some(pieces));
        }
        checked == n
    })?;
    std::thread::sleep(Duration::from_millis(500));
    let after = rss_kib();
    let cpu_before = cpu_seconds();
    std::thread::sleep(a.hold);
    let hold_cpu = cpu_seconds() - cpu_before;
    println!(
        "idle torrents={n} seeding={seeding} add_check_seconds={:.3} base_rss_kib={} rss_kib={} delta_kib={} \
         rss_anon_kib={} rss_file_kib={} hold_seconds={:.1} hold_cpu_seconds={hold_cpu:.3}",
        start.elapsed().as_secs_f64(),
        base.0,
        after.0,
        after.0.saturating_sub(base.0),
        after.1,
        after.2,
        a.hold.as_secs_f64()
    );
    session.shutdown();
    if seeding != n {
        return Err(BenchError::Engine(format!("only {seeding} of {n} torrents complete")));
    }
    Ok(())
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = raw.split_first() else {
        eprintln!("usage: bitgocho-bench leech|seed|recheck|idle ...");
        return ExitCode::from(2);
    };
    let result = parse_args(rest).and_then(|a| match cmd.as_str() {
        "leech" => leech(&a),
        "seed" => seed(&a),
        "recheck" => recheck(&a),
        "idle" => idle(&a),
        other => Err(BenchError::Usage(format!("unknown command {other}"))),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bitgocho-bench {cmd}: {e}");
            ExitCode::FAILURE
        }
    }
}
