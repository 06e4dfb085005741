//! HTTP seeding against real HTTP servers on loopback (tests/support/web_seed_server.py: a
//! Range-capable static server for BEP 19 `url-list`, and the BEP 17 `httpseeds` protocol):
//! downloads from web seeds alone (single- and multi-file, odd file names), a corrupt web seed
//! dropped while a libtorrent peer supplies the data, dead (404) and hanging web seeds not
//! stopping a download from a peer, and libtorrent downloading from the same web seed, asking
//! for the same files we do.

#[allow(dead_code)]
mod common;

use bitgocho::metainfo::create::{create, CreateOptions};
use bitgocho::metainfo::hasher::Progress;
use bitgocho::metainfo::Metainfo;
use bitgocho::session::event::SessionEvent;
use bitgocho::session::event_queue::Popped;
use bitgocho::session::{AddParams, Session, SessionSettings, TorrentHandle};
use common::libtorrent::LtPeer;
use common::tls_front::{tls_data, TlsFront};
use common::KillOnDrop;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TRANSFER: Duration = Duration::from_secs(60);
const LIFE: Duration = Duration::from_secs(120);

/// A running tests/support/web_seed_server.py, killed on drop.
struct WebServer {
    _child: KillOnDrop,
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl WebServer {
    /// Starts the server with `args` (options, then mode and its arguments).
    fn start(args: &[&str]) -> WebServer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/web_seed_server.py");
        let py = Path::new("/usr/bin/python3");
        assert!(py.exists(), "/usr/bin/python3 is missing: install the apt package python3");
        let mut child = Command::new(py)
            .arg(script)
            .arg("--life")
            .arg(LIFE.as_secs().to_string())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the web seed server");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let port = first.strip_prefix("PORT ").and_then(|p| p.trim().parse().ok()).expect("server port line");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let sink = requests.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Some(req) = line.strip_prefix("REQ ") {
                    sink.lock().unwrap().push(req.to_string());
                }
            }
        });
        WebServer { _child: KillOnDrop(child), port, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Request lines so far: `<path> <Range header or -> <client port>`.
    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// The distinct percent-decoded paths requested.
    fn paths(&self) -> BTreeSet<String> {
        self.requests().iter().map(|r| decode(r.split(' ').next().unwrap_or(""))).collect()
    }
}

/// Percent-decodes a URL path.
fn decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        if let (b'%', Some(Ok(b))) = (bytes[i], hex.map(|h| u8::from_str_radix(h, 16))) {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Makes a torrent of `target` with mktorrent and the web seed `url` (`-w`, BEP 19 url-list).
fn mktorrent_with_web_seeds(target: &Path, out: &Path, piece_exp: u32, urls: &[String]) -> Arc<Metainfo> {
    common::require_tool("mktorrent", "mktorrent");
    let mut cmd = Command::new("mktorrent");
    cmd.arg("-l").arg(piece_exp.to_string()).arg("-o").arg(out);
    for u in urls {
        cmd.arg("-w").arg(u);
    }
    let result = cmd.arg(target).output().expect("run mktorrent");
    assert!(result.status.success(), "mktorrent failed: {}", String::from_utf8_lossy(&result.stderr));
    let meta = Metainfo::from_file(out).expect("mktorrent's torrent parses");
    assert_eq!(meta.url_list().len(), urls.len(), "mktorrent wrote the url-list");
    Arc::new(meta)
}

/// A single file of 1 MiB + 12345 bytes (not a piece multiple).
fn single_file(root: &Path) -> PathBuf {
    let file = root.join("seed/single file.bin");
    common::write_data(&file, 1024 * 1024 + 12345, 11);
    file
}

/// A multi-file tree with odd names, small files (pieces span several files) and an empty file.
fn multi_file(root: &Path) -> PathBuf {
    let dir = root.join("seed/tr ee");
    common::write_data(&dir.join("ä b&c.bin"), 100_001, 12);
    common::write_data(&dir.join("sub dir/x#y%z+1.bin"), 5_000, 13);
    common::write_data(&dir.join("sub dir/deeper/c.bin"), 300_000, 14);
    common::write_data(&dir.join("sub dir/deeper/one"), 1, 15);
    std::fs::write(dir.join("sub dir/empty"), b"").unwrap();
    common::write_data(&dir.join("z.bin"), 70_000, 16);
    dir
}

/// A session on loopback that keeps every event it pops.
struct Watched {
    session: Session,
    events: Vec<SessionEvent>,
}

impl Watched {
    fn new() -> Watched {
        Watched::with(common::loopback_settings())
    }

    fn with(settings: SessionSettings) -> Watched {
        Watched { session: Session::new(settings).expect("start session"), events: Vec::new() }
    }

    fn add(&self, meta: &Arc<Metainfo>, save: &Path, peers: Vec<std::net::SocketAddr>) -> TorrentHandle {
        let mut params = AddParams::new(meta.clone(), save);
        params.peers = peers;
        self.session.add_torrent(params).expect("add torrent")
    }

    fn drain(&mut self) {
        while let Some(popped) = self.session.pop_event() {
            if let Popped::Event(e) = popped {
                self.events.push(e);
            }
        }
    }

    /// Waits for completion, recording events and the most web seeds seen working at once.
    fn wait_complete(&mut self, t: &TorrentHandle) -> u32 {
        let start = Instant::now();
        let mut most = 0;
        loop {
            self.drain();
            let st = t.status();
            most = most.max(st.web_seeds);
            if st.pieces_total > 0 && st.pieces_have == st.pieces_total {
                return most;
            }
            assert!(st.error.is_none(), "torrent failed: {:?}", st.error);
            assert!(start.elapsed() < TRANSFER, "not complete after {TRANSFER:?}: {st:?}\nevents: {:?}", self.events);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn web_errors(&self) -> Vec<(String, String)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                SessionEvent::WebSeedError { url, message, .. } => Some((url.clone(), message.clone())),
                _ => None,
            })
            .collect()
    }
}

