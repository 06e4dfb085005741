//! btlaunchmanycurses' screen (reference §2.3) as a pure function of a [`ManyModel`]: a table
//! `#`, `Filename`, `Size`, `Download`, `Upload` with three lines per torrent (name, size and
//! rates; progress, status and swarm; message), a totals line, and under it the message pane
//! with `%x %X - ` stamps that always shows the newest messages.

use super::format::{binary_size, speed};
use super::paint::{pane, put, tail};
use crate::cli::launchmany::status_words;
use crate::session::status::{TorrentState, TorrentStatus};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// Width of the columns right of the file name: size, download, upload.
const SIZE_W: usize = 10;
const RATE_W: usize = 12;
/// Columns taken by everything but the file name (number, size, rates, blanks).
const FIXED_W: usize = 3 + 1 + 1 + SIZE_W + 1 + RATE_W + 1 + RATE_W;
/// Narrowest file-name column.
const MIN_NAME_W: usize = 8;
/// Fewest lines left to the message pane (borders included).
const MIN_MESSAGE_PANE: u16 = 4;
/// Title of the upper window.
const TITLE: &str = " btlaunchmanycurses ";

/// One torrent's lines.
#[derive(Debug, Clone, PartialEq)]
pub struct ManyRow {
    /// The name shown (path or `info.name`).
    pub name: String,
    /// The engine's status.
    pub status: TorrentStatus,
    /// The message shown under it (empty for none).
    pub message: String,
}

/// Everything btlaunchmanycurses shows at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManyModel {
    /// The torrents, in the order they were added.
    pub rows: Vec<ManyRow>,
    /// The messages so far, each `MM/DD/YY HH:MM:SS - text`, oldest first.
    pub messages: Vec<String>,
}

fn name_width(width: usize) -> usize {
    width.saturating_sub(FIXED_W).max(MIN_NAME_W)
}

