//! What btmakemetafile and btcompletedir share: their option table, the mapping of options to
//! [`CreateOptions`], output naming, and making one .torrent with progress.

use super::options::{parse, Opt, Parsed};
use super::progress::{show_while, ProgressDisplay};
use super::{version_string, Exit};
use crate::fsutil::write_atomic;
use crate::metainfo::create::{create, CreateOptions, TorrentVersion};
use crate::metainfo::hasher::Progress;
use std::path::{Path, PathBuf};

/// The options of both torrent makers (reference §2.5, plus ours after `target`).
pub const MAKEMETA_OPTS: &[Opt] = &[
    Opt::str(
        "announce_list",
        "",
        "a list of announce URLs - explained below; tiers are separated by |, URLs within a tier by ,",
    ),
    Opt::str("httpseeds", "", "a list of http seed URLs separated by |"),
    Opt::int("piece_size_pow2", 0, "which power of 2 to set the piece size to (0 = automatic)"),
    Opt::str("comment", "", "optional human-readable comment to put in .torrent"),
    Opt::str("filesystem_encoding", "", "accepted for compatibility and ignored: file names are read as UTF-8"),
    Opt::str("target", "", "optional target file for the torrent"),
    Opt::int("v2", 0, "1 to make a BitTorrent v2 (BEP 52) torrent"),
    Opt::int("hybrid", 0, "1 to make a hybrid v1+v2 torrent, loadable by v1 and v2 clients"),
    Opt::int("private", 0, "1 to set the private flag (BEP 27)"),
    Opt::str("url_list", "", "web seed URLs (BEP 19 url-list) separated by |"),
    Opt::str("created_by", "", "optional 'created by' string"),
    Opt::int("creation_date", 0, "creation date in Unix seconds (0 = now, -1 = leave it out)"),
    Opt::int("threads", 0, "hashing threads (0 = one per core)"),
];

/// The text after the option help explaining tracker tiers and HTTP seeds.
pub const TIERS_EXPLANATION: &str = "\
announce_list: tiers of trackers, tried in order; a client tries every URL of a tier before
the next tier.  Tiers are separated by | and the URLs of one tier by a comma, e.g.
  --announce_list 'http://a/announce,http://b/announce|http://backup/announce'
httpseeds: HTTP seed URLs (BEP 17) separated by |, e.g.
  --httpseeds 'http://seed1/seed|http://seed2/seed'
";

/// Splits `s` on `sep`, trimming items and dropping empty ones.
fn split_list(s: &str, sep: char) -> Vec<String> {
    s.split(sep).map(str::trim).filter(|u| !u.is_empty()).map(String::from).collect()
}

/// The creation options for `input` from the parsed command line (announce = first positional).
pub fn create_options(parsed: &Parsed, input: &Path) -> Result<CreateOptions, Exit> {
    let bad = |name: &str, why: &str| Exit::Usage(format!("wrong format of --{name} - {why}"));
    let version = match (parsed.int("v2") != 0, parsed.int("hybrid") != 0) {
        (false, false) => TorrentVersion::V1,
        (true, false) => TorrentVersion::V2,
        (_, true) => TorrentVersion::Hybrid,
    };
    let pow2 = u32::try_from(parsed.int("piece_size_pow2")).map_err(|_| bad("piece_size_pow2", "negative"))?;
    let threads = usize::try_from(parsed.int("threads")).map_err(|_| bad("threads", "negative"))?;
    let creation_date = match parsed.int("creation_date") {
        0 => Some(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)),
        -1 => None,
        n if n > 0 => Some(n),
        _ => return Err(bad("creation_date", "must be a Unix time, 0 or -1")),
    };
    let created_by = Some(parsed.str("created_by").to_string()).filter(|s| !s.is_empty());
    Ok(CreateOptions {
        input: input.to_path_buf(),
        announce: parsed.positional[0].trim().to_string(),
        announce_list: parsed
            .str("announce_list")
            .split('|')
            .map(|t| split_list(t, ','))
            .filter(|t| !t.is_empty())
            .collect(),
        comment: parsed.str("comment").to_string(),
        httpseeds: split_list(parsed.str("httpseeds"), '|'),
        url_list: split_list(parsed.str("url_list"), '|'),
        private: parsed.int("private") != 0,
        created_by,
        creation_date,
        piece_size_pow2: pow2,
        version,
        threads,
        ..CreateOptions::default()
    })
}

