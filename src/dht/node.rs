//! A DHT node: answers the four queries, keeps its routing table alive, bootstraps from given
//! addresses, and runs `get_peers` lookups (announcing when asked) for the session's torrents.
//! Sans-I/O: datagrams and time go in ([`Dht::on_datagram`], [`Dht::tick`]); datagrams to send
//! and peers found come out ([`Dht::take_output`]).

use super::krpc::{Message, Query, Response};
use super::lookup::Lookup;
use super::node_id::NodeId;
use super::routing::{RoutingTable, K};
use super::state::{DhtState, MAX_SAVED};
use super::store::{PeerStore, Tokens};
use std::collections::HashMap;
use std::net::SocketAddrV4;
use std::time::{Duration, Instant};

/// A query unanswered this long has failed.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Bootstrap again this often while the table is nearly empty.
const BOOTSTRAP_EVERY: Duration = Duration::from_secs(30);
/// Most queries in flight at once (across lookups).
const MAX_IN_FLIGHT: usize = 256;
/// Most lookups at once.
const MAX_LOOKUPS: usize = 64;
/// Housekeeping (stale pings, token rotation, expiry of stored peers) runs this often.
const HOUSEKEEPING: Duration = Duration::from_secs(1);

/// What the node asks the session to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DhtOutput {
    /// Send a datagram.
    Send(SocketAddrV4, Vec<u8>),
    /// Peers of a torrent were found.
    Peers([u8; 20], Vec<SocketAddrV4>),
    /// A `get_peers` lookup ended; `nodes` answered it (0: the DHT knew no one to ask).
    LookupDone {
        /// The torrent.
        info_hash: [u8; 20],
        /// Nodes that answered.
        nodes: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Ping,
    Lookup([u8; 20]),
    Announce,
}

#[derive(Debug, Clone)]
struct Pending {
    addr: SocketAddrV4,
    sent: Instant,
    purpose: Purpose,
}

#[derive(Debug, Clone)]
struct Search {
    lookup: Lookup,
    /// Announce with this port once the lookup ends (a `get_peers` search); `None`: only
    /// look (and for our own id: fill the table).
    announce: Option<u16>,
    peers_reported: usize,
}

/// A DHT node.
#[derive(Debug)]
pub struct Dht {
    table: RoutingTable,
    tokens: Tokens,
    store: PeerStore,
    pending: HashMap<u16, Pending>,
    next_tid: u16,
    searches: HashMap<[u8; 20], Search>,
    bootstrap: Vec<SocketAddrV4>,
    last_bootstrap: Option<Instant>,
    last_housekeeping: Option<Instant>,
    out: Vec<DhtOutput>,
}

impl Dht {
    /// A node with id `own`.
    pub fn new(own: NodeId, now: Instant) -> Dht {
        Dht {
            table: RoutingTable::new(own),
            tokens: Tokens::new(now),
            store: PeerStore::default(),
            pending: HashMap::new(),
            next_tid: rand::random(),
            searches: HashMap::new(),
            bootstrap: Vec::new(),
            last_bootstrap: None,
            last_housekeeping: None,
            out: Vec::new(),
        }
    }

    /// A node resuming `state`: its id, and its old nodes as bootstrap addresses.
    pub fn restore(state: &DhtState, now: Instant) -> Dht {
        let mut d = Dht::new(state.id, now);
        state.nodes.iter().for_each(|a| d.add_bootstrap(*a));
        d
    }

    /// What to save to resume: the id and the table's nodes (the closest to us first).
    pub fn state(&self) -> DhtState {
        let nodes = self.table.closest(&self.id(), MAX_SAVED).into_iter().map(|(_, a)| a).collect();
        DhtState { id: self.id(), nodes }
    }

    /// Our id.
    pub fn id(&self) -> NodeId {
        self.table.own()
    }

    /// Nodes in the routing table.
    pub fn node_count(&self) -> usize {
        self.table.len()
    }

    /// Adds a bootstrap address (a router, or a node from a .torrent's `nodes`); it is asked
    /// for our neighbourhood at the next tick while the table is small.
    pub fn add_bootstrap(&mut self, addr: SocketAddrV4) {
        if addr.port() != 0 && !self.bootstrap.contains(&addr) && self.bootstrap.len() < 64 {
            self.bootstrap.push(addr);
            self.last_bootstrap = None;
        }
    }

    /// Pings a node a peer told us about (BEP 5 `PORT` message); it joins the table if it answers.
    pub fn add_node(&mut self, addr: SocketAddrV4, now: Instant) {
        if addr.port() != 0 {
            self.query(addr, Query::Ping, Purpose::Ping, now);
        }
    }

