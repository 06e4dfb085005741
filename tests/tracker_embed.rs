//! The embedded tracker as a C host uses it: examples/c/embed_tracker.c is built against the
//! INSTALLED library with nothing but `pkg-config` (`make install` into a temporary prefix,
//! `-Wall -Wextra -Werror`), started on a free loopback port, and a real client, aria2c, seeds
//! a torrent made by mktorrent whose announce URL is the example. The scrape through the example
//! must show aria2c as the torrent's seed, `/` must be the host's own page, and SIGINT must stop
//! it cleanly. Then the whole run again under valgrind (no leaks, no errors).
//! Needs the release libraries: `make build` (or `make test`) first.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bitgocho::metainfo::Metainfo;

#[path = "support/c_harness.rs"]
mod c_harness;

use c_harness::{compile, prefix, require_tool, root, run, scratch, Build};

/// The example, compiled once with only pkg-config's flags against the installed prefix.
fn example() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = scratch("bin").join("embed_tracker");
        compile(&[root().join("examples/c/embed_tracker.c")], &bin, Build::Plain);
        bin
    })
}

/// A running example and the port it printed.
struct Host {
    child: Child,
    stdout: BufReader<ChildStdout>,
    port: u16,
}

impl Host {
    fn start(valgrind: bool, dir: &Path) -> Host {
        let mut cmd = if valgrind { c_harness::valgrind(example(), 1) } else { Command::new(example()) };
        cmd.args(["--port", "0", "--set", "reannounce_interval=60"])
            .arg("--set")
            .arg(format!("dfile={}", dir.join("dstate").display()))
            .env("LD_LIBRARY_PATH", prefix().join("lib"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start embed_tracker");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the port line");
        let port = line.trim().parse().unwrap_or_else(|_| panic!("first line is not a port: {line:?}"));
        Host { child, stdout, port }
    }

    /// GET `target` from the example: (status line, body).
    fn get(&self, target: &str) -> (String, Vec<u8>) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to embed_tracker");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(s, "GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut reply = Vec::new();
        s.read_to_end(&mut reply).expect("read the reply");
        let split = reply.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete HTTP head");
        let head = String::from_utf8_lossy(&reply[..split]).into_owned();
        (head.lines().next().unwrap_or("").to_string(), reply[split + 4..].to_vec())
    }

    /// SIGINT, then the exit status and the rest of stdout and stderr (bounded wait).
    fn stop(mut self) -> (bool, String, String) {
        run(Command::new("kill").arg("-INT").arg(self.child.id().to_string()));
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for embed_tracker") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("embed_tracker did not stop within 60 s of SIGINT");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut out = String::new();
        self.stdout.read_to_string(&mut out).unwrap();
        let mut err = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        (status.success(), out, err)
    }
}

/// Percent-encodes every byte.
fn pct(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

/// A small payload and its torrent, announcing to `port`; returns (torrent, info-hash).
fn make_torrent(dir: &Path, port: u16) -> (PathBuf, [u8; 20]) {
    require_tool("mktorrent", "mktorrent");
    let data = dir.join("payload.bin");
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&data, bytes).unwrap();
    let torrent = dir.join("payload.torrent");
    run(Command::new("mktorrent")
        .arg("-a")
        .arg(format!("http://127.0.0.1:{port}/announce"))
        .arg("-o")
        .arg(&torrent)
        .arg(&data));
    let hash = Metainfo::from_file(&torrent).expect("mktorrent's torrent parses").info_hash_v1().expect("a v1 hash");
    (torrent, hash)
}

/// aria2c seeding the payload (checked with -V first), no DHT, no LPD.
fn seed_with_aria2(dir: &Path, torrent: &Path) -> Child {
    require_tool("aria2c", "aria2");
    let log = std::fs::File::create(dir.join("aria2.log")).unwrap();
    Command::new("aria2c")
        .args(["-V", "--seed-ratio=0", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false"])
        .args(["--enable-peer-exchange=false", "--listen-port=36881-36999", "--summary-interval=0"])
        .args(["--console-log-level=warn", "--no-conf=true"])
        .arg(format!("--dir={}", dir.display()))
        .arg(torrent)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start aria2c")
}

/// The whole scenario against one running example.
fn scenario(valgrind: bool, name: &str) {
    let dir = scratch(name);
    let host = Host::start(valgrind, &dir);
    let (torrent, hash) = make_torrent(&dir, host.port);
    let mut aria = seed_with_aria2(&dir, &torrent);
    let scrape = format!("/scrape?info_hash={}", pct(&hash));
    let want: Vec<u8> = [&b"d5:filesd20:"[..], &hash, b"d8:completei1e"].concat();
    let deadline = Instant::now() + Duration::from_secs(if valgrind { 90 } else { 30 });
    let mut last = Vec::new();
    while Instant::now() < deadline && !last.starts_with(&want) {
        std::thread::sleep(Duration::from_millis(200));
        let (status, body) = host.get(&scrape);
        assert_eq!(status, "HTTP/1.0 200 OK", "{}", String::from_utf8_lossy(&body));
        last = body;
    }
    let _ = aria.kill();
    let _ = aria.wait();
    assert!(
        last.starts_with(&want),
        "aria2c never showed up as a seed in the scrape: {:?}\naria2c log:\n{}",
        String::from_utf8_lossy(&last),
        std::fs::read_to_string(dir.join("aria2.log")).unwrap_or_default()
    );
    let (status, page) = host.get("/");
    assert_eq!(status, "HTTP/1.0 200 OK");
    let page = String::from_utf8_lossy(&page);
    assert!(page.contains("Host page of embed_tracker") && page.contains("torrents 1, seeds 1"), "{page}");
    let (status, page) = host.get("/favicon.ico");
    assert!(status.ends_with("200 OK") && String::from_utf8_lossy(&page).contains("Host page"), "{status}");
    let (ok, out, err) = host.stop();
    assert!(ok, "embed_tracker failed (valgrind: {valgrind})\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("stopped: torrents 1, seeds 1,"), "{out}");
    let saved = std::fs::read(dir.join("dstate")).expect("the state file was saved on SIGINT");
    assert!(saved.windows(20).any(|w| w == hash), "the state file lacks the torrent");
}

#[test]
fn aria2c_seeds_through_the_embedded_tracker() {
    scenario(false, "native");
}

#[test]
fn the_embedded_tracker_under_valgrind() {
    scenario(true, "valgrind");
}
