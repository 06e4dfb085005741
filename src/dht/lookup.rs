//! One iterative lookup (BEP 5): ask the closest known nodes for `target`, [`ALPHA`] at a time,
//! move on to the closer nodes they name, and stop once the [`K`] closest that still answer have
//! all answered. A `get_peers` lookup collects peers and the tokens to announce with.

use super::node_id::NodeId;
use super::routing::K;
use std::collections::HashSet;
use std::net::SocketAddrV4;
use std::time::{Duration, Instant};

/// Queries in flight at once.
pub const ALPHA: usize = 3;
/// Candidates kept (the closest).
const MAX_CANDIDATES: usize = 4 * K;
/// A lookup ends after this long whatever its state.
pub const MAX_LOOKUP: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Fresh,
    Asked,
    Answered(Option<Vec<u8>>),
    Failed,
}

#[derive(Debug, Clone)]
struct Candidate {
    /// Unknown for a bootstrap address.
    id: Option<NodeId>,
    addr: SocketAddrV4,
    state: State,
}

/// A lookup in progress.
#[derive(Debug, Clone)]
pub struct Lookup {
    target: NodeId,
    candidates: Vec<Candidate>,
    peers: HashSet<SocketAddrV4>,
    started: Instant,
}

impl Lookup {
    /// A lookup of `target` starting from `seeds` (known nodes, or bootstrap addresses without id).
    pub fn new(
        target: NodeId,
        seeds: impl IntoIterator<Item = (Option<NodeId>, SocketAddrV4)>,
        now: Instant,
    ) -> Lookup {
        let mut l = Lookup { target, candidates: Vec::new(), peers: HashSet::new(), started: now };
        for (id, addr) in seeds {
            l.add(id, addr);
        }
        l
    }

    /// The id or info-hash looked up.
    pub fn target(&self) -> NodeId {
        self.target
    }

