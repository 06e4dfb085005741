//! Length-prefixed peer messages (BEP 3, the BEP 6 fast extension, the BEP 10 envelope and the
//! BEP 52 hash messages).
//!
//! The codec checks each message's own shape (length per type, maximum length). Checks that
//! need the torrent (piece index in range, block inside the piece, bitfield spare bits) belong
//! to the peer state machine, which knows the layout.

/// Largest length prefix accepted by default (BitTornado's `max_message_length`, 8 MiB).
pub const DEFAULT_MAX_MESSAGE_LEN: u32 = 8 * 1024 * 1024;

/// A block: piece index, offset inside the piece and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockRef {
    /// Piece index.
    pub piece: u32,
    /// Byte offset inside the piece.
    pub begin: u32,
    /// Length in bytes.
    pub length: u32,
}

/// A range of one file's merkle tree (BEP 52): `count` nodes of layer `base` (0 = the 16 KiB
/// leaves) from `index`, and the uncle hashes of the `proof_layers` layers above them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HashRange {
    /// The file's `pieces root`.
    pub root: [u8; 32],
    /// The layer, counted from the leaves.
    pub base: u32,
    /// The first node's index in that layer.
    pub index: u32,
    /// How many nodes.
    pub count: u32,
    /// How many layers of proof above them.
    pub proof_layers: u32,
}

/// Bytes of an encoded [`HashRange`].
const HASH_RANGE_LEN: usize = 32 + 4 * 4;

