//! Unfinished pieces across restarts. On a graceful stop (shutdown, or removal keeping the data)
//! the received blocks of every piece not yet complete are put on disk (those assembled in
//! memory are written; those written block by block already are) and, once the files are
//! synced, listed in the resume record with a bitmask of their blocks. On start, when the
//! record is trusted, those blocks count as received and are never requested again; the piece
//! goes on block by block and is hashed from the files once complete. Had a restored block gone
//! bad on disk, the piece fails, is fetched again whole, and no peer is blamed for it.
//!
//! Periodic saves list only the blocks of pieces written block by block: theirs are the only
//! blocks on disk, and the save syncs the files before writing the record, so a crash can only
//! find listed blocks that were synced.

use super::event::SessionEvent;
use super::torrent::Torrent;
use crate::storage::resume::UnfinishedPiece;
use crate::storage::BlockIndex;

impl Torrent {
    /// Puts the received blocks of every unfinished piece on disk and marks the record due when
    /// there are any. A piece whose blocks cannot be written is reported and left out of the
    /// record (its blocks are fetched again next time).
    pub(super) fn persist_unfinished(&mut self) {
        let unfinished = self.picker.unfinished();
        for (piece, blocks) in &unfinished {
            let ranges: Vec<(u32, u32)> =
                blocks.iter().map(|&b| self.layout.block_range(*piece, BlockIndex::trusted(b))).collect();
            if let Err(e) = self.writer.persist_blocks(*piece, &ranges) {
                let message = format!("cannot keep the received blocks of piece {}: {e}", piece.get());
                self.events.push(SessionEvent::StorageError { torrent: self.id, message });
            }
        }
        if !unfinished.is_empty() {
            self.resume_dirty = true;
        }
    }

    /// The record entries of the unfinished pieces whose received blocks are on disk now.
    pub(super) fn unfinished_on_disk(&self) -> Vec<UnfinishedPiece> {
        self.picker
            .unfinished()
            .into_iter()
            .filter(|(piece, _)| self.writer.is_direct(*piece))
            .map(|(piece, blocks)| UnfinishedPiece::new(piece.get(), self.layout.blocks_in_piece(piece), blocks))
            .collect()
    }

    /// Restores, once checking is done, the unfinished pieces of a trusted resume record that
    /// the check did not find complete: their blocks count as received, from no peer. A restored
    /// piece with every block is queued for hashing at once.
    pub(super) fn restore_unfinished(&mut self) {
        for (piece, blocks) in std::mem::take(&mut self.check.unfinished) {
            if self.have.get(piece.get()) {
                continue;
            }
            let Some(complete) = self.picker.restore_piece(piece, &blocks) else { continue };
            self.writer.restore_direct(piece);
            self.smart_ban.blocks_restored(piece.get());
            if complete {
                self.pending_hash.push(piece);
            }
        }
    }

    /// Whether complete pieces are still being verified on the pool (and, when verified, may
    /// yet be written): a record saved now would not count them, and their write would change
    /// the files' mtimes after it, making the whole record untrusted on the next start.
    pub fn is_verifying(&self) -> bool {
        self.writer.is_verifying()
    }

    /// Bytes we have: verified pieces plus the received blocks of pieces in progress (restored
    /// ones included), like libtorrent's `total_done`.
    pub fn total_done(&self) -> u64 {
        self.layout.total_length().saturating_sub(self.bytes_left()) + self.picker.bytes_in_progress()
    }
}
