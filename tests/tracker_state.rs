//! The tracker's state file: periodic and on-demand atomic saves, a restart that brings every
//! torrent's counts back at once, and corrupt or truncated files set aside with one warning.

use bitgocho::tracker::{Tracker, TrackerConfig};
use std::net::SocketAddr;
use std::path::Path;

const NOW: u64 = 1_700_000_000;

fn config(dfile: &Path, extra: &[(&str, &str)]) -> TrackerConfig {
    let mut c = TrackerConfig::default();
    c.set("nat_check", "0").unwrap();
    c.set("dfile", dfile.to_str().unwrap()).unwrap();
    for (k, v) in extra {
        c.set(k, v).unwrap();
    }
    c
}

fn pct(b: &[u8]) -> String {
    b.iter().map(|x| format!("%{x:02x}")).collect()
}

fn announce(t: &Tracker, ih: u8, id: u8, left: u64, event: &str) -> u16 {
    let target = format!(
        "/announce?info_hash={}&peer_id={}&port=6881&uploaded=0&downloaded=0&left={left}&compact=1&event={event}&key=k{id}",
        pct(&[ih; 20]),
        pct(&[id; 20])
    );
    let from: SocketAddr = format!("10.0.{ih}.{id}:1").parse().unwrap();
    t.handle_http_at(target.as_bytes(), from, &[], NOW).status
}

fn scrape_counts(t: &Tracker, ih: u8) -> (i64, i64, i64) {
    let r = t.handle_http_at(
        format!("/scrape?info_hash={}", pct(&[ih; 20])).as_bytes(),
        "10.0.0.1:1".parse().unwrap(),
        &[],
        NOW,
    );
    let v = bitgocho::bencode::decode(&r.body, bitgocho::bencode::Limits::strict()).unwrap();
    let files = v.as_dict().unwrap().get_dict(b"files").unwrap().clone();
    let f = files.get_dict(&[ih; 20]).expect("torrent present").clone();
    (f.get_int(b"complete").unwrap(), f.get_int(b"incomplete").unwrap(), f.get_int(b"downloaded").unwrap())
}

#[test]
fn restart_brings_counts_back() {
    let dir = tempfile::tempdir().unwrap();
    let dfile = dir.path().join("dstate");
    let t = Tracker::new(config(&dfile, &[])).unwrap();
    for ih in 1..=3u8 {
        for id in 1..=4u8 {
            let left = if id <= ih { 0 } else { 9 };
            assert_eq!(announce(&t, ih, id, left, if left == 0 { "completed" } else { "started" }), 200);
        }
    }
    let before: Vec<_> = (1..=3).map(|ih| scrape_counts(&t, ih)).collect();
    assert_eq!(before[0], (1, 3, 1));
    t.save_state(&dfile).unwrap();
    drop(t);

    let t = Tracker::new(config(&dfile, &[])).unwrap();
    assert!(t.take_warnings().is_empty());
    let after: Vec<_> = (1..=3).map(|ih| scrape_counts(&t, ih)).collect();
    assert_eq!(before, after);
    assert_eq!((t.stats().torrents, t.stats().seeds, t.stats().leechers), (3, 6, 6));
    // Restored peers are handed out again, and their keys still authenticate updates.
    let r = t.handle_http_at(
        format!(
            "/announce?info_hash={}&peer_id={}&port=1&uploaded=0&downloaded=0&left=5&compact=1",
            pct(&[1; 20]),
            pct(&[9; 20])
        )
        .as_bytes(),
        "10.0.1.9:1".parse().unwrap(),
        &[],
        NOW,
    );
    let v = bitgocho::bencode::decode(&r.body, bitgocho::bencode::Limits::strict()).unwrap();
    assert_eq!(v.as_dict().unwrap().get_bytes(b"peers").unwrap().len(), 4 * 6);
    // Restored peers expire at the first sweep unless they announce again.
    t.maintain(NOW);
    t.maintain(NOW + 2700);
    assert_eq!(t.stats().seeds + t.stats().leechers, 1, "only the peer that announced after the restart");
}

