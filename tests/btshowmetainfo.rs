//! btshowmetainfo, run as a program: BitTornado's lines and ours on corpus files, errors,
//! usage, and a torrent made by the real `mktorrent`, cross-checked with `transmission-show`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha1::{Digest, Sha1};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_btshowmetainfo"))
}

fn corpus(f: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/libtorrent-corpus").join(f)
}

fn run(args: &[&Path]) -> Output {
    bin().args(args).output().expect("run btshowmetainfo")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 output")
}

const BANNER: &str = "btshowmetainfo 20030621 - decode BitTorrent metainfo files\n\n";

/// The SHA-1 of the raw `info` value, found independently of the library's parser.
fn info_sha1(torrent: &[u8]) -> String {
    let start = torrent.windows(6).position(|w| w == b"4:info").expect("info key") + 6;
    let (value, used) = bitgocho::bencode::decode_prefix(&torrent[start..], Default::default()).expect("decodes");
    assert!(matches!(value, bitgocho::bencode::Value::Dict(_)));
    Sha1::digest(&torrent[start..start + used]).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn sample_torrent_prints_bittornado_lines_then_ours() {
    let path = corpus("sample.torrent");
    let out = run(&[&path]);
    assert!(out.status.success());
    let hash = info_sha1(&std::fs::read(&path).unwrap());
    let expected = format!(
        "{BANNER}metainfo file.: sample.torrent\n\
         info hash.....: {hash}\n\
         directory name: sample\n\
         files.........: \n   text_file2.txt (25)\n   .____padding_file/0 (16359)\n   text_file.txt (20)\n\
         archive size..: 16404 (1 * 16384 + 20)\n\
         announce url..: udp://tracker.opentracker.com:80/announce\n\
         announce-list.: udp://tracker.opentracker.com:80/announce|tracker.publicbt.com:80/announce\n\
         comment.......: sample comment\n\
         created by....: libtorrent\n\
         creation date.: 1418787579 (2014-12-17 03:39:39 UTC)\n\
         meta version..: 1\n"
    );
    assert_eq!(stdout(&out), expected);
}

#[test]
fn single_file_without_announce_warns_and_shows_extras() {
    let out = run(&[&corpus("dht_nodes.torrent"), &corpus("httpseed.torrent")]);
    assert!(out.status.success());
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[4], "file name.....: temp");
    assert_eq!(lines[5], "file size.....: 425 (0 * 16384 + 425)");
    assert_eq!(lines[6], "***WARNING*** - no announce key");
    assert_eq!(lines[7], "dht nodes.....: 127.0.0.1:6881|192.168.1.1:6881");
    assert!(text.contains("metainfo file.: httpseed.torrent\n"));
    assert!(text.contains("http seeds....: http://foobar.com/\n"));
}

#[test]
fn v2_only_shows_the_v2_hash_in_place_of_v1() {
    let out = run(&[&corpus("v2_only.torrent")]);
    let text = stdout(&out);
    let v2 = "95e04d0c4bad94ab206efa884666fd89777dbe4f7bd9945af1829037a85c6192";
    assert!(text.contains(&format!("info hash.....: {v2} (v2 only: SHA-256 info-hash)\n")), "{text}");
    assert!(text.contains(&format!("info hash v2..: {v2}\n")));
    assert!(text.ends_with("meta version..: 2\n"));
    let hybrid = stdout(&run(&[&corpus("v2_hybrid.torrent")]));
    assert!(hybrid.contains("meta version..: hybrid\n"));
    assert!(hybrid.contains("archive size..: 899153920 (1715 * 524288 + 0)\n"));
}

#[test]
fn bad_files_are_reported_and_the_others_still_shown() {
    let missing = corpus("no-such-file.torrent");
    let out = run(&[&missing, &corpus("zero.torrent"), &corpus("base.torrent")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("error: {}: ", missing.display())), "{err}");
    assert!(err.contains(&format!("error: {}: invalid length", corpus("zero.torrent").display())), "{err}");
    assert!(stdout(&out).contains("metainfo file.: base.torrent\n"));
}

#[test]
fn no_files_prints_usage_and_exits_2() {
    let out = bin().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.starts_with(BANNER));
    assert!(text.ends_with(" file1.torrent file2.torrent file3.torrent ...\n\n"), "{text}");
    let help = bin().arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    let version = bin().arg("--version").output().unwrap();
    assert!(stdout(&version).contains("bitgocho"));
}

fn tool(name: &str, package: &str) -> Command {
    let found = Command::new("sh").arg("-c").arg(format!("command -v {name}")).output().unwrap();
    assert!(found.status.success(), "{name} is missing: apt-get install {package} (tests/install-deps.sh)");
    Command::new(name)
}

