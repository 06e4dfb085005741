//! How a torrent's received blocks reach the disk and the hashing pool.
//!
//! A piece whose first block arrives while the session's piece-buffer budget allows is assembled
//! in memory: each block is copied into the piece's buffer (cheap: the bytes are still in cache
//! from the socket read, and streaming stores keep the buffer itself out of the cache). The
//! complete piece is hashed from that buffer on the pool and written there with one allocated
//! positioned write, only when it verifies, so corrupt data never reaches the disk. When the budget is spent, a piece is written block by block as it arrives
//! and hashed from the file maps once complete. A piece never mixes the two.

use crate::metainfo::PieceCheck;
use crate::storage::hash_pool::{HashData, HashJob, HashKind, Persist, PieceSource, Prefix};
use crate::storage::piece_buffers::PieceBuffers;
use crate::storage::store::{StorageError, Store};
use crate::storage::stream_copy::copy_streaming;
use crate::storage::PieceIndex;
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

/// What a job for `check` computes: SHA-1 (v1), SHA-256 leaves (v2), or both (hybrid).
fn kind_for(check: Option<PieceCheck>) -> HashKind {
    match check {
        Some(PieceCheck::Merkle { .. }) => HashKind::V2Leaves,
        Some(PieceCheck::Hybrid { data_len, .. }) => HashKind::Both { leaf_bytes: data_len },
        Some(PieceCheck::Sha1(_)) | None => HashKind::V1,
    }
}

/// Bytes of a piece of `piece_len` bytes that `check` hashes.
fn hashed_len(piece_len: usize, check: Option<PieceCheck>) -> usize {
    check.map_or(piece_len, |c| c.hash_len(piece_len))
}

/// The write path of one torrent's pieces in progress.
pub struct PieceWriter {
    store: Arc<Store>,
    buffers: Arc<Mutex<PieceBuffers>>,
    /// Pieces assembled in memory, by index.
    assembly: HashMap<u32, Vec<u8>>,
    /// Pieces being written block by block.
    direct: HashSet<u32>,
    /// Complete pieces handed to the pool for verifying (and writing) whose result is not in.
    verifying: HashSet<u32>,
}

impl PieceWriter {
    /// A writer over `store`, drawing piece buffers from the session's `buffers`.
    pub fn new(store: Arc<Store>, buffers: Arc<Mutex<PieceBuffers>>) -> PieceWriter {
        PieceWriter { store, buffers, assembly: HashMap::new(), direct: HashSet::new(), verifying: HashSet::new() }
    }

    /// Stores a newly received block (`begin` and the length already validated for `piece`).
    pub fn write_block(
        &mut self,
        piece: PieceIndex,
        begin: u32,
        data: &[u8],
        now: Instant,
    ) -> Result<(), StorageError> {
        let n = piece.get();
        if !self.direct.contains(&n) && !self.assembly.contains_key(&n) {
            let size = self.store.layout().piece_size(piece) as usize;
            match self.buffers.lock().take(size, now) {
                Some(buf) => {
                    self.assembly.insert(n, buf);
                }
                None => {
                    self.direct.insert(n);
                }
            }
        }
        match self.assembly.get_mut(&n) {
            Some(buf) => {
                let start = begin as usize;
                copy_streaming(&mut buf[start..start + data.len()], data);
                Ok(())
            }
            None => self.store.write(piece, begin, data),
        }
    }

    /// The job that verifies a complete piece against `check`: from its buffer (written there
    /// once it verifies) or from the file maps.
    pub fn verify_job(&mut self, id: u64, piece: PieceIndex, check: Option<PieceCheck>) -> HashJob {
        self.direct.remove(&piece.get());
        self.verifying.insert(piece.get());
        let Some(buf) = self.assembly.remove(&piece.get()) else {
            return self.map_job(id, piece, check);
        };
        let store = self.store.clone();
        let persist = check.map(|check| Persist {
            check,
            write: Box::new(move |bytes: &[u8]| {
                store.write_piece(piece, bytes).map_err(|e| std::io::Error::other(e.to_string()))
            }),
        });
        let len = hashed_len(self.store.layout().piece_size(piece) as usize, check);
        HashJob { id, kind: kind_for(check), data: HashData::Buffer { buf, len }, persist }
    }