/// Downloads `meta` with no peer at all, only its web seeds; compares the bytes with `seed_dir`.
fn download_from_web_seeds_only(meta: &Arc<Metainfo>, seed_dir: &Path, down: &Path) -> Watched {
    download_from_web_seeds_with(common::loopback_settings(), meta, seed_dir, down)
}

/// [`download_from_web_seeds_only`] in a session with `settings`.
fn download_from_web_seeds_with(
    settings: SessionSettings,
    meta: &Arc<Metainfo>,
    seed_dir: &Path,
    down: &Path,
) -> Watched {
    let mut w = Watched::with(settings);
    let t = w.add(meta, down, Vec::new());
    let most = w.wait_complete(&t);
    assert!(most >= 1, "the status never showed a working web seed");
    let st = t.status();
    assert!(st.downloaded >= meta.total_length(), "downloaded {} of {} bytes", st.downloaded, meta.total_length());
    assert_eq!(st.peers, 0, "no peer was involved");
    common::assert_same_files(meta, seed_dir, down);
    assert!(w.web_errors().is_empty(), "web seed errors: {:?}", w.web_errors());
    w
}

#[test]
fn url_seed_single_file_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let file = single_file(tmp.path());
    let server = WebServer::start(&["files", tmp.path().join("seed").to_str().unwrap()]);
    // The URL names the file itself (BEP 19 single-file form).
    let url = server.url("/single%20file.bin");
    let meta = mktorrent_with_web_seeds(&file, &tmp.path().join("t.torrent"), 15, &[url]);
    download_from_web_seeds_only(&meta, &tmp.path().join("seed"), &tmp.path().join("down"));
    let reqs = server.requests();
    assert!(reqs.iter().all(|r| r.starts_with("/single%20file.bin bytes=")), "{reqs:?}");
    let spans: Vec<u64> = reqs
        .iter()
        .filter_map(|r| {
            let (a, b) = r.split("bytes=").nth(1)?.split(' ').next()?.split_once('-')?;
            Some(b.parse::<u64>().ok()? - a.parse::<u64>().ok()? + 1)
        })
        .collect();
    assert!(spans.iter().sum::<u64>() >= meta.total_length(), "every byte asked for: {reqs:?}");
    assert!(spans.iter().any(|n| *n > meta.piece_length()), "runs of pieces in one request: {reqs:?}");
}

#[test]
fn url_seed_multi_file_alone_with_odd_names() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = multi_file(tmp.path());
    let server = WebServer::start(&["files", tmp.path().to_str().unwrap()]);
    // A directory URL without the trailing slash (mktorrent would add one): the slash is added.
    let mut opts = CreateOptions::new(&dir, "");
    opts.piece_size_pow2 = 15;
    opts.url_list = vec![server.url("/seed")];
    let meta = Arc::new(Metainfo::from_bytes(&create(&opts, &Progress::new()).expect("create torrent")).unwrap());
    assert_eq!(meta.url_list(), [server.url("/seed/")], "the metainfo parser adds the slash");
    download_from_web_seeds_only(&meta, &tmp.path().join("seed"), &tmp.path().join("down"));
    let want: BTreeSet<String> =
        ["ä b&c.bin", "sub dir/x#y%z+1.bin", "sub dir/deeper/c.bin", "sub dir/deeper/one", "z.bin"]
            .iter()
            .map(|f| format!("/seed/tr ee/{f}"))
            .collect();
    assert_eq!(server.paths(), want, "every non-empty file fetched by its own URL");
}

