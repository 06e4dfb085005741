//! Unfinished pieces across a graceful restart: our seeder feeds our rate-limited leecher over
//! loopback (pieces of 4 MiB, made by the real `mktorrent`); the leecher is stopped mid-piece,
//! its resume record must list the received blocks of the unfinished pieces, and the restart
//! must count them as had, never fetch them again, and still end byte-exact. A restored block
//! spoiled on disk (mtime put back, so the record stays trusted) costs one failed piece, fetched
//! again whole, and gets nobody banned. A stop at full speed waits for the pieces being verified,
//! so the record it writes is exactly what the next start finds.

use bitgocho::metainfo::Metainfo;
use bitgocho::session::event::SessionEvent;
use bitgocho::session::status::TorrentState;
use bitgocho::session::{AddParams, Session, SessionSettings, TorrentHandle};
use bitgocho::storage::resume::ResumeData;
use std::net::SocketAddr;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

/// Piece length exponent: 4 MiB pieces.
const PIECE_POW: u32 = 22;
const PIECE: u64 = 1 << PIECE_POW;
const BLOCK: u64 = 16 * 1024;
/// 4.5 pieces: the last one is short.
const SIZE: usize = 18 << 20;
/// The leecher's download limit in the first run, so it is stopped mid-piece.
const SLOW: u64 = 1_500_000;

/// A seeding session of a fresh data file; returns it with the data, the metainfo and its address.
struct Swarm {
    _seeder: Session,
    data: Vec<u8>,
    meta: Arc<Metainfo>,
    peer: SocketAddr,
    dir: tempfile::TempDir,
}

fn swarm(seed: u64, size: usize, piece_pow: u32) -> Swarm {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let data = common::data_file(&src.join("data.bin"), size, seed);
    let meta = common::mktorrent(&src.join("data.bin"), &dir.path().join("data.torrent"), piece_pow, None).1;
    let seeder = common::loopback_session();
    let t = seeder.add_torrent(AddParams::new(meta.clone(), &src)).unwrap();
    common::wait_status(&t, "the seeder's check", Duration::from_secs(30), |s| s.state == TorrentState::Seeding);
    let peer = common::session_addr(&seeder);
    Swarm { _seeder: seeder, data, meta, peer, dir }
}

impl Swarm {
    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn resume_dir(&self) -> PathBuf {
        self.dir.path().join("resume")
    }

    fn leecher(&self, piece_buffer_bytes: Option<usize>) -> Session {
        let mut settings = SessionSettings { resume_dir: Some(self.resume_dir()), ..common::loopback_settings() };
        if let Some(bytes) = piece_buffer_bytes {
            settings.piece_buffer_bytes = bytes;
        }
        Session::new(settings).unwrap()
    }

    fn add(&self, session: &Session, rate: u64, paused: bool) -> TorrentHandle {
        let mut p = AddParams::new(self.meta.clone(), self.out());
        p.peers.push(self.peer);
        p.max_download_rate = rate;
        p.paused = paused;
        session.add_torrent(p).unwrap()
    }

    /// The one resume record in the resume directory.
    fn record(&self) -> ResumeData {
        let entries = common::resume_records(&self.resume_dir());
        assert_eq!(entries.len(), 1, "one resume record: {entries:?}");
        ResumeData::decode(&std::fs::read(&entries[0]).unwrap()).expect("the record decodes")
    }

    fn file(&self) -> PathBuf {
        self.out().join("data.bin")
    }
}

/// Waits until a verified piece and part of the next are in, then returns.
fn wait_mid_piece(t: &TorrentHandle) {
    common::wait_status(t, "a verified piece and part of another", Duration::from_secs(40), |s| {
        let partial = s.total_done - s.have_bytes;
        assert_ne!(s.state, TorrentState::Seeding, "the limited download finished before it was stopped");
        s.have_bytes >= PIECE && (256 * 1024..3 << 20).contains(&partial)
    });
}

