//! Magnet links (BEP 9): `magnet:?xt=urn:btih:<info-hash>&dn=<name>&tr=<tracker>&x.pe=<peer>`,
//! and their v2 form `xt=urn:btmh:1220<sha-256>` (BEP 52). A link names a torrent by its
//! info-hash; the info dictionary itself is fetched from peers (`crate::session::metadata_fetch`)
//! and joined with the link's trackers (and, for v2 files, the piece layers fetched by hash
//! requests) into a .torrent.

use crate::bencode::{self, OwnedValue};
use crate::metainfo::Metainfo;
use crate::tracker::query::percent_decode;
use data_encoding::{BASE32, HEXLOWER_PERMISSIVE};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// Most trackers, peers or web seeds taken from one link (the rest are ignored).
const MAX_LIST: usize = 64;
/// Longest link accepted, in bytes.
const MAX_LINK: usize = 64 * 1024;

/// A parsed magnet link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MagnetLink {
    /// The hash peers, trackers and the DHT know the torrent by: its v1 info-hash
    /// (`xt=urn:btih:`, 40 hex digits or 32 base32 characters), or for a link with only a v2
    /// hash, that hash truncated to 20 bytes (BEP 52).
    pub info_hash: [u8; 20],
    /// The torrent's v2 info-hash (`xt=urn:btmh:1220` and 64 hex digits), if given.
    pub info_hash_v2: Option<[u8; 32]>,
    /// Display name (`dn`), if given.
    pub name: Option<String>,
    /// Tracker URLs (`tr`), each its own tier as libtorrent does, so every one is announced to.
    pub trackers: Vec<String>,
    /// Peers to connect to (`x.pe`, literal addresses only; host names are ignored).
    pub peers: Vec<SocketAddr>,
    /// Web seeds (`ws`, BEP 19).
    pub web_seeds: Vec<String>,
}

/// Why a magnet link was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MagnetError {
    /// The text does not start with `magnet:?`.
    #[error("not a magnet link (it must start with `magnet:?`)")]
    NotMagnet,
    /// Longer than the limit.
    #[error("magnet link longer than {MAX_LINK} bytes")]
    TooLong,
    /// A parameter's percent-escapes are broken or its value is not UTF-8.
    #[error("magnet link parameter `{0}` is badly escaped")]
    BadEscape(String),
    /// `xt=urn:btih:` is present but not 40 hex digits or 32 base32 characters.
    #[error("magnet link info-hash `{0}` is neither 40 hex digits nor 32 base32 characters")]
    BadInfoHash(String),
    /// Two different `urn:btih:` hashes.
    #[error("magnet link names two different info-hashes")]
    TwoInfoHashes,
    /// `xt=urn:btmh:` is present but not a SHA-256 multihash (`1220` and 64 hex digits).
    #[error("magnet link v2 info-hash `{0}` is not `1220` followed by 64 hex digits")]
    BadInfoHashV2(String),
    /// No `xt=urn:btih:` or `xt=urn:btmh:` at all.
    #[error("magnet link has no info-hash (xt=urn:btih:... or xt=urn:btmh:...)")]
    NoInfoHash,
}

