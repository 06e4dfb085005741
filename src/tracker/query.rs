//! Request targets: splitting `/path?query`, `&`/`=` pairs, percent-decoding into fixed
//! buffers (`[u8; 20]` for info-hashes and peer ids) and typed announce and scrape parameters.
//!
//! Nothing here allocates on the announce path except for rare optional parameters.

use std::net::IpAddr;

/// A 20-byte info-hash (SHA-1 of the info dictionary, or a truncated v2 hash).
pub type InfoHash = [u8; 20];
/// A 20-byte peer id.
pub type PeerId = [u8; 20];

/// Most `info_hash` values one scrape may name.
pub const MAX_SCRAPE_HASHES: usize = 256;

/// What is wrong with a request target. The `Display` text follows BitTornado's
/// `you sent me garbage - <text>` messages where they exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A `&`-separated item lacks `=`.
    #[error("no = in query item")]
    NoEquals,
    /// A `%` not followed by two hex digits.
    #[error("invalid %-escape in {0}")]
    BadEscape(&'static str),
    /// A value longer than the field allows.
    #[error("{0} too long")]
    TooLong(&'static str),
    /// The info-hash is not 20 bytes.
    #[error("info_hash not of length 20")]
    InfoHashLength,
    /// The peer id is not 20 bytes.
    #[error("id not of length 20")]
    PeerIdLength,
    /// A required integer parameter is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// A parameter that must be an integer is not one.
    #[error("{0} is not an integer")]
    NotInteger(&'static str),
    /// `event` is not one of the known events.
    #[error("invalid event")]
    Event,
    /// `port` (or `cryptoport`) is outside 0-65535.
    #[error("invalid port")]
    Port,
    /// `left` is negative.
    #[error("invalid amount left")]
    Left,
    /// Too many `info_hash` values in one scrape.
    #[error("too many info_hash values (at most {MAX_SCRAPE_HASHES})")]
    TooManyHashes,
}

/// The announce `event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// No event (regular re-announce), also `event=` and BEP 21 `paused`.
    None,
    /// The download started.
    Started,
    /// The download completed.
    Completed,
    /// The client stopped.
    Stopped,
}

/// Splits a request target into its path and query (without the `?`).
pub fn split_target(target: &[u8]) -> (&[u8], &[u8]) {
    match target.iter().position(|&b| b == b'?') {
        Some(i) => (&target[..i], &target[i + 1..]),
        None => (target, &[]),
    }
}

/// The raw `(key, value)` pairs of a query, still percent-encoded. Empty items are skipped; an
/// item without `=` is an error.
pub fn pairs(query: &[u8]) -> impl Iterator<Item = Result<(&[u8], &[u8]), QueryError>> {
    query.split(|&b| b == b'&').filter(|item| !item.is_empty()).map(|item| {
        let eq = item.iter().position(|&b| b == b'=').ok_or(QueryError::NoEquals)?;
        Ok((&item[..eq], &item[eq + 1..]))
    })
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `raw` into `out` (`+` is a space), returning the decoded length. `field`
/// names the parameter in errors.
pub fn percent_decode(raw: &[u8], out: &mut [u8], field: &'static str) -> Result<usize, QueryError> {
    let mut i = 0;
    let mut n = 0;
    while i < raw.len() {
        let b = match raw[i] {
            b'%' => {
                let hi = raw.get(i + 1).copied().and_then(hex_val).ok_or(QueryError::BadEscape(field))?;
                let lo = raw.get(i + 2).copied().and_then(hex_val).ok_or(QueryError::BadEscape(field))?;
                i += 3;
                hi << 4 | lo
            }
            b'+' => {
                i += 1;
                b' '
            }
            other => {
                i += 1;
                other
            }
        };
        *out.get_mut(n).ok_or(QueryError::TooLong(field))? = b;
        n += 1;
    }
    Ok(n)
}

/// Percent-decodes exactly 20 bytes; `err` is returned for any other length.
pub fn decode_20(raw: &[u8], err: QueryError) -> Result<[u8; 20], QueryError> {
    let mut buf = [0u8; 21];
    match percent_decode(raw, &mut buf, "20-byte value") {
        Ok(20) => Ok(buf[..20].try_into().expect("20 bytes")),
        Ok(_) | Err(QueryError::TooLong(_)) => Err(err),
        Err(e) => Err(e),
    }
}

/// Percent-decodes a short value into a stack buffer and passes it to `f`.
fn with_small<T>(
    raw: &[u8],
    field: &'static str,
    f: impl FnOnce(&[u8]) -> Result<T, QueryError>,
) -> Result<T, QueryError> {
    let mut buf = [0u8; 64];
    let n = percent_decode(raw, &mut buf, field)?;
    f(&buf[..n])
}

/// Parses a decimal integer parameter (optional leading `-`).
pub fn parse_int(raw: &[u8], field: &'static str) -> Result<i64, QueryError> {
    with_small(raw, field, |v| {
        std::str::from_utf8(v).ok().and_then(|s| s.parse::<i64>().ok()).ok_or(QueryError::NotInteger(field))
    })
}

fn parse_event(raw: &[u8]) -> Result<Event, QueryError> {
    with_small(raw, "event", |v| match v {
        b"" | b"paused" | b"empty" => Ok(Event::None),
        b"started" => Ok(Event::Started),
        b"completed" => Ok(Event::Completed),
        b"stopped" => Ok(Event::Stopped),
        _ => Err(QueryError::Event),
    })
    .map_err(|_| QueryError::Event)
}

fn parse_ip(raw: &[u8]) -> Option<IpAddr> {
    with_small(raw, "ip", |v| Ok(std::str::from_utf8(v).ok().and_then(|s| s.trim().parse::<IpAddr>().ok())))
        .ok()
        .flatten()
}

/// The raw announce parameters of one request, still encoded; typed by [`AnnounceParams::validate`].
#[derive(Debug, Default, Clone, Copy)]
pub struct AnnounceParams<'a> {
    /// `info_hash`.
    pub info_hash: Option<&'a [u8]>,
    /// `peer_id`.
    pub peer_id: Option<&'a [u8]>,
    /// `port`.
    pub port: Option<&'a [u8]>,
    /// `cryptoport` (replaces `port` when present).
    pub cryptoport: Option<&'a [u8]>,
    /// `uploaded`.
    pub uploaded: Option<&'a [u8]>,
    /// `downloaded`.
    pub downloaded: Option<&'a [u8]>,
    /// `left`.
    pub left: Option<&'a [u8]>,
    /// `event`.
    pub event: Option<&'a [u8]>,
    /// `compact`.
    pub compact: Option<&'a [u8]>,
    /// `no_peer_id`.
    pub no_peer_id: Option<&'a [u8]>,
    /// `numwant`.
    pub numwant: Option<&'a [u8]>,
    /// `key`.
    pub key: Option<&'a [u8]>,
    /// `ip`.
    pub ip: Option<&'a [u8]>,
    /// `supportcrypto`.
    pub supportcrypto: Option<&'a [u8]>,
    /// `requirecrypto`.
    pub requirecrypto: Option<&'a [u8]>,
    /// `seed_id`.
    pub seed_id: Option<&'a [u8]>,
    /// `check_seeded`.
    pub check_seeded: bool,
    /// `scrape` (deprecated: ask for a scrape sub-dictionary).
    pub scrape: bool,
    /// `tracker` (a T2T announce).
    pub tracker: bool,
    /// `password` (an announce forwarded to an aggregator).
    pub password: Option<&'a [u8]>,
}

impl<'a> AnnounceParams<'a> {
    /// Collects the announce parameters of a query; the first of repeated keys wins.
    pub fn parse(query: &'a [u8]) -> Result<Self, QueryError> {
        let mut p = AnnounceParams::default();
        for pair in pairs(query) {
            let (k, v) = pair?;
            let slot = match k {
                b"info_hash" => &mut p.info_hash,
                b"peer_id" => &mut p.peer_id,
                b"port" => &mut p.port,
                b"cryptoport" => &mut p.cryptoport,
                b"uploaded" => &mut p.uploaded,
                b"downloaded" => &mut p.downloaded,
                b"left" => &mut p.left,
                b"event" => &mut p.event,
                b"compact" => &mut p.compact,
                b"no_peer_id" => &mut p.no_peer_id,
                b"numwant" | b"num_want" => &mut p.numwant,
                b"key" => &mut p.key,
                b"ip" => &mut p.ip,
                b"supportcrypto" => &mut p.supportcrypto,
                b"requirecrypto" => &mut p.requirecrypto,
                b"seed_id" => &mut p.seed_id,
                b"password" => &mut p.password,
                b"check_seeded" => {
                    p.check_seeded = true;
                    continue;
                }
                b"scrape" => {
                    p.scrape = true;
                    continue;
                }
                b"tracker" => {
                    p.tracker = true;
                    continue;
                }
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(v);
            }
        }
        Ok(p)
    }

    /// The decoded info-hash, `Ok(None)` when the parameter is absent.
    pub fn info_hash(&self) -> Result<Option<InfoHash>, QueryError> {
        self.info_hash.map(|raw| decode_20(raw, QueryError::InfoHashLength)).transpose()
    }

    /// Checks and types every parameter (BitTornado's validation step).
    pub fn validate(&self, info_hash: InfoHash) -> Result<Announce, QueryError> {
        let peer_id = decode_20(self.peer_id.ok_or(QueryError::PeerIdLength)?, QueryError::PeerIdLength)?;
        let event = self.event.map_or(Ok(Event::None), parse_event)?;
        let port_raw = self.cryptoport.or(self.port).ok_or(QueryError::Missing("port"))?;
        let port =
            u16::try_from(parse_int(port_raw, "port").map_err(|_| QueryError::Port)?).map_err(|_| QueryError::Port)?;
        let left = required_int(self.left, "left")?;
        if left < 0 {
            return Err(QueryError::Left);
        }
        let uploaded = required_int(self.uploaded, "uploaded")?;
        let downloaded = required_int(self.downloaded, "downloaded")?;
        let flag = |raw: Option<&[u8]>, name| -> Result<bool, QueryError> {
            raw.map_or(Ok(false), |r| parse_int(r, name).map(|v| v != 0))
        };
        let numwant = match self.numwant {
            Some(raw) => Some(parse_int(raw, "numwant")?.max(0) as usize),
            None => None,
        };
        let mut key = PeerKey::default();
        if let Some(raw) = self.key {
            key = PeerKey::decode(raw)?;
        }
        Ok(Announce {
            info_hash,
            peer_id,
            port,
            uploaded: uploaded.max(0) as u64,
            downloaded: downloaded.max(0) as u64,
            left: left as u64,
            event,
            compact: self.compact.map(|r| parse_int(r, "compact").map(|v| v != 0)).transpose()?,
            no_peer_id: flag(self.no_peer_id, "no_peer_id")?,
            numwant,
            key,
            ip: self.ip.and_then(parse_ip),
            supportcrypto: flag(self.supportcrypto, "supportcrypto")?,
            requirecrypto: flag(self.requirecrypto, "requirecrypto")?,
        })
    }
}

fn required_int(raw: Option<&[u8]>, name: &'static str) -> Result<i64, QueryError> {
    parse_int(raw.ok_or(QueryError::Missing(name))?, name)
}

/// The announce `key`: up to 16 bytes kept inline (longer keys are compared on their first 16).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerKey {
    bytes: [u8; 16],
    len: u8,
}

