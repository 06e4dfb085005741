//! Fetching a torrent's info dictionary from peers (BEP 9 `ut_metadata`), for a torrent added
//! from a magnet link: which 16 KiB piece to ask which peer for, the pieces assembled, and the
//! whole checked against the info-hash. Pieces come from several peers at once; once a
//! dictionary assembled from several peers fails the check, each attempt takes every piece from
//! one peer, so the next failure names the liar. The whole is checked against each hash the
//! link gives (SHA-1 for `urn:btih:`, SHA-256 for `urn:btmh:`). Sans-I/O: the reactor moves the messages.

use super::PeerKey;
use crate::metainfo::magnet::MagnetLink;
use crate::wire::metadata::METADATA_PIECE;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::time::{Duration, Instant};

/// Largest info dictionary fetched (libtorrent's default limit is 3 MiB; large torrents with
/// many files go past it).
pub const MAX_METADATA_SIZE: u64 = 16 << 20;
/// Requests outstanding to one peer, at most.
const PER_PEER: usize = 2;
/// A request unanswered this long may be asked of another peer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Where one metadata piece is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Missing,
    Requested { peer: PeerKey, at: Instant },
    Have { peer: PeerKey },
}

/// What a piece of data led to.
#[derive(Debug, PartialEq, Eq)]
pub enum Fed {
    /// More pieces are needed.
    More,
    /// Every piece is in and the dictionary's SHA-1 is the info-hash: its bytes.
    Done(Vec<u8>),
    /// Every piece is in but the SHA-1 is wrong; the fetch starts over. Holds the peer that
    /// sent every piece (to ban), or nothing when several did (the liar is not known yet).
    HashFailed(Option<PeerKey>),
}

/// Why a peer's metadata message was refused; the connection is closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// A size of zero or over [`MAX_METADATA_SIZE`].
    #[error("metadata size {0} is zero or over the {MAX_METADATA_SIZE}-byte limit")]
    BadSize(u64),
    /// A size other than the one other peers gave.
    #[error("metadata size {got} differs from the {want} bytes other peers gave")]
    SizeMismatch {
        /// Size this peer gave.
        got: u64,
        /// Size known before.
        want: u64,
    },
    /// A piece index past the end, or a piece of the wrong length.
    #[error("metadata piece {0} is out of range or of the wrong length")]
    BadPiece(u32),
}

/// The hashes the info dictionary must have: each one given must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfoHashes {
    /// Its SHA-1 (the v1 info-hash).
    pub v1: Option<[u8; 20]>,
    /// Its SHA-256 (the v2 info-hash).
    pub v2: Option<[u8; 32]>,
}

impl InfoHashes {
    /// The hashes a magnet link gives.
    pub fn of(link: &MagnetLink) -> InfoHashes {
        InfoHashes { v1: link.info_hash_v1(), v2: link.info_hash_v2 }
    }

    /// True when `info` has every hash given (and at least one is).
    fn matches(&self, info: &[u8]) -> bool {
        (self.v1.is_some() || self.v2.is_some())
            && self.v1.is_none_or(|h| <[u8; 20]>::from(Sha1::digest(info)) == h)
            && self.v2.is_none_or(|h| <[u8; 32]>::from(Sha256::digest(info)) == h)
    }
}

impl From<[u8; 20]> for InfoHashes {
    fn from(v1: [u8; 20]) -> InfoHashes {
        InfoHashes { v1: Some(v1), v2: None }
    }
}

/// The state of one torrent's metadata download.
#[derive(Debug)]
pub struct MetadataFetch {
    info_hash: InfoHashes,
    size: Option<u64>,
    buf: Vec<u8>,
    slots: Vec<Slot>,
    /// After a failure of pieces from several peers: the one peer this attempt takes every
    /// piece from (`Some(None)` until one is asked).
    single: Option<Option<PeerKey>>,
}

impl MetadataFetch {
    /// Starts fetching the info dictionary with these hashes.
    pub fn new(info_hash: impl Into<InfoHashes>) -> MetadataFetch {
        MetadataFetch { info_hash: info_hash.into(), size: None, buf: Vec::new(), slots: Vec::new(), single: None }
    }

    /// Takes the size a peer gave (`metadata_size` or `total_size`); the first valid one is
    /// kept until a hash failure.
    pub fn learn_size(&mut self, size: u64) -> Result<(), FetchError> {
        if size == 0 || size > MAX_METADATA_SIZE {
            return Err(FetchError::BadSize(size));
        }
        match self.size {
            Some(want) if want != size => Err(FetchError::SizeMismatch { got: size, want }),
            Some(_) => Ok(()),
            None => {
                self.size = Some(size);
                self.buf = vec![0; size as usize];
                self.slots = vec![Slot::Missing; (size as usize).div_ceil(METADATA_PIECE)];
                Ok(())
            }
        }
    }

