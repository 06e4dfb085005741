//! Where a downloader puts a torrent's data (reference §2.1 "Save location"): `info.name` in
//! the current directory by default; `--saveas` names the file (single-file torrent) or the
//! directory (multi-file torrent), with BitTornado's "non-empty directory" rule; missing
//! parent directories are created and the place is checked to be writable before starting.
//!
//! The engine saves a torrent as `<save directory>/<info.name>`. When the chosen path ends in
//! another name, a private staging directory next to it holds a symbolic link named
//! `info.name` that points at the chosen path, and that staging directory is handed to the
//! engine; it is removed again when the [`SaveTarget`] is dropped.

use crate::metainfo::Metainfo;
use std::path::{Path, PathBuf};

/// Why the save location cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// A directory could not be created.
    #[error("couldn't create directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The system error.
        source: std::io::Error,
    },
    /// The place exists but nothing can be written there.
    #[error("cannot write to {path}: {source}")]
    NotWritable {
        /// The directory tried.
        path: PathBuf,
        /// The system error.
        source: std::io::Error,
    },
    /// A single-file torrent was told to save onto a directory.
    #[error("{0} is a directory; for a single-file torrent --saveas names the file")]
    IsDirectory(PathBuf),
    /// A multi-file torrent was told to save onto a regular file.
    #[error("{0} is a file; for a multi-file torrent --saveas names a directory")]
    NotDirectory(PathBuf),
    /// The torrent's name cannot be a single path component.
    #[error("the torrent's name {0:?} is not a usable file name")]
    BadName(String),
    /// The staging link could not be made.
    #[error("cannot prepare {path}: {source}")]
    Staging {
        /// The link or directory.
        path: PathBuf,
        /// The system error.
        source: std::io::Error,
    },
}

/// The save location of one torrent, ready for the engine.
#[derive(Debug)]
pub struct SaveTarget {
    /// The file (single-file torrent) or directory (multi-file) the data goes to, absolute.
    pub download_to: PathBuf,
    /// The directory to give the engine as its save path.
    pub engine_dir: PathBuf,
    staging: Option<PathBuf>,
}

/// The top-level names a multi-file torrent creates inside its directory (the component after
/// `info.name` in each real file's path).
fn top_level_entries(meta: &Metainfo) -> Vec<String> {
    let mut names: Vec<String> =
        meta.files().iter().filter(|f| !f.is_pad()).filter_map(|f| f.components().get(1).cloned()).collect();
    names.sort();
    names.dedup();
    names
}

/// The data path BitTornado would pick: `saveas` (made absolute against `cwd`) or `cwd/name`;
/// for a multi-file torrent whose chosen directory exists, is not empty and holds none of the
/// torrent's top-level entries, `<that directory>/<name>`.
pub fn choose_path(meta: &Metainfo, saveas: Option<&Path>, cwd: &Path) -> PathBuf {
    let chosen = match saveas {
        Some(p) if !p.as_os_str().is_empty() => cwd.join(p),
        _ => cwd.join(meta.name()),
    };
    if !meta.is_multi_file() {
        return chosen;
    }
    let Ok(entries) = std::fs::read_dir(&chosen) else { return chosen };
    let present: Vec<String> = entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    if present.is_empty() {
        return chosen;
    }
    let ours = top_level_entries(meta);
    if present.iter().any(|p| ours.contains(p)) {
        chosen
    } else {
        chosen.join(meta.name())
    }
}

fn create_dir(path: &Path) -> Result<(), SaveError> {
    std::fs::create_dir_all(path).map_err(|source| SaveError::CreateDir { path: path.to_path_buf(), source })
}

/// Creates and deletes a probe file in `dir` to learn early whether it is writable.
fn probe_writable(dir: &Path) -> Result<(), SaveError> {
    let probe = dir.join(format!(".bitgocho-probe-{}", std::process::id()));
    let made = std::fs::OpenOptions::new().write(true).create_new(true).open(&probe);
    match made {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(source) => Err(SaveError::NotWritable { path: dir.to_path_buf(), source }),
    }
}

/// True when every real file of `meta` exists under the engine directory `dir` with its full
/// length: when BitTornado's `--check_hashes 0` trusts the data without verifying it.
pub fn data_present(meta: &Metainfo, dir: &Path) -> bool {
    meta.files().iter().enumerate().filter(|(_, f)| !f.is_pad()).all(|(i, f)| {
        let found = meta.file_path(i).and_then(|rel| std::fs::metadata(dir.join(rel)).ok());
        found.is_some_and(|m| m.is_file() && m.len() == f.length())
    })
}

impl SaveTarget {
    /// Prepares `download_to` (from [`choose_path`], made absolute) for `meta`: creates missing directories,
    /// checks the place is writable and, when the last component is not `info.name`, makes
    /// the staging link.
    pub fn prepare(meta: &Metainfo, download_to: PathBuf) -> Result<SaveTarget, SaveError> {
        let download_to = std::path::absolute(&download_to)
            .map_err(|source| SaveError::CreateDir { path: download_to.clone(), source })?;
        let name = meta.name();
        if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
            return Err(SaveError::BadName(name.to_string()));
        }
        let parent = download_to.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
        create_dir(&parent)?;
        if meta.is_multi_file() {
            if download_to.exists() && !download_to.is_dir() {
                return Err(SaveError::NotDirectory(download_to));
            }
            create_dir(&download_to)?;
            probe_writable(&download_to)?;
        } else {
            if download_to.is_dir() {
                return Err(SaveError::IsDirectory(download_to));
            }
            probe_writable(&parent)?;
        }
        if download_to.file_name().is_some_and(|n| n == name) {
            return Ok(SaveTarget { download_to, engine_dir: parent, staging: None });
        }
        let last = download_to.file_name().map_or_else(|| "root".into(), |n| n.to_string_lossy().into_owned());
        let staging = parent.join(format!(".{last}.bitgocho"));
        let link = staging.join(name);
        let fail = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SaveError::Staging { path, source }
        };
        std::fs::create_dir_all(&staging).map_err(fail(&staging))?;
        if link.symlink_metadata().is_ok() {
            std::fs::remove_file(&link).map_err(fail(&link))?;
        }
        std::os::unix::fs::symlink(&download_to, &link).map_err(fail(&link))?;
        Ok(SaveTarget { download_to, engine_dir: staging.clone(), staging: Some(staging) })
    }

    /// True when the engine writes through a staging link.
    pub fn is_staged(&self) -> bool {
        self.staging.is_some()
    }
}

