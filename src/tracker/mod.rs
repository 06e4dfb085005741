//! The tracker: a sans-I/O core (announce, scrape, swarms, state file, info page) and thin
//! fronts (a mio HTTP/1.1 server, a BEP 15 UDP server, and the C call).

pub mod handler;

// --- core (tracker core helper adds its modules here)
pub mod allowed;
pub mod config;
pub mod connection_id;
pub mod ipfilter;
pub mod peer;
pub mod peer_select;
pub mod query;
pub mod swarm;
pub mod udp_protocol;

// --- fronts (tracker fronts helper adds its modules here)
pub mod front;
