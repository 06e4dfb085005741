//! The MSE handshake state machine for both roles. Each state needs a fixed number of bytes
//! (or a sync marker within a bounded window) and either completes at once, consuming exactly
//! its bytes, or consumes nothing and waits; the caller keeps unconsumed bytes and feeds them
//! again with more. Nothing here grows without bound: the responder reads at most 96 + 532 +
//! 20 + 14 + 514 + 65535 bytes, the initiator at most 96 + 520 + 6 + 512.

use super::cipher::{req1, req2, req3, StreamPair};
use super::dh::{DhKey, KEY_LEN, PRIVATE_LEN};
use super::{MseError, MsePolicy, CRYPTO_PLAINTEXT, CRYPTO_RC4, MAX_PAD, VC};
use std::collections::HashMap;

/// Finds the info-hash (SKEY) whose `HASH('req2', SKEY)` equals the given value: the
/// responder's view of the session's torrents.
pub trait SkeyLookup {
    /// The info-hash with this `req2` hash, if we have that torrent.
    fn find_skey(&self, req2: &[u8; 20]) -> Option<[u8; 20]>;
}

impl<F: Fn(&[u8; 20]) -> Option<[u8; 20]>> SkeyLookup for F {
    fn find_skey(&self, req2: &[u8; 20]) -> Option<[u8; 20]> {
        self(req2)
    }
}

/// A map from `HASH('req2', SKEY)` to SKEY.
impl SkeyLookup for HashMap<[u8; 20], [u8; 20]> {
    fn find_skey(&self, req2: &[u8; 20]) -> Option<[u8; 20]> {
        self.get(req2).copied()
    }
}

/// One side's random choices: the DH private key and its PadA/PadB bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MseSecret {
    /// The 160-bit private key, big-endian.
    pub private: [u8; PRIVATE_LEN],
    /// PadA (initiator) or PadB (responder), at most 512 bytes.
    pub pad: Vec<u8>,
}

impl MseSecret {
    /// A random private key and 16 to 199 random padding bytes (BitTornado's range).
    pub fn random<R: rand::Rng + ?Sized>(rng: &mut R) -> MseSecret {
        let mut private = [0u8; PRIVATE_LEN];
        rng.fill_bytes(&mut private);
        let mut pad = vec![0u8; rng.random_range(16..200)];
        rng.fill_bytes(&mut pad);
        MseSecret { private, pad }
    }
}

/// A finished handshake.
#[derive(Debug)]
pub struct MseDone {
    /// The selected method: [`CRYPTO_PLAINTEXT`] or [`CRYPTO_RC4`].
    pub method: u32,
    /// The RC4 streams to apply to everything after the handshake (`None` for plaintext).
    pub streams: Option<StreamPair>,
    /// The torrent's info-hash (SKEY).
    pub info_hash: [u8; 20],
    /// The responder's decrypted initial payload (IA); empty for the initiator.
    pub initial_payload: Vec<u8>,
}

enum State {
    /// Waiting for the peer's 96-byte public key.
    AwaitKey,
    /// Responder: searching `HASH('req1', S)`.
    SyncReq1 { s: Box<[u8; KEY_LEN]> },
    /// Responder: reading `HASH('req2', SKEY) xor HASH('req3', S)`.
    ReadSkey { s: Box<[u8; KEY_LEN]> },
    /// Responder: reading the encrypted VC, `crypto_provide` and `len(PadC)`.
    ReadProvide { streams: Box<StreamPair> },
    /// Responder: reading PadC and `len(IA)`.
    ReadPadC { streams: Box<StreamPair>, select: u32, len: usize },
    /// Responder: reading IA.
    ReadIa { streams: Box<StreamPair>, select: u32, len: usize },
    /// Initiator: searching the encrypted VC.
    SyncVc { streams: Box<StreamPair>, pattern: [u8; 8] },
    /// Initiator: reading `crypto_select` and `len(PadD)`.
    ReadSelect { streams: Box<StreamPair> },
    /// Initiator: reading PadD.
    ReadPadD { streams: Box<StreamPair>, select: u32, len: usize },
    /// Over: finished or failed.
    Over,
}

/// An MSE handshake in progress (either role).
pub struct MseHandshake {
    initiator: bool,
    key: DhKey,
    policy: MsePolicy,
    skey: [u8; 20],
    /// The initiator's IA, until step 3 is written.
    ia: Vec<u8>,
    /// The responder's PadB, until step 2 is written.
    pad: Vec<u8>,
    state: State,
    out: Vec<u8>,
    done: Option<MseDone>,
}

