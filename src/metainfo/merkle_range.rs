//! Ranges of a file's merkle tree with their proofs (BEP 52 `hash request` / `hashes`): the
//! tree above a known piece layer, answering ranges of it, and checking a range received
//! against the file's pieces root.
//!
//! Layers are counted from the 16 KiB leaves (layer 0) as on the wire. A range is `count`
//! nodes of layer `base` from `index`, followed by one uncle hash per layer from the top of
//! the subtree the range spans up to layer `base + proof_layers` (the layers the range itself
//! covers need no proof).

use super::merkle::{hash_pair, leaf_count, pad_hash, root_from_layer, Hash32, BLOCK_SIZE};

/// Most nodes one range may hold (libtorrent's limit too).
pub const MAX_RANGE: u32 = 8192;

/// The shape of one file's tree: how many layers, and which is the piece layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeShape {
    /// Layers above the leaves: the root is layer `height`.
    pub height: u32,
    /// The layer whose nodes each cover one piece.
    pub piece_base: u32,
}

impl TreeShape {
    /// The tree of a file of `length` bytes in a torrent of `piece_length`-byte pieces.
    pub fn new(length: u64, piece_length: u64) -> TreeShape {
        let leaves = leaf_count(length).max(1).next_power_of_two();
        TreeShape { height: leaves.trailing_zeros(), piece_base: (piece_length / BLOCK_SIZE).trailing_zeros() }
    }

    /// Nodes in layer `base` (padding included).
    pub fn width(&self, base: u32) -> u64 {
        1u64 << (self.height - base.min(self.height))
    }

    /// True when a request for this range is well formed for this tree (the checks libtorrent
    /// makes): a layer below the root, nodes inside it, at most [`MAX_RANGE`] of them, and
    /// proof layers that stop below the root.
    pub fn is_valid(&self, base: u32, index: u32, count: u32, proof_layers: u32) -> bool {
        base < self.height
            && (1..=MAX_RANGE).contains(&count)
            && u64::from(index) + u64::from(count) <= self.width(base)
            && proof_layers < self.height - base
    }

    /// The proof layers that take a range of layer `base` up to just below the root.
    pub fn full_proof(&self, base: u32) -> u32 {
        self.height.saturating_sub(base + 1)
    }
}

/// Layers of the subtree a range of `count` nodes spans: uncles start above them.
fn spanned_layers(count: u32) -> u32 {
    count.max(1).next_power_of_two().trailing_zeros()
}

/// A file's tree from its piece layer up to its root, padding included: what is needed to
/// answer ranges at or above the piece layer.
#[derive(Debug, Clone)]
pub struct LayerTree {
    shape: TreeShape,
    /// `layers[0]` is the piece layer padded to its width; the last holds the root alone.
    layers: Vec<Vec<Hash32>>,
}

impl LayerTree {
    /// The tree above `piece_layer` (one hash per piece of the file) for a file of that shape.
    pub fn new(shape: TreeShape, piece_layer: &[Hash32]) -> LayerTree {
        let width = shape.width(shape.piece_base) as usize;
        LayerTree { shape, layers: levels_above(piece_layer, width, pad_hash(shape.piece_base)) }
    }

    /// Node `index` of layer `level` (at or above the piece layer, padding included).
    pub fn node(&self, level: u32, index: u64) -> Option<Hash32> {
        let layer = self.layers.get(level.checked_sub(self.shape.piece_base)? as usize)?;
        layer.get(usize::try_from(index).ok()?).copied()
    }

    /// The file's pieces root as this layer computes it.
    pub fn root(&self) -> Hash32 {
        self.layers.last().and_then(|l| l.first()).copied().unwrap_or([0; 32])
    }

    /// The range's nodes followed by its uncle hashes, or `None` when the request is malformed
    /// or asks for layers below the piece layer (those need the file's data).
    pub fn range(&self, base: u32, index: u32, count: u32, proof_layers: u32) -> Option<Vec<Hash32>> {
        if !self.shape.is_valid(base, index, count, proof_layers) || base < self.shape.piece_base {
            return None;
        }
        let at =
            |layer: u32, i: u64| self.layers.get((layer - self.shape.piece_base) as usize)?.get(i as usize).copied();
        let mut out: Vec<Hash32> =
            (0..u64::from(count)).map(|i| at(base, u64::from(index) + i)).collect::<Option<_>>()?;
        for up in spanned_layers(count).max(1)..=proof_layers {
            let node = u64::from(index) >> up;
            out.push(at(base + up, node ^ 1)?);
        }
        Some(out)
    }
}

/// The layers of the subtree over `leaves` padded with zero hashes to `width` (a power of two):
/// `[0]` the leaves, the last the subtree's root alone.
pub fn subtree_levels(leaves: &[Hash32], width: usize) -> Vec<Vec<Hash32>> {
    levels_above(leaves, width, pad_hash(0))
}

/// `layer` padded with `pad` to `width` nodes (a power of two), then each layer above it up to
/// the single root.
fn levels_above(layer: &[Hash32], width: usize, pad: Hash32) -> Vec<Vec<Hash32>> {
    let mut bottom = layer.to_vec();
    bottom.resize(width.max(bottom.len()).max(1), pad);
    let mut levels = vec![bottom];
    while let Some(last) = levels.last().filter(|l| l.len() > 1) {
        let next = last.chunks(2).map(|p| hash_pair(&p[0], p.get(1).unwrap_or(&[0; 32]))).collect();
        levels.push(next);
    }
    levels
}

