//! BitTornado's nine-line status block (reference §2.1), shared by btdownloadheadless and the
//! curses front: the figures of one torrent at one moment, turned into text exactly as
//! `btdownloadheadless.py` 0.3.18 printed them.

use crate::session::status::{TorrentState, TorrentStatus};

/// Bytes in the `MB` BitTornado displays (2^20).
const MIB: f64 = 1_048_576.0;
/// Bytes in the `kB` of displayed rates (2^10).
const KIB: f64 = 1024.0;
/// Estimates at or beyond this many seconds (60 days) are shown as `<unknown>`.
const ETA_LIMIT: u64 = 5_184_000;

/// What the torrent is doing, as far as the status block is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Verifying existing data (`checking existing data`).
    Checking,
    /// Downloading with no peer yet (`connecting to peers`).
    Connecting,
    /// Added from a magnet link: fetching the torrent's metadata (`downloading metadata`).
    Metadata,
    /// Downloading; the time left shows the estimate.
    Downloading,
    /// Every wanted piece is here (`Download Succeeded!`); seeding.
    Succeeded,
    /// Stopped by an error (`Download Failed!`).
    Failed,
    /// Stopping after a signal (`shutting down`).
    ShuttingDown,
}

/// The figures one status block shows.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusFigures {
    /// The torrent's name (`info.name`).
    pub name: String,
    /// Total size in bytes.
    pub total_size: u64,
    /// Fraction done, 0..=1 (checking progress while checking).
    pub fraction: f64,
    /// What the torrent is doing.
    pub phase: Phase,
    /// Estimated seconds left, when known.
    pub eta: Option<u64>,
    /// The absolute path the data goes to.
    pub download_to: String,
    /// Download rate, bytes per second.
    pub down_rate: f64,
    /// Upload rate, bytes per second.
    pub up_rate: f64,
    /// Bytes uploaded this run.
    pub uploaded: u64,
    /// Bytes downloaded this run.
    pub downloaded: u64,
    /// Connected seeds (shown while seeding under BitTornado's label "seen recently").
    pub seeds: u32,
    /// Complete copies in the connected swarm.
    pub distributed_copies: f64,
    /// Connected peers that are not seeds.
    pub peers: u32,
    /// Mean completion of those peers, 0..=1.
    pub peers_done: f64,
    /// Estimated rate at which the swarm gains data, bytes per second.
    pub swarm_rate: f64,
}

impl StatusFigures {
    /// The figures of an engine status snapshot. `download_to` is the path shown to the user
    /// (which may differ from the engine's save directory), `swarm_rate` the caller's estimate
    /// and `stopping` true once a stop signal arrived (shown unless the download is complete).
    pub fn from_status(s: &TorrentStatus, download_to: &str, swarm_rate: f64, stopping: bool) -> StatusFigures {
        let phase = if stopping && s.state != TorrentState::Seeding {
            Phase::ShuttingDown
        } else {
            match s.state {
                TorrentState::Checking => Phase::Checking,
                TorrentState::Seeding => Phase::Succeeded,
                TorrentState::Error => Phase::Failed,
                TorrentState::Metadata => Phase::Metadata,
                TorrentState::Downloading | TorrentState::Paused | TorrentState::Queued if s.peers == 0 => {
                    Phase::Connecting
                }
                TorrentState::Downloading | TorrentState::Paused | TorrentState::Queued => Phase::Downloading,
            }
        };
        StatusFigures {
            name: s.name.clone(),
            total_size: s.total_size,
            fraction: s.progress,
            phase,
            eta: s.eta_seconds,
            download_to: download_to.to_string(),
            down_rate: s.download_rate,
            up_rate: s.upload_rate,
            uploaded: s.uploaded,
            downloaded: s.downloaded,
            seeds: s.seeds,
            distributed_copies: s.distributed_copies,
            peers: s.peers.saturating_sub(s.seeds),
            peers_done: s.peers_average_progress,
            swarm_rate,
        }
    }
}

