//! The engine against itself, in one process: our seeder to our leecher (single and multi-file),
//! fast resume (trusted only while files are unchanged), rate limits, pause and removal.
//! Torrents are made with the real `mktorrent`.

use bitgocho::metainfo::Metainfo;
use bitgocho::session::status::TorrentState;
use bitgocho::session::{AddParams, Session, SessionSettings, TorrentHandle};
use common::seeding;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

/// The tracker URL of test torrents: nothing listens there.
const ANNOUNCE: Option<&str> = Some("http://127.0.0.1:9/announce");

fn mktorrent(input: &Path, out: &Path, piece_pow: u32) -> Arc<Metainfo> {
    common::mktorrent(input, out, piece_pow, ANNOUNCE).1
}

/// A session seeding a new `len`-byte file `name` under `dir/data` (2^`piece_pow`-byte pieces),
/// its metainfo, and the parameters of a leecher saving under `dir/out` that dials the seeder.
fn seeded_file(dir: &Path, name: &str, len: usize, piece_pow: u32) -> (Session, Arc<Metainfo>, AddParams) {
    let data = dir.join("data");
    common::data_file(&data.join(name), len, piece_pow as u64);
    let meta = mktorrent(&data.join(name), &dir.join(format!("{name}.torrent")), piece_pow);
    let seeder = common::loopback_session();
    let s = seeder.add_torrent(AddParams::new(meta.clone(), &data)).unwrap();
    common::wait_status(&s, "seed", Duration::from_secs(20), seeding);
    let mut leech = AddParams::new(meta.clone(), dir.join("out"));
    leech.peers.push(common::session_addr(&seeder));
    (seeder, meta, leech)
}

fn same_tree(a: &Path, b: &Path) {
    for entry in walk(a) {
        let rel = entry.strip_prefix(a).unwrap();
        assert_eq!(std::fs::read(&entry).unwrap(), std::fs::read(b.join(rel)).unwrap(), "{} differs", rel.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn our_seeder_to_our_leecher_single_and_multi_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    common::data_file(&src.join("single.bin"), 3_000_001, 1);
    common::data_file(&src.join("multi/a/one.bin"), 700_000, 2);
    std::fs::write(src.join("multi/a/empty"), b"").unwrap();
    common::data_file(&src.join("multi/b/two.bin"), 1_234_567, 3);
    let single = mktorrent(&src.join("single.bin"), &dir.path().join("s.torrent"), 16);
    let multi = mktorrent(&src.join("multi"), &dir.path().join("m.torrent"), 15);

    let seeder = common::loopback_session();
    let seed_port = seeder.listen_port();
    let seeds: Vec<_> = [&single, &multi]
        .into_iter()
        .map(|meta| {
            let s = seeder.add_torrent(AddParams::new(meta.clone(), &src)).unwrap();
            common::wait_status(&s, "seeder check", Duration::from_secs(20), seeding);
            s
        })
        .collect();
    // Every write path: pieces assembled in memory (default), a budget of about one piece (some
    // pieces in memory, the others written block by block), and none (every block written).
    for budget in [SessionSettings::default().piece_buffer_bytes, 100_000, 0] {
        let leecher =
            Session::new(SessionSettings { piece_buffer_bytes: budget, ..common::loopback_settings() }).unwrap();
        let out = dir.path().join(format!("out-{budget}"));
        for (meta, s) in [&single, &multi].into_iter().zip(&seeds) {
            let before = s.status().uploaded;
            let mut p = AddParams::new(meta.clone(), &out);
            p.peers.push(format!("127.0.0.1:{seed_port}").parse().unwrap());
            let l = leecher.add_torrent(p).unwrap();
            let st = common::wait_status(&l, "download", Duration::from_secs(30), seeding);
            assert_eq!(st.have_bytes, meta.total_length());
            assert_eq!(st.file_progress.iter().sum::<u64>(), meta.total_length());
            let total = before + meta.total_length();
            common::wait_status(s, "seeder upload count", Duration::from_secs(5), |st| st.uploaded >= total);
        }
        same_tree(&src, &out);
    }
}

#[test]
fn fast_resume_is_trusted_only_while_files_are_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::data_file(&data.join("file.bin"), 2_000_000, 4);
    let meta = mktorrent(&data.join("file.bin"), &dir.path().join("f.torrent"), 15);
    let resume = dir.path().join("resume");
    let settings = || SessionSettings {
        bind: "127.0.0.1".parse().unwrap(),
        min_port: 0,
        resume_dir: Some(resume.clone()),
        ..Default::default()
    };

    // First run: full check, record saved on shutdown.
    let s = Session::new(settings()).unwrap();
    let t = s.add_torrent(AddParams::new(meta.clone(), &data)).unwrap();
    common::wait_status(&t, "first check", Duration::from_secs(20), seeding);
    s.shutdown();
    assert_eq!(common::resume_records(&resume).len(), 1, "one resume record written");

    // Corrupt one piece without changing size or mtime: the record is trusted, so the piece
    // still counts (this is what makes resume fast; it is why stamps must match exactly).
    let path = data.join("file.bin");
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    common::spoil_keeping_mtime(&path, 100);
    let s = Session::new(settings()).unwrap();
    let t = s.add_torrent(AddParams::new(meta.clone(), &data)).unwrap();
    let st = common::wait_status(&t, "resume", Duration::from_secs(20), |st| st.state != TorrentState::Checking);
    assert_eq!(st.pieces_have, st.pieces_total, "unchanged stamps: record trusted");
    s.shutdown();

    // Change the mtime: the record is no longer trusted and the corrupt piece is found.
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(mtime + Duration::from_secs(5)).unwrap();
    let s = Session::new(settings()).unwrap();
    let t = s.add_torrent(AddParams::new(meta, &data)).unwrap();
    let st = common::wait_status(&t, "recheck", Duration::from_secs(20), |st| st.state != TorrentState::Checking);
    assert_eq!(st.pieces_have, st.pieces_total - 1, "changed file: rehashed, the bad piece is missing");
    assert_eq!(st.state, TorrentState::Downloading);
}

#[test]
fn download_rate_limit_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let (_seeder, _, mut p) = seeded_file(dir.path(), "file.bin", 600_000, 15);
    let leecher = common::loopback_session();
    p.max_download_rate = 200_000;
    let start = Instant::now();
    let l = leecher.add_torrent(p).unwrap();
    common::wait_status(&l, "limited download", Duration::from_secs(30), seeding);
    let took = start.elapsed();
    // 600 kB at 200 kB/s with a one-second burst: at least about 2 s.
    assert!(took >= Duration::from_millis(1800), "600 kB at 200 kB/s took only {took:?}");
}

