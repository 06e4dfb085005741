//! Parallel hashing of a piece layout: SHA-1 pieces (v1) and SHA-256 16 KiB leaves (v2), in
//! one pass over the bytes.
//!
//! One worker per core takes contiguous runs of pieces (16 MiB tasks, in order, from a shared
//! queue, so that a descheduled worker cannot hold back half the work), opens its own files,
//! advises the kernel once per advice for each task, and writes its digests into the task's
//! own slices of preallocated arrays. SHA-1 is computed four pieces at a time wherever they
//! lie in one file ([`crate::storage::sha1_lanes`]). Progress is an atomic byte counter the
//! caller polls; a cancel flag stops every worker at the next piece.

use super::create_error::CreateError;
use super::merkle::{Hash32, BLOCK_SIZE};
use super::piece_layout::{PieceLayout, Portion};
use super::walk::InputFile;
use crate::storage::sha1_lanes::{sha1_each, LANES};
use crate::storage::zero_slices;
use memmap2::{Advice, Mmap};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// Bytes read per call when reading with `pread` (a multiple of the 16 KiB leaf size).
const READ_CHUNK: usize = 1 << 20;
/// Bytes of pieces per task taken by a worker (a task is a contiguous run of pieces).
#[cfg(not(test))]
const TASK_BYTES: u64 = 16 << 20;
/// Small tasks in unit tests, so that their few pieces still make several tasks.
#[cfg(test)]
const TASK_BYTES: u64 = 64 << 10;
/// Largest piece read whole into the buffer to be hashed in lanes with pread (four of them).
const MAX_PREAD_LANE: u64 = 4 << 20;

/// How file bytes reach the hash functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadMethod {
    /// Map each file and hash from the mapping (no copy; a file truncated meanwhile raises SIGBUS).
    #[default]
    Mmap,
    /// `pread` into a reused 1 MiB buffer per worker (one copy; truncation is a clean error).
    Pread,
}

/// Progress of a hashing run, shared between the workers and the caller.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
    cancel: AtomicBool,
}

impl Progress {
    /// A fresh progress record.
    pub fn new() -> Self {
        Progress::default()
    }

    /// Bytes hashed so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Bytes to hash in total (known once hashing has started).
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Asks the run to stop; it then fails with [`CreateError::Cancelled`].
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// True once [`Progress::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// What to hash and how.
#[derive(Debug, Clone, Copy)]
pub struct HashJob<'a> {
    /// The files, in layout order.
    pub files: &'a [InputFile],
    /// Where their bytes sit.
    pub layout: &'a PieceLayout,
    /// Compute SHA-1 piece hashes.
    pub v1: bool,
    /// Compute SHA-256 leaf hashes (the layout must be aligned).
    pub v2: bool,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// How to read the files.
    pub method: ReadMethod,
}

/// The digests of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hashes {
    /// One SHA-1 per piece (empty unless v1 was asked).
    pub pieces: Vec<[u8; 20]>,
    /// Every file's 16 KiB leaf hashes, in layout order (empty unless v2 was asked); file `i`'s
    /// leaves start at `layout.spans[i].leaf_base`.
    pub leaves: Vec<Hash32>,
}

