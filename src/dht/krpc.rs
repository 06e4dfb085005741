//! KRPC, the DHT's bencoded messages over UDP (BEP 5): the four queries (`ping`, `find_node`,
//! `get_peers`, `announce_peer`), their responses and errors, with compact IPv4 node and peer
//! lists. Parsing is bounded and strict about types; anything else is a [`KrpcError`].

use super::node_id::NodeId;
use crate::bencode::{decode, encode, Dict, Limits, OwnedValue};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

/// Most bytes of a transaction id we accept (ours are 2).
const MAX_TID: usize = 16;
/// Most peers taken from one response.
const MAX_VALUES: usize = 200;

/// A query's method and arguments (the querier's id is in [`Message::Query`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Is the node alive?
    Ping,
    /// The nodes closest to `target`.
    FindNode {
        /// The id looked for.
        target: NodeId,
    },
    /// Peers of `info_hash`, or the closest nodes, and a token to announce with.
    GetPeers {
        /// The torrent.
        info_hash: [u8; 20],
    },
    /// The querier is a peer of `info_hash` at `port` (or at its source port, `implied_port`).
    AnnouncePeer {
        /// The torrent.
        info_hash: [u8; 20],
        /// Its BitTorrent port.
        port: u16,
        /// Use the UDP source port instead (NAT).
        implied_port: bool,
        /// The token a `get_peers` response gave it.
        token: Vec<u8>,
    },
    /// A method this node does not know (answered with error 204).
    Unknown(String),
}

/// A response's arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// The responder's id.
    pub id: NodeId,
    /// Closer nodes (`find_node`, `get_peers`).
    pub nodes: Vec<(NodeId, SocketAddrV4)>,
    /// Peers of the torrent (`get_peers`).
    pub values: Vec<SocketAddrV4>,
    /// The token to announce with (`get_peers`).
    pub token: Option<Vec<u8>>,
}

/// A KRPC message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A query from node `id`.
    Query {
        /// Transaction id, echoed in the answer.
        tid: Vec<u8>,
        /// The querier.
        id: NodeId,
        /// What it asks.
        query: Query,
    },
    /// A response.
    Response {
        /// The query's transaction id.
        tid: Vec<u8>,
        /// What it answers.
        response: Response,
    },
    /// An error answer.
    Error {
        /// The query's transaction id.
        tid: Vec<u8>,
        /// 201 generic, 202 server, 203 protocol, 204 method unknown.
        code: i64,
        /// Its text.
        message: String,
    },
}

/// Why a datagram is not a KRPC message we can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KrpcError {
    /// Not bencode, or not a dictionary.
    #[error("not a bencoded dictionary")]
    NotDict,
    /// A key is missing or has the wrong type or size.
    #[error("bad or missing `{0}`")]
    Field(&'static str),
}

fn bytes_field<'a>(d: &Dict<'a>, key: &'static [u8], name: &'static str) -> Result<&'a [u8], KrpcError> {
    d.get_bytes(key).ok_or(KrpcError::Field(name))
}

fn id20(d: &Dict<'_>, key: &'static [u8], name: &'static str) -> Result<[u8; 20], KrpcError> {
    bytes_field(d, key, name)?.try_into().map_err(|_| KrpcError::Field(name))
}

/// Compact node info: 26 bytes per node (port-0 entries dropped).
pub fn parse_nodes(raw: &[u8]) -> Vec<(NodeId, SocketAddrV4)> {
    raw.chunks_exact(26).filter_map(|c| Some((NodeId(c[..20].try_into().ok()?), parse_addr(&c[20..])?))).collect()
}

/// A compact IPv4 address and port (6 bytes); `None` for another length or port 0.
pub fn parse_addr(raw: &[u8]) -> Option<SocketAddrV4> {
    let c: [u8; 6] = raw.try_into().ok()?;
    let addr = SocketAddrV4::new(Ipv4Addr::new(c[0], c[1], c[2], c[3]), u16::from_be_bytes([c[4], c[5]]));
    (addr.port() != 0).then_some(addr)
}

