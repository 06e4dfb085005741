//! Torrent storage: the geometry ([`layout`] maps pieces and blocks to files with checked
//! arithmetic and is the sole maker of the typed indices the engine passes around), the file
//! store ([`store`]) and moving its files ([`relocate`]), in-memory piece buffers ([`piece_buffers`]), fast-resume records ([`resume`]) and the hashing pool ([`hash_pool`]).

pub mod hash_pool;
pub mod layout;
pub mod piece_buffers;
pub mod relocate;
pub mod resume;
pub mod sha1_lanes;
pub mod store;
pub mod stream_copy;

pub use layout::{BlockIndex, FileIndex, Layout, LayoutError, PieceIndex, Segment, Segments, ValidRequest, BLOCK_SIZE};

/// `n` zero bytes as static slices of at most 16 KiB: pad bytes, hashed without allocating.
pub fn zero_slices<'a>(n: u64) -> impl Iterator<Item = &'a [u8]> {
    static ZEROS: [u8; 16 * 1024] = [0; 16 * 1024];
    let chunk = ZEROS.len() as u64;
    (0..n.div_ceil(chunk)).map(move |i| &ZEROS[..(n - i * chunk).min(chunk) as usize])
}

#[cfg(test)]
mod tests {
    #[test]
    fn zero_slices_cover_exactly_n_bytes() {
        for n in [0u64, 1, 16 * 1024, 16 * 1024 + 1, 50_000] {
            let slices: Vec<&[u8]> = super::zero_slices(n).collect();
            assert_eq!(slices.iter().map(|s| s.len() as u64).sum::<u64>(), n);
            assert!(slices.iter().all(|s| !s.is_empty() && s.len() <= 16 * 1024 && s.iter().all(|&b| b == 0)));
        }
    }
}
