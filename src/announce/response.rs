//! HTTP tracker replies: announce (dictionary or compact peers, `peers6`) and scrape.

use crate::bencode::{self, Dict, Limits, Value};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Most peers taken from one reply; the rest are ignored.
pub const MAX_PEERS_PER_REPLY: usize = 2000;

/// A successful announce reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnounceReply {
    /// Seconds until the next regular announce.
    pub interval: u32,
    /// Seconds the tracker asks us to wait at least between announces.
    pub min_interval: Option<u32>,
    /// Opaque id to echo back as `trackerid`.
    pub tracker_id: Option<Vec<u8>>,
    /// Seeds in the swarm, when reported.
    pub complete: Option<u64>,
    /// Leechers in the swarm, when reported.
    pub incomplete: Option<u64>,
    /// Peer addresses (IPv4 and IPv6), duplicates and port 0 removed.
    pub peers: Vec<SocketAddr>,
    /// A `warning message`, to show the user.
    pub warning: Option<String>,
    /// Peers the tracker's `crypto_flags` mark as requiring encryption (a subset of `peers`).
    pub crypto_required: Vec<SocketAddr>,
}

/// Why an announce or scrape reply gave no usable result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The tracker refused: its `failure reason`.
    #[error("rejected by tracker - {0}")]
    Failure(String),
    /// The reply is not what the protocol allows.
    #[error("bad data from tracker - {0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> ReplyError {
    ReplyError::Invalid(msg.into())
}

fn parse_dict(body: &[u8]) -> Result<Value<'_>, ReplyError> {
    let limits = Limits { max_depth: 16, max_tokens: 200_000, require_sorted_keys: false };
    bencode::decode(body, limits).map_err(|e| invalid(e.to_string()))
}

fn text(d: &Dict<'_>, key: &[u8]) -> Option<String> {
    d.get_bytes(key).map(|b| String::from_utf8_lossy(b).into_owned())
}

fn count(d: &Dict<'_>, key: &[u8]) -> Option<u64> {
    d.get_int(key).and_then(|i| u64::try_from(i).ok())
}

impl AnnounceReply {
    /// Parses an HTTP announce reply body.
    pub fn parse(body: &[u8]) -> Result<AnnounceReply, ReplyError> {
        let v = parse_dict(body)?;
        let d = v.as_dict().ok_or_else(|| invalid("reply is not a dictionary"))?;
        if let Some(reason) = text(d, b"failure reason") {
            return Err(ReplyError::Failure(reason));
        }
        let interval = d.get_int(b"interval").ok_or_else(|| invalid("no interval"))?;
        let interval = u32::try_from(interval).map_err(|_| invalid(format!("interval {interval} out of range")))?;
        let mut reply = AnnounceReply {
            interval,
            min_interval: d.get_int(b"min interval").and_then(|i| u32::try_from(i).ok()),
            tracker_id: d.get_bytes(b"tracker id").map(<[u8]>::to_vec),
            complete: count(d, b"complete"),
            incomplete: count(d, b"incomplete"),
            peers: Vec::new(),
            warning: text(d, b"warning message"),
            crypto_required: Vec::new(),
        };
        match d.get(b"peers") {
            Some(Value::Bytes(b)) => {
                compact_peers(b, 6, &mut reply.peers)?;
                if let Some(flags) = d.get_bytes(b"crypto_flags") {
                    crypto_required(&reply.peers, b.len() / 6, flags, &mut reply.crypto_required);
                }
            }
            Some(Value::List(items, _)) => dict_peers(items, &mut reply.peers),
            Some(_) => return Err(invalid("peers is neither a string nor a list")),
            None => {}
        }
        if let Some(b) = d.get_bytes(b"peers6") {
            compact_peers(b, 18, &mut reply.peers)?;
        }
        if d.get(b"peers").is_none() && d.get(b"peers6").is_none() {
            return Err(invalid("no peers"));
        }
        reply.peers.retain(|p| p.port() != 0);
        let mut seen = std::collections::HashSet::new();
        reply.peers.retain(|p| seen.insert(*p));
        reply.peers.truncate(MAX_PEERS_PER_REPLY);
        Ok(reply)
    }
}

