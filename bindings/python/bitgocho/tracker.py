"""Tracker: the embedded BitTorrent tracker. The caller's own HTTP/UDP server passes raw request
targets and datagrams with the client's address; the library answers, opening no socket."""

import ipaddress
import os
from ctypes import POINTER, byref, c_char_p, c_size_t, c_uint16, create_string_buffer, sizeof, string_at

from . import _ffi
from ._buffers import fetch_str
from .errors import E_AGAIN, E_NOT_FOUND, check

_lib = _ffi.lib
PEER_IPV4 = 4
PEER_IPV6 = 6


def peer_addr(host, port):
    """A bitgocho_peer_addr for an IPv4 or IPv6 address text and a port."""
    ip = ipaddress.ip_address(host)
    p = _ffi.bitgocho_peer_addr()
    p.family = PEER_IPV4 if ip.version == 4 else PEER_IPV6
    for i, b in enumerate(ip.packed):
        p.addr[i] = b
    p.port = port
    return p


def _settings(options):
    s = _lib.bitgocho_settings_new()
    try:
        for key, value in options.items():
            k = key.encode()
            if isinstance(value, bool):
                check(_lib.bitgocho_settings_set_bool(s, k, value))
            elif isinstance(value, int):
                check(_lib.bitgocho_settings_set_int(s, k, value))
            else:
                check(_lib.bitgocho_settings_set_str(s, k, os.fsencode(value)))
        out = POINTER(_ffi.bitgocho_tracker)()
        check(_lib.bitgocho_tracker_new(s, byref(out)))
        return out
    finally:
        _lib.bitgocho_settings_free(s)


class Tracker:
    """An embedded tracker; `Tracker(response_size=30, dfile="state")` takes bttrack's option
    names. Safe to use from several threads."""

    _handle = None

    def __init__(self, **options):
        self._handle = _settings(options)
        self._out = create_string_buffer(_lib.bitgocho_tracker_max_response_len(self._handle))

    def close(self):
        """Releases the handle (idempotent)."""
        if self._handle:
            _lib.bitgocho_tracker_free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def handle_http(self, target, peer=("127.0.0.1", 6881)):
        """Answers a raw request target (bytes, not URL-decoded): (http status, content type,
        body), or None when the path is not announce or scrape."""
        body = POINTER(_ffi.bitgocho_bytes)()
        code = c_uint16(0)
        ctype = c_char_p()
        status = _lib.bitgocho_tracker_handle_http_bytes(
            self._handle, target, len(target), byref(peer_addr(*peer)), byref(body), byref(code), byref(ctype))
        if status == E_NOT_FOUND:
            return None
        check(status)
        try:
            data = string_at(_lib.bitgocho_bytes_data(body), _lib.bitgocho_bytes_len(body))
        finally:
            _lib.bitgocho_bytes_free(body)
        return code.value, ctype.value.decode(), data

    def handle_udp(self, datagram, peer=("127.0.0.1", 6881)):
        """Answers a BEP 15 datagram: the reply bytes (b"" = send nothing)."""
        length = c_size_t(0)
        check(_lib.bitgocho_tracker_handle_udp(
            self._handle, datagram, len(datagram), byref(peer_addr(*peer)), self._out, len(self._out), byref(length)))
        return self._out.raw[: length.value]

    def maintain(self, now_ms=None):
        """Periodic work (expiry, rescans, saves); `now_ms` fixes the clock for tests."""
        if now_ms is None:
            check(_lib.bitgocho_tracker_maintain(self._handle))
        else:
            check(_lib.bitgocho_tracker_maintain_at(self._handle, now_ms))

    def save_state(self, path):
        """Writes the state file atomically."""
        check(_lib.bitgocho_tracker_save_state(self._handle, os.fsencode(path)))

    def load_state(self, path):
        """Adds the state saved in `path`."""
        check(_lib.bitgocho_tracker_load_state(self._handle, os.fsencode(path)))

    def stats(self):
        """Counts as a dict: torrents, seeds, leechers, announces, scrapes, ..."""
        s = _ffi.bitgocho_tracker_statistics()
        s.size = sizeof(s)
        check(_lib.bitgocho_tracker_stats(self._handle, byref(s)))
        return {name: getattr(s, name) for name, _ in s._fields_ if name != "size"}

    def warnings(self):
        """The warnings waiting (corrupt state file, failed save...), oldest first."""
        out = []
        while True:
            need = c_size_t(0)
            status = _lib.bitgocho_tracker_pop_warning(self._handle, None, 0, byref(need))
            if status == E_AGAIN:
                return out
            out.append(fetch_str(_lib.bitgocho_tracker_pop_warning, self._handle))

    def info_page(self):
        """The tracker's HTML info page."""
        page = POINTER(_ffi.bitgocho_bytes)()
        check(_lib.bitgocho_tracker_info_page(self._handle, byref(page)))
        try:
            return string_at(_lib.bitgocho_bytes_data(page), _lib.bitgocho_bytes_len(page)).decode()
        finally:
            _lib.bitgocho_bytes_free(page)
