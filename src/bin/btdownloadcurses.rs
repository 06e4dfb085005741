//! btdownloadcurses: btdownloadheadless' download with a full-screen display (reference §2.2):
//! the torrent's figures in a bordered window, errors or (`--spew 1`) the peer table under it.
//! `q` (or SIGINT/SIGTERM) stops cleanly: announce `stopped`, save resume data, exit 0. The
//! errors of the run are printed again once the terminal is given back.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use bitgocho::cli::download::{self, redisplay_due, Download, ErrorLog, Request};
use bitgocho::cli::headless::{HeadlessConfig, DOWNLOADER_OPTIONS};
use bitgocho::cli::status_block::{StatusFigures, SwarmRate};
use bitgocho::cli::tui::download_screen::{self, DownloadModel};
use bitgocho::cli::tui::spew::{PeerSpeeds, SpewModel};
use bitgocho::cli::tui::terminal::{Input, Screen, TuiError};
use bitgocho::cli::{self, options, signals, Exit};
use bitgocho::session::status::{TorrentState, TorrentStatus};

/// Fewest milliseconds between two displays (BitTornado limited updates to 10 a second).
const MIN_REDISPLAY: Duration = Duration::from_millis(100);
/// Longest wait for a key before looking at the engine and the stop flag again.
const POLL: Duration = Duration::from_millis(100);

fn usage_text() -> String {
    format!("Usage: btdownloadcurses <global options>\n\n{}", options::format_help(DOWNLOADER_OPTIONS, 80))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        print!("{}", usage_text());
        return ExitCode::from(1);
    }
    let mut errors = ErrorLog::default();
    let code = cli::run(|| run(&args, &mut errors));
    if !errors.is_empty() {
        println!("These errors occurred during execution:");
        for line in download_screen::error_lines(&errors) {
            println!("{line}");
        }
    }
    code
}

fn tui_failure(e: TuiError) -> Exit {
    Exit::Failure(e.to_string())
}

fn run(args: &[String], errors: &mut ErrorLog) -> Result<(), Exit> {
    let cfg = match download::parse_command_line(args)? {
        Request::Version => {
            println!("{}", cli::version_string());
            return Ok(());
        }
        Request::Help => {
            print!("{}", usage_text());
            return Ok(());
        }
        Request::Run(cfg) => cfg,
    };
    signals::install().map_err(|e| Exit::Failure(e.to_string()))?;
    let mut screen = Screen::enter("btdownloadcurses", "btdownloadheadless").map_err(tui_failure)?;
    let run = Download::start(&cfg)?;
    let mut ui = Ui::new(&cfg, &run, errors);
    let outcome = ui.run(&mut screen);
    run.finish();
    drop(screen);
    outcome
}

/// The display loop's state.
struct Ui<'a> {
    cfg: &'a HeadlessConfig,
    run: &'a Download,
    errors: &'a mut ErrorLog,
    swarm: SwarmRate,
    speeds: PeerSpeeds,
    started: Instant,
    last: Option<Instant>,
}

impl<'a> Ui<'a> {
    fn new(cfg: &'a HeadlessConfig, run: &'a Download, errors: &'a mut ErrorLog) -> Self {
        let (swarm, speeds) = (SwarmRate::default(), PeerSpeeds::default());
        Ui { cfg, run, errors, swarm, speeds, started: Instant::now(), last: None }
    }

    /// Runs until `q` or a stop signal (then `Ok`), or until the user quits after the torrent
    /// failed (then the failure).
    fn run(&mut self, screen: &mut Screen) -> Result<(), Exit> {
        let mut failed: Option<String> = None;
        loop {
            if signals::stop_requested() {
                self.draw(screen, true)?;
                return failed.map_or(Ok(()), |m| Err(Exit::Failure(m)));
            }
            let wait = self.last.map_or(Duration::ZERO, |t| self.cfg.display_interval.saturating_sub(t.elapsed()));
            let mut force = false;
            match screen.next_input(wait.min(POLL)).map_err(tui_failure)? {
                Some(Input::Quit) => {
                    self.draw(screen, true)?;
                    return failed.map_or(Ok(()), |m| Err(Exit::Failure(m)));
                }
                Some(Input::Redraw) => {
                    screen.invalidate().map_err(tui_failure)?;
                    force = true;
                }
                Some(Input::Resize) => force = true,
                None => {}
            }
            let redisplay = self.run.drain(self.errors);
            if failed.is_none() {
                let status = self.run.torrent.status();
                if status.state == TorrentState::Error {
                    let message = status.error.clone().unwrap_or_else(|| "the torrent stopped".into());
                    self.errors.push(std::time::SystemTime::now(), message.clone());
                    failed = Some(message);
                    force = true;
                }
            }
            let since = self.last.map_or(Duration::MAX, |t| t.elapsed());
            if force || redisplay_due(redisplay, since, self.cfg.display_interval, MIN_REDISPLAY) {
                self.draw(screen, false)?;
            }
        }
    }

    fn model(&mut self, status: &TorrentStatus, stopping: bool) -> DownloadModel {
        let now = Instant::now();
        let to = self.run.target.shown(&status.name).display().to_string();
        let swarm = self.swarm.update(now, status);
        let spew = self.cfg.spew.then(|| SpewModel {
            peers: self.speeds.update(now, status),
            downloading: status.pieces_downloading,
            fragments: status.pieces_fragments,
            have: status.pieces_have,
            total: status.pieces_total,
            scroll: self.started.elapsed().as_secs() as usize,
        });
        DownloadModel {
            figures: StatusFigures::from_status(status, &to, swarm, stopping),
            errors: download_screen::error_lines(self.errors),
            spew,
        }
    }

    fn draw(&mut self, screen: &mut Screen, stopping: bool) -> Result<(), Exit> {
        let status = self.run.torrent.status();
        let model = self.model(&status, stopping);
        screen.draw(|area, buf| download_screen::render(&model, area, buf)).map_err(tui_failure)?;
        self.last = Some(Instant::now());
        Ok(())
    }
}