/// The peers whose `crypto_flags` byte (one per compact IPv4 peer, in order) is 1. `peers` are
/// the first of the `sent` peers of the compact list (those kept). A flags string whose length is
/// not `sent` is ignored, as BitTornado does.
fn crypto_required(peers: &[SocketAddr], sent: usize, flags: &[u8], out: &mut Vec<SocketAddr>) {
    if flags.len() == sent {
        out.extend(peers.iter().zip(flags).filter(|(p, f)| **f == 1 && p.port() != 0).map(|(p, _)| *p));
    }
}

/// Decodes compact peers: 6 bytes (IPv4 + port) or 18 bytes (IPv6 + port) each.
pub fn compact_peers(bytes: &[u8], width: usize, out: &mut Vec<SocketAddr>) -> Result<(), ReplyError> {
    if !bytes.len().is_multiple_of(width) {
        return Err(invalid(format!("compact peer list length {} is not a multiple of {width}", bytes.len())));
    }
    for c in bytes.chunks_exact(width).take(MAX_PEERS_PER_REPLY) {
        let port = u16::from_be_bytes([c[width - 2], c[width - 1]]);
        let ip = if width == 6 {
            IpAddr::V4(Ipv4Addr::new(c[0], c[1], c[2], c[3]))
        } else {
            let mut a = [0u8; 16];
            a.copy_from_slice(&c[..16]);
            IpAddr::V6(Ipv6Addr::from(a))
        };
        out.push(SocketAddr::new(ip, port));
    }
    Ok(())
}

fn dict_peers(items: &[Value<'_>], out: &mut Vec<SocketAddr>) {
    for item in items.iter().take(MAX_PEERS_PER_REPLY) {
        let Some(p) = item.as_dict() else { continue };
        let ip = p.get_str(b"ip").and_then(|s| s.parse::<IpAddr>().ok());
        let port = p.get_int(b"port").and_then(|x| u16::try_from(x).ok());
        if let (Some(ip), Some(port)) = (ip, port) {
            out.push(SocketAddr::new(ip, port));
        }
    }
}

/// Swarm counts for one torrent from a scrape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScrapeStats {
    /// Seeds.
    pub complete: u64,
    /// Leechers.
    pub incomplete: u64,
    /// Completed downloads ever recorded.
    pub downloaded: u64,
}

/// A scrape reply: counts per info-hash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScrapeReply {
    /// One entry per torrent the tracker reported.
    pub files: Vec<([u8; 20], ScrapeStats)>,
}

