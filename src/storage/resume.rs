//! Fast-resume data: which pieces were verified, which blocks of unfinished pieces are on disk,
//! and the size and modification time of every file when that was written. On start a piece is
//! trusted only if every file it touches still has the recorded size and mtime; everything else
//! is hashed again, so a crash or an outside change can cost a recheck but never makes a bad
//! piece count as good. Data files are synced before the record is written (atomically), so the
//! record never runs ahead of the disk: a block is listed only once it was synced.

use super::layout::{Layout, PieceIndex};
use crate::bencode::{self, Limits, OwnedValue, Value};
use std::collections::{BTreeMap, HashSet};

/// The resume record of one torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeData {
    /// The torrent's v1 info-hash (a record for another torrent is ignored).
    pub info_hash: [u8; 20],
    /// Verified pieces, one bit each, high bit first.
    pub pieces: Vec<u8>,
    /// Per file: size and mtime in seconds, or `None` when the file did not exist.
    pub files: Vec<Option<(u64, i64)>>,
    /// Pieces with some blocks on disk but not verified (key `unfinished`; absent in older
    /// records, which load with this empty).
    pub unfinished: Vec<UnfinishedPiece>,
}

/// The blocks of one unfinished piece that are on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedPiece {
    /// The piece.
    pub piece: u32,
    /// Its blocks on disk, one bit per 16 KiB block, high bit first (libtorrent's `bitmask`).
    pub bitmask: Vec<u8>,
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
    /// An entry of the unfinished pieces does not fit the torrent.
    #[error("resume data lists unfinished piece {piece}, which {problem}")]
    Unfinished {
        /// The piece number as recorded.
        piece: i64,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl UnfinishedPiece {
    /// The entry for `piece` with the given blocks (block numbers below `blocks`) on disk.
    pub fn new(piece: u32, blocks: u32, on_disk: impl IntoIterator<Item = u32>) -> UnfinishedPiece {
        let mut bitmask = vec![0u8; blocks.div_ceil(8) as usize];
        for b in on_disk.into_iter().filter(|&b| b < blocks) {
            bitmask[(b / 8) as usize] |= 0x80 >> (b % 8);
        }
        UnfinishedPiece { piece, bitmask }
    }

    /// The block numbers set in the bitmask, ascending.
    pub fn blocks(&self) -> Vec<u32> {
        (0..self.bitmask.len() as u32 * 8)
            .filter(|&b| self.bitmask[(b / 8) as usize] & (0x80 >> (b % 8)) != 0)
            .collect()
    }

    fn encode(&self) -> OwnedValue {
        let mut d = BTreeMap::new();
        d.insert(b"bitmask".to_vec(), OwnedValue::bytes(&self.bitmask));
        d.insert(b"piece".to_vec(), OwnedValue::Int(i64::from(self.piece)));
        OwnedValue::Dict(d)
    }

    fn decode(v: &Value<'_>) -> Result<UnfinishedPiece, ResumeError> {
        let d = v.as_dict().ok_or(ResumeError::Malformed("unfinished entry is not a dictionary"))?;
        let piece = d.get_int(b"piece").ok_or(ResumeError::Malformed("unfinished entry without a piece number"))?;
        let piece =
            u32::try_from(piece).map_err(|_| ResumeError::Unfinished { piece, problem: "is not a piece number" })?;
        let bitmask = d
            .get_bytes(b"bitmask")
            .ok_or(ResumeError::Unfinished { piece: i64::from(piece), problem: "has no bitmask" })?
            .to_vec();
        Ok(UnfinishedPiece { piece, bitmask })
    }

    /// This entry's piece and blocks checked against the torrent's geometry and its verified
    /// pieces (`verified(p)`).
    fn check(&self, layout: &Layout, verified: impl Fn(u32) -> bool) -> Result<(PieceIndex, Vec<u32>), ResumeError> {
        let bad = |problem| ResumeError::Unfinished { piece: i64::from(self.piece), problem };
        let piece = layout.piece(self.piece).map_err(|_| bad("is beyond the last piece"))?;
        if verified(self.piece) {
            return Err(bad("is also listed as verified"));
        }
        let count = layout.blocks_in_piece(piece);
        if self.bitmask.len() != count.div_ceil(8) as usize {
            return Err(bad("has a bitmask of the wrong length"));
        }
        let blocks = self.blocks();
        if blocks.last().is_some_and(|&b| b >= count) {
            return Err(bad("has bits set past its last block"));
        }
        if blocks.is_empty() {
            return Err(bad("has no block set"));
        }
        Ok((piece, blocks))
    }
}

impl ResumeData {
    /// Encodes the record (without the `unfinished` key when there are none, as older
    /// versions wrote it).
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
        if !self.unfinished.is_empty() {
            let list = self.unfinished.iter().map(UnfinishedPiece::encode).collect();
            d.insert(b"unfinished".to_vec(), OwnedValue::List(list));
        }
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
        let unfinished = match d.get(b"unfinished") {
            None => Vec::new(),
            Some(v) => decode_unfinished(v)?,
        };
        Ok(ResumeData { info_hash, pieces, files, unfinished })
    }

    /// The unfinished pieces checked against the torrent: each must be a piece of it, not also
    /// verified, with a bitmask of exactly its blocks and at least one set. Any bad entry makes
    /// the whole record suspect, so it is an error rather than skipped.
    pub fn unfinished_blocks(&self, layout: &Layout) -> Result<Vec<(PieceIndex, Vec<u32>)>, ResumeError> {
        let verified = |p: u32| self.pieces.get((p / 8) as usize).is_some_and(|b| b & (0x80 >> (p % 8)) != 0);
        self.unfinished.iter().map(|u| u.check(layout, verified)).collect()
    }
}

