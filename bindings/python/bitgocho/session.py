"""Session, Torrent and Event: the engine through bitgocho_session_*, bitgocho_torrent_* and
bitgocho_event_*.

A Session has a fileno() (the level-triggered event fd), so it can be registered with
selectors/asyncio (`loop.add_reader(session.fileno(), ...)`) and drained with pop_event() or
events(). Never read or close that fd: it belongs to the session.
"""

import ipaddress
import os
from ctypes import POINTER, byref, c_int32, c_size_t, c_uint32, c_uint64, sizeof

from . import _ffi
from ._handle import Handle
from ._buffers import fetch, fetch_str
from .errors import E_AGAIN, E_NOT_FOUND, check
from .metainfo import Metainfo

_lib = _ffi.lib

STATE_CHECKING, STATE_DOWNLOADING, STATE_SEEDING, STATE_PAUSED, STATE_ERROR, STATE_METADATA, STATE_QUEUED = range(7)
# Torrent.peers() flags (BITGOCHO_PEER_*).
PEER_OUTGOING, PEER_INTERESTED, PEER_CHOKED, PEER_AM_INTERESTED = 1, 2, 4, 8
PEER_CHOKING_US, PEER_SNUBBED, PEER_ENCRYPTED = 16, 32, 64
PRIORITY_SKIP, PRIORITY_LOW, PRIORITY_NORMAL, PRIORITY_HIGH = 0, 1, 2, 3
(EVENT_ADDED, EVENT_CHECKED, EVENT_PIECE_FINISHED, EVENT_HASH_FAILED, EVENT_FINISHED, EVENT_TRACKER_REPLY,
 EVENT_TRACKER_ERROR, EVENT_PEER_BANNED, EVENT_STORAGE_ERROR, EVENT_REMOVED, EVENT_LISTENING,
 EVENT_EVENTS_DROPPED, EVENT_WEB_SEED_ERROR, EVENT_METADATA_RECEIVED, EVENT_METADATA_FAILED, EVENT_SCRAPE_REPLY,
 EVENT_SCRAPE_FAILED, EVENT_STORAGE_MOVED, EVENT_STORAGE_MOVE_FAILED) = range(1, 20)


class Event:
    """One event, copied out of the library when popped: `kind` (an EVENT_* code),
    `torrent_id` (or None), `message` (error or warning text, may be empty), `piece` and
    `count` (or None when the kind carries none)."""

    def __init__(self, handle):
        self.kind = _lib.bitgocho_event_kind(handle)
        self.message = fetch_str(_lib.bitgocho_event_message, handle)
        self.torrent_id = _optional(_lib.bitgocho_event_torrent_id, handle, c_uint32)
        self.piece = _optional(_lib.bitgocho_event_piece, handle, c_uint32)
        self.count = _optional(_lib.bitgocho_event_count, handle, c_uint64)

    def __repr__(self):
        return f"Event(kind={self.kind}, torrent_id={self.torrent_id}, piece={self.piece}, count={self.count})"


def _optional(call, handle, ctype):
    """`call(handle, &out)` as a Python value, or None for NOT_FOUND."""
    out = ctype()
    status = call(handle, byref(out))
    if status == E_NOT_FOUND:
        return None
    check(status)
    return out.value


