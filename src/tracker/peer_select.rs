//! Choosing the peers of one reply in O(numwant): a walk over the pool starting at a random
//! offset with a random stride coprime to the pool size (so every peer is visited at most once
//! and consecutive requesters see different peers), seeds and leechers mixed in proportion to
//! the swarm, seeds given only leechers, the requester never given itself.
//!
//! Randomness comes from an explicitly seeded [`Rng`], never from a thread RNG.

use super::peer::{PeerRecord, REQUIRE_CRYPTO, SUPPORT_CRYPTO};
use super::query::PeerId;

/// A small, fast, seeded generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Which peers a requester may be given, by its encryption wishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoMode {
    /// No crypto parameters: only peers that do not require encryption.
    Plain,
    /// `supportcrypto`: every peer, with a flag byte saying which require encryption.
    Support,
    /// `requirecrypto`: only peers that support encryption.
    Require,
}

/// Which address families a reply may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4 and IPv6 (HTTP: `peers` and `peers6`).
    Any,
    /// IPv4 only (UDP over IPv4).
    V4,
    /// IPv6 only (UDP over IPv6).
    V6,
}

/// One chosen peer, copied out of the swarm for reply writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Picked {
    /// Address, 16 bytes (IPv4 mapped).
    pub addr: [u8; 16],
    /// Port.
    pub port: u16,
    /// Peer id.
    pub id: PeerId,
    /// The peer requires encryption.
    pub require_crypto: bool,
}

impl Picked {
    /// The hand-out copy of a stored peer.
    pub fn of(p: &PeerRecord) -> Self {
        Picked { addr: p.addr, port: p.port, id: p.id, require_crypto: p.has(REQUIRE_CRYPTO) }
    }
}

/// What one request wants.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    /// Most peers to return.
    pub want: usize,
    /// The requester (never returned).
    pub requester: PeerId,
    /// The requester is a seed (gets only leechers).
    pub requester_is_seed: bool,
    /// Encryption filter.
    pub crypto: CryptoMode,
    /// Address families wanted.
    pub family: Family,
}

fn acceptable(p: &PeerRecord, w: &Wanted) -> bool {
    p.id != w.requester && acceptable_for(p, w.crypto, w.family)
}