    /// Starts (or restarts) a search for the peers of `info_hash`, announcing ourselves at
    /// `announce` when given; peers come out as [`DhtOutput::Peers`].
    pub fn get_peers(&mut self, info_hash: [u8; 20], announce: Option<u16>, now: Instant) {
        if self.searches.len() >= MAX_LOOKUPS && !self.searches.contains_key(&info_hash) {
            return;
        }
        let local = self.store.get(&info_hash, now);
        if !local.is_empty() {
            self.out.push(DhtOutput::Peers(info_hash, local));
        }
        let lookup = Lookup::new(NodeId(info_hash), self.seeds(&NodeId(info_hash)), now);
        self.searches.insert(info_hash, Search { lookup, announce, peers_reported: 0 });
        self.advance(now);
    }

    /// Known nodes closest to `target`, or the bootstrap addresses when none is known.
    fn seeds(&self, target: &NodeId) -> Vec<(Option<NodeId>, SocketAddrV4)> {
        let known: Vec<(Option<NodeId>, SocketAddrV4)> =
            self.table.closest(target, K).into_iter().map(|(id, a)| (Some(id), a)).collect();
        if known.is_empty() {
            self.bootstrap.iter().map(|a| (None, *a)).collect()
        } else {
            known
        }
    }

    /// Takes what the session must do.
    pub fn take_output(&mut self) -> Vec<DhtOutput> {
        std::mem::take(&mut self.out)
    }

    fn tid(&mut self) -> u16 {
        self.next_tid = self.next_tid.wrapping_add(1);
        self.next_tid
    }

    fn query(&mut self, addr: SocketAddrV4, query: Query, purpose: Purpose, now: Instant) -> bool {
        if self.pending.len() >= MAX_IN_FLIGHT {
            return false;
        }
        let tid = self.tid();
        let msg = Message::Query { tid: tid.to_be_bytes().to_vec(), id: self.id(), query };
        self.out.push(DhtOutput::Send(addr, msg.encode()));
        self.pending.insert(tid, Pending { addr, sent: now, purpose });
        true
    }

    /// Handles a datagram from `from`.
    pub fn on_datagram(&mut self, from: SocketAddrV4, datagram: &[u8], now: Instant) {
        match Message::parse(datagram) {
            Ok(Message::Query { tid, id, query }) => self.answer(from, tid, id, query, now),
            Ok(Message::Response { tid, response }) => self.on_response(from, &tid, response, now),
            Ok(Message::Error { tid, .. }) => {
                if let Some(p) = self.take_pending(from, &tid) {
                    self.on_failure(p);
                }
            }
            Err(_) => {}
        }
        self.advance(now);
    }

    /// The pending query `tid` if it went to `from`.
    fn take_pending(&mut self, from: SocketAddrV4, tid: &[u8]) -> Option<Pending> {
        let tid = u16::from_be_bytes(tid.try_into().ok()?);
        if self.pending.get(&tid)?.addr != from {
            return None;
        }
        self.pending.remove(&tid)
    }

    fn answer(&mut self, from: SocketAddrV4, tid: Vec<u8>, id: NodeId, query: Query, now: Instant) {
        self.table.seen(id, from, now);
        let mut response = Response { id: self.id(), ..Response::default() };
        let reply = match query {
            Query::Ping => Message::Response { tid, response },
            Query::FindNode { target } => {
                response.nodes = self.table.closest(&target, K);
                Message::Response { tid, response }
            }
            Query::GetPeers { info_hash } => {
                response.token = Some(self.tokens.token(*from.ip()));
                response.values = self.store.get(&info_hash, now);
                response.nodes = self.table.closest(&NodeId(info_hash), K);
                Message::Response { tid, response }
            }
            Query::AnnouncePeer { info_hash, port, implied_port, token } => {
                if self.tokens.valid(*from.ip(), &token) {
                    let port = if implied_port { from.port() } else { port };
                    if port != 0 {
                        self.store.add(info_hash, SocketAddrV4::new(*from.ip(), port), now);
                    }
                    Message::Response { tid, response }
                } else {
                    Message::Error { tid, code: 203, message: "bad token".into() }
                }
            }
            Query::Unknown(_) => Message::Error { tid, code: 204, message: "Method Unknown".into() },
        };
        self.out.push(DhtOutput::Send(from, reply.encode()));
    }

    fn on_response(&mut self, from: SocketAddrV4, tid: &[u8], response: Response, now: Instant) {
        let Some(pending) = self.take_pending(from, tid) else { return };
        self.table.seen(response.id, from, now);
        if let Purpose::Lookup(target) = pending.purpose {
            if let Some(s) = self.searches.get_mut(&target) {
                s.lookup.answered(from, response.id, response.token, &response.nodes, &response.values);
            }
        }
    }