impl std::fmt::Debug for MseHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MseHandshake").field("initiator", &self.initiator).finish_non_exhaustive()
    }
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn checked_pad(len: u16) -> Result<usize, MseError> {
    if usize::from(len) > MAX_PAD {
        Err(MseError::PadTooLong(len))
    } else {
        Ok(usize::from(len))
    }
}

/// The offset of `pattern` in the first `MAX_PAD + pattern.len()` bytes of `input`: `Ok(None)`
/// while it may still arrive, an error once the window is full without it.
fn sync(input: &[u8], pattern: &[u8]) -> Result<Option<usize>, MseError> {
    let window = MAX_PAD + pattern.len();
    let seen = &input[..input.len().min(window)];
    match seen.windows(pattern.len()).position(|w| w == pattern) {
        Some(k) => Ok(Some(k)),
        None if input.len() >= window => Err(MseError::NoSync(window)),
        None => Ok(None),
    }
}

impl MseHandshake {
    /// Starts as initiator for the torrent `info_hash`, offering `policy.methods` and carrying
    /// `ia` (usually our BitTorrent handshake, at most 65535 bytes) in step 3. Step 1 (Ya,
    /// PadA) is queued in the output at once.
    pub fn initiator(info_hash: [u8; 20], policy: MsePolicy, ia: Vec<u8>, secret: MseSecret) -> MseHandshake {
        let mut hs = MseHandshake::new(true, policy, secret.private);
        hs.skey = info_hash;
        hs.ia = ia;
        hs.ia.truncate(usize::from(u16::MAX));
        hs.out.extend_from_slice(hs.key.public());
        hs.out.extend_from_slice(&secret.pad[..secret.pad.len().min(MAX_PAD)]);
        hs
    }

    /// Starts as responder accepting `policy.methods`; the torrent is found with a
    /// [`SkeyLookup`] during [`MseHandshake::feed`].
    pub fn responder(policy: MsePolicy, secret: MseSecret) -> MseHandshake {
        let mut hs = MseHandshake::new(false, policy, secret.private);
        hs.pad = secret.pad;
        hs.pad.truncate(MAX_PAD);
        hs
    }

    fn new(initiator: bool, policy: MsePolicy, private: [u8; PRIVATE_LEN]) -> MseHandshake {
        MseHandshake {
            initiator,
            key: DhKey::new(&private),
            policy,
            skey: [0; 20],
            ia: Vec::new(),
            pad: Vec::new(),
            state: State::AwaitKey,
            out: Vec::new(),
            done: None,
        }
    }

    /// Bytes to send now (taken: the next call returns only newer bytes).
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// True once the handshake finished; collect the result with [`MseHandshake::finish`].
    pub fn is_done(&self) -> bool {
        self.done.is_some()
    }

    /// The result, once finished (taken).
    pub fn finish(&mut self) -> Option<MseDone> {
        self.done.take()
    }

    /// Reads from `input` (bytes received and not yet consumed) as far as the handshake goes;
    /// returns how many bytes it consumed. Bytes after the end of the handshake are payload
    /// and stay with the caller (encrypted when the method is RC4). Any error is final.
    pub fn feed(&mut self, input: &[u8], lookup: &dyn SkeyLookup) -> Result<usize, MseError> {
        let mut used = 0;
        while self.done.is_none() {
            match self.step(&input[used..], lookup) {
                Ok(Some(n)) => used += n,
                Ok(None) => break,
                Err(e) => {
                    self.state = State::Over;
                    return Err(e);
                }
            }
        }
        Ok(used)
    }

