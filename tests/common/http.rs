//! Plain HTTP/1.0 GETs and query escaping for tests that talk to trackers directly.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// GETs `target` from `addr`; returns the status code and the body. Panics on any failure.
pub fn get(addr: SocketAddr, target: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {target} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").expect("HTTP header end") + 4;
    let status = std::str::from_utf8(&all[9..12]).unwrap().parse().unwrap();
    (status, all[split..].to_vec())
}

/// Every byte percent-escaped, as a query value.
pub fn pct(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02x}")).collect()
}
