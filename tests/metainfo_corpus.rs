//! libtorrent's metainfo corpus: every file of EXPECTATIONS.tsv loads or fails as libtorrent
//! expects, with the same error class and each noted property; loaded torrents are then
//! compared with the real libtorrent (python3-libtorrent) for info-hashes, file counts and
//! paths.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bitgocho::bencode::{decode, encode, Limits};
use bitgocho::metainfo::{MetaVersion, Metainfo};
use sha1::{Digest, Sha1};
use sha2::Sha256;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/libtorrent-corpus")
}

struct Expectation {
    file: String,
    load: bool,
    class: String,
    note: String,
}

fn expectations() -> Vec<Expectation> {
    let tsv = std::fs::read_to_string(corpus().join("EXPECTATIONS.tsv")).expect("EXPECTATIONS.tsv");
    tsv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Expectation {
                file: cols[0].to_string(),
                load: cols[1] == "load",
                class: cols.get(2).unwrap_or(&"-").to_string(),
                note: cols.get(3).unwrap_or(&"").trim().to_string(),
            }
        })
        .collect()
}

fn paths(m: &Metainfo) -> Vec<String> {
    m.files().iter().map(|f| f.path().joined()).collect()
}

fn want<T: PartialEq + std::fmt::Debug>(what: &str, got: T, expected: T) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, expected {expected:?}"))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Checks the property a `notes` entry states; an unknown note is a failure.
fn check_note(file: &str, note: &str, m: &Metainfo) -> Result<(), String> {
    match file {
        "slash_path.torrent" => {
            want("file count", m.files().len(), 1)?;
            want("path", paths(m), vec!["temp/_/_/bar".to_string()])
        }
        "slash_path2.torrent" => want("path", paths(m), vec!["temp/abc....def/_/bar".to_string()]),
        "slash_path3.torrent" => want("path", paths(m), vec!["temp....abc".to_string()]),
        "whitespace_url.torrent" => want("announce", m.announce(), Some("udp://test.com/announce")),
        "duplicate_files.torrent" => want("second path", paths(m)[1].as_str(), "temp/foo/bar.1.txt"),
        "pad_file.torrent" => want("file 1 pad", m.files()[1].is_pad(), true),
        "creation_date.torrent" => want("creation date", m.creation_date(), Some(1234567)),
        "url_seed.torrent" => want("web seeds", m.url_list(), &["http://test.com/file".to_string()][..]),
        "url_seed_multi.torrent" => want("web seeds", m.url_list(), &["http://test.com/file/".to_string()][..]),
        "url_seed_multi_space.torrent" | "url_seed_multi_space_nolist.torrent" => {
            want("web seeds", m.url_list(), &["http://test.com/test%20file/foo%20bar/".to_string()][..])
        }
        "duplicate_web_seeds.torrent" => want("web seed count", m.url_list().len(), 3),
        "invalid_name2.torrent" => {
            want("name", m.name().to_string(), hex(&m.info_hash_v1().unwrap()))?;
            want("first path starts with the name", paths(m)[0].starts_with(m.name()), true)
        }
        "symlink_filtered_path.torrent" => {
            want("paths", paths(m), vec!["temp/a/_/bar".to_string(), "temp/a/_/foo".to_string()])?;
            want("link", m.files()[1].symlink_target().map(|t| t.joined()), Some("temp/a/_/bar".to_string()))
        }
        "pad_file_no_path.torrent" => {
            want("pad path", paths(m)[1].as_str(), ".pad/2124")?;
            want("pad", m.files()[1].is_pad(), true)
        }
        "absolute_filename.torrent" => want("path", paths(m)[1].as_str(), "temp/foobar"),
        "invalid_filename.torrent" => want("file count", m.files().len(), 2),
        "invalid_filename2.torrent" => want("file count", m.files().len(), 3),
        "invalid_directory_name.torrent" => {
            want("paths", paths(m), vec!["test2/_/foo".to_string(), "test2/_/foo.1".to_string()])
        }
        "v2_only.torrent" => {
            want("v1 hash", m.info_hash_v1(), None)?;
            want("version", m.version(), MetaVersion::V2)
        }
        "v2_no_piece_layers.torrent" => want("has piece layers", m.has_piece_layers(), false),
        "v2_incomplete_piece_layer.torrent" => {
            let needing: Vec<usize> =
                (0..m.files().len()).filter(|&i| m.files()[i].length() > m.piece_length()).collect();
            let with = needing.iter().filter(|&&i| m.piece_layer(i).is_some()).count();
            want("has piece layers", m.has_piece_layers(), true)?;
            if with == 0 || with == needing.len() {
                return Err(format!("{with} of {} layers present: not incomplete", needing.len()));
            }
            Ok(())
        }
        "dht_nodes.torrent" => {
            want("nodes", m.nodes(), &[("127.0.0.1".to_string(), 6881), ("192.168.1.1".to_string(), 6881)][..])
        }
        "large_piece_size.torrent" => want("piece length", m.piece_length(), 32767 * 16384),
        "sample.torrent" => want(
            "paths",
            paths(m),
            vec![
                "sample/text_file2.txt".to_string(),
                "sample/.____padding_file/0".to_string(),
                "sample/text_file.txt".to_string(),
            ],
        ),
        "v2_empty_file.torrent" | "v2_hybrid-missing-tailpad.torrent" => {
            let value = decode(m.info_bytes(), Limits::default()).map_err(|e| e.to_string())?;
            let again = encode(&value.to_owned());
            let v2: [u8; 32] = Sha256::digest(&again).into();
            want("v2 hash after re-encoding", Some(v2), m.info_hash_v2())?;
            if let Some(v1) = m.info_hash_v1() {
                want("v1 hash after re-encoding", <[u8; 20]>::from(Sha1::digest(&again)), v1)?;
            }
            Ok(())
        }
        _ => Err(format!("note not checked: {note}")),
    }
}

