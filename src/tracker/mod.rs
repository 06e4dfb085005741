//! The tracker: a sans-I/O core (announce, scrape, swarms, state file, info page) and thin
//! fronts (a mio HTTP/1.1 server, a BEP 15 UDP server, and the C call).

pub mod handler;
// --- tracker2 helper: T2T, aggregation, hand-out caches
pub mod aggregate;
pub mod handout_cache;
pub mod outgoing;
pub mod t2t;

// --- core (tracker core helper adds its modules here)
pub mod allowed;
pub mod config;
pub mod connection_id;
pub mod core;
pub mod http;
pub mod infopage;
pub mod ipfilter;
pub mod natcheck;
pub mod peer;
pub mod peer_select;
pub mod query;
pub mod response;
pub mod state;
pub mod stats;
pub mod store;
pub mod swarm;
pub mod udp;
pub mod udp_protocol;

pub use self::config::{ConfigError, ScrapeAllowed, TrackerConfig};
pub use self::core::Tracker;
pub use self::stats::TrackerStats;

// --- fronts (tracker fronts helper adds its modules here)
pub mod front;