#[test]
fn url_seed_over_https_multi_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = multi_file(tmp.path());
    let server = WebServer::start(&["files", tmp.path().to_str().unwrap()]);
    let front = TlsFront::start(([127, 0, 0, 1], server.port).into());
    let mut opts = CreateOptions::new(&dir, "");
    opts.piece_size_pow2 = 15;
    opts.url_list = vec![front.url("/seed/")];
    let meta = Arc::new(Metainfo::from_bytes(&create(&opts, &Progress::new()).expect("create torrent")).unwrap());
    let trusting = SessionSettings { tls_ca_file: Some(tls_data("ca.pem")), ..common::loopback_settings() };
    download_from_web_seeds_with(trusting, &meta, &tmp.path().join("seed"), &tmp.path().join("down"));
    assert_eq!(server.paths().len(), 5, "every non-empty file fetched through TLS: {:?}", server.paths());
    // Without the test CA the seed is not trusted, and the error says why.
    let mut w = Watched::new();
    let t = w.add(&meta, &tmp.path().join("down2"), Vec::new());
    let deadline = Instant::now() + TRANSFER;
    while w.web_errors().is_empty() && Instant::now() < deadline {
        w.drain();
        std::thread::sleep(Duration::from_millis(50));
    }
    let errors = w.web_errors();
    assert!(errors.iter().any(|(_, m)| m.contains("UnknownIssuer")), "{errors:?}");
    assert_eq!(t.status().pieces_have, 0);
}

#[test]
fn http_seed_bep17_alone_after_a_busy_reply() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = multi_file(tmp.path());
    let make = |url: &str| {
        let mut opts = CreateOptions::new(&dir, "");
        opts.piece_size_pow2 = 15;
        opts.httpseeds = vec![url.to_string()];
        Arc::new(Metainfo::from_bytes(&create(&opts, &Progress::new()).expect("create torrent")).unwrap())
    };
    let probe = make("http://placeholder/");
    let hash: String = probe.info_hash_v1().unwrap().iter().map(|b| format!("{b:02x}")).collect();
    let files: Vec<String> =
        (0..probe.files().len()).map(|i| probe.file_path(i).unwrap().display().to_string()).collect();
    let plen = probe.piece_length().to_string();
    let root = tmp.path().join("seed");
    let mut args = vec!["--busy-first", "1", "httpseed", root.to_str().unwrap(), &plen, &hash];
    args.extend(files.iter().map(String::as_str));
    let server = WebServer::start(&args);
    let meta = make(&server.url("/seed.php"));
    assert_eq!(meta.info_hash_v1(), probe.info_hash_v1());
    let mut w = Watched::new();
    let t = w.add(&meta, &tmp.path().join("down"), Vec::new());
    w.wait_complete(&t);
    common::assert_same_files(&meta, &root, &tmp.path().join("down"));
    let errors = w.web_errors();
    assert!(errors.len() == 1 && errors[0].1.contains("503"), "one busy reply reported: {errors:?}");
    let reqs = server.requests();
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    let enc: String = meta
        .info_hash_v1()
        .unwrap()
        .iter()
        .map(|&b| if unreserved(b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    assert!(reqs.iter().all(|r| r.starts_with(&format!("/seed.php?info_hash={enc}&piece="))), "{reqs:?}");
    let pieces: BTreeSet<&str> =
        reqs.iter().filter_map(|r| r.split("&piece=").nth(1)?.split([' ', '&']).next()).collect();
    assert_eq!(pieces.len(), meta.piece_count() as usize, "every piece asked for: {reqs:?}");
}

#[test]
fn corrupt_web_seed_is_dropped_and_a_libtorrent_peer_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let file = single_file(tmp.path());
    let server = WebServer::start(&["--corrupt", "files", tmp.path().join("seed").to_str().unwrap()]);
    let url = server.url("/");
    let torrent = tmp.path().join("t.torrent");
    let meta = mktorrent_with_web_seeds(&file, &torrent, 15, std::slice::from_ref(&url));
    // libtorrent uploads slowly, so the web seed surely delivers (corrupt) pieces first.
    let mut lt = LtPeer::start_limited(&torrent, &tmp.path().join("seed"), &[], LIFE, 256 * 1024);
    lt.wait_seeding(TRANSFER);
    let mut w = Watched::new();
    let t = w.add(&meta, &tmp.path().join("down"), vec![lt.addr()]);
    w.wait_complete(&t);
    common::assert_same_files(&meta, &tmp.path().join("seed"), &tmp.path().join("down"));
    let errors = w.web_errors();
    assert!(
        errors.iter().any(|(u, m)| *u == url && m.contains("corrupt")),
        "the corrupt web seed was reported: {errors:?}"
    );
    assert!(w.events.iter().any(|e| matches!(e, SessionEvent::HashFailed { .. })), "a piece failed its hash");
    assert_eq!(t.status().web_seeds, 0, "the web seed was dropped");
    let served = server.requests().len();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.requests().len(), served, "no request after the ban");
}

