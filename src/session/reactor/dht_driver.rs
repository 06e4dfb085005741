//! The session's DHT (BEP 5) on the reactor: one UDP socket on the listening port, datagrams
//! into the sans-I/O [`Dht`] and its output back out (datagrams sent, peers handed to torrents),
//! each public torrent's periodic `get_peers` announcing our port, bootstrap addresses resolved
//! off the thread, the nodes peers name in `PORT` messages, and the node's id and table saved in
//! the resume directory (every 10 minutes and at shutdown) to rejoin through on the next start.

use super::Reactor;
use crate::dht::{Dht, DhtOutput, DhtState, NodeId};
use crate::session::swarm::Swarm;
use crate::session::tracker_io::resolve;
use crossbeam_channel::Receiver;
use mio::net::UdpSocket;
use mio::{Interest, Registry, Token};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The DHT socket's token.
pub(super) const DHT_TOKEN: Token = Token(2);
/// A torrent searches the DHT again this often (its announce stays alive at the nodes).
const RESEARCH: Duration = Duration::from_secs(15 * 60);
/// A torrent still fetching its metadata searches this often.
const RESEARCH_MAGNET: Duration = Duration::from_secs(60);
/// A search that reached no node is tried again this soon (the table may have filled since).
const RETRY_EMPTY: Duration = Duration::from_secs(5);
/// Most datagrams read per readiness event.
const READ_BATCH: usize = 256;
/// The node's state is saved this often (and at shutdown).
const SAVE_EVERY: Duration = Duration::from_secs(10 * 60);

/// The DHT of a session and its socket.
pub(super) struct DhtDriver {
    socket: UdpSocket,
    /// The UDP port (sent in `PORT` messages).
    pub(super) port: u16,
    dht: Dht,
    resolving: Vec<Receiver<Option<SocketAddr>>>,
    next_search: HashMap<[u8; 20], Instant>,
    state_file: Option<PathBuf>,
    saved: Instant,
}

impl DhtDriver {
    /// Binds the DHT socket on `addr` (IPv4: BEP 5) and registers it; `bootstrap` are
    /// `host:port` names resolved off the reactor thread; the node resumes from `state_file`
    /// when it holds a saved state.
    pub(super) fn start(
        addr: SocketAddr,
        bootstrap: &[String],
        state_file: Option<PathBuf>,
        registry: &Registry,
        now: Instant,
    ) -> std::io::Result<DhtDriver> {
        let ip = match addr.ip() {
            IpAddr::V4(ip) => ip,
            IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
        };
        let mut socket = UdpSocket::bind(SocketAddr::new(IpAddr::V4(ip), addr.port()))?;
        registry.register(&mut socket, DHT_TOKEN, Interest::READABLE)?;
        let port = socket.local_addr()?.port();
        let saved = state_file.as_ref().and_then(|f| std::fs::read(f).ok()).and_then(|b| DhtState::parse(&b));
        let dht = saved.map_or_else(|| Dht::new(NodeId::random(), now), |s| Dht::restore(&s, now));
        let mut d =
            DhtDriver { socket, port, dht, resolving: Vec::new(), next_search: HashMap::new(), state_file, saved: now };
        for name in bootstrap {
            d.resolve(name);
        }
        Ok(d)
    }

    /// Saves the node's id and table (best effort: a failure only costs the next start its
    /// head start).
    pub(super) fn save(&mut self, now: Instant) {
        self.saved = now;
        if let Some(file) = &self.state_file {
            if let Some(dir) = file.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = crate::fsutil::write_atomic(file, &self.dht.state().encode());
        }
    }

    fn resolve(&mut self, name: &str) {
        let Some((host, port)) = name.trim().rsplit_once(':') else { return };
        let Ok(port) = port.parse::<u16>() else { return };
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        if self.resolving.len() < 64 {
            self.resolving.push(resolve(host, port));
        }
    }
}