/// Every sanitised path is relative, with no empty, `.`, `..` or separator-carrying component.
fn check_paths_safe(m: &Metainfo) -> Result<(), String> {
    for (i, f) in m.files().iter().enumerate() {
        let p = m.file_path(i).unwrap();
        if p.is_absolute() || p.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            return Err(format!("unsafe path {p:?}"));
        }
        for c in f.components().iter().chain(f.symlink_target().map(|t| t.components()).unwrap_or(&[])) {
            if c.is_empty() || c == "." || c == ".." || c.contains(['/', '\\', '\0']) {
                return Err(format!("unsafe component {c:?} in {p:?}"));
            }
        }
    }
    Ok(())
}

fn check_one(e: &Expectation) -> Result<Option<Metainfo>, String> {
    let result = Metainfo::from_file(&corpus().join(&e.file));
    match (result, e.load) {
        (Ok(m), true) => {
            check_paths_safe(&m)?;
            if !e.note.is_empty() {
                check_note(&e.file, &e.note, &m)?;
            }
            Ok(Some(m))
        }
        (Ok(_), false) => Err(format!("loaded, expected {}", e.class)),
        (Err(err), true) => Err(format!("failed ({err}), expected to load")),
        (Err(err), false) => {
            let class = e.class.trim_start_matches("bdecode_errors::");
            let got = err.kind().libtorrent_name().trim_start_matches("bdecode_errors::");
            if got == class {
                Ok(None)
            } else {
                Err(format!("failed with {got} ({err}), expected {class}"))
            }
        }
    }
}

#[test]
fn corpus_agrees_with_libtorrent_expectations() {
    let exp = expectations();
    assert_eq!(exp.len(), 108, "EXPECTATIONS.tsv lists 108 files");
    let mut bad = Vec::new();
    for e in &exp {
        if let Err(msg) = check_one(e) {
            bad.push(format!("{}: {msg}", e.file));
        }
    }
    println!("corpus: {}/{} agree", exp.len() - bad.len(), exp.len());
    assert!(bad.is_empty(), "disagreements:\n{}", bad.join("\n"));
}

