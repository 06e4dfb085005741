//! Piece, block and file arithmetic of one torrent, in one place, with checked maths.
//!
//! A torrent's payload is the concatenation of its files (pad files included). It is cut into
//! pieces of `piece_length` bytes (the last one shorter) and each piece into 16 KiB blocks (the
//! last block of a piece shorter). The [`Layout`] knows these sizes and is the only maker of
//! [`PieceIndex`], [`BlockIndex`] and [`FileIndex`]: holding one proves it is in range for the
//! layout that made it.
//!
//! ```text
//!  files   |--- a (5) ---|pad(3)|-------- b (10) --------|
//!  bytes   0            5      8                        18
//!  pieces  |---- 0 (8) ---------|---- 1 (8) ----|-2 (2)-|
//! ```

use std::ops::Range;

/// Size of a request block in bytes (BEP 3 convention; libtorrent rejects larger requests).
pub const BLOCK_SIZE: u32 = 16 * 1024;

/// Errors building a layout or validating an index or request against it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// The piece length is zero.
    #[error("piece length must be positive")]
    ZeroPieceLength,
    /// The files hold no bytes at all.
    #[error("the torrent holds no data")]
    Empty,
    /// The total size overflows 64 bits.
    #[error("total size of {files} files overflows 64 bits")]
    TooLarge {
        /// Number of files.
        files: usize,
    },
    /// More pieces than a 32-bit index can name.
    #[error("{pieces} pieces exceed the 32-bit piece index")]
    TooManyPieces {
        /// The piece count the sizes imply.
        pieces: u64,
    },
    /// A piece index out of range.
    #[error("piece {index} out of range (torrent has {count} pieces)")]
    PieceOutOfRange {
        /// The index received.
        index: u32,
        /// Number of pieces.
        count: u32,
    },
    /// A block index out of range for its piece.
    #[error("block {index} out of range for piece {piece} ({count} blocks)")]
    BlockOutOfRange {
        /// The piece.
        piece: u32,
        /// The block index received.
        index: u32,
        /// Blocks in that piece.
        count: u32,
    },
    /// A file index out of range.
    #[error("file {index} out of range (torrent has {count} files)")]
    FileOutOfRange {
        /// The index received.
        index: u32,
        /// Number of files.
        count: u32,
    },
    /// A request or block whose length is zero or above the limit.
    #[error("length {len} in piece {piece} is not in 1..={max}")]
    BadLength {
        /// The piece.
        piece: u32,
        /// Requested length.
        len: u32,
        /// The limit in force.
        max: u32,
    },
    /// A byte range that does not fit inside its piece or the torrent.
    #[error("range {begin}+{len} does not fit in piece {piece} of {size} bytes")]
    OutsidePiece {
        /// The piece.
        piece: u32,
        /// Offset inside the piece.
        begin: u32,
        /// Length.
        len: u32,
        /// The piece's size.
        size: u32,
    },
    /// A byte range of the whole torrent that runs past its end.
    #[error("range {offset}+{len} runs past the end of the torrent ({total} bytes)")]
    OutsideTorrent {
        /// Start offset.
        offset: u64,
        /// Length.
        len: u64,
        /// Total size.
        total: u64,
    },
    /// A received block that is not one of the piece's 16 KiB blocks.
    #[error("piece {piece} offset {begin} length {len} is not a whole block")]
    NotABlock {
        /// The piece.
        piece: u32,
        /// Offset inside the piece.
        begin: u32,
        /// Length.
        len: u32,
    },
}

/// A piece number known to be in range for the layout that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PieceIndex(u32);

impl PieceIndex {
    /// Re-wraps a number taken from a `PieceIndex` of the same layout (crate-internal: tables
    /// indexed by piece store plain numbers).
    pub(crate) fn trusted(index: u32) -> PieceIndex {
        PieceIndex(index)
    }

    /// The index as a number.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The index as a `usize`, for indexing per-piece arrays.
    pub fn as_usize(self) -> usize {
        self.0 as usize
    }
}

/// A block number inside a piece, known to be in range for that piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockIndex(u32);

impl BlockIndex {
    /// Re-wraps a number known to be below the block count of its piece (crate-internal).
    pub(crate) fn trusted(index: u32) -> BlockIndex {
        BlockIndex(index)
    }

