//! The UDP tracker protocol (BEP 15): parsing requests and writing replies, fixed layouts,
//! big-endian, no allocation.
//!
//! Requests: connect (16 bytes), announce (98 bytes, BEP 41 options after it ignored), scrape
//! (16 + 20·n bytes). Replies: connect, announce (6-byte IPv4 or 18-byte IPv6 peer entries,
//! by the family of the socket the request came in on), scrape, error.

use super::query::{Event, InfoHash, PeerId};

/// The magic `protocol_id` of a connect request.
pub const PROTOCOL_ID: u64 = 0x417_2710_1980;
/// Action numbers.
pub const ACTION_CONNECT: u32 = 0;
/// Announce action.
pub const ACTION_ANNOUNCE: u32 = 1;
/// Scrape action.
pub const ACTION_SCRAPE: u32 = 2;
/// Error action.
pub const ACTION_ERROR: u32 = 3;
/// Most info-hashes in one scrape (BEP 15: about 74 fit a datagram).
pub const MAX_UDP_SCRAPE: usize = 74;

/// A parsed announce request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpAnnounce {
    /// The connection id the client got from connect.
    pub connection_id: u64,
    /// Echoed in the reply.
    pub transaction_id: u32,
    /// The torrent.
    pub info_hash: InfoHash,
    /// The peer.
    pub peer_id: PeerId,
    /// Bytes downloaded.
    pub downloaded: u64,
    /// Bytes left.
    pub left: u64,
    /// Bytes uploaded.
    pub uploaded: u64,
    /// The event.
    pub event: Event,
    /// The `ip` field (0 = use the sender's address).
    pub ip: u32,
    /// The client's key.
    pub key: u32,
    /// Peers wanted (-1 = default).
    pub num_want: i32,
    /// Listening port.
    pub port: u16,
}

/// A parsed request; scrape hashes borrow from the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdpRequest<'a> {
    /// Connect: asks for a connection id.
    Connect {
        /// Echoed in the reply.
        transaction_id: u32,
    },
    /// Announce.
    Announce(UdpAnnounce),
    /// Scrape of one or more torrents.
    Scrape {
        /// The connection id.
        connection_id: u64,
        /// Echoed in the reply.
        transaction_id: u32,
        /// The info-hashes, 20 bytes each (at least one).
        hashes: &'a [u8],
    },
}

impl UdpRequest<'_> {
    /// The transaction id of the request.
    pub fn transaction_id(&self) -> u32 {
        match self {
            UdpRequest::Connect { transaction_id } | UdpRequest::Scrape { transaction_id, .. } => *transaction_id,
            UdpRequest::Announce(a) => a.transaction_id,
        }
    }
}

/// Why a datagram could not be parsed, and whether an error reply can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UdpParseError {
    /// The transaction id is known: answer with an error action.
    #[error("{message} (transaction {transaction_id})")]
    Sendable {
        /// The request's transaction id.
        transaction_id: u32,
        /// The error text for the reply.
        message: &'static str,
    },
    /// Too short to carry a transaction id: send nothing.
    #[error("datagram too short to answer")]
    Unsendable,
}

fn u16_at(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes(d[at..at + 2].try_into().expect("2 bytes"))
}
fn u32_at(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(d[at..at + 4].try_into().expect("4 bytes"))
}
fn u64_at(d: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(d[at..at + 8].try_into().expect("8 bytes"))
}
fn b20_at(d: &[u8], at: usize) -> [u8; 20] {
    d[at..at + 20].try_into().expect("20 bytes")
}

