//! BitTornado's peer hand-out caches (`cached`, `min_time_between_cache_refreshes`): per swarm
//! and per reply filter (encryption mode, address family), two shuffled pools — seeds, and
//! leechers together with peers harvested from other trackers (T2T) — that are *consumed* as
//! replies hand them out, so consecutive requesters get different peers and a reply costs
//! O(numwant) copies instead of a walk over the swarm.
//!
//! Invalidation (§4.4, with BitTornado's staleness bounded):
//! * a pool set is rebuilt (re-filtered and re-shuffled) when a pool cannot fill a reply after
//!   some of it was consumed, or when it is older than the cache lifetime;
//! * a peer that becomes handed-out (new, NAT check passed, moved) is appended to the live
//!   pools, so it is not held back until the next rebuild;
//! * a peer that leaves or changes counts as stale; once stale peers exceed 1/8 of the pools
//!   the set is rebuilt (BitTornado kept stopped peers in its caches until the next refresh);
//! * expiry sweeps and new T2T harvests drop every pool set.
//!
//! A lifetime of 0 turns the caches off: every reply samples the swarm afresh
//! ([`super::peer_select::pick`]).

use super::peer::PeerRecord;
use super::peer_select::{acceptable_for, CryptoMode, Family, Picked, Rng, Wanted};

/// One pool: shuffled peers and the index of the next one to hand out.
#[derive(Debug, Clone, Default)]
struct Pool {
    peers: Vec<Picked>,
    next: usize,
}

impl Pool {
    fn remaining(&self) -> usize {
        self.peers.len() - self.next
    }

    fn rebuild(&mut self, from: impl Iterator<Item = Picked>, rng: &mut Rng) {
        self.peers.clear();
        self.peers.extend(from);
        self.next = 0;
        for i in (1..self.peers.len()).rev() {
            self.peers.swap(i, rng.below(i + 1));
        }
    }

    /// Hands out up to `n` peers other than `requester`; returns how many.
    fn take(&mut self, n: usize, requester: &[u8; 20], out: &mut Vec<Picked>) -> usize {
        let mut got = 0;
        while got < n && self.next < self.peers.len() {
            let p = self.peers[self.next];
            self.next += 1;
            if p.id != *requester {
                out.push(p);
                got += 1;
            }
        }
        got
    }
}

/// The pools of one reply filter.
#[derive(Debug, Clone)]
struct PoolSet {
    crypto: CryptoMode,
    family: Family,
    built_at: u32,
    stale: usize,
    seeds: Pool,
    leechers: Pool,
}

impl PoolSet {
    fn needs_rebuild(&self, seed_need: usize, leech_need: usize, now: u32, lifetime: u32) -> bool {
        let consumed = self.seeds.next > 0 || self.leechers.next > 0;
        let short = self.seeds.remaining() < seed_need || self.leechers.remaining() < leech_need;
        let size = self.seeds.peers.len() + self.leechers.peers.len();
        (short && consumed) || now.wrapping_sub(self.built_at) >= lifetime || self.stale * 8 > size
    }
}

/// The swarm's peers a cache is built from.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// Seeds.
    pub seeds: &'a [PeerRecord],
    /// Leechers.
    pub leechers: &'a [PeerRecord],
    /// Peers harvested from other trackers (handed out as leechers).
    pub harvested: &'a [Picked],
}

/// One swarm's hand-out caches, one pool set per reply filter asked for so far.
#[derive(Debug, Clone, Default)]
pub struct HandoutCache {
    sets: Vec<PoolSet>,
}