#[test]
fn mktorrent_output_agrees_with_transmission_show() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("payload");
    std::fs::create_dir_all(data.join("sub")).unwrap();
    std::fs::write(data.join("a.txt"), b"hello\n").unwrap();
    std::fs::write(data.join("sub/b.bin"), vec![7u8; 70_000]).unwrap();
    let torrent = dir.path().join("t.torrent");
    let made = tool("mktorrent", "mktorrent")
        .args(["-a", "http://tr.example/announce", "-c", "a comment", "-l", "15", "-o"])
        .arg(&torrent)
        .arg(&data)
        .output()
        .unwrap();
    assert!(made.status.success(), "mktorrent: {}", String::from_utf8_lossy(&made.stderr));
    let ours = stdout(&run(&[&torrent]));
    let lines: Vec<&str> = ours.lines().collect();
    let hash = info_sha1(&std::fs::read(&torrent).unwrap());
    assert_eq!(lines[2], "metainfo file.: t.torrent");
    assert_eq!(lines[3], format!("info hash.....: {hash}"));
    assert_eq!(lines[4], "directory name: payload");
    assert_eq!(lines[5], "files.........: ");
    assert_eq!(lines[6], "   a.txt (6)");
    assert_eq!(lines[7], "   sub/b.bin (70000)");
    assert_eq!(lines[8], "archive size..: 70006 (2 * 32768 + 4470)");
    assert_eq!(lines[9], "announce url..: http://tr.example/announce");
    assert_eq!(lines[10], "comment.......: a comment");
    assert!(lines[11].starts_with("created by....: mktorrent "), "{}", lines[11]);
    assert!(lines[12].starts_with("creation date.: "));
    assert_eq!(lines[13], "meta version..: 1");
    assert_eq!(lines.len(), 14);

    let ts = tool("transmission-show", "transmission-cli").arg(&torrent).output().unwrap();
    assert!(ts.status.success());
    let ts = String::from_utf8_lossy(&ts.stdout).into_owned();
    let ts_hash = ts.lines().find_map(|l| l.trim().strip_prefix("Hash: ")).expect("Hash line");
    assert_eq!(ts_hash.trim(), hash);
    let ts_files: Vec<String> = ts
        .split("FILES")
        .nth(1)
        .expect("FILES section")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().rsplit_once(" (").expect("size suffix").0.to_string())
        .collect();
    let our_files: Vec<String> =
        lines[6..8].iter().map(|l| format!("payload/{}", l.trim().rsplit_once(" (").unwrap().0)).collect();
    assert_eq!(our_files, ts_files);
}

#[test]
fn private_single_file_with_web_seed_from_mktorrent() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("one file.bin");
    std::fs::write(&data, vec![1u8; 40_000]).unwrap();
    let torrent = dir.path().join("one.torrent");
    let made = tool("mktorrent", "mktorrent")
        .args([
            "-p",
            "-d",
            "-a",
            "http://a/ann",
            "-a",
            "http://b/ann",
            "-w",
            "http://seed/one file.bin",
            "-l",
            "15",
            "-o",
        ])
        .arg(&torrent)
        .arg(&data)
        .output()
        .unwrap();
    assert!(made.status.success(), "mktorrent: {}", String::from_utf8_lossy(&made.stderr));
    let ours = stdout(&run(&[&torrent]));
    let hash = info_sha1(&std::fs::read(&torrent).unwrap());
    let lines: Vec<&str> = ours.lines().skip(2).collect();
    assert_eq!(lines[0], "metainfo file.: one.torrent");
    assert_eq!(lines[1], format!("info hash.....: {hash}"));
    assert_eq!(lines[2], "file name.....: one file.bin");
    assert_eq!(lines[3], "file size.....: 40000 (1 * 32768 + 7232)");
    assert_eq!(lines[4], "announce url..: http://a/ann");
    assert_eq!(lines[5], "announce-list.: http://a/ann|http://b/ann");
    assert_eq!(lines[6], "url list......: http://seed/one%20file.bin");
    assert_eq!(lines[7], "private.......: yes");
    assert!(lines[8].starts_with("created by....: mktorrent "));
    assert_eq!(lines[9], "meta version..: 1");
    assert_eq!(lines.len(), 10, "{ours}");
    let ts = tool("transmission-show", "transmission-cli").arg(&torrent).output().unwrap();
    let ts = String::from_utf8_lossy(&ts.stdout).into_owned();
    assert!(ts.contains(&format!("Hash: {hash}")), "{ts}");
    assert!(ts.contains("Private torrent"), "{ts}");
    assert!(ts.contains("one file.bin ("), "{ts}");
}
