//! The tracker core's multitracker side through its entry points: incoming T2T announces
//! (refusals and replies), T2T polls planned from allowed_dir announce-lists and their
//! harvest handed out, aggregator mode, and forwards queued for the driver.

use bitgocho::bencode::{decode, encode, Limits, OwnedValue};
use bitgocho::tracker::core::unix_now;
use bitgocho::tracker::outgoing::OutgoingKind;
use bitgocho::tracker::{Tracker, TrackerConfig};
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;
use std::path::Path;

fn tracker(opts: &[(&str, &str)]) -> Tracker {
    let mut c = TrackerConfig::default();
    c.set("nat_check", "0").unwrap();
    for (k, v) in opts {
        c.set(k, v).unwrap();
    }
    Tracker::new(c).unwrap()
}

fn pct(b: &[u8]) -> String {
    b.iter().map(|x| format!("%{x:02x}")).collect()
}

fn get(t: &Tracker, target: &str, from: &str) -> (u16, Vec<u8>) {
    let r = t.handle_http_at(target.as_bytes(), from.parse().unwrap(), &[], unix_now());
    (r.status, r.body)
}

fn announce(t: &Tracker, ih: &[u8; 20], id: &[u8; 20], port: u16, extra: &str) -> (u16, Vec<u8>) {
    let target = format!(
        "/announce?info_hash={}&peer_id={}&port={port}&uploaded=0&downloaded=0&left=10&compact=1{extra}",
        pct(ih),
        pct(id)
    );
    get(t, &target, &format!("10.0.0.{}:1", id[0]))
}

fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

fn peer_ports(body: &[u8]) -> Vec<u16> {
    let v = decode(body, Limits::default()).unwrap_or_else(|e| panic!("{e}: {}", text(body)));
    let d = v.as_dict().unwrap();
    assert!(d.get(b"failure reason").is_none(), "{}", text(body));
    d.get_bytes(b"peers").unwrap_or(b"").chunks(6).map(|c| u16::from_be_bytes([c[4], c[5]])).collect()
}

fn write_torrent(dir: &Path, tiers: &[&str]) -> [u8; 20] {
    let b = |s: &str| s.as_bytes().to_vec();
    let mut info = BTreeMap::new();
    info.insert(b("length"), OwnedValue::Int(5));
    info.insert(b("name"), OwnedValue::bytes("x"));
    info.insert(b("piece length"), OwnedValue::Int(16384));
    info.insert(b("pieces"), OwnedValue::Bytes(vec![1; 20]));
    let info = OwnedValue::Dict(info);
    let hash = Sha1::digest(encode(&info)).into();
    let mut top = BTreeMap::new();
    top.insert(b("announce"), OwnedValue::bytes(tiers[0]));
    let list = tiers.iter().map(|u| OwnedValue::List(vec![OwnedValue::bytes(*u)])).collect();
    top.insert(b("announce-list"), OwnedValue::List(list));
    top.insert(b("info"), info);
    std::fs::write(dir.join("x.torrent"), encode(&OwnedValue::Dict(top))).unwrap();
    hash
}

#[test]
fn incoming_t2t_announces_are_refused_or_answered_with_our_own_peers() {
    let ih = [5u8; 20];
    let other = *b"T-bitgocho-otherxxxx";
    let none = tracker(&[("multitracker_allowed", "none")]);
    let (status, body) = announce(&none, &ih, &other, 0, "&tracker=1&event=stopped");
    assert_eq!((status, text(&body)), (200, "d14:failure reason10:disallowede".to_string()));
    let t = tracker(&[("multitracker_allowed", "all"), ("multitracker_reannounce_interval", "77")]);
    let own = t.tracker_id();
    assert!(text(&announce(&t, &ih, &own, 0, "&tracker=1").1).contains("disallowed"), "our own id");
    let auto = tracker(&[]);
    assert!(text(&announce(&auto, &ih, &other, 0, "&tracker=1").1).contains("not authorized for multitracker use"));
    for i in 1..=9u8 {
        assert_eq!(announce(&t, &ih, &[i; 20], 6000 + u16::from(i), "").0, 200);
    }
    let (status, body) = announce(&t, &ih, &other, 0, "&tracker=1&event=stopped&numwant=4");
    assert_eq!(status, 200);
    let v = decode(&body, Limits::default()).unwrap();
    assert_eq!(v.as_dict().unwrap().get_int(b"interval"), Some(77));
    assert_eq!(peer_ports(&body).len(), 4);
    assert_eq!(peer_ports(&announce(&t, &ih, &other, 0, "&tracker=1").1).len(), 9);
    let scrape = get(&t, &format!("/scrape?info_hash={}", pct(&ih)), "10.0.0.1:1").1;
    assert!(text(&scrape).contains("10:incompletei9e"), "T2T pollers are not peers: {}", text(&scrape));
}

