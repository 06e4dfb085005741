//! Torrents added from magnet links (BEP 9, the fetching side): the info dictionary comes from
//! peers named by hand, in the link (`x.pe`) or by a tracker (`tr`), is checked against the
//! info-hash, and the torrent then downloads like any other. A peer sending a wrong dictionary
//! is banned and the fetch goes on with others. libtorrent serving the metadata is in
//! engine_interop.rs; btdownloadheadless given a link is in btdownloadheadless.rs.

use bitgocho::metainfo::magnet::MagnetLink;
use bitgocho::metainfo::Metainfo;
use bitgocho::session::event::SessionEvent;
use bitgocho::session::status::TorrentState;
use bitgocho::session::{AddParams, Priority, Session, SessionSettings, TorrentHandle};
use bitgocho::wire::metadata::METADATA_PIECE;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

const LIMIT: Duration = Duration::from_secs(60);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A multi-file torrent whose info dictionary spans several metadata pieces, seeded by a new
/// session under `tmp/seed`; returns the seeding session and the metainfo.
fn seeder(tmp: &Path, announce: Option<&str>) -> (Session, Arc<Metainfo>) {
    let dir = tmp.join("seed/many");
    for i in 0..800 {
        common::write_data(&dir.join(format!("a-rather-long-file-name-number-{i:04}.bin")), 2000 + i * 3, i as u64);
    }
    let (_, meta) = common::mktorrent(&dir, &tmp.join("t.torrent"), 15, announce);
    assert!(meta.info_bytes().len() > 2 * METADATA_PIECE, "the dictionary spans several pieces");
    let session = common::loopback_session();
    let handle = session.add_torrent(AddParams::new(meta.clone(), tmp.join("seed"))).unwrap();
    common::wait_complete(&handle, LIMIT);
    (session, meta)
}

fn position(events: &[SessionEvent], pick: impl Fn(&SessionEvent) -> bool) -> usize {
    events.iter().position(pick).unwrap_or_else(|| panic!("event missing from {events:?}"))
}

fn wait_metadata_state(h: &TorrentHandle) {
    let st = h.status();
    assert_eq!(st.state, TorrentState::Metadata, "{st:?}");
}

#[test]
fn a_magnet_link_downloads_from_our_seeder_named_in_the_link() {
    let tmp = tempfile::tempdir().unwrap();
    let (seed, meta) = seeder(tmp.path(), None);
    let hash = meta.info_hash_v1().unwrap();
    let link = format!("magnet:?xt=urn:btih:{}&dn=many&x.pe={}", hex(&hash), common::session_addr(&seed));
    let leech = common::loopback_session();
    let h = leech.add_torrent(AddParams::magnet(MagnetLink::parse(&link).unwrap(), tmp.path().join("got"))).unwrap();
    assert_eq!(h.info_hash(), hash);
    let st = common::wait_complete(&h, LIMIT);
    assert_eq!((st.name.as_str(), st.total_size), ("many", meta.total_length()));
    common::assert_same_files(&meta, &tmp.path().join("seed"), &tmp.path().join("got"));
    let events = common::events_until(LIMIT, &leech, h.id(), |e| matches!(e, SessionEvent::Finished { .. }));
    let added = position(&events, |e| matches!(e, SessionEvent::Added { .. }));
    let metadata = position(&events, |e| matches!(e, SessionEvent::MetadataReceived { .. }));
    let finished = position(&events, |e| matches!(e, SessionEvent::Finished { .. }));
    assert!(added < metadata && metadata < finished, "{events:?}");
    // The fetched metainfo is the seeder's info dictionary, saved as a .torrent that parses.
    let fetched = h.metainfo().expect("metainfo once the metadata is in");
    assert_eq!(fetched.info_bytes(), meta.info_bytes());
    let saved = Metainfo::from_bytes(fetched.as_bytes()).unwrap();
    assert_eq!(saved.info_hash_v1(), Some(hash));
    let waiting = leech.add_torrent(AddParams::magnet(
        MagnetLink::parse(&format!("magnet:?xt=urn:btih:{}", "7".repeat(40))).unwrap(),
        tmp.path().join("never"),
    ));
    assert!(waiting.unwrap().metainfo().is_none(), "no metainfo before the metadata");
}