fn clip(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

/// The header line for a table `width` columns wide.
pub fn header(width: usize) -> String {
    let w = name_width(width);
    format!("{:>3} {:<w$} {:>SIZE_W$} {:>RATE_W$} {:>RATE_W$}", "#", "Filename", "Size", "Download", "Upload")
}

/// The three lines of torrent number `n` (from 1).
pub fn row_lines(n: usize, row: &ManyRow, width: usize) -> [String; 3] {
    let s = &row.status;
    let w = name_width(width);
    let first = format!(
        "{n:>3} {:<w$} {:>SIZE_W$} {:>RATE_W$} {:>RATE_W$}",
        clip(&row.name, w),
        binary_size(s.total_size),
        speed(s.download_rate),
        speed(s.upload_rate)
    );
    let (status, progress) = status_words(s);
    let copies = s.distributed_copies;
    let (peers, seeds) = (s.peers.saturating_sub(s.seeds), s.seeds);
    let second = format!(
        "    ({progress}) {status} - {} up {} dn - {peers} peers {seeds} seeds {copies:.3} dist copies",
        binary_size(s.uploaded),
        binary_size(s.downloaded),
    );
    [first, second, format!("    {}", row.message)]
}

/// The totals line: sizes and rates summed over every torrent.
pub fn totals(rows: &[ManyRow], width: usize) -> String {
    let w = name_width(width);
    let size: u64 = rows.iter().map(|r| r.status.total_size).sum();
    let down: f64 = rows.iter().map(|r| r.status.download_rate).sum();
    let up: f64 = rows.iter().map(|r| r.status.upload_rate).sum();
    let seeding = rows.iter().filter(|r| r.status.state == TorrentState::Seeding).count();
    let label = format!("Totals ({} torrents, {seeding} seeding)", rows.len());
    format!(
        "{:>3} {:<w$} {:>SIZE_W$} {:>RATE_W$} {:>RATE_W$}",
        "",
        clip(&label, w),
        binary_size(size),
        speed(down),
        speed(up)
    )
}

/// Draws the whole screen into `buf` over `area`.
pub fn render(model: &ManyModel, area: Rect, buf: &mut Buffer) {
    let wanted = 2 + 1 + 3 * model.rows.len().max(1) as u16 + 1;
    let top_height = wanted.min(area.height.saturating_sub(MIN_MESSAGE_PANE)).max(area.height.min(3));
    let top = Rect { height: top_height, ..area };
    let inside = pane(top, TITLE, buf);
    let width = inside.width as usize;
    let mut lines = vec![header(width)];
    if model.rows.is_empty() {
        lines.push("    no torrents".to_string());
    }
    let room = (inside.height as usize).saturating_sub(2);
    for (i, row) in model.rows.iter().enumerate().take(room / 3) {
        lines.extend(row_lines(i + 1, row, width));
    }
    for (n, line) in lines.iter().enumerate().take(inside.height.saturating_sub(1) as usize) {
        put(buf, inside, n as u16, 0, line);
    }
    if inside.height > 1 {
        put(buf, inside, inside.height - 1, 0, &totals(&model.rows, width));
    }
    let bottom = Rect { y: area.y + top_height, height: area.height - top_height, ..area };
    if bottom.height > 0 {
        let inside = pane(bottom, " messages ", buf);
        for (n, line) in tail(&model.messages, inside.height as usize).iter().enumerate() {
            put(buf, inside, n as u16, 0, line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tui::paint::screen_text;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn row(name: &str, state: TorrentState, progress: f64) -> ManyRow {
        let status = TorrentStatus {
            state,
            progress,
            total_size: 1_500_000,
            download_rate: 20_480.0,
            upload_rate: 1024.0,
            uploaded: 2048,
            downloaded: 1_048_576,
            peers: 4,
            seeds: 1,
            distributed_copies: 1.25,
            eta_seconds: Some(65),
            ..Default::default()
        };
        ManyRow { name: name.into(), status, message: String::new() }
    }

    fn draw(model: &ManyModel, w: u16, h: u16) -> Vec<String> {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| render(model, f.area(), f.buffer_mut())).unwrap();
        screen_text(term.backend().buffer())
    }

    #[test]
    fn table_and_messages() {
        let mut seeding = row("two.bin", TorrentState::Seeding, 1.0);
        seeding.message = "warning from tracker - slow down".into();
        let model = ManyModel {
            rows: vec![row("one.bin", TorrentState::Downloading, 0.456), seeding],
            messages: vec!["11/24/26 08:00:47 - added \"one.torrent\"".into()],
        };
        let screen = draw(&model, 80, 16);
        let expected = [
            "┌ btlaunchmanycurses ──────────────────────────────────────────────────────────┐",
            "│  # Filename                                    Size     Download       Upload│",
            "│  1 one.bin                                  1.4 MiB    20.0 KB/s     1.0 KB/s│",
            "│    (45.6%) 0:01:05 - 2 KiB up 1 MiB dn - 3 peers 1 seeds 1.250 dist copies   │",
            "│                                                                              │",
            "│  2 two.bin                                  1.4 MiB    20.0 KB/s     1.0 KB/s│",
            "│    (100.0%) seeding - 2 KiB up 1 MiB dn - 3 peers 1 seeds 1.250 dist copies  │",
            "│    warning from tracker - slow down                                          │",
            "│    Totals (2 torrents, 1 seeding)           2.9 MiB    40.0 KB/s     2.0 KB/s│",
            "└──────────────────────────────────────────────────────────────────────────────┘",
            "┌ messages ────────────────────────────────────────────────────────────────────┐",
            "│11/24/26 08:00:47 - added \"one.torrent\"                                       │",
            "│                                                                              │",
            "│                                                                              │",
            "│                                                                              │",
            "└──────────────────────────────────────────────────────────────────────────────┘",
        ];
        assert_eq!(screen, expected);
    }

    #[test]
    fn messages_scroll_to_the_newest_and_small_screens_hold() {
        let messages = (0..30).map(|i| format!("m{i:02}")).collect();
        let model = ManyModel { rows: vec![row("one", TorrentState::Checking, 0.1)], messages };
        let screen = draw(&model, 60, 14);
        let shown: Vec<&String> = screen.iter().filter(|l| l.starts_with("│m")).collect();
        assert!(shown.last().unwrap().starts_with("│m29"), "{screen:?}");
        assert!(!screen.iter().any(|l| l.contains("m00")));
        assert!(screen.iter().any(|l| l.contains("checking existing data")));
        for (w, h) in [(1, 1), (5, 3), (20, 6), (60, 4)] {
            assert_eq!(draw(&model, w, h).len(), h as usize);
        }
        let empty = draw(&ManyModel::default(), 60, 10);
        assert!(empty.iter().any(|l| l.contains("no torrents")));
    }
}