#[test]
fn maintain_saves_periodically_and_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let dfile = dir.path().join("dstate");
    let t = Tracker::new(config(&dfile, &[("save_dfile_interval", "300")])).unwrap();
    announce(&t, 1, 1, 0, "completed");
    t.maintain(NOW);
    assert!(!dfile.exists(), "first call only starts the clock");
    t.maintain(NOW + 299);
    assert!(!dfile.exists());
    t.maintain(NOW + 300);
    assert!(dfile.exists());
    assert_eq!(t.stats().saves, 1);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    let t2 = Tracker::new(config(&dfile, &[])).unwrap();
    assert_eq!(scrape_counts(&t2, 1), (1, 0, 1));
}

#[test]
fn corrupt_or_truncated_file_is_set_aside_with_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let dfile = dir.path().join("dstate");
    let t = Tracker::new(config(&dfile, &[])).unwrap();
    announce(&t, 1, 1, 0, "completed");
    t.save_state(&dfile).unwrap();
    let good = std::fs::read(&dfile).unwrap();
    for bad in [good[..good.len() / 2].to_vec(), b"this is not bencode".to_vec(), b"d5:peersi1ee".to_vec()] {
        std::fs::write(&dfile, &bad).unwrap();
        let t = Tracker::new(config(&dfile, &[])).unwrap();
        assert_eq!(t.stats().torrents, 0, "starts empty");
        let warnings = t.take_warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains(dfile.to_str().unwrap()) && warnings[0].contains("corrupt"), "{}", warnings[0]);
        assert!(t.take_warnings().is_empty(), "warned once");
        assert!(!dfile.exists(), "the bad file was moved, not overwritten");
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains("dstate.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(std::fs::read(&aside[0]).unwrap(), bad, "kept byte for byte");
        std::fs::remove_file(&aside[0]).unwrap();
        // The tracker works and its next save writes a fresh file.
        assert_eq!(announce(&t, 2, 2, 0, "started"), 200);
        t.save_state(&dfile).unwrap();
        assert!(bitgocho::bencode::decode(&std::fs::read(&dfile).unwrap(), Default::default()).is_ok());
    }
}

#[test]
fn allowed_dir_state_round_trips_and_banned_peers_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let dfile = dir.path().join("dstate");
    let tdir = dir.path().join("torrents");
    std::fs::create_dir(&tdir).unwrap();
    let info = "d6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:xxxxxxxxxxxxxxxxxxxxe";
    std::fs::write(tdir.join("a.torrent"), format!("d4:info{info}e")).unwrap();
    use sha1::{Digest, Sha1};
    let ih: [u8; 20] = Sha1::digest(info.as_bytes()).into();
    let allowed_dir = tdir.to_str().unwrap();
    let t = Tracker::new(config(&dfile, &[("allowed_dir", allowed_dir)])).unwrap();
    for (id, ip) in [(1u8, "10.0.0.1:1"), (2, "10.6.6.6:1")] {
        let target = format!(
            "/announce?info_hash={}&peer_id={}&port=1&uploaded=0&downloaded=0&left=0&compact=1&event=completed",
            pct(&ih),
            pct(&[id; 20])
        );
        assert_eq!(t.handle_http_at(target.as_bytes(), ip.parse().unwrap(), &[], NOW).reason, "OK");
    }
    t.save_state(&dfile).unwrap();
    let text = std::fs::read(&dfile).unwrap();
    for key in ["7:allowed", "17:allowed_dir_files", "9:completed", "5:peers", "8:numfiles", "4:name1:a"] {
        assert!(text.windows(key.len()).any(|w| w == key.as_bytes()), "{key}");
    }
    let banned = dir.path().join("banned");
    std::fs::write(&banned, "x:10.6.6.0-10.6.6.255\n").unwrap();
    let t = Tracker::new(config(&dfile, &[("allowed_dir", allowed_dir), ("banned_ips", banned.to_str().unwrap())]))
        .unwrap();
    assert_eq!((t.stats().torrents, t.stats().seeds), (1, 1), "the banned peer was not restored");
}

