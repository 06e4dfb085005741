//! Where a downloader puts a torrent's data (reference §2.1 "Save location"): `info.name` in
//! the current directory by default; `--saveas` names the file (single-file torrent) or the
//! directory (multi-file torrent), with BitTornado's "non-empty directory" rule; missing
//! parent directories are created and the place is checked to be writable before starting.
//!
//! The engine saves a torrent as `<save directory>/<top-level name>`: the chosen path's parent
//! is the save directory and, when its last component is not `info.name`, that component is
//! handed to the engine as the torrent's new top-level name (`AddParams::top_level_name`).

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
    /// The chosen path ends in a component the engine cannot use as a name.
    #[error("{0} does not end in a usable file name")]
    BadTarget(PathBuf),
}

/// The save location of one torrent, ready for the engine.
#[derive(Debug)]
pub struct SaveTarget {
    /// The file (single-file torrent) or directory (multi-file) the data goes to, absolute.
    pub download_to: PathBuf,
    /// The directory to give the engine as its save path.
    pub engine_dir: PathBuf,
    /// The top-level name to give the engine when it differs from `info.name`.
    pub rename: Option<String>,
    /// The torrent's name is not known yet (a magnet link without `--saveas`): the data goes
    /// to `engine_dir/<name>` once the metadata gives the name.
    pub name_pending: bool,
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

/// True when every real file of `meta` exists under `top` (the torrent's file or directory)
/// with its full length: when BitTornado's `--check_hashes 0` trusts the data without
/// verifying it.
pub fn data_present(meta: &Metainfo, top: &Path) -> bool {
    meta.files().iter().filter(|f| !f.is_pad()).all(|f| {
        let mut path = top.to_path_buf();
        for c in f.components().iter().skip(1) {
            path.push(c);
        }
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == f.length())
    })
}

impl SaveTarget {
    /// Prepares `download_to` (from [`choose_path`], made absolute) for `meta`: creates missing
    /// directories, checks the place is writable and, when the last component is not
    /// `info.name`, names it as the engine's top-level name.
    pub fn prepare(meta: &Metainfo, download_to: PathBuf) -> Result<SaveTarget, SaveError> {
        let download_to = std::path::absolute(&download_to)
            .map_err(|source| SaveError::CreateDir { path: download_to.clone(), source })?;
        let name = meta.name();
        if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
            return Err(SaveError::BadName(name.to_string()));
        }
        let parent = download_to.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
        let last = download_to.file_name().map(|n| n.to_string_lossy().into_owned());
        let Some(last) = last.filter(|n| crate::metainfo::sanitize::is_safe_component(n)) else {
            return Err(SaveError::BadTarget(download_to));
        };
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
        let rename = (last != name).then_some(last);
        Ok(SaveTarget { download_to, engine_dir: parent, rename, name_pending: false })
    }

    /// The save location of a magnet link's torrent, whose name and layout are not known yet:
    /// `--saveas` (against `cwd`) names its file or directory, else it goes under `cwd` by its
    /// own name. The directory is created and checked to be writable.
    pub fn for_magnet(saveas: Option<&Path>, cwd: &Path) -> Result<SaveTarget, SaveError> {
        let Some(chosen) = saveas.filter(|p| !p.as_os_str().is_empty()).map(|p| cwd.join(p)) else {
            create_dir(cwd)?;
            probe_writable(cwd)?;
            return Ok(SaveTarget {
                download_to: cwd.to_path_buf(),
                engine_dir: cwd.to_path_buf(),
                rename: None,
                name_pending: true,
            });
        };
        let chosen =
            std::path::absolute(&chosen).map_err(|source| SaveError::CreateDir { path: chosen.clone(), source })?;
        let last = chosen.file_name().map(|n| n.to_string_lossy().into_owned());
        let Some(last) = last.filter(|n| crate::metainfo::sanitize::is_safe_component(n)) else {
            return Err(SaveError::BadTarget(chosen));
        };
        let parent = chosen.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
        create_dir(&parent)?;
        probe_writable(&parent)?;
        Ok(SaveTarget { download_to: chosen, engine_dir: parent, rename: Some(last), name_pending: false })
    }

    /// The path shown as `download to:` for a torrent now named `name`.
    pub fn shown(&self, name: &str) -> PathBuf {
        if self.name_pending && !name.is_empty() {
            self.engine_dir.join(name)
        } else {
            self.download_to.clone()
        }
    }

    /// True when every real file already exists at full length (see [`data_present`]).
    pub fn data_present(&self, meta: &Metainfo) -> bool {
        data_present(meta, &self.download_to)
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
    fn another_name_is_a_rename_not_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let meta = torrent(false);
        let target = tmp.path().join("deep/new.bin");
        let t = SaveTarget::prepare(&meta, target.clone()).unwrap();
        assert_eq!(t.rename.as_deref(), Some("new.bin"));
        assert_eq!(t.engine_dir, tmp.path().join("deep"));
        assert!(std::fs::read_dir(&t.engine_dir).unwrap().next().is_none(), "nothing staged");
        // A relative path is made absolute.
        let cwd = std::env::current_dir().unwrap();
        let rel =
            tmp.path().strip_prefix("/").map(|p| Path::new("../".repeat(cwd.components().count()).as_str()).join(p));
        let t = SaveTarget::prepare(&meta, rel.unwrap().join("rel.bin")).unwrap();
        assert!(t.download_to.is_absolute());
        assert!(t.engine_dir.is_absolute());
        let same = SaveTarget::prepare(&meta, tmp.path().join("f.bin")).unwrap();
        assert_eq!(same.rename, None);
        assert_eq!(same.engine_dir, tmp.path());
        assert!(matches!(SaveTarget::prepare(&meta, PathBuf::from("/")), Err(SaveError::BadTarget(_))));
    }

    #[test]
    fn data_present_needs_every_file_at_full_length() {
        let tmp = tempfile::tempdir().unwrap();
        let meta = torrent(true);
        let top = tmp.path().join("renamed");
        assert!(!data_present(&meta, &top));
        std::fs::create_dir_all(top.join("sub")).unwrap();
        std::fs::write(top.join("a"), b"abc").unwrap();
        std::fs::write(top.join("sub/b"), b"x").unwrap();
        assert!(!data_present(&meta, &top), "b is short");
        std::fs::write(top.join("sub/b"), b"xy").unwrap();
        assert!(data_present(&meta, &top));
        let single = torrent(false);
        std::fs::write(tmp.path().join("other.bin"), b"12345").unwrap();
        assert!(data_present(&single, &tmp.path().join("other.bin")));
        assert!(!data_present(&single, &tmp.path().join("f.bin")));
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
