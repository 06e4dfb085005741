//! Answering peers' BEP 52 hash requests with ranges of a file's merkle tree and their proofs.
//! At or above the piece layer they come from the piece layers, so that a peer that fetched a
//! v2 torrent's metadata (which holds no piece layers) can verify its pieces. Below it (block
//! hashes, which libtorrent asks for to find the bad block of a piece that failed) they are
//! hashed from the data of one piece we have. Malformed requests, ranges spanning pieces, and
//! pieces we lack are rejected. The tree arithmetic is in [`crate::metainfo::merkle_range`].

use super::peer::PeerConn;
use super::torrent::Torrent;
use crate::metainfo::merkle::{Hash32, BLOCK_SIZE};
use crate::metainfo::merkle_range::{subtree_levels, LayerTree, TreeShape};
use crate::metainfo::PieceCheck;
use crate::storage::PieceIndex;
use crate::wire::{HashRange, Message};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Instant;

/// The trees built so far, by pieces root (only roots of our files with a piece layer, so a
/// peer asking about made-up roots adds nothing).
pub type LayerTrees = HashMap<[u8; 32], LayerTree>;

impl Torrent {
    /// Answers a hash request with the range and its proof, or a reject (also once the
    /// connection was sent every piece layer a few times over, so a peer cannot make us send
    /// hashes without end). Block hashes are charged for the blocks hashed to make them too,
    /// so a peer cannot make us hash piece after piece for a few hashes each.
    pub(super) fn on_hash_request(&mut self, conn: &mut PeerConn, range: HashRange, now: Instant) {
        let spent = conn.hashes_served >= self.hash_allowance();
        let answer = if spent { None } else { self.hashes_for(&range) };
        match answer {
            Some((hashes, blocks_hashed)) => {
                conn.hashes_served += hashes.len() as u64 + blocks_hashed;
                conn.send(&Message::Hashes { range, hashes: hashes.as_flattened() }, now);
            }
            None => conn.send(&Message::HashReject(range), now),
        }
    }

    /// The range's nodes and uncles, if we can give them, and how many blocks were hashed to
    /// make them.
    fn hashes_for(&mut self, range: &HashRange) -> Option<(Vec<Hash32>, u64)> {
        let (file, length) = self.file_of(&range.root)?;
        let shape = TreeShape::new(length, self.meta.piece_length());
        if !shape.is_valid(range.base, range.index, range.count, range.proof_layers) {
            return None;
        }
        if range.base >= shape.piece_base {
            let hashes =
                self.layer_tree(&range.root)?.range(range.base, range.index, range.count, range.proof_layers)?;
            return Some((hashes, 0));
        }
        self.below_piece_layer(file, shape, range)
    }

    /// A range below the piece layer, inside one piece we have: its subtree is hashed from the
    /// piece's data (and must match the piece's hash); uncles above the piece come from the
    /// piece layers. Also returns the number of blocks hashed.
    fn below_piece_layer(&mut self, file: usize, shape: TreeShape, range: &HashRange) -> Option<(Vec<Hash32>, u64)> {
        let top = shape.piece_base.min(shape.height);
        let per_piece = 1u64 << (top - range.base);
        let local = u64::from(range.index) / per_piece;
        if u64::from(range.index) + u64::from(range.count) > (local + 1) * per_piece {
            return None;
        }
        let piece = self.meta.files()[file].offset() / self.meta.piece_length() + local;
        let index = PieceIndex::trusted(u32::try_from(piece).ok()?);
        if !self.have.get(index.get()) {
            return None;
        }
        let (root, data_len, width) = match self.meta.piece_check(piece)? {
            PieceCheck::Merkle { root, data_len, width } | PieceCheck::Hybrid { root, data_len, width, .. } => {
                (root, data_len, width)
            }
            PieceCheck::Sha1(_) => return None,
        };
        let data = self.store.read_piece(index).ok()?;
        let leaves: Vec<Hash32> =
            data.get(..data_len as usize)?.chunks(BLOCK_SIZE as usize).map(|b| Sha256::digest(b).into()).collect();
        let levels = subtree_levels(&leaves, width as usize);
        if levels.last()?.first() != Some(&root) {
            return None; // the data on disk no longer matches: give nothing rather than lies
        }
        let offset = |level: u32| local << (top - level);
        let from = (u64::from(range.index) - offset(range.base)) as usize;
        let mut out = levels.get(range.base as usize)?.get(from..from + range.count as usize)?.to_vec();
        let first_up = range.count.next_power_of_two().trailing_zeros().max(1);
        for up in first_up..=range.proof_layers {
            let (level, node) = (range.base + up, (u64::from(range.index) >> up) ^ 1);
            let hash = if level < top {
                *levels.get(level as usize)?.get((node - offset(level)) as usize)?
            } else {
                self.layer_tree(&range.root)?.node(level, node)?
            };
            out.push(hash);
        }
        Some((out, leaves.len() as u64))
    }

    /// The index and length of the file whose pieces root is `root`.
    fn file_of(&self, root: &[u8; 32]) -> Option<(usize, u64)> {
        let (i, f) = self.meta.files().iter().enumerate().find(|(_, f)| f.pieces_root() == Some(root))?;
        Some((i, f.length()))
    }

    /// Most hashes one connection is sent (block hashes counting the blocks hashed for them
    /// too): every piece layer four times over, and room for proofs.
    fn hash_allowance(&self) -> u64 {
        let files = 0..self.meta.files().len();
        let layers: u64 = files.filter_map(|i| self.meta.piece_layer(i)).map(|l| l.len() as u64).sum();
        layers.saturating_mul(4).saturating_add(4096)
    }

    /// True when peers can get every piece layer from us: the torrent has v2 files and their
    /// layers.
    pub(super) fn serves_hashes(&self) -> bool {
        self.meta.info_hash_v2().is_some() && self.meta.has_piece_layers()
    }

    /// The tree of the file whose pieces root is `root`, built on first use.
    fn layer_tree(&mut self, root: &[u8; 32]) -> Option<&LayerTree> {
        if !self.layer_trees.contains_key(root) {
            let tree = self.build_layer_tree(root)?;
            self.layer_trees.insert(*root, tree);
        }
        self.layer_trees.get(root)
    }

    fn build_layer_tree(&self, root: &[u8; 32]) -> Option<LayerTree> {
        let (index, length) = self.file_of(root)?;
        let layer = self.meta.piece_layer(index)?;
        Some(LayerTree::new(TreeShape::new(length, self.meta.piece_length()), layer))
    }
}
