//! btcopyannounce: copy `announce` and `announce-list` from one .torrent to others
//! (BitTornado 0.3.18 syntax: `btcopyannounce <source.torrent> <file1.torrent> [...]`).

use std::path::Path;
use std::process::ExitCode;

use bitgocho::cli::{self, edit_tool};
use bitgocho::metainfo::edit::{format_tiers, Editor};

fn usage(prog: &str) -> String {
    format!(
        "Usage: {prog} <source.torrent> <file1.torrent> [file2.torrent...]\n\
         copies announce information from source to all specified torrents"
    )
}

fn main() -> ExitCode {
    let prog = cli::progname();
    let help = format!("{}\n", usage(&prog));
    let parsed = match edit_tool::parse_for_files(&[], &help, |_| usage(&prog)) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let pos = &parsed.positional;
    let source = match load_source(Path::new(&pos[0])) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::FAILURE;
        }
    };
    edit_tool::edit_each(&pos[1..], |file, ed| {
        edit_tool::print_old_trackers(file, ed);
        ed.copy_trackers_from(&source);
        Ok(())
    })
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