impl MagnetLink {
    /// Parses a magnet link. Unknown parameters are ignored.
    pub fn parse(text: &str) -> Result<MagnetLink, MagnetError> {
        if text.len() > MAX_LINK {
            return Err(MagnetError::TooLong);
        }
        let query = strip_scheme(text).ok_or(MagnetError::NotMagnet)?;
        let mut link = MagnetLink {
            info_hash: [0; 20],
            info_hash_v2: None,
            name: None,
            trackers: Vec::new(),
            peers: Vec::new(),
            web_seeds: Vec::new(),
        };
        let mut v1 = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(key, raw)?;
            // `xt.1`, `tr.2`...: numbered forms of the same keys.
            match key.split('.').next().unwrap_or(key) {
                "xt" => {
                    if let Some(hash) = value.strip_prefix("urn:btih:") {
                        let h = info_hash(hash)?;
                        if v1.is_some_and(|old| old != h) {
                            return Err(MagnetError::TwoInfoHashes);
                        }
                        v1 = Some(h);
                    } else if let Some(hash) = value.strip_prefix("urn:btmh:") {
                        let h = info_hash_v2(hash)?;
                        if link.info_hash_v2.is_some_and(|old| old != h) {
                            return Err(MagnetError::TwoInfoHashes);
                        }
                        link.info_hash_v2 = Some(h);
                    }
                }
                "dn" => link.name = Some(value).filter(|n| !n.is_empty()),
                "tr" => push_unique(&mut link.trackers, value),
                "ws" => push_unique(&mut link.web_seeds, value),
                "x" if key == "x.pe" => {
                    if let Ok(addr) = value.parse::<SocketAddr>() {
                        if link.peers.len() < MAX_LIST && !link.peers.contains(&addr) {
                            link.peers.push(addr);
                        }
                    }
                }
                _ => {}
            }
        }
        link.info_hash = match (v1, link.info_hash_v2) {
            (Some(h), _) => h,
            (None, Some(v2)) => truncated(&v2),
            (None, None) => return Err(MagnetError::NoInfoHash),
        };
        Ok(link)
    }

    /// The torrent's v1 info-hash, when the link gives one.
    pub fn info_hash_v1(&self) -> Option<[u8; 20]> {
        match self.info_hash_v2 {
            Some(v2) if truncated(&v2) == self.info_hash => None,
            _ => Some(self.info_hash),
        }
    }

    /// The link of a torrent whose info dictionary is known: its info-hashes, name, trackers
    /// (every tier's, in order) and web seeds.
    pub fn for_metainfo(meta: &Metainfo) -> MagnetLink {
        let mut link = MagnetLink {
            info_hash: meta.swarm_info_hash(),
            info_hash_v2: meta.info_hash_v2(),
            name: Some(meta.name().to_string()),
            trackers: Vec::new(),
            peers: Vec::new(),
            web_seeds: Vec::new(),
        };
        for url in meta.announce().into_iter().chain(meta.announce_list().iter().flatten().map(String::as_str)) {
            push_unique(&mut link.trackers, url.to_string());
        }
        for url in meta.url_list() {
            push_unique(&mut link.web_seeds, url.clone());
        }
        link
    }

    /// The name to show before the metadata is in: `dn`, or the info-hash in hex.
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| crate::metainfo::parse::hex(&self.info_hash))
    }

    /// A .torrent holding `info` (the info dictionary's bencoded bytes, already checked against
    /// the info-hash), the link's trackers (`announce`, `announce-list`) and web seeds
    /// (`url-list`), and `piece_layers` (pieces root to piece hashes; omitted when empty).
    pub fn torrent_bytes(&self, info: &[u8], piece_layers: &BTreeMap<Vec<u8>, Vec<u8>>) -> Vec<u8> {
        let text = |s: &String| OwnedValue::bytes(s);
        let mut top = BTreeMap::new();
        if let Some(first) = self.trackers.first() {
            top.insert(b"announce".to_vec(), text(first));
            let tiers = self.trackers.iter().map(|t| OwnedValue::List(vec![text(t)])).collect();
            top.insert(b"announce-list".to_vec(), OwnedValue::List(tiers));
        }
        if !self.web_seeds.is_empty() {
            top.insert(b"url-list".to_vec(), OwnedValue::List(self.web_seeds.iter().map(text).collect()));
        }
        top.insert(b"info".to_vec(), OwnedValue::Raw(info.to_vec()));
        if !piece_layers.is_empty() {
            let layers = piece_layers.iter().map(|(root, hashes)| (root.clone(), OwnedValue::Bytes(hashes.clone())));
            top.insert(b"piece layers".to_vec(), OwnedValue::Dict(layers.collect()));
        }
        bencode::encode(&OwnedValue::Dict(top))
    }
}

/// The query after `magnet:?` (the scheme in any case).
fn strip_scheme(text: &str) -> Option<&str> {
    let head = text.get(..8)?;
    head.eq_ignore_ascii_case("magnet:?").then(|| &text[8..])
}

/// Percent-decodes one parameter's value as UTF-8.
fn decode(key: &str, raw: &str) -> Result<String, MagnetError> {
    let bad = || MagnetError::BadEscape(key.chars().take(32).collect());
    let mut out = vec![0u8; raw.len()];
    let n = percent_decode(raw.as_bytes(), &mut out, "magnet").map_err(|_| bad())?;
    out.truncate(n);
    String::from_utf8(out).map_err(|_| bad())
}

/// A `urn:btih:` hash: 40 hex digits or 32 base32 characters (either case).
fn info_hash(text: &str) -> Result<[u8; 20], MagnetError> {
    let bad = || MagnetError::BadInfoHash(text.chars().take(64).collect());
    let bytes = match text.len() {
        40 => HEXLOWER_PERMISSIVE.decode(text.as_bytes()).map_err(|_| bad())?,
        32 => BASE32.decode(text.to_ascii_uppercase().as_bytes()).map_err(|_| bad())?,
        _ => return Err(bad()),
    };
    bytes.try_into().map_err(|_| bad())
}

/// A `urn:btmh:` hash: the SHA-256 multihash prefix `1220` and 64 hex digits.
fn info_hash_v2(text: &str) -> Result<[u8; 32], MagnetError> {
    let bad = || MagnetError::BadInfoHashV2(text.chars().take(80).collect());
    let hex = text.strip_prefix("1220").filter(|h| h.len() == 64).ok_or_else(bad)?;
    HEXLOWER_PERMISSIVE.decode(hex.as_bytes()).map_err(|_| bad())?.try_into().map_err(|_| bad())
}

