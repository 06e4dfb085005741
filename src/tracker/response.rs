//! Bencoded tracker replies, written straight into the output buffer with the bencode
//! [`Encoder`] (no intermediate tree): announce replies in compact (BEP 23, with `peers6` of
//! BEP 7), dictionary and `no_peer_id` forms, failures, and scrapes.

use super::peer_select::{CryptoMode, Picked};
use super::query::InfoHash;
use crate::bencode::Encoder;

/// The shape of the `peers` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerForm {
    /// 6-byte (IPv4, `peers`) and 18-byte (IPv6, `peers6`) strings.
    Compact,
    /// A list of `{ip, peer id, port}` dictionaries.
    Dict,
    /// A list of `{ip, port}` dictionaries.
    DictNoPeerId,
}

/// Everything an announce reply says.
#[derive(Debug, Clone, Copy)]
pub struct AnnounceReply<'a> {
    /// Seeds.
    pub complete: u64,
    /// Leechers.
    pub incomplete: u64,
    /// Seconds until the next announce.
    pub interval: u64,
    /// Minimum seconds between announces (0 = not sent).
    pub min_interval: u64,
    /// The chosen peers.
    pub peers: &'a [Picked],
    /// How to write them.
    pub form: PeerForm,
    /// Which crypto flags to add (compact form only).
    pub crypto: CryptoMode,
    /// `peers` is an empty list (`stopped`, `numwant=0`).
    pub empty_list: bool,
    /// The deprecated `scrape` sub-dictionary: (complete, incomplete, downloaded).
    pub scrape: Option<(u64, u64, u64)>,
    /// `seeded: 1` (a dedicated seed is present and the request asked with `check_seeded`).
    pub seeded: bool,
    /// `warning message`.
    pub warning: Option<&'a str>,
}

/// Scrape numbers of one torrent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScrapeEntry<'a> {
    /// The torrent.
    pub info_hash: InfoHash,
    /// Seeds.
    pub complete: u64,
    /// Completed downloads.
    pub downloaded: u64,
    /// Leechers.
    pub incomplete: u64,
    /// Torrent name, when shown.
    pub name: Option<&'a str>,
}

fn write_len_prefix(enc: &mut Encoder, n: usize) {
    let mut buf = [0u8; 24];
    let mut i = buf.len() - 1;
    buf[i] = b':';
    let mut v = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    enc.raw(&buf[i..]);
}

fn ip_text(addr: &[u8; 16]) -> String {
    super::peer::unpack_ip(*addr).to_string()
}

