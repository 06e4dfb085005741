//! The BEP 10 extension handshake (extended message id 0).

use crate::bencode::{self, Limits, OwnedValue};
use std::collections::BTreeMap;

/// The fields of an extension handshake this engine reads and writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtensionHandshake {
    /// Extension names mapped to the message ids the sender wants to receive them as.
    pub extensions: BTreeMap<String, u8>,
    /// The sender's listening port (`p`).
    pub listen_port: Option<u16>,
    /// Client name and version (`v`).
    pub client: Option<String>,
    /// How many outstanding requests the sender accepts (`reqq`).
    pub request_queue: Option<u32>,
    /// Our address as the sender sees it (`yourip`, 4 or 16 bytes).
    pub your_ip: Option<Vec<u8>>,
    /// Size of the info dictionary, for metadata exchange (`metadata_size`).
    pub metadata_size: Option<u64>,
}

/// Why an extension handshake was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtendedError {
    /// The payload is not a bencoded dictionary.
    #[error("extension handshake is not a bencoded dictionary: {0}")]
    NotADict(String),
}

impl ExtensionHandshake {
    /// Decodes a handshake payload; unknown keys are ignored and malformed optional fields
    /// are dropped rather than failing the connection.
    pub fn decode(payload: &[u8]) -> Result<ExtensionHandshake, ExtendedError> {
        let limits = Limits { max_depth: 8, max_tokens: 4096, require_sorted_keys: false };
        let v = bencode::decode(payload, limits).map_err(|e| ExtendedError::NotADict(e.to_string()))?;
        let d = v.as_dict().ok_or_else(|| ExtendedError::NotADict("top level is not a dictionary".into()))?;
        let mut hs = ExtensionHandshake::default();
        if let Some(m) = d.get_dict(b"m") {
            for (k, v) in m.entries() {
                if let (Ok(name), Some(id)) = (std::str::from_utf8(k), v.as_int()) {
                    if let Ok(id) = u8::try_from(id) {
                        hs.extensions.insert(name.to_string(), id);
                    }
                }
            }
        }
        hs.listen_port = d.get_int(b"p").and_then(|p| u16::try_from(p).ok()).filter(|p| *p != 0);
        hs.client = d.get_str(b"v").map(str::to_string);
        hs.request_queue = d.get_int(b"reqq").and_then(|q| u32::try_from(q).ok());
        hs.your_ip = d.get_bytes(b"yourip").filter(|b| b.len() == 4 || b.len() == 16).map(<[u8]>::to_vec);
        hs.metadata_size = d.get_int(b"metadata_size").and_then(|s| u64::try_from(s).ok());
        Ok(hs)
    }

    /// Encodes the handshake as a canonical bencoded dictionary.
    pub fn encode(&self) -> Vec<u8> {
        let mut top = BTreeMap::new();
        let m = self.extensions.iter().map(|(k, v)| (k.as_bytes().to_vec(), OwnedValue::Int(i64::from(*v)))).collect();
        top.insert(b"m".to_vec(), OwnedValue::Dict(m));
        if let Some(p) = self.listen_port {
            top.insert(b"p".to_vec(), OwnedValue::Int(i64::from(p)));
        }
        if let Some(v) = &self.client {
            top.insert(b"v".to_vec(), OwnedValue::bytes(v));
        }
        if let Some(q) = self.request_queue {
            top.insert(b"reqq".to_vec(), OwnedValue::Int(i64::from(q)));
        }
        if let Some(ip) = &self.your_ip {
            top.insert(b"yourip".to_vec(), OwnedValue::bytes(ip));
        }
        if let Some(s) = self.metadata_size {
            top.insert(b"metadata_size".to_vec(), OwnedValue::Int(s as i64));
        }
        bencode::encode(&OwnedValue::Dict(top))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut hs = ExtensionHandshake {
            listen_port: Some(6881),
            client: Some("bitgocho 0.1".into()),
            request_queue: Some(500),
            your_ip: Some(vec![127, 0, 0, 1]),
            metadata_size: Some(1234),
            ..Default::default()
        };
        hs.extensions.insert("ut_metadata".into(), 2);
        let bytes = hs.encode();
        assert_eq!(ExtensionHandshake::decode(&bytes).unwrap(), hs);
    }

    #[test]
    fn tolerant_of_odd_fields_strict_on_garbage() {
        let odd = b"d1:md6:ut_pexi999ee1:pi-5e4:reqqi-1e6:yourip3:abce";
        let hs = ExtensionHandshake::decode(odd).unwrap();
        assert!(hs.extensions.is_empty() && hs.listen_port.is_none() && hs.request_queue.is_none());
        assert!(hs.your_ip.is_none());
        assert!(ExtensionHandshake::decode(b"i1e").is_err());
        assert!(ExtensionHandshake::decode(b"d1:m").is_err());
    }
}
