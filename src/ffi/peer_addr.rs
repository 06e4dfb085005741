//! `bitgocho_peer_addr`: the client address a host passes with each tracker request, and its
//! conversion to and from [`SocketAddr`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::abi::*;
use super::last_error::{fail, null_arg};

/// Reads the `bitgocho_peer_addr` argument `peer`: `BITGOCHO_E_NULL_ARG` for NULL,
/// `BITGOCHO_E_INVALID_ARG` for an unknown family.
///
/// # Safety
/// `peer` is NULL or points to a readable `bitgocho_peer_addr`.
pub(crate) unsafe fn peer_arg(peer: *const bitgocho_peer_addr) -> Result<SocketAddr, bitgocho_status> {
    // SAFETY: per the contract.
    match unsafe { peer.as_ref() } {
        Some(p) => to_socket_addr(p),
        None => Err(null_arg("peer")),
    }
}

/// The socket address `peer` describes, or `BITGOCHO_E_INVALID_ARG` (with a message) for an
/// unknown family.
pub(crate) fn to_socket_addr(peer: &bitgocho_peer_addr) -> Result<SocketAddr, bitgocho_status> {
    let ip = match peer.family {
        BITGOCHO_PEER_IPV4 => IpAddr::V4(Ipv4Addr::new(peer.addr[0], peer.addr[1], peer.addr[2], peer.addr[3])),
        BITGOCHO_PEER_IPV6 => IpAddr::V6(Ipv6Addr::from(peer.addr)),
        other => {
            return Err(fail(
                BITGOCHO_E_INVALID_ARG,
                format_args!("peer address family {other} is neither 4 (IPv4) nor 6 (IPv6)"),
            ))
        }
    };
    Ok(SocketAddr::new(ip, peer.port))
}

/// The `bitgocho_peer_addr` of `addr` (IPv4 addresses in the first 4 bytes, the rest zero).
pub fn from_socket_addr(addr: SocketAddr) -> bitgocho_peer_addr {
    let mut bytes = [0u8; 16];
    let family = match addr.ip() {
        IpAddr::V4(v4) => {
            bytes[..4].copy_from_slice(&v4.octets());
            BITGOCHO_PEER_IPV4
        }
        IpAddr::V6(v6) => {
            bytes = v6.octets();
            BITGOCHO_PEER_IPV6
        }
    };
    bitgocho_peer_addr { family, addr: bytes, port: addr.port() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::last_error::message;

    #[test]
    fn both_families_round_trip() {
        for text in ["192.0.2.7:6881", "[2001:db8::1]:51413", "[::ffff:10.0.0.1]:1"] {
            let addr: SocketAddr = text.parse().unwrap();
            assert_eq!(to_socket_addr(&from_socket_addr(addr)), Ok(addr), "{text}");
        }
        let v4 = from_socket_addr("10.1.2.3:80".parse().unwrap());
        assert_eq!((v4.family, &v4.addr[..4], &v4.addr[4..], v4.port), (4, &[10, 1, 2, 3][..], &[0u8; 12][..], 80));
    }

    #[test]
    fn an_unknown_family_is_refused_with_its_number() {
        let bad = bitgocho_peer_addr { family: 2, addr: [0; 16], port: 1 };
        assert_eq!(to_socket_addr(&bad), Err(BITGOCHO_E_INVALID_ARG));
        assert!(message().contains("family 2"), "{}", message());
    }
}
