//! The session C API end to end: examples/c/download.c and examples/cpp/download.cpp are built
//! against the INSTALLED library with nothing but pkg-config (-Wall -Wextra -Werror), a torrent
//! is made with mktorrent, REAL libtorrent (Debian's python3-libtorrent, uTP off) seeds it on
//! 127.0.0.1, and each example downloads it with `--peer`, natively and under valgrind
//! (`--leak-check=full`, no errors, no leaks). The downloaded bytes are compared with the
//! original. Also: our C example seeding (`--seed`) to our C++ example, stopped by SIGTERM.
//! Needs the release libraries: `make test` builds them first (or run `make build`).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[path = "support/c_harness.rs"]
mod c_harness;

use c_harness::{compile, prefix, require_tool, root, run, scratch, Build};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;
use common::KillOnDrop;

/// Builds an example with only pkg-config's flags and strict warnings; returns the binary.
fn build_example(source: &str, name: &str) -> PathBuf {
    let bin = scratch(&format!("bin-{name}")).join(name);
    compile(&[root().join(source)], &bin, Build::Plain);
    bin
}

fn c_example() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_example("examples/c/download.c", "download-c"))
}

fn cpp_example() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_example("examples/cpp/download.cpp", "download-cpp"))
}

/// Deterministic pseudo-random bytes.
fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Writes a multi-file directory `name` under `dir` and makes `<name>.torrent` with mktorrent
/// (32 KiB pieces, a file boundary inside a piece); returns (data dir, torrent).
fn make_torrent(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    require_tool("mktorrent", "mktorrent");
    let data = dir.join(name);
    std::fs::create_dir_all(data.join("sub")).unwrap();
    std::fs::write(data.join("a.bin"), payload(1_000_003, 11)).unwrap();
    std::fs::write(data.join("sub/b.bin"), payload(700_001, 12)).unwrap();
    std::fs::write(data.join("c.txt"), b"small file\n").unwrap();
    let torrent = dir.join(format!("{name}.torrent"));
    run(Command::new("mktorrent").args(["-l", "15", "-d", "-o"]).arg(&torrent).arg(&data));
    (data, torrent)
}

/// Every file under `dir`, relative path to contents.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// The libtorrent seeder: prints its port once seeding, then serves until killed (or 180 s).
const SEEDER: &str = r#"
import sys, time
import libtorrent as lt
torrent, save = sys.argv[1], sys.argv[2]
s = lt.session({
    "listen_interfaces": "127.0.0.1:0",
    "enable_outgoing_utp": False, "enable_incoming_utp": False,
    "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
})
h = s.add_torrent({"ti": lt.torrent_info(torrent), "save_path": save})
deadline = time.time() + 30
while not h.status().is_seeding:
    if time.time() > deadline:
        sys.exit("libtorrent did not finish checking: %s" % h.status().state)
    time.sleep(0.05)
print(s.listen_port(), flush=True)
end = time.time() + 180
while time.time() < end:
    time.sleep(0.2)
"#;

/// Starts libtorrent seeding `torrent` from `save`; returns it and its port.
fn libtorrent_seeder(torrent: &Path, save: &Path) -> (KillOnDrop, u16) {
    let python = "/usr/bin/python3";
    let probe = Command::new(python).args(["-c", "import libtorrent"]).output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "Debian's python3 cannot import libtorrent: apt-get install python3-libtorrent (tests/install-deps.sh does)"
    );
    let mut child = Command::new(python)
        .args(["-c", SEEDER])
        .arg(torrent)
        .arg(save)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the libtorrent seeder");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().parse().unwrap_or_else(|_| {
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        panic!("libtorrent seeder gave no port ({line:?}): {err}")
    });
    (KillOnDrop(child), port)
}

