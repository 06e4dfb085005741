//! btdownloadcurses' screen (reference §2.2) as a pure function of a [`DownloadModel`]: a
//! bordered window with the label column `file:` ... `peers:`, and under it a pane with the
//! timestamped errors or, with `--spew 1`, the peer table.

use super::format::{self, bar, size_text, speed};
use super::local_time::LocalTime;
use super::paint::{pane, put, tail};
use super::spew::{self, SpewModel};
use crate::cli::download::ErrorLog;
use crate::cli::status_block::StatusFigures;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// The labels of the upper window, top to bottom.
pub const LABELS: [&str; 10] =
    ["file:", "size:", "dest:", "progress:", "status:", "dl speed:", "ul speed:", "sharing:", "seeds:", "peers:"];
/// Columns from the window's inside edge to the values (one blank, the labels, one blank).
const VALUE_COL: u16 = 12;
/// Title of the upper window.
const TITLE: &str = " btdownloadcurses ";

/// Everything btdownloadcurses shows at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadModel {
    /// The torrent's figures.
    pub figures: StatusFigures,
    /// The errors so far, each `[HH:MM:SS] message`, oldest first.
    pub errors: Vec<String>,
    /// The peer table, with `--spew 1`.
    pub spew: Option<SpewModel>,
}

/// The error lines of `log`: `[HH:MM:SS] message` in local time.
pub fn error_lines(log: &ErrorLog) -> Vec<String> {
    log.entries().map(|(at, m)| format!("[{}] {m}", LocalTime::of(*at).hms())).collect()
}

/// The values of the upper window for a value field `width` columns wide, in [`LABELS`] order.
pub fn values(f: &StatusFigures, width: usize) -> [String; 10] {
    [
        f.name.clone(),
        size_text(f.total_size),
        f.download_to.clone(),
        bar(format::bar_fraction(f), width),
        format::status_text(f),
        speed(f.down_rate),
        speed(f.up_rate),
        format::sharing_text(f),
        format::seeds_text(f),
        format::peers_text(f),
    ]
}

/// Draws the whole screen into `buf` over `area`.
pub fn render(model: &DownloadModel, area: Rect, buf: &mut Buffer) {
    let top_height = (LABELS.len() as u16 + 2).min(area.height);
    let top = Rect { height: top_height, ..area };
    let inside = pane(top, TITLE, buf);
    let width = inside.width.saturating_sub(VALUE_COL + 1) as usize;
    for (row, (label, value)) in LABELS.iter().zip(values(&model.figures, width)).enumerate() {
        put(buf, inside, row as u16, 1, label);
        put(buf, inside, row as u16, VALUE_COL, &value);
    }
    let bottom = Rect { y: area.y + top_height, height: area.height - top_height, ..area };
    if bottom.height == 0 {
        return;
    }
    match &model.spew {
        Some(table) => {
            let inside = pane(bottom, " peers ", buf);
            for (row, line) in spew::lines(table, inside.height as usize).iter().enumerate() {
                put(buf, inside, row as u16, 0, line);
            }
        }
        None => {
            let inside = pane(bottom, " errors ", buf);
            for (row, line) in tail(&model.errors, inside.height as usize).iter().enumerate() {
                put(buf, inside, row as u16, 0, line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::status_block::Phase;
    use crate::cli::tui::paint::screen_text;
    use crate::cli::tui::spew::PeerRow;
    use crate::session::status::PeerInfo;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn figures(phase: Phase) -> StatusFigures {
        StatusFigures::sample(phase, 0.5, Some(3725))
    }

    fn draw(model: &DownloadModel, w: u16, h: u16) -> Vec<String> {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| render(model, f.area(), f.buffer_mut())).unwrap();
        screen_text(term.backend().buffer())
    }

    #[test]
    fn full_screen_layout() {
        let errors = vec!["[10:00:00] old".to_string(), "[10:00:01] Problem connecting to tracker".to_string()];
        let model = DownloadModel { figures: figures(Phase::Downloading), errors, spew: None };
        let screen = draw(&model, 60, 16);
        let expected = [
            "┌ btdownloadcurses ────────────────────────────────────────┐",
            "│ file:      ubuntu.iso                                    │",
            "│ size:      734,003,200 (700 MiB)                         │",
            "│ dest:      /tmp/ubuntu.iso                               │",
            "│ progress:  ######################_______________________ │",
            "│ status:    finishing in 1:02:05 (50.0%)                  │",
            "│ dl speed:  12.4 KB/s                                     │",
            "│ ul speed:  2.0 KB/s                                      │",
            "│ sharing:   0.250 (3 MiB up / 12 MiB down)                │",
            "│ seeds:     2 seen now, plus 1.500 distributed copies     │",
            "│ peers:     5 seen now, 31.4% done at 50.0 KB/s           │",
            "└──────────────────────────────────────────────────────────┘",
            "┌ errors ──────────────────────────────────────────────────┐",
            "│[10:00:00] old                                            │",
            "│[10:00:01] Problem connecting to tracker                  │",
            "└──────────────────────────────────────────────────────────┘",
        ];
        assert_eq!(screen, expected);
    }

    #[test]
    fn error_pane_keeps_the_newest_and_states_show() {
        let errors = (0..10).map(|i| format!("[10:00:0{i}] e{i}")).collect();
        let model = DownloadModel { figures: figures(Phase::Succeeded), errors, spew: None };
        let screen = draw(&model, 50, 16);
        assert!(screen[4].contains("##################################"), "{}", screen[4]);
        assert!(screen[5].contains("download succeeded!"));
        assert!(screen[13].contains("e8") && screen[14].contains("e9"), "{screen:?}");
        assert!(screen.iter().all(|l| !l.contains("e7")));
    }

    #[test]
    fn spew_pane_and_tiny_terminals() {
        let info = PeerInfo {
            addr: "127.0.0.1:6881".parse().unwrap(),
            outgoing: true,
            upload_rate: 0.0,
            download_rate: 1024.0,
            peer_interested: false,
            am_choking: true,
            am_interested: true,
            peer_choking: false,
            snubbed: false,
            encrypted: false,
            progress: 1.0,
        };
        let spew = SpewModel { peers: vec![PeerRow { info, speed: 0.0 }], have: 3, total: 10, ..Default::default() };
        let model = DownloadModel { figures: figures(Phase::Downloading), errors: vec![], spew: Some(spew) };
        let screen = draw(&model, 100, 17);
        assert!(screen[12].contains(" peers "));
        assert!(screen[13].contains("#") && screen[13].contains("IP"), "{}", screen[13]);
        assert!(screen[14].contains("127.0.0.1:6881") && screen[14].contains("100.0%"), "{}", screen[14]);
        assert!(screen[15].contains("0 fragments, 3 of 10 pieces completed"), "{}", screen[15]);
        for (w, h) in [(1, 1), (3, 2), (12, 5), (30, 12), (30, 13)] {
            let s = draw(&model, w, h);
            assert_eq!(s.len(), h as usize);
        }
    }
}
