//! Simulated swarms driving the piece picker through its public API: random layouts, file
//! priorities, peers with partial bitfields and seeds, late and lost requests, chokes,
//! disconnects and hash failures. Every run must complete, and the checks below hold at
//! every step. Runs are seeded and bounded in steps.

use std::collections::{HashMap, HashSet};

use bitgocho::session::{Bitfield, BlockRef, PeerKey, Picker, PickerConfig, Priority};
use bitgocho::storage::{Layout, BLOCK_SIZE};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const MAX_STEPS: usize = 200_000;
const ENDGAME_CAP: u32 = 3;

/// A simulated remote peer.
struct SimPeer {
    key: PeerKey,
    has: Bitfield,
    /// Requests it will answer, oldest first.
    queue: Vec<BlockRef>,
    /// Requests we gave up on that it may still answer.
    late: Vec<BlockRef>,
}

/// The simulation's own view of the download, checked against the picker.
struct Swarm {
    rng: SmallRng,
    layout: Layout,
    picker: Picker,
    peers: Vec<SimPeer>,
    next_key: u32,
    /// Peers each block is currently requested from.
    outstanding: HashMap<BlockRef, HashSet<PeerKey>>,
    /// Blocks received (first copies) since their piece was last reset.
    received: HashSet<BlockRef>,
    /// Pieces handed out since their last reset and not verified.
    started: HashSet<u32>,
    /// Statistics.
    duplicates_handed: usize,
    hash_failures: usize,
}

fn random_bitfield(rng: &mut SmallRng, n: u32, density: f64) -> Bitfield {
    let mut bf = Bitfield::none(n);
    for i in 0..n {
        if rng.random_bool(density) {
            bf.set(i).unwrap();
        }
    }
    bf
}

impl Swarm {
    fn new(seed: u64) -> Swarm {
        let mut rng = SmallRng::seed_from_u64(seed);
        let pieces: u32 = rng.random_range(1..=120);
        let piece_len = rng.random_range(1..=5) * BLOCK_SIZE;
        let total = u64::from(pieces - 1) * u64::from(piece_len) + rng.random_range(1..=u64::from(piece_len));
        let layout = Layout::new(&split_files(&mut rng, total), piece_len).unwrap();
        let n = layout.piece_count();
        let have = random_bitfield(&mut rng, n, 0.15);
        let config =
            PickerConfig { rarest_first_cutoff: rng.random_range(0..4), max_endgame_requesters: ENDGAME_CAP, seed };
        let mut picker = Picker::new(&layout, &have, config).unwrap();
        let prios: Vec<Priority> = layout
            .files()
            .map(|_| [Priority::Skip, Priority::Low, Priority::Normal, Priority::High][rng.random_range(0..4)])
            .collect();
        if rng.random_bool(0.7) {
            picker.set_file_priorities(&prios).unwrap();
        }
        let mut swarm = Swarm {
            rng,
            layout,
            picker,
            peers: Vec::new(),
            next_key: 0,
            outstanding: HashMap::new(),
            received: HashSet::new(),
            started: HashSet::new(),
            duplicates_handed: 0,
            hash_failures: 0,
        };
        let peer_count = swarm.rng.random_range(1..=10);
        for _ in 0..peer_count {
            let bf = if swarm.rng.random_bool(0.25) {
                Bitfield::all(n)
            } else {
                let d = swarm.rng.random_range(0.1..0.8);
                random_bitfield(&mut swarm.rng, n, d)
            };
            swarm.connect(bf);
        }
        // Every piece exists somewhere.
        for i in 0..n {
            if !swarm.peers.iter().any(|p| p.has.get(i)) {
                let k = swarm.rng.random_range(0..swarm.peers.len());
                swarm.peers[k].has.set(i).unwrap();
                let key = swarm.peers[k].key;
                swarm.picker.peer_have(key, swarm.layout.piece(i).unwrap());
            }
        }
        swarm
    }

    fn connect(&mut self, has: Bitfield) {
        let key = PeerKey(self.next_key);
        self.next_key += 1;
        self.picker.peer_bitfield(key, &has);
        self.peers.push(SimPeer { key, has, queue: Vec::new(), late: Vec::new() });
    }

    fn unrequest(&mut self, key: PeerKey, block: BlockRef) {
        if let Some(set) = self.outstanding.get_mut(&block) {
            set.remove(&key);
        }
    }