    /// The next piece to ask `peer` for, marked as asked; none when the size is unknown, the
    /// peer has enough outstanding, or every piece is in or recently asked of someone.
    pub fn next_request(&mut self, peer: PeerKey, now: Instant) -> Option<u32> {
        if !self.may_ask(peer, now) {
            return None;
        }
        let outstanding =
            self.slots.iter().filter(|s| matches!(s, Slot::Requested { peer: p, .. } if *p == peer)).count();
        if outstanding >= PER_PEER {
            return None;
        }
        let free = |s: &Slot| match *s {
            Slot::Missing => true,
            Slot::Requested { peer: p, at } => p != peer && now.duration_since(at) > REQUEST_TIMEOUT,
            Slot::Have { .. } => false,
        };
        let i = self.slots.iter().position(free)?;
        self.slots[i] = Slot::Requested { peer, at: now };
        Some(i as u32)
    }

    /// In one-peer mode, whether `peer` may be asked: it is the attempt's peer, or becomes it
    /// (when there is none, or the one there was left a request unanswered too long; the
    /// attempt then starts over).
    fn may_ask(&mut self, peer: PeerKey, now: Instant) -> bool {
        let Some(owner) = self.single else { return true };
        let stalled = self
            .slots
            .iter()
            .any(|s| matches!(*s, Slot::Requested { at, .. } if now.duration_since(at) > REQUEST_TIMEOUT));
        match owner {
            Some(o) if o == peer => true,
            Some(_) if !stalled => false,
            _ => {
                self.restart_attempt();
                self.single = Some(Some(peer));
                true
            }
        }
    }

