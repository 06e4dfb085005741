//! The Rust view of the C ABI for ctest: the shared types from src/ffi/abi.rs and a declaration
//! of every exported function, kept by hand; ctest proves each matches the header and the
//! linked symbol, and tests/c_api.rs checks that this list equals the header's.
#![allow(non_camel_case_types)]

#[path = "../../../src/ffi/abi.rs"]
mod abi;
pub use abi::*;

use core::ffi::{c_char, c_void};

#[allow(improper_ctypes)] // opaque handles are only used behind pointers
unsafe extern "C" {
    // add_params.rs
    pub fn bitgocho_add_params_new() -> *mut bitgocho_add_params;
    pub fn bitgocho_add_params_set_metainfo(
        params: *mut bitgocho_add_params,
        metainfo: *const bitgocho_metainfo,
    ) -> bitgocho_status;
    pub fn bitgocho_add_params_set_torrent_file(
        params: *mut bitgocho_add_params,
        path: *const c_char,
    ) -> bitgocho_status;
    pub fn bitgocho_add_params_set_magnet(params: *mut bitgocho_add_params, uri: *const c_char) -> bitgocho_status;
    pub fn bitgocho_add_params_set_save_path(params: *mut bitgocho_add_params, path: *const c_char) -> bitgocho_status;
    pub fn bitgocho_add_params_set_paused(params: *mut bitgocho_add_params, paused: bool) -> bitgocho_status;
    pub fn bitgocho_add_params_set_name(params: *mut bitgocho_add_params, name: *const c_char) -> bitgocho_status;
    pub fn bitgocho_add_params_set_super_seed(params: *mut bitgocho_add_params, on: bool) -> bitgocho_status;
    pub fn bitgocho_add_params_set_check_hashes(params: *mut bitgocho_add_params, check: bool) -> bitgocho_status;
    pub fn bitgocho_add_params_set_file_priorities(
        params: *mut bitgocho_add_params,
        priorities: *const u8,
        count: usize,
    ) -> bitgocho_status;
    pub fn bitgocho_add_params_add_peer(params: *mut bitgocho_add_params, address: *const c_char) -> bitgocho_status;
    pub fn bitgocho_add_params_set_rate_limits(
        params: *mut bitgocho_add_params,
        upload: u64,
        download: u64,
    ) -> bitgocho_status;
    pub fn bitgocho_add_params_free(params: *mut bitgocho_add_params);

    // bytes.rs
    pub fn bitgocho_bytes_data(bytes: *const bitgocho_bytes) -> *const u8;
    pub fn bitgocho_bytes_len(bytes: *const bitgocho_bytes) -> usize;
    pub fn bitgocho_bytes_free(bytes: *mut bitgocho_bytes);

    // event.rs
    pub fn bitgocho_event_kind(event: *const bitgocho_event) -> u32;
    pub fn bitgocho_event_torrent(event: *const bitgocho_event, out: *mut *const bitgocho_torrent) -> bitgocho_status;
    pub fn bitgocho_event_torrent_id(event: *const bitgocho_event, out: *mut u32) -> bitgocho_status;
    pub fn bitgocho_event_info_hash(
        event: *const bitgocho_event,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_event_message(
        event: *const bitgocho_event,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_event_piece(event: *const bitgocho_event, out: *mut u32) -> bitgocho_status;
    pub fn bitgocho_event_count(event: *const bitgocho_event, out: *mut u64) -> bitgocho_status;
    pub fn bitgocho_event_peer(
        event: *const bitgocho_event,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_event_url(
        event: *const bitgocho_event,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_event_port(event: *const bitgocho_event, out: *mut u16) -> bitgocho_status;
    pub fn bitgocho_event_free(event: *mut bitgocho_event);

    // last_error.rs
    pub fn bitgocho_last_error(buf: *mut u8, cap: usize, out_len: *mut usize) -> bitgocho_status;

    // metainfo.rs
    pub fn bitgocho_metainfo_parse(data: *const u8, len: usize, out: *mut *const bitgocho_metainfo) -> bitgocho_status;
    pub fn bitgocho_metainfo_from_file(path: *const c_char, out: *mut *const bitgocho_metainfo) -> bitgocho_status;
    pub fn bitgocho_metainfo_clone(metainfo: *const bitgocho_metainfo) -> *const bitgocho_metainfo;
    pub fn bitgocho_metainfo_free(metainfo: *const bitgocho_metainfo);
    pub fn bitgocho_metainfo_name(
        metainfo: *const bitgocho_metainfo,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_info_hash_v1(
        metainfo: *const bitgocho_metainfo,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_info_hash_v2(
        metainfo: *const bitgocho_metainfo,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_has_v1(metainfo: *const bitgocho_metainfo) -> bool;
    pub fn bitgocho_metainfo_has_v2(metainfo: *const bitgocho_metainfo) -> bool;
    pub fn bitgocho_metainfo_version(metainfo: *const bitgocho_metainfo) -> u32;
    pub fn bitgocho_metainfo_piece_length(metainfo: *const bitgocho_metainfo) -> u64;
    pub fn bitgocho_metainfo_piece_count(metainfo: *const bitgocho_metainfo) -> u64;
    pub fn bitgocho_metainfo_piece_hash(
        metainfo: *const bitgocho_metainfo,
        index: u64,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_piece_size(metainfo: *const bitgocho_metainfo, index: u64, out: *mut u64) -> bitgocho_status;
    pub fn bitgocho_metainfo_has_piece_layers(metainfo: *const bitgocho_metainfo) -> bool;
    pub fn bitgocho_metainfo_total_size(metainfo: *const bitgocho_metainfo) -> u64;
    pub fn bitgocho_metainfo_is_multi_file(metainfo: *const bitgocho_metainfo) -> bool;
    pub fn bitgocho_metainfo_is_private(metainfo: *const bitgocho_metainfo) -> bool;
    pub fn bitgocho_metainfo_announce(
        metainfo: *const bitgocho_metainfo,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_comment(
        metainfo: *const bitgocho_metainfo,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_created_by(
        metainfo: *const bitgocho_metainfo,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_creation_date(metainfo: *const bitgocho_metainfo, out: *mut i64) -> bitgocho_status;
    pub fn bitgocho_metainfo_raw(
        metainfo: *const bitgocho_metainfo,
        out_data: *mut *const u8,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_info_raw(
        metainfo: *const bitgocho_metainfo,
        out_data: *mut *const u8,
        out_len: *mut usize,
    ) -> bitgocho_status;

    // metainfo_editor.rs
    pub fn bitgocho_metainfo_editor_new(
        path: *const c_char,
        out: *mut *mut bitgocho_metainfo_editor,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_from_bytes(
        data: *const u8,
        len: usize,
        out: *mut *mut bitgocho_metainfo_editor,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_from_file(
        path: *const c_char,
        out: *mut *mut bitgocho_metainfo_editor,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_from_metainfo(
        metainfo: *const bitgocho_metainfo,
        out: *mut *mut bitgocho_metainfo_editor,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_build(
        editor: *const bitgocho_metainfo_editor,
        progress: bitgocho_progress_cb,
        userdata: *mut c_void,
        out: *mut *mut bitgocho_bytes,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_write(
        editor: *const bitgocho_metainfo_editor,
        path: *const c_char,
        progress: bitgocho_progress_cb,
        userdata: *mut c_void,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_cancel(editor: *const bitgocho_metainfo_editor);
    pub fn bitgocho_metainfo_editor_free(editor: *mut bitgocho_metainfo_editor);

    // metainfo_editor_set.rs
    pub fn bitgocho_metainfo_editor_set_version(editor: *mut bitgocho_metainfo_editor, version: u32)
        -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_set_piece_size_pow2(
        editor: *mut bitgocho_metainfo_editor,
        pow2: u32,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_set_threads(editor: *mut bitgocho_metainfo_editor, threads: u32)
        -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_set_created_by(
        editor: *mut bitgocho_metainfo_editor,
        created_by: *const c_char,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_set_creation_date(
        editor: *mut bitgocho_metainfo_editor,
        unix_seconds: i64,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_set_announce(
        editor: *mut bitgocho_metainfo_editor,
        url: *const c_char,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_add_tracker(
        editor: *mut bitgocho_metainfo_editor,
        tier: usize,
        url: *const c_char,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_clear_trackers(editor: *mut bitgocho_metainfo_editor) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_copy_trackers(
        editor: *mut bitgocho_metainfo_editor,
        source: *const bitgocho_metainfo,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_add_http_seed(
        editor: *mut bitgocho_metainfo_editor,
        url: *const c_char,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_add_url_seed(
        editor: *mut bitgocho_metainfo_editor,
        url: *const c_char,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_clear_seeds(editor: *mut bitgocho_metainfo_editor) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_set_comment(
        editor: *mut bitgocho_metainfo_editor,
        comment: *const c_char,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_set_private(
        editor: *mut bitgocho_metainfo_editor,
        private: bool,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_editor_set_name(
        editor: *mut bitgocho_metainfo_editor,
        name: *const c_char,
    ) -> bitgocho_status;

    // metainfo_lists.rs
    pub fn bitgocho_metainfo_file_count(metainfo: *const bitgocho_metainfo) -> usize;
    pub fn bitgocho_metainfo_file_path(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_file_length(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        out: *mut u64,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_file_offset(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        out: *mut u64,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_file_attributes(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        out: *mut u32,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_file_pieces_root(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_file_piece_layer(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_file_symlink_target(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_file_mtime(metainfo: *const bitgocho_metainfo, index: usize, out: *mut i64) -> bitgocho_status;
    pub fn bitgocho_metainfo_tier_count(metainfo: *const bitgocho_metainfo) -> usize;
    pub fn bitgocho_metainfo_tier_size(metainfo: *const bitgocho_metainfo, tier: usize) -> usize;
    pub fn bitgocho_metainfo_tracker(
        metainfo: *const bitgocho_metainfo,
        tier: usize,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_http_seed_count(metainfo: *const bitgocho_metainfo) -> usize;
    pub fn bitgocho_metainfo_http_seed(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_url_seed_count(metainfo: *const bitgocho_metainfo) -> usize;
    pub fn bitgocho_metainfo_url_seed(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_metainfo_node_count(metainfo: *const bitgocho_metainfo) -> usize;
    pub fn bitgocho_metainfo_node(
        metainfo: *const bitgocho_metainfo,
        index: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
        out_port: *mut u16,
    ) -> bitgocho_status;

    // session.rs
    pub fn bitgocho_session_new(settings: *const bitgocho_settings, out: *mut *mut bitgocho_session) -> bitgocho_status;
    pub fn bitgocho_session_listen_port(session: *const bitgocho_session) -> u16;
    pub fn bitgocho_session_add_torrent(
        session: *const bitgocho_session,
        params: *const bitgocho_add_params,
        out: *mut *const bitgocho_torrent,
    ) -> bitgocho_status;
    pub fn bitgocho_session_find_torrent(
        session: *const bitgocho_session,
        info_hash: *const u8,
        len: usize,
        out: *mut *const bitgocho_torrent,
    ) -> bitgocho_status;
    pub fn bitgocho_session_remove_torrent(
        session: *const bitgocho_session,
        torrent: *const bitgocho_torrent,
        delete_files: bool,
    ) -> bitgocho_status;
    pub fn bitgocho_session_set_rate_limits(
        session: *const bitgocho_session,
        upload: u64,
        download: u64,
    ) -> bitgocho_status;
    pub fn bitgocho_session_pop_event(
        session: *const bitgocho_session,
        out: *mut *mut bitgocho_event,
    ) -> bitgocho_status;
    pub fn bitgocho_session_wait_event(session: *const bitgocho_session, timeout_ms: u32) -> bitgocho_status;
    pub fn bitgocho_session_event_fd(session: *const bitgocho_session, out: *mut i32) -> bitgocho_status;
    pub fn bitgocho_session_free(session: *mut bitgocho_session);

    // settings.rs
    pub fn bitgocho_settings_new() -> *mut bitgocho_settings;
    pub fn bitgocho_settings_set_str(
        settings: *mut bitgocho_settings,
        key: *const c_char,
        value: *const c_char,
    ) -> bitgocho_status;
    pub fn bitgocho_settings_set_int(
        settings: *mut bitgocho_settings,
        key: *const c_char,
        value: i64,
    ) -> bitgocho_status;
    pub fn bitgocho_settings_set_bool(
        settings: *mut bitgocho_settings,
        key: *const c_char,
        value: bool,
    ) -> bitgocho_status;
    pub fn bitgocho_settings_get_str(
        settings: *const bitgocho_settings,
        key: *const c_char,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_settings_get_int(
        settings: *const bitgocho_settings,
        key: *const c_char,
        out: *mut i64,
    ) -> bitgocho_status;
    pub fn bitgocho_settings_get_bool(
        settings: *const bitgocho_settings,
        key: *const c_char,
        out: *mut bool,
    ) -> bitgocho_status;
    pub fn bitgocho_settings_free(settings: *mut bitgocho_settings);

    // status.rs
    pub fn bitgocho_status_str(status: bitgocho_status) -> *const c_char;

    // torrent.rs
    pub fn bitgocho_torrent_get_status(
        torrent: *const bitgocho_torrent,
        out: *mut bitgocho_torrent_status,
    ) -> bitgocho_status;
    pub fn bitgocho_torrent_error(
        torrent: *const bitgocho_torrent,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_torrent_name(
        torrent: *const bitgocho_torrent,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_torrent_save_path(
        torrent: *const bitgocho_torrent,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_torrent_info_hash(
        torrent: *const bitgocho_torrent,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_torrent_id(torrent: *const bitgocho_torrent) -> u32;
    pub fn bitgocho_torrent_file_count(torrent: *const bitgocho_torrent, out: *mut usize) -> bitgocho_status;
    pub fn bitgocho_torrent_peer_count(torrent: *const bitgocho_torrent, out: *mut usize) -> bitgocho_status;
    pub fn bitgocho_torrent_peer_info(
        torrent: *const bitgocho_torrent,
        index: usize,
        out: *mut bitgocho_peer_info,
    ) -> bitgocho_status;
    pub fn bitgocho_torrent_file_progress(
        torrent: *const bitgocho_torrent,
        index: usize,
        out: *mut u64,
    ) -> bitgocho_status;
    pub fn bitgocho_torrent_pieces(
        torrent: *const bitgocho_torrent,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_torrent_set_file_priorities(
        torrent: *const bitgocho_torrent,
        priorities: *const u8,
        count: usize,
    ) -> bitgocho_status;
    pub fn bitgocho_torrent_pause(torrent: *const bitgocho_torrent) -> bitgocho_status;
    pub fn bitgocho_torrent_set_super_seed(torrent: *const bitgocho_torrent, on: bool) -> bitgocho_status;
    pub fn bitgocho_torrent_set_sequential_download(torrent: *const bitgocho_torrent, on: bool) -> bitgocho_status;
    pub fn bitgocho_torrent_move_storage(torrent: *const bitgocho_torrent, path: *const c_char) -> bitgocho_status;
    pub fn bitgocho_torrent_add_tracker(torrent: *const bitgocho_torrent, url: *const c_char, tier: usize) -> bitgocho_status;
    pub fn bitgocho_torrent_set_piece_priority(torrent: *const bitgocho_torrent, index: u32, priority: u8) -> bitgocho_status;
    pub fn bitgocho_torrent_resume(torrent: *const bitgocho_torrent) -> bitgocho_status;
    pub fn bitgocho_torrent_force_recheck(torrent: *const bitgocho_torrent) -> bitgocho_status;
    pub fn bitgocho_torrent_force_announce(torrent: *const bitgocho_torrent) -> bitgocho_status;
    pub fn bitgocho_torrent_scrape(torrent: *const bitgocho_torrent) -> bitgocho_status;
    pub fn bitgocho_session_set_ip_filter_file(session: *const bitgocho_session, path: *const c_char) -> bitgocho_status;
    pub fn bitgocho_session_get_stats(session: *const bitgocho_session, out: *mut bitgocho_session_stats) -> bitgocho_status;
    pub fn bitgocho_session_dht_nodes(session: *const bitgocho_session) -> usize;
    pub fn bitgocho_torrent_metainfo(
        torrent: *const bitgocho_torrent,
        out: *mut *const bitgocho_metainfo,
    ) -> bitgocho_status;
    pub fn bitgocho_torrent_connect_peer(torrent: *const bitgocho_torrent, address: *const c_char) -> bitgocho_status;
    pub fn bitgocho_torrent_set_rate_limits(
        torrent: *const bitgocho_torrent,
        upload: u64,
        download: u64,
    ) -> bitgocho_status;
    pub fn bitgocho_torrent_clone(torrent: *const bitgocho_torrent) -> *const bitgocho_torrent;
    pub fn bitgocho_torrent_free(torrent: *const bitgocho_torrent);

    // version.rs
    pub fn bitgocho_version() -> *const c_char;
    pub fn bitgocho_version_number() -> u32;

    // tracker.rs (h/trkffi)
    pub fn bitgocho_tracker_new(settings: *const bitgocho_settings, out: *mut *const bitgocho_tracker)
        -> bitgocho_status;
    pub fn bitgocho_tracker_clone(tracker: *const bitgocho_tracker) -> *const bitgocho_tracker;
    pub fn bitgocho_tracker_free(tracker: *const bitgocho_tracker);
    pub fn bitgocho_tracker_max_response_len(tracker: *const bitgocho_tracker) -> usize;
    pub fn bitgocho_tracker_handle_http(
        tracker: *const bitgocho_tracker,
        target: *const u8,
        target_len: usize,
        peer: *const bitgocho_peer_addr,
        out: *mut u8,
        out_cap: usize,
        out_len: *mut usize,
        out_http_status: *mut u16,
    ) -> bitgocho_status;
    pub fn bitgocho_tracker_handle_http_bytes(
        tracker: *const bitgocho_tracker,
        target: *const u8,
        target_len: usize,
        peer: *const bitgocho_peer_addr,
        out_body: *mut *mut bitgocho_bytes,
        out_http_status: *mut u16,
        out_content_type: *mut *const c_char,
    ) -> bitgocho_status;
    pub fn bitgocho_tracker_handle_udp(
        tracker: *const bitgocho_tracker,
        datagram: *const u8,
        len: usize,
        peer: *const bitgocho_peer_addr,
        out: *mut u8,
        out_cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_tracker_maintain(tracker: *const bitgocho_tracker) -> bitgocho_status;
    pub fn bitgocho_tracker_maintain_at(tracker: *const bitgocho_tracker, now_ms: u64) -> bitgocho_status;
    pub fn bitgocho_tracker_save_state(tracker: *const bitgocho_tracker, path: *const c_char) -> bitgocho_status;
    pub fn bitgocho_tracker_load_state(tracker: *const bitgocho_tracker, path: *const c_char) -> bitgocho_status;
    pub fn bitgocho_tracker_stats(tracker: *const bitgocho_tracker, stats: *mut bitgocho_tracker_statistics)
        -> bitgocho_status;
    pub fn bitgocho_tracker_pop_warning(
        tracker: *const bitgocho_tracker,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> bitgocho_status;
    pub fn bitgocho_tracker_info_page(tracker: *const bitgocho_tracker, out: *mut *mut bitgocho_bytes)
        -> bitgocho_status;
}