    /// The index as a number.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// A file number known to be in range for the layout that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileIndex(u32);

impl FileIndex {
    /// The index as a number.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// A validated block request: `len` bytes at `begin` inside `piece`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ValidRequest {
    /// The piece.
    pub piece: PieceIndex,
    /// Byte offset inside the piece.
    pub begin: u32,
    /// Length in bytes, in `1..=limit`.
    pub len: u32,
}

/// The part of one file covered by a byte range of the torrent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// The file.
    pub file: FileIndex,
    /// Offset inside the file.
    pub file_offset: u64,
    /// Length of the segment (never zero).
    pub len: u64,
    /// The file is padding: never written, reads as zeros.
    pub pad: bool,
}

/// One file's place in the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileSpan {
    /// Offset of its first byte in the payload.
    offset: u64,
    /// Length in bytes (may be zero).
    len: u64,
    /// Padding file (BEP 47 attribute `p`).
    pad: bool,
}

/// The geometry of one torrent: files, pieces and blocks. Tracks:
/// 1. each file's offset and length in the payload, and whether it is padding;
/// 2. the piece length, the piece count and the size of the last piece;
/// 3. the block size (16 KiB) and hence blocks per piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Files in payload order; offsets ascend and `offset + len` of one is the next's offset.
    files: Vec<FileSpan>,
    /// Sum of all file lengths, > 0.
    total: u64,
    /// Nominal piece length, > 0.
    piece_length: u32,
    /// `ceil(total / piece_length)`, >= 1.
    piece_count: u32,
}

impl Layout {
    /// Builds a layout from `(length, is_pad)` per file, in payload order, and the piece length.
    pub fn new(files: &[(u64, bool)], piece_length: u32) -> Result<Layout, LayoutError> {
        if piece_length == 0 {
            return Err(LayoutError::ZeroPieceLength);
        }
        let mut spans = Vec::with_capacity(files.len());
        let mut offset = 0u64;
        for &(len, pad) in files {
            spans.push(FileSpan { offset, len, pad });
            offset = offset.checked_add(len).ok_or(LayoutError::TooLarge { files: files.len() })?;
        }
        if offset == 0 {
            return Err(LayoutError::Empty);
        }
        let pieces = offset.div_ceil(u64::from(piece_length));
        let piece_count = u32::try_from(pieces).map_err(|_| LayoutError::TooManyPieces { pieces })?;
        Ok(Layout { files: spans, total: offset, piece_length, piece_count })
    }

    /// Total payload size in bytes, pad files included.
    pub fn total_length(&self) -> u64 {
        self.total
    }

    /// Nominal piece length in bytes.
    pub fn piece_length(&self) -> u32 {
        self.piece_length
    }

    /// Number of pieces (at least one).
    pub fn piece_count(&self) -> u32 {
        self.piece_count
    }

    /// Number of files, pad files included.
    pub fn file_count(&self) -> u32 {
        self.files.len() as u32
    }

    /// Validates a piece number.
    pub fn piece(&self, index: u32) -> Result<PieceIndex, LayoutError> {
        if index < self.piece_count {
            Ok(PieceIndex(index))
        } else {
            Err(LayoutError::PieceOutOfRange { index, count: self.piece_count })
        }
    }

    /// All pieces in ascending order.
    pub fn pieces(&self) -> impl Iterator<Item = PieceIndex> + use<> {
        (0..self.piece_count).map(PieceIndex)
    }

    /// The last piece.
    pub fn last_piece(&self) -> PieceIndex {
        PieceIndex(self.piece_count - 1)
    }

    /// Size of a piece in bytes; only the last piece may be shorter than the piece length.
    pub fn piece_size(&self, piece: PieceIndex) -> u32 {
        let start = self.piece_offset(piece);
        (self.total - start).min(u64::from(self.piece_length)) as u32
    }

    /// Offset of a piece's first byte in the payload.
    pub fn piece_offset(&self, piece: PieceIndex) -> u64 {
        u64::from(piece.0) * u64::from(self.piece_length)
    }