impl ScrapeReply {
    /// Parses an HTTP scrape reply body (BEP 48).
    pub fn parse(body: &[u8]) -> Result<ScrapeReply, ReplyError> {
        let v = parse_dict(body)?;
        let d = v.as_dict().ok_or_else(|| invalid("reply is not a dictionary"))?;
        if let Some(reason) = text(d, b"failure reason") {
            return Err(ReplyError::Failure(reason));
        }
        let files = d.get_dict(b"files").ok_or_else(|| invalid("no files dictionary"))?;
        let mut reply = ScrapeReply::default();
        for (hash, stats) in files.entries() {
            let (Ok(hash), Some(s)) = (<[u8; 20]>::try_from(*hash), stats.as_dict()) else { continue };
            let stats = ScrapeStats {
                complete: count(s, b"complete").unwrap_or(0),
                incomplete: count(s, b"incomplete").unwrap_or(0),
                downloaded: count(s, b"downloaded").unwrap_or(0),
            };
            reply.files.push((hash, stats));
        }
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_dict_and_v6() {
        let body = b"d8:completei2e10:incompletei3e8:intervali1800e12:min intervali60e5:peers12:\x7f\x00\x00\x01\x1a\xe1\x7f\x00\x00\x01\x00\x006:peers618:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe2e";
        let r = AnnounceReply::parse(body).unwrap();
        assert_eq!(r.interval, 1800);
        assert_eq!(r.min_interval, Some(60));
        assert_eq!((r.complete, r.incomplete), (Some(2), Some(3)));
        assert_eq!(r.peers, vec!["127.0.0.1:6881".parse().unwrap(), "[::1]:6882".parse().unwrap()]);
        let dict =
            b"d8:intervali5e5:peersld2:ip8:10.0.0.17:peer id20:aaaaaaaaaaaaaaaaaaaa4:porti80eed2:ip3:bad4:porti1eeee";
        assert_eq!(AnnounceReply::parse(dict).unwrap().peers, vec!["10.0.0.1:80".parse().unwrap()]);
    }

    #[test]
    fn failures_and_garbage() {
        assert_eq!(AnnounceReply::parse(b"d14:failure reason4:nopee"), Err(ReplyError::Failure("nope".into())));
        assert!(matches!(AnnounceReply::parse(b"d8:intervali5e5:peers5:abcdee"), Err(ReplyError::Invalid(_))));
        assert!(matches!(AnnounceReply::parse(b"d8:intervali-5e5:peers0:e"), Err(ReplyError::Invalid(_))));
        assert!(matches!(AnnounceReply::parse(b"<html>"), Err(ReplyError::Invalid(_))));
        assert!(matches!(AnnounceReply::parse(b"d5:peers0:e"), Err(ReplyError::Invalid(_))));
    }

    #[test]
    fn crypto_flags_mark_peers_that_require_encryption() {
        let body = b"d12:crypto_flags3:\x00\x01\x018:intervali60e5:peers18:\x01\x02\x03\x04\x00\x01\x01\x02\x03\x05\x00\x02\x01\x02\x03\x06\x00\x00e";
        let r = AnnounceReply::parse(body).unwrap();
        assert_eq!(r.peers, ["1.2.3.4:1".parse().unwrap(), "1.2.3.5:2".parse().unwrap()]);
        assert_eq!(r.crypto_required, ["1.2.3.5:2".parse::<SocketAddr>().unwrap()], "port 0 dropped");
        let short = b"d12:crypto_flags1:\x018:intervali60e5:peers12:\x01\x02\x03\x04\x00\x01\x01\x02\x03\x05\x00\x02e";
        assert!(AnnounceReply::parse(short).unwrap().crypto_required.is_empty(), "wrong length ignored");
    }

    #[test]
    fn crypto_flags_still_line_up_when_the_peer_list_is_cut_short() {
        let sent = MAX_PEERS_PER_REPLY + 500;
        let peer = |i: usize| SocketAddr::from(([10, (i >> 16) as u8, (i >> 8) as u8, i as u8], 6881));
        let (mut peers, mut flags) = (Vec::new(), vec![0u8; sent]);
        for i in 0..sent {
            if let SocketAddr::V4(a) = peer(i) {
                peers.extend_from_slice(&a.ip().octets());
                peers.extend_from_slice(&a.port().to_be_bytes());
            }
        }
        flags[3] = 1;
        flags[MAX_PEERS_PER_REPLY + 7] = 1;
        let mut body = format!("d12:crypto_flags{sent}:").into_bytes();
        body.extend_from_slice(&flags);
        body.extend_from_slice(format!("8:intervali60e5:peers{}:", peers.len()).as_bytes());
        body.extend_from_slice(&peers);
        body.push(b'e');
        let r = AnnounceReply::parse(&body).unwrap();
        assert_eq!(r.peers.len(), MAX_PEERS_PER_REPLY);
        assert_eq!(r.crypto_required, [peer(3)], "the flag of a kept peer counts; one past the cut has no peer");
    }

    #[test]
    fn scrape() {
        let mut body = b"d5:filesd20:".to_vec();
        body.extend_from_slice(&[7u8; 20]);
        body.extend_from_slice(b"d8:completei1e10:downloadedi9e10:incompletei4eeee");
        let r = ScrapeReply::parse(&body).unwrap();
        assert_eq!(r.files, vec![([7u8; 20], ScrapeStats { complete: 1, incomplete: 4, downloaded: 9 })]);
    }
}
