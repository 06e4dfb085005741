//! The tracker's outgoing HTTP driver: one thread with a mio loop running the shared sans-I/O
//! [`HttpExchange`] for T2T polls and aggregator forwards, over plain TCP or TLS for `https`
//! (trusting the system's certificates, or `SSL_CERT_FILE`/`SSL_CERT_DIR`). Bounded in count (jobs waiting and
//! requests in flight), size (reply body) and time (each request has a deadline); host names
//! are resolved on short-lived helper threads so the loop never blocks. Redirects are not
//! followed (a tracker announce URL that redirects is reported as an error).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token, Waker};

use crate::announce::http_client::{ExchangeOptions, HttpExchange, Progress};
use crate::tls::{TlsClient, Transport};

const WAKER: Token = Token(usize::MAX);
/// How often the loop looks at resolutions, new jobs and deadlines without an event.
const TICK: Duration = Duration::from_millis(20);

/// Limits of the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingConfig {
    /// Requests in flight at once.
    pub max_in_flight: usize,
    /// Jobs waiting to start; [`OutgoingDriver::submit`] refuses more.
    pub max_queued: usize,
    /// Time one request may take in all, resolution included (`http_timeout`).
    pub timeout: Duration,
    /// Largest reply body accepted.
    pub max_body: usize,
    /// `User-Agent` sent.
    pub user_agent: String,
}

impl Default for OutgoingConfig {
    fn default() -> Self {
        OutgoingConfig {
            max_in_flight: 32,
            max_queued: 1024,
            timeout: Duration::from_secs(60),
            max_body: 256 * 1024,
            user_agent: concat!("BitGocho-tracker/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// The outcome of one request: status and body, or what went wrong.
pub type OutgoingResult = Result<(u16, Vec<u8>), String>;

enum Stage {
    Resolving(Receiver<Option<SocketAddr>>),
    Open { stream: Transport<TcpStream>, request: Vec<u8>, written: usize },
}

struct Conn<T> {
    tag: T,
    exchange: HttpExchange,
    stage: Stage,
    deadline: Instant,
}

/// A running driver; dropping it stops the thread (requests in flight are abandoned).
pub struct OutgoingDriver<T: Send + 'static> {
    jobs: Sender<(T, String)>,
    results: Receiver<(T, OutgoingResult)>,
    waker: Arc<Waker>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> std::fmt::Debug for OutgoingDriver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingDriver").field("queued", &self.jobs.len()).finish_non_exhaustive()
    }
}

impl<T: Send + 'static> OutgoingDriver<T> {
    /// Starts the driver thread.
    pub fn start(config: OutgoingConfig) -> io::Result<OutgoingDriver<T>> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let (jobs, job_rx) = crossbeam_channel::bounded(config.max_queued.max(1));
        let (result_tx, results) = crossbeam_channel::unbounded();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name("bitgocho-tracker-out".into())
            .spawn(move || run(poll, config, job_rx, result_tx, &stop2))?;
        Ok(OutgoingDriver { jobs, results, waker, stop, thread: Some(thread) })
    }

    /// Queues a GET of `url`; false (and nothing queued) when the queue is full.
    pub fn submit(&self, tag: T, url: String) -> bool {
        let ok = self.jobs.try_send((tag, url)).is_ok();
        let _ = self.waker.wake();
        ok
    }

    /// The results that arrived since the last call.
    pub fn results(&self) -> Vec<(T, OutgoingResult)> {
        self.results.try_iter().collect()
    }
}

impl<T: Send + 'static> Drop for OutgoingDriver<T> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.waker.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn resolve(host: String, port: u16) -> Receiver<Option<SocketAddr>> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        let _ = tx.send(Some(SocketAddr::new(ip, port)));
        return rx;
    }
    let spawned = std::thread::Builder::new().name("bitgocho-resolve".into()).spawn(move || {
        let _ = tx.send((host.as_str(), port).to_socket_addrs().ok().and_then(|mut a| a.next()));
    });
    if spawned.is_err() {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let _ = tx.send(None);
        return rx;
    }
    rx
}

