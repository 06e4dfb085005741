//! .torrent metainfo: read (v1, v2 and hybrid), create, and edit.

// --- reading (model, parse, sanitize, error)
// (parse helper adds its modules here)

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