/// Bytes of verified pieces and of listed unfinished blocks in a record.
fn recorded_bytes(r: &ResumeData, meta: &Metainfo) -> (u64, u64) {
    let (total, plen) = (meta.total_length(), meta.piece_length());
    let pieces = total.div_ceil(plen);
    let piece_len = |p: u64| plen.min(total - p * plen);
    let verified: u64 =
        (0..pieces).filter(|&p| r.pieces[(p / 8) as usize] & (0x80 >> (p % 8)) != 0).map(piece_len).sum();
    let blocks: u64 = r
        .unfinished
        .iter()
        .flat_map(|u| u.blocks().into_iter().map(move |b| (u64::from(u.piece), u64::from(b))))
        .map(|(p, b)| BLOCK.min(piece_len(p) - b * BLOCK))
        .sum();
    (verified, blocks)
}

/// Every listed unfinished block holds the right bytes on disk.
fn assert_listed_blocks_on_disk(r: &ResumeData, meta: &Metainfo, file: &Path, data: &[u8]) {
    let disk = std::fs::read(file).unwrap();
    for u in &r.unfinished {
        for b in u.blocks() {
            let at = (u64::from(u.piece) * meta.piece_length() + u64::from(b) * BLOCK) as usize;
            let end = (at + BLOCK as usize).min(data.len());
            assert!(disk[at..end] == data[at..end], "listed block {b} of piece {} is on disk", u.piece);
        }
    }
}

/// Adds the torrent again, paused, and checks that once checked it counts the record's verified
/// pieces and restored blocks as had (the record was trusted) and nothing more.
fn restart_paused(s: &Swarm, leecher: &Session, record: &ResumeData) -> TorrentHandle {
    let (verified, restored) = recorded_bytes(record, &s.meta);
    let t = s.add(leecher, 0, true);
    let mut checked = false;
    common::wait_for("the check", Duration::from_secs(30), || {
        checked |= common::events_of(leecher, t.id()).iter().any(|e| matches!(e, SessionEvent::Checked { .. }));
        checked
    });
    let st = t.status();
    assert_eq!((st.have_bytes, st.total_done), (verified, verified + restored), "{st:?}");
    let total = s.meta.total_length();
    assert!((st.progress - (verified + restored) as f64 / total as f64).abs() < 1e-9, "progress {}", st.progress);
    assert_eq!(st.pieces_fragments, record.unfinished.len() as u32, "restored pieces are in progress");
    t
}

#[test]
fn a_graceful_stop_keeps_unfinished_blocks_and_the_restart_fetches_only_the_rest() {
    let s = swarm(31, SIZE, PIECE_POW);
    // First run: pieces assembled in memory (the default), stopped by a session shutdown.
    let leecher = s.leecher(None);
    let t = s.add(&leecher, SLOW, false);
    wait_mid_piece(&t);
    leecher.shutdown();
    let record = s.record();
    assert!(!record.unfinished.is_empty(), "the record lists unfinished pieces");
    let (verified, restored) = recorded_bytes(&record, &s.meta);
    assert!(verified >= PIECE && restored > 0, "verified {verified}, restored {restored}");
    assert_listed_blocks_on_disk(&record, &s.meta, &s.file(), &s.data);

    // Second run, paused: once checked, the restored blocks count as had but not verified.
    let leecher = s.leecher(None);
    let t = restart_paused(&s, &leecher, &record);

    t.resume().unwrap();
    let total = s.meta.total_length();
    let st = common::wait_complete(&t, Duration::from_secs(60));
    assert!(std::fs::read(s.file()).unwrap() == s.data, "every byte ends right");
    assert_eq!(st.total_done, total);
    assert!(
        st.downloaded <= total - verified - restored,
        "downloaded {} of {total}: the {verified} verified and {restored} restored bytes are not fetched again",
        st.downloaded
    );
    leecher.shutdown();
    assert!(s.record().unfinished.is_empty(), "nothing left unfinished");
}

/// Sets the modification time of `path` to `secs` (nanoseconds 0), leaving the access time.
fn set_mtime(path: &Path, secs: i64) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    let times = [libc::timespec { tv_sec: 0, tv_nsec: libc::UTIME_OMIT }, libc::timespec { tv_sec: secs, tv_nsec: 0 }];
    // SAFETY: `c` is a NUL-terminated path and `times` holds the two entries utimensat reads.
    let rc = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), times.as_ptr(), 0) };
    assert_eq!(rc, 0, "utimensat: {}", std::io::Error::last_os_error());
}