    /// The job that hashes a piece already on disk for `check`, straight from the maps.
    pub fn map_job(&self, id: u64, piece: PieceIndex, check: Option<PieceCheck>) -> HashJob {
        let store = self.store.clone();
        let len = hashed_len(store.layout().piece_size(piece) as usize, check);
        HashJob {
            id,
            kind: kind_for(check),
            data: HashData::Lent(Box::new(move || {
                let source = store.piece_bytes(piece).map_err(|e| std::io::Error::other(e.to_string()))?;
                Ok(Box::new(Prefix { source, len }) as Box<dyn PieceSource>)
            })),
            persist: None,
        }
    }

    /// The pool's result for `piece` came back (a verify job or a check).
    pub fn hashed(&mut self, piece: u32) {
        self.verifying.remove(&piece);
    }

    /// Whether a verify job is still out: its piece may yet be written.
    pub fn is_verifying(&self) -> bool {
        !self.verifying.is_empty()
    }

    /// Takes on a piece whose received blocks are already on disk (restored from a resume
    /// record): the rest is written block by block and the piece is hashed from the file maps.
    pub fn restore_direct(&mut self, piece: PieceIndex) {
        self.direct.insert(piece.get());
    }

    /// Whether `piece` is written block by block, so its received blocks are on disk.
    pub fn is_direct(&self, piece: PieceIndex) -> bool {
        self.direct.contains(&piece.get())
    }

    /// Writes the received blocks (`(begin, length)` ranges) of a piece assembled in memory to
    /// the files and switches it to block-by-block writes, returning its buffer to the session,
    /// so a stop keeps them. A piece already written block by block needs nothing. On error the
    /// piece stays in memory.
    pub fn persist_blocks(&mut self, piece: PieceIndex, blocks: &[(u32, u32)]) -> Result<(), StorageError> {
        let n = piece.get();
        let Some(buf) = self.assembly.remove(&n) else { return Ok(()) };
        let written = blocks
            .iter()
            .try_for_each(|&(begin, len)| self.store.write(piece, begin, &buf[begin as usize..][..len as usize]));
        match written {
            Ok(()) => {
                self.buffers.lock().give_back(buf);
                self.direct.insert(n);
            }
            Err(_) => {
                self.assembly.insert(n, buf);
            }
        }
        written
    }

    /// Gives a buffer that came back from the pool to the session for reuse.
    pub fn reclaim(&self, buf: Vec<u8>) {
        self.buffers.lock().give_back(buf);
    }

    /// Forgets every piece in progress (their received blocks are fetched again).
    pub fn reset(&mut self) {
        let mut buffers = self.buffers.lock();
        for (_, buf) in self.assembly.drain() {
            buffers.give_back(buf);
        }
        self.direct.clear();
    }

    /// Pieces in progress held in memory.
    #[cfg(test)]
    pub fn buffered(&self) -> usize {
        self.assembly.len()
    }
}

