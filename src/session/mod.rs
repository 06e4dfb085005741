//! The engine: one mio reactor per session driving torrents, peers and timers.

pub mod event_queue;
