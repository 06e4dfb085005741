//! The picker's pool of wanted pieces nobody has started, bucketed for rarest-first order.
//!
//! ```text
//!  band 0 (high)    avail 0: [p9]   avail 1: [p4 p7]   avail 2: []   ...
//!  band 1 (normal)  avail 0: []     avail 1: [p2 p0 p5] avail 2: [p1] ...
//!  band 2 (low)     ...
//! ```
//!
//! Each bucket holds the pieces of one priority band and one availability, in random order:
//! a piece entering a bucket swaps places with a random member (BitTornado's random
//! insertion), so scanning a bucket front to back breaks ties at random. Moving a piece when
//! its availability changes, adding and removing are all O(1). Each member remembers the key
//! it is filed under, so the caller may let keys go stale during a burst of changes (a peer's
//! whole bitfield) and refile everything once with [`PiecePool::refile_all`].

use rand::rngs::SmallRng;
use rand::Rng;

/// Number of priority bands (high, normal, low).
pub(crate) const BANDS: usize = 3;

/// Marks a piece that is not in the pool.
const ABSENT: u32 = u32::MAX;

/// A bucket key: priority band (0 = best) and availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    /// Band, `< BANDS`.
    pub band: usize,
    /// Number of (non-seed) peers that have the piece.
    pub avail: u32,
}

/// Wanted, unstarted pieces bucketed by band and availability. Tracks:
/// 1. per band, per availability, the member pieces in random order;
/// 2. per piece, its position inside its bucket (or absent) and the key it is filed under;
/// 3. the number of members.
#[derive(Debug, Clone)]
pub(crate) struct PiecePool {
    /// `bands[band][avail]` is a bucket; a piece sits in exactly one bucket or none.
    bands: [Vec<Vec<u32>>; BANDS],
    /// `pos[piece]` is the piece's index in its bucket, `ABSENT` when not in the pool.
    pos: Vec<u32>,
    /// `filed[piece]` is the key of the bucket holding the piece (meaningless when absent).
    filed: Vec<Key>,
    /// Number of pieces in the pool.
    len: usize,
}

impl PiecePool {
    /// An empty pool for `pieces` pieces.
    pub fn new(pieces: u32) -> PiecePool {
        let none = Key { band: 0, avail: 0 };
        PiecePool {
            bands: Default::default(),
            pos: vec![ABSENT; pieces as usize],
            filed: vec![none; pieces as usize],
            len: 0,
        }
    }

    /// Number of pieces in the pool.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether `piece` is in the pool.
    pub fn contains(&self, piece: u32) -> bool {
        self.pos[piece as usize] != ABSENT
    }

    /// Files `piece` under `key` at a random place in its bucket.
    pub fn insert(&mut self, piece: u32, key: Key, rng: &mut SmallRng) {
        debug_assert!(!self.contains(piece));
        let band = &mut self.bands[key.band];
        let a = key.avail as usize;
        if band.len() <= a {
            band.resize_with(a + 1, Vec::new);
        }
        let bucket = &mut band[a];
        bucket.push(piece);
        let last = bucket.len() - 1;
        let j = rng.random_range(0..=last);
        bucket.swap(j, last);
        self.pos[bucket[last] as usize] = last as u32;
        self.pos[piece as usize] = j as u32;
        self.filed[piece as usize] = key;
        self.len += 1;
    }

    /// Takes `piece` out of the pool.
    pub fn remove(&mut self, piece: u32) {
        let key = self.filed[piece as usize];
        let at = self.pos[piece as usize];
        debug_assert!(at != ABSENT);
        let bucket = &mut self.bands[key.band][key.avail as usize];
        debug_assert_eq!(bucket[at as usize], piece);
        bucket.swap_remove(at as usize);
        if let Some(&moved) = bucket.get(at as usize) {
            self.pos[moved as usize] = at;
        }
        self.pos[piece as usize] = ABSENT;
        self.len -= 1;
    }

