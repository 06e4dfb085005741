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
use super::status::TorrentState;
use super::torrent::Torrent;
use crate::storage::resume::UnfinishedPiece;
use crate::storage::BlockIndex;

impl Torrent {
    /// Puts the received blocks of every unfinished piece on disk and marks the record due when
    /// there are any. A piece whose blocks cannot be written is reported and left out of the
    /// record (its blocks are fetched again next time). A torrent stopped by an error keeps
    /// none: the failed write may have been one of its blocks.
    pub(super) fn persist_unfinished(&mut self) {
        if self.state == TorrentState::Error {
            return;
        }
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

    /// The record entries of the unfinished pieces whose received blocks are on disk now (none
    /// after an error: the failed write may have been one of them).
    pub(super) fn unfinished_on_disk(&self) -> Vec<UnfinishedPiece> {
        if self.state == TorrentState::Error {
            return Vec::new();
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bencode::{encode, OwnedValue};
    use crate::metainfo::Metainfo;
    use crate::session::announcer::Announcer;
    use crate::session::bitfield::Bitfield;
    use crate::session::limits::bucket;
    use crate::session::torrent::{AddTorrent, GlobalLimits};
    use crate::session::PeerKey;
    use crate::storage::hash_pool::HashPool;
    use crate::storage::piece_buffers::PieceBuffers;
    use crate::storage::resume::ResumeData;
    use crate::storage::PieceIndex;
    use parking_lot::Mutex;
    use sha1::Digest;
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// Pieces of two 16 KiB blocks; four of them.
    const PIECE: usize = 32 * 1024;
    const BLOCK: usize = PIECE / 2;
    const PEER: PeerKey = PeerKey(7);

    fn data() -> Vec<u8> {
        (0..4 * PIECE).map(|i| (i * 7 + i / 977) as u8).collect()
    }

    fn meta(data: &[u8]) -> Arc<Metainfo> {
        let pieces: Vec<u8> = data.chunks(PIECE).flat_map(|c| sha1::Sha1::digest(c).to_vec()).collect();
        let mut info = BTreeMap::new();
        info.insert(b"length".to_vec(), OwnedValue::Int(data.len() as i64));
        info.insert(b"name".to_vec(), OwnedValue::bytes("f"));
        info.insert(b"piece length".to_vec(), OwnedValue::Int(PIECE as i64));
        info.insert(b"pieces".to_vec(), OwnedValue::bytes(pieces));
        let mut root = BTreeMap::new();
        root.insert(b"info".to_vec(), OwnedValue::Dict(info));
        Arc::new(Metainfo::from_bytes(&encode(&OwnedValue::Dict(root))).unwrap())
    }

    /// A torrent saved under `dir/data` with records in `dir/resume`, checked.
    fn started(dir: &Path, meta: &Arc<Metainfo>, pool: &HashPool) -> Torrent {
        let now = Instant::now();
        let params = AddTorrent {
            meta: meta.clone(),
            save_path: dir.join("data"),
            paused: false,
            check_hashes: true,
            file_priorities: Vec::new(),
            peers: Vec::new(),
            max_connections: 10,
            max_uploads: 4,
            max_upload_rate: 0,
            max_download_rate: 0,
            global_limits: Arc::new(Mutex::new(GlobalLimits { up: bucket(0, now), down: bucket(0, now) })),
            piece_buffers: Arc::new(Mutex::new(PieceBuffers::new(1 << 20))),
            resume_dir: Some(dir.join("resume")),
            top_level_name: None,
            super_seed: false,
        };
        let mut t = Torrent::new(1, params, Announcer::new(Default::default(), 0, now), now).unwrap();
        t.pump_check(pool, 1, now);
        settle(&mut t, pool);
        assert_eq!(t.state, TorrentState::Downloading);
        t
    }

    /// Hands every queued piece to the pool and feeds results back until nothing is out.
    fn settle(t: &mut Torrent, pool: &HashPool) {
        loop {
            for p in std::mem::take(&mut t.pending_hash) {
                t.submit_piece_hash(pool, p);
            }
            if t.state != TorrentState::Checking && !t.is_verifying() {
                return;
            }
            let r = pool.wait_result(Duration::from_secs(10)).expect("a hash result");
            t.on_hash(r, pool, 1, Instant::now());
        }
    }

    /// Requests every block from a peer with everything, and receives `blocks` from `data` the
    /// way a connection's block is received.
    fn receive(t: &mut Torrent, data: &[u8], blocks: &[(u32, u32)]) {
        t.picker.pick(PEER, &Bitfield::all(4), 8, &mut Vec::new());
        for &(piece, block) in blocks {
            let p = PieceIndex::trusted(piece);
            let b = BlockIndex::trusted(block);
            let outcome = t.picker.on_block_received(PEER, crate::session::picker::BlockRef { piece: p, block: b });
            assert!(outcome.new);
            let at = piece as usize * PIECE + block as usize * BLOCK;
            t.writer.write_block(p, block * BLOCK as u32, &data[at..at + BLOCK], Instant::now()).unwrap();
            if outcome.piece_complete {
                t.pending_hash.push(p);
            }
        }
    }

    fn record(dir: &Path) -> ResumeData {
        let path = std::fs::read_dir(dir.join("resume")).unwrap().next().unwrap().unwrap().path();
        ResumeData::decode(&std::fs::read(path).unwrap()).unwrap()
    }

    /// The first two picked pieces, in pick order.
    fn first_pieces(t: &Torrent) -> (u32, u32) {
        let mut picker = t.picker.clone();
        let mut picks = Vec::new();
        picker.pick(PEER, &Bitfield::all(4), 3, &mut picks);
        (picks[0].piece.get(), picks[2].piece.get())
    }

    /// The data, its metainfo, a directory to save under and a one-thread pool.
    struct Fixture {
        dir: tempfile::TempDir,
        data: Vec<u8>,
        meta: Arc<Metainfo>,
        pool: HashPool,
    }

    fn fixture() -> Fixture {
        let data = data();
        let meta = meta(&data);
        Fixture { dir: tempfile::tempdir().unwrap(), data, meta, pool: HashPool::new(1, Arc::new(|| {})).unwrap() }
    }

    impl Fixture {
        /// The torrent started (and checked) over what is in the directory now.
        fn start(&self) -> Torrent {
            started(self.dir.path(), &self.meta, &self.pool)
        }
    }

    #[test]
    fn a_stop_keeps_buffered_blocks_and_a_start_restores_them_as_received() {
        let f = fixture();
        let mut t = f.start();
        let (a, b) = first_pieces(&t);
        // Piece a complete and verified, block 0 of piece b held in memory.
        receive(&mut t, &f.data, &[(a, 0), (a, 1), (b, 0)]);
        settle(&mut t, &f.pool);
        assert!(t.have.get(a) && !t.writer.is_direct(PieceIndex::trusted(b)));
        assert_eq!(t.total_done(), (PIECE + BLOCK) as u64);
        t.save_resume();
        let r = record(f.dir.path());
        assert_eq!(r.unfinished, [UnfinishedPiece::new(b, 2, [0])]);
        let disk = std::fs::read(f.dir.path().join("data/f")).unwrap();
        let at = b as usize * PIECE;
        assert!(disk[at..at + BLOCK] == f.data[at..at + BLOCK], "the buffered block was written");
        drop(t);

        let mut t = f.start();
        assert!(t.have.get(a));
        assert_eq!(t.picker.unfinished(), [(PieceIndex::trusted(b), vec![0])]);
        assert_eq!(t.total_done(), (PIECE + BLOCK) as u64, "restored blocks count as done");
        assert!(t.writer.is_direct(PieceIndex::trusted(b)), "the piece goes on block by block");
        let mut picks = Vec::new();
        t.picker.pick(PEER, &Bitfield::all(4), 1, &mut picks);
        assert_eq!((picks[0].piece.get(), picks[0].block.get()), (b, 1), "only the missing block is asked for");
        receive(&mut t, &f.data, &[(b, 1)]);
        settle(&mut t, &f.pool);
        assert!(t.have.get(b), "completed from the restored block and verified from the file");
        assert!(t.banned.is_empty() && t.banned_addrs.is_empty());
    }

    #[test]
    fn a_torrent_stopped_by_an_error_lists_no_unfinished_blocks() {
        let f = fixture();
        let mut t = f.start();
        let (a, _) = first_pieces(&t);
        t.writer.restore_direct(PieceIndex::trusted(a)); // written block by block
        receive(&mut t, &f.data, &[(a, 0)]);
        assert_eq!(t.unfinished_on_disk().len(), 1);
        t.fail("storage error: disk full".into());
        t.save_resume();
        assert!(record(f.dir.path()).unfinished.is_empty());
    }

    #[test]
    fn a_bad_unfinished_entry_makes_the_whole_record_ignored() {
        let f = fixture();
        let t = f.start();
        let (info_hash, path) = (t.info_hash, t.resume_path().unwrap());
        drop(t);
        // Piece 0 recorded as verified, but zeros on disk: only a trusted record counts it.
        let file = f.dir.path().join("data/f");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, vec![0u8; f.data.len()]).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let md = std::fs::metadata(&file).unwrap();
        let mtime = md.modified().unwrap().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let write = |unfinished| {
            let r = ResumeData { info_hash, pieces: vec![0x80], files: vec![Some((md.len(), mtime))], unfinished };
            std::fs::write(&path, r.encode()).unwrap();
        };
        write(vec![UnfinishedPiece::new(1, 2, [1])]);
        let t = f.start();
        assert!(t.have.get(0), "a good record is trusted");
        assert_eq!(t.picker.unfinished(), [(PieceIndex::trusted(1), vec![1])]);
        drop(t);
        for bad in [UnfinishedPiece::new(4, 2, [0]), UnfinishedPiece::new(0, 2, [1]), UnfinishedPiece::new(1, 3, [2])] {
            write(vec![UnfinishedPiece::new(1, 2, [1]), bad.clone()]);
            let t = f.start();
            assert!(!t.have.get(0) && t.picker.unfinished().is_empty(), "{bad:?} makes the record ignored");
        }
    }
}
