//! `bttrack` as a process: options, startup, signals and its state file, and real BitTorrent
//! clients (aria2c, libtorrent through Debian's python3) announcing, scraping and
//! downloading through it. Loopback only; every wait is bounded.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;
use common::KillOnDrop;

const BTTRACK: &str = env!("CARGO_BIN_EXE_bttrack");

/// A running bttrack; killed when dropped.
struct Tracker {
    child: Child,
    addr: SocketAddr,
    _stderr: BufReader<ChildStderr>,
}

impl Drop for Tracker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Tracker {
    /// Starts bttrack on a free loopback port and waits for its startup line.
    fn start(dfile: &Path, extra: &[&str]) -> Tracker {
        let mut cmd = Command::new(BTTRACK);
        cmd.args(["--port", "0", "--bind", "127.0.0.1", "--dfile"]).arg(dfile);
        cmd.args(extra).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start bttrack");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).expect("bttrack startup line");
        let addr = common::bttrack::listening_addr(&line).unwrap_or_else(|| panic!("unexpected startup line {line:?}"));
        Tracker { child, addr, _stderr: stderr }
    }

    fn get(&self, target: &str) -> (u16, Vec<u8>) {
        common::http::get(self.addr, target)
    }

    /// Sends `sig` and waits (bounded) for exit; returns the exit status and stdout.
    fn stop_with(mut self, sig: i32) -> (std::process::ExitStatus, String) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, sig) };
        let t0 = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(t0.elapsed() < Duration::from_secs(10), "bttrack did not exit after signal {sig}");
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut out = String::new();
        self.child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        (status, out)
    }
}

fn announce(addr: SocketAddr, hash: &[u8; 20], peer: u8, left: u64) {
    let target = format!(
        "/announce?info_hash={}&peer_id={}&port={}&uploaded=0&downloaded=0&left={left}&compact=1",
        common::http::pct(hash),
        common::http::pct(&[peer; 20]),
        7000 + u16::from(peer)
    );
    let (status, body) = common::http::get(addr, &target);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(!body.windows(7).any(|w| w == b"failure"), "{}", String::from_utf8_lossy(&body));
}

/// (complete, incomplete, downloaded) of `hash` in a bencoded scrape reply.
fn scrape_counts(body: &[u8], hash: &[u8; 20]) -> Option<(i64, i64, i64)> {
    let top = bitgocho::bencode::decode(body, bitgocho::bencode::Limits::default()).ok()?;
    let files = top.as_dict()?.get_dict(b"files")?;
    let entry = files.get_dict(hash)?;
    Some((entry.get_int(b"complete")?, entry.get_int(b"incomplete")?, entry.get_int(b"downloaded")?))
}

fn scrape(addr: SocketAddr, hash: &[u8; 20]) -> Option<(i64, i64, i64)> {
    let (status, body) = common::http::get(addr, &format!("/scrape?info_hash={}", common::http::pct(hash)));
    assert_eq!(status, 200);
    scrape_counts(&body, hash)
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BTTRACK).args(args).output().unwrap()
}

#[test]
fn no_arguments_prints_the_help_and_succeeds() {
    let out = run(&[]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("--dfile <arg>"));
    for key in bitgocho::tracker::config::TrackerConfig::KEYS {
        assert!(text.contains(&format!("--{key} <arg>")), "help lacks --{key}");
    }
    assert!(text.contains("--port <arg>\n"));
    assert!(text.contains("--socket_timeout <arg>\n          timeout for closing connections (defaults to 15)\n"));
}

