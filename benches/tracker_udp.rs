//! UDP announce throughput of the tracker core against opentracker, side by side in one run.
//!
//! Both trackers serve BEP 15 on loopback with the same whitelist of info-hashes; ours sits
//! behind a minimal blocking loop (one shared socket, one thread per core) so the figure is
//! the core's cost per request plus a recv and a send. The same closed-loop load generator
//! (client threads, each connect once then announce with varying info-hashes and peer ids)
//! warms both up for a second, then drives each for the same time in alternating A/B rounds,
//! and the ratio is printed.
//!
//! Run: `cargo bench --bench tracker_udp` (env: `BENCH_SECS` per round, default 3;
//! `BENCH_ROUNDS`, default 3; `BENCH_CLIENTS`, default 4).

use bitgocho::tracker::{Tracker, TrackerConfig};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TORRENTS: usize = 1000;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn hashes() -> Vec<[u8; 20]> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..TORRENTS)
        .map(|_| {
            let mut h = [0u8; 20];
            for chunk in h.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.copy_from_slice(&x.to_be_bytes()[..chunk.len()]);
            }
            h
        })
        .collect()
}

fn hex(h: &[u8]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Our tracker behind a blocking UDP loop; returns its address and a stop flag.
fn start_ours(list: &std::path::Path, workers: usize) -> (SocketAddr, Arc<AtomicBool>) {
    let mut c = TrackerConfig::default();
    c.set("allowed_list", list.to_str().unwrap()).unwrap();
    c.set("nat_check", "0").unwrap();
    let tracker = Arc::new(Tracker::new(c).unwrap());
    let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
    sock.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let addr = sock.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    for _ in 0..workers {
        let (tracker, sock, stop) = (tracker.clone(), sock.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let mut out = Vec::with_capacity(2048);
            let mut now = bitgocho::tracker::core::unix_now();
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let Ok((len, peer)) = sock.recv_from(&mut buf) else { continue };
                n = n.wrapping_add(1);
                if n.is_multiple_of(1024) {
                    now = bitgocho::tracker::core::unix_now(); // cached clock
                }
                if tracker.handle_udp_at(&buf[..len], peer, &mut out, now) {
                    let _ = sock.send_to(&out, peer);
                }
            }
        });
    }
    (addr, stop)
}

