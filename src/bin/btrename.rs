//! btrename: change the suggested file name (`info.name`) of a .torrent file
//! (BitTornado 0.3.18 syntax: `btrename file.torrent new.filename.ext`). Unlike BitTornado it
//! says that the info-hash changed, and refuses names that are not a single path component.

use std::path::Path;
use std::process::ExitCode;

use bitgocho::cli::{self, edit_tool};
use bitgocho::metainfo::edit::{to_hex, Editor};

fn main() -> ExitCode {
    let argv0 = std::env::args_os().next().map(|a| a.to_string_lossy().into_owned()).unwrap_or_default();
    println!("{} 20021119 - change the suggested filename in a .torrent file\n", cli::progname());
    let parsed = match edit_tool::parse_args(&[]) {
        Ok(p) => p,
        Err(code) => return code,
    };
    if parsed.version {
        println!("{}", cli::version_string());
        return ExitCode::SUCCESS;
    }
    if parsed.help || parsed.positional.len() != 2 {
        println!("{argv0} file.torrent new.filename.ext\n");
        return if parsed.help { ExitCode::SUCCESS } else { ExitCode::from(2) };
    }
    match rename(Path::new(&parsed.positional[0]), &parsed.positional[1]) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Renames, prints the report and writes the file atomically.
fn rename(path: &Path, new_name: &str) -> Result<(), String> {
    let mut ed = Editor::from_file(path).map_err(|e| e.to_string())?;
    let (old_hash, old_v2) = (ed.info_hash(), ed.info_hash_v2());
    let old_name = ed.name().unwrap_or_default();
    ed.set_name(new_name).map_err(|e| e.in_file(path).to_string())?;
    for w in ed.warnings() {
        eprintln!("warning: {}: {w}", path.display());
    }
    println!("old filename: {old_name}");
    println!("new filename: {}", ed.name().unwrap_or_default());
    ed.write_to(path).map_err(|e| e.to_string())?;
    if ed.info_hash() != old_hash {
        println!("note: the info-hash changed: {} -> {}", to_hex(&old_hash), to_hex(&ed.info_hash()));
    }
    if let (Some(old), Some(new)) = (old_v2, ed.info_hash_v2()) {
        if old != new {
            println!("note: the v2 info-hash changed: {} -> {}", to_hex(&old), to_hex(&new));
        }
    }
    println!("\ndone.\n");
    Ok(())
}
