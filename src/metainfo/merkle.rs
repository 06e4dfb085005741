//! BEP 52 merkle trees: SHA-256 over 16 KiB leaves, padded to a power of two.
//!
//! A file's tree has one leaf per 16 KiB block (the last may be shorter), padded with zero
//! hashes to a power-of-two width. Its root is the file's `pieces root`; the layer whose nodes
//! each cover one piece is the file's `piece layer`. Padding nodes above the leaves are roots of
//! all-zero subtrees, see [`pad_hash`].

use sha2::{Digest, Sha256};

/// Size of one v2 leaf block.
pub const BLOCK_SIZE: u64 = 16 * 1024;

/// A SHA-256 digest.
pub type Hash32 = [u8; 32];

/// SHA-256 of the concatenation of two nodes.
pub fn hash_pair(left: &Hash32, right: &Hash32) -> Hash32 {
    let mut h = Sha256::new();
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of a subtree of `2^height` all-zero leaves (height 0 is the zero hash itself).
pub fn pad_hash(height: u32) -> Hash32 {
    let mut h = [0u8; 32];
    for _ in 0..height {
        h = hash_pair(&h, &h);
    }
    h
}

/// The root of a tree whose bottom layer is `nodes`, padded to `width` nodes (a power of two,
/// at least `nodes.len()`) with `pad`, the padding node of that layer.
pub fn root_from_layer(nodes: &[Hash32], width: usize, pad: Hash32) -> Hash32 {
    debug_assert!(width.is_power_of_two() && width >= nodes.len());
    let mut layer: Vec<Hash32> = nodes.to_vec();
    let mut pad = pad;
    let mut width = width.max(1);
    while width > 1 {
        let mut next = Vec::with_capacity(layer.len().div_ceil(2));
        for pair in layer.chunks(2) {
            let right = pair.get(1).unwrap_or(&pad);
            next.push(hash_pair(&pair[0], right));
        }
        pad = hash_pair(&pad, &pad);
        layer = next;
        width /= 2;
    }
    layer.first().copied().unwrap_or(pad)
}

/// Number of 16 KiB leaves of a file of `length` bytes.
pub fn leaf_count(length: u64) -> u64 {
    length.div_ceil(BLOCK_SIZE)
}

/// The pieces root of a file from its leaf hashes.
pub fn file_root(leaves: &[Hash32]) -> Hash32 {
    root_from_layer(leaves, leaves.len().next_power_of_two(), [0u8; 32])
}

/// The piece layer of a file from its leaf hashes: one node per `piece_length` bytes, the
/// last piece padded with zero leaves.
pub fn piece_layer(leaves: &[Hash32], piece_length: u64) -> Vec<Hash32> {
    let per_piece = (piece_length / BLOCK_SIZE) as usize;
    leaves.chunks(per_piece).map(|c| root_from_layer(c, per_piece, [0u8; 32])).collect()
}

/// The pieces root of a file from its piece layer (for checking stored piece layers).
pub fn root_from_piece_layer(layer: &[Hash32], piece_length: u64, file_length: u64) -> Hash32 {
    let per_piece = piece_length / BLOCK_SIZE;
    let leaves = leaf_count(file_length).next_power_of_two();
    let width = (leaves / per_piece).max(1) as usize;
    root_from_layer(layer, width, pad_hash(per_piece.trailing_zeros()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(i: u8) -> Hash32 {
        Sha256::digest([i; 100]).into()
    }

    #[test]
    fn small_trees() {
        let a = leaf(1);
        assert_eq!(file_root(&[a]), a);
        let b = leaf(2);
        assert_eq!(file_root(&[a, b]), hash_pair(&a, &b));
        let c = leaf(3);
        let z = [0u8; 32];
        assert_eq!(file_root(&[a, b, c]), hash_pair(&hash_pair(&a, &b), &hash_pair(&c, &z)));
    }

    #[test]
    fn piece_layer_gives_the_same_root() {
        let leaves: Vec<Hash32> = (0..11).map(leaf).collect();
        for per_piece in [1u64, 2, 4, 8, 16] {
            let plen = per_piece * BLOCK_SIZE;
            let layer = piece_layer(&leaves, plen);
            let len = 11 * BLOCK_SIZE - 5;
            assert_eq!(root_from_piece_layer(&layer, plen, len), file_root(&leaves), "per_piece {per_piece}");
        }
    }
}