#[test]
fn pause_resume_and_remove_with_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::data_file(&data.join("file.bin"), 300_000, 6);
    let meta = mktorrent(&data.join("file.bin"), &dir.path().join("f.torrent"), 15);
    let seeder = common::loopback_session();
    let s = seeder.add_torrent(AddParams::new(meta.clone(), &data)).unwrap();
    common::wait_status(&s, "seed", Duration::from_secs(20), seeding);
    s.pause().unwrap();
    common::wait_status(&s, "pause", Duration::from_secs(5), |st| st.state == TorrentState::Paused);
    s.resume().unwrap();
    common::wait_status(&s, "resume", Duration::from_secs(5), seeding);
    assert!(seeder.find_torrent(&meta.info_hash_v1().unwrap()).is_some());
    let copy = dir.path().join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(data.join("file.bin"), copy.join("file.bin")).unwrap();
    seeder.remove_torrent(&s, false).unwrap();
    assert!(s.pause().is_err(), "handle of a removed torrent reports it gone");
    let c = seeder.add_torrent(AddParams::new(meta.clone(), &copy)).unwrap();
    common::wait_status(&c, "seed copy", Duration::from_secs(20), seeding);
    seeder.remove_torrent(&c, true).unwrap();
    assert!(!copy.join("file.bin").exists(), "data deleted with the torrent");
    assert!(data.join("file.bin").exists());
}

#[test]
fn without_hash_checks_present_data_is_trusted_and_missing_data_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::data_file(&data.join("file.bin"), 200_000, 7);
    let meta = mktorrent(&data.join("file.bin"), &dir.path().join("f.torrent"), 15);
    let s = common::loopback_session();
    let mut p = AddParams::new(meta.clone(), &data);
    p.check_hashes = false;
    let t = s.add_torrent(p).unwrap();
    common::wait_status(&t, "trusted seed", Duration::from_secs(10), seeding);
    s.remove_torrent(&t, false).unwrap();
    let mut p = AddParams::new(meta, dir.path().join("empty"));
    p.check_hashes = false;
    let t = s.add_torrent(p).unwrap();
    let st =
        common::wait_status(&t, "nothing trusted", Duration::from_secs(10), |st| st.state != TorrentState::Checking);
    assert_eq!((st.pieces_have, st.state), (0, TorrentState::Downloading));
}