/// The compact form of `nodes`.
pub fn compact_nodes(nodes: &[(NodeId, SocketAddrV4)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(26 * nodes.len());
    for (id, addr) in nodes {
        out.extend_from_slice(&id.0);
        out.extend_from_slice(&compact_addr(addr));
    }
    out
}

/// The compact form of `addr` (6 bytes).
pub fn compact_addr(addr: &SocketAddrV4) -> [u8; 6] {
    let ip = addr.ip().octets();
    let port = addr.port().to_be_bytes();
    [ip[0], ip[1], ip[2], ip[3], port[0], port[1]]
}

impl Message {
    /// Parses a datagram.
    pub fn parse(datagram: &[u8]) -> Result<Message, KrpcError> {
        let limits = Limits { max_depth: 8, max_tokens: 2_000, require_sorted_keys: false };
        let value = decode(datagram, limits).map_err(|_| KrpcError::NotDict)?;
        let d = value.as_dict().ok_or(KrpcError::NotDict)?;
        let tid = bytes_field(d, b"t", "t")?;
        if tid.len() > MAX_TID {
            return Err(KrpcError::Field("t"));
        }
        let tid = tid.to_vec();
        match bytes_field(d, b"y", "y")? {
            b"q" => {
                let method = d.get_str(b"q").ok_or(KrpcError::Field("q"))?;
                let a = d.get_dict(b"a").ok_or(KrpcError::Field("a"))?;
                let id = NodeId(id20(a, b"id", "id")?);
                let query = match method {
                    "ping" => Query::Ping,
                    "find_node" => Query::FindNode { target: NodeId(id20(a, b"target", "target")?) },
                    "get_peers" => Query::GetPeers { info_hash: id20(a, b"info_hash", "info_hash")? },
                    "announce_peer" => Query::AnnouncePeer {
                        info_hash: id20(a, b"info_hash", "info_hash")?,
                        port: a.get_int(b"port").and_then(|p| u16::try_from(p).ok()).unwrap_or(0),
                        implied_port: a.get_int(b"implied_port").is_some_and(|v| v != 0),
                        token: bytes_field(a, b"token", "token")?.to_vec(),
                    },
                    other => Query::Unknown(other.chars().take(32).collect()),
                };
                Ok(Message::Query { tid, id, query })
            }
            b"r" => {
                let r = d.get_dict(b"r").ok_or(KrpcError::Field("r"))?;
                let values = r.get_list(b"values").unwrap_or(&[]);
                let response = Response {
                    id: NodeId(id20(r, b"id", "id")?),
                    nodes: r.get_bytes(b"nodes").map(parse_nodes).unwrap_or_default(),
                    values: values.iter().take(MAX_VALUES).filter_map(|v| parse_addr(v.as_bytes()?)).collect(),
                    token: r.get_bytes(b"token").map(<[u8]>::to_vec),
                };
                Ok(Message::Response { tid, response })
            }
            b"e" => {
                let e = d.get_list(b"e").ok_or(KrpcError::Field("e"))?;
                let code = e.first().and_then(|v| v.as_int()).unwrap_or(201);
                let message = e.get(1).and_then(|v| v.as_str()).unwrap_or("").chars().take(200).collect();
                Ok(Message::Error { tid, code, message })
            }
            _ => Err(KrpcError::Field("y")),
        }
    }

    /// The datagram.
    pub fn encode(&self) -> Vec<u8> {
        let mut top = BTreeMap::new();
        fn b(bytes: impl AsRef<[u8]>) -> OwnedValue {
            OwnedValue::bytes(bytes)
        }
        match self {
            Message::Query { tid, id, query } => {
                top.insert(b"t".to_vec(), b(tid));
                top.insert(b"y".to_vec(), b("q"));
                let mut a = BTreeMap::new();
                a.insert(b"id".to_vec(), b(id.0));
                let method = match query {
                    Query::Ping => "ping",
                    Query::FindNode { target } => {
                        a.insert(b"target".to_vec(), b(target.0));
                        "find_node"
                    }
                    Query::GetPeers { info_hash } => {
                        a.insert(b"info_hash".to_vec(), b(info_hash));
                        "get_peers"
                    }
                    Query::AnnouncePeer { info_hash, port, implied_port, token } => {
                        a.insert(b"info_hash".to_vec(), b(info_hash));
                        a.insert(b"port".to_vec(), OwnedValue::Int(i64::from(*port)));
                        a.insert(b"implied_port".to_vec(), OwnedValue::Int(i64::from(*implied_port)));
                        a.insert(b"token".to_vec(), b(token));
                        "announce_peer"
                    }
                    Query::Unknown(m) => m.as_str(),
                };
                top.insert(b"q".to_vec(), b(method));
                top.insert(b"a".to_vec(), OwnedValue::Dict(a));
            }
            Message::Response { tid, response } => {
                top.insert(b"t".to_vec(), b(tid));
                top.insert(b"y".to_vec(), b("r"));
                let mut r = BTreeMap::new();
                r.insert(b"id".to_vec(), b(response.id.0));
                if !response.nodes.is_empty() {
                    r.insert(b"nodes".to_vec(), b(compact_nodes(&response.nodes)));
                }
                if !response.values.is_empty() {
                    let list = response.values.iter().map(|a| b(compact_addr(a))).collect();
                    r.insert(b"values".to_vec(), OwnedValue::List(list));
                }
                if let Some(token) = &response.token {
                    r.insert(b"token".to_vec(), b(token));
                }
                top.insert(b"r".to_vec(), OwnedValue::Dict(r));
            }
            Message::Error { tid, code, message } => {
                top.insert(b"t".to_vec(), b(tid));
                top.insert(b"y".to_vec(), b("e"));
                top.insert(b"e".to_vec(), OwnedValue::List(vec![OwnedValue::Int(*code), b(message)]));
            }
        }
        encode(&OwnedValue::Dict(top))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> NodeId {
        NodeId([n; 20])
    }

    #[test]
    fn every_message_round_trips() {
        let addr = |n: u8| SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, n), 6881 + u16::from(n));
        let messages = [
            Message::Query { tid: b"aa".to_vec(), id: id(1), query: Query::Ping },
            Message::Query { tid: b"ab".to_vec(), id: id(1), query: Query::FindNode { target: id(2) } },
            Message::Query { tid: b"ac".to_vec(), id: id(1), query: Query::GetPeers { info_hash: [3; 20] } },
            Message::Query {
                tid: b"ad".to_vec(),
                id: id(1),
                query: Query::AnnouncePeer {
                    info_hash: [3; 20],
                    port: 6881,
                    implied_port: true,
                    token: b"tok".to_vec(),
                },
            },
            Message::Response {
                tid: b"ae".to_vec(),
                response: Response {
                    id: id(4),
                    nodes: vec![(id(5), addr(5)), (id(6), addr(6))],
                    values: vec![addr(7)],
                    token: Some(b"xyz".to_vec()),
                },
            },
            Message::Response { tid: b"af".to_vec(), response: Response { id: id(4), ..Response::default() } },
            Message::Error { tid: b"ag".to_vec(), code: 204, message: "Method Unknown".into() },
        ];
        for m in messages {
            assert_eq!(Message::parse(&m.encode()), Ok(m.clone()), "{m:?}");
        }
    }

    #[test]
    fn the_bep5_example_parses() {
        let ping = b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
        let Ok(Message::Query { tid, id, query: Query::Ping }) = Message::parse(ping) else { panic!() };
        assert_eq!((tid.as_slice(), &id.0), (&b"aa"[..], b"abcdefghij0123456789"));
        let unknown = b"d1:ad2:id20:abcdefghij0123456789e1:q4:vote1:t2:aa1:y1:qe";
        assert!(matches!(Message::parse(unknown), Ok(Message::Query { query: Query::Unknown(m), .. }) if m == "vote"));
    }

    #[test]
    fn mutated_messages_never_panic_and_round_trip_when_they_parse() {
        let q = Message::Query { tid: b"aa".to_vec(), id: id(1), query: Query::GetPeers { info_hash: [3; 20] } };
        let r = Message::Response {
            tid: b"ab".to_vec(),
            response: Response {
                id: id(4),
                nodes: vec![(id(5), SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9))],
                ..Response::default()
            },
        };
        let mut seed = 0x9e37_79b9u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for base in [q.encode(), r.encode()] {
            for _ in 0..2_000 {
                let mut bytes = base.clone();
                for _ in 0..1 + next() % 4 {
                    let at = next() as usize % bytes.len();
                    bytes[at] = next() as u8;
                }
                bytes.truncate(bytes.len() - next() as usize % 3);
                if let Ok(m) = Message::parse(&bytes) {
                    assert_eq!(Message::parse(&m.encode()), Ok(m));
                }
            }
        }
    }

    #[test]
    fn garbage_and_bad_fields_are_errors() {
        assert_eq!(Message::parse(b"not bencode"), Err(KrpcError::NotDict));
        assert_eq!(Message::parse(b"le"), Err(KrpcError::NotDict));
        assert_eq!(Message::parse(b"d1:y1:qe"), Err(KrpcError::Field("t")));
        let short_id = b"d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe";
        assert_eq!(Message::parse(short_id), Err(KrpcError::Field("id")));
        let long_tid = format!("d1:t17:{}1:y1:re", "x".repeat(17));
        assert_eq!(Message::parse(long_tid.as_bytes()), Err(KrpcError::Field("t")));
        // Nodes of a bad length keep the whole ones; port-0 entries are dropped.
        let mut raw = compact_nodes(&[(id(1), SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))]);
        raw.extend_from_slice(&compact_nodes(&[(id(2), SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9))]));
        raw.push(7);
        assert_eq!(parse_nodes(&raw), vec![(id(2), SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9))]);
    }
}
