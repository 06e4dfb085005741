//! The RC4 streams of MSE and the SHA-1 values both sides derive from the shared secret S and
//! the torrent's info-hash (SKEY): `HASH('req1', S)`, `HASH('req2', SKEY)`, `HASH('req3', S)`,
//! and the keys `HASH('keyA', S, SKEY)` / `HASH('keyB', S, SKEY)`, each stream with its first
//! 1024 bytes discarded.

use rc4::consts::U20;
use rc4::{KeyInit, StreamCipher};
use sha1::{Digest, Sha1};

/// SHA-1 of the concatenated parts.
pub fn hash(parts: &[&[u8]]) -> [u8; 20] {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// `HASH('req1', S)`: the initiator's sync marker.
pub fn req1(s: &[u8]) -> [u8; 20] {
    hash(&[b"req1", s])
}

/// `HASH('req2', SKEY)`: identifies the torrent without revealing it.
pub fn req2(skey: &[u8; 20]) -> [u8; 20] {
    hash(&[b"req2", skey])
}

/// `HASH('req3', S)`: masks `req2` on the wire.
pub fn req3(s: &[u8]) -> [u8; 20] {
    hash(&[b"req3", s])
}

/// One direction's RC4 keystream.
pub struct Rc4Stream(rc4::Rc4<U20>);

impl std::fmt::Debug for Rc4Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rc4Stream")
    }
}

impl Rc4Stream {
    /// The stream keyed with `HASH(label, S, SKEY)`, its first 1024 bytes already discarded.
    pub fn new(label: &[u8; 4], s: &[u8], skey: &[u8; 20]) -> Rc4Stream {
        let key = hash(&[label, s, skey]);
        let mut stream = Rc4Stream(rc4::Rc4::<U20>::new(&key.into()));
        stream.skip(1024);
        stream
    }

    /// Encrypts or decrypts `buf` in place (the same operation), advancing the stream.
    pub fn apply(&mut self, buf: &mut [u8]) {
        self.0.apply_keystream(buf);
    }

    /// Advances the stream by `n` bytes (bytes received whose content does not matter).
    pub fn skip(&mut self, mut n: usize) {
        let mut scratch = [0u8; 1024];
        while n > 0 {
            let step = n.min(scratch.len());
            self.apply(&mut scratch[..step]);
            n -= step;
        }
    }
}

/// The two streams of one connection: ours to encrypt what we send, the peer's to decrypt what
/// we receive.
#[derive(Debug)]
pub struct StreamPair {
    /// Encrypts outgoing bytes.
    pub send: Rc4Stream,
    /// Decrypts incoming bytes.
    pub recv: Rc4Stream,
}

impl StreamPair {
    /// The pair for the initiator (A sends with keyA) or the responder (B sends with keyB).
    pub fn new(initiator: bool, s: &[u8], skey: &[u8; 20]) -> StreamPair {
        let a = Rc4Stream::new(b"keyA", s, skey);
        let b = Rc4Stream::new(b"keyB", s, skey);
        if initiator {
            StreamPair { send: a, recv: b }
        } else {
            StreamPair { send: b, recv: a }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_mirror_each_other() {
        let (s, skey) = ([3u8; 96], [4u8; 20]);
        let mut a = StreamPair::new(true, &s, &skey);
        let mut b = StreamPair::new(false, &s, &skey);
        let mut msg = *b"attack at dawn";
        a.send.apply(&mut msg);
        assert_ne!(&msg, b"attack at dawn");
        b.recv.apply(&mut msg);
        assert_eq!(&msg, b"attack at dawn");
        let mut back = *b"ok";
        b.send.apply(&mut back);
        a.recv.apply(&mut back);
        assert_eq!(&back, b"ok");
    }

    #[test]
    fn discard_is_1024_bytes() {
        // The stream after new() equals a fresh RC4 stream's bytes 1024.. (keyed the same way).
        let (s, skey) = ([1u8; 96], [2u8; 20]);
        let key = hash(&[b"keyA", &s, &skey]);
        let mut fresh = rc4::Rc4::<U20>::new(&key.into());
        let mut long = [0u8; 1040];
        fresh.apply_keystream(&mut long);
        let mut ours = [0u8; 16];
        Rc4Stream::new(b"keyA", &s, &skey).apply(&mut ours);
        assert_eq!(ours, long[1024..]);
    }
}
