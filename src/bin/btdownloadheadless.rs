//! btdownloadheadless: download one torrent and keep seeding it, printing BitTornado's status
//! block every `--display_interval` seconds, until SIGINT or SIGTERM (reference §2.1).

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bitgocho::cli::download::{self, redisplay_due, Download, ErrorLog, Request};
use bitgocho::cli::headless::DOWNLOADER_OPTIONS;
use bitgocho::cli::saveas::SaveTarget;
use bitgocho::cli::status_block::{self, StatusFigures, SwarmRate};
use bitgocho::cli::{self, options, signals, Exit};
use bitgocho::session::status::TorrentState;
use bitgocho::session::TorrentHandle;

/// Fewest milliseconds between two displays (BitTornado limited updates to 10 a second).
const MIN_REDISPLAY: Duration = Duration::from_millis(100);
/// Longest wait before looking at the stop flag again.
const SIGNAL_POLL: Duration = Duration::from_millis(100);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    cli::run(|| run(&args))
}

fn run(args: &[String]) -> Result<(), Exit> {
    let request = if args.is_empty() { Request::Help } else { download::parse_command_line(args)? };
    let cfg = match request {
        Request::Version => {
            println!("{}", cli::version_string());
            return Ok(());
        }
        Request::Help => {
            println!("Arguments are:\n");
            print!("{}", options::format_help(DOWNLOADER_OPTIONS, 80));
            return Ok(());
        }
        Request::Run(cfg) => cfg,
    };
    signals::install().map_err(|e| Exit::Failure(e.to_string()))?;
    let run = Download::start(&cfg)?;
    let outcome = Monitor::new(&run.target, cfg.display_interval).run(&run);
    run.finish();
    outcome
}

/// The display loop: events become errors or an early redisplay; the status block is printed
/// every interval until a stop signal or a fatal torrent error.
struct Monitor<'a> {
    target: &'a SaveTarget,
    interval: Duration,
    errors: ErrorLog,
    last: Option<Instant>,
    swarm: SwarmRate,
}

impl<'a> Monitor<'a> {
    fn new(target: &'a SaveTarget, interval: Duration) -> Self {
        Monitor { target, interval, errors: ErrorLog::default(), last: None, swarm: SwarmRate::default() }
    }

    fn run(mut self, run: &Download) -> Result<(), Exit> {
        let torrent = &run.torrent;
        loop {
            if signals::stop_requested() {
                self.show(torrent, true);
                return Ok(());
            }
            let wait = self.last.map_or(Duration::ZERO, |t| self.interval.saturating_sub(t.elapsed()));
            run.session.wait_event(wait.min(SIGNAL_POLL));
            let redisplay = run.drain(&mut self.errors);
            let status = torrent.status();
            if status.state == TorrentState::Error {
                let message = status.error.clone().unwrap_or_else(|| "the torrent stopped".into());
                self.show(torrent, false);
                return Err(Exit::Failure(message));
            }
            let since = self.last.map_or(Duration::MAX, |t| t.elapsed());
            if redisplay_due(redisplay, since, self.interval, MIN_REDISPLAY) {
                self.show(torrent, false);
            }
        }
    }

    fn show(&mut self, torrent: &TorrentHandle, stopping: bool) {
        let status = torrent.status();
        let to = self.target.shown(&status.name).display().to_string();
        let swarm = self.swarm.update(Instant::now(), &status);
        let figures = StatusFigures::from_status(&status, &to, swarm, stopping);
        let text = status_block::render(&self.errors.messages(), &figures);
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        self.last = Some(Instant::now());
    }
}