    /// Refiles `piece` under key `to`.
    pub fn rekey(&mut self, piece: u32, to: Key, rng: &mut SmallRng) {
        if self.filed[piece as usize] != to {
            self.remove(piece);
            self.insert(piece, to, rng);
        }
    }

    /// Refiles every member under `key(piece)`, in ascending piece order (so the result
    /// depends only on the members, their keys and the RNG).
    pub fn refile_all(&mut self, key: impl Fn(u32) -> Key, rng: &mut SmallRng) {
        let members: Vec<u32> = (0..self.pos.len() as u32).filter(|&p| self.contains(p)).collect();
        for band in &mut self.bands {
            band.iter_mut().for_each(Vec::clear);
        }
        self.pos.iter_mut().for_each(|p| *p = ABSENT);
        self.len = 0;
        for p in members {
            self.insert(p, key(p), rng);
        }
    }

    /// Position of a member inside its bucket (random, for tie-breaks).
    pub fn position(&self, piece: u32) -> u32 {
        self.pos[piece as usize]
    }

    /// Highest availability any bucket of `band` may hold, plus one.
    pub fn bucket_count(&self, band: usize) -> usize {
        self.bands[band].len()
    }

    /// The members filed under `key`, in tie-break order.
    pub fn bucket(&self, key: Key) -> &[u32] {
        self.bands[key.band].get(key.avail as usize).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn key(band: usize, avail: u32) -> Key {
        Key { band, avail }
    }

    #[test]
    fn insert_remove_rekey_keep_positions() {
        let mut rng = SmallRng::seed_from_u64(7);
        let mut pool = PiecePool::new(10);
        for p in 0..10 {
            pool.insert(p, key((p % 3) as usize, p % 2), &mut rng);
        }
        assert_eq!(pool.len(), 10);
        pool.remove(4);
        pool.rekey(7, key(0, 5), &mut rng);
        assert!(!pool.contains(4) && pool.contains(7));
        assert_eq!(pool.bucket(key(0, 5)), [7]);
        assert_eq!(pool.bucket_count(0), 6);
        for band in 0..BANDS {
            for avail in 0..pool.bucket_count(band) as u32 {
                for (i, &p) in pool.bucket(key(band, avail)).iter().enumerate() {
                    assert_eq!(pool.position(p), i as u32);
                }
            }
        }
        let members: usize =
            (0..BANDS).flat_map(|b| (0..6).map(move |a| (b, a))).map(|(b, a)| pool.bucket(key(b, a)).len()).sum();
        assert_eq!(members, 9);
    }

    #[test]
    fn refile_all_moves_every_member() {
        let mut rng = SmallRng::seed_from_u64(8);
        let mut pool = PiecePool::new(6);
        for p in [0, 2, 3, 5] {
            pool.insert(p, key(1, 0), &mut rng);
        }
        pool.refile_all(|p| key(if p < 3 { 0 } else { 2 }, p), &mut rng);
        assert_eq!(pool.len(), 4);
        assert!(!pool.contains(1) && !pool.contains(4));
        assert!(pool.bucket(key(1, 0)).is_empty());
        assert_eq!((pool.bucket(key(0, 0)), pool.bucket(key(0, 2))), (&[0][..], &[2][..]));
        assert_eq!((pool.bucket(key(2, 3)), pool.bucket(key(2, 5))), (&[3][..], &[5][..]));
        pool.remove(5);
        pool.rekey(3, key(2, 5), &mut rng);
        assert_eq!(pool.bucket(key(2, 5)), [3]);
    }

    #[test]
    fn insertion_order_is_shuffled() {
        // Over several seeds, the first member of a bucket is not always the first inserted.
        let firsts: Vec<u32> = (0..20)
            .map(|seed| {
                let mut rng = SmallRng::seed_from_u64(seed);
                let mut pool = PiecePool::new(8);
                for p in 0..8 {
                    pool.insert(p, key(1, 1), &mut rng);
                }
                pool.bucket(key(1, 1))[0]
            })
            .collect();
        assert!(firsts.iter().any(|&f| f != firsts[0]), "{firsts:?}");
    }
}