fn matches_filter(p: &Picked, crypto: CryptoMode, family: Family) -> bool {
    let v4 = p.addr[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
    let family_ok = match family {
        Family::Any => true,
        Family::V4 => v4,
        Family::V6 => !v4,
    };
    // Whether a harvested peer supports encryption is unknown: not given to requirecrypto clients.
    family_ok && crypto != CryptoMode::Require
}

impl HandoutCache {
    /// Drops every pool set (expiry sweep, new harvest).
    pub fn clear(&mut self) {
        self.sets.clear();
    }

    /// Number of pool sets built (for tests and statistics).
    pub fn sets(&self) -> usize {
        self.sets.len()
    }

    /// Notes a peer that can now be handed out: appended to every pool it qualifies for.
    pub fn added(&mut self, rec: &PeerRecord, seed: bool) {
        for set in &mut self.sets {
            if acceptable_for(rec, set.crypto, set.family) {
                let pool = if seed { &mut set.seeds } else { &mut set.leechers };
                pool.peers.push(Picked::of(rec));
            }
        }
    }

    /// Notes a peer that left or changed: it may still sit in the pools until a rebuild.
    pub fn removed(&mut self) {
        for set in &mut self.sets {
            set.stale += 1;
        }
    }

    /// Chooses the peers of one reply into `out`, from the pools of the request's filter,
    /// rebuilding them from `src` when needed. `lifetime` is in seconds (> 0).
    pub fn pick(
        &mut self,
        src: Sources<'_>,
        w: &Wanted,
        now: u32,
        lifetime: u32,
        rng: &mut Rng,
        out: &mut Vec<Picked>,
    ) {
        let i = match self.sets.iter().position(|s| s.crypto == w.crypto && s.family == w.family) {
            Some(i) => i,
            None => {
                self.sets.push(PoolSet {
                    crypto: w.crypto,
                    family: w.family,
                    built_at: now,
                    stale: 0,
                    seeds: Pool::default(),
                    leechers: Pool::default(),
                });
                Self::rebuild(self.sets.last_mut().expect("just pushed"), src, now, rng);
                self.sets.len() - 1
            }
        };
        let set = &mut self.sets[i];
        let (seed_need, leech_need) = Self::shares(set, w);
        if set.needs_rebuild(seed_need, leech_need, now, lifetime) {
            Self::rebuild(set, src, now, rng);
        }
        let (seed_need, leech_need) = Self::shares(set, w);
        let got_seeds = set.seeds.take(seed_need, &w.requester, out);
        set.leechers.take(leech_need.max(w.want - got_seeds), &w.requester, out);
    }

    /// How many seeds and leechers a reply takes, in proportion to the pools (a seed gets
    /// only leechers).
    fn shares(set: &PoolSet, w: &Wanted) -> (usize, usize) {
        let (s, l) = (set.seeds.peers.len(), set.leechers.peers.len());
        if w.requester_is_seed {
            return (0, w.want);
        }
        if s + l <= w.want {
            return (s, l);
        }
        let leech_share = (w.want * l + (s + l) / 2) / (s + l);
        (w.want - leech_share, leech_share)
    }

    fn rebuild(set: &mut PoolSet, src: Sources<'_>, now: u32, rng: &mut Rng) {
        let (crypto, family) = (set.crypto, set.family);
        let ok = |p: &&PeerRecord| acceptable_for(p, crypto, family);
        set.seeds.rebuild(src.seeds.iter().filter(ok).map(Picked::of), rng);
        let harvested = src.harvested.iter().copied().filter(|p| matches_filter(p, crypto, family));
        set.leechers.rebuild(src.leechers.iter().filter(ok).map(Picked::of).chain(harvested), rng);
        set.built_at = now;
        set.stale = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::super::peer::{pack_ip, test_peers as peers, CONNECTABLE, REQUIRE_CRYPTO, SUPPORT_CRYPTO};
    use super::super::peer_select::test_wanted as wanted;
    use super::*;
    use std::collections::HashSet;

    fn src<'a>(s: &'a [PeerRecord], l: &'a [PeerRecord], h: &'a [Picked]) -> Sources<'a> {
        Sources { seeds: s, leechers: l, harvested: h }
    }

    #[test]
    fn pools_are_consumed_so_consecutive_replies_differ() {
        let (seeds, leechers) = (peers(100, 1), peers(300, 2));
        let mut c = HandoutCache::default();
        let mut rng = Rng::new(1);
        let mut seen = HashSet::new();
        // 400 peers, 50 per reply (12 seeds, 38 leechers): seven replies never repeat a peer.
        for _ in 0..7 {
            let mut out = Vec::new();
            c.pick(src(&seeds, &leechers, &[]), &wanted(50, false), 10, 600, &mut rng, &mut out);
            assert_eq!(out.len(), 50);
            assert_eq!(out.iter().filter(|p| p.id[19] == 1).count(), 12, "seeds in proportion (25%)");
            for p in out {
                assert!(seen.insert(p.id), "a peer was handed out twice before the pools ran dry");
            }
        }
        assert_eq!(seen.len(), 350);
        // The eighth reply finds the leechers short and rebuilds the pools.
        let mut out = Vec::new();
        c.pick(src(&seeds, &leechers, &[]), &wanted(50, false), 10, 600, &mut rng, &mut out);
        assert_eq!(out.len(), 50);
    }

    #[test]
    fn requester_and_filters_are_respected() {
        let mut leechers = peers(6, 2);
        leechers[0].flags |= REQUIRE_CRYPTO | SUPPORT_CRYPTO;
        leechers[1].flags &= !CONNECTABLE;
        leechers[2].addr = pack_ip("2001:db8::1".parse().unwrap());
        let mut c = HandoutCache::default();
        let mut rng = Rng::new(2);
        let mut w = wanted(10, true);
        w.requester = leechers[3].id;
        let run = |c: &mut HandoutCache, w: &Wanted, rng: &mut Rng| {
            let mut out = Vec::new();
            c.pick(src(&[], &leechers, &[]), w, 5, 600, rng, &mut out);
            let mut ids: Vec<u8> = out.iter().map(|p| p.id[7]).collect();
            ids.sort();
            ids
        };
        assert_eq!(run(&mut c, &w, &mut rng), vec![2, 4, 5]);
        w.family = Family::V4;
        assert_eq!(run(&mut c, &w, &mut rng), vec![4, 5]);
        w.crypto = CryptoMode::Require;
        w.family = Family::Any;
        assert_eq!(run(&mut c, &w, &mut rng), vec![0]);
        assert_eq!(c.sets(), 3, "one pool set per filter");
    }

    #[test]
    fn lifetime_staleness_and_additions() {
        let leechers = peers(200, 2);
        let mut c = HandoutCache::default();
        let mut rng = Rng::new(3);
        let mut out = Vec::new();
        c.pick(src(&[], &leechers, &[]), &wanted(10, false), 100, 600, &mut rng, &mut out);
        assert_eq!(c.sets[0].leechers.next, 10);
        // A new peer is appended to the live pool and handed out before any rebuild.
        let newcomer = peers(201, 3).pop().unwrap();
        c.added(&newcomer, false);
        assert_eq!(c.sets[0].leechers.peers.len(), 201);
        // Stale peers up to 1/8 of the pools are tolerated; one more forces a rebuild.
        for _ in 0..25 {
            c.removed();
        }
        out.clear();
        c.pick(src(&[], &leechers, &[]), &wanted(10, false), 101, 600, &mut rng, &mut out);
        assert_eq!(c.sets[0].leechers.next, 20, "no rebuild yet");
        for _ in 0..2 {
            c.removed();
        }
        c.pick(src(&[], &leechers, &[]), &wanted(10, false), 102, 600, &mut rng, &mut out);
        assert_eq!((c.sets[0].leechers.next, c.sets[0].stale), (10, 0), "rebuilt from the swarm");
        assert_eq!(c.sets[0].leechers.peers.len(), 200, "the rebuild takes the swarm as it is");
        // Past the lifetime the pools are rebuilt.
        c.pick(src(&[], &leechers, &[]), &wanted(10, false), 701, 600, &mut rng, &mut out);
        assert_eq!(c.sets[0].leechers.next, 20, "599 s old: still cached");
        c.pick(src(&[], &leechers, &[]), &wanted(10, false), 702, 600, &mut rng, &mut out);
        assert_eq!((c.sets[0].leechers.next, c.sets[0].built_at), (10, 702));
    }

    #[test]
    fn harvested_peers_are_handed_out_as_leechers() {
        let seeds = peers(3, 1);
        let harvested: Vec<Picked> = peers(4, 9).iter().map(Picked::of).collect();
        let mut c = HandoutCache::default();
        let mut out = Vec::new();
        c.pick(src(&seeds, &[], &harvested), &wanted(50, true), 1, 600, &mut Rng::new(4), &mut out);
        assert_eq!(out.len(), 4, "a seed gets only leechers, harvested ones included");
        assert!(out.iter().all(|p| p.id[19] == 9));
        out.clear();
        c.pick(src(&seeds, &[], &harvested), &wanted(50, false), 1, 600, &mut Rng::new(4), &mut out);
        assert_eq!(out.len(), 7);
        out.clear();
        let mut w = wanted(50, true);
        w.crypto = CryptoMode::Require;
        c.pick(src(&seeds, &[], &harvested), &w, 1, 600, &mut Rng::new(4), &mut out);
        assert!(out.is_empty(), "harvested peers may not support encryption");
    }

    #[test]
    fn small_swarms_are_always_fresh() {
        let leechers = peers(5, 2);
        let mut c = HandoutCache::default();
        let mut rng = Rng::new(5);
        for _ in 0..3 {
            let mut out = Vec::new();
            c.pick(src(&[], &leechers, &[]), &wanted(50, false), 1, 600, &mut rng, &mut out);
            assert_eq!(out.len(), 5, "every peer, every time");
        }
        let mut out = Vec::new();
        c.pick(src(&[], &leechers[..2], &[]), &wanted(50, false), 1, 600, &mut rng, &mut out);
        assert_eq!(out.len(), 2, "a consumed small pool is rebuilt from the swarm as it is now");
    }
}
