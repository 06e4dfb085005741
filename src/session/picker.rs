//! Which blocks to request from which peer.
//!
//! The picker is sans-I/O and deterministic: the caller reports what peers have, what was
//! requested and what arrived, and randomness comes from [`PickerConfig::seed`]. A peer's
//! requests are chosen in this order:
//!
//! 1. **Partial pieces first.** Pieces already started that still have unrequested blocks and
//!    that the peer has: the ones this peer was last given first, then higher priority, then
//!    the ones closest to done. Blocks within a piece go out in ascending order, so a peer
//!    that keeps up takes whole pieces in order.
//! 2. **New pieces.** Rarest first within the best priority band (random tie-breaks), except
//!    while fewer than `rarest_first_cutoff` pieces are done: then the most common pieces go
//!    first (random among equals), so the first pieces complete quickly from many sources.
//!
//!    In sequential mode (for playing a file while it downloads) both steps take the lowest
//!    piece index first instead, within the best priority band.
//! 3. **Endgame.** Once every block of every wanted piece is requested or received, blocks
//!    already requested from other peers are handed out again (never twice to one peer, at
//!    most `max_endgame_requesters` peers per block); when a block arrives the other
//!    requesters are returned as cancels.
//!
//! Costs: reporting a HAVE, a received block or a dropped request is O(1) (plus the block's
//! requesters); a pick costs O(partial pieces with free blocks) plus one scan for new pieces,
//! which stops once it has enough and is bounded by O(min(pool, pieces the peer has)); a HAVE
//! is O(1); a bitfield or a disconnect is O(pieces the peer has), and when large it only
//! updates counters and leaves one O(pool) refile to the next pick; a dropped peer's requests
//! cost O(blocks in partial pieces).

use std::collections::HashSet;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::bitfield::Bitfield;
use super::partial_piece::{Arrival, PartialPiece};
use super::piece_pool::{Key, PiecePool, BANDS};
use super::PeerKey;
use crate::storage::{BlockIndex, Layout, LayoutError, PieceIndex, BLOCK_SIZE};

/// Download priority of a file or piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Priority {
    /// Not downloaded.
    Skip,
    /// Downloaded after everything of higher priority.
    Low,
    /// The default.
    #[default]
    Normal,
    /// Downloaded before everything else.
    High,
}

impl Priority {
    /// The pool band of a wanted priority (0 = best); `None` for `Skip`.
    fn band(self) -> Option<usize> {
        match self {
            Priority::High => Some(0),
            Priority::Normal => Some(1),
            Priority::Low => Some(2),
            Priority::Skip => None,
        }
    }
}

/// One block of one piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockRef {
    /// The piece.
    pub piece: PieceIndex,
    /// The block inside it.
    pub block: BlockIndex,
}

impl BlockRef {
    /// The block as the wire names it: piece, byte offset and length.
    pub fn to_wire(self, layout: &Layout) -> crate::wire::BlockRef {
        let (begin, length) = layout.block_range(self.piece, self.block);
        crate::wire::BlockRef { piece: self.piece.get(), begin, length }
    }

    /// The block a wire triple names; it must be exactly one 16 KiB block of a piece.
    pub fn from_wire(layout: &Layout, wire: &crate::wire::BlockRef) -> Result<BlockRef, LayoutError> {
        let (piece, block) = layout.block_at(wire.piece, wire.begin, wire.length)?;
        Ok(BlockRef { piece, block })
    }
}

/// The sender recorded for blocks restored from a resume record: they came from no peer (no
/// connection or web seed ever has this key).
pub(crate) const RESTORED: PeerKey = PeerKey(u32::MAX);

/// Picker settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerConfig {
    /// Pieces to complete in "most common first" order before switching to rarest first
    /// (BitTornado `rarest_first_cutoff`, default 2).
    pub rarest_first_cutoff: u32,
    /// Most peers one block is requested from at once in endgame (default 3).
    pub max_endgame_requesters: u32,
    /// Seed of the picker's random tie-breaks.
    pub seed: u64,
}

impl Default for PickerConfig {
    fn default() -> Self {
        PickerConfig { rarest_first_cutoff: 2, max_endgame_requesters: 3, seed: 0 }
    }
}

/// Errors from picker configuration calls.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PickerError {
    /// The file priority list does not name every file.
    #[error("{got} file priorities given for {expected} files")]
    FileCount {
        /// Priorities given.
        got: usize,
        /// Files in the torrent.
        expected: u32,
    },
    /// The bitfield length does not match the piece count.
    #[error("bitfield of {got} bits for {expected} pieces")]
    BitfieldLength {
        /// Bits in the bitfield.
        got: u32,
        /// Pieces in the torrent.
        expected: u32,
    },
}

/// What a received block means.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockOutcome {
    /// The block was needed: write it. `false` for a duplicate, a block of a piece already
    /// verified, or a block of a piece that is not in progress (unrequested data).
    pub new: bool,
    /// Every block of the piece has now arrived: hash it and call
    /// [`Picker::on_piece_verified`].
    pub piece_complete: bool,
    /// Other peers the same block was requested from: send them CANCEL.
    pub cancels: Vec<(PeerKey, BlockRef)>,
}

/// Where a piece stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Verified.
    Have,
    /// Wanted and not started: in the pool.
    Pool,
    /// Not wanted (priority `Skip`) and not started.
    Idle,
    /// In progress: index into `partials`.
    Partial(u32),
}

/// The piece picker of one torrent. Tracks:
/// 1. per piece: availability (peers that have it, seeds counted apart), priority, and state
///    (verified, pooled, idle, or in progress);
/// 2. the pool of wanted unstarted pieces, bucketed by priority and availability;
/// 3. pieces in progress with per-block state and requesters;
/// 4. which peers are counted as seeds, and the totals that decide endgame and completion.
#[derive(Debug, Clone)]
pub struct Picker {
    /// Geometry (for block counts and file priorities).
    layout: Layout,
    /// Settings.
    config: PickerConfig,
    /// Random tie-breaks.
    rng: SmallRng,
    /// Per piece: non-seed peers that have it.
    avail: Vec<u32>,
    /// Per piece: priority.
    prio: Vec<Priority>,
    /// Per piece: state.
    state: Vec<State>,
    /// Verified pieces.
    have: Bitfield,
    /// Wanted unstarted pieces.
    pool: PiecePool,
    /// Pieces in progress; `state[p] == Partial(i)` iff `partials[i].piece == p`.
    partials: Vec<PartialPiece>,
    /// Peers counted in `seeds` instead of `avail`.
    seed_peers: HashSet<PeerKey>,
    /// Number of seed peers.
    seeds: u32,
    /// Sum of `free` over partial pieces whose priority is not `Skip`.
    free_wanted_blocks: u64,
    /// Pieces not verified whose priority is not `Skip`.
    wanted_left: u32,
    /// Availability changed in bulk without refiling the pool; refile before the next pick.
    dirty: bool,
    /// Partial pieces (by piece number) that still have free blocks, in no order.
    open: Vec<u32>,
    /// Pieces are picked in index order (within priority bands) instead of rarest first.
    sequential: bool,
    /// No pooled piece has a lower index than this (sequential mode's scan starts here).
    seq_from: u32,
}

