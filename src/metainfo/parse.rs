//! Reading a .torrent: bencode limits, the `info` dictionary (v1 files here, v2 in
//! `parse_v2`), duplicate names, symlinks, piece layers and the top-level keys.

use std::ops::Range;
use std::sync::Arc;

use sha1::{Digest, Sha1};
use sha2::Sha256;

use super::error::MetainfoError;
use super::model::{FileAttributes, FileEntry, MetaVersion, Metainfo};
use super::parse_v2;
use super::sanitize::{self, maybe_url_encode, DupItem, SafePath};
use super::symlinks;
use crate::bencode::{decode_prefix, Dict, Limits, Value};

/// Largest file length and total torrent length accepted (libtorrent: 2^48 - 1).
pub const MAX_FILE_SIZE: u64 = (1 << 48) - 1;

/// Bounds on untrusted .torrent input, like libtorrent's `load_torrent_limits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest .torrent file accepted, in bytes.
    pub max_size: u64,
    /// Deepest bencode nesting.
    pub max_depth: usize,
    /// Most bencode values in the file.
    pub max_tokens: usize,
    /// Most pieces.
    pub max_pieces: u64,
}

impl Default for ParseLimits {
    /// 64 MiB, depth 100, 3,000,000 tokens, 0x200000 pieces.
    fn default() -> Self {
        ParseLimits { max_size: 64 << 20, max_depth: 100, max_tokens: 3_000_000, max_pieces: 0x20_0000 }
    }
}

/// Where slices of the input lie in it, so the model can keep ranges instead of copies.
#[derive(Clone, Copy)]
pub(crate) struct Base(usize);

impl Base {
    pub(crate) fn range(self, s: &[u8]) -> Range<usize> {
        let start = s.as_ptr() as usize - self.0;
        start..start + s.len()
    }
}

/// What the `info` dictionary says, before the top-level keys are read.
struct Info {
    version: MetaVersion,
    name: String,
    piece_length: u64,
    piece_count: u64,
    total_length: u64,
    multi_file: bool,
    files: Vec<FileEntry>,
    pieces: Option<Range<usize>>,
    private: bool,
    v1_hash: [u8; 20],
    v2_hash: Option<[u8; 32]>,
}

/// Parses a whole .torrent held in `bytes`.
pub(crate) fn parse(bytes: Arc<[u8]>, limits: &ParseLimits) -> Result<Metainfo, MetainfoError> {
    if bytes.len() as u64 > limits.max_size {
        return Err(MetainfoError::TooLarge { size: bytes.len() as u64, max: limits.max_size });
    }
    let dl = Limits { max_depth: limits.max_depth, max_tokens: limits.max_tokens, require_sorted_keys: false };
    let (top, _) = decode_prefix(&bytes, dl)?;
    let top = top.as_dict().ok_or(MetainfoError::NotADict)?;
    let info_dict = top.get_dict(b"info").ok_or(MetainfoError::MissingInfo)?;
    let base = Base(bytes.as_ptr() as usize);
    let mut info = parse_info(info_dict, base, limits)?;
    symlinks::sanitize_symlinks(&mut info.files);
    let mut items: Vec<DupItem> =
        info.files.iter_mut().map(|f| DupItem { pad: f.attributes.pad, size: f.length, path: &mut f.path }).collect();
    sanitize::resolve_duplicates(&mut items).map_err(MetainfoError::TooManyDuplicates)?;
    let mut has_piece_layers = false;
    if info.v2_hash.is_some() {
        has_piece_layers = parse_v2::piece_layers(top.get(b"piece layers"), &mut info.files, info.piece_length, base)?;
    }
    let multi = info.multi_file && info.files.len() > 1;
    Ok(Metainfo {
        info: base.range(info_dict.raw()),
        pieces: info.pieces,
        info_hash_v1: (info.version != MetaVersion::V2).then_some(info.v1_hash),
        info_hash_v2: info.v2_hash,
        version: info.version,
        name: info.name,
        piece_length: info.piece_length,
        piece_count: info.piece_count,
        total_length: info.total_length,
        multi_file: info.multi_file,
        files: info.files,
        has_piece_layers,
        announce: top.get_bytes(b"announce").and_then(|b| non_empty(lossy(b).trim())),
        announce_list: announce_list(top),
        http_seeds: web_seeds(top.get(b"httpseeds"), false),
        url_list: web_seeds(top.get(b"url-list"), multi),
        private: info.private,
        comment: text(top, b"comment.utf-8", b"comment"),
        created_by: text(top, b"created by.utf-8", b"created by"),
        creation_date: top.get_int(b"creation date").filter(|d| *d >= 0),
        nodes: nodes(top),
        bytes,
    })
}

