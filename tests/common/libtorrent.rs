//! A real libtorrent peer (Debian's python3-libtorrent through /usr/bin/python3), uTP, DHT, LSD
//! and port mapping off, listening on 127.0.0.1 at a port the system chooses. It seeds or
//! downloads one torrent and reports on stdout: `PORT n` once listening, `SEEDING` once it has
//! every piece, on disk. The process is killed when the [`LtPeer`] is dropped, and ends by itself after
//! the deadline it is given. [`LtPeer::spawn`] runs a test's own script instead (one that prints
//! `PORT n` first).

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Python put before every script: `OnDisk(h)`, which prints `SEEDING` once torrent `h` has
/// every piece and they are on disk (a piece may pass its hash check before all of its blocks
/// reached the file, so the cache is flushed first, 5 s at most). A script passes each alert to
/// `alert()` (true when it was the flush's) and calls `step()` in its loop.
const PRELUDE: &str = r#"
import time, libtorrent as lt
class OnDisk:
    def __init__(self, h):
        self.h, self.flush_by, self.flushed, self.said = h, None, False, False
    def alert(self, a):
        self.flushed = self.flushed or isinstance(a, lt.cache_flushed_alert)
        return isinstance(a, lt.cache_flushed_alert)
    def step(self):
        if self.flush_by is None and self.h.status().is_seeding:
            self.h.flush_cache()
            self.flush_by = time.time() + 5
        if self.flush_by is not None and not self.said and (self.flushed or time.time() > self.flush_by):
            print('SEEDING', flush=True)
            self.said = True
"#;

const SCRIPT: &str = r#"
import sys, time, libtorrent as lt
torrent, save, life, limit = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
peers = sys.argv[5:]
s = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_outgoing_utp': False,
    'enable_incoming_utp': False, 'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False,
    'enable_natpmp': False, 'allow_multiple_connections_per_ip': True,
    'alert_mask': lt.alert.category_t.error_notification | lt.alert.category_t.storage_notification,
    'upload_rate_limit': limit,
    'ignore_limits_on_local_network': limit == 0})
end = time.time() + life
while s.listen_port() == 0 and time.time() < end:
    time.sleep(0.02)
print('PORT', s.listen_port(), flush=True)
h = s.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
for p in peers:
    host, port = p.rsplit(':', 1)
    h.connect_peer((host, int(port)))
disk = OnDisk(h)
while time.time() < end:
    for a in s.pop_alerts():
        if not disk.alert(a):
            print('ALERT', a.message(), file=sys.stderr, flush=True)
    disk.step()
    time.sleep(0.05)
"#;

/// A running libtorrent peer.
pub struct LtPeer {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
}

impl LtPeer {
    /// Starts libtorrent on `torrent`, saving under `save`, dialling `peers`; lives at most
    /// `life`. Waits for its listening port.
    pub fn start(torrent: &Path, save: &Path, peers: &[SocketAddr], life: Duration) -> LtPeer {
        Self::start_limited(torrent, save, peers, life, 0)
    }

    /// Like [`LtPeer::start`], uploading at most `upload_limit` bytes per second (0: no limit).
    pub fn start_limited(
        torrent: &Path,
        save: &Path,
        peers: &[SocketAddr],
        life: Duration,
        upload_limit: u32,
    ) -> LtPeer {
        let mut args: Vec<OsString> =
            vec![torrent.into(), save.into(), life.as_secs().to_string().into(), upload_limit.to_string().into()];
        args.extend(peers.iter().map(|p| p.to_string().into()));
        Self::spawn(SCRIPT, args)
    }

