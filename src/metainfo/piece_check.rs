//! What a piece's bytes must hash to: its v1 SHA-1, (v2-only torrents, BEP 52) the root of the
//! merkle subtree over its 16 KiB leaves, from the file's piece layer or pieces root, or for a
//! hybrid torrent both, so that neither hash alone (SHA-1 collisions) lets a bad piece through.

use super::merkle::{leaf_count, root_from_layer, Hash32, BLOCK_SIZE};
use super::model::Metainfo;

/// How to verify one piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceCheck {
    /// The SHA-1 of the whole piece (v1 torrents).
    Sha1([u8; 20]),
    /// The root of the SHA-256 merkle tree over the piece's leaves (v2-only torrents).
    Merkle {
        /// The expected root: the piece's node in its file's piece layer, or the file's pieces
        /// root for a file of at most one piece.
        root: Hash32,
        /// Bytes of the file in this piece; the pad bytes after them are not hashed.
        data_len: u32,
        /// Leaves the tree is padded to with zero hashes (a power of two).
        width: u32,
    },
    /// Both (hybrid torrents): the SHA-1 of the whole piece, pad bytes included, and the merkle
    /// root over the leaves of its first `data_len` bytes.
    Hybrid {
        /// The piece's v1 SHA-1.
        sha1: [u8; 20],
        /// As [`PieceCheck::Merkle`].
        root: Hash32,
        /// As [`PieceCheck::Merkle`].
        data_len: u32,
        /// As [`PieceCheck::Merkle`].
        width: u32,
    },
}

impl PieceCheck {
    /// How many of the piece's `piece_len` bytes are hashed.
    pub fn hash_len(&self, piece_len: usize) -> usize {
        match self {
            PieceCheck::Sha1(_) | PieceCheck::Hybrid { .. } => piece_len,
            PieceCheck::Merkle { data_len, .. } => (*data_len as usize).min(piece_len),
        }
    }

    /// True when the hashes computed over the first [`PieceCheck::hash_len`] bytes (`sha1` for a
    /// v1 check, `leaves` for a v2 one) are the expected ones.
    pub fn matches(&self, sha1: Option<&[u8; 20]>, leaves: &[Hash32]) -> bool {
        match self {
            PieceCheck::Sha1(expect) => sha1 == Some(expect),
            PieceCheck::Merkle { root, data_len, width } => merkle_matches(leaves, root, *data_len, *width),
            PieceCheck::Hybrid { sha1: expect, root, data_len, width } => {
                sha1 == Some(expect) && merkle_matches(leaves, root, *data_len, *width)
            }
        }
    }
}

/// True when `leaves` (of the piece's first `data_len` bytes) make `root`.
fn merkle_matches(leaves: &[Hash32], root: &Hash32, data_len: u32, width: u32) -> bool {
    let want = u64::from(data_len).div_ceil(BLOCK_SIZE) as usize;
    leaves.len() == want && root_from_layer(leaves, width as usize, [0u8; 32]) == *root
}

impl Metainfo {
    /// The 20-byte info-hash the swarm knows the torrent by (handshakes, trackers): the v1 hash,
    /// or for a v2-only torrent its SHA-256 info-hash truncated to 20 bytes (BEP 52).
    pub fn swarm_info_hash(&self) -> [u8; 20] {
        match (self.info_hash_v1, self.info_hash_v2) {
            (Some(v1), _) => v1,
            (None, Some(v2)) => v2[..20].try_into().unwrap_or_default(),
            (None, None) => [0u8; 20],
        }
    }

    /// How to verify piece `index`: its v1 SHA-1 and, for a hybrid torrent, its v2 merkle root
    /// too; for a v2-only torrent its merkle root. `None` past the end, or for a v2-only piece
    /// whose file has no piece layer in the .torrent (such a torrent cannot be verified without
    /// asking peers for hashes). A hybrid piece without a usable v2 hash is checked by SHA-1.
    pub fn piece_check(&self, index: u64) -> Option<PieceCheck> {
        if self.pieces.is_some() {
            let sha1 = *self.piece_hash(index)?;
            return Some(match self.info_hash_v2.and_then(|_| self.merkle_check(index)) {
                Some(PieceCheck::Merkle { root, data_len, width }) => {
                    PieceCheck::Hybrid { sha1, root, data_len, width }
                }
                _ => PieceCheck::Sha1(sha1),
            });
        }
        self.merkle_check(index)
    }

