//! The allowed set: `allowed_dir` (a semi-recursive scan of .torrent files, re-parsed only when
//! their mtime or size changed) and `allowed_list` (hex info-hashes, one per line).
//!
//! Semi-recursive: a directory that holds any `.torrent` file is not descended into; one that
//! holds none has its subdirectories scanned. Unparseable files and duplicates are skipped.

use super::query::InfoHash;
use crate::bencode::{decode, Dict, Limits, Value};
use crate::metainfo::torrent_dir::scan_torrent_dir;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Largest .torrent file read.
const MAX_TORRENT_FILE: u64 = 64 << 20;

/// Why a .torrent in `allowed_dir` was skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowedError {
    /// The file is not valid bencode.
    #[error("not bencoded: {0}")]
    Bencode(String),
    /// A required key is missing or has the wrong type.
    #[error("bad metainfo: {0}")]
    Metainfo(&'static str),
    /// A name or path element could escape the download directory.
    #[error("name or path {0:?} disallowed for security reasons")]
    UnsafeName(String),
}

/// What the tracker knows of one allowed torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedTorrent {
    /// Full path of the .torrent file.
    pub path: PathBuf,
    /// Its file name (for `/file` downloads).
    pub file: String,
    /// The torrent's `name`, lossily decoded.
    pub name: String,
    /// Total size in bytes.
    pub length: u64,
    /// Number of files.
    pub numfiles: u64,
    /// `failure reason` carried by the .torrent (served with `allowed_controls`).
    pub failure_reason: Option<String>,
    /// `warning message` carried by the .torrent (served with `allowed_controls`).
    pub warning_message: Option<String>,
    /// The .torrent has an announce-list.
    pub has_announce_list: bool,
    /// The announce-list's tiers of tracker URLs (bounded: [`MAX_ANNOUNCE_URLS`] in all, each
    /// at most [`MAX_URL_LEN`] bytes), polled by T2T.
    pub announce_list: Vec<Vec<String>>,
}

/// Most tracker URLs kept from one announce-list.
pub const MAX_ANNOUNCE_URLS: usize = 64;
/// Longest tracker URL kept from an announce-list.
pub const MAX_URL_LEN: usize = 512;

/// The tiers of an `announce-list` value, bounded, non-UTF-8 and over-long URLs skipped.
pub fn announce_tiers(list: Option<&[Value<'_>]>) -> Vec<Vec<String>> {
    let mut kept = 0;
    let mut tiers = Vec::new();
    for tier in list.unwrap_or(&[]).iter().filter_map(Value::as_list) {
        let urls: Vec<String> = tier
            .iter()
            .filter_map(|u| u.as_bytes().and_then(|b| std::str::from_utf8(b).ok()))
            .filter(|u| u.len() <= MAX_URL_LEN)
            .take(MAX_ANNOUNCE_URLS - kept)
            .map(str::to_string)
            .collect();
        kept += urls.len();
        if !urls.is_empty() {
            tiers.push(urls);
        }
    }
    tiers
}

/// A file seen by the scan: its mtime and size when parsed, and the info-hash it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenFile {
    /// Modification time, whole seconds since the Unix epoch.
    pub mtime: i64,
    /// Size in bytes.
    pub size: u64,
    /// The info-hash, or `None` when the file did not parse (or was a duplicate).
    pub hash: Option<InfoHash>,
}

fn valid_name(b: &[u8]) -> bool {
    !b.is_empty()
        && !matches!(b[0], b'/' | b'\\' | b'.' | b'~')
        && !b.iter().any(|&c| c == b'/' || c == b'\\' || c == 0)
}

fn check_name(b: &[u8]) -> Result<(), AllowedError> {
    if valid_name(b) {
        Ok(())
    } else {
        Err(AllowedError::UnsafeName(String::from_utf8_lossy(b).into_owned()))
    }
}

