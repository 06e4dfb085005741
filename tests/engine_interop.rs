//! Our engine against real BitTorrent software over loopback: libtorrent (python3-libtorrent)
//! seeding to us and downloading from us by direct connection, aria2c and libtorrent through
//! our bttrack, single-file and multi-file torrents made by mktorrent. Every transfer ends with a
//! byte-for-byte comparison with the original data.

#[allow(dead_code)]
mod common;

use bitgocho::metainfo::magnet::MagnetLink;
use bitgocho::session::AddParams;
use common::aria2::Aria2;
use common::bttrack::Bttrack;
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
    let us = common::session_addr(&session);
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

/// A torrent made by libtorrent itself (`v2_only`: BEP 52 only, else hybrid) of the multi-file
/// tree, 64 KiB pieces: libtorrent seeds it and we download it by direct connection; then we
/// seed what we downloaded (checked against the torrent's hashes first) and a second libtorrent
/// downloads it from us. Both copies are compared with the original.
fn libtorrent_made_torrent_both_ways(v2_only: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let target = multi_file(tmp.path());
    let (torrent, meta) = common::libtorrent::lt_make_torrent(&target, &tmp.path().join("t.torrent"), 65536, v2_only);
    assert_eq!(meta.info_hash_v1().is_none(), v2_only, "the torrent's kind");
    let seed_dir = tmp.path().join("seed");
    let mut lt = LtPeer::start(&torrent, &seed_dir, &[], LIFE);
    lt.wait_seeding(TRANSFER);

    let down = tmp.path().join("down");
    let session = common::loopback_session();
    let mut params = AddParams::new(meta.clone(), &down);
    params.peers = vec![lt.addr()];
    let handle = session.add_torrent(params).expect("add torrent");
    assert_eq!(handle.info_hash(), meta.swarm_info_hash());
    let status = common::wait_complete(&handle, TRANSFER);
    assert!(status.downloaded > 0, "nothing was downloaded");
    common::assert_same_files(&meta, &seed_dir, &down);
    session.shutdown();
    drop(lt);

    let seeder = common::loopback_session();
    let handle = seeder.add_torrent(AddParams::new(meta.clone(), &down)).expect("add torrent to seed");
    let status = common::wait_complete(&handle, TRANSFER);
    assert_eq!(status.downloaded, 0, "complete data must verify, not download");
    let again = tmp.path().join("again");
    std::fs::create_dir_all(&again).unwrap();
    let mut lt = LtPeer::start(&torrent, &again, &[common::session_addr(&seeder)], LIFE);
    lt.wait_seeding(TRANSFER);
    common::assert_same_files(&meta, &seed_dir, &again);
}

#[test]
fn libtorrent_v2_only_torrent_both_ways() {
    libtorrent_made_torrent_both_ways(true);
}

#[test]
fn libtorrent_hybrid_torrent_both_ways() {
    libtorrent_made_torrent_both_ways(false);
}

/// We seed a multi-file torrent; libtorrent, given only its magnet link and our address, fetches
/// the info dictionary from us (BEP 9), then the data.
#[test]
fn libtorrent_fetches_the_torrent_from_us_by_magnet_link() {
    let tmp = tempfile::tempdir().unwrap();
    let target = multi_file(tmp.path());
    let (_, meta) = common::mktorrent(&target, &tmp.path().join("t.torrent"), 16, None);
    let seed_dir = tmp.path().join("seed");
    let session = common::loopback_session();
    let handle = session.add_torrent(AddParams::new(meta.clone(), &seed_dir)).expect("add torrent");
    common::wait_complete(&handle, TRANSFER);

    let down = tmp.path().join("down");
    std::fs::create_dir_all(&down).unwrap();
    let hex: String = meta.info_hash_v1().unwrap().iter().map(|b| format!("{b:02x}")).collect();
    let link = format!("magnet:?xt=urn:btih:{hex}");
    let mut lt = LtPeer::magnet_leech(&link, &down, common::session_addr(&session), LIFE, false);
    lt.expect_line("METADATA", TRANSFER);
    lt.wait_seeding(TRANSFER);
    common::assert_same_files(&meta, &seed_dir, &down);
}

/// libtorrent seeds a multi-file torrent; we, given only its magnet link naming libtorrent
/// (`x.pe`), fetch the info dictionary from it (BEP 9), then the data.
#[test]
fn we_fetch_the_torrent_from_libtorrent_by_magnet_link() {
    let tmp = tempfile::tempdir().unwrap();
    let target = multi_file(tmp.path());
    let (torrent, meta) = common::mktorrent(&target, &tmp.path().join("t.torrent"), 16, None);
    let seed_dir = tmp.path().join("seed");
    let mut lt = LtPeer::start(&torrent, &seed_dir, &[], LIFE);
    lt.wait_seeding(TRANSFER);

    let hex: String = meta.info_hash_v1().unwrap().iter().map(|b| format!("{b:02x}")).collect();
    let link = MagnetLink::parse(&format!("magnet:?xt=urn:btih:{hex}&x.pe={}", lt.addr())).unwrap();
    let session = common::loopback_session();
    let down = tmp.path().join("down");
    let handle = session.add_torrent(AddParams::magnet(link, &down)).expect("add magnet link");
    let status = common::wait_complete(&handle, TRANSFER);
    assert_eq!((status.name.as_str(), status.have_bytes), ("tree", meta.total_length()));
    common::assert_same_files(&meta, &seed_dir, &down);
}