    fn step(&mut self) {
        let k = self.rng.random_range(0..self.peers.len());
        match self.rng.random_range(0..100) {
            0..50 => self.pick(k),
            50..88 => self.deliver(k),
            88..93 => self.time_out(k),
            93..95 => self.choke(k),
            95..97 => self.reconnect(k),
            97 => self.reprioritise(),
            _ => self.gain_piece(k),
        }
    }

    fn pick(&mut self, k: usize) {
        let want = self.rng.random_range(1..=8);
        let key = self.peers[k].key;
        let mut out = Vec::new();
        self.picker.pick(key, &self.peers[k].has, want, &mut out);
        assert!(out.len() <= want);
        let mut seen = HashSet::new();
        for &b in &out {
            let p = b.piece.get();
            assert!(seen.insert(b), "block handed twice in one pick");
            assert!(self.peers[k].has.get(p), "peer lacks piece {p}");
            assert!(!self.picker.have().get(p), "piece {p} already verified");
            assert_ne!(self.picker.priority(b.piece), Priority::Skip, "skipped piece {p} picked");
            assert!(!self.received.contains(&b), "received block {b:?} handed out again");
            let holders = self.outstanding.entry(b).or_default();
            assert!(!holders.contains(&key), "block {b:?} requested twice from {key:?}");
            if !holders.is_empty() {
                assert!(self.picker.in_endgame(), "duplicate request {b:?} outside endgame");
                assert!(holders.len() < ENDGAME_CAP as usize);
                self.duplicates_handed += 1;
            }
            holders.insert(key);
            self.started.insert(p);
            self.peers[k].queue.push(b);
        }
    }

    fn deliver(&mut self, k: usize) {
        let from_late = !self.peers[k].late.is_empty() && self.rng.random_bool(0.3);
        let list = if from_late { &mut self.peers[k].late } else { &mut self.peers[k].queue };
        if list.is_empty() {
            return;
        }
        let b = list.remove(0);
        let key = self.peers[k].key;
        let piece = b.piece.get();
        let expect_new = self.started.contains(&piece) && !self.received.contains(&b);
        let outcome = self.picker.on_block_received(key, b);
        assert_eq!(outcome.new, expect_new, "block {b:?} from {key:?}");
        let mut expected: Vec<PeerKey> =
            self.outstanding.get(&b).map(|s| s.iter().copied().filter(|&p| p != key).collect()).unwrap_or_default();
        let mut got: Vec<PeerKey> = outcome.cancels.iter().map(|c| c.0).collect();
        expected.sort();
        got.sort();
        if expect_new {
            assert_eq!(got, expected, "cancels for {b:?}");
            assert!(outcome.cancels.iter().all(|c| c.1 == b));
        } else {
            assert!(got.is_empty());
        }
        self.unrequest(key, b);
        for &(other, _) in &outcome.cancels {
            self.unrequest(other, b);
            let peer = self.peers.iter_mut().find(|p| p.key == other).unwrap();
            peer.queue.retain(|&q| q != b);
        }
        if expect_new {
            self.received.insert(b);
        }
        if outcome.piece_complete {
            self.verify(piece);
        }
    }

    fn verify(&mut self, piece: u32) {
        let index = self.layout.piece(piece).unwrap();
        for block in self.layout.blocks(index) {
            assert!(self.received.contains(&BlockRef { piece: index, block }), "piece {piece} complete early");
        }
        let ok = self.rng.random_bool(0.85);
        let senders = self.picker.on_piece_verified(index, ok);
        assert!(!senders.is_empty());
        for block in self.layout.blocks(index) {
            self.received.remove(&BlockRef { piece: index, block });
        }
        self.started.remove(&piece);
        if ok {
            assert!(self.picker.have().get(piece));
        } else {
            self.hash_failures += 1;
            assert!(!self.picker.have().get(piece));
        }
    }

    fn time_out(&mut self, k: usize) {
        if self.peers[k].queue.is_empty() {
            return;
        }
        let i = self.rng.random_range(0..self.peers[k].queue.len());
        let b = self.peers[k].queue.remove(i);
        let key = self.peers[k].key;
        self.picker.on_request_dropped(key, b);
        self.unrequest(key, b);
        if self.rng.random_bool(0.5) {
            self.peers[k].late.push(b);
        }
    }

    fn choke(&mut self, k: usize) {
        let key = self.peers[k].key;
        self.picker.on_peer_gone(key);
        for b in std::mem::take(&mut self.peers[k].queue) {
            self.unrequest(key, b);
        }
    }

    fn reconnect(&mut self, k: usize) {
        self.choke(k);
        let old = self.peers.swap_remove(k);
        self.picker.peer_lost(old.key, &old.has);
        self.connect(old.has);
    }

