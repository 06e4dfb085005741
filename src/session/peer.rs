//! One peer connection, sans-I/O: receive buffer and framing (handshake, then messages),
//! send buffer, the four choke/interest flags, what the peer has, the requests in flight both
//! ways, and rates. The torrent logic reads messages out with [`PeerConn::next_message`] and
//! queues messages with [`PeerConn::send`]; the reactor moves bytes between the buffers and
//! the socket.

mod crypto;

pub use crypto::{Crypto, CryptoProgress};

use super::bitfield::Bitfield;
use super::pex::PexState;
use super::rate_meter::RateMeter;
use crate::wire::mse::MseError;
use crate::wire::{BlockRef, Handshake, HandshakeError, Message, WireError, HANDSHAKE_LEN};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

/// Why a connection must be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    /// Not a BitTorrent handshake.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// A message broke the framing rules.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// A message broke the protocol (index out of range, bad bitfield, unrequested data...).
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// The encryption handshake failed.
    #[error(transparent)]
    Mse(#[from] MseError),
    /// The peer is us, or a duplicate, or for a torrent we do not have.
    #[error("unwanted connection: {0}")]
    Unwanted(String),
}

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the peer's handshake.
    Handshake,
    /// Handshakes exchanged; messages flow.
    Active,
}

/// A decoded unit from the receive buffer.
#[derive(Debug)]
pub enum Incoming<'a> {
    /// The peer's handshake.
    Handshake(Handshake),
    /// A message.
    Message(Message<'a>),
}

/// The state of one connection.
#[derive(Debug)]
pub struct PeerConn {
    /// Remote address.
    pub addr: SocketAddr,
    /// We dialled it.
    pub outgoing: bool,
    /// Handshake or active.
    pub phase: Phase,
    recv: Vec<u8>,
    recv_start: usize,
    recv_end: usize,
    send: Vec<u8>,
    send_start: usize,
    /// The peer's handshake, once received.
    pub remote: Option<Handshake>,
    /// We are choking the peer.
    pub am_choking: bool,
    /// We are interested in the peer.
    pub am_interested: bool,
    /// The peer is choking us.
    pub peer_choking: bool,
    /// The peer is interested in us.
    pub peer_interested: bool,
    /// Pieces the peer has (sized once the torrent is known).
    pub has: Bitfield,
    /// The peer sent its bitfield (or have-all/none) already.
    pub sent_bitfield: bool,
    /// Blocks we requested from the peer and not yet received.
    pub requested: Vec<BlockRef>,
    /// Blocks the peer requested from us, in order.
    pub wanted: VecDeque<BlockRef>,
    /// Most requests the peer accepts in flight (its BEP 10 `reqq`), when it said.
    pub reqq: Option<u32>,
    /// Pieces the peer allows us to request while choked (BEP 6).
    pub allowed_fast: Vec<u32>,
    /// Payload rate from the peer.
    pub down: RateMeter,
    /// Payload rate to the peer.
    pub up: RateMeter,
    /// Last time any bytes arrived.
    pub last_recv: Instant,
    /// Last time bytes were queued to send.
    pub last_send: Instant,
    /// Last time a block arrived (for snubbing).
    pub last_block: Instant,
    /// When the connection was made.
    pub since: Instant,
    /// We sent our handshake already.
    pub handshake_sent: bool,
    /// The DHT port the peer announced in a `PORT` message (BEP 5), until the session takes it.
    pub dht_port: Option<u16>,
    /// Number of pieces this peer contributed to that failed their hash check.
    pub bad_pieces: u32,
    /// When the peer last unchoked us (`None` while it chokes us).
    pub unchoked_us_at: Option<Instant>,
    /// Requests we could not serve (choked, or a piece we lack) since we last choked or unchoked
    /// the peer.
    pub refused_requests: u32,
    /// The peer's message id for `ut_metadata` (BEP 9), when it takes them.
    pub ut_metadata: Option<u8>,
    /// Metadata pieces sent to the peer so far.
    pub metadata_served: u32,
    /// BEP 52 hashes sent to it (each hash 32 bytes), to bound what it can make us send.
    pub hashes_served: u64,
    /// The listening port the peer's extension handshake gave (`p`).
    pub listen_port: Option<u16>,
    /// The peer's message id for `ut_pex` (BEP 11), when it takes them.
    pub ut_pex: Option<u8>,
    /// What peer exchange told the peer, and when it last told us.
    pub pex: PexState,
    /// Encryption state (plaintext by default).
    crypto: Crypto,
}

