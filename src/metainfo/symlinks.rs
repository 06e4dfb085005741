//! Symlink targets: a link may only point at a file or directory of the same torrent, directly
//! or through other links; any other target is replaced by the link's own path, as libtorrent
//! does.

use std::collections::{HashMap, HashSet};

use super::model::FileEntry;
use super::sanitize::SafePath;

/// Most link substitutions followed while resolving one target.
const MAX_HOPS: usize = 40;

/// Rewrites every symlink target that does not resolve inside the torrent to the link itself.
pub(crate) fn sanitize_symlinks(files: &mut [FileEntry]) {
    if !files.iter().any(|f| f.symlink_target.is_some()) {
        return;
    }
    let file_set: HashSet<Vec<String>> = files.iter().map(|f| f.path.components().to_vec()).collect();
    let mut dirs: HashSet<Vec<String>> = HashSet::new();
    for f in files.iter() {
        let c = f.path.components();
        for n in 1..c.len() {
            dirs.insert(c[..n].to_vec());
        }
    }
    let links: HashMap<Vec<String>, Vec<String>> = files
        .iter()
        .filter_map(|f| Some((f.path.components().to_vec(), f.symlink_target.as_ref()?.components().to_vec())))
        .collect();
    let exists = |p: &[String]| file_set.contains(p) || dirs.contains(p);
    for f in files.iter_mut() {
        let Some(target) = f.symlink_target.clone() else { continue };
        let direct = target.components().to_vec();
        let relative: Vec<String> = {
            let mut r = f.path.parent().to_vec();
            r.extend(target.components().iter().skip(1).cloned());
            r
        };
        let resolved = [direct, relative].into_iter().find(|t| exists(t) || resolve(t, &links, &exists));
        f.symlink_target = match resolved {
            Some(t) => SafePath::new(t),
            None => Some(f.path.clone()),
        };
    }
}

/// Follows links in the directory part of `target` until it names an existing file or
/// directory; false when it does not, or loops.
fn resolve(target: &[String], links: &HashMap<Vec<String>, Vec<String>>, exists: &dyn Fn(&[String]) -> bool) -> bool {
    let mut t = target.to_vec();
    let mut hops = 0;
    'restart: loop {
        for n in 1..t.len() {
            if exists(&t[..n]) {
                continue;
            }
            let Some(link) = links.get(&t[..n]) else { return false };
            hops += 1;
            if hops > MAX_HOPS {
                return false;
            }
            let mut next = link.clone();
            next.extend_from_slice(&t[n..]);
            t = next;
            continue 'restart;
        }
        return exists(&t);
    }
}
