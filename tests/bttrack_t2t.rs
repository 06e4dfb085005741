//! bttrack's multitracker features between real processes on loopback: T2T peer sharing
//! between two bttracks and with opentracker as the other tracker of a torrent, and
//! aggregation (forwarded announces counted at the aggregator, wrong passwords refused).
//! Every wait is bounded.

use bitgocho::bencode::{decode, encode, Limits, OwnedValue};
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;
use common::bttrack::Bttrack;
use common::opentracker::OpenTracker;
use common::tls_front::{tls_data, TlsFront};

/// Our bttrack with state `dir/name.dstate`, quick rescans and expiry, no log, and `extra`.
fn start_tracker(dir: &Path, name: &str, extra: &[&str]) -> Bttrack {
    start_tracker_env(dir, name, extra, &[])
}

/// [`start_tracker`] with environment variables `env` set.
fn start_tracker_env(dir: &Path, name: &str, extra: &[&str], env: &[(&str, &Path)]) -> Bttrack {
    let dfile = dir.join(format!("{name}.dstate"));
    let quick = ["--logfile", "/dev/null", "--timeout_check_interval", "1", "--parse_dir_interval", "1"];
    Bttrack::start_env(&dfile, &[&quick[..], extra].concat(), env)
}

/// Waits (10 s at most) until every tracker of `trackers` allows `hash` (its allowed_dir rescanned).
fn wait_allowed(trackers: &[&Bttrack], hash: &[u8; 20]) {
    let t0 = Instant::now();
    while trackers.iter().any(|t| scrape(t.addr(), hash).is_none()) {
        assert!(t0.elapsed() < Duration::from_secs(10), "allowed_dir never rescanned");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Writes a single-file .torrent with an announce-list of one tier per URL (none when `tiers`
/// has a single URL: then it is only the `announce`) into `dir`; returns its info-hash.
fn write_torrent(dir: &Path, name: &str, tiers: &[String]) -> [u8; 20] {
    let b = |s: &str| s.as_bytes().to_vec();
    let mut info = BTreeMap::new();
    info.insert(b("length"), OwnedValue::Int(1000));
    info.insert(b("name"), OwnedValue::bytes(name.as_bytes()));
    info.insert(b("piece length"), OwnedValue::Int(16384));
    info.insert(b("pieces"), OwnedValue::Bytes(vec![7; 20]));
    let info = OwnedValue::Dict(info);
    let hash: [u8; 20] = Sha1::digest(encode(&info)).into();
    let mut top = BTreeMap::new();
    top.insert(b("announce"), OwnedValue::bytes(tiers[0].as_bytes()));
    if tiers.len() > 1 {
        let list = tiers.iter().map(|u| OwnedValue::List(vec![OwnedValue::bytes(u.as_bytes())])).collect();
        top.insert(b("announce-list"), OwnedValue::List(list));
    }
    top.insert(b("info"), info);
    let tmp = dir.join(format!("{name}.tmp"));
    std::fs::write(&tmp, encode(&OwnedValue::Dict(top))).unwrap();
    std::fs::rename(&tmp, dir.join(format!("{name}.torrent"))).unwrap();
    hash
}

/// Announces peer `id` on `port` (compact, from 127.0.0.1) with extra parameters; returns
/// the status and body.
fn announce(addr: SocketAddr, hash: &[u8; 20], id: u8, port: u16, extra: &str) -> (u16, Vec<u8>) {
    let target = format!(
        "/announce?info_hash={}&peer_id={}&port={port}&uploaded=0&downloaded=0&left=100&compact=1{extra}",
        common::http::pct(hash),
        common::http::pct(&[id; 20])
    );
    common::http::get(addr, &target)
}

/// The ports of the compact IPv4 peers of an announce reply.
fn peer_ports(body: &[u8]) -> Vec<u16> {
    let v = decode(body, Limits::default()).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)));
    let d = v.as_dict().unwrap();
    assert!(d.get(b"failure reason").is_none(), "{}", String::from_utf8_lossy(body));
    d.get_bytes(b"peers").unwrap_or(b"").chunks(6).map(|c| u16::from_be_bytes([c[4], c[5]])).collect()
}

