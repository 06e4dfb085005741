//! One web seed HTTP request on the reactor's mio registry: name resolution off the thread,
//! connect (or reuse the kept-alive connection of the seed's previous request), send, and the
//! reply parsed by the shared sans-I/O [`HttpExchange`], following redirects up to
//! [`MAX_REDIRECTS`] and giving up when no byte arrives for the idle timeout.

use super::reply::Reply;
use super::WebSeedError;
use crate::announce::http_client::{ExchangeOptions, HttpExchange, Progress, MAX_REDIRECTS};
use crate::session::tracker_io::{resolve, USER_AGENT};
use crate::tls::{TlsClient, Transport};
use crossbeam_channel::Receiver;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest body accepted for an error reply (a 404 page) beyond the bytes asked for.
const ERROR_BODY: usize = 64 * 1024;
/// Longest a request may take in all, however steadily its bytes trickle in.
pub const MAX_REQUEST_TIME: Duration = Duration::from_secs(300);

enum Stage {
    Resolving(Receiver<Option<SocketAddr>>),
    Http { stream: Transport<TcpStream>, request: Vec<u8>, written: usize },
    Done,
}

/// How a request stands after being driven.
#[derive(Debug)]
pub enum FetchOutcome {
    /// Still running.
    Pending,
    /// The complete reply.
    Reply(Reply),
    /// It failed.
    Failed(WebSeedError),
}

/// A connection left open by a finished request, for the same seed's next one.
pub struct IdleConn {
    host: String,
    port: u16,
    https: bool,
    stream: Transport<TcpStream>,
}

impl IdleConn {
    /// Deregisters and closes it.
    pub fn close(mut self, registry: &Registry) {
        let _ = registry.deregister(self.stream.socket_mut());
    }
}

/// One in-flight web seed request.
pub struct HttpFetch {
    url: String,
    options: ExchangeOptions,
    exchange: HttpExchange,
    redirects: usize,
    stage: Stage,
    idle_timeout: Duration,
    last_progress: Instant,
    started: Instant,
    /// Sent on a kept-alive connection (which the server may have closed meanwhile).
    reused: bool,
    idle: Option<IdleConn>,
    tls: Arc<TlsClient>,
}