class Torrent(Handle):
    """A torrent of a session (a weak handle: once removed, calls raise Error with status
    TORRENT_GONE). close() or a `with` block releases the handle early."""

    _free = staticmethod(_lib.bitgocho_torrent_free)
    _what = "torrent handle"

    def __init__(self, handle):
        self._handle = handle

    @property
    def id(self):
        """The torrent's id in its session (as Event.torrent_id)."""
        return _lib.bitgocho_torrent_id(self.handle)

    def status(self):
        """The latest status snapshot as a dict of the C struct's fields."""
        st = _ffi.bitgocho_torrent_status()
        st.size = sizeof(st)
        check(_lib.bitgocho_torrent_get_status(self.handle, byref(st)))
        return {name: getattr(st, name) for name, _ in st._fields_ if name != "size"}

    def name(self):
        """The torrent's name."""
        return fetch_str(_lib.bitgocho_torrent_name, self.handle)

    def save_path(self):
        """The directory the files are saved under (it changes with move_storage())."""
        return os.fsdecode(fetch(_lib.bitgocho_torrent_save_path, self.handle))

    def info_hash(self):
        """The 20-byte v1 info-hash."""
        return fetch(_lib.bitgocho_torrent_info_hash, self.handle)

    def error(self):
        """The text of the error that stopped the torrent ('' when none)."""
        return fetch_str(_lib.bitgocho_torrent_error, self.handle)

    def pieces(self):
        """The bitfield of pieces we have (high bit of byte 0 first)."""
        return fetch(_lib.bitgocho_torrent_pieces, self.handle)

    def peers(self):
        """The connected peers: dicts with `address` ("ip:port", IPv6 in brackets), `flags`
        (PEER_* bits), `download_rate`, `upload_rate` and `progress`."""
        count = c_size_t(0)
        check(_lib.bitgocho_torrent_peer_count(self.handle, byref(count)))
        out = []
        for i in range(count.value):
            info = _ffi.bitgocho_peer_info(size=sizeof(_ffi.bitgocho_peer_info))
            status = _lib.bitgocho_torrent_peer_info(self.handle, i, byref(info))
            if status == E_NOT_FOUND:
                break  # the list shrank since the count
            check(status)
            a = info.address
            if a.family == 4:
                host = ".".join(str(b) for b in a.addr[:4])
            else:
                host = "[" + str(ipaddress.IPv6Address(bytes(a.addr))) + "]"
            out.append({"address": f"{host}:{a.port}", "flags": info.flags, "download_rate": info.download_rate,
                        "upload_rate": info.upload_rate, "progress": info.progress})
        return out

    def file_progress(self):
        """Bytes present per file."""
        count = c_size_t(0)
        check(_lib.bitgocho_torrent_file_count(self.handle, byref(count)))
        out = []
        for i in range(count.value):
            got = c_uint64(0)
            check(_lib.bitgocho_torrent_file_progress(self.handle, i, byref(got)))
            out.append(got.value)
        return out

    def set_file_priorities(self, priorities):
        """One PRIORITY_* per file."""
        check(_lib.bitgocho_torrent_set_file_priorities(self.handle, bytes(priorities), len(priorities)))

    def pause(self):
        check(_lib.bitgocho_torrent_pause(self.handle))

    def resume(self):
        check(_lib.bitgocho_torrent_resume(self.handle))

    def force_recheck(self):
        check(_lib.bitgocho_torrent_force_recheck(self.handle))

    def force_announce(self):
        check(_lib.bitgocho_torrent_force_announce(self.handle))

    def metainfo(self):
        """The torrent's Metainfo (for a magnet link: the fetched dictionary with the link's
        trackers, so `.raw` is a .torrent to save); None until a magnet link's metadata is in."""
        out = POINTER(_ffi.bitgocho_metainfo)()
        status = _lib.bitgocho_torrent_metainfo(self.handle, byref(out))
        if status == E_NOT_FOUND:
            return None
        check(status)
        return Metainfo(out)

    def scrape(self):
        """Asks the tracker for the swarm's counts: EVENT_SCRAPE_REPLY follows, with
        `tracker_seeds`, `tracker_leechers` and `tracker_downloaded` in status()."""
        check(_lib.bitgocho_torrent_scrape(self.handle))

    def connect_peer(self, host_port):
        """Connects to `host:port` now."""
        check(_lib.bitgocho_torrent_connect_peer(self.handle, host_port.encode()))

    def set_piece_priority(self, index, priority):
        """Sets one piece's priority (0 skip, 1 low, 2 normal, 3 high)."""
        check(_lib.bitgocho_torrent_set_piece_priority(self.handle, index, priority))

    def set_sequential_download(self, on):
        """Pieces in index order (within file priorities) instead of rarest first, so a file can
        be played while it downloads; off by default."""
        check(_lib.bitgocho_torrent_set_sequential_download(self.handle, bool(on)))

    def add_tracker(self, url, tier=0):
        """Adds tracker `url` to tier `tier` of the announce-list (BEP 12 order applies)."""
        check(_lib.bitgocho_torrent_add_tracker(self.handle, url.encode(), tier))

    def move_storage(self, path):
        """Moves the files to save directory `path`; the outcome comes as EVENT_STORAGE_MOVED
        (its message is the new directory) or EVENT_STORAGE_MOVE_FAILED."""
        check(_lib.bitgocho_torrent_move_storage(self.handle, os.fsencode(path)))


