//! The tracker core through its HTTP and UDP entry points: announce forms and rules, scrape,
//! allowed sets, IP filters, NAT-check queueing, expiry, the info page, BEP 15 round trips,
//! thousands of hostile targets and datagrams, and replies checked with libtorrent's bdecode.

use bitgocho::bencode::{decode, Limits};
use bitgocho::tracker::handler::HttpResponse;
use bitgocho::tracker::natcheck::NatChecker;
use bitgocho::tracker::{Tracker, TrackerConfig};
use std::net::SocketAddr;
use std::time::Duration;

const NOW: u64 = 1_700_000_000;

fn tracker(opts: &[(&str, &str)]) -> Tracker {
    let mut c = TrackerConfig::default();
    c.set("nat_check", "0").unwrap();
    c.set("rng_seed", "7").unwrap();
    for (k, v) in opts {
        c.set(k, v).unwrap();
    }
    Tracker::new(c).unwrap()
}

fn pct(b: &[u8]) -> String {
    b.iter().map(|x| format!("%{x:02x}")).collect()
}

fn peer_id(n: u32) -> [u8; 20] {
    let mut id = *b"-XX0001-000000000000";
    id[8..12].copy_from_slice(&n.to_be_bytes());
    id
}

fn announce_target(ih: &[u8; 20], id: u32, port: u16, left: u64, extra: &str) -> String {
    format!(
        "/announce?info_hash={}&peer_id={}&port={port}&uploaded=0&downloaded=0&left={left}{extra}",
        pct(ih),
        pct(&peer_id(id))
    )
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn get(t: &Tracker, target: &str, from: &str) -> HttpResponse {
    t.handle_http_at(target.as_bytes(), addr(from), &[], NOW)
}

fn dict_int(body: &[u8], key: &str) -> Option<i64> {
    decode(body, Limits::strict()).ok()?.as_dict()?.get_int(key.as_bytes())
}

fn dict_bytes(body: &[u8], key: &str) -> Option<Vec<u8>> {
    Some(decode(body, Limits::strict()).ok()?.as_dict()?.get_bytes(key.as_bytes())?.to_vec())
}

#[test]
fn compact_announces_exchange_peers() {
    let t = tracker(&[]);
    let ih = [0xab; 20];
    let r = get(&t, &announce_target(&ih, 1, 6881, 100, "&compact=1&event=started"), "10.0.0.1:5000");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(dict_bytes(&r.body, "peers"), Some(vec![]), "the requester never receives itself");
    assert_eq!(dict_int(&r.body, "interval"), Some(1800));
    assert_eq!(dict_int(&r.body, "min interval"), Some(900));
    let r = get(&t, &announce_target(&ih, 2, 7000, 0, "&compact=1"), "10.0.0.2:5000");
    assert_eq!(dict_bytes(&r.body, "peers"), Some(vec![10, 0, 0, 1, 0x1a, 0xe1]));
    assert_eq!((dict_int(&r.body, "complete"), dict_int(&r.body, "incomplete")), (Some(1), Some(1)));
    let r = get(&t, &announce_target(&ih, 1, 6881, 100, "&compact=1"), "10.0.0.1:5000");
    assert_eq!(dict_bytes(&r.body, "peers"), Some(vec![10, 0, 0, 2, 0x1b, 0x58]));
    // stopped: removed, and the reply's peers is an empty list.
    let r = get(&t, &announce_target(&ih, 2, 7000, 0, "&compact=1&event=stopped"), "10.0.0.2:5000");
    let v = decode(&r.body, Limits::strict()).unwrap();
    assert_eq!(v.as_dict().unwrap().get_list(b"peers").map(|l| l.len()), Some(0));
    assert_eq!(dict_int(&r.body, "complete"), Some(0));
    let r = get(&t, &announce_target(&ih, 1, 6881, 100, "&compact=1&numwant=0"), "10.0.0.1:5000");
    assert!(decode(&r.body, Limits::strict()).unwrap().as_dict().unwrap().get_list(b"peers").is_some());
}

#[test]
fn compact_required_and_dictionary_forms() {
    let t = tracker(&[]);
    let ih = [1; 20];
    for extra in ["", "&compact=0"] {
        let r = get(&t, &announce_target(&ih, 1, 6881, 5, extra), "10.0.0.1:1");
        assert_eq!((r.status, r.body.as_slice()), (400, &b"your client is outdated, please upgrade"[..]));
    }
    let t = tracker(&[("compact_reqd", "0")]);
    get(&t, &announce_target(&ih, 1, 6881, 5, ""), "10.0.0.1:1");
    let r = get(&t, &announce_target(&ih, 2, 6882, 5, ""), "10.0.0.2:1");
    let v = decode(&r.body, Limits::strict()).unwrap();
    let peers = v.as_dict().unwrap().get_list(b"peers").unwrap().to_vec();
    let p = peers[0].as_dict().unwrap();
    assert_eq!((p.get_str(b"ip"), p.get_int(b"port")), (Some("10.0.0.1"), Some(6881)));
    assert_eq!(p.get_bytes(b"peer id"), Some(&peer_id(1)[..]));
    let r = get(&t, &announce_target(&ih, 2, 6882, 5, "&no_peer_id=1"), "10.0.0.2:1");
    let v = decode(&r.body, Limits::strict()).unwrap();
    let peers = v.as_dict().unwrap().get_list(b"peers").unwrap().to_vec();
    assert!(peers[0].as_dict().unwrap().get(b"peer id").is_none());
}

#[test]
fn ipv6_peers_go_to_peers6() {
    let t = tracker(&[]);
    let ih = [2; 20];
    get(&t, &announce_target(&ih, 1, 6881, 5, "&compact=1"), "[fd00::1]:1");
    get(&t, &announce_target(&ih, 2, 6882, 5, "&compact=1"), "10.0.0.2:1");
    let r = get(&t, &announce_target(&ih, 3, 6883, 5, "&compact=1"), "[fd00::3]:1");
    let mut six = vec![0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    six.extend_from_slice(&6881u16.to_be_bytes());
    assert_eq!(dict_bytes(&r.body, "peers6"), Some(six));
    assert_eq!(dict_bytes(&r.body, "peers"), Some(vec![10, 0, 0, 2, 0x1a, 0xe2]));
    // An IPv6 client without compact gets the dictionary form even with compact_reqd.
    let r = get(&t, &announce_target(&ih, 3, 6883, 5, ""), "[fd00::3]:1");
    assert_eq!(r.status, 200);
}

#[test]
fn garbage_is_refused_with_reasons() {
    let t = tracker(&[]);
    let cases = [
        ("/announce?peer_id=x", "you sent me garbage - no info hash"),
        ("/announce?info_hash=abc", "you sent me garbage - info_hash not of length 20"),
        ("/announce?info_hash=%zz", "you sent me garbage - invalid %-escape in 20-byte value"),
        ("/announce?x", "you sent me garbage - no = in query item"),
    ];
    for (target, body) in cases {
        let r = get(&t, target, "10.0.0.1:1");
        assert_eq!((r.status, String::from_utf8_lossy(&r.body).as_ref()), (400, body), "{target}");
    }
    let ih = [3; 20];
    let bad_id = announce_target(&ih, 1, 1, 1, "&compact=1").replace(&pct(&peer_id(1)), "short");
    assert_eq!(get(&t, &bad_id, "10.0.0.1:1").body, b"you sent me garbage - id not of length 20");
    let bad_event = announce_target(&ih, 1, 1, 1, "&compact=1&event=exploded");
    assert_eq!(get(&t, &bad_event, "10.0.0.1:1").body, b"you sent me garbage - invalid event");
    let bad_left = announce_target(&ih, 1, 1, 1, "&compact=1").replace("left=1", "left=-5");
    assert_eq!(get(&t, &bad_left, "10.0.0.1:1").body, b"you sent me garbage - invalid amount left");
    let r = get(&t, "/nope", "10.0.0.1:1");
    assert_eq!(
        (r.status, r.body.as_slice()),
        (404, &b"your file may exist elsewhere in the universe\nbut alas, not here\n"[..])
    );
    assert_eq!(t.stats().torrents, 0, "no refused request created a torrent");
}

#[test]
fn crypto_requirements_are_stored_and_served() {
    let t = tracker(&[]);
    let ih = [4; 20];
    get(&t, &announce_target(&ih, 1, 1001, 5, "&compact=1&requirecrypto=1"), "10.0.0.1:1");
    get(&t, &announce_target(&ih, 2, 1002, 5, "&compact=1&supportcrypto=1"), "10.0.0.2:1");
    get(&t, &announce_target(&ih, 3, 1003, 5, "&compact=1"), "10.0.0.3:1");
    let plain = get(&t, &announce_target(&ih, 9, 1009, 5, "&compact=1"), "10.0.0.9:1");
    let peers = dict_bytes(&plain.body, "peers").unwrap();
    assert_eq!(peers.len(), 12, "a plain client does not get the peer that requires crypto");
    assert!(dict_bytes(&plain.body, "crypto_flags").is_none());
    let sup = get(&t, &announce_target(&ih, 9, 1009, 5, "&compact=1&supportcrypto=1"), "10.0.0.9:1");
    let peers = dict_bytes(&sup.body, "peers").unwrap();
    let flags = dict_bytes(&sup.body, "crypto_flags").unwrap();
    assert_eq!((peers.len(), flags.len()), (18, 3));
    for (entry, flag) in peers.chunks(6).zip(&flags) {
        assert_eq!(*flag, u8::from(entry[3] == 1), "flag 1 only for the peer requiring crypto");
    }
    let req = get(&t, &announce_target(&ih, 9, 1009, 5, "&compact=1&requirecrypto=1"), "10.0.0.9:1");
    assert_eq!(dict_bytes(&req.body, "crypto_flags"), Some(vec![1, 1]), "real 0x01 bytes");
    assert_eq!(dict_bytes(&req.body, "peers").unwrap().len(), 12);
}

#[test]
fn seeds_get_leechers_only_and_replies_vary() {
    let t = tracker(&[("response_size", "10")]);
    let ih = [5; 20];
    for i in 0..60u32 {
        let left = if i < 30 { 0 } else { 1 };
        get(&t, &announce_target(&ih, i, 2000 + i as u16, left, "&compact=1"), &format!("10.1.0.{i}:1"));
    }
    let seed = get(&t, &announce_target(&ih, 0, 2000, 0, "&compact=1"), "10.1.0.0:1");
    let peers = dict_bytes(&seed.body, "peers").unwrap();
    assert_eq!(peers.len(), 60);
    assert!(peers.chunks(6).all(|p| p[3] >= 30), "a seed receives only leechers");
    let mut replies = std::collections::HashSet::new();
    for _ in 0..10 {
        let r = get(&t, &announce_target(&ih, 45, 2045, 1, "&compact=1"), "10.1.0.45:1");
        let peers = dict_bytes(&r.body, "peers").unwrap();
        assert!(peers.chunks(6).all(|p| p[3] != 45));
        replies.insert(peers);
    }
    assert!(replies.len() >= 8, "consecutive requesters see different peers: {}", replies.len());
}

#[test]
fn scrape_modes() {
    let ih = [6; 20];
    let t = tracker(&[]);
    get(&t, &announce_target(&ih, 1, 1, 0, "&compact=1&event=completed"), "10.0.0.1:1");
    get(&t, &announce_target(&ih, 2, 2, 5, "&compact=1"), "10.0.0.2:1");
    let r = get(&t, &format!("/scrape?info_hash={}&info_hash={}", pct(&ih), pct(&[7; 20])), "10.0.0.1:1");
    let v = decode(&r.body, Limits::strict()).unwrap();
    let files = v.as_dict().unwrap().get_dict(b"files").unwrap().clone();
    assert_eq!(files.len(), 1, "unknown hashes are omitted");
    let f = files.get_dict(&ih).unwrap();
    assert_eq!(
        (f.get_int(b"complete"), f.get_int(b"incomplete"), f.get_int(b"downloaded")),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(get(&t, "/scrape", "10.0.0.1:1").body, r.body, "full scrape lists the one torrent");
    let t = tracker(&[("scrape_allowed", "specific")]);
    let r = get(&t, "/scrape.php", "10.0.0.1:1");
    assert_eq!(r.status, 400);
    assert!(String::from_utf8_lossy(&r.body).contains("full scrape function is not available"));
    assert_eq!(get(&t, &format!("/scrape?info_hash={}", pct(&ih)), "10.0.0.1:1").status, 200);
    let t = tracker(&[("scrape_allowed", "none")]);
    let r = get(&t, &format!("/tracker.php/scrape?info_hash={}", pct(&ih)), "10.0.0.1:1");
    assert!(String::from_utf8_lossy(&r.body).contains("specific scrape function is not available"));
}

#[test]
fn ip_filters_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = dir.path().join("allowed");
    let banned = dir.path().join("banned");
    std::fs::write(&allowed, "10.0.0.0/8\n").unwrap();
    std::fs::write(&banned, "bad people:10.6.6.0-10.6.6.255\n").unwrap();
    let t = tracker(&[("allowed_ips", allowed.to_str().unwrap()), ("banned_ips", banned.to_str().unwrap())]);
    let target = announce_target(&[8; 20], 1, 1, 1, "&compact=1");
    assert_eq!(get(&t, &target, "10.0.0.1:1").status, 200);
    for from in ["11.0.0.1:1", "10.6.6.6:1"] {
        let r = get(&t, &target, from);
        assert_eq!((r.status, r.reason), (400, "Not Authorized"), "{from}");
        assert_eq!(r.body, b"d14:failure reason38:your IP is not allowed on this trackere");
    }
}

#[test]
fn proxy_header_and_ip_param_override_per_setting() {
    let t = tracker(&[("nat_check", "0")]); // auto -> only local clients may override
    let ih = [9; 20];
    let hdrs: [(&str, &[u8]); 1] = [("x-forwarded-for", b"203.0.113.9, 10.0.0.1")];
    let target = announce_target(&ih, 1, 6881, 5, "&compact=1&ip=198.51.100.4");
    t.handle_http_at(target.as_bytes(), addr("10.0.0.1:1"), &hdrs, NOW);
    t.handle_http_at(announce_target(&ih, 2, 1, 5, "&compact=1").as_bytes(), addr("8.8.8.8:1"), &hdrs, NOW);
    let r = get(&t, &announce_target(&ih, 3, 1, 5, "&compact=1"), "10.0.0.3:1");
    let peers = dict_bytes(&r.body, "peers").unwrap();
    let ips: Vec<&[u8]> = peers.chunks(6).map(|p| &p[..4]).collect();
    assert!(ips.contains(&&[198, 51, 100, 4][..]), "a local client's ip= is honoured: {ips:?}");
    assert!(ips.contains(&&[8, 8, 8, 8][..]), "a public client's proxy header is not: {ips:?}");
}

#[test]
fn nat_check_gates_peers_until_checked() {
    let mut c = TrackerConfig::default();
    c.set("rng_seed", "3").unwrap();
    let t = Tracker::new(c).unwrap();
    let ih = [10; 20];
    get(&t, &announce_target(&ih, 1, 6881, 5, "&compact=1"), "192.0.2.1:1");
    assert_eq!(t.stats().nat_queued, 1);
    let r = get(&t, &announce_target(&ih, 2, 6882, 5, "&compact=1"), "10.0.0.2:1");
    assert_eq!(dict_bytes(&r.body, "peers"), Some(vec![]), "unchecked peers are not handed out");
    assert_eq!(dict_int(&r.body, "incomplete"), Some(2), "but they are counted");
    let jobs = t.take_nat_jobs(10);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].addr, addr("192.0.2.1:6881"));
    t.nat_result(&jobs[0], true, NOW);
    let r = get(&t, &announce_target(&ih, 2, 6882, 5, "&compact=1"), "10.0.0.2:1");
    assert_eq!(dict_bytes(&r.body, "peers"), Some(vec![192, 0, 2, 1, 0x1a, 0xe1]));

    // The driver: an unreachable documentation address fails and is counted.
    get(&t, &announce_target(&ih, 3, 6883, 5, "&compact=1"), "192.0.2.3:1");
    let checker = NatChecker::new(1, Duration::from_millis(300), 4);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while t.stats().nat_failed == 0 && std::time::Instant::now() < deadline {
        checker.pump(&t, NOW);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(t.stats().nat_failed, 1);
}

#[test]
fn peers_expire_after_two_sweeps_of_silence() {
    let t = tracker(&[]);
    let ih = [11; 20];
    t.maintain(NOW);
    get(&t, &announce_target(&ih, 1, 1, 5, "&compact=1"), "10.0.0.1:1");
    t.maintain(NOW + 2700);
    assert_eq!(t.stats().leechers, 1, "heard from since the previous sweep");
    t.maintain(NOW + 5400);
    assert_eq!((t.stats().leechers, t.stats().torrents), (0, 0), "silent for a whole period: gone, torrent dropped");
    let t = tracker(&[("keep_dead", "1")]);
    t.maintain(NOW);
    get(&t, &announce_target(&ih, 1, 1, 5, "&compact=1"), "10.0.0.1:1");
    t.maintain(NOW + 2700);
    t.maintain(NOW + 5400);
    assert_eq!((t.stats().leechers, t.stats().torrents), (0, 1), "keep_dead keeps the torrent");
}

fn torrent_file(name: &str, extra_top: &str) -> (Vec<u8>, [u8; 20]) {
    use sha1::{Digest, Sha1};
    let info =
        format!("d6:lengthi1048576e4:name{}:{name}12:piece lengthi262144e6:pieces80:{}e", name.len(), "x".repeat(80));
    let bytes = format!("d8:announce8:http://x{extra_top}4:info{info}e").into_bytes();
    (bytes, Sha1::digest(info.as_bytes()).into())
}

#[test]
fn allowed_dir_controls_everything() {
    let dir = tempfile::tempdir().unwrap();
    let (a, ha) = torrent_file("alpha <&>", "");
    let (b, hb) = torrent_file("beta", "15:warning message7:be nice");
    std::fs::write(dir.path().join("a.torrent"), &a).unwrap();
    std::fs::write(dir.path().join("b.torrent"), &b).unwrap();
    let d = dir.path().to_str().unwrap();
    let t = tracker(&[("allowed_dir", d), ("allow_get", "1"), ("allowed_controls", "1")]);
    let r = get(&t, &announce_target(&[99; 20], 1, 1, 1, "&compact=1"), "10.0.0.1:1");
    assert_eq!((r.status, r.reason), (200, "Not Authorized"));
    assert!(String::from_utf8_lossy(&r.body).contains("Requested download is not authorized"));
    let r = get(&t, &announce_target(&hb, 1, 1, 1, "&compact=1"), "10.0.0.1:1");
    assert_eq!(dict_bytes(&r.body, "warning message"), Some(b"be nice".to_vec()));
    get(&t, &announce_target(&ha, 2, 1, 0, "&compact=1&event=completed"), "10.0.0.2:1");
    assert_eq!(t.stats().torrents, 2, "allowed torrents are listed before any announce");
    let scrape = get(&t, "/scrape", "10.0.0.1:1");
    let v = decode(&scrape.body, Limits::strict()).unwrap();
    let files = v.as_dict().unwrap().get_dict(b"files").unwrap().clone();
    assert_eq!(files.get_dict(&hb).unwrap().get_str(b"name"), Some("beta"));
    let file = get(&t, &format!("/file?info_hash={}", pct(&ha)), "10.0.0.1:1");
    assert_eq!((file.status, file.content_type, file.body.clone()), (200, "application/x-bittorrent", a.clone()));
    assert_eq!(get(&t, &format!("/file?info_hash={}", pct(&[1; 20])), "10.0.0.1:1").status, 404);
    let page = String::from_utf8(get(&t, "/", "10.0.0.1:1").body).unwrap();
    assert!(page.contains("alpha &lt;&amp;&gt;") && page.contains("beta") && page.contains("2 files"));
    assert!(page.contains("<td class=\"n\">1MiB</td>"), "transferred = size x completed for alpha");

    // Removing a .torrent makes its hash unauthorised at the next rescan.
    std::fs::remove_file(dir.path().join("b.torrent")).unwrap();
    t.maintain(NOW);
    t.maintain(NOW + 60);
    let r = get(&t, &announce_target(&hb, 1, 1, 1, "&compact=1"), "10.0.0.1:1");
    assert_eq!(r.reason, "Not Authorized");
    let t = tracker(&[("allowed_dir", d)]);
    let r = get(&t, &format!("/file?info_hash={}", pct(&ha)), "10.0.0.1:1");
    assert_eq!((r.status, r.body.as_slice()), (400, &b"get function is not available with this tracker."[..]));
}

#[test]
fn allowed_list_and_failure_control() {
    let dir = tempfile::tempdir().unwrap();
    let (bad, hbad) = torrent_file("gone", "14:failure reason7:revoked");
    std::fs::write(dir.path().join("gone.torrent"), bad).unwrap();
    let t = tracker(&[("allowed_dir", dir.path().to_str().unwrap()), ("allowed_controls", "1")]);
    let r = get(&t, &announce_target(&hbad, 1, 1, 1, "&compact=1"), "10.0.0.1:1");
    assert_eq!(r.body, b"d14:failure reason7:revokede");
    let list = dir.path().join("list.txt");
    std::fs::write(&list, format!("{}\n", "ab".repeat(20))).unwrap();
    let t = tracker(&[("allowed_list", list.to_str().unwrap())]);
    assert_eq!(get(&t, &announce_target(&[0xab; 20], 1, 1, 1, "&compact=1"), "10.0.0.1:1").reason, "OK");
    assert_eq!(get(&t, &announce_target(&[0xac; 20], 1, 1, 1, "&compact=1"), "10.0.0.1:1").reason, "Not Authorized");
}

#[test]
fn info_page_favicon_and_redirect() {
    let t = tracker(&[]);
    let r = get(&t, "/index.html", "10.0.0.1:1");
    assert_eq!((r.status, r.content_type), (200, "text/html; charset=utf-8"));
    assert!(String::from_utf8_lossy(&r.body).contains("not tracking any files yet..."));
    assert_eq!(get(&t, "/favicon.ico", "10.0.0.1:1").status, 404);
    assert_eq!(get(&tracker(&[("show_infopage", "0")]), "/", "10.0.0.1:1").status, 404);
    let r = get(&tracker(&[("infopage_redirect", "http://example.org/")]), "/", "10.0.0.1:1");
    assert_eq!(r.status, 302);
    assert!(r.headers.contains(&("Location", "http://example.org/".to_string())));
    assert!(String::from_utf8_lossy(&r.body).contains("Click Here"));
    let dir = tempfile::tempdir().unwrap();
    let ico = dir.path().join("f.ico");
    std::fs::write(&ico, b"\0\0\x01\0icon").unwrap();
    let r = get(&tracker(&[("favicon", ico.to_str().unwrap())]), "/favicon.ico", "10.0.0.1:1");
    assert_eq!((r.status, r.content_type, r.body.as_slice()), (200, "image/x-icon", &b"\0\0\x01\0icon"[..]));
}

#[test]
fn dedicated_seed_and_deprecated_scrape_key() {
    let t = tracker(&[("dedicated_seed_id", "s3cret")]);
    let ih = [12; 20];
    let r = get(&t, &announce_target(&ih, 1, 1, 5, "&compact=1&check_seeded=1&scrape=1"), "10.0.0.1:1");
    assert!(dict_int(&r.body, "seeded").is_none());
    get(&t, &announce_target(&ih, 2, 1, 0, "&compact=1&seed_id=s3cret"), "10.0.0.2:1");
    let r = get(&t, &announce_target(&ih, 1, 1, 5, "&compact=1&check_seeded=1&scrape=1"), "10.0.0.1:1");
    assert_eq!(dict_int(&r.body, "seeded"), Some(1), "left=0 compared as a number");
    let v = decode(&r.body, Limits::strict()).unwrap();
    assert_eq!(v.as_dict().unwrap().get_dict(b"scrape").unwrap().get_int(b"complete"), Some(1));
}

// ---------------------------------------------------------------- UDP

fn udp(t: &Tracker, d: &[u8], from: &str, now: u64) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    t.handle_udp_at(d, addr(from), &mut out, now).then_some(out)
}