#[test]
fn a_spoiled_restored_block_fails_once_is_fetched_again_and_bans_nobody() {
    let s = swarm(32, SIZE, PIECE_POW);
    // First run: no piece buffers (blocks written one by one), stopped by removing the torrent.
    let leecher = s.leecher(Some(0));
    let t = s.add(&leecher, SLOW, false);
    wait_mid_piece(&t);
    leecher.remove_torrent(&t, false).unwrap();
    let record = s.record();
    assert!(!record.unfinished.is_empty(), "the record lists unfinished pieces");
    assert_listed_blocks_on_disk(&record, &s.meta, &s.file(), &s.data);

    // Spoil the first listed block on disk and put the recorded mtime back.
    let spoiled = record.unfinished[0].piece;
    let block = record.unfinished[0].blocks()[0];
    let at = u64::from(spoiled) * PIECE + u64::from(block) * BLOCK;
    let f = std::fs::File::options().write(true).open(s.file()).unwrap();
    f.write_all_at(&[0xa5; 100], at).unwrap();
    drop(f);
    let (size, mtime) = record.files[0].expect("the file was recorded");
    set_mtime(&s.file(), mtime);
    assert_eq!(std::fs::metadata(s.file()).unwrap().len(), size);

    // Second run in the same session, unlimited.
    common::events_of(&leecher, t.id());
    let t = s.add(&leecher, 0, false);
    common::wait_complete(&t, Duration::from_secs(60));
    assert!(std::fs::read(s.file()).unwrap() == s.data, "every byte ends right");
    let events = common::events_of(&leecher, t.id());
    let failed: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::HashFailed { piece, .. } => Some(*piece),
            _ => None,
        })
        .collect();
    assert_eq!(failed, [spoiled], "the spoiled piece fails once: {events:?}");
    assert!(!events.iter().any(|e| matches!(e, SessionEvent::PeerBanned { .. })), "nobody banned: {events:?}");
    leecher.shutdown();
}

#[test]
fn a_stop_at_full_speed_waits_for_the_pieces_being_verified_so_the_record_counts_them() {
    let s = swarm(33, 64 << 20, PIECE_POW);
    let leecher = s.leecher(None);
    // 64 MB/s: 4 MiB pieces still arrive and are verified back to back, but the 64 MiB take
    // about a second, so a test thread descheduled on a loaded machine still stops mid-way
    // (unlimited, the whole download fit in one such pause; at 256 MB/s a quarter of a second
    // was still too short once, with a build running beside the tests).
    let t = s.add(&leecher, 64_000_000, false);
    // Stop within a millisecond of the first verified piece, while the next ones are in flight.
    let start = std::time::Instant::now();
    while !common::events_of(&leecher, t.id()).iter().any(|e| matches!(e, SessionEvent::PieceFinished { .. })) {
        assert!(start.elapsed() < Duration::from_secs(30), "no piece verified in 30 s");
        std::thread::sleep(Duration::from_millis(1));
    }
    // Pieces are arriving, being hashed and written: the stop waits for the complete ones, so
    // the record counts them and none is written after it (which could change the files'
    // mtimes and make the whole record, restored blocks too, untrusted).
    leecher.shutdown();
    let written = |path: &Path| std::fs::metadata(path).unwrap().modified().unwrap();
    let record_file = common::resume_records(&s.resume_dir()).pop().expect("a resume record");
    assert!(written(&s.file()) <= written(&record_file), "no piece was written after the record");
    let record = s.record();
    let (verified, restored) = recorded_bytes(&record, &s.meta);
    // Mid-download; whether a piece was partly received at that instant depends on timing (a
    // loaded machine can stop between pieces), so restored blocks are checked when there are any.
    assert!(verified < s.meta.total_length(), "stopped mid-download: {verified} + {restored}");
    assert_listed_blocks_on_disk(&record, &s.meta, &s.file(), &s.data);
    let leecher = s.leecher(None);
    restart_paused(&s, &leecher, &record);
    leecher.shutdown();
}
