//! btlaunchmany: download and seed every .torrent file found in a directory with one session
//! (one listening port), starting and stopping torrents as files appear, change or go away, and
//! printing one status line per torrent every `--display_interval` seconds (reference §2.3, §5).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitgocho::cli::headless::{self, HeadlessConfig};
use bitgocho::cli::launchmany::{self, Stamp};
use bitgocho::cli::saveas::{self, SaveTarget};
use bitgocho::cli::{self, options, signals, Exit};
use bitgocho::metainfo::Metainfo;
use bitgocho::session::event::SessionEvent;
use bitgocho::session::event_queue::Popped;
use bitgocho::session::status::TorrentState;
use bitgocho::session::{AddParams, Session, TorrentHandle};

/// Longest wait before looking at the stop flag again.
const SIGNAL_POLL: Duration = Duration::from_millis(100);
/// How long an error stays on a running torrent's line.
const MESSAGE_TTL: Duration = Duration::from_secs(300);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    cli::run(|| run(&args))
}

fn usage_text(table: &[options::Opt]) -> String {
    format!(
        "Usage: btlaunchmany <directory> <global options>\n\n<directory> - directory to look for .torrent files \
         (semi-recursive)\n\n{}",
        options::format_help(table, 80)
    )
}

fn run(args: &[String]) -> Result<(), Exit> {
    let table = launchmany::launchmany_options();
    let (peers, rest) = headless::split_peers(args);
    let parsed = options::parse(&rest, &table, 0, Some(1))?;
    if parsed.version {
        println!("{}", cli::version_string());
        return Ok(());
    }
    if parsed.help {
        print!("{}", usage_text(&table));
        return Ok(());
    }
    let Some(dir) = parsed.positional.first().map(PathBuf::from) else {
        print!("{}", usage_text(&table));
        return Err(Exit::Usage("a directory of .torrent files is required".into()));
    };
    if !dir.is_dir() {
        return Err(Exit::Failure(format!("Warning: {} is not a directory", dir.display())));
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
        eprintln!("warning: --{name} is accepted but not applied by this version of btlaunchmany");
    }
    signals::install().map_err(|e| Exit::Failure(e.to_string()))?;
    // BitTornado: the upload limit is shared by all torrents, the download limit is per torrent.
    let mut settings = cfg.session_settings();
    settings.max_download_rate = 0;
    settings.resume_dir = if cfg.fast_resume { headless::resume_dir() } else { None };
    let session = Session::new(settings).map_err(|e| Exit::Failure(format!("Couldn't listen - {e}")))?;
    let mut launcher = Launcher {
        session: &session,
        dir,
        cfg: &cfg,
        style,
        display_path: parsed.int("display_path") != 0,
        rescan: Duration::from_secs(rescan as u64),
        stamps: BTreeMap::new(),
        entries: Vec::new(),
    };
    launcher.run();
    session.shutdown();
    Ok(())
}

/// One .torrent file the launcher knows about.
struct Entry {
    path: PathBuf,
    name: String,
    info_hash: [u8; 20],
    handle: TorrentHandle,
    _target: SaveTarget,
    message: Option<(Instant, String)>,
    died: bool,
}

struct Launcher<'a> {
    session: &'a Session,
    dir: PathBuf,
    cfg: &'a HeadlessConfig,
    style: i64,
    display_path: bool,
    rescan: Duration,
    stamps: BTreeMap<PathBuf, Stamp>,
    entries: Vec<Entry>,
}

fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "### {text}");
    let _ = out.flush();
}

