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

/// The trees built so far, by pieces root (`None`: the root names no file with a piece layer).
pub type LayerTrees = HashMap<[u8; 32], Option<LayerTree>>;

impl Torrent {
    /// Answers a hash request with the range and its proof, or a reject.
    pub(super) fn on_hash_request(&mut self, conn: &mut PeerConn, range: HashRange, now: Instant) {
        let hashes = self
            .layer_tree(&range.root)
            .and_then(|t| t.range(range.base, range.index, range.count, range.proof_layers));
        match hashes {
            Some(hashes) => conn.send(&Message::Hashes { range, hashes: hashes.as_flattened() }, now),
            None => conn.send(&Message::HashReject(range), now),
        }
    }

    /// True when peers can get every piece layer from us: the torrent has v2 files and their
    /// layers.
    pub(super) fn serves_hashes(&self) -> bool {
        self.meta.info_hash_v2().is_some() && self.meta.has_piece_layers()
    }

    /// The tree of the file whose pieces root is `root`, built on first use.
    fn layer_tree(&mut self, root: &[u8; 32]) -> Option<&LayerTree> {
        if !self.layer_trees.contains_key(root) {
            let tree = self.build_layer_tree(root);
            self.layer_trees.insert(*root, tree);
        }
        self.layer_trees.get(root)?.as_ref()
    }

    fn build_layer_tree(&self, root: &[u8; 32]) -> Option<LayerTree> {
        let (index, file) = self.meta.files().iter().enumerate().find(|(_, f)| f.pieces_root() == Some(root))?;
        let layer = self.meta.piece_layer(index)?;
        Some(LayerTree::new(TreeShape::new(file.length(), self.meta.piece_length()), layer))
    }
}
