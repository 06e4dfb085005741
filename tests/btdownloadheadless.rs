//! `btdownloadheadless` as a process against real BitTorrent clients: it downloads from a
//! libtorrent seeder (Debian's python3 binding, uTP off) by direct connection and from an
//! aria2c seeder through bttrack, seeds complete data to a libtorrent leecher, prints
//! BitTornado's status block, stops cleanly on SIGINT/SIGTERM, and refuses bad options with a
//! message naming the problem. Loopback only; every wait is bounded.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;
use common::bttrack::Bttrack;
use common::tls_front::{tls_data, TlsFront};
use common::KillOnDrop;

const HEADLESS: &str = env!("CARGO_BIN_EXE_btdownloadheadless");
/// Longest wait for a download or a status line.
const TRANSFER: Duration = Duration::from_secs(60);
/// Longest wait for the process to exit after a stop signal.
const STOP: Duration = Duration::from_secs(15);

fn need(tool: &str, package: &str) {
    let ok = Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success());
    assert!(ok, "{tool} is missing: install the {package} package (tests/install-deps.sh)");
}

fn need_libtorrent() {
    let ok = Command::new("/usr/bin/python3").args(["-c", "import libtorrent"]).status().is_ok_and(|s| s.success());
    assert!(ok, "python libtorrent is missing: install the python3-libtorrent package (tests/install-deps.sh)");
}

/// Deterministic, incompressible-looking bytes.
fn payload(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_add(seed).wrapping_mul(2654435761) >> 13) as u8).collect()
}

/// Runs mktorrent on `content` (file or directory) with 32 KiB pieces.
fn mktorrent(content: &Path, out: &Path, announce: Option<&str>) {
    need("mktorrent", "mktorrent");
    let mut cmd = Command::new("mktorrent");
    cmd.args(["-l", "15"]);
    if let Some(a) = announce {
        cmd.args(["-a", a]);
    }
    let status = cmd.arg("-o").arg(out).arg(content).stdout(Stdio::null()).status().expect("run mktorrent");
    assert!(status.success(), "mktorrent failed");
}

/// `dir/seed/payload.bin` (1.5 MB) and its torrent.
fn single_file(dir: &Path, announce: Option<&str>) -> (PathBuf, Vec<u8>) {
    let data = payload(1_500_000, 7);
    std::fs::create_dir_all(dir.join("seed")).unwrap();
    std::fs::write(dir.join("seed/payload.bin"), &data).unwrap();
    let torrent = dir.join("payload.torrent");
    mktorrent(&dir.join("seed/payload.bin"), &torrent, announce);
    (torrent, data)
}

/// A libtorrent seeder: prints `PORT <n>` once its data is checked, then stays up for 60 s.
const LT_SEED: &str = r#"
import libtorrent as lt, sys, time
torrent, save = sys.argv[1], sys.argv[2]
ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                  'enable_upnp': False, 'enable_natpmp': False, 'enable_outgoing_utp': False,
                  'enable_incoming_utp': False})
h = ses.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
deadline = time.time() + 30
while time.time() < deadline and not h.status().is_seeding:
    time.sleep(0.02)
print('PORT %d' % ses.listen_port() if h.status().is_seeding else 'NOT SEEDING', flush=True)
time.sleep(60)
"#;

/// A libtorrent leecher connecting to 127.0.0.1:<port>: prints `DONE` or `STUCK ...`.
const LT_LEECH: &str = r#"
import libtorrent as lt, sys, time
torrent, save, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                  'enable_upnp': False, 'enable_natpmp': False, 'enable_outgoing_utp': False,
                  'enable_incoming_utp': False})
h = ses.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
deadline = time.time() + 45
last = 0
while time.time() < deadline and not h.status().is_seeding:
    if time.time() - last > 2 and h.status().num_peers == 0:
        h.connect_peer(('127.0.0.1', port))
        last = time.time()
    time.sleep(0.05)
s = h.status()
print('DONE' if s.is_seeding else 'STUCK %s peers=%d progress=%.3f' % (s.state, s.num_peers, s.progress), flush=True)
"#;

