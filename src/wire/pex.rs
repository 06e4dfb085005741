//! BEP 11 peer exchange (`ut_pex`): the peers a sender connected to and dropped since its last
//! message, as compact addresses with a flags byte per added peer.

use crate::announce::response::compact_peers;
use crate::bencode::{self, Limits, OwnedValue};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

/// The extension's name in the extension handshake.
pub const UT_PEX: &str = "ut_pex";

/// Most peers read from each list of a received message, and put in each list we send.
pub const MAX_PEX_PEERS: usize = 50;

/// `added.f` bit: the peer prefers encryption.
pub const FLAG_ENCRYPTION: u8 = 0x01;
/// `added.f` bit: the peer is a seed.
pub const FLAG_SEED: u8 = 0x02;
/// `added.f` bit: the sender reached the peer by connecting to it (it accepts connections).
pub const FLAG_REACHABLE: u8 = 0x10;

/// One `ut_pex` message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PexMessage {
    /// Peers connected since the last message, each with its flags.
    pub added: Vec<(SocketAddr, u8)>,
    /// Peers disconnected since the last message.
    pub dropped: Vec<SocketAddr>,
}

/// Why a `ut_pex` message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PexError {
    /// The payload is not a bencoded dictionary.
    #[error("ut_pex message is not a bencoded dictionary: {0}")]
    NotADict(String),
}

impl PexMessage {
    /// Decodes a message payload. Address lists whose length is not a multiple of an entry's
    /// size are cut to whole entries, each list is read up to [`MAX_PEX_PEERS`] entries, and a
    /// missing or short flags list means no flags.
    pub fn decode(payload: &[u8]) -> Result<PexMessage, PexError> {
        let limits = Limits { max_depth: 4, max_tokens: 64, require_sorted_keys: false };
        let v = bencode::decode(payload, limits).map_err(|e| PexError::NotADict(e.to_string()))?;
        let d = v.as_dict().ok_or_else(|| PexError::NotADict("top level is not a dictionary".into()))?;
        let list = |key: &[u8]| d.get_bytes(key).unwrap_or_default();
        let mut msg = PexMessage::default();
        for (key, flags_key, v6) in [(&b"added"[..], &b"added.f"[..], false), (b"added6", b"added6.f", true)] {
            let flags = list(flags_key);
            for (i, addr) in compact(list(key), v6).into_iter().enumerate() {
                msg.added.push((addr, flags.get(i).copied().unwrap_or(0)));
            }
        }
        for (key, v6) in [(&b"dropped"[..], false), (b"dropped6", true)] {
            msg.dropped.extend(compact(list(key), v6));
        }
        Ok(msg)
    }

    /// Encodes the message, IPv4 and IPv6 peers in their own lists.
    pub fn encode(&self) -> Vec<u8> {
        let mut d = BTreeMap::new();
        let (mut a4, mut f4, mut a6, mut f6, mut d4, mut d6) = Default::default();
        for (addr, flags) in &self.added {
            let (list, fl): (&mut Vec<u8>, &mut Vec<u8>) =
                if addr.is_ipv4() { (&mut a4, &mut f4) } else { (&mut a6, &mut f6) };
            put(list, addr);
            fl.push(*flags);
        }
        for addr in &self.dropped {
            put(if addr.is_ipv4() { &mut d4 } else { &mut d6 }, addr);
        }
        for (key, bytes) in [
            (&b"added"[..], a4),
            (b"added.f", f4),
            (b"added6", a6),
            (b"added6.f", f6),
            (b"dropped", d4),
            (b"dropped6", d6),
        ] {
            d.insert(key.to_vec(), OwnedValue::Bytes(bytes));
        }
        bencode::encode(&OwnedValue::Dict(d))
    }
}

/// The addresses of a compact list (6 bytes each, or 18 for IPv6; a trailing partial entry is
/// dropped), at most [`MAX_PEX_PEERS`].
fn compact(bytes: &[u8], v6: bool) -> Vec<SocketAddr> {
    let width = if v6 { 18 } else { 6 };
    let whole = (bytes.len() / width).min(MAX_PEX_PEERS) * width;
    let mut out = Vec::new();
    // Whole entries only, so the decoder cannot fail.
    let _ = compact_peers(&bytes[..whole], width, &mut out);
    out
}

/// Appends `addr` in compact form.
fn put(out: &mut Vec<u8>, addr: &SocketAddr) {
    match addr.ip() {
        IpAddr::V4(ip) => out.extend_from_slice(&ip.octets()),
        IpAddr::V6(ip) => out.extend_from_slice(&ip.octets()),
    }
    out.extend_from_slice(&addr.port().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn round_trip_both_families() {
        let msg = PexMessage {
            added: vec![(a("10.0.0.1:6881"), FLAG_SEED | FLAG_REACHABLE), (a("[::1]:7000"), 0), (a("10.0.0.2:1"), 0)],
            dropped: vec![a("192.168.1.9:51413"), a("[2001:db8::2]:80")],
        };
        let back = PexMessage::decode(&msg.encode()).unwrap();
        assert_eq!(back.added.len(), 3);
        for entry in &msg.added {
            assert!(back.added.contains(entry), "{entry:?}");
        }
        assert_eq!(back.dropped, msg.dropped);
    }

    #[test]
    fn odd_lists_are_cut_and_bounded() {
        // 2.5 IPv4 entries, flags for one of them, 200 dropped entries.
        let mut d = BTreeMap::new();
        d.insert(b"added".to_vec(), OwnedValue::Bytes(vec![127, 0, 0, 1, 0, 80, 127, 0, 0, 2, 0, 81, 9, 9, 9]));
        d.insert(b"added.f".to_vec(), OwnedValue::Bytes(vec![FLAG_SEED]));
        d.insert(b"dropped".to_vec(), OwnedValue::Bytes(vec![1; 6 * 200]));
        let msg = PexMessage::decode(&bencode::encode(&OwnedValue::Dict(d))).unwrap();
        assert_eq!(msg.added, vec![(a("127.0.0.1:80"), FLAG_SEED), (a("127.0.0.2:81"), 0)]);
        assert_eq!(msg.dropped.len(), MAX_PEX_PEERS);
        assert!(PexMessage::decode(b"le").is_err());
        assert_eq!(PexMessage::decode(b"de").unwrap(), PexMessage::default());
    }
}
