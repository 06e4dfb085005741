//! Benchmark helper for benches/create.sh (run by hand, not in tests).
//!
//! `create_parse methods <file> [runs]`: creates a v1 torrent (2^18 pieces) of `<file>` with
//! the mmap and the pread read methods alternately and prints median/min of each and the ratio.
//! `create_parse parse <torrent> [iterations]`: times parsing the torrent with the metainfo
//! parser, and a bare `bencode::decode` plus SHA-1 of the info bytes, per parse.

use bitgocho::bencode::{decode, Limits};
use bitgocho::metainfo::create::{create, CreateOptions, TorrentVersion};
use bitgocho::metainfo::hasher::{Progress, ReadMethod};
use bitgocho::metainfo::Metainfo;
use sha1::{Digest, Sha1};
use std::time::{Duration, Instant};

/// User plus system CPU time of this process so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn median_min(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[0])
}

fn methods(file: &str, runs: usize) {
    let mut times = [Vec::new(), Vec::new()];
    let mut cpu = [Vec::new(), Vec::new()];
    let kinds = [ReadMethod::Mmap, ReadMethod::Pread];
    for version in [TorrentVersion::V1, TorrentVersion::Hybrid] {
        for t in times.iter_mut().chain(cpu.iter_mut()) {
            t.clear();
        }
        for run in 0..=runs {
            for (i, &method) in kinds.iter().enumerate() {
                let opts = CreateOptions {
                    piece_size_pow2: 18,
                    read_method: method,
                    version,
                    ..CreateOptions::new(file, "http://127.0.0.1:1/announce")
                };
                let (start, cpu0) = (Instant::now(), cpu_time());
                let bytes = create(&opts, &Progress::new()).expect("create");
                let (took, cpu_took) = (start.elapsed(), cpu_time() - cpu0);
                std::hint::black_box(bytes);
                if run > 0 {
                    times[i].push(took);
                    cpu[i].push(cpu_took);
                }
            }
        }
        let (mm, mmin) = median_min(times[0].clone());
        let (pm, pmin) = median_min(times[1].clone());
        println!(
            "{version:?}: mmap median {:.3} s min {:.3} s | pread median {:.3} s min {:.3} s | mmap/pread {:.2}",
            mm.as_secs_f64(),
            mmin.as_secs_f64(),
            pm.as_secs_f64(),
            pmin.as_secs_f64(),
            mm.as_secs_f64() / pm.as_secs_f64()
        );
        let (mc, _) = median_min(cpu[0].clone());
        let (pc, _) = median_min(cpu[1].clone());
        println!("  CPU (user+sys) median: mmap {:.3} s, pread {:.3} s", mc.as_secs_f64(), pc.as_secs_f64());
    }
}

fn time_per(iterations: usize, mut f: impl FnMut()) -> Duration {
    f();
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed() / iterations as u32
}

fn parse(torrent: &str, iterations: usize) {
    let bytes = std::fs::read(torrent).expect("read torrent");
    let meta = Metainfo::from_bytes(&bytes).expect("parse");
    println!("{torrent}: {} bytes, {} pieces of {} bytes", bytes.len(), meta.piece_count(), meta.piece_length());
    let full = time_per(iterations, || {
        std::hint::black_box(Metainfo::from_bytes(std::hint::black_box(&bytes)).unwrap());
    });
    let bare = time_per(iterations, || {
        let v = decode(std::hint::black_box(&bytes), Limits::default()).unwrap();
        let info = v.as_dict().unwrap().get_dict(b"info").unwrap().raw();
        std::hint::black_box(Sha1::digest(info));
    });
    println!("  Metainfo::from_bytes: {:.1} us per parse", full.as_secs_f64() * 1e6);
    println!("  bencode::decode + SHA-1 of info: {:.1} us per parse", bare.as_secs_f64() * 1e6);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    match args.first().map(String::as_str) {
        Some("methods") => methods(&args[1], args.get(2).map_or(5, |n| n.parse().expect("runs"))),
        Some("parse") => parse(&args[1], args.get(2).map_or(2000, |n| n.parse().expect("iterations"))),
        _ => {
            eprintln!("usage: create_parse methods <file> [runs] | parse <torrent> [iterations]");
            std::process::exit(2);
        }
    }
}
