//! The state file (`dfile`), bencoded with BitTornado's keys:
//!
//! ```text
//! { "peers":     { info_hash: { peer_id: { "ip", "port", "left", "supportcrypto", "requirecrypto",
//!                                          ["nat"], ["key"], ["given ip"] } } },
//!   "completed": { info_hash: count },
//!   "allowed":   { info_hash: { "path", "file", "type", "numfiles", "length", "name",
//!                               ["failure reason"], ["warning message"] } },   (allowed_dir mode)
//!   "allowed_dir_files": { path: [[mtime, size], info_hash] },                  (allowed_dir mode)
//!   "allowed_list": { info_hash: 1 } }                                          (allowed_list mode)
//! ```
//!
//! `nat` is 0 for a peer that passed its NAT check, else its failure count (2^30 = unchecked).
//! `left` is the peer's real amount left at its last announce (0 = seed). A legacy file
//! holding only the peers dictionary is read too.

use super::allowed::{AllowedDir, AllowedTorrent, SeenFile};
use super::peer::{pack_ip, PeerRecord, CONNECTABLE, REQUIRE_CRYPTO, SUPPORT_CRYPTO};
use super::query::{InfoHash, PeerKey};
use crate::bencode::{decode, encode, Dict, Limits, OwnedValue};
use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;

const NAT_UNCHECKED: i64 = 1 << 30;

/// Peers of one torrent, each with whether it is a seed.
pub type TorrentPeers = (InfoHash, Vec<(PeerRecord, bool)>);

/// Why a state file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Not bencode (truncated, garbage).
    #[error("not bencoded: {0}")]
    Bencode(String),
    /// Bencode, but not the state layout.
    #[error("unexpected layout: {0}")]
    Layout(&'static str),
}

/// Everything the state file holds.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Peers per torrent, with whether each is a seed.
    pub peers: Vec<TorrentPeers>,
    /// Completed counters.
    pub completed: Vec<(InfoHash, u64)>,
    /// The allowed_dir contents, in allowed_dir mode.
    pub allowed_dir: Option<AllowedDir>,
    /// The allowed_list contents, in allowed_list mode.
    pub allowed_list: Option<HashSet<InfoHash>>,
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn peer_value(p: &PeerRecord, seed: bool) -> OwnedValue {
    let mut d = BTreeMap::new();
    let conn = super::peer::unpack_ip(p.conn_ip).to_string();
    if p.addr != p.conn_ip {
        d.insert(b("given ip"), OwnedValue::bytes(p.ip().to_string()));
    }
    d.insert(b("ip"), OwnedValue::bytes(conn));
    if !p.key.is_empty() {
        d.insert(b("key"), OwnedValue::bytes(p.key.as_bytes()));
    }
    // A record restored from an old file that kept only 0/1 still says which it was.
    let left = if seed { 0 } else { p.left.max(1) };
    d.insert(b("left"), OwnedValue::Int(i64::try_from(left).unwrap_or(i64::MAX)));
    let nat = if p.has(CONNECTABLE) {
        0
    } else if p.nat_failures > 0 {
        i64::from(p.nat_failures)
    } else {
        NAT_UNCHECKED
    };
    d.insert(b("nat"), OwnedValue::Int(nat));
    d.insert(b("port"), OwnedValue::Int(i64::from(p.port)));
    d.insert(b("requirecrypto"), OwnedValue::Int(i64::from(p.has(REQUIRE_CRYPTO))));
    d.insert(b("supportcrypto"), OwnedValue::Int(i64::from(p.has(SUPPORT_CRYPTO))));
    OwnedValue::Dict(d)
}