    /// Runs `script` (which prints `PORT n` once listening) with `args` under python3-libtorrent;
    /// waits for its listening port.
    pub fn spawn(script: &str, args: Vec<OsString>) -> LtPeer {
        let mut cmd = python_libtorrent(script);
        cmd.args(args);
        let (mut child, lines) = spawn_with_lines(cmd.stderr(Stdio::piped()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let mut peer = LtPeer { child, lines, seen: Vec::new(), stderr, port: 0 };
        let line = peer.expect_line("PORT", Duration::from_secs(20));
        peer.port = line[5..].trim().parse().expect("port number");
        assert_ne!(peer.port, 0, "libtorrent did not listen: {}", peer.stderr());
        peer
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The stdout lines read so far.
    pub fn stdout(&self) -> &[String] {
        &self.seen
    }

    /// What it wrote to stderr so far (python3-libtorrent import errors, alerts).
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The first stdout line starting with `prefix`, printed before or within `timeout` (every
    /// line is remembered, so a line already read is found again); panics otherwise.
    pub fn expect_line(&mut self, prefix: &str, timeout: Duration) -> String {
        self.expect_matching(prefix, timeout, |l| l.starts_with(prefix))
    }

    /// The first stdout line that starts with `prefix` and holds `needle`, as [`Self::expect_line`].
    pub fn expect_line_with(&mut self, prefix: &str, needle: &str, timeout: Duration) -> String {
        self.expect_matching(&format!("{prefix} .. {needle}"), timeout, |l| l.starts_with(prefix) && l.contains(needle))
    }

    fn expect_matching(&mut self, what: &str, timeout: Duration, wanted: impl Fn(&str) -> bool) -> String {
        let prefix = what;
        let deadline = Instant::now() + timeout;
        if let Some(line) = self.seen.iter().find(|l| wanted(l)) {
            return line.clone();
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => {
                    let status = self.child.try_wait().ok().flatten();
                    panic!(
                        "libtorrent did not report {prefix} within {timeout:?} (exit: {status:?}; install the apt \
                         package python3-libtorrent if it is missing). stdout: {:?}; stderr:\n{}",
                        self.seen,
                        self.stderr()
                    );
                }
            }
        }
    }

    /// Starts [`MAGNET_LEECH`] on magnet link `link`, saving under `save`, dialling `peer`
    /// (`hashlog`: also print its BEP 52 hash messages).
    pub fn magnet_leech(link: &str, save: &Path, peer: SocketAddr, life: Duration, hashlog: bool) -> LtPeer {
        let mut args: Vec<OsString> =
            vec![link.into(), save.into(), life.as_secs().to_string().into(), peer.to_string().into()];
        if hashlog {
            args.push("hashlog".into());
        }
        LtPeer::spawn(MAGNET_LEECH, args)
    }

    /// Waits until it has the whole torrent.
    pub fn wait_seeding(&mut self, timeout: Duration) {
        self.expect_line("SEEDING", timeout);
    }
}

impl Drop for LtPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's python (the one with python3-libtorrent) running `script`; fails loudly without it.
pub fn python_libtorrent(script: &str) -> Command {
    let py = Path::new("/usr/bin/python3");
    assert!(py.exists(), "/usr/bin/python3 is missing: install the apt package python3-libtorrent");
    let mut cmd = Command::new(py);
    cmd.arg("-c").arg(format!("{PRELUDE}{script}"));
    cmd
}

/// Starts `cmd` with its stdout read line by line on a thread; the lines arrive on the receiver.
pub fn spawn_with_lines(cmd: &mut Command) -> (Child, Receiver<String>) {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).spawn().expect("start /usr/bin/python3");
    let (tx, lines) = channel();
    let out = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines)
}

/// Makes a torrent of `target` with libtorrent's own `create_torrent` (`piece_size` bytes per
/// piece; `v2_only`: a BEP 52 torrent with no v1 half, else a hybrid) and returns its path and
/// our parse of it.
pub fn lt_make_torrent(
    target: &Path,
    out: &Path,
    piece_size: u32,
    v2_only: bool,
) -> (std::path::PathBuf, std::sync::Arc<bitgocho::metainfo::Metainfo>) {
    const MAKE: &str = r#"
import os, sys, libtorrent as lt
target, out, piece, v2_only = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == '1'
fs = lt.file_storage()
lt.add_files(fs, target)
ct = lt.create_torrent(fs, piece, flags=lt.create_torrent.v2_only if v2_only else 0)
lt.set_piece_hashes(ct, os.path.dirname(target))
open(out, 'wb').write(lt.bencode(ct.generate()))
"#;
    let result = python_libtorrent(MAKE)
        .arg(target)
        .arg(out)
        .arg(piece_size.to_string())
        .arg(if v2_only { "1" } else { "0" })
        .output()
        .expect("run /usr/bin/python3");
    assert!(result.status.success(), "libtorrent's create_torrent failed: {}", String::from_utf8_lossy(&result.stderr));
    let meta = bitgocho::metainfo::Metainfo::from_file(out).expect("libtorrent's torrent parses");
    (out.to_path_buf(), std::sync::Arc::new(meta))
}

/// libtorrent with only a magnet link (no tracker) and one peer's address: prints `PORT`, then
/// `METADATA` once it has the info dictionary and `SEEDING` once it has every piece. With a fifth
/// argument `hashlog`, also `LOG <message>` for each BEP 52 hash message in its peer log.
pub const MAGNET_LEECH: &str = r#"
import sys, time, libtorrent as lt
uri, save, life, peer = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
hashlog = sys.argv[5:] == ['hashlog']
mask = lt.alert.category_t.error_notification | lt.alert.category_t.storage_notification
if hashlog:
    mask |= lt.alert.category_t.peer_log_notification
s = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_outgoing_utp': False,
    'enable_incoming_utp': False, 'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False,
    'enable_natpmp': False, 'alert_mask': mask})
end = time.time() + life
while s.listen_port() == 0 and time.time() < end:
    time.sleep(0.02)
print('PORT', s.listen_port(), flush=True)
p = lt.parse_magnet_uri(uri)
p.save_path = save
h = s.add_torrent(p)
host, port = peer.rsplit(':', 1)
h.connect_peer((host, int(port)))
disk, metadata = OnDisk(h), False
while time.time() < end:
    if not metadata and h.status().has_metadata:
        print('METADATA', flush=True)
        metadata = True
    for a in s.pop_alerts():
        if disk.alert(a):
            continue
        if isinstance(a, lt.peer_log_alert):
            if 'HASH' in a.message():
                print('LOG', a.message(), flush=True)
        else:
            print('ALERT', a.message(), file=sys.stderr, flush=True)
    disk.step()
    time.sleep(0.05)
"#;
