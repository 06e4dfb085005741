//! Status snapshots of idle torrents are published when something changes, not on a timer: a
//! seeding torrent with no peers still shows a pause, a resume and the departure of
//! its last peer promptly.

use bitgocho::session::status::{TorrentState, TorrentStatus};
use bitgocho::session::AddParams;
use std::time::Duration;

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

fn seeding(st: &TorrentStatus) -> bool {
    st.state == TorrentState::Seeding && st.progress >= 1.0
}

#[test]
fn idle_torrent_status_follows_commands_and_peers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::data_file(&data.join("f.bin"), 400_000, 31);
    let (_, meta) = common::mktorrent(&data.join("f.bin"), &dir.path().join("f.torrent"), 15, None);
    let seeder = common::loopback_session();
    let s = seeder.add_torrent(AddParams::new(meta.clone(), &data)).unwrap();
    common::wait_status(&s, "check", Duration::from_secs(20), seeding);
    // Idle now (no peers, no tracker): commands still show at once.
    std::thread::sleep(Duration::from_millis(300));
    s.pause().unwrap();
    common::wait_status(&s, "paused", Duration::from_secs(2), |st| st.state == TorrentState::Paused);
    s.resume().unwrap();
    common::wait_status(&s, "resumed", Duration::from_secs(2), seeding);

    // A leecher comes and goes: the peer count follows both ways.
    let leecher = common::loopback_session();
    let mut p = AddParams::new(meta, dir.path().join("out"));
    p.peers.push(format!("127.0.0.1:{}", seeder.listen_port()).parse().unwrap());
    let l = leecher.add_torrent(p).unwrap();
    common::wait_status(&l, "download", Duration::from_secs(30), seeding);
    leecher.shutdown();
    // Both at once: a snapshot taken after the upload, published after the peer left (a stale
    // one from before the leecher came also shows no peers).
    common::wait_status(&s, "upload counted and peer gone", Duration::from_secs(3), |st| {
        st.uploaded >= 400_000 && st.peers == 0
    });
}
