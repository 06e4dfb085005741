//! A scripted peer for magnet-link tests: it serves given bytes as a torrent's info dictionary
//! (BEP 9) and answers BEP 52 hash requests as told, so tests can make it lie.

use bitgocho::wire::metadata::{answer, MetadataMessage};
use bitgocho::wire::{ExtensionHandshake, Handshake, HashRange, Message, HANDSHAKE_LEN};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// What the peer sends for a hash request (the hashes' bytes), or `None` to ignore it.
pub type HashAnswer = fn(&HashRange) -> Option<Vec<u8>>;

/// Starts a peer that serves `info` as the info dictionary of the torrent known as `hash` on
/// each of the first 8 connections it takes, one after the other, answering hash requests with
/// `hashes`; returns its address. An encrypted attempt is hung up on, as a plaintext-only
/// client does.
pub fn start(info: Vec<u8>, hash: [u8; 20], hashes: HashAnswer) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for sock in listener.incoming().take(8) {
            serve(sock.unwrap(), &info, hash, hashes);
        }
    });
    addr
}

/// Never answers a hash request.
pub fn no_hashes(_: &HashRange) -> Option<Vec<u8>> {
    None
}

fn serve(mut sock: TcpStream, info: &[u8], hash: [u8; 20], hashes: HashAnswer) {
    sock.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut theirs = [0u8; HANDSHAKE_LEN];
    if sock.read_exact(&mut theirs).is_err() || !theirs.starts_with(b"\x13BitTorrent protocol") {
        return;
    }
    let mut hs = ExtensionHandshake::default();
    hs.extensions.insert("ut_metadata".into(), 3);
    hs.metadata_size = Some(info.len() as u64);
    let mut out = Handshake::new(hash, *b"-XX0001-scripted-pee").encode().to_vec();
    Message::Extended { id: 0, payload: &hs.encode() }.encode(&mut out);
    if sock.write_all(&out).is_err() {
        return;
    }
    let (mut their_id, mut buf, mut chunk) = (None, Vec::new(), [0u8; 65536]);
    loop {
        while let Ok(Some((msg, used))) = Message::decode(&buf, 1 << 20) {
            let mut reply = Vec::new();
            match msg {
                Message::Extended { id: 0, payload } => {
                    their_id = ExtensionHandshake::decode(payload).unwrap().extensions.get("ut_metadata").copied();
                }
                Message::Extended { id: 3, payload } => {
                    if let (Some(id), Ok(MetadataMessage::Request { piece })) =
                        (their_id, MetadataMessage::decode(payload))
                    {
                        Message::Extended { id, payload: &answer(info, piece).encode() }.encode(&mut reply);
                    }
                }
                Message::HashRequest(range) => {
                    if let Some(bytes) = hashes(&range) {
                        Message::Hashes { range, hashes: &bytes }.encode(&mut reply);
                    }
                }
                _ => {}
            }
            buf.drain(..used);
            if !reply.is_empty() && sock.write_all(&reply).is_err() {
                return;
            }
        }
        match sock.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}