fn allowed_value(t: &AllowedTorrent) -> OwnedValue {
    let mut d = BTreeMap::new();
    d.insert(b("file"), OwnedValue::bytes(&t.file));
    d.insert(b("length"), OwnedValue::Int(t.length as i64));
    d.insert(b("name"), OwnedValue::bytes(&t.name));
    d.insert(b("numfiles"), OwnedValue::Int(t.numfiles as i64));
    d.insert(b("path"), OwnedValue::bytes(t.path.to_string_lossy().as_bytes()));
    d.insert(b("type"), OwnedValue::bytes(if t.numfiles == 1 { "single" } else { "multiple" }));
    if t.has_announce_list {
        let tiers = t
            .announce_list
            .iter()
            .map(|tier| OwnedValue::List(tier.iter().map(|u| OwnedValue::bytes(u.as_bytes())).collect()))
            .collect();
        d.insert(b("announce-list"), OwnedValue::List(tiers));
    }
    if let Some(f) = &t.failure_reason {
        d.insert(b("failure reason"), OwnedValue::bytes(f));
    }
    if let Some(w) = &t.warning_message {
        d.insert(b("warning message"), OwnedValue::bytes(w));
    }
    OwnedValue::Dict(d)
}

/// Encodes a snapshot.
pub fn encode_state(s: &Snapshot) -> Vec<u8> {
    let mut top = BTreeMap::new();
    let mut peers = BTreeMap::new();
    for (h, list) in &s.peers {
        let d: BTreeMap<Vec<u8>, OwnedValue> =
            list.iter().map(|(p, seed)| (p.id.to_vec(), peer_value(p, *seed))).collect();
        peers.insert(h.to_vec(), OwnedValue::Dict(d));
    }
    top.insert(b("peers"), OwnedValue::Dict(peers));
    let completed = s.completed.iter().map(|(h, n)| (h.to_vec(), OwnedValue::Int(*n as i64))).collect();
    top.insert(b("completed"), OwnedValue::Dict(completed));
    if let Some(dir) = &s.allowed_dir {
        let allowed = dir.torrents.iter().map(|(h, t)| (h.to_vec(), allowed_value(t))).collect();
        top.insert(b("allowed"), OwnedValue::Dict(allowed));
        let files = dir
            .files
            .iter()
            .map(|(p, f)| {
                let stamp = OwnedValue::List(vec![OwnedValue::Int(f.mtime), OwnedValue::Int(f.size as i64)]);
                let hash = f.hash.map_or(OwnedValue::Bytes(Vec::new()), |h| OwnedValue::Bytes(h.to_vec()));
                (p.to_string_lossy().as_bytes().to_vec(), OwnedValue::List(vec![stamp, hash]))
            })
            .collect();
        top.insert(b("allowed_dir_files"), OwnedValue::Dict(files));
    }
    if let Some(list) = &s.allowed_list {
        let d = list.iter().map(|h| (h.to_vec(), OwnedValue::Int(1))).collect();
        top.insert(b("allowed_list"), OwnedValue::Dict(d));
    }
    encode(&OwnedValue::Dict(top))
}

fn hash_key(k: &[u8]) -> Result<InfoHash, StateError> {
    k.try_into().map_err(|_| StateError::Layout("key is not a 20-byte hash"))
}

fn parse_ip(v: Option<&[u8]>) -> Option<IpAddr> {
    std::str::from_utf8(v?).ok()?.parse().ok()
}

fn decode_peer(id: &[u8], d: &Dict<'_>) -> Result<(PeerRecord, bool), StateError> {
    let id = hash_key(id)?;
    let conn = parse_ip(d.get_bytes(b"ip")).ok_or(StateError::Layout("peer ip"))?;
    let port = d.get_int(b"port").and_then(|p| u16::try_from(p).ok()).ok_or(StateError::Layout("peer port"))?;
    let left = d.get_int(b"left").ok_or(StateError::Layout("peer left"))?;
    let given = parse_ip(d.get_bytes(b"given ip")).unwrap_or(conn);
    let mut rec = PeerRecord {
        id,
        addr: pack_ip(given),
        conn_ip: pack_ip(conn),
        port,
        flags: 0,
        nat_failures: 0,
        last_seen: 0,
        nat_since: 0,
        key: PeerKey::new(d.get_bytes(b"key").unwrap_or(b"")),
        left: u64::try_from(left).map_err(|_| StateError::Layout("peer left is negative"))?,
    };
    rec.set(SUPPORT_CRYPTO, d.get_int(b"supportcrypto").unwrap_or(0) != 0);
    rec.set(REQUIRE_CRYPTO, d.get_int(b"requirecrypto").unwrap_or(0) != 0);
    match d.get_int(b"nat").unwrap_or(NAT_UNCHECKED) {
        0 => rec.set(CONNECTABLE, true),
        n if n < NAT_UNCHECKED => rec.nat_failures = n.clamp(0, 255) as u8,
        _ => {}
    }
    Ok((rec, left == 0))
}

