//! The thin terminal driver of the curses tools: takes over the terminal (raw mode, alternate
//! screen, hidden cursor) and gives it back on drop or panic, draws a screen function, and
//! turns key presses and resizes into [`Input`]s.

use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::layout::Rect;
use ratatui::Terminal;
use std::io::{IsTerminal, Stdout};
use std::time::Duration;

/// Why the terminal could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// Standard output is a file or a pipe.
    #[error(
        "{tool} draws a full-screen display and needs a terminal, but standard output is not one \
         (use {plain} for plain text output)"
    )]
    NotATerminal {
        /// The tool's name.
        tool: &'static str,
        /// The plain-text sibling to use instead.
        plain: &'static str,
    },
    /// The terminal refused a setting or a write.
    #[error("terminal error: {0}")]
    Io(#[from] std::io::Error),
}

/// What the user did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// `q`, `Q` or Ctrl-C: quit.
    Quit,
    /// Ctrl-L: redraw everything.
    Redraw,
    /// The terminal changed size.
    Resize,
}

/// The input a terminal event stands for, if any.
pub fn input_of(ev: &Event) -> Option<Input> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => match k.code {
            KeyCode::Char('q' | 'Q') if !k.modifiers.contains(KeyModifiers::CONTROL) => Some(Input::Quit),
            KeyCode::Char('c' | 'C') if k.modifiers.contains(KeyModifiers::CONTROL) => Some(Input::Quit),
            KeyCode::Char('l' | 'L') if k.modifiers.contains(KeyModifiers::CONTROL) => Some(Input::Redraw),
            _ => None,
        },
        Event::Resize(..) => Some(Input::Resize),
        _ => None,
    }
}

/// The terminal while a curses tool owns it.
pub struct Screen {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(std::io::stdout(), terminal::LeaveAlternateScreen, cursor::Show);
}

impl Screen {
    /// Takes over the terminal; fails with [`TuiError::NotATerminal`] when standard output is
    /// not one. A panic afterwards gives the terminal back before its message is printed.
    pub fn enter(tool: &'static str, plain: &'static str) -> Result<Screen, TuiError> {
        if !std::io::stdout().is_terminal() {
            return Err(TuiError::NotATerminal { tool, plain });
        }
        terminal::enable_raw_mode()?;
        let mut stdout = std::io::stdout();
        if let Err(e) = execute!(stdout, terminal::EnterAlternateScreen, cursor::Hide) {
            restore();
            return Err(e.into());
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(terminal) => Ok(Screen { terminal }),
            Err(e) => {
                restore();
                Err(e.into())
            }
        }
    }

    /// Draws the screen `paint` fills in.
    pub fn draw(&mut self, paint: impl FnOnce(Rect, &mut Buffer)) -> Result<(), TuiError> {
        self.terminal.draw(|frame| {
            let area = frame.area();
            paint(area, frame.buffer_mut());
        })?;
        Ok(())
    }

    /// Forgets what is on the terminal so the next [`Screen::draw`] repaints every cell.
    pub fn invalidate(&mut self) -> Result<(), TuiError> {
        // `resize` clears the screen and the copy of it without asking the terminal where its
        // cursor is (`Terminal::clear` does, and a terminal that does not answer stalls it).
        let size = self.terminal.size()?;
        self.terminal.resize(Rect::new(0, 0, size.width, size.height))?;
        Ok(())
    }

    /// Waits up to `timeout` for an input; `None` when none came.
    pub fn next_input(&mut self, timeout: Duration) -> Result<Option<Input>, TuiError> {
        if !event::poll(timeout)? {
            return Ok(None);
        }
        Ok(input_of(&event::read()?))
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEvent;

    #[test]
    fn keys() {
        let key = |c, m| Event::Key(KeyEvent::new(c, m));
        assert_eq!(input_of(&key(KeyCode::Char('q'), KeyModifiers::NONE)), Some(Input::Quit));
        assert_eq!(input_of(&key(KeyCode::Char('Q'), KeyModifiers::SHIFT)), Some(Input::Quit));
        assert_eq!(input_of(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Input::Quit));
        assert_eq!(input_of(&key(KeyCode::Char('l'), KeyModifiers::CONTROL)), Some(Input::Redraw));
        assert_eq!(input_of(&key(KeyCode::Char('l'), KeyModifiers::NONE)), None);
        assert_eq!(input_of(&key(KeyCode::Char('q'), KeyModifiers::CONTROL)), None);
        assert_eq!(input_of(&Event::Resize(80, 24)), Some(Input::Resize));
        assert_eq!(input_of(&Event::FocusGained), None);
    }
}
