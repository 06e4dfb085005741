//! Parse speed of `Metainfo::from_bytes` against libtorrent's `torrent_info` (through
//! python3-libtorrent, timed in-process in the same run) on corpus files: prints ns per parse
//! for both and the ratio. Run: `cargo bench --bench metainfo_parse`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use bitgocho::metainfo::Metainfo;

const FILES: [&str; 4] = ["sample.torrent", "v2.torrent", "v2_hybrid.torrent", "large.torrent"];

/// Time budget per measurement (bounded: at most about this long, at least 50 iterations).
const BUDGET: Duration = Duration::from_millis(700);

fn ours(bytes: &[u8]) -> f64 {
    let mut n = 0u64;
    let start = Instant::now();
    while n < 50 || start.elapsed() < BUDGET {
        let m = Metainfo::from_bytes(std::hint::black_box(bytes)).expect("corpus file loads");
        std::hint::black_box(m.piece_count());
        n += 1;
        if n >= 10_000_000 {
            break;
        }
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

const LT: &str = r#"
import sys, time, libtorrent as lt
for f in sys.argv[1:]:
    d = open(f, 'rb').read()
    n, t0 = 0, time.perf_counter()
    while n < 50 or time.perf_counter() - t0 < 0.7:
        lt.torrent_info(d)
        n += 1
    print((time.perf_counter() - t0) / n * 1e9)
"#;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/libtorrent-corpus");
    let paths: Vec<_> = FILES.iter().map(|f| dir.join(f)).collect();
    let out = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(LT)
        .args(&paths)
        .output()
        .expect("/usr/bin/python3 with python3-libtorrent (tests/install-deps.sh)");
    assert!(out.status.success(), "libtorrent anchor failed: {}", String::from_utf8_lossy(&out.stderr));
    let lt: Vec<f64> = String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().parse().unwrap()).collect();
    println!("{:<22} {:>9} {:>14} {:>16} {:>7}", "file", "bytes", "bitgocho ns", "libtorrent ns", "ratio");
    for ((name, path), lt_ns) in FILES.iter().zip(&paths).zip(lt) {
        let bytes = std::fs::read(path).expect("corpus file");
        let ns = ours(&bytes);
        println!("{name:<22} {:>9} {ns:>14.0} {lt_ns:>16.0} {:>6.1}x", bytes.len(), lt_ns / ns);
    }
    println!("(ratio = libtorrent time / bitgocho time; libtorrent through its python binding)");
}
