//! One single-torrent downloader run, shared by btdownloadheadless and btdownloadcurses: the
//! command line, the session with the torrent in it, which engine events the user is told
//! about, the errors kept for display, and the shutdown (announce `stopped`, save resume data).

use super::headless::{self, HeadlessConfig, Source, DOWNLOADER_OPTIONS};
use super::saveas::{self, SaveTarget};
use super::url_fetch;
use super::{options, Exit};
use crate::metainfo::{Metainfo, ParseLimits};
use crate::session::event::SessionEvent;
use crate::session::event_queue::Popped;
use crate::session::{AddParams, Session, TorrentHandle, TorrentSource};
use crate::tls::TlsClient;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use std::time::SystemTime;

/// Most errors kept for display (the oldest go first).
pub const MAX_ERRORS: usize = 100;

/// What a downloader's command line asks for.
#[derive(Debug)]
pub enum Request {
    /// `--version`.
    Version,
    /// `--help`.
    Help,
    /// Download with these options.
    Run(Box<HeadlessConfig>),
}

/// Parses and checks a downloader command line (reference §2.1). Options the engine does not
/// apply are named on stderr.
pub fn parse_command_line(args: &[String]) -> Result<Request, Exit> {
    let (peers, rest) = headless::split_peers(args);
    let parsed = options::parse(&rest, DOWNLOADER_OPTIONS, 0, Some(1))?;
    if parsed.version {
        return Ok(Request::Version);
    }
    if parsed.help {
        return Ok(Request::Help);
    }
    let cfg = HeadlessConfig::from_parsed(&parsed, &peers).map_err(|e| Exit::Usage(e.to_string()))?;
    for name in headless::not_applied(&parsed, &cfg) {
        eprintln!("warning: --{name} is accepted but not applied by this version of the engine");
    }
    Ok(Request::Run(Box::new(cfg)))
}

/// A running download: the session, the torrent in it and where its data goes.
pub struct Download {
    /// The session (listening, announcing).
    pub session: Session,
    /// The torrent.
    pub torrent: TorrentHandle,
    /// The save location (`download_to` is what the user is shown).
    pub target: SaveTarget,
    /// Where a magnet link's fetched metainfo is kept for the next run (beside the resume records).
    metainfo_cache: Option<PathBuf>,
}

/// Where the metainfo fetched for a magnet link is kept: `<resume dir>/<hex info-hash>.torrent`.
fn cached_metainfo_path(resume_dir: &Path, info_hash: &[u8; 20]) -> PathBuf {
    resume_dir.join(format!("{}.torrent", crate::metainfo::parse::hex(info_hash)))
}

/// The metainfo a previous run fetched for this magnet link, if it is kept and still names it.
fn cached_metainfo(path: &Path, info_hash: &[u8; 20]) -> Option<Metainfo> {
    Metainfo::from_file(path).ok().filter(|m| m.swarm_info_hash() == *info_hash)
}

fn failure(e: impl std::fmt::Display) -> Exit {
    Exit::Failure(e.to_string())
}

/// Reads and checks the .torrent file.
pub fn load(path: &Path) -> Result<Metainfo, Exit> {
    if !path.is_file() {
        return Err(failure(format!("{}: no such file (expected a .torrent file)", path.display())));
    }
    Metainfo::from_file(path).map_err(|e| failure(format!("got bad file info - {}: {e}", path.display())))
}

/// Fetches and checks the .torrent a URL names (https trusts the system's certificates, or
/// those of `SSL_CERT_FILE` or `SSL_CERT_DIR`).
pub fn load_url(url: &str) -> Result<Metainfo, Exit> {
    let max = ParseLimits::default().max_size;
    let tls = TlsClient::new(None);
    let bytes = url_fetch::fetch(url, usize::try_from(max).unwrap_or(usize::MAX), &tls)
        .map_err(|e| failure(format!("cannot fetch the metainfo from {url}: {e}")))?;
    Metainfo::from_bytes(&bytes).map_err(|e| failure(format!("got bad file info - {url}: {e}")))
}

/// Where a .torrent's data goes, and how it is added.
fn metainfo_params(cfg: &HeadlessConfig, meta: Metainfo, cwd: &Path) -> Result<(SaveTarget, AddParams), Exit> {
    let priorities = headless::file_priorities(&cfg.priority, &meta).map_err(|e| Exit::Usage(e.to_string()))?;
    let chosen = saveas::choose_path(&meta, cfg.saveas.as_deref(), cwd);
    let target = SaveTarget::prepare(&meta, chosen).map_err(failure)?;
    let mut params = cfg.add_params(Arc::new(meta), &target);
    params.file_priorities = priorities;
    Ok((target, params))
}