/// Starts the libtorrent seeder on `torrent` with its data under `save`; returns it and its port.
fn libtorrent_seed(torrent: &Path, save: &Path) -> (KillOnDrop, u16) {
    need_libtorrent();
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", LT_SEED])
        .arg(torrent)
        .arg(save)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start python3 libtorrent seeder");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().strip_prefix("PORT ").unwrap_or_else(|| panic!("libtorrent seeder: {line:?}"));
    (KillOnDrop(child), port.parse().unwrap())
}

/// Runs the libtorrent leecher to completion against our port; returns its verdict line.
fn libtorrent_leech(torrent: &Path, save: &Path, port: u16) -> String {
    need_libtorrent();
    let out = Command::new("/usr/bin/python3")
        .args(["-c", LT_LEECH])
        .arg(torrent)
        .arg(save)
        .arg(port.to_string())
        .output()
        .expect("run python3 libtorrent leecher");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A running btdownloadheadless whose stdout is read line by line on a thread.
struct Headless {
    child: Child,
    lines: Receiver<Option<String>>,
    out: String,
    eof: bool,
}

impl Drop for Headless {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Headless {
    /// Starts the tool in `cwd`, with `$HOME` there too so fast-resume records stay in the test.
    fn start(cwd: &Path, args: &[&str]) -> Headless {
        Headless::start_env(cwd, args, &[])
    }

    /// [`Headless::start`] with environment variables `env` set.
    fn start_env(cwd: &Path, args: &[&str], env: &[(&str, &Path)]) -> Headless {
        let mut child = Command::new(HEADLESS)
            .args(args)
            .current_dir(cwd)
            .env("HOME", cwd)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start btdownloadheadless");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(Some(line)).is_err() {
                    return;
                }
            }
            let _ = tx.send(None);
        });
        Headless { child, lines, out: String::new(), eof: false }
    }

    /// Reads output until a line contains `needle` and the status block holding it is complete
    /// (bounded); returns that block.
    fn wait_for(&mut self, needle: &str, within: Duration) -> HashMap<String, String> {
        let deadline = Instant::now() + within;
        let mut hit = false;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(Some(line)) => {
                    hit |= line.contains(needle);
                    self.out.push_str(&line);
                    self.out.push('\n');
                    if hit && line.starts_with("peer status:") {
                        return last_block(&self.out);
                    }
                }
                Ok(None) | Err(RecvTimeoutError::Disconnected) => {
                    self.eof = true;
                    let err = self.stderr();
                    panic!("btdownloadheadless exited before printing {needle:?}: {}\n{err}", self.out);
                }
                Err(RecvTimeoutError::Timeout) => panic!("no {needle:?} within {within:?}; output:\n{}", self.out),
            }
        }
    }

    fn stderr(&mut self) -> String {
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        err
    }

    /// Sends `signal`, then waits (bounded) for stdout to close and the process to exit.
    fn stop(mut self, signal: i32) -> (ExitStatus, HashMap<String, String>) {
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, signal) }, 0);
        let deadline = Instant::now() + STOP;
        while !self.eof {
            match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Some(line)) => {
                    self.out.push_str(&line);
                    self.out.push('\n');
                }
                Ok(None) | Err(RecvTimeoutError::Disconnected) => self.eof = true,
                Err(RecvTimeoutError::Timeout) => panic!("btdownloadheadless still running {STOP:?} after the signal"),
            }
        }
        let status = self.child.wait().unwrap();
        (status, last_block(&self.out))
    }
}

/// The nine labelled lines of the last complete status block in `out`, label (with its colon)
/// to value; also checks that every value starts at column 16.
fn last_block(out: &str) -> HashMap<String, String> {
    let lines: Vec<&str> = out.lines().collect();
    let Some(start) = lines.iter().rposition(|l| l.starts_with("saving:")) else { return HashMap::new() };
    let mut block = HashMap::new();
    for line in lines[start..].iter().take(9) {
        assert!(line.len() >= 16 && line.as_bytes()[15] == b' ', "label not padded to 15 + space: {line:?}");
        let label = line[..15].trim_end().to_string();
        block.insert(label, line[16..].to_string());
    }
    block
}

