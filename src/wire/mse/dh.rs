//! The 768-bit Diffie-Hellman exchange of MSE: the spec's prime P, generator 2, 160-bit private
//! keys, public keys and the shared secret as 96-byte big-endian numbers.

use num_bigint::BigUint;

/// Bytes in a public key or shared secret (768 bits).
pub const KEY_LEN: usize = 96;
/// Bytes in a private key (160 bits).
pub const PRIVATE_LEN: usize = 20;

/// The MSE prime P, big-endian.
pub const PRIME: [u8; KEY_LEN] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC9, 0x0F, 0xDA, 0xA2, 0x21, 0x68, 0xC2, 0x34, 0xC4, 0xC6, 0x62,
    0x8B, 0x80, 0xDC, 0x1C, 0xD1, 0x29, 0x02, 0x4E, 0x08, 0x8A, 0x67, 0xCC, 0x74, 0x02, 0x0B, 0xBE, 0xA6, 0x3B, 0x13,
    0x9B, 0x22, 0x51, 0x4A, 0x08, 0x79, 0x8E, 0x34, 0x04, 0xDD, 0xEF, 0x95, 0x19, 0xB3, 0xCD, 0x3A, 0x43, 0x1B, 0x30,
    0x2B, 0x0A, 0x6D, 0xF2, 0x5F, 0x14, 0x37, 0x4F, 0xE1, 0x35, 0x6D, 0x6D, 0x51, 0xC2, 0x45, 0xE4, 0x85, 0xB5, 0x76,
    0x62, 0x5E, 0x7E, 0xC6, 0xF4, 0x4C, 0x42, 0xE9, 0xA6, 0x3A, 0x36, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x05,
    0x63,
];

/// One side's key pair.
#[derive(Clone)]
pub struct DhKey {
    private: BigUint,
    public: [u8; KEY_LEN],
}

impl std::fmt::Debug for DhKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DhKey").field("public", &&self.public[..4]).finish_non_exhaustive()
    }
}

fn prime() -> BigUint {
    BigUint::from_bytes_be(&PRIME)
}

/// `n` as exactly 96 big-endian bytes (n < P, so it fits).
fn to_key_bytes(n: &BigUint) -> [u8; KEY_LEN] {
    let bytes = n.to_bytes_be();
    let mut out = [0u8; KEY_LEN];
    out[KEY_LEN - bytes.len()..].copy_from_slice(&bytes);
    out
}

impl DhKey {
    /// The key pair for a 160-bit private key (big-endian).
    pub fn new(private: &[u8; PRIVATE_LEN]) -> DhKey {
        let private = BigUint::from_bytes_be(private);
        let public = BigUint::from(2u32).modpow(&private, &prime());
        DhKey { private, public: to_key_bytes(&public) }
    }

    /// Our public key, as sent on the wire.
    pub fn public(&self) -> &[u8; KEY_LEN] {
        &self.public
    }

    /// The shared secret S for the peer's public key, or `None` when that key is degenerate
    /// (0, 1, P-1 or not below P), which would make S guessable.
    pub fn shared_secret(&self, remote_public: &[u8]) -> Option<[u8; KEY_LEN]> {
        let p = prime();
        let y = BigUint::from_bytes_be(remote_public);
        let one = BigUint::from(1u32);
        if y <= one || y >= &p - &one {
            return None;
        }
        Some(to_key_bytes(&y.modpow(&self.private, &p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_agree_and_degenerate_keys_are_refused() {
        let a = DhKey::new(&[7; PRIVATE_LEN]);
        let b = DhKey::new(&[9; PRIVATE_LEN]);
        let s1 = a.shared_secret(b.public()).unwrap();
        let s2 = b.shared_secret(a.public()).unwrap();
        assert_eq!(s1, s2);
        assert_ne!(s1, [0; KEY_LEN]);
        assert!(a.shared_secret(&[0; KEY_LEN]).is_none());
        let mut one = [0; KEY_LEN];
        one[KEY_LEN - 1] = 1;
        assert!(a.shared_secret(&one).is_none());
        assert!(a.shared_secret(&PRIME).is_none());
        assert!(a.shared_secret(&[0xff; KEY_LEN]).is_none());
    }

    #[test]
    fn public_key_of_private_one_is_two() {
        let mut one = [0u8; PRIVATE_LEN];
        one[PRIVATE_LEN - 1] = 1;
        let k = DhKey::new(&one);
        assert_eq!(k.public()[..KEY_LEN - 1], [0; KEY_LEN - 1]);
        assert_eq!(k.public()[KEY_LEN - 1], 2);
    }
}