    /// Number of 16 KiB blocks in a piece (the last one may be shorter).
    pub fn blocks_in_piece(&self, piece: PieceIndex) -> u32 {
        self.piece_size(piece).div_ceil(BLOCK_SIZE)
    }

    /// Blocks in a full-length piece: the most any piece has.
    pub fn max_blocks_per_piece(&self) -> u32 {
        self.piece_size(PieceIndex(0)).div_ceil(BLOCK_SIZE)
    }

    /// Validates a block number inside a piece.
    pub fn block(&self, piece: PieceIndex, index: u32) -> Result<BlockIndex, LayoutError> {
        let count = self.blocks_in_piece(piece);
        if index < count {
            Ok(BlockIndex(index))
        } else {
            Err(LayoutError::BlockOutOfRange { piece: piece.0, index, count })
        }
    }

    /// All blocks of a piece in ascending order.
    pub fn blocks(&self, piece: PieceIndex) -> impl Iterator<Item = BlockIndex> + use<> {
        (0..self.blocks_in_piece(piece)).map(BlockIndex)
    }

    /// A block's offset and length inside its piece.
    pub fn block_range(&self, piece: PieceIndex, block: BlockIndex) -> (u32, u32) {
        let begin = block.0 * BLOCK_SIZE;
        let len = (self.piece_size(piece) - begin).min(BLOCK_SIZE);
        (begin, len)
    }

    /// Checks a REQUEST from a peer: piece in range, `len` in `1..=max_len`, the range inside
    /// the piece. `max_len` is the largest request served (16 KiB unless configured).
    pub fn validate_request(
        &self,
        piece: u32,
        begin: u32,
        len: u32,
        max_len: u32,
    ) -> Result<ValidRequest, LayoutError> {
        let index = self.piece(piece)?;
        if len == 0 || len > max_len {
            return Err(LayoutError::BadLength { piece, len, max: max_len });
        }
        let size = self.piece_size(index);
        match begin.checked_add(len) {
            Some(end) if end <= size => Ok(ValidRequest { piece: index, begin, len }),
            _ => Err(LayoutError::OutsidePiece { piece, begin, len, size }),
        }
    }

    /// Maps a received PIECE message's `(piece, begin, len)` to the block it must be: `begin`
    /// on a block boundary and `len` exactly that block's length.
    pub fn block_at(&self, piece: u32, begin: u32, len: u32) -> Result<(PieceIndex, BlockIndex), LayoutError> {
        let index = self.piece(piece)?;
        if !begin.is_multiple_of(BLOCK_SIZE) {
            return Err(LayoutError::NotABlock { piece, begin, len });
        }
        let block = self.block(index, begin / BLOCK_SIZE).map_err(|_| LayoutError::NotABlock { piece, begin, len })?;
        if self.block_range(index, block).1 != len {
            return Err(LayoutError::NotABlock { piece, begin, len });
        }
        Ok((index, block))
    }

    /// Validates a file number.
    pub fn file(&self, index: u32) -> Result<FileIndex, LayoutError> {
        if (index as usize) < self.files.len() {
            Ok(FileIndex(index))
        } else {
            Err(LayoutError::FileOutOfRange { index, count: self.file_count() })
        }
    }

    /// All files in payload order.
    pub fn files(&self) -> impl Iterator<Item = FileIndex> + use<> {
        (0..self.file_count()).map(FileIndex)
    }

    /// A file's byte range in the payload.
    pub fn file_range(&self, file: FileIndex) -> Range<u64> {
        let f = &self.files[file.0 as usize];
        f.offset..f.offset + f.len
    }

    /// Whether a file is padding (never written, reads as zeros).
    pub fn is_pad(&self, file: FileIndex) -> bool {
        self.files[file.0 as usize].pad
    }

    /// The first and last piece a file overlaps, or `None` for an empty file.
    pub fn file_pieces(&self, file: FileIndex) -> Option<(PieceIndex, PieceIndex)> {
        let range = self.file_range(file);
        if range.is_empty() {
            return None;
        }
        let pl = u64::from(self.piece_length);
        Some((PieceIndex((range.start / pl) as u32), PieceIndex(((range.end - 1) / pl) as u32)))
    }