impl Drop for SaveTarget {
    fn drop(&mut self) {
        if let Some(staging) = self.staging.take() {
            if let Ok(entries) = std::fs::read_dir(&staging) {
                for e in entries.flatten() {
                    if e.file_type().is_ok_and(|t| t.is_symlink()) {
                        let _ = std::fs::remove_file(e.path());
                    }
                }
            }
            let _ = std::fs::remove_dir(&staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn torrent(multi: bool) -> Metainfo {
        let info: Vec<u8> = if multi {
            b"d5:filesld6:lengthi3e4:pathl1:aeed6:lengthi2e4:pathl3:sub1:beee4:name3:dir12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae".to_vec()
        } else {
            b"d6:lengthi5e4:name5:f.bin12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae".to_vec()
        };
        let mut t = b"d4:info".to_vec();
        t.extend_from_slice(&info);
        t.push(b'e');
        Metainfo::from_bytes(&t).unwrap()
    }

    #[test]
    fn default_and_saveas_paths() {
        let cwd = Path::new("/w");
        assert_eq!(choose_path(&torrent(false), None, cwd), Path::new("/w/f.bin"));
        assert_eq!(choose_path(&torrent(false), Some(Path::new("x/y.bin")), cwd), Path::new("/w/x/y.bin"));
        assert_eq!(choose_path(&torrent(true), Some(Path::new("/abs/d")), cwd), Path::new("/abs/d"));
    }

    #[test]
    fn non_empty_directory_rule() {
        let tmp = tempfile::tempdir().unwrap();
        let meta = torrent(true);
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert_eq!(choose_path(&meta, Some(&empty), tmp.path()), empty);
        let other = tmp.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("unrelated"), b"x").unwrap();
        assert_eq!(choose_path(&meta, Some(&other), tmp.path()), other.join("dir"));
        let resumed = tmp.path().join("resumed");
        std::fs::create_dir_all(resumed.join("sub")).unwrap();
        assert_eq!(choose_path(&meta, Some(&resumed), tmp.path()), resumed);
    }

    #[test]
    fn staging_link_for_another_name_and_cleanup() {
        let tmp = tempfile::tempdir().unwrap();
        let meta = torrent(false);
        let target = tmp.path().join("deep/new.bin");
        let t = SaveTarget::prepare(&meta, target.clone()).unwrap();
        assert!(t.is_staged());
        std::fs::write(t.engine_dir.join("f.bin"), b"hello").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"hello");
        let staging = t.engine_dir.clone();
        drop(t);
        assert!(!staging.exists());
        assert_eq!(std::fs::read(&target).unwrap(), b"hello");
        // A relative path is made absolute, so that the staging link does not dangle.
        let cwd = std::env::current_dir().unwrap();
        let rel =
            tmp.path().strip_prefix("/").map(|p| Path::new("../".repeat(cwd.components().count()).as_str()).join(p));
        let t = SaveTarget::prepare(&meta, rel.unwrap().join("rel.bin")).unwrap();
        assert!(t.download_to.is_absolute());
        assert!(std::fs::read_link(t.engine_dir.join("f.bin")).unwrap().is_absolute());
        std::fs::write(t.engine_dir.join("f.bin"), b"via link").unwrap();
        assert_eq!(std::fs::read(tmp.path().join("rel.bin")).unwrap(), b"via link");
        drop(t);
        let same = SaveTarget::prepare(&meta, tmp.path().join("f.bin")).unwrap();
        assert!(!same.is_staged());
        assert_eq!(same.engine_dir, tmp.path());
    }

    #[test]
    fn data_present_needs_every_file_at_full_length() {
        let tmp = tempfile::tempdir().unwrap();
        let meta = torrent(true);
        assert!(!data_present(&meta, tmp.path()));
        std::fs::create_dir_all(tmp.path().join("dir/sub")).unwrap();
        std::fs::write(tmp.path().join("dir/a"), b"abc").unwrap();
        std::fs::write(tmp.path().join("dir/sub/b"), b"x").unwrap();
        assert!(!data_present(&meta, tmp.path()), "b is short");
        std::fs::write(tmp.path().join("dir/sub/b"), b"xy").unwrap();
        assert!(data_present(&meta, tmp.path()));
    }

    #[test]
    fn refuses_wrong_kinds_and_unwritable() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(
            SaveTarget::prepare(&torrent(false), tmp.path().to_path_buf()),
            Err(SaveError::IsDirectory(_))
        ));
        let file = tmp.path().join("plain");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(SaveTarget::prepare(&torrent(true), file.clone()), Err(SaveError::NotDirectory(_))));
        assert!(matches!(SaveTarget::prepare(&torrent(true), file.join("below")), Err(SaveError::CreateDir { .. })));
    }
}