    /// One state transition: `Some(consumed)` when it advanced, `None` when it needs more.
    fn step(&mut self, input: &[u8], lookup: &dyn SkeyLookup) -> Result<Option<usize>, MseError> {
        let state = std::mem::replace(&mut self.state, State::Over);
        let (next, used) = match state {
            State::Over => return Err(MseError::Finished),
            State::AwaitKey if input.len() < KEY_LEN => (State::AwaitKey, None),
            State::AwaitKey => (self.on_key(&input[..KEY_LEN])?, Some(KEY_LEN)),
            State::SyncReq1 { s } => match sync(input, &req1(&s[..]))? {
                Some(k) => (State::ReadSkey { s }, Some(k + 20)),
                None => (State::SyncReq1 { s }, None),
            },
            State::ReadSkey { s } if input.len() < 20 => (State::ReadSkey { s }, None),
            State::ReadSkey { s } => (self.on_skey(&s, &input[..20], lookup)?, Some(20)),
            State::ReadProvide { streams } if input.len() < 14 => (State::ReadProvide { streams }, None),
            State::ReadProvide { streams } => (self.on_provide(streams, &input[..14])?, Some(14)),
            State::ReadPadC { streams, select, len } if input.len() < len + 2 => {
                (State::ReadPadC { streams, select, len }, None)
            }
            State::ReadPadC { mut streams, select, len } => {
                let mut tail = [input[len], input[len + 1]];
                streams.recv.skip(len);
                streams.recv.apply(&mut tail);
                (State::ReadIa { streams, select, len: usize::from(be16(&tail)) }, Some(len + 2))
            }
            State::ReadIa { streams, select, len } if input.len() < len => {
                (State::ReadIa { streams, select, len }, None)
            }
            State::ReadIa { streams, select, len } => {
                self.on_ia(streams, select, &input[..len]);
                (State::Over, Some(len))
            }
            State::SyncVc { streams, pattern } => match sync(input, &pattern)? {
                // The stream is past the VC already: it made `pattern`.
                Some(k) => (State::ReadSelect { streams }, Some(k + 8)),
                None => (State::SyncVc { streams, pattern }, None),
            },
            State::ReadSelect { streams } if input.len() < 6 => (State::ReadSelect { streams }, None),
            State::ReadSelect { streams } => (self.on_select(streams, &input[..6])?, Some(6)),
            State::ReadPadD { streams, select, len } if input.len() < len => {
                (State::ReadPadD { streams, select, len }, None)
            }
            State::ReadPadD { mut streams, select, len } => {
                streams.recv.skip(len);
                self.complete(select, streams, Vec::new());
                (State::Over, Some(len))
            }
        };
        self.state = next;
        Ok(used)
    }

    /// The peer's public key arrived: the responder answers with Yb and PadB; the initiator
    /// sends step 3 and starts looking for the encrypted VC.
    fn on_key(&mut self, remote: &[u8]) -> Result<State, MseError> {
        let s = Box::new(self.key.shared_secret(remote).ok_or(MseError::BadPublicKey)?);
        if !self.initiator {
            self.out.extend_from_slice(self.key.public());
            self.out.append(&mut self.pad);
            return Ok(State::SyncReq1 { s });
        }
        self.out.extend_from_slice(&req1(&s[..]));
        let (r2, r3) = (req2(&self.skey), req3(&s[..]));
        self.out.extend(r2.iter().zip(r3.iter()).map(|(a, b)| a ^ b));
        let mut streams = Box::new(StreamPair::new(true, &s[..], &self.skey));
        let start = self.out.len();
        self.out.extend_from_slice(&VC);
        self.out.extend_from_slice(&self.policy.methods.to_be_bytes());
        self.out.extend_from_slice(&0u16.to_be_bytes()); // len(PadC): no PadC
        self.out.extend_from_slice(&(self.ia.len() as u16).to_be_bytes());
        self.out.append(&mut self.ia);
        streams.send.apply(&mut self.out[start..]);
        // The responder's encrypted VC, to look for; it also moves our receive stream past it.
        let mut pattern = VC;
        streams.recv.apply(&mut pattern);
        Ok(State::SyncVc { streams, pattern })
    }

    fn on_skey(&mut self, s: &[u8; KEY_LEN], masked: &[u8], lookup: &dyn SkeyLookup) -> Result<State, MseError> {
        let r3 = req3(&s[..]);
        let mut r2 = [0u8; 20];
        for (i, b) in r2.iter_mut().enumerate() {
            *b = masked[i] ^ r3[i];
        }
        self.skey = lookup.find_skey(&r2).ok_or(MseError::UnknownTorrent)?;
        Ok(State::ReadProvide { streams: Box::new(StreamPair::new(false, &s[..], &self.skey)) })
    }

    fn on_provide(&mut self, mut streams: Box<StreamPair>, bytes: &[u8]) -> Result<State, MseError> {
        let mut b = [0u8; 14];
        b.copy_from_slice(bytes);
        streams.recv.apply(&mut b);
        if b[..8] != VC {
            return Err(MseError::BadVc);
        }
        let provide = be32(&b[8..12]);
        let select = self.policy.select(provide).ok_or(MseError::NoCommonMethod(provide, self.policy.methods))?;
        let len = checked_pad(be16(&b[12..14]))?;
        Ok(State::ReadPadC { streams, select, len })
    }

