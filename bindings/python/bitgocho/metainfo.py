"""Metainfo: a parsed .torrent, read through bitgocho_metainfo_*."""

import os
from ctypes import POINTER, byref, c_int64, c_size_t, c_uint16, c_uint32, c_uint64, c_void_p, string_at

from . import _ffi
from ._buffers import fetch, fetch_str
from .errors import E_NOT_FOUND, check

_lib = _ffi.lib

META_V1, META_V2, META_HYBRID = 1, 2, 3
FILE_PAD, FILE_EXECUTABLE, FILE_HIDDEN, FILE_SYMLINK = 1, 2, 4, 8


class Metainfo:
    """An immutable parsed .torrent. Use `Metainfo.parse(data)` or `Metainfo.from_file(path)`;
    close() (or a `with` block) releases it early."""

    def __init__(self, handle):
        self._handle = handle

    @classmethod
    def parse(cls, data):
        """Parses .torrent bytes; raises ParseError for invalid input."""
        out = POINTER(_ffi.bitgocho_metainfo)()
        check(_lib.bitgocho_metainfo_parse(bytes(data), len(data), byref(out)))
        return cls(out)

    @classmethod
    def from_file(cls, path):
        """Reads and parses a .torrent file."""
        out = POINTER(_ffi.bitgocho_metainfo)()
        check(_lib.bitgocho_metainfo_from_file(os.fsencode(path), byref(out)))
        return cls(out)

    def close(self):
        """Releases the handle (idempotent)."""
        if self._handle:
            _lib.bitgocho_metainfo_free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    @property
    def handle(self):
        """The live C handle; raises ValueError once closed."""
        if not self._handle:
            raise ValueError("metainfo is closed")
        return self._handle

    # --- identity and sizes
    @property
    def name(self):
        return fetch_str(_lib.bitgocho_metainfo_name, self.handle)

    @property
    def info_hash_v1(self):
        """20 bytes, or None for a v2-only torrent."""
        return fetch(_lib.bitgocho_metainfo_info_hash_v1, self.handle, optional=True)

    @property
    def info_hash_v2(self):
        """32 bytes, or None for a v1-only torrent."""
        return fetch(_lib.bitgocho_metainfo_info_hash_v2, self.handle, optional=True)

    @property
    def version(self):
        """META_V1, META_V2 or META_HYBRID."""
        return _lib.bitgocho_metainfo_version(self.handle)

    @property
    def piece_length(self):
        return _lib.bitgocho_metainfo_piece_length(self.handle)

    @property
    def piece_count(self):
        return _lib.bitgocho_metainfo_piece_count(self.handle)

    def piece_hash(self, index):
        """The v1 SHA-1 of piece `index`; raises NotFound past the end or for v2-only."""
        return fetch(_lib.bitgocho_metainfo_piece_hash, self.handle, index)

    def piece_size(self, index):
        """Size of piece `index`; raises NotFound past the end."""
        out = c_uint64(0)
        check(_lib.bitgocho_metainfo_piece_size(self.handle, index, byref(out)))
        return out.value

    @property
    def has_piece_layers(self):
        return bool(_lib.bitgocho_metainfo_has_piece_layers(self.handle))

    @property
    def total_size(self):
        return _lib.bitgocho_metainfo_total_size(self.handle)

    @property
    def is_multi_file(self):
        return bool(_lib.bitgocho_metainfo_is_multi_file(self.handle))

    @property
    def private(self):
        return bool(_lib.bitgocho_metainfo_is_private(self.handle))

    # --- text fields
    @property
    def announce(self):
        return fetch_str(_lib.bitgocho_metainfo_announce, self.handle, optional=True)

    @property
    def comment(self):
        return fetch_str(_lib.bitgocho_metainfo_comment, self.handle, optional=True)

    @property
    def created_by(self):
        return fetch_str(_lib.bitgocho_metainfo_created_by, self.handle, optional=True)

    @property
    def creation_date(self):
        """Unix seconds, or None."""
        out = c_int64(0)
        status = _lib.bitgocho_metainfo_creation_date(self.handle, byref(out))
        if status == E_NOT_FOUND:
            return None
        check(status)
        return out.value

    # --- lists
    @property
    def files(self):
        """[(path, length, offset, attribute bits)], pad files included."""
        result = []
        for i in range(_lib.bitgocho_metainfo_file_count(self.handle)):
            length, offset, attrs = c_uint64(0), c_uint64(0), c_uint32(0)
            check(_lib.bitgocho_metainfo_file_length(self.handle, i, byref(length)))
            check(_lib.bitgocho_metainfo_file_offset(self.handle, i, byref(offset)))
            check(_lib.bitgocho_metainfo_file_attributes(self.handle, i, byref(attrs)))
            path = fetch_str(_lib.bitgocho_metainfo_file_path, self.handle, i)
            result.append((path, length.value, offset.value, attrs.value))
        return result

    def file_pieces_root(self, index):
        """The 32-byte v2 merkle root of file `index`, or None."""
        return fetch(_lib.bitgocho_metainfo_file_pieces_root, self.handle, index, optional=True)

    def file_piece_layer(self, index):
        """File `index`'s v2 piece layer (32 bytes per piece), or None."""
        return fetch(_lib.bitgocho_metainfo_file_piece_layer, self.handle, index, optional=True)

    def file_symlink_target(self, index):
        """Where symlink file `index` points, or None."""
        return fetch_str(_lib.bitgocho_metainfo_file_symlink_target, self.handle, index, optional=True)

    def file_mtime(self, index):
        """File `index`'s modification time (Unix seconds), or None."""
        out = c_int64(0)
        status = _lib.bitgocho_metainfo_file_mtime(self.handle, index, byref(out))
        if status == E_NOT_FOUND:
            return None
        check(status)
        return out.value

    @property
    def announce_list(self):
        """Tracker tiers: a list of lists of URLs."""
        tiers = []
        for t in range(_lib.bitgocho_metainfo_tier_count(self.handle)):
            size = _lib.bitgocho_metainfo_tier_size(self.handle, t)
            tiers.append([fetch_str(_lib.bitgocho_metainfo_tracker, self.handle, t, i) for i in range(size)])
        return tiers

    @property
    def http_seeds(self):
        n = _lib.bitgocho_metainfo_http_seed_count(self.handle)
        return [fetch_str(_lib.bitgocho_metainfo_http_seed, self.handle, i) for i in range(n)]

    @property
    def url_list(self):
        n = _lib.bitgocho_metainfo_url_seed_count(self.handle)
        return [fetch_str(_lib.bitgocho_metainfo_url_seed, self.handle, i) for i in range(n)]

    @property
    def nodes(self):
        """DHT bootstrap nodes: [(host, port)]."""
        result = []
        for i in range(_lib.bitgocho_metainfo_node_count(self.handle)):
            port = c_uint16(0)
            host = fetch_str(lambda h, idx, b, c, l: _lib.bitgocho_metainfo_node(h, idx, b, c, l, byref(port)), self.handle, i)
            result.append((host, port.value))
        return result

    # --- raw bytes
    def _view(self, call):
        data, length = c_void_p(), c_size_t(0)
        check(call(self.handle, byref(data), byref(length)))
        return string_at(data, length.value)

    @property
    def raw(self):
        """The whole .torrent as received."""
        return self._view(_lib.bitgocho_metainfo_raw)

    @property
    def info_raw(self):
        """The info dictionary as received (what the info-hashes hash)."""
        return self._view(_lib.bitgocho_metainfo_info_raw)
