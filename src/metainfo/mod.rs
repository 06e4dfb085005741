//! .torrent metainfo: read (v1, v2 and hybrid), create, and edit.

// --- reading (model, parse, sanitize, error)
// (parse helper adds its modules here)

// --- creating (piece size, file walk, hashing, build)
// (create helper adds its modules here)

// --- editing
// (edit helper adds its modules here)
pub mod edit;

// --- shared
pub mod merkle;
