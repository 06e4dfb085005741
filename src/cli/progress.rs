//! Progress display for long-running tools: a bar on a terminal, a few plain lines otherwise.
//!
//! On a terminal the line `[#####     ]  45.2% complete` is redrawn in place; when stderr is a
//! file or pipe, `NN.N% complete` lines are printed at every tenth of the work, so logs get a
//! handful of lines rather than thousands.

use crate::metainfo::hasher::Progress;
use std::io::Write;
use std::time::Duration;

/// Width of the bar in characters.
const BAR_WIDTH: usize = 30;
/// How often a running job's progress is polled.
const POLL: Duration = Duration::from_millis(100);

/// Renders progress to stderr in the style suited to it.
#[derive(Debug, Clone)]
pub struct ProgressDisplay {
    tty: bool,
    shown: Option<u64>,
}

impl ProgressDisplay {
    /// A display for stderr: a bar when it is a terminal, plain lines otherwise.
    pub fn for_stderr() -> Self {
        // SAFETY: isatty only inspects the descriptor number.
        let tty = unsafe { libc::isatty(libc::STDERR_FILENO) } == 1;
        ProgressDisplay::new(tty)
    }

    /// A display in terminal (`tty`) or plain-line style.
    pub fn new(tty: bool) -> Self {
        ProgressDisplay { tty, shown: None }
    }

    /// The text to print for `done` of `total` bytes, or `None` when nothing changed enough.
    pub fn render(&mut self, done: u64, total: u64) -> Option<String> {
        let permille = if total == 0 { 1000 } else { (done.min(total) as u128 * 1000 / total as u128) as u64 };
        let key = if self.tty { permille } else { permille / 100 * 100 };
        if self.shown == Some(key) || (!self.tty && self.shown.is_none() && key == 0) {
            return None;
        }
        self.shown = Some(key);
        let pct = format!("{:.1}% complete", key as f64 / 10.0);
        if self.tty {
            let filled = (permille as usize * BAR_WIDTH) / 1000;
            Some(format!("\r[{}{}] {:>6}", "#".repeat(filled), " ".repeat(BAR_WIDTH - filled), pct))
        } else {
            Some(format!("{pct}\n"))
        }
    }

    /// Prints the progress of `done` of `total` bytes to stderr if it changed enough.
    pub fn update(&mut self, done: u64, total: u64) {
        if let Some(text) = self.render(done, total) {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            let _ = err.flush();
        }
    }

    /// Ends the display (a newline after a terminal bar).
    pub fn finish(&mut self) {
        if self.tty && self.shown.is_some() {
            eprintln!();
        }
        self.shown = None;
    }
}

/// Runs `work` on a new thread while showing the progress it reports through `progress`,
/// and returns its result as soon as it is done.
pub fn show_while<T: Send>(progress: &Progress, display: &mut ProgressDisplay, work: impl FnOnce() -> T + Send) -> T {
    let result = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel();
        let handle = scope.spawn(move || {
            let r = work();
            let _ = tx.send(());
            r
        });
        while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(POLL) {
            display.update(progress.done(), progress.total());
        }
        display.update(progress.done(), progress.total());
        handle.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    display.finish();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_at_each_tenth() {
        let mut d = ProgressDisplay::new(false);
        let lines: Vec<String> = (0..=1000).filter_map(|i| d.render(i, 1000)).collect();
        let expected: Vec<String> = (1..=10).map(|t| format!("{}.0% complete\n", t * 10)).collect();
        assert_eq!(lines, expected);
    }

    #[test]
    fn terminal_bar_redraws_in_place() {
        let mut d = ProgressDisplay::new(true);
        let s = d.render(452, 1000).unwrap();
        assert!(s.starts_with("\r[#############                 ]"), "{s:?}");
        assert!(s.ends_with(" 45.2% complete"), "{s:?}");
        assert_eq!(d.render(452, 1000), None);
        assert!(d.render(1000, 1000).unwrap().contains("100.0% complete"));
    }
}
