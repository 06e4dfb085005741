//! The torrent-directory launcher shared by btlaunchmany and btlaunchmanycurses (reference §2.3,
//! §5): its command line, one session for every .torrent file found in a directory, torrents
//! started and stopped as files appear, change or go away, errors kept per torrent, and the
//! messages (`added "<path>"`, `DIED: ...`) the front end shows, without printing anything.

use super::download::{notice, Notice};
use super::headless::{self, HeadlessConfig};
use super::launchmany::{self, Stamp};
use super::saveas::{self, SaveTarget};
use super::{options, Exit};
use crate::metainfo::Metainfo;
use crate::session::event_queue::Popped;
use crate::session::status::{TorrentState, TorrentStatus};
use crate::session::{Session, TorrentHandle};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long an error stays on a running torrent's line.
pub const MESSAGE_TTL: Duration = Duration::from_secs(300);

/// The checked options of a launcher run.
#[derive(Debug, Clone)]
pub struct LauncherConfig {
    /// The directory scanned for .torrent files.
    pub dir: PathBuf,
    /// The downloader options.
    pub cfg: HeadlessConfig,
    /// `--saveas_style` (1, 2 or 3).
    pub style: i64,
    /// `--display_path`: show .torrent paths instead of `info.name`.
    pub display_path: bool,
    /// `--parse_dir_interval`.
    pub rescan: Duration,
    /// `--max_active_downloads` (0: no limit).
    pub max_active_downloads: usize,
}

/// What a launcher's command line asks for.
#[derive(Debug)]
pub enum ManyRequest {
    /// `--version`.
    Version,
    /// `--help`: print this usage text.
    Help(String),
    /// Run with these options.
    Run(Box<LauncherConfig>),
}

/// The usage text of `tool` with option table `table`.
pub fn usage_text(tool: &str, table: &[options::Opt]) -> String {
    format!(
        "Usage: {tool} <directory> <global options>\n\n<directory> - directory to look for .torrent files \
         (semi-recursive)\n\n{}",
        options::format_help(table, 80)
    )
}

/// Parses the command line of `tool`; prints the version or the usage and returns `None` when
/// that is what was asked.
pub fn config_or_print(
    args: &[String],
    tool: &str,
    table: &[options::Opt],
) -> Result<Option<Box<LauncherConfig>>, Exit> {
    Ok(match parse_command_line(args, tool, table)? {
        ManyRequest::Version => {
            println!("{}", super::version_string());
            None
        }
        ManyRequest::Help(text) => {
            print!("{text}");
            None
        }
        ManyRequest::Run(config) => Some(config),
    })
}

/// Parses and checks a launcher command line against `table` (whose defaults differ between
/// btlaunchmany and btlaunchmanycurses). With no directory the usage is printed and a usage
/// error returned; options the engine does not apply are named on stderr.
pub fn parse_command_line(args: &[String], tool: &str, table: &[options::Opt]) -> Result<ManyRequest, Exit> {
    let (peers, rest) = headless::split_peers(args);
    let parsed = options::parse(&rest, table, 0, Some(1))?;
    if parsed.version {
        return Ok(ManyRequest::Version);
    }
    if parsed.help {
        return Ok(ManyRequest::Help(usage_text(tool, table)));
    }
    let Some(dir) = parsed.positional.first().map(PathBuf::from) else {
        print!("{}", usage_text(tool, table));
        return Err(Exit::Usage("a directory of .torrent files is required".into()));
    };
    if !dir.is_dir() {
        return Err(Exit::Failure(format!("Warning: {} is not a directory", dir.display())));
    }
    if let Some(name) = ["responsefile", "url"].into_iter().find(|n| !parsed.str(n).is_empty()) {
        let message = format!("{tool} takes a directory of .torrent files; --{name} is for btdownloadheadless");
        return Err(Exit::Usage(message));
    }
    let cfg = HeadlessConfig::from_parsed(&parsed, &peers).map_err(|e| Exit::Usage(e.to_string()))?;
    let style = parsed.int("saveas_style");
    if !(1..=3).contains(&style) {
        return Err(Exit::Usage(format!("--saveas_style must be 1, 2 or 3, got {style}")));
    }
    let rescan = parsed.int("parse_dir_interval");
    if rescan < 1 {
        return Err(Exit::Usage(format!("--parse_dir_interval must be at least 1 second, got {rescan}")));
    }
    for name in
        headless::not_applied(&parsed, &cfg).into_iter().chain(parsed.is_given("priority").then_some("priority"))
    {
        eprintln!("warning: --{name} is accepted but not applied by this version of {tool}");
    }
    let display_path = parsed.int("display_path") != 0;
    let max_active_downloads = usize::try_from(parsed.int("max_active_downloads"))
        .map_err(|_| Exit::Usage("--max_active_downloads must be 0 (no limit) or more".into()))?;
    Ok(ManyRequest::Run(Box::new(LauncherConfig {
        dir,
        cfg,
        style,
        display_path,
        rescan: Duration::from_secs(rescan as u64),
        max_active_downloads,
    })))
}

