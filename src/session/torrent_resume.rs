//! Fast resume for a torrent: trusting the recorded pieces whose files are unchanged when
//! checking starts, and writing the record (after syncing the data) as pieces are verified.
//! The record also carries the blocks of unfinished pieces (see `torrent_unfinished`).

use super::bitfield::Bitfield;
use super::event::SessionEvent;
use super::status::TorrentState;
use super::torrent::{job_id, Torrent};
use crate::storage::hash_pool::{HashPool, IoTask};
use crate::storage::resume::ResumeData;
use std::path::PathBuf;
use std::time::{Duration, Instant};

impl Torrent {
    pub(super) fn resume_path(&self) -> Option<PathBuf> {
        let hex = crate::metainfo::parse::hex(&self.info_hash);
        self.resume_dir.as_ref().map(|d| d.join(format!("{hex}.resume")))
    }

    /// Marks as had, without hashing, the pieces the resume record lists whose files all still
    /// have the recorded size and mtime (`stamps`, from [`Store::file_stamps`]), and keeps its unfinished pieces with unchanged files
    /// for when checking is done. A record that does not decode or fit the torrent (an
    /// unfinished entry included) is ignored whole.
    pub(super) fn apply_resume(&mut self, stamps: &[Option<(u64, i64)>]) {
        let Some(path) = self.resume_path() else { return };
        let Ok(bytes) = std::fs::read(&path) else { return };
        let Ok(record) = ResumeData::decode(&bytes) else { return };
        if record.info_hash != self.info_hash || record.files.len() != self.meta.files().len() {
            return;
        }
        let Ok(recorded) = Bitfield::from_wire(&record.pieces, self.layout.piece_count()) else { return };
        let Ok(unfinished) = record.unfinished_blocks(&self.layout) else { return };
        let unchanged: Vec<bool> = (0..record.files.len())
            .map(|i| self.meta.files()[i].is_pad() || (record.files[i].is_some() && stamps[i] == record.files[i]))
            .collect();
        let trusted = |piece| self.layout.piece_segments(piece).all(|seg| unchanged[seg.file.get() as usize]);
        let mut verified = Vec::new();
        for p in recorded.iter_set() {
            let Ok(piece) = self.layout.piece(p) else { continue };
            if trusted(piece) {
                verified.push(piece);
            }
        }
        self.check.unfinished = unfinished.into_iter().filter(|(piece, _)| trusted(*piece)).collect();
        for piece in verified {
            let _ = self.have.set(piece.get());
            self.picker.on_piece_verified(piece, true);
        }
    }

    /// Writes the resume record (after syncing the data it describes) now, if a resume directory
    /// is set and something changed since the last save (at shutdown). The received blocks of
    /// unfinished pieces are put on disk first, so the record keeps them.
    pub fn save_resume(&mut self) {
        let Some(save) = self.final_save() else { return };
        if let Err(message) = save() {
            self.resume_dirty = true;
            self.events.push(SessionEvent::StorageError { torrent: self.id, message });
        }
    }

    /// The last save of a torrent that stops (removed with its data kept, or at shutdown): puts
    /// the received blocks of unfinished pieces on disk now and returns the work that syncs the
    /// files and writes the record, or `None` when there is no record to write.
    pub(super) fn final_save(&mut self) -> Option<IoTask> {
        if self.resume_dir.is_none() || self.state == TorrentState::Checking {
            return None;
        }
        self.persist_unfinished();
        if !self.resume_dirty {
            return None;
        }
        let save = self.resume_writer()?;
        self.resume_dirty = false;
        Some(Box::new(save))
    }

    /// Saves the resume record like [`Torrent::save_resume`], but on the writer thread, after the
    /// piece writes queued before it, so the reactor never waits for the sync.
    pub fn save_resume_in_background(&mut self, pool: &HashPool) {
        if !self.resume_dirty || self.resume_saving || self.state == TorrentState::Checking {
            return;
        }
        let Some(save) = self.resume_writer() else { return };
        self.resume_dirty = false;
        self.resume_saving = true;
        pool.submit_io(job_id(self.id, 0), Box::new(save));
    }

    /// A background save finished; a failure is reported and the record stays due.
    pub fn on_resume_saved(&mut self, error: Option<String>) {
        self.resume_saving = false;
        if let Some(message) = error {
            self.resume_dirty = true;
            self.events.push(SessionEvent::StorageError { torrent: self.id, message });
        }
    }

    /// The work of one save: sync the files, then write the record of the pieces had now (the
    /// files' sizes and mtimes taken after the sync), unless a newer save already wrote one.
    fn resume_writer(&mut self) -> Option<impl FnOnce() -> Result<(), String> + Send + 'static> {
        let path = self.resume_path()?;
        self.resume_gen += 1;
        let (gen, written) = (self.resume_gen, self.resume_written.clone());
        let (store, info_hash, files) = (self.store.clone(), self.info_hash, self.meta.files().len());
        let pieces = self.have.as_wire().to_vec();
        let unfinished = self.unfinished_on_disk();
        Some(move || {
            store.sync().map_err(|e| format!("cannot sync data: {e}"))?;
            let files = (0..files).map(|i| store.file_stamp(i)).collect();
            let record = ResumeData { info_hash, pieces, files, unfinished };
            let mut last = written.lock();
            if *last > gen {
                return Ok(());
            }
            path.parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|_| crate::fsutil::write_atomic(&path, &record.encode()))
                .map_err(|e| format!("cannot write resume data {}: {e}", path.display()))?;
            *last = gen;
            Ok(())
        })
    }

    /// True when the resume record should be saved now: a minute after the last save while
    /// downloading, or at once after finishing.
    pub fn resume_due(&mut self, now: Instant) -> bool {
        if !self.resume_dirty {
            return false;
        }
        if self.state == TorrentState::Seeding
            || self.last_resume.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(60))
        {
            self.last_resume = Some(now);
            return true;
        }
        false
    }
}
