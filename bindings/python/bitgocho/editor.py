"""MetainfoEditor: makes a new .torrent from files, or edits an existing one."""

import os
from ctypes import POINTER, byref, string_at

from . import _ffi
from .errors import check

_lib = _ffi.lib


class MetainfoEditor:
    """A .torrent builder. `MetainfoEditor.new(path)` hashes files into a new torrent;
    `MetainfoEditor.load(data_or_path)` edits an existing one. Setters return self."""

    def __init__(self, handle):
        self._handle = handle

    @classmethod
    def new(cls, path):
        """A new torrent of the file or directory at `path`."""
        out = POINTER(_ffi.bitgocho_metainfo_editor)()
        check(_lib.bitgocho_metainfo_editor_new(os.fsencode(path), byref(out)))
        return cls(out)

    @classmethod
    def from_bytes(cls, data):
        """Edits the .torrent in `data`."""
        out = POINTER(_ffi.bitgocho_metainfo_editor)()
        check(_lib.bitgocho_metainfo_editor_from_bytes(bytes(data), len(data), byref(out)))
        return cls(out)

    @classmethod
    def from_file(cls, path):
        """Edits the .torrent file at `path`."""
        out = POINTER(_ffi.bitgocho_metainfo_editor)()
        check(_lib.bitgocho_metainfo_editor_from_file(os.fsencode(path), byref(out)))
        return cls(out)

    @classmethod
    def from_metainfo(cls, metainfo):
        """Edits a copy of a parsed Metainfo."""
        out = POINTER(_ffi.bitgocho_metainfo_editor)()
        check(_lib.bitgocho_metainfo_editor_from_metainfo(metainfo.handle, byref(out)))
        return cls(out)

    def close(self):
        """Releases the handle (idempotent)."""
        if self._handle:
            _lib.bitgocho_metainfo_editor_free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    @property
    def handle(self):
        if not self._handle:
            raise ValueError("editor is closed")
        return self._handle

    def _set(self, fn, *args):
        check(fn(self.handle, *args))
        return self

    # --- new torrents only
    def version(self, v):
        """1 (v1), 2 (v2) or 3 (hybrid)."""
        return self._set(_lib.bitgocho_metainfo_editor_set_version, v)

    def piece_size_pow2(self, pow2):
        return self._set(_lib.bitgocho_metainfo_editor_set_piece_size_pow2, pow2)

    def threads(self, n):
        return self._set(_lib.bitgocho_metainfo_editor_set_threads, n)

    def created_by(self, text):
        return self._set(_lib.bitgocho_metainfo_editor_set_created_by, text.encode())

    def creation_date(self, unix_seconds):
        return self._set(_lib.bitgocho_metainfo_editor_set_creation_date, unix_seconds)

    # --- both kinds
    def announce(self, url):
        return self._set(_lib.bitgocho_metainfo_editor_set_announce, url.encode())

    def add_tracker(self, tier, url):
        return self._set(_lib.bitgocho_metainfo_editor_add_tracker, tier, url.encode())

    def clear_trackers(self):
        return self._set(_lib.bitgocho_metainfo_editor_clear_trackers)

    def copy_trackers(self, metainfo):
        """Takes `announce` and `announce-list` from a Metainfo (removing what it lacks)."""
        return self._set(_lib.bitgocho_metainfo_editor_copy_trackers, metainfo.handle)

    def add_http_seed(self, url):
        return self._set(_lib.bitgocho_metainfo_editor_add_http_seed, url.encode())

    def add_url_seed(self, url):
        return self._set(_lib.bitgocho_metainfo_editor_add_url_seed, url.encode())

    def clear_seeds(self):
        return self._set(_lib.bitgocho_metainfo_editor_clear_seeds)

    def comment(self, text):
        return self._set(_lib.bitgocho_metainfo_editor_set_comment, text.encode())

    def private(self, flag):
        return self._set(_lib.bitgocho_metainfo_editor_set_private, bool(flag))

    def name(self, text):
        """Renames an existing torrent (changes its info-hash)."""
        return self._set(_lib.bitgocho_metainfo_editor_set_name, text.encode())

    # --- output
    @staticmethod
    def _callback(progress):
        if progress is None:
            return _ffi.PROGRESS_CB()
        return _ffi.PROGRESS_CB(lambda _userdata, done, total: progress(done, total))

    def build(self, progress=None):
        """Returns the bencoded torrent. `progress(done, total)` is called on this thread."""
        callback = self._callback(progress)  # kept alive for the duration of the call
        out = POINTER(_ffi.bitgocho_bytes)()
        check(_lib.bitgocho_metainfo_editor_build(self.handle, callback, None, byref(out)))
        try:
            return string_at(_lib.bitgocho_bytes_data(out), _lib.bitgocho_bytes_len(out))
        finally:
            _lib.bitgocho_bytes_free(out)

    def write(self, path, progress=None):
        """Builds and writes the torrent to `path` atomically."""
        callback = self._callback(progress)
        check(_lib.bitgocho_metainfo_editor_write(self.handle, os.fsencode(path), callback, None))

    def cancel(self):
        """Stops a build running on another thread (it raises Cancelled)."""
        _lib.bitgocho_metainfo_editor_cancel(self.handle)