fn decode_peers(d: &Dict<'_>) -> Result<Vec<TorrentPeers>, StateError> {
    let mut out = Vec::with_capacity(d.len());
    for (h, v) in d.entries() {
        let list = v.as_dict().ok_or(StateError::Layout("torrent peers not a dictionary"))?;
        let peers = list
            .entries()
            .iter()
            .map(|(id, p)| decode_peer(id, p.as_dict().ok_or(StateError::Layout("peer not a dictionary"))?))
            .collect::<Result<Vec<_>, _>>()?;
        out.push((hash_key(h)?, peers));
    }
    Ok(out)
}

fn decode_allowed(allowed: &Dict<'_>, files: Option<&Dict<'_>>) -> Result<AllowedDir, StateError> {
    let mut dir = AllowedDir::default();
    for (h, v) in allowed.entries() {
        let d = v.as_dict().ok_or(StateError::Layout("allowed entry"))?;
        let text = |k: &[u8]| d.get_bytes(k).map(|x| String::from_utf8_lossy(x).into_owned());
        let t = AllowedTorrent {
            path: PathBuf::from(text(b"path").ok_or(StateError::Layout("allowed path"))?),
            file: text(b"file").unwrap_or_default(),
            name: text(b"name").unwrap_or_default(),
            length: d.get_int(b"length").unwrap_or(0).max(0) as u64,
            numfiles: d.get_int(b"numfiles").unwrap_or(1).max(0) as u64,
            failure_reason: text(b"failure reason"),
            warning_message: text(b"warning message"),
            has_announce_list: d.get(b"announce-list").is_some(),
            announce_list: super::allowed::announce_tiers(d.get_list(b"announce-list")),
        };
        dir.torrents.insert(hash_key(h)?, t);
    }
    for (p, v) in files.map(|f| f.entries()).unwrap_or(&[]) {
        let l = v.as_list().filter(|l| l.len() == 2).ok_or(StateError::Layout("allowed_dir_files entry"))?;
        let stamp = l[0].as_list().filter(|s| s.len() == 2).ok_or(StateError::Layout("allowed_dir_files stamp"))?;
        let hash = l[1].as_bytes().and_then(|h| <InfoHash>::try_from(h).ok());
        let (Some(mtime), Some(size)) = (stamp[0].as_int(), stamp[1].as_int()) else {
            return Err(StateError::Layout("allowed_dir_files stamp"));
        };
        let path = PathBuf::from(String::from_utf8_lossy(p).into_owned());
        dir.files.insert(path, SeenFile { mtime, size: size.max(0) as u64, hash });
    }
    Ok(dir)
}

