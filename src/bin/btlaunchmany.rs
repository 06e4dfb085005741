//! btlaunchmany: download and seed every .torrent file found in a directory with one session
//! (one listening port), starting and stopping torrents as files appear, change or go away, and
//! printing one status line per torrent every `--display_interval` seconds (reference §2.3, §5).

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bitgocho::cli::launcher::{self, Launcher, LauncherConfig};
use bitgocho::cli::launchmany;
use bitgocho::cli::{self, signals, Exit};

/// Longest wait before looking at the stop flag again.
const SIGNAL_POLL: Duration = Duration::from_millis(100);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    cli::run(|| run(&args))
}

fn run(args: &[String]) -> Result<(), Exit> {
    let table = launchmany::launchmany_options();
    let Some(config) = launcher::config_or_print(args, "btlaunchmany", &table)? else { return Ok(()) };
    signals::install().map_err(|e| Exit::Failure(e.to_string()))?;
    let session = launcher::start_session(&config)?;
    let mut launcher = Launcher::new(&session, &config);
    run_loop(&session, &config, &mut launcher);
    say_all(&launcher.shutdown());
    drop(launcher);
    session.shutdown();
    Ok(())
}

fn say_all(messages: &[String]) {
    let mut out = std::io::stdout().lock();
    for text in messages {
        let _ = writeln!(out, "### {text}");
    }
    let _ = out.flush();
}

fn run_loop(session: &bitgocho::session::Session, config: &LauncherConfig, launcher: &mut Launcher) {
    let mut last_show: Option<Instant> = None;
    while !signals::stop_requested() {
        say_all(&launcher.tick());
        let interval = config.cfg.display_interval;
        if last_show.is_none_or(|t| t.elapsed() >= interval) {
            show(launcher);
            last_show = Some(Instant::now());
        }
        let wait = last_show.map_or(Duration::ZERO, |t| interval.saturating_sub(t.elapsed()));
        session.wait_event(wait.min(SIGNAL_POLL));
    }
}

fn show(launcher: &Launcher) {
    if launcher.entries().is_empty() {
        say_all(&["no torrents".to_string()]);
        return;
    }
    let mut text = String::from("\n");
    for (name, status, message) in launcher::snapshot(launcher.entries()) {
        text.push_str(&launchmany::torrent_line(name, &status, message));
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
