//! A forced recheck hashes every piece again: a resume record whose file stamps still match
//! (what lets an ordinary start skip hashing) is not trusted by it. A v2-only torrent's pieces are
//! checked against its merkle roots, and one that cannot be checked is refused.

use bitgocho::session::event::SessionEvent;
use bitgocho::session::status::TorrentState;
use bitgocho::session::{AddParams, Session, SessionSettings};
use std::time::{Duration, Instant};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

#[test]
fn a_forced_recheck_ignores_a_trusted_resume_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let path = data.join("file.bin");
    common::data_file(&path, 2_000_000, 5);
    let meta = common::mktorrent(&path, &dir.path().join("f.torrent"), 15, None).1;
    let settings = || SessionSettings { resume_dir: Some(dir.path().join("resume")), ..common::loopback_settings() };
    let s = Session::new(settings()).unwrap();
    let t = s.add_torrent(AddParams::new(meta.clone(), &data)).unwrap();
    common::wait_status(&t, "the first check", Duration::from_secs(20), common::seeding);
    s.shutdown();

    // One piece spoiled, size and mtime kept: the record is still trusted at the next start.
    common::spoil_keeping_mtime(&path, 100);
    let s = Session::new(settings()).unwrap();
    let t = s.add_torrent(AddParams::new(meta, &data)).unwrap();
    let st = common::wait_status(&t, "the start", Duration::from_secs(20), |st| st.state != TorrentState::Checking);
    assert_eq!(st.pieces_have, st.pieces_total, "the record was trusted at the start");

    common::events_of(&s, t.id());
    t.force_recheck().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let found = loop {
        assert!(Instant::now() < deadline, "no Checked event after the recheck");
        s.wait_event(Duration::from_millis(100));
        let checked = common::events_of(&s, t.id()).into_iter().find_map(|e| match e {
            SessionEvent::Checked { pieces, .. } => Some(pieces),
            _ => None,
        });
        if let Some(pieces) = checked {
            break pieces;
        }
    };
    assert_eq!(found, st.pieces_total - 1, "the recheck hashed every piece and found the spoiled one");
    s.shutdown();
}

/// A v2-only torrent (BEP 52) is checked piece by piece against its merkle roots: files of odd
/// sizes (whose last piece is followed by padding that is not hashed) all verify, and one byte
/// spoiled in the middle of a file fails exactly its piece.
#[test]
fn a_v2_only_torrent_checks_each_piece_against_its_merkle_root() {
    use bitgocho::metainfo::create::{create, CreateOptions, TorrentVersion};
    use bitgocho::metainfo::hasher::Progress;
    use bitgocho::metainfo::Metainfo;

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data/set");
    common::data_file(&root.join("a.bin"), 5 * 32768 + 1000, 1);
    common::data_file(&root.join("b.bin"), 700, 2);
    common::data_file(&root.join("c.bin"), 3 * 16384 + 1, 3);
    let opts = CreateOptions {
        piece_size_pow2: 15,
        version: TorrentVersion::V2,
        ..CreateOptions::new(&root, "http://127.0.0.1:1/announce")
    };
    let meta = std::sync::Arc::new(Metainfo::from_bytes(&create(&opts, &Progress::new()).unwrap()).unwrap());
    assert!(meta.info_hash_v1().is_none());
    let data = dir.path().join("data");
    let checked = |meta: &std::sync::Arc<Metainfo>| {
        let s = Session::new(common::loopback_settings()).unwrap();
        let t = s.add_torrent(AddParams::new(meta.clone(), &data)).unwrap();
        let st = common::wait_status(&t, "the check", Duration::from_secs(20), |st| st.state != TorrentState::Checking);
        s.shutdown();
        (st.pieces_have, st.pieces_total)
    };
    assert_eq!(checked(&meta), (9, 9), "6 + 1 + 2 pieces, all good");
    common::spoil_keeping_mtime(&root.join("a.bin"), 3 * 32768 + 5);
    assert_eq!(checked(&meta), (8, 9), "the spoiled piece alone fails");
}
