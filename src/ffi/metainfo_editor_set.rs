//! The setters of `bitgocho_metainfo_editor`. Each applies to both kinds of editor unless its
//! documentation says it needs a new torrent (from `bitgocho_metainfo_editor_new()`), in which
//! case an editor of an existing torrent gives `BITGOCHO_E_UNSUPPORTED`.

use std::ffi::c_char;

use super::abi::*;
use super::boundary::{boundary, try_mut, try_ref, try_str};
use super::last_error::fail;
use super::metainfo_editor::Target;
use super::status::edit_error;
use crate::metainfo::create::{CreateOptions, TorrentVersion};
use crate::metainfo::edit::Editor;

/// The options of a new torrent, or `BITGOCHO_E_UNSUPPORTED` for an edited one.
fn create_opts<'a>(target: &'a mut Target, what: &str) -> Result<&'a mut CreateOptions, bitgocho_status> {
    match target {
        Target::Create(opts) => Ok(opts),
        Target::Edit(_) => Err(fail(BITGOCHO_E_UNSUPPORTED, format_args!("{what} can only be set on a new torrent"))),
    }
}

/// Appends `url` to a URL list stored in either kind of target.
fn push_url(
    target: &mut Target,
    url: &str,
    new: fn(&mut CreateOptions) -> &mut Vec<String>,
    get: fn(&Editor) -> Option<Vec<String>>,
    set: fn(&mut Editor, Option<Vec<String>>),
) -> bitgocho_status {
    if url.trim().is_empty() {
        return fail(BITGOCHO_E_INVALID_ARG, "URL is empty");
    }
    match target {
        Target::Create(opts) => new(opts).push(url.trim().to_string()),
        Target::Edit(editor) => {
            let mut urls = get(editor).unwrap_or_default();
            urls.push(url.to_string());
            set(editor, Some(urls));
        }
    }
    BITGOCHO_OK
}