    /// New random file priorities mid-download (pieces in progress may become skipped).
    fn reprioritise(&mut self) {
        let choices = [Priority::Skip, Priority::Low, Priority::Normal, Priority::High];
        let prios: Vec<Priority> = self.layout.files().map(|_| choices[self.rng.random_range(0..4)]).collect();
        self.picker.set_file_priorities(&prios).unwrap();
        let wanted_left = self
            .layout
            .pieces()
            .filter(|&p| self.picker.priority(p) != Priority::Skip && !self.picker.have().get(p.get()))
            .count();
        assert_eq!(self.picker.wanted_left() as usize, wanted_left);
    }

    fn gain_piece(&mut self, k: usize) {
        let n = self.layout.piece_count();
        let i = self.rng.random_range(0..n);
        if self.peers[k].has.set(i).unwrap() {
            let key = self.peers[k].key;
            self.picker.peer_have(key, self.layout.piece(i).unwrap());
        }
    }
}

fn split_files(rng: &mut SmallRng, total: u64) -> Vec<(u64, bool)> {
    let mut files = Vec::new();
    let mut left = total;
    while left > 0 {
        let len = if rng.random_bool(0.4) { left } else { rng.random_range(0..=left) };
        files.push((len, len > 0 && len < left && rng.random_bool(0.2)));
        left -= len;
    }
    files
}

#[test]
fn simulated_swarms_always_complete() {
    let mut endgame_dups = 0;
    let mut failures = 0;
    for seed in 0..300 {
        let mut swarm = Swarm::new(seed);
        let mut steps = 0;
        while !swarm.picker.is_complete() {
            swarm.step();
            steps += 1;
            assert!(steps < MAX_STEPS, "seed {seed}: not complete after {MAX_STEPS} steps");
        }
        for p in swarm.layout.pieces() {
            let wanted = swarm.picker.priority(p) != Priority::Skip;
            assert!(!wanted || swarm.picker.have().get(p.get()), "seed {seed}: piece {} missing", p.get());
        }
        assert_eq!(swarm.picker.wanted_left(), 0);
        endgame_dups += swarm.duplicates_handed;
        failures += swarm.hash_failures;
    }
    // The runs exercise the paths they claim to.
    assert!(endgame_dups > 0, "no endgame duplicates in any run");
    assert!(failures > 0, "no hash failures in any run");
}

#[test]
fn million_piece_torrent_picks_rarest_and_completes_a_peer_set() {
    let n = 1 << 20;
    let layout = Layout::new(&[(u64::from(n) * u64::from(BLOCK_SIZE), false)], BLOCK_SIZE).unwrap();
    let mut picker =
        Picker::new(&layout, &Bitfield::none(n), PickerConfig { rarest_first_cutoff: 0, ..Default::default() })
            .unwrap();
    let seed = PeerKey(0);
    picker.peer_bitfield(seed, &Bitfield::all(n));
    // A sparse peer has 64 pieces, 16 of which nobody else but the seed has.
    let mut sparse = Bitfield::none(n);
    let mut common = Bitfield::none(n);
    for i in 0..64u32 {
        sparse.set(i * 16_001).unwrap();
        if i >= 16 {
            common.set(i * 16_001).unwrap();
        }
    }
    picker.peer_bitfield(PeerKey(1), &sparse);
    picker.peer_bitfield(PeerKey(2), &common);
    let mut out = Vec::new();
    picker.pick(PeerKey(1), &sparse, 16, &mut out);
    let mut firsts: Vec<u32> = out.iter().map(|b| b.piece.get()).collect();
    firsts.sort_unstable();
    assert_eq!(firsts, (0..16).map(|i| i * 16_001).collect::<Vec<_>>(), "rarest first");
    for b in out.drain(..) {
        let outcome = picker.on_block_received(PeerKey(1), b);
        assert!(outcome.new && outcome.piece_complete);
        picker.on_piece_verified(b.piece, true);
    }
    // The seed serves a thousand more pieces, one block each.
    for _ in 0..1000 {
        picker.pick(seed, &Bitfield::all(n), 1, &mut out);
        let b = out.pop().unwrap();
        assert!(picker.on_block_received(seed, b).piece_complete);
        picker.on_piece_verified(b.piece, true);
    }
    assert_eq!(picker.have().count(), 1016);
    assert_eq!(picker.wanted_left(), n - 1016);
    assert_eq!(picker.availability(layout.piece(20 * 16_001).unwrap()), 3);
}
