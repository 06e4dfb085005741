"""Exceptions for failing status codes, carrying the library's detail message."""

from ctypes import byref, c_size_t, create_string_buffer

from . import _ffi

OK = 0
E_NULL_ARG = 100
E_INVALID_ARG = 101
E_BUFFER_TOO_SMALL = 102
E_AGAIN = 200
E_NOT_FOUND = 201
E_DUPLICATE = 202
E_TORRENT_GONE = 203
E_SHUTDOWN = 204
E_CANCELLED = 205
E_PARSE = 300
E_BENCODE = 301
E_HASH_MISMATCH = 302
E_IO = 400
E_NO_MEMORY = 401
E_UNSUPPORTED = 402
E_INTERNAL = 900
E_PANIC = 901


class Error(Exception):
    """A call failed: `status` is the code, `message` the library's detail text."""

    def __init__(self, status, message):
        self.status = status
        self.message = message
        name = _ffi.lib.bitgocho_status_str(status).decode()
        super().__init__(f"{name}: {message}" if message else name)


class InvalidArgument(Error):
    """NULL_ARG or INVALID_ARG."""


class NotFound(Error):
    """NOT_FOUND: the item does not exist."""


class ParseError(Error):
    """PARSE or BENCODE: the input is not a valid torrent."""


class IOError_(Error):
    """IO: a file could not be read or written."""


class Cancelled(Error):
    """CANCELLED: the operation was cancelled."""


class Unsupported(Error):
    """UNSUPPORTED: not possible for this object."""


_CLASSES = {
    E_NULL_ARG: InvalidArgument,
    E_INVALID_ARG: InvalidArgument,
    E_NOT_FOUND: NotFound,
    E_PARSE: ParseError,
    E_BENCODE: ParseError,
    E_IO: IOError_,
    E_CANCELLED: Cancelled,
    E_UNSUPPORTED: Unsupported,
}


def last_error():
    """The detail message of the last failing call on this thread."""
    need = c_size_t(0)
    if _ffi.lib.bitgocho_last_error(None, 0, byref(need)) != E_BUFFER_TOO_SMALL:
        return ""
    buf = create_string_buffer(need.value)
    length = c_size_t(0)
    if _ffi.lib.bitgocho_last_error(buf, need.value, byref(length)) != OK:
        return ""
    return buf.raw[: length.value].decode("utf-8", "replace")


def check(status):
    """Raises the exception for `status` unless it is OK."""
    if status != OK:
        raise _CLASSES.get(status, Error)(status, last_error())