impl Picker {
    /// A picker for `layout` that already has the pieces set in `have`, every piece at normal
    /// priority.
    pub fn new(layout: &Layout, have: &Bitfield, config: PickerConfig) -> Result<Picker, PickerError> {
        let n = layout.piece_count();
        if have.len() != n {
            return Err(PickerError::BitfieldLength { got: have.len(), expected: n });
        }
        let mut picker = Picker {
            layout: layout.clone(),
            rng: SmallRng::seed_from_u64(config.seed),
            config,
            avail: vec![0; n as usize],
            prio: vec![Priority::Normal; n as usize],
            state: vec![State::Have; n as usize],
            have: have.clone(),
            pool: PiecePool::new(n),
            partials: Vec::new(),
            seed_peers: HashSet::new(),
            seeds: 0,
            free_wanted_blocks: 0,
            wanted_left: 0,
            dirty: false,
            open: Vec::new(),
            sequential: false,
            seq_from: 0,
        };
        for p in have.iter_unset() {
            picker.state[p as usize] = State::Pool;
            picker.pool.insert(p, Key { band: 1, avail: 0 }, &mut picker.rng);
            picker.wanted_left += 1;
        }
        Ok(picker)
    }

    /// The verified pieces.
    pub fn have(&self) -> &Bitfield {
        &self.have
    }

    /// Whether every wanted piece is verified.
    pub fn is_complete(&self) -> bool {
        self.wanted_left == 0
    }

    /// Wanted pieces not yet verified.
    pub fn wanted_left(&self) -> u32 {
        self.wanted_left
    }

    /// Pieces in progress: `(with requests out, with none out)` (BitTornado's "downloading N
    /// pieces, have N fragments").
    pub fn pieces_in_progress(&self) -> (u32, u32) {
        let active = self.partials.iter().filter(|p| p.requested > 0).count() as u32;
        (active, self.partials.len() as u32 - active)
    }

    /// Whether every block of every wanted piece is requested or received (endgame).
    pub fn in_endgame(&self) -> bool {
        self.wanted_left > 0 && self.pool.len() == 0 && self.free_wanted_blocks == 0
    }

    /// Number of connected peers that have `piece`, seeds included.
    pub fn availability(&self, piece: PieceIndex) -> u32 {
        self.avail[piece.as_usize()] + self.seeds
    }

    /// A piece's priority.
    pub fn priority(&self, piece: PieceIndex) -> Priority {
        self.prio[piece.as_usize()]
    }

    /// Whether a peer with these pieces has one we want and lack.
    pub fn is_interesting(&self, peer_has: &Bitfield) -> bool {
        peer_has
            .iter_set()
            .any(|p| self.prio.get(p as usize).is_some_and(|&pr| pr != Priority::Skip) && !self.have.get(p))
    }

    // ----- availability -----

    /// A peer's BITFIELD (or HAVE ALL as [`Bitfield::all`], HAVE NONE as [`Bitfield::none`]).
    /// Call once per peer, before its HAVEs. A full bitfield counts the peer as a seed.
    pub fn peer_bitfield(&mut self, peer: PeerKey, has: &Bitfield) {
        if has.is_all() && !has.is_empty() {
            if self.seed_peers.insert(peer) {
                self.seeds += 1;
            }
            return;
        }
        self.bulk_avail(has, true);
    }

    /// A peer's HAVE for `piece`. Call only when the peer did not have it before.
    pub fn peer_have(&mut self, peer: PeerKey, piece: PieceIndex) {
        if !self.seed_peers.contains(&peer) {
            self.change_avail(piece.get(), true);
        }
    }

    /// A peer left: its pieces, `has`, no longer count. Call [`Picker::on_peer_gone`] too.
    pub fn peer_lost(&mut self, peer: PeerKey, has: &Bitfield) {
        if self.seed_peers.remove(&peer) {
            self.seeds -= 1;
            return;
        }
        self.bulk_avail(has, false);
    }

    /// Counts a whole bitfield in or out. One covering more than half the pool only adjusts
    /// the counters and leaves the pool to be refiled once, before the next pick: refiling
    /// costs about one rekey per pooled piece, so this is never much dearer than rekeying and
    /// much cheaper when several bitfields arrive between picks.
    fn bulk_avail(&mut self, has: &Bitfield, up: bool) {
        if has.count() as usize * 2 > self.pool.len() + 32 {
            self.dirty = true;
        }
        let n = self.layout.piece_count();
        for p in has.iter_set().filter(|&p| p < n) {
            self.change_avail(p, up);
        }
    }

    fn change_avail(&mut self, p: u32, up: bool) {
        let a = &mut self.avail[p as usize];
        *a = if up { *a + 1 } else { a.saturating_sub(1) };
        if !self.dirty && self.state[p as usize] == State::Pool {
            self.pool.rekey(p, self.key_of(p), &mut self.rng);
        }
    }

    /// Refiles the pool if availability changed in bulk since the last pick.
    fn refile_if_dirty(&mut self) {
        if self.dirty {
            let (avail, prio) = (&self.avail, &self.prio);
            let key = |p: u32| Key { band: prio[p as usize].band().unwrap_or(BANDS - 1), avail: avail[p as usize] };
            self.pool.refile_all(key, &mut self.rng);
            self.dirty = false;
        }
    }

    fn band_of(&self, p: u32) -> usize {
        self.prio[p as usize].band().unwrap_or(BANDS - 1)
    }

    fn key_of(&self, p: u32) -> Key {
        Key { band: self.band_of(p), avail: self.avail[p as usize] }
    }

    // ----- priorities -----

    /// Sets per-file priorities (one per file, pad files included but ignored): a piece takes
    /// the best priority of the non-pad files overlapping it.
    pub fn set_file_priorities(&mut self, files: &[Priority]) -> Result<(), PickerError> {
        if files.len() != self.layout.file_count() as usize {
            return Err(PickerError::FileCount { got: files.len(), expected: self.layout.file_count() });
        }
        let mut best = vec![Priority::Skip; self.layout.piece_count() as usize];
        for (f, &prio) in self.layout.files().zip(files) {
            if self.layout.is_pad(f) {
                continue;
            }
            if let Some((first, last)) = self.layout.file_pieces(f) {
                for b in &mut best[first.as_usize()..=last.as_usize()] {
                    *b = (*b).max(prio);
                }
            }
        }
        for (p, prio) in best.into_iter().enumerate() {
            self.set_priority(p as u32, prio);
        }
        Ok(())
    }

    /// Sets one piece's priority.
    pub fn set_piece_priority(&mut self, piece: PieceIndex, prio: Priority) {
        self.set_priority(piece.get(), prio);
    }

    fn set_priority(&mut self, p: u32, prio: Priority) {
        let old = self.prio[p as usize];
        if old == prio {
            return;
        }
        let was_wanted = old != Priority::Skip;
        let wanted = prio != Priority::Skip;
        self.prio[p as usize] = prio;
        match self.state[p as usize] {
            State::Have => return,
            State::Pool if wanted => self.pool.rekey(p, self.key_of(p), &mut self.rng),
            State::Pool => {
                self.pool.remove(p);
                self.state[p as usize] = State::Idle;
            }
            State::Idle if wanted => {
                self.pool.insert(p, self.key_of(p), &mut self.rng);
                self.seq_from = self.seq_from.min(p);
                self.state[p as usize] = State::Pool;
            }
            State::Idle => {}
            State::Partial(i) => {
                let free = u64::from(self.partials[i as usize].free);
                match (was_wanted, wanted) {
                    (true, false) => self.free_wanted_blocks -= free,
                    (false, true) => self.free_wanted_blocks += free,
                    _ => {}
                }
            }
        }
        match (was_wanted, wanted) {
            (true, false) => self.wanted_left -= 1,
            (false, true) => self.wanted_left += 1,
            _ => {}
        }
    }

