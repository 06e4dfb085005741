//! Path sanitising: turns untrusted path elements from a .torrent into components that can
//! only name something inside the save directory, with libtorrent's outcomes (`.` and `..`
//! dropped, separators removed, invalid UTF-8 and control characters replaced by `_`,
//! over-long elements truncated keeping their extension), and renames duplicate files
//! `name.1.ext` style.

use std::fmt;
use std::path::PathBuf;

use super::path_index::PathIndex;

/// Longest element kept, in bytes, before only the extension is added (libtorrent: 240).
const MAX_ELEMENT: usize = 240;

/// Most name collisions tolerated while renaming duplicates before the torrent is refused.
pub const MAX_DUPLICATE_COLLISIONS: usize = 100;

/// Unicode characters that change the writing direction and can disguise an extension.
const BIDI: [char; 7] = ['\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{200e}', '\u{200f}'];

/// A relative path whose components are all safe: non-empty, not `.` or `..`, free of `/`,
/// `\` and NUL. It can only be built by this module, so joining it under a directory can
/// never leave that directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SafePath(Vec<String>);

impl SafePath {
    /// Builds a path from components already sanitised; `None` if any is unsafe or the list
    /// is empty.
    pub fn new(components: Vec<String>) -> Option<SafePath> {
        (!components.is_empty() && components.iter().all(|c| is_safe_component(c))).then_some(SafePath(components))
    }

    /// The components, first (usually the torrent's name) to last (the file name).
    pub fn components(&self) -> &[String] {
        &self.0
    }

    /// The last component.
    pub fn file_name(&self) -> &str {
        self.0.last().map(String::as_str).unwrap_or("")
    }

    /// The path as a relative [`PathBuf`].
    pub fn to_path_buf(&self) -> PathBuf {
        self.0.iter().collect()
    }

    /// The path with components joined by `/`.
    pub fn joined(&self) -> String {
        self.0.join("/")
    }

    /// The directory part (all components but the last).
    pub fn parent(&self) -> &[String] {
        &self.0[..self.0.len() - 1]
    }

    pub(crate) fn set_file_name(&mut self, name: String) {
        debug_assert!(is_safe_component(&name));
        if is_safe_component(&name) {
            if let Some(last) = self.0.last_mut() {
                *last = name;
            }
        }
    }
}

impl fmt::Display for SafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.joined())
    }
}

/// True when `c` can be used as one path component without leaving its directory.
pub fn is_safe_component(c: &str) -> bool {
    !c.is_empty() && c != "." && c != ".." && !c.contains(['/', '\\', '\0'])
}

/// Sanitises one path element. `None` means the element is dropped (`.`, `..`, or only
/// dots after removing separators); an empty element becomes `_`.
pub fn sanitize_element(raw: &[u8]) -> Option<String> {
    if raw == b"." {
        return None;
    }
    if raw.is_empty() {
        return Some("_".to_string());
    }
    if let Some(plain) = plain_ascii(raw) {
        return finish_element(plain.to_string(), false);
    }
    let mut out = String::with_capacity(raw.len().min(MAX_ELEMENT + 16));
    let mut filtered = false;
    let mut truncated = false;
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c, &mut filtered);
            if out.len() >= MAX_ELEMENT && !truncated {
                truncated = true;
                break;
            }
        }
        if truncated {
            break;
        }
        if !chunk.invalid().is_empty() {
            out.push('_');
        }
    }
    if truncated {
        if let Some(ext) = extension_of(raw) {
            let mut ignored = false;
            for c in String::from_utf8_lossy(ext).chars() {
                push_char(&mut out, if c == '\u{fffd}' { '_' } else { c }, &mut ignored);
            }
        }
    }
    finish_element(out, filtered)
}

/// The element as text when it needs no change: short printable ASCII without separators or
/// characters reserved on this platform.
fn plain_ascii(raw: &[u8]) -> Option<&str> {
    let plain = raw.len() < MAX_ELEMENT
        && raw.iter().all(|&b| (0x20..0x7f).contains(&b) && b != b'/' && b != b'\\' && !reserved_char(b as char));
    if plain {
        std::str::from_utf8(raw).ok()
    } else {
        None
    }
}

fn push_char(out: &mut String, c: char, filtered: &mut bool) {
    if c == '/' || c == '\\' || BIDI.contains(&c) {
        *filtered = true;
    } else if (c as u32) < 32 || reserved_char(c) {
        out.push('_');
    } else {
        out.push(c);
    }
}

