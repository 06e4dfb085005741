//! One peer of one swarm as the tracker stores it: a compact record (addresses, port, flags,
//! NAT-check state, 32-bit last-seen time, the client's key).

use super::query::{PeerId, PeerKey};
use std::net::{IpAddr, Ipv6Addr};

/// The peer can do MSE encryption.
pub const SUPPORT_CRYPTO: u8 = 1;
/// The peer accepts only encrypted connections.
pub const REQUIRE_CRYPTO: u8 = 2;
/// The peer may be handed out (passed the NAT check, or exempt).
pub const CONNECTABLE: u8 = 4;
/// A NAT check job for the peer is queued or running.
pub const NAT_PENDING: u8 = 8;
/// The peer announced the configured `dedicated_seed_id`.
pub const DEDICATED_SEED: u8 = 16;

/// A stored peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerRecord {
    /// The peer id (the record's key within its swarm).
    pub id: PeerId,
    /// Address handed out to others (the `ip` parameter when honoured, else `conn_ip`), as
    /// 16 bytes (IPv4 mapped into IPv6).
    pub addr: [u8; 16],
    /// The address the announce came from (after honoured proxy headers), 16 bytes.
    pub conn_ip: [u8; 16],
    /// Listening port; 0 means never handed out.
    pub port: u16,
    /// Flag bits: [`SUPPORT_CRYPTO`], [`REQUIRE_CRYPTO`], [`CONNECTABLE`], [`NAT_PENDING`], [`DEDICATED_SEED`].
    pub flags: u8,
    /// Failed NAT checks so far.
    pub nat_failures: u8,
    /// Last announce, Unix seconds truncated to 32 bits (0 = restored from the state file).
    pub last_seen: u32,
    /// When the pending NAT check was queued (meaningful while [`NAT_PENDING`] is set).
    pub nat_since: u32,
    /// The client's `key`, used to authenticate updates from a changed address.
    pub key: PeerKey,
    /// Bytes the peer had left at its last announce (0 = seed), kept for the state file.
    pub left: u64,
}

/// Packs an address into 16 bytes (IPv4 mapped).
pub fn pack_ip(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// Unpacks 16 bytes into an address (mapped IPv4 back to IPv4).
pub fn unpack_ip(b: [u8; 16]) -> IpAddr {
    let v6 = Ipv6Addr::from(b);
    match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    }
}

impl PeerRecord {
    /// True when the flag bit is set.
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Sets or clears a flag bit.
    pub fn set(&mut self, flag: u8, on: bool) {
        if on {
            self.flags |= flag;
        } else {
            self.flags &= !flag;
        }
    }

    /// True when the handed-out address is IPv4.
    pub fn is_v4(&self) -> bool {
        self.addr[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
    }

    /// The handed-out address.
    pub fn ip(&self) -> IpAddr {
        unpack_ip(self.addr)
    }

    /// True when the peer may appear in replies: connectable and with a port.
    pub fn handed_out(&self) -> bool {
        self.has(CONNECTABLE) && self.port != 0
    }
}

/// `n` connectable peers for unit tests: ids start with `n`'s index after `tag` fills, addresses
/// 10.0.0.i, ports 1000 + i, `left` = `tag`.
#[cfg(test)]
pub(crate) fn test_peers(n: usize, tag: u8) -> Vec<PeerRecord> {
    (0..n)
        .map(|i| {
            let mut id = [tag; 20];
            id[..8].copy_from_slice(&(i as u64).to_be_bytes());
            PeerRecord {
                id,
                addr: pack_ip(std::net::Ipv4Addr::from(0x0a00_0000 + i as u32).into()),
                conn_ip: [0; 16],
                port: 1000 + i as u16,
                flags: CONNECTABLE,
                nat_failures: 0,
                last_seen: 1,
                nat_since: 0,
                key: PeerKey::default(),
                left: u64::from(tag),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips_and_families() {
        for s in ["1.2.3.4", "2001:db8::7", "::1"] {
            let ip: IpAddr = s.parse().unwrap();
            assert_eq!(unpack_ip(pack_ip(ip)), ip);
        }
        let mut p = PeerRecord {
            id: [0; 20],
            addr: pack_ip("1.2.3.4".parse().unwrap()),
            conn_ip: [0; 16],
            port: 1,
            flags: 0,
            nat_failures: 0,
            last_seen: 0,
            nat_since: 0,
            key: PeerKey::default(),
            left: 0,
        };
        assert!(p.is_v4() && !p.handed_out());
        p.set(CONNECTABLE, true);
        assert!(p.handed_out());
        p.port = 0;
        assert!(!p.handed_out());
        p.addr = pack_ip("2001:db8::1".parse().unwrap());
        assert!(!p.is_v4());
    }
}
