//! One torrent's swarm: its seeds and leechers in two dense vectors (so a reply samples by
//! index), a peer-id index into them (only past [`INDEX_THRESHOLD`] peers: most swarms are tiny
//! and a linear scan of a few records beats a hash map's allocation), and the completed counter.
//!
//! Announce bookkeeping follows BitTornado: an existing peer is updated only when its `key`
//! matches or the request comes from its stored address; `stopped` removes it; `completed`
//! counts a new peer announcing `completed`, +1 when a known peer's `left` reaches 0 and −1
//! when it goes back above 0.

use super::handout_cache::{HandoutCache, Sources};
use super::peer::{PeerRecord, CONNECTABLE, DEDICATED_SEED, NAT_PENDING, REQUIRE_CRYPTO, SUPPORT_CRYPTO};
use super::peer_select::{pick, sample_picked, Picked, Rng, Wanted};
use super::query::{Event, PeerId, PeerKey};
use std::collections::HashMap;

const SEED_BIT: u32 = 1 << 31;
/// Flags that change how (or whether) a peer is handed out.
const HANDOUT_FLAGS: u8 = CONNECTABLE | REQUIRE_CRYPTO | SUPPORT_CRYPTO;

/// Seconds after which a queued NAT check that never reported back counts as a failed attempt
/// (a driver lost the job), so the peer can be checked again.
pub const NAT_PENDING_TIMEOUT: u32 = 600;

/// Swarms with more peers than this keep a peer-id hash index; smaller ones are scanned.
pub const INDEX_THRESHOLD: usize = 16;

/// The announce of one peer, as the swarm needs it.
#[derive(Debug, Clone, Copy)]
pub struct PeerUpdate {
    /// Peer id.
    pub id: PeerId,
    /// Address the request came from, 16 bytes.
    pub conn_ip: [u8; 16],
    /// Address to hand out, 16 bytes.
    pub addr: [u8; 16],
    /// Listening port.
    pub port: u16,
    /// Bytes left (0 = seed).
    pub left: u64,
    /// Event.
    pub event: Event,
    /// The client's key.
    pub key: PeerKey,
    /// `supportcrypto`.
    pub support_crypto: bool,
    /// `requirecrypto`.
    pub require_crypto: bool,
    /// The request carried the dedicated seed id.
    pub dedicated: bool,
    /// A NAT check is required before handing this peer out.
    pub nat_check: bool,
    /// NAT failures after which no more checks are queued.
    pub nat_max_failures: u8,
    /// Now, Unix seconds truncated to 32 bits.
    pub now: u32,
}

/// What an announce did to the swarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// The peer is stored; `nat_check` asks the caller to queue a connect-back check.
    Stored {
        /// Queue a NAT check for this peer.
        nat_check: bool,
    },
    /// The peer was removed (`stopped`), or a `stopped` came for an unknown peer.
    Removed,
    /// The peer exists but the request failed the key/address test: nothing changed.
    Unauthorized,
}

/// One torrent's peers and counters.
#[derive(Debug, Default, Clone)]
pub struct Swarm {
    seeds: Vec<PeerRecord>,
    leechers: Vec<PeerRecord>,
    index: Option<HashMap<PeerId, u32>>,
    /// Downloads completed (BitTornado's `completed` / scrape `downloaded`).
    pub completed: u64,
    dedicated: u32,
    cache: HandoutCache,
    harvested: Vec<Picked>,
}

impl Swarm {
    /// Number of seeds (peers with nothing left).
    pub fn seeds(&self) -> usize {
        self.seeds.len()
    }

    /// Number of leechers.
    pub fn leechers(&self) -> usize {
        self.leechers.len()
    }

    /// True when the swarm has no peers.
    pub fn is_empty(&self) -> bool {
        self.seeds.is_empty() && self.leechers.is_empty()
    }

    /// True when a dedicated seed (with `dedicated_seed_id`) is seeding.
    pub fn is_seeded(&self) -> bool {
        self.dedicated > 0
    }

    /// The peer with `id`.
    pub fn get(&self, id: &PeerId) -> Option<&PeerRecord> {
        let slot = self.find(id)?;
        let pool = if slot & SEED_BIT != 0 { &self.seeds } else { &self.leechers };
        pool.get((slot & !SEED_BIT) as usize)
    }

    /// Number of peers.
    pub fn len(&self) -> usize {
        self.seeds.len() + self.leechers.len()
    }

