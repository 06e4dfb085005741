//! The reactor's tracker connections: one in-flight announce or scrape (BEP 48) per torrent,
//! over HTTP or HTTPS (through the sans-I/O [`HttpExchange`]) or UDP (BEP 15), with name
//! resolution off the reactor thread.

use super::announcer::DueAnnounce;
use crate::announce::http_client::{HttpExchange, Progress, MAX_REDIRECTS};
use crate::announce::request::scrape_url;
use crate::announce::udp::{self, UdpReply};
use crate::announce::{AnnounceCrypto, AnnounceReply, AnnounceRequest, ScrapeReply, ScrapeStats, TrackerUrl};
use crate::tls::{TlsClient, Transport};
use crossbeam_channel::Receiver;
use mio::net::{TcpStream, UdpSocket};
use mio::{Interest, Registry, Token};
use std::io::{Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one tracker request may take in all.
pub const TRACKER_TIMEOUT: Duration = Duration::from_secs(30);
/// Wait before resending a UDP packet.
const UDP_RETRY: Duration = Duration::from_secs(5);

/// User-Agent of HTTP announces.
pub const USER_AGENT: &str = concat!("BitGocho/", env!("CARGO_PKG_VERSION"));

enum Stage {
    Resolving(Receiver<Option<SocketAddr>>),
    Http { stream: Transport<TcpStream>, exchange: HttpExchange, request: Vec<u8>, written: usize },
    Udp { socket: UdpSocket, tid: u32, connection: Option<u64>, sent_at: Instant, tries: u32 },
    Done,
}

/// One in-flight tracker request.
pub struct TrackerConn {
    /// The torrent it is for.
    pub torrent: u32,
    /// What is being announced.
    pub due: DueAnnounce,
    request: AnnounceRequest,
    /// A scrape of `request.info_hash` rather than an announce.
    scrape: bool,
    url: String,
    redirects: usize,
    stage: Stage,
    deadline: Instant,
    tls: Arc<TlsClient>,
}

/// How a tracker request ended.
pub enum TrackerOutcome {
    /// Still running.
    Pending,
    /// A reply.
    Reply(AnnounceReply),
    /// A failure, with its text.
    Failed(String),
    /// The counts a scrape gave for the torrent.
    Scraped(ScrapeStats),
    /// A failed scrape, with its text.
    ScrapeFailed(String),
}

/// The UDP announce packet for `request`, or with `scrape` the scrape of its torrent.
fn udp_request(scrape: bool, request: &AnnounceRequest, connection: u64, tid: u32) -> Vec<u8> {
    if scrape {
        udp::scrape_request(connection, tid, &[request.info_hash])
    } else {
        udp::announce_request(connection, tid, request)
    }
}

pub(crate) fn resolve(host: String, port: u16) -> Receiver<Option<SocketAddr>> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        let _ = tx.send(Some(SocketAddr::new(ip, port)));
        return rx;
    }
    let spawned = std::thread::Builder::new().name("bitgocho-resolve".into()).spawn(move || {
        let addr = (host.as_str(), port).to_socket_addrs().ok().and_then(|mut a| a.next());
        let _ = tx.send(addr);
    });
    if spawned.is_err() {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let _ = tx.send(None);
        return rx;
    }
    rx
}

impl TrackerConn {
    /// Starts an announce, or with `scrape` a scrape of `request.info_hash` (`tls` serves https
    /// trackers); resolution begins at once.
    pub fn start(
        torrent: u32,
        due: DueAnnounce,
        request: AnnounceRequest,
        scrape: bool,
        tls: Arc<TlsClient>,
        now: Instant,
    ) -> Result<TrackerConn, String> {
        let url = due.url.clone();
        let mut c = TrackerConn {
            torrent,
            due,
            request,
            scrape,
            url: url.clone(),
            redirects: 0,
            stage: Stage::Done,
            deadline: now + TRACKER_TIMEOUT,
            tls,
        };
        c.begin(&url)?;
        Ok(c)
    }

    fn begin(&mut self, url: &str) -> Result<(), String> {
        let parsed = TrackerUrl::parse(url).map_err(|e| e.to_string())?;
        if parsed.scheme == "udp" && !self.scrape && self.request.crypto == AnnounceCrypto::Stealth {
            // BEP 15 has a port field but no `cryptoport`: announcing there would tell
            // plaintext clients the port that crypto_stealth hides.
            return Err("UDP tracker skipped: crypto_stealth keeps our port from trackers that cannot \
                        announce it as encrypted-only (BEP 15 has no cryptoport)"
                .into());
        }
        self.url = url.to_string();
        self.stage = Stage::Resolving(resolve(parsed.host, parsed.port));
        Ok(())
    }

