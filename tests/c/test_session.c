/* bitgocho_session, bitgocho_torrent, bitgocho_add_params and bitgocho_event: NULL arguments,
 * free(NULL), settings errors, events (ADDED, CHECKED, FINISHED, REMOVED) seen through poll()
 * on the event fd, the status struct, per-file progress, the pieces bitfield with
 * BUFFER_TOO_SMALL, find by info-hash, duplicates, TORRENT_GONE after removal, a magnet
 * link downloaded from a second session, and the peer lists of two connected sessions.
 * Usage: test_session (works in a fresh directory under $TMPDIR or /tmp) */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define PIECES 13
#define PIECE_SIZE 16384
#define FILE_SIZE (PIECE_SIZE * (PIECES - 1) + 1000)

static char dir[512];
static char data_path[1024];

static void make_data(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/bitgocho-test-session-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(data_path, sizeof data_path, "%s/payload.bin", dir);
    FILE *f = fopen(data_path, "wb");
    CHECK(f != NULL);
    for (size_t i = 0; i < FILE_SIZE; i++) fputc((int)((i * 131 + 7) & 0xff), f);
    CHECK(fclose(f) == 0);
}

static const bitgocho_metainfo *make_torrent(void) {
    bitgocho_metainfo_editor *ed = NULL;
    CHECK_OK(bitgocho_metainfo_editor_new(data_path, &ed));
    CHECK_OK(bitgocho_metainfo_editor_set_piece_size_pow2(ed, 14));
    bitgocho_bytes *bytes = NULL;
    CHECK_OK(bitgocho_metainfo_editor_build(ed, NULL, NULL, &bytes));
    const bitgocho_metainfo *mi = NULL;
    CHECK_OK(bitgocho_metainfo_parse(bitgocho_bytes_data(bytes), bitgocho_bytes_len(bytes), &mi));
    bitgocho_bytes_free(bytes);
    bitgocho_metainfo_editor_free(ed);
    CHECK(bitgocho_metainfo_piece_count(mi) == PIECES);
    return mi;
}

static void null_arguments_and_free_null(void) {
    bitgocho_session_free(NULL);
    bitgocho_torrent_free(NULL);
    bitgocho_event_free(NULL);
    bitgocho_add_params_free(NULL);
    bitgocho_session *s = NULL;
    CHECK_STATUS(bitgocho_session_new(NULL, NULL), BITGOCHO_E_NULL_ARG);
    CHECK(bitgocho_session_listen_port(NULL) == 0);
    CHECK(bitgocho_event_kind(NULL) == 0);
    CHECK(bitgocho_torrent_id(NULL) == 0);
    CHECK(bitgocho_torrent_clone(NULL) == NULL);
    bitgocho_event *ev = NULL;
    CHECK_STATUS(bitgocho_session_pop_event(NULL, &ev), BITGOCHO_E_NULL_ARG);
    CHECK(strstr(last_error(), "session") != NULL);
    CHECK_STATUS(bitgocho_session_wait_event(NULL, 0), BITGOCHO_E_NULL_ARG);
    CHECK(bitgocho_session_dht_nodes(NULL) == 0);
    int fd = -1;
    CHECK_STATUS(bitgocho_session_event_fd(NULL, &fd), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_torrent_pause(NULL), BITGOCHO_E_NULL_ARG);
    bitgocho_torrent_status st = {.size = sizeof st};
    CHECK_STATUS(bitgocho_torrent_get_status(NULL, &st), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_add_params_set_save_path(NULL, "x"), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_session_add_torrent(NULL, NULL, NULL), BITGOCHO_E_NULL_ARG);
    CHECK(s == NULL);
}

static void settings_errors_name_the_key(void) {
    bitgocho_settings *set = bitgocho_settings_new();
    CHECK_OK(bitgocho_settings_set_int(set, "max_conections", 5));
    bitgocho_session *s = NULL;
    CHECK_STATUS(bitgocho_session_new(set, &s), BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "max_conections") != NULL);
    CHECK(s == NULL);
    bitgocho_settings_free(set);
    set = bitgocho_settings_new();
    CHECK_OK(bitgocho_settings_set_str(set, "bind", "not an address"));
    CHECK_STATUS(bitgocho_session_new(set, &s), BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "bind") != NULL);
    bitgocho_settings_free(set);
    /* A CA file that cannot be read stops the session before it starts, naming the file. */
    set = bitgocho_settings_new();
    CHECK_OK(bitgocho_settings_set_str(set, "tls_ca_file", "/nonexistent/bitgocho-ca.pem"));
    CHECK_STATUS(bitgocho_session_new(set, &s), BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "/nonexistent/bitgocho-ca.pem") != NULL);
    CHECK(s == NULL);
    bitgocho_settings_free(set);
}

/* A blocklist with a line that is no address range stops the session, naming the line; a good
 * one is taken, replaced at run time, and "" lifts it. */