#[test]
fn announces_carry_the_configured_ip_and_the_session_reports_its_port() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::data_file(&data.join("file.bin"), 100_000, 8);
    let tracker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/announce", tracker.local_addr().unwrap().port());
    let out = dir.path().join("t.torrent");
    let o = Command::new("mktorrent")
        .args(["-l", "15", "-a", &url, "-o"])
        .arg(&out)
        .arg(data.join("file.bin"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let meta = Arc::new(Metainfo::from_file(&out).unwrap());
    let s = Session::new(SessionSettings {
        bind: "127.0.0.1".parse().unwrap(),
        min_port: 0,
        announce_ip: Some("10.1.2.3".into()),
        ..Default::default()
    })
    .unwrap();
    match s.pop_event() {
        Some(bitgocho::session::event_queue::Popped::Event(bitgocho::session::event::SessionEvent::Listening {
            port,
            error: None,
        })) => assert_eq!(port, s.listen_port()),
        other => panic!("first event should say where the session listens: {other:?}"),
    }
    let _t = s.add_torrent(AddParams::new(meta, dir.path().join("out"))).unwrap();
    tracker.set_nonblocking(false).unwrap();
    let (mut conn, _) = tracker.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut buf).unwrap();
        assert!(n > 0, "tracker connection closed early");
        req.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&req).lines().next().unwrap_or_default().to_string();
    assert!(line.contains("&ip=10.1.2.3&"), "announce line: {line}");
    assert!(line.contains("&event=started"), "announce line: {line}");
    conn.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 25\r\n\r\nd8:intervali60e5:peers0:e").unwrap();
}

/// A leecher that connects while the seeder rechecks (and so first hears it has nothing) learns
/// of every piece once the check ends.
#[test]
fn a_rechecked_seeder_serves_new_leechers() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    common::data_file(&src.join("file.bin"), 2_500_000, 9);
    let meta = mktorrent(&src.join("file.bin"), &dir.path().join("f.torrent"), 16);
    let seeder = common::loopback_session();
    let s = seeder.add_torrent(AddParams::new(meta.clone(), &src)).unwrap();
    common::wait_status(&s, "seeder check", Duration::from_secs(20), seeding);
    s.force_recheck().unwrap();
    common::wait_status(&s, "recheck", Duration::from_secs(20), seeding);
    let leecher = common::loopback_session();
    let mut p = AddParams::new(meta.clone(), dir.path().join("out"));
    p.peers.push(common::session_addr(&seeder));
    let l = leecher.add_torrent(p).unwrap();
    common::wait_status(&l, "download from the rechecked seeder", Duration::from_secs(30), seeding);
    same_tree(&src, &dir.path().join("out"));
}

/// Milestone events come after the status shows them: a caller woken by `Checked` or
/// `Finished` reads the new state at once.
#[test]
fn status_already_shows_the_milestone_an_event_reports() {
    use bitgocho::session::event::SessionEvent;
    use bitgocho::session::event_queue::Popped;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    common::data_file(&src.join("file.bin"), 3_000_000, 11);
    let meta = mktorrent(&src.join("file.bin"), &dir.path().join("f.torrent"), 15);
    let seeder = common::loopback_session();
    let s = seeder.add_torrent(AddParams::new(meta.clone(), &src)).unwrap();
    common::wait_status(&s, "seeder check", Duration::from_secs(20), seeding);
    let leecher = common::loopback_session();
    let mut p = AddParams::new(meta.clone(), dir.path().join("out"));
    p.peers.push(common::session_addr(&seeder));
    let l = leecher.add_torrent(p).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut checked, mut finished) = (false, false);
    while !finished {
        assert!(Instant::now() < deadline, "no Finished event within 30 s");
        leecher.wait_event(Duration::from_millis(200));
        while let Some(Popped::Event(ev)) = leecher.pop_event() {
            match ev {
                SessionEvent::Checked { .. } => {
                    checked = true;
                    assert_ne!(l.status().state, TorrentState::Checking, "Checked while the status says checking");
                }
                SessionEvent::Finished { .. } => {
                    finished = true;
                    let st = l.status();
                    assert_eq!((st.state, st.have_bytes), (TorrentState::Seeding, meta.total_length()));
                }
                _ => {}
            }
        }
    }
    assert!(checked, "no Checked event before Finished");
}