fn finish_element(out: String, filtered: bool) -> Option<String> {
    if out.is_empty() {
        return filtered.then(|| "_".to_string());
    }
    if out == "." || out == ".." {
        return None;
    }
    Some(windows_reserved_name(out))
}

/// The extension (from the last `.`) of a long element, when the dot is in its last 10 bytes.
fn extension_of(raw: &[u8]) -> Option<&[u8]> {
    let start = raw.len().saturating_sub(9).max(MAX_ELEMENT);
    let dot = raw[start.min(raw.len())..].iter().rposition(|&b| b == b'.')?;
    Some(&raw[start + dot..])
}

#[cfg(windows)]
fn reserved_char(c: char) -> bool {
    "?<>\"|*:".contains(c)
}

#[cfg(not(windows))]
fn reserved_char(_c: char) -> bool {
    false
}

#[cfg(windows)]
fn windows_reserved_name(s: String) -> String {
    const RESERVED: [&str; 25] = [
        "con", "prn", "aux", "clock$", "nul", "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
        "com9", "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
    ];
    let stem = s.rsplit_once('.').map_or(s.as_str(), |(a, _)| a).to_ascii_lowercase();
    if RESERVED.contains(&stem.as_str()) {
        format!("_{s}")
    } else {
        s
    }
}

#[cfg(not(windows))]
fn windows_reserved_name(s: String) -> String {
    s
}

/// Sanitises a list of path elements, dropping those that sanitise to nothing.
pub fn sanitize_elements<'a>(raw: impl IntoIterator<Item = &'a [u8]>) -> Vec<String> {
    raw.into_iter().filter_map(sanitize_element).collect()
}

/// Splits the last component of a path into stem and extension (`"a.tar.gz"` gives
/// `("a.tar", ".gz")`, `"foo"` gives `("foo", "")`).
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) => (&name[..i], &name[i..]),
        None => (name, ""),
    }
}

/// A file as seen by duplicate detection: its path, whether it is a pad file, its size.
pub(crate) struct DupItem<'a> {
    /// The path, renamed in place when it collides.
    pub path: &'a mut SafePath,
    /// True for pad files (which may collide with same-sized pad files).
    pub pad: bool,
    /// The file size.
    pub size: u64,
}