#[test]
fn option_errors_name_the_problem() {
    let out = run(&["--dfile", "x", "--no_such_option", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--no_such_option"), "{err}");
    assert!(err.contains("run with no arguments for parameter explanations"));
    let out = run(&["--port", "6969"]);
    assert!(String::from_utf8(out.stderr).unwrap().contains("Option --dfile is required."));
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--dfile=x", "--scrape_allowed=sometimes"]);
    assert!(String::from_utf8(out.stderr).unwrap().contains("scrape_allowed"));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn state_survives_a_sigterm_restart() {
    let dir = tempfile::tempdir().unwrap();
    let dfile = dir.path().join("dstate");
    let hash = [0xabu8; 20];
    let t = Tracker::start(&dfile, &["--nat_check", "0"]);
    announce(t.addr, &hash, 1, 0);
    announce(t.addr, &hash, 2, 100);
    announce(t.addr, &hash, 3, 987_654_321_000);
    assert_eq!(scrape(t.addr, &hash), Some((1, 2, 0)));
    let (status, out) = t.stop_with(libc::SIGTERM);
    assert!(status.success(), "{status:?}");
    let last = out.lines().last().unwrap_or("");
    assert!(last.starts_with("# Shutting down: ") && last.ends_with(" UTC"), "{out}");
    assert!(dfile.exists());
    assert_eq!(saved_lefts(&dfile, &hash), vec![0, 100, 987_654_321_000]);
    let t = Tracker::start(&dfile, &["--nat_check", "0"]);
    assert_eq!(scrape(t.addr, &hash), Some((1, 2, 0)));
    let (status, _) = t.stop_with(libc::SIGINT);
    assert!(status.success());
    assert_eq!(saved_lefts(&dfile, &hash), vec![0, 100, 987_654_321_000], "the real left survives restarts");
}

/// The `left` of each peer of `hash` in a state file, by peer id.
fn saved_lefts(dfile: &Path, hash: &[u8; 20]) -> Vec<i64> {
    let bytes = std::fs::read(dfile).unwrap();
    let v = bitgocho::bencode::decode(&bytes, bitgocho::bencode::Limits::default()).unwrap();
    let peers = v.as_dict().unwrap().get_dict(b"peers").unwrap().get_dict(hash).unwrap().clone();
    peers.entries().iter().map(|(_, p)| p.as_dict().unwrap().get_int(b"left").unwrap()).collect()
}

#[test]
fn kill_9_while_saving_leaves_a_loadable_state() {
    let dir = tempfile::tempdir().unwrap();
    let dfile = dir.path().join("dstate");
    let hash = [0x5au8; 20];
    let t = Tracker::start(&dfile, &["--nat_check", "0", "--save_dfile_interval", "1"]);
    for p in 1..=4 {
        announce(t.addr, &hash, p, 50);
    }
    let t0 = Instant::now();
    while !dfile.exists() {
        assert!(t0.elapsed() < Duration::from_secs(10), "no state file written");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Keep the tracker busy with new peers so a save is likely in progress at the kill.
    for p in 5..=120 {
        announce(t.addr, &hash, p, 50);
    }
    let (status, _) = t.stop_with(libc::SIGKILL);
    assert!(!status.success());
    let saved = std::fs::read(&dfile).unwrap();
    assert!(
        bitgocho::bencode::decode(&saved, bitgocho::bencode::Limits::default()).is_ok(),
        "state file is not whole bencode"
    );
    let t = Tracker::start(&dfile, &["--nat_check", "0"]);
    let (complete, incomplete, _) = scrape(t.addr, &hash).expect("torrent restored");
    assert!(complete == 0 && incomplete >= 4, "{incomplete}");
    let (_, out) = t.stop_with(libc::SIGTERM);
    assert!(!out.contains("corrupt"), "{out}");
}

#[test]
fn a_corrupt_state_file_is_reported_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let dfile = dir.path().join("dstate");
    std::fs::write(&dfile, b"d5:peersd20:this is not bencode").unwrap();
    let hash = [0x11u8; 20];
    let t = Tracker::start(&dfile, &["--nat_check", "0"]);
    announce(t.addr, &hash, 9, 0);
    assert_eq!(scrape(t.addr, &hash), Some((1, 0, 0)));
    let (status, out) = t.stop_with(libc::SIGTERM);
    assert!(status.success());
    assert!(out.contains("**warning** statefile") && out.contains("corrupt") && out.contains("resetting"), "{out}");
    let saved = std::fs::read(&dfile).unwrap();
    assert!(bitgocho::bencode::decode(&saved, bitgocho::bencode::Limits::default()).is_ok());
    let aside = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("dstate.corrupt"))
        .expect("the corrupt file was not kept aside");
    assert_eq!(std::fs::read(aside.path()).unwrap(), b"d5:peersd20:this is not bencode");
}

fn need(tool: &str, package: &str) {
    let ok = Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success());
    assert!(ok, "{tool} is missing: install the {package} package (tests/install-deps.sh)");
}

fn need_libtorrent() {
    let ok = Command::new("/usr/bin/python3").args(["-c", "import libtorrent"]).status().is_ok_and(|s| s.success());
    assert!(ok, "python libtorrent is missing: install the python3-libtorrent package (tests/install-deps.sh)");
}

/// Makes `dir/payload.bin` (deterministic, 300 KiB) and a .torrent announcing to `addr`.
fn make_torrent(dir: &Path, addr: SocketAddr) -> (PathBuf, Vec<u8>, [u8; 20]) {
    make_torrent_with(dir, &format!("http://{addr}/announce"))
}

/// Makes `dir/payload.bin` and a .torrent announcing to `announce`.
fn make_torrent_with(dir: &Path, announce: &str) -> (PathBuf, Vec<u8>, [u8; 20]) {
    let data: Vec<u8> = (0..300 * 1024u32).map(|i| (i.wrapping_mul(2654435761) >> 11) as u8).collect();
    std::fs::create_dir_all(dir.join("seed")).unwrap();
    std::fs::write(dir.join("seed/payload.bin"), &data).unwrap();
    let torrent = dir.join("payload.torrent");
    let status = Command::new("mktorrent")
        .args(["-l", "15", "-a", announce])
        .arg("-o")
        .arg(&torrent)
        .arg(dir.join("seed/payload.bin"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "mktorrent failed");
    let meta = std::fs::read(&torrent).unwrap();
    let top = bitgocho::bencode::decode(&meta, bitgocho::bencode::Limits::default()).unwrap();
    let info = top.as_dict().unwrap().get(b"info").unwrap().raw().into_owned();
    use sha1::Digest;
    let hash: [u8; 20] = sha1::Sha1::digest(&info).into();
    (torrent, data, hash)
}

fn start_aria2_seed(dir: &Path, torrent: &Path) -> Child {
    Command::new("aria2c")
        .args([
            "--seed-ratio=0",
            "--enable-dht=false",
            "--enable-dht6=false",
            "--bt-enable-lpd=false",
            "--enable-peer-exchange=false",
            "--check-integrity=true",
            "--bt-tracker-connect-timeout=5",
            "--listen-port=51413-51423",
            "--quiet=true",
        ])
        .arg(format!("--dir={}", dir.join("seed").display()))
        .arg(torrent)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aria2c")
}

/// A libtorrent client (uTP, DHT, LSD off): prints `ANNOUNCED` at its first tracker reply and
/// `SEEDING` once it has the whole torrent (or `STUCK` after 60 s), then stays up for 30 s so
/// the tracker still counts it while the test scrapes.
const LT_CLIENT: &str = r#"
import libtorrent as lt, sys, time
torrent, save = sys.argv[1], sys.argv[2]
ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                  'enable_upnp': False, 'enable_natpmp': False, 'enable_outgoing_utp': False,
                  'enable_incoming_utp': False,
                  'alert_mask': lt.alert.category_t.tracker_notification | lt.alert.category_t.status_notification})
