//! Message Stream Encryption against real peers over loopback: libtorrent forced to RC4 seeding
//! to and downloading from our `crypto_only` engine, aria2c requiring RC4 downloading from us
//! through bttrack, a plaintext-only libtorrent refused by `crypto_only` and served by a default
//! session, the tracker's `crypto_flags` for our `requirecrypto` announce, and the NAT check
//! speaking MSE to a peer that refuses plaintext. Every transfer ends with a byte comparison.

#[allow(dead_code)]
mod common;

use bitgocho::metainfo::Metainfo;
use bitgocho::session::status::TorrentStatus;
use bitgocho::session::{AddParams, Session, SessionSettings, TorrentHandle};
use bitgocho::tracker::natcheck::{check_peer, NatJob};
use common::aria2::Aria2;
use common::bttrack::Bttrack;
use common::libtorrent::LtPeer;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

const LIFE: Duration = Duration::from_secs(90);
const TRANSFER: Duration = Duration::from_secs(60);

/// libtorrent with an encryption policy (`forced`: MSE with RC4 only both ways; `disabled`:
/// plaintext only). Prints `PORT n`, `ENC rc4 plain` whenever the kinds of connection it has
/// seen past their handshakes change (1/0 each), and `SEEDING` once complete.
const LT_SCRIPT: &str = r#"
import sys, time, libtorrent as lt
torrent, save, life, enc = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
peers = sys.argv[5:]
settings = {'listen_interfaces': '127.0.0.1:0', 'enable_outgoing_utp': False,
    'enable_incoming_utp': False, 'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False,
    'enable_natpmp': False, 'allow_multiple_connections_per_ip': True,
    'alert_mask': lt.alert.category_t.error_notification,
    # 4 MB/s each way: the 2 MiB transfer lasts long enough for the 20 ms polls below to see
    # the connection past its handshake before both sides are seeds and hang up.
    'download_rate_limit': 4000000, 'upload_rate_limit': 4000000, 'ignore_limits_on_local_network': False}
if enc == 'forced':
    settings.update({'out_enc_policy': int(lt.enc_policy.forced), 'in_enc_policy': int(lt.enc_policy.forced),
                     'allowed_enc_level': int(lt.enc_level.rc4), 'prefer_rc4': True})
else:
    settings.update({'out_enc_policy': int(lt.enc_policy.disabled), 'in_enc_policy': int(lt.enc_policy.disabled)})
s = lt.session(settings)
end = time.time() + life
while s.listen_port() == 0 and time.time() < end:
    time.sleep(0.02)
print('PORT', s.listen_port(), flush=True)
h = s.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
for p in peers:
    host, port = p.rsplit(':', 1)
    h.connect_peer((host, int(port)))
said, seen = False, (0, 0)
while time.time() < end:
    for p in h.get_peer_info():
        if p.flags & (lt.peer_info.connecting | lt.peer_info.handshake):
            continue
        rc4 = 1 if p.flags & lt.peer_info.rc4_encrypted else seen[0]
        plain = 1 if not p.flags & (lt.peer_info.rc4_encrypted | lt.peer_info.plaintext_encrypted) else seen[1]
        if (rc4, plain) != seen:
            seen = (rc4, plain)
            print('ENC', rc4, plain, flush=True)
    if h.status().is_seeding and not said:
        print('SEEDING', flush=True)
        said = True
    for a in s.pop_alerts():
        print('ALERT', a.message(), file=sys.stderr, flush=True)
    time.sleep(0.02)
"#;

/// [`LT_SCRIPT`] with encryption policy `enc` on `torrent`, saving under `save`, dialling `peers`.
fn lt_enc(torrent: &Path, save: &Path, enc: &str, peers: &[SocketAddr]) -> LtPeer {
    let mut args: Vec<OsString> = vec![torrent.into(), save.into(), LIFE.as_secs().to_string().into(), enc.into()];
    args.extend(peers.iter().map(|p| p.to_string().into()));
    LtPeer::spawn(LT_SCRIPT, args)
}

/// A loopback session with the given encryption settings.
fn session(crypto_only: bool) -> Session {
    Session::new(SessionSettings { crypto_only, ..common::loopback_settings() }).expect("start session")
}

/// 2 MiB + 777 bytes in 32 KiB pieces, with its mktorrent torrent (announcing to `tracker`).
fn data(root: &Path, tracker: Option<&str>) -> (PathBuf, Arc<Metainfo>, PathBuf) {
    let file = root.join("seed/enc.bin");
    common::write_data(&file, 2 * 1024 * 1024 + 777, 42);
    let (torrent, meta) = common::mktorrent(&file, &root.join("enc.torrent"), 15, tracker);
    (torrent, meta, root.join("seed"))
}

