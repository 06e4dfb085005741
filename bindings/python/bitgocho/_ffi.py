"""ctypes declarations of every function in include/bitgocho.h (argument and result types).

Kept in step with the header by tests/python_binding.rs and tests/test_ffi.py: every
`bitgocho_*` function of the header must have an entry here.
"""

from ctypes import (CFUNCTYPE, POINTER, Structure, c_bool, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint8, c_uint16,
                    c_uint32, c_uint64, c_void_p)

from ._lib import load


class bitgocho_bytes(Structure):
    """Opaque: an owned byte string."""


class bitgocho_settings(Structure):
    """Opaque: a settings object."""


class bitgocho_metainfo(Structure):
    """Opaque: a parsed .torrent."""


class bitgocho_metainfo_editor(Structure):
    """Opaque: a .torrent builder."""


# --- session, torrent, events (src/ffi/{session,add_params,torrent,event}.rs)
class bitgocho_session(Structure):
    """Opaque: a running session."""


class bitgocho_torrent(Structure):
    """Opaque: a weak handle to one torrent of a session."""


class bitgocho_add_params(Structure):
    """Opaque: what to add to a session and how."""


class bitgocho_event(Structure):
    """Opaque: one event popped from a session's queue."""


class bitgocho_torrent_status(Structure):
    """A torrent's status snapshot; set `size` to ctypes.sizeof(bitgocho_torrent_status)."""

    _fields_ = [
        ("size", c_size_t),
        ("state", c_uint32),
        ("has_error", c_bool),
        ("progress", c_double),
        ("download_rate", c_double),
        ("upload_rate", c_double),
        ("distributed_copies", c_double),
        ("total_size", c_uint64),
        ("have_bytes", c_uint64),
        ("downloaded", c_uint64),
        ("uploaded", c_uint64),
        ("eta_seconds", c_int64),
        ("peers", c_uint32),
        ("seeds", c_uint32),
        ("pieces_have", c_uint32),
        ("pieces_total", c_uint32),
        ("web_seeds", c_uint32),
        ("total_done", c_uint64),
        ("tracker_seeds", c_int64),
        ("tracker_leechers", c_int64),
        ("tracker_downloaded", c_int64),
    ]


class bitgocho_tracker(Structure):
    """Opaque: an embedded tracker."""


class bitgocho_peer_addr(Structure):
    """The client address of a tracker request: family 4 or 6, 16 address bytes, port."""

    _fields_ = [("family", c_uint8), ("addr", c_uint8 * 16), ("port", c_uint16)]


class bitgocho_peer_info(Structure):
    """One connected peer; set `size` to ctypes.sizeof(bitgocho_peer_info) before the call."""

    _fields_ = [
        ("size", c_size_t),
        ("address", bitgocho_peer_addr),
        ("flags", c_uint32),
        ("download_rate", c_double),
        ("upload_rate", c_double),
        ("progress", c_double),
    ]


class bitgocho_session_stats(Structure):
    """Session totals; set `size` to ctypes.sizeof(bitgocho_session_stats) before the call."""

    _fields_ = [
        ("size", c_size_t),
        ("torrents", c_uint32),
        ("peers", c_uint32),
        ("download_rate", c_double),
        ("upload_rate", c_double),
        ("total_downloaded", c_uint64),
        ("total_uploaded", c_uint64),
        ("dht_nodes", c_uint64),
    ]


class bitgocho_tracker_statistics(Structure):
    """Tracker counts; set `size` to ctypes.sizeof(bitgocho_tracker_statistics) before the call."""

    _fields_ = [
        ("size", c_size_t),
        ("torrents", c_uint64),
        ("seeds", c_uint64),
        ("leechers", c_uint64),
        ("announces", c_uint64),
        ("scrapes", c_uint64),
        ("udp_connects", c_uint64),
        ("rejected", c_uint64),
        ("saves", c_uint64),
    ]


#: void (*)(void *userdata, uint64_t done, uint64_t total)
PROGRESS_CB = CFUNCTYPE(None, c_void_p, c_uint64, c_uint64)

