//! What can go wrong while loading, editing or writing a .torrent file.

use std::path::PathBuf;

use crate::bencode::DecodeError;

/// An editing failure. Errors from [`crate::metainfo::edit::Editor::from_file`] and
/// [`crate::metainfo::edit::Editor::write_to`] name the file.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The bytes are not valid bencode.
    #[error("not a torrent: {0}")]
    Decode(#[from] DecodeError),
    /// The top-level value is not a dictionary.
    #[error("not a torrent: the top-level value is not a dictionary")]
    NotADict,
    /// The top-level dictionary has no `info` key.
    #[error("not a torrent: no `info` dictionary")]
    NoInfo,
    /// `info` is present but is not a dictionary.
    #[error("not a torrent: `info` is not a dictionary")]
    InfoNotADict,
    /// A new file name that would be unsafe or meaningless.
    #[error("refusing new name {name:?}: {reason}")]
    BadName {
        /// The refused name.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file could not be written (the original is untouched).
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A content error in a named file.
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: Box<EditError>,
    },
}

impl EditError {
    /// Attaches the file name to an error that does not name a file yet.
    pub fn in_file(self, path: impl Into<PathBuf>) -> EditError {
        match self {
            e @ (EditError::Read { .. } | EditError::Write { .. } | EditError::InFile { .. }) => e,
            other => EditError::InFile { path: path.into(), source: Box::new(other) },
        }
    }
}