/// Checks a received range against the file's `root`: `hashes` holds the `count` nodes of
/// layer `base` from `index` (`count` a power of two of at least 2, `index` a multiple of it)
/// and then one uncle per layer up to just below the root. Returns the nodes when they prove
/// out.
pub fn verify_range(
    root: &Hash32,
    shape: TreeShape,
    base: u32,
    index: u32,
    count: u32,
    hashes: &[Hash32],
) -> Option<Vec<Hash32>> {
    if count < 2 || !count.is_power_of_two() || !index.is_multiple_of(count) {
        return None;
    }
    let span = spanned_layers(count);
    let uncles = shape.height.checked_sub(base)?.checked_sub(span)? as usize;
    if hashes.len() != count as usize + uncles {
        return None;
    }
    let (nodes, proof) = hashes.split_at(count as usize);
    let mut node = root_from_layer(nodes, count as usize, [0; 32]);
    let mut at = index >> span;
    for uncle in proof {
        node = if at.is_multiple_of(2) { hash_pair(&node, uncle) } else { hash_pair(uncle, &node) };
        at >>= 1;
    }
    (node == *root && at == 0).then(|| nodes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metainfo::merkle::{file_root, piece_layer};
    use sha2::{Digest, Sha256};

    /// A file of `blocks` 16 KiB leaves in pieces of `per_piece` blocks: its leaves, shape and
    /// piece layer.
    fn file(blocks: u64, per_piece: u64) -> (Vec<Hash32>, TreeShape, Vec<Hash32>) {
        let leaves: Vec<Hash32> = (0..blocks).map(|i| Sha256::digest(i.to_le_bytes()).into()).collect();
        let plen = per_piece * BLOCK_SIZE;
        let shape = TreeShape::new(blocks * BLOCK_SIZE - 100, plen);
        let layer = piece_layer(&leaves, plen);
        (leaves, shape, layer)
    }

    #[test]
    fn shape_of_a_file() {
        let s = TreeShape::new(11 * BLOCK_SIZE, 4 * BLOCK_SIZE);
        assert_eq!(s, TreeShape { height: 4, piece_base: 2 });
        assert_eq!(s.width(2), 4);
        assert_eq!(s.full_proof(2), 1);
        assert!(s.is_valid(2, 0, 4, 1));
        assert!(!s.is_valid(2, 2, 4, 1), "past the layer's end");
        assert!(!s.is_valid(2, 0, 4, 2), "proof up to the root itself");
        assert!(!s.is_valid(4, 0, 1, 0), "the root layer");
        assert!(!s.is_valid(2, 0, 0, 0), "no nodes");
    }

    #[test]
    fn every_aligned_range_proves_out_against_the_root() {
        for (blocks, per_piece) in [(11u64, 1u64), (11, 2), (40, 4), (1000, 16), (3, 2)] {
            let (leaves, shape, layer) = file(blocks, per_piece);
            let root = file_root(&leaves);
            let tree = LayerTree::new(shape, &layer);
            assert_eq!(tree.root(), root, "{blocks} blocks of {per_piece}");
            let width = shape.width(shape.piece_base) as u32;
            let mut count = 2;
            while count <= width {
                for index in (0..width).step_by(count as usize) {
                    let got = tree.range(shape.piece_base, index, count, shape.full_proof(shape.piece_base)).unwrap();
                    let nodes = verify_range(&root, shape, shape.piece_base, index, count, &got).expect("proves out");
                    let want: Vec<Hash32> = (index..index + count)
                        .map(|i| layer.get(i as usize).copied().unwrap_or(pad_hash(shape.piece_base)))
                        .collect();
                    assert_eq!(nodes, want);
                }
                count *= 2;
            }
        }
    }

    #[test]
    fn tampered_ranges_are_refused() {
        let (leaves, shape, layer) = file(64, 2);
        let root = file_root(&leaves);
        let tree = LayerTree::new(shape, &layer);
        let good = tree.range(1, 8, 8, shape.full_proof(1)).unwrap();
        assert!(verify_range(&root, shape, 1, 8, 8, &good).is_some());
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i][0] ^= 1;
            assert!(verify_range(&root, shape, 1, 8, 8, &bad).is_none(), "hash {i} changed");
        }
        assert!(verify_range(&root, shape, 1, 16, 8, &good).is_none(), "another place");
        assert!(verify_range(&root, shape, 1, 8, 8, &good[..good.len() - 1]).is_none(), "an uncle short");
        assert!(verify_range(&root, shape, 1, 8, 8, &[]).is_none());
        assert!(verify_range(&root, shape, 9, 0, 8, &good).is_none(), "above the root");
    }

    #[test]
    fn subtree_levels_end_in_the_root() {
        let leaves: Vec<Hash32> = (0..5u8).map(|i| Sha256::digest([i]).into()).collect();
        let levels = subtree_levels(&leaves, 8);
        assert_eq!(levels.iter().map(Vec::len).collect::<Vec<_>>(), [8, 4, 2, 1]);
        assert_eq!(levels[3][0], file_root(&leaves));
    }

    #[test]
    fn layers_below_the_piece_layer_and_malformed_requests_are_not_answered() {
        let (_, shape, layer) = file(64, 4);
        let tree = LayerTree::new(shape, &layer);
        assert!(tree.range(1, 0, 2, 1).is_none());
        assert!(tree.range(2, 0, 8192 * 2, 1).is_none());
        assert!(tree.range(2, 15, 2, 1).is_none());
        assert!(tree.range(3, 0, 2, 2).is_some(), "a layer above the piece layer");
        assert!(tree.range(3, 0, 2, 3).is_none(), "proof up to the root itself");
        // libtorrent's proof for a single node starts at its parent's sibling.
        let one = tree.range(2, 5, 1, 2).unwrap();
        assert_eq!(one.len(), 1 + 2);
    }
}
