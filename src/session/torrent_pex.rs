//! Peer exchange for a torrent (BEP 11): the `ut_pex` offer in our extension handshake and the
//! peers a connection tells us about, queued to dial. What to tell each connection is decided
//! by [`super::pex::PexState`] and sent by the reactor, which sees every connection. Private
//! torrents (BEP 27) take no part.

use super::peer::{PeerConn, Phase};
use super::torrent::Torrent;
use crate::wire::pex::{PexMessage, FLAG_REACHABLE, FLAG_SEED, UT_PEX};
use crate::wire::ExtensionHandshake;
use std::net::SocketAddr;
use std::time::Instant;

/// The message id we take `ut_pex` messages as.
pub const UT_PEX_ID: u8 = 1;

/// Most dial candidates queued before peers learnt by exchange are no longer taken.
const MAX_CANDIDATES: usize = 1000;

impl Torrent {
    /// Adds the `ut_pex` offer to our extension handshake, unless the torrent is private.
    pub(super) fn offer_pex(&self, hs: &mut ExtensionHandshake) {
        if !self.meta.is_private() {
            hs.extensions.insert(UT_PEX.into(), UT_PEX_ID);
        }
    }

    /// Takes a `ut_pex` message: the peers it adds are queued to dial. Ignored for a private
    /// torrent, from a peer that did not offer the extension, when it comes too soon after the
    /// last one, when malformed, or while many candidates already wait.
    pub(super) fn on_pex_message(&mut self, conn: &mut PeerConn, payload: &[u8], now: Instant) {
        if self.meta.is_private() || conn.ut_pex.is_none() || self.candidates.len() >= MAX_CANDIDATES {
            return;
        }
        if !conn.pex.take_incoming(now) {
            return;
        }
        let Ok(msg) = PexMessage::decode(payload) else { return };
        let own = conn.listen_addr();
        let addrs: Vec<SocketAddr> = msg
            .added
            .iter()
            .map(|(a, _)| *a)
            .filter(|a| a.port() != 0 && !a.ip().is_unspecified() && !a.ip().is_multicast() && Some(*a) != own)
            .collect();
        self.add_peers(&addrs, now);
    }
}

impl PeerConn {
    /// Where the peer accepts connections: the address we dialled, or for an incoming
    /// connection its address with the listening port its extension handshake gave.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        if self.outgoing {
            return Some(self.addr);
        }
        self.listen_port.map(|p| SocketAddr::new(self.addr.ip(), p))
    }

    /// This peer as an entry of the peer exchange (its listening address and flags), once the
    /// handshakes are done and the address is known.
    pub fn pex_entry(&self) -> Option<(SocketAddr, u8)> {
        if self.phase != Phase::Active || self.remote.is_none() {
            return None;
        }
        let mut flags = 0;
        if self.is_seed() {
            flags |= FLAG_SEED;
        }
        if self.outgoing {
            flags |= FLAG_REACHABLE;
        }
        Some((self.listen_addr()?, flags))
    }
}
