//! Metainfo reading field by field, on torrents built in the test: v1, v2 and hybrid, every
//! top-level key, path sanitising, and hostile input (huge, negative and overflowing sizes,
//! bad types, broken piece layers).

use std::collections::BTreeMap;

use bitgocho::bencode::{encode, OwnedValue};
use bitgocho::metainfo::merkle::{file_root, piece_layer};
use bitgocho::metainfo::{ErrorKind, MetaVersion, Metainfo, ParseLimits};
use sha1::{Digest, Sha1};
use sha2::Sha256;

fn s(v: &str) -> OwnedValue {
    OwnedValue::bytes(v)
}

fn i(v: i64) -> OwnedValue {
    OwnedValue::Int(v)
}

fn l(v: Vec<OwnedValue>) -> OwnedValue {
    OwnedValue::List(v)
}

fn d(entries: Vec<(&str, OwnedValue)>) -> OwnedValue {
    OwnedValue::Dict(entries.into_iter().map(|(k, v)| (k.as_bytes().to_vec(), v)).collect::<BTreeMap<_, _>>())
}

fn with(base: OwnedValue, key: &str, value: OwnedValue) -> OwnedValue {
    let OwnedValue::Dict(mut m) = base else { panic!("not a dict") };
    m.insert(key.as_bytes().to_vec(), value);
    OwnedValue::Dict(m)
}

fn without(base: OwnedValue, key: &str) -> OwnedValue {
    let OwnedValue::Dict(mut m) = base else { panic!("not a dict") };
    m.remove(key.as_bytes());
    OwnedValue::Dict(m)
}

fn single_info() -> OwnedValue {
    d(vec![
        ("name", s("file.bin")),
        ("piece length", i(16384)),
        ("length", i(40000)),
        ("pieces", OwnedValue::Bytes((0..60).collect())),
    ])
}

fn torrent(info: OwnedValue) -> Vec<u8> {
    encode(&d(vec![("announce", s("http://t.example/announce")), ("info", info)]))
}

fn load(bytes: &[u8]) -> Metainfo {
    Metainfo::from_bytes(bytes).unwrap_or_else(|e| panic!("does not load: {e}"))
}

fn fails(bytes: &[u8]) -> ErrorKind {
    match Metainfo::from_bytes(bytes) {
        Ok(_) => panic!("loaded, expected a failure"),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            e.kind()
        }
    }
}

fn multi_info(files: Vec<OwnedValue>, total: u64) -> OwnedValue {
    let pieces = total.div_ceil(16384) as usize * 20;
    d(vec![
        ("name", s("dir")),
        ("piece length", i(16384)),
        ("files", l(files)),
        ("pieces", OwnedValue::Bytes(vec![1; pieces])),
    ])
}

fn file(path: &[&str], len: i64) -> OwnedValue {
    d(vec![("length", i(len)), ("path", l(path.iter().map(|p| s(p)).collect()))])
}

fn paths(m: &Metainfo) -> Vec<String> {
    m.files().iter().map(|f| f.path().joined()).collect()
}

#[test]
fn v1_single_file_fields() {
    let bytes = torrent(single_info());
    let m = load(&bytes);
    assert_eq!(m.version(), MetaVersion::V1);
    assert_eq!(m.name(), "file.bin");
    assert_eq!(m.piece_length(), 16384);
    assert_eq!(m.piece_count(), 3);
    assert_eq!(m.total_length(), 40000);
    assert_eq!(m.piece_size(2), Some(40000 - 2 * 16384));
    assert_eq!(m.piece_size(3), None);
    assert!(!m.is_multi_file());
    assert_eq!(paths(&m), ["file.bin"]);
    assert_eq!(m.file_path(0).unwrap(), std::path::PathBuf::from("file.bin"));
    let expected: Vec<u8> = (20..40).collect();
    assert_eq!(&m.piece_hash(1).unwrap()[..], &expected[..]);
    assert!(m.piece_hash(3).is_none());
    assert_eq!(m.pieces().unwrap().len(), 60);
    assert_eq!(m.as_bytes(), &bytes[..]);
    let info = encode(&single_info());
    assert_eq!(m.info_bytes(), &info[..]);
    assert_eq!(m.info_hash_v1().unwrap(), <[u8; 20]>::from(Sha1::digest(&info)));
    assert_eq!(m.info_hash_v2(), None);
    assert_eq!(m.announce(), Some("http://t.example/announce"));
    assert!(!m.is_private());
}

