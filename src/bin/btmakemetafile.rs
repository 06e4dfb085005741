//! btmakemetafile: make a .torrent for each file or directory given (BitTornado syntax).

use bitgocho::cli::makemeta::{
    create_options, default_target, make_one, parse_command_line, MAKEMETA_OPTS, TIERS_EXPLANATION,
};
use bitgocho::cli::options::format_help;
use bitgocho::cli::progress::ProgressDisplay;
use bitgocho::cli::{progname, run, Exit};
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
        let missing = "need a tracker URL and at least one file or directory";
        let Some(parsed) = parse_command_line(&args, &usage(), missing)? else {
            return Ok(());
        };
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