static void ip_filter_files(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/blocklist.p2p", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("# comment\nnot a range\n", f);
    fclose(f);
    bitgocho_settings *set = bitgocho_settings_new();
    CHECK_OK(bitgocho_settings_set_int(set, "listen_port", 0));
    CHECK_OK(bitgocho_settings_set_str(set, "bind", "127.0.0.1"));
    CHECK_OK(bitgocho_settings_set_str(set, "ip_filter_file", path));
    bitgocho_session *s = NULL;
    CHECK_STATUS(bitgocho_session_new(set, &s), BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "line 2") != NULL && s == NULL);
    f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("Some Org:10.0.0.0-10.0.0.255\n001.002.003.000 - 001.002.003.255 , 000 , dat\n", f);
    fclose(f);
    CHECK_OK(bitgocho_session_new(set, &s));
    bitgocho_settings_free(set);
    CHECK_STATUS(bitgocho_session_set_ip_filter_file(NULL, path), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_session_set_ip_filter_file(s, NULL), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_session_set_ip_filter_file(s, "/nonexistent/blocklist"), BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "/nonexistent/blocklist") != NULL);
    CHECK_OK(bitgocho_session_set_ip_filter_file(s, path));
    CHECK_OK(bitgocho_session_set_ip_filter_file(s, ""));
    bitgocho_session_free(s);
    CHECK(unlink(path) == 0);
}

static bitgocho_session *new_session(void) {
    bitgocho_settings *set = bitgocho_settings_new();
    CHECK_OK(bitgocho_settings_set_int(set, "listen_port", 0));
    CHECK_OK(bitgocho_settings_set_str(set, "bind", "127.0.0.1"));
    CHECK_OK(bitgocho_settings_set_int(set, "hash_threads", 1));
    CHECK_OK(bitgocho_settings_set_int(set, "max_upload_rate", 0));
    bitgocho_session *s = NULL;
    CHECK_OK(bitgocho_session_new(set, &s));
    bitgocho_settings_free(set);
    CHECK(bitgocho_session_listen_port(s) != 0);
    return s;
}

/* Pops events, waiting on the fd with poll(), until one of `kind` arrives (10 s at most).
 * Returns it (the caller frees it); every other event is checked for a torrent id and freed. */
static bitgocho_event *await_event(bitgocho_session *s, uint32_t kind) {
    int fd = -1;
    CHECK_OK(bitgocho_session_event_fd(s, &fd));
    CHECK(fd >= 0);
    for (int round = 0; round < 200; round++) {
        bitgocho_event *ev = NULL;
        bitgocho_status st = bitgocho_session_pop_event(s, &ev);
        if (st == BITGOCHO_E_AGAIN) {
            /* Level-triggered: the fd is not readable when the queue is empty. */
            struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
            CHECK(poll(&p, 1, 50) >= 0);
            continue;
        }
        CHECK_OK(st);
        if (bitgocho_event_kind(ev) == kind) return ev;
        bitgocho_event_free(ev);
    }
    fprintf(stderr, "event %u did not arrive\n", (unsigned)kind);
    exit(1);
}

static void check_event_torrent(const bitgocho_event *ev, const bitgocho_torrent *t) {
    uint32_t id = 0;
    CHECK_OK(bitgocho_event_torrent_id(ev, &id));
    CHECK(id == bitgocho_torrent_id(t));
    const bitgocho_torrent *et = NULL;
    CHECK_OK(bitgocho_event_torrent(ev, &et));
    CHECK(bitgocho_torrent_id(et) == id);
    bitgocho_torrent_free(et);
    uint8_t a[20], b[20];
    size_t la = 0, lb = 0;
    CHECK_OK(bitgocho_event_info_hash(ev, a, sizeof a, &la));
    CHECK_OK(bitgocho_torrent_info_hash(t, b, sizeof b, &lb));
    CHECK(la == 20 && lb == 20 && memcmp(a, b, 20) == 0);
}

static void wrong_getters_say_not_found(const bitgocho_event *ev) {
    uint32_t piece = 0;
    CHECK_STATUS(bitgocho_event_piece(ev, &piece), BITGOCHO_E_NOT_FOUND);
    uint16_t port = 0;
    CHECK_STATUS(bitgocho_event_port(ev, &port), BITGOCHO_E_NOT_FOUND);
    char text[64];
    size_t len = 0;
    CHECK_STATUS(bitgocho_event_url(ev, (uint8_t *)text, sizeof text, &len), BITGOCHO_E_NOT_FOUND);
    CHECK_OK(bitgocho_event_message(ev, (uint8_t *)text, sizeof text, &len));
}