fn is_v4(addr: &[u8; 16]) -> bool {
    addr[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
}

fn write_compact(enc: &mut Encoder, peers: &[Picked], v4: bool) {
    let n = peers.iter().filter(|p| is_v4(&p.addr) == v4).count();
    write_len_prefix(enc, n * if v4 { 6 } else { 18 });
    for p in peers.iter().filter(|p| is_v4(&p.addr) == v4) {
        enc.raw(if v4 { &p.addr[12..] } else { &p.addr[..] });
        enc.raw(&p.port.to_be_bytes());
    }
}

fn write_dict_peers(enc: &mut Encoder, peers: &[Picked], with_id: bool) {
    enc.list();
    for p in peers {
        enc.dict().bytes(b"ip").bytes(ip_text(&p.addr).as_bytes());
        if with_id {
            enc.bytes(b"peer id").bytes(&p.id);
        }
        enc.bytes(b"port").int(i64::from(p.port)).end();
    }
    enc.end();
}

/// Writes an announce reply into `out` (appending).
pub fn announce_reply(r: &AnnounceReply<'_>, out: Vec<u8>) -> Vec<u8> {
    let mut enc = Encoder::with_buffer(out);
    enc.dict().bytes(b"complete").int(r.complete as i64);
    let compact = r.form == PeerForm::Compact && !r.empty_list;
    if compact && r.crypto != CryptoMode::Plain {
        let n = r.peers.iter().filter(|p| is_v4(&p.addr)).count();
        enc.bytes(b"crypto_flags");
        write_len_prefix(&mut enc, n);
        for p in r.peers.iter().filter(|p| is_v4(&p.addr)) {
            let flag = r.crypto == CryptoMode::Require || p.require_crypto;
            enc.raw(&[u8::from(flag)]);
        }
    }
    enc.bytes(b"incomplete").int(r.incomplete as i64);
    enc.bytes(b"interval").int(r.interval as i64);
    if r.min_interval > 0 {
        enc.bytes(b"min interval").int(r.min_interval as i64);
    }
    enc.bytes(b"peers");
    if r.empty_list {
        enc.list().end();
    } else {
        match r.form {
            PeerForm::Compact => write_compact(&mut enc, r.peers, true),
            PeerForm::Dict => write_dict_peers(&mut enc, r.peers, true),
            PeerForm::DictNoPeerId => write_dict_peers(&mut enc, r.peers, false),
        }
    }
    if compact && r.peers.iter().any(|p| !is_v4(&p.addr)) {
        enc.bytes(b"peers6");
        write_compact(&mut enc, r.peers, false);
    }
    if let Some((c, i, d)) = r.scrape {
        enc.bytes(b"scrape").dict();
        enc.bytes(b"complete").int(c as i64).bytes(b"downloaded").int(d as i64);
        enc.bytes(b"incomplete").int(i as i64).end();
    }
    if r.seeded {
        enc.bytes(b"seeded").int(1);
    }
    if let Some(w) = r.warning {
        enc.bytes(b"warning message").bytes(w.as_bytes());
    }
    enc.end();
    enc.finish()
}

/// A `{failure reason: ...}` body.
pub fn failure(reason: &str) -> Vec<u8> {
    let mut enc = Encoder::default();
    enc.dict().bytes(b"failure reason").bytes(reason.as_bytes()).end();
    enc.finish()
}

/// A scrape body; `entries` must be sorted by info-hash.
pub fn scrape_reply<'a>(entries: impl IntoIterator<Item = ScrapeEntry<'a>>) -> Vec<u8> {
    let mut enc = Encoder::default();
    enc.dict().bytes(b"files").dict();
    for e in entries {
        enc.bytes(&e.info_hash).dict();
        enc.bytes(b"complete").int(e.complete as i64);
        enc.bytes(b"downloaded").int(e.downloaded as i64);
        enc.bytes(b"incomplete").int(e.incomplete as i64);
        if let Some(name) = e.name {
            enc.bytes(b"name").bytes(name.as_bytes());
        }
        enc.end();
    }
    enc.end().end();
    enc.finish()
}

