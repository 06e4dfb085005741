//! Editing .torrent files without disturbing what is not edited: trackers (`announce`,
//! `announce-list`), HTTP seeds (`httpseeds`, BEP 17), web seeds (`url-list`, BEP 19), comment,
//! name and private flag.
//!
//! The top-level dictionary is kept as raw bytes in input order, so every value that is not
//! edited, including the whole `info` dictionary, is written back byte for byte and the
//! info-hash stays the same. Only [`Editor::set_name`] and [`Editor::set_private`] touch `info`;
//! they change the info-hash, and re-encode `info` canonically (all other info values raw).

mod error;
mod raw_dict;
mod tiers;

use std::collections::BTreeMap;
use std::path::Path;

use sha1::{Digest, Sha1};
use sha2::Sha256;

use crate::bencode::{decode, encode, Limits, OwnedValue, Value};
use crate::fsutil::write_atomic;

pub use error::EditError;
use raw_dict::RawDict;
pub use tiers::{format_tiers, normalize_tiers, normalize_urls, parse_tiers, parse_url_list};

const ANNOUNCE: &[u8] = b"announce";
const ANNOUNCE_LIST: &[u8] = b"announce-list";
const HTTP_SEEDS: &[u8] = b"httpseeds";
const URL_LIST: &[u8] = b"url-list";
const COMMENT: &[u8] = b"comment";
const COMMENT_UTF8: &[u8] = b"comment.utf-8";
const INFO: &[u8] = b"info";
const NAME: &[u8] = b"name";
const NAME_UTF8: &[u8] = b"name.utf-8";
const PRIVATE: &[u8] = b"private";

/// A .torrent file loaded for editing. Values that are not edited are written back unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    top: RawDict,
    warnings: Vec<String>,
}

impl Editor {
    /// Loads a torrent from its bytes; it must be a bencoded dictionary with an `info` dictionary.
    pub fn from_bytes(bytes: &[u8]) -> Result<Editor, EditError> {
        Editor::from_vec(bytes.to_vec())
    }

    /// Loads a torrent from an owned buffer, which the editor keeps instead of copying it.
    pub fn from_vec(bytes: Vec<u8>) -> Result<Editor, EditError> {
        let top = {
            let value = decode(&bytes, Limits::default())?;
            let dict = value.as_dict().ok_or(EditError::NotADict)?;
            match dict.get(INFO) {
                None => return Err(EditError::NoInfo),
                Some(Value::Dict(_)) => {}
                Some(_) => return Err(EditError::InfoNotADict),
            }
            RawDict::from_dict(dict, &bytes)
        };
        Ok(Editor { top: top.with_source(bytes), warnings: Vec::new() })
    }

    /// Reads and loads a torrent file; errors name the file.
    pub fn from_file(path: &Path) -> Result<Editor, EditError> {
        let bytes = std::fs::read(path).map_err(|source| EditError::Read { path: path.to_path_buf(), source })?;
        Editor::from_vec(bytes).map_err(|e| e.in_file(path))
    }

    /// The tracker URL (`announce`), if present and a string.
    pub fn announce(&self) -> Option<String> {
        self.top.get_decoded(ANNOUNCE).as_ref().and_then(as_string)
    }

    /// The tracker tiers (`announce-list`), if present; non-string entries are skipped.
    pub fn announce_list(&self) -> Option<Vec<Vec<String>>> {
        match self.top.get_decoded(ANNOUNCE_LIST)? {
            OwnedValue::List(tiers) => Some(tiers.iter().filter_map(as_string_list).collect()),
            _ => None,
        }
    }

    /// The BEP 17 HTTP seeds (`httpseeds`), if present.
    pub fn http_seeds(&self) -> Option<Vec<String>> {
        self.top.get_decoded(HTTP_SEEDS).as_ref().and_then(as_string_list)
    }

    /// The BEP 19 web seeds (`url-list`), if present; a single string counts as a one-URL list.
    pub fn url_list(&self) -> Option<Vec<String>> {
        let v = self.top.get_decoded(URL_LIST)?;
        as_string(&v).map(|s| vec![s]).or_else(|| as_string_list(&v))
    }