/// Hashes the files of `job`, reporting bytes through `progress`.
pub fn hash_files(job: &HashJob, progress: &Progress) -> Result<Hashes, CreateError> {
    let layout = job.layout;
    let n = layout.num_pieces();
    progress.total.store(layout.data_len(), Ordering::Relaxed);
    let mut hashes = Hashes {
        pieces: if job.v1 { vec![[0u8; 20]; n as usize] } else { Vec::new() },
        leaves: if job.v2 { vec![[0u8; 32]; layout.total_leaves as usize] } else { Vec::new() },
    };
    let threads = worker_count(job.threads, n);
    let stop = AtomicBool::new(false);
    let tasks = Mutex::new(split_tasks(job, &mut hashes.pieces, &mut hashes.leaves).into_iter());
    let results: Vec<Result<(), CreateError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let mut worker = Worker { job, progress, stop: &stop, open: None, buf: Vec::new(), task: (0, 0) };
                let tasks = &tasks;
                scope.spawn(move || {
                    let r = worker.run(tasks).and_then(|()| worker.close());
                    if r.is_err() {
                        worker.stop.store(true, Ordering::Relaxed);
                    }
                    r
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    // Report the first real error in preference to the cancellations it caused.
    let mut cancelled = false;
    for r in results {
        match r {
            Err(CreateError::Cancelled) => cancelled = true,
            Err(e) => return Err(e),
            Ok(()) => {}
        }
    }
    if cancelled {
        return Err(CreateError::Cancelled);
    }
    Ok(hashes)
}

/// The number of workers: `threads`, or one per core, never more than there are pieces.
fn worker_count(threads: usize, pieces: u64) -> usize {
    let t = if threads == 0 { std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) } else { threads };
    t.clamp(1, pieces.max(1) as usize)
}

/// A contiguous run of pieces and the slices its digests go to.
struct Task<'h> {
    first: u64,
    end: u64,
    pieces: &'h mut [[u8; 20]],
    leaves: &'h mut [Hash32],
}

/// Cuts the piece stream into tasks of about [`TASK_BYTES`], in order, each owning its part
/// of the output arrays. Workers take the next task when done, so a descheduled worker never
/// holds back a large share of the work.
fn split_tasks<'h>(job: &HashJob, mut pieces: &'h mut [[u8; 20]], mut leaves: &'h mut [Hash32]) -> Vec<Task<'h>> {
    let layout = job.layout;
    let n = layout.num_pieces();
    let per_task = (TASK_BYTES / layout.piece_length).max(1);
    let mut tasks = Vec::with_capacity(n.div_ceil(per_task) as usize);
    let mut first = 0;
    while first < n {
        let end = (first + per_task).min(n);
        let (p, rest) = std::mem::take(&mut pieces).split_at_mut(if job.v1 { (end - first) as usize } else { 0 });
        pieces = rest;
        let nleaves = if job.v2 { (layout.leaf_at(end) - layout.leaf_at(first)) as usize } else { 0 };
        let (l, rest) = std::mem::take(&mut leaves).split_at_mut(nleaves);
        leaves = rest;
        tasks.push(Task { first, end, pieces: p, leaves: l });
        first = end;
    }
    tasks
}

/// The file a worker currently reads.
struct OpenFile {
    index: usize,
    file: File,
    map: Option<Mmap>,
    /// The task for which the kernel was last advised about this file.
    advised_for: Option<u64>,
}

/// One hashing worker: takes tasks until none are left.
struct Worker<'a> {
    job: &'a HashJob<'a>,
    progress: &'a Progress,
    stop: &'a AtomicBool,
    open: Option<OpenFile>,
    buf: Vec<u8>,
    task: (u64, u64),
}

