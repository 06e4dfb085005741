//! Finding the .torrent files of a directory as BitTornado's tracker (`allowed_dir`) and
//! btlaunchmany did: semi-recursively, so that a directory holding any .torrent file is not
//! descended into while one holding none has its subdirectories scanned.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A .torrent file's identity for change detection: modification time (s) and size.
pub type Stamp = (i64, u64);

/// Deepest directory level the scan descends to.
pub const MAX_SCAN_DEPTH: usize = 16;

/// Every `.torrent` file under `dir` (semi-recursively), in path order, with its stamp.
pub fn scan_torrent_dir(dir: &Path) -> BTreeMap<PathBuf, Stamp> {
    let mut out = BTreeMap::new();
    scan_into(dir, 0, &mut out);
    out
}

fn scan_into(dir: &Path, depth: usize, out: &mut BTreeMap<PathBuf, Stamp>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let (mut subdirs, mut found) = (Vec::new(), false);
    for entry in rd.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            subdirs.push(path);
        } else if path.extension().is_some_and(|e| e == "torrent") {
            found = true;
            let Ok(md) = std::fs::metadata(&path) else { continue };
            if md.is_file() {
                let mtime = md
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs() as i64);
                out.insert(path, (mtime, md.len()));
            }
        }
    }
    if !found && depth < MAX_SCAN_DEPTH {
        for sub in subdirs {
            scan_into(&sub, depth + 1, out);
        }
    }
}
