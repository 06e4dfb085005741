//! Torrent storage. So far only the geometry: [`layout`] maps pieces and blocks to files with
//! checked arithmetic and is the sole maker of the typed indices the engine passes around.

pub mod layout;

pub use layout::{BlockIndex, FileIndex, Layout, LayoutError, PieceIndex, Segment, Segments, ValidRequest, BLOCK_SIZE};