#[test]
fn info_hash_is_over_the_bytes_as_received() {
    // Keys out of order: a re-encoding would sort them and change the hash.
    let info = b"d6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaa7:privatei1e1:ai1ee";
    let mut bytes = b"d4:info".to_vec();
    bytes.extend_from_slice(info);
    bytes.push(b'e');
    let m = load(&bytes);
    assert_eq!(m.info_hash_v1().unwrap(), <[u8; 20]>::from(Sha1::digest(info)));
    assert_eq!(m.info_bytes(), info);
    assert!(m.is_private());
}

#[test]
fn top_level_keys() {
    let t = d(vec![
        ("announce", s("  http://a.example/ann \t")),
        ("announce-list", l(vec![l(vec![s(" http://a/ "), s(""), i(3)]), l(vec![]), l(vec![s("udp://b:1")])])),
        ("httpseeds", l(vec![s("http://h/"), s("http://h/"), s("")])),
        ("url-list", s("http://w/x y")),
        ("comment", s("plain")),
        ("comment.utf-8", s("caf\u{e9}")),
        ("created by", s("maker 1.0")),
        ("creation date", i(1234567)),
        ("nodes", l(vec![l(vec![s("1.2.3.4"), i(6881)]), l(vec![s("bad"), i(70000)]), l(vec![i(1), i(2)])])),
        ("info", single_info()),
    ]);
    let m = load(&encode(&t));
    assert_eq!(m.announce(), Some("http://a.example/ann"));
    assert_eq!(m.announce_list(), &[vec!["http://a/".to_string()], vec!["udp://b:1".to_string()]]);
    assert_eq!(m.http_seeds(), ["http://h/"]);
    assert_eq!(m.url_list(), ["http://w/x%20y"]);
    assert_eq!(m.comment(), Some("caf\u{e9}"));
    assert_eq!(m.created_by(), Some("maker 1.0"));
    assert_eq!(m.creation_date(), Some(1234567));
    assert_eq!(m.nodes(), &[("1.2.3.4".to_string(), 6881)]);
}

#[test]
fn absent_and_odd_top_level_keys() {
    let t = d(vec![
        ("creation date", i(-5)),
        ("url-list", l(vec![s("http://a/"), s("http://a/")])),
        ("info", single_info()),
    ]);
    let m = load(&encode(&t));
    assert_eq!(m.announce(), None);
    assert!(m.announce_list().is_empty());
    assert_eq!(m.creation_date(), None);
    assert_eq!(m.comment(), None);
    assert_eq!(m.url_list(), ["http://a/"]);
}

#[test]
fn multi_file_offsets_attributes_and_web_seed_slash() {
    let files = vec![
        with(file(&["bin", "run"], 100), "attr", s("xh")),
        d(vec![("attr", s("p")), ("length", i(16284))]),
        with(with(file(&["c.txt"], 10), "mtime", i(99)), "path.utf-8", l(vec![s("c\u{e9}.txt")])),
        with(with(file(&["link"], 0), "attr", s("l")), "symlink path", l(vec![s("bin"), s("run")])),
    ];
    let t = d(vec![("url-list", s("http://w/base")), ("info", multi_info(files, 16394))]);
    let m = load(&encode(&t));
    assert!(m.is_multi_file());
    assert_eq!(paths(&m), ["dir/bin/run", ".pad/16284", "dir/c\u{e9}.txt", "dir/link"]);
    let f = m.files();
    assert!(f[0].attributes().executable && f[0].attributes().hidden && !f[0].is_pad());
    assert!(f[1].is_pad());
    assert_eq!((f[2].offset(), f[2].length(), f[2].mtime()), (16384, 10, Some(99)));
    assert!(f[3].attributes().symlink);
    assert_eq!(f[3].symlink_target().unwrap().joined(), "dir/bin/run");
    assert_eq!(m.total_length(), 16394);
    assert_eq!(m.url_list(), ["http://w/base/"]);
}

#[test]
fn escaping_symlinks_point_to_themselves() {
    let files = vec![
        file(&["a"], 10),
        with(with(file(&["l1"], 0), "attr", s("l")), "symlink path", l(vec![s(".."), s(".."), s("etc")])),
        with(with(file(&["l2"], 0), "attr", s("l")), "symlink path", l(vec![s("a")])),
    ];
    let m = load(&torrent(multi_info(files, 10)));
    assert_eq!(m.files()[1].symlink_target().unwrap().joined(), "dir/l1");
    assert_eq!(m.files()[2].symlink_target().unwrap().joined(), "dir/a");
}

