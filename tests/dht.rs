//! The DHT (BEP 5) between sessions on loopback: a torrent added from a magnet link that names
//! no peer and no tracker finds its seeder through the DHT (a third session as the bootstrap
//! node), and libtorrent's DHT finds our seeder the same way; private torrents stay out of it.

#[allow(dead_code)]
mod common;

use bitgocho::metainfo::create::{create, CreateOptions};
use bitgocho::metainfo::hasher::Progress;
use bitgocho::metainfo::magnet::MagnetLink;
use bitgocho::metainfo::Metainfo;
use bitgocho::session::{AddParams, Session, SessionSettings};
use common::{data_file, loopback_settings, mktorrent, session_addr, wait_complete};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const TRANSFER: Duration = Duration::from_secs(60);

/// Loopback settings joining the DHT through `bootstrap`.
fn joining(bootstrap: &Session) -> SessionSettings {
    SessionSettings { dht_bootstrap: vec![session_addr(bootstrap).to_string()], ..loopback_settings() }
}

/// `dir/<sub>/file.bin` (`len` bytes) and its torrent `dir/<sub>.torrent`.
fn payload(dir: &Path, sub: &str, len: usize, seed: u64) -> (PathBuf, Arc<Metainfo>) {
    let file = dir.join(sub).join("file.bin");
    data_file(&file, len, seed);
    mktorrent(&file, &dir.join(format!("{sub}.torrent")), 15, None)
}

/// `session` seeding a fresh payload under `dir/seed` (waits until it seeds).
fn seed_in(session: &Session, dir: &Path, len: usize, seed: u64) -> Arc<Metainfo> {
    let (_, meta) = payload(dir, "seed", len, seed);
    let t = session.add_torrent(AddParams::new(meta.clone(), dir.join("seed"))).unwrap();
    wait_complete(&t, TRANSFER);
    meta
}

#[test]
fn a_magnet_link_finds_its_seeder_through_the_dht() {
    let dir = tempfile::tempdir().unwrap();
    let router = Session::new(loopback_settings()).unwrap();
    let seeder = Session::new(joining(&router)).unwrap();
    let meta = seed_in(&seeder, dir.path(), 700_000, 31);
    let link = MagnetLink::parse(&magnet_of(&meta)).unwrap();
    let leecher = Session::new(joining(&router)).unwrap();
    let leech = leecher.add_torrent(AddParams::magnet(link, dir.path().join("got"))).unwrap();
    wait_complete(&leech, TRANSFER);
    common::assert_same_files(&meta, &dir.path().join("seed"), &dir.path().join("got"));
}

/// libtorrent with its DHT on, joining through `argv[1]` (loopback: the IP restrictions meant
/// for the Internet off). With `argv[2]` a magnet link it downloads into `argv[3]` and prints
/// `DONE` once complete; with `argv[2]` a .torrent file it seeds the data in `argv[3]` and prints
/// `SEEDING`. Lives 60 s at most.
const LT_DHT_PEER: &str = r#"
import sys, time, libtorrent as lt
router, what, save = sys.argv[1], sys.argv[2], sys.argv[3]
s = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_outgoing_utp': False,
    'enable_incoming_utp': False, 'enable_dht': True, 'dht_bootstrap_nodes': router,
    'dht_restrict_routing_ips': False, 'dht_restrict_search_ips': False,
    'dht_prefer_verified_node_ids': False, 'enable_lsd': False, 'enable_upnp': False,
    'enable_natpmp': False, 'alert_mask': lt.alert.category_t.error_notification})
if what.startswith('magnet:'):
    p = lt.parse_magnet_uri(what)
else:
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(what)
p.save_path = save
h = s.add_torrent(p)
end = time.time() + 60
said = False
while time.time() < end:
    if h.status().is_seeding and not said:
        print('SEEDING' if not what.startswith('magnet:') else 'DONE', flush=True)
        said = True
    time.sleep(0.05)
"#;

/// Starts [`LT_DHT_PEER`] and waits (bounded) for its line `want`.
fn libtorrent_dht_peer(router: &Session, what: &str, save: &std::path::Path, want: &str) -> common::KillOnDrop {
    let mut cmd = common::libtorrent::python_libtorrent(LT_DHT_PEER);
    cmd.arg(session_addr(router).to_string()).arg(what).arg(save);
    let (child, lines) = common::libtorrent::spawn_with_lines(&mut cmd);
    let child = common::KillOnDrop(child);
    match lines.recv_timeout(TRANSFER) {
        Ok(line) if line == want => child,
        other => panic!("libtorrent did not say {want}: {other:?}"),
    }
}

fn magnet_of(meta: &Metainfo) -> String {
    format!("magnet:?xt=urn:btih:{}", bitgocho::metainfo::parse::hex(&meta.info_hash_v1().unwrap()))
}

