//! The engine: one mio reactor per session driving torrents, peers and timers.

pub mod announcer;
pub mod event_queue;
pub mod peer_id;
pub mod rate;
