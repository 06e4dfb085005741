//! Errors from reading a .torrent file, classified like libtorrent's error codes.

use crate::bencode::{DecodeError, DecodeErrorKind};

/// The class of a metainfo error. Each variant corresponds to one libtorrent error code
/// (named in its doc), so results can be compared with libtorrent's own test expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `torrent_is_no_dict`: the file is not a bencoded dictionary.
    IsNoDict,
    /// `torrent_missing_info`: no `info` dictionary.
    MissingInfo,
    /// `torrent_missing_piece_length`: `piece length` missing, not positive, too large, or
    /// (v2) not a power of two of at least 16 KiB.
    MissingPieceLength,
    /// `torrent_missing_name`: no usable `name`, or a file without a `path`.
    MissingName,
    /// `torrent_invalid_name`: a `path` (or `symlink path`) element is not a string.
    InvalidName,
    /// `torrent_invalid_length`: a negative, missing, oversized or zero total length.
    InvalidLength,
    /// `torrent_missing_pieces`: a v1 torrent without a `pieces` string.
    MissingPieces,
    /// `torrent_invalid_hashes`: `pieces` is not 20 bytes per piece.
    InvalidHashes,
    /// `too_many_pieces_in_torrent`: more pieces than the limit.
    TooManyPieces,
    /// `no_files_in_torrent`: the file list is empty.
    NoFiles,
    /// `torrent_inconsistent_files`: the v1 and v2 views of a hybrid torrent differ.
    InconsistentFiles,
    /// `torrent_file_parse_failed`: the file list or file tree has the wrong shape.
    FileParseFailed,
    /// `bdecode_errors::depth_exceeded`: bencode nested deeper than the limit.
    DepthExceeded,
    /// `invalid_bencoding`: malformed bencode (or, for v2, unsorted dictionary keys).
    InvalidBencoding,
    /// `torrent_invalid_piece_layer`: a v2 piece layer has the wrong size, an unknown root,
    /// or does not hash to its file's pieces root.
    InvalidPieceLayer,
    /// `torrent_missing_pieces_root`: a v2 file without a valid `pieces root`.
    MissingPiecesRoot,
    /// `torrent_invalid_pad_file`: a v2 file tree entry marked as a pad file.
    InvalidPadFile,
    /// `too_many_duplicate_filenames`: too many file-name collisions to rename.
    TooManyDuplicateFilenames,
    /// `torrent_unknown_version`: `meta version` above 2.
    UnknownVersion,
    /// `torrent_missing_file_tree`: `meta version` 2 without a `file tree`.
    MissingFileTree,
    /// `torrent_missing_meta_version`: a `file tree` without `meta version` 2.
    MissingMetaVersion,
    /// `torrent_missing_piece_layer`: `piece layers` present but not a dictionary.
    MissingPieceLayer,
    /// `metadata_too_large`: the .torrent file is larger than the limit.
    MetadataTooLarge,
    /// The file could not be read.
    Io,
}

impl ErrorKind {
    /// libtorrent's name for this error class (as in `EXPECTATIONS.tsv`).
    pub fn libtorrent_name(self) -> &'static str {
        match self {
            ErrorKind::IsNoDict => "torrent_is_no_dict",
            ErrorKind::MissingInfo => "torrent_missing_info",
            ErrorKind::MissingPieceLength => "torrent_missing_piece_length",
            ErrorKind::MissingName => "torrent_missing_name",
            ErrorKind::InvalidName => "torrent_invalid_name",
            ErrorKind::InvalidLength => "torrent_invalid_length",
            ErrorKind::MissingPieces => "torrent_missing_pieces",
            ErrorKind::InvalidHashes => "torrent_invalid_hashes",
            ErrorKind::TooManyPieces => "too_many_pieces_in_torrent",
            ErrorKind::NoFiles => "no_files_in_torrent",
            ErrorKind::InconsistentFiles => "torrent_inconsistent_files",
            ErrorKind::FileParseFailed => "torrent_file_parse_failed",
            ErrorKind::DepthExceeded => "bdecode_errors::depth_exceeded",
            ErrorKind::InvalidBencoding => "invalid_bencoding",
            ErrorKind::InvalidPieceLayer => "torrent_invalid_piece_layer",
            ErrorKind::MissingPiecesRoot => "torrent_missing_pieces_root",
            ErrorKind::InvalidPadFile => "torrent_invalid_pad_file",
            ErrorKind::TooManyDuplicateFilenames => "too_many_duplicate_filenames",
            ErrorKind::UnknownVersion => "torrent_unknown_version",
            ErrorKind::MissingFileTree => "torrent_missing_file_tree",
            ErrorKind::MissingMetaVersion => "torrent_missing_meta_version",
            ErrorKind::MissingPieceLayer => "torrent_missing_piece_layer",
            ErrorKind::MetadataTooLarge => "metadata_too_large",
            ErrorKind::Io => "io_error",
        }
    }
}

