//! Moving a torrent's files to another save directory while the session runs (libtorrent's
//! `move_storage`, Transmission's "set location"). As in Transmission, the torrent pauses for
//! the move (its peers are closed, no `stopped` is announced); once no piece is being verified
//! and no resume record is being saved, its files move on the writer thread
//! ([`crate::storage::relocate`]), then it takes up its new place, or keeps its old one when the
//! move failed, and resumes unless it was paused before.

use super::event::SessionEvent;
use super::status::TorrentState;
use super::torrent::Torrent;
use crate::storage::hash_pool::IoTask;
use crate::storage::relocate;
use std::path::PathBuf;

/// A move asked for and not finished.
#[derive(Debug)]
pub(super) struct PendingMove {
    to: PathBuf,
    /// The torrent stays paused after the move (it was paused before, or a pause came since).
    stay_paused: bool,
    /// The disk work is on the writer thread.
    queued: bool,
}

impl Torrent {
    /// Starts moving to save directory `to`; the caller closes the torrent's connections. False,
    /// with a failure event, when a move is already under way.
    pub fn begin_move(&mut self, to: PathBuf) -> bool {
        if self.moving.is_some() {
            let message = format!("cannot move to {}: a move is already under way", to.display());
            self.events.push(SessionEvent::StorageMoveFailed { torrent: self.id, message });
            return false;
        }
        self.moving = Some(PendingMove { to, stay_paused: self.paused, queued: false });
        self.paused = true;
        self.status_dirty = true;
        true
    }

    /// Whether a move is under way.
    pub fn is_moving(&self) -> bool {
        self.moving.is_some()
    }

    /// The move's disk work, once, when nothing else touches the files (`io_idle`: no other
    /// disk work of the torrent is in flight outside it, e.g. a web seed's fetch).
    pub fn move_task(&mut self, io_idle: bool) -> Option<IoTask> {
        let busy = !io_idle || self.is_verifying() || self.resume_saving || self.state == TorrentState::Checking;
        let m = self.moving.as_mut().filter(|m| !m.queued && !busy)?;
        m.queued = true;
        self.store.close();
        let moves = self.store.moves_to(&m.to);
        let old_top = self.top_dir();
        Some(Box::new(move || {
            relocate::move_files(&moves)?;
            if let Some(top) = old_top {
                let old: Vec<PathBuf> = moves.into_iter().map(|(from, _)| from).collect();
                relocate::remove_empty_dirs(&old, &top);
            }
            Ok(())
        }))
    }

    /// The move's disk work is done: on success the torrent lives at its new place. Returns
    /// whether it should resume (it was not paused before the move).
    pub fn on_moved(&mut self, error: Option<String>) -> bool {
        let Some(m) = self.moving.take() else { return false };
        match error {
            None => {
                self.store.set_root(&m.to);
                self.resume_dirty = true;
                let path = m.to.display().to_string();
                self.events.push(SessionEvent::StorageMoved { torrent: self.id, path });
            }
            Some(message) => self.events.push(SessionEvent::StorageMoveFailed { torrent: self.id, message }),
        }
        self.status_dirty = true;
        !m.stay_paused
    }

    /// While a move is under way, records whether the torrent stays paused after it (a pause or
    /// resume asked for meanwhile) and returns true; false when no move is under way.
    pub fn set_paused_after_move(&mut self, paused: bool) -> bool {
        let Some(m) = self.moving.as_mut() else { return false };
        m.stay_paused = paused;
        true
    }

    /// The torrent is being removed: a move not started yet is dropped (one on the writer thread
    /// is waited for).
    pub fn settle_move_for_removal(&mut self) {
        if self.moving.as_ref().is_some_and(|m| !m.queued) {
            self.moving = None;
        }
    }
}
