//! A forced recheck hashes every piece again: a resume record whose file stamps still match
//! (what lets an ordinary start skip hashing) is not trusted by it.

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