    /// The file segments a piece spans, in order.
    pub fn piece_segments(&self, piece: PieceIndex) -> Segments<'_> {
        let offset = self.piece_offset(piece);
        self.segments_unchecked(offset, u64::from(self.piece_size(piece)))
    }

    /// The file segments a byte range of the payload spans, in order.
    pub fn segments(&self, offset: u64, len: u64) -> Result<Segments<'_>, LayoutError> {
        match offset.checked_add(len) {
            Some(end) if end <= self.total => Ok(self.segments_unchecked(offset, len)),
            _ => Err(LayoutError::OutsideTorrent { offset, len, total: self.total }),
        }
    }

    /// The file segments of `len` bytes at `begin` inside a piece.
    pub fn piece_range_segments(&self, piece: PieceIndex, begin: u32, len: u32) -> Result<Segments<'_>, LayoutError> {
        let size = self.piece_size(piece);
        match begin.checked_add(len) {
            Some(end) if end <= size => {
                Ok(self.segments_unchecked(self.piece_offset(piece) + u64::from(begin), u64::from(len)))
            }
            _ => Err(LayoutError::OutsidePiece { piece: piece.0, begin, len, size }),
        }
    }

    fn segments_unchecked(&self, offset: u64, len: u64) -> Segments<'_> {
        // First file whose end lies past `offset` (skips empty files at that offset).
        let next = self.files.partition_point(|f| f.offset + f.len <= offset);
        Segments { layout: self, next, offset, left: len }
    }
}

/// Iterator over the [`Segment`]s of a byte range; empty files are skipped.
#[derive(Debug, Clone)]
pub struct Segments<'a> {
    /// The layout walked.
    layout: &'a Layout,
    /// Next file to look at.
    next: usize,
    /// Payload offset of the next byte to cover.
    offset: u64,
    /// Bytes still to cover.
    left: u64,
}

