//! The download queue (libtorrent's `active_downloads`, Transmission's download queue): with
//! `max_active_downloads` set, at most that many torrents download at once; the others wait
//! queued (paused, their data still checked) and start in the order they were added as active
//! ones finish, pause or leave. Seeding torrents are never queued.

use super::Reactor;
use crate::session::status::TorrentState;
use crate::session::swarm::Swarm;
use crate::session::torrent::TorrentId;
use std::time::Instant;

impl Reactor {
    /// Torrents downloading (or checking toward it) and not paused, oldest first.
    fn active_downloads(&self) -> Vec<TorrentId> {
        self.torrents
            .iter()
            .filter(|(_, t)| !t.paused && matches!(t.state, TorrentState::Checking | TorrentState::Downloading))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Whether a torrent added now waits in the queue from the start.
    pub(super) fn queue_is_full(&self) -> bool {
        let max = self.cfg.max_active_downloads;
        max > 0 && self.active_downloads().len() >= max
    }

    /// Queues the newest downloads past the limit and starts the oldest queued ones while there
    /// is room; a queued torrent found complete by its check starts at once (it seeds). Without
    /// a limit nothing is ever queued.
    pub(super) fn rebalance_queue(&mut self, now: Instant) {
        let max = self.cfg.max_active_downloads;
        if max == 0 {
            return;
        }
        let queued: Vec<TorrentId> =
            self.torrents.iter().filter(|(_, t)| t.queued && !t.is_moving()).map(|(id, _)| *id).collect();
        let mut active = self.active_downloads().len();
        for id in queued {
            let Some(t) = self.torrents.get_mut(&id) else { continue };
            let seeding = t.state == TorrentState::Seeding;
            if seeding || (active < max && t.state != TorrentState::Checking) {
                active += usize::from(!seeding && t.state != TorrentState::Error);
                t.queued = false;
                t.unpause(now);
                t.mark_status_dirty();
                self.torrent_tick(id, now);
            }
        }
        for id in self.active_downloads().into_iter().skip(max) {
            let Some(t) = self.torrents.get_mut(&id).filter(|t| !t.is_moving()) else { continue };
            t.queued = true;
            t.paused = true;
            t.stop_announcing(now);
            t.mark_status_dirty();
            self.close_torrent_peers(id, "queued");
        }
    }
}
