//! The engine: one mio reactor per session driving torrents, peers and timers, over pure,
//! deterministic cores: which pieces a peer has ([`bitfield`]), which blocks to request from
//! whom ([`picker`]), whom to upload to ([`choker`]) and how many bytes may move now
//! ([`rate_limit`]).

pub mod announcer;
pub mod bitfield;
pub mod choker;
pub mod event;
pub mod event_queue;
pub mod handle;
pub mod peer;
pub mod peer_id;
pub mod picker;
mod piece_pool;
pub mod rate;
pub mod rate_limit;
pub mod reactor;
pub mod status;
pub mod torrent;
pub mod tracker_io;

pub use bitfield::{Bitfield, BitfieldError};
pub use picker::{BlockOutcome, BlockRef, Picker, PickerConfig, PickerError, Priority};

/// Names one connected peer for the picker and the choker (the reactor's connection token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerKey(pub u32);
pub use handle::{AddParams, Session, SessionError, SessionSettings, TorrentHandle};