#[test]
fn hostile_paths_stay_inside() {
    let files = vec![
        file(&["..", "..", "etc", "passwd"], 1),
        file(&["/abs", "x"], 1),
        file(&["a/../../b"], 1),
        file(&[".", ".."], 1),
        file(&["con\u{7}trol"], 1),
    ];
    let m = load(&torrent(multi_info(files, 5)));
    assert_eq!(paths(&m), ["dir/etc/passwd", "dir/abs/x", "dir/a....b", "dir/_", "dir/con_trol"]);
    for i in 0..m.files().len() {
        let p = m.file_path(i).unwrap();
        assert!(p.is_relative());
        assert!(p.components().all(|c| matches!(c, std::path::Component::Normal(_))), "{p:?}");
    }
}

#[test]
fn names_that_sanitise_to_nothing() {
    let m = load(&torrent(with(multi_info(vec![file(&["f"], 3)], 3), "name", s(".."))));
    assert_eq!(m.name(), m.info_hash_v1().unwrap().iter().map(|b| format!("{b:02x}")).collect::<String>());
    assert_eq!(fails(&torrent(with(single_info(), "name", s("..")))), ErrorKind::MissingName);
    let m = load(&torrent(with(single_info(), "name", s("../../x"))));
    assert_eq!(m.name(), "....x");
}

#[test]
fn utf8_name_preferred_when_valid() {
    let m = load(&torrent(with(single_info(), "name.utf-8", s("n\u{e9}"))));
    assert_eq!(m.name(), "n\u{e9}");
    let m = load(&torrent(with(single_info(), "name.utf-8", OwnedValue::Bytes(vec![0xff, 0xfe]))));
    assert_eq!(m.name(), "file.bin");
}

#[test]
fn duplicates_renamed_and_too_many_refused() {
    let m = load(&torrent(multi_info(vec![file(&["x.txt"], 1), file(&["X.txt"], 1), file(&["x.txt"], 1)], 3)));
    assert_eq!(paths(&m), ["dir/x.txt", "dir/X.1.txt", "dir/x.2.txt"]);
    let many: Vec<OwnedValue> = (0..40).map(|_| file(&["same"], 1)).collect();
    assert_eq!(fails(&torrent(multi_info(many, 40))), ErrorKind::TooManyDuplicateFilenames);
}

#[test]
fn hostile_lengths() {
    let huge = 1i64 << 50;
    assert_eq!(fails(&torrent(with(single_info(), "length", i(huge)))), ErrorKind::InvalidLength);
    assert_eq!(fails(&torrent(with(single_info(), "length", i(-1)))), ErrorKind::InvalidLength);
    assert_eq!(fails(&torrent(with(single_info(), "length", i(i64::MAX)))), ErrorKind::InvalidLength);
    assert_eq!(fails(&torrent(with(single_info(), "length", s("5")))), ErrorKind::InvalidLength);
    let empty = with(with(single_info(), "length", i(0)), "pieces", OwnedValue::Bytes(vec![]));
    assert_eq!(fails(&torrent(empty)), ErrorKind::InvalidLength);
    // Each file is acceptable; their sum passes 2^48 and must not wrap.
    let big = (1i64 << 47) - 1;
    let files: Vec<OwnedValue> = (0..4).map(|n| file(&[&n.to_string()], big)).collect();
    assert_eq!(fails(&torrent(multi_info(files, 0))), ErrorKind::InvalidLength);
}

#[test]
fn piece_length_and_pieces() {
    for bad in [0, -16384, 1 << 40] {
        assert_eq!(fails(&torrent(with(single_info(), "piece length", i(bad)))), ErrorKind::MissingPieceLength);
    }
    assert_eq!(fails(&torrent(without(single_info(), "piece length"))), ErrorKind::MissingPieceLength);
    assert_eq!(fails(&torrent(without(single_info(), "pieces"))), ErrorKind::MissingPieces);
    assert_eq!(
        fails(&torrent(with(single_info(), "pieces", OwnedValue::Bytes(vec![0; 59])))),
        ErrorKind::InvalidHashes
    );
    let many = with(with(single_info(), "length", i(1 << 40)), "piece length", i(16384));
    assert_eq!(fails(&torrent(many)), ErrorKind::TooManyPieces);
}