struct Driver<T> {
    poll: Poll,
    config: OutgoingConfig,
    conns: HashMap<usize, Conn<T>>,
    next_token: usize,
    results: Sender<(T, OutgoingResult)>,
    read_buf: Vec<u8>,
    tls: TlsClient,
}

fn run<T: Send>(
    poll: Poll,
    config: OutgoingConfig,
    jobs: Receiver<(T, String)>,
    results: Sender<(T, OutgoingResult)>,
    stop: &AtomicBool,
) {
    let mut d = Driver {
        poll,
        config,
        conns: HashMap::new(),
        next_token: 0,
        results,
        read_buf: vec![0; 16 * 1024],
        tls: TlsClient::default(),
    };
    let mut events = Events::with_capacity(256);
    while !stop.load(Ordering::Relaxed) {
        if let Err(e) = d.poll.poll(&mut events, Some(TICK)) {
            if e.kind() != io::ErrorKind::Interrupted {
                return;
            }
        }
        let now = Instant::now();
        while d.conns.len() < d.config.max_in_flight {
            match jobs.try_recv() {
                Ok((tag, url)) => d.begin(tag, &url, now),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        for ev in events.iter() {
            if ev.token() != WAKER {
                d.drive(ev.token().0);
            }
        }
        d.tick(now);
    }
}

impl<T: Send> Driver<T> {
    fn begin(&mut self, tag: T, url: &str, now: Instant) {
        let options = ExchangeOptions { max_body: self.config.max_body, ..ExchangeOptions::default() };
        let exchange = match HttpExchange::with_options(url, options) {
            Ok(x) => x,
            Err(e) => {
                let _ = self.results.send((tag, Err(e.to_string())));
                return;
            }
        };
        let (host, port) = exchange.target();
        let stage = Stage::Resolving(resolve(host.to_string(), port));
        self.next_token = (self.next_token + 1) % (usize::MAX - 1);
        let deadline = now + self.config.timeout;
        self.conns.insert(self.next_token, Conn { tag, exchange, stage, deadline });
    }

    fn finish(&mut self, token: usize, result: OutgoingResult) {
        if let Some(mut c) = self.conns.remove(&token) {
            if let Stage::Open { stream, .. } = &mut c.stage {
                let _ = self.poll.registry().deregister(stream.socket_mut());
            }
            let _ = self.results.send((c.tag, result));
        }
    }

    /// Resolutions that finished, and deadlines.
    fn tick(&mut self, now: Instant) {
        let tokens: Vec<usize> = self.conns.keys().copied().collect();
        for token in tokens {
            let Some(c) = self.conns.get_mut(&token) else { continue };
            if now >= c.deadline {
                self.finish(token, Err("timed out".into()));
                continue;
            }
            let Stage::Resolving(rx) = &c.stage else { continue };
            match rx.try_recv() {
                Err(TryRecvError::Empty) => {}
                Ok(Some(addr)) => match TcpStream::connect(addr) {
                    Ok(sock) => {
                        let host = c.exchange.target().0;
                        let mut stream = match Transport::new(sock, c.exchange.is_https().then_some((&self.tls, host)))
                        {
                            Ok(s) => s,
                            Err(e) => {
                                self.finish(token, Err(e));
                                continue;
                            }
                        };
                        let interest = Interest::READABLE | Interest::WRITABLE;
                        if let Err(e) = self.poll.registry().register(stream.socket_mut(), Token(token), interest) {
                            self.finish(token, Err(e.to_string()));
                            continue;
                        }
                        let request = c.exchange.request(&self.config.user_agent);
                        c.stage = Stage::Open { stream, request, written: 0 };
                    }
                    Err(e) => self.finish(token, Err(format!("cannot connect to {addr}: {e}"))),
                },
                Ok(None) | Err(TryRecvError::Disconnected) => self.finish(token, Err("cannot resolve host".into())),
            }
        }
    }

    /// Writes the request and reads the reply as far as the socket allows.
    fn drive(&mut self, token: usize) {
        let Some(c) = self.conns.get_mut(&token) else { return };
        let Stage::Open { stream, request, written } = &mut c.stage else { return };
        if let Ok(Some(e)) | Err(e) = stream.socket_mut().take_error() {
            self.finish(token, Err(e.to_string()));
            return;
        }
        while *written < request.len() {
            match stream.write(&request[*written..]) {
                Ok(n) => *written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.finish(token, Err(e.to_string()));
                    return;
                }
            }
        }
        let outcome = loop {
            match stream.read(&mut self.read_buf) {
                Ok(0) => break Some(c.exchange.eof()),
                Ok(n) => match c.exchange.feed(&self.read_buf[..n]) {
                    Ok(Progress::NeedMore) => {}
                    other => break Some(other),
                },
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Some(Err(crate::announce::http_client::HttpError::Malformed(e.to_string()))),
            }
        };
        match outcome {
            None | Some(Ok(Progress::NeedMore)) => {}
            Some(Ok(Progress::Done { status, body })) => self.finish(token, Ok((status, body))),
            Some(Ok(Progress::Redirect(to))) => self.finish(token, Err(format!("redirected to {to} (not followed)"))),
            Some(Err(e)) => self.finish(token, Err(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn wait_results(d: &OutgoingDriver<u32>, n: usize) -> Vec<(u32, OutgoingResult)> {
        let t0 = Instant::now();
        let mut all = Vec::new();
        while all.len() < n && t0.elapsed() < Duration::from_secs(10) {
            all.extend(d.results());
            std::thread::sleep(Duration::from_millis(10));
        }
        all.sort_by_key(|(t, _)| *t);
        all
    }

    #[test]
    fn gets_replies_errors_and_timeouts() {
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        std::thread::spawn(move || {
            for (i, s) in server.incoming().take(2).enumerate() {
                let mut s = s.unwrap();
                let mut buf = [0u8; 1024];
                let n = s.read(&mut buf).unwrap();
                assert!(buf[..n].starts_with(b"GET /announce?x=1 HTTP/1.1\r\n"));
                if i == 0 {
                    s.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello").unwrap();
                } else {
                    // Say nothing until the client gives up.
                    std::thread::sleep(Duration::from_millis(1500));
                }
            }
        });
        let config = OutgoingConfig { timeout: Duration::from_millis(700), ..OutgoingConfig::default() };
        let d = OutgoingDriver::start(config).unwrap();
        assert!(d.submit(1, format!("http://{addr}/announce?x=1")));
        std::thread::sleep(Duration::from_millis(200));
        assert!(d.submit(2, format!("http://{addr}/announce?x=1")));
        assert!(d.submit(3, "http://127.0.0.1:1/closed".into()));
        assert!(d.submit(4, "ftp://nope/".into()));
        let r = wait_results(&d, 4);
        assert_eq!(r.len(), 4, "{r:?}");
        assert_eq!(r[0].1, Ok((200, b"hello".to_vec())));
        assert_eq!(r[1].1, Err("timed out".into()));
        assert!(r[2].1.is_err() && r[3].1.is_err());
    }

    #[test]
    fn the_queue_is_bounded() {
        let config = OutgoingConfig { max_queued: 2, max_in_flight: 1, ..OutgoingConfig::default() };
        let d: OutgoingDriver<u32> = OutgoingDriver::start(config).unwrap();
        // Unroutable (TEST-NET-1) and slow to fail: the first job stays in flight.
        let accepted = (0..50).filter(|&i| d.submit(i, "http://192.0.2.1:9/".into())).count();
        assert!(accepted < 50, "a full queue refuses jobs");
    }
}
