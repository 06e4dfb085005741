//! A pool of hashing threads, one per core, so the reactor never hashes.
//!
//! Jobs carry a piece index and a closure that produces the piece's bytes, either as one buffer or
//! fed in chunks straight from a memory map (no copy); workers compute SHA-1 (v1) and/or SHA-256 leaf hashes (v2), send the result on
//! a crossbeam channel and call the wake function (a `mio::Waker` in the session) so the reactor
//! picks results up on its next turn. A panic inside a job is caught and reported as a failed
//! result, never lost.

use crossbeam_channel::{Receiver, Sender};
use sha1::{Digest, Sha1};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Size of a v2 leaf block.
const LEAF: usize = 16 * 1024;

/// What to compute for a piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    /// SHA-1 of the whole piece (v1).
    V1,
    /// SHA-256 of every 16 KiB leaf (v2).
    V2Leaves,
    /// Both in one pass over the bytes (hybrid).
    Both,
}

/// Feeds a job's bytes, in order, to the sink it is given (runs on the worker thread).
pub type ChunkFeeder = Box<dyn FnOnce(&mut dyn FnMut(&[u8])) -> std::io::Result<()> + Send>;

/// Where a job's bytes come from.
pub enum HashData {
    /// Produced as one buffer on the worker thread.
    Owned(Box<dyn FnOnce() -> std::io::Result<Vec<u8>> + Send>),
    /// Fed in chunks on the worker thread (e.g. slices of a memory map, hashed without a copy).
    Chunks(ChunkFeeder),
}

/// A hashing job: an opaque id chosen by the caller, what to compute, and the bytes.
pub struct HashJob {
    /// Caller's id (e.g. torrent key and piece index packed together).
    pub id: u64,
    /// What to compute.
    pub kind: HashKind,
    /// The bytes to hash.
    pub data: HashData,
}

/// The outcome of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashResult {
    /// The job's id.
    pub id: u64,
    /// SHA-1 of the piece, for V1 and Both.
    pub sha1: Option<[u8; 20]>,
    /// SHA-256 of each leaf, for V2Leaves and Both.
    pub leaves: Vec<[u8; 32]>,
    /// Why the bytes could not be read or hashed.
    pub error: Option<String>,
}

/// Hashes `data` as asked.
pub fn hash_bytes(kind: HashKind, data: &[u8]) -> (Option<[u8; 20]>, Vec<[u8; 32]>) {
    let mut h = StreamHasher::new(kind);
    h.update(data);
    h.finish()
}

/// SHA-1 of a piece and/or SHA-256 of its 16 KiB leaves over bytes arriving in chunks of any size.
struct StreamHasher {
    sha1: Option<Sha1>,
    leaf: Option<sha2::Sha256>,
    leaf_len: usize,
    leaves: Vec<[u8; 32]>,
}

impl StreamHasher {
    fn new(kind: HashKind) -> StreamHasher {
        let want_v1 = matches!(kind, HashKind::V1 | HashKind::Both);
        let want_v2 = matches!(kind, HashKind::V2Leaves | HashKind::Both);
        StreamHasher {
            sha1: want_v1.then(Sha1::new),
            leaf: want_v2.then(sha2::Sha256::new),
            leaf_len: 0,
            leaves: Vec::new(),
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        let Some(leaf) = self.leaf.as_mut() else {
            if let Some(h) = self.sha1.as_mut() {
                h.update(data);
            }
            return;
        };
        // Both digests over the same leaf-sized step while it is in cache.
        while !data.is_empty() {
            let take = (LEAF - self.leaf_len).min(data.len());
            let (step, rest) = data.split_at(take);
            if let Some(h) = self.sha1.as_mut() {
                h.update(step);
            }
            leaf.update(step);
            self.leaf_len += take;
            if self.leaf_len == LEAF {
                self.leaves.push(leaf.finalize_reset().into());
                self.leaf_len = 0;
            }
            data = rest;
        }
    }

    fn finish(mut self) -> (Option<[u8; 20]>, Vec<[u8; 32]>) {
        if let Some(leaf) = self.leaf.take() {
            if self.leaf_len > 0 {
                self.leaves.push(leaf.finalize().into());
            }
        }
        (self.sha1.map(|h| h.finalize().into()), self.leaves)
    }
}

/// A running pool. Dropping it stops the workers after the queued jobs and joins them.
pub struct HashPool {
    jobs: Option<Sender<HashJob>>,
    results: Receiver<HashResult>,
    workers: Vec<JoinHandle<()>>,
}

impl HashPool {
    /// Starts `threads` workers (at least one). `wake` is called after each result is queued.
    pub fn new(threads: usize, wake: Arc<dyn Fn() + Send + Sync>) -> std::io::Result<HashPool> {
        let (job_tx, job_rx) = crossbeam_channel::unbounded::<HashJob>();
        let (res_tx, res_rx) = crossbeam_channel::unbounded();
        let mut workers = Vec::new();
        for i in 0..threads.max(1) {
            let rx = job_rx.clone();
            let tx = res_tx.clone();
            let wake = wake.clone();
            let handle = std::thread::Builder::new().name(format!("bitgocho-hash-{i}")).spawn(move || {
                for job in rx.iter() {
                    let _ = tx.send(run_job(job));
                    wake();
                }
            })?;
            workers.push(handle);
        }
        Ok(HashPool { jobs: Some(job_tx), results: res_rx, workers })
    }