/// A seeded file announced to a local bttrack, and a session: the fixture of the pause tests.
struct Tracked {
    _dir: tempfile::TempDir,
    data: PathBuf,
    tracker: common::bttrack::Bttrack,
    meta: Arc<Metainfo>,
    hash: [u8; 20],
    session: Session,
}

impl Tracked {
    fn new(seed: u64) -> Tracked {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        common::data_file(&data.join("file.bin"), 100_000, seed);
        let tracker = common::bttrack::Bttrack::start(&dir.path().join("dstate"));
        let url = tracker.url();
        let meta = common::mktorrent(&data.join("file.bin"), &dir.path().join("f.torrent"), 15, Some(&url)).1;
        let hash = meta.info_hash_v1().unwrap();
        Tracked { _dir: dir, data, tracker, meta, hash, session: common::loopback_session() }
    }

    /// Adds the torrent, paused or not, and waits until it is seeding or paused.
    fn add(&self, paused: bool) -> TorrentHandle {
        let mut params = AddParams::new(self.meta.clone(), &self.data);
        params.paused = paused;
        let t = self.session.add_torrent(params).unwrap();
        if paused {
            common::wait_status(&t, "paused", Duration::from_secs(10), |st| st.state == TorrentState::Paused);
        } else {
            common::wait_status(&t, "seed", Duration::from_secs(20), seeding);
        }
        t
    }

    fn wait_registered(&self, what: &str, count: u64) {
        common::wait_for(what, Duration::from_secs(10), || self.tracker.registered(&self.hash) == count);
    }

    /// Shuts the session down and checks that it did not wait out the 5 s stop grace.
    fn shutdown_promptly(self) -> common::bttrack::Bttrack {
        let start = Instant::now();
        self.session.shutdown();
        let took = start.elapsed();
        assert!(took < Duration::from_secs(2), "shutdown took {took:?} (the stop grace is 5 s)");
        self.tracker
    }
}

/// Shutting a session down does not wait on a paused torrent's tracker: the torrent said
/// `stopped` when it was paused, so the session's stop has nothing to send for it.
#[test]
fn shutdown_is_prompt_with_a_paused_torrent() {
    let s = Tracked::new(8);
    let t = s.add(false);
    s.wait_registered("the started announce", 1);
    t.pause().unwrap();
    common::wait_status(&t, "pause", Duration::from_secs(5), |st| st.state == TorrentState::Paused);
    s.wait_registered("the stopped announce", 0);
    s.shutdown_promptly();
}

/// The same for a torrent added paused, which never announced: nothing is owed to its tracker.
#[test]
fn shutdown_is_prompt_with_a_torrent_added_paused() {
    let s = Tracked::new(9);
    s.add(true);
    std::thread::sleep(Duration::from_millis(300));
    let hash = s.hash;
    let tracker = s.shutdown_promptly();
    assert_eq!(tracker.registered(&hash), 0, "a paused torrent announced");
}

/// A torrent added paused says nothing to its tracker until it is resumed, then `started`;
/// paused again, `stopped`.
#[test]
fn a_torrent_added_paused_announces_only_once_resumed() {
    let s = Tracked::new(10);
    let t = s.add(true);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(s.tracker.registered(&s.hash), 0, "announced while paused");
    t.resume().unwrap();
    s.wait_registered("the started announce", 1);
    t.pause().unwrap();
    s.wait_registered("the stopped announce", 0);
}

/// The default `bind` (0.0.0.0) takes IPv6 peers too: one leecher reaches the seeder over
/// `[::1]`, another over `127.0.0.1`, and both get every byte.
#[test]
fn the_default_listener_takes_ipv4_and_ipv6_peers() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    common::data_file(&src.join("both.bin"), 1_500_000, 7);
    let meta = mktorrent(&src.join("both.bin"), &dir.path().join("b.torrent"), 16);
    let any = std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
    assert_eq!(SessionSettings::default().bind, any);
    let seeder = Session::new(SessionSettings { bind: any, ..common::loopback_settings() }).unwrap();
    let s = seeder.add_torrent(AddParams::new(meta.clone(), &src)).unwrap();
    common::wait_status(&s, "seeder check", Duration::from_secs(20), seeding);
    let port = seeder.listen_port();
    for (name, ip) in [("v6", std::net::Ipv6Addr::LOCALHOST.into()), ("v4", std::net::Ipv4Addr::LOCALHOST.into())] {
        let leecher = common::loopback_session();
        let out = dir.path().join(name);
        let mut p = AddParams::new(meta.clone(), &out);
        p.peers.push(std::net::SocketAddr::new(ip, port));
        let l = leecher.add_torrent(p).unwrap();
        common::wait_status(&l, &format!("download over {ip}"), Duration::from_secs(30), seeding);
        same_tree(&src, &out);
    }
}