    // ----- picking -----

    /// Switches sequential mode: pieces in index order (within priority bands) instead of
    /// rarest first, so a file can be played while it downloads.
    pub fn set_sequential(&mut self, on: bool) {
        self.sequential = on;
    }

    /// True in sequential mode.
    pub fn is_sequential(&self) -> bool {
        self.sequential
    }

    /// Appends to `out` up to `want` blocks to request from `peer`, which has `peer_has`.
    pub fn pick(&mut self, peer: PeerKey, peer_has: &Bitfield, want: usize, out: &mut Vec<BlockRef>) {
        let target = out.len() + want;
        self.refile_if_dirty();
        self.pick_partials(peer, peer_has, target, out);
        // Each new piece yields at least one block, so `target - len` pieces are enough.
        let max = target.saturating_sub(out.len());
        let candidates = if self.sequential {
            self.sequential_candidates(peer_has, max)
        } else {
            self.pool_candidates(peer_has, max)
        };
        for p in candidates {
            if out.len() >= target {
                break;
            }
            let slot = self.start_piece(p);
            self.take_free_blocks(slot, peer, target, out);
        }
        if out.len() < target && self.in_endgame() {
            self.pick_endgame(peer, peer_has, target, out);
        }
    }

    fn pick_partials(&mut self, peer: PeerKey, has: &Bitfield, target: usize, out: &mut Vec<BlockRef>) {
        let mut candidates: Vec<(bool, Priority, u32, u32, usize)> = self
            .open
            .iter()
            .filter(|&&p| has.get(p) && self.prio[p as usize] != Priority::Skip)
            .filter_map(|&p| match self.state[p as usize] {
                State::Partial(slot) => Some(slot as usize),
                _ => None,
            })
            .map(|i| (&self.partials[i], i))
            .map(|(pp, i)| (pp.last_peer != Some(peer), self.prio[pp.piece as usize], pp.free, pp.piece, i))
            .collect();
        if self.sequential {
            candidates.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.3.cmp(&b.3)));
        } else {
            candidates
                .sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)));
        }
        for &(_, _, _, _, slot) in &candidates {
            if out.len() >= target {
                break;
            }
            self.take_free_blocks(slot, peer, target, out);
        }
    }

    /// Up to `max` pooled pieces the peer has, best first: rarest first (most common first in
    /// random-first mode) within the best band, random among equals. One pass over the
    /// buckets, or over the peer's pieces when it has fewer than a quarter of the pool.
    fn pool_candidates(&self, has: &Bitfield, max: usize) -> Vec<u32> {
        let mut found = Vec::new();
        if max == 0 || self.pool.len() == 0 || has.is_none() {
            return found;
        }
        let random_first = self.have.count() < self.config.rarest_first_cutoff;
        if (has.count() as usize) < self.pool.len() / 4 {
            return self.best_of_peer_pieces(has, random_first, max);
        }
        for band in 0..BANDS {
            let buckets = self.pool.bucket_count(band) as u32;
            for k in 0..buckets {
                let avail = if random_first { buckets - 1 - k } else { k };
                for &p in self.pool.bucket(Key { band, avail }) {
                    if has.get(p) {
                        found.push(p);
                        if found.len() == max {
                            return found;
                        }
                    }
                }
            }
        }
        found
    }

    /// Up to `max` pooled pieces the peer has, lowest index first within the best band. The
    /// scan starts at the lowest pooled index and walks the pool's pieces, or the peer's when
    /// it has fewer.
    fn sequential_candidates(&mut self, has: &Bitfield, max: usize) -> Vec<u32> {
        let n = self.layout.piece_count();
        while self.seq_from < n && !self.pool.contains(self.seq_from) {
            self.seq_from += 1;
        }
        let mut found = Vec::new();
        if max == 0 || self.pool.len() == 0 {
            return found;
        }
        let from = self.seq_from;
        let walk_peer = (has.count() as usize) < (n - from) as usize / 4;
        for band in 0..BANDS {
            let mut take = |p: u32| {
                if self.pool.contains(p) && self.key_of(p).band == band && (walk_peer || has.get(p)) {
                    found.push(p);
                }
                found.len() < max
            };
            let more = if walk_peer {
                has.iter_set().filter(|&p| p >= from && p < n).all(&mut take)
            } else {
                (from..n).all(&mut take)
            };
            if !more {
                break;
            }
        }
        found
    }

    /// Same choice as the bucket scan, found by walking the peer's pieces instead.
    fn best_of_peer_pieces(&self, has: &Bitfield, random_first: bool, max: usize) -> Vec<u32> {
        let n = self.layout.piece_count();
        let mut all: Vec<(usize, u32, u32, u32)> = has
            .iter_set()
            .filter(|&p| p < n && self.pool.contains(p))
            .map(|p| {
                let key = self.key_of(p);
                let avail = if random_first { u32::MAX - key.avail } else { key.avail };
                (key.band, avail, self.pool.position(p), p)
            })
            .collect();
        if all.len() > max {
            all.select_nth_unstable(max - 1);
            all.truncate(max);
        }
        all.sort_unstable();
        all.into_iter().map(|t| t.3).collect()
    }

    /// Moves a pooled piece into the partial list; returns its slot.
    fn start_piece(&mut self, p: u32) -> usize {
        let n = self.layout.blocks_in_piece(PieceIndex::trusted(p));
        self.adopt_partial(PartialPiece::new(p, n))
    }

    /// Makes `pp`, for a piece in the pool or idle, the piece's progress; returns its slot.
    fn adopt_partial(&mut self, pp: PartialPiece) -> usize {
        let p = pp.piece as usize;
        if self.state[p] == State::Pool {
            self.pool.remove(pp.piece);
        }
        if self.prio[p] != Priority::Skip {
            self.free_wanted_blocks += u64::from(pp.free);
        }
        let slot = self.partials.len();
        self.partials.push(pp);
        self.state[p] = State::Partial(slot as u32);
        self.sync_open(slot);
        slot
    }

    /// Lists or unlists a partial piece as open to match whether it has free blocks.
    fn sync_open(&mut self, slot: usize) {
        let pp = &mut self.partials[slot];
        match (pp.free > 0, pp.open_at) {
            (true, None) => {
                pp.open_at = Some(self.open.len() as u32);
                self.open.push(pp.piece);
            }
            (false, Some(at)) => {
                pp.open_at = None;
                self.unlist_open(at);
            }
            _ => {}
        }
    }

    fn unlist_open(&mut self, at: u32) {
        self.open.swap_remove(at as usize);
        if let Some(&moved) = self.open.get(at as usize) {
            if let State::Partial(slot) = self.state[moved as usize] {
                self.partials[slot as usize].open_at = Some(at);
            }
        }
    }

    fn take_free_blocks(&mut self, slot: usize, peer: PeerKey, target: usize, out: &mut Vec<BlockRef>) {
        let pp = &mut self.partials[slot];
        let piece = PieceIndex::trusted(pp.piece);
        let max = target.saturating_sub(out.len());
        let taken = pp.take_free(peer, max, |b| out.push(BlockRef { piece, block: BlockIndex::trusted(b) }));
        if self.prio[piece.as_usize()] != Priority::Skip {
            self.free_wanted_blocks -= u64::from(taken);
        }
        self.sync_open(slot);
    }

    /// Hands `peer` blocks already requested from others, those with fewest requesters first
    /// (random among equals).
    fn pick_endgame(&mut self, peer: PeerKey, has: &Bitfield, target: usize, out: &mut Vec<BlockRef>) {
        let cap = self.config.max_endgame_requesters.max(1) as usize;
        let mut candidates: Vec<(usize, u32, usize, u32)> = Vec::new();
        for (slot, pp) in self.partials.iter().enumerate() {
            if pp.requested == 0 || !has.get(pp.piece) || self.prio[pp.piece as usize] == Priority::Skip {
                continue;
            }
            let rng = &mut self.rng;
            pp.endgame_candidates(peer, cap, |n, i| candidates.push((n, rng.random(), slot, i)));
        }
        candidates.sort_unstable();
        for &(_, _, slot, i) in candidates.iter().take(target.saturating_sub(out.len())) {
            let pp = &mut self.partials[slot];
            if pp.add_requester(i, peer) {
                out.push(BlockRef { piece: PieceIndex::trusted(pp.piece), block: BlockIndex::trusted(i) });
            }
        }
    }

    // ----- outcomes -----

    /// A block arrived from `peer`.
    pub fn on_block_received(&mut self, peer: PeerKey, block: BlockRef) -> BlockOutcome {
        let State::Partial(slot) = self.state[block.piece.as_usize()] else {
            return BlockOutcome::default();
        };
        let wanted = self.prio[block.piece.as_usize()] != Priority::Skip;
        let pp = &mut self.partials[slot as usize];
        let cancels = match pp.receive(block.block.get(), peer) {
            None | Some(Arrival::Duplicate) => return BlockOutcome::default(),
            Some(Arrival::WasFree) => {
                if wanted {
                    self.free_wanted_blocks -= 1;
                }
                Vec::new()
            }
            Some(Arrival::WasRequested(others)) => others.into_iter().map(|p| (p, block)).collect(),
        };
        let piece_complete = pp.is_complete();
        self.sync_open(slot as usize);
        BlockOutcome { new: true, piece_complete, cancels }
    }

    /// A request to `peer` will not be answered (timed out or rejected): the block returns to
    /// the pool unless another peer also has it requested.
    pub fn on_request_dropped(&mut self, peer: PeerKey, block: BlockRef) {
        if let State::Partial(slot) = self.state[block.piece.as_usize()] {
            let freed = self.partials[slot as usize].drop_request(block.block.get(), peer);
            if freed && self.prio[block.piece.as_usize()] != Priority::Skip {
                self.free_wanted_blocks += 1;
            }
            self.sync_open(slot as usize);
        }
    }

    /// All of `peer`'s outstanding requests are void (it disconnected, or choked us without
    /// the fast extension): their blocks return to the pool.
    pub fn on_peer_gone(&mut self, peer: PeerKey) {
        for slot in 0..self.partials.len() {
            let pp = &mut self.partials[slot];
            let freed = pp.drop_peer(peer);
            if self.prio[pp.piece as usize] != Priority::Skip {
                self.free_wanted_blocks += u64::from(freed);
            }
            if freed > 0 {
                self.sync_open(slot);
            }
        }
    }

    /// The hash check of `piece` finished. On success the piece is ours (this also marks
    /// pieces found good by a recheck); on failure a completed piece is reset and goes back to
    /// the pool. Returns the distinct peers that sent its blocks (for banning on failure).
    pub fn on_piece_verified(&mut self, piece: PieceIndex, ok: bool) -> Vec<PeerKey> {
        let p = piece.get();
        let state = self.state[p as usize];
        if state == State::Have || (!ok && !self.is_complete_partial(state)) {
            return Vec::new();
        }
        let senders = match state {
            State::Partial(slot) => self.remove_partial(slot as usize),
            State::Pool => {
                self.pool.remove(p);
                Vec::new()
            }
            _ => Vec::new(),
        };
        let wanted = self.prio[p as usize] != Priority::Skip;
        if ok {
            self.state[p as usize] = State::Have;
            let _ = self.have.set(p);
            if wanted {
                self.wanted_left -= 1;
            }
        } else if wanted {
            self.state[p as usize] = State::Pool;
            self.pool.insert(p, self.key_of(p), &mut self.rng);
            self.seq_from = self.seq_from.min(p);
        } else {
            self.state[p as usize] = State::Idle;
        }
        senders
    }

    fn is_complete_partial(&self, state: State) -> bool {
        matches!(state, State::Partial(slot) if self.partials[slot as usize].is_complete())
    }

    /// Removes a partial piece, fixing the slot of the one moved into its place; returns the
    /// distinct senders of its received blocks. Outstanding requests of it are forgotten.
    fn remove_partial(&mut self, slot: usize) -> Vec<PeerKey> {
        if let Some(at) = self.partials[slot].open_at {
            self.unlist_open(at);
        }
        let pp = self.partials.swap_remove(slot);
        if let Some(moved) = self.partials.get(slot) {
            self.state[moved.piece as usize] = State::Partial(slot as u32);
        }
        if self.prio[pp.piece as usize] != Priority::Skip {
            self.free_wanted_blocks -= u64::from(pp.free);
        }
        pp.senders().into_iter().filter(|&p| p != RESTORED).collect()
    }

    // ----- unfinished pieces across restarts -----

    /// Starts `piece` with `blocks` already received from no peer (blocks restored from a resume
    /// record, already on disk): they are never requested. Returns whether the piece is complete
    /// now (then hash it), or `None`, changing nothing, when the piece is verified or in
    /// progress or a block number is out of range.
    pub fn restore_piece(&mut self, piece: PieceIndex, blocks: &[u32]) -> Option<bool> {
        let p = piece.get();
        let n = self.layout.blocks_in_piece(piece);
        let state = self.state[p as usize];
        if !matches!(state, State::Pool | State::Idle) || blocks.iter().any(|&b| b >= n) {
            return None;
        }
        let mut pp = PartialPiece::new(p, n);
        for &b in blocks {
            pp.restore(b, RESTORED);
        }
        let complete = pp.is_complete();
        self.adopt_partial(pp);
        Some(complete)
    }

    /// The pieces in progress with some but not all blocks received, with those blocks.
    pub fn unfinished(&self) -> Vec<(PieceIndex, Vec<u32>)> {
        self.partials
            .iter()
            .filter(|pp| pp.received() > 0 && !pp.is_complete())
            .map(|pp| (PieceIndex::trusted(pp.piece), pp.received_blocks().collect()))
            .collect()
    }

    /// Bytes of the received blocks of pieces in progress (not yet verified).
    pub fn bytes_in_progress(&self) -> u64 {
        self.partials
            .iter()
            .map(|pp| {
                let piece = PieceIndex::trusted(pp.piece);
                let mut bytes = u64::from(pp.received()) * u64::from(BLOCK_SIZE);
                let last = self.layout.blocks_in_piece(piece) - 1;
                if pp.has_received(last) {
                    let (_, len) = self.layout.block_range(piece, BlockIndex::trusted(last));
                    bytes -= u64::from(BLOCK_SIZE - len);
                }
                bytes
            })
            .sum()
    }

    // ----- whole pieces (web seeds, h/webseed) -----

    /// Hands a peer that fetches one piece at a time (a web seed) blocks of a single piece,
    /// appended to `out`: the best piece no peer has started; else the started piece with the
    /// most free blocks; else, in endgame, the blocks of one piece that are requested from others
    /// (the piece where it can take the most). Returns the piece, or `None` when nothing is left.
    pub fn pick_piece(&mut self, peer: PeerKey, peer_has: &Bitfield, out: &mut Vec<BlockRef>) -> Option<PieceIndex> {
        self.refile_if_dirty();
        if let Some(&p) = self.pool_candidates(peer_has, 1).first() {
            let slot = self.start_piece(p);
            self.take_free_blocks(slot, peer, usize::MAX, out);
            return Some(PieceIndex::trusted(p));
        }
        let open = self
            .open
            .iter()
            .filter(|&&p| peer_has.get(p) && self.prio[p as usize] != Priority::Skip)
            .filter_map(|&p| match self.state[p as usize] {
                State::Partial(slot) => Some(slot as usize),
                _ => None,
            })
            .max_by_key(|&slot| (self.partials[slot].free, std::cmp::Reverse(self.partials[slot].piece)));
        if let Some(slot) = open {
            self.take_free_blocks(slot, peer, usize::MAX, out);
            return Some(PieceIndex::trusted(self.partials[slot].piece));
        }
        if !self.in_endgame() {
            return None;
        }
        let cap = self.config.max_endgame_requesters.max(1) as usize;
        let mut best: Option<(usize, Vec<u32>)> = None;
        for (slot, pp) in self.partials.iter().enumerate() {
            if pp.requested == 0 || !peer_has.get(pp.piece) || self.prio[pp.piece as usize] == Priority::Skip {
                continue;
            }
            let mut blocks = Vec::new();
            pp.endgame_candidates(peer, cap, |_, i| blocks.push(i));
            if best.as_ref().is_none_or(|(_, b)| blocks.len() > b.len()) && !blocks.is_empty() {
                best = Some((slot, blocks));
            }
        }
        let (slot, blocks) = best?;
        let pp = &mut self.partials[slot];
        let piece = PieceIndex::trusted(pp.piece);
        for i in blocks {
            if pp.add_requester(i, peer) {
                out.push(BlockRef { piece, block: BlockIndex::trusted(i) });
            }
        }
        Some(piece)
    }

    /// Gives `peer` every block of `piece` if no peer has started it (it is wanted, unstarted and
    /// not ours), appending them to `out`; false otherwise. Lets a web seed extend a run of
    /// consecutive pieces fetched in one request.
    pub fn claim_piece(&mut self, peer: PeerKey, piece: PieceIndex, out: &mut Vec<BlockRef>) -> bool {
        let p = piece.get();
        if self.state.get(p as usize) != Some(&State::Pool) || self.prio[p as usize] == Priority::Skip {
            return false;
        }
        let slot = self.start_piece(p);
        self.take_free_blocks(slot, peer, usize::MAX, out);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCKS: u32 = 4;
    const A: PeerKey = PeerKey(100);
    const B: PeerKey = PeerKey(101);
    const C: PeerKey = PeerKey(102);

    /// A picker built from libtorrent-style strings, one char per piece: `avail` gives how
    /// many peers have the piece (peers 0, 1, ... have it), `have` marks our pieces with `*`,
    /// `prio` gives priorities 0-3 (Skip..High; empty = all normal). Pieces have 4 blocks.
    fn setup(avail: &str, have: &str, prio: &str, cutoff: u32, seed: u64) -> (Picker, Vec<Bitfield>) {
        let n = avail.len() as u32;
        let layout = Layout::new(&[(u64::from(n * BLOCKS * BLOCK_SIZE), false)], BLOCKS * BLOCK_SIZE).unwrap();
        let mut have_bf = Bitfield::none(n);
        for (i, c) in have.chars().enumerate() {
            if c == '*' {
                have_bf.set(i as u32).unwrap();
            }
        }
        let config = PickerConfig { rarest_first_cutoff: cutoff, seed, ..PickerConfig::default() };
        let mut picker = Picker::new(&layout, &have_bf, config).unwrap();
        let counts: Vec<u32> = avail.chars().map(|c| c.to_digit(10).unwrap()).collect();
        let max = counts.iter().copied().max().unwrap_or(0);
        let peers: Vec<Bitfield> = (0..max)
            .map(|k| {
                let mut bf = Bitfield::none(n);
                for (i, &c) in counts.iter().enumerate() {
                    if k < c {
                        bf.set(i as u32).unwrap();
                    }
                }
                bf
            })
            .collect();
        for (k, bf) in peers.iter().enumerate() {
            picker.peer_bitfield(PeerKey(k as u32), bf);
        }
        for (i, c) in prio.chars().enumerate() {
            let p = [Priority::Skip, Priority::Low, Priority::Normal, Priority::High][c.to_digit(10).unwrap() as usize];
            picker.set_piece_priority(PieceIndex::trusted(i as u32), p);
        }
        (picker, peers)
    }

    fn has(n: u32, pieces: &[u32]) -> Bitfield {
        let mut bf = Bitfield::none(n);
        for &p in pieces {
            bf.set(p).unwrap();
        }
        bf
    }

    #[test]
    fn pick_piece_gives_one_whole_piece_then_the_freest_partial_then_endgame() {
        let (mut picker, _) = setup("1111", "", "", 0, 7);
        let all = Bitfield::all(4);
        let w = PeerKey(900);
        // A peer starts piece p with 1 block; the web seed gets a whole untouched piece.
        let first = pick(&mut picker, A, &all, 1);
        let mut out = Vec::new();
        let p = picker.pick_piece(w, &all, &mut out).unwrap();
        assert_ne!(p.get(), first[0].0);
        assert_eq!(out.len(), BLOCKS as usize);
        assert!(out.iter().all(|b| b.piece == p));
        // Pool emptied by others: the partial piece with most free blocks is next.
        for _ in 0..2 {
            let mut o = Vec::new();
            let q = picker.pick_piece(PeerKey(901), &all, &mut o).unwrap();
            assert_eq!(o.len(), BLOCKS as usize, "untouched piece {q:?}");
        }
        out.clear();
        let q = picker.pick_piece(w, &all, &mut out).unwrap();
        assert_eq!(q.get(), first[0].0);
        assert_eq!(out.iter().map(|b| b.block.get()).collect::<Vec<_>>(), vec![1, 2, 3]);
        // Everything requested: endgame hands the web seed what A still owes.
        assert!(picker.in_endgame());
        let mut second = Vec::new();
        let r = picker.pick_piece(w, &all, &mut second).unwrap();
        assert_ne!(r, q, "never its own blocks twice");
        assert!(!second.is_empty() && second.iter().all(|b| b.piece == r));
        let outcome = picker.on_block_received(w, second[0]);
        assert!(outcome.new && !outcome.cancels.is_empty(), "the other requester is cancelled");
        let mut none = Vec::new();
        assert_eq!(picker.pick_piece(w, &has(4, &[]), &mut none), None);
        // claim_piece takes only untouched pieces.
        let (mut fresh, _) = setup("1111", "*", "", 0, 7);
        let mut got = Vec::new();
        assert!(!fresh.claim_piece(w, PieceIndex::trusted(0), &mut got), "a piece we have");
        assert!(fresh.claim_piece(w, PieceIndex::trusted(2), &mut got));
        assert_eq!(got.len(), BLOCKS as usize);
        assert!(!fresh.claim_piece(w, PieceIndex::trusted(2), &mut got), "already started");
    }

    fn pick(picker: &mut Picker, peer: PeerKey, has: &Bitfield, want: usize) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        picker.pick(peer, has, want, &mut out);
        out.iter().map(|b| (b.piece.get(), b.block.get())).collect()
    }

    /// Pieces in the order a peer that has everything would start them, a whole piece at a time.
    fn piece_order(picker: &mut Picker, n: u32) -> Vec<u32> {
        let all = Bitfield::all(n);
        let mut order = Vec::new();
        loop {
            let got = pick(picker, A, &all, BLOCKS as usize);
            let Some(&(p, _)) = got.first() else { break };
            assert!(got.iter().all(|&(q, _)| q == p), "one whole piece per pick: {got:?}");
            order.push(p);
        }
        order
    }

    fn br(piece: u32, block: u32) -> BlockRef {
        BlockRef { piece: PieceIndex::trusted(piece), block: BlockIndex::trusted(block) }
    }

    fn receive_piece(picker: &mut Picker, peer: PeerKey, piece: u32) -> BlockOutcome {
        let mut last = BlockOutcome::default();
        for b in 0..BLOCKS {
            last = picker.on_block_received(peer, br(piece, b));
            assert!(last.new);
        }
        last
    }

    #[test]
    fn sequential_mode_takes_pieces_in_index_order_within_priorities() {
        // Rarity would start with piece 5 (one peer); sequential mode ignores it.
        let (mut picker, _) = setup("33333133", "**", "22232222", 0, 7);
        picker.set_sequential(true);
        assert!(picker.is_sequential());
        assert_eq!(piece_order(&mut picker, 8), [3, 2, 4, 5, 6, 7], "high priority first, then in order");
        // A piece that fails its check is the first one again, though the scan had moved past it.
        let (mut picker, _) = setup("3333", "", "", 0, 7);
        picker.set_sequential(true);
        let all = Bitfield::all(4);
        assert_eq!(pick(&mut picker, A, &all, 8), [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2), (1, 3)]);
        assert_eq!(pick(&mut picker, B, &all, 4), [(2, 0), (2, 1), (2, 2), (2, 3)]);
        receive_piece(&mut picker, A, 0);
        picker.on_piece_verified(PieceIndex::trusted(0), false);
        assert_eq!(pick(&mut picker, C, &all, 4), [(0, 0), (0, 1), (0, 2), (0, 3)]);
        // A peer with few pieces: its lowest wanted one.
        let (mut picker, _) = setup("11111111", "*", "", 0, 7);
        picker.set_sequential(true);
        assert_eq!(pick(&mut picker, C, &has(8, &[0, 6, 4]), 4), [(4, 0), (4, 1), (4, 2), (4, 3)]);
        // Off again: rarest first.
        let (mut picker, _) = setup("3313", "", "", 0, 7);
        picker.set_sequential(true);
        picker.set_sequential(false);
        assert_eq!(piece_order(&mut picker, 4)[0], 2);
    }

    #[test]
    fn rarest_first_with_random_ties() {
        let (mut p, _) = setup("3132323", "", "", 0, 1);
        let order = piece_order(&mut p, 7);
        assert_eq!(order[0], 1);
        assert_eq!(sorted(&order[1..3]), [3, 5]);
        assert_eq!(sorted(&order[3..]), [0, 2, 4, 6]);
        assert!(p.in_endgame());
        let firsts: std::collections::HashSet<u32> =
            (0..16).map(|seed| piece_order(&mut setup("2211", "", "", 0, seed).0, 4)[0]).collect();
        assert_eq!(sorted(&firsts.into_iter().collect::<Vec<_>>()), [2, 3], "ties broken both ways");
    }

    fn sorted(v: &[u32]) -> Vec<u32> {
        let mut v = v.to_vec();
        v.sort_unstable();
        v
    }

    #[test]
    fn only_pieces_the_peer_has() {
        let (mut p, _) = setup("1111111", "", "", 0, 2);
        let got = pick(&mut p, A, &has(7, &[2, 5]), 8);
        assert_eq!(got.len(), 8);
        assert!(got.iter().all(|b| b.0 == 2 || b.0 == 5));
        assert!(pick(&mut p, A, &has(7, &[2, 5]), 8).is_empty());
        assert!(pick(&mut p, B, &Bitfield::none(7), 8).is_empty());
    }

    #[test]
    fn have_pieces_are_not_picked() {
        let (mut p, _) = setup("1111", "* * ", "", 0, 3);
        assert_eq!(sorted(&piece_order(&mut p, 4)), [1, 3]);
        assert_eq!(p.wanted_left(), 2);
    }

    #[test]
    fn random_first_takes_common_pieces_until_cutoff() {
        let (mut p, _) = setup("1115111", "", "", 2, 4);
        assert_eq!(pick(&mut p, A, &Bitfield::all(7), 4)[0].0, 3);
        receive_piece(&mut p, A, 3);
        p.on_piece_verified(PieceIndex::trusted(3), true);
        let second = pick(&mut p, A, &Bitfield::all(7), 4)[0].0;
        receive_piece(&mut p, A, second);
        p.on_piece_verified(PieceIndex::trusted(second), true);
        // Past the cutoff: rarest first. Make every remaining piece but one more common.
        let left: Vec<u32> = (0..7).filter(|&i| i != 3 && i != second).collect();
        p.peer_bitfield(PeerKey(50), &has(7, &left[1..]));
        assert_eq!(pick(&mut p, A, &Bitfield::all(7), 4)[0].0, left[0]);
    }

    #[test]
    fn partial_pieces_come_first_in_ascending_blocks() {
        let (mut p, _) = setup("2122", "", "", 0, 5);
        assert_eq!(pick(&mut p, A, &Bitfield::all(4), 1), [(1, 0)]);
        // B has piece 1 and rarer pieces exist nowhere: it finishes piece 1 first.
        assert_eq!(pick(&mut p, B, &Bitfield::all(4), 2), [(1, 1), (1, 2)]);
        assert_eq!(pick(&mut p, B, &Bitfield::all(4), 2)[0], (1, 3));
        // A peer without piece 1 starts another piece.
        assert_ne!(pick(&mut p, C, &has(4, &[0, 2, 3]), 1)[0].0, 1);
    }

    #[test]
    fn a_peer_continues_its_own_partial() {
        let (mut p, _) = setup("1111", "", "", 0, 6);
        let all = Bitfield::all(4);
        let a_piece = pick(&mut p, A, &all, 1)[0].0;
        let others: Vec<u32> = (0..4).filter(|&i| i != a_piece).collect();
        let b_piece = pick(&mut p, B, &has(4, &others), 1)[0].0;
        assert_ne!(a_piece, b_piece);
        // Both partials have free blocks; each peer is handed its own first.
        assert_eq!(pick(&mut p, A, &all, 1), [(a_piece, 1)]);
        assert_eq!(pick(&mut p, B, &all, 1), [(b_piece, 1)]);
    }

    #[test]
    fn file_priorities_map_to_pieces() {
        // Files of 1.5, 1 and 1.5 pieces: file 1 overlaps pieces 1 and 2.
        let pl = BLOCKS * BLOCK_SIZE;
        let files = [(u64::from(pl) * 3 / 2, false), (u64::from(pl), false), (u64::from(pl) * 3 / 2, false)];
        let layout = Layout::new(&files, pl).unwrap();
        let mut p =
            Picker::new(&layout, &Bitfield::none(4), PickerConfig { rarest_first_cutoff: 0, ..Default::default() })
                .unwrap();
        assert_eq!(p.set_file_priorities(&[Priority::High]), Err(PickerError::FileCount { got: 1, expected: 3 }));
        p.set_file_priorities(&[Priority::Skip, Priority::High, Priority::Skip]).unwrap();
        let prios: Vec<Priority> = layout.pieces().map(|i| p.priority(i)).collect();
        assert_eq!(prios, [Priority::Skip, Priority::High, Priority::High, Priority::Skip]);
        assert_eq!(p.wanted_left(), 2);
        assert_eq!(sorted(&piece_order(&mut p, 4)), [1, 2]);
        p.set_file_priorities(&[Priority::Low, Priority::Skip, Priority::Normal]).unwrap();
        let prios: Vec<Priority> = layout.pieces().map(|i| p.priority(i)).collect();
        assert_eq!(prios, [Priority::Low, Priority::Low, Priority::Normal, Priority::Normal]);
        // Pieces 1 and 2 are partial; of the fresh ones, normal piece 3 goes before low piece 0.
        assert_eq!(piece_order(&mut p, 4), [3, 0]);
    }

    #[test]
    fn priority_bands_beat_rarity_and_pads_are_ignored() {
        let pl = BLOCKS * BLOCK_SIZE;
        let layout =
            Layout::new(&[(u64::from(pl), false), (u64::from(pl) * 2, true), (u64::from(pl), false)], pl).unwrap();
        let mut p =
            Picker::new(&layout, &Bitfield::none(4), PickerConfig { rarest_first_cutoff: 0, ..Default::default() })
                .unwrap();
        p.set_file_priorities(&[Priority::Normal, Priority::High, Priority::High]).unwrap();
        let prios: Vec<Priority> = layout.pieces().map(|i| p.priority(i)).collect();
        assert_eq!(prios, [Priority::Normal, Priority::Skip, Priority::Skip, Priority::High]);
        for k in 0..3 {
            p.peer_bitfield(PeerKey(k), &has(4, &[3]));
        }
        p.peer_bitfield(PeerKey(9), &has(4, &[0, 3]));
        assert_eq!(piece_order(&mut p, 4), [3, 0], "high piece 3 first although piece 0 is rarer");
    }

    #[test]
    fn endgame_hands_out_duplicates_and_reports_cancels() {
        let (mut p, _) = setup("1", "", "", 0, 7);
        let all = Bitfield::all(1);
        assert!(!p.in_endgame());
        assert_eq!(pick(&mut p, A, &all, 10).len(), 4);
        assert!(p.in_endgame());
        assert!(pick(&mut p, A, &all, 10).is_empty(), "never the same peer twice");
        assert_eq!(sorted(&pick(&mut p, B, &all, 10).iter().map(|b| b.1).collect::<Vec<_>>()), [0, 1, 2, 3]);
        assert_eq!(pick(&mut p, C, &all, 2).len(), 2);
        assert_eq!(pick(&mut p, C, &all, 10).len(), 2);
        assert!(pick(&mut p, PeerKey(103), &all, 10).is_empty(), "at most 3 requesters per block");
        let out = p.on_block_received(B, br(0, 0));
        assert!(out.new && !out.piece_complete);
        assert_eq!(sorted(&out.cancels.iter().map(|c| c.0 .0).collect::<Vec<_>>()), [100, 102]);
        assert!(out.cancels.iter().all(|c| c.1 == br(0, 0)));
        assert_eq!(p.on_block_received(A, br(0, 0)), BlockOutcome::default(), "duplicate");
        // A block requested from C and B, received from A after C's request was dropped.
        p.on_request_dropped(C, br(0, 1));
        let out = p.on_block_received(A, br(0, 1));
        assert_eq!(out.cancels, vec![(B, br(0, 1))]);
    }

    #[test]
    fn endgame_prefers_blocks_with_fewest_requesters() {
        let (mut p, _) = setup("1", "", "", 0, 8);
        let all = Bitfield::all(1);
        pick(&mut p, A, &all, 4);
        let doubled = pick(&mut p, B, &all, 1);
        assert_eq!(doubled.len(), 1);
        // C gets the three blocks only A has before the one A and B both have.
        let c = pick(&mut p, C, &all, 3);
        assert_eq!(c.len(), 3);
        assert!(!c.contains(&doubled[0]), "{c:?} {doubled:?}");
        assert_eq!(pick(&mut p, C, &all, 3), doubled);
    }

    #[test]
    fn dropped_requests_and_gone_peers_return_blocks() {
        let (mut p, _) = setup("11", "", "", 0, 9);
        let all = Bitfield::all(2);
        let first = pick(&mut p, A, &all, 4);
        p.on_request_dropped(B, br(first[1].0, first[1].1));
        p.on_request_dropped(A, br(first[1].0, first[1].1));
        assert_eq!(pick(&mut p, B, &all, 1), [first[1]], "the dropped block, not a new piece");
        let second = pick(&mut p, A, &all, 4);
        assert!(second.iter().all(|b| b.0 != first[0].0));
        p.on_peer_gone(A);
        let again = pick(&mut p, C, &all, 7);
        assert_eq!(again.len(), 7, "A's seven blocks");
        assert!(!again.contains(&first[1]), "B still holds its block");
        assert!(p.in_endgame());
        assert_eq!(pick(&mut p, C, &all, 7), [first[1]], "endgame: B's block again");
    }

    #[test]
    fn late_block_after_timeout_is_kept_and_cancels_the_new_requester() {
        let (mut p, _) = setup("1", "", "", 0, 10);
        let all = Bitfield::all(1);
        pick(&mut p, A, &all, 1);
        p.on_request_dropped(A, br(0, 0));
        assert_eq!(pick(&mut p, B, &all, 1), [(0, 0)]);
        let out = p.on_block_received(A, br(0, 0));
        assert!(out.new);
        assert_eq!(out.cancels, vec![(B, br(0, 0))]);
    }

    #[test]
    fn unrequested_blocks_of_unstarted_pieces_are_dropped() {
        let (mut p, _) = setup("11", "", "", 0, 11);
        assert_eq!(p.on_block_received(A, br(1, 0)), BlockOutcome::default());
        assert_eq!(p.wanted_left(), 2);
    }

    #[test]
    fn hash_failure_resets_the_piece_and_names_senders() {
        let (mut p, _) = setup("1", "", "", 0, 12);
        let all = Bitfield::all(1);
        pick(&mut p, A, &all, 2);
        pick(&mut p, B, &all, 2);
        assert!(p.on_block_received(A, br(0, 0)).new);
        assert!(p.on_block_received(A, br(0, 1)).new);
        assert!(p.on_block_received(B, br(0, 2)).new);
        assert!(p.on_piece_verified(PieceIndex::trusted(0), false).is_empty(), "an incomplete piece is not reset");
        let out = p.on_block_received(B, br(0, 3));
        assert!(out.piece_complete);
        assert_eq!(p.on_piece_verified(PieceIndex::trusted(0), false), [A, B]);
        assert!(!p.in_endgame() && !p.is_complete());
        assert_eq!(pick(&mut p, C, &all, 8), [(0, 0), (0, 1), (0, 2), (0, 3)]);
        let out = receive_piece(&mut p, C, 0);
        assert!(out.piece_complete);
        assert_eq!(p.on_piece_verified(PieceIndex::trusted(0), true), [C]);
        assert!(p.is_complete() && p.have().is_all());
        assert_eq!(p.on_block_received(C, br(0, 0)), BlockOutcome::default());
        assert!(pick(&mut p, C, &all, 8).is_empty());
    }

    #[test]
    fn availability_follows_bitfields_haves_and_seeds() {
        let (mut p, peers) = setup("0120", "", "", 0, 13);
        let a = |p: &Picker, i| p.availability(PieceIndex::trusted(i));
        assert_eq!([a(&p, 0), a(&p, 1), a(&p, 2), a(&p, 3)], [0, 1, 2, 0]);
        p.peer_bitfield(A, &Bitfield::all(4));
        p.peer_have(A, PieceIndex::trusted(0));
        assert_eq!([a(&p, 0), a(&p, 1), a(&p, 2), a(&p, 3)], [1, 2, 3, 1]);
        p.peer_have(PeerKey(0), PieceIndex::trusted(3));
        p.peer_lost(PeerKey(1), &peers[1]);
        p.peer_lost(A, &Bitfield::all(4));
        assert_eq!([a(&p, 0), a(&p, 1), a(&p, 2), a(&p, 3)], [0, 1, 1, 1]);
        // Rarest first among the pieces peer 0 has: 1 and 3 before the more common 2.
        p.peer_have(PeerKey(5), PieceIndex::trusted(2));
        let mut order = Vec::new();
        for _ in 0..3 {
            order.push(pick(&mut p, PeerKey(0), &has(4, &[1, 2, 3]), 4)[0].0);
        }
        assert_eq!(sorted(&order[..2]), [1, 3]);
        assert_eq!(order[2], 2);
        assert!(p.is_interesting(&has(4, &[0])));
    }

    #[test]
    fn bulk_bitfields_refile_before_the_next_pick() {
        let n = 100;
        let layout = Layout::new(&[(u64::from(n * BLOCK_SIZE), false)], BLOCK_SIZE).unwrap();
        let config = PickerConfig { rarest_first_cutoff: 0, ..PickerConfig::default() };
        let mut p = Picker::new(&layout, &Bitfield::none(n), config).unwrap();
        let all_but = |skip: &[u32]| has(n, &(0..n).filter(|i| !skip.contains(i)).collect::<Vec<_>>());
        p.peer_bitfield(PeerKey(0), &all_but(&[7]));
        p.peer_bitfield(PeerKey(1), &all_but(&[7, 9]));
        p.peer_bitfield(PeerKey(2), &all_but(&[7, 9, 11]));
        p.peer_lost(PeerKey(2), &all_but(&[7, 9, 11]));
        p.peer_bitfield(PeerKey(3), &has(n, &[40, 41]));
        let all = Bitfield::all(n);
        let order: Vec<u32> = (0..2).map(|_| pick(&mut p, A, &all, 1)[0].0).collect();
        assert_eq!(order, [7, 9]);
        // Small changes after the refile move single pieces at once.
        p.peer_have(PeerKey(3), PieceIndex::trusted(11));
        p.peer_lost(PeerKey(1), &all_but(&[7, 9]));
        p.peer_lost(PeerKey(0), &all_but(&[7]));
        assert_eq!(p.availability(PieceIndex::trusted(11)), 1);
        let next = sorted(&(0..3).map(|_| pick(&mut p, A, &all, 1)[0].0).collect::<Vec<_>>());
        assert!(next.iter().all(|&i| i != 11 && i != 40 && i != 41), "{next:?}");
    }

    #[test]
    fn block_refs_convert_to_and_from_the_wire() {
        let layout = Layout::new(&[(40_000, false)], 32 * 1024).unwrap();
        let b = BlockRef::from_wire(&layout, &crate::wire::BlockRef { piece: 1, begin: 0, length: 40_000 - 32_768 })
            .unwrap();
        assert_eq!((b.piece.get(), b.block.get()), (1, 0));
        let w = BlockRef { piece: PieceIndex::trusted(0), block: BlockIndex::trusted(1) }.to_wire(&layout);
        assert_eq!(w, crate::wire::BlockRef { piece: 0, begin: BLOCK_SIZE, length: BLOCK_SIZE });
        assert_eq!(BlockRef::from_wire(&layout, &w).unwrap().to_wire(&layout), w);
        assert!(BlockRef::from_wire(&layout, &crate::wire::BlockRef { piece: 0, begin: 1, length: 10 }).is_err());
    }

    #[test]
    fn interest_and_recheck() {
        let (mut p, _) = setup("11", "*", "", 0, 14);
        assert!(!p.is_interesting(&has(2, &[0])));
        assert!(p.is_interesting(&has(2, &[1])));
        p.on_piece_verified(PieceIndex::trusted(1), true);
        assert!(p.is_complete());
        assert!(!p.is_interesting(&Bitfield::all(2)));
        assert!(
            Picker::new(&Layout::new(&[(1, false)], 1).unwrap(), &Bitfield::none(2), PickerConfig::default()).is_err()
        );
    }

    #[test]
    fn restored_pieces_are_never_requested_and_blame_no_peer() {
        let (mut p, _) = setup("11", "", "", 0, 15);
        let all = Bitfield::all(2);
        assert_eq!(p.restore_piece(PieceIndex::trusted(1), &[0, 2]), Some(false));
        assert_eq!(p.restore_piece(PieceIndex::trusted(1), &[1]), None, "already in progress");
        assert_eq!(p.restore_piece(PieceIndex::trusted(0), &[BLOCKS]), None, "no such block");
        assert_eq!(p.unfinished(), [(PieceIndex::trusted(1), vec![0, 2])]);
        assert_eq!(p.bytes_in_progress(), 2 * u64::from(BLOCK_SIZE));
        assert_eq!(p.pieces_in_progress(), (0, 1), "a fragment with no requests");
        // The restored piece is finished first, with only its missing blocks.
        assert_eq!(pick(&mut p, A, &all, 2), [(1, 1), (1, 3)]);
        assert!(p.on_block_received(A, br(1, 1)).new);
        let out = p.on_block_received(A, br(1, 3));
        assert!(out.piece_complete);
        assert!(p.unfinished().is_empty(), "complete pieces are not unfinished");
        assert_eq!(p.on_piece_verified(PieceIndex::trusted(1), false), [A], "restored blocks have no sender");
        assert_eq!(pick(&mut p, B, &has(2, &[1]), 8), [(1, 0), (1, 1), (1, 2), (1, 3)], "all fetched again");
        // A restored piece with every block is complete at once; a verified piece is not restored.
        let (mut q, _) = setup("11", "*", "", 0, 16);
        assert_eq!(q.restore_piece(PieceIndex::trusted(0), &[0]), None);
        assert_eq!(q.restore_piece(PieceIndex::trusted(1), &[0, 1, 2, 3]), Some(true));
        assert!(q.on_piece_verified(PieceIndex::trusted(1), true).is_empty());
        assert!(q.is_complete());
    }
}
