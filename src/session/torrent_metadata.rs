//! Serving a torrent's info dictionary to peers that came with only its info-hash (a magnet
//! link): the `ut_metadata` offer in our extension handshake and the answers to requests (BEP 9).
//! The messages are in [`crate::wire::metadata`]; this file only connects them.

use super::peer::PeerConn;
use super::torrent::Torrent;
use crate::wire::metadata::{answer, MetadataMessage, METADATA_PIECE, UT_METADATA};
use crate::wire::{ExtensionHandshake, Message};
use std::time::Instant;

/// The message id we take `ut_metadata` messages as.
pub const UT_METADATA_ID: u8 = 2;

impl Torrent {
    /// Adds the `ut_metadata` offer to our extension handshake. A v2-only torrent is offered
    /// only when we can answer the hash requests for its piece layers that a peer fetching its
    /// metadata will need.
    pub(super) fn offer_metadata(&self, hs: &mut ExtensionHandshake) {
        if self.serves_metadata() {
            hs.extensions.insert(UT_METADATA.into(), UT_METADATA_ID);
            hs.metadata_size = Some(self.meta.info_bytes().len() as u64);
        }
    }

    /// True when the torrent's metadata is served (v1 and hybrid torrents, and v2 torrents with
    /// their piece layers).
    fn serves_metadata(&self) -> bool {
        self.meta.info_hash_v1().is_some() || self.serves_hashes()
    }

    /// Most metadata pieces one connection is sent: each piece a few times over, so a peer
    /// cannot make us send the info dictionary without end.
    fn metadata_allowance(&self) -> u32 {
        let pieces = self.meta.info_bytes().len().div_ceil(METADATA_PIECE) as u32;
        pieces.saturating_mul(4).saturating_add(8)
    }

    /// Handles a `ut_metadata` message: a request is answered with the piece (or a reject past
    /// the end, or once the connection's allowance is spent); anything else is ignored, as is a
    /// malformed message or one from a peer that did not say it takes them.
    pub(super) fn on_metadata_message(&mut self, conn: &mut PeerConn, payload: &[u8], now: Instant) {
        let (Some(their_id), Ok(MetadataMessage::Request { piece })) =
            (conn.ut_metadata, MetadataMessage::decode(payload))
        else {
            return;
        };
        if !self.serves_metadata() {
            return;
        }
        let reply = if conn.metadata_served < self.metadata_allowance() {
            answer(self.meta.info_bytes(), piece)
        } else {
            MetadataMessage::Reject { piece }
        };
        if matches!(reply, MetadataMessage::Data { .. }) {
            conn.metadata_served += 1;
        }
        conn.send(&Message::Extended { id: their_id, payload: &reply.encode() }, now);
    }
}