impl Worker<'_> {
    /// Takes and hashes tasks from the shared queue until it is empty.
    fn run<'h>(&mut self, tasks: &Mutex<std::vec::IntoIter<Task<'h>>>) -> Result<(), CreateError> {
        loop {
            let next = tasks.lock().unwrap_or_else(|e| e.into_inner()).next();
            match next {
                Some(task) => self.run_task(task)?,
                None => return Ok(()),
            }
        }
    }

    /// Hashes every piece of one task into its slices.
    fn run_task(&mut self, mut task: Task) -> Result<(), CreateError> {
        self.task = (task.first, task.end);
        if self.job.v1 && (self.job.method == ReadMethod::Mmap || self.job.layout.piece_length <= MAX_PREAD_LANE) {
            return self.run_task_in_lanes(task);
        }
        let mut leaf_i = 0usize;
        for piece in task.first..task.end {
            self.check_cancelled()?;
            self.hash_piece(piece, &self.job.layout.portions(piece), &mut task, &mut leaf_i)?;
        }
        Ok(())
    }

    /// [`Worker::run_task`] for SHA-1: the pieces are hashed [`LANES`] at once ([`sha1_each`])
    /// wherever a group of them lies in one file, one by one elsewhere; with pread, a group is
    /// first read into the worker's buffer. The v2 leaves of a group, if asked, are hashed right
    /// after its SHA-1s, while its bytes are in the cache.
    fn run_task_in_lanes(&mut self, mut task: Task) -> Result<(), CreateError> {
        let mut piece = task.first;
        let mut leaf_i = 0usize;
        while piece < task.end {
            self.check_cancelled()?;
            let group: Vec<Vec<Portion>> =
                (piece..(piece + LANES as u64).min(task.end)).map(|p| self.job.layout.portions(p)).collect();
            let Some(file) = single_file(&group) else {
                self.hash_piece(piece, &group[0], &mut task, &mut leaf_i)?;
                piece += 1;
                continue;
            };
            self.switch_to(file)?;
            self.advise();
            let open = self.open.as_ref().expect("switch_to opened the file");
            let portions: Vec<&Portion> = group.iter().flatten().collect();
            let bytes = match &open.map {
                Some(map) => portions.iter().map(|p| &map[p.offset as usize..][..p.len as usize]).collect(),
                None => read_portions(&open.file, &self.job.files[file], &portions, &mut self.buf)?,
            };
            let inputs = piece_slices(&group, &bytes);
            let refs: Vec<&[&[u8]]> = inputs.iter().map(Vec::as_slice).collect();
            let first = (piece - task.first) as usize;
            for (i, digest) in sha1_each(&refs).into_iter().enumerate() {
                task.pieces[first + i] = digest;
            }
            if self.job.v2 {
                for block in bytes.iter().flat_map(|b| b.chunks(BLOCK_SIZE as usize)) {
                    task.leaves[leaf_i] = Sha256::digest(block).into();
                    leaf_i += 1;
                }
            }
            let total: u64 = portions.iter().map(|p| p.len).sum();
            self.progress.done.fetch_add(total, Ordering::Relaxed);
            piece += group.len() as u64;
        }
        Ok(())
    }

    /// Hashes piece `piece` of `task` by streaming its `portions`, its leaves from `leaf_i` on.
    fn hash_piece(
        &mut self,
        piece: u64,
        portions: &[Portion],
        task: &mut Task,
        leaf_i: &mut usize,
    ) -> Result<(), CreateError> {
        let mut sha1 = self.job.v1.then(Sha1::new);
        let mut bytes = 0;
        for portion in portions {
            self.hash_portion(portion, sha1.as_mut(), task.leaves, leaf_i)?;
            bytes += portion.len;
            if let Some(h) = sha1.as_mut() {
                zero_slices(portion.pad_after).for_each(|z| h.update(z));
            }
        }
        if let Some(h) = sha1 {
            task.pieces[(piece - task.first) as usize] = h.finalize().into();
        }
        self.progress.done.fetch_add(bytes, Ordering::Relaxed);
        Ok(())
    }

    /// Fails with [`CreateError::Cancelled`] once the run was cancelled or another worker failed.
    fn check_cancelled(&self) -> Result<(), CreateError> {
        if self.progress.is_cancelled() || self.stop.load(Ordering::Relaxed) {
            return Err(CreateError::Cancelled);
        }
        Ok(())
    }

    /// Feeds one run of file bytes to SHA-1 and/or the leaf hasher.
    fn hash_portion(
        &mut self,
        p: &Portion,
        mut sha1: Option<&mut Sha1>,
        leaves: &mut [Hash32],
        leaf_i: &mut usize,
    ) -> Result<(), CreateError> {
        if p.len == 0 {
            return Ok(());
        }
        let v2 = self.job.v2;
        let mut absorb = |chunk: &[u8]| {
            if v2 {
                for block in chunk.chunks(BLOCK_SIZE as usize) {
                    leaves[*leaf_i] = Sha256::digest(block).into();
                    *leaf_i += 1;
                    if let Some(h) = sha1.as_deref_mut() {
                        h.update(block);
                    }
                }
            } else if let Some(h) = sha1.as_deref_mut() {
                h.update(chunk);
            }
        };
        self.switch_to(p.file)?;
        self.advise();
        let open = self.open.as_ref().expect("switch_to opened the file");
        if let Some(map) = &open.map {
            absorb(&map[p.offset as usize..(p.offset + p.len) as usize]);
            return Ok(());
        }
        if self.buf.len() < READ_CHUNK {
            self.buf.resize(READ_CHUNK, 0);
        }
        let path = &self.job.files[p.file].path;
        let mut off = p.offset;
        let end = p.offset + p.len;
        while off < end {
            let want = ((end - off) as usize).min(READ_CHUNK);
            read_exact_at(&open.file, &mut self.buf[..want], off, path, self.job.files[p.file].length)?;
            absorb(&self.buf[..want]);
            off += want as u64;
        }
        Ok(())
    }

    /// Makes file `index` the open file, closing (and size-checking) the previous one.
    fn switch_to(&mut self, index: usize) -> Result<(), CreateError> {
        if self.open.as_ref().is_some_and(|o| o.index == index) {
            return Ok(());
        }
        self.close()?;
        let input = &self.job.files[index];
        let unreadable = |source| CreateError::Unreadable { path: input.path.clone(), source };
        let file = File::open(&input.path).map_err(unreadable)?;
        check_size(&file, input)?;
        let map = match self.job.method {
            // SAFETY: the mapping is read-only and private to this worker; a concurrent
            // truncation is the documented hazard of ReadMethod::Mmap.
            ReadMethod::Mmap => Some(unsafe { Mmap::map(&file) }.map_err(unreadable)?),
            ReadMethod::Pread => None,
        };
        self.open = Some(OpenFile { index, file, map, advised_for: None });
        Ok(())
    }

    /// Advises the kernel, once per advice, that the open file's part of the current task is
    /// about to be read sequentially. Advice is a hint: a refusal is ignored.
    fn advise(&mut self) {
        let task = self.task;
        let Some(open) = self.open.as_mut() else { return };
        if open.advised_for == Some(task.0) {
            return;
        }
        open.advised_for = Some(task.0);
        let plen = self.job.layout.piece_length;
        let span = &self.job.layout.spans[open.index];
        let lo = (task.0 * plen).clamp(span.start, span.start + span.len) - span.start;
        let hi = (task.1 * plen).clamp(span.start, span.start + span.len) - span.start;
        match &open.map {
            Some(map) => {
                let _ = map.advise_range(Advice::Sequential, lo as usize, (hi - lo) as usize);
                let _ = map.advise_range(Advice::WillNeed, lo as usize, (hi - lo) as usize);
            }
            None => {
                fadvise(&open.file, lo, hi - lo, libc::POSIX_FADV_SEQUENTIAL);
                fadvise(&open.file, lo, hi - lo, libc::POSIX_FADV_WILLNEED);
            }
        }
    }

    /// Closes the open file after checking it still has the size it was listed with.
    fn close(&mut self) -> Result<(), CreateError> {
        match self.open.take() {
            Some(o) => check_size(&o.file, &self.job.files[o.index]),
            None => Ok(()),
        }
    }
}

