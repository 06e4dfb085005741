//! btcompletedir: make a .torrent for every file or directory inside each directory given.

use bitgocho::cli::makemeta::{create_options, make_one, parse_command_line, MAKEMETA_OPTS, TIERS_EXPLANATION};
use bitgocho::cli::options::{format_help, Parsed};
use bitgocho::cli::progress::ProgressDisplay;
use bitgocho::cli::{progname, run, Exit};
use bitgocho::metainfo::walk::is_skipped_name;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The usage text: synopsis, what the tool does, option help and the tier explanation.
fn usage() -> String {
    format!(
        "Usage: {} <trackerurl> <dir> [dir...] [params...]\n\
         makes a .torrent file for every file or directory present in each dir.\n\n{}{}",
        progname(),
        format_help(MAKEMETA_OPTS, 80),
        TIERS_EXPLANATION
    )
}

/// The entries of `dir` to make torrents of, sorted by name: not `*.torrent`, not skipped
/// names, not already having a `<name>.torrent` beside them.
fn entries(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let read = std::fs::read_dir(dir).map_err(|e| format!("cannot read directory {}: {e}", dir.display()))?;
    let mut names = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| format!("cannot read directory {}: {e}", dir.display()))?;
        let name = entry.file_name();
        let bytes = name.as_bytes();
        if is_skipped_name(bytes) || bytes.ends_with(b".torrent") {
            continue;
        }
        let mut torrent = name.clone();
        torrent.push(".torrent");
        if dir.join(&torrent).exists() {
            continue;
        }
        names.push((name.to_string_lossy().into_owned(), entry.path()));
    }
    names.sort_by(|a, b| a.1.as_os_str().as_bytes().cmp(b.1.as_os_str().as_bytes()));
    Ok(names)
}

/// Makes the torrents of one directory; returns the number of failures.
fn complete_dir(parsed: &Parsed, dir: &Path, display: &mut ProgressDisplay, tty: bool) -> Result<usize, Exit> {
    let list = match entries(dir) {
        Ok(l) => l,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Ok(1);
        }
    };
    let target_dir = parsed.str("target");
    let mut failed = 0;
    for (name, path) in list {
        let out_dir = if target_dir.is_empty() { dir.to_path_buf() } else { PathBuf::from(target_dir) };
        let out = out_dir.join(format!("{name}.torrent"));
        if out.exists() {
            continue;
        }
        let opts = create_options(parsed, &path)?;
        match make_one(&opts, &out, if tty { Some(&mut *display) } else { None }) {
            Ok(()) => println!("created {}", out.display()),
            Err(msg) => {
                eprintln!("error: {msg}");
                failed += 1;
            }
        }
    }
    Ok(failed)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    run(|| {
        let missing = "need a tracker URL and at least one directory";
        let Some(parsed) = parse_command_line(&args, &usage(), missing)? else {
            return Ok(());
        };
        let mut display = ProgressDisplay::for_stderr();
        // SAFETY: isatty only inspects the descriptor number.
        let tty = unsafe { libc::isatty(libc::STDERR_FILENO) } == 1;
        let mut failed = 0;
        for dir in &parsed.positional[1..] {
            failed += complete_dir(&parsed, Path::new(dir), &mut display, tty)?;
        }
        match failed {
            0 => Ok(()),
            n => Err(Exit::Failure(format!("{n} torrents could not be made"))),
        }
    })
}