#[test]
fn downloads_single_file_from_libtorrent_and_stops_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let (torrent, data) = single_file(dir.path(), None);
    let (_seed, port) = libtorrent_seed(&torrent, &dir.path().join("seed"));
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let peer = format!("127.0.0.1:{port}");
    let mut h = Headless::start(&out, &["--peer", &peer, "--saveas", "renamed.bin", torrent.to_str().unwrap()]);
    let block = h.wait_for("Download Succeeded!", TRANSFER);
    assert_eq!(block["percent done:"], "100");
    assert_eq!(block["saving:"], "payload.bin (1.4 MB)");
    assert_eq!(block["download to:"], out.join("renamed.bin").display().to_string());
    assert_eq!(block["download rate:"], "");
    assert!(block["share rating:"].ends_with("MB up / 1.4 MB down)"), "{block:?}");
    assert_eq!(std::fs::read(out.join("renamed.bin")).unwrap(), data);
    let (status, _) = h.stop(libc::SIGINT);
    assert!(status.success(), "exit after SIGINT: {status:?}");
    let mut left: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
    left.sort();
    assert_eq!(left, [".bitgocho", "renamed.bin"], "only the data and our fast-resume directory are left");
    // Fast-resume data was saved under $HOME/.bitgocho/datacache.
    let hash = bitgocho::metainfo::Metainfo::from_file(&torrent).unwrap().info_hash_v1().unwrap();
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    let resume = out.join(".bitgocho/datacache").join(format!("{hex}.resume"));
    assert!(resume.is_file(), "no resume record at {}", resume.display());
}

#[test]
fn downloads_multi_file_from_libtorrent_into_a_non_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("seed/album");
    std::fs::create_dir_all(content.join("disc 2")).unwrap();
    let files = [("a.bin", payload(700_000, 1)), ("disc 2/b.bin", payload(50_000, 2)), ("c.txt", payload(10, 3))];
    for (name, data) in &files {
        std::fs::write(content.join(name), data).unwrap();
    }
    let torrent = dir.path().join("album.torrent");
    mktorrent(&content, &torrent, None);
    let (_seed, port) = libtorrent_seed(&torrent, &dir.path().join("seed"));
    // A non-empty directory holding none of the torrent's entries: data goes to <dir>/album.
    let target = dir.path().join("downloads");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("unrelated.txt"), b"keep me").unwrap();
    let peer = format!("127.0.0.1:{port}");
    let args = ["--peer", &peer, "--saveas", target.to_str().unwrap(), torrent.to_str().unwrap()];
    let mut h = Headless::start(dir.path(), &args);
    let block = h.wait_for("Download Succeeded!", TRANSFER);
    assert_eq!(block["download to:"], target.join("album").display().to_string());
    for (name, data) in &files {
        assert_eq!(&std::fs::read(target.join("album").join(name)).unwrap(), data, "{name}");
    }
    assert_eq!(std::fs::read(target.join("unrelated.txt")).unwrap(), b"keep me");
    let (status, _) = h.stop(libc::SIGTERM);
    assert!(status.success(), "exit after SIGTERM: {status:?}");
}

/// A libtorrent seeder of `dir/seed/payload.bin` for magnet-link tests, and an empty `dir/out`.
struct MagnetSwarm {
    _seed: KillOnDrop,
    port: u16,
    hash: [u8; 20],
    hex: String,
    out: PathBuf,
    data: Vec<u8>,
}

fn libtorrent_magnet_swarm(dir: &Path) -> MagnetSwarm {
    let (torrent, data) = single_file(dir, None);
    let (_seed, port) = libtorrent_seed(&torrent, &dir.join("seed"));
    let hash = bitgocho::metainfo::Metainfo::from_file(&torrent).unwrap().info_hash_v1().unwrap();
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    MagnetSwarm { _seed, port, hash, hex: bitgocho::metainfo::parse::hex(&hash), out, data }
}