fn parse_info(info: &Dict<'_>, base: Base, limits: &ParseLimits) -> Result<Info, MetainfoError> {
    let version = info.get_int(b"meta version").unwrap_or(-1);
    if version > 0 && !all_sorted(info) {
        return Err(MetainfoError::UnsortedKeys("info"));
    }
    if version > 2 {
        return Err(MetainfoError::UnknownVersion(version));
    }
    let v2 = version == 2;
    let piece_length = piece_length(info, v2)?;
    let raw_name = name_bytes(info).ok_or_else(|| MetainfoError::MissingName("no 'name' string".into()))?;
    if raw_name.contains(&0) {
        return Err(MetainfoError::MissingName("name contains a NUL byte".into()));
    }
    let v1_hash: [u8; 20] = Sha1::digest(info.raw()).into();
    let v2_hash: Option<[u8; 32]> = v2.then(|| Sha256::digest(info.raw()).into());
    let name = sanitize::sanitize_element(raw_name).unwrap_or_else(|| hex(&v1_hash));
    let files_list = info.get_list(b"files");
    let tree = info.get_dict(b"file tree");
    let v2_files = match (v2, tree) {
        (true, Some(t)) => Some(parse_v2::file_tree(t, &name, files_list.is_some(), piece_length)?),
        (true, None) => return Err(MetainfoError::MissingFileTree),
        (false, Some(_)) => return Err(MetainfoError::MissingMetaVersion),
        (false, None) => None,
    };
    let v1_files = match files_list {
        Some(list) => Some(file_list(list, &name)?),
        None if !v2 || info.get(b"length").is_some() => Some(single_file(info)?),
        None => None,
    };
    let (version, files, multi_file) = match (v1_files, v2_files) {
        (Some((v1, multi)), None) => (MetaVersion::V1, v1, multi),
        (None, Some(v2f)) => {
            let multi = v2f.len() > 1 || v2f.first().is_some_and(|f| f.path.components().len() > 1);
            (MetaVersion::V2, v2f, multi)
        }
        (Some((v1, multi)), Some(v2f)) => (MetaVersion::Hybrid, parse_v2::reconcile(v1, v2f)?, multi),
        (None, None) => return Err(MetainfoError::NoFiles),
    };
    if files.is_empty() {
        return Err(MetainfoError::NoFiles);
    }
    let total_length = files.last().map_or(0, |f| f.offset + f.length);
    let piece_count = piece_count(total_length, piece_length, limits.max_pieces)?;
    let pieces = match info.get_bytes(b"pieces") {
        None if !v2 => return Err(MetainfoError::MissingPieces),
        None => None,
        Some(p) if p.len() as u64 != piece_count * 20 => {
            return Err(MetainfoError::InvalidHashes { got: p.len(), expected: piece_count * 20 })
        }
        Some(p) => Some(base.range(p)),
    };
    if total_length == 0 {
        return Err(MetainfoError::InvalidLength("total length is zero".into()));
    }
    let private = info.get_int(b"private").is_some_and(|p| p != 0);
    let pieces = if version == MetaVersion::V2 { None } else { pieces };
    Ok(Info {
        version,
        name,
        piece_length,
        piece_count,
        total_length,
        multi_file,
        files,
        pieces,
        private,
        v1_hash,
        v2_hash,
    })
}

/// True when every dictionary in `d` (recursively) has strictly increasing keys.
fn all_sorted(d: &Dict<'_>) -> bool {
    fn value_sorted(v: &Value<'_>) -> bool {
        match v {
            Value::Dict(d) => all_sorted(d),
            Value::List(items, _) => items.iter().all(value_sorted),
            _ => true,
        }
    }
    d.is_sorted() && d.entries().iter().all(|(_, v)| value_sorted(v))
}

fn piece_length(info: &Dict<'_>, v2: bool) -> Result<u64, MetainfoError> {
    let plen = info.get_int(b"piece length").ok_or_else(|| MetainfoError::PieceLength("missing".into()))?;
    if plen <= 0 || plen > i64::from(i32::MAX / 2) {
        return Err(MetainfoError::PieceLength(format!("{plen} is out of range")));
    }
    if v2 && (plen < 16384 || plen & (plen - 1) != 0) {
        return Err(MetainfoError::PieceLength(format!("{plen} is not a power of two of at least 16 KiB")));
    }
    Ok(plen as u64)
}