fn sum_files(files: &[Value<'_>]) -> Result<(u64, u64), AllowedError> {
    let mut total = 0u64;
    for f in files {
        let f = f.as_dict().ok_or(AllowedError::Metainfo("files entry not a dictionary"))?;
        let len = f.get_int(b"length").filter(|&l| l >= 0).ok_or(AllowedError::Metainfo("bad file length"))?;
        let path = f.get_list(b"path").filter(|p| !p.is_empty()).ok_or(AllowedError::Metainfo("bad file path"))?;
        for el in path {
            check_name(el.as_bytes().ok_or(AllowedError::Metainfo("path element not a string"))?)?;
        }
        total = total.checked_add(len as u64).ok_or(AllowedError::Metainfo("total length overflows"))?;
    }
    Ok((total, files.len() as u64))
}

fn sum_file_tree(tree: &Dict<'_>, depth: usize) -> Result<(u64, u64), AllowedError> {
    if depth > 64 {
        return Err(AllowedError::Metainfo("file tree too deep"));
    }
    let (mut total, mut count) = (0u64, 0u64);
    for (k, v) in tree.entries() {
        let d = v.as_dict().ok_or(AllowedError::Metainfo("file tree node not a dictionary"))?;
        if k.is_empty() {
            let len = d.get_int(b"length").filter(|&l| l >= 0).ok_or(AllowedError::Metainfo("bad file length"))?;
            total = total.saturating_add(len as u64);
            count += 1;
        } else {
            check_name(k)?;
            let (t, c) = sum_file_tree(d, depth + 1)?;
            total = total.saturating_add(t);
            count += c;
        }
    }
    Ok((total, count))
}

/// Parses a .torrent: its info-hashes (v1 SHA-1, and the truncated v2 SHA-256 when it is a v2
/// or hybrid torrent; the first is the primary one) and what the tracker shows of it.
pub fn parse_torrent(bytes: &[u8], path: &Path) -> Result<(Vec<InfoHash>, AllowedTorrent), AllowedError> {
    let top = decode(bytes, Limits::default()).map_err(|e| AllowedError::Bencode(e.to_string()))?;
    let top = top.as_dict().ok_or(AllowedError::Metainfo("not a dictionary"))?;
    let info = top.get_dict(b"info").ok_or(AllowedError::Metainfo("no info dictionary"))?;
    let name = info.get_bytes(b"name").ok_or(AllowedError::Metainfo("no name"))?;
    check_name(name)?;
    let v2 = info.get_int(b"meta version") == Some(2);
    let (length, numfiles) = match (info.get(b"length"), info.get_list(b"files"), info.get_dict(b"file tree")) {
        (Some(l), None, _) => (l.as_int().filter(|&l| l >= 0).ok_or(AllowedError::Metainfo("bad length"))? as u64, 1),
        (None, Some(files), _) => sum_files(files)?,
        (None, None, Some(tree)) if v2 => sum_file_tree(tree, 0)?,
        _ => return Err(AllowedError::Metainfo("need exactly one of length and files")),
    };
    let mut hashes = Vec::new();
    if let Some(pieces) = info.get_bytes(b"pieces") {
        if pieces.len() % 20 != 0 {
            return Err(AllowedError::Metainfo("pieces not a multiple of 20 bytes"));
        }
        hashes.push(Sha1::digest(info.raw()).into());
    }
    if v2 {
        let full = Sha256::digest(info.raw());
        hashes.push(full[..20].try_into().expect("20 bytes"));
    }
    if hashes.is_empty() {
        return Err(AllowedError::Metainfo("no pieces"));
    }
    let text = |k: &[u8]| top.get_bytes(k).map(|b| String::from_utf8_lossy(b).into_owned());
    let torrent = AllowedTorrent {
        path: path.to_path_buf(),
        file: path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
        name: String::from_utf8_lossy(name).into_owned(),
        length,
        numfiles,
        failure_reason: text(b"failure reason"),
        warning_message: text(b"warning message"),
        has_announce_list: top.get_list(b"announce-list").is_some_and(|l| !l.is_empty()),
        announce_list: announce_tiers(top.get_list(b"announce-list")),
    };
    Ok((hashes, torrent))
}

/// The torrents of an `allowed_dir`, kept up to date by [`AllowedDir::rescan`].
#[derive(Debug, Clone, Default)]
pub struct AllowedDir {
    /// The scanned directory.
    pub root: PathBuf,
    /// Allowed torrents by primary info-hash.
    pub torrents: HashMap<InfoHash, AllowedTorrent>,
    /// Secondary info-hashes (v2 of a hybrid) to their primary one.
    pub aliases: HashMap<InfoHash, InfoHash>,
    /// Every .torrent file seen, by path.
    pub files: HashMap<PathBuf, SeenFile>,
}

/// What a rescan changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Torrents that are now allowed and were not before.
    pub added: usize,
    /// Torrents no longer allowed.
    pub removed: Vec<InfoHash>,
    /// Files skipped, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
}