#[test]
fn downloads_from_a_magnet_link_served_by_libtorrent() {
    let dir = tempfile::tempdir().unwrap();
    let MagnetSwarm { _seed, port, hex, out, data, .. } = libtorrent_magnet_swarm(dir.path());
    // Without --saveas the data goes to <cwd>/<name>, the name known from the metadata.
    let link = format!("magnet:?xt=urn:btih:{hex}&dn=from+link&x.pe=127.0.0.1:{port}");
    let mut h = Headless::start(&out, &[&link]);
    let block = h.wait_for("Download Succeeded!", TRANSFER);
    assert_eq!(block["saving:"], "payload.bin (1.4 MB)");
    assert_eq!(block["download to:"], out.join("payload.bin").display().to_string());
    assert_eq!(std::fs::read(out.join("payload.bin")).unwrap(), data);
    let (status, _) = h.stop(libc::SIGINT);
    assert!(status.success(), "exit after SIGINT: {status:?}");
    // --saveas names the file; --url takes the link too.
    let mut h = Headless::start(&out, &["--saveas", "other.bin", "--url", &link]);
    h.wait_for("Download Succeeded!", TRANSFER);
    assert_eq!(std::fs::read(out.join("other.bin")).unwrap(), data);
    let (status, _) = h.stop(libc::SIGTERM);
    assert!(status.success(), "exit after SIGTERM: {status:?}");
}

/// A v2 magnet link (`urn:btmh:`): the dictionary, then the piece layers (BEP 52 hash
/// requests), then the data, all from a libtorrent seeder of a v2-only torrent.
#[test]
fn downloads_from_a_v2_magnet_link_served_by_libtorrent() {
    let dir = tempfile::tempdir().unwrap();
    let payload = dir.path().join("seed/v2.bin");
    let data = common::data_file(&payload, 1_500_000, 9);
    let (torrent, meta) = common::libtorrent::lt_make_torrent(&payload, &dir.path().join("v2.torrent"), 65536, true);
    let (_seed, port) = libtorrent_seed(&torrent, &dir.path().join("seed"));
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let hex = bitgocho::metainfo::parse::hex(&meta.info_hash_v2().unwrap());
    let mut h = Headless::start(&out, &[&format!("magnet:?xt=urn:btmh:1220{hex}&x.pe=127.0.0.1:{port}")]);
    h.wait_for("Download Succeeded!", TRANSFER);
    assert_eq!(std::fs::read(out.join("v2.bin")).unwrap(), data);
    let (status, _) = h.stop(libc::SIGINT);
    assert!(status.success(), "exit after SIGINT: {status:?}");
}