/// Sequential download: pieces come in index order (give or take those in flight at once),
/// where rarest first with equal availability takes them in random order.
#[test]
fn sequential_download_takes_pieces_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (_seeder, meta, mut p) = seeded_file(dir.path(), "movie.bin", 8 << 20, 15);
    let leecher = common::loopback_session();
    p.paused = true;
    let l = leecher.add_torrent(p).unwrap();
    l.set_sequential_download(true).unwrap();
    l.resume().unwrap();
    common::wait_status(&l, "sequential download", Duration::from_secs(30), seeding);
    let order: Vec<u32> = common::events_of(&leecher, l.id())
        .into_iter()
        .filter_map(|e| match e {
            bitgocho::session::event::SessionEvent::PieceFinished { piece, .. } => Some(piece),
            _ => None,
        })
        .collect();
    assert_eq!(order.len() as u64, meta.piece_count());
    let late = order.iter().enumerate().filter(|(i, p)| **p as usize > i + 32).count();
    assert_eq!(late, 0, "pieces far ahead of their turn: {order:?}");
    same_tree(&dir.path().join("data"), &dir.path().join("out"));
}

/// Piece priorities: with its only file skipped, a leecher fetches exactly the pieces raised
/// afterwards (its interest in the seeder follows the change), and nothing else; raising the
/// file afterwards makes the torrent, seeding what it wanted, download the rest.
#[test]
fn piece_priorities_fetch_single_pieces() {
    use bitgocho::session::Priority;
    let dir = tempfile::tempdir().unwrap();
    let (_seeder, _, mut p) = seeded_file(dir.path(), "p.bin", 1 << 20, 15);
    let leecher = common::loopback_session();
    p.file_priorities = vec![Priority::Skip];
    let l = leecher.add_torrent(p).unwrap();
    common::wait_status(&l, "connected", Duration::from_secs(10), |st| st.peers == 1);
    l.set_piece_priority(5, Priority::High).unwrap();
    l.set_piece_priority(20, Priority::Normal).unwrap();
    l.set_piece_priority(10_000, Priority::High).unwrap();
    let st = common::wait_status(&l, "two pieces", Duration::from_secs(10), |st| st.pieces_have == 2);
    std::thread::sleep(Duration::from_millis(300));
    let st2 = l.status();
    assert_eq!(st2.pieces_have, 2, "nothing else fetched: {:?}", st2.pieces);
    let have: Vec<u32> =
        (0..st.pieces_total).filter(|i| st2.pieces[*i as usize / 8] & (0x80 >> (i % 8)) != 0).collect();
    assert_eq!(have, [5, 20]);
    let events = common::events_of(&leecher, l.id());
    assert!(events.iter().any(|e| matches!(e, bitgocho::session::event::SessionEvent::StorageError { message, .. } if message.contains("10000"))), "{events:?}");
    // Having every wanted piece made it seed; wanting the whole file makes it download again.
    assert_eq!(st2.state, bitgocho::session::status::TorrentState::Seeding);
    l.set_file_priorities(vec![Priority::Normal]).unwrap();
    let total = st.pieces_total;
    common::wait_status(&l, "the whole file", Duration::from_secs(20), |st| st.pieces_have == total);
    same_tree(&dir.path().join("data"), &dir.path().join("out"));
}

/// A tracker on 127.0.0.1 that records the request line of every announce and answers with no
/// peers and no `min interval`, for `limit` at most.
fn recording_tracker(limit: Duration) -> (String, Arc<parking_lot::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/announce", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let lines = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let seen = lines.clone();
    std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < limit {
            let Ok((mut conn, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let (mut req, mut buf) = (Vec::new(), [0u8; 4096]);
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(n) if n > 0 => req.extend_from_slice(&buf[..n]),
                    _ => break,
                }
            }
            seen.lock().push(String::from_utf8_lossy(&req).lines().next().unwrap_or_default().to_string());
            let _ = conn.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 25\r\n\r\nd8:intervali60e5:peers0:e");
        }
    });
    (url, lines)
}

