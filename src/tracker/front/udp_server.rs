//! The UDP tracker front (BEP 15): each worker owns one `SO_REUSEPORT` socket per bound
//! address, drains it until it would block in batches of [`BATCH`] datagrams (`recvmmsg`),
//! answers every datagram inline through the [`UdpHandler`] into reused buffers, and sends
//! the replies of a batch with one `sendmmsg`.

use std::io;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsRawFd;

use mio::net::UdpSocket;

use super::socket::unmap;
use crate::tracker::handler::UdpHandler;

/// Largest datagram read; BEP 15 requests are far smaller (a scrape of 74 hashes is 908 bytes).
pub const MAX_DATAGRAM: usize = 2048;

/// Datagrams read (and replies sent) per system call.
pub const BATCH: usize = 32;

/// Consecutive socket errors after which one drain pass gives up (per-datagram errors such as
/// ICMP reports, not fatal ones).
const MAX_ERRORS_PER_DRAIN: usize = 64;

/// Reusable buffers of one worker's UDP side: a batch of receive buffers and addresses and
/// one reply buffer per datagram of the batch.
pub struct UdpBuffers {
    recv: Box<[[u8; MAX_DATAGRAM]; BATCH]>,
    addrs: Box<[libc::sockaddr_storage; BATCH]>,
    lens: [usize; BATCH],
    replies: Vec<Vec<u8>>,
}

impl std::fmt::Debug for UdpBuffers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpBuffers").field("batch", &BATCH).finish_non_exhaustive()
    }
}

impl Default for UdpBuffers {
    fn default() -> Self {
        UdpBuffers {
            recv: Box::new([[0; MAX_DATAGRAM]; BATCH]),
            // SAFETY: all-zero is a valid sockaddr_storage.
            addrs: Box::new(unsafe { mem::zeroed() }),
            lens: [0; BATCH],
            replies: (0..BATCH).map(|_| Vec::with_capacity(MAX_DATAGRAM)).collect(),
        }
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
    let fd = socket.as_raw_fd();
    let mut stats = DrainStats::default();
    let mut errors = 0;
    loop {
        let n = match recv_batch(fd, bufs) {
            Ok(n) => n,
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
        stats.received += n;
        let mut answer = [false; BATCH];
        for (i, slot) in answer.iter_mut().enumerate().take(n) {
            let reply = &mut bufs.replies[i];
            reply.clear();
            let datagram = &bufs.recv[i][..bufs.lens[i].min(MAX_DATAGRAM)];
            *slot = match from_storage(&bufs.addrs[i]) {
                Some(peer) => handler.handle_udp(datagram, unmap(peer), reply),
                None => false,
            };
        }
        stats.sent += send_batch(fd, bufs, &answer[..n]);
        if n < BATCH {
            return stats;
        }
    }
}

/// One `recvmmsg` into the batch buffers; the number of datagrams read.
fn recv_batch(fd: i32, bufs: &mut UdpBuffers) -> io::Result<usize> {
    // SAFETY: all-zero iovec/mmsghdr arrays are valid and filled in below.
    let mut iovs: [libc::iovec; BATCH] = unsafe { mem::zeroed() };
    // SAFETY: as above.
    let mut msgs: [libc::mmsghdr; BATCH] = unsafe { mem::zeroed() };
    for i in 0..BATCH {
        iovs[i] = libc::iovec { iov_base: bufs.recv[i].as_mut_ptr().cast(), iov_len: MAX_DATAGRAM };
        msgs[i].msg_hdr.msg_name = (&mut bufs.addrs[i] as *mut libc::sockaddr_storage).cast();
        msgs[i].msg_hdr.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        msgs[i].msg_hdr.msg_iov = &mut iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    // SAFETY: every pointer in msgs points into live buffers of the advertised sizes.
    let n = unsafe { libc::recvmmsg(fd, msgs.as_mut_ptr(), BATCH as u32, libc::MSG_DONTWAIT, std::ptr::null_mut()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    for (len, msg) in bufs.lens.iter_mut().zip(&msgs[..n]) {
        *len = msg.msg_len as usize;
    }
    Ok(n)
}

/// Sends the replies marked in `answer` with `sendmmsg`; a full socket buffer drops the rest
/// (UDP clients retry). Returns the number sent.
fn send_batch(fd: i32, bufs: &mut UdpBuffers, answer: &[bool]) -> usize {
    // SAFETY: all-zero iovec/mmsghdr arrays are valid and filled in below.
    let mut iovs: [libc::iovec; BATCH] = unsafe { mem::zeroed() };
    // SAFETY: as above.
    let mut msgs: [libc::mmsghdr; BATCH] = unsafe { mem::zeroed() };
    let mut count = 0;
    for (i, _) in answer.iter().enumerate().filter(|(_, a)| **a) {
        let reply = &mut bufs.replies[i];
        iovs[count] = libc::iovec { iov_base: reply.as_mut_ptr().cast(), iov_len: reply.len() };
        let addr = &mut bufs.addrs[i];
        msgs[count].msg_hdr.msg_name = (addr as *mut libc::sockaddr_storage).cast();
        msgs[count].msg_hdr.msg_namelen = storage_len(addr);
        msgs[count].msg_hdr.msg_iov = &mut iovs[count];
        msgs[count].msg_hdr.msg_iovlen = 1;
        count += 1;
    }
    let (mut sent, mut failed) = (0, 0);
    while sent < count {
        // SAFETY: msgs[sent..count] point into live reply buffers and addresses.
        let rc = unsafe { libc::sendmmsg(fd, msgs[sent..].as_mut_ptr(), (count - sent) as u32, libc::MSG_DONTWAIT) };
        if rc < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            // Skip the datagram that failed (e.g. an unreachable address) and go on.
            sent += 1;
            failed += 1;
            continue;
        }
        sent += rc as usize;
    }
    count - failed
}

fn storage_len(addr: &libc::sockaddr_storage) -> libc::socklen_t {
    let len = match addr.ss_family as i32 {
        libc::AF_INET => mem::size_of::<libc::sockaddr_in>(),
        _ => mem::size_of::<libc::sockaddr_in6>(),
    };
    len as libc::socklen_t
}

/// The socket address in a `sockaddr_storage` filled by the kernel.
fn from_storage(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match storage.ss_family as i32 {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin = unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sin.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6 = unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            let port = u16::from_be(sin6.sin6_port);
            Some(SocketAddr::V6(SocketAddrV6::new(ip, port, sin6.sin6_flowinfo, sin6.sin6_scope_id)))
        }
        _ => None,
    }
}