    /// The responder has IA: it answers with step 4 and is done.
    fn on_ia(&mut self, mut streams: Box<StreamPair>, select: u32, bytes: &[u8]) {
        let mut ia = bytes.to_vec();
        streams.recv.apply(&mut ia);
        let start = self.out.len();
        self.out.extend_from_slice(&VC);
        self.out.extend_from_slice(&select.to_be_bytes());
        self.out.extend_from_slice(&0u16.to_be_bytes()); // len(PadD): no PadD
        streams.send.apply(&mut self.out[start..]);
        self.complete(select, streams, ia);
    }

    fn on_select(&mut self, mut streams: Box<StreamPair>, bytes: &[u8]) -> Result<State, MseError> {
        let mut b = [0u8; 6];
        b.copy_from_slice(bytes);
        streams.recv.apply(&mut b);
        let select = be32(&b[..4]);
        let offered = self.policy.methods;
        if !(select == CRYPTO_PLAINTEXT || select == CRYPTO_RC4) || select & offered == 0 {
            return Err(MseError::BadSelect(select, offered));
        }
        let len = checked_pad(be16(&b[4..6]))?;
        Ok(State::ReadPadD { streams, select, len })
    }

    fn complete(&mut self, method: u32, streams: Box<StreamPair>, initial_payload: Vec<u8>) {
        let streams = (method == CRYPTO_RC4).then_some(*streams);
        self.done = Some(MseDone { method, streams, info_hash: self.skey, initial_payload });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::mse::cipher::hash;
    use rand::{Rng, SeedableRng};

    const SKEY: [u8; 20] = [0xAB; 20];
    const BOTH: MsePolicy = MsePolicy { methods: CRYPTO_PLAINTEXT | CRYPTO_RC4, prefer_rc4: false };
    const RC4_ONLY: MsePolicy = MsePolicy { methods: CRYPTO_RC4, prefer_rc4: true };
    const PLAIN_ONLY: MsePolicy = MsePolicy { methods: CRYPTO_PLAINTEXT, prefer_rc4: false };

    fn lookup(r2: &[u8; 20]) -> Option<[u8; 20]> {
        (*r2 == req2(&SKEY)).then_some(SKEY)
    }

    fn ia() -> Vec<u8> {
        let mut v = b"\x13BitTorrent protocol".to_vec();
        v.resize(68, 0);
        v
    }

    fn secret(b: u8, pad: Vec<u8>) -> MseSecret {
        MseSecret { private: [b; 20], pad }
    }

    /// Moves bytes between the two sides `chunk` at a time until both finish; returns each
    /// side's messages as sent (A's, B's).
    fn run(a: &mut MseHandshake, b: &mut MseHandshake, chunk: usize) -> Result<(Vec<u8>, Vec<u8>), MseError> {
        let (mut a_sent, mut b_sent) = (Vec::new(), Vec::new());
        let (mut to_b, mut to_a) = (Vec::new(), Vec::new());
        let (mut b_seen, mut a_seen) = (0usize, 0usize);
        for _ in 0..10_000 {
            let out = a.take_output();
            a_sent.extend_from_slice(&out);
            to_b.extend_from_slice(&out);
            let out = b.take_output();
            b_sent.extend_from_slice(&out);
            to_a.extend_from_slice(&out);
            if a.is_done() && b.is_done() && to_a.is_empty() && to_b.is_empty() {
                break;
            }
            if !b.is_done() {
                let avail = to_b.len().min(b_seen.saturating_add(chunk));
                let n = b.feed(&to_b[..avail], &lookup)?;
                to_b.drain(..n);
                b_seen = avail - n;
            }
            if !a.is_done() {
                let avail = to_a.len().min(a_seen.saturating_add(chunk));
                let n = a.feed(&to_a[..avail], &lookup)?;
                to_a.drain(..n);
                a_seen = avail - n;
            }
            if a.is_done() && b.is_done() {
                a_sent.extend_from_slice(&a.take_output());
                b_sent.extend_from_slice(&b.take_output());
                break;
            }
        }
        Ok((a_sent, b_sent))
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Expected values printed by tests/data/mse_vector.py (Python's pow(), hashlib and a
    /// separate RC4), for the same keys, padding and IA.
    #[test]
    fn matches_independent_vector() {
        let pad_a: Vec<u8> = (0..40).collect();
        let pad_b: Vec<u8> = (100..133).collect();
        let mut a = MseHandshake::initiator(SKEY, BOTH, ia(), secret(0x11, pad_a));
        let mut b = MseHandshake::responder(RC4_ONLY, secret(0x22, pad_b));
        let (a_sent, b_sent) = run(&mut a, &mut b, usize::MAX).unwrap();
        let (step1, step3) = a_sent.split_at(96 + 40);
        let (step2, step4) = b_sent.split_at(96 + 33);
        assert_eq!(hex(&hash(&[step1])), "63a7a08c83af1edaea61aee1de6d89b0d8ef2c6d");
        assert_eq!(hex(&hash(&[step2])), "66a63f40566a86558c7c3bb357e546f3ade83471");
        assert_eq!(hex(&hash(&[step3])), "c5956aa70ff74e7cb4ac3e61c2164c2b0dace362");
        assert_eq!(hex(&hash(&[step4])), "09a0607afc02e1a5f146882cb761675fb89f3cf5");
        let mut da = a.finish().unwrap();
        let mut db = b.finish().unwrap();
        assert_eq!((da.method, db.method), (CRYPTO_RC4, CRYPTO_RC4));
        assert_eq!(db.info_hash, SKEY);
        assert_eq!(db.initial_payload, ia());
        let mut hello = *b"hello";
        da.streams.as_mut().unwrap().send.apply(&mut hello);
        assert_eq!(hex(&hello), "d8ffeb03e7");
        let mut world = *b"world";
        db.streams.as_mut().unwrap().send.apply(&mut world);
        assert_eq!(hex(&world), "016097c7c4");
        db.streams.as_mut().unwrap().recv.apply(&mut hello);
        assert_eq!(&hello, b"hello");
    }

    #[test]
    fn roles_agree_in_any_chunking_and_select_by_policy() {
        let cases = [(BOTH, BOTH, CRYPTO_PLAINTEXT), (BOTH, RC4_ONLY, CRYPTO_RC4), (RC4_ONLY, BOTH, CRYPTO_RC4)];
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for (pa, pb, want) in cases {
            for chunk in [1, 7, 96, 1000] {
                let mut a = MseHandshake::initiator(SKEY, pa, ia(), MseSecret::random(&mut rng));
                let mut b = MseHandshake::responder(pb, MseSecret::random(&mut rng));
                run(&mut a, &mut b, chunk).unwrap();
                let (da, db) = (a.finish().unwrap(), b.finish().unwrap());
                assert_eq!((da.method, db.method), (want, want), "chunk {chunk}");
                assert_eq!(da.streams.is_some(), want == CRYPTO_RC4);
                assert_eq!(db.initial_payload, ia());
            }
        }
    }

    #[test]
    fn payload_after_the_handshake_is_left_to_the_caller() {
        let mut a = MseHandshake::initiator(SKEY, RC4_ONLY, ia(), secret(1, vec![9; 20]));
        let mut b = MseHandshake::responder(RC4_ONLY, secret(2, vec![8; 30]));
        let mut to_b = a.take_output();
        assert_eq!(b.feed(&to_b, &lookup), Ok(96), "PadA stays until the sync marker arrives");
        to_b.drain(..96);
        let to_a = b.take_output();
        assert_eq!(a.feed(&to_a, &lookup), Ok(96));
        let mut to_a = to_a[96..].to_vec();
        to_b.extend_from_slice(&a.take_output());
        assert_eq!(b.feed(&to_b, &lookup), Ok(to_b.len()));
        to_a.extend_from_slice(&b.take_output());
        let hs_len = to_a.len();
        let mut db = b.finish().unwrap();
        let mut extra = *b"payload";
        db.streams.as_mut().unwrap().send.apply(&mut extra);
        to_a.extend_from_slice(&extra);
        assert_eq!(a.feed(&to_a, &lookup), Ok(hs_len), "PadB and step 4, not the payload");
        let mut da = a.finish().unwrap();
        let mut rest = to_a[hs_len..].to_vec();
        da.streams.as_mut().unwrap().recv.apply(&mut rest);
        assert_eq!(&rest, b"payload");
    }

    #[test]
    fn hostile_input_fails_cleanly() {
        // Unknown torrent.
        let mut a = MseHandshake::initiator([1; 20], BOTH, ia(), secret(1, vec![]));
        let mut b = MseHandshake::responder(BOTH, secret(2, vec![]));
        assert_eq!(run(&mut a, &mut b, 50), Err(MseError::UnknownTorrent));
        assert_eq!(b.feed(&[0; 200], &lookup), Err(MseError::Finished));
        // No common method.
        let mut a = MseHandshake::initiator(SKEY, PLAIN_ONLY, ia(), secret(1, vec![]));
        let mut b = MseHandshake::responder(RC4_ONLY, secret(2, vec![]));
        assert_eq!(run(&mut a, &mut b, 50), Err(MseError::NoCommonMethod(1, 2)));
        // Degenerate public key.
        let mut b = MseHandshake::responder(BOTH, secret(2, vec![]));
        assert_eq!(b.feed(&[0; 96], &lookup), Err(MseError::BadPublicKey));
        // No sync marker within 512 + 20 bytes after the key (responder) or 512 + 8 (initiator).
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let key = DhKey::new(&[5; 20]);
        let mut junk = key.public().to_vec();
        junk.extend((0..600).map(|_| rng.random::<u8>()));
        let mut b = MseHandshake::responder(BOTH, secret(2, vec![]));
        assert_eq!(b.feed(&junk[..96 + 531], &lookup), Ok(96));
        assert_eq!(b.feed(&junk[96..], &lookup), Err(MseError::NoSync(532)));
        let mut a = MseHandshake::initiator(SKEY, BOTH, ia(), secret(1, vec![]));
        assert_eq!(a.feed(&junk, &lookup), Err(MseError::NoSync(520)));
    }

    /// Builds an initiator's step 3 by hand for the responder `b` (after its step 2), with
    /// `vc`, `provide` and `pad_len` as given.
    fn forged_step3(a_key: &DhKey, b_public: &[u8], vc: [u8; 8], provide: u32, pad_len: u16) -> Vec<u8> {
        let s = a_key.shared_secret(b_public).unwrap();
        let mut out = req1(&s).to_vec();
        let (r2, r3) = (req2(&SKEY), req3(&s));
        out.extend(r2.iter().zip(r3.iter()).map(|(x, y)| x ^ y));
        let mut block = vc.to_vec();
        block.extend_from_slice(&provide.to_be_bytes());
        block.extend_from_slice(&pad_len.to_be_bytes());
        StreamPair::new(true, &s, &SKEY).send.apply(&mut block);
        out.extend_from_slice(&block);
        out
    }

    #[test]
    fn wrong_vc_and_oversized_padding_are_refused() {
        for (vc, provide, pad, want) in [
            ([0, 0, 0, 0, 0, 0, 0, 1], 3, 0, MseError::BadVc),
            (VC, 3, 513, MseError::PadTooLong(513)),
            (VC, 0, 0, MseError::NoCommonMethod(0, 3)),
        ] {
            let a_key = DhKey::new(&[3; 20]);
            let mut b = MseHandshake::responder(BOTH, secret(2, vec![1; 10]));
            assert_eq!(b.feed(a_key.public(), &lookup), Ok(96));
            let step2 = b.take_output();
            let step3 = forged_step3(&a_key, &step2[..96], vc, provide, pad);
            assert_eq!(b.feed(&step3, &lookup), Err(want));
        }
    }

    #[test]
    fn responder_selecting_unoffered_method_is_refused() {
        let mut a = MseHandshake::initiator(SKEY, RC4_ONLY, ia(), secret(1, vec![]));
        let b_key = DhKey::new(&[4; 20]);
        let step1 = a.take_output();
        assert_eq!(a.feed(b_key.public(), &lookup), Ok(96));
        let s = b_key.shared_secret(&step1[..96]).unwrap();
        let mut step4 = VC.to_vec();
        step4.extend_from_slice(&CRYPTO_PLAINTEXT.to_be_bytes());
        step4.extend_from_slice(&0u16.to_be_bytes());
        StreamPair::new(false, &s, &SKEY).send.apply(&mut step4);
        assert_eq!(a.feed(&step4, &lookup), Err(MseError::BadSelect(1, 2)));
    }

    #[test]
    fn random_garbage_never_panics() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for i in 0..200 {
            let len = rng.random_range(0..2000);
            let junk: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            let mut b = MseHandshake::responder(BOTH, secret(2, vec![]));
            let mut a = MseHandshake::initiator(SKEY, BOTH, ia(), secret(1, vec![]));
            let chunk = 1 + i % 300;
            for part in [&mut b, &mut a] {
                let mut pos = 0;
                while pos < junk.len() {
                    let end = (pos + chunk).min(junk.len());
                    match part.feed(&junk[pos..end], &lookup) {
                        Ok(n) => pos += n.max(end - pos),
                        Err(_) => break,
                    }
                }
            }
        }
    }
}