/// Renames files whose path (compared ASCII case-insensitively, as libtorrent does) collides
/// with a directory or an earlier file: `bar.txt` becomes `bar.1.txt`, `foo` becomes `foo.1`.
/// Returns the number of collisions as the error when more than [`MAX_DUPLICATE_COLLISIONS`]
/// happened. Costs the total number of path components.
pub(crate) fn resolve_duplicates(items: &mut [DupItem<'_>]) -> Result<(), usize> {
    if items.len() < 2 {
        return Ok(());
    }
    let mut index = PathIndex::new(true);
    let parents: Vec<u32> = items.iter().map(|it| index.add_dirs(it.path.parent())).collect();
    let mut collisions = 0usize;
    for i in 0..items.len() {
        let node = parents[i];
        let name = items[i].path.file_name().to_string();
        if index.is_free(node, &name) {
            index.add_file(node, &name, i);
            continue;
        }
        if let Some(j) = index.file(node, &name) {
            if items[i].pad && items[j].pad && items[i].size == items[j].size {
                continue;
            }
        }
        let (stem, ext) = split_extension(&name);
        for n in 1.. {
            let candidate = format!("{stem}.{n}{ext}");
            if index.is_free(node, &candidate) {
                index.add_file(node, &candidate, i);
                items[i].path.set_file_name(candidate);
                break;
            }
            collisions += 1;
            if collisions > MAX_DUPLICATE_COLLISIONS {
                return Err(collisions);
            }
        }
    }
    Ok(())
}

/// Percent-encodes the characters of a URL's path that must not appear raw (spaces,
/// control and non-ASCII bytes, `"<>\^`{|}`), leaving a URL that needs nothing alone.
pub fn maybe_url_encode(url: &str) -> String {
    let needs = |b: u8| b <= b' ' || b >= 0x7f || b"\"<>\\^`{|}".contains(&b);
    if !url.bytes().any(needs) {
        return url.to_string();
    }
    let path_start = url.find("://").map(|i| url[i + 3..].find('/').map_or(url.len(), |j| i + 3 + j)).unwrap_or(0);
    let (head, tail) = url.split_at(path_start);
    let mut out = String::with_capacity(url.len() + 16);
    out.push_str(head);
    for b in tail.bytes() {
        if needs(b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(raw: &[u8]) -> Option<String> {
        sanitize_element(raw)
    }

    #[test]
    fn dots_and_empty() {
        assert_eq!(s(b"."), None);
        assert_eq!(s(b".."), None);
        assert_eq!(s(b""), Some("_".into()));
        assert_eq!(s(b"/.."), None);
        assert_eq!(s(b"..."), Some("...".into()));
        assert_eq!(s(b".hidden"), Some(".hidden".into()));
    }

    #[test]
    fn separators_removed() {
        assert_eq!(s(b"/"), Some("_".into()));
        assert_eq!(s(b"\\"), Some("_".into()));
        assert_eq!(s(b"//"), Some("_".into()));
        assert_eq!(s(b"abc/../../def"), Some("abc....def".into()));
        assert_eq!(s(b"temp/../../abc"), Some("temp....abc".into()));
        assert_eq!(s(b"/foobar"), Some("foobar".into()));
        assert_eq!(s("a\u{202e}gpj.exe".as_bytes()), Some("agpj.exe".into()));
    }

    #[test]
    fn invalid_utf8_and_controls() {
        assert_eq!(s(b"\x82est/MB"), Some("_estMB".into()));
        assert_eq!(s(b"a\x01b"), Some("a_b".into()));
        assert_eq!(s(b"a\0b"), Some("a_b".into()));
        assert_eq!(s("caf\u{e9}".as_bytes()), Some("caf\u{e9}".into()));
    }

    #[test]
    fn long_elements_keep_extension() {
        let mut raw = vec![b'a'; 300];
        raw.extend_from_slice(b".txt");
        let out = s(&raw).unwrap();
        assert_eq!(out.len(), 244);
        assert!(out.ends_with("a.txt"));
        let out = s(&[b'b'; 500]).unwrap();
        assert_eq!(out.len(), 240);
    }

    #[test]
    fn safe_path_rejects_unsafe() {
        assert!(SafePath::new(vec!["a".into(), "..".into()]).is_none());
        assert!(SafePath::new(vec!["a/b".into()]).is_none());
        assert!(SafePath::new(vec![]).is_none());
        assert!(SafePath::new(vec!["".into()]).is_none());
        let p = SafePath::new(vec!["a".into(), "b.txt".into()]).unwrap();
        assert_eq!(p.to_path_buf(), PathBuf::from("a/b.txt"));
        assert_eq!(p.file_name(), "b.txt");
    }

    fn paths(list: &[&str]) -> Vec<SafePath> {
        list.iter().map(|p| SafePath::new(p.split('/').map(String::from).collect()).unwrap()).collect()
    }

    fn dedup(list: &[&str]) -> Result<Vec<String>, usize> {
        let mut ps = paths(list);
        let mut items: Vec<DupItem> = ps.iter_mut().map(|p| DupItem { path: p, pad: false, size: 1 }).collect();
        resolve_duplicates(&mut items)?;
        Ok(ps.iter().map(SafePath::joined).collect())
    }

    #[test]
    fn duplicates_are_renamed() {
        assert_eq!(dedup(&["t/foo/bar.txt", "t/foo/bar.txt"]).unwrap(), ["t/foo/bar.txt", "t/foo/bar.1.txt"]);
        assert_eq!(dedup(&["t/_", "t/_", "t/_"]).unwrap(), ["t/_", "t/_.1", "t/_.2"]);
        assert_eq!(dedup(&["t/a", "t/A/b"]).unwrap(), ["t/a.1", "t/A/b"]);
        assert_eq!(dedup(&["t/x", "t/y"]).unwrap(), ["t/x", "t/y"]);
    }

    #[test]
    fn too_many_duplicates_fail() {
        let list = vec!["t/f.txt"; 30];
        assert!(dedup(&list).is_err());
        let list = vec!["t/f.txt"; 10];
        assert!(dedup(&list).is_ok());
    }

    #[test]
    fn url_encoding() {
        assert_eq!(maybe_url_encode("http://test.com/file"), "http://test.com/file");
        assert_eq!(maybe_url_encode("http://test.com/test file/foo bar"), "http://test.com/test%20file/foo%20bar");
    }
}
