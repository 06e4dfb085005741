//! Finding who sent corrupt data, sans-I/O. Every block of a piece in progress is recorded with
//! the address that sent it. When the piece fails its hash check and one address sent all of
//! it, that address is the culprit. When several did, the hash of each block as received is
//! kept; once the piece passes (downloaded again), the senders whose blocks differ from the good
//! data are the culprits, and honest peers that shared the piece are never blamed. Blocks
//! restored from disk after a restart came from no peer: a failed piece that had some is
//! treated as mixed, so the peer that sent the rest is judged only by its own blocks.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

/// A block as it was received: who sent it and where it lies in the piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sent {
    addr: SocketAddr,
    begin: u32,
    len: u32,
}

/// Block senders of the pieces in progress, and the received blocks of failed mixed pieces.
#[derive(Debug, Default)]
pub struct SmartBan {
    senders: HashMap<u32, Vec<Sent>>,
    suspects: HashMap<u32, Vec<(Sent, [u8; 20])>>,
    /// Pieces in progress with blocks restored from disk (sent by no peer).
    restored: HashSet<u32>,
}

fn sha1_of(data: &[u8]) -> [u8; 20] {
    use sha1::Digest;
    sha1::Sha1::digest(data).into()
}

impl SmartBan {
    /// Records that `addr` sent the block at `begin` (`len` bytes) of `piece`, which was written.
    pub fn block_received(&mut self, piece: u32, addr: SocketAddr, begin: u32, len: u32) {
        self.senders.entry(piece).or_default().push(Sent { addr, begin, len });
    }

    /// Records that `piece` has blocks restored from disk, which no peer sent.
    pub fn blocks_restored(&mut self, piece: u32) {
        self.restored.insert(piece);
    }

    /// `piece` failed its hash check. Returns the address to ban when one address sent the
    /// whole piece; otherwise keeps the hash of each block as received (`read(begin, len)`
    /// gives the bytes now stored) for [`SmartBan::piece_passed`].
    pub fn piece_failed(
        &mut self,
        piece: u32,
        mut read: impl FnMut(u32, u32) -> Option<Vec<u8>>,
    ) -> Option<SocketAddr> {
        let sent = self.senders.remove(&piece).unwrap_or_default();
        let restored = self.restored.remove(&piece);
        let first = sent.first()?.addr;
        if !restored && sent.iter().all(|s| s.addr == first) {
            return Some(first);
        }
        let hashed = sent.into_iter().filter_map(|s| Some((s, sha1_of(&read(s.begin, s.len)?))));
        self.suspects.entry(piece).or_default().extend(hashed);
        None
    }

    /// `piece` passed its hash check. Returns the addresses (each once) whose earlier blocks of
    /// it differ from the good data that `read(begin, len)` gives.
    pub fn piece_passed(&mut self, piece: u32, mut read: impl FnMut(u32, u32) -> Option<Vec<u8>>) -> Vec<SocketAddr> {
        self.senders.remove(&piece);
        self.restored.remove(&piece);
        let mut guilty = Vec::new();
        for (s, hash) in self.suspects.remove(&piece).unwrap_or_default() {
            if !guilty.contains(&s.addr) && read(s.begin, s.len).is_some_and(|good| sha1_of(&good) != hash) {
                guilty.push(s.addr);
            }
        }
        guilty
    }

