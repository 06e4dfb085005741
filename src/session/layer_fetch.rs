//! Fetching the piece layers of a v2 torrent whose info dictionary came from a magnet link
//! (BEP 52): the dictionary gives each file's pieces root but not the piece hashes below it, so
//! they are asked of peers with hash requests, a range of up to 512 hashes at a time with the
//! proof that takes it to the root, and each answer is checked before it is kept. Sans-I/O: the
//! magnet torrent moves the messages.

use super::PeerKey;
use crate::metainfo::merkle::Hash32;
use crate::metainfo::merkle_range::{verify_range, TreeShape};
use crate::metainfo::Metainfo;
use crate::wire::HashRange;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Most piece hashes asked for in one request (libtorrent asks for 512 too).
const RANGE: u32 = 512;
/// Requests outstanding to one peer, at most.
const PER_PEER: usize = 4;
/// A request unanswered this long may be asked of another peer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Where one range of a piece layer is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Missing,
    Requested { peer: PeerKey, at: Instant },
    Have(Vec<Hash32>),
}

/// One file whose piece layer is fetched.
#[derive(Debug)]
struct FileLayer {
    root: Hash32,
    shape: TreeShape,
    /// Pieces of the file: the layer's nodes past them are padding, not kept.
    pieces: u32,
    /// Nodes per request (a power of two).
    count: u32,
    slots: Vec<Slot>,
}

impl FileLayer {
    fn range(&self, slot: usize) -> HashRange {
        let base = self.shape.piece_base;
        HashRange {
            root: self.root,
            base,
            index: slot as u32 * self.count,
            count: self.count,
            proof_layers: self.shape.full_proof(base),
        }
    }
}

/// An answer that does not prove out: the peer that sent it is closed and banned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hashes for file root {root} from index {index} do not match the file's pieces root")]
pub struct BadHashes {
    /// The file's root, in hex.
    pub root: String,
    /// The range's first node.
    pub index: u32,
}

/// The piece layers still to fetch for one torrent.
#[derive(Debug, Default)]
pub struct LayerFetch {
    files: Vec<FileLayer>,
}

impl LayerFetch {
    /// The layers `meta` lacks: one for each v2 file of more than one piece (smaller files are
    /// verified against their pieces root alone). Nothing to fetch when `meta` has its layers
    /// or no v2 files.
    pub fn new(meta: &Metainfo) -> LayerFetch {
        if meta.has_piece_layers() || meta.info_hash_v2().is_none() {
            return LayerFetch::default();
        }
        let plen = meta.piece_length();
        let files = meta
            .files()
            .iter()
            .filter(|f| f.length() > plen)
            .filter_map(|f| {
                let shape = TreeShape::new(f.length(), plen);
                let pieces = f.length().div_ceil(plen) as u32;
                let count = (shape.width(shape.piece_base) as u32).min(RANGE);
                let slots = vec![Slot::Missing; pieces.div_ceil(count) as usize];
                Some(FileLayer { root: *f.pieces_root()?, shape, pieces, count, slots })
            })
            .collect();
        LayerFetch { files }
    }

    /// True when every layer is in (or none was needed).
    pub fn is_done(&self) -> bool {
        self.files.iter().all(|f| f.slots.iter().all(|s| matches!(s, Slot::Have(_))))
    }

    /// The next range to ask `peer` for: a missing one, or one another peer has not answered
    /// in time; `None` when `peer` has enough outstanding or nothing is left to ask.
    pub fn next_request(&mut self, peer: PeerKey, now: Instant) -> Option<HashRange> {
        let outstanding = self.slots().filter(|s| matches!(s, Slot::Requested { peer: p, .. } if *p == peer)).count();
        if outstanding >= PER_PEER {
            return None;
        }
        for file in &mut self.files {
            let free = file.slots.iter().position(|s| match s {
                Slot::Missing => true,
                Slot::Requested { peer: p, at } => *p != peer && now.duration_since(*at) > REQUEST_TIMEOUT,
                Slot::Have(_) => false,
            });
            if let Some(i) = free {
                file.slots[i] = Slot::Requested { peer, at: now };
                return Some(file.range(i));
            }
        }
        None
    }