    /// The v2 check of piece `index` (see [`Metainfo::piece_check`]).
    fn merkle_check(&self, index: u64) -> Option<PieceCheck> {
        let pos = index.checked_mul(self.piece_length).filter(|p| *p < self.total_length)?;
        let at = self.files.partition_point(|f| f.offset + f.length <= pos);
        let file = self.files.get(at).filter(|f| !f.is_pad() && f.offset <= pos)?;
        let in_file = pos - file.offset;
        let data_len = u32::try_from(self.piece_length.min(file.length - in_file)).ok()?;
        if let Some(layer) = self.piece_layer(at) {
            let root = *layer.get(usize::try_from(in_file / self.piece_length).ok()?)?;
            let width = u32::try_from(self.piece_length / BLOCK_SIZE).ok()?;
            return Some(PieceCheck::Merkle { root, data_len, width });
        }
        if file.length > self.piece_length {
            return None;
        }
        let width = u32::try_from(leaf_count(file.length).next_power_of_two()).ok()?;
        Some(PieceCheck::Merkle { root: *file.pieces_root()?, data_len, width })
    }

    /// True when every piece has a [`PieceCheck`], so the torrent can be downloaded and checked:
    /// it has v1 hashes, or each file of data has a pieces root and, beyond one piece, a piece
    /// layer (whose size the parser checked).
    pub fn is_verifiable(&self) -> bool {
        self.pieces.is_some()
            || self
                .files
                .iter()
                .filter(|f| !f.is_pad() && f.length > 0)
                .all(|f| f.pieces_root.is_some() && (f.length <= self.piece_length || f.piece_layer.is_some()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metainfo::create::{create, CreateOptions, TorrentVersion};
    use crate::metainfo::hasher::Progress;
    use sha1::Sha1;
    use sha2::{Digest, Sha256};

    /// Files of awkward sizes: several pieces with a short tail, one piece exactly, under one
    /// leaf, and a few leaves (under one piece).
    fn sample_dir() -> (tempfile::TempDir, Vec<Vec<u8>>) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("set");
        std::fs::create_dir(&root).unwrap();
        let sizes = [3 * 65536 + 5000, 65536, 700, 3 * 16384 + 1];
        let mut contents = Vec::new();
        for (i, n) in sizes.iter().enumerate() {
            let bytes: Vec<u8> = (0..*n).map(|j| (j * 31 + i * 7) as u8).collect();
            std::fs::write(root.join(format!("f{i}")), &bytes).unwrap();
            contents.push(bytes);
        }
        (dir, contents)
    }

    fn leaves(bytes: &[u8]) -> Vec<Hash32> {
        bytes.chunks(BLOCK_SIZE as usize).map(|c| Sha256::digest(c).into()).collect()
    }

    fn made(version: TorrentVersion) -> (tempfile::TempDir, Vec<Vec<u8>>, Metainfo) {
        let (dir, contents) = sample_dir();
        let opts = CreateOptions {
            piece_size_pow2: 16,
            version,
            ..CreateOptions::new(dir.path().join("set"), "http://127.0.0.1:1/announce")
        };
        let bytes = create(&opts, &Progress::new()).unwrap();
        let meta = Metainfo::from_bytes(&bytes).unwrap();
        (dir, contents, meta)
    }

    #[test]
    fn every_v2_piece_verifies_against_its_file_bytes_and_not_others() {
        let (_dir, contents, meta) = made(TorrentVersion::V2);
        assert!(meta.info_hash_v1().is_none() && meta.is_verifiable());
        let plen = meta.piece_length();
        let mut checked = 0;
        for i in 0..meta.piece_count() {
            let check = meta.piece_check(i).unwrap();
            let pos = i * plen;
            let f = meta.files().iter().position(|f| !f.is_pad() && f.offset() <= pos && pos < f.offset() + f.length());
            let f = f.unwrap();
            let real = meta.files().iter().filter(|e| !e.is_pad()).position(|e| e == &meta.files()[f]).unwrap();
            let start = (pos - meta.files()[f].offset()) as usize;
            let data = &contents[real][start..contents[real].len().min(start + plen as usize)];
            assert_eq!(check.hash_len(plen as usize), data.len(), "piece {i}");
            assert!(check.matches(None, &leaves(data)), "piece {i}");
            let mut bad = data.to_vec();
            bad[data.len() / 2] ^= 1;
            assert!(!check.matches(None, &leaves(&bad)), "piece {i} with a flipped byte");
            assert!(!check.matches(None, &leaves(&data[..data.len() - 1])), "piece {i} one byte short");
            checked += 1;
        }
        assert_eq!(checked, 7, "4 + 1 + 1 + 1 pieces");
    }

    #[test]
    fn v1_pieces_check_sha1_and_keep_the_v1_hash() {
        let (_dir, _contents, meta) = made(TorrentVersion::V1);
        assert_eq!(Some(meta.swarm_info_hash()), meta.info_hash_v1());
        for i in 0..meta.piece_count() {
            assert_eq!(meta.piece_check(i), meta.piece_hash(i).copied().map(PieceCheck::Sha1));
        }
        assert_eq!(meta.piece_check(meta.piece_count()), None);
    }

    #[test]
    fn hybrid_pieces_must_match_both_their_sha1_and_their_merkle_root() {
        let (_dir, contents, meta) = made(TorrentVersion::Hybrid);
        assert_eq!(Some(meta.swarm_info_hash()), meta.info_hash_v1());
        let plen = meta.piece_length() as usize;
        // The v1 view: each file followed by zeros up to the next piece boundary.
        let mut stream = Vec::new();
        for data in &contents {
            stream.extend_from_slice(data);
            stream.resize(stream.len().next_multiple_of(plen), 0);
        }
        stream.truncate(meta.total_length() as usize); // no pad after the last file
        let (mut checked, mut at) = (0, 0);
        for (f, data) in contents.iter().enumerate() {
            for start in (0..data.len()).step_by(plen) {
                let i = (at + start) as u64 / plen as u64;
                let check = meta.piece_check(i).unwrap();
                let PieceCheck::Hybrid { sha1, data_len, .. } = check else { panic!("piece {i}: {check:?}") };
                assert_eq!(Some(&sha1), meta.piece_hash(i), "piece {i}");
                let file_part = &data[start..data.len().min(start + plen)];
                assert_eq!(data_len as usize, file_part.len(), "piece {i} of file {f}");
                let first = i as usize * plen;
                let piece = &stream[first..(first + plen).min(stream.len())];
                let whole: [u8; 20] = Sha1::digest(piece).into();
                assert_eq!(check.hash_len(piece.len()), piece.len(), "SHA-1 covers the whole piece");
                assert!(check.matches(Some(&whole), &leaves(file_part)), "piece {i}");
                // Either hash wrong is enough to refuse the piece.
                let mut bad_leaves = leaves(file_part);
                bad_leaves[0][0] ^= 1;
                assert!(!check.matches(Some(&whole), &bad_leaves), "piece {i}: leaves wrong, SHA-1 right");
                let mut bad_sha1 = whole;
                bad_sha1[0] ^= 1;
                assert!(!check.matches(Some(&bad_sha1), &leaves(file_part)), "piece {i}: SHA-1 wrong");
                assert!(!check.matches(None, &leaves(file_part)), "piece {i}: no SHA-1");
                checked += 1;
            }
            at += data.len().next_multiple_of(plen);
        }
        assert_eq!(checked, meta.piece_count(), "every piece is hybrid-checked");
    }

    #[test]
    fn v2_only_swarm_hash_is_the_truncated_sha256() {
        let (_dir, _contents, meta) = made(TorrentVersion::V2);
        assert_eq!(meta.swarm_info_hash()[..], meta.info_hash_v2().unwrap()[..20]);
    }
}
