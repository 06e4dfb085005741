//! Answering peers' BEP 52 hash requests: ranges of a file's merkle tree at or above its piece
//! layer, with their proofs, so that a peer that fetched a v2 torrent's metadata (which holds
//! no piece layers) can verify its pieces. Ranges below the piece layer would need the file's
//! data and are rejected, as are malformed requests and files without a piece layer.
//! The tree arithmetic is in [`crate::metainfo::merkle_range`].

use super::peer::PeerConn;
use super::torrent::Torrent;
use crate::metainfo::merkle_range::{LayerTree, TreeShape};
use crate::wire::{HashRange, Message};
use std::collections::HashMap;
use std::time::Instant;

/// The trees built so far, by pieces root (only roots of our files with a piece layer, so a
/// peer asking about made-up roots adds nothing).
pub type LayerTrees = HashMap<[u8; 32], LayerTree>;

impl Torrent {
    /// Answers a hash request with the range and its proof, or a reject (also once the
    /// connection was sent every piece layer a few times over, so a peer cannot make us send
    /// hashes without end).
    pub(super) fn on_hash_request(&mut self, conn: &mut PeerConn, range: HashRange, now: Instant) {
        let spent = conn.hashes_served >= self.hash_allowance();
        let hashes = self
            .layer_tree(&range.root)
            .and_then(|t| t.range(range.base, range.index, range.count, range.proof_layers))
            .filter(|_| !spent);
        match hashes {
            Some(hashes) => {
                conn.hashes_served += hashes.len() as u64;
                conn.send(&Message::Hashes { range, hashes: hashes.as_flattened() }, now);
            }
            None => conn.send(&Message::HashReject(range), now),
        }
    }

    /// Most hashes one connection is sent: every piece layer four times over, and room for
    /// proofs.
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
        let (index, file) = self.meta.files().iter().enumerate().find(|(_, f)| f.pieces_root() == Some(root))?;
        let layer = self.meta.piece_layer(index)?;
        Some(LayerTree::new(TreeShape::new(file.length(), self.meta.piece_length()), layer))
    }
}