/// Some files of a torrent are not the torrent: `completed` goes to the tracker only once every
/// piece is here, not when the wanted files are.
#[test]
fn completed_is_announced_only_when_every_piece_is_here() {
    use bitgocho::session::event::SessionEvent;
    use bitgocho::session::Priority;
    let dir = tempfile::tempdir().unwrap();
    let (url, lines) = recording_tracker(Duration::from_secs(60));
    let data = dir.path().join("data/pair");
    common::data_file(&data.join("a.bin"), 300_000, 21);
    common::data_file(&data.join("b.bin"), 300_000, 22);
    let (_, meta) = common::mktorrent(&data, &dir.path().join("pair.torrent"), 15, Some(&url));
    let seeder = common::loopback_session();
    let s = seeder.add_torrent(AddParams::new(meta.clone(), dir.path().join("data"))).unwrap();
    common::wait_status(&s, "seed", Duration::from_secs(20), seeding);
    let leecher = common::loopback_session();
    let mut p = AddParams::new(meta, dir.path().join("out"));
    p.file_priorities = vec![Priority::Normal, Priority::Skip];
    p.peers.push(common::session_addr(&seeder));
    let l = leecher.add_torrent(p).unwrap();
    let reply = |e: &SessionEvent| matches!(e, SessionEvent::TrackerReply { .. });
    let done = |e: &SessionEvent| matches!(e, SessionEvent::Finished { .. });
    common::events_until(Duration::from_secs(20), &leecher, l.id(), done);
    // An announce asked for now is answered after any the finish started.
    l.force_announce().unwrap();
    common::events_until(Duration::from_secs(10), &leecher, l.id(), reply);
    let completed = || lines.lock().iter().filter(|l| l.contains("event=completed")).count();
    assert_eq!(completed(), 0, "{:?}", lines.lock());
    l.set_file_priorities(vec![Priority::Normal, Priority::Normal]).unwrap();
    common::events_until(Duration::from_secs(20), &leecher, l.id(), done);
    common::wait_for("the completed announce", Duration::from_secs(10), || completed() == 1);
    same_tree(&dir.path().join("data"), &dir.path().join("out"));
}

/// A paused torrent that knows its seeder only by `peers` (no tracker answers) dials it again
/// when resumed, and finishes.
#[test]
fn a_resumed_torrent_dials_its_direct_peers_again() {
    let dir = tempfile::tempdir().unwrap();
    let (_seeder, _, mut p) = seeded_file(dir.path(), "r.bin", 3_000_000, 15);
    p.max_download_rate = 1_000_000;
    let leecher = common::loopback_session();
    let l = leecher.add_torrent(p).unwrap();
    common::wait_status(&l, "some data", Duration::from_secs(20), |st| st.total_done > 500_000);
    l.pause().unwrap();
    common::wait_status(&l, "paused, no peers", Duration::from_secs(10), |st| {
        st.state == TorrentState::Paused && st.peers == 0
    });
    l.resume().unwrap();
    common::wait_complete(&l, Duration::from_secs(30));
    same_tree(&dir.path().join("data"), &dir.path().join("out"));
}

/// Trackers added while running (libtorrent's `add_tracker`): a seeder and a leecher whose
/// torrent names no tracker find each other through the bttrack added to both.
#[test]
fn trackers_added_at_run_time_are_announced_to() {
    let dir = tempfile::tempdir().unwrap();
    let tracker = common::bttrack::Bttrack::start(&dir.path().join("dstate"));
    common::data_file(&dir.path().join("data/t.bin"), 400_000, 51);
    let (_, meta) = common::mktorrent(&dir.path().join("data/t.bin"), &dir.path().join("t.torrent"), 15, None);
    let hash = meta.info_hash_v1().unwrap();
    let seeder = common::loopback_session();
    let s = seeder.add_torrent(AddParams::new(meta.clone(), dir.path().join("data"))).unwrap();
    common::wait_status(&s, "seed", Duration::from_secs(20), seeding);
    assert!(s.add_tracker("ftp://nope/announce", 0).is_err(), "not a tracker URL");
    s.add_tracker(&tracker.url(), 0).unwrap();
    common::wait_for("the seeder's announce", Duration::from_secs(10), || tracker.registered(&hash) == 1);
    let leecher = common::loopback_session();
    let l = leecher.add_torrent(AddParams::new(meta, dir.path().join("out"))).unwrap();
    l.add_tracker("udp://127.0.0.1:9/announce", 0).unwrap();
    l.add_tracker(&tracker.url(), 1).unwrap();
    common::wait_complete(&l, Duration::from_secs(30));
    same_tree(&dir.path().join("data"), &dir.path().join("out"));
}

