//! Torrent creation checked against real software: libtorrent (Debian's python3-libtorrent)
//! loads our v1, v2 and hybrid torrents, agrees on both info-hashes and finds the data
//! complete when it checks the files; mktorrent writes a byte-identical v1 info dictionary;
//! transmission-show agrees on the v1 info-hash.

use bitgocho::bencode::{decode, Limits};
use bitgocho::metainfo::create::{create, CreateOptions, TorrentVersion};
use bitgocho::metainfo::hasher::{Progress, ReadMethod};
use bitgocho::metainfo::Metainfo;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::path::{Path, PathBuf};
use std::process::Command;

const ANNOUNCE: &str = "http://127.0.0.1:1/announce";

/// The libtorrent side: load each torrent, print its info-hashes, then let a session check
/// the data in `save_path` (bounded wait) and print whether it became a seed.
const LT_SCRIPT: &str = r#"
import json, sys, time
import libtorrent as lt
save_path, paths = sys.argv[1], sys.argv[2:]
ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                  'enable_upnp': False, 'enable_natpmp': False, 'enable_outgoing_utp': False,
                  'enable_incoming_utp': False, 'alert_mask': 0})
handles = []
for p in paths:
    ti = lt.torrent_info(lt.bdecode(open(p, 'rb').read()))
    ih = ti.info_hashes()
    atp = lt.add_torrent_params()
    atp.ti = ti
    atp.save_path = save_path
    handles.append((p, ih, ses.add_torrent(atp)))
deadline = time.time() + 20
while time.time() < deadline:
    sts = [h.status() for _, _, h in handles]
    # Done when every torrent is a seed, failed, or finished checking and wants to download.
    if all(s.is_seeding or s.errc.value() != 0 or s.state == lt.torrent_status.states.downloading for s in sts):
        break
    time.sleep(0.05)
for p, ih, h in handles:
    s = h.status()
    print(json.dumps({'path': p, 'v1': str(ih.v1) if ih.has_v1() else '', 'v2': str(ih.v2) if ih.has_v2() else '',
                      'seed': s.is_seeding, 'progress': s.progress, 'error': s.errc.message()}))
"#;

/// Deterministic pseudo-random bytes.
fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A directory tree with odd sizes, empty files and nested directories (names chosen so that
/// path-component order and mktorrent's full-path order agree).
fn make_tree(root: &Path) {
    let files: &[(&str, usize)] = &[
        ("alpha.bin", 1_234_567),
        ("beta/one", 65_536),
        ("beta/two", 0),
        ("beta/zeta/deep.dat", 700_001),
        ("empty", 0),
        ("gamma", 2_000_003),
        ("z", 17),
        ("zz", 0),
    ];
    for (i, (rel, len)) in files.iter().enumerate() {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data(*len, i as u64 + 1)).unwrap();
    }
}

/// Runs a command, failing loudly with the Debian package to install when it is missing.
fn run(cmd: &mut Command, package: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?} ({e}); install the {package} package"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Our own view of a torrent: the raw info bytes and their SHA-1 / SHA-256.
fn our_hashes(torrent: &[u8]) -> (Vec<u8>, String, String) {
    let top = decode(torrent, Limits::strict()).expect("our output decodes strictly");
    let top = top.as_dict().unwrap();
    assert!(top.is_sorted(), "top-level keys sorted");
    let info_dict = top.get_dict(b"info").unwrap();
    let info = info_dict.raw().to_vec();
    let v1 = hex(&Sha1::digest(&info));
    let v2 = hex(&Sha256::digest(&info));
    // Our own reader accepts it and agrees on the hashes of the halves present.
    let meta = Metainfo::from_bytes(torrent).expect("our parser loads our output");
    let has_v1 = info_dict.get(b"pieces").is_some();
    let has_v2 = info_dict.get_int(b"meta version") == Some(2);
    assert_eq!(meta.info_hash_v1().map(|h| hex(&h)), has_v1.then(|| v1.clone()));
    assert_eq!(meta.info_hash_v2().map(|h| hex(&h)), has_v2.then(|| v2.clone()));
    (info, v1, v2)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Creates a torrent of `input` and writes it to `out`.
fn make(input: &Path, version: TorrentVersion, pow2: u32, method: ReadMethod, out: &Path) -> Vec<u8> {
    let opts = CreateOptions {
        version,
        piece_size_pow2: pow2,
        read_method: method,
        creation_date: Some(1_700_000_000),
        ..CreateOptions::new(input, ANNOUNCE)
    };
    let progress = Progress::new();
    let bytes = create(&opts, &progress).unwrap();
    assert_eq!(progress.done(), progress.total());
    std::fs::write(out, &bytes).unwrap();
    bytes
}

/// Asks libtorrent to load and check `torrents` against `save_path`; returns one JSON line each.
fn libtorrent_check(save_path: &Path, torrents: &[PathBuf]) -> Vec<String> {
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.arg("-c").arg(LT_SCRIPT).arg(save_path).args(torrents);
    let out = run(&mut cmd, "python3-libtorrent");
    let lines: Vec<String> = out.lines().map(String::from).collect();
    assert_eq!(lines.len(), torrents.len(), "{out}");
    lines
}

/// Asserts that libtorrent's line agrees with our hashes and reports a complete seed.
fn assert_lt_agrees(line: &str, v1: Option<&str>, v2: Option<&str>) {
    assert!(line.contains(&format!("\"v1\": \"{}\"", v1.unwrap_or(""))), "v1 {v1:?} vs {line}");
    assert!(line.contains(&format!("\"v2\": \"{}\"", v2.unwrap_or(""))), "v2 {v2:?} vs {line}");
    assert!(line.contains("\"seed\": true") && line.contains("\"progress\": 1.0"), "not complete: {line}");
}

/// The info dictionary mktorrent writes for `input` with the same piece size and announce.
fn mktorrent_info(input: &Path, pow2: u32, out: &Path) -> Vec<u8> {
    let mut cmd = Command::new("mktorrent");
    cmd.args(["-d", "-a", ANNOUNCE, "-l", &pow2.to_string(), "-o"]).arg(out).arg(input);
    run(&mut cmd, "mktorrent");
    let bytes = std::fs::read(out).unwrap();
    let top = decode(&bytes, Limits::strict()).unwrap();
    top.as_dict().unwrap().get_dict(b"info").unwrap().raw().to_vec()
}

#[test]
fn v1_single_file_matches_mktorrent_transmission_and_libtorrent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("single.iso");
    std::fs::write(&file, data(3 * 1024 * 1024 + 123, 42)).unwrap();
    let ours = dir.path().join("ours.torrent");
    let bytes = make(&file, TorrentVersion::V1, 16, ReadMethod::Pread, &ours);
    let (info, v1, _) = our_hashes(&bytes);
    assert_eq!(info, mktorrent_info(&file, 16, &dir.path().join("mk.torrent")));
    let show = run(Command::new("transmission-show").arg(&ours), "transmission-cli");
    assert!(show.contains(&format!("Hash: {v1}")), "{show}");
    let lines = libtorrent_check(dir.path(), &[ours]);
    assert_lt_agrees(&lines[0], Some(&v1), None);
}

