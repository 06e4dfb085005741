//! Peer exchange with one connection (BEP 11), sans-I/O: what to tell the peer about the
//! torrent's other peers (only the changes since the last message, at most one message a
//! minute) and whether a message from it comes too soon to be taken.

use crate::wire::pex::{PexMessage, MAX_PEX_PEERS};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Time between two messages to one peer (libtorrent and BEP 11 use a minute).
pub const PEX_INTERVAL: Duration = Duration::from_secs(60);

/// Shortest time between two messages from a peer that are taken; quicker ones are ignored.
pub const PEX_MIN_RECEIVE_GAP: Duration = Duration::from_secs(20);

/// The exchange state of one connection.
#[derive(Debug, Default)]
pub struct PexState {
    /// The peers the last messages told it about, still connected as far as it knows.
    told: HashSet<SocketAddr>,
    /// When the next message is due (`None`: at once).
    next: Option<Instant>,
    /// When a message from the peer was last taken.
    last_taken: Option<Instant>,
}

impl PexState {
    /// The message due at `now`, given the torrent's connected peers (`current`, listening
    /// addresses with flags, the connection's own peer excluded by the caller): peers added and
    /// dropped since the last message, each list at most [`MAX_PEX_PEERS`] long. `None` when not
    /// due yet, or when nothing changed.
    pub fn due(&mut self, now: Instant, current: &[(SocketAddr, u8)]) -> Option<PexMessage> {
        if !self.is_due(now) {
            return None;
        }
        self.next = Some(now + PEX_INTERVAL);
        let now_set: HashSet<SocketAddr> = current.iter().map(|(a, _)| *a).collect();
        let added: Vec<(SocketAddr, u8)> =
            current.iter().filter(|(a, _)| !self.told.contains(a)).take(MAX_PEX_PEERS).copied().collect();
        let dropped: Vec<SocketAddr> =
            self.told.iter().filter(|a| !now_set.contains(a)).take(MAX_PEX_PEERS).copied().collect();
        for a in &dropped {
            self.told.remove(a);
        }
        self.told.extend(added.iter().map(|(a, _)| *a));
        (!added.is_empty() || !dropped.is_empty()).then_some(PexMessage { added, dropped })
    }

    /// True when a message may be sent at `now` ([`PexState::due`] would build one).
    pub fn is_due(&self, now: Instant) -> bool {
        self.next.is_none_or(|t| now >= t)
    }

    /// True when a message arriving at `now` is to be taken (the first one, then one per
    /// [`PEX_MIN_RECEIVE_GAP`]).
    pub fn take_incoming(&mut self, now: Instant) -> bool {
        if self.last_taken.is_some_and(|t| now.duration_since(t) < PEX_MIN_RECEIVE_GAP) {
            return false;
        }
        self.last_taken = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn tells_changes_once_a_minute() {
        let t0 = Instant::now();
        let mut s = PexState::default();
        let first = s.due(t0, &[(a(1), 0), (a(2), 2)]).unwrap();
        assert_eq!(first.added, vec![(a(1), 0), (a(2), 2)]);
        assert!(first.dropped.is_empty());
        assert_eq!(s.due(t0 + Duration::from_secs(30), &[(a(3), 0)]), None, "not due yet");
        let second = s.due(t0 + PEX_INTERVAL, &[(a(2), 2), (a(3), 0)]).unwrap();
        assert_eq!((second.added, second.dropped), (vec![(a(3), 0)], vec![a(1)]));
        assert_eq!(s.due(t0 + 2 * PEX_INTERVAL, &[(a(2), 2), (a(3), 0)]), None, "nothing changed");
    }

    #[test]
    fn lists_are_bounded_and_the_rest_follows_later() {
        let t0 = Instant::now();
        let mut s = PexState::default();
        let many: Vec<(SocketAddr, u8)> = (1..=120).map(|p| (a(p), 0)).collect();
        let mut told = 0;
        for round in 0..3u32 {
            told += s.due(t0 + round * PEX_INTERVAL, &many).unwrap().added.len();
        }
        assert_eq!(told, 120);
        assert_eq!(s.due(t0 + 3 * PEX_INTERVAL, &many), None);
    }

    #[test]
    fn incoming_messages_too_close_together_are_ignored() {
        let t0 = Instant::now();
        let mut s = PexState::default();
        assert!(s.take_incoming(t0));
        assert!(!s.take_incoming(t0 + Duration::from_secs(5)));
        assert!(s.take_incoming(t0 + PEX_MIN_RECEIVE_GAP));
    }
}
