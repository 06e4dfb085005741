//! .torrent metainfo: read (v1, v2 and hybrid), create, and edit.

// --- reading (model, parse, sanitize, error)
pub mod error;
pub mod magnet;
pub mod model;
pub mod parse;
mod parse_v2;
mod path_index;
pub mod piece_check;
pub mod sanitize;
mod symlinks;
pub use error::{ErrorKind, MetainfoError};
pub use model::{FileAttributes, FileEntry, MetaVersion, Metainfo};
pub use parse::ParseLimits;
pub use piece_check::PieceCheck;
pub use sanitize::SafePath;

// --- creating (piece size, file walk, hashing, build)
pub mod create;
pub mod create_error;
pub mod hasher;
pub mod piece_layout;
pub mod piece_size;
pub mod walk;

// --- editing
// (edit helper adds its modules here)
pub mod edit;

// --- shared
pub mod merkle;
pub mod merkle_range;
pub mod torrent_dir;
