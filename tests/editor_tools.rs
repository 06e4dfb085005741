//! The metainfo editor tools (btreannounce, btcopyannounce, btrename, btsethttpseeds) run as
//! processes on torrents made by the real `mktorrent`, with results checked by the real
//! `transmission-show` and by libtorrent (Debian's /usr/bin/python3 with python3-libtorrent).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;
use common::Unwritable;

/// Output of a finished process: stdout, stderr, exit code.
struct Run {
    out: String,
    err: String,
    code: i32,
}

fn finished(o: Output) -> Run {
    Run {
        out: String::from_utf8(o.stdout).unwrap(),
        err: String::from_utf8(o.stderr).unwrap(),
        code: o.status.code().expect("exit code"),
    }
}

fn external(program: &str, apt: &str) -> Command {
    let found = Command::new("sh").arg("-c").arg(format!("command -v {program}")).output().unwrap();
    assert!(found.status.success(), "`{program}` is missing: install the apt package {apt} (tests/install-deps.sh)");
    Command::new(program)
}

/// A scratch directory holding one small payload file, `payload.bin`.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("payload.bin"), vec![7u8; 40_000]).unwrap();
    dir
}

/// Makes `<dir>/<out>` from `payload.bin` with the real mktorrent and extra arguments.
fn mktorrent(dir: &Path, out: &str, args: &[&str]) -> PathBuf {
    let o = external("mktorrent", "mktorrent")
        .current_dir(dir)
        .args(["-d", "-l", "15", "-o", out])
        .args(args)
        .arg("payload.bin")
        .output()
        .unwrap();
    assert!(o.status.success(), "mktorrent failed: {}", String::from_utf8_lossy(&o.stderr));
    dir.join(out)
}

fn tool(name: &str, dir: &Path, args: &[&str]) -> Run {
    let exe = match name {
        "btreannounce" => env!("CARGO_BIN_EXE_btreannounce"),
        "btcopyannounce" => env!("CARGO_BIN_EXE_btcopyannounce"),
        "btrename" => env!("CARGO_BIN_EXE_btrename"),
        "btsethttpseeds" => env!("CARGO_BIN_EXE_btsethttpseeds"),
        other => panic!("unknown tool {other}"),
    };
    finished(Command::new(exe).current_dir(dir).args(args).output().unwrap())
}

/// What transmission-show reports: info-hash, name, trackers (tier, url) and web seeds.
#[derive(Debug, PartialEq)]
struct Shown {
    hash: String,
    name: String,
    trackers: Vec<(usize, String)>,
    webseeds: Vec<String>,
}