/// True when `p` may be handed out to a requester with these encryption wishes and families.
pub fn acceptable_for(p: &PeerRecord, crypto: CryptoMode, family: Family) -> bool {
    p.handed_out()
        && match family {
            Family::Any => true,
            Family::V4 => p.is_v4(),
            Family::V6 => !p.is_v4(),
        }
        && match crypto {
            CryptoMode::Plain => !p.has(REQUIRE_CRYPTO),
            CryptoMode::Support => true,
            CryptoMode::Require => p.has(SUPPORT_CRYPTO),
        }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Appends up to `want` acceptable peers of `pool` to `out`, visiting the pool in a random
/// stride order. Returns how many were appended.
pub fn sample(pool: &[PeerRecord], want: usize, w: &Wanted, rng: &mut Rng, out: &mut Vec<Picked>) -> usize {
    let n = pool.len();
    if want == 0 || n == 0 {
        return 0;
    }
    let mut idx = rng.below(n);
    let mut step = 1;
    if n > 2 {
        step = 1 + rng.below(n - 1);
        while gcd(step, n) != 1 {
            step = if step + 1 == n { 1 } else { step + 1 };
        }
    }
    let mut got = 0;
    for _ in 0..n {
        let p = &pool[idx];
        if acceptable(p, w) {
            out.push(Picked::of(p));
            got += 1;
            if got == want {
                break;
            }
        }
        idx += step;
        if idx >= n {
            idx -= n;
        }
    }
    got
}

/// Appends up to `want` of `pool` (peers harvested from other trackers, whose encryption
/// support is unknown: none for `requirecrypto` requesters) that match the request's address
/// family, from a random starting point. Returns how many.
pub fn sample_picked(pool: &[Picked], want: usize, w: &Wanted, rng: &mut Rng, out: &mut Vec<Picked>) -> usize {
    if want == 0 || pool.is_empty() {
        return 0;
    }
    let start = rng.below(pool.len());
    let mut got = 0;
    for i in 0..pool.len() {
        let p = pool[(start + i) % pool.len()];
        let v4 = p.addr[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
        let family = match w.family {
            Family::Any => true,
            Family::V4 => v4,
            Family::V6 => !v4,
        };
        if family && p.id != w.requester && w.crypto != CryptoMode::Require {
            out.push(p);
            got += 1;
            if got == want {
                break;
            }
        }
    }
    got
}

/// Chooses the peers of one reply from a swarm's seeds and leechers into `out`.
pub fn pick(seeds: &[PeerRecord], leechers: &[PeerRecord], w: &Wanted, rng: &mut Rng, out: &mut Vec<Picked>) {
    if w.requester_is_seed {
        sample(leechers, w.want, w, rng, out);
        return;
    }
    let (s, l) = (seeds.len(), leechers.len());
    if s + l <= w.want {
        sample(seeds, s, w, rng, out);
        sample(leechers, l, w, rng, out);
        return;
    }
    let leech_share = (w.want * l + (s + l) / 2) / (s + l);
    let got_seeds = sample(seeds, w.want - leech_share, w, rng, out);
    sample(leechers, w.want - got_seeds, w, rng, out);
}

/// For unit tests: `want` plain peers of any family for requester `[0xff; 20]`.
#[cfg(test)]
pub(crate) fn test_wanted(want: usize, seed: bool) -> Wanted {
    Wanted { want, requester: [0xff; 20], requester_is_seed: seed, crypto: CryptoMode::Plain, family: Family::Any }
}

#[cfg(test)]
mod tests {
    use super::super::peer::{test_peers as peers, CONNECTABLE};
    use super::test_wanted as wanted;
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_duplicates_and_requester_excluded() {
        let seeds = peers(30, 1);
        let leechers = peers(70, 2);
        let mut rng = Rng::new(1);
        let mut w = wanted(50, false);
        w.requester = leechers[3].id;
        for _ in 0..50 {
            let mut out = Vec::new();
            pick(&seeds, &leechers, &w, &mut rng, &mut out);
            assert_eq!(out.len(), 50);
            let ids: HashSet<_> = out.iter().map(|p| p.id).collect();
            assert_eq!(ids.len(), 50);
            assert!(!ids.contains(&w.requester));
            let from_seeds = out.iter().filter(|p| p.id[19] == 1).count();
            assert_eq!(from_seeds, 15, "seeds in proportion to the swarm (30%)");
        }
    }

    #[test]
    fn seeds_get_only_leechers() {
        let seeds = peers(10, 1);
        let leechers = peers(5, 2);
        let mut out = Vec::new();
        pick(&seeds, &leechers, &wanted(50, true), &mut Rng::new(2), &mut out);
        assert_eq!(out.len(), 5);
        assert!(out.iter().all(|p| p.id[19] == 2));
    }

    #[test]
    fn consecutive_requests_are_fair() {
        let pool = peers(1000, 3);
        let mut rng = Rng::new(3);
        let mut counts = vec![0u32; 1000];
        let mut previous: HashSet<PeerId> = HashSet::new();
        let mut overlaps = 0;
        for _ in 0..400 {
            let mut out = Vec::new();
            sample(&pool, 50, &wanted(50, false), &mut rng, &mut out);
            let ids: HashSet<_> = out.iter().map(|p| p.id).collect();
            overlaps += ids.intersection(&previous).count();
            for p in &out {
                counts[u64::from_be_bytes(p.id[..8].try_into().unwrap()) as usize] += 1;
            }
            previous = ids;
        }
        // 400 x 50 = 20,000 picks over 1000 peers: 20 each on average.
        assert!(counts.iter().all(|&c| (3..=60).contains(&c)), "min {:?}", counts.iter().min());
        assert!(overlaps < 400 * 10, "consecutive replies mostly differ: {overlaps}");
    }

    #[test]
    fn filters_crypto_and_unconnectable() {
        let mut pool = peers(6, 4);
        pool[0].flags |= REQUIRE_CRYPTO | SUPPORT_CRYPTO;
        pool[1].flags |= SUPPORT_CRYPTO;
        pool[2].flags &= !CONNECTABLE;
        pool[3].port = 0;
        let run = |mode| {
            let mut w = wanted(10, false);
            w.crypto = mode;
            let mut out = Vec::new();
            sample(&pool, 10, &w, &mut Rng::new(5), &mut out);
            let mut ids: Vec<u8> = out.iter().map(|p| p.id[7]).collect();
            ids.sort();
            ids
        };
        assert_eq!(run(CryptoMode::Plain), vec![1, 4, 5]);
        assert_eq!(run(CryptoMode::Support), vec![0, 1, 4, 5]);
        assert_eq!(run(CryptoMode::Require), vec![0, 1]);
    }
}
