//! What a DHT node keeps across restarts: its id and the addresses of the nodes in its table,
//! so a restarted session rejoins through them without a bootstrap router.

use super::krpc::{compact_addr, parse_addr};
use super::node_id::NodeId;
use crate::bencode::{decode, encode, Limits, OwnedValue};
use std::collections::BTreeMap;
use std::net::SocketAddrV4;

/// Most nodes saved (they become bootstrap addresses on the next start).
pub const MAX_SAVED: usize = 64;

/// A node's saved state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhtState {
    /// Its id.
    pub id: NodeId,
    /// Nodes it knew.
    pub nodes: Vec<SocketAddrV4>,
}

impl DhtState {
    /// The bencoded form: `id` (20 bytes) and `nodes` (6 bytes per IPv4 address and port).
    pub fn encode(&self) -> Vec<u8> {
        let nodes: Vec<u8> = self.nodes.iter().take(MAX_SAVED).flat_map(compact_addr).collect();
        let mut top = BTreeMap::new();
        top.insert(b"id".to_vec(), OwnedValue::bytes(self.id.0));
        top.insert(b"nodes".to_vec(), OwnedValue::bytes(nodes));
        encode(&OwnedValue::Dict(top))
    }

    /// Reads a saved state; `None` when it is not one (a fresh id is then taken).
    pub fn parse(bytes: &[u8]) -> Option<DhtState> {
        let value = decode(bytes, Limits { max_depth: 4, max_tokens: 100, require_sorted_keys: false }).ok()?;
        let d = value.as_dict()?;
        let id = NodeId(d.get_bytes(b"id")?.try_into().ok()?);
        let nodes = d.get_bytes(b"nodes")?.chunks_exact(6).take(MAX_SAVED).filter_map(parse_addr).collect();
        Some(DhtState { id, nodes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn round_trips_and_refuses_what_is_not_a_state() {
        let state = DhtState {
            id: NodeId([7; 20]),
            nodes: vec![SocketAddrV4::new(Ipv4Addr::LOCALHOST, 6881), SocketAddrV4::new(Ipv4Addr::new(10, 1, 2, 3), 1)],
        };
        assert_eq!(DhtState::parse(&state.encode()), Some(state));
        assert_eq!(DhtState::parse(b"garbage"), None);
        assert_eq!(DhtState::parse(b"d2:id3:abc5:nodes0:e"), None, "a short id");
    }
}
