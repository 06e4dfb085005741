//! BEP 15 connection ids that need no table and cannot be forged.
//!
//! Layout (8 bytes, big-endian): `[0..4]` the issue time in whole seconds (Unix time, truncated
//! to 32 bits), `[4..8]` the first four bytes of SHA-256(key ‖ time ‖ client IP as 16 bytes).
//! The key is 32 random bytes per process. An id is accepted from the same IP for
//! [`CONNECTION_ID_LIFETIME`] seconds after issue, never when stamped in the future, and the MAC
//! is compared in constant time.

use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// Seconds a connection id stays valid (BEP 15 says clients may use one for a minute; two
/// leave room for slow clients).
pub const CONNECTION_ID_LIFETIME: u64 = 120;

/// Issues and checks connection ids under one secret key.
#[derive(Clone)]
pub struct ConnectionIdKey {
    key: [u8; 32],
}

impl std::fmt::Debug for ConnectionIdKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConnectionIdKey(..)")
    }
}

fn ip16(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

impl ConnectionIdKey {
    /// A key from fixed bytes (tests, or a key shared by several processes).
    pub fn from_bytes(key: [u8; 32]) -> Self {
        ConnectionIdKey { key }
    }

    /// A fresh random key from the operating system's generator.
    pub fn random() -> Self {
        ConnectionIdKey { key: rand::random() }
    }

    fn mac(&self, time: u32, ip: IpAddr) -> [u8; 4] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(time.to_be_bytes());
        h.update(ip16(ip));
        let d = h.finalize();
        [d[0], d[1], d[2], d[3]]
    }

    /// The connection id for a client at `ip`, issued at `now` (Unix seconds).
    pub fn issue(&self, ip: IpAddr, now: u64) -> u64 {
        let t = now as u32;
        let mut id = [0u8; 8];
        id[..4].copy_from_slice(&t.to_be_bytes());
        id[4..].copy_from_slice(&self.mac(t, ip));
        u64::from_be_bytes(id)
    }

    /// True when `id` was issued by this key to `ip` no more than the lifetime before `now`.
    pub fn check(&self, id: u64, ip: IpAddr, now: u64) -> bool {
        let bytes = id.to_be_bytes();
        let t = u32::from_be_bytes(bytes[..4].try_into().expect("4 bytes"));
        let now32 = now as u32;
        let age = now32.wrapping_sub(t);
        if u64::from(age) > CONNECTION_ID_LIFETIME {
            return false; // expired, or stamped in the future (wraps to a huge age)
        }
        let expected = self.mac(t, ip);
        let diff = expected.iter().zip(&bytes[4..]).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ConnectionIdKey {
        ConnectionIdKey::from_bytes([7; 32])
    }

    #[test]
    fn valid_for_two_minutes_then_expires() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let id = key().issue(ip, 1_000_000);
        assert!(key().check(id, ip, 1_000_000));
        assert!(key().check(id, ip, 1_000_000 + CONNECTION_ID_LIFETIME));
        assert!(!key().check(id, ip, 1_000_000 + CONNECTION_ID_LIFETIME + 1));
        assert!(!key().check(id, ip, 999_999), "an id from the future is refused");
    }

    #[test]
    fn forgeries_are_refused() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "2001:db8::1".parse().unwrap();
        let now = 1_700_000_000;
        let id = key().issue(ip, now);
        assert!(!key().check(id, other, now), "another address");
        assert!(!ConnectionIdKey::from_bytes([8; 32]).check(id, ip, now), "another key");
        for bit in 0..64 {
            assert!(!key().check(id ^ (1 << bit), ip, now), "bit {bit} flipped");
        }
        // Re-stamping the time without the key fails.
        let restamped = (id & 0xffff_ffff) | (u64::from(now as u32 - 1) << 32);
        assert!(!key().check(restamped, ip, now));
        assert!(!key().check(0x41727101980, ip, now), "the BEP 15 protocol id is not a connection id");
    }

    #[test]
    fn random_keys_differ() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert_ne!(ConnectionIdKey::random().issue(ip, 5), ConnectionIdKey::random().issue(ip, 5));
    }
}