fn transmission_show(path: &Path) -> Shown {
    let o = external("transmission-show", "transmission-cli").arg(path).output().unwrap();
    assert!(o.status.success(), "transmission-show failed: {}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let mut shown = Shown { hash: String::new(), name: String::new(), trackers: vec![], webseeds: vec![] };
    let (mut section, mut tier) = ("", 0);
    for line in text.lines() {
        let t = line.trim();
        match t {
            "GENERAL" | "TRACKERS" | "WEBSEEDS" | "FILES" => section = t,
            _ if t.is_empty() => {}
            _ if section == "GENERAL" => {
                if let Some(h) = t.strip_prefix("Hash: ").or_else(|| t.strip_prefix("Hash v1: ")) {
                    shown.hash = h.to_string();
                } else if let Some(n) = t.strip_prefix("Name: ") {
                    shown.name = n.to_string();
                }
            }
            _ if section == "TRACKERS" => match t.strip_prefix("Tier #") {
                Some(n) => tier = n.parse().unwrap(),
                None => shown.trackers.push((tier, t.to_string())),
            },
            _ if section == "WEBSEEDS" => shown.webseeds.push(t.to_string()),
            _ => {}
        }
    }
    assert_eq!(shown.hash.len(), 40, "no hash in transmission-show output:\n{text}");
    shown
}

/// What libtorrent reports: info-hash, name, trackers (tier, url) sorted, web seeds (type, url).
#[derive(Debug, PartialEq)]
struct Lt {
    hash: String,
    name: String,
    trackers: Vec<(usize, String)>,
    seeds: Vec<(u8, String)>,
}

fn libtorrent(path: &Path) -> Lt {
    const SCRIPT: &str = "import sys, libtorrent as lt
ti = lt.torrent_info(sys.argv[1])
print(str(ti.info_hashes().v1))
print(ti.name())
for t in sorted((t.tier, t.url) for t in ti.trackers()): print('T', t[0], t[1])
for s in sorted((w['type'], w['url']) for w in ti.web_seeds()): print('W', s[0], s[1])
";
    let py = Path::new("/usr/bin/python3");
    assert!(py.exists(), "/usr/bin/python3 is missing: install the apt package python3-libtorrent");
    let o = Command::new(py).arg("-c").arg(SCRIPT).arg(path).output().unwrap();
    assert!(
        o.status.success(),
        "libtorrent failed (apt package python3-libtorrent): {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8(o.stdout).unwrap();
    let mut lines = text.lines();
    let hash = lines.next().unwrap().to_string();
    let name = lines.next().unwrap().to_string();
    let (mut trackers, mut seeds) = (vec![], vec![]);
    for line in lines {
        let mut parts = line.splitn(3, ' ');
        let (kind, num, url) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap().to_string());
        match kind {
            "T" => trackers.push((num.parse().unwrap(), url)),
            _ => seeds.push((num.parse().unwrap(), url)),
        }
    }
    Lt { hash, name, trackers, seeds }
}

fn tiers(list: &[(usize, &str)]) -> Vec<(usize, String)> {
    list.iter().map(|(t, u)| (*t, u.to_string())).collect()
}

#[test]
fn btreannounce_replaces_announce_and_keeps_the_info_hash() {
    let dir = scratch();
    let t = mktorrent(dir.path(), "a.torrent", &["-a", "http://old.example/announce"]);
    let before = transmission_show(&t);
    let r = tool("btreannounce", dir.path(), &["http://new.example/announce", "a.torrent"]);
    assert_eq!(
        (r.code, r.out.as_str(), r.err.as_str()),
        (0, "old announce for a.torrent: http://old.example/announce\n", "")
    );
    let after = transmission_show(&t);
    assert_eq!(after.hash, before.hash);
    assert_eq!(after.trackers, tiers(&[(1, "http://new.example/announce")]));
    let lt = libtorrent(&t);
    assert_eq!(lt.hash, before.hash);
    assert_eq!(lt.trackers, tiers(&[(0, "http://new.example/announce")]));
}

#[test]
fn btreannounce_keeps_announce_list_unless_the_option_is_given() {
    let dir = scratch();
    let t = mktorrent(dir.path(), "a.torrent", &["-a", "http://a/ann", "-a", "http://b/ann"]);
    let hash = transmission_show(&t).hash;
    let r = tool("btreannounce", dir.path(), &["http://c/ann", "a.torrent"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        r.out,
        "old announce for a.torrent: http://a/ann\nold announce-list for a.torrent: http://a/ann|http://b/ann\n"
    );
    assert_eq!(libtorrent(&t).trackers, tiers(&[(0, "http://a/ann"), (1, "http://b/ann")]));
    assert!(r.err.starts_with("note: a.torrent keeps its announce-list"), "{}", r.err);

    // The option after the file, `--name=value` form, with spaces and empty pieces.
    let r = tool(
        "btreannounce",
        dir.path(),
        &["http://c/ann", "a.torrent", "--announce_list= http://x/a , http://y/a||udp://z:1"],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        r.out,
        "old announce for a.torrent: http://c/ann\nold announce-list for a.torrent: http://a/ann|http://b/ann\n"
    );
    let shown = transmission_show(&t);
    assert_eq!(shown.hash, hash);
    assert_eq!(shown.trackers, tiers(&[(1, "http://x/a"), (1, "http://y/a"), (2, "udp://z:1")]));
    assert_eq!(libtorrent(&t).trackers, tiers(&[(0, "http://x/a"), (0, "http://y/a"), (1, "udp://z:1")]));

    let r = tool("btreannounce", dir.path(), &["http://d/ann", "--announce_list", "", "a.torrent"]);
    assert_eq!(
        r.out,
        "old announce for a.torrent: http://c/ann\nold announce-list for a.torrent: http://x/a,http://y/a|udp://z:1\n"
    );
    let lt = libtorrent(&t);
    assert_eq!((lt.hash, lt.trackers), (hash, tiers(&[(0, "http://d/ann")])));
}

#[test]
fn btreannounce_usage_errors_and_per_file_failures() {
    let dir = scratch();
    let r = tool("btreannounce", dir.path(), &["http://x/"]);
    assert_eq!(r.code, 2);
    assert!(r.out.starts_with("Usage: btreannounce <announce> [--announce_list <arg>] file1.torrent"), "{}", r.out);
    let r = tool("btreannounce", dir.path(), &["http://x/", "--announce_list", "http://y/"]);
    assert_eq!((r.code, r.out.as_str()), (2, "error: no .torrent files given\n\n"));
    let r = tool("btreannounce", dir.path(), &["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.out.starts_with("Usage: btreannounce") && r.out.contains("\n--announce_list <arg>\n"), "{}", r.out);
    let r = tool("btreannounce", dir.path(), &["--version"]);
    assert_eq!((r.code, r.out.starts_with("bitgocho ")), (0, true));
    let r = tool("btreannounce", dir.path(), &["http://x/", "--bogus", "1", "a.torrent"]);
    assert_eq!((r.code, r.err.lines().next()), (2, Some("error: unknown key --bogus")));

    let good = mktorrent(dir.path(), "good.torrent", &["-a", "http://old/"]);
    fs::write(dir.path().join("bad.torrent"), b"d3:fooi1ee").unwrap();
    let r = tool("btreannounce", dir.path(), &["http://new/", "bad.torrent", "missing.torrent", "good.torrent"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.err,
        "error: bad.torrent: not a torrent: no `info` dictionary\n\
         error: missing.torrent: cannot read: No such file or directory (os error 2)\n"
    );
    assert_eq!(r.out, "old announce for good.torrent: http://old/\n");
    assert_eq!(fs::read(dir.path().join("bad.torrent")).unwrap(), b"d3:fooi1ee");
    assert_eq!(libtorrent(&good).trackers, tiers(&[(0, "http://new/")]));
}

#[test]
fn btcopyannounce_copies_trackers_and_removes_a_missing_list() {
    let dir = scratch();
    let src = mktorrent(dir.path(), "src.torrent", &["-a", "http://a/ann,http://a2/ann", "-a", "http://b/ann"]);
    let dst = mktorrent(dir.path(), "dst.torrent", &["-a", "http://old/", "-c", "keep me"]);
    let hash = transmission_show(&dst).hash;
    let r = tool("btcopyannounce", dir.path(), &["src.torrent", "dst.torrent"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        r.out,
        "new announce: http://a/ann\nnew announce-list: http://a/ann,http://a2/ann|http://b/ann\n\
         old announce for dst.torrent: http://old/\n"
    );
    let (s, d) = (libtorrent(&src), libtorrent(&dst));
    assert_eq!(d.trackers, s.trackers);
    assert_eq!(d.hash, hash);
    assert_eq!(transmission_show(&dst).hash, hash);

    let plain = mktorrent(dir.path(), "plain.torrent", &["-a", "http://plain/"]);
    let r = tool("btcopyannounce", dir.path(), &["plain.torrent", "dst.torrent"]);
    assert_eq!(
        r.out,
        "new announce: http://plain/\nold announce for dst.torrent: http://a/ann\n\
         old announce-list for dst.torrent: http://a/ann,http://a2/ann|http://b/ann\n"
    );
    assert_eq!(libtorrent(&dst).trackers, libtorrent(&plain).trackers);
    assert_eq!(libtorrent(&dst).trackers, tiers(&[(0, "http://plain/")]));

    let r = tool("btcopyannounce", dir.path(), &["src.torrent"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.out,
        "Usage: btcopyannounce <source.torrent> <file1.torrent> [file2.torrent...]\n\
         copies announce information from source to all specified torrents\n"
    );
    let r = tool("btcopyannounce", dir.path(), &["nope.torrent", "dst.torrent"]);
    assert_eq!((r.code, r.out.as_str()), (1, ""));
    assert!(r.err.starts_with("error: nope.torrent: cannot read"), "{}", r.err);
}

#[test]
fn btrename_changes_the_name_and_reports_the_new_info_hash() {
    let dir = scratch();
    let t = mktorrent(dir.path(), "a.torrent", &["-a", "http://t/ann"]);
    let before = transmission_show(&t);
    let r = tool("btrename", dir.path(), &["a.torrent", "renamed.dat"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let after = transmission_show(&t);
    assert_ne!(after.hash, before.hash);
    assert_eq!(after.name, "renamed.dat");
    assert_eq!(after.trackers, before.trackers);
    assert_eq!(
        r.out,
        format!(
            "btrename 20021119 - change the suggested filename in a .torrent file\n\n\
             old filename: payload.bin\nnew filename: renamed.dat\n\
             note: the info-hash changed: {} -> {}\n\ndone.\n\n",
            before.hash, after.hash
        )
    );
    let lt = libtorrent(&t);
    assert_eq!((lt.name.as_str(), lt.hash.as_str()), ("renamed.dat", after.hash.as_str()));
}

#[test]
fn non_utf8_arguments_are_refused_without_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let dir = scratch();
    let bad = std::ffi::OsStr::from_bytes(b"\xff.torrent");
    let o = Command::new(env!("CARGO_BIN_EXE_btsethttpseeds")).current_dir(dir.path()).arg("0").arg(bad).output();
    let r = finished(o.unwrap());
    assert_eq!((r.code, r.err.as_str()), (2, "error: argument is not valid UTF-8: \u{fffd}.torrent\n"));
}

/// libtorrent's v1 and v2 info-hashes (hex; v2 empty for a v1-only torrent) and name.
fn libtorrent_hashes(path: &Path) -> (String, String, String) {
    const SCRIPT: &str = "import sys, libtorrent as lt
ti = lt.torrent_info(sys.argv[1]); h = ti.info_hashes()
print(str(h.v1) if h.has_v1() else ''); print(str(h.v2) if h.has_v2() else ''); print(ti.name())
";
    let o = Command::new("/usr/bin/python3").arg("-c").arg(SCRIPT).arg(path).output().unwrap();
    assert!(o.status.success(), "libtorrent (apt python3-libtorrent): {}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let l: Vec<&str> = text.lines().collect();
    (l[0].to_string(), l[1].to_string(), l[2].to_string())
}

fn corpus_copy(dir: &Path, name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/libtorrent-corpus").join(name);
    let dst = dir.join(name);
    fs::copy(src, &dst).unwrap();
    dst
}

#[test]
fn btrename_reports_both_hashes_of_a_hybrid_torrent() {
    let dir = scratch();
    let t = corpus_copy(dir.path(), "v2_hybrid.torrent");
    let (v1, v2, _) = libtorrent_hashes(&t);
    assert_eq!((v1.len(), v2.len()), (40, 64));
    let r = tool("btrename", dir.path(), &["v2_hybrid.torrent", "renamed"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let (n1, n2, name) = libtorrent_hashes(&t);
    assert_eq!(name, "renamed");
    assert!(n1 != v1 && n2 != v2);
    let lines: Vec<&str> = r.out.lines().collect();
    assert_eq!(
        lines[2..6],
        [
            "old filename: bittorrent-v1-v2-hybrid-test".to_string(),
            "new filename: renamed".to_string(),
            format!("note: the info-hash changed: {v1} -> {n1}"),
            format!("note: the v2 info-hash changed: {v2} -> {n2}"),
        ]
    );
}

#[test]
fn btrename_canonicalises_an_unordered_info_dict_and_says_so() {
    let dir = scratch();
    let t = corpus_copy(dir.path(), "unordered.torrent");
    let (v1, _, _) = libtorrent_hashes(&t);
    let r = tool("btrename", dir.path(), &["unordered.torrent", "sorted"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.err.starts_with("warning: unordered.torrent: the info dictionary's keys were not in canonical order"),
        "{}",
        r.err
    );
    let (n1, _, name) = libtorrent_hashes(&t);
    assert_eq!(name, "sorted");
    assert!(r.out.contains(&format!("note: the info-hash changed: {v1} -> {n1}\n")), "{}", r.out);
    let shown = transmission_show(&t);
    assert_eq!((shown.hash, shown.name), (n1, "sorted".to_string()));
}

#[test]
fn btrename_refuses_unsafe_names_and_bad_usage() {
    let dir = scratch();
    let t = mktorrent(dir.path(), "a.torrent", &["-a", "http://t/ann"]);
    let original = fs::read(&t).unwrap();
    for bad in ["../escape", "a/b", "..", ""] {
        let r = tool("btrename", dir.path(), &["a.torrent", bad]);
        assert_eq!(r.code, 1, "{bad:?}");
        assert!(r.err.starts_with(&format!("error: a.torrent: refusing new name {bad:?}")), "{}", r.err);
        assert_eq!(fs::read(&t).unwrap(), original);
    }
    let r = tool("btrename", dir.path(), &["a.torrent"]);
    assert_eq!(r.code, 2);
    let exe = env!("CARGO_BIN_EXE_btrename");
    assert_eq!(
        r.out,
        format!(
            "btrename 20021119 - change the suggested filename in a .torrent file\n\n\
             {exe} file.torrent new.filename.ext\n\n"
        )
    );
}

#[test]
fn btsethttpseeds_sets_and_strips_http_seeds_and_url_list() {
    let dir = scratch();
    let t = mktorrent(dir.path(), "a.torrent", &["-a", "http://t/ann", "-w", "http://web.old/"]);
    let hash = transmission_show(&t).hash;
    let r = tool("btsethttpseeds", dir.path(), &["http://s1/seed|http://s2/seed", "a.torrent"]);
    assert_eq!((r.code, r.out.as_str()), (0, ""));
    let lt = libtorrent(&t);
    let seeds = vec![(0, "http://web.old/".to_string()), (1, "http://s1/seed".into()), (1, "http://s2/seed".into())];
    assert_eq!((lt.hash.as_str(), &lt.seeds), (hash.as_str(), &seeds));

    let r = tool("btsethttpseeds", dir.path(), &["http://s3/seed", "--url_list", "http://w1/|http://w2/", "a.torrent"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        r.out,
        "old http-seed list for a.torrent: http://s1/seed|http://s2/seed\nold url-list for a.torrent: http://web.old/\n"
    );
    let shown = transmission_show(&t);
    assert_eq!(
        (shown.hash.as_str(), shown.webseeds.as_slice()),
        (hash.as_str(), &["http://w1/".to_string(), "http://w2/".into()][..])
    );

    let r = tool("btsethttpseeds", dir.path(), &["0", "--url_list", "0", "a.torrent"]);
    assert_eq!(
        r.out,
        "old http-seed list for a.torrent: http://s3/seed\nold url-list for a.torrent: http://w1/|http://w2/\n"
    );
    let lt = libtorrent(&t);
    assert_eq!((lt.hash, lt.seeds), (hash, vec![]));

    let r = tool("btsethttpseeds", dir.path(), &["|", "a.torrent"]);
    assert_eq!((r.code, r.err.lines().next()), (2, Some("error: no http-seed URL given (use 0 to strip)")));
    let r = tool("btsethttpseeds", dir.path(), &["0"]);
    assert_eq!(r.code, 2);
    assert!(r.out.starts_with("Usage: btsethttpseeds <http-seeds>"), "{}", r.out);
}

#[test]
fn a_failed_write_leaves_the_file_untouched() {
    let dir = scratch();
    let sub = dir.path().join("ro");
    fs::create_dir(&sub).unwrap();
    let t = mktorrent(dir.path(), "ro/a.torrent", &["-a", "http://t/ann"]);
    let original = fs::read(&t).unwrap();
    let (r, r2) = {
        let _guard = Unwritable::new(&sub);
        (
            tool("btreannounce", dir.path(), &["http://new/", "ro/a.torrent"]),
            tool("btrename", dir.path(), &["ro/a.torrent", "x.bin"]),
        )
    };
    assert_eq!(r.code, 1);
    assert!(r.err.starts_with("error: ro/a.torrent: cannot write:"), "{}", r.err);
    assert_eq!(r2.code, 1);
    assert!(r2.err.starts_with("error: ro/a.torrent: cannot write:"), "{}", r2.err);
    assert!(!r2.out.contains("done."), "{}", r2.out);
    assert_eq!(fs::read(&t).unwrap(), original);
    assert_eq!(fs::read_dir(&sub).unwrap().count(), 1, "a temporary file was left behind");
}