fn connect(t: &Tracker, from: &str, now: u64) -> u64 {
    let mut d = 0x41727101980u64.to_be_bytes().to_vec();
    d.extend_from_slice(&0u32.to_be_bytes());
    d.extend_from_slice(&77u32.to_be_bytes());
    let r = udp(t, &d, from, now).unwrap();
    assert_eq!(&r[..8], &[0, 0, 0, 0, 0, 0, 0, 77]);
    u64::from_be_bytes(r[8..16].try_into().unwrap())
}

fn udp_announce(cid: u64, ih: [u8; 20], id: u32, left: u64, port: u16) -> Vec<u8> {
    let mut d = cid.to_be_bytes().to_vec();
    d.extend_from_slice(&1u32.to_be_bytes());
    d.extend_from_slice(&5u32.to_be_bytes());
    d.extend_from_slice(&ih);
    d.extend_from_slice(&peer_id(id));
    d.extend_from_slice(&0u64.to_be_bytes());
    d.extend_from_slice(&left.to_be_bytes());
    d.extend_from_slice(&0u64.to_be_bytes());
    d.extend_from_slice(&2u32.to_be_bytes());
    d.extend_from_slice(&0u32.to_be_bytes());
    d.extend_from_slice(&9u32.to_be_bytes());
    d.extend_from_slice(&(-1i32).to_be_bytes());
    d.extend_from_slice(&port.to_be_bytes());
    d
}