impl PeerKey {
    /// A key from raw bytes (truncated to 16).
    pub fn new(b: &[u8]) -> Self {
        let mut k = PeerKey::default();
        let n = b.len().min(16);
        k.bytes[..n].copy_from_slice(&b[..n]);
        k.len = n as u8;
        k
    }

    fn decode(raw: &[u8]) -> Result<Self, QueryError> {
        let mut buf = [0u8; 256];
        let n = percent_decode(raw, &mut buf, "key")?;
        Ok(PeerKey::new(&buf[..n]))
    }

    /// The key bytes; empty when the client sent none.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// True when the client sent no key.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A validated announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Announce {
    /// The torrent.
    pub info_hash: InfoHash,
    /// The announcing peer.
    pub peer_id: PeerId,
    /// Listening port (`cryptoport` when given).
    pub port: u16,
    /// Bytes uploaded.
    pub uploaded: u64,
    /// Bytes downloaded.
    pub downloaded: u64,
    /// Bytes left; 0 makes the peer a seed.
    pub left: u64,
    /// The event.
    pub event: Event,
    /// `compact` as sent: `Some(true)` for `compact=1`, `Some(false)` for `compact=0`.
    pub compact: Option<bool>,
    /// Omit peer ids from dictionary replies.
    pub no_peer_id: bool,
    /// Peers wanted, when given.
    pub numwant: Option<usize>,
    /// The client's `key` (empty when absent).
    pub key: PeerKey,
    /// The `ip` parameter, when it parsed as an address.
    pub ip: Option<IpAddr>,
    /// The client can do MSE encryption.
    pub supportcrypto: bool,
    /// The client accepts only encrypted connections.
    pub requirecrypto: bool,
}

