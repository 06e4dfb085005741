//! btdownloadcurses' `--spew 1` peer table (reference §2.2): one line per connected peer with
//! its address, who dialled (`L` we did, `R` it did), rates and choke/interest flags, its
//! completion and an estimate of how fast it gains data, then a pieces summary line. The
//! estimate comes from successive snapshots ([`PeerSpeeds`]); the lines are pure text.

use super::format::speed;
use crate::session::status::{PeerInfo, TorrentStatus};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

/// Seconds over which [`PeerSpeeds`] smooths its estimates.
const SMOOTHING: f64 = 5.0;

/// One peer of the table: the engine's view plus the estimated rate at which it gains data.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerRow {
    /// What the engine says about the peer.
    pub info: PeerInfo,
    /// Estimated bytes per second the peer completes (from its growing completion).
    pub speed: f64,
}

/// The peer table of one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpewModel {
    /// The connected peers, in the engine's order.
    pub peers: Vec<PeerRow>,
    /// Pieces being requested now.
    pub downloading: u32,
    /// Pieces partly here with no request out.
    pub fragments: u32,
    /// Pieces we have.
    pub have: u32,
    /// Pieces in the torrent.
    pub total: u32,
    /// Seconds the table has been shown, which sets how far an overlong table has scrolled.
    pub scroll: usize,
}

/// Estimates each peer's download speed from how its completion grows between snapshots.
#[derive(Debug, Clone, Default)]
pub struct PeerSpeeds {
    last: HashMap<SocketAddr, (Instant, f64, f64)>,
}

impl PeerSpeeds {
    /// Folds in the snapshot `s` taken at `now`; returns the table rows. Peers that left are
    /// forgotten; a new peer starts at 0.
    pub fn update(&mut self, now: Instant, s: &TorrentStatus) -> Vec<PeerRow> {
        let mut next = HashMap::with_capacity(s.peer_list.len());
        let rows = s
            .peer_list
            .iter()
            .map(|p| {
                let have = p.progress.clamp(0.0, 1.0) * s.total_size as f64;
                let rate = match self.last.get(&p.addr) {
                    Some(&(then, before, rate)) => {
                        let dt = now.saturating_duration_since(then).as_secs_f64();
                        if dt > 0.0 {
                            let instant = ((have - before) / dt).max(0.0);
                            rate + (instant - rate) * (dt / SMOOTHING).min(1.0)
                        } else {
                            rate
                        }
                    }
                    None => 0.0,
                };
                next.insert(p.addr, (now, have, rate));
                PeerRow { info: p.clone(), speed: rate }
            })
            .collect();
        self.last = next;
        rows
    }
}

fn flag(on: bool, letter: char) -> char {
    if on {
        letter
    } else {
        ' '
    }
}

/// The column header line.
pub fn header() -> String {
    format!(
        "{:>3} {:<21} {} {:>11} {:<2} {:>11} {:<3} {:>6} {:>11}",
        "#", "IP", " ", "Upload", "", "Download", "", "Done", "Speed"
    )
}

/// The line of peer number `n` (from 1).
pub fn row(n: usize, p: &PeerRow) -> String {
    let i = &p.info;
    let mut addr = i.addr.to_string();
    addr.truncate(21);
    format!(
        "{n:>3} {addr:<21} {}{}{:>11} {}{} {:>11} {}{}{} {:>5.1}% {:>11}",
        if i.outgoing { 'L' } else { 'R' },
        if i.encrypted { '+' } else { ' ' },
        speed(i.upload_rate),
        flag(i.peer_interested, 'I'),
        flag(i.am_choking, 'C'),
        speed(i.download_rate),
        flag(i.am_interested, 'I'),
        flag(i.peer_choking, 'C'),
        flag(i.snubbed, 'S'),
        i.progress.clamp(0.0, 1.0) * 100.0,
        speed(p.speed),
    )
}

/// The summary line under the table.
pub fn footer(m: &SpewModel) -> String {
    format!(
        "downloading {} pieces, have {} fragments, {} of {} pieces completed",
        m.downloading, m.fragments, m.have, m.total
    )
}