#[test]
fn udp_connect_announce_scrape_round_trip() {
    let t = tracker(&[]);
    let ih = [13; 20];
    let c1 = connect(&t, "10.0.0.1:4000", NOW);
    let r = udp(&t, &udp_announce(c1, ih, 1, 0, 6881), "10.0.0.1:4000", NOW).unwrap();
    assert_eq!(&r[..8], &[0, 0, 0, 1, 0, 0, 0, 5]);
    assert_eq!(u32::from_be_bytes(r[8..12].try_into().unwrap()), 1800);
    assert_eq!(r.len(), 20, "no peers yet");
    let c2 = connect(&t, "10.0.0.2:4000", NOW);
    let r = udp(&t, &udp_announce(c2, ih, 2, 10, 6882), "10.0.0.2:4000", NOW + 30).unwrap();
    assert_eq!(&r[12..20], &[0, 0, 0, 1, 0, 0, 0, 1], "leechers 1, seeders 1");
    assert_eq!(&r[20..], &[10, 0, 0, 1, 0x1a, 0xe1]);
    // IPv6 requester: 18-byte entries, IPv6 peers only.
    let c3 = connect(&t, "[fd00::3]:4000", NOW);
    udp(&t, &udp_announce(c3, ih, 3, 10, 6883), "[fd00::3]:4000", NOW).unwrap();
    let c4 = connect(&t, "[fd00::4]:4000", NOW);
    let r = udp(&t, &udp_announce(c4, ih, 4, 10, 6884), "[fd00::4]:4000", NOW).unwrap();
    assert_eq!(r.len(), 20 + 18);
    assert_eq!(&r[20 + 16..], &6883u16.to_be_bytes());
    // Scrape.
    let mut s = c1.to_be_bytes().to_vec();
    s.extend_from_slice(&2u32.to_be_bytes());
    s.extend_from_slice(&8u32.to_be_bytes());
    s.extend_from_slice(&ih);
    s.extend_from_slice(&[0; 20]);
    let r = udp(&t, &s, "10.0.0.1:4000", NOW).unwrap();
    assert_eq!(&r[..8], &[0, 0, 0, 2, 0, 0, 0, 8]);
    assert_eq!(&r[8..20], &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3]);
    assert_eq!(&r[20..32], &[0; 12], "unknown torrent: zeros");
}