    fn add(&mut self, id: Option<NodeId>, addr: SocketAddrV4) {
        if addr.port() == 0 || self.candidates.iter().any(|c| c.addr == addr || (id.is_some() && c.id == id)) {
            return;
        }
        self.candidates.push(Candidate { id, addr, state: State::Fresh });
        // Nodes of unknown id (bootstrap) first, then by distance.
        let target = self.target;
        self.candidates.sort_by(|a, b| match (a.id, b.id) {
            (Some(x), Some(y)) => target.closer(&x, &y),
            (None, Some(_)) => std::cmp::Ordering::Less,
            (Some(_), None) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        // Drop the farthest, never one with a query in flight or an answer.
        while self.candidates.len() > MAX_CANDIDATES {
            match self.candidates.iter().rposition(|c| matches!(c.state, State::Fresh | State::Failed)) {
                Some(i) => {
                    self.candidates.remove(i);
                }
                None => break,
            }
        }
    }

    /// The [`K`] closest candidates that have not failed.
    fn front(&self) -> impl Iterator<Item = &Candidate> {
        self.candidates.iter().filter(|c| c.state != State::Failed).take(K)
    }

    /// The nodes to ask now (marked as asked): the closest fresh ones, keeping [`ALPHA`] in flight.
    pub fn next_queries(&mut self) -> Vec<SocketAddrV4> {
        let in_flight = self.candidates.iter().filter(|c| c.state == State::Asked).count();
        let want = ALPHA.saturating_sub(in_flight);
        let fresh: Vec<SocketAddrV4> =
            self.front().filter(|c| c.state == State::Fresh).take(want).map(|c| c.addr).collect();
        for c in self.candidates.iter_mut().filter(|c| fresh.contains(&c.addr)) {
            c.state = State::Asked;
        }
        fresh
    }

    /// Takes an answer from `addr`: its id, token, the nodes it named and the peers it gave.
    pub fn answered(
        &mut self,
        addr: SocketAddrV4,
        id: NodeId,
        token: Option<Vec<u8>>,
        nodes: &[(NodeId, SocketAddrV4)],
        values: &[SocketAddrV4],
    ) {
        if let Some(c) = self.candidates.iter_mut().find(|c| c.addr == addr) {
            c.id = Some(id);
            c.state = State::Answered(token);
        }
        self.peers.extend(values.iter().copied());
        for (id, addr) in nodes {
            self.add(Some(*id), *addr);
        }
    }

    /// Notes that `addr` did not answer (timeout or error).
    pub fn failed(&mut self, addr: SocketAddrV4) {
        if let Some(c) = self.candidates.iter_mut().find(|c| c.addr == addr) {
            c.state = State::Failed;
        }
    }

    /// Peers found so far.
    pub fn peers(&self) -> &HashSet<SocketAddrV4> {
        &self.peers
    }

    /// True once the closest nodes have all answered (or failed), or after [`MAX_LOOKUP`].
    pub fn is_done(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.started) >= MAX_LOOKUP
            || self.front().all(|c| matches!(c.state, State::Answered(_)))
                && !self.candidates.iter().any(|c| c.state == State::Asked)
    }

    /// The closest nodes that answered with a token: where to announce.
    pub fn announce_targets(&self) -> Vec<(SocketAddrV4, Vec<u8>)> {
        self.candidates
            .iter()
            .filter_map(|c| match &c.state {
                State::Answered(Some(token)) => Some((c.addr, token.clone())),
                _ => None,
            })
            .take(K)
            .collect()
    }

    /// Nodes that answered.
    pub fn answered_count(&self) -> usize {
        self.candidates.iter().filter(|c| matches!(c.state, State::Answered(_))).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn addr(n: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::LOCALHOST, 2000 + n)
    }

    fn id(first: u8) -> NodeId {
        let mut id = [0u8; 20];
        id[0] = first;
        NodeId(id)
    }

    #[test]
    fn asks_alpha_at_a_time_moves_closer_and_ends() {
        let now = Instant::now();
        let mut l = Lookup::new(id(0), [(None, addr(0))], now);
        assert_eq!(l.next_queries(), vec![addr(0)]);
        assert!(l.next_queries().is_empty(), "the one candidate is in flight");
        assert!(!l.is_done(now));
        let named: Vec<(NodeId, SocketAddrV4)> = (1..=5).map(|n| (id(n * 16), addr(u16::from(n)))).collect();
        l.answered(addr(0), id(0xf0), Some(b"t0".to_vec()), &named, &[addr(99)]);
        let asked = l.next_queries();
        assert_eq!(asked, vec![addr(1), addr(2), addr(3)], "the three closest first");
        l.failed(addr(1));
        assert_eq!(l.next_queries(), vec![addr(4)], "a failure frees a slot");
        for a in [addr(2), addr(3), addr(4)] {
            l.answered(a, id(0x11), Some(b"tk".to_vec()), &[], &[]);
        }
        assert_eq!(l.next_queries(), vec![addr(5)]);
        assert!(!l.is_done(now));
        l.answered(addr(5), id(0x50), None, &[], &[addr(98)]);
        assert!(l.is_done(now));
        assert_eq!(l.peers().len(), 2);
        assert_eq!(l.announce_targets().len(), 4, "those with a token");
        assert_eq!(l.answered_count(), 5);
    }

    #[test]
    fn gives_up_after_the_time_limit_and_keeps_few_candidates() {
        let now = Instant::now();
        let many: Vec<(Option<NodeId>, SocketAddrV4)> = (0..100).map(|n| (Some(id(n)), addr(u16::from(n)))).collect();
        let mut l = Lookup::new(id(0), many, now);
        assert_eq!(l.candidates.len(), MAX_CANDIDATES);
        assert_eq!(l.next_queries().len(), ALPHA);
        assert!(!l.is_done(now) && l.is_done(now + MAX_LOOKUP));
    }
}
