//! What a torrent and a magnet-link torrent still fetching its metadata share towards trackers
//! and the event queue: the announcer, the peers it hands out, pausing, events. The reactor
//! drives trackers through this trait without caring which of the two it is talking to.

use super::announcer::{Announcer, DueAnnounce};
use super::event::SessionEvent;
use super::torrent::TorrentId;
use super::tracker_io::TrackerOutcome;
use std::net::SocketAddr;
use std::time::Instant;

/// A member of a swarm that announces to trackers.
pub trait Swarm {
    /// Session-local id.
    fn id(&self) -> TorrentId;
    /// Tracker state.
    fn announcer(&self) -> &Announcer;
    /// Tracker state, to change.
    fn announcer_mut(&mut self) -> &mut Announcer;
    /// Paused by the user.
    fn is_paused(&self) -> bool;
    /// Queues addresses to dial.
    fn add_peers(&mut self, addrs: &[SocketAddr], now: Instant);
    /// Queues an event for the session's queue.
    fn push_event(&mut self, event: SessionEvent);
    /// Notes that the status snapshot may be stale.
    fn mark_status_dirty(&mut self);
    /// Queues `addr` to be dialled again at once (unless stopped, paused or the peer banned).
    fn redial(&mut self, addr: SocketAddr);

    /// False while what it would tell trackers is not known yet (its data is being checked).
    fn announce_ready(&self) -> bool {
        true
    }

    /// True when it may announce now: it has trackers, knows what it has, and is running, or
    /// it is paused and still owes them its `stopped`.
    fn may_announce(&self) -> bool {
        !self.announcer().is_empty()
            && self.announce_ready()
            && (!self.is_paused() || self.announcer().owes_while_paused())
    }

    /// The announce due at `now`, if it may announce (see `may_announce`).
    fn announcer_due(&mut self, now: Instant) -> Option<DueAnnounce> {
        if self.may_announce() {
            self.announcer_mut().due(now)
        } else {
            None
        }
    }

    /// Owes its trackers `stopped` when it has any and is running; true when it does now.
    fn stop_announcing(&mut self, now: Instant) -> bool {
        if self.is_paused() || self.announcer().is_empty() {
            return false;
        }
        self.announcer_mut().stopped(now);
        true
    }

    /// True when a stopping session need not wait for its trackers: it has none, its last
    /// announce is done, or it is paused and owes them nothing.
    fn owes_trackers_nothing(&self) -> bool {
        let a = self.announcer();
        a.is_empty() || if self.is_paused() { !a.owes_while_paused() } else { a.next_time().is_none() }
    }

    /// Takes a tracker's answer (or failure) to announce `due`: peers queued, an event pushed.
    /// Returns the peers' addresses that asked for encryption.
    fn on_tracker_outcome(&mut self, due: &DueAnnounce, outcome: TrackerOutcome, now: Instant) -> Vec<SocketAddr> {
        self.mark_status_dirty();
        let torrent = self.id();
        match outcome {
            TrackerOutcome::Reply(reply) => {
                self.announcer_mut().on_reply(due, &reply, now);
                self.add_peers(&reply.peers, now);
                self.push_event(SessionEvent::TrackerReply {
                    torrent,
                    url: due.url.clone(),
                    peers: reply.peers.len() as u32,
                    warning: reply.warning.clone(),
                });
                reply.crypto_required
            }
            TrackerOutcome::Failed(message) => {
                self.announcer_mut().on_error(due, &message, now);
                self.push_event(SessionEvent::TrackerError { torrent, url: due.url.clone(), message });
                Vec::new()
            }
            TrackerOutcome::Scraped(stats) => {
                self.announcer_mut().on_scrape(Some(stats));
                self.push_event(SessionEvent::ScrapeReply {
                    torrent,
                    url: due.url.clone(),
                    complete: stats.complete,
                    incomplete: stats.incomplete,
                    downloaded: stats.downloaded,
                });
                Vec::new()
            }
            TrackerOutcome::ScrapeFailed(message) => {
                self.announcer_mut().on_scrape(None);
                self.push_event(SessionEvent::ScrapeFailed { torrent, url: due.url.clone(), message });
                Vec::new()
            }
            TrackerOutcome::Pending => Vec::new(),
        }
    }
}