#[test]
fn udp_connection_ids_expire_and_bind_to_the_address() {
    let t = tracker(&[]);
    let cid = connect(&t, "10.0.0.1:4000", NOW);
    let d = udp_announce(cid, [14; 20], 1, 0, 1);
    let ok = udp(&t, &d, "10.0.0.1:4000", NOW + 120).unwrap();
    assert_eq!(&ok[..4], &[0, 0, 0, 1]);
    for (from, now) in [("10.0.0.1:4000", NOW + 121), ("10.0.0.9:4000", NOW), ("10.0.0.1:4000", NOW - 1)] {
        let r = udp(&t, &d, from, now).unwrap();
        assert_eq!(&r[..8], &[0, 0, 0, 3, 0, 0, 0, 5], "{from} at {now}");
        assert!(String::from_utf8_lossy(&r[8..]).contains("connection id"));
    }
    assert!(udp(&t, &d[..15], "10.0.0.1:4000", NOW).is_none(), "no transaction id: no reply");
}

// ---------------------------------------------------------------- hostile input

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn thousands_of_hostile_http_targets() {
    let t = tracker(&[("compact_reqd", "0")]);
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    let pieces: [&[u8]; 24] = [
        b"/announce?",
        b"/scrape?",
        b"/file?",
        b"info_hash=",
        b"peer_id=",
        b"&",
        b"=",
        b"%",
        b"%4",
        b"%zz",
        b"+",
        b"port=",
        b"left=",
        b"-1",
        b"99999999999999999999",
        b"compact=1",
        b"event=stopped",
        b"numwant=",
        b"ip=::1",
        b"key=",
        b"%00",
        b"\xff\xfe",
        b"?",
        b"/",
    ];
    let valid_prefix = announce_target(&[15; 20], 1, 1, 1, "");
    let mut ok = 0;
    for i in 0..5000 {
        let mut target = if i % 4 == 0 { valid_prefix.as_bytes().to_vec() } else { Vec::new() };
        for _ in 0..rng.below(12) {
            target.extend_from_slice(pieces[rng.below(pieces.len())]);
            if rng.below(3) == 0 {
                target.push(rng.next() as u8);
            }
        }
        let from = if i % 2 == 0 { "10.0.0.1:1" } else { "[2001:db8::1]:1" };
        let r = t.handle_http_at(&target, addr(from), &[], NOW);
        assert!(matches!(r.status, 200 | 400 | 404), "{}", String::from_utf8_lossy(&target));
        if r.status == 200 && r.content_type == "text/plain" {
            assert!(decode(&r.body, Limits::strict()).is_ok(), "bencoded: {}", String::from_utf8_lossy(&target));
            ok += 1;
        }
        assert!(r.body.len() <= t.max_response_len().max(64 * 1024));
    }
    assert!(ok > 100, "some hostile variants are still valid announces: {ok}");
    assert!(t.stats().torrents <= 2, "garbage did not create torrents: {}", t.stats().torrents);
}