/// Decodes a state file.
pub fn decode_state(bytes: &[u8]) -> Result<Snapshot, StateError> {
    let v = decode(bytes, Limits::default()).map_err(|e| StateError::Bencode(e.to_string()))?;
    let top = v.as_dict().ok_or(StateError::Layout("not a dictionary"))?;
    let mut s = Snapshot::default();
    match top.get_dict(b"peers") {
        Some(peers) => s.peers = decode_peers(peers)?,
        None if top.entries().iter().all(|(k, _)| k.len() == 20) => {
            s.peers = decode_peers(top)?;
            return Ok(s);
        }
        None => return Err(StateError::Layout("no peers dictionary")),
    }
    if let Some(c) = top.get_dict(b"completed") {
        for (h, n) in c.entries() {
            s.completed.push((hash_key(h)?, n.as_int().ok_or(StateError::Layout("completed count"))?.max(0) as u64));
        }
    }
    if let Some(a) = top.get_dict(b"allowed") {
        s.allowed_dir = Some(decode_allowed(a, top.get_dict(b"allowed_dir_files"))?);
    }
    if let Some(l) = top.get_dict(b"allowed_list") {
        s.allowed_list = Some(l.entries().iter().map(|(h, _)| hash_key(h)).collect::<Result<_, _>>()?);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: u8, ip: &str, given: Option<&str>, flags: u8) -> PeerRecord {
        let conn = pack_ip(ip.parse().unwrap());
        PeerRecord {
            id: [id; 20],
            addr: given.map_or(conn, |g| pack_ip(g.parse().unwrap())),
            conn_ip: conn,
            port: 6881,
            flags,
            nat_failures: 0,
            last_seen: 77,
            nat_since: 0,
            key: PeerKey::new(b"k1"),
            left: if flags & CONNECTABLE != 0 { 0 } else { 123_456_789_012 },
        }
    }

    #[test]
    fn round_trip() {
        let mut dir = AllowedDir::default();
        dir.torrents.insert(
            [3; 20],
            AllowedTorrent {
                path: "/t/a.torrent".into(),
                file: "a.torrent".into(),
                name: "a".into(),
                length: 10,
                numfiles: 1,
                failure_reason: None,
                warning_message: Some("w".into()),
                has_announce_list: true,
                announce_list: vec![vec!["http://a/announce".into()], vec!["http://b/x".into(), "http://c/y".into()]],
            },
        );
        dir.files.insert("/t/a.torrent".into(), SeenFile { mtime: 5, size: 9, hash: Some([3; 20]) });
        let snap = Snapshot {
            peers: vec![(
                [1; 20],
                vec![
                    (rec(1, "10.0.0.1", None, CONNECTABLE | SUPPORT_CRYPTO | REQUIRE_CRYPTO), true),
                    (rec(2, "2001:db8::2", Some("2001:db8::3"), 0), false),
                ],
            )],
            completed: vec![([1; 20], 4)],
            allowed_dir: Some(dir),
            allowed_list: None,
        };
        let bytes = encode_state(&snap);
        let back = decode_state(&bytes).unwrap();
        assert_eq!(back.completed, snap.completed);
        let mut peers = back.peers[0].1.clone();
        peers.sort_by_key(|(p, _)| p.id);
        for ((a, sa), (b, sb)) in peers.iter().zip(&snap.peers[0].1) {
            assert_eq!(sa, sb);
            assert_eq!((a.addr, a.conn_ip, a.port, a.flags, a.key), (b.addr, b.conn_ip, b.port, b.flags, b.key));
            assert_eq!(a.left, b.left, "the real amount left survives");
            assert_eq!(a.last_seen, 0, "restored peers expire at the first sweep");
        }
        let dir = back.allowed_dir.unwrap();
        assert_eq!(dir.torrents[&[3; 20]].warning_message.as_deref(), Some("w"));
        assert_eq!(dir.torrents[&[3; 20]].announce_list[1], vec!["http://b/x".to_string(), "http://c/y".into()]);
        assert_eq!(dir.files.len(), 1);
    }

    #[test]
    fn legacy_and_corrupt_files() {
        let legacy = b"d20:aaaaaaaaaaaaaaaaaaaad20:bbbbbbbbbbbbbbbbbbbbd2:ip7:1.2.3.44:lefti0e4:porti1eeee";
        let s = decode_state(legacy).unwrap();
        assert_eq!(s.peers.len(), 1);
        assert!(s.peers[0].1[0].1, "left 0 is a seed");
        let good = encode_state(&Snapshot { completed: vec![([1; 20], 2)], ..Default::default() });
        for cut in 0..good.len() {
            assert!(decode_state(&good[..cut]).is_err(), "truncated at {cut}");
        }
        assert!(decode_state(b"d5:peersi1ee").is_err());
        assert!(decode_state(b"d3:fooi1ee").is_err());
    }
}