    /// The comment, if present.
    pub fn comment(&self) -> Option<String> {
        self.top.get_decoded(COMMENT).as_ref().and_then(as_string)
    }

    /// The suggested name (`info.name`), if present; invalid UTF-8 is replaced.
    pub fn name(&self) -> Option<String> {
        let info = decode(self.info_bytes(), Limits::default()).ok()?;
        info.as_dict()?.get_bytes(NAME).map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// True when `info.private` is 1 (BEP 27).
    pub fn is_private(&self) -> bool {
        let Ok(info) = decode(self.info_bytes(), Limits::default()) else { return false };
        info.as_dict().and_then(|d| d.get_int(PRIVATE)) == Some(1)
    }

    /// The exact bytes of the `info` dictionary as they will be written.
    pub fn info_bytes(&self) -> &[u8] {
        self.top.raw_slice(INFO).unwrap_or_default()
    }

    /// The v1 info-hash: SHA-1 of the `info` bytes.
    pub fn info_hash(&self) -> [u8; 20] {
        Sha1::digest(self.info_bytes()).into()
    }

    /// The v2 info-hash (SHA-256 of the `info` bytes) when `info` declares `meta version` 2.
    pub fn info_hash_v2(&self) -> Option<[u8; 32]> {
        let info = decode(self.info_bytes(), Limits::default()).ok()?;
        (info.as_dict()?.get_int(b"meta version") == Some(2)).then(|| Sha256::digest(self.info_bytes()).into())
    }

    /// Notes about the last edits (for example that `info` was canonicalised).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Sets the tracker URL (trimmed); an empty URL removes `announce`.
    pub fn set_announce(&mut self, url: &str) {
        let url = url.trim();
        if url.is_empty() {
            self.top.remove(ANNOUNCE);
        } else {
            self.top.set(ANNOUNCE, OwnedValue::bytes(url));
        }
    }

    /// Sets the tracker tiers; `None`, or a list with no URL left after trimming, removes
    /// `announce-list`.
    pub fn set_announce_list(&mut self, tiers: Option<Vec<Vec<String>>>) {
        let tiers = normalize_tiers(tiers.unwrap_or_default());
        if tiers.is_empty() {
            self.top.remove(ANNOUNCE_LIST);
        } else {
            let list = tiers.iter().map(OwnedValue::str_list).collect();
            self.top.set(ANNOUNCE_LIST, OwnedValue::List(list));
        }
    }

    /// Copies `announce` and `announce-list` from `source` exactly as stored there; a key the
    /// source lacks is removed here.
    pub fn copy_trackers_from(&mut self, source: &Editor) {
        for key in [ANNOUNCE, ANNOUNCE_LIST] {
            match source.top.get_owned(key) {
                Some(v) => self.top.set(key, v),
                None => {
                    self.top.remove(key);
                }
            }
        }
    }

    /// Sets the suggested name (`info.name`, and `info.name.utf-8` when present). This changes
    /// the info-hash. Names that are empty, contain `/`, `\`, `..` or a NUL are refused.
    pub fn set_name(&mut self, name: &str) -> Result<(), EditError> {
        check_name(name)?;
        self.edit_info(|info| {
            info.insert(NAME.to_vec(), OwnedValue::bytes(name));
            if info.contains_key(NAME_UTF8) {
                info.insert(NAME_UTF8.to_vec(), OwnedValue::bytes(name));
            }
        })
    }

    /// Sets or clears the BEP 27 private flag (`info.private`). This changes the info-hash.
    pub fn set_private(&mut self, private: bool) -> Result<(), EditError> {
        self.edit_info(|info| {
            if private {
                info.insert(PRIVATE.to_vec(), OwnedValue::Int(1));
            } else {
                info.remove(PRIVATE);
            }
        })
    }

    /// Sets the BEP 17 HTTP seeds; `None`, or no URL left after trimming, removes `httpseeds`.
    pub fn set_http_seeds(&mut self, urls: Option<Vec<String>>) {
        self.set_url_key(HTTP_SEEDS, urls);
    }

    /// Sets the BEP 19 web seeds; `None`, or no URL left after trimming, removes `url-list`.
    pub fn set_url_list(&mut self, urls: Option<Vec<String>>) {
        self.set_url_key(URL_LIST, urls);
    }

    /// Sets the comment (and `comment.utf-8` when present); `None` removes both.
    pub fn set_comment(&mut self, comment: Option<&str>) {
        match comment {
            Some(text) => {
                self.top.set(COMMENT, OwnedValue::bytes(text));
                if self.top.contains(COMMENT_UTF8) {
                    self.top.set(COMMENT_UTF8, OwnedValue::bytes(text));
                }
            }
            None => {
                self.top.remove(COMMENT);
                self.top.remove(COMMENT_UTF8);
            }
        }
    }

    /// The edited torrent, bencoded; unedited values are byte-identical to the input.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.top.to_bytes()
    }

