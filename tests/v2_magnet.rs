//! v2 torrents by magnet link (`xt=urn:btmh:`): the info dictionary holds no piece layers, so
//! after BEP 9 the leecher asks its peers for them with BEP 52 hash requests and checks each
//! answer against the files' pieces roots. Shown both ways with libtorrent, and between two of
//! our sessions (including a peer that lies).

#[allow(dead_code)]
mod common;

use bitgocho::metainfo::magnet::MagnetLink;
use bitgocho::metainfo::Metainfo;
use bitgocho::session::event::SessionEvent;
use bitgocho::session::AddParams;
use bitgocho::wire::HashRange;
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
    let link = btmh_link(&meta, None);
    let mut lt = LtPeer::magnet_leech(&link, &down, common::session_addr(&session), LIFE, true);
    lt.expect_line("METADATA", TRANSFER);
    lt.expect_line_with("LOG", "<== HASHES", TRANSFER);
    lt.wait_seeding(TRANSFER);
    assert!(!lt.stdout().iter().any(|l| l.contains("HASH_REJECT")), "a request was rejected: {:?}", lt.stdout());
    common::assert_same_files(&meta, &seed_dir, &down);
}

/// libtorrent seeds a v2-only torrent; we, given only its `urn:btmh:` link naming libtorrent,
/// fetch the info dictionary, the piece layers (libtorrent answers our hash requests) and the
/// data. The torrent we end up with has the piece layers of the original.
#[test]
fn we_fetch_a_v2_only_torrent_from_libtorrent_by_magnet_link() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, torrent, meta) = v2_tree(tmp.path());
    let seed_dir = tmp.path().join("seed");
    let mut lt = LtPeer::start(&torrent, &seed_dir, &[], LIFE);
    lt.wait_seeding(TRANSFER);

    let link = MagnetLink::parse(&btmh_link(&meta, Some(lt.addr()))).unwrap();
    let session = common::loopback_session();
    let down = tmp.path().join("down");
    let handle = session.add_torrent(AddParams::magnet(link, &down)).expect("add magnet link");
    let status = common::wait_complete(&handle, TRANSFER);
    assert_eq!((status.name.as_str(), status.have_bytes), ("tree", meta.total_length()));
    common::assert_same_files(&meta, &seed_dir, &down);
    assert_same_layers(&handle.metainfo().expect("metainfo"), &meta);
}

/// `got` has the same files and piece layers as `want`.
fn assert_same_layers(got: &Metainfo, want: &Metainfo) {
    assert!(got.has_piece_layers());
    assert_eq!(got.info_hash_v2(), want.info_hash_v2());
    let layered = (0..want.files().len()).filter(|i| want.piece_layer(*i).is_some()).count();
    assert_eq!(layered, 2, "the tree has two files of more than one piece");
    for i in 0..want.files().len() {
        assert_eq!(got.piece_layer(i), want.piece_layer(i), "file {i}");
    }
}

/// As many hashes as an honest answer to `range` holds (its nodes and their uncles), all wrong.
fn junk_hashes(range: &HashRange) -> Option<Vec<u8>> {
    let uncles = range.proof_layers + 1 - range.count.trailing_zeros();
    Some(vec![0x5a; 32 * (range.count + uncles) as usize])
}

/// Two of our sessions over a v2 magnet link. The link names a peer that gives the right
/// dictionary but wrong piece hashes first: it is banned, and the download goes on from our
/// seeder, whose hash answers prove out.
#[test]
fn a_peer_sending_wrong_piece_hashes_is_banned_and_the_fetch_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, _, meta) = v2_tree(tmp.path());
    let seed = common::loopback_session();
    let sh = seed.add_torrent(AddParams::new(meta.clone(), tmp.path().join("seed"))).expect("add torrent");
    common::wait_complete(&sh, TRANSFER);

    let swarm_hash = meta.swarm_info_hash();
    let liar = common::metadata_peer::start(meta.info_bytes().to_vec(), swarm_hash, junk_hashes);
    let leech = common::loopback_session();
    let link = MagnetLink::parse(&btmh_link(&meta, Some(liar))).unwrap();
    assert_eq!(link.info_hash, swarm_hash, "a v2-only link names the torrent by its truncated v2 hash");
    let h = leech.add_torrent(AddParams::magnet(link, tmp.path().join("got"))).unwrap();
    let events = common::events_until(TRANSFER, &leech, h.id(), |e| matches!(e, SessionEvent::PeerBanned { .. }));
    assert!(events.contains(&SessionEvent::PeerBanned { torrent: h.id(), addr: liar }), "{events:?}");
    assert!(h.metainfo().is_none(), "no torrent is made from hashes that do not prove out");
    h.connect_peer(common::session_addr(&seed)).unwrap();
    common::wait_complete(&h, TRANSFER);
    common::assert_same_files(&meta, &tmp.path().join("seed"), &tmp.path().join("got"));
    assert_same_layers(&h.metainfo().expect("metainfo"), &meta);
}

/// A v2 .torrent without its `piece layers` (as libtorrent's corpus has one) is added like a
/// magnet link whose dictionary is known: it fetches the layers from its peers, then the data.
#[test]
fn a_v2_torrent_without_piece_layers_fetches_them_from_peers() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, _, meta) = v2_tree(tmp.path());
    let seed = common::loopback_session();
    let sh = seed.add_torrent(AddParams::new(meta.clone(), tmp.path().join("seed"))).expect("add torrent");
    common::wait_complete(&sh, TRANSFER);

    let mut bare = b"d4:info".to_vec();
    bare.extend_from_slice(meta.info_bytes());
    bare.push(b'e');
    let bare = Metainfo::from_bytes(&bare).unwrap();
    assert!(!bare.has_piece_layers() && !bare.is_verifiable());
    let leech = common::loopback_session();
    let mut params = AddParams::new(Arc::new(bare), tmp.path().join("got"));
    params.peers = vec![common::session_addr(&seed)];
    let h = leech.add_torrent(params).expect("a v2 torrent without layers is added");
    assert_eq!(h.info_hash(), meta.swarm_info_hash());
    common::wait_complete(&h, TRANSFER);
    common::assert_same_files(&meta, &tmp.path().join("seed"), &tmp.path().join("got"));
    assert_same_layers(&h.metainfo().expect("metainfo"), &meta);
}