#[test]
fn a_tampered_state_file_cannot_make_file_serve_outside_allowed_dir() {
    let dir = tempfile::tempdir().unwrap();
    let tdir = dir.path().join("torrents");
    std::fs::create_dir(&tdir).unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, b"top secret").unwrap();
    let dfile = dir.path().join("dstate");
    let t = Tracker::new(config(&dfile, &[("allowed_dir", tdir.to_str().unwrap()), ("allow_get", "1")])).unwrap();
    let ih = [0x42u8; 20];
    let path = secret.to_str().unwrap();
    let state = format!(
        "d7:allowedd20:{}d4:file5:x.txt6:lengthi1e4:name1:x8:numfilesi1e4:path{}:{path}4:type6:singleee5:peersdee",
        String::from_utf8(ih.to_vec()).unwrap(),
        path.len()
    );
    std::fs::write(&dfile, state).unwrap();
    assert!(t.load_state(&dfile), "{:?}", t.take_warnings());
    assert_eq!(announce_hash(&t, &ih), "OK", "the tampered entry was restored");
    let r =
        t.handle_http_at(format!("/file?info_hash={}", pct(&ih)).as_bytes(), "10.0.0.1:1".parse().unwrap(), &[], NOW);
    assert_eq!(r.status, 404);
    assert!(!r.body.windows(10).any(|w| w == b"top secret"));
}

fn announce_hash(t: &Tracker, ih: &[u8; 20]) -> &'static str {
    let target = format!(
        "/announce?info_hash={}&peer_id={}&port=1&uploaded=0&downloaded=0&left=0&compact=1",
        pct(ih),
        pct(&[1; 20])
    );
    t.handle_http_at(target.as_bytes(), "10.0.0.1:1".parse().unwrap(), &[], NOW).reason
}

/// The `left` of every peer in a state file, by (info-hash byte, peer-id byte).
fn saved_lefts(dfile: &Path) -> Vec<((u8, u8), i64)> {
    let bytes = std::fs::read(dfile).unwrap();
    let v = bitgocho::bencode::decode(&bytes, bitgocho::bencode::Limits::default()).unwrap();
    let peers = v.as_dict().unwrap().get_dict(b"peers").unwrap().clone();
    let mut out = Vec::new();
    for (h, list) in peers.entries() {
        for (id, p) in list.as_dict().unwrap().entries() {
            out.push(((h[0], id[0]), p.as_dict().unwrap().get_int(b"left").unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn the_real_amount_left_survives_two_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let dfile = dir.path().join("dstate");
    let t = Tracker::new(config(&dfile, &[])).unwrap();
    let lefts = [(1u8, 0u64), (2, 1), (3, 123_456_789_012), (4, 5_000)];
    for (id, left) in lefts {
        assert_eq!(announce(&t, 7, id, left, "started"), 200);
    }
    t.save_state(&dfile).unwrap();
    let expected: Vec<_> = lefts.iter().map(|&(id, l)| ((7u8, id), l as i64)).collect();
    assert_eq!(saved_lefts(&dfile), expected);
    drop(t);
    // Restart, save again without any announce: the restored peers keep their real `left`.
    let t = Tracker::new(config(&dfile, &[])).unwrap();
    assert_eq!(scrape_counts(&t, 7), (1, 3, 0));
    let again = dir.path().join("dstate2");
    t.save_state(&again).unwrap();
    assert_eq!(saved_lefts(&again), expected);
    drop(t);
    let t = Tracker::new(config(&again, &[])).unwrap();
    assert_eq!(scrape_counts(&t, 7), (1, 3, 0));
    // A peer that changed its amount left is saved with the new one.
    assert_eq!(announce(&t, 7, 3, 42, "none"), 400, "event=none is not a BitTornado event");
    assert_eq!(announce(&t, 7, 3, 42, ""), 200);
    t.save_state(&again).unwrap();
    assert!(saved_lefts(&again).contains(&((7, 3), 42)));
}