/// Upper bound of an announce reply's size for `response_size` peers and a warning of
/// `warning_len` bytes.
pub fn max_announce_len(response_size: usize, warning_len: usize) -> usize {
    // Largest dict-form peer: d2:ip39:<v6 text>7:peer id20:<id>4:porti65535ee = 92 bytes;
    // compact peers and flags are smaller. Fixed keys and numbers fit in 512 bytes.
    512 + response_size * 96 + warning_len + 24
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bencode::{decode, Limits};
    use crate::tracker::peer::pack_ip;

    fn picked(ip: &str, port: u16, id: u8, req: bool) -> Picked {
        Picked { addr: pack_ip(ip.parse().unwrap()), port, id: [id; 20], require_crypto: req }
    }

    fn base<'a>(peers: &'a [Picked], form: PeerForm) -> AnnounceReply<'a> {
        AnnounceReply {
            complete: 2,
            incomplete: 3,
            interval: 1800,
            min_interval: 900,
            peers,
            form,
            crypto: CryptoMode::Plain,
            empty_list: false,
            scrape: None,
            seeded: false,
            warning: None,
        }
    }

    #[test]
    fn compact_with_peers6_and_crypto_flags() {
        let peers =
            [picked("1.2.3.4", 0x1ae1, 1, false), picked("2001:db8::1", 80, 2, true), picked("5.6.7.8", 1, 3, true)];
        let mut r = base(&peers, PeerForm::Compact);
        r.crypto = CryptoMode::Support;
        let body = announce_reply(&r, Vec::new());
        let v = decode(&body, Limits::strict()).expect("canonical bencode");
        let d = v.as_dict().unwrap();
        assert_eq!(d.get_bytes(b"peers").unwrap(), [1, 2, 3, 4, 0x1a, 0xe1, 5, 6, 7, 8, 0, 1]);
        assert_eq!(d.get_bytes(b"peers6").unwrap().len(), 18);
        assert_eq!(d.get_bytes(b"crypto_flags").unwrap(), [0, 1]);
        assert_eq!((d.get_int(b"complete"), d.get_int(b"incomplete")), (Some(2), Some(3)));
        assert_eq!((d.get_int(b"interval"), d.get_int(b"min interval")), (Some(1800), Some(900)));
        r.crypto = CryptoMode::Require;
        let body = announce_reply(&r, Vec::new());
        let v = decode(&body, Limits::strict()).unwrap();
        assert_eq!(v.as_dict().unwrap().get_bytes(b"crypto_flags").unwrap(), [1, 1], "real 0x01 bytes");
    }

    #[test]
    fn dict_forms() {
        let peers = [picked("1.2.3.4", 6881, 7, false), picked("2001:db8::1", 80, 8, false)];
        let body = announce_reply(&base(&peers, PeerForm::Dict), Vec::new());
        let v = decode(&body, Limits::strict()).unwrap();
        let list = v.as_dict().unwrap().get_list(b"peers").unwrap().to_vec();
        assert_eq!(list.len(), 2);
        let p = list[1].as_dict().unwrap();
        assert_eq!(p.get_str(b"ip"), Some("2001:db8::1"));
        assert_eq!(p.get_bytes(b"peer id"), Some(&[8u8; 20][..]));
        assert_eq!(p.get_int(b"port"), Some(80));
        let body = announce_reply(&base(&peers, PeerForm::DictNoPeerId), Vec::new());
        let v = decode(&body, Limits::strict()).unwrap();
        let list = v.as_dict().unwrap().get_list(b"peers").unwrap().to_vec();
        assert!(list[0].as_dict().unwrap().get(b"peer id").is_none());
        assert!(body.len() <= max_announce_len(2, 0));
    }

    #[test]
    fn empty_list_scrape_seeded_warning() {
        let mut r = base(&[], PeerForm::Compact);
        r.empty_list = true;
        r.scrape = Some((1, 2, 3));
        r.seeded = true;
        r.warning = Some("be nice");
        r.min_interval = 0;
        let body = announce_reply(&r, Vec::new());
        let v = decode(&body, Limits::strict()).unwrap();
        let d = v.as_dict().unwrap();
        assert_eq!(d.get_list(b"peers").map(|l| l.len()), Some(0));
        assert!(d.get(b"min interval").is_none());
        assert_eq!(d.get_dict(b"scrape").unwrap().get_int(b"downloaded"), Some(3));
        assert_eq!(d.get_int(b"seeded"), Some(1));
        assert_eq!(d.get_str(b"warning message"), Some("be nice"));
    }

    #[test]
    fn failure_and_scrape_bodies() {
        assert_eq!(failure("no"), b"d14:failure reason2:noe");
        let body = scrape_reply([
            ScrapeEntry { info_hash: [1; 20], complete: 1, downloaded: 2, incomplete: 3, name: Some("a") },
            ScrapeEntry { info_hash: [2; 20], complete: 0, downloaded: 0, incomplete: 0, name: None },
        ]);
        let v = decode(&body, Limits::strict()).unwrap();
        let files = v.as_dict().unwrap().get_dict(b"files").unwrap().clone();
        assert_eq!(files.len(), 2);
        assert_eq!(files.get_dict(&[1; 20]).unwrap().get_str(b"name"), Some("a"));
        assert_eq!(scrape_reply([]), b"d5:filesdee");
    }
}
