//! Moving a running torrent's files (`TorrentHandle::move_storage`): a leecher moved in the
//! middle of its download to another file system, a seeder moved on the same one, and a move
//! refused because a file is in the way. Every wait is bounded.

use bitgocho::metainfo::Metainfo;
use bitgocho::session::event::SessionEvent;
use bitgocho::session::status::TorrentState;
use bitgocho::session::{AddParams, Session, TorrentHandle};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

const WAIT: Duration = Duration::from_secs(30);

/// A multi-file torrent `pair` (a file and one in a subdirectory) under `dir/data`.
fn pair_torrent(dir: &Path) -> Arc<Metainfo> {
    let data = dir.join("data/pair");
    common::data_file(&data.join("a.bin"), 1_500_000, 31);
    common::data_file(&data.join("sub/b.bin"), 1_700_000, 32);
    common::mktorrent(&data, &dir.join("pair.torrent"), 15, Some("http://127.0.0.1:9/announce")).1
}

/// A session seeding [`pair_torrent`] from `dir/data`.
fn seeding_pair(dir: &Path) -> (Arc<Metainfo>, Session, TorrentHandle) {
    let meta = pair_torrent(dir);
    let seeder = common::loopback_session();
    let s = seeder.add_torrent(AddParams::new(meta.clone(), dir.join("data"))).unwrap();
    common::wait_status(&s, "seed", WAIT, common::seeding);
    (meta, seeder, s)
}

/// The outcome of the move of torrent `id`: the new path, or the failure message.
fn move_outcome(session: &Session, id: u32) -> Result<String, String> {
    let moved =
        |e: &SessionEvent| matches!(e, SessionEvent::StorageMoved { .. } | SessionEvent::StorageMoveFailed { .. });
    let events = common::events_until(WAIT, session, id, moved);
    match events.into_iter().find(moved) {
        Some(SessionEvent::StorageMoved { path, .. }) => Ok(path),
        Some(SessionEvent::StorageMoveFailed { message, .. }) => Err(message),
        _ => unreachable!("events_until returned without the event"),
    }
}

/// A new leecher in its own session downloads `meta` from `seeder` into `out`, completely.
fn leech_from(seeder: &Session, meta: &Arc<Metainfo>, out: &Path) -> (Session, TorrentHandle) {
    let session = common::loopback_session();
    let mut p = AddParams::new(meta.clone(), out);
    p.peers.push(common::session_addr(seeder));
    let t = session.add_torrent(p).unwrap();
    common::wait_complete(&t, WAIT);
    (session, t)
}

#[test]
fn a_leecher_moves_to_another_file_system_in_the_middle_of_its_download() {
    let dir = tempfile::tempdir().unwrap();
    let shm = tempfile::tempdir_in("/dev/shm").expect("a tmpfs at /dev/shm");
    let dev = |p: &Path| std::fs::metadata(p).unwrap().dev();
    assert_ne!(dev(dir.path()), dev(shm.path()), "/dev/shm must be another file system for this test");
    let (meta, seeder, _seed) = seeding_pair(dir.path());
    let leecher = common::loopback_session();
    let mut p = AddParams::new(meta.clone(), dir.path().join("out"));
    p.peers.push(common::session_addr(&seeder));
    p.max_download_rate = 1_000_000;
    let l = leecher.add_torrent(p).unwrap();
    let before = common::wait_status(&l, "a third", WAIT, |st| st.total_done > 1_000_000);
    assert!(before.pieces_have < before.pieces_total, "still downloading when the move starts");
    let to = shm.path().join("moved");
    l.move_storage(&to).unwrap();
    assert_eq!(move_outcome(&leecher, l.id()), Ok(to.display().to_string()));
    assert!(!dir.path().join("out/pair").exists(), "the old top directory is gone");
    assert!(dir.path().join("out").exists(), "the save directory itself stays");
    let st = common::wait_complete(&l, WAIT);
    assert_eq!(st.save_path, to.display().to_string());
    common::assert_same_files(&meta, &dir.path().join("data"), &to);
    assert!(!dir.path().join("out/pair").exists(), "nothing written at the old place after the move");
}

#[test]
fn a_seeder_moves_and_serves_from_its_new_place() {
    let dir = tempfile::tempdir().unwrap();
    let (meta, seeder, s) = seeding_pair(dir.path());
    let to = dir.path().join("elsewhere");
    s.move_storage(&to).unwrap();
    assert_eq!(move_outcome(&seeder, s.id()), Ok(to.display().to_string()));
    assert!(!dir.path().join("data/pair").exists());
    let st = common::wait_status(&s, "seeding again", WAIT, common::seeding);
    assert_eq!(st.save_path, to.display().to_string());
    let (_leecher, _) = leech_from(&seeder, &meta, &dir.path().join("out"));
    common::assert_same_files(&meta, &to, &dir.path().join("out"));
}

#[test]
fn a_move_onto_an_existing_file_fails_and_leaves_everything_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let (meta, seeder, s) = seeding_pair(dir.path());
    let to = dir.path().join("taken");
    std::fs::create_dir_all(to.join("pair/sub")).unwrap();
    std::fs::write(to.join("pair/sub/b.bin"), b"someone else's").unwrap();
    s.move_storage(&to).unwrap();
    let err = move_outcome(&seeder, s.id()).unwrap_err();
    assert!(err.contains("sub/b.bin"), "the message names the file: {err}");
    assert_eq!(std::fs::read(to.join("pair/sub/b.bin")).unwrap(), b"someone else's");
    assert!(!to.join("pair/a.bin").exists(), "the file moved first went back");
    let st = common::wait_status(&s, "seeding again", WAIT, common::seeding);
    assert_eq!(st.save_path, dir.path().join("data").display().to_string());
    assert_ne!(st.state, TorrentState::Error);
    let (_leecher, _) = leech_from(&seeder, &meta, &dir.path().join("out"));
    common::assert_same_files(&meta, &dir.path().join("data"), &dir.path().join("out"));
}