/// Estimates how fast the connected peers that are not seeds gain data (the "at N kB/s" of the
/// peer status line), from successive snapshots of their mean completion. A change in the set
/// of connected peers restarts the measurement instead of counting arrivals as progress.
#[derive(Debug, Clone, Default)]
pub struct SwarmRate {
    last: Option<(std::time::Instant, f64, Vec<std::net::SocketAddr>)>,
    rate: f64,
}

/// Seconds over which [`SwarmRate`] smooths its estimate.
const SWARM_SMOOTHING: f64 = 5.0;

impl SwarmRate {
    /// Folds in a snapshot taken at `now`; returns the current estimate in bytes per second.
    pub fn update(&mut self, now: std::time::Instant, s: &TorrentStatus) -> f64 {
        let leechers = f64::from(s.peers.saturating_sub(s.seeds));
        let gained = s.peers_average_progress.clamp(0.0, 1.0) * leechers * s.total_size as f64;
        let mut peers = s.peer_addrs.clone();
        peers.sort();
        match &self.last {
            Some((then, before, same)) if *same == peers => {
                let dt = now.saturating_duration_since(*then).as_secs_f64();
                if dt <= 0.0 {
                    return self.rate;
                }
                let instant = ((gained - before) / dt).max(0.0);
                self.rate += (instant - self.rate) * (dt / SWARM_SMOOTHING).min(1.0);
            }
            _ => self.rate = if peers.is_empty() { 0.0 } else { self.rate },
        }
        self.last = Some((now, gained, peers));
        self.rate
    }
}

/// BitTornado's `hours()`: `complete!`, `M min SS sec`, `H hour MM min SS sec` or `<unknown>`.
pub fn eta_text(eta: Option<u64>) -> String {
    match eta {
        Some(0) => "complete!".to_string(),
        Some(n) if n < ETA_LIMIT => {
            let (m, s) = (n / 60, n % 60);
            let (h, m) = (m / 60, m % 60);
            if h > 0 {
                format!("{h} hour {m:02} min {s:02} sec")
            } else {
                format!("{m} min {s:02} sec")
            }
        }
        _ => "<unknown>".to_string(),
    }
}

/// The fraction done as a percentage truncated (not rounded) to one decimal: `45.6`.
pub fn percent_text(fraction: f64) -> String {
    let tenths = (fraction.clamp(0.0, 1.0) * 1000.0).floor();
    format!("{:.1}", tenths / 10.0)
}

/// The share rating value: the up/down ratio to 3 decimals, `oo` when nothing was downloaded
/// but something was uploaded or when the ratio exceeds 100.
pub fn share_rating(uploaded: u64, downloaded: u64) -> String {
    if downloaded == 0 {
        return if uploaded > 0 { "oo".to_string() } else { "0.000".to_string() };
    }
    let ratio = uploaded as f64 / downloaded as f64;
    if ratio > 100.0 {
        "oo".to_string()
    } else {
        format!("{ratio:.3}")
    }
}

/// A rate in bytes per second as BitTornado showed it: `12.3 kB/s`.
pub fn rate_text(bytes_per_second: f64) -> String {
    format!("{:.1} kB/s", bytes_per_second.max(0.0) / KIB)
}

fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / MIB)
}

fn line(out: &mut String, label: &str, value: &str) {
    out.push_str(&format!("{label:<15} {value}\n"));
}