#[test]
fn dead_and_hanging_web_seeds_do_not_stop_a_download_from_a_peer() {
    let tmp = tempfile::tempdir().unwrap();
    let file = single_file(tmp.path());
    let seed = tmp.path().join("seed");
    let missing = WebServer::start(&["--status", "404", "files", seed.to_str().unwrap()]);
    let hanging = WebServer::start(&["--hang", "files", seed.to_str().unwrap()]);
    let urls = vec![missing.url("/"), hanging.url("/")];
    let torrent = tmp.path().join("t.torrent");
    let meta = mktorrent_with_web_seeds(&file, &torrent, 15, &urls);
    let mut lt = LtPeer::start(&torrent, &seed, &[], LIFE);
    lt.wait_seeding(TRANSFER);
    let mut w = Watched::new();
    let t = w.add(&meta, &tmp.path().join("down"), vec![lt.addr()]);
    let start = Instant::now();
    w.wait_complete(&t);
    assert!(start.elapsed() < Duration::from_secs(25), "the hanging seed held the download up: {:?}", start.elapsed());
    common::assert_same_files(&meta, &seed, &tmp.path().join("down"));
    let errors = w.web_errors();
    assert!(errors.iter().any(|(u, m)| *u == urls[0] && m.contains("404")), "the 404 was reported: {errors:?}");
    assert!(!hanging.requests().is_empty(), "the hanging seed was asked");
}

#[test]
fn libtorrent_fetches_the_same_files_from_the_same_web_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = multi_file(tmp.path());
    let seed = tmp.path().join("seed");
    let ours = WebServer::start(&["files", seed.to_str().unwrap()]);
    let theirs = WebServer::start(&["files", seed.to_str().unwrap()]);
    // The same torrent for both clients: the url-list names both servers' roots by path, so
    // each client is pointed at its own server by the port alone.
    let torrent = tmp.path().join("t.torrent");
    let meta = mktorrent_with_web_seeds(&dir, &torrent, 15, &[theirs.url("/")]);
    let mut lt = LtPeer::start(&torrent, &tmp.path().join("lt"), &[], LIFE);
    lt.wait_seeding(TRANSFER);
    common::assert_same_files(&meta, &seed, &tmp.path().join("lt"));
    let ours_meta = mktorrent_with_web_seeds(&dir, &tmp.path().join("ours.torrent"), 15, &[ours.url("/")]);
    assert_eq!(ours_meta.info_hash_v1(), meta.info_hash_v1());
    download_from_web_seeds_only(&ours_meta, &seed, &tmp.path().join("down"));
    assert_eq!(ours.paths(), theirs.paths(), "we ask for the files libtorrent asks for");
    let ranged = |s: &WebServer| s.requests().iter().all(|r| r.contains(" bytes="));
    assert!(ranged(&ours) && ranged(&theirs), "both send Range requests");
}

#[test]
fn btdownloadheadless_downloads_from_a_web_seed_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    let file = single_file(tmp.path());
    let server = WebServer::start(&["files", tmp.path().join("seed").to_str().unwrap()]);
    let torrent = tmp.path().join("t.torrent");
    mktorrent_with_web_seeds(&file, &torrent, 15, &[server.url("/")]);
    let out = tmp.path().join("out.bin");
    let mut child = common::headless_cmd(tmp.path())
        .arg("--saveas")
        .arg(&out)
        .arg(&torrent)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start btdownloadheadless");
    let stdout = child.stdout.take().expect("stdout");
    let _child = KillOnDrop(child);
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let mut t = sink.lock().unwrap();
            t.push_str(&line);
            t.push('\n');
        }
    });
    common::wait_for("Download Succeeded! from btdownloadheadless", TRANSFER, || {
        text.lock().unwrap().contains("Download Succeeded!")
    });
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&file).unwrap());
    assert!(!server.requests().is_empty(), "the web seed was used");
    assert!(!text.lock().unwrap().contains("http seed"), "no web seed error: {}", text.lock().unwrap());
}