fn seed(s: &Session, meta: &Arc<Metainfo>, dir: &Path) -> TorrentHandle {
    let h = s.add_torrent(AddParams::new(meta.clone(), dir)).expect("add torrent");
    common::wait_complete(&h, TRANSFER);
    h
}

/// Downloads `meta` into `down` with `s` from the one peer `from`, checks every byte against
/// `seed_dir` and returns the complete torrent's status.
fn leech(s: &Session, meta: &Arc<Metainfo>, from: SocketAddr, down: &Path, seed_dir: &Path) -> TorrentStatus {
    let mut params = AddParams::new(meta.clone(), down);
    params.peers = vec![from];
    let handle = s.add_torrent(params).expect("add torrent");
    let status = common::wait_complete(&handle, TRANSFER);
    common::assert_same_files(meta, seed_dir, down);
    status
}

fn fresh(root: &Path, name: &str) -> PathBuf {
    let d = root.join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn libtorrent_forced_rc4_seeds_to_our_crypto_only_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let (torrent, meta, seed_dir) = data(tmp.path(), None);
    let mut lt = lt_enc(&torrent, &seed_dir, "forced", &[]);
    lt.expect_line("SEEDING", TRANSFER);
    let us = session(true);
    let status = leech(&us, &meta, lt.addr(), &tmp.path().join("down"), &seed_dir);
    assert!(status.downloaded >= meta.total_length());
    assert_eq!(lt.expect_line("ENC", Duration::from_secs(5)), "ENC 1 0", "libtorrent saw an RC4 connection only");
}

#[test]
fn our_crypto_only_engine_seeds_to_libtorrent_forced_rc4() {
    let tmp = tempfile::tempdir().unwrap();
    let (torrent, meta, seed_dir) = data(tmp.path(), None);
    let us = session(true);
    let handle = seed(&us, &meta, &seed_dir);
    let down = fresh(tmp.path(), "down");
    let mut lt = lt_enc(&torrent, &down, "forced", &[common::session_addr(&us)]);
    lt.expect_line("SEEDING", TRANSFER);
    common::assert_same_files(&meta, &seed_dir, &down);
    assert_eq!(lt.expect_line("ENC", Duration::from_secs(1)), "ENC 1 0");
    common::wait_for("our upload counter", Duration::from_secs(5), || handle.status().uploaded >= meta.total_length());
}

/// Sends a plaintext BitTorrent handshake for `info_hash` and returns what comes back (at
/// most 68 bytes) before the peer closes or 3 s pass.
fn plaintext_probe(addr: SocketAddr, info_hash: [u8; 20]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s.write_all(&bitgocho::wire::Handshake::new(info_hash, *b"-XX0000-plaintext000").encode()).unwrap();
    let mut got = Vec::new();
    let _ = s.take(68).read_to_end(&mut got);
    got
}

#[test]
fn plaintext_peer_is_refused_by_crypto_only_and_served_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    let (torrent, meta, seed_dir) = data(tmp.path(), None);
    let strict = session(true);
    let strict_handle = seed(&strict, &meta, &seed_dir);
    let default = session(false);
    let default_handle = seed(&default, &meta, &seed_dir);
    let hash = meta.info_hash_v1().unwrap();
    assert!(
        plaintext_probe(common::session_addr(&strict), hash).is_empty(),
        "crypto_only answered a plaintext handshake"
    );
    assert_eq!(
        plaintext_probe(common::session_addr(&default), hash).len(),
        68,
        "the default session answers plaintext"
    );

    let down = fresh(tmp.path(), "down");
    let mut lt = lt_enc(&torrent, &down, "disabled", &[common::session_addr(&strict), common::session_addr(&default)]);
    lt.expect_line("SEEDING", TRANSFER);
    common::assert_same_files(&meta, &seed_dir, &down);
    assert_eq!(lt.expect_line("ENC", Duration::from_secs(1)), "ENC 0 1", "plaintext connections only");
    let total = meta.total_length();
    common::wait_for("the default session's upload", Duration::from_secs(5), || {
        default_handle.status().uploaded >= total
    });
    assert_eq!(strict_handle.status().uploaded, 0, "crypto_only served a plaintext peer");
}

