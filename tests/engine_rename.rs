//! Renaming a torrent's top-level file or directory at add time (`AddParams::top_level_name`):
//! a download lands under the new name, the resume record written for it is found again by a
//! restart with the same rename, and names that are not one safe path component are refused.

use bitgocho::metainfo::Metainfo;
use bitgocho::session::status::{TorrentState, TorrentStatus};
use bitgocho::session::{AddParams, Session, SessionSettings};
use common::seeding;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

fn checked(st: &TorrentStatus) -> bool {
    st.state != TorrentState::Checking
}

fn renamed(meta: &Arc<Metainfo>, save: &Path, name: Option<&str>) -> AddParams {
    let mut p = AddParams::new(meta.clone(), save);
    p.top_level_name = name.map(str::to_string);
    p
}

/// Flips one byte of `path` keeping its size and mtime (a resume record stays trusted).
fn corrupt_keeping_stamp(path: &Path) {
    let mtime = std::fs::metadata(path).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(path).unwrap();
    bytes[10] ^= 0xff;
    std::fs::write(path, &bytes).unwrap();
    std::fs::File::options().write(true).open(path).unwrap().set_modified(mtime).unwrap();
}

#[test]
fn download_under_a_new_name_and_resume_with_the_same_rename() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let one = common::data_file(&src.join("multi/a/one.bin"), 300_000, 7);
    let two = common::data_file(&src.join("multi/two.bin"), 200_001, 8);
    let (_, meta) = common::mktorrent(&src.join("multi"), &dir.path().join("m.torrent"), 15, None);
    let seeder = common::loopback_session();
    let s = seeder.add_torrent(AddParams::new(meta.clone(), &src)).unwrap();
    common::wait_status(&s, "seeder check", Duration::from_secs(20), seeding);

    let out = dir.path().join("out");
    let resume = dir.path().join("resume");
    let settings = || SessionSettings { resume_dir: Some(resume.clone()), ..common::loopback_settings() };
    let leecher = Session::new(settings()).unwrap();
    let mut p = renamed(&meta, &out, Some("other name"));
    p.peers.push(common::session_addr(&seeder));
    let l = leecher.add_torrent(p).unwrap();
    common::wait_status(&l, "download", Duration::from_secs(30), seeding);
    leecher.shutdown();
    assert_eq!(std::fs::read(out.join("other name/a/one.bin")).unwrap(), one);
    assert_eq!(std::fs::read(out.join("other name/two.bin")).unwrap(), two);
    assert!(!out.join("multi").exists(), "nothing under info.name");
    let entries: Vec<_> = std::fs::read_dir(&out).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(entries, ["other name"], "only the renamed directory in the save directory");
    assert_eq!(common::resume_records(&resume).len(), 1, "a resume record was written");

    // Same rename: the record's file stamps match the renamed files, so it is trusted (a byte
    // flipped without changing the stamps is not noticed: the data was not rehashed).
    corrupt_keeping_stamp(&out.join("other name/two.bin"));
    let again = Session::new(settings()).unwrap();
    let t = again.add_torrent(renamed(&meta, &out, Some("other name"))).unwrap();
    let st = common::wait_status(&t, "restart check", Duration::from_secs(20), checked);
    assert_eq!(st.pieces_have, st.pieces_total, "the record found the renamed data: {st:?}");
    again.shutdown();

    // Without the rename the engine looks under info.name and finds nothing.
    let plain = Session::new(settings()).unwrap();
    let t = plain.add_torrent(renamed(&meta, &out, None)).unwrap();
    let st = common::wait_status(&t, "plain check", Duration::from_secs(20), checked);
    assert_eq!(st.pieces_have, 0, "no data under info.name: {st:?}");
}

#[test]
fn single_file_rename_seeds_existing_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::data_file(&dir.path().join("orig.bin"), 150_000, 9);
    let (_, meta) = common::mktorrent(&dir.path().join("orig.bin"), &dir.path().join("s.torrent"), 15, None);
    let save = dir.path().join("save");
    std::fs::create_dir_all(&save).unwrap();
    std::fs::write(save.join("copy.bin"), &data).unwrap();
    let session = common::loopback_session();
    let t = session.add_torrent(renamed(&meta, &save, Some("copy.bin"))).unwrap();
    let st = common::wait_status(&t, "check", Duration::from_secs(20), checked);
    assert!(seeding(&st), "the renamed file was checked as complete: {st:?}");
    assert!(!save.join("orig.bin").exists());
}

#[test]
fn unsafe_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    common::data_file(&dir.path().join("f.bin"), 20_000, 10);
    let (_, meta) = common::mktorrent(&dir.path().join("f.bin"), &dir.path().join("f.torrent"), 15, None);
    let session = common::loopback_session();
    let save = dir.path().join("save");
    for bad in ["", ".", "..", "../escape", "a/b", "nul\0byte"] {
        let err = session.add_torrent(renamed(&meta, &save, Some(bad))).err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("one path component"), "{bad:?} accepted or wrong error: {text:?}");
    }
    assert!(!dir.path().join("escape").exists());
}
