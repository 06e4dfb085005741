//! Super-seeding (BEP 16, BitTornado `--super_seeder`): a complete torrent hides its pieces and
//! offers each peer one rarely seen piece at a time; a peer is offered its next piece only once
//! the piece it was last offered has been seen at other peers (their HAVEs), so that peers fetch
//! from each other what the seed uploaded once. This is the decision core: it reads no clock and
//! no socket; the torrent feeds it what peers announce and sends the HAVEs it chooses.

use super::bitfield::Bitfield;
use super::PeerKey;
use std::collections::HashMap;

/// What the super-seeder knows of one peer.
#[derive(Debug, Clone, Default)]
struct PeerOffers {
    /// Pieces offered to this peer (it may request exactly these).
    offered: Vec<u32>,
    /// The last piece offered, until it has been seen at enough other peers.
    pending: Option<u32>,
    /// Other peers that announced the pending piece after it was offered (or had it before).
    seen_elsewhere: u32,
    /// Pieces the peer announced to have.
    has: Option<Bitfield>,
}

/// The super-seeding state of one torrent.
#[derive(Debug, Clone)]
pub struct SuperSeed {
    pieces: u32,
    /// Peers that announced each piece.
    avail: Vec<u32>,
    /// Times each piece was offered (so that the next peer gets another rare piece).
    offered: Vec<u32>,
    peers: HashMap<PeerKey, PeerOffers>,
    /// The peers whose pending offer is each piece, so that a HAVE touches only them.
    waiting: HashMap<u32, Vec<PeerKey>>,
    /// Peers whose pending piece was seen at another peer since [`SuperSeed::take_due`].
    due: Vec<PeerKey>,
    rng: u64,
}

impl SuperSeed {
    /// A super-seeder for a torrent of `pieces` pieces; `seed` varies the choice among equally
    /// rare pieces.
    pub fn new(pieces: u32, seed: u64) -> SuperSeed {
        SuperSeed {
            pieces,
            avail: vec![0; pieces as usize],
            offered: vec![0; pieces as usize],
            peers: HashMap::new(),
            waiting: HashMap::new(),
            due: Vec::new(),
            rng: seed | 1,
        }
    }

    /// A peer connected (it has nothing as far as we know yet).
    pub fn peer_joined(&mut self, peer: PeerKey) {
        self.peers.entry(peer).or_default();
    }

    /// A peer disconnected: its pieces no longer count.
    pub fn peer_left(&mut self, peer: PeerKey) {
        if let Some(p) = self.peers.remove(&peer) {
            for piece in p.has.iter().flat_map(Bitfield::iter_set) {
                self.avail[piece as usize] = self.avail[piece as usize].saturating_sub(1);
            }
            if let Some(pending) = p.pending {
                self.stop_waiting(peer, pending);
            }
        }
        self.due.retain(|k| *k != peer);
    }

    /// A peer announced `piece` (HAVE, or one bit of its bitfield). Out-of-range pieces are
    /// ignored.
    pub fn peer_has(&mut self, peer: PeerKey, piece: u32) {
        if piece >= self.pieces {
            return;
        }
        let pieces = self.pieces;
        let entry = self.peers.entry(peer).or_default();
        let bits = entry.has.get_or_insert_with(|| Bitfield::none(pieces));
        if !bits.set(piece).unwrap_or(false) {
            return; // already known
        }
        self.avail[piece as usize] += 1;
        for key in self.waiting.get(&piece).into_iter().flatten() {
            if *key != peer {
                if let Some(other) = self.peers.get_mut(key) {
                    other.seen_elsewhere += 1;
                    self.due.push(*key);
                }
            }
        }
    }

    /// Takes the peers (each once, in key order) whose pending piece was announced by another
    /// peer since the last call: the only ones, besides the announcing peer itself, that a HAVE
    /// can make due their next offer.
    pub fn take_due(&mut self) -> Vec<PeerKey> {
        let mut due = std::mem::take(&mut self.due);
        due.sort_unstable_by_key(|k| k.0);
        due.dedup();
        due
    }