/// Session totals add up the torrents' figures.
#[test]
fn session_stats_sum_the_torrents() {
    let dir = tempfile::tempdir().unwrap();
    let (seeder, meta, p) = seeded_file(dir.path(), "s.bin", 700_000, 15);
    let leecher = common::loopback_session();
    let l = leecher.add_torrent(p).unwrap();
    common::wait_complete(&l, Duration::from_secs(20));
    let st = l.status();
    let totals = leecher.stats();
    assert_eq!((totals.torrents, totals.downloaded), (1, st.downloaded));
    assert!(totals.downloaded >= meta.total_length());
    common::wait_for("the seeder's upload in its totals", Duration::from_secs(10), || {
        seeder.stats().uploaded >= meta.total_length()
    });
}

/// With `max_active_downloads` 1, three downloads run one after another in the order they were
/// added, the waiting ones `Queued` and untouched.
#[test]
fn the_download_queue_runs_one_download_at_a_time() {
    use bitgocho::session::status::TorrentStatus;
    let dir = tempfile::tempdir().unwrap();
    let seeder = common::loopback_session();
    let leecher = Session::new(SessionSettings { max_active_downloads: 1, ..common::loopback_settings() }).unwrap();
    let mut params = Vec::new();
    for i in 0..3u64 {
        let name = format!("q{i}.bin");
        let data = dir.path().join(format!("data{i}"));
        common::data_file(&data.join(&name), 600_000, 60 + i);
        let meta = mktorrent(&data.join(&name), &dir.path().join(format!("q{i}.torrent")), 15);
        let s = seeder.add_torrent(AddParams::new(meta.clone(), &data)).unwrap();
        common::wait_status(&s, "seed", Duration::from_secs(20), seeding);
        let mut p = AddParams::new(meta, dir.path().join("out"));
        p.peers.push(common::session_addr(&seeder));
        p.max_download_rate = 400_000;
        params.push(p);
    }
    let leeches: Vec<TorrentHandle> = params.into_iter().map(|p| leecher.add_torrent(p).unwrap()).collect();
    let states = |l: &[TorrentHandle]| l.iter().map(|t| t.status()).collect::<Vec<TorrentStatus>>();
    let mut finished = Vec::new();
    let start = Instant::now();
    while finished.len() < 3 {
        assert!(start.elapsed() < Duration::from_secs(40), "queue stuck: {:?}", states(&leeches));
        let st = states(&leeches);
        let active = st.iter().filter(|s| s.state == TorrentState::Downloading).count();
        assert!(active <= 1, "{active} downloads at once");
        for (i, s) in st.iter().enumerate() {
            if s.state == TorrentState::Seeding && s.progress >= 1.0 && !finished.contains(&i) {
                finished.push(i);
            }
            if s.state == TorrentState::Queued {
                assert_eq!(s.downloaded, 0, "a queued torrent has not started");
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(finished, [0, 1, 2], "in the order added");
}

/// A relative save path is made absolute when the torrent is added: the status shows it so,
/// and the files land there.
#[test]
fn a_relative_save_path_is_taken_from_the_working_directory_when_added() {
    let dir = tempfile::tempdir().unwrap();
    let (_seeder, _, mut p) = seeded_file(dir.path(), "rel.bin", 100_000, 15);
    let cwd = std::env::current_dir().unwrap();
    // The way from the working directory to `dir/out`, through the root.
    let up: PathBuf = cwd.components().skip(1).map(|_| "..").collect();
    let rel = up.join(dir.path().strip_prefix("/").unwrap()).join("out");
    assert!(rel.is_relative());
    p.save_path = rel.clone();
    let leecher = common::loopback_session();
    let l = leecher.add_torrent(p).unwrap();
    let st = common::wait_complete(&l, Duration::from_secs(20));
    assert_eq!(st.save_path, cwd.join(&rel).display().to_string());
    same_tree(&dir.path().join("data"), &dir.path().join("out"));
}
