"""Reading outputs with the size-query-then-fetch convention of the C API."""

from ctypes import byref, c_size_t, create_string_buffer

from .errors import E_BUFFER_TOO_SMALL, E_NOT_FOUND, check


def fetch(call, *args, optional=False):
    """Calls `call(*args, buf, cap, &len)` twice: once to learn the size, once to fill.
    Returns bytes (without a string's NUL), or None for NOT_FOUND when `optional`."""
    need = c_size_t(0)
    status = call(*args, None, 0, byref(need))
    if optional and status == E_NOT_FOUND:
        return None
    if status != E_BUFFER_TOO_SMALL:
        check(status)
        return b""
    buf = create_string_buffer(need.value)
    length = c_size_t(0)
    check(call(*args, buf, need.value, byref(length)))
    return buf.raw[: length.value]


def fetch_str(call, *args, optional=False):
    """`fetch` decoded as UTF-8."""
    raw = fetch(call, *args, optional=optional)
    return None if raw is None else raw.decode("utf-8")
