//! Fast resume for a torrent: trusting the recorded pieces whose files are unchanged when
//! checking starts, and writing the record (after syncing the data) as pieces are verified.

use super::bitfield::Bitfield;
use super::event::SessionEvent;
use super::status::TorrentState;
use super::torrent::Torrent;
use crate::storage::resume::ResumeData;
use std::path::PathBuf;
use std::time::{Duration, Instant};

impl Torrent {
    pub(super) fn resume_path(&self) -> Option<PathBuf> {
        let hex: String = self.info_hash.iter().map(|b| format!("{b:02x}")).collect();
        self.resume_dir.as_ref().map(|d| d.join(format!("{hex}.resume")))
    }

    /// Marks as had, without hashing, the pieces the resume record lists whose files all still
    /// have the recorded size and mtime.
    pub(super) fn apply_resume(&mut self) {
        let Some(path) = self.resume_path() else { return };
        let Ok(bytes) = std::fs::read(&path) else { return };
        let Ok(record) = ResumeData::decode(&bytes) else { return };
        if record.info_hash != self.info_hash || record.files.len() != self.meta.files().len() {
            return;
        }
        let Ok(recorded) = Bitfield::from_wire(&record.pieces, self.layout.piece_count()) else { return };
        let unchanged: Vec<bool> = (0..record.files.len())
            .map(|i| {
                self.meta.files()[i].is_pad()
                    || (record.files[i].is_some() && self.store.file_stamp(i) == record.files[i])
            })
            .collect();
        for p in recorded.iter_set() {
            let Ok(piece) = self.layout.piece(p) else { continue };
            if self.layout.piece_segments(piece).all(|seg| unchanged[seg.file.get() as usize]) {
                let _ = self.have.set(p);
                self.picker.on_piece_verified(piece, true);
            }
        }
    }

    /// Writes the resume record (after syncing the data it describes), if a resume directory is
    /// set and something changed since the last save.
    pub fn save_resume(&mut self) {
        if !self.resume_dirty || self.state == TorrentState::Checking {
            return;
        }
        let Some(path) = self.resume_path() else { return };
        if let Err(e) = self.store.sync() {
            self.events
                .push(SessionEvent::StorageError { torrent: self.id, message: format!("cannot sync data: {e}") });
            return;
        }
        let record = ResumeData {
            info_hash: self.info_hash,
            pieces: self.have.as_wire().to_vec(),
            files: (0..self.meta.files().len()).map(|i| self.store.file_stamp(i)).collect(),
        };
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| crate::fsutil::write_atomic(&path, &record.encode()));
        match written {
            Ok(()) => self.resume_dirty = false,
            Err(e) => self.events.push(SessionEvent::StorageError {
                torrent: self.id,
                message: format!("cannot write resume data {}: {e}", path.display()),
            }),
        }
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