impl AllowedDir {
    /// An empty set for `root`; call [`AllowedDir::rescan`] to fill it.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        AllowedDir { root: root.into(), ..Default::default() }
    }

    /// True when `hash` (primary or alias) is allowed.
    pub fn contains(&self, hash: &InfoHash) -> bool {
        self.torrents.contains_key(hash) || self.aliases.contains_key(hash)
    }

    /// The torrent for `hash` (primary or alias).
    pub fn get(&self, hash: &InfoHash) -> Option<&AllowedTorrent> {
        self.torrents.get(hash).or_else(|| self.aliases.get(hash).and_then(|p| self.torrents.get(p)))
    }

    /// Scans the directory again, re-parsing files whose mtime or size changed.
    pub fn rescan(&mut self) -> ScanReport {
        let found = scan_torrent_dir(&self.root);
        let before: HashSet<InfoHash> = self.torrents.keys().copied().collect();
        let mut files = HashMap::with_capacity(found.len());
        let mut torrents = HashMap::with_capacity(found.len());
        let mut aliases = HashMap::new();
        let mut report = ScanReport::default();
        for (path, (mtime, size)) in found {
            let cached = self.files.get(&path).filter(|s| s.mtime == mtime && s.size == size);
            let parsed = match cached {
                Some(seen) => seen.hash.and_then(|h| self.torrents.get(&h).map(|t| (h, t.clone()))).map(|(h, t)| {
                    let extra: Vec<InfoHash> = self.aliases.iter().filter(|(_, p)| **p == h).map(|(a, _)| *a).collect();
                    (std::iter::once(h).chain(extra).collect::<Vec<_>>(), t)
                }),
                None => match fs::read(&path).map_err(|e| e.to_string()).and_then(|b| {
                    if b.len() as u64 > MAX_TORRENT_FILE {
                        return Err("file too large".to_string());
                    }
                    parse_torrent(&b, &path).map_err(|e| e.to_string())
                }) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        report.skipped.push((path.clone(), e));
                        None
                    }
                },
            };
            let mut hash = None;
            if let Some((hashes, torrent)) = parsed {
                let primary = hashes[0];
                match torrents.entry(primary) {
                    std::collections::hash_map::Entry::Occupied(_) => {
                        report.skipped.push((path.clone(), "duplicate info-hash".to_string()));
                    }
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        for alias in &hashes[1..] {
                            aliases.insert(*alias, primary);
                        }
                        slot.insert(torrent);
                        hash = Some(primary);
                    }
                }
            }
            files.insert(path, SeenFile { mtime, size, hash });
        }
        report.added = torrents.keys().filter(|h| !before.contains(*h)).count();
        report.removed = before.into_iter().filter(|h| !torrents.contains_key(h)).collect();
        self.files = files;
        self.torrents = torrents;
        self.aliases = aliases;
        report
    }
}

/// Reads an `allowed_list` file: one hex info-hash per line (40 hex digits; blank lines and
/// `#` comments skipped). Returns the set and the lines that were not hashes.
pub fn parse_allowed_list(text: &str) -> (HashSet<InfoHash>, Vec<String>) {
    let mut set = HashSet::new();
    let mut bad = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        match hex20(line) {
            Some(h) => {
                set.insert(h);
            }
            None => bad.push(format!("line {}: {}", i + 1, line)),
        }
    }
    (set, bad)
}