/// The full display: five newlines, every error so far as `ERROR:` / message / blank line,
/// then the nine labelled lines.
pub fn render(errors: &[String], f: &StatusFigures) -> String {
    let mut out = String::from("\n\n\n\n\n");
    for e in errors {
        out.push_str("ERROR:\n");
        out.push_str(e);
        out.push_str("\n\n");
    }
    let (percent, time_left, down) = match f.phase {
        Phase::Succeeded => ("100".to_string(), "Download Succeeded!".to_string(), String::new()),
        Phase::Failed => ("0".to_string(), "Download Failed!".to_string(), String::new()),
        Phase::Checking => (percent_text(f.fraction), "checking existing data".into(), rate_text(f.down_rate)),
        Phase::Connecting => (percent_text(f.fraction), "connecting to peers".into(), rate_text(f.down_rate)),
        Phase::Metadata => ("0".to_string(), "downloading metadata".into(), rate_text(f.down_rate)),
        Phase::ShuttingDown => (percent_text(f.fraction), "shutting down".into(), rate_text(f.down_rate)),
        Phase::Downloading => (percent_text(f.fraction), eta_text(f.eta), rate_text(f.down_rate)),
    };
    line(&mut out, "saving:", &format!("{} ({} MB)", f.name, mb(f.total_size)));
    line(&mut out, "percent done:", &percent);
    line(&mut out, "time left:", &time_left);
    line(&mut out, "download to:", &f.download_to);
    line(&mut out, "download rate:", &down);
    line(&mut out, "upload rate:", &rate_text(f.up_rate));
    let rating = share_rating(f.uploaded, f.downloaded);
    line(&mut out, "share rating:", &format!("{rating}  ({} MB up / {} MB down)", mb(f.uploaded), mb(f.downloaded)));
    let seen = if f.phase == Phase::Succeeded { "seen recently" } else { "seen now" };
    line(&mut out, "seed status:", &format!("{} {seen}, plus {:.3} distributed copies", f.seeds, f.distributed_copies));
    line(
        &mut out,
        "peer status:",
        &format!(
            "{} seen now, {:.1}% done at {}",
            f.peers,
            f.peers_done.clamp(0.0, 1.0) * 100.0,
            rate_text(f.swarm_rate)
        ),
    );
    out
}

