//! Piece storage over the torrent's files: sparse files created in place, blocks written with
//! positioned writes (an error such as a full disk comes back as an error, never as SIGBUS),
//! reads and piece verification straight from read-only memory maps.
//!
//! Tracks, per file: its path under the save directory (already sanitised by the metainfo
//! parser, checked again here to be relative and free of `..`), its length, whether it is a pad
//! file (never created, reads as zeros), and lazily its open handle and map.

use super::hash_pool::PieceSource;
use super::layout::{Layout, PieceIndex};
use memmap2::Mmap;
use parking_lot::Mutex;
use std::fs::{self, File};
use std::os::unix::fs::FileExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// One file of the torrent as the store needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreFile {
    /// Path relative to the save directory.
    pub path: PathBuf,
    /// Length in bytes.
    pub length: u64,
    /// BEP 47 pad file: never written, reads as zeros.
    pub pad: bool,
}

/// A piece's bytes lent from the file maps ([`Store::piece_bytes`]).
pub struct MappedPiece {
    parts: Vec<Part>,
}

/// One run of a [`MappedPiece`]: a range of a file's map, or pad zeros.
enum Part {
    Mapped { map: Arc<Mmap>, start: usize, len: usize },
    Zeros(usize),
}

impl PieceSource for MappedPiece {
    fn slices(&self) -> Vec<&[u8]> {
        let mut out = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            match part {
                Part::Mapped { map, start, len } => out.push(&map[*start..*start + *len]),
                Part::Zeros(len) => out.extend(super::zero_slices(*len as u64)),
            }
        }
        out
    }
}

impl Drop for MappedPiece {
    fn drop(&mut self) {
        for part in &self.parts {
            if let Part::Mapped { map, start, len } = part {
                // SAFETY: the map is a read-only shared file mapping, for which MADV_DONTNEED only
                // drops this process's page-table entries (the data stays in the page cache and a
                // later read faults it back in); it keeps hashed data from piling up in our
                // resident set.
                let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, *start, *len) };
            }
        }
    }
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A file path would leave the save directory.
    #[error("refusing file path outside the save directory: {0}")]
    UnsafePath(PathBuf),
    /// An I/O error on a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A read or write outside the torrent.
    #[error(transparent)]
    Layout(#[from] super::layout::LayoutError),
    /// The file list does not match the layout.
    #[error("file list of {files} files does not match a layout of {layout} files")]
    Mismatch {
        /// Files given.
        files: usize,
        /// Files in the layout.
        layout: u32,
    },
    /// A read of data not yet on disk.
    #[error("{0}: data not present")]
    Missing(PathBuf),
    /// The torrent was removed: its files are no longer opened or created.
    #[error("{0}: the torrent was removed")]
    Retired(PathBuf),
}

#[derive(Default)]
struct Handles {
    file: Option<Arc<File>>,
    map: Option<Arc<Mmap>>,
}

/// The files of one torrent under one save directory.
pub struct Store {
    layout: Arc<Layout>,
    /// The save directory; changed only by [`Store::set_root`] while no file is open.
    root: Mutex<PathBuf>,
    files: Vec<StoreFile>,
    handles: Vec<Mutex<Handles>>,
    /// Set by [`Store::retire`]: no file is opened (or created) again.
    retired: AtomicBool,
}