#[test]
fn fetches_the_torrent_from_a_url_over_http_and_https() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = dir.path().join("allowed");
    std::fs::create_dir_all(&allowed).unwrap();
    // bttrack serves the .torrent (`allow_get`) over http, and through socat over https; the
    // torrent announces to the https side.
    let dfile = dir.path().join("dstate");
    let https_port = common::ports::free_port();
    let (torrent, data) = single_file(dir.path(), Some(&format!("https://127.0.0.1:{https_port}/announce")));
    std::fs::copy(&torrent, allowed.join("payload.torrent")).unwrap();
    let tracker = Bttrack::start_with(&dfile, &["--allowed_dir", allowed.to_str().unwrap(), "--allow_get", "1"]);
    let front = TlsFront::start_on(https_port, tracker.addr());
    let hash = bitgocho::metainfo::Metainfo::from_file(&torrent).unwrap().info_hash_v1().unwrap();
    let get = format!("/file?info_hash={}", common::http::pct(&hash));
    let (_seed, port) = libtorrent_seed(&torrent, &dir.path().join("seed"));
    let peer = format!("127.0.0.1:{port}");
    // BitTornado's --url, over plain http.
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let http_url = format!("http://{}{get}", tracker.addr());
    let mut h = Headless::start(&out, &["--peer", &peer, "--url", &http_url]);
    h.wait_for("Download Succeeded!", TRANSFER);
    assert_eq!(std::fs::read(out.join("payload.bin")).unwrap(), data);
    assert!(h.stop(libc::SIGINT).0.success());
    // A positional https URL; the test CA is trusted through SSL_CERT_FILE, as with OpenSSL, so
    // the https announce gets through too.
    let out = dir.path().join("out2");
    std::fs::create_dir_all(&out).unwrap();
    let ca = tls_data("ca.pem");
    let mut h = Headless::start_env(&out, &["--peer", &peer, &front.url(&get)], &[("SSL_CERT_FILE", &ca)]);
    h.wait_for("Download Succeeded!", TRANSFER);
    assert_eq!(std::fs::read(out.join("payload.bin")).unwrap(), data);
    common::wait_for("our https announce", TRANSFER, || tracker.registered(&hash) >= 1);
    assert!(h.stop(libc::SIGTERM).0.success());
    // Failures name the URL and the reason, and exit 1.
    let missing = format!("http://{}/file?info_hash={}", tracker.addr(), "%00".repeat(20));
    let (code, err) = run_to_end(&out, &[&missing]);
    assert_eq!(code, Some(1));
    assert!(err.contains(&format!("cannot fetch the metainfo from {missing}: the server answered HTTP 404")), "{err}");
    let (code, err) = run_to_end(&out, &["--url", &front.url(&get)]);
    assert_eq!(code, Some(1), "the test CA is not trusted without SSL_CERT_FILE");
    assert!(err.contains("invalid peer certificate: UnknownIssuer"), "{err}");
}

#[test]
fn a_magnet_link_without_peers_or_trackers_downloads_through_the_dht() {
    use bitgocho::session::{AddParams, Session, SessionSettings};
    let dir = tempfile::tempdir().unwrap();
    let (torrent, data) = single_file(dir.path(), None);
    // Our engine as the DHT's bootstrap node and as the seeder that announced itself there.
    let router = Session::new(common::loopback_settings()).unwrap();
    let at = common::session_addr(&router).to_string();
    let seeder =
        Session::new(SessionSettings { dht_bootstrap: vec![at.clone()], ..common::loopback_settings() }).unwrap();
    let meta = std::sync::Arc::new(bitgocho::metainfo::Metainfo::from_file(&torrent).unwrap());
    let seed = seeder.add_torrent(AddParams::new(meta.clone(), dir.path().join("seed"))).unwrap();
    common::wait_complete(&seed, TRANSFER);
    let hex = bitgocho::metainfo::parse::hex(&meta.info_hash_v1().unwrap());
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let link = format!("magnet:?xt=urn:btih:{hex}");
    let mut h = Headless::start(&out, &["--dht_bootstrap", &at, "--bind", "127.0.0.1", &link]);
    h.wait_for("Download Succeeded!", TRANSFER);
    assert_eq!(std::fs::read(out.join("payload.bin")).unwrap(), data);
    assert!(h.stop(libc::SIGINT).0.success());
    let (code, err) = run_to_end(&out, &["--dht", "2", &link]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--dht must be 0 or 1"), "{err}");
}

#[test]
fn a_magnet_link_seen_before_starts_from_the_metainfo_it_kept() {
    let dir = tempfile::tempdir().unwrap();
    let MagnetSwarm { _seed, port, hash, hex, out, data } = libtorrent_magnet_swarm(dir.path());
    let mut h = Headless::start(&out, &[&format!("magnet:?xt=urn:btih:{hex}&x.pe=127.0.0.1:{port}")]);
    h.wait_for("Download Succeeded!", TRANSFER);
    assert!(h.stop(libc::SIGINT).0.success());
    let kept = out.join(".bitgocho/datacache").join(format!("{hex}.torrent"));
    let meta = bitgocho::metainfo::Metainfo::from_file(&kept).expect("the fetched metainfo is kept");
    assert_eq!(meta.info_hash_v1(), Some(hash));
    // The same link without a peer: the kept metainfo and the data on disk are enough.
    let mut h = Headless::start(&out, &[&format!("magnet:?xt=urn:btih:{hex}")]);
    let block = h.wait_for("Download Succeeded!", TRANSFER);
    assert_eq!(block["saving:"], "payload.bin (1.4 MB)");
    assert_eq!(std::fs::read(out.join("payload.bin")).unwrap(), data);
    assert!(h.stop(libc::SIGTERM).0.success());
}

#[test]
fn priority_skips_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("seed/set");
    std::fs::create_dir_all(&content).unwrap();
    let files = [("a.bin", payload(300_000, 4)), ("b.bin", payload(300_000, 5)), ("c.bin", payload(300_000, 6))];
    for (name, data) in &files {
        std::fs::write(content.join(name), data).unwrap();
    }
    let torrent = dir.path().join("set.torrent");
    mktorrent(&content, &torrent, None);
    let (_seed, port) = libtorrent_seed(&torrent, &dir.path().join("seed"));
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let peer = format!("127.0.0.1:{port}");
    let mut h = Headless::start(&out, &["--peer", &peer, "--priority", "1,-1,0", torrent.to_str().unwrap()]);
    h.wait_for("Download Succeeded!", TRANSFER);
    assert_eq!(std::fs::read(out.join("set/a.bin")).unwrap(), files[0].1);
    assert_eq!(std::fs::read(out.join("set/c.bin")).unwrap(), files[2].1);
    // Pieces lying wholly inside b.bin (skipped) were never fetched.
    let b = std::fs::read(out.join("set/b.bin")).unwrap_or_default();
    assert_ne!(b, files[1].1, "the skipped file was downloaded");
    let (status, _) = h.stop(libc::SIGINT);
    assert!(status.success(), "exit after SIGINT: {status:?}");
}