impl Drop for PieceWriter {
    fn drop(&mut self) {
        self.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::hash_pool::HashPool;
    use crate::storage::store::StoreFile;
    use crate::storage::Layout;
    use sha1::{Digest, Sha1};
    use std::time::Duration;

    fn writer(dir: &std::path::Path, budget: usize) -> (PieceWriter, Arc<Mutex<PieceBuffers>>) {
        let layout = Arc::new(Layout::new(&[(64, false)], 32).unwrap());
        let files = vec![StoreFile { path: "f".into(), length: 64, pad: false }];
        let store = Arc::new(Store::new(dir, files, layout).unwrap());
        let buffers = Arc::new(Mutex::new(PieceBuffers::new(budget)));
        (PieceWriter::new(store, buffers.clone()), buffers)
    }

    fn run(job: HashJob) -> crate::storage::hash_pool::HashResult {
        let pool = HashPool::new(1, Arc::new(|| {})).unwrap();
        pool.submit(job);
        pool.wait_result(Duration::from_secs(10)).expect("result")
    }

    #[test]
    fn buffered_piece_is_written_only_after_it_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let (mut w, buffers) = writer(dir.path(), 32);
        let now = Instant::now();
        let p0 = w.store.layout().piece(0).unwrap();
        let p1 = w.store.layout().piece(1).unwrap();
        w.write_block(p0, 16, &[b'b'; 16], now).unwrap();
        w.write_block(p0, 0, &[b'a'; 16], now).unwrap();
        // The budget holds one piece: the next is written straight to the file.
        w.write_block(p1, 0, &[b'c'; 16], now).unwrap();
        assert_eq!(w.buffered(), 1);
        assert!(std::fs::read(dir.path().join("f")).unwrap()[..32].iter().all(|b| *b == 0), "not written yet");

        let mut piece = [b'a'; 32];
        piece[16..].fill(b'b');
        let good: [u8; 20] = Sha1::digest(piece).into();
        let wrong = run(w.verify_job(1, p0, Some(PieceCheck::Sha1([7; 20]))));
        assert_eq!(wrong.sha1, Some(good));
        assert!(std::fs::read(dir.path().join("f")).unwrap()[..32].iter().all(|b| *b == 0), "corrupt: never written");
        w.reclaim(wrong.buffer.unwrap());
        assert_eq!(buffers.lock().outstanding(), 0);

        w.write_block(p0, 0, &piece[..16], now).unwrap();
        w.write_block(p0, 16, &piece[16..], now).unwrap();
        let ok = run(w.verify_job(2, p0, Some(PieceCheck::Sha1(good))));
        assert_eq!((ok.sha1, ok.write_error.as_deref()), (Some(good), None));
        assert_eq!(&std::fs::read(dir.path().join("f")).unwrap()[..32], &piece[..]);
        w.reclaim(ok.buffer.unwrap());

        // The direct piece is hashed from the file.
        w.write_block(p1, 16, &[b'd'; 16], now).unwrap();
        let direct = run(w.verify_job(3, p1, None));
        assert!(direct.buffer.is_none());
        let mut second = [b'c'; 32];
        second[16..].fill(b'd');
        assert_eq!(direct.sha1, Some(Sha1::digest(second).into()));
    }

    #[test]
    fn dropping_the_writer_returns_its_buffers() {
        let dir = tempfile::tempdir().unwrap();
        let (mut w, buffers) = writer(dir.path(), 64);
        let p0 = w.store.layout().piece(0).unwrap();
        w.write_block(p0, 0, &[1; 16], Instant::now()).unwrap();
        assert_eq!(buffers.lock().outstanding(), 32);
        drop(w);
        assert_eq!(buffers.lock().outstanding(), 0);
    }

    #[test]
    fn persisting_a_buffered_piece_writes_its_blocks_and_goes_direct() {
        let dir = tempfile::tempdir().unwrap();
        let (mut w, buffers) = writer(dir.path(), 64);
        let now = Instant::now();
        let p0 = w.store.layout().piece(0).unwrap();
        let p1 = w.store.layout().piece(1).unwrap();
        w.write_block(p0, 16, &[b'x'; 16], now).unwrap();
        assert!(!w.is_direct(p0));
        w.persist_blocks(p0, &[(16, 16)]).unwrap();
        assert!(w.is_direct(p0) && w.buffered() == 0);
        assert_eq!(buffers.lock().outstanding(), 0, "the buffer went back");
        let file = std::fs::read(dir.path().join("f")).unwrap();
        assert!(file[..16].iter().all(|b| *b == 0) && file[16..32].iter().all(|b| *b == b'x'));
        // The rest of the piece is written straight to the file and hashed from it.
        w.write_block(p0, 0, &[b'y'; 16], now).unwrap();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap()[..16], [b'y'; 16]);
        assert!(run(w.verify_job(1, p0, None)).buffer.is_none());
        // A restored piece is direct from the start.
        w.restore_direct(p1);
        w.write_block(p1, 0, &[b'z'; 16], now).unwrap();
        assert!(w.is_direct(p1) && w.buffered() == 0);
        w.persist_blocks(p1, &[(0, 16)]).unwrap();
    }
}