#[test]
fn thousands_of_hostile_datagrams() {
    let t = tracker(&[]);
    let cid = connect(&t, "10.0.0.1:4000", NOW);
    let valid = udp_announce(cid, [16; 20], 1, 0, 1);
    let mut rng = XorShift(0xdead_beef_cafe_f00d);
    for i in 0..5000 {
        let mut d = if i % 3 == 0 { valid.clone() } else { (0..rng.below(120)).map(|_| rng.next() as u8).collect() };
        if !d.is_empty() {
            for _ in 0..rng.below(4) {
                let at = rng.below(d.len());
                d[at] = rng.next() as u8;
            }
            if rng.below(4) == 0 {
                d.truncate(rng.below(d.len()));
            }
        }
        let mut out = Vec::new();
        let answered = t.handle_udp_at(&d, addr("10.0.0.1:4000"), &mut out, NOW);
        if d.len() < 16 {
            assert!(!answered, "no reply without a transaction id");
        } else {
            assert!(answered);
            assert_eq!(&out[4..8], &d[12..16], "the reply echoes the transaction id");
            assert!(matches!(out[3], 0..=3) && out[..3] == [0, 0, 0]);
        }
        assert!(out.len() <= 20 + 18 * 50 + 12 * 74);
    }
    assert!(t.stats().torrents < 2000);
}