    fn find(&self, id: &PeerId) -> Option<u32> {
        if let Some(ix) = &self.index {
            return ix.get(id).copied();
        }
        let seed = self.seeds.iter().position(|p| p.id == *id).map(|i| i as u32 | SEED_BIT);
        seed.or_else(|| self.leechers.iter().position(|p| p.id == *id).map(|i| i as u32))
    }

    fn get_mut(&mut self, id: &PeerId) -> Option<&mut PeerRecord> {
        let slot = self.find(id)?;
        let pool = if slot & SEED_BIT != 0 { &mut self.seeds } else { &mut self.leechers };
        pool.get_mut((slot & !SEED_BIT) as usize)
    }

    /// Every peer, with whether it is a seed.
    pub fn peers(&self) -> impl Iterator<Item = (&PeerRecord, bool)> {
        self.seeds.iter().map(|p| (p, true)).chain(self.leechers.iter().map(|p| (p, false)))
    }

    /// Adds a peer (replacing none: the caller checks it is new).
    pub fn insert(&mut self, rec: PeerRecord, seed: bool) {
        if rec.has(DEDICATED_SEED) && seed {
            self.dedicated += 1;
        }
        let (pool, bit) = if seed { (&mut self.seeds, SEED_BIT) } else { (&mut self.leechers, 0) };
        let slot = pool.len() as u32 | bit;
        let id = rec.id;
        pool.push(rec);
        let big = self.len() > INDEX_THRESHOLD;
        match &mut self.index {
            Some(ix) => {
                ix.insert(id, slot);
            }
            None if big => self.reindex(),
            None => {}
        }
    }

    /// Removes the peer with `id`, returning it and whether it was a seed.
    pub fn remove(&mut self, id: &PeerId) -> Option<(PeerRecord, bool)> {
        let slot = self.find(id)?;
        if let Some(ix) = &mut self.index {
            ix.remove(id);
        }
        let seed = slot & SEED_BIT != 0;
        let (pool, bit) = if seed { (&mut self.seeds, SEED_BIT) } else { (&mut self.leechers, 0) };
        let i = (slot & !SEED_BIT) as usize;
        let rec = pool.swap_remove(i);
        if let (Some(moved), Some(ix)) = (pool.get(i), &mut self.index) {
            ix.insert(moved.id, i as u32 | bit);
        }
        if rec.has(DEDICATED_SEED) && seed {
            self.dedicated -= 1;
        }
        Some((rec, seed))
    }

    /// Applies one announce.
    pub fn announce(&mut self, u: &PeerUpdate) -> UpdateOutcome {
        let Some(existing) = self.get(&u.id).copied() else {
            if u.event == Event::Stopped {
                return UpdateOutcome::Removed;
            }
            if u.event == Event::Completed {
                self.completed += 1;
            }
            let mut rec = PeerRecord {
                id: u.id,
                addr: u.addr,
                conn_ip: u.conn_ip,
                port: u.port,
                flags: 0,
                nat_failures: 0,
                last_seen: u.now,
                nat_since: 0,
                key: u.key,
                left: u.left,
            };
            Self::apply_flags(&mut rec, u);
            let nat_check = Self::nat_decision(&mut rec, u, true);
            if rec.handed_out() {
                self.cache.added(&rec, u.left == 0);
            }
            self.insert(rec, u.left == 0);
            return UpdateOutcome::Stored { nat_check };
        };
        let key_ok = !existing.key.is_empty() && existing.key == u.key;
        if !key_ok && existing.conn_ip != u.conn_ip {
            return UpdateOutcome::Unauthorized;
        }
        let (mut rec, was_seed) = self.remove(&u.id).expect("peer just found");
        if u.event == Event::Stopped {
            if existing.handed_out() {
                self.cache.removed();
            }
            return UpdateOutcome::Removed;
        }
        let seed = u.left == 0;
        match (was_seed, seed) {
            (false, true) => self.completed += 1,
            (true, false) => self.completed = self.completed.saturating_sub(1),
            _ => {}
        }
        let moved = rec.addr != u.addr || rec.port != u.port;
        rec.addr = u.addr;
        rec.conn_ip = u.conn_ip;
        rec.port = u.port;
        rec.last_seen = u.now;
        rec.left = u.left;
        if !u.key.is_empty() {
            rec.key = u.key;
        }
        Self::apply_flags(&mut rec, u);
        let nat_check = Self::nat_decision(&mut rec, u, moved);
        let changed = moved || was_seed != seed || existing.flags & HANDOUT_FLAGS != rec.flags & HANDOUT_FLAGS;
        if changed && existing.handed_out() {
            self.cache.removed();
        }
        if changed && rec.handed_out() {
            self.cache.added(&rec, seed);
        }
        self.insert(rec, seed);
        UpdateOutcome::Stored { nat_check }
    }