/// Fails when the open file's size differs from the size it was listed with.
fn check_size(file: &File, input: &InputFile) -> Result<(), CreateError> {
    let found = file.metadata().map_err(|source| CreateError::Unreadable { path: input.path.clone(), source })?.len();
    if found != input.length {
        return Err(CreateError::ChangedSize { path: input.path.clone(), expected: input.length, found });
    }
    Ok(())
}

/// Fills `buf` from `file` at `offset`; end of file first means the file shrank.
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64, path: &Path, expected: u64) -> Result<(), CreateError> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => {
                let found = offset + filled as u64;
                return Err(CreateError::ChangedSize { path: path.to_path_buf(), expected, found });
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => return Err(CreateError::Unreadable { path: path.to_path_buf(), source }),
        }
    }
    Ok(())
}

/// One `posix_fadvise` call; advice is a hint, so a refusal is ignored.
fn fadvise(file: &File, offset: u64, len: u64, advice: libc::c_int) {
    // SAFETY: posix_fadvise only reads its integer arguments; the descriptor is open.
    unsafe {
        libc::posix_fadvise(file.as_raw_fd(), offset as libc::off_t, len as libc::off_t, advice);
    }
}

/// The one file every non-empty portion of `group` reads from, if there is one.
fn single_file(group: &[Vec<Portion>]) -> Option<usize> {
    let mut files = group.iter().flatten().filter(|p| p.len > 0).map(|p| p.file);
    let first = files.next()?;
    files.all(|f| f == first).then_some(first)
}

