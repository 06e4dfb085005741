//! The swarm store: every torrent's [`Swarm`], in shards chosen by a keyed hash of the
//! info-hash (info-hashes are client-chosen, so never by their leading bytes), each shard
//! behind its own `parking_lot` lock so many threads announce at once. Each shard has its own
//! seeded [`Rng`] for peer selection, used under the shard's write lock.

use super::peer::PeerRecord;
use super::peer_select::{Picked, Rng, Wanted};
use super::query::{InfoHash, PeerId};
use super::swarm::{PeerUpdate, Swarm, UpdateOutcome};
use parking_lot::RwLock;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

/// Number of shards.
pub const SHARDS: usize = 64;

struct Shard {
    torrents: HashMap<InfoHash, Swarm>,
    rng: Rng,
}

/// Counts of one torrent after an announce, for the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SwarmCounts {
    /// Seeds.
    pub seeds: u64,
    /// Leechers.
    pub leechers: u64,
    /// Completed downloads.
    pub completed: u64,
    /// A dedicated seed is present.
    pub seeded: bool,
}

impl SwarmCounts {
    fn of(s: &Swarm) -> Self {
        SwarmCounts {
            seeds: s.seeds() as u64,
            leechers: s.leechers() as u64,
            completed: s.completed,
            seeded: s.is_seeded(),
        }
    }
}

/// All swarms, sharded.
pub struct SwarmStore {
    shards: Box<[RwLock<Shard>]>,
    hasher: RandomState,
    cache_lifetime: u32,
}

impl std::fmt::Debug for SwarmStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwarmStore").field("shards", &self.shards.len()).finish()
    }
}

impl SwarmStore {
    /// An empty store whose per-shard generators derive from `seed`.
    pub fn new(seed: u64) -> Self {
        let mut root = Rng::new(seed);
        let shards = (0..SHARDS)
            .map(|_| RwLock::new(Shard { torrents: HashMap::new(), rng: Rng::new(root.next_u64()) }))
            .collect();
        SwarmStore { shards, hasher: RandomState::new(), cache_lifetime: 0 }
    }

    /// Sets how long a swarm's hand-out caches live, in seconds (0 = no caches: every reply
    /// samples the swarm afresh).
    pub fn set_cache_lifetime(&mut self, seconds: u32) {
        self.cache_lifetime = seconds;
    }

    /// Replaces the peers harvested from other trackers for torrent `h`, if tracked.
    pub fn set_harvested(&self, h: &InfoHash, peers: Vec<Picked>) -> bool {
        match self.shard(h).write().torrents.get_mut(h) {
            Some(s) => {
                s.set_harvested(peers);
                true
            }
            None => false,
        }
    }

    fn shard(&self, h: &InfoHash) -> &RwLock<Shard> {
        &self.shards[(self.hasher.hash_one(h) as usize) % SHARDS]
    }

    /// Applies an announce and, when `wanted` is given, chooses reply peers into `out`.
    pub fn announce(
        &self,
        h: &InfoHash,
        update: &PeerUpdate,
        wanted: Option<&Wanted>,
        out: &mut Vec<Picked>,
    ) -> (UpdateOutcome, SwarmCounts) {
        let mut guard = self.shard(h).write();
        let shard = &mut *guard;
        let swarm = match shard.torrents.get_mut(h) {
            Some(s) => s,
            None if update.event == super::query::Event::Stopped => {
                return (UpdateOutcome::Removed, SwarmCounts::default());
            }
            None => shard.torrents.entry(*h).or_default(),
        };
        let outcome = swarm.announce(update);
        if let Some(w) = wanted {
            swarm.pick(w, &mut shard.rng, update.now, self.cache_lifetime, out);
        }
        (outcome, SwarmCounts::of(swarm))
    }

    /// Chooses peers of torrent `h` from its own swarm only (no caches, no harvested peers: a
    /// T2T reply must not pass on what other trackers told us), with its counts.
    pub fn pick_own(&self, h: &InfoHash, wanted: &Wanted, out: &mut Vec<Picked>) -> Option<SwarmCounts> {
        let mut guard = self.shard(h).write();
        let shard = &mut *guard;
        let swarm = shard.torrents.get(h)?;
        swarm.pick_own(wanted, &mut shard.rng, out);
        Some(SwarmCounts::of(swarm))
    }

    /// The counts of one torrent, if tracked.
    pub fn counts(&self, h: &InfoHash) -> Option<SwarmCounts> {
        self.shard(h).read().torrents.get(h).map(SwarmCounts::of)
    }

    /// Calls `f` for every tracked torrent (shard by shard, under read locks).
    pub fn for_each(&self, mut f: impl FnMut(&InfoHash, &Swarm)) {
        for shard in self.shards.iter() {
            for (h, s) in &shard.read().torrents {
                f(h, s);
            }
        }
    }