#[test]
fn max_download_rate_limits_the_download() {
    let dir = tempfile::tempdir().unwrap();
    let (torrent, data) = single_file(dir.path(), None);
    let (_seed, port) = libtorrent_seed(&torrent, &dir.path().join("seed"));
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let peer = format!("127.0.0.1:{port}");
    // 1.5 MB at 500 kB/s with a one-second burst allowance: at least two seconds (unlimited
    // over loopback it takes a fraction of one).
    let t0 = Instant::now();
    let mut h = Headless::start(&out, &["--peer", &peer, "--max_download_rate", "500", torrent.to_str().unwrap()]);
    h.wait_for("Download Succeeded!", TRANSFER);
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(1800), "1.5 MB arrived in {took:?} despite a 500 kB/s limit");
    assert_eq!(std::fs::read(out.join("payload.bin")).unwrap(), data);
    let (status, _) = h.stop(libc::SIGINT);
    assert!(status.success(), "exit after SIGINT: {status:?}");
}

#[test]
fn seeds_complete_data_to_a_libtorrent_leecher() {
    let dir = tempfile::tempdir().unwrap();
    let (torrent, data) = single_file(dir.path(), None);
    let port = common::ports::free_port();
    let ports = port.to_string();
    let original = dir.path().join("seed/payload.bin");
    // --check_hashes 0: the data is all there, so it is trusted without a check (libtorrent
    // verifies every piece it gets, so wrong trust would show).
    let (o, t) = (original.to_str().unwrap(), torrent.to_str().unwrap());
    let args = ["--minport", &ports, "--maxport", &ports, "--check_hashes", "0", "--saveas", o, t];
    let mut h = Headless::start(dir.path(), &args);
    let block = h.wait_for("Download Succeeded!", TRANSFER);
    assert_eq!(block["share rating:"], "0.000  (0.0 MB up / 0.0 MB down)", "nothing was downloaded");
    let leech = dir.path().join("leech");
    std::fs::create_dir_all(&leech).unwrap();
    assert_eq!(libtorrent_leech(&torrent, &leech, port), "DONE", "libtorrent could not download from us");
    assert_eq!(std::fs::read(leech.join("payload.bin")).unwrap(), data);
    // Every byte libtorrent got came from us: the share rating turns `oo` with 1.4 MB up.
    let block = h.wait_for("share rating:   oo  (1.4 MB up / 0.0 MB down)", TRANSFER);
    assert_eq!(block["time left:"], "Download Succeeded!");
    let (status, _) = h.stop(libc::SIGTERM);
    assert!(status.success(), "exit after SIGTERM: {status:?}");
    assert_eq!(std::fs::read(&original).unwrap(), data, "the seeded data changed");
}