/// The first 20 bytes of a v2 info-hash: what peers and trackers know a v2-only torrent by.
fn truncated(v2: &[u8; 32]) -> [u8; 20] {
    let mut h = [0u8; 20];
    h.copy_from_slice(&v2[..20]);
    h
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !value.is_empty() && list.len() < MAX_LIST && !list.contains(&value) {
        list.push(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";

    #[test]
    fn a_full_link_is_read() {
        let link = MagnetLink::parse(&format!(
            "magnet:?xt=urn:btih:{}&dn=Some+File%20.iso&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce\
             &tr=udp://t.example:80&tr=udp://t.example:80&x.pe=127.0.0.1:6881&x.pe=[::1]:7000\
             &x.pe=host.example:1&ws=http://w.example/f&unknown=1",
            HEX.to_uppercase()
        ))
        .unwrap();
        assert_eq!(HEXLOWER_PERMISSIVE.encode(&link.info_hash), HEX);
        assert_eq!(link.name.as_deref(), Some("Some File .iso"));
        assert_eq!(link.trackers, ["http://127.0.0.1:6969/announce", "udp://t.example:80"]);
        assert_eq!(link.peers, ["127.0.0.1:6881".parse().unwrap(), "[::1]:7000".parse().unwrap()]);
        assert_eq!(link.web_seeds, ["http://w.example/f"]);
    }

    #[test]
    fn base32_hashes_and_numbered_keys_are_read() {
        let b32 = BASE32.encode(&HEXLOWER_PERMISSIVE.decode(HEX.as_bytes()).unwrap());
        let link = MagnetLink::parse(&format!("MAGNET:?xt.1=urn:btih:{}&tr.1=http://a/", b32.to_lowercase())).unwrap();
        assert_eq!(HEXLOWER_PERMISSIVE.encode(&link.info_hash), HEX);
        assert_eq!(link.trackers, ["http://a/"]);
        assert_eq!(link.display_name(), HEX);
        // A hybrid link: the v1 hash is used.
        let hybrid = format!("magnet:?xt=urn:btmh:1220{}&xt=urn:btih:{HEX}", "ab".repeat(32));
        let hybrid = MagnetLink::parse(&hybrid).unwrap();
        assert_eq!((hybrid.info_hash, hybrid.info_hash_v1()), (link.info_hash, Some(link.info_hash)));
        assert_eq!(hybrid.info_hash_v2, Some([0xab; 32]));
        // A v2-only link: the truncated v2 hash.
        let v2 = MagnetLink::parse(&format!("magnet:?xt=urn:btmh:1220{}", "CD".repeat(32))).unwrap();
        assert_eq!((v2.info_hash, v2.info_hash_v1(), v2.info_hash_v2), ([0xcd; 20], None, Some([0xcd; 32])));
    }

    #[test]
    fn bad_links_are_refused_with_the_reason() {
        let cases: [(&str, MagnetError); 9] = [
            ("http://x/", MagnetError::NotMagnet),
            ("magnet:?dn=x", MagnetError::NoInfoHash),
            ("magnet:?xt=urn:btih:1234", MagnetError::BadInfoHash("1234".into())),
            (&format!("magnet:?xt=urn:btih:{}", "g".repeat(40)), MagnetError::BadInfoHash("g".repeat(40))),
            ("magnet:?xt=urn:btmh:1220abcd", MagnetError::BadInfoHashV2("1220abcd".into())),
            (
                &format!("magnet:?xt=urn:btmh:1120{}", "ab".repeat(32)),
                MagnetError::BadInfoHashV2(format!("1120{}", "ab".repeat(32))),
            ),
            (
                &format!("magnet:?xt=urn:btmh:1220{}&xt=urn:btmh:1220{}", "ab".repeat(32), "cd".repeat(32)),
                MagnetError::TwoInfoHashes,
            ),
            (&format!("magnet:?xt=urn:btih:{HEX}&dn=%zz"), MagnetError::BadEscape("dn".into())),
            (&format!("magnet:?xt=urn:btih:{HEX}&xt=urn:btih:{}", "0".repeat(40)), MagnetError::TwoInfoHashes),
        ];
        for (text, want) in cases {
            assert_eq!(MagnetLink::parse(text), Err(want), "{text}");
        }
        assert_eq!(MagnetLink::parse(&"magnet:?".repeat(10_000)), Err(MagnetError::TooLong));
    }

    #[test]
    fn the_torrent_built_from_a_link_has_its_trackers_and_the_same_info_hash() {
        let info = b"d6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae";
        let hash: [u8; 20] = {
            use sha1::Digest;
            sha1::Sha1::digest(info).into()
        };
        let text = format!(
            "magnet:?xt=urn:btih:{}&tr=http://a/announce&tr=http://b/announce&ws=http://w/x",
            HEXLOWER_PERMISSIVE.encode(&hash)
        );
        let link = MagnetLink::parse(&text).unwrap();
        let meta = Metainfo::from_bytes(&link.torrent_bytes(info, &BTreeMap::new())).unwrap();
        assert_eq!(meta.info_hash_v1(), Some(hash));
        assert_eq!(meta.announce(), Some("http://a/announce"));
        assert_eq!(meta.announce_list().len(), 2);
        assert_eq!(meta.url_list(), ["http://w/x"]);
    }
}
