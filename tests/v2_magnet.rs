//! v2 torrents by magnet link (`xt=urn:btmh:`): the info dictionary holds no piece layers, so
//! after BEP 9 the leecher asks its peers for them with BEP 52 hash requests and checks each
//! answer against the files' pieces roots. Shown both ways with libtorrent, and between two of
//! our sessions (including a peer that lies).

#[allow(dead_code)]
mod common;

use bitgocho::metainfo::Metainfo;
use bitgocho::session::AddParams;
use common::libtorrent::LtPeer;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const LIFE: Duration = Duration::from_secs(120);
const TRANSFER: Duration = Duration::from_secs(60);

/// A tree of files of 11 and 19 pieces (their layers must be fetched), one of exactly one
/// piece, one of one byte and an empty one, and its v2-only torrent with 64 KiB pieces (made
/// by libtorrent).
fn v2_tree(root: &Path) -> (PathBuf, PathBuf, Arc<Metainfo>) {
    let dir = root.join("seed/tree");
    common::write_data(&dir.join("a.bin"), 700_001, 2);
    common::write_data(&dir.join("sub/b.bin"), 65_536, 3);
    common::write_data(&dir.join("sub/deeper/c.bin"), 1_234_567, 4);
    common::write_data(&dir.join("sub/deeper/one"), 1, 5);
    std::fs::write(dir.join("sub/empty"), b"").unwrap();
    let (torrent, meta) = common::libtorrent::lt_make_torrent(&dir, &root.join("t.torrent"), 65536, true);
    assert!(meta.info_hash_v1().is_none() && meta.has_piece_layers(), "a v2-only torrent with its layers");
    (dir, torrent, meta)
}

/// The torrent's v2 magnet link, naming `peer` when given.
fn btmh_link(meta: &Metainfo, peer: Option<std::net::SocketAddr>) -> String {
    let hex: String = meta.info_hash_v2().unwrap().iter().map(|b| format!("{b:02x}")).collect();
    let pe = peer.map(|p| format!("&x.pe={p}")).unwrap_or_default();
    format!("magnet:?xt=urn:btmh:1220{hex}{pe}")
}

/// We seed a v2-only torrent; libtorrent, given only its `urn:btmh:` link and our address,
/// fetches the info dictionary from us, then the piece layers by hash requests, then the data.
#[test]
fn libtorrent_fetches_a_v2_only_torrent_from_us_by_magnet_link() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, _, meta) = v2_tree(tmp.path());
    let seed_dir = tmp.path().join("seed");
    let session = common::loopback_session();
    let handle = session.add_torrent(AddParams::new(meta.clone(), &seed_dir)).expect("add torrent");
    common::wait_complete(&handle, TRANSFER);

    let down = tmp.path().join("down");
    std::fs::create_dir_all(&down).unwrap();
    let addr = common::session_addr(&session);
    let args = vec![
        btmh_link(&meta, None).into(),
        down.clone().into(),
        LIFE.as_secs().to_string().into(),
        addr.to_string().into(),
        "hashlog".into(),
    ];
    let mut lt = LtPeer::spawn(common::libtorrent::MAGNET_LEECH, args);
    lt.expect_line("METADATA", TRANSFER);
    lt.expect_line_with("LOG", "<== HASHES", TRANSFER);
    lt.wait_seeding(TRANSFER);
    assert!(!lt.stdout().iter().any(|l| l.contains("HASH_REJECT")), "a request was rejected: {:?}", lt.stdout());
    common::assert_same_files(&meta, &seed_dir, &down);
}