    /// Writes the edited torrent to `path` atomically (temporary file + rename): on error the
    /// file at `path` is untouched.
    pub fn write_to(&self, path: &Path) -> Result<(), EditError> {
        write_atomic(path, &self.to_bytes()).map_err(|source| EditError::Write { path: path.to_path_buf(), source })
    }

    fn set_url_key(&mut self, key: &[u8], urls: Option<Vec<String>>) {
        let urls = normalize_urls(urls.unwrap_or_default());
        if urls.is_empty() {
            self.top.remove(key);
        } else {
            self.top.set(key, OwnedValue::str_list(urls));
        }
    }

    /// Re-encodes `info` canonically after `f` edits its entries (all other values kept raw).
    fn edit_info(&mut self, f: impl FnOnce(&mut BTreeMap<Vec<u8>, OwnedValue>)) -> Result<(), EditError> {
        let (bytes, was_canonical) = {
            let value = decode(self.info_bytes(), Limits::default())?;
            let dict = value.as_dict().ok_or(EditError::InfoNotADict)?;
            let mut map = dict.to_owned_raw();
            f(&mut map);
            (encode(&OwnedValue::Dict(map)), dict.is_sorted())
        };
        if !was_canonical {
            self.warnings.push(
                "the info dictionary's keys were not in canonical order (or were duplicated); \
                 the rewritten info dictionary is canonicalised (keys sorted, first duplicate kept)"
                    .to_string(),
            );
        }
        self.top.set(INFO, OwnedValue::Raw(bytes));
        Ok(())
    }
}

/// Refuses names that could escape the download directory or are meaningless.
fn check_name(name: &str) -> Result<(), EditError> {
    let reason = if name.is_empty() {
        Some("the name is empty")
    } else if name.contains('/') || name.contains('\\') {
        Some("the name contains a path separator")
    } else if name.contains("..") {
        Some("the name contains `..`")
    } else if name == "." {
        Some("the name is `.`")
    } else if name.contains('\0') {
        Some("the name contains a NUL byte")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(EditError::BadName { name: name.to_string(), reason }),
        None => Ok(()),
    }
}

