//! An index of a torrent's directories and files as a trie of path components, so that
//! looking up a path costs its length, however deep or numerous the paths are (hostile
//! torrents can carry paths of a million components).

use std::collections::HashMap;

/// Node id of the directory that holds the save directory's entries.
pub(crate) const ROOT: u32 = 0;

/// Directories and files keyed by (parent directory node, component).
pub(crate) struct PathIndex {
    fold_case: bool,
    dirs: HashMap<(u32, String), u32>,
    files: HashMap<(u32, String), usize>,
}

impl PathIndex {
    /// An empty index; with `fold_case`, components compare ASCII case-insensitively.
    pub(crate) fn new(fold_case: bool) -> PathIndex {
        PathIndex { fold_case, dirs: HashMap::new(), files: HashMap::new() }
    }

    fn key(&self, node: u32, comp: &str) -> (u32, String) {
        (node, if self.fold_case { comp.to_ascii_lowercase() } else { comp.to_string() })
    }

    /// Adds the directory chain `dirs` (creating missing nodes) and returns the node of its last
    /// directory ([`ROOT`] for an empty chain).
    pub(crate) fn add_dirs(&mut self, dirs: &[String]) -> u32 {
        let mut node = ROOT;
        for comp in dirs {
            let key = self.key(node, comp);
            let next = self.dirs.len() as u32 + 1;
            node = *self.dirs.entry(key).or_insert(next);
        }
        node
    }

    /// The node of the directory chain `dirs`, if every directory exists.
    pub(crate) fn find_dirs(&self, dirs: &[String]) -> Option<u32> {
        dirs.iter().try_fold(ROOT, |node, comp| self.dir(node, comp))
    }

    /// The subdirectory `comp` of `node`.
    pub(crate) fn dir(&self, node: u32, comp: &str) -> Option<u32> {
        self.dirs.get(&self.key(node, comp)).copied()
    }

    /// The file `comp` in directory `node`.
    pub(crate) fn file(&self, node: u32, comp: &str) -> Option<usize> {
        self.files.get(&self.key(node, comp)).copied()
    }

    /// True when `comp` in `node` is neither a directory nor a file yet.
    pub(crate) fn is_free(&self, node: u32, comp: &str) -> bool {
        let key = self.key(node, comp);
        !self.dirs.contains_key(&key) && !self.files.contains_key(&key)
    }

    /// Records file `index` as `comp` in directory `node`.
    pub(crate) fn add_file(&mut self, node: u32, comp: &str, index: usize) {
        let key = self.key(node, comp);
        self.files.insert(key, index);
    }

    /// True when `path` names a directory or a file of the index.
    pub(crate) fn exists(&self, path: &[String]) -> bool {
        let Some((last, dirs)) = path.split_last() else { return false };
        self.find_dirs(dirs).is_some_and(|n| !self.is_free(n, last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        s.split('/').map(String::from).collect()
    }

    #[test]
    fn directories_and_files() {
        let mut idx = PathIndex::new(false);
        let node = idx.add_dirs(&p("t/a/b"));
        idx.add_file(node, "f", 3);
        assert!(idx.exists(&p("t/a")));
        assert!(idx.exists(&p("t/a/b/f")));
        assert!(!idx.exists(&p("t/a/c")));
        assert!(!idx.exists(&p("T/a")));
        assert!(!idx.exists(&[]));
        assert_eq!(idx.find_dirs(&p("t/a/b")), Some(node));
        assert_eq!(idx.file(node, "f"), Some(3));
        assert_eq!(idx.add_dirs(&p("t/a/b")), node);
    }

    #[test]
    fn case_folding() {
        let mut idx = PathIndex::new(true);
        let node = idx.add_dirs(&p("T/Dir"));
        idx.add_file(node, "File.TXT", 0);
        assert!(idx.exists(&p("t/dir/file.txt")));
        assert!(!idx.is_free(node, "FILE.txt"));
    }
}
