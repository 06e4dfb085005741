//! `bitgocho_metainfo_editor`: makes a .torrent, either new from files to hash
//! ([`crate::metainfo::create`]) or by editing an existing one ([`crate::metainfo::edit`]).
//! Creation, building, writing, cancelling and freeing live here; the setters are in
//! `metainfo_editor_set.rs`.

use std::ffi::{c_char, c_void};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::abi::*;
use super::boundary::{self, boundary, boundary_or, try_out, try_ref, try_slice, try_str, Castable, OwnedBox};
use super::buffer::write_out;
use super::bytes;
use super::status::{create_error, edit_error, io_error};
use crate::metainfo::create::{create, CreateOptions};
use crate::metainfo::create_error::CreateError;
use crate::metainfo::edit::Editor;
use crate::metainfo::hasher::Progress;

/// What the editor builds: a new torrent from files, or an edited existing one.
pub(crate) enum Target {
    /// Hash files into a new torrent.
    Create(Box<CreateOptions>),
    /// Edit a loaded torrent, keeping what is not edited byte for byte.
    Edit(Box<Editor>),
}

/// The value behind a `bitgocho_metainfo_editor` handle.
pub(crate) struct MetainfoEditor {
    /// The torrent being made.
    pub(crate) target: Target,
    /// The progress of the build in flight, so another thread can cancel it.
    running: Mutex<Option<Arc<Progress>>>,
}

impl MetainfoEditor {
    fn new(target: Target) -> Self {
        MetainfoEditor { target, running: Mutex::new(None) }
    }

    /// The bencoded torrent, hashing first when creating.
    fn build(&self, callback: bitgocho_progress_cb, userdata: *mut c_void) -> Result<Vec<u8>, bitgocho_status> {
        match &self.target {
            Target::Edit(editor) => Ok(editor.to_bytes()),
            Target::Create(opts) => {
                let progress = Arc::new(Progress::new());
                *self.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(progress.clone());
                let result = run_create(opts, &progress, callback, userdata);
                *self.running.lock().unwrap_or_else(|e| e.into_inner()) = None;
                result.map_err(|e| create_error(&e))
            }
        }
    }

    fn cancel(&self) {
        if let Some(progress) = self.running.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            progress.cancel();
        }
    }
}

/// Runs `create`; with a callback, on a helper thread while this thread reports progress.
fn run_create(
    opts: &CreateOptions,
    progress: &Arc<Progress>,
    callback: bitgocho_progress_cb,
    userdata: *mut c_void,
) -> Result<Vec<u8>, CreateError> {
    let Some(callback) = callback else {
        return create(opts, progress);
    };
    let report = |done, total| {
        // SAFETY: the caller guarantees the callback may be called with its userdata on this thread.
        unsafe { callback(userdata, done, total) }
    };
    let (worker_opts, worker_progress) = (opts.clone(), progress.clone());
    let worker = std::thread::Builder::new()
        .name("bitgocho-create".into())
        .spawn(move || create(&worker_opts, &worker_progress))
        .map_err(|source| CreateError::Unreadable { path: opts.input.clone(), source })?;
    while !worker.is_finished() {
        report(progress.done(), progress.total());
        std::thread::sleep(Duration::from_millis(50));
    }
    let result = worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    if result.is_ok() {
        report(progress.total(), progress.total());
    }
    result
}

impl Castable for bitgocho_metainfo_editor {
    type Ownership = OwnedBox;
    type RustType = MetainfoEditor;
}

/// Stores a new editor in `*out` and returns `BITGOCHO_OK`.
///
/// # Safety
/// `out` is non-NULL and writable.
unsafe fn give(out: *mut *mut bitgocho_metainfo_editor, target: Target) -> bitgocho_status {
    let handle = boundary::box_into_ptr::<bitgocho_metainfo_editor>(MetainfoEditor::new(target));
    // SAFETY: per the contract.
    unsafe { write_out(out, handle) };
    BITGOCHO_OK
}

