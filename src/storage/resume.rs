//! Fast-resume data: which pieces were verified, and the size and modification time of every
//! file when that was written. On start a piece is trusted only if every file it touches still
//! has the recorded size and mtime; everything else is hashed again, so a crash or an outside
//! change can cost a recheck but never makes a bad piece count as good. Data files are synced
//! before the record is written (atomically), so the record never runs ahead of the disk.

use crate::bencode::{self, Limits, OwnedValue};
use std::collections::BTreeMap;

/// The resume record of one torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeData {
    /// The torrent's v1 info-hash (a record for another torrent is ignored).
    pub info_hash: [u8; 20],
    /// Verified pieces, one bit each, high bit first.
    pub pieces: Vec<u8>,
    /// Per file: size and mtime in seconds, or `None` when the file did not exist.
    pub files: Vec<Option<(u64, i64)>>,
}

/// Why a resume record was ignored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    /// Not decodable.
    #[error("resume data is not valid bencode: {0}")]
    Bencode(String),
    /// Missing or mistyped fields.
    #[error("resume data is malformed: {0}")]
    Malformed(&'static str),
}

impl ResumeData {
    /// Encodes the record.
    pub fn encode(&self) -> Vec<u8> {
        let mut d = BTreeMap::new();
        d.insert(b"info-hash".to_vec(), OwnedValue::bytes(self.info_hash));
        d.insert(b"pieces".to_vec(), OwnedValue::bytes(&self.pieces));
        d.insert(b"version".to_vec(), OwnedValue::Int(1));
        let files = self
            .files
            .iter()
            .map(|f| match f {
                Some((size, mtime)) => OwnedValue::List(vec![OwnedValue::Int(*size as i64), OwnedValue::Int(*mtime)]),
                None => OwnedValue::List(Vec::new()),
            })
            .collect();
        d.insert(b"files".to_vec(), OwnedValue::List(files));
        bencode::encode(&OwnedValue::Dict(d))
    }

    /// Decodes a record.
    pub fn decode(bytes: &[u8]) -> Result<ResumeData, ResumeError> {
        let v = bencode::decode(bytes, Limits::default()).map_err(|e| ResumeError::Bencode(e.to_string()))?;
        let d = v.as_dict().ok_or(ResumeError::Malformed("not a dictionary"))?;
        let info_hash = d
            .get_bytes(b"info-hash")
            .and_then(|b| <[u8; 20]>::try_from(b).ok())
            .ok_or(ResumeError::Malformed("info-hash"))?;
        let pieces = d.get_bytes(b"pieces").ok_or(ResumeError::Malformed("pieces"))?.to_vec();
        let mut files = Vec::new();
        for f in d.get_list(b"files").ok_or(ResumeError::Malformed("files"))? {
            let l = f.as_list().ok_or(ResumeError::Malformed("file entry"))?;
            files.push(match l {
                [] => None,
                [size, mtime] => {
                    let size =
                        size.as_int().and_then(|s| u64::try_from(s).ok()).ok_or(ResumeError::Malformed("file size"))?;
                    Some((size, mtime.as_int().ok_or(ResumeError::Malformed("file mtime"))?))
                }
                _ => return Err(ResumeError::Malformed("file entry")),
            });
        }
        Ok(ResumeData { info_hash, pieces, files })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let r =
            ResumeData { info_hash: [9; 20], pieces: vec![0xf0, 0x80], files: vec![Some((10, 1_700_000_000)), None] };
        assert_eq!(ResumeData::decode(&r.encode()).unwrap(), r);
        assert!(ResumeData::decode(b"garbage").is_err());
        assert!(ResumeData::decode(b"d5:filesli1eee").is_err());
        let enc = r.encode();
        for n in 0..enc.len() {
            assert!(ResumeData::decode(&enc[..n]).is_err());
        }
    }
}
