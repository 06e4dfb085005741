//! BEP 52 parts of a .torrent: the `file tree`, the check that a hybrid's v1 and v2 file
//! lists agree, and the `piece layers` checked against each file's pieces root.

use std::ops::Range;

use super::error::MetainfoError;
use super::merkle::root_from_piece_layer;
use super::model::{FileAttributes, FileEntry};
use super::parse::{advance, attributes, file_length, Base};
use super::sanitize::{self, SafePath};
use crate::bencode::{Dict, Value};

/// Deepest directory nesting accepted in a file tree.
const MAX_TREE_DEPTH: usize = 100;

/// Walk state: the files so far and the running total (pad files included).
struct Walk<'n> {
    name: &'n str,
    piece_length: u64,
    files: Vec<FileEntry>,
    total: u64,
}

/// Reads a `file tree` into files in tree order, inserting pad files so that every file with
/// a pieces root starts on a piece boundary (and, for several files, a tail pad).
pub(crate) fn file_tree(
    tree: &Dict<'_>,
    name: &str,
    has_v1_files: bool,
    piece_length: u64,
) -> Result<Vec<FileEntry>, MetainfoError> {
    let mut walk = Walk { name, piece_length, files: Vec::new(), total: 0 };
    walk.dir(tree, &[name.to_string()], has_v1_files, 0)?;
    if walk.files.len() > 1 && !walk.total.is_multiple_of(piece_length) {
        walk.pad()?;
    }
    Ok(walk.files)
}

impl Walk<'_> {
    fn dir(&mut self, tree: &Dict<'_>, dir: &[String], has_files: bool, depth: usize) -> Result<(), MetainfoError> {
        if depth > MAX_TREE_DEPTH {
            return Err(MetainfoError::FileParse(format!("file tree deeper than {MAX_TREE_DEPTH}")));
        }
        for (key, value) in tree.entries() {
            let sub = value.as_dict().filter(|_| !key.is_empty());
            let sub =
                sub.ok_or_else(|| MetainfoError::FileParse("file tree entry is empty or not a dictionary".into()))?;
            let leaf = sub.len() == 1 && sub.entries()[0].0.is_empty();
            let single = leaf && !has_files && tree.len() == 1 && depth == 0;
            let mut comps = if single { Vec::new() } else { dir.to_vec() };
            comps.extend(sanitize::sanitize_element(key));
            if leaf {
                let file = sub.entries()[0].1.as_dict();
                let file = file.ok_or_else(|| MetainfoError::FileParse("file entry is not a dictionary".into()))?;
                self.file(file, comps)?;
            } else {
                self.dir(sub, &comps, true, depth + 1)?;
            }
        }
        Ok(())
    }

    fn file(&mut self, d: &Dict<'_>, mut comps: Vec<String>) -> Result<(), MetainfoError> {
        if comps.is_empty() {
            comps.push("_".into());
        }
        let path = SafePath::new(comps).ok_or_else(|| MetainfoError::FileParse("unsafe path".into()))?;
        let mut attr = attributes(d);
        if attr.pad {
            return Err(MetainfoError::InvalidPadFile(path.joined()));
        }
        let length = file_length(d, attr, &path.joined())?;
        let symlink_target = if attr.symlink { self.link_target(d)? } else { None };
        attr.symlink = symlink_target.is_some();
        let mut pieces_root = None;
        if symlink_target.is_none() {
            let root: Option<[u8; 32]> = d.get_bytes(b"pieces root").and_then(|r| r.try_into().ok());
            if length > 0 && root.is_none_or(|r| r == [0u8; 32]) {
                return Err(MetainfoError::MissingPiecesRoot(path.joined()));
            }
            pieces_root = root.filter(|_| length > 0);
            if !self.total.is_multiple_of(self.piece_length) {
                self.pad()?;
            }
        }
        let offset = advance(&mut self.total, length)?;
        let mtime = d.get_int(b"mtime").filter(|m| *m != 0);
        self.files.push(FileEntry {
            path,
            length,
            offset,
            attributes: attr,
            pieces_root,
            symlink_target,
            mtime,
            piece_layer: None,
        });
        Ok(())
    }

    fn link_target(&self, d: &Dict<'_>) -> Result<Option<SafePath>, MetainfoError> {
        let Some(list) = d.get_list(b"symlink path") else { return Ok(None) };
        let mut elems = Vec::with_capacity(list.len());
        for v in list {
            let b =
                v.as_bytes().ok_or(MetainfoError::InvalidPath { index: self.files.len(), reason: "symlink path" })?;
            elems.extend(sanitize::sanitize_element(b));
        }
        if elems.is_empty() {
            return Ok(None);
        }
        let mut comps = vec![self.name.to_string()];
        comps.extend(elems);
        Ok(SafePath::new(comps))
    }

    /// Appends a pad file up to the next piece boundary.
    fn pad(&mut self) -> Result<(), MetainfoError> {
        let size = self.piece_length - self.total % self.piece_length;
        let offset = advance(&mut self.total, size)?;
        self.files.push(pad_file(self.name, size, offset));
        Ok(())
    }
}