    fn apply_flags(rec: &mut PeerRecord, u: &PeerUpdate) {
        rec.set(SUPPORT_CRYPTO, u.support_crypto || u.require_crypto);
        rec.set(REQUIRE_CRYPTO, u.require_crypto);
        rec.set(DEDICATED_SEED, u.dedicated && u.left == 0);
    }

    /// Decides whether the peer is connectable now or needs a (new) NAT check.
    fn nat_decision(rec: &mut PeerRecord, u: &PeerUpdate, reset: bool) -> bool {
        if !u.nat_check {
            rec.set(CONNECTABLE, true);
            rec.set(NAT_PENDING, false);
            return false;
        }
        if reset {
            rec.set(CONNECTABLE, false);
            rec.set(NAT_PENDING, false);
            rec.nat_failures = 0;
        }
        if rec.has(NAT_PENDING) && u.now.wrapping_sub(rec.nat_since) > NAT_PENDING_TIMEOUT {
            rec.set(NAT_PENDING, false);
            rec.nat_failures = rec.nat_failures.saturating_add(1);
        }
        if rec.has(CONNECTABLE) || rec.has(NAT_PENDING) || rec.nat_failures >= u.nat_max_failures || rec.port == 0 {
            return false;
        }
        rec.set(NAT_PENDING, true);
        rec.nat_since = u.now;
        true
    }

    /// Records a NAT check result for the peer, if it still has the checked address and port.
    pub fn nat_result(&mut self, id: &PeerId, addr: [u8; 16], port: u16, ok: bool) -> bool {
        let Some(rec) = self.get_mut(id) else { return false };
        if rec.addr != addr || rec.port != port {
            return false;
        }
        rec.set(NAT_PENDING, false);
        if ok {
            let newly = !rec.has(CONNECTABLE);
            rec.set(CONNECTABLE, true);
            let copy = *rec;
            let seed = self.find(id).is_some_and(|slot| slot & SEED_BIT != 0);
            if newly && copy.handed_out() {
                self.cache.added(&copy, seed);
            }
        } else {
            rec.nat_failures = rec.nat_failures.saturating_add(1);
        }
        true
    }

    /// Chooses reply peers into `out`, from the hand-out caches (rebuilt when stale) or, with
    /// a cache lifetime of 0 seconds, by sampling the swarm afresh.
    pub fn pick(&mut self, w: &Wanted, rng: &mut Rng, now: u32, cache_lifetime: u32, out: &mut Vec<Picked>) {
        if cache_lifetime > 0 {
            let src = Sources { seeds: &self.seeds, leechers: &self.leechers, harvested: &self.harvested };
            self.cache.pick(src, w, now, cache_lifetime, rng, out);
            return;
        }
        let before = out.len();
        pick(&self.seeds, &self.leechers, w, rng, out);
        let room = w.want.saturating_sub(out.len() - before);
        sample_picked(&self.harvested, room, w, rng, out);
    }

    /// Chooses reply peers from this swarm's own peers only, sampled afresh.
    pub fn pick_own(&self, w: &Wanted, rng: &mut Rng, out: &mut Vec<Picked>) {
        pick(&self.seeds, &self.leechers, w, rng, out);
    }

    /// Replaces the peers harvested from other trackers (handed out as leechers, not counted).
    pub fn set_harvested(&mut self, peers: Vec<Picked>) {
        self.harvested = peers;
        self.cache.clear();
    }

    /// The peers harvested from other trackers.
    pub fn harvested(&self) -> &[Picked] {
        &self.harvested
    }

    /// Number of hand-out pool sets built (one per reply filter asked for).
    pub fn cached_pool_sets(&self) -> usize {
        self.cache.sets()
    }

