//! Removing a torrent in the middle of a full-speed download from our own seeder over loopback:
//! with its data, nothing is left on disk afterwards, even by pieces that were still being
//! verified at that moment; without it, the resume record written by then counts every verified
//! piece.

use bitgocho::metainfo::Metainfo;
use bitgocho::session::event::SessionEvent;
use bitgocho::session::status::TorrentState;
use bitgocho::session::{AddParams, Session, SessionSettings, TorrentHandle};
use bitgocho::storage::resume::ResumeData;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

/// 48 MiB in 1 MiB pieces: long enough to remove the torrent mid-way at full speed.
const SIZE: usize = 48 << 20;
const PIECE_POW: u32 = 20;

/// A seeding session of a fresh data file.
struct Swarm {
    _seeder: Session,
    meta: Arc<Metainfo>,
    peer: SocketAddr,
    dir: tempfile::TempDir,
}

fn swarm(seed: u64) -> Swarm {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    common::data_file(&src.join("data.bin"), SIZE, seed);
    let meta = common::mktorrent(&src.join("data.bin"), &dir.path().join("data.torrent"), PIECE_POW, None).1;
    let seeder = common::loopback_session();
    let t = seeder.add_torrent(AddParams::new(meta.clone(), &src)).unwrap();
    common::wait_status(&t, "the seeder's check", Duration::from_secs(30), |s| s.state == TorrentState::Seeding);
    let peer = common::session_addr(&seeder);
    Swarm { _seeder: seeder, meta, peer, dir }
}

impl Swarm {
    fn out(&self, run: u32) -> PathBuf {
        self.dir.path().join(format!("out{run}"))
    }

    /// Adds the torrent to `session`, saving under `out(run)`, and returns as soon as a few
    /// pieces were verified (told by events, so at full speed too the download is still going).
    fn add_and_start(&self, session: &Session, run: u32) -> TorrentHandle {
        let mut p = AddParams::new(self.meta.clone(), self.out(run));
        p.peers.push(self.peer);
        let t = session.add_torrent(p).unwrap();
        let (mut pieces, start) = (0, Instant::now());
        while pieces < 3 {
            assert!(start.elapsed() < Duration::from_secs(30), "only {pieces} pieces after 30 s");
            session.wait_event(Duration::from_millis(100));
            let events = common::events_of(session, t.id());
            pieces += events.iter().filter(|e| matches!(e, SessionEvent::PieceFinished { .. })).count();
        }
        t
    }
}

/// A session with a single hashing thread, so verified pieces queue up behind it.
fn leecher(resume_dir: Option<PathBuf>) -> Session {
    Session::new(SessionSettings { resume_dir, hash_threads: 1, ..common::loopback_settings() }).unwrap()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().flat_map(|e| if e.path().is_dir() { files_under(&e.path()) } else { vec![e.path()] }).collect()
}

#[test]
fn removing_with_data_mid_download_leaves_nothing_behind() {
    let s = swarm(41);
    let session = leecher(None);
    for run in 0..3 {
        let t = s.add_and_start(&session, run);
        assert!(t.status().pieces_have < t.status().pieces_total, "removed before the end");
        session.remove_torrent(&t, true).unwrap();
        assert!(files_under(&s.out(run)).is_empty(), "run {run}: files left right after removal");
        // Pieces that were being verified must not put the file back when their write comes due.
        std::thread::sleep(Duration::from_millis(500));
        assert!(files_under(&s.out(run)).is_empty(), "run {run}: files came back: {:?}", files_under(&s.out(run)));
        let events = common::events_of(&session, t.id());
        assert!(matches!(events.last(), Some(SessionEvent::Removed { .. })), "run {run}: {events:?}");
        assert!(
            !events.iter().any(|e| matches!(e, SessionEvent::StorageError { .. })),
            "run {run}: a removal is not a storage error: {events:?}"
        );
    }
    session.shutdown();
}

#[test]
fn removing_with_data_kept_records_every_verified_piece() {
    let s = swarm(42);
    let resume = s.dir.path().join("resume");
    let session = leecher(Some(resume.clone()));
    let t = s.add_and_start(&session, 0);
    session.remove_torrent(&t, false).unwrap();
    let files = files_under(&resume);
    assert_eq!(files.len(), 1, "one record: {files:?}");
    let record = ResumeData::decode(&std::fs::read(&files[0]).unwrap()).unwrap();
    let recorded = record.pieces.iter().map(|b| b.count_ones()).sum::<u32>();
    assert!(recorded >= 3, "the record counts the verified pieces ({recorded})");

    // The same data added again trusts the record, and a full check agrees with it.
    let again = session.add_torrent(AddParams::new(s.meta.clone(), s.out(0))).unwrap();
    let st = common::wait_status(&again, "the check", Duration::from_secs(30), |s| s.state != TorrentState::Checking);
    assert_eq!(st.pieces_have, recorded, "the record is what is on disk");
    let mut p = AddParams::new(s.meta.clone(), s.out(0));
    p.check_hashes = true;
    session.remove_torrent(&again, false).unwrap();
    std::fs::remove_file(&files[0]).unwrap();
    let checked = session.add_torrent(p).unwrap();
    let st =
        common::wait_status(&checked, "the full check", Duration::from_secs(30), |s| s.state != TorrentState::Checking);
    assert_eq!(st.pieces_have, recorded, "a full check finds exactly the recorded pieces");
    session.shutdown();
}

#[test]
fn removing_with_data_deletes_only_the_torrents_files() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["a.bin", "sub/b.bin", "sub/deeper/c.bin"];
    for (i, name) in names.iter().enumerate() {
        common::write_data(&dir.path().join("src/album").join(name), 70_000 + i * 1000, i as u64);
    }
    let meta = common::mktorrent(&dir.path().join("src/album"), &dir.path().join("album.torrent"), 15, None).1;
    let album = dir.path().join("save/album");
    for name in names {
        std::fs::create_dir_all(album.join(name).parent().unwrap()).unwrap();
        std::fs::copy(dir.path().join("src/album").join(name), album.join(name)).unwrap();
    }
    let session = leecher(None);
    let t = session.add_torrent(AddParams::new(meta, dir.path().join("save"))).unwrap();
    common::wait_status(&t, "the check", Duration::from_secs(30), |s| s.state == TorrentState::Seeding);
    // The user's own file in the torrent's directory.
    std::fs::write(album.join("notes.txt"), b"mine").unwrap();
    session.remove_torrent(&t, true).unwrap();
    for name in names {
        assert!(!album.join(name).exists(), "{name} deleted");
    }
    assert!(!album.join("sub").exists(), "the torrent's emptied directories are deleted");
    assert_eq!(std::fs::read(album.join("notes.txt")).unwrap(), b"mine", "a file the torrent does not list stays");
    session.shutdown();
}