#[test]
fn t2t_polls_follow_announce_lists_and_their_harvest_is_handed_out() {
    let dir = tempfile::tempdir().unwrap();
    let ih = write_torrent(dir.path(), &["http://127.0.0.1:9/announce", "udp://127.0.0.1:9"]);
    let t = tracker(&[
        ("allowed_dir", dir.path().to_str().unwrap()),
        ("multitracker_enabled", "1"),
        ("multitracker_reannounce_interval", "30"),
        ("multitracker_maxpeers", "7"),
    ]);
    let now = unix_now();
    assert!(t.take_outgoing(now + 31, 10).len() == 1, "one http tracker, first poll within the interval");
    assert!(t.take_outgoing(now + 31, 10).is_empty(), "in flight");
    // Re-plan from scratch with a fresh tracker to look at the poll itself.
    let t = tracker(&[("allowed_dir", dir.path().to_str().unwrap()), ("multitracker_enabled", "1")]);
    let poll = t.take_outgoing(now + 120, 10).pop().expect("poll due");
    assert!(matches!(poll.kind, OutgoingKind::T2tPoll(_)));
    let id = t.tracker_id();
    assert!(poll.url.starts_with("http://127.0.0.1:9/announce?info_hash="), "{}", poll.url);
    let ih_param = poll.url.split("info_hash=").nth(1).unwrap().split('&').next().unwrap();
    let mut decoded = [0u8; 64];
    let n = bitgocho::tracker::query::percent_decode(ih_param.as_bytes(), &mut decoded, "info_hash").unwrap();
    assert_eq!(&decoded[..n], &ih[..]);
    assert!(poll.url.contains(&format!("&peer_id={}&", std::str::from_utf8(&id).unwrap())), "{}", poll.url);
    assert!(poll.url.contains("tracker=1") && poll.url.contains("numwant=20"), "{}", poll.url);
    let reply =
        b"d8:completei1e10:incompletei1e8:intervali60e5:peers12:\x0a\x01\x02\x03\x11\xd7\x0a\x01\x02\x04\x11\xd8e";
    t.outgoing_done(poll.kind, Ok((200, reply.to_vec())), now + 120);
    let ports = peer_ports(&announce(&t, &ih, &[1; 20], 1, "").1);
    assert_eq!(ports.len(), 2, "both harvested peers handed out");
    assert!(ports.contains(&4567) && ports.contains(&4568));
    let scrape = text(&get(&t, &format!("/scrape?info_hash={}", pct(&ih)), "10.0.0.1:1").1);
    assert!(scrape.contains("8:completei0e10:downloadedi0e10:incompletei1e"), "{scrape}");
    // The tracker turns out to be us (or refuses T2T): abandoned, its peers gone.
    let again = t.take_outgoing(now + 120 + 30 * 60, 10).pop().expect("next poll");
    t.outgoing_done(again.kind, Ok((200, b"d14:failure reason10:disallowede".to_vec())), now + 120 + 1800);
    assert!(peer_ports(&announce(&t, &ih, &[1; 20], 1, "").1).is_empty());
    assert!(t.take_outgoing(now + 99_999, 10).is_empty(), "never polled again");
}

#[test]
fn aggregator_counts_without_peers_and_checks_its_password() {
    let ih = [6u8; 20];
    let t = tracker(&[("aggregator", "pw")]);
    let (status, body) = announce(&t, &ih, &[1; 20], 1, "");
    assert_eq!(status, 200);
    assert!(text(&body).contains("Requested download is not authorized for use with this tracker."));
    for i in 1..=3u8 {
        let (status, body) = announce(&t, &ih, &[i; 20], u16::from(i), "&password=pw");
        assert_eq!((status, body.as_slice()), (200, b"d8:response2:OKe".as_slice()));
    }
    let scrape = text(&get(&t, &format!("/scrape?info_hash={}", pct(&ih)), "10.0.0.1:1").1);
    assert!(scrape.contains("10:incompletei3e"), "{scrape}");
    // No compact required, no NAT checks queued (nat_check on).
    let open = tracker(&[("aggregator", "1"), ("nat_check", "3")]);
    let target =
        format!("/announce?info_hash={}&peer_id={}&port=1&uploaded=0&downloaded=0&left=1", pct(&ih), pct(&[9; 20]));
    assert_eq!(get(&open, &target, "8.8.8.8:1").1, b"d8:response2:OKe");
    assert!(open.take_nat_jobs(10).is_empty());
}

#[test]
fn forwards_are_queued_for_valid_non_t2t_announces_only() {
    let ih = [7u8; 20];
    let t = tracker(&[("aggregate_forward", "http://127.0.0.1:9/announce,s e"), ("multitracker_allowed", "all")]);
    assert!(t.makes_outgoing_requests());
    assert_eq!(announce(&t, &ih, &[1; 20], 1, "&password=mine").0, 200);
    assert_eq!(announce(&t, &ih, &[2; 20], 2, "&tracker=1").0, 200);
    assert_eq!(get(&t, &format!("/announce?info_hash={}&peer_id=short", pct(&ih)), "10.0.0.3:1").0, 400);
    let out = t.take_outgoing(unix_now(), 10);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].kind, OutgoingKind::Forward);
    let url = &out[0].url;
    assert!(url.starts_with("http://127.0.0.1:9/announce?info_hash="), "{url}");
    assert!(url.contains(&format!("&peer_id={}&", pct(&[1; 20]))), "{url}");
    assert!(url.ends_with("&compact=1&password=s%20e") && !url.contains("mine"), "{url}");
    assert!(t.take_outgoing(unix_now(), 10).is_empty());
    assert!(!tracker(&[]).makes_outgoing_requests());
}