fn pad_file(name: &str, size: u64, offset: u64) -> FileEntry {
    let comps = vec![name.to_string(), ".pad".to_string(), size.to_string()];
    FileEntry {
        path: SafePath::new(comps).expect("pad path components are safe"),
        length: size,
        offset,
        attributes: FileAttributes { pad: true, ..FileAttributes::default() },
        pieces_root: None,
        symlink_target: None,
        mtime: None,
        piece_layer: None,
    }
}

/// Checks that a hybrid's v1 file list and v2 file tree describe the same files at the same
/// offsets (a missing tail pad on either side is tolerated) and returns the v2 list, with the
/// tail pad as the v1 list has it.
pub(crate) fn reconcile(v1: Vec<FileEntry>, mut v2: Vec<FileEntry>) -> Result<Vec<FileEntry>, MetainfoError> {
    // The tail pad: a pad file followed by nothing but empty files.
    let tail_pad = |l: &[FileEntry]| l.iter().rposition(|f| !is_empty_file(f)).filter(|&i| l[i].attributes.pad);
    match (tail_pad(&v1), tail_pad(&v2)) {
        (None, Some(i)) => {
            v2.remove(i);
        }
        (Some(i), None) => {
            let at = v2.iter().rposition(|f| !is_empty_file(f)).map_or(0, |j| j + 1);
            v2.insert(at, v1[i].clone());
        }
        _ => {}
    }
    let mut total = 0;
    for f in v2.iter_mut() {
        f.offset = total;
        total += f.length;
    }
    // Empty files take no space: where they sit between a file and its pad does not matter.
    let (v1_empty, v1_data): (Vec<&FileEntry>, Vec<&FileEntry>) = v1.iter().partition(|f| is_empty_file(f));
    let (v2_empty, v2_data): (Vec<&FileEntry>, Vec<&FileEntry>) = v2.iter().partition(|f| is_empty_file(f));
    if v1_data.len() != v2_data.len() || v1_empty.len() != v2_empty.len() {
        return Err(MetainfoError::InconsistentFiles(format!("{} v1 files, {} v2 files", v1.len(), v2.len())));
    }
    for (a, b) in v1_data.iter().zip(&v2_data).chain(v1_empty.iter().zip(&v2_empty)) {
        let same = a.length == b.length
            && (a.offset == b.offset || a.length == 0)
            && a.attributes.pad == b.attributes.pad
            && (a.attributes.pad
                || (a.path == b.path && a.attributes == b.attributes && a.symlink_target == b.symlink_target));
        if !same {
            return Err(MetainfoError::InconsistentFiles(format!("{} differs from {}", a.path, b.path)));
        }
    }
    Ok(v2)
}

fn is_empty_file(f: &FileEntry) -> bool {
    f.length == 0 && !f.attributes.pad
}