    /// Drops peers last seen before `before`; returns how many were dropped.
    pub fn expire(&mut self, before: u32) -> usize {
        let n = self.len();
        self.seeds.retain(|p| p.last_seen >= before);
        self.leechers.retain(|p| p.last_seen >= before);
        if self.len() != n {
            self.reindex();
            self.cache.clear();
        }
        n - self.len()
    }

    /// Recounts dedicated seeds and rebuilds (or drops) the index after bulk changes.
    fn reindex(&mut self) {
        self.dedicated = self.seeds.iter().filter(|p| p.has(DEDICATED_SEED)).count() as u32;
        if self.len() <= INDEX_THRESHOLD {
            self.index = None;
            return;
        }
        let mut ix = HashMap::with_capacity(self.len());
        for (i, p) in self.seeds.iter().enumerate() {
            ix.insert(p.id, i as u32 | SEED_BIT);
        }
        for (i, p) in self.leechers.iter().enumerate() {
            ix.insert(p.id, i as u32);
        }
        self.index = Some(ix);
    }
}

#[cfg(test)]
mod tests {
    use super::super::peer::pack_ip;
    use super::*;

    use crate::tracker::peer_select::test_wanted;

    /// Up to 10 plain peers of any family for the leecher `requester`.
    fn ten_for(requester: [u8; 20]) -> Wanted {
        Wanted { requester, ..test_wanted(10, false) }
    }

    fn update(id: u8, left: u64, event: Event) -> PeerUpdate {
        let ip = pack_ip(format!("10.0.0.{id}").parse().unwrap());
        PeerUpdate {
            id: [id; 20],
            conn_ip: ip,
            addr: ip,
            port: 6881,
            left,
            event,
            key: PeerKey::default(),
            support_crypto: false,
            require_crypto: false,
            dedicated: false,
            nat_check: false,
            nat_max_failures: 3,
            now: 100,
        }
    }

    #[test]
    fn events_and_completed_counter() {
        let mut s = Swarm::default();
        assert_eq!(s.announce(&update(1, 10, Event::Started)), UpdateOutcome::Stored { nat_check: false });
        assert_eq!((s.seeds(), s.leechers(), s.completed), (0, 1, 0));
        s.announce(&update(1, 0, Event::Completed));
        assert_eq!((s.seeds(), s.leechers(), s.completed), (1, 0, 1));
        s.announce(&update(1, 0, Event::None));
        assert_eq!(s.completed, 1, "staying a seed counts once");
        s.announce(&update(1, 5, Event::None));
        assert_eq!((s.seeds(), s.leechers(), s.completed), (0, 1, 0), "back above 0 undoes it");
        s.announce(&update(2, 0, Event::Completed));
        assert_eq!(s.completed, 1, "a new peer announcing completed counts");
        s.announce(&update(3, 0, Event::Started));
        assert_eq!((s.seeds(), s.completed), (2, 1), "a new seed without completed does not");
        assert_eq!(s.announce(&update(1, 5, Event::Stopped)), UpdateOutcome::Removed);
        assert_eq!(s.announce(&update(9, 5, Event::Stopped)), UpdateOutcome::Removed);
        assert_eq!((s.seeds(), s.leechers()), (2, 0));
        assert!(s.get(&[2; 20]).is_some() && s.get(&[1; 20]).is_none());
    }

    #[test]
    fn updates_need_key_or_same_address() {
        let mut s = Swarm::default();
        let mut u = update(1, 10, Event::Started);
        u.key = PeerKey::new(b"secret");
        s.announce(&u);
        let mut moved = u;
        moved.conn_ip = pack_ip("10.9.9.9".parse().unwrap());
        moved.addr = moved.conn_ip;
        moved.key = PeerKey::new(b"wrong");
        moved.event = Event::Stopped;
        assert_eq!(s.announce(&moved), UpdateOutcome::Unauthorized);
        moved.key = PeerKey::new(b"secret");
        moved.event = Event::None;
        assert_eq!(s.announce(&moved), UpdateOutcome::Stored { nat_check: false });
        assert_eq!(s.get(&[1; 20]).unwrap().addr, moved.addr);
    }

