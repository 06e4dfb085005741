//! BEP 15 UDP tracker load generator (std only; benches/tracker_udp.sh builds it with rustc -O).
//!
//! `udp_load <addr> <seconds> <max_announces> [torrents] [sockets] [window]`: connects once per
//! socket, then sends announces from random simulated peers over `torrents` info-hashes (the
//! same hashes as benches/announce.lua), keeping `window` requests in flight per socket, and
//! prints `UDP_ANNOUNCES <answered> <seconds> <per second> LOST <n> ERRORS <n>`. Bounded in
//! both time and count; loopback only.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

const PROTOCOL_ID: u64 = 0x41727101980;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn info_hash(i: u64) -> [u8; 20] {
    let mut h = [0u8; 20];
    for chunk in h.chunks_mut(4) {
        chunk.copy_from_slice(&(i as u32).to_be_bytes());
    }
    h
}

fn connect(sock: &UdpSocket, tx: u32) -> u64 {
    let mut req = PROTOCOL_ID.to_be_bytes().to_vec();
    req.extend_from_slice(&0u32.to_be_bytes());
    req.extend_from_slice(&tx.to_be_bytes());
    let mut buf = [0u8; 64];
    for _ in 0..10 {
        sock.send(&req).expect("send connect");
        if let Ok(n) = sock.recv(&mut buf) {
            if n >= 16 && buf[..4] == [0, 0, 0, 0] && buf[4..8] == tx.to_be_bytes() {
                return u64::from_be_bytes(buf[8..16].try_into().unwrap());
            }
        }
    }
    panic!("no connect reply from the tracker");
}

fn announce(conn: u64, tx: u32, rng: &mut Rng, torrents: u64, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&conn.to_be_bytes());
    out.extend_from_slice(&1u32.to_be_bytes());
    out.extend_from_slice(&tx.to_be_bytes());
    out.extend_from_slice(&info_hash(rng.next() % torrents + 1));
    out.extend_from_slice(b"-UL0001-");
    out.extend_from_slice(&rng.next().to_be_bytes());
    out.extend_from_slice(&(rng.next() as u32).to_be_bytes());
    let left: u64 = if rng.next() % 4 == 0 { 0 } else { 1000 };
    out.extend_from_slice(&0u64.to_be_bytes());
    out.extend_from_slice(&left.to_be_bytes());
    out.extend_from_slice(&0u64.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&(rng.next() as u32).to_be_bytes());
    out.extend_from_slice(&30i32.to_be_bytes());
    out.extend_from_slice(&((rng.next() % 60000) as u16 + 1024).to_be_bytes());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: udp_load <addr> <seconds> <max_announces> [torrents] [sockets] [window]");
        std::process::exit(2);
    }
    let addr: SocketAddr = args[1].parse().expect("address");
    assert!(addr.ip().is_loopback(), "loopback only");
    let seconds: f64 = args[2].parse().expect("seconds");
    let max: u64 = args[3].parse().expect("max announces");
    let torrents: u64 = args.get(4).map_or(1000, |s| s.parse().expect("torrents"));
    let nsock: usize = args.get(5).map_or(8, |s| s.parse().expect("sockets"));
    let window: usize = args.get(6).map_or(32, |s| s.parse().expect("window"));
    let mut rng = Rng(0x9e3779b97f4a7c15 ^ std::process::id() as u64);
    let mut socks = Vec::new();
    for i in 0..nsock {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let conn = connect(&s, i as u32);
        socks.push((s, conn));
    }
    let (mut answered, mut lost, mut errors, mut tx) = (0u64, 0u64, 0u64, 1u32);
    let mut outstanding = vec![0usize; socks.len()];
    for (s, _) in &socks {
        s.set_nonblocking(true).unwrap();
    }
    let mut pkt = Vec::with_capacity(128);
    let mut buf = [0u8; 2048];
    let t0 = Instant::now();
    let limit = Duration::from_secs_f64(seconds);
    let mut last_progress = Instant::now();
    let mut sent = 0u64;
    while t0.elapsed() < limit && answered + lost + errors < max {
        let mut progress = false;
        for (i, (s, conn)) in socks.iter().enumerate() {
            while outstanding[i] < window && sent < max {
                tx = tx.wrapping_add(1);
                announce(*conn, tx, &mut rng, torrents, &mut pkt);
                if s.send(&pkt).is_err() {
                    break;
                }
                outstanding[i] += 1;
                sent += 1;
            }
            loop {
                match s.recv(&mut buf) {
                    Ok(n) => {
                        outstanding[i] = outstanding[i].saturating_sub(1);
                        progress = true;
                        if n >= 20 && buf[..4] == [0, 0, 0, 1] {
                            answered += 1;
                        } else {
                            errors += 1;
                        }
                    }
                    Err(_) => break,
                }
            }
        }
        if progress {
            last_progress = Instant::now();
        } else if last_progress.elapsed() > Duration::from_millis(200) {
            // Whatever is still in flight is lost; start the windows again.
            lost += outstanding.iter().sum::<usize>() as u64;
            outstanding.iter_mut().for_each(|o| *o = 0);
            last_progress = Instant::now();
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    println!("UDP_ANNOUNCES {answered} {secs:.2} {:.0} LOST {lost} ERRORS {errors}", answered as f64 / secs);
}