/// Why a .torrent file could not be read. Each variant names the problem and carries the
/// offending data; [`MetainfoError::kind`] gives its libtorrent class.
#[derive(Debug, thiserror::Error)]
pub enum MetainfoError {
    /// The file could not be read from disk.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The system error.
        source: std::io::Error,
    },
    /// The file is larger than the accepted maximum.
    #[error("metainfo is {size} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The bencoding is malformed.
    #[error("{0}")]
    Bencode(DecodeError),
    /// A v2 info dictionary has a dictionary whose keys are not sorted.
    #[error("v2 info dictionary has unsorted or duplicate keys in {0}")]
    UnsortedKeys(&'static str),
    /// The top level is not a dictionary.
    #[error("torrent file is not a dictionary")]
    NotADict,
    /// There is no `info` dictionary.
    #[error("missing or invalid 'info' dictionary")]
    MissingInfo,
    /// `meta version` is not 1 or 2.
    #[error("unknown meta version {0}")]
    UnknownVersion(i64),
    /// `piece length` is missing or unusable.
    #[error("invalid or missing 'piece length': {0}")]
    PieceLength(String),
    /// The name is missing or sanitises to nothing.
    #[error("missing or unusable name: {0}")]
    MissingName(String),
    /// A path list holds something other than strings.
    #[error("invalid path in file {index}: {reason}")]
    InvalidPath {
        /// The file's position in the list.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A length is negative, missing, too large, or the total overflows or is zero.
    #[error("invalid length: {0}")]
    InvalidLength(String),
    /// A v1 torrent has no `pieces` string.
    #[error("missing or invalid 'pieces' string")]
    MissingPieces,
    /// `pieces` does not hold 20 bytes per piece.
    #[error("'pieces' is {got} bytes, expected {expected} (20 per piece)")]
    InvalidHashes {
        /// Its length.
        got: usize,
        /// 20 × the piece count.
        expected: u64,
    },
    /// More pieces than the limit.
    #[error("too many pieces: {count} (limit {max})")]
    TooManyPieces {
        /// The piece count.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// The file list is empty.
    #[error("no files in torrent")]
    NoFiles,
    /// The v1 and v2 file lists of a hybrid torrent disagree.
    #[error("v1 and v2 file lists differ: {0}")]
    InconsistentFiles(String),
    /// `file tree` without `meta version` 2.
    #[error("'file tree' present but 'meta version' is not 2")]
    MissingMetaVersion,
    /// `meta version` 2 without a `file tree`.
    #[error("'meta version' 2 but no 'file tree'")]
    MissingFileTree,
    /// The file list or tree has the wrong shape.
    #[error("failed to parse files: {0}")]
    FileParse(String),
    /// A v2 file has no usable `pieces root`.
    #[error("file {0:?} has no valid 'pieces root'")]
    MissingPiecesRoot(String),
    /// A v2 file tree entry carries the pad attribute.
    #[error("file {0:?} in the v2 file tree is marked as a pad file")]
    InvalidPadFile(String),
    /// A piece layer is wrong.
    #[error("invalid piece layer: {0}")]
    InvalidPieceLayer(String),
    /// `piece layers` is not a dictionary.
    #[error("'piece layers' is not a dictionary")]
    MissingPieceLayer,
    /// Too many names collided while renaming duplicates.
    #[error("too many duplicate file names ({0} collisions)")]
    TooManyDuplicates(usize),
}

impl MetainfoError {
    /// The libtorrent class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            MetainfoError::Io { .. } => ErrorKind::Io,
            MetainfoError::TooLarge { .. } => ErrorKind::MetadataTooLarge,
            MetainfoError::Bencode(e) if e.kind == DecodeErrorKind::DepthExceeded => ErrorKind::DepthExceeded,
            MetainfoError::Bencode(_) | MetainfoError::UnsortedKeys(_) => ErrorKind::InvalidBencoding,
            MetainfoError::NotADict => ErrorKind::IsNoDict,
            MetainfoError::MissingInfo => ErrorKind::MissingInfo,
            MetainfoError::UnknownVersion(_) => ErrorKind::UnknownVersion,
            MetainfoError::PieceLength(_) => ErrorKind::MissingPieceLength,
            MetainfoError::MissingName(_) => ErrorKind::MissingName,
            MetainfoError::InvalidPath { .. } => ErrorKind::InvalidName,
            MetainfoError::InvalidLength(_) => ErrorKind::InvalidLength,
            MetainfoError::MissingPieces => ErrorKind::MissingPieces,
            MetainfoError::InvalidHashes { .. } => ErrorKind::InvalidHashes,
            MetainfoError::TooManyPieces { .. } => ErrorKind::TooManyPieces,
            MetainfoError::NoFiles => ErrorKind::NoFiles,
            MetainfoError::InconsistentFiles(_) => ErrorKind::InconsistentFiles,
            MetainfoError::MissingMetaVersion => ErrorKind::MissingMetaVersion,
            MetainfoError::MissingFileTree => ErrorKind::MissingFileTree,
            MetainfoError::FileParse(_) => ErrorKind::FileParseFailed,
            MetainfoError::MissingPiecesRoot(_) => ErrorKind::MissingPiecesRoot,
            MetainfoError::InvalidPadFile(_) => ErrorKind::InvalidPadFile,
            MetainfoError::InvalidPieceLayer(_) => ErrorKind::InvalidPieceLayer,
            MetainfoError::MissingPieceLayer => ErrorKind::MissingPieceLayer,
            MetainfoError::TooManyDuplicates(_) => ErrorKind::TooManyDuplicateFilenames,
        }
    }
}

impl From<DecodeError> for MetainfoError {
    fn from(e: DecodeError) -> Self {
        MetainfoError::Bencode(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_names() {
        assert_eq!(MetainfoError::NoFiles.kind(), ErrorKind::NoFiles);
        assert_eq!(MetainfoError::NoFiles.kind().libtorrent_name(), "no_files_in_torrent");
        let depth = DecodeError { kind: DecodeErrorKind::DepthExceeded, offset: 3 };
        assert_eq!(MetainfoError::from(depth).kind(), ErrorKind::DepthExceeded);
        let other = DecodeError { kind: DecodeErrorKind::InvalidInteger, offset: 3 };
        assert_eq!(MetainfoError::from(other).kind(), ErrorKind::InvalidBencoding);
        let e = MetainfoError::InvalidHashes { got: 3, expected: 20 };
        assert!(e.to_string().contains("3 bytes"), "{e}");
    }
}