    /// Queues a job.
    pub fn submit(&self, job: HashJob) {
        if let Some(tx) = &self.jobs {
            let _ = tx.send(job);
        }
    }

    /// Takes one finished result without waiting.
    pub fn try_result(&self) -> Option<HashResult> {
        self.results.try_recv().ok()
    }

    /// Waits up to `timeout` for a finished result.
    pub fn wait_result(&self, timeout: std::time::Duration) -> Option<HashResult> {
        self.results.recv_timeout(timeout).ok()
    }
}

fn run_job(job: HashJob) -> HashResult {
    let id = job.id;
    let kind = job.kind;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || match job.data {
        HashData::Owned(produce) => produce().map(|bytes| hash_bytes(kind, &bytes)),
        HashData::Chunks(feed) => {
            let mut h = StreamHasher::new(kind);
            feed(&mut |chunk: &[u8]| h.update(chunk)).map(|()| h.finish())
        }
    }));
    match outcome {
        Ok(Ok((sha1, leaves))) => HashResult { id, sha1, leaves, error: None },
        Ok(Err(e)) => HashResult { id, sha1: None, leaves: Vec::new(), error: Some(e.to_string()) },
        Err(_) => HashResult { id, sha1: None, leaves: Vec::new(), error: Some("hashing job panicked".into()) },
    }
}

impl Drop for HashPool {
    fn drop(&mut self) {
        self.jobs.take();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn hashes_on_workers_and_wakes() {
        let wakes = Arc::new(AtomicUsize::new(0));
        let w = wakes.clone();
        let pool = HashPool::new(
            2,
            Arc::new(move || {
                w.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .unwrap();
        let data: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
        for id in 0..8u64 {
            let d = data.clone();
            let data = if id % 2 == 0 {
                HashData::Owned(Box::new(move || Ok(d)))
            } else {
                // Chunks of odd sizes that straddle leaf boundaries.
                HashData::Chunks(Box::new(move |sink: &mut dyn FnMut(&[u8])| {
                    d.chunks(7_001).for_each(sink);
                    Ok(())
                }))
            };
            pool.submit(HashJob { id, kind: HashKind::Both, data });
        }
        let gone = HashData::Owned(Box::new(|| Err(std::io::Error::other("gone"))));
        pool.submit(HashJob { id: 100, kind: HashKind::V1, data: gone });
        pool.submit(HashJob { id: 101, kind: HashKind::V1, data: HashData::Chunks(Box::new(|_| panic!("boom"))) });
        let mut got = Vec::new();
        while got.len() < 10 {
            got.push(pool.wait_result(Duration::from_secs(10)).expect("result within 10 s"));
        }
        let expected_sha1: [u8; 20] = Sha1::digest(&data).into();
        for r in got.iter().filter(|r| r.id < 8) {
            assert_eq!(r.sha1, Some(expected_sha1));
            assert_eq!(r.leaves.len(), 3);
            assert_eq!(r.leaves[2], <[u8; 32]>::from(sha2::Sha256::digest(&data[32768..])));
        }
        assert_eq!(got.iter().find(|r| r.id == 100).unwrap().error.as_deref(), Some("gone"));
        assert!(got.iter().find(|r| r.id == 101).unwrap().error.is_some());
        // A worker wakes the reactor right after queuing its result: allow it that moment.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while wakes.load(Ordering::SeqCst) < 10 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert_eq!(wakes.load(Ordering::SeqCst), 10);
    }
}
