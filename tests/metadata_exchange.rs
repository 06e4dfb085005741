//! BEP 9 metadata exchange served by our seeder, seen from the wire: a peer that has only the
//! info-hash asks for the info dictionary piece by piece and gets exactly its bytes (their SHA-1
//! is the info-hash), a request past the end is rejected, and a peer asking without end is
//! refused once its allowance is spent. Peer exchange (BEP 11) is offered for public torrents
//! only. libtorrent fetching by magnet link and exchanging peers with us is in engine_interop.rs.

use bitgocho::metainfo::Metainfo;
use bitgocho::session::{AddParams, Session};
use bitgocho::wire::metadata::{MetadataMessage, METADATA_PIECE};
use bitgocho::wire::{ExtensionHandshake, Handshake, Message, HANDSHAKE_LEN};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

/// Our id for `ut_metadata` messages, as told to the seeder.
const OUR_ID: u8 = 7;

/// A `ut_metadata` reply, owned.
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    Data { piece: u32, total_size: u64, data: Vec<u8> },
    Reject(u32),
}

/// A raw peer: sends messages, reads them back one at a time, within a deadline.
struct Wire {
    sock: TcpStream,
    buf: Vec<u8>,
    deadline: Instant,
}

impl Wire {
    fn send(&mut self, msg: &Message<'_>) {
        let mut out = Vec::new();
        msg.encode(&mut out);
        self.sock.write_all(&out).unwrap();
    }