/// Announces `params` for `info_hash` as a new peer and returns (compact peers, crypto_flags).
fn announce(tracker: &Bttrack, info_hash: &[u8; 20], id: u8, params: &str) -> (Vec<u8>, Option<Vec<u8>>) {
    let hash = common::http::pct(info_hash);
    let peer_id = format!("-XX0000-{:012}", id);
    let target = format!(
        "/announce?info_hash={hash}&peer_id={peer_id}&port={}&uploaded=0&downloaded=0&left=5&compact=1{params}",
        6000 + u16::from(id)
    );
    let body = common::http::get(tracker.addr(), &target).1;
    let v = bitgocho::bencode::decode(&body, bitgocho::bencode::Limits::default()).expect("bencoded reply");
    let d = v.as_dict().expect("reply dictionary");
    assert!(d.get_bytes(b"failure reason").is_none(), "announce refused: {}", String::from_utf8_lossy(&body));
    (d.get_bytes(b"peers").unwrap_or_default().to_vec(), d.get_bytes(b"crypto_flags").map(<[u8]>::to_vec))
}

#[test]
fn aria2_requiring_rc4_downloads_from_our_crypto_only_seed_through_bttrack() {
    let tmp = tempfile::tempdir().unwrap();
    let tracker = Bttrack::start(&tmp.path().join("dstate"));
    let (torrent, meta, seed_dir) = data(tmp.path(), Some(&tracker.url()));
    let us = session(true);
    let handle = seed(&us, &meta, &seed_dir);
    let hash = meta.info_hash_v1().unwrap();
    common::wait_for("our announce", TRANSFER, || tracker.registered(&hash) >= 1);

    // Our announce said requirecrypto: plain clients do not get us; crypto clients get flag 1.
    let port = us.listen_port().to_be_bytes();
    let ours = [127, 0, 0, 1, port[0], port[1]];
    let (plain, flags) = announce(&tracker, &hash, 1, "");
    assert!(!plain.chunks(6).any(|p| p == ours) && flags.is_none(), "plain client got a crypto-only peer");
    let (peers, flags) = announce(&tracker, &hash, 2, "&supportcrypto=1");
    let at = peers.chunks(6).position(|p| p == ours).expect("supportcrypto client gets us");
    assert_eq!(flags.expect("crypto_flags")[at], 1, "we are flagged as requiring crypto");
    let (peers, flags) = announce(&tracker, &hash, 3, "&requirecrypto=1");
    let flags = flags.expect("crypto_flags for a requirecrypto client");
    assert_eq!(flags.len(), peers.len() / 6);
    assert!(flags.iter().all(|f| *f == 1), "all 0x01 bytes: {flags:?}");
    assert!(peers.chunks(6).any(|p| p == ours));
    let (peers, _) = announce(&tracker, &hash, 4, "&requirecrypto=1");
    assert!(!peers.chunks(6).any(|p| p[4..] == 6001u16.to_be_bytes()), "peer 1 does not support crypto");

    let down = fresh(tmp.path(), "down");
    let args = ["--bt-require-crypto=true", "--bt-min-crypto-level=arc4"];
    let mut aria = Aria2::start_with(&torrent, &down, false, LIFE, &args);
    let code = aria.wait_exit(TRANSFER);
    assert_eq!(code, Some(0), "aria2c did not download from us; its log:\n{}", aria.log());
    common::assert_same_files(&meta, &seed_dir, &down);
    common::wait_for("our upload counter", Duration::from_secs(5), || handle.status().uploaded >= meta.total_length());
}

#[test]
fn nat_check_speaks_mse_to_a_crypto_only_peer() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, meta, seed_dir) = data(tmp.path(), None);
    let us = session(true);
    let _handle = seed(&us, &meta, &seed_dir);
    let job = NatJob {
        info_hash: meta.info_hash_v1().unwrap(),
        peer_id: us.peer_id(),
        addr: common::session_addr(&us),
        require_crypto: true,
    };
    assert!(check_peer(&job, Duration::from_secs(3)), "MSE NAT check against a crypto_only peer");
    assert!(!check_peer(&NatJob { require_crypto: false, ..job }, Duration::from_secs(3)), "plaintext is refused");
    let wrong_id = NatJob { peer_id: [7; 20], ..job };
    assert!(!check_peer(&wrong_id, Duration::from_secs(3)), "the peer id must match");
}

#[test]
fn default_session_reaches_a_plaintext_only_seed_by_retrying_in_plaintext() {
    let tmp = tempfile::tempdir().unwrap();
    let (torrent, meta, seed_dir) = data(tmp.path(), None);
    let mut lt = lt_enc(&torrent, &seed_dir, "disabled", &[]);
    lt.expect_line("SEEDING", TRANSFER);
    let us = session(false);
    leech(&us, &meta, lt.addr(), &tmp.path().join("down"), &seed_dir);
    assert_eq!(lt.expect_line("ENC", Duration::from_secs(1)), "ENC 0 1");
}

