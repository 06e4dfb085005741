//! What the .torrent editor tools (btreannounce, btcopyannounce, btrename, btsethttpseeds) share:
//! UTF-8 argument checks, parsing with BitTornado's usage errors, `--help`/`--version`, and the
//! per-file edit loop that reports `error: <file>: <reason>` and counts failures into the exit code.

use std::path::Path;
use std::process::ExitCode;

use super::options::{parse, Opt, Parsed};
use super::version_string;
use crate::metainfo::edit::{edit_file, format_tiers, EditError, Editor};

/// The arguments after the program name, or the first one that is not valid UTF-8 (lossily shown).
pub fn utf8_args() -> Result<Vec<String>, String> {
    std::env::args_os().skip(1).map(|a| a.into_string().map_err(|a| a.to_string_lossy().into_owned())).collect()
}

/// Prints `error: <msg>` and the `--help` hint to stderr; the exit code of a usage error (2).
pub fn usage_error(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    eprintln!("run with --help for parameter explanations");
    ExitCode::from(2)
}

/// The process arguments parsed against `opts`, or the exit code (2) after reporting a
/// non-UTF-8 argument or an option error on stderr.
pub fn parse_args(opts: &[Opt]) -> Result<Parsed, ExitCode> {
    let args = utf8_args().map_err(|bad| {
        eprintln!("error: argument is not valid UTF-8: {bad}");
        ExitCode::from(2)
    })?;
    parse(&args, opts, 0, None).map_err(|e| usage_error(&e.to_string()))
}

/// The process arguments of a tool taking one argument then .torrent files, parsed against
/// `opts`; or the exit code when the run ends here: 2 after a non-UTF-8 argument or an option
/// error, 0 after answering `--help` (printing `help` as is) or `--version`, and 2 after printing
/// the line `short` gives when fewer than two positional arguments are left.
pub fn parse_for_files(opts: &[Opt], help: &str, short: impl FnOnce(&Parsed) -> String) -> Result<Parsed, ExitCode> {
    let parsed = parse_args(opts)?;
    if let Some(code) = help_or_version(&parsed, help) {
        return Err(code);
    }
    if parsed.positional.len() < 2 {
        println!("{}", short(&parsed));
        return Err(ExitCode::from(2));
    }
    Ok(parsed)
}

/// Answers `--help` (printing `help` as is) or else `--version`; `None` when neither was given.
fn help_or_version(parsed: &Parsed, help: &str) -> Option<ExitCode> {
    if parsed.help {
        print!("{help}");
        return Some(ExitCode::SUCCESS);
    }
    if parsed.version {
        println!("{}", version_string());
        return Some(ExitCode::SUCCESS);
    }
    None
}

/// Prints the `announce` and `announce-list` that `ed` holds before they are replaced.
pub fn print_old_trackers(file: &str, ed: &Editor) {
    if let Some(old) = ed.announce() {
        println!("old announce for {file}: {old}");
    }
    if let Some(old) = ed.announce_list() {
        println!("old announce-list for {file}: {}", format_tiers(&old));
    }
}

/// Edits each file in place with `edit`, printing `error: <reason>` for each one that fails;
/// exit 1 when any failed, else 0.
pub fn edit_each(files: &[String], mut edit: impl FnMut(&str, &mut Editor) -> Result<(), EditError>) -> ExitCode {
    let mut failed = false;
    for file in files {
        if let Err(e) = edit_file(Path::new(file), |ed| edit(file, ed)) {
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