/* The status snapshot is published by the session's thread: wait (5 s at most) for `state`. */
static bitgocho_torrent_status await_state(const bitgocho_torrent *t, uint32_t state) {
    bitgocho_torrent_status st;
    for (int round = 0; round < 250; round++) {
        memset(&st, 0, sizeof st);
        st.size = sizeof st;
        CHECK_OK(bitgocho_torrent_get_status(t, &st));
        if (st.state == state) return st;
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    fprintf(stderr, "state %u never reached (last %u)\n", (unsigned)state, (unsigned)st.state);
    exit(1);
}

static void status_and_pieces(const bitgocho_torrent *t) {
    bitgocho_torrent_status st = await_state(t, BITGOCHO_STATE_SEEDING);
    memset(&st, 0xAB, sizeof st);
    st.size = 8;
    CHECK_STATUS(bitgocho_torrent_get_status(t, &st), BITGOCHO_E_INVALID_ARG);
    CHECK(st.size == 8 && st.state == 0xABABABABu);
    st.size = sizeof st;
    CHECK_OK(bitgocho_torrent_get_status(t, &st));
    CHECK(st.size == sizeof st);
    CHECK(st.state == BITGOCHO_STATE_SEEDING);
    CHECK(!st.has_error);
    CHECK(st.progress == 1.0);
    CHECK(st.total_size == FILE_SIZE && st.have_bytes == FILE_SIZE);
    CHECK(st.pieces_have == PIECES && st.pieces_total == PIECES);
    CHECK(st.peers == 0 && st.seeds == 0 && st.downloaded == 0);
    CHECK(st.total_done == FILE_SIZE);
    /* No tracker: its counts are unknown. */
    CHECK(st.tracker_seeds == -1 && st.tracker_leechers == -1 && st.tracker_downloaded == -1);
    /* A caller built against the first version of the struct (up to web_seeds) gets exactly
       those fields; the bytes after them are left alone. */
    size_t v1 = offsetof(bitgocho_torrent_status, total_done);
    memset(&st, 0xAB, sizeof st);
    st.size = v1;
    CHECK_OK(bitgocho_torrent_get_status(t, &st));
    CHECK(st.size == v1 && st.state == BITGOCHO_STATE_SEEDING && st.pieces_have == PIECES);
    CHECK(st.total_done == 0xABABABABABABABABull);
    /* Likewise the second version (up to total_done). */
    size_t v2 = offsetof(bitgocho_torrent_status, tracker_seeds);
    memset(&st, 0xAB, sizeof st);
    st.size = v2;
    CHECK_OK(bitgocho_torrent_get_status(t, &st));
    CHECK(st.size == v2 && st.total_done == FILE_SIZE);
    CHECK(st.tracker_seeds == (int64_t)0xABABABABABABABABull);

    size_t files = 0;
    CHECK_OK(bitgocho_torrent_file_count(t, &files));
    CHECK(files == 1);
    uint64_t bytes = 0;
    CHECK_OK(bitgocho_torrent_file_progress(t, 0, &bytes));
    CHECK(bytes == FILE_SIZE);
    CHECK_STATUS(bitgocho_torrent_file_progress(t, 1, &bytes), BITGOCHO_E_NOT_FOUND);

    /* 13 pieces: two bytes, 0xFF 0xF8. A short buffer reports the size and is left alone. */
    uint8_t bits[2] = {0x11, 0x22};
    size_t len = 0;
    CHECK_STATUS(bitgocho_torrent_pieces(t, bits, 1, &len), BITGOCHO_E_BUFFER_TOO_SMALL);
    CHECK(len == 2 && bits[0] == 0x11 && bits[1] == 0x22);
    CHECK_STATUS(bitgocho_torrent_pieces(t, NULL, 0, &len), BITGOCHO_E_BUFFER_TOO_SMALL);
    CHECK(len == 2);
    CHECK_OK(bitgocho_torrent_pieces(t, bits, sizeof bits, &len));
    CHECK(len == 2 && bits[0] == 0xFF && bits[1] == 0xF8);

    char name[64];
    CHECK_OK(bitgocho_torrent_name(t, (uint8_t *)name, sizeof name, &len));
    CHECK(strcmp(name, "payload.bin") == 0);
    CHECK_OK(bitgocho_torrent_error(t, (uint8_t *)name, sizeof name, &len));
    CHECK(len == 0 && name[0] == '\0');
    uint8_t bad[2] = {2, 9};
    CHECK_STATUS(bitgocho_torrent_set_file_priorities(t, bad, 2), BITGOCHO_E_INVALID_ARG);
    CHECK_STATUS(bitgocho_torrent_set_file_priorities(t, bad, 1), BITGOCHO_OK);
    CHECK_STATUS(bitgocho_torrent_connect_peer(t, "no port"), BITGOCHO_E_INVALID_ARG);
    CHECK_STATUS(bitgocho_torrent_set_piece_priority(t, 0, 9), BITGOCHO_E_INVALID_ARG);
    CHECK_STATUS(bitgocho_torrent_set_piece_priority(t, PIECES, BITGOCHO_PRIORITY_HIGH), BITGOCHO_E_NOT_FOUND);
    CHECK_OK(bitgocho_torrent_set_piece_priority(t, PIECES - 1, BITGOCHO_PRIORITY_HIGH));
    CHECK_STATUS(bitgocho_torrent_set_sequential_download(NULL, true), BITGOCHO_E_NULL_ARG);
    CHECK_OK(bitgocho_torrent_set_sequential_download(t, true));
    CHECK_OK(bitgocho_torrent_force_announce(t));
}

/* The torrent's files move to a subdirectory and back; each move is reported with the new
 * save directory, and the torrent seeds again after it. */
static void moved_there_and_back(bitgocho_session *s, const bitgocho_torrent *t) {
    char moved[600], moved_file[700], text[700];
    snprintf(moved, sizeof moved, "%s/moved", dir);
    snprintf(moved_file, sizeof moved_file, "%s/payload.bin", moved);
    CHECK_STATUS(bitgocho_torrent_move_storage(NULL, moved), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_torrent_move_storage(t, NULL), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_torrent_move_storage(t, ""), BITGOCHO_E_INVALID_ARG);
    const char *places[2] = {moved, dir};
    for (int i = 0; i < 2; i++) {
        CHECK_OK(bitgocho_torrent_move_storage(t, places[i]));
        bitgocho_event *ev = await_event(s, BITGOCHO_EVENT_STORAGE_MOVED);
        check_event_torrent(ev, t);
        size_t len = 0;
        CHECK_OK(bitgocho_event_message(ev, (uint8_t *)text, sizeof text, &len));
        CHECK(strcmp(text, places[i]) == 0);
        bitgocho_event_free(ev);
        await_state(t, BITGOCHO_STATE_SEEDING);
        CHECK_OK(bitgocho_torrent_save_path(t, (uint8_t *)text, sizeof text, &len));
        CHECK(strcmp(text, places[i]) == 0);
        struct stat sb;
        CHECK(stat(i == 0 ? moved_file : data_path, &sb) == 0 && sb.st_size == FILE_SIZE);
        CHECK(stat(i == 0 ? data_path : moved_file, &sb) != 0);
    }
    CHECK(rmdir(moved) == 0);
}

static void gone_after_removal(bitgocho_session *s, const bitgocho_torrent *t) {
    CHECK_OK(bitgocho_session_remove_torrent(s, t, false));
    bitgocho_event *ev = await_event(s, BITGOCHO_EVENT_REMOVED);
    check_event_torrent(ev, t);
    bitgocho_event_free(ev);
    bitgocho_torrent_status st = {.size = sizeof st};
    CHECK_STATUS(bitgocho_torrent_get_status(t, &st), BITGOCHO_E_TORRENT_GONE);
    CHECK_STATUS(bitgocho_torrent_pause(t), BITGOCHO_E_TORRENT_GONE);
    CHECK_STATUS(bitgocho_torrent_resume(t), BITGOCHO_E_TORRENT_GONE);
    CHECK_STATUS(bitgocho_torrent_force_recheck(t), BITGOCHO_E_TORRENT_GONE);
    uint8_t bits[2];
    size_t len = 0;
    CHECK_STATUS(bitgocho_torrent_pieces(t, bits, sizeof bits, &len), BITGOCHO_E_TORRENT_GONE);
    CHECK_STATUS(bitgocho_session_remove_torrent(s, t, false), BITGOCHO_E_TORRENT_GONE);
    /* The data stays when not asked to delete it. */
    struct stat sb;
    CHECK(stat(data_path, &sb) == 0 && sb.st_size == FILE_SIZE);
}

static void add_check_seed_remove(void) {
    const bitgocho_metainfo *mi = make_torrent();
    bitgocho_session *s = new_session();

    /* The first event says where the session listens; then nothing is pending: wait times
     * out, pop says AGAIN, the fd is not readable. */
    bitgocho_event *ev = NULL;
    CHECK_OK(bitgocho_session_pop_event(s, &ev));
    CHECK(bitgocho_event_kind(ev) == BITGOCHO_EVENT_LISTENING);
    uint16_t port = 0;
    CHECK_OK(bitgocho_event_port(ev, &port));
    CHECK(port == bitgocho_session_listen_port(s));
    bitgocho_event_free(ev);
    ev = NULL;
    CHECK_STATUS(bitgocho_session_pop_event(s, &ev), BITGOCHO_E_AGAIN);
    CHECK_STATUS(bitgocho_session_wait_event(s, 10), BITGOCHO_E_AGAIN);
    int fd = -1;
    CHECK_OK(bitgocho_session_event_fd(s, &fd));
    struct pollfd idle = {.fd = fd, .events = POLLIN, .revents = 0};
    CHECK(poll(&idle, 1, 0) == 0);

    bitgocho_add_params *p = bitgocho_add_params_new();
    const bitgocho_torrent *t = NULL;
    CHECK_STATUS(bitgocho_session_add_torrent(s, p, &t), BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "metainfo") != NULL);
    CHECK_OK(bitgocho_add_params_set_metainfo(p, mi));
    CHECK_STATUS(bitgocho_session_add_torrent(s, p, &t), BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "save path") != NULL);
    CHECK_OK(bitgocho_add_params_set_save_path(p, dir));
    uint8_t prio[1] = {BITGOCHO_PRIORITY_NORMAL};
    CHECK_OK(bitgocho_add_params_set_file_priorities(p, prio, 1));
    CHECK_STATUS(bitgocho_add_params_add_peer(p, "not an address"), BITGOCHO_E_INVALID_ARG);
    CHECK_STATUS(bitgocho_add_params_set_torrent_file(p, "/nonexistent/x.torrent"), BITGOCHO_E_IO);
    CHECK_OK(bitgocho_session_add_torrent(s, p, &t));
    const bitgocho_torrent *dup = NULL;
    CHECK_STATUS(bitgocho_session_add_torrent(s, p, &dup), BITGOCHO_E_DUPLICATE);
    bitgocho_add_params_free(p);

    ev = await_event(s, BITGOCHO_EVENT_ADDED);
    check_event_torrent(ev, t);
    wrong_getters_say_not_found(ev);
    bitgocho_event_free(ev);
    ev = await_event(s, BITGOCHO_EVENT_CHECKED);
    check_event_torrent(ev, t);
    uint64_t good = 0;
    CHECK_OK(bitgocho_event_count(ev, &good));
    CHECK(good == PIECES);
    bitgocho_event_free(ev);
    ev = await_event(s, BITGOCHO_EVENT_FINISHED);
    check_event_torrent(ev, t);
    bitgocho_event_free(ev);

    status_and_pieces(t);

    /* Pause and resume show in the state; a forced recheck checks every piece again. */
    CHECK_OK(bitgocho_torrent_pause(t));
    await_state(t, BITGOCHO_STATE_PAUSED);
    CHECK_OK(bitgocho_torrent_resume(t));
    await_state(t, BITGOCHO_STATE_SEEDING);
    CHECK_OK(bitgocho_torrent_force_recheck(t));
    ev = await_event(s, BITGOCHO_EVENT_CHECKED);
    good = 0;
    CHECK_OK(bitgocho_event_count(ev, &good));
    CHECK(good == PIECES);
    bitgocho_event_free(ev);
    await_state(t, BITGOCHO_STATE_SEEDING);
    CHECK_OK(bitgocho_torrent_set_rate_limits(t, 1024 * 1024, 0));
    CHECK_OK(bitgocho_session_set_rate_limits(s, 0, 0));
    /* A scrape of a torrent without trackers fails at once, saying so. */
    CHECK_STATUS(bitgocho_torrent_scrape(NULL), BITGOCHO_E_NULL_ARG);
    CHECK_OK(bitgocho_torrent_scrape(t));
    ev = await_event(s, BITGOCHO_EVENT_SCRAPE_FAILED);
    check_event_torrent(ev, t);
    char text[64];
    size_t text_len = 1;
    CHECK_OK(bitgocho_event_url(ev, (uint8_t *)text, sizeof text, &text_len));
    CHECK(text_len == 0);
    CHECK_OK(bitgocho_event_message(ev, (uint8_t *)text, sizeof text, &text_len));
    CHECK(strstr(text, "no tracker") != NULL);
    bitgocho_event_free(ev);
    moved_there_and_back(s, t);
    /* Trackers can be added (a torrent without any then announces to them). */
    CHECK_STATUS(bitgocho_torrent_add_tracker(t, NULL, 0), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_torrent_add_tracker(t, "gopher://x/announce", 0), BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "gopher://x/announce") != NULL);
    CHECK_OK(bitgocho_torrent_add_tracker(t, "udp://127.0.0.1:9/announce", 0));

    uint8_t hash[20];
    size_t len = 0;
    CHECK_OK(bitgocho_metainfo_info_hash_v1(mi, hash, sizeof hash, &len));
    const bitgocho_torrent *found = NULL;
    CHECK_OK(bitgocho_session_find_torrent(s, hash, sizeof hash, &found));
    CHECK(bitgocho_torrent_id(found) == bitgocho_torrent_id(t));
    CHECK_STATUS(bitgocho_session_find_torrent(s, hash, 19, &found), BITGOCHO_E_INVALID_ARG);
    hash[0] ^= 1;
    const bitgocho_torrent *none = NULL;
    CHECK_STATUS(bitgocho_session_find_torrent(s, hash, sizeof hash, &none), BITGOCHO_E_NOT_FOUND);
    CHECK(none == NULL);

    gone_after_removal(s, t);
    CHECK_STATUS(bitgocho_torrent_pause(found), BITGOCHO_E_TORRENT_GONE);
    bitgocho_torrent_free(found);
    const bitgocho_torrent *second = bitgocho_torrent_clone(t);
    bitgocho_torrent_free(t);
    bitgocho_session_free(s);
    /* After the session is gone its torrent handles still answer, with TORRENT_GONE. */
    CHECK_STATUS(bitgocho_torrent_resume(second), BITGOCHO_E_TORRENT_GONE);
    bitgocho_torrent_free(second);
    bitgocho_metainfo_free(mi);
}