    /// When the reactor must look at this request again without an event.
    pub fn deadline(&self) -> Instant {
        match &self.stage {
            Stage::Resolving(_) => Instant::now() + Duration::from_millis(20),
            Stage::Udp { sent_at, .. } => (*sent_at + UDP_RETRY).min(self.deadline),
            _ => self.deadline,
        }
    }

    /// Whether this is a scrape.
    pub fn is_scrape(&self) -> bool {
        self.scrape
    }

    /// Advances the request: after an event on its token, or on a timer.
    pub fn drive(&mut self, registry: &Registry, token: Token, now: Instant) -> TrackerOutcome {
        let scrape = self.scrape;
        let failed = move |e: String| if scrape { TrackerOutcome::ScrapeFailed(e) } else { TrackerOutcome::Failed(e) };
        if now >= self.deadline {
            self.close(registry);
            return failed("Problem connecting to tracker - timeout exceeded".into());
        }
        match self.step(registry, token, now) {
            Ok(out) => out,
            Err(e) => {
                self.close(registry);
                failed(e)
            }
        }
    }

    /// The counts for our torrent in a scrape reply, or why there are none.
    fn our_counts(&self, reply: ScrapeReply) -> Result<TrackerOutcome, String> {
        reply
            .files
            .into_iter()
            .find(|(hash, _)| *hash == self.request.info_hash)
            .map(|(_, stats)| TrackerOutcome::Scraped(stats))
            .ok_or_else(|| "the scrape reply has no entry for this torrent".into())
    }

    fn step(&mut self, registry: &Registry, token: Token, now: Instant) -> Result<TrackerOutcome, String> {
        match &mut self.stage {
            Stage::Resolving(rx) => {
                let Ok(addr) = rx.try_recv() else { return Ok(TrackerOutcome::Pending) };
                let addr =
                    addr.ok_or_else(|| format!("Problem connecting to tracker - cannot resolve {}", self.url))?;
                self.connect(registry, token, addr, now)?;
                self.step(registry, token, now)
            }
            Stage::Http { stream, exchange, request, written } => {
                while *written < request.len() {
                    match stream.write(&request[*written..]) {
                        Ok(n) => *written += n,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(TrackerOutcome::Pending),
                        Err(e) if e.kind() == std::io::ErrorKind::NotConnected => return Ok(TrackerOutcome::Pending),
                        Err(e) => return Err(format!("Problem connecting to tracker - {e}")),
                    }
                }
                let mut buf = [0u8; 16384];
                loop {
                    let progress = match stream.read(&mut buf) {
                        Ok(0) => exchange.eof(),
                        Ok(n) => exchange.feed(&buf[..n]),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(TrackerOutcome::Pending),
                        Err(e) => return Err(format!("Problem connecting to tracker - {e}")),
                    }
                    .map_err(|e| format!("bad data from tracker - {e}"))?;
                    match progress {
                        Progress::NeedMore => continue,
                        Progress::Redirect(to) => {
                            self.close(registry);
                            self.redirects += 1;
                            if self.redirects > MAX_REDIRECTS {
                                return Err("Problem connecting to tracker - too many redirects".into());
                            }
                            self.begin(&to)?;
                            return Ok(TrackerOutcome::Pending);
                        }
                        Progress::Done { status, body } => {
                            self.close(registry);
                            if status != 200 && body.is_empty() {
                                return Err(format!("Problem connecting to tracker - HTTP {status}"));
                            }
                            if self.scrape {
                                let reply = ScrapeReply::parse(&body).map_err(|e| e.to_string())?;
                                return self.our_counts(reply);
                            }
                            return AnnounceReply::parse(&body).map(TrackerOutcome::Reply).map_err(|e| e.to_string());
                        }
                    }
                }
            }
            Stage::Udp { socket, tid, connection, sent_at, tries } => {
                let mut buf = [0u8; 2048];
                loop {
                    match socket.recv(&mut buf) {
                        Ok(n) => match udp::parse_reply(&buf[..n], *tid, self.request.ip.is_some()) {
                            Ok(UdpReply::Connected(id)) => {
                                *connection = Some(id);
                                *tid = rand::random();
                                *tries = 0;
                                *sent_at = now;
                                let _ = socket.send(&udp_request(self.scrape, &self.request, id, *tid));
                            }
                            Ok(UdpReply::Announced(reply)) => {
                                self.close(registry);
                                return Ok(TrackerOutcome::Reply(reply));
                            }
                            Ok(UdpReply::Scraped(counts)) if self.scrape => {
                                self.close(registry);
                                let stats = counts.first().copied().ok_or("the scrape reply has no entry")?;
                                return Ok(TrackerOutcome::Scraped(stats));
                            }
                            Ok(UdpReply::Scraped(_)) => {}
                            Err(crate::announce::ReplyError::Failure(m)) => {
                                return Err(format!("rejected by tracker - {m}"))
                            }
                            Err(_) => {} // another transaction or garbage: ignore
                        },
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(format!("Problem connecting to tracker - {e}")),
                    }
                }
                if now >= *sent_at + UDP_RETRY {
                    *tries += 1;
                    *sent_at = now;
                    let packet = match connection {
                        Some(id) => udp_request(self.scrape, &self.request, *id, *tid),
                        None => udp::connect_request(*tid).to_vec(),
                    };
                    let _ = socket.send(&packet);
                }
                Ok(TrackerOutcome::Pending)
            }
            Stage::Done => Ok(TrackerOutcome::Pending),
        }
    }

