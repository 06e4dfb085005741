//! Starting and stopping the fronts: binds one `SO_REUSEPORT` TCP listener and UDP socket per
//! worker thread and address, runs the workers, and stops them on request.

use std::net::{IpAddr, SocketAddr};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use mio::{Poll, Waker};

use super::http_conn::ConnLimits;
use super::socket::{bind_reuseport, local_addr, wildcard, SocketKind};
use super::weblog::WebLog;
use super::worker::{self, WorkerSetup, WAKER_TOKEN};
use super::FrontError;
use crate::tracker::handler::{HttpHandler, UdpHandler};

/// How the fronts listen.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontConfig {
    /// Addresses to bind (`--bind`); empty means the wildcard address.
    pub binds: Vec<IpAddr>,
    /// Port for both TCP and UDP; 0 lets the OS choose (read it back from [`Front::http_addrs`]).
    pub port: u16,
    /// Use the IPv6 wildcard when `binds` is empty (`--ipv6_enabled`).
    pub ipv6_enabled: bool,
    /// An IPv6 socket also accepts IPv4 (`--ipv6_binds_v4`); ignored when `binds` names IPv4 addresses.
    pub ipv6_binds_v4: bool,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Most open HTTP connections over all workers; more are closed right after accept.
    pub max_connections: usize,
    /// An HTTP connection idle or stalled this long is closed (`--socket_timeout`).
    pub socket_timeout: Duration,
    /// Per-connection size limits.
    pub limits: ConnLimits,
}

impl Default for FrontConfig {
    fn default() -> Self {
        FrontConfig {
            binds: Vec::new(),
            port: 0,
            ipv6_enabled: false,
            ipv6_binds_v4: true,
            workers: 0,
            max_connections: 4096,
            socket_timeout: Duration::from_secs(15),
            limits: ConnLimits::default(),
        }
    }
}

/// The handlers the fronts serve; a front without a handler is not started.
#[derive(Clone, Default)]
pub struct Handlers {
    /// Serves HTTP on TCP.
    pub http: Option<Arc<dyn HttpHandler>>,
    /// Serves BEP 15 on UDP.
    pub udp: Option<Arc<dyn UdpHandler>>,
    /// Receives one line per HTTP response.
    pub log: Option<Arc<WebLog>>,
}

/// Running fronts; dropping it stops them.
#[derive(Debug)]
pub struct Front {
    http_addrs: Vec<SocketAddr>,
    udp_addrs: Vec<SocketAddr>,
    stop: Arc<AtomicBool>,
    wakers: Vec<Arc<Waker>>,
    threads: Vec<JoinHandle<std::io::Result<()>>>,
}

impl Front {
    /// Binds the sockets and starts the worker threads.
    pub fn start(config: &FrontConfig, handlers: Handlers) -> Result<Front, FrontError> {
        if handlers.http.is_none() && handlers.udp.is_none() {
            return Err(FrontError::NoHandler);
        }
        let workers = if config.workers == 0 {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        } else {
            config.workers
        };
        let sockets = bind_all(config, &handlers, workers)?;
        let stop = Arc::new(AtomicBool::new(false));
        let mut front = Front {
            http_addrs: sockets.http_addrs,
            udp_addrs: sockets.udp_addrs,
            stop: stop.clone(),
            wakers: Vec::new(),
            threads: Vec::new(),
        };
        for (n, (tcp, udp)) in sockets.per_worker.into_iter().enumerate() {
            let poll = Poll::new().map_err(FrontError::Poll)?;
            let waker = Arc::new(Waker::new(poll.registry(), WAKER_TOKEN).map_err(FrontError::Poll)?);
            let setup = WorkerSetup {
                poll,
                listeners: tcp.into_iter().map(|fd| mio::net::TcpListener::from_std(fd.into())).collect(),
                udp_sockets: udp.into_iter().map(|fd| mio::net::UdpSocket::from_std(fd.into())).collect(),
                http: handlers.http.clone(),
                udp: handlers.udp.clone(),
                log: handlers.log.clone(),
                limits: config.limits,
                max_connections: config.max_connections.div_ceil(workers).max(1),
                socket_timeout: config.socket_timeout,
                stop: stop.clone(),
            };
            let thread = std::thread::Builder::new()
                .name(format!("bitgocho-front-{n}"))
                .spawn(move || worker::run(setup))
                .map_err(FrontError::Thread)?;
            front.wakers.push(waker);
            front.threads.push(thread);
        }
        Ok(front)
    }

    /// The addresses the HTTP front listens on (with the real port when 0 was asked).
    pub fn http_addrs(&self) -> &[SocketAddr] {
        &self.http_addrs
    }

    /// The addresses the UDP front listens on.
    pub fn udp_addrs(&self) -> &[SocketAddr] {
        &self.udp_addrs
    }

    /// Stops the workers (flushing their logs) and waits for them.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for w in &self.wakers {
            let _ = w.wake();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Bound {
    http_addrs: Vec<SocketAddr>,
    udp_addrs: Vec<SocketAddr>,
    per_worker: Vec<(Vec<OwnedFd>, Vec<OwnedFd>)>,
}

/// Binds every (worker, address) socket; the first bind fixes the port when 0 was asked.
fn bind_all(config: &FrontConfig, handlers: &Handlers, workers: usize) -> Result<Bound, FrontError> {
    let ips: Vec<IpAddr> =
        if config.binds.is_empty() { vec![wildcard(config.ipv6_enabled, 0).ip()] } else { config.binds.clone() };
    let any_v4 = config.binds.iter().any(IpAddr::is_ipv4);
    let v6_only = !config.ipv6_binds_v4 || any_v4;
    let mut port = config.port;
    let mut bound = Bound { http_addrs: Vec::new(), udp_addrs: Vec::new(), per_worker: Vec::new() };
    for w in 0..workers {
        let mut tcp = Vec::new();
        let mut udp = Vec::new();
        for ip in &ips {
            let kinds = [(SocketKind::Tcp, handlers.http.is_some()), (SocketKind::Udp, handlers.udp.is_some())];
            for (kind, wanted) in kinds {
                if !wanted {
                    continue;
                }
                let addr = SocketAddr::new(*ip, port);
                let fd = bind_reuseport(addr, kind, v6_only).map_err(|source| FrontError::Bind { addr, source })?;
                let actual = local_addr(&fd).map_err(|source| FrontError::Bind { addr, source })?;
                port = actual.port();
                if w == 0 {
                    match kind {
                        SocketKind::Tcp => bound.http_addrs.push(actual),
                        SocketKind::Udp => bound.udp_addrs.push(actual),
                    }
                }
                match kind {
                    SocketKind::Tcp => tcp.push(fd),
                    SocketKind::Udp => udp.push(fd),
                }
            }
        }
        bound.per_worker.push((tcp, udp));
    }
    Ok(bound)
}
