//! btreannounce: replace the trackers of .torrent files (BitTornado 0.3.18 syntax).
//!
//! `btreannounce <announce> [--announce_list <arg>] file1.torrent [file2.torrent ...]`
//! Unlike BitTornado, an existing announce-list is kept unless `--announce_list` is given
//! (`--announce_list ''` removes it), and the option may appear anywhere.

use std::path::Path;
use std::process::ExitCode;

use bitgocho::cli::{self, options, Opt};
use bitgocho::metainfo::edit::{edit_file, format_tiers, parse_tiers};

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
    let args = match utf8_args() {
        Ok(a) => a,
        Err(bad) => {
            eprintln!("error: argument is not valid UTF-8: {bad}");
            return ExitCode::from(2);
        }
    };
    let parsed = match options::parse(&args, OPTIONS, 0, None) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("run with --help for parameter explanations");
            return ExitCode::from(2);
        }
    };
    if parsed.help {
        print!("{}\n{}", usage(&prog), options::format_help(OPTIONS, 80));
        return ExitCode::SUCCESS;
    }
    if parsed.version {
        println!("{}", cli::version_string());
        return ExitCode::SUCCESS;
    }
    let pos = &parsed.positional;
    if pos.len() < 2 {
        if pos.len() == 1 && parsed.is_given("announce_list") {
            println!("error: no .torrent files given\n");
        } else {
            println!("{}", usage(&prog));
        }
        return ExitCode::from(2);
    }
    let tiers = parsed.is_given("announce_list").then(|| parse_tiers(parsed.str("announce_list")));
    let mut failed = false;
    for file in &pos[1..] {
        let result = edit_file(Path::new(file), |ed| {
            if let Some(old) = ed.announce() {
                println!("old announce for {file}: {old}");
            }
            if let Some(old) = ed.announce_list() {
                println!("old announce-list for {file}: {}", format_tiers(&old));
            }
            ed.set_announce(&pos[0]);
            match &tiers {
                Some(tiers) => ed.set_announce_list(Some(tiers.clone())),
                None => warn_if_announce_ignored(file, &ed.announce_list(), &pos[0]),
            }
            Ok(())
        });
        if let Err(e) = result {
            eprintln!("error: {e}");
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The arguments after the program name, or the first one that is not valid UTF-8.
fn utf8_args() -> Result<Vec<String>, String> {
    std::env::args_os().skip(1).map(|a| a.into_string().map_err(|a| a.to_string_lossy().into_owned())).collect()
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
