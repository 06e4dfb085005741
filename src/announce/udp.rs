//! The client side of the UDP tracker protocol (BEP 15): request building and reply parsing.
//!
//! A session is: connect (magic protocol id) -> connection id, valid about a minute; then
//! announce or scrape carrying that id. Every request has a random transaction id that the
//! reply must echo. Retries (15 * 2^n seconds) are the driver's business.

use super::request::{AnnounceRequest, Event};
use super::response::{compact_peers, AnnounceReply, ReplyError, ScrapeStats};

/// The magic constant of a connect request.
pub const PROTOCOL_ID: u64 = 0x0417_2710_1980;

const CONNECT: u32 = 0;
const ANNOUNCE: u32 = 1;
const SCRAPE: u32 = 2;
const ERROR: u32 = 3;

/// A parsed UDP tracker reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UdpReply {
    /// Reply to connect: the connection id to use.
    Connected(u64),
    /// Reply to announce.
    Announced(AnnounceReply),
    /// Reply to scrape, in request order.
    Scraped(Vec<ScrapeStats>),
}

/// A connect request with transaction id `tid`.
pub fn connect_request(tid: u32) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&PROTOCOL_ID.to_be_bytes());
    out[8..12].copy_from_slice(&CONNECT.to_be_bytes());
    out[12..].copy_from_slice(&tid.to_be_bytes());
    out
}

/// An announce request (98 bytes). The IP field is 0: the tracker uses the packet's source.
pub fn announce_request(connection_id: u64, tid: u32, req: &AnnounceRequest) -> Vec<u8> {
    let mut out = Vec::with_capacity(98);
    out.extend_from_slice(&connection_id.to_be_bytes());
    out.extend_from_slice(&ANNOUNCE.to_be_bytes());
    out.extend_from_slice(&tid.to_be_bytes());
    out.extend_from_slice(&req.info_hash);
    out.extend_from_slice(&req.peer_id);
    out.extend_from_slice(&req.downloaded.to_be_bytes());
    out.extend_from_slice(&req.left.to_be_bytes());
    out.extend_from_slice(&req.uploaded.to_be_bytes());
    out.extend_from_slice(&Event::udp_code(req.event).to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes()); // ip: default
    out.extend_from_slice(&req.key.to_be_bytes());
    let numwant: i32 = req.numwant.map_or(-1, |n| i32::try_from(n).unwrap_or(i32::MAX));
    out.extend_from_slice(&numwant.to_be_bytes());
    out.extend_from_slice(&req.port.to_be_bytes());
    out
}

/// A scrape request for up to 74 info-hashes (more are cut off, as BEP 15 allows).
pub fn scrape_request(connection_id: u64, tid: u32, hashes: &[[u8; 20]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + 20 * hashes.len().min(74));
    out.extend_from_slice(&connection_id.to_be_bytes());
    out.extend_from_slice(&SCRAPE.to_be_bytes());
    out.extend_from_slice(&tid.to_be_bytes());
    for h in hashes.iter().take(74) {
        out.extend_from_slice(h);
    }
    out
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Parses a reply to the request with transaction id `tid`. `ipv6` says which address family
/// the socket uses, which fixes the width of compact peers (6 or 18 bytes).
pub fn parse_reply(buf: &[u8], tid: u32, ipv6: bool) -> Result<UdpReply, ReplyError> {
    let bad = |m: &str| ReplyError::Invalid(m.to_string());
    if buf.len() < 8 {
        return Err(bad("UDP reply shorter than 8 bytes"));
    }
    if be32(&buf[4..]) != tid {
        return Err(bad("UDP reply for another transaction"));
    }
    let body = &buf[8..];
    match be32(buf) {
        CONNECT if body.len() >= 8 => {
            Ok(UdpReply::Connected(u64::from_be_bytes(body[..8].try_into().unwrap_or([0; 8]))))
        }
        ANNOUNCE if body.len() >= 12 => {
            let mut reply = AnnounceReply {
                interval: be32(body),
                incomplete: Some(u64::from(be32(&body[4..]))),
                complete: Some(u64::from(be32(&body[8..]))),
                ..AnnounceReply::default()
            };
            let peers = &body[12..];
            let width = if ipv6 { 18 } else { 6 };
            let whole = peers.len() - peers.len() % width;
            compact_peers(&peers[..whole], width, &mut reply.peers)?;
            reply.peers.retain(|p| p.port() != 0);
            Ok(UdpReply::Announced(reply))
        }
        SCRAPE => Ok(UdpReply::Scraped(
            body.chunks_exact(12)
                .map(|c| ScrapeStats {
                    complete: u64::from(be32(c)),
                    downloaded: u64::from(be32(&c[4..])),
                    incomplete: u64::from(be32(&c[8..])),
                })
                .collect(),
        )),
        ERROR => Err(ReplyError::Failure(String::from_utf8_lossy(body).into_owned())),
        _ => Err(bad("malformed UDP tracker reply")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_have_the_bep15_layout() {
        let c = connect_request(7);
        assert_eq!(&c[..8], &[0, 0, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80]);
        let req = AnnounceRequest {
            info_hash: [1; 20],
            peer_id: [2; 20],
            port: 6881,
            uploaded: 3,
            downloaded: 4,
            left: 5,
            event: Some(Event::Started),
            numwant: None,
            key: 9,
            tracker_id: None,
            ip: None,
            crypto: Default::default(),
        };
        let a = announce_request(42, 7, &req);
        assert_eq!(a.len(), 98);
        assert_eq!(be32(&a[80..]), 2); // started
        assert_eq!(&a[92..96], &(-1i32).to_be_bytes());
        assert_eq!(&a[96..], &6881u16.to_be_bytes());
        assert_eq!(scrape_request(1, 2, &[[0; 20]; 100]).len(), 16 + 74 * 20);
    }

    #[test]
    fn replies() {
        let mut r = vec![0, 0, 0, 0, 0, 0, 0, 7];
        r.extend_from_slice(&99u64.to_be_bytes());
        assert_eq!(parse_reply(&r, 7, false).unwrap(), UdpReply::Connected(99));
        assert!(parse_reply(&r, 8, false).is_err());
        let mut a = vec![0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 7, 8, 0, 0, 0, 1, 0, 0, 0, 2];
        a.extend_from_slice(&[127, 0, 0, 1, 0x1a, 0xe1, 9]);
        match parse_reply(&a, 7, false).unwrap() {
            UdpReply::Announced(rep) => {
                assert_eq!(rep.interval, 1800);
                assert_eq!(rep.peers, vec!["127.0.0.1:6881".parse().unwrap()]);
            }
            other => panic!("{other:?}"),
        }
        let e = [&[0, 0, 0, 3, 0, 0, 0, 7][..], b"go away"].concat();
        assert_eq!(parse_reply(&e, 7, false), Err(ReplyError::Failure("go away".into())));
        for n in 0..40 {
            let _ = parse_reply(&a[..n.min(a.len())], 7, true);
        }
    }
}
