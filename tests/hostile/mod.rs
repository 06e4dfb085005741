//! A hostile test peer: our own code over std::net speaking the wire protocol with
//! `bitgocho::wire`, listening on a loopback address of its own (127.0.0.N, so banning it never
//! touches honest peers on 127.0.0.1). The engine dials it; each connection handshakes, then
//! breaks the rules the way its [`Behavior`] says. Counters tell the test what happened: how
//! many connections were made, blocks served, and connections the engine closed.

use bitgocho::wire::{BlockRef, Handshake, Message, HANDSHAKE_LEN};
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How the hostile peer misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behavior {
    /// Claims every piece and serves every block with its bytes inverted.
    CorruptData,
    /// Claims every piece and never answers a request.
    SilentLiar,
    /// Claims every piece and rejects every request (BEP 6).
    RejectingLiar,
    /// Sends a message whose length prefix exceeds any limit.
    Oversized,
    /// Sends a bitfield with the spare bits past the last piece set.
    SpareBits,
    /// Sends a HAVE for a piece past the end.
    HaveOutOfRange,
    /// Interested, then thousands of requests without reading anything.
    RequestFlood,
    /// Asks for a block larger than any client serves (1 MiB).
    HugeRequest,
    /// Serves a few blocks correctly, then hangs up halfway through a piece message.
    DisconnectMidPiece,
    /// Not hostile: says HAVE NONE, then sends its pieces as a BITFIELD mid-connection (as
    /// aria2c does instead of a batch of HAVEs), and serves every block correctly.
    LateBitfield,
}

/// What the test can observe.
#[derive(Default)]
pub struct Counters {
    /// Connections that opened with a plaintext BitTorrent handshake.
    pub accepts: AtomicU32,
    /// Connections that opened with anything else (the engine's MSE attempts, which this
    /// plaintext-only peer hangs up on, as such clients do; the engine then retries in plaintext).
    pub refused_openings: AtomicU32,
    /// Blocks sent (whole or, for the last one of `DisconnectMidPiece`, half).
    pub blocks: AtomicU32,
    /// Connections the engine closed (end of stream or reset seen).
    pub closed_by_engine: AtomicU32,
}

/// The torrent as the hostile peer needs it.
#[derive(Clone)]
pub struct Torrent {
    /// v1 info-hash.
    pub info_hash: [u8; 20],
    /// Piece length.
    pub piece_length: u32,
    /// Every byte of the torrent's content, in order.
    pub data: Arc<Vec<u8>>,
}

impl Torrent {
    fn pieces(&self) -> u32 {
        self.data.len().div_ceil(self.piece_length as usize) as u32
    }
}

/// A running hostile peer.
pub struct HostilePeer {
    /// Its address.
    pub addr: SocketAddr,
    /// What happened so far.
    pub counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

const LIFE: Duration = Duration::from_secs(90);

impl HostilePeer {
    /// Listens on `127.0.0.<host>` and misbehaves on every connection.
    pub fn start(host: u8, torrent: Torrent, behavior: Behavior) -> HostilePeer {
        let listener = TcpListener::bind((Ipv4Addr::new(127, 0, 0, host), 0)).expect("bind hostile peer");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("address");
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (counters.clone(), stop.clone());
        let thread = std::thread::spawn(move || accept_loop(listener, torrent, behavior, c, s));
        HostilePeer { addr, counters, stop, thread: Some(thread) }
    }

    /// Connections so far that opened with a plaintext BitTorrent handshake.
    pub fn accepts(&self) -> u32 {
        self.counters.accepts.load(Ordering::SeqCst)
    }

    /// Connections so far that opened with something else (MSE attempts).
    pub fn refused_openings(&self) -> u32 {
        self.counters.refused_openings.load(Ordering::SeqCst)
    }

    /// Blocks sent so far.
    pub fn blocks(&self) -> u32 {
        self.counters.blocks.load(Ordering::SeqCst)
    }