class Session(Handle):
    """A running session. Options are the C API's setting keys, e.g.
    `Session(listen_port=0, bind="127.0.0.1", max_upload_rate=100)`. close() (or a `with`
    block) announces stopped and joins the session's threads."""

    _free = staticmethod(_lib.bitgocho_session_free)
    _what = "session"

    def __init__(self, **options):
        self._handle = None
        settings = _lib.bitgocho_settings_new()
        try:
            for key, value in options.items():
                if isinstance(value, bool):
                    check(_lib.bitgocho_settings_set_bool(settings, key.encode(), value))
                elif isinstance(value, int):
                    check(_lib.bitgocho_settings_set_int(settings, key.encode(), value))
                else:
                    check(_lib.bitgocho_settings_set_str(settings, key.encode(), os.fsencode(value)))
            out = POINTER(_ffi.bitgocho_session)()
            check(_lib.bitgocho_session_new(settings, byref(out)))
        finally:
            _lib.bitgocho_settings_free(settings)
        self._handle = out

    @property
    def listen_port(self):
        return _lib.bitgocho_session_listen_port(self.handle)

    def stats(self):
        """Totals over the torrents in the session, as a dict of the C struct's fields."""
        st = _ffi.bitgocho_session_stats()
        st.size = sizeof(st)
        check(_lib.bitgocho_session_get_stats(self.handle, byref(st)))
        return {name: getattr(st, name) for name, _ in st._fields_ if name != "size"}

    def set_ip_filter_file(self, path):
        """Blocks the peers in the ranges of blocklist file `path` ("" lifts the filter)."""
        check(_lib.bitgocho_session_set_ip_filter_file(self.handle, os.fsencode(path)))

    @property
    def dht_nodes(self):
        """Nodes in the DHT routing table (0 without a DHT)."""
        return _lib.bitgocho_session_dht_nodes(self.handle)

    def fileno(self):
        """The level-triggered event fd (readable while events are pending)."""
        fd = c_int32(-1)
        check(_lib.bitgocho_session_event_fd(self.handle, byref(fd)))
        return fd.value

    def add_torrent(self, torrent, save_path, paused=False, check_hashes=True, peers=(), priorities=None):
        """Adds a torrent (a Metainfo, a magnet link or a .torrent path) saved under `save_path`;
        returns a Torrent. A magnet link's torrent fetches its metadata from peers first
        (STATE_METADATA, then EVENT_METADATA_RECEIVED)."""
        params = _lib.bitgocho_add_params_new()
        try:
            if isinstance(torrent, Metainfo):
                check(_lib.bitgocho_add_params_set_metainfo(params, torrent.handle))
            elif isinstance(torrent, str) and torrent[:7].lower() == "magnet:":
                check(_lib.bitgocho_add_params_set_magnet(params, torrent.encode()))
            else:
                check(_lib.bitgocho_add_params_set_torrent_file(params, os.fsencode(torrent)))
            check(_lib.bitgocho_add_params_set_save_path(params, os.fsencode(save_path)))
            check(_lib.bitgocho_add_params_set_paused(params, paused))
            check(_lib.bitgocho_add_params_set_check_hashes(params, check_hashes))
            if priorities is not None:
                check(_lib.bitgocho_add_params_set_file_priorities(params, bytes(priorities), len(priorities)))
            for peer in peers:
                check(_lib.bitgocho_add_params_add_peer(params, peer.encode()))
            out = POINTER(_ffi.bitgocho_torrent)()
            check(_lib.bitgocho_session_add_torrent(self.handle, params, byref(out)))
        finally:
            _lib.bitgocho_add_params_free(params)
        return Torrent(out)

    def find_torrent(self, info_hash):
        """The Torrent with this 20-byte v1 info-hash, or None."""
        out = POINTER(_ffi.bitgocho_torrent)()
        status = _lib.bitgocho_session_find_torrent(self.handle, bytes(info_hash), len(info_hash), byref(out))
        if status == E_NOT_FOUND:
            return None
        check(status)
        return Torrent(out)

    def remove_torrent(self, torrent, delete_files=False):
        check(_lib.bitgocho_session_remove_torrent(self.handle, torrent.handle, delete_files))

    def pop_event(self):
        """The next Event, or None when none is pending."""
        out = POINTER(_ffi.bitgocho_event)()
        status = _lib.bitgocho_session_pop_event(self.handle, byref(out))
        if status == E_AGAIN:
            return None
        check(status)
        try:
            return Event(out)
        finally:
            _lib.bitgocho_event_free(out)

    def events(self):
        """Pops every pending event."""
        while (event := self.pop_event()) is not None:
            yield event

    def wait_event(self, timeout):
        """Blocks up to `timeout` seconds; True when an event is pending."""
        status = _lib.bitgocho_session_wait_event(self.handle, int(timeout * 1000))
        if status == E_AGAIN:
            return False
        check(status)
        return True