h = ses.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
deadline = time.time() + 60
announced = False
while time.time() < deadline and not h.status().is_seeding:
    for a in ses.pop_alerts():
        if isinstance(a, lt.tracker_reply_alert) and not announced:
            announced = True
            print('ANNOUNCED', flush=True)
    time.sleep(0.05)
s = h.status()
print('SEEDING' if s.is_seeding else 'STUCK %s peers=%d' % (s.state, s.num_peers), flush=True)
time.sleep(30)
"#;

/// Starts the libtorrent client on `torrent`, saving into `save`.
fn start_libtorrent(torrent: &Path, save: &Path) -> (KillOnDrop, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", LT_CLIENT])
        .arg(torrent)
        .arg(save)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start python3 libtorrent client");
    let out = BufReader::new(child.stdout.take().unwrap());
    (KillOnDrop(child), out)
}

fn next_line(r: &mut impl BufRead) -> String {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    line.trim().to_string()
}

/// Polls the scrape of `hash` until `ok` holds (bounded by 30 s).
fn scrape_until(addr: SocketAddr, hash: &[u8; 20], ok: impl Fn((i64, i64, i64)) -> bool) -> (i64, i64, i64) {
    let t0 = Instant::now();
    loop {
        let counts = scrape(addr, hash).unwrap_or((0, 0, 0));
        if ok(counts) {
            return counts;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "scrape stuck at {counts:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn aria2c_seeds_and_libtorrent_downloads_through_bttrack() {
    need("aria2c", "aria2");
    need("mktorrent", "mktorrent");
    need_libtorrent();
    let dir = tempfile::tempdir().unwrap();
    let t = Tracker::start(&dir.path().join("dstate"), &[]);
    let (torrent, data, hash) = make_torrent(dir.path(), t.addr);
    let _seed = KillOnDrop(start_aria2_seed(dir.path(), &torrent));
    scrape_until(t.addr, &hash, |(c, _, _)| c >= 1);
    let leech_dir = dir.path().join("leech");
    std::fs::create_dir_all(&leech_dir).unwrap();
    let (_lt, mut out) = start_libtorrent(&torrent, &leech_dir);
    assert_eq!(next_line(&mut out), "ANNOUNCED");
    assert_eq!(next_line(&mut out), "SEEDING", "libtorrent did not finish the download");
    assert_eq!(std::fs::read(leech_dir.join("payload.bin")).unwrap(), data);
    // Both are seeds now and libtorrent's `completed` was counted.
    let (complete, incomplete, downloaded) = scrape_until(t.addr, &hash, |(c, _, d)| c >= 2 && d >= 1);
    assert_eq!((complete, incomplete, downloaded), (2, 0, 1));
    let (_, full) = t.get("/scrape");
    assert_eq!(scrape_counts(&full, &hash), Some((2, 0, 1)), "full scrape");
}

#[test]
fn libtorrent_and_aria2c_announces_show_in_scrape() {
    need("aria2c", "aria2");
    need("mktorrent", "mktorrent");
    need_libtorrent();
    let dir = tempfile::tempdir().unwrap();
    let t = Tracker::start(&dir.path().join("dstate"), &["--nat_check", "0"]);
    let (torrent, _data, hash) = make_torrent(dir.path(), t.addr);
    let _seed = KillOnDrop(start_aria2_seed(dir.path(), &torrent));
    scrape_until(t.addr, &hash, |(c, _, _)| c == 1);
    // libtorrent announces as a leecher; counted while it runs.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (lt, mut out) = start_libtorrent(&torrent, &empty);
    assert_eq!(next_line(&mut out), "ANNOUNCED");
    let counts = scrape_until(t.addr, &hash, |(c, i, _)| c + i >= 2);
    assert!(counts.0 >= 1, "{counts:?}");
    drop(lt);
}

#[test]
fn logfile_has_the_web_log_and_is_reopened_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("track.log");
    let log_s = log.to_str().unwrap();
    let args = ["--nat_check", "0", "--logfile", log_s, "--hupmonitor", "1", "--min_time_between_log_flushes", "0"];
    let t = Tracker::start(&dir.path().join("dstate"), &args);
    announce(t.addr, &[0x77; 20], 1, 0);
    let rotated = dir.path().join("track.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    let t0 = Instant::now();
    while !std::fs::read_to_string(&rotated).is_ok_and(|s| s.contains("GET /announce")) {
        assert!(t0.elapsed() < Duration::from_secs(10), "announce never logged");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(t.child.id() as i32, libc::SIGHUP) };
    let t0 = Instant::now();
    while !std::fs::read_to_string(&log).is_ok_and(|s| s.contains("# Log reopened: ")) {
        assert!(t0.elapsed() < Duration::from_secs(10), "log not reopened after SIGHUP");
        std::thread::sleep(Duration::from_millis(20));
    }
    announce(t.addr, &[0x77; 20], 2, 0);
    let (status, stdout) = t.stop_with(libc::SIGTERM);
    assert!(status.success());
    assert!(stdout.is_empty(), "stdout should stay empty with --logfile: {stdout}");
    let first = std::fs::read_to_string(&rotated).unwrap();
    assert!(first.starts_with("# Log Started: "), "{first}");
    assert!(first.contains("\"GET /announce?info_hash=%77%77"), "{first}");
    let second = std::fs::read_to_string(&log).unwrap();
    assert!(second.contains("peer_id=%02%02"), "{second}");
    assert!(second.trim_end().ends_with(" UTC") && second.contains("# Shutting down: "), "{second}");
}

#[test]
fn libtorrent_announces_over_udp() {
    need("mktorrent", "mktorrent");
    need_libtorrent();
    let dir = tempfile::tempdir().unwrap();
    let t = Tracker::start(&dir.path().join("dstate"), &["--nat_check", "0"]);
    let (torrent, _data, hash) = make_torrent_with(dir.path(), &format!("udp://{}/announce", t.addr));
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (lt, mut out) = start_libtorrent(&torrent, &empty);
    assert_eq!(next_line(&mut out), "ANNOUNCED", "no UDP tracker reply");
    assert_eq!(scrape_until(t.addr, &hash, |(_, i, _)| i >= 1), (0, 1, 0));
    drop(lt);
}

#[test]
fn binds_a_comma_list_of_ipv4_and_ipv6_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tracker::start(
        &dir.path().join("dstate"),
        &["--nat_check", "0", "--ipv6_enabled", "1", "--bind", "::1,127.0.0.1"],
    );
    assert_eq!(t.addr.ip(), "::1".parse::<std::net::IpAddr>().unwrap());
    let v4 = SocketAddr::from(([127, 0, 0, 1], t.addr.port()));
    let hash = [0x66u8; 20];
    announce(t.addr, &hash, 1, 10);
    announce(v4, &hash, 2, 0);
    assert_eq!(scrape(v4, &hash), Some((1, 1, 0)));
    assert_eq!(scrape(t.addr, &hash), Some((1, 1, 0)));
}
