//! The UDP tracker front (BEP 15): each worker owns one `SO_REUSEPORT` socket per bound
//! address, drains it until it would block, and answers every datagram inline through the
//! [`UdpHandler`] from one reused buffer.

use std::io;
use std::net::SocketAddr;

use mio::net::UdpSocket;

use super::socket::unmap;
use crate::tracker::handler::UdpHandler;

/// Largest datagram read; BEP 15 requests are far smaller (a scrape of 74 hashes is 908 bytes).
pub const MAX_DATAGRAM: usize = 2048;

/// Consecutive socket errors after which one drain pass gives up (they are per-datagram
/// errors such as ICMP reports, not fatal ones).
const MAX_ERRORS_PER_DRAIN: usize = 64;

/// Reusable buffers of one worker's UDP side.
#[derive(Debug)]
pub struct UdpBuffers {
    recv: Box<[u8; MAX_DATAGRAM]>,
    reply: Vec<u8>,
}

impl Default for UdpBuffers {
    fn default() -> Self {
        UdpBuffers { recv: Box::new([0; MAX_DATAGRAM]), reply: Vec::with_capacity(MAX_DATAGRAM) }
    }
}

/// What one drain pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DrainStats {
    /// Datagrams received.
    pub received: usize,
    /// Replies sent.
    pub sent: usize,
}

/// Reads datagrams from `socket` until it would block, answering each through `handler`.
pub fn drain(socket: &UdpSocket, handler: &dyn UdpHandler, bufs: &mut UdpBuffers) -> DrainStats {
    let mut stats = DrainStats::default();
    let mut errors = 0;
    loop {
        let (n, peer) = match socket.recv_from(&mut bufs.recv[..]) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return stats,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => {
                errors += 1;
                if errors >= MAX_ERRORS_PER_DRAIN {
                    return stats;
                }
                continue;
            }
        };
        stats.received += 1;
        bufs.reply.clear();
        if handler.handle_udp(&bufs.recv[..n], unmap(peer), &mut bufs.reply) && send(socket, &bufs.reply, peer) {
            stats.sent += 1;
        }
    }
}

/// Sends one reply; a full socket buffer drops it (UDP clients retry).
fn send(socket: &UdpSocket, reply: &[u8], peer: SocketAddr) -> bool {
    loop {
        match socket.send_to(reply, peer) {
            Ok(_) => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
}