#[test]
fn a_magnet_link_waits_for_peers_and_keeps_the_commands_that_need_the_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let (seed, meta) = seeder(tmp.path(), None);
    let hash = meta.info_hash_v1().unwrap();
    let leech = common::loopback_session();
    let link = MagnetLink::parse(&format!("magnet:?xt=urn:btih:{}", hex(&hash))).unwrap();
    let h = leech.add_torrent(AddParams::magnet(link, tmp.path().join("got"))).unwrap();
    // No peer yet: the torrent waits for its metadata, named by its info-hash.
    std::thread::sleep(Duration::from_millis(300));
    wait_metadata_state(&h);
    let st = h.status();
    assert_eq!((st.name, st.peers, st.pieces_total), (hex(&hash), 0, 0));
    // Skip every file but the first: applied once the metadata is in.
    let mut prios = vec![Priority::Skip; meta.files().len()];
    prios[0] = Priority::Normal;
    h.set_file_priorities(prios).unwrap();
    h.connect_peer(common::session_addr(&seed)).unwrap();
    let events = common::events_until(LIMIT, &leech, h.id(), |e| matches!(e, SessionEvent::Finished { .. }));
    position(&events, |e| matches!(e, SessionEvent::MetadataReceived { .. }));
    let first = meta.file_path(0).unwrap();
    let got = std::fs::read(tmp.path().join("got").join(&first)).unwrap();
    assert_eq!(got, std::fs::read(tmp.path().join("seed").join(&first)).unwrap());
    let st = h.status();
    assert!(st.have_bytes < meta.total_length() / 2, "skipped files were downloaded: {} bytes", st.have_bytes);
}

#[test]
fn a_magnet_link_finds_its_seeder_through_the_tracker_in_the_link() {
    let tmp = tempfile::tempdir().unwrap();
    let tracker = common::bttrack::Bttrack::start(&tmp.path().join("dstate"));
    let (_seed, meta) = seeder(tmp.path(), Some(&tracker.url()));
    let hash = meta.info_hash_v1().unwrap();
    common::wait_for("the seeder's announce", LIMIT, || tracker.registered(&hash) >= 1);
    let url: String = tracker.url().bytes().map(|b| format!("%{b:02X}")).collect();
    let link = MagnetLink::parse(&format!("magnet:?xt=urn:btih:{}&tr={url}", hex(&hash))).unwrap();
    let leech = common::loopback_session();
    let h = leech.add_torrent(AddParams::magnet(link, tmp.path().join("got"))).unwrap();
    common::wait_complete(&h, LIMIT);
    common::assert_same_files(&meta, &tmp.path().join("seed"), &tmp.path().join("got"));
    assert_eq!(tracker.registered(&hash), 2, "the magnet torrent announced itself");
}

/// A peer that serves `info` with one byte changed as the dictionary of `hash`.
fn lying_peer(info: Vec<u8>, hash: [u8; 20]) -> SocketAddr {
    let mut bad = info;
    bad[10] ^= 1;
    common::metadata_peer::start(bad, hash, common::metadata_peer::no_hashes)
}

#[test]
fn a_peer_sending_a_wrong_info_dictionary_is_banned_and_the_fetch_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let (seed, meta) = seeder(tmp.path(), None);
    let hash = meta.info_hash_v1().unwrap();
    let liar = lying_peer(meta.info_bytes().to_vec(), hash);
    let leech = common::loopback_session();
    let link = MagnetLink::parse(&format!("magnet:?xt=urn:btih:{}&x.pe={liar}", hex(&hash))).unwrap();
    let h = leech.add_torrent(AddParams::magnet(link, tmp.path().join("got"))).unwrap();
    let events = common::events_until(LIMIT, &leech, h.id(), |e| matches!(e, SessionEvent::PeerBanned { .. }));
    assert!(events.contains(&SessionEvent::PeerBanned { torrent: h.id(), addr: liar }), "{events:?}");
    wait_metadata_state(&h);
    h.connect_peer(common::session_addr(&seed)).unwrap();
    common::wait_complete(&h, LIMIT);
    common::assert_same_files(&meta, &tmp.path().join("seed"), &tmp.path().join("got"));
}