/// Parses one request datagram.
pub fn parse_request(d: &[u8]) -> Result<UdpRequest<'_>, UdpParseError> {
    if d.len() < 16 {
        return Err(UdpParseError::Unsendable);
    }
    let connection_id = u64_at(d, 0);
    let action = u32_at(d, 8);
    let transaction_id = u32_at(d, 12);
    let fail = |message| Err(UdpParseError::Sendable { transaction_id, message });
    match action {
        ACTION_CONNECT if connection_id != PROTOCOL_ID => fail("bad protocol id"),
        ACTION_CONNECT => Ok(UdpRequest::Connect { transaction_id }),
        ACTION_ANNOUNCE if d.len() < 98 => fail("announce too short"),
        ACTION_ANNOUNCE => {
            let event = match u32_at(d, 80) {
                0 => Event::None,
                1 => Event::Completed,
                2 => Event::Started,
                3 => Event::Stopped,
                _ => return fail("invalid event"),
            };
            Ok(UdpRequest::Announce(UdpAnnounce {
                connection_id,
                transaction_id,
                info_hash: b20_at(d, 16),
                peer_id: b20_at(d, 36),
                downloaded: u64_at(d, 56),
                left: u64_at(d, 64),
                uploaded: u64_at(d, 72),
                event,
                ip: u32_at(d, 84),
                key: u32_at(d, 88),
                num_want: u32_at(d, 92) as i32,
                port: u16_at(d, 96),
            }))
        }
        ACTION_SCRAPE => {
            let hashes = &d[16..];
            let n = hashes.len() / 20;
            if n == 0 {
                return fail("scrape names no info_hash");
            }
            if n > MAX_UDP_SCRAPE {
                return fail("too many info_hash values");
            }
            Ok(UdpRequest::Scrape { connection_id, transaction_id, hashes: &hashes[..n * 20] })
        }
        _ => fail("unknown action"),
    }
}

/// Writes a connect reply.
pub fn write_connect(out: &mut Vec<u8>, transaction_id: u32, connection_id: u64) {
    out.extend_from_slice(&ACTION_CONNECT.to_be_bytes());
    out.extend_from_slice(&transaction_id.to_be_bytes());
    out.extend_from_slice(&connection_id.to_be_bytes());
}

/// Writes the 20-byte head of an announce reply; peer entries (6 or 18 bytes) follow.
pub fn write_announce_head(out: &mut Vec<u8>, transaction_id: u32, interval: u32, leechers: u32, seeders: u32) {
    out.extend_from_slice(&ACTION_ANNOUNCE.to_be_bytes());
    out.extend_from_slice(&transaction_id.to_be_bytes());
    out.extend_from_slice(&interval.to_be_bytes());
    out.extend_from_slice(&leechers.to_be_bytes());
    out.extend_from_slice(&seeders.to_be_bytes());
}

/// Writes the 8-byte head of a scrape reply; one [`write_scrape_entry`] per hash follows.
pub fn write_scrape_head(out: &mut Vec<u8>, transaction_id: u32) {
    out.extend_from_slice(&ACTION_SCRAPE.to_be_bytes());
    out.extend_from_slice(&transaction_id.to_be_bytes());
}

/// Writes one scrape entry (seeders, completed, leechers).
pub fn write_scrape_entry(out: &mut Vec<u8>, seeders: u32, completed: u32, leechers: u32) {
    out.extend_from_slice(&seeders.to_be_bytes());
    out.extend_from_slice(&completed.to_be_bytes());
    out.extend_from_slice(&leechers.to_be_bytes());
}

