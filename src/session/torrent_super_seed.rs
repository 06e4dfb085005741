//! Super-seeding for a torrent: switching the mode on and off, hiding our pieces from new
//! connections, feeding the [`SuperSeed`] core what peers announce, and sending the HAVEs it
//! chooses. The decisions are in [`super::super_seed`]; this file only connects them.

use super::peer::PeerConn;
use super::status::TorrentState;
use super::super_seed::SuperSeed;
use super::torrent::{Action, Torrent};
use super::PeerKey;
use crate::wire::Message;
use std::time::Instant;

impl Torrent {
    /// True while the torrent super-seeds (the mode is wanted and the data is complete).
    pub fn is_super_seeding(&self) -> bool {
        self.super_seed.is_some()
    }

    /// Switches super-seeding on or off. Turning it on while seeding drops every connection
    /// (they were shown all our pieces) and announces again, as BitTornado does; turning it off
    /// shows each connected peer the pieces it was not offered.
    pub fn set_super_seed(&mut self, on: bool, now: Instant) {
        self.super_seed_wanted = on;
        if on {
            self.start_super_seed(now);
        } else if self.super_seed.take().is_some() {
            for key in self.peers.iter() {
                self.outbox.push(Action::RevealAll(*key));
            }
        }
    }

    /// Starts super-seeding if it is wanted and the data is complete (at the end of checking or
    /// of the download).
    pub(super) fn start_super_seed(&mut self, now: Instant) {
        if !self.super_seed_wanted || self.super_seed.is_some() || self.state != TorrentState::Seeding {
            return;
        }
        self.super_seed = Some(SuperSeed::new(self.layout.piece_count(), u64::from(self.id) ^ 0x5eed));
        for key in self.peers.iter() {
            self.outbox.push(Action::Close(*key, "super-seeding starts".into()));
        }
        if !self.announcer.is_empty() {
            self.announcer.force(now);
        }
    }

    /// What a new connection is told of our pieces while super-seeding: nothing (HAVE NONE
    /// when it supports the fast extension), then its first offer. False when not
    /// super-seeding (the caller sends the usual bitfield).
    pub(super) fn greet_super_seeded(&mut self, key: PeerKey, conn: &mut PeerConn, fast: bool, now: Instant) -> bool {
        let Some(core) = self.super_seed.as_mut() else { return false };
        core.peer_joined(key);
        if fast {
            conn.send(&Message::HaveNone, now);
        }
        self.super_seed_offer(key, conn, now);
        true
    }

    /// Feeds the core a piece the peer announced; that peer, and those whose pending offer it
    /// was, may now be due their next offer.
    pub(super) fn super_seed_saw(&mut self, key: PeerKey, pieces: impl IntoIterator<Item = u32>) {
        let Some(core) = self.super_seed.as_mut() else { return };
        for p in pieces {
            core.peer_has(key, p);
        }
        self.outbox.extend(core.take_due().into_iter().filter(|k| *k != key).map(Action::Offer));
        self.outbox.push(Action::Offer(key));
    }

    /// Gives every peer a chance at its next offer, when the number of sightings asked for may
    /// have dropped (an upload slot came free).
    pub(super) fn super_seed_offer_all(&mut self) {
        if self.super_seed.is_some() {
            self.outbox.extend(self.peers.iter().map(|k| Action::Offer(*k)));
        }
    }

    /// True when a request for `piece` from `key` may be served: we have it and, while
    /// super-seeding, it was offered to that peer.
    pub(super) fn may_upload(&self, key: PeerKey, piece: u32) -> bool {
        self.have.get(piece) && self.super_seed.as_ref().is_none_or(|c| c.may_serve(key, piece))
    }

    /// Sends the peer its next offer (a HAVE) if it is due one.
    pub fn super_seed_offer(&mut self, key: PeerKey, conn: &mut PeerConn, now: Instant) {
        // BitTornado asks for two sightings, one while upload slots are under-filled.
        let needed = if self.unchoked < self.max_uploads { 1 } else { 2 };
        let Some(core) = self.super_seed.as_mut() else { return };
        if let Some(piece) = core.next_offer(key, needed) {
            conn.send(&Message::Have(piece), now);
        }
    }

    /// Sends HAVE for every piece we have that the peer was not shown (after super-seeding
    /// ends).
    pub fn reveal_all(&mut self, conn: &mut PeerConn, now: Instant) {
        for p in self.have.iter_set() {
            if !conn.has.get(p) {
                conn.send(&Message::Have(p), now);
            }
        }
    }

    /// Forgets a departed peer.
    pub(super) fn super_seed_left(&mut self, key: PeerKey) {
        if let Some(core) = self.super_seed.as_mut() {
            core.peer_left(key);
        }
    }
}
