//! Faults the engine must survive: a full disk stops only the torrent it hits (the session goes
//! on), and `kill -9` during a download loses at most the pieces in flight and never makes a bad
//! piece count as good. Torrents are made with the real `mktorrent`.

use bitgocho::metainfo::Metainfo;
use bitgocho::session::status::TorrentState;
use bitgocho::session::AddParams;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

/// The tracker URL of test torrents: nothing listens there.
const ANNOUNCE: Option<&str> = Some("http://127.0.0.1:9/announce");

fn mktorrent(input: &Path, out: &Path, piece_pow: u32) -> Arc<Metainfo> {
    common::mktorrent(input, out, piece_pow, ANNOUNCE).1
}

/// A 1 MiB tmpfs, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: PathBuf) -> SmallDisk {
        std::fs::create_dir_all(&at).unwrap();
        let o = Command::new("mount").args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"]).arg(&at).output().unwrap();
        assert!(
            o.status.success(),
            "this test mounts a 1 MiB tmpfs to fill a disk and must run as root: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        SmallDisk(at)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_stops_only_the_torrent_it_hits() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    common::data_file(&src.join("big.bin"), 4 << 20, 11);
    let small = common::data_file(&src.join("small.bin"), 300_000, 12);
    let big_meta = mktorrent(&src.join("big.bin"), &dir.path().join("big.torrent"), 16);
    let small_meta = mktorrent(&src.join("small.bin"), &dir.path().join("small.torrent"), 16);
    let seeder = common::loopback_session();
    for m in [&big_meta, &small_meta] {
        let t = seeder.add_torrent(AddParams::new(m.clone(), &src)).unwrap();
        common::wait_status(&t, "seeding", Duration::from_secs(20), |s| s.state == TorrentState::Seeding);
    }
    let disk = SmallDisk::mount(dir.path().join("full"));
    let peer = common::session_addr(&seeder);
    let leecher = common::loopback_session();
    let mut p = AddParams::new(big_meta, &disk.0);
    p.peers.push(peer);
    let big = leecher.add_torrent(p).unwrap();
    let mut p = AddParams::new(small_meta, dir.path().join("ok"));
    p.peers.push(peer);
    let ok = leecher.add_torrent(p).unwrap();
    let st =
        common::wait_status(&big, "the disk-full error", Duration::from_secs(30), |s| s.state == TorrentState::Error);
    let err = st.error.unwrap_or_default();
    assert!(err.contains("No space left on device"), "error names the problem: {err}");
    common::wait_status(&ok, "the other torrent", Duration::from_secs(30), |s| s.state == TorrentState::Seeding);
    assert_eq!(std::fs::read(dir.path().join("ok/small.bin")).unwrap(), small);
    drop(leecher);
}

fn spawn_headless(torrent: &Path, save: &Path, peer: &str, home: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_btdownloadheadless"))
        .arg(torrent)
        .args(["--saveas"])
        .arg(save)
        .args(["--peer", peer, "--display_interval", "0.1"])
        .env("HOME", home)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Reads the status blocks until `percent done` passes `min` (or the process ends).
fn wait_percent(child: &mut Child, min: f64, limit: Duration) -> f64 {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(v) = line.strip_prefix("percent done:") {
                if let Ok(p) = v.trim().parse::<f64>() {
                    if tx.send(p).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let start = Instant::now();
    let mut last = 0.0;
    while start.elapsed() < limit {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(p) => {
                last = p;
                if p >= min {
                    return p;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(_) => break,
        }
    }
    last
}

#[test]
fn kill_9_mid_download_never_makes_a_bad_piece_good() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let original = common::data_file(&src.join("data.bin"), 6 << 20, 13);
    let torrent = dir.path().join("data.torrent");
    let meta = mktorrent(&src.join("data.bin"), &torrent, 16);
    let seeder = common::loopback_session();
    let mut p = AddParams::new(meta, &src);
    p.max_upload_rate = 2_000_000; // so the download is still running when it is killed
    let t = seeder.add_torrent(p).unwrap();
    common::wait_status(&t, "seeding", Duration::from_secs(20), |s| s.state == TorrentState::Seeding);
    let peer = format!("127.0.0.1:{}", seeder.listen_port());
    let save = dir.path().join("out.bin");

    let mut first = spawn_headless(&torrent, &save, &peer, dir.path());
    let reached = wait_percent(&mut first, 30.0, Duration::from_secs(30));
    assert!((30.0..100.0).contains(&reached), "killed mid-download at {reached}%");
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();

    // Damage the first piece on disk: the restart must not count it.
    let mut bytes = std::fs::read(&save).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&save, &bytes).unwrap();

    t.set_rate_limits(0, 0).unwrap();
    let mut second = spawn_headless(&torrent, &save, &peer, dir.path());
    let done = wait_percent(&mut second, 100.0, Duration::from_secs(60));
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(done, 100.0);
    assert!(std::fs::read(&save).unwrap() == original, "after the restart every byte is right");
}
