//! btmakemetafile: make a .torrent for each file or directory given (BitTornado syntax).

use bitgocho::cli::makemeta::{create_options, default_target, make_one, MAKEMETA_OPTS, TIERS_EXPLANATION};
use bitgocho::cli::options::{format_help, parse};
use bitgocho::cli::progress::ProgressDisplay;
use bitgocho::cli::{progname, run, version_string, Exit};
use std::path::PathBuf;
use std::process::ExitCode;

/// The usage text: synopsis, option help and the tier explanation.
fn usage() -> String {
    format!(
        "Usage: {} <trackerurl> <file> [file...] [params...]\n\n{}{}",
        progname(),
        format_help(MAKEMETA_OPTS, 80),
        TIERS_EXPLANATION
    )
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    run(|| {
        let parsed = parse(&args, MAKEMETA_OPTS, 0, None)?;
        if parsed.version {
            println!("{}", version_string());
            return Ok(());
        }
        if parsed.help {
            print!("{}", usage());
            return Ok(());
        }
        if parsed.positional.len() < 2 {
            print!("{}", usage());
            return Err(Exit::Usage("need a tracker URL and at least one file or directory".into()));
        }
        if !parsed.str("filesystem_encoding").is_empty() {
            eprintln!("note: --filesystem_encoding is ignored; file names are read as UTF-8");
        }
        let inputs = &parsed.positional[1..];
        let target = parsed.str("target");
        if !target.is_empty() && inputs.len() > 1 {
            return Err(Exit::Usage("--target names one output file; give a single input with it".into()));
        }
        let mut display = ProgressDisplay::for_stderr();
        let mut failures = Vec::new();
        for input in inputs {
            let out = if target.is_empty() { default_target(input) } else { PathBuf::from(target) };
            let opts = create_options(&parsed, input.as_ref())?;
            if let Err(msg) = make_one(&opts, &out, Some(&mut display)) {
                eprintln!("error: {msg}");
                failures.push(input.clone());
            }
        }
        match failures.len() {
            0 => Ok(()),
            n => Err(Exit::Failure(format!("{n} of {} torrents not made: {}", inputs.len(), failures.join(", ")))),
        }
    })
}