    /// Takes an answer to a request (from whichever peer: it is checked): kept when it proves
    /// out against the file's root, ignored when it answers nothing asked (or already
    /// answered), an error when it is wrong.
    pub fn on_hashes(&mut self, range: &HashRange, hashes: &[u8]) -> Result<(), BadHashes> {
        let Some((file, slot)) = self.slot_of(range) else { return Ok(()) };
        let f = &mut self.files[file];
        if matches!(f.slots[slot], Slot::Have(_)) {
            return Ok(());
        }
        let nodes: Vec<Hash32> = hashes.as_chunks::<32>().0.to_vec();
        let bad = || BadHashes { root: crate::metainfo::parse::hex(&range.root), index: range.index };
        let mut nodes = verify_range(&f.root, f.shape, range.base, range.index, range.count, &nodes).ok_or_else(bad)?;
        nodes.truncate((f.pieces - range.index).min(range.count) as usize);
        f.slots[slot] = Slot::Have(nodes);
        Ok(())
    }

    /// `peer` refused a request: it may be asked of others.
    pub fn on_reject(&mut self, peer: PeerKey, range: &HashRange) {
        if let Some((file, slot)) = self.slot_of(range) {
            let s = &mut self.files[file].slots[slot];
            if matches!(s, Slot::Requested { peer: p, .. } if *p == peer) {
                *s = Slot::Missing;
            }
        }
    }

    /// `peer` is gone: what it was asked for may be asked of others.
    pub fn peer_gone(&mut self, peer: PeerKey) {
        for f in &mut self.files {
            for s in &mut f.slots {
                if matches!(s, Slot::Requested { peer: p, .. } if *p == peer) {
                    *s = Slot::Missing;
                }
            }
        }
    }

    /// The `piece layers` dictionary: each file's root and its piece hashes concatenated
    /// (complete once [`Self::is_done`]).
    pub fn layers(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        self.files
            .iter()
            .map(|f| {
                let hashes = f.slots.iter().flat_map(|s| if let Slot::Have(n) = s { n.as_slice() } else { &[] });
                (f.root.to_vec(), hashes.flatten().copied().collect())
            })
            .collect()
    }

    fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.files.iter().flat_map(|f| &f.slots)
    }

    /// The file and slot a range is the request of, if it is one of ours.
    fn slot_of(&self, range: &HashRange) -> Option<(usize, usize)> {
        let file = self.files.iter().position(|f| f.root == range.root)?;
        let f = &self.files[file];
        let ours = range.base == f.shape.piece_base && range.count == f.count && range.index.is_multiple_of(f.count);
        let slot = (range.index / f.count) as usize;
        (ours && slot < f.slots.len()).then_some((file, slot))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metainfo::create::{create, CreateOptions, TorrentVersion};
    use crate::metainfo::hasher::Progress;
    use crate::metainfo::merkle_range::LayerTree;
    use std::sync::Arc;

    /// A v2 torrent of files of `lengths` bytes (16 KiB pieces) and the same torrent with only
    /// its info dictionary, as a magnet link gives it.
    fn torrents(lengths: &[usize]) -> (Arc<Metainfo>, Metainfo) {
        let dir = tempfile::tempdir().unwrap();
        for (i, len) in lengths.iter().enumerate() {
            let data: Vec<u8> = (0..*len).map(|b| (b * 31 + i) as u8).collect();
            std::fs::write(dir.path().join(format!("f{i}")), data).unwrap();
        }
        let opts =
            CreateOptions { piece_size_pow2: 14, version: TorrentVersion::V2, ..CreateOptions::new(dir.path(), "") };
        let full = Metainfo::from_bytes(&create(&opts, &Progress::new()).unwrap()).unwrap();
        let bare =
            crate::metainfo::magnet::MagnetLink::parse("magnet:?xt=urn:btih:0000000000000000000000000000000000000000")
                .unwrap()
                .torrent_bytes(full.info_bytes(), &BTreeMap::new());
        (Arc::new(full), Metainfo::from_bytes(&bare).unwrap())
    }

    /// What an honest peer answers: the range from the full torrent's trees.
    fn answer(full: &Metainfo, r: &HashRange) -> Vec<u8> {
        let (i, f) = full.files().iter().enumerate().find(|(_, f)| f.pieces_root() == Some(&r.root)).unwrap();
        let tree = LayerTree::new(TreeShape::new(f.length(), full.piece_length()), full.piece_layer(i).unwrap());
        tree.range(r.base, r.index, r.count, r.proof_layers).unwrap().as_flattened().to_vec()
    }

    #[test]
    fn layers_from_two_peers_rebuild_the_torrent() {
        // 1500 pieces: three ranges of 512; 3 pieces: one range of 4; one piece: no layer.
        let (full, bare) = torrents(&[1500 * 16384 - 7, 3 * 16384, 16384]);
        assert!(!bare.has_piece_layers());
        let mut f = LayerFetch::new(&bare);
        let (a, b, now) = (PeerKey(1), PeerKey(2), Instant::now());
        let mut asked = Vec::new();
        while let Some(r) = f.next_request(if asked.len() % 2 == 0 { a } else { b }, now) {
            asked.push(r);
        }
        assert_eq!(asked.len(), 4, "{asked:?}");
        assert!(asked.iter().all(|r| r.base == 0 && r.index % r.count == 0));
        for r in &asked {
            assert!(!f.is_done());
            f.on_hashes(r, &answer(&full, r)).unwrap();
        }
        assert!(f.is_done());
        let layers = f.layers();
        for (i, file) in full.files().iter().enumerate().filter(|(_, f)| !f.is_pad()) {
            let want = full.piece_layer(i).map(|l| l.as_flattened().to_vec());
            assert_eq!(layers.get(file.pieces_root().unwrap().as_slice()).cloned(), want, "file {i}");
        }
    }

    #[test]
    fn wrong_hashes_are_refused_and_asked_again() {
        let (full, bare) = torrents(&[40 * 16384]);
        let mut f = LayerFetch::new(&bare);
        let now = Instant::now();
        let r = f.next_request(PeerKey(1), now).unwrap();
        let mut lie = answer(&full, &r);
        lie[5] ^= 1;
        assert!(f.on_hashes(&r, &lie).is_err());
        assert!(f.on_hashes(&r, &lie[..lie.len() - 32]).is_err(), "a proof short");
        // Unasked ranges are ignored.
        f.on_hashes(&HashRange { index: 999, ..r }, &lie).unwrap();
        f.peer_gone(PeerKey(1));
        let again = f.next_request(PeerKey(2), now).unwrap();
        assert_eq!(again, r);
        f.on_reject(PeerKey(2), &again);
        let late = now + REQUEST_TIMEOUT;
        let r3 = f.next_request(PeerKey(3), late).unwrap();
        assert_eq!(f.next_request(PeerKey(4), late), None, "asked of 3 a moment ago");
        assert_eq!(
            f.next_request(PeerKey(4), late + REQUEST_TIMEOUT + Duration::from_secs(1)),
            Some(r3),
            "3 took too long"
        );
        f.on_hashes(&r3, &answer(&full, &r3)).unwrap();
        assert!(f.is_done());
    }

    #[test]
    fn nothing_to_fetch_for_torrents_with_layers_or_small_files() {
        let (full, bare) = torrents(&[16384, 100]);
        assert!(LayerFetch::new(&full).is_done());
        assert!(LayerFetch::new(&bare).is_done());
    }
}