/// Writes an error reply.
pub fn write_error(out: &mut Vec<u8>, transaction_id: u32, message: &str) {
    out.extend_from_slice(&ACTION_ERROR.to_be_bytes());
    out.extend_from_slice(&transaction_id.to_be_bytes());
    out.extend_from_slice(message.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announce_bytes(a: &UdpAnnounce) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(&a.connection_id.to_be_bytes());
        d.extend_from_slice(&ACTION_ANNOUNCE.to_be_bytes());
        d.extend_from_slice(&a.transaction_id.to_be_bytes());
        d.extend_from_slice(&a.info_hash);
        d.extend_from_slice(&a.peer_id);
        d.extend_from_slice(&a.downloaded.to_be_bytes());
        d.extend_from_slice(&a.left.to_be_bytes());
        d.extend_from_slice(&a.uploaded.to_be_bytes());
        let ev: u32 = match a.event {
            Event::None => 0,
            Event::Completed => 1,
            Event::Started => 2,
            Event::Stopped => 3,
        };
        d.extend_from_slice(&ev.to_be_bytes());
        d.extend_from_slice(&a.ip.to_be_bytes());
        d.extend_from_slice(&a.key.to_be_bytes());
        d.extend_from_slice(&a.num_want.to_be_bytes());
        d.extend_from_slice(&a.port.to_be_bytes());
        d
    }

    #[test]
    fn announce_round_trip() {
        for (i, event) in [Event::None, Event::Completed, Event::Started, Event::Stopped].into_iter().enumerate() {
            let a = UdpAnnounce {
                connection_id: 0x0102_0304_0506_0708,
                transaction_id: 77 + i as u32,
                info_hash: [i as u8; 20],
                peer_id: [0xee; 20],
                downloaded: 1 << 40,
                left: 12345,
                uploaded: 9,
                event,
                ip: 0,
                key: 0xdead_beef,
                num_want: -1,
                port: 6881,
            };
            let mut d = announce_bytes(&a);
            assert_eq!(parse_request(&d), Ok(UdpRequest::Announce(a)));
            d.extend_from_slice(&[2, 5, b'/', b'a', b'n', b'n', b'o']); // BEP 41 option: ignored
            assert_eq!(parse_request(&d), Ok(UdpRequest::Announce(a)));
        }
    }

    #[test]
    fn connect_and_scrape_round_trip() {
        let mut d = PROTOCOL_ID.to_be_bytes().to_vec();
        d.extend_from_slice(&0u32.to_be_bytes());
        d.extend_from_slice(&99u32.to_be_bytes());
        assert_eq!(parse_request(&d), Ok(UdpRequest::Connect { transaction_id: 99 }));
        let mut out = Vec::new();
        write_connect(&mut out, 99, 5);
        assert_eq!(out, [0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 0, 0, 0, 0, 0, 5]);

        let mut s = 42u64.to_be_bytes().to_vec();
        s.extend_from_slice(&ACTION_SCRAPE.to_be_bytes());
        s.extend_from_slice(&3u32.to_be_bytes());
        s.extend_from_slice(&[1; 40]);
        s.push(9); // a trailing partial hash is ignored
        let r = parse_request(&s).unwrap();
        assert_eq!(r, UdpRequest::Scrape { connection_id: 42, transaction_id: 3, hashes: &[1; 40] });
    }

    #[test]
    fn errors_say_whether_to_answer() {
        assert_eq!(parse_request(&[0; 15]), Err(UdpParseError::Unsendable));
        let mut d = [0u8; 16];
        d[8..12].copy_from_slice(&9u32.to_be_bytes());
        d[12..16].copy_from_slice(&5u32.to_be_bytes());
        assert_eq!(parse_request(&d), Err(UdpParseError::Sendable { transaction_id: 5, message: "unknown action" }));
        let mut out = Vec::new();
        write_error(&mut out, 5, "x");
        assert_eq!(out, [0, 0, 0, 3, 0, 0, 0, 5, b'x']);
    }

    #[test]
    fn every_length_every_action_never_panics() {
        for action in 0u32..5 {
            for len in 0..=255usize {
                let mut d = vec![0xa5u8; len];
                if len >= 12 {
                    d[8..12].copy_from_slice(&action.to_be_bytes());
                }
                if len >= 8 && action == 0 {
                    d[..8].copy_from_slice(&PROTOCOL_ID.to_be_bytes());
                }
                let r = parse_request(&d);
                if len < 16 {
                    assert_eq!(r, Err(UdpParseError::Unsendable));
                }
            }
        }
    }
}
