//! Listening ports for the external programs the tests start (aria2c, opentracker, the curses
//! tools), which need a port number before they bind.
//!
//! A port from `bind(":0")` is an ephemeral one: once released, the kernel may hand it to the
//! next socket that binds port 0 or connects out (another test's tracker, a client's source port)
//! before the program binds it. The program then fails to start, or, worse, the test talks to
//! whoever took the port. So the ports come from below the ephemeral range, where the kernel
//! never allocates, picked at random and checked free for TCP and UDP.

use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Lowest port handed out (above the well-known and common service ports).
const LOWEST: u16 = 20_000;

/// The first port of the kernel's ephemeral range (`ip_local_port_range`), 32768 if unreadable.
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

/// A pseudo-random number, different for every call and process.
fn next_random() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut x = nanos ^ (u64::from(std::process::id()) << 32) ^ COUNTER.fetch_add(0x9E37_79B9, Ordering::Relaxed);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^ (x >> 33)
}

/// A port below the ephemeral range that nothing has bound on TCP or UDP, on any address.
pub fn free_port() -> u16 {
    let high = ephemeral_start().max(LOWEST + 1000);
    for _ in 0..1000 {
        let port = LOWEST + (next_random() % u64::from(high - LOWEST)) as u16;
        let tcp = TcpListener::bind((Ipv4Addr::UNSPECIFIED, port));
        let udp = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, port));
        if tcp.is_ok() && udp.is_ok() {
            return port;
        }
    }
    panic!("no free port found below {high} in 1000 tries");
}