#[test]
fn web_seeds_setting_off_leaves_them_unused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = single_file(tmp.path());
    let server = WebServer::start(&["files", tmp.path().join("seed").to_str().unwrap()]);
    let meta = mktorrent_with_web_seeds(&file, &tmp.path().join("t.torrent"), 15, &[server.url("/")]);
    let settings = SessionSettings { listen: false, web_seeds: false, ..SessionSettings::default() };
    let session = Session::new(settings).expect("start session");
    let t = session.add_torrent(AddParams::new(meta, tmp.path().join("down"))).expect("add torrent");
    common::wait_status(&t, "downloading state", TRANSFER, |s| {
        s.state == bitgocho::session::status::TorrentState::Downloading
    });
    std::thread::sleep(Duration::from_secs(1));
    let st = t.status();
    assert_eq!((st.pieces_have, st.web_seeds, st.downloaded), (0, 0, 0));
    assert!(server.requests().is_empty(), "the web seed was asked: {:?}", server.requests());
}

#[test]
fn redirects_are_followed_with_the_range_and_loops_are_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let file = single_file(tmp.path());
    let seed = tmp.path().join("seed");
    let moved = WebServer::start(&["--redirect", "files", seed.to_str().unwrap()]);
    let meta = mktorrent_with_web_seeds(&file, &tmp.path().join("t.torrent"), 15, &[moved.url("/")]);
    download_from_web_seeds_only(&meta, &seed, &tmp.path().join("down"));
    let reqs = moved.requests();
    assert!(reqs.iter().any(|r| r.starts_with("/moved/single%20file.bin bytes=")), "Range kept: {reqs:?}");

    let looping = WebServer::start(&["--redirect-loop", "files", seed.to_str().unwrap()]);
    let meta = mktorrent_with_web_seeds(&file, &tmp.path().join("loop.torrent"), 15, &[looping.url("/")]);
    let mut w = Watched::new();
    let _t = w.add(&meta, &tmp.path().join("down2"), Vec::new());
    common::wait_for("a redirect-loop error", Duration::from_secs(20), || {
        w.drain();
        !w.web_errors().is_empty()
    });
    let errors = w.web_errors();
    assert!(errors[0].1.contains("redirected more than 5 times"), "{errors:?}");
    common::wait_for("the server to log the requests", Duration::from_secs(5), || looping.requests().len() >= 6);
    assert_eq!(looping.requests().len(), 6, "the first request and 5 redirects: {:?}", looping.requests());
}

#[test]
fn unusable_web_seed_urls_are_reported_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let file = single_file(tmp.path());
    let urls = ["udp://127.0.0.1:1/x".to_string(), "ftp://127.0.0.1/x".to_string()];
    let meta = mktorrent_with_web_seeds(&file, &tmp.path().join("t.torrent"), 15, &urls);
    let mut w = Watched::new();
    let _t = w.add(&meta, &tmp.path().join("down"), Vec::new());
    common::wait_for("two web seed errors", Duration::from_secs(10), || {
        w.drain();
        w.web_errors().len() >= 2
    });
    let errors = w.web_errors();
    assert!(errors[0].0 == urls[0] && errors[0].1.contains("udp web seeds are not supported"), "{errors:?}");
    assert!(errors[1].0 == urls[1] && errors[1].1.contains("not usable"), "{errors:?}");
}

/// The distinct client ports (connections) of a server's requests.
fn connections(server: &WebServer) -> BTreeSet<String> {
    server.requests().iter().filter_map(|r| r.rsplit(' ').next().map(str::to_string)).collect()
}

#[test]
fn connections_are_kept_alive_and_a_dropped_one_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = multi_file(tmp.path());
    let seed = tmp.path().join("seed");
    let server = WebServer::start(&["files", seed.to_str().unwrap()]);
    let meta = mktorrent_with_web_seeds(&dir, &tmp.path().join("t.torrent"), 15, &[server.url("/")]);
    download_from_web_seeds_only(&meta, &seed, &tmp.path().join("down"));
    let (requests, conns) = (server.requests().len(), connections(&server).len());
    assert!(requests >= 5 && conns < requests, "{conns} connections for {requests} requests");

    let dropping = WebServer::start(&["--drop-idle", "files", seed.to_str().unwrap()]);
    let meta = mktorrent_with_web_seeds(&dir, &tmp.path().join("d.torrent"), 15, &[dropping.url("/")]);
    download_from_web_seeds_only(&meta, &seed, &tmp.path().join("down2"));
    let (requests, conns) = (dropping.requests().len(), connections(&dropping).len());
    assert_eq!(conns, requests, "one connection per request when the server drops them");
}