/* A second session given only the torrent's magnet link fetches its metadata from the first,
 * then its data: STATE_METADATA before a peer is known, METADATA_RECEIVED, FINISHED, and the
 * same bytes on disk. Bad links are refused with PARSE. */
static void magnet_link_from_a_seeding_session(void) {
    const bitgocho_metainfo *mi = make_torrent();
    bitgocho_session *seeder = new_session();
    bitgocho_add_params *p = bitgocho_add_params_new();
    CHECK_OK(bitgocho_add_params_set_metainfo(p, mi));
    CHECK_OK(bitgocho_add_params_set_save_path(p, dir));
    const bitgocho_torrent *seed = NULL;
    CHECK_OK(bitgocho_session_add_torrent(seeder, p, &seed));
    bitgocho_add_params_free(p);
    bitgocho_event_free(await_event(seeder, BITGOCHO_EVENT_FINISHED));

    uint8_t hash[20];
    size_t len = 0;
    CHECK_OK(bitgocho_metainfo_info_hash_v1(mi, hash, sizeof hash, &len));
    char link[128] = "magnet:?xt=urn:btih:";
    for (size_t i = 0; i < 20; i++) snprintf(link + 20 + 2 * i, 3, "%02x", hash[i]);
    char got[1024];
    snprintf(got, sizeof got, "%s/got", dir);

    bitgocho_session *s = new_session();
    p = bitgocho_add_params_new();
    CHECK_STATUS(bitgocho_add_params_set_magnet(p, "magnet:?xt=urn:btih:xyz"), BITGOCHO_E_PARSE);
    CHECK(strstr(last_error(), "info-hash") != NULL);
    CHECK_STATUS(bitgocho_add_params_set_magnet(p, "magnet:?xt=urn:btmh:1220abcd"), BITGOCHO_E_PARSE);
    CHECK(strstr(last_error(), "v2 info-hash") != NULL);
    CHECK_STATUS(bitgocho_add_params_set_magnet(p, NULL), BITGOCHO_E_NULL_ARG);
    CHECK_OK(bitgocho_add_params_set_magnet(p, link));
    CHECK_OK(bitgocho_add_params_set_save_path(p, got));
    const bitgocho_torrent *t = NULL;
    CHECK_OK(bitgocho_session_add_torrent(s, p, &t));
    bitgocho_add_params_free(p);
    bitgocho_torrent_status st = await_state(t, BITGOCHO_STATE_METADATA);
    CHECK(st.peers == 0);
    size_t hash_len = 0;
    uint8_t same[20];
    CHECK_OK(bitgocho_torrent_info_hash(t, same, sizeof same, &hash_len));
    CHECK(hash_len == 20 && memcmp(same, hash, 20) == 0);
    const bitgocho_metainfo *fetched = NULL;
    CHECK_STATUS(bitgocho_torrent_metainfo(t, &fetched), BITGOCHO_E_NOT_FOUND);
    CHECK(fetched == NULL);

    char peer[64];
    snprintf(peer, sizeof peer, "127.0.0.1:%u", (unsigned)bitgocho_session_listen_port(seeder));
    CHECK_OK(bitgocho_torrent_connect_peer(t, peer));
    bitgocho_event *ev = await_event(s, BITGOCHO_EVENT_METADATA_RECEIVED);
    check_event_torrent(ev, t);
    bitgocho_event_free(ev);
    /* The fetched metadata is a metainfo with the seeder's info dictionary, byte for byte. */
    CHECK_STATUS(bitgocho_torrent_metainfo(t, NULL), BITGOCHO_E_NULL_ARG);
    CHECK_OK(bitgocho_torrent_metainfo(t, &fetched));
    const uint8_t *ours = NULL, *theirs = NULL;
    size_t ours_len = 0, theirs_len = 0;
    CHECK_OK(bitgocho_metainfo_info_raw(fetched, &ours, &ours_len));
    CHECK_OK(bitgocho_metainfo_info_raw(mi, &theirs, &theirs_len));
    CHECK(ours_len == theirs_len && memcmp(ours, theirs, ours_len) == 0);
    bitgocho_metainfo_free(fetched);
    bitgocho_event_free(await_event(s, BITGOCHO_EVENT_FINISHED));
    st = await_state(t, BITGOCHO_STATE_SEEDING);
    CHECK(st.total_size == FILE_SIZE);

    char copy[1100];
    snprintf(copy, sizeof copy, "%s/payload.bin", got);
    FILE *a = fopen(data_path, "rb"), *b = fopen(copy, "rb");
    CHECK(a != NULL && b != NULL);
    for (size_t i = 0; i <= FILE_SIZE; i++) CHECK(fgetc(a) == fgetc(b));
    CHECK(fclose(a) == 0 && fclose(b) == 0);

    bitgocho_torrent_free(t);
    bitgocho_session_free(s);
    bitgocho_torrent_free(seed);
    bitgocho_session_free(seeder);
    bitgocho_metainfo_free(mi);
    CHECK(unlink(copy) == 0);
    CHECK(rmdir(got) == 0);
}

