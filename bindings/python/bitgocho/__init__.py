"""Python bindings for libbitgocho (ctypes over the C API; no compiler needed).

Covers the version functions, metainfo parsing and every getter (Metainfo), and the editor
that makes and edits .torrent files (MetainfoEditor), the embedded tracker (Tracker), and the
engine (Session, Torrent, Event in bitgocho.session; a Session's fileno() is its
level-triggered event fd). Settings are declared in _ffi but have no wrapper class yet.
"""

from . import _ffi
from .editor import MetainfoEditor
from .errors import Cancelled, Error, InvalidArgument, IOError_, NotFound, ParseError, Unsupported, last_error
from .session import Event, Session, Torrent
from .metainfo import FILE_EXECUTABLE, FILE_HIDDEN, FILE_PAD, FILE_SYMLINK, META_HYBRID, META_V1, META_V2, Metainfo
from .tracker import Tracker

__all__ = [
    "Cancelled", "Error", "FILE_EXECUTABLE", "FILE_HIDDEN", "FILE_PAD", "FILE_SYMLINK", "IOError_", "InvalidArgument",
    "META_HYBRID", "META_V1", "META_V2", "Metainfo", "MetainfoEditor", "NotFound", "ParseError", "Unsupported",
    "Tracker", "last_error", "version", "version_number",
    "Event", "Session", "Torrent",
]


def version():
    """The loaded library's version string."""
    return _ffi.lib.bitgocho_version().decode()


def version_number():
    """The loaded library's version packed as (major << 16) | (minor << 8) | patch."""
    return _ffi.lib.bitgocho_version_number()