impl Iterator for Segments<'_> {
    type Item = Segment;

    fn next(&mut self) -> Option<Segment> {
        while self.left > 0 {
            let f = self.layout.files.get(self.next)?;
            let index = self.next;
            self.next += 1;
            let end = f.offset + f.len;
            if end <= self.offset {
                continue;
            }
            let file_offset = self.offset - f.offset;
            let len = (end - self.offset).min(self.left);
            self.offset += len;
            self.left -= len;
            return Some(Segment { file: FileIndex(index as u32), file_offset, len, pad: f.pad });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_layout() -> Layout {
        Layout::new(&[(5, false), (3, true), (10, false)], 8).unwrap()
    }

    #[test]
    fn rejects_bad_geometry() {
        assert_eq!(Layout::new(&[(5, false)], 0), Err(LayoutError::ZeroPieceLength));
        assert_eq!(Layout::new(&[], 16), Err(LayoutError::Empty));
        assert_eq!(Layout::new(&[(0, false), (0, true)], 16), Err(LayoutError::Empty));
        assert_eq!(Layout::new(&[(u64::MAX, false), (1, false)], 16), Err(LayoutError::TooLarge { files: 2 }));
        assert_eq!(Layout::new(&[(u64::MAX, false)], 1), Err(LayoutError::TooManyPieces { pieces: u64::MAX }));
    }

    #[test]
    fn piece_sizes_and_last_piece() {
        let l = doc_layout();
        assert_eq!((l.total_length(), l.piece_count()), (18, 3));
        let sizes: Vec<u32> = l.pieces().map(|p| l.piece_size(p)).collect();
        assert_eq!(sizes, [8, 8, 2]);
        assert_eq!(l.last_piece().get(), 2);
        let exact = Layout::new(&[(32, false)], 16).unwrap();
        assert_eq!((exact.piece_count(), exact.piece_size(exact.last_piece())), (2, 16));
    }

    #[test]
    fn blocks_per_piece_and_last_block() {
        let pl = 40 * 1024;
        let l = Layout::new(&[(u64::from(pl) * 2 + 100, false)], pl).unwrap();
        let p0 = l.piece(0).unwrap();
        assert_eq!(l.blocks_in_piece(p0), 3);
        assert_eq!(l.max_blocks_per_piece(), 3);
        let ranges: Vec<(u32, u32)> = l.blocks(p0).map(|b| l.block_range(p0, b)).collect();
        assert_eq!(ranges, [(0, BLOCK_SIZE), (BLOCK_SIZE, BLOCK_SIZE), (2 * BLOCK_SIZE, 8 * 1024)]);
        let last = l.last_piece();
        assert_eq!((l.piece_size(last), l.blocks_in_piece(last)), (100, 1));
        assert_eq!(l.block_range(last, l.block(last, 0).unwrap()), (0, 100));
        assert_eq!(l.block(last, 1), Err(LayoutError::BlockOutOfRange { piece: 2, index: 1, count: 1 }));
    }

    #[test]
    fn indices_only_from_layout() {
        let l = doc_layout();
        assert!(l.piece(2).is_ok());
        assert_eq!(l.piece(3), Err(LayoutError::PieceOutOfRange { index: 3, count: 3 }));
        assert_eq!(l.file(2).unwrap().get(), 2);
        assert_eq!(l.file(3), Err(LayoutError::FileOutOfRange { index: 3, count: 3 }));
    }

    #[test]
    fn validate_request_bounds() {
        let l = Layout::new(&[(100_000, false)], 32 * 1024).unwrap();
        let ok = l.validate_request(1, BLOCK_SIZE, BLOCK_SIZE, BLOCK_SIZE).unwrap();
        assert_eq!((ok.piece.get(), ok.begin, ok.len), (1, BLOCK_SIZE, BLOCK_SIZE));
        assert!(matches!(l.validate_request(4, 0, 1, BLOCK_SIZE), Err(LayoutError::PieceOutOfRange { .. })));
        assert!(matches!(l.validate_request(0, 0, 0, BLOCK_SIZE), Err(LayoutError::BadLength { .. })));
        assert!(matches!(l.validate_request(0, 0, BLOCK_SIZE + 1, BLOCK_SIZE), Err(LayoutError::BadLength { .. })));
        assert!(l.validate_request(0, 0, BLOCK_SIZE + 1, 2 * BLOCK_SIZE).is_ok());
        assert!(matches!(l.validate_request(0, 20_000, BLOCK_SIZE, BLOCK_SIZE), Err(LayoutError::OutsidePiece { .. })));
        assert!(matches!(l.validate_request(0, u32::MAX, 2, BLOCK_SIZE), Err(LayoutError::OutsidePiece { .. })));
        // Last piece holds 100000 - 3 * 32768 = 1696 bytes.
        assert!(l.validate_request(3, 0, 1696, BLOCK_SIZE).is_ok());
        assert!(l.validate_request(3, 1, 1696, BLOCK_SIZE).is_err());
    }

    #[test]
    fn block_at_requires_whole_blocks() {
        let l = Layout::new(&[(40_000, false)], 32 * 1024).unwrap();
        let (p, b) = l.block_at(0, BLOCK_SIZE, BLOCK_SIZE).unwrap();
        assert_eq!((p.get(), b.get()), (0, 1));
        assert!(l.block_at(0, 1, BLOCK_SIZE).is_err());
        assert!(l.block_at(0, 0, 100).is_err());
        assert!(l.block_at(0, 2 * BLOCK_SIZE, BLOCK_SIZE).is_err());
        assert_eq!(l.block_at(1, 0, 40_000 - 32 * 1024).unwrap().0.get(), 1);
        assert!(l.block_at(2, 0, 1).is_err());
    }

    #[test]
    fn piece_segments_span_files_and_pads() {
        let l = doc_layout();
        let seg = |f, file_offset, len, pad| Segment { file: l.file(f).unwrap(), file_offset, len, pad };
        let p: Vec<Segment> = l.piece_segments(l.piece(0).unwrap()).collect();
        assert_eq!(p, [seg(0, 0, 5, false), seg(1, 0, 3, true)]);
        let p: Vec<Segment> = l.piece_segments(l.piece(1).unwrap()).collect();
        assert_eq!(p, [seg(2, 0, 8, false)]);
        let p: Vec<Segment> = l.piece_segments(l.piece(2).unwrap()).collect();
        assert_eq!(p, [seg(2, 8, 2, false)]);
        let r: Vec<Segment> = l.segments(4, 6).unwrap().collect();
        assert_eq!(r, [seg(0, 4, 1, false), seg(1, 0, 3, true), seg(2, 0, 2, false)]);
        assert!(l.segments(10, 9).is_err());
        assert!(l.segments(u64::MAX, 2).is_err());
        assert_eq!(l.segments(18, 0).unwrap().count(), 0);
        let r: Vec<Segment> = l.piece_range_segments(l.piece(0).unwrap(), 6, 2).unwrap().collect();
        assert_eq!(r, [seg(1, 1, 2, true)]);
        assert!(l.piece_range_segments(l.piece(2).unwrap(), 1, 2).is_err());
    }

    #[test]
    fn empty_files_are_skipped() {
        let l = Layout::new(&[(0, false), (4, false), (0, false), (0, true), (4, false), (0, false)], 3).unwrap();
        let files: Vec<(u32, u64, u64)> =
            l.segments(0, 8).unwrap().map(|s| (s.file.get(), s.file_offset, s.len)).collect();
        assert_eq!(files, [(1, 0, 4), (4, 0, 4)]);
        let p1: Vec<u32> = l.piece_segments(l.piece(1).unwrap()).map(|s| s.file.get()).collect();
        assert_eq!(p1, [1, 4]);
        assert_eq!(l.file_pieces(l.file(0).unwrap()), None);
        assert_eq!(l.file_pieces(l.file(5).unwrap()), None);
    }

    #[test]
    fn file_pieces_overlap() {
        let l = doc_layout();
        let fp = |f| l.file_pieces(l.file(f).unwrap()).map(|(a, b)| (a.get(), b.get()));
        assert_eq!((fp(0), fp(1), fp(2)), (Some((0, 0)), Some((0, 0)), Some((1, 2))));
        assert_eq!(l.file_range(l.file(2).unwrap()), 8..18);
        assert!(l.is_pad(l.file(1).unwrap()));
    }

    #[test]
    fn segments_cover_every_byte_once() {
        // Sum of segment lengths equals the piece size for every piece of an irregular layout.
        let files = [(1, false), (70_000, false), (0, false), (15, true), (33_000, false), (7, false)];
        let l = Layout::new(&files, 16 * 1024 + 5).unwrap();
        let mut total = 0;
        for p in l.pieces() {
            let sum: u64 = l.piece_segments(p).map(|s| s.len).sum();
            assert_eq!(sum, u64::from(l.piece_size(p)), "piece {}", p.get());
            total += sum;
        }
        assert_eq!(total, l.total_length());
    }

    #[test]
    fn random_layouts_hold_invariants() {
        use rand::{rngs::SmallRng, Rng, SeedableRng};
        let mut rng = SmallRng::seed_from_u64(42);
        for _ in 0..200 {
            let files: Vec<(u64, bool)> =
                (0..rng.random_range(1..6)).map(|_| (rng.random_range(0..200_000), rng.random_bool(0.2))).collect();
            let Ok(l) = Layout::new(&files, rng.random_range(1..100_000)) else { continue };
            for p in l.pieces() {
                let sum: u64 = l.piece_segments(p).map(|s| s.len).sum();
                assert_eq!(sum, u64::from(l.piece_size(p)));
                let mut next = 0;
                for b in l.blocks(p) {
                    let (begin, len) = l.block_range(p, b);
                    assert_eq!(begin, next);
                    assert!(len > 0 && len <= BLOCK_SIZE);
                    assert_eq!(l.block_at(p.get(), begin, len), Ok((p, b)));
                    next = begin + len;
                }
                assert_eq!(next, l.piece_size(p));
            }
            for _ in 0..50 {
                let (piece, begin, len) = (rng.random_range(0..l.piece_count() + 2), rng.random(), rng.random());
                let small = rng.random_range(0..2 * BLOCK_SIZE);
                for (b, n) in [(begin, len), (begin % 100_000, small), (0, small)] {
                    if let Ok(r) = l.validate_request(piece, b, n, BLOCK_SIZE) {
                        assert!(
                            r.len <= BLOCK_SIZE
                                && u64::from(r.begin) + u64::from(r.len) <= u64::from(l.piece_size(r.piece))
                        );
                    }
                    if let Ok((p, blk)) = l.block_at(piece, b, n) {
                        assert_eq!(l.block_range(p, blk), (b, n));
                    }
                }
            }
        }
    }
}