#[test]
fn libtorrent_finds_our_seeder_through_our_dht_node() {
    let dir = tempfile::tempdir().unwrap();
    let router = Session::new(loopback_settings()).unwrap();
    let seeder = Session::new(joining(&router)).unwrap();
    let meta = seed_in(&seeder, dir.path(), 700_000, 32);
    let got = dir.path().join("got");
    let _lt = libtorrent_dht_peer(&router, &magnet_of(&meta), &got, "DONE");
    common::assert_same_files(&meta, &dir.path().join("seed"), &got);
}

#[test]
fn we_find_a_libtorrent_seeder_through_the_dht() {
    let dir = tempfile::tempdir().unwrap();
    let router = Session::new(loopback_settings()).unwrap();
    let (torrent, meta) = payload(dir.path(), "seed", 700_000, 33);
    let _lt = libtorrent_dht_peer(&router, torrent.to_str().unwrap(), &dir.path().join("seed"), "SEEDING");
    let leecher = Session::new(joining(&router)).unwrap();
    let link = MagnetLink::parse(&magnet_of(&meta)).unwrap();
    let leech = leecher.add_torrent(AddParams::magnet(link, dir.path().join("got"))).unwrap();
    wait_complete(&leech, TRANSFER);
    common::assert_same_files(&meta, &dir.path().join("seed"), &dir.path().join("got"));
}

#[test]
fn private_torrents_and_sessions_without_dht_stay_out() {
    let dir = tempfile::tempdir().unwrap();
    let router = Session::new(loopback_settings()).unwrap();
    let seeder = Session::new(joining(&router)).unwrap();
    // A private torrent (BEP 27) is never announced to the DHT.
    data_file(&dir.path().join("private/file.bin"), 100_000, 34);
    let mut opts = CreateOptions::new(dir.path().join("private/file.bin"), "");
    opts.private = true;
    let private = Arc::new(Metainfo::from_bytes(&create(&opts, &Progress::new()).unwrap()).unwrap());
    assert!(private.is_private());
    seeder.add_torrent(AddParams::new(private.clone(), dir.path().join("private"))).unwrap();
    // A public one is, but a session with its DHT off does not look.
    let public = seed_in(&seeder, dir.path(), 100_000, 35);
    let searching = Session::new(joining(&router)).unwrap();
    let blind = Session::new(SessionSettings { dht: false, ..joining(&router) }).unwrap();
    let link = |m: &Metainfo| MagnetLink::parse(&magnet_of(m)).unwrap();
    let a = searching.add_torrent(AddParams::magnet(link(&private), dir.path().join("a"))).unwrap();
    let b = blind.add_torrent(AddParams::magnet(link(&public), dir.path().join("b"))).unwrap();
    // The same DHT finds the public torrent within a second (the tests above); give it three.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!((a.status().peers, a.metainfo().is_none()), (0, true), "the private torrent was found");
    assert_eq!((b.status().peers, b.metainfo().is_none()), (0, true), "a session without DHT found a peer");
}

#[test]
fn peers_tell_each_other_their_dht_port() {
    let dir = tempfile::tempdir().unwrap();
    let seeder = Session::new(loopback_settings()).unwrap();
    let meta = seed_in(&seeder, dir.path(), 100_000, 36);
    let leecher = Session::new(loopback_settings()).unwrap();
    assert_eq!((seeder.dht_nodes(), leecher.dht_nodes()), (0, 0), "no bootstrap: empty tables");
    let mut params = AddParams::new(meta, dir.path().join("got"));
    params.peers = vec![session_addr(&seeder)];
    leecher.add_torrent(params).unwrap();
    // Each sends the other a PORT message; each pings the node named and keeps it.
    common::wait_for("both DHT tables to hold the other", TRANSFER, || {
        seeder.dht_nodes() == 1 && leecher.dht_nodes() == 1
    });
    let off = Session::new(SessionSettings { dht: false, ..loopback_settings() }).unwrap();
    assert_eq!(off.dht_nodes(), 0);
}

#[test]
fn a_restarted_session_rejoins_through_the_nodes_it_saved() {
    let dir = tempfile::tempdir().unwrap();
    let router = Session::new(loopback_settings()).unwrap();
    let resume = dir.path().join("resume");
    let first = Session::new(SessionSettings { resume_dir: Some(resume.clone()), ..joining(&router) }).unwrap();
    common::wait_for("the first session to meet the router", TRANSFER, || first.dht_nodes() >= 1);
    first.shutdown();
    assert!(resume.join("dht.state").is_file(), "the node's state is saved at shutdown");
    // No bootstrap now: only the saved state can bring the router back.
    let second = Session::new(SessionSettings { resume_dir: Some(resume), ..loopback_settings() }).unwrap();
    common::wait_for("the restarted session to rejoin", TRANSFER, || second.dht_nodes() >= 1);
}
