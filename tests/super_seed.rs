//! Super-seeding (BEP 16, BitTornado `--super_seeder`): our super-seeder serves a real
//! libtorrent leecher and our own leecher, which both complete with the right bytes while the
//! seeder uploads well under 1.5 copies (the leechers share with each other); and, on the wire,
//! a raw test peer sees our pieces hidden (HAVE NONE), one offered piece at a time, the next
//! only once another peer announced the last, and requests for pieces it was not offered
//! rejected.

use bitgocho::metainfo::Metainfo;
use bitgocho::session::{AddParams, Session, TorrentHandle};
use bitgocho::wire::Handshake;
use common::libtorrent::LtPeer;
use common::seeding;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

const HAVE: u8 = 4;
const BITFIELD: u8 = 5;
const REQUEST: u8 = 6;
const PIECE: u8 = 7;
const HAVE_ALL: u8 = 0x0e;
const HAVE_NONE: u8 = 0x0f;
const REJECT: u8 = 0x10;

fn super_seeder(session: &Session, meta: &Arc<Metainfo>, data: &Path) -> TorrentHandle {
    let mut p = AddParams::new(meta.clone(), data);
    p.super_seed = true;
    let t = session.add_torrent(p).unwrap();
    common::wait_status(&t, "super-seeder check", Duration::from_secs(20), seeding);
    t
}

#[test]
fn super_seeder_serves_libtorrent_and_our_leecher_who_share() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let data = common::data_file(&src.join("file.bin"), 1_500_000, 21);
    let (torrent, meta) = common::mktorrent(&src.join("file.bin"), &dir.path().join("f.torrent"), 15, None);
    let seeder = common::loopback_session();
    let s = super_seeder(&seeder, &meta, &src);
    let seed_addr = common::session_addr(&seeder);

    let ours = common::loopback_session();
    let our_addr = common::session_addr(&ours);
    let lt_dir = dir.path().join("lt");
    let mut lt = LtPeer::start(&torrent, &lt_dir, &[seed_addr, our_addr], Duration::from_secs(90));
    let mut p = AddParams::new(meta.clone(), dir.path().join("ours"));
    p.peers = vec![seed_addr, lt.addr()];
    let l = ours.add_torrent(p).unwrap();

    common::wait_status(&l, "our download", Duration::from_secs(60), seeding);
    lt.wait_seeding(Duration::from_secs(60));
    assert_eq!(std::fs::read(dir.path().join("ours/file.bin")).unwrap(), data);
    assert_eq!(std::fs::read(lt_dir.join("file.bin")).unwrap(), data);
    // Our leecher's view of the seeder: it still looks like a leecher (a seed would have been
    // dropped once we completed) holding only the pieces it offered us, about half of them.
    let st = common::wait_status(&l, "peer view", Duration::from_secs(5), |st| {
        st.peer_list.iter().any(|p| p.addr.port() == seed_addr.port())
    });
    let seen = st.peer_list.iter().find(|p| p.addr.port() == seed_addr.port()).map_or(1.0, |p| p.progress);
    assert!(seen < 0.8, "the super-seeder showed our leecher {:.0}% of the pieces", seen * 100.0);

    let total = meta.total_length();
    let uploaded =
        common::wait_status(&s, "seeder counters", Duration::from_secs(5), |st| st.uploaded >= total).uploaded;
    assert!(
        uploaded * 2 < total * 3,
        "the super-seeder uploaded {uploaded} bytes for {total} bytes of data (not under 1.5 copies)"
    );
    let got_from_us = l.status().downloaded;
    assert!(got_from_us < total * 2, "our leecher downloaded {got_from_us} bytes");
}

/// A bare peer that records the messages it receives.
struct RawPeer {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl RawPeer {
    fn connect(addr: SocketAddr, info_hash: [u8; 20], id: u8) -> RawPeer {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(&Handshake::new(info_hash, [id; 20]).encode()).unwrap();
        let mut hs = [0u8; 68];
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        stream.read_exact(&mut hs).unwrap();
        assert_eq!(&hs[28..48], &info_hash, "handshake for our torrent");
        RawPeer { stream, buf: Vec::new() }
    }

