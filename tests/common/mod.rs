//! Helpers shared by the interoperability and hostile-peer tests: test data, torrents made by
//! mktorrent, bounded waits, byte comparison, our own session on loopback, a libtorrent peer
//! ([`libtorrent`]), aria2c ([`aria2`]), our bttrack ([`bttrack`]), a TLS front ([`tls_front`]),
//! a scripted metadata peer ([`metadata_peer`]), and ports for external programs ([`ports`]).

pub mod aria2;
pub mod bttrack;
pub mod http;
pub mod libtorrent;
pub mod metadata_peer;
pub mod opentracker;
pub mod ports;
pub mod tls_front;

use bitgocho::metainfo::Metainfo;
use bitgocho::session::event::SessionEvent;
use bitgocho::session::event_queue::Popped;
use bitgocho::session::status::{TorrentState, TorrentStatus};
use bitgocho::session::{Session, SessionSettings, TorrentHandle};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Panics with the apt package to install when `tool` is not on PATH.
pub fn require_tool(tool: &str, apt_package: &str) {
    let found =
        std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()));
    assert!(found, "`{tool}` is not installed: install the apt package {apt_package} (tests/install-deps.sh)");
}

/// The torrents' resume records (`*.resume`) in `dir`; the DHT keeps its `dht.state` beside them.
pub fn resume_records(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "resume")).collect()
}

/// Writes `len` deterministic pseudo-random bytes (seeded by `seed`) to `path`, creating parents.
pub fn write_data(path: &Path, len: usize, seed: u64) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut data = Vec::with_capacity(len + 8);
    while data.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(len);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("create parent directories");
    std::fs::write(path, data).expect("write test data");
}

/// Makes a torrent of `target` with mktorrent (piece length 2^`piece_exp`, optional tracker URL)
/// and returns the .torrent path and its parsed metainfo.
pub fn mktorrent(target: &Path, out: &Path, piece_exp: u32, announce: Option<&str>) -> (PathBuf, Arc<Metainfo>) {
    require_tool("mktorrent", "mktorrent");
    let mut cmd = Command::new("mktorrent");
    cmd.arg("-l").arg(piece_exp.to_string()).arg("-o").arg(out);
    if let Some(url) = announce {
        cmd.arg("-a").arg(url);
    }
    let result = cmd.arg(target).output().expect("run mktorrent");
    assert!(result.status.success(), "mktorrent failed: {}", String::from_utf8_lossy(&result.stderr));
    let meta = Metainfo::from_file(out).expect("mktorrent's torrent parses");
    (out.to_path_buf(), Arc::new(meta))
}

/// Polls `done` every 50 ms until it returns true; panics naming `what` after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Settings for a session listening on 127.0.0.1 at a port the system chooses.
pub fn loopback_settings() -> SessionSettings {
    SessionSettings {
        bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
        min_port: 0,
        max_port: 0,
        hash_threads: 2,
        ..SessionSettings::default()
    }
}

/// A session listening on 127.0.0.1 at a port the system chooses.
pub fn loopback_session() -> Session {
    let session = Session::new(loopback_settings()).expect("start session");
    assert_ne!(session.listen_port(), 0, "session is not listening");
    session
}

/// The loopback address `session` listens on (127.0.0.1 and its listening port).
pub fn session_addr(session: &Session) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, session.listen_port()))
}

/// True when the torrent seeds with all of its data (state `Seeding`, progress 1).
pub fn seeding(st: &TorrentStatus) -> bool {
    st.state == TorrentState::Seeding && st.progress >= 1.0
}