/// Files whose raw paths hold separator-only elements: libtorrent 2.0.8 drops those
/// elements, libtorrent's current rules (and its corpus notes, and we) turn them into `_`.
const SEPARATOR_ELEMENTS: [&str; 6] = [
    "slash_path.torrent",
    "slash_path2.torrent",
    "backslash_path.torrent",
    "symlink_filtered_path.torrent",
    "invalid_directory_name.torrent",
    "v2_invalid_filename2.torrent",
];

const LT_SCRIPT: &str = r#"
import sys, libtorrent as lt
for f in sys.argv[1:]:
    ti = lt.torrent_info(f)
    ih = ti.info_hashes()
    fs = ti.files()
    v1 = str(ih.v1) if ih.has_v1() else "-"
    v2 = str(ih.v2) if ih.has_v2() else "-"
    paths = "\x1f".join(fs.file_path(i) for i in range(fs.num_files()))
    links = "\x1f".join(fs.symlink(i) if fs.file_flags(i) & 8 else "" for i in range(fs.num_files()))
    print("\t".join([f.rsplit("/", 1)[-1], v1, v2, str(fs.num_files()), paths, links]))
"#;

#[test]
fn loaded_corpus_matches_real_libtorrent() {
    let loadable: Vec<String> = expectations().into_iter().filter(|e| e.load).map(|e| e.file).collect();
    let args: Vec<PathBuf> = loadable.iter().map(|f| corpus().join(f)).collect();
    let out = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(LT_SCRIPT)
        .args(&args)
        .output()
        .expect("/usr/bin/python3 missing: apt-get install python3-libtorrent (tests/install-deps.sh)");
    assert!(
        out.status.success(),
        "python3-libtorrent failed (apt-get install python3-libtorrent): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8 from python");
    let lt: HashMap<&str, Vec<&str>> =
        text.lines().map(|l| (l.split('\t').next().unwrap(), l.split('\t').collect())).collect();
    assert_eq!(lt.len(), loadable.len(), "libtorrent loaded every loadable corpus file");
    let mut bad = Vec::new();
    let mut compared_paths = 0;
    for f in &loadable {
        let m = Metainfo::from_file(&corpus().join(f)).expect("loads");
        let row = &lt[f.as_str()];
        let v1 = m.info_hash_v1().map_or("-".to_string(), |h| hex(&h));
        let v2 = m.info_hash_v2().map_or("-".to_string(), |h| hex(&h));
        let mut problems = Vec::new();
        if v1 != row[1] {
            problems.push(format!("v1 {v1} vs {}", row[1]));
        }
        if v2 != row[2] {
            problems.push(format!("v2 {v2} vs {}", row[2]));
        }
        if m.files().len().to_string() != row[3] {
            problems.push(format!("{} files vs {}", m.files().len(), row[3]));
        }
        if !SEPARATOR_ELEMENTS.contains(&f.as_str()) {
            let ours = paths(&m).join("\x1f");
            if ours != row[4] {
                problems.push(format!("paths {ours:?} vs {:?}", row[4]));
            }
            let links: Vec<String> =
                m.files().iter().map(|f| f.symlink_target().map_or(String::new(), |t| t.joined())).collect();
            if links.join("\x1f") != row[5] {
                problems.push(format!("symlinks {:?} vs {:?}", links.join("\x1f"), row[5]));
            }
            compared_paths += 1;
        }
        if !problems.is_empty() {
            bad.push(format!("{f}: {}", problems.join("; ")));
        }
    }
    println!(
        "libtorrent cross-check: {} files, paths and symlink targets compared for {compared_paths}",
        loadable.len()
    );
    assert!(bad.is_empty(), "differences from libtorrent:\n{}", bad.join("\n"));
}