impl Download {
    /// Loads the torrent (or takes the magnet link), prepares its save location, starts a
    /// session and adds the torrent.
    pub fn start(cfg: &HeadlessConfig) -> Result<Download, Exit> {
        let cwd = std::env::current_dir().map_err(|e| failure(format!("cannot read the current directory: {e}")))?;
        let resume_dir = if cfg.fast_resume { headless::resume_dir() } else { None };
        let mut metainfo_cache = None;
        let (target, params) = match &cfg.source {
            Source::File(path) => metainfo_params(cfg, load(path)?, &cwd)?,
            Source::Url(url) => metainfo_params(cfg, load_url(url)?, &cwd)?,
            Source::Magnet(link) => {
                let cache = resume_dir.as_deref().map(|d| cached_metainfo_path(d, &link.info_hash));
                // A link whose metadata an earlier run fetched starts from it, peers or not.
                match cache.as_deref().and_then(|c| cached_metainfo(c, &link.info_hash)) {
                    Some(meta) => {
                        let (target, mut params) = metainfo_params(cfg, meta, &cwd)?;
                        params.peers.extend(link.peers.iter().copied());
                        (target, params)
                    }
                    None => {
                        metainfo_cache = cache;
                        let target = SaveTarget::for_magnet(cfg.saveas.as_deref(), &cwd).map_err(failure)?;
                        let params = cfg.source_params(TorrentSource::Magnet(link.clone()), &target);
                        (target, params)
                    }
                }
            }
        };
        let mut settings = cfg.session_settings();
        settings.resume_dir = resume_dir;
        let session = Session::new(settings).map_err(|e| failure(format!("Couldn't listen - {e}")))?;
        let torrent = session.add_torrent(params).map_err(|e| failure(format!("got bad file info - {e}")))?;
        Ok(Download { session, torrent, target, metainfo_cache })
    }

    /// Keeps a magnet link's fetched metainfo for the next run (best effort: without it the next
    /// run fetches the metadata again).
    fn keep_metainfo(&self) {
        if let (Some(path), Some(meta)) = (&self.metainfo_cache, self.torrent.metainfo()) {
            let _ = crate::fsutil::write_atomic(path, meta.as_bytes());
        }
    }

    /// Takes every pending event, keeping the errors in `log`; says how soon to redisplay.
    pub fn drain(&self, log: &mut ErrorLog) -> Redisplay {
        let mut redisplay = Redisplay::AtInterval;
        while let Some(popped) = self.session.pop_event() {
            let Popped::Event(event) = popped else { continue };
            if matches!(event, SessionEvent::MetadataReceived { .. }) {
                self.keep_metainfo();
            }
            let wants = match notice(&event) {
                Notice::Error(message) => {
                    log.push(SystemTime::now(), message);
                    Redisplay::Soon
                }
                Notice::Milestone => Redisplay::Now,
                Notice::Nothing => Redisplay::AtInterval,
            };
            redisplay = redisplay.max(wants);
        }
        redisplay
    }

    /// Stops the session (announces `stopped`, saves resume data).
    pub fn finish(self) {
        self.session.shutdown();
    }
}

/// How soon a downloader's display should be redrawn after the events just taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Redisplay {
    /// At the next display interval.
    AtInterval,
    /// Soon, but not more often than a minimum gap (new errors, which may come in floods).
    Soon,
    /// At once (the check or the download finished: shown the moment it happens).
    Now,
}

/// Whether a display last drawn `since` ago should be drawn now.
pub fn redisplay_due(redisplay: Redisplay, since: Duration, interval: Duration, min_gap: Duration) -> bool {
    match redisplay {
        Redisplay::Now => true,
        Redisplay::Soon => since >= min_gap.min(interval),
        Redisplay::AtInterval => since >= interval,
    }
}

/// What an engine event means to a downloader's display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// An error or warning to show.
    Error(String),
    /// A change worth redisplaying at once (check finished, download finished).
    Milestone,
    /// Nothing to show.
    Nothing,
}

