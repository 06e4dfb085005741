//! btlaunchmany's pure parts (reference §2.3 and §5): its extra options, the semi-recursive
//! scan of the torrent directory and what changed since the last scan, where each torrent's
//! data goes for each `saveas_style`, and the one-line status of a torrent.

use super::headless::DOWNLOADER_OPTIONS;
use super::options::{Opt, OptDefault};
use super::status_block::percent_text;
use crate::session::status::{TorrentState, TorrentStatus};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// btlaunchmany's own options (headless defaults).
pub const LAUNCHMANY_EXTRA: &[Opt] = &[
    Opt::int("parse_dir_interval", 60, "how often to rescan the torrent directory, in seconds"),
    Opt::int(
        "saveas_style",
        1,
        "How to name torrent downloads (1 = rename to torrent name, 2 = save under name in torrent, \
         3 = save in directory under torrent name)",
    ),
    Opt::int("display_path", 1, "whether to display the full path or the torrent contents for each torrent"),
    Opt::int(
        "max_active_downloads",
        0,
        "most torrents downloading at once, the others queued in the order found (0 = no limit)",
    ),
];

/// Every option btlaunchmany accepts: the downloader's, then its own.
pub fn launchmany_options() -> Vec<Opt> {
    DOWNLOADER_OPTIONS.iter().chain(LAUNCHMANY_EXTRA).copied().collect()
}

/// Every option btlaunchmanycurses accepts: btlaunchmany's, with data named by `info.name`
/// (`saveas_style 2`) and torrents shown by `info.name` (`display_path 0`) by default.
pub fn launchmanycurses_options() -> Vec<Opt> {
    launchmany_options()
        .into_iter()
        .map(|o| match o.name {
            "saveas_style" => Opt { default: OptDefault::Int(2), ..o },
            "display_path" => Opt { default: OptDefault::Int(0), ..o },
            _ => o,
        })
        .collect()
}

pub use crate::metainfo::torrent_dir::{scan_torrent_dir as scan, Stamp};

/// What changed between two scans: files to start (new or changed) and files to stop (removed
/// or changed; a changed file is first dropped, then added again).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanDiff {
    /// Files to add, in path order.
    pub added: Vec<PathBuf>,
    /// Files to drop, in path order.
    pub dropped: Vec<PathBuf>,
}

/// Compares the previous scan with the current one.
pub fn diff(before: &BTreeMap<PathBuf, Stamp>, now: &BTreeMap<PathBuf, Stamp>) -> ScanDiff {
    let mut d = ScanDiff::default();
    for (path, stamp) in before {
        if now.get(path) != Some(stamp) {
            d.dropped.push(path.clone());
        }
    }
    for (path, stamp) in now {
        if before.get(path) != Some(stamp) {
            d.added.push(path.clone());
        }
    }
    d
}

/// The data path of the torrent in `torrent_file` named `info_name` for `style` (1: named after
/// the .torrent file; 2: `info.name`; 3: a directory named after the .torrent file holding the
/// data). `saveas_dir`, when given, replaces the .torrent file's directory. Style 3 returns the
/// directory to save into (the caller applies the single/multi-file rules there).
pub fn data_path(torrent_file: &Path, info_name: &str, style: i64, saveas_dir: Option<&Path>) -> PathBuf {
    let dir =
        saveas_dir.map(Path::to_path_buf).unwrap_or_else(|| torrent_file.parent().unwrap_or(Path::new(".")).into());
    let stem = torrent_file.file_stem().map_or_else(|| info_name.into(), |s| s.to_string_lossy().into_owned());
    match style {
        2 => dir.join(info_name),
        _ => dir.join(stem),
    }
}

/// The name shown for a torrent: its .torrent path (`display_path 1`) or its `info.name`.
pub fn display_name(torrent_file: &Path, info_name: &str, display_path: bool) -> String {
    if display_path {
        torrent_file.display().to_string()
    } else {
        info_name.to_string()
    }
}