    #[test]
    fn nat_checks_gate_hand_out() {
        let mut s = Swarm::default();
        let mut u = update(1, 10, Event::Started);
        u.nat_check = true;
        assert_eq!(s.announce(&u), UpdateOutcome::Stored { nat_check: true });
        assert_eq!(s.announce(&u), UpdateOutcome::Stored { nat_check: false }, "already pending");
        let w = ten_for([7; 20]);
        let mut out = Vec::new();
        s.pick(&w, &mut Rng::new(1), 100, 600, &mut out);
        assert!(out.is_empty(), "unchecked peers are not handed out");
        for attempt in 1..=3u8 {
            assert!(s.nat_result(&[1; 20], u.addr, u.port, false));
            assert_eq!(s.get(&[1; 20]).unwrap().nat_failures, attempt);
            let again = s.announce(&u);
            assert_eq!(again, UpdateOutcome::Stored { nat_check: attempt < 3 }, "attempt {attempt}");
        }
        assert!(!s.nat_result(&[1; 20], u.addr, 1, true), "a result for another port is stale");
        // A job lost by its driver times out and counts as a failed attempt.
        let mut lost = update(3, 10, Event::Started);
        lost.nat_check = true;
        assert_eq!(s.announce(&lost), UpdateOutcome::Stored { nat_check: true });
        lost.now += NAT_PENDING_TIMEOUT;
        assert_eq!(s.announce(&lost), UpdateOutcome::Stored { nat_check: false }, "still pending");
        lost.now += 1;
        assert_eq!(s.announce(&lost), UpdateOutcome::Stored { nat_check: true }, "re-queued");
        assert_eq!(s.get(&[3; 20]).unwrap().nat_failures, 1);
        s.remove(&[3; 20]);
        let mut u2 = update(2, 10, Event::Started);
        u2.nat_check = true;
        s.announce(&u2);
        assert!(s.nat_result(&[2; 20], u2.addr, u2.port, true));
        s.pick(&w, &mut Rng::new(1), 100, 600, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].id, [2; 20]);
        assert_eq!(s.leechers(), 2, "unconnectable peers still count");
    }

    #[test]
    fn harvested_peers_join_replies_with_or_without_caches() {
        let mut s = Swarm::default();
        s.announce(&update(1, 0, Event::Started));
        let far = Picked { addr: pack_ip("10.7.7.7".parse().unwrap()), port: 7, id: [0; 20], require_crypto: false };
        s.set_harvested(vec![far]);
        let w = ten_for([9; 20]);
        for lifetime in [0, 600] {
            let mut out = Vec::new();
            s.pick(&w, &mut Rng::new(1), 100, lifetime, &mut out);
            assert_eq!(out.len(), 2, "lifetime {lifetime}");
            assert!(out.contains(&far));
        }
        assert_eq!((s.seeds(), s.leechers()), (1, 0), "harvested peers are not counted");
        let mut out = Vec::new();
        s.pick_own(&w, &mut Rng::new(1), &mut out);
        assert_eq!(out.len(), 1, "T2T replies carry only our own peers");
    }

    #[test]
    fn index_appears_and_goes_with_swarm_size() {
        let mut s = Swarm::default();
        for id in 1..=40u8 {
            s.announce(&update(id, u64::from(id % 3), Event::Started));
            assert_eq!(s.index.is_some(), s.len() > INDEX_THRESHOLD);
        }
        for id in (1..=40u8).step_by(2) {
            assert_eq!(s.announce(&update(id, 1, Event::Stopped)), UpdateOutcome::Removed);
        }
        assert_eq!(s.len(), 20);
        for id in 1..=40u8 {
            assert_eq!(s.get(&[id; 20]).is_some(), id % 2 == 0, "peer {id}");
        }
        let mut late = update(2, 1, Event::None);
        late.now = 500;
        s.announce(&late);
        assert_eq!(s.expire(200), 19);
        assert!(s.index.is_none(), "small again: scanned");
        assert_eq!(s.get(&[2; 20]).map(|p| p.last_seen), Some(500));
    }

    #[test]
    fn expiry_and_dedicated_seed() {
        let mut s = Swarm::default();
        for id in 1..=5 {
            let mut u = update(id, if id % 2 == 0 { 0 } else { 3 }, Event::Started);
            u.now = 100 + u32::from(id);
            u.dedicated = id == 2;
            s.announce(&u);
        }
        assert!(s.is_seeded());
        assert_eq!(s.expire(103), 2);
        assert!(!s.is_seeded(), "the dedicated seed expired");
        assert_eq!((s.seeds(), s.leechers()), (1, 2));
        for id in 3..=5 {
            assert!(s.get(&[id; 20]).is_some(), "index rebuilt for {id}");
        }
    }
}