#: name -> (argtypes, restype)
SIGNATURES = {
    "bitgocho_bytes_data": ([POINTER(bitgocho_bytes)], c_void_p),
    "bitgocho_bytes_len": ([POINTER(bitgocho_bytes)], c_size_t),
    "bitgocho_bytes_free": ([POINTER(bitgocho_bytes)], None),
    "bitgocho_last_error": ([c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_parse": ([c_char_p, c_size_t, POINTER(POINTER(bitgocho_metainfo))], c_uint32),
    "bitgocho_metainfo_from_file": ([c_char_p, POINTER(POINTER(bitgocho_metainfo))], c_uint32),
    "bitgocho_metainfo_clone": ([POINTER(bitgocho_metainfo)], POINTER(bitgocho_metainfo)),
    "bitgocho_metainfo_free": ([POINTER(bitgocho_metainfo)], None),
    "bitgocho_metainfo_name": ([POINTER(bitgocho_metainfo), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_info_hash_v1": ([POINTER(bitgocho_metainfo), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_info_hash_v2": ([POINTER(bitgocho_metainfo), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_has_v1": ([POINTER(bitgocho_metainfo)], c_bool),
    "bitgocho_metainfo_has_v2": ([POINTER(bitgocho_metainfo)], c_bool),
    "bitgocho_metainfo_version": ([POINTER(bitgocho_metainfo)], c_uint32),
    "bitgocho_metainfo_piece_length": ([POINTER(bitgocho_metainfo)], c_uint64),
    "bitgocho_metainfo_piece_count": ([POINTER(bitgocho_metainfo)], c_uint64),
    "bitgocho_metainfo_piece_hash": ([POINTER(bitgocho_metainfo), c_uint64, c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_piece_size": ([POINTER(bitgocho_metainfo), c_uint64, POINTER(c_uint64)], c_uint32),
    "bitgocho_metainfo_has_piece_layers": ([POINTER(bitgocho_metainfo)], c_bool),
    "bitgocho_metainfo_total_size": ([POINTER(bitgocho_metainfo)], c_uint64),
    "bitgocho_metainfo_is_multi_file": ([POINTER(bitgocho_metainfo)], c_bool),
    "bitgocho_metainfo_is_private": ([POINTER(bitgocho_metainfo)], c_bool),
    "bitgocho_metainfo_announce": ([POINTER(bitgocho_metainfo), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_comment": ([POINTER(bitgocho_metainfo), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_created_by": ([POINTER(bitgocho_metainfo), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_creation_date": ([POINTER(bitgocho_metainfo), POINTER(c_int64)], c_uint32),
    "bitgocho_metainfo_raw": ([POINTER(bitgocho_metainfo), POINTER(c_void_p), POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_info_raw": ([POINTER(bitgocho_metainfo), POINTER(c_void_p), POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_editor_new": ([c_char_p, POINTER(POINTER(bitgocho_metainfo_editor))], c_uint32),
    "bitgocho_metainfo_editor_from_bytes": ([c_char_p, c_size_t, POINTER(POINTER(bitgocho_metainfo_editor))], c_uint32),
    "bitgocho_metainfo_editor_from_file": ([c_char_p, POINTER(POINTER(bitgocho_metainfo_editor))], c_uint32),
    "bitgocho_metainfo_editor_from_metainfo": ([POINTER(bitgocho_metainfo), POINTER(POINTER(bitgocho_metainfo_editor))], c_uint32),
    "bitgocho_metainfo_editor_build": ([POINTER(bitgocho_metainfo_editor), PROGRESS_CB, c_void_p, POINTER(POINTER(bitgocho_bytes))], c_uint32),
    "bitgocho_metainfo_editor_write": ([POINTER(bitgocho_metainfo_editor), c_char_p, PROGRESS_CB, c_void_p], c_uint32),
    "bitgocho_metainfo_editor_cancel": ([POINTER(bitgocho_metainfo_editor)], None),
    "bitgocho_metainfo_editor_free": ([POINTER(bitgocho_metainfo_editor)], None),
    "bitgocho_metainfo_editor_set_version": ([POINTER(bitgocho_metainfo_editor), c_uint32], c_uint32),
    "bitgocho_metainfo_editor_set_piece_size_pow2": ([POINTER(bitgocho_metainfo_editor), c_uint32], c_uint32),
    "bitgocho_metainfo_editor_set_threads": ([POINTER(bitgocho_metainfo_editor), c_uint32], c_uint32),
    "bitgocho_metainfo_editor_set_created_by": ([POINTER(bitgocho_metainfo_editor), c_char_p], c_uint32),
    "bitgocho_metainfo_editor_set_creation_date": ([POINTER(bitgocho_metainfo_editor), c_int64], c_uint32),
    "bitgocho_metainfo_editor_set_announce": ([POINTER(bitgocho_metainfo_editor), c_char_p], c_uint32),
    "bitgocho_metainfo_editor_add_tracker": ([POINTER(bitgocho_metainfo_editor), c_size_t, c_char_p], c_uint32),
    "bitgocho_metainfo_editor_clear_trackers": ([POINTER(bitgocho_metainfo_editor)], c_uint32),
    "bitgocho_metainfo_editor_copy_trackers": ([POINTER(bitgocho_metainfo_editor), POINTER(bitgocho_metainfo)], c_uint32),
    "bitgocho_metainfo_editor_add_http_seed": ([POINTER(bitgocho_metainfo_editor), c_char_p], c_uint32),
    "bitgocho_metainfo_editor_add_url_seed": ([POINTER(bitgocho_metainfo_editor), c_char_p], c_uint32),
    "bitgocho_metainfo_editor_clear_seeds": ([POINTER(bitgocho_metainfo_editor)], c_uint32),
    "bitgocho_metainfo_editor_set_comment": ([POINTER(bitgocho_metainfo_editor), c_char_p], c_uint32),
    "bitgocho_metainfo_editor_set_private": ([POINTER(bitgocho_metainfo_editor), c_bool], c_uint32),
    "bitgocho_metainfo_editor_set_name": ([POINTER(bitgocho_metainfo_editor), c_char_p], c_uint32),
    "bitgocho_metainfo_file_count": ([POINTER(bitgocho_metainfo)], c_size_t),
    "bitgocho_metainfo_file_path": ([POINTER(bitgocho_metainfo), c_size_t, c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_file_length": ([POINTER(bitgocho_metainfo), c_size_t, POINTER(c_uint64)], c_uint32),
    "bitgocho_metainfo_file_offset": ([POINTER(bitgocho_metainfo), c_size_t, POINTER(c_uint64)], c_uint32),
    "bitgocho_metainfo_file_attributes": ([POINTER(bitgocho_metainfo), c_size_t, POINTER(c_uint32)], c_uint32),
    "bitgocho_metainfo_file_pieces_root": ([POINTER(bitgocho_metainfo), c_size_t, c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_file_piece_layer": ([POINTER(bitgocho_metainfo), c_size_t, c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_file_symlink_target": ([POINTER(bitgocho_metainfo), c_size_t, c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_file_mtime": ([POINTER(bitgocho_metainfo), c_size_t, POINTER(c_int64)], c_uint32),
    "bitgocho_metainfo_tier_count": ([POINTER(bitgocho_metainfo)], c_size_t),
    "bitgocho_metainfo_tier_size": ([POINTER(bitgocho_metainfo), c_size_t], c_size_t),
    "bitgocho_metainfo_tracker": ([POINTER(bitgocho_metainfo), c_size_t, c_size_t, c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_http_seed_count": ([POINTER(bitgocho_metainfo)], c_size_t),
    "bitgocho_metainfo_http_seed": ([POINTER(bitgocho_metainfo), c_size_t, c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_url_seed_count": ([POINTER(bitgocho_metainfo)], c_size_t),
    "bitgocho_metainfo_url_seed": ([POINTER(bitgocho_metainfo), c_size_t, c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_metainfo_node_count": ([POINTER(bitgocho_metainfo)], c_size_t),
    "bitgocho_metainfo_node": ([POINTER(bitgocho_metainfo), c_size_t, c_char_p, c_size_t, POINTER(c_size_t), POINTER(c_uint16)], c_uint32),
    "bitgocho_settings_new": ([], POINTER(bitgocho_settings)),
    "bitgocho_settings_set_str": ([POINTER(bitgocho_settings), c_char_p, c_char_p], c_uint32),
    "bitgocho_settings_set_int": ([POINTER(bitgocho_settings), c_char_p, c_int64], c_uint32),
    "bitgocho_settings_set_bool": ([POINTER(bitgocho_settings), c_char_p, c_bool], c_uint32),
    "bitgocho_settings_get_str": ([POINTER(bitgocho_settings), c_char_p, c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_settings_get_int": ([POINTER(bitgocho_settings), c_char_p, POINTER(c_int64)], c_uint32),
    "bitgocho_settings_get_bool": ([POINTER(bitgocho_settings), c_char_p, POINTER(c_bool)], c_uint32),
    "bitgocho_settings_free": ([POINTER(bitgocho_settings)], None),
    "bitgocho_status_str": ([c_uint32], c_char_p),
    "bitgocho_version": ([], c_char_p),
    "bitgocho_version_number": ([], c_uint32),
    "bitgocho_tracker_new": ([POINTER(bitgocho_settings), POINTER(POINTER(bitgocho_tracker))], c_uint32),
    "bitgocho_tracker_clone": ([POINTER(bitgocho_tracker)], POINTER(bitgocho_tracker)),
    "bitgocho_tracker_free": ([POINTER(bitgocho_tracker)], None),
    "bitgocho_tracker_max_response_len": ([POINTER(bitgocho_tracker)], c_size_t),
    "bitgocho_tracker_handle_http": ([POINTER(bitgocho_tracker), c_char_p, c_size_t, POINTER(bitgocho_peer_addr), c_char_p, c_size_t, POINTER(c_size_t), POINTER(c_uint16)], c_uint32),
    "bitgocho_tracker_handle_http_bytes": ([POINTER(bitgocho_tracker), c_char_p, c_size_t, POINTER(bitgocho_peer_addr), POINTER(POINTER(bitgocho_bytes)), POINTER(c_uint16), POINTER(c_char_p)], c_uint32),
    "bitgocho_tracker_handle_udp": ([POINTER(bitgocho_tracker), c_char_p, c_size_t, POINTER(bitgocho_peer_addr), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_tracker_maintain": ([POINTER(bitgocho_tracker)], c_uint32),
    "bitgocho_tracker_maintain_at": ([POINTER(bitgocho_tracker), c_uint64], c_uint32),
    "bitgocho_tracker_save_state": ([POINTER(bitgocho_tracker), c_char_p], c_uint32),
    "bitgocho_tracker_load_state": ([POINTER(bitgocho_tracker), c_char_p], c_uint32),
    "bitgocho_tracker_stats": ([POINTER(bitgocho_tracker), POINTER(bitgocho_tracker_statistics)], c_uint32),
    "bitgocho_tracker_pop_warning": ([POINTER(bitgocho_tracker), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_tracker_info_page": ([POINTER(bitgocho_tracker), POINTER(POINTER(bitgocho_bytes))], c_uint32),
}

SIGNATURES.update({
    "bitgocho_session_new": ([POINTER(bitgocho_settings), POINTER(POINTER(bitgocho_session))], c_uint32),
    "bitgocho_session_listen_port": ([POINTER(bitgocho_session)], c_uint16),
    "bitgocho_session_add_torrent": ([POINTER(bitgocho_session), POINTER(bitgocho_add_params), POINTER(POINTER(bitgocho_torrent))], c_uint32),
    "bitgocho_session_find_torrent": ([POINTER(bitgocho_session), c_char_p, c_size_t, POINTER(POINTER(bitgocho_torrent))], c_uint32),
    "bitgocho_session_remove_torrent": ([POINTER(bitgocho_session), POINTER(bitgocho_torrent), c_bool], c_uint32),
    "bitgocho_session_set_rate_limits": ([POINTER(bitgocho_session), c_uint64, c_uint64], c_uint32),
    "bitgocho_session_pop_event": ([POINTER(bitgocho_session), POINTER(POINTER(bitgocho_event))], c_uint32),
    "bitgocho_session_wait_event": ([POINTER(bitgocho_session), c_uint32], c_uint32),
    "bitgocho_session_event_fd": ([POINTER(bitgocho_session), POINTER(c_int32)], c_uint32),
    "bitgocho_session_free": ([POINTER(bitgocho_session)], None),
    "bitgocho_add_params_new": ([], POINTER(bitgocho_add_params)),
    "bitgocho_add_params_set_metainfo": ([POINTER(bitgocho_add_params), POINTER(bitgocho_metainfo)], c_uint32),
    "bitgocho_add_params_set_torrent_file": ([POINTER(bitgocho_add_params), c_char_p], c_uint32),
    "bitgocho_add_params_set_magnet": ([POINTER(bitgocho_add_params), c_char_p], c_uint32),
    "bitgocho_add_params_set_save_path": ([POINTER(bitgocho_add_params), c_char_p], c_uint32),
    "bitgocho_add_params_set_paused": ([POINTER(bitgocho_add_params), c_bool], c_uint32),
    "bitgocho_add_params_set_name": ([POINTER(bitgocho_add_params), c_char_p], c_uint32),
    "bitgocho_add_params_set_super_seed": ([POINTER(bitgocho_add_params), c_bool], c_uint32),
    "bitgocho_add_params_set_check_hashes": ([POINTER(bitgocho_add_params), c_bool], c_uint32),
    "bitgocho_add_params_set_file_priorities": ([POINTER(bitgocho_add_params), c_char_p, c_size_t], c_uint32),
    "bitgocho_add_params_add_peer": ([POINTER(bitgocho_add_params), c_char_p], c_uint32),
    "bitgocho_add_params_set_rate_limits": ([POINTER(bitgocho_add_params), c_uint64, c_uint64], c_uint32),
    "bitgocho_add_params_free": ([POINTER(bitgocho_add_params)], None),
    "bitgocho_torrent_get_status": ([POINTER(bitgocho_torrent), POINTER(bitgocho_torrent_status)], c_uint32),
    "bitgocho_torrent_error": ([POINTER(bitgocho_torrent), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_torrent_name": ([POINTER(bitgocho_torrent), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_torrent_save_path": ([POINTER(bitgocho_torrent), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_torrent_info_hash": ([POINTER(bitgocho_torrent), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_torrent_id": ([POINTER(bitgocho_torrent)], c_uint32),
    "bitgocho_torrent_file_count": ([POINTER(bitgocho_torrent), POINTER(c_size_t)], c_uint32),
    "bitgocho_torrent_peer_count": ([POINTER(bitgocho_torrent), POINTER(c_size_t)], c_uint32),
    "bitgocho_torrent_peer_info": ([POINTER(bitgocho_torrent), c_size_t, POINTER(bitgocho_peer_info)], c_uint32),
    "bitgocho_torrent_file_progress": ([POINTER(bitgocho_torrent), c_size_t, POINTER(c_uint64)], c_uint32),
    "bitgocho_torrent_pieces": ([POINTER(bitgocho_torrent), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_torrent_set_file_priorities": ([POINTER(bitgocho_torrent), c_char_p, c_size_t], c_uint32),
    "bitgocho_torrent_pause": ([POINTER(bitgocho_torrent)], c_uint32),
    "bitgocho_torrent_set_super_seed": ([POINTER(bitgocho_torrent), c_bool], c_uint32),
    "bitgocho_torrent_set_sequential_download": ([POINTER(bitgocho_torrent), c_bool], c_uint32),
    "bitgocho_torrent_move_storage": ([POINTER(bitgocho_torrent), c_char_p], c_uint32),
    "bitgocho_torrent_add_tracker": ([POINTER(bitgocho_torrent), c_char_p, c_size_t], c_uint32),
    "bitgocho_torrent_set_piece_priority": ([POINTER(bitgocho_torrent), c_uint32, c_uint8], c_uint32),
    "bitgocho_torrent_resume": ([POINTER(bitgocho_torrent)], c_uint32),
    "bitgocho_torrent_force_recheck": ([POINTER(bitgocho_torrent)], c_uint32),
    "bitgocho_torrent_force_announce": ([POINTER(bitgocho_torrent)], c_uint32),
    "bitgocho_torrent_scrape": ([POINTER(bitgocho_torrent)], c_uint32),
    "bitgocho_session_set_ip_filter_file": ([POINTER(bitgocho_session), c_char_p], c_uint32),
    "bitgocho_session_get_stats": ([POINTER(bitgocho_session), POINTER(bitgocho_session_stats)], c_uint32),
    "bitgocho_session_dht_nodes": ([POINTER(bitgocho_session)], c_size_t),
    "bitgocho_torrent_metainfo": ([POINTER(bitgocho_torrent), POINTER(POINTER(bitgocho_metainfo))], c_uint32),
    "bitgocho_torrent_connect_peer": ([POINTER(bitgocho_torrent), c_char_p], c_uint32),
    "bitgocho_torrent_set_rate_limits": ([POINTER(bitgocho_torrent), c_uint64, c_uint64], c_uint32),
    "bitgocho_torrent_clone": ([POINTER(bitgocho_torrent)], POINTER(bitgocho_torrent)),
    "bitgocho_torrent_free": ([POINTER(bitgocho_torrent)], None),
    "bitgocho_event_kind": ([POINTER(bitgocho_event)], c_uint32),
    "bitgocho_event_torrent": ([POINTER(bitgocho_event), POINTER(POINTER(bitgocho_torrent))], c_uint32),
    "bitgocho_event_torrent_id": ([POINTER(bitgocho_event), POINTER(c_uint32)], c_uint32),
    "bitgocho_event_info_hash": ([POINTER(bitgocho_event), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_event_message": ([POINTER(bitgocho_event), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_event_piece": ([POINTER(bitgocho_event), POINTER(c_uint32)], c_uint32),
    "bitgocho_event_count": ([POINTER(bitgocho_event), POINTER(c_uint64)], c_uint32),
    "bitgocho_event_peer": ([POINTER(bitgocho_event), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_event_url": ([POINTER(bitgocho_event), c_char_p, c_size_t, POINTER(c_size_t)], c_uint32),
    "bitgocho_event_port": ([POINTER(bitgocho_event), POINTER(c_uint16)], c_uint32),
    "bitgocho_event_free": ([POINTER(bitgocho_event)], None),

})

lib = load()
for _name, (_args, _res) in SIGNATURES.items():
    _fn = getattr(lib, _name)
    _fn.argtypes = _args
    _fn.restype = _res
