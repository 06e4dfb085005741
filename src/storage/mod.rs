//! Piece storage: file layout, the file store, the hashing pool.

pub mod hash_pool;
pub mod layout;
pub mod resume;
pub mod store;

pub use layout::{BlockIndex, FileIndex, Layout, LayoutError, PieceIndex, Segment, Segments, ValidRequest, BLOCK_SIZE};
