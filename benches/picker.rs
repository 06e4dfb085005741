//! Piece picker cost on a 2^20-piece torrent: building the picker, registering peers'
//! bitfields, and a full download driven block by block (pick, receive, verify) from many
//! peers, endgame included. No other engine exposes its picker, so there is no anchor to run
//! beside it: the figures are absolute (ns per operation) and meant for regressions.
//!
//! Run: `cargo bench --bench picker` (add `-- --pieces N --peers P --blocks B` to change the
//! shape; B is blocks per piece).

use std::time::Instant;

use bitgocho::session::{Bitfield, BlockRef, PeerKey, Picker, PickerConfig};
use bitgocho::storage::{Layout, BLOCK_SIZE};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

fn arg(name: &str, default: u32) -> u32 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn per(ns: u128, n: u64) -> f64 {
    ns as f64 / n.max(1) as f64
}

fn main() {
    let pieces = arg("--pieces", 1 << 20);
    let peer_count = arg("--peers", 50);
    let blocks_per_piece = arg("--blocks", 1).max(1);
    let depth = 64usize;
    let mut rng = SmallRng::seed_from_u64(1);
    // By default 16 KiB pieces of one block each: the most picker work per byte.
    let piece_len = blocks_per_piece * BLOCK_SIZE;
    let layout = Layout::new(&[(u64::from(pieces) * u64::from(piece_len), false)], piece_len).unwrap();

    let t = Instant::now();
    let mut picker = Picker::new(&layout, &Bitfield::none(pieces), PickerConfig::default()).unwrap();
    let build = t.elapsed().as_nanos();

    let mut peers: Vec<(PeerKey, Bitfield)> = Vec::new();
    for k in 0..peer_count {
        let bf = if k == 0 {
            Bitfield::all(pieces)
        } else {
            let mut bf = Bitfield::none(pieces);
            for i in 0..pieces {
                if rng.random_bool(0.5) {
                    bf.set(i).unwrap();
                }
            }
            bf
        };
        peers.push((PeerKey(k), bf));
    }
    let t = Instant::now();
    for (key, bf) in &peers {
        picker.peer_bitfield(*key, bf);
    }
    let register = t.elapsed().as_nanos();
    let set_bits: u64 = peers.iter().skip(1).map(|p| u64::from(p.1.count())).sum();

    let mut queues: Vec<Vec<BlockRef>> = vec![Vec::new(); peers.len()];
    let (mut picks, mut blocks, mut dups, mut cancelled) = (0u64, 0u64, 0u64, 0u64);
    let mut pick_ns = 0u128;
    let mut recv_ns = 0u128;
    let mut rounds = 0u64;
    while !picker.is_complete() {
        rounds += 1;
        assert!(rounds < 10 * u64::from(pieces), "download did not finish");
        for (k, (key, bf)) in peers.iter().enumerate() {
            let want = depth - queues[k].len();
            let t = Instant::now();
            picker.pick(*key, bf, want, &mut queues[k]);
            pick_ns += t.elapsed().as_nanos();
            picks += 1;
            // Each peer answers half its queue per round.
            let n = queues[k].len().div_ceil(2);
            let answered: Vec<BlockRef> = queues[k].drain(..n).collect();
            let mut cancels = Vec::new();
            let t = Instant::now();
            for b in answered {
                let out = picker.on_block_received(*key, b);
                blocks += 1;
                if !out.new {
                    dups += 1;
                }
                if out.piece_complete {
                    picker.on_piece_verified(b.piece, true);
                }
                cancels.extend(out.cancels);
            }
            recv_ns += t.elapsed().as_nanos();
            cancelled += cancels.len() as u64;
            for (other, b) in cancels {
                queues[other.0 as usize].retain(|&q| q != b);
            }
        }
    }
    println!("picker bench: {pieces} pieces of {blocks_per_piece} blocks, {peer_count} peers (1 seed), depth {depth}");
    println!("  build                {:>10.1} ms", build as f64 / 1e6);
    println!(
        "  register bitfields   {:>10.1} ms  ({:.1} ns per set bit)",
        register as f64 / 1e6,
        per(register, set_bits)
    );
    println!("  pick                 {:>10.1} ns per call ({picks} calls)", per(pick_ns, picks));
    println!(
        "  receive + verify     {:>10.1} ns per block ({blocks} blocks, {dups} duplicates, {cancelled} cancels)",
        per(recv_ns, blocks)
    );
    println!("  full download        {:>10.1} ms of picker time", (pick_ns + recv_ns) as f64 / 1e6);
}
