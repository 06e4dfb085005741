//! Message Stream Encryption (MSE, also called PE), sans-I/O: the obfuscated handshake that
//! replaces the plaintext BitTorrent handshake's first bytes with a Diffie-Hellman exchange,
//! then either RC4-encrypts the whole connection or hands it back in plaintext.
//!
//! ```text
//! 1 A->B: Ya, PadA
//! 2 B->A: Yb, PadB
//! 3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
//!         ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
//! 4 B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD), ENCRYPT2(payload)
//! 5 A->B: ENCRYPT2(payload)
//! ```
//!
//! [`MseHandshake`] runs either role over bytes the caller moves: it reads from a borrowed
//! input and reports how much it consumed, and queues what to send in [`MseHandshake::output`].
//! When it finishes, [`MseDone`] carries the method, the RC4 streams (if any), the torrent's
//! info-hash and, for the responder, the decrypted initial payload (IA).

mod cipher;
mod dh;
mod handshake;

pub use cipher::{req1, req2, req3, Rc4Stream, StreamPair};
pub use dh::{DhKey, KEY_LEN, PRIME, PRIVATE_LEN};
pub use handshake::{MseDone, MseHandshake, MseSecret, SkeyLookup};

/// `crypto_provide`/`crypto_select` bit: plaintext after the handshake.
pub const CRYPTO_PLAINTEXT: u32 = 0x01;
/// `crypto_provide`/`crypto_select` bit: RC4 for the whole connection.
pub const CRYPTO_RC4: u32 = 0x02;
/// Longest PadA, PadB, PadC or PadD the spec allows.
pub const MAX_PAD: usize = 512;
/// The verification constant: eight zero bytes.
pub const VC: [u8; 8] = [0; 8];

/// Why an MSE handshake failed; the connection is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MseError {
    /// The peer's Diffie-Hellman key is degenerate (0, 1, P-1 or not below P).
    #[error("MSE: the peer's public key is invalid")]
    BadPublicKey,
    /// The sync marker did not appear within the padding limit.
    #[error("MSE: no sync marker within {0} bytes")]
    NoSync(usize),
    /// The torrent identified by `HASH('req2', SKEY)` is not one of ours.
    #[error("MSE: the peer asks for a torrent we do not have")]
    UnknownTorrent,
    /// The decrypted verification constant was not eight zero bytes.
    #[error("MSE: wrong verification constant (wrong key or not MSE)")]
    BadVc,
    /// A padding length above 512.
    #[error("MSE: padding of {0} bytes is over the 512-byte limit")]
    PadTooLong(u16),
    /// The peer offers no method we accept (`crypto_provide`).
    #[error("MSE: no common method (peer offers {0:#x}, we accept {1:#x})")]
    NoCommonMethod(u32, u32),
    /// The responder selected a method we did not offer, or more than one.
    #[error("MSE: peer selected {0:#x}, which we did not offer ({1:#x})")]
    BadSelect(u32, u32),
    /// The handshake is already over or failed.
    #[error("MSE: handshake already finished")]
    Finished,
}

/// Which methods a side accepts, as `crypto_provide` bits, and which it picks as responder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsePolicy {
    /// Accepted methods ([`CRYPTO_PLAINTEXT`] | [`CRYPTO_RC4`]); never 0.
    pub methods: u32,
    /// As responder, pick RC4 when the peer offers both.
    pub prefer_rc4: bool,
}

impl MsePolicy {
    /// The method a responder selects from the peer's `crypto_provide`, if any.
    pub fn select(&self, provide: u32) -> Option<u32> {
        let common = provide & self.methods;
        match (common & CRYPTO_PLAINTEXT != 0, common & CRYPTO_RC4 != 0) {
            (true, true) => Some(if self.prefer_rc4 { CRYPTO_RC4 } else { CRYPTO_PLAINTEXT }),
            (false, true) => Some(CRYPTO_RC4),
            (true, false) => Some(CRYPTO_PLAINTEXT),
            (false, false) => None,
        }
    }
}
