//! `btlaunchmany` as a process: torrents found in a directory are seeded (to a real libtorrent
//! leecher) or downloaded (from a real libtorrent seeder), files added to or removed from the
//! directory start and stop torrents, SIGINT shuts everything down with exit 0. Loopback only;
//! every wait is bounded.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;
use common::KillOnDrop;

const LAUNCHMANY: &str = env!("CARGO_BIN_EXE_btlaunchmany");
const WAIT: Duration = Duration::from_secs(60);

fn need_tools() {
    let ok = Command::new("sh").args(["-c", "command -v mktorrent"]).output().is_ok_and(|o| o.status.success());
    assert!(ok, "mktorrent is missing: install the mktorrent package (tests/install-deps.sh)");
    let ok = Command::new("/usr/bin/python3").args(["-c", "import libtorrent"]).status().is_ok_and(|s| s.success());
    assert!(ok, "python libtorrent is missing: install the python3-libtorrent package (tests/install-deps.sh)");
}

fn make(data_dir: &Path, name: &str, len: usize, out: &Path) -> Vec<u8> {
    let data: Vec<u8> =
        (0..len as u32).map(|i| (i.wrapping_add(len as u32).wrapping_mul(2654435761) >> 9) as u8).collect();
    std::fs::write(data_dir.join(name), &data).unwrap();
    let ok = Command::new("mktorrent")
        .args(["-l", "15", "-o"])
        .arg(out)
        .arg(data_dir.join(name))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success(), "mktorrent failed");
    data
}

const LT: &str = r#"
import libtorrent as lt, sys, time
mode, torrent, save, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                  'enable_upnp': False, 'enable_natpmp': False, 'enable_outgoing_utp': False,
                  'enable_incoming_utp': False})
h = ses.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
deadline = time.time() + 45
last = 0
while time.time() < deadline and not h.status().is_seeding:
    if port and time.time() - last > 2 and h.status().num_peers == 0:
        h.connect_peer(('127.0.0.1', port))
        last = time.time()
    time.sleep(0.05)
if mode == 'seed':
    print('PORT %d' % ses.listen_port(), flush=True)
    time.sleep(60)
else:
    print('DONE' if h.status().is_seeding else 'STUCK', flush=True)
"#;

fn libtorrent(mode: &str, torrent: &Path, save: &Path, port: u16) -> (KillOnDrop, String) {
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", LT, mode])
        .arg(torrent)
        .arg(save)
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start python3 libtorrent");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (KillOnDrop(child), line.trim().to_string())
}

/// Lines of the running launcher's stdout, with a bounded wait for a matching one.
/// `torrents`, `data` and `seed` directories made under `root`.
fn work_dirs(root: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let dirs = ["torrents", "data", "seed"].map(|d| root.join(d));
    for d in &dirs {
        std::fs::create_dir_all(d).unwrap();
    }
    let [torrents, data, seed] = dirs;
    (torrents, data, seed)
}

struct Lines(Receiver<String>, String);

impl Lines {
    fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let line = self
                .0
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("no line with {needle:?}; output:\n{}", self.1));
            self.1.push_str(&line);
            self.1.push('\n');
            if line.contains(needle) {
                return;
            }
        }
    }
}

