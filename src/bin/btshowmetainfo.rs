//! btshowmetainfo: print what .torrent files say, in BitTornado's layout, followed by the
//! keys BitTornado did not show (v2 info-hash, web seeds, private flag, creator, date, version).

use std::path::Path;
use std::process::ExitCode;

use bitgocho::cli::{self, options};
use bitgocho::metainfo::{MetaVersion, Metainfo};

/// BitTornado 0.3.18's version string for this tool.
const TOOL_VERSION: &str = "20030621";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let prog = cli::progname();
    println!("{prog} {TOOL_VERSION} - decode BitTorrent metainfo files");
    println!();
    let mut failed = false;
    let mut no_files = false;
    let code = cli::run(|| {
        let parsed = options::parse(&args, &[], 0, None)?;
        if parsed.version {
            println!("{}", cli::version_string());
            return Ok(());
        }
        if parsed.help || parsed.positional.is_empty() {
            println!("{} file1.torrent file2.torrent file3.torrent ...", usage_name());
            println!();
            no_files = !parsed.help;
            return Ok(());
        }
        for file in &parsed.positional {
            match Metainfo::from_file(Path::new(file)) {
                Ok(m) => print!("{}", show(file, &m)),
                Err(e) => {
                    eprintln!("error: {file}: {e}");
                    failed = true;
                }
            }
        }
        Ok(())
    });
    if no_files {
        return ExitCode::from(2);
    }
    if failed {
        ExitCode::from(1)
    } else {
        code
    }
}

/// `argv[0]` as typed, as BitTornado's usage line shows it.
fn usage_name() -> String {
    std::env::args().next().unwrap_or_else(|| "btshowmetainfo".into())
}

/// Replaces control characters so that text from a .torrent cannot drive the terminal.
fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The report for one torrent: BitTornado's lines, then ours.
fn show(file: &str, m: &Metainfo) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| out.push_str(&format!("{label}: {value}\n"));
    let base = Path::new(file).file_name().map_or(file.into(), |n| n.to_string_lossy());
    line("metainfo file.", &clean(&base));
    match (m.info_hash_v1(), m.info_hash_v2()) {
        (Some(v1), _) => line("info hash.....", &hex(&v1)),
        (None, Some(v2)) => line("info hash.....", &format!("{} (v2 only: SHA-256 info-hash)", hex(&v2))),
        (None, None) => {}
    }
    let v2_only = m.version() == MetaVersion::V2;
    let shown: Vec<_> = m.files().iter().filter(|f| !(v2_only && f.is_pad())).collect();
    let size: u64 = if v2_only { shown.iter().map(|f| f.length()).sum() } else { m.total_length() };
    let name = clean(m.name());
    if m.is_multi_file() {
        line("directory name", &name);
        line("files.........", "");
        for f in &shown {
            let comps = f.components();
            let inner = if comps.len() > 1 && comps[0] == m.name() { &comps[1..] } else { comps };
            let line = format!("   {} ({})\n", clean(&inner.join("/")), f.length());
            out.push_str(&line);
        }
    } else {
        line("file name.....", &name);
    }
    let mut line = |label: &str, value: &str| out.push_str(&format!("{label}: {value}\n"));
    let (q, r) = (size / m.piece_length(), size % m.piece_length());
    let label = if m.is_multi_file() { "archive size.." } else { "file size....." };
    line(label, &format!("{size} ({q} * {} + {r})", m.piece_length()));
    match m.announce() {
        Some(a) => line("announce url..", &clean(a)),
        None => out.push_str("***WARNING*** - no announce key\n"),
    }
    let mut line = |label: &str, value: &str| out.push_str(&format!("{label}: {value}\n"));
    if !m.announce_list().is_empty() {
        let tiers: Vec<String> = m.announce_list().iter().map(|t| clean(&t.join(","))).collect();
        line("announce-list.", &tiers.join("|"));
    }
    if !m.http_seeds().is_empty() {
        line("http seeds....", &clean(&m.http_seeds().join("|")));
    }
    if let Some(c) = m.comment() {
        line("comment.......", &clean(c));
    }
    out.push_str(&extra_lines(m));
    out
}

/// The keys BitTornado did not print.
fn extra_lines(m: &Metainfo) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| out.push_str(&format!("{label}: {value}\n"));
    if let Some(v2) = m.info_hash_v2() {
        line("info hash v2..", &hex(&v2));
    }
    if !m.url_list().is_empty() {
        line("url list......", &clean(&m.url_list().join("|")));
    }
    if !m.nodes().is_empty() {
        let nodes: Vec<String> = m.nodes().iter().map(|(h, p)| format!("{}:{p}", clean(h))).collect();
        line("dht nodes.....", &nodes.join("|"));
    }
    if m.is_private() {
        line("private.......", "yes");
    }
    if let Some(c) = m.created_by() {
        line("created by....", &clean(c));
    }
    if let Some(d) = m.creation_date() {
        line("creation date.", &format!("{d} ({})", utc(d)));
    }
    line("meta version..", m.version().as_str());
    out
}

/// `YYYY-MM-DD HH:MM:SS UTC` for Unix seconds (proleptic Gregorian calendar).
fn utc(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_234_567), "1970-01-15 06:56:07 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_359_599_503), "2013-01-31 02:31:43 UTC");
    }

    #[test]
    fn control_characters_are_cleaned() {
        assert_eq!(clean("a\x1b[31mb\n"), "a?[31mb?");
    }
}
