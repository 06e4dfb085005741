//! Moving a torrent's files to another save directory (libtorrent's `move_storage`,
//! Transmission's "set location"). Each file is renamed; across file systems it is copied to a
//! temporary name beside its destination (holes kept, modification time and permissions kept,
//! synced), renamed into place, then deleted at its old place. A failure moves the files already
//! moved back, so the data stays whole in one place; a file already at a destination is never
//! replaced.

use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Bytes copied per read across file systems.
const COPY_CHUNK: usize = 1 << 20;

/// Moves each `(from, to)` file; a `from` that does not exist, or is `to` already, is skipped.
/// On failure the files moved so far are moved back and the first error is returned, naming
/// the file.
pub fn move_files(moves: &[(PathBuf, PathBuf)]) -> Result<(), String> {
    let mut done: Vec<(&Path, &Path)> = Vec::new();
    for (from, to) in moves {
        match move_file(from, to) {
            Ok(true) => done.push((from, to)),
            Ok(false) => {}
            Err(e) => {
                for (f, t) in done.iter().rev() {
                    let _ = move_file(t, f);
                }
                return Err(format!("cannot move {} to {}: {e}", from.display(), to.display()));
            }
        }
    }
    Ok(())
}

/// Moves one file; false when there was none at `from`, or `to` is that file already (the
/// same directory named another way).
fn move_file(from: &Path, to: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let meta = match fs::symlink_metadata(from) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
        Ok(m) => m,
    };
    if fs::symlink_metadata(to).is_ok_and(|t| (t.dev(), t.ino()) == (meta.dev(), meta.ino())) {
        return Ok(false);
    }
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir)?;
    }
    match rename_no_replace(from, to) {
        Ok(()) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            copy_across(from, to)?;
            fs::remove_file(from)?;
            Ok(true)
        }
        Err(e) => Err(e),
    }
}

/// Renames `from` to `to`, failing with `AlreadyExists` when `to` exists.
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    };
    let (f, t) = (c(from)?, c(to)?);
    // SAFETY: two NUL-terminated paths that outlive the call; no other memory is passed.
    let rc = unsafe { libc::renameat2(libc::AT_FDCWD, f.as_ptr(), libc::AT_FDCWD, t.as_ptr(), libc::RENAME_NOREPLACE) };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    // File systems without RENAME_NOREPLACE: check, then rename.
    if err.raw_os_error() == Some(libc::EINVAL) {
        if fs::symlink_metadata(to).is_ok() {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        return fs::rename(from, to);
    }
    Err(err)
}

