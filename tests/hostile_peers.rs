//! Hostile peers against our engine: while an honest libtorrent seeder (127.0.0.1) serves the
//! torrent, a peer of our own making (127.0.0.N, see tests/hostile/) sends corrupt data, lies
//! in its bitfield, sends oversized messages, spare bitfield bits, out-of-range HAVEs, request
//! floods and oversized requests, or hangs up mid-piece. Each rule-breaker's connection is
//! closed (and only that one), a corrupt-data sender is banned and never dialled again, and
//! the download always completes with every byte right.

#[allow(dead_code)]
mod common;
mod hostile;

use bitgocho::session::event::SessionEvent;
use bitgocho::session::event_queue::Popped;
use bitgocho::session::{AddParams, Session, TorrentHandle};
use common::libtorrent::LtPeer;
use hostile::{Behavior, HostilePeer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const LIFE: Duration = Duration::from_secs(90);
const TRANSFER: Duration = Duration::from_secs(60);

/// A torrent seeded by libtorrent, and our session ready to download it.
struct Setup {
    _tmp: tempfile::TempDir,
    meta: Arc<bitgocho::metainfo::Metainfo>,
    seed_dir: PathBuf,
    down: PathBuf,
    lt: LtPeer,
    session: Session,
    data: Arc<Vec<u8>>,
}

impl Setup {
    /// 36 pieces of 32 KiB (the last one short, spare bits in the bitfield).
    fn new() -> Setup {
        Self::with_seed_limit(0)
    }

    /// Like [`Setup::new`], the seeder uploading at most `limit` bytes per second (0: no limit).
    fn with_seed_limit(limit: u32) -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("seed/payload.bin");
        common::write_data(&file, 35 * 32768 + 777, 7);
        let (torrent, meta) = common::mktorrent(&file, &tmp.path().join("t.torrent"), 15, None);
        assert_eq!(meta.piece_count() % 8, 4);
        let seed_dir = tmp.path().join("seed");
        let mut lt = LtPeer::start_limited(&torrent, &seed_dir, &[], LIFE, limit);
        lt.wait_seeding(TRANSFER);
        let down = tmp.path().join("down");
        let data = Arc::new(std::fs::read(&file).unwrap());
        // Default crypto settings: the engine dials MSE first, the plaintext-only hostile peers
        // hang up on it (counted apart), and the engine retries in plaintext.
        let session = Session::new(common::loopback_settings()).expect("start session");
        Setup { _tmp: tmp, meta, seed_dir, down, lt, session, data }
    }

    fn hostile(&self, host: u8, behavior: Behavior) -> HostilePeer {
        let torrent = hostile::Torrent {
            info_hash: self.meta.info_hash_v1().unwrap(),
            piece_length: self.meta.piece_length() as u32,
            data: self.data.clone(),
        };
        HostilePeer::start(host, torrent, behavior)
    }

    fn add(&self, peers: Vec<SocketAddr>) -> TorrentHandle {
        let mut params = AddParams::new(self.meta.clone(), &self.down);
        params.peers = peers;
        self.session.add_torrent(params).expect("add torrent")
    }

    /// Waits for completion and compares every byte with libtorrent's copy.
    fn finish(&self, handle: &TorrentHandle) {
        let status = common::wait_complete(handle, TRANSFER);
        assert_eq!(status.have_bytes, self.meta.total_length());
        common::assert_same_files(&self.meta, &self.seed_dir, &self.down);
    }

    /// Every event so far.
    fn events(&self) -> Vec<SessionEvent> {
        let mut out = Vec::new();
        while let Some(p) = self.session.pop_event() {
            if let Popped::Event(e) = p {
                out.push(e);
            }
        }
        out
    }
}

/// A rule-breaker connected alongside the honest seeder: its connection is closed, the
/// download completes from libtorrent.
fn rule_breaker_is_cut_off(host: u8, behavior: Behavior) {
    let s = Setup::new();
    let bad = s.hostile(host, behavior);
    let handle = s.add(vec![bad.addr, s.lt.addr()]);
    common::wait_for("the engine to close the rule-breaker's connection", TRANSFER, || bad.closed_by_engine() >= 1);
    s.finish(&handle);
    assert_eq!(bad.accepts(), 1, "the engine dialled the rule-breaker again");
    assert!(bad.refused_openings() >= 1, "the engine's first dial was not MSE (crypto_allowed is on)");
}

#[test]
fn oversized_message_closes_only_that_connection() {
    rule_breaker_is_cut_off(2, Behavior::Oversized);
}

#[test]
fn bitfield_with_spare_bits_closes_only_that_connection() {
    rule_breaker_is_cut_off(3, Behavior::SpareBits);
}

#[test]
fn out_of_range_have_closes_only_that_connection() {
    rule_breaker_is_cut_off(4, Behavior::HaveOutOfRange);
}

#[test]
fn request_flood_closes_only_that_connection() {
    rule_breaker_is_cut_off(5, Behavior::RequestFlood);
}