impl HttpFetch {
    /// Starts a GET of `url` (with `Range: bytes=first-last` when `range` is set) expecting
    /// `len` body bytes, on `reuse` when it goes to the same host and port (it is closed
    /// otherwise); `tls` serves https. Resolution begins at once.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        url: &str,
        range: Option<(u64, u64)>,
        len: u32,
        idle_timeout: Duration,
        reuse: Option<IdleConn>,
        tls: &Arc<TlsClient>,
        registry: &Registry,
        now: Instant,
    ) -> Result<HttpFetch, WebSeedError> {
        let mut headers = Vec::new();
        if let Some((a, b)) = range {
            headers.push(("Range".to_string(), format!("bytes={a}-{b}")));
        }
        let options =
            ExchangeOptions { max_body: (len as usize).max(ERROR_BODY), headers, gzip: false, keep_alive: true };
        let exchange = match HttpExchange::with_options(url, options.clone()) {
            Ok(x) => x,
            Err(e) => {
                if let Some(c) = reuse {
                    c.close(registry);
                }
                return Err(e.into());
            }
        };
        let (host, port) = exchange.target();
        let (stage, reused) = match reuse {
            Some(c) if c.host == host && c.port == port && c.https == exchange.is_https() => {
                let request = exchange.request(USER_AGENT);
                (Stage::Http { stream: c.stream, request, written: 0 }, true)
            }
            other => {
                if let Some(c) = other {
                    c.close(registry);
                }
                (Stage::Resolving(resolve(host.to_string(), port)), false)
            }
        };
        Ok(HttpFetch {
            url: url.to_string(),
            options,
            exchange,
            redirects: 0,
            stage,
            idle_timeout,
            last_progress: now,
            started: now,
            reused,
            idle: None,
            tls: tls.clone(),
        })
    }

    /// The connection of a finished request that may carry the seed's next one.
    pub fn take_idle(&mut self) -> Option<IdleConn> {
        self.idle.take()
    }

    /// When the reactor must look at it again without an event.
    pub fn deadline(&self) -> Instant {
        match self.stage {
            Stage::Resolving(_) => Instant::now() + Duration::from_millis(20),
            _ => (self.last_progress + self.idle_timeout).min(self.started + MAX_REQUEST_TIME),
        }
    }

    /// Advances the request after an event on `token` or on a timer.
    pub fn drive(&mut self, registry: &Registry, token: Token, now: Instant) -> FetchOutcome {
        if now.saturating_duration_since(self.last_progress) > self.idle_timeout {
            self.close(registry);
            return FetchOutcome::Failed(WebSeedError::Timeout(self.idle_timeout));
        }
        if now.saturating_duration_since(self.started) > MAX_REQUEST_TIME {
            self.close(registry);
            return FetchOutcome::Failed(WebSeedError::TooSlow(MAX_REQUEST_TIME));
        }
        match self.step(registry, token, now) {
            Ok(FetchOutcome::Pending) => FetchOutcome::Pending,
            Ok(done) => {
                if self.exchange.reusable() {
                    self.keep();
                }
                self.close(registry);
                done
            }
            Err(_) if self.reused && self.exchange.status().is_none() => {
                // The server closed the kept-alive connection before answering: ask again on a
                // fresh one.
                self.close(registry);
                self.reused = false;
                match HttpExchange::with_options(&self.url, self.options.clone()) {
                    Ok(x) => self.exchange = x,
                    Err(e) => return FetchOutcome::Failed(e.into()),
                }
                let (host, port) = self.exchange.target();
                self.stage = Stage::Resolving(resolve(host.to_string(), port));
                self.drive(registry, token, now)
            }
            Err(e) => {
                self.close(registry);
                FetchOutcome::Failed(e)
            }
        }
    }

    /// Moves the connection of a complete, reusable reply aside for the next request.
    fn keep(&mut self) {
        if let Stage::Http { stream, .. } = std::mem::replace(&mut self.stage, Stage::Done) {
            let (host, port) = self.exchange.target();
            self.idle = Some(IdleConn { host: host.to_string(), port, https: self.exchange.is_https(), stream });
        }
    }

    fn step(&mut self, registry: &Registry, token: Token, now: Instant) -> Result<FetchOutcome, WebSeedError> {
        let net = |e: std::io::Error| WebSeedError::Network(e.to_string());
        loop {
            match &mut self.stage {
                Stage::Resolving(rx) => {
                    let Ok(addr) = rx.try_recv() else { return Ok(FetchOutcome::Pending) };
                    let addr = addr.ok_or_else(|| WebSeedError::Network("cannot resolve the host".into()))?;
                    let (host, _) = self.exchange.target();
                    let tls = self.exchange.is_https().then_some((&*self.tls, host));
                    let mut stream =
                        Transport::new(TcpStream::connect(addr).map_err(net)?, tls).map_err(WebSeedError::Network)?;
                    let interest = Interest::READABLE | Interest::WRITABLE;
                    registry.register(stream.socket_mut(), token, interest).map_err(net)?;
                    let request = self.exchange.request(USER_AGENT);
                    self.stage = Stage::Http { stream, request, written: 0 };
                    self.last_progress = now;
                }
                Stage::Http { stream, request, written } => {
                    while *written < request.len() {
                        match stream.write(&request[*written..]) {
                            Ok(n) => *written += n,
                            Err(e) if blocked(&e) => return Ok(FetchOutcome::Pending),
                            Err(e) => return Err(net(e)),
                        }
                    }
                    let mut buf = [0u8; 64 * 1024];
                    let progress = loop {
                        let progress = match stream.read(&mut buf) {
                            Ok(0) => self.exchange.eof()?,
                            Ok(n) => {
                                self.last_progress = now;
                                self.exchange.feed(&buf[..n])?
                            }
                            Err(e) if blocked(&e) => return Ok(FetchOutcome::Pending),
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                            Err(e) => return Err(net(e)),
                        };
                        if progress != Progress::NeedMore {
                            break progress;
                        }
                    };
                    match progress {
                        Progress::Redirect(to) => self.redirect(registry, &to)?,
                        Progress::Done { status, body } => {
                            let header = |n: &str| self.exchange.header(n).map(str::to_string);
                            let reply = Reply {
                                status,
                                content_range: header("content-range"),
                                retry_after: header("retry-after"),
                                body,
                            };
                            return Ok(FetchOutcome::Reply(reply));
                        }
                        Progress::NeedMore => unreachable!("loop breaks only on an outcome"),
                    }
                }
                Stage::Done => return Ok(FetchOutcome::Pending),
            }
        }
    }

    fn redirect(&mut self, registry: &Registry, to: &str) -> Result<(), WebSeedError> {
        self.close(registry);
        self.redirects += 1;
        if self.redirects > MAX_REDIRECTS {
            return Err(WebSeedError::Redirects(MAX_REDIRECTS));
        }
        self.exchange = HttpExchange::with_options(to, self.options.clone())?;
        self.url = to.to_string();
        let (host, port) = self.exchange.target();
        self.stage = Stage::Resolving(resolve(host.to_string(), port));
        Ok(())
    }

    /// Deregisters and drops the socket.
    pub fn close(&mut self, registry: &Registry) {
        if let Stage::Http { mut stream, .. } = std::mem::replace(&mut self.stage, Stage::Done) {
            let _ = registry.deregister(stream.socket_mut());
        }
    }
}

fn blocked(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::NotConnected)
}