fn is_safe_relative(path: &Path) -> bool {
    !path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

impl Store {
    /// A store for `files` under `root`; nothing is created until the first write.
    pub fn new(root: &Path, files: Vec<StoreFile>, layout: Arc<Layout>) -> Result<Store, StorageError> {
        if files.len() != layout.file_count() as usize {
            return Err(StorageError::Mismatch { files: files.len(), layout: layout.file_count() });
        }
        if let Some(bad) = files.iter().find(|f| !f.pad && !is_safe_relative(&f.path)) {
            return Err(StorageError::UnsafePath(bad.path.clone()));
        }
        let handles = files.iter().map(|_| Mutex::new(Handles::default())).collect();
        Ok(Store { layout, root: Mutex::new(root.to_path_buf()), files, handles, retired: AtomicBool::new(false) })
    }

    /// The layout.
    pub fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    /// The save directory.
    pub fn root(&self) -> PathBuf {
        self.root.lock().clone()
    }

    /// The absolute path of file `i`.
    pub fn path(&self, i: usize) -> PathBuf {
        self.root.lock().join(&self.files[i].path)
    }

    /// The files' paths now and under `root` (pad files left out), for moving them there.
    pub fn moves_to(&self, root: &Path) -> Vec<(PathBuf, PathBuf)> {
        (0..self.files.len())
            .filter(|&i| !self.files[i].pad)
            .map(|i| (self.path(i), root.join(&self.files[i].path)))
            .collect()
    }

    /// Makes `root` the save directory, closing every file and map. The caller makes sure no
    /// read or write of this store is under way (the files were just moved there).
    pub fn set_root(&self, root: &Path) {
        self.close();
        *self.root.lock() = root.to_path_buf();
    }

    fn io(&self, i: usize) -> impl FnOnce(std::io::Error) -> StorageError + '_ {
        move |source| StorageError::Io { path: self.path(i), source }
    }

    /// Opens (creating sparse, full length) file `i` for writing.
    fn writable(&self, i: usize) -> Result<Arc<File>, StorageError> {
        let mut h = self.handles[i].lock();
        if let Some(f) = &h.file {
            return Ok(f.clone());
        }
        self.refuse_if_retired(i)?;
        let path = self.path(i);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(self.io(i))?;
        }
        let f = File::options().read(true).write(true).create(true).truncate(false).open(&path).map_err(self.io(i))?;
        let len = f.metadata().map_err(self.io(i))?.len();
        if len != self.files[i].length {
            f.set_len(self.files[i].length).map_err(self.io(i))?;
        }
        let f = Arc::new(f);
        h.file = Some(f.clone());
        h.map = None;
        Ok(f)
    }

    /// The read-only map of file `i`, if the file exists with its full length.
    fn map(&self, i: usize) -> Result<Option<Arc<Mmap>>, StorageError> {
        let mut h = self.handles[i].lock();
        if let Some(m) = &h.map {
            return Ok(Some(m.clone()));
        }
        self.refuse_if_retired(i)?;
        let f = match &h.file {
            Some(f) => f.clone(),
            None => match File::open(self.path(i)) {
                Ok(f) => Arc::new(f),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(self.io(i)(e)),
            },
        };
        if f.metadata().map_err(self.io(i))?.len() != self.files[i].length {
            return Ok(None);
        }
        // SAFETY: the map is read-only; the file is ours and is only written through positioned
        // writes to blocks that are not being read (a piece is read only once it is complete).
        // A file truncated by another process would fault: sizes are checked before mapping.
        let m = Arc::new(unsafe { Mmap::map(&*f) }.map_err(self.io(i))?);
        h.map = Some(m.clone());
        Ok(Some(m))
    }

    /// Writes `data` at `begin` inside `piece` (across files as needed; pad bytes skipped).
    pub fn write(&self, piece: PieceIndex, begin: u32, data: &[u8]) -> Result<(), StorageError> {
        self.write_range(piece, begin, data, false)
    }

    /// Writes a whole verified piece. Each file range is allocated (`fallocate`) just before it
    /// is written: only the ranges of pieces we have are allocated, so files stay sparse, and the
    /// write skips the filesystem's per-page delayed-allocation work (several times cheaper on
    /// ext4). A full disk fails the allocation, before any byte is written.
    pub fn write_piece(&self, piece: PieceIndex, data: &[u8]) -> Result<(), StorageError> {
        self.write_range(piece, 0, data, true)
    }

    fn write_range(
        &self,
        piece: PieceIndex,
        begin: u32,
        data: &[u8],
        allocate_first: bool,
    ) -> Result<(), StorageError> {
        let mut done = 0usize;
        for seg in self.layout.piece_range_segments(piece, begin, data.len() as u32)? {
            let part = &data[done..done + seg.len as usize];
            done += seg.len as usize;
            if seg.pad {
                continue;
            }
            let i = seg.file.get() as usize;
            let file = self.writable(i)?;
            if allocate_first {
                allocate(&file, seg.file_offset, seg.len).map_err(self.io(i))?;
            }
            file.write_all_at(part, seg.file_offset).map_err(self.io(i))?;
        }
        Ok(())
    }

    /// Appends `len` bytes at `begin` inside `piece` to `out` (pad bytes read as zeros).
    pub fn read(&self, piece: PieceIndex, begin: u32, len: u32, out: &mut Vec<u8>) -> Result<(), StorageError> {
        for seg in self.layout.piece_range_segments(piece, begin, len)? {
            self.read_segment(seg.file.get() as usize, seg.file_offset, seg.len, seg.pad, out)?;
        }
        Ok(())
    }

    fn read_segment(&self, i: usize, offset: u64, len: u64, pad: bool, out: &mut Vec<u8>) -> Result<(), StorageError> {
        if pad {
            out.resize(out.len() + len as usize, 0);
            return Ok(());
        }
        let map = self.map(i)?.ok_or_else(|| StorageError::Missing(self.path(i)))?;
        out.extend_from_slice(&map[offset as usize..(offset + len) as usize]);
        Ok(())
    }

    /// The whole piece, read from the maps (for hashing on the pool).
    pub fn read_piece(&self, piece: PieceIndex) -> Result<Vec<u8>, StorageError> {
        let mut out = Vec::with_capacity(self.layout.piece_size(piece) as usize);
        self.read(piece, 0, self.layout.piece_size(piece), &mut out)?;
        Ok(out)
    }

    /// The whole piece in place in the maps (pad bytes as zeros), so it can be hashed without a
    /// copy. Each range is pre-faulted with one `MADV_POPULATE_READ`, and dropped from our page
    /// tables when the [`MappedPiece`] is dropped.
    pub fn piece_bytes(&self, piece: PieceIndex) -> Result<MappedPiece, StorageError> {
        let mut parts = Vec::new();
        for seg in self.layout.piece_segments(piece) {
            let len = seg.len as usize;
            if seg.pad {
                parts.push(Part::Zeros(len));
                continue;
            }
            let i = seg.file.get() as usize;
            let map = self.map(i)?.ok_or_else(|| StorageError::Missing(self.path(i)))?;
            let start = seg.file_offset as usize;
            // Advice only: a failure just means the pages fault in one by one.
            let _ = map.advise_range(memmap2::Advice::PopulateRead, start, len);
            parts.push(Part::Mapped { map, start, len });
        }
        Ok(MappedPiece { parts })
    }

    /// True when every non-pad file the piece touches exists with its full length.
    pub fn piece_on_disk(&self, piece: PieceIndex) -> bool {
        self.layout.piece_segments(piece).all(|s| {
            let i = s.file.get() as usize;
            s.pad || self.file_stamp(i).is_some_and(|(len, _)| len == self.files[i].length)
        })
    }

    /// Which files exist with their full length, indexed like the layout's files (one `stat`
    /// each; pad files count as present).
    pub fn present_files(&self) -> Vec<bool> {
        self.present_given(&self.file_stamps())
    }

    /// [`Store::present_files`] from the answer of [`Store::file_stamps`].
    pub fn present_given(&self, stamps: &[Option<(u64, i64)>]) -> Vec<bool> {
        self.files.iter().zip(stamps).map(|(f, st)| f.pad || st.is_some_and(|(len, _)| len == f.length)).collect()
    }

    /// [`Store::file_stamp`] of every file (`None` for pad files, which are never on disk).
    pub fn file_stamps(&self) -> Vec<Option<(u64, i64)>> {
        (0..self.files.len()).map(|i| if self.files[i].pad { None } else { self.file_stamp(i) }).collect()
    }

    /// [`Store::piece_on_disk`] against a [`Store::present_files`] answer, for checking many
    /// pieces without looking at the disk for each.
    pub fn piece_on_disk_given(&self, piece: PieceIndex, present: &[bool]) -> bool {
        self.layout.piece_segments(piece).all(|s| s.pad || present.get(s.file.get() as usize) == Some(&true))
    }

    /// Size and modification time (seconds) of file `i`, when it exists.
    pub fn file_stamp(&self, i: usize) -> Option<(u64, i64)> {
        let md = fs::metadata(self.path(i)).ok()?;
        let mtime = md.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
        Some((md.len(), mtime))
    }

    /// Creates the torrent's zero-length files (no piece ever writes them).
    pub fn create_empty_files(&self) -> Result<(), StorageError> {
        for (i, f) in self.files.iter().enumerate() {
            if f.length == 0 && !f.pad {
                let path = self.path(i);
                if let Some(dir) = path.parent() {
                    fs::create_dir_all(dir).map_err(self.io(i))?;
                }
                File::options().write(true).create(true).truncate(false).open(&path).map_err(self.io(i))?;
            }
        }
        Ok(())
    }

    /// Flushes written data of every open file to disk.
    pub fn sync(&self) -> Result<(), StorageError> {
        for (i, h) in self.handles.iter().enumerate() {
            if let Some(f) = &h.lock().file {
                f.sync_data().map_err(self.io(i))?;
            }
        }
        Ok(())
    }

    /// Closes every file and map (e.g. before deleting data or after finishing).
    pub fn close(&self) {
        for h in &self.handles {
            *h.lock() = Handles::default();
        }
    }

    /// Closes every file and map for good: later reads and writes (say, of a piece still being
    /// verified when its torrent was removed with its data) fail instead of creating files again.
    pub fn retire(&self) {
        self.retired.store(true, Ordering::SeqCst);
        self.close();
    }

    /// Fails once the store is retired. Called with file `i`'s handle lock held, so a file opened
    /// before [`Store::retire`] is closed by it, and none is opened after.
    fn refuse_if_retired(&self, i: usize) -> Result<(), StorageError> {
        if self.retired.load(Ordering::SeqCst) {
            return Err(StorageError::Retired(self.path(i)));
        }
        Ok(())
    }
}

