//! btreannounce: replace the trackers of .torrent files (BitTornado 0.3.18 syntax).
//!
//! `btreannounce <announce> [--announce_list <arg>] file1.torrent [file2.torrent ...]`
//! Unlike BitTornado, an existing announce-list is kept unless `--announce_list` is given
//! (`--announce_list ''` removes it), and the option may appear anywhere.

use std::process::ExitCode;

use bitgocho::cli::{self, edit_tool, options, Opt, Parsed};
use bitgocho::metainfo::edit::parse_tiers;

const OPTIONS: &[Opt] = &[Opt::str(
    "announce_list",
    "",
    "tracker tiers url[,url...][|url[,url...]...] replacing the announce-list; '' removes it; when \
     not given, an existing announce-list is kept",
)];

fn usage(prog: &str) -> String {
    format!(
        "Usage: {prog} <announce> [--announce_list <arg>] file1.torrent [file2.torrent...]

  Where:
    announce = tracker URL
           Example: http://www.tracker.com:6699/announce

    announce_list = optional list of redundant/backup tracker URLs, in the format:
           url[,url...][|url[,url...]...]
                where URLs separated by commas are all tried first
                before the next group of URLs separated by the pipe is checked.
                If none is given, an existing announce-list is kept;
                give '' to remove it.
                If announce-list is given, clients which support it
                will ignore the <announce> value.
           Examples:
                http://tracker1.com|http://tracker2.com|http://tracker3.com
                     (tries trackers 1-3 in order)
                http://tracker1.com,http://tracker2.com,http://tracker3.com
                     (tries trackers 1-3 in a randomly selected order)
                http://tracker1.com|http://backup1.com,http://backup2.com
                     (tries tracker 1 first, then tries between the 2 backups randomly)
"
    )
}

fn main() -> ExitCode {
    let prog = cli::progname();
    let help = format!("{}\n{}", usage(&prog), options::format_help(OPTIONS, 80));
    let short = |p: &Parsed| {
        if p.positional.len() == 1 && p.is_given("announce_list") {
            "error: no .torrent files given\n".to_string()
        } else {
            usage(&prog)
        }
    };
    let parsed = match edit_tool::parse_for_files(OPTIONS, &help, short) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let pos = &parsed.positional;
    let tiers = parsed.is_given("announce_list").then(|| parse_tiers(parsed.str("announce_list")));
    edit_tool::edit_each(&pos[1..], |file, ed| {
        edit_tool::print_old_trackers(file, ed);
        ed.set_announce(&pos[0]);
        match &tiers {
            Some(tiers) => ed.set_announce_list(Some(tiers.clone())),
            None => warn_if_announce_ignored(file, &ed.announce_list(), &pos[0]),
        }
        Ok(())
    })
}

/// Notes on stderr when a kept announce-list does not hold the new URL: clients that support
/// announce-list then ignore `announce`.
fn warn_if_announce_ignored(file: &str, kept: &Option<Vec<Vec<String>>>, announce: &str) {
    if let Some(tiers) = kept {
        if !tiers.iter().flatten().any(|u| u == announce.trim()) {
            eprintln!(
                "note: {file} keeps its announce-list, which clients prefer over the announce URL; \
                 use --announce_list to replace it or --announce_list '' to remove it"
            );
        }
    }
}
