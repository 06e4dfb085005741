//! The quick-start demo: a real BitTorrent transfer on this machine with nothing to set up.
//!
//! It writes a file of random bytes, makes a .torrent of it, starts an embedded tracker, starts
//! a seeding session and a downloading session (two engines, one process, talking over
//! loopback TCP through the tracker), shows the download's progress, and checks that the
//! downloaded bytes are identical to the original.
//!
//! Usage: `bitgocho-demo [size-in-MiB]` (default 256).

use bitgocho::metainfo::create::{create, CreateOptions};
use bitgocho::metainfo::hasher::Progress;
use bitgocho::metainfo::Metainfo;
use bitgocho::session::status::{TorrentState, TorrentStatus};
use bitgocho::session::{AddParams, Session, SessionSettings, TorrentHandle};
use bitgocho::tracker::config::TrackerConfig;
use bitgocho::tracker::core::Tracker;
use bitgocho::tracker::front::{Front, FrontConfig, Handlers};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const MIB: u64 = 1024 * 1024;

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mib: u64 = match std::env::args().nth(1) {
        Some(a) => a.parse().map_err(|_| format!("size must be a number of MiB, not {a:?}"))?,
        None => 256,
    };
    let work = std::env::temp_dir().join(format!("bitgocho-demo-{}", std::process::id()));
    let result = demo(&work, mib.clamp(1, 8192));
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn demo(work: &Path, mib: u64) -> Result<(), String> {
    let seed_dir = work.join("seed");
    let leech_dir = work.join("leech");
    for d in [&seed_dir, &leech_dir] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let file = seed_dir.join("demo.bin");
    step(&format!("writing {mib} MiB of random data to {}", file.display()));
    write_random(&file, mib * MIB).map_err(|e| format!("{}: {e}", file.display()))?;

    let (front, tracker_url) = start_tracker()?;
    step(&format!("embedded tracker listening at {tracker_url}"));

    let started = Instant::now();
    let opts = CreateOptions::new(&file, &tracker_url);
    let torrent = create(&opts, &Progress::new()).map_err(|e| e.to_string())?;
    let meta = Arc::new(Metainfo::from_bytes(&torrent).map_err(|e| e.to_string())?);
    let hash: String = meta.info_hash_v1().unwrap_or_default().iter().map(|b| format!("{b:02x}")).collect();
    step(&format!(
        "made demo.torrent: {} pieces of {} KiB, info-hash {hash} ({:.2} s)",
        meta.piece_count(),
        meta.piece_length() / 1024,
        started.elapsed().as_secs_f64()
    ));

    let settings = || SessionSettings { bind: LOOPBACK, min_port: 0, ..SessionSettings::default() };
    let seeder = Session::new(settings()).map_err(|e| e.to_string())?;
    let seed = seeder.add_torrent(AddParams::new(meta.clone(), &seed_dir)).map_err(|e| e.to_string())?;
    wait(&seed, Duration::from_secs(120), |s| s.state == TorrentState::Seeding)?;
    step(&format!("seeder checked the data and is seeding on port {}", seeder.listen_port()));

    let leecher = Session::new(settings()).map_err(|e| e.to_string())?;
    let leech = leecher.add_torrent(AddParams::new(meta.clone(), &leech_dir)).map_err(|e| e.to_string())?;
    step("leecher added the torrent; it finds the seeder through the tracker");
    let started = Instant::now();
    let st = watch(&leech, Duration::from_secs(600))?;
    let secs = started.elapsed().as_secs_f64();
    println!();
    step(&format!(
        "downloaded {} MiB in {secs:.2} s ({:.1} MiB/s)",
        st.total_size / MIB,
        st.total_size as f64 / MIB as f64 / secs.max(1e-9)
    ));

    let original = std::fs::read(&file).map_err(|e| e.to_string())?;
    let copy_path = leech_dir.join("demo.bin");
    let copy = std::fs::read(&copy_path).map_err(|e| format!("{}: {e}", copy_path.display()))?;
    if original != copy {
        return Err("the downloaded file differs from the original".into());
    }
    step("verified: the downloaded file is byte-for-byte identical to the original");
    leecher.shutdown();
    seeder.shutdown();
    front.stop();
    Ok(())
}

fn step(text: &str) {
    println!("==> {text}");
}

fn start_tracker() -> Result<(Front, String), String> {
    let mut cfg = TrackerConfig::default();
    for (k, v) in [("nat_check", "0"), ("reannounce_interval", "60")] {
        cfg.set(k, v).map_err(|e| e.to_string())?;
    }
    let tracker = Arc::new(Tracker::new(cfg).map_err(|e| e.to_string())?);
    let front_cfg = FrontConfig { binds: vec![LOOPBACK], port: 0, workers: 1, ..FrontConfig::default() };
    let handlers = Handlers { http: Some(tracker.clone()), udp: Some(tracker), log: None };
    let front = Front::start(&front_cfg, handlers).map_err(|e| e.to_string())?;
    let addr = *front.http_addrs().first().ok_or("tracker did not bind")?;
    Ok((front, format!("http://{addr}/announce")))
}

fn write_random(path: &PathBuf, len: u64) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ u64::from(std::process::id());
    let mut block = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        for chunk in block.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    out.flush()
}

fn wait(t: &TorrentHandle, limit: Duration, done: impl Fn(&TorrentStatus) -> bool) -> Result<TorrentStatus, String> {
    let start = Instant::now();
    loop {
        let st = t.status();
        if done(&st) {
            return Ok(st);
        }
        if let Some(e) = &st.error {
            return Err(e.clone());
        }
        if start.elapsed() > limit {
            return Err(format!("timed out: {st:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn watch(t: &TorrentHandle, limit: Duration) -> Result<TorrentStatus, String> {
    let start = Instant::now();
    let mut last_print = Instant::now() - Duration::from_secs(1);
    loop {
        let st = t.status();
        if last_print.elapsed() >= Duration::from_millis(200) || st.state == TorrentState::Seeding {
            last_print = Instant::now();
            let bar_len = 30;
            let filled = (st.progress * bar_len as f64) as usize;
            print!(
                "\r    [{}{}] {:5.1}%  {:7.1} MiB/s  peers {}   ",
                "#".repeat(filled.min(bar_len)),
                "-".repeat(bar_len - filled.min(bar_len)),
                st.progress * 100.0,
                st.download_rate / MIB as f64,
                st.peers
            );
            let _ = std::io::stdout().flush();
        }
        if st.state == TorrentState::Seeding && st.progress >= 1.0 {
            return Ok(st);
        }
        if let Some(e) = &st.error {
            return Err(e.clone());
        }
        if start.elapsed() > limit {
            return Err(format!("download timed out: {st:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
