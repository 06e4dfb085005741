//! One front worker thread: a mio loop over its own `SO_REUSEPORT` TCP listeners and UDP
//! sockets and the connections it accepted. Accept and read until they would block, answer
//! inline, one write per batch of responses, cut idle and stalled connections.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token};

use super::http_conn::{ConnContext, ConnLimits, HttpConn};
use super::socket::unmap;
use super::udp_server::{drain, UdpBuffers};
use super::weblog::{LogBuffer, WebLog};
use crate::tracker::handler::{HttpHandler, UdpHandler};

/// Token of the waker that asks the worker to stop.
pub const WAKER_TOKEN: Token = Token(usize::MAX);
/// First token used for connections; listeners and UDP sockets sit below it.
const CONN_BASE: usize = 1 << 20;
/// Size of the per-worker read buffer.
const READ_CHUNK: usize = 16 * 1024;

/// Everything a worker owns when it starts.
pub struct WorkerSetup {
    /// The worker's poll instance (its waker is registered on it).
    pub poll: Poll,
    /// TCP listeners (empty when HTTP is off).
    pub listeners: Vec<TcpListener>,
    /// UDP sockets (empty when UDP is off).
    pub udp_sockets: Vec<UdpSocket>,
    /// Answers HTTP requests.
    pub http: Option<Arc<dyn HttpHandler>>,
    /// Answers UDP datagrams.
    pub udp: Option<Arc<dyn UdpHandler>>,
    /// The shared web log, if logging.
    pub log: Option<Arc<WebLog>>,
    /// Per-connection size limits.
    pub limits: ConnLimits,
    /// Most connections this worker keeps open.
    pub max_connections: usize,
    /// Idle/stall time after which a connection is cut.
    pub socket_timeout: Duration,
    /// Set to ask the worker to finish.
    pub stop: Arc<AtomicBool>,
}

struct Slot {
    stream: TcpStream,
    conn: HttpConn,
    last_active: Instant,
}

struct Worker {
    setup: WorkerSetup,
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    open: usize,
    read_buf: Box<[u8; READ_CHUNK]>,
    gzip_scratch: Vec<u8>,
    log_buf: LogBuffer,
    udp_bufs: UdpBuffers,
    now: Instant,
    unix_now: i64,
    retry_accept: bool,
}

/// Runs the worker loop until `setup.stop` is set and the waker fires.
pub fn run(setup: WorkerSetup) -> io::Result<()> {
    let mut w = Worker {
        setup,
        slots: Vec::new(),
        free: Vec::new(),
        open: 0,
        read_buf: Box::new([0; READ_CHUNK]),
        gzip_scratch: Vec::new(),
        log_buf: LogBuffer::new(),
        udp_bufs: UdpBuffers::default(),
        now: Instant::now(),
        unix_now: 0,
        retry_accept: false,
    };
    w.register_sockets()?;
    w.event_loop()
}

impl Worker {
    fn register_sockets(&mut self) -> io::Result<()> {
        let registry = self.setup.poll.registry();
        for (i, l) in self.setup.listeners.iter_mut().enumerate() {
            registry.register(l, Token(i), Interest::READABLE)?;
        }
        let base = self.setup.listeners.len();
        for (i, u) in self.setup.udp_sockets.iter_mut().enumerate() {
            registry.register(u, Token(base + i), Interest::READABLE)?;
        }
        Ok(())
    }

