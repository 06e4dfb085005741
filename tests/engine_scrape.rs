//! Scrapes (BEP 48) from the engine against real trackers: our bttrack over HTTP, opentracker
//! over UDP (BEP 15), bttrack behind TLS (socat); a tracker whose announce replies leave the
//! counts out is scraped without being asked; and the failures name their reason.

#[allow(dead_code)]
mod common;

use bitgocho::session::event::SessionEvent;
use bitgocho::session::status::TorrentStatus;
use bitgocho::session::{AddParams, Session, SessionSettings, TorrentHandle};
use common::bttrack::Bttrack;
use common::opentracker::OpenTracker;
use common::tls_front::{tls_data, TlsFront};
use common::{
    data_file, events_of, loopback_session, loopback_settings, mktorrent, wait_complete, wait_for, wait_status,
};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// Seeds a small file announced to `announce` in `session`; returns the torrent once it seeds
/// and the tracker answered its first announce.
fn seed(session: &Session, dir: &Path, announce: &str) -> TorrentHandle {
    data_file(&dir.join("seed/file.bin"), 200_000, 21);
    let (_, meta) = mktorrent(&dir.join("seed/file.bin"), &dir.join("t.torrent"), 15, Some(announce));
    let t = session.add_torrent(AddParams::new(meta, dir.join("seed"))).unwrap();
    wait_complete(&t, WAIT);
    t
}

/// The first scrape event of `t` (a reply or a failure), waiting for it.
fn scrape_event(session: &Session, t: &TorrentHandle) -> SessionEvent {
    let mut found = None;
    wait_for("a scrape event", WAIT, || {
        found = events_of(session, t.id())
            .into_iter()
            .find(|e| matches!(e, SessionEvent::ScrapeReply { .. } | SessionEvent::ScrapeFailed { .. }));
        found.is_some()
    });
    found.unwrap()
}

/// Asks for a scrape once the tracker has the seeder (its announce counted) and checks the
/// reply: one seed, no leecher, and the status carrying the same counts.
fn scrape_sees_one_seed(session: &Session, t: &TorrentHandle, announce: &str) -> TorrentStatus {
    wait_for("the first announce reply", WAIT, || t.status().tracker_swarm.is_some());
    t.scrape().unwrap();
    match scrape_event(session, t) {
        SessionEvent::ScrapeReply { url, complete, incomplete, .. } => {
            assert_eq!(url, announce);
            assert_eq!((complete, incomplete), (1, 0));
        }
        other => panic!("expected a scrape reply, got {other:?}"),
    }
    // The status snapshot follows within a refresh.
    wait_status(t, "the scrape's counts in the status", WAIT, |st| {
        st.tracker_swarm == Some((1, 0)) && st.tracker_downloaded.is_some()
    })
}

#[test]
fn scrapes_bttrack_over_http_running_or_paused() {
    let dir = tempfile::tempdir().unwrap();
    let tracker = Bttrack::start(&dir.path().join("dstate"));
    let session = loopback_session();
    let t = seed(&session, dir.path(), &tracker.url());
    scrape_sees_one_seed(&session, &t, &tracker.url());
    // Paused, it told the tracker `stopped`: a scrape still answers, now without it.
    t.pause().unwrap();
    wait_for("the stopped announce", WAIT, || tracker.registered(&t.info_hash()) == 0);
    t.scrape().unwrap();
    match scrape_event(&session, &t) {
        SessionEvent::ScrapeReply { complete: 0, incomplete: 0, .. } => {}
        other => panic!("expected an empty swarm, got {other:?}"),
    }
}