#[test]
fn structure_errors() {
    assert_eq!(fails(b"4:spam"), ErrorKind::IsNoDict);
    assert_eq!(fails(&encode(&d(vec![("info", s("x"))]))), ErrorKind::MissingInfo);
    assert_eq!(fails(b"d4:infod"), ErrorKind::InvalidBencoding);
    assert_eq!(fails(&torrent(without(single_info(), "name"))), ErrorKind::MissingName);
    assert_eq!(fails(&torrent(multi_info(vec![], 0))), ErrorKind::NoFiles);
    assert_eq!(fails(&torrent(multi_info(vec![s("x")], 1))), ErrorKind::FileParseFailed);
    let bad_path = d(vec![("length", i(1)), ("path", l(vec![i(3)]))]);
    assert_eq!(fails(&torrent(multi_info(vec![bad_path], 1))), ErrorKind::InvalidName);
    let no_path = d(vec![("length", i(1))]);
    assert_eq!(fails(&torrent(multi_info(vec![no_path], 1))), ErrorKind::MissingName);
    let deep = format!("d4:info{}{}e", "l".repeat(200), "e".repeat(200));
    assert_eq!(fails(deep.as_bytes()), ErrorKind::DepthExceeded);
    let limits = ParseLimits { max_size: 10, ..ParseLimits::default() };
    let err = Metainfo::from_bytes_with(&torrent(single_info()), &limits).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MetadataTooLarge);
}

#[test]
fn from_file_reads_and_reports_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.torrent");
    std::fs::write(&p, torrent(single_info())).unwrap();
    assert_eq!(Metainfo::from_file(&p).unwrap().name(), "file.bin");
    assert_eq!(Metainfo::from_file(&dir.path().join("none")).unwrap_err().kind(), ErrorKind::Io);
}

// --- v2 and hybrid -------------------------------------------------------------------------

const PLEN: u64 = 16384;

/// Leaf hashes of `len` bytes of `fill`, with the real merkle helpers.
fn leaves(len: u64, fill: u8) -> Vec<[u8; 32]> {
    let data = vec![fill; len as usize];
    data.chunks(16384).map(|c| Sha256::digest(c).into()).collect()
}

struct V2File {
    name: &'static str,
    len: u64,
    root: [u8; 32],
    layer: Vec<u8>,
}

fn v2_file(name: &'static str, len: u64, fill: u8) -> V2File {
    let lv = leaves(len, fill);
    V2File { name, len, root: file_root(&lv), layer: piece_layer(&lv, PLEN).concat() }
}

fn tree(files: &[V2File]) -> OwnedValue {
    d(files
        .iter()
        .map(|f| {
            (f.name, d(vec![("", d(vec![("length", i(f.len as i64)), ("pieces root", OwnedValue::bytes(f.root))]))]))
        })
        .collect())
}

fn layers(files: &[V2File]) -> OwnedValue {
    OwnedValue::Dict(
        files.iter().filter(|f| f.len > PLEN).map(|f| (f.root.to_vec(), OwnedValue::Bytes(f.layer.clone()))).collect(),
    )
}

fn v2_info(files: &[V2File]) -> OwnedValue {
    d(vec![("name", s("v2dir")), ("piece length", i(PLEN as i64)), ("meta version", i(2)), ("file tree", tree(files))])
}

fn v2_torrent(info: OwnedValue, layers: OwnedValue) -> Vec<u8> {
    encode(&d(vec![("info", info), ("piece layers", layers)]))
}

fn two_files() -> Vec<V2File> {
    vec![v2_file("a", 40000, 1), v2_file("b", 100, 2)]
}

#[test]
fn v2_only_with_valid_piece_layers() {
    let files = two_files();
    let bytes = v2_torrent(v2_info(&files), layers(&files));
    let m = load(&bytes);
    assert_eq!(m.version(), MetaVersion::V2);
    assert_eq!(m.info_hash_v1(), None);
    assert_eq!(m.info_hash_v2().unwrap(), <[u8; 32]>::from(Sha256::digest(m.info_bytes())));
    assert_eq!(paths(&m), ["v2dir/a", "v2dir/.pad/9152", "v2dir/b", "v2dir/.pad/16284"]);
    assert_eq!(m.files()[2].offset(), 49152);
    assert_eq!(m.files()[0].pieces_root(), Some(&files[0].root));
    assert!(m.has_piece_layers());
    assert_eq!(m.piece_layer(0).unwrap().concat(), files[0].layer);
    assert!(m.piece_layer(2).is_none());
    assert!(m.pieces().is_none());
    assert_eq!(m.piece_count(), 4);
}