    /// Drops the pieces of the current attempt (the size is kept).
    fn restart_attempt(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = Slot::Missing);
        self.single = self.single.map(|_| None);
    }

    /// Takes piece `piece` of a dictionary of `total_size` bytes from `peer`.
    pub fn on_data(&mut self, peer: PeerKey, piece: u32, total_size: u64, data: &[u8]) -> Result<Fed, FetchError> {
        if self.single.is_some_and(|owner| owner != Some(peer)) {
            return Ok(Fed::More);
        }
        self.learn_size(total_size)?;
        let start = piece as usize * METADATA_PIECE;
        let want = self.buf.len().saturating_sub(start).min(METADATA_PIECE);
        if piece as usize >= self.slots.len() || data.len() != want {
            return Err(FetchError::BadPiece(piece));
        }
        if matches!(self.slots[piece as usize], Slot::Have { .. }) {
            return Ok(Fed::More);
        }
        self.buf[start..start + want].copy_from_slice(data);
        self.slots[piece as usize] = Slot::Have { peer };
        if self.slots.iter().any(|s| !matches!(s, Slot::Have { .. })) {
            return Ok(Fed::More);
        }
        if self.info_hash.matches(&self.buf) {
            return Ok(Fed::Done(std::mem::take(&mut self.buf)));
        }
        let mut senders: Vec<PeerKey> =
            self.slots.iter().filter_map(|s| if let Slot::Have { peer } = s { Some(*peer) } else { None }).collect();
        senders.sort_by_key(|k| k.0);
        senders.dedup();
        // The size is learnt again too, so a liar's size does not stick.
        *self = MetadataFetch { single: Some(None), ..MetadataFetch::new(self.info_hash) };
        Ok(Fed::HashFailed(if let [one] = senders[..] { Some(one) } else { None }))
    }

    /// `peer` refused piece `piece`: it may be asked of others.
    pub fn on_reject(&mut self, peer: PeerKey, piece: u32) {
        if let Some(s) = self.slots.get_mut(piece as usize) {
            if matches!(*s, Slot::Requested { peer: p, .. } if p == peer) {
                *s = Slot::Missing;
            }
        }
    }

    /// `peer` left: its outstanding pieces may be asked of others (in one-peer mode, the
    /// attempt starts over if it was the attempt's peer).
    pub fn peer_gone(&mut self, peer: PeerKey) {
        if self.single == Some(Some(peer)) {
            return self.restart_attempt();
        }
        for s in &mut self.slots {
            if matches!(*s, Slot::Requested { peer: p, .. } if p == peer) {
                *s = Slot::Missing;
            }
        }
    }

    /// The dictionary's size, once a peer gave one.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// Fraction of the dictionary received, 0..=1 (0 while the size is unknown).
    pub fn progress(&self) -> f64 {
        let have = self.slots.iter().filter(|s| matches!(s, Slot::Have { .. })).count();
        if self.slots.is_empty() {
            0.0
        } else {
            have as f64 / self.slots.len() as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(len: usize) -> (Vec<u8>, [u8; 20]) {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let hash = Sha1::digest(&bytes).into();
        (bytes, hash)
    }

    fn piece(bytes: &[u8], i: u32) -> &[u8] {
        &bytes[i as usize * METADATA_PIECE..bytes.len().min((i as usize + 1) * METADATA_PIECE)]
    }

    #[test]
    fn pieces_from_two_peers_assemble_the_dictionary() {
        let (bytes, hash) = info(40_000);
        let (a, b) = (PeerKey(1), PeerKey(2));
        let now = Instant::now();
        let mut f = MetadataFetch::new(hash);
        assert_eq!(f.next_request(a, now), None, "nothing to ask before the size is known");
        f.learn_size(40_000).unwrap();
        assert_eq!((f.next_request(a, now), f.next_request(a, now), f.next_request(a, now)), (Some(0), Some(1), None));
        assert_eq!(f.next_request(b, now), Some(2));
        assert_eq!(f.on_data(b, 2, 40_000, piece(&bytes, 2)).unwrap(), Fed::More);
        f.peer_gone(a);
        assert_eq!(f.next_request(b, now), Some(0));
        assert_eq!(f.on_data(b, 0, 40_000, piece(&bytes, 0)).unwrap(), Fed::More);
        assert!((f.progress() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(f.next_request(b, now), Some(1));
        assert_eq!(f.on_data(b, 1, 40_000, piece(&bytes, 1)).unwrap(), Fed::Done(bytes));
    }

    #[test]
    fn after_a_mixed_failure_each_attempt_takes_one_peer_and_names_a_liar() {
        let (good, hash) = info(20_000);
        let mut bad = good.clone();
        bad[5] ^= 1;
        let (liar, honest) = (PeerKey(3), PeerKey(4));
        let now = Instant::now();
        let mut f = MetadataFetch::new(hash);
        assert_eq!(f.on_data(liar, 0, 20_000, piece(&bad, 0)).unwrap(), Fed::More);
        assert_eq!(f.on_data(honest, 1, 20_000, piece(&good, 1)).unwrap(), Fed::HashFailed(None));
        assert_eq!(f.progress(), 0.0);
        // The size is learnt again, so a liar's size does not stick.
        f.learn_size(20_000).unwrap();
        // One peer per attempt: the liar asks first and gets every piece, the other nothing.
        assert_eq!((f.next_request(liar, now), f.next_request(liar, now)), (Some(0), Some(1)));
        assert_eq!(f.next_request(honest, now), None);
        assert_eq!(f.on_data(honest, 0, 20_000, piece(&good, 0)).unwrap(), Fed::More, "ignored");
        assert_eq!(f.progress(), 0.0);
        assert_eq!(f.on_data(liar, 0, 20_000, piece(&bad, 0)).unwrap(), Fed::More);
        assert_eq!(f.on_data(liar, 1, 20_000, piece(&bad, 1)).unwrap(), Fed::HashFailed(Some(liar)));
        f.learn_size(20_000).unwrap();
        // The next attempt goes to the honest peer; if it stalls, another takes over.
        assert_eq!(f.next_request(honest, now), Some(0));
        assert_eq!(f.next_request(PeerKey(9), now), None);
        let later = now + REQUEST_TIMEOUT * 2;
        assert_eq!(f.next_request(PeerKey(9), later), Some(0));
        assert_eq!(f.on_data(honest, 0, 20_000, piece(&good, 0)).unwrap(), Fed::More, "no longer its attempt");
        assert_eq!(f.progress(), 0.0);
        assert_eq!(f.on_data(PeerKey(9), 0, 20_000, piece(&good, 0)).unwrap(), Fed::More);
        f.peer_gone(PeerKey(9));
        assert_eq!(f.progress(), 0.0, "the attempt's peer left: it starts over");
        assert_eq!((f.next_request(honest, later), f.next_request(honest, later)), (Some(0), Some(1)));
        f.on_data(honest, 0, 20_000, piece(&good, 0)).unwrap();
        assert_eq!(f.on_data(honest, 1, 20_000, piece(&good, 1)).unwrap(), Fed::Done(good));
    }

    #[test]
    fn bad_sizes_and_pieces_are_refused() {
        let (bytes, hash) = info(20_000);
        let now = Instant::now();
        let mut f = MetadataFetch::new(hash);
        assert_eq!(f.learn_size(0), Err(FetchError::BadSize(0)));
        assert_eq!(f.learn_size(MAX_METADATA_SIZE + 1), Err(FetchError::BadSize(MAX_METADATA_SIZE + 1)));
        f.learn_size(20_000).unwrap();
        assert_eq!(f.learn_size(20_001), Err(FetchError::SizeMismatch { got: 20_001, want: 20_000 }));
        let k = PeerKey(1);
        assert_eq!(f.on_data(k, 2, 20_000, b"x"), Err(FetchError::BadPiece(2)));
        assert_eq!(f.on_data(k, 1, 20_000, &bytes[..100]), Err(FetchError::BadPiece(1)));
        // A rejected piece goes to the next asker; an unanswered one only after the timeout.
        assert_eq!(f.next_request(k, now), Some(0));
        f.on_reject(k, 0);
        assert_eq!(f.next_request(PeerKey(2), now), Some(0));
        assert_eq!(f.next_request(PeerKey(3), now), Some(1));
        assert_eq!(f.next_request(PeerKey(4), now), None);
        assert_eq!(f.next_request(PeerKey(4), now + REQUEST_TIMEOUT * 2), Some(0));
    }
}