impl HashRange {
    fn decode(b: &[u8]) -> HashRange {
        let mut root = [0u8; 32];
        root.copy_from_slice(&b[..32]);
        HashRange {
            root,
            base: be32(&b[32..]),
            index: be32(&b[36..]),
            count: be32(&b[40..]),
            proof_layers: be32(&b[44..]),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.root);
        for v in [self.base, self.index, self.count, self.proof_layers] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

/// One peer message; payloads borrow from the receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// Zero-length keep-alive.
    KeepAlive,
    /// id 0.
    Choke,
    /// id 1.
    Unchoke,
    /// id 2.
    Interested,
    /// id 3.
    NotInterested,
    /// id 4: the sender completed a piece.
    Have(u32),
    /// id 5: the sender's pieces, one bit per piece, high bit first.
    Bitfield(&'a [u8]),
    /// id 6.
    Request(BlockRef),
    /// id 7: block data.
    Piece {
        /// Piece index.
        piece: u32,
        /// Offset inside the piece.
        begin: u32,
        /// The data.
        data: &'a [u8],
    },
    /// id 8.
    Cancel(BlockRef),
    /// id 9: the sender's DHT port.
    Port(u16),
    /// id 13 (BEP 6).
    Suggest(u32),
    /// id 14 (BEP 6).
    HaveAll,
    /// id 15 (BEP 6).
    HaveNone,
    /// id 16 (BEP 6): a request will not be served.
    Reject(BlockRef),
    /// id 17 (BEP 6).
    AllowedFast(u32),
    /// id 20 (BEP 10): extended message with its sub-id (0 = extension handshake).
    Extended {
        /// Extension message id.
        id: u8,
        /// Bencoded or extension-specific payload.
        payload: &'a [u8],
    },
    /// id 21 (BEP 52): asks for a range of a file's merkle tree.
    HashRequest(HashRange),
    /// id 22 (BEP 52): the nodes of a range, then its uncle hashes (32 bytes each).
    Hashes {
        /// The range answered.
        range: HashRange,
        /// The hashes, concatenated.
        hashes: &'a [u8],
    },
    /// id 23 (BEP 52): a hash request will not be served.
    HashReject(HashRange),
    /// Any other id: ignored by peers, kept so callers can log it.
    Unknown {
        /// The message id.
        id: u8,
        /// The payload.
        payload: &'a [u8],
    },
}

/// A message that breaks the protocol: the connection that sent it is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The length prefix exceeds the limit.
    #[error("message length {len} exceeds the limit of {max}")]
    TooLong {
        /// Announced length.
        len: u32,
        /// The limit in force.
        max: u32,
    },
    /// A message of a fixed-size type had the wrong length.
    #[error("message id {id} has length {len}, expected {expected}")]
    BadLength {
        /// The message id.
        id: u8,
        /// Its length (including the id byte).
        len: u32,
        /// The required length.
        expected: u32,
    },
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

impl<'a> Message<'a> {
    /// Decodes one message from the start of `buf`. `Ok(None)` means more bytes are needed; on
    /// success returns the message and the bytes it used.
    pub fn decode(buf: &'a [u8], max_len: u32) -> Result<Option<(Message<'a>, usize)>, WireError> {
        if buf.len() < 4 {
            return Ok(None);
        }
        let len = be32(buf);
        if len > max_len {
            return Err(WireError::TooLong { len, max: max_len });
        }
        let total = 4 + len as usize;
        if buf.len() < total {
            return Ok(None);
        }
        if len == 0 {
            return Ok(Some((Message::KeepAlive, 4)));
        }
        let id = buf[4];
        let body = &buf[5..total];
        let fixed = |expected: u32| {
            if len == expected {
                Ok(())
            } else {
                Err(WireError::BadLength { id, len, expected })
            }
        };
        let block = |b: &[u8]| BlockRef { piece: be32(b), begin: be32(&b[4..]), length: be32(&b[8..]) };
        let msg = match id {
            0 => fixed(1).map(|_| Message::Choke)?,
            1 => fixed(1).map(|_| Message::Unchoke)?,
            2 => fixed(1).map(|_| Message::Interested)?,
            3 => fixed(1).map(|_| Message::NotInterested)?,
            4 => fixed(5).map(|_| Message::Have(be32(body)))?,
            5 => Message::Bitfield(body),
            6 => fixed(13).map(|_| Message::Request(block(body)))?,
            7 => {
                if len < 9 {
                    return Err(WireError::BadLength { id, len, expected: 9 });
                }
                Message::Piece { piece: be32(body), begin: be32(&body[4..]), data: &body[8..] }
            }
            8 => fixed(13).map(|_| Message::Cancel(block(body)))?,
            9 => fixed(3).map(|_| Message::Port(u16::from_be_bytes([body[0], body[1]])))?,
            13 => fixed(5).map(|_| Message::Suggest(be32(body)))?,
            14 => fixed(1).map(|_| Message::HaveAll)?,
            15 => fixed(1).map(|_| Message::HaveNone)?,
            16 => fixed(13).map(|_| Message::Reject(block(body)))?,
            17 => fixed(5).map(|_| Message::AllowedFast(be32(body)))?,
            20 => {
                if len < 2 {
                    return Err(WireError::BadLength { id, len, expected: 2 });
                }
                Message::Extended { id: body[0], payload: &body[1..] }
            }
            21 => fixed(1 + HASH_RANGE_LEN as u32).map(|_| Message::HashRequest(HashRange::decode(body)))?,
            22 => {
                let min = 1 + HASH_RANGE_LEN as u32;
                if len < min || !(len - min).is_multiple_of(32) {
                    return Err(WireError::BadLength { id, len, expected: min });
                }
                Message::Hashes { range: HashRange::decode(body), hashes: &body[HASH_RANGE_LEN..] }
            }
            23 => fixed(1 + HASH_RANGE_LEN as u32).map(|_| Message::HashReject(HashRange::decode(body)))?,
            other => Message::Unknown { id: other, payload: body },
        };
        Ok(Some((msg, total)))
    }

    /// Appends the encoded message to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let put_block = |out: &mut Vec<u8>, id: u8, b: &BlockRef| {
            out.extend_from_slice(&13u32.to_be_bytes());
            out.push(id);
            out.extend_from_slice(&b.piece.to_be_bytes());
            out.extend_from_slice(&b.begin.to_be_bytes());
            out.extend_from_slice(&b.length.to_be_bytes());
        };
        let put_u32 = |out: &mut Vec<u8>, id: u8, v: u32| {
            out.extend_from_slice(&5u32.to_be_bytes());
            out.push(id);
            out.extend_from_slice(&v.to_be_bytes());
        };
        let put_empty = |out: &mut Vec<u8>, id: u8| {
            out.extend_from_slice(&1u32.to_be_bytes());
            out.push(id);
        };
        match self {
            Message::KeepAlive => out.extend_from_slice(&0u32.to_be_bytes()),
            Message::Choke => put_empty(out, 0),
            Message::Unchoke => put_empty(out, 1),
            Message::Interested => put_empty(out, 2),
            Message::NotInterested => put_empty(out, 3),
            Message::Have(i) => put_u32(out, 4, *i),
            Message::Bitfield(bits) => {
                out.extend_from_slice(&(1 + bits.len() as u32).to_be_bytes());
                out.push(5);
                out.extend_from_slice(bits);
            }
            Message::Request(b) => put_block(out, 6, b),
            Message::Piece { piece, begin, data } => {
                Self::encode_piece_header(out, *piece, *begin, data.len() as u32);
                out.extend_from_slice(data);
            }
            Message::Cancel(b) => put_block(out, 8, b),
            Message::Port(p) => {
                out.extend_from_slice(&3u32.to_be_bytes());
                out.push(9);
                out.extend_from_slice(&p.to_be_bytes());
            }
            Message::Suggest(i) => put_u32(out, 13, *i),
            Message::HaveAll => put_empty(out, 14),
            Message::HaveNone => put_empty(out, 15),
            Message::Reject(b) => put_block(out, 16, b),
            Message::AllowedFast(i) => put_u32(out, 17, *i),
            Message::Extended { id, payload } => {
                out.extend_from_slice(&(2 + payload.len() as u32).to_be_bytes());
                out.push(20);
                out.push(*id);
                out.extend_from_slice(payload);
            }
            Message::HashRequest(r) | Message::HashReject(r) => {
                out.extend_from_slice(&(1 + HASH_RANGE_LEN as u32).to_be_bytes());
                out.push(if matches!(self, Message::HashRequest(_)) { 21 } else { 23 });
                r.encode(out);
            }
            Message::Hashes { range, hashes } => {
                out.extend_from_slice(&((1 + HASH_RANGE_LEN + hashes.len()) as u32).to_be_bytes());
                out.push(22);
                range.encode(out);
                out.extend_from_slice(hashes);
            }
            Message::Unknown { id, payload } => {
                out.extend_from_slice(&(1 + payload.len() as u32).to_be_bytes());
                out.push(*id);
                out.extend_from_slice(payload);
            }
        }
    }