    fn event_loop(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let sweep_every = (self.setup.socket_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
        let mut last_sweep = Instant::now();
        while !self.setup.stop.load(Ordering::Relaxed) {
            if let Err(e) = self.setup.poll.poll(&mut events, Some(sweep_every)) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            self.tick();
            for ev in events.iter() {
                self.dispatch(ev.token());
            }
            if self.now.duration_since(last_sweep) >= sweep_every {
                self.sweep();
                last_sweep = self.now;
                if std::mem::take(&mut self.retry_accept) {
                    (0..self.setup.listeners.len()).for_each(|i| self.accept_all(i));
                }
            }
            if let Some(log) = &self.setup.log {
                self.log_buf.maybe_flush(log, self.now);
            }
        }
        if let Some(log) = &self.setup.log {
            self.log_buf.flush(log, Instant::now());
        }
        Ok(())
    }

    fn tick(&mut self) {
        self.now = Instant::now();
        self.unix_now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    }

    fn dispatch(&mut self, token: Token) {
        let listeners = self.setup.listeners.len();
        let udps = self.setup.udp_sockets.len();
        match token.0 {
            t if t == WAKER_TOKEN.0 => {}
            t if t < listeners => self.accept_all(t),
            t if t < listeners + udps => self.drain_udp(t - listeners),
            t if t >= CONN_BASE => self.drive(t - CONN_BASE),
            _ => {}
        }
    }

    fn drain_udp(&mut self, index: usize) {
        if let Some(handler) = &self.setup.udp {
            drain(&self.setup.udp_sockets[index], handler.as_ref(), &mut self.udp_bufs);
        }
    }

    fn accept_all(&mut self, index: usize) {
        loop {
            let (stream, peer) = match self.setup.listeners[index].accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => {
                    // Out of descriptors or memory: connections stay queued; try again at
                    // the next sweep, as no new readiness event may come for them.
                    self.retry_accept = true;
                    return;
                }
            };
            if self.open >= self.setup.max_connections {
                drop(stream);
                continue;
            }
            let _ = stream.set_nodelay(true);
            self.insert(stream, unmap(peer));
        }
    }

    fn insert(&mut self, mut stream: TcpStream, peer: std::net::SocketAddr) {
        let idx = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        let interest = Interest::READABLE | Interest::WRITABLE;
        if self.setup.poll.registry().register(&mut stream, Token(CONN_BASE + idx), interest).is_err() {
            self.free.push(idx);
            return;
        }
        let conn = HttpConn::new(peer, self.setup.limits);
        self.slots[idx] = Some(Slot { stream, conn, last_active: self.now });
        self.open += 1;
    }

    fn close(&mut self, idx: usize) {
        if let Some(mut slot) = self.slots.get_mut(idx).and_then(Option::take) {
            let _ = self.setup.poll.registry().deregister(&mut slot.stream);
            let _ = slot.stream.shutdown(Shutdown::Write);
            self.free.push(idx);
            self.open -= 1;
        }
    }

    /// Reads, answers and writes on connection `idx` until nothing more can be done now.
    fn drive(&mut self, idx: usize) {
        let Worker { setup, slots, read_buf, gzip_scratch, log_buf, now, unix_now, .. } = self;
        let (Some(handler), Some(Some(slot))) = (setup.http.as_deref(), slots.get_mut(idx)) else { return };
        let mut ctx =
            ConnContext { handler, log: setup.log.as_ref().map(|_| log_buf), unix_now: *unix_now, gzip_scratch };
        if !pump(slot, &mut read_buf[..], &mut ctx, *now) {
            self.close(idx);
        }
    }

    /// Closes connections idle or stalled for longer than the socket timeout.
    fn sweep(&mut self) {
        let timeout = self.setup.socket_timeout;
        let now = self.now;
        let expired: Vec<usize> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().filter(|s| now.duration_since(s.last_active) > timeout).map(|_| i))
            .collect();
        for idx in expired {
            self.close(idx);
        }
    }
}

/// One connection's read-answer-write loop; false when it must be closed.
fn pump(slot: &mut Slot, read_buf: &mut [u8], ctx: &mut ConnContext<'_>, now: Instant) -> bool {
    let mut drained = false;
    loop {
        let mut progress = false;
        let budget = slot.conn.read_budget().min(read_buf.len());
        if budget > 0 && !drained {
            match slot.stream.read(&mut read_buf[..budget]) {
                Ok(0) => {
                    drained = true;
                    progress = true;
                    slot.conn.on_eof(ctx);
                }
                Ok(n) => {
                    drained = n < budget;
                    progress = true;
                    if slot.conn.on_data(&read_buf[..n], ctx) > 0 {
                        slot.last_active = now;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => drained = true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => progress = true,
                Err(_) => return false,
            }
        } else if slot.conn.resume(ctx) > 0 {
            slot.last_active = now;
            progress = true;
        }
        match flush(slot, now) {
            Ok(wrote) => progress |= wrote,
            Err(_) => return false,
        }
        if slot.conn.is_done() {
            return false;
        }
        if !progress {
            return true;
        }
    }
}

/// Writes pending output until done or the socket is full; true when anything was written.
fn flush(slot: &mut Slot, now: Instant) -> io::Result<bool> {
    let mut wrote = false;
    while slot.conn.pending_output() > 0 {
        match slot.stream.write(slot.conn.output()) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                slot.conn.consume(n);
                slot.last_active = now;
                wrote = true;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(wrote)
}
