//! The metainfo model: what a .torrent says, after validation and path sanitising.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::MetainfoError;
use super::parse::{parse, ParseLimits};
use super::sanitize::SafePath;

/// Which BitTorrent metainfo versions a torrent carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaVersion {
    /// BEP 3 only: SHA-1 pieces.
    V1,
    /// BEP 52 only: per-file SHA-256 merkle trees.
    V2,
    /// Both views of the same files (BEP 52 hybrid).
    Hybrid,
}

impl MetaVersion {
    /// `"1"`, `"2"` or `"hybrid"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MetaVersion::V1 => "1",
            MetaVersion::V2 => "2",
            MetaVersion::Hybrid => "hybrid",
        }
    }
}

/// BEP 47 file attributes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FileAttributes {
    /// `p`: a pad file (zeros, not written to disk).
    pub pad: bool,
    /// `x`: executable.
    pub executable: bool,
    /// `h`: hidden.
    pub hidden: bool,
    /// `l`: a symbolic link (length 0; see [`FileEntry::symlink_target`]).
    pub symlink: bool,
}

impl FileAttributes {
    /// Parses an `attr` string; unknown letters are ignored.
    pub fn from_attr(attr: &[u8]) -> FileAttributes {
        FileAttributes {
            pad: attr.contains(&b'p'),
            executable: attr.contains(&b'x'),
            hidden: attr.contains(&b'h'),
            symlink: attr.contains(&b'l'),
        }
    }
}

/// One file of a torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    pub(crate) path: SafePath,
    pub(crate) length: u64,
    pub(crate) offset: u64,
    pub(crate) attributes: FileAttributes,
    pub(crate) pieces_root: Option<[u8; 32]>,
    pub(crate) symlink_target: Option<SafePath>,
    pub(crate) mtime: Option<i64>,
    /// Range of this file's piece layer in the whole .torrent bytes (v2, when present).
    pub(crate) piece_layer: Option<Range<usize>>,
}

impl FileEntry {
    /// The sanitised path relative to the save directory (the torrent's name first for
    /// multi-file torrents).
    pub fn path(&self) -> &SafePath {
        &self.path
    }

    /// The path components.
    pub fn components(&self) -> &[String] {
        self.path.components()
    }

    /// Length in bytes (0 for symlinks).
    pub fn length(&self) -> u64 {
        self.length
    }

    /// Offset of the file's first byte in the torrent's byte stream.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// BEP 47 attributes.
    pub fn attributes(&self) -> FileAttributes {
        self.attributes
    }

    /// True for pad files.
    pub fn is_pad(&self) -> bool {
        self.attributes.pad
    }

    /// The v2 merkle root of the file (v2 and hybrid torrents).
    pub fn pieces_root(&self) -> Option<&[u8; 32]> {
        self.pieces_root.as_ref()
    }

    /// Where a symlink points, relative to the save directory; always inside the torrent
    /// (an escaping or dangling target is replaced by the link's own path, as libtorrent does).
    pub fn symlink_target(&self) -> Option<&SafePath> {
        self.symlink_target.as_ref()
    }

    /// Modification time (`mtime`, Unix seconds) when given.
    pub fn mtime(&self) -> Option<i64> {
        self.mtime
    }
}

/// A parsed .torrent file. Holds the original bytes; piece hashes, piece layers and the
/// info dictionary are views into them.
#[derive(Debug, Clone)]
pub struct Metainfo {
    pub(crate) bytes: Arc<[u8]>,
    pub(crate) info: Range<usize>,
    pub(crate) pieces: Option<Range<usize>>,
    pub(crate) info_hash_v1: Option<[u8; 20]>,
    pub(crate) info_hash_v2: Option<[u8; 32]>,
    pub(crate) version: MetaVersion,
    pub(crate) name: String,
    pub(crate) piece_length: u64,
    pub(crate) piece_count: u64,
    pub(crate) total_length: u64,
    pub(crate) multi_file: bool,
    pub(crate) files: Vec<FileEntry>,
    pub(crate) has_piece_layers: bool,
    pub(crate) announce: Option<String>,
    pub(crate) announce_list: Vec<Vec<String>>,
    pub(crate) http_seeds: Vec<String>,
    pub(crate) url_list: Vec<String>,
    pub(crate) private: bool,
    pub(crate) comment: Option<String>,
    pub(crate) created_by: Option<String>,
    pub(crate) creation_date: Option<i64>,
    pub(crate) nodes: Vec<(String, u16)>,
}

impl Metainfo {
    /// Parses a .torrent from memory with the default limits.
    pub fn from_bytes(bytes: &[u8]) -> Result<Metainfo, MetainfoError> {
        parse(Arc::from(bytes), &ParseLimits::default())
    }

    /// Parses a .torrent already held in shared memory, without copying it.
    pub fn from_shared(bytes: Arc<[u8]>) -> Result<Metainfo, MetainfoError> {
        parse(bytes, &ParseLimits::default())
    }