/// Decodes 40 hex digits into 20 bytes.
pub fn hex20(s: &str) -> Option<InfoHash> {
    let b = s.as_bytes();
    if b.len() != 40 {
        return None;
    }
    let mut out = [0u8; 20];
    for (i, pair) in b.chunks(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

/// Lower-case hex of a 20-byte hash.
pub fn hex(h: &InfoHash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bencode::{encode, OwnedValue};
    use std::collections::BTreeMap;

    /// A minimal single-file .torrent named `name` of `len` bytes.
    pub(crate) fn torrent_bytes(name: &str, len: i64) -> Vec<u8> {
        let mut info = BTreeMap::new();
        info.insert(b"name".to_vec(), OwnedValue::bytes(name));
        info.insert(b"length".to_vec(), OwnedValue::Int(len));
        info.insert(b"piece length".to_vec(), OwnedValue::Int(16384));
        info.insert(b"pieces".to_vec(), OwnedValue::Bytes(vec![0; 20]));
        let mut top = BTreeMap::new();
        top.insert(b"announce".to_vec(), OwnedValue::bytes("http://t/announce"));
        top.insert(b"info".to_vec(), OwnedValue::Dict(info));
        encode(&OwnedValue::Dict(top))
    }

    #[test]
    fn parses_hash_and_name() {
        let b = torrent_bytes("file.bin", 1000);
        let (hashes, t) = parse_torrent(&b, Path::new("/x/a.torrent")).unwrap();
        let info_start = b.windows(6).position(|w| w == b"4:info").unwrap() + 6;
        let expected: InfoHash = Sha1::digest(&b[info_start..b.len() - 1]).into();
        assert_eq!(hashes, vec![expected]);
        assert_eq!((t.name.as_str(), t.length, t.numfiles, t.file.as_str()), ("file.bin", 1000, 1, "a.torrent"));
        assert!(parse_torrent(&torrent_bytes("../evil", 1), Path::new("e.torrent")).is_err());
        assert!(parse_torrent(b"d4:infoi1ee", Path::new("e.torrent")).is_err());
        assert!(parse_torrent(b"garbage", Path::new("e.torrent")).is_err());
    }

    #[test]
    fn semi_recursive_scan_and_rescan() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("top.torrent"), torrent_bytes("top", 1)).unwrap();
        fs::create_dir_all(root.join("skipped")).unwrap();
        fs::write(root.join("skipped/hidden.torrent"), torrent_bytes("hidden", 2)).unwrap();
        let mut d = AllowedDir::new(root);
        let r = d.rescan();
        assert_eq!(r.added, 1, "a dir with a .torrent is not descended into");

        let dir2 = tempfile::tempdir().unwrap();
        let root2 = dir2.path();
        fs::create_dir_all(root2.join("a/b")).unwrap();
        fs::create_dir_all(root2.join("c")).unwrap();
        fs::write(root2.join("a/b/deep.torrent"), torrent_bytes("deep", 3)).unwrap();
        fs::write(root2.join("c/one.torrent"), torrent_bytes("one", 4)).unwrap();
        fs::write(root2.join("c/dup.torrent"), torrent_bytes("one", 4)).unwrap();
        fs::write(root2.join("c/bad.torrent"), b"not bencode").unwrap();
        fs::write(root2.join("c/note.txt"), b"x").unwrap();
        let mut d2 = AllowedDir::new(root2);
        let r = d2.rescan();
        assert_eq!(r.added, 2, "dirs without .torrent files are descended into");
        assert_eq!(r.skipped.len(), 2, "duplicate and unparseable: {:?}", r.skipped);
        let names: HashSet<_> = d2.torrents.values().map(|t| t.name.clone()).collect();
        assert_eq!(names, HashSet::from(["deep".to_string(), "one".to_string()]));

        fs::remove_file(root2.join("a/b/deep.torrent")).unwrap();
        let r = d2.rescan();
        assert_eq!((r.added, r.removed.len()), (0, 1));
        assert_eq!(d2.torrents.len(), 1);
    }

    #[test]
    fn allowed_list_lines() {
        let h = "0123456789abcdef0123456789ABCDEF01234567";
        let (set, bad) = parse_allowed_list(&format!("{h}\n\n# c\nzz\n"));
        assert_eq!(set.len(), 1);
        assert_eq!(bad.len(), 1);
        assert_eq!(hex(set.iter().next().unwrap()), h.to_lowercase());
    }
}
