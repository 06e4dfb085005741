//! metainfo::edit against the libtorrent test corpus and real file-system failures.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use bitgocho::bencode::{decode, Limits};
use bitgocho::metainfo::edit::{parse_tiers, EditError, Editor};
use sha1::{Digest, Sha1};

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

/// Makes a directory unwritable even for root (chmod, then `chattr +i`) and undoes it on drop.
struct Unwritable(PathBuf, bool);

impl Unwritable {
    fn new(dir: &Path) -> Unwritable {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
        let mut guard = Unwritable(dir.to_path_buf(), false);
        if fs::write(dir.join(".probe"), b"").is_ok() {
            fs::remove_file(dir.join(".probe")).unwrap();
            let st = Command::new("chattr").arg("+i").arg(dir).status().expect("chattr (apt package e2fsprogs)");
            assert!(st.success(), "chattr +i failed: running as root needs e2fsprogs and an ext4/xfs tmpdir");
            guard.1 = true;
        }
        assert!(fs::write(dir.join(".probe"), b"").is_err(), "could not make {} unwritable", dir.display());
        guard
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        if self.1 {
            let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        }
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o755));
    }
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