#[test]
fn v2_piece_layer_errors() {
    let files = two_files();
    let info = v2_info(&files);
    let mut tampered = files[0].layer.clone();
    tampered[5] ^= 1;
    let t = OwnedValue::Dict([(files[0].root.to_vec(), OwnedValue::Bytes(tampered))].into());
    assert_eq!(fails(&v2_torrent(info.clone(), t)), ErrorKind::InvalidPieceLayer);
    let short = OwnedValue::Dict([(files[0].root.to_vec(), OwnedValue::Bytes(files[0].layer[..64].to_vec()))].into());
    assert_eq!(fails(&v2_torrent(info.clone(), short)), ErrorKind::InvalidPieceLayer);
    let unknown = OwnedValue::Dict([(vec![9u8; 32], OwnedValue::Bytes(vec![0; 32]))].into());
    assert_eq!(fails(&v2_torrent(info.clone(), unknown)), ErrorKind::InvalidPieceLayer);
    let ragged = OwnedValue::Dict([(files[0].root.to_vec(), OwnedValue::Bytes(vec![0; 33]))].into());
    assert_eq!(fails(&v2_torrent(info.clone(), ragged)), ErrorKind::InvalidPieceLayer);
    let m = load(&encode(&d(vec![("info", info)])));
    assert!(!m.has_piece_layers());
    assert!(m.piece_layer(0).is_none());
}

#[test]
fn v2_structure_errors() {
    let files = two_files();
    let lay = layers(&files);
    let info = v2_info(&files);
    assert_eq!(
        fails(&v2_torrent(with(info.clone(), "piece length", i(20000)), lay.clone())),
        ErrorKind::MissingPieceLength
    );
    assert_eq!(
        fails(&v2_torrent(with(info.clone(), "piece length", i(8192)), lay.clone())),
        ErrorKind::MissingPieceLength
    );
    assert_eq!(fails(&v2_torrent(with(info.clone(), "meta version", i(3)), lay.clone())), ErrorKind::UnknownVersion);
    assert_eq!(fails(&v2_torrent(without(info.clone(), "file tree"), lay.clone())), ErrorKind::MissingFileTree);
    assert_eq!(fails(&torrent(with(single_info(), "file tree", tree(&files)))), ErrorKind::MissingMetaVersion);
    let pad = d(vec![(
        "x",
        d(vec![("", d(vec![("attr", s("p")), ("length", i(5)), ("pieces root", OwnedValue::bytes([1; 32]))]))]),
    )]);
    assert_eq!(fails(&v2_torrent(with(info.clone(), "file tree", pad), lay.clone())), ErrorKind::InvalidPadFile);
    let zero = d(vec![("x", d(vec![("", d(vec![("length", i(5)), ("pieces root", OwnedValue::bytes([0; 32]))]))]))]);
    assert_eq!(fails(&v2_torrent(with(info.clone(), "file tree", zero), lay.clone())), ErrorKind::MissingPiecesRoot);
    let empty_key = d(vec![("", d(vec![("", d(vec![("length", i(5))]))]))]);
    assert_eq!(fails(&v2_torrent(with(info.clone(), "file tree", empty_key), lay.clone())), ErrorKind::FileParseFailed);
    // Unsorted keys in a v2 file tree are invalid bencoding.
    let raw = encode(&v2_info(&files));
    let unsorted =
        String::from_utf8_lossy(&raw).replace("1:ad", "1:Xd").replace("1:bd", "1:ad").replace("1:Xd", "1:bd");
    let bytes = [b"d4:info".as_slice(), unsorted.as_bytes(), b"e"].concat();
    assert_eq!(fails(&bytes), ErrorKind::InvalidBencoding);
}

fn hybrid_info(files: &[V2File], pad: i64) -> OwnedValue {
    let v1 = vec![
        file(&["a"], files[0].len as i64),
        d(vec![("attr", s("p")), ("length", i(pad)), ("path", l(vec![s(".pad"), s(&pad.to_string())]))]),
        file(&["b"], files[1].len as i64),
    ];
    let total = files[0].len + pad as u64 + files[1].len;
    let pieces = total.div_ceil(PLEN) as usize * 20;
    with(with(v2_info(files), "files", l(v1)), "pieces", OwnedValue::Bytes(vec![3; pieces]))
}