    /// Parses a .torrent from memory with explicit limits.
    pub fn from_bytes_with(bytes: &[u8], limits: &ParseLimits) -> Result<Metainfo, MetainfoError> {
        parse(Arc::from(bytes), limits)
    }

    /// Reads and parses a .torrent file (refusing files over the size limit before reading).
    pub fn from_file(path: &Path) -> Result<Metainfo, MetainfoError> {
        let limits = ParseLimits::default();
        let io = |source| MetainfoError::Io { path: path.display().to_string(), source };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > limits.max_size {
            return Err(MetainfoError::TooLarge { size, max: limits.max_size });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        parse(Arc::from(bytes), &limits)
    }

    /// SHA-1 of the `info` bytes as received (absent for v2-only torrents).
    pub fn info_hash_v1(&self) -> Option<[u8; 20]> {
        self.info_hash_v1
    }

    /// SHA-256 of the `info` bytes (v2 and hybrid torrents).
    pub fn info_hash_v2(&self) -> Option<[u8; 32]> {
        self.info_hash_v2
    }

    /// V1, V2 or Hybrid.
    pub fn version(&self) -> MetaVersion {
        self.version
    }

    /// The sanitised name (for a name that sanitises to nothing, the info-hash in hex).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes per piece.
    pub fn piece_length(&self) -> u64 {
        self.piece_length
    }

    /// Number of pieces (total length including pad files, rounded up).
    pub fn piece_count(&self) -> u64 {
        self.piece_count
    }

    /// Sum of all file lengths, pad files included.
    pub fn total_length(&self) -> u64 {
        self.total_length
    }

    /// Length of piece `index` (the last one may be shorter); `None` past the end.
    pub fn piece_size(&self, index: u64) -> Option<u64> {
        (index < self.piece_count).then(|| self.piece_length.min(self.total_length - index * self.piece_length))
    }

    /// True for a multi-file torrent (a directory named [`Metainfo::name`]).
    pub fn is_multi_file(&self) -> bool {
        self.multi_file
    }

    /// The files in torrent order, pad files included.
    pub fn files(&self) -> &[FileEntry] {
        &self.files
    }

    /// The sanitised relative path of file `index` (`None` past the end).
    pub fn file_path(&self, index: usize) -> Option<PathBuf> {
        self.files.get(index).map(|f| f.path.to_path_buf())
    }

    /// The v1 SHA-1 hash of piece `index`.
    pub fn piece_hash(&self, index: u64) -> Option<&[u8; 20]> {
        let pieces = self.pieces.clone()?;
        let (hashes, _) = self.bytes[pieces].as_chunks::<20>();
        hashes.get(usize::try_from(index).ok()?)
    }

    /// All v1 piece hashes concatenated (absent for v2-only torrents).
    pub fn pieces(&self) -> Option<&[u8]> {
        self.pieces.clone().map(|r| &self.bytes[r])
    }

    /// The v2 piece layer of file `index`: one SHA-256 per piece, checked against the file's
    /// pieces root. `None` for files of at most one piece, or when the .torrent has none.
    pub fn piece_layer(&self, index: usize) -> Option<&[[u8; 32]]> {
        let r = self.files.get(index)?.piece_layer.clone()?;
        Some(self.bytes[r].as_chunks::<32>().0)
    }

    /// True when a v2 torrent carries `piece layers` (false: treated like a magnet link).
    pub fn has_piece_layers(&self) -> bool {
        self.has_piece_layers
    }

    /// The `announce` URL, whitespace-trimmed.
    pub fn announce(&self) -> Option<&str> {
        self.announce.as_deref()
    }

    /// BEP 12 tiers, URLs trimmed, empty URLs and tiers dropped.
    pub fn announce_list(&self) -> &[Vec<String>] {
        &self.announce_list
    }

    /// BEP 17 HTTP seeds, de-duplicated.
    pub fn http_seeds(&self) -> &[String] {
        &self.http_seeds
    }

    /// BEP 19 web seeds: de-duplicated, percent-encoded, with a trailing `/` for multi-file
    /// torrents.
    pub fn url_list(&self) -> &[String] {
        &self.url_list
    }

    /// BEP 27 private flag.
    pub fn is_private(&self) -> bool {
        self.private
    }

    /// `comment` (`comment.utf-8` preferred), invalid UTF-8 replaced.
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// `created by` (`created by.utf-8` preferred).
    pub fn created_by(&self) -> Option<&str> {
        self.created_by.as_deref()
    }

    /// `creation date` (Unix seconds) when present and not negative.
    pub fn creation_date(&self) -> Option<i64> {
        self.creation_date
    }

    /// DHT bootstrap nodes: `(host, port)`.
    pub fn nodes(&self) -> &[(String, u16)] {
        &self.nodes
    }

    /// The raw `info` dictionary exactly as received.
    pub fn info_bytes(&self) -> &[u8] {
        &self.bytes[self.info.clone()]
    }

    /// The whole .torrent file.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The whole .torrent file, shared.
    pub fn shared_bytes(&self) -> Arc<[u8]> {
        Arc::clone(&self.bytes)
    }
}