    /// Connections the engine closed so far.
    pub fn closed_by_engine(&self) -> u32 {
        self.counters.closed_by_engine.load(Ordering::SeqCst)
    }
}

impl Drop for HostilePeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: TcpListener, torrent: Torrent, behavior: Behavior, c: Arc<Counters>, stop: Arc<AtomicBool>) {
    let end = Instant::now() + LIFE;
    let mut workers = Vec::new();
    while !stop.load(Ordering::SeqCst) && Instant::now() < end {
        match listener.accept() {
            Ok((stream, _)) => {
                let (t, c, s) = (torrent.clone(), c.clone(), stop.clone());
                workers.push(std::thread::spawn(move || {
                    let mut conn = Conn { stream, buf: Vec::new(), stop: s, end: Instant::now() + LIFE };
                    if let Ended::ByEngine = conn.run(&t, behavior, &c) {
                        c.closed_by_engine.fetch_add(1, Ordering::SeqCst);
                    }
                }));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        let _ = w.join();
    }
}

/// How a connection ended.
enum Ended {
    /// The engine closed it (end of stream or reset).
    ByEngine,
    /// We hung up, or the test ended.
    ByUs,
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    stop: Arc<AtomicBool>,
    end: Instant,
}

impl Conn {
    fn run(&mut self, t: &Torrent, behavior: Behavior, c: &Counters) -> Ended {
        if self.stream.set_nonblocking(false).is_err()
            || self.stream.set_read_timeout(Some(Duration::from_millis(100))).is_err()
        {
            return Ended::ByUs;
        }
        match self.fill(HANDSHAKE_LEN) {
            Ok(true) => {}
            Ok(false) => return Ended::ByUs,
            Err(()) => return Ended::ByEngine,
        }
        let Some(theirs) = Handshake::decode(&self.buf).ok().flatten() else {
            c.refused_openings.fetch_add(1, Ordering::SeqCst);
            return Ended::ByUs;
        };
        c.accepts.fetch_add(1, Ordering::SeqCst);
        if theirs.info_hash != t.info_hash {
            return Ended::ByUs;
        }
        self.buf.drain(..HANDSHAKE_LEN);
        if self.send_raw(&Handshake::new(t.info_hash, *b"-HOSTILE-0123456789a").encode()).is_err() {
            return Ended::ByEngine;
        }
        if self.opening(t, behavior).is_err() {
            return Ended::ByEngine;
        }
        self.serve(t, behavior, c)
    }

    /// What the peer sends right after the handshake.
    fn opening(&mut self, t: &Torrent, behavior: Behavior) -> std::io::Result<()> {
        let n = t.pieces();
        let mut all = vec![0u8; n.div_ceil(8) as usize];
        for p in 0..n {
            all[(p / 8) as usize] |= 0x80 >> (p % 8);
        }
        let mut out = Vec::new();
        match behavior {
            Behavior::CorruptData | Behavior::SilentLiar | Behavior::RejectingLiar | Behavior::DisconnectMidPiece => {
                Message::Bitfield(&all).encode(&mut out);
                Message::Unchoke.encode(&mut out);
            }
            Behavior::Oversized => {
                Message::Bitfield(&all).encode(&mut out);
                out.extend_from_slice(&0x7fff_fff0u32.to_be_bytes());
                out.push(7);
                out.extend_from_slice(&[0xAB; 64]);
            }
            Behavior::SpareBits => {
                assert!(!n.is_multiple_of(8), "the spare-bits test needs a piece count that is not a multiple of 8");
                Message::Bitfield(&vec![0xff; all.len()]).encode(&mut out);
            }
            Behavior::HaveOutOfRange => {
                Message::HaveNone.encode(&mut out);
                Message::Have(n + 3).encode(&mut out);
            }
            Behavior::RequestFlood => {
                Message::HaveNone.encode(&mut out);
                Message::Interested.encode(&mut out);
                for i in 0..20_000u32 {
                    // Valid requests (the short last piece is left out): only their number breaks the rules.
                    let b = BlockRef { piece: i % (n - 1), begin: 0, length: 16384 };
                    Message::Request(b).encode(&mut out);
                }
            }
            Behavior::LateBitfield => {
                Message::HaveNone.encode(&mut out);
                Message::Unchoke.encode(&mut out);
                Message::Bitfield(&all).encode(&mut out);
            }
            Behavior::HugeRequest => {
                Message::HaveNone.encode(&mut out);
                Message::Interested.encode(&mut out);
                Message::Request(BlockRef { piece: 0, begin: 0, length: 1 << 20 }).encode(&mut out);
            }
        }
        self.send_raw(&out)
    }

    /// Answers requests the hostile way until the connection ends.
    fn serve(&mut self, t: &Torrent, behavior: Behavior, c: &Counters) -> Ended {
        loop {
            let (len, id) = match self.next_message() {
                Ok(Some(m)) => m,
                Ok(None) => return Ended::ByUs,
                Err(()) => return Ended::ByEngine,
            };
            let body: Vec<u8> = self.buf[5..4 + len].to_vec();
            self.buf.drain(..4 + len);
            if id != 6 || body.len() != 12 {
                continue;
            }
            let be = |i: usize| u32::from_be_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]);
            let b = BlockRef { piece: be(0), begin: be(4), length: be(8) };
            let start = b.piece as usize * t.piece_length as usize + b.begin as usize;
            let Some(block) = t.data.get(start..start + b.length as usize) else { continue };
            let mut out = Vec::new();
            match behavior {
                Behavior::CorruptData => {
                    let bad: Vec<u8> = block.iter().map(|x| !x).collect();
                    Message::Piece { piece: b.piece, begin: b.begin, data: &bad }.encode(&mut out);
                }
                Behavior::RejectingLiar => Message::Reject(b).encode(&mut out),
                Behavior::DisconnectMidPiece if c.blocks.load(Ordering::SeqCst) >= 3 => {
                    Message::Piece { piece: b.piece, begin: b.begin, data: block }.encode(&mut out);
                    out.truncate(13 + block.len() / 2);
                    let _ = self.send_raw(&out);
                    c.blocks.fetch_add(1, Ordering::SeqCst);
                    let _ = self.stream.shutdown(Shutdown::Both);
                    return Ended::ByUs;
                }
                Behavior::DisconnectMidPiece | Behavior::LateBitfield => {
                    Message::Piece { piece: b.piece, begin: b.begin, data: block }.encode(&mut out)
                }
                _ => continue,
            }
            if matches!(behavior, Behavior::CorruptData | Behavior::DisconnectMidPiece | Behavior::LateBitfield) {
                c.blocks.fetch_add(1, Ordering::SeqCst);
            }
            if self.send_raw(&out).is_err() {
                return Ended::ByEngine;
            }
        }
    }

    /// The next message's length and id (keep-alives skipped); `Ok(None)` when the test ends.
    fn next_message(&mut self) -> Result<Option<(usize, u8)>, ()> {
        loop {
            if !self.fill(4)? {
                return Ok(None);
            }
            let len = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]) as usize;
            if len == 0 {
                self.buf.drain(..4);
                continue;
            }
            if len > (1 << 20) || !self.fill(4 + len)? {
                return Ok(None);
            }
            return Ok(Some((len, self.buf[4])));
        }
    }

    /// Reads until `n` bytes are buffered: `Ok(false)` when the test ends first, `Err` when the
    /// engine closed the connection.
    fn fill(&mut self, n: usize) -> Result<bool, ()> {
        let mut chunk = [0u8; 65536];
        while self.buf.len() < n {
            if self.stop.load(Ordering::SeqCst) || Instant::now() > self.end {
                return Ok(false);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(()),
                Ok(k) => self.buf.extend_from_slice(&chunk[..k]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {}
                Err(_) => return Err(()),
            }
        }
        Ok(true)
    }

    fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }
}
