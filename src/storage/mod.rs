//! Torrent storage: the geometry ([`layout`] maps pieces and blocks to files with checked
//! arithmetic and is the sole maker of the typed indices the engine passes around), the file
//! store ([`store`]), in-memory piece buffers ([`piece_buffers`]), fast-resume records ([`resume`]) and the hashing pool ([`hash_pool`]).

pub mod hash_pool;
pub mod layout;
pub mod piece_buffers;
pub mod resume;
pub mod sha1_lanes;
pub mod store;
pub mod stream_copy;

pub use layout::{BlockIndex, FileIndex, Layout, LayoutError, PieceIndex, Segment, Segments, ValidRequest, BLOCK_SIZE};