#[cfg(test)]
impl StatusFigures {
    /// Figures of a half-done 700 MiB download, for the display tests.
    pub(crate) fn sample(phase: Phase, fraction: f64, eta: Option<u64>) -> StatusFigures {
        StatusFigures {
            name: "ubuntu.iso".into(),
            total_size: 734_003_200,
            fraction,
            phase,
            eta,
            download_to: "/tmp/ubuntu.iso".into(),
            down_rate: 12_697.6,
            up_rate: 2048.0,
            uploaded: 3 * 1_048_576,
            downloaded: 12 * 1_048_576,
            seeds: 2,
            distributed_copies: 1.5,
            peers: 5,
            peers_done: 0.314,
            swarm_rate: 51_200.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(phase: Phase) -> StatusFigures {
        StatusFigures::sample(phase, 0.45678, Some(3725))
    }

    #[test]
    fn eta_texts() {
        assert_eq!(eta_text(Some(0)), "complete!");
        assert_eq!(eta_text(Some(59)), "0 min 59 sec");
        assert_eq!(eta_text(Some(61)), "1 min 01 sec");
        assert_eq!(eta_text(Some(3725)), "1 hour 02 min 05 sec");
        assert_eq!(eta_text(Some(ETA_LIMIT - 1)), "1439 hour 59 min 59 sec");
        assert_eq!(eta_text(Some(ETA_LIMIT)), "<unknown>");
        assert_eq!(eta_text(None), "<unknown>");
    }

    #[test]
    fn percent_truncates() {
        assert_eq!(percent_text(0.45678), "45.6");
        assert_eq!(percent_text(0.99999), "99.9");
        assert_eq!(percent_text(0.0), "0.0");
        assert_eq!(percent_text(1.0), "100.0");
    }

    #[test]
    fn share_rating_rules() {
        assert_eq!(share_rating(0, 0), "0.000");
        assert_eq!(share_rating(5, 0), "oo");
        assert_eq!(share_rating(1, 3), "0.333");
        assert_eq!(share_rating(100, 1), "100.000");
        assert_eq!(share_rating(101, 1), "oo");
    }

    #[test]
    fn downloading_block_layout() {
        let text = render(&["Problem connecting to tracker - timeout".into()], &figures(Phase::Downloading));
        let expected = "\n\n\n\n\nERROR:\nProblem connecting to tracker - timeout\n\n\
saving:         ubuntu.iso (700.0 MB)\n\
percent done:   45.6\n\
time left:      1 hour 02 min 05 sec\n\
download to:    /tmp/ubuntu.iso\n\
download rate:  12.4 kB/s\n\
upload rate:    2.0 kB/s\n\
share rating:   0.250  (3.0 MB up / 12.0 MB down)\n\
seed status:    2 seen now, plus 1.500 distributed copies\n\
peer status:    5 seen now, 31.4% done at 50.0 kB/s\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn finished_and_failed_blocks() {
        let done = render(&[], &figures(Phase::Succeeded));
        assert!(done.contains("percent done:   100\n"));
        assert!(done.contains("time left:      Download Succeeded!\n"));
        assert!(done.contains("download rate:  \n"));
        assert!(done.contains("seed status:    2 seen recently, plus"));
        let failed = render(&[], &figures(Phase::Failed));
        assert!(failed.contains("percent done:   0\n") && failed.contains("Download Failed!\n"));
        assert!(render(&[], &figures(Phase::Checking)).contains("time left:      checking existing data\n"));
        assert!(render(&[], &figures(Phase::Connecting)).contains("time left:      connecting to peers\n"));
        assert!(render(&[], &figures(Phase::Metadata)).contains("time left:      downloading metadata\n"));
        assert!(render(&[], &figures(Phase::ShuttingDown)).contains("time left:      shutting down\n"));
    }

    #[test]
    fn swarm_rate_follows_peer_progress() {
        let t0 = std::time::Instant::now();
        let peer: std::net::SocketAddr = "10.0.0.1:6881".parse().unwrap();
        let mut s = TorrentStatus { total_size: 1_000_000, peers: 1, peer_addrs: vec![peer], ..Default::default() };
        let mut r = SwarmRate::default();
        assert_eq!(r.update(t0, &s), 0.0);
        s.peers_average_progress = 0.5;
        // 500 kB gained in 5 s: 100 kB/s, reached in one smoothing period.
        let rate = r.update(t0 + std::time::Duration::from_secs(5), &s);
        assert!((rate - 100_000.0).abs() < 1.0, "{rate}");
        // A new peer arriving half done is not progress.
        s.peers = 2;
        s.peer_addrs.push("10.0.0.2:6881".parse().unwrap());
        s.peers_average_progress = 0.5;
        assert!((r.update(t0 + std::time::Duration::from_secs(6), &s) - 100_000.0).abs() < 1.0);
        s.peers = 0;
        s.peer_addrs.clear();
        assert_eq!(r.update(t0 + std::time::Duration::from_secs(7), &s), 0.0);
    }

    #[test]
    fn phase_from_engine_state() {
        let mut s = TorrentStatus { name: "x".into(), peers: 3, seeds: 1, ..Default::default() };
        s.state = TorrentState::Downloading;
        let f = StatusFigures::from_status(&s, "/d/x", 0.0, false);
        assert_eq!((f.phase, f.peers, f.seeds), (Phase::Downloading, 2, 1));
        s.peers = 0;
        s.seeds = 0;
        assert_eq!(StatusFigures::from_status(&s, "/d/x", 0.0, false).phase, Phase::Connecting);
        s.state = TorrentState::Seeding;
        assert_eq!(StatusFigures::from_status(&s, "/d/x", 0.0, false).phase, Phase::Succeeded);
        assert_eq!(StatusFigures::from_status(&s, "/d/x", 0.0, true).phase, Phase::Succeeded);
        s.state = TorrentState::Downloading;
        assert_eq!(StatusFigures::from_status(&s, "/d/x", 0.0, true).phase, Phase::ShuttingDown);
        s.state = TorrentState::Error;
        assert_eq!(StatusFigures::from_status(&s, "/d/x", 0.0, false).phase, Phase::Failed);
    }
}
