//! A piece in progress: the state of each of its blocks and who it is requested from.
//!
//! ```text
//!  block     0         1          2             3      4
//!  state   Received  Received  Requested{A,[B]}  Free   Free
//!                                               ^ next_free
//! ```
//!
//! Outside endgame a block has one requester; in endgame `extra` holds the others. Blocks are
//! handed out in ascending order from `next_free`, the lowest block that may be free.

use super::PeerKey;

/// State of one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    /// Neither requested nor received.
    Free,
    /// Requested from `by`, and in endgame also from `extra` (all distinct from each other).
    Requested { by: PeerKey, extra: Vec<PeerKey> },
    /// Arrived from `from`.
    Received { from: PeerKey },
}

/// What receiving a block changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// The block had already arrived: nothing changed.
    Duplicate,
    /// The block was free (its request had been dropped): it no longer is.
    WasFree,
    /// The block was requested: these other peers had it requested too.
    WasRequested(Vec<PeerKey>),
}

/// A piece being downloaded. Tracks:
/// 1. each block's state (free, requested and from whom, received and from whom);
/// 2. counts per state, with `free + requested + received == blocks.len()`;
/// 3. `next_free`: every block below it is not free;
/// 4. the peer most recently handed blocks of it, so a peer keeps to its own piece.
#[derive(Debug, Clone)]
pub(crate) struct PartialPiece {
    /// The piece.
    pub piece: u32,
    /// Per-block state.
    blocks: Vec<Block>,
    /// Blocks in state `Free`.
    pub free: u32,
    /// Blocks in state `Requested`.
    pub requested: u32,
    /// Blocks in state `Received`.
    received: u32,
    /// Lowest block that may be `Free`.
    next_free: u32,
    /// The peer most recently handed blocks of this piece.
    pub last_peer: Option<PeerKey>,
    /// Position in the picker's list of pieces with free blocks, if listed there.
    pub open_at: Option<u32>,
}

impl PartialPiece {
    /// A piece of `blocks` blocks, none requested.
    pub fn new(piece: u32, blocks: u32) -> PartialPiece {
        PartialPiece {
            piece,
            // Built element by element: `vec![Block::Free; n]` clones a partly initialised
            // stack value, which valgrind reports (a false positive) in the C API tests.
            blocks: std::iter::repeat_with(|| Block::Free).take(blocks as usize).collect(),
            free: blocks,
            requested: 0,
            received: 0,
            next_free: 0,
            last_peer: None,
            open_at: None,
        }
    }

    /// Whether every block has arrived.
    pub fn is_complete(&self) -> bool {
        self.received as usize == self.blocks.len()
    }

    /// Blocks received so far.
    pub fn received(&self) -> u32 {
        self.received
    }

    /// Whether block `block` has arrived.
    pub fn has_received(&self, block: u32) -> bool {
        matches!(self.blocks.get(block as usize), Some(Block::Received { .. }))
    }