    fn stop_waiting(&mut self, peer: PeerKey, piece: u32) {
        if let Some(list) = self.waiting.get_mut(&piece) {
            list.retain(|k| *k != peer);
            if list.is_empty() {
                self.waiting.remove(&piece);
            }
        }
    }

    /// A peer announced its pieces all at once (bitfield or have-all).
    pub fn peer_bitfield(&mut self, peer: PeerKey, bits: &Bitfield) {
        for piece in bits.iter_set() {
            self.peer_has(peer, piece);
        }
    }

    /// True when `peer` was offered `piece` and may therefore request it.
    pub fn may_serve(&self, peer: PeerKey, piece: u32) -> bool {
        self.peers.get(&peer).is_some_and(|p| p.offered.contains(&piece))
    }

    /// The pieces offered to `peer` so far.
    pub fn offered_to(&self, peer: PeerKey) -> &[u32] {
        self.peers.get(&peer).map_or(&[], |p| &p.offered)
    }

    /// Chooses the next piece to offer `peer`, if it is due one: it has no offer pending, or it
    /// announced the pending piece itself and that piece was seen at `seen_needed` other peers
    /// (BitTornado: 2, or 1 while upload slots are under-filled; peers that already had it when
    /// it was offered count). The piece is the rarest the peer lacks (counting earlier offers as
    /// copies); the caller sends it as a HAVE. Asking the peer to have its pending piece keeps
    /// us to one piece in flight per peer when only pieces others hold are left to offer.
    pub fn next_offer(&mut self, peer: PeerKey, seen_needed: u32) -> Option<u32> {
        let start = self.random() % u64::from(self.pieces.max(1));
        let state = self.peers.get(&peer)?;
        let own = |p: u32| state.has.as_ref().is_some_and(|b| b.get(p));
        if state.pending.is_some_and(|p| !own(p) || state.seen_elsewhere < seen_needed.max(1)) {
            return None;
        }
        let lacks = |p: u32| state.has.as_ref().is_none_or(|b| !b.get(p)) && !state.offered.contains(&p);
        let mut best: Option<(u32, u32)> = None;
        for i in 0..self.pieces {
            let p = ((start + u64::from(i)) % u64::from(self.pieces)) as u32;
            if !lacks(p) {
                continue;
            }
            let score = self.avail[p as usize] + self.offered[p as usize];
            if best.is_none_or(|(_, s)| score < s) {
                best = Some((p, score));
            }
        }
        let (piece, _) = best?;
        let seen = self.peers.iter().filter(|(k, o)| **k != peer && o.has.as_ref().is_some_and(|b| b.get(piece)));
        let seen = seen.count() as u32;
        let state = self.peers.get_mut(&peer)?;
        state.offered.push(piece);
        let before = state.pending.replace(piece);
        state.seen_elsewhere = seen;
        if let Some(old) = before {
            self.stop_waiting(peer, old);
        }
        self.waiting.entry(piece).or_default().push(peer);
        self.offered[piece as usize] += 1;
        Some(piece)
    }

    fn random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: PeerKey = PeerKey(1);
    const B: PeerKey = PeerKey(2);
    const C: PeerKey = PeerKey(3);

    #[test]
    fn one_offer_at_a_time_until_seen_elsewhere() {
        let mut s = SuperSeed::new(8, 7);
        s.peer_joined(A);
        s.peer_joined(B);
        let a1 = s.next_offer(A, 1).unwrap();
        assert_eq!(s.next_offer(A, 1), None, "a second offer before the first was seen elsewhere");
        assert!(s.may_serve(A, a1));
        assert!(!s.may_serve(B, a1));
        // A announcing its own piece does not count as "seen elsewhere".
        s.peer_has(A, a1);
        assert_eq!(s.next_offer(A, 1), None);
        let b1 = s.next_offer(B, 1).unwrap();
        assert_ne!(a1, b1, "equally rare: the offered counter sends B another piece");
        s.peer_has(B, a1);
        let a2 = s.next_offer(A, 1).unwrap();
        assert!(a2 != a1 && a2 != b1, "A lacks neither, but b1 is less rare than untouched pieces");
        assert_eq!(s.offered_to(A), [a1, a2]);
    }