#[test]
fn hybrid_views_must_agree() {
    let files = two_files();
    let m = load(&v2_torrent(hybrid_info(&files, 9152), layers(&files)));
    assert_eq!(m.version(), MetaVersion::Hybrid);
    assert!(m.info_hash_v1().is_some() && m.info_hash_v2().is_some());
    assert_eq!(paths(&m), ["v2dir/a", "v2dir/.pad/9152", "v2dir/b"]);
    assert_eq!(m.files()[2].pieces_root(), Some(&files[1].root));
    assert_eq!(m.piece_count(), 4);
    assert_eq!(m.pieces().unwrap().len(), 80);
    assert_eq!(fails(&v2_torrent(hybrid_info(&files, 9000), layers(&files))), ErrorKind::InconsistentFiles);
}

fn link(path: &[&str], target: &[&str]) -> OwnedValue {
    with(with(file(path, 0), "attr", s("l")), "symlink path", l(target.iter().map(|p| s(p)).collect()))
}

#[test]
fn symlinks_resolve_through_other_links_and_loops_are_cut() {
    let files = vec![
        file(&["A", "x"], 10),
        link(&["cur"], &["A"]),
        link(&["h"], &["cur", "x"]),
        link(&["l1"], &["l2", "x"]),
        link(&["l2"], &["l1", "x"]),
    ];
    let m = load(&torrent(multi_info(files, 10)));
    let targets: Vec<String> =
        m.files().iter().map(|f| f.symlink_target().map_or(String::new(), |t| t.joined())).collect();
    assert_eq!(targets, ["", "dir/A", "dir/cur/x", "dir/l1", "dir/l2"]);
}

#[test]
fn very_deep_paths_are_handled_in_linear_time() {
    let deep: Vec<String> = (0..50_000).map(|n| format!("d{}", n % 7)).collect();
    let deep_refs: Vec<&str> = deep.iter().map(String::as_str).collect();
    let files = vec![file(&deep_refs, 1), file(&deep_refs, 1), link(&["l"], &deep_refs)];
    let start = std::time::Instant::now();
    let m = load(&torrent(multi_info(files, 2)));
    assert!(start.elapsed() < std::time::Duration::from_secs(5), "took {:?}", start.elapsed());
    assert_eq!(m.files()[1].path().file_name(), "d5.1");
    assert_eq!(m.files()[0].components().len(), 50_001);
    assert_eq!(m.files()[2].symlink_target().unwrap().components().len(), 50_001);
}

#[test]
fn v2_empty_tree_and_nested_single_file() {
    let info = with(v2_info(&[]), "file tree", d(vec![]));
    assert_eq!(fails(&encode(&d(vec![("info", info)]))), ErrorKind::NoFiles);
    let f = v2_file("inner", 100, 5);
    let nested = d(vec![("sub", tree(std::slice::from_ref(&f)))]);
    let m = load(&encode(&d(vec![("info", with(v2_info(&[]), "file tree", nested))])));
    assert_eq!(paths(&m), ["v2dir/sub/inner"]);
    assert!(m.is_multi_file());
}

/// Deterministic mutations of every small corpus file (byte changes and truncations): parsing
/// must return, never panic, and anything that loads must have safe paths.
#[test]
fn mutated_corpus_never_panics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/libtorrent-corpus");
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut loaded = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "torrent") {
            continue;
        }
        let original = std::fs::read(&path).unwrap();
        if original.len() > 16 * 1024 {
            continue;
        }
        for round in 0..40 {
            let mut bytes = original.clone();
            let at = (next() as usize) % bytes.len();
            match round % 4 {
                0 => bytes.truncate(at),
                1 => bytes[at] = b"0123456789:deil-"[(next() % 16) as usize],
                2 => bytes[at] = next() as u8,
                _ => bytes.insert(at, b"0123456789:deil-"[(next() % 16) as usize]),
            }
            if let Ok(m) = Metainfo::from_bytes(&bytes) {
                loaded += 1;
                for f in m.files() {
                    assert!(f.components().iter().all(|c| !c.is_empty() && c != ".." && c != "." && !c.contains('/')));
                }
            }
        }
    }
    assert!(loaded > 0, "some mutations still load");
}
