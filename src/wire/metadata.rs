//! BEP 9 metadata exchange (`ut_metadata`): the messages that let a peer holding only an
//! info-hash (a magnet link) fetch the info dictionary in 16 KiB pieces.

use crate::bencode::{self, Limits, OwnedValue};
use std::collections::BTreeMap;

/// Bytes per metadata piece (the last may be shorter).
pub const METADATA_PIECE: usize = 16 * 1024;

/// The extension's name in the extension handshake.
pub const UT_METADATA: &str = "ut_metadata";

/// One `ut_metadata` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataMessage<'a> {
    /// `msg_type` 0: asks for piece `piece` of the info dictionary.
    Request {
        /// Metadata piece index.
        piece: u32,
    },
    /// `msg_type` 1: piece `piece` of an info dictionary of `total_size` bytes.
    Data {
        /// Metadata piece index.
        piece: u32,
        /// Size of the whole info dictionary.
        total_size: u64,
        /// The piece's bytes.
        data: &'a [u8],
    },
    /// `msg_type` 2: the sender will not send piece `piece`.
    Reject {
        /// Metadata piece index.
        piece: u32,
    },
}

/// Why a `ut_metadata` message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// The payload does not start with a bencoded dictionary.
    #[error("ut_metadata message is not a bencoded dictionary: {0}")]
    NotADict(String),
    /// `msg_type` or `piece` missing, negative or unknown.
    #[error("ut_metadata message has a missing or bad {0}")]
    BadField(&'static str),
}

impl<'a> MetadataMessage<'a> {
    /// Decodes a message payload (after the extended message id).
    pub fn decode(payload: &'a [u8]) -> Result<MetadataMessage<'a>, MetadataError> {
        let limits = Limits { max_depth: 4, max_tokens: 64, require_sorted_keys: false };
        let (v, end) = bencode::decode_prefix(payload, limits).map_err(|e| MetadataError::NotADict(e.to_string()))?;
        let d = v.as_dict().ok_or_else(|| MetadataError::NotADict("top level is not a dictionary".into()))?;
        let piece = d.get_int(b"piece").and_then(|p| u32::try_from(p).ok()).ok_or(MetadataError::BadField("piece"))?;
        match d.get_int(b"msg_type") {
            Some(0) => Ok(MetadataMessage::Request { piece }),
            Some(1) => {
                let total_size = d
                    .get_int(b"total_size")
                    .and_then(|s| u64::try_from(s).ok())
                    .ok_or(MetadataError::BadField("total_size"))?;
                Ok(MetadataMessage::Data { piece, total_size, data: &payload[end..] })
            }
            Some(2) => Ok(MetadataMessage::Reject { piece }),
            _ => Err(MetadataError::BadField("msg_type")),
        }
    }

    /// Encodes the message payload (to send after the peer's extended message id).
    pub fn encode(&self) -> Vec<u8> {
        let mut d = BTreeMap::new();
        let (kind, piece) = match self {
            MetadataMessage::Request { piece } => (0, piece),
            MetadataMessage::Data { piece, total_size, .. } => {
                d.insert(b"total_size".to_vec(), OwnedValue::Int(*total_size as i64));
                (1, piece)
            }
            MetadataMessage::Reject { piece } => (2, piece),
        };
        d.insert(b"msg_type".to_vec(), OwnedValue::Int(kind));
        d.insert(b"piece".to_vec(), OwnedValue::Int(i64::from(*piece)));
        let mut out = bencode::encode(&OwnedValue::Dict(d));
        if let MetadataMessage::Data { data, .. } = self {
            out.extend_from_slice(data);
        }
        out
    }
}

/// The reply to a request for metadata piece `piece` of `info` (the info dictionary's bytes):
/// the piece, or a reject past the end.
pub fn answer(info: &[u8], piece: u32) -> MetadataMessage<'_> {
    let start = piece as usize * METADATA_PIECE;
    if start >= info.len() {
        return MetadataMessage::Reject { piece };
    }
    let data = &info[start..info.len().min(start + METADATA_PIECE)];
    MetadataMessage::Data { piece, total_size: info.len() as u64, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let msgs = [
            MetadataMessage::Request { piece: 3 },
            MetadataMessage::Reject { piece: 0 },
            MetadataMessage::Data { piece: 1, total_size: 20000, data: b"d4:name1:xe" },
        ];
        for m in msgs {
            assert_eq!(MetadataMessage::decode(&m.encode()).unwrap(), m);
        }
        // BEP 9's own example of a request.
        assert_eq!(
            MetadataMessage::decode(b"d8:msg_typei0e5:piecei0ee").unwrap(),
            MetadataMessage::Request { piece: 0 }
        );
    }

    #[test]
    fn bad_messages_are_errors() {
        for bad in [
            &b"i1e"[..],
            b"d8:msg_typei9e5:piecei0ee",
            b"d8:msg_typei0e5:piecei-1ee",
            b"d5:piecei0ee",
            b"d8:msg_typei1e5:piecei0ee",
            b"d8:msg",
        ] {
            assert!(MetadataMessage::decode(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn answers_cover_the_info_dict_in_16_kib_pieces() {
        let info: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
        let mut joined = Vec::new();
        for piece in 0..3 {
            match answer(&info, piece) {
                MetadataMessage::Data { total_size, data, .. } => {
                    assert_eq!(total_size, 40_000);
                    joined.extend_from_slice(data);
                }
                other => panic!("piece {piece}: {other:?}"),
            }
        }
        assert_eq!(joined, info);
        assert_eq!(answer(&info, 3), MetadataMessage::Reject { piece: 3 });
        assert_eq!(answer(&info, u32::MAX), MetadataMessage::Reject { piece: u32::MAX });
    }
}