impl bitgocho_metainfo_editor {
    /// Starts a new torrent of the file or directory at `path` (UTF-8), with no tracker, a v1
    /// layout, an automatic piece size and one hashing thread per core; nothing is read until
    /// it is built. The editor is stored in `*out` and owned by the caller.
    ///
    /// # Safety
    /// `path` is NULL or NUL-terminated; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_new(
        path: *const c_char,
        out: *mut *mut bitgocho_metainfo_editor,
    ) -> bitgocho_status {
        boundary! {
            let path = try_str!(path);
            try_out!(out);
            let opts = CreateOptions::new(path, "");
            // SAFETY: out checked non-NULL.
            unsafe { give(out, Target::Create(Box::new(opts))) }
        }
    }

    /// Loads the .torrent in `data` (`len` bytes, copied) for editing and stores the editor in
    /// `*out`. Returns `BITGOCHO_E_BENCODE` or `BITGOCHO_E_PARSE` when it is not a torrent.
    ///
    /// # Safety
    /// `data` points to `len` readable bytes (or is NULL with `len` 0); `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_from_bytes(
        data: *const u8,
        len: usize,
        out: *mut *mut bitgocho_metainfo_editor,
    ) -> bitgocho_status {
        boundary! {
            let data = try_slice!(data, len);
            try_out!(out);
            match Editor::from_bytes(data) {
                // SAFETY: out checked non-NULL.
                Ok(editor) => unsafe { give(out, Target::Edit(Box::new(editor))) },
                Err(e) => edit_error(&e),
            }
        }
    }

    /// Loads the .torrent file at `path` for editing and stores the editor in `*out`. Returns
    /// `BITGOCHO_E_IO` when it cannot be read, `BITGOCHO_E_BENCODE` or `BITGOCHO_E_PARSE` when
    /// it is not a torrent.
    ///
    /// # Safety
    /// `path` is NULL or NUL-terminated; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_from_file(
        path: *const c_char,
        out: *mut *mut bitgocho_metainfo_editor,
    ) -> bitgocho_status {
        boundary! {
            let path = try_str!(path);
            try_out!(out);
            match Editor::from_file(Path::new(path)) {
                // SAFETY: out checked non-NULL.
                Ok(editor) => unsafe { give(out, Target::Edit(Box::new(editor))) },
                Err(e) => edit_error(&e),
            }
        }
    }

    /// Starts editing `metainfo` (its bytes as received) and stores the editor in `*out`;
    /// `metainfo` itself never changes.
    ///
    /// # Safety
    /// `metainfo` is NULL or a live handle; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_from_metainfo(
        metainfo: *const bitgocho_metainfo,
        out: *mut *mut bitgocho_metainfo_editor,
    ) -> bitgocho_status {
        boundary! {
            let metainfo = try_ref!(metainfo);
            try_out!(out);
            match Editor::from_bytes(metainfo.as_bytes()) {
                // SAFETY: out checked non-NULL.
                Ok(editor) => unsafe { give(out, Target::Edit(Box::new(editor))) },
                Err(e) => edit_error(&e),
            }
        }
    }

    /// Builds the torrent and stores its bencoded bytes in `*out` (free with
    /// `bitgocho_bytes_free()`). A new torrent is hashed first: this blocks until done, using
    /// the configured hashing threads, and calls `progress` (may be NULL) on the calling thread
    /// about every 50 ms and once at the end with `done == total` (bytes). An edited torrent
    /// needs no hashing and never calls `progress`. Returns `BITGOCHO_E_IO` when an input file
    /// cannot be read, `BITGOCHO_E_CANCELLED` after `bitgocho_metainfo_editor_cancel()`,
    /// `BITGOCHO_E_INVALID_ARG` for an impossible request (empty directory, bad piece size...).
    ///
    /// # Safety
    /// `editor` is NULL or a live handle, not freed or modified during the call; `progress`, if
    /// not NULL, may be called with `userdata`; `out` is NULL or writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_build(
        editor: *const bitgocho_metainfo_editor,
        progress: bitgocho_progress_cb,
        userdata: *mut c_void,
        out: *mut *mut bitgocho_bytes,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_ref!(editor);
            try_out!(out);
            match editor.build(progress, userdata) {
                // SAFETY: out checked non-NULL.
                Ok(data) => unsafe { write_out(out, bytes::into_handle(data)); BITGOCHO_OK },
                Err(status) => status,
            }
        }
    }

    /// Builds the torrent like `bitgocho_metainfo_editor_build()` and writes it to `path`
    /// atomically (a temporary file in the same directory, then a rename): on any error the
    /// file at `path` is untouched and no temporary file is left.
    ///
    /// # Safety
    /// As for `bitgocho_metainfo_editor_build()`; `path` is NULL or NUL-terminated.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_write(
        editor: *const bitgocho_metainfo_editor,
        path: *const c_char,
        progress: bitgocho_progress_cb,
        userdata: *mut c_void,
    ) -> bitgocho_status {
        boundary! {
            let editor = try_ref!(editor);
            let path = try_str!(path);
            if let Target::Edit(e) = &editor.target {
                return e.write_to(Path::new(path)).map_or_else(|err| edit_error(&err), |()| BITGOCHO_OK);
            }
            match editor.build(progress, userdata) {
                Ok(data) => crate::fsutil::write_atomic(Path::new(path), &data)
                    .map_or_else(|err| io_error(&format!("{path}: cannot write"), &err), |()| BITGOCHO_OK),
                Err(status) => status,
            }
        }
    }

    /// Asks a build or write in progress on `editor` (on another thread, or from its progress
    /// callback) to stop; it then returns `BITGOCHO_E_CANCELLED`. Does nothing when no build is
    /// running. The only editor function that may run concurrently with another call on the
    /// same editor.
    ///
    /// # Safety
    /// `editor` is NULL or a live handle.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_cancel(editor: *const bitgocho_metainfo_editor) {
        boundary_or! { (),
            // SAFETY: per this function's contract.
            if let Some(editor) = unsafe { boundary::cast_ref(editor) } {
                editor.cancel();
            }
        }
    }

    /// Releases `editor`. NULL is a no-op. Must not be called twice on the same value, nor while
    /// a build on it is running.
    ///
    /// # Safety
    /// `editor` is NULL or a live handle not used afterwards.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bitgocho_metainfo_editor_free(editor: *mut bitgocho_metainfo_editor) {
        boundary_or! { (),
            // SAFETY: per this function's contract.
            drop(unsafe { boundary::box_from_ptr(editor) })
        }
    }
}