/// Copies `from` to `to` on another file system through a temporary file beside `to`.
fn copy_across(from: &Path, to: &Path) -> io::Result<()> {
    let mut name = std::ffi::OsString::from(".");
    name.push(to.file_name().unwrap_or_default());
    name.push(format!(".moving{}", std::process::id()));
    let tmp = to.with_file_name(name);
    let result = (|| {
        let src = File::open(from)?;
        let meta = src.metadata()?;
        let dst = File::options().write(true).create_new(true).open(&tmp)?;
        dst.set_len(meta.len())?;
        copy_data(&src, &dst, meta.len())?;
        dst.set_permissions(meta.permissions())?;
        dst.set_modified(meta.modified()?)?;
        dst.sync_all()?;
        rename_no_replace(&tmp, to)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Copies the data ranges of `src` (`len` bytes) into `dst` at the same offsets; holes stay holes.
fn copy_data(src: &File, dst: &File, len: u64) -> io::Result<()> {
    let mut buf = vec![0u8; COPY_CHUNK];
    let mut at = 0u64;
    while at < len {
        let Some((start, end)) = next_data(src, at, len)? else { break };
        let mut pos = start;
        while pos < end {
            let n = ((end - pos) as usize).min(buf.len());
            src.read_exact_at(&mut buf[..n], pos)?;
            dst.write_all_at(&buf[..n], pos)?;
            pos += n as u64;
        }
        at = end;
    }
    Ok(())
}

/// The next range of `file` holding data at or after `at` (before `len`), from `SEEK_DATA` and
/// `SEEK_HOLE`; the rest of the file when the file system cannot tell.
fn next_data(file: &File, at: u64, len: u64) -> io::Result<Option<(u64, u64)>> {
    let start = match seek(file, at, libc::SEEK_DATA) {
        Ok(s) => s,
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => return Ok(Some((at, len))),
        Err(e) => return Err(e),
    };
    if start >= len {
        return Ok(None);
    }
    let end = seek(file, start, libc::SEEK_HOLE).map_or(len, |e| e.min(len));
    Ok(Some((start, end)))
}

/// `lseek(file, at, whence)`: the offset it lands on.
fn seek(file: &File, at: u64, whence: libc::c_int) -> io::Result<u64> {
    use std::os::fd::AsRawFd;
    // SAFETY: lseek on a descriptor we own; it only moves the file offset.
    let r = unsafe { libc::lseek(file.as_raw_fd(), at as libc::off_t, whence) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as u64)
    }
}

/// Removes the directories of `files` inside `top` (and `top`) that are left empty, deepest
/// first; anything else in them keeps them.
pub fn remove_empty_dirs(files: &[PathBuf], top: &Path) {
    let dirs: std::collections::BTreeSet<(std::cmp::Reverse<usize>, &Path)> = files
        .iter()
        .flat_map(|f| f.ancestors().skip(1))
        .filter(|d| d.starts_with(top))
        .map(|d| (std::cmp::Reverse(d.components().count()), d))
        .collect();
    for (_, d) in dirs {
        let _ = fs::remove_dir(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_rolls_back_and_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("old/t/a"), dir.path().join("old/t/sub/b"));
        fs::create_dir_all(b.parent().unwrap()).unwrap();
        fs::write(&a, b"aaa").unwrap();
        fs::write(&b, b"bbb").unwrap();
        let (na, nb) = (dir.path().join("new/t/a"), dir.path().join("new/t/sub/b"));
        // b's destination is taken: nothing moves, the taken file is untouched.
        fs::create_dir_all(nb.parent().unwrap()).unwrap();
        fs::write(&nb, b"other").unwrap();
        let moves = vec![(a.clone(), na.clone()), (b.clone(), nb.clone())];
        let err = move_files(&moves).unwrap_err();
        assert!(err.contains("sub/b"), "{err}");
        assert_eq!((fs::read(&a).unwrap(), fs::read(&nb).unwrap()), (b"aaa".to_vec(), b"other".to_vec()));
        assert!(!na.exists());
        fs::remove_file(&nb).unwrap();
        move_files(&moves).unwrap();
        assert_eq!((fs::read(&na).unwrap(), fs::read(&nb).unwrap()), (b"aaa".to_vec(), b"bbb".to_vec()));
        remove_empty_dirs(&[a, b], &dir.path().join("old/t"));
        assert!(!dir.path().join("old/t").exists() && dir.path().join("old").exists());
        // A missing source is skipped, and so is a file already where it should go.
        move_files(&[(dir.path().join("none"), dir.path().join("x"))]).unwrap();
        move_files(&[(na.clone(), na.clone())]).unwrap();
        let roundabout = dir.path().join("new/t/sub/../a");
        move_files(&[(na.clone(), roundabout)]).unwrap();
        assert_eq!(fs::read(&na).unwrap(), b"aaa");
        assert!(!dir.path().join("x").exists());
    }

    #[test]
    fn copies_across_keep_holes_data_and_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("sparse");
        let f = File::create(&src).unwrap();
        f.set_len(8 << 20).unwrap();
        f.write_all_at(b"head", 0).unwrap();
        f.write_all_at(&[7u8; 5000], 5 << 20).unwrap();
        f.write_all_at(b"tail", (8 << 20) - 4).unwrap();
        let mtime = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
        f.set_modified(mtime).unwrap();
        drop(f);
        let dst = dir.path().join("copy");
        copy_across(&src, &dst).unwrap();
        assert_eq!(fs::read(&src).unwrap(), fs::read(&dst).unwrap());
        let meta = fs::metadata(&dst).unwrap();
        assert_eq!(meta.modified().unwrap(), mtime);
        use std::os::unix::fs::MetadataExt;
        assert!(meta.blocks() * 512 < 1 << 20, "holes kept: {} blocks", meta.blocks());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary file left");
    }
}