#[test]
fn a_liar_among_honest_peers_does_not_stop_the_fetch() {
    let tmp = tempfile::tempdir().unwrap();
    let (seed, meta) = seeder(tmp.path(), None);
    let hash = meta.info_hash_v1().unwrap();
    let liar = lying_peer(meta.info_bytes().to_vec(), hash);
    let honest = common::session_addr(&seed);
    let leech = common::loopback_session();
    let text = format!("magnet:?xt=urn:btih:{}&x.pe={liar}&x.pe={honest}", hex(&hash));
    let h = leech.add_torrent(AddParams::magnet(MagnetLink::parse(&text).unwrap(), tmp.path().join("got"))).unwrap();
    common::wait_complete(&h, LIMIT);
    common::assert_same_files(&meta, &tmp.path().join("seed"), &tmp.path().join("got"));
    let events = common::events_of(&leech, h.id());
    let banned: Vec<&SessionEvent> = events.iter().filter(|e| matches!(e, SessionEvent::PeerBanned { .. })).collect();
    assert!(banned.iter().all(|e| **e == SessionEvent::PeerBanned { torrent: h.id(), addr: liar }), "{events:?}");
}

#[test]
fn a_magnet_torrent_is_removed_while_it_fetches() {
    let tmp = tempfile::tempdir().unwrap();
    let leech = common::loopback_session();
    let link = MagnetLink::parse(&format!("magnet:?xt=urn:btih:{}&dn=x", "ab".repeat(20))).unwrap();
    let h = leech.add_torrent(AddParams::magnet(link.clone(), tmp.path())).unwrap();
    let again = leech.add_torrent(AddParams::magnet(link.clone(), tmp.path()));
    assert!(again.is_err(), "the same link twice is refused");
    h.pause().unwrap();
    common::wait_status(&h, "paused", LIMIT, |s| s.state == TorrentState::Paused);
    leech.remove_torrent(&h, false).unwrap();
    assert!(!h.is_valid());
    assert!(leech.find_torrent(&link.info_hash).is_none());
    let events = common::events_until(LIMIT, &leech, h.id(), |e| matches!(e, SessionEvent::Removed { .. }));
    assert!(events.contains(&SessionEvent::Removed { torrent: h.id() }), "{events:?}");
}

/// A seeder that does not listen (it can only dial out) connects to a magnet torrent: it gives
/// the metadata, then the data on that same connection, which the torrent takes over. Were the
/// connection closed once the metadata is in, nobody could dial the seeder again.
#[test]
fn the_connection_that_brought_the_metadata_brings_the_data_too() {
    let tmp = tempfile::tempdir().unwrap();
    let (_listening, meta) = seeder(tmp.path(), None);
    let hidden = Session::new(SessionSettings { listen: false, ..common::loopback_settings() }).unwrap();
    let hs = hidden.add_torrent(AddParams::new(meta.clone(), tmp.path().join("seed"))).unwrap();
    common::wait_complete(&hs, LIMIT);
    let leech = common::loopback_session();
    let link = MagnetLink::parse(&format!("magnet:?xt=urn:btih:{}", hex(&meta.info_hash_v1().unwrap()))).unwrap();
    let h = leech.add_torrent(AddParams::magnet(link, tmp.path().join("got"))).unwrap();
    hs.connect_peer(common::session_addr(&leech)).unwrap();
    let st = common::wait_complete(&h, Duration::from_secs(20));
    assert_eq!(st.have_bytes, meta.total_length());
    common::assert_same_files(&meta, &tmp.path().join("seed"), &tmp.path().join("got"));
    let events = common::events_of(&leech, h.id());
    let received = position(&events, |e| matches!(e, SessionEvent::MetadataReceived { .. }));
    let finished = position(&events, |e| matches!(e, SessionEvent::Finished { .. }));
    assert!(received < finished, "{events:?}");
}