/// The `unfinished` list: dictionaries of a piece number and a bitmask, each piece once.
fn decode_unfinished(v: &Value<'_>) -> Result<Vec<UnfinishedPiece>, ResumeError> {
    let list = v.as_list().ok_or(ResumeError::Malformed("unfinished is not a list"))?;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(list.len());
    for entry in list {
        let u = UnfinishedPiece::decode(entry)?;
        if !seen.insert(u.piece) {
            return Err(ResumeError::Unfinished { piece: i64::from(u.piece), problem: "is listed twice" });
        }
        out.push(u);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(unfinished: Vec<UnfinishedPiece>) -> ResumeData {
        ResumeData {
            info_hash: [9; 20],
            pieces: vec![0xf0, 0x80],
            files: vec![Some((10, 1_700_000_000)), None],
            unfinished,
        }
    }

    #[test]
    fn round_trip_and_garbage() {
        let r = record(Vec::new());
        assert_eq!(ResumeData::decode(&r.encode()).unwrap(), r);
        assert!(ResumeData::decode(b"garbage").is_err());
        assert!(ResumeData::decode(b"d5:filesli1eee").is_err());
        let enc = r.encode();
        for n in 0..enc.len() {
            assert!(ResumeData::decode(&enc[..n]).is_err());
        }
    }

    #[test]
    fn unfinished_pieces_round_trip_as_bitmasks() {
        let u = UnfinishedPiece::new(5, 10, [0, 3, 9, 12]);
        assert_eq!(u.bitmask, [0b1001_0000, 0b0100_0000], "block 12 is past the piece and dropped");
        assert_eq!(u.blocks(), [0, 3, 9]);
        let r = record(vec![u, UnfinishedPiece::new(8, 4, [1])]);
        let enc = r.encode();
        assert!(enc.windows(10).any(|w| w == b"unfinished"));
        assert_eq!(ResumeData::decode(&enc).unwrap(), r);
        assert!(!record(Vec::new()).encode().windows(10).any(|w| w == b"unfinished"), "no key when none");
    }

    #[test]
    fn a_record_without_the_field_loads_as_before() {
        // Written by the version before unfinished pieces were kept.
        let old = b"d5:fileslli10ei1700000000eelee9:info-hash20:\x09\x09\x09\x09\x09\x09\x09\x09\x09\x09\
\x09\x09\x09\x09\x09\x09\x09\x09\x09\x096:pieces2:\xf0\x807:versioni1ee";
        let r = ResumeData::decode(old).unwrap();
        assert_eq!(r, record(Vec::new()));
        assert_eq!(r.encode(), old.to_vec(), "and is written the same way");
    }

    fn with_unfinished(field: &[u8]) -> Vec<u8> {
        let mut enc = record(Vec::new()).encode();
        enc.pop(); // the closing `e`, to append a key that sorts last
        enc.extend_from_slice(b"10:unfinished");
        enc.extend_from_slice(field);
        enc.push(b'e');
        enc
    }

    #[test]
    fn a_bad_unfinished_field_is_an_error_naming_it() {
        let cases: [(&[u8], ResumeError); 6] = [
            (b"i3e", ResumeError::Malformed("unfinished is not a list")),
            (b"li3ee", ResumeError::Malformed("unfinished entry is not a dictionary")),
            (b"ld7:bitmask1:\x80ee", ResumeError::Malformed("unfinished entry without a piece number")),
            (b"ld5:piecei-1eee", ResumeError::Unfinished { piece: -1, problem: "is not a piece number" }),
            (b"ld5:piecei2eee", ResumeError::Unfinished { piece: 2, problem: "has no bitmask" }),
            (
                b"ld7:bitmask1:\x805:piecei2eed7:bitmask1:\x405:piecei2eee",
                ResumeError::Unfinished { piece: 2, problem: "is listed twice" },
            ),
        ];
        for (field, want) in cases {
            assert_eq!(ResumeData::decode(&with_unfinished(field)), Err(want.clone()), "{}", want);
        }
        let ok = ResumeData::decode(&with_unfinished(b"ld7:bitmask1:\x805:piecei2eee")).unwrap();
        assert_eq!(ok.unfinished, [UnfinishedPiece { piece: 2, bitmask: vec![0x80] }]);
        let msg = ResumeError::Unfinished { piece: 2, problem: "is listed twice" }.to_string();
        assert_eq!(msg, "resume data lists unfinished piece 2, which is listed twice");
    }

    #[test]
    fn unfinished_pieces_are_checked_against_the_torrent() {
        // Pieces of 40 KiB (3 blocks) and a last one of 20 KiB (2 blocks).
        let layout = Layout::new(&[(100 * 1024, false)], 40 * 1024).unwrap();
        let check = |pieces: Vec<u8>, u: UnfinishedPiece| {
            ResumeData { pieces, unfinished: vec![u], ..record(Vec::new()) }.unfinished_blocks(&layout)
        };
        let got = check(vec![0x80], UnfinishedPiece::new(1, 3, [0, 2])).unwrap();
        assert_eq!((got[0].0.get(), got[0].1.clone()), (1, vec![0, 2]));
        let err = |piece, problem| Err(ResumeError::Unfinished { piece, problem });
        assert_eq!(check(vec![0], UnfinishedPiece::new(3, 3, [0])), err(3, "is beyond the last piece"));
        assert_eq!(check(vec![0x80], UnfinishedPiece::new(0, 3, [1])), err(0, "is also listed as verified"));
        let long = UnfinishedPiece { piece: 1, bitmask: vec![0x80, 0] };
        assert_eq!(check(vec![0], long), err(1, "has a bitmask of the wrong length"));
        assert_eq!(check(vec![0], UnfinishedPiece::new(2, 8, [2])), err(2, "has bits set past its last block"));
        assert_eq!(check(vec![0], UnfinishedPiece::new(1, 3, [])), err(1, "has no block set"));
    }
}