/* A queue of 2 events overflows on ADDED, CHECKED, FINISHED: the drop is reported first, with
 * its count, and the queued events follow; nothing is lost silently. */
/* Waits (10 s at most) until `t` lists exactly one connected peer, and returns it. */
static bitgocho_peer_info the_one_peer(const bitgocho_torrent *t) {
    for (int round = 0; round < 200; round++) {
        size_t count = 0;
        CHECK_OK(bitgocho_torrent_peer_count(t, &count));
        if (count == 1) {
            bitgocho_peer_info info = {.size = sizeof info};
            if (bitgocho_torrent_peer_info(t, 0, &info) == BITGOCHO_OK) return info;
        }
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    fprintf(stderr, "the peer did not show in the list\n");
    exit(1);
}

/* A leecher that wants no file stays connected to the seeder without finishing: each lists
 * the other, with its address, direction, progress and choke/interest flags. */
static void peer_lists_of_two_sessions(void) {
    const bitgocho_metainfo *mi = make_torrent();
    bitgocho_session *seeder = new_session(), *leecher = new_session();
    bitgocho_add_params *p = bitgocho_add_params_new();
    CHECK_OK(bitgocho_add_params_set_metainfo(p, mi));
    CHECK_OK(bitgocho_add_params_set_save_path(p, dir));
    const bitgocho_torrent *seed = NULL, *leech = NULL;
    CHECK_OK(bitgocho_session_add_torrent(seeder, p, &seed));
    bitgocho_add_params_free(p);
    bitgocho_event_free(await_event(seeder, BITGOCHO_EVENT_FINISHED));

    char got[1024], peer[64];
    snprintf(got, sizeof got, "%s/peers", dir);
    snprintf(peer, sizeof peer, "127.0.0.1:%u", (unsigned)bitgocho_session_listen_port(seeder));
    uint8_t skip = BITGOCHO_PRIORITY_SKIP;
    p = bitgocho_add_params_new();
    CHECK_OK(bitgocho_add_params_set_metainfo(p, mi));
    CHECK_OK(bitgocho_add_params_set_save_path(p, got));
    CHECK_OK(bitgocho_add_params_set_file_priorities(p, &skip, 1));
    CHECK_OK(bitgocho_add_params_add_peer(p, peer));
    CHECK_OK(bitgocho_session_add_torrent(leecher, p, &leech));
    bitgocho_add_params_free(p);

    bitgocho_peer_info at_seed = the_one_peer(seed), at_leech = the_one_peer(leech);
    CHECK(at_seed.size == sizeof at_seed);
    CHECK(at_seed.address.family == BITGOCHO_PEER_IPV4 && at_leech.address.family == BITGOCHO_PEER_IPV4);
    const uint8_t loopback[4] = {127, 0, 0, 1};
    CHECK(memcmp(at_seed.address.addr, loopback, 4) == 0 && memcmp(at_leech.address.addr, loopback, 4) == 0);
    CHECK(at_leech.address.port == bitgocho_session_listen_port(seeder));
    CHECK((at_leech.flags & BITGOCHO_PEER_OUTGOING) && !(at_seed.flags & BITGOCHO_PEER_OUTGOING));
    CHECK(!(at_leech.flags & BITGOCHO_PEER_AM_INTERESTED) && !(at_seed.flags & BITGOCHO_PEER_INTERESTED));
    CHECK(at_seed.flags & BITGOCHO_PEER_CHOKED);
    CHECK(at_leech.progress == 1.0 && at_seed.progress == 0.0);

    /* Session totals: one torrent and one peer each side. */
    bitgocho_session_stats totals = {.size = sizeof totals};
    CHECK_OK(bitgocho_session_get_stats(leecher, &totals));
    CHECK(totals.size == sizeof totals && totals.torrents == 1 && totals.peers == 1);
    CHECK(totals.total_uploaded == 0);
    bitgocho_session_stats tiny = {.size = 4};
    CHECK_STATUS(bitgocho_session_get_stats(seeder, &tiny), BITGOCHO_E_INVALID_ARG);
    CHECK_STATUS(bitgocho_session_get_stats(NULL, &totals), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_session_get_stats(seeder, NULL), BITGOCHO_E_NULL_ARG);

    bitgocho_peer_info small = {.size = sizeof(size_t)};
    CHECK_STATUS(bitgocho_torrent_peer_info(seed, 0, &small), BITGOCHO_E_INVALID_ARG);
    bitgocho_peer_info none = {.size = sizeof none};
    CHECK_STATUS(bitgocho_torrent_peer_info(seed, 1, &none), BITGOCHO_E_NOT_FOUND);
    CHECK_STATUS(bitgocho_torrent_peer_info(seed, 0, NULL), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_torrent_peer_count(NULL, NULL), BITGOCHO_E_NULL_ARG);

    bitgocho_torrent_free(leech);
    bitgocho_session_free(leecher);
    bitgocho_torrent_free(seed);
    bitgocho_session_free(seeder);
    bitgocho_metainfo_free(mi);
    rmdir(got);
}

static void overflow_is_reported(void) {
    const bitgocho_metainfo *mi = make_torrent();
    bitgocho_settings *set = bitgocho_settings_new();
    CHECK_OK(bitgocho_settings_set_int(set, "listen_port", 0));
    CHECK_OK(bitgocho_settings_set_str(set, "bind", "127.0.0.1"));
    CHECK_OK(bitgocho_settings_set_str(set, "event_queue_size", "2"));
    bitgocho_session *s = NULL;
    CHECK_OK(bitgocho_session_new(set, &s));
    bitgocho_settings_free(set);
    bitgocho_add_params *p = bitgocho_add_params_new();
    CHECK_OK(bitgocho_add_params_set_metainfo(p, mi));
    CHECK_OK(bitgocho_add_params_set_save_path(p, dir));
    const bitgocho_torrent *t = NULL;
    CHECK_OK(bitgocho_session_add_torrent(s, p, &t));
    bitgocho_add_params_free(p);
    CHECK_OK(bitgocho_session_wait_event(s, 5000));
    await_state(t, BITGOCHO_STATE_SEEDING);
    /* Capacity 2: LISTENING and ADDED fit; CHECKED and FINISHED are counted as dropped. */
    uint32_t want[] = {BITGOCHO_EVENT_EVENTS_DROPPED, BITGOCHO_EVENT_LISTENING, BITGOCHO_EVENT_ADDED};
    for (size_t i = 0; i < 3; i++) {
        bitgocho_event *ev = NULL;
        CHECK_OK(bitgocho_session_pop_event(s, &ev));
        CHECK(bitgocho_event_kind(ev) == want[i]);
        if (i == 0) {
            uint64_t count = 0;
            CHECK_OK(bitgocho_event_count(ev, &count));
            CHECK(count == 2);
            const bitgocho_torrent *none = NULL;
            CHECK_STATUS(bitgocho_event_torrent(ev, &none), BITGOCHO_E_NOT_FOUND);
            char text[128];
            size_t len = 0;
            CHECK_OK(bitgocho_event_message(ev, (uint8_t *)text, sizeof text, &len));
            CHECK(strstr(text, "dropped") != NULL);
        }
        bitgocho_event_free(ev);
    }
    bitgocho_event *ev = NULL;
    CHECK_STATUS(bitgocho_session_pop_event(s, &ev), BITGOCHO_E_AGAIN);
    bitgocho_torrent_free(t);
    bitgocho_session_free(s);
    bitgocho_metainfo_free(mi);
}

/* Readers on several threads while the main thread removes the torrent: every call answers OK
 * or TORRENT_GONE, never anything else (run under ASan and valgrind by the harness). */
#define READERS 4

static void *reader(void *arg) {
    const bitgocho_torrent *t = arg;
    for (int i = 0; i < 2000; i++) {
        bitgocho_torrent_status st = {.size = sizeof st};
        bitgocho_status a = bitgocho_torrent_get_status(t, &st);
        uint8_t bits[4];
        size_t len = 0;
        bitgocho_status b = bitgocho_torrent_pieces(t, bits, sizeof bits, &len);
        if ((a != BITGOCHO_OK && a != BITGOCHO_E_TORRENT_GONE) || (b != BITGOCHO_OK && b != BITGOCHO_E_TORRENT_GONE)) {
            return (void *)1;
        }
    }
    return NULL;
}

static void concurrent_readers_and_removal(void) {
    const bitgocho_metainfo *mi = make_torrent();
    bitgocho_session *s = new_session();
    bitgocho_add_params *p = bitgocho_add_params_new();
    CHECK_OK(bitgocho_add_params_set_metainfo(p, mi));
    CHECK_OK(bitgocho_add_params_set_save_path(p, dir));
    const bitgocho_torrent *t = NULL;
    CHECK_OK(bitgocho_session_add_torrent(s, p, &t));
    bitgocho_add_params_free(p);
    pthread_t threads[READERS];
    const bitgocho_torrent *handles[READERS];
    for (int i = 0; i < READERS; i++) {
        handles[i] = bitgocho_torrent_clone(t);
        CHECK(pthread_create(&threads[i], NULL, reader, (void *)handles[i]) == 0);
    }
    bitgocho_event_free(await_event(s, BITGOCHO_EVENT_CHECKED));
    CHECK_OK(bitgocho_session_remove_torrent(s, t, false));
    for (int i = 0; i < READERS; i++) {
        void *result = NULL;
        CHECK(pthread_join(threads[i], &result) == 0);
        CHECK(result == NULL);
        bitgocho_torrent_free(handles[i]);
    }
    bitgocho_torrent_free(t);
    bitgocho_session_free(s);
    bitgocho_metainfo_free(mi);
}

int main(void) {
    make_data();
    null_arguments_and_free_null();
    settings_errors_name_the_key();
    ip_filter_files();
    add_check_seed_remove();
    overflow_is_reported();
    magnet_link_from_a_seeding_session();
    peer_lists_of_two_sessions();
    concurrent_readers_and_removal();
    CHECK(unlink(data_path) == 0);
    CHECK(rmdir(dir) == 0);
    printf("test_session: ok\n");
    return 0;
}
