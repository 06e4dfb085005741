//! The status snapshot a torrent publishes for other threads: progress, rates, swarm figures,
//! per-file progress and the pieces bitfield, computed from the torrent and its connections.

use super::choker::PeerStats;
use super::peer::PeerConn;
use super::status::{PeerInfo, TorrentState, TorrentStatus};
use super::torrent::Torrent;
use super::PeerKey;
use std::time::Instant;

impl Torrent {
    /// The state shown to callers: a paused torrent shows `Paused` (`Queued` when the download
    /// queue holds it), except while its data is still being checked (the check goes on while
    /// paused) or after an error.
    pub(super) fn shown_state(&self) -> TorrentState {
        match self.state {
            TorrentState::Checking | TorrentState::Error => self.state,
            _ if self.queued => TorrentState::Queued,
            _ if self.paused => TorrentState::Paused,
            _ => self.state,
        }
    }

    /// Publishes a status snapshot computed from the torrent and its connections.
    pub fn publish(&mut self, conns: &[&PeerConn], now: Instant) {
        let total = self.layout.total_length();
        let left = self.bytes_left();
        let have_bytes = total - left;
        let down = self.down_rate.rate(now);
        let up = self.up_rate.rate(now);
        self.rates_live = down > 0 || up > 0;
        let seeds = conns.iter().filter(|c| c.has.is_all()).count() as u32;
        let leechers: Vec<&&PeerConn> = conns.iter().filter(|c| !c.has.is_all()).collect();
        let pieces = self.layout.piece_count();
        let avg = if leechers.is_empty() || pieces == 0 {
            0.0
        } else {
            leechers.iter().map(|c| f64::from(c.has.count()) / f64::from(pieces)).sum::<f64>() / leechers.len() as f64
        };
        let copies = distributed_copies(conns, pieces);
        let total_done = have_bytes + self.picker.bytes_in_progress();
        let progress = match self.state {
            TorrentState::Checking if pieces > 0 => f64::from(self.check.done) / f64::from(pieces),
            _ if left == 0 => 1.0,
            // Received blocks count, but 1 means every piece verified.
            _ => (total_done as f64 / total as f64).min(1.0 - f64::EPSILON),
        };
        let mut file_progress = Vec::with_capacity(self.meta.files().len());
        for f in self.meta.files() {
            let (start, len) = (f.offset(), f.length());
            let mut got = 0u64;
            if len > 0 {
                let pl = u64::from(self.layout.piece_length());
                for p in (start / pl)..=((start + len - 1) / pl) {
                    if self.have.get(p as u32) {
                        let ps = p * pl;
                        let pe = ps
                            + u64::from(
                                self.layout.piece_size(self.layout.piece(p as u32).unwrap_or(self.layout.last_piece())),
                            );
                        got += pe.min(start + len) - ps.max(start);
                    }
                }
            }
            file_progress.push(got);
        }
        let status = TorrentStatus {
            state: self.shown_state(),
            name: self.meta.name().to_string(),
            progress,
            total_size: total,
            have_bytes,
            total_done,
            download_rate: down as f64,
            upload_rate: up as f64,
            downloaded: self.downloaded,
            uploaded: self.uploaded,
            peers: conns.len() as u32,
            seeds,
            distributed_copies: copies,
            peers_average_progress: avg,
            eta_seconds: eta_seconds(left, down),
            pieces_have: self.have.count(),
            pieces_total: pieces,
            peer_list: conns.iter().map(|c| peer_info(c, pieces, self.choker.snub_time(), now)).collect(),
            pieces_downloading: self.picker.pieces_in_progress().0,
            pieces_fragments: self.picker.pieces_in_progress().1,
            error: self.error.clone(),
            tracker_message: self.announcer.message(),
            tracker_swarm: self.announcer.swarm,
            tracker_downloaded: self.announcer.downloaded,
            save_path: self.store.root().display().to_string(),
            file_progress,
            pieces: self.have.as_wire().to_vec(),
            peer_addrs: conns.iter().map(|c| c.addr).collect(),
            web_seeds: 0, // filled in by the reactor, which owns the web seeds
        };
        *self.snapshot.lock() = status;
    }
}

/// The read-only line of one connection (rates read from copies of its meters).
fn peer_info(c: &PeerConn, pieces: u32, snub_time: std::time::Duration, now: Instant) -> PeerInfo {
    let stats = PeerStats {
        peer: PeerKey(0),
        interested: c.peer_interested,
        am_interested: c.am_interested,
        unchoked_us_at: c.unchoked_us_at,
        last_block_at: Some(c.last_block),
        download_rate: 0,
        upload_rate: 0,
    };
    PeerInfo {
        addr: c.addr,
        outgoing: c.outgoing,
        upload_rate: c.up.clone().rate(now) as f64,
        download_rate: c.down.clone().rate(now) as f64,
        peer_interested: c.peer_interested,
        am_choking: c.am_choking,
        am_interested: c.am_interested,
        peer_choking: c.peer_choking,
        snubbed: stats.is_snubbed(now, snub_time),
        encrypted: c.is_rc4(),
        progress: if pieces == 0 { 0.0 } else { f64::from(c.has.count()) / f64::from(pieces) },
    }
}

/// Complete copies among `conns`: the minimum availability plus the fraction of pieces above it.
fn distributed_copies(conns: &[&PeerConn], pieces: u32) -> f64 {
    if pieces == 0 || conns.is_empty() {
        return 0.0;
    }
    let mut avail = vec![0u32; pieces as usize];
    for c in conns {
        for p in c.has.iter_set() {
            avail[p as usize] += 1;
        }
    }
    let min = avail.iter().copied().min().unwrap_or(0);
    let above = avail.iter().filter(|a| **a > min).count();
    f64::from(min) + above as f64 / f64::from(pieces)
}

/// Seconds until `left` bytes are in at `rate` bytes per second: 0 only when nothing is left,
/// rounded up otherwise (so a download under a second from the end never reads as complete),
/// `None` while nothing arrives.
fn eta_seconds(left: u64, rate: u64) -> Option<u64> {
    match (left, rate) {
        (0, _) => Some(0),
        (_, 0) => None,
        _ => Some(left.div_ceil(rate)),
    }
}

#[cfg(test)]
mod tests {
    use super::eta_seconds;

    #[test]
    fn eta_is_zero_only_when_complete() {
        assert_eq!(eta_seconds(0, 0), Some(0));
        assert_eq!(eta_seconds(0, 5), Some(0));
        assert_eq!(eta_seconds(1, 1 << 30), Some(1), "under a second left is not complete");
        assert_eq!(eta_seconds(10, 5), Some(2));
        assert_eq!(eta_seconds(11, 5), Some(3));
        assert_eq!(eta_seconds(7, 0), None, "nothing arriving: unknown");
    }
}