/// The table in at most `height` lines: header, the peers that fit (an overlong list scrolls
/// one line per [`SpewModel::scroll`] step, wrapping around), summary last.
pub fn lines(m: &SpewModel, height: usize) -> Vec<String> {
    if height == 0 {
        return Vec::new();
    }
    if height == 1 {
        return vec![footer(m)];
    }
    let room = height - 2;
    let overflow = m.peers.len().saturating_sub(room);
    let offset = m.scroll % (overflow + 1);
    let mut out = vec![header()];
    out.extend(m.peers.iter().enumerate().skip(offset).take(room).map(|(i, p)| row(i + 1, p)));
    out.push(footer(m));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn peer(port: u16, progress: f64) -> PeerInfo {
        PeerInfo {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            outgoing: port.is_multiple_of(2),
            upload_rate: 2048.0,
            download_rate: 10_240.0,
            peer_interested: true,
            am_choking: false,
            am_interested: true,
            peer_choking: true,
            snubbed: true,
            encrypted: false,
            progress,
        }
    }

    #[test]
    fn rows_line_up_with_the_header() {
        let r = row(1, &PeerRow { info: peer(6882, 0.456), speed: 51_200.0 });
        assert_eq!(r, "  1 127.0.0.1:6882        L    2.0 KB/s I    10.0 KB/s ICS  45.6%   50.0 KB/s");
        assert_eq!(header().len(), r.len());
        assert!(header().starts_with("  # IP "));
        let r = row(12, &PeerRow { info: PeerInfo { outgoing: false, snubbed: false, ..peer(1, 1.0) }, speed: 0.0 });
        assert!(r.contains(" R ") && r.contains("IC  100.0%"), "{r}");
        let r = row(3, &PeerRow { info: PeerInfo { encrypted: true, ..peer(6882, 0.5) }, speed: 0.0 });
        assert!(r.contains(" L+ "), "encrypted connections are flagged: {r}");
        assert_eq!(header().len(), r.len());
    }

    #[test]
    fn speeds_follow_completion() {
        let t0 = Instant::now();
        let mut s = TorrentStatus { total_size: 1_000_000, peer_list: vec![peer(1, 0.0)], ..Default::default() };
        let mut speeds = PeerSpeeds::default();
        assert_eq!(speeds.update(t0, &s)[0].speed, 0.0);
        s.peer_list[0].progress = 0.5;
        let rows = speeds.update(t0 + Duration::from_secs(5), &s);
        assert!((rows[0].speed - 100_000.0).abs() < 1.0, "{}", rows[0].speed);
        // A peer that left and came back starts over.
        s.peer_list.clear();
        assert!(speeds.update(t0 + Duration::from_secs(6), &s).is_empty());
        s.peer_list.push(peer(1, 0.9));
        assert_eq!(speeds.update(t0 + Duration::from_secs(7), &s)[0].speed, 0.0);
    }

    #[test]
    fn long_tables_scroll_and_wrap() {
        let peers = (1..=5).map(|p| PeerRow { info: peer(p, 0.0), speed: 0.0 }).collect();
        let mut m = SpewModel { peers, downloading: 2, fragments: 1, have: 7, total: 9, scroll: 0 };
        let first = lines(&m, 4);
        assert_eq!(first.len(), 4);
        assert!(first[1].starts_with("  1 ") && first[2].starts_with("  2 "));
        assert_eq!(first[3], "downloading 2 pieces, have 1 fragments, 7 of 9 pieces completed");
        m.scroll = 3;
        let later = lines(&m, 4);
        assert!(later[1].starts_with("  4 ") && later[2].starts_with("  5 "));
        m.scroll = 4;
        assert!(lines(&m, 4)[1].starts_with("  1 "), "wraps around after the last peer");
        assert_eq!(lines(&m, 20).len(), 7, "a short table does not scroll");
        assert_eq!(lines(&m, 1), [footer(&m)]);
        assert!(lines(&m, 0).is_empty());
    }
}
