//! Whom to upload to: tit-for-tat with an optimistic unchoke (reference §3.4).
//!
//! Every `rechoke_interval` (10 s, the BEP 3 figure; BitTornado used 5 s, libtorrent 15 s: 10 s
//! keeps rate estimates over a few seconds meaningful while reacting twice as fast as
//! libtorrent) the reactor calls [`Choker::rechoke`] with every peer's figures and unchokes
//! exactly the peers it returns:
//!
//! 1. **Regular slots** (`max_uploads - 1`): interested, not snubbed peers with the best rate:
//!    their rate to us while leeching (tit-for-tat), our rate to them while seeding. Equal
//!    rates are ordered at random.
//! 2. **One optimistic slot**, held for `optimistic_interval` (30 s), then given to the
//!    eligible peer optimistically unchoked least recently (never before counts as oldest;
//!    random among equals), so every peer gets a turn to prove itself.
//!
//! A peer is snubbed when we want its data, it has unchoked us and nothing arrived for
//! `snub_time`; snubbed peers get no slot. Randomness comes from `ChokerConfig::seed`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::PeerKey;

/// Choker settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChokerConfig {
    /// Peers unchoked at once, the optimistic one included (BitTornado `max_uploads`, 7);
    /// 0 unchokes nobody.
    pub max_uploads: u32,
    /// Time between rechokes (10 s).
    pub rechoke_interval: Duration,
    /// How long the optimistic unchoke stays with one peer (30 s, BitTornado
    /// `round_robin_period`).
    pub optimistic_interval: Duration,
    /// Silence after which an unchoking peer counts as snubbing us (30 s, BitTornado
    /// `snub_time`).
    pub snub_time: Duration,
    /// Seed of the random tie-breaks.
    pub seed: u64,
}

impl Default for ChokerConfig {
    fn default() -> Self {
        ChokerConfig {
            max_uploads: 7,
            rechoke_interval: Duration::from_secs(10),
            optimistic_interval: Duration::from_secs(30),
            snub_time: Duration::from_secs(30),
            seed: 0,
        }
    }
}

/// One connected peer's figures at rechoke time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerStats {
    /// The peer.
    pub peer: PeerKey,
    /// The peer is interested in our pieces.
    pub interested: bool,
    /// We are interested in the peer's pieces.
    pub am_interested: bool,
    /// When the peer last unchoked us; `None` while it chokes us.
    pub unchoked_us_at: Option<Instant>,
    /// When the last block from the peer arrived.
    pub last_block_at: Option<Instant>,
    /// Rate of payload from the peer to us, bytes per second.
    pub download_rate: u64,
    /// Rate of payload from us to the peer, bytes per second.
    pub upload_rate: u64,
}

impl PeerStats {
    /// Whether the peer snubs us: we want its data, it unchoked us, and nothing arrived for
    /// `snub_time` since the later of the unchoke and the last block.
    pub fn is_snubbed(&self, now: Instant, snub_time: Duration) -> bool {
        let Some(unchoked) = self.unchoked_us_at else { return false };
        let since = self.last_block_at.map_or(unchoked, |b| b.max(unchoked));
        self.am_interested && now.saturating_duration_since(since) >= snub_time
    }
}

/// The choker of one torrent. Tracks:
/// 1. when the next rechoke is due;
/// 2. the current optimistic peer and when it got the slot;
/// 3. when each connected peer last held the optimistic slot.
#[derive(Debug, Clone)]
pub struct Choker {
    /// Settings.
    config: ChokerConfig,
    /// Random tie-breaks.
    rng: SmallRng,
    /// Deadline of the next rechoke; `None` before the first.
    next_rechoke: Option<Instant>,
    /// The optimistic peer and when it got the slot.
    optimistic: Option<(PeerKey, Instant)>,
    /// Last time each peer got the optimistic slot (peers no longer passed in are dropped).
    last_optimistic: HashMap<PeerKey, Instant>,
}

impl Choker {
    /// Silence after which an unchoking peer counts as snubbing us.
    pub fn snub_time(&self) -> Duration {
        self.config.snub_time
    }

    /// A choker with these settings; the first rechoke is due at once.
    pub fn new(config: ChokerConfig) -> Choker {
        Choker {
            rng: SmallRng::seed_from_u64(config.seed),
            config,
            next_rechoke: None,
            optimistic: None,
            last_optimistic: HashMap::new(),
        }
    }