    #[test]
    fn threshold_of_two_waits_for_two_other_peers() {
        let mut s = SuperSeed::new(4, 1);
        for p in [A, B, C] {
            s.peer_joined(p);
        }
        let a1 = s.next_offer(A, 2).unwrap();
        s.peer_has(B, a1);
        assert_eq!(s.next_offer(A, 2), None);
        s.peer_has(B, a1); // the same peer again counts once
        assert_eq!(s.next_offer(A, 2), None);
        s.peer_has(C, a1);
        assert_eq!(s.next_offer(A, 2), None, "A itself has not announced it yet");
        s.peer_has(A, a1);
        assert!(s.next_offer(A, 2).is_some());
    }

    #[test]
    fn offers_the_rarest_piece_the_peer_lacks() {
        let mut s = SuperSeed::new(4, 3);
        s.peer_joined(A);
        s.peer_joined(B);
        s.peer_joined(C);
        let mut bf = Bitfield::none(4);
        for p in [0, 1, 3] {
            bf.set(p).unwrap();
        }
        s.peer_bitfield(B, &bf);
        s.peer_has(C, 0);
        s.peer_has(C, 3);
        // Piece 2 is seen nowhere: the rarest.
        assert_eq!(s.next_offer(A, 1), Some(2));
        // A has 2 pending; C lacks 1 and 2; 2 was just offered once, 1 is at one peer: a tie
        // broken either way, but never a piece C already has.
        let c = s.next_offer(C, 1).unwrap();
        assert!(c == 1 || c == 2);
    }

    #[test]
    fn a_piece_already_elsewhere_frees_the_next_offer_once_the_peer_has_it() {
        let mut s = SuperSeed::new(2, 5);
        s.peer_joined(A);
        s.peer_joined(B);
        let mut bf = Bitfield::none(2);
        bf.set(0).unwrap();
        bf.set(1).unwrap();
        s.peer_bitfield(B, &bf);
        let first = s.next_offer(A, 1).unwrap();
        assert_eq!(s.next_offer(A, 1), None, "one piece in flight");
        s.peer_has(A, first);
        let second = s.next_offer(A, 1).unwrap();
        assert_ne!(first, second);
        s.peer_has(A, second);
        assert_eq!(s.next_offer(A, 1), None, "nothing left that A lacks");
        assert_eq!(s.next_offer(B, 1), None, "B has everything");
    }

    #[test]
    fn a_have_makes_due_only_the_peers_waiting_on_that_piece() {
        let (a, b, c) = (PeerKey(1), PeerKey(2), PeerKey(3));
        let mut s = SuperSeed::new(8, 3);
        for k in [a, b, c] {
            s.peer_joined(k);
        }
        let x = s.next_offer(a, 1).unwrap();
        let y = s.next_offer(b, 1).unwrap();
        assert_ne!(x, y, "each peer gets a different rare piece");
        s.peer_has(c, x);
        assert_eq!(s.take_due(), vec![a]);
        assert!(s.take_due().is_empty(), "taken once");
        let z = (0..8).find(|p| ![x, y].contains(p)).unwrap();
        s.peer_has(c, z);
        assert!(s.take_due().is_empty(), "nobody waits on {z}");
        // A peer that left is neither due nor waiting any more.
        s.peer_has(a, y);
        s.peer_left(b);
        assert!(s.take_due().is_empty());
        s.peer_has(c, y);
        assert!(s.take_due().is_empty());
    }

    #[test]
    fn departed_peers_stop_counting() {
        let mut s = SuperSeed::new(3, 9);
        s.peer_joined(A);
        s.peer_joined(B);
        s.peer_has(B, 0);
        s.peer_has(B, 1);
        s.peer_left(B);
        assert!(s.avail.iter().all(|a| *a == 0));
        assert_eq!(s.next_offer(B, 1), None, "unknown peer");
        s.peer_has(A, 99); // out of range: ignored
        assert!(s.next_offer(A, 1).is_some());
    }
}