    /// The numbers of the received blocks, ascending.
    pub fn received_blocks(&self) -> impl Iterator<Item = u32> + '_ {
        self.blocks.iter().enumerate().filter(|(_, b)| matches!(b, Block::Received { .. })).map(|(i, _)| i as u32)
    }

    /// Marks a free block as received from `from` without a request (a block restored from
    /// disk); `false` if there is no such block or it is not free.
    pub fn restore(&mut self, block: u32, from: PeerKey) -> bool {
        match self.blocks.get_mut(block as usize) {
            Some(b @ Block::Free) => {
                *b = Block::Received { from };
                self.free -= 1;
                self.received += 1;
                true
            }
            _ => false,
        }
    }

    /// Requests up to `max` free blocks from `peer`, lowest first; calls `taken` with each
    /// block number and returns how many.
    pub fn take_free(&mut self, peer: PeerKey, max: usize, mut taken_block: impl FnMut(u32)) -> u32 {
        let mut i = self.next_free;
        let mut taken = 0u32;
        while (i as usize) < self.blocks.len() && (taken as usize) < max {
            let b = &mut self.blocks[i as usize];
            if *b == Block::Free {
                *b = Block::Requested { by: peer, extra: Vec::new() };
                taken_block(i);
                taken += 1;
            }
            i += 1;
        }
        // Every free block in [next_free, i) was taken.
        self.next_free = i;
        self.free -= taken;
        self.requested += taken;
        if taken > 0 {
            self.last_peer = Some(peer);
        }
        taken
    }

    /// Calls `f(requesters, block)` for each requested block `peer` could also request in
    /// endgame: not already requested from it, and with fewer than `cap` requesters.
    pub fn endgame_candidates(&self, peer: PeerKey, cap: usize, mut f: impl FnMut(usize, u32)) {
        for (i, b) in self.blocks.iter().enumerate() {
            if let Block::Requested { by, extra } = b {
                if *by != peer && !extra.contains(&peer) && extra.len() + 1 < cap {
                    f(extra.len() + 1, i as u32);
                }
            }
        }
    }

    /// Adds `peer` as another requester of a requested block (endgame); `false` if the block
    /// is not requested.
    pub fn add_requester(&mut self, block: u32, peer: PeerKey) -> bool {
        match self.blocks.get_mut(block as usize) {
            Some(Block::Requested { extra, .. }) => {
                extra.push(peer);
                true
            }
            _ => false,
        }
    }

    /// Block `block` arrived from `peer`; `None` if there is no such block.
    pub fn receive(&mut self, block: u32, peer: PeerKey) -> Option<Arrival> {
        let b = self.blocks.get_mut(block as usize)?;
        let arrival = match std::mem::replace(b, Block::Received { from: peer }) {
            Block::Received { from } => {
                *b = Block::Received { from };
                return Some(Arrival::Duplicate);
            }
            Block::Free => {
                self.free -= 1;
                Arrival::WasFree
            }
            Block::Requested { by, extra } => {
                self.requested -= 1;
                Arrival::WasRequested(std::iter::once(by).chain(extra).filter(|&p| p != peer).collect())
            }
        };
        self.received += 1;
        Some(arrival)
    }

    /// `peer` will not answer its request for `block`; returns whether the block became free
    /// (no other peer has it requested).
    pub fn drop_request(&mut self, block: u32, peer: PeerKey) -> bool {
        let Some(Block::Requested { by, extra }) = self.blocks.get_mut(block as usize) else { return false };
        if let Some(at) = extra.iter().position(|&p| p == peer) {
            extra.remove(at);
            return false;
        }
        if *by != peer {
            return false;
        }
        if !extra.is_empty() {
            *by = extra.remove(0);
            return false;
        }
        self.blocks[block as usize] = Block::Free;
        self.requested -= 1;
        self.free += 1;
        self.next_free = self.next_free.min(block);
        true
    }

    /// Drops every request of `peer`; returns how many blocks became free.
    pub fn drop_peer(&mut self, peer: PeerKey) -> u32 {
        if self.last_peer == Some(peer) {
            self.last_peer = None;
        }
        if self.requested == 0 {
            return 0;
        }
        (0..self.blocks.len() as u32).filter(|&i| self.drop_request(i, peer)).count() as u32
    }

    /// The distinct peers that sent received blocks, sorted.
    pub fn senders(&self) -> Vec<PeerKey> {
        let mut senders: Vec<PeerKey> = self
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Received { from } => Some(*from),
                _ => None,
            })
            .collect();
        senders.sort_unstable();
        senders.dedup();
        senders
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: PeerKey = PeerKey(1);
    const B: PeerKey = PeerKey(2);
    const C: PeerKey = PeerKey(3);

    #[test]
    fn hands_out_ascending_and_refills_from_the_lowest_dropped() {
        let mut pp = PartialPiece::new(7, 5);
        let mut out = Vec::new();
        assert_eq!(pp.take_free(A, 3, |b| out.push(b)), 3);
        assert_eq!(out, [0, 1, 2]);
        assert!(pp.drop_request(1, A));
        assert!(!pp.drop_request(1, A), "already free");
        out.clear();
        assert_eq!(pp.take_free(B, 10, |b| out.push(b)), 3);
        assert_eq!(out, [1, 3, 4]);
        assert_eq!((pp.free, pp.requested, pp.last_peer), (0, 5, Some(B)));
    }

    #[test]
    fn endgame_requesters_cancels_and_promotion() {
        let mut pp = PartialPiece::new(0, 2);
        pp.take_free(A, 2, |_| {});
        let mut cands = Vec::new();
        pp.endgame_candidates(A, 3, |n, i| cands.push((n, i)));
        assert!(cands.is_empty(), "never the same peer twice");
        pp.endgame_candidates(B, 3, |n, i| cands.push((n, i)));
        assert_eq!(cands, [(1, 0), (1, 1)]);
        assert!(pp.add_requester(0, B) && pp.add_requester(0, C));
        cands.clear();
        pp.endgame_candidates(PeerKey(9), 3, |n, i| cands.push((n, i)));
        assert_eq!(cands, [(1, 1)], "block 0 is at the cap");
        // A drops block 0: B takes over as first requester, the block stays requested.
        assert!(!pp.drop_request(0, A));
        assert_eq!(pp.receive(0, C), Some(Arrival::WasRequested(vec![B])));
        assert_eq!(pp.receive(0, B), Some(Arrival::Duplicate));
        assert_eq!(pp.receive(5, B), None);
        assert_eq!(pp.drop_peer(A), 1);
        assert_eq!(pp.receive(1, B), Some(Arrival::WasFree));
        assert!(pp.is_complete());
        assert_eq!(pp.senders(), [B, C]);
        assert!(!pp.add_requester(1, A), "received blocks take no requesters");
    }

    #[test]
    fn restored_blocks_count_as_received_and_are_never_handed_out() {
        let mut pp = PartialPiece::new(3, 4);
        assert!(pp.restore(1, C) && pp.restore(2, C));
        assert!(!pp.restore(1, C), "already received");
        assert!(!pp.restore(4, C), "no such block");
        assert_eq!((pp.free, pp.received(), pp.received_blocks().collect::<Vec<_>>()), (2, 2, vec![1, 2]));
        let mut out = Vec::new();
        assert_eq!(pp.take_free(A, 4, |b| out.push(b)), 2);
        assert_eq!(out, [0, 3]);
        assert_eq!(pp.receive(0, A), Some(Arrival::WasRequested(vec![])));
        assert_eq!(pp.receive(3, A), Some(Arrival::WasRequested(vec![])));
        assert!(pp.is_complete());
    }
}