/// The session a launcher runs in: BitTornado shares the upload limit between all torrents
/// and applies the download limit per torrent; `--max_active_downloads` queues the rest.
pub fn start_session(config: &LauncherConfig) -> Result<Session, Exit> {
    let cfg = &config.cfg;
    let mut settings = cfg.session_settings();
    settings.max_active_downloads = config.max_active_downloads;
    settings.max_download_rate = 0;
    settings.resume_dir = if cfg.fast_resume { headless::resume_dir() } else { None };
    Session::new(settings).map_err(|e| Exit::Failure(format!("Couldn't listen - {e}")))
}

/// One .torrent file the launcher runs.
pub struct Entry {
    /// The .torrent file.
    pub path: PathBuf,
    /// The name shown (path or `info.name`, per `display_path`).
    pub name: String,
    info_hash: [u8; 20],
    /// The torrent in the session.
    pub handle: TorrentHandle,
    message: Option<(Instant, String)>,
    died: bool,
}

impl Entry {
    /// The message shown on the torrent's line: its newest error while the torrent is dead or
    /// the error is younger than [`MESSAGE_TTL`], else empty.
    pub fn message(&self) -> &str {
        match &self.message {
            Some((at, m)) if self.died || at.elapsed() < MESSAGE_TTL => m,
            _ => "",
        }
    }
}

/// The launcher: the directory's torrents in one session.
pub struct Launcher<'a> {
    session: &'a Session,
    config: &'a LauncherConfig,
    stamps: BTreeMap<PathBuf, Stamp>,
    entries: Vec<Entry>,
    last_scan: Option<Instant>,
    last_health: Option<Instant>,
}

