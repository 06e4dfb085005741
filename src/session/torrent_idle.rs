//! When a torrent needs the reactor's periodic tick at all. An idle torrent (no connections, not
//! checking, nothing to dial, no announce or resume save due, status unchanged) is skipped by the
//! tick, so thousands of idle torrents cost the reactor almost nothing; its status snapshot is
//! republished only when something changed, or at a slow heartbeat while its rates decay to zero.

use super::announcer::Announcer;
use super::event::SessionEvent;
use super::status::TorrentState;
use super::swarm::Swarm;
use super::torrent::{Torrent, TorrentId};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How often a torrent without connections republishes its status while its rates decay.
pub const RATE_HEARTBEAT: Duration = Duration::from_secs(1);

impl Swarm for Torrent {
    fn id(&self) -> TorrentId {
        self.id
    }
    fn announcer(&self) -> &Announcer {
        &self.announcer
    }
    fn announcer_mut(&mut self) -> &mut Announcer {
        &mut self.announcer
    }
    fn is_paused(&self) -> bool {
        self.paused
    }
    /// A torrent announces once its data is checked, so a seed is never reported as a leecher
    /// (libtorrent waits for the check too).
    fn announce_ready(&self) -> bool {
        self.state != TorrentState::Checking
    }
    fn add_peers(&mut self, addrs: &[SocketAddr], now: Instant) {
        Torrent::add_peers(self, addrs, now);
    }
    fn push_event(&mut self, event: SessionEvent) {
        self.events.push(event);
    }
    fn mark_status_dirty(&mut self) {
        Torrent::mark_status_dirty(self);
    }
    fn redial(&mut self, addr: SocketAddr) {
        if !self.paused && !self.is_banned(&addr) {
            self.candidates.push_back(addr);
        }
    }
}

impl Torrent {
    /// True when the status may have changed since the last snapshot (set by the code paths
    /// that change what the snapshot shows).
    pub fn mark_status_dirty(&mut self) {
        self.status_dirty = true;
    }

    /// True while the torrent has work the periodic tick does: connections, checking, peers to
    /// dial, an announce due, a resume record to save, or a status snapshot to publish.
    /// `web` is true when it has HTTP seeds (driven by the tick too).
    pub fn needs_tick(&self, now: Instant, web: bool) -> bool {
        let dialable = !self.candidates.is_empty()
            && !self.paused
            && !matches!(self.state, TorrentState::Error | TorrentState::Checking);
        web || dialable
            || !self.peers.is_empty()
            || self.state == TorrentState::Checking
            || self.status_dirty
            || self.rates_live
            || !self.outbox.is_empty()
            || !self.events.is_empty()
            || (self.resume_dirty && self.resume_dir.is_some())
            || (self.may_announce() && self.announcer.next_time().is_some_and(|t| t <= now))
    }

    /// True when the status snapshot should be published now: every `every` while the
    /// torrent is live (connections, checking, HTTP seeds when `web`) or its status changed,
    /// every [`RATE_HEARTBEAT`] while its rates decay, else never.
    pub fn snapshot_due(&mut self, now: Instant, every: Duration, web: bool) -> bool {
        let live = web || !self.peers.is_empty() || self.state == TorrentState::Checking;
        let interval = if live || self.status_dirty {
            every
        } else if self.rates_live {
            RATE_HEARTBEAT
        } else {
            return false;
        };
        if self.last_snapshot.is_none_or(|t| now.duration_since(t) >= interval) {
            self.last_snapshot = Some(now);
            self.status_dirty = false;
            return true;
        }
        false
    }
}
