//! The BitTorrent DHT (BEP 5, IPv4), sans-I/O: node ids and distances, KRPC messages, the
//! routing table, iterative `get_peers` lookups that end in `announce_peer`, the peers and tokens
//! this node keeps for others, and [`node::Dht`] tying them together. The session's reactor owns
//! the UDP socket and feeds datagrams and time in; everything here builds and parses bytes.

pub mod krpc;
pub mod lookup;
pub mod node;
pub mod node_id;
pub mod routing;
pub mod state;
pub mod store;

pub use node::{Dht, DhtOutput};
pub use node_id::NodeId;
pub use state::DhtState;
