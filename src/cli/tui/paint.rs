//! Small drawing helpers for the curses screens: bordered panes and text clipped to a pane, so
//! that no screen size (however small) makes drawing write outside the buffer.

use ratatui::buffer::Buffer;
use ratatui::layout::{Margin, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Block, Widget};

/// Draws a bordered pane titled `title` over `area` (cleared first); returns its inside.
pub fn pane(area: Rect, title: &str, buf: &mut Buffer) -> Rect {
    let area = area.intersection(buf.area);
    ratatui::widgets::Clear.render(area, buf);
    if area.width < 2 || area.height < 2 {
        return Rect { width: 0, height: 0, ..area };
    }
    Block::bordered().title(title.to_string()).render(area, buf);
    area.inner(Margin { horizontal: 1, vertical: 1 })
}

/// Writes `text` on line `row` of `area` from column `col`, cut at the area's right edge;
/// nothing when the position is outside the area.
pub fn put(buf: &mut Buffer, area: Rect, row: u16, col: u16, text: &str) {
    let area = area.intersection(buf.area);
    if row >= area.height || col >= area.width {
        return;
    }
    let width = (area.width - col) as usize;
    buf.set_stringn(area.x + col, area.y + row, text, width, Style::default());
}

/// The last `height` of `lines` (a pane that always shows the newest lines).
pub fn tail<T>(lines: &[T], height: usize) -> &[T] {
    &lines[lines.len().saturating_sub(height)..]
}

/// The text of line `row` of a buffer, trailing blanks removed (for tests and debugging).
pub fn line_text(buf: &Buffer, row: u16) -> String {
    let area = buf.area;
    let mut s = String::new();
    for x in area.x..area.x + area.width {
        s.push_str(buf[(x, area.y + row)].symbol());
    }
    s.trim_end().to_string()
}

/// Every line of a buffer as text (see [`line_text`]).
pub fn screen_text(buf: &Buffer) -> Vec<String> {
    (0..buf.area.height).map(|row| line_text(buf, row)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipped_writes_and_tiny_panes() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 3));
        let inner = pane(Rect::new(0, 0, 10, 3), "t", &mut buf);
        assert_eq!(inner, Rect::new(1, 1, 8, 1));
        put(&mut buf, inner, 0, 0, "0123456789abc");
        put(&mut buf, inner, 1, 0, "outside");
        put(&mut buf, inner, 0, 20, "outside");
        assert_eq!(screen_text(&buf), ["┌t───────┐", "│01234567│", "└────────┘"]);
        let inner = pane(Rect::new(0, 0, 50, 1), "t", &mut buf);
        assert_eq!((inner.width, inner.height), (0, 0));
        put(&mut buf, inner, 0, 0, "nothing");
        assert_eq!(tail(&[1, 2, 3], 2), [2, 3]);
        assert_eq!(tail(&[1], 5), [1]);
    }
}