#[test]
fn scrapes_opentracker_over_udp() {
    let dir = tempfile::tempdir().unwrap();
    data_file(&dir.path().join("seed/file.bin"), 200_000, 21);
    let (_, probe) = mktorrent(&dir.path().join("seed/file.bin"), &dir.path().join("probe.torrent"), 15, Some("x"));
    let mut hash = probe.info_hash_v1().unwrap();
    // The announce URL is part of the metainfo but not of the info dictionary: same hash.
    let tracker = OpenTracker::start(dir.path(), &[hash]);
    let announce = format!("udp://{}/announce", tracker.addr);
    let session = loopback_session();
    let t = seed(&session, dir.path(), &announce);
    hash.copy_from_slice(&t.info_hash());
    assert_eq!(hash, probe.info_hash_v1().unwrap());
    scrape_sees_one_seed(&session, &t, &announce);
}

#[test]
fn scrapes_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let tracker = Bttrack::start(&dir.path().join("dstate"));
    let front = TlsFront::start(tracker.addr());
    let announce = front.url("/announce");
    let settings = SessionSettings { tls_ca_file: Some(tls_data("ca.pem")), ..loopback_settings() };
    let session = Session::new(settings).unwrap();
    let t = seed(&session, dir.path(), &announce);
    scrape_sees_one_seed(&session, &t, &announce);
}

/// A tracker that answers announces without `complete`/`incomplete` and scrapes with counts.
fn countless_tracker() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for sock in listener.incoming().take(20) {
            let Ok(mut sock) = sock else { continue };
            sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && sock.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
                head.push(byte[0]);
            }
            let request = String::from_utf8_lossy(&head).into_owned();
            let body: Vec<u8> = if request.starts_with("GET /scrape?info_hash=") {
                let counts = b"d8:completei5e10:downloadedi7e10:incompletei6ee";
                [&b"d5:filesd20:"[..], &hash_of(&request), counts, b"ee"].concat()
            } else {
                b"d8:intervali1800e5:peers0:e".to_vec()
            };
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = sock.write_all(&[head.as_bytes(), &body].concat());
        }
    });
    format!("{base}/announce")
}

/// The 20 bytes of the `info_hash` parameter of a request line.
fn hash_of(request: &str) -> [u8; 20] {
    let value = request.split("info_hash=").nth(1).unwrap().split([' ', '&']).next().unwrap();
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out.try_into().unwrap()
}

#[test]
fn a_reply_without_counts_is_followed_by_a_scrape() {
    let dir = tempfile::tempdir().unwrap();
    let announce = countless_tracker();
    let session = loopback_session();
    let t = seed(&session, dir.path(), &announce);
    match scrape_event(&session, &t) {
        SessionEvent::ScrapeReply { complete: 5, incomplete: 6, downloaded: 7, .. } => {}
        other => panic!("expected the tracker's counts, got {other:?}"),
    }
    wait_status(&t, "the scrape's counts in the status", WAIT, |st| {
        (st.tracker_swarm, st.tracker_downloaded) == (Some((5, 6)), Some(7))
    });
}

#[test]
fn failures_name_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let session = loopback_session();
    // No announce path BEP 48 can turn into a scrape path.
    let tracker = Bttrack::start(&dir.path().join("dstate"));
    let odd = format!("http://{}/tracker.php", tracker.addr());
    let t = seed(&session, &dir.path().join("a"), &odd);
    t.scrape().unwrap();
    match scrape_event(&session, &t) {
        SessionEvent::ScrapeFailed { url, message, .. } => {
            assert_eq!(url, odd);
            assert!(message.contains("BEP 48"), "{message}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    // No tracker at all.
    let data = dir.path().join("b/seed/file.bin");
    data_file(&data, 100_000, 22);
    let (_, meta) = mktorrent(&data, &dir.path().join("b.torrent"), 15, None);
    let lone = session.add_torrent(AddParams::new(Arc::clone(&meta), dir.path().join("b/seed"))).unwrap();
    lone.scrape().unwrap();
    match scrape_event(&session, &lone) {
        SessionEvent::ScrapeFailed { url, message, .. } => assert!(url.is_empty() && message.contains("no tracker")),
        other => panic!("expected a failure, got {other:?}"),
    }
}