fn as_string(v: &OwnedValue) -> Option<String> {
    match v {
        OwnedValue::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

fn as_string_list(v: &OwnedValue) -> Option<Vec<String>> {
    match v {
        OwnedValue::List(items) => Some(items.iter().filter_map(as_string).collect()),
        _ => None,
    }
}

/// Lower-case hexadecimal of `bytes` (for printing info-hashes).
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Loads the torrent at `path`, applies `edit`, and writes the result back atomically. On any
/// error (named after the file) the file is untouched. Returns the edited torrent.
pub fn edit_file(path: &Path, edit: impl FnOnce(&mut Editor) -> Result<(), EditError>) -> Result<Editor, EditError> {
    let mut editor = Editor::from_file(path)?;
    edit(&mut editor).map_err(|e| e.in_file(path))?;
    editor.write_to(path)?;
    Ok(editor)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small single-file torrent whose info dict holds extra keys of every type.
    fn sample() -> Vec<u8> {
        let info = b"d6:lengthi5e4:name5:a.txt10:name.utf-85:a.txt12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAA3:xyzli1ei2eee";
        let mut out =
            b"d8:announce12:http://t/ann13:announce-listll8:http://a8:http://bel8:http://cee7:comment2:hi4:info"
                .to_vec();
        out.extend_from_slice(info);
        out.extend_from_slice(b"e");
        out
    }

    fn span(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    fn unedited_torrent_is_reproduced_exactly() {
        let bytes = sample();
        assert_eq!(Editor::from_bytes(&bytes).unwrap().to_bytes(), bytes);
        let unsorted = b"d4:infod4:name1:xe1:ai1e8:announce3:u:ve";
        assert_eq!(Editor::from_bytes(unsorted).unwrap().to_bytes(), unsorted.to_vec());
    }

    #[test]
    fn reads_fields() {
        let ed = Editor::from_bytes(&sample()).unwrap();
        assert_eq!(ed.announce().as_deref(), Some("http://t/ann"));
        assert_eq!(ed.announce_list(), Some(vec![vec!["http://a".into(), "http://b".into()], vec!["http://c".into()]]));
        assert_eq!(ed.comment().as_deref(), Some("hi"));
        assert_eq!(ed.name().as_deref(), Some("a.txt"));
        assert_eq!(ed.http_seeds(), None);
        assert_eq!(ed.url_list(), None);
        assert!(!ed.is_private());
        assert_eq!(ed.info_hash_v2(), None);
        let single = Editor::from_bytes(b"d4:infod4:name1:xe8:url-list8:http://we").unwrap();
        assert_eq!(single.url_list(), Some(vec!["http://w".to_string()]));
    }

    #[test]
    fn reannounce_keeps_info_bytes_and_hash() {
        let bytes = sample();
        let original = Editor::from_bytes(&bytes).unwrap();
        let mut ed = original.clone();
        ed.set_announce(" http://new/announce ");
        ed.set_announce_list(Some(parse_tiers("http://x,http://y|udp://z:80")));
        ed.set_http_seeds(Some(vec!["http://seed/".into()]));
        ed.set_url_list(Some(vec!["http://web/".into()]));
        ed.set_comment(Some("new comment"));
        let out = ed.to_bytes();
        let info_start = span(&bytes, b"4:infod").unwrap() + 6;
        let info = &bytes[info_start..bytes.len() - 1];
        let reloaded = Editor::from_bytes(&out).unwrap();
        assert_eq!(reloaded.info_bytes(), info);
        assert_eq!(reloaded.info_hash(), original.info_hash());
        assert_eq!(reloaded.announce().as_deref(), Some("http://new/announce"));
        assert_eq!(format_tiers(&reloaded.announce_list().unwrap()), "http://x,http://y|udp://z:80");
        assert_eq!(reloaded.http_seeds(), Some(vec!["http://seed/".to_string()]));
        assert_eq!(reloaded.url_list(), Some(vec!["http://web/".to_string()]));
        assert_eq!(reloaded.comment().as_deref(), Some("new comment"));
        assert!(decode(&out, Limits::strict()).is_ok(), "output must stay canonical");
    }

    #[test]
    fn removal_of_optional_keys() {
        let mut ed = Editor::from_bytes(&sample()).unwrap();
        ed.set_announce_list(None);
        ed.set_http_seeds(Some(vec![" ".into()]));
        ed.set_url_list(None);
        ed.set_comment(None);
        ed.set_announce("");
        let out = Editor::from_bytes(&ed.to_bytes()).unwrap();
        assert_eq!((out.announce(), out.announce_list(), out.comment(), out.http_seeds()), (None, None, None, None));
        ed.set_announce_list(Some(vec![vec![" ".into()], vec![]]));
        assert_eq!(ed.announce_list(), None);
    }

    #[test]
    fn rename_changes_only_the_name() {
        let before = Editor::from_bytes(&sample()).unwrap();
        let mut ed = before.clone();
        ed.set_name("b.bin").unwrap();
        assert!(ed.warnings().is_empty());
        assert_eq!(ed.name().as_deref(), Some("b.bin"));
        assert_ne!(ed.info_hash(), before.info_hash());
        let old = before.info_bytes().to_vec();
        let expected = String::from_utf8_lossy(&old).replace("5:a.txt", "5:b.bin");
        assert_eq!(String::from_utf8_lossy(ed.info_bytes()), expected, "name and name.utf-8 replaced, rest raw");
        let mut top_old = before.top.clone();
        let mut top_new = ed.top.clone();
        top_old.remove(INFO);
        top_new.remove(INFO);
        assert_eq!(top_old, top_new);
    }

    #[test]
    fn rename_canonicalises_unsorted_info_with_a_warning() {
        let mut ed = Editor::from_bytes(b"d4:infod4:name1:x1:ai1eee").unwrap();
        ed.set_name("y").unwrap();
        assert_eq!(ed.info_bytes(), b"d1:ai1e4:name1:ye");
        assert!(ed.warnings()[0].contains("canonicalised"));
    }

    #[test]
    fn private_flag_changes_hash() {
        let mut ed = Editor::from_bytes(&sample()).unwrap();
        let h = ed.info_hash();
        ed.set_private(true).unwrap();
        assert!(ed.is_private());
        assert_ne!(ed.info_hash(), h);
        ed.set_private(false).unwrap();
        assert_eq!(ed.info_hash(), h, "the sample info is canonical, so clearing restores it");
    }

    #[test]
    fn unsafe_names_are_refused() {
        let mut ed = Editor::from_bytes(&sample()).unwrap();
        for bad in ["", "a/b", "..", "a\\b", "x..y", ".", "../etc", "a\0b"] {
            assert!(matches!(ed.set_name(bad), Err(EditError::BadName { .. })), "{bad:?}");
        }
        assert_eq!(ed.to_bytes(), sample());
    }

    #[test]
    fn non_torrents_are_refused() {
        assert!(matches!(Editor::from_bytes(b"i1e"), Err(EditError::NotADict)));
        assert!(matches!(Editor::from_bytes(b"d1:ai1ee"), Err(EditError::NoInfo)));
        assert!(matches!(Editor::from_bytes(b"d4:infoi1ee"), Err(EditError::InfoNotADict)));
        assert!(matches!(Editor::from_bytes(b"d4:info"), Err(EditError::Decode(_))));
        assert!(matches!(Editor::from_bytes(b"d4:infodee trailing"), Err(EditError::Decode(_))));
        let e = Editor::from_bytes(b"le").unwrap_err().in_file("x.torrent");
        assert_eq!(e.to_string(), "x.torrent: not a torrent: the top-level value is not a dictionary");
    }

    #[test]
    fn copies_trackers_raw_and_removes_missing() {
        let src = Editor::from_bytes(&sample()).unwrap();
        let mut dst = Editor::from_bytes(b"d8:announce5:old:/4:infod4:name1:xee").unwrap();
        dst.copy_trackers_from(&src);
        assert_eq!(dst.announce(), src.announce());
        assert_eq!(dst.announce_list(), src.announce_list());
        let bare = Editor::from_bytes(b"d8:announce3:u:v4:infod4:name1:zee").unwrap();
        dst.copy_trackers_from(&bare);
        assert_eq!(dst.announce_list(), None);
        assert_eq!(dst.announce().as_deref(), Some("u:v"));
    }

    #[test]
    fn failed_write_leaves_no_temp_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let ed = Editor::from_bytes(&sample()).unwrap();
        let target = dir.path().join("is_a_dir");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("keep"), b"x").unwrap();
        assert!(matches!(ed.write_to(&target), Err(EditError::Write { .. })));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("is_a_dir")]);
        assert_eq!(std::fs::read(target.join("keep")).unwrap(), b"x");
        let ok = dir.path().join("out.torrent");
        ed.write_to(&ok).unwrap();
        assert_eq!(std::fs::read(&ok).unwrap(), sample());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
