//! btlaunchmanycurses: btlaunchmany with a full-screen display (reference §2.3): a table of the
//! directory's torrents (three lines each) with a totals line, and a timestamped message pane
//! that follows the newest messages. `q` (or SIGINT/SIGTERM) stops every torrent cleanly.

use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use bitgocho::cli::launcher::{self, Launcher, LauncherConfig};
use bitgocho::cli::launchmany;
use bitgocho::cli::tui::local_time::LocalTime;
use bitgocho::cli::tui::many_screen::{self, ManyModel, ManyRow};
use bitgocho::cli::tui::terminal::{Input, Screen, TuiError};
use bitgocho::cli::{self, signals, Exit};

/// Longest wait for a key before looking at the torrents and the stop flag again.
const POLL: Duration = Duration::from_millis(100);
/// Most messages kept (the oldest go first).
const MAX_MESSAGES: usize = 1000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    cli::run(|| run(&args))
}

fn tui_failure(e: TuiError) -> Exit {
    Exit::Failure(e.to_string())
}

fn run(args: &[String]) -> Result<(), Exit> {
    let table = launchmany::launchmanycurses_options();
    let Some(config) = launcher::config_or_print(args, "btlaunchmanycurses", &table)? else { return Ok(()) };
    signals::install().map_err(|e| Exit::Failure(e.to_string()))?;
    let mut screen = Screen::enter("btlaunchmanycurses", "btlaunchmany").map_err(tui_failure)?;
    let session = launcher::start_session(&config)?;
    let mut launcher = Launcher::new(&session, &config);
    let mut ui = Ui { messages: Vec::new(), last: None };
    let outcome = ui.run(&mut screen, &config, &mut launcher);
    ui.note(launcher.shutdown());
    let _ = ui.draw(&mut screen, &launcher);
    drop(launcher);
    session.shutdown();
    drop(screen);
    outcome
}

/// The display loop's state.
struct Ui {
    messages: Vec<String>,
    last: Option<Instant>,
}

impl Ui {
    /// Adds messages stamped with the local date and time.
    fn note(&mut self, texts: Vec<String>) {
        let stamp = LocalTime::of(SystemTime::now()).date_time();
        for text in texts {
            if self.messages.len() == MAX_MESSAGES {
                self.messages.remove(0);
            }
            self.messages.push(format!("{stamp} - {text}"));
        }
    }

    fn run(&mut self, screen: &mut Screen, config: &LauncherConfig, launcher: &mut Launcher) -> Result<(), Exit> {
        let interval = config.cfg.display_interval;
        while !signals::stop_requested() {
            let said = launcher.tick();
            let mut force = !said.is_empty();
            self.note(said);
            let wait = self.last.map_or(Duration::ZERO, |t| interval.saturating_sub(t.elapsed()));
            match screen.next_input(wait.min(POLL)).map_err(tui_failure)? {
                Some(Input::Quit) => return Ok(()),
                Some(Input::Redraw) => {
                    screen.invalidate().map_err(tui_failure)?;
                    force = true;
                }
                Some(Input::Resize) => force = true,
                None => {}
            }
            if force || self.last.is_none_or(|t| t.elapsed() >= interval) {
                self.draw(screen, launcher)?;
            }
        }
        Ok(())
    }

    fn draw(&mut self, screen: &mut Screen, launcher: &Launcher) -> Result<(), Exit> {
        let rows = launcher::snapshot(launcher.entries())
            .into_iter()
            .map(|(name, status, message)| ManyRow { name: name.to_string(), status, message: message.to_string() })
            .collect();
        let model = ManyModel { rows, messages: self.messages.clone() };
        screen.draw(|area, buf| many_screen::render(&model, area, buf)).map_err(tui_failure)?;
        self.last = Some(Instant::now());
        Ok(())
    }
}