/// A libtorrent peer for the peer-exchange tests: downloads at most `limit` bytes a second (0:
/// no limit) so that it stays a leecher, dials the given peers, and prints `PEER <port> <how>`
/// for each peer it is connected to, handshakes done (`how`: `pex` when it learnt the address by peer exchange).
const PEX_PEER: &str = r#"
import sys, time, libtorrent as lt
torrent, save, life, limit = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
s = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_outgoing_utp': False,
    'enable_incoming_utp': False, 'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False,
    'enable_natpmp': False, 'allow_multiple_connections_per_ip': True,
    'download_rate_limit': limit, 'ignore_limits_on_local_network': False,
    'alert_mask': lt.alert.category_t.error_notification})
end = time.time() + life
while s.listen_port() == 0 and time.time() < end:
    time.sleep(0.02)
print('PORT', s.listen_port(), flush=True)
h = s.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
for p in sys.argv[5:]:
    host, port = p.rsplit(':', 1)
    h.connect_peer((host, int(port)))
seen = set()
while time.time() < end:
    for p in h.get_peer_info():
        if p.flags & (lt.peer_info.connecting | lt.peer_info.handshake):
            continue
        key = (p.ip[1], 'pex' if p.source & lt.peer_info.pex else 'other')
        if key not in seen:
            seen.add(key)
            print('PEER', *key, flush=True)
    time.sleep(0.05)
"#;

/// Starts [`PEX_PEER`] on `torrent`, saving under `save`, downloading at most `limit` bytes a
/// second, dialling `peers`.
fn pex_peer(torrent: &Path, save: &Path, limit: u32, peers: &[std::net::SocketAddr]) -> LtPeer {
    std::fs::create_dir_all(save).unwrap();
    let mut args: Vec<std::ffi::OsString> =
        vec![torrent.into(), save.into(), LIFE.as_secs().to_string().into(), limit.to_string().into()];
    args.extend(peers.iter().map(|p| p.to_string().into()));
    LtPeer::spawn(PEX_PEER, args)
}

/// A 4 MiB single file in 64 KiB pieces: big enough that a leecher limited to 16 kB/s stays one.
fn pex_torrent(tmp: &Path) -> (std::path::PathBuf, std::sync::Arc<bitgocho::metainfo::Metainfo>) {
    common::write_data(&tmp.join("seed/pex.bin"), 4 << 20, 9);
    common::mktorrent(&tmp.join("seed/pex.bin"), &tmp.join("pex.torrent"), 16, None)
}

/// Peer exchange, taking (BEP 11): we know only libtorrent's seeder; it tells us about a
/// libtorrent leecher connected to it (libtorrent waits a few seconds between the peers it
/// tells), and we connect to that leecher.
#[test]
fn libtorrent_tells_us_about_other_peers_and_we_dial_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (torrent, meta) = pex_torrent(tmp.path());
    let seeder = pex_peer(&torrent, &tmp.path().join("seed"), 0, &[]);
    let mut leecher = pex_peer(&torrent, &tmp.path().join("slow"), 16_000, &[seeder.addr()]);
    leecher.expect_line(&format!("PEER {} ", seeder.port), TRANSFER);

    let session = common::loopback_session();
    let mut params = AddParams::new(meta, tmp.path().join("down"));
    params.peers = vec![seeder.addr()];
    // Slow enough to stay a leecher (a finished download drops its connections to seeds).
    params.max_download_rate = 64 * 1024;
    let handle = session.add_torrent(params).expect("add torrent");
    common::wait_status(&handle, "a connection to the peer learnt by exchange", TRANSFER, |st| {
        st.peer_list.iter().any(|p| p.outgoing && p.addr == leecher.addr())
    });
}

/// Peer exchange, giving (BEP 11): two libtorrent leechers know only our seeder; we tell the
/// second about the first, which it then connects to.
#[test]
fn we_tell_libtorrent_about_other_peers() {
    let tmp = tempfile::tempdir().unwrap();
    let (torrent, meta) = pex_torrent(tmp.path());
    let session = common::loopback_session();
    let handle = session.add_torrent(AddParams::new(meta, tmp.path().join("seed"))).expect("add torrent");
    common::wait_complete(&handle, TRANSFER);
    let us = common::session_addr(&session);

    let first = pex_peer(&torrent, &tmp.path().join("one"), 16_000, &[us]);
    common::wait_status(&handle, "the first leecher", TRANSFER, |st| st.peer_list.len() == 1);
    let mut second = pex_peer(&torrent, &tmp.path().join("two"), 16_000, &[us]);
    second.expect_line(&format!("PEER {} pex", first.port), TRANSFER);
}

