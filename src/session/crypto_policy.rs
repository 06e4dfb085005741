//! The session's encryption policy (BitTornado's `crypto_allowed`, `crypto_only`,
//! `crypto_stealth`, plus libtorrent's `prefer_rc4`) and the decisions that follow from it:
//! how to answer an incoming connection, how to dial a peer, what to announce.
//!
//! Defaults follow libtorrent's `pe_enabled`: outgoing connections try MSE first, offering
//! both plaintext-after-handshake and RC4, and fall back to one plaintext attempt when the MSE
//! attempt fails; incoming plaintext and MSE are both accepted; as responder we pick plaintext
//! when the peer offers both (the handshake is still obfuscated) unless `prefer_rc4` is set.

use crate::announce::AnnounceCrypto;
use crate::wire::mse::{MsePolicy, CRYPTO_PLAINTEXT, CRYPTO_RC4};

/// The encryption settings of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CryptoPolicy {
    /// Accept and offer MSE (`crypto_allowed`).
    pub allowed: bool,
    /// Refuse plaintext peers: MSE with RC4 only (`crypto_only`).
    pub only: bool,
    /// Like `only`, and announce `port=0&cryptoport=N` (`crypto_stealth`).
    pub stealth: bool,
    /// As MSE responder, choose RC4 when the peer offers plaintext too.
    pub prefer_rc4: bool,
}

impl Default for CryptoPolicy {
    fn default() -> Self {
        CryptoPolicy { allowed: true, only: false, stealth: false, prefer_rc4: false }
    }
}

/// How to open an outgoing connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dial {
    /// A plain BitTorrent handshake.
    Plaintext,
    /// An MSE handshake offering these methods; `retry_plaintext` says whether a failure
    /// earns one plaintext attempt.
    Mse {
        /// Methods to offer.
        policy: MsePolicy,
        /// Fall back to plaintext once if this attempt fails.
        retry_plaintext: bool,
    },
    /// Do not connect (the peer requires encryption and we do not speak it).
    Skip,
}

impl CryptoPolicy {
    /// Plaintext BitTorrent connections are allowed.
    pub fn plaintext_ok(&self) -> bool {
        !(self.only || self.stealth)
    }

    /// MSE is spoken at all.
    pub fn mse_ok(&self) -> bool {
        self.allowed || self.only || self.stealth
    }

    /// The `crypto_provide` bits we offer and accept.
    pub fn methods(&self) -> u32 {
        if self.plaintext_ok() {
            CRYPTO_PLAINTEXT | CRYPTO_RC4
        } else {
            CRYPTO_RC4
        }
    }

    /// The MSE policy for answering incoming MSE handshakes, if we accept them.
    pub fn responder(&self) -> Option<MsePolicy> {
        self.mse_ok().then(|| self.mse_policy())
    }

    /// The MSE methods we offer or accept, and our preference.
    fn mse_policy(&self) -> MsePolicy {
        MsePolicy { methods: self.methods(), prefer_rc4: self.prefer_rc4 }
    }

    /// How to dial a peer: `requires_crypto` from the tracker's `crypto_flags`, `mse_failed`
    /// when an MSE attempt to it failed before.
    pub fn dial(&self, requires_crypto: bool, mse_failed: bool) -> Dial {
        if !self.mse_ok() {
            return if requires_crypto { Dial::Skip } else { Dial::Plaintext };
        }
        if mse_failed && self.plaintext_ok() && !requires_crypto {
            return Dial::Plaintext;
        }
        Dial::Mse { policy: self.mse_policy(), retry_plaintext: self.plaintext_ok() && !requires_crypto && !mse_failed }
    }

    /// What our announces say about encryption.
    pub fn announce(&self) -> AnnounceCrypto {
        match (self.mse_ok(), self.only, self.stealth) {
            (false, ..) => AnnounceCrypto::Off,
            (true, _, true) => AnnounceCrypto::Stealth,
            (true, true, false) => AnnounceCrypto::Require,
            (true, false, false) => AnnounceCrypto::Support,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_try_mse_then_plaintext() {
        let p = CryptoPolicy::default();
        assert!(p.plaintext_ok() && p.mse_ok());
        let both = MsePolicy { methods: 3, prefer_rc4: false };
        assert_eq!(p.dial(false, false), Dial::Mse { policy: both, retry_plaintext: true });
        assert_eq!(p.dial(false, true), Dial::Plaintext);
        assert_eq!(p.dial(true, true), Dial::Mse { policy: both, retry_plaintext: false });
        assert_eq!(p.announce(), AnnounceCrypto::Support);
        assert_eq!(p.responder(), Some(both));
    }

    #[test]
    fn only_and_stealth_never_speak_plaintext() {
        for p in [
            CryptoPolicy { only: true, ..Default::default() },
            CryptoPolicy { stealth: true, allowed: false, ..Default::default() },
        ] {
            assert!(!p.plaintext_ok());
            let rc4 = MsePolicy { methods: CRYPTO_RC4, prefer_rc4: false };
            assert_eq!(p.dial(false, true), Dial::Mse { policy: rc4, retry_plaintext: false });
            assert_eq!(p.responder(), Some(rc4));
        }
        assert_eq!(CryptoPolicy { only: true, ..Default::default() }.announce(), AnnounceCrypto::Require);
        assert_eq!(CryptoPolicy { stealth: true, ..Default::default() }.announce(), AnnounceCrypto::Stealth);
    }

    #[test]
    fn off_means_plaintext_and_skips_peers_requiring_crypto() {
        let p = CryptoPolicy { allowed: false, ..Default::default() };
        assert_eq!(p.dial(false, false), Dial::Plaintext);
        assert_eq!(p.dial(true, false), Dial::Skip);
        assert_eq!(p.responder(), None);
        assert_eq!(p.announce(), AnnounceCrypto::Off);
    }
}