fn piece_count(total: u64, plen: u64, max: u64) -> Result<u64, MetainfoError> {
    if total / plen >= i32::MAX as u64 {
        return Err(MetainfoError::TooManyPieces { count: total.div_ceil(plen), max });
    }
    let count = total.div_ceil(plen);
    if count > max || count >= (i32::MAX / 20) as u64 {
        return Err(MetainfoError::TooManyPieces { count, max });
    }
    Ok(count)
}

/// `name.utf-8` when it is valid UTF-8, else `name`.
fn name_bytes<'a>(d: &Dict<'a>) -> Option<&'a [u8]> {
    d.get_str(b"name.utf-8").map(str::as_bytes).or_else(|| d.get_bytes(b"name"))
}

/// Checks a file length: present, an integer, not negative, within libtorrent's bounds.
pub(crate) fn file_length(d: &Dict<'_>, attr: FileAttributes, what: &str) -> Result<u64, MetainfoError> {
    if attr.symlink {
        return Ok(0);
    }
    let len = d.get_int(b"length").unwrap_or(-1);
    if len < 0 || len as u64 > MAX_FILE_SIZE || (len / 16384) >= i64::from(i32::MAX / 2) {
        return Err(MetainfoError::InvalidLength(format!("{what}: length {len} is missing, negative or too large")));
    }
    Ok(len as u64)
}

/// Adds `len` to the running total, refusing totals past [`MAX_FILE_SIZE`].
pub(crate) fn advance(total: &mut u64, len: u64) -> Result<u64, MetainfoError> {
    let offset = *total;
    *total = total
        .checked_add(len)
        .filter(|t| *t <= MAX_FILE_SIZE)
        .ok_or_else(|| MetainfoError::InvalidLength(format!("total length overflows at offset {offset}")))?;
    Ok(offset)
}

pub(crate) fn attributes(d: &Dict<'_>) -> FileAttributes {
    d.get_bytes(b"attr").map(FileAttributes::from_attr).unwrap_or_default()
}

/// A single-file torrent: the file is the torrent's name.
fn single_file(info: &Dict<'_>) -> Result<(Vec<FileEntry>, bool), MetainfoError> {
    let attr = attributes(info);
    let length = file_length(info, attr, "torrent")?;
    let raw = name_bytes(info).filter(|n| !n.is_empty());
    let name = raw.and_then(sanitize::sanitize_element);
    let name = name.ok_or_else(|| MetainfoError::MissingName("single-file name sanitises to nothing".into()))?;
    let path = SafePath::new(vec![name]).ok_or_else(|| MetainfoError::MissingName("unsafe name".into()))?;
    let mut attributes = attr;
    attributes.symlink = false;
    let entry = FileEntry {
        path,
        length,
        offset: 0,
        attributes,
        pieces_root: None,
        symlink_target: None,
        mtime: info.get_int(b"mtime").filter(|m| *m != 0),
        piece_layer: None,
    };
    Ok((vec![entry], false))
}

/// A multi-file torrent's `files` list.
fn file_list(list: &[Value<'_>], name: &str) -> Result<(Vec<FileEntry>, bool), MetainfoError> {
    let mut files = Vec::with_capacity(list.len());
    let mut total = 0u64;
    for (index, v) in list.iter().enumerate() {
        let d = v.as_dict().ok_or_else(|| MetainfoError::FileParse(format!("file {index} is not a dictionary")))?;
        let mut attributes = attributes(d);
        let length = file_length(d, attributes, &format!("file {index}"))?;
        let path = file_path(d, index, name, attributes, length)?;
        if path.joined().contains("_____padding_file_") {
            attributes.pad = true;
        }
        let symlink_target = if attributes.symlink { link_target(d, index, name)? } else { None };
        attributes.symlink = symlink_target.is_some();
        let offset = advance(&mut total, length)?;
        files.push(FileEntry {
            path,
            length,
            offset,
            attributes,
            pieces_root: None,
            symlink_target,
            mtime: d.get_int(b"mtime").filter(|m| *m != 0),
            piece_layer: None,
        });
    }
    Ok((files, true))
}

/// A string list, each element checked to be a string.
fn string_list<'a>(items: &[Value<'a>], index: usize, what: &'static str) -> Result<Vec<&'a [u8]>, MetainfoError> {
    items.iter().map(|v| v.as_bytes().ok_or(MetainfoError::InvalidPath { index, reason: what })).collect()
}

