//! btcopyannounce: copy `announce` and `announce-list` from one .torrent to others
//! (BitTornado 0.3.18 syntax: `btcopyannounce <source.torrent> <file1.torrent> [...]`).

use std::path::Path;
use std::process::ExitCode;

use bitgocho::cli::{self, options};
use bitgocho::metainfo::edit::{edit_file, format_tiers, Editor};

fn usage(prog: &str) -> String {
    format!(
        "Usage: {prog} <source.torrent> <file1.torrent> [file2.torrent...]\n\
         copies announce information from source to all specified torrents"
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
    let parsed = match options::parse(&args, &[], 0, None) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("run with --help for parameter explanations");
            return ExitCode::from(2);
        }
    };
    if parsed.help {
        println!("{}", usage(&prog));
        return ExitCode::SUCCESS;
    }
    if parsed.version {
        println!("{}", cli::version_string());
        return ExitCode::SUCCESS;
    }
    let pos = &parsed.positional;
    if pos.len() < 2 {
        println!("{}", usage(&prog));
        return ExitCode::from(2);
    }
    let source = match load_source(Path::new(&pos[0])) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::FAILURE;
        }
    };
    let mut failed = false;
    for file in &pos[1..] {
        let result = edit_file(Path::new(file), |ed| {
            if let Some(old) = ed.announce() {
                println!("old announce for {file}: {old}");
            }
            if let Some(old) = ed.announce_list() {
                println!("old announce-list for {file}: {}", format_tiers(&old));
            }
            ed.copy_trackers_from(&source);
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

/// Loads the source torrent and prints the trackers that will be copied.
fn load_source(path: &Path) -> Result<Editor, String> {
    let source = Editor::from_file(path).map_err(|e| e.to_string())?;
    let announce = source.announce().ok_or_else(|| format!("{}: no announce URL to copy", path.display()))?;
    println!("new announce: {announce}");
    if let Some(list) = source.announce_list() {
        println!("new announce-list: {}", format_tiers(&list));
    }
    Ok(source)
}

/// The arguments after the program name, or the first one that is not valid UTF-8.
fn utf8_args() -> Result<Vec<String>, String> {
    std::env::args_os().skip(1).map(|a| a.into_string().map_err(|a| a.to_string_lossy().into_owned())).collect()
}
