//! Piece size: BitTornado's automatic table and checks on a requested power of two.

use super::create_error::CreateError;
use super::merkle::BLOCK_SIZE;

/// Smallest piece-size exponent accepted (16 KiB, the v2 minimum).
pub const MIN_POW2: u32 = 14;
/// Largest piece-size exponent accepted (1 GiB).
pub const MAX_POW2: u32 = 30;

const MIB: u64 = 1024 * 1024;

/// BitTornado's automatic piece size for `total` bytes (reference §7.2, strict "greater than"):
/// 32 KiB up to 4 MiB, doubling at each boundary up to 2 MiB above 8 GiB.
pub fn auto_piece_size(total: u64) -> u64 {
    let pow2 = if total > 8 * 1024 * MIB {
        21
    } else if total > 2 * 1024 * MIB {
        20
    } else if total > 512 * MIB {
        19
    } else if total > 64 * MIB {
        18
    } else if total > 16 * MIB {
        17
    } else if total > 4 * MIB {
        16
    } else {
        15
    };
    1u64 << pow2
}

/// The piece size for `total` bytes given `piece_size_pow2` (0 = automatic), checked against
/// the accepted range. `v2` marks BEP 52 torrents (v2 or hybrid), which need at least 16 KiB.
pub fn choose_piece_size(total: u64, piece_size_pow2: u32, v2: bool) -> Result<u64, CreateError> {
    if piece_size_pow2 == 0 {
        return Ok(auto_piece_size(total));
    }
    if piece_size_pow2 > MAX_POW2 {
        return Err(CreateError::BadPieceSize { pow2: piece_size_pow2, reason: "larger than 1 GiB (2^30)" });
    }
    if piece_size_pow2 < MIN_POW2 {
        let reason = if v2 { "v2 pieces must be at least 16 KiB (2^14)" } else { "smaller than 16 KiB (2^14)" };
        return Err(CreateError::BadPieceSize { pow2: piece_size_pow2, reason });
    }
    let size = 1u64 << piece_size_pow2;
    debug_assert!(size >= BLOCK_SIZE);
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_boundaries_are_strict() {
        let cases = [
            (0, 15),
            (4 * MIB, 15),
            (4 * MIB + 1, 16),
            (16 * MIB, 16),
            (16 * MIB + 1, 17),
            (64 * MIB, 17),
            (64 * MIB + 1, 18),
            (512 * MIB, 18),
            (512 * MIB + 1, 19),
            (2048 * MIB, 19),
            (2048 * MIB + 1, 20),
            (8192 * MIB, 20),
            (8192 * MIB + 1, 21),
            (u64::MAX, 21),
        ];
        for (total, pow2) in cases {
            assert_eq!(auto_piece_size(total), 1 << pow2, "total {total}");
        }
    }

    #[test]
    fn requested_sizes_are_checked() {
        assert_eq!(choose_piece_size(10, 0, true).unwrap(), 1 << 15);
        assert_eq!(choose_piece_size(10, 18, true).unwrap(), 1 << 18);
        assert_eq!(choose_piece_size(10, 14, false).unwrap(), 1 << 14);
        let err = choose_piece_size(10, 13, true).unwrap_err().to_string();
        assert!(err.contains("2^13") && err.contains("16 KiB"), "{err}");
        assert!(matches!(choose_piece_size(10, 31, false), Err(CreateError::BadPieceSize { pow2: 31, .. })));
    }
}