#[test]
fn seeds_downloads_follows_the_directory_and_stops_on_sigint() {
    need_tools();
    let tmp = tempfile::tempdir().unwrap();
    let (torrents, data, seed) = work_dirs(tmp.path());
    let one = make(&data, "one.bin", 400_000, &torrents.join("one.torrent"));
    let two = make(&seed, "two.bin", 900_000, &tmp.path().join("two.torrent"));
    let (_seeder, line) = libtorrent("seed", &tmp.path().join("two.torrent"), &seed, 0);
    let seeder_port = line.strip_prefix("PORT ").unwrap_or_else(|| panic!("libtorrent seeder: {line}"));
    let port = common::ports::free_port().to_string();
    let mut child = KillOnDrop(
        Command::new(LAUNCHMANY)
            .env("HOME", tmp.path())
            .arg(&torrents)
            .args(["--saveas_style", "2", "--saveas"])
            .arg(&data)
            .args(["--parse_dir_interval", "1", "--display_interval", "0.2", "--minport", &port, "--maxport", &port])
            .args(["--peer", &format!("127.0.0.1:{seeder_port}"), "--display_path", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start btlaunchmany"),
    );
    let (tx, rx) = mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut out = Lines(rx, String::new());
    out.wait_for(&format!("### added \"{}\"", torrents.join("one.torrent").display()));
    out.wait_for("\"one.bin\": \"seeding\" (100.0%)");
    // libtorrent downloads one.bin from us.
    let leech = tmp.path().join("leech");
    std::fs::create_dir_all(&leech).unwrap();
    let (_leecher, verdict) = libtorrent("leech", &torrents.join("one.torrent"), &leech, port.parse().unwrap());
    assert_eq!(verdict, "DONE", "libtorrent could not download from btlaunchmany");
    assert_eq!(std::fs::read(leech.join("one.bin")).unwrap(), one);
    // A torrent dropped into the directory is picked up and downloaded from the seeder.
    std::fs::copy(tmp.path().join("two.torrent"), torrents.join("two.torrent")).unwrap();
    out.wait_for("### added");
    out.wait_for("\"two.bin\": \"seeding\" (100.0%)");
    assert_eq!(std::fs::read(data.join("two.bin")).unwrap(), two);
    // Removing a .torrent file stops that torrent.
    std::fs::remove_file(torrents.join("one.torrent")).unwrap();
    out.wait_for("### dropped");
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.0.id() as i32, libc::SIGINT) }, 0);
    out.wait_for("### shutting down");
    out.wait_for(&format!("### dropped \"{}\"", torrents.join("two.torrent").display()));
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "btlaunchmany did not exit after SIGINT");
        let _ = out.0.recv_timeout(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

/// Starts btlaunchmany on `torrents` with `args` in `home` (also its working directory),
/// returning it and its stdout lines.
fn launch(home: &Path, torrents: &Path, args: &[&str]) -> (KillOnDrop, Lines) {
    let mut child = KillOnDrop(
        Command::new(LAUNCHMANY)
            .env("HOME", home)
            .current_dir(home)
            .arg(torrents)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start btlaunchmany"),
    );
    let (tx, rx) = mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (child, Lines(rx, String::new()))
}

#[test]
fn save_styles_find_existing_data() {
    need_tools();
    let tmp = tempfile::tempdir().unwrap();
    let torrents = tmp.path().join("torrents");
    let content = tmp.path().join("content");
    std::fs::create_dir_all(content.join("album/cd1")).unwrap();
    std::fs::create_dir_all(&torrents).unwrap();
    // Style 1: single-file data named after the .torrent file, not after info.name.
    let single = make(&content, "song.bin", 100_000, &torrents.join("renamed.torrent"));
    std::fs::write(torrents.join("renamed"), &single).unwrap();
    // Multi-file data for style 3: <dir>/<torrent name>/ holds the files themselves.
    std::fs::write(content.join("album/a.bin"), vec![7u8; 70_000]).unwrap();
    std::fs::write(content.join("album/cd1/b.bin"), vec![9u8; 40_000]).unwrap();
    let ok = Command::new("mktorrent")
        .args(["-l", "15", "-o"])
        .arg(torrents.join("album.torrent"))
        .arg(content.join("album"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success());
    let (_child, mut out) = launch(tmp.path(), &torrents, &["--display_interval", "0.2"]);
    out.wait_for("renamed.torrent\": \"seeding\" (100.0%)");
    assert!(!out.1.contains("album.torrent\": \"seeding"), "style 1 cannot find the album's data");
    drop(_child);
    // Style 3 with --saveas: <saveas>/<torrent file name>/ is the album directory; the paths are
    // given relative to the working directory.
    let saved = tmp.path().join("saved");
    std::fs::create_dir_all(&saved).unwrap();
    std::fs::rename(content.join("album"), saved.join("album")).unwrap();
    std::fs::create_dir_all(saved.join("renamed")).unwrap();
    std::fs::write(saved.join("renamed/song.bin"), &single).unwrap();
    let args = ["--saveas_style", "3", "--saveas", "saved", "--display_interval", "0.2"];
    let (_child, mut out) = launch(tmp.path(), Path::new("torrents"), &args);
    out.wait_for("album.torrent\": \"seeding\" (100.0%)");
    out.wait_for("renamed.torrent\": \"seeding\" (100.0%)");
}

#[test]
fn refuses_a_missing_directory() {
    let out = Command::new(LAUNCHMANY).arg("/no/such/dir").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Warning: /no/such/dir is not a directory"));
    let out = Command::new(LAUNCHMANY).args(["/tmp", "--saveas_style", "4"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--saveas_style must be 1, 2 or 3, got 4"));
    let out = Command::new(LAUNCHMANY).args(["/tmp", "--url", "http://h/x.torrent"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("btlaunchmany takes a directory of .torrent files; --url is for btdownloadheadless"), "{err}");
}

/// `--max_active_downloads 1`: of two torrents found, one downloads while the other is shown
/// `queued`, then it downloads too.
#[test]
fn max_active_downloads_queues_the_rest() {
    need_tools();
    let tmp = tempfile::tempdir().unwrap();
    let (torrents, data, seed) = work_dirs(tmp.path());
    let seeder = common::loopback_session();
    let mut files = Vec::new();
    for name in ["a.bin", "b.bin"] {
        let torrent = torrents.join(name.replace(".bin", ".torrent"));
        files.push((name, make(&seed, name, 500_000, &torrent)));
        let meta = std::sync::Arc::new(bitgocho::metainfo::Metainfo::from_file(&torrent).unwrap());
        let t = seeder.add_torrent(bitgocho::session::AddParams::new(meta, &seed)).unwrap();
        common::wait_status(&t, "seed", WAIT, common::seeding);
    }
    let peer = common::session_addr(&seeder).to_string();
    let saveas = data.to_str().unwrap();
    let args = ["--saveas_style", "2", "--saveas", saveas, "--display_interval", "0.2", "--peer", &peer];
    let limits = ["--display_path", "0", "--max_active_downloads", "1", "--max_download_rate", "200"];
    let (_child, mut out) = launch(tmp.path(), &torrents, &[&args[..], &limits[..]].concat());
    out.wait_for("\"queued\"");
    out.wait_for("\"a.bin\": \"seeding\" (100.0%)");
    out.wait_for("\"b.bin\": \"seeding\" (100.0%)");
    for (name, bytes) in files {
        assert_eq!(std::fs::read(data.join(name)).unwrap(), bytes, "{name}");
    }
}