impl bitgocho_metainfo_editor {
    /// Sets the format of a new torrent: `BITGOCHO_META_V1`, `BITGOCHO_META_V2` or
    /// `BITGOCHO_META_HYBRID` (other values: `BITGOCHO_E_INVALID_ARG`). New torrents only.
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_set_version(
        editor: *mut bitgocho_metainfo_editor,
        version: u32,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_mut!(editor);
            let version = match version {
                BITGOCHO_META_V1 => TorrentVersion::V1,
                BITGOCHO_META_V2 => TorrentVersion::V2,
                BITGOCHO_META_HYBRID => TorrentVersion::Hybrid,
                other => return fail(BITGOCHO_E_INVALID_ARG, format_args!("unknown torrent version {other}")),
            };
            match create_opts(&mut editor.target, "the version") {
                Ok(opts) => { opts.version = version; BITGOCHO_OK }
                Err(status) => status,
            }
        }
    }

    /// Sets the piece size of a new torrent to `2^pow2` bytes; 0 picks it from the total size
    /// (BitTornado's rule). Out-of-range sizes are reported by the build. New torrents only.
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_set_piece_size_pow2(
        editor: *mut bitgocho_metainfo_editor,
        pow2: u32,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_mut!(editor);
            match create_opts(&mut editor.target, "the piece size") {
                Ok(opts) => { opts.piece_size_pow2 = pow2; BITGOCHO_OK }
                Err(status) => status,
            }
        }
    }

    /// Sets how many threads hash a new torrent; 0 means one per core. New torrents only.
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_set_threads(
        editor: *mut bitgocho_metainfo_editor,
        threads: u32,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_mut!(editor);
            match create_opts(&mut editor.target, "the thread count") {
                Ok(opts) => { opts.threads = threads as usize; BITGOCHO_OK }
                Err(status) => status,
            }
        }
    }

    /// Sets the `created by` string of a new torrent ("" omits it). New torrents only.
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently; `created_by` is NULL or
    /// NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_set_created_by(
        editor: *mut bitgocho_metainfo_editor,
        created_by: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_mut!(editor);
            let created_by = try_str!(created_by);
            match create_opts(&mut editor.target, "`created by`") {
                Ok(opts) => {
                    opts.created_by = (!created_by.is_empty()).then(|| created_by.to_string());
                    BITGOCHO_OK
                }
                Err(status) => status,
            }
        }
    }

    /// Sets the `creation date` of a new torrent (Unix seconds); a negative value omits it.
    /// New torrents only.
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_set_creation_date(
        editor: *mut bitgocho_metainfo_editor,
        unix_seconds: i64,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_mut!(editor);
            match create_opts(&mut editor.target, "the creation date") {
                Ok(opts) => { opts.creation_date = (unix_seconds >= 0).then_some(unix_seconds); BITGOCHO_OK }
                Err(status) => status,
            }
        }
    }

    /// Sets the tracker URL (`announce`); "" removes it.
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently; `url` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_set_announce(
        editor: *mut bitgocho_metainfo_editor,
        url: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_mut!(editor);
            let url = try_str!(url);
            match &mut editor.target {
                Target::Create(opts) => opts.announce = url.trim().to_string(),
                Target::Edit(e) => e.set_announce(url),
            }
            BITGOCHO_OK
        }
    }

    /// Appends `url` to tier `tier` of the tracker tiers (`announce-list`); `tier` equal to the
    /// current number of tiers starts a new tier, a larger one is `BITGOCHO_E_INVALID_ARG`.
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently; `url` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_add_tracker(
        editor: *mut bitgocho_metainfo_editor,
        tier: usize,
        url: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_mut!(editor);
            let url = try_str!(url).trim();
            if url.is_empty() {
                return fail(BITGOCHO_E_INVALID_ARG, "tracker URL is empty");
            }
            let mut tiers = match &editor.target {
                Target::Create(opts) => opts.announce_list.clone(),
                Target::Edit(e) => e.announce_list().unwrap_or_default(),
            };
            match tier.cmp(&tiers.len()) {
                std::cmp::Ordering::Less => tiers[tier].push(url.to_string()),
                std::cmp::Ordering::Equal => tiers.push(vec![url.to_string()]),
                std::cmp::Ordering::Greater => {
                    return fail(BITGOCHO_E_INVALID_ARG, format_args!("tier {tier} skips tiers: there are {}", tiers.len()))
                }
            }
            match &mut editor.target {
                Target::Create(opts) => opts.announce_list = tiers,
                Target::Edit(e) => e.set_announce_list(Some(tiers)),
            }
            BITGOCHO_OK
        }
    }

    /// Removes every tracker tier (`announce-list`); `announce` is kept.
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_clear_trackers(
        editor: *mut bitgocho_metainfo_editor,
    ) -> bitgocho_status {
        boundary! {
            match &mut try_mut!(editor).target {
                Target::Create(opts) => opts.announce_list.clear(),
                Target::Edit(e) => e.set_announce_list(None),
            }
            BITGOCHO_OK
        }
    }

    /// Copies the trackers of `source`: its `announce` and `announce-list` exactly as stored
    /// there replace this torrent's, and a key `source` lacks is removed here (btcopyannounce).
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently; `source` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_copy_trackers(
        editor: *mut bitgocho_metainfo_editor,
        source: *const bitgocho_metainfo,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_mut!(editor);
            let source = try_ref!(source);
            match &mut editor.target {
                Target::Create(opts) => {
                    opts.announce = source.announce().unwrap_or_default().to_string();
                    opts.announce_list = source.announce_list().to_vec();
                }
                Target::Edit(e) => match Editor::from_bytes(source.as_bytes()) {
                    Ok(from) => e.copy_trackers_from(&from),
                    Err(err) => return edit_error(&err),
                },
            }
            BITGOCHO_OK
        }
    }

    /// Appends a BEP 17 HTTP seed (`httpseeds`).
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently; `url` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_add_http_seed(
        editor: *mut bitgocho_metainfo_editor,
        url: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_mut!(editor);
            let url = try_str!(url);
            push_url(&mut editor.target, url, |o| &mut o.httpseeds, |e| e.http_seeds(), |e, v| e.set_http_seeds(v))
        }
    }

    /// Appends a BEP 19 web seed (`url-list`).
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently; `url` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_add_url_seed(
        editor: *mut bitgocho_metainfo_editor,
        url: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_mut!(editor);
            let url = try_str!(url);
            push_url(&mut editor.target, url, |o| &mut o.url_list, |e| e.url_list(), |e, v| e.set_url_list(v))
        }
    }

    /// Removes every HTTP seed (`httpseeds`) and web seed (`url-list`).
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_clear_seeds(
        editor: *mut bitgocho_metainfo_editor,
    ) -> bitgocho_status {
        boundary! {
            match &mut try_mut!(editor).target {
                Target::Create(opts) => {
                    opts.httpseeds.clear();
                    opts.url_list.clear();
                }
                Target::Edit(e) => {
                    e.set_http_seeds(None);
                    e.set_url_list(None);
                }
            }
            BITGOCHO_OK
        }
    }

    /// Sets the comment; "" removes it.
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently; `comment` is NULL or
    /// NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_set_comment(
        editor: *mut bitgocho_metainfo_editor,
        comment: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_mut!(editor);
            let comment = try_str!(comment);
            match &mut editor.target {
                Target::Create(opts) => opts.comment = comment.to_string(),
                Target::Edit(e) => e.set_comment((!comment.is_empty()).then_some(comment)),
            }
            BITGOCHO_OK
        }
    }

    /// Sets or clears the BEP 27 private flag. On an existing torrent this changes the
    /// info-hash.
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_set_private(
        editor: *mut bitgocho_metainfo_editor,
        private: bool,
    ) -> bitgocho_status {
        boundary! {
            match &mut try_mut!(editor).target {
                Target::Create(opts) => { opts.private = private; BITGOCHO_OK }
                Target::Edit(e) => e.set_private(private).map_or_else(|err| edit_error(&err), |()| BITGOCHO_OK),
            }
        }
    }

    /// Renames an existing torrent (`info.name`): this changes its info-hash. Names that are
    /// empty or contain `/`, `\`, `..` or a NUL give `BITGOCHO_E_INVALID_ARG`. A new torrent
    /// is named after its input, so there this gives `BITGOCHO_E_UNSUPPORTED`.
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used concurrently; `name` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_set_name(
        editor: *mut bitgocho_metainfo_editor,
        name: *const c_char,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_mut!(editor);
            let name = try_str!(name);
            match &mut editor.target {
                Target::Create(_) => fail(BITGOCHO_E_UNSUPPORTED, "a new torrent is named after its input"),
                Target::Edit(e) => e.set_name(name).map_or_else(|err| edit_error(&err), |()| BITGOCHO_OK),
            }
        }
    }
}