/// How much receive-buffer space to make available before each read.
pub const READ_CHUNK: usize = 256 * 1024;
/// Written bytes at the front of the send buffer beyond which they are dropped at once.
const SEND_COMPACT_AT: usize = 8 * 1024 * 1024;

impl PeerConn {
    /// A new connection; `pieces` sizes the peer's bitfield (0 until the torrent is known).
    pub fn new(addr: SocketAddr, outgoing: bool, pieces: u32, now: Instant) -> PeerConn {
        PeerConn {
            addr,
            outgoing,
            phase: Phase::Handshake,
            recv: Vec::new(),
            recv_start: 0,
            recv_end: 0,
            send: Vec::new(),
            send_start: 0,
            remote: None,
            am_choking: true,
            am_interested: false,
            peer_choking: true,
            peer_interested: false,
            has: Bitfield::none(pieces),
            sent_bitfield: false,
            requested: Vec::new(),
            wanted: VecDeque::new(),
            reqq: None,
            allowed_fast: Vec::new(),
            down: RateMeter::twenty_seconds(now),
            up: RateMeter::twenty_seconds(now),
            last_recv: now,
            last_send: now,
            last_block: now,
            since: now,
            handshake_sent: false,
            dht_port: None,
            bad_pieces: 0,
            unchoked_us_at: None,
            refused_requests: 0,
            ut_metadata: None,
            metadata_served: 0,
            hashes_served: 0,
            listen_port: None,
            ut_pex: None,
            pex: PexState::default(),
            crypto: Crypto::Plain,
        }
    }

    /// Space at the end of the receive buffer to read into; call [`PeerConn::received`] after.
    /// The buffer is initialised once and reused: bytes already handled are dropped by moving
    /// the unhandled tail to the front, and it only grows (zero-filled once) when that is not
    /// enough for [`READ_CHUNK`] bytes.
    pub fn recv_space(&mut self) -> &mut [u8] {
        if self.recv_start == self.recv_end {
            self.recv_start = 0;
            self.recv_end = 0;
        }
        if self.recv.len() - self.recv_end < READ_CHUNK && self.recv_start > 0 {
            self.recv.copy_within(self.recv_start..self.recv_end, 0);
            self.recv_end -= self.recv_start;
            self.recv_start = 0;
        }
        if self.recv.len() - self.recv_end < READ_CHUNK {
            self.recv.resize(self.recv_end + READ_CHUNK, 0);
        }
        &mut self.recv[self.recv_end..]
    }

    /// Records that `n` bytes were read into the space from [`PeerConn::recv_space`].
    pub fn received(&mut self, n: usize, now: Instant) {
        let end = (self.recv_end + n).min(self.recv.len());
        if n > 0 {
            self.last_recv = now;
            self.open_received(self.recv_end, end);
        }
        self.recv_end = end;
    }

    /// Bytes received and not yet consumed.
    pub fn pending(&self) -> usize {
        self.recv_end - self.recv_start
    }

    /// Queues our handshake for the torrent `info_hash`, unless it was sent already.
    pub fn send_handshake(&mut self, info_hash: [u8; 20], peer_id: [u8; 20], now: Instant) {
        if !self.handshake_sent {
            self.send_raw(&Handshake::new(info_hash, peer_id).encode(), now);
            self.handshake_sent = true;
        }
    }