/// Reads the portions of one file into `buf`, one after the other; their bytes, in order.
fn read_portions<'b>(
    file: &File,
    input: &InputFile,
    portions: &[&Portion],
    buf: &'b mut Vec<u8>,
) -> Result<Vec<&'b [u8]>, CreateError> {
    let total = portions.iter().map(|p| p.len as usize).sum::<usize>();
    if buf.len() < total {
        buf.resize(total, 0);
    }
    let mut at = 0;
    for p in portions {
        read_exact_at(file, &mut buf[at..at + p.len as usize], p.offset, &input.path, input.length)?;
        at += p.len as usize;
    }
    let mut rest: &'b [u8] = buf;
    Ok(portions
        .iter()
        .map(|p| {
            let (bytes, after) = rest.split_at(p.len as usize);
            rest = after;
            bytes
        })
        .collect())
}

/// Each piece of `group` as slices: its portions' `bytes` (one per portion, in order) with their
/// pad zeros.
fn piece_slices<'b>(group: &[Vec<Portion>], bytes: &[&'b [u8]]) -> Vec<Vec<&'b [u8]>> {
    let mut bytes = bytes.iter();
    group
        .iter()
        .map(|portions| {
            let mut out = Vec::new();
            for p in portions {
                let data = bytes.next().copied().unwrap_or_default();
                if !data.is_empty() {
                    out.push(data);
                }
                out.extend(zero_slices(p.pad_after));
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metainfo::merkle;

    fn setup(lengths: &[usize]) -> (tempfile::TempDir, Vec<InputFile>, Vec<Vec<u8>>) {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        let mut datas = Vec::new();
        for (i, &len) in lengths.iter().enumerate() {
            let data: Vec<u8> = (0..len).map(|j| (j * 31 + i * 7 + j / 251) as u8).collect();
            let path = dir.path().join(format!("f{i}"));
            std::fs::write(&path, &data).unwrap();
            files.push(InputFile { path, components: vec![format!("f{i}")], length: len as u64 });
            datas.push(data);
        }
        (dir, files, datas)
    }

    fn run(files: &[InputFile], layout: &PieceLayout, v1: bool, v2: bool, threads: usize, m: ReadMethod) -> Hashes {
        let job = HashJob { files, layout, v1, v2, threads, method: m };
        let progress = Progress::new();
        let h = hash_files(&job, &progress).unwrap();
        assert_eq!(progress.done(), layout.data_len());
        h
    }

    #[test]
    fn v1_pieces_span_files() {
        let lengths = [40_000, 0, 70_001, 5, 16_384];
        let (_d, files, datas) = setup(&lengths);
        let plen = 32 * 1024;
        let layout = PieceLayout::new(&lengths.map(|l| l as u64), plen, false).unwrap();
        let stream: Vec<u8> = datas.concat();
        let expected: Vec<[u8; 20]> = stream.chunks(plen as usize).map(|c| Sha1::digest(c).into()).collect();
        for threads in [1, 2, 3, 7] {
            for m in [ReadMethod::Mmap, ReadMethod::Pread] {
                assert_eq!(run(&files, &layout, true, false, threads, m).pieces, expected, "{threads} {m:?}");
            }
        }
    }

    #[test]
    fn v1_pieces_hashed_in_lanes_match_one_by_one() {
        // 16 KiB pieces make tasks of four: groups inside one file are hashed together (pad
        // zeros included), groups across files one piece at a time.
        let lengths = [16_384 * 3 + 100, 3, 200_000, 16_384 * 5];
        let (_d, files, datas) = setup(&lengths);
        let plen = 16 * 1024;
        for padded in [false, true] {
            let layout = PieceLayout::new(&lengths.map(|l| l as u64), plen, padded).unwrap();
            let mut stream = Vec::new();
            for (i, d) in datas.iter().enumerate() {
                stream.extend_from_slice(d);
                stream.resize(stream.len() + layout.spans[i].pad as usize, 0);
            }
            let expected: Vec<[u8; 20]> = stream.chunks(plen as usize).map(|c| Sha1::digest(c).into()).collect();
            for threads in [1, 3] {
                for m in [ReadMethod::Mmap, ReadMethod::Pread] {
                    let h = run(&files, &layout, true, false, threads, m);
                    assert_eq!(h.pieces, expected, "padded {padded}, {threads} threads, {m:?}");
                }
            }
        }
    }

    #[test]
    fn hybrid_pieces_and_leaves_in_one_pass() {
        let lengths = [40_000, 0, 70_001, 16_384, 3];
        let (_d, files, datas) = setup(&lengths);
        let plen = 32 * 1024;
        let layout = PieceLayout::new(&lengths.map(|l| l as u64), plen, true).unwrap();
        let mut stream = Vec::new();
        let mut leaves = Vec::new();
        for (i, d) in datas.iter().enumerate() {
            stream.extend_from_slice(d);
            stream.resize(stream.len() + layout.spans[i].pad as usize, 0);
            leaves.extend(d.chunks(16384).map(|c| -> Hash32 { Sha256::digest(c).into() }));
        }
        let expected: Vec<[u8; 20]> = stream.chunks(plen as usize).map(|c| Sha1::digest(c).into()).collect();
        for threads in [1, 2, 5] {
            for m in [ReadMethod::Mmap, ReadMethod::Pread] {
                let h = run(&files, &layout, true, true, threads, m);
                assert_eq!(h.pieces, expected);
                assert_eq!(h.leaves, leaves);
            }
        }
        // v2 alone gives the same leaves; a file of one leaf has that leaf as its root.
        let h = run(&files, &layout, false, true, 2, ReadMethod::Pread);
        assert!(h.pieces.is_empty());
        let f3 = &h.leaves[layout.spans[3].leaf_base as usize..][..1];
        assert_eq!(merkle::file_root(f3), Sha256::digest(&datas[3]).as_slice());
    }

    #[test]
    fn size_change_and_cancel_are_errors() {
        let (_d, files, _) = setup(&[100_000]);
        let layout = PieceLayout::new(&[100_000], 32768, false).unwrap();
        let mut wrong = files.clone();
        wrong[0].length = 100_001;
        let bad_layout = PieceLayout::new(&[100_001], 32768, false).unwrap();
        let job =
            HashJob { files: &wrong, layout: &bad_layout, v1: true, v2: false, threads: 2, method: ReadMethod::Pread };
        let err = hash_files(&job, &Progress::new()).unwrap_err();
        assert!(matches!(err, CreateError::ChangedSize { expected: 100_001, found: 100_000, .. }), "{err}");
        let progress = Progress::new();
        progress.cancel();
        let job = HashJob { files: &files, layout: &layout, v1: true, v2: false, threads: 2, method: ReadMethod::Mmap };
        assert!(matches!(hash_files(&job, &progress), Err(CreateError::Cancelled)));
    }
}