/// Kills the anchor process when dropped, also when the bench panics.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_opentracker(dir: &std::path::Path) -> (SocketAddr, KillOnDrop) {
    let port = free_udp_port();
    let child = Command::new("opentracker")
        .args(["-i", "127.0.0.1", "-P", &port.to_string(), "-p", &free_udp_port().to_string()])
        // opentracker chroots into -d and drops root, so the whitelist path is inside it.
        .args(["-w", "/whitelist", "-d", dir.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("opentracker not found: apt-get install opentracker (tests/install-deps.sh)");
    (SocketAddr::from(([127, 0, 0, 1], port)), KillOnDrop(child))
}

fn connect(sock: &UdpSocket) -> Option<u64> {
    let mut d = 0x41727101980u64.to_be_bytes().to_vec();
    d.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
    sock.send(&d).ok()?;
    let mut buf = [0u8; 64];
    let n = sock.recv(&mut buf).ok()?;
    (n >= 16 && buf[3] == 0).then(|| u64::from_be_bytes(buf[8..16].try_into().unwrap()))
}

fn wait_ready(addr: SocketAddr) -> bool {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.connect(addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    // A refused send (nothing bound yet) fails at once, so pace the attempts: up to ~10 s.
    (0..100).any(|_| {
        let up = connect(&sock).is_some();
        if !up {
            std::thread::sleep(Duration::from_millis(100));
        }
        up
    })
}

/// Closed-loop load for `secs`: returns (good replies, peers received, timeouts).
fn load(addr: SocketAddr, hashes: &Arc<Vec<[u8; 20]>>, clients: usize, secs: u64) -> (u64, u64, u64) {
    let good = Arc::new(AtomicU64::new(0));
    let peers = Arc::new(AtomicU64::new(0));
    let lost = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (hashes, good, peers, lost) = (hashes.clone(), good.clone(), peers.clone(), lost.clone());
            std::thread::spawn(move || {
                let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
                sock.connect(addr).unwrap();
                sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
                let Some(cid) = connect(&sock) else { return };
                let end = Instant::now() + Duration::from_secs(secs);
                let mut x = 0x2545_f491_4f6c_dd1du64 ^ ((c as u64 + 1) * 0x9e37_79b9);
                let mut d = vec![0u8; 98];
                let mut buf = [0u8; 2048];
                while Instant::now() < end {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    d[..8].copy_from_slice(&cid.to_be_bytes());
                    d[8..12].copy_from_slice(&1u32.to_be_bytes());
                    d[12..16].copy_from_slice(&(x as u32).to_be_bytes());
                    d[16..36].copy_from_slice(&hashes[(x % TORRENTS as u64) as usize]);
                    d[36..44].copy_from_slice(&x.to_be_bytes()); // peer id varies
                    d[64..72].copy_from_slice(&((x >> 8) % 2 * 1000).to_be_bytes()); // left: seed or leecher
                    d[80..84].copy_from_slice(&0u32.to_be_bytes());
                    d[92..96].copy_from_slice(&50i32.to_be_bytes());
                    d[96..98].copy_from_slice(&((x >> 16) as u16 | 1).to_be_bytes());
                    if sock.send(&d).is_err() {
                        continue;
                    }
                    match sock.recv(&mut buf) {
                        Ok(n) if n >= 20 && buf[3] == 1 => {
                            good.fetch_add(1, Ordering::Relaxed);
                            peers.fetch_add(((n - 20) / 6) as u64, Ordering::Relaxed);
                        }
                        Ok(_) => {}
                        Err(_) => {
                            lost.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    (good.load(Ordering::Relaxed), peers.load(Ordering::Relaxed), lost.load(Ordering::Relaxed))
}

fn main() {
    let secs = env_or("BENCH_SECS", 3);
    let rounds = env_or("BENCH_ROUNDS", 3).max(1);
    let clients = env_or("BENCH_CLIENTS", 4) as usize;
    let dir = tempfile::tempdir().unwrap();
    let hashes = Arc::new(hashes());
    let list: String = hashes.iter().map(|h| hex(h) + "\n").collect();
    std::fs::write(dir.path().join("whitelist"), &list).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (ours, stop) = start_ours(&dir.path().join("whitelist"), 2);
    assert!(wait_ready(ours), "our tracker did not answer");
    // opentracker sometimes fails to come up (e.g. its TCP port was taken meanwhile): retry.
    let (theirs, _anchor) = (0..5)
        .map(|_| start_opentracker(dir.path()))
        .find(|(addr, _)| wait_ready(*addr))
        .expect("opentracker did not answer on UDP after 5 starts");
    println!("tracker_udp: {TORRENTS} torrents, {clients} closed-loop clients, {secs} s x {rounds} rounds, numwant 50");
    // Warm-up: fill both trackers' swarms the same way before measuring.
    for addr in [ours, theirs] {
        load(addr, &hashes, clients, 1);
    }
    let (mut total_ours, mut total_theirs) = (0u64, 0u64);
    let mut ratios = Vec::new();
    for round in 0..rounds {
        let (mut ours_round, mut theirs_round) = (0u64, 0u64);
        let order: [(&str, SocketAddr); 2] = if round % 2 == 0 {
            [("bitgocho", ours), ("opentracker", theirs)]
        } else {
            [("opentracker", theirs), ("bitgocho", ours)]
        };
        for (name, addr) in order {
            let (good, peers, lost) = load(addr, &hashes, clients, secs);
            let rate = good / secs;
            println!(
                "round {round} {name:<12} {rate:>8} announces/s  avg peers/reply {:>5.1}  timeouts {lost}",
                peers as f64 / good.max(1) as f64
            );
            if name == "bitgocho" {
                ours_round = good;
            } else {
                theirs_round = good;
            }
        }
        total_ours += ours_round;
        total_theirs += theirs_round;
        ratios.push(ours_round as f64 / theirs_round.max(1) as f64);
    }
    ratios.sort_by(f64::total_cmp);
    println!("tracker_udp median per-round ratio bitgocho/opentracker = {:.2}", ratios[ratios.len() / 2]);
    println!(
        "tracker_udp ratio bitgocho/opentracker = {:.2} ({} vs {} announces)",
        total_ours as f64 / total_theirs.max(1) as f64,
        total_ours,
        total_theirs
    );
    stop.store(true, Ordering::Relaxed);
}
