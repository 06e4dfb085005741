//! The full-screen fronts of btdownloadcurses and btlaunchmanycurses (reference §2.2, §2.3).
//! Each screen is a pure function of a model ([`download_screen::render`],
//! [`many_screen::render`]) drawn into a ratatui buffer, built from texts ([`format`],
//! [`spew`], [`local_time`]); [`terminal`] is the thin driver that owns the real terminal.

pub mod download_screen;
pub mod format;
pub mod local_time;
pub mod many_screen;
pub mod paint;
pub mod spew;
pub mod terminal;