    fn on_failure(&mut self, p: Pending) {
        self.table.failed(p.addr);
        if let Purpose::Lookup(target) = p.purpose {
            if let Some(s) = self.searches.get_mut(&target) {
                s.lookup.failed(p.addr);
            }
        }
    }

    /// Timeouts, bootstrap, stale nodes, token rotation, expiry, and lookups moving on.
    pub fn tick(&mut self, now: Instant) {
        let late: Vec<u16> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_duration_since(p.sent) >= QUERY_TIMEOUT)
            .map(|(t, _)| *t)
            .collect();
        for tid in late {
            if let Some(p) = self.pending.remove(&tid) {
                self.on_failure(p);
            }
        }
        let due = self.last_bootstrap.is_none_or(|t| now.saturating_duration_since(t) >= BOOTSTRAP_EVERY);
        if self.table.len() < K && !self.bootstrap.is_empty() && due {
            self.last_bootstrap = Some(now);
            let own = self.id();
            if !self.searches.contains_key(&own.0) {
                let lookup = Lookup::new(own, self.seeds(&own), now);
                self.searches.insert(own.0, Search { lookup, announce: None, peers_reported: 0 });
            }
        }
        if self.last_housekeeping.is_none_or(|t| now.saturating_duration_since(t) >= HOUSEKEEPING) {
            self.last_housekeeping = Some(now);
            for (_, addr) in self.table.stale(now).into_iter().take(8) {
                if !self.pending.values().any(|p| p.addr == addr) {
                    self.query(addr, Query::Ping, Purpose::Ping, now);
                }
            }
            self.tokens.rotate(now);
            self.store.expire(now);
        }
        self.advance(now);
    }

    /// Sends each search's next queries, reports new peers, and finishes ended searches.
    fn advance(&mut self, now: Instant) {
        let own = self.id();
        let targets: Vec<[u8; 20]> = self.searches.keys().copied().collect();
        for target in targets {
            let Some(s) = self.searches.get_mut(&target) else { continue };
            if s.lookup.peers().len() > s.peers_reported {
                s.peers_reported = s.lookup.peers().len();
                self.out.push(DhtOutput::Peers(target, s.lookup.peers().iter().copied().collect()));
            }
            if s.lookup.is_done(now) {
                let Some(s) = self.searches.remove(&target) else { continue };
                if let Some(port) = s.announce {
                    for (addr, token) in s.lookup.announce_targets() {
                        let query = Query::AnnouncePeer { info_hash: target, port, implied_port: false, token };
                        self.query(addr, query, Purpose::Announce, now);
                    }
                }
                if target != own.0 {
                    self.out.push(DhtOutput::LookupDone { info_hash: target, nodes: s.lookup.answered_count() });
                }
                continue;
            }
            let asks = s.lookup.next_queries();
            let query =
                if target == own.0 { Query::FindNode { target: own } } else { Query::GetPeers { info_hash: target } };
            for addr in asks {
                if !self.query(addr, query.clone(), Purpose::Lookup(target), now) {
                    if let Some(s) = self.searches.get_mut(&target) {
                        s.lookup.failed(addr);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// Nodes on 127.0.0.1 exchanging datagrams in memory.
    struct Net {
        nodes: Vec<(SocketAddrV4, Dht)>,
        found: Vec<(usize, [u8; 20], Vec<SocketAddrV4>)>,
        done: Vec<(usize, [u8; 20], usize)>,
        now: Instant,
    }

    impl Net {
        fn new(n: u16) -> Net {
            let now = Instant::now();
            let nodes = (0..n)
                .map(|i| (SocketAddrV4::new(Ipv4Addr::LOCALHOST, 7000 + i), Dht::new(NodeId::random(), now)))
                .collect();
            Net { nodes, found: Vec::new(), done: Vec::new(), now }
        }

        fn addr(&self, i: usize) -> SocketAddrV4 {
            self.nodes[i].0
        }

        /// Delivers datagrams until none is left (bounded), ticking the clock by `step` each round.
        fn run(&mut self, rounds: usize, step: Duration) {
            for _ in 0..rounds {
                self.now += step;
                let mut mail = Vec::new();
                for (i, (_, d)) in self.nodes.iter_mut().enumerate() {
                    d.tick(self.now);
                    for o in d.take_output() {
                        match o {
                            DhtOutput::Send(to, bytes) => mail.push((i, to, bytes)),
                            DhtOutput::Peers(h, p) => self.found.push((i, h, p)),
                            DhtOutput::LookupDone { info_hash, nodes } => self.done.push((i, info_hash, nodes)),
                        }
                    }
                }
                while let Some((from, to, bytes)) = mail.pop() {
                    let from_addr = self.nodes[from].0;
                    let Some(j) = self.nodes.iter().position(|(a, _)| *a == to) else { continue };
                    let now = self.now;
                    let d = &mut self.nodes[j].1;
                    d.on_datagram(from_addr, &bytes, now);
                    for o in d.take_output() {
                        match o {
                            DhtOutput::Send(to, bytes) => mail.push((j, to, bytes)),
                            DhtOutput::Peers(h, p) => self.found.push((j, h, p)),
                            DhtOutput::LookupDone { info_hash, nodes } => self.done.push((j, info_hash, nodes)),
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn nodes_bootstrap_announce_and_find_each_other() {
        let mut net = Net::new(12);
        let router = net.addr(0);
        for i in 1..12 {
            net.nodes[i].1.add_bootstrap(router);
        }
        net.run(10, Duration::from_millis(100));
        assert!(net.nodes.iter().skip(1).all(|(_, d)| d.node_count() >= 3), "tables filled");
        let hash = [0x42; 20];
        let now = net.now;
        net.nodes[3].1.get_peers(hash, Some(6881), now);
        net.run(20, Duration::from_millis(100));
        assert!(net.done.iter().any(|(i, h, n)| *i == 3 && *h == hash && *n > 0), "{:?}", net.done);
        let now = net.now;
        net.nodes[9].1.get_peers(hash, None, now);
        net.run(20, Duration::from_millis(100));
        let seeder = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 6881);
        assert!(
            net.found.iter().any(|(i, h, peers)| *i == 9 && *h == hash && peers.contains(&seeder)),
            "node 9 finds the peer node 3 announced: {:?}",
            net.found
        );
    }

    #[test]
    fn queries_are_answered_and_bad_tokens_refused() {
        let now = Instant::now();
        let mut d = Dht::new(NodeId([1; 20]), now);
        let from = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 5000);
        let ask = |q: Query| Message::Query { tid: b"xy".to_vec(), id: NodeId([2; 20]), query: q }.encode();
        let reply = |d: &mut Dht| match d.take_output().pop() {
            Some(DhtOutput::Send(to, bytes)) if to == from => Message::parse(&bytes).unwrap(),
            other => panic!("expected a reply, got {other:?}"),
        };
        d.on_datagram(from, &ask(Query::Ping), now);
        assert!(matches!(reply(&mut d), Message::Response { response, .. } if response.id == NodeId([1; 20])));
        assert_eq!(d.node_count(), 1, "a querier joins the table");
        d.on_datagram(from, &ask(Query::GetPeers { info_hash: [5; 20] }), now);
        let Message::Response { response, .. } = reply(&mut d) else { panic!() };
        let token = response.token.expect("a token");
        let announce = |token: Vec<u8>| Query::AnnouncePeer { info_hash: [5; 20], port: 0, implied_port: true, token };
        d.on_datagram(from, &ask(announce(b"forged".to_vec())), now);
        assert!(matches!(reply(&mut d), Message::Error { code: 203, .. }));
        d.on_datagram(from, &ask(announce(token)), now);
        assert!(matches!(reply(&mut d), Message::Response { .. }));
        d.on_datagram(from, &ask(Query::GetPeers { info_hash: [5; 20] }), now);
        let Message::Response { response, .. } = reply(&mut d) else { panic!() };
        assert_eq!(response.values, vec![from], "implied port: the announcer's UDP port");
        d.on_datagram(from, &ask(Query::Unknown("vote".into())), now);
        assert!(matches!(reply(&mut d), Message::Error { code: 204, .. }));
        d.on_datagram(from, b"garbage", now);
        assert!(d.take_output().is_empty(), "garbage is ignored");
    }

    #[test]
    fn silent_nodes_time_out_and_answers_from_elsewhere_are_ignored() {
        let now = Instant::now();
        let mut d = Dht::new(NodeId([1; 20]), now);
        let silent = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 1);
        d.add_bootstrap(silent);
        d.tick(now);
        d.get_peers([9; 20], Some(1), now);
        let sent: Vec<Message> = d
            .take_output()
            .into_iter()
            .filter_map(|o| match o {
                DhtOutput::Send(_, b) => Message::parse(&b).ok(),
                _ => None,
            })
            .collect();
        assert!(!sent.is_empty());
        // A response with the right tid from another address changes nothing.
        let Message::Query { tid, .. } = &sent[0] else { panic!() };
        let forged =
            Message::Response { tid: tid.clone(), response: Response { id: NodeId([3; 20]), ..Response::default() } };
        d.on_datagram(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 1), &forged.encode(), now);
        assert_eq!(d.node_count(), 0);
        d.tick(now + QUERY_TIMEOUT);
        let done = d.take_output().into_iter().find(|o| matches!(o, DhtOutput::LookupDone { .. }));
        assert_eq!(done, Some(DhtOutput::LookupDone { info_hash: [9; 20], nodes: 0 }));
    }
}
