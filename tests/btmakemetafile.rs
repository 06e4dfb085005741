//! The btmakemetafile and btcompletedir binaries: option syntax, output naming, error exits
//! and btcompletedir's skips.

use bitgocho::bencode::{decode, Limits};
use std::path::Path;
use std::process::{Command, Output};

const MAKE: &str = env!("CARGO_BIN_EXE_btmakemetafile");
const COMPLETE: &str = env!("CARGO_BIN_EXE_btcompletedir");

fn run(bin: &str, cwd: &Path, args: &[&str]) -> Output {
    Command::new(bin).current_dir(cwd).args(args).output().expect("run the binary")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// Checks that `path` is a torrent and returns (announce, info name, piece length, comment).
fn summary(path: &Path) -> (String, String, i64, Option<String>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let top = decode(&bytes, Limits::strict()).unwrap();
    let top = top.as_dict().unwrap();
    let info = top.get_dict(b"info").unwrap();
    (
        top.get_str(b"announce").unwrap().to_string(),
        info.get_str(b"name").unwrap().to_string(),
        info.get_int(b"piece length").unwrap(),
        top.get_str(b"comment").map(String::from),
    )
}

#[test]
fn makes_one_torrent_per_input_with_both_option_syntaxes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("folder/sub")).unwrap();
    std::fs::write(d.join("folder/sub/x"), vec![3u8; 50_000]).unwrap();
    std::fs::write(d.join("file.bin"), vec![4u8; 70_000]).unwrap();
    let out = run(
        MAKE,
        d,
        &["http://tr/announce", "folder/", "--piece_size_pow2", "16", "file.bin", "--comment=hello world"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        summary(&d.join("folder.torrent")),
        ("http://tr/announce".into(), "folder".into(), 65536, Some("hello world".into()))
    );
    assert_eq!(summary(&d.join("file.bin.torrent")).1, "file.bin");
    // Not a terminal: a handful of plain progress lines, ending at 100%.
    let err = text(&out.stderr);
    assert!(err.lines().count() <= 22 && err.contains("100.0% complete\n"), "{err}");

    let out = run(MAKE, d, &["http://tr/announce", "file.bin", "--target", "custom.torrent", "--hybrid", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(d.join("custom.torrent")).unwrap();
    let top = decode(&bytes, Limits::strict()).unwrap();
    assert_eq!(top.as_dict().unwrap().get_dict(b"info").unwrap().get_int(b"meta version"), Some(2));
    assert_eq!(listing(d), ["custom.torrent", "file.bin", "file.bin.torrent", "folder", "folder.torrent"]);
}

#[test]
fn our_options_reach_the_torrent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("f"), vec![5u8; 100_000]).unwrap();
    let args = [
        "http://tr/announce",
        "f",
        "--private",
        "1",
        "--url_list",
        "http://w1/|http://w2/",
        "--httpseeds",
        "http://h/seed",
        "--announce_list",
        "http://a,http://b|http://c",
        "--created_by=me too",
        "--creation_date",
        "1234567",
        "--threads",
        "3",
        "--v2",
        "1",
        "--filesystem_encoding",
        "latin-1",
    ];
    let out = run(MAKE, d, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--filesystem_encoding is ignored"));
    let bytes = std::fs::read(d.join("f.torrent")).unwrap();
    let top = decode(&bytes, Limits::strict()).unwrap();
    let top = top.as_dict().unwrap();
    let strs = |key: &[u8]| -> Vec<String> {
        top.get_list(key).unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    };
    assert_eq!(strs(b"url-list"), ["http://w1/", "http://w2/"]);
    assert_eq!(strs(b"httpseeds"), ["http://h/seed"]);
    let tiers: Vec<usize> =
        top.get_list(b"announce-list").unwrap().iter().map(|t| t.as_list().unwrap().len()).collect();
    assert_eq!(tiers, [2, 1]);
    assert_eq!(top.get_str(b"created by"), Some("me too"));
    assert_eq!(top.get_int(b"creation date"), Some(1234567));
    let info = top.get_dict(b"info").unwrap();
    assert_eq!((info.get_int(b"private"), info.get_int(b"meta version")), (Some(1), Some(2)));
    assert!(info.get(b"pieces").is_none());
    // Without --creation_date the date is now; with -1 there is none.
    let out = run(MAKE, d, &["http://tr/announce", "f", "--creation_date", "-1", "--target", "nodate.torrent"]);
    assert!(out.status.success());
    let bytes = std::fs::read(d.join("nodate.torrent")).unwrap();
    assert!(decode(&bytes, Limits::strict()).unwrap().as_dict().unwrap().get(b"creation date").is_none());
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!(run(MAKE, d, &["http://tr/announce", "f", "--target", "now.torrent"]).status.success());
    let bytes = std::fs::read(d.join("now.torrent")).unwrap();
    let date = decode(&bytes, Limits::strict()).unwrap().as_dict().unwrap().get_int(b"creation date").unwrap();
    assert!(date >= before && date < before + 60, "{date} vs {before}");
}

#[test]
fn usage_and_option_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(MAKE, dir.path(), &["http://tr/announce"]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("Usage: btmakemetafile <trackerurl> <file> [file...] [params...]\n\n--announce_list <arg>")
    );
    assert!(stdout.contains("--piece_size_pow2 <arg>") && stdout.contains("httpseeds:"), "{stdout}");
    let out = run(MAKE, dir.path(), &["http://tr/announce", "x", "--nope", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown key --nope"));
    let out = run(MAKE, dir.path(), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("Usage: btmakemetafile"));
    let out = run(MAKE, dir.path(), &["--version"]);
    assert!(out.status.success() && text(&out.stdout).starts_with("bitgocho "));
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn failures_exit_nonzero_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run(MAKE, d, &["http://tr/announce", "missing.iso"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("missing.iso"), "{}", text(&out.stderr));
    assert!(listing(d).is_empty(), "{:?}", listing(d));
    std::fs::write(d.join("f"), b"data").unwrap();
    let out = run(MAKE, d, &["http://tr/announce", "f", "--piece_size_pow2", "12"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("bad piece size 2^12"), "{}", text(&out.stderr));
    std::fs::create_dir(d.join("empty")).unwrap();
    let out = run(MAKE, d, &["http://tr/announce", "empty", "f"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("contains no files"), "{}", text(&out.stderr));
    // The good input of the same run was still made.
    assert_eq!(listing(d), ["empty", "f", "f.torrent"]);
}

#[test]
fn completedir_makes_one_torrent_per_entry_and_skips() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("in");
    std::fs::create_dir_all(d.join("album/cd1")).unwrap();
    std::fs::write(d.join("album/cd1/t1"), vec![1u8; 40_000]).unwrap();
    std::fs::write(d.join("movie.mkv"), vec![2u8; 30_000]).unwrap();
    std::fs::write(d.join("old"), b"old").unwrap();
    std::fs::write(d.join("old.torrent"), b"keep me").unwrap();
    for skipped in [".hidden", "core", "CVS", "stray.torrent"] {
        std::fs::write(d.join(skipped), b"x").unwrap();
    }
    let out = run(COMPLETE, dir.path(), &["http://tr/announce", "in"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "created in/album.torrent\ncreated in/movie.mkv.torrent\n");
    assert_eq!(summary(&d.join("album.torrent")).1, "album");
    assert_eq!(std::fs::read(d.join("old.torrent")).unwrap(), b"keep me");
    // A second run finds everything done.
    let out = run(COMPLETE, dir.path(), &["http://tr/announce", "in"]);
    assert!(out.status.success() && out.stdout.is_empty(), "{}", text(&out.stdout));
    // --target is an output directory; entries with a .torrent beside them are still skipped.
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::remove_file(d.join("album.torrent")).unwrap();
    let out = run(COMPLETE, dir.path(), &["http://tr/announce", "in", "--target", "out"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "created out/album.torrent\n");
    assert_eq!(listing(&dir.path().join("out")), ["album.torrent"]);
}

#[test]
fn completedir_reports_failed_entries_and_continues() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("a_empty_dir")).unwrap();
    std::fs::write(d.join("b_file"), b"content").unwrap();
    let out = run(COMPLETE, d, &["http://tr/announce", ".", "nonexistent"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("a_empty_dir contains no files") && err.contains("nonexistent"), "{err}");
    assert_eq!(text(&out.stdout), "created ./b_file.torrent\n");
    let out = run(COMPLETE, d, &["http://tr/announce"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("makes a .torrent file for every file or directory present in each dir."));
}
