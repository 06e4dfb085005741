//! The session's IP filter (`SessionSettings::ip_filter`, `Session::set_ip_filter`): blocked
//! addresses are neither dialled nor accepted, and blocking an address closes its connections.
//! The peers sit on different loopback addresses (127.0.0.0/8). Every wait is bounded.

use bitgocho::session::{AddParams, Session, SessionSettings};
use bitgocho::tracker::ipfilter::IpSet;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

const WAIT: Duration = Duration::from_secs(30);

/// A session listening on `ip` (a loopback address) at a port the system chooses.
fn session_on(ip: Ipv4Addr, filter: Option<&str>) -> Session {
    Session::new(SessionSettings {
        bind: IpAddr::V4(ip),
        ip_filter: filter.map(|f| Arc::new(IpSet::from_ranges(f))),
        ..common::loopback_settings()
    })
    .unwrap()
}

/// A 3 MB file and its torrent under `dir`.
fn torrent(dir: &Path) -> Arc<bitgocho::metainfo::Metainfo> {
    common::data_file(&dir.join("data/f.bin"), 3_000_000, 41);
    common::mktorrent(&dir.join("data/f.bin"), &dir.join("f.torrent"), 15, None).1
}

/// What a peer connecting from `from` to `to` reads back after sending its handshake for
/// `info_hash`: the other side's handshake, or nothing when the connection is closed.
fn handshake_reply(from: Ipv4Addr, to: SocketAddr, info_hash: [u8; 20]) -> Vec<u8> {
    use socket2::{Domain, Socket, Type};
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    sock.bind(&SocketAddr::new(IpAddr::V4(from), 0).into()).unwrap();
    sock.connect_timeout(&to.into(), Duration::from_secs(5)).unwrap();
    let mut stream: TcpStream = sock.into();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut hs = vec![19u8];
    hs.extend_from_slice(b"BitTorrent protocol");
    hs.extend_from_slice(&[0; 8]);
    hs.extend_from_slice(&info_hash);
    hs.extend_from_slice(&[7; 20]);
    let _ = stream.write_all(&hs);
    let mut got = Vec::new();
    let mut buf = [0u8; 68];
    while got.len() < 68 {
        match stream.read(&mut buf) {
            Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    got
}

#[test]
fn a_blocked_seeder_is_never_dialled() {
    let dir = tempfile::tempdir().unwrap();
    let meta = torrent(dir.path());
    let seeders = [Ipv4Addr::new(127, 0, 0, 1), Ipv4Addr::new(127, 0, 0, 2)].map(|ip| {
        let s = session_on(ip, None);
        let t = s.add_torrent(AddParams::new(meta.clone(), dir.path().join("data"))).unwrap();
        common::wait_status(&t, "seed", WAIT, common::seeding);
        let addr = SocketAddr::new(IpAddr::V4(ip), s.listen_port());
        (s, t, addr)
    });
    let leecher = session_on(Ipv4Addr::LOCALHOST, Some("blocked:127.0.0.2-127.0.0.2\n"));
    let mut p = AddParams::new(meta.clone(), dir.path().join("out"));
    p.peers = seeders.iter().map(|(_, _, addr)| *addr).collect();
    let l = leecher.add_torrent(p).unwrap();
    common::wait_complete(&l, WAIT);
    common::assert_same_files(&meta, &dir.path().join("data"), &dir.path().join("out"));
    // The open seeder served every byte (its snapshot may lag the leecher's by a moment).
    common::wait_status(&seeders[0].1, "all from the open seeder", Duration::from_secs(10), |st| {
        st.uploaded >= 3_000_000
    });
    let blocked = seeders[1].1.status();
    assert_eq!((blocked.uploaded, blocked.peers), (0, 0), "the blocked seeder never heard from the leecher");
}

#[test]
fn blocked_peers_are_refused_and_blocking_closes_connections() {
    let dir = tempfile::tempdir().unwrap();
    let meta = torrent(dir.path());
    let seeder = session_on(Ipv4Addr::LOCALHOST, Some("# test\nblocked:127.0.0.3-127.0.0.3\n"));
    let s = seeder.add_torrent(AddParams::new(meta.clone(), dir.path().join("data"))).unwrap();
    common::wait_status(&s, "seed", WAIT, common::seeding);
    let addr = common::session_addr(&seeder);
    let hash = meta.info_hash_v1().unwrap();
    assert!(handshake_reply(Ipv4Addr::new(127, 0, 0, 3), addr, hash).is_empty(), "a blocked peer is refused");
    let open = handshake_reply(Ipv4Addr::new(127, 0, 0, 4), addr, hash);
    assert_eq!(open.get(28..48), Some(&hash[..]), "another peer gets the seeder's handshake");
    // A leecher from 127.0.0.1 downloads slowly; blocking 127.0.0.0/8 then cuts it off.
    let leecher = session_on(Ipv4Addr::LOCALHOST, None);
    let mut p = AddParams::new(meta, dir.path().join("out"));
    p.peers.push(addr);
    p.max_download_rate = 500_000;
    let l = leecher.add_torrent(p).unwrap();
    common::wait_status(&l, "connected", WAIT, |st| st.peers == 1 && st.total_done > 0);
    seeder.set_ip_filter(Some(IpSet::from_ranges("127.0.0.0/8\n"))).unwrap();
    let st = common::wait_status(&l, "cut off", WAIT, |st| st.peers == 0);
    assert!(st.pieces_have < st.pieces_total, "cut off before the end");
    assert!(handshake_reply(Ipv4Addr::new(127, 0, 0, 4), addr, hash).is_empty(), "the new filter refuses too");
    // Lifting the filter lets the leecher back in.
    seeder.set_ip_filter(None).unwrap();
    l.connect_peer(addr).unwrap();
    common::wait_complete(&l, WAIT);
}
