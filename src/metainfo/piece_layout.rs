//! Where each file's bytes sit in the stream of pieces.
//!
//! v1 concatenates the files, so pieces run across file boundaries. BEP 52 torrents (v2 and
//! hybrid) align every file on a piece boundary: in a hybrid torrent the gap after each file but
//! the last is a BEP 47 pad file of zeros, hashed as part of the v1 piece it completes.

use super::create_error::CreateError;
use super::merkle::{leaf_count, BLOCK_SIZE};

/// One file's place in the piece stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSpan {
    /// Offset of its first byte in the stream.
    pub start: u64,
    /// Its length in bytes.
    pub len: u64,
    /// Zero bytes that follow it in the stream (its pad file; 0 when unaligned).
    pub pad: u64,
    /// Index of its first 16 KiB leaf among all files' leaves.
    pub leaf_base: u64,
}

/// A run of one file's bytes inside a piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Portion {
    /// The file's index.
    pub file: usize,
    /// Offset inside the file.
    pub offset: u64,
    /// Number of bytes.
    pub len: u64,
    /// Zero bytes of padding that follow this run inside the same piece.
    pub pad_after: u64,
}

/// The layout of all files in the piece stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceLayout {
    /// The piece length.
    pub piece_length: u64,
    /// One span per file, in torrent order.
    pub spans: Vec<FileSpan>,
    /// Total bytes of the stream including pads.
    pub stream_len: u64,
    /// Total 16 KiB leaves over all files.
    pub total_leaves: u64,
}

impl PieceLayout {
    /// Lays out files of the given lengths; `aligned` starts every file on a piece boundary.
    pub fn new(lengths: &[u64], piece_length: u64, aligned: bool) -> Result<Self, CreateError> {
        let mut spans = Vec::with_capacity(lengths.len());
        let mut offset = 0u64;
        let mut leaves = 0u64;
        for (i, &len) in lengths.iter().enumerate() {
            let end = offset.checked_add(len).ok_or(CreateError::TooLarge(u64::MAX))?;
            let pad =
                if aligned && i + 1 < lengths.len() { (piece_length - end % piece_length) % piece_length } else { 0 };
            spans.push(FileSpan { start: offset, len, pad, leaf_base: leaves });
            offset = end + pad;
            leaves += leaf_count(len);
        }
        let layout = PieceLayout { piece_length, spans, stream_len: offset, total_leaves: leaves };
        if layout.num_pieces() > u32::MAX as u64 {
            return Err(CreateError::TooLarge(offset));
        }
        Ok(layout)
    }

    /// Number of pieces in the stream.
    pub fn num_pieces(&self) -> u64 {
        self.stream_len.div_ceil(self.piece_length)
    }

    /// Total bytes of file data (pads excluded).
    pub fn data_len(&self) -> u64 {
        self.spans.iter().map(|s| s.len).sum()
    }

    /// The runs of file bytes inside piece `piece`, in stream order, with their trailing pads.
    pub fn portions(&self, piece: u64) -> Vec<Portion> {
        let a = piece * self.piece_length;
        let b = (a + self.piece_length).min(self.stream_len);
        let first = self.spans.partition_point(|s| s.start + s.len + s.pad <= a);
        let mut out = Vec::new();
        for (file, s) in self.spans.iter().enumerate().skip(first) {
            if s.start >= b {
                break;
            }
            let lo = a.max(s.start);
            let hi = b.min(s.start + s.len);
            let pad_hi = b.min(s.start + s.len + s.pad);
            let pad_lo = lo.max(s.start + s.len);
            let len = hi.saturating_sub(lo);
            let pad_after = pad_hi.saturating_sub(pad_lo);
            if len > 0 || pad_after > 0 {
                out.push(Portion { file, offset: lo.saturating_sub(s.start).min(s.len), len, pad_after });
            }
        }
        out
    }

    /// Index of the first leaf at or after stream offset `piece * piece_length` (aligned layouts).
    pub fn leaf_at(&self, piece: u64) -> u64 {
        let off = piece * self.piece_length;
        let f = self.spans.partition_point(|s| s.start + s.len <= off);
        match self.spans.get(f) {
            Some(s) if s.start < off => s.leaf_base + (off - s.start) / BLOCK_SIZE,
            Some(s) => s.leaf_base,
            None => self.total_leaves,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K16: u64 = BLOCK_SIZE;

    #[test]
    fn v1_pieces_cross_file_boundaries() {
        let l = PieceLayout::new(&[10, 0, 30, 5], 16, false).unwrap();
        assert_eq!(l.stream_len, 45);
        assert_eq!(l.num_pieces(), 3);
        let p0 = l.portions(0);
        assert_eq!(
            p0,
            [
                Portion { file: 0, offset: 0, len: 10, pad_after: 0 },
                Portion { file: 2, offset: 0, len: 6, pad_after: 0 }
            ]
        );
        assert_eq!(l.portions(1), [Portion { file: 2, offset: 6, len: 16, pad_after: 0 }]);
        assert_eq!(
            l.portions(2),
            [
                Portion { file: 2, offset: 22, len: 8, pad_after: 0 },
                Portion { file: 3, offset: 0, len: 5, pad_after: 0 }
            ]
        );
    }

    #[test]
    fn aligned_layout_pads_all_but_the_last_file() {
        let p = 2 * K16;
        let l = PieceLayout::new(&[p + 5, 0, 3 * K16, p, 7, 0], p, true).unwrap();
        let pads: Vec<u64> = l.spans.iter().map(|s| s.pad).collect();
        assert_eq!(pads, [p - 5, 0, K16, 0, p - 7, 0]);
        assert_eq!(l.stream_len, 6 * p);
        assert_eq!(l.num_pieces(), 6);
        assert_eq!(l.portions(1), [Portion { file: 0, offset: p, len: 5, pad_after: p - 5 }]);
        assert_eq!(l.portions(3), [Portion { file: 2, offset: p, len: K16, pad_after: K16 }]);
        assert_eq!(l.portions(5), [Portion { file: 4, offset: 0, len: 7, pad_after: p - 7 }]);
        let leaves: Vec<u64> = (0..=6).map(|i| l.leaf_at(i)).collect();
        // file 0: 3 leaves, file 2: 3 leaves, file 3: 2 leaves, file 4: 1 leaf
        assert_eq!(leaves, [0, 2, 3, 5, 6, 8, 9]);
        assert_eq!(l.total_leaves, 9);
    }
}
