//! Fuzzes BEP 52 merkle ranges from both sides: a tree of fuzzer-chosen shape answers a
//! fuzzer-chosen request (never a panic, and every answer proves out against the tree's root),
//! and the same bytes as a received answer are checked against the root (never a panic, and
//! only the true nodes are ever accepted).
#![no_main]

use bitgocho::metainfo::merkle::{Hash32, BLOCK_SIZE};
use bitgocho::metainfo::merkle_range::{verify_range, LayerTree, TreeShape};
use libfuzzer_sys::fuzz_target;

fn word(data: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    for (i, x) in b.iter_mut().enumerate() {
        *x = data.get(at + i).copied().unwrap_or(0);
    }
    u32::from_le_bytes(b)
}

fuzz_target!(|data: &[u8]| {
    // The file: up to 2^12 blocks; pieces of 1 to 2^8 blocks.
    let blocks = u64::from(word(data, 0) % (1 << 12)) + 1;
    let per_piece = 1u64 << (word(data, 4) % 9);
    let shape = TreeShape::new(blocks * BLOCK_SIZE, per_piece * BLOCK_SIZE);
    let pieces = blocks.div_ceil(per_piece).min(4096) as usize;
    let layer: Vec<Hash32> = (0..pieces).map(|i| [(i % 251) as u8; 32]).collect();
    let tree = LayerTree::new(shape, &layer);
    let (base, index, count, proof) = (word(data, 8) % 40, word(data, 12), word(data, 16) % 9000, word(data, 20) % 40);
    if let Some(answer) = tree.range(base, index, count, proof) {
        assert!(shape.is_valid(base, index, count, proof));
        if count >= 2 && count.is_power_of_two() && index % count == 0 && proof == shape.full_proof(base) {
            let nodes = verify_range(&tree.root(), shape, base, index, count, &answer);
            assert_eq!(nodes.as_deref(), Some(&answer[..count as usize]), "an honest answer proves out");
        }
    }
    let sent: Vec<Hash32> = data.get(24..).unwrap_or(&[]).chunks_exact(32).map(|c| c.try_into().unwrap()).collect();
    if let Some(nodes) = verify_range(&tree.root(), shape, base, index, count, &sent) {
        let honest = tree.range(base, index, count, shape.full_proof(base)).expect("a proven range exists");
        assert_eq!(nodes, honest[..count as usize], "only the true nodes prove out");
    }
});
