//! The error of torrent creation: walking the input, choosing the piece size and hashing.

use std::path::PathBuf;

/// Why a torrent could not be created. Every variant names the path or value at fault.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The input file or directory does not exist or cannot be examined.
    #[error("cannot read {path}: {source}")]
    Missing {
        /// The input path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file or directory could not be opened, listed, mapped or read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file changed size between the directory walk and the end of hashing.
    #[error("{path} changed size while hashing (expected {expected} bytes, found {found})")]
    ChangedSize {
        /// The file.
        path: PathBuf,
        /// Its size when it was listed.
        expected: u64,
        /// Its size when it was read.
        found: u64,
    },
    /// A file or directory name is not valid UTF-8, so it cannot be stored in a torrent.
    #[error("bad filename: {0}")]
    BadName(PathBuf),
    /// The requested piece size is outside what the chosen torrent version allows.
    #[error("bad piece size 2^{pow2}: {reason}")]
    BadPieceSize {
        /// The exponent given.
        pow2: u32,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The input directory holds no files (after skipping dot-files, `core` and `CVS`).
    #[error("{0} contains no files")]
    NoFiles(PathBuf),
    /// A directory links back to one of its ancestors.
    #[error("{0} is a symlink loop")]
    SymlinkLoop(PathBuf),
    /// The input is neither a regular file nor a directory.
    #[error("{0} is not a regular file or directory")]
    NotAFile(PathBuf),
    /// The caller asked to stop.
    #[error("cancelled")]
    Cancelled,
    /// The total size does not fit the piece count limits of this platform.
    #[error("input of {0} bytes is too large")]
    TooLarge(u64),
}
