//! Peer ids and tracker keys.
//!
//! Peer ids follow the Azureus convention: `-BG` + four version digits + `-` + twelve random
//! characters from BitTornado's 64-character alphabet, e.g. `-BG0100-aZ3.kq9-Xw0L`.

use rand::Rng;

const ALPHABET: &[u8; 64] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-";

/// A fresh random peer id for this version of the library.
pub fn generate(rng: &mut impl Rng) -> [u8; 20] {
    let mut id = [0u8; 20];
    let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap_or(0);
    let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap_or(0);
    let patch: u32 = env!("CARGO_PKG_VERSION_PATCH").parse().unwrap_or(0);
    let prefix = format!("-BG{}{}{}{}-", major % 10, minor / 10 % 10, minor % 10, patch % 10);
    id[..8].copy_from_slice(prefix.as_bytes());
    for b in &mut id[8..] {
        *b = ALPHABET[rng.random_range(0..64)];
    }
    id
}

/// A short human form of a peer id for logs: printable bytes kept, others as `.`.
pub fn display(id: &[u8; 20]) -> String {
    id.iter().map(|&b| if b.is_ascii_graphic() { b as char } else { '.' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn shape() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let a = generate(&mut rng);
        let b = generate(&mut rng);
        assert_eq!(&a[..3], b"-BG");
        assert_eq!(a[7], b'-');
        assert_ne!(a, b);
        assert!(a.iter().all(|c| c.is_ascii_graphic()));
        assert_eq!(display(&[0u8; 20]), ".".repeat(20));
    }
}
