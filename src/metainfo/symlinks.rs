//! Symlink targets: a link may only point at a file or directory of the same torrent, directly
//! or through other links; any other target is replaced by the link's own path, as libtorrent
//! does.

use super::model::FileEntry;
use super::path_index::{PathIndex, ROOT};
use super::sanitize::SafePath;

/// Most link substitutions followed while resolving one target.
const MAX_HOPS: usize = 40;

/// Rewrites every symlink target that does not resolve inside the torrent to the link itself.
pub(crate) fn sanitize_symlinks(files: &mut [FileEntry]) {
    if !files.iter().any(|f| f.symlink_target.is_some()) {
        return;
    }
    let mut index = PathIndex::new(false);
    for (i, f) in files.iter().enumerate() {
        let node = index.add_dirs(f.path.parent());
        index.add_file(node, f.path.file_name(), i);
    }
    // First pass: targets naming an existing file or directory, directly or relative to the
    // link's own directory.
    let candidates: Vec<Option<[Vec<String>; 2]>> = files.iter().map(candidates).collect();
    let first: Vec<Option<Vec<String>>> =
        candidates.iter().map(|c| c.as_ref().and_then(|c| c.iter().find(|t| index.exists(t)).cloned())).collect();
    // Second pass: the others may lead through links, followed with their first-pass targets.
    let via: Vec<Option<&[String]>> = candidates
        .iter()
        .zip(&first)
        .map(|(c, f)| f.as_deref().or_else(|| c.as_ref().map(|c| c[0].as_slice())))
        .collect();
    let resolved: Vec<Option<SafePath>> = files
        .iter()
        .zip(candidates.iter().zip(&first))
        .map(|(f, (c, first))| {
            let c = c.as_ref()?;
            let t = first.clone().or_else(|| c.iter().find(|t| resolve(t, &index, &via)).cloned());
            Some(t.and_then(SafePath::new).unwrap_or_else(|| f.path.clone()))
        })
        .collect();
    for (f, r) in files.iter_mut().zip(resolved) {
        if r.is_some() {
            f.symlink_target = r;
        }
    }
}

/// A link's target read directly (from the torrent's root) and relative to the link's directory.
fn candidates(f: &FileEntry) -> Option<[Vec<String>; 2]> {
    let target = f.symlink_target.as_ref()?;
    let mut relative = f.path.parent().to_vec();
    relative.extend(target.components().iter().skip(1).cloned());
    Some([target.components().to_vec(), relative])
}

/// Follows links met along `target` (each substitution restarts the walk) until it names an
/// existing file or directory; false when it does not, or takes more than [`MAX_HOPS`] links.
fn resolve(target: &[String], index: &PathIndex, links: &[Option<&[String]>]) -> bool {
    let mut t = target.to_vec();
    'restart: for _ in 0..=MAX_HOPS {
        let mut node = ROOT;
        for n in 0..t.len() {
            if n + 1 == t.len() {
                return !index.is_free(node, &t[n]);
            }
            if let Some(next) = index.dir(node, &t[n]) {
                node = next;
                continue;
            }
            let Some(link) = index.file(node, &t[n]).and_then(|i| links[i]) else { return false };
            let mut next = link.to_vec();
            next.extend_from_slice(&t[n + 1..]);
            t = next;
            continue 'restart;
        }
        return false;
    }
    false
}