/// Starts bttrack (NAT check off) on a free loopback port; returns it and its address.
#[test]
fn downloads_from_aria2c_through_bttrack() {
    need("aria2c", "aria2");
    let dir = tempfile::tempdir().unwrap();
    let tracker = common::bttrack::Bttrack::start(&dir.path().join("dstate"));
    let addr = tracker.addr();
    let (torrent, data) = single_file(dir.path(), Some(&format!("http://{addr}/announce")));
    let aria_port = common::ports::free_port();
    let _aria = KillOnDrop(
        Command::new("aria2c")
            .args([
                "--seed-ratio=0",
                "--enable-dht=false",
                "--enable-dht6=false",
                "--bt-enable-lpd=false",
                "--enable-peer-exchange=false",
                "--check-integrity=true",
                "--quiet=true",
            ])
            .arg(format!("--listen-port={aria_port}"))
            .arg(format!("--dir={}", dir.path().join("seed").display()))
            .arg(&torrent)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aria2c"),
    );
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let args = ["--minport", "20000", "--maxport", "30000", "--responsefile", torrent.to_str().unwrap()];
    let mut h = Headless::start(&out, &args);
    let block = h.wait_for("Download Succeeded!", TRANSFER);
    assert_eq!(block["percent done:"], "100");
    assert_eq!(std::fs::read(out.join("payload.bin")).unwrap(), data);
    let (status, _) = h.stop(libc::SIGINT);
    assert!(status.success(), "exit after SIGINT: {status:?}");
}

#[test]
fn seeds_to_aria2c_through_bttrack() {
    need("aria2c", "aria2");
    let dir = tempfile::tempdir().unwrap();
    let tracker = common::bttrack::Bttrack::start(&dir.path().join("dstate"));
    let addr = tracker.addr();
    let (torrent, data) = single_file(dir.path(), Some(&format!("http://{addr}/announce")));
    let seed = dir.path().join("seed");
    let mut h = Headless::start(&seed, &["--minport", "20000", "--maxport", "30000", torrent.to_str().unwrap()]);
    h.wait_for("Download Succeeded!", TRANSFER);
    let leech = dir.path().join("leech");
    let mut aria = KillOnDrop(
        Command::new("aria2c")
            .args([
                "--seed-time=0",
                "--enable-dht=false",
                "--enable-dht6=false",
                "--bt-enable-lpd=false",
                "--enable-peer-exchange=false",
                "--quiet=true",
            ])
            .arg(format!("--listen-port={}", common::ports::free_port()))
            .arg(format!("--dir={}", leech.display()))
            .arg(&torrent)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aria2c"),
    );
    // aria2c exits 0 once it has the whole file (and seeds for no time).
    let deadline = Instant::now() + TRANSFER;
    let status = loop {
        if let Some(s) = aria.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "aria2c did not finish downloading from us");
        let _ = h.lines.recv_timeout(Duration::from_millis(100));
    };
    assert!(status.success(), "aria2c: {status:?}");
    assert_eq!(std::fs::read(leech.join("payload.bin")).unwrap(), data);
    let (status, _) = h.stop(libc::SIGINT);
    assert!(status.success(), "exit after SIGINT: {status:?}");
}

/// Runs btdownloadheadless to its end (bounded) and returns exit code and stderr.
fn run_to_end(cwd: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut h = Headless::start(cwd, args);
    let deadline = Instant::now() + STOP;
    loop {
        if let Some(status) = h.child.try_wait().unwrap() {
            return (status.code(), h.stderr());
        }
        assert!(Instant::now() < deadline, "btdownloadheadless {args:?} did not exit");
        let _ = h.lines.recv_timeout(Duration::from_millis(50));
    }
}