impl Reactor {
    /// Reads the datagrams waiting on the DHT socket.
    pub(super) fn dht_readable(&mut self, now: Instant) {
        let Some(d) = self.dht.as_mut() else { return };
        let mut buf = [0u8; 2048];
        for _ in 0..READ_BATCH {
            match d.socket.recv_from(&mut buf) {
                Ok((n, SocketAddr::V4(from))) => d.dht.on_datagram(from, &buf[..n], now),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => break,
            }
        }
        self.dht_flush(now);
    }

    /// Periodic DHT work: resolved bootstrap names, timeouts, and the torrents' searches.
    pub(super) fn dht_tick(&mut self, now: Instant) {
        let Some(d) = self.dht.as_mut() else { return };
        d.resolving.retain(|rx| match rx.try_recv() {
            Ok(Some(SocketAddr::V4(a))) => {
                d.dht.add_bootstrap(a);
                false
            }
            Ok(_) => false,
            Err(crossbeam_channel::TryRecvError::Empty) => true,
            Err(crossbeam_channel::TryRecvError::Disconnected) => false,
        });
        d.dht.tick(now);
        if now.saturating_duration_since(d.saved) >= SAVE_EVERY {
            d.save(now);
        }
        self.cfg.dht_nodes.store(d.dht.node_count(), std::sync::atomic::Ordering::Relaxed);
        let port = (self.listen_port != 0).then_some(self.listen_port);
        let torrents = self.torrents.values().filter(|t| !t.meta.is_private() && !t.paused && t.announce_ready());
        let torrents = torrents.map(|t| (t.info_hash, RESEARCH, t.meta.nodes()));
        let magnets = self.magnets.values().filter(|m| !m.is_paused() && !m.private);
        let magnets = magnets.map(|m| (m.info_hash(), RESEARCH_MAGNET, &[][..]));
        for (hash, every, nodes) in torrents.chain(magnets) {
            match d.next_search.get(&hash) {
                Some(due) if *due > now => continue,
                Some(_) => {}
                // A torrent's first search: the `nodes` of its .torrent join the bootstrap list.
                None => nodes.iter().for_each(|(host, p)| d.resolve(&format!("{host}:{p}"))),
            }
            d.next_search.insert(hash, now + every);
            d.dht.get_peers(hash, port, now);
        }
        d.next_search.retain(|h, _| self.by_hash.contains_key(h));
        self.dht_flush(now);
    }

    /// Pings the DHT node a peer named in a `PORT` message.
    pub(super) fn dht_add_node(&mut self, ip: IpAddr, port: u16, now: Instant) {
        let (Some(d), IpAddr::V4(ip)) = (self.dht.as_mut(), ip) else { return };
        d.dht.add_node(SocketAddrV4::new(ip, port), now);
        self.dht_flush(now);
    }

    /// Sends what the DHT queued and hands found peers to their torrents.
    fn dht_flush(&mut self, now: Instant) {
        let Some(d) = self.dht.as_mut() else { return };
        let mut found = Vec::new();
        for out in d.dht.take_output() {
            match out {
                // A full socket buffer drops the datagram, as the network may.
                DhtOutput::Send(to, bytes) => {
                    let _ = d.socket.send_to(&bytes, SocketAddr::V4(to));
                }
                DhtOutput::Peers(hash, peers) => found.push((hash, peers)),
                DhtOutput::LookupDone { info_hash, nodes: 0 } => {
                    d.next_search.insert(info_hash, now + RETRY_EMPTY);
                }
                DhtOutput::LookupDone { .. } => {}
            }
        }
        for (hash, peers) in found {
            let Some(id) = self.by_hash.get(&hash).copied() else { continue };
            let addrs: Vec<SocketAddr> = peers.into_iter().map(SocketAddr::V4).collect();
            if let Some(swarm) = self.swarm_mut(id) {
                swarm.add_peers(&addrs, now);
            }
        }
    }
}
