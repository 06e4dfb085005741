//! The routing table: nodes that answered us, bucketed by how many leading bits their id shares
//! with ours, at most [`K`] per bucket. Nodes that stop answering are dropped after
//! [`MAX_FAILS`] timeouts; a full bucket takes a newcomer only in place of a failing node.

use super::node_id::NodeId;
use std::net::SocketAddrV4;
use std::time::{Duration, Instant};

/// Nodes per bucket (BEP 5).
pub const K: usize = 8;
/// Timeouts in a row after which a node leaves the table.
pub const MAX_FAILS: u8 = 3;
/// A node not heard from this long is pinged again ("questionable" in BEP 5).
pub const STALE: Duration = Duration::from_secs(15 * 60);

/// A known node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its id.
    pub id: NodeId,
    /// Its UDP address.
    pub addr: SocketAddrV4,
    /// When it last answered or queried us.
    pub last_seen: Instant,
    /// Timeouts since then.
    pub fails: u8,
}

/// The table of one node.
#[derive(Debug, Clone)]
pub struct RoutingTable {
    own: NodeId,
    buckets: Vec<Vec<Entry>>,
}

impl RoutingTable {
    /// An empty table around our id.
    pub fn new(own: NodeId) -> RoutingTable {
        RoutingTable { own, buckets: vec![Vec::new(); 160] }
    }

    /// Our id.
    pub fn own(&self) -> NodeId {
        self.own
    }

    /// Nodes known.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(Vec::len).sum()
    }

    /// True when no node is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records that node `id` at `addr` answered or queried us; true when it is in the table.
    pub fn seen(&mut self, id: NodeId, addr: SocketAddrV4, now: Instant) -> bool {
        if id == self.own || addr.port() == 0 || addr.ip().is_unspecified() {
            return false;
        }
        // One entry per address: a node that changed its id replaces its old entry.
        for bucket in &mut self.buckets {
            bucket.retain(|e| e.addr != addr || e.id == id);
        }
        let bucket = &mut self.buckets[self.own.common_prefix(&id).min(159)];
        if let Some(e) = bucket.iter_mut().find(|e| e.id == id) {
            e.addr = addr;
            e.last_seen = now;
            e.fails = 0;
            return true;
        }
        let entry = Entry { id, addr, last_seen: now, fails: 0 };
        if bucket.len() < K {
            bucket.push(entry);
            return true;
        }
        match bucket.iter().enumerate().max_by_key(|(_, e)| e.fails).filter(|(_, e)| e.fails > 0) {
            Some((i, _)) => {
                bucket[i] = entry;
                true
            }
            None => false,
        }
    }

    /// Records a timeout of the node at `addr`; it leaves after [`MAX_FAILS`] in a row.
    pub fn failed(&mut self, addr: SocketAddrV4) {
        for bucket in &mut self.buckets {
            for e in bucket.iter_mut().filter(|e| e.addr == addr) {
                e.fails = e.fails.saturating_add(1);
            }
            bucket.retain(|e| e.fails < MAX_FAILS);
        }
    }

    /// The `n` known nodes closest to `target`, closest first.
    pub fn closest(&self, target: &NodeId, n: usize) -> Vec<(NodeId, SocketAddrV4)> {
        let mut all: Vec<&Entry> = self.buckets.iter().flatten().collect();
        all.sort_by(|a, b| target.closer(&a.id, &b.id));
        all.into_iter().take(n).map(|e| (e.id, e.addr)).collect()
    }

    /// Nodes not heard from for [`STALE`], to ping.
    pub fn stale(&self, now: Instant) -> Vec<(NodeId, SocketAddrV4)> {
        let old = |e: &&Entry| now.saturating_duration_since(e.last_seen) >= STALE;
        self.buckets.iter().flatten().filter(old).map(|e| (e.id, e.addr)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn addr(n: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::LOCALHOST, 1000 + n)
    }

    fn id_with_prefix(first: u8, n: u8) -> NodeId {
        let mut id = [0u8; 20];
        id[0] = first;
        id[19] = n;
        NodeId(id)
    }

    #[test]
    fn buckets_fill_to_k_then_take_only_failing_nodes_places() {
        let now = Instant::now();
        let mut t = RoutingTable::new(NodeId([0; 20]));
        // All share no leading bit with ours: one bucket.
        for n in 0..K as u8 + 2 {
            let added = t.seen(id_with_prefix(0x80, n), addr(u16::from(n)), now);
            assert_eq!(added, usize::from(n) < K, "node {n}");
        }
        assert_eq!(t.len(), K);
        t.failed(addr(0));
        assert!(t.seen(id_with_prefix(0x80, 50), addr(50), now), "replaces the failing node");
        assert!(!t.closest(&NodeId([0; 20]), 20).iter().any(|(_, a)| *a == addr(0)));
        for _ in 0..MAX_FAILS {
            t.failed(addr(1));
        }
        assert_eq!(t.len(), K - 1, "dropped after {MAX_FAILS} timeouts");
        assert!(!t.seen(t.own(), addr(99), now), "never ourselves");
        assert!(!t.seen(id_with_prefix(1, 1), SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0), now), "never port 0");
    }

    #[test]
    fn closest_orders_by_xor_distance_and_stale_nodes_show() {
        let now = Instant::now();
        let mut t = RoutingTable::new(NodeId([0xff; 20]));
        for (n, first) in [0x01u8, 0x40, 0x80, 0x02].into_iter().enumerate() {
            t.seen(id_with_prefix(first, 0), addr(n as u16), now);
        }
        let target = id_with_prefix(0x03, 0);
        let order: Vec<u8> = t.closest(&target, 3).iter().map(|(id, _)| id.0[0]).collect();
        assert_eq!(order, vec![0x02, 0x01, 0x40]);
        assert!(t.stale(now).is_empty());
        assert_eq!(t.stale(now + STALE).len(), 4);
        // A node that comes back under a new id replaces its old entry.
        t.seen(id_with_prefix(0x05, 0), addr(0), now);
        assert_eq!(t.len(), 4);
    }
}