// ---------------------------------------------------------------- libtorrent's bdecode

#[test]
fn replies_decode_with_libtorrent() {
    let python = "/usr/bin/python3";
    let probe = std::process::Command::new(python).args(["-c", "import libtorrent"]).status();
    assert!(
        probe.map(|s| s.success()).unwrap_or(false),
        "needs {python} with libtorrent: apt-get install python3-libtorrent (tests/install-deps.sh)"
    );
    let t = tracker(&[("compact_reqd", "0")]);
    let ih = [17; 20];
    get(&t, &announce_target(&ih, 1, 6881, 0, "&compact=1&event=completed"), "10.0.0.1:1");
    get(&t, &announce_target(&ih, 2, 6882, 5, "&compact=1&supportcrypto=1"), "[fd00::2]:1");
    let samples = [
        get(&t, &announce_target(&ih, 3, 6883, 5, "&compact=1&supportcrypto=1"), "10.0.0.3:1").body,
        get(&t, &announce_target(&ih, 3, 6883, 5, ""), "10.0.0.3:1").body,
        get(&t, &announce_target(&ih, 3, 6883, 5, "&no_peer_id=1"), "10.0.0.3:1").body,
        get(&t, "/scrape", "10.0.0.3:1").body,
        get(&tracker(&[("allowed_list", "/dev/null")]), &announce_target(&ih, 3, 1, 5, "&compact=1"), "10.0.0.3:1")
            .body,
    ];
    let script = r#"
import sys, libtorrent as lt
data = sys.stdin.buffer.read().split(b"\n--SPLIT--\n")
for d in data:
    v = lt.bdecode(d)
    assert isinstance(v, dict) and v, d
    assert lt.bencode(v) == d, d
    if b"peers" in v:
        assert v[b"interval"] == 1800 and v[b"complete"] == 1 and v[b"incomplete"] == 2, v
    print(sorted(k.decode() for k in v))
"#;
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&samples.join(&b"\n--SPLIT--\n"[..])).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "libtorrent bdecode failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.lines().count(), 5, "{stdout}");
    assert!(stdout.lines().next().unwrap().contains("'peers6'"), "{stdout}");
    assert!(stdout.lines().last().unwrap().contains("failure reason"), "{stdout}");
}