    /// Hands each complete message in the receive buffer to `on_message`. The peer's handshake,
    /// when it comes, is recorded (the connection becomes active) and ends the pass, so the
    /// caller can check it and answer: it is returned with the outcome of the pass.
    pub fn drain_messages<F>(&mut self, max_len: u32, mut on_message: F) -> (Option<Handshake>, Result<(), PeerError>)
    where
        F: FnMut(&mut PeerConn, Message<'_>) -> Result<(), PeerError>,
    {
        let mut handshake = None;
        let result = self.drain_incoming(max_len, |conn, inc| match inc {
            Incoming::Handshake(h) => {
                handshake = Some(h);
                conn.remote = Some(h);
                conn.phase = Phase::Active;
                Ok(false)
            }
            Incoming::Message(m) => on_message(conn, m).map(|_| true),
        });
        (handshake, result)
    }

    /// Hands each complete handshake or message in the receive buffer to `handle`, which may
    /// change this connection (its receive buffer is set aside meanwhile) and returns whether to
    /// go on. Stops at the first error, which means the connection must be closed.
    pub fn drain_incoming<F>(&mut self, max_len: u32, mut handle: F) -> Result<(), PeerError>
    where
        F: FnMut(&mut PeerConn, Incoming<'_>) -> Result<bool, PeerError>,
    {
        let buf = std::mem::take(&mut self.recv);
        let end = self.recv_end;
        let mut pos = self.recv_start;
        let result = loop {
            let next = match self.phase {
                Phase::Handshake => Handshake::decode(&buf[pos..end])
                    .map(|h| h.map(|h| (Incoming::Handshake(h), HANDSHAKE_LEN)))
                    .map_err(PeerError::from),
                Phase::Active => Message::decode(&buf[pos..end], max_len)
                    .map(|m| m.map(|(m, n)| (Incoming::Message(m), n)))
                    .map_err(PeerError::from),
            };
            match next {
                Err(e) => break Err(e),
                Ok(None) => break Ok(()),
                Ok(Some((incoming, n))) => {
                    pos += n;
                    match handle(self, incoming) {
                        Ok(true) => {}
                        Ok(false) => break Ok(()),
                        Err(e) => break Err(e),
                    }
                }
            }
        };
        self.recv = buf;
        self.recv_start = pos;
        result
    }

    /// Decodes the next handshake or message from the receive buffer, if complete. The caller
    /// must call [`PeerConn::consume`] with the returned length after handling it.
    pub fn next_incoming(&self, max_len: u32) -> Result<Option<(Incoming<'_>, usize)>, PeerError> {
        let buf = &self.recv[self.recv_start..self.recv_end];
        match self.phase {
            Phase::Handshake => Ok(Handshake::decode(buf)?.map(|h| (Incoming::Handshake(h), HANDSHAKE_LEN))),
            Phase::Active => Ok(Message::decode(buf, max_len)?.map(|(m, n)| (Incoming::Message(m), n))),
        }
    }

    /// The info-hash of an incoming handshake as soon as 48 bytes arrived (for routing).
    pub fn peek_info_hash(&self) -> Result<Option<[u8; 20]>, PeerError> {
        Ok(Handshake::decode_info_hash(&self.recv[self.recv_start..self.recv_end])?)
    }

    /// Marks `n` received bytes as handled.
    pub fn consume(&mut self, n: usize) {
        self.recv_start += n;
    }

    /// Queues a message.
    pub fn send(&mut self, msg: &Message<'_>, now: Instant) {
        msg.encode(&mut self.send);
        self.last_send = now;
    }

    /// Queues raw bytes (the handshake, or a piece header followed by its data).
    pub fn send_raw(&mut self, bytes: &[u8], now: Instant) {
        self.send.extend_from_slice(bytes);
        self.last_send = now;
    }

    /// Direct access to the send buffer for appending a piece without an extra copy. Bytes
    /// already written are dropped first (callers append when little is left, so this moves little).
    pub fn send_buffer(&mut self) -> &mut Vec<u8> {
        self.compact_send();
        &mut self.send
    }

    fn compact_send(&mut self) {
        if self.send_start > 0 {
            self.shift_sealed(self.send_start);
            self.send.drain(..self.send_start);
            self.send_start = 0;
        }
    }

    /// Bytes ready to be written (on RC4 connections, those already sealed by
    /// [`PeerConn::seal`]).
    pub fn to_send(&self) -> &[u8] {
        &self.send[self.send_start..self.wire_end()]
    }

    /// Records that `n` queued bytes were written (no bytes move until the buffer empties or
    /// more is appended through [`PeerConn::send_buffer`]).
    pub fn sent(&mut self, n: usize) {
        self.send_start = (self.send_start + n).min(self.send.len());
        if self.send_start == self.send.len() {
            self.shift_sealed(self.send.len());
            self.send.clear();
            self.send_start = 0;
        } else if self.send_start >= SEND_COMPACT_AT {
            self.compact_send();
        }
    }

    /// Number of bytes queued for sending.
    pub fn send_len(&self) -> usize {
        self.send.len() - self.send_start
    }

    /// Sizes the peer's bitfield once the torrent is known (incoming connections).
    pub fn set_piece_count(&mut self, pieces: u32) {
        self.has = Bitfield::none(pieces);
    }

    /// True when the peer has every piece.
    pub fn is_seed(&self) -> bool {
        self.has.is_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> PeerConn {
        PeerConn::new("127.0.0.1:1".parse().unwrap(), true, 10, Instant::now())
    }

    fn feed(c: &mut PeerConn, bytes: &[u8]) {
        let space = c.recv_space();
        space[..bytes.len()].copy_from_slice(bytes);
        c.received(bytes.len(), Instant::now());
    }

    #[test]
    fn handshake_then_messages_in_pieces() {
        let mut c = conn();
        let hs = Handshake::new([1; 20], [2; 20]).encode();
        let mut stream = hs.to_vec();
        Message::Have(3).encode(&mut stream);
        Message::Unchoke.encode(&mut stream);
        let mut seen = Vec::new();
        for b in stream.chunks(5) {
            feed(&mut c, b);
            while let Some((inc, n)) = c.next_incoming(1 << 20).unwrap() {
                let desc = match inc {
                    Incoming::Handshake(h) => format!("hs {}", h.info_hash[0]),
                    Incoming::Message(m) => format!("{m:?}"),
                };
                c.consume(n);
                if desc.starts_with("hs") {
                    c.phase = Phase::Active;
                }
                seen.push(desc);
            }
        }
        assert_eq!(seen, ["hs 1", "Have(3)", "Unchoke"]);
        assert_eq!(c.pending(), 0);
    }

    #[test]
    fn garbage_is_an_error() {
        let mut c = conn();
        feed(&mut c, b"GET / HTTP/1.1\r\n\r\n");
        assert!(c.next_incoming(1 << 20).is_err());
    }

    #[test]
    fn receive_buffer_reused_across_partial_messages() {
        let mut c = conn();
        c.phase = Phase::Active;
        let mut stream = Vec::new();
        let data: Vec<u8> = (0..16384u32).map(|i| i as u8).collect();
        for i in 0..40u32 {
            Message::Piece { piece: i, begin: 0, data: &data }.encode(&mut stream);
        }
        // Odd read sizes so messages straddle reads and the tail is moved to the front often.
        let mut seen = 0u32;
        for chunk in stream.chunks(100_003) {
            let space = c.recv_space();
            assert!(space.len() >= READ_CHUNK);
            space[..chunk.len()].copy_from_slice(chunk);
            c.received(chunk.len(), Instant::now());
            c.drain_incoming(1 << 20, |_, inc| {
                match inc {
                    Incoming::Message(Message::Piece { piece, data: d, .. }) => {
                        assert_eq!(piece, seen);
                        assert_eq!(d, &data[..]);
                        seen += 1;
                    }
                    other => panic!("unexpected {other:?}"),
                }
                Ok(true)
            })
            .unwrap();
        }
        assert_eq!(seen, 40);
        assert_eq!(c.pending(), 0);
        assert!(c.recv.len() < 2 * READ_CHUNK, "buffer grew to {}", c.recv.len());
    }

    #[test]
    fn send_buffer_partial_writes_keep_order() {
        let mut c = conn();
        c.send_raw(b"abcdef", Instant::now());
        c.sent(2);
        assert_eq!(c.to_send(), b"cdef");
        c.send_raw(b"gh", Instant::now());
        c.send_buffer().extend_from_slice(b"ij");
        assert_eq!(c.to_send(), b"cdefghij");
        c.sent(8);
        assert_eq!(c.send_len(), 0);
        assert!(c.to_send().is_empty());
    }

    #[test]
    fn send_buffer() {
        let mut c = conn();
        c.send(&Message::Interested, Instant::now());
        assert_eq!(c.to_send(), &[0, 0, 0, 1, 2]);
        c.sent(2);
        assert_eq!(c.send_len(), 3);
    }
}