/// Waits until the torrent has every piece and seeds; returns the last status.
pub fn wait_complete(torrent: &TorrentHandle, timeout: Duration) -> TorrentStatus {
    let start = Instant::now();
    loop {
        let last = torrent.status();
        let done =
            last.state == TorrentState::Seeding && last.pieces_total > 0 && last.pieces_have == last.pieces_total;
        if done {
            return last;
        }
        assert!(last.state != TorrentState::Error, "torrent stopped with an error: {:?}", last.error);
        assert!(start.elapsed() < timeout, "download not complete after {timeout:?}: {last:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asserts that every file of the torrent is byte-identical under save directories `a` and `b`
/// (a multi-file torrent's files under its name, as every client lays them out; pad files are
/// never written, so they are not compared).
pub fn assert_same_files(meta: &Metainfo, a: &Path, b: &Path) {
    for i in (0..meta.files().len()).filter(|&i| !meta.files()[i].is_pad()) {
        let rel = meta.file_path(i).expect("file path");
        let left = std::fs::read(a.join(&rel)).unwrap_or_else(|e| panic!("read {}: {e}", a.join(&rel).display()));
        let right = std::fs::read(b.join(&rel)).unwrap_or_else(|e| panic!("read {}: {e}", b.join(&rel).display()));
        assert_eq!(left.len(), right.len(), "{} differs in length", rel.display());
        assert!(left == right, "{} differs in content", rel.display());
        assert_eq!(left.len() as u64, meta.files()[i].length(), "{} has the wrong length", rel.display());
    }
}

/// Polls the torrent's status every 50 ms until `done` holds; returns that status. Panics
/// naming `what` after `timeout`.
pub fn wait_status(
    torrent: &TorrentHandle,
    what: &str,
    timeout: Duration,
    done: impl Fn(&TorrentStatus) -> bool,
) -> TorrentStatus {
    let mut last = torrent.status();
    wait_for(what, timeout, || {
        last = torrent.status();
        done(&last)
    });
    last
}

/// Writes `len` pseudo-random bytes to `path` (see [`write_data`]) and returns them.
pub fn data_file(path: &Path, len: usize, seed: u64) -> Vec<u8> {
    write_data(path, len, seed);
    std::fs::read(path).expect("read back test data")
}

/// btdownloadheadless run in `dir`, with `$HOME` there too (its fast-resume records stay in the
/// test), stdin and stderr null; the caller adds the arguments and stdout.
pub fn headless_cmd(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_btdownloadheadless"));
    cmd.current_dir(dir).env("HOME", dir).stdin(Stdio::null()).stderr(Stdio::null());
    cmd
}

/// A child process killed (and reaped) when dropped, so a failing test leaves nothing running.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Makes a directory unwritable, even for root (mode 0555, then `chattr +i` when root can
/// still write); undone on drop.
pub struct Unwritable(PathBuf, bool);

impl Unwritable {
    /// Makes `dir` unwritable; fails loudly when that is impossible here.
    pub fn new(dir: &Path) -> Unwritable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        let mut guard = Unwritable(dir.to_path_buf(), false);
        if std::fs::write(dir.join(".probe"), b"").is_ok() {
            std::fs::remove_file(dir.join(".probe")).unwrap();
            require_tool("chattr", "e2fsprogs");
            let st = Command::new("chattr").arg("+i").arg(dir).status().expect("run chattr");
            assert!(st.success(), "chattr +i failed on {}: running as root needs an ext4/xfs tmpdir", dir.display());
            guard.1 = true;
        }
        assert!(std::fs::write(dir.join(".probe"), b"").is_err(), "could not make {} unwritable", dir.display());
        guard
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        if self.1 {
            let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        }
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
    }
}

/// The events of torrent `id` queued in `session` so far (others are dropped).
pub fn events_of(session: &Session, id: u32) -> Vec<SessionEvent> {
    let mut out = Vec::new();
    while let Some(popped) = session.pop_event() {
        if let Popped::Event(e) = popped {
            if e.torrent() == Some(id) {
                out.push(e);
            }
        }
    }
    out
}

/// The events of torrent `id` until `last` matches one; panics after `limit`.
pub fn events_until(
    limit: Duration,
    session: &Session,
    id: u32,
    last: impl Fn(&SessionEvent) -> bool,
) -> Vec<SessionEvent> {
    let start = Instant::now();
    let mut seen = Vec::new();
    loop {
        seen.extend(events_of(session, id));
        if seen.iter().any(&last) {
            return seen;
        }
        assert!(start.elapsed() < limit, "the awaited event did not come: {seen:?}");
        session.wait_event(Duration::from_millis(100));
    }
}

/// Flips the byte at `at` in the file at `path`, keeping its size and modification time, so a
/// resume record of it is still trusted.
pub fn spoil_keeping_mtime(path: &Path, at: usize) {
    let mtime = std::fs::metadata(path).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] ^= 0xff;
    std::fs::write(path, &bytes).unwrap();
    std::fs::File::options().write(true).open(path).unwrap().set_modified(mtime).unwrap();
}
