//! A pool of hashing threads, one per core, so the reactor never hashes, and one writer thread.
//!
//! Jobs carry a piece index and the piece's bytes: produced as one buffer, lent in place (e.g.
//! slices of the file maps, hashed without a copy), or assembled in memory by the caller. Workers
//! compute SHA-1 (v1) and/or SHA-256 leaf hashes (v2), send the result on a crossbeam channel and
//! call the wake function (a `mio::Waker` in the session) so the reactor picks results up on its
//! next turn. A worker takes up to [`LANES`] jobs at once and computes their SHA-1s interleaved
//! ([`super::sha1_lanes`]), which takes well under half the CPU of one after the other. The first
//! worker takes every job, waiting a moment for more when fewer are queued; the others join in
//! only while a full batch waits behind it, or for a job of SHA-256 leaves (v2), which has no
//! lanes to share and is better hashed on another core at once. An in-memory piece that verifies is handed to the
//! writer thread, which writes it and then sends the result (one writer: concurrent writes to
//! one file only fight over its inode lock). A panic inside a job is caught and reported as a
//! failed result, never lost.

use super::sha1_lanes::{sha1_each, LANES};
use crate::metainfo::PieceCheck;
use crossbeam_channel::{Receiver, Sender};
use sha1::Digest;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Size of a v2 leaf block.
const LEAF: usize = 16 * 1024;

/// Longest a worker holding fewer than [`LANES`] jobs waits for more to hash alongside them. A
/// fast download completes a piece about every millisecond, so its pieces are hashed two to four
/// at a time; a lone piece is held this long at most.
const BATCH_WAIT: Duration = Duration::from_millis(5);

/// A piece's SHA-1 (v1) and the SHA-256 of its leaves (v2), as asked.
type Hashes = (Option<[u8; 20]>, Vec<[u8; 32]>);

/// What to compute for a piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    /// SHA-1 of the whole piece (v1).
    V1,
    /// SHA-256 of every 16 KiB leaf (v2).
    V2Leaves,
    /// Both (hybrid): SHA-1 of all the bytes, in lanes with other pieces, then the leaves of the first
    /// `leaf_bytes` (a file's data, without the pad bytes after it).
    Both {
        /// Bytes the leaves cover.
        leaf_bytes: u32,
    },
}

/// Bytes lent for hashing from where they already are, such as a piece in the file maps
/// ([`super::store::MappedPiece`]).
pub trait PieceSource: Send {
    /// The bytes, in order.
    fn slices(&self) -> Vec<&[u8]>;
}

/// The first `len` bytes of another source (a v2 piece's file bytes, without the pad after them).
pub struct Prefix<S> {
    /// The whole source.
    pub source: S,
    /// Bytes lent.
    pub len: usize,
}

impl<S: PieceSource> PieceSource for Prefix<S> {
    fn slices(&self) -> Vec<&[u8]> {
        let mut left = self.len;
        let mut out = Vec::new();
        for s in self.source.slices() {
            if left == 0 {
                break;
            }
            let take = s.len().min(left);
            out.push(&s[..take]);
            left -= take;
        }
        out
    }
}

/// Produces a job's lent bytes on the worker thread.
pub type Lender = Box<dyn FnOnce() -> std::io::Result<Box<dyn PieceSource>> + Send>;

/// Where a job's bytes come from.
pub enum HashData {
    /// Produced as one buffer on the worker thread.
    Owned(Box<dyn FnOnce() -> std::io::Result<Vec<u8>> + Send>),
    /// Lent in place on the worker thread (e.g. slices of a memory map, hashed without a copy).
    Lent(Lender),
    /// A piece assembled in memory: the first `len` bytes of the buffer are hashed, and the buffer
    /// comes back in [`HashResult::buffer`] so the caller can reuse it.
    Buffer {
        /// The buffer (at least `len` bytes).
        buf: Vec<u8>,
        /// Bytes of the piece.
        len: usize,
    },
}

/// Writes a verified piece's bytes to storage (runs on the worker thread).
pub type PersistFn = Box<dyn FnOnce(&[u8]) -> std::io::Result<()> + Send>;

