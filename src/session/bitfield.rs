//! A piece bitfield in wire order: bit `i` is bit `7 - i % 8` of byte `i / 8` (high bit first),
//! as in the BITFIELD message of BEP 3.

/// Errors building or updating a bitfield.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BitfieldError {
    /// The wire payload does not have exactly `ceil(len / 8)` bytes.
    #[error("bitfield of {got} bytes, expected {expected} for {len} pieces")]
    WrongLength {
        /// Bytes received.
        got: usize,
        /// Bytes required.
        expected: usize,
        /// Number of pieces.
        len: u32,
    },
    /// A bit past the last piece is set.
    #[error("bitfield sets spare bits past piece {len}")]
    SpareBitsSet {
        /// Number of pieces.
        len: u32,
    },
    /// An index past the end.
    #[error("bit {index} out of range for {len} pieces")]
    OutOfRange {
        /// The index.
        index: u32,
        /// Number of pieces.
        len: u32,
    },
}

/// A fixed-length set of piece numbers. Tracks:
/// 1. the bits, in wire order, with the spare bits of the last byte always zero;
/// 2. the number of set bits, kept in step with every change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitfield {
    /// `ceil(len / 8)` bytes; spare bits are zero.
    bytes: Vec<u8>,
    /// Number of bits.
    len: u32,
    /// Number of set bits, `<= len`.
    count: u32,
}

fn byte_len(len: u32) -> usize {
    (len as usize).div_ceil(8)
}

/// Mask of the valid bits in the last byte of a bitfield of `len` bits.
fn last_mask(len: u32) -> u8 {
    match len % 8 {
        0 => 0xff,
        r => 0xffu8 << (8 - r),
    }
}

fn popcount(bytes: &[u8]) -> u32 {
    let mut chunks = bytes.chunks_exact(8);
    let mut n: u32 = chunks.by_ref().map(|c| u64::from_ne_bytes(c.try_into().unwrap_or([0; 8])).count_ones()).sum();
    n += chunks.remainder().iter().map(|b| b.count_ones()).sum::<u32>();
    n
}

impl Bitfield {
    /// A bitfield of `len` bits, none set (HAVE NONE).
    pub fn none(len: u32) -> Bitfield {
        Bitfield { bytes: vec![0; byte_len(len)], len, count: 0 }
    }

    /// A bitfield of `len` bits, all set (HAVE ALL).
    pub fn all(len: u32) -> Bitfield {
        let mut bytes = vec![0xff; byte_len(len)];
        if let Some(last) = bytes.last_mut() {
            *last &= last_mask(len);
        }
        Bitfield { bytes, len, count: len }
    }

    /// Parses a BITFIELD payload for a torrent of `len` pieces: the length must be exact and the
    /// spare bits zero.
    pub fn from_wire(payload: &[u8], len: u32) -> Result<Bitfield, BitfieldError> {
        let expected = byte_len(len);
        if payload.len() != expected {
            return Err(BitfieldError::WrongLength { got: payload.len(), expected, len });
        }
        if let Some(&last) = payload.last() {
            if last & !last_mask(len) != 0 {
                return Err(BitfieldError::SpareBitsSet { len });
            }
        }
        Ok(Bitfield { bytes: payload.to_vec(), len, count: popcount(payload) })
    }

    /// The BITFIELD payload.
    pub fn as_wire(&self) -> &[u8] {
        &self.bytes
    }

    /// Number of bits.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the bitfield has no bits at all (a zero-piece torrent).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of set bits.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether every bit is set.
    pub fn is_all(&self) -> bool {
        self.count == self.len
    }

    /// Whether no bit is set.
    pub fn is_none(&self) -> bool {
        self.count == 0
    }

    /// Whether bit `index` is set; `false` past the end.
    pub fn get(&self, index: u32) -> bool {
        index < self.len && self.bytes[(index / 8) as usize] & (0x80 >> (index % 8)) != 0
    }

    /// Sets bit `index`; returns whether it changed.
    pub fn set(&mut self, index: u32) -> Result<bool, BitfieldError> {
        let (byte, mask) = self.locate(index)?;
        let was = *byte & mask != 0;
        *byte |= mask;
        if !was {
            self.count += 1;
        }
        Ok(!was)
    }

    /// Clears bit `index`; returns whether it changed.
    pub fn clear(&mut self, index: u32) -> Result<bool, BitfieldError> {
        let (byte, mask) = self.locate(index)?;
        let was = *byte & mask != 0;
        *byte &= !mask;
        if was {
            self.count -= 1;
        }
        Ok(was)
    }

    fn locate(&mut self, index: u32) -> Result<(&mut u8, u8), BitfieldError> {
        if index >= self.len {
            return Err(BitfieldError::OutOfRange { index, len: self.len });
        }
        Ok((&mut self.bytes[(index / 8) as usize], 0x80 >> (index % 8)))
    }

    /// The set bits in ascending order.
    pub fn iter_set(&self) -> Bits<'_> {
        Bits { bytes: &self.bytes, len: self.len, invert: false, next_byte: 0, cur: 0, cur_base: 0 }
    }

    /// The clear bits in ascending order.
    pub fn iter_unset(&self) -> Bits<'_> {
        Bits { bytes: &self.bytes, len: self.len, invert: true, next_byte: 0, cur: 0, cur_base: 0 }
    }
}