/// `H:MM:SS` as btlaunchmany showed estimates.
fn clock(secs: u64) -> String {
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The status and progress words of one torrent: `("seeding", "100.0%")`, `("0:01:05",
/// "45.6%")` and so on.
pub fn status_words(s: &TorrentStatus) -> (String, String) {
    let progress = format!("{}%", percent_text(s.progress));
    match s.state {
        TorrentState::Paused | TorrentState::Error => ("stopped".into(), progress),
        TorrentState::Queued => ("queued".into(), progress),
        TorrentState::Checking => ("checking existing data".into(), progress),
        TorrentState::Metadata => ("downloading metadata".into(), "0.0%".into()),
        TorrentState::Seeding => ("seeding".into(), "100.0%".into()),
        TorrentState::Downloading if s.peers == 0 => ("connecting to peers".into(), progress),
        TorrentState::Downloading => (s.eta_seconds.map_or_else(|| "downloading".into(), clock), progress),
    }
}

/// One torrent's line:
/// `"<name>": "<status>" (<progress>) - <n>P<n><S|s><copies>D u<K/s>K/s-d<K/s>K/s u<K>K-d<K>K "<msg>"`.
pub fn torrent_line(name: &str, s: &TorrentStatus, message: &str) -> String {
    let (status, progress) = status_words(s);
    let flag = if s.state == TorrentState::Seeding { 's' } else { 'S' };
    format!(
        "\"{name}\": \"{status}\" ({progress}) - {}P{}{flag}{:.3}D u{:.1}K/s-d{:.1}K/s u{}K-d{}K \"{message}\"",
        s.peers.saturating_sub(s.seeds),
        s.seeds,
        s.distributed_copies,
        s.upload_rate.max(0.0) / 1000.0,
        s.download_rate.max(0.0) / 1000.0,
        s.uploaded / 1024,
        s.downloaded / 1024,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semi_recursive_scan_and_diff() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("a/deeper")).unwrap();
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::write(root.join("a/one.torrent"), b"x").unwrap();
        std::fs::write(root.join("a/deeper/hidden.torrent"), b"x").unwrap();
        std::fs::write(root.join("b/two.torrent"), b"xy").unwrap();
        std::fs::write(root.join("b/notes.txt"), b"x").unwrap();
        let first = scan(root);
        let names: Vec<_> = first.keys().map(|p| p.strip_prefix(root).unwrap().to_path_buf()).collect();
        assert_eq!(names, [PathBuf::from("a/one.torrent"), PathBuf::from("b/two.torrent")]);
        assert_eq!(diff(&BTreeMap::new(), &first).added.len(), 2);
        std::fs::write(root.join("b/two.torrent"), b"changed").unwrap();
        std::fs::remove_file(root.join("a/one.torrent")).unwrap();
        let second = scan(root);
        let d = diff(&first, &second);
        assert_eq!(d.dropped, [root.join("a/one.torrent"), root.join("b/two.torrent")]);
        assert_eq!(d.added, [root.join("a/deeper/hidden.torrent"), root.join("b/two.torrent")]);
        assert_eq!(diff(&second, &second), ScanDiff::default());
    }

    #[test]
    fn curses_defaults() {
        let find = |t: &[Opt], n: &str| t.iter().find(|o| o.name == n).unwrap().default;
        let (plain, curses) = (launchmany_options(), launchmanycurses_options());
        assert_eq!(plain.len(), curses.len());
        assert_eq!(
            (find(&plain, "saveas_style"), find(&plain, "display_path")),
            (OptDefault::Int(1), OptDefault::Int(1))
        );
        assert_eq!(
            (find(&curses, "saveas_style"), find(&curses, "display_path")),
            (OptDefault::Int(2), OptDefault::Int(0))
        );
    }

    #[test]
    fn save_styles() {
        let t = Path::new("/t/My Movie.torrent");
        assert_eq!(data_path(t, "movie.mkv", 1, None), Path::new("/t/My Movie"));
        assert_eq!(data_path(t, "movie.mkv", 2, None), Path::new("/t/movie.mkv"));
        assert_eq!(data_path(t, "movie.mkv", 3, Some(Path::new("/d"))), Path::new("/d/My Movie"));
        assert_eq!(display_name(t, "movie.mkv", true), "/t/My Movie.torrent");
        assert_eq!(display_name(t, "movie.mkv", false), "movie.mkv");
    }

    #[test]
    fn lines() {
        let mut s = TorrentStatus {
            state: TorrentState::Downloading,
            progress: 0.4567,
            peers: 4,
            seeds: 1,
            distributed_copies: 1.25,
            upload_rate: 1500.0,
            download_rate: 20_000.0,
            uploaded: 10 * 1024,
            downloaded: 300 * 1024,
            eta_seconds: Some(3723),
            ..Default::default()
        };
        assert_eq!(
            torrent_line("x.torrent", &s, ""),
            "\"x.torrent\": \"1:02:03\" (45.6%) - 3P1S1.250D u1.5K/s-d20.0K/s u10K-d300K \"\""
        );
        s.eta_seconds = None;
        assert_eq!(status_words(&s).0, "downloading");
        s.peers = 0;
        assert_eq!(status_words(&s).0, "connecting to peers");
        s.state = TorrentState::Seeding;
        assert!(torrent_line("x", &s, "oops").starts_with("\"x\": \"seeding\" (100.0%) - 0P1s1.250D"));
        assert!(torrent_line("x", &s, "oops").ends_with(" \"oops\""));
        s.state = TorrentState::Error;
        assert_eq!(status_words(&s).0, "stopped");
    }
}