/// The notice for one event.
pub fn notice(event: &SessionEvent) -> Notice {
    match event {
        SessionEvent::TrackerError { message, .. }
        | SessionEvent::StorageError { message, .. }
        | SessionEvent::MetadataFailed { message, .. } => Notice::Error(message.clone()),
        SessionEvent::TrackerReply { warning: Some(w), .. } => Notice::Error(format!("warning from tracker - {w}")),
        SessionEvent::HashFailed { piece, .. } => {
            Notice::Error(format!("piece {piece} failed hash check, re-downloading it"))
        }
        SessionEvent::Listening { error: Some(e), .. } => Notice::Error(format!("Couldn't listen - {e}")),
        SessionEvent::WebSeedError { url, message, .. } => Notice::Error(format!("http seed {url} - {message}")),
        SessionEvent::Checked { .. } | SessionEvent::Finished { .. } | SessionEvent::MetadataReceived { .. } => {
            Notice::Milestone
        }
        _ => Notice::Nothing,
    }
}

/// The errors of a run with when they happened, at most [`MAX_ERRORS`] (the oldest go first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorLog {
    entries: VecDeque<(SystemTime, String)>,
}

impl ErrorLog {
    /// Adds an error that happened at `at`.
    pub fn push(&mut self, at: SystemTime, message: String) {
        if self.entries.len() == MAX_ERRORS {
            self.entries.pop_front();
        }
        self.entries.push_back((at, message));
    }

    /// The errors with their times, oldest first.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &(SystemTime, String)> {
        self.entries.iter()
    }

    /// The messages alone, oldest first.
    pub fn messages(&self) -> Vec<String> {
        self.entries.iter().map(|(_, m)| m.clone()).collect()
    }

    /// Whether no error happened.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestones_redisplay_at_once_and_errors_after_a_gap() {
        let (interval, gap) = (Duration::from_millis(500), Duration::from_millis(100));
        let ms = Duration::from_millis;
        assert!(redisplay_due(Redisplay::Now, ms(1), interval, gap), "a finished download shows at once");
        assert!(!redisplay_due(Redisplay::Soon, ms(50), interval, gap));
        assert!(redisplay_due(Redisplay::Soon, ms(100), interval, gap));
        assert!(!redisplay_due(Redisplay::AtInterval, ms(499), interval, gap));
        assert!(redisplay_due(Redisplay::AtInterval, ms(500), interval, gap));
        // With an interval below the gap, errors wait no longer than the interval.
        assert!(redisplay_due(Redisplay::Soon, ms(50), ms(50), gap));
        assert_eq!(Redisplay::Soon.max(Redisplay::Now), Redisplay::Now);
    }

    #[test]
    fn error_log_is_bounded_and_ordered() {
        let mut log = ErrorLog::default();
        assert!(log.is_empty());
        for i in 0..MAX_ERRORS + 5 {
            log.push(SystemTime::UNIX_EPOCH, format!("e{i}"));
        }
        let m = log.messages();
        assert_eq!(m.len(), MAX_ERRORS);
        assert_eq!((m[0].as_str(), m[MAX_ERRORS - 1].as_str()), ("e5", "e104"));
    }

    #[test]
    fn notices() {
        let e = SessionEvent::TrackerError { torrent: 1, url: "u".into(), message: "refused".into() };
        assert_eq!(notice(&e), Notice::Error("refused".into()));
        let e = SessionEvent::HashFailed { torrent: 1, piece: 3 };
        assert_eq!(notice(&e), Notice::Error("piece 3 failed hash check, re-downloading it".into()));
        assert_eq!(notice(&SessionEvent::Finished { torrent: 1 }), Notice::Milestone);
        let e = SessionEvent::WebSeedError { torrent: 1, url: "http://s/".into(), message: "HTTP 404".into() };
        assert_eq!(notice(&e), Notice::Error("http seed http://s/ - HTTP 404".into()));
        assert_eq!(notice(&SessionEvent::Added { torrent: 1 }), Notice::Nothing);
    }

    #[test]
    fn command_lines() {
        let args = |s: &[&str]| s.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        assert!(matches!(parse_command_line(&args(&["--version"])), Ok(Request::Version)));
        assert!(matches!(parse_command_line(&args(&["--help"])), Ok(Request::Help)));
        let Ok(Request::Run(cfg)) = parse_command_line(&args(&["--spew", "1", "x.torrent"])) else { panic!() };
        assert!(cfg.spew);
        assert!(matches!(parse_command_line(&args(&["--nonsense", "1", "x"])), Err(Exit::Usage(_))));
        assert!(matches!(parse_command_line(&args(&["--minport", "0", "x"])), Err(Exit::Usage(_))));
    }
}