    fn send(&mut self, id: u8, payload: &[u8]) {
        let mut msg = ((payload.len() + 1) as u32).to_be_bytes().to_vec();
        msg.push(id);
        msg.extend_from_slice(payload);
        self.stream.write_all(&msg).unwrap();
    }

    fn request(&mut self, piece: u32) {
        let mut p = piece.to_be_bytes().to_vec();
        p.extend_from_slice(&0u32.to_be_bytes());
        p.extend_from_slice(&16384u32.to_be_bytes());
        self.send(REQUEST, &p);
    }

    /// The messages (id, payload) received within `window`.
    fn collect(&mut self, window: Duration) -> Vec<(u8, Vec<u8>)> {
        let end = Instant::now() + window;
        let mut chunk = [0u8; 65536];
        while let Some(left) = end.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) {
            self.stream.set_read_timeout(Some(left)).unwrap();
            match self.stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => break,
            }
        }
        let mut out = Vec::new();
        while self.buf.len() >= 4 {
            let len = u32::from_be_bytes(self.buf[..4].try_into().unwrap()) as usize;
            if self.buf.len() < 4 + len {
                break;
            }
            if len > 0 {
                out.push((self.buf[4], self.buf[5..4 + len].to_vec()));
            }
            self.buf.drain(..4 + len);
        }
        out
    }
}

fn haves(msgs: &[(u8, Vec<u8>)]) -> Vec<u32> {
    msgs.iter().filter(|(id, _)| *id == HAVE).map(|(_, p)| u32::from_be_bytes(p[..4].try_into().unwrap())).collect()
}

#[test]
fn raw_peer_sees_one_hidden_offer_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    common::data_file(&dir.path().join("f.bin"), 8 * 32768, 22);
    let (_, meta) = common::mktorrent(&dir.path().join("f.bin"), &dir.path().join("f.torrent"), 15, None);
    let session = common::loopback_session();
    let _s = super_seeder(&session, &meta, dir.path());
    let addr = common::session_addr(&session);
    let hash = meta.info_hash_v1().unwrap();
    let window = Duration::from_millis(400);

    let mut p1 = RawPeer::connect(addr, hash, 1);
    let first = p1.collect(window);
    assert!(first.iter().any(|(id, _)| *id == HAVE_NONE), "HAVE NONE first: {first:?}");
    assert!(!first.iter().any(|(id, _)| [BITFIELD, HAVE_ALL].contains(id)), "pieces shown: {first:?}");
    let offered1 = haves(&first);
    assert_eq!(offered1.len(), 1, "exactly one offer: {first:?}");
    let x1 = offered1[0];

    let mut p2 = RawPeer::connect(addr, hash, 2);
    let offered2 = haves(&p2.collect(window));
    assert_eq!(offered2.len(), 1, "one offer to the second peer");
    let x2 = offered2[0];
    assert_ne!(x1, x2, "the second peer is offered another rare piece");

    // Requests: the offered piece is served, another one is rejected.
    p1.send(2, &[]); // interested
    p1.request(x2);
    p1.request(x1);
    let answers = p1.collect(window);
    let rejected: Vec<u32> = answers
        .iter()
        .filter(|(id, _)| *id == REJECT)
        .map(|(_, p)| u32::from_be_bytes(p[..4].try_into().unwrap()))
        .collect();
    assert_eq!(rejected, [x2], "the piece not offered is rejected: {answers:?}");
    assert!(answers.iter().any(|(id, p)| *id == PIECE && p[..4] == x1.to_be_bytes()), "offered piece served");

    // P1 announcing its own piece is not enough for a second offer...
    p1.send(HAVE, &x1.to_be_bytes());
    assert!(haves(&p1.collect(window)).is_empty(), "a second offer before anyone else had the first");
    // ...another peer announcing it is.
    p2.send(HAVE, &x1.to_be_bytes());
    let next = haves(&p1.collect(window));
    assert_eq!(next.len(), 1, "one new offer once another peer has the first");
    assert!(next[0] != x1 && next[0] != x2, "a piece nobody has or was offered: {next:?}");
    assert!(haves(&p2.collect(window)).is_empty(), "P2 still has not announced its own offer");
}