#[test]
fn bad_options_and_inputs_exit_non_zero_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (torrent, _) = single_file(d, None);
    let t = torrent.to_str().unwrap();
    let (code, err) = run_to_end(d, &["--nope", "1", t]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown key --nope"), "{err}");
    let (code, err) = run_to_end(d, &["--priority", "0,1", t]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--priority: 2 entries given but the torrent has 1 file"), "{err}");
    let (code, err) = run_to_end(d, &["--priority", "high", t]);
    assert_eq!(code, Some(2));
    assert!(err.contains("\"high\" is not a priority"), "{err}");
    let (code, err) = run_to_end(d, &["--max_download_rate", "fast", t]);
    assert_eq!(code, Some(2));
    assert!(err.contains("wrong format of --max_download_rate"), "{err}");
    let (code, err) =
        run_to_end(d, &["--max_upload_rate", "-1", "--double_check", "1", "--max_uploads", "0", "missing.torrent"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("missing.torrent: no such file"), "{err}");
    assert!(err.contains("warning: --max_upload_rate is accepted but not applied"), "{err}");
    assert!(err.contains("warning: --double_check is accepted but not applied"), "{err}");
    assert!(err.contains("warning: --max_uploads 0 (one upload slot is kept) is accepted but not applied"), "{err}");
    std::fs::write(d.join("bad.torrent"), b"d4:infod4:name1:xee").unwrap();
    let (code, err) = run_to_end(d, &["bad.torrent"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("got bad file info"), "{err}");
    let (code, err) = run_to_end(d, &["--saveas", "/proc/no/such/dir/x.bin", t]);
    assert_eq!(code, Some(1));
    assert!(err.contains("couldn't create directory /proc/no/such/dir"), "{err}");
    let (code, err) = run_to_end(d, &["magnet:?xt=urn:btih:1234"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("info-hash `1234` is neither 40 hex digits"), "{err}");
    let link = format!("magnet:?xt=urn:btih:{}", "ab".repeat(20));
    let (code, err) = run_to_end(d, &["--priority", "0", &link]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--priority needs the torrent's file list"), "{err}");
    let (code, err) = run_to_end(d, &["a.torrent", "b.torrent"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("Too many args - 1 max."), "{err}");
    std::fs::write(d.join("block.p2p"), "ok:10.0.0.0-10.0.0.9\n10.1.1.1-10.1.1\n").unwrap();
    let (code, err) = run_to_end(d, &["--ip_filter", "block.p2p", t]);
    assert_eq!(code, Some(2));
    assert!(err.contains("IP filter block.p2p: not an address range at line 2: 10.1.1.1-10.1.1"), "{err}");
    let (code, err) = run_to_end(d, &["--ip_filter", "missing.p2p", t]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot read IP filter missing.p2p"), "{err}");
}

#[test]
fn listen_failure_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let (torrent, _) = single_file(dir.path(), None);
    let held = TcpListener::bind("0.0.0.0:0").unwrap();
    let port = held.local_addr().unwrap().port().to_string();
    let out = dir.path().join("out");
    let args = ["--minport", &port, "--maxport", &port, "--saveas", out.to_str().unwrap(), torrent.to_str().unwrap()];
    let (code, err) = run_to_end(dir.path(), &args);
    assert_eq!(code, Some(1));
    assert!(err.contains("Couldn't listen - "), "{err}");
}

#[test]
fn help_lists_every_downloader_option() {
    let out = Command::new(HEADLESS).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Arguments are:\n\n--max_uploads <arg>\n"), "{text}");
    for name in ["saveas", "max_upload_rate", "minport", "check_hashes", "priority", "display_interval", "peer"] {
        assert!(text.contains(&format!("\n--{name} <arg>\n")), "--{name} missing from the help");
    }
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("time between updates of displayed information (defaults to 0.5)"), "{text}");
    assert!(flat.contains("counts up if unavailable (defaults to 10000)"), "{text}");
}
