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
    let mut resolved = Vec::with_capacity(files.len());
    for f in files.iter() {
        let Some(target) = &f.symlink_target else {
            resolved.push(None);
            continue;
        };
        let direct = target.components().to_vec();
        let mut relative = f.path.parent().to_vec();
        relative.extend(target.components().iter().skip(1).cloned());
        let ok = [direct, relative].into_iter().find(|t| index.exists(t) || resolve(t, &index, files));
        resolved.push(Some(ok.and_then(SafePath::new).unwrap_or_else(|| f.path.clone())));
    }
    for (f, r) in files.iter_mut().zip(resolved) {
        if r.is_some() {
            f.symlink_target = r;
        }
    }
}

/// Follows links met along `target` (each substitution restarts the walk) until it names an
/// existing file or directory; false when it does not, or takes more than [`MAX_HOPS`] links.
fn resolve(target: &[String], index: &PathIndex, files: &[FileEntry]) -> bool {
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
            let link = index.file(node, &t[n]).and_then(|i| files[i].symlink_target.as_ref());
            let Some(link) = link else { return false };
            let mut next = link.components().to_vec();
            next.extend_from_slice(&t[n + 1..]);
            t = next;
            continue 'restart;
        }
        return false;
    }
    false
}
