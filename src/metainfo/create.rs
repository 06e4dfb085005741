//! Torrent creation: walk the input, choose the piece size, hash, and write the metainfo.
//!
//! The output is canonical bencode: what BitTornado's btmakemetafile wrote (reference §7.1),
//! plus the optional keys asked for (`created by`, `private`, `url-list`) and, for BEP 52
//! torrents, `meta version`, `file tree` and `piece layers`. Hybrid torrents carry BEP 47 pad
//! files in their v1 file list so that both halves describe the same piece stream.

use super::create_error::CreateError;
use super::hasher::{hash_files, HashJob, Hashes, Progress, ReadMethod};
use super::merkle::{self, Hash32};
use super::piece_layout::PieceLayout;
use super::piece_size::choose_piece_size;
use super::walk::{collect_files, torrent_name, InputFile};
use crate::bencode::{encode, OwnedValue};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Which metainfo format to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TorrentVersion {
    /// BEP 3: SHA-1 pieces over the concatenated files.
    #[default]
    V1,
    /// BEP 52 only: per-file SHA-256 merkle trees.
    V2,
    /// BEP 52 plus a v1 half with pad files; loadable by v1-only clients.
    Hybrid,
}

impl TorrentVersion {
    /// True when the torrent has a v1 half.
    pub fn has_v1(self) -> bool {
        self != TorrentVersion::V2
    }

    /// True when the torrent has a v2 half.
    pub fn has_v2(self) -> bool {
        self != TorrentVersion::V1
    }
}

/// Everything that describes a torrent to create.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// The file or directory to make a torrent of.
    pub input: PathBuf,
    /// The tracker URL (`announce`); omitted when empty.
    pub announce: String,
    /// Tracker tiers (`announce-list`); omitted when empty.
    pub announce_list: Vec<Vec<String>>,
    /// A free-text comment; omitted when empty.
    pub comment: String,
    /// BEP 17 HTTP seeds (`httpseeds`); omitted when empty.
    pub httpseeds: Vec<String>,
    /// BEP 19 web seeds (`url-list`); omitted when empty.
    pub url_list: Vec<String>,
    /// Sets `private` to 1 in the info dictionary (BEP 27).
    pub private: bool,
    /// The `created by` string; omitted when `None`.
    pub created_by: Option<String>,
    /// The `creation date` (Unix seconds); omitted when `None`.
    pub creation_date: Option<i64>,
    /// Piece size as a power of two; 0 picks BitTornado's automatic size.
    pub piece_size_pow2: u32,
    /// v1, v2 or hybrid.
    pub version: TorrentVersion,
    /// Hashing threads; 0 means one per core.
    pub threads: usize,
    /// How files are read while hashing.
    pub read_method: ReadMethod,
}

impl CreateOptions {
    /// Options for a v1 torrent of `input` announcing to `announce`, everything else default.
    pub fn new(input: impl Into<PathBuf>, announce: impl Into<String>) -> Self {
        CreateOptions { input: input.into(), announce: announce.into(), ..CreateOptions::default() }
    }
}

/// Creates the torrent described by `opts` and returns its bencoded bytes. Hashing progress is
/// reported through `progress`, which can also cancel the run.
pub fn create(opts: &CreateOptions, progress: &Progress) -> Result<Vec<u8>, CreateError> {
    let name = torrent_name(&opts.input)?;
    let files = collect_files(&opts.input)?;
    let lengths: Vec<u64> = files.iter().map(|f| f.length).collect();
    let total = lengths.iter().try_fold(0u64, |a, &l| a.checked_add(l)).ok_or(CreateError::TooLarge(u64::MAX))?;
    let version = opts.version;
    let piece_length = choose_piece_size(total, opts.piece_size_pow2, version.has_v2())?;
    let layout = PieceLayout::new(&lengths, piece_length, version.has_v2())?;
    let job = HashJob {
        files: &files,
        layout: &layout,
        v1: version.has_v1(),
        v2: version.has_v2(),
        threads: opts.threads,
        method: opts.read_method,
    };
    let hashes = hash_files(&job, progress)?;
    let built = build_info(&name, &files, &layout, &hashes, opts);
    Ok(encode(&top_level(opts, built)))
}