    /// Pieces with failed mixed blocks still waiting for a verdict.
    pub fn pending(&self) -> usize {
        self.suspects.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(n: u8) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, n], 6881))
    }

    /// A piece of two 4-byte blocks as stored on disk.
    struct Disk(Vec<u8>);

    impl Disk {
        fn read(&self, begin: u32, len: u32) -> Option<Vec<u8>> {
            self.0.get(begin as usize..(begin + len) as usize).map(<[u8]>::to_vec)
        }
    }

    #[test]
    fn sole_sender_of_a_failed_piece_is_the_culprit() {
        let mut sb = SmartBan::default();
        sb.block_received(3, addr(1), 0, 4);
        sb.block_received(3, addr(1), 4, 4);
        let disk = Disk(vec![9; 8]);
        assert_eq!(sb.piece_failed(3, |b, l| disk.read(b, l)), Some(addr(1)));
        assert_eq!(sb.pending(), 0);
    }

    #[test]
    fn mixed_piece_convicts_only_the_sender_of_the_bad_block() {
        let mut sb = SmartBan::default();
        sb.block_received(5, addr(1), 0, 4); // honest
        sb.block_received(5, addr(2), 4, 4); // corrupt
        let bad = Disk(vec![1, 2, 3, 4, 0xee, 0xee, 0xee, 0xee]);
        assert_eq!(sb.piece_failed(5, |b, l| bad.read(b, l)), None);
        assert_eq!(sb.pending(), 1);
        // Downloaded again, from the honest peer only; now it passes.
        sb.block_received(5, addr(1), 0, 4);
        sb.block_received(5, addr(1), 4, 4);
        let good = Disk(vec![1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(sb.piece_passed(5, |b, l| good.read(b, l)), vec![addr(2)]);
        assert_eq!(sb.pending(), 0);
    }

    #[test]
    fn a_passing_piece_without_history_blames_nobody() {
        let mut sb = SmartBan::default();
        sb.block_received(1, addr(1), 0, 4);
        sb.block_received(1, addr(2), 4, 4);
        let good = Disk(vec![1; 8]);
        assert!(sb.piece_passed(1, |b, l| good.read(b, l)).is_empty());
        assert!(sb.piece_failed(1, |b, l| good.read(b, l)).is_none(), "senders were forgotten on success");
    }

    #[test]
    fn repeated_failures_accumulate_and_each_culprit_is_named_once() {
        let mut sb = SmartBan::default();
        let bad = Disk(vec![0xee; 8]);
        for _ in 0..2 {
            sb.block_received(0, addr(1), 0, 4);
            sb.block_received(0, addr(2), 4, 4);
            assert_eq!(sb.piece_failed(0, |b, l| bad.read(b, l)), None);
        }
        let good = Disk(vec![1; 8]);
        assert_eq!(sb.piece_passed(0, |b, l| good.read(b, l)), vec![addr(1), addr(2)]);
    }

    #[test]
    fn a_piece_with_restored_blocks_never_convicts_its_only_sender_outright() {
        let mut sb = SmartBan::default();
        // Block 0 was restored from disk (and is corrupt there); block 1 came from an honest peer.
        sb.blocks_restored(2);
        sb.block_received(2, addr(1), 4, 4);
        let bad = Disk(vec![0xee, 0xee, 0xee, 0xee, 5, 6, 7, 8]);
        assert_eq!(sb.piece_failed(2, |b, l| bad.read(b, l)), None, "its blocks are kept for the verdict");
        sb.block_received(2, addr(1), 0, 4);
        sb.block_received(2, addr(1), 4, 4);
        let good = Disk(vec![1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(sb.piece_passed(2, |b, l| good.read(b, l)).is_empty(), "its block was good");
        // The restored mark goes with the failure: a later failure is judged as usual.
        sb.block_received(2, addr(3), 0, 4);
        sb.block_received(2, addr(3), 4, 4);
        assert_eq!(sb.piece_failed(2, |b, l| bad.read(b, l)), Some(addr(3)));
        // A restored peer that lied is still found once the piece passes.
        sb.blocks_restored(4);
        sb.block_received(4, addr(5), 4, 4);
        assert_eq!(sb.piece_failed(4, |b, l| bad.read(b, l)), None);
        let fixed = Disk(vec![0xee, 0xee, 0xee, 0xee, 9, 9, 9, 9]);
        assert_eq!(sb.piece_passed(4, |b, l| fixed.read(b, l)), vec![addr(5)]);
    }
}
