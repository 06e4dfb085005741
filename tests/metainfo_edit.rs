//! metainfo::edit against the libtorrent test corpus and real file-system failures.

use std::fs;
use std::path::{Path, PathBuf};

use bitgocho::bencode::{decode, Limits};
use bitgocho::metainfo::edit::{parse_tiers, EditError, Editor};
use sha1::{Digest, Sha1};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;
use common::Unwritable;

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/libtorrent-corpus");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("corpus directory")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "torrent"))
        .collect();
    files.sort();
    assert!(files.len() > 50, "corpus looks incomplete: {} files", files.len());
    files
}

/// The raw `info` bytes of a torrent, found independently of the editor.
fn info_span(bytes: &[u8]) -> Vec<u8> {
    let v = decode(bytes, Limits::default()).unwrap();
    v.as_dict().unwrap().get_dict(b"info").unwrap().raw().to_vec()
}

#[test]
fn corpus_round_trips_and_reannounce_keeps_info_hash() {
    let mut loaded = 0;
    for path in corpus() {
        let bytes = fs::read(&path).unwrap();
        let Ok(mut ed) = Editor::from_bytes(&bytes) else { continue };
        loaded += 1;
        assert_eq!(ed.to_bytes(), bytes, "{}: unedited output differs", path.display());
        let info = info_span(&bytes);
        ed.set_announce("http://example.org/announce");
        ed.set_announce_list(Some(parse_tiers("http://a/ann,http://b/ann|udp://c:6969")));
        ed.set_http_seeds(None);
        ed.set_url_list(Some(vec!["http://web/".into()]));
        let out = ed.to_bytes();
        assert_eq!(info_span(&out), info, "{}: info bytes changed", path.display());
        let hash: [u8; 20] = Sha1::digest(&info).into();
        assert_eq!(Editor::from_bytes(&out).unwrap().info_hash(), hash, "{}", path.display());
    }
    assert!(loaded >= 60, "only {loaded} corpus torrents loaded");
}

#[test]
fn non_torrents_are_errors_not_panics() {
    for bad in [&b""[..], b"de", b"l4:infoe", b"d4:info3:abce", b"d4:infod", b"\xff\xfe", b"i-0e"] {
        let err = Editor::from_bytes(bad).unwrap_err();
        assert!(err.to_string().starts_with("not a torrent"), "{err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("plain.torrent");
    fs::write(&p, b"hello").unwrap();
    let msg = Editor::from_file(&p).unwrap_err().to_string();
    assert!(msg.starts_with(&format!("{}: not a torrent", p.display())), "{msg}");
    let missing = dir.path().join("missing.torrent");
    assert!(matches!(Editor::from_file(&missing), Err(EditError::Read { .. })));
}

#[test]
fn failed_write_keeps_the_original_and_leaves_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/libtorrent-corpus/base.torrent");
    let path = dir.path().join("base.torrent");
    fs::copy(&src, &path).unwrap();
    let original = fs::read(&path).unwrap();
    let mut ed = Editor::from_file(&path).unwrap();
    ed.set_announce("http://changed/announce");
    {
        let _guard = Unwritable::new(dir.path());
        let err = ed.write_to(&path).unwrap_err();
        assert!(matches!(err, EditError::Write { .. }), "{err}");
        assert!(err.to_string().starts_with(&format!("{}: cannot write", path.display())));
    }
    assert_eq!(fs::read(&path).unwrap(), original);
    let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("base.torrent")]);
    ed.write_to(&path).unwrap();
    assert_eq!(Editor::from_file(&path).unwrap().announce().as_deref(), Some("http://changed/announce"));
}