/// The info-hashes named by a scrape query (empty for a full scrape).
pub fn scrape_hashes(query: &[u8]) -> Result<Vec<InfoHash>, QueryError> {
    let mut out = Vec::new();
    for pair in pairs(query) {
        let (k, v) = pair?;
        if k == b"info_hash" {
            if out.len() == MAX_SCRAPE_HASHES {
                return Err(QueryError::TooManyHashes);
            }
            let h = decode_20(v, QueryError::InfoHashLength)?;
            if !out.contains(&h) {
                out.push(h);
            }
        }
    }
    Ok(out)
}

/// The first value of `name` in a query, percent-decoded (for rare parameters such as `/file`'s
/// `info_hash`).
pub fn first_value<'a>(query: &'a [u8], name: &[u8]) -> Result<Option<&'a [u8]>, QueryError> {
    for pair in pairs(query) {
        let (k, v) = pair?;
        if k == name {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IH: &str = "%9a%BC%00%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11";

    fn announce(q: &str) -> Result<Announce, QueryError> {
        let p = AnnounceParams::parse(q.as_bytes())?;
        let ih = p.info_hash()?.ok_or(QueryError::Missing("info_hash"))?;
        p.validate(ih)
    }

    fn base() -> String {
        format!("info_hash={IH}&peer_id=-BG0100-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=10")
    }

    #[test]
    fn full_announce_decodes() {
        let a = announce(&format!(
            "{}&event=started&compact=1&numwant=7&key=ab%20c&ip=10.1.2.3&supportcrypto=1&requirecrypto=1&no_peer_id=1",
            base()
        ))
        .unwrap();
        assert_eq!(a.info_hash[..3], [0x9a, 0xbc, 0]);
        assert_eq!(&a.peer_id, b"-BG0100-abcdefghijkl");
        assert_eq!((a.port, a.left, a.event, a.compact, a.numwant), (6881, 10, Event::Started, Some(true), Some(7)));
        assert_eq!(a.key.as_bytes(), b"ab c");
        assert_eq!(a.ip, Some("10.1.2.3".parse().unwrap()));
        assert!(a.supportcrypto && a.requirecrypto && a.no_peer_id);
    }

    #[test]
    fn numbers_are_numbers() {
        let a = announce(&format!("{}&compact=0", base()).replace("left=10", "left=0")).unwrap();
        assert_eq!(a.compact, Some(false));
        assert_eq!(a.left, 0);
        assert_eq!(announce(&base().replace("left=10", "left=-1")), Err(QueryError::Left));
        assert_eq!(announce(&base().replace("port=6881", "port=65536")), Err(QueryError::Port));
        assert_eq!(announce(&base().replace("port=6881", "port=x")), Err(QueryError::Port));
        assert_eq!(announce(&base().replace("&uploaded=0", "")), Err(QueryError::Missing("uploaded")));
        assert_eq!(announce(&format!("{}&event=bogus", base())), Err(QueryError::Event));
        assert_eq!(announce(&format!("{}&cryptoport=7000", base())).unwrap().port, 7000);
    }

    #[test]
    fn hostile_encodings_are_errors() {
        let bad = [
            base().replace("peer_id=-BG0100-abcdefghijkl", "peer_id=short"),
            base().replace("info_hash=%9a", "info_hash=%9"),
            base().replace("info_hash=%9a", "info_hash=%zz"),
            base().replace("info_hash=%9a", "info_hash=%9a%9a"),
            format!("{}&garbage", base()),
            base().replace("left=10", "left=%"),
            base().replace("left=10", "left=99999999999999999999999"),
        ];
        for q in bad {
            assert!(announce(&q).is_err(), "{q}");
        }
        let long = format!("{}&key={}", base(), "A".repeat(10_000));
        assert!(announce(&long).is_err());
    }

    #[test]
    fn first_key_wins_and_plus_is_space() {
        let p = AnnounceParams::parse(b"port=1&port=2&key=a+b").unwrap();
        assert_eq!(p.port, Some(&b"1"[..]));
        let mut out = [0u8; 8];
        let n = percent_decode(b"a+b%2B", &mut out, "k").unwrap();
        assert_eq!(&out[..n], b"a b+");
    }

    #[test]
    fn scrape_hash_lists() {
        let q = format!("info_hash={IH}&info_hash={IH}&x=1");
        assert_eq!(scrape_hashes(q.as_bytes()).unwrap().len(), 1);
        assert!(scrape_hashes(b"").unwrap().is_empty());
        assert_eq!(scrape_hashes(b"info_hash=abc"), Err(QueryError::InfoHashLength));
        let many = (0..300).map(|_| format!("info_hash={IH}")).collect::<Vec<_>>().join("&");
        assert!(scrape_hashes(many.as_bytes()).is_ok(), "duplicates are folded");
        assert_eq!(split_target(b"/scrape?a=b"), (&b"/scrape"[..], &b"a=b"[..]));
    }
}
