//! The 68-byte BitTorrent handshake and its reserved bits.

/// Length of a complete handshake.
pub const HANDSHAKE_LEN: usize = 68;

/// The first 20 bytes of every plaintext handshake: the length byte and the protocol name.
pub(crate) const PROTOCOL: &[u8; 20] = b"\x13BitTorrent protocol";

/// A peer handshake: reserved bits, info-hash and peer id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handshake {
    /// The eight reserved bytes (feature bits).
    pub reserved: [u8; 8],
    /// The torrent's info-hash (v1, or the truncated v2 hash).
    pub info_hash: [u8; 20],
    /// The sender's peer id.
    pub peer_id: [u8; 20],
}

/// Why a handshake was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The first 20 bytes are not `\x13BitTorrent protocol`.
    #[error("not a BitTorrent handshake")]
    BadProtocol,
}

impl Handshake {
    /// A handshake advertising the extension protocol (BEP 10), the fast extension (BEP 6) and
    /// the DHT (BEP 5: a peer may then send its DHT port).
    pub fn new(info_hash: [u8; 20], peer_id: [u8; 20]) -> Self {
        let mut reserved = [0u8; 8];
        reserved[5] |= 0x10; // BEP 10 extension protocol
        reserved[7] |= 0x04; // BEP 6 fast extension
        reserved[7] |= 0x01; // BEP 5 DHT
        Handshake { reserved, info_hash, peer_id }
    }

    /// True when the peer supports the extension protocol (BEP 10).
    pub fn supports_extensions(&self) -> bool {
        self.reserved[5] & 0x10 != 0
    }

    /// True when the peer supports the fast extension (BEP 6).
    pub fn supports_fast(&self) -> bool {
        self.reserved[7] & 0x04 != 0
    }

    /// True when the peer supports DHT (BEP 5).
    pub fn supports_dht(&self) -> bool {
        self.reserved[7] & 0x01 != 0
    }

    /// The 68 bytes on the wire.
    pub fn encode(&self) -> [u8; HANDSHAKE_LEN] {
        let mut out = [0u8; HANDSHAKE_LEN];
        out[..20].copy_from_slice(PROTOCOL);
        out[20..28].copy_from_slice(&self.reserved);
        out[28..48].copy_from_slice(&self.info_hash);
        out[48..68].copy_from_slice(&self.peer_id);
        out
    }

    /// Parses a handshake from the start of `buf`: `Ok(None)` while fewer than 68 bytes are
    /// available, with the protocol prefix checked as soon as its bytes arrive.
    pub fn decode(buf: &[u8]) -> Result<Option<Handshake>, HandshakeError> {
        let seen = buf.len().min(20);
        if buf[..seen] != PROTOCOL[..seen] {
            return Err(HandshakeError::BadProtocol);
        }
        if buf.len() < HANDSHAKE_LEN {
            return Ok(None);
        }
        let mut hs = Handshake { reserved: [0; 8], info_hash: [0; 20], peer_id: [0; 20] };
        hs.reserved.copy_from_slice(&buf[20..28]);
        hs.info_hash.copy_from_slice(&buf[28..48]);
        hs.peer_id.copy_from_slice(&buf[48..68]);
        Ok(Some(hs))
    }

    /// Parses only the first 48 bytes (protocol, reserved, info-hash): lets a listener route an
    /// incoming connection to its torrent before the peer id arrives.
    pub fn decode_info_hash(buf: &[u8]) -> Result<Option<[u8; 20]>, HandshakeError> {
        let seen = buf.len().min(20);
        if buf[..seen] != PROTOCOL[..seen] {
            return Err(HandshakeError::BadProtocol);
        }
        if buf.len() < 48 {
            return Ok(None);
        }
        let mut h = [0u8; 20];
        h.copy_from_slice(&buf[28..48]);
        Ok(Some(h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_partial() {
        let hs = Handshake::new([1; 20], [2; 20]);
        let bytes = hs.encode();
        assert!(hs.supports_extensions() && hs.supports_fast() && hs.supports_dht());
        for n in 0..HANDSHAKE_LEN {
            assert_eq!(Handshake::decode(&bytes[..n]), Ok(None), "prefix {n}");
        }
        assert_eq!(Handshake::decode(&bytes), Ok(Some(hs)));
        assert_eq!(Handshake::decode_info_hash(&bytes[..48]), Ok(Some([1; 20])));
        let mut bad = bytes;
        bad[3] = b'x';
        assert_eq!(Handshake::decode(&bad[..4]), Err(HandshakeError::BadProtocol));
        assert_eq!(Handshake::decode(b"GET / HTTP/1.1\r\n"), Err(HandshakeError::BadProtocol));
    }
}
