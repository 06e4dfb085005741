//! The texts of the curses screens (reference §2.2, §2.3): sizes with thousands separators and
//! a binary unit, progress bars of `#` and `_`, `H:MM:SS` estimates, `KB/s` speeds and the
//! status line of btdownloadcurses.

use crate::cli::status_block::{percent_text, Phase, StatusFigures};

/// Estimates at or beyond this many seconds (60 days) are not shown.
const ETA_LIMIT: u64 = 5_184_000;
/// Binary unit suffixes, each 1024 times the previous.
const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// `n` with a comma every three digits: `734,003,200`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `bytes` in the largest binary unit that keeps the number at least 1, with one decimal
/// unless it is whole: `700 MiB`, `1.4 MiB`, `512 B`.
pub fn binary_size(bytes: u64) -> String {
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

/// The `size:` field: `734,003,200 (700 MiB)`.
pub fn size_text(bytes: u64) -> String {
    format!("{} ({})", thousands(bytes), binary_size(bytes))
}

/// A bar `width` characters wide: `#` for the part done, `_` for the rest.
pub fn bar(fraction: f64, width: usize) -> String {
    let fraction = if fraction.is_nan() { 0.0 } else { fraction.clamp(0.0, 1.0) };
    let done = ((fraction * width as f64).floor() as usize).min(width);
    format!("{}{}", "#".repeat(done), "_".repeat(width - done))
}

/// Seconds as `H:MM:SS`.
pub fn clock(secs: u64) -> String {
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// A rate in bytes per second as `12.3 KB/s` (1 KB = 1024 bytes, as BitTornado showed it).
pub fn speed(bytes_per_second: f64) -> String {
    format!("{:.1} KB/s", bytes_per_second.max(0.0) / 1024.0)
}

/// The `status:` field of btdownloadcurses: `finishing in H:MM:SS (45.6%)`, the activity with
/// the percentage (`connecting to peers (0.0%)`), `download complete!`, `download succeeded!`
/// or `download failed!`.
pub fn status_text(f: &StatusFigures) -> String {
    let pct = percent_text(f.fraction);
    match f.phase {
        Phase::Succeeded => "download succeeded!".into(),
        Phase::Failed => "download failed!".into(),
        Phase::Checking => format!("checking existing data ({pct}%)"),
        Phase::Connecting => format!("connecting to peers ({pct}%)"),
        Phase::Metadata => format!("downloading metadata ({pct}%)"),
        Phase::ShuttingDown => format!("shutting down ({pct}%)"),
        Phase::Downloading => match f.eta {
            Some(0) => "download complete!".into(),
            Some(n) if n < ETA_LIMIT => format!("finishing in {} ({pct}%)", clock(n)),
            _ => format!("downloading ({pct}%)"),
        },
    }
}

/// The fraction the progress bar shows: everything once the download succeeded.
pub fn bar_fraction(f: &StatusFigures) -> f64 {
    if f.phase == Phase::Succeeded {
        1.0
    } else {
        f.fraction
    }
}

/// The `sharing:` field: `0.250 (3 MiB up / 12 MiB down)`.
pub fn sharing_text(f: &StatusFigures) -> String {
    let rating = crate::cli::status_block::share_rating(f.uploaded, f.downloaded);
    format!("{rating} ({} up / {} down)", binary_size(f.uploaded), binary_size(f.downloaded))
}

/// The `seeds:` field: `2 seen now, plus 1.500 distributed copies` (`seen recently` once the
/// download succeeded).
pub fn seeds_text(f: &StatusFigures) -> String {
    let seen = if f.phase == Phase::Succeeded { "seen recently" } else { "seen now" };
    format!("{} {seen}, plus {:.3} distributed copies", f.seeds, f.distributed_copies)
}

/// The `peers:` field: `5 seen now, 31.4% done at 50.0 KB/s`.
pub fn peers_text(f: &StatusFigures) -> String {
    format!("{} seen now, {:.1}% done at {}", f.peers, f.peers_done.clamp(0.0, 1.0) * 100.0, speed(f.swarm_rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(phase: Phase, eta: Option<u64>) -> StatusFigures {
        StatusFigures::sample(phase, 0.45678, eta)
    }

    #[test]
    fn sizes() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(734_003_200), "734,003,200");
        assert_eq!(size_text(734_003_200), "734,003,200 (700 MiB)");
        assert_eq!(size_text(1_500_000), "1,500,000 (1.4 MiB)");
        assert_eq!(binary_size(512), "512 B");
        assert_eq!(binary_size(1536), "1.5 KiB");
        assert_eq!(binary_size(5 << 30), "5 GiB");
        assert_eq!(binary_size(u64::MAX), "16 EiB");
    }

    #[test]
    fn bars() {
        assert_eq!(bar(0.0, 10), "__________");
        assert_eq!(bar(0.45, 10), "####______");
        assert_eq!(bar(0.999, 10), "#########_");
        assert_eq!(bar(1.0, 10), "##########");
        assert_eq!(bar(7.0, 4), "####");
        assert_eq!(bar(f64::NAN, 3), "___");
        assert_eq!(bar(0.5, 0), "");
    }

    #[test]
    fn clocks_and_speeds() {
        assert_eq!(clock(0), "0:00:00");
        assert_eq!(clock(3725), "1:02:05");
        assert_eq!(clock(100 * 3600 + 59), "100:00:59");
        assert_eq!(speed(12_697.6), "12.4 KB/s");
        assert_eq!(speed(-5.0), "0.0 KB/s");
    }

    #[test]
    fn status_lines() {
        assert_eq!(status_text(&figures(Phase::Downloading, Some(3725))), "finishing in 1:02:05 (45.6%)");
        assert_eq!(status_text(&figures(Phase::Downloading, Some(0))), "download complete!");
        assert_eq!(status_text(&figures(Phase::Downloading, None)), "downloading (45.6%)");
        assert_eq!(status_text(&figures(Phase::Downloading, Some(ETA_LIMIT))), "downloading (45.6%)");
        assert_eq!(status_text(&figures(Phase::Succeeded, Some(0))), "download succeeded!");
        assert_eq!(status_text(&figures(Phase::Failed, None)), "download failed!");
        assert_eq!(status_text(&figures(Phase::Checking, None)), "checking existing data (45.6%)");
        assert_eq!(status_text(&figures(Phase::Connecting, None)), "connecting to peers (45.6%)");
        assert_eq!(status_text(&figures(Phase::ShuttingDown, None)), "shutting down (45.6%)");
        assert_eq!(bar_fraction(&figures(Phase::Succeeded, None)), 1.0);
    }

    #[test]
    fn swarm_fields() {
        let f = figures(Phase::Downloading, None);
        assert_eq!(sharing_text(&f), "0.250 (3 MiB up / 12 MiB down)");
        assert_eq!(seeds_text(&f), "2 seen now, plus 1.500 distributed copies");
        assert_eq!(peers_text(&f), "5 seen now, 31.4% done at 50.0 KB/s");
        assert!(seeds_text(&figures(Phase::Succeeded, None)).starts_with("2 seen recently"));
    }
}