impl Launcher<'_> {
    fn run(&mut self) {
        let (mut last_scan, mut last_show): (Option<Instant>, Option<Instant>) = (None, None);
        while !signals::stop_requested() {
            if last_scan.is_none_or(|t| t.elapsed() >= self.rescan) {
                self.rescan_dir();
                last_scan = Some(Instant::now());
            }
            let interval = self.cfg.display_interval;
            let wait = last_show.map_or(Duration::ZERO, |t| interval.saturating_sub(t.elapsed()));
            self.session.wait_event(wait.min(SIGNAL_POLL));
            self.drain();
            if last_show.is_none_or(|t| t.elapsed() >= interval) {
                self.show();
                last_show = Some(Instant::now());
            }
        }
        say("shutting down");
        for entry in std::mem::take(&mut self.entries) {
            self.drop_entry(entry);
        }
    }

    fn rescan_dir(&mut self) {
        let now = launchmany::scan(&self.dir);
        let diff = launchmany::diff(&self.stamps, &now);
        for path in &diff.dropped {
            if let Some(i) = self.entries.iter().position(|e| &e.path == path) {
                let entry = self.entries.remove(i);
                self.drop_entry(entry);
            }
        }
        self.stamps = now;
        for path in diff.added {
            self.add(path);
        }
    }

    fn drop_entry(&self, entry: Entry) {
        let _ = self.session.remove_torrent(&entry.handle, false);
        say(&format!("dropped \"{}\"", entry.path.display()));
    }

    fn add(&mut self, path: PathBuf) {
        let meta = match Metainfo::from_file(&path) {
            Ok(m) => Arc::new(m),
            Err(e) => {
                say(&format!("**warning** {} has errors", path.display()));
                say(&format!("FAILURE: {}: {e}", path.display()));
                return;
            }
        };
        let hash = meta.info_hash_v1();
        if let Some(other) = self.entries.iter().find(|e| Some(e.info_hash) == hash) {
            say(&format!("**warning** {} is a duplicate torrent for {}", path.display(), other.path.display()));
            return;
        }
        match self.start(&path, meta.clone()) {
            Ok((handle, target)) => {
                say(&format!("added \"{}\"", path.display()));
                let name = launchmany::display_name(&path, meta.name(), self.display_path);
                let info_hash = handle.info_hash();
                let entry = Entry { path, name, info_hash, handle, _target: target, message: None, died: false };
                self.entries.push(entry);
            }
            Err(e) => {
                say(&format!("FAILURE: {e}"));
                say(&format!("DIED: \"{}\"", path.display()));
            }
        }
    }

    /// Prepares the save location and adds the torrent to the session.
    fn start(&self, path: &Path, meta: Arc<Metainfo>) -> Result<(TorrentHandle, SaveTarget), String> {
        let saveas = self.cfg.saveas.as_deref();
        let mut data = launchmany::data_path(path, meta.name(), self.style, saveas);
        if self.style == 3 {
            std::fs::create_dir_all(&data)
                .map_err(|e| format!("couldn't create directory for {} ({}): {e}", path.display(), data.display()))?;
            data = if meta.is_multi_file() {
                saveas::choose_path(&meta, Some(&data), &data)
            } else {
                data.join(meta.name())
            };
        }
        let target = SaveTarget::prepare(&meta, data).map_err(|e| format!("{}: {e}", path.display()))?;
        let trust = !self.cfg.check_hashes && saveas::data_present(&meta, &target.engine_dir);
        let mut params = AddParams::new(meta, &target.engine_dir);
        params.peers = self.cfg.peers.clone();
        params.check_hashes = !trust;
        params.max_download_rate = self.cfg.max_download_rate;
        let handle = self.session.add_torrent(params).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok((handle, target))
    }

    fn drain(&mut self) {
        while let Some(popped) = self.session.pop_event() {
            let Popped::Event(event) = popped else { continue };
            let message = match &event {
                SessionEvent::TrackerError { message, .. } | SessionEvent::StorageError { message, .. } => {
                    message.clone()
                }
                SessionEvent::TrackerReply { warning: Some(w), .. } => format!("warning from tracker - {w}"),
                _ => continue,
            };
            if let Some(entry) = self.entries.iter_mut().find(|e| Some(e.handle.id()) == event.torrent()) {
                entry.message = Some((Instant::now(), message));
            }
        }
    }

    fn show(&mut self) {
        if self.entries.is_empty() {
            say("no torrents");
            return;
        }
        let mut text = String::from("\n");
        for entry in &mut self.entries {
            let status = entry.handle.status();
            if status.state == TorrentState::Error && !entry.died {
                entry.died = true;
                text.push_str(&format!("### DIED: \"{}\"\n", entry.path.display()));
                if let Some(e) = &status.error {
                    entry.message = Some((Instant::now(), e.clone()));
                }
            }
            let message = match &entry.message {
                Some((at, m)) if entry.died || at.elapsed() < MESSAGE_TTL => m.as_str(),
                _ => "",
            };
            text.push_str(&launchmany::torrent_line(&entry.name, &status, message));
            text.push('\n');
        }
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}