    /// Appends the 13-byte header of a piece message whose `len` data bytes the caller sends
    /// separately (e.g. straight from a file mapping with writev).
    pub fn encode_piece_header(out: &mut Vec<u8>, piece: u32, begin: u32, len: u32) {
        out.extend_from_slice(&(9 + len).to_be_bytes());
        out.push(7);
        out.extend_from_slice(&piece.to_be_bytes());
        out.extend_from_slice(&begin.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASHES: HashRange = HashRange { root: [9; 32], base: 6, index: 512, count: 512, proof_layers: 3 };

    fn all() -> Vec<Message<'static>> {
        let b = BlockRef { piece: 7, begin: 16384, length: 16384 };
        vec![
            Message::KeepAlive,
            Message::Choke,
            Message::Unchoke,
            Message::Interested,
            Message::NotInterested,
            Message::Have(42),
            Message::Bitfield(&[0xff, 0x80]),
            Message::Request(b),
            Message::Piece { piece: 1, begin: 2, data: b"hello" },
            Message::Cancel(b),
            Message::Port(6881),
            Message::Suggest(3),
            Message::HaveAll,
            Message::HaveNone,
            Message::Reject(b),
            Message::AllowedFast(9),
            Message::Extended { id: 0, payload: b"de" },
            Message::HashRequest(HASHES),
            Message::Hashes { range: HASHES, hashes: &[7; 64] },
            Message::HashReject(HASHES),
            Message::Unknown { id: 99, payload: b"x" },
        ]
    }

    #[test]
    fn round_trip_every_message_and_every_prefix() {
        for m in all() {
            let mut buf = Vec::new();
            m.encode(&mut buf);
            for n in 0..buf.len() {
                assert_eq!(Message::decode(&buf[..n], DEFAULT_MAX_MESSAGE_LEN), Ok(None), "{m:?} prefix {n}");
            }
            assert_eq!(Message::decode(&buf, DEFAULT_MAX_MESSAGE_LEN), Ok(Some((m, buf.len()))));
        }
    }

    #[test]
    fn rule_breakers_are_errors() {
        let huge = [0xff, 0xff, 0xff, 0xff, 7];
        assert!(matches!(Message::decode(&huge, DEFAULT_MAX_MESSAGE_LEN), Err(WireError::TooLong { .. })));
        let bad_have = [0, 0, 0, 3, 4, 0, 0];
        assert!(matches!(Message::decode(&bad_have, 100), Err(WireError::BadLength { id: 4, .. })));
        let short_piece = [0, 0, 0, 5, 7, 0, 0, 0, 1];
        assert!(matches!(Message::decode(&short_piece, 100), Err(WireError::BadLength { id: 7, .. })));
        let mut odd_hashes = Vec::new();
        Message::Hashes { range: HASHES, hashes: &[1; 40] }.encode(&mut odd_hashes);
        assert!(matches!(Message::decode(&odd_hashes, 1000), Err(WireError::BadLength { id: 22, .. })));
        let mut long_request = Vec::new();
        Message::Unknown { id: 21, payload: &[0; 49] }.encode(&mut long_request);
        assert!(matches!(Message::decode(&long_request, 1000), Err(WireError::BadLength { id: 21, .. })));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x1234_5678u32;
        for len in 0..300usize {
            let buf: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    (seed % 24) as u8
                })
                .collect();
            let _ = Message::decode(&buf, 1024);
        }
    }
}
