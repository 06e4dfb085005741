//! A connection's encryption layer: deciding between a plaintext and an MSE handshake on
//! incoming connections, running the MSE handshake over the connection's own buffers, and
//! afterwards applying RC4 in place — received bytes right after each read, queued bytes just
//! before they are written ([`PeerConn::seal`]). Plaintext connections pay one branch.

use super::{PeerConn, PeerError};
use crate::wire::handshake::PROTOCOL;
use crate::wire::mse::{MseHandshake, MsePolicy, MseSecret, SkeyLookup, StreamPair};

/// Where a connection's encryption stands.
#[derive(Debug, Default)]
pub enum Crypto {
    /// Plain BitTorrent, or MSE finished with plaintext selected.
    #[default]
    Plain,
    /// Incoming: waiting to see whether the peer starts with a plaintext handshake or MSE.
    Detect {
        /// How to answer MSE.
        responder: MsePolicy,
        /// Plaintext peers are accepted.
        plaintext_ok: bool,
    },
    /// The MSE handshake is running.
    Handshake(Box<MseHandshake>),
    /// RC4 both ways; queued bytes before `sealed` are already encrypted.
    Rc4 {
        /// The two keystreams.
        streams: Box<StreamPair>,
        /// Send-buffer index up to which bytes are encrypted.
        sealed: usize,
    },
}

/// What [`PeerConn::drive_crypto`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoProgress {
    /// More bytes are needed.
    Pending,
    /// BitTorrent messages may flow (plaintext, or a finished MSE handshake).
    Ready,
    /// An MSE handshake just finished for this torrent (its SKEY).
    Finished([u8; 20]),
}

impl PeerConn {
    /// Incoming connection: decide between plaintext and MSE from the first bytes.
    pub fn expect_either(&mut self, responder: MsePolicy, plaintext_ok: bool) {
        self.crypto = Crypto::Detect { responder, plaintext_ok };
    }

    /// Outgoing connection: wraps what is queued (our BitTorrent handshake) into an MSE
    /// handshake for `info_hash` as its initial payload, and queues step 1 instead.
    pub fn start_mse(&mut self, info_hash: [u8; 20], policy: MsePolicy) {
        let ia = self.send.split_off(self.send_start);
        self.send.clear();
        self.send_start = 0;
        let mut hs = MseHandshake::initiator(info_hash, policy, ia, MseSecret::random(&mut rand::rng()));
        self.send.extend_from_slice(&hs.take_output());
        self.crypto = Crypto::Handshake(Box::new(hs));
    }

    /// True while the encryption handshake (or the plaintext/MSE decision) is not over.
    pub fn crypto_pending(&self) -> bool {
        matches!(self.crypto, Crypto::Detect { .. } | Crypto::Handshake(_))
    }

    /// True when the connection is RC4-encrypted.
    pub fn is_rc4(&self) -> bool {
        matches!(self.crypto, Crypto::Rc4 { .. })
    }

    /// Advances the detection or the MSE handshake over the received bytes; `lookup` finds
    /// the torrent an incoming MSE handshake asks for. Errors close the connection.
    pub fn drive_crypto(&mut self, lookup: &dyn SkeyLookup) -> Result<CryptoProgress, PeerError> {
        if let Crypto::Detect { responder, plaintext_ok } = self.crypto {
            let buf = &self.recv[self.recv_start..self.recv_end];
            let n = buf.len().min(PROTOCOL.len());
            if buf[..n] == PROTOCOL[..n] {
                if n < PROTOCOL.len() {
                    return Ok(CryptoProgress::Pending);
                }
                if !plaintext_ok {
                    return Err(PeerError::Unwanted("plaintext connection refused (crypto_only)".into()));
                }
                self.crypto = Crypto::Plain;
                return Ok(CryptoProgress::Ready);
            }
            let hs = MseHandshake::responder(responder, MseSecret::random(&mut rand::rng()));
            self.crypto = Crypto::Handshake(Box::new(hs));
        }
        let Crypto::Handshake(hs) = &mut self.crypto else { return Ok(CryptoProgress::Ready) };
        let used = hs.feed(&self.recv[self.recv_start..self.recv_end], lookup)?;
        self.recv_start += used;
        self.send.extend_from_slice(&hs.take_output());
        let Some(done) = hs.finish() else { return Ok(CryptoProgress::Pending) };
        let info_hash = done.info_hash;
        self.crypto = match done.streams {
            Some(mut streams) => {
                streams.recv.apply(&mut self.recv[self.recv_start..self.recv_end]);
                Crypto::Rc4 { streams: Box::new(streams), sealed: self.send.len() }
            }
            None => Crypto::Plain,
        };
        // The responder's IA (the peer's BitTorrent handshake) goes back in front of the rest:
        // it came out of the bytes just consumed, so it fits before `recv_start`.
        let ia = done.initial_payload;
        if !ia.is_empty() && ia.len() <= self.recv_start {
            self.recv_start -= ia.len();
            self.recv[self.recv_start..self.recv_start + ia.len()].copy_from_slice(&ia);
        }
        Ok(CryptoProgress::Finished(info_hash))
    }

    /// Encrypts everything queued since the last call (RC4 connections only); called before
    /// writing to the socket.
    pub fn seal(&mut self) {
        if let Crypto::Rc4 { streams, sealed } = &mut self.crypto {
            let end = self.send.len();
            if *sealed < end {
                streams.send.apply(&mut self.send[*sealed..end]);
                *sealed = end;
            }
        }
    }

    /// Decrypts bytes just read into `recv[from..to]` (RC4 connections only).
    pub(super) fn open_received(&mut self, from: usize, to: usize) {
        if let Crypto::Rc4 { streams, .. } = &mut self.crypto {
            streams.recv.apply(&mut self.recv[from..to]);
        }
    }

    /// The send-buffer index up to which bytes may be written.
    pub(super) fn wire_end(&self) -> usize {
        match &self.crypto {
            Crypto::Rc4 { sealed, .. } => *sealed,
            _ => self.send.len(),
        }
    }

    /// Keeps the sealed mark in step when `n` bytes are dropped from the send buffer's front.
    pub(super) fn shift_sealed(&mut self, n: usize) {
        if let Crypto::Rc4 { sealed, .. } = &mut self.crypto {
            *sealed = sealed.saturating_sub(n);
        }
    }
}