/// The info dictionary and the piece layers that go next to it.
struct BuiltInfo {
    info: OwnedValue,
    piece_layers: Option<BTreeMap<Vec<u8>, OwnedValue>>,
}

/// Builds the info dictionary (and v2 piece layers) from the hashes.
fn build_info(
    name: &str,
    files: &[InputFile],
    layout: &PieceLayout,
    hashes: &Hashes,
    opts: &CreateOptions,
) -> BuiltInfo {
    let mut info = BTreeMap::new();
    let single = files.len() == 1 && files[0].components.is_empty();
    info.insert(b"name".to_vec(), OwnedValue::bytes(name));
    info.insert(b"piece length".to_vec(), OwnedValue::Int(layout.piece_length as i64));
    if opts.private {
        info.insert(b"private".to_vec(), OwnedValue::Int(1));
    }
    if opts.version.has_v1() {
        info.insert(b"pieces".to_vec(), OwnedValue::Bytes(hashes.pieces.concat()));
        if single {
            info.insert(b"length".to_vec(), OwnedValue::Int(files[0].length as i64));
        } else {
            info.insert(b"files".to_vec(), v1_file_list(files, layout));
        }
    }
    let mut piece_layers = None;
    if opts.version.has_v2() {
        let (tree, layers) = file_tree(name, files, layout, hashes);
        info.insert(b"file tree".to_vec(), tree);
        info.insert(b"meta version".to_vec(), OwnedValue::Int(2));
        piece_layers = Some(layers);
    }
    BuiltInfo { info: OwnedValue::Dict(info), piece_layers }
}

/// The v1 `files` list, with a BEP 47 pad file after every file that a hybrid layout pads.
fn v1_file_list(files: &[InputFile], layout: &PieceLayout) -> OwnedValue {
    let mut list = Vec::with_capacity(files.len());
    for (f, span) in files.iter().zip(&layout.spans) {
        let mut entry = BTreeMap::new();
        entry.insert(b"length".to_vec(), OwnedValue::Int(f.length as i64));
        entry.insert(b"path".to_vec(), OwnedValue::str_list(&f.components));
        list.push(OwnedValue::Dict(entry));
        if span.pad > 0 {
            let mut pad = BTreeMap::new();
            pad.insert(b"attr".to_vec(), OwnedValue::bytes("p"));
            pad.insert(b"length".to_vec(), OwnedValue::Int(span.pad as i64));
            pad.insert(b"path".to_vec(), OwnedValue::str_list([".pad".to_string(), span.pad.to_string()]));
            list.push(OwnedValue::Dict(pad));
        }
    }
    OwnedValue::List(list)
}

/// The BEP 52 `file tree` and the `piece layers` of files longer than one piece.
fn file_tree(
    name: &str,
    files: &[InputFile],
    layout: &PieceLayout,
    hashes: &Hashes,
) -> (OwnedValue, BTreeMap<Vec<u8>, OwnedValue>) {
    let mut tree = BTreeMap::new();
    let mut layers = BTreeMap::new();
    for (f, span) in files.iter().zip(&layout.spans) {
        let mut leaf = BTreeMap::new();
        leaf.insert(b"length".to_vec(), OwnedValue::Int(f.length as i64));
        if f.length > 0 {
            let leaves = &hashes.leaves[span.leaf_base as usize..][..merkle::leaf_count(f.length) as usize];
            let root = merkle::file_root(leaves);
            leaf.insert(b"pieces root".to_vec(), OwnedValue::bytes(root));
            if f.length > layout.piece_length {
                let layer: Vec<Hash32> = merkle::piece_layer(leaves, layout.piece_length);
                layers.insert(root.to_vec(), OwnedValue::Bytes(layer.concat()));
            }
        }
        let path: Vec<&str> =
            if f.components.is_empty() { vec![name] } else { f.components.iter().map(String::as_str).collect() };
        insert_path(&mut tree, &path, leaf);
    }
    (OwnedValue::Dict(tree), layers)
}