/// What to do with a job's bytes once they hashed as expected (only for [`HashData::Buffer`]:
/// verified data is written, corrupt data never reaches the disk).
pub struct Persist {
    /// What the piece must hash to (the job's kind computes what it needs).
    pub check: PieceCheck,
    /// Writes the bytes.
    pub write: PersistFn,
}

/// A hashing job: an opaque id chosen by the caller, what to compute, the bytes, and optionally
/// what to do with them once verified.
pub struct HashJob {
    /// Caller's id (e.g. torrent key and piece index packed together).
    pub id: u64,
    /// What to compute.
    pub kind: HashKind,
    /// The bytes to hash.
    pub data: HashData,
    /// Write-behind for verified in-memory pieces.
    pub persist: Option<Persist>,
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
    /// Why verified bytes could not be written ([`HashJob::persist`]).
    pub write_error: Option<String>,
    /// The buffer of a [`HashData::Buffer`] job, given back.
    pub buffer: Option<Vec<u8>>,
    /// The result of an [`IoTask`] (no hashing; its error, if any, is in `write_error`).
    pub io: bool,
}

/// Disk work for the writer thread besides pieces (e.g. syncing data and saving resume records):
/// it runs after every piece write queued before it.
pub type IoTask = Box<dyn FnOnce() -> Result<(), String> + Send>;

/// What the writer thread does.
enum WriterJob {
    Piece(PendingWrite),
    Io { id: u64, task: IoTask },
}

impl HashResult {
    /// A result for job `id` with nothing computed yet.
    fn empty(id: u64) -> HashResult {
        HashResult { id, sha1: None, leaves: Vec::new(), error: None, write_error: None, buffer: None, io: false }
    }
}

/// The SHA-256 of each 16 KiB leaf of bytes arriving in chunks of any size, up to a limit.
struct LeafHasher {
    leaf: sha2::Sha256,
    leaf_len: usize,
    /// Bytes the leaves still take; the rest is not hashed.
    left: usize,
    leaves: Vec<[u8; 32]>,
}

impl LeafHasher {
    /// Leaves of the first `limit` bytes fed.
    fn new(limit: usize) -> LeafHasher {
        LeafHasher { leaf: sha2::Sha256::new(), leaf_len: 0, left: limit, leaves: Vec::new() }
    }

    fn update(&mut self, data: &[u8]) {
        let mut data = &data[..data.len().min(self.left)];
        self.left -= data.len();
        while !data.is_empty() {
            let take = (LEAF - self.leaf_len).min(data.len());
            let (step, rest) = data.split_at(take);
            self.leaf.update(step);
            self.leaf_len += take;
            if self.leaf_len == LEAF {
                self.leaves.push(self.leaf.finalize_reset().into());
                self.leaf_len = 0;
            }
            data = rest;
        }
    }

    fn finish(mut self) -> Vec<[u8; 32]> {
        if self.leaf_len > 0 {
            self.leaves.push(self.leaf.finalize().into());
        }
        self.leaves
    }
}

/// The job queue as the workers share it. The first worker takes every job that comes,
/// gathering up to [`LANES`] at a time; the others only help while a backlog of at least a full
/// batch waits (a check of existing data). A download's steady trickle of pieces thus keeps one
/// thread busy with full batches instead of waking every worker for part of one, and leaves the
/// other cores to the rest of the machine.
struct Intake {
    jobs: Receiver<HashJob>,
    /// A token when a backlog was seen on submitting, or a job was queued that gains nothing
    /// from lanes; helpers sleep on it.
    backlog: Receiver<Backlog>,
}

/// Why a helper is woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backlog {
    /// At least a full batch of jobs waits.
    Full,
    /// A job that is hashed on its own (SHA-256 leaves, which have no lanes) waits: better on
    /// another core than behind the first worker's.
    Single,
}

/// True for a job hashed on its own rather than in a batch of SHA-1 lanes.
fn hashed_alone(job: &HashJob) -> bool {
    job.kind == HashKind::V2Leaves
}