/// Parses a torrent maker's command line. `--version` and `--help` (which prints `usage`) are
/// answered here and give `None`; fewer than two positionals print `usage` and are the usage
/// error `missing`. Notes on stderr that `--filesystem_encoding` is ignored.
pub fn parse_command_line(args: &[String], usage: &str, missing: &str) -> Result<Option<Parsed>, Exit> {
    let parsed = parse(args, MAKEMETA_OPTS, 0, None)?;
    if parsed.version {
        println!("{}", version_string());
        return Ok(None);
    }
    if parsed.help {
        print!("{usage}");
        return Ok(None);
    }
    if parsed.positional.len() < 2 {
        print!("{usage}");
        return Err(Exit::Usage(missing.into()));
    }
    if !parsed.str("filesystem_encoding").is_empty() {
        eprintln!("note: --filesystem_encoding is ignored; file names are read as UTF-8");
    }
    Ok(Some(parsed))
}

/// `<input>.torrent` next to the input, trailing slashes dropped (`dir/` gives `dir.torrent`).
pub fn default_target(input: &str) -> PathBuf {
    let trimmed = input.trim_end_matches('/');
    let base = if trimmed.is_empty() { "/" } else { trimmed };
    let name_less = Path::new(base).file_name().is_none() || base.ends_with("/.") || base == ".";
    if name_less {
        if let Ok(canon) = std::fs::canonicalize(base) {
            let mut s = canon.into_os_string();
            s.push(".torrent");
            return PathBuf::from(s);
        }
    }
    PathBuf::from(format!("{base}.torrent"))
}

/// Makes the torrent of `opts` and writes it atomically to `target`, showing progress on
/// `display` when given. The error message names the input or output at fault.
pub fn make_one(opts: &CreateOptions, target: &Path, display: Option<&mut ProgressDisplay>) -> Result<(), String> {
    let progress = Progress::new();
    let result = match display {
        Some(d) => show_while(&progress, d, || create(opts, &progress)),
        None => create(opts, &progress),
    };
    let bytes = result.map_err(|e| e.to_string())?;
    write_atomic(target, &bytes).map_err(|e| format!("cannot write {}: {e}", target.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_names() {
        assert_eq!(default_target("dir/"), PathBuf::from("dir.torrent"));
        assert_eq!(default_target("a/b.iso"), PathBuf::from("a/b.iso.torrent"));
        let cwd = std::env::current_dir().unwrap();
        let mut expected = cwd.into_os_string();
        expected.push(".torrent");
        assert_eq!(default_target("."), PathBuf::from(expected));
    }

    #[test]
    fn options_map_to_create_options() {
        let args: Vec<String> = [
            "http://t/a ",
            "x",
            "--announce_list",
            "http://a,http://b||http://c",
            "--hybrid",
            "1",
            "--url_list=u1|u2",
            "--creation_date",
            "-1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let p = parse(&args, MAKEMETA_OPTS, 2, None).unwrap();
        let o = create_options(&p, Path::new("x")).unwrap();
        assert_eq!(o.announce, "http://t/a");
        assert_eq!(o.announce_list, [vec!["http://a", "http://b"], vec!["http://c"]]);
        assert_eq!(o.version, TorrentVersion::Hybrid);
        assert_eq!(o.url_list, ["u1", "u2"]);
        assert_eq!(o.creation_date, None);
    }
}