#[test]
fn our_default_leecher_gets_rc4_from_our_crypto_only_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, meta, seed_dir) = data(tmp.path(), None);
    let seeder = session(true);
    let seed_handle = seed(&seeder, &meta, &seed_dir);
    let leecher = session(false);
    leech(&leecher, &meta, common::session_addr(&seeder), &tmp.path().join("down"), &seed_dir);
    let total = meta.total_length();
    common::wait_for("the seeder's upload counter", Duration::from_secs(5), || seed_handle.status().uploaded >= total);
}

#[test]
fn btdownloadheadless_crypto_only_seeds_to_libtorrent_and_refuses_plaintext() {
    let tmp = tempfile::tempdir().unwrap();
    let (torrent, meta, seed_dir) = data(tmp.path(), None);
    let port = common::ports::free_port();
    let port_arg = port.to_string();
    let saveas = seed_dir.join("enc.bin");
    let args = ["--crypto_only", "1", "--minport", &port_arg, "--maxport", &port_arg, "--bind", "127.0.0.1"];
    let child = common::headless_cmd(tmp.path())
        .args(args)
        .arg("--saveas")
        .arg(&saveas)
        .arg(&torrent)
        .stdout(Stdio::null())
        .spawn()
        .expect("start btdownloadheadless");
    let _guard = common::KillOnDrop(child);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    common::wait_for("btdownloadheadless to listen", TRANSFER, || TcpStream::connect(addr).is_ok());
    let hash = meta.info_hash_v1().unwrap();
    // It may still be checking its data: a refusal then would prove nothing, so wait until MSE
    // works (libtorrent downloads) before probing in plaintext.
    let down = fresh(tmp.path(), "down");
    let mut lt = lt_enc(&torrent, &down, "forced", &[addr]);
    lt.expect_line("SEEDING", TRANSFER);
    common::assert_same_files(&meta, &seed_dir, &down);
    assert_eq!(lt.expect_line("ENC", Duration::from_secs(1)), "ENC 1 0");
    assert!(plaintext_probe(addr, hash).is_empty(), "--crypto_only answered a plaintext handshake");
}

/// The tracker core queues a NAT check for a `requirecrypto` peer (no longer exempt), the
/// check runs over MSE against our `crypto_only` engine, and the peer is then handed out to
/// crypto-capable clients with its flag set.
#[test]
fn tracker_nat_checks_a_requirecrypto_peer_over_mse_then_hands_it_out() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, meta, seed_dir) = data(tmp.path(), None);
    let us = session(true);
    let _handle = seed(&us, &meta, &seed_dir);
    let hash = meta.info_hash_v1().unwrap();
    let tracker = bitgocho::tracker::Tracker::new(bitgocho::tracker::TrackerConfig::default()).unwrap();
    let target = |id: &[u8], port: u16, left: u64, extra: &str| {
        let (h, i) = (common::http::pct(&hash), common::http::pct(id));
        format!("/announce?info_hash={h}&peer_id={i}&port={port}&uploaded=0&downloaded=0&left={left}&compact=1{extra}")
    };
    let now = 1_700_000_000;
    let from: SocketAddr = "192.0.2.1:1".parse().unwrap();
    let port = us.listen_port();
    tracker.handle_http_at(target(&us.peer_id(), port, 0, "&requirecrypto=1").as_bytes(), from, &[], now);
    let jobs = tracker.take_nat_jobs(10);
    assert_eq!(jobs.len(), 1, "a requirecrypto peer is NAT-checked");
    assert!(jobs[0].require_crypto);
    // 192.0.2.1 is a documentation address: run the check against where the peer really is.
    let local = NatJob { addr: common::session_addr(&us), ..jobs[0] };
    let ok = check_peer(&local, Duration::from_secs(3));
    assert!(ok, "MSE NAT check");
    tracker.nat_result(&jobs[0], ok, now);
    let body = tracker
        .handle_http_at(target(b"-XX0000-cryptoclient", 7000, 5, "&supportcrypto=1").as_bytes(), from, &[], now)
        .body;
    let v = bitgocho::bencode::decode(&body, bitgocho::bencode::Limits::default()).unwrap();
    let d = v.as_dict().unwrap();
    let mut want = vec![192, 0, 2, 1];
    want.extend_from_slice(&port.to_be_bytes());
    assert_eq!(d.get_bytes(b"peers"), Some(&want[..]));
    assert_eq!(d.get_bytes(b"crypto_flags"), Some(&[1u8][..]));
}