    /// The first message sent to us that `pick` takes (others are skipped).
    fn next<T>(&mut self, pick: impl Fn(&Message<'_>) -> Option<T>) -> T {
        loop {
            if let Some((msg, used)) = Message::decode(&self.buf, 1 << 20).unwrap() {
                let found = pick(&msg);
                self.buf.drain(..used);
                match found {
                    Some(t) => return t,
                    None => continue,
                }
            }
            assert!(Instant::now() < self.deadline, "the expected message did not come in time");
            let mut chunk = [0u8; 65536];
            let n = self.sock.read(&mut chunk).expect("read from the seeder");
            assert!(n > 0, "the seeder closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Connects to `session` for the torrent `hash`, sends a handshake and an extension
    /// handshake taking `ut_metadata` as [`OUR_ID`], and returns the connection with the
    /// session's extension handshake.
    fn open(session: &Session, hash: [u8; 20]) -> (Wire, ExtensionHandshake) {
        let sock = TcpStream::connect(common::session_addr(session)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut w = Wire { sock, buf: Vec::new(), deadline: Instant::now() + Duration::from_secs(20) };
        w.sock.write_all(&Handshake::new(hash, *b"-XX0001-metadatatest").encode()).unwrap();
        let mut theirs = [0u8; HANDSHAKE_LEN];
        w.sock.read_exact(&mut theirs).unwrap();
        let mut hs = ExtensionHandshake::default();
        hs.extensions.insert("ut_metadata".into(), OUR_ID);
        w.send(&Message::Extended { id: 0, payload: &hs.encode() });
        let offer = w.next(|m| match m {
            Message::Extended { id: 0, payload } => Some(ExtensionHandshake::decode(payload).unwrap()),
            _ => None,
        });
        (w, offer)
    }

    /// The next `ut_metadata` message sent to us as a reply.
    fn reply(&mut self) -> Reply {
        self.next(|m| match m {
            Message::Extended { id: OUR_ID, payload } => match MetadataMessage::decode(payload).unwrap() {
                MetadataMessage::Data { piece, total_size, data } => {
                    Some(Reply::Data { piece, total_size, data: data.to_vec() })
                }
                MetadataMessage::Reject { piece } => Some(Reply::Reject(piece)),
                MetadataMessage::Request { .. } => panic!("the seeder asked us for metadata"),
            },
            _ => None,
        })
    }
}

#[test]
fn our_seeder_serves_the_info_dictionary_and_bounds_what_it_sends() {
    let tmp = tempfile::tempdir().unwrap();
    // Many files make an info dictionary of several metadata pieces.
    let dir = tmp.path().join("seed/many");
    for i in 0..600 {
        common::write_data(&dir.join(format!("a-rather-long-file-name-number-{i:04}.bin")), 100 + i, i as u64);
    }
    let (_, meta) = common::mktorrent(&dir, &tmp.path().join("t.torrent"), 15, None);
    let info = meta.info_bytes().to_vec();
    let pieces = info.len().div_ceil(METADATA_PIECE) as u32;
    assert!(pieces >= 3, "the info dictionary spans {pieces} pieces");

    let session = common::loopback_session();
    let handle = session.add_torrent(AddParams::new(meta.clone(), tmp.path().join("seed"))).unwrap();
    common::wait_complete(&handle, Duration::from_secs(30));

    let hash = meta.info_hash_v1().unwrap();
    let (mut w, offer) = Wire::open(&session, hash);
    assert!(offer.extensions.contains_key("ut_pex"), "a public torrent offers peer exchange");
    assert_eq!(offer.metadata_size, Some(info.len() as u64));
    let their_id = offer.extensions["ut_metadata"];

    let request = |w: &mut Wire, piece: u32| {
        w.send(&Message::Extended { id: their_id, payload: &MetadataMessage::Request { piece }.encode() })
    };
    let mut fetched = Vec::new();
    for piece in 0..pieces {
        request(&mut w, piece);
        match w.reply() {
            Reply::Data { piece: p, total_size, data } => {
                assert_eq!((p, total_size), (piece, info.len() as u64));
                fetched.extend_from_slice(&data);
            }
            other => panic!("piece {piece}: {other:?}"),
        }
    }
    assert_eq!(<[u8; 20]>::from(Sha1::digest(&fetched)), hash, "the fetched dictionary hashes to the info-hash");
    request(&mut w, pieces);
    assert_eq!(w.reply(), Reply::Reject(pieces));

    // Asking again and again: answered up to the allowance (4 per piece plus 8), then refused.
    let mut sent = pieces;
    loop {
        request(&mut w, 0);
        match w.reply() {
            Reply::Data { .. } => sent += 1,
            Reply::Reject(0) => break,
            other => panic!("{other:?}"),
        }
        assert!(sent <= 4 * pieces + 8, "sent {sent} pieces of a {pieces}-piece dictionary");
    }
    assert_eq!(sent, 4 * pieces + 8);
    session.shutdown();
}

/// A private torrent (BEP 27) offers its metadata but no peer exchange.
#[test]
fn a_private_torrent_offers_no_peer_exchange() {
    use bitgocho::metainfo::create::{create, CreateOptions};
    use bitgocho::metainfo::hasher::Progress;
    use bitgocho::metainfo::Metainfo;

    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("seed/private.bin");
    common::write_data(&file, 100_000, 4);
    let opts = CreateOptions { private: true, ..CreateOptions::new(&file, "http://127.0.0.1:9/announce") };
    let meta = std::sync::Arc::new(Metainfo::from_bytes(&create(&opts, &Progress::new()).unwrap()).unwrap());
    assert!(meta.is_private());
    let session = common::loopback_session();
    let handle = session.add_torrent(AddParams::new(meta.clone(), tmp.path().join("seed"))).unwrap();
    common::wait_complete(&handle, Duration::from_secs(30));
    let (_w, offer) = Wire::open(&session, meta.info_hash_v1().unwrap());
    assert!(offer.extensions.contains_key("ut_metadata"), "{offer:?}");
    assert!(!offer.extensions.contains_key("ut_pex"), "{offer:?}");
    session.shutdown();
}

/// A session seeding a new v2-only single-file torrent of `len` bytes (2^`piece_pow`-byte
/// pieces) under `dir/seed`: the file, the metainfo and the session.
fn v2_seed(
    dir: &std::path::Path,
    len: usize,
    piece_pow: u32,
) -> (std::path::PathBuf, std::sync::Arc<Metainfo>, bitgocho::session::Session) {
    use bitgocho::metainfo::create::{create, CreateOptions, TorrentVersion};
    use bitgocho::metainfo::hasher::Progress;
    let file = dir.join("seed/v2.bin");
    common::write_data(&file, len, u64::from(piece_pow));
    let opts =
        CreateOptions { piece_size_pow2: piece_pow, version: TorrentVersion::V2, ..CreateOptions::new(&file, "") };
    let meta = std::sync::Arc::new(Metainfo::from_bytes(&create(&opts, &Progress::new()).unwrap()).unwrap());
    let session = common::loopback_session();
    let handle = session.add_torrent(AddParams::new(meta.clone(), dir.join("seed"))).unwrap();
    common::wait_complete(&handle, Duration::from_secs(30));
    (file, meta, session)
}

/// BEP 52 hash requests to our seeder of a v2 torrent, seen from the wire: a range of a file's
/// piece layer, and the block hashes of one piece (hashed from its data), come back with the
/// proof that takes them to the file's root; a range spanning two pieces, one past the layer's
/// end and one of a root we do not have are rejected; and a peer that keeps asking is rejected
/// once it was sent the layers a few times over.
#[test]
fn our_seeder_answers_hash_requests_and_bounds_them() {
    use bitgocho::metainfo::merkle_range::{verify_range, TreeShape};
    use bitgocho::wire::HashRange;

    let tmp = tempfile::tempdir().unwrap();
    let (file, meta, session) = v2_seed(tmp.path(), 40 * 32768 - 77, 15);

    let (mut w, offer) = Wire::open(&session, meta.swarm_info_hash());
    assert!(offer.extensions.contains_key("ut_metadata"), "a v2 torrent with its layers offers its metadata");
    let entry = &meta.files()[0];
    let (root, layer) = (*entry.pieces_root().unwrap(), meta.piece_layer(0).unwrap().to_vec());
    let shape = TreeShape::new(entry.length(), meta.piece_length());
    let base = shape.piece_base;
    let ask = |w: &mut Wire, range: HashRange| {
        w.send(&Message::HashRequest(range));
        w.next(|m| match m {
            Message::Hashes { range: r, hashes } if *r == range => Some(Some(hashes.to_vec())),
            Message::HashReject(r) if *r == range => Some(None),
            _ => None,
        })
    };
    let range = HashRange { root, base, index: 16, count: 16, proof_layers: shape.full_proof(base) };
    let bytes = ask(&mut w, range).expect("the range is answered");
    let hashes: Vec<[u8; 32]> = bytes.chunks_exact(32).map(|c| c.try_into().unwrap()).collect();
    let nodes = verify_range(&root, shape, base, 16, 16, &hashes).expect("the answer proves out");
    assert_eq!(nodes, layer[16..32]);

    // Block hashes (below the piece layer) of a piece we have come from its data, with the
    // proof up to the root; the file's last piece ends in a short block.
    let data = std::fs::read(&file).unwrap();
    for index in [6, 78] {
        let blocks = HashRange { root, base: 0, index, count: 2, proof_layers: shape.full_proof(0) };
        let bytes = ask(&mut w, blocks).expect("block hashes are answered");
        let hashes: Vec<[u8; 32]> = bytes.chunks_exact(32).map(|c| c.try_into().unwrap()).collect();
        let nodes = verify_range(&root, shape, 0, index, 2, &hashes).expect("the block hashes prove out");
        let from = index as usize * 16384;
        let want: Vec<[u8; 32]> = data[from..].chunks(16384).take(2).map(|b| Sha256::digest(b).into()).collect();
        assert_eq!(nodes, want, "blocks {index} and {}", index + 1);
    }
    assert_eq!(ask(&mut w, HashRange { base: 0, index: 7, count: 2, ..range }), None, "blocks of two pieces");
    assert_eq!(ask(&mut w, HashRange { index: 64, ..range }), None, "past the layer's end");
    assert_eq!(ask(&mut w, HashRange { root: [7; 32], ..range }), None, "not one of our files");
    let answered = (0..400).take_while(|_| ask(&mut w, range).is_some()).count();
    assert!((100..400).contains(&answered), "answered {answered} times before refusing");
}

/// Block hashes cost the blocks hashed to make them: a peer asking for two block hashes of a
/// 1 MiB piece again and again (64 blocks hashed each time) is refused long before a peer asking
/// for layer hashes would be.
#[test]
fn block_hash_requests_are_charged_for_the_hashing() {
    use bitgocho::metainfo::merkle_range::TreeShape;
    use bitgocho::wire::HashRange;

    let tmp = tempfile::tempdir().unwrap();
    let (_, meta, session) = v2_seed(tmp.path(), 4 << 20, 20);
    let (mut w, _) = Wire::open(&session, meta.swarm_info_hash());
    let entry = &meta.files()[0];
    let shape = TreeShape::new(entry.length(), meta.piece_length());
    let blocks = HashRange {
        root: *entry.pieces_root().unwrap(),
        base: 0,
        index: 64,
        count: 2,
        proof_layers: shape.full_proof(0),
    };
    let answered = (0..400)
        .take_while(|_| {
            w.send(&Message::HashRequest(blocks));
            w.next(|m| match m {
                Message::Hashes { range, .. } if *range == blocks => Some(true),
                Message::HashReject(range) if *range == blocks => Some(false),
                _ => None,
            })
        })
        .count();
    // Allowance 4 * 4 + 4096 = 4112; each answer costs 2 + 8 proof hashes + 64 blocks.
    assert!((30..100).contains(&answered), "answered {answered} times before refusing");
}
