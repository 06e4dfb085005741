//! The input walk: the files of a torrent in BitTornado's order (reference §7.3).
//!
//! A file gives a single-file torrent. A directory is walked depth-first with each directory's
//! entries sorted by name bytes, which equals ordering the files by their path-component lists;
//! entries named `core` or `CVS` or starting with `.` are skipped at every level, symlinks are
//! followed (a link back to an ancestor is an error), empty directories vanish and zero-length
//! files are kept.

use super::create_error::CreateError;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// One file of the torrent: where to read it and where it goes inside the torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The path to read the file from.
    pub path: PathBuf,
    /// Its path inside the torrent, below the torrent's name; empty for a single-file torrent.
    pub components: Vec<String>,
    /// Its size in bytes when it was listed.
    pub length: u64,
}

/// True for names BitTornado leaves out of directory torrents: `core`, `CVS` and dot-names.
pub fn is_skipped_name(name: &[u8]) -> bool {
    name == b"core" || name == b"CVS" || name.first() == Some(&b'.')
}

/// The torrent name for `root`: its last component, after resolving `.` and `..` (the
/// canonical path is used only when the path itself has no final name).
pub fn torrent_name(root: &Path) -> Result<String, CreateError> {
    let name = match root.file_name() {
        Some(n) => n.to_os_string(),
        None => {
            let canon =
                fs::canonicalize(root).map_err(|source| CreateError::Missing { path: root.to_path_buf(), source })?;
            canon.file_name().map(|n| n.to_os_string()).ok_or_else(|| CreateError::BadName(root.to_path_buf()))?
        }
    };
    name.into_string().map_err(|_| CreateError::BadName(root.to_path_buf()))
}

/// Lists the files of the torrent made from `root` (a file or a directory), in torrent order.
/// A file yields one entry with empty `components`; a directory without files is an error.
pub fn collect_files(root: &Path) -> Result<Vec<InputFile>, CreateError> {
    let meta = fs::metadata(root).map_err(|source| CreateError::Missing { path: root.to_path_buf(), source })?;
    if meta.is_file() {
        return Ok(vec![InputFile { path: root.to_path_buf(), components: Vec::new(), length: meta.len() }]);
    }
    if !meta.is_dir() {
        return Err(CreateError::NotAFile(root.to_path_buf()));
    }
    let mut files = Vec::new();
    let mut ancestors = vec![(meta.dev(), meta.ino())];
    walk_dir(root, &mut Vec::new(), &mut ancestors, &mut files)?;
    if files.is_empty() {
        return Err(CreateError::NoFiles(root.to_path_buf()));
    }
    Ok(files)
}

/// Appends the files below `dir` (whose torrent path is `prefix`) to `out`.
fn walk_dir(
    dir: &Path,
    prefix: &mut Vec<String>,
    ancestors: &mut Vec<(u64, u64)>,
    out: &mut Vec<InputFile>,
) -> Result<(), CreateError> {
    for (name, path) in sorted_entries(dir)? {
        let meta = fs::metadata(&path).map_err(|source| CreateError::Unreadable { path: path.clone(), source })?;
        let name = name.into_string().map_err(|_| CreateError::BadName(path.clone()))?;
        prefix.push(name);
        if meta.is_dir() {
            let id = (meta.dev(), meta.ino());
            if ancestors.contains(&id) {
                return Err(CreateError::SymlinkLoop(path));
            }
            ancestors.push(id);
            walk_dir(&path, prefix, ancestors, out)?;
            ancestors.pop();
        } else if meta.is_file() {
            out.push(InputFile { path, components: prefix.clone(), length: meta.len() });
        }
        prefix.pop();
    }
    Ok(())
}

/// The entries of `dir` that are not skipped, sorted by name bytes.
fn sorted_entries(dir: &Path) -> Result<Vec<(std::ffi::OsString, PathBuf)>, CreateError> {
    let unreadable = |source| CreateError::Unreadable { path: dir.to_path_buf(), source };
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry.file_name();
        if !is_skipped_name(name.as_bytes()) {
            entries.push((name, entry.path()));
        }
    }
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str, len: usize) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, vec![7u8; len]).unwrap();
    }

    #[test]
    fn order_and_skips() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        for rel in ["b", "a/z", "a/b/c", "a-b", ".hidden", "core", "CVS/x", "sub/.git/x", "sub/core", "sub/e"] {
            touch(r, rel, 3);
        }
        touch(r, "zero", 0);
        fs::create_dir_all(r.join("empty/deeper")).unwrap();
        std::os::unix::fs::symlink(r.join("b"), r.join("link")).unwrap();
        let files = collect_files(r).unwrap();
        let got: Vec<String> = files.iter().map(|f| f.components.join("/")).collect();
        assert_eq!(got, ["a/b/c", "a/z", "a-b", "b", "link", "sub/e", "zero"]);
        assert_eq!(files.last().unwrap().length, 0);
        assert_eq!(files[4].length, 3);
    }

    #[test]
    fn single_file_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "f", 5);
        let files = collect_files(&dir.path().join("f")).unwrap();
        assert_eq!(files.len(), 1);
        assert!(files[0].components.is_empty());
        assert!(matches!(collect_files(&dir.path().join("nope")), Err(CreateError::Missing { .. })));
        fs::create_dir(dir.path().join("e")).unwrap();
        touch(dir.path(), "e/.dot", 1);
        assert!(matches!(collect_files(&dir.path().join("e")), Err(CreateError::NoFiles(_))));
        std::os::unix::fs::symlink(dir.path(), dir.path().join("e/loop")).unwrap();
        assert!(matches!(collect_files(&dir.path().join("e")), Err(CreateError::SymlinkLoop(_))));
    }

    #[test]
    fn names() {
        assert_eq!(torrent_name(Path::new("/x/dir/")).unwrap(), "dir");
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("named")).unwrap();
        assert!(torrent_name(&dir.path().join("named/sub/..")).unwrap_err().to_string().contains("cannot"));
        assert_eq!(torrent_name(&dir.path().join("named/.")).unwrap(), "named");
    }
}