/// (complete, incomplete) of `hash` in a tracker's scrape, if listed.
fn scrape(addr: SocketAddr, hash: &[u8; 20]) -> Option<(i64, i64)> {
    let (status, body) = common::http::get(addr, &format!("/scrape?info_hash={}", common::http::pct(hash)));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let v = decode(&body, Limits::default()).unwrap();
    let f = v.as_dict()?.get_dict(b"files")?.get_dict(hash)?.clone();
    Some((f.get_int(b"complete")?, f.get_int(b"incomplete")?))
}

/// Announces as `id` to `addr` until the reply lists a peer on `port` (at most 20 s).
fn wait_for_peer(addr: SocketAddr, hash: &[u8; 20], id: u8, my_port: u16, port: u16) {
    let t0 = Instant::now();
    loop {
        let (status, body) = announce(addr, hash, id, my_port, "");
        assert_eq!(status, 200);
        if peer_ports(&body).contains(&port) {
            return;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "peer on port {port} never handed out by {addr}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_peer_known_only_to_tracker_b_is_handed_out_by_tracker_a() {
    let dir = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&dir_a).unwrap();
    std::fs::create_dir_all(&dir_b).unwrap();
    let t2t = ["--multitracker_enabled", "1", "--multitracker_reannounce_interval", "1"];
    let a = start_tracker(dir.path(), "a", &[&["--allowed_dir", dir_a.to_str().unwrap()], &t2t[..]].concat());
    let b = start_tracker(dir.path(), "b", &[&["--allowed_dir", dir_b.to_str().unwrap()], &t2t[..]].concat());
    let tiers = [a.url(), b.url()];
    let hash = write_torrent(&dir_a, "shared", &tiers);
    assert_eq!(write_torrent(&dir_b, "shared", &tiers), hash);
    wait_allowed(&[&a, &b], &hash);
    assert_eq!(announce(b.addr(), &hash, 0xb1, 40001, "").0, 200, "peer P announces only to B");
    wait_for_peer(a.addr(), &hash, 0xa1, 40002, 40001);
    // Harvested peers are handed out, not counted; and B learns A's peer the same way.
    assert_eq!(scrape(a.addr(), &hash), Some((0, 1)));
    wait_for_peer(b.addr(), &hash, 0xb2, 40003, 40002);
    // A T2T announce from a tracker for a torrent without announce-list is refused (autodetect),
    // and a tracker hearing its own id refuses too.
    let lone = write_torrent(&dir_a, "lone", &[a.url()]);
    wait_allowed(&[&a], &lone);
    let (status, body) = announce(a.addr(), &lone, 0x77, 0, "&tracker=1&event=stopped");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("not authorized for multitracker use"));
    let (_, body) = announce(a.addr(), &hash, 0x77, 0, "&tracker=1&event=stopped&numwant=5");
    assert!(peer_ports(&body).contains(&40002), "another tracker's T2T poll gets A's own peers");
    assert!(!peer_ports(&body).contains(&40001), "but never what A harvested from others");
}

#[test]
fn a_tracker_polls_another_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&dir_a).unwrap();
    std::fs::create_dir_all(&dir_b).unwrap();
    let t2t = ["--multitracker_enabled", "1", "--multitracker_reannounce_interval", "1"];
    let b = start_tracker(dir.path(), "b", &["--allowed_dir", dir_b.to_str().unwrap()]);
    let front = TlsFront::start(b.addr());
    // A trusts the test CA as OpenSSL-based programs would: through SSL_CERT_FILE.
    let ca = tls_data("ca.pem");
    let extra = [&["--allowed_dir", dir_a.to_str().unwrap()], &t2t[..]].concat();
    let a = start_tracker_env(dir.path(), "a", &extra, &[("SSL_CERT_FILE", &ca)]);
    let tiers = [a.url(), front.url("/announce")];
    let hash = write_torrent(&dir_a, "shared", &tiers);
    assert_eq!(write_torrent(&dir_b, "shared", &tiers), hash);
    wait_allowed(&[&a, &b], &hash);
    assert_eq!(announce(b.addr(), &hash, 0xb1, 40011, "").0, 200, "peer P announces only to B");
    wait_for_peer(a.addr(), &hash, 0xa1, 40012, 40011);
}