/// Runs `program args...` (under valgrind when asked), killing it after `limit`.
fn run_bounded(program: &Path, args: &[&str], valgrind: bool, limit: Duration) -> Output {
    let mut cmd = if valgrind { c_harness::valgrind(program, 99) } else { Command::new(program) };
    cmd.args(args).env("LD_LIBRARY_PATH", prefix().join("lib")).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{} {args:?} did not finish within {limit:?}\nstdout:\n{}\nstderr:\n{}",
                program.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({})\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Downloads from libtorrent with `program`, plainly and under valgrind, comparing the bytes.
fn download_from_libtorrent(program: &Path, name: &str) {
    let dir = scratch(name);
    let (data, torrent) = make_torrent(&dir, "payload");
    let (_seeder, port) = libtorrent_seeder(&torrent, &dir);
    let peer = format!("127.0.0.1:{port}");
    for valgrind in [false, true] {
        let save = dir.join(if valgrind { "valgrind" } else { "plain" });
        std::fs::create_dir_all(&save).unwrap();
        let args = [torrent.to_str().unwrap(), save.to_str().unwrap(), "--peer", &peer];
        let limit = Duration::from_secs(if valgrind { 120 } else { 30 });
        let out = run_bounded(program, &args, valgrind, limit);
        assert_ok(&out, &format!("{name} (valgrind: {valgrind})"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("finished"), "no finished line:\n{stdout}");
        assert!(stdout.contains("seeding") && stdout.contains("100.00%"), "no final progress line:\n{stdout}");
        assert!(tree(&save.join("payload")) == tree(&data), "downloaded bytes differ from the original ({name})");
    }
}

#[test]
fn c_example_downloads_from_libtorrent_and_is_valgrind_clean() {
    download_from_libtorrent(c_example(), "c-from-libtorrent");
}

#[test]
fn cpp_example_downloads_from_libtorrent_and_is_valgrind_clean() {
    download_from_libtorrent(cpp_example(), "cpp-from-libtorrent");
}

#[test]
fn c_example_seeds_to_cpp_example_until_sigterm() {
    let dir = scratch("c-seeds-cpp");
    let (data, torrent) = make_torrent(&dir, "payload");
    let seeder = Command::new(c_example())
        .arg(&torrent)
        .arg(&dir)
        .args(["--seed", "--port", "0"])
        .env("LD_LIBRARY_PATH", prefix().join("lib"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the C example as a seeder");
    let mut seeder = KillOnDrop(seeder);
    let mut lines = BufReader::new(seeder.0.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a first line").unwrap();
    let port: u16 = first.strip_prefix("listening on port ").and_then(|p| p.parse().ok()).expect(&first);
    let save = dir.join("leech");
    std::fs::create_dir_all(&save).unwrap();
    let peer = format!("127.0.0.1:{port}");
    let out = run_bounded(
        cpp_example(),
        &[torrent.to_str().unwrap(), save.to_str().unwrap(), "--peer", &peer],
        false,
        Duration::from_secs(30),
    );
    assert_ok(&out, "C++ example leeching from the C example");
    assert!(tree(&save.join("payload")) == tree(&data), "bytes differ");
    // SIGTERM ends the seeding loop; the example frees everything and exits 0.
    run(Command::new("kill").arg("-TERM").arg(seeder.0.id().to_string()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = seeder.0.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "the seeding example ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "seeding example exited with {status}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.starts_with("seeding")), "the seeder never reported seeding: {rest:?}");
}

#[test]
fn examples_report_a_bad_torrent_and_bad_arguments() {
    let dir = scratch("bad-torrent");
    let bad = dir.join("bad.torrent");
    std::fs::write(&bad, b"d4:infoi3ee").unwrap();
    for program in [c_example(), cpp_example()] {
        let out = run_bounded(program, &[bad.to_str().unwrap(), dir.to_str().unwrap()], false, Duration::from_secs(10));
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("error"), "{}", String::from_utf8_lossy(&out.stderr));
        let out = run_bounded(program, &["only-one-argument"], false, Duration::from_secs(10));
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
    }
}
