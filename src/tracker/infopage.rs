//! The info page served at `/`: an HTML5 document with a table of tracked torrents (sortable
//! by clicking a column header, with a few lines of inline script and no external resource),
//! a totals row, the server time and the tracker version.

use super::allowed::hex;
use super::query::InfoHash;
use std::fmt::Write;

/// The version shown on the page and in the `/` title.
pub const TRACKER_VERSION: &str = concat!("bitgocho ", env!("CARGO_PKG_VERSION"), " (BitTornado-compatible)");

/// One torrent row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoRow {
    /// The info-hash.
    pub info_hash: InfoHash,
    /// Name, when known from allowed_dir and `show_names` is on.
    pub name: Option<String>,
    /// Total size in bytes, when known.
    pub size: Option<u64>,
    /// Seeds.
    pub seeds: u64,
    /// Leechers.
    pub leechers: u64,
    /// Completed downloads.
    pub completed: u64,
}

/// Page options.
#[derive(Debug, Clone, Copy, Default)]
pub struct InfoPageOptions {
    /// Show the name and size columns.
    pub show_names: bool,
    /// Link names to `/file?info_hash=`.
    pub allow_get: bool,
    /// Link the favicon.
    pub favicon: bool,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Formats a byte count as BitTornado did: `<n>B`, whole KiB/MiB, two-decimal GiB/TiB.
pub fn format_size(n: u64) -> String {
    match n {
        0..1024 => format!("{n}B"),
        1024..0x10_0000 => format!("{}KiB", n >> 10),
        0x10_0000..0x4000_0000 => format!("{}MiB", n >> 20),
        0x4000_0000..0x100_0000_0000 => format!("{:.2}GiB", n as f64 / (1u64 << 30) as f64),
        _ => format!("{:.2}TiB", n as f64 / (1u64 << 40) as f64),
    }
}

/// `YYYY-MM-DD HH:MM UTC` for Unix seconds.
pub fn utc_time(now: u64) -> String {
    let days = (now / 86_400) as i64;
    let secs = now % 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}\
th,td{border:1px solid #bbb;padding:.3em .6em}th{background:#eee;cursor:pointer;user-select:none}\
td.n{text-align:right}tfoot td{font-weight:bold;background:#f6f6f6}code{font-size:.9em}";

const SCRIPT: &str = "document.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){\
var tb=th.closest('table').tBodies[0],rows=Array.from(tb.rows),asc=th.dataset.dir!=='asc';\
th.closest('tr').querySelectorAll('th').forEach(function(h){delete h.dataset.dir});th.dataset.dir=asc?'asc':'desc';\
rows.sort(function(a,b){var x=a.cells[i].dataset.v,y=b.cells[i].dataset.v,nx=Number(x),ny=Number(y);\
var c=(x!==''&&y!==''&&!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return asc?c:-c});\
rows.forEach(function(r){tb.appendChild(r)})})});";

fn cell(out: &mut String, sort_key: &str, html: &str, numeric: bool) {
    let class = if numeric { " class=\"n\"" } else { "" };
    let _ = write!(out, "<td{class} data-v=\"{}\">{html}</td>", escape_html(sort_key));
}

fn row_html(out: &mut String, r: &InfoRow, opts: &InfoPageOptions) {
    let h = hex(&r.info_hash);
    out.push_str("<tr>");
    cell(out, &h, &format!("<code>{h}</code>"), false);
    if opts.show_names {
        let name = r.name.as_deref().unwrap_or("");
        let shown = if opts.allow_get && r.name.is_some() {
            format!("<a href=\"/file?info_hash={}\">{}</a>", percent_hash(&r.info_hash), escape_html(name))
        } else {
            escape_html(name)
        };
        cell(out, &name.to_lowercase(), &shown, false);
        let size = r.size.unwrap_or(0);
        cell(out, &size.to_string(), &format_size(size), true);
    }
    for n in [r.seeds, r.leechers, r.completed] {
        cell(out, &n.to_string(), &n.to_string(), true);
    }
    if opts.show_names {
        let t = r.size.unwrap_or(0).saturating_mul(r.completed);
        cell(out, &t.to_string(), &format_size(t), true);
    }
    out.push_str("</tr>\n");
}

/// Percent-encodes a hash for a URL.
pub fn percent_hash(h: &InfoHash) -> String {
    h.iter().map(|b| format!("%{b:02X}")).collect()
}

fn totals_html(out: &mut String, rows: &[InfoRow], opts: &InfoPageOptions) {
    let sum = |f: fn(&InfoRow) -> u64| rows.iter().map(f).fold(0u64, u64::saturating_add);
    let files = if rows.len() == 1 { "1 file".to_string() } else { format!("{} files", rows.len()) };
    let _ = write!(out, "<tfoot><tr><td>{files}</td>");
    if opts.show_names {
        let _ = write!(out, "<td></td><td class=\"n\">{}</td>", format_size(sum(|r| r.size.unwrap_or(0))));
    }
    for n in [sum(|r| r.seeds), sum(|r| r.leechers), sum(|r| r.completed)] {
        let _ = write!(out, "<td class=\"n\">{n}</td>");
    }
    if opts.show_names {
        let t = sum(|r| r.size.unwrap_or(0).saturating_mul(r.completed));
        let _ = write!(out, "<td class=\"n\">{}</td>", format_size(t));
    }
    out.push_str("</tr></tfoot>\n");
}

/// Renders the page; `rows` are sorted by name (then hash) here.
pub fn render(mut rows: Vec<InfoRow>, opts: &InfoPageOptions, now: u64) -> String {
    rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.info_hash.cmp(&b.info_hash)));
    let mut out = String::with_capacity(2048 + rows.len() * 400);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<title>BitTorrent download info</title>\n");
    if opts.favicon {
        out.push_str("<link rel=\"icon\" href=\"/favicon.ico\">\n");
    }
    let _ = write!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<h3>BitTorrent download info</h3>\n<ul>\n");
    let _ = writeln!(out, "<li><strong>tracker version:</strong> {}</li>", escape_html(TRACKER_VERSION));
    let _ = write!(out, "<li><strong>server time:</strong> {}</li>\n</ul>\n", utc_time(now));
    if rows.is_empty() {
        out.push_str("<p>not tracking any files yet...</p>\n</body>\n</html>\n");
        return out;
    }
    out.push_str("<table id=\"torrents\">\n<thead><tr><th>info hash</th>");
    if opts.show_names {
        out.push_str("<th>torrent name</th><th>size</th>");
    }
    out.push_str("<th>complete</th><th>downloading</th><th>downloaded</th>");
    if opts.show_names {
        out.push_str("<th>transferred</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &rows {
        row_html(&mut out, r, opts);
    }
    out.push_str("</tbody>\n");
    totals_html(&mut out, &rows, opts);
    out.push_str(
        "</table>\n<ul>\n<li><em>info hash:</em> SHA-1 hash of the \"info\" section of the metainfo (*.torrent)</li>\n",
    );
    if opts.show_names {
        out.push_str(
            "<li><em>size:</em> total size of the files; <em>transferred:</em> size &times; downloaded</li>\n",
        );
    }
    out.push_str("<li><em>complete:</em> connected seeds; <em>downloading:</em> connected leechers; ");
    out.push_str("<em>downloaded:</em> reported complete downloads</li>\n</ul>\n");
    out.push_str("<p><small>Click a column header to sort.</small></p>\n");
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, size: u64, s: u64, l: u64, c: u64) -> InfoRow {
        InfoRow {
            info_hash: [name.len() as u8; 20],
            name: Some(name.into()),
            size: Some(size),
            seeds: s,
            leechers: l,
            completed: c,
        }
    }

    #[test]
    fn sizes_and_time() {
        assert_eq!(format_size(1023), "1023B");
        assert_eq!(format_size(1536), "1KiB");
        assert_eq!(format_size(5 << 20), "5MiB");
        assert_eq!(format_size(3 << 29), "1.50GiB");
        assert_eq!(format_size(1 << 41), "2.00TiB");
        assert_eq!(utc_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_time(1_709_210_096), "2024-02-29 12:34 UTC");
    }

    #[test]
    fn empty_page() {
        let page = render(Vec::new(), &InfoPageOptions::default(), 0);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("not tracking any files yet..."));
        assert!(!page.contains("<table"));
    }

    #[test]
    fn table_with_totals_and_escaped_names() {
        let opts = InfoPageOptions { show_names: true, allow_get: true, favicon: true };
        let rows = vec![row("<b>&evil\"", 1 << 20, 1, 2, 3), row("ok", 1000, 4, 5, 6)];
        let page = render(rows, &opts, 86_400);
        assert!(page.contains("&lt;b&gt;&amp;evil&quot;"));
        assert!(!page.contains("<b>&evil"));
        assert!(page.contains("<tfoot><tr><td>2 files</td><td></td><td class=\"n\">1MiB</td><td class=\"n\">5</td><td class=\"n\">7</td><td class=\"n\">9</td><td class=\"n\">3MiB</td>"));
        assert!(page.contains("href=\"/file?info_hash=%"));
        assert!(page.contains("1970-01-02 00:00 UTC"));
        assert!(page.contains("<script>") && !page.contains("src="));
        let plain = render(vec![row("x", 1, 1, 1, 1)], &InfoPageOptions::default(), 0);
        assert!(plain.contains("1 file</td>") && !plain.contains("torrent name"));
    }
}