impl<'a> Launcher<'a> {
    /// A launcher with no torrent yet; the first [`Launcher::tick`] scans the directory.
    pub fn new(session: &'a Session, config: &'a LauncherConfig) -> Launcher<'a> {
        Launcher { session, config, stamps: BTreeMap::new(), entries: Vec::new(), last_scan: None, last_health: None }
    }

    /// The torrents, in the order they were added.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Rescans the directory when due, takes the session's events and (once per display
    /// interval) notes torrents that died; returns the messages to show (without the `### `
    /// prefix), oldest first.
    pub fn tick(&mut self) -> Vec<String> {
        let mut said = Vec::new();
        if self.last_scan.is_none_or(|t| t.elapsed() >= self.config.rescan) {
            self.rescan_dir(&mut said);
            self.last_scan = Some(Instant::now());
        }
        self.drain();
        if self.last_health.is_some_and(|t| t.elapsed() < self.config.cfg.display_interval) {
            return said;
        }
        self.last_health = Some(Instant::now());
        for entry in &mut self.entries {
            if entry.died {
                continue;
            }
            let status = entry.handle.status();
            if status.state == TorrentState::Error {
                entry.died = true;
                said.push(format!("DIED: \"{}\"", entry.path.display()));
                if let Some(e) = &status.error {
                    entry.message = Some((Instant::now(), e.clone()));
                }
            }
        }
        said
    }

    /// Stops every torrent (announcing `stopped`, saving resume data); returns the messages.
    pub fn shutdown(&mut self) -> Vec<String> {
        let mut said = vec!["shutting down".to_string()];
        for entry in std::mem::take(&mut self.entries) {
            said.push(self.drop_entry(entry));
        }
        said
    }

    fn rescan_dir(&mut self, said: &mut Vec<String>) {
        let now = launchmany::scan(&self.config.dir);
        let diff = launchmany::diff(&self.stamps, &now);
        for path in &diff.dropped {
            if let Some(i) = self.entries.iter().position(|e| &e.path == path) {
                let entry = self.entries.remove(i);
                said.push(self.drop_entry(entry));
            }
        }
        self.stamps = now;
        for path in diff.added {
            self.add(path, said);
        }
    }

    fn drop_entry(&self, entry: Entry) -> String {
        let _ = self.session.remove_torrent(&entry.handle, false);
        format!("dropped \"{}\"", entry.path.display())
    }

    fn add(&mut self, path: PathBuf, said: &mut Vec<String>) {
        let meta = match Metainfo::from_file(&path) {
            Ok(m) => Arc::new(m),
            Err(e) => {
                said.push(format!("**warning** {} has errors", path.display()));
                said.push(format!("FAILURE: {}: {e}", path.display()));
                return;
            }
        };
        let hash = meta.swarm_info_hash();
        if let Some(other) = self.entries.iter().find(|e| e.info_hash == hash) {
            said.push(format!("**warning** {} is a duplicate torrent for {}", path.display(), other.path.display()));
            return;
        }
        match self.start(&path, meta.clone()) {
            Ok(handle) => {
                said.push(format!("added \"{}\"", path.display()));
                let name = launchmany::display_name(&path, meta.name(), self.config.display_path);
                let info_hash = handle.info_hash();
                let entry = Entry { path, name, info_hash, handle, message: None, died: false };
                self.entries.push(entry);
            }
            Err(e) => {
                said.push(format!("FAILURE: {e}"));
                said.push(format!("DIED: \"{}\"", path.display()));
            }
        }
    }

    /// Prepares the save location and adds the torrent to the session.
    fn start(&self, path: &Path, meta: Arc<Metainfo>) -> Result<TorrentHandle, String> {
        let cfg = &self.config.cfg;
        let style = self.config.style;
        let mut data = launchmany::data_path(path, meta.name(), style, cfg.saveas.as_deref());
        if style == 3 {
            std::fs::create_dir_all(&data)
                .map_err(|e| format!("couldn't create directory for {} ({}): {e}", path.display(), data.display()))?;
            data = if meta.is_multi_file() {
                // `data` is already the chosen directory: nothing to resolve it against.
                saveas::choose_path(&meta, Some(&data), Path::new(""))
            } else {
                data.join(meta.name())
            };
        }
        let target = SaveTarget::prepare(&meta, data).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut params = cfg.add_params(meta, &target);
        params.max_download_rate = cfg.max_download_rate;
        self.session.add_torrent(params).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn drain(&mut self) {
        while let Some(popped) = self.session.pop_event() {
            let Popped::Event(event) = popped else { continue };
            let Notice::Error(message) = notice(&event) else { continue };
            if let Some(entry) = self.entries.iter_mut().find(|e| Some(e.handle.id()) == event.torrent()) {
                entry.message = Some((Instant::now(), message));
            }
        }
    }
}

/// The statuses of every entry, in order, with their display names and messages.
pub fn snapshot(entries: &[Entry]) -> Vec<(&str, TorrentStatus, &str)> {
    entries.iter().map(|e| (e.name.as_str(), e.handle.status(), e.message())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::launchmany::launchmany_options;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn command_lines() {
        let table = launchmany_options();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_str().unwrap();
        assert!(matches!(parse_command_line(&args(&["--version"]), "t", &table), Ok(ManyRequest::Version)));
        let Ok(ManyRequest::Help(text)) = parse_command_line(&args(&["--help"]), "tool", &table) else { panic!() };
        assert!(text.starts_with("Usage: tool <directory> <global options>"));
        let Ok(ManyRequest::Run(c)) = parse_command_line(&args(&[dir, "--parse_dir_interval", "5"]), "t", &table)
        else {
            panic!()
        };
        assert_eq!((c.style, c.display_path, c.rescan), (1, true, Duration::from_secs(5)));
        assert!(matches!(parse_command_line(&args(&[dir, "--saveas_style", "4"]), "t", &table), Err(Exit::Usage(_))));
        let missing = tmp.path().join("missing");
        let e = parse_command_line(&args(&[missing.to_str().unwrap()]), "t", &table);
        assert!(matches!(e, Err(Exit::Failure(m)) if m.contains("is not a directory")));
    }
}