    fn connect(&mut self, registry: &Registry, token: Token, addr: SocketAddr, now: Instant) -> Result<(), String> {
        let parsed = TrackerUrl::parse(&self.url).map_err(|e| e.to_string())?;
        let err = |e: std::io::Error| format!("Problem connecting to tracker - {e}");
        if parsed.scheme == "udp" {
            let bind: SocketAddr =
                if addr.is_ipv4() { "0.0.0.0:0".parse().unwrap_or(addr) } else { "[::]:0".parse().unwrap_or(addr) };
            let mut socket = UdpSocket::bind(bind).map_err(err)?;
            socket.connect(addr).map_err(err)?;
            registry.register(&mut socket, token, Interest::READABLE).map_err(err)?;
            let tid: u32 = rand::random();
            socket.send(&udp::connect_request(tid)).map_err(err)?;
            self.stage = Stage::Udp { socket, tid, connection: None, sent_at: now, tries: 0 };
        } else {
            let exchange = HttpExchange::new(&self.url_with_query()?).map_err(|e| e.to_string())?;
            let request = exchange.request(USER_AGENT);
            let tls = exchange.is_https().then_some((&*self.tls, parsed.host.as_str()));
            let mut stream = Transport::new(TcpStream::connect(addr).map_err(err)?, tls)?;
            registry.register(stream.socket_mut(), token, Interest::READABLE | Interest::WRITABLE).map_err(err)?;
            self.stage = Stage::Http { stream, exchange, request, written: 0 };
        }
        Ok(())
    }

    fn url_with_query(&self) -> Result<String, String> {
        if self.redirects > 0 {
            Ok(self.url.clone())
        } else if self.scrape {
            scrape_url(&self.url, &[self.request.info_hash]).ok_or_else(|| {
                "this tracker has no scrape URL (BEP 48: its announce path does not end in `announce`)".into()
            })
        } else {
            Ok(self.request.http_url(&self.url))
        }
    }

    /// Deregisters and drops the sockets.
    pub fn close(&mut self, registry: &Registry) {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Http { mut stream, .. } => {
                let _ = registry.deregister(stream.socket_mut());
            }
            Stage::Udp { mut socket, .. } => {
                let _ = registry.deregister(&mut socket);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(crypto: AnnounceCrypto) -> AnnounceRequest {
        AnnounceRequest {
            info_hash: [7; 20],
            peer_id: *b"-BG0100-abcdefghijkl",
            port: 6881,
            uploaded: 0,
            downloaded: 0,
            left: 1,
            event: None,
            numwant: None,
            key: 1,
            tracker_id: None,
            ip: None,
            crypto,
        }
    }

    fn start(url: &str, crypto: AnnounceCrypto) -> Result<TrackerConn, String> {
        let due = DueAnnounce { url: url.into(), position: (0, 0), event: None, tracker_id: None };
        TrackerConn::start(1, due, request(crypto), false, Arc::default(), Instant::now())
    }

    #[test]
    fn stealth_never_announces_its_port_over_udp() {
        let err = start("udp://127.0.0.1:9/announce", AnnounceCrypto::Stealth).err().expect("refused");
        assert!(err.contains("crypto_stealth"), "{err}");
        assert!(start("udp://127.0.0.1:9/announce", AnnounceCrypto::Require).is_ok());
        // Over HTTP the port is hidden by the query itself (`port=0&cryptoport=N`).
        assert!(start("http://127.0.0.1:9/announce", AnnounceCrypto::Stealth).is_ok());
    }
}