/// Puts a file's `{"": {...}}` node at `path` in the nested tree.
fn insert_path(tree: &mut BTreeMap<Vec<u8>, OwnedValue>, path: &[&str], leaf: BTreeMap<Vec<u8>, OwnedValue>) {
    let Some((first, rest)) = path.split_first() else {
        tree.insert(Vec::new(), OwnedValue::Dict(leaf));
        return;
    };
    let node = tree.entry(first.as_bytes().to_vec()).or_insert_with(|| OwnedValue::Dict(BTreeMap::new()));
    if let OwnedValue::Dict(sub) = node {
        insert_path(sub, rest, leaf);
    }
}

/// The top-level dictionary around the info dictionary.
fn top_level(opts: &CreateOptions, built: BuiltInfo) -> OwnedValue {
    let mut top = BTreeMap::new();
    let announce = opts.announce.trim();
    if !announce.is_empty() {
        top.insert(b"announce".to_vec(), OwnedValue::bytes(announce));
    }
    let tiers: Vec<OwnedValue> =
        opts.announce_list.iter().filter(|t| !t.is_empty()).map(OwnedValue::str_list).collect();
    if !tiers.is_empty() {
        top.insert(b"announce-list".to_vec(), OwnedValue::List(tiers));
    }
    if !opts.comment.is_empty() {
        top.insert(b"comment".to_vec(), OwnedValue::bytes(&opts.comment));
    }
    if let Some(by) = &opts.created_by {
        top.insert(b"created by".to_vec(), OwnedValue::bytes(by));
    }
    if let Some(date) = opts.creation_date {
        top.insert(b"creation date".to_vec(), OwnedValue::Int(date));
    }
    if !opts.httpseeds.is_empty() {
        top.insert(b"httpseeds".to_vec(), OwnedValue::str_list(&opts.httpseeds));
    }
    if !opts.url_list.is_empty() {
        top.insert(b"url-list".to_vec(), OwnedValue::str_list(&opts.url_list));
    }
    top.insert(b"info".to_vec(), built.info);
    if let Some(layers) = built.piece_layers {
        top.insert(b"piece layers".to_vec(), OwnedValue::Dict(layers));
    }
    OwnedValue::Dict(top)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bencode::{decode, Limits, Value};
    use merkle::hash_pair;
    use sha2::{Digest, Sha256};

    fn sha256(b: &[u8]) -> Hash32 {
        Sha256::digest(b).into()
    }

    fn opts(input: PathBuf, version: TorrentVersion) -> CreateOptions {
        CreateOptions { version, piece_size_pow2: 15, ..CreateOptions::new(input, "http://t/announce") }
    }

    #[test]
    fn v2_root_and_piece_layer_of_a_known_file() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..3 * 16384 + 5).map(|i| (i % 253) as u8).collect();
        std::fs::write(dir.path().join("f.bin"), &data).unwrap();
        let bytes = create(&opts(dir.path().join("f.bin"), TorrentVersion::V2), &Progress::new()).unwrap();
        let top = decode(&bytes, Limits::strict()).unwrap();
        let top = top.as_dict().unwrap();
        assert!(top.is_sorted());
        let l: Vec<Hash32> = data.chunks(16384).map(sha256).collect();
        let (p0, p1) = (hash_pair(&l[0], &l[1]), hash_pair(&l[2], &l[3]));
        let root = hash_pair(&p0, &p1);
        let info = top.get_dict(b"info").unwrap();
        assert_eq!(info.get_int(b"meta version"), Some(2));
        assert!(info.get(b"pieces").is_none() && info.get(b"length").is_none());
        let node = info.get_dict(b"file tree").unwrap().get_dict(b"f.bin").unwrap().get_dict(b"").unwrap();
        assert_eq!(node.get_int(b"length"), Some(data.len() as i64));
        assert_eq!(node.get_bytes(b"pieces root"), Some(&root[..]));
        let layers = top.get_dict(b"piece layers").unwrap();
        assert_eq!(layers.get_bytes(&root), Some([p0, p1].concat().as_slice()));
    }

    #[test]
    fn hybrid_pads_every_file_but_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("d");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("a"), vec![1u8; 40_000]).unwrap();
        std::fs::write(root.join("e"), b"").unwrap();
        std::fs::write(root.join("sub/b"), vec![2u8; 100]).unwrap();
        let bytes = create(&opts(root, TorrentVersion::Hybrid), &Progress::new()).unwrap();
        let top = decode(&bytes, Limits::strict()).unwrap();
        let info = top.as_dict().unwrap().get_dict(b"info").unwrap();
        let files = info.get_list(b"files").unwrap();
        let desc: Vec<(i64, Vec<&str>, Option<&str>)> = files
            .iter()
            .map(|f| {
                let f = f.as_dict().unwrap();
                let path = f.get_list(b"path").unwrap().iter().map(|c| c.as_str().unwrap()).collect();
                (f.get_int(b"length").unwrap(), path, f.get_str(b"attr"))
            })
            .collect();
        let pad = 2 * 32768 - 40_000;
        assert_eq!(
            desc,
            [
                (40_000, vec!["a"], None),
                (pad, vec![".pad", &pad.to_string()], Some("p")),
                (0, vec!["e"], None),
                (100, vec!["sub", "b"], None)
            ]
        );
        // Three pieces: two of file a (the second completed by the pad), one of file b.
        assert_eq!(info.get_bytes(b"pieces").unwrap().len(), 3 * 20);
        let mut piece2 = vec![1u8; 40_000 - 32768];
        piece2.resize(32768, 0);
        let sha1: [u8; 20] = sha1::Sha1::digest(&piece2).into();
        assert_eq!(&info.get_bytes(b"pieces").unwrap()[20..40], sha1);
        let tree = info.get_dict(b"file tree").unwrap();
        let e = tree.get_dict(b"e").unwrap().get_dict(b"").unwrap();
        assert!(e.get(b"pieces root").is_none() && e.get_int(b"length") == Some(0));
        let b = tree.get_dict(b"sub").unwrap().get_dict(b"b").unwrap().get_dict(b"").unwrap();
        assert_eq!(b.get_bytes(b"pieces root"), Some(&sha256(&[2u8; 100])[..]));
        assert!(matches!(top.as_dict().unwrap().get(b"piece layers"), Some(Value::Dict(d)) if d.len() == 1));
    }

    #[test]
    fn top_level_keys_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), b"hello").unwrap();
        let mut o = opts(dir.path().join("x"), TorrentVersion::V1);
        o.announce_list = vec![vec!["http://a".into(), "http://b".into()], vec!["http://c".into()]];
        o.comment = "hi".into();
        o.httpseeds = vec!["http://s".into()];
        o.url_list = vec!["http://u/".into()];
        o.private = true;
        o.created_by = Some("me".into());
        o.creation_date = Some(1234567);
        let bytes = create(&o, &Progress::new()).unwrap();
        let pieces: [u8; 20] = sha1::Sha1::digest(b"hello").into();
        let mut info = b"d6:lengthi5e4:name1:x12:piece lengthi32768e6:pieces20:".to_vec();
        info.extend_from_slice(&pieces);
        info.extend_from_slice(b"7:privatei1ee");
        let mut expected =
            b"d8:announce17:http://t/announce13:announce-listll8:http://a8:http://bel8:http://cee".to_vec();
        expected.extend_from_slice(b"7:comment2:hi10:created by2:me13:creation datei1234567e");
        expected.extend_from_slice(b"9:httpseedsl8:http://se4:info");
        expected.extend_from_slice(&info);
        expected.extend_from_slice(b"8:url-listl9:http://u/ee");
        assert_eq!(String::from_utf8_lossy(&bytes), String::from_utf8_lossy(&expected));
        o.piece_size_pow2 = 12;
        assert!(matches!(create(&o, &Progress::new()), Err(CreateError::BadPieceSize { pow2: 12, .. })));
        o.input = dir.path().join("missing");
        let err = create(&o, &Progress::new()).unwrap_err().to_string();
        assert!(err.contains("missing"), "{err}");
    }
}