#[test]
fn opentracker_as_the_other_tracker_of_a_multitracker_torrent() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = dir.path().join("allowed");
    std::fs::create_dir_all(&allowed).unwrap();
    let a = start_tracker(
        dir.path(),
        "a",
        &[
            "--allowed_dir",
            allowed.to_str().unwrap(),
            "--multitracker_enabled",
            "1",
            "--multitracker_reannounce_interval",
            "1",
        ],
    );
    // The info-hash does not depend on the trackers: compute it first for the whitelist.
    let probe = dir.path().join("probe");
    std::fs::create_dir_all(&probe).unwrap();
    let hash = write_torrent(&probe, "ot", &["http://x/announce".to_string(), "http://y/announce".to_string()]);
    let ot = OpenTracker::start(dir.path(), &[hash]);
    let ot_url = format!("http://{}/announce", ot.addr);
    let (status, body) = announce(ot.addr, &hash, 0x51, 41001, "");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(write_torrent(&allowed, "ot", &[a.url(), ot_url]), hash);
    wait_allowed(&[&a], &hash);
    wait_for_peer(a.addr(), &hash, 0x52, 41002, 41001);
    assert_eq!(scrape(a.addr(), &hash), Some((0, 1)), "opentracker's peer is handed out, not counted");
}

#[test]
fn forwarded_announces_are_counted_at_the_aggregator_and_wrong_passwords_refused() {
    let dir = tempfile::tempdir().unwrap();
    let agg = start_tracker(dir.path(), "agg", &["--aggregator", "s3cret"]);
    let fwd = format!("{},s3cret", agg.url());
    let a = start_tracker(dir.path(), "a", &["--aggregate_forward", &fwd]);
    let wrong = format!("{},guess", agg.url());
    let c = start_tracker(dir.path(), "c", &["--aggregate_forward", &wrong]);
    let hash = [0x42u8; 20];
    let other = [0x43u8; 20];
    for (id, port) in [(1u8, 42001u16), (2, 42002)] {
        let (status, body) = announce(a.addr(), &hash, id, port, "");
        assert_eq!(status, 200);
        assert_eq!(peer_ports(&body).len(), usize::from(id - 1), "A answers as a tracker");
    }
    assert_eq!(announce(c.addr(), &other, 3, 42003, "").0, 200, "C answers its client");
    let t0 = Instant::now();
    while scrape(agg.addr(), &hash) != Some((0, 2)) {
        assert!(t0.elapsed() < Duration::from_secs(10), "forwards never counted: {:?}", scrape(agg.addr(), &hash));
        std::thread::sleep(Duration::from_millis(100));
    }
    // C's forwards carry the wrong password: never counted.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(scrape(agg.addr(), &other), None);
    // Direct announces: the right password gets {"response": "OK"}, others are refused.
    let (status, body) = announce(agg.addr(), &other, 4, 42004, "&password=s3cret");
    assert_eq!((status, body.as_slice()), (200, b"d8:response2:OKe".as_slice()));
    for bad in ["", "&password=guess"] {
        let (status, body) = announce(agg.addr(), &other, 5, 42005, bad);
        assert_eq!(status, 200);
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("Requested download is not authorized for use with this tracker."), "{text}");
    }
    assert_eq!(scrape(agg.addr(), &other), Some((0, 1)));
}
