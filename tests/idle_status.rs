//! Status snapshots of idle torrents are published when something changes, not on a timer: a
//! seeding torrent with no peers still shows a pause, a resume and the departure of
//! its last peer promptly. A torrent added paused shows its check while it runs.

use bitgocho::metainfo::Metainfo;
use bitgocho::session::status::TorrentState;
use bitgocho::session::{AddParams, Session, SessionSettings};
use common::seeding;
use sha1::{Digest, Sha1};
use std::sync::Arc;
use std::time::Duration;

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

#[test]
fn idle_torrent_status_follows_commands_and_peers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::data_file(&data.join("f.bin"), 400_000, 31);
    let (_, meta) = common::mktorrent(&data.join("f.bin"), &dir.path().join("f.torrent"), 15, None);
    let seeder = common::loopback_session();
    let s = seeder.add_torrent(AddParams::new(meta.clone(), &data)).unwrap();
    common::wait_status(&s, "check", Duration::from_secs(20), seeding);
    // Idle now (no peers, no tracker): commands still show at once.
    std::thread::sleep(Duration::from_millis(300));
    s.pause().unwrap();
    common::wait_status(&s, "paused", Duration::from_secs(2), |st| st.state == TorrentState::Paused);
    s.resume().unwrap();
    common::wait_status(&s, "resumed", Duration::from_secs(2), seeding);

    // A leecher comes and goes: the peer count follows both ways.
    let leecher = common::loopback_session();
    let mut p = AddParams::new(meta, dir.path().join("out"));
    p.peers.push(common::session_addr(&seeder));
    let l = leecher.add_torrent(p).unwrap();
    common::wait_status(&l, "download", Duration::from_secs(30), seeding);
    leecher.shutdown();
    // Both at once: a snapshot taken after the upload, published after the peer left (a stale
    // one from before the leecher came also shows no peers).
    common::wait_status(&s, "upload counted and peer gone", Duration::from_secs(3), |st| {
        st.uploaded >= 400_000 && st.peers == 0
    });
}

/// A torrent of one 1 GiB file of zeros (1 MiB pieces), and that file, sparse, under `dir`.
fn zeros(dir: &std::path::Path) -> Arc<Metainfo> {
    const PIECE: usize = 1 << 20;
    const PIECES: usize = 1024;
    let f = std::fs::File::create(dir.join("zeros.bin")).unwrap();
    f.set_len((PIECE * PIECES) as u64).unwrap();
    let hash = Sha1::digest(vec![0u8; PIECE]);
    let mut bytes = format!(
        "d4:infod6:lengthi{}e4:name9:zeros.bin12:piece lengthi{PIECE}e6:pieces{}:",
        PIECE * PIECES,
        20 * PIECES
    )
    .into_bytes();
    (0..PIECES).for_each(|_| bytes.extend_from_slice(&hash));
    bytes.extend_from_slice(b"ee");
    Arc::new(Metainfo::from_bytes(&bytes).unwrap())
}

#[test]
fn a_torrent_added_paused_shows_its_check_then_paused() {
    let dir = tempfile::tempdir().unwrap();
    let meta = zeros(dir.path());
    let session = Session::new(SessionSettings { hash_threads: 1, ..common::loopback_settings() }).unwrap();
    let mut p = AddParams::new(meta, dir.path());
    p.paused = true;
    let t = session.add_torrent(p).unwrap();
    // The check goes on while paused, and shows as a check part way through (about 0.6 s of
    // hashing on one thread; snapshots come every 0.25 s while checking).
    let mid = common::wait_status(&t, "the check part way", Duration::from_secs(60), |st| {
        st.progress > 0.0 || st.state != TorrentState::Checking
    });
    assert_eq!(mid.state, TorrentState::Checking, "{mid:?}");
    assert!(mid.progress < 1.0, "the check was seen part way: {mid:?}");
    let done = common::wait_status(&t, "paused", Duration::from_secs(60), |st| st.state != TorrentState::Checking);
    assert_eq!((done.state, done.pieces_have), (TorrentState::Paused, done.pieces_total));
}