/// A flood of requests we cannot serve (we have nothing yet) is cut off too.
#[test]
fn flood_of_unservable_requests_closes_the_connection() {
    let s = Setup::new();
    let bad = s.hostile(11, Behavior::RequestFlood);
    let handle = s.add(vec![bad.addr]);
    common::wait_for("the engine to close the flooding connection", TRANSFER, || bad.closed_by_engine() >= 1);
    assert_eq!(handle.status().pieces_have, 0);
    handle.connect_peer(s.lt.addr()).unwrap();
    s.finish(&handle);
}

#[test]
fn request_over_the_limit_closes_only_that_connection() {
    rule_breaker_is_cut_off(6, Behavior::HugeRequest);
}

/// A peer that claims every piece and then never delivers must not stall the download.
fn liar_does_not_stall(host: u8, behavior: Behavior) {
    let s = Setup::new();
    let bad = s.hostile(host, behavior);
    let handle = s.add(vec![bad.addr]);
    common::wait_for("the liar to be connected", TRANSFER, || bad.accepts() == 1 && handle.status().peers == 1);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(handle.status().pieces_have, 0, "pieces from a peer that sent nothing");
    handle.connect_peer(s.lt.addr()).unwrap();
    s.finish(&handle);
    assert_eq!(bad.blocks(), 0);
}

#[test]
fn silent_bitfield_liar_does_not_stall_the_download() {
    liar_does_not_stall(7, Behavior::SilentLiar);
}

#[test]
fn rejecting_bitfield_liar_does_not_stall_the_download() {
    liar_does_not_stall(8, Behavior::RejectingLiar);
}

/// A bitfield after other messages (aria2c's way of announcing many pieces) is accepted: the
/// whole download comes from that peer alone, over one connection.
#[test]
fn late_bitfield_is_taken_as_haves() {
    let s = Setup::new();
    let peer = s.hostile(13, Behavior::LateBitfield);
    let handle = s.add(vec![peer.addr]);
    s.finish(&handle);
    assert!(peer.blocks() >= s.meta.piece_count() as u32, "only {} blocks came from the peer", peer.blocks());
    assert_eq!(peer.accepts(), 1);
}

#[test]
fn disconnect_mid_piece_is_recovered() {
    let s = Setup::new();
    let bad = s.hostile(9, Behavior::DisconnectMidPiece);
    // Alone at first, so it is surely asked for blocks before the honest seed could serve all.
    let handle = s.add(vec![bad.addr]);
    common::wait_for("the hostile peer to hang up mid-piece", TRANSFER, || bad.blocks() >= 4);
    handle.connect_peer(s.lt.addr()).unwrap();
    s.finish(&handle);
}

/// Checks the events: the offender banned, nobody else; a hash failure reported.
fn assert_only_offender_banned(events: &[SessionEvent], bad: &HostilePeer) {
    let banned: Vec<SocketAddr> = events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::PeerBanned { addr, .. } => Some(*addr),
            _ => None,
        })
        .collect();
    assert!(banned.iter().any(|a| a.ip() == bad.addr.ip()), "offender not banned: {events:?}");
    assert!(banned.iter().all(|a| a.ip() == bad.addr.ip()), "an honest peer was banned: {banned:?}");
    assert!(events.iter().any(|e| matches!(e, SessionEvent::HashFailed { .. })), "no hash failure reported");
}

/// After a ban: the offender's connection is closed and asking to connect again does not dial.
fn assert_never_dialled_again(handle: &TorrentHandle, bad: &HostilePeer) {
    common::wait_for("the offender's connection to be closed", Duration::from_secs(10), || bad.closed_by_engine() >= 1);
    handle.connect_peer(bad.addr).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(bad.accepts(), 1, "the engine dialled a banned peer again");
}

#[test]
fn corrupt_data_sender_is_banned_and_download_completes() {
    let s = Setup::new();
    let bad = s.hostile(10, Behavior::CorruptData);
    let handle = s.add(vec![bad.addr]);
    // Alone at first, so its corrupt blocks surely make up whole pieces; then the honest seed.
    common::wait_for("the hostile peer to serve corrupt blocks", TRANSFER, || bad.blocks() >= 4);
    handle.connect_peer(s.lt.addr()).unwrap();
    s.finish(&handle);
    assert_only_offender_banned(&s.events(), &bad);
    assert_never_dialled_again(&handle, &bad);
}

/// Both at once, the honest seeder slowed down so the offender surely supplies blocks: corrupt
/// and honest blocks end up in the same pieces, and only the sender of the bad ones is banned
/// (the seeder that supplied other blocks of those pieces is not).
#[test]
fn corrupt_blocks_mixed_with_honest_ones_ban_only_the_offender() {
    let s = Setup::with_seed_limit(256 * 1024);
    let bad = s.hostile(12, Behavior::CorruptData);
    let handle = s.add(vec![bad.addr, s.lt.addr()]);
    s.finish(&handle);
    assert!(bad.blocks() > 0, "the hostile peer was never asked for a block");
    assert_only_offender_banned(&s.events(), &bad);
    assert_never_dialled_again(&handle, &bad);
}
