//! A torrent being removed. It is detached from the session at once (its peers closed, its
//! info-hash free, its handle reporting it gone), but the caller is answered only when its last
//! disk work is done, and that work runs on the writer thread so the reactor never waits for it:
//! - data kept: the pieces still being verified are waited for (at most a grace period), then
//!   the resume record is saved, so it counts them and no piece write lands after it;
//! - data deleted: the store is retired first, so a piece verified late cannot create a file
//!   again, then the files are deleted.
//!
//! Of the torrent's events after the removal, only storage errors of this last work are kept;
//! [`SessionEvent::Removed`] comes last.

use super::event::SessionEvent;
use super::event_queue::EventQueue;
use super::status::TorrentState;
use super::torrent::Torrent;
use crate::storage::hash_pool::IoTask;
use crossbeam_channel::Sender;
use std::time::{Duration, Instant};

/// What a torrent being removed does next.
pub(super) enum Next {
    /// Nothing yet: pieces are being verified, or disk work is in flight.
    Wait,
    /// Queue this last piece of disk work on the writer thread.
    Queue(IoTask),
    /// Nothing is left to do.
    Done,
}

/// A removed torrent finishing its disk work.
pub(super) struct Retiring {
    /// The torrent, detached from peers and lookups.
    pub torrent: Torrent,
    delete: bool,
    since: Instant,
    grace: Duration,
    /// A periodic resume save queued before the removal has not come back yet.
    periodic_save: bool,
    /// Where the last disk work is.
    last_work: LastWork,
    reply: Sender<bool>,
}

/// Where a removed torrent's last disk work is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LastWork {
    /// Not started: waiting for pieces being verified or a periodic save.
    Waiting,
    /// Queued on the writer thread.
    Queued,
    /// Done (or there was none).
    Done,
}

impl Retiring {
    /// Starts removing `torrent`; `reply` is answered when [`Retiring::finish`] runs. Waits for
    /// pieces being verified at most `grace`.
    pub fn new(torrent: Torrent, delete: bool, reply: Sender<bool>, grace: Duration, now: Instant) -> Retiring {
        if delete {
            torrent.store.retire();
        }
        let periodic_save = torrent.resume_saving;
        Retiring { torrent, delete, since: now, grace, periodic_save, last_work: LastWork::Waiting, reply }
    }

    /// Whether the torrent still handles its hash results: only while its data is kept and its
    /// pieces verified now may be recorded (not while it was checking).
    pub fn wants_hashes(&self) -> bool {
        !self.delete && self.torrent.state != TorrentState::Checking
    }

    /// The next step: wait for pieces being verified and for a periodic save in flight (at most
    /// the grace period), then the last disk work, once.
    pub fn next(&mut self, now: Instant) -> Next {
        match self.last_work {
            LastWork::Queued => return Next::Wait,
            LastWork::Done => return Next::Done,
            LastWork::Waiting => {}
        }
        // A move on the writer thread is waited for to its end: the files' place depends on it.
        if self.torrent.is_moving() {
            return Next::Wait;
        }
        let busy = self.periodic_save || (!self.delete && self.torrent.is_verifying());
        if busy && now.saturating_duration_since(self.since) < self.grace {
            return Next::Wait;
        }
        let task = if self.delete { Some(self.torrent.file_deleter()) } else { self.torrent.final_save() };
        match task {
            Some(task) => {
                self.last_work = LastWork::Queued;
                Next::Queue(task)
            }
            None => {
                self.last_work = LastWork::Done;
                Next::Done
            }
        }
    }

    /// Disk work of this torrent came back (in the order it was queued), with its error if any.
    pub fn on_io(&mut self, error: Option<String>) {
        if self.periodic_save {
            self.periodic_save = false;
            self.torrent.on_resume_saved(error);
            return;
        }
        self.last_work = LastWork::Done;
        if let Some(message) = error {
            self.storage_error(message);
        }
    }

    fn storage_error(&mut self, message: String) {
        self.torrent.events.push(SessionEvent::StorageError { torrent: self.torrent.id, message });
    }

    /// Finishes at once (at shutdown): the last disk work, when not queued yet, runs here.
    pub fn finish_now(mut self, events: &EventQueue<SessionEvent>) {
        if let Next::Queue(task) = self.next(self.since + self.grace) {
            if let Err(message) = task() {
                self.storage_error(message);
            }
        }
        self.finish(events);
    }

    /// Closes the torrent's files, queues its storage errors and then `Removed` on `events`, and
    /// answers the caller.
    pub fn finish(mut self, events: &EventQueue<SessionEvent>) {
        self.torrent.store.close();
        let id = self.torrent.id;
        for e in self.torrent.events.drain(..).filter(|e| matches!(e, SessionEvent::StorageError { .. })) {
            events.push(e);
        }
        events.push(SessionEvent::Removed { torrent: id });
        let _ = self.reply.send(true);
    }
}
