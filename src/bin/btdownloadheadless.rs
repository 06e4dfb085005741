//! btdownloadheadless: download one torrent and keep seeding it, printing BitTornado's status
//! block every `--display_interval` seconds, until SIGINT or SIGTERM (reference §2.1).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitgocho::cli::headless::{self, HeadlessConfig, Source, DOWNLOADER_OPTIONS};
use bitgocho::cli::saveas::{self, SaveTarget};
use bitgocho::cli::status_block::{self, StatusFigures, SwarmRate};
use bitgocho::cli::{self, options, signals, Exit};
use bitgocho::metainfo::Metainfo;
use bitgocho::session::event::SessionEvent;
use bitgocho::session::event_queue::Popped;
use bitgocho::session::status::TorrentState;
use bitgocho::session::{AddParams, Session, TorrentHandle};

/// Fewest milliseconds between two displays (BitTornado limited updates to 10 a second).
const MIN_REDISPLAY: Duration = Duration::from_millis(100);
/// Longest wait before looking at the stop flag again.
const SIGNAL_POLL: Duration = Duration::from_millis(100);
/// Most errors kept for display (the oldest go first).
const MAX_ERRORS: usize = 100;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    cli::run(|| run(&args))
}

fn usage(e: impl std::fmt::Display) -> Exit {
    Exit::Usage(e.to_string())
}

fn failure(e: impl std::fmt::Display) -> Exit {
    Exit::Failure(e.to_string())
}

fn run(args: &[String]) -> Result<(), Exit> {
    let (peers, rest) = headless::split_peers(args);
    let parsed = options::parse(&rest, DOWNLOADER_OPTIONS, 0, Some(1))?;
    if parsed.version {
        println!("{}", cli::version_string());
        return Ok(());
    }
    if parsed.help || args.is_empty() {
        println!("Arguments are:\n");
        print!("{}", options::format_help(DOWNLOADER_OPTIONS, 80));
        return Ok(());
    }
    let cfg = HeadlessConfig::from_parsed(&parsed, &peers).map_err(usage)?;
    for name in headless::not_applied(&parsed, &cfg) {
        eprintln!("warning: --{name} is accepted but not applied by this version of the engine");
    }
    signals::install().map_err(failure)?;
    let Source::File(path) = &cfg.source;
    let meta = load(path)?;
    let priorities = headless::file_priorities(&cfg.priority, &meta).map_err(usage)?;
    let cwd = std::env::current_dir().map_err(|e| failure(format!("cannot read the current directory: {e}")))?;
    let target =
        SaveTarget::prepare(&meta, saveas::choose_path(&meta, cfg.saveas.as_deref(), &cwd)).map_err(failure)?;
    let mut settings = cfg.session_settings();
    settings.resume_dir = if cfg.fast_resume { headless::resume_dir() } else { None };
    let session = Session::new(settings).map_err(|e| failure(format!("Couldn't listen - {e}")))?;
    let trust = !cfg.check_hashes && saveas::data_present(&meta, &target.engine_dir);
    let mut params = AddParams::new(Arc::new(meta), &target.engine_dir);
    params.peers = cfg.peers.clone();
    params.file_priorities = priorities;
    params.check_hashes = !trust;
    let torrent = session.add_torrent(params).map_err(|e| failure(format!("got bad file info - {e}")))?;
    let outcome = Monitor::new(&target, cfg.display_interval).run(&session, &torrent);
    session.shutdown();
    drop(target);
    outcome
}

/// Reads and checks the .torrent file.
fn load(path: &Path) -> Result<Metainfo, Exit> {
    if !path.is_file() {
        return Err(failure(format!("{}: no such file (expected a .torrent file)", path.display())));
    }
    Metainfo::from_file(path).map_err(|e| failure(format!("got bad file info - {}: {e}", path.display())))
}

/// The display loop: events become errors or an early redisplay; the status block is printed
/// every interval until a stop signal or a fatal torrent error.
struct Monitor<'a> {
    target: &'a SaveTarget,
    interval: Duration,
    errors: Vec<String>,
    last: Option<Instant>,
    swarm: SwarmRate,
}

impl<'a> Monitor<'a> {
    fn new(target: &'a SaveTarget, interval: Duration) -> Self {
        Monitor { target, interval, errors: Vec::new(), last: None, swarm: SwarmRate::default() }
    }

    fn run(mut self, session: &Session, torrent: &TorrentHandle) -> Result<(), Exit> {
        loop {
            if signals::stop_requested() {
                self.show(torrent, true);
                return Ok(());
            }
            let wait = self.last.map_or(Duration::ZERO, |t| self.interval.saturating_sub(t.elapsed()));
            session.wait_event(wait.min(SIGNAL_POLL));
            let urgent = self.drain(session);
            let status = torrent.status();
            if status.state == TorrentState::Error {
                let message = status.error.clone().unwrap_or_else(|| "the torrent stopped".into());
                self.show(torrent, false);
                return Err(Exit::Failure(message));
            }
            let since = self.last.map_or(Duration::MAX, |t| t.elapsed());
            if since >= self.interval || (urgent && since >= MIN_REDISPLAY) {
                self.show(torrent, false);
            }
        }
    }

    /// Takes every pending event; true when one deserves an immediate redisplay.
    fn drain(&mut self, session: &Session) -> bool {
        let mut urgent = false;
        while let Some(popped) = session.pop_event() {
            let Popped::Event(event) = popped else { continue };
            let message = match event {
                SessionEvent::TrackerError { message, .. } => Some(message),
                SessionEvent::TrackerReply { warning: Some(w), .. } => Some(format!("warning from tracker - {w}")),
                SessionEvent::StorageError { message, .. } => Some(message),
                SessionEvent::HashFailed { piece, .. } => {
                    Some(format!("piece {piece} failed hash check, re-downloading it"))
                }
                SessionEvent::Listening { error: Some(e), .. } => Some(format!("Couldn't listen - {e}")),
                SessionEvent::WebSeedError { url, message, .. } => Some(format!("http seed {url} - {message}")),
                SessionEvent::Checked { .. } | SessionEvent::Finished { .. } => {
                    urgent = true;
                    None
                }
                _ => None,
            };
            if let Some(m) = message {
                if self.errors.len() == MAX_ERRORS {
                    self.errors.remove(0);
                }
                self.errors.push(m);
                urgent = true;
            }
        }
        urgent
    }

    fn show(&mut self, torrent: &TorrentHandle, stopping: bool) {
        let status = torrent.status();
        let to = self.target.download_to.display().to_string();
        let swarm = self.swarm.update(Instant::now(), &status);
        let figures = StatusFigures::from_status(&status, &to, swarm, stopping);
        let text = status_block::render(&self.errors, &figures);
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        self.last = Some(Instant::now());
    }
}