    /// Records a NAT check result.
    pub fn nat_result(&self, h: &InfoHash, id: &PeerId, addr: [u8; 16], port: u16, ok: bool) -> bool {
        self.shard(h).write().torrents.get_mut(h).is_some_and(|s| s.nat_result(id, addr, port, ok))
    }

    /// Drops peers last seen before `before`, then torrents left empty unless `keep` says
    /// otherwise. Returns (peers dropped, torrents dropped).
    pub fn expire(&self, before: u32, keep: impl Fn(&InfoHash) -> bool) -> (usize, usize) {
        let (mut peers, mut torrents) = (0, 0);
        for shard in self.shards.iter() {
            let mut g = shard.write();
            for s in g.torrents.values_mut() {
                peers += s.expire(before);
            }
            let n = g.torrents.len();
            g.torrents.retain(|h, s| !s.is_empty() || keep(h));
            torrents += n - g.torrents.len();
        }
        (peers, torrents)
    }

    /// Adds a restored peer (from the state file), creating the torrent if needed.
    pub fn insert_restored(&self, h: &InfoHash, rec: PeerRecord, seed: bool) {
        let mut g = self.shard(h).write();
        let s = g.torrents.entry(*h).or_default();
        if s.get(&rec.id).is_none() {
            s.insert(rec, seed);
        }
    }

    /// Sets the completed counter of a torrent, creating it if needed.
    pub fn set_completed(&self, h: &InfoHash, completed: u64) {
        self.shard(h).write().torrents.entry(*h).or_default().completed = completed;
    }

    /// Ensures a torrent exists (allowed torrents are listed even before any announce).
    pub fn ensure(&self, h: &InfoHash) {
        self.shard(h).write().torrents.entry(*h).or_default();
    }

    /// Removes a torrent.
    pub fn remove(&self, h: &InfoHash) {
        self.shard(h).write().torrents.remove(h);
    }

    /// Number of torrents, seeds and leechers.
    pub fn totals(&self) -> (u64, u64, u64) {
        let (mut t, mut s, mut l) = (0, 0, 0);
        self.for_each(|_, sw| {
            t += 1;
            s += sw.seeds() as u64;
            l += sw.leechers() as u64;
        });
        (t, s, l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::peer::pack_ip;
    use crate::tracker::peer_select::{CryptoMode, Family};
    use crate::tracker::query::{Event, PeerKey};
    use std::sync::Arc;

    fn update(id: u32, now: u32) -> PeerUpdate {
        let mut pid = [0u8; 20];
        pid[..4].copy_from_slice(&id.to_be_bytes());
        let ip = pack_ip(std::net::Ipv4Addr::from(0x0a00_0000 + id).into());
        PeerUpdate {
            id: pid,
            conn_ip: ip,
            addr: ip,
            port: 1,
            left: u64::from(id % 2),
            event: Event::Started,
            key: PeerKey::default(),
            support_crypto: false,
            require_crypto: false,
            dedicated: false,
            nat_check: false,
            nat_max_failures: 3,
            now,
        }
    }

    #[test]
    fn torrents_are_separate_and_threads_share_the_store() {
        let store = Arc::new(SwarmStore::new(9));
        let threads: Vec<_> = (0..4u32)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for i in 0..500u32 {
                        let h = [(i % 50) as u8; 20];
                        let u = update(t * 1000 + i, 10);
                        let w = Wanted {
                            want: 5,
                            requester: u.id,
                            requester_is_seed: false,
                            crypto: CryptoMode::Plain,
                            family: Family::Any,
                        };
                        let mut out = Vec::new();
                        store.announce(&h, &u, Some(&w), &mut out);
                        assert!(out.len() <= 5);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(store.totals(), (50, 1000, 1000));
        // Peers of one torrent never show up in another's reply.
        let h = [1u8; 20];
        let mut out = Vec::new();
        let u = update(99_999, 10);
        let w = Wanted {
            want: 1000,
            requester: u.id,
            requester_is_seed: false,
            crypto: CryptoMode::Plain,
            family: Family::Any,
        };
        store.announce(&h, &u, Some(&w), &mut out);
        assert_eq!(out.len(), 40);
    }

    #[test]
    fn expiry_drops_dead_torrents_unless_kept() {
        let store = SwarmStore::new(1);
        store.announce(&[1; 20], &update(1, 10), None, &mut Vec::new());
        store.announce(&[2; 20], &update(2, 10), None, &mut Vec::new());
        store.announce(&[3; 20], &update(3, 50), None, &mut Vec::new());
        let (peers, torrents) = store.expire(20, |h| *h == [2; 20]);
        assert_eq!((peers, torrents), (2, 1));
        assert_eq!(store.totals().0, 2);
        assert!(store.counts(&[1; 20]).is_none());
        let mut stop = update(5, 60);
        stop.event = Event::Stopped;
        store.announce(&[9; 20], &stop, None, &mut Vec::new());
        assert!(store.counts(&[9; 20]).is_none(), "a stop does not create a torrent");
    }
}