/// Allocates `len` bytes at `offset` of `file` without changing its size; filesystems that
/// cannot (EOPNOTSUPP) are left to allocate on write.
fn allocate(file: &File, offset: u64, len: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let (Ok(off), Ok(n)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len)) else {
        return Err(std::io::Error::from_raw_os_error(libc::EFBIG));
    };
    // SAFETY: a plain system call on an open descriptor we own; no memory is passed.
    if unsafe { libc::fallocate(file.as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, off, n) } == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) | Some(libc::EINVAL) => Ok(()),
        _ => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path) -> Store {
        // a (5) | pad (3) | sub/b (10); piece length 8
        let files = vec![
            StoreFile { path: "a".into(), length: 5, pad: false },
            StoreFile { path: ".pad/3".into(), length: 3, pad: true },
            StoreFile { path: "sub/b".into(), length: 10, pad: false },
        ];
        let layout = Arc::new(Layout::new(&[(5, false), (3, true), (10, false)], 8).unwrap());
        Store::new(dir, files, layout).unwrap()
    }

    #[test]
    fn pieces_span_files_and_pads_are_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let l = s.layout().clone();
        s.write(l.piece(0).unwrap(), 0, b"AAAAAxxx").unwrap();
        s.write(l.piece(1).unwrap(), 0, b"BBBBBBBB").unwrap();
        s.write(l.piece(2).unwrap(), 0, b"CC").unwrap();
        assert_eq!(fs::read(dir.path().join("a")).unwrap(), b"AAAAA");
        assert_eq!(fs::read(dir.path().join("sub/b")).unwrap(), b"BBBBBBBBCC");
        assert!(!dir.path().join(".pad").exists());
        assert_eq!(s.read_piece(l.piece(0).unwrap()).unwrap(), b"AAAAA\0\0\0");
        assert_eq!(s.piece_bytes(l.piece(0).unwrap()).unwrap().slices().concat(), b"AAAAA\0\0\0");
        s.write_piece(l.piece(1).unwrap(), b"bbbbbbbb").unwrap();
        assert_eq!(fs::read(dir.path().join("sub/b")).unwrap(), b"bbbbbbbbCC");
        let mut out = Vec::new();
        s.read(l.piece(1).unwrap(), 6, 2, &mut out).unwrap();
        assert_eq!(out, b"bb");
        assert!(s.piece_on_disk(l.piece(2).unwrap()));
        assert!(s.read(l.piece(2).unwrap(), 1, 5, &mut out).is_err());
    }

    #[test]
    fn sparse_creation_and_missing_data() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let l = s.layout().clone();
        assert!(!s.piece_on_disk(l.piece(0).unwrap()));
        assert!(matches!(s.read_piece(l.piece(0).unwrap()), Err(StorageError::Missing(_))));
        s.write(l.piece(2).unwrap(), 0, b"ZZ").unwrap();
        assert_eq!(fs::metadata(dir.path().join("sub/b")).unwrap().len(), 10);
        assert_eq!(s.file_stamp(2).unwrap().0, 10);
        // `a` missing, the pad, `sub/b` full length: piece 0 needs `a`, pieces 1 and 2 only `sub/b`.
        let present = s.present_files();
        assert_eq!(present, [false, true, true]);
        for p in 0..3 {
            let piece = l.piece(p).unwrap();
            assert_eq!(s.piece_on_disk_given(piece, &present), p != 0, "piece {p}");
            assert_eq!(s.piece_on_disk(piece), p != 0, "piece {p}");
        }
        // A file of the wrong length is not present.
        fs::write(dir.path().join("a"), b"AB").unwrap();
        assert_eq!(s.present_files(), [false, true, true]);
    }

    #[test]
    fn a_retired_store_never_opens_or_creates_a_file_again() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let l = s.layout().clone();
        s.write(l.piece(0).unwrap(), 0, b"AAAAAxxx").unwrap();
        s.retire();
        fs::remove_file(dir.path().join("a")).unwrap();
        let late = s.write_piece(l.piece(1).unwrap(), b"bbbbbbbb");
        assert!(matches!(late, Err(StorageError::Retired(_))), "{late:?}");
        assert!(!dir.path().join("sub").exists(), "no file created after retiring");
        assert!(matches!(s.read_piece(l.piece(0).unwrap()), Err(StorageError::Retired(_))));
        fs::write(dir.path().join("a"), b"AAAAA").unwrap();
        assert!(s.read_piece(l.piece(0).unwrap()).is_err(), "an existing file is not mapped either");
    }

    #[test]
    fn refuses_escaping_paths() {
        let layout = Arc::new(Layout::new(&[(5, false)], 8).unwrap());
        for bad in ["../x", "/etc/passwd", "a/../../x", ""] {
            let files = vec![StoreFile { path: bad.into(), length: 5, pad: false }];
            assert!(matches!(Store::new(Path::new("/tmp"), files, layout.clone()), Err(StorageError::UnsafePath(_))));
        }
    }
}