/// Iterator over the set (or clear) bits of a [`Bitfield`], a byte at a time.
#[derive(Debug, Clone)]
pub struct Bits<'a> {
    /// The bitfield's bytes.
    bytes: &'a [u8],
    /// Number of valid bits.
    len: u32,
    /// Yield clear bits instead of set ones.
    invert: bool,
    /// Next byte to load.
    next_byte: usize,
    /// Bits of the current byte still to yield (already inverted and masked).
    cur: u8,
    /// Index of the current byte's first bit.
    cur_base: u32,
}

impl Iterator for Bits<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        while self.cur == 0 {
            let &b = self.bytes.get(self.next_byte)?;
            let mut v = if self.invert { !b } else { b };
            if self.next_byte + 1 == self.bytes.len() {
                v &= last_mask(self.len);
            }
            self.cur = v;
            self.cur_base = self.next_byte as u32 * 8;
            self.next_byte += 1;
        }
        let bit = self.cur.leading_zeros();
        self.cur &= !(0x80u8 >> bit);
        Some(self.cur_base + bit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_and_none() {
        let a = Bitfield::all(10);
        assert_eq!(a.as_wire(), [0xff, 0xc0]);
        assert!(a.is_all() && !a.is_none());
        assert_eq!(a.count(), 10);
        let n = Bitfield::none(10);
        assert_eq!(n.as_wire(), [0, 0]);
        assert!(n.is_none() && !n.is_all());
        assert_eq!(Bitfield::all(16).as_wire(), [0xff, 0xff]);
        assert!(Bitfield::all(0).is_empty());
    }

    #[test]
    fn from_wire_checks_length_and_spare_bits() {
        assert_eq!(Bitfield::from_wire(&[0xff], 10), Err(BitfieldError::WrongLength { got: 1, expected: 2, len: 10 }));
        assert_eq!(
            Bitfield::from_wire(&[0, 0, 0], 10),
            Err(BitfieldError::WrongLength { got: 3, expected: 2, len: 10 })
        );
        assert_eq!(Bitfield::from_wire(&[0, 0x20], 10), Err(BitfieldError::SpareBitsSet { len: 10 }));
        let b = Bitfield::from_wire(&[0x81, 0x40], 10).unwrap();
        assert_eq!(b.count(), 3);
        assert_eq!(b.iter_set().collect::<Vec<_>>(), [0, 7, 9]);
        assert_eq!(b.as_wire(), [0x81, 0x40]);
    }

    #[test]
    fn set_clear_get() {
        let mut b = Bitfield::none(9);
        assert_eq!(b.set(8), Ok(true));
        assert_eq!(b.set(8), Ok(false));
        assert_eq!(b.set(0), Ok(true));
        assert_eq!(b.as_wire(), [0x80, 0x80]);
        assert!(b.get(8) && b.get(0) && !b.get(1) && !b.get(9) && !b.get(u32::MAX));
        assert_eq!(b.count(), 2);
        assert_eq!(b.clear(0), Ok(true));
        assert_eq!(b.clear(0), Ok(false));
        assert_eq!(b.count(), 1);
        assert_eq!(b.set(9), Err(BitfieldError::OutOfRange { index: 9, len: 9 }));
        assert_eq!(b.clear(100), Err(BitfieldError::OutOfRange { index: 100, len: 9 }));
    }

    #[test]
    fn iterates_set_and_unset() {
        let mut b = Bitfield::none(20);
        for i in [1, 2, 17, 19] {
            b.set(i).unwrap();
        }
        assert_eq!(b.iter_set().collect::<Vec<_>>(), [1, 2, 17, 19]);
        let unset: Vec<u32> = b.iter_unset().collect();
        assert_eq!(unset.len(), 16);
        assert!(unset.iter().all(|&i| i < 20 && !b.get(i)));
        assert_eq!(Bitfield::all(13).iter_unset().count(), 0);
        assert_eq!(Bitfield::none(13).iter_unset().count(), 13);
    }

    #[test]
    fn iterators_agree_with_get_at_every_length() {
        for len in [1u32, 7, 8, 9, 15, 16, 17, 63, 64, 65, 100] {
            let mut b = Bitfield::none(len);
            for i in (0..len).filter(|i| i % 3 == 0 || i % 7 == 6) {
                b.set(i).unwrap();
            }
            let set: Vec<u32> = (0..len).filter(|&i| b.get(i)).collect();
            let unset: Vec<u32> = (0..len).filter(|&i| !b.get(i)).collect();
            assert_eq!(b.iter_set().collect::<Vec<_>>(), set, "len {len}");
            assert_eq!(b.iter_unset().collect::<Vec<_>>(), unset, "len {len}");
            assert_eq!(Bitfield::all(len).iter_set().count() as u32, len);
            assert_eq!(Bitfield::all(len).iter_unset().count(), 0);
        }
    }

    #[test]
    fn count_matches_bits_on_long_fields() {
        let mut b = Bitfield::none(1000);
        for i in (0..1000).step_by(3) {
            b.set(i).unwrap();
        }
        let again = Bitfield::from_wire(b.as_wire(), 1000).unwrap();
        assert_eq!(again.count(), 334);
        assert_eq!(again, b);
    }

    #[test]
    fn every_wire_length_parses_or_errors() {
        for len in 0..40u32 {
            for n in 0..7usize {
                let r = Bitfield::from_wire(&vec![0xff; n], len);
                assert_eq!(r.is_ok(), n == byte_len(len) && (len % 8 == 0 || n == 0), "len {len} n {n}");
            }
        }
    }
}