impl Intake {
    /// The first worker's next batch: up to [`LANES`] jobs, the first to come and those queued
    /// within [`BATCH_WAIT`] of it; a job [`hashed_alone`] goes at once. `None` once the pool is
    /// closed and drained.
    fn next_batch(&self) -> Option<Vec<HashJob>> {
        let first = self.jobs.recv().ok()?;
        if hashed_alone(&first) {
            return Some(vec![first]);
        }
        let mut batch = vec![first];
        let deadline = Instant::now() + BATCH_WAIT;
        while batch.len() < LANES {
            match self.jobs.recv_deadline(deadline) {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        Some(batch)
    }

    /// A helper's next batch: [`LANES`] queued jobs (fewer only at the end of the queue), taken
    /// when at least that many wait, or the next queued job when woken for one [`hashed_alone`].
    /// `None` once the pool is closed.
    fn help_batch(&self) -> Option<Vec<HashJob>> {
        let mut single = false;
        loop {
            let take = if self.jobs.len() >= LANES { LANES } else { usize::from(single) };
            let batch: Vec<HashJob> = self.jobs.try_iter().take(take).collect();
            if !batch.is_empty() {
                return Some(batch);
            }
            single = self.backlog.recv().ok()? == Backlog::Single;
        }
    }
}

/// A running pool. Dropping it stops the workers after the queued jobs and joins them.
pub struct HashPool {
    jobs: Option<Sender<HashJob>>,
    backlog: Option<Sender<Backlog>>,
    writes: Option<Sender<WriterJob>>,
    results: Receiver<HashResult>,
    workers: Vec<JoinHandle<()>>,
}

impl HashPool {
    /// Starts `threads` workers (at least one). `wake` is called after results are queued (once
    /// for the results of a batch).
    pub fn new(threads: usize, wake: Arc<dyn Fn() + Send + Sync>) -> std::io::Result<HashPool> {
        HashPool::with_nice(threads, 0, wake)
    }

    /// [`HashPool::new`] with the workers and the writer run `nice` steps below the calling
    /// thread's scheduling priority (Linux; 0 or elsewhere: the same priority), so that bulk
    /// hashing and writing never keep the reactor, or other programs, waiting for a CPU.
    pub fn with_nice(threads: usize, nice: u8, wake: Arc<dyn Fn() + Send + Sync>) -> std::io::Result<HashPool> {
        let (job_tx, job_rx) = crossbeam_channel::unbounded::<HashJob>();
        let (res_tx, res_rx) = crossbeam_channel::unbounded();
        let (write_tx, write_rx) = crossbeam_channel::unbounded::<WriterJob>();
        let threads = threads.max(1);
        let (backlog_tx, backlog_rx) = crossbeam_channel::bounded(threads);
        let intake = Arc::new(Intake { jobs: job_rx, backlog: backlog_rx });
        let mut workers = Vec::new();
        for i in 0..threads {
            let intake = intake.clone();
            let tx = res_tx.clone();
            let writes = write_tx.clone();
            let wake = wake.clone();
            let handle = std::thread::Builder::new().name(format!("bitgocho-hash-{i}")).spawn(move || {
                lower_priority(nice);
                let next = || if i == 0 { intake.next_batch() } else { intake.help_batch() };
                while let Some(batch) = next() {
                    let mut done = false;
                    for outcome in run_batch(batch) {
                        match outcome {
                            Outcome::Done(result) => done |= tx.send(result).is_ok(),
                            Outcome::Write(pending) => {
                                let _ = writes.send(WriterJob::Piece(pending));
                            }
                        }
                    }
                    // One wake-up for the batch's results.
                    if done {
                        wake();
                    }
                }
            })?;
            workers.push(handle);
        }
        // One writer: concurrent writes to one file only contend for its inode lock.
        let writer = std::thread::Builder::new().name("bitgocho-write".into()).spawn(move || {
            lower_priority(nice);
            for job in write_rx.iter() {
                let _ = res_tx.send(run_writer_job(job));
                // One wake-up for a run of queued writes (a batch's pieces come together): the
                // last one's wake-up covers the results sent before it.
                if write_rx.is_empty() {
                    wake();
                }
            }
        })?;
        workers.push(writer);
        Ok(HashPool { jobs: Some(job_tx), backlog: Some(backlog_tx), writes: Some(write_tx), results: res_rx, workers })
    }

    /// Queues a job.
    pub fn submit(&self, job: HashJob) {
        let Some(tx) = &self.jobs else { return };
        let alone = hashed_alone(&job);
        let _ = tx.send(job);
        let why = if alone { Some(Backlog::Single) } else { (tx.len() >= LANES).then_some(Backlog::Full) };
        if let (Some(why), Some(backlog)) = (why, &self.backlog) {
            let _ = backlog.try_send(why);
        }
    }

    /// Queues disk work on the writer thread; its result comes back with [`HashResult::io`] set.
    pub fn submit_io(&self, id: u64, task: IoTask) {
        if let Some(tx) = &self.writes {
            let _ = tx.send(WriterJob::Io { id, task });
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

/// Lowers the calling thread's scheduling priority by `nice` steps (Linux, where the nice value
/// is per thread; elsewhere it would be the whole process's, so nothing is done).
fn lower_priority(nice: u8) {
    #[cfg(target_os = "linux")]
    if nice > 0 {
        // SAFETY: a plain system call on the calling thread; no memory is passed. A failure
        // leaves the priority as it was, which is harmless.
        unsafe { libc::nice(i32::from(nice)) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// A verified in-memory piece waiting for the writer thread.
struct PendingWrite {
    result: HashResult,
    len: usize,
    write: PersistFn,
}

/// What a worker made of a job: a result, or a verified piece for the writer thread.
enum Outcome {
    Done(HashResult),
    Write(PendingWrite),
}

/// A job's bytes, once at hand on the worker.
enum Bytes {
    Owned(Vec<u8>),
    Lent(Box<dyn PieceSource>),
    /// The first this many bytes of the result's buffer.
    Buffer(usize),
}

/// A job with its bytes at hand (`None` if they could not be had: the result says why).
struct Opened {
    result: HashResult,
    kind: HashKind,
    bytes: Option<Bytes>,
    persist: Option<Persist>,
}

impl Opened {
    /// Gets the job's bytes; a failure or a panic becomes the result's error.
    fn new(job: HashJob) -> Opened {
        let HashJob { id, kind, data, persist } = job;
        let mut result = HashResult::empty(id);
        let buffer = &mut result.buffer;
        let bytes = catch_unwind(AssertUnwindSafe(|| match data {
            HashData::Owned(produce) => produce().map(Bytes::Owned),
            HashData::Lent(lend) => lend().map(Bytes::Lent),
            HashData::Buffer { buf, len } => Ok(Bytes::Buffer(len.min(buffer.insert(buf).len()))),
        }));
        let bytes = match bytes {
            Ok(Ok(bytes)) => Some(bytes),
            Ok(Err(e)) => {
                result.error = Some(e.to_string());
                None
            }
            Err(_) => {
                result.error = Some("hashing job panicked".into());
                None
            }
        };
        Opened { result, kind, bytes, persist }
    }

    /// The bytes to hash, in order.
    fn slices(&self) -> Vec<&[u8]> {
        match &self.bytes {
            Some(Bytes::Owned(v)) => vec![v],
            Some(Bytes::Lent(source)) => source.slices(),
            Some(Bytes::Buffer(len)) => vec![&self.result.buffer.as_deref().unwrap_or_default()[..*len]],
            None => Vec::new(),
        }
    }

    /// The hashed job's outcome: a verified buffer goes on to be written.
    fn outcome(self) -> Outcome {
        let Opened { result, bytes, persist, .. } = self;
        match (bytes, persist) {
            (Some(Bytes::Buffer(len)), Some(p))
                if result.error.is_none() && p.check.matches(result.sha1.as_ref(), &result.leaves) =>
            {
                Outcome::Write(PendingWrite { result, len, write: p.write })
            }
            _ => Outcome::Done(result),
        }
    }
}

/// Opens and hashes a batch of jobs, the SHA-1-only ones together.
fn run_batch(jobs: Vec<HashJob>) -> Vec<Outcome> {
    let mut opened: Vec<Opened> = jobs.into_iter().map(Opened::new).collect();
    match catch_unwind(AssertUnwindSafe(|| hash_opened(&opened))) {
        Ok(hashes) => {
            for (job, (sha1, leaves)) in opened.iter_mut().zip(hashes) {
                job.result.sha1 = sha1;
                job.result.leaves = leaves;
            }
        }
        Err(_) => {
            for job in opened.iter_mut() {
                job.result.error.get_or_insert_with(|| "hashing job panicked".into());
            }
        }
    }
    opened.into_iter().map(Opened::outcome).collect()
}

/// What each job asked for, in order (nothing for a job without bytes).
fn hash_opened(opened: &[Opened]) -> Vec<Hashes> {
    let mut out = vec![(None, Vec::new()); opened.len()];
    // SHA-1 in lanes for every job that wants it (v1 and hybrid).
    let v1: Vec<usize> = (0..opened.len())
        .filter(|&i| opened[i].bytes.is_some() && matches!(opened[i].kind, HashKind::V1 | HashKind::Both { .. }))
        .collect();
    let slices: Vec<Vec<&[u8]>> = v1.iter().map(|&i| opened[i].slices()).collect();
    let inputs: Vec<&[&[u8]]> = slices.iter().map(Vec::as_slice).collect();
    for (&i, digest) in v1.iter().zip(sha1_each(&inputs)) {
        out[i].0 = Some(digest);
    }
    // Then the leaves (v2, and the file bytes of a hybrid piece: a second pass over them).
    for (i, job) in opened.iter().enumerate() {
        let limit = match job.kind {
            _ if job.bytes.is_none() => continue,
            HashKind::V1 => continue,
            HashKind::V2Leaves => usize::MAX,
            HashKind::Both { leaf_bytes } => leaf_bytes as usize,
        };
        let mut h = LeafHasher::new(limit);
        job.slices().into_iter().for_each(|s| h.update(s));
        out[i].1 = h.finish();
    }
    out
}

fn run_writer_job(job: WriterJob) -> HashResult {
    match job {
        WriterJob::Piece(pending) => run_write(pending),
        WriterJob::Io { id, task } => {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(task));
            let write_error = match outcome {
                Ok(r) => r.err(),
                Err(_) => Some("disk task panicked".into()),
            };
            HashResult { write_error, io: true, ..HashResult::empty(id) }
        }
    }
}

fn run_write(pending: PendingWrite) -> HashResult {
    let PendingWrite { mut result, len, write } = pending;
    let bytes = result.buffer.as_deref().map_or(&[][..], |b| &b[..len]);
    result.write_error = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write(bytes))) {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some("writing the piece panicked".into()),
    };
    result
}

impl Drop for HashPool {
    fn drop(&mut self) {
        self.jobs.take();
        self.backlog.take();
        self.writes.take();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha1::Sha1;
    use std::time::Duration;

    /// Bytes lent as the given slices.
    struct Pieces(Vec<Vec<u8>>);

    impl PieceSource for Pieces {
        fn slices(&self) -> Vec<&[u8]> {
            self.0.iter().map(Vec::as_slice).collect()
        }
    }

    #[test]
    fn hashes_on_workers_and_wakes() {
        // Each wake-up notes how many results were queued at that moment. The test takes no
        // result until the pool is dropped, so a wake-up that came before its result would note
        // a count that is too small.
        let queue: Arc<std::sync::OnceLock<Receiver<HashResult>>> = Arc::default();
        let noted = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let (q, n) = (queue.clone(), noted.clone());
        let pool = HashPool::new(
            2,
            Arc::new(move || {
                n.lock().push(q.get().map_or(0, Receiver::len));
            }),
        )
        .unwrap();
        queue.set(pool.results.clone()).unwrap();
        let data: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
        for id in 0..8u64 {
            let d = data.clone();
            let data = if id % 2 == 0 {
                HashData::Owned(Box::new(move || Ok(d)))
            } else {
                // Slices of odd sizes that straddle leaf and block boundaries.
                HashData::Lent(Box::new(move || {
                    Ok(Box::new(Pieces(d.chunks(7_001).map(<[u8]>::to_vec).collect())) as _)
                }))
            };
            pool.submit(HashJob { id, kind: HashKind::Both { leaf_bytes: u32::MAX }, data, persist: None });
        }
        let gone = HashData::Owned(Box::new(|| Err(std::io::Error::other("gone"))));
        pool.submit(HashJob { id: 100, kind: HashKind::V1, data: gone, persist: None });
        pool.submit(HashJob {
            id: 101,
            kind: HashKind::V1,
            data: HashData::Lent(Box::new(|| panic!("boom"))),
            persist: None,
        });
        let results = pool.results.clone();
        // Dropping the pool runs the queued jobs and joins the workers, wake-ups included.
        drop(pool);
        let got: Vec<HashResult> = results.try_iter().collect();
        assert_eq!(got.len(), 10);
        let expected_sha1: [u8; 20] = Sha1::digest(&data).into();
        for r in got.iter().filter(|r| r.id < 8) {
            assert_eq!(r.sha1, Some(expected_sha1));
            assert_eq!(r.leaves.len(), 3);
            assert_eq!(r.leaves[2], <[u8; 32]>::from(sha2::Sha256::digest(&data[32768..])));
        }
        assert_eq!(got.iter().find(|r| r.id == 100).unwrap().error.as_deref(), Some("gone"));
        assert!(got.iter().find(|r| r.id == 101).unwrap().error.is_some());
        // One wake-up per batch: ten jobs make between ten / LANES and ten batches. Each comes
        // after its batch's results, so the counts never fall and the last one sees all ten.
        let noted = noted.lock();
        assert!((10usize.div_ceil(LANES)..=10).contains(&noted.len()), "wake-ups: {noted:?}");
        assert!(noted.windows(2).all(|w| w[0] <= w[1]), "counts fell: {noted:?}");
        assert!(noted[0] >= 1 && noted.last() == Some(&10), "a wake-up before its result: {noted:?}");
    }

    #[test]
    fn a_hybrid_job_hashes_all_bytes_with_sha1_and_the_leading_ones_as_leaves() {
        let piece: Vec<u8> = (0..65_536u32).map(|i| (i * 13) as u8).collect();
        let data_len = 40_000; // two full leaves and part of a third, then pad bytes
        let want: Vec<[u8; 32]> =
            piece[..data_len].chunks(LEAF).map(|l| <[u8; 32]>::from(sha2::Sha256::digest(l))).collect();
        let pool = HashPool::new(2, Arc::new(|| {})).unwrap();
        // Alone and in a batch with v1 jobs, whole and in slices of odd sizes.
        for (id, chunk) in [(0u64, 65_536usize), (1, 999), (2, 16_384), (3, 1)] {
            let d = piece.clone();
            let data = HashData::Lent(Box::new(move || {
                Ok(Box::new(Pieces(d.chunks(chunk).map(<[u8]>::to_vec).collect())) as _)
            }));
            pool.submit(HashJob { id, kind: HashKind::Both { leaf_bytes: data_len as u32 }, data, persist: None });
            let plain = piece.clone();
            pool.submit(HashJob {
                id: 10 + id,
                kind: HashKind::V1,
                data: HashData::Owned(Box::new(move || Ok(plain))),
                persist: None,
            });
        }
        let sha1: [u8; 20] = Sha1::digest(&piece).into();
        for _ in 0..8 {
            let r = pool.wait_result(Duration::from_secs(10)).expect("a result");
            assert_eq!(r.sha1, Some(sha1), "job {}", r.id);
            let leaves: &[[u8; 32]] = if r.id < 10 { &want } else { &[] };
            assert_eq!(r.leaves, leaves, "job {}", r.id);
        }
    }

    /// A job whose bytes are produced after `pause`, noting the name of the worker that ran it.
    fn noted_job(id: u64, pause: Duration, names: &Arc<parking_lot::Mutex<Vec<String>>>) -> HashJob {
        let names = names.clone();
        let data = HashData::Owned(Box::new(move || {
            std::thread::sleep(pause);
            names.lock().push(std::thread::current().name().unwrap_or_default().to_string());
            Ok(vec![id as u8; 100])
        }));
        HashJob { id, kind: HashKind::V1, data, persist: None }
    }

    #[test]
    fn a_trickle_of_jobs_is_hashed_by_the_first_worker_alone() {
        let pool = HashPool::new(3, Arc::new(|| {})).unwrap();
        let names = Arc::new(parking_lot::Mutex::new(Vec::new()));
        for id in 0..12 {
            pool.submit(noted_job(id, Duration::ZERO, &names));
            assert_eq!(pool.wait_result(Duration::from_secs(10)).map(|r| r.id), Some(id));
        }
        let names = names.lock();
        assert_eq!(names.len(), 12);
        assert!(names.iter().all(|n| n == "bitgocho-hash-0"), "helpers woke for a trickle: {names:?}");
    }

    #[test]
    fn a_backlog_is_shared_by_every_worker() {
        // 24 jobs of 20 ms queued at once: the first worker alone would need half a second, so
        // both helpers are woken and take batches of their own.
        let pool = HashPool::new(3, Arc::new(|| {})).unwrap();
        let names = Arc::new(parking_lot::Mutex::new(Vec::new()));
        for id in 0..24 {
            pool.submit(noted_job(id, Duration::from_millis(20), &names));
        }
        let mut ids: Vec<u64> =
            (0..24).map(|_| pool.wait_result(Duration::from_secs(10)).expect("result within 10 s").id).collect();
        ids.sort_unstable();
        assert_eq!(ids, (0..24).collect::<Vec<_>>());
        let mut workers = names.lock().clone();
        workers.sort();
        workers.dedup();
        assert_eq!(workers, ["bitgocho-hash-0", "bitgocho-hash-1", "bitgocho-hash-2"]);
    }

    #[test]
    fn a_v2_job_is_taken_by_a_helper_while_the_first_worker_is_busy() {
        // The first worker is held inside a SHA-1 job; a job of SHA-256 leaves queued then is
        // hashed by a helper at once, not behind it.
        let pool = HashPool::new(2, Arc::new(|| {})).unwrap();
        let (release, held) = crossbeam_channel::bounded::<()>(0);
        let data = HashData::Owned(Box::new(move || {
            let _ = held.recv_timeout(Duration::from_secs(10));
            Ok(vec![1; 100])
        }));
        pool.submit(HashJob { id: 1, kind: HashKind::V1, data, persist: None });
        std::thread::sleep(BATCH_WAIT * 4); // the first worker has started on its batch
        let data = HashData::Owned(Box::new(|| Ok(vec![2; 40_000])));
        pool.submit(HashJob { id: 2, kind: HashKind::V2Leaves, data, persist: None });
        let first = pool.wait_result(Duration::from_secs(5)).expect("the v2 job's result");
        assert_eq!((first.id, first.leaves.len()), (2, 3));
        release.send(()).unwrap();
        assert_eq!(pool.wait_result(Duration::from_secs(5)).map(|r| r.id), Some(1));
    }

    #[test]
    fn jobs_hashed_together_each_get_the_digest_of_their_own_bytes() {
        // One worker and jobs queued before it starts: they are taken LANES at a time, mixing
        // kinds, sources, lengths and failures in the same batch.
        let pool = HashPool::new(1, Arc::new(|| {})).unwrap();
        let bytes =
            |id: u64| -> Vec<u8> { (0..20_000 + id as usize * 999).map(|i| (i as u64 * 7 + id) as u8).collect() };
        for id in 0..4 * LANES as u64 + 1 {
            let d = bytes(id);
            let data = match id % 3 {
                0 => HashData::Buffer { len: d.len(), buf: d },
                1 => HashData::Lent(Box::new(move || {
                    Ok(Box::new(Pieces(d.chunks(5_000).map(<[u8]>::to_vec).collect())) as _)
                })),
                _ => HashData::Owned(Box::new(move || Ok(d))),
            };
            let kind = if id == 5 { HashKind::Both { leaf_bytes: u32::MAX } } else { HashKind::V1 };
            pool.submit(HashJob { id, kind, data, persist: None });
            if id == 6 {
                let gone = HashData::Lent(Box::new(|| Err(std::io::Error::other("gone"))));
                pool.submit(HashJob { id: 99, kind: HashKind::V1, data: gone, persist: None });
            }
        }
        let mut got: Vec<HashResult> = (0..4 * LANES + 2)
            .map(|_| pool.wait_result(Duration::from_secs(10)).expect("result within 10 s"))
            .collect();
        got.sort_by_key(|r| r.id);
        let failed = got.pop().unwrap();
        assert_eq!((failed.id, failed.error.as_deref(), failed.sha1), (99, Some("gone"), None));
        for r in &got {
            let want: [u8; 20] = Sha1::digest(bytes(r.id)).into();
            assert_eq!((r.sha1, r.error.as_deref()), (Some(want), None), "job {}", r.id);
            assert_eq!(r.leaves.len(), if r.id == 5 { 2 } else { 0 }, "job {}", r.id);
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn workers_run_the_asked_steps_below_the_caller() {
        fn nice_of_this_thread() -> i32 {
            // SAFETY: plain system calls on the calling thread.
            unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
        }
        let caller = nice_of_this_thread();
        for (asked, want) in [(0u8, caller), (5, (caller + 5).min(19))] {
            let pool = HashPool::with_nice(1, asked, Arc::new(|| {})).unwrap();
            let seen = Arc::new(parking_lot::Mutex::new(None));
            let s = seen.clone();
            let data = HashData::Owned(Box::new(move || {
                *s.lock() = Some(nice_of_this_thread());
                Ok(vec![0])
            }));
            pool.submit(HashJob { id: 1, kind: HashKind::V1, data, persist: None });
            pool.wait_result(Duration::from_secs(10)).expect("result");
            assert_eq!(*seen.lock(), Some(want), "asked {asked}");
        }
    }

    #[test]
    fn buffered_pieces_are_written_only_when_verified_and_come_back() {
        let pool = HashPool::new(1, Arc::new(|| {})).unwrap();
        let piece = b"0123456789abcdef".to_vec();
        let good: [u8; 20] = Sha1::digest(&piece[..10]).into();
        let written = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let job = |id: u64, expect: [u8; 20], fail: bool| {
            let w = written.clone();
            let write: PersistFn = Box::new(move |bytes: &[u8]| {
                if fail {
                    return Err(std::io::Error::other("disk full"));
                }
                w.lock().push((id, bytes.to_vec()));
                Ok(())
            });
            HashJob {
                id,
                kind: HashKind::V1,
                data: HashData::Buffer { buf: piece.clone(), len: 10 },
                persist: Some(Persist { check: PieceCheck::Sha1(expect), write }),
            }
        };
        pool.submit(job(1, good, false));
        pool.submit(job(2, [0; 20], false));
        pool.submit(job(3, good, true));
        let mut got: Vec<HashResult> = (0..3).map(|_| pool.wait_result(Duration::from_secs(10)).unwrap()).collect();
        got.sort_by_key(|r| r.id);
        assert_eq!(*written.lock(), vec![(1, piece[..10].to_vec())], "only the verified piece is written");
        assert!(got.iter().all(|r| r.sha1 == Some(good) && r.buffer.as_deref() == Some(&piece[..])));
        assert_eq!(got[0].write_error, None);
        assert_eq!(got[1].write_error, None);
        assert_eq!(got[2].write_error.as_deref(), Some("disk full"));
    }

    #[test]
    fn disk_tasks_run_on_the_writer_after_earlier_writes_and_report_errors() {
        let pool = HashPool::new(2, Arc::new(|| {})).unwrap();
        let order = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let piece = vec![5u8; 64 * 1024];
        let good: [u8; 20] = Sha1::digest(&piece).into();
        for id in 0..4u64 {
            let o = order.clone();
            let write: PersistFn = Box::new(move |_: &[u8]| {
                o.lock().push(id);
                Ok(())
            });
            let data = HashData::Buffer { buf: piece.clone(), len: piece.len() };
            pool.submit(HashJob {
                id,
                kind: HashKind::V1,
                data,
                persist: Some(Persist { check: PieceCheck::Sha1(good), write }),
            });
        }
        // Wait for the four verified pieces to reach the writer, then queue a task behind them.
        let results: Vec<HashResult> = (0..4).map(|_| pool.wait_result(Duration::from_secs(10)).unwrap()).collect();
        assert!(results.iter().all(|r| !r.io && r.write_error.is_none()));
        let o = order.clone();
        pool.submit_io(
            99,
            Box::new(move || {
                o.lock().push(99);
                Err("disk gone".into())
            }),
        );
        let r = pool.wait_result(Duration::from_secs(10)).unwrap();
        assert!(r.io && r.id == 99 && r.sha1.is_none());
        assert_eq!(r.write_error.as_deref(), Some("disk gone"));
        assert_eq!(order.lock().last(), Some(&99));
        assert_eq!(order.lock().len(), 5);
    }
}