/// The pieces of a tracker test: bttrack, the data under `seed`, its torrent announcing there.
struct Swarm {
    tmp: tempfile::TempDir,
    tracker: Bttrack,
    torrent: std::path::PathBuf,
    meta: std::sync::Arc<bitgocho::metainfo::Metainfo>,
}

impl Swarm {
    fn new(multi: bool) -> Swarm {
        let tmp = tempfile::tempdir().unwrap();
        let tracker = Bttrack::start(&tmp.path().join("dstate"));
        let target = if multi { multi_file(tmp.path()) } else { single_file(tmp.path()) };
        let (torrent, meta) = common::mktorrent(&target, &tmp.path().join("t.torrent"), 16, Some(&tracker.url()));
        Swarm { tmp, tracker, torrent, meta }
    }

    fn dir(&self, name: &str) -> std::path::PathBuf {
        let d = self.tmp.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn hash(&self) -> [u8; 20] {
        self.meta.info_hash_v1().unwrap()
    }

    /// Waits until `n` peers are registered at the tracker.
    fn wait_registered(&self, n: u64) {
        common::wait_for("peers to announce", TRANSFER, || self.tracker.registered(&self.hash()) >= n);
    }
}

/// aria2c seeds (found through bttrack); we download.
fn aria2_seeds_we_download(multi: bool) {
    let swarm = Swarm::new(multi);
    let seed_dir = swarm.dir("seed");
    let aria = Aria2::start(&swarm.torrent, &seed_dir, true, LIFE);
    swarm.wait_registered(1);
    let session = common::loopback_session();
    let down = swarm.dir("down");
    let handle = session.add_torrent(AddParams::new(swarm.meta.clone(), &down)).expect("add torrent");
    let status = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| common::wait_complete(&handle, TRANSFER)));
    let status = status.unwrap_or_else(|_| panic!("download from aria2c failed; aria2c log:\n{}", aria.log()));
    assert_eq!(status.have_bytes, swarm.meta.total_length());
    common::assert_same_files(&swarm.meta, &seed_dir, &down);
}

#[test]
fn aria2_seeds_single_file_through_bttrack() {
    aria2_seeds_we_download(false);
}

#[test]
fn aria2_seeds_multi_file_through_bttrack() {
    aria2_seeds_we_download(true);
}

/// We seed; aria2c finds us through the tracker, downloads and exits.
fn we_seed_aria2_downloads(multi: bool) {
    let swarm = Swarm::new(multi);
    let seed_dir = swarm.dir("seed");
    let session = common::loopback_session();
    let handle = session.add_torrent(AddParams::new(swarm.meta.clone(), &seed_dir)).expect("add torrent");
    common::wait_complete(&handle, TRANSFER);
    swarm.wait_registered(1);
    let down = swarm.dir("down");
    let mut aria = Aria2::start(&swarm.torrent, &down, false, LIFE);
    let code = aria.wait_exit(TRANSFER);
    assert_eq!(code, Some(0), "aria2c did not download from us; its log:\n{}", aria.log());
    common::assert_same_files(&swarm.meta, &seed_dir, &down);
    let total = swarm.meta.total_length();
    common::wait_for("our upload counter", Duration::from_secs(5), || handle.status().uploaded >= total);
}

#[test]
fn we_seed_single_file_to_aria2_through_bttrack() {
    we_seed_aria2_downloads(false);
}

#[test]
fn we_seed_multi_file_to_aria2_through_bttrack() {
    we_seed_aria2_downloads(true);
}

/// libtorrent seeds and we download, both finding each other through the tracker.
#[test]
fn libtorrent_seeds_multi_file_through_bttrack() {
    let swarm = Swarm::new(true);
    let seed_dir = swarm.dir("seed");
    let mut lt = LtPeer::start(&swarm.torrent, &seed_dir, &[], LIFE);
    lt.wait_seeding(TRANSFER);
    swarm.wait_registered(1);
    let session = common::loopback_session();
    let down = swarm.dir("down");
    let handle = session.add_torrent(AddParams::new(swarm.meta.clone(), &down)).expect("add torrent");
    common::wait_complete(&handle, TRANSFER);
    common::assert_same_files(&swarm.meta, &seed_dir, &down);
}

/// We seed and libtorrent downloads, finding us through the tracker.
#[test]
fn we_seed_single_file_to_libtorrent_through_bttrack() {
    let swarm = Swarm::new(false);
    let seed_dir = swarm.dir("seed");
    let session = common::loopback_session();
    let handle = session.add_torrent(AddParams::new(swarm.meta.clone(), &seed_dir)).expect("add torrent");
    common::wait_complete(&handle, TRANSFER);
    swarm.wait_registered(1);
    let down = swarm.dir("down");
    let mut lt = LtPeer::start(&swarm.torrent, &down, &[], LIFE);
    lt.wait_seeding(TRANSFER);
    common::assert_same_files(&swarm.meta, &seed_dir, &down);
    let total = swarm.meta.total_length();
    common::wait_for("our upload counter", Duration::from_secs(5), || handle.status().uploaded >= total);
}