/// Reads `piece layers`: every entry must be a known pieces root of a file longer than one
/// piece, hold 32 bytes per piece of that file, and hash up to the root. Files without an
/// entry are allowed (the torrent then loads like a magnet link). Returns whether the key
/// was present.
pub(crate) fn piece_layers(
    layers: Option<&Value<'_>>,
    files: &mut [FileEntry],
    piece_length: u64,
    base: Base,
) -> Result<bool, MetainfoError> {
    let Some(layers) = layers else { return Ok(false) };
    let layers = layers.as_dict().ok_or(MetainfoError::MissingPieceLayer)?;
    let needs = |f: &FileEntry| f.length > piece_length && f.pieces_root.is_some();
    let mut found: Vec<Option<Range<usize>>> = vec![None; files.len()];
    for (key, value) in layers.entries() {
        let Some(layer) = value.as_bytes().filter(|v| key.len() == 32 && v.len() % 32 == 0) else {
            return Err(MetainfoError::InvalidPieceLayer("entry is not a 32-byte root with whole hashes".into()));
        };
        let mut known = false;
        for (i, f) in files.iter().enumerate() {
            if needs(f) && f.pieces_root.as_ref().is_some_and(|r| r[..] == key[..]) {
                check_layer(f, layer, piece_length)?;
                found[i] = Some(base.range(layer));
                known = true;
            }
        }
        if !known {
            return Err(MetainfoError::InvalidPieceLayer("entry for a root no file larger than a piece has".into()));
        }
    }
    for (f, r) in files.iter_mut().zip(found) {
        f.piece_layer = r;
    }
    Ok(true)
}

fn check_layer(f: &FileEntry, layer: &[u8], piece_length: u64) -> Result<(), MetainfoError> {
    let pieces = f.length.div_ceil(piece_length);
    if layer.len() as u64 != pieces * 32 {
        let msg = format!("{}: {} bytes for {pieces} pieces", f.path, layer.len());
        return Err(MetainfoError::InvalidPieceLayer(msg));
    }
    let (hashes, _) = layer.as_chunks::<32>();
    if Some(&root_from_piece_layer(hashes, piece_length, f.length)) != f.pieces_root.as_ref() {
        return Err(MetainfoError::InvalidPieceLayer(format!("{}: layer does not hash to the pieces root", f.path)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, length: u64, offset: u64, pad: bool) -> FileEntry {
        FileEntry {
            path: SafePath::new(path.split('/').map(String::from).collect()).unwrap(),
            length,
            offset,
            attributes: FileAttributes { pad, ..FileAttributes::default() },
            pieces_root: None,
            symlink_target: None,
            mtime: None,
            piece_layer: None,
        }
    }

    #[test]
    fn tail_pad_follows_the_v1_list() {
        let v1 = vec![entry("t/a", 10, 0, false), entry("t/.pad/6", 6, 10, true), entry("t/b", 3, 16, false)];
        let mut v2 = v1.clone();
        v2.push(entry("t/.pad/13", 13, 19, true));
        let out = reconcile(v1.clone(), v2).unwrap();
        assert_eq!(out.len(), 3);
        let mut v1_tail = v1.clone();
        v1_tail.push(entry("t/.pad/13", 13, 19, true));
        let out = reconcile(v1_tail, v1.clone()).unwrap();
        assert_eq!(out.len(), 4);
        assert!(out[3].attributes.pad);
    }

    #[test]
    fn differing_views_are_refused() {
        let v1 = vec![entry("t/a", 10, 0, false), entry("t/b", 3, 10, false)];
        let v2 = vec![entry("t/a", 10, 0, false), entry("t/c", 3, 10, false)];
        assert!(matches!(reconcile(v1.clone(), v2), Err(MetainfoError::InconsistentFiles(_))));
        let v2 = vec![entry("t/a", 10, 0, false)];
        assert!(reconcile(v1, v2).is_err());
    }
}
