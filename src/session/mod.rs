//! The pure, deterministic cores a torrent's reactor drives: which pieces a peer has
//! ([`bitfield`]), which blocks to request from whom ([`picker`]) and how many at once
//! ([`pipeline`]), whom to upload to ([`choker`]), how fast data moves ([`rate_meter`]) and
//! how many bytes may move now ([`rate_limit`]). None of them reads a clock, a thread RNG or a
//! socket: time is a `now` argument and randomness comes from a seed.

pub mod bitfield;
pub mod choker;
mod partial_piece;
pub mod picker;
mod piece_pool;
pub mod pipeline;
pub mod rate_limit;
pub mod rate_meter;

pub use bitfield::{Bitfield, BitfieldError, Bits};
pub use choker::{Choker, ChokerConfig, PeerStats};
pub use picker::{BlockOutcome, BlockRef, Picker, PickerConfig, PickerError, Priority};
pub use pipeline::PipelineConfig;
pub use rate_limit::{Rate, TokenBucket};
pub use rate_meter::RateMeter;

/// Names one connected peer for the picker and the choker (the reactor's connection token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerKey(pub u32);