/// `path.utf-8` when every element is valid UTF-8, else `path`.
fn path_list<'a, 'd>(d: &'d Dict<'a>) -> Option<&'d [Value<'a>]> {
    let utf8 = d.get_list(b"path.utf-8").filter(|l| l.iter().all(|v| v.as_str().is_some()));
    utf8.or_else(|| d.get_list(b"path"))
}

fn file_path(
    d: &Dict<'_>,
    index: usize,
    name: &str,
    attr: FileAttributes,
    length: u64,
) -> Result<SafePath, MetainfoError> {
    let mut comps = vec![name.to_string()];
    match path_list(d).filter(|l| !l.is_empty()) {
        Some(list) => {
            comps.extend(sanitize::sanitize_elements(string_list(list, index, "path element is not a string")?));
            if comps.len() == 1 {
                comps.push("_".into());
            }
        }
        None if attr.pad => comps = vec![".pad".into(), length.to_string()],
        None => return Err(MetainfoError::MissingName(format!("file {index} has no path"))),
    }
    SafePath::new(comps).ok_or_else(|| MetainfoError::MissingName(format!("file {index} has an unsafe path")))
}

/// The sanitised `symlink path` of file `index`, under the torrent's directory.
fn link_target(d: &Dict<'_>, index: usize, name: &str) -> Result<Option<SafePath>, MetainfoError> {
    let Some(list) = d.get_list(b"symlink path") else { return Ok(None) };
    let elems = sanitize::sanitize_elements(string_list(list, index, "symlink path element is not a string")?);
    if elems.is_empty() {
        return Ok(None);
    }
    let mut comps = vec![name.to_string()];
    comps.extend(elems);
    Ok(SafePath::new(comps))
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn text(top: &Dict<'_>, utf8_key: &[u8], key: &[u8]) -> Option<String> {
    let pick = top.get_bytes(utf8_key).filter(|b| !b.is_empty()).or_else(|| top.get_bytes(key));
    pick.and_then(|b| non_empty(&lossy(b)))
}

fn announce_list(top: &Dict<'_>) -> Vec<Vec<String>> {
    let Some(tiers) = top.get_list(b"announce-list") else { return Vec::new() };
    tiers
        .iter()
        .filter_map(Value::as_list)
        .map(|tier| tier.iter().filter_map(Value::as_bytes).filter_map(|u| non_empty(lossy(u).trim())).collect())
        .filter(|tier: &Vec<String>| !tier.is_empty())
        .collect()
}

/// `url-list` / `httpseeds`: a string or a list of strings, encoded and de-duplicated.
fn web_seeds(v: Option<&Value<'_>>, multi_file: bool) -> Vec<String> {
    let raw: Vec<&[u8]> = match v {
        Some(Value::Bytes(b)) => vec![b],
        Some(Value::List(items, _)) => items.iter().filter_map(Value::as_bytes).collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for b in raw.into_iter().filter(|b| !b.is_empty()) {
        let mut url = maybe_url_encode(&lossy(b));
        if multi_file && !url.ends_with('/') {
            url.push('/');
        }
        if !out.contains(&url) {
            out.push(url);
        }
    }
    out
}

fn nodes(top: &Dict<'_>) -> Vec<(String, u16)> {
    let Some(list) = top.get_list(b"nodes") else { return Vec::new() };
    list.iter()
        .filter_map(Value::as_list)
        .filter_map(|n| {
            let host = n.first()?.as_bytes()?;
            let port = u16::try_from(n.get(1)?.as_int()?).ok()?;
            Some((lossy(host), port))
        })
        .collect()
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piece_counts_are_bounded() {
        assert_eq!(piece_count(40000, 16384, 10).unwrap(), 3);
        assert!(matches!(piece_count(40000, 16384, 2), Err(MetainfoError::TooManyPieces { count: 3, max: 2 })));
        assert!(piece_count(MAX_FILE_SIZE, 1, u64::MAX).is_err());
    }

    #[test]
    fn totals_never_wrap() {
        let mut total = MAX_FILE_SIZE - 1;
        assert_eq!(advance(&mut total, 1).unwrap(), MAX_FILE_SIZE - 1);
        assert!(advance(&mut total, 1).is_err());
        let mut total = 5;
        assert!(advance(&mut total, u64::MAX).is_err());
        assert_eq!(total, 5);
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x0a, 0xff]), "0aff");
    }
}