    /// When the next rechoke is due (`None`: now).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_rechoke
    }

    /// Whether a rechoke is due at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        self.next_rechoke.is_none_or(|t| now >= t)
    }

    /// The peer holding the optimistic slot, if any.
    pub fn optimistic(&self) -> Option<PeerKey> {
        self.optimistic.map(|(p, _)| p)
    }

    /// Chooses the peers to unchoke among `peers` (all connected peers) and schedules the next
    /// rechoke. `seeding` selects the seeding order (our upload rate to them). Returns the
    /// peers to unchoke; every other peer is to be choked.
    pub fn rechoke(&mut self, now: Instant, peers: &[PeerStats], seeding: bool) -> Vec<PeerKey> {
        self.next_rechoke = Some(now + self.config.rechoke_interval);
        self.last_optimistic.retain(|k, _| peers.iter().any(|p| p.peer == *k));
        let mut eligible: Vec<(u64, u64, PeerKey)> = peers
            .iter()
            .filter(|p| p.interested && !p.is_snubbed(now, self.config.snub_time))
            .map(|p| (if seeding { p.upload_rate } else { p.download_rate }, self.rng.random(), p.peer))
            .collect();
        eligible.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let max = self.config.max_uploads as usize;
        let regular = max.saturating_sub(1).min(eligible.len());
        let mut unchoke: Vec<PeerKey> = eligible[..regular].iter().map(|e| e.2).collect();
        if max > 0 {
            if let Some(opt) = self.choose_optimistic(now, &eligible[regular..]) {
                unchoke.push(opt);
            }
        } else {
            self.optimistic = None;
        }
        unchoke
    }

    /// Keeps the optimistic peer while it is still a candidate and its time is not up, else
    /// gives the slot to the candidate that held it least recently.
    fn choose_optimistic(&mut self, now: Instant, candidates: &[(u64, u64, PeerKey)]) -> Option<PeerKey> {
        if let Some((peer, since)) = self.optimistic {
            let fresh = now.saturating_duration_since(since) < self.config.optimistic_interval;
            if fresh && candidates.iter().any(|c| c.2 == peer) {
                return Some(peer);
            }
        }
        // Candidates are in random order among equal rates; the key adds the turn order.
        let next = candidates.iter().min_by_key(|c| (self.last_optimistic.get(&c.2).copied(), c.1)).map(|c| c.2);
        self.optimistic = next.map(|p| (p, now));
        if let Some(p) = next {
            self.last_optimistic.insert(p, now);
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    /// Peers from a fixture: one char per peer, `I` interested, `.` not; rates in order.
    fn peers(interest: &str, down: &[u64], up: &[u64], t0: Instant) -> Vec<PeerStats> {
        interest
            .chars()
            .enumerate()
            .map(|(i, c)| PeerStats {
                peer: PeerKey(i as u32),
                interested: c == 'I',
                am_interested: true,
                unchoked_us_at: None,
                last_block_at: Some(t0),
                download_rate: down[i],
                upload_rate: up[i],
            })
            .collect()
    }

    fn keys(v: &[u32]) -> Vec<PeerKey> {
        v.iter().map(|&k| PeerKey(k)).collect()
    }

    fn config(max_uploads: u32, seed: u64) -> ChokerConfig {
        ChokerConfig { max_uploads, seed, ..ChokerConfig::default() }
    }

    #[test]
    fn leeching_unchokes_best_uploaders_plus_one_optimistic() {
        let t0 = Instant::now();
        let ps = peers("IIIII.I", &[500, 900, 100, 700, 0, 5000, 300], &[0; 7], t0);
        let mut c = Choker::new(config(4, 1));
        let mut got = c.rechoke(t0, &ps, false);
        assert_eq!(got[..3], keys(&[1, 3, 0]), "best three by rate to us; 5 is not interested");
        let opt = got.pop().unwrap();
        assert!([2, 4, 6].contains(&opt.0), "optimistic among the rest: {opt:?}");
        assert_eq!(c.optimistic(), Some(opt));
    }

    #[test]
    fn seeding_orders_by_our_upload_rate() {
        let t0 = Instant::now();
        let ps = peers("IIII", &[9000, 8000, 7000, 6000], &[10, 40, 30, 20], t0);
        let mut c = Choker::new(config(3, 2));
        let got = c.rechoke(t0, &ps, true);
        assert_eq!(got[..2], keys(&[1, 2]));
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn snubbed_peers_are_excluded_while_leeching() {
        let t0 = Instant::now();
        let mut ps = peers("III", &[9000, 10, 20], &[0; 3], t0);
        ps[0].unchoked_us_at = Some(t0);
        ps[1].unchoked_us_at = Some(t0);
        ps[1].last_block_at = Some(t0 + 31 * S);
        ps[2].last_block_at = None;
        ps[2].unchoked_us_at = Some(t0 + 20 * S);
        let now = t0 + 40 * S;
        assert!(ps[0].is_snubbed(now, 30 * S));
        assert!(!ps[1].is_snubbed(now, 30 * S));
        assert!(!ps[2].is_snubbed(now, 30 * S), "unchoked only 20 s ago");
        let mut c = Choker::new(config(3, 3));
        let got = c.rechoke(now, &ps, false);
        assert_eq!(got, keys(&[2, 1]));
        // A choking peer or one we do not want data from is never snubbed.
        ps[0].am_interested = false;
        assert!(!ps[0].is_snubbed(now, 30 * S));
        ps[0].am_interested = true;
        ps[0].unchoked_us_at = None;
        assert!(!ps[0].is_snubbed(now, 30 * S));
    }

    #[test]
    fn optimistic_slot_rotates_every_interval() {
        let t0 = Instant::now();
        // One regular slot (peer 0 is fastest), one optimistic among peers 1..=3.
        let ps = peers("IIII", &[1000, 0, 0, 0], &[0; 4], t0);
        let mut c = Choker::new(config(2, 4));
        let mut seen = Vec::new();
        for round in 0..9u32 {
            let now = t0 + round * 10 * S;
            assert!(c.is_due(now));
            let got = c.rechoke(now, &ps, false);
            assert_eq!(got[0], PeerKey(0));
            assert_eq!(got.len(), 2);
            seen.push(got[1].0);
            assert_eq!(c.poll_timeout(), Some(now + 10 * S));
            assert!(!c.is_due(now + 9 * S));
        }
        // Held for three 10 s rounds, then handed on: each peer gets a turn in order of least
        // recent use.
        assert_eq!(seen[0], seen[1]);
        assert_eq!(seen[1], seen[2]);
        let turns = [seen[0], seen[3], seen[6]];
        assert!(turns.iter().all(|t| [1, 2, 3].contains(t)));
        assert_eq!(
            {
                let mut t = turns.to_vec();
                t.sort();
                t
            },
            [1, 2, 3],
            "{seen:?}"
        );
    }

    #[test]
    fn optimistic_moves_on_when_its_peer_leaves_or_loses_interest() {
        let t0 = Instant::now();
        let mut ps = peers("III", &[1000, 0, 0], &[0; 3], t0);
        let mut c = Choker::new(config(2, 5));
        let first = c.rechoke(t0, &ps, false)[1];
        ps.retain(|p| p.peer != first);
        let second = c.rechoke(t0 + S, &ps, false);
        assert_eq!(second.len(), 2);
        assert_ne!(second[1], first);
        let idx = ps.iter().position(|p| p.peer == second[1]).unwrap();
        ps[idx].interested = false;
        assert_eq!(c.rechoke(t0 + 2 * S, &ps, false), keys(&[0]));
        assert_eq!(c.optimistic(), None);
    }

    #[test]
    fn fewer_peers_than_slots_all_unchoked_and_zero_slots_none() {
        let t0 = Instant::now();
        let ps = peers("I.I", &[1, 2, 3], &[0; 3], t0);
        let mut c = Choker::new(config(7, 6));
        let mut got = c.rechoke(t0, &ps, false);
        got.sort();
        assert_eq!(got, keys(&[0, 2]));
        let mut none = Choker::new(config(0, 6));
        assert!(none.rechoke(t0, &ps, false).is_empty());
    }

    #[test]
    fn ties_are_broken_by_the_seed() {
        let t0 = Instant::now();
        let ps = peers("IIIIII", &[5; 6], &[0; 6], t0);
        let pick = |seed| Choker::new(config(3, seed)).rechoke(t0, &ps, false);
        assert_eq!(pick(9), pick(9), "same seed, same choice");
        let distinct: std::collections::HashSet<Vec<PeerKey>> = (0..20).map(pick).collect();
        assert!(distinct.len() > 1, "ties never vary across seeds");
    }

    #[test]
    fn random_swarms_respect_slots_and_tit_for_tat() {
        let t0 = Instant::now() + 120 * S;
        let mut rng = SmallRng::seed_from_u64(77);
        let mut c = Choker::new(config(4, 7));
        for round in 0..200u32 {
            let now = t0 + round * 10 * S;
            let ps: Vec<PeerStats> = (0..rng.random_range(0..12))
                .map(|i| PeerStats {
                    peer: PeerKey(i),
                    interested: rng.random_bool(0.7),
                    am_interested: true,
                    unchoked_us_at: rng.random_bool(0.5).then_some(now - 60 * S),
                    last_block_at: Some(now - rng.random_range(0..60) * S),
                    download_rate: rng.random_range(0..5) * 1000,
                    upload_rate: rng.random_range(0..5) * 1000,
                })
                .collect();
            let seeding = rng.random_bool(0.3);
            let got = c.rechoke(now, &ps, seeding);
            let eligible: Vec<&PeerStats> =
                ps.iter().filter(|p| p.interested && !p.is_snubbed(now, c.config.snub_time)).collect();
            assert_eq!(got.len(), eligible.len().min(4));
            let distinct: std::collections::HashSet<_> = got.iter().collect();
            assert_eq!(distinct.len(), got.len());
            let rate = |k: PeerKey| {
                let p = ps.iter().find(|p| p.peer == k).unwrap();
                if seeding {
                    p.upload_rate
                } else {
                    p.download_rate
                }
            };
            // Regular slots hold the best rates: no chosen regular peer is slower than a peer
            // left out entirely.
            let regular = &got[..got.len().min(3)];
            for left_out in eligible.iter().filter(|p| !got.contains(&p.peer)) {
                assert!(regular.iter().all(|&k| rate(k) >= rate(left_out.peer)));
            }
        }
    }
}
