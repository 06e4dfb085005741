//! The engine: one mio reactor per session ([`reactor`]) driving torrents ([`torrent`]), peer
//! connections ([`peer`]), tracker requests ([`tracker_io`]) and timers, behind the public
//! [`Session`] and [`TorrentHandle`] ([`handle`]). Under it sit pure, deterministic cores:
//! which pieces a peer has ([`bitfield`]), which blocks to request from whom ([`picker`]) and
//! how many at once ([`pipeline`]), whom to upload to ([`choker`]), how fast data moves
//! ([`rate_meter`]), how many bytes may move now ([`rate_limit`]) and when to announce
//! ([`announcer`]). None of those reads a clock, a thread RNG or a socket: time is a `now`
//! argument and randomness comes from a seed.

pub mod announcer;
pub mod bitfield;
pub mod choker;
pub mod crypto_policy;
pub mod event;
pub mod event_queue;
pub mod handle;
pub mod layer_fetch;
pub mod limits;
pub mod magnet;
pub mod metadata_fetch;
mod partial_piece;
pub mod peer;
pub mod peer_id;
pub mod picker;
mod piece_pool;
mod piece_writer;
pub mod pipeline;
pub mod rate_limit;
pub mod rate_meter;
pub mod reactor;
mod retiring;
pub mod smart_ban;
mod snapshot;
pub mod status;
pub mod swarm;
pub mod torrent;
mod torrent_resume;
mod torrent_unfinished; // h/partial
pub mod tracker_io;
pub mod web_seed; // h/webseed
                  // --- h/engine2
pub mod pex;
pub mod super_seed;
mod torrent_hashes;
mod torrent_idle;
mod torrent_metadata;
mod torrent_move;
mod torrent_pex;
mod torrent_super_seed;

pub use bitfield::{Bitfield, BitfieldError, Bits};
pub use choker::{Choker, ChokerConfig, PeerStats};
pub use crypto_policy::{CryptoPolicy, Dial};
pub use handle::{AddParams, Session, SessionError, SessionSettings, TorrentHandle, TorrentSource};
pub use picker::{BlockOutcome, BlockRef, Picker, PickerConfig, PickerError, Priority};
pub use pipeline::PipelineConfig;
pub use rate_limit::{Rate, TokenBucket};
pub use rate_meter::RateMeter;

/// Names one connected peer for the picker and the choker (the reactor's connection token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerKey(pub u32);
