//! Piece storage: file layout, memory-mapped store, hashing pool, resume data.

pub mod hash_pool;