#[test]
fn v1_multi_file_matches_mktorrent_and_libtorrent() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    make_tree(&root);
    let mut torrents = Vec::new();
    let mut expected = Vec::new();
    for (pow2, method) in [(15, ReadMethod::Mmap), (17, ReadMethod::Pread)] {
        let ours = dir.path().join(format!("ours{pow2}.torrent"));
        let bytes = make(&root, TorrentVersion::V1, pow2, method, &ours);
        let (info, v1, _) = our_hashes(&bytes);
        let mk = mktorrent_info(&root, pow2, &dir.path().join(format!("mk{pow2}.torrent")));
        assert_eq!(String::from_utf8_lossy(&info), String::from_utf8_lossy(&mk), "piece size 2^{pow2}");
        let show = run(Command::new("transmission-show").arg(&ours), "transmission-cli");
        assert!(show.contains(&format!("Hash: {v1}")), "{show}");
        torrents.push(ours);
        expected.push(v1);
    }
    let lines = libtorrent_check(dir.path(), &torrents);
    for (line, v1) in lines.iter().zip(&expected) {
        assert_lt_agrees(line, Some(v1), None);
    }
}

#[test]
fn v2_and_hybrid_directories_load_and_check_in_libtorrent() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    make_tree(&root);
    let v2_path = dir.path().join("v2.torrent");
    let (_, _, v2_hash) = our_hashes(&make(&root, TorrentVersion::V2, 15, ReadMethod::Mmap, &v2_path));
    let hy_path = dir.path().join("hybrid.torrent");
    let (_, hy_v1, hy_v2) = our_hashes(&make(&root, TorrentVersion::Hybrid, 16, ReadMethod::Pread, &hy_path));
    let lines = libtorrent_check(dir.path(), &[v2_path, hy_path]);
    assert_lt_agrees(&lines[0], None, Some(&v2_hash));
    assert_lt_agrees(&lines[1], Some(&hy_v1), Some(&hy_v2));
}

#[test]
fn v2_and_hybrid_single_files_load_and_check_in_libtorrent() {
    let dir = tempfile::tempdir().unwrap();
    // One file spanning many pieces (with piece layers), one smaller than a piece.
    let big = dir.path().join("big.bin");
    std::fs::write(&big, data(5 * 1024 * 1024 + 5, 7)).unwrap();
    let small = dir.path().join("small.bin");
    std::fs::write(&small, data(20_000, 8)).unwrap();
    let mut torrents = Vec::new();
    let mut expected = Vec::new();
    for (input, version, method) in [
        (&big, TorrentVersion::V2, ReadMethod::Pread),
        (&small, TorrentVersion::V2, ReadMethod::Mmap),
        (&big, TorrentVersion::Hybrid, ReadMethod::Mmap),
        (&small, TorrentVersion::Hybrid, ReadMethod::Pread),
    ] {
        let out = dir.path().join(format!("{}-{version:?}.torrent", torrents.len()));
        let (_, v1, v2) = our_hashes(&make(input, version, 0, method, &out));
        torrents.push(out);
        expected.push((version.has_v1().then_some(v1), v2));
    }
    let lines = libtorrent_check(dir.path(), &torrents);
    for (line, (v1, v2)) in lines.iter().zip(&expected) {
        assert_lt_agrees(line, v1.as_deref(), Some(v2));
    }
}
